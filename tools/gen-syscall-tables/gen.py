#!/usr/bin/env python3
"""Generate the syscall tables and the architecture facts.

Writes, under seccomp-policy-compiler/src/tables/:
- <arch>.rs: syscall names to numbers, from linux-raw-sys;
- constants/<arch>.rs: named constants for argument conditions, from
  linux-raw-sys (constants.py);
- signatures/<arch>.rs: each syscall's parameters, from include/linux/syscalls.h
  of Linux 6.1 in Debian bookworm's linux-headers-6.1.0-<N>-common and, for
  the syscalls added since, their SYSCALL_DEFINEs in Linux 6.17; and why the
  few others have none (signatures.py, syscall_entries.py);
- source.rs: where all of it comes from;
and, under seccomp-policy-core/src/: syscalls/<arch>.rs (every syscall's name
and number), errno/arches.rs and errno/arches/<numbering>.rs (every errno's name
and number, both ways, once per numbering, from linux-raw-sys, constants.py) and arch/generated.rs (the `AUDIT_ARCH_*` value of
each architecture, from which its word size and byte order follow).

Usage (from anywhere in the repository):

    python3 tools/gen-syscall-tables/gen.py [--headers-deb FILE.deb]

Without --headers-deb the header package is fetched with `apt-get download`
(the newest linux-headers-6.1.0-<N>-common that apt-cache lists); with it, that
already downloaded package is read instead.

The source is the `linux-raw-sys` crate pinned in this directory's Cargo.toml
(and Cargo.lock, which also pins its checksum). Its `src/<dir>/general.rs`
files are bindgen output of the Linux UAPI headers, one per architecture,
with lines like `pub const __NR_read: u32 = 0;`; `src/<dir>/ptrace.rs` holds
the `EM_*` and `AUDIT_ARCH_*` constants of <linux/elf-em.h> and
<linux/audit.h>. See README.md beside this file for the decisions encoded
below.

The output is deterministic: entries are sorted by name (byte order) and
written exactly as rustfmt formats them. Any constant the generator does not
recognise is an error, so a new source version cannot slip in unreviewed.
"""

import argparse
import json
import os
import re
import subprocess
import sys

# The modules beside this file are imported, not installed: leave no
# __pycache__ behind in the repository.
sys.dont_write_bytecode = True

import constants  # noqa: E402
import signatures  # noqa: E402
import spans  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT_DIR = os.path.join(ROOT, "seccomp-policy-compiler", "src", "tables")
SYSCALLS_DIR = os.path.join(ROOT, "seccomp-policy-core", "src", "syscalls")
ERRNO_DIR = os.path.join(ROOT, "seccomp-policy-core", "src", "errno")
ARCH_FACTS = os.path.join(ROOT, "seccomp-policy-core", "src", "arch", "generated.rs")
MANIFEST = os.path.join(HERE, "Cargo.toml")

SOURCE_CRATE = "linux-raw-sys"
SOURCE_VERSION = "0.12.1"
COMMAND = "python3 tools/gen-syscall-tables/gen.py"

# (linux-raw-sys directory, table arch name, Arch variant,
#  AUDIT_ARCH_* constant, EM_* constant, 64-bit, little-endian)
ARCHES = [
    ("x86_64", "x86_64", "X86_64", "AUDIT_ARCH_X86_64", "EM_X86_64", True, True),
    ("x86", "x86", "X86", "AUDIT_ARCH_I386", "EM_386", False, True),
    ("aarch64", "aarch64", "Aarch64", "AUDIT_ARCH_AARCH64", "EM_AARCH64", True, True),
    ("arm", "arm", "Arm", "AUDIT_ARCH_ARM", "EM_ARM", False, True),
    ("riscv64", "riscv64", "Riscv64", "AUDIT_ARCH_RISCV64", "EM_RISCV", True, True),
    ("powerpc64", "ppc64le", "Ppc64le", "AUDIT_ARCH_PPC64LE", "EM_PPC64", True, True),
    ("s390x", "s390x", "S390x", "AUDIT_ARCH_S390X", "EM_S390", True, False),
    ("loongarch64", "loongarch64", "Loongarch64", "AUDIT_ARCH_LOONGARCH64", "EM_LOONGARCH", True, True),
    ("mips64", "mips64el", "Mips64el", "AUDIT_ARCH_MIPSEL64", "EM_MIPS", True, True),
]

# `__NR_*` constants that are not system calls: table bounds, ABI bases and
# masks. (Several only exist in older header layouts; listing them keeps the
# generator usable if the source is moved.)
NOT_SYSCALLS = {
    "syscalls",  # asm-generic: one past the last number
    "arch_specific_syscall",  # asm-generic: base of the arch-private block
    "Linux",  # mips: ABI base (5000 for n64)
    "Linux_syscalls",  # mips: count
    "SYSCALL_BASE",  # arm: EABI base (0)
    "OABI_SYSCALL_BASE",  # arm: OABI base (0x900000)
    "SYSCALL_MASK",  # arm
}

# mips n64 numbers 177 and 193 are placeholders ("reserved177",
# "reserved193" in arch/mips/kernel/syscalls/syscall_n64.tbl) with no entry
# point; they name no call a policy could mean, and libseccomp does not know
# them either.
PLACEHOLDER = re.compile(r"^reserved[0-9]+$")

# What is known about kernels newer than the source, keyed by the source's
# Linux version. Checked by hand (see README.md); a different source version
# makes no claim until someone checks again.
NEWER = {
    "6.17": "Linux 6.18 added no system call",
}

# Two names for one number, both defined by the UAPI header. On arm,
# <asm/unistd.h> defines `__NR_sync_file_range2` as an alias of
# `__NR_arm_sync_file_range` (341). Both stay in the table so a policy can
# use either; libseccomp only knows `arm_sync_file_range`.
ALIASES = {
    "arm": {"sync_file_range2": "arm_sync_file_range"},
}

CONST = re.compile(r"^pub const ([A-Za-z0-9_]+): u32 = ([0-9]+);$")


def linux_raw_sys_src():
    cmd = [
        "cargo",
        "metadata",
        "--format-version",
        "1",
        "--locked",
        "--manifest-path",
        MANIFEST,
    ]
    meta = json.loads(subprocess.check_output(cmd))
    for pkg in meta["packages"]:
        if pkg["name"] == SOURCE_CRATE:
            if pkg["version"] != SOURCE_VERSION:
                sys.exit(f"expected {SOURCE_CRATE} {SOURCE_VERSION}, got {pkg['version']}")
            return os.path.join(os.path.dirname(pkg["manifest_path"]), "src")
    sys.exit(f"{SOURCE_CRATE} not found in cargo metadata")


def read_consts(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = CONST.match(line.strip())
            if m:
                out[m.group(1)] = int(m.group(2))
    return out


def linux_version(src):
    versions = set()
    for d, *_ in ARCHES:
        c = read_consts(os.path.join(src, d, "general.rs"))
        versions.add(
            (c["LINUX_VERSION_MAJOR"], c["LINUX_VERSION_PATCHLEVEL"], c["LINUX_VERSION_SUBLEVEL"])
        )
    if len(versions) != 1:
        sys.exit(f"architectures disagree on the Linux version: {sorted(versions)}")
    (v,) = versions
    return f"{v[0]}.{v[1]}" if v[2] == 0 else f"{v[0]}.{v[1]}.{v[2]}"


def syscalls(src, d, arch):
    general = os.path.join(src, d, "general.rs")
    table = {}
    aliases = ALIASES.get(arch, {})
    with open(general, encoding="utf-8") as f:
        lines = f.read().splitlines()
    nr3264 = {}
    for line in lines:
        if "NR" not in line or not line.startswith("pub const __"):
            continue
        m = CONST.match(line.strip())
        if not m:
            sys.exit(f"{general}: unrecognised syscall constant: {line}")
        const, value = m.group(1), int(m.group(2))
        if const.startswith("__NR_"):
            name = const[len("__NR_"):]
            if name in NOT_SYSCALLS or PLACEHOLDER.match(name):
                continue
            if not re.match(r"^[a-z_][a-z0-9_]*$", name):
                sys.exit(f"{general}: {const}: not a known syscall name shape; decide how to treat it")
        elif const.startswith("__ARM_NR_") and arch == "arm":
            # The ARM-private calls (arch/arm/include/uapi/asm/unistd.h),
            # numbered from __ARM_NR_BASE = 0x0f0000. libseccomp names them
            # without the prefix ("breakpoint", "cacheflush", "usr26",
            # "usr32", "set_tls", "get_tls").
            name = const[len("__ARM_NR_"):]
            if name == "BASE":
                continue
        elif const.startswith("__NR3264_"):
            # asm-generic's 32/64-bit aliases (e.g. __NR3264_fcntl); the
            # matching __NR_ name carries the same number and is what the
            # table uses. Checked below.
            nr3264[const[len("__NR3264_"):]] = value
            continue
        else:
            sys.exit(f"{general}: {const}: unknown kind of syscall constant")
        if name in table:
            sys.exit(f"{general}: {name} defined twice")
        table[name] = value
    for name, value in nr3264.items():
        if table.get(name) != value:
            sys.exit(f"{general}: __NR3264_{name} = {value} has no matching __NR_{name}")
    by_number = {}
    for name, value in table.items():
        by_number.setdefault(value, []).append(name)
    for value, names in sorted(by_number.items()):
        if len(names) > 1:
            names.sort()
            ok = len(names) == 2 and (
                aliases.get(names[0]) == names[1] or aliases.get(names[1]) == names[0]
            )
            if not ok:
                sys.exit(f"{general}: number {value} has several names {names}; decide how to treat it")
    for alias, target in aliases.items():
        if table.get(alias) is None or table.get(alias) != table.get(target):
            sys.exit(f"{general}: expected alias {alias} = {target}")
    return table


def audit_arch(src, d, audit_const, em_const, is64, le):
    ptrace = os.path.join(src, d, "ptrace.rs")
    c = read_consts(ptrace)
    value = c[audit_const]
    computed = c[em_const]
    if is64:
        computed |= c["__AUDIT_ARCH_64BIT"]
    if le:
        computed |= c["__AUDIT_ARCH_LE"]
    if value != computed:
        sys.exit(f"{ptrace}: {audit_const} = {value:#x} but {em_const} and flags give {computed:#x}")
    return value


def hex_u32(v):
    h = f"{v:08x}"
    return f"0x{h[:4]}_{h[4:]}"


def render(d, variant, table, linux):
    out = []
    out.append(f"// @generated by `{COMMAND}`. Do not edit.")
    out.append(f"//")
    out.append(f"// Source: {SOURCE_CRATE} {SOURCE_VERSION}, src/{d}/general.rs,")
    out.append(f"// generated by bindgen from the Linux {linux} UAPI headers.")
    if linux in NEWER:
        out.append(f"// {NEWER[linux]}, so the table is also complete for it")
        out.append(f"// (see tools/gen-syscall-tables/README.md).")
    out.append("")
    out.append("use crate::sorted::{Row, Table};")
    out.append("")
    out.append(f"/// Every system call of `Arch::{variant}`, sorted by name (byte order).")
    out.append("pub static SYSCALLS: Table<u32> = Table::new(NAMES, &ROWS);")
    out.append("")
    text = spans.Text()
    rows = [spans.row(text, name, table[name]) for name in sorted(table, key=lambda n: n.encode())]
    out += text.render("NAMES", ["The names of [`SYSCALLS`], one after the other."])
    out.append("")
    out.append(f"static ROWS: [Row<u32>; {len(rows)}] = [")
    out += rows
    out.append("];")
    return "\n".join(out) + "\n"


def render_arch_facts(facts, linux):
    out = []
    out.append(f"// @generated by `{COMMAND}`. Do not edit.")
    out.append(f"//")
    out.append(f"// Source: {SOURCE_CRATE} {SOURCE_VERSION}, src/<arch>/ptrace.rs, generated by")
    out.append(f"// bindgen from the Linux {linux} UAPI headers <linux/audit.h> and")
    out.append(f"// <linux/elf-em.h>.")
    out.append("")
    out.append("use super::Arch;")
    out.append("")
    out.append("/// The `AUDIT_ARCH_*` value the kernel puts in `seccomp_data.arch`: the ELF")
    out.append("/// machine number with `__AUDIT_ARCH_64BIT` and `__AUDIT_ARCH_LE` as they apply.")
    out.append("pub(super) const fn audit_arch(arch: Arch) -> u32 {")
    out.append("    match arch {")
    for variant, audit_const, flags, audit in facts:
        out.append(f"        // {audit_const} = {' | '.join(flags)}")
        out.append(f"        Arch::{variant} => {hex_u32(audit)},")
    out.append("    }")
    out.append("}")
    return "\n".join(out) + "\n"


def const_str(name, value):
    # As rustfmt writes it: on one line if that fits in 100 columns, else
    # with the value on the next line.
    line = f'pub const {name}: &str = "{value}";'
    if len(line) <= 100:
        return line
    return f'pub const {name}: &str =\n    "{value}";'


def source_string(linux):
    note = f"; {NEWER[linux]}" if linux in NEWER else ""
    return f"{SOURCE_CRATE} {SOURCE_VERSION} (Linux {linux} UAPI headers{note})"


def write(path, text):
    old = None
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            old = f.read()
    if old != text:
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    return "unchanged" if old == text else "written"


def render_source(linux):
    out = [
        f"// @generated by `{COMMAND}`. Do not edit.",
        "",
        "/// Where the syscall tables come from: the source crate and the Linux",
        "/// version of the UAPI headers it was generated from.",
        const_str("SOURCE", source_string(linux)),
    ]
    return "\n".join(out) + "\n"


def render_signatures_source():
    out = [
        f"// @generated by `{COMMAND}`. Do not edit.",
        "",
        "/// Where the syscall signatures come from.",
        const_str("SIGNATURES_SOURCE", signatures.SOURCE),
    ]
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description="Generate the syscall tables.")
    parser.add_argument(
        "--headers-deb",
        metavar="FILE",
        help="a downloaded linux-headers-6.1.0-<N>-common .deb to read instead of fetching one",
    )
    args = parser.parse_args()
    src = linux_raw_sys_src()
    linux = linux_version(src)
    status = write(os.path.join(SYSCALLS_DIR, "source.rs"), render_source(linux))
    print(f"{'source.rs':12} {status}: {source_string(linux)}")
    status = write(os.path.join(OUT_DIR, "source.rs"), render_signatures_source())
    print(f"{'signatures source':12} {status}")
    facts = []
    tables = []
    for d, arch, variant, audit_const, em_const, is64, le in ARCHES:
        table = syscalls(src, d, arch)
        tables.append((arch, table))
        audit = audit_arch(src, d, audit_const, em_const, is64, le)
        flags = [em_const] + (["__AUDIT_ARCH_64BIT"] if is64 else []) + (["__AUDIT_ARCH_LE"] if le else [])
        facts.append((variant, audit_const, flags, audit))
        status = write(os.path.join(SYSCALLS_DIR, f"{arch}.rs"), render(d, variant, table, linux))
        print(f"{arch:12} {len(table):4} syscalls  {status}")
    status = write(ARCH_FACTS, render_arch_facts(facts, linux))
    print(f"{'arch facts':12} {status}")

    crate = f"{SOURCE_CRATE} {SOURCE_VERSION}"
    dirs = [(d, arch, variant) for d, arch, variant, *_ in ARCHES]
    counts = constants.generate(
        src, dirs, os.path.join(OUT_DIR, "constants"), ERRNO_DIR, write, COMMAND, crate, linux
    )
    for arch, (n_consts, n_errnos, status) in counts.items():
        print(f"{arch:12} {n_consts:4} constants, {n_errnos} errnos  {status}")

    sigs, package = signatures.generate(
        tables, os.path.join(OUT_DIR, "signatures"), write, COMMAND, args.headers_deb
    )
    print(f"signatures from {package}")
    for arch, (n_sigs, n_newer, without, status) in sigs.items():
        reasons = {}
        for reason in without.values():
            reasons[reason] = reasons.get(reason, 0) + 1
        detail = ", ".join(f"{r}: {n}" for r, n in sorted(reasons.items()))
        print(
            f"{arch:12} {n_sigs:4} signatures ({n_newer} newer than Linux 6.1);"
            f" none for {len(without)} ({detail})  {status}"
        )


if __name__ == "__main__":
    main()
