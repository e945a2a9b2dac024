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

use std::fmt::Write as _;

use proc_macro2::TokenStream;

use seccomp_policy_compiler::lower::{ArchRules, LoweredRule, SetRules};
use seccomp_policy_core::rule::{Action, ArgCmp, CmpOp};

/// The `Policy` value of `file`'s `arches`: a block that imports the core
/// types it names (short names make shorter text) and ends in the value.
pub fn policy_value(file: &str, cap_names: &[&str], arches: &[ArchRules]) -> TokenStream {
    let mut out = String::with_capacity(16 * 1024);
    out.push_str(
        "{\
         #[allow(unused_imports)] use ::seccomp_policy::policy::{ArchPolicy, Policy};\
         #[allow(unused_imports)] use ::seccomp_policy::rule::{ArgCmp, CmpOp, Rule, RuleSet, When};\
         #[allow(unused_imports)] use ::seccomp_policy::{Action, Arch};",
    );
    let _ = write!(out, "Policy{{file:{file:?},cap_names:&[");
    for name in cap_names {
        let _ = write!(out, "{name:?},");
    }
    out.push_str("],arches:&[");
    for arch in arches {
        arch_policy(&mut out, arch);
    }
    out.push_str("]}}");
    lex(&out)
}

// Writing to a String cannot fail: the `fmt::Result`s below are ignored.

fn arch_policy(out: &mut String, a: &ArchRules) {
    let _ = write!(out, "ArchPolicy{{arch:Arch::{:?},default:", a.arch);
    action(out, a.default);
    out.push_str(",base:");
    rule_set(out, &a.base);
    out.push_str(",caps:&[");
    for set in &a.caps {
        rule_set(out, set);
        out.push(',');
    }
    out.push_str("],missing:&[");
    for name in &a.missing {
        let _ = write!(out, "{name:?},");
    }
    out.push_str("]},");
}

fn rule_set(out: &mut String, set: &SetRules) {
    out.push_str("RuleSet{allow:&[");
    for nr in &set.allow {
        let _ = write!(out, "{nr},");
    }
    out.push_str("],rules:&[");
    for r in &set.rules {
        rule(out, r);
    }
    out.push_str("]}");
}

fn rule(out: &mut String, r: &LoweredRule) {
    let _ = write!(out, "Rule{{nr:{},when:", r.nr);
    match &r.when {
        None => out.push_str("When::Always"),
        Some(alts) => {
            out.push_str("When::AnyOf(&[");
            for conj in alts {
                out.push_str("&[");
                for c in conj {
                    arg_cmp(out, c);
                }
                out.push_str("],");
            }
            out.push_str("])");
        }
    }
    out.push_str(",action:");
    action(out, r.action);
    let _ = write!(out, ",order:{}}},", r.order);
}

fn arg_cmp(out: &mut String, c: &ArgCmp) {
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

fn action(out: &mut String, a: Action) {
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
