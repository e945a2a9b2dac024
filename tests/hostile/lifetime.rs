//! No process of a payload outlives its run, whatever the payload does.
//!
//! `outlive.c` leaves processes behind in four ways: a daemon (fork,
//! `setsid`, fork again), a child in a process group of its own, a payload
//! that clears its parent-death signal before the front end is killed with
//! SIGKILL, and a tree of grandchildren before the front end is killed.
//! Each runs through `seccomp-policy run` (`learn` for the daemon: no cap
//! grants `setsid`), the sandbox example, and a `Supervisor` attached by
//! hand, as root and as uid 65534. Every process of a run carries a token
//! of its own in its environment; afterwards the processes still carrying
//! it are counted, and there must be none.
//!
//! The last test takes namespaces away from the front end (a filter on it
//! fails `unshare` with EPERM, as a container's profile may): what the
//! payload leaves behind when it ends is still ended.
//!
//! Runs under the suite's harness: a missing C compiler, Landlock or (for
//! uid 65534, or a caller without `CAP_SYS_ADMIN`) unprivileged user
//! namespaces is reported as a skip.

use std::io::{BufRead as _, BufReader, Read as _};
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use seccomp_policy::bpf::{
    SockFilter, BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W, SECCOMP_DATA_ARCH,
    SECCOMP_DATA_NR, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS,
};
use seccomp_policy::supervise::{Lifetime, Supervisor};
use seccomp_policy_suite::harness::{require, Checked, Skip};
use seccomp_policy_suite::{become_user, for_each_user, User};

seccomp_policy::seccomp_policy!("policy/seccomp.toml");

seccomp_policy_suite::tests![
    a_daemon_ends_with_the_run,
    a_process_group_of_its_own_ends_with_the_run,
    a_cleared_death_signal_ends_with_a_killed_front_end,
    a_cleared_death_signal_ends_with_a_killed_front_end_as_nobody,
    grandchildren_end_with_a_killed_front_end,
    grandchildren_end_with_a_killed_front_end_as_nobody,
    without_namespaces_what_is_left_still_ends,
];

/// The environment variable whose value marks every process of one run.
const TOKEN: &str = "SECCOMP_POLICY_LIFETIME_TOKEN";

/// How long the processes of a run may take to end after it.
const GRACE: Duration = Duration::from_secs(3);

/// How a payload tries to outlive its run (`outlive.c`'s argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Way {
    /// Fork, `setsid`, fork again; in learn mode, since no cap grants
    /// `setsid`.
    Daemon,
    /// A child in a process group of its own (`CODE_EXEC`).
    Setpgid,
    /// No parent-death signal; then the front end is killed.
    NoDeathSig,
    /// A child and a grandchild; then the front end is killed.
    Tree,
}

impl Way {
    fn arg(self) -> &'static str {
        match self {
            Way::Daemon => "daemon",
            Way::Setpgid => "setpgid",
            Way::NoDeathSig => "nodeathsig",
            Way::Tree => "tree",
        }
    }

    fn caps(self) -> &'static [&'static str] {
        match self {
            Way::Daemon | Way::NoDeathSig => &[],
            Way::Setpgid | Way::Tree => &["CODE_EXEC"],
        }
    }

    fn learn(self) -> bool {
        self == Way::Daemon
    }

    /// Whether the test kills the front end with SIGKILL once the payload
    /// has started (else the payload's top process exits by itself).
    fn kills_front_end(self) -> bool {
        matches!(self, Way::NoDeathSig | Way::Tree)
    }
}

/// The front end that runs the payload.
#[derive(Clone, Copy, Debug)]
enum Front {
    /// `seccomp-policy run` (or `learn`).
    Cli,
    /// `examples/sandbox`.
    Example,
    /// `Supervisor::attach` in a forked child of the test.
    Supervisor,
}

const FRONTS: [Front; 3] = [Front::Cli, Front::Example, Front::Supervisor];

/// Whether the front end may make namespaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outer {
    /// As the machine allows.
    Free,
    /// A filter on the front end fails `unshare` with EPERM.
    NoNamespaces,
}

/// What one run left, and what it said.
struct Case {
    what: String,
    /// Whether the payload said `started`: every process it leaves behind
    /// was in place.
    started: bool,
    left: Vec<i32>,
    /// The tool's stderr, or what the front end in the test's child said
    /// of the run; empty when the test killed the front end.
    said: String,
}

/// A private directory every user may read and search.
fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("seccomp-policy-lifetime-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        dir
    })
}

use seccomp_policy_suite::built::{cli, example};

/// `outlive.c`, compiled with the machine's C compiler.
fn outlive() -> Result<&'static Path, Skip> {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    require::program("/usr/bin/cc")?;
    Ok(EXE.get_or_init(|| {
        let exe = scratch().join("outlive");
        let out = Command::new("/usr/bin/cc")
            .args(["-O2", "-Wall", "-Werror", "-o"])
            .arg(&exe)
            .arg(format!(
                "{}/tests/hostile/outlive.c",
                env!("CARGO_MANIFEST_DIR")
            ))
            .output()
            .expect("cc runs");
        assert!(
            out.status.success(),
            "cc: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        exe
    }))
}

/// A token no other run shares.
fn token(way: Way, front: Front, user: User, outer: Outer) -> String {
    static RUNS: AtomicU32 = AtomicU32::new(0);
    format!(
        "{}-{}-{way:?}-{front:?}-{user:?}-{outer:?}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    )
}

/// The processes whose environment holds `TOKEN=token`. A zombie has no
/// environment left, so only processes still running are counted.
fn carrying(token: &str) -> Vec<i32> {
    let needle = format!("{TOKEN}={token}");
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        if environ.split(|&b| b == 0).any(|v| v == needle.as_bytes()) {
            pids.push(pid);
        }
    }
    pids
}

/// The processes of `token` still running after the grace period.
fn left_after_grace(token: &str) -> Vec<i32> {
    let start = Instant::now();
    loop {
        let left = carrying(token);
        if left.is_empty() || start.elapsed() > GRACE {
            return left;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Kills what a failed case left, through pidfds, so that the next case
/// and the machine start clean.
fn clean_up(token: &str) {
    for pid in carrying(token) {
        // SAFETY: integer arguments; a pidfd names the process for good.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if fd < 0 {
            continue;
        }
        // SAFETY: the kernel just returned this descriptor.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
        // Only a process still carrying the token is killed.
        if carrying(token).contains(&pid) {
            // SAFETY: a live pidfd, a signal, no siginfo.
            unsafe {
                libc::syscall(
                    libc::SYS_pidfd_send_signal,
                    fd.as_raw_fd(),
                    libc::SIGKILL,
                    core::ptr::null::<libc::siginfo_t>(),
                    0,
                )
            };
        }
    }
}

/// A filter that fails `unshare` with EPERM and allows everything else, on
/// the native architecture (anything else is killed).
fn no_namespaces_filter() -> Vec<SockFilter> {
    let arch = seccomp_policy::Arch::NATIVE
        .expect("a supported architecture")
        .audit_arch();
    let stmt = |code: u16, k: u32| SockFilter {
        code,
        jt: 0,
        jf: 0,
        k,
    };
    let jeq = |k: u32, jt: u8, jf: u8| SockFilter {
        code: BPF_JMP | BPF_JEQ | BPF_K,
        jt,
        jf,
        k,
    };
    vec![
        stmt(BPF_LD | BPF_W | BPF_ABS, SECCOMP_DATA_ARCH),
        jeq(arch, 1, 0),
        stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        stmt(BPF_LD | BPF_W | BPF_ABS, SECCOMP_DATA_NR),
        jeq(libc::SYS_unshare as u32, 0, 1),
        stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | libc::EPERM as u32),
        stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    ]
}

/// The policy's bits for cap names.
fn cap_bits(caps: &[&str]) -> u64 {
    caps.iter().fold(0u64, |bits, name| {
        let i = POLICY
            .cap_names
            .iter()
            .position(|c| c == name)
            .expect("a cap of the policy");
        bits | 1 << i
    })
}

/// Runs `way` through `front` as `user`: waits for `started`, kills the
/// front end if the way says so, waits for it to end, and counts what the
/// run left.
fn run_case(way: Way, front: Front, user: User, outer: Outer) -> Case {
    let payload = outlive().expect("checked by the test");
    let token = token(way, front, user, outer);
    let what = format!("{way:?} through {front:?} as {user:?} ({outer:?})");
    let (started, said) = match front {
        Front::Cli | Front::Example => run_tool(way, front, user, outer, payload, &token),
        Front::Supervisor => run_supervisor(way, user, outer, payload, &token),
    };
    let left = left_after_grace(&token);
    clean_up(&token);
    Case {
        what,
        started,
        left,
        said,
    }
}

/// What should hold for `user`: a pid namespace where one can be made
/// (in a user namespace unless the test runs as root), with a `/proc` of
/// its own where the machine lets one be mounted there, else a subreaper.
fn expected(user: User, outer: Outer) -> Lifetime {
    if outer == Outer::NoNamespaces || require::pid_namespace(user).is_err() {
        return Lifetime::Subreaper;
    }
    // SAFETY: reads the effective uid.
    let root = user == User::Invoker && unsafe { libc::geteuid() } == 0;
    Lifetime::PidNamespace {
        user_namespace: !root,
        own_proc: require::own_proc(user).is_ok(),
    }
}

/// The tool's command line for `way`.
fn tool_command(way: Way, front: Front, payload: &Path) -> Command {
    let mut cmd = match front {
        Front::Cli => {
            let mut c = Command::new(cli());
            c.arg(if way.learn() { "learn" } else { "run" })
                .arg(format!(
                    "{}/policy/seccomp.toml",
                    env!("CARGO_MANIFEST_DIR")
                ));
            c
        }
        _ => {
            let mut c = Command::new(example());
            if way.learn() {
                c.arg("--learn");
            }
            c
        }
    };
    for cap in way.caps() {
        cmd.args(["--cap", cap]);
    }
    cmd.arg("--").arg(payload).arg(way.arg());
    cmd
}

/// Runs the tool: whether the payload started, and the tool's stderr,
/// unless the test killed it (then nothing).
fn run_tool(
    way: Way,
    front: Front,
    user: User,
    outer: Outer,
    payload: &Path,
    token: &str,
) -> (bool, String) {
    let mut cmd = tool_command(way, front, payload);
    cmd.env(TOKEN, token)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .current_dir(scratch());
    user.command(&mut cmd);
    if outer == Outer::NoNamespaces {
        let filter = no_namespaces_filter();
        // SAFETY: `apply` allocates nothing, takes no lock and cannot
        // panic (its error converts without allocating).
        unsafe {
            cmd.pre_exec(move || {
                seccomp_policy::install::apply(&filter).map_err(std::io::Error::from)
            })
        };
    }
    let mut child = cmd.spawn().expect("the tool runs");
    let mut line = String::new();
    let _ = BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line);
    let started = line == "started\n";
    if way.kills_front_end() && started {
        let _ = child.kill();
        let _ = child.wait();
        return (true, String::new());
    }
    let status = child.wait().expect("waits");
    let mut err = String::new();
    if !way.kills_front_end() {
        let _ = child.stderr.take().expect("piped").read_to_string(&mut err);
    }
    (started, format!("{line:?}, {status}; stderr:\n{err}"))
}

/// A pipe, close-on-exec: the read end, then the write end.
fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: room for two descriptors.
    let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(r, 0, "pipe2");
    // SAFETY: both were just made and are ours.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// Runs the payload under a `Supervisor` attached by hand in a forked
/// child of the test (the front end), as `user`; its stdout comes back
/// through a pipe. Whether the payload started, and what the child says
/// about its run, which comes back on a second pipe, unless the test
/// killed it.
fn run_supervisor(
    way: Way,
    user: User,
    outer: Outer,
    payload: &Path,
    token: &str,
) -> (bool, String) {
    let (stdout_r, stdout_w) = pipe();
    let (say_r, say_w) = pipe();
    let mut cmd = Command::new(payload);
    cmd.arg(way.arg())
        .current_dir(scratch())
        .env(TOKEN, token)
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    let mut supervisor = Supervisor::new(&POLICY, cap_bits(way.caps()), syscall_name)
        .new_session(true)
        .kill_with_parent(true)
        .end_with_command(true);
    if way.learn() {
        supervisor = supervisor.learn();
    }
    // SAFETY: the child runs the front end and `_exit`s; it never returns
    // into the test harness.
    let front = unsafe { libc::fork() };
    assert!(front >= 0, "fork");
    if front == 0 {
        drop(stdout_r);
        drop(say_r);
        let result = front_end(user, outer, supervisor, cmd, stdout_w);
        let text = match &result {
            Ok(t) | Err(t) => t.as_bytes(),
        };
        // SAFETY: writes from a live buffer to our own pipe.
        unsafe { libc::write(say_w.as_raw_fd(), text.as_ptr().cast(), text.len()) };
        // SAFETY: ends the forked child without unwinding into the harness.
        unsafe { libc::_exit(i32::from(result.is_err())) };
    }
    drop(stdout_w);
    drop(say_w);
    let mut line = String::new();
    let _ = BufReader::new(std::fs::File::from(stdout_r)).read_line(&mut line);
    let started = line == "started\n";
    let killed = way.kills_front_end() && started;
    if killed {
        // SAFETY: our own unreaped child.
        unsafe { libc::kill(front, libc::SIGKILL) };
    }
    let mut status = 0;
    // SAFETY: reaps our own child.
    unsafe { libc::waitpid(front, &raw mut status, 0) };
    if killed {
        return (true, String::new());
    }
    let mut said = String::new();
    let _ = std::fs::File::from(say_r).read_to_string(&mut said);
    (
        started,
        format!("{line:?}, front end status {status:#x}; it said: {said}"),
    )
}

/// The front end in the forked child: becomes `user`, spawns `cmd` under
/// `supervisor` with its stdout to `out`, waits, and says how it ended.
fn front_end(
    user: User,
    outer: Outer,
    supervisor: Supervisor,
    mut cmd: Command,
    out: OwnedFd,
) -> Result<String, String> {
    become_user(user)?;
    if outer == Outer::NoNamespaces {
        seccomp_policy::install::apply(&no_namespaces_filter()).map_err(|e| e.to_string())?;
    }
    cmd.stdout(Stdio::from(out));
    let supervision = supervisor
        .attach(&mut cmd)
        .map_err(|e| seccomp_policy::tool::chain(&e).to_string())?;
    let mut child = cmd.spawn().map_err(|e| format!("spawn: {e}"))?;
    let status = child.wait().map_err(|e| e.to_string())?;
    let report = supervision
        .finish()
        .map_err(|e| seccomp_policy::tool::chain(&e).to_string())?;
    Ok(format!(
        "{}; {}",
        report.ending(report.pid, status),
        report.lifetime
    ))
}

/// Runs `way` through every front end as `users`, and fails, naming each
/// run that left processes behind or, when it ran to its end, did not say
/// what held them, if any did.
fn assert_nothing_left(way: Way, users: &[User], outer: Outer) {
    let mut failures = Vec::new();
    for &user in users {
        let held = expected(user, outer);
        for front in FRONTS {
            let case = run_case(way, front, user, outer);
            println!("{}: {} left; {held}", case.what, case.left.len());
            if !case.started {
                failures.push(format!("{}: did not start: {}", case.what, case.said));
            }
            if !case.left.is_empty() {
                failures.push(format!(
                    "{}: left running: {:?}; {}",
                    case.what, case.left, case.said
                ));
            }
            if !way.kills_front_end() && !case.said.contains(&held.to_string()) {
                failures.push(format!(
                    "{}: does not say \"{held}\": {}",
                    case.what, case.said
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What every test needs: the C compiler and the sandbox's Landlock.
fn common() -> Checked {
    require::landlock()?;
    outlive()?;
    Ok(())
}

/// A daemon (fork, `setsid`, fork) is ended when the run ends.
fn a_daemon_ends_with_the_run() -> Checked {
    common()?;
    for_each_user(|user| assert_nothing_left(Way::Daemon, &[user], Outer::Free))
}

/// A child that left the payload's process group for one of its own is
/// ended when the run ends, though the run exited 0.
fn a_process_group_of_its_own_ends_with_the_run() -> Checked {
    common()?;
    for_each_user(|user| assert_nothing_left(Way::Setpgid, &[user], Outer::Free))
}

/// A payload that cleared its parent-death signal still ends when the
/// front end is killed with SIGKILL, as the invoking user.
fn a_cleared_death_signal_ends_with_a_killed_front_end() -> Checked {
    common()?;
    require::pid_namespace(User::Invoker)?;
    assert_nothing_left(Way::NoDeathSig, &[User::Invoker], Outer::Free);
    Ok(())
}

/// The same as uid 65534.
fn a_cleared_death_signal_ends_with_a_killed_front_end_as_nobody() -> Checked {
    common()?;
    User::Nobody.available()?;
    require::pid_namespace(User::Nobody)?;
    assert_nothing_left(Way::NoDeathSig, &[User::Nobody], Outer::Free);
    Ok(())
}

/// The payload's children and grandchildren end when the front end is
/// killed with SIGKILL, as the invoking user.
fn grandchildren_end_with_a_killed_front_end() -> Checked {
    common()?;
    require::pid_namespace(User::Invoker)?;
    assert_nothing_left(Way::Tree, &[User::Invoker], Outer::Free);
    Ok(())
}

/// The same as uid 65534.
fn grandchildren_end_with_a_killed_front_end_as_nobody() -> Checked {
    common()?;
    User::Nobody.available()?;
    require::pid_namespace(User::Nobody)?;
    assert_nothing_left(Way::Tree, &[User::Nobody], Outer::Free);
    Ok(())
}

/// Where the front end may not make namespaces, what the payload leaves
/// behind (a daemon, a process group of its own) is still ended when the
/// run ends.
fn without_namespaces_what_is_left_still_ends() -> Checked {
    common()?;
    for_each_user(|user| {
        assert_nothing_left(Way::Daemon, &[user], Outer::NoNamespaces);
        assert_nothing_left(Way::Setpgid, &[user], Outer::NoNamespaces);
    })
}
