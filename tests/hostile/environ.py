"""A hostile payload: search the environment of every process for a secret.

usage: environ.py SECRET
Reads /proc/PID/environ and /proc/PID/cmdline of every process /proc lists
and counts those whose environment holds SECRET (which the harness put in
the environment of a process of the same user started outside the sandbox,
and not in the payload's). Prints `listed N`, `environ readable N` and
`secret found N`.
"""
import os
import sys

secret = sys.argv[1].encode()
listed = readable = found = 0
for name in os.listdir("/proc"):
    if not name.isdigit():
        continue
    listed += 1
    try:
        with open(f"/proc/{name}/environ", "rb") as f:
            environ = f.read()
        with open(f"/proc/{name}/cmdline", "rb") as f:
            f.read()
    except OSError:
        continue
    readable += 1
    if secret in environ.split(b"\0"):
        found += 1
print(f"listed {listed}", flush=True)
print(f"environ readable {readable}", flush=True)
print(f"secret found {found}", flush=True)
