//! The seccomp-policy front end as an ordinary library.
//!
//! It reads a policy file, checks it (every mistake is a [`Diagnostic`] with
//! the file's line and column and what to do), and resolves it on every
//! supported architecture. The `seccomp_policy!` macro, the
//! `seccomp-policy` command-line tool, the fuzzers and the tests all go
//! through this crate, so a policy means the same thing everywhere.
//!
//! ```
//! use seccomp_policy_compiler::{lower, parse};
//!
//! let source = r#"
//! [base]
//! allow = ["read", "write", "socket(family == AF_UNIX)"]
//! [cap.NET]
//! allow = ["socket"]
//! "#;
//! let policy = parse::parse_policy(source).expect("a valid policy");
//! let arches = lower::lower(&policy).expect("resolves on every architecture");
//! let x86_64 = &arches[0];
//! assert_eq!(x86_64.base.allow, [0, 1]);
//! assert_eq!(x86_64.base.rules[0].nr, 41); // socket, with a condition
//! assert_eq!(x86_64.caps[0].allow, [41]);
//! ```
//!
//! Modules: [`source`] (reading the file), [`parse`] (TOML to a checked
//! [`model::Policy`]), [`expr`] (the rule strings' syntax), [`diag`]
//! (diagnostics), [`suggest`] ("did you mean"), [`lower`] (to each
//! architecture's rule IR), [`tables`] and [`facts`] (syscall numbers,
//! parameters, constants, errno numbers per architecture).
#![warn(missing_docs)]

pub mod diag;
pub mod expr;
pub mod facts;
pub mod lower;
pub mod model;
pub mod parse;
pub mod source;
pub mod suggest;
pub mod tables;

pub use diag::Diagnostic;
