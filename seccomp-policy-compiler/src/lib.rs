//! The seccomp-policy front end as an ordinary library.
//!
//! It reads a policy file, checks it (every mistake is a [`Diagnostic`] with
//! the file's line and column and what to do), and resolves it on every
//! supported architecture. The `seccomp_policy!` macro, the
//! `seccomp-policy` command-line tool, the fuzzers and the tests all go
//! through this crate, so a policy means the same thing everywhere.
//!
//! ```
//! let source = r#"
//! [base]
//! allow = ["read", "write", "socket(family == AF_UNIX)"]
//! [cap.NET]
//! allow = ["socket"]
//! "#;
//! let compiled = seccomp_policy_compiler::compile(source).expect("a valid policy");
//! let x86_64 = &compiled.arches[0];
//! assert_eq!(x86_64.base.allow, [0, 1]);
//! assert_eq!(x86_64.base.rules[0].nr, 41); // socket, with a condition
//! assert_eq!(x86_64.caps[0].allow, [41]);
//!
//! // Every mistake at once, each with its place and what to do.
//! let errors = seccomp_policy_compiler::compile("[base]\nallow = [\"raed\", \"ioctl(cmd == TIOCSIT)\"]\n")
//!     .unwrap_err();
//! let rendered: Vec<String> = errors.iter().map(|d| d.render("p.toml")).collect();
//! assert_eq!(rendered, [
//!     "p.toml:2:11: unknown syscall `raed`\nhelp: did you mean `read`?",
//!     "p.toml:2:32: unknown constant `TIOCSIT`\nhelp: did you mean `TIOCSTI`?",
//! ]);
//! ```
//!
//! The public API is what the macro, the command-line tool, the fuzzers
//! and the tests read: [`compile`] and [`compile_file`], and the modules
//! their results are made of: [`source`] (reading the file), [`parse`]
//! (TOML to a checked [`model::Policy`]), [`expr`] (the rule strings'
//! syntax), [`diag`] (diagnostics as data: kind, place and end, message,
//! notes, help; plain text, or with source snippets), [`code`] (each kind
//! of error's stable code), [`suggest`] ("did you mean"), [`lower`] (to
//! each architecture's rule IR), [`tables`] (generated: parameters and
//! constants per architecture; syscall and errno numbers are the core
//! crate's). Whether every program can be built (`buildable`) is checked
//! by [`compile`] and private. Lints and OCI profiles, which only the
//! command-line tool needs, are the `seccomp-policy-lint-export` crate's,
//! which the macro does not build.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

/// The crate's README; its Rust examples run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeExamples;

mod buildable;
pub mod code;
pub mod diag;
pub mod expr;
pub mod lower;
pub mod model;
pub mod parse;
pub mod source;
pub mod suggest;
pub mod tables;

pub use diag::Diagnostic;

use std::path::Path;

use lower::ArchRules;
use model::Policy;

/// A policy read, checked and lowered on every architecture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compiled {
    /// The checked policy, as written.
    pub policy: Policy,
    /// Its rules on each architecture, in [`seccomp_policy_core::Arch::ALL`] order.
    pub arches: Vec<ArchRules>,
}

/// Parses, checks and lowers a policy text, and checks that every program
/// of it can be built (on every architecture, every cap set, with and
/// without the spawn path's `execve`): the whole front end, as the macro
/// and the command-line tool run it. Every error is reported, sorted
/// by position: the errors of lowering (unknown parameters, constants,
/// errno names) come with those of the file's structure, in one run.
///
/// # Errors
///
/// Every diagnostic found, sorted by position, when the policy cannot be
/// compiled.
pub fn compile(source: &str) -> Result<Compiled, Vec<Diagnostic>> {
    let (policy, mut diags) = parse::parse_policy_partial(source);
    let Some(policy) = policy else {
        return Err(with_ends(diags, source));
    };
    match lower::lower(&policy) {
        Ok(arches) if diags.is_empty() => {
            let unbuildable = buildable::check(&policy, &arches);
            if unbuildable.is_empty() {
                return Ok(Compiled { policy, arches });
            }
            diags.extend(unbuildable);
        }
        Ok(_) => {}
        Err(more) => diags.extend(more),
    }
    diags.sort_by_key(|d| d.loc);
    Err(with_ends(diags, source))
}

/// `diags` with the end of each place found in `source`.
fn with_ends(diags: Vec<Diagnostic>, source: &str) -> Vec<Diagnostic> {
    diags.into_iter().map(|d| d.with_ends(source)).collect()
}

/// A policy file read and compiled, as the command-line tool does it.
#[derive(Clone, Debug)]
pub struct CompiledFile {
    /// The file's text, for the errors' snippets: lossily converted where
    /// it is not UTF-8, empty when the file could not be read.
    pub source: String,
    /// What the front end made of it.
    pub result: Result<Compiled, Vec<Diagnostic>>,
}

/// Reads the policy file at `path` (written by the user as `display`) as
/// [`source::read_policy_bytes`] does, and [`compile`]s it: every
/// subcommand of the command-line tool, and a fuzz target, go through
/// this. It never panics and reads at most [`source::MAX_POLICY_BYTES`].
pub fn compile_file(path: &Path, display: &str) -> CompiledFile {
    let bytes = match source::read_policy_bytes(path, display) {
        Ok(bytes) => bytes,
        Err(diag) => {
            return CompiledFile {
                source: String::new(),
                result: Err(vec![diag]),
            }
        }
    };
    match source::policy_text(bytes) {
        Ok(text) => {
            let result = compile(&text);
            CompiledFile {
                source: text,
                result,
            }
        }
        Err((diag, lossy)) => CompiledFile {
            result: Err(vec![diag.with_ends(&lossy)]),
            source: lossy,
        },
    }
}
