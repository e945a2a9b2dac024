//! The workspace's own programs, built with cargo for the tests that run
//! them as a user would: the `seccomp-policy` command and the sandbox
//! example. Each is built once per test binary, next to it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Builds with `cargo build ARGS` (offline, quiet) and returns the path of
/// `rel` in the target directory this test binary runs from.
///
/// # Panics
///
/// When cargo cannot run or the build fails, with cargo's message.
pub fn cargo_built(args: &[&str], rel: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "--quiet", "--offline"])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo build {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // target/debug/deps/this-test -> target/debug/REL
    let exe = std::env::current_exe().expect("test binary");
    exe.parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join(rel)
}

/// The `seccomp-policy` command.
pub fn cli() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| cargo_built(&["-p", "seccomp-policy-cli"], "seccomp-policy"))
}

/// `examples/sandbox`.
pub fn example() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| cargo_built(&["--example", "sandbox"], "examples/sandbox"))
}
