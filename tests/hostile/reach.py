"""A hostile payload: reach processes outside the sandbox.

usage: reach.py OTHER_PID
Tries, on its parent (the supervisor, harness or relay) and on OTHER_PID (a
process of the same user started outside the sandbox): reading
/proc/PID/syscall, opening /proc/PID/mem for writing, and kill(PID, 0)
(permission to signal, without sending one). Prints `WHAT WHO: ok` or
`WHAT WHO: ERRNO` per attempt. The parent's pid is read from /proc/self/stat,
which numbers it as the /proc the payload sees does. Where that /proc is
the machine's, the parent has its pid there even from inside a pid
namespace (where getppid() says 0, which kill() would take for the payload's
own process group). Where it is the pid namespace's own, the parent is
outside it and has no pid the payload can name: the stat file says 0, and
each attempt on the parent prints `WHAT parent: hidden`.
(/proc/PID/environ is tried by environ.py: Linux 6.18 lets a Landlock domain
read it, so only a /proc of the sandbox's own keeps it out of reach.)
"""
import errno
import os
import sys


def attempt(what, action):
    try:
        action()
        print(f"{what}: ok", flush=True)
    except OSError as e:
        print(f"{what}: {errno.errorcode.get(e.errno, e.errno)}", flush=True)


with open("/proc/self/stat") as f:
    ppid = int(f.read().rsplit(")", 1)[1].split()[1])

for who, pid in (("parent", ppid), ("other", int(sys.argv[1]))):
    if pid == 0:
        for what in ("read syscall", "open mem", "signal"):
            print(f"{what} {who}: hidden", flush=True)
        continue
    attempt(f"read syscall {who}", lambda: open(f"/proc/{pid}/syscall").read())
    attempt(f"open mem {who}", lambda: os.close(os.open(f"/proc/{pid}/mem", os.O_RDWR)))
    attempt(f"signal {who}", lambda: os.kill(pid, 0))
