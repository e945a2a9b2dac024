//! Small safe wrappers of the raw system calls the supervisor needs that
//! neither `std` nor seccomp user notification provide: pidfds and a pipe.
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
