//! `unsafe` code of this crate is only under `src/sys/`: the lint levels in
//! `lib.rs` enforce it at compile time, and this test reads the sources so
//! that an `#[allow(unsafe_code)]` added elsewhere fails too.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn unsafe_appears_only_under_sys() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let sys = src.join("sys");
    let mut files = Vec::new();
    sources(&src, &mut files);
    assert!(files.len() > 20, "found only {files:?}");
    let mut outside = Vec::new();
    let mut inside = 0;
    // Split so this file does not find itself.
    let word = ["un", "safe"].concat();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a source file is UTF-8");
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            // The keyword as a token, not a part of a name (`{word}_code`).
            let keyword = code
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|token| token == word);
            if keyword {
                if file.starts_with(&sys) {
                    inside += 1;
                } else {
                    outside.push(format!("{}:{}: {line}", file.display(), i + 1));
                }
            }
        }
    }
    assert!(
        outside.is_empty(),
        "{word} outside src/sys/:\n{}",
        outside.join("\n")
    );
    // The fence holds something: the wrappers are there.
    assert!(inside > 10, "{inside} {word} lines under src/sys/");
}

#[test]
fn only_sys_may_allow_unsafe_code() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"))
        .expect("lib.rs is readable");
    let allow = ["#[allow(un", "safe_code)]"].concat();
    let allowed: Vec<_> = lib
        .lines()
        .zip(lib.lines().skip(1))
        .filter(|(l, _)| l.trim() == allow)
        .map(|(_, next)| next.trim())
        .collect();
    assert_eq!(allowed, ["mod sys;"]);
}
