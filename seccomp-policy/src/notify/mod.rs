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
//!    and `exec`), and sends that number over a private `AF_UNIX` socket
//!    pair, *before* the filter exists, so the policy need not allow any
//!    call for it. The parent's end has `SO_PASSCRED`, so the kernel adds
//!    the sender's pid as the *parent's* pid namespace numbers it: right
//!    even when the child runs in a pid namespace of its own, where its
//!    `getpid()` would say 1 or 2. The announcement also carries one word
//!    of the caller's (the supervisor's relay says there what holds the
//!    command's tree);
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

// The listener and what it does with notifications; getting it out of a
// spawned child. Both are re-exported here, their public paths are
// `notify::NAME`.
mod handoff;
mod listener;

use core::fmt;

use crate::install::Errno;

pub use handoff::{handoff, Attached, ChildError, ChildHandoff, ChildStep, Handoff, HandoffError};
pub use listener::{Listener, Notification, ProcessInfo, Program, Readiness, Response};

/// The handshake call's number: above every architecture's table (the
/// highest, mips64el n64 from 5000, ends below 6000; x32 numbers have bit 30
/// set, this one has not), so a filter built from a policy never allows it
/// and the kernel itself would answer it with `ENOSYS`.
pub const HANDSHAKE_NR: u32 = 0x3fff_5e00;

/// Which operation a [`NotifyError::Failed`] comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `poll` on the listener.
    Poll,
    /// `epoll_wait` on an epoll instance watching the listener.
    EpollWait,
    /// `epoll_ctl` adding the listener to an epoll instance.
    EpollCtl,
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
            Op::EpollWait => "epoll_wait",
            Op::EpollCtl => "epoll_ctl",
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
            NotifyError::Failed { op, .. } => write!(f, "{} failed", op.name()),
        }
    }
}

impl std::error::Error for NotifyError {
    /// The kernel's errno, for [`NotifyError::Failed`].
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NotifyError::Failed { errno, .. } => Some(errno),
            NotifyError::Gone => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Below the x32 bit, above every table (mips64el n64 ends below 6000).
    const _: () = assert!(HANDSHAKE_NR & 0x4000_0000 == 0 && HANDSHAKE_NR > 100_000);
}
