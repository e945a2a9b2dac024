//! Compile-time seccomp-BPF filters from a TOML syscall allowlist.
//!
//! `seccomp_policy!("policy/seccomp.toml")` reads the policy while the crate
//! compiles, checks it, resolves every syscall name to its number on every
//! supported [`Arch`], and expands to const tables from which this crate's
//! `const fn` builder makes classic-BPF programs. At run time nothing is left
//! to parse or allocate: a program is installed with `prctl` and `seccomp`.
#![warn(missing_docs)]

pub mod arch;
pub mod audit;
pub mod bpf;
pub mod builder;
pub mod install;
pub mod policy;
pub mod sim;
pub mod spawn;

pub use arch::Arch;
pub use bpf::{Program, SockFilter};
pub use seccomp_policy_macro::seccomp_policy;
