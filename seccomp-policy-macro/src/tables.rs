//! The value of `POLICY`: every architecture's rule tables, written as Rust
//! source text and handed to rustc's lexer in one piece.
//!
//! Why text and not `quote!`: cargo builds a proc macro and its
//! dependencies unoptimized unless asked otherwise, and there each token
//! made through `proc_macro2` costs about half a microsecond; the shipped
//! policy's tables on nine architectures are over ten thousand tokens (6 ms
//! of every build of a crate invoking the macro). rustc's lexer, optimized
//! like the rest of rustc, reads the same tables from text in a fraction of
//! that. The text holds only numbers, the names of the core crate's types
//! and variants, and string literals written with `{:?}`, which is Rust's
//! own escaping: it is valid Rust whatever the policy file says.
//!
//! Lexing and parsing still cost rustc per token, so the text is terse: a
//! rule is `r(nr, when, action, order)`, and each distinct condition is
//! written once, as a const of the value's block, since a condition is
//! mostly the same on every architecture (the shipped policy's 99
//! conditions are 9 distinct ones). Whole `allow` lists recur too (where
//! architectures share the generic numbering, or caps grant the same
//! calls), but finding them cost the unoptimized macro as much as their
//! shorter text saved rustc.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use proc_macro2::TokenStream;

use seccomp_policy_compiler::lower::{ArchRules, LoweredRule, SetRules};
use seccomp_policy_compiler::model::{Policy, Reach};
use seccomp_policy_core::rule::{Action, ArgCmp, CmpOp};

/// The start of the value's block: the core types and variants it names,
/// and `r`, a rule without its field names (9 tokens, not 19).
const PRELUDE: &str = "{\
    #[allow(unused_imports)] use ::seccomp_policy::policy::{ArchPolicy, Policy};\
    #[allow(unused_imports)] use ::seccomp_policy::reach::Reach;\
    #[allow(unused_imports)] use ::seccomp_policy::rule::{ArgCmp, CmpOp, Rule, RuleSet, When::{self, *}};\
    #[allow(unused_imports)] use ::seccomp_policy::{Action::{self, *}, Arch};\
    #[allow(dead_code)] const fn r(nr: u32, when: When<'static>, action: Action, order: u32) -> Rule<'static> {\
        Rule { nr, when, action, order }\
    }";

/// The `Policy` value of `file`'s `arches`: a block of [`PRELUDE`], a
/// const `W{index}` per distinct condition, and the value. `policy` gives
/// the cap names and each table's files and ports.
pub fn policy_value(file: &str, policy: &Policy, arches: &[ArchRules]) -> TokenStream {
    let mut w = Writer::default();
    let _ = write!(w.value, "Policy{{file:{file:?},cap_names:&[");
    for cap in &policy.caps {
        let _ = write!(w.value, "{:?},", cap.name);
    }
    w.value.push_str("],arches:&[");
    for arch in arches {
        w.arch_policy(arch);
    }
    w.value.push_str("],reach:&[");
    for (_, table) in policy.tables() {
        w.reach(&table.reach);
    }
    w.value.push_str("]}}");
    let mut source = String::with_capacity(PRELUDE.len() + w.consts.len() + w.value.len());
    source.push_str(PRELUDE);
    source.push_str(&w.consts);
    source.push_str(&w.value);
    lex(&source)
}

/// The text being written: the block's consts and, apart, the value that
/// ends the block (the consts come first, but are found while the value is
/// written). Writing to a `String` cannot fail, so the `fmt::Result`s of
/// `write!` are ignored.
#[derive(Default)]
struct Writer {
    /// `const W{index}: When = ...;` for each distinct condition.
    consts: String,
    /// The `Policy` expression.
    value: String,
    /// Each distinct condition's text and its index. Keyed by the text the
    /// value would hold: equal text is an equal condition, and comparing
    /// text costs the unoptimized macro less than hashing the comparisons.
    conditions: BTreeMap<String, usize>,
    /// Scratch space for one condition's text.
    condition: String,
}

impl Writer {
    /// A table's `Reach`: its entries as string literals.
    fn reach(&mut self, r: &Reach) {
        let _ = write!(
            self.value,
            "Reach{{fs:{},net:{},",
            r.fs.is_some(),
            r.net.is_some()
        );
        for (field, entries) in [
            ("read", &r.read),
            ("write", &r.write),
            ("connect", &r.connect),
            ("bind", &r.bind),
        ] {
            let _ = write!(self.value, "{field}:&[");
            for entry in entries {
                let _ = write!(self.value, "{:?},", entry.text);
            }
            self.value.push_str("],");
        }
        self.value.push_str("},");
    }

    fn arch_policy(&mut self, a: &ArchRules) {
        let _ = write!(self.value, "ArchPolicy{{arch:Arch::{:?},default:", a.arch);
        action(&mut self.value, a.default);
        self.value.push_str(",base:");
        self.rule_set(&a.base);
        self.value.push_str(",caps:&[");
        for set in &a.caps {
            self.rule_set(set);
            self.value.push(',');
        }
        self.value.push_str("],missing:&[");
        for name in &a.missing {
            let _ = write!(self.value, "{name:?},");
        }
        self.value.push_str("]},");
    }

    fn rule_set(&mut self, set: &SetRules) {
        self.value.push_str("RuleSet{allow:&[");
        for &nr in &set.allow {
            decimal(&mut self.value, nr.into());
            self.value.push(',');
        }
        self.value.push_str("],rules:&[");
        for r in &set.rules {
            self.rule(r);
        }
        self.value.push_str("]}");
    }

    fn rule(&mut self, r: &LoweredRule) {
        self.value.push_str("r(");
        decimal(&mut self.value, r.nr.into());
        self.value.push(',');
        match &r.when {
            None => self.value.push_str("Always"),
            Some(alternatives) => {
                let index = self.condition_index(alternatives);
                let _ = write!(self.value, "W{index}");
            }
        }
        self.value.push(',');
        action(&mut self.value, r.action);
        self.value.push(',');
        decimal(&mut self.value, r.order.into());
        self.value.push_str("),");
    }

    /// The index of the const holding `alternatives`, defined on first use.
    fn condition_index(&mut self, alternatives: &[Vec<ArgCmp>]) -> usize {
        let text = &mut self.condition;
        text.clear();
        text.push_str("AnyOf(&[");
        for conj in alternatives {
            text.push_str("&[");
            for c in conj {
                arg_cmp(text, c);
            }
            text.push_str("],");
        }
        text.push_str("])");
        if let Some(&index) = self.conditions.get(text.as_str()) {
            return index;
        }
        let index = self.conditions.len();
        let _ = write!(self.consts, "const W{index}:When<'static>={text};");
        self.conditions.insert(text.clone(), index);
        index
    }
}

fn arg_cmp(out: &mut String, c: &ArgCmp) {
    let _ = write!(out, "ArgCmp{{arg:{},bits:{},op:CmpOp::", c.arg, c.bits);
    let mask = match c.op {
        CmpOp::Eq => Err("Eq"),
        CmpOp::Ne => Err("Ne"),
        CmpOp::Lt => Err("Lt"),
        CmpOp::Le => Err("Le"),
        CmpOp::Gt => Err("Gt"),
        CmpOp::Ge => Err("Ge"),
        CmpOp::MaskedEq(m) => Ok(("MaskedEq(", m)),
        CmpOp::MaskedNe(m) => Ok(("MaskedNe(", m)),
    };
    match mask {
        Err(op) => out.push_str(op),
        Ok((op, m)) => {
            out.push_str(op);
            decimal(out, m);
            out.push(')');
        }
    }
    out.push_str(",value:");
    decimal(out, c.value);
    out.push_str("},");
}

fn action(out: &mut String, a: Action) {
    let name = match a {
        Action::KillProcess => "KillProcess",
        Action::KillThread => "KillThread",
        Action::Trap => "Trap",
        Action::Errno(e) => {
            out.push_str("Errno(");
            decimal(out, e.into());
            out.push(')');
            return;
        }
        Action::Notify => "Notify",
        Action::Log => "Log",
        Action::Allow => "Allow",
    };
    out.push_str(name);
}

/// Appends `n` in decimal. `write!` would do, but through `fmt::Arguments`
/// it cost the unoptimized macro about 1 000 instructions a number, and
/// the tables are mostly numbers.
fn decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // ASCII digits, so always UTF-8.
    out.push_str(std::str::from_utf8(&digits[start..]).unwrap_or_default());
}

/// `source` as tokens. Inside the macro, rustc's lexer reads it directly:
/// `proc_macro2`'s own parse would first check the text with its fallback
/// lexer, which is as unoptimized as the rest of the macro and would cost
/// more than the tokens it saves. Outside a macro (unit tests) there is
/// only the fallback.
fn lex(source: &str) -> TokenStream {
    let lexed = if proc_macro::is_available() {
        source
            .parse::<proc_macro::TokenStream>()
            .map(TokenStream::from)
            .map_err(|e| e.to_string())
    } else {
        source.parse::<TokenStream>().map_err(|e| e.to_string())
    };
    lexed.unwrap_or_else(|e| {
        let message = format!(
            "internal error in seccomp_policy!: the policy's tables do not lex ({e}); \
             please report this together with the policy file"
        );
        quote::quote!(::core::compile_error!(#message))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        for n in [0, 1, 9, 10, 99, 100, 4079, u64::from(u32::MAX), u64::MAX] {
            let mut out = String::from("x");
            decimal(&mut out, n);
            assert_eq!(out, format!("x{n}"));
        }
    }
}
