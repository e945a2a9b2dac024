//! What a command-line sandbox adds to a supervised run: the exit code it
//! passes on, and the lines it writes on stderr.
//!
//! [`supervise::session`](crate::supervise::session) runs a command to its
//! end and returns what happened, typed: a [`Done`] (the wait status and
//! the supervisor's [`Report`](crate::supervise::Report)) or a
//! [`SessionError`]. It prints nothing and chooses no exit code. This
//! module is the tool's side, shared by the `seccomp-policy run`/`learn`
//! subcommands and the sandbox example:
//!
//! - [`exit_code`] and [`error_exit_code`]: the exit code such a tool
//!   passes on, as `env`, `timeout`, `chroot` and `nohup` do: the
//!   command's status, 128 + N when signal N ended it,
//!   [`KILLED_BY_POLICY`] (159, 128 + `SIGSYS`, as for the kernel's kill)
//!   when the policy killed it ([`ending_exit_code`]); and
//!   when the command did not run to its end, [`NOT_FOUND`] (127) when it
//!   was not found, [`CANNOT_EXECUTE`] (126) when it was found but could
//!   not be executed, and [`TOOL_FAILED`] (125) when the sandbox itself
//!   failed, the supervisor included, even while the command ran
//!   ([`Done::failure`]);
//! - [`run_and_report`], which runs [`session::run`] with every denial,
//!   the ending and any failure written on stderr, each line starting
//!   with the tool's prefix, and returns the exit code:
//!
//! ```text
//! sandbox: denied: /usr/bin/python3.11 [pid 2989]: socket(2, 0x80001, 0, 0x7fc6ae307a68, 0, 0) on x86_64: allowed by caps SSRF, HEADER_INJECTION or OPEN_REDIRECT; failed with EPERM (1) without running
//! sandbox: caps none: `/usr/bin/python3 -I -c import socket; socket.socket()` exited with status 1; Landlock ABI 7: ptrace, signals, abstract sockets, device nodes confined; pid namespace with its own /proc: nothing it started outlives it
//! ```
//!
//! [`try_run_and_report`] leaves reporting a failure to the tool, which
//! says in its own words what went wrong.
//!
//! - [`chain`]: an error of the run time as one line, with its causes.
//!   Each error type displays only what failed at its own level and
//!   returns the cause from [`source`](Error::source) (the Rust API
//!   guidelines' rule: one or the other, never both), so `{e}` alone
//!   leaves the errno out and a reporter that walks the chain (`anyhow`,
//!   `eyre`) prints each message once; `chain(&e)` prints them all:
//!   `cannot run `ls`: the supervisor could not start: the command's
//!   seccomp listener was not handed over: pidfd_getfd failed (Linux 5.6
//!   or newer is needed): ENOSYS (38)`.
//!
//! ```no_run
//! use std::process::{Command, ExitCode};
//! use seccomp_policy::supervise::Supervisor;
//! use seccomp_policy::tool;
//!
//! seccomp_policy::seccomp_policy!("../policy/seccomp.toml");
//!
//! fn main() -> ExitCode {
//!     let mut cmd = Command::new("/bin/sh");
//!     cmd.args(["-c", "ls /usr/bin | wc -l"]);
//!     let supervisor = Supervisor::new(&POLICY, Cap::CODE_EXEC.bits(), syscall_name);
//!     ExitCode::from(tool::run_and_report(supervisor, cmd, "sandbox"))
//! }
//! ```

use std::error::Error;
use std::fmt;
use std::io::{self, Write as _};
use std::process::Command;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use seccomp_policy_core::text::{quoted, PATH_MAX};

use crate::install::Errno;
use crate::supervise::lines::DenialLines;
use crate::supervise::session::{self, forward_signals, Done, SessionError};
use crate::supervise::{Answer, Ending, Mode, Supervisor};

/// The exit code of [`run_and_report`] when the sandbox itself failed:
/// signals could not be forwarded, the supervisor could not start or
/// failed, the command's process could not be made or set up before its
/// filter was attached, or waiting for it failed (`timeout` and `env` exit
/// 125 when they fail themselves).
pub const TOOL_FAILED: u8 = 125;

/// The exit code of [`run_and_report`] when the command was found but could
/// not be executed: its `execve` failed with anything but `ENOENT`
/// (`EACCES`: not executable, or a directory; `ENOEXEC`; ...), as the
/// shell, `env` and `timeout` exit.
pub const CANNOT_EXECUTE: u8 = 126;

/// The exit code of [`run_and_report`] when the command was not found: its
/// `execve` failed with `ENOENT` (no such file, not in `PATH`, or the
/// interpreter its `#!` line names is missing), as the shell, `env` and
/// `timeout` exit.
pub const NOT_FOUND: u8 = 127;

/// The exit code for a command the policy killed: 128 + `SIGSYS` (159),
/// what a shell reports when the kernel's filter kills it.
pub const KILLED_BY_POLICY: u8 = 128 + libc::SIGSYS as u8;

/// The conventional exit code for a command that ended this way, as a
/// shell reports it: its status (clamped to 0..=255), 128 + N when signal
/// N killed it, [`KILLED_BY_POLICY`] (159) for the policy's kills (as when
/// the kernel kills), 1 for a wait status that is neither.
pub fn ending_exit_code(ending: &Ending<'_>) -> u8 {
    match *ending {
        Ending::Exited(code) => code.clamp(0, 255) as u8,
        Ending::KilledByPolicy(_) => KILLED_BY_POLICY,
        Ending::Signaled(sig) => 128u8.saturating_add(sig as u8),
        Ending::Other(_) => 1,
    }
}

/// The exit code a sandbox passes on for a command that ran to its end:
/// its status, 128 + N for signal N, 159 when the policy killed it (see
/// [`ending_exit_code`]);
/// [`TOOL_FAILED`] (125) whatever the command's status when the supervisor
/// failed ([`Done::failure`]).
pub fn exit_code(done: &Done) -> u8 {
    if done.report.error.is_some() {
        return TOOL_FAILED;
    }
    ending_exit_code(&done.ending())
}

/// The exit code a sandbox passes on for a command that could not be run
/// to its end: [`NOT_FOUND`] (127) when the command's `execve` failed with
/// `ENOENT`, [`CANNOT_EXECUTE`] (126) when it failed otherwise, and
/// [`TOOL_FAILED`] (125) for every failure of the sandbox's own.
pub fn error_exit_code(e: &SessionError) -> u8 {
    match e {
        SessionError::Exec(Errno(libc::ENOENT)) => NOT_FOUND,
        SessionError::Exec(_) => CANNOT_EXECUTE,
        SessionError::Signals { .. }
        | SessionError::Supervise(_)
        | SessionError::Spawn(_)
        | SessionError::Wait(_)
        | SessionError::SupervisorFailed(_) => TOOL_FAILED,
    }
}

/// `error` and every error down its [`source`](Error::source) chain, as one
/// line: each message followed by `": "` and its cause's, ending (for a
/// failed system call) in the errno: `seccomp(SECCOMP_SET_MODE_FILTER)
/// failed (seccomp unavailable or blocked by an earlier filter): ENOSYS
/// (38)`.
///
/// This is how the run time's errors are meant to be printed: their own
/// [`Display`](fmt::Display) says only what failed at their level. Formatting it
/// allocates nothing.
pub fn chain<'a>(error: &'a (dyn Error + 'a)) -> Chain<'a> {
    Chain(error)
}

/// An error printed with its chain of causes (see [`chain`]).
#[derive(Clone, Copy, Debug)]
pub struct Chain<'a>(&'a (dyn Error + 'a));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}

/// Writes `text` to stderr in one `write`, so lines the command writes to
/// the same stderr do not land inside it.
fn say(text: &str) {
    let _ = io::stderr().write_all(text.as_bytes());
}

/// Runs `command` under `supervisor` as a command-line sandbox does, and
/// returns the exit code to pass on (see the [module docs](self)).
///
/// Calls [`forward_signals`] (call it yourself at the start of `main` if
/// the process starts threads before this), then [`session::run`]. On stderr, each
/// line starting with `prefix` and `": "`:
///
/// - in [`Mode::Learn`], first `learn mode: nothing is killed; errno
///   refusals no cap allows stand`;
/// - each call refused, as it is answered: `denied: ` and the
///   [`Denial`](crate::supervise::Denial), until the same program has had the same
///   call refused 3 times within a second; later ones are counted and
///   summed up once a second (`denied: socket x 4,021 more from PROGRAM
///   [pid N] in 1.0 s`), at most 20 lines a second in all, and their
///   totals written at the end (`denied: socket x 165,000 in all from
///   PROGRAM [pid N] (12 shown in full)`). An
///   [`on_denial`](crate::supervise::Supervisor::on_denial) callback set before is still
///   called with every denial, first;
/// - at the end `caps CAPS: `COMMAND` ENDING; LANDLOCK; LIFETIME` (caps
///   as `A|B`, or `none`; LANDLOCK what the Landlock domain enforced, as
///   [`Enforced`](crate::domain::Enforced) says it; LIFETIME what ended
///   the processes it left, as [`Lifetime`](crate::supervise::Lifetime) says it); in
///   learn mode then the [`Learned`](crate::supervise::Learned) summary (or
///   the one set with [`Supervisor::learn_summary`](crate::supervise::Supervisor::learn_summary));
/// - `cannot run `COMMAND`: ERROR` instead (the error with its causes, as
///   [`chain`] prints it, the errno last), with the error's
///   [`error_exit_code`] ([`NOT_FOUND`],
///   [`CANNOT_EXECUTE`] or [`TOOL_FAILED`]), when the command could not be
///   run to its end; `supervising `COMMAND`: ERROR` last, and
///   [`TOOL_FAILED`], when the supervisor failed while it ran
///   ([`SessionError::SupervisorFailed`]).
pub fn run_and_report(supervisor: Supervisor, command: Command, prefix: &str) -> u8 {
    let shown = command_line(&command);
    try_run_and_report(supervisor, command, prefix).unwrap_or_else(|e| {
        let what = match e {
            SessionError::SupervisorFailed(_) => "supervising",
            _ => "cannot run",
        };
        say(&format!("{prefix}: {what} {shown}: {}\n", chain(&e)));
        error_exit_code(&e)
    })
}

/// [`run_and_report`], with the error, if the command could not be run to
/// its end, returned instead of written: for a tool that says in its own
/// words what went wrong and what to do. The error's
/// [`error_exit_code`] is the one to exit with.
///
/// # Errors
///
/// [`SessionError`], as for [`session::run`] and [`forward_signals`]; nothing about
/// it has been written. [`SessionError::SupervisorFailed`] when the
/// supervisor failed while the command ran: the command's ending has been
/// written then, as for a run that did not fail.
pub fn try_run_and_report(
    supervisor: Supervisor,
    command: Command,
    prefix: &str,
) -> Result<u8, SessionError> {
    let shown = command_line(&command);
    forward_signals()?;
    let mode = supervisor.mode;
    if mode == Mode::Learn {
        say(&format!(
            "{prefix}: learn mode: nothing is killed; errno refusals no cap allows stand\n"
        ));
    }
    // Written at a bounded rate: a flood of denials is counted, not
    // written line by line (see `lines`).
    let lines = Arc::new(Mutex::new(DenialLines::new(format!("{prefix}: denied: "))));
    let writer = Arc::clone(&lines);
    let mut supervisor = supervisor;
    let summary = supervisor.summary.take();
    let mut earlier = supervisor.on_denial.take();
    let supervisor = supervisor.on_denial(move |d| {
        if let Some(f) = earlier.as_mut() {
            f(d);
        }
        if d.answer != Answer::Continued {
            let text = writer
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .denial(d, Instant::now());
            if !text.is_empty() {
                say(&text);
            }
        }
    });
    let done = session::run(supervisor, command);
    let totals = lines
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .finish();
    if !totals.is_empty() {
        say(&totals);
    }
    let done = done?;
    let caps = if done.report.granted.is_empty() {
        "none".to_owned()
    } else {
        done.report.granted.join("|")
    };
    say(&format!(
        "{prefix}: caps {caps}: {shown} {}; {}; {}\n",
        done.ending(),
        done.report.landlock,
        done.report.lifetime
    ));
    if mode == Mode::Learn {
        let text = match summary {
            Some(f) => f(&done.report),
            None => done.report.learned().to_string(),
        };
        say(&format!("{prefix}: {text}"));
    }
    if done.report.error.is_some() {
        return Err(SessionError::SupervisorFailed(Box::new(done)));
    }
    Ok(exit_code(&done))
}

/// The program and its arguments joined by spaces, as they were given
/// (lossily where they are not UTF-8), quoted for a message: control
/// characters escaped, cut past `PATH_MAX` characters.
fn command_line(command: &Command) -> String {
    let mut line = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    quoted(&line).max(PATH_MAX).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ENOENT` from `execve` is "not found", any other errno from it "found
    /// but not executable", and every other failure the sandbox's own, as
    /// `env` and `timeout` decide.
    #[test]
    fn exit_codes_follow_env_and_timeout() {
        for (e, code) in [
            (SessionError::Exec(Errno(libc::ENOENT)), NOT_FOUND),
            (SessionError::Exec(Errno(libc::EACCES)), CANNOT_EXECUTE),
            (SessionError::Exec(Errno(libc::ENOEXEC)), CANNOT_EXECUTE),
            (SessionError::Exec(Errno(libc::ENOTDIR)), CANNOT_EXECUTE),
            (SessionError::Exec(Errno(libc::ETXTBSY)), CANNOT_EXECUTE),
            (SessionError::Spawn(Errno(libc::ENOENT)), TOOL_FAILED),
            (SessionError::Spawn(Errno(libc::EAGAIN)), TOOL_FAILED),
            (SessionError::Wait(Errno(libc::ECHILD)), TOOL_FAILED),
            (
                SessionError::Signals {
                    what: "pthread_sigmask",
                    errno: Errno(libc::EINVAL),
                },
                TOOL_FAILED,
            ),
            (
                SessionError::Supervise(crate::supervise::SuperviseError::Handoff(
                    crate::notify::HandoffError::GetFd(Errno(libc::ENOSYS)),
                )),
                TOOL_FAILED,
            ),
        ] {
            assert_eq!(error_exit_code(&e), code, "{e:?}");
        }
        assert_eq!((TOOL_FAILED, CANNOT_EXECUTE, NOT_FOUND), (125, 126, 127));
    }

    /// What a shell reports: the status (bash: `$?` is the low 8 bits,
    /// here clamped), 128 + N for signal N, 159 (128 + SIGSYS) for the
    /// policy's kill, as for the kernel's.
    #[test]
    fn ending_exit_codes_are_a_shells() {
        let denial = crate::supervise::Denial {
            tid: 1,
            pid: Some(1),
            program: None,
            unread: None,
            arch: None,
            audit_arch: 0,
            name: Some("fadvise64"),
            nr: 221,
            args: [0; 6],
            allowed_by: crate::supervise::AllowedBy::NoCap,
            answer: Answer::Killed,
        };
        for (ending, code) in [
            (Ending::Exited(0), 0),
            (Ending::Exited(3), 3),
            (Ending::Exited(300), 255),
            (Ending::Exited(-1), 0),
            (Ending::KilledByPolicy(&denial), 159),
            (Ending::Signaled(libc::SIGKILL), 137),
            (Ending::Signaled(libc::SIGTERM), 143),
            (Ending::Signaled(libc::SIGSYS), 159),
            (Ending::Signaled(64), 192),
            (Ending::Signaled(200), 255),
            (Ending::Other(0x137f), 1),
        ] {
            assert_eq!(ending_exit_code(&ending), code, "{ending:?}");
        }
        assert_eq!(KILLED_BY_POLICY, 159);
    }
}
