//! The policy file: TOML text to a checked [`Policy`], or every error in it.
//!
//! The format:
//!
//! ```toml
//! [base]                      # required: what every harness may call
//! allow = ["read", "write"]   # required in [base]
//!
//! [cap.FILE_IO]               # any number of caps, at most 64
//! allow = ["openat"]          # optional in a cap: absent means empty
//! ```
//!
//! Decisions worth knowing:
//!
//! - `[base]` and its `allow` are required: a policy without them is almost
//!   certainly a mistake, and a filter that allows nothing kills every harness.
//! - A cap without `allow` adds nothing, exactly like `allow = []`; a cap can
//!   exist only to be named (the reference policy has two). A misspelt `allow`
//!   is still caught, as an unknown key.
//! - A syscall listed twice in one table is an error; the same syscall in
//!   `[base]` and in a cap, or in two caps, is fine.
//! - Cap names are `SCREAMING_SNAKE_CASE` Rust identifiers (`[A-Z][A-Z0-9_]*`),
//!   because they become the names of constants.
//! - A name is a syscall if at least one supported architecture has it.
//! - After TOML syntax errors the tree is only a guess, so only the syntax
//!   errors are reported (at most [`MAX_SYNTAX_ERRORS`] of them). Duplicate
//!   keys are the exception: they do not derail the parser, so the policy is
//!   checked as well.

use std::collections::{btree_map, BTreeMap};

use seccomp_policy_core::rule::Action;
use seccomp_policy_core::text::quoted;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::diag::{Code, Diagnostic, LineIndex};
use crate::expr::parse_rule;
use crate::model::{ActionKind, ActionRule, ActionSpec, CapTable, Loc, Policy, Rule, Table};
use crate::suggest::did_you_mean;
use crate::tables;

mod reach;

/// The most caps a policy may declare: they are bits of a `u64`.
pub use seccomp_policy_core::policy::MAX_CAPS;

/// Names the generated `Cap` type defines besides the caps themselves.
pub const RESERVED_CAP_NAMES: &[&str] = &["ALL", "NAMES", "NONE"];

/// How many TOML syntax errors are reported before giving up.
pub const MAX_SYNTAX_ERRORS: usize = 10;

const TOP_LEVEL_KEYS: [&str; 4] = ["base", "cap", "default", "vars"];

/// The keys of `[base]` and of a `[cap.NAME]` table.
const TABLE_KEYS: [&str; 4] = ["allow", "actions", "fs", "net"];

/// The action names besides errno names, as the file spells them: the
/// keywords of [`Action::KEYWORDS`].
pub(crate) const ACTION_NAMES: [&str; 5] = {
    let mut names = [""; 5];
    let mut i = 0;
    while i < names.len() {
        names[i] = Action::KEYWORDS[i].0;
        i += 1;
    }
    names
};

/// Parses and checks a policy, reporting every error found.
///
/// Syscall names are checked against the generated tables of every supported
/// architecture. Errors come sorted by position.
///
/// # Errors
///
/// Every problem found (TOML syntax, structure, unknown or repeated names),
/// sorted by position, when the policy cannot be used.
pub fn parse_policy(source: &str) -> Result<Policy, Vec<Diagnostic>> {
    match parse_policy_partial(source) {
        (Some(policy), diags) if diags.is_empty() => Ok(policy),
        (_, diags) => Err(diags),
    }
}

/// Like [`parse_policy`], but also returns what could be read of a policy
/// with errors (the rules without an error of their own), so that later
/// checks can report their errors in the same run. `None` only when the
/// TOML itself does not parse.
pub(crate) fn parse_policy_partial(source: &str) -> (Option<Policy>, Vec<Diagnostic>) {
    let known = KnownSyscalls {
        contains: tables::is_syscall,
        names: tables::all_names,
        arches: tables::ARCHES.iter().map(|arch| arch.arch.name()).collect(),
    };
    parse_partial_with(source, &known)
}

/// The syscall names that exist somewhere, and where "somewhere" is.
struct KnownSyscalls<'a> {
    /// Whether a name is one of them.
    contains: fn(&str) -> bool,
    /// All of them, sorted, without duplicates: the candidates for "did you
    /// mean", asked for only when a name is unknown (the union of every
    /// architecture's names costs more than a whole valid policy).
    names: fn() -> &'a [&'a str],
    /// The architectures' names, for the help text.
    arches: Vec<&'a str>,
}

#[cfg(test)]
fn parse_with(source: &str, known: &KnownSyscalls<'_>) -> Result<Policy, Vec<Diagnostic>> {
    match parse_partial_with(source, known) {
        (Some(policy), diags) if diags.is_empty() => Ok(policy),
        (_, diags) => Err(diags),
    }
}

fn parse_partial_with(
    source: &str,
    known: &KnownSyscalls<'_>,
) -> (Option<Policy>, Vec<Diagnostic>) {
    let (doc, mut toml_errors) = DeTable::parse_recoverable(source);
    // The parser reports in its own order; errors are promised by position.
    toml_errors.sort_by_key(|e| e.span().map_or(0, |span| span.start));
    let mut checker = Checker {
        source,
        lines: LineIndex::new(source),
        known,
        diags: Vec::new(),
    };
    let only_duplicates = toml_errors.iter().all(|e| e.message() == "duplicate key");
    for (i, err) in toml_errors.iter().enumerate() {
        let loc = err
            .span()
            .map_or(Loc { line: 1, col: 1 }, |span| checker.loc(span.start));
        if i == MAX_SYNTAX_ERRORS {
            let more = toml_errors.len() - MAX_SYNTAX_ERRORS;
            checker.diags.push(
                Diagnostic::at(loc, format!("{more} more TOML syntax errors from here on"))
                    .with_code(Code::TomlSyntax)
                    .with_help("fix the errors above first; some of these may be consequences"),
            );
            break;
        }
        checker.diags.push(checker.toml_error(err, loc));
    }
    if !only_duplicates {
        return (None, checker.diags);
    }
    let policy = checker.policy(doc.get_ref());
    let mut diags = checker.diags;
    diags.sort_by_key(|d| d.loc);
    (Some(policy), diags)
}

struct Checker<'s, 'k> {
    source: &'s str,
    lines: LineIndex<'s>,
    known: &'k KnownSyscalls<'k>,
    diags: Vec<Diagnostic>,
}

type Entry<'a, 'i> = (
    &'a Spanned<std::borrow::Cow<'i, str>>,
    &'a Spanned<DeValue<'i>>,
);

/// The rules of an `allow` list by their normal form (`RuleText`'s
/// `Display`), each with where it is listed: how repeated and contradicted
/// rules are found without formatting every pair of rules.
type AllowedForms = BTreeMap<String, Loc>;

/// A table's entries in the order they appear in the file.
fn in_file_order<'a, 'i>(table: &'a DeTable<'i>) -> Vec<Entry<'a, 'i>> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    entries
}

impl Checker<'_, '_> {
    fn loc(&self, offset: usize) -> Loc {
        self.lines.loc(offset)
    }

    /// An error of the schema ([`Code::Schema`]) at `offset`.
    fn error(&mut self, offset: usize, message: impl Into<String>) -> &mut Diagnostic {
        self.error_of(Code::Schema, offset, message)
    }

    /// An error of kind `code` at `offset`.
    fn error_of(
        &mut self,
        code: Code,
        offset: usize,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let diag = Diagnostic::at(self.loc(offset), message).with_code(code);
        self.diags.push(diag);
        self.diags.last_mut().expect("just pushed")
    }

    fn toml_error(&self, err: &toml::de::Error, loc: Loc) -> Diagnostic {
        if err.message() == "duplicate key" {
            let key = err
                .span()
                .and_then(|span| self.source.get(span))
                .unwrap_or_default();
            Diagnostic::at(
                loc,
                format!(
                    "duplicate key {}: a table or key may be defined only once",
                    quoted(key)
                ),
            )
            .with_help("merge the two definitions into one")
            .with_code(Code::TomlSyntax)
        } else {
            Diagnostic::at(loc, format!("invalid TOML: {}", err.message()))
                .with_code(Code::TomlSyntax)
        }
    }

    fn policy(&mut self, doc: &DeTable<'_>) -> Policy {
        let mut base = None;
        let mut caps = Vec::new();
        let mut default = None;
        let mut vars = Vec::new();
        let mut base_suggested = false;
        for (key, value) in in_file_order(doc) {
            match key.get_ref().as_ref() {
                "base" => base = Some(self.base(value)),
                "cap" => caps = self.caps(value),
                "default" => default = self.action_value(value, "`default`"),
                "vars" => vars = self.vars(value),
                other => {
                    let what = if value.get_ref().is_table() {
                        format!("unknown table {}", quoted(&format!("[{other}]")))
                    } else {
                        format!("unknown top-level key {}", quoted(other))
                    };
                    let help = if other == "allow" {
                        "put `allow` under `[base]` or under a `[cap.NAME]` table".to_owned()
                    } else if let Some(good) = did_you_mean(other, TOP_LEVEL_KEYS) {
                        base_suggested |= good == "base";
                        format!("did you mean `{good}`?")
                    } else {
                        "a policy holds `default`, `vars`, a `[base]` table and `[cap.NAME]` \
                         tables, nothing else"
                            .to_owned()
                    };
                    self.error(key.span().start, what).help.push(help);
                }
            }
        }
        if base.is_none() && !base_suggested {
            self.diags.push(
                Diagnostic::at(Loc { line: 1, col: 1 }, "the policy has no `[base]` table")
                    .with_help(
                        "add a `[base]` table with `allow = [...]` listing the syscalls \
                         every harness needs",
                    ),
            );
        }
        let policy = Policy {
            default,
            base: base.flatten().unwrap_or_default(),
            caps,
            vars,
        };
        self.check_vars(&policy);
        policy
    }

    /// `[base]`: `None` inside when the table is unusable (already reported).
    fn base(&mut self, value: &Spanned<DeValue<'_>>) -> Option<Table> {
        let DeValue::Table(table) = value.get_ref() else {
            self.error(
                value.span().start,
                format!(
                    "`base` must be a table, found {}",
                    describe(value.get_ref())
                ),
            )
            .help
            .push(if is_array_of_tables(value.get_ref()) {
                "write `[base]` with single brackets".to_owned()
            } else {
                "write `[base]` on a line of its own, followed by `allow = [...]`".to_owned()
            });
            return None;
        };
        let (rules, has_allow, allow_suggested) = self.table(table, "[base]");
        if !has_allow && !allow_suggested {
            self.error(value.span().start, "`[base]` has no `allow` list")
                .help
                .push(
                    "add `allow = [...]` listing the syscalls every harness needs, \
                     like `allow = [\"read\", \"write\", \"exit_group\"]`"
                        .to_owned(),
                );
        }
        Some(rules)
    }

    /// The keys of `[base]` or a cap: its rules, whether it has an `allow`
    /// list, and whether a misspelt key was taken for `allow` (so its absence
    /// is not news).
    fn table(&mut self, table: &DeTable<'_>, header: &str) -> (Table, bool, bool) {
        let shown_header = quoted(header);
        let mut rules = Table::default();
        let mut allowed = AllowedForms::new();
        let mut has_allow = false;
        let mut suggested = false;
        for (key, value) in in_file_order(table) {
            let key_text = key.get_ref().as_ref();
            match key_text {
                "allow" => {
                    has_allow = true;
                    (rules.allow, allowed) = self.allow_list(value, header);
                    continue;
                }
                "actions" => {
                    rules.actions = self.actions(value, header);
                    continue;
                }
                "fs" => {
                    self.reach_fs(value, header, &mut rules.reach);
                    continue;
                }
                "net" => {
                    self.reach_net(value, header, &mut rules.reach);
                    continue;
                }
                _ => {}
            }
            let help = match did_you_mean(key_text, TABLE_KEYS) {
                Some(good) => {
                    suggested |= good == "allow";
                    format!("did you mean `{good}`?")
                }
                None => format!(
                    "{shown_header} takes only `allow = [...]`, `actions = {{ ... }}`, \
                     `fs = {{ ... }}` and `net = {{ ... }}`"
                ),
            };
            self.error(
                key.span().start,
                format!("unknown key {} in {shown_header}", quoted(key_text)),
            )
            .help
            .push(help);
        }
        self.check_allow_against_actions(&rules, &allowed, header);
        (rules, has_allow, suggested)
    }

    /// An `allow` list's rules, and their normal forms.
    fn allow_list(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        header: &str,
    ) -> (Vec<Rule>, AllowedForms) {
        let shown_header = quoted(header);
        let DeValue::Array(items) = value.get_ref() else {
            let help = match value.get_ref() {
                DeValue::String(name) => {
                    format!(
                        "write {}",
                        quoted(&format!("allow = [\"{}\"]", name.escape_debug()))
                    )
                }
                _ => {
                    "write `allow = [\"read\", \"write\"]`, one quoted name per syscall".to_owned()
                }
            };
            self.error(
                value.span().start,
                format!(
                    "`allow` in {shown_header} must be an array of syscall names, found {}",
                    describe(value.get_ref())
                ),
            )
            .help
            .push(help);
            return (Vec::new(), AllowedForms::new());
        };
        let mut list: Vec<Rule> = Vec::new();
        let mut forms = AllowedForms::new();
        for item in items {
            let start = item.span().start;
            let DeValue::String(text) = item.get_ref() else {
                let help = if item.get_ref().is_integer() {
                    "syscall numbers differ between architectures; write the name, like \"read\""
                } else {
                    "write each syscall as a quoted name, like \"read\""
                };
                self.error(
                    start,
                    format!(
                        "expected a syscall name as a string, found {}",
                        describe(item.get_ref())
                    ),
                )
                .help
                .push(help.to_owned());
                continue;
            };
            let Some(rule) = self.rule(text, item.span()) else {
                continue;
            };
            match forms.entry(rule.text.to_string()) {
                btree_map::Entry::Vacant(vacant) => {
                    vacant.insert(rule.loc);
                    list.push(rule);
                }
                btree_map::Entry::Occupied(first) => {
                    let diag = Diagnostic::at(
                        rule.loc,
                        format!("{} is listed twice in {shown_header}", quoted(first.key())),
                    )
                    .with_note_at(*first.get(), "first listed here")
                    .with_help("remove one of them")
                    .with_code(Code::Duplicate);
                    self.diags.push(diag);
                }
            }
        }
        (list, forms)
    }

    /// `actions = { "rule" = "action", ... }` (or `[NAME.actions]`).
    fn actions(&mut self, value: &Spanned<DeValue<'_>>, header: &str) -> Vec<ActionRule> {
        let shown_header = quoted(header);
        let DeValue::Table(table) = value.get_ref() else {
            self.error(
                value.span().start,
                format!(
                    "`actions` in {shown_header} must be a table of rules and actions, found {}",
                    describe(value.get_ref())
                ),
            )
            .help
            .push(
                "write `actions = { clone3 = \"ENOSYS\" }`: each key a rule, each value an \
                 action or an errno name"
                    .to_owned(),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, value) in in_file_order(table) {
            let rule = self.rule(key.get_ref(), key.span());
            let action = self.action_value(value, &format!("an action in {shown_header}"));
            if let (Some(rule), Some(action)) = (rule, action) {
                out.push(ActionRule { rule, action });
            }
        }
        out
    }

    /// A rule in `allow` or `actions` contradicting another of the same
    /// table: the same rule in both, or an action for a syscall the table
    /// allows whatever its arguments (the action could never apply).
    fn check_allow_against_actions(&mut self, table: &Table, forms: &AllowedForms, header: &str) {
        let shown_header = quoted(header);
        for entry in &table.actions {
            let normal = entry.rule.text.to_string();
            // Unconditional rules are named by the syscall alone.
            let (allowed, what) = match (forms.get(&normal), forms.get(entry.rule.syscall())) {
                (Some(&at), _) => (at, "the same rule is in `allow`"),
                (None, Some(&at)) => (at, "`allow` already allows every call of it"),
                (None, None) => continue,
            };
            let diag = Diagnostic::at(
                entry.rule.loc,
                format!(
                    "{} gets `{}` in the actions of {shown_header}, but {what}, so the action never applies",
                    quoted(&normal),
                    entry.action.kind.name()
                ),
            )
            .with_code(Code::ActionNeverApplies)
            .with_note_at(allowed, "allowed here")
            .with_help(
                "an allowed call is never given an action: remove one of the two, or narrow \
                 the `allow` rule with a condition",
            );
            self.diags.push(diag);
        }
    }

    /// Parses one rule string (an `allow` item or an `actions` key) whose
    /// literal spans `span` of the file; reports its errors.
    fn rule(&mut self, text: &str, span: std::ops::Range<usize>) -> Option<Rule> {
        let loc = self.loc(span.start);
        let content = self.content_start(text, &span);
        let located = |s: &std::ops::Range<usize>| match content {
            Some(start) => Loc {
                line: start.line,
                col: start.col + text.get(..s.start).unwrap_or(text).chars().count(),
            },
            None => loc,
        };
        let parsed = match parse_rule(text) {
            Ok(parsed) => parsed,
            Err(e) => {
                let mut diag =
                    Diagnostic::at(located(&e.span), e.message).with_code(Code::RuleSyntax);
                if let Some(help) = e.help {
                    diag = diag.with_help(help);
                }
                self.diags.push(diag);
                return None;
            }
        };
        let name = parsed.syscall.text.as_str();
        if !(self.known.contains)(name) {
            let help = match did_you_mean(name, (self.known.names)().iter().copied()) {
                Some(good) => format!("did you mean `{good}`?"),
                None => format!(
                    "no supported architecture ({}) has a syscall by this name; \
                     use the kernel's name, as `man 2 syscalls` lists it",
                    self.known.arches.join(", ")
                ),
            };
            let at = located(&parsed.syscall.span);
            self.diags.push(
                Diagnostic::at(at, format!("unknown syscall {}", quoted(name)))
                    .with_code(Code::UnknownSyscall)
                    .with_help(help),
            );
            return None;
        }
        Some(Rule {
            source: text.to_owned(),
            text: parsed,
            loc,
            content,
            offset: span.start,
        })
    }

    /// Where the first character of a string (or bare key) is, if the file
    /// spells `text` exactly on one line.
    fn content_start(&self, text: &str, span: &std::ops::Range<usize>) -> Option<Loc> {
        let raw = self.source.get(span.clone())?;
        let inner = if raw.len() >= 2
            && !raw.starts_with("\"\"\"")
            && !raw.starts_with("'''")
            && ((raw.starts_with('"') && raw.ends_with('"'))
                || (raw.starts_with('\'') && raw.ends_with('\'')))
        {
            (&raw[1..raw.len() - 1], span.start + 1)
        } else {
            (raw, span.start)
        };
        (inner.0 == text && !text.contains('\n')).then(|| self.loc(inner.1))
    }

    /// An action string: `default = "..."` or a value in `actions`.
    fn action_value(&mut self, value: &Spanned<DeValue<'_>>, what: &str) -> Option<ActionSpec> {
        let start = value.span().start;
        let DeValue::String(text) = value.get_ref() else {
            self.error(
                start,
                format!(
                    "{what} must be a string, found {}",
                    describe(value.get_ref())
                ),
            )
            .help
            .push(format!(
                "write an action ({}) or an errno name (`\"EPERM\"`)",
                ACTION_NAMES.map(|name| format!("`\"{name}\"`")).join(", ")
            ));
            return None;
        };
        let text: &str = text;
        let kind = match Action::from_keyword(text) {
            Some(action) => ActionKind::Keyword(action),
            None if is_errno_shape(text) => ActionKind::Errno(text.to_owned()),
            _ => {
                let help = match text {
                    "allow" => "a call is allowed by listing it in `allow`; actions say what \
                                happens to calls that are not"
                        .to_owned(),
                    "kill" => "say which: `\"kill-process\"` or `\"kill-thread\"`".to_owned(),
                    _ => match did_you_mean(text, ACTION_NAMES).or_else(|| {
                        did_you_mean(&text.to_ascii_uppercase(), ["EPERM", "ENOSYS", "EACCES"])
                    }) {
                        Some(good) => format!("did you mean `{good}`?"),
                        None => format!(
                            "write an action ({}) or an errno name such as `EPERM`",
                            ACTION_NAMES.map(|name| format!("`{name}`")).join(", ")
                        ),
                    },
                };
                self.error_of(
                    Code::UnknownAction,
                    start,
                    format!("unknown action {}", quoted(text)),
                )
                .help
                .push(help);
                return None;
            }
        };
        Some(ActionSpec {
            kind,
            loc: self.loc(start),
        })
    }

    fn caps(&mut self, value: &Spanned<DeValue<'_>>) -> Vec<CapTable> {
        let DeValue::Table(table) = value.get_ref() else {
            self.error(
                value.span().start,
                format!(
                    "`cap` must be a table of capability tables, found {}",
                    describe(value.get_ref())
                ),
            )
            .help
            .push(
                "declare each capability as a table of its own: `[cap.NAME]` \
                 followed by `allow = [...]`"
                    .to_owned(),
            );
            return Vec::new();
        };
        let mut caps = Vec::new();
        for (index, (key, value)) in in_file_order(table).into_iter().enumerate() {
            let name: &str = key.get_ref();
            let header = format!("[cap.{}]", toml_key(name));
            if index == MAX_CAPS {
                self.error_of(
                    Code::CapabilityName,
                    key.span().start,
                    format!(
                        "too many capabilities: {} declared, at most {MAX_CAPS} fit in the \
                         `Cap` bit set",
                        table.len()
                    ),
                )
                .help
                .push("merge capabilities that are always granted together".to_owned());
            }
            let DeValue::Table(cap) = value.get_ref() else {
                self.not_a_cap_table(name, &header, value);
                continue;
            };
            self.cap_name(name, key.span().start);
            let (table, _, _) = self.table(cap, &header);
            caps.push(CapTable {
                name: name.to_owned(),
                loc: self.loc(value.span().start),
                table,
            });
        }
        caps
    }

    fn not_a_cap_table(&mut self, name: &str, header: &str, value: &Spanned<DeValue<'_>>) {
        let shown_header = quoted(header);
        let start = value.span().start;
        if name == "allow" {
            self.error(
                start,
                "`allow` directly under `[cap]` belongs to no capability",
            )
            .help
            .push("write `[cap.NAME]` instead of `[cap]`, like `[cap.FILE_IO]`".to_owned());
            return;
        }
        let help = if is_array_of_tables(value.get_ref()) {
            format!("write {shown_header} with single brackets")
        } else {
            format!("write {shown_header} on a line of its own, followed by `allow = [...]`")
        };
        self.error(
            start,
            format!(
                "{} must be a table, found {}",
                quoted(&format!("cap.{}", toml_key(name))),
                describe(value.get_ref())
            ),
        )
        .help
        .push(help);
    }

    fn cap_name(&mut self, name: &str, offset: usize) {
        if name.is_empty() {
            self.error_of(Code::CapabilityName, offset, "empty capability name")
                .help
                .push(
                    "name the capability in SCREAMING_SNAKE_CASE, like `[cap.FILE_IO]`".to_owned(),
                );
            return;
        }
        if RESERVED_CAP_NAMES.contains(&name) {
            self.error_of(
                Code::CapabilityName,
                offset,
                format!("capability name `{name}` is reserved: `Cap::{name}` is already defined"),
            )
            .help
            .push("rename the capability".to_owned());
            return;
        }
        if is_screaming_snake(name) {
            return;
        }
        let help = match screaming_snake_from(name) {
            Some(good) => format!("did you mean `{good}`?"),
            None => "use upper-case ASCII letters, digits and `_`, starting with a letter, \
                     like `FILE_IO`"
                .to_owned(),
        };
        self.error_of(
            Code::CapabilityName,
            offset,
            format!(
                "capability name {} is not a SCREAMING_SNAKE_CASE Rust identifier",
                quoted(name)
            ),
        )
        .help
        .push(help);
    }
}

/// `E` and upper-case letters or digits: an errno name, checked against each
/// architecture's errno table when the policy is lowered.
fn is_errno_shape(text: &str) -> bool {
    text.len() > 1
        && text.starts_with('E')
        && text[1..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// What `[[name]]` makes: a non-empty array of tables.
fn is_array_of_tables(value: &DeValue<'_>) -> bool {
    matches!(value, DeValue::Array(items)
        if !items.is_empty() && items.iter().all(|i| i.get_ref().is_table()))
}

/// `[A-Z][A-Z0-9_]*`.
fn is_screaming_snake(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// `file-io`, `file io`, `FileIo` and `file_io` all become `FILE_IO`; `None`
/// when no such spelling is a valid name.
fn screaming_snake_from(name: &str) -> Option<String> {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '_' => out.push(c.to_ascii_uppercase()),
            '-' | ' ' | '.' => out.push('_'),
            _ => return None,
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    is_screaming_snake(&out).then_some(out)
}

/// A key as TOML would print it: bare when it can be, quoted otherwise.
fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_owned()
    } else {
        format!("\"{}\"", key.escape_debug())
    }
}

/// A value's type with its article, for "found ..." messages.
fn describe(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    const NAMES: &[&str] = &[
        "clone",
        "close",
        "execve",
        "exit",
        "exit_group",
        "fstat",
        "newfstatat",
        "open",
        "openat",
        "read",
        "readv",
        "socket",
        "stat",
        "wait4",
        "write",
    ];

    fn known() -> KnownSyscalls<'static> {
        KnownSyscalls {
            contains: |name| NAMES.binary_search(&name).is_ok(),
            names: || NAMES,
            arches: vec!["x86_64", "aarch64"],
        }
    }

    /// The rendered errors for `source`, as if the file were `p.toml`.
    fn errors(source: &str) -> Vec<String> {
        match parse_with(source, &known()) {
            Ok(policy) => panic!("parsed without error: {policy:?}"),
            Err(diags) => diags.iter().map(|d| d.render("p.toml")).collect(),
        }
    }

    fn ok(source: &str) -> Policy {
        match parse_with(source, &known()) {
            Ok(policy) => policy,
            Err(diags) => panic!(
                "unexpected errors:\n{}",
                diags
                    .iter()
                    .map(|d| d.render("p.toml"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        }
    }

    fn names(list: &[Rule]) -> Vec<&str> {
        list.iter().map(Rule::syscall).collect()
    }

    fn loc(line: usize, col: usize) -> Loc {
        Loc { line, col }
    }

    #[test]
    fn parses_base_and_caps_in_file_order_with_positions() {
        let policy = ok("# c\n[base]\nallow = [\"read\", \"write\"]\n\n\
                         [cap.ZED]\nallow = [\"socket\"]\n[cap.ALPHA]\n# nothing\n\
                         [cap.MID]\nallow = []\n");
        assert_eq!(names(&policy.base.allow), ["read", "write"]);
        assert_eq!(policy.base.allow[0].loc, loc(3, 10));
        assert_eq!(policy.base.allow[1].loc, loc(3, 18));
        let caps: Vec<_> = policy.caps.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(caps, ["ZED", "ALPHA", "MID"]);
        assert_eq!(policy.caps[0].loc, loc(5, 1));
        assert_eq!(names(&policy.caps[0].table.allow), ["socket"]);
        assert_eq!(policy.caps[0].table.allow[0].loc, loc(6, 10));
        // A cap without `allow` is empty, like `allow = []`.
        assert!(policy.caps[1].table.allow.is_empty());
        assert!(policy.caps[2].table.allow.is_empty());
    }

    #[test]
    fn accepts_inline_and_dotted_forms_and_no_caps() {
        let policy = ok("base.allow = [\"read\"]\ncap = { NET = { allow = [\"socket\"] } }\n");
        assert_eq!(names(&policy.base.allow), ["read"]);
        assert_eq!(policy.caps.len(), 1);
        assert_eq!(policy.caps[0].name, "NET");
        let policy = ok("[base]\nallow = [\"read\"]\n[cap]\n");
        assert!(policy.caps.is_empty());
        // The same syscall in base and in a cap is fine.
        let policy = ok("[base]\nallow = [\"read\"]\n[cap.A]\nallow = [\"read\"]\n");
        assert_eq!(names(&policy.caps[0].table.allow), ["read"]);
    }

    #[test]
    fn reports_unknown_syscalls_with_suggestions() {
        assert_eq!(
            errors("[base]\nallow = [\"read\", \"newfstat\",\n  \"exti_group\", \"frobnicate\"]\n"),
            [
                "p.toml:2:19: unknown syscall `newfstat`\n\
                 help: did you mean `newfstatat`?",
                "p.toml:3:4: unknown syscall `exti_group`\n\
                 help: did you mean `exit_group`?",
                "p.toml:3:18: unknown syscall `frobnicate`\n\
                 help: no supported architecture (x86_64, aarch64) has a syscall by this name; \
                 use the kernel's name, as `man 2 syscalls` lists it",
            ]
        );
    }

    #[test]
    fn reports_duplicates_within_a_table() {
        assert_eq!(
            errors("[base]\nallow = [\"read\", \"write\",\n    \"read\"]\n[cap.A]\nallow = [\"wait4\", \"wait4\"]\n"),
            [
                "p.toml:3:5: `read` is listed twice in `[base]`\n\
                 note: p.toml:2:10: first listed here\n\
                 help: remove one of them",
                "p.toml:5:19: `wait4` is listed twice in `[cap.A]`\n\
                 note: p.toml:5:10: first listed here\n\
                 help: remove one of them",
            ]
        );
    }

    #[test]
    fn reports_unknown_keys() {
        assert_eq!(
            errors("[bse]\nallow = [\"read\"]\n"),
            ["p.toml:1:2: unknown table `[bse]`\nhelp: did you mean `base`?"]
        );
        assert_eq!(
            errors("[base]\nalow = [\"read\"]\n[caps.A]\n[cap.B]\ndeny = []\n[extra]\n"),
            [
                "p.toml:2:1: unknown key `alow` in `[base]`\nhelp: did you mean `allow`?",
                "p.toml:3:2: unknown table `[caps]`\nhelp: did you mean `cap`?",
                "p.toml:5:1: unknown key `deny` in `[cap.B]`\nhelp: `[cap.B]` takes only `allow = [...]`, `actions = { ... }`, \
                 `fs = { ... }` and `net = { ... }`",
                "p.toml:6:2: unknown table `[extra]`\n\
                 help: a policy holds `default`, `vars`, a `[base]` table and `[cap.NAME]` tables, \
                 nothing else",
            ]
        );
        assert_eq!(
            errors("allow = [\"read\"]\nversion = 2\n[base]\nallow = [\"read\"]\n"),
            [
                "p.toml:1:1: unknown top-level key `allow`\n\
                 help: put `allow` under `[base]` or under a `[cap.NAME]` table",
                "p.toml:2:1: unknown top-level key `version`\n\
                 help: a policy holds `default`, `vars`, a `[base]` table and `[cap.NAME]` tables, \
                 nothing else",
            ]
        );
    }

    #[test]
    fn reports_missing_base_and_allow() {
        assert_eq!(
            errors("[cap.A]\nallow = [\"read\"]\n"),
            ["p.toml:1:1: the policy has no `[base]` table\n\
              help: add a `[base]` table with `allow = [...]` listing the syscalls every harness needs"]
        );
        assert_eq!(
            errors(""),
            ["p.toml:1:1: the policy has no `[base]` table\n\
              help: add a `[base]` table with `allow = [...]` listing the syscalls every harness needs"]
        );
        assert_eq!(
            errors("# policy\n[base]\n# allow = []\n"),
            ["p.toml:2:1: `[base]` has no `allow` list\n\
              help: add `allow = [...]` listing the syscalls every harness needs, \
              like `allow = [\"read\", \"write\", \"exit_group\"]`"]
        );
    }

    #[test]
    fn reports_wrong_types() {
        assert_eq!(
            errors("[[base]]\nallow = []\n"),
            ["p.toml:1:1: `base` must be a table, found an array\n\
              help: write `[base]` with single brackets"]
        );
        assert_eq!(
            errors("base = 1\n"),
            ["p.toml:1:8: `base` must be a table, found an integer\n\
              help: write `[base]` on a line of its own, followed by `allow = [...]`"]
        );
        assert_eq!(
            errors("[base]\nallow = \"read\"\n[cap.X]\nallow = 3\n"),
            [
                "p.toml:2:9: `allow` in `[base]` must be an array of syscall names, found a string\n\
                 help: write `allow = [\"read\"]`",
                "p.toml:4:9: `allow` in `[cap.X]` must be an array of syscall names, found an integer\n\
                 help: write `allow = [\"read\", \"write\"]`, one quoted name per syscall",
            ]
        );
        assert_eq!(
            errors("[base]\nallow = [\"read\", 0, [\"write\"], true, \"\"]\n"),
            [
                "p.toml:2:18: expected a syscall name as a string, found an integer\n\
                 help: syscall numbers differ between architectures; write the name, like \"read\"",
                "p.toml:2:21: expected a syscall name as a string, found an array\n\
                 help: write each syscall as a quoted name, like \"read\"",
                "p.toml:2:32: expected a syscall name as a string, found a boolean\n\
                 help: write each syscall as a quoted name, like \"read\"",
                "p.toml:2:39: empty rule\n\
                 help: write a syscall's name, like \"read\"",
            ]
        );
        assert_eq!(
            errors("cap = 1\nbase.allow = []\n"),
            ["p.toml:1:7: `cap` must be a table of capability tables, found an integer\n\
              help: declare each capability as a table of its own: `[cap.NAME]` followed by `allow = [...]`"]
        );
        assert_eq!(
            errors("[base]\nallow = []\n[cap]\nallow = [\"read\"]\n[[cap.X]]\n"),
            [
                "p.toml:4:9: `allow` directly under `[cap]` belongs to no capability\n\
                 help: write `[cap.NAME]` instead of `[cap]`, like `[cap.FILE_IO]`",
                "p.toml:5:1: `cap.X` must be a table, found an array\n\
                 help: write `[cap.X]` with single brackets",
            ]
        );
        assert_eq!(
            errors("cap.Z = 1\ncap.bad = \"x\"\n[base]\nallow = []\n"),
            [
                "p.toml:1:9: `cap.Z` must be a table, found an integer\n\
                 help: write `[cap.Z]` on a line of its own, followed by `allow = [...]`",
                "p.toml:2:11: `cap.bad` must be a table, found a string\n\
                 help: write `[cap.bad]` on a line of its own, followed by `allow = [...]`",
            ]
        );
    }

    #[test]
    fn reports_bad_cap_names() {
        assert_eq!(
            errors("[base]\nallow = []\n[cap.file-io]\n[cap.\"\"]\n[cap.FileIo]\n[cap.\"1st\"]\n[cap.\"é\"]\n"),
            [
                "p.toml:3:6: capability name `file-io` is not a SCREAMING_SNAKE_CASE Rust identifier\n\
                 help: did you mean `FILE_IO`?",
                "p.toml:4:6: empty capability name\n\
                 help: name the capability in SCREAMING_SNAKE_CASE, like `[cap.FILE_IO]`",
                "p.toml:5:6: capability name `FileIo` is not a SCREAMING_SNAKE_CASE Rust identifier\n\
                 help: did you mean `FILE_IO`?",
                "p.toml:6:6: capability name `1st` is not a SCREAMING_SNAKE_CASE Rust identifier\n\
                 help: use upper-case ASCII letters, digits and `_`, starting with a letter, like `FILE_IO`",
                "p.toml:7:6: capability name `é` is not a SCREAMING_SNAKE_CASE Rust identifier\n\
                 help: use upper-case ASCII letters, digits and `_`, starting with a letter, like `FILE_IO`",
            ]
        );
    }

    #[test]
    fn reports_reserved_cap_names() {
        assert_eq!(
            errors("[base]\nallow = []\n[cap.ALL]\n[cap.NONE]\n[cap.NAMES]\n"),
            [
                "p.toml:3:6: capability name `ALL` is reserved: `Cap::ALL` is already defined\n\
                 help: rename the capability",
                "p.toml:4:6: capability name `NONE` is reserved: `Cap::NONE` is already defined\n\
                 help: rename the capability",
                "p.toml:5:6: capability name `NAMES` is reserved: `Cap::NAMES` is already defined\n\
                 help: rename the capability",
            ]
        );
    }

    #[test]
    fn allows_64_caps_but_not_65() {
        let policy = |n: usize| {
            let mut src = String::from("[base]\nallow = []\n");
            for i in 0..n {
                writeln!(src, "[cap.C{i}]").unwrap();
            }
            src
        };
        assert_eq!(ok(&policy(64)).caps.len(), 64);
        // Caps are declared from line 3 on, one per line: the 65th is on line 67.
        assert_eq!(
            errors(&policy(66)),
            ["p.toml:67:6: too many capabilities: 66 declared, at most 64 fit in the `Cap` bit set\n\
              help: merge capabilities that are always granted together"]
        );
    }

    #[test]
    fn reports_toml_syntax_errors_with_positions() {
        assert_eq!(
            errors("[base]\nallow = [\"read\" \"write\"]\n"),
            ["p.toml:2:17: invalid TOML: missing comma between array elements, expected `,`"]
        );
        assert_eq!(
            errors("[base]\nallow = [read]\n"),
            ["p.toml:2:10: invalid TOML: string values must be quoted, expected literal string"]
        );
    }

    #[test]
    fn checks_the_policy_despite_duplicate_tables() {
        assert_eq!(
            errors("[base]\nallow = [\"read\"]\n[cap.A]\n[cap.A]\nallow = [\"raed\"]\n"),
            [
                "p.toml:4:6: duplicate key `A`: a table or key may be defined only once\n\
                 help: merge the two definitions into one",
                "p.toml:5:11: unknown syscall `raed`\nhelp: did you mean `read`?",
            ]
        );
    }

    #[test]
    fn caps_the_number_of_syntax_errors() {
        let src: String = (0..30).fold(String::new(), |mut s, i| {
            writeln!(s, "k{i} = ").unwrap();
            s
        });
        let errs = errors(&src);
        assert_eq!(errs.len(), MAX_SYNTAX_ERRORS + 1);
        assert!(errs[MAX_SYNTAX_ERRORS].contains("more TOML syntax errors from here on"));
    }

    #[test]
    fn syntax_errors_come_sorted_by_position() {
        // Found by fuzzing: the parser reported `!\r` as 1:2, 1:3, 1:1.
        let errs = parse_policy("!\r").unwrap_err();
        let locs: Vec<_> = errs.iter().map(|d| d.loc).collect();
        let mut sorted = locs.clone();
        sorted.sort();
        assert!(locs.len() > 1, "{locs:?}");
        assert_eq!(locs, sorted);
    }

    #[test]
    fn counts_columns_in_characters_with_crlf() {
        let src = "[base]\r\nallow = [\"read\",\r\n  \"\u{e9}\u{e9}\", \"wrte\"]\r\n";
        assert_eq!(
            errors(src),
            [
                "p.toml:3:4: unexpected character `\u{e9}` in a rule\n\
                 help: a rule is a syscall name, optionally followed by a condition in \
                 parentheses, like \"socket(family == AF_INET)\"",
                "p.toml:3:10: unknown syscall `wrte`\nhelp: did you mean `write`?",
            ]
        );
        let policy = ok("[base]\r\nallow = [\"read\"]\r\n[cap.A] # \u{1f600}\u{1f600}\r\nallow = [\"\\u0077rite\"]\r\n");
        assert_eq!(policy.base.allow[0].loc, loc(2, 10));
        assert_eq!(policy.caps[0].loc, loc(3, 1));
        assert_eq!(names(&policy.caps[0].table.allow), ["write"]);
        assert_eq!(policy.caps[0].table.allow[0].loc, loc(4, 10));
    }

    #[test]
    fn never_panics_on_garbage() {
        let deep_array = format!("x = {}{}", "[".repeat(5000), "]".repeat(5000));
        let deep_table = format!("x = {}{}", "{a=".repeat(500), "}".repeat(500));
        let long_header = format!("[{}]", "a.".repeat(2000) + "a");
        let binary: String = (0u8..=255).map(char::from).collect();
        let inputs: Vec<String> = [
            "",
            "\0\0\0",
            "\u{feff}",
            "[",
            "]",
            "[[",
            "[cap]",
            "cap = 1",
            "[cap.X] allow = \"read\"",
            "[cap.X]\nallow = \"read\"",
            "[base]\nallow = [\"read\"]\n[cap.X]\nallow = \"read\"",
            "x = 99999999999999999999999999999999999999999",
            "x = 1e999999999",
            "x = -0x1",
            "x = 1979-05-27T07:32:00Z",
            "base = { allow = [[[[]]]] }",
            "[base]\nallow = [\"read\"\n",
            "[base]\nallow = [\"\\uD800\"]",
            "[base]\nallow = [\"\\u{0}\"]",
            "\"\u{1f600}\" = \"\u{1f600}\"",
            "[base]\r\nallow = [\r\n\"read\"\r\n]\r\n",
            "[base]\rallow = []",
            "[base]\nallow = ['''\nread''']",
            "[cap.\"\\n\"]",
            "a.b.c.d.e = 1\na.b = 2",
            "[[base]]\n[[cap]]",
        ]
        .iter()
        .map(|s| (*s).to_string())
        .chain([deep_array, deep_table, long_header, binary])
        .collect();
        for input in &inputs {
            // Either outcome is fine; a panic is not. The real tables too.
            let _ = parse_with(input, &known());
            let _ = parse_policy(input);
        }
        // Every byte sequence that is UTF-8, sliced at every char boundary.
        let src = "[base]\nallow = [\"read\", \"é\"]\n[cap.X]\nallow = [1]\n";
        for end in (0..=src.len()).filter(|&i| src.is_char_boundary(i)) {
            let _ = parse_with(&src[..end], &known());
        }
    }

    #[test]
    fn real_tables_know_and_suggest_names() {
        let source = "[base]\nallow = [\"read\", \"newfstat\", \"exti_group\", \"openat\"]\n";
        let diags = parse_policy(source).unwrap_err();
        let rendered: Vec<String> = diags.iter().map(|d| d.render("p.toml")).collect();
        assert_eq!(
            rendered,
            [
                "p.toml:2:19: unknown syscall `newfstat`\nhelp: did you mean `newfstatat`?",
                "p.toml:2:31: unknown syscall `exti_group`\nhelp: did you mean `exit_group`?",
            ]
        );
    }

    #[test]
    fn parses_the_shipped_policy() {
        let source = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../policy/seccomp.toml"
        ));
        let policy = match parse_policy(source) {
            Ok(policy) => policy,
            Err(diags) => panic!(
                "{}",
                diags
                    .iter()
                    .map(|d| d.render("policy/seccomp.toml"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        };
        // The rules the README and the tests rely on.
        let base: Vec<String> = policy
            .base
            .allow
            .iter()
            .map(|r| r.text.to_string())
            .collect();
        // (In their normal form: one line, `!` before a comparison
        // without parentheses.)
        for rule in [
            "read",
            "clone(clone_flags & CLONE_THREAD && !clone_flags & CLONE_NEWNS | CLONE_NEWCGROUP \
             | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET \
             | CLONE_NEWTIME)",
            "ioctl(!cmd in [TIOCSTI, TIOCLINUX, TIOCSCTTY, TIOCCONS, TIOCSETD])",
            "prlimit64(pid == 0)",
        ] {
            assert!(
                base.iter().any(|r| r == rule),
                "[base] lacks {rule:?} in {base:?}"
            );
        }
        let actions: Vec<(String, &str)> = policy
            .base
            .actions
            .iter()
            .map(|a| (a.rule.text.to_string(), a.action.kind.name()))
            .collect();
        for (rule, action) in [
            ("clone3", "ENOSYS"),
            ("ioctl", "EPERM"),
            ("prctl", "EPERM"),
            ("prlimit64", "EPERM"),
            ("socketpair", "EPERM"),
            ("socket", "EPERM"),
        ] {
            assert!(
                actions.iter().any(|(r, a)| r == rule && *a == action),
                "[base.actions] lacks {rule} = {action}"
            );
        }
        assert_eq!(
            policy.default.map(|d| d.kind),
            Some(ActionKind::Keyword(Action::KillProcess))
        );
        let caps: Vec<_> = policy.caps.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            caps,
            [
                "SQL_QUERY",
                "FILE_IO",
                "SSRF",
                "CODE_EXEC",
                "HTML_ESCAPE",
                "DESERIALIZE",
                "HEADER_INJECTION",
                "OPEN_REDIRECT",
            ]
        );
    }
}
