//! The `seccomp_policy!` macro. Use it through the `seccomp-policy` crate,
//! which re-exports it beside the types its expansion refers to.
//!
//! This crate is a thin shell over the `seccomp-policy-compiler` library,
//! which reads, checks and resolves the policy; here are only the
//! invocation's syntax, the expansion into tokens and the glue between them.
#![forbid(unsafe_code)]

mod compile_errors;
mod driver;
mod expand;
mod invocation;
mod tables;

use proc_macro::TokenStream;

/// Reads a TOML syscall policy at compile time and expands to its const tables.
///
/// ```text
/// seccomp_policy!("policy/seccomp.toml");                       // emits a `Cap` type
/// seccomp_policy!("policy/seccomp.toml", cap = crate::labels::Cap); // binds to your type
/// ```
///
/// The path is relative to the invoking crate's `Cargo.toml`; editing the file
/// makes cargo rebuild the crate. The expansion, in the calling module:
/// `Cap` (one const per `[cap.NAME]`, in declaration order; not in the bound
/// form, which has `cap_bits(caps) -> u64` instead), `POLICY` (a
/// `seccomp_policy::policy::Policy` with every architecture's sorted numbers
/// and the names it lacks), `PROGRAM_CAPACITY` and `PolicyProgram`, the
/// `const fn program(arch, caps)`, `BaseProgram::X86_64` (and one const per
/// architecture), and `syscall_name(arch, nr)`.
///
/// Every mistake in the file (syntax, unknown keys, wrong types, unknown or
/// duplicated syscalls, bad cap names) is a compile error naming the file, line
/// and column, all of them in one build. See the `seccomp-policy` crate.
#[proc_macro]
pub fn seccomp_policy(input: TokenStream) -> TokenStream {
    let input = proc_macro2::TokenStream::from(input);
    match std::panic::catch_unwind(move || driver::run(input)) {
        Ok(tokens) => tokens.into(),
        Err(panic) => driver::internal_error(panic.as_ref()).into(),
    }
}
