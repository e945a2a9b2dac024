//! A supervisor that names every denied call of a command's process tree.
//!
//! A sandboxed command killed by its filter shows its parent only "killed by
//! `SIGSYS`", and a process *it* started shows nothing at all: the shell or
//! interpreter in between turns the death into an exit status. The kernel's
//! log names the call, but only to readers of the kernel log, rate-limited.
//!
//! A [`Supervisor`] attaches the policy's program to a [`Command`] with every
//! call outside the grant sent to a supervisor thread in this process
//! (`SECCOMP_RET_USER_NOTIF`) instead of killing. The filter is inherited by
//! everything the command starts, so the thread sees the calls of the whole
//! tree. For each call it reads which process and program made it, and
//! answers as the policy says:
//!
//! - [`Mode::Enforce`] (the default): the policy's action. An errno action
//!   fails the call with that errno; a kill (the default's, usually) kills
//!   the process with `SIGKILL` while the call waits, so **the call never
//!   runs**, exactly as with the kernel's kill. Either way a [`Denial`]
//!   names it: pid, program, architecture, syscall, arguments,
//!   which caps would allow it ([`AllowedBy`]) and the [`Answer`];
//! - [`Mode::Learn`]: every call is let through
//!   (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`) and counted; at the end
//!   [`Report::learned`] lists what the command needed beyond its grant,
//!   grouped by the caps that grant it, with the policy lines to add.
//!   **Learn mode enforces nothing.**
//!
//! ```no_run
//! use std::process::Command;
//! use seccomp_policy::supervise::Supervisor;
//!
//! seccomp_policy::seccomp_policy!("../policy/seccomp.toml");
//!
//! let mut cmd = Command::new("/bin/sh");
//! cmd.args(["-c", "ls / | wc -l"]);
//! let supervision = Supervisor::new(&POLICY, Cap::CODE_EXEC.bits(), syscall_name)
//!     .attach(&mut cmd)
//!     .expect("the policy builds and a thread starts");
//! let mut child = cmd.spawn().expect("spawns");
//! let status = child.wait().expect("waits");
//! let report = supervision.finish().expect("the child was attached");
//! for denial in &report.denials {
//!     eprintln!("{denial}"); // "/usr/bin/wc [pid 4260]: fadvise64(3, 0, 0, 2, ...) ..."
//! }
//! println!("{}", report.ending(child.id(), status));
//! ```
//!
//! To run one command to its end as a command-line sandbox does (a session
//! of its own, signals forwarded to its process group, what it leaves
//! behind killed, denials reported on stderr), see [`session`].
//!
//! Nothing here needs privilege or the kernel log; it needs Linux 5.6 (the
//! listener handoff uses `pidfd_getfd`; see [`notify`](crate::notify)), and
//! learn mode 5.5 (`CONTINUE`).
//!
//! # When the supervisor ends
//!
//! [`Supervision::finish`] answers what is pending and closes the listener.
//! From then on the kernel answers every call the filter sends to the
//! supervisor with `ENOSYS`: the call does not run, but the process is not
//! killed. Finish after the command's tree has ended (the thread also ends
//! by itself when no process uses the filter any more, Linux 5.8).
//!
//! The kernel does this when the *last* copy of the listener closes. The
//! supervisor's copy is close-on-exec, so it is never passed to programs
//! this process runs; but a child this process forks without `exec` holds
//! a copy until it exits, and until then waiting calls keep waiting.

pub mod learn;
mod model;
pub mod session;

use core::fmt;
use std::collections::HashMap;
use std::io;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::process::{Command, ExitStatus};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::arch::Arch;
use crate::install::{Errno, Install};
use crate::notify::{
    handoff, HandoffError, Listener, Notification, NotifyError, ProcessInfo, Program, Readiness,
    Response,
};
use crate::policy::Policy;
use crate::spawn::SpawnProgramError;

pub use learn::Learned;
use model::{Model, PolicyAction};

/// The name of a syscall number on an architecture: the expansion's
/// `syscall_name` of `seccomp_policy!`.
pub type SyscallNames = fn(Arch, u32) -> Option<&'static str>;

/// What the supervisor does with calls outside the grant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Answer as the policy says (an errno, or a kill), naming each call.
    #[default]
    Enforce,
    /// Let every call run and count it, to learn what a command needs.
    /// Enforces nothing.
    Learn,
}

/// Which caps of the policy would allow a call.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AllowedBy {
    /// The grant allows it (a call the supervisor is asked about only when
    /// a rule says to notify).
    Granted,
    /// Each of these caps, granted in addition, would allow it.
    Caps {
        /// The caps as a mask (bit `i` is the policy's `cap_names[i]`).
        bits: u64,
        /// Their names, in bit order.
        names: Vec<&'static str>,
    },
    /// No cap of the policy allows this syscall on this architecture.
    NoCap,
    /// A rule allows this syscall, but not with these arguments (policies
    /// with argument conditions).
    OtherArguments,
    /// It came through an entry point the filter refuses whatever the caps:
    /// another architecture's (i386 `int 0x80` on x86_64) or x32's.
    ForeignEntry,
}

impl fmt::Display for AllowedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllowedBy::Granted => f.write_str("granted"),
            AllowedBy::Caps { names, .. } => {
                f.write_str(if names.len() == 1 {
                    "allowed by cap "
                } else {
                    "allowed by caps "
                })?;
                write_alternatives(f, names)
            }
            AllowedBy::NoCap => f.write_str("no cap allows it"),
            AllowedBy::OtherArguments => f.write_str("allowed only with other arguments"),
            AllowedBy::ForeignEntry => {
                f.write_str("another architecture's entry point, refused for every cap")
            }
        }
    }
}

/// `A`, `A or B`, `A, B or C`.
fn write_alternatives(f: &mut fmt::Formatter<'_>, names: &[&str]) -> fmt::Result {
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            f.write_str(if i + 1 == names.len() { " or " } else { ", " })?;
        }
        f.write_str(n)?;
    }
    Ok(())
}

/// How the supervisor answered a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Its process was killed (`SIGKILL`) while the call waited: the call
    /// did not run.
    Killed,
    /// It failed with this errno without running.
    Errno(Errno),
    /// It ran (learn mode, or a call within the grant).
    Continued,
    /// Its thread ended, or a signal interrupted the call, before the
    /// answer: the call did not run (an interrupted call is restarted and
    /// asked about again).
    Gone,
    /// The process could not be killed (the error); the call failed with
    /// `ENOSYS` without running.
    KillFailed(NotifyError),
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Killed => f.write_str("killed its process; the call did not run"),
            Answer::Errno(e) => write!(f, "failed with {e} without running"),
            Answer::Continued => f.write_str("continued: the call ran"),
            Answer::Gone => f.write_str("its thread ended before the answer; the call did not run"),
            Answer::KillFailed(e) => {
                write!(
                    f,
                    "could not kill its process ({e}); failed with ENOSYS without running"
                )
            }
        }
    }
}

/// A call outside the grant, as the supervisor saw and answered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// The calling thread's id.
    pub tid: u32,
    /// Its process id; `None` if the thread was gone before it could be
    /// read (its id may already be another's, so nothing is attributed).
    pub pid: Option<u32>,
    /// What the process runs (`/proc/PID/exe`, or `comm`); `None` as for
    /// `pid`.
    pub program: Option<Program>,
    /// The entry point's architecture, if supported.
    pub arch: Option<Arch>,
    /// The entry point's `AUDIT_ARCH_*` value.
    pub audit_arch: u32,
    /// The syscall number.
    pub nr: i32,
    /// Its name on `arch`, if known.
    pub name: Option<&'static str>,
    /// The six arguments.
    pub args: [u64; 6],
    /// Which caps would allow it.
    pub allowed_by: AllowedBy,
    /// The answer given.
    pub answer: Answer,
}

impl Denial {
    /// The syscall's name, or `syscall N` when unknown.
    pub fn syscall(&self) -> String {
        syscall_label(self.name, self.nr)
    }
}

fn syscall_label(name: Option<&str>, nr: i32) -> String {
    match name {
        Some(n) => n.to_owned(),
        None => format!("syscall {nr:#x}"),
    }
}

/// An argument: decimal when small, hex otherwise.
struct Arg(u64);

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 0x1_0000 {
            write!(f, "{}", self.0)
        } else if self.0 > u64::MAX - 0x1_0000 {
            write!(f, "-{}", self.0.wrapping_neg())
        } else {
            write!(f, "{:#x}", self.0)
        }
    }
}

impl fmt::Display for Denial {
    /// `/usr/bin/wc [pid 4260]: fadvise64(3, 0, 0, 2, 0, 0) on x86_64: no
    /// cap allows it; killed its process; the call did not run`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.program, self.pid) {
            (Some(p), Some(pid)) if pid == self.tid => write!(f, "{p} [pid {pid}]")?,
            (Some(p), Some(pid)) => write!(f, "{p} [pid {pid}, thread {}]", self.tid)?,
            _ => write!(
                f,
                "a thread gone before it could be read [was {}]",
                self.tid
            )?,
        }
        write!(f, ": {}(", self.syscall())?;
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}", Arg(*a))?;
        }
        f.write_str(") on ")?;
        match self.arch {
            Some(a) => f.write_str(a.name())?,
            None => write!(f, "AUDIT_ARCH {:#x}", self.audit_arch)?,
        }
        write!(f, ": {}; {}", self.allowed_by, self.answer)
    }
}

/// One syscall outside the grant: how often the tree called it, and who
/// first did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallCount {
    /// The entry point's architecture, if supported.
    pub arch: Option<Arch>,
    /// The entry point's `AUDIT_ARCH_*` value.
    pub audit_arch: u32,
    /// The syscall number.
    pub nr: i32,
    /// Its name, if known.
    pub name: Option<&'static str>,
    /// How many times it was called.
    pub count: u64,
    /// The first process seen making it (the first one that could still
    /// be read).
    pub first: Option<ProcessInfo>,
    /// Which caps would allow it (as judged at its first call).
    pub allowed_by: AllowedBy,
}

impl CallCount {
    /// The syscall's name, or `syscall N` when unknown.
    pub fn syscall(&self) -> String {
        syscall_label(self.name, self.nr)
    }
}

/// What a supervisor saw, when it has finished.
#[derive(Clone, Debug)]
pub struct Report {
    /// How it answered.
    pub mode: Mode,
    /// The policy file.
    pub policy_file: &'static str,
    /// The caps granted.
    pub granted: Vec<&'static str>,
    /// The pid of the command it supervised.
    pub pid: u32,
    /// Every denied call in the order answered (learn mode: the first call
    /// of each syscall), up to the limit set with
    /// [`Supervisor::max_denials`].
    pub denials: Vec<Denial>,
    /// Denials past the limit, counted but not kept.
    pub denials_dropped: u64,
    /// Each syscall outside the grant, in order of first call, with counts.
    pub calls: Vec<CallCount>,
    /// Notifications received (the handshake not counted). Each is either
    /// answered or gone.
    pub notifications: u64,
    /// Notifications answered (a reply or a kill delivered).
    pub answered: u64,
    /// Notifications whose thread was gone before the answer.
    pub gone: u64,
    /// Notifications that vanished between `poll` and receiving them (their
    /// thread was killed).
    pub vanished: u64,
    /// Why supervision stopped early, if it did; from then on the kernel
    /// answered calls with `ENOSYS`.
    pub error: Option<NotifyError>,
}

impl Report {
    /// How the supervised command (process `pid`, which ended with
    /// `status`) ended, with the policy's kills told apart from other
    /// deaths: a `SIGKILL` the supervisor delivered for a denied call is
    /// [`Ending::KilledByPolicy`]; any other signal, `SIGSYS` included
    /// (the supervised program never raises it), is [`Ending::Signaled`].
    pub fn ending(&self, pid: u32, status: ExitStatus) -> Ending<'_> {
        if let Some(code) = status.code() {
            return Ending::Exited(code);
        }
        match status.signal() {
            Some(libc::SIGKILL) => {
                match self
                    .denials
                    .iter()
                    .find(|d| d.pid == Some(pid) && d.answer == Answer::Killed)
                {
                    Some(d) => Ending::KilledByPolicy(d),
                    None => Ending::Signaled(libc::SIGKILL),
                }
            }
            Some(sig) => Ending::Signaled(sig),
            None => Ending::Other(status.into_raw()),
        }
    }

    /// What the command needed beyond its grant, grouped by the caps that
    /// grant it (see [`Learned`]).
    pub fn learned(&self) -> Learned<'_> {
        Learned::new(self)
    }

    /// Denials whose process is `pid`.
    pub fn denials_of(&self, pid: u32) -> impl Iterator<Item = &Denial> {
        self.denials.iter().filter(move |d| d.pid == Some(pid))
    }

    /// The count of syscall `name` (on any entry point).
    pub fn count_of(&self, name: &str) -> u64 {
        self.calls
            .iter()
            .filter(|c| c.name == Some(name))
            .map(|c| c.count)
            .sum()
    }
}

/// How a supervised command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending<'a> {
    /// It exited with this status code.
    Exited(i32),
    /// The supervisor killed it for this call.
    KilledByPolicy(&'a Denial),
    /// A signal killed it, not the policy.
    Signaled(i32),
    /// A wait status that is none of the above.
    Other(i32),
}

/// The exit code for a command the policy killed: 128 + `SIGSYS` (159),
/// what a shell reports when the kernel's filter kills it.
pub const KILLED_BY_POLICY: u8 = 128 + libc::SIGSYS as u8;

impl Ending<'_> {
    /// The conventional exit code for it: the status, or 128 + the signal,
    /// with [`KILLED_BY_POLICY`] (159) for the policy's kills, as when the
    /// kernel kills.
    pub fn exit_code(&self) -> u8 {
        match *self {
            Ending::Exited(code) => code.clamp(0, 255) as u8,
            Ending::KilledByPolicy(_) => KILLED_BY_POLICY,
            Ending::Signaled(sig) => 128u8.saturating_add(sig as u8),
            Ending::Other(_) => 1,
        }
    }
}

impl fmt::Display for Ending<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ending::Exited(code) => write!(f, "exited with status {code}"),
            Ending::KilledByPolicy(d) => {
                write!(
                    f,
                    "killed by the policy at `{}` ({})",
                    d.syscall(),
                    d.allowed_by
                )
            }
            Ending::Signaled(sig) if *sig == libc::SIGSYS => f.write_str(
                "killed by SIGSYS (signal 31), not by the policy: the supervisor denied none \
                 of its calls, so a process sent it",
            ),
            Ending::Signaled(sig) => write!(
                f,
                "killed by {} (signal {sig})",
                crate::spawn::signal_name(*sig).unwrap_or("a signal")
            ),
            Ending::Other(raw) => write!(f, "stopped or continued (wait status {raw:#x})"),
        }
    }
}

/// Why supervision could not start or attach.
#[derive(Debug)]
pub enum SuperviseError {
    /// The program could not be built.
    Program(SpawnProgramError),
    /// A resource for the supervisor could not be made (`what` names it).
    Setup {
        /// The operation.
        what: &'static str,
        /// Its errno.
        errno: Errno,
    },
    /// The child's listener was not handed over; the child, if it was
    /// spawned, has been killed.
    Handoff(HandoffError),
    /// The supervisor thread panicked (in an [`on_denial`](Supervisor::on_denial)
    /// callback); its listener was closed.
    Panicked,
}

impl fmt::Display for SuperviseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SuperviseError::Program(e) => write!(f, "{e}"),
            SuperviseError::Setup { what, errno } => write!(f, "{what} failed: {errno}"),
            SuperviseError::Handoff(e) => write!(f, "supervising the command: {e}"),
            SuperviseError::Panicked => f.write_str("the supervisor thread panicked"),
        }
    }
}

impl std::error::Error for SuperviseError {}

impl SuperviseError {
    /// The errno this error carries or stands for.
    pub fn errno(&self) -> Errno {
        match self {
            SuperviseError::Program(_) => Errno(libc::EINVAL),
            SuperviseError::Setup { errno, .. }
            | SuperviseError::Handoff(
                HandoffError::Child { errno, .. }
                | HandoffError::Io { errno, .. }
                | HandoffError::GetFd(errno),
            ) => *errno,
            SuperviseError::Handoff(HandoffError::ChildEnded) => Errno(libc::ESRCH),
            SuperviseError::Handoff(_) => Errno(libc::EPROTO),
            SuperviseError::Panicked => Errno(libc::EIO),
        }
    }
}

impl From<SuperviseError> for io::Error {
    fn from(e: SuperviseError) -> io::Error {
        io::Error::from_raw_os_error(e.errno().0)
    }
}

type Callback = Box<dyn FnMut(&Denial) + Send + 'static>;

/// How to supervise one command; [`attach`](Supervisor::attach) it to a
/// [`Command`] before spawning.
pub struct Supervisor {
    model: Model,
    names: SyscallNames,
    mode: Mode,
    new_session: bool,
    kill_with_parent: bool,
    on_denial: Option<Callback>,
    max_denials: usize,
    timeout: Duration,
    sync_wake_up: bool,
}

impl fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Supervisor")
            .field("model", &self.model)
            .field("mode", &self.mode)
            .field("new_session", &self.new_session)
            .field("kill_with_parent", &self.kill_with_parent)
            .field("max_denials", &self.max_denials)
            .finish_non_exhaustive()
    }
}

impl Supervisor {
    /// Supervises a command under `policy` with the caps in `caps` (bit
    /// `i` grants `policy.cap_names[i]`); `names` names syscalls in the
    /// reports (pass the expansion's `syscall_name`).
    ///
    /// Defaults: [`Mode::Enforce`], no new session, not killed with the
    /// parent, at most 10 000 denials kept, a 10 s handshake timeout.
    pub fn new(policy: &Policy<'static>, caps: u64, names: SyscallNames) -> Supervisor {
        Supervisor {
            model: Model::new(policy, caps),
            names,
            mode: Mode::Enforce,
            new_session: false,
            kill_with_parent: false,
            on_denial: None,
            max_denials: 10_000,
            timeout: Duration::from_secs(10),
            sync_wake_up: true,
        }
    }

    /// Enforce or learn.
    #[must_use]
    pub fn mode(mut self, mode: Mode) -> Supervisor {
        self.mode = mode;
        self
    }

    /// Learn mode: let every call run and count it. Enforces nothing.
    #[must_use]
    pub fn learn(self) -> Supervisor {
        self.mode(Mode::Learn)
    }

    /// Start the command in a new session (`setsid`): its own process group
    /// (so the whole tree can be signalled with `kill(-pid, sig)`), and no
    /// controlling terminal, so it cannot push input into the caller's
    /// terminal (`TIOCSTI` needs the terminal to be one's own) and reads
    /// from an inherited terminal descriptor do not stop it. Escaping the
    /// group needs `setsid` or `setpgid`: the shipped policy grants
    /// `setsid` nowhere, but `setpgid` with `CODE_EXEC` (for `timeout`), so
    /// with that cap only a pid namespace or a cgroup contains the tree.
    #[must_use]
    pub fn new_session(mut self, on: bool) -> Supervisor {
        self.new_session = on;
        self
    }

    /// Kill the command with `SIGKILL` when the thread that spawned it ends
    /// (`PR_SET_PDEATHSIG`), even when this process is killed with
    /// `SIGKILL`. The kernel ties this to the spawning *thread*: spawn from
    /// one that outlives the command. Processes the command started are not
    /// covered; signal its group (see [`new_session`](Supervisor::new_session)).
    #[must_use]
    pub fn kill_with_parent(mut self, on: bool) -> Supervisor {
        self.kill_with_parent = on;
        self
    }

    /// Calls `f` on the supervisor thread with each [`Denial`] as soon as
    /// it is answered (before it is added to the [`Report`]). Calls wait
    /// while it runs: keep it short. A panic in it ends supervision.
    #[must_use]
    pub fn on_denial<F: FnMut(&Denial) + Send + 'static>(mut self, f: F) -> Supervisor {
        self.on_denial = Some(Box::new(f));
        self
    }

    /// Keep at most `n` [`Denial`]s in the report (counts are always
    /// complete).
    #[must_use]
    pub fn max_denials(mut self, n: usize) -> Supervisor {
        self.max_denials = n;
        self
    }

    /// How long the handoff may take once the child has announced itself
    /// (default 10 s).
    #[must_use]
    pub fn handshake_timeout(mut self, t: Duration) -> Supervisor {
        self.timeout = t;
        self
    }

    /// Whether to ask the kernel to wake the caller and the supervisor on
    /// one CPU (`SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP`, Linux 6.6; ignored
    /// before). Default on.
    #[must_use]
    pub fn sync_wake_up(mut self, on: bool) -> Supervisor {
        self.sync_wake_up = on;
        self
    }

    /// Builds the program, starts the supervisor thread, and sets `cmd`'s
    /// `pre_exec` hook that attaches the program in the child and hands
    /// its listener over. Spawn `cmd` once, then
    /// [`finish`](Supervision::finish).
    ///
    /// The thread must run before `spawn`, which returns only after the
    /// child's `execve`, and the child waits in the handshake until the
    /// thread answers it.
    ///
    /// # Errors
    ///
    /// [`SuperviseError`]: the program could not be built, or the socket
    /// pair, pipe or thread could not be made.
    pub fn attach(self, cmd: &mut Command) -> Result<Supervision, SuperviseError> {
        let prog = self.model.program().map_err(SuperviseError::Program)?;
        let (parent, child) = handoff().map_err(|errno| SuperviseError::Setup {
            what: "socketpair",
            errno,
        })?;
        let (stop_read, stop_write) = pipe().map_err(|errno| SuperviseError::Setup {
            what: "pipe",
            errno,
        })?;
        let timeout = self.timeout;
        let new_session = self.new_session;
        let kill_with_parent = self.kill_with_parent;
        let thread = std::thread::Builder::new()
            .name("seccomp-supervisor".into())
            .spawn(move || {
                let attached = parent
                    .accept(timeout, Some(stop_read.as_fd()))
                    .map_err(SuperviseError::Handoff)?;
                Ok(self.run(attached.listener, attached.pid, &stop_read))
            })
            .map_err(|e| SuperviseError::Setup {
                what: "spawning the supervisor thread",
                errno: Errno(e.raw_os_error().unwrap_or(libc::EAGAIN)),
            })?;

        let parent_pid = std::process::id() as libc::pid_t;
        let install = Install::new().tsync(false);
        let hook = move || -> io::Result<()> {
            // Async-signal-safe: system calls and errno reads only.
            if new_session {
                // SAFETY: no arguments.
                if unsafe { libc::setsid() } < 0 {
                    return Err(Errno::last().into());
                }
            }
            if kill_with_parent {
                // SAFETY: prctl with integer arguments.
                let r = unsafe {
                    libc::prctl(
                        libc::PR_SET_PDEATHSIG,
                        libc::SIGKILL as libc::c_ulong,
                        0 as libc::c_ulong,
                        0 as libc::c_ulong,
                        0 as libc::c_ulong,
                    )
                };
                if r != 0 {
                    return Err(Errno::last().into());
                }
                // The parent may have died before the prctl took effect.
                // SAFETY: no arguments.
                if unsafe { libc::getppid() } != parent_pid {
                    return Err(Errno(libc::ESRCH).into());
                }
            }
            // The child's copy of the listener closes at execve.
            child.install(install, prog.as_slice())?;
            Ok(())
        };
        // SAFETY: the hook allocates nothing, takes no lock and cannot
        // panic, as required between fork and exec.
        unsafe { cmd.pre_exec(hook) };
        Ok(Supervision {
            thread: Some(thread),
            stop: Some(stop_write),
        })
    }

    /// The supervisor loop: answers notifications until no process uses the
    /// filter, or `stop` is readable (then what is pending is answered
    /// first).
    fn run(mut self, listener: Listener, pid: u32, stop: &OwnedFd) -> Report {
        if self.sync_wake_up {
            // Before 6.6 the kernel refuses the flag; wake-ups then cross CPUs.
            let _ = listener.set_sync_wake_up();
        }
        let mut state = State {
            report: Report {
                mode: self.mode,
                policy_file: self.model.file(),
                granted: self.model.granted(),
                pid,
                denials: Vec::new(),
                denials_dropped: 0,
                calls: Vec::new(),
                notifications: 0,
                answered: 0,
                gone: 0,
                vanished: 0,
                error: None,
            },
            index: HashMap::new(),
        };
        loop {
            match listener.wait_with(Some(stop.as_fd()), None) {
                Ok(Readiness::Pending) => {
                    if let Err(e) = self.handle(&listener, &mut state) {
                        state.report.error = Some(e);
                        break;
                    }
                }
                Ok(Readiness::Unused) => break,
                Ok(Readiness::Other) => {
                    // Answer what is pending now, for at most a second.
                    let until = Instant::now() + Duration::from_secs(1);
                    while Instant::now() < until
                        && listener.wait(Some(Duration::ZERO)) == Ok(Readiness::Pending)
                    {
                        if let Err(e) = self.handle(&listener, &mut state) {
                            state.report.error = Some(e);
                            break;
                        }
                    }
                    break;
                }
                Ok(Readiness::Idle) => {}
                Err(e) => {
                    state.report.error = Some(e);
                    break;
                }
            }
        }
        // Closing the listener makes calls still sent to it fail with ENOSYS.
        drop(listener);
        state.report
    }

    /// Receives and answers one notification.
    fn handle(&mut self, listener: &Listener, state: &mut State) -> Result<(), NotifyError> {
        let n = match listener.recv() {
            Ok(n) => n,
            Err(NotifyError::Gone) => {
                state.report.vanished += 1;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        state.report.notifications += 1;
        let verdict = self.model.verdict(n.audit_arch, n.nr, &n.args);
        if verdict.allowed {
            // A call within the grant (a rule that notifies): let it run.
            let delivered = listener.respond(n.id, Response::Continue);
            state.count(delivered, Answer::Continued)?;
            return Ok(());
        }
        let arch = Arch::ALL
            .into_iter()
            .find(|a| a.audit_arch() == n.audit_arch);
        let name = arch.and_then(|a| u32::try_from(n.nr).ok().and_then(|nr| (self.names)(a, nr)));
        let key = (n.audit_arch, n.nr);
        let slot = match state.index.get(&key) {
            Some(&i) => i,
            None => {
                state.report.calls.push(CallCount {
                    arch,
                    audit_arch: n.audit_arch,
                    nr: n.nr,
                    name,
                    count: 0,
                    first: None,
                    allowed_by: verdict.allowed_by.clone(),
                });
                state.index.insert(key, state.report.calls.len() - 1);
                state.report.calls.len() - 1
            }
        };
        state.report.calls[slot].count += 1;

        if self.mode == Mode::Learn {
            // Read the process only until one is known for this syscall, and
            // record that call: the common case costs two ioctls.
            let info = if state.report.calls[slot].first.is_none() {
                listener.process(&n).ok()
            } else {
                None
            };
            let delivered = listener.respond(n.id, Response::Continue);
            let answer = state.count(delivered, Answer::Continued)?;
            if let Some(info) = info {
                state.report.calls[slot].first = Some(info.clone());
                self.record(
                    state,
                    &n,
                    Some(info),
                    arch,
                    name,
                    verdict.allowed_by,
                    answer,
                );
            }
            return Ok(());
        }

        // Enforce: who made it, read while the call waits.
        let info = listener.process(&n);
        let (info, answer) = match info {
            Err(NotifyError::Gone) => {
                state.report.gone += 1;
                (None, Answer::Gone)
            }
            info => {
                let info = info.ok();
                let answer = match verdict.action {
                    PolicyAction::Errno(e) => {
                        let errno = Errno(i32::from(e));
                        let r = listener.respond(n.id, Response::Errno(errno));
                        state.count(r, Answer::Errno(errno))?
                    }
                    PolicyAction::KillProcess => {
                        let target = info.as_ref().map_or(n.tid, |i| i.pid);
                        match listener.kill_process(&n, target) {
                            Ok(()) => state.count(Ok(()), Answer::Killed)?,
                            Err(NotifyError::Gone) => {
                                state.count(Err(NotifyError::Gone), Answer::Killed)?
                            }
                            Err(e) => {
                                // Never let it run: refuse it instead.
                                let r =
                                    listener.respond(n.id, Response::Errno(Errno(libc::ENOSYS)));
                                state.count(r, Answer::KillFailed(e))?
                            }
                        }
                    }
                };
                (info, answer)
            }
        };
        if state.report.calls[slot].first.is_none() {
            state.report.calls[slot].first.clone_from(&info);
        }
        self.record(state, &n, info, arch, name, verdict.allowed_by, answer);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        state: &mut State,
        n: &Notification,
        info: Option<ProcessInfo>,
        arch: Option<Arch>,
        name: Option<&'static str>,
        allowed_by: AllowedBy,
        answer: Answer,
    ) {
        let (pid, program) = match info {
            Some(i) => (Some(i.pid), Some(i.program)),
            None => (None, None),
        };
        let denial = Denial {
            tid: n.tid,
            pid,
            program,
            arch,
            audit_arch: n.audit_arch,
            nr: n.nr,
            name,
            args: n.args,
            allowed_by,
            answer,
        };
        if let Some(f) = self.on_denial.as_mut() {
            f(&denial);
        }
        if state.report.denials.len() < self.max_denials {
            state.report.denials.push(denial);
        } else {
            state.report.denials_dropped += 1;
        }
    }
}

/// The report being built, and where each syscall's count is.
struct State {
    report: Report,
    index: HashMap<(u32, i32), usize>,
}

impl State {
    /// Counts a delivery attempt: `answer` if it was delivered, `Gone` if
    /// the thread was gone; other failures end supervision.
    fn count(
        &mut self,
        delivered: Result<(), NotifyError>,
        answer: Answer,
    ) -> Result<Answer, NotifyError> {
        match delivered {
            Ok(()) => {
                self.report.answered += 1;
                Ok(answer)
            }
            Err(NotifyError::Gone) => {
                self.report.gone += 1;
                Ok(Answer::Gone)
            }
            Err(e) => Err(e),
        }
    }
}

/// A running supervisor, attached to one command.
#[derive(Debug)]
pub struct Supervision {
    thread: Option<JoinHandle<Result<Report, SuperviseError>>>,
    stop: Option<OwnedFd>,
}

impl Supervision {
    /// Stops the supervisor (after answering what is pending) and returns
    /// its report. Call it once the command has ended (see the [module
    /// docs](self) for what happens to calls made after it).
    ///
    /// # Errors
    ///
    /// [`SuperviseError`]: the handoff failed (the child never got its
    /// filter), or the supervisor thread panicked.
    pub fn finish(mut self) -> Result<Report, SuperviseError> {
        self.stop_and_join()
    }

    /// Whether the supervisor thread has ended: no process uses the filter
    /// any more (Linux 5.8), the handoff failed, or supervision stopped on an
    /// error.
    pub fn is_finished(&self) -> bool {
        self.thread
            .as_ref()
            .is_none_or(std::thread::JoinHandle::is_finished)
    }

    fn stop_and_join(&mut self) -> Result<Report, SuperviseError> {
        if let Some(stop) = self.stop.take() {
            // SAFETY: writes one byte from a live buffer.
            let _ = unsafe { libc::write(stop.as_raw_fd(), b"x".as_ptr().cast(), 1) };
            drop(stop);
        }
        match self.thread.take() {
            Some(t) => t.join().unwrap_or(Err(SuperviseError::Panicked)),
            None => Err(SuperviseError::Panicked),
        }
    }
}

impl Drop for Supervision {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.stop_and_join();
        }
    }
}

fn pipe() -> Result<(OwnedFd, OwnedFd), Errno> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(Errno::last());
    }
    // SAFETY: both were just created and are ours.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}
