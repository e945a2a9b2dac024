//! Policies made from the fuzzer's bytes rather than mutated as text: mostly
//! well-formed TOML in every layout the format allows, with known and unknown
//! syscall names, good and bad cap names, duplicates, stray keys and wrong
//! types. Each choice is either surely valid or surely invalid, so besides
//! "never a panic" this checks that exactly the valid ones parse, to the
//! names and positions that were written.

#![no_main]

use std::fmt::Write as _;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

use seccomp_policy_compiler::{diag, model, parse, tables};
// The checks both targets share, in this package's library.
use seccomp_policy_fuzz as checks;

use model::Loc;

/// A syscall name as written, and where its string literal starts.
struct Written {
    name: String,
    offset: usize,
}

/// A `[cap.NAME]` as written: its decoded name, where its header's `[` is
/// (header layouts only) and its `allow` list.
struct WrittenCap {
    name: String,
    header: Option<usize>,
    allow: Vec<Written>,
}

struct Gen<'u, 'a> {
    u: &'u mut Unstructured<'a>,
    out: String,
    nl: &'static str,
    /// False as soon as something surely invalid was written.
    valid: bool,
    known: &'static [&'static str],
}

/// How `[base]` or the caps are laid out.
#[derive(Clone, Copy, PartialEq)]
enum Layout {
    /// `[base]` / `[cap.NAME]` headers.
    Headers,
    /// `base = { allow = [...] }` / `cap = { NAME = { allow = [...] } }`.
    Inline,
    /// `base.allow = [...]` / `cap.NAME.allow = [...]` before any header.
    Dotted,
}

impl Gen<'_, '_> {
    /// True one time in `den`. False once the fuzzer's bytes run out, unlike
    /// `Unstructured::ratio`, so that a short input gives a valid policy and
    /// the invalid variants cost bytes.
    fn rare(&mut self, den: u32) -> Result<bool> {
        Ok(self.u.int_in_range(1..=den)? == den)
    }

    fn layout(&mut self) -> Result<Layout> {
        Ok(*self
            .u
            .choose(&[Layout::Headers, Layout::Inline, Layout::Dotted])?)
    }

    /// Blank space that is valid anywhere between array items.
    fn array_space(&mut self) -> Result<()> {
        match self.u.int_in_range(0..=5)? {
            0 => {}
            1 => self.out.push(' '),
            2 => self.out.push('\t'),
            3 => self.out.push_str(self.nl),
            4 => {
                self.out.push_str(" # note ");
                self.out.push_str(self.nl);
            }
            _ => {
                self.out.push_str(self.nl);
                self.out.push_str("    ");
            }
        }
        Ok(())
    }

    /// A line of nothing between statements.
    fn blank_lines(&mut self) -> Result<()> {
        for _ in 0..self.u.int_in_range(0..=2)? {
            if self.u.ratio(1, 3)? {
                self.out.push_str("# comment \u{e9}\u{1f600}");
            }
            self.out.push_str(self.nl);
        }
        Ok(())
    }

    /// A string the fuzzer picks: short, mostly identifier-like.
    fn text(&mut self) -> Result<String> {
        const CHARS: &str = "aberdx_09AZ- .\"\\'\u{e9}\u{1f600}\t\u{0}\u{7f}#=";
        let chars: Vec<char> = CHARS.chars().collect();
        let len = self.u.int_in_range(0..=12)?;
        (0..len).map(|_| self.u.choose(&chars).copied()).collect()
    }

    /// `s` as a TOML string literal in a form the fuzzer picks.
    fn string(&mut self, s: &str) -> Result<String> {
        let literal_ok = !s
            .chars()
            .any(|c| c == '\'' || (c.is_control() && c != '\t'));
        let form = self.u.int_in_range(0..=3)?;
        Ok(match form {
            1 if literal_ok => format!("'{s}'"),
            2 if literal_ok && !s.starts_with('\'') && !s.ends_with('\'') => {
                format!("'''{s}'''")
            }
            3 => {
                // Every character escaped as \uXXXX or \UXXXXXXXX.
                let mut out = String::from("\"");
                for c in s.chars() {
                    if (c as u32) < 0x10000 && self.u.ratio(1, 2)? {
                        let _ = write!(out, "\\u{:04X}", c as u32);
                    } else if (c as u32) < 0x10000 {
                        let _ = write!(out, "\\u{:04x}", c as u32);
                    } else {
                        let _ = write!(out, "\\U{:08X}", c as u32);
                    }
                }
                out.push('"');
                out
            }
            _ => basic_string(s),
        })
    }

    /// A key as TOML allows it: bare when it can be and the fuzzer likes.
    fn key(&mut self, k: &str) -> Result<String> {
        let bare_ok = !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        let literal_ok = !k
            .chars()
            .any(|c| c == '\'' || (c.is_control() && c != '\t'));
        Ok(match self.u.int_in_range(0..=3)? {
            0 | 1 if bare_ok => k.to_owned(),
            2 if literal_ok => format!("'{k}'"),
            // Quoted keys take no multi-line strings, so only the basic form.
            _ => basic_string(k),
        })
    }

    /// One `allow` item. Records the name when it is a string.
    fn item(&mut self, list: &mut Vec<Written>) -> Result<()> {
        let offset = self.out.len();
        let name = match self.u.int_in_range(0..=31)? {
            0..=24 => {
                let name = *self.u.choose(self.known)?;
                name.to_owned()
            }
            25 | 26 if !list.is_empty() => {
                // A duplicate.
                let i = self.u.choose_index(list.len())?;
                list[i].name.clone()
            }
            27 => {
                // A near miss of a known name, or any text.
                let mut name = (*self.u.choose(self.known)?).to_owned();
                if !name.is_empty() {
                    let i = self.u.choose_index(name.len())?;
                    name.remove(i);
                }
                name
            }
            28 => self.text()?,
            29 => {
                self.valid = false;
                let other = *self.u.choose(&[
                    "42",
                    "-1",
                    "1.5",
                    "true",
                    "[]",
                    "[\"read\"]",
                    "{}",
                    "1979-05-27",
                ])?;
                self.out.push_str(other);
                return Ok(());
            }
            _ => String::new(),
        };
        if name.is_empty()
            || list.iter().any(|w| w.name == name)
            || self.known.binary_search(&name.as_str()).is_err()
        {
            self.valid = false;
        }
        let literal = self.string(&name)?;
        self.out.push_str(&literal);
        list.push(Written { name, offset });
        Ok(())
    }

    /// `[...]`, on one line when `one_line`.
    fn array(&mut self, one_line: bool) -> Result<Vec<Written>> {
        let mut list = Vec::new();
        self.out.push('[');
        let n = self.u.int_in_range(0..=8)?;
        for i in 0..n {
            if !one_line {
                self.array_space()?;
            }
            self.item(&mut list)?;
            if i + 1 < n || self.u.ratio(1, 3)? {
                self.out.push(',');
            }
        }
        if !one_line {
            self.array_space()?;
        }
        self.out.push(']');
        Ok(list)
    }

    /// The value of `allow`: an array, or now and then something else.
    fn allow_value(&mut self, one_line: bool) -> Result<Vec<Written>> {
        if self.rare(20)? {
            self.valid = false;
            let other = *self.u.choose(&["\"read\"", "1", "{}", "true"])?;
            self.out.push_str(other);
            return Ok(Vec::new());
        }
        self.array(one_line)
    }

    /// A key that is not `allow`, for a table that takes only `allow`.
    fn stray_key(&mut self) -> Result<String> {
        self.valid = false;
        let k = *self.u.choose(&["alow", "allowed", "deny", "Allow", "x"])?;
        self.key(k)
    }

    /// A cap name, valid or not. `used` holds the names already declared.
    fn cap_name(&mut self, used: &[String]) -> Result<String> {
        let name = match self.u.int_in_range(0..=15)? {
            0..=12 => {
                // [A-Z][A-Z0-9_]*, made unique unless a duplicate is wanted.
                let len = self.u.int_in_range(0..=6)?;
                let mut name = String::from(*self.u.choose(&["A", "B", "FILE", "X"])?);
                for _ in 0..len {
                    name.push(*self.u.choose(&['A', 'Q', 'Z', '0', '9', '_'])?);
                }
                if used.contains(&name) || parse::RESERVED_CAP_NAMES.contains(&name.as_str()) {
                    let _ = write!(name, "_{}", used.len());
                }
                name
            }
            13 => (*self.u.choose(parse::RESERVED_CAP_NAMES)?).to_owned(),
            14 if !used.is_empty() => used[self.u.choose_index(used.len())?].clone(),
            _ => self.text()?,
        };
        let good = name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            && !parse::RESERVED_CAP_NAMES.contains(&name.as_str())
            && !used.contains(&name);
        if !good {
            self.valid = false;
        }
        Ok(name)
    }

    fn statement_end(&mut self) -> Result<()> {
        if self.u.ratio(1, 4)? {
            self.out.push_str(" # end");
        }
        self.out.push_str(self.nl);
        self.blank_lines()
    }

    /// `[base]` in the header layout.
    fn base_header(&mut self) -> Result<Option<Vec<Written>>> {
        let header = *self
            .u
            .choose(&["[base]", "[ base ]", "[\"base\"]", "['base']"])?;
        self.out.push_str(header);
        self.statement_end()?;
        let mut allow = None;
        // Usually exactly one `allow`; sometimes none, or a stray key too.
        let (with_allow, strays) = match self.u.int_in_range(0..=9)? {
            8 => (false, 0),
            9 => (true, 1),
            _ => (true, 0),
        };
        if with_allow {
            self.out.push_str("allow = ");
            allow = Some(self.allow_value(false)?);
            self.statement_end()?;
        }
        for _ in 0..strays {
            let k = self.stray_key()?;
            let _ = write!(self.out, "{k} = 1");
            self.statement_end()?;
        }
        if !with_allow {
            self.valid = false;
        }
        Ok(allow)
    }

    /// `[cap.NAME]` in the header layout.
    fn cap_header(&mut self, name: &str) -> Result<WrittenCap> {
        let header = self.out.len();
        let key = self.key(name)?;
        let _ = write!(self.out, "[cap.{key}]");
        self.statement_end()?;
        let mut allow = Vec::new();
        match self.u.int_in_range(0..=5)? {
            4 => {} // A cap without `allow` is fine: it allows nothing.
            5 => {
                let k = self.stray_key()?;
                let _ = write!(self.out, "{k} = []");
                self.statement_end()?;
            }
            _ => {
                self.out.push_str("allow = ");
                allow = self.allow_value(false)?;
                self.statement_end()?;
            }
        }
        Ok(WrittenCap {
            name: name.to_owned(),
            header: Some(header),
            allow,
        })
    }

    fn policy(&mut self) -> Result<(Option<Vec<Written>>, Vec<WrittenCap>)> {
        if self.u.ratio(1, 8)? {
            self.out.push('\u{feff}');
        }
        self.blank_lines()?;
        let base_layout = self.layout()?;
        let cap_layout = self.layout()?;
        let with_base = !self.rare(30)?;
        if !with_base {
            self.valid = false;
        }
        let mut base = None;

        // Key/value statements at the root come before any header.
        if with_base && base_layout != Layout::Headers {
            base = Some(self.base_root(base_layout)?);
        }
        let mut caps = Vec::new();
        let mut names: Vec<String> = Vec::new();
        let n_caps = if self.rare(40)? {
            self.u.int_in_range(60..=66)?
        } else {
            self.u.int_in_range(0..=5)?
        };
        if n_caps > parse::MAX_CAPS {
            self.valid = false;
        }
        match cap_layout {
            Layout::Inline if n_caps > 0 => {
                self.out.push_str("cap = {");
                for i in 0..n_caps {
                    let name = self.cap_name(&names)?;
                    let key = self.key(&name)?;
                    let _ = write!(self.out, " {key} = {{ allow = ");
                    let allow = self.allow_value(true)?;
                    self.out.push_str(" }");
                    if i + 1 < n_caps {
                        self.out.push(',');
                    }
                    names.push(name.clone());
                    caps.push(WrittenCap {
                        name,
                        header: None,
                        allow,
                    });
                }
                self.out.push_str(" }");
                self.statement_end()?;
            }
            Layout::Dotted => {
                for _ in 0..n_caps {
                    let name = self.cap_name(&names)?;
                    let key = self.key(&name)?;
                    let _ = write!(self.out, "cap.{key}.allow = ");
                    let allow = self.allow_value(false)?;
                    self.statement_end()?;
                    names.push(name.clone());
                    caps.push(WrittenCap {
                        name,
                        header: None,
                        allow,
                    });
                }
            }
            _ => {}
        }
        if self.rare(30)? {
            self.valid = false;
            let k = *self.u.choose(&["bsae", "caps", "allow", "x"])?;
            let _ = write!(self.out, "{k} = []");
            self.statement_end()?;
        }

        // Then the headers, with `[base]` anywhere among the caps.
        let header_caps = if cap_layout == Layout::Headers {
            n_caps
        } else {
            0
        };
        let base_at = if with_base && base_layout == Layout::Headers {
            Some(self.u.int_in_range(0..=header_caps)?)
        } else {
            None
        };
        for i in 0..=header_caps {
            if base_at == Some(i) {
                // `None` is a `[base]` without `allow`, already marked invalid.
                base = Some(self.base_header()?.unwrap_or_default());
            }
            if i < header_caps {
                let name = self.cap_name(&names)?;
                names.push(name.clone());
                caps.push(self.cap_header(&name)?);
            }
        }
        if self.rare(30)? {
            self.valid = false;
            self.out.push_str("[other]");
            self.statement_end()?;
        }
        Ok((base, caps))
    }

    /// `base = { allow = [...] }` or `base.allow = [...]`.
    fn base_root(&mut self, layout: Layout) -> Result<Vec<Written>> {
        let allow = if layout == Layout::Inline {
            self.out.push_str("base = { allow = ");
            let allow = self.allow_value(true)?;
            self.out.push_str(" }");
            allow
        } else {
            self.out.push_str("base.allow = ");
            self.allow_value(false)?
        };
        self.statement_end()?;
        Ok(allow)
    }
}

fn basic_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() && c != '\t' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Line and column of byte `offset`, counted here independently of `diag`.
fn expected_loc(source: &str, offset: usize) -> Loc {
    let before = &source[..offset];
    let line = 1 + before.bytes().filter(|&b| b == b'\n').count();
    let line_text = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    let bom = usize::from(line == 1 && line_text.starts_with('\u{feff}'));
    Loc {
        line,
        col: line_text.chars().count() - bom + 1,
    }
}

fn render(diags: &[diag::Diagnostic]) -> String {
    let lines: Vec<String> = diags.iter().map(|d| d.render(checks::DISPLAY)).collect();
    lines.join("\n")
}

fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let nl = if u.ratio(1, 4)? { "\r\n" } else { "\n" };
    let mut gen = Gen {
        u: &mut u,
        out: String::new(),
        nl,
        valid: true,
        known: tables::all_names(),
    };
    let (base, caps) = gen.policy()?;
    let (source, valid) = (gen.out, gen.valid);
    let result = checks::check_source(&source);
    let policy = match (result, valid) {
        (Ok(policy), true) => policy,
        (Err(_), false) => return Ok(()),
        (Ok(_), false) => panic!("accepted an invalid policy:\n{source}"),
        (Err(diags), true) => panic!(
            "rejected a valid policy:\n{source}\n---\n{}",
            render(&diags)
        ),
    };
    let base = base.expect("a valid policy has a base");
    let same = |got: &[model::Rule], want: &[Written]| {
        assert_eq!(got.len(), want.len(), "{source}");
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g.syscall(), w.name, "{source}");
            assert_eq!(
                g.loc,
                expected_loc(&source, w.offset),
                "`{}` in\n{source}",
                w.name
            );
        }
    };
    same(&policy.base.allow, &base);
    // Caps come in file order, which is the order written.
    assert_eq!(policy.caps.len(), caps.len(), "{source}");
    for (got, want) in policy.caps.iter().zip(&caps) {
        assert_eq!(got.name, want.name, "{source}");
        if let Some(header) = want.header {
            assert_eq!(got.loc, expected_loc(&source, header), "{source}");
        }
        same(&got.table.allow, &want.allow);
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
