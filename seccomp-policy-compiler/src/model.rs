//! The checked policy, as the front end hands it to lowering and expansion.

use core::ops::Range;

use seccomp_policy_core::rule::Action;

use crate::expr::RuleText;

/// A position in the policy file, 1-based like rustc's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    /// Line, counting from 1.
    pub line: usize,
    /// Column in characters, counting from 1.
    pub col: usize,
}

/// One rule string as written in an `allow` list or as an `actions` key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The rule string itself.
    pub source: String,
    /// The parsed rule: a syscall known on at least one supported
    /// architecture, and its condition.
    pub text: RuleText,
    /// Where the string starts (its opening quote, or the bare key).
    pub loc: Loc,
    /// Where the string's first character is, when the file holds the rule
    /// text exactly (no escapes, one line); positions inside the rule are
    /// then exact, otherwise they fall back to [`loc`](Rule::loc).
    pub content: Option<Loc>,
    /// The string's byte offset in the file: rules are ordered by it.
    pub offset: usize,
}

impl Rule {
    /// The syscall's name.
    pub fn syscall(&self) -> &str {
        &self.text.syscall.text
    }

    /// The file position of a byte range of the rule text.
    pub fn loc_of(&self, span: &Range<usize>) -> Loc {
        match self.content {
            Some(start) => {
                let text = self.source.as_str();
                let before = text.get(..span.start).unwrap_or(text);
                Loc {
                    line: start.line,
                    col: start.col + before.chars().count(),
                }
            }
            None => self.loc,
        }
    }
}

/// What a rule does when it decides a call (the values of `actions` and of
/// `default`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// An action the file names by its keyword (`"kill-process"`,
    /// `"log"`, ...): one of [`Action::KEYWORDS`].
    Keyword(Action),
    /// An errno name (`"EPERM"`): the call fails with it. Its number is
    /// looked up per architecture.
    Errno(String),
}

impl ActionKind {
    /// The action as the policy file spells it.
    pub fn name(&self) -> &str {
        match self {
            ActionKind::Keyword(action) => action.keyword().unwrap_or_default(),
            ActionKind::Errno(name) => name,
        }
    }
}

/// An action and where it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionSpec {
    /// The action.
    pub kind: ActionKind,
    /// Where its string starts.
    pub loc: Loc,
}

/// An `actions` entry: a rule and what it does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionRule {
    /// The rule (the key).
    pub rule: Rule,
    /// The action (the value).
    pub action: ActionSpec,
}

/// `[base]` or a `[cap.NAME]` table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// `allow`, in file order, without duplicates.
    pub allow: Vec<Rule>,
    /// `actions`, in file order.
    pub actions: Vec<ActionRule>,
    /// `fs` and `net`: the files and ports the table lets a payload reach.
    pub reach: Reach,
}

/// A path or port in an `fs` or `net` list, as written: `/usr`,
/// `$WORKDIR/out`, `443`, `$PORTS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReachEntry {
    /// The entry; a port written as a number is kept as its digits.
    pub text: String,
    /// Where it is.
    pub loc: Loc,
}

/// A table's `fs` and `net` tables (see `seccomp_policy_core::reach`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    /// Where the `fs` table is, if the table has one.
    pub fs: Option<Loc>,
    /// `fs.read`.
    pub read: Vec<ReachEntry>,
    /// `fs.write`.
    pub write: Vec<ReachEntry>,
    /// Where the `net` table is, if the table has one.
    pub net: Option<Loc>,
    /// `net.connect`.
    pub connect: Vec<ReachEntry>,
    /// `net.bind`.
    pub bind: Vec<ReachEntry>,
}

/// A `[cap.NAME]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapTable {
    /// `NAME`.
    pub name: String,
    /// Where the table's header is.
    pub loc: Loc,
    /// Its rules.
    pub table: Table,
}

/// A policy file that parsed and validated without error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// `default = "..."`, if the file says.
    pub default: Option<ActionSpec>,
    /// `[base]`.
    pub base: Table,
    /// The `[cap.NAME]` tables in declaration order.
    pub caps: Vec<CapTable>,
    /// `vars = [...]`: the variables the harness may give beside the
    /// built-in ones, in file order.
    pub vars: Vec<ReachEntry>,
}

impl Policy {
    /// Every table with its name as a report spells it: `[base]`, then
    /// `[cap.NAME]` in declaration order.
    pub fn tables(&self) -> impl Iterator<Item = (String, &Table)> {
        std::iter::once(("[base]".to_owned(), &self.base)).chain(
            self.caps
                .iter()
                .map(|c| (format!("[cap.{}]", c.name), &c.table)),
        )
    }
}
