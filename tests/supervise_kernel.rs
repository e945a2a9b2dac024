//! What the kernel does around a supervisor, pinned with the `notify`
//! primitives the supervisor is made of: the listener handoff, a listener
//! closed while a call waits, a payload ending while its call waits, and a
//! thread id reused while its notification is being handled. Each test runs
//! in a forked child as root and as uid 65534; the payloads are forked from
//! it and filtered by a small hand-written program.
//!
//! x86_64 only. Runs under the suite's harness (`harness = false`): a test
//! whose uid 65534 half cannot run (the tests do not run as root) is reported
//! as ignored.

seccomp_policy_suite::tests![
    #[cfg(target_arch = "x86_64")]
    x86_64::handoff_then_answers,
    #[cfg(target_arch = "x86_64")]
    x86_64::listener_closed_while_a_call_waits_gives_enosys,
    #[cfg(target_arch = "x86_64")]
    x86_64::payload_exiting_while_a_call_waits,
    #[cfg(target_arch = "x86_64")]
    x86_64::pid_reuse_cannot_misattribute,
];

#[cfg(target_arch = "x86_64")]
mod x86_64 {
    use std::fmt::Write as _;
    use std::time::Duration;

    use seccomp_policy::bpf::{SECCOMP_RET_ALLOW, SECCOMP_RET_USER_NOTIF};
    use seccomp_policy::install::{Errno, Install};
    use seccomp_policy::notify::{
        handoff, Attached, ChildHandoff, Handoff, NotifyError, Readiness, Response, HANDSHAKE_NR,
    };
    use seccomp_policy_suite::harness::{Checked, Skip};
    use seccomp_policy_suite::{as_each_user, in_child_as, simple_filter, User};

    const GETPPID: u32 = libc::SYS_getppid as u32;

    /// Allows everything but `getppid` and the handshake, which go to the
    /// supervisor.
    fn notify_getppid() -> Vec<seccomp_policy::SockFilter> {
        simple_filter(
            &[
                (GETPPID, SECCOMP_RET_USER_NOTIF),
                (HANDSHAKE_NR, SECCOMP_RET_USER_NOTIF),
            ],
            SECCOMP_RET_ALLOW,
        )
    }

    /// `getppid()` as the raw system call: its return value and errno.
    fn raw_getppid() -> (i64, i32) {
        // SAFETY: no arguments.
        let r = unsafe { libc::syscall(libc::SYS_getppid) };
        let e = if r < 0 { Errno::last().0 } else { 0 };
        (r, e)
    }

    fn errno_name(e: i32) -> String {
        match Errno(e).name() {
            Some(n) => n.into(),
            None => e.to_string(),
        }
    }

    /// Forks a payload that attaches [`notify_getppid`] through the handoff and
    /// then runs `body`, whose return value becomes its exit code. Its output
    /// goes to the returned pipe. The caller accepts the handoff.
    fn fork_payload(body: fn(&mut PipeOut) -> i32) -> Result<(u32, Handoff, i32), String> {
        let (parent, child) = handoff().map_err(|e| format!("handoff: {e}"))?;
        let prog = notify_getppid();
        let mut fds = [0; 2];
        // SAFETY: room for two descriptors.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err("pipe2".into());
        }
        // SAFETY: the child only attaches, runs `body` and `_exit`s.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err("fork".into());
        }
        if pid == 0 {
            // SAFETY: closing our copy of the read end.
            unsafe { libc::close(fds[0]) };
            let code = attach_and_run(&child, &prog, fds[1], body);
            // SAFETY: ends the payload without running exit handlers.
            unsafe { libc::_exit(code) };
        }
        drop(child);
        // SAFETY: the parent's copy of the write end.
        unsafe { libc::close(fds[1]) };
        Ok((pid as u32, parent, fds[0]))
    }

    fn attach_and_run(
        child: &ChildHandoff,
        prog: &[seccomp_policy::SockFilter],
        out: i32,
        body: fn(&mut PipeOut) -> i32,
    ) -> i32 {
        let mut out = PipeOut(out);
        match child.install(Install::new().tsync(false), prog) {
            Ok(listener) => {
                // This payload does not exec, which would close its copy.
                // SAFETY: closing the payload's own copy of the listener.
                unsafe { libc::close(listener) };
                body(&mut out)
            }
            Err(e) => {
                let _ = write!(out, "attach failed: {}", seccomp_policy::tool::chain(&e));
                90
            }
        }
    }

    /// A payload's output pipe.
    struct PipeOut(i32);

    impl std::fmt::Write for PipeOut {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            // SAFETY: writes from a live slice.
            let n = unsafe { libc::write(self.0, s.as_ptr().cast(), s.len()) };
            if n == s.len() as isize {
                Ok(())
            } else {
                Err(std::fmt::Error)
            }
        }
    }

    fn read_all(fd: i32) -> String {
        let mut v = Vec::new();
        let mut buf = [0u8; 1024];
        loop {
            // SAFETY: reads into a live buffer.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                break;
            }
            v.extend_from_slice(&buf[..n as usize]);
        }
        // SAFETY: closing a descriptor we own.
        unsafe { libc::close(fd) };
        String::from_utf8_lossy(&v).into_owned()
    }

    /// Waits for `pid`; its wait status.
    fn reap(pid: u32) -> i32 {
        let mut status = 0;
        // SAFETY: waits for our own child.
        unsafe { libc::waitpid(pid as i32, &raw mut status, 0) };
        status
    }

    fn accept(parent: Handoff) -> Result<Attached, String> {
        parent
            .accept(Duration::from_secs(10), None)
            .map_err(|e| format!("accept: {e}"))
    }

    /// The handoff delivers the child's listener; a notified call then waits
    /// for the answer, and an errno answer is what the call returns. As any
    /// user, with no privilege.
    pub fn handoff_then_answers() -> Checked {
        as_each_user(|| {
            let (pid, parent, out) = fork_payload(|out| {
                let (r1, e1) = raw_getppid();
                let (r2, e2) = raw_getppid();
                let _ = write!(out, "{r1} {} {r2} {}", errno_name(e1), errno_name(e2));
                0
            })?;
            let a = accept(parent)?;
            if a.pid != pid {
                return Err(format!("attached {} for child {pid}", a.pid));
            }
            let mut seen = Vec::new();
            for response in [Response::Errno(Errno(libc::EPERM)), Response::Return(4242)] {
                if a.listener.wait(Some(Duration::from_secs(10))) != Ok(Readiness::Pending) {
                    return Err("no notification".into());
                }
                let n = a.listener.recv().map_err(|e| e.to_string())?;
                if n.tid != pid || n.nr != GETPPID as i32 {
                    return Err(format!("{n:?}"));
                }
                seen.push(n.id);
                a.listener
                    .respond(n.id, response)
                    .map_err(|e| e.to_string())?;
            }
            let status = reap(pid);
            let text = read_all(out);
            if text != "-1 EPERM 4242 0" || status != 0 {
                return Err(format!("payload wrote {text:?}, status {status:#x}"));
            }
            // After the payload is reaped, nothing uses the filter: POLLHUP.
            match a.listener.wait(Some(Duration::from_secs(5))) {
                Ok(Readiness::Unused) => {}
                other => return Err(format!("after exit: {other:?}")),
            }
            Ok(format!("payload: {text}; ids {seen:?}; then Unused"))
        })
    }

    /// When the listener is closed while a call waits, the kernel fails that
    /// call with ENOSYS, and every later notified call too; the process goes on.
    pub fn listener_closed_while_a_call_waits_gives_enosys() -> Checked {
        as_each_user(|| {
            let (pid, parent, out) = fork_payload(|out| {
                let (r1, e1) = raw_getppid();
                let (r2, e2) = raw_getppid();
                let _ = write!(out, "{r1} {} {r2} {}", errno_name(e1), errno_name(e2));
                0
            })?;
            let a = accept(parent)?;
            if a.listener.wait(Some(Duration::from_secs(10))) != Ok(Readiness::Pending) {
                return Err("no notification".into());
            }
            let n = a.listener.recv().map_err(|e| e.to_string())?;
            if !a.listener.is_pending(n.id).map_err(|e| e.to_string())? {
                return Err("not pending".into());
            }
            // The supervisor ends without answering.
            drop(a.listener);
            let status = reap(pid);
            let text = read_all(out);
            if text != "-1 ENOSYS -1 ENOSYS" || status != 0 {
                return Err(format!("payload wrote {text:?}, status {status:#x}"));
            }
            Ok(format!("payload: {text}"))
        })
    }

    /// A payload whose process exits while one of its threads waits in a
    /// notified call: the call is gone, an answer is refused as `Gone` (nothing
    /// is done), and the listener goes on to report that no process uses it.
    pub fn payload_exiting_while_a_call_waits() -> Checked {
        as_each_user(|| {
            let (pid, parent, out) = fork_payload(|out| {
                // A thread makes the notified call; the main thread exits the
                // process while it waits.
                std::thread::spawn(raw_getppid);
                std::thread::sleep(Duration::from_millis(200));
                let _ = write!(out, "exiting");
                // SAFETY: ends the whole process.
                unsafe { libc::syscall(libc::SYS_exit_group, 7) };
                0
            })?;
            let a = accept(parent)?;
            if a.listener.wait(Some(Duration::from_secs(10))) != Ok(Readiness::Pending) {
                return Err("no notification".into());
            }
            let n = a.listener.recv().map_err(|e| e.to_string())?;
            if n.tid == pid {
                return Err("the call came from the main thread".into());
            }
            let info = a.listener.process(&n).map_err(|e| e.to_string())?;
            if info.pid != pid || info.tid != n.tid {
                return Err(format!("{info:?}"));
            }
            let status = reap(pid);
            let text = read_all(out);
            if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 7 || text != "exiting" {
                return Err(format!("status {status:#x}, {text:?}"));
            }
            let pending = a.listener.is_pending(n.id).map_err(|e| e.to_string())?;
            let answer = a.listener.respond(n.id, Response::Continue);
            let again = a.listener.process(&n);
            let kill = a.listener.kill_process(&n, info.pid);
            let after = a.listener.wait(Some(Duration::from_secs(5)));
            if pending
                || answer != Err(NotifyError::Gone)
                || again != Err(NotifyError::Gone)
                || kill != Err(NotifyError::Gone)
                || after != Ok(Readiness::Unused)
            {
                return Err(format!(
                    "pending {pending}, answer {answer:?}, process {again:?}, kill {kill:?}, \
                     then {after:?}"
                ));
            }
            Ok(format!(
                "thread {} of {pid} waited; after exit: pending {pending}, answer {answer:?}, \
             process {again:?}, kill {kill:?}, then {after:?}",
                n.tid
            ))
        })
    }

    /// In a pid namespace of its own (so the test can choose pids without
    /// racing the rest of the machine), a payload's notification is received,
    /// the payload is killed and reaped, and a new process is made to get the
    /// same pid. Reading "who made the call" then refuses to name the new
    /// process, and the kill does not reach it.
    pub fn pid_reuse_cannot_misattribute() -> Checked {
        for user in User::BOTH {
            if user.available().is_ok() {
                namespaces(user)?;
            }
        }
        as_each_user(|| {
            unshare_namespaces()?;
            let (r, w) = pipe()?;
            // SAFETY: the first child is pid 1 of the new namespace; it runs
            // the test and `_exit`s.
            let init = unsafe { libc::fork() };
            if init == 0 {
                // SAFETY: closing our copy of the read end.
                unsafe { libc::close(r) };
                let mut out = PipeOut(w);
                let code = match reuse_in_namespace() {
                    Ok(text) => {
                        let _ = out.write_str(&text);
                        0
                    }
                    Err(e) => {
                        let _ = out.write_str(&e);
                        1
                    }
                };
                // SAFETY: ends pid 1 of the namespace.
                unsafe { libc::_exit(code) };
            }
            // SAFETY: the parent's copy of the write end.
            unsafe { libc::close(w) };
            let status = reap(init as u32);
            let text = read_all(r);
            if status != 0 {
                return Err(format!("status {status:#x}: {text}"));
            }
            Ok(text)
        })
    }

    /// A user namespace with a pid and a mount namespace in it, for the calling
    /// (single-threaded) process.
    fn unshare_namespaces() -> Result<(), String> {
        // SAFETY: unshare with integer arguments, in a single-threaded child.
        if unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWPID | libc::CLONE_NEWNS) }
            != 0
        {
            return Err(format!("unshare: {}", std::io::Error::last_os_error()));
        }
        Ok(())
    }

    /// `user` may make the namespaces of [`unshare_namespaces`] here
    /// (unprivileged user namespaces are on), probed in a forked child.
    fn namespaces(user: User) -> Checked {
        in_child_as(user, || unshare_namespaces().map(|()| String::new()))
            .map(drop)
            .map_err(|e| {
                Skip::new(format!(
                    "as {user:?} no user namespace can be made here (user.max_user_namespaces \
                     = 0, or unprivileged user namespaces off?): {e}"
                ))
            })
    }

    fn pipe() -> Result<(i32, i32), String> {
        let mut fds = [0; 2];
        // SAFETY: room for two descriptors.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err("pipe2".into());
        }
        Ok((fds[0], fds[1]))
    }

    /// Pid 1 of a new pid namespace, with its own procfs.
    fn reuse_in_namespace() -> Result<String, String> {
        let os = |what: &str| format!("{what}: {}", std::io::Error::last_os_error());
        // SAFETY: mount calls with valid C strings or nulls.
        unsafe {
            if libc::mount(
                core::ptr::null(),
                c"/".as_ptr(),
                core::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                core::ptr::null(),
            ) != 0
            {
                return Err(os("making / private"));
            }
            if libc::mount(
                c"proc".as_ptr(),
                c"/proc".as_ptr(),
                c"proc".as_ptr(),
                0,
                core::ptr::null(),
            ) != 0
            {
                return Err(os("mounting proc"));
            }
        }
        let (payload, parent, out) = fork_payload(|out| {
            let (r, e) = raw_getppid();
            let _ = write!(out, "getppid returned {r} {}", errno_name(e));
            0
        })?;
        let a = accept(parent)?;
        if a.listener.wait(Some(Duration::from_secs(10))) != Ok(Readiness::Pending) {
            return Err("no notification".into());
        }
        let n = a.listener.recv().map_err(|e| e.to_string())?;
        if n.tid != payload {
            return Err(format!("notification from {} for payload {payload}", n.tid));
        }
        // The payload dies while its call waits, and is reaped: its pid is free.
        // SAFETY: signalling and reaping our own child.
        unsafe { libc::kill(payload as i32, libc::SIGKILL) };
        let status = reap(payload);
        drop(read_all(out));
        if !libc::WIFSIGNALED(status) {
            return Err(format!("payload status {status:#x}"));
        }
        // The next fork gets the same pid.
        std::fs::write("/proc/sys/kernel/ns_last_pid", format!("{}", payload - 1))
            .map_err(|e| format!("ns_last_pid: {e}"))?;
        // SAFETY: the new child only sleeps until killed.
        let other = unsafe { libc::fork() };
        if other == 0 {
            loop {
                // SAFETY: waits for a signal.
                unsafe { libc::pause() };
            }
        }
        if other as u32 != n.tid {
            // SAFETY: cleaning up our own child.
            unsafe { libc::kill(other, libc::SIGKILL) };
            reap(other as u32);
            return Err(format!("new process got pid {other}, not {}", n.tid));
        }
        // /proc now shows the new process at the old pid.
        let now = std::fs::read_to_string(format!("/proc/{other}/status"))
            .map_err(|e| format!("/proc/{other}/status: {e}"))?;
        let process = a.listener.process(&n);
        let kill = a.listener.kill_process(&n, other as u32);
        let mut status = 0;
        // SAFETY: checks our own child without waiting.
        let alive = unsafe { libc::waitpid(other, &raw mut status, libc::WNOHANG) } == 0;
        // SAFETY: cleaning up our own child.
        unsafe { libc::kill(other, libc::SIGKILL) };
        reap(other as u32);
        if process != Err(NotifyError::Gone) || kill != Err(NotifyError::Gone) || !alive {
            return Err(format!(
                "process {process:?}, kill {kill:?}, new process alive {alive}"
            ));
        }
        let tgid = now
            .lines()
            .find(|l| l.starts_with("Tgid:"))
            .unwrap_or_default()
            .to_owned();
        Ok(format!(
            "pid {} reused (/proc/{other}/status: {tgid}); process {process:?}, kill {kill:?}, \
         new process alive {alive}",
            n.tid
        ))
    }
}
