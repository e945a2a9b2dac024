//! What both targets check about one policy text, beyond not panicking.
//!
//! This is the fuzz package's library, so both targets share one copy of the
//! checks, written over the `seccomp-policy-compiler` library.

// The checks fail by panicking, which the fuzzer reports with the input;
// `# Panics` and `# Errors` sections would only repeat that.
#![allow(clippy::missing_panics_doc, clippy::missing_errors_doc)]

use seccomp_policy_compiler::model::{Loc, Policy};
use seccomp_policy_compiler::{compile_file, diag, lower, parse, source};
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

/// Writes `data` to a scratch file and reads and compiles it with
/// `compile_file`, as every subcommand of the command-line tool does, then
/// renders every error in each of the tool's formats. Beyond "no panic":
/// an error result has errors, text is returned exactly when the bytes are
/// UTF-8 and no rendering holds a control character other than a newline
/// or a tab (a snippet's tab), since each goes to a terminal.
pub fn check_cli_file(data: &[u8]) {
    let path = scratch_file();
    if std::fs::write(path, data).is_err() {
        return;
    }
    let file = compile_file(path, DISPLAY);
    let _ = std::fs::remove_file(path);
    if let Ok(text) = std::str::from_utf8(data) {
        assert_eq!(file.source, text, "compile_file changed the text");
    }
    let Err(diags) = &file.result else {
        return;
    };
    assert!(!diags.is_empty(), "an error result without a diagnostic");
    for d in diags {
        let rendered = [d.render(DISPLAY)];
        for text in &rendered {
            assert!(
                !text
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t'),
                "a control character would reach the terminal: {text:?}"
            );
        }
        assert!(
            d.end.is_some() == d.loc.is_some(),
            "a place without its end: {d:?}"
        );
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

#[cfg(test)]
mod tests {
    /// The committed seeds and a few hostile files pass the checks on
    /// stable Rust, without libFuzzer.
    #[test]
    fn seeds_and_hostile_files_pass_the_cli_file_checks() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
        for entry in std::fs::read_dir(dir).unwrap() {
            super::check_cli_file(&std::fs::read(entry.unwrap().path()).unwrap());
        }
        let long = format!("[base]\nallow = [\"{}\"]\n", "a".repeat(100_000));
        for data in [
            &b"[base]\nallow = [\"read\"]\n[cap.\"A\\u001bB\"]\nallow = [\"x\\u001b\"]\n"[..],
            &b"\xff\x1b[2J\n[base]"[..],
            long.as_bytes(),
            &b"[base]\nallow = [\"\t\x1b\"]\n"[..],
        ] {
            super::check_cli_file(data);
        }
    }
}
