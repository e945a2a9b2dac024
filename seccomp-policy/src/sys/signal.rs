//! Signal sets and masks, waiting for a signal, and waiting for a child
//! without reaping it: what signal forwarding and the session need.
//!
//! A `sigset_t` is plain data; each function here initialises the sets it
//! makes (`sigemptyset`) before the C library reads them, and passes the
//! kernel only live sets. None allocates.

use crate::install::Errno;

/// An empty signal set.
pub(crate) fn empty_signals() -> libc::sigset_t {
    // SAFETY: plain data, initialised by sigemptyset before any read.
    unsafe {
        let mut set: libc::sigset_t = core::mem::zeroed();
        libc::sigemptyset(&raw mut set);
        set
    }
}

/// Adds `sig` to `set` (nothing for a number that is no signal).
pub(crate) fn add_signal(set: &mut libc::sigset_t, sig: libc::c_int) {
    // SAFETY: a live, initialised set.
    unsafe { libc::sigaddset(set, sig) };
}

/// Whether `set` holds `sig`.
pub(crate) fn has_signal(set: &libc::sigset_t, sig: libc::c_int) -> bool {
    // SAFETY: a live, initialised set.
    unsafe { libc::sigismember(set, sig) == 1 }
}

/// `pthread_sigmask(SIG_BLOCK, set)`: blocks `set` in this thread (and the
/// threads it starts later); the mask before.
///
/// # Errors
///
/// The errno `pthread_sigmask` returns.
pub(crate) fn block_signals(set: &libc::sigset_t) -> Result<libc::sigset_t, Errno> {
    let mut old = empty_signals();
    // SAFETY: both point at live, initialised sets.
    let r = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, set, &raw mut old) };
    if r == 0 {
        Ok(old)
    } else {
        Err(Errno(r))
    }
}

/// `pthread_sigmask(SIG_UNBLOCK, set)`: async-signal-safe, one system call.
///
/// # Errors
///
/// The errno `pthread_sigmask` returns.
pub(crate) fn unblock_signals(set: &libc::sigset_t) -> Result<(), Errno> {
    // SAFETY: a live, initialised set; no old mask asked for.
    let r = unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, set, core::ptr::null_mut()) };
    if r == 0 {
        Ok(())
    } else {
        Err(Errno(r))
    }
}

/// `waitid(P_PID, pid, WEXITED | WNOWAIT)`: waits until child `pid` has
/// ended, leaving it unreaped, so its pid (and its group's id) cannot be
/// reused yet. Interrupted waits are retried.
///
/// # Errors
///
/// The kernel's errno (`ECHILD`: no such child).
pub(crate) fn wait_ended_unreaped(pid: u32) -> Result<(), Errno> {
    loop {
        // SAFETY: plain data, filled by waitid.
        let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
        // SAFETY: `info` is a live siginfo_t; the other arguments integers.
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &raw mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if r == 0 {
            return Ok(());
        }
        let errno = Errno::last();
        if errno.0 != libc::EINTR {
            return Err(errno);
        }
    }
}

/// Delivers `sig` to this thread as if it had never been blocked: unblocks
/// it in this thread, sends it to this thread (`raise`, which the C library
/// directs at the calling thread), then blocks it again. What happens is
/// the signal's disposition, as it would have without the block: the
/// default action (for SIGINT, SIGTERM, SIGHUP and SIGQUIT the process
/// ends, killed by `sig`), a handler of the program's (it runs in this
/// thread), or nothing when the signal is ignored.
///
/// # Errors
///
/// The errno of `pthread_sigmask` or `raise` (for a number that is no
/// signal); the mask is restored.
pub(crate) fn raise_unblocked(sig: libc::c_int) -> Result<(), Errno> {
    let mut set = empty_signals();
    add_signal(&mut set, sig);
    unblock_signals(&set)?;
    // SAFETY: an integer argument; sends to this thread.
    let raised = if unsafe { libc::raise(sig) } == 0 {
        Ok(())
    } else {
        Err(Errno::last())
    };
    block_signals(&set)?;
    raised
}
