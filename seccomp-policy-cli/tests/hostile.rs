//! Hostile input to `seccomp-policy`: files that are not policy files,
//! text that must not reach the terminal as it is, and policies whose
//! programs cannot be built. Every case ends in an error that says what,
//! where and what to do, in bounded time and memory.

mod common;

use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::process::CommandExt as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{assert_code, root, run, scratch, Run};

const SHIPPED: &str = "policy/seccomp.toml";
const TOO_LONG: &str = "tests/ui/policies/too_long.toml";
const TOO_MANY_RULES: &str = "tests/ui/policies/too_many_rules.toml";

/// The exit code of `run` when it fails itself.
const TOOL_FAILED: i32 = 125;

/// Runs `seccomp-policy ARGS` with at most 1 GiB of address space, killed
/// after 20 seconds: a test of unbounded reading fails instead of taking the
/// machine's memory or hanging.
fn run_bounded<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_seccomp-policy"));
    cmd.args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe and touches no memory of the
    // parent's.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 1 << 30,
                rlim_max: 1 << 30,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let mut child = cmd.spawn().expect("the binary runs");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`seccomp-policy` still ran after 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    Run {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Asserts that `r`'s stderr starts with `first` and has `help`.
fn assert_error(r: &Run, first: &str, help: &str, what: &str) {
    assert!(r.stderr.starts_with(first), "{what}: {}", r.stderr);
    assert!(
        r.stderr.contains(help),
        "{what}: no {help:?} in {}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{what}: {}", r.stderr);
}

/// A device, a FIFO with no writer and a directory are refused before
/// anything is read, by every subcommand, with what to do instead; a symlink
/// to a policy file is followed.
#[test]
fn a_policy_file_must_be_a_regular_file() {
    let dir = scratch("hostile-kinds");
    let fifo = dir.join("policy.fifo");
    let c_path = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let fifo = fifo.to_str().unwrap().to_owned();
    let help = "help: name the policy file itself: a regular file (or a symlink to one) \
                of at most 16 MiB";
    for (path, kind) in [
        ("/dev/zero", "a character device"),
        (fifo.as_str(), "a FIFO"),
        ("policy", "a directory"),
    ] {
        let first = format!(
            "error[E0001]: cannot read policy file `{path}`: it is {kind}, not a regular file\n"
        );
        let r = run_bounded(&["check", path]);
        assert_code(&r, 1, &format!("check {path}"));
        assert_error(&r, &first, help, path);
        let r = run_bounded(&["check", "--format", "short", path]);
        assert_code(&r, 1, &format!("check --format short {path}"));
        let short = format!(
            "{path}: error: cannot read policy file `{path}`: it is {kind}, not a regular file [E0001]\n"
        );
        assert!(r.stderr.starts_with(&short), "{}", r.stderr);
        for sub in ["run", "learn"] {
            let r = run_bounded(&[sub, path, "--", "/bin/echo", "ran"]);
            assert_code(&r, TOOL_FAILED, &format!("{sub} {path}"));
            assert!(r.stdout.is_empty(), "{sub} {path}: the command ran");
            assert_error(&r, &first, help, &format!("{sub} {path}"));
        }
    }
    let link = dir.join("link.toml");
    std::os::unix::fs::symlink(root().join(SHIPPED), &link).unwrap();
    let r = run_bounded(&["check", link.to_str().unwrap()]);
    assert_code(&r, 0, "a symlink to the shipped policy");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A file over 16 MiB is refused by its size, before it is read.
#[test]
fn a_policy_file_over_16_mib_is_refused() {
    let dir = scratch("hostile-size");
    let big = dir.join("big.toml");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(16 * 1024 * 1024 + 1).unwrap();
    drop(file);
    let big = big.to_str().unwrap();
    for args in [&["check", big][..], &["run", big, "--", "/bin/echo"][..]] {
        let r = run_bounded(args);
        assert_code(&r, if args[0] == "run" { TOOL_FAILED } else { 1 }, big);
        assert_error(
            &r,
            &format!(
                "error[E0001]: cannot read policy file `{big}`: it is 16777217 bytes, more than the \
                 16 MiB (16777216 bytes) a policy file may have\n"
            ),
            "help: name the policy file itself: a regular file (or a symlink to one) of at \
             most 16 MiB",
            big,
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A name of a million characters is quoted as its first 64 and its
/// length, and the line under the message is cut around the column, so the
/// error stays a few lines long.
#[test]
fn long_names_are_cut_in_messages() {
    let dir = scratch("hostile-long");
    let path = dir.join("long.toml");
    let name = "a".repeat(1_000_000);
    std::fs::write(&path, format!("[base]\nallow = [\"{name}\"]\n")).unwrap();
    let path = path.to_str().unwrap();
    let quoted = format!("`{}…` (1000000 characters)", "a".repeat(64));
    for format in ["human", "short", "json"] {
        let r = run(&["check", "--format", format, path]);
        assert_code(&r, 1, format);
        let all = format!("{}{}", r.out(), r.stderr);
        assert!(all.len() < 4096, "{format}: {} bytes", all.len());
        assert!(
            all.contains(&format!("unknown syscall {quoted}")),
            "{format}: {all}"
        );
    }
    let r = run(&["check", path]);
    assert!(
        r.stderr
            .contains(&format!("2 | allow = [\"{}…\n", "a".repeat(90))),
        "{}",
        r.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Control characters in the file's path, in its names and in a command's
/// name are shown escaped (`\u{1b}`), never sent to the terminal.
#[test]
fn control_characters_are_escaped() {
    let dir = scratch("hostile-control");
    let path = dir.join("cap\x1b[31m.toml");
    std::fs::write(
        &path,
        "[base]\nallow = [\"read\"]\n[cap.\"A\\u001bB\"]\nallow = [\"write\"]\n",
    )
    .unwrap();
    let path = path.to_str().unwrap();
    let shown = path.replace('\x1b', "\\u{1b}");
    for format in ["human", "short"] {
        let r = run(&["check", "--format", format, path]);
        assert_code(&r, 1, format);
        assert!(!r.stderr.contains('\x1b'), "{format}: {:?}", r.stderr);
        assert!(r.stderr.contains(&shown), "{format}: {}", r.stderr);
        assert!(
            r.stderr.contains("capability name `A\\u{1b}B`"),
            "{format}: {}",
            r.stderr
        );
    }
    let missing = format!("{path}.missing");
    let r = run(&["check", "--format", "short", &missing]);
    assert!(!r.stderr.contains('\x1b'), "{:?}", r.stderr);
    for sub in ["run", "learn"] {
        let r = run(&[sub, SHIPPED, "--", "\x1b[31mfoo\x07"]);
        assert_code(&r, 127, sub);
        assert!(!r.stderr.contains('\x1b'), "{sub}: {:?}", r.stderr);
        assert!(!r.stderr.contains('\x07'), "{sub}: {:?}", r.stderr);
        assert!(
            r.stderr
                .contains("error: cannot run `\\u{1b}[31mfoo\\u{7}`: command not found in PATH"),
            "{sub}: {}",
            r.stderr
        );
        // A command that runs: the closing line names it escaped too.
        let r = run(&[sub, SHIPPED, "--", "/bin/echo", "\x1b[2J"]);
        assert_code(&r, 0, sub);
        assert!(!r.stderr.contains('\x1b'), "{sub}: {:?}", r.stderr);
        assert!(
            r.stderr
                .contains("`/bin/echo \\u{1b}[2J` exited with status 0"),
            "{sub}: {}",
            r.stderr
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A policy whose program is too long with one of its caps: `check` says
/// which architecture, which caps and which rule takes it over the limit,
/// and `run`, `export` and `disasm` refuse it the same way, for any caps.
#[test]
fn a_program_too_long_for_some_caps_is_an_error_everywhere() {
    let first =
        "error[E0016]: the x86_64 program with caps `BIG` cannot be built: it needs at least ";
    let r = run(&["check", TOO_LONG]);
    assert_code(&r, 1, "check");
    assert!(r.stdout.is_empty(), "{}", r.out());
    assert!(r.stderr.starts_with(first), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(" --> {TOO_LONG}:")),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("takes the program over the kernel's limit"),
        "{}",
        r.stderr
    );
    let r = run(&["check", "--format", "short", TOO_LONG]);
    assert!(
        r.stderr.starts_with(&format!("{TOO_LONG}:")) && r.stderr.contains(": error: "),
        "{}",
        r.stderr
    );
    for args in [
        &["run", TOO_LONG, "--", "/bin/echo", "ran"][..],
        &[
            "export",
            TOO_LONG,
            "--format",
            "bpf",
            "--arch",
            "x86_64",
            "-o",
            "/dev/null",
        ][..],
        &["disasm", TOO_LONG, "--arch", "x86_64"][..],
    ] {
        let r = run(args);
        let code = if args[0] == "run" { TOOL_FAILED } else { 1 };
        assert_code(&r, code, args[0]);
        assert!(r.stdout.is_empty(), "{}: {}", args[0], r.out());
        assert!(r.stderr.starts_with(first), "{}: {}", args[0], r.stderr);
    }
}

/// More than 32 conditioned rules on one syscall once a cap is granted:
/// the rule that is one too many is named, with the caps.
#[test]
fn too_many_conditioned_rules_are_an_error_everywhere() {
    let first =
        "error[E0016]: the x86_64 program with caps `TTY` cannot be built: `ioctl` has more \
                 than 32 conditioned rules\n";
    let r = run(&["check", TOO_MANY_RULES]);
    assert_code(&r, 1, "check");
    assert!(r.stderr.starts_with(first), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(" --> {TOO_MANY_RULES}:17:3\n")),
        "{}",
        r.stderr
    );
    for args in [
        &["run", TOO_MANY_RULES, "--", "/bin/echo", "ran"][..],
        &[
            "learn",
            TOO_MANY_RULES,
            "--cap",
            "TTY",
            "--",
            "/bin/echo",
            "ran",
        ][..],
        &["export", TOO_MANY_RULES, "--format", "oci"][..],
    ] {
        let r = run(args);
        let code = if args[0] == "export" { 1 } else { TOOL_FAILED };
        assert_code(&r, code, args[0]);
        assert!(r.stdout.is_empty(), "{}: {}", args[0], r.out());
        assert!(r.stderr.starts_with(first), "{}: {}", args[0], r.stderr);
    }
}
