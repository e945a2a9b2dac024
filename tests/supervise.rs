//! The supervisor on a real kernel: real programs under the shipped policy,
//! their denied calls named wherever they happen in the process tree, as
//! root and as uid 65534. Each test runs in a forked child (`in_child_as`),
//! which spawns the payload; the test runner is never filtered.
#![cfg(target_arch = "x86_64")]

use std::fmt::Write as _;
use std::process::{Command, ExitStatus, Stdio};

use seccomp_policy::supervise::{AllowedBy, Answer, Ending, Mode, Report, Supervisor};
use seccomp_policy_suite::{in_child_as, User};

mod shipped {
    seccomp_policy::seccomp_policy!("policy/seccomp.toml");
}
use shipped::{syscall_name, Cap, POLICY};

/// Debian's interpreter (a `python3` on `PATH` may be a shim that forks).
const PYTHON: &str = "/usr/bin/python3";

/// A payload's run under the supervisor.
struct Run {
    report: Report,
    status: ExitStatus,
    pid: u32,
    stdout: String,
}

fn supervise(mode: Mode, caps: Cap, argv: &[&str]) -> Result<Run, String> {
    let mut cmd = Command::new(argv[0]);
    cmd.args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let supervision = Supervisor::new(&POLICY, caps.bits(), syscall_name)
        .mode(mode)
        .attach(&mut cmd)
        .map_err(|e| e.to_string())?;
    let child = cmd.spawn().map_err(|e| format!("spawn: {e}"))?;
    let pid = child.id();
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let report = supervision.finish().map_err(|e| e.to_string())?;
    Ok(Run {
        report,
        status: out.status,
        pid,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    })
}

/// One line per denial: `program syscall allowed_by answer`.
fn denial_lines(report: &Report) -> String {
    let mut s = String::new();
    for d in &report.denials {
        let program = d.program.as_ref().map_or("?".into(), |p| p.to_string());
        let _ = writeln!(
            s,
            "{program} {} [{}] {:?}",
            d.syscall(),
            d.allowed_by,
            d.answer
        );
    }
    s
}

fn both(f: fn() -> Result<String, String>) {
    for user in User::BOTH {
        match in_child_as(user, f) {
            Ok(text) => println!("{user:?}:\n{text}"),
            Err(e) => panic!("as {user:?}: {e}"),
        }
    }
}

/// `sh -c 'ls / | wc -l'` with CODE_EXEC: the shell forks both sides of the
/// pipe; `ls` calls `statfs` and `wc` calls `fadvise64`, neither in any cap.
/// Without the supervisor the run "exits with status 0" (wc prints 0 and
/// the shell reports wc's status); here both grandchildren are named.
#[test]
fn grandchildren_denials_are_named() {
    both(|| {
        let run = supervise(
            Mode::Enforce,
            Cap::CODE_EXEC,
            &["/bin/sh", "-c", "ls / | wc -l"],
        )?;
        let lines = denial_lines(&run.report);
        let want = [
            "/usr/bin/ls statfs [no cap allows it] Killed",
            "/usr/bin/wc fadvise64 [no cap allows it] Killed",
        ];
        for w in want {
            if !lines.contains(w) {
                return Err(format!("no `{w}` in:\n{lines}"));
            }
        }
        if run.report.denials.len() != 2 {
            return Err(format!("expected 2 denials:\n{lines}"));
        }
        // Neither is the shell itself, which exits with wc's status.
        if run.report.denials_of(run.pid).count() != 0 {
            return Err(format!("the shell {} was blamed:\n{lines}", run.pid));
        }
        let ending = run.report.ending(run.pid, run.status);
        if ending != Ending::Exited(128 + libc::SIGKILL) {
            return Err(format!("sh {ending}"));
        }
        Ok(lines)
    });
}

/// A Python grandchild opening a socket: named, with the caps that would
/// allow it.
#[test]
fn grandchild_denial_names_the_caps() {
    both(|| {
        let script = format!("{PYTHON} -I -c 'import socket; socket.socket()'; echo status $?");
        let run = supervise(Mode::Enforce, Cap::CODE_EXEC, &["/bin/sh", "-c", &script])?;
        let lines = denial_lines(&run.report);
        let want = "/usr/bin/python3.11 socket [allowed by caps SSRF, HEADER_INJECTION or OPEN_REDIRECT] Killed\n";
        if lines != want {
            return Err(format!("expected {want:?}, got {lines:?}"));
        }
        let d = &run.report.denials[0];
        let want_caps = (Cap::SSRF | Cap::HEADER_INJECTION | Cap::OPEN_REDIRECT).bits();
        if !matches!(&d.allowed_by, AllowedBy::Caps { bits, .. } if *bits == want_caps) {
            return Err(format!("caps {:?}", d.allowed_by));
        }
        // socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)
        if d.args[..3] != [2, 1 | 0o2000000, 0] {
            return Err(format!("args {:?}", d.args));
        }
        if run.stdout != "status 137\n" {
            return Err(format!("stdout {:?}", run.stdout));
        }
        Ok(format!("{lines}{}", d))
    });
}

/// Python's `subprocess.run`: the forked child closes descriptors with
/// `close_range` before `execve`, in no cap. Without the supervisor the
/// parent sees only a return code of -9 or -31.
#[test]
fn subprocess_child_denial_is_named() {
    both(|| {
        let code = "import subprocess; print(subprocess.run(['/bin/true']).returncode)";
        let run = supervise(Mode::Enforce, Cap::CODE_EXEC, &[PYTHON, "-I", "-c", code])?;
        let lines = denial_lines(&run.report);
        if lines != "/usr/bin/python3.11 close_range [no cap allows it] Killed\n" {
            return Err(format!("denials: {lines:?}"));
        }
        let d = &run.report.denials[0];
        if d.pid == Some(run.pid) {
            return Err("blamed the parent".into());
        }
        if run.stdout != "-9\n" || run.report.ending(run.pid, run.status) != Ending::Exited(0) {
            return Err(format!("stdout {:?}, status {:?}", run.stdout, run.status));
        }
        Ok(lines)
    });
}

/// The direct child's own denial ends it, and the ending says which call.
#[test]
fn direct_child_killed_by_the_policy() {
    both(|| {
        let code = "import socket; print('before', flush=True); socket.socket(); print('after')";
        let run = supervise(Mode::Enforce, Cap::NONE, &[PYTHON, "-I", "-c", code])?;
        let ending = run.report.ending(run.pid, run.status);
        let Ending::KilledByPolicy(d) = ending else {
            return Err(format!("ending {ending}"));
        };
        if d.syscall() != "socket" || d.answer != Answer::Killed || run.stdout != "before\n" {
            return Err(format!("{d} / {:?}", run.stdout));
        }
        if ending.exit_code() != 159 {
            return Err(format!("exit code {}", ending.exit_code()));
        }
        Ok(format!("{ending}\n{d}"))
    });
}

/// A process that sends itself SIGSYS is not reported as a policy kill.
#[test]
fn self_sent_sigsys_is_not_blamed_on_the_policy() {
    both(|| {
        let run = supervise(Mode::Enforce, Cap::NONE, &["/bin/sh", "-c", "kill -SYS $$"])?;
        let ending = run.report.ending(run.pid, run.status);
        if ending != Ending::Signaled(libc::SIGSYS) || !run.report.denials.is_empty() {
            return Err(format!("{ending}; {}", denial_lines(&run.report)));
        }
        let text = ending.to_string();
        if !text.contains("not by the policy") {
            return Err(text);
        }
        Ok(text)
    });
}
