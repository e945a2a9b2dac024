//! How a run ends: the failures, and the exit code (`exit`) each gives.

use crate::args::{Sub, UsageError};
use crate::exit;

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
    pub fn exit_code(&self, sub: Option<Sub>) -> u8 {
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
