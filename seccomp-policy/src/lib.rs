//! Compile-time seccomp-BPF filters from a TOML syscall allowlist.
//!
//! `seccomp_policy!("policy/seccomp.toml")` reads the policy while the crate
//! compiles, checks it (every mistake is a compile error naming the file, line
//! and column), resolves every syscall name to its number on every supported
//! [`Arch`], and expands to const tables from which this crate's `const fn`
//! [`builder`] makes classic-BPF programs. At run time nothing is left to parse
//! or allocate: a program is installed with `prctl` and `seccomp`
//! ([`install`]), or in a child just before `execve` ([`spawn`]).
//!
//! ```no_run
//! use std::process::Command;
//! use seccomp_policy::spawn::{CommandExt as _, Outcome};
//!
//! // The path is relative to the invoking crate's Cargo.toml.
//! seccomp_policy::seccomp_policy!("../policy/seccomp.toml");
//!
//! let mut cmd = Command::new("/usr/bin/python3");
//! cmd.args(["-c", "print('hello')"]);
//! cmd.sandbox(&POLICY, Cap::SSRF.bits()).expect("the policy builds for this architecture");
//! let outcome = Outcome::from(cmd.status().expect("spawns"));
//! println!("{outcome}");
//! ```
//!
//! A fixed cap set can be a `static`, built while the crate compiles:
//!
//! ```
//! # seccomp_policy::seccomp_policy!("../policy/seccomp.toml");
//! use seccomp_policy::Arch;
//!
//! static SSRF_X86_64: PolicyProgram = match program(Arch::X86_64, Cap::SSRF) {
//!     Ok(p) => p,
//!     Err(e) => panic!("{}", e.message()),
//! };
//! assert!(SSRF_X86_64.len() < 300);
//! ```
//!
//! Modules: [`bpf`] (instructions and buffers), [`arch`] (architectures),
//! [`builder`] (the `const fn` program builder) and [`policy`] (the tables
//! the macro emits), all from the `no_std` `seccomp-policy-core` crate;
//! [`install`] and [`spawn`] (run time); [`supervise`] (a supervisor thread
//! that names every denied call of a command's process tree, and learns what
//! a command needs) over [`notify`] (seccomp user notification); [`tool`]
//! (what a command-line sandbox writes and the exit code it passes on);
//! [`audit`]
//! (which call a filter denied, from the kernel log); [`text`] (user text
//! as messages quote it: escaped, of bounded length); `sim` (feature `sim`:
//! a seccomp BPF interpreter for tests and tools).

// Every raw system call is in `sys`, behind a safe wrapper that states
// the invariant it relies on; every other module forbids `unsafe` (a
// `forbid` cannot be allowed again further in), and the crate root denies
// it, so `sys` is the one exception and says so where it is declared.
#![deny(unsafe_code)]

/// The crate's README; its Rust examples run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeExamples;

#[cfg(feature = "sim")]
pub use seccomp_policy_core::sim;
pub use seccomp_policy_core::{arch, bpf, builder, errno, policy, reach, rule, syscalls, text};

#[forbid(unsafe_code)]
mod private;
/// What the `seccomp_policy!` expansion calls; not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::private::fmt_caps;
}
#[forbid(unsafe_code)]
pub mod audit;
#[forbid(unsafe_code)]
pub mod domain;
#[forbid(unsafe_code)]
pub mod install;
#[forbid(unsafe_code)]
pub mod notify;
#[forbid(unsafe_code)]
pub mod spawn;
#[forbid(unsafe_code)]
pub mod supervise;
#[allow(unsafe_code)]
mod sys;
#[forbid(unsafe_code)]
pub mod tool;

#[cfg(test)]
#[forbid(unsafe_code)]
mod error_chains;
#[cfg(test)]
#[forbid(unsafe_code)]
mod unsafe_fence;

pub use seccomp_policy_core::{Action, Arch, Program, SockFilter};
pub use seccomp_policy_macro::seccomp_policy;
