//! Why [`build`](super::build) could not make a program: each error has a
//! fixed message for a `const` panic and a fuller one for `Display`.

use core::fmt;

use super::MAX_RULES_PER_NUMBER;
use crate::bpf::BPF_MAXINSNS;

/// Why [`build`] could not make a program.
///
/// [`build`]: super::build
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BuildError {
    /// The program would need more than [`BPF_MAXINSNS`] instructions, which
    /// the kernel refuses.
    TooLong {
        /// Instructions the program needs (at least this many).
        needed: usize,
    },
    /// The program fits the kernel's limit but not the buffer `Program<N>`.
    BufferTooSmall {
        /// Instructions the program needs (at least this many).
        needed: usize,
        /// The buffer's capacity `N`.
        capacity: usize,
    },
    /// A set's `allow` numbers or `rules` are not sorted by number.
    Unsorted,
    /// More than [`MAX_SETS`] rule sets.
    ///
    /// [`MAX_SETS`]: super::MAX_SETS
    TooManySets,
    /// More than [`MAX_RULES_PER_NUMBER`] conditioned rules for one number.
    TooManyRules {
        /// The syscall number.
        nr: u32,
    },
    /// A comparison names an argument past `args[5]`, or a width other than
    /// 16, 32 or 64 bits.
    BadComparison {
        /// The syscall number of the rule.
        nr: u32,
    },
}

impl BuildError {
    /// A fixed description, usable in a `const` panic (`panic!("{}", e.message())`).
    pub const fn message(&self) -> &'static str {
        match self {
            BuildError::TooLong { .. } => {
                "seccomp filter too long: more than BPF_MAXINSNS (4096) instructions"
            }
            BuildError::BufferTooSmall { .. } => {
                "seccomp filter does not fit the program buffer: raise its capacity (see capacity_for)"
            }
            BuildError::Unsorted => "a rule set's numbers or rules are not sorted by number",
            BuildError::TooManySets => "too many rule sets: at most MAX_SETS (66) can be joined",
            BuildError::TooManyRules { .. } => {
                "too many conditioned rules for one syscall: at most MAX_RULES_PER_NUMBER (32)"
            }
            BuildError::BadComparison { .. } => {
                "a rule compares an argument past args[5], or with a width other than 16, 32 or 64 bits"
            }
        }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            BuildError::TooLong { needed } => write!(
                f,
                "seccomp filter too long: needs {needed} instructions or more, the kernel accepts at most {BPF_MAXINSNS}"
            ),
            BuildError::BufferTooSmall { needed, capacity } => write!(
                f,
                "seccomp filter needs {needed} instructions or more but the program buffer holds {capacity}"
            ),
            BuildError::TooManyRules { nr } => write!(
                f,
                "syscall {nr} has more than {MAX_RULES_PER_NUMBER} conditioned rules"
            ),
            BuildError::BadComparison { nr } => write!(
                f,
                "a rule for syscall {nr} compares an argument past args[5], or with a width other than 16, 32 or 64 bits"
            ),
            BuildError::Unsorted | BuildError::TooManySets => f.write_str(self.message()),
        }
    }
}

impl core::error::Error for BuildError {}

/// [`BuildError::TooLong`] past the kernel's limit, else
/// [`BuildError::BufferTooSmall`]: a program of `needed` instructions that
/// does not fit a buffer of `capacity`.
pub(super) const fn too_long(needed: usize, capacity: usize) -> BuildError {
    if needed > BPF_MAXINSNS {
        BuildError::TooLong { needed }
    } else {
        BuildError::BufferTooSmall { needed, capacity }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_fixed() {
        let cases = [
            (
                BuildError::TooLong { needed: 5000 },
                "seccomp filter too long: more than BPF_MAXINSNS (4096) instructions",
            ),
            (
                BuildError::BufferTooSmall {
                    needed: 9,
                    capacity: 6,
                },
                "seccomp filter does not fit the program buffer: raise its capacity (see capacity_for)",
            ),
            (
                BuildError::TooManySets,
                "too many rule sets: at most MAX_SETS (66) can be joined",
            ),
            (
                BuildError::TooManyRules { nr: 16 },
                "too many conditioned rules for one syscall: at most MAX_RULES_PER_NUMBER (32)",
            ),
            (
                BuildError::BadComparison { nr: 1 },
                "a rule compares an argument past args[5], or with a width other than 16, 32 or 64 bits",
            ),
        ];
        for (e, message) in cases {
            assert_eq!(e.message(), message);
        }
    }

    #[test]
    fn display_gives_the_numbers() {
        assert_eq!(
            BuildError::TooLong { needed: 5000 }.to_string(),
            "seccomp filter too long: needs 5000 instructions or more, the kernel accepts at most 4096"
        );
        assert_eq!(
            BuildError::Unsorted.to_string(),
            "a rule set's numbers or rules are not sorted by number"
        );
        assert_eq!(
            BuildError::BufferTooSmall {
                needed: 9,
                capacity: 6
            }
            .to_string(),
            "seccomp filter needs 9 instructions or more but the program buffer holds 6"
        );
        assert_eq!(
            BuildError::TooManySets.to_string(),
            "too many rule sets: at most MAX_SETS (66) can be joined"
        );
        assert_eq!(
            BuildError::TooManyRules { nr: 16 }.to_string(),
            "syscall 16 has more than 32 conditioned rules"
        );
        assert_eq!(
            BuildError::BadComparison { nr: 1 }.to_string(),
            "a rule for syscall 1 compares an argument past args[5], or with a width other than 16, 32 or 64 bits"
        );
    }

    #[test]
    fn too_long_tells_the_kernel_limit_from_the_buffer() {
        assert_eq!(too_long(5000, 6000), BuildError::TooLong { needed: 5000 });
        assert_eq!(
            too_long(9, 6),
            BuildError::BufferTooSmall {
                needed: 9,
                capacity: 6
            }
        );
    }
}
