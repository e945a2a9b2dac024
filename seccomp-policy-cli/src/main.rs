//! `seccomp-policy`: check, inspect and export TOML syscall policies from
//! the command line, through the same front end as the `seccomp_policy!`
//! macro (`seccomp-policy-compiler`), so a policy means the same here.
//!
//! Exit codes ([`exit`]): 0 done; 1 the policy has errors or cannot be
//! read, a program or profile cannot be made, output cannot be written, or
//! `lint --deny-warnings` found warnings; 2 usage errors. `run` and `learn`
//! exit as `env` and `timeout` do: 125 when they fail themselves (usage,
//! policy errors, no supervisor), 126 when the command cannot be executed,
//! 127 when it is not found, and otherwise with its status (128 + N for
//! signal N, 159 when the policy killed it). See `--help`.
#![forbid(unsafe_code)]

mod args;
mod commands;
mod describe;
mod export;
mod learn_write;
mod report_file;
mod supervised;

use std::io::Write as _;
use std::process::ExitCode;

use args::{Command, Sub, UsageError};

/// The exit codes, each defined once: the code, `--help` and the tests use
/// these.
pub mod exit {
    /// Done (`check`: no errors, ...).
    pub const OK: u8 = 0;
    /// The policy has errors or cannot be read, a program or profile cannot
    /// be made, output cannot be written, or `lint --deny-warnings` found
    /// warnings (every subcommand but `run` and `learn`).
    pub const FAILED: u8 = 1;
    /// A usage error (every subcommand but `run` and `learn`).
    pub const USAGE: u8 = 2;
    pub use seccomp_policy::supervise::KILLED_BY_POLICY;
    /// `run` and `learn`, as `env` and `timeout`: [`TOOL_FAILED`] (125) they
    /// failed themselves, [`CANNOT_EXECUTE`] (126) the command was found but
    /// cannot be executed, [`NOT_FOUND`] (127) it was not found, and
    /// [`KILLED_BY_POLICY`] (159) the policy killed it.
    pub use seccomp_policy::tool::{CANNOT_EXECUTE, NOT_FOUND, TOOL_FAILED};
}

/// How a run ends.
#[derive(Debug)]
pub enum Failure {
    /// Usage error (exit 2; 125 for `run` and `learn`), with the subcommand
    /// whose usage applies.
    Usage(UsageError),
    /// Anything else that failed (exit 1; 125 for `run` and `learn`); the
    /// message is already printed or is printed by `main`.
    Failed(Option<String>),
    /// `run` and `learn`: the command did not run to its end. The message
    /// is printed by `main`; `code` is [`exit::NOT_FOUND`],
    /// [`exit::CANNOT_EXECUTE`] or [`exit::TOOL_FAILED`].
    NotRun {
        /// What went wrong and what to do.
        message: String,
        /// The exit code.
        code: u8,
    },
}

impl Failure {
    /// The exit code for this failure of `sub` (`None`: no subcommand was
    /// recognised).
    fn exit_code(&self, sub: Option<Sub>) -> u8 {
        let runs_a_command = sub.is_some_and(Sub::runs_a_command);
        match self {
            Failure::NotRun { code, .. } => *code,
            Failure::Usage(_) | Failure::Failed(_) if runs_a_command => exit::TOOL_FAILED,
            Failure::Usage(_) => exit::USAGE,
            Failure::Failed(_) => exit::FAILED,
        }
    }
}

impl From<UsageError> for Failure {
    fn from(e: UsageError) -> Self {
        Failure::Usage(e)
    }
}

fn main() -> ExitCode {
    let (sub, result) = match std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect::<Result<Vec<String>, _>>()
    {
        Ok(argv) => match args::parse(&argv) {
            Ok(Command::Help(sub)) => (
                sub,
                commands::out(&args::help(sub))
                    .map(|()| exit::OK)
                    .map_err(Failure::Failed),
            ),
            Ok(Command::Version) => (
                None,
                commands::out(&format!("seccomp-policy {}\n", env!("CARGO_PKG_VERSION")))
                    .map(|()| exit::OK)
                    .map_err(Failure::Failed),
            ),
            Ok(Command::Run(sub, options)) => (Some(sub), commands::run(sub, &options)),
            Err(e) => (e.sub, Err(Failure::Usage(e))),
        },
        Err(bad) => {
            let sub = std::env::args_os()
                .nth(1)
                .and_then(|a| a.to_str().and_then(Sub::from_name));
            let e = UsageError {
                message: format!("argument {bad:?} is not valid UTF-8"),
                sub,
            };
            (sub, Err(Failure::Usage(e)))
        }
    };
    let failure = match result {
        Ok(code) => return ExitCode::from(code),
        Err(failure) => failure,
    };
    match &failure {
        Failure::Usage(e) => {
            let usage = args::help(e.sub);
            let first = usage
                .lines()
                .find(|l| l.starts_with("usage:"))
                .unwrap_or("");
            eprintln_safe(&format!(
                "error: {}\n\n{first}\nFor more, try `seccomp-policy {}--help`.",
                e.message,
                e.sub.map(|s| format!("{} ", s.name())).unwrap_or_default()
            ));
        }
        Failure::Failed(Some(message)) | Failure::NotRun { message, .. } => {
            eprintln_safe(message);
        }
        Failure::Failed(None) => {}
    }
    ExitCode::from(failure.exit_code(sub))
}

/// Writes a line to stderr, ignoring a closed stderr rather than panicking.
fn eprintln_safe(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `run` and `learn` never exit 1 or 2 of their own: a command may.
    #[test]
    fn run_and_learn_fail_with_125() {
        let usage = |sub| {
            Failure::Usage(UsageError {
                message: String::new(),
                sub,
            })
        };
        for sub in Sub::ALL {
            let (failed, usage_code) = if sub.runs_a_command() {
                (exit::TOOL_FAILED, exit::TOOL_FAILED)
            } else {
                (exit::FAILED, exit::USAGE)
            };
            assert_eq!(
                Failure::Failed(None).exit_code(Some(sub)),
                failed,
                "{sub:?}"
            );
            assert_eq!(usage(Some(sub)).exit_code(Some(sub)), usage_code, "{sub:?}");
        }
        assert_eq!(usage(None).exit_code(None), exit::USAGE);
        assert_eq!(Failure::Failed(None).exit_code(None), exit::FAILED);
        for code in [exit::TOOL_FAILED, exit::CANNOT_EXECUTE, exit::NOT_FOUND] {
            let f = Failure::NotRun {
                message: String::new(),
                code,
            };
            assert_eq!(f.exit_code(Some(Sub::Run)), code);
        }
    }
}
