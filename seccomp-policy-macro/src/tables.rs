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
//! Lexing and parsing still cost per token, so the conditions, which recur
//! on every architecture, are written once, as consts of the value's block
//! ([`Conditions`]).

use std::collections::HashMap;
use std::fmt::Write as _;

use proc_macro2::TokenStream;

use seccomp_policy_compiler::lower::{ArchRules, LoweredRule, SetRules};
use seccomp_policy_core::rule::{Action, ArgCmp, CmpOp};

/// The `Policy` value of `file`'s `arches`: a block that imports the core
/// types and variants it names, defines `r` (a rule without its field
/// names: a rule is 9 tokens, not 19) and the conditions, and ends in the
/// value.
pub fn policy_value(file: &str, cap_names: &[&str], arches: &[ArchRules]) -> TokenStream {
    let mut w = Writer {
        out: String::with_capacity(16 * 1024),
        conditions: Conditions::of(arches),
    };
    w.out.push_str(
        "{\
         #[allow(unused_imports)] use ::seccomp_policy::policy::{ArchPolicy, Policy};\
         #[allow(unused_imports)] use ::seccomp_policy::rule::{ArgCmp, CmpOp, Rule, RuleSet, When::{self, *}};\
         #[allow(unused_imports)] use ::seccomp_policy::{Action::{self, *}, Arch};\
         #[allow(dead_code)] const fn r(nr: u32, when: When<'static>, action: Action, order: u32) -> Rule<'static> {\
             Rule { nr, when, action, order }\
         }",
    );
    w.condition_consts();
    let _ = write!(w.out, "Policy{{file:{file:?},cap_names:&[");
    for name in cap_names {
        let _ = write!(w.out, "{name:?},");
    }
    w.out.push_str("],arches:&[");
    for arch in arches {
        w.arch_policy(arch);
    }
    w.out.push_str("]}}");
    lex(&w.out)
}

/// Each distinct condition, written once as a const `W{index}` and named
/// wherever it occurs: a condition is mostly the same on every
/// architecture (the shipped policy's 99 conditions are 9 distinct ones).
///
/// Whole `allow` lists recur too (where architectures share the generic
/// numbering, or caps grant the same calls), but finding them cost the
/// unoptimized macro as much as their shorter text saved rustc.
struct Conditions<'a> {
    /// The distinct conditions, in order of first occurrence.
    list: Vec<&'a [Vec<ArgCmp>]>,
    /// Their indices in `list`.
    index: HashMap<&'a [Vec<ArgCmp>], usize>,
}

impl<'a> Conditions<'a> {
    fn of(arches: &'a [ArchRules]) -> Self {
        let mut conditions = Conditions {
            list: Vec::new(),
            index: HashMap::new(),
        };
        let rules = arches
            .iter()
            .flat_map(|a| std::iter::once(&a.base).chain(&a.caps))
            .flat_map(|set| &set.rules);
        for when in rules.filter_map(|r| r.when.as_deref()) {
            if !conditions.index.contains_key(when) {
                conditions.index.insert(when, conditions.list.len());
                conditions.list.push(when);
            }
        }
        conditions
    }
}

/// The text being written. Writing to a `String` cannot fail, so the
/// `fmt::Result`s of `write!` are ignored.
struct Writer<'a> {
    out: String,
    conditions: Conditions<'a>,
}

impl<'a> Writer<'a> {
    fn condition_consts(&mut self) {
        for i in 0..self.conditions.list.len() {
            let when: &'a [Vec<ArgCmp>] = self.conditions.list[i];
            let _ = write!(self.out, "const W{i}:When<'static>=");
            self.condition(when);
            self.out.push(';');
        }
    }

    fn arch_policy(&mut self, a: &ArchRules) {
        let _ = write!(self.out, "ArchPolicy{{arch:Arch::{:?},default:", a.arch);
        self.action(a.default);
        self.out.push_str(",base:");
        self.rule_set(&a.base);
        self.out.push_str(",caps:&[");
        for set in &a.caps {
            self.rule_set(set);
            self.out.push(',');
        }
        self.out.push_str("],missing:&[");
        for name in &a.missing {
            let _ = write!(self.out, "{name:?},");
        }
        self.out.push_str("]},");
    }

    fn rule_set(&mut self, set: &SetRules) {
        self.out.push_str("RuleSet{allow:&[");
        for nr in &set.allow {
            let _ = write!(self.out, "{nr},");
        }
        self.out.push_str("],rules:&[");
        for r in &set.rules {
            self.rule(r);
        }
        self.out.push_str("]}");
    }

    fn rule(&mut self, r: &LoweredRule) {
        let _ = write!(self.out, "r({},", r.nr);
        match r.when.as_deref() {
            None => self.out.push_str("Always"),
            Some(when) => match self.conditions.index.get(when) {
                Some(i) => {
                    let _ = write!(self.out, "W{i}");
                }
                // Not reached (`Conditions::of` saw every rule), and still right.
                None => self.condition(when),
            },
        }
        self.out.push(',');
        self.action(r.action);
        let _ = write!(self.out, ",{}),", r.order);
    }

    fn condition(&mut self, alternatives: &[Vec<ArgCmp>]) {
        self.out.push_str("AnyOf(&[");
        for conj in alternatives {
            self.out.push_str("&[");
            for c in conj {
                self.arg_cmp(c);
            }
            self.out.push_str("],");
        }
        self.out.push_str("])");
    }

    fn arg_cmp(&mut self, c: &ArgCmp) {
        let out = &mut self.out;
        let _ = write!(out, "ArgCmp{{arg:{},bits:{},op:CmpOp::", c.arg, c.bits);
        let _ = match c.op {
            CmpOp::Eq => write!(out, "Eq"),
            CmpOp::Ne => write!(out, "Ne"),
            CmpOp::Lt => write!(out, "Lt"),
            CmpOp::Le => write!(out, "Le"),
            CmpOp::Gt => write!(out, "Gt"),
            CmpOp::Ge => write!(out, "Ge"),
            CmpOp::MaskedEq(m) => write!(out, "MaskedEq({m})"),
            CmpOp::MaskedNe(m) => write!(out, "MaskedNe({m})"),
        };
        let _ = write!(out, ",value:{}}},", c.value);
    }

    fn action(&mut self, a: Action) {
        let out = &mut self.out;
        let _ = match a {
            Action::KillProcess => write!(out, "KillProcess"),
            Action::KillThread => write!(out, "KillThread"),
            Action::Trap => write!(out, "Trap"),
            Action::Errno(e) => write!(out, "Errno({e})"),
            Action::Notify => write!(out, "Notify"),
            Action::Log => write!(out, "Log"),
            Action::Allow => write!(out, "Allow"),
        };
    }
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
