//! The `seccomp_policy!` macro. Use it through the `seccomp-policy` crate,
//! which re-exports it beside the types its expansion refers to.
//!
//! This crate is a thin shell: parsing, validation, the syscall tables,
//! resolution and expansion are ordinary modules tested without a compiler.

mod diag;
mod driver;
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
    let input = proc_macro2::TokenStream::from(input);
    match std::panic::catch_unwind(move || driver::run(input)) {
        Ok(tokens) => tokens.into(),
        Err(panic) => driver::internal_error(panic.as_ref()).into(),
    }
}
