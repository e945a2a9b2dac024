//! The expansion: the policy's const rule tables (their value written by
//! [`tables`]), its `Cap` type and the compile-time programs.
//!
//! Everything emitted refers to the runtime crate as `::seccomp_policy`, which
//! is why users depend on that crate (it re-exports the macro). What does
//! not depend on the policy's contents is written once there: the `Cap`
//! type's body in `seccomp_policy::__cap_type!`, and the items built on
//! `POLICY` (`program`, `BaseProgram`, ...) in `seccomp_policy::__policy_items!`;
//! the expansion passes them the policy's names and numbers.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

use seccomp_policy_compiler::lower::ArchRules;
use seccomp_policy_compiler::model::Policy;
use seccomp_policy_core::Arch;

use crate::tables;

// Unconditional rules a program may add to the policy's own: the spawn
// path's `execve` (so the command can start) and its handshake with the
// supervisor; the same allowance the front end checks every program with.
use seccomp_policy_core::policy::EXTRA_RULES;

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
    let policy_value = tables::policy_value(display_path, e.policy, e.arches);
    let capacity = e
        .arches
        .iter()
        .map(|a| a.with_policy(|p| p.capacity(EXTRA_RULES)))
        .max()
        .unwrap_or(0);
    // Each architecture's variant, its index in `POLICY.arches`, and its
    // `BaseProgram` const and that const's doc.
    let arches = e.arches.iter().enumerate().map(|(i, a)| {
        let variant = arch_variant(a.arch);
        let index = Literal::usize_unsuffixed(i);
        let base = format_ident!("{}", a.arch.name().to_uppercase());
        let base_doc = format!("The {} program with no caps.", a.arch.name());
        quote!(#variant [#index] #base #base_doc)
    });
    // How `program` takes caps: its parameter, the bit mask of it, and the
    // empty set.
    let (cap_items, caps, no_caps) = match e.bound_cap_type {
        None => (cap_type(e), quote!(caps: Cap => caps.0), quote!(Cap::NONE)),
        Some(ty) => (bound_cap_items(e, ty), quote!(caps: u64 => caps), quote!(0)),
    };
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

        ::seccomp_policy::__policy_items! {
            policy = POLICY;
            capacity = #capacity;
            caps = #caps;
            no_caps = #no_caps;
            arches = [#(#arches),*];
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
