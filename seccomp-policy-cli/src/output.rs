//! Writing to stdout and stderr, and the failures every subcommand makes.

use std::io::Write as _;

use crate::args::{Sub, UsageError};
use crate::outcome::Failure;

/// Writes `text` to stdout. A closed pipe is a failure without a message.
pub fn out(text: &str) -> Result<(), Option<String>> {
    out_bytes(text.as_bytes())
}

/// Writes `bytes` to stdout, as [`out`].
pub fn out_bytes(bytes: &[u8]) -> Result<(), Option<String>> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(None),
        Err(e) => Err(Some(format!("error: cannot write to stdout: {e}"))),
    }
}

/// Writes `text` to stderr through anstream: ANSI styles in it are kept
/// for a terminal (or `--color always`) and dropped otherwise. A closed
/// stderr is ignored.
pub fn err(text: &str) {
    let mut stderr = anstream::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
}

/// A usage error of `sub`.
pub fn usage(sub: Sub, message: impl Into<String>) -> Failure {
    Failure::Usage(UsageError {
        message: message.into(),
        sub: Some(sub),
    })
}

/// A failure with its message.
pub fn failed(message: impl Into<String>) -> Failure {
    Failure::Failed(Some(message.into()))
}

/// `n word`, or `n words`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}
