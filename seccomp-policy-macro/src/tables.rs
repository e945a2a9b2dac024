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
//! Lexing and parsing still cost per token, so values that recur are
//! written once, as consts of the value's block ([`Shared`]).

use std::collections::HashMap;
use std::fmt::Write as _;

use proc_macro2::TokenStream;

use seccomp_policy_compiler::lower::{ArchRules, LoweredRule, SetRules};
use seccomp_policy_core::rule::{Action, ArgCmp, CmpOp};

/// The `Policy` value of `file`'s `arches`: a block that imports the core
/// types it names (short names make shorter text), defines the shared
/// values, and ends in the value.
pub fn policy_value(file: &str, cap_names: &[&str], arches: &[ArchRules]) -> TokenStream {
    let mut w = Writer {
        out: String::with_capacity(16 * 1024),
        shared: Shared::of(arches),
    };
    w.out.push_str(
        "{\
         #[allow(unused_imports)] use ::seccomp_policy::policy::{ArchPolicy, Policy};\
         #[allow(unused_imports)] use ::seccomp_policy::rule::{ArgCmp, CmpOp, Rule, RuleSet, When};\
         #[allow(unused_imports)] use ::seccomp_policy::{Action, Arch};",
    );
    w.shared_consts();
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

/// The values written once and named wherever they occur.
///
/// A condition is mostly the same on every architecture (the shipped
/// policy's 99 conditions are 9 distinct ones), so each distinct one
/// becomes a const `W{index}`. Numbers differ between architectures, but
/// those sharing the generic numbering, and caps granting the same calls,
/// repeat whole `allow` lists: each list that occurs more than once becomes
/// a const `N{index}`.
struct Shared<'a> {
    /// The distinct conditions, in order of first occurrence.
    whens: Vec<&'a [Vec<ArgCmp>]>,
    /// Their indices in `whens`.
    when_index: HashMap<&'a [Vec<ArgCmp>], usize>,
    /// The `allow` lists that recur, in order of first occurrence.
    allows: Vec<&'a [u32]>,
    /// Each list's index in `allows` if it recurs, `None` if it occurs once
    /// (or is empty: `&[]` is as short as a name).
    allow_index: HashMap<&'a [u32], Option<usize>>,
}

impl<'a> Shared<'a> {
    fn of(arches: &'a [ArchRules]) -> Self {
        let mut shared = Shared {
            whens: Vec::new(),
            when_index: HashMap::new(),
            allows: Vec::new(),
            allow_index: HashMap::new(),
        };
        let sets = arches
            .iter()
            .flat_map(|a| std::iter::once(&a.base).chain(&a.caps));
        for set in sets {
            let allow = set.allow.as_slice();
            match shared.allow_index.get_mut(allow) {
                Some(index @ None) if !allow.is_empty() => {
                    *index = Some(shared.allows.len());
                    shared.allows.push(allow);
                }
                Some(_) => {}
                None => {
                    shared.allow_index.insert(allow, None);
                }
            }
            for when in set.rules.iter().filter_map(|r| r.when.as_deref()) {
                if !shared.when_index.contains_key(when) {
                    shared.when_index.insert(when, shared.whens.len());
                    shared.whens.push(when);
                }
            }
        }
        shared
    }
}

/// The text being written. Writing to a `String` cannot fail, so the
/// `fmt::Result`s of `write!` are ignored.
struct Writer<'a> {
    out: String,
    shared: Shared<'a>,
}

impl<'a> Writer<'a> {
    fn shared_consts(&mut self) {
        for i in 0..self.shared.whens.len() {
            let when: &'a [Vec<ArgCmp>] = self.shared.whens[i];
            let _ = write!(self.out, "const W{i}:When<'static>=");
            self.condition(when);
            self.out.push(';');
        }
        for i in 0..self.shared.allows.len() {
            let allow: &'a [u32] = self.shared.allows[i];
            let _ = write!(self.out, "const N{i}:&[u32]=");
            self.numbers(allow);
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
        self.out.push_str("RuleSet{allow:");
        match self.shared.allow_index.get(set.allow.as_slice()) {
            Some(Some(i)) => {
                let _ = write!(self.out, "N{i}");
            }
            _ => self.numbers(&set.allow),
        }
        self.out.push_str(",rules:&[");
        for r in &set.rules {
            self.rule(r);
        }
        self.out.push_str("]}");
    }

    fn numbers(&mut self, numbers: &[u32]) {
        self.out.push_str("&[");
        for nr in numbers {
            let _ = write!(self.out, "{nr},");
        }
        self.out.push(']');
    }

    fn rule(&mut self, r: &LoweredRule) {
        let _ = write!(self.out, "Rule{{nr:{},when:", r.nr);
        match r.when.as_deref() {
            None => self.out.push_str("When::Always"),
            Some(when) => match self.shared.when_index.get(when) {
                Some(i) => {
                    let _ = write!(self.out, "W{i}");
                }
                // Not reached (`Shared::of` saw every rule), and still right.
                None => self.condition(when),
            },
        }
        self.out.push_str(",action:");
        self.action(r.action);
        let _ = write!(self.out, ",order:{}}},", r.order);
    }

    fn condition(&mut self, alternatives: &[Vec<ArgCmp>]) {
        self.out.push_str("When::AnyOf(&[");
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
            Action::KillProcess => write!(out, "Action::KillProcess"),
            Action::KillThread => write!(out, "Action::KillThread"),
            Action::Trap => write!(out, "Action::Trap"),
            Action::Errno(e) => write!(out, "Action::Errno({e})"),
            Action::Notify => write!(out, "Action::Notify"),
            Action::Log => write!(out, "Action::Log"),
            Action::Allow => write!(out, "Action::Allow"),
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
