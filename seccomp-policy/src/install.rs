//! Installing a finished program into the calling process.
//!
//! [`apply`] is what most callers want: it sets `no_new_privs` and then
//! attaches the filter with `SECCOMP_FILTER_FLAG_TSYNC`, so every thread of
//! the process is covered, not only the calling one. [`Install`] is the same
//! operation with its switches exposed, for callers that must not
//! synchronize threads or want the kernel to log allowed calls.
//!
//! Everything on this path is async-signal-safe: no allocation, no locks, no
//! panics, two system calls (`prctl` and `seccomp`) and a read of `errno`.
//! It may run in a child between `fork` and `exec`, which is how
//! [`spawn`](crate::spawn) uses it.
//!
//! A filter cannot be removed once attached, and it is inherited across
//! `fork`, `clone` and `execve`. Filters stack: when several are attached,
//! each system call is checked against all of them and the most restrictive
//! verdict wins.

use core::fmt;

use crate::arch::Arch;
use crate::bpf::{SockFilter, BPF_MAXINSNS};
use crate::sys;

/// A raw `errno` value, as the kernel reported it.
///
/// Formatting never calls `strerror` (which may allocate or take a lock):
/// the name comes from the generated errno table ([`Errno::name`]) and is
/// printed with the number, e.g. `EACCES (13)`; a value without a name
/// prints as `errno 123`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

impl Errno {
    /// `errno` as the last failed system call on this thread left it.
    ///
    /// Reads the thread-local value without allocating. If the value cannot
    /// be read, which does not happen on Linux, `EINVAL` is returned.
    pub fn last() -> Errno {
        Errno(
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EINVAL),
        )
    }

    /// The number.
    pub const fn raw(self) -> i32 {
        self.0
    }

    /// The symbolic name (`"EACCES"`), from the kernel's errno names of
    /// the architecture this crate is compiled for ([`crate::errno::name`],
    /// the one table of them); `None` for a value no errno name has.
    pub const fn name(self) -> Option<&'static str> {
        match (Arch::NATIVE, self.0) {
            (Some(arch), n @ 1..=0xffff) => crate::errno::name(arch, n as u16),
            _ => None,
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({})", self.0),
            None => write!(f, "errno {}", self.0),
        }
    }
}

/// An errno is the end of every chain of [`source`](std::error::Error::source)s
/// that starts at a failed system call.
impl std::error::Error for Errno {}

impl From<Errno> for std::io::Error {
    /// An `io::Error` carrying the same raw OS error; does not allocate.
    fn from(e: Errno) -> Self {
        std::io::Error::from_raw_os_error(e.0)
    }
}

/// Why a filter could not be installed.
///
/// Nothing has been attached when any of these is returned (the kernel
/// attaches a filter entirely or not at all). After
/// [`NoNewPrivs`](InstallError::NoNewPrivs) nothing has changed; after the
/// other kernel errors `no_new_privs` may already be set, which only
/// restricts the process further.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstallError {
    /// The program has no instruction. The kernel would refuse it with
    /// `EINVAL`; it is refused before any system call is made.
    EmptyProgram,
    /// The program is longer than the kernel's limit
    /// ([`BPF_MAXINSNS`], 4096 instructions). Refused before any system call.
    TooLong {
        /// The program's length in instructions.
        len: usize,
    },
    /// `prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)` failed. On any kernel since
    /// 3.5 it cannot fail with these arguments, so in practice this means an
    /// earlier seccomp filter or an LSM refused `prctl` (typically `EPERM`),
    /// or the kernel is older than 3.5 (`EINVAL`).
    NoNewPrivs(Errno),
    /// `seccomp(SECCOMP_SET_MODE_FILTER, ...)` failed:
    ///
    /// - `EACCES`: the caller neither has `no_new_privs` set nor
    ///   `CAP_SYS_ADMIN` in its user namespace. Only possible with
    ///   [`Install::no_new_privs`]`(false)`.
    /// - `EINVAL`: the kernel's checker rejected the program (a jump out of
    ///   range, a load outside `seccomp_data`, a path that does not end in a
    ///   return, an unknown opcode), or a flag is unknown to this kernel
    ///   (`LOG` needs 4.14, `SPEC_ALLOW` 4.17, `NEW_LISTENER` 5.0,
    ///   `TSYNC_ESRCH` 5.7), or the kernel was built
    ///   without `CONFIG_SECCOMP_FILTER`.
    /// - `ENOSYS`: the kernel has no `seccomp` system call (before 3.17, or
    ///   built without `CONFIG_SECCOMP`), or an earlier filter answers
    ///   `seccomp` with `ENOSYS`, as container runtimes commonly do.
    /// - `ENOMEM`: out of memory, or the filters attached to the thread
    ///   would together exceed the kernel's limit of 32768 instructions
    ///   (each filter counts its length plus 4).
    /// - `EFAULT`: the program's address is not readable. Cannot happen
    ///   through this API, which passes a live slice.
    /// - `ESRCH`: with TSYNC, the kernel could not name the thread that
    ///   blocked synchronization (see [`Tsync`](InstallError::Tsync)), or
    ///   was asked not to ([`Install::apply_with_listener`]).
    /// - `EBUSY`: with `NEW_LISTENER`, a filter attached earlier already
    ///   has a listener (one per filter stack).
    /// - `EPERM`: an earlier filter or an LSM refused `seccomp` itself.
    Seccomp(Errno),
    /// With `SECCOMP_FILTER_FLAG_TSYNC`, another thread of the process could
    /// not be moved to the new filter, because its own filter stack is not an
    /// ancestor of the caller's (it attached a filter of its own without
    /// TSYNC), or it is in strict mode (`SECCOMP_MODE_STRICT`).
    ///
    /// The kernel reports this not through `errno` but as a positive return
    /// value: the thread id of the first such thread, in the caller's PID
    /// namespace. No thread's filter has changed, the caller's included.
    Tsync {
        /// The thread id (as `gettid()` returns it in that thread).
        thread: libc::pid_t,
    },
}

impl InstallError {
    /// The errno this error reports, or stands for when it must be reported
    /// as one (for example through `pre_exec`): `EINVAL` for programs refused
    /// before the system call, `ESRCH` for [`Tsync`](InstallError::Tsync).
    pub const fn errno(self) -> Errno {
        match self {
            InstallError::EmptyProgram | InstallError::TooLong { .. } => Errno(libc::EINVAL),
            InstallError::NoNewPrivs(e) | InstallError::Seccomp(e) => e,
            InstallError::Tsync { .. } => Errno(libc::ESRCH),
        }
    }
}

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstallError::EmptyProgram => f.write_str("seccomp filter has no instruction"),
            InstallError::TooLong { len } => write!(
                f,
                "seccomp filter has {len} instructions, more than the kernel's {BPF_MAXINSNS}"
            ),
            InstallError::NoNewPrivs(_) => f.write_str("prctl(PR_SET_NO_NEW_PRIVS) failed"),
            // What the errno (the source, not repeated here) means for it.
            InstallError::Seccomp(e) => {
                f.write_str("seccomp(SECCOMP_SET_MODE_FILTER) failed")?;
                match e.0 {
                    libc::EACCES => f.write_str(" (no_new_privs is not set and CAP_SYS_ADMIN is missing)"),
                    libc::EINVAL => f.write_str(" (program or flags rejected by the kernel)"),
                    libc::ENOSYS => f.write_str(" (seccomp unavailable or blocked by an earlier filter)"),
                    libc::ENOMEM => f.write_str(" (out of memory, or filter stack over 32768 instructions)"),
                    _ => Ok(()),
                }
            }
            InstallError::Tsync { thread } => write!(
                f,
                "seccomp TSYNC failed: thread {thread} has a filter that is not an ancestor of this thread's"
            ),
        }
    }
}

impl std::error::Error for InstallError {
    /// The kernel's errno, for the calls that failed.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InstallError::NoNewPrivs(e) | InstallError::Seccomp(e) => Some(e),
            InstallError::EmptyProgram
            | InstallError::TooLong { .. }
            | InstallError::Tsync { .. } => None,
        }
    }
}

impl From<InstallError> for std::io::Error {
    /// An `io::Error` carrying [`InstallError::errno`]; does not allocate,
    /// so it may be returned from a `pre_exec` closure.
    fn from(e: InstallError) -> Self {
        std::io::Error::from_raw_os_error(e.errno().0)
    }
}

/// How to install a filter: which `seccomp` flags to pass and whether to
/// set `no_new_privs` first.
///
/// [`Install::new`] (and [`Default`]) is what [`apply`] does: TSYNC on,
/// `no_new_privs` on, no logging, speculation mitigation left to the
/// kernel. Every setter is `const`, so an `Install` can be a constant.
///
/// ```no_run
/// use seccomp_policy::install::Install;
/// # let prog: &[seccomp_policy::SockFilter] = &[];
/// // Only the calling thread; other threads keep their own filters.
/// Install::new().tsync(false).apply(prog)?;
/// # Ok::<(), seccomp_policy::install::InstallError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Install {
    no_new_privs: bool,
    flags: libc::c_ulong,
}

impl Default for Install {
    fn default() -> Self {
        Install::new()
    }
}

impl Install {
    /// TSYNC and `no_new_privs` on, everything else off.
    pub const fn new() -> Install {
        Install {
            no_new_privs: true,
            flags: libc::SECCOMP_FILTER_FLAG_TSYNC,
        }
    }

    const fn flag(mut self, flag: libc::c_ulong, on: bool) -> Install {
        if on {
            self.flags |= flag;
        } else {
            self.flags &= !flag;
        }
        self
    }

    /// `SECCOMP_FILTER_FLAG_TSYNC` (default on): attach the filter to every
    /// thread of the process, atomically, or to none and fail with
    /// [`InstallError::Tsync`]. Without it only the calling thread (and
    /// threads it creates later) is filtered.
    #[must_use]
    pub const fn tsync(self, on: bool) -> Install {
        self.flag(libc::SECCOMP_FILTER_FLAG_TSYNC, on)
    }

    /// Set `no_new_privs` before attaching (default on). The kernel requires
    /// it unless the caller has `CAP_SYS_ADMIN`; it also makes `execve`
    /// ignore set-user-ID bits and file capabilities, so a filtered process
    /// cannot gain privileges. It is inherited and cannot be unset.
    #[must_use]
    pub const fn no_new_privs(mut self, on: bool) -> Install {
        self.no_new_privs = on;
        self
    }

    /// `SECCOMP_FILTER_FLAG_LOG` (default off, Linux 4.14): log every action
    /// other than `SECCOMP_RET_ALLOW` to the audit log, subject to
    /// `/proc/sys/kernel/seccomp/actions_logged`.
    #[must_use]
    pub const fn log(self, on: bool) -> Install {
        self.flag(libc::SECCOMP_FILTER_FLAG_LOG, on)
    }

    /// `SECCOMP_FILTER_FLAG_SPEC_ALLOW` (default off, Linux 4.17): do not
    /// turn on the speculative store bypass mitigation that attaching a
    /// filter otherwise enables.
    #[must_use]
    pub const fn spec_allow(self, on: bool) -> Install {
        self.flag(libc::SECCOMP_FILTER_FLAG_SPEC_ALLOW, on)
    }

    /// Whether TSYNC is requested.
    pub const fn is_tsync(&self) -> bool {
        self.flags & libc::SECCOMP_FILTER_FLAG_TSYNC != 0
    }

    /// The `flags` argument this passes to `seccomp(2)`.
    pub const fn flags(&self) -> libc::c_ulong {
        self.flags
    }

    /// Attaches `prog` to the calling thread (to every thread with TSYNC).
    /// `prog` is a program as it comes: a `&Program<N>` (what the builder
    /// and the `seccomp_policy!` expansion's `program` return), a slice of
    /// instructions, an array or a `Vec`.
    ///
    /// Async-signal-safe: allocates nothing, takes no lock, never panics.
    ///
    /// # Errors
    ///
    /// [`InstallError`]: `prog` empty or longer than the kernel accepts
    /// (before any system call), `prctl` or `seccomp` refused (with the
    /// errno), or another thread that TSYNC could not synchronize.
    pub fn apply(&self, prog: &(impl AsRef<[SockFilter]> + ?Sized)) -> Result<(), InstallError> {
        match self.attach(prog.as_ref())? {
            0 => Ok(()),
            // With TSYNC (and without TSYNC_ESRCH, which `apply` never
            // sets) a positive value is the id of a thread that could not
            // be synchronized.
            t => Err(InstallError::Tsync {
                thread: t as libc::pid_t,
            }),
        }
    }

    /// `no_new_privs`, then `seccomp(2)` with `self.flags`; the system
    /// call's non-negative return value.
    fn attach(&self, prog: &[SockFilter]) -> Result<libc::c_long, InstallError> {
        if prog.is_empty() {
            return Err(InstallError::EmptyProgram);
        }
        if prog.len() > BPF_MAXINSNS {
            return Err(InstallError::TooLong { len: prog.len() });
        }
        if self.no_new_privs {
            sys::seccomp::set_no_new_privs().map_err(InstallError::NoNewPrivs)?;
        }
        sys::seccomp::set_mode_filter(self.flags, prog).map_err(InstallError::Seccomp)
    }
}

impl Install {
    /// Attaches `prog` like [`apply`](Install::apply), with
    /// `SECCOMP_FILTER_FLAG_NEW_LISTENER` (Linux 5.0): the kernel returns a
    /// new file descriptor, the filter's *listener*, through which a
    /// supervisor receives the calls the filter answers with
    /// `SECCOMP_RET_USER_NOTIF` (see [`notify`](crate::notify)). The
    /// descriptor is the lowest free one, opened close-on-exec.
    ///
    /// The kernel refuses `NEW_LISTENER` together with TSYNC unless
    /// `SECCOMP_FILTER_FLAG_TSYNC_ESRCH` (Linux 5.7) is also passed, because
    /// a synchronization failure would otherwise be reported as a thread id
    /// in the place of the descriptor; with TSYNC on, this adds it, and a
    /// thread that cannot be synchronized is reported as
    /// `Seccomp(ESRCH)`. A single-threaded caller (a child between `fork`
    /// and `exec`) should turn TSYNC off and needs only Linux 5.0.
    ///
    /// The caller owns the returned descriptor. Async-signal-safe:
    /// allocates nothing, takes no lock, never panics.
    ///
    /// # Errors
    ///
    /// As [`apply`](Install::apply): which step failed, with its errno.
    pub fn apply_with_listener(
        &self,
        prog: &(impl AsRef<[SockFilter]> + ?Sized),
    ) -> Result<libc::c_int, InstallError> {
        let mut flags = self.flags | libc::SECCOMP_FILTER_FLAG_NEW_LISTENER;
        if self.is_tsync() {
            flags |= libc::SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
        }
        let with = Install {
            no_new_privs: self.no_new_privs,
            flags,
        };
        match with.attach(prog.as_ref())? {
            fd if fd >= 0 => Ok(fd as libc::c_int),
            // Not reachable: negative values are errors, handled in attach.
            _ => Err(InstallError::Seccomp(Errno(libc::EINVAL))),
        }
    }
}

/// Sets `no_new_privs` and attaches `prog` to every thread of the process
/// (`SECCOMP_FILTER_FLAG_TSYNC`). Same as `Install::new().apply(prog)`.
/// `prog` is a program as it comes: a `&Program<N>`, a slice, an array or a
/// `Vec` of instructions.
///
/// Async-signal-safe: allocates nothing, takes no lock, never panics, so it
/// may run between `fork` and `exec`.
///
/// ```no_run
/// use seccomp_policy::{install, Arch};
///
/// seccomp_policy::seccomp_policy!("../policy/seccomp.toml");
///
/// let prog = program(Arch::X86_64, Cap::NONE).expect("the policy builds");
/// install::apply(&prog)?; // this process, every thread, from now on
/// # Ok::<(), install::InstallError>(())
/// ```
///
/// # Errors
///
/// As [`Install::apply`].
pub fn apply(prog: &(impl AsRef<[SockFilter]> + ?Sized)) -> Result<(), InstallError> {
    Install::new().apply(prog)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::{BPF_K, BPF_RET, SECCOMP_RET_ALLOW};

    #[test]
    fn errno_display() {
        assert_eq!(Errno(libc::EACCES).to_string(), "EACCES (13)");
        assert_eq!(Errno(4000).to_string(), "errno 4000");
        assert_eq!(Errno(0).name(), None);
        assert_eq!(Errno(-1).name(), None);
        // Names of the kernel's errnos as libc numbers them (aliases show
        // the name they stand for; ENOTSUP is libc's name of EOPNOTSUPP).
        for (n, name) in [
            (libc::EPERM, "EPERM"),
            (libc::EAGAIN, "EAGAIN"),
            (libc::EWOULDBLOCK, "EAGAIN"),
            (libc::ENOSYS, "ENOSYS"),
            (libc::EMFILE, "EMFILE"),
            (libc::ENOTSUP, "EOPNOTSUPP"),
            (libc::EHWPOISON, "EHWPOISON"),
        ] {
            assert_eq!(Errno(n).name(), Some(name), "{n}");
        }
    }

    #[test]
    fn refused_before_any_system_call() {
        assert_eq!(apply(&[]), Err(InstallError::EmptyProgram));
        // A program as the builder returns it, by reference, and its slice.
        let empty = crate::Program::<4>::empty();
        assert_eq!(apply(&empty), Err(InstallError::EmptyProgram));
        assert_eq!(apply(empty.as_slice()), Err(InstallError::EmptyProgram));
        assert_eq!(
            Install::new().apply_with_listener(&empty),
            Err(InstallError::EmptyProgram)
        );
        let long = vec![SockFilter::stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW); BPF_MAXINSNS + 1];
        assert_eq!(apply(&long), Err(InstallError::TooLong { len: 4097 }));
        assert_eq!(InstallError::EmptyProgram.errno(), Errno(libc::EINVAL));
    }

    #[test]
    fn options() {
        let i = Install::new();
        assert!(i.is_tsync());
        assert_eq!(i.flags(), libc::SECCOMP_FILTER_FLAG_TSYNC);
        let j = i.tsync(false).log(true).spec_allow(true);
        assert_eq!(
            j.flags(),
            libc::SECCOMP_FILTER_FLAG_LOG | libc::SECCOMP_FILTER_FLAG_SPEC_ALLOW
        );
        assert_eq!(Install::default(), Install::new());
    }
}
