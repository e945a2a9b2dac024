//! Small safe wrappers of the raw system calls the supervisor needs that
//! neither `std` nor seccomp user notification provide: pidfds, a pipe,
//! and the sender of a message on a unix socket.
//!
//! Each returns the kernel's errno on failure and hands descriptors back as
//! close-on-exec [`OwnedFd`]s. None allocates or takes a lock.

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use crate::install::Errno;

/// `pidfd_open(pid, 0)` (Linux 5.3): a close-on-exec descriptor for process
/// `pid` (a thread group leader).
///
/// # Errors
///
/// The kernel's errno (`ESRCH`: no such process).
pub(crate) fn pidfd_open(pid: u32) -> Result<OwnedFd, Errno> {
    // SAFETY: integer arguments only.
    let r = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0 as libc::c_uint) };
    if r < 0 {
        return Err(Errno::last());
    }
    // SAFETY: the kernel returned a new descriptor we now own.
    Ok(unsafe { OwnedFd::from_raw_fd(r as RawFd) })
}

/// `pidfd_send_signal(pidfd, sig, NULL, 0)` (Linux 5.1).
///
/// # Errors
///
/// The kernel's errno (`ESRCH`: the process has ended).
pub(crate) fn pidfd_send_signal(pidfd: BorrowedFd<'_>, sig: i32) -> Result<(), Errno> {
    // SAFETY: a live descriptor, a signal number, no siginfo.
    let r = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            sig,
            core::ptr::null::<libc::siginfo_t>(),
            0 as libc::c_uint,
        )
    };
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(())
    }
}

/// `pidfd_getfd(pidfd, fd, 0)` (Linux 5.6): a close-on-exec copy of
/// descriptor `fd` of the process behind `pidfd`.
///
/// # Errors
///
/// The kernel's errno (`EBADF`: the process has no descriptor `fd`;
/// `EPERM`: no ptrace access to it).
pub(crate) fn pidfd_getfd(pidfd: BorrowedFd<'_>, fd: RawFd) -> Result<OwnedFd, Errno> {
    // SAFETY: integer arguments only.
    let r = unsafe {
        libc::syscall(
            libc::SYS_pidfd_getfd,
            pidfd.as_raw_fd(),
            fd,
            0 as libc::c_uint,
        )
    };
    if r < 0 {
        return Err(Errno::last());
    }
    // SAFETY: the kernel returned a new descriptor we now own.
    Ok(unsafe { OwnedFd::from_raw_fd(r as RawFd) })
}

/// `pipe2(O_CLOEXEC)`: the read end, then the write end.
///
/// # Errors
///
/// The kernel's errno (`EMFILE`, `ENFILE`: out of descriptors).
pub(crate) fn pipe() -> Result<(OwnedFd, OwnedFd), Errno> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(Errno::last());
    }
    // SAFETY: both were just created and are ours.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// `setsockopt(SO_PASSCRED)` on unix socket `fd`: each message received on
/// it carries its sender's credentials, with the sender's pid as this
/// process's pid namespace numbers it (see [`recv_with_sender`]).
///
/// # Errors
///
/// The kernel's errno.
pub(crate) fn pass_credentials(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    let on: libc::c_int = 1;
    // SAFETY: a live descriptor and a pointer to a live int of the size given.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PASSCRED,
            (&raw const on).cast(),
            core::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(Errno::last())
    }
}

/// One message received by [`recv_with_sender`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Received {
    /// Its length (0: the other end is closed).
    pub len: usize,
    /// The pid of the process that sent it, in this process's pid
    /// namespace; `None` when it carried no credentials.
    pub sender: Option<u32>,
}

/// `recvmsg` of one message into `buf` on a unix socket with
/// [`pass_credentials`] set, with its sender's pid. The kernel fills the
/// credentials in, translated into the receiver's pid namespace, so they
/// name the sender even when it runs in a pid namespace of its own.
///
/// # Errors
///
/// The kernel's errno (`EAGAIN` with `MSG_DONTWAIT` and nothing there).
pub(crate) fn recv_with_sender(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    flags: libc::c_int,
) -> Result<Received, Errno> {
    // Room for one `SCM_CREDENTIALS` message, aligned for its header.
    let mut control = [0u64; 8];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: plain data, zero is a valid empty header.
    let mut msg: libc::msghdr = unsafe { core::mem::zeroed() };
    msg.msg_iov = &raw mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = core::mem::size_of_val(&control) as _;
    // SAFETY: `msg` points at live buffers of the sizes it states.
    let n = unsafe { libc::recvmsg(fd.as_raw_fd(), &raw mut msg, flags | libc::MSG_CMSG_CLOEXEC) };
    if n < 0 {
        return Err(Errno::last());
    }
    let mut sender = None;
    // SAFETY: walks the control messages the kernel wrote into `control`,
    // within `msg_controllen`, as the CMSG macros do.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&raw const msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_CREDENTIALS {
                let cred: libc::ucred = core::ptr::read_unaligned(libc::CMSG_DATA(c).cast());
                sender = u32::try_from(cred.pid).ok().filter(|&p| p > 0);
            }
            c = libc::CMSG_NXTHDR(&raw const msg, c);
        }
    }
    Ok(Received {
        len: n as usize,
        sender,
    })
}
