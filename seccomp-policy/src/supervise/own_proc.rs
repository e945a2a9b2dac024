//! The command's own `/proc`, in its pid namespace.
//!
//! A pid namespace keeps the command from outliving its run, but not from
//! looking outside: `/proc` is still the machine's, and lists every
//! process. Landlock keeps a domain from ptracing them and from opening
//! their `mem` and `syscall`, but Linux (6.18 at least) still lets it read
//! `/proc/PID/environ`, `cmdline`, `maps`, `status` and the `fd` listing of
//! any process of its uid: the harness's environment, with whatever
//! secrets it holds, among them.
//!
//! So the command's process, before it enters the domain, takes a mount
//! namespace of its own and mounts a new `proc` on `/proc`. A `proc` shows
//! the pid namespace of the process that mounted it: the sandbox's, whose
//! processes are the command's tree (and the namespace's init). Processes
//! outside have no entry there; their pids name nothing, or one of the
//! tree's own. The mounts of the new namespace are made slaves first, so
//! nothing mounted in it reaches the machine's.
//!
//! The Landlock rules the parent made on paths beneath `/proc` name the
//! machine's, which the new mount hides; the child makes them again on
//! the new one (`Domain::remake_proc_rules`).
//!
//! This needs `CAP_SYS_ADMIN` in the user namespace that owns the pid
//! namespace: root has it, and so does the owner of a user namespace made
//! for the pid namespace. The kernel also refuses a new `proc` where the
//! one mounted has parts hidden under other mounts (a container's masked
//! `/proc/kcore`, ...), since the new one would show them. Where it cannot
//! be mounted, the command keeps the machine's `/proc`, and the report says
//! so ([`Lifetime::PidNamespace`](super::Lifetime::PidNamespace)).

use crate::domain::Domain;
use crate::install::Errno;
use crate::sys;

/// In the command's process, in its pid namespace, between `fork` and
/// `exec`, before it enters `domain`: its own `/proc` ([`mount`]) with
/// `domain`'s rules beneath `/proc` made again there. `Ok(false)` when it
/// keeps the machine's: the domain's rules could not be made again (see
/// `Domain::allows_own_proc`), or the mount failed.
///
/// Not API: the supervisor's spawn path calls it. It is public, and hidden
/// from the docs, so that `tests/no_alloc.rs` can count its allocations in
/// a forked child. Async-signal-safe: system calls only.
///
/// # Errors
///
/// The errno of a rule that could not be made again once the new `/proc`
/// was mounted: the command must not start with a `/proc` its domain then
/// refuses.
#[doc(hidden)]
pub fn give(domain: &Domain) -> Result<bool, Errno> {
    if !domain.allows_own_proc() || mount().is_err() {
        return Ok(false);
    }
    domain.remake_proc_rules()?;
    Ok(true)
}

/// In the command's process, in its pid namespace, between `fork` and
/// `exec`: a mount namespace of its own, its mounts slaves of the
/// machine's, and a new `proc` on `/proc` (no set-user-id, devices or
/// execution from it).
///
/// Async-signal-safe: three system calls.
///
/// # Errors
///
/// The errno of the step that failed (`EPERM`: see the [module
/// docs](self)); the mount namespace may then have been made, with
/// nothing mounted in it.
pub(crate) fn mount() -> Result<(), Errno> {
    sys::unshare(libc::CLONE_NEWNS)?;
    sys::mount(c"none", c"/", None, libc::MS_REC | libc::MS_SLAVE)?;
    sys::mount(
        c"proc",
        c"/proc",
        Some(c"proc"),
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
    )
}
