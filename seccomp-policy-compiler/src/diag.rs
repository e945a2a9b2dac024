//! Errors about the policy file, rendered the way rustc writes its own.
//!
//! A proc macro cannot point rustc at a line of a TOML file, so each error
//! names the place itself: ``policy/seccomp.toml:12:5: unknown syscall
//! `newfstat` `` (the path exactly as written in the macro call), followed
//! by `note:` and `help:` lines.

use core::fmt::Write as _;

use seccomp_policy_core::text::{shown, write_char};

use crate::model::Loc;

/// The most characters of a source line a snippet shows: a longer line is
/// cut to this many around the column, [`SNIPPET_BEFORE`] of them before it.
pub const SNIPPET_MAX: usize = 100;

/// The characters a cut snippet line keeps before the column.
pub const SNIPPET_BEFORE: usize = 30;

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

impl Diagnostic {
    /// The diagnostic as rustc prints its own, with the policy file's line
    /// under the message and a caret under the column:
    ///
    /// ```text
    /// error: unknown syscall `newfstat`
    ///  --> policy.toml:2:19
    ///   |
    /// 2 | allow = ["read", "newfstat"]
    ///   |                   ^
    ///   |
    ///   = help: did you mean `newfstatat`?
    /// ```
    ///
    /// `code` names the check that found it (`warning[split-family]`);
    /// `source` is the file's text (for a file that is not UTF-8, its lossy
    /// conversion). A located note gets its own snippet; a position past
    /// the text is shown without one. Control characters of the file are
    /// shown as `\u{fffd}`, so a policy file cannot send escape sequences to
    /// the terminal, and a line over [`SNIPPET_MAX`] characters is cut
    /// around the column, with `…` where it is cut. Control characters in
    /// the message and the path are escaped (see
    /// [`seccomp_policy_core::text`]). No trailing newline.
    pub fn render_snippet(
        &self,
        severity: Severity,
        code: Option<&str>,
        file: &str,
        source: &str,
    ) -> String {
        let lines: Vec<&str> = source.split('\n').collect();
        let mut max_line = self.loc.map_or(0, |l| l.line);
        for note in &self.notes {
            max_line = max_line.max(note.loc.map_or(0, |l| l.line));
        }
        let width = max_line.max(1).to_string().len();
        let pad = " ".repeat(width);
        let mut out = String::new();
        out.push_str(severity.as_str());
        if let Some(code) = code {
            let _ = write!(out, "[{code}]");
        }
        out.push_str(": ");
        push_escaped(&mut out, &self.message);
        if let Some(loc) = self.loc {
            push_snippet(&mut out, &lines, &pad, file, loc);
        }
        for note in &self.notes {
            if let Some(loc) = note.loc {
                out.push_str("\nnote: ");
                push_escaped(&mut out, &note.message);
                push_snippet(&mut out, &lines, &pad, file, loc);
            }
        }
        let plain_notes = self.notes.iter().filter(|n| n.loc.is_none());
        let trailer: Vec<(&str, &str)> = plain_notes
            .map(|n| ("note", n.message.as_str()))
            .chain(self.help.iter().map(|h| ("help", h.as_str())))
            .collect();
        if !trailer.is_empty() {
            let _ = write!(out, "\n{pad} |");
            for (kind, text) in trailer {
                let _ = write!(out, "\n{pad} = {kind}: ");
                push_escaped(&mut out, text);
            }
        }
        out
    }

    /// The diagnostic as one JSON object, for editors and CI annotations:
    ///
    /// ```text
    /// {"severity":"error","code":null,"message":"unknown syscall `newfstat`",
    ///  "file":"policy.toml","line":2,"column":19,
    ///  "notes":[{"message":"...","line":3,"column":5}],
    ///  "help":["did you mean `newfstatat`?"],
    ///  "rendered":"error: unknown syscall ..."}
    /// ```
    ///
    /// `line` and `column` are 1-based (the column counts characters), or
    /// `null` for the file as a whole; `rendered` is
    /// [`render_snippet`](Diagnostic::render_snippet)'s text.
    pub fn to_json(
        &self,
        severity: Severity,
        code: Option<&str>,
        file: &str,
        source: &str,
    ) -> String {
        use crate::json::{loc_fields, string};
        let notes: Vec<String> = self
            .notes
            .iter()
            .map(|n| {
                format!(
                    "{{\"message\":{},{}}}",
                    string(&n.message),
                    loc_fields(n.loc)
                )
            })
            .collect();
        let help: Vec<String> = self.help.iter().map(|h| string(h)).collect();
        format!(
            "{{\"severity\":{},\"code\":{},\"message\":{},\"file\":{},{},\"notes\":[{}],\"help\":[{}],\"rendered\":{}}}",
            string(severity.as_str()),
            code.map_or_else(|| "null".to_owned(), string),
            string(&self.message),
            string(file),
            loc_fields(self.loc),
            notes.join(","),
            help.join(","),
            string(&self.render_snippet(severity, code, file, source)),
        )
    }
}

/// Text with control characters (other than tab) replaced by U+FFFD.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// ` --> file:line:col`, the source line and a caret under the column.
fn push_snippet(out: &mut String, lines: &[&str], pad: &str, file: &str, loc: Loc) {
    let _ = write!(out, "\n{pad}--> {}:{}:{}", shown(file), loc.line, loc.col);
    let Some(text) = loc.line.checked_sub(1).and_then(|i| lines.get(i)) else {
        return;
    };
    let mut text = text.strip_suffix('\r').unwrap_or(text);
    if loc.line == 1 {
        text = text.strip_prefix('\u{feff}').unwrap_or(text);
    }
    let (text, caret) = cut_around(&clean(text), loc.col.saturating_sub(1));
    // Tabs stay tabs under the caret, so it lines up whatever the tab width.
    let under: String = text
        .chars()
        .take(caret)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let number = format!("{:>width$}", loc.line, width = pad.len());
    let _ = write!(out, "\n{pad} |\n{number} | {text}\n{pad} | {under}^");
}

/// A line of at most [`SNIPPET_MAX`] characters around character `col`
/// (0-based) of `text`, `…` where it is cut, and the column's place in it.
fn cut_around(text: &str, col: usize) -> (String, usize) {
    let len = text.chars().count();
    if len <= SNIPPET_MAX {
        return (text.to_owned(), col);
    }
    let start = col
        .saturating_sub(SNIPPET_BEFORE)
        .min(len.saturating_sub(SNIPPET_MAX));
    let end = (start + SNIPPET_MAX).min(len);
    let mut out = String::new();
    let mut caret = col - start;
    if start > 0 {
        out.push('…');
        caret += 1;
    }
    out.extend(text.chars().skip(start).take(end - start));
    if end < len {
        out.push('…');
    }
    (out, caret)
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
    fn renders_snippets_like_rustc() {
        let source = "[base]\nallow = [\"read\", \"newfstat\"]\n";
        let diag = Diagnostic::at(loc(2, 19), "unknown syscall `newfstat`")
            .with_help("did you mean `newfstatat`?");
        assert_eq!(
            diag.render_snippet(Severity::Error, None, "p.toml", source),
            "error: unknown syscall `newfstat`\n \
             --> p.toml:2:19\n  \
             |\n\
             2 | allow = [\"read\", \"newfstat\"]\n  \
             |                   ^\n  \
             |\n  \
             = help: did you mean `newfstatat`?"
        );
    }

    #[test]
    fn snippets_of_notes_warnings_and_odd_files() {
        let mut source = String::new();
        for i in 1..=11 {
            let _ = writeln!(source, "line{i}");
        }
        source.push_str("\tx = \"\u{1b}[2J\"\r\n");
        let diag = Diagnostic::at(loc(12, 7), "odd")
            .with_note_at(loc(9, 1), "first here")
            .with_note("plain")
            .with_help("fix it");
        assert_eq!(
            diag.render_snippet(Severity::Warning, Some("split-family"), "p.toml", &source),
            "warning[split-family]: odd\n  \
             --> p.toml:12:7\n   \
             |\n\
             12 | \tx = \"\u{fffd}[2J\"\n   \
             | \t     ^\n\
             note: first here\n  \
             --> p.toml:9:1\n   \
             |\n \
             9 | line9\n   \
             | ^\n   \
             |\n   \
             = note: plain\n   \
             = help: fix it"
        );
        // Past the end of the text: the place without a snippet.
        let far = Diagnostic::at(loc(40, 2), "far");
        assert_eq!(
            far.render_snippet(Severity::Error, None, "p.toml", "a"),
            "error: far\n  --> p.toml:40:2"
        );
        // The file as a whole.
        let whole = Diagnostic::whole_file("cannot read").with_help("check the path");
        assert_eq!(
            whole.render_snippet(Severity::Error, None, "p.toml", ""),
            "error: cannot read\n  |\n  = help: check the path"
        );
    }

    #[test]
    fn long_lines_are_cut_around_the_column_and_paths_escaped() {
        let line = format!("{}X{}", "a".repeat(200), "b".repeat(200));
        let diag = Diagnostic::at(loc(1, 201), "here");
        let snippet = diag.render_snippet(Severity::Error, None, "p\u{1b}.toml", &line);
        assert_eq!(
            snippet,
            format!(
                "error: here\n --> p\\u{{1b}}.toml:1:201\n  |\n1 | …{}X{}…\n  | {}^",
                "a".repeat(30),
                "b".repeat(69),
                " ".repeat(31)
            )
        );
        // Near the start: cut at the end only.
        let diag = Diagnostic::at(loc(1, 3), "start");
        let snippet = diag.render_snippet(Severity::Error, None, "p", &line);
        assert!(snippet.ends_with(&format!("1 | {}…\n  |   ^", "a".repeat(100))));
        // The plain rendering escapes the path and any control character
        // a message was given.
        let diag = Diagnostic::at(loc(2, 1), "bad \u{7}").with_help("h\u{1b}");
        assert_eq!(
            diag.render("\u{1b}[2J.toml"),
            "\\u{1b}[2J.toml:2:1: bad \\u{7}\nhelp: h\\u{1b}"
        );
    }

    #[test]
    fn json_objects_escape_everything() {
        let diag = Diagnostic::at(loc(1, 2), "bad \"q\" \\ \u{1}")
            .with_note_at(loc(1, 1), "here")
            .with_help("h");
        let json = diag.to_json(Severity::Error, None, "a\"b.toml", "x\n");
        assert!(json.starts_with(
            "{\"severity\":\"error\",\"code\":null,\"message\":\"bad \\\"q\\\" \\\\ \\u0001\",\
             \"file\":\"a\\\"b.toml\",\"line\":1,\"column\":2,\
             \"notes\":[{\"message\":\"here\",\"line\":1,\"column\":1}],\"help\":[\"h\"],\"rendered\":\"error: "
        ), "{json}");
        let whole = Diagnostic::whole_file("w").to_json(Severity::Warning, Some("c"), "f", "");
        assert!(
            whole.contains(
                "\"code\":\"c\",\"message\":\"w\",\"file\":\"f\",\"line\":null,\"column\":null"
            ),
            "{whole}"
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
