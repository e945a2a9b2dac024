//! The exit codes, each defined once: the code, `--help` and the tests use
//! these.

/// Done (`check`: no errors, ...).
pub const OK: u8 = 0;
/// The policy has errors or cannot be read, a program or profile cannot
/// be made, output cannot be written, or `lint --deny-warnings` found
/// warnings (every subcommand but `run` and `learn`).
pub const FAILED: u8 = 1;
/// A usage error (every subcommand but `run` and `learn`).
pub const USAGE: u8 = 2;
/// `run` and `learn`, as `env` and `timeout`: [`TOOL_FAILED`] (125) they
/// failed themselves, [`CANNOT_EXECUTE`] (126) the command was found but
/// cannot be executed, [`NOT_FOUND`] (127) it was not found, and
/// [`KILLED_BY_POLICY`] (159) the policy killed it.
pub use seccomp_policy::tool::{CANNOT_EXECUTE, KILLED_BY_POLICY, NOT_FOUND, TOOL_FAILED};
