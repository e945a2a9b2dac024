//! The supervisor on a real kernel: real programs under the shipped policy,
//! their denied calls named wherever they happen in the process tree, as
//! root and as uid 65534. Each test runs in a forked child (`in_child_as`),
//! which spawns the payload; the test runner is never filtered.
//!
//! x86_64 only. Runs under the suite's harness (`harness = false`): without
//! Landlock ABI 6, `/usr/bin/python3` or (for the foreign entry points)
//! `/usr/bin/cc` a test is reported as ignored, and so
//! is a test whose uid 65534 half cannot run (the tests do not run as root).

seccomp_policy_suite::tests![
    #[cfg(target_arch = "x86_64")]
    x86_64::grandchildren_denials_are_named,
    #[cfg(target_arch = "x86_64")]
    x86_64::grandchild_denial_names_the_caps,
    #[cfg(target_arch = "x86_64")]
    x86_64::refusals_by_argument_are_named,
    #[cfg(target_arch = "x86_64")]
    x86_64::subprocess_child_denial_is_named,
    #[cfg(target_arch = "x86_64")]
    x86_64::direct_child_killed_by_the_policy,
    #[cfg(target_arch = "x86_64")]
    x86_64::self_sent_sigsys_is_not_blamed_on_the_policy,
    #[cfg(target_arch = "x86_64")]
    x86_64::multi_threaded_payload_in_learn_mode,
    #[cfg(target_arch = "x86_64")]
    x86_64::multi_threaded_payload_enforced,
    #[cfg(target_arch = "x86_64")]
    x86_64::two_threads_denied_at_once,
    #[cfg(target_arch = "x86_64")]
    x86_64::supervisor_ending_first,
    #[cfg(target_arch = "x86_64")]
    x86_64::hundred_thousand_notified_calls,
    #[cfg(target_arch = "x86_64")]
    x86_64::a_second_spawn_fails_instead_of_hanging,
    #[cfg(target_arch = "x86_64")]
    x86_64::foreign_entry_points_get_the_default,
    #[cfg(target_arch = "x86_64")]
    x86_64::learn_mode_names_the_files_beyond_the_grant,
    no_command::a_sigterm_ends_the_process_by_it,
    no_command::an_ignored_sighup_stays_ignored,
];

/// Signal forwarding when no command runs: the library does not end the
/// process itself; the signal does what it would have without forwarding.
/// Each case runs in a forked child (forwarding blocks signals and starts
/// a thread for good), which sends itself the signals and, if it is still
/// there, says so and exits 0. How it ended is read from its wait status.
mod no_command {
    use std::fmt::Write as _;
    use std::time::Duration;

    use seccomp_policy::spawn::Outcome;
    use seccomp_policy::supervise::session;
    use seccomp_policy_suite::{in_child, ChildReport};

    /// A child that forwards signals, ignores `ignored` (set before, as
    /// `nohup` sets SIGHUP), sends itself `sent` one by one and waits.
    fn signalled(ignored: &[libc::c_int], sent: &[libc::c_int]) -> ChildReport {
        in_child(|out| {
            for &sig in ignored {
                // SAFETY: sets a standard disposition; no handler.
                unsafe { libc::signal(sig, libc::SIG_IGN) };
            }
            if let Err(e) = session::forward_signals() {
                let _ = write!(out, "forward_signals: {}", seccomp_policy::tool::chain(&e));
                return 2;
            }
            for &sig in sent {
                // SAFETY: signals this process.
                unsafe { libc::kill(libc::getpid(), sig) };
                // Time for the forwarding thread to take it.
                std::thread::sleep(Duration::from_millis(300));
            }
            std::thread::sleep(Duration::from_secs(3));
            let _ = write!(out, "still running");
            0
        })
    }

    /// SIGTERM with no command running ends the process by SIGTERM
    /// (WIFSIGNALED, WTERMSIG 15): a shell reports 143, 128 + 15, as the
    /// CLI's help says. (It used to call `exit(143)`, from a library.)
    pub fn a_sigterm_ends_the_process_by_it() {
        let report = signalled(&[], &[libc::SIGTERM]);
        assert_eq!(report.outcome, Outcome::Signaled(libc::SIGTERM), "{report}");
    }

    /// A signal the program ignores stays ignored (`exit(129)` before), and
    /// the next one it does not ignore still ends it.
    pub fn an_ignored_sighup_stays_ignored() {
        let report = signalled(&[libc::SIGHUP], &[libc::SIGHUP]);
        assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
        assert_eq!(report.output, "still running");
        let report = signalled(&[libc::SIGHUP], &[libc::SIGHUP, libc::SIGTERM]);
        assert_eq!(report.outcome, Outcome::Signaled(libc::SIGTERM), "{report}");
    }
}

#[cfg(target_arch = "x86_64")]
mod x86_64 {
    use std::fmt::Write as _;
    use std::process::{Command, ExitStatus, Stdio};

    use seccomp_policy::supervise::{
        AllowedBy, Answer, Ending, FileAccess, Mode, Report, Supervisor,
    };
    use seccomp_policy_suite::as_each_user;
    use seccomp_policy_suite::harness::{require, Checked};

    mod shipped {
        seccomp_policy::seccomp_policy!("policy/seccomp.toml");
    }
    use shipped::{syscall_name, Cap, POLICY};

    /// Debian's interpreter (a `python3` on `PATH` may be a shim that forks).
    const PYTHON: &str = "/usr/bin/python3";

    /// The interpreter's file, as a denial names its program (the process's
    /// `/proc/PID/exe`): [`PYTHON`] with its symbolic links resolved
    /// (`/usr/bin/python3.11` on Debian bookworm).
    fn python_exe() -> Result<String, String> {
        let exe = std::fs::canonicalize(PYTHON).map_err(|e| format!("{PYTHON}: {e}"))?;
        exe.into_os_string()
            .into_string()
            .map_err(|p| format!("{PYTHON} resolves to a path that is not UTF-8: {p:?}"))
    }

    /// Python source from lines (Rust's `\` line continuation would strip
    /// the indentation).
    fn py(lines: &[&str]) -> String {
        lines.join("\n")
    }

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
            .kill_with_parent(true)
            .mode(mode)
            .attach(&mut cmd)
            .map_err(|e| seccomp_policy::tool::chain(&e).to_string())?;
        let child = cmd.spawn().map_err(|e| format!("spawn: {e}"))?;
        let pid = child.id();
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        let report = supervision
            .finish()
            .map_err(|e| seccomp_policy::tool::chain(&e).to_string())?;
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
            let program = d
                .program
                .as_ref()
                .map_or("?".into(), std::string::ToString::to_string);
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

    /// `sh -c 'mkdir DIR | nice -n 1 /bin/true'` with `CODE_EXEC`: the shell
    /// forks both sides of the pipe; `mkdir` calls `mkdir` (`FILE_IO` would
    /// allow it) and `nice` calls `getpriority` (in no cap). Without the
    /// supervisor the run only "exits with status 137" (the shell reports
    /// nice's status); here both grandchildren are named.
    pub fn grandchildren_denials_are_named() -> Checked {
        require::landlock()?;
        as_each_user(|| {
            let dir = format!("/tmp/seccomp-policy-tree-{}", std::process::id());
            let script = format!("mkdir {dir} | nice -n 1 /bin/true");
            let run = supervise(Mode::Enforce, Cap::CODE_EXEC, &["/bin/sh", "-c", &script])?;
            let lines = denial_lines(&run.report);
            if std::path::Path::new(&dir).exists() {
                return Err(format!("{dir} was made: the call ran"));
            }
            let want = [
                "/usr/bin/mkdir mkdir [allowed by cap FILE_IO] Killed",
                "/usr/bin/nice getpriority [no cap allows it] Killed",
            ];
            for w in want {
                if !lines.contains(w) {
                    return Err(format!("no `{w}` in:\n{lines}"));
                }
            }
            if run.report.denials.len() != 2 {
                return Err(format!("expected 2 denials:\n{lines}"));
            }
            // Neither is the shell itself, which exits with nice's status.
            if run.report.denials_of(run.pid).count() != 0 {
                return Err(format!("the shell {} was blamed:\n{lines}", run.pid));
            }
            let ending = run.report.ending(run.pid, run.status);
            if ending != Ending::Exited(128 + libc::SIGKILL) {
                return Err(format!("sh {ending}"));
            }
            Ok(lines)
        })
    }

    /// A Python grandchild opening a socket: the policy answers EPERM (its
    /// `socket = "EPERM"` action), and the call is named, with the caps that
    /// would allow it.
    pub fn grandchild_denial_names_the_caps() -> Checked {
        require::landlock()?;
        require::program(PYTHON)?;
        as_each_user(|| {
            let script = format!("{PYTHON} -I -c 'import socket; socket.socket()'; echo status $?");
            let run = supervise(Mode::Enforce, Cap::CODE_EXEC, &["/bin/sh", "-c", &script])?;
            let lines = denial_lines(&run.report);
            let want = format!(
                "{} socket [allowed by caps SSRF, HEADER_INJECTION or OPEN_REDIRECT] \
                 Errno(Errno(1))\n",
                python_exe()?
            );
            if lines != want {
                return Err(format!("expected {want:?}, got {lines:?}"));
            }
            let d = &run.report.denials[0];
            let want_caps = (Cap::SSRF | Cap::HEADER_INJECTION | Cap::OPEN_REDIRECT).bits();
            if !matches!(&d.allowed_by, AllowedBy::Caps { bits, .. } if *bits == want_caps) {
                return Err(format!("caps {:?}", d.allowed_by));
            }
            // socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)
            if d.args[..3] != [2, 1 | 0o2_000_000, 0] {
                return Err(format!("args {:?}", d.args));
            }
            // PermissionError: Python exits with 1.
            if run.stdout != "status 1\n" {
                return Err(format!("stdout {:?}", run.stdout));
            }
            Ok(format!("{lines}{d}"))
        })
    }

    /// Refusals that depend on the arguments: under `[base]` a thread's
    /// `clone` is allowed but a fork's gets EPERM (`CODE_EXEC` would allow it;
    /// `clone3` gets ENOSYS first, for the thread and the fork alike, and no
    /// cap grants it: its flags are in memory, where no rule can refuse a
    /// namespace),
    /// and `ioctl` is allowed except `TIOCSTI`, which gets EPERM whatever the
    /// caps. Both are named, with what would allow them; the payload sees the
    /// errno and goes on.
    pub fn refusals_by_argument_are_named() -> Checked {
        require::landlock()?;
        require::program(PYTHON)?;
        as_each_user(|| {
            let code = &py(&[
                "import fcntl, os, termios, threading",
                "t = threading.Thread(target=print, args=('thread ran',)); t.start(); t.join()",
                "try: os.fork()",
                "except OSError as e: print('fork:', e.strerror)",
                "try: fcntl.ioctl(0, termios.TIOCSTI, b'x')",
                "except OSError as e: print('TIOCSTI:', e.strerror)",
            ]);
            let run = supervise(Mode::Enforce, Cap::NONE, &[PYTHON, "-I", "-c", code])?;
            let lines = denial_lines(&run.report);
            // The thread: glibc tries clone3 first, which [base] answers with
            // ENOSYS so it falls back to clone (with CLONE_THREAD, allowed).
            let want = format!(
                "{python} clone3 [no cap allows it] Errno(Errno(38))\n\
                 {python} clone [allowed by cap CODE_EXEC] Errno(Errno(1))\n\
                 {python} ioctl [allowed only with other arguments] Errno(Errno(1))\n",
                python = python_exe()?
            );
            if lines != want {
                return Err(format!("denials {lines:?}"));
            }
            let out =
                "thread ran\nfork: Operation not permitted\nTIOCSTI: Operation not permitted\n";
            if run.stdout != out || !run.status.success() {
                return Err(format!("stdout {:?}, {}", run.stdout, run.status));
            }
            // ioctl(0, TIOCSTI, ...): the command is the second argument.
            let ioctl = &run.report.denials[2];
            if ioctl.args[..2] != [0, libc::TIOCSTI] {
                return Err(format!("args {:x?}", ioctl.args));
            }
            Ok(lines)
        })
    }

    /// Python's `subprocess.run(..., start_new_session=True)`: the forked child
    /// calls `setsid` before `execve`, in no cap. Without the supervisor the
    /// parent sees only a return code of -9 or -31.
    pub fn subprocess_child_denial_is_named() -> Checked {
        require::landlock()?;
        require::program(PYTHON)?;
        as_each_user(|| {
            let code = "import subprocess; \
            print(subprocess.run(['/bin/true'], start_new_session=True).returncode)";
            let run = supervise(Mode::Enforce, Cap::CODE_EXEC, &[PYTHON, "-I", "-c", code])?;
            let lines = denial_lines(&run.report);
            if lines != format!("{} setsid [no cap allows it] Killed\n", python_exe()?) {
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
        })
    }

    /// The direct child's own denial ends it, and the ending says which call.
    pub fn direct_child_killed_by_the_policy() -> Checked {
        require::landlock()?;
        require::program(PYTHON)?;
        as_each_user(|| {
            let code = "import os; print('before', flush=True); os.getsid(0); print('after')";
            let run = supervise(Mode::Enforce, Cap::NONE, &[PYTHON, "-I", "-c", code])?;
            let ending = run.report.ending(run.pid, run.status);
            let Ending::KilledByPolicy(d) = ending else {
                return Err(format!("ending {ending}"));
            };
            if d.syscall() != "getsid" || d.answer != Answer::Killed || run.stdout != "before\n" {
                return Err(format!("{d} / {:?}", run.stdout));
            }
            let code = seccomp_policy::tool::ending_exit_code(&ending);
            if code != 159 {
                return Err(format!("exit code {code}"));
            }
            Ok(format!("{ending}\n{d}"))
        })
    }

    /// A process that sends itself SIGSYS is not reported as a policy kill.
    pub fn self_sent_sigsys_is_not_blamed_on_the_policy() -> Checked {
        require::landlock()?;
        as_each_user(|| {
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
        })
    }

    /// Four threads, each calling its own syscall outside the grant 50 times,
    /// in learn mode: every call is counted and attributed to its process,
    /// with the thread that first made it (the main thread's `clone3` among
    /// them: no cap grants it).
    pub fn multi_threaded_payload_in_learn_mode() -> Checked {
        require::landlock()?;
        require::program(PYTHON)?;
        as_each_user(|| {
            let code = &py(&[
                "import os, threading",
                "calls = [lambda: os.sched_getscheduler(0), lambda: os.getsid(0),",
                "         lambda: os.sched_get_priority_max(os.SCHED_OTHER),",
                "         lambda: os.getpriority(os.PRIO_PROCESS, 0)]",
                "def work(f):",
                "    for _ in range(50): f()",
                "ts = [threading.Thread(target=work, args=(f,)) for f in calls]",
                "[t.start() for t in ts]; [t.join() for t in ts]",
                "print('done')",
            ]);
            let run = supervise(Mode::Learn, Cap::CODE_EXEC, &[PYTHON, "-I", "-c", code])?;
            let r = &run.report;
            let mut text = String::new();
            for c in &r.calls {
                let first = c
                    .first
                    .as_ref()
                    .ok_or(format!("{} has no first process", c.syscall()))?;
                let _ = writeln!(
                    text,
                    "{} x{} pid {} tid {}",
                    c.syscall(),
                    c.count,
                    first.pid,
                    first.tid
                );
                // Starting the threads: clone3, which no cap grants (its flags
                // are in memory, where no rule can refuse a namespace), made by
                // the main thread and run, as learn mode runs every call.
                let by_main = c.syscall() == "clone3";
                if first.pid != run.pid || (first.tid == run.pid) != by_main {
                    return Err(format!(
                        "{} attributed to {first:?}, payload {}",
                        c.syscall(),
                        run.pid
                    ));
                }
            }
            let counts: Vec<(String, u64)> =
                r.calls.iter().map(|c| (c.syscall(), c.count)).collect();
            let mut sorted = counts.clone();
            sorted.sort();
            let want: Vec<(String, u64)> = [
                ("clone3", 4),
                ("getpriority", 50),
                ("getsid", 50),
                ("sched_get_priority_max", 50),
                ("sched_getscheduler", 50),
            ]
            .iter()
            .map(|&(n, count)| (n.to_string(), count))
            .collect();
            if sorted != want || run.stdout != "done\n" {
                return Err(format!("counts {counts:?}, stdout {:?}", run.stdout));
            }
            // Learn mode also sends the calls within the grant that name a
            // path (files_notified): not counted here.
            let beyond = r.notifications - r.files_notified;
            if beyond != 204 || r.answered - r.files_notified != 204 || r.gone != 0 {
                return Err(format!(
                    "{} notifications ({} for paths only), {} answered",
                    r.notifications, r.files_notified, r.answered
                ));
            }
            Ok(text)
        })
    }

    /// A thread's denied call kills its whole process, and the report names
    /// the thread and the process.
    pub fn multi_threaded_payload_enforced() -> Checked {
        require::landlock()?;
        require::program(PYTHON)?;
        as_each_user(|| {
            let code = &py(&[
                "import os, threading, time",
                "t = threading.Thread(target=os.getsid, args=(0,)); t.start(); t.join()",
                "time.sleep(5); print('survived')",
            ]);
            let run = supervise(Mode::Enforce, Cap::CODE_EXEC, &[PYTHON, "-I", "-c", code])?;
            let ending = run.report.ending(run.pid, run.status);
            let Ending::KilledByPolicy(d) = ending else {
                return Err(format!("{ending}; {}", denial_lines(&run.report)));
            };
            if d.tid == run.pid || d.syscall() != "getsid" || !run.stdout.is_empty() {
                return Err(format!("{d}; stdout {:?}", run.stdout));
            }
            Ok(d.to_string())
        })
    }

    /// Two threads denied at the same moment: the first kill ends the process
    /// while the other's call may still wait. Depending on timing the second
    /// call is never notified, is gone before its answer, or is still waiting
    /// and gets its own (redundant, pidfd-directed) kill; either way every
    /// record is that process killed, every notification is answered or gone,
    /// and the supervisor ends on its own once the process is reaped.
    pub fn two_threads_denied_at_once() -> Checked {
        require::landlock()?;
        require::program(PYTHON)?;
        as_each_user(|| {
            let code = &py(&[
                "import os, threading",
                "b = threading.Barrier(2)",
                "def go():",
                "    b.wait(); os.getsid(0)",
                "ts = [threading.Thread(target=go) for _ in range(2)]",
                "[t.start() for t in ts]; [t.join() for t in ts]",
            ]);
            let mut cmd = Command::new(PYTHON);
            cmd.args(["-I", "-c", code]).stdin(Stdio::null());
            let supervision = Supervisor::new(&POLICY, Cap::CODE_EXEC.bits(), syscall_name)
                .kill_with_parent(true)
                .attach(&mut cmd)
                .map_err(|e| seccomp_policy::tool::chain(&e).to_string())?;
            let mut child = cmd.spawn().map_err(|e| e.to_string())?;
            let status = child.wait().map_err(|e| e.to_string())?;
            // Without a stop request, the thread ends when nothing uses the filter.
            let start = std::time::Instant::now();
            while !supervision.is_finished() {
                if start.elapsed() > std::time::Duration::from_secs(10) {
                    return Err("the supervisor did not end on its own".into());
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            let r = supervision
                .finish()
                .map_err(|e| seccomp_policy::tool::chain(&e).to_string())?;
            let killed = r
                .denials
                .iter()
                .filter(|d| d.answer == Answer::Killed)
                .count();
            let lines = denial_lines(&r);
            let all_this_process = r.denials.iter().all(|d| {
                // Starting each thread: clone3 is ENOSYS (no cap grants it), and
                // glibc falls back to clone.
                let clone3 = d.syscall() == "clone3"
                    && matches!(d.answer, Answer::Errno(e) if e.0 == libc::ENOSYS);
                let getsid =
                    d.syscall() == "getsid" && matches!(d.answer, Answer::Killed | Answer::Gone);
                (clone3 || getsid) && d.pid.is_none_or(|p| p == child.id())
            });

            if killed == 0 || !all_this_process || r.notifications != r.answered + r.gone {
                return Err(format!(
                    "{killed} killed; {} notifications, {} answered, {} gone:\n{lines}",
                    r.notifications, r.answered, r.gone
                ));
            }
            if !matches!(r.ending(child.id(), status), Ending::KilledByPolicy(_)) {
                return Err(format!("{}", r.ending(child.id(), status)));
            }
            Ok(format!(
                "{} notifications ({} answered, {} gone, {} vanished before recv):\n{lines}",
                r.notifications, r.answered, r.gone, r.vanished
            ))
        })
    }

    /// The supervisor finishes while the payload keeps calling (`getsid`,
    /// outside the grant): the calls it
    /// answered ran, and from then on the kernel fails them with ENOSYS (no
    /// kill, the payload goes on). The payload's own count of calls that ran
    /// equals the report's.
    pub fn supervisor_ending_first() -> Checked {
        require::landlock()?;
        require::program(PYTHON)?;
        as_each_user(|| {
            let code = &py(&[
                "import os, sys",
                "n = 0",
                "while True:",
                "    try: os.getsid(0)",
                "    except OSError as e:",
                "        print(os.strerror(e.errno), 'after', n); break",
                "    n += 1",
                "    if n == 100: print('ready', flush=True)",
            ]);
            let mut cmd = Command::new(PYTHON);
            cmd.args(["-I", "-c", code])
                .stdin(Stdio::null())
                .stdout(Stdio::piped());
            let supervision = Supervisor::new(&POLICY, 0, syscall_name)
                .kill_with_parent(true)
                .learn()
                .attach(&mut cmd)
                .map_err(|e| seccomp_policy::tool::chain(&e).to_string())?;
            let mut child = cmd.spawn().map_err(|e| e.to_string())?;
            let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
            let mut line = String::new();
            std::io::BufRead::read_line(&mut stdout, &mut line).map_err(|e| e.to_string())?;
            if line != "ready\n" {
                return Err(format!("first line {line:?}"));
            }
            let r = supervision
                .finish()
                .map_err(|e| seccomp_policy::tool::chain(&e).to_string())?;
            let mut rest = String::new();
            std::io::Read::read_to_string(&mut stdout, &mut rest).map_err(|e| e.to_string())?;
            let status = child.wait().map_err(|e| e.to_string())?;
            let want = format!("Function not implemented after {}\n", r.count_of("getsid"));
            if rest != want || !status.success() || r.count_of("getsid") < 100 {
                return Err(format!(
                    "payload said {rest:?} ({status}); report counted {}",
                    r.count_of("getsid")
                ));
            }
            Ok(format!("payload: {rest}"))
        })
    }

    /// Load: 100 000 notified calls as fast as the payload can make them. Every
    /// call is received, answered and counted; none is lost or left waiting.
    /// (Throughput is measured in the benchmarks, not here.)
    pub fn hundred_thousand_notified_calls() -> Checked {
        require::landlock()?;
        require::program(PYTHON)?;
        as_each_user(|| {
            let code = &py(&[
                "import os",
                "g = os.getsid; p = g(0)",
                "ok = sum(1 for _ in range(99_999) if g(0) == p)",
                "print(ok + 1)",
            ]);
            let run = supervise(Mode::Learn, Cap::NONE, &[PYTHON, "-I", "-c", code])?;
            let r = &run.report;
            let n = r.count_of("getsid");
            if run.stdout != "100000\n"
                || n != 100_000
                || r.notifications - r.files_notified != 100_000
                || r.answered - r.files_notified != 100_000
                || r.gone + r.vanished != 0
                || r.calls.len() != 1
            {
                return Err(format!(
                    "stdout {:?}; getsid {n}; {} notifications, {} answered, {} gone, {} \
                     vanished; {} syscalls",
                    run.stdout,
                    r.notifications,
                    r.answered,
                    r.gone,
                    r.vanished,
                    r.calls.len()
                ));
            }
            Ok(format!("{n} calls of getsid, {} answered", r.answered))
        })
    }

    /// A supervisor serves one child: spawning the same command again fails
    /// (the handoff's socket is closed, EPIPE) instead of leaving the second
    /// child waiting in its handshake.
    pub fn a_second_spawn_fails_instead_of_hanging() -> Checked {
        require::landlock()?;
        as_each_user(|| {
            let mut cmd = Command::new("/bin/true");
            let supervision = Supervisor::new(&POLICY, 0, syscall_name)
                .kill_with_parent(true)
                .attach(&mut cmd)
                .map_err(|e| seccomp_policy::tool::chain(&e).to_string())?;
            let first = cmd.status().map_err(|e| e.to_string())?;
            let second = cmd.status();
            let report = supervision
                .finish()
                .map_err(|e| seccomp_policy::tool::chain(&e).to_string())?;
            match second {
                Err(e) if e.raw_os_error() == Some(libc::EPIPE) && first.success() => Ok(format!(
                    "first: {first}; second: {e}; {} notifications",
                    report.notifications
                )),
                other => Err(format!("first {first}, second {other:?}")),
            }
        })
    }

    /// A payload's x32 call (and, where the kernel runs them, its i386
    /// `int 0x80` call) under a policy whose default is EPERM: the filter
    /// gives such calls the default, so the supervisor it sends them to
    /// must answer EPERM too, not kill. The payload is C, compiled here;
    /// the answers are what the kernel returned to it.
    pub fn foreign_entry_points_get_the_default() -> Checked {
        use seccomp_policy_suite::I386Emulation;

        const PAYLOAD: &str = r#"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) {
    errno = 0;
    long r = syscall(0x40000000L | SYS_getpid);
    printf("x32 getpid %ld %d\n", r, errno);
    if (argc > 1 && strcmp(argv[1], "i386") == 0) {
        long ret;
        __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "r8", "r9", "r10", "r11", "memory");
        printf("i386 getpid %ld\n", ret);
    }
    return 0;
}
"#;
        require::landlock()?;
        require::program("/usr/bin/cc")?;
        let i386 = matches!(seccomp_policy_suite::i386_emulation(), I386Emulation::Works);
        let dir =
            std::env::temp_dir().join(format!("seccomp-policy-foreign-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        let source = dir.join("foreign.c");
        let exe = dir.join("foreign");
        std::fs::write(&source, PAYLOAD).expect("payload source");
        let cc = Command::new("/usr/bin/cc")
            .args(["-O2", "-Wall", "-Werror", "-o"])
            .arg(&exe)
            .arg(&source)
            .output()
            .expect("cc runs");
        assert!(
            cc.status.success(),
            "cc: {}",
            String::from_utf8_lossy(&cc.stderr)
        );

        FOREIGN
            .set((exe.to_string_lossy().into_owned(), dir.clone(), i386))
            .expect("set once");
        let result = as_each_user(foreign_run);
        let _ = std::fs::remove_dir_all(&dir);
        result
    }

    /// The compiled payload, its directory, and whether the kernel runs
    /// i386 calls.
    static FOREIGN: std::sync::OnceLock<(String, std::path::PathBuf, bool)> =
        std::sync::OnceLock::new();

    /// [`foreign_entry_points_get_the_default`] as one user.
    fn foreign_run() -> Result<String, String> {
        use seccomp_policy::policy::{ArchPolicy, Policy};
        use seccomp_policy::rule::Action;
        use seccomp_policy::supervise::OwnedPolicy;

        let (exe, dir, i386) = FOREIGN.get().expect("set before");
        let native = POLICY.native().expect("the shipped policy has x86_64");
        let arches = [ArchPolicy {
            default: Action::Errno(libc::EPERM as u16),
            ..*native
        }];
        let policy = OwnedPolicy::new(&Policy {
            arches: &arches,
            ..POLICY
        });
        let mut cmd = Command::new(exe);
        if *i386 {
            cmd.arg("i386");
        }
        cmd.current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let supervision = Supervisor::new(policy, 0, syscall_name)
            .kill_with_parent(true)
            .attach(&mut cmd)
            .map_err(|e| seccomp_policy::tool::chain(&e).to_string())?;
        let child = cmd.spawn().map_err(|e| format!("spawn: {e}"))?;
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        let report = supervision
            .finish()
            .map_err(|e| seccomp_policy::tool::chain(&e).to_string())?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        // EPERM (1): -1 and errno 1 through libc; -1 (-EPERM) raw.
        let mut expected = "x32 getpid -1 1\n".to_owned();
        if *i386 {
            expected.push_str("i386 getpid -1\n");
        }
        let foreign: Vec<&Answer> = report
            .denials
            .iter()
            .filter(|d| d.allowed_by == AllowedBy::ForeignEntry)
            .map(|d| &d.answer)
            .collect();
        if stdout != expected
            || !out.status.success()
            || foreign.len() != 1 + usize::from(*i386)
            || foreign
                .iter()
                .any(|a| !matches!(a, Answer::Errno(e) if e.0 == libc::EPERM))
        {
            return Err(format!(
                "stdout {stdout:?}, status {:?}, denials:\n{}",
                out.status,
                denial_lines(&report)
            ));
        }
        let i386_note = if *i386 {
            ""
        } else {
            "(no i386 emulation in this kernel: the int 0x80 half did not run)\n"
        };
        Ok(format!("{stdout}{}{i386_note}", denial_lines(&report)))
    }

    /// Learn mode names the files a payload reaches beyond the grant's
    /// `fs` tables: Python reads a file in one directory under `/var/tmp`
    /// (by its path, through a symlink to its directory, and through
    /// `..`) and makes one in another, both in no table of the shipped
    /// policy. The report has the file read, three times, and the
    /// directory made in (as the kernel resolves them), with no cap
    /// granting either, and nothing
    /// unread: as uid 65534 too, where reading the payload's memory
    /// (`process_vm_readv`) needs ptrace access to it.
    pub fn learn_mode_names_the_files_beyond_the_grant() -> Checked {
        require::landlock()?;
        require::program(PYTHON)?;
        as_each_user(|| {
            let dir = format!("/var/tmp/seccomp-policy-learn-files-{}", std::process::id());
            let _ = std::fs::remove_dir_all(&dir);
            for sub in ["in", "out"] {
                std::fs::create_dir_all(format!("{dir}/{sub}")).map_err(|e| e.to_string())?;
            }
            std::fs::write(format!("{dir}/in/a.txt"), "x").map_err(|e| e.to_string())?;
            let real = std::fs::canonicalize(&dir).map_err(|e| e.to_string())?;
            let real = real.to_string_lossy();
            std::os::unix::fs::symlink("in", format!("{dir}/link")).map_err(|e| e.to_string())?;
            let (a, b) = (format!("{dir}/in/a.txt"), format!("{dir}/out/b.txt"));
            // The same file through a symlink, and through `..`.
            let via_link = format!("{dir}/link/a.txt");
            let via_dots = format!("{dir}/out/../in/a.txt");
            let code =
                "import sys; [open(p).read() for p in (sys.argv[1], sys.argv[3], sys.argv[4])]; \
                        open(sys.argv[2], 'w'); print('done')";
            let run = supervise(
                Mode::Learn,
                Cap::NONE,
                &[PYTHON, "-I", "-c", code, &a, &b, &via_link, &via_dots],
            );
            let _ = std::fs::remove_dir_all(&dir);
            let run = run?;
            let r = &run.report;
            let mut seen: Vec<(String, FileAccess, u64, usize)> = r
                .files
                .iter()
                .map(|f| (f.path.clone(), f.access, f.count, f.caps.len()))
                .collect();
            seen.sort();
            let want = [
                (format!("{real}/in/a.txt"), FileAccess::Read, 3, 0),
                (format!("{real}/out"), FileAccess::Make, 1, 0),
            ];
            if seen != want || run.stdout != "done\n" || r.files_unread != 0 {
                return Err(format!(
                    "files {seen:?}, {} unread, stdout {:?}",
                    r.files_unread, run.stdout
                ));
            }
            Ok(format!("{seen:?}"))
        })
    }
}
