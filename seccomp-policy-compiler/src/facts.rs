//! Per-architecture facts the lowering needs besides syscall numbers:
//! parameter signatures, constants and errno numbers.
//!
//! A small hand-written subset, to be replaced by the generated tables.

use seccomp_policy_core::Arch;

/// One parameter of a syscall on one architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    /// The kernel's name for it.
    pub name: &'static str,
    /// Its slot in `seccomp_data.args`, or `None` when it has no fixed slot
    /// on this architecture.
    pub arg: Option<u8>,
    /// The width in bits the kernel reads it with.
    pub bits: u8,
    /// Whether it is a pointer.
    pub pointer: bool,
}

const fn p(name: &'static str, arg: u8, bits: u8, pointer: bool) -> Param {
    Param {
        name,
        arg: Some(arg),
        bits,
        pointer,
    }
}

/// The parameters of `syscall` on `arch`, if known.
pub fn signature(arch: Arch, syscall: &str) -> Option<&'static [Param]> {
    let w = if arch.is_64bit() { 64 } else { 32 };
    Some(match (syscall, arch, w) {
        ("socket", _, _) => {
            const S: &[Param] = &[
                p("family", 0, 32, false),
                p("type", 1, 32, false),
                p("protocol", 2, 32, false),
            ];
            S
        }
        ("ioctl", _, 64) => {
            const S: &[Param] = &[
                p("fd", 0, 32, false),
                p("cmd", 1, 32, false),
                p("arg", 2, 64, false),
            ];
            S
        }
        ("ioctl", _, _) => {
            const S: &[Param] = &[
                p("fd", 0, 32, false),
                p("cmd", 1, 32, false),
                p("arg", 2, 32, false),
            ];
            S
        }
        ("clone", Arch::S390x, _) => {
            const S: &[Param] = &[
                p("newsp", 0, 64, false),
                p("clone_flags", 1, 64, false),
                p("parent_tidptr", 2, 64, true),
                p("child_tidptr", 3, 64, true),
                p("tls", 4, 64, false),
            ];
            S
        }
        ("clone", _, 64) => {
            const S: &[Param] = &[
                p("clone_flags", 0, 64, false),
                p("newsp", 1, 64, false),
                p("parent_tidptr", 2, 64, true),
                p("child_tidptr", 3, 64, true),
                p("tls", 4, 64, false),
            ];
            S
        }
        ("clone", _, _) => {
            const S: &[Param] = &[
                p("clone_flags", 0, 32, false),
                p("newsp", 1, 32, false),
                p("parent_tidptr", 2, 32, true),
                p("tls", 3, 32, false),
                p("child_tidptr", 4, 32, true),
            ];
            S
        }
        ("clone3", _, 64) => {
            const S: &[Param] = &[p("uargs", 0, 64, true), p("size", 1, 64, false)];
            S
        }
        ("clone3", _, _) => {
            const S: &[Param] = &[p("uargs", 0, 32, true), p("size", 1, 32, false)];
            S
        }
        ("kill", _, _) => {
            const S: &[Param] = &[p("pid", 0, 32, false), p("sig", 1, 32, false)];
            S
        }
        ("prctl", _, 64) => {
            const S: &[Param] = &[
                p("option", 0, 32, false),
                p("arg2", 1, 64, false),
                p("arg3", 2, 64, false),
                p("arg4", 3, 64, false),
                p("arg5", 4, 64, false),
            ];
            S
        }
        ("prctl", _, _) => {
            const S: &[Param] = &[
                p("option", 0, 32, false),
                p("arg2", 1, 32, false),
                p("arg3", 2, 32, false),
                p("arg4", 3, 32, false),
                p("arg5", 4, 32, false),
            ];
            S
        }
        ("read", _, 64) => {
            const S: &[Param] = &[
                p("fd", 0, 32, false),
                p("buf", 1, 64, true),
                p("count", 2, 64, false),
            ];
            S
        }
        ("read", _, _) => {
            const S: &[Param] = &[
                p("fd", 0, 32, false),
                p("buf", 1, 32, true),
                p("count", 2, 32, false),
            ];
            S
        }
        ("pread64", Arch::X86 | Arch::Arm, _) => {
            const S: &[Param] = &[
                p("fd", 0, 32, false),
                p("buf", 1, 32, true),
                p("count", 2, 32, false),
                Param {
                    name: "pos",
                    arg: None,
                    bits: 32,
                    pointer: false,
                },
            ];
            S
        }
        ("pread64", _, _) => {
            const S: &[Param] = &[
                p("fd", 0, 32, false),
                p("buf", 1, 64, true),
                p("count", 2, 64, false),
                p("pos", 3, 64, false),
            ];
            S
        }
        _ => return None,
    })
}

/// The value of constant `name` on `arch`, if defined there.
pub fn constant(arch: Arch, name: &str) -> Option<i64> {
    let mips = arch == Arch::Mips64el;
    Some(match name {
        "AF_UNIX" => 1,
        "AF_INET" => 2,
        "AF_INET6" => 10,
        "AF_NETLINK" => 16,
        "AF_PACKET" => 17,
        "CLONE_VM" => 0x100,
        "CLONE_FS" => 0x200,
        "CLONE_FILES" => 0x400,
        "CLONE_SIGHAND" => 0x800,
        "CLONE_THREAD" => 0x10000,
        "CLONE_NEWUSER" => 0x1000_0000,
        "TIOCSTI" => 0x5412,
        "TIOCLINUX" => 0x541c,
        "PROT_READ" => 1,
        "PROT_WRITE" => 2,
        "PROT_EXEC" => 4,
        "SIGKILL" => 9,
        "AT_FDCWD" => -100,
        "SOCK_STREAM" if mips => 2,
        "SOCK_STREAM" => 1,
        "SOCK_DGRAM" if mips => 1,
        "SOCK_DGRAM" => 2,
        _ => return None,
    })
}

/// The number of errno `name` on `arch`, if defined there.
pub fn errno(arch: Arch, name: &str) -> Option<u16> {
    let mips = arch == Arch::Mips64el;
    Some(match name {
        "EPERM" => 1,
        "ENOENT" => 2,
        "EACCES" => 13,
        "EINVAL" => 22,
        "ENOSYS" if mips => 89,
        "ENOSYS" => 38,
        "EAFNOSUPPORT" if mips => 124,
        "EAFNOSUPPORT" => 97,
        _ => return None,
    })
}

/// Every constant name, for suggestions.
pub fn all_constant_names() -> Vec<&'static str> {
    let mut v = vec![
        "AF_UNIX",
        "AF_INET",
        "AF_INET6",
        "AF_NETLINK",
        "AF_PACKET",
        "CLONE_VM",
        "CLONE_FS",
        "CLONE_FILES",
        "CLONE_SIGHAND",
        "CLONE_THREAD",
        "CLONE_NEWUSER",
        "TIOCSTI",
        "TIOCLINUX",
        "PROT_READ",
        "PROT_WRITE",
        "PROT_EXEC",
        "SIGKILL",
        "AT_FDCWD",
        "SOCK_STREAM",
        "SOCK_DGRAM",
    ];
    v.sort_unstable();
    v
}

/// Every errno name, for suggestions.
pub fn all_errno_names() -> Vec<&'static str> {
    let mut v = vec![
        "EPERM",
        "ENOENT",
        "EACCES",
        "EINVAL",
        "ENOSYS",
        "EAFNOSUPPORT",
    ];
    v.sort_unstable();
    v
}
