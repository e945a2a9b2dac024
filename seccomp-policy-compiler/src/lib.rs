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
//! and the tests read: [`compile`] and [`compile_file`] (and
//! [`compile_for`], [`compile_file_for`]: the whole file checked, but
//! lowered and built on the architectures asked for only), and the modules
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
use seccomp_policy_core::Arch;

/// A policy read, checked and lowered on every architecture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compiled {
    /// The checked policy, as written.
    pub policy: Policy,
    /// Its rules on each architecture, in [`Arch::ALL`] order; only those
    /// asked for from [`compile_for`].
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

/// Parses and checks a whole policy text, as [`compile`] does, but lowers
/// it and checks that its programs can be built on `arches` only: what a
/// caller that runs the policy here needs (`seccomp-policy run` and
/// `learn`), at a fraction of the cost of every architecture.
///
/// Every error that does not depend on an architecture is still found:
/// the file's syntax, structure and types, unknown syscalls, and the
/// errors of lowering on `arches` (unknown constants, parameters and errno
/// names arise on every architecture that lowers the rule). A rule that
/// none of `arches` has is lowered where its syscall exists, so its
/// mistakes are found too. What is not found: an error that arises only
/// on other architectures in a rule `arches` have (a constant or a
/// parameter slot some other architecture lacks), and whether the other
/// architectures' programs can be built.
///
/// When anything is wrong, the whole front end runs again, so the errors
/// are exactly those [`compile`] reports, notes and order included.
///
/// # Errors
///
/// [`compile`]'s diagnostics, when a mistake is found.
pub fn compile_for(source: &str, arches: &[Arch]) -> Result<Compiled, Vec<Diagnostic>> {
    if Arch::ALL.iter().all(|a| arches.contains(a)) {
        return compile(source);
    }
    let (policy, diags) = parse::parse_policy_partial(source);
    let Some(policy) = policy.filter(|_| diags.is_empty()) else {
        return compile(source);
    };
    match lower::lower_on(&policy, arches) {
        Ok(lowered)
            if lower::lowers_elsewhere(&policy, &lowered)
                && buildable::check(&policy, &lowered).is_empty() =>
        {
            Ok(Compiled {
                policy,
                arches: lowered,
            })
        }
        _ => compile(source).map(|mut all| {
            // Not reached for a policy with an error found above; kept
            // so that the result holds `arches` alone either way.
            all.arches.retain(|a| arches.contains(&a.arch));
            all
        }),
    }
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
    compile_file_for(path, display, &Arch::ALL)
}

/// [`compile_file`] with [`compile_for`]: the file checked whole, lowered
/// and built on `arches` only.
pub fn compile_file_for(path: &Path, display: &str, arches: &[Arch]) -> CompiledFile {
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
            let result = compile_for(&text, arches);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(result: &Result<Compiled, Vec<Diagnostic>>) -> Vec<String> {
        match result {
            Ok(_) => Vec::new(),
            Err(diags) => diags.iter().map(|d| d.render("p.toml")).collect(),
        }
    }

    /// The suite's policies with mistakes (and the valid ones): on any
    /// one architecture, `compile_for` reports what `compile` reports, or
    /// builds that architecture's rules as `compile` does.
    #[test]
    fn one_architecture_reports_what_every_architecture_reports() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/ui/policies");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("the suite's policies")
            .map(|e| e.expect("an entry").path())
            .collect();
        files.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../policy/seccomp.toml"));
        let mut failing = 0;
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue; // not UTF-8: the file reader's error, before any lowering
            };
            let all = compile(&text);
            failing += usize::from(all.is_err());
            for arch in Arch::ALL {
                let one = compile_for(&text, &[arch]);
                assert_eq!(rendered(&one), rendered(&all), "{}, {arch}", file.display());
                if let (Ok(one), Ok(all)) = (&one, &all) {
                    assert_eq!(one.policy, all.policy);
                    assert_eq!(one.arches.len(), 1);
                    assert_eq!(one.arches[0], all.arches[arch as usize], "{arch}");
                }
            }
        }
        assert!(failing >= 10, "only {failing} policies with mistakes");
    }

    /// `open` is not an aarch64 syscall (`include/uapi/asm-generic/unistd.h`
    /// has only `openat`): a mistake in its condition is still found when
    /// only aarch64 is lowered.
    #[test]
    fn a_rule_this_architecture_lacks_is_checked_where_it_exists() {
        let text = "[base]\nallow = [\"read\", \"open(flags == O_RDONLY)\"]\n";
        assert!(compile_for(text, &[Arch::Aarch64]).is_ok());
        let text = "[base]\nallow = [\"read\", \"open(flags == O_RDOLNY)\"]\n";
        let all = compile(text);
        assert_eq!(
            rendered(&all),
            ["p.toml:2:33: unknown constant `O_RDOLNY`\nhelp: did you mean `O_RDONLY`?"]
        );
        assert_eq!(
            rendered(&compile_for(text, &[Arch::Aarch64])),
            rendered(&all)
        );
        let text = "[base]\nallow = [\"read\"]\n[base.actions]\n\"open\" = \"ENOETN\"\n";
        let all = compile(text);
        assert_eq!(all.as_ref().err().map(Vec::len), Some(1));
        assert_eq!(
            rendered(&compile_for(text, &[Arch::Aarch64])),
            rendered(&all)
        );
    }

    /// What `compile_for` does not find, by design: on i386 `fallocate`'s
    /// `len` is a 64-bit `loff_t` passed in two registers after another
    /// split `loff_t` (`arch/x86/entry/syscalls/syscall_32.tbl`,
    /// `ia32_fallocate`), so it has no slot there; on x86_64 it is
    /// `arg3`.
    #[test]
    fn an_error_of_other_architectures_only_is_left_to_check() {
        let text = "[base]\nallow = [\"fallocate(len == 0)\"]\n";
        let all = rendered(&compile(text));
        assert!(
            all.len() == 1 && all[0].contains("has no fixed argument slot"),
            "{all:?}"
        );
        let x86_64 = compile_for(text, &[Arch::X86_64]).expect("fine on x86_64");
        assert_eq!(
            x86_64.arches[0].base.rules[0].when,
            Some(vec![vec![seccomp_policy_core::rule::ArgCmp {
                arg: 3,
                bits: 64,
                op: seccomp_policy_core::rule::CmpOp::Eq,
                value: 0,
            }]])
        );
        assert!(compile_for(text, &[Arch::X86]).is_err());
    }
}
