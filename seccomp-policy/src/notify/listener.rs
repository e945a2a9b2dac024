//! The listener: waiting for notifications, receiving them, answering
//! them, and reading or killing the process that made the call.

use core::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use super::{NotifyError, Op};
use seccomp_policy_core::text::shown;

use crate::install::Errno;
use crate::sys::{pidfd_open, pidfd_send_signal, seccomp, socket};

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
    /// for enforcement (see the [module docs](crate::notify)).
    Continue,
    /// Do not run the call; it returns this value.
    Return(i64),
    /// Do not run the call; it fails with this errno.
    Errno(Errno),
}

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
    /// The path or `[comm]`, escaped: both are the payload's to choose, and
    /// must not reach a terminal as control characters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Program::Exe(path) => write!(f, "{}", shown(path)),
            Program::Comm(comm) => write!(f, "[{}]", shown(comm)),
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

const IOCTL_ID_VALID: libc::Ioctl = libc::SECCOMP_IOCTL_NOTIF_ID_VALID;
/// The number `SECCOMP_IOCTL_NOTIF_ID_VALID` had until Linux 5.9 fixed its
/// direction (`_IOR` instead of `_IOW`); newer kernels accept both, older
/// ones only this.
const IOCTL_ID_VALID_OLD: libc::Ioctl = (2 << 30 | 8 << 16 | (b'!' as u32) << 8 | 2) as libc::Ioctl;
/// `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP` (Linux 6.6).
const FD_SYNC_WAKE_UP: u64 = 1;

/// `SECCOMP_IOCTL_NOTIF_ID_VALID` for `id`: `Ok` while it is pending.
fn id_valid(fd: BorrowedFd<'_>, id: u64) -> Result<(), Errno> {
    match seccomp::notif_id_valid(fd, IOCTL_ID_VALID, id) {
        // A kernel before 5.9 knows only the original number.
        Err(Errno(libc::EINVAL)) => seccomp::notif_id_valid(fd, IOCTL_ID_VALID_OLD, id),
        r => r,
    }
}

fn failed(op: Op, errno: Errno) -> NotifyError {
    NotifyError::Failed { op, errno }
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
        matches!(
            id_valid(self.fd.as_fd(), u64::MAX),
            Ok(()) | Err(Errno(libc::ENOENT))
        )
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
    /// `poll` fails with `EINVAL` while this process's `RLIMIT_NOFILE` is
    /// below the number of descriptors it asks about: a supervised process
    /// allowed `prlimit64` on its supervisor can make it fail. The
    /// supervisor waits on an epoll instance made beforehand instead.
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
            let r = match socket::poll(&mut fds[..n], ms) {
                Ok(r) => r,
                Err(Errno(libc::EINTR)) => continue,
                Err(errno) => return Err(failed(Op::Poll, errno)),
            };
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
            match seccomp::notif_recv(self.fd.as_fd()) {
                Ok(n) => {
                    return Ok(Notification {
                        id: n.id,
                        tid: n.pid,
                        nr: n.data.nr,
                        audit_arch: n.data.arch,
                        ip: n.data.instruction_pointer,
                        args: n.data.args,
                    })
                }
                Err(Errno(libc::EINTR)) => {}
                Err(Errno(libc::ENOENT)) => return Err(NotifyError::Gone),
                Err(errno) => return Err(failed(Op::Recv, errno)),
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
        match id_valid(self.fd.as_fd(), id) {
            Ok(()) => Ok(true),
            Err(Errno(libc::ENOENT)) => Ok(false),
            Err(errno) => Err(failed(Op::IdValid, errno)),
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
        let resp = libc::seccomp_notif_resp {
            id,
            val,
            error,
            flags,
        };
        match seccomp::notif_send(self.fd.as_fd(), &resp) {
            Ok(()) => Ok(()),
            Err(Errno(libc::ENOENT)) => Err(NotifyError::Gone),
            Err(errno) => Err(failed(Op::Send, errno)),
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
        seccomp::notif_set_flags(self.fd.as_fd(), FD_SYNC_WAKE_UP)
            .map_err(|errno| failed(Op::SetFlags, errno))
    }

    /// The process and program of the thread that made notification `n`,
    /// read from `/proc` and then confirmed: [`NotifyError::Gone`] if the
    /// notification stopped pending meanwhile, since the thread id may then
    /// already name another thread.
    ///
    /// Reading `/proc/TID/status` opens a descriptor, which fails
    /// (`EMFILE`) when this process has none left under its
    /// `RLIMIT_NOFILE`.
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
    /// the notification was no longer pending: nothing was signalled. The
    /// pidfd is a new descriptor, which fails (`EMFILE`) when this process
    /// has none left under its `RLIMIT_NOFILE`.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_valid_numbers() {
        // _IOW('!', 2, __u64) now, _IOR before 5.9.
        assert_eq!(IOCTL_ID_VALID, 0x4008_2102 as libc::Ioctl);
        assert_eq!(IOCTL_ID_VALID_OLD, 0x8008_2102_u32 as libc::Ioctl);
    }

    #[test]
    fn not_a_listener() {
        let (read, _write) = crate::sys::pipe().unwrap();
        let l = Listener::from_fd(read);
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
}
