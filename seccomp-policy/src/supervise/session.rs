//! One supervised command run to its end as a foreground job, the way a
//! command-line sandbox runs it.
//!
//! [`run`] starts a command under a [`Supervisor`] so that **no process of
//! the command outlives it** ([`end_with_command`](Supervisor::end_with_command),
//! see [`lifetime`](super::lifetime)): the process it spawns is a relay
//! that makes a pid namespace, whose init is ours, and starts the command
//! in it, in a session of its own (`setsid`: no controlling terminal) and a
//! process group of its own. When the command ends, the relay kills the
//! namespace's init, and the kernel kills everything left in it: a daemon
//! that double-forked and called `setsid`, a child in a group of its own.
//! The relay dies with the thread that started it (`PR_SET_PDEATHSIG`),
//! and the namespace with the relay, so a `SIGKILL` of this process ends
//! the whole tree too; the command cannot clear that, as it can its own
//! parent-death signal. Where no pid namespace can be made (no
//! `CAP_SYS_ADMIN` and no unprivileged user namespaces), the relay is a
//! subreaper instead and kills what the command left when it ends, but a
//! `SIGKILL` of this process then leaves that running. [`run`] waits for
//! the relay, which ends as the command did once the whole tree has ended,
//! and finishes the supervisor: [`Done`] holds the wait status and the
//! [`Report`], whose [`lifetime`](Report::lifetime) says which held.
//!
//! [`forward_signals`] passes SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to
//! this process on to the relay, which passes them on to the command's
//! process group (a second one kills the group with `SIGKILL`).
//!
//! [`run_and_report`] does both for a command-line tool, and writes what
//! happens to stderr, each line starting with the tool's prefix:
//!
//! ```text
//! sandbox: denied: /usr/bin/python3.11 [pid 2989]: socket(2, 0x80001, 0, 0x7fc6ae307a68, 0, 0) on x86_64: allowed by caps SSRF, HEADER_INJECTION or OPEN_REDIRECT; failed with EPERM (1) without running
//! sandbox: caps none: `/usr/bin/python3 -I -c import socket; socket.socket()` exited with status 1; Landlock ABI 7: ptrace, signals, abstract sockets, device nodes confined; pid namespace: nothing it started outlives it
//! ```
//!
//! It returns the exit code such a tool passes on, as `env`, `timeout`,
//! `chroot` and `nohup` do: the command's status, 128 + N when signal N
//! ended it, [`KILLED_BY_POLICY`](super::KILLED_BY_POLICY) (159, 128 +
//! `SIGSYS`, as for the kernel's kill) when the policy killed it; and when
//! the command did not run to its end, [`NOT_FOUND`] (127) when it was not
//! found, [`CANNOT_EXECUTE`] (126) when it was found but could not be
//! executed, and [`TOOL_FAILED`] (125) when the sandbox itself failed (see
//! [`SessionError::exit_code`]), the supervisor included, even while the
//! command ran ([`Done::failure`]). [`try_run_and_report`] leaves reporting
//! those failures to the tool.
//!
//! ```no_run
//! use std::process::{Command, ExitCode};
//! use seccomp_policy::supervise::{session, Supervisor};
//!
//! seccomp_policy::seccomp_policy!("../policy/seccomp.toml");
//!
//! fn main() -> ExitCode {
//!     let mut cmd = Command::new("/bin/sh");
//!     cmd.args(["-c", "ls /usr/bin | wc -l"]);
//!     let supervisor = Supervisor::new(&POLICY, Cap::CODE_EXEC.bits(), syscall_name);
//!     ExitCode::from(session::run_and_report(supervisor, cmd, "sandbox"))
//! }
//! ```

use core::fmt;
use std::io::{self, Write as _};
use std::os::unix::process::CommandExt as _;
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Instant;

use seccomp_policy_core::text::{quoted, PATH_MAX};

use crate::install::Errno;
use crate::notify::{HandoffError, NotifyError};

use super::lines::DenialLines;
use super::{Answer, Ending, Mode, Report, SuperviseError, Supervision, Supervisor};

/// The exit code of [`run_and_report`] when the sandbox itself failed:
/// signals could not be forwarded, the supervisor could not start or
/// failed, the command's process could not be made or set up before its
/// filter was attached, or waiting for it failed (`timeout` and `env` exit
/// 125 when they fail themselves).
pub const TOOL_FAILED: u8 = 125;

/// The exit code of [`run_and_report`] when the command was found but could
/// not be executed: its `execve` failed with anything but `ENOENT`
/// (`EACCES`: not executable, or a directory; `ENOEXEC`; ...), as the
/// shell, `env` and `timeout` exit.
pub const CANNOT_EXECUTE: u8 = 126;

/// The exit code of [`run_and_report`] when the command was not found: its
/// `execve` failed with `ENOENT` (no such file, not in `PATH`, or the
/// interpreter its `#!` line names is missing), as the shell, `env` and
/// `timeout` exit.
pub const NOT_FOUND: u8 = 127;

/// The signals passed on to the command's process group (through its
/// relay).
const FORWARDED: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// The process group of the running command's relay (its pid: it leads
/// the session), [`STARTING`] while it is being spawned, or 0 when none
/// runs. The relay passes what it gets on to the command's own group.
static PAYLOAD_GROUP: AtomicI32 = AtomicI32::new(0);

/// [`PAYLOAD_GROUP`] while `spawn` runs: the command may already be running
/// (`spawn` returns only after its `exec`, and a loaded machine may not
/// schedule this thread again for a while), so a signal then is held until
/// the group is known, not taken for "no command" (which would exit this
/// process and leave the command to be killed unreported).
const STARTING: i32 = -1;

/// What the one call of [`forward_signals`] that did the work did.
static FORWARDING: OnceLock<Forwarding> = OnceLock::new();

/// The signal forwarding of this process, once set up.
struct Forwarding {
    /// The step that failed and its errno, if one did.
    failed: Option<(&'static str, Errno)>,
    /// The forwarded signals it blocked (those that were not blocked
    /// before): [`run`] unblocks them again in the command.
    blocked: libc::sigset_t,
}

/// Passes SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to this process on to
/// the process group of the command [`run`] is running (through its relay);
/// a second signal while the same command runs kills its group with
/// `SIGKILL`. With no command running, the process exits with 128 + the
/// signal's number.
///
/// Call it at the start of `main`, before any other thread is started: it
/// blocks those signals in the calling thread, which threads started later
/// inherit, and takes them in a thread of its own (`sigwait`). A thread
/// started earlier keeps them unblocked, and a signal delivered to it ends
/// the process. [`run`] unblocks them again in the command before it starts
/// (the standard library passes the caller's signal mask on to it), so the
/// command gets them as if it had been started without forwarding.
///
/// Only the first call does anything; later ones return its result. If
/// [`run`] runs several commands at once (from several threads), signals go
/// to the one started last.
///
/// # Errors
///
/// [`SessionError::Signals`]: the signal mask could not be set or the
/// thread could not be started; the signals are then left as they were.
pub fn forward_signals() -> Result<(), SessionError> {
    match FORWARDING.get_or_init(start_forwarding).failed {
        None => Ok(()),
        Some((what, errno)) => Err(SessionError::Signals { what, errno }),
    }
}

/// An empty signal set.
fn empty_sigset() -> libc::sigset_t {
    // SAFETY: sigemptyset initialises the set; plain data before that.
    unsafe {
        let mut set: libc::sigset_t = core::mem::zeroed();
        libc::sigemptyset(&raw mut set);
        set
    }
}

/// Blocks the signals and starts the thread that takes them.
fn start_forwarding() -> Forwarding {
    let failed = |what, errno| Forwarding {
        failed: Some((what, errno)),
        blocked: empty_sigset(),
    };
    let mut set = empty_sigset();
    for sig in FORWARDED {
        // SAFETY: `set` is an initialised sigset; `sig` a valid signal.
        unsafe { libc::sigaddset(&raw mut set, sig) };
    }
    let mut old = empty_sigset();
    // SAFETY: `set` and `old` are live sigsets; this thread's mask only.
    let r = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &raw const set, &raw mut old) };
    if r != 0 {
        return failed("pthread_sigmask", Errno(r));
    }
    let mut blocked = empty_sigset();
    for sig in FORWARDED {
        // SAFETY: both are initialised sigsets; `sig` a valid signal.
        unsafe {
            if libc::sigismember(&raw const old, sig) == 0 {
                libc::sigaddset(&raw mut blocked, sig);
            }
        }
    }
    let spawned = std::thread::Builder::new()
        .name("signal-forwarder".into())
        .spawn(move || forward(&set));
    if let Err(e) = spawned {
        // SAFETY: restores the mask saved above.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &raw const old, core::ptr::null_mut()) };
        return failed(
            "starting the signal thread",
            Errno(e.raw_os_error().unwrap_or(libc::EAGAIN)),
        );
    }
    Forwarding {
        failed: None,
        blocked,
    }
}

/// The forwarding thread: takes the blocked signals one by one, and
/// passes each on to the relay's group. The relay passes it on to the
/// command's group, and turns the second into `SIGKILL`: killing the relay
/// itself would end the command without what it left behind where the
/// relay is only a subreaper.
fn forward(set: &libc::sigset_t) {
    loop {
        let mut sig = 0;
        // SAFETY: waits for one of the signals of `set`, blocked in every
        // thread started after it was.
        if unsafe { libc::sigwait(set, &raw mut sig) } != 0 {
            continue;
        }
        let mut group = PAYLOAD_GROUP.load(Ordering::SeqCst);
        while group == STARTING {
            std::thread::sleep(std::time::Duration::from_millis(1));
            group = PAYLOAD_GROUP.load(Ordering::SeqCst);
        }
        if group == 0 {
            std::process::exit(128 + sig);
        }
        // SAFETY: signals the relay's process group, whose id cannot be
        // reused while the relay is unreaped (see `run`).
        unsafe { libc::kill(-group, sig) };
    }
}

/// How a command [`run`] ran ended, and what its supervisor saw.
#[derive(Debug)]
pub struct Done {
    /// The command's pid, in this process's pid namespace (not its relay's).
    pub pid: u32,
    /// Its wait status.
    pub status: ExitStatus,
    /// The supervisor's report.
    pub report: Report,
}

impl Done {
    /// How the command ended, with the policy's kills told apart (see
    /// [`Report::ending`]).
    pub fn ending(&self) -> Ending<'_> {
        self.report.ending(self.pid, self.status)
    }

    /// The exit code a sandbox passes on: the command's status, 128 + N
    /// for signal N, 159 when the policy killed it (see
    /// [`Ending::exit_code`]); [`TOOL_FAILED`] (125) whatever the command's
    /// status when the supervisor failed ([`failure`](Done::failure)).
    pub fn exit_code(&self) -> u8 {
        if self.report.error.is_some() {
            return TOOL_FAILED;
        }
        self.ending().exit_code()
    }

    /// Whether the policy killed the command itself (not only a process it
    /// started).
    pub fn killed_by_policy(&self) -> bool {
        matches!(self.ending(), Ending::KilledByPolicy(_))
    }

    /// The supervisor's own failure, if it had one (see [`Report::error`]):
    /// then the run failed.
    pub fn failure(&self) -> Option<SupervisorFailure<'_>> {
        self.report.error.map(|error| SupervisorFailure {
            error,
            report: &self.report,
        })
    }
}

/// The supervisor failed while the command ran (see [`Report::error`]):
/// what failed, with its errno, and what it did about it. Prints as one
/// sentence.
#[derive(Clone, Copy, Debug)]
pub struct SupervisorFailure<'a> {
    /// The first failure.
    pub error: NotifyError,
    /// The whole report.
    pub report: &'a Report,
}

impl fmt::Display for SupervisorFailure<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the supervisor failed: {}", self.error)?;
        if self.report.failures > 1 {
            write!(f, " ({} failures in all)", self.report.failures)?;
        }
        if self.report.killed_tree {
            f.write_str(
                "; it killed the command's tree, as it could not answer a call as the policy \
                 says; no refused call ran",
            )
        } else {
            f.write_str("; every refused call was still refused, but not every one named")
        }
    }
}

/// Why a command could not be run to its end.
#[derive(Debug)]
pub enum SessionError {
    /// Signal forwarding could not be set up (`what` names the step).
    Signals {
        /// The operation.
        what: &'static str,
        /// Its errno.
        errno: Errno,
    },
    /// The supervisor could not start (the program could not be built, the
    /// filter could not be attached in the child or its listener handed
    /// over), or its thread failed.
    Supervise(SuperviseError),
    /// The command's process could not be started: `fork`, or a step before
    /// its filter was attached (a `pre_exec` hook of the caller's, its own
    /// session, the parent-death signal), failed.
    Spawn(Errno),
    /// The command's `execve` failed, under its filter: `ENOENT` when it was
    /// not found, `EACCES`, `ENOEXEC`, ... when it could not be executed.
    Exec(Errno),
    /// Waiting for the command's relay failed; the relay was killed, and
    /// with it the command (and, in a pid namespace, everything it
    /// started).
    Wait(Errno),
    /// The command ran, but the supervisor failed while it did (see
    /// [`Report::error`]): the run failed, whatever the command's status.
    /// The run as [`run`] returned it.
    SupervisorFailed(Box<Done>),
}

impl SessionError {
    /// The errno this error carries or stands for.
    pub fn errno(&self) -> Errno {
        match self {
            SessionError::Signals { errno, .. }
            | SessionError::Spawn(errno)
            | SessionError::Exec(errno)
            | SessionError::Wait(errno) => *errno,
            SessionError::Supervise(e) => e.errno(),
            SessionError::SupervisorFailed(done) => match done.report.error {
                Some(NotifyError::Failed { errno, .. }) => errno,
                _ => Errno(libc::EIO),
            },
        }
    }

    /// The exit code a sandbox passes on for it: [`NOT_FOUND`] (127) when
    /// the command's `execve` failed with `ENOENT`, [`CANNOT_EXECUTE`] (126)
    /// when it failed otherwise, and [`TOOL_FAILED`] (125) for every failure
    /// of the sandbox's own.
    pub fn exit_code(&self) -> u8 {
        match self {
            SessionError::Exec(Errno(libc::ENOENT)) => NOT_FOUND,
            SessionError::Exec(_) => CANNOT_EXECUTE,
            SessionError::Signals { .. }
            | SessionError::Supervise(_)
            | SessionError::Spawn(_)
            | SessionError::Wait(_)
            | SessionError::SupervisorFailed(_) => TOOL_FAILED,
        }
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Signals { what, errno } => {
                write!(f, "forwarding signals: {what} failed: {errno}")
            }
            SessionError::Supervise(e) => write!(f, "{e}"),
            SessionError::Spawn(errno) => write!(
                f,
                "starting its process failed: {}",
                io::Error::from_raw_os_error(errno.0)
            ),
            SessionError::Exec(errno) => write!(f, "{}", io::Error::from_raw_os_error(errno.0)),
            SessionError::Wait(errno) => write!(f, "waiting for the command failed: {errno}"),
            SessionError::SupervisorFailed(done) => match done.failure() {
                Some(failure) => write!(f, "{failure}"),
                None => f.write_str("the supervisor failed"),
            },
        }
    }
}

impl std::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SessionError::Supervise(e) => Some(e),
            _ => None,
        }
    }
}

impl From<SessionError> for io::Error {
    fn from(e: SessionError) -> io::Error {
        io::Error::from_raw_os_error(e.errno().0)
    }
}

/// The errno of an I/O error from the standard library, `EIO` for one
/// that did not come from a system call (an argument with a NUL byte).
fn errno_of(e: &io::Error) -> Errno {
    Errno(e.raw_os_error().unwrap_or(match e.kind() {
        io::ErrorKind::InvalidInput => libc::EINVAL,
        _ => libc::EIO,
    }))
}

/// Runs `command` under `supervisor` to its end: in a pid namespace (or
/// under a subreaper) and a session of its own, behind a relay killed if
/// the calling thread ends first, with signals forwarded to its group if
/// [`forward_signals`] was called. When it ends, everything it started is
/// killed (see the [module docs](self)), then the relay is reaped and the
/// supervisor finished.
///
/// The supervisor is set to [`new_session`](Supervisor::new_session),
/// [`kill_with_parent`](Supervisor::kill_with_parent) and
/// [`end_with_command`](Supervisor::end_with_command); the rest (mode,
/// [`on_denial`](Supervisor::on_denial), ...) is as given, and so is
/// `command` (arguments, environment, standard streams), to which a
/// `pre_exec` hook is added: it unblocks the signals [`forward_signals`]
/// blocked, with one system call and no allocation.
///
/// # Errors
///
/// [`SessionError`]: the supervisor could not start or failed
/// ([`Supervise`](SessionError::Supervise)), the command's process could
/// not be started ([`Spawn`](SessionError::Spawn)), its `execve` failed
/// ([`Exec`](SessionError::Exec)), or waiting for it failed
/// ([`Wait`](SessionError::Wait); its relay's group is killed first).
pub fn run(supervisor: Supervisor, mut command: Command) -> Result<Done, SessionError> {
    // The signals forwarding blocked in this process would stay blocked in
    // the command (the standard library passes the mask on), and the ones
    // passed on to its group would never reach it: unblock them in the
    // child, before the supervisor's hook attaches the filter.
    let unblock = FORWARDING.get().map_or_else(empty_sigset, |f| f.blocked);
    let hook = move || -> io::Result<()> {
        // Async-signal-safe, and allocates nothing: one system call.
        // SAFETY: `unblock` is an initialised sigset owned by the closure.
        let r = unsafe {
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &raw const unblock, core::ptr::null_mut())
        };
        if r == 0 {
            Ok(())
        } else {
            Err(io::Error::from_raw_os_error(r))
        }
    };
    // SAFETY: the hook allocates nothing, takes no lock and cannot panic,
    // as required between fork and exec.
    unsafe { command.pre_exec(hook) };
    let supervision = supervisor
        .new_session(true)
        .kill_with_parent(true)
        .end_with_command(true)
        .attach(&mut command)
        .map_err(SessionError::Supervise)?;
    PAYLOAD_GROUP.store(STARTING, Ordering::SeqCst);
    let mut relay = match command.spawn() {
        Ok(relay) => relay,
        Err(e) => {
            PAYLOAD_GROUP.store(0, Ordering::SeqCst);
            return Err(spawn_failed(&e, supervision));
        }
    };
    let group = relay.id() as libc::pid_t;
    PAYLOAD_GROUP.store(group, Ordering::SeqCst);
    // The relay ends once the command's whole tree has. Wait without
    // reaping: while the relay is a zombie, its pid, and so its group's id,
    // cannot be reused; then kill what is in its group (nothing, unless
    // waiting failed: then this ends the relay and so the tree).
    let waited = wait_without_reaping(group);
    // SAFETY: signals the group of our unreaped child (see above).
    unsafe { libc::kill(-group, libc::SIGKILL) };
    // Another thread's command may have taken the slot meanwhile.
    let _ = PAYLOAD_GROUP.compare_exchange(group, 0, Ordering::SeqCst, Ordering::SeqCst);
    let status = relay.wait().map_err(|e| SessionError::Wait(errno_of(&e)))?;
    waited?;
    let report = supervision.finish().map_err(SessionError::Supervise)?;
    Ok(Done {
        pid: report.pid,
        status,
        report,
    })
}

/// What failed when `spawn` did. The supervisor's `pre_exec` hook is the
/// last before `execve`, and it returns only once the supervisor has the
/// listener: if the handoff succeeded, everything before `execve` did, so
/// `execve` failed. Otherwise the failure is the supervisor's when it
/// knows why (the filter could not be attached, ...), or the process's
/// (`fork`, or a step before the filter).
fn spawn_failed(e: &io::Error, supervision: Supervision) -> SessionError {
    let errno = errno_of(e);
    // The child has ended (`spawn` reaps it): the thread ends at once.
    match supervision.finish() {
        Ok(_) => SessionError::Exec(errno),
        Err(SuperviseError::Handoff(HandoffError::NoChild)) => SessionError::Spawn(errno),
        Err(e) => SessionError::Supervise(e),
    }
}

/// Waits until child `pid` has ended, leaving it unreaped (`WNOWAIT`).
fn wait_without_reaping(pid: libc::pid_t) -> Result<(), SessionError> {
    loop {
        // SAFETY: plain data, filled by waitid.
        let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
        // SAFETY: waits for our own child; `info` is a live siginfo_t.
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &raw mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if r == 0 {
            return Ok(());
        }
        let errno = Errno::last();
        if errno.0 != libc::EINTR {
            return Err(SessionError::Wait(errno));
        }
    }
}

/// Writes `text` to stderr in one `write`, so lines the command writes to
/// the same stderr do not land inside it.
fn say(text: &str) {
    let _ = io::stderr().write_all(text.as_bytes());
}

/// Runs `command` under `supervisor` as a command-line sandbox does, and
/// returns the exit code to pass on (see the [module docs](self)).
///
/// Calls [`forward_signals`] (call it yourself at the start of `main` if
/// the process starts threads before this), then [`run`]. On stderr, each
/// line starting with `prefix` and `": "`:
///
/// - in [`Mode::Learn`], first `learn mode: nothing is killed; errno
///   refusals no cap allows stand`;
/// - each call refused, as it is answered: `denied: ` and the
///   [`Denial`](super::Denial), until the same program has had the same
///   call refused 3 times within a second; later ones are counted and
///   summed up once a second (`denied: socket x 4,021 more from PROGRAM
///   [pid N] in 1.0 s`), at most 20 lines a second in all, and their
///   totals written at the end (`denied: socket x 165,000 in all from
///   PROGRAM [pid N] (12 shown in full)`). An
///   [`on_denial`](Supervisor::on_denial) callback set before is still
///   called with every denial, first;
/// - at the end `caps CAPS: `COMMAND` ENDING; LANDLOCK; LIFETIME` (caps
///   as `A|B`, or `none`; LANDLOCK what the Landlock domain enforced, as
///   [`Enforced`](crate::domain::Enforced) says it; LIFETIME what ended
///   the processes it left, as [`Lifetime`](super::Lifetime) says it); in
///   learn mode then the [`Learned`](super::Learned) summary (or the
///   one set with [`Supervisor::learn_summary`]);
/// - `cannot run `COMMAND`: ERROR` instead, with the error's
///   [`exit_code`](SessionError::exit_code) ([`NOT_FOUND`],
///   [`CANNOT_EXECUTE`] or [`TOOL_FAILED`]), when the command could not be
///   run to its end; `supervising `COMMAND`: ERROR` last, and
///   [`TOOL_FAILED`], when the supervisor failed while it ran
///   ([`SessionError::SupervisorFailed`]).
pub fn run_and_report(supervisor: Supervisor, command: Command, prefix: &str) -> u8 {
    let shown = command_line(&command);
    try_run_and_report(supervisor, command, prefix).unwrap_or_else(|e| {
        let what = match e {
            SessionError::SupervisorFailed(_) => "supervising",
            _ => "cannot run",
        };
        say(&format!("{prefix}: {what} {shown}: {e}\n"));
        e.exit_code()
    })
}

/// [`run_and_report`], with the error, if the command could not be run to
/// its end, returned instead of written: for a tool that says in its own
/// words what went wrong and what to do. The error's
/// [`exit_code`](SessionError::exit_code) is the one to exit with.
///
/// # Errors
///
/// [`SessionError`], as for [`run`] and [`forward_signals`]; nothing about
/// it has been written. [`SessionError::SupervisorFailed`] when the
/// supervisor failed while the command ran: the command's ending has been
/// written then, as for a run that did not fail.
pub fn try_run_and_report(
    supervisor: Supervisor,
    command: Command,
    prefix: &str,
) -> Result<u8, SessionError> {
    let shown = command_line(&command);
    forward_signals()?;
    let mode = supervisor.mode;
    if mode == Mode::Learn {
        say(&format!(
            "{prefix}: learn mode: nothing is killed; errno refusals no cap allows stand\n"
        ));
    }
    // Written at a bounded rate: a flood of denials is counted, not
    // written line by line (see `lines`).
    let lines = Arc::new(Mutex::new(DenialLines::new(format!("{prefix}: denied: "))));
    let writer = Arc::clone(&lines);
    let mut supervisor = supervisor;
    let summary = supervisor.summary.take();
    let mut earlier = supervisor.on_denial.take();
    let supervisor = supervisor.on_denial(move |d| {
        if let Some(f) = earlier.as_mut() {
            f(d);
        }
        if d.answer != Answer::Continued {
            let text = writer
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .denial(d, Instant::now());
            if !text.is_empty() {
                say(&text);
            }
        }
    });
    let done = run(supervisor, command);
    let totals = lines
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .finish();
    if !totals.is_empty() {
        say(&totals);
    }
    let done = done?;
    let caps = if done.report.granted.is_empty() {
        "none".to_owned()
    } else {
        done.report.granted.join("|")
    };
    say(&format!(
        "{prefix}: caps {caps}: {shown} {}; {}; {}\n",
        done.ending(),
        done.report.landlock,
        done.report.lifetime
    ));
    if mode == Mode::Learn {
        let text = match summary {
            Some(f) => f(&done.report),
            None => done.report.learned().to_string(),
        };
        say(&format!("{prefix}: {text}"));
    }
    if done.report.error.is_some() {
        return Err(SessionError::SupervisorFailed(Box::new(done)));
    }
    Ok(done.exit_code())
}

/// The program and its arguments joined by spaces, as they were given
/// (lossily where they are not UTF-8), quoted for a message: control
/// characters escaped, cut past `PATH_MAX` characters.
fn command_line(command: &Command) -> String {
    let mut line = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    quoted(&line).max(PATH_MAX).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ENOENT` from `execve` is "not found", any other errno from it "found
    /// but not executable", and every other failure the sandbox's own, as
    /// `env` and `timeout` decide.
    #[test]
    fn exit_codes_follow_env_and_timeout() {
        for (e, code) in [
            (SessionError::Exec(Errno(libc::ENOENT)), NOT_FOUND),
            (SessionError::Exec(Errno(libc::EACCES)), CANNOT_EXECUTE),
            (SessionError::Exec(Errno(libc::ENOEXEC)), CANNOT_EXECUTE),
            (SessionError::Exec(Errno(libc::ENOTDIR)), CANNOT_EXECUTE),
            (SessionError::Exec(Errno(libc::ETXTBSY)), CANNOT_EXECUTE),
            (SessionError::Spawn(Errno(libc::ENOENT)), TOOL_FAILED),
            (SessionError::Spawn(Errno(libc::EAGAIN)), TOOL_FAILED),
            (SessionError::Wait(Errno(libc::ECHILD)), TOOL_FAILED),
            (
                SessionError::Signals {
                    what: "pthread_sigmask",
                    errno: Errno(libc::EINVAL),
                },
                TOOL_FAILED,
            ),
            (
                SessionError::Supervise(SuperviseError::Handoff(HandoffError::GetFd(Errno(
                    libc::ENOSYS,
                )))),
                TOOL_FAILED,
            ),
        ] {
            assert_eq!(e.exit_code(), code, "{e:?}");
        }
        assert_eq!((TOOL_FAILED, CANNOT_EXECUTE, NOT_FOUND), (125, 126, 127));
        assert_eq!(super::super::KILLED_BY_POLICY, 159);
    }
}
