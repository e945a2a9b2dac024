//! Every raw system call of the run time, each behind a safe wrapper: the
//! one module tree of this crate with `unsafe` code (every other module is
//! `#[forbid(unsafe_code)]`, see `lib.rs`).
//!
//! Here: pidfds, a pipe, the sender of a message on a unix socket, and
//! what the relay process of [`supervise::lifetime`](crate::supervise::lifetime)
//! does between `fork` and `exec` (namespaces, mounts, signal masks, waiting,
//! process groups, small files), and an epoll instance. In the
//! submodules: [`seccomp`] (attaching a filter, the user-notification
//! `ioctl`s), [`child`] (the `pre_exec` hook, a bare `fork`, the other
//! steps of a child before `exec`, Landlock), [`signal`] (signal sets and
//! masks, waiting for a child unreaped), [`socket`] (the handoff's socket
//! pair, `poll`, a random cookie).
//!
//! Each wrapper states the invariant its `unsafe` block relies on: the
//! kernel is passed only live buffers of the lengths given, descriptors
//! the caller borrows or owns, and a descriptor the kernel returns is
//! owned exactly once (an [`OwnedFd`], close-on-exec). Each returns the
//! kernel's errno on failure. None allocates or takes a lock, so each may
//! run between `fork` and `exec`; two carry a contract about that which
//! the compiler cannot check, and say so: [`child::pre_exec`] and
//! [`child::fork`].
//!
//! Why not `rustix`, which wraps some of these (pidfds, pipes, epoll,
//! `waitid`, `prctl`)? The calls the runtime cannot do without are not
//! among them: `seccomp(SECCOMP_SET_MODE_FILTER)`, the
//! `SECCOMP_IOCTL_NOTIF_*` requests, `landlock_restrict_self`, a bare
//! `clone` without fork handlers, `SCM_CREDENTIALS` with `SO_PASSCRED`,
//! and signal masks (`rustix` keeps `sigprocmask` and `sigwait` in its
//! `runtime` module, documented as not for general use). Those stay here
//! whatever, so taking `rustix` for the rest would give the crate two ways
//! of making the same kind of call and a second dependency audited for
//! what it does between `fork` and `exec`, for about a third of the calls.

pub(crate) mod child;
pub(crate) mod seccomp;
pub(crate) mod signal;
pub(crate) mod socket;

pub(crate) use child::{fork, Forked};

use core::ffi::CStr;
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

/// `process_vm_readv` of up to `buf.len()` bytes at `addr` in process (or
/// thread) `pid` into `buf` (Linux 3.2): how many were read, fewer where
/// the range reaches memory the process has not mapped. Needs ptrace
/// access to it, as reading `/proc/PID/mem` does, without a descriptor.
///
/// # Errors
///
/// The kernel's errno (`EFAULT`: nothing mapped at `addr`; `ESRCH`;
/// `EPERM`).
pub(crate) fn read_process_memory(pid: u32, addr: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let remote = libc::iovec {
        iov_base: addr as usize as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: `local` describes `buf`, live and writable for the call;
    // `remote` is an address in the other process, which the kernel checks
    // and reads there, never here.
    let r = unsafe {
        libc::process_vm_readv(
            pid as libc::pid_t,
            &raw const local,
            1,
            &raw const remote,
            1,
            0,
        )
    };
    if r < 0 {
        return Err(Errno::last());
    }
    Ok(r as usize)
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

/// `unshare(flags)`: new namespaces for the calling process (and, for a
/// pid namespace, for the children it makes next).
///
/// # Errors
///
/// The kernel's errno (`EPERM`: not allowed here; `EINVAL`: this process
/// has threads, or a second pid namespace; `ENOSPC`: a limit reached).
pub(crate) fn unshare(flags: libc::c_int) -> Result<(), Errno> {
    // SAFETY: integer argument.
    if unsafe { libc::unshare(flags) } == 0 {
        Ok(())
    } else {
        Err(Errno::last())
    }
}

/// `mount(source, target, fstype, flags, NULL)`: `fstype` `None` changes
/// only the flags (or the propagation) of the mount at `target`.
///
/// # Errors
///
/// The kernel's errno (`EPERM`: no `CAP_SYS_ADMIN` in the user namespace
/// owning this mount namespace, or a new `proc` would reveal more than
/// the one already mounted).
pub(crate) fn mount(
    source: &CStr,
    target: &CStr,
    fstype: Option<&CStr>,
    flags: libc::c_ulong,
) -> Result<(), Errno> {
    let fstype = fstype.map_or(core::ptr::null(), CStr::as_ptr);
    // SAFETY: NUL-terminated strings or null, integer flags, no data.
    let r = unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            fstype,
            flags,
            core::ptr::null(),
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(Errno::last())
    }
}

/// A `prctl` option with one integer argument.
pub(crate) fn prctl1(option: libc::c_int, arg: libc::c_ulong) -> Result<(), Errno> {
    // SAFETY: prctl with integer arguments.
    if unsafe {
        libc::prctl(
            option,
            arg,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    } == 0
    {
        Ok(())
    } else {
        Err(Errno::last())
    }
}

/// `PR_SET_PDEATHSIG`: `sig` is sent to this process when the thread that
/// made it ends.
///
/// # Errors
///
/// The kernel's errno.
pub(crate) fn set_death_signal(sig: libc::c_int) -> Result<(), Errno> {
    prctl1(libc::PR_SET_PDEATHSIG, sig as libc::c_ulong)
}

/// `PR_SET_CHILD_SUBREAPER`: orphans among this process's descendants are
/// made its children instead of init's.
///
/// # Errors
///
/// The kernel's errno.
pub(crate) fn set_child_subreaper() -> Result<(), Errno> {
    prctl1(libc::PR_SET_CHILD_SUBREAPER, 1)
}

/// `PR_SET_DUMPABLE` 0 and a core size limit of 0: a fatal signal then
/// writes no core of this process.
pub(crate) fn no_core_dump() {
    let _ = prctl1(libc::PR_SET_DUMPABLE, 0);
    let none = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: a pointer to a live rlimit.
    unsafe { libc::setrlimit(libc::RLIMIT_CORE, &raw const none) };
}

/// Every signal, as a set.
pub(crate) fn all_signals() -> libc::sigset_t {
    // SAFETY: plain data, then initialised by sigfillset.
    unsafe {
        let mut set: libc::sigset_t = core::mem::zeroed();
        libc::sigfillset(&raw mut set);
        set
    }
}

/// `sigprocmask(SIG_SETMASK, set)`: this thread's signal mask becomes
/// `set`; the mask before is returned.
///
/// # Errors
///
/// The kernel's errno.
pub(crate) fn set_signal_mask(set: &libc::sigset_t) -> Result<libc::sigset_t, Errno> {
    // SAFETY: plain data, filled by the call.
    let mut old: libc::sigset_t = unsafe { core::mem::zeroed() };
    // SAFETY: both point at live sigsets.
    let r = unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, set, &raw mut old) };
    if r == 0 {
        Ok(old)
    } else {
        Err(Errno(r))
    }
}

/// One signal taken by [`wait_signal`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Taken {
    /// The signal.
    pub sig: libc::c_int,
    /// Whether a process sent it (`kill`, `sigqueue`, `tgkill`), rather
    /// than the kernel (a terminal, a child's end, a timer).
    pub sent: bool,
}

/// `sigwaitinfo(set)`: waits for one of the signals of `set`, which must
/// be blocked, and takes it.
///
/// # Errors
///
/// The kernel's errno.
pub(crate) fn wait_signal(set: &libc::sigset_t) -> Result<Taken, Errno> {
    loop {
        // SAFETY: plain data, filled by the call.
        let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
        // SAFETY: a live sigset and a live siginfo.
        let sig = unsafe { libc::sigwaitinfo(set, &raw mut info) };
        if sig > 0 {
            return Ok(Taken {
                sig,
                sent: info.si_code <= 0,
            });
        }
        let e = Errno::last();
        if e.0 != libc::EINTR {
            return Err(e);
        }
    }
}

/// Sets `sig`'s action to `SIG_IGN` (`ignore`) or `SIG_DFL`.
pub(crate) fn set_signal_action(sig: libc::c_int, ignore: bool) {
    // SAFETY: plain data; an empty mask and a constant handler.
    unsafe {
        let mut action: libc::sigaction = core::mem::zeroed();
        action.sa_sigaction = if ignore { libc::SIG_IGN } else { libc::SIG_DFL };
        libc::sigemptyset(&raw mut action.sa_mask);
        libc::sigaction(sig, &raw const action, core::ptr::null_mut());
    }
}

/// `waitpid(pid, flags)` for `pid` (-1: any child): the child that ended
/// and its raw wait status, or `None` with `WNOHANG` when none has.
///
/// # Errors
///
/// The kernel's errno (`ECHILD`: no such child).
pub(crate) fn wait_child(
    pid: libc::pid_t,
    flags: libc::c_int,
) -> Result<Option<(u32, i32)>, Errno> {
    loop {
        let mut status = 0;
        // SAFETY: a pointer to a live int.
        let r = unsafe { libc::waitpid(pid, &raw mut status, flags) };
        if r > 0 {
            return Ok(Some((r as u32, status)));
        }
        if r == 0 {
            return Ok(None);
        }
        let e = Errno::last();
        if e.0 != libc::EINTR {
            return Err(e);
        }
    }
}

/// `kill(pid, sig)`, for this process's own unreaped child `pid` only: its
/// pid cannot have been reused.
pub(crate) fn kill_child(pid: u32, sig: libc::c_int) {
    // SAFETY: integer arguments.
    unsafe { libc::kill(pid as libc::pid_t, sig) };
}

/// `kill(-pgid, sig)`: signals process group `pgid`, which must be led by
/// a process not yet reaped (this process's own unreaped child, or one its
/// pidfd has just reached), so its id cannot have been reused.
pub(crate) fn kill_group(pgid: u32, sig: libc::c_int) {
    // SAFETY: integer arguments.
    unsafe { libc::kill(-(pgid as libc::pid_t), sig) };
}

/// `setpgid(0, 0)`: a process group of its own, in the same session.
///
/// # Errors
///
/// The kernel's errno.
pub(crate) fn own_process_group() -> Result<(), Errno> {
    // SAFETY: integer arguments.
    if unsafe { libc::setpgid(0, 0) } == 0 {
        Ok(())
    } else {
        Err(Errno::last())
    }
}

/// Closes every descriptor from `first` up (`close_range`, Linux 5.9;
/// before that, one by one up to the descriptor limit).
pub(crate) fn close_from(first: RawFd) {
    // SAFETY: integer arguments; closes only this process's descriptors.
    let r = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            first as libc::c_uint,
            libc::c_uint::MAX,
            0 as libc::c_uint,
        )
    };
    if r == 0 {
        return;
    }
    // SAFETY: plain data, filled by the call.
    let mut limit: libc::rlimit = unsafe { core::mem::zeroed() };
    // SAFETY: a pointer to a live rlimit.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut limit) };
    let top = limit.rlim_cur.min(65_536) as RawFd;
    for fd in first..top {
        // SAFETY: closing a descriptor number; unused ones fail with EBADF.
        unsafe { libc::close(fd) };
    }
}

/// Whether the process behind `pidfd` has ended (its pidfd is readable).
pub(crate) fn has_ended(pidfd: BorrowedFd<'_>) -> bool {
    let mut p = libc::pollfd {
        fd: pidfd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one initialised entry, no wait.
    unsafe { libc::poll(&raw mut p, 1, 0) > 0 }
}

/// Writes all of `data` to the existing file `path`, in one `write`.
///
/// # Errors
///
/// The kernel's errno (`EIO` for a short write).
pub(crate) fn write_file(path: &CStr, data: &[u8]) -> Result<(), Errno> {
    // SAFETY: a NUL-terminated path and integer flags.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: the kernel just returned it.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: writes from a live slice.
    let n = unsafe { libc::write(fd.as_raw_fd(), data.as_ptr().cast(), data.len()) };
    match n {
        n if n < 0 => Err(Errno::last()),
        n if n as usize == data.len() => Ok(()),
        _ => Err(Errno(libc::EIO)),
    }
}

/// Reads file `path` into `buf`, up to its end or until `buf` is full; the
/// length read.
///
/// # Errors
///
/// The kernel's errno.
pub(crate) fn read_file(path: &CStr, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: a NUL-terminated path and integer flags.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: the kernel just returned it.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut len = 0;
    while len < buf.len() {
        let rest = &mut buf[len..];
        // SAFETY: reads into a live slice of the length given.
        let n = unsafe { libc::read(fd.as_raw_fd(), rest.as_mut_ptr().cast(), rest.len()) };
        match n {
            0 => break,
            n if n > 0 => len += n as usize,
            _ if Errno::last().0 == libc::EINTR => {}
            _ => return Err(Errno::last()),
        }
    }
    Ok(len)
}

/// Overwrites with zeros this process's copy of the strings of its
/// arguments and environment (the ranges `/proc/self/stat` gives as
/// `arg_start`..`arg_end` and `env_start`..`env_end`), so that
/// `/proc/PID/cmdline` and `/proc/PID/environ` of it read as zeros. For a
/// forked process that will never read them: the memory is its own copy.
///
/// Invariant the callers keep: the process has one thread (nothing reads
/// the strings while they are overwritten). The memory stays mapped and
/// every string in it stays terminated (it is all zeros), so a later read
/// of `std::env::args` or `environ` sees empty strings, not freed memory.
///
/// # Errors
///
/// The errno of reading `/proc/self/stat`; `EINVAL` when it does not hold
/// the ranges.
pub(crate) fn scrub_arguments_and_environment() -> Result<(), Errno> {
    let mut buf = [0u8; 1024];
    let len = read_file(c"/proc/self/stat", &mut buf)?;
    let ranges = stat_string_ranges(&buf[..len]).ok_or(Errno(libc::EINVAL))?;
    for (start, end) in ranges {
        if start < end {
            // SAFETY: the kernel's own bounds of this process's argument
            // and environment strings, mapped and writable (the top of the
            // main thread's stack); one thread, so nothing reads them
            // meanwhile (see above).
            unsafe { core::ptr::write_bytes(start as *mut u8, 0, end - start) };
        }
    }
    Ok(())
}

/// `[(arg_start, arg_end), (env_start, env_end)]` from the text of
/// `/proc/PID/stat` (fields 48 to 51, after the command name, which may
/// hold spaces and parentheses, and ends at the last `)`).
fn stat_string_ranges(stat: &[u8]) -> Option<[(usize, usize); 2]> {
    let close = stat.iter().rposition(|&b| b == b')')?;
    let mut fields = stat[close + 1..]
        .split(|&b| b == b' ' || b == b'\n')
        .filter(|f| !f.is_empty());
    // The first field after the name is field 3 (the state).
    let mut field = |n: usize| -> Option<usize> {
        let f = fields.nth(n)?;
        core::str::from_utf8(f).ok()?.parse().ok()
    };
    let arg_start = field(48 - 3)?;
    let arg_end = field(0)?;
    let env_start = field(0)?;
    let env_end = field(0)?;
    Some([(arg_start, arg_end), (env_start, env_end)])
}

/// This process's pid, effective uid and effective gid.
pub(crate) fn ids() -> (u32, u32, u32) {
    // SAFETY: no arguments; these cannot fail.
    unsafe { (libc::getpid() as u32, libc::geteuid(), libc::getegid()) }
}

/// Ends this process with `status` (a raw wait status): the same exit
/// code, or the same signal, which it first sets to its default action,
/// unblocks, and sends itself, with no core dump.
pub(crate) fn end_like(status: i32) -> ! {
    if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        no_core_dump();
        set_signal_action(sig, false);
        // SAFETY: plain data, then one signal added.
        unsafe {
            let mut set: libc::sigset_t = core::mem::zeroed();
            libc::sigemptyset(&raw mut set);
            libc::sigaddset(&raw mut set, sig);
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &raw const set, core::ptr::null_mut());
            libc::kill(libc::getpid(), sig);
        }
        // A signal whose default is to go on (it cannot end a process).
        // SAFETY: ends the process.
        unsafe { libc::_exit(128 + sig) };
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        1
    };
    // SAFETY: ends the process.
    unsafe { libc::_exit(code) }
}

/// Sleeps until a signal ends this process.
pub(crate) fn sleep_forever() -> ! {
    loop {
        // SAFETY: no arguments; returns only after a caught signal.
        unsafe { libc::pause() };
    }
}

/// An epoll instance (`epoll_create1(EPOLL_CLOEXEC)`).
///
/// Unlike `poll`, which the kernel refuses (`EINVAL`) once the number of
/// descriptors asked about exceeds `RLIMIT_NOFILE`, waiting on an epoll
/// instance made beforehand needs no resource a lowered limit takes away:
/// neither a new descriptor nor the limit's room.
#[derive(Debug)]
pub(crate) struct Epoll {
    fd: OwnedFd,
}

impl Epoll {
    /// A new instance.
    ///
    /// # Errors
    ///
    /// The kernel's errno (`EMFILE`, `ENFILE`: out of descriptors).
    pub(crate) fn new() -> Result<Epoll, Errno> {
        // SAFETY: an integer argument only.
        let r = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if r < 0 {
            return Err(Errno::last());
        }
        // SAFETY: the kernel returned a new descriptor we now own.
        let fd = unsafe { OwnedFd::from_raw_fd(r) };
        Ok(Epoll { fd })
    }

    /// Watches `fd` for input (level-triggered); its events carry `token`.
    ///
    /// # Errors
    ///
    /// The kernel's errno (`EEXIST`: already watched; `ENOMEM`).
    pub(crate) fn add(&self, fd: BorrowedFd<'_>, token: u64) -> Result<(), Errno> {
        let mut event = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: token,
        };
        // SAFETY: two live descriptors and a live event.
        let r = unsafe {
            libc::epoll_ctl(
                self.fd.as_raw_fd(),
                libc::EPOLL_CTL_ADD,
                fd.as_raw_fd(),
                &raw mut event,
            )
        };
        if r < 0 {
            Err(Errno::last())
        } else {
            Ok(())
        }
    }

    /// Waits up to `ms` milliseconds (-1: forever) for events, written to
    /// the start of `events`; returns how many there are (0: none came in
    /// time). Interrupted waits are retried.
    ///
    /// # Errors
    ///
    /// The kernel's errno.
    pub(crate) fn wait(&self, events: &mut [libc::epoll_event], ms: i32) -> Result<usize, Errno> {
        let max = events.len().min(i32::MAX as usize) as i32;
        loop {
            // SAFETY: `events` has room for `max` events.
            let r = unsafe { libc::epoll_wait(self.fd.as_raw_fd(), events.as_mut_ptr(), max, ms) };
            if r >= 0 {
                return Ok(r as usize);
            }
            let errno = Errno::last();
            if errno.0 != libc::EINTR {
                return Err(errno);
            }
        }
    }
}

/// `getsockopt(fd, SOL_SOCKET, opt)` of an `int` option (`SO_TYPE`,
/// `SO_PROTOCOL`): its value.
///
/// # Errors
///
/// The kernel's errno (`ENOTSOCK`: `fd` is not a socket).
pub(crate) fn socket_int_option(fd: BorrowedFd<'_>, opt: libc::c_int) -> Result<i32, Errno> {
    let mut value: libc::c_int = 0;
    let mut len = core::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` and `len` are live and writable for the call, and
    // `len` holds `value`'s size.
    let r = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            opt,
            (&raw mut value).cast(),
            &raw mut len,
        )
    };
    if r < 0 {
        return Err(Errno::last());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_string_ranges_are_read_after_the_last_parenthesis() {
        // Fields 3 to 47 as 0, then the four ranges, then field 52.
        let mut line = String::from("42 (a) (b c)) S");
        for _ in 4..48 {
            line.push_str(" 0");
        }
        line.push_str(" 100 110 110 150 0\n");
        assert_eq!(
            stat_string_ranges(line.as_bytes()),
            Some([(100, 110), (110, 150)])
        );
        assert_eq!(stat_string_ranges(b"42 (short) S 1 2 3"), None);
    }

    #[test]
    fn the_ranges_are_those_the_kernel_reads_for_cmdline_and_environ() {
        let mut buf = [0u8; 1024];
        let len = read_file(c"/proc/self/stat", &mut buf).expect("stat");
        let [(a0, a1), (e0, e1)] = stat_string_ranges(&buf[..len]).expect("ranges");
        // The kernel's own files of the same strings, read independently.
        let cmdline = std::fs::read("/proc/self/cmdline").expect("cmdline");
        let environ = std::fs::read("/proc/self/environ").expect("environ");
        assert_eq!(a1 - a0, cmdline.len());
        assert_eq!(e1 - e0, environ.len());
    }
}
