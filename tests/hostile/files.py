"""A hostile payload: reach files outside the sandbox's paths.

usage: files.py SECRET OUTSIDE [write]
SECRET is a readable file in a directory the policy does not list, OUTSIDE
a writable directory it does not list (holding a file `victim`); the
working directory is the payload's own ($WORKDIR) and holds `link`, a
symlink to SECRET. Tries to read SECRET directly, through the symlink and
through `..`, and to list OUTSIDE; with `write` (under FILE_IO), also to
make files in its own directory and in $TMPDIR (allowed), and to make,
remove and rename-into files in OUTSIDE (refused). Prints `WHAT: ok` or
`WHAT: ERRNO` per attempt.
"""
import errno
import os
import sys

secret, outside = sys.argv[1], sys.argv[2]
write = sys.argv[3:] == ["write"]


def attempt(what, action):
    try:
        action()
        print(f"{what}: ok", flush=True)
    except OSError as e:
        print(f"{what}: {errno.errorcode.get(e.errno, e.errno)}", flush=True)


def write_file(path):
    with open(path, "w") as f:
        f.write("made in the sandbox\n")


up = os.path.join("..", os.path.basename(os.path.dirname(secret)), os.path.basename(secret))
attempt("read secret", lambda: open(secret).read())
attempt("read secret through a symlink", lambda: open("link").read())
attempt("read secret through ..", lambda: open(up).read())
attempt("list outside", lambda: os.listdir(outside))
if write:
    attempt("make inside", lambda: write_file("made-inside"))
    attempt("make in TMPDIR", lambda: write_file(os.path.join(os.environ["TMPDIR"], "made")))
    attempt("make outside", lambda: write_file(os.path.join(outside, "made-outside")))
    attempt("remove outside", lambda: os.unlink(os.path.join(outside, "victim")))
    attempt("rename outside", lambda: os.rename("made-inside", os.path.join(outside, "moved")))
