//! The Landlock domain every sandbox runs in.
//!
//! A seccomp filter judges a call by its number and registers; it cannot
//! tell the supervisor's `/proc/PID/mem` from the payload's own, nor the
//! harness's pid from a child's. Seccomp alone therefore leaves a payload
//! free to write machine code into its supervisor through `/proc/PPID/mem`
//! (`openat`, `lseek`, `write`: calls every program needs), to read its
//! memory and environment, and to stop or kill it and any other process
//! of the same user.
//!
//! Landlock, a Linux security module any process may use on itself, closes
//! that. A process inside a Landlock *domain*
//!
//! - cannot ptrace, nor open `/proc/PID/mem`, `/proc/PID/syscall`,
//!   `/proc/PID/environ`, nor `pidfd_getfd` from, a process outside its
//!   domain, whatever its capabilities (every Landlock ABI);
//! - with [`LANDLOCK_SCOPE_SIGNAL`](https://docs.kernel.org/userspace-api/landlock.html#scope-flags)
//!   (ABI 6, Linux 6.12), cannot send a signal to a process outside it;
//! - with `LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET` (ABI 6), cannot connect to
//!   an abstract unix socket made outside it.
//!
//! Processes in the same domain (the payload and what it starts) still
//! reach each other. The domain is inherited across `fork` and `execve` and
//! can never be left.
//!
//! A [`Domain`] is built in the parent ([`Domain::new`]): it asks the kernel
//! which ABI it has, refuses to go on with less than the sandbox needs
//! ([`REQUIRED_ABI`]) unless the caller accepts less ([`Degraded::Allow`]),
//! and makes the ruleset. The child, between `fork` and `exec`, only sets
//! `no_new_privs` and calls `landlock_restrict_self` on the inherited
//! descriptor ([`Domain::enter`]): two system calls, no allocation. It does
//! so before the seccomp filter is attached, so the filter need not allow
//! either call.
//!
//! A policy's `fs` and `net` tables (see [`reach`](crate::reach)) add to
//! the same domain ([`Domain::for_policy`]): when a granted table has `fs`,
//! files can be reached only beneath the paths the granted tables list;
//! when one has `net`, TCP `connect` and `bind` only to the ports they list
//! (Landlock confines TCP only: UDP and other families are the filter's to
//! refuse). Their variables take the values of a [`Vars`]. A refused open
//! or connect fails with `EACCES`, the kernel's own answer, which the
//! supervisor does not see.
//!
//! Beside the scopes, the ruleset handles the right to make block and
//! character device nodes and grants it nowhere: no payload needs
//! `mknod` of a device, and for a root payload it would be a way to the raw
//! disk or memory. Handling a file-system right is also what makes a domain
//! at all on kernels older than ABI 6, where a ruleset of scopes alone
//! cannot be made.

mod ruleset;
mod vars;

use core::fmt;
use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd as _, OwnedFd};
use std::path::Path;

use crate::install::Errno;
use crate::policy::Policy;
use crate::reach::Reach;

pub use vars::Vars;

/// The Landlock ABI the sandbox needs for its whole containment: 6 (Linux
/// 6.12), the first with the signal and abstract-unix-socket scopes.
pub const REQUIRED_ABI: u32 = 6;

/// What to do on a kernel whose Landlock is missing or older than
/// [`REQUIRED_ABI`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Degraded {
    /// Refuse to run ([`DomainError::Unsupported`]). The default.
    #[default]
    Refuse,
    /// Run with what the kernel has, which [`Domain::enforced`] tells: the
    /// ptrace isolation from ABI 1, nothing without Landlock.
    Allow,
}

/// What a [`Domain`] enforces, for reports.
///
/// Any domain confines ptrace and device nodes; the scopes (signals,
/// abstract unix sockets) need ABI [`REQUIRED_ABI`]; files and ports are
/// confined when a granted table has `fs` or `net`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Enforced {
    abi: u32,
    scoped: bool,
    files: Option<Files>,
    tcp: Option<Tcp>,
}

/// Files confined to the paths of the granted tables' `fs` lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Files {
    /// Paths with a rule.
    pub granted: u32,
    /// Entries left out: paths that do not exist, and entries of declared
    /// variables without a value.
    pub skipped: u32,
}

/// TCP confined to the ports of the granted tables' `net` lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tcp {
    /// What `connect` may reach.
    pub connect: Ports,
    /// What `bind` may take.
    pub bind: Ports,
}

/// The TCP ports one right is granted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ports {
    /// Any port: not confined.
    Any,
    /// This many ports (0: none).
    Listed(u32),
}

impl Enforced {
    /// Nothing: no domain.
    pub const NONE: Enforced = Enforced {
        abi: 0,
        scoped: false,
        files: None,
        tcp: None,
    };

    /// The kernel's Landlock ABI; 0 when it has none (not built in, or not
    /// enabled at boot), and then nothing is enforced.
    pub const fn abi(&self) -> u32 {
        self.abi
    }

    /// No ptrace of, or `/proc/PID/mem` access to, processes outside.
    pub const fn ptrace(&self) -> bool {
        self.abi > 0
    }

    /// No signals to processes outside (`LANDLOCK_SCOPE_SIGNAL`).
    pub const fn signals(&self) -> bool {
        self.scoped
    }

    /// No connecting to abstract unix sockets made outside
    /// (`LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET`).
    pub const fn abstract_unix_sockets(&self) -> bool {
        self.scoped
    }

    /// No block or character device nodes made.
    pub const fn device_nodes(&self) -> bool {
        self.abi > 0
    }

    /// How files are confined, if they are.
    pub const fn files(&self) -> Option<Files> {
        self.files
    }

    /// How TCP is confined, if it is.
    pub const fn tcp(&self) -> Option<Tcp> {
        self.tcp
    }

    /// Whether this is everything the sandbox needs.
    pub const fn is_complete(&self) -> bool {
        self.abi > 0 && self.scoped
    }
}

impl fmt::Display for Ports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Ports::Any => f.write_str("any port"),
            Ports::Listed(0) => f.write_str("no port"),
            Ports::Listed(1) => f.write_str("1 port"),
            Ports::Listed(n) => write!(f, "{n} ports"),
        }
    }
}

impl fmt::Display for Enforced {
    /// `Landlock ABI 7: ptrace, signals, abstract sockets, device nodes
    /// confined`, or what is missing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.abi == 0 {
            return f.write_str("no Landlock: nothing confined beyond the filter");
        }
        write!(f, "Landlock ABI {}: ", self.abi)?;
        let parts = [
            (self.ptrace(), "ptrace"),
            (self.signals(), "signals"),
            (self.abstract_unix_sockets(), "abstract sockets"),
            (self.device_nodes(), "device nodes"),
        ];
        let mut first = true;
        for (on, name) in parts {
            if on {
                f.write_str(if first { "" } else { ", " })?;
                f.write_str(name)?;
                first = false;
            }
        }
        f.write_str(" confined")?;
        let mut first = true;
        for (on, name) in parts {
            if !on {
                f.write_str(if first { "; not " } else { ", " })?;
                f.write_str(name)?;
                first = false;
            }
        }
        if let Some(files) = self.files {
            write!(f, "; files beneath {} paths", files.granted)?;
            if files.skipped > 0 {
                write!(f, " ({} missing, left out)", files.skipped)?;
            }
        }
        if let Some(tcp) = self.tcp {
            write!(f, "; TCP connect to {}, bind to {}", tcp.connect, tcp.bind)?;
        }
        Ok(())
    }
}

/// Why a [`Domain`] could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainError {
    /// The kernel's Landlock ABI (0: none) is below what the sandbox needs,
    /// and the caller did not accept less ([`Degraded::Allow`]).
    Unsupported {
        /// The kernel's ABI, 0 when it has no Landlock.
        abi: u32,
        /// The ABI needed ([`REQUIRED_ABI`]).
        needed: u32,
    },
    /// The kernel refused the ruleset (`landlock_create_ruleset` or
    /// `landlock_add_rule`): the errno.
    Ruleset(Errno),
    /// A path of an `fs` list could not be opened (for another reason
    /// than not existing, which only leaves it out).
    Path {
        /// The path, its variable given its value.
        path: String,
        /// The errno of `open`.
        errno: Errno,
    },
    /// A port variable's value is not a list of ports.
    Ports {
        /// The variable (or the entry, for a literal).
        var: String,
        /// Its value.
        value: String,
    },
}

impl DomainError {
    /// The errno that goes with the error: `EOPNOTSUPP` for a kernel
    /// without enough Landlock.
    pub const fn errno(&self) -> Errno {
        match *self {
            DomainError::Unsupported { .. } => Errno(libc::EOPNOTSUPP),
            DomainError::Ruleset(e) | DomainError::Path { errno: e, .. } => e,
            DomainError::Ports { .. } => Errno(libc::EINVAL),
        }
    }
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DomainError::Unsupported { abi: 0, needed } => write!(
                f,
                "this kernel has no Landlock (not built in, or not in the `lsm=` boot list); \
                 the sandbox needs Landlock ABI {needed} (Linux 6.12) to keep the payload away \
                 from its supervisor and other processes"
            ),
            DomainError::Unsupported { abi, needed } => write!(
                f,
                "this kernel's Landlock is ABI {abi}; the sandbox needs ABI {needed} (Linux 6.12) \
                 to keep the payload from signalling processes outside it"
            ),
            DomainError::Ruleset(_) => f.write_str("the kernel refused the Landlock ruleset"),
            DomainError::Path { ref path, .. } => {
                write!(
                    f,
                    "cannot open {} for a Landlock rule",
                    crate::text::quoted(path).max(crate::text::PATH_MAX)
                )
            }
            DomainError::Ports { ref var, ref value } => write!(
                f,
                "`${var}` is {}, not a list of TCP ports; give ports separated by commas, \
                 like `443,8080`, or `*` for any",
                crate::text::quoted(value)
            ),
        }
    }
}

impl std::error::Error for DomainError {
    /// The kernel's errno, for the calls that failed.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DomainError::Ruleset(errno) | DomainError::Path { errno, .. } => Some(errno),
            DomainError::Unsupported { .. } | DomainError::Ports { .. } => None,
        }
    }
}

impl From<DomainError> for io::Error {
    fn from(e: DomainError) -> io::Error {
        io::Error::from_raw_os_error(e.errno().0)
    }
}

/// A Landlock ruleset made in the parent, for a child to enter.
#[derive(Debug)]
pub struct Domain {
    /// The ruleset; `None` when there is no Landlock to enter.
    ruleset: Option<OwnedFd>,
    enforced: Enforced,
    /// The rules on paths beneath `/proc`, to make again on a `/proc`
    /// mounted for the command; `None` when they cannot be made again.
    proc_rules: Option<Vec<ProcRule>>,
}

/// A rule of the ruleset on a path beneath `/proc`: the path, and the
/// rights (`LANDLOCK_ACCESS_FS_*` bits) it grants there.
#[derive(Debug)]
struct ProcRule {
    path: CString,
    access: u64,
}

impl ProcRule {
    fn new(path: &str, access: u64) -> Result<ProcRule, DomainError> {
        let path = CString::new(path).map_err(|_| DomainError::Path {
            path: path.to_owned(),
            errno: Errno(libc::EINVAL),
        })?;
        Ok(ProcRule { path, access })
    }
}

/// The `connect` and `bind` ports a domain grants: `None` for any port
/// (see [`Domain::granted_ports`]).
pub(crate) type GrantedPorts = (Option<Vec<u16>>, Option<Vec<u16>>);

impl Domain {
    /// The sandbox's domain on this kernel with no files or ports
    /// confined: ptrace isolation, the signal and abstract-unix-socket
    /// scopes, no device nodes (see the [module docs](self)).
    ///
    /// # Errors
    ///
    /// [`DomainError::Unsupported`] when the kernel's ABI is below
    /// [`REQUIRED_ABI`] and `degraded` is [`Degraded::Refuse`];
    /// [`DomainError::Ruleset`] when the kernel refused the ruleset.
    pub fn new(degraded: Degraded) -> Result<Domain, DomainError> {
        Domain::with_reach(std::iter::empty(), &Vars::new(), None, degraded)
    }

    /// The domain for `policy` granted `caps` (bit `i`: `cap_names[i]`):
    /// [`new`](Domain::new)'s, and the files and ports of the granted
    /// tables' `fs` and `net`, their variables given `vars`' values;
    /// `workdir` is the command's working directory, `$WORKDIR`'s default
    /// (this process's when `None`).
    ///
    /// # Errors
    ///
    /// As [`new`](Domain::new); [`DomainError::Path`] when a listed path
    /// exists but cannot be opened, [`DomainError::Ports`] when a port
    /// variable's value is not a list of ports.
    pub fn for_policy(
        policy: &Policy<'_>,
        caps: u64,
        vars: &Vars,
        workdir: Option<&Path>,
        degraded: Degraded,
    ) -> Result<Domain, DomainError> {
        Domain::with_reach(policy.granted_reach(caps), vars, workdir, degraded)
    }

    fn with_reach<'r>(
        reaches: impl Iterator<Item = &'r Reach<'r>>,
        vars: &Vars,
        workdir: Option<&Path>,
        degraded: Degraded,
    ) -> Result<Domain, DomainError> {
        let abi = kernel_abi();
        if abi < REQUIRED_ABI && degraded == Degraded::Refuse {
            return Err(DomainError::Unsupported {
                abi,
                needed: REQUIRED_ABI,
            });
        }
        let wanted = ruleset::Wanted::gather(reaches, vars, workdir)?;
        if abi == 0 {
            return Ok(Domain {
                ruleset: None,
                enforced: Enforced::NONE,
                proc_rules: Some(Vec::new()),
            });
        }
        let made = wanted.ruleset(abi)?;
        let ruleset = made
            .fd
            .ok_or(DomainError::Ruleset(Errno(libc::EOPNOTSUPP)))?;
        Ok(Domain {
            ruleset: Some(ruleset),
            enforced: made.enforced,
            proc_rules: made.proc_rules,
        })
    }

    /// The paths the tables of `reaches` grant in their `fs` tables, their
    /// variables given values exactly as [`for_policy`](Domain::for_policy)
    /// gives them (`workdir` as there): whether some table has `fs` (when
    /// none has, files are not confined), and the `read` and `write`
    /// paths. What learn mode compares the paths a command names with.
    ///
    /// # Errors
    ///
    /// [`DomainError::Ports`] when a port variable's value is not a list of
    /// ports (the tables' ports are expanded on the way).
    pub(crate) fn granted_files<'r>(
        reaches: impl Iterator<Item = &'r Reach<'r>>,
        vars: &Vars,
        workdir: Option<&Path>,
    ) -> Result<(bool, Vec<String>, Vec<String>), DomainError> {
        Ok(ruleset::Wanted::gather(reaches, vars, workdir)?.into_files())
    }

    /// The TCP ports the tables of `reaches` grant in their `net` tables,
    /// their variables given values exactly as
    /// [`for_policy`](Domain::for_policy) gives them: the `connect` and
    /// the `bind` ports, `None` where any port is granted (no table has
    /// `net`, or a variable's value is `*`). What learn mode compares the
    /// ports a command reaches with.
    ///
    /// # Errors
    ///
    /// [`DomainError::Ports`] when a port variable's value is not a list of
    /// ports.
    pub(crate) fn granted_ports<'r>(
        reaches: impl Iterator<Item = &'r Reach<'r>>,
        vars: &Vars,
    ) -> Result<GrantedPorts, DomainError> {
        Ok(ruleset::Wanted::gather(reaches, vars, None)?.into_ports())
    }

    /// Whether the command may be given a `/proc` of its own: its rules
    /// beneath `/proc` can be made again there
    /// ([`remake_proc_rules`](Domain::remake_proc_rules)). Not when the
    /// kernel's Landlock is older than [`REQUIRED_ABI`] and files are
    /// confined.
    pub(crate) fn allows_own_proc(&self) -> bool {
        self.proc_rules.is_some()
    }

    /// In the child between `fork` and `exec`, after a `/proc` of its own
    /// was mounted and before [`enter`](Domain::enter): adds the ruleset's
    /// rules beneath `/proc` again, on what the paths name now. A rule on
    /// an inode holds only for that inode, and the ones the parent opened
    /// are the machine's `/proc`, which the new mount hides. A path that is
    /// not there in the new `/proc` is left out, as in the parent.
    ///
    /// Async-signal-safe: system calls only, no allocation. The rules are
    /// added to the shared ruleset, which no other process enters.
    ///
    /// # Errors
    ///
    /// The errno of an `open` or `landlock_add_rule` that failed.
    pub(crate) fn remake_proc_rules(&self) -> Result<(), Errno> {
        let (Some(ruleset), Some(rules)) = (&self.ruleset, &self.proc_rules) else {
            return Ok(());
        };
        for rule in rules {
            match crate::sys::child::landlock_add_path_rule(
                ruleset.as_fd(),
                &rule.path,
                rule.access,
            ) {
                Ok(()) | Err(Errno(libc::ENOENT | libc::ENOTDIR)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// What the domain enforces.
    pub const fn enforced(&self) -> Enforced {
        self.enforced
    }

    /// In the child between `fork` and `exec`: sets `no_new_privs` (which
    /// Landlock requires of an unprivileged caller, and the seccomp filter
    /// sets anyway) and enters the domain. Nothing to do without Landlock.
    ///
    /// Async-signal-safe: two system calls, no allocation, no lock. The
    /// ruleset descriptor stays open (close-on-exec), so the descriptor
    /// numbers a later step predicts do not move.
    ///
    /// # Errors
    ///
    /// The errno of the call that failed.
    pub fn enter(&self) -> Result<(), Errno> {
        let Some(ruleset) = &self.ruleset else {
            return Ok(());
        };
        crate::sys::seccomp::set_no_new_privs()?;
        crate::sys::child::landlock_restrict_self(ruleset.as_fd())
    }
}

/// The kernel's Landlock ABI, 0 when it has none.
pub fn kernel_abi() -> u32 {
    crate::sys::child::landlock_abi()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforced_reads_as_what_is_and_is_not_confined() {
        let full = Enforced {
            abi: 7,
            scoped: true,
            files: None,
            tcp: None,
        };
        assert_eq!(
            full.to_string(),
            "Landlock ABI 7: ptrace, signals, abstract sockets, device nodes confined"
        );
        assert!(full.is_complete());
        let old = Enforced {
            abi: 2,
            scoped: false,
            files: None,
            tcp: None,
        };
        assert_eq!(
            old.to_string(),
            "Landlock ABI 2: ptrace, device nodes confined; not signals, abstract sockets"
        );
        assert!(!old.is_complete());
        assert_eq!(
            Enforced::NONE.to_string(),
            "no Landlock: nothing confined beyond the filter"
        );
        let policy = Enforced {
            files: Some(Files {
                granted: 12,
                skipped: 2,
            }),
            tcp: Some(Tcp {
                connect: Ports::Listed(1),
                bind: Ports::Listed(0),
            }),
            ..full
        };
        assert_eq!(
            policy.to_string(),
            "Landlock ABI 7: ptrace, signals, abstract sockets, device nodes confined; \
             files beneath 12 paths (2 missing, left out); TCP connect to 1 port, bind to no port"
        );
    }

    #[test]
    fn errors_say_what_is_missing() {
        let none = DomainError::Unsupported { abi: 0, needed: 6 };
        assert!(none.to_string().starts_with("this kernel has no Landlock"));
        assert_eq!(none.errno(), Errno(libc::EOPNOTSUPP));
        let old = DomainError::Unsupported { abi: 3, needed: 6 };
        assert!(old.to_string().contains("ABI 3; the sandbox needs ABI 6"));
    }
}
