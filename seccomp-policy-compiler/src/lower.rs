//! Lowering: the checked policy to the rule IR of every architecture.
//!
//! For each supported architecture, every rule's syscall becomes its number
//! there (a syscall the architecture lacks is skipped and listed in
//! `missing`), every condition becomes comparisons of argument slots with
//! constants in disjunctive normal form, with the parameter's slot and width
//! and the constants' values of that architecture, and every errno name its
//! number there.
//!
//! Decisions:
//!
//! - Parameters are named as the kernel names them (`family`, not the man
//!   page's `domain`), or `arg0` to `arg5`. A parameter the kernel reads as
//!   32 bits (`int`, `unsigned int`), and every argument on a 32-bit
//!   architecture, is compared on its low 32 bits only, which is all the
//!   kernel reads: high bits set by a caller change nothing.
//! - A condition on a pointer is an error: seccomp sees the address, not
//!   the memory behind it.
//! - A rule whose condition names a parameter the call has on other
//!   architectures but not on this one does not apply here (it is listed in
//!   [`ArchRules::unchecked`]): i386's and s390x's `mmap` take one pointer to
//!   their six arguments, so `mmap(prot & PROT_EXEC == 0)` cannot be checked
//!   there, and a filter that cannot check a rule must not act on it. The
//!   call is decided there as if the rule were not written: an `allow`
//!   allows nothing, an action answers nothing, and what the other rules or
//!   the default say holds. A parameter that no architecture's form of the
//!   call has is an error.
//! - A constant must fit the parameter: a negative one is taken in two's
//!   complement at the parameter's width (`-1` on an `int` is `0xffffffff`).
//! - A comparison that is always true or always false by itself (a masked
//!   value with bits outside the mask, `< 0`) is folded; a whole condition
//!   that can never hold is an error, since the rule would be dead.
//! - An error that arises on some architectures only says which.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use seccomp_policy_core::policy::ArchPolicy;
use seccomp_policy_core::rule::{Action, ArgCmp, CmpOp, Rule as IrRule, RuleSet, When};
use seccomp_policy_core::text::quoted;
use seccomp_policy_core::{errno, syscalls, Arch};

use crate::diag::{Code, Diagnostic};
use crate::expr::{Expr, Name, RelOp, Term, Test, Value};
use crate::model::{ActionKind, ActionRule, ActionSpec, Loc, Policy, Rule, Table};
use crate::suggest::did_you_mean;
use crate::tables;
use crate::tables::{Param, Params};

/// The most alternatives a condition may expand to.
pub(crate) const MAX_ALTERNATIVES: usize = 64;

/// A lowered rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoweredRule {
    /// The syscall number.
    pub nr: u32,
    /// `None`: whatever the arguments; otherwise alternatives of
    /// conjunctions.
    pub when: Option<Vec<Vec<ArgCmp>>>,
    /// What the rule does.
    pub action: Action,
    /// The rule's byte offset in the policy file.
    pub order: u32,
    /// Where the rule is written.
    pub loc: Loc,
}

/// One table lowered on one architecture.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SetRules {
    /// Numbers allowed whatever the arguments, sorted, without duplicates.
    pub allow: Vec<u32>,
    /// The other rules, sorted by number, then by order.
    pub rules: Vec<LoweredRule>,
}

/// The whole policy on one architecture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchRules {
    /// The architecture.
    pub arch: Arch,
    /// The default action.
    pub default: Action,
    /// `[base]`.
    pub base: SetRules,
    /// Each cap, in declaration order.
    pub caps: Vec<SetRules>,
    /// Policy syscall names this architecture does not have, sorted.
    pub missing: Vec<String>,
    /// Rules that do not apply here, because their condition names a
    /// parameter the call has only on other architectures; sorted by place.
    pub unchecked: Vec<Unchecked>,
}

/// A rule that does not apply on one architecture: its condition names a
/// parameter (`prot`, or `arg3`) the call has on other architectures but not
/// on this one, so a filter here could not check it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unchecked {
    /// Where the rule is written.
    pub loc: Loc,
    /// The rule as written.
    pub rule: String,
    /// Its syscall.
    pub syscall: String,
    /// The parameter it names that the call lacks here.
    pub param: String,
}

impl ArchRules {
    /// How many distinct numbers the policy mentions here.
    pub fn numbers(&self) -> usize {
        let mut all: Vec<u32> = std::iter::once(&self.base)
            .chain(&self.caps)
            .flat_map(|s| s.allow.iter().copied().chain(s.rules.iter().map(|r| r.nr)))
            .collect();
        all.sort_unstable();
        all.dedup();
        all.len()
    }

    /// The tables a grant of `caps` applies: `[base]`, then each cap whose
    /// bit is set, in declaration order.
    pub fn granted(&self, caps: u64) -> Vec<&SetRules> {
        std::iter::once(&self.base)
            .chain(
                self.caps
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| seccomp_policy_core::policy::has_cap(caps, *i))
                    .map(|(_, s)| s),
            )
            .collect()
    }
}

impl ArchRules {
    /// Calls `f` with this architecture's rules as the core crate's
    /// [`ArchPolicy`], borrowed from `self`: what the builder, the
    /// simulator and the verdicts take.
    pub fn with_policy<R>(&self, f: impl FnOnce(&ArchPolicy<'_>) -> R) -> R {
        let sets: Vec<&SetRules> = std::iter::once(&self.base).chain(&self.caps).collect();
        with_rule_sets(&sets, |sets| {
            let missing: Vec<&str> = self.missing.iter().map(String::as_str).collect();
            f(&ArchPolicy {
                arch: self.arch,
                default: self.default,
                base: sets[0],
                caps: &sets[1..],
                missing: &missing,
            })
        })
    }
}

/// Calls `f` with `sets` as the core crate's [`RuleSet`]s, borrowed: the
/// one place owned rules become what the builder takes.
pub fn with_rule_sets<R>(sets: &[&SetRules], f: impl FnOnce(&[RuleSet<'_>]) -> R) -> R {
    let alts: Vec<Vec<Vec<&[ArgCmp]>>> = sets.iter().map(|s| alternatives(s)).collect();
    let rules: Vec<Vec<IrRule<'_>>> = sets
        .iter()
        .zip(&alts)
        .map(|(set, alts)| ir_rules(set, alts))
        .collect();
    let sets: Vec<RuleSet<'_>> = sets
        .iter()
        .zip(&rules)
        .map(|(set, rules)| RuleSet {
            allow: &set.allow,
            rules,
        })
        .collect();
    f(&sets)
}

/// Each rule's alternatives as slices.
fn alternatives(set: &SetRules) -> Vec<Vec<&[ArgCmp]>> {
    set.rules
        .iter()
        .map(|r| {
            r.when
                .as_ref()
                .map_or_else(Vec::new, |alts| alts.iter().map(Vec::as_slice).collect())
        })
        .collect()
}

/// The rules of a set as the core crate's rules.
fn ir_rules<'a>(set: &'a SetRules, alts: &'a [Vec<&'a [ArgCmp]>]) -> Vec<IrRule<'a>> {
    set.rules
        .iter()
        .zip(alts)
        .map(|(r, a)| IrRule {
            nr: r.nr,
            when: if r.when.is_some() {
                When::AnyOf(a)
            } else {
                When::Always
            },
            action: r.action,
            order: r.order,
        })
        .collect()
}

/// Lowers `policy` on every supported architecture, in [`Arch::ALL`] order.
///
/// # Errors
///
/// Every error of lowering (unknown parameters, constants, errno names, a
/// condition too large), sorted by position.
pub fn lower(policy: &Policy) -> Result<Vec<ArchRules>, Vec<Diagnostic>> {
    lower_on(policy, &Arch::ALL)
}

/// Lowers `policy` on `arches` only, in the order given: what a caller
/// that runs the policy on one architecture needs. An error that arises
/// on the others only is not found; see [`lowers_elsewhere`] for the rules
/// none of `arches` has.
///
/// # Errors
///
/// Every error of lowering on `arches`, sorted by position; the "only on"
/// notes count those architectures alone.
pub fn lower_on(policy: &Policy, arches: &[Arch]) -> Result<Vec<ArchRules>, Vec<Diagnostic>> {
    let mut errors = Errors::default();
    let mut out = Vec::with_capacity(arches.len());
    for &arch in arches {
        let mut l = Lowerer {
            arch,
            errors: &mut errors,
            missing: Vec::new(),
            unchecked: Vec::new(),
            lowering: None,
        };
        let default = match &policy.default {
            Some(spec) => l.action(spec, None).unwrap_or(Action::KillProcess),
            None => Action::KillProcess,
        };
        let base = l.table(&policy.base);
        let caps = policy.caps.iter().map(|c| l.table(&c.table)).collect();
        let mut missing = l.missing;
        missing.sort();
        missing.dedup();
        let mut unchecked = l.unchecked;
        unchecked.sort();
        unchecked.dedup();
        out.push(ArchRules {
            arch,
            default,
            base,
            caps,
            missing,
            unchecked,
        });
    }
    let diags = errors.into_diagnostics();
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

/// Whether every rule that none of `lowered`'s architectures has (its
/// syscall is missing on each of them, so [`lower_on`] skipped it) lowers
/// without an error on every other architecture that has its syscall: the
/// check that keeps a mistake in such a rule (an unknown constant or
/// parameter, a condition that can never hold) from passing unseen where
/// only some architectures are lowered. Rules that `lowered` covers are
/// not looked at again.
pub fn lowers_elsewhere(policy: &Policy, lowered: &[ArchRules]) -> bool {
    // `missing` lists, sorted, the names each architecture lacks.
    let here = |rule: &Rule| {
        lowered.iter().any(|a| {
            a.missing
                .binary_search_by(|m| m.as_str().cmp(rule.syscall()))
                .is_err()
        })
    };
    let tables = std::iter::once(&policy.base).chain(policy.caps.iter().map(|c| &c.table));
    // The rules and actions none of `lowered` has (an `allow` without a
    // condition has nothing to lower): few, so each is looked up on the
    // other architectures.
    let mut rules: Vec<&Rule> = Vec::new();
    let mut actions: Vec<&ActionRule> = Vec::new();
    for table in tables {
        rules.extend(
            table
                .allow
                .iter()
                .filter(|r| r.text.condition.is_some() && !here(r)),
        );
        actions.extend(table.actions.iter().filter(|e| !here(&e.rule)));
    }
    if rules.is_empty() && actions.is_empty() {
        return true;
    }
    let mut errors = Errors::default();
    for arch in Arch::ALL {
        if lowered.iter().any(|a| a.arch == arch) {
            continue;
        }
        let mut l = Lowerer {
            arch,
            errors: &mut errors,
            missing: Vec::new(),
            unchecked: Vec::new(),
            lowering: None,
        };
        let has = |rule: &Rule| syscalls::number(arch, rule.syscall()).is_some();
        for rule in rules.iter().filter(|r| has(r)) {
            let _ = l.condition(rule);
        }
        for entry in actions.iter().filter(|e| has(&e.rule)) {
            let _ = l.condition(&entry.rule);
            let _ = l.action(&entry.action, Some(&entry.rule));
        }
    }
    errors.found.is_empty()
}

/// Errors by what they say, with the architectures they arose on.
#[derive(Default)]
struct Errors {
    found: BTreeMap<(Loc, String, Option<String>), ErrorArches>,
    /// For each rule or action (by where it is written), the architectures
    /// it was lowered on: where its errors could have arisen.
    lowered_on: BTreeMap<Loc, Vec<Arch>>,
}

#[derive(Default)]
struct ErrorArches {
    /// Where the error arose.
    on: Vec<Arch>,
    /// The rule or action it is an error of (by where it is written).
    of: Option<Loc>,
    /// Its kind.
    code: Option<Code>,
}

impl Errors {
    fn into_diagnostics(self) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = self
            .found
            .into_iter()
            .map(|((loc, message, help), arches)| {
                let mut d =
                    Diagnostic::at(loc, message).with_code(arches.code.unwrap_or(Code::Condition));
                let of = arches
                    .of
                    .and_then(|of| self.lowered_on.get(&of))
                    .map_or(0, Vec::len);
                if arches.on.len() < of {
                    let names: Vec<&str> = arches.on.iter().map(|a| a.name()).collect();
                    d = d.with_note(format!("only on {}", names.join(", ")));
                }
                if let Some(help) = help {
                    d = d.with_help(help);
                }
                d
            })
            .collect();
        out.sort_by_key(|d| d.loc);
        out
    }
}

struct Lowerer<'e> {
    arch: Arch,
    errors: &'e mut Errors,
    missing: Vec<String>,
    unchecked: Vec<Unchecked>,
    /// The rule or action being lowered, by where it is written: what the
    /// errors reported now are errors of.
    lowering: Option<Loc>,
}

/// A condition that does not lower here: an error in it, already reported,
/// or a parameter the call has only elsewhere, recorded in `unchecked`.
struct Reported;

/// A condition with negations pushed to the comparisons.
enum Nnf {
    Cmp(ArgCmp),
    And(Vec<Nnf>),
    Or(Vec<Nnf>),
}

impl Lowerer<'_> {
    fn error(&mut self, code: Code, loc: Loc, message: String, help: Option<String>) {
        let e = self.errors.found.entry((loc, message, help)).or_default();
        e.code = Some(code);
        if !e.on.contains(&self.arch) {
            e.on.push(self.arch);
        }
        e.of = self.lowering;
    }

    /// Starts lowering the rule or action written at `at` here: its errors
    /// could arise on this architecture, which the "only on ..." note of
    /// an error that did not arise everywhere counts.
    fn lowering(&mut self, at: Loc) {
        self.lowering = Some(at);
        let on = self.errors.lowered_on.entry(at).or_default();
        if !on.contains(&self.arch) {
            on.push(self.arch);
        }
    }

    fn table(&mut self, table: &Table) -> SetRules {
        let mut set = SetRules::default();
        for rule in &table.allow {
            let Some(nr) = self.number(rule) else {
                continue;
            };
            match self.condition(rule) {
                Ok(None) => insert_sorted(&mut set.allow, nr),
                Ok(Some(when)) => set.rules.push(LoweredRule {
                    nr,
                    when: Some(when),
                    action: Action::Allow,
                    order: order(rule),
                    loc: rule.loc,
                }),
                Err(Reported) => {}
            }
        }
        for entry in &table.actions {
            let Some(nr) = self.number(&entry.rule) else {
                continue;
            };
            let when = self.condition(&entry.rule);
            let action = self.action(&entry.action, Some(&entry.rule));
            if let (Ok(when), Some(action)) = (when, action) {
                set.rules.push(LoweredRule {
                    nr,
                    when,
                    action,
                    order: order(&entry.rule),
                    loc: entry.rule.loc,
                });
            }
        }
        set.rules.sort_by_key(|r| (r.nr, r.order));
        set
    }

    /// The rule's syscall number here, or `None` (and a note in `missing`).
    fn number(&mut self, rule: &Rule) -> Option<u32> {
        let nr = syscalls::number(self.arch, rule.syscall());
        if nr.is_none() {
            self.missing.push(rule.syscall().to_owned());
        }
        nr
    }

    fn action(&mut self, spec: &ActionSpec, _rule: Option<&Rule>) -> Option<Action> {
        self.lowering(spec.loc);
        Some(match &spec.kind {
            ActionKind::Keyword(action) => *action,
            ActionKind::Errno(name) => match errno::number(self.arch, name) {
                Some(n) => Action::Errno(n),
                None => {
                    let help = match did_you_mean(name, tables::all_errno_names().iter().copied()) {
                        Some(good) => format!("did you mean `{good}`?"),
                        None => {
                            "use an errno name from errno(3), like `EPERM` or `ENOSYS`".to_owned()
                        }
                    };
                    self.error(
                        Code::UnknownErrno,
                        spec.loc,
                        format!("unknown errno {}", quoted(name)),
                        Some(help),
                    );
                    return None;
                }
            },
        })
    }

    /// The rule's condition here: `None` when it always holds.
    fn condition(&mut self, rule: &Rule) -> Result<Option<Vec<Vec<ArgCmp>>>, Reported> {
        let Some(expr) = &rule.text.condition else {
            return Ok(None);
        };
        self.lowering(rule.loc);
        let nnf = self.nnf(rule, expr, false)?;
        let Some(alts) = dnf(nnf) else {
            let at = rule.loc;
            self.error(Code::Condition,
                    at,
                    format!(
                        "the condition of {} is too complex: it expands to more than {MAX_ALTERNATIVES} alternatives",
                        quoted(&rule.source)
                    ),
                    Some("split it into several rules".to_owned()),
                );
            return Err(Reported);
        };
        let alts = simplify(alts);
        if alts.iter().any(Vec::is_empty) {
            return Ok(None);
        }
        if alts.is_empty() {
            self.error(
                Code::Condition,
                rule.loc,
                format!("the condition of {} can never hold", quoted(&rule.source)),
                Some("the rule would never apply: fix the condition or remove the rule".to_owned()),
            );
            return Err(Reported);
        }
        Ok(Some(alts))
    }

    fn nnf(&mut self, rule: &Rule, e: &Expr, negate: bool) -> Result<Nnf, Reported> {
        Ok(match e {
            Expr::Not(inner) => self.nnf(rule, inner, !negate)?,
            Expr::And(parts) | Expr::Or(parts) => {
                let mut out = Vec::new();
                let mut failed = false;
                for p in parts {
                    match self.nnf(rule, p, negate) {
                        Ok(n) => out.push(n),
                        Err(Reported) => failed = true,
                    }
                }
                if failed {
                    return Err(Reported);
                }
                // De Morgan: a negated `&&` is an `||` of negations.
                if matches!(e, Expr::And(_)) == negate {
                    Nnf::Or(out)
                } else {
                    Nnf::And(out)
                }
            }
            Expr::Cmp(c) => {
                let (arg, bits) = self.operand(rule, &c.operand)?;
                let cmp = |op: CmpOp, value: u64| {
                    let op = if negate { op.negate() } else { op };
                    Nnf::Cmp(ArgCmp {
                        arg,
                        bits,
                        op,
                        value,
                    })
                };
                match &c.test {
                    Test::Rel(op, v) => {
                        let v = self.value(rule, v, bits, &c.operand)?;
                        cmp(rel(*op), v)
                    }
                    Test::AnyBit(m) => {
                        let m = self.value(rule, m, bits, &c.operand)?;
                        cmp(CmpOp::MaskedNe(m), 0)
                    }
                    Test::Masked { mask, equal, value } => {
                        let m = self.value(rule, mask, bits, &c.operand);
                        let v = self.value(rule, value, bits, &c.operand);
                        let (m, v) = (m?, v?);
                        if v & !m != 0 {
                            self.error(
                                Code::Condition,
                                rule.loc_of(&c.span),
                                format!(
                                    "{} is always {}: {v:#x} has bits outside the mask {m:#x}",
                                    quoted(&c.to_string()),
                                    if *equal { "false" } else { "true" }
                                ),
                                Some(
                                    "compare the masked argument with a value inside the mask"
                                        .to_owned(),
                                ),
                            );
                            return Err(Reported);
                        }
                        cmp(
                            if *equal {
                                CmpOp::MaskedEq(m)
                            } else {
                                CmpOp::MaskedNe(m)
                            },
                            v,
                        )
                    }
                    Test::In(values) => {
                        let mut out = Vec::new();
                        let mut failed = false;
                        for v in values {
                            match self.value(rule, v, bits, &c.operand) {
                                Ok(v) => out.push(cmp(CmpOp::Eq, v)),
                                Err(Reported) => failed = true,
                            }
                        }
                        if failed {
                            return Err(Reported);
                        }
                        if negate {
                            Nnf::And(out)
                        } else {
                            Nnf::Or(out)
                        }
                    }
                }
            }
        })
    }

    /// The slot and width of an operand (`argN` or a parameter name).
    fn operand(&mut self, rule: &Rule, name: &Name) -> Result<(u8, u8), Reported> {
        let syscall = rule.syscall();
        let at = rule.loc_of(&name.span);
        let word = if self.arch.is_64bit() { 64 } else { 32 };
        let param = match arg_index(&name.text) {
            Some(n) => self.by_position(rule, name, n)?,
            None => Some(self.by_name(rule, name)?),
        };
        let Some(param) = param else {
            let n = arg_index(&name.text).unwrap_or(0);
            return Ok((n, word));
        };
        if param.pointer {
            let help = if syscall == "clone3" {
                "a filter cannot check clone3's flags; answer `clone3` with ENOSYS so that \
                 libc falls back to `clone`, whose flags it can check"
                    .to_owned()
            } else {
                "a filter can only check the pointer's value; checking what it points to \
                 needs a supervisor (`notify`)"
                    .to_owned()
            };
            self.error(Code::Parameter,
                at,
                format!(
                    "`{}` of `{syscall}` is a pointer: seccomp sees the address, not the memory behind it",
                    param.name
                ),
                Some(help),
            );
            return Err(Reported);
        }
        let Some(slot) = param.arg else {
            self.error(
                Code::Parameter,
                at,
                format!(
                    "`{}` of `{syscall}` has no fixed argument slot on this architecture",
                    param.name
                ),
                Some(
                    "a 64-bit parameter takes two registers on a 32-bit architecture, which moves \
                     it and every parameter after it; condition on the parameters before it"
                        .to_owned(),
                ),
            );
            return Err(Reported);
        };
        let bits = if self.arch.is_64bit() {
            param.bits.min(64)
        } else {
            32
        };
        Ok((slot, bits))
    }

    /// The parameter in slot `n` here; `None` when the slot is read as the
    /// whole register (a call without names here, or a slot past one that
    /// has none).
    fn by_position(&mut self, rule: &Rule, name: &Name, n: u8) -> Result<Option<Param>, Reported> {
        let syscall = rule.syscall();
        let at = rule.loc_of(&name.span);
        if n > 5 {
            self.error(
                Code::Parameter,
                at,
                format!(
                    "{} does not exist: a filter sees six arguments",
                    quoted(&name.text)
                ),
                Some("name an argument from `arg0` to `arg5`, or by its parameter name".to_owned()),
            );
            return Err(Reported);
        }
        let Some(params) = tables::signature(self.arch, syscall) else {
            // No names here (not implemented, or an ARM-private call): the
            // whole register, as wide as the architecture's.
            return Ok(None);
        };
        if let Some(p) = params.iter().find(|p| p.arg == Some(n)) {
            return Ok(Some(p));
        }
        if params.iter().any(|p| p.arg.is_none()) {
            // Past a parameter with no fixed slot: its width is unknown.
            return Ok(None);
        }
        if checkable_elsewhere(syscall, |p| p.arg == Some(n)) {
            self.not_here(rule, &name.text);
            return Err(Reported);
        }
        let names: Vec<&str> = params.iter().map(|p| p.name).collect();
        let takes = if names.is_empty() {
            "no arguments".to_owned()
        } else {
            format!(
                "{} argument{} ({})",
                names.len(),
                if names.len() == 1 { "" } else { "s" },
                names.join(", ")
            )
        };
        self.error(
            Code::Parameter,
            at,
            format!(
                "`{syscall}` takes {takes}; there is no {}",
                quoted(&name.text)
            ),
            None,
        );
        Err(Reported)
    }

    /// The parameter called `name` here.
    fn by_name(&mut self, rule: &Rule, name: &Name) -> Result<Param, Reported> {
        let syscall = rule.syscall();
        let found = tables::signature(self.arch, syscall)
            .and_then(|params| params.iter().find(|p| p.name == name.text));
        if let Some(p) = found {
            return Ok(p);
        }
        if checkable_elsewhere(syscall, |p| p.name == name.text) {
            self.not_here(rule, &name.text);
            return Err(Reported);
        }
        let (message, help) = unknown_parameter(syscall, &name.text);
        self.error(
            Code::Parameter,
            rule.loc_of(&name.span),
            message,
            Some(help),
        );
        Err(Reported)
    }

    /// Notes that `rule` does not apply here: it names `param`, which the
    /// call has only on other architectures.
    fn not_here(&mut self, rule: &Rule, param: &str) {
        self.unchecked.push(Unchecked {
            loc: rule.loc,
            rule: rule.source.clone(),
            syscall: rule.syscall().to_owned(),
            param: param.to_owned(),
        });
    }

    /// A value (constants or-ed together) at the operand's width.
    fn value(&mut self, rule: &Rule, v: &Value, bits: u8, operand: &Name) -> Result<u64, Reported> {
        let mut total = 0u64;
        let mut failed = false;
        for term in &v.terms {
            let (value, span) = match term {
                Term::Int { value, span } => (*value, span),
                Term::Name(n) => match tables::constant(self.arch, &n.text) {
                    Some(c) => (i128::from(c), &n.span),
                    None => {
                        let help =
                            did_you_mean(&n.text, tables::all_constant_names().iter().copied())
                                .map(|good| format!("did you mean `{good}`?"));
                        self.error(
                            Code::UnknownConstant,
                            rule.loc_of(&n.span),
                            format!("unknown constant {}", quoted(&n.text)),
                            help.or_else(|| {
                                Some(
                                    "use a constant of the kernel's headers (`AF_INET`, \
                                     `CLONE_THREAD`, `TIOCSTI`, ...) or an integer"
                                        .to_owned(),
                                )
                            }),
                        );
                        failed = true;
                        continue;
                    }
                },
            };
            let as_u64 = if value < 0 {
                if value < i128::from(i64::MIN) {
                    self.error(
                        Code::Condition,
                        rule.loc_of(span),
                        format!("{value} does not fit in 64 bits"),
                        None,
                    );
                    failed = true;
                    continue;
                }
                value as i64 as u64
            } else {
                value as u64
            };
            total |= as_u64;
        }
        if failed {
            return Err(Reported);
        }
        if bits < 64 {
            let max = (1u64 << bits) - 1;
            if total <= max {
                return Ok(total);
            }
            // A negative value of that width, sign-extended: its low bits.
            if total >= !(max >> 1) {
                return Ok(total & max);
            }
            self.error(
                Code::Condition,
                rule.loc_of(&v.span),
                format!(
                    "{total:#x} does not fit the {bits}-bit argument {}",
                    quoted(&operand.text)
                ),
                Some(format!(
                    "the kernel reads only the low {bits} bits of this argument, so the value \
                     could never match"
                )),
            );
            return Err(Reported);
        }
        Ok(total)
    }
}

/// Adds `nr` to the sorted `numbers` unless it is there. Built this way, a
/// list needs no sort afterwards: `sort_unstable` on the nine architectures'
/// lists was a sixth of lowering in the unoptimized build a proc macro gets.
/// The binary search is written out for the same reason (see
/// `tables::find`).
fn insert_sorted(numbers: &mut Vec<u32>, nr: u32) {
    let (mut low, mut high) = (0, numbers.len());
    while low < high {
        let mid = low + (high - low) / 2;
        match numbers[mid].cmp(&nr) {
            Ordering::Less => low = mid + 1,
            Ordering::Greater => high = mid,
            Ordering::Equal => return,
        }
    }
    numbers.insert(low, nr);
}

fn order(rule: &Rule) -> u32 {
    u32::try_from(rule.offset).unwrap_or(u32::MAX)
}

fn rel(op: RelOp) -> CmpOp {
    match op {
        RelOp::Eq => CmpOp::Eq,
        RelOp::Ne => CmpOp::Ne,
        RelOp::Lt => CmpOp::Lt,
        RelOp::Le => CmpOp::Le,
        RelOp::Gt => CmpOp::Gt,
        RelOp::Ge => CmpOp::Ge,
    }
}

/// `N` of `argN`.
fn arg_index(name: &str) -> Option<u8> {
    let digits = name.strip_prefix("arg")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 2 {
        return None;
    }
    digits.parse().ok()
}

/// The kernel's name for a parameter the man pages call otherwise.
fn kernel_name_for(syscall: &str, name: &str) -> Option<&'static str> {
    Some(match (syscall, name) {
        ("socket" | "socketpair", "domain") => "family",
        ("clone", "flags") => "clone_flags",
        ("clone", "stack") => "newsp",
        ("ioctl", "request") => "cmd",
        _ => return None,
    })
}

/// Whether some architecture that has `syscall` has a parameter `wanted`
/// holds for that a filter can check: a value in a slot of its own.
fn checkable_elsewhere(syscall: &str, wanted: impl Fn(&Param) -> bool) -> bool {
    Arch::ALL.into_iter().any(|a| {
        tables::signature(a, syscall).is_some_and(|ps| {
            ps.iter()
                .any(|p| wanted(&p) && p.arg.is_some() && !p.pointer)
        })
    })
}

/// What `syscall` takes on `arch`, for messages: "the parameters `addr`,
/// `len` and `prot`", "the parameter `arg` (a pointer)", "no parameters", or
/// "no parameter names: WHY".
pub fn describe_parameters(arch: Arch, syscall: &str) -> String {
    match tables::signature(arch, syscall) {
        Some(params) if params.is_empty() => "no parameters".to_owned(),
        Some(params) => {
            let names = param_names(params);
            if names.len() == 1 {
                format!("the parameter {}", names[0])
            } else {
                format!("the parameters {}", prose_list(&names))
            }
        }
        None => match tables::no_signature(arch, syscall) {
            Some(why) => format!("no parameter names: {}", why.why()),
            None => "no such call".to_owned(),
        },
    }
}

/// The names of `params` in backticks, pointers said to be.
fn param_names(params: Params) -> Vec<String> {
    params
        .iter()
        .map(|p| {
            if p.pointer {
                format!("`{}` (a pointer)", p.name)
            } else {
                format!("`{}`", p.name)
            }
        })
        .collect()
}

/// `items` as prose: `a`, `a and b`, `a, b and c`.
fn prose_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The message and help for a parameter name no architecture's `syscall`
/// has: what the call's parameters are called, on which architectures,
/// which architectures name none and why, and that `argN` works.
fn unknown_parameter(syscall: &str, wanted: &str) -> (String, String) {
    // The architectures with the call, grouped by their parameter names, or
    // by why there are none.
    let mut named: Vec<(Vec<String>, Vec<&str>)> = Vec::new();
    let mut unnamed: Vec<(tables::NoSignature, Vec<&str>)> = Vec::new();
    for a in Arch::ALL {
        if let Some(params) = tables::signature(a, syscall) {
            let these = param_names(params);
            match named.iter_mut().find(|(n, _)| *n == these) {
                Some((_, arches)) => arches.push(a.name()),
                None => named.push((these, vec![a.name()])),
            }
        } else if let Some(why) = tables::no_signature(a, syscall) {
            match unnamed.iter_mut().find(|(w, _)| *w == why) {
                Some((_, arches)) => arches.push(a.name()),
                None => unnamed.push((why, vec![a.name()])),
            }
        }
    }
    let why_unnamed: Vec<String> = unnamed
        .iter()
        .map(|(why, arches)| format!("no parameter names on {}: {}", arches.join(", "), why.why()))
        .collect();
    let positions = "name an argument by its position, `arg0` to `arg5`";
    if named.is_empty() {
        return (
            format!(
                "the parameters of `{syscall}` have no names, so {} cannot be resolved",
                quoted(wanted)
            ),
            format!("{}; {positions}", why_unnamed.join("; ")),
        );
    }
    let message = format!("`{syscall}` has no parameter {}", quoted(wanted));
    if let Some(k) = kernel_name_for(syscall, wanted) {
        return (message, format!("the kernel calls it `{k}`"));
    }
    let mut all: Vec<&str> = Vec::new();
    for a in Arch::ALL {
        for p in tables::signature(a, syscall).into_iter().flatten() {
            if !all.contains(&p.name) {
                all.push(p.name);
            }
        }
    }
    if let Some(good) = did_you_mean(wanted, all.iter().copied()) {
        return (message, format!("did you mean `{good}`?"));
    }
    let most = named.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    if most == 0 && unnamed.is_empty() {
        return (message, format!("`{syscall}` takes no arguments"));
    }
    let groups: Vec<String> = named
        .iter()
        .enumerate()
        .map(|(i, (names, arches))| {
            let what = match names.len() {
                0 => "no parameters".to_owned(),
                _ if i > 0 => prose_list(names),
                1 => format!("the parameter {}", names[0]),
                _ => format!("the parameters {}", prose_list(names)),
            };
            if named.len() == 1 && unnamed.is_empty() {
                what
            } else {
                format!("{what} on {}", arches.join(", "))
            }
        })
        .collect();
    let mut parts = groups;
    parts.extend(why_unnamed);
    let last = if unnamed.is_empty() { most - 1 } else { 5 };
    let help = format!(
        "`{syscall}` has {}; or name an argument by its position, `arg0` to `arg{last}`",
        parts.join("; ")
    );
    (message, help)
}

/// Disjunctive normal form; `None` past [`MAX_ALTERNATIVES`].
fn dnf(n: Nnf) -> Option<Vec<Vec<ArgCmp>>> {
    Some(match n {
        Nnf::Cmp(c) => vec![vec![c]],
        Nnf::Or(parts) => {
            let mut out = Vec::new();
            for p in parts {
                out.extend(dnf(p)?);
                if out.len() > MAX_ALTERNATIVES {
                    return None;
                }
            }
            out
        }
        Nnf::And(parts) => {
            let mut out = vec![Vec::new()];
            for p in parts {
                let alts = dnf(p)?;
                let mut next = Vec::new();
                for a in &out {
                    for b in &alts {
                        let mut c = a.clone();
                        c.extend(b.iter().copied());
                        next.push(c);
                        if next.len() > MAX_ALTERNATIVES {
                            return None;
                        }
                    }
                }
                out = next;
            }
            out
        }
    })
}

/// What a single comparison is whatever the argument: `Some(true)` always,
/// `Some(false)` never, `None` it depends.
fn constant_truth(c: &ArgCmp) -> Option<bool> {
    let max = c.width_mask();
    match c.op {
        CmpOp::MaskedEq(m) if c.value & !m != 0 => Some(false),
        CmpOp::MaskedNe(m) if c.value & !m != 0 => Some(true),
        CmpOp::MaskedEq(m) if m & max == 0 => Some(c.value == 0),
        CmpOp::MaskedNe(m) if m & max == 0 => Some(c.value != 0),
        CmpOp::Lt if c.value == 0 => Some(false),
        CmpOp::Ge if c.value == 0 => Some(true),
        CmpOp::Gt if c.value >= max => Some(false),
        CmpOp::Le if c.value >= max => Some(true),
        _ => None,
    }
}

/// Folds comparisons that are always true or false and repeats.
fn simplify(alts: Vec<Vec<ArgCmp>>) -> Vec<Vec<ArgCmp>> {
    let mut out: Vec<Vec<ArgCmp>> = Vec::new();
    'alts: for alt in alts {
        let mut kept: Vec<ArgCmp> = Vec::new();
        for c in alt {
            match constant_truth(&c) {
                Some(true) => {}
                Some(false) => continue 'alts,
                None => {
                    if !kept.contains(&c) {
                        kept.push(c);
                    }
                }
            }
        }
        if !out.contains(&kept) {
            out.push(kept);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_policy;

    fn lowered(source: &str) -> Vec<ArchRules> {
        let policy = parse_policy(source).unwrap_or_else(|d| {
            panic!(
                "{}",
                d.iter()
                    .map(|d| d.render("p.toml"))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        });
        lower(&policy).unwrap_or_else(|d| {
            panic!(
                "{}",
                d.iter()
                    .map(|d| d.render("p.toml"))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        })
    }

    fn errors(source: &str) -> Vec<String> {
        let policy = parse_policy(source).unwrap_or_else(|d| {
            panic!(
                "{}",
                d.iter()
                    .map(|d| d.render("p.toml"))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        });
        match lower(&policy) {
            Ok(_) => panic!("lowered without error"),
            Err(d) => d.iter().map(|d| d.render("p.toml")).collect(),
        }
    }

    fn arch(rules: &[ArchRules], arch: Arch) -> &ArchRules {
        &rules[arch as usize]
    }

    fn cmp(arg: u8, bits: u8, op: CmpOp, value: u64) -> ArgCmp {
        ArgCmp {
            arg,
            bits,
            op,
            value,
        }
    }

    #[test]
    fn names_numbers_and_rules_per_architecture() {
        let rules = lowered(
            "default = \"EPERM\"\n[base]\nallow = [\"read\", \"clone(clone_flags & CLONE_THREAD)\", \"open\"]\n\
             actions = { clone3 = \"ENOSYS\" }\n",
        );
        let x = arch(&rules, Arch::X86_64);
        assert_eq!(x.default, Action::Errno(1));
        assert_eq!(x.base.allow, [0, 2]);
        assert_eq!(x.base.rules.len(), 2);
        assert_eq!(x.base.rules[0].nr, 56);
        assert_eq!(
            x.base.rules[0].when,
            Some(vec![vec![cmp(0, 64, CmpOp::MaskedNe(0x10000), 0)]])
        );
        assert_eq!(x.base.rules[1].nr, 435);
        assert_eq!(x.base.rules[1].action, Action::Errno(38));
        assert_eq!(x.base.rules[1].when, None);
        // s390x: clone's flags are its second argument.
        let s = arch(&rules, Arch::S390x);
        assert_eq!(
            s.base.rules[0].when,
            Some(vec![vec![cmp(1, 64, CmpOp::MaskedNe(0x10000), 0)]])
        );
        // mips: ENOSYS is 89; `open` exists there.
        let m = arch(&rules, Arch::Mips64el);
        assert_eq!(m.base.rules.last().unwrap().action, Action::Errno(89));
        // aarch64 has no `open`; it is skipped.
        let a = arch(&rules, Arch::Aarch64);
        assert_eq!(a.missing, ["open"]);
        assert_eq!(a.base.allow, [63]);
        // 32-bit arm: every comparison is 32 bits.
        let arm = arch(&rules, Arch::Arm);
        assert_eq!(
            arm.base.rules[0].when,
            Some(vec![vec![cmp(0, 32, CmpOp::MaskedNe(0x10000), 0)]])
        );
    }

    #[test]
    fn conditions_become_or_of_and() {
        let rules = lowered(
            "[base]\nallow = [\"socket(family == AF_INET || family == AF_INET6)\",\
             \"ioctl(!(cmd in [TIOCSTI, TIOCLINUX]))\", \"kill(sig != -1 && !(pid < 2))\"]\n",
        );
        let x = arch(&rules, Arch::X86_64);
        let when = |nr: u32| {
            x.base
                .rules
                .iter()
                .find(|r| r.nr == nr)
                .unwrap()
                .when
                .clone()
                .unwrap()
        };
        assert_eq!(
            when(41),
            vec![
                vec![cmp(0, 32, CmpOp::Eq, 2)],
                vec![cmp(0, 32, CmpOp::Eq, 10)]
            ]
        );
        assert_eq!(
            when(16),
            vec![vec![
                cmp(1, 32, CmpOp::Ne, 0x5412),
                cmp(1, 32, CmpOp::Ne, 0x541c)
            ]]
        );
        // -1 on an int is 0xffffffff; !(pid < 2) is pid >= 2.
        assert_eq!(
            when(62),
            vec![vec![
                cmp(1, 32, CmpOp::Ne, 0xffff_ffff),
                cmp(0, 32, CmpOp::Ge, 2)
            ]]
        );
    }

    #[test]
    fn folding_and_dead_conditions() {
        let rules =
            lowered("[base]\nallow = [\"read(count >= 0)\", \"prctl(option == 1 || arg2 < 0)\"]\n");
        let x = arch(&rules, Arch::X86_64);
        assert_eq!(x.base.allow, [0], "count >= 0 always holds");
        assert_eq!(
            x.base.rules[0].when,
            Some(vec![vec![cmp(0, 32, CmpOp::Eq, 1)]])
        );
        assert_eq!(
            errors("[base]\nallow = [\"read(count < 0)\"]\n"),
            [
                "p.toml:2:10: the condition of `read(count < 0)` can never hold\n\
              help: the rule would never apply: fix the condition or remove the rule"
            ]
        );
        assert_eq!(
            errors("[base]\nallow = [\"read(count & 3 == 4)\"]\n"),
            ["p.toml:2:16: `count & 3 == 4` is always false: 0x4 has bits outside the mask 0x3\n\
              help: compare the masked argument with a value inside the mask"]
        );
    }

    #[test]
    fn errors_point_into_the_rule() {
        let cases = [
            (
                "[base]\nallow = [\"ioctl(cmd == TIOCSIT)\"]\n",
                "p.toml:2:24: unknown constant `TIOCSIT`\nhelp: did you mean `TIOCSTI`?",
            ),
            (
                "[base]\nallow = [\"ioctl(request == 1)\"]\n",
                "p.toml:2:17: `ioctl` has no parameter `request`\nhelp: the kernel calls it `cmd`",
            ),
            (
                "[base]\nallow = [\"socket(domain == AF_INET)\"]\n",
                "p.toml:2:18: `socket` has no parameter `domain`\nhelp: the kernel calls it `family`",
            ),
            (
                "[base]\nallow = [\"ioctl(cmdd == 1)\"]\n",
                "p.toml:2:17: `ioctl` has no parameter `cmdd`\nhelp: did you mean `cmd`?",
            ),
            (
                "[base]\nallow = [\"ioctl(arg7 == 1)\"]\n",
                "p.toml:2:17: `arg7` does not exist: a filter sees six arguments\n\
                 help: name an argument from `arg0` to `arg5`, or by its parameter name",
            ),
            (
                "[base]\nallow = [\"kill(arg3 == 1)\"]\n",
                "p.toml:2:16: `kill` takes 2 arguments (pid, sig); there is no `arg3`",
            ),
            (
                "[base]\nallow = [\"clone3(uargs == 0)\"]\n",
                "p.toml:2:18: `uargs` of `clone3` is a pointer: seccomp sees the address, not the memory behind it\n\
                 help: a filter cannot check clone3's flags; answer `clone3` with ENOSYS so that libc falls back to `clone`, whose flags it can check",
            ),
            (
                "[base]\nallow = [\"ioctl(cmd == 0x1_0000_5412)\"]\n",
                "p.toml:2:24: 0x100005412 does not fit the 32-bit argument `cmd`\n\
                 help: the kernel reads only the low 32 bits of this argument, so the value could never match",
            ),
            (
                "[base]\nallow = [\"getpid(arg0 == 1)\"]\n",
                "p.toml:2:18: `getpid` takes no arguments; there is no `arg0`",
            ),
            (
                "[base]\nallow = [\"getppid(x == 1)\"]\n",
                "p.toml:2:19: `getppid` has no parameter `x`\nhelp: `getppid` takes no arguments",
            ),
            (
                "[base]\nallow = [\"kill(signal == 1)\"]\n",
                "p.toml:2:16: `kill` has no parameter `signal`\n\
                 help: `kill` has the parameters `pid` and `sig`; or name an argument by its position, `arg0` to `arg1`",
            ),
            (
                // arm's private set_tls is read from the registers, unnamed.
                "[base]\nallow = [\"set_tls(tp == 1)\"]\n",
                "p.toml:2:19: the parameters of `set_tls` have no names, so `tp` cannot be resolved\n\
                 help: no parameter names on arm: an ARM-private call, read from the registers without a prototype; \
                 name an argument by its position, `arg0` to `arg5`",
            ),
            (
                "[base]\nallow = []\nactions = { read = \"EPREM\" }\n",
                "p.toml:3:20: unknown errno `EPREM`\nhelp: did you mean `EPERM`?",
            ),
            (
                "[base]\nallow = [\"pread64(pos == 0)\"]\n",
                "p.toml:2:19: `pos` of `pread64` has no fixed argument slot on this architecture\n\
                 note: only on x86, arm\n\
                 help: a 64-bit parameter takes two registers on a 32-bit architecture, which moves it and every parameter after it; condition on the parameters before it",
            ),
        ];
        for (source, want) in cases {
            assert_eq!(errors(source), [want], "{source}");
        }
    }

    #[test]
    fn unknown_parameters_say_what_each_architecture_has() {
        // mmap is named differently on the architectures that define it
        // themselves, and takes one pointer on i386 and s390x.
        assert_eq!(
            errors("[base]\nallow = [\"mmap(length == 1)\"]\n"),
            ["p.toml:2:16: `mmap` has no parameter `length`\n\
              help: `mmap` has the parameters `addr`, `len`, `prot`, `flags`, `fd` and `off` on \
              x86_64, aarch64; `arg` (a pointer) on x86, s390x; `addr`, `len`, `prot`, `flags`, `fd` \
              and `offset` on riscv64, ppc64le, loongarch64, mips64el; or name an argument by its \
              position, `arg0` to `arg5`"]
        );
        assert_eq!(
            errors("[base]\nallow = [\"mmap(prto == 1)\"]\n"),
            ["p.toml:2:16: `mmap` has no parameter `prto`\nhelp: did you mean `prot`?"]
        );
        // mips's cacheflush has names, arm's private one has none.
        assert_eq!(
            errors("[base]\nallow = [\"cacheflush(start == 1)\"]\n"),
            ["p.toml:2:22: `cacheflush` has no parameter `start`\n\
              help: `cacheflush` has the parameters `addr`, `bytes` and `cache` on mips64el; no \
              parameter names on arm: an ARM-private call, read from the registers without a \
              prototype; or name an argument by its position, `arg0` to `arg5`"]
        );
        // Not implemented anywhere it exists.
        assert_eq!(
            errors("[base]\nallow = [\"tuxcall(x == 1)\"]\n"),
            ["p.toml:2:19: the parameters of `tuxcall` have no names, so `x` cannot be resolved\n\
              help: no parameter names on x86_64, ppc64le: not implemented there, nothing is \
              behind the number; name an argument by its position, `arg0` to `arg5`"]
        );
        // "only on" counts the architectures each rule was lowered on, not
        // those of the other rules: set_tls exists on arm alone, ioctl's
        // error arises everywhere, pread64's on the 32-bit ones only.
        assert_eq!(
            errors(
                "[base]\nallow = [\"set_tls(tp == 1)\", \"ioctl(cmdd == 1)\", \"pread64(pos == 0)\"]\n"
            )
            .iter()
            .map(|e| e.lines().nth(1).unwrap())
            .collect::<Vec<_>>(),
            [
                "help: no parameter names on arm: an ARM-private call, read from the registers \
                 without a prototype; name an argument by its position, `arg0` to `arg5`",
                "help: did you mean `cmd`?",
                "note: only on x86, arm",
            ]
        );
        // By position, a call without names is read as the whole register.
        let rules = lowered("[base]\nallow = [\"tuxcall(arg0 == 1)\"]\n");
        assert_eq!(
            arch(&rules, Arch::X86_64).base.rules[0].when,
            Some(vec![vec![cmp(0, 64, CmpOp::Eq, 1)]])
        );
    }

    #[test]
    fn w_xor_x_rules_lower_on_every_architecture() {
        let rules = lowered(
            "[base]\nallow = [\"mprotect(prot & PROT_EXEC == 0)\", \"mmap(prot & PROT_EXEC == 0)\", \
             \"mmap2(prot & PROT_EXEC == 0)\"]\n",
        );
        for a in Arch::ALL {
            let r = arch(&rules, a);
            let word = if a.is_64bit() { 64 } else { 32 };
            let wx = Some(vec![vec![cmp(2, word, CmpOp::MaskedEq(4), 0)]]);
            let nr = |name: &str| syscalls::number(a, name);
            let when = |name: &str| {
                let nr = nr(name)?;
                r.base
                    .rules
                    .iter()
                    .find(|x| x.nr == nr)
                    .map(|x| x.when.clone())
            };
            assert_eq!(when("mprotect"), Some(wx.clone()), "{a}");
            match a {
                // old_mmap(struct mmap_arg_struct __user *arg): prot is in
                // memory, so the rule does not apply there; mmap is decided
                // by the default.
                Arch::X86 | Arch::S390x => {
                    assert!(nr("mmap").is_some(), "{a}");
                    assert_eq!(when("mmap"), None, "{a}");
                    assert_eq!(r.unchecked.len(), 1, "{a}");
                    assert_eq!(r.unchecked[0].rule, "mmap(prot & PROT_EXEC == 0)");
                    assert_eq!(r.unchecked[0].param, "prot");
                }
                // arm has only mmap2.
                Arch::Arm => {
                    assert_eq!(nr("mmap"), None);
                    assert!(r.unchecked.is_empty());
                }
                _ => {
                    assert_eq!(when("mmap"), Some(wx.clone()), "{a}");
                    assert!(r.unchecked.is_empty(), "{a}: {:?}", r.unchecked);
                }
            }
            if a.is_64bit() {
                assert_eq!(nr("mmap2"), None, "{a}");
            } else {
                assert_eq!(when("mmap2"), Some(wx.clone()), "{a}");
            }
        }
        // The same for an action, and by position.
        let rules = lowered(
            "[base]\nallow = []\nactions = { \"mmap(prot & PROT_EXEC)\" = \"EPERM\", \
             \"mmap(arg3 == 0)\" = \"EACCES\" }\n",
        );
        assert_eq!(arch(&rules, Arch::X86_64).base.rules.len(), 2);
        for a in [Arch::X86, Arch::S390x] {
            let r = arch(&rules, a);
            assert!(r.base.rules.is_empty(), "{a}");
            let params: Vec<&str> = r.unchecked.iter().map(|u| u.param.as_str()).collect();
            assert_eq!(params, ["prot", "arg3"], "{a}");
        }
    }

    #[test]
    fn allow_lists_sorted_without_duplicates() {
        let mut numbers = Vec::new();
        for nr in [5, 1, 9, 5, 0, 9, 3, 1, u32::MAX, 0] {
            insert_sorted(&mut numbers, nr);
        }
        assert_eq!(numbers, [0, 1, 3, 5, 9, u32::MAX]);
    }

    #[test]
    fn arg_indices() {
        assert_eq!(arg_index("arg0"), Some(0));
        assert_eq!(arg_index("arg5"), Some(5));
        assert_eq!(arg_index("arg12"), Some(12));
        assert_eq!(arg_index("arg"), None);
        assert_eq!(arg_index("args"), None);
        assert_eq!(arg_index("arg123"), None);
    }

    #[test]
    fn dnf_is_bounded() {
        // (a1 || b1) && (a2 || b2) ... seven times: 2^7 = 128 alternatives.
        let part = |i: usize| format!("(arg0 == {i} || arg1 == {i})");
        let cond = (1..=7).map(part).collect::<Vec<_>>().join(" && ");
        let source = format!("[base]\nallow = [\"prctl({cond})\"]\n");
        let e = errors(&source);
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("too complex"), "{e:?}");
        let cond = (1..=6).map(part).collect::<Vec<_>>().join(" && ");
        let rules = lowered(&format!("[base]\nallow = [\"prctl({cond})\"]\n"));
        assert_eq!(
            arch(&rules, Arch::X86_64).base.rules[0]
                .when
                .as_ref()
                .unwrap()
                .len(),
            64
        );
    }
}
