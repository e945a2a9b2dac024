//! A table's `fs` and `net` tables, and the policy's `vars`: what a
//! payload may reach beyond system calls.
//!
//! ```toml
//! vars = ["CACHE"]                  # variables the harness gives, beside the built-in ones
//!
//! [base.fs]
//! read = ["/usr", "/etc", "$WORKDIR"]   # read, list, execute beneath these
//!
//! [cap.FILE_IO.fs]
//! write = ["$WORKDIR", "$TMPDIR"]       # also write, make, remove, rename beneath these
//!
//! [cap.SSRF.net]
//! connect = ["$PORTS", 443]             # TCP ports
//! bind = []
//! ```
//!
//! A path is absolute, or a variable optionally followed by `/more`; a port
//! is a number from 0 to 65535, or a variable. The variables are the
//! built-in ones (`seccomp_policy_core::reach::BUILTIN_VARS`: `WORKDIR`
//! and `TMPDIR` for paths, `PORTS` for ports) and those `vars` declares
//! (for either). Unknown variables are reported once the whole file is
//! read, since `vars` may come last.

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use seccomp_policy_core::reach::{split_var, BUILTIN_VARS};
use seccomp_policy_core::text::{quoted, shown, QUOTE_MAX};

use super::{describe, in_file_order, Checker};
use crate::diag::Code;
use crate::model::{Loc, Policy, Reach, ReachEntry};
use crate::suggest::did_you_mean;

const FS_KEYS: [&str; 2] = ["read", "write"];
const NET_KEYS: [&str; 2] = ["connect", "bind"];

/// The built-in variables paths may use.
const PATH_VARS: [&str; 2] = ["WORKDIR", "TMPDIR"];
/// The built-in variables ports may use.
const PORT_VARS: [&str; 1] = ["PORTS"];

const _: () = assert!(BUILTIN_VARS.len() == PATH_VARS.len() + PORT_VARS.len());

impl Checker<'_, '_> {
    /// `fs = { read = [...], write = [...] }` (or `[NAME.fs]`).
    pub(super) fn reach_fs(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        header: &str,
        reach: &mut Reach,
    ) {
        let Some(table) = self.reach_table(value, header, "fs", "fs = { read = [\"/usr\"] }")
        else {
            return;
        };
        reach.fs = Some(self.loc(value.span().start));
        for (key, value) in in_file_order(table) {
            let list = match key.get_ref().as_ref() {
                "read" => &mut reach.read,
                "write" => &mut reach.write,
                other => {
                    self.unknown_key(key.span().start, other, &format!("{header}.fs"), &FS_KEYS);
                    continue;
                }
            };
            *list = self.entries(value, Self::path);
        }
    }

    /// `net = { connect = [...], bind = [...] }` (or `[NAME.net]`).
    pub(super) fn reach_net(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        header: &str,
        reach: &mut Reach,
    ) {
        let Some(table) = self.reach_table(value, header, "net", "net = { connect = [443] }")
        else {
            return;
        };
        reach.net = Some(self.loc(value.span().start));
        for (key, value) in in_file_order(table) {
            let list = match key.get_ref().as_ref() {
                "connect" => &mut reach.connect,
                "bind" => &mut reach.bind,
                other => {
                    self.unknown_key(key.span().start, other, &format!("{header}.net"), &NET_KEYS);
                    continue;
                }
            };
            *list = self.port_entries(value);
        }
    }

    /// `vars = ["NAME", ...]`.
    pub(super) fn vars(&mut self, value: &Spanned<DeValue<'_>>) -> Vec<ReachEntry> {
        self.entries(value, |c, text, offset| {
            let ok = !text.is_empty()
                && text.starts_with(|ch: char| ch.is_ascii_uppercase())
                && text
                    .chars()
                    .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '_');
            if !ok {
                c.error_of(
                    Code::Reach,
                    offset,
                    format!("{} is not a variable name", quoted(text)),
                )
                .help
                .push(
                    "variable names are SCREAMING_SNAKE_CASE, like `CACHE_DIR`, without `$`"
                        .to_owned(),
                );
                return false;
            }
            if BUILTIN_VARS.iter().any(|(name, _)| *name == text) {
                c.error_of(
                    Code::Reach,
                    offset,
                    format!("`{text}` is a built-in variable"),
                )
                .help
                .push("remove it from `vars`: it needs no declaration".to_owned());
                return false;
            }
            true
        })
    }

    /// Every variable an entry uses is built in (of its kind) or declared.
    pub(super) fn check_vars(&mut self, policy: &Policy) {
        let declared: Vec<&str> = policy.vars.iter().map(|v| v.text.as_str()).collect();
        for (header, table) in policy.tables() {
            let r = &table.reach;
            for (entries, builtin, what) in [
                (&r.read, &PATH_VARS[..], "path"),
                (&r.write, &PATH_VARS[..], "path"),
                (&r.connect, &PORT_VARS[..], "port"),
                (&r.bind, &PORT_VARS[..], "port"),
            ] {
                for entry in entries {
                    let Some((name, _)) = split_var(&entry.text) else {
                        continue;
                    };
                    if builtin.contains(&name) || declared.contains(&name) {
                        continue;
                    }
                    let mut known: Vec<&str> = builtin.to_vec();
                    known.extend(&declared);
                    let mut diag = crate::diag::Diagnostic::at(
                        entry.loc,
                        format!(
                            "unknown variable {} in a {what} of `{header}`",
                            quoted(&format!("${name}"))
                        ),
                    )
                    .with_code(Code::Reach);
                    diag.help.push(match did_you_mean(name, known.iter().copied()) {
                        Some(good) => format!("did you mean `${good}`?"),
                        None => format!(
                            "a {what} may use {}; declare others with `vars = [\"{}\"]` at the top of the file",
                            known.iter().map(|k| format!("`${k}`")).collect::<Vec<_>>().join(", "),
                            shown(name).max(QUOTE_MAX)
                        ),
                    });
                    self.diags.push(diag);
                }
            }
        }
    }

    /// The table under `fs` or `net`, or an error.
    fn reach_table<'v, 'i>(
        &mut self,
        value: &'v Spanned<DeValue<'i>>,
        header: &str,
        key: &str,
        example: &str,
    ) -> Option<&'v DeTable<'i>> {
        if let DeValue::Table(table) = value.get_ref() {
            return Some(table);
        }
        self.error_of(
            Code::Reach,
            value.span().start,
            format!(
                "`{key}` in `{header}` must be a table, found {}",
                describe(value.get_ref())
            ),
        )
        .help
        .push(format!(
            "write `{example}`, or a `{}` table",
            header.trim_end_matches(']').to_owned() + "." + key + "]"
        ));
        None
    }

    fn unknown_key(&mut self, offset: usize, key: &str, header: &str, known: &[&str]) {
        let help = match did_you_mean(key, known.iter().copied()) {
            Some(good) => format!("did you mean `{good}`?"),
            None => format!(
                "`{header}` takes {}",
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        };
        self.error_of(
            Code::Reach,
            offset,
            format!("unknown key {} in `{header}`", quoted(key)),
        )
        .help
        .push(help);
    }

    /// An array of strings, each checked by `check` (which reports its own
    /// errors and says whether to keep the entry); repeats are errors.
    fn entries(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        check: impl Fn(&mut Self, &str, usize) -> bool,
    ) -> Vec<ReachEntry> {
        let DeValue::Array(items) = value.get_ref() else {
            self.error_of(
                Code::Reach,
                value.span().start,
                format!(
                    "expected an array of strings, found {}",
                    describe(value.get_ref())
                ),
            )
            .help
            .push("write `[\"/usr\", \"$WORKDIR\"]`".to_owned());
            return Vec::new();
        };
        let mut out: Vec<ReachEntry> = Vec::new();
        for item in items {
            let offset = item.span().start;
            let DeValue::String(text) = item.get_ref() else {
                self.error_of(
                    Code::Reach,
                    offset,
                    format!("expected a string, found {}", describe(item.get_ref())),
                );
                continue;
            };
            if check(self, text, offset) {
                self.push_unique(&mut out, text.to_string(), self.loc(offset));
            }
        }
        out
    }

    /// An array of ports: numbers, or strings holding a variable.
    fn port_entries(&mut self, value: &Spanned<DeValue<'_>>) -> Vec<ReachEntry> {
        let DeValue::Array(items) = value.get_ref() else {
            self.error_of(
                Code::Reach,
                value.span().start,
                format!(
                    "expected an array of ports, found {}",
                    describe(value.get_ref())
                ),
            )
            .help
            .push("write `[443, \"$PORTS\"]`".to_owned());
            return Vec::new();
        };
        let mut out: Vec<ReachEntry> = Vec::new();
        for item in items {
            let offset = item.span().start;
            let text = match item.get_ref() {
                DeValue::Integer(n) => {
                    let port = n
                        .as_str()
                        .parse::<i64>()
                        .ok()
                        .filter(|p| (0..=65535).contains(p));
                    let Some(port) = port else {
                        self.error_of(
                            Code::Reach,
                            offset,
                            format!("port {} is out of range", quoted(n.as_str())),
                        )
                        .help
                        .push("TCP ports are 0 to 65535".to_owned());
                        continue;
                    };
                    port.to_string()
                }
                DeValue::String(text) if text.starts_with('$') => {
                    if split_var(text)
                        .is_some_and(|(name, rest)| !name.is_empty() && rest.is_empty())
                    {
                        text.to_string()
                    } else {
                        self.error_of(
                            Code::Reach,
                            offset,
                            format!("{} is not a port variable", quoted(text)),
                        )
                        .help
                        .push("write the variable alone, like \"$PORTS\"".to_owned());
                        continue;
                    }
                }
                DeValue::String(text) => {
                    let help = if text.parse::<u16>().is_ok() {
                        format!("write the number without quotes: `{text}`")
                    } else {
                        "write a number, like `443`, or a variable, like \"$PORTS\"".to_owned()
                    };
                    self.error_of(
                        Code::Reach,
                        offset,
                        format!("{} is not a port", quoted(text)),
                    )
                    .help
                    .push(help);
                    continue;
                }
                other => {
                    self.error_of(
                        Code::Reach,
                        offset,
                        format!("expected a port, found {}", describe(other)),
                    )
                    .help
                    .push("write a number, like `443`, or a variable, like \"$PORTS\"".to_owned());
                    continue;
                }
            };
            self.push_unique(&mut out, text, self.loc(offset));
        }
        out
    }

    fn push_unique(&mut self, out: &mut Vec<ReachEntry>, text: String, loc: Loc) {
        if let Some(first) = out.iter().find(|e| e.text == text) {
            let diag =
                crate::diag::Diagnostic::at(loc, format!("{} is listed twice", quoted(&text)))
                    .with_note_at(first.loc, "first listed here")
                    .with_help("remove one of them")
                    .with_code(Code::Reach);
            self.diags.push(diag);
            return;
        }
        out.push(ReachEntry { text, loc });
    }

    /// A path entry: absolute, or a variable and optionally `/more`.
    fn path(&mut self, text: &str, offset: usize) -> bool {
        if text.starts_with('/') {
            return true;
        }
        if let Some((name, rest)) = split_var(text) {
            if !name.is_empty() && (rest.is_empty() || rest.starts_with('/')) {
                return true;
            }
        }
        let help = if text.starts_with('~') {
            "`~` is not expanded; write the absolute path, or `$WORKDIR/...`".to_owned()
        } else {
            format!("write an absolute path, like \"/{}\", or start with a variable, like \"$WORKDIR/{}\"", text.trim_start_matches("./"), text.trim_start_matches("./"))
        };
        self.error_of(
            Code::Reach,
            offset,
            format!("{} is a relative path", quoted(text)),
        )
        .help
        .push(help);
        false
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Loc;
    use crate::parse::parse_policy;

    /// Each error as `line:col: message; help`.
    fn errors(source: &str) -> Vec<String> {
        let diags = parse_policy(source).expect_err("errors");
        diags
            .iter()
            .map(|d| {
                let Loc { line, col } = d.loc.expect("located");
                format!("{line}:{col}: {}; {}", d.message, d.help.join("; "))
            })
            .collect()
    }

    #[test]
    fn reads_paths_ports_and_variables_in_file_order() {
        let p = parse_policy(
            "vars = [\"CACHE\"]\n\
             [base]\nallow = [\"read\"]\n\
             [base.fs]\nread = [\"/usr\", \"$WORKDIR\", \"$CACHE/x\"]\n\
             [cap.NET]\nnet = { connect = [443, \"$PORTS\"], bind = [] }\n",
        )
        .expect("valid");
        let texts = |e: &[crate::model::ReachEntry]| -> Vec<String> {
            e.iter().map(|e| e.text.clone()).collect()
        };
        assert_eq!(texts(&p.vars), ["CACHE"]);
        assert_eq!(texts(&p.base.reach.read), ["/usr", "$WORKDIR", "$CACHE/x"]);
        assert_eq!(p.base.reach.read[1].loc, Loc { line: 5, col: 17 });
        assert!(p.base.reach.fs.is_some() && p.base.reach.net.is_none());
        let net = &p.caps[0].table.reach;
        assert_eq!(texts(&net.connect), ["443", "$PORTS"]);
        assert!(net.net.is_some() && net.bind.is_empty());
    }

    #[test]
    fn every_mistake_is_located_and_says_what_to_do() {
        let e = errors(
            "[base]\nallow = [\"read\"]\n\
             fs = { read = [\"usr\", \"$WORKDR\", \"~/x\"], wirte = [] }\n\
             net = { connect = [70000, \"443\", \"$PORTS/x\", 22, 22] }\n",
        );
        assert_eq!(
            e,
            [
                "3:16: `usr` is a relative path; write an absolute path, like \"/usr\", or start \
                 with a variable, like \"$WORKDIR/usr\"",
                "3:23: unknown variable `$WORKDR` in a path of `[base]`; did you mean `$WORKDIR`?",
                "3:34: `~/x` is a relative path; `~` is not expanded; write the absolute path, or \
                 `$WORKDIR/...`",
                "3:42: unknown key `wirte` in `[base].fs`; did you mean `write`?",
                "4:20: port `70000` is out of range; TCP ports are 0 to 65535",
                "4:27: `443` is not a port; write the number without quotes: `443`",
                "4:34: `$PORTS/x` is not a port variable; write the variable alone, like \"$PORTS\"",
                "4:50: `22` is listed twice; remove one of them",
            ]
        );
    }

    #[test]
    fn variables_are_declared_by_name() {
        let e = errors(
            "vars = [\"WORKDIR\", \"lower\"]\n[base]\nallow = [\"read\"]\n\
             fs = { read = [\"$CACHE\"] }\n",
        );
        assert_eq!(e.len(), 3, "{e:#?}");
        assert!(
            e[0].starts_with("1:9: `WORKDIR` is a built-in variable"),
            "{e:#?}"
        );
        assert!(
            e[1].starts_with("1:20: `lower` is not a variable name"),
            "{e:#?}"
        );
        assert!(
            e[2].starts_with("4:16: unknown variable `$CACHE` in a path of `[base]`; a path may use `$WORKDIR`, `$TMPDIR`; declare others with `vars = [\"CACHE\"]`"),
            "{e:#?}"
        );
    }
}
