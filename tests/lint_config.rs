//! benches/ and fuzz/ are workspaces of their own, so they cannot inherit
//! the main workspace's `[workspace.lints]`; they repeat it. Their copies
//! must stay equal to the root's, comments (the reasons for each allowed
//! lint) included.

use std::path::Path;

/// The `[workspace.lints.*]` tables of the manifest at `path` (relative to
/// the repository), as lines: from the first such header to the header of
/// the next table, less the comments and blank lines that stand before that
/// header (they belong to it).
fn lint_tables(path: &str) -> Vec<String> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out: Vec<String> = Vec::new();
    let mut inside = false;
    for line in text.lines().map(str::trim_end) {
        if line.starts_with('[') {
            inside = line.starts_with("[workspace.lints.");
            if !inside {
                while out
                    .last()
                    .is_some_and(|l| l.is_empty() || l.starts_with('#'))
                {
                    out.pop();
                }
            }
        }
        if inside {
            out.push(line.to_owned());
        }
    }
    out
}

#[test]
fn benches_and_fuzz_repeat_the_workspace_lints() {
    let root = lint_tables("Cargo.toml");
    for line in [
        "[workspace.lints.rust]",
        "unsafe_op_in_unsafe_fn = \"deny\"",
        "[workspace.lints.clippy]",
        "undocumented_unsafe_blocks = \"deny\"",
    ] {
        assert!(root.iter().any(|l| l == line), "no {line:?} in {root:#?}");
    }
    for copy in ["benches/Cargo.toml", "fuzz/Cargo.toml"] {
        assert_eq!(lint_tables(copy), root, "{copy} differs from Cargo.toml");
    }
}
