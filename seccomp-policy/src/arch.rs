//! The architectures a policy is compiled for, and how the kernel names them.

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
    Powerpc64le,
    /// 64-bit IBM Z (`AUDIT_ARCH_S390X`).
    S390x,
    /// 64-bit LoongArch (`AUDIT_ARCH_LOONGARCH64`).
    Loongarch64,
    /// 64-bit MIPS, n64 ABI, little-endian (`AUDIT_ARCH_MIPSEL64`).
    Mips64el,
}

const AUDIT_ARCH_64BIT: u32 = 0x8000_0000;
const AUDIT_ARCH_LE: u32 = 0x4000_0000;

impl Arch {
    /// Every supported architecture, in a fixed order.
    pub const ALL: [Arch; 9] = [
        Arch::X86_64,
        Arch::X86,
        Arch::Aarch64,
        Arch::Arm,
        Arch::Riscv64,
        Arch::Powerpc64le,
        Arch::S390x,
        Arch::Loongarch64,
        Arch::Mips64el,
    ];

    /// The architecture this crate is compiled for, if it is supported.
    pub const NATIVE: Option<Arch> = native();

    /// The `AUDIT_ARCH_*` value the kernel puts in `seccomp_data.arch`.
    pub const fn audit_arch(self) -> u32 {
        // ELF machine numbers (EM_*) from <linux/elf-em.h>.
        match self {
            Arch::X86_64 => 62 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE,
            Arch::X86 => 3 | AUDIT_ARCH_LE,
            Arch::Aarch64 => 183 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE,
            Arch::Arm => 40 | AUDIT_ARCH_LE,
            Arch::Riscv64 => 243 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE,
            Arch::Powerpc64le => 21 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE,
            Arch::S390x => 22 | AUDIT_ARCH_64BIT,
            Arch::Loongarch64 => 258 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE,
            Arch::Mips64el => 8 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE,
        }
    }

    /// The name used in syscall tables and by libseccomp (`"x86_64"`, `"aarch64"`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::X86 => "x86",
            Arch::Aarch64 => "aarch64",
            Arch::Arm => "arm",
            Arch::Riscv64 => "riscv64",
            Arch::Powerpc64le => "ppc64le",
            Arch::S390x => "s390x",
            Arch::Loongarch64 => "loongarch64",
            Arch::Mips64el => "mipsel64",
        }
    }

    /// The architecture with the given [`name`](Arch::name).
    pub fn from_name(name: &str) -> Option<Arch> {
        Arch::ALL.into_iter().find(|a| a.name() == name)
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
        Some(Arch::Powerpc64le)
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
