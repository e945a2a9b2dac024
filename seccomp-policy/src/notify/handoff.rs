//! Handing a spawned child's listener to its parent: the socket pair, the
//! child's announcement, the copy with `pidfd_getfd`, and the handshake
//! call (see the [`notify`](crate::notify) module docs for the protocol).

use core::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use super::{Listener, Readiness, Response, HANDSHAKE_NR};
use crate::bpf::SockFilter;
use crate::install::{Errno, Install, InstallError};
use crate::sys::{
    pass_credentials, pidfd_getfd, pidfd_open, pidfd_send_signal, recv_with_sender, seccomp, socket,
};

/// What the child sends before attaching its filter, and after a failure.
/// Which process sent it the kernel says (`SO_PASSCRED`), in the parent's
/// own pid namespace: the child's `getpid()` would be its own namespace's
/// number, 1 or 2 when it runs in a pid namespace of its own.
#[repr(C)]
#[derive(Clone, Copy)]
struct Announce {
    cookie: u64,
    /// A word of the caller's for the parent (`ChildHandoff::install_noting`).
    note: u32,
    /// The descriptor number the listener will get.
    fd: i32,
    /// 0, or the errno of a failed step in the child.
    errno: i32,
    /// Which step failed ([`ChildStep`] as a number).
    step: u32,
}

const ANNOUNCE_LEN: usize = core::mem::size_of::<Announce>();

impl Announce {
    /// The message's bytes: its fields in order, native byte order, as
    /// `#[repr(C)]` lays them out (no padding: 8 + 4 * 4 bytes).
    fn to_bytes(self) -> [u8; ANNOUNCE_LEN] {
        let mut b = [0u8; ANNOUNCE_LEN];
        b[0..8].copy_from_slice(&self.cookie.to_ne_bytes());
        b[8..12].copy_from_slice(&self.note.to_ne_bytes());
        b[12..16].copy_from_slice(&self.fd.to_ne_bytes());
        b[16..20].copy_from_slice(&self.errno.to_ne_bytes());
        b[20..24].copy_from_slice(&self.step.to_ne_bytes());
        b
    }

    /// The message [`to_bytes`](Announce::to_bytes) made.
    fn from_bytes(b: &[u8; ANNOUNCE_LEN]) -> Announce {
        let word = |at: usize| [b[at], b[at + 1], b[at + 2], b[at + 3]];
        let mut cookie = [0u8; 8];
        cookie.copy_from_slice(&b[0..8]);
        Announce {
            cookie: u64::from_ne_bytes(cookie),
            note: u32::from_ne_bytes(word(8)),
            fd: i32::from_ne_bytes(word(12)),
            errno: i32::from_ne_bytes(word(16)),
            step: u32::from_ne_bytes(word(20)),
        }
    }
}

/// Makes a handoff pair for one child: create it before spawning, move the
/// [`ChildHandoff`] into the `pre_exec` hook, and call
/// [`Handoff::accept`] on another thread.
///
/// # Errors
///
/// The errno of a failed `socketpair`, or of `setsockopt(SO_PASSCRED)` on
/// the parent's end.
pub fn handoff() -> Result<(Handoff, ChildHandoff), Errno> {
    let (parent, child) = socket::seqpacket_pair()?;
    pass_credentials(parent.as_fd())?;
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
    let c = socket::random_u64().unwrap_or_else(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        t ^ (u64::from(std::process::id()) << 32)
    });
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
        write!(f, "seccomp listener handoff: {:?} failed", self.step)
    }
}

impl std::error::Error for ChildError {
    /// The install error for [`ChildStep::Install`], else the errno.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.install {
            Some(e) => Some(e),
            None => Some(&self.errno),
        }
    }
}

impl From<ChildError> for io::Error {
    fn from(e: ChildError) -> io::Error {
        io::Error::from_raw_os_error(e.errno.0)
    }
}

impl ChildHandoff {
    /// In the child between `fork` and `exec`: attaches `prog` with a
    /// listener and hands the listener to the parent (see the [module
    /// docs](crate::notify)). Returns once the parent's
    /// [`Handoff::accept`] has answered the handshake.
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
        self.install_noting(install, prog, 0)
    }

    /// [`install`](ChildHandoff::install), with `note` sent to the parent
    /// in the announcement ([`Attached::note`]): one word about the child
    /// the parent cannot see from outside, such as what the steps before
    /// it made. The crate's supervisor says there what holds the
    /// command's tree; the word is its protocol, not API.
    ///
    /// # Errors
    ///
    /// As for [`install`](ChildHandoff::install).
    pub(crate) fn install_noting(
        &self,
        install: Install,
        prog: &[SockFilter],
        note: u32,
    ) -> Result<RawFd, ChildError> {
        let fail = |step, errno: Errno, install: Option<InstallError>| ChildError {
            step,
            errno,
            install,
        };
        // The lowest free descriptor: a duplicate takes it, and closing the
        // duplicate frees it again.
        let probe = socket::lowest_free_fd(self.sock.as_fd())
            .map_err(|errno| fail(ChildStep::PredictFd, errno, None))?;
        let mut msg = Announce {
            cookie: self.cookie,
            note,
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
        // The filter sends it to the supervisor, which answers 0.
        match seccomp::raw_call(
            HANDSHAKE_NR as libc::c_long,
            self.cookie,
            listener as libc::c_long,
        ) {
            Ok(0) => Ok(listener),
            Ok(_) => Err(fail(ChildStep::Handshake, Errno(libc::EPROTO), None)),
            Err(errno) => Err(fail(ChildStep::Handshake, errno, None)),
        }
    }

    fn send(&self, msg: &Announce) -> Result<(), Errno> {
        match socket::send(self.sock.as_fd(), &msg.to_bytes())? {
            ANNOUNCE_LEN => Ok(()),
            _ => Err(Errno(libc::EMSGSIZE)),
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
            HandoffError::Child { step, .. } => {
                write!(f, "the child failed to attach its filter ({step:?})")
            }
            HandoffError::ChildEnded => {
                f.write_str("the child ended before handing over its listener")
            }
            HandoffError::Io { what, .. } => write!(f, "{what} failed"),
            // What the errno (the source, not repeated here) means for it.
            HandoffError::GetFd(e) => {
                f.write_str("pidfd_getfd failed")?;
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

impl std::error::Error for HandoffError {
    /// The errno, for the variants that carry one.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HandoffError::Child { errno, .. }
            | HandoffError::Io { errno, .. }
            | HandoffError::GetFd(errno) => Some(errno),
            HandoffError::NoChild
            | HandoffError::ChildEnded
            | HandoffError::NotAListener
            | HandoffError::Handshake => None,
        }
    }
}

/// A child whose listener was handed over.
#[derive(Debug)]
pub struct Attached {
    /// The listener, with the handshake answered.
    pub listener: Listener,
    /// The child's pid, in this process's pid namespace (as the kernel
    /// named the announcement's sender).
    pub pid: u32,
    /// The note the child sent (0 from [`ChildHandoff::install`]; the
    /// crate's own supervisor sends what holds the command's tree).
    pub note: u32,
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
        self.wait_for_announcement(timeout, stop)?;
        let deadline = Instant::now() + timeout;
        let (msg, pid) = self.read_announcement()?;
        let pidfd = open_child(pid)?;
        let listener = self.copy_listener(pidfd.as_fd(), &msg, deadline)?;
        self.answer_handshake(&listener, &msg, pid, deadline)
            .map_err(|e| kill_child(pidfd.as_fd(), e))?;
        Ok(Attached {
            listener,
            pid,
            note: msg.note,
            pidfd,
        })
    }

    /// Waits for the child's announcement: until `stop` is readable, or
    /// without `stop` up to `timeout`; [`HandoffError::NoChild`] when none
    /// came.
    fn wait_for_announcement(
        &self,
        timeout: Duration,
        stop: Option<BorrowedFd<'_>>,
    ) -> Result<(), HandoffError> {
        let forever = Instant::now() + Duration::from_secs(100 * 365 * 86_400);
        let announce_by = if stop.is_some() {
            forever
        } else {
            Instant::now() + timeout
        };
        match wait_readable(self.sock.as_fd(), stop, announce_by) {
            Ok(true) => Ok(()),
            Ok(false) => Err(HandoffError::NoChild),
            Err(errno) => Err(HandoffError::Io {
                what: "poll",
                errno,
            }),
        }
    }

    /// Reads the announcement that arrived and checks it: this handoff's
    /// cookie, and no failure reported. With it, its sender's pid.
    fn read_announcement(&self) -> Result<(Announce, u32), HandoffError> {
        let received = self.recv_announce().map_err(|errno| HandoffError::Io {
            what: "recv",
            errno,
        })?;
        let Some((msg, sender)) = received else {
            return Err(HandoffError::NoChild);
        };
        if msg.cookie != self.cookie {
            return Err(HandoffError::Handshake);
        }
        if msg.errno != 0 {
            return Err(child_failure(&msg));
        }
        Ok((msg, sender))
    }

    /// Copies the listener out of the child (`pidfd_getfd`) once its
    /// `seccomp()` has made it, and checks it is one. Until then
    /// `pidfd_getfd` finds nothing at the announced number (`EBADF`), so it
    /// is retried until the child reports a failure, ends, or `deadline`
    /// passes. Any other failure kills the child.
    fn copy_listener(
        &self,
        pidfd: BorrowedFd<'_>,
        msg: &Announce,
        deadline: Instant,
    ) -> Result<Listener, HandoffError> {
        let mut pause = Duration::from_micros(20);
        let fd = loop {
            match pidfd_getfd(pidfd, msg.fd) {
                Ok(fd) => break fd,
                Err(e) if e.0 == libc::EBADF => {}
                Err(e) => return Err(kill_child(pidfd, HandoffError::GetFd(e))),
            }
            // A failure report from the child, or its end, or the deadline.
            if let Ok(Some((m, _))) = self.try_recv_announce() {
                if m.errno != 0 {
                    return Err(child_failure(&m));
                }
            }
            if readable_now(pidfd) {
                return Err(HandoffError::ChildEnded);
            }
            if Instant::now() >= deadline {
                return Err(kill_child(pidfd, HandoffError::Handshake));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(2));
        };
        let listener = Listener::from_fd(fd);
        if !listener.is_listener() {
            return Err(kill_child(pidfd, HandoffError::NotAListener));
        }
        Ok(listener)
    }

    /// Receives the child's handshake call on `listener` before `deadline`,
    /// checks it (the child's pid `pid`, the native architecture, the
    /// cookie and the announced descriptor), and answers it with 0, which
    /// lets the child go on to `execve`. Any failure is
    /// [`HandoffError::Handshake`].
    fn answer_handshake(
        &self,
        listener: &Listener,
        msg: &Announce,
        pid: u32,
        deadline: Instant,
    ) -> Result<(), HandoffError> {
        let left = deadline.saturating_duration_since(Instant::now());
        match listener.wait(Some(left)) {
            Ok(Readiness::Pending) => {}
            _ => return Err(HandoffError::Handshake),
        }
        let n = listener.recv().map_err(|_| HandoffError::Handshake)?;
        let native = crate::Arch::NATIVE.map(seccomp_policy_core::Arch::audit_arch);
        if n.tid != pid
            || n.nr != HANDSHAKE_NR as i32
            || Some(n.audit_arch) != native
            || n.args[0] != self.cookie
            || n.args[1] != msg.fd as u64
        {
            return Err(HandoffError::Handshake);
        }
        listener
            .respond(n.id, Response::Return(0))
            .map_err(|_| HandoffError::Handshake)
    }

    fn recv_announce(&self) -> Result<Option<(Announce, u32)>, Errno> {
        self.recv_flags(0)
    }

    fn try_recv_announce(&self) -> Result<Option<(Announce, u32)>, Errno> {
        self.recv_flags(libc::MSG_DONTWAIT)
    }

    /// One announcement and the pid of the process that sent it; `None` at
    /// the end of the stream, for a message of another size, or with
    /// `MSG_DONTWAIT` when none is there. One without its sender's
    /// credentials is an error (`EPROTO`).
    fn recv_flags(&self, flags: libc::c_int) -> Result<Option<(Announce, u32)>, Errno> {
        let mut buf = [0u8; ANNOUNCE_LEN];
        loop {
            match recv_with_sender(self.sock.as_fd(), &mut buf, flags) {
                Ok(r) if r.len == ANNOUNCE_LEN => {
                    let msg = Announce::from_bytes(&buf);
                    return match r.sender {
                        Some(pid) => Ok(Some((msg, pid))),
                        None => Err(Errno(libc::EPROTO)),
                    };
                }
                Ok(_) | Err(Errno(libc::EAGAIN)) => return Ok(None),
                Err(Errno(libc::EINTR)) => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// A pidfd for the announced child; [`HandoffError::ChildEnded`] if it is
/// already gone.
fn open_child(pid: u32) -> Result<OwnedFd, HandoffError> {
    match pidfd_open(pid) {
        Ok(fd) => Ok(fd),
        Err(e) if e.0 == libc::ESRCH => Err(HandoffError::ChildEnded),
        Err(errno) => Err(HandoffError::Io {
            what: "pidfd_open",
            errno,
        }),
    }
}

/// Kills the child (`SIGKILL` through its pidfd), so it never runs
/// unsupervised, and passes `e` on.
fn kill_child(pidfd: BorrowedFd<'_>, e: HandoffError) -> HandoffError {
    let _ = pidfd_send_signal(pidfd, libc::SIGKILL);
    e
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
        // A negative descriptor (no `stop`) is ignored.
        let r = match socket::poll(&mut fds, ms) {
            Ok(r) => r,
            Err(Errno(libc::EINTR)) => continue,
            Err(errno) => return Err(errno),
        };
        if fds[0].revents != 0 {
            return Ok(true);
        }
        if r > 0 || Instant::now() >= deadline {
            return Ok(false);
        }
    }
}

fn readable_now(fd: BorrowedFd<'_>) -> bool {
    crate::sys::has_ended(fd)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes sent are the `#[repr(C)]` layout the kernel would copy,
    /// and read back to the same message.
    #[test]
    fn announce_round_trips_in_its_c_layout() {
        assert_eq!(ANNOUNCE_LEN, 24);
        let msg = Announce {
            cookie: 0x0102_0304_0506_0708,
            note: 9,
            fd: -3,
            errno: libc::EBADF,
            step: ChildStep::Install as u32,
        };
        let b = msg.to_bytes();
        assert_eq!(b[..8], 0x0102_0304_0506_0708u64.to_ne_bytes());
        assert_eq!(b[12..16], (-3i32).to_ne_bytes());
        let back = Announce::from_bytes(&b);
        assert_eq!(
            (back.cookie, back.note, back.fd, back.errno, back.step),
            (msg.cookie, 9, -3, libc::EBADF, ChildStep::Install as u32)
        );
    }

    #[test]
    fn accept_without_a_child_times_out() {
        let (a, _b) = handoff().unwrap();
        let e = a.accept(Duration::from_millis(20), None).unwrap_err();
        assert_eq!(e, HandoffError::NoChild);
    }
}
