//! `[base]` is meant to cover stdio and interpreter start-up: `/bin/sh` and
//! Debian's `python3` must start, run and exit 0 under the shipped policy with
//! no caps (plus the spawn path's `execve`), and die by SIGSYS at the first
//! call outside it.
#![cfg(target_arch = "x86_64")]

use std::process::{Command, Output, Stdio};

use seccomp_policy::spawn::{CommandExt as _, Outcome};

seccomp_policy::seccomp_policy!("policy/seccomp.toml");

/// Debian's interpreter: a `python3` found first on `PATH` may be a shim
/// script that forks before the interpreter starts.
const PYTHON: &str = "/usr/bin/python3";

fn run_base(program: &str, args: &[&str]) -> (Outcome, String) {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.sandbox(&POLICY, Cap::NONE.bits())
        .expect("program builds");
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("spawns");
    let text = String::from_utf8_lossy(&stdout).into_owned() + &String::from_utf8_lossy(&stderr);
    (Outcome::from(status), text)
}

#[test]
fn sh_starts_and_finishes_under_base() {
    let (outcome, out) = run_base(
        "/bin/sh",
        &[
            "-c",
            "x=$((6*7)); echo \"answer $x\"; echo \"ppid $PPID\" >/dev/null",
        ],
    );
    assert_eq!(outcome, Outcome::Exited(0), "output: {out}");
    assert_eq!(out.lines().next(), Some("answer 42"));
}

#[test]
fn python_starts_and_finishes_under_base() {
    let (outcome, out) = run_base(
        PYTHON,
        &[
            "-I",
            "-c",
            "import json, sys; print(json.dumps({'sum': sum(range(10))})); sys.exit(0)",
        ],
    );
    assert_eq!(outcome, Outcome::Exited(0), "output: {out}");
    assert_eq!(out.trim(), "{\"sum\": 45}");
}

#[test]
fn python_dies_at_the_first_call_outside_base() {
    // mkdir(2) is granted only by FILE_IO, and [base] has no answer for it
    // but the default, kill-process.
    let (outcome, out) = run_base(
        PYTHON,
        &[
            "-I",
            "-u",
            "-c",
            "print('started'); import os; os.mkdir('/nonexistent/x'); print('unreachable')",
        ],
    );
    assert_eq!(outcome, Outcome::KilledBySeccomp, "output: {out}");
    assert_eq!(out.trim(), "started");
}

#[test]
fn a_subprocess_needs_code_exec() {
    // Without CODE_EXEC the shell's fork fails with EPERM, the policy's
    // answer, and dash gives up with status 2.
    let script = ["-c", "/bin/true && echo child ran"];
    let (outcome, out) = run_base("/bin/sh", &script);
    assert_eq!(outcome, Outcome::Exited(2), "output: {out}");
    assert!(out.contains("Cannot fork"), "output: {out}");

    let mut cmd = Command::new("/bin/sh");
    cmd.args(script).stdout(Stdio::piped());
    cmd.sandbox(&POLICY, Cap::CODE_EXEC.bits())
        .expect("program builds");
    let out = cmd.output().expect("spawns");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "child ran");
}

/// The kernel log is readable here (root or `kernel.dmesg_restrict = 0`).
fn kmsg_readable() -> bool {
    std::fs::File::open("/dev/kmsg").is_ok()
}

#[test]
fn the_denied_call_is_read_back_from_the_kernel_log() {
    use seccomp_policy::audit;
    if !kmsg_readable() {
        eprintln!("skipped: /dev/kmsg is not readable by this user");
        return;
    }
    // A record written in the kernel's format, for a pid no process has, must
    // be found: this checks the reader without depending on rate limits.
    let fake_pid = 4_000_000_000u32;
    let record = format!(
        "audit: type=1326 audit(0.0:0): auid=0 uid=0 gid=0 ses=0 pid={fake_pid} comm=\"t\" \
         exe=\"/t\" sig=31 arch=c000003e syscall=41 compat=0 ip=0x0 code=0x80000000\n"
    );
    std::fs::write("/dev/kmsg", record).expect("root may write to /dev/kmsg");
    let found = audit::find_denied_call(fake_pid).expect("kmsg readable");
    let call = found.expect("the written record is found");
    assert_eq!(
        (call.nr, call.arch(), call.action),
        (41, Some(seccomp_policy::Arch::X86_64), 0x8000_0000)
    );
    assert_eq!(
        syscall_name(seccomp_policy::Arch::X86_64, 41),
        Some("socket")
    );

    // A real kill: the kernel rate-limits these records, so a missing one is
    // not a failure, but a record that is there must name the right call.
    let mut cmd = Command::new(PYTHON);
    cmd.args(["-I", "-c", "import os; os.mkdir('/nonexistent/x')"]);
    cmd.sandbox(&POLICY, Cap::NONE.bits())
        .expect("program builds");
    let mut child = cmd.spawn().expect("spawns");
    assert_eq!(
        Outcome::from(child.wait().unwrap()),
        Outcome::KilledBySeccomp
    );
    match audit::find_denied_call(child.id()).expect("kmsg readable") {
        Some(call) => assert_eq!(
            (call.nr, call.arch()),
            (
                i64::from(libc::SYS_mkdir as i32),
                Some(seccomp_policy::Arch::X86_64)
            )
        ),
        None => eprintln!("the kernel did not log this kill (rate limit or audit daemon)"),
    }
}
