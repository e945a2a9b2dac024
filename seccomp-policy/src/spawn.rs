//! Running a command under a filter, and telling how it ended.
//!
//! [`CommandExt::seccomp`] installs a ready-built [`Program`] in the child
//! that [`std::process::Command`] forks, just before it calls `execve`. The
//! program is built in the parent and moved into the child; the child only
//! makes the two system calls of [`install::apply`](crate::install::apply).
//!
//! # The Landlock domain
//!
//! [`CommandExt::sandbox`] also puts the child in a Landlock domain
//! ([`domain`](crate::domain)) before the filter is attached: without it, a
//! payload could write code into its parent through `/proc/PPID/mem` with
//! calls every program is granted, or stop or kill it. The domain is made
//! in the parent; the child only enters it. A kernel with too little
//! Landlock is refused ([`SandboxError::Landlock`]) unless the caller makes
//! its own domain with [`Degraded::Allow`] and passes it to
//! [`CommandExt::sandbox_in`]. [`CommandExt::seccomp`] attaches a filter
//! and nothing else.
//!
//! # `execve` must be allowed
//!
//! The filter is attached before the child calls `execve`, so the call that
//! starts the program is itself filtered. A program built for spawning must
//! therefore allow the native `execve`, even when the policy does not grant
//! it (systemd's `SystemCallFilter=` makes the same exception). Add it with
//! `extra = &[`[`EXECVE`]`]` when building the program; without it the child
//! is killed at `execve` and [`Outcome::KilledBySeccomp`] is all the caller
//! sees. [`spawn_program`] and [`CommandExt::sandbox`] add it for you
//! ([`SPAWN_RULES`]). Allowing it also lets the payload `execve` other programs, so a
//! policy that must forbid that needs a second, stricter filter attached by
//! the program itself.
//!
//! # What the caller learns
//!
//! [`Outcome`] turns an [`ExitStatus`] into the three cases that matter
//! here. A seccomp kill (`SECCOMP_RET_KILL_PROCESS`) shows up as death by
//! `SIGSYS`; the wait status does not say which system call it was. The
//! kernel logs it (`type=1326` audit records, or `dmesg`, as configured by
//! `/proc/sys/kernel/seccomp/actions_logged`) with the `syscall=` number.
//! To have every denied call of the command's whole process tree named as it
//! happens, spawn it under a [`Supervisor`](crate::supervise::Supervisor)
//! instead.

use core::fmt;
use std::io;
use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::process::{Command, ExitStatus};

use crate::arch::Arch;
use crate::bpf::{Program, BPF_MAXINSNS};
use crate::builder::{Action, BuildError};
use crate::domain::{Degraded, Domain, DomainError, Vars};
use crate::install::Install;
use crate::policy::{spawn_rules, Policy};
use crate::rule::RuleSet;

/// The native `execve` number.
pub const EXECVE: u32 = libc::SYS_execve as u32;

/// The rules the spawn path adds to a policy's: the native `execve`, so the
/// command can start ([`spawn_rules`] of the native architecture). Pass it
/// as `extra` when building a program for [`CommandExt::seccomp`].
pub const SPAWN_RULES: RuleSet<'static> = match Arch::NATIVE {
    Some(arch) => spawn_rules(arch),
    None => RuleSet::EMPTY,
};

// libc's number of the native `execve` is the generated table's.
const _: () = assert!(match SPAWN_RULES.allow {
    [nr] => *nr == EXECVE,
    _ => Arch::NATIVE.is_none(),
});

/// Why [`spawn_program`] could not build a program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnProgramError {
    /// The policy has no numbers for the architecture this crate is compiled
    /// for (or that architecture is not supported).
    NoNativeArch,
    /// The builder refused (see [`BuildError`]).
    Build(BuildError),
}

impl fmt::Display for SpawnProgramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnProgramError::NoNativeArch => {
                f.write_str("the policy was not compiled for this architecture")
            }
            SpawnProgramError::Build(_) => f.write_str("cannot build the seccomp filter"),
        }
    }
}

impl std::error::Error for SpawnProgramError {
    /// The builder's error, for [`SpawnProgramError::Build`].
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SpawnProgramError::Build(e) => Some(e),
            SpawnProgramError::NoNativeArch => None,
        }
    }
}

impl From<BuildError> for SpawnProgramError {
    fn from(e: BuildError) -> Self {
        SpawnProgramError::Build(e)
    }
}

/// Why [`CommandExt::sandbox`] could not set a command up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SandboxError {
    /// The filter could not be built.
    Program(SpawnProgramError),
    /// The Landlock domain could not be made (see [`Domain::new`]).
    Landlock(DomainError),
}

impl fmt::Display for SandboxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SandboxError::Program(_) => f.write_str("no seccomp filter for the command"),
            SandboxError::Landlock(_) => f.write_str("no Landlock domain for the command"),
        }
    }
}

impl std::error::Error for SandboxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SandboxError::Program(e) => Some(e),
            SandboxError::Landlock(e) => Some(e),
        }
    }
}

impl From<SpawnProgramError> for SandboxError {
    fn from(e: SpawnProgramError) -> Self {
        SandboxError::Program(e)
    }
}

impl From<DomainError> for SandboxError {
    fn from(e: DomainError) -> Self {
        SandboxError::Landlock(e)
    }
}

/// The program for spawning a command under `policy` with the caps in
/// `caps`: the native [`ArchPolicy::program`](crate::policy::ArchPolicy::program)
/// with [`SPAWN_RULES`], so the `execve` that starts the command passes
/// (see the [module docs](self)); every call no rule decides gets
/// `default` (the policy's own is `policy.native().default`).
///
/// A `const fn` that neither allocates nor panics. Size `N` with
/// [`ArchPolicy::capacity`](crate::policy::ArchPolicy::capacity)`(1)`, or use
/// [`BPF_MAXINSNS`], which always suffices.
///
/// # Errors
///
/// The policy has no tables for the native architecture, or the builder
/// refused ([`SpawnProgramError`]).
pub const fn spawn_program<const N: usize>(
    policy: &Policy<'_>,
    caps: u64,
    default: Action,
) -> Result<Program<N>, SpawnProgramError> {
    let Some(native) = policy.native() else {
        return Err(SpawnProgramError::NoNativeArch);
    };
    match native.program::<N>(caps, SPAWN_RULES, default) {
        Ok(p) => Ok(p),
        Err(e) => Err(SpawnProgramError::Build(e)),
    }
}

/// Installing a seccomp filter in a [`Command`]'s child before `execve`.
pub trait CommandExt {
    /// Installs `prog` in the child, with [`install::apply`](crate::install::apply)
    /// (`no_new_privs`, then the filter with TSYNC), just before `execve`.
    ///
    /// `prog` must allow `execve` (see the [module docs](self)). If the
    /// install fails, [`Command::spawn`] fails with an `io::Error` whose
    /// `raw_os_error()` is the errno ([`InstallError::errno`](crate::install::InstallError::errno)).
    ///
    /// The child of `fork` has a single thread, so TSYNC has nothing to
    /// synchronize there; it is kept so the same install path is used
    /// everywhere, and it costs nothing.
    ///
    /// Using this makes `std` fork and exec instead of using `posix_spawn`.
    fn seccomp<const N: usize>(&mut self, prog: Program<N>) -> &mut Self;

    /// Like [`seccomp`](CommandExt::seccomp), with explicit install options.
    fn seccomp_with<const N: usize>(&mut self, install: Install, prog: Program<N>) -> &mut Self;

    /// Makes the child enter `domain` (a Landlock domain, see
    /// [`domain`](crate::domain)) between `fork` and `exec`, with
    /// [`Domain::enter`]. Hooks run in the order they were set: set this
    /// before [`seccomp`](CommandExt::seccomp), so the filter need not
    /// allow the two calls it makes.
    ///
    /// If entering fails, [`Command::spawn`] fails with an `io::Error`
    /// whose `raw_os_error()` is the errno.
    fn landlock(&mut self, domain: Domain) -> &mut Self;

    /// Runs the command in the sandbox: the child enters the Landlock
    /// domain of [`Domain::for_policy`] for `policy` and `caps`, the
    /// variables at their defaults (`$WORKDIR` the command's
    /// [`current_dir`](Command::current_dir), else this process's),
    /// refusing a kernel with too little Landlock (see
    /// [`sandbox_in`](CommandExt::sandbox_in) to give variables or accept
    /// less),
    /// then installs the [`spawn_program`] for `policy` and `caps`, built
    /// here in the parent, with the policy's default action for calls no
    /// rule decides. `execve` is allowed so the command can start.
    ///
    /// # Errors
    ///
    /// [`SandboxError`]: the program could not be built, or the domain
    /// could not be made; nothing is set on the command then.
    fn sandbox(&mut self, policy: &Policy<'_>, caps: u64) -> Result<&mut Self, SandboxError>;

    /// Like [`sandbox`](CommandExt::sandbox), with the harness's own default
    /// action instead of the policy's (an errno instead of a kill, say).
    ///
    /// # Errors
    ///
    /// As [`sandbox`](CommandExt::sandbox).
    fn sandbox_with_default(
        &mut self,
        policy: &Policy<'_>,
        caps: u64,
        default: Action,
    ) -> Result<&mut Self, SandboxError>;

    /// Like [`sandbox_with_default`](CommandExt::sandbox_with_default), in
    /// a domain the caller made with [`Domain::for_policy`]: to give the
    /// policy's variables values, or, with [`Degraded::Allow`], to run on a
    /// kernel with less Landlock than the sandbox needs, having told the
    /// user what [`Domain::enforced`] says.
    ///
    /// # Errors
    ///
    /// The program could not be built; nothing is set on the command then.
    fn sandbox_in(
        &mut self,
        domain: Domain,
        policy: &Policy<'_>,
        caps: u64,
        default: Action,
    ) -> Result<&mut Self, SpawnProgramError>;
}

impl CommandExt for Command {
    fn seccomp<const N: usize>(&mut self, prog: Program<N>) -> &mut Self {
        self.seccomp_with(Install::new(), prog)
    }

    fn seccomp_with<const N: usize>(&mut self, install: Install, prog: Program<N>) -> &mut Self {
        let hook = move || -> io::Result<()> {
            // Async-signal-safe: two system calls and an errno read; the
            // error is a raw OS error, which does not allocate.
            install.apply(prog.as_slice()).map_err(io::Error::from)
        };
        // The closure allocates nothing, takes no lock and cannot panic, as
        // required between fork and exec.
        crate::sys::child::pre_exec(self, hook)
    }

    fn landlock(&mut self, domain: Domain) -> &mut Self {
        let hook = move || -> io::Result<()> {
            // Async-signal-safe: two system calls (see `Domain::enter`).
            domain.enter().map_err(io::Error::from)
        };
        // The closure allocates nothing, takes no lock and cannot
        // panic, as required between fork and exec.
        crate::sys::child::pre_exec(self, hook)
    }

    fn sandbox(&mut self, policy: &Policy<'_>, caps: u64) -> Result<&mut Self, SandboxError> {
        let Some(native) = policy.native() else {
            return Err(SpawnProgramError::NoNativeArch.into());
        };
        self.sandbox_with_default(policy, caps, native.default)
    }

    fn sandbox_with_default(
        &mut self,
        policy: &Policy<'_>,
        caps: u64,
        default: Action,
    ) -> Result<&mut Self, SandboxError> {
        let workdir = self.get_current_dir().map(Path::to_path_buf);
        let domain = Domain::for_policy(
            policy,
            caps,
            &Vars::new().for_command(self),
            workdir.as_deref(),
            Degraded::Refuse,
        )?;
        Ok(self.sandbox_in(domain, policy, caps, default)?)
    }

    fn sandbox_in(
        &mut self,
        domain: Domain,
        policy: &Policy<'_>,
        caps: u64,
        default: Action,
    ) -> Result<&mut Self, SpawnProgramError> {
        let prog = spawn_program::<BPF_MAXINSNS>(policy, caps, default)?;
        Ok(self.landlock(domain).seccomp(prog))
    }
}

/// How a (sandboxed) child process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// It exited on its own with this status code.
    Exited(i32),
    /// It was killed by `SIGSYS`: it made a system call outside the policy.
    ///
    /// `SECCOMP_RET_KILL_PROCESS` ends a process this way, as do
    /// `SECCOMP_RET_KILL_THREAD` for a single-threaded process and an
    /// unhandled `SECCOMP_RET_TRAP`. Nothing but seccomp raises `SIGSYS` on
    /// Linux unless someone sends it explicitly.
    KilledBySeccomp,
    /// It was killed by another signal (the number).
    Signaled(i32),
    /// A wait status that is none of the above (stopped or continued); only
    /// seen if the status came from a wait that asks for those.
    Other(i32),
}

impl Outcome {
    /// Interprets a raw status as `waitpid` stores it.
    pub fn from_wait_status(status: libc::c_int) -> Outcome {
        Outcome::from(ExitStatus::from_raw(status))
    }

    /// Whether it exited with code 0.
    pub const fn success(self) -> bool {
        matches!(self, Outcome::Exited(0))
    }
}

impl From<ExitStatus> for Outcome {
    fn from(status: ExitStatus) -> Outcome {
        if let Some(code) = status.code() {
            Outcome::Exited(code)
        } else if let Some(sig) = status.signal() {
            if sig == libc::SIGSYS {
                Outcome::KilledBySeccomp
            } else {
                Outcome::Signaled(sig)
            }
        } else {
            Outcome::Other(status.into_raw())
        }
    }
}

/// The name of a common signal (`SIGKILL`).
pub(crate) fn signal_name(sig: i32) -> Option<&'static str> {
    Some(match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGSYS => "SIGSYS",
        _ => return None,
    })
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Outcome::Exited(code) => write!(f, "exited with status {code}"),
            Outcome::KilledBySeccomp => {
                f.write_str("killed by SIGSYS: it made a system call outside the policy")
            }
            Outcome::Signaled(sig) => match signal_name(sig) {
                Some(name) => write!(f, "killed by {name} (signal {sig})"),
                None => write!(f, "killed by signal {sig}"),
            },
            Outcome::Other(raw) => write!(f, "stopped or continued (wait status {raw:#x})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes() {
        assert_eq!(Outcome::from_wait_status(0), Outcome::Exited(0));
        assert_eq!(Outcome::from_wait_status(3 << 8), Outcome::Exited(3));
        assert_eq!(
            Outcome::from_wait_status(libc::SIGSYS),
            Outcome::KilledBySeccomp
        );
        // With the core-dump bit, as KILL_PROCESS may leave it.
        assert_eq!(
            Outcome::from_wait_status(libc::SIGSYS | 0x80),
            Outcome::KilledBySeccomp
        );
        assert_eq!(
            Outcome::from_wait_status(libc::SIGKILL),
            Outcome::Signaled(9)
        );
        assert_eq!(
            Outcome::KilledBySeccomp.to_string(),
            "killed by SIGSYS: it made a system call outside the policy"
        );
        assert_eq!(
            Outcome::Signaled(9).to_string(),
            "killed by SIGKILL (signal 9)"
        );
        assert_eq!(Outcome::Exited(0).to_string(), "exited with status 0");
        assert!(Outcome::Exited(0).success());
    }
}
