//! Editing the policy file must make cargo recompile the crate that invokes
//! the macro: a scratch crate is built, its policy edited, and the rebuilt
//! binary must report the new list.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn write_policy(dir: &Path, base: &[&str]) {
    let list: Vec<String> = base.iter().map(|n| format!("\"{n}\"")).collect();
    let text = format!(
        "[base]\nallow = [{}]\n\n[cap.NET]\nallow = [\"socket\"]\n",
        list.join(", ")
    );
    fs::write(dir.join("policy.toml"), text).unwrap();
}

fn build_and_run(dir: &Path, target: &Path) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["run", "--quiet", "--offline", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target)
        .env_remove("SECCOMP_POLICY_MANIFEST_DIR")
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "scratch crate failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn editing_the_policy_rebuilds_the_invoking_crate() {
    let root = workspace();
    let dir = root.join("target/scratch/rebuild-crate");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"rebuild-crate\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\nseccomp-policy = {{ path = {:?} }}\n\n[workspace]\n",
            root.join("seccomp-policy")
        ),
    )
    .unwrap();
    fs::write(
        dir.join("src/main.rs"),
        "seccomp_policy::seccomp_policy!(\"policy.toml\");\n\
         fn main() {\n\
             let x86_64 = POLICY.arch(seccomp_policy::Arch::X86_64).unwrap();\n\
             println!(\"{:?}\", x86_64.base.allow);\n\
         }\n",
    )
    .unwrap();
    // The scratch crate reuses the workspace's lock file so it builds offline.
    fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let target = root.join("target/scratch/target");

    write_policy(&dir, &["read", "write"]);
    // x86_64 numbers from arch/x86/entry/syscalls/syscall_64.tbl.
    assert_eq!(build_and_run(&dir, &target).trim(), "[0, 1]");

    write_policy(&dir, &["read", "write", "close"]);
    assert_eq!(build_and_run(&dir, &target).trim(), "[0, 1, 3]");
}
