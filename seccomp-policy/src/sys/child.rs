//! What a child runs between `fork` and `exec`: the `pre_exec` hook
//! itself, a bare `fork` for the relay, a new session, the parent's pid,
//! adding a rule to a Landlock ruleset and entering its domain, and `_exit`.
//!
//! Between `fork` and `exec` the child has one thread, and the C library's
//! locks may be held by threads that no longer exist in it: the child may
//! run only async-signal-safe code (no allocation, no lock, no panic).
//! Each wrapper here keeps to that. The hooks passed to [`pre_exec`] must
//! too: that is the one contract the compiler cannot check, so this
//! crate keeps it by construction (hooks made of these wrappers and the
//! other `sys` ones, errors as raw errnos) and `tests/no_alloc.rs` counts
//! every allocation the hooks' steps make.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd as _};
use std::os::unix::process::CommandExt as _;
use std::process::Command;

use crate::install::Errno;

/// Adds `hook` to the steps `command`'s child runs between `fork` and
/// `exec` (`CommandExt::pre_exec`).
///
/// Invariant the callers keep (the reason `pre_exec` is `unsafe`): `hook`
/// allocates nothing, takes no lock and cannot panic; its errors are raw
/// OS errors (`io::Error::from_raw_os_error`, which does not allocate).
/// Every hook of this crate is a sequence of `sys` wrappers.
pub(crate) fn pre_exec<F>(command: &mut Command, hook: F) -> &mut Command
where
    F: FnMut() -> io::Result<()> + Send + Sync + 'static,
{
    // SAFETY: the hook is async-signal-safe, as every caller in this
    // crate makes it (see above; `tests/no_alloc.rs`).
    unsafe { command.pre_exec(hook) }
}

/// Which side of a [`fork`] this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Forked {
    /// The new process.
    Child,
    /// The calling process; the new one's pid.
    Parent(u32),
}

/// A bare `fork`: the `clone` system call with `SIGCHLD` and nothing else,
/// without the C library's fork handlers (which may take locks). The new
/// process gets a copy of this one; in a pid namespace made with
/// [`unshare`](super::unshare) before, the first one is its init.
///
/// Invariant the callers keep: the calling process has one thread (it is
/// the child of a `pre_exec` hook, or a test's forked child), and the new
/// process keeps to async-signal-safe code until it `exec`s or `_exit`s,
/// since the C library's state about threads is not updated in it. The
/// only caller is the relay's `Containment::split`, documented so.
///
/// # Errors
///
/// The kernel's errno (`EAGAIN`: out of processes; `ENOMEM`: the pid
/// namespace's init has ended).
pub(crate) fn fork() -> Result<Forked, Errno> {
    // s390x takes the stack before the flags; the others the flags first.
    #[cfg(target_arch = "s390x")]
    // SAFETY: no new stack and no tid pointers: a plain fork, which copies
    // this single-threaded process (see above).
    let r = unsafe { libc::syscall(libc::SYS_clone, 0, libc::SIGCHLD, 0, 0, 0) };
    #[cfg(not(target_arch = "s390x"))]
    // SAFETY: as above.
    let r = unsafe { libc::syscall(libc::SYS_clone, libc::SIGCHLD, 0, 0, 0, 0) };
    match r {
        0 => Ok(Forked::Child),
        r if r > 0 => Ok(Forked::Parent(r as u32)),
        _ => Err(Errno::last()),
    }
}

/// `_exit(code)`: ends this process at once, without running destructors
/// or `atexit` handlers (which a forked child must not run).
pub(crate) fn exit_now(code: i32) -> ! {
    // SAFETY: ends the process; no state of this process is used after.
    unsafe { libc::_exit(code) }
}

/// `setsid()`: a new session and process group, no controlling terminal.
///
/// # Errors
///
/// The kernel's errno (`EPERM`: already a group leader).
pub(crate) fn new_session() -> Result<(), Errno> {
    // SAFETY: no arguments.
    if unsafe { libc::setsid() } < 0 {
        Err(Errno::last())
    } else {
        Ok(())
    }
}

/// `getppid()`: the parent's pid, in this process's pid namespace (0 when
/// the parent is outside it).
pub(crate) fn parent_pid() -> libc::pid_t {
    // SAFETY: no arguments; cannot fail.
    unsafe { libc::getppid() }
}

/// `landlock_restrict_self(ruleset, 0)` (Linux 5.13): this thread enters
/// the Landlock domain of `ruleset`.
///
/// # Errors
///
/// The kernel's errno (`EPERM`: no `no_new_privs` and no
/// `CAP_SYS_ADMIN`; `E2BIG`: too many stacked domains).
pub(crate) fn landlock_restrict_self(ruleset: BorrowedFd<'_>) -> Result<(), Errno> {
    // SAFETY: a live descriptor and no flags; no pointer.
    let r = unsafe {
        libc::syscall(
            libc::SYS_landlock_restrict_self,
            ruleset.as_raw_fd(),
            0 as libc::c_uint,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(Errno::last())
    }
}

/// `struct landlock_path_beneath_attr` (`<linux/landlock.h>`, packed).
#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

/// `LANDLOCK_RULE_PATH_BENEATH` (`<linux/landlock.h>`).
const RULE_PATH_BENEATH: libc::c_int = 1;

/// Opens `path` with `O_PATH` (following symlinks) and adds to `ruleset`
/// the rule granting `access` (Landlock's `LANDLOCK_ACCESS_FS_*` bits)
/// beneath what it names (`landlock_add_rule`, Linux 5.13).
///
/// # Errors
///
/// The kernel's errno: of the `open` (`ENOENT`), or of the rule (`EINVAL`:
/// a right the ruleset does not handle, or one only directories take on
/// a file).
pub(crate) fn landlock_add_path_rule(
    ruleset: BorrowedFd<'_>,
    path: &core::ffi::CStr,
    access: u64,
) -> Result<(), Errno> {
    // SAFETY: a NUL-terminated path and integer flags.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: the kernel just returned it; owned once, closed on drop.
    let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
    let attr = PathBeneathAttr {
        allowed_access: access,
        parent_fd: fd.as_raw_fd(),
    };
    // SAFETY: a live descriptor, the rule type the attribute is for, and a
    // pointer to that attribute, live for the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_landlock_add_rule,
            ruleset.as_raw_fd(),
            RULE_PATH_BENEATH,
            &raw const attr,
            0 as libc::c_uint,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(Errno::last())
    }
}

/// `LANDLOCK_CREATE_RULESET_VERSION` (`<linux/landlock.h>`).
const CREATE_RULESET_VERSION: libc::c_uint = 1;

/// The kernel's Landlock ABI (`landlock_create_ruleset` with
/// `LANDLOCK_CREATE_RULESET_VERSION`), 0 when it has none.
pub(crate) fn landlock_abi() -> u32 {
    // SAFETY: the version query takes no attribute (null, size 0).
    let r = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            core::ptr::null::<u8>(),
            0usize,
            CREATE_RULESET_VERSION,
        )
    };
    u32::try_from(r).unwrap_or(0)
}
