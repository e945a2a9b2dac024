//! Errors about the policy file, rendered the way rustc writes its own.
//!
//! A proc macro cannot point rustc at a line of a TOML file, so each error
//! names the place itself: ``policy/seccomp.toml:12:5: unknown syscall
//! `newfstat` `` (the path exactly as written in the macro call), followed
//! by `note:` and `help:` lines.

use core::fmt::Write as _;

use seccomp_policy_core::text::{shown, write_char};

pub use crate::code::Code;
use crate::model::Loc;

/// One error in the policy file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The kind of error, whose stable code ([`Code::as_str`]) reports and
    /// editors match on.
    pub code: Code,
    /// Where the offending item starts; `None` for the file as a whole.
    pub loc: Option<Loc>,
    /// Where it ends (the position after its last character, on the same
    /// line), once [`with_ends`](Diagnostic::with_ends) found it: the
    /// token at [`loc`](Diagnostic::loc).
    pub end: Option<Loc>,
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
    /// Where the token at `loc` ends, as for [`Diagnostic::end`].
    pub end: Option<Loc>,
    /// The note's text.
    pub message: String,
}

impl Diagnostic {
    /// An error about the item at `loc`.
    pub fn at(loc: Loc, message: impl Into<String>) -> Self {
        Diagnostic {
            code: Code::Schema,
            loc: Some(loc),
            end: None,
            message: message.into(),
            notes: Vec::new(),
            help: Vec::new(),
        }
    }

    /// An error about the file as a whole.
    pub fn whole_file(message: impl Into<String>) -> Self {
        Diagnostic {
            code: Code::Schema,
            loc: None,
            end: None,
            message: message.into(),
            notes: Vec::new(),
            help: Vec::new(),
        }
    }

    /// The same diagnostic, of kind `code`.
    #[must_use]
    pub fn with_code(mut self, code: Code) -> Self {
        self.code = code;
        self
    }

    /// The same diagnostic with the end of each place found in `source`,
    /// the file's text: the end of the token there (the identifier, number
    /// or quoted string that starts there).
    #[must_use]
    pub fn with_ends(mut self, source: &str) -> Self {
        let lines = LineIndex::new(source);
        if self.end.is_none() {
            self.end = self.loc.map(|l| lines.token_end(l));
        }
        for note in &mut self.notes {
            if note.end.is_none() {
                note.end = note.loc.map(|l| lines.token_end(l));
            }
        }
        self
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
            end: None,
            message: message.into(),
        });
        self
    }

    /// Adds a `note:` line.
    #[must_use]
    pub fn with_note(mut self, message: impl Into<String>) -> Self {
        self.notes.push(Note {
            loc: None,
            end: None,
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
            push_escaped(&mut out, help);
        }
        out
    }
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Severity {
    /// The policy cannot be used: the macro refuses to compile it.
    Error,
    /// The policy works, but probably not as meant (the lints of the `seccomp-policy-lint-export` crate).
    Warning,
}

impl Severity {
    /// `"error"` or `"warning"`, as a report prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

fn push_located(out: &mut String, file: &str, loc: Option<Loc>, message: &str) {
    if let Some(loc) = loc {
        // Writing to a String cannot fail.
        let _ = write!(out, "{}:{}:{}: ", shown(file), loc.line, loc.col);
    }
    push_escaped(out, message);
}

/// `text` with its control characters escaped: messages quote user text
/// through [`seccomp_policy_core::text`] already; this keeps any that did
/// not from reaching a terminal.
fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        let _ = write_char(out, c);
    }
}

/// The 1-based line and column (in characters) of byte `offset` in `source`.
///
/// Lines end at `\n`, so CRLF files count like LF files. An offset past the end
/// or inside a multi-byte character is clamped rather than trusted. For many
/// offsets in one text, build a [`LineIndex`] once instead.
pub(crate) fn loc_at(source: &str, offset: usize) -> Loc {
    LineIndex::new(source).loc(offset)
}

/// The line starts of one text, for the many positions one parse reports.
///
/// Every rule of a policy gets a position, so finding each by scanning from
/// the start of the file made parsing quadratic in the file's size; with
/// the starts found once, a position costs a binary search and the
/// characters of its own line.
#[derive(Clone, Debug)]
pub(crate) struct LineIndex<'s> {
    source: &'s str,
    /// The byte offset of each line's first character; the first is 0.
    starts: Vec<usize>,
}

impl<'s> LineIndex<'s> {
    /// Finds the line starts of `source`.
    pub fn new(source: &'s str) -> Self {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(at, _)| at + 1));
        LineIndex { source, starts }
    }

    /// Where the token at `loc` ends: the position after its last
    /// character, on `loc`'s line. A token is a quoted string (to its
    /// closing quote), a `[table]` header, or a run of the characters of
    /// names, numbers and variables (`A-Z a-z 0-9 _ - . $ /`); anything
    /// else is one character. A place past the text ends where it starts.
    pub fn token_end(&self, loc: Loc) -> Loc {
        let Some(&start) = loc.line.checked_sub(1).and_then(|i| self.starts.get(i)) else {
            return loc;
        };
        let line_end = self.source[start..]
            .find('\n')
            .map_or(self.source.len(), |n| start + n);
        let mut text = &self.source[start..line_end];
        if loc.line == 1 {
            text = text.strip_prefix('\u{feff}').unwrap_or(text);
        }
        let rest: Vec<char> = text.chars().skip(loc.col.saturating_sub(1)).collect();
        let len = token_len(&rest);
        Loc {
            line: loc.line,
            col: loc.col + len,
        }
    }

    /// The position of byte `offset`, as [`loc_at`] defines it.
    pub fn loc(&self, offset: usize) -> Loc {
        let source = self.source;
        let mut offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        // The lines starting at or before `offset`; the first always does.
        let line = self.starts.partition_point(|&start| start <= offset);
        let mut text = &source[self.starts[line - 1]..offset];
        if line == 1 {
            // Editors do not show a byte-order mark as a column.
            text = text.strip_prefix('\u{feff}').unwrap_or(text);
        }
        Loc {
            line,
            col: text.chars().count() + 1,
        }
    }
}

/// The characters of the token `rest` starts with (see
/// [`LineIndex::token_end`]).
fn token_len(rest: &[char]) -> usize {
    let Some(&first) = rest.first() else {
        return 0;
    };
    let close = match first {
        '"' | '\'' => Some(first),
        '[' => Some(']'),
        _ => None,
    };
    if let Some(close) = close {
        let mut escaped = false;
        for (i, &c) in rest.iter().enumerate().skip(1) {
            match c {
                '\\' if first == '"' && !escaped => escaped = true,
                c if c == close && !escaped => return i + 1,
                _ => escaped = false,
            }
        }
        return rest.len().max(1);
    }
    let word = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '$' | '/');
    rest.iter().take_while(|&&c| word(c)).count().max(1)
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
    fn plain_rendering_escapes_the_path_and_control_characters() {
        let diag = Diagnostic::at(loc(2, 1), "bad \u{7}").with_help("h\u{1b}");
        assert_eq!(
            diag.render("\u{1b}[2J.toml"),
            "\\u{1b}[2J.toml:2:1: bad \\u{7}\nhelp: h\\u{1b}"
        );
    }

    #[test]
    fn ends_are_the_tokens_ends() {
        let src = "[base]\nallow = [\"read\", \"newfstat\"]\nx = 'a b' # c\n[cap.NET_IO]\n";
        let lines = LineIndex::new(src);
        // `newfstat` inside its quotes: the name; its opening quote: the string.
        assert_eq!(lines.token_end(loc(2, 19)), loc(2, 27));
        assert_eq!(lines.token_end(loc(2, 18)), loc(2, 28));
        assert_eq!(lines.token_end(loc(3, 5)), loc(3, 10));
        assert_eq!(lines.token_end(loc(4, 1)), loc(4, 13));
        assert_eq!(lines.token_end(loc(1, 1)), loc(1, 7));
        // One character of punctuation; a place past the text.
        assert_eq!(lines.token_end(loc(2, 7)), loc(2, 8));
        assert_eq!(lines.token_end(loc(9, 1)), loc(9, 1));
        let d = Diagnostic::at(loc(2, 19), "x")
            .with_note_at(loc(2, 11), "n")
            .with_ends(src);
        assert_eq!(
            (d.end, d.notes[0].end),
            (Some(loc(2, 27)), Some(loc(2, 15)))
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

    #[test]
    fn line_index_agrees_with_a_scan_from_the_start() {
        // The definition `LineIndex` replaced: count the newlines before.
        fn scanned(source: &str, offset: usize) -> Loc {
            let mut offset = offset.min(source.len());
            while !source.is_char_boundary(offset) {
                offset -= 1;
            }
            let before = &source[..offset];
            let line_start = before.rfind('\n').map_or(0, |nl| nl + 1);
            let mut text = &before[line_start..];
            if line_start == 0 {
                text = text.strip_prefix('\u{feff}').unwrap_or(text);
            }
            loc(before.matches('\n').count() + 1, text.chars().count() + 1)
        }
        for src in [
            "",
            "\n",
            "\n\n",
            "a\r\n\u{e9}\u{e9}x\r\n",
            "\u{feff}a\nb",
            "ab\ncd",
        ] {
            let index = LineIndex::new(src);
            for offset in 0..=src.len() + 2 {
                assert_eq!(
                    index.loc(offset),
                    scanned(src, offset),
                    "{src:?} at {offset}"
                );
            }
        }
    }
}
