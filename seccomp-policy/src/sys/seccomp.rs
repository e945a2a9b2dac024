//! `seccomp(2)` and its user-notification `ioctl`s, which neither `std`
//! nor `rustix` wraps.
//!
//! Each wrapper passes the kernel pointers only to values it owns or
//! borrows for the length of the call, with the sizes of their types, and
//! returns the kernel's errno on failure. None allocates or takes a lock,
//! so [`set_no_new_privs`], [`set_mode_filter`] and [`raw_call`] may run
//! between `fork` and `exec`.

use std::os::fd::{AsRawFd, BorrowedFd};

use crate::bpf::SockFilter;
use crate::install::Errno;

use super::prctl1;

/// `prctl(PR_SET_NO_NEW_PRIVS, 1)`: this thread (and what it starts) can
/// gain no privilege through `execve`; required before an unprivileged
/// `seccomp` filter or Landlock domain.
///
/// # Errors
///
/// The kernel's errno (`EINVAL` before Linux 3.5; `EPERM` from an earlier
/// filter or an LSM).
pub(crate) fn set_no_new_privs() -> Result<(), Errno> {
    prctl1(libc::PR_SET_NO_NEW_PRIVS, 1)
}

/// `seccomp(SECCOMP_SET_MODE_FILTER, flags, prog)`: attaches `prog`; the
/// call's non-negative return value (a listener descriptor with
/// `SECCOMP_FILTER_FLAG_NEW_LISTENER`, else 0). A positive value without
/// that flag is TSYNC's failed thread, which the caller tells apart.
///
/// Invariant kept here: the kernel reads `prog.len()` instructions from
/// `prog`, which outlives the call (the kernel copies it before
/// returning); `SockFilter` has the layout of `struct sock_filter`
/// (checked in core's `bpf` tests).
///
/// # Errors
///
/// `EINVAL` without a system call when `prog` has more instructions than
/// `struct sock_fprog` can count; otherwise the kernel's errno.
pub(crate) fn set_mode_filter(
    flags: libc::c_ulong,
    prog: &[SockFilter],
) -> Result<libc::c_long, Errno> {
    let Ok(len) = libc::c_ushort::try_from(prog.len()) else {
        return Err(Errno(libc::EINVAL));
    };
    let fprog = libc::sock_fprog {
        len,
        // The kernel only reads through this pointer.
        filter: prog.as_ptr().cast::<libc::sock_filter>().cast_mut(),
    };
    // SAFETY: `fprog` points at `len` live instructions of the kernel's
    // layout, borrowed for the call; the other arguments are integers.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER as libc::c_ulong,
            flags,
            &raw const fprog,
        )
    };
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r)
    }
}

/// A system call by number with two integer arguments, for a number a
/// filter is known to answer (the handoff's handshake): its return value.
///
/// Invariant kept here: the arguments are integers, never pointers, so
/// whatever the kernel (or a supervisor answering for it) does with
/// them, no memory of this process is read or written.
///
/// # Errors
///
/// The errno the call failed with.
pub(crate) fn raw_call(nr: libc::c_long, a: u64, b: libc::c_long) -> Result<libc::c_long, Errno> {
    // SAFETY: integer arguments only (see above).
    let r = unsafe { libc::syscall(nr, a, b) };
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r)
    }
}

/// `SECCOMP_IOCTL_NOTIF_RECV`: the next notification on listener `fd`,
/// blocking until there is one. Interrupted calls are not retried.
///
/// # Errors
///
/// The kernel's errno (`ENOENT`: the call vanished before it was received;
/// `EINTR`).
pub(crate) fn notif_recv(fd: BorrowedFd<'_>) -> Result<libc::seccomp_notif, Errno> {
    // The kernel requires a zeroed buffer.
    // SAFETY: seccomp_notif is plain integers; all-zero is a valid value.
    let mut n: libc::seccomp_notif = unsafe { core::mem::zeroed() };
    // SAFETY: the ioctl writes one seccomp_notif into a live local of
    // that type.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), libc::SECCOMP_IOCTL_NOTIF_RECV, &raw mut n) };
    if r == 0 {
        Ok(n)
    } else {
        Err(Errno::last())
    }
}

/// `SECCOMP_IOCTL_NOTIF_SEND`: answers a notification on listener `fd`.
///
/// # Errors
///
/// The kernel's errno (`ENOENT`: no longer pending).
pub(crate) fn notif_send(fd: BorrowedFd<'_>, resp: &libc::seccomp_notif_resp) -> Result<(), Errno> {
    let mut resp = *resp;
    // SAFETY: the ioctl reads one seccomp_notif_resp from a live local of
    // that type.
    let r = unsafe {
        libc::ioctl(
            fd.as_raw_fd(),
            libc::SECCOMP_IOCTL_NOTIF_SEND,
            &raw mut resp,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(Errno::last())
    }
}

/// `SECCOMP_IOCTL_NOTIF_ID_VALID` with request number `request` (the
/// current one, or the one before Linux 5.9; both read a `u64`): whether
/// notification `id` is still pending on `fd`.
///
/// # Errors
///
/// The kernel's errno (`ENOENT`: not pending; `ENOTTY`, `EINVAL`: not a
/// listener, or a request number this kernel does not know).
pub(crate) fn notif_id_valid(
    fd: BorrowedFd<'_>,
    request: libc::Ioctl,
    id: u64,
) -> Result<(), Errno> {
    let mut id = id;
    // SAFETY: both request numbers make the kernel read one u64 from a
    // live local.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), request, &raw mut id) };
    if r == 0 {
        Ok(())
    } else {
        Err(Errno::last())
    }
}

/// `SECCOMP_IOCTL_NOTIF_SET_FLAGS` with `flags`, passed by value.
///
/// # Errors
///
/// The kernel's errno (`EINVAL` before Linux 6.6).
pub(crate) fn notif_set_flags(fd: BorrowedFd<'_>, flags: u64) -> Result<(), Errno> {
    // SAFETY: the request takes an integer argument, not a pointer.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), libc::SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags) };
    if r == 0 {
        Ok(())
    } else {
        Err(Errno::last())
    }
}
