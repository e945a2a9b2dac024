#!/bin/sh
# Fails if the committed syscall tables, errnos, constants and signatures differ from
# what the generator produces now: they must only ever change by rerunning it.
# The generator fetches linux-headers-6.1.0-<N>-common with `apt-get download`
# (Debian bookworm package lists needed); arguments are passed on to it, e.g.
# `--headers-deb FILE.deb` to read an already downloaded package.
set -eu
cd "$(dirname "$0")/.."

tables=seccomp-policy-compiler/src/tables
syscalls=seccomp-policy-core/src/syscalls
errnos=seccomp-policy-core/src/errno
arch_facts=seccomp-policy-core/src/arch/generated.rs
python3 tools/gen-syscall-tables/gen.py "$@"

# The generator writes what rustfmt would; keep `cargo fmt --check` quiet.
for f in "$tables"/*.rs "$tables"/constants/*.rs "$tables"/signatures/*.rs "$syscalls"/*.rs \
    "$errnos"/*.rs "$errnos"/arches/*.rs; do
    case "$f" in
    */mod.rs) ;;
    *) rustfmt --edition 2021 --check "$f" ;;
    esac
done
rustfmt --edition 2021 --check "$arch_facts"

# New, untracked table files count as drift too.
untracked=$(git ls-files --others --exclude-standard -- "$tables" "$syscalls" "$errnos" "$arch_facts" tools/gen-syscall-tables)
if [ -n "$untracked" ]; then
    echo "untracked generated files:" >&2
    echo "$untracked" >&2
    exit 1
fi
git diff --exit-code -- "$tables" "$syscalls" "$errnos" "$arch_facts" tools/gen-syscall-tables/Cargo.lock
echo "generated syscall tables, errnos, constants and signatures are up to date"
