//! The `no_std` core of seccomp-policy: what a filter is made of and how it
//! is built, with no dependency and no allocation.
//!
//! - [`bpf`]: classic-BPF instructions as the kernel reads them, and the
//!   fixed-size [`Program`] buffer.
//! - [`arch`]: the supported architectures and how the kernel names them.
//! - [`builder`]: the `const fn` that turns sorted syscall numbers into a
//!   filter program.
//! - [`policy`]: the const tables the `seccomp_policy!` macro emits, and the
//!   selection of a cap set's numbers for the builder.
//! - `sim` (feature `sim`): a seccomp BPF interpreter and verifier with the
//!   kernel's rules, for tests and tools.
//!
//! Users normally depend on the `seccomp-policy` crate, which re-exports all
//! of this beside the macro and the run-time installer.
#![cfg_attr(not(test), no_std)]

pub mod arch;
pub mod bpf;
// TEMPORARY, until the builder and the policy tables are rewritten (rule
// IR): pedantic findings in these two files, which are not edited meanwhile.
#[allow(
    clippy::missing_errors_doc,
    clippy::single_match_else,
    clippy::manual_let_else
)]
pub mod builder;
#[allow(clippy::missing_errors_doc)]
pub mod policy;
#[cfg(any(test, feature = "sim"))]
pub mod sim;

pub use arch::Arch;
pub use bpf::{Program, SockFilter};
pub use builder::Action;
