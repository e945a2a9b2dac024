//! What both targets check about one policy text, beyond not panicking.
//!
//! This is the fuzz package's library, so both targets share one copy of the
//! checks, written over the `seccomp-policy-compiler` library.

// The checks fail by panicking, which the fuzzer reports with the input;
// `# Panics` and `# Errors` sections would only repeat that.
#![allow(clippy::missing_panics_doc, clippy::missing_errors_doc)]

use seccomp_policy_compiler::model::{Loc, Policy};
use seccomp_policy_compiler::{diag, lower, parse, source};
use seccomp_policy_core::bpf::BPF_MAXINSNS;
use seccomp_policy_core::builder::BuildError;
use seccomp_policy_core::rule::RuleSet;
use seccomp_policy_core::sim;

/// The path the fuzz inputs are named by in diagnostics.
pub const DISPLAY: &str = "policy/fuzz.toml";

/// Parses `source` and, if it is a policy, resolves it; if not, renders
/// every error. Returns the parse result for target-specific checks.
pub fn check_source(source: &str) -> Result<Policy, Vec<diag::Diagnostic>> {
    let result = parse::parse_policy(source);
    match &result {
        Ok(policy) => check_policy(policy),
        Err(diags) => check_diagnostics(source, diags),
    }
    result
}

fn check_policy(policy: &Policy) {
    assert!(policy.caps.len() <= parse::MAX_CAPS, "more caps than bits");
    let arches = match lower::lower(policy) {
        Ok(arches) => arches,
        Err(diags) => {
            assert!(!diags.is_empty(), "a lowering error without a diagnostic");
            for d in &diags {
                let _ = d.render(DISPLAY);
            }
            return;
        }
    };
    for arch in &arches {
        for set in std::iter::once(&arch.base).chain(&arch.caps) {
            assert!(
                set.allow.windows(2).all(|w| w[0] < w[1]),
                "{}: numbers not sorted and unique",
                arch.arch
            );
            assert!(set.rules.windows(2).all(|w| w[0].nr <= w[1].nr));
        }
        assert!(arch.missing.windows(2).all(|w| w[0] < w[1]));
        // The programs with no cap and with every cap: built or refused as
        // too long, never a panic; a built one passes the kernel's checks.
        arch.with_policy(|p| {
            for caps in [0, u64::MAX] {
                match p.program::<BPF_MAXINSNS>(caps, RuleSet::EMPTY, p.default) {
                    Ok(prog) => assert_eq!(sim::check(prog.as_slice()), Ok(())),
                    Err(BuildError::TooLong { .. } | BuildError::TooManyRules { .. }) => {}
                    Err(e) => panic!("{}: {e}", arch.arch),
                }
            }
        });
    }
}

fn check_diagnostics(source: &str, diags: &[diag::Diagnostic]) {
    assert!(!diags.is_empty(), "an error result without a diagnostic");
    // `parse_policy` promises its errors sorted by position.
    assert!(
        diags.windows(2).all(|w| w[0].loc <= w[1].loc),
        "errors out of order: {:?}",
        diags.iter().map(|d| d.loc).collect::<Vec<_>>()
    );
    let lines = source.matches('\n').count() + 1;
    let in_file = |loc: Loc| loc.line >= 1 && loc.line <= lines && loc.col >= 1;
    for d in diags {
        if let Some(loc) = d.loc {
            assert!(in_file(loc), "{loc:?} is outside a file of {lines} lines");
        }
        for note in &d.notes {
            if let Some(loc) = note.loc {
                assert!(in_file(loc), "note at {loc:?} outside {lines} lines");
            }
        }
        assert!(!d.message.is_empty());
        let _ = d.render(DISPLAY);
    }
}

/// Writes `data` to a file of this process's own, has `read_policy` read it
/// and removes it again, so the file-reading path sees the raw bytes too.
pub fn check_file(data: &[u8]) {
    let path = scratch_file();
    if std::fs::write(path, data).is_err() {
        return; // No scratch space: the in-memory checks still ran.
    }
    let read = source::read_policy(path, DISPLAY);
    let _ = std::fs::remove_file(path);
    match read {
        Ok(source) => assert_eq!(source.as_bytes(), data, "read_policy changed the text"),
        Err(diag) => {
            assert!(
                std::str::from_utf8(data).is_err(),
                "read_policy rejected UTF-8: {}",
                diag.render(DISPLAY)
            );
        }
    }
}

/// On tmpfs when there is one.
fn scratch_file() -> &'static std::path::Path {
    static FILE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let shm = std::path::Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        dir.join(format!("seccomp-policy-fuzz-{}.toml", std::process::id()))
    })
}
