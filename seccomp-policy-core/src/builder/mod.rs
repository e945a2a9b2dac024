//! The `const fn` filter builder: rule sets in, a classic-BPF program out.
//!
//! [`build`] joins [`RuleSet`]s (the tables a harness is granted) and writes
//! one program for one [`Arch`]:
//!
//! ```text
//!        ld  [arch]
//!        jeq #AUDIT_ARCH, +1, +0
//!        ret #default              ; a foreign architecture (i386 `int 0x80` on x86-64)
//!        ld  [nr]
//!        jge ...                   ; balanced tree over the number line
//!        ...                       ; a block per number whose verdict depends on arguments
//!        ret #ALLOW                ; one shared `ret` per action
//!        ret #default
//! ```
//!
//! The numbers cut the number line `0..=u32::MAX` into intervals that share a
//! verdict: an action for every argument value, or "look at the arguments"
//! for a single number with conditioned rules. A balanced tree of unsigned
//! `jge` finds the interval of `nr` with `ceil(log2(intervals))` comparisons.
//! An interval with one action for all arguments needs no instruction of its
//! own: the tree jumps straight to the shared `ret` of that action. So a call
//! that is allowed (or denied) whatever its arguments runs `ld`, `jeq`, `ld`,
//! the comparisons and one `ret`, and no instruction on its path reads an
//! argument: the kernel's seccomp action cache marks such numbers "always
//! allow" and skips the filter for them.
//!
//! A number with conditions gets a block that tests the rules in their
//! order: the `Allow` rules' conditions first (any match allows), then each
//! other rule in policy order, then the default (or the first unconditional
//! rule). A 64-bit argument is compared word by word, high word first, each
//! word loaded from where the architecture's byte order puts it; a 32-bit
//! parameter (ioctl's `cmd`) has only its low word compared, which is all the
//! kernel reads, so high bits set by the caller change nothing.
//!
//! # Layout
//!
//! Classic BPF only jumps forward, and a conditional jump reaches at most 255
//! instructions. The program is written from its end backwards, so every
//! jump's target is already placed when the jump is written: when a target
//! is out of reach, a `ret` (for an action) or a `ja` (for code) is placed
//! right after the jump and taken instead. A jump to an instruction that
//! loads the word already in the accumulator goes to the instruction after
//! it.
//!
//! Nothing here allocates or panics, so a program for capabilities chosen at
//! run time can be built in a child between `fork` and `exec`; the same code
//! runs at compile time to fill a `static`:
//!
//! ```
//! use seccomp_policy_core::builder::build;
//! use seccomp_policy_core::rule::{Action, RuleSet};
//! use seccomp_policy_core::{Arch, Program};
//!
//! const BASE: RuleSet = RuleSet { allow: &[0, 1, 2], rules: &[] };
//! static P: Program<64> = match build::<64>(Arch::X86_64, &[BASE], Action::KillProcess) {
//!     Ok(p) => p,
//!     Err(e) => panic!("{}", e.message()),
//! };
//! // ld arch; jeq; ld nr; jge #3; ret ALLOW; ret KILL_PROCESS
//! assert_eq!(P.len(), 6);
//! ```
//!
//! A program that does not fit is then a compile-time error:
//!
//! ```compile_fail
//! use seccomp_policy_core::builder::build;
//! use seccomp_policy_core::rule::{Action, RuleSet};
//! use seccomp_policy_core::{Arch, Program};
//!
//! const EVEN: [u32; 2100] = {
//!     let mut a = [0u32; 2100];
//!     let mut i = 0;
//!     while i < a.len() {
//!         a[i] = 2 * i as u32;
//!         i += 1;
//!     }
//!     a
//! };
//! // 2100 separate numbers need more than BPF_MAXINSNS (4096) instructions.
//! static P: Program<4096> =
//!     match build::<4096>(Arch::X86_64, &[RuleSet { allow: &EVEN, rules: &[] }], Action::KillProcess) {
//!         Ok(p) => p,
//!         Err(e) => panic!("{}", e.message()),
//!     };
//! ```
//!
//! # Parts
//!
//! One idea a file in `builder/` (private modules):
//!
//! - `capacity`: [`capacity_for`], the bound a `Program<N>` is sized with.
//! - `walk`: the joined sets read in ascending number order.
//! - `classify`: a number's rules across the sets, and the verdict of each
//!   interval of the number line (an action, or "look at the arguments").
//! - `emit`: the program written backwards, jumps, shared `ret`s, stand-ins
//!   for targets out of reach, the header.
//! - `tree`: the intervals and the `jge` tree over them.
//! - `conditions`: the argument blocks, comparison by comparison.
//! - `error`: [`BuildError`].

use crate::arch::Arch;
use crate::bpf::Program;
use crate::rule::RuleSet;

mod capacity;
mod classify;
mod conditions;
mod emit;
mod error;
mod tree;
mod walk;

pub use crate::rule::Action;
pub use capacity::capacity_for;
pub use error::BuildError;

use classify::number_line;
use emit::{Emitter, RetList};
use error::too_long;
use tree::Intervals;

/// The most rule sets [`build`] joins: a base, two of the spawn path's and
/// 63 more (a policy's caps fit: see `policy::MAX_CAPS`).
pub const MAX_SETS: usize = 66;

/// The most rules one syscall number may have, unconditional ones excluded,
/// across every joined set.
pub const MAX_RULES_PER_NUMBER: usize = 32;

/// The most distinct actions that get a shared `ret`; further ones get a
/// `ret` where they are used.
const MAX_SHARED_RETS: usize = 16;

/// The largest conditional jump offset (`jt`/`jf` are 8 bits).
const MAX_JUMP: usize = 255;

/// The filter return value of `Action::Allow`.
const ALLOW: u32 = Action::Allow.to_ret();

/// Builds the filter for `arch` from `sets` into a `Program<N>`.
///
/// A call is allowed if any set allows it (an `allow` number, or a matching
/// `Allow` rule); otherwise the matching rule with the smallest
/// [`Rule::order`] decides; otherwise `default`. Calls from another
/// architecture get `default`. See the [module docs](self) for the program.
///
/// It never allocates and never panics; [`capacity_for`] gives a
/// sufficient `N`.
///
/// # Errors
///
/// [`BuildError::Unsorted`] for a set not sorted by number,
/// [`BuildError::TooManySets`] past [`MAX_SETS`] sets,
/// [`BuildError::TooManyRules`], [`BuildError::BadComparison`],
/// [`BuildError::TooLong`] past [`BPF_MAXINSNS`] instructions and
/// [`BuildError::BufferTooSmall`] past `N`.
///
/// [`Rule::order`]: crate::rule::Rule::order
/// [`BPF_MAXINSNS`]: crate::bpf::BPF_MAXINSNS
pub const fn build<const N: usize>(
    arch: Arch,
    sets: &[RuleSet<'_>],
    default: Action,
) -> Result<Program<N>, BuildError> {
    if let Err(e) = check_sets(sets) {
        return Err(e);
    }
    let mut rets = RetList::new(default.to_ret());
    let mut iv = Intervals::<N>::new();
    if let Err(e) = number_line(sets, default, &mut iv, &mut rets) {
        return Err(e);
    }
    let count = iv.count();
    if count > N {
        // More intervals than the buffer holds: at least the header, one
        // `jge` per interval boundary and a `ret`.
        let needed = 3 + count;
        return Err(too_long(needed, N));
    }

    let mut e = Emitter::<N>::new(arch, default);
    e.shared_rets(&rets);
    let entry = e.tree(sets, &iv, 0, count);
    e.header(entry);
    e.finish()
}

/// [`BuildError::TooManySets`] past [`MAX_SETS`] sets,
/// [`BuildError::Unsorted`] for a set whose `allow` numbers or rules are not
/// sorted by number.
const fn check_sets(sets: &[RuleSet<'_>]) -> Result<(), BuildError> {
    if sets.len() > MAX_SETS {
        return Err(BuildError::TooManySets);
    }
    let mut i = 0;
    while i < sets.len() {
        let s = sets[i];
        let mut j = 1;
        while j < s.allow.len() {
            if s.allow[j - 1] > s.allow[j] {
                return Err(BuildError::Unsorted);
            }
            j += 1;
        }
        let mut j = 1;
        while j < s.rules.len() {
            if s.rules[j - 1].nr > s.rules[j].nr {
                return Err(BuildError::Unsorted);
            }
            j += 1;
        }
        i += 1;
    }
    Ok(())
}

/// Rule sets and programs for the tests of every part of the builder.
#[cfg(test)]
mod testing {
    use super::build;
    use crate::rule::{Action, ArgCmp, CmpOp, RuleSet};
    use crate::{Arch, Program};

    /// The default action of the tests' programs.
    pub(super) const KILL: Action = Action::KillProcess;

    /// A set that allows `numbers` and has no rules.
    pub(super) fn allow(numbers: &[u32]) -> RuleSet<'_> {
        RuleSet {
            allow: numbers,
            rules: &[],
        }
    }

    /// The x86-64 program of `sets` with the default [`KILL`].
    pub(super) fn prog(sets: &[RuleSet<'_>]) -> Program<4096> {
        build::<4096>(Arch::X86_64, sets, KILL).unwrap()
    }

    /// A comparison of `args[arg]`, `bits` wide.
    pub(super) fn cmp(arg: u8, bits: u8, op: CmpOp, value: u64) -> ArgCmp {
        ArgCmp {
            arg,
            bits,
            op,
            value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::emit::ret;
    use super::testing::{allow, KILL};
    use super::*;
    use crate::bpf::SECCOMP_RET_ERRNO;
    use crate::rule::{ArgCmp, CmpOp, Rule, When};

    #[test]
    fn more_sets_than_max_sets_is_an_error() {
        let one = allow(&[1]);
        let sets = [one; MAX_SETS + 1];
        assert_eq!(
            build::<64>(Arch::X86_64, &sets, KILL),
            Err(BuildError::TooManySets)
        );
        assert!(build::<64>(Arch::X86_64, &sets[..MAX_SETS], KILL).is_ok());
    }

    #[test]
    fn empty_set_denies_everything() {
        let p = build::<8>(Arch::Aarch64, &[], Action::Errno(1)).unwrap();
        // ld arch; jeq; ld nr; ret errno.
        assert_eq!(p.len(), 4);
        assert_eq!(p.as_slice()[3], ret(SECCOMP_RET_ERRNO | 1));
        assert_eq!(
            build::<8>(
                Arch::Aarch64,
                &[RuleSet::EMPTY, RuleSet::EMPTY],
                Action::Errno(1)
            )
            .unwrap()
            .len(),
            4
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            build::<64>(Arch::X86_64, &[allow(&[2, 1])], KILL),
            Err(BuildError::Unsorted)
        );
        let rules = [
            Rule {
                nr: 3,
                when: When::Always,
                action: Action::Errno(1),
                order: 0,
            },
            Rule {
                nr: 2,
                when: When::Always,
                action: Action::Errno(1),
                order: 1,
            },
        ];
        assert_eq!(
            build::<64>(
                Arch::X86_64,
                &[RuleSet {
                    allow: &[],
                    rules: &rules
                }],
                KILL
            ),
            Err(BuildError::Unsorted)
        );
        assert_eq!(
            build::<6>(Arch::X86_64, &[allow(&[1, 3])], KILL),
            Err(BuildError::BufferTooSmall {
                needed: 9,
                capacity: 6
            })
        );
        let even: Vec<u32> = (0..2100).map(|i| 2 * i).collect();
        match build::<4096>(Arch::X86_64, &[allow(&even)], KILL) {
            Err(BuildError::TooLong { needed }) => assert!(needed > 4096),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            build::<0>(Arch::X86_64, &[], KILL),
            Err(BuildError::BufferTooSmall { .. })
        ));
        let bad = [ArgCmp {
            arg: 6,
            bits: 64,
            op: CmpOp::Eq,
            value: 0,
        }];
        let alts: [&[ArgCmp]; 1] = [&bad];
        let rules = [Rule {
            nr: 1,
            when: When::AnyOf(&alts),
            action: Action::Allow,
            order: 0,
        }];
        assert_eq!(
            build::<64>(
                Arch::X86_64,
                &[RuleSet {
                    allow: &[],
                    rules: &rules
                }],
                KILL
            ),
            Err(BuildError::BadComparison { nr: 1 })
        );
    }

    #[test]
    fn static_program_compiles() {
        static P: Program<64> = match build::<64>(
            Arch::X86_64,
            &[RuleSet {
                allow: &[0, 1, 2],
                rules: &[],
            }],
            KILL,
        ) {
            Ok(p) => p,
            Err(e) => panic!("{}", e.message()),
        };
        assert_eq!(P.len(), 6);
    }
}
