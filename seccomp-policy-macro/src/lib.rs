//! The `seccomp_policy!` macro. Use it through the `seccomp-policy` crate,
//! which re-exports it beside the types its expansion refers to.

mod diag;
mod expand;
mod invocation;
mod model;
mod parse;
mod resolve;
mod suggest;
mod tables;

use proc_macro::TokenStream;

/// Reads a TOML syscall policy at compile time and expands to its const tables.
///
/// See the `seccomp-policy` crate for the policy format and the expansion.
#[proc_macro]
pub fn seccomp_policy(input: TokenStream) -> TokenStream {
    let _ = input;
    TokenStream::new()
}
