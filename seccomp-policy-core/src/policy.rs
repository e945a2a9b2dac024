//! The compiled form of a policy file, as `seccomp_policy!` expands it.
//!
//! A policy has a `base` set every harness gets and named capabilities
//! ("caps") that each add syscalls. The macro resolves every name to its
//! number on every supported [`Arch`] and emits one [`Policy`] whose
//! [`ArchPolicy`] entries hold sorted number slices. A choice of caps is a
//! `u64` bit mask: bit `i` grants `cap_names[i]`.

use core::fmt;

use crate::arch::Arch;
use crate::bpf::Program;
use crate::builder::{build, Action, BuildError, MAX_SETS};

// Base, extra and every cap fit the builder's sets.
const _: () = assert!(MAX_SETS == MAX_CAPS + 2);

/// Most caps a policy can have: one bit each in a `u64`.
pub const MAX_CAPS: usize = 64;

/// The syscall numbers of a policy on one architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArchPolicy {
    /// The architecture these numbers belong to.
    pub arch: Arch,
    /// Numbers every harness is allowed, sorted ascending.
    pub base: &'static [u32],
    /// Numbers each cap adds, sorted ascending; `caps[i]` belongs to
    /// [`Policy::cap_names`]`[i]`.
    pub caps: &'static [&'static [u32]],
    /// Names in the policy that do not exist on this architecture (skipped).
    pub missing: &'static [&'static str],
}

/// A whole policy: its source file, its caps and its numbers per architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The policy file, as given to the macro.
    pub file: &'static str,
    /// Cap names in bit order: bit `i` of a cap mask is `cap_names[i]`.
    pub cap_names: &'static [&'static str],
    /// One entry per supported architecture.
    pub arches: &'static [ArchPolicy],
}

/// A cap name that the policy does not define; `S` is the name as it was
/// given (a `&str`, a `String`, ...), so no copy is made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownCap<S> {
    /// The name asked for.
    pub name: S,
    /// The caps the policy defines.
    pub known: &'static [&'static str],
}

impl<S: AsRef<str>> fmt::Display for UnknownCap<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown capability `{}`", self.name.as_ref())?;
        if self.known.is_empty() {
            return f.write_str(" (the policy defines none)");
        }
        f.write_str(" (known: ")?;
        for (i, name) in self.known.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(name)?;
        }
        f.write_str(")")
    }
}

impl<S: AsRef<str> + fmt::Debug> core::error::Error for UnknownCap<S> {}

/// Whether two architectures are the same, usable in `const fn`.
const fn same_arch(a: Arch, b: Arch) -> bool {
    a as u8 == b as u8
}

impl Policy {
    /// The numbers for `arch`, if the policy was compiled for it.
    pub const fn arch(&self, arch: Arch) -> Option<&ArchPolicy> {
        let mut i = 0;
        while i < self.arches.len() {
            if same_arch(self.arches[i].arch, arch) {
                return Some(&self.arches[i]);
            }
            i += 1;
        }
        None
    }

    /// The numbers for the architecture this crate is compiled for
    /// ([`Arch::NATIVE`]), if supported.
    pub const fn native(&self) -> Option<&ArchPolicy> {
        match Arch::NATIVE {
            Some(a) => self.arch(a),
            None => None,
        }
    }

    /// The cap mask for a list of cap names, e.g. from a command line.
    /// Repeated names are fine; the first unknown name is an error.
    pub fn cap_bits<I, S>(&self, names: I) -> Result<u64, UnknownCap<S>>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut bits = 0u64;
        for name in names {
            match self.cap_names.iter().position(|c| *c == name.as_ref()) {
                Some(i) if i < MAX_CAPS => bits |= 1 << i,
                _ => {
                    return Err(UnknownCap {
                        name,
                        known: self.cap_names,
                    })
                }
            }
        }
        Ok(bits)
    }

    /// The names of the caps set in `caps`, in bit order (bits with no cap
    /// are skipped); for reports of what a harness was granted.
    pub fn cap_names_of(&self, caps: u64) -> impl Iterator<Item = &'static str> {
        let names = self.cap_names;
        names
            .iter()
            .enumerate()
            .filter(move |(i, _)| *i < MAX_CAPS && caps & (1 << i) != 0)
            .map(|(_, n)| *n)
    }
}

impl ArchPolicy {
    /// Whether `nr` is allowed with the caps in `caps`: plain membership in
    /// `base` or a selected cap's set. This is the reference the generated
    /// filters are checked against; it does not look at the architecture
    /// check or the `extra` numbers of [`program`](ArchPolicy::program).
    pub fn allows(&self, caps: u64, nr: u32) -> bool {
        self.base.contains(&nr)
            || self
                .caps
                .iter()
                .enumerate()
                .any(|(i, set)| i < MAX_CAPS && caps & (1 << i) != 0 && set.contains(&nr))
    }

    /// An upper bound of how many numbers a program can allow: the length of
    /// `base` plus that of every cap (duplicates counted). Size buffers with
    /// [`capacity_for`](crate::builder::capacity_for)`(max_numbers() + extra.len())`.
    pub const fn max_numbers(&self) -> usize {
        let mut n = self.base.len();
        let mut i = 0;
        while i < self.caps.len() {
            n += self.caps[i].len();
            i += 1;
        }
        n
    }

    /// Builds the filter allowing `base`, the caps selected by `caps` and
    /// `extra` (sorted ascending; the spawn path passes `execve` here so the
    /// `exec` that starts the harness passes), denying everything else with
    /// `deny`. Bits of `caps` with no cap are ignored.
    ///
    /// A `const fn` that neither allocates nor panics: usable for a
    /// `static` and between `fork` and `exec`. See [`build`] for the program
    /// and the errors.
    pub const fn program<const N: usize>(
        &self,
        caps: u64,
        extra: &[u32],
        deny: Action,
    ) -> Result<Program<N>, BuildError> {
        let empty: &[u32] = &[];
        let mut sets: [&[u32]; MAX_SETS] = [empty; MAX_SETS];
        sets[0] = self.base;
        sets[1] = extra;
        let mut n = 2;
        let mut i = 0;
        while i < self.caps.len() && i < MAX_CAPS {
            if caps & (1 << i) != 0 {
                sets[n] = self.caps[i];
                n += 1;
            }
            i += 1;
        }
        build::<N>(self.arch, sets.split_at(n).0, deny)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::capacity_for;
    use crate::sim::{run, SeccompData};

    static X86_64: ArchPolicy = ArchPolicy {
        arch: Arch::X86_64,
        base: &[0, 1, 3, 60, 231],
        caps: &[&[41, 42, 44, 45], &[2, 257]],
        missing: &[],
    };
    static AARCH64: ArchPolicy = ArchPolicy {
        arch: Arch::Aarch64,
        base: &[57, 63, 64, 93, 94],
        caps: &[&[198, 203, 206, 207], &[56]],
        missing: &["open"],
    };
    static POLICY: Policy = Policy {
        file: "policy/seccomp.toml",
        cap_names: &["net", "fs"],
        arches: &[X86_64, AARCH64],
    };

    #[test]
    fn arch_lookup() {
        assert_eq!(POLICY.arch(Arch::Aarch64).unwrap().missing, &["open"]);
        assert_eq!(POLICY.arch(Arch::X86_64).unwrap().base[0], 0);
        assert!(POLICY.arch(Arch::S390x).is_none());
        #[cfg(target_arch = "x86_64")]
        assert_eq!(POLICY.native().unwrap().arch, Arch::X86_64);
    }

    #[test]
    fn cap_bits_and_names() {
        assert_eq!(POLICY.cap_bits(["fs"]), Ok(0b10));
        assert_eq!(POLICY.cap_bits(["fs", "net", "fs"]), Ok(0b11));
        assert_eq!(POLICY.cap_bits(Vec::<String>::new()), Ok(0));
        let e = POLICY.cap_bits(["net", "nett"]).unwrap_err();
        assert_eq!(e.name, "nett");
        assert_eq!(e.to_string(), "unknown capability `nett` (known: net, fs)");
        assert_eq!(POLICY.cap_names_of(0b10).collect::<Vec<_>>(), ["fs"]);
        assert_eq!(POLICY.cap_names_of(u64::MAX).count(), 2);
    }

    #[test]
    fn allows_is_membership() {
        assert!(X86_64.allows(0, 60));
        assert!(!X86_64.allows(0, 41));
        assert!(X86_64.allows(0b01, 41));
        assert!(!X86_64.allows(0b01, 257));
        assert!(X86_64.allows(0b11, 257));
        assert!(!X86_64.allows(u64::MAX, 59));
        assert_eq!(X86_64.max_numbers(), 11);
    }

    #[test]
    fn program_matches_membership() {
        const N: usize = capacity_for(12);
        for caps in 0..4u64 {
            for (ap, extra) in [(&X86_64, 59u32), (&AARCH64, 221)] {
                let p = ap
                    .program::<N>(caps, &[extra], Action::KillProcess)
                    .unwrap();
                for nr in 0..400u32 {
                    let d = SeccompData::new(nr as i32, ap.arch.audit_arch());
                    let r = run(p.as_slice(), &d).unwrap();
                    let want = ap.allows(caps, nr) || nr == extra;
                    assert_eq!(r.ret == crate::bpf::SECCOMP_RET_ALLOW, want, "{caps} {nr}");
                }
            }
        }
    }

    #[test]
    fn program_in_a_static() {
        static P: Program<{ capacity_for(11) }> =
            match X86_64.program(0b11, &[], Action::KillProcess) {
                Ok(p) => p,
                Err(e) => panic!("{}", e.message()),
            };
        assert!(P.len() > 4);
    }
}
