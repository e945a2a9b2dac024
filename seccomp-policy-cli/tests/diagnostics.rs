//! `check`'s diagnostics, pinned.
//!
//! - `check` on every UI-test policy (`tests/ui/policies/*.toml`) prints the
//!   macro's errors (`tests/ui/fail/*.stderr`), the same text in the same
//!   order: `--format short` is the macro's text one line a place,
//!   `file:line:col: error: message`, as compilers write it for editors.
//! - The rendered form (`--format human`) of every UI-test policy and of
//!   the lints of the seed policy is compared exactly with
//!   `tests/snapshots/*.txt`. After an intended change, regenerate them
//!   with `SECCOMP_POLICY_SNAPSHOTS=overwrite cargo test -p
//!   seccomp-policy-cli --test diagnostics` and review the diff, as with
//!   trybuild's `TRYBUILD=overwrite`.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{root, run};

/// The `error:` blocks of a trybuild `.stderr` file, without the snippet
/// of the macro invocation that rustc adds to each.
fn macro_errors(stderr: &str) -> Vec<String> {
    let mut out = Vec::new();
    for block in stderr.split("\n\n") {
        let text: Vec<&str> = block
            .lines()
            .take_while(|l| !l.starts_with(" --> ") && !l.starts_with("  --> "))
            .collect();
        if !text.is_empty() && text[0].starts_with("error: ") {
            out.push(text.join("\n"));
        }
    }
    out
}

/// Which policy each failing UI case compiles: the path in its invocation.
fn ui_cases() -> BTreeMap<String, String> {
    let mut cases = BTreeMap::new();
    let dir = root().join("tests/ui/fail");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let Some(start) = text.find("seccomp_policy!(\"") else {
            continue;
        };
        let rest = &text[start + "seccomp_policy!(\"".len()..];
        let policy = rest[..rest.find('"').unwrap()].to_owned();
        cases.insert(path.with_extension("stderr").display().to_string(), policy);
    }
    cases
}

#[test]
fn check_prints_the_macros_errors_in_the_same_order() {
    let mut compared = 0;
    let mut errors = 0;
    for (stderr_file, policy) in ui_cases() {
        let want = macro_errors(&std::fs::read_to_string(&stderr_file).unwrap());
        // The macro's own errors (its invocation, the bound form's unknown
        // cap) are not the front end's.
        if want.is_empty()
            || want.iter().any(|w| {
                !w.starts_with(&format!("error: {policy}")) && !w.contains(&format!("`{policy}`"))
            })
        {
            continue;
        }
        let r = run(&["check", &policy, "--format", "short"]);
        assert_eq!(r.code, Some(1), "{policy}: {}", r.stderr);
        // One line a place: the error's with its code at the end, which
        // the macro's text does not show.
        let mut got: Vec<String> = Vec::new();
        for line in r.stderr.lines() {
            let line = match line.rsplit_once(" [E") {
                Some((text, code))
                    if line.contains(": error: ")
                        && code.len() == 5
                        && code.ends_with(']')
                        && code[..4].bytes().all(|b| b.is_ascii_digit()) =>
                {
                    text
                }
                _ => line,
            };
            got.push(line.to_owned());
        }
        // The macro's help for a missing file names its manifest directory.
        let want: Vec<String> = want
            .into_iter()
            .map(|w| match w.find("\n       help: the path is relative") {
                Some(i) => w[..i].to_owned(),
                None => w,
            })
            .flat_map(|w| short_lines(&w, &policy))
            .collect();
        assert_eq!(got, want, "{policy} against {stderr_file}");
        compared += 1;
        errors += want.len();
    }
    println!("{compared} UI cases, {errors} errors, the same text in the same order");
    assert!(compared >= 10, "only {compared} cases compared");
}

/// The macro's error block (`error: FILE:L:C: message`, then indented
/// `note:` and `help:` lines) as `--format short` writes it: one line a
/// place, `FILE:L:C: error: message`, each note and help with the place
/// it is about.
fn short_lines(block: &str, policy: &str) -> Vec<String> {
    /// `FILE:L:C` at the start of `text`, and the rest.
    fn located<'t>(text: &'t str, policy: &str) -> Option<(&'t str, &'t str)> {
        let rest = text.strip_prefix(policy)?.strip_prefix(':')?;
        let mut parts = rest.splitn(3, ':');
        let (line, col, msg) = (parts.next()?, parts.next()?, parts.next()?);
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(line) || !digits(col) {
            return None;
        }
        let at = &text[..policy.len() + 1 + line.len() + 1 + col.len()];
        Some((at, msg.strip_prefix(' ').unwrap_or(msg)))
    }
    let mut lines = block.lines();
    let first = lines.next().unwrap_or_default();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let (at, message) = located(first, policy).unwrap_or((policy, first));
    let mut out = vec![format!("{at}: error: {message}")];
    for line in lines {
        let line = line.trim_start();
        if let Some(note) = line.strip_prefix("note: ") {
            let (note_at, text) = located(note, policy).unwrap_or((at, note));
            out.push(format!("{note_at}: note: {text}"));
        } else if let Some(help) = line.strip_prefix("help: ") {
            out.push(format!("{at}: help: {help}"));
        } else {
            out.push(line.to_owned());
        }
    }
    out
}

fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("SECCOMP_POLICY_SNAPSHOTS").is_some_and(|v| v == "overwrite") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with SECCOMP_POLICY_SNAPSHOTS=overwrite",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the output, first at line {}:\n  expected: {:?}\n  actual:   {:?}\n\
             (SECCOMP_POLICY_SNAPSHOTS=overwrite regenerates it)",
            path.display(),
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

#[test]
fn rendered_errors_are_pinned() {
    let mut all = String::new();
    let mut policies: Vec<String> = std::fs::read_dir(root().join("tests/ui/policies"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    policies.sort();
    policies.push("does-not-exist.toml".to_owned());
    for p in policies {
        let path = format!("tests/ui/policies/{p}");
        let r = run(&["check", &path]);
        all.push_str(&format!(
            "$ seccomp-policy check {path}\n[exit {}]\n{}{}\n",
            r.code.unwrap_or(-1),
            r.out(),
            r.stderr
        ));
    }
    snapshot("check.txt", &all);
}

#[test]
fn rendered_lints_are_pinned() {
    let r = run(&["lint", "seccomp-policy-cli/tests/policies/seed.toml"]);
    assert_eq!(r.code, Some(0));
    snapshot("lint-seed.txt", &r.stderr);
    let r = run(&["lint", "policy/seccomp.toml"]);
    snapshot("lint-shipped.txt", &format!("{}{}", r.out(), r.stderr));
}
