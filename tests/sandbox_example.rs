//! The sandbox example as a user runs it: denials named on stderr, learn
//! mode's summary, and killing the sandbox ending its payload. Each runs the
//! example's binary (built here with cargo) as root and as uid 65534.
//!
//! x86_64 only. Runs under the suite's harness (`harness = false`): without
//! Landlock ABI 6 or `/usr/bin/python3` a test is reported as ignored, and so
//! is a test whose uid 65534 half cannot run (the tests do not run as root).

seccomp_policy_suite::tests![
    #[cfg(target_arch = "x86_64")]
    x86_64::denials_in_the_tree_are_named,
    #[cfg(target_arch = "x86_64")]
    x86_64::learn_mode_prints_the_policy_lines,
    #[cfg(target_arch = "x86_64")]
    x86_64::a_command_that_cannot_run_exits_126_or_127,
    #[cfg(target_arch = "x86_64")]
    x86_64::arguments_that_are_not_utf8_are_taken,
    #[cfg(target_arch = "x86_64")]
    x86_64::sigterm_to_the_sandbox_ends_the_whole_payload,
    #[cfg(target_arch = "x86_64")]
    x86_64::sigkill_to_the_sandbox_ends_its_command,
    #[cfg(target_arch = "x86_64")]
    x86_64::a_forwarded_signal_reaches_a_program_that_keeps_its_mask,
];

#[cfg(target_arch = "x86_64")]
mod x86_64 {
    use std::io::{BufRead as _, BufReader};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use seccomp_policy_suite::harness::{require, Checked};
    use seccomp_policy_suite::{for_each_user, show, User};

    /// The sandbox command, as `user`.
    fn sandbox_as(user: User, args: &[&str]) -> Command {
        let mut cmd = Command::new(seccomp_policy_suite::built::example());
        cmd.args(args).stdin(Stdio::null()).current_dir("/");
        user.command(&mut cmd);
        cmd
    }

    /// Runs the sandbox to the end: exit code and stderr.
    fn run(user: User, args: &[&str]) -> (i32, String) {
        let out = sandbox_as(user, args).output().expect("sandbox runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Enforcement names each grandchild's denial with its program and the
    /// caps that would allow it, as any user, without the kernel log; a call
    /// the policy answers with an errno is named too, and the payload goes on.
    pub fn denials_in_the_tree_are_named() -> Checked {
        require::landlock()?;
        require::program(PYTHON)?;
        for_each_user(|user| {
            let dir = format!("/tmp/seccomp-policy-example-{}", std::process::id());
            let script = format!("mkdir {dir} | nice -n 1 /bin/true");
            let (code, err) = run(
                user,
                &["--cap", "CODE_EXEC", "--", "/bin/sh", "-c", &script],
            );
            for want in [
                "sandbox: denied: /usr/bin/mkdir [pid ",
                "]: mkdir(",
                "on x86_64: allowed by cap FILE_IO; killed its process; the call did not run",
                "sandbox: denied: /usr/bin/nice [pid ",
                "]: getpriority(",
                "on x86_64: no cap allows it; killed its process; the call did not run",
                &format!("sandbox: caps CODE_EXEC: `/bin/sh -c {script}` exited with status 137"),
            ] {
                assert!(err.contains(want), "as {user:?}: no {want:?} in:\n{err}");
            }
            assert!(!err.contains("kernel log"), "{err}");
            assert_eq!(code, 137, "as {user:?}:\n{err}");

            let (code, err) = run(
                user,
                &[
                    "--",
                    PYTHON,
                    "-I",
                    "-c",
                    "import socket, os\ntry: socket.socket()\nexcept PermissionError: os.getsid(0)",
                ],
            );
            for want in [
                "]: socket(2, 0x80001, 0, ",
                "on x86_64: allowed by caps SSRF, HEADER_INJECTION or OPEN_REDIRECT; failed with \
             EPERM (1) without running",
                "killed by the policy at `getsid` (no cap allows it)",
            ] {
                assert!(err.contains(want), "as {user:?}: no {want:?} in:\n{err}");
            }
            assert_eq!(code, 159, "as {user:?}:\n{err}");
            show(format_args!("{user:?}:\n{err}"));
        })
    }

    /// `--learn` runs everything and prints what was needed and what to add.
    pub fn learn_mode_prints_the_policy_lines() -> Checked {
        require::landlock()?;
        for_each_user(|user| {
            let dir = format!("/tmp/seccomp-policy-example-learn-{}", std::process::id());
            let script = format!("mkdir {dir} | nice -n 1 /bin/true; rmdir {dir}");
            let (code, err) = run(user, &["--learn", "--", "/bin/sh", "-c", &script]);
            for want in [
                "sandbox: learn mode: nothing is killed; errno refusals no cap allows stand",
                "exited with status 0",
                "6 system calls beyond the grant ([base] and the spawn's execve) of \
                 policy/seccomp.toml:",
                "  granted by cap FILE_IO:\n    mkdir ",
                "  granted by cap CODE_EXEC:\n    clone ",
                "  in no cap:\n    getpriority ",
                "to allow them, grant --cap FILE_IO --cap CODE_EXEC\n",
                "    \"getpriority\", \"setpriority\",\n",
            ] {
                assert!(err.contains(want), "as {user:?}: no {want:?} in:\n{err}");
            }
            assert_eq!(code, 0);
            show(format_args!("{user:?}:\n{err}"));
        })
    }

    /// A command that is not there exits 127, one that is there but cannot be
    /// executed 126 (as `env` and `timeout` exit), each with the reason.
    pub fn a_command_that_cannot_run_exits_126_or_127() -> Checked {
        use seccomp_policy::tool::{CANNOT_EXECUTE, NOT_FOUND};
        require::landlock()?;
        for_each_user(|user| {
            let (code, err) = run(user, &["--", "/nonexistent/seccomp-policy-example"]);
            assert_eq!(
                err,
                "sandbox: cannot run `/nonexistent/seccomp-policy-example`: execve failed (No \
                 such file or directory): ENOENT (2)\n",
                "as {user:?}"
            );
            assert_eq!(code, i32::from(NOT_FOUND), "as {user:?}");
            // A directory: execve fails with EACCES.
            let (code, err) = run(user, &["--learn", "--", "/tmp", "x"]);
            assert!(
                err.ends_with(
                    "sandbox: cannot run `/tmp x`: execve failed (Permission denied): EACCES (13)\n"
                ),
                "as {user:?}: {err}"
            );
            assert_eq!(code, i32::from(CANNOT_EXECUTE), "as {user:?}");
        })
    }

    /// Arguments that are not UTF-8 are passed to the command as they are, and
    /// a bad option that is not UTF-8 is a usage error; neither panics.
    pub fn arguments_that_are_not_utf8_are_taken() -> Checked {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt as _;
        require::landlock()?;
        let out = sandbox_as(User::Invoker, &["--", "/bin/echo"])
            .arg(OsStr::from_bytes(b"caf\xe9"))
            .output()
            .expect("sandbox runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert_eq!(out.stdout, b"caf\xe9\n", "{err}");
        assert!(
            err.contains("sandbox: caps none: `/bin/echo caf\u{fffd}` exited with status 0"),
            "{err}"
        );
        let out = sandbox_as(User::Invoker, &[])
            .arg(OsStr::from_bytes(b"--c\xe9p"))
            .output()
            .expect("sandbox runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.starts_with("error: unknown option `--c\u{fffd}p`\n"),
            "{err}"
        );
        Ok(())
    }

    /// The pids in session `sid` (the relay's: it leads the session, in which
    /// the payload has a process group of its own), zombies excepted.
    fn session_members(sid: i32) -> Vec<i32> {
        let mut pids = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            // After the `(comm)` field: state ppid pgrp session ...
            let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
            if fields[0] != "Z" && fields[3] == sid.to_string() {
                pids.push(pid);
            }
        }
        pids
    }

    /// The members of session `sid` that run the payload's programs: not the
    /// relay and the pid namespace's init, which run the sandbox's.
    fn payload_members(sid: i32) -> Vec<i32> {
        let sandbox = std::fs::canonicalize(seccomp_policy_suite::built::example()).unwrap();
        session_members(sid)
            .into_iter()
            .filter(|pid| {
                std::fs::read_link(format!("/proc/{pid}/exe")).ok() != Some(sandbox.clone())
            })
            .collect()
    }

    /// Starts the sandbox on a payload that prints `started` once running, and
    /// returns it with its relay's pid (the session's) and the payload's.
    fn start(user: User, args: &[&str]) -> (Child, i32, i32) {
        let mut child = sandbox_as(user, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sandbox runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, "started\n");
        let children =
            std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", child.id())).unwrap();
        let relay: i32 = children.trim().parse().expect("one child: the relay");
        // The relay's children: the namespace's init, and the payload.
        let children =
            std::fs::read_to_string(format!("/proc/{relay}/task/{relay}/children")).unwrap();
        let payload: Vec<i32> = children
            .split_whitespace()
            .map(|p| p.parse().unwrap())
            .filter(|p| payload_members(relay).contains(p))
            .collect();
        assert_eq!(payload.len(), 1, "one payload process: {payload:?}");
        (child, relay, payload[0])
    }

    fn wait_until_gone(sid: i32) -> Vec<i32> {
        let start = Instant::now();
        loop {
            let left = session_members(sid);
            if left.is_empty() || start.elapsed() > Duration::from_secs(10) {
                return left;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM to the sandbox reaches the payload's whole process group: the
    /// shell and both of its background children end, and the sandbox exits as
    /// the payload did and says so. (Before, the payload was left running
    /// under init.) The signal comes once the payload has started both
    /// children, however late the sandbox's own threads run on a loaded
    /// machine: a sandbox that took it for a signal with no command running
    /// would exit 143 without a word, its command killed, not signalled.
    pub fn sigterm_to_the_sandbox_ends_the_whole_payload() -> Checked {
        require::landlock()?;
        for_each_user(|user| {
            let (mut child, relay, _) = start(
                user,
                &[
                    "--cap",
                    "CODE_EXEC",
                    "--",
                    "/bin/sh",
                    "-c",
                    // Not `wait`: dash's builtin calls rt_sigsuspend, in no cap.
                    "sleep 300 & echo started; sleep 300",
                ],
            );
            // The foreground sleep starts after the echo.
            let start = Instant::now();
            let mut before = payload_members(relay);
            while before.len() < 3 && start.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(10));
                before = payload_members(relay);
            }
            assert_eq!(before.len(), 3, "sh and two sleeps: {before:?}");
            // SAFETY: signals the sandbox we spawned.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let status = child.wait().unwrap();
            let left = wait_until_gone(relay);
            // What is left would run for five minutes, unsupervised, holding
            // the sandbox's stderr open.
            for &pid in &left {
                // SAFETY: signals a process of the payload's session, seen
                // running a moment ago.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            assert!(
                left.is_empty(),
                "as {user:?}: left running: {left:?}; the sandbox {status}, its stderr: {err:?}"
            );
            assert_eq!(
                status.code(),
                Some(128 + libc::SIGTERM),
                "as {user:?}: {err}"
            );
            assert!(
                err.contains("killed by SIGTERM (signal 15)"),
                "as {user:?}: the sandbox ({status}) did not say its command ended by \
                 SIGTERM: {err:?}"
            );
            show(format_args!(
                "{user:?}: {before:?} ended with the sandbox ({status})"
            ));
        })
    }

    /// Debian's interpreter.
    const PYTHON: &str = "/usr/bin/python3";

    /// The sandbox's arguments for a Python that says it started and sleeps.
    const SLEEPING_PYTHON: &[&str] = &[
        "--",
        PYTHON,
        "-I",
        "-c",
        "import time; print('started', flush=True); time.sleep(300)",
    ];

    /// SIGKILL to the sandbox cannot be passed on; the kernel kills the relay
    /// (`PR_SET_PDEATHSIG`), and with it the namespace's init and so the
    /// command (see `tests/hostile/lifetime.rs` for what the command leaves).
    pub fn sigkill_to_the_sandbox_ends_its_command() -> Checked {
        require::landlock()?;
        require::program(PYTHON)?;
        for_each_user(|user| {
            let (mut child, relay, payload) = start(user, SLEEPING_PYTHON);
            assert_eq!(payload_members(relay), [payload]);
            child.kill().unwrap();
            child.wait().unwrap();
            let left = wait_until_gone(relay);
            assert!(left.is_empty(), "as {user:?}: left running: {left:?}");
            show(format_args!(
                "{user:?}: payload {payload} ended with the sandbox"
            ));
        })
    }

    /// A program that does not reset its signal mask (Python, unlike dash)
    /// gets the first forwarded SIGTERM: the sandbox blocks the signals it
    /// forwards, and the standard library would pass that mask on to the
    /// command, where the signal would stay pending until the second one's
    /// SIGKILL.
    pub fn a_forwarded_signal_reaches_a_program_that_keeps_its_mask() -> Checked {
        require::landlock()?;
        require::program(PYTHON)?;
        for_each_user(|user| {
            let (mut child, relay, payload) = start(user, SLEEPING_PYTHON);
            let status = std::fs::read_to_string(format!("/proc/{payload}/status")).unwrap();
            let blocked = status.lines().find(|l| l.starts_with("SigBlk:")).unwrap();
            assert!(
                blocked.ends_with("0000000000000000"),
                "as {user:?}: {blocked}"
            );
            // SAFETY: signals the sandbox we spawned.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let status = child.wait().unwrap();
            assert_eq!(status.code(), Some(128 + libc::SIGTERM), "as {user:?}");
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            assert!(
                err.contains("killed by SIGTERM (signal 15)"),
                "as {user:?}: {err}"
            );
            assert!(wait_until_gone(relay).is_empty(), "as {user:?}");
        })
    }
}
