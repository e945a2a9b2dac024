"""Per-architecture constants for argument conditions, and errno names.

Writes seccomp-policy-compiler/src/tables/constants/<arch>.rs (the constants)
and seccomp-policy-core/src/errno/arches.rs with errno/arches/<numbering>.rs
(every errno name and number, both ways, written once for the architectures
that number them alike, which the front end, the command-line tool and the run time share) from
the linux-raw-sys source that gen.py already uses: bindgen output of the Linux
UAPI headers, one directory per architecture. See README.md beside this file.

Each family is a name prefix read from named files of the architecture's
directory, and every constant of that file with the prefix is taken. A
constant bindgen wrote in a form this module does not know, a value that does
not fit an i64, or one name with two values is an error, never skipped.
"""

import os
import re
import sys

import spans

# (prefix, files of src/<dir>/ it is read from, where the kernel defines it).
# A prefix is matched against the whole name, so "TC" also takes TCSANOW
# (the tcsetattr actions) and "SIG" takes SIG_BLOCK and SIGEV_*; files
# outside the list are not read (net.rs has TCP_* and TCA_*, auxvec.rs has
# the unrelated AT_* auxiliary-vector keys).
FAMILIES = [
    ("AF_", ["net.rs"], "<linux/socket.h>"),
    ("SOCK_", ["net.rs"], "<linux/net.h>, <asm/socket.h>"),
    ("CLONE_", ["general.rs"], "<linux/sched.h>"),
    ("O_", ["general.rs"], "<asm/fcntl.h>"),
    ("F_", ["general.rs"], "<asm/fcntl.h>, <linux/fcntl.h>"),
    ("AT_", ["general.rs"], "<linux/fcntl.h>"),
    ("PR_", ["prctl.rs"], "<linux/prctl.h>"),
    ("MAP_", ["general.rs"], "<asm/mman.h>, <linux/mman.h>"),
    ("PROT_", ["general.rs"], "<asm/mman.h>"),
    ("MADV_", ["general.rs"], "<asm/mman.h>"),
    ("TIOC", ["ioctl.rs", "general.rs"], "<asm/ioctls.h>, <asm/termbits.h>"),
    ("TC", ["ioctl.rs", "general.rs"], "<asm/ioctls.h>, <asm/termbits.h>"),
    ("FIO", ["ioctl.rs"], "<asm/ioctls.h>, <asm/sockios.h>"),
    ("SIG", ["general.rs"], "<asm/signal.h>, <asm-generic/siginfo.h>"),
    ("IPPROTO_", ["net.rs"], "<linux/in.h>, <linux/in6.h>"),
    ("SOL_", ["net.rs"], "<linux/socket.h>, <asm/socket.h>"),
    ("SO_", ["net.rs"], "<asm/socket.h>"),
    ("MSG_", ["net.rs"], "<linux/socket.h>"),
    ("FUTEX_", ["general.rs"], "<linux/futex.h>"),
    ("GRND_", ["general.rs"], "<linux/random.h>"),
]

# Constants the kernel defines outside the UAPI headers, so bindgen never sees
# them, derived from constants that are read. include/linux/net.h:
# `#define SOCK_CLOEXEC O_CLOEXEC` and `#define SOCK_NONBLOCK O_NONBLOCK`
# (arch/mips/include/asm/socket.h defines both the same way; only alpha and
# parisc, which are not supported here, give SOCK_NONBLOCK its own value).
DERIVED = [
    ("SOCK_CLOEXEC", "O_CLOEXEC", "include/linux/net.h"),
    ("SOCK_NONBLOCK", "O_NONBLOCK", "include/linux/net.h, arch/mips/include/asm/socket.h"),
]

# The largest errno the kernel returns (MAX_ERRNO in include/linux/err.h).
MAX_ERRNO = 4095

# Errno names defined as another errno (include/uapi/asm-generic/errno.h:
# `#define EWOULDBLOCK EAGAIN`, `#define EDEADLOCK EDEADLK`; in the source,
# mips gives EDEADLOCK a number of its own). A number's name is the one that is
# not an alias of another name of that number; any other two names for one
# number are an error.
ERRNO_ALIASES = {"EWOULDBLOCK": "EAGAIN", "EDEADLOCK": "EDEADLK"}

# Errnos whose number in the source differs from the kernel's own header,
# by linux-raw-sys directory: {dir: {name: (the source's number, the
# kernel's number, the header)}}. The kernel's number is written. Each is
# checked: if the source ever gives the kernel's number (or another), the
# generator stops, so the override is dropped or looked at again.
#
# powerpc: arch/powerpc/include/uapi/asm/errno.h includes
# <asm-generic/errno.h> and then `#undef EDEADLOCK` / `#define EDEADLOCK
# 58 /* File locking deadlock error */` (the same in Debian bookworm's
# linux-libc-dev-ppc64el-cross 6.1.4), but linux-raw-sys 0.12.1's
# src/powerpc64/errno.rs has asm-generic's 35 (EDEADLK). 58 is unused by
# asm-generic, so on ppc64le EDEADLOCK is a name of its own, not an alias.
ERRNO_OVERRIDES = {
    "powerpc64": {"EDEADLOCK": (35, 58, "arch/powerpc/include/uapi/asm/errno.h")},
}

I64_MIN = -(1 << 63)
I64_MAX = (1 << 63) - 1

CONST_LINE = re.compile(r"^pub const ([A-Za-z_][A-Za-z0-9_]*): ([A-Za-z0-9_:;&\[\] ]+?) = (.+);$")
LITERAL = re.compile(r"^-?[0-9]+$")
INT_TYPES = {"u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64"}
ENUM_TYPE = re.compile(r"^_bindgen_ty_[0-9]+$")
ENUM_START = re.compile(r"^pub enum (_bindgen_ty_[0-9]+) \{$")
ENUM_VARIANT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*) = (-?[0-9]+),$")


def fail(msg):
    sys.exit(f"gen-syscall-tables: {msg}")


def read_file(path):
    """The `pub const` lines and bindgen enums of one file.

    Returns (consts, enums): consts maps a name to (type, value text) and
    enums maps `_bindgen_ty_N` to {variant: value}.
    """
    consts = {}
    enums = {}
    current = None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if current is not None:
                if line == "}":
                    current = None
                    continue
                m = ENUM_VARIANT.match(line)
                if not m:
                    fail(f"{path}: unrecognised enum variant line: {line}")
                enums[current][m.group(1)] = int(m.group(2))
                continue
            m = ENUM_START.match(line)
            if m:
                current = m.group(1)
                enums[current] = {}
                continue
            if not line.startswith("pub const ") or line.startswith("pub const fn"):
                continue
            m = CONST_LINE.match(line)
            if not m:
                # A constant bindgen wrote in another shape (byte strings,
                # expressions): only an error if a family selects it, below.
                name = line[len("pub const "):].split(":", 1)[0]
                consts[name] = (None, line)
                continue
            consts[m.group(1)] = (m.group(2), m.group(3))
    return consts, enums


def value_of(path, name, ty, text, enums):
    if ty is None:
        fail(f"{path}: {name}: unrecognised constant: {text}")
    if ty in INT_TYPES:
        if not LITERAL.match(text):
            fail(f"{path}: {name}: value is not an integer literal: {text}")
        value = int(text)
    elif ENUM_TYPE.match(ty):
        m = re.match(r"^(_bindgen_ty_[0-9]+)::([A-Za-z_][A-Za-z0-9_]*)$", text)
        if m:
            if m.group(1) != ty or m.group(1) not in enums or m.group(2) not in enums[ty]:
                fail(f"{path}: {name}: enum value {text} not found")
            value = enums[ty][m.group(2)]
        elif LITERAL.match(text):
            value = int(text)
        else:
            fail(f"{path}: {name}: unrecognised enum constant value: {text}")
    else:
        fail(f"{path}: {name}: unrecognised type {ty}")
    if not I64_MIN <= value <= I64_MAX:
        fail(f"{path}: {name} = {value} does not fit an i64")
    return value


def constants(src, d):
    """{name: value} of every selected family on one architecture."""
    files = {}
    out = {}
    origin = {}
    for prefix, names, _ in FAMILIES:
        for fname in names:
            path = os.path.join(src, d, fname)
            if path not in files:
                files[path] = read_file(path)
            consts, enums = files[path]
            for name, (ty, text) in consts.items():
                if not name.startswith(prefix):
                    continue
                value = value_of(path, name, ty, text, enums)
                if name in out and out[name] != value:
                    fail(f"{name} is {out[name]} in {origin[name]} but {value} in {path}")
                out[name] = value
                origin[name] = path
    for name, source, _ in DERIVED:
        if name in out:
            fail(f"{name} now comes from the headers ({origin[name]}); drop it from DERIVED")
        if source not in out:
            fail(f"{source}, which {name} is derived from, is missing")
        out[name] = out[source]
    # Every family must have found something on every architecture.
    for prefix, names, _ in FAMILIES:
        if not any(n.startswith(prefix) for n in out):
            fail(f"src/{d}: no constant with prefix {prefix} in {names}")
    return out


def errnos(src, d):
    """{name: value} of src/<dir>/errno.rs, which holds only errno values."""
    path = os.path.join(src, d, "errno.rs")
    consts, enums = read_file(path)
    if enums:
        fail(f"{path}: unexpected enums")
    out = {}
    for name, (ty, text) in consts.items():
        if not re.match(r"^E[A-Z0-9]+$", name):
            fail(f"{path}: {name}: not an errno name")
        value = value_of(path, name, ty, text, enums)
        if not 1 <= value <= MAX_ERRNO:
            fail(f"{path}: {name} = {value} is not an errno (1..={MAX_ERRNO})")
        out[name] = value
    for must in ("EPERM", "ENOSYS", "EAGAIN"):
        if must not in out:
            fail(f"{path}: {must} missing")
    for name, (source, kernel, header) in ERRNO_OVERRIDES.get(d, {}).items():
        if out.get(name) != source:
            fail(
                f"{path}: {name} is {out.get(name)}, not {source} as ERRNO_OVERRIDES says; "
                f"compare with {header} and drop or update the override"
            )
        taken = [n for n, v in out.items() if v == kernel]
        if taken:
            fail(f"{path}: {name}'s kernel number {kernel} ({header}) is already {taken}")
        out[name] = kernel
    return out


def errno_notes(d):
    """Comment lines naming the overrides applied to src/<d>/errno.rs."""
    out = []
    for name, (source, kernel, header) in sorted(ERRNO_OVERRIDES.get(d, {}).items()):
        out.append(f"// {name} is {kernel} ({header}), where the source has {source}:")
        out.append("// ERRNO_OVERRIDES in tools/gen-syscall-tables/constants.py.")
    return out


def errno_aliases_left_out(errs):
    """The aliases that share the number of the name they stand for in
    `errs`, as the doc of BY_NUMBER names them."""
    pairs = [
        f"`{alias}` of `{of}`"
        for alias, of in ERRNO_ALIASES.items()
        if alias in errs and errs.get(of) == errs[alias]
    ]
    return ", ".join(pairs)


def errno_names_by_number(path, errs):
    """{value: name}: each value's one name, aliases left out."""
    by_number = {}
    for name, value in errs.items():
        by_number.setdefault(value, []).append(name)
    out = {}
    for value, names in by_number.items():
        # An alias where it shares the number of the errno it stands for.
        primary = [n for n in names if ERRNO_ALIASES.get(n) not in names]
        if len(primary) != 1:
            fail(f"{path}: errno {value} has the names {sorted(names)}; decide which one it shows")
        out[value] = primary[0]
    return out


def byte_sorted(names):
    return sorted(names, key=lambda n: n.encode())


def render(d, arch, consts, command, crate, linux):
    files = ",".join(sorted({f[:-3] for _, names, _ in FAMILIES for f in names}))
    out = [
        f"// @generated by `{command}`. Do not edit.",
        "//",
        f"// Source: {crate}, src/{d}/{{{files}}}.rs,",
        f"// generated by bindgen from the Linux {linux} UAPI headers. SOCK_CLOEXEC and",
        "// SOCK_NONBLOCK are O_CLOEXEC and O_NONBLOCK (include/linux/net.h).",
        "",
        "use seccomp_policy_core::sorted::{Row, Table};",
        "",
        f"/// The named constants of `{arch}` that conditions may use, sorted by name",
        "/// (byte order).",
        "pub static CONSTANTS: Table<i64> = Table::new(NAMES, &ROWS);",
        "",
    ]
    text = spans.Text()
    rows = [spans.row(text, name, consts[name]) for name in byte_sorted(consts)]
    out += text.render("NAMES", ["The names of [`CONSTANTS`], one after the other."])
    out.append("")
    out.append(f"static ROWS: [Row<i64>; {len(rows)}] = [")
    out += rows
    out.append("];")
    return "\n".join(out) + "\n"


def render_errnos(group, path, errs, command, crate, linux):
    """One file for every architecture in `group` [(dir, arch, variant)]:
    they number their errnos the same way, so the table is written once."""
    names = errno_names_by_number(path, errs)
    dirs = ",".join(d for d, _, _ in group)
    if len(group) > 1:
        dirs = "{" + dirs + "}"
    variants = ", ".join(f"`Arch::{v}`" for _, _, v in group)
    out = [
        f"// @generated by `{command}`. Do not edit.",
        "//",
        f"// Source: {crate}, src/{dirs}/errno.rs,",
        f"// generated by bindgen from the Linux {linux} UAPI headers; the same",
        "// numbers for each architecture named here.",
        *[line for d, _, _ in group for line in errno_notes(d)],
        "",
        "use crate::sorted::{Row, Table};",
        "",
        f"/// Every errno name of {variants}",
        "/// and its number, sorted by name (byte order).",
        "pub static BY_NAME: Table<u16> = Table::new(NAMES, &BY_NAME_ROWS);",
        "",
        "/// Every errno number and its name, sorted by number; an alias",
        f"/// ({errno_aliases_left_out(errs)}) is left out.",
        "pub static BY_NUMBER: Table<u16> = Table::new(NAMES, &BY_NUMBER_ROWS);",
        "",
    ]
    text = spans.Text()
    by_name = [spans.row(text, name, errs[name]) for name in byte_sorted(errs)]
    by_number = [spans.row(text, names[value], value) for value in sorted(names)]
    out += text.render("NAMES", ["The names of both tables, one after the other."])
    out.append("")
    out.append(f"static BY_NAME_ROWS: [Row<u16>; {len(by_name)}] = [")
    out += by_name
    out.append("];")
    out.append("")
    out.append(f"static BY_NUMBER_ROWS: [Row<u16>; {len(by_number)}] = [")
    out += by_number
    out.append("];")
    return "\n".join(out) + "\n"


def match_arm(group, value):
    """A match arm for the architectures of `group`, laid out as rustfmt
    lays it out: on one line when it fits in 100 columns, else one
    pattern a line with a leading `|`."""
    patterns = [f"Arch::{v}" for _, _, v in group]
    line = f"        {' | '.join(patterns)} => {value},"
    if len(line) <= 100:
        return [line]
    out = [f"        {patterns[0]}"]
    out += [f"        | {p}" for p in patterns[1:-1]]
    out.append(f"        | {patterns[-1]} => {value},")
    return out


def render_errno_arches(groups, command):
    """errno/arches.rs: which file (module) holds each architecture's errnos."""
    out = [
        f"// @generated by `{command}`. Do not edit.",
        "",
        "use crate::arch::Arch;",
        "use crate::sorted::Table;",
        "",
    ]
    for name, _ in groups:
        out.append(f"mod {name};")
    out += [
        "",
        "/// Every errno of `arch` as `(name, number)`, sorted by name; aliases",
        "/// (`EWOULDBLOCK`, and `EDEADLOCK` where it is `EDEADLK`) included.",
        "pub(super) const fn by_name(arch: Arch) -> Table<u16> {",
        "    match arch {",
    ]
    for name, group in groups:
        out += match_arm(group, f"{name}::BY_NAME")
    out += [
        "    }",
        "}",
        "",
        "/// Every errno number of `arch` with its one name, sorted by number.",
        "pub(super) const fn by_number(arch: Arch) -> Table<u16> {",
        "    match arch {",
    ]
    for name, group in groups:
        out += match_arm(group, f"{name}::BY_NUMBER")
    out += ["    }", "}"]
    return "\n".join(out) + "\n"


def generate(src, arches, out_dir, errno_dir, write, command, crate, linux):
    """Writes the constants' file of each architecture, and the errnos once
    for each way of numbering them (`generic`, the asm-generic numbers most
    architectures share, and one file for each that differs); returns
    {arch: (constants, errnos, status)}."""
    os.makedirs(out_dir, exist_ok=True)
    os.makedirs(errno_dir, exist_ok=True)
    counts = {}
    numberings = []  # [(errs, path, [(d, arch, variant)])]
    for d, arch, variant in arches:
        consts = constants(src, d)
        errs = errnos(src, d)
        text = render(d, arch, consts, command, crate, linux)
        status = write(os.path.join(out_dir, f"{arch}.rs"), text)
        for known, _, group in numberings:
            if known == errs:
                group.append((d, arch, variant))
                break
        else:
            numberings.append((errs, os.path.join(src, d, "errno.rs"), [(d, arch, variant)]))
        counts[arch] = (len(consts), len(errs), status)
    # The largest group is the asm-generic numbering. Its file and the
    # others are errno/arches/NAME.rs, modules of errno/arches.rs.
    largest = max(len(g) for _, _, g in numberings)
    group_dir = os.path.join(errno_dir, "arches")
    os.makedirs(group_dir, exist_ok=True)
    groups = []
    for errs, path, group in numberings:
        name = "generic" if len(group) == largest else group[0][1]
        text = render_errnos(group, path, errs, command, crate, linux)
        errno_status = write(os.path.join(group_dir, f"{name}.rs"), text)
        groups.append((name, group))
        for _, arch, _ in group:
            n_consts, n_errs, status = counts[arch]
            if errno_status != "unchanged":
                status = errno_status
            counts[arch] = (n_consts, n_errs, status)
    groups.sort(key=lambda g: g[0])
    status = write(os.path.join(errno_dir, "arches.rs"), render_errno_arches(groups, command))
    # Files of architectures now written with others are not the generator's.
    for d, keep in ((errno_dir, {"arches.rs"}), (group_dir, {f"{n}.rs" for n, _ in groups})):
        for f in os.listdir(d):
            if f.endswith(".rs") and f not in keep:
                os.remove(os.path.join(d, f))
    return counts
