//! User text in messages: a name, an excerpt or a path as one line of
//! printable text of bounded length.
//!
//! Whatever a message quotes of what a user (or a hostile file, command
//! line or payload) wrote goes through [`quoted`] or [`shown`], so that a
//! ten-megabyte name costs a line, not ten megabytes of stderr, and an
//! escape sequence is shown, not obeyed by the terminal:
//!
//! ```
//! use seccomp_policy_core::text::{quoted, shown};
//!
//! assert_eq!(quoted("read").to_string(), "`read`");
//! assert_eq!(quoted("\u{1b}[2Jread").to_string(), "`\\u{1b}[2Jread`");
//! let long = "a".repeat(100);
//! assert_eq!(
//!     quoted(&long).to_string(),
//!     format!("`{}…` (100 characters)", "a".repeat(64))
//! );
//! // A path leads a line (`file:line:col: ...`): no backticks.
//! assert_eq!(shown("p\tq.toml").to_string(), "p\\tq.toml");
//! ```
//!
//! Escaped are the control characters (`\t`, `\n`, `\r`, and `\u{1b}`
//! style for the others) and the invisible characters that reorder or hide
//! text (bidirectional controls, zero-width characters), which could make
//! a name read as another. No allocation: both are [`Display`] adapters.

use core::fmt::{self, Display, Write as _};

/// The most characters of a name or excerpt a message quotes; the rest is
/// cut, with `…` and the full length.
pub const QUOTE_MAX: usize = 64;

/// The most characters of a path a message shows (Linux's `PATH_MAX`).
pub const PATH_MAX: usize = 4096;

/// User text as a message shows it; see the [module docs](self).
#[derive(Clone, Copy, Debug)]
pub struct Shown<'a> {
    text: &'a str,
    max: usize,
    ticks: bool,
}

/// `text` in backticks, escaped, and cut after [`QUOTE_MAX`] characters:
/// ``` `FIRST…` (N characters) ```.
pub const fn quoted(text: &str) -> Shown<'_> {
    Shown {
        text,
        max: QUOTE_MAX,
        ticks: true,
    }
}

/// `text` without backticks, escaped, and cut after [`PATH_MAX`]
/// characters: for paths, which a message may start with.
pub const fn shown(text: &str) -> Shown<'_> {
    Shown {
        text,
        max: PATH_MAX,
        ticks: false,
    }
}

impl Shown<'_> {
    /// The same text cut after `max` characters instead.
    #[must_use]
    pub const fn max(self, max: usize) -> Self {
        Shown { max, ..self }
    }
}

/// Whether `c` is shown escaped: a control character, or one that changes
/// how the text around it reads without being seen itself.
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
                | '\u{061c}'
        )
}

/// Writes `c` as [`Shown`] does: itself, or its escape.
///
/// # Errors
///
/// As `out`'s.
pub fn write_char(out: &mut impl fmt::Write, c: char) -> fmt::Result {
    if !needs_escape(c) {
        return out.write_char(c);
    }
    match c {
        '\t' => out.write_str("\\t"),
        '\n' => out.write_str("\\n"),
        '\r' => out.write_str("\\r"),
        _ => write!(out, "\\u{{{:x}}}", c as u32),
    }
}

impl Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ticks {
            f.write_char('`')?;
        }
        let mut cut = false;
        for (i, c) in self.text.chars().enumerate() {
            if i == self.max {
                cut = true;
                break;
            }
            write_char(f, c)?;
        }
        if cut {
            f.write_char('…')?;
        }
        if self.ticks {
            f.write_char('`')?;
        }
        if cut {
            write!(f, " ({} characters)", self.text.chars().count())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_printable_text_is_itself() {
        assert_eq!(quoted("").to_string(), "``");
        assert_eq!(quoted("café_ü").to_string(), "`café_ü`");
        assert_eq!(
            shown("policy/seccomp.toml").to_string(),
            "policy/seccomp.toml"
        );
    }

    #[test]
    fn controls_and_invisible_characters_are_escaped() {
        assert_eq!(
            quoted("a\u{1b}[31mb\u{7}\0\t\n\r\u{7f}\u{85}").to_string(),
            "`a\\u{1b}[31mb\\u{7}\\u{0}\\t\\n\\r\\u{7f}\\u{85}`"
        );
        // Right-to-left override, zero-width space, byte-order mark.
        assert_eq!(
            quoted("x\u{202e}y\u{200b}z\u{feff}").to_string(),
            "`x\\u{202e}y\\u{200b}z\\u{feff}`"
        );
    }

    #[test]
    fn long_text_is_cut_with_its_length() {
        let exactly = "b".repeat(QUOTE_MAX);
        assert_eq!(quoted(&exactly).to_string(), format!("`{exactly}`"));
        let over = "é".repeat(QUOTE_MAX + 1);
        assert_eq!(
            quoted(&over).to_string(),
            format!("`{}…` (65 characters)", "é".repeat(QUOTE_MAX))
        );
        // Escapes count as the one character they stand for.
        let controls = "\u{1b}".repeat(70);
        assert_eq!(
            quoted(&controls).to_string(),
            format!("`{}…` (70 characters)", "\\u{1b}".repeat(64))
        );
        assert_eq!(shown("abcdef").max(3).to_string(), "abc… (6 characters)");
    }
}
