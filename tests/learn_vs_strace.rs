//! Learn mode against `strace -f`: for real payloads, the syscalls learn mode
//! reports beyond the grant must be exactly those `strace -f` sees the same
//! payload make with arguments the grant does not allow (strace prints the
//! raw arguments, `-e raw=all`, and the policy's rules are evaluated at
//! them, so a thread's `clone` is within `[base]` and a fork's is not). As
//! root and as uid 65534, each run in a forked child. Needs `strace`
//! (`.ci/run` installs it).
//!
//! x86_64 only. Runs under the suite's harness (`harness = false`): without
//! Landlock ABI 6, `/usr/bin/python3` or `/usr/bin/strace` a test is reported
//! as ignored, and so is a test whose uid 65534 half cannot run (the tests do
//! not run as root).

seccomp_policy_suite::tests![
    #[cfg(target_arch = "x86_64")]
    x86_64::python_sqlite_subprocess_socket,
    #[cfg(target_arch = "x86_64")]
    x86_64::shell_pipeline,
    #[cfg(target_arch = "x86_64")]
    x86_64::strace_log_lines,
];

#[cfg(target_arch = "x86_64")]
mod x86_64 {
    use std::collections::BTreeSet;
    use std::process::{Command, Stdio};

    use seccomp_policy::builder::Action;
    use seccomp_policy::spawn::SPAWN_RULES;
    use seccomp_policy::supervise::Supervisor;
    use seccomp_policy::Arch;
    use seccomp_policy_suite::as_each_user;
    use seccomp_policy_suite::harness::{require, Checked};

    mod shipped {
        seccomp_policy::seccomp_policy!("policy/seccomp.toml");
    }
    use shipped::{syscall_name, Cap, POLICY};

    const PYTHON: &str = "/usr/bin/python3";
    /// Debian's strace (`.ci/run` installs it).
    const STRACE: &str = "/usr/bin/strace";
    const PAYLOAD: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/payloads/sqlite_subprocess_socket.py"
    );

    /// Whether the grant (`[base]`, the caps in `caps`, and the spawn path's
    /// `execve`) allows the call `name` with `args` on x86_64: the policy's
    /// rules evaluated at the arguments strace saw.
    fn granted(caps: Cap, name: &str, args: &[u64; 6]) -> bool {
        let ap = POLICY.native().expect("x86_64 policy");
        let Some(nr) = seccomp_policy::syscalls::number(Arch::X86_64, name) else {
            return false;
        };
        matches!(
            ap.verdict(caps.bits(), SPAWN_RULES, nr, args, ap.default),
            Action::Allow | Action::Log
        )
    }

    /// The calls in an `strace -f -e raw=all -o FILE` log: each line is
    /// `PID name(ARG, ...) = RET` with every argument a raw number; a call
    /// interrupted by another process's line ends in `<unfinished ...>` after
    /// the arguments printed so far (the rest read as 0), and its resumption
    /// (`<... name resumed>`), signals and exits are skipped.
    fn strace_calls(log: &str) -> Vec<(String, [u64; 6])> {
        log.lines()
            .filter_map(|line| {
                let rest = line
                    .trim_start_matches(|c: char| c.is_ascii_digit())
                    .trim_start();
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let inner = rest[name.len()..].strip_prefix('(')?;
                if name.is_empty() {
                    return None;
                }
                let end = inner
                    .find(" <unfinished")
                    .or_else(|| inner.rfind(')'))
                    .unwrap_or(inner.len());
                let mut args = [0u64; 6];
                for (slot, text) in args.iter_mut().zip(inner[..end].split(", ")) {
                    let text = text.trim().trim_end_matches(',');
                    *slot = match text.strip_prefix("0x") {
                        Some(hex) => u64::from_str_radix(hex, 16).unwrap_or(0),
                        None => text.parse().unwrap_or(0),
                    };
                }
                Some((name, args))
            })
            .collect()
    }

    /// The names of the calls in `log` the grant does not allow at the
    /// arguments made.
    fn strace_names(log: &str, caps: Cap) -> BTreeSet<String> {
        strace_calls(log)
            .into_iter()
            .filter(|(name, args)| !granted(caps, name, args))
            .map(|(name, _)| name)
            .collect()
    }

    /// What `strace -f` sees `argv` make beyond the grant, and the payload's
    /// stdout.
    fn strace_beyond(argv: &[&str], caps: Cap) -> Result<(BTreeSet<String>, String), String> {
        let log = std::env::temp_dir().join(format!("learn-vs-strace-{}.log", std::process::id()));
        let out = Command::new(STRACE)
            .args(["-f", "-qq", "-e", "raw=all", "-o"])
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
        let names = strace_names(&text, caps);
        Ok((names, String::from_utf8_lossy(&out.stdout).into_owned()))
    }

    /// What learn mode reports beyond the grant, its printed summary, and the
    /// payload's stdout.
    fn learn_beyond(
        argv: &[&str],
        caps: Cap,
    ) -> Result<(BTreeSet<String>, String, String), String> {
        let mut cmd = Command::new(argv[0]);
        cmd.args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        let supervision = Supervisor::new(&POLICY, caps.bits(), syscall_name)
            .learn()
            .kill_with_parent(true)
            .attach(&mut cmd)
            .map_err(|e| seccomp_policy::tool::chain(&e).to_string())?;
        let out = cmd
            .spawn()
            .and_then(std::process::Child::wait_with_output)
            .map_err(|e| e.to_string())?;
        let report = supervision
            .finish()
            .map_err(|e| seccomp_policy::tool::chain(&e).to_string())?;
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

    /// Python with sqlite3 on a file, a subprocess and a loopback TCP socket
    /// pair, granted nothing: the calls beyond `[base]` come from several caps
    /// (`SQL_QUERY`, SSRF, `CODE_EXEC`) and from none.
    pub fn python_sqlite_subprocess_socket() -> Checked {
        require::landlock()?;
        require::program(STRACE)?;
        require::program(PYTHON)?;
        as_each_user(|| {
            compare(
                &[PYTHON, "-I", PAYLOAD],
                Cap::NONE,
                "rows 100\ntrue 0\ngot ping\n",
            )
        })
    }

    /// `sh -c` with a pipeline, granted nothing: the shell forks (`CODE_EXEC`),
    /// `mkdir` and `rmdir` make and remove a directory (`FILE_IO`), and `nice`
    /// reads and sets its priority (in no cap).
    pub fn shell_pipeline() -> Checked {
        require::landlock()?;
        require::program(STRACE)?;
        as_each_user(|| {
            let dir = format!("/tmp/seccomp-policy-learn-{}", std::process::id());
            let script = format!("mkdir {dir} | nice -n 1 /bin/true; rmdir {dir}; echo ok");
            compare(&["/bin/sh", "-c", &script], Cap::NONE, "ok\n")
        })
    }

    /// The log parser, on lines as strace 6.1 writes them with
    /// `-f -e raw=all -o`.
    pub fn strace_log_lines() {
        let log = "4242  execve(0x7ffdb9953060, 0x7ffdb9954518, 0x7ffdb9954538) = 0\n\
               4243  wait4(0xffffffff, 0x7ffd0, 0 <unfinished ...>\n\
               4242  <... wait4 resumed>)               = 0x12\n\
               4242  --- SIGCHLD {si_signo=SIGCHLD} ---\n\
               4242  clone(0x1200011, 0, 0, 0x7fc2abf21a10, 0) = 0x11a6\n\
               4242  clone(0x3d0f00, 0x7f00, 0x7f10, 0x7f20, 0x7f30) = 0x11a7\n\
               4242  close_range(0x3, 0xffffffff, 0) = 0\n\
               4242  +++ exited with 0 +++\n";
        let calls = strace_calls(log);
        assert_eq!(calls.len(), 5);
        assert_eq!(
            calls[1],
            ("wait4".to_owned(), [0xffff_ffff, 0x7ffd0, 0, 0, 0, 0])
        );
        assert_eq!(calls[2].1, [0x120_0011, 0, 0, 0x7fc2_abf2_1a10, 0, 0]);
        // A fork (no CLONE_THREAD) and close_range are beyond [base]; a thread's
        // clone (CLONE_THREAD is 0x10000, set in 0x3d0f00), execve and wait4
        // are not.
        let names: Vec<String> = strace_names(log, Cap::NONE).into_iter().collect();
        assert_eq!(names, ["clone", "close_range"]);
    }
}
