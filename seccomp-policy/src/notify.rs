//! Seccomp user notification: a filter's listener, the calls it delivers,
//! and the answers a supervisor gives.
//!
//! A filter whose program returns `SECCOMP_RET_USER_NOTIF` for a call does
//! not decide the call itself: the calling thread stops in the kernel until
//! a process holding the filter's *listener* descriptor answers. The answer
//! is one of
//!
//! - a return value or an errno ([`Response::Return`], [`Response::Errno`]):
//!   the call does not run and returns what the supervisor said;
//! - [`Response::Continue`] (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`, Linux 5.5):
//!   the call runs as if the filter had allowed it. **Not fit for
//!   enforcement**: the arguments the supervisor saw may be pointers to
//!   memory the payload changes before the kernel reads it, so a decision
//!   based on them is a time-of-check/time-of-use race. The supervisor uses
//!   it only in learn mode, where every call is let through anyway;
//! - killing the caller while it waits ([`Listener::kill_process`]): the
//!   call never runs.
//!
//! # Getting the listener out of a spawned child
//!
//! The listener is created by the `seccomp(2)` call that attaches the filter,
//! in the process being filtered, close-on-exec. [`handoff`] makes a pair:
//! the [`ChildHandoff`] runs in the child between `fork` and `exec`
//! ([`ChildHandoff::install`], async-signal-safe), the [`Handoff`] in the
//! parent ([`Handoff::accept`], on a thread that is not blocked in
//! [`Command::spawn`](std::process::Command::spawn)). The child
//!
//! 1. finds the lowest free descriptor (the kernel gives the listener the
//!    lowest free one, and nothing else runs in the child between `fork`
//!    and `exec`), and sends its pid and that number over a private
//!    `AF_UNIX` socket pair, *before* the filter exists, so the policy need
//!    not allow any call for it;
//! 2. attaches the filter with `SECCOMP_FILTER_FLAG_NEW_LISTENER` and checks
//!    the descriptor it got is the one announced;
//! 3. makes one *handshake* call, number [`HANDSHAKE_NR`], which no
//!    architecture uses and so every filter built for spawning sends to the
//!    supervisor, and which blocks until the supervisor answers it.
//!
//! Meanwhile the parent opens a pidfd for the child (`pidfd_open`, Linux
//! 5.3), copies the listener out of it (`pidfd_getfd`, Linux 5.6), checks it
//! is a seccomp listener, receives the handshake, checks its pid and a
//! random cookie, and answers it; only then does the child go on to `execve`,
//! where its copy of the listener is closed.
//!
//! `pidfd_getfd` needs `PTRACE_MODE_ATTACH_REALCREDS` access to the child,
//! which a parent running as the same user has, unless Yama's
//! `kernel.yama.ptrace_scope` is 2 or 3 (then only `CAP_SYS_PTRACE` may), or
//! the parent is not dumpable (it changed its uid; `prctl(PR_SET_DUMPABLE,
//! 1)` restores it). The alternative, passing the descriptor with
//! `SCM_RIGHTS`, would need the filtered child to call `sendmsg`, so either
//! the policy grants `sendmsg` to every payload or the call blocks on a
//! supervisor that has no listener yet.
//!
//! # Who made the call
//!
//! A notification names the calling *thread* by its id in the supervisor's
//! pid namespace; [`Listener::process`] reads `/proc/TID/status` and
//! `/proc/TID/exe` for its process and program, and only then asks the
//! kernel whether the notification is still pending
//! (`SECCOMP_IOCTL_NOTIF_ID_VALID`). A thread waiting in a notification
//! cannot exit, so if it is still waiting after the reads, the id read was
//! its own and not a reused one's. [`Listener::kill_process`] does the same
//! with a pidfd: open, check, signal through the pidfd, which can never
//! reach another process. `/proc` must be the procfs of the supervisor's
//! pid namespace.
//!
//! # When the listener closes
//!
//! When the last copy of the listener is closed (the supervisor ends, or its
//! process dies), the kernel answers every call still waiting, and every
//! later call the filter sends to the supervisor, with `ENOSYS`: the call
//! does not run, and the process goes on. `tests/supervise_kernel.rs` pins
//! this.

use core::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use crate::bpf::SockFilter;
use crate::install::{Errno, Install, InstallError};
use crate::sys::{pidfd_getfd, pidfd_open, pidfd_send_signal};

/// The handshake call's number: above every architecture's table (the
/// highest, mips64el n64 from 5000, ends below 6000; x32 numbers have bit 30
/// set, this one has not), so a filter built from a policy never allows it
/// and the kernel itself would answer it with `ENOSYS`.
pub const HANDSHAKE_NR: u32 = 0x3fff_5e00;

/// A system call a filter sent to the supervisor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notification {
    /// The kernel's id for it, unique for the listener's lifetime.
    pub id: u64,
    /// The calling thread's id, in the pid namespace of the process that
    /// received the notification.
    pub tid: u32,
    /// The system call number (`seccomp_data.nr`).
    pub nr: i32,
    /// The `AUDIT_ARCH_*` value of the entry point (`seccomp_data.arch`).
    pub audit_arch: u32,
    /// The instruction pointer at the call.
    pub ip: u64,
    /// The six arguments as the kernel read them from the registers.
    pub args: [u64; 6],
}

/// An answer to a [`Notification`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response {
    /// Run the call (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`, Linux 5.5). Not fit
    /// for enforcement (see the [module docs](self)).
    Continue,
    /// Do not run the call; it returns this value.
    Return(i64),
    /// Do not run the call; it fails with this errno.
    Errno(Errno),
}

/// Which operation a [`NotifyError::Failed`] comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `poll` on the listener.
    Poll,
    /// `SECCOMP_IOCTL_NOTIF_RECV`.
    Recv,
    /// `SECCOMP_IOCTL_NOTIF_SEND`.
    Send,
    /// `SECCOMP_IOCTL_NOTIF_ID_VALID`.
    IdValid,
    /// `SECCOMP_IOCTL_NOTIF_SET_FLAGS`.
    SetFlags,
    /// `pidfd_open`.
    PidfdOpen,
    /// `pidfd_send_signal`.
    PidfdSendSignal,
    /// Reading `/proc/TID/status`.
    ProcStatus,
}

impl Op {
    /// The name of the operation as the kernel documents it.
    pub const fn name(self) -> &'static str {
        match self {
            Op::Poll => "poll",
            Op::Recv => "SECCOMP_IOCTL_NOTIF_RECV",
            Op::Send => "SECCOMP_IOCTL_NOTIF_SEND",
            Op::IdValid => "SECCOMP_IOCTL_NOTIF_ID_VALID",
            Op::SetFlags => "SECCOMP_IOCTL_NOTIF_SET_FLAGS",
            Op::PidfdOpen => "pidfd_open",
            Op::PidfdSendSignal => "pidfd_send_signal",
            Op::ProcStatus => "reading /proc/TID/status",
        }
    }
}

/// Why an operation on a notification did nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifyError {
    /// The notification is no longer pending: its thread was killed or its
    /// process ended, or a signal interrupted the call (which the kernel
    /// then restarts and notifies again, with a new id). Nothing was done.
    Gone,
    /// The kernel refused the operation.
    Failed {
        /// The operation.
        op: Op,
        /// What the kernel said.
        errno: Errno,
    },
}

impl fmt::Display for NotifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotifyError::Gone => f.write_str("the notified call is no longer pending"),
            NotifyError::Failed { op, errno } => write!(f, "{} failed: {errno}", op.name()),
        }
    }
}

impl std::error::Error for NotifyError {}

/// What [`Listener::wait`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// A notification is waiting to be received.
    Pending,
    /// No process uses the filter any more, and nothing is pending (Linux
    /// 5.8; older kernels never report this).
    Unused,
    /// The timeout passed with nothing to receive.
    Idle,
    /// The other descriptor passed to [`Listener::wait_with`] is readable.
    Other,
}

/// The program a process runs, as `/proc` tells it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Program {
    /// The target of `/proc/PID/exe`: the executable's path.
    Exe(String),
    /// `/proc/PID/exe` could not be read; the thread's `comm` (at most 15
    /// bytes of the executable's name, or what the process set with
    /// `PR_SET_NAME`).
    Comm(String),
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Program::Exe(path) => f.write_str(path),
            Program::Comm(comm) => write!(f, "[{comm}]"),
        }
    }
}

/// The process a notification came from, read while it was waiting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessInfo {
    /// The process id (thread group id).
    pub pid: u32,
    /// The calling thread's id (equal to `pid` in its main thread).
    pub tid: u32,
    /// What it runs.
    pub program: Program,
}

/// A filter's listener descriptor (`SECCOMP_FILTER_FLAG_NEW_LISTENER`).
#[derive(Debug)]
pub struct Listener {
    fd: OwnedFd,
}

const IOCTL_RECV: libc::Ioctl = libc::SECCOMP_IOCTL_NOTIF_RECV;
const IOCTL_SEND: libc::Ioctl = libc::SECCOMP_IOCTL_NOTIF_SEND;
const IOCTL_ID_VALID: libc::Ioctl = libc::SECCOMP_IOCTL_NOTIF_ID_VALID;
/// The number `SECCOMP_IOCTL_NOTIF_ID_VALID` had until Linux 5.9 fixed its
/// direction (`_IOR` instead of `_IOW`); newer kernels accept both, older
/// ones only this.
const IOCTL_ID_VALID_OLD: libc::Ioctl = (2 << 30 | 8 << 16 | (b'!' as u32) << 8 | 2) as libc::Ioctl;
const IOCTL_SET_FLAGS: libc::Ioctl = libc::SECCOMP_IOCTL_NOTIF_SET_FLAGS;
/// `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP` (Linux 6.6).
const FD_SYNC_WAKE_UP: u64 = 1;

/// `SECCOMP_IOCTL_NOTIF_ID_VALID` for `id`: 0, or -1 with errno set.
fn id_valid(fd: RawFd, id: u64) -> libc::c_int {
    let mut id = id;
    // SAFETY: the ioctl reads a u64 from a live local.
    let r = unsafe { libc::ioctl(fd, IOCTL_ID_VALID, &mut id) };
    if r == 0 || Errno::last().0 != libc::EINVAL {
        return r;
    }
    // A kernel before 5.9 knows only the original number.
    // SAFETY: as above.
    unsafe { libc::ioctl(fd, IOCTL_ID_VALID_OLD, &mut id) }
}

fn failed(op: Op) -> NotifyError {
    NotifyError::Failed {
        op,
        errno: Errno::last(),
    }
}

impl Listener {
    /// Takes ownership of a listener descriptor. Nothing checks that `fd`
    /// is one; see [`is_listener`](Listener::is_listener).
    pub fn from_fd(fd: OwnedFd) -> Listener {
        Listener { fd }
    }

    /// Gives the descriptor back.
    pub fn into_fd(self) -> OwnedFd {
        self.fd
    }

    /// Whether the descriptor is a seccomp listener: it answers
    /// `SECCOMP_IOCTL_NOTIF_ID_VALID` for an id never issued with `ENOENT`,
    /// where any other file answers `ENOTTY` or `EINVAL`.
    pub fn is_listener(&self) -> bool {
        id_valid(self.fd.as_raw_fd(), u64::MAX) == 0 || Errno::last().0 == libc::ENOENT
    }

    /// Waits up to `timeout` (forever with `None`) for a notification.
    ///
    /// # Errors
    ///
    /// [`NotifyError::Failed`] with the errno of a failed `poll`.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<Readiness, NotifyError> {
        self.wait_with(None, timeout)
    }

    /// Like [`wait`](Listener::wait), also returning
    /// [`Readiness::Other`] when `other` becomes readable (a stop signal).
    /// A pending notification is reported first.
    ///
    /// # Errors
    ///
    /// [`NotifyError::Failed`] with the errno of a failed `poll`.
    pub fn wait_with(
        &self,
        other: Option<BorrowedFd<'_>>,
        timeout: Option<Duration>,
    ) -> Result<Readiness, NotifyError> {
        let mut fds = [
            libc::pollfd {
                fd: self.fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: other.map_or(-1, |o| o.as_raw_fd()),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let n = if other.is_some() { 2 } else { 1 };
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let ms = match deadline {
                None => -1,
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    // Round up so a short timeout does not spin.
                    left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32
                }
            };
            // SAFETY: `fds` holds `n` initialized entries.
            let r = unsafe { libc::poll(fds.as_mut_ptr(), n, ms) };
            if r < 0 {
                if Errno::last().0 == libc::EINTR {
                    continue;
                }
                return Err(failed(Op::Poll));
            }
            let mine = fds[0].revents;
            if mine & libc::POLLIN != 0 {
                return Ok(Readiness::Pending);
            }
            if mine & libc::POLLNVAL != 0 {
                return Err(NotifyError::Failed {
                    op: Op::Poll,
                    errno: Errno(libc::EBADF),
                });
            }
            if mine & (libc::POLLHUP | libc::POLLERR) != 0 {
                return Ok(Readiness::Unused);
            }
            if n == 2 && fds[1].revents != 0 {
                return Ok(Readiness::Other);
            }
            if r == 0 {
                return Ok(Readiness::Idle);
            }
        }
    }

    /// Receives the next notification, blocking until there is one (use
    /// [`wait`](Listener::wait) first to block with a timeout).
    ///
    /// [`NotifyError::Gone`] when the call that was pending vanished before
    /// it could be received (its thread was killed).
    ///
    /// # Errors
    ///
    /// [`NotifyError::Gone`] as above; [`NotifyError::Failed`] with the errno
    /// of any other failure of `SECCOMP_IOCTL_NOTIF_RECV`.
    pub fn recv(&self) -> Result<Notification, NotifyError> {
        loop {
            // The kernel requires a zeroed buffer.
            // SAFETY: seccomp_notif is plain data; all-zero is valid.
            let mut n: libc::seccomp_notif = unsafe { core::mem::zeroed() };
            // SAFETY: the ioctl writes a seccomp_notif into a live local.
            let r = unsafe { libc::ioctl(self.fd.as_raw_fd(), IOCTL_RECV, &mut n) };
            if r == 0 {
                return Ok(Notification {
                    id: n.id,
                    tid: n.pid,
                    nr: n.data.nr,
                    audit_arch: n.data.arch,
                    ip: n.data.instruction_pointer,
                    args: n.data.args,
                });
            }
            match Errno::last().0 {
                libc::EINTR => {}
                libc::ENOENT => return Err(NotifyError::Gone),
                _ => return Err(failed(Op::Recv)),
            }
        }
    }

    /// Whether notification `id` is still pending: its thread is alive and
    /// waiting for the answer.
    ///
    /// # Errors
    ///
    /// [`NotifyError::Failed`] when the kernel answers neither yes nor no.
    pub fn is_pending(&self, id: u64) -> Result<bool, NotifyError> {
        if id_valid(self.fd.as_raw_fd(), id) == 0 {
            return Ok(true);
        }
        match Errno::last().0 {
            libc::ENOENT => Ok(false),
            _ => Err(failed(Op::IdValid)),
        }
    }

    /// Answers notification `id`.
    ///
    /// [`NotifyError::Gone`] when it is no longer pending (nothing was
    /// done).
    ///
    /// # Errors
    ///
    /// [`NotifyError::Gone`] as above; [`NotifyError::Failed`] with the errno
    /// of any other failure of `SECCOMP_IOCTL_NOTIF_SEND`.
    pub fn respond(&self, id: u64, response: Response) -> Result<(), NotifyError> {
        let (val, error, flags) = match response {
            Response::Continue => (0, 0, libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32),
            Response::Return(v) => (v, 0, 0),
            Response::Errno(e) => (0, -e.0, 0),
        };
        let mut resp = libc::seccomp_notif_resp {
            id,
            val,
            error,
            flags,
        };
        // SAFETY: the ioctl reads a seccomp_notif_resp from a live local.
        let r = unsafe { libc::ioctl(self.fd.as_raw_fd(), IOCTL_SEND, &mut resp) };
        if r == 0 {
            return Ok(());
        }
        match Errno::last().0 {
            libc::ENOENT => Err(NotifyError::Gone),
            _ => Err(failed(Op::Send)),
        }
    }

    /// Asks the kernel to wake the caller and the supervisor on the same CPU
    /// (`SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP`, Linux 6.6), which saves a
    /// cross-CPU wake-up per call when the two take turns, as a payload and
    /// its supervisor do. `EINVAL` on older kernels.
    ///
    /// # Errors
    ///
    /// [`NotifyError::Failed`] with the kernel's errno (`EINVAL` before 6.6).
    pub fn set_sync_wake_up(&self) -> Result<(), NotifyError> {
        // The flags are passed by value, not through a pointer.
        // SAFETY: the ioctl takes an integer argument.
        let r = unsafe { libc::ioctl(self.fd.as_raw_fd(), IOCTL_SET_FLAGS, FD_SYNC_WAKE_UP) };
        if r == 0 {
            Ok(())
        } else {
            Err(failed(Op::SetFlags))
        }
    }

    /// The process and program of the thread that made notification `n`,
    /// read from `/proc` and then confirmed: [`NotifyError::Gone`] if the
    /// notification stopped pending meanwhile, since the thread id may then
    /// already name another thread.
    ///
    /// # Errors
    ///
    /// [`NotifyError::Gone`] as above; [`NotifyError::Failed`] when `/proc`
    /// cannot be read for a thread that is still there.
    pub fn process(&self, n: &Notification) -> Result<ProcessInfo, NotifyError> {
        let status = std::fs::read(format!("/proc/{}/status", n.tid));
        let exe = std::fs::read_link(format!("/proc/{}/exe", n.tid));
        // Whatever was read counts only if the thread is still waiting now.
        if !self.is_pending(n.id)? {
            return Err(NotifyError::Gone);
        }
        let status = match status {
            Ok(s) => s,
            // Still pending, so the thread exists: a permission problem.
            Err(e) => {
                return Err(NotifyError::Failed {
                    op: Op::ProcStatus,
                    errno: Errno(e.raw_os_error().unwrap_or(libc::EIO)),
                })
            }
        };
        let status = String::from_utf8_lossy(&status);
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.trim().to_owned())
        };
        let pid = field("Tgid:")
            .and_then(|v| v.parse().ok())
            .ok_or(NotifyError::Failed {
                op: Op::ProcStatus,
                errno: Errno(libc::EINVAL),
            })?;
        let program = match exe {
            Ok(path) => Program::Exe(path.to_string_lossy().into_owned()),
            Err(_) => Program::Comm(field("Name:").unwrap_or_default()),
        };
        Ok(ProcessInfo {
            pid,
            tid: n.tid,
            program,
        })
    }

    /// Kills process `pid`, the process of the thread that made
    /// notification `n` (see [`process`](Listener::process)), with
    /// `SIGKILL` while the call waits, so the call never runs.
    ///
    /// Opens a pidfd for `pid`, then checks that `n` is still pending (so
    /// the pidfd is the caller's process, not a process that reused the
    /// number), then signals through the pidfd. [`NotifyError::Gone`] when
    /// the notification was no longer pending: nothing was signalled.
    ///
    /// # Errors
    ///
    /// [`NotifyError::Gone`] as above; [`NotifyError::Failed`] with the errno
    /// of a failed `pidfd_open` or `pidfd_send_signal`.
    pub fn kill_process(&self, n: &Notification, pid: u32) -> Result<(), NotifyError> {
        let pidfd = match pidfd_open(pid) {
            Ok(fd) => fd,
            Err(e) if e.0 == libc::ESRCH => return Err(NotifyError::Gone),
            Err(errno) => {
                return Err(NotifyError::Failed {
                    op: Op::PidfdOpen,
                    errno,
                })
            }
        };
        if !self.is_pending(n.id)? {
            return Err(NotifyError::Gone);
        }
        match pidfd_send_signal(pidfd.as_fd(), libc::SIGKILL) {
            Ok(()) => Ok(()),
            Err(e) if e.0 == libc::ESRCH => Err(NotifyError::Gone),
            Err(errno) => Err(NotifyError::Failed {
                op: Op::PidfdSendSignal,
                errno,
            }),
        }
    }
}

impl AsFd for Listener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Listener {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// What the child sends before attaching its filter, and after a failure.
#[repr(C)]
#[derive(Clone, Copy)]
struct Announce {
    cookie: u64,
    pid: u32,
    /// The descriptor number the listener will get.
    fd: i32,
    /// 0, or the errno of a failed step in the child.
    errno: i32,
    /// Which step failed ([`ChildStep`] as a number).
    step: u32,
}

const ANNOUNCE_LEN: usize = core::mem::size_of::<Announce>();

/// Makes a handoff pair for one child: create it before spawning, move the
/// [`ChildHandoff`] into the `pre_exec` hook, and call
/// [`Handoff::accept`] on another thread.
///
/// # Errors
///
/// The errno of a failed `socketpair`.
pub fn handoff() -> Result<(Handoff, ChildHandoff), Errno> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for two descriptors.
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    if r != 0 {
        return Err(Errno::last());
    }
    // SAFETY: both descriptors were just created and are ours.
    let (parent, child) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let cookie = random_cookie();
    Ok((
        Handoff {
            sock: parent,
            cookie,
        },
        ChildHandoff {
            sock: child,
            cookie,
        },
    ))
}

/// A cookie the handshake call must carry: from `getrandom`, or the clock
/// and the pid when that fails.
fn random_cookie() -> u64 {
    let mut c = 0u64;
    // SAFETY: writes at most 8 bytes into a live u64.
    let r = unsafe { libc::getrandom((&raw mut c).cast(), 8, libc::GRND_NONBLOCK) };
    if r != 8 {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        c = t ^ (u64::from(std::process::id()) << 32);
    }
    c | 1
}

/// The child's half of a [`handoff`].
#[derive(Debug)]
pub struct ChildHandoff {
    sock: OwnedFd,
    cookie: u64,
}

/// The step of [`ChildHandoff::install`] that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildStep {
    /// Finding the descriptor the listener will get (`fcntl(F_DUPFD)`).
    PredictFd,
    /// Announcing it to the parent (`send`).
    Announce,
    /// Attaching the filter (`prctl`, `seccomp`).
    Install,
    /// The listener got another descriptor than announced.
    WrongFd,
    /// The handshake call did not return 0: the supervisor did not answer
    /// it, or an earlier filter answered it first.
    Handshake,
}

/// Why [`ChildHandoff::install`] failed; converts to an `io::Error` carrying
/// [`errno`](ChildError::errno) without allocating, so a `pre_exec` hook can
/// return it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChildError {
    /// The step.
    pub step: ChildStep,
    /// The errno (`EBADF` for [`ChildStep::WrongFd`]).
    pub errno: Errno,
    /// The install error, for [`ChildStep::Install`].
    pub install: Option<InstallError>,
}

impl ChildError {
    /// The errno it stands for.
    pub const fn errno(&self) -> Errno {
        self.errno
    }
}

impl fmt::Display for ChildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.step, self.install) {
            (ChildStep::Install, Some(e)) => write!(f, "{e}"),
            (step, _) => write!(
                f,
                "seccomp listener handoff: {step:?} failed: {}",
                self.errno
            ),
        }
    }
}

impl std::error::Error for ChildError {}

impl From<ChildError> for io::Error {
    fn from(e: ChildError) -> io::Error {
        io::Error::from_raw_os_error(e.errno.0)
    }
}

impl ChildHandoff {
    /// In the child between `fork` and `exec`: attaches `prog` with a
    /// listener and hands the listener to the parent (see the [module
    /// docs](self)). Returns once the parent's [`Handoff::accept`] has
    /// answered the handshake.
    ///
    /// `prog` must send [`HANDSHAKE_NR`] on the native architecture to the
    /// supervisor (`SECCOMP_RET_USER_NOTIF`), as any program does whose
    /// default is to notify. `install` should have TSYNC off (the child has
    /// one thread; with TSYNC the kernel needs 5.7).
    ///
    /// Returns the child's own copy of the listener descriptor. It is
    /// close-on-exec; a child that does not `exec` must close it, or the
    /// listener stays open in the child after the supervisor closes its
    /// copy (and waiting calls are never failed with `ENOSYS`).
    ///
    /// Async-signal-safe: no allocation, no lock, no panic. Must run in a
    /// single-threaded process (the descriptor number is predicted).
    ///
    /// # Errors
    ///
    /// [`ChildError`]: which step failed (announcing the descriptor,
    /// attaching the filter, the handshake), with its errno.
    pub fn install(&self, install: Install, prog: &[SockFilter]) -> Result<RawFd, ChildError> {
        let sock = self.sock.as_raw_fd();
        let fail = |step, errno: Errno, install: Option<InstallError>| ChildError {
            step,
            errno,
            install,
        };
        // The lowest free descriptor: a duplicate takes it, and closing the
        // duplicate frees it again.
        // SAFETY: duplicating a descriptor we own.
        let probe = unsafe { libc::fcntl(sock, libc::F_DUPFD_CLOEXEC, 0) };
        if probe < 0 {
            return Err(fail(ChildStep::PredictFd, Errno::last(), None));
        }
        // SAFETY: closing the duplicate just made.
        unsafe { libc::close(probe) };
        // SAFETY: no arguments.
        let pid = unsafe { libc::getpid() } as u32;
        let mut msg = Announce {
            cookie: self.cookie,
            pid,
            fd: probe,
            errno: 0,
            step: 0,
        };
        if let Err(e) = self.send(&msg) {
            return Err(fail(ChildStep::Announce, e, None));
        }
        let listener = match install.apply_with_listener(prog) {
            Ok(fd) => fd,
            Err(e) => {
                msg.errno = e.errno().0;
                msg.step = ChildStep::Install as u32;
                // Unfiltered: nothing was attached.
                let _ = self.send(&msg);
                return Err(fail(ChildStep::Install, e.errno(), Some(e)));
            }
        };
        if listener != probe {
            // The parent finds no listener at `probe` and kills this child.
            return Err(fail(ChildStep::WrongFd, Errno(libc::EBADF), None));
        }
        // SAFETY: a system call with integer arguments; the filter sends it
        // to the supervisor, which answers 0.
        let r = unsafe {
            libc::syscall(
                HANDSHAKE_NR as libc::c_long,
                self.cookie,
                listener as libc::c_long,
            )
        };
        if r != 0 {
            let errno = if r < 0 {
                Errno::last()
            } else {
                Errno(libc::EPROTO)
            };
            return Err(fail(ChildStep::Handshake, errno, None));
        }
        Ok(listener)
    }

    fn send(&self, msg: &Announce) -> Result<(), Errno> {
        // SAFETY: sends `ANNOUNCE_LEN` bytes from a live value.
        let r = unsafe {
            libc::send(
                self.sock.as_raw_fd(),
                std::ptr::from_ref::<Announce>(msg).cast(),
                ANNOUNCE_LEN,
                libc::MSG_NOSIGNAL,
            )
        };
        if r == ANNOUNCE_LEN as isize {
            Ok(())
        } else if r < 0 {
            Err(Errno::last())
        } else {
            Err(Errno(libc::EMSGSIZE))
        }
    }
}

/// The parent's half of a [`handoff`].
#[derive(Debug)]
pub struct Handoff {
    sock: OwnedFd,
    cookie: u64,
}

/// Why [`Handoff::accept`] failed. Once the child is known, it has been
/// killed (`SIGKILL`), so it never runs unsupervised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandoffError {
    /// Nothing arrived within the timeout: no child was spawned, or it
    /// failed before the announcement (then `spawn` reports why).
    NoChild,
    /// The child announced itself and then reported a failed step.
    Child {
        /// The step.
        step: ChildStep,
        /// Its errno.
        errno: Errno,
    },
    /// The child ended before handing over the listener.
    ChildEnded,
    /// A socket or pidfd operation failed (`what` names it).
    Io {
        /// The operation.
        what: &'static str,
        /// Its errno.
        errno: Errno,
    },
    /// `pidfd_getfd` was refused. `EPERM`: no ptrace access to the child
    /// (Yama `ptrace_scope` 2 or 3, or this process is not dumpable);
    /// `ENOSYS`: the kernel is older than 5.6.
    GetFd(Errno),
    /// What `pidfd_getfd` returned is not a seccomp listener.
    NotAListener,
    /// The handshake call did not arrive in time, or something else came
    /// first.
    Handshake,
}

impl fmt::Display for HandoffError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandoffError::NoChild => f.write_str("no child announced itself"),
            HandoffError::Child { step, errno } => {
                write!(
                    f,
                    "the child failed to attach its filter ({step:?}): {errno}"
                )
            }
            HandoffError::ChildEnded => {
                f.write_str("the child ended before handing over its listener")
            }
            HandoffError::Io { what, errno } => write!(f, "{what} failed: {errno}"),
            HandoffError::GetFd(e) => {
                write!(f, "pidfd_getfd failed: {e}")?;
                match e.0 {
                    libc::EPERM => f.write_str(
                        " (no ptrace access to the child: kernel.yama.ptrace_scope >= 2, \
                         or this process is not dumpable)",
                    ),
                    libc::ENOSYS => f.write_str(" (Linux 5.6 or newer is needed)"),
                    _ => Ok(()),
                }
            }
            HandoffError::NotAListener => {
                f.write_str("the descriptor taken from the child is not a seccomp listener")
            }
            HandoffError::Handshake => f.write_str("the child's handshake call did not arrive"),
        }
    }
}

impl std::error::Error for HandoffError {}

/// A child whose listener was handed over.
#[derive(Debug)]
pub struct Attached {
    /// The listener, with the handshake answered.
    pub listener: Listener,
    /// The child's pid.
    pub pid: u32,
    /// A pidfd for the child.
    pub pidfd: OwnedFd,
}

impl Handoff {
    /// In the parent, on a thread other than the one spawning: waits for the
    /// child's announcement (until `stop` is readable; without `stop`, up
    /// to `timeout`), then up to `timeout` for its listener and handshake,
    /// which it answers. A readable `stop` ends the wait with
    /// [`HandoffError::NoChild`].
    ///
    /// # Errors
    ///
    /// [`HandoffError`]: no child announced itself (or `stop` became
    /// readable), the child ended or failed a step, the listener could not be
    /// copied (`pidfd_getfd`) or is not a listener, or the handshake was wrong
    /// or late.
    pub fn accept(
        self,
        timeout: Duration,
        stop: Option<BorrowedFd<'_>>,
    ) -> Result<Attached, HandoffError> {
        let forever = Instant::now() + Duration::from_secs(100 * 365 * 86_400);
        let announce_by = if stop.is_some() {
            forever
        } else {
            Instant::now() + timeout
        };
        let io = |what| HandoffError::Io {
            what,
            errno: Errno::last(),
        };
        if !wait_readable(self.sock.as_fd(), stop, announce_by).map_err(|_| io("poll"))? {
            return Err(HandoffError::NoChild);
        }
        let deadline = Instant::now() + timeout;
        let msg = self.recv_announce().map_err(|errno| HandoffError::Io {
            what: "recv",
            errno,
        })?;
        let Some(msg) = msg else {
            return Err(HandoffError::NoChild);
        };
        if msg.cookie != self.cookie {
            return Err(HandoffError::Handshake);
        }
        if msg.errno != 0 {
            return Err(child_failure(&msg));
        }
        let pidfd = match pidfd_open(msg.pid) {
            Ok(fd) => fd,
            Err(e) if e.0 == libc::ESRCH => return Err(HandoffError::ChildEnded),
            Err(errno) => {
                return Err(HandoffError::Io {
                    what: "pidfd_open",
                    errno,
                })
            }
        };
        let kill = |e: HandoffError| {
            let _ = pidfd_send_signal(pidfd.as_fd(), libc::SIGKILL);
            e
        };
        // The listener exists once the child's seccomp() returns; until then
        // pidfd_getfd finds nothing at that number (EBADF).
        let mut pause = Duration::from_micros(20);
        let fd = loop {
            match pidfd_getfd(pidfd.as_fd(), msg.fd) {
                Ok(fd) => break fd,
                Err(e) if e.0 == libc::EBADF => {}
                Err(e) => return Err(kill(HandoffError::GetFd(e))),
            }
            // A failure report from the child, or its end, or the deadline.
            if let Ok(Some(m)) = self.try_recv_announce() {
                if m.errno != 0 {
                    return Err(child_failure(&m));
                }
            }
            if readable_now(pidfd.as_fd()) {
                return Err(HandoffError::ChildEnded);
            }
            if Instant::now() >= deadline {
                return Err(kill(HandoffError::Handshake));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(2));
        };
        let listener = Listener::from_fd(fd);
        if !listener.is_listener() {
            return Err(kill(HandoffError::NotAListener));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match listener.wait(Some(left)) {
            Ok(Readiness::Pending) => {}
            _ => return Err(kill(HandoffError::Handshake)),
        }
        let n = listener.recv().map_err(|_| kill(HandoffError::Handshake))?;
        let native = crate::Arch::NATIVE.map(seccomp_policy_core::Arch::audit_arch);
        if n.tid != msg.pid
            || n.nr != HANDSHAKE_NR as i32
            || Some(n.audit_arch) != native
            || n.args[0] != self.cookie
            || n.args[1] != msg.fd as u64
        {
            return Err(kill(HandoffError::Handshake));
        }
        listener
            .respond(n.id, Response::Return(0))
            .map_err(|_| kill(HandoffError::Handshake))?;
        Ok(Attached {
            listener,
            pid: msg.pid,
            pidfd,
        })
    }

    fn recv_announce(&self) -> Result<Option<Announce>, Errno> {
        self.recv_flags(0)
    }

    fn try_recv_announce(&self) -> Result<Option<Announce>, Errno> {
        self.recv_flags(libc::MSG_DONTWAIT)
    }

    fn recv_flags(&self, flags: libc::c_int) -> Result<Option<Announce>, Errno> {
        let mut msg = Announce {
            cookie: 0,
            pid: 0,
            fd: -1,
            errno: 0,
            step: 0,
        };
        loop {
            // SAFETY: receives at most `ANNOUNCE_LEN` bytes into a live value
            // of plain data.
            let r = unsafe {
                libc::recv(
                    self.sock.as_raw_fd(),
                    (&raw mut msg).cast(),
                    ANNOUNCE_LEN,
                    flags,
                )
            };
            if r == ANNOUNCE_LEN as isize {
                return Ok(Some(msg));
            }
            if r >= 0 {
                return Ok(None);
            }
            match Errno::last().0 {
                libc::EINTR => {}
                libc::EAGAIN => return Ok(None),
                e => return Err(Errno(e)),
            }
        }
    }
}

fn child_failure(msg: &Announce) -> HandoffError {
    let step = match msg.step {
        s if s == ChildStep::Install as u32 => ChildStep::Install,
        _ => ChildStep::Announce,
    };
    HandoffError::Child {
        step,
        errno: Errno(msg.errno),
    }
}

/// Waits until `fd` is readable (true), `stop` is readable or the deadline
/// passes (false).
fn wait_readable(
    fd: BorrowedFd<'_>,
    stop: Option<BorrowedFd<'_>>,
    deadline: Instant,
) -> Result<bool, Errno> {
    let mut fds = [
        libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: stop.map_or(-1, |s| s.as_raw_fd()),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ms = left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
        // SAFETY: two initialized entries; a negative fd is ignored.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
        if r < 0 {
            if Errno::last().0 == libc::EINTR {
                continue;
            }
            return Err(Errno::last());
        }
        if fds[0].revents != 0 {
            return Ok(true);
        }
        if r > 0 || Instant::now() >= deadline {
            return Ok(false);
        }
    }
}

fn readable_now(fd: BorrowedFd<'_>) -> bool {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one initialized entry, no wait.
    unsafe { libc::poll(&raw mut p, 1, 0) > 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Below the x32 bit, above every table (mips64el n64 ends below 6000).
    const _: () = assert!(HANDSHAKE_NR & 0x4000_0000 == 0 && HANDSHAKE_NR > 100_000);

    #[test]
    fn id_valid_numbers() {
        // _IOW('!', 2, __u64) now, _IOR before 5.9.
        assert_eq!(IOCTL_ID_VALID, 0x4008_2102 as libc::Ioctl);
        assert_eq!(IOCTL_ID_VALID_OLD, 0x8008_2102_u32 as libc::Ioctl);
    }

    #[test]
    fn not_a_listener() {
        let (a, _b) = handoff().unwrap();
        let l = Listener::from_fd(a.sock);
        assert!(!l.is_listener());
        let e = l.is_pending(1).unwrap_err();
        assert!(
            matches!(
                e,
                NotifyError::Failed {
                    op: Op::IdValid,
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn accept_without_a_child_times_out() {
        let (a, _b) = handoff().unwrap();
        let e = a.accept(Duration::from_millis(20), None).unwrap_err();
        assert_eq!(e, HandoffError::NoChild);
    }
}
