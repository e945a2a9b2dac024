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
//! The session prints nothing and chooses no exit code: it returns what
//! happened, typed ([`Done`], or a [`SessionError`] carrying the errno of
//! what failed). Writing denials and the ending on stderr, and the exit
//! code a command-line tool passes on, are the tool's, in
//! [`tool`](crate::tool).
//!
//! ```no_run
//! use std::process::Command;
//! use seccomp_policy::supervise::{session, Supervisor};
//!
//! seccomp_policy::seccomp_policy!("../policy/seccomp.toml");
//!
//! let mut cmd = Command::new("/bin/sh");
//! cmd.args(["-c", "ls /usr/bin | wc -l"]);
//! let supervisor = Supervisor::new(&POLICY, Cap::CODE_EXEC.bits(), syscall_name);
//! match session::run(supervisor, cmd) {
//!     Ok(done) => println!("{}; {} denied", done.ending(), done.report.denials.len()),
//!     Err(e) => eprintln!("cannot run: {}", seccomp_policy::tool::chain(&e)),
//! }
//! ```

use core::fmt;
use std::io;
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::OnceLock;

use crate::install::Errno;
use crate::notify::{HandoffError, NotifyError};
use crate::sys::signal;

use super::{Ending, Report, SuperviseError, Supervision, Supervisor};

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
/// the group is known, not taken for "no command" (which would end this
/// process by the signal and leave the command to be killed unreported).
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
/// `SIGKILL`. With no command running (before the first starts, between
/// two, after the last), the signal is delivered to this process as if it
/// had not been blocked: as it is not the library's to end the process,
/// the signal's own disposition decides. By default the process dies of
/// it (`WIFSIGNALED`, `WTERMSIG` the signal; a shell reports 128 + its
/// number, 143 for SIGTERM), a handler the program set runs, and a signal
/// it ignores (`nohup`'s SIGHUP) stays ignored.
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

/// Blocks the signals and starts the thread that takes them.
fn start_forwarding() -> Forwarding {
    let failed = |what, errno| Forwarding {
        failed: Some((what, errno)),
        blocked: signal::empty_signals(),
    };
    let mut set = signal::empty_signals();
    for sig in FORWARDED {
        signal::add_signal(&mut set, sig);
    }
    let old = match signal::block_signals(&set) {
        Ok(old) => old,
        Err(errno) => return failed("pthread_sigmask", errno),
    };
    let mut blocked = signal::empty_signals();
    for sig in FORWARDED {
        if !signal::has_signal(&old, sig) {
            signal::add_signal(&mut blocked, sig);
        }
    }
    let spawned = std::thread::Builder::new()
        .name("signal-forwarder".into())
        .spawn(move || forward(&set));
    if let Err(e) = spawned {
        // Restores the mask saved above.
        let _ = crate::sys::set_signal_mask(&old);
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
        // One of the signals of `set`, blocked in every thread started
        // after it was.
        let Ok(taken) = crate::sys::wait_signal(set) else {
            continue;
        };
        let sig = taken.sig;
        let mut group = PAYLOAD_GROUP.load(Ordering::SeqCst);
        while group == STARTING {
            std::thread::sleep(std::time::Duration::from_millis(1));
            group = PAYLOAD_GROUP.load(Ordering::SeqCst);
        }
        if group == 0 {
            // No command to pass it on to: the signal does to this process
            // what it would have without forwarding (by default, ends it).
            // It cannot fail for a signal `sigwait` returned.
            let _ = signal::raise_unblocked(sig);
            continue;
        }
        // The relay's process group, whose id cannot be reused while the
        // relay is unreaped (see `run`).
        crate::sys::kill_group(group.unsigned_abs(), sig);
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
/// what it did about it, and (its [`source`](std::error::Error::source))
/// the first failure, with its errno. Displays as what it did, without the
/// failure: [`tool::chain`](crate::tool::chain) prints both, `the
/// supervisor failed (it killed the command's tree, ...):
/// SECCOMP_IOCTL_NOTIF_SEND failed: EMFILE (24)`.
#[derive(Clone, Copy, Debug)]
pub struct SupervisorFailure<'a> {
    /// The first failure.
    pub error: NotifyError,
    /// The whole report.
    pub report: &'a Report,
}

impl fmt::Display for SupervisorFailure<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        supervisor_failed(self.report, f)
    }
}

impl std::error::Error for SupervisorFailure<'_> {
    /// The first failure.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// What the supervisor did when it failed while the command ran, as
/// `report` says; the failure itself, [`Report::error`], is not part of it.
fn supervisor_failed(report: &Report, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str("the supervisor failed (")?;
    if report.failures > 1 {
        write!(f, "{} failures in all; ", report.failures)?;
    }
    if report.killed_tree {
        f.write_str(
            "it killed the command's tree, as it could not answer a call as the policy says; \
             no refused call ran)",
        )
    } else {
        f.write_str("every refused call was still refused, but not every one named)")
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
}

/// What failed at this level; the cause (the errno, or the supervisor's
/// error) is the [`source`](std::error::Error::source), which
/// [`tool::chain`](crate::tool::chain) prints after it.
impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Signals { what, .. } => write!(f, "forwarding signals: {what} failed"),
            SessionError::Supervise(SuperviseError::Panicked) => {
                f.write_str("supervising the command failed")
            }
            SessionError::Supervise(_) => f.write_str("the supervisor could not start"),
            SessionError::Spawn(_) => f.write_str("starting its process failed"),
            // The C library's words for the errno, as a shell says them
            // ("No such file or directory"); the errno itself is the source.
            SessionError::Exec(errno) => write!(f, "execve failed ({})", described(*errno)),
            SessionError::Wait(_) => f.write_str("waiting for the command failed"),
            SessionError::SupervisorFailed(done) => supervisor_failed(&done.report, f),
        }
    }
}

/// The C library's description of `errno` (`strerror`), without the
/// standard library's ` (os error N)`.
fn described(errno: Errno) -> String {
    let text = io::Error::from_raw_os_error(errno.0).to_string();
    match text.strip_suffix(&format!(" (os error {})", errno.0)) {
        Some(words) => words.to_owned(),
        None => text,
    }
}

impl std::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SessionError::Supervise(e) => Some(e),
            SessionError::Signals { errno, .. }
            | SessionError::Spawn(errno)
            | SessionError::Exec(errno)
            | SessionError::Wait(errno) => Some(errno),
            SessionError::SupervisorFailed(done) => done
                .report
                .error
                .as_ref()
                .map(|e| e as &(dyn std::error::Error + 'static)),
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
    let unblock = FORWARDING
        .get()
        .map_or_else(signal::empty_signals, |f| f.blocked);
    // Async-signal-safe, and allocates nothing: one system call, its
    // error a raw OS error.
    let hook = move || -> io::Result<()> { Ok(signal::unblock_signals(&unblock)?) };
    crate::sys::child::pre_exec(&mut command, hook);
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
    let relay_pid = relay.id();
    // The relay ends once the command's whole tree has. Wait without
    // reaping: while the relay is a zombie, its pid, and so its group's id,
    // cannot be reused; then kill what is in its group (nothing, unless
    // waiting failed: then this ends the relay and so the tree).
    let waited = signal::wait_ended_unreaped(relay_pid).map_err(SessionError::Wait);
    // The group of our unreaped child (see above).
    crate::sys::kill_group(relay_pid, libc::SIGKILL);
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
