//! Names to numbers: the checked policy resolved on every architecture.

use crate::model::Policy;
use crate::tables::{self, ArchTable};

/// The policy's number sets on one architecture.
pub struct ArchSets {
    /// The table the numbers come from.
    pub table: &'static ArchTable,
    /// `[base].allow`, sorted and de-duplicated.
    pub base: Vec<u32>,
    /// Each cap's `allow`, sorted and de-duplicated, in declaration order.
    pub caps: Vec<Vec<u32>>,
    /// Policy names this architecture does not have, sorted and de-duplicated.
    /// They are skipped on this architecture, not an error: `open` exists on
    /// x86_64 but aarch64 only has `openat`.
    pub missing: Vec<String>,
}

impl ArchSets {
    /// How many distinct numbers base and all caps allow together.
    pub fn union_len(&self) -> usize {
        let mut all: Vec<u32> = self
            .base
            .iter()
            .chain(self.caps.iter().flatten())
            .copied()
            .collect();
        all.sort_unstable();
        all.dedup();
        all.len()
    }
}

/// Resolves `policy` on every supported architecture, in table order.
pub fn resolve(policy: &Policy) -> Vec<ArchSets> {
    tables::ARCHES
        .iter()
        .map(|table| {
            let mut missing = Vec::new();
            let mut numbers = |names: &[crate::model::Syscall]| {
                let mut out: Vec<u32> = names
                    .iter()
                    .filter_map(|s| {
                        let nr = tables::lookup(table, &s.name);
                        if nr.is_none() {
                            missing.push(s.name.clone());
                        }
                        nr
                    })
                    .collect();
                out.sort_unstable();
                out.dedup();
                out
            };
            let base = numbers(&policy.base);
            let caps = policy.caps.iter().map(|c| numbers(&c.allow)).collect();
            missing.sort();
            missing.dedup();
            ArchSets {
                table,
                base,
                caps,
                missing,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CapTable, Loc, Syscall};
    use seccomp_policy_core::Arch;

    fn names(list: &[&str]) -> Vec<Syscall> {
        list.iter()
            .map(|n| Syscall {
                name: n.to_string(),
                loc: Loc { line: 1, col: 1 },
            })
            .collect()
    }

    fn arch(sets: &[ArchSets], arch: Arch) -> &ArchSets {
        sets.iter()
            .find(|s| s.table.arch == arch)
            .expect("architecture present")
    }

    #[test]
    fn numbers_are_sorted_deduplicated_and_per_arch() {
        // Numbers from the kernel's arch/x86/entry/syscalls/syscall_64.tbl and
        // include/uapi/asm-generic/unistd.h (which aarch64 uses).
        let policy = Policy {
            base: names(&["write", "read", "openat", "open"]),
            caps: vec![CapTable {
                name: "NET".into(),
                loc: Loc { line: 1, col: 1 },
                allow: names(&["socket", "connect"]),
            }],
        };
        let sets = resolve(&policy);
        let x86_64 = arch(&sets, Arch::X86_64);
        assert_eq!(x86_64.base, vec![0, 1, 2, 257]);
        assert_eq!(x86_64.caps, vec![vec![41, 42]]);
        assert!(x86_64.missing.is_empty());
        let aarch64 = arch(&sets, Arch::Aarch64);
        assert_eq!(aarch64.base, vec![56, 63, 64]);
        assert_eq!(aarch64.caps, vec![vec![198, 203]]);
        assert_eq!(aarch64.missing, vec!["open".to_string()]);
        assert_eq!(x86_64.union_len(), 6);
    }

    #[test]
    fn every_supported_architecture_is_resolved() {
        let sets = resolve(&Policy {
            base: names(&["read"]),
            caps: vec![],
        });
        // `read` per architecture, from the kernel's syscall tables
        // (arch/*/entry/syscalls/*.tbl, asm-generic/unistd.h for the
        // generic ones, and 5000 + 0 for mips n64).
        let got: Vec<(Arch, Vec<u32>)> = sets
            .iter()
            .map(|s| (s.table.arch, s.base.clone()))
            .collect();
        assert_eq!(
            got,
            [
                (Arch::X86_64, vec![0]),
                (Arch::X86, vec![3]),
                (Arch::Aarch64, vec![63]),
                (Arch::Arm, vec![3]),
                (Arch::Riscv64, vec![63]),
                (Arch::Ppc64le, vec![3]),
                (Arch::S390x, vec![3]),
                (Arch::Loongarch64, vec![63]),
                (Arch::Mips64el, vec![5000]),
            ]
        );
    }
}
