//! Reading a policy file: bytes from disk to text, or a diagnostic that says
//! what went wrong and where the path was looked for.

use std::path::Path;

use crate::diag::{loc_at, Diagnostic};

/// Reads the policy file at `path`, which the user wrote as `display`
/// relative to the invoking crate (the macro's reading).
///
/// # Errors
///
/// A file that is missing, unreadable or not UTF-8 is an error naming
/// `display`; a missing one says where relative paths start.
pub fn read_policy(path: &Path, display: &str) -> Result<String, Diagnostic> {
    read_policy_file(path, display).map_err(|diag| {
        if diag.loc.is_none() && !path.exists() {
            diag.with_help(format!(
                "the path is relative to the directory holding the crate's Cargo.toml \
                 (CARGO_MANIFEST_DIR); here that is `{}`",
                path.display()
            ))
        } else {
            diag
        }
    })
}

/// Reads the policy file at `path`, which the user wrote as `display` (the
/// command-line tool's reading: the path is the user's own).
///
/// # Errors
///
/// A file that is missing, unreadable or not UTF-8 is an error naming `display`.
pub fn read_policy_file(path: &Path, display: &str) -> Result<String, Diagnostic> {
    let bytes = std::fs::read(path).map_err(|err| {
        Diagnostic::whole_file(format!("cannot read policy file `{display}`: {err}"))
    })?;
    String::from_utf8(bytes).map_err(|err| {
        let valid = err.utf8_error().valid_up_to();
        let prefix = std::str::from_utf8(&err.as_bytes()[..valid]).unwrap_or_default();
        Diagnostic::at(
            loc_at(prefix, prefix.len()),
            "the policy file is not valid UTF-8",
        )
        .with_help("save the policy file as UTF-8 text")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_files_and_reports_io_errors() {
        let dir = std::env::temp_dir().join(format!("seccomp-policy-parse-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();

        let good = dir.join("good.toml");
        std::fs::write(&good, "[base]\nallow = []\n").unwrap();
        assert_eq!(
            read_policy(&good, "good.toml").unwrap(),
            "[base]\nallow = []\n"
        );

        let missing = dir.join("missing.toml");
        let diag = read_policy(&missing, "policy/missing.toml").unwrap_err();
        assert_eq!(
            diag.render("policy/missing.toml"),
            format!(
                "cannot read policy file `policy/missing.toml`: No such file or directory (os error 2)\n\
                 help: the path is relative to the directory holding the crate's Cargo.toml \
                 (CARGO_MANIFEST_DIR); here that is `{}`",
                missing.display()
            )
        );

        let diag = read_policy_file(&missing, "missing.toml").unwrap_err();
        assert_eq!(
            diag.render("missing.toml"),
            "cannot read policy file `missing.toml`: No such file or directory (os error 2)"
        );

        let diag = read_policy(&dir, "policy").unwrap_err();
        assert!(diag.loc.is_none());
        assert!(diag
            .message
            .starts_with("cannot read policy file `policy`: "));

        let latin1 = dir.join("latin1.toml");
        std::fs::write(&latin1, b"[base]\nallow = [\"caf\xe9\"]\n").unwrap();
        let diag = read_policy(&latin1, "latin1.toml").unwrap_err();
        assert_eq!(
            diag.render("latin1.toml"),
            "latin1.toml:2:14: the policy file is not valid UTF-8\n\
             help: save the policy file as UTF-8 text"
        );

        std::fs::remove_dir_all(&dir).unwrap();
    }
}
