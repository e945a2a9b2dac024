//! The expansion: the policy's const rule tables (their value written by
//! [`tables`]), its `Cap` type and the compile-time programs.
//!
//! Everything emitted refers to the runtime crate as `::seccomp_policy`, which
//! is why users depend on that crate (it re-exports the macro). The `Cap`
//! type's body is written once, in `seccomp_policy::__cap_type!`.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

use seccomp_policy_compiler::lower::ArchRules;
use seccomp_policy_compiler::model::Policy;
use seccomp_policy_core::Arch;

use crate::tables;

/// Unconditional rules a program may add to the policy's own: the spawn
/// path's `execve` (so the command can start) and its handshake with the
/// supervisor.
const EXTRA_RULES: usize = 2;

/// What the expansion is made from.
pub struct Expansion<'a> {
    /// The policy path as written in the invocation (relative to the crate).
    pub display_path: &'a str,
    /// The absolute path, so the expansion can make cargo track the file.
    pub abs_path: &'a str,
    /// The checked policy.
    pub policy: &'a Policy,
    /// The policy lowered on every architecture.
    pub arches: &'a [ArchRules],
    /// `cap = path::Type` in the bound form; `None` to emit a `Cap` type.
    pub bound_cap_type: Option<&'a syn::Path>,
}

/// Emits the items for one invocation.
pub fn expand(e: &Expansion) -> TokenStream {
    let abs_path = e.abs_path;
    let display_path = e.display_path;
    let cap_names: Vec<&str> = e.policy.caps.iter().map(|c| c.name.as_str()).collect();
    let policy_value = tables::policy_value(display_path, &cap_names, e.arches);
    let capacity = e
        .arches
        .iter()
        .map(|a| a.with_policy(|p| p.capacity(EXTRA_RULES)))
        .max()
        .unwrap_or(0);
    let arch_variants: Vec<Ident> = e.arches.iter().map(|a| arch_variant(a.arch)).collect();
    let arch_indices: Vec<usize> = (0..e.arches.len()).collect();
    let base_consts: Vec<Ident> = e
        .arches
        .iter()
        .map(|a| format_ident!("{}", a.arch.name().to_uppercase()))
        .collect();
    let base_docs = e
        .arches
        .iter()
        .map(|a| format!("The {} program with no caps.", a.arch.name()));

    let (cap_items, caps_param, caps_bits) = match e.bound_cap_type {
        None => (cap_type(e), quote!(Cap), quote!(caps.0)),
        Some(ty) => (bound_cap_items(e, ty), quote!(u64), quote!(caps)),
    };
    let no_caps = match e.bound_cap_type {
        None => quote!(Cap::NONE),
        Some(_) => quote!(0),
    };
    let syscall_names = syscall_names();
    let doc_policy = format!(
        "The policy read from `{display_path}`, lowered on every supported architecture.\n\n\
         Syscall numbers: {}.",
        seccomp_policy_compiler::tables::SOURCE
    );

    quote! {
        // Mentioning the file makes cargo rebuild this crate when it changes.
        const _: &[u8] = ::core::include_bytes!(#abs_path);

        #cap_items

        #[doc = #doc_policy]
        pub const POLICY: ::seccomp_policy::policy::Policy<'static> = #policy_value;

        /// Capacity of [`PolicyProgram`]: enough for any cap set of this policy on
        /// any architecture, plus the spawn path's own rules.
        pub const PROGRAM_CAPACITY: usize = #capacity;

        /// A BPF program of this policy, in a buffer sized for any of its cap sets.
        pub type PolicyProgram = ::seccomp_policy::Program<PROGRAM_CAPACITY>;

        /// Builds the program for `arch` and `caps`, giving calls no rule decides
        /// the policy's default action. A `const fn`: a fixed cap set can become
        /// a `static`.
        pub const fn program(
            arch: ::seccomp_policy::Arch,
            caps: #caps_param,
        ) -> ::core::result::Result<PolicyProgram, ::seccomp_policy::builder::BuildError> {
            let arch_policy = match arch {
                #(::seccomp_policy::Arch::#arch_variants => &POLICY.arches[#arch_indices],)*
            };
            arch_policy.program(#caps_bits, ::seccomp_policy::rule::RuleSet::EMPTY, arch_policy.default)
        }

        /// Like [`program`], with another default action for the calls no rule
        /// decides (the harness's choice, e.g. an errno instead of a kill).
        pub const fn program_with_default(
            arch: ::seccomp_policy::Arch,
            caps: #caps_param,
            default: ::seccomp_policy::Action,
        ) -> ::core::result::Result<PolicyProgram, ::seccomp_policy::builder::BuildError> {
            let arch_policy = match arch {
                #(::seccomp_policy::Arch::#arch_variants => &POLICY.arches[#arch_indices],)*
            };
            arch_policy.program(#caps_bits, ::seccomp_policy::rule::RuleSet::EMPTY, default)
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
fn syscall_names() -> TokenStream {
    quote! {
        /// The name of syscall `nr` on `arch`, from the tables the policy was
        /// resolved with; for reports of denied calls.
        pub fn syscall_name(arch: ::seccomp_policy::Arch, nr: u32) -> ::core::option::Option<&'static str> {
            ::seccomp_policy::syscalls::name(arch, nr)
        }
    }
}

/// The `Cap` type of the default form, through `seccomp_policy::__cap_type!`.
fn cap_type(e: &Expansion) -> TokenStream {
    let caps = e.policy.caps.iter().enumerate().map(|(i, cap)| {
        let ident = format_ident!("{}", cap.name);
        let bit = Literal::u64_unsuffixed(1 << i);
        let doc = format!(
            "`[cap.{}]` ({}:{}:{}).",
            cap.name, e.display_path, cap.loc.line, cap.loc.col
        );
        quote!(#[doc = #doc] #ident = #bit;)
    });
    let doc = format!(
        "The capabilities declared by `{}`: a set of `[cap.NAME]` tables.",
        e.display_path
    );
    quote! {
        ::seccomp_policy::__cap_type! {
            #[doc = #doc]
            policy = POLICY;
            #(#caps)*
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
fn arch_variant(arch: Arch) -> Ident {
    Ident::new(&format!("{arch:?}"), Span::call_site())
}
