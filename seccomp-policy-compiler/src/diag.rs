//! Errors about the policy file, rendered the way rustc writes its own.
//!
//! A proc macro cannot point rustc at a line of a TOML file, so each error
//! names the place itself: ``policy/seccomp.toml:12:5: unknown syscall
//! `newfstat` `` (the path exactly as written in the macro call), followed
//! by `note:` and `help:` lines.

use core::fmt::Write as _;

use crate::model::Loc;

/// One error in the policy file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where the offending item starts; `None` for the file as a whole.
    pub loc: Option<Loc>,
    /// What is wrong: lower-case start, no trailing period.
    pub message: String,
    /// Related facts, such as where a duplicate was first listed.
    pub notes: Vec<Note>,
    /// What to do about it.
    pub help: Vec<String>,
}

/// A `note:` line, optionally pointing at another place in the same file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The place the note is about, if any.
    pub loc: Option<Loc>,
    /// The note's text.
    pub message: String,
}

impl Diagnostic {
    /// An error about the item at `loc`.
    pub fn at(loc: Loc, message: impl Into<String>) -> Self {
        Diagnostic {
            loc: Some(loc),
            message: message.into(),
            notes: Vec::new(),
            help: Vec::new(),
        }
    }

    /// An error about the file as a whole.
    pub fn whole_file(message: impl Into<String>) -> Self {
        Diagnostic {
            loc: None,
            message: message.into(),
            notes: Vec::new(),
            help: Vec::new(),
        }
    }

    /// Adds a `help:` line.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    /// Adds a `note:` line about another place in the file.
    #[must_use]
    pub fn with_note_at(mut self, loc: Loc, message: impl Into<String>) -> Self {
        self.notes.push(Note {
            loc: Some(loc),
            message: message.into(),
        });
        self
    }

    /// Adds a `note:` line.
    #[must_use]
    pub fn with_note(mut self, message: impl Into<String>) -> Self {
        self.notes.push(Note {
            loc: None,
            message: message.into(),
        });
        self
    }

    /// The error as rustc would print it, for a policy file the user calls `file`:
    ///
    /// ```text
    /// policy/seccomp.toml:12:5: unknown syscall `newfstat`
    /// help: did you mean `newfstatat`?
    /// ```
    pub fn render(&self, file: &str) -> String {
        let mut out = String::new();
        push_located(&mut out, file, self.loc, &self.message);
        for note in &self.notes {
            out.push_str("\nnote: ");
            push_located(&mut out, file, note.loc, &note.message);
        }
        for help in &self.help {
            out.push_str("\nhelp: ");
            out.push_str(help);
        }
        out
    }
}

fn push_located(out: &mut String, file: &str, loc: Option<Loc>, message: &str) {
    if let Some(loc) = loc {
        // Writing to a String cannot fail.
        let _ = write!(out, "{file}:{}:{}: ", loc.line, loc.col);
    }
    out.push_str(message);
}

/// The 1-based line and column (in characters) of byte `offset` in `source`.
///
/// Lines end at `\n`, so CRLF files count like LF files. An offset past the end
/// or inside a multi-byte character is clamped rather than trusted.
pub fn loc_at(source: &str, offset: usize) -> Loc {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line_start = before.rfind('\n').map_or(0, |nl| nl + 1);
    let line = before.matches('\n').count() + 1;
    let mut text = &before[line_start..];
    if line == 1 {
        // Editors do not show a byte-order mark as a column.
        text = text.strip_prefix('\u{feff}').unwrap_or(text);
    }
    Loc {
        line,
        col: text.chars().count() + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(line: usize, col: usize) -> Loc {
        Loc { line, col }
    }

    #[test]
    fn renders_location_message_and_help() {
        let diag = Diagnostic::at(loc(12, 5), "unknown syscall `newfstat`")
            .with_help("did you mean `newfstatat`?");
        assert_eq!(
            diag.render("policy/seccomp.toml"),
            "policy/seccomp.toml:12:5: unknown syscall `newfstat`\n\
             help: did you mean `newfstatat`?"
        );
    }

    #[test]
    fn renders_notes_before_help_and_located_notes_with_the_file() {
        let diag = Diagnostic::at(
            loc(70, 20),
            "syscall `wait4` is listed twice in `[cap.CODE_EXEC]`",
        )
        .with_note_at(loc(68, 5), "first listed here")
        .with_note("plain note")
        .with_help("remove one of them");
        assert_eq!(
            diag.render("p.toml"),
            "p.toml:70:20: syscall `wait4` is listed twice in `[cap.CODE_EXEC]`\n\
             note: p.toml:68:5: first listed here\n\
             note: plain note\n\
             help: remove one of them"
        );
    }

    #[test]
    fn renders_whole_file_errors_without_a_location() {
        let diag = Diagnostic::whole_file("cannot read policy file `policy/x.toml`: gone");
        assert_eq!(
            diag.render("policy/x.toml"),
            "cannot read policy file `policy/x.toml`: gone"
        );
    }

    #[test]
    fn locates_offsets_by_line_and_character() {
        let src = "ab\ncd\n";
        assert_eq!(loc_at(src, 0), loc(1, 1));
        assert_eq!(loc_at(src, 1), loc(1, 2));
        assert_eq!(loc_at(src, 2), loc(1, 3));
        assert_eq!(loc_at(src, 3), loc(2, 1));
        assert_eq!(loc_at(src, 6), loc(3, 1));
        assert_eq!(loc_at(src, 600), loc(3, 1));
        assert_eq!(loc_at("", 0), loc(1, 1));
    }

    #[test]
    fn locates_offsets_with_crlf_multibyte_and_bom() {
        let src = "a\r\n\u{e9}\u{e9}x\r\n";
        assert_eq!(loc_at(src, 3), loc(2, 1));
        // `x` comes after two two-byte characters: column 3.
        assert_eq!(loc_at(src, 7), loc(2, 3));
        // Inside a multi-byte character: clamped to its start.
        assert_eq!(loc_at(src, 4), loc(2, 1));
        assert_eq!(loc_at("\u{feff}[base]", 3), loc(1, 1));
        assert_eq!(loc_at("\u{feff}[base]", 4), loc(1, 2));
    }
}
