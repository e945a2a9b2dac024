//! The harness of the test binaries whose tests need something the machine
//! may lack (root, i386 emulation in the kernel, `/usr/bin/python3`, a
//! readable kernel log, tracefs, bubblewrap).
//!
//! libtest can only ignore a test when it is compiled; whether this machine
//! has i386 emulation is known only when the test runs. These binaries set
//! `harness = false` in `Cargo.toml` and end with [`tests!`](crate::tests),
//! which runs them with libtest's command line and output (through
//! `libtest-mimic`). A test returns [`Checked`]: `Ok(())` when it ran (a
//! failed check panics, as under libtest), `Err(Skip)` when it could not run
//! here. A skipped test is printed as `test NAME ... ignored (REASON)` and
//! counted in the `N ignored` of the `test result:` line, never as passed.
//! Preconditions are checked with `?` on the functions of [`require`].

use std::fmt;
use std::process::ExitCode;

use libtest_mimic::{Arguments, Completion, Trial};

/// Why a test did not run on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    reason: String,
}

impl Skip {
    /// A skip for `reason`, which is printed beside the test's name.
    pub fn new(reason: impl Into<String>) -> Skip {
        Skip {
            reason: reason.into(),
        }
    }

    /// The reason given.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

/// What a test of these binaries returns: `Ok(())` when it ran and every
/// check held, `Err(Skip)` when a precondition is missing.
pub type Checked = Result<(), Skip>;

/// What a test function may return: `()` (it always runs) or [`Checked`].
pub trait TestResult {
    /// As a [`Checked`].
    fn into_checked(self) -> Checked;
}

impl TestResult for () {
    fn into_checked(self) -> Checked {
        Ok(())
    }
}

impl TestResult for Checked {
    fn into_checked(self) -> Checked {
        self
    }
}

/// The test `name`, running `test`; a panic fails it, a [`Skip`] ignores it.
pub fn trial<R: TestResult>(name: &str, test: impl FnOnce() -> R + Send + 'static) -> Trial {
    Trial::ignorable_test(name, move || {
        Ok(match test().into_checked() {
            Ok(()) => Completion::Completed,
            Err(skip) => Completion::ignored_with(skip.reason),
        })
    })
}

/// The test `name`, not compiled for this target (`cfg` is the condition it
/// needs): listed as ignored, so that the count shows it.
pub fn not_built(name: &str, cfg: &str) -> Trial {
    let reason = format!("not built here: needs {cfg}");
    Trial::ignorable_test(name, move || Ok(Completion::ignored_with(reason)))
}

/// Runs `trials` with the process's command line, as libtest would.
pub fn run(trials: Vec<Trial>) -> ExitCode {
    libtest_mimic::run(&Arguments::from_args(), trials).exit_code()
}

/// The `main` of a test binary with `harness = false`: the test functions,
/// in order, each a path, optionally behind `#[cfg(...)]`. A test whose
/// `cfg` does not hold is listed as ignored.
///
/// ```no_run
/// use seccomp_policy_suite::harness::{require, Checked};
///
/// fn runs_everywhere() { assert_eq!(1 + 1, 2); }
/// fn needs_root() -> Checked { require::root()?; /* ... */ Ok(()) }
/// #[cfg(target_arch = "x86_64")]
/// mod x86_64 {
///     use seccomp_policy_suite::harness::Checked;
///     pub fn int80() -> Checked { /* ... */ Ok(()) }
/// }
///
/// seccomp_policy_suite::tests![
///     runs_everywhere,
///     needs_root,
///     #[cfg(target_arch = "x86_64")]
///     x86_64::int80,
/// ];
/// ```
#[macro_export]
macro_rules! tests {
    ($( $(#[cfg($cfg:meta)])? $test:path ),* $(,)?) => {
        fn main() -> ::std::process::ExitCode {
            $crate::harness::run(::std::vec![$({
                $(
                    #[cfg(not($cfg))]
                    let trial = $crate::harness::not_built(
                        ::core::stringify!($test),
                        ::core::stringify!($cfg),
                    );
                    #[cfg($cfg)]
                )?
                let trial = $crate::harness::trial(::core::stringify!($test), $test);
                trial
            }),*])
        }
    };
}

/// Preconditions: each is `Ok(())` when this machine has what a test needs,
/// else the [`Skip`] that says what is missing.
pub mod require {
    use super::{Checked, Skip};

    /// The tests run as root (effective uid 0).
    pub fn root() -> Checked {
        // SAFETY: geteuid takes no argument and cannot fail.
        if unsafe { libc::geteuid() } == 0 {
            Ok(())
        } else {
            Err(Skip::new("needs root"))
        }
    }

    /// The kernel has the Landlock ABI the sandbox needs
    /// ([`REQUIRED_ABI`](seccomp_policy::domain::REQUIRED_ABI): Linux 6.12
    /// with `landlock` in its `lsm=` list).
    pub fn landlock() -> Checked {
        use seccomp_policy::domain::{kernel_abi, REQUIRED_ABI};
        match kernel_abi() {
            abi if abi >= REQUIRED_ABI => Ok(()),
            0 => Err(Skip::new("no Landlock in this kernel")),
            abi => Err(Skip::new(format!(
                "Landlock ABI {abi} here; the sandbox needs {REQUIRED_ABI}"
            ))),
        }
    }

    /// `user` may make a pid namespace here: with `CAP_SYS_ADMIN` (root)
    /// directly, otherwise in a user namespace of its own made first
    /// (unprivileged user namespaces, which `user.max_user_namespaces`,
    /// Debian's `kernel.unprivileged_userns_clone` or Ubuntu's
    /// `kernel.apparmor_restrict_unprivileged_userns` may turn off).
    /// Probed in a forked child as `user`.
    pub fn pid_namespace(user: crate::User) -> Checked {
        let probe = crate::in_child_as(user, || {
            // SAFETY: unshare in the probe's single-threaded child, with
            // integer arguments; the child only exits afterwards.
            unsafe {
                if libc::unshare(libc::CLONE_NEWPID) == 0 {
                    return Ok("a pid namespace".into());
                }
                if libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWPID) == 0 {
                    return Ok("a pid namespace in a user namespace".into());
                }
            }
            Err(format!("unshare: {}", std::io::Error::last_os_error()))
        });
        probe.map(drop).map_err(|e| {
            Skip::new(format!(
                "as {user:?} no pid namespace can be made here (unprivileged user \
                 namespaces off?): {e}"
            ))
        })
    }

    /// `user` may give a pid namespace a `/proc` of its own here: in the
    /// pid namespace [`pid_namespace`] makes, a process may take a mount
    /// namespace and mount a new `proc` on `/proc` (which the kernel
    /// refuses, for instance, where parts of the mounted one are hidden
    /// under other mounts, as in many containers). Probed in a forked
    /// child as `user`.
    pub fn own_proc(user: crate::User) -> Checked {
        pid_namespace(user)?;
        let probe = crate::in_child_as(user, || {
            // SAFETY: system calls with integer or constant string
            // arguments in the probe's single-threaded child, which then
            // only exits; the grandchild only makes its mounts and exits.
            unsafe {
                if libc::unshare(libc::CLONE_NEWPID) != 0
                    && libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWPID) != 0
                {
                    return Err(format!("unshare: {}", std::io::Error::last_os_error()));
                }
                match libc::fork() {
                    -1 => Err(format!("fork: {}", std::io::Error::last_os_error())),
                    0 => {
                        let ok = libc::unshare(libc::CLONE_NEWNS) == 0
                            && libc::mount(
                                c"none".as_ptr(),
                                c"/".as_ptr(),
                                core::ptr::null(),
                                libc::MS_REC | libc::MS_SLAVE,
                                core::ptr::null(),
                            ) == 0
                            && libc::mount(
                                c"proc".as_ptr(),
                                c"/proc".as_ptr(),
                                c"proc".as_ptr(),
                                libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                                core::ptr::null(),
                            ) == 0;
                        libc::_exit(i32::from(!ok))
                    }
                    pid => {
                        let mut status = 0;
                        libc::waitpid(pid, &raw mut status, 0);
                        if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
                            Ok("a /proc of its own".into())
                        } else {
                            Err("mounting a new proc in the pid namespace failed".into())
                        }
                    }
                }
            }
        });
        probe.map(drop).map_err(|e| {
            Skip::new(format!(
                "as {user:?} a pid namespace cannot have a /proc of its own here: {e}"
            ))
        })
    }

    /// `path` is an executable file.
    pub fn program(path: &str) -> Checked {
        use std::os::unix::fs::PermissionsExt as _;
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() && m.permissions().mode() & 0o111 != 0 => Ok(()),
            Ok(_) => Err(Skip::new(format!("{path} is not an executable file"))),
            Err(e) => Err(Skip::new(format!("no {path}: {e}"))),
        }
    }

    /// bubblewrap is installed and may make the namespaces it needs here
    /// (root, or unprivileged user namespaces): `bwrap --ro-bind / / true`
    /// succeeds.
    pub fn bubblewrap() -> Checked {
        let out = std::process::Command::new("bwrap")
            .args([
                "--ro-bind",
                "/",
                "/",
                "--dev",
                "/dev",
                "--proc",
                "/proc",
                "true",
            ])
            .stdin(std::process::Stdio::null())
            .output();
        match out {
            Ok(o) if o.status.success() => Ok(()),
            Ok(o) => Err(Skip::new(format!(
                "bwrap cannot make its namespaces here: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ))),
            Err(e) => Err(Skip::new(format!(
                "no bwrap (apt-get install bubblewrap): {e}"
            ))),
        }
    }

    /// This user may read the kernel log (`/dev/kmsg`): root, or
    /// `kernel.dmesg_restrict = 0`.
    pub fn kernel_log_readable() -> Checked {
        kmsg(false)
    }

    /// This user may read and write the kernel log (`/dev/kmsg`): root.
    pub fn kernel_log_writable() -> Checked {
        kmsg(true)
    }

    fn kmsg(write: bool) -> Checked {
        std::fs::OpenOptions::new()
            .read(true)
            .write(write)
            .open("/dev/kmsg")
            .map(drop)
            .map_err(|e| {
                let access = if write { "read and write" } else { "read" };
                Skip::new(format!("cannot {access} /dev/kmsg: {e}"))
            })
    }

    /// The kernel runs i386 calls (`int 0x80`) from a 64-bit process; it
    /// may be built without IA32 emulation, or booted with
    /// `ia32_emulation=0`. See [`crate::i386_emulation`]. A probe that
    /// ends in any other way than those two is a failure, not a skip.
    #[cfg(target_arch = "x86_64")]
    pub fn i386_emulation() -> Checked {
        match crate::i386_emulation() {
            crate::I386Emulation::Works => Ok(()),
            crate::I386Emulation::Missing(how) => Err(Skip::new(format!(
                "no i386 emulation in this kernel: an unfiltered int 0x80 getpid {how}"
            ))),
        }
    }
}
