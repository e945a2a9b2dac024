//! Descriptors the listener handoff needs: a socket pair, bytes sent on
//! it, the lowest free descriptor number, `poll`, a random cookie, and one
//! write.
//!
//! Each passes the kernel only live buffers with their own lengths and
//! returns the kernel's errno; none allocates, so each may run between
//! `fork` and `exec`.

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use crate::install::Errno;

/// `socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC)`: two connected
/// ends that keep message boundaries.
///
/// # Errors
///
/// The kernel's errno (`EMFILE`, `ENFILE`: out of descriptors).
pub(crate) fn seqpacket_pair() -> Result<(OwnedFd, OwnedFd), Errno> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors the kernel writes.
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
    // SAFETY: both descriptors were just created and nothing else owns them.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// `send(fd, data, MSG_NOSIGNAL)`: the number of bytes sent.
///
/// # Errors
///
/// The kernel's errno (`EPIPE`: the other end is closed).
pub(crate) fn send(fd: BorrowedFd<'_>, data: &[u8]) -> Result<usize, Errno> {
    // SAFETY: the kernel reads `data.len()` bytes from a live slice.
    let r = unsafe {
        libc::send(
            fd.as_raw_fd(),
            data.as_ptr().cast(),
            data.len(),
            libc::MSG_NOSIGNAL,
        )
    };
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r as usize)
    }
}

/// `write(fd, data)`, once: the number of bytes written.
///
/// # Errors
///
/// The kernel's errno.
pub(crate) fn write(fd: BorrowedFd<'_>, data: &[u8]) -> Result<usize, Errno> {
    // SAFETY: the kernel reads `data.len()` bytes from a live slice.
    let r = unsafe { libc::write(fd.as_raw_fd(), data.as_ptr().cast(), data.len()) };
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r as usize)
    }
}

/// The lowest descriptor number free in this process now: a close-on-exec
/// duplicate of `fd` takes it (`fcntl(F_DUPFD_CLOEXEC, 0)`), and closing
/// the duplicate frees it again. Only a single-threaded process can rely
/// on the number staying free.
///
/// # Errors
///
/// The kernel's errno (`EMFILE`: no descriptor free under the limit).
pub(crate) fn lowest_free_fd(fd: BorrowedFd<'_>) -> Result<RawFd, Errno> {
    // SAFETY: duplicates a live descriptor; integer arguments.
    let probe = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) };
    if probe < 0 {
        return Err(Errno::last());
    }
    // SAFETY: the duplicate was just made and nothing else owns it.
    drop(unsafe { OwnedFd::from_raw_fd(probe) });
    Ok(probe)
}

/// `poll(fds, ms)`: how many entries have events (0: the timeout passed).
/// Entries with a negative descriptor are ignored by the kernel.
///
/// # Errors
///
/// The kernel's errno (`EINTR`; `EINVAL` when `fds` is longer than
/// `RLIMIT_NOFILE`).
pub(crate) fn poll(fds: &mut [libc::pollfd], ms: libc::c_int) -> Result<usize, Errno> {
    let Ok(n) = libc::nfds_t::try_from(fds.len()) else {
        return Err(Errno(libc::EINVAL));
    };
    // SAFETY: `fds` holds `n` initialised entries the kernel may write.
    let r = unsafe { libc::poll(fds.as_mut_ptr(), n, ms) };
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r as usize)
    }
}

/// Eight random bytes from `getrandom(GRND_NONBLOCK)`, `None` when the
/// kernel has none to give yet (or no `getrandom`).
pub(crate) fn random_u64() -> Option<u64> {
    let mut c = 0u64;
    // SAFETY: writes at most 8 bytes into a live u64.
    let r = unsafe { libc::getrandom((&raw mut c).cast(), 8, libc::GRND_NONBLOCK) };
    (r == 8).then_some(c)
}
