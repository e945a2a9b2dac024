//! Lints and OCI seccomp profiles of a compiled policy: what the
//! `seccomp-policy` command says about a policy beyond its programs.
//!
//! Both read a [`seccomp_policy_compiler::Compiled`], the front end's
//! result; the `seccomp_policy!` macro builds the front end but not this
//! crate.
//!
//! - [`lint`]: what compiles but is probably not meant (split and partial
//!   syscall families, conditions that never hold, shadowed actions, cap
//!   rules `[base]` already grants, caps adding nothing, rules some
//!   architectures leave out), and the `# lint: allow(NAME): REASON`
//!   comments that set a finding apart.
//! - [`oci`]: a cap set as an OCI runtime-spec `linux.seccomp` profile;
//!   what a profile cannot say exactly is refused with the reason.
//! - [`argset`]: argument values as masked cubes, which both reason with.
#![forbid(unsafe_code)]

/// The crate's README; its Rust examples run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeExamples;

pub mod argset;
pub mod lint;
pub mod oci;
