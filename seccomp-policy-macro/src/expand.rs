//! The expansion: const tables, the `Cap` type and the compile-time programs.
//!
//! Everything emitted refers to the runtime crate as `::seccomp_policy`, which
//! is why users depend on that crate (it re-exports the macro).

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

use seccomp_policy_compiler::model::Policy;
use seccomp_policy_compiler::resolve::ArchSets;

/// Numbers a program may allow beyond the policy's own: the spawn path adds
/// `execve` so the program being started can be executed.
const EXTRA_NUMBERS: usize = 2;

/// What the expansion is made from.
pub struct Expansion<'a> {
    /// The policy path as written in the invocation (relative to the crate).
    pub display_path: &'a str,
    /// The absolute path, so the expansion can make cargo track the file.
    pub abs_path: &'a str,
    /// The checked policy.
    pub policy: &'a Policy,
    /// The policy resolved on every architecture.
    pub sets: &'a [ArchSets],
    /// `cap = path::Type` in the bound form; `None` to emit a `Cap` type.
    pub cap_type: Option<&'a syn::Path>,
}

/// Emits the items for one invocation.
pub fn expand(e: &Expansion) -> TokenStream {
    let abs_path = e.abs_path;
    let display_path = e.display_path;
    let cap_names: Vec<&str> = e.policy.caps.iter().map(|c| c.name.as_str()).collect();
    let arch_policies = e.sets.iter().map(arch_policy);
    let capacity = e.sets.iter().map(ArchSets::union_len).max().unwrap_or(0) + EXTRA_NUMBERS;
    let arch_variants: Vec<Ident> = e.sets.iter().map(|s| arch_variant(s.table.arch)).collect();
    let arch_indices = 0..e.sets.len();
    let base_consts: Vec<Ident> = e
        .sets
        .iter()
        .map(|s| format_ident!("{}", s.table.arch.name().to_uppercase()))
        .collect();
    let base_docs = e
        .sets
        .iter()
        .map(|s| format!("The {} program with no caps.", s.table.arch.name()));

    let (cap_items, caps_param, caps_bits) = match e.cap_type {
        None => (cap_type(e), quote!(Cap), quote!(caps.0)),
        Some(ty) => (bound_cap_items(e, ty), quote!(u64), quote!(caps)),
    };
    let no_caps = match e.cap_type {
        None => quote!(Cap::NONE),
        Some(_) => quote!(0),
    };
    let syscall_names = syscall_names(e.sets);
    let doc_policy = format!(
        "The policy read from `{display_path}`, resolved on every supported architecture.\n\n\
         Syscall numbers: {}.",
        seccomp_policy_compiler::tables::SOURCE
    );

    quote! {
        // Mentioning the file makes cargo rebuild this crate when it changes.
        const _: &[u8] = ::core::include_bytes!(#abs_path);

        #cap_items

        #[doc = #doc_policy]
        pub const POLICY: ::seccomp_policy::policy::Policy = ::seccomp_policy::policy::Policy {
            file: #display_path,
            cap_names: &[#(#cap_names),*],
            arches: &[#(#arch_policies),*],
        };

        /// Capacity of [`PolicyProgram`]: enough for any cap set of this policy on
        /// any architecture, plus the spawn path's `execve`.
        pub const PROGRAM_CAPACITY: usize = ::seccomp_policy::builder::capacity_for(#capacity);

        /// A BPF program of this policy, in a buffer sized for any of its cap sets.
        pub type PolicyProgram = ::seccomp_policy::Program<PROGRAM_CAPACITY>;

        /// Builds the program for `arch` and `caps`, killing the process on any
        /// other syscall. A `const fn`: a fixed cap set can become a `static`.
        pub const fn program(
            arch: ::seccomp_policy::Arch,
            caps: #caps_param,
        ) -> ::core::result::Result<PolicyProgram, ::seccomp_policy::builder::BuildError> {
            let arch_policy = match arch {
                #(::seccomp_policy::Arch::#arch_variants => &POLICY.arches[#arch_indices],)*
            };
            arch_policy.program(#caps_bits, &[], ::seccomp_policy::builder::Action::KillProcess)
        }

        #syscall_names

        /// The program with no caps of each architecture, as consts built while
        /// the crate compiles. Associated consts are evaluated only where they
        /// are used, so an unused architecture costs no compile time.
        pub struct BaseProgram;

        #[allow(dead_code)]
        impl BaseProgram {
            #(
                #[doc = #base_docs]
                pub const #base_consts: PolicyProgram =
                    match program(::seccomp_policy::Arch::#arch_variants, #no_caps) {
                        ::core::result::Result::Ok(p) => p,
                        ::core::result::Result::Err(e) => ::core::panic!("{}", e.message()),
                    };
            )*
        }
    }
}

/// `syscall_name(arch, nr)`, so reports can name a denied call.
fn syscall_names(sets: &[ArchSets]) -> TokenStream {
    let arms = sets.iter().map(|s| {
        let variant = arch_variant(s.table.arch);
        let mut by_number: Vec<(u32, &str)> =
            s.table.syscalls.iter().map(|&(n, nr)| (nr, n)).collect();
        // Sorted by number, then name: an alias (arm's `sync_file_range2`)
        // gives way to the name sorting first.
        by_number.sort_unstable();
        by_number.dedup_by_key(|e| e.0);
        let numbers = by_number.iter().map(|e| Literal::u32_unsuffixed(e.0));
        let names = by_number.iter().map(|e| e.1);
        quote! {
            ::seccomp_policy::Arch::#variant => &[#((#numbers, #names)),*],
        }
    });
    quote! {
        /// The name of syscall `nr` on `arch`, from the tables the policy was
        /// resolved with; for reports of denied calls.
        pub fn syscall_name(arch: ::seccomp_policy::Arch, nr: u32) -> ::core::option::Option<&'static str> {
            let table: &[(u32, &str)] = match arch {
                #(#arms)*
            };
            table.binary_search_by_key(&nr, |e| e.0).ok().map(|i| table[i].1)
        }
    }
}

fn arch_policy(sets: &ArchSets) -> TokenStream {
    let variant = arch_variant(sets.table.arch);
    let base = sets.base.iter().map(|n| Literal::u32_unsuffixed(*n));
    let caps = sets.caps.iter().map(|cap| {
        let numbers = cap.iter().map(|n| Literal::u32_unsuffixed(*n));
        quote!(&[#(#numbers),*])
    });
    let missing = &sets.missing;
    quote! {
        ::seccomp_policy::policy::ArchPolicy {
            arch: ::seccomp_policy::Arch::#variant,
            base: &[#(#base),*],
            caps: &[#(#caps),*],
            missing: &[#(#missing),*],
        }
    }
}

/// The `Cap` type of the default form: one const per `[cap.NAME]`.
fn cap_type(e: &Expansion) -> TokenStream {
    let consts = e.policy.caps.iter().enumerate().map(|(i, cap)| {
        let ident = format_ident!("{}", cap.name);
        let bit = Literal::u64_unsuffixed(1 << i);
        let doc = format!(
            "`[cap.{}]` ({}:{}:{}).",
            cap.name, e.display_path, cap.loc.line, cap.loc.col
        );
        quote! {
            #[doc = #doc]
            pub const #ident: Cap = Cap(#bit);
        }
    });
    let all_bits = Literal::u64_unsuffixed(all_bits(e.policy.caps.len()));
    let doc = format!(
        "The capabilities declared by `{}`: a set of `[cap.NAME]` tables.",
        e.display_path
    );
    quote! {
        #[doc = #doc]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct Cap(u64);

        #[allow(dead_code)]
        impl Cap {
            #(#consts)*

            /// No capability: the base list only.
            pub const NONE: Cap = Cap(0);
            /// Every capability of the policy.
            pub const ALL: Cap = Cap(#all_bits);
            /// The cap names in declaration order; bit `i` of [`Cap::bits`] is `NAMES[i]`.
            pub const NAMES: &'static [&'static str] = POLICY.cap_names;

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
            pub fn from_name(name: &str) -> ::core::option::Option<Cap> {
                Cap::NAMES.iter().position(|n| *n == name).map(|i| Cap(1 << i))
            }
            /// The names of the caps in the set, in declaration order.
            pub fn names(self) -> impl ::core::iter::Iterator<Item = &'static str> {
                Cap::NAMES
                    .iter()
                    .enumerate()
                    .filter(move |(i, _)| self.0 & (1 << i) != 0)
                    .map(|(_, n)| *n)
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
                ::core::fmt::Display::fmt(self, f)?;
                f.write_str(")")
            }
        }

        /// The cap names joined by `|`, or `none`.
        impl ::core::fmt::Display for Cap {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                if self.is_empty() {
                    return f.write_str("none");
                }
                for (i, name) in self.names().enumerate() {
                    if i > 0 {
                        f.write_str("|")?;
                    }
                    f.write_str(name)?;
                }
                ::core::result::Result::Ok(())
            }
        }
    }
}

/// The bound form: the user's type must have a const for every `[cap.NAME]`.
///
/// `<Type>::NAME` resolves to the type's own (inherent) const when it has one
/// and to the blanket trait's `Missing` const otherwise, so a const-evaluated
/// check can report a missing cap with the policy's file, line and column.
fn bound_cap_items(e: &Expansion, ty: &syn::Path) -> TokenStream {
    let idents: Vec<Ident> = e
        .policy
        .caps
        .iter()
        .map(|c| format_ident!("{}", c.name))
        .collect();
    let ty_text = quote!(#ty).to_string().replace(' ', "");
    let messages = e.policy.caps.iter().map(|c| {
        format!(
            "{}:{}:{}: unknown cap `{}`: `{}` has no associated const `{}`; add it to the type or remove the `[cap.{}]` table",
            e.display_path, c.loc.line, c.loc.col, c.name, ty_text, c.name, c.name
        )
    });
    let bits = (0..idents.len()).map(|i| Literal::u64_unsuffixed(1 << i));
    let doc = format!(
        "The bit mask (bit `i` is `POLICY.cap_names[i]`) of the policy's caps set in a `{ty_text}`."
    );
    quote! {
        #[doc = #doc]
        ///
        /// Also checks, while the crate compiles, that the type has a const
        /// for every `[cap.NAME]` of the policy.
        pub fn cap_bits(caps: #ty) -> u64 {
            // `<Type>::NAME` is the type's inherent const when it has one and
            // this blanket trait's `Missing` otherwise; the const-evaluated
            // check below turns `Missing` into an error naming the policy line.
            struct Missing;
            #[allow(non_upper_case_globals, dead_code)]
            trait Fallback {
                #(const #idents: Missing = Missing;)*
            }
            impl<T: ?Sized> Fallback for T {}

            trait CapConst {
                const FOUND: bool;
                fn is_in(&self, caps: #ty) -> bool;
            }
            impl CapConst for #ty {
                const FOUND: bool = true;
                fn is_in(&self, caps: #ty) -> bool {
                    caps & *self == *self
                }
            }
            impl CapConst for Missing {
                const FOUND: bool = false;
                fn is_in(&self, _: #ty) -> bool {
                    false
                }
            }
            const fn found<T: CapConst>(_: &T) -> bool {
                T::FOUND
            }
            const _: () = {
                #(
                    if !found(&<#ty>::#idents) {
                        ::core::panic!(#messages);
                    }
                )*
            };

            let mut bits = 0u64;
            #(
                if CapConst::is_in(&<#ty>::#idents, caps) {
                    bits |= #bits;
                }
            )*
            bits
        }
    }
}

/// The `Arch` variant naming `arch` in the expansion.
fn arch_variant(arch: seccomp_policy_core::Arch) -> Ident {
    Ident::new(&format!("{arch:?}"), Span::call_site())
}

fn all_bits(n: usize) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_bits_covers_every_cap() {
        assert_eq!(all_bits(0), 0);
        assert_eq!(all_bits(3), 0b111);
        assert_eq!(all_bits(64), u64::MAX);
    }
}
