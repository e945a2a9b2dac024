//! The front end's diagnostics as the user reads them: rustc's layout
//! (annotate-snippets, rustc's own renderer) with the whole token
//! underlined, one line each (`--format short`), or JSON (serde).
//!
//! Styles are always written; `output::err` (anstream) drops them for a
//! pipe, `NO_COLOR` and `--color never`.

use std::fmt::Write as _;

use annotate_snippets::{Level, Message, Renderer, Snippet};
use seccomp_policy_compiler::diag::{Diagnostic, Severity};
use seccomp_policy_compiler::model::Loc;
use seccomp_policy_core::text::shown;
use serde::Serialize;

use crate::args::Format;

/// The most characters of a source line a snippet shows: a longer line is
/// cut to this many around the column, [`SNIPPET_BEFORE`] of them before it.
pub const SNIPPET_MAX: usize = 100;

/// The characters a cut snippet line keeps before the column.
pub const SNIPPET_BEFORE: usize = 30;

/// One diagnostic to report: how serious, its code (an `E0001` code, or a
/// lint's name), and the front end's data.
pub type Item<'d> = (Severity, String, &'d Diagnostic);

/// `text` with control characters escaped, so that a message cannot send
/// escape sequences to the terminal.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Line `line` (1-based) of `source` with control characters (but tabs)
/// shown as U+FFFD and a leading byte-order mark dropped; `None` past the
/// end.
fn source_line(source: &str, line: usize) -> Option<String> {
    let text = source.split('\n').nth(line.checked_sub(1)?)?;
    let mut text = text.strip_suffix('\r').unwrap_or(text);
    if line == 1 {
        text = text.strip_prefix('\u{feff}').unwrap_or(text);
    }
    Some(
        text.chars()
            .map(|c| {
                if c.is_control() && c != '\t' {
                    '\u{fffd}'
                } else {
                    c
                }
            })
            .collect(),
    )
}

/// The byte range of `line` from character column `col` to `end` (both
/// 1-based, `end` exclusive; at least one character where the line has
/// one there).
fn span(line: &str, col: usize, end: Option<Loc>, at_line: usize) -> std::ops::Range<usize> {
    let byte = |c: usize| {
        line.char_indices()
            .nth(c.saturating_sub(1))
            .map_or(line.len(), |(i, _)| i)
    };
    let start = byte(col);
    let end_col = end
        .filter(|e| e.line == at_line && e.col > col)
        .map_or(col + 1, |e| e.col);
    let stop = byte(end_col).max(start);
    if stop == start && start < line.len() {
        let next = line[start..].chars().next().map_or(0, char::len_utf8);
        return start..start + next;
    }
    start..stop
}

/// A line of at most [`SNIPPET_MAX`] characters around column `col`
/// (1-based), `…` where it is cut, with the column and the end moved to
/// match: a policy's line may be megabytes long.
fn cut_around(text: &str, col: usize, end: Option<Loc>) -> (String, usize, Option<Loc>) {
    let len = text.chars().count();
    if len <= SNIPPET_MAX {
        return (text.to_owned(), col, end);
    }
    let at = col.saturating_sub(1);
    let start = at
        .saturating_sub(SNIPPET_BEFORE)
        .min(len.saturating_sub(SNIPPET_MAX));
    let stop = (start + SNIPPET_MAX).min(len);
    let mut out = String::new();
    let mut shift = start;
    if start > 0 {
        out.push('…');
        shift -= 1;
    }
    out.extend(text.chars().skip(start).take(stop - start));
    if stop < len {
        out.push('…');
    }
    let shown = out.chars().count();
    let end = end.map(|e| Loc {
        line: e.line,
        col: (e.col.saturating_sub(shift)).min(shown + 1),
    });
    (out, col - shift, end)
}

/// A place's snippet: its line, the token underlined, `label` beside it.
struct Place {
    line: String,
    line_no: usize,
    range: std::ops::Range<usize>,
}

fn place(source: &str, loc: Loc, end: Option<Loc>) -> Option<Place> {
    let line = source_line(source, loc.line)?;
    let (line, col, end) = cut_around(&line, loc.col, end);
    let range = span(&line, col, end, loc.line);
    Some(Place {
        line,
        line_no: loc.line,
        range,
    })
}

/// The diagnostic in rustc's layout, with ANSI styles when `styled`.
pub fn human(item: &Item<'_>, file: &str, source: &str, styled: bool) -> String {
    let (severity, code, d) = item;
    let level = match severity {
        Severity::Error => Level::Error,
        Severity::Warning => Level::Warning,
    };
    let origin = shown(file).to_string();
    let message = escaped(&d.message);
    let note_messages: Vec<String> = d.notes.iter().map(|n| escaped(&n.message)).collect();
    let helps: Vec<String> = d.help.iter().map(|h| escaped(h)).collect();
    let primary = d.loc.and_then(|l| place(source, l, d.end));
    let notes: Vec<(Option<Place>, &str)> = d
        .notes
        .iter()
        .zip(&note_messages)
        .filter(|(n, _)| n.loc.is_some())
        .map(|(n, m)| (n.loc.and_then(|l| place(source, l, n.end)), m.as_str()))
        .collect();
    let mut msg: Message<'_> = level.title(&message).id(code);
    // A note on the primary place's line is drawn under that line, as
    // rustc does; one elsewhere gets its own snippet.
    let same_line = |p: &Place| {
        primary
            .as_ref()
            .is_some_and(|q| q.line_no == p.line_no && q.line == p.line)
    };
    if let Some(p) = &primary {
        let mut snippet = Snippet::source(&p.line)
            .line_start(p.line_no)
            .origin(&origin)
            .annotation(level.span(p.range.clone()));
        for (n, label) in &notes {
            if let Some(n) = n.as_ref().filter(|n| same_line(n)) {
                snippet = snippet.annotation(Level::Note.span(n.range.clone()).label(label));
            }
        }
        msg = msg.snippet(snippet);
    }
    for (p, label) in &notes {
        if let Some(p) = p.as_ref().filter(|p| !same_line(p)) {
            msg = msg.snippet(
                Snippet::source(&p.line)
                    .line_start(p.line_no)
                    .origin(&origin)
                    .annotation(Level::Note.span(p.range.clone()).label(label)),
            );
        }
    }
    for (n, m) in d.notes.iter().zip(&note_messages) {
        // A plain note, or one whose line is past the text: in words.
        let no_snippet = n.loc.is_none_or(|l| source_line(source, l.line).is_none());
        if no_snippet {
            msg = msg.footer(Level::Note.title(m));
        }
    }
    for h in &helps {
        msg = msg.footer(Level::Help.title(h));
    }
    let renderer = if styled {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut text = renderer.render(msg).to_string();
    if primary.is_none() {
        if let Some(loc) = d.loc {
            // A place past the text: where, without a snippet.
            let head_end = text.find('\n').unwrap_or(text.len());
            text.insert_str(
                head_end,
                &format!("\n  --> {origin}:{}:{}", loc.line, loc.col),
            );
        }
    }
    text
}

/// The diagnostic one line a place: `file:line:col: error: message [CODE]`,
/// then its notes and help, each with the place it is about.
pub fn short(item: &Item<'_>, file: &str) -> String {
    let (severity, code, d) = item;
    let origin = shown(file).to_string();
    let at = |loc: Option<Loc>| match loc {
        Some(l) => format!("{origin}:{}:{}", l.line, l.col),
        None => origin.clone(),
    };
    let mut text = format!(
        "{}: {}: {} [{code}]\n",
        at(d.loc),
        severity.as_str(),
        escaped(&d.message)
    );
    for n in &d.notes {
        let _ = writeln!(
            text,
            "{}: note: {}",
            at(n.loc.or(d.loc)),
            escaped(&n.message)
        );
    }
    for h in &d.help {
        let _ = writeln!(text, "{}: help: {}", at(d.loc), escaped(h));
    }
    text
}

/// Diagnostics in a human or short format, for stderr.
pub fn all(format: Format, file: &str, source: &str, items: &[Item<'_>]) -> String {
    let mut text = String::new();
    for item in items {
        if format == Format::Short {
            text.push_str(&short(item, file));
        } else {
            text.push_str(&human(item, file, source, true));
            text.push_str("\n\n");
        }
    }
    text
}

/// A place in JSON: 1-based line and column (in characters).
#[derive(Serialize)]
struct JsonLoc {
    line: usize,
    column: usize,
}

impl From<Loc> for JsonLoc {
    fn from(l: Loc) -> Self {
        JsonLoc {
            line: l.line,
            column: l.col,
        }
    }
}

#[derive(Serialize)]
struct JsonNote<'d> {
    message: &'d str,
    line: Option<usize>,
    column: Option<usize>,
    end: Option<JsonLoc>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'d> {
    severity: &'static str,
    code: &'d str,
    message: &'d str,
    file: &'d str,
    line: Option<usize>,
    column: Option<usize>,
    end: Option<JsonLoc>,
    notes: Vec<JsonNote<'d>>,
    help: &'d [String],
    rendered: String,
}

#[derive(Serialize)]
struct JsonReport<'d> {
    file: &'d str,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<JsonDiagnostic<'d>>,
}

/// The JSON document of `check` and `lint`, with a newline:
///
/// ```text
/// {"file":"p.toml","errors":1,"warnings":0,"diagnostics":[
///   {"severity":"error","code":"E0005","message":"unknown syscall `newfstat`",
///    "file":"p.toml","line":2,"column":19,"end":{"line":2,"column":27},
///    "notes":[],"help":["did you mean `newfstatat`?"],"rendered":"error[E0005]: ..."}]}
/// ```
///
/// `end` is the position after the token's last character (`null` for
/// the file as a whole); `rendered` is the human form without styles.
pub fn json(file: &str, source: &str, items: &[Item<'_>]) -> String {
    let errors = items.iter().filter(|i| i.0 == Severity::Error).count();
    let diagnostics = items
        .iter()
        .map(|item| {
            let (severity, code, d) = item;
            JsonDiagnostic {
                severity: severity.as_str(),
                code,
                message: &d.message,
                file,
                line: d.loc.map(|l| l.line),
                column: d.loc.map(|l| l.col),
                end: d.end.map(JsonLoc::from),
                notes: d
                    .notes
                    .iter()
                    .map(|n| JsonNote {
                        message: &n.message,
                        line: n.loc.map(|l| l.line),
                        column: n.loc.map(|l| l.col),
                        end: n.end.map(JsonLoc::from),
                    })
                    .collect(),
                help: &d.help,
                rendered: human(item, file, source, false),
            }
        })
        .collect();
    let report = JsonReport {
        file,
        errors,
        warnings: items.len() - errors,
        diagnostics,
    };
    // A document of strings and integers always serializes.
    let mut text = serde_json::to_string(&report).unwrap_or_default();
    text.push('\n');
    text
}

/// `error`, styled as annotate-snippets styles a title's level.
pub fn error_word() -> String {
    let style = anstyle::Style::new()
        .bold()
        .fg_color(Some(anstyle::AnsiColor::BrightRed.into()));
    format!("{style}error{style:#}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(line: usize, col: usize) -> Loc {
        Loc { line, col }
    }

    fn human_plain(d: &Diagnostic, source: &str) -> String {
        human(
            &(Severity::Error, "E0005".to_owned(), d),
            "p.toml",
            source,
            false,
        )
    }

    #[test]
    fn the_token_is_underlined_and_help_follows() {
        let source = "[base]\nallow = [\"read\", \"newfstat\"]\n";
        let d = Diagnostic::at(loc(2, 19), "unknown syscall `newfstat`")
            .with_help("did you mean `newfstatat`?")
            .with_ends(source);
        assert_eq!(
            human_plain(&d, source),
            "error[E0005]: unknown syscall `newfstat`\n \
             --> p.toml:2:19\n  \
             |\n\
             2 | allow = [\"read\", \"newfstat\"]\n  \
             |                   ^^^^^^^^\n  \
             |\n  \
             = help: did you mean `newfstatat`?"
        );
        assert_eq!(
            short(&(Severity::Error, "E0005".to_owned(), &d), "p.toml"),
            "p.toml:2:19: error: unknown syscall `newfstat` [E0005]\n\
             p.toml:2:19: help: did you mean `newfstatat`?\n"
        );
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let source = "x = \"\u{1b}[2J\"\n";
        let d = Diagnostic::at(loc(1, 5), "bad \u{7}")
            .with_help("h\u{1b}")
            .with_ends(source);
        for text in [
            human_plain(&d, source),
            short(&(Severity::Error, "E0004".to_owned(), &d), "a\u{1b}.toml"),
        ] {
            assert!(
                !text.chars().any(|c| c.is_control() && c != '\n'),
                "{text:?}"
            );
        }
        assert!(human_plain(&d, source).contains("x = \"\u{fffd}[2J\""));
    }

    #[test]
    fn long_lines_are_cut_around_the_token() {
        let line = format!("{}\"X\"{}", "a".repeat(200), "b".repeat(200));
        let d = Diagnostic::at(loc(1, 202), "here").with_ends(&line);
        let text = human_plain(&d, &line);
        let shown = text.lines().nth(3).unwrap();
        assert_eq!(
            shown,
            format!("1 | …{}\"X\"{}…", "a".repeat(29), "b".repeat(68))
        );
        let under = text.lines().nth(4).unwrap();
        assert_eq!(under, format!("  | {}^", " ".repeat(31)));
    }

    #[test]
    fn places_past_the_text_and_whole_files() {
        let far = Diagnostic::at(loc(40, 2), "far");
        assert_eq!(
            human_plain(&far, "a"),
            "error[E0005]: far\n  --> p.toml:40:2"
        );
        let whole = Diagnostic::whole_file("cannot read").with_help("check the path");
        assert_eq!(
            human_plain(&whole, ""),
            "error[E0005]: cannot read\n = help: check the path"
        );
        assert_eq!(
            short(&(Severity::Error, "E0001".to_owned(), &whole), "p.toml"),
            "p.toml: error: cannot read [E0001]\np.toml: help: check the path\n"
        );
    }
}
