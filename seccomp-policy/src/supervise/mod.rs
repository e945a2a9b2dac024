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
//! - [`Mode::Learn`]: calls outside the grant are let through
//!   (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`) and counted with their
//!   arguments, except that a call the policy refuses with an errno and no
//!   cap allows gets that errno, as when enforced, so the command goes on
//!   as it will then. At the end [`Report::learned`] lists what ran,
//!   grouped by the caps that allow every call of it seen, apart from what
//!   was refused. **Learn mode kills nothing.**
//!
//! ```no_run
//! use std::process::Command;
//! use seccomp_policy::supervise::Supervisor;
//!
//! seccomp_policy::seccomp_policy!("../policy/seccomp.toml");
//!
//! let mut cmd = Command::new("/bin/sh");
//! cmd.args(["-c", "ls /usr/bin | wc -l"]);
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
//! of its own, signals forwarded to its process group, nothing it starts
//! outliving it, denials reported on stderr), see [`session`]; for the last
//! part alone, [`Supervisor::end_with_command`] and [`lifetime`].
//!
//! Nothing here needs privilege or the kernel log; it needs Linux 5.6 (the
//! listener handoff uses `pidfd_getfd`; see [`notify`](crate::notify)), and
//! learn mode 5.5 (`CONTINUE`).
//!
//! # When the supervisor fails
//!
//! It fails closed: a call it cannot answer as the policy says still does
//! not run, and the command does not go on unsupervised. What it needs to
//! wait and to kill is made before the command starts, so a payload that
//! lowers its `RLIMIT_NOFILE` (`prlimit64` on its parent) cannot stop it.
//! A call whose process it cannot read is still answered as the policy
//! says; a kill it cannot carry out (no pidfd) kills the command's tree
//! instead (the command, and its process group with
//! [`new_session`](Supervisor::new_session)) and fails the call with
//! `EPERM`; an answer it cannot deliver, or a listener it can no longer
//! wait on or receive from, or a panic on its thread, kills the tree too
//! (a panic is [`SuperviseError::Panicked`]). Each failure and its
//! errno are in the report ([`Report::error`]); a [`session`] run with
//! one exits 125.
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

mod calls;
pub mod files;
pub mod learn;
pub mod lifetime;
pub(crate) mod lines;
mod model;
pub mod own_proc;
mod owned;
pub mod ports;
mod report;
mod serve;
pub mod session;

use core::fmt;
use std::io;
use std::process::Command;
use std::time::Duration;

use crate::arch::Arch;
use crate::bpf::{Program, BPF_MAXINSNS};
use crate::domain::{Degraded, Domain, DomainError, Enforced, Vars};
use crate::install::{Errno, Install};
use crate::notify::{handoff, ChildHandoff, HandoffError};
use crate::spawn::SpawnProgramError;

pub use calls::{ArgsSeen, CallCount};
use files::FileLearning;
pub use files::{FileAccess, FileSeen};
pub use learn::Learned;
pub use lifetime::Lifetime;
use lifetime::{Containment, Split};
use model::Model;
pub use owned::{OwnedPolicy, PolicySource};
use ports::PortLearning;
pub use ports::{PortAccess, PortSeen};
pub use report::{AllowedBy, Answer, Denial, Ending, Report};
pub use serve::Supervision;

/// The name of a syscall number on an architecture: the expansion's
/// `syscall_name` of `seccomp_policy!`.
pub type SyscallNames = fn(Arch, u32) -> Option<&'static str>;

/// What the supervisor does with calls outside the grant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Answer as the policy says (an errno, or a kill), naming each call.
    #[default]
    Enforce,
    /// Let calls outside the grant run, and count them with their
    /// arguments, to learn what a command needs; but a call the policy
    /// refuses with an errno and no cap allows gets the errno, as when
    /// enforced, so the command goes on as it will then. Kills nothing.
    Learn,
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
    /// callback); it killed the command's tree (see
    /// [`new_session`](Supervisor::new_session)), then its listener was
    /// closed.
    Panicked,
    /// The Landlock domain could not be made (see
    /// [`Supervisor::degraded`]).
    Landlock(DomainError),
}

impl fmt::Display for SuperviseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SuperviseError::Program(_) => f.write_str("no seccomp filter for the command"),
            SuperviseError::Setup { what, .. } => write!(f, "{what} failed"),
            SuperviseError::Handoff(_) => {
                f.write_str("the command's seccomp listener was not handed over")
            }
            SuperviseError::Panicked => f.write_str("the supervisor thread panicked"),
            SuperviseError::Landlock(_) => f.write_str("no Landlock domain for the command"),
        }
    }
}

impl std::error::Error for SuperviseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SuperviseError::Program(e) => Some(e),
            SuperviseError::Handoff(e) => Some(e),
            SuperviseError::Landlock(e) => Some(e),
            SuperviseError::Setup { errno, .. } => Some(errno),
            SuperviseError::Panicked => None,
        }
    }
}

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
            SuperviseError::Landlock(e) => e.errno(),
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
// Each bool is one independent switch of the builder.
#[allow(clippy::struct_excessive_bools)]
pub struct Supervisor {
    model: Model,
    names: SyscallNames,
    pub(crate) mode: Mode,
    new_session: bool,
    kill_with_parent: bool,
    end_with_command: bool,
    pub(crate) on_denial: Option<Callback>,
    max_denials: usize,
    timeout: Duration,
    sync_wake_up: bool,
    degraded: Degraded,
    vars: Vars,
    /// What the command's Landlock domain enforces, once
    /// [`attach`](Supervisor::attach) has made it.
    landlock: Enforced,
    /// What [`session`] writes at the end of a learn-mode run, if not the
    /// [`Learned`] summary.
    pub(crate) summary: Option<Summary>,
    /// In learn mode, once attached: what the paths the command names are
    /// compared with ([`files`]).
    files: Option<FileLearning>,
    /// In learn mode, once attached: what the ports the command reaches
    /// are compared with ([`ports`]).
    ports: Option<PortLearning>,
    /// Whether learn mode learns files and ports too.
    learn_files: bool,
}

/// A learn-mode summary of a report, as [`Supervisor::learn_summary`]
/// takes it.
pub type Summary = Box<dyn FnOnce(&Report) -> String + Send>;

impl fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Supervisor")
            .field("model", &self.model)
            .field("mode", &self.mode)
            .field("new_session", &self.new_session)
            .field("kill_with_parent", &self.kill_with_parent)
            .field("end_with_command", &self.end_with_command)
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
    /// parent, not ended with the command, at most 10 000 denials kept, a
    /// 10 s handshake timeout.
    pub fn new(policy: impl Into<PolicySource>, caps: u64, names: SyscallNames) -> Supervisor {
        Supervisor {
            model: Model::new(policy.into(), caps),
            names,
            mode: Mode::Enforce,
            new_session: false,
            kill_with_parent: false,
            end_with_command: false,
            on_denial: None,
            max_denials: 10_000,
            timeout: Duration::from_secs(10),
            sync_wake_up: true,
            degraded: Degraded::Refuse,
            vars: Vars::new(),
            landlock: Enforced::NONE,
            summary: None,
            files: None,
            ports: None,
            learn_files: true,
        }
    }

    /// What a [`session`] run in learn mode writes at its end, made from
    /// the report, instead of the [`Learned`] summary: a tool that says
    /// more (the rules to add, with their arguments) writes its own.
    #[must_use]
    pub fn learn_summary(mut self, f: impl FnOnce(&Report) -> String + Send + 'static) -> Self {
        self.summary = Some(Box::new(f));
        self
    }

    /// Enforce or learn.
    #[must_use]
    pub fn mode(mut self, mode: Mode) -> Supervisor {
        self.mode = mode;
        self
    }

    /// Learn mode ([`Mode::Learn`]): let calls outside the grant run and
    /// count them, but for errno refusals no cap allows. Kills nothing, and
    /// enforces none of the policy's files and ports; the command still runs in
    /// the Landlock domain that keeps it from processes outside (see
    /// [`domain`](crate::domain)).
    #[must_use]
    pub fn learn(self) -> Supervisor {
        self.mode(Mode::Learn)
    }

    /// Whether learn mode also learns the files the command reaches beyond
    /// the granted tables' `fs` paths ([`Report::files`], see [`files`])
    /// and the TCP ports beyond their `net` ports ([`Report::ports`], see
    /// [`ports`]); default on. Each call that names a path, and each
    /// `connect` and `bind`, then goes to the supervisor, which costs a
    /// round trip per `open` (`BENCHMARKS.md`); off, learn mode learns
    /// system calls only, as the filter sends them. Enforce mode ignores
    /// it.
    #[must_use]
    pub fn learn_files(mut self, on: bool) -> Supervisor {
        self.learn_files = on;
        self
    }

    /// Start the command in a new session (`setsid`): its own process group
    /// (so the whole tree can be signalled with `kill(-pid, sig)`), and no
    /// controlling terminal, so it cannot push input into the caller's
    /// terminal (`TIOCSTI` needs the terminal to be one's own) and reads
    /// from an inherited terminal descriptor do not stop it. A group holds
    /// only processes that stay in it: `setsid` or `setpgid` (a daemon's
    /// double fork; `timeout`, for which the shipped policy grants
    /// `setpgid` with `CODE_EXEC`) leaves it. See
    /// [`end_with_command`](Supervisor::end_with_command) for what holds.
    ///
    /// With `end_with_command`, the relay leads the session and the
    /// command gets a process group of its own in it.
    #[must_use]
    pub fn new_session(mut self, on: bool) -> Supervisor {
        self.new_session = on;
        self
    }

    /// Kill the spawned process with `SIGKILL` when the thread that spawned
    /// it ends (`PR_SET_PDEATHSIG`), even when this process is killed with
    /// `SIGKILL`. The kernel ties this to the spawning *thread*: spawn from
    /// one that outlives the command. Alone, this covers the command's own
    /// process, which may clear it (`prctl` is in `[base]`), and nothing it
    /// started; with [`end_with_command`](Supervisor::end_with_command) it
    /// is set on the relay, which the command cannot reach, and the
    /// namespace ends with it.
    #[must_use]
    pub fn kill_with_parent(mut self, on: bool) -> Supervisor {
        self.kill_with_parent = on;
        self
    }

    /// End every process the command starts when the command ends, however
    /// it was started and whatever it does (see [`lifetime`]): the spawned
    /// process becomes a *relay* that makes a pid namespace (directly with
    /// `CAP_SYS_ADMIN`, else in a user namespace of its own; otherwise it
    /// is a subreaper), starts the command in it, passes signals on to it,
    /// ends what it left when it ends, and then ends as it did. The
    /// report's [`lifetime`](Report::lifetime) says which held.
    ///
    /// `Command::spawn` then returns the relay: its wait status is the
    /// command's, and it ends only once the command's whole tree has; its
    /// pid is not the command's, which is [`Report::pid`] (pass that to
    /// [`Report::ending`]). Signals sent to the relay reach the command
    /// (its group with [`new_session`](Supervisor::new_session)), and
    /// `Child::kill` kills the relay, which ends the namespace.
    #[must_use]
    pub fn end_with_command(mut self, on: bool) -> Supervisor {
        self.end_with_command = on;
        self
    }

    /// Calls `f` on the supervisor thread with each [`Denial`] as soon as
    /// it is answered (before it is added to the [`Report`]). Calls wait
    /// while it runs: keep it short. A panic in it ends supervision, and
    /// kills the command's tree first.
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

    /// Whether to run on a kernel whose Landlock is missing or older than
    /// the sandbox needs ([`Degraded::Allow`]), with what it has, which the
    /// report's [`landlock`](Report::landlock) tells; by default
    /// ([`Degraded::Refuse`]) [`attach`](Supervisor::attach) fails there.
    #[must_use]
    pub fn degraded(mut self, degraded: Degraded) -> Supervisor {
        self.degraded = degraded;
        self
    }

    /// The values of the policy's variables for the paths and ports of its
    /// `fs` and `net` tables (see [`Vars`]); by default every built-in one
    /// takes its default (`$WORKDIR` the command's working directory).
    #[must_use]
    pub fn vars(mut self, vars: Vars) -> Supervisor {
        self.vars = vars;
        self
    }

    /// Builds the program and the Landlock domain (see
    /// [`domain`](crate::domain)), starts the supervisor thread, and sets
    /// `cmd`'s `pre_exec` hook that enters the domain, attaches the program
    /// in the child and hands its listener over. Spawn `cmd` once, then
    /// [`finish`](Supervision::finish).
    ///
    /// The thread must run before `spawn`, which returns only after the
    /// child's `execve`, and the child waits in the handshake until the
    /// thread answers it.
    ///
    /// # Errors
    ///
    /// [`SuperviseError`]: the program or the domain could not be built, or
    /// the socket pair, pipe or thread could not be made.
    pub fn attach(mut self, cmd: &mut Command) -> Result<Supervision, SuperviseError> {
        // Learn mode sees the paths the command names, to compare with
        // what the domain would grant under `run` (see [`files`]), when a
        // granted table confines files.
        if self.mode == Mode::Learn && self.learn_files {
            self.files = self
                .model
                .file_learning(&self.vars.for_command(cmd), cmd.get_current_dir())
                .map_err(SuperviseError::Landlock)?;
            self.ports = self
                .model
                .port_learning(&self.vars.for_command(cmd))
                .map_err(SuperviseError::Landlock)?;
        }
        let prog = self
            .model
            .program(self.files.is_some(), self.ports.is_some())
            .map_err(SuperviseError::Program)?;
        // Learn mode enforces no rule of the policy, files and ports
        // included (it is how a command's needs are found), but the payload
        // is still untrusted: it runs in the domain that keeps it away from
        // processes outside.
        let domain = match self.mode {
            Mode::Enforce => self.model.domain(
                &self.vars.for_command(cmd),
                cmd.get_current_dir(),
                self.degraded,
            ),
            Mode::Learn => Domain::new(self.degraded),
        }
        .map_err(SuperviseError::Landlock)?;
        self.landlock = domain.enforced();
        let (parent, child) = handoff().map_err(|errno| SuperviseError::Setup {
            what: "socketpair",
            errno,
        })?;
        let setup = ChildSetup {
            new_session: self.new_session,
            kill_with_parent: self.kill_with_parent,
            containment: self
                .end_with_command
                .then(|| Containment::new(self.new_session)),
            parent_pid: std::process::id() as libc::pid_t,
            domain,
            handoff: child,
            install: Install::new().tsync(false),
            prog,
        };
        let supervision = self.start(parent)?;
        // The hook allocates nothing, takes no lock and cannot panic, as
        // required between fork and exec.
        crate::sys::child::pre_exec(cmd, move || setup.run());
        Ok(supervision)
    }
}

/// What the command's child does between `fork` and `exec`: the
/// `pre_exec` hook [`Supervisor::attach`] sets. Async-signal-safe: system
/// calls and errno reads only.
struct ChildSetup {
    new_session: bool,
    kill_with_parent: bool,
    /// With [`Supervisor::end_with_command`]: the relay's setup.
    containment: Option<Containment>,
    /// This process, the child's parent.
    parent_pid: libc::pid_t,
    domain: Domain,
    handoff: ChildHandoff,
    install: Install,
    prog: Program<BPF_MAXINSNS>,
}

impl ChildSetup {
    /// The child's steps, in order. Attaching the filter comes last: it
    /// hands the listener over, and returns once the supervisor has it.
    fn run(&self) -> io::Result<()> {
        if self.new_session {
            crate::sys::child::new_session()?;
        }
        if self.kill_with_parent {
            die_with_parent(self.parent_pid)?;
        }
        // This process stays behind as the relay; the rest runs in the
        // command's own process, which `split` returns in.
        let mut lifetime = match self.containment.map(Containment::split).transpose()? {
            None => Lifetime::Unbounded,
            Some(Split::Command(lifetime)) => lifetime,
            Some(Split::Relay(relay)) => relay.run(),
        };
        // In a pid namespace: a /proc that lists only its processes, with
        // the domain's rules beneath /proc made again there. Where it
        // cannot be mounted, the machine's stays, and the report says so.
        if matches!(lifetime, Lifetime::PidNamespace { .. }) && own_proc::give(&self.domain)? {
            lifetime = lifetime.with_own_proc();
        }
        // Before the filter, which then need not allow the two calls.
        self.domain.enter()?;
        // The child's copy of the listener closes at execve.
        self.handoff
            .install_noting(self.install, self.prog.as_slice(), lifetime.note())?;
        Ok(())
    }
}

/// `PR_SET_PDEATHSIG` with `SIGKILL`; then `ESRCH` if the parent is no
/// longer `parent_pid`, since it may have died before the prctl took
/// effect.
fn die_with_parent(parent_pid: libc::pid_t) -> Result<(), Errno> {
    crate::sys::set_death_signal(libc::SIGKILL)?;
    if crate::sys::child::parent_pid() != parent_pid {
        return Err(Errno(libc::ESRCH));
    }
    Ok(())
}
