//! The kinds of error a policy can have, each with a stable code.
//!
//! A code names a kind of mistake, not a message: messages may be reworded,
//! a code is never reused or renumbered, so editors, CI annotations and
//! scripts can match on it (as on rustc's `E0308`). `docs/error-codes.md`
//! lists them all with what to do; a test keeps that table and [`Code::ALL`]
//! equal.

/// The kind of an error; [`Code::as_str`] is its stable code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// The policy file cannot be read: missing, unreadable, not a regular
    /// file, too big.
    CannotRead,
    /// The policy file is not valid UTF-8.
    NotUtf8,
    /// The file is not valid TOML (a duplicate key included).
    TomlSyntax,
    /// A key, table or value the policy's schema does not take: an unknown
    /// key or table, a value of the wrong type, `[base]` or its `allow`
    /// missing.
    Schema,
    /// A syscall name no supported architecture has.
    UnknownSyscall,
    /// A rule string that does not parse (`ioctl(cmd ==)`).
    RuleSyntax,
    /// The same rule listed twice in one table.
    Duplicate,
    /// An `actions` entry that never applies, since the same table allows
    /// the call.
    ActionNeverApplies,
    /// An action that is not one of the actions or an errno name.
    UnknownAction,
    /// A capability name that cannot be a Rust identifier of `Cap`, or
    /// more capabilities than fit.
    CapabilityName,
    /// The `fs`, `net` and `vars` tables: paths, ports, variables.
    Reach,
    /// An errno name no architecture has.
    UnknownErrno,
    /// A constant no architecture's tables have.
    UnknownConstant,
    /// A parameter the call does not have, or cannot have checked (a
    /// pointer, no fixed slot, past the sixth).
    Parameter,
    /// A value or condition that cannot be as written: too wide for the
    /// argument, never or always true, too complex to expand.
    Condition,
    /// A program of the policy cannot be built (too long, too many rules
    /// for one number).
    Unbuildable,
}

impl Code {
    /// Every kind, in the order of their codes.
    pub const ALL: [Code; 16] = [
        Code::CannotRead,
        Code::NotUtf8,
        Code::TomlSyntax,
        Code::Schema,
        Code::UnknownSyscall,
        Code::RuleSyntax,
        Code::Duplicate,
        Code::ActionNeverApplies,
        Code::UnknownAction,
        Code::CapabilityName,
        Code::Reach,
        Code::UnknownErrno,
        Code::UnknownConstant,
        Code::Parameter,
        Code::Condition,
        Code::Unbuildable,
    ];

    /// The stable code, `E0001`...
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::CannotRead => "E0001",
            Code::NotUtf8 => "E0002",
            Code::TomlSyntax => "E0003",
            Code::Schema => "E0004",
            Code::UnknownSyscall => "E0005",
            Code::RuleSyntax => "E0006",
            Code::Duplicate => "E0007",
            Code::ActionNeverApplies => "E0008",
            Code::UnknownAction => "E0009",
            Code::CapabilityName => "E0010",
            Code::Reach => "E0011",
            Code::UnknownErrno => "E0012",
            Code::UnknownConstant => "E0013",
            Code::Parameter => "E0014",
            Code::Condition => "E0015",
            Code::Unbuildable => "E0016",
        }
    }
}

impl core::fmt::Display for Code {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_code_and_the_table_lists_them_all() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "{code:?} repeats {code}");
            assert!(
                code.as_str().len() == 5 && code.as_str().starts_with('E'),
                "{code}"
            );
        }
        // The documented table: one row per code, in order.
        let doc = include_str!("../../docs/error-codes.md");
        let listed: Vec<&str> = doc
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.get(..5))
            .collect();
        let want: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(listed, want, "docs/error-codes.md against Code::ALL");
    }

    /// Every kind the front end reports is one of `ALL`, and the errors of
    /// a few policies get the kind their mistake is.
    #[test]
    fn errors_get_their_kinds() {
        for (source, code) in [
            ("[base]\nallow = [\"raed\"]\n", Code::UnknownSyscall),
            (
                "[base]\nallow = [\"ioctl(cmd == TIOCSIT)\"]\n",
                Code::UnknownConstant,
            ),
            ("[base]\nallow = [\"read\", \"read\"]\n", Code::Duplicate),
            ("[base]\nallow = [\"ioctl(cmd ==)\"]\n", Code::RuleSyntax),
            ("[base]\nallow = [\"read\"\n", Code::TomlSyntax),
            ("[bse]\nallow = []\n", Code::Schema),
            (
                "[base]\nallow = []\n[cap.fileIo]\nallow = []\n",
                Code::CapabilityName,
            ),
            (
                "[base]\nallow = []\nactions = { read = \"EPRM\" }\n",
                Code::UnknownErrno,
            ),
            (
                "[base]\nallow = []\nactions = { read = \"kil\" }\n",
                Code::UnknownAction,
            ),
        ] {
            let diags = crate::compile(source).expect_err(source);
            assert!(
                diags.iter().any(|d| d.code == code),
                "{source:?}: {:?}",
                diags
                    .iter()
                    .map(|d| (d.code, &d.message))
                    .collect::<Vec<_>>()
            );
            assert!(diags.iter().all(|d| Code::ALL.contains(&d.code)));
        }
    }
}
