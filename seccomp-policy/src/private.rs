//! Support for the code `seccomp_policy!` expands to: the `Cap` type's
//! definition and the functions its methods share, and the items built on
//! `POLICY`, written once here so that each invocation emits little (tokens
//! made in the proc macro, which cargo builds unoptimized, cost far more
//! than tokens rustc copies from a `macro_rules!` definition). Not public
//! API; it may change in any release.

use core::fmt;

use crate::policy::Policy;

/// The cap names of `bits` joined by `|`, or `none`.
///
/// # Errors
///
/// Those of the formatter.
pub fn fmt_caps(bits: u64, policy: &Policy<'static>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if bits == 0 {
        return f.write_str("none");
    }
    for (i, name) in policy.cap_names_of(bits).enumerate() {
        if i > 0 {
            f.write_str("|")?;
        }
        f.write_str(name)?;
    }
    Ok(())
}

/// Defines the `Cap` type of one policy: `Cap::NAME` per cap, set
/// operations, names and formatting.
#[doc(hidden)]
#[macro_export]
macro_rules! __cap_type {
    (
        $(#[$doc:meta])*
        policy = $policy:path;
        $( $(#[$cap_doc:meta])* $cap:ident = $bit:literal; )*
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct Cap(u64);

        #[allow(dead_code)]
        impl Cap {
            $( $(#[$cap_doc])* pub const $cap: Cap = Cap($bit); )*

            /// No capability: the base list only.
            pub const NONE: Cap = Cap(0);
            /// Every capability of the policy.
            pub const ALL: Cap = Cap(0 $(| $bit)*);
            /// The cap names in declaration order; bit `i` of [`Cap::bits`] is `NAMES[i]`.
            pub const NAMES: &'static [&'static str] = $policy.cap_names;

            /// The set as a bit mask (bit `i` is `NAMES[i]`).
            pub const fn bits(self) -> u64 {
                self.0
            }
            /// The set with these bits, or `None` if a bit names no cap.
            pub const fn from_bits(bits: u64) -> ::core::option::Option<Cap> {
                if bits & !Cap::ALL.0 == 0 {
                    ::core::option::Option::Some(Cap(bits))
                } else {
                    ::core::option::Option::None
                }
            }
            /// Caps in either set.
            pub const fn union(self, other: Cap) -> Cap {
                Cap(self.0 | other.0)
            }
            /// Caps in both sets.
            pub const fn intersection(self, other: Cap) -> Cap {
                Cap(self.0 & other.0)
            }
            /// Caps in `self` but not in `other`.
            pub const fn difference(self, other: Cap) -> Cap {
                Cap(self.0 & !other.0)
            }
            /// Whether every cap of `other` is in `self`.
            pub const fn contains(self, other: Cap) -> bool {
                self.0 & other.0 == other.0
            }
            /// Whether the set has no cap.
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }
            /// The cap called `name` (as written in `[cap.NAME]`).
            pub const fn from_name(name: &str) -> ::core::option::Option<Cap> {
                match $policy.cap_bit(name) {
                    ::core::option::Option::Some(bit) => ::core::option::Option::Some(Cap(bit)),
                    ::core::option::Option::None => ::core::option::Option::None,
                }
            }
            /// The names of the caps in the set, in declaration order.
            pub fn names(self) -> impl ::core::iter::Iterator<Item = &'static str> {
                $policy.cap_names_of(self.0)
            }
        }

        impl ::core::ops::BitOr for Cap {
            type Output = Cap;
            fn bitor(self, other: Cap) -> Cap {
                self.union(other)
            }
        }

        impl ::core::ops::BitOrAssign for Cap {
            fn bitor_assign(&mut self, other: Cap) {
                *self = self.union(other);
            }
        }

        impl ::core::ops::BitAnd for Cap {
            type Output = Cap;
            fn bitand(self, other: Cap) -> Cap {
                self.intersection(other)
            }
        }

        impl ::core::fmt::Debug for Cap {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str("Cap(")?;
                $crate::__private::fmt_caps(self.0, &$policy, f)?;
                f.write_str(")")
            }
        }

        /// The cap names joined by `|`, or `none`.
        impl ::core::fmt::Display for Cap {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                $crate::__private::fmt_caps(self.0, &$policy, f)
            }
        }
    };
}

/// Defines the items of one policy built on its `POLICY`:
/// `PROGRAM_CAPACITY`, `PolicyProgram`, `program`, `program_with_default`,
/// `syscall_name`, and `BaseProgram` with a const per architecture. `caps`
/// is how `program` takes caps: its parameter, the parameter's type (`Cap`
/// in the default form, the bit mask `u64` in the bound form) and the bit
/// mask of it; `no_caps` is the empty set of that type.
#[doc(hidden)]
#[macro_export]
macro_rules! __policy_items {
    (
        policy = $policy:ident;
        capacity = $capacity:literal;
        caps = $caps:ident: $caps_type:ty => $bits:expr;
        no_caps = $no_caps:expr;
        arches = [$( $arch:ident [$index:literal] $base:ident $base_doc:literal ),* $(,)?];
    ) => {
        /// Capacity of [`PolicyProgram`]: enough for any cap set of this policy on
        /// any architecture, plus the spawn path's own rules.
        pub const PROGRAM_CAPACITY: usize = $capacity;

        /// A BPF program of this policy, in a buffer sized for any of its cap sets.
        pub type PolicyProgram = $crate::Program<PROGRAM_CAPACITY>;

        /// Builds the program for `arch` and `caps`, giving calls no rule decides
        /// the policy's default action. A `const fn`: a fixed cap set can become
        /// a `static`.
        pub const fn program(
            arch: $crate::Arch,
            $caps: $caps_type,
        ) -> ::core::result::Result<PolicyProgram, $crate::builder::BuildError> {
            let arch_policy = match arch {
                $( $crate::Arch::$arch => &$policy.arches[$index], )*
            };
            arch_policy.program($bits, $crate::rule::RuleSet::EMPTY, arch_policy.default)
        }

        /// Like [`program`], with another default action for the calls no rule
        /// decides (the harness's choice, e.g. an errno instead of a kill).
        pub const fn program_with_default(
            arch: $crate::Arch,
            $caps: $caps_type,
            default: $crate::Action,
        ) -> ::core::result::Result<PolicyProgram, $crate::builder::BuildError> {
            let arch_policy = match arch {
                $( $crate::Arch::$arch => &$policy.arches[$index], )*
            };
            arch_policy.program($bits, $crate::rule::RuleSet::EMPTY, default)
        }

        /// The name of syscall `nr` on `arch`, from the tables the policy was
        /// resolved with; for reports of denied calls.
        pub fn syscall_name(arch: $crate::Arch, nr: u32) -> ::core::option::Option<&'static str> {
            $crate::syscalls::name(arch, nr)
        }

        /// The program with no caps of each architecture, as consts built while
        /// the crate compiles. Associated consts are evaluated only where they
        /// are used, so an unused architecture costs no compile time.
        pub struct BaseProgram;

        #[allow(dead_code)]
        impl BaseProgram {
            $(
                #[doc = $base_doc]
                pub const $base: PolicyProgram =
                    match program($crate::Arch::$arch, $no_caps) {
                        ::core::result::Result::Ok(p) => p,
                        ::core::result::Result::Err(e) => ::core::panic!("{}", e.message()),
                    };
            )*
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    static POLICY: Policy<'static> = Policy {
        file: "p.toml",
        cap_names: &["A", "B", "C"],
        arches: &[],
        reach: &[],
    };

    struct Show(u64);

    impl fmt::Display for Show {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            fmt_caps(self.0, &POLICY, f)
        }
    }

    #[test]
    fn formatting() {
        assert_eq!(Show(0).to_string(), "none");
        assert_eq!(Show(0b110).to_string(), "B|C");
        // Bits with no cap are not named.
        assert_eq!(Show(0b1000).to_string(), "");
    }
}
