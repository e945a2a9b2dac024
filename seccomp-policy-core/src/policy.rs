//! The compiled form of a policy file, as `seccomp_policy!` expands it.
//!
//! A policy has a `base` table every harness gets and named capabilities
//! ("caps") that each add rules, plus a default action for every call no
//! rule decides. The macro resolves every rule on every supported [`Arch`]
//! and emits one [`Policy`] whose [`ArchPolicy`] entries hold a
//! [`RuleSet`] per table. A choice of caps is a `u64` bit mask: bit `i`
//! grants `cap_names[i]`. Selecting a cap set's rule sets is this module's
//! job; the builder knows nothing of caps.

use core::fmt;

use crate::arch::Arch;
use crate::bpf::Program;
use crate::builder::{build, capacity_for, BuildError, MAX_SETS};
use crate::reach::Reach;
use crate::rule::{verdict, Action, RuleSet};
use crate::syscalls;

/// Most caps a policy can have: one bit each in a `u64`.
pub const MAX_CAPS: usize = 64;

// Base, the caller's extra set and every cap fit the builder's sets.
const _: () = assert!(MAX_SETS == MAX_CAPS + 2);

/// The bit of the cap declared `i`-th (from 0) in a cap mask: cap `i` is
/// bit `i`, so only the first [`MAX_CAPS`] caps have one.
pub const fn cap_bit(i: usize) -> Option<u64> {
    if i < MAX_CAPS {
        Some(1 << i)
    } else {
        None
    }
}

/// Whether the cap declared `i`-th is set in `caps` (see [`cap_bit`]).
pub const fn has_cap(caps: u64, i: usize) -> bool {
    match cap_bit(i) {
        Some(bit) => caps & bit != 0,
        None => false,
    }
}

/// The rules the spawn path adds to a policy's on `arch`: that
/// architecture's `execve`, so that the command can start (the filter is
/// installed before the `execve` that runs it). The one definition: the
/// run time's `spawn::SPAWN_RULES` is this of the native architecture, and
/// the front end and the command-line tool build the spawn path's programs
/// of every architecture with it. Pass it as `extra` to
/// [`ArchPolicy::program`].
pub const fn spawn_rules(arch: Arch) -> RuleSet<'static> {
    /// Every architecture's `execve`, in [`Arch::ALL`] order.
    const EXECVE: [[u32; 1]; Arch::ALL.len()] = {
        let mut numbers = [[0]; Arch::ALL.len()];
        let mut i = 0;
        while i < Arch::ALL.len() {
            numbers[i] = match syscalls::number(Arch::ALL[i], "execve") {
                Some(nr) => [nr],
                None => panic!("an architecture without execve"),
            };
            i += 1;
        }
        numbers
    };
    static SPAWN: [RuleSet<'static>; Arch::ALL.len()] = {
        let mut sets = [RuleSet::EMPTY; Arch::ALL.len()];
        let mut i = 0;
        while i < Arch::ALL.len() {
            sets[i] = RuleSet {
                allow: &EXECVE[i],
                rules: &[],
            };
            i += 1;
        }
        sets
    };
    SPAWN[arch as usize]
}

/// How many unconditional rules a program may add to a policy's own: the
/// spawn path's [`spawn_rules`] and the supervisor's handshake call.
/// Every program's bound ([`ArchPolicy::capacity`]) and the front end's
/// check that every program can be built allow for this many.
pub const EXTRA_RULES: usize = 2;

const _: () = {
    let mut i = 0;
    while i < Arch::ALL.len() {
        assert!(spawn_rules(Arch::ALL[i]).allow.len() < EXTRA_RULES);
        i += 1;
    }
};

/// The rules of a policy on one architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArchPolicy<'a> {
    /// The architecture these rules belong to.
    pub arch: Arch,
    /// What a call no rule decides gets (`default = "..."` in the file;
    /// `kill-process` when the file does not say). Per architecture because
    /// errno numbers differ between architectures. A harness may build
    /// programs with another default.
    pub default: Action,
    /// `[base]`: what every harness gets.
    pub base: RuleSet<'a>,
    /// What each cap adds; `caps[i]` belongs to [`Policy::cap_names`]`[i]`.
    pub caps: &'a [RuleSet<'a>],
    /// Syscall names in the policy that do not exist on this architecture
    /// (their rules are skipped here).
    pub missing: &'a [&'a str],
}

/// A whole policy: its source file, its caps and its rules per architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy<'a> {
    /// The policy file, as given to the macro.
    pub file: &'a str,
    /// Cap names in bit order: bit `i` of a cap mask is `cap_names[i]`.
    pub cap_names: &'a [&'a str],
    /// One entry per supported architecture.
    pub arches: &'a [ArchPolicy<'a>],
    /// Files and ports per table, the same on every architecture:
    /// `reach[0]` is `[base]`'s, `reach[1 + i]` that of `cap_names[i]`.
    /// Empty when the policy was built without them (every table then
    /// reaches as [`Reach::NONE`]).
    pub reach: &'a [Reach<'a>],
}

/// A cap name that the policy does not define; `S` is the name as it was
/// given (a `&str`, a `String`, ...), so no copy is made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownCap<'a, S> {
    /// The name asked for.
    pub name: S,
    /// The caps the policy defines.
    pub known: &'a [&'a str],
}

impl<S: AsRef<str>> fmt::Display for UnknownCap<'_, S> {
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

impl<S: AsRef<str> + fmt::Debug> core::error::Error for UnknownCap<'_, S> {}

/// Whether two architectures are the same, usable in `const fn`.
const fn same_arch(a: Arch, b: Arch) -> bool {
    a as u8 == b as u8
}

/// Whether two strings are equal, usable in `const fn`.
const fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

impl<'a> Policy<'a> {
    /// The rules for `arch`, if the policy was compiled for it.
    pub const fn arch(&self, arch: Arch) -> Option<&ArchPolicy<'a>> {
        let mut i = 0;
        while i < self.arches.len() {
            if same_arch(self.arches[i].arch, arch) {
                return Some(&self.arches[i]);
            }
            i += 1;
        }
        None
    }

    /// What the tables granted by `caps` (bit `i`: `cap_names[i]`) reach,
    /// `[base]` first, then each granted cap in bit order.
    pub fn granted_reach(&self, caps: u64) -> impl Iterator<Item = &Reach<'a>> {
        self.reach
            .iter()
            .enumerate()
            .filter(move |&(i, _)| i == 0 || has_cap(caps, i - 1))
            .map(|(_, r)| r)
    }

    /// The rules for the architecture this crate is compiled for
    /// ([`Arch::NATIVE`]), if supported.
    pub const fn native(&self) -> Option<&ArchPolicy<'a>> {
        match Arch::NATIVE {
            Some(a) => self.arch(a),
            None => None,
        }
    }

    /// The bit of the cap called `name`, if the policy has one.
    pub const fn cap_bit(&self, name: &str) -> Option<u64> {
        let mut i = 0;
        while i < self.cap_names.len() {
            if same_str(self.cap_names[i], name) {
                return cap_bit(i);
            }
            i += 1;
        }
        None
    }

    /// The mask of every cap of the policy.
    pub const fn all_caps(&self) -> u64 {
        let n = self.cap_names.len();
        if n >= MAX_CAPS {
            u64::MAX
        } else {
            (1u64 << n) - 1
        }
    }

    /// The cap mask for a list of cap names, e.g. from a command line.
    /// Repeated names are fine.
    ///
    /// # Errors
    ///
    /// The first name the policy does not define.
    pub fn cap_bits<I, S>(&self, names: I) -> Result<u64, UnknownCap<'a, S>>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut bits = 0u64;
        for name in names {
            match self.cap_bit(name.as_ref()) {
                Some(bit) => bits |= bit,
                None => {
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
    pub fn cap_names_of(&self, caps: u64) -> impl Iterator<Item = &'a str> + 'a {
        self.cap_names
            .iter()
            .enumerate()
            .filter(move |(i, _)| has_cap(caps, *i))
            .map(|(_, n)| *n)
    }
}

/// The rule sets of one cap selection: what the builder joins.
#[derive(Clone, Copy, Debug)]
pub struct Selection<'a> {
    sets: [RuleSet<'a>; MAX_SETS],
    len: usize,
}

impl<'a> Selection<'a> {
    /// The selected sets: base, the extra set, then each granted cap's.
    pub const fn as_slice(&self) -> &[RuleSet<'a>] {
        self.sets.split_at(self.len).0
    }
}

impl<'a> ArchPolicy<'a> {
    /// The rule sets granted by `caps`, with the caller's `extra` set (the
    /// spawn path's `execve`; [`RuleSet::EMPTY`] for none). Bits of `caps`
    /// with no cap are ignored. No allocation.
    pub const fn select(&self, caps: u64, extra: RuleSet<'a>) -> Selection<'a> {
        let mut sets = [RuleSet::EMPTY; MAX_SETS];
        sets[0] = self.base;
        sets[1] = extra;
        let mut n = 2;
        let mut i = 0;
        while i < self.caps.len() && i < MAX_CAPS {
            if has_cap(caps, i) {
                sets[n] = self.caps[i];
                n += 1;
            }
            i += 1;
        }
        Selection { sets, len: n }
    }

    /// What a program for `caps` (plus `extra`, with `default`) does with a
    /// call of `nr` with `args`: the policy's meaning, evaluated directly
    /// (see [`verdict`]). Used to explain a denial, and as the reference the
    /// programs are checked against.
    pub const fn verdict(
        &self,
        caps: u64,
        extra: RuleSet<'a>,
        nr: u32,
        args: &[u64; 6],
        default: Action,
    ) -> Action {
        verdict(self.select(caps, extra).as_slice(), nr, args, default)
    }

    /// An upper bound of the length of any program of this policy on this
    /// architecture, whatever the caps, with up to `extra` more
    /// unconditional rules; size a `Program<N>` with it.
    pub const fn capacity(&self, extra: usize) -> usize {
        let mut sets = [RuleSet::EMPTY; MAX_SETS];
        sets[0] = self.base;
        let mut n = 1;
        while n <= self.caps.len() && n < MAX_SETS {
            sets[n] = self.caps[n - 1];
            n += 1;
        }
        capacity_for(sets.split_at(n).0, extra)
    }

    /// Builds the filter for the caps in `caps` and the caller's `extra`
    /// set; any call no rule decides gets `default`.
    ///
    /// A `const fn` that neither allocates nor panics: usable for a
    /// `static` and between `fork` and `exec`. See [`build`] for the
    /// program.
    ///
    /// # Errors
    ///
    /// As [`build`]'s.
    pub const fn program<const N: usize>(
        &self,
        caps: u64,
        extra: RuleSet<'a>,
        default: Action,
    ) -> Result<Program<N>, BuildError> {
        build::<N>(self.arch, self.select(caps, extra).as_slice(), default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spawn_rules_allow_each_architectures_execve() {
        // arch/x86/entry/syscalls/syscall_64.tbl and syscall_32.tbl,
        // include/uapi/asm-generic/unistd.h (aarch64, riscv64, loongarch64),
        // arch/arm/tools/syscall.tbl, arch/powerpc and arch/s390's
        // syscall.tbl, arch/mips/kernel/syscalls/syscall_n64.tbl (5000 + 57).
        let expected = [
            (Arch::X86_64, 59),
            (Arch::X86, 11),
            (Arch::Aarch64, 221),
            (Arch::Arm, 11),
            (Arch::Riscv64, 221),
            (Arch::Ppc64le, 11),
            (Arch::S390x, 11),
            (Arch::Loongarch64, 221),
            (Arch::Mips64el, 5057),
        ];
        assert_eq!(expected.len(), Arch::ALL.len());
        for (arch, execve) in expected {
            let spawn = spawn_rules(arch);
            assert_eq!(spawn.allow, [execve], "{arch}");
            assert!(spawn.rules.is_empty(), "{arch}");
            assert!(spawn.allow.len() + spawn.rules.len() < EXTRA_RULES);
        }
    }

    #[test]
    fn cap_i_is_bit_i() {
        assert_eq!(cap_bit(0), Some(1));
        assert_eq!(cap_bit(5), Some(1 << 5));
        assert_eq!(cap_bit(MAX_CAPS - 1), Some(1 << 63));
        assert_eq!(cap_bit(MAX_CAPS), None);
        assert_eq!(cap_bit(usize::MAX), None);
        assert!(has_cap(0b100, 2));
        assert!(!has_cap(0b100, 1));
        assert!(!has_cap(u64::MAX, MAX_CAPS));
    }
    use crate::rule::{ArgCmp, CmpOp, Rule, When};
    use crate::sim::{run, SeccompData};

    const THREAD: [ArgCmp; 1] = [ArgCmp {
        arg: 0,
        bits: 64,
        op: CmpOp::MaskedNe(0x10000),
        value: 0,
    }];
    const THREAD_ALTS: [&[ArgCmp]; 1] = [&THREAD];
    static X86_64: ArchPolicy = ArchPolicy {
        arch: Arch::X86_64,
        default: Action::KillProcess,
        base: RuleSet {
            allow: &[0, 1, 3, 60, 231],
            rules: &[
                Rule {
                    nr: 56,
                    when: When::AnyOf(&THREAD_ALTS),
                    action: Action::Allow,
                    order: 10,
                },
                Rule {
                    nr: 435,
                    when: When::Always,
                    action: Action::Errno(38),
                    order: 20,
                },
            ],
        },
        caps: &[
            RuleSet {
                allow: &[41, 42, 44, 45],
                rules: &[],
            },
            RuleSet {
                allow: &[2, 56, 257],
                rules: &[],
            },
        ],
        missing: &[],
    };
    static AARCH64: ArchPolicy = ArchPolicy {
        arch: Arch::Aarch64,
        default: Action::KillProcess,
        base: RuleSet {
            allow: &[57, 63, 64, 93, 94],
            rules: &[],
        },
        caps: &[
            RuleSet {
                allow: &[198, 203, 206, 207],
                rules: &[],
            },
            RuleSet {
                allow: &[56],
                rules: &[],
            },
        ],
        missing: &["open"],
    };
    static POLICY: Policy = Policy {
        file: "policy/seccomp.toml",
        cap_names: &["net", "fs"],
        arches: &[X86_64, AARCH64],
        reach: &[
            Reach::NONE,
            Reach {
                net: true,
                connect: &["443"],
                ..Reach::NONE
            },
            Reach {
                fs: true,
                write: &["$WORKDIR"],
                ..Reach::NONE
            },
        ],
    };

    #[test]
    fn granted_reach_is_base_then_the_granted_caps() {
        let nets = |caps| POLICY.granted_reach(caps).filter(|r| r.net).count();
        let all = |caps| POLICY.granted_reach(caps).count();
        assert_eq!((all(0), all(0b01), all(0b10), all(0b11)), (1, 2, 2, 3));
        assert_eq!((nets(0), nets(0b01), nets(0b10)), (0, 1, 0));
    }

    #[test]
    fn arch_lookup() {
        assert_eq!(POLICY.arch(Arch::Aarch64).unwrap().missing, &["open"]);
        assert_eq!(POLICY.arch(Arch::X86_64).unwrap().base.allow[0], 0);
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
        assert_eq!(POLICY.cap_bit("fs"), Some(0b10));
        assert_eq!(POLICY.cap_bit("f"), None);
        assert_eq!(POLICY.all_caps(), 0b11);
    }

    #[test]
    fn selection_and_verdicts() {
        let extra = RuleSet {
            allow: &[59],
            rules: &[],
        };
        assert_eq!(X86_64.select(0b10, extra).as_slice().len(), 3);
        assert_eq!(X86_64.select(0, RuleSet::EMPTY).as_slice().len(), 2);
        let kill = Action::KillProcess;
        let v = |caps, nr, a0| X86_64.verdict(caps, RuleSet::EMPTY, nr, &[a0, 0, 0, 0, 0, 0], kill);
        assert_eq!(v(0, 60, 0), Action::Allow);
        assert_eq!(v(0, 41, 0), kill);
        assert_eq!(v(0b01, 41, 0), Action::Allow);
        assert_eq!(v(0, 56, 0x10000), Action::Allow);
        assert_eq!(v(0, 56, 0), kill);
        assert_eq!(
            v(0b10, 56, 0),
            Action::Allow,
            "the cap allows clone outright"
        );
        assert_eq!(v(0, 435, 0), Action::Errno(38));
        assert_eq!(
            X86_64.verdict(0, extra, 59, &[0; 6], kill),
            Action::Allow,
            "the extra set"
        );
    }

    #[test]
    fn program_matches_the_verdicts() {
        const N: usize = X86_64.capacity(1);
        let extra = RuleSet {
            allow: &[59],
            rules: &[],
        };
        for caps in 0..4u64 {
            for default in [Action::KillProcess, Action::Errno(1)] {
                let p = X86_64.program::<N>(caps, extra, default).unwrap();
                for nr in 0..500u32 {
                    for a0 in [0u64, 0x10000, 0xffff_0000_0000_0000] {
                        let mut d = SeccompData::new(nr as i32, Arch::X86_64.audit_arch());
                        d.args[0] = a0;
                        let got = run(p.as_slice(), &d).unwrap().ret;
                        let want = X86_64.verdict(caps, extra, nr, &d.args, default);
                        assert_eq!(got, want.to_ret(), "caps {caps} nr {nr} a0 {a0:#x}");
                    }
                }
            }
        }
    }

    #[test]
    fn program_in_a_static() {
        static P: Program<{ X86_64.capacity(0) }> =
            match X86_64.program(0b11, RuleSet::EMPTY, Action::KillProcess) {
                Ok(p) => p,
                Err(e) => panic!("{}", e.message()),
            };
        assert!(P.len() > 4);
    }
}
