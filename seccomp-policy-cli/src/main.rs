//! `seccomp-policy`: check, inspect and export TOML syscall policies from
//! the command line, through the same front end as the `seccomp_policy!`
//! macro (`seccomp-policy-compiler`), so a policy means the same here.
//!
//! Exit codes: 0 done; 1 the policy has errors or cannot be read, a
//! program or profile cannot be made, output cannot be written, or `lint
//! --deny-warnings` found warnings; 2 usage errors. `run` and `learn`,
//! once their command has started, exit with its status (128 + N for
//! signal N, 127 when it cannot be started). See `--help`.

mod args;
mod commands;
mod describe;
mod supervised;

use std::io::Write as _;
use std::process::ExitCode;

use args::{Command, UsageError};

/// How a run ends.
#[derive(Debug)]
pub enum Failure {
    /// Usage error (exit 2), with the subcommand whose usage applies.
    Usage(UsageError),
    /// Anything else that failed (exit 1); the message is already printed
    /// or is printed by `main`.
    Failed(Option<String>),
}

impl From<UsageError> for Failure {
    fn from(e: UsageError) -> Self {
        Failure::Usage(e)
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = match std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(v) => v,
        Err(bad) => {
            eprintln_safe(&format!(
                "error: argument {bad:?} is not valid UTF-8\n\n{}",
                args::help(None)
            ));
            return ExitCode::from(2);
        }
    };
    let result = match args::parse(&argv) {
        Ok(Command::Help(sub)) => commands::out(&args::help(sub))
            .map(|()| 0)
            .map_err(Failure::Failed),
        Ok(Command::Version) => {
            commands::out(&format!("seccomp-policy {}\n", env!("CARGO_PKG_VERSION")))
                .map(|()| 0)
                .map_err(Failure::Failed)
        }
        Ok(Command::Run(sub, options)) => commands::run(sub, &options),
        Err(e) => Err(Failure::Usage(e)),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(Failure::Usage(e)) => {
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
            ExitCode::from(2)
        }
        Err(Failure::Failed(message)) => {
            if let Some(m) = message {
                eprintln_safe(&m);
            }
            ExitCode::from(1)
        }
    }
}

/// Writes a line to stderr, ignoring a closed stderr rather than panicking.
fn eprintln_safe(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
}
