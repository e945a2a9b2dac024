//! Learn mode against `strace -f`: for real payloads, the syscalls learn mode
//! reports beyond the grant must be exactly those `strace -f` sees the same
//! payload make, minus the grant. As root and as uid 65534, each run in a
//! forked child. Needs `strace` (`.ci/run` installs it).
#![cfg(target_arch = "x86_64")]

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

use seccomp_policy::supervise::Supervisor;
use seccomp_policy::Arch;
use seccomp_policy_suite::{in_child_as, User};

mod shipped {
    seccomp_policy::seccomp_policy!("policy/seccomp.toml");
}
use shipped::{syscall_name, Cap, POLICY};

const PYTHON: &str = "/usr/bin/python3";
const PAYLOAD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/payloads/sqlite_subprocess_socket.py"
);

/// The names the grant allows: `[base]`, the caps in `caps`, and the spawn
/// path's `execve`.
fn grant(caps: Cap) -> BTreeSet<String> {
    let ap = POLICY.native().expect("x86_64 policy");
    let mut names: BTreeSet<String> = ap
        .base
        .iter()
        .chain(
            ap.caps
                .iter()
                .enumerate()
                .filter(|(i, _)| caps.bits() & (1 << i) != 0)
                .flat_map(|(_, set)| set.iter()),
        )
        .map(|&nr| syscall_name(Arch::X86_64, nr).expect("named").to_owned())
        .collect();
    names.insert("execve".into());
    names
}

/// The syscall names in an `strace -f -o FILE` log: each line is
/// `PID name(...`; resumptions, signals and exits are skipped.
fn strace_names(log: &str) -> BTreeSet<String> {
    log.lines()
        .filter_map(|line| {
            let rest = line
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .trim_start();
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty() && rest[name.len()..].starts_with('(')).then_some(name)
        })
        .collect()
}

/// What `strace -f` sees `argv` make beyond the grant, and the payload's
/// stdout.
fn strace_beyond(argv: &[&str], caps: Cap) -> Result<(BTreeSet<String>, String), String> {
    let log = std::env::temp_dir().join(format!("learn-vs-strace-{}.log", std::process::id()));
    let out = Command::new("strace")
        .args(["-f", "-qq", "-o"])
        .arg(&log)
        .arg("--")
        .args(argv)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("strace could not run ({e}); .ci/run installs it"))?;
    let text = std::fs::read_to_string(&log).map_err(|e| format!("strace log: {e}"))?;
    let _ = std::fs::remove_file(&log);
    if !out.status.success() {
        return Err(format!("under strace: {}", out.status));
    }
    let grant = grant(caps);
    let names = strace_names(&text)
        .into_iter()
        .filter(|n| !grant.contains(n))
        .collect();
    Ok((names, String::from_utf8_lossy(&out.stdout).into_owned()))
}

/// What learn mode reports beyond the grant, its printed summary, and the
/// payload's stdout.
fn learn_beyond(argv: &[&str], caps: Cap) -> Result<(BTreeSet<String>, String, String), String> {
    let mut cmd = Command::new(argv[0]);
    cmd.args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    let supervision = Supervisor::new(&POLICY, caps.bits(), syscall_name)
        .learn()
        .kill_with_parent(true)
        .attach(&mut cmd)
        .map_err(|e| e.to_string())?;
    let out = cmd
        .spawn()
        .and_then(|c| c.wait_with_output())
        .map_err(|e| e.to_string())?;
    let report = supervision.finish().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("under learn mode: {}", out.status));
    }
    let learned = report.learned();
    if !learned.foreign.is_empty() {
        return Err(format!("calls through another entry point:\n{learned}"));
    }
    Ok((
        learned.names(),
        learned.to_string(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

fn compare(argv: &[&str], caps: Cap, expected_stdout: &str) -> Result<String, String> {
    let (traced, traced_out) = strace_beyond(argv, caps)?;
    let (learned, summary, learned_out) = learn_beyond(argv, caps)?;
    if traced_out != expected_stdout || learned_out != expected_stdout {
        return Err(format!(
            "stdout under strace {traced_out:?}, under learn mode {learned_out:?}"
        ));
    }
    if traced != learned {
        return Err(format!(
            "strace -f beyond the grant: {traced:?}\nlearn mode: {learned:?}\n{summary}"
        ));
    }
    if traced.len() < 3 {
        return Err(format!(
            "too few calls beyond the grant to compare: {traced:?}"
        ));
    }
    Ok(format!(
        "{} syscalls, the same in both: {traced:?}\n{summary}",
        traced.len()
    ))
}

fn both(f: fn() -> Result<String, String>) {
    for user in User::BOTH {
        match in_child_as(user, f) {
            Ok(text) => println!("{user:?}: {text}"),
            Err(e) => panic!("as {user:?}: {e}"),
        }
    }
}

/// Python with sqlite3 on a file, a subprocess and a loopback TCP socket
/// pair, granted nothing: the calls beyond `[base]` come from several caps
/// (SQL_QUERY, SSRF, CODE_EXEC) and from none.
#[test]
fn python_sqlite_subprocess_socket() {
    both(|| {
        compare(
            &[PYTHON, "-I", PAYLOAD],
            Cap::NONE,
            "rows 100\ntrue 0\ngot ping\n",
        )
    });
}

/// `sh -c` with a pipeline, granted nothing: the shell forks (CODE_EXEC),
/// `ls` calls `statfs` and `wc` calls `fadvise64` (in no cap).
#[test]
fn shell_pipeline() {
    both(|| {
        compare(
            &["/bin/sh", "-c", "ls / | wc -l >/dev/null; echo ok"],
            Cap::NONE,
            "ok\n",
        )
    });
}

/// The log parser, on lines as strace 6.1 writes them with `-f -o`.
#[test]
fn strace_log_lines() {
    let log = "4242  execve(\"/bin/sh\", [\"sh\"], 0x7ffd /* 3 vars */) = 0\n\
               4243  wait4(-1,  <unfinished ...>\n\
               4242  <... wait4 resumed>[{WIFEXITED(s)}], 0, NULL) = 4243\n\
               4242  --- SIGCHLD {si_signo=SIGCHLD} ---\n\
               4242  close_range(3, 4294967295, 0) = 0\n\
               4242  +++ exited with 0 +++\n";
    let names: Vec<String> = strace_names(log).into_iter().collect();
    assert_eq!(names, ["close_range", "execve", "wait4"]);
}
