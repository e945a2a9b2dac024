//! The architectures a policy is compiled for, and how the kernel names them.
//!
//! Each architecture has one name everywhere in this project: the one
//! [`Arch::name`] returns (`"x86_64"`, `"ppc64le"`, `"mips64el"`, ...), which
//! is also Debian's and the Rust target's spelling. Its `AUDIT_ARCH_*` value
//! comes from the generated module `arch/generated.rs`; word size and byte order
//! are read off that value's flags, so no fact is written twice.

mod generated;

/// A Linux architecture (syscall ABI) that filters are built for.
///
/// Each one is identified in `seccomp_data.arch` by its `AUDIT_ARCH_*` value
/// from `<linux/audit.h>` (an ELF machine number plus 64-bit and
/// little-endian flags). The values are checked against libseccomp's in the
/// workspace's differential tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Arch {
    /// x86-64, 64-bit ABI (`AUDIT_ARCH_X86_64`).
    X86_64,
    /// 32-bit x86, i386 ABI (`AUDIT_ARCH_I386`); also what an x86-64 process reaches through `int 0x80`.
    X86,
    /// 64-bit Arm (`AUDIT_ARCH_AARCH64`).
    Aarch64,
    /// 32-bit Arm EABI, little-endian (`AUDIT_ARCH_ARM`).
    Arm,
    /// 64-bit RISC-V (`AUDIT_ARCH_RISCV64`).
    Riscv64,
    /// 64-bit PowerPC, little-endian (`AUDIT_ARCH_PPC64LE`).
    Ppc64le,
    /// 64-bit IBM Z (`AUDIT_ARCH_S390X`).
    S390x,
    /// 64-bit LoongArch (`AUDIT_ARCH_LOONGARCH64`).
    Loongarch64,
    /// 64-bit MIPS, n64 ABI, little-endian (`AUDIT_ARCH_MIPSEL64`).
    Mips64el,
}

/// `__AUDIT_ARCH_64BIT` of `<linux/audit.h>`.
const AUDIT_ARCH_64BIT: u32 = 0x8000_0000;
/// `__AUDIT_ARCH_LE` of `<linux/audit.h>`.
const AUDIT_ARCH_LE: u32 = 0x4000_0000;

impl Arch {
    /// Every supported architecture, in a fixed order.
    pub const ALL: [Arch; 9] = [
        Arch::X86_64,
        Arch::X86,
        Arch::Aarch64,
        Arch::Arm,
        Arch::Riscv64,
        Arch::Ppc64le,
        Arch::S390x,
        Arch::Loongarch64,
        Arch::Mips64el,
    ];

    /// The architecture this crate is compiled for, if it is supported.
    pub const NATIVE: Option<Arch> = native();

    /// The `AUDIT_ARCH_*` value the kernel puts in `seccomp_data.arch`.
    pub const fn audit_arch(self) -> u32 {
        generated::audit_arch(self)
    }

    /// Whether the architecture's registers, and so its syscall arguments,
    /// are 64 bits wide (`__AUDIT_ARCH_64BIT`). On the others the kernel
    /// hands a filter arguments whose upper 32 bits are zero.
    pub const fn is_64bit(self) -> bool {
        self.audit_arch() & AUDIT_ARCH_64BIT != 0
    }

    /// Whether the architecture is little-endian (`__AUDIT_ARCH_LE`). A
    /// 64-bit argument in `seccomp_data` is stored in this byte order, so
    /// its low 32-bit word comes first on little-endian machines and second
    /// on big-endian ones (s390x).
    pub const fn is_little_endian(self) -> bool {
        self.audit_arch() & AUDIT_ARCH_LE != 0
    }

    /// The architecture whose `AUDIT_ARCH_*` value is `audit_arch`.
    pub const fn from_audit_arch(audit_arch: u32) -> Option<Arch> {
        let mut i = 0;
        while i < Arch::ALL.len() {
            if Arch::ALL[i].audit_arch() == audit_arch {
                return Some(Arch::ALL[i]);
            }
            i += 1;
        }
        None
    }

    /// The architecture's name in this project (`"x86_64"`, `"aarch64"`,
    /// `"mips64el"`, ...): in the syscall tables, on the command line and in
    /// reports.
    pub const fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::X86 => "x86",
            Arch::Aarch64 => "aarch64",
            Arch::Arm => "arm",
            Arch::Riscv64 => "riscv64",
            Arch::Ppc64le => "ppc64le",
            Arch::S390x => "s390x",
            Arch::Loongarch64 => "loongarch64",
            Arch::Mips64el => "mips64el",
        }
    }

    /// libseccomp's name for the architecture (`seccomp_arch_resolve_name`),
    /// which OCI profiles also use upper-cased after `SCMP_ARCH_`. It
    /// differs from [`name`](Arch::name) only for `x86` (libseccomp: `x86`
    /// too) and `mips64el` (libseccomp: `mipsel64`).
    pub const fn libseccomp_name(self) -> &'static str {
        match self {
            Arch::Mips64el => "mipsel64",
            other => other.name(),
        }
    }

    /// The architecture with the given [`name`](Arch::name).
    pub fn from_name(name: &str) -> Option<Arch> {
        Arch::ALL.into_iter().find(|a| a.name() == name)
    }
}

impl core::fmt::Display for Arch {
    /// The architecture's [`name`](Arch::name).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

const fn native() -> Option<Arch> {
    if cfg!(target_arch = "x86_64") && cfg!(target_pointer_width = "64") {
        Some(Arch::X86_64)
    } else if cfg!(target_arch = "x86") {
        Some(Arch::X86)
    } else if cfg!(target_arch = "aarch64") {
        Some(Arch::Aarch64)
    } else if cfg!(target_arch = "arm") {
        Some(Arch::Arm)
    } else if cfg!(target_arch = "riscv64") {
        Some(Arch::Riscv64)
    } else if cfg!(all(target_arch = "powerpc64", target_endian = "little")) {
        Some(Arch::Ppc64le)
    } else if cfg!(target_arch = "s390x") {
        Some(Arch::S390x)
    } else if cfg!(target_arch = "loongarch64") {
        Some(Arch::Loongarch64)
    } else if cfg!(all(target_arch = "mips64", target_endian = "little")) {
        Some(Arch::Mips64el)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_values_match_the_header() {
        // Transcribed from <linux/audit.h>; libseccomp's values are compared
        // for every architecture in the workspace's differential tests.
        assert_eq!(Arch::X86_64.audit_arch(), 0xC000_003E);
        assert_eq!(Arch::X86.audit_arch(), 0x4000_0003);
        assert_eq!(Arch::Aarch64.audit_arch(), 0xC000_00B7);
        assert_eq!(Arch::Arm.audit_arch(), 0x4000_0028);
    }

    #[test]
    fn word_size_and_byte_order_follow_the_audit_flags() {
        let is64: Vec<_> = Arch::ALL.iter().map(|a| a.is_64bit()).collect();
        assert_eq!(
            is64,
            [true, false, true, false, true, true, true, true, true]
        );
        let big: Vec<_> = Arch::ALL.iter().filter(|a| !a.is_little_endian()).collect();
        assert_eq!(big, [&Arch::S390x]);
        for a in Arch::ALL {
            assert_eq!(Arch::from_audit_arch(a.audit_arch()), Some(a));
        }
        assert_eq!(Arch::from_audit_arch(0), None);
    }

    #[test]
    fn names_round_trip() {
        for a in Arch::ALL {
            assert_eq!(Arch::from_name(a.name()), Some(a));
        }
        assert_eq!(Arch::from_name("sparc"), None);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn native_is_x86_64_here() {
        assert_eq!(Arch::NATIVE, Some(Arch::X86_64));
    }
}
