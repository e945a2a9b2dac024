"""A hostile payload: reach TCP ports the policy does not list.

usage: ports.py PORT...
Connects to each of 127.0.0.1:PORT, then tries to listen on a port of its
own: binds to the last PORT's number, then listens on a port the kernel
picks. Prints `connect PORT: ok|ERRNO` per port, then `bind: ok|ERRNO` and
`listen: ok|ERRNO`.
"""
import errno
import socket
import sys


def attempt(what, action):
    try:
        action()
        print(f"{what}: ok", flush=True)
    except OSError as e:
        print(f"{what}: {errno.errorcode.get(e.errno, e.errno)}", flush=True)


for port in sys.argv[1:]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        attempt(f"connect {port}", lambda: s.connect(("127.0.0.1", int(port))))
with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    attempt("bind", lambda: s.bind(("127.0.0.1", int(sys.argv[-1]))))
# Unbound, a listening socket gets a port the kernel picks: no bind for
# Landlock to see.
with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    attempt("listen", s.listen)
