//! `learn`'s advice: the narrowest rule for each syscall a command needed
//! beyond its grant, checked before it is offered; the caps to grant where
//! one allows every call seen; and `--write`/`--merge`, which adds the
//! rules to the policy file's `[base]` with its comments and layout kept.
//!
//! A rule conditions on the parameters the policy itself tells apart for
//! that syscall (a table that refuses other values: `socket`'s family and
//! type in the shipped policy), and on the key parameter of a few calls
//! whose meaning lies in one (`ioctl`'s `cmd`, `socket`'s `family`), when
//! a table refuses the call by its name; each such parameter takes the
//! values seen, by name where the constant tables have one. Every rule is
//! compiled on its own and evaluated by the library's verdict against
//! every argument list seen (it must allow each) and against a value of
//! each conditioned parameter that was not seen (it must refuse it); the
//! policy with the rules added is compiled again and must allow every call
//! seen with the caps granted and offered.

use std::fmt::{self, Write as _};

use seccomp_policy::policy::{cap_bit, ArchPolicy};
use seccomp_policy::rule::{RuleSet, When};
use seccomp_policy::spawn::SPAWN_RULES;
use seccomp_policy::supervise::{ArgsSeen, CallCount, Report};
use seccomp_policy::Action;
use seccomp_policy_compiler::{compile, json, tables, Compiled};
use seccomp_policy_core::Arch;

/// A rule `learn` offers for one syscall.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    /// The syscall's name.
    pub syscall: String,
    /// The rule, as an `allow` entry says it (`socket(family == AF_UNIX)`).
    pub rule: String,
    /// How many calls it covers.
    pub calls: u64,
    /// How many distinct argument lists it was checked against.
    pub lists: usize,
    /// Whether every call's argument list was kept (and checked).
    pub complete: bool,
    /// The program that made the first call, if it was read.
    pub first: Option<String>,
    /// The errno the policy answers it with, for a call only ever refused.
    pub errno: Option<String>,
}

/// What `learn` advises after a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Advice {
    /// The policy file.
    pub file: String,
    /// The caps the run granted.
    pub granted: Vec<String>,
    /// Caps to grant: each allows every call seen of some syscall.
    pub caps: Vec<String>,
    /// Rules to add to `[base]`, for calls the policy would kill.
    pub rules: Vec<Suggestion>,
    /// Calls the policy refused with an errno, after which the command
    /// went on; the rule that would allow them, should the command have
    /// needed them.
    pub refused: Vec<Suggestion>,
    /// What no rule can allow, or no checked rule was found for.
    pub unmet: Vec<String>,
}

/// The parameter whose value says what a call does, for calls where one
/// does, by syscall name.
const KEY_PARAMS: &[(&str, &str)] = &[
    ("socket", "family"),
    ("socketpair", "family"),
    ("ioctl", "cmd"),
    ("fcntl", "cmd"),
    ("prctl", "option"),
    ("personality", "personality"),
];

/// The prefixes of the constants a parameter's values are named with, by
/// parameter name (and syscall, where the name alone is ambiguous).
fn constant_prefixes(syscall: &str, param: &str) -> &'static [&'static str] {
    match (syscall, param) {
        (_, "family" | "domain") => &["AF_"],
        // Not every `SOCK_` constant: SOCK_SNDBUF_LOCK is 1 too.
        ("socket" | "socketpair", "type") => &[
            "SOCK_STREAM",
            "SOCK_DGRAM",
            "SOCK_RAW",
            "SOCK_RDM",
            "SOCK_SEQPACKET",
            "SOCK_DCCP",
            "SOCK_PACKET",
            "SOCK_CLOEXEC",
            "SOCK_NONBLOCK",
        ],
        ("ioctl", "cmd") => &["TIOC", "FIO", "TC"],
        ("fcntl", "cmd") => &["F_"],
        ("prctl", "option") => &["PR_"],
        (_, "clone_flags") => &["CLONE_"],
        (_, "level") => &["SOL_"],
        (_, "how") => &["SHUT_"],
        _ => &[],
    }
}

/// Whether a parameter's values are flags, named as an OR of constants.
fn is_flags(syscall: &str, param: &str) -> bool {
    param.ends_with("flags") || (matches!(syscall, "socket" | "socketpair") && param == "type")
}

/// `value` named with the constants of `arch` that start with one of
/// `prefixes`: one whose value it is, or (for flags) an OR of one-bit
/// constants and at most one other; `None` when none fits.
fn constant_name(arch: Arch, prefixes: &[&str], value: u64, flags: bool) -> Option<String> {
    let table = tables::table(arch).constants;
    let named = |v: u64| {
        table
            .iter()
            .find(|(n, c)| *c as u64 == v && prefixes.iter().any(|p| n.starts_with(p)))
            .map(|(n, _)| (*n).to_owned())
    };
    if let Some(n) = named(value) {
        return Some(n);
    }
    if !flags || prefixes.is_empty() {
        return None;
    }
    let mut bits: Vec<(&str, u64)> = table
        .iter()
        .filter(|(n, c)| {
            let c = *c as u64;
            c.is_power_of_two() && c > 0xf && prefixes.iter().any(|p| n.starts_with(p))
        })
        .map(|(n, c)| (*n, *c as u64))
        .collect();
    bits.sort_by_key(|b| b.1);
    bits.dedup_by_key(|b| b.1);
    let mut rest = value;
    let mut parts = Vec::new();
    for (n, c) in bits {
        if rest & c == c {
            rest &= !c;
            parts.push(n.to_owned());
        }
    }
    if parts.is_empty() {
        return None;
    }
    if rest != 0 {
        parts.insert(0, named(rest)?);
    }
    Some(parts.join(" | "))
}

/// A value as a literal: decimal when small, hex otherwise.
fn literal(value: u64) -> String {
    if value < 0x1_0000 {
        value.to_string()
    } else {
        format!("{value:#x}")
    }
}

/// The argument slots the policy's rules for `nr` compare, in any table.
fn compared_slots(ap: &ArchPolicy<'_>, nr: u32) -> Vec<u8> {
    let mut slots = Vec::new();
    for set in core::iter::once(&ap.base).chain(ap.caps.iter()) {
        for r in set.rules.iter().filter(|r| r.nr == nr) {
            if let When::AnyOf(terms) = r.when {
                for cmp in terms.iter().flat_map(|t| t.iter()) {
                    if !slots.contains(&cmp.arg) {
                        slots.push(cmp.arg);
                    }
                }
            }
        }
    }
    slots.sort_unstable();
    slots
}

/// The rule for one syscall's calls, and whether it conditions on names
/// (`true`) or literals.
fn rule_text(
    arch: Arch,
    ap: &ArchPolicy<'_>,
    name: &str,
    nr: u32,
    seen: &ArgsSeen,
    names: bool,
) -> String {
    let Some(params) = tables::signature(arch, name) else {
        return name.to_owned();
    };
    let mut slots = compared_slots(ap, nr);
    let refused_by_name = core::iter::once(&ap.base)
        .chain(ap.caps.iter())
        .flat_map(|s| s.rules.iter())
        .any(|r| r.nr == nr && r.action != Action::Allow);
    if slots.is_empty() && refused_by_name {
        if let Some((_, key)) = KEY_PARAMS.iter().find(|(s, _)| *s == name) {
            if let Some(arg) = params.iter().find(|p| p.name == *key).and_then(|p| p.arg) {
                slots.push(arg);
            }
        }
    }
    let mut conditions = Vec::new();
    for slot in slots {
        let Some(p) = params.iter().find(|p| p.arg == Some(slot)) else {
            continue;
        };
        if p.pointer || seen.many[usize::from(slot)] {
            continue;
        }
        let mask = if p.bits >= 64 {
            u64::MAX
        } else {
            (1u64 << p.bits) - 1
        };
        let mut values: Vec<u64> = seen.values[usize::from(slot)]
            .iter()
            .map(|v| v & mask)
            .collect();
        values.sort_unstable();
        values.dedup();
        let prefixes = constant_prefixes(name, p.name);
        let shown: Vec<String> = values
            .iter()
            .map(|v| {
                names
                    .then(|| constant_name(arch, prefixes, *v, is_flags(name, p.name)))
                    .flatten()
                    .unwrap_or_else(|| literal(*v))
            })
            .collect();
        conditions.push(match shown.as_slice() {
            [] => continue,
            [one] => format!("{} == {one}", p.name),
            many => format!("{} in [{}]", p.name, many.join(", ")),
        });
    }
    if conditions.is_empty() {
        name.to_owned()
    } else {
        format!("{name}({})", conditions.join(" && "))
    }
}

/// A value of slot `slot` no call had.
fn unseen(seen: &ArgsSeen, slot: usize) -> u64 {
    let values = &seen.values[slot];
    (0..).find(|v| !values.contains(v)).unwrap_or(u64::MAX)
}

/// Checks `rule` alone: it compiles, allows every argument list seen, and
/// refuses, for each parameter it compares, a value no call had.
fn check_rule(arch: Arch, rule: &str, nr: u32, seen: &ArgsSeen) -> Result<(), String> {
    let text = format!("[base]\nallow = [{}]\n", json::string(rule));
    let compiled = compile(&text).map_err(|diags| {
        diags
            .first()
            .map_or_else(|| "it does not compile".to_owned(), |d| d.message.clone())
    })?;
    let rules = compiled
        .arches
        .iter()
        .find(|a| a.arch == arch)
        .ok_or("it was not lowered for this architecture")?;
    rules.with_policy(|ap| {
        let allows = |args: &[u64; 6]| {
            ap.verdict(0, RuleSet::EMPTY, nr, args, Action::KillProcess) == Action::Allow
        };
        if let Some(args) = seen.lists.iter().find(|a| !allows(a)) {
            return Err(format!("it does not allow the call seen with {args:?}"));
        }
        let compared: Vec<u8> = ap
            .base
            .rules
            .iter()
            .filter(|r| r.nr == nr)
            .filter_map(|r| match r.when {
                When::AnyOf(terms) => Some(terms.iter().flat_map(|t| t.iter().map(|c| c.arg))),
                When::Always => None,
            })
            .flatten()
            .collect();
        if let Some(first) = seen.lists.first() {
            for slot in compared {
                let mut probe = *first;
                probe[usize::from(slot)] = unseen(seen, usize::from(slot));
                if allows(&probe) {
                    return Err(format!(
                        "it allows arg{slot} = {}, which no call had",
                        probe[usize::from(slot)]
                    ));
                }
            }
        }
        Ok(())
    })
}

/// The narrowest checked rule for `call`: by constant names, else by
/// literals, else the bare name; or why none passed the check.
fn suggest(
    arch: Arch,
    ap: &ArchPolicy<'_>,
    call: &CallCount,
    seen: &ArgsSeen,
) -> Result<Suggestion, String> {
    let name = call
        .name
        .ok_or_else(|| format!("{}: no name to write a rule with", call.syscall()))?;
    let nr = u32::try_from(call.nr).map_err(|_| format!("{name}: a negative number"))?;
    let mut why = String::new();
    for rule in [
        rule_text(arch, ap, name, nr, seen, true),
        rule_text(arch, ap, name, nr, seen, false),
        name.to_owned(),
    ] {
        match check_rule(arch, &rule, nr, seen) {
            Ok(()) => {
                return Ok(Suggestion {
                    syscall: name.to_owned(),
                    rule,
                    calls: seen.calls,
                    lists: seen.lists.len(),
                    complete: seen.complete(),
                    first: call.first.as_ref().map(|p| p.program.to_string()),
                    errno: None,
                });
            }
            Err(e) => {
                if why.is_empty() {
                    why = format!("{name}: `{rule}`: {e}");
                }
            }
        }
    }
    Err(why)
}

/// The advice for a learn-mode `report` of a run under `compiled` on
/// `arch`.
pub fn advise(compiled: &Compiled, arch: Arch, report: &Report) -> Advice {
    let learned = report.learned();
    let mut advice = Advice {
        file: report.policy_file.clone(),
        granted: report.granted.clone(),
        caps: learned
            .caps_to_grant
            .iter()
            .map(|c| (*c).to_owned())
            .collect(),
        ..Advice::default()
    };
    let Some(rules) = compiled.arches.iter().find(|a| a.arch == arch) else {
        advice
            .unmet
            .push(format!("the policy was not lowered for {arch}"));
        return advice;
    };
    rules.with_policy(|ap| {
        for call in &learned.no_cap {
            match suggest(arch, ap, call, &call.seen) {
                Ok(s) => advice.rules.push(s),
                Err(e) => advice.unmet.push(e),
            }
        }
        for call in &learned.refused {
            if let Ok(mut s) = suggest(arch, ap, call, &call.refused_seen) {
                s.errno = call
                    .errno
                    .map(|e| e.name().map_or_else(|| e.0.to_string(), str::to_owned));
                advice.refused.push(s);
            }
        }
    });
    for call in &learned.foreign {
        advice.unmet.push(format!(
            "{} through another architecture's entry point: no policy line allows it",
            call.syscall()
        ));
    }
    advice
}

/// `text`, a policy file, with `rules` added to `[base]`'s `allow` (those
/// it does not have yet), each after a comment naming the program that
/// needed it; its comments and layout are kept.
///
/// # Errors
///
/// The file is not TOML, or its `[base]` or `allow` is not a table or an
/// array.
pub fn add_rules(text: &str, rules: &[Suggestion]) -> Result<String, String> {
    use toml_edit::{Array, DocumentMut, Item, Table, Value};
    if rules.is_empty() {
        return Ok(text.to_owned());
    }
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("it is not TOML: {e}"))?;
    let base = doc
        .entry("base")
        .or_insert_with(|| Item::Table(Table::new()));
    let base = base
        .as_table_like_mut()
        .ok_or("its `base` is not a table")?;
    let allow = base
        .entry("allow")
        .or_insert(Item::Value(Value::Array(Array::new())));
    let allow = allow
        .as_array_mut()
        .ok_or("its `[base]` `allow` is not an array")?;
    let multiline = allow.trailing().as_str().is_some_and(|t| t.contains('\n'))
        || allow.iter().any(|v| {
            v.decor()
                .prefix()
                .and_then(|p| p.as_str())
                .is_some_and(|p| p.contains('\n'))
        });
    for s in rules {
        let present = allow
            .iter()
            .any(|v| v.as_str().is_some_and(|r| r.trim() == s.rule));
        if present {
            continue;
        }
        let mut value = Value::from(s.rule.as_str());
        let who = s
            .first
            .as_deref()
            .map(|p| p.chars().filter(|c| !c.is_control()).collect::<String>())
            .unwrap_or_else(|| "a process that ended first".to_owned());
        value.decor_mut().set_prefix(format!(
            "\n    # learned: {who}, {}\n    ",
            plural(s.calls, "call")
        ));
        allow.push_formatted(value);
    }
    if !rules.is_empty() {
        allow.set_trailing_comma(true);
        if !multiline {
            allow.set_trailing("\n");
        }
    }
    Ok(doc.to_string())
}

/// Checks the written policy: it compiles, and with the caps granted and
/// offered it allows every call seen of each syscall a rule was added for.
///
/// # Errors
///
/// What the written policy does wrong.
pub fn check_written(
    text: &str,
    arch: Arch,
    advice: &Advice,
    report: &Report,
) -> Result<(), String> {
    let compiled = compile(text).map_err(|diags| {
        let first = diags
            .first()
            .map_or_else(String::new, |d| d.message.clone());
        format!("the written policy does not compile: {first}")
    })?;
    let mut caps = 0u64;
    for name in advice.granted.iter().chain(&advice.caps) {
        let bit = compiled
            .policy
            .caps
            .iter()
            .position(|c| c.name == *name)
            .and_then(cap_bit)
            .ok_or_else(|| format!("the written policy has no cap {name}"))?;
        caps |= bit;
    }
    let rules = compiled
        .arches
        .iter()
        .find(|a| a.arch == arch)
        .ok_or("the written policy was not lowered for this architecture")?;
    rules.with_policy(|ap| {
        for call in report
            .learned()
            .no_cap
            .iter()
            .chain(report.learned().by_caps.iter().flat_map(|g| g.1.iter()))
        {
            let Ok(nr) = u32::try_from(call.nr) else {
                continue;
            };
            for args in &call.seen.lists {
                let v = ap.verdict(caps, SPAWN_RULES, nr, args, ap.default);
                if !matches!(v, Action::Allow | Action::Log) {
                    return Err(format!(
                        "the written policy does not allow {}{args:?}: {v:?}",
                        call.syscall()
                    ));
                }
            }
        }
        Ok(())
    })
}

fn plural(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

impl fmt::Display for Advice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.caps.is_empty() {
            f.write_str("to allow them, grant")?;
            for cap in &self.caps {
                write!(f, " --cap {cap}")?;
            }
            f.write_str("\n")?;
        }
        if !self.rules.is_empty() {
            writeln!(
                f,
                "{} to `allow` of [base] in {} (`--write` or `--merge` adds them), each checked \
                 against every call seen:",
                if self.caps.is_empty() {
                    "to allow them, add"
                } else {
                    "and add"
                },
                self.file
            )?;
            for s in &self.rules {
                write!(f, "    {},", json::string(&s.rule))?;
                if !s.complete {
                    write!(f, "  # checked against the {} argument lists kept", s.lists)?;
                }
                f.write_str("\n")?;
            }
        }
        if !self.refused.is_empty() {
            f.write_str(
                "calls refused with an errno need nothing if the command did what it should; \
                 if one of them is why it failed, add:\n",
            )?;
            for s in &self.refused {
                writeln!(f, "    {},", json::string(&s.rule))?;
            }
        }
        for u in &self.unmet {
            writeln!(f, "no rule offered: {u}")?;
        }
        Ok(())
    }
}

/// The advice as one JSON object, with the file written (if any).
pub fn to_json(advice: &Advice, written: Option<&str>) -> String {
    let strings = |v: &[String]| {
        let items: Vec<String> = v.iter().map(|s| json::string(s)).collect();
        format!("[{}]", items.join(","))
    };
    let suggestions = |v: &[Suggestion]| {
        let items: Vec<String> = v
            .iter()
            .map(|s| {
                let mut o = format!(
                    "{{\"syscall\":{},\"rule\":{},\"calls\":{},\"argument_lists\":{},\"complete\":{}",
                    json::string(&s.syscall),
                    json::string(&s.rule),
                    s.calls,
                    s.lists,
                    s.complete
                );
                let _ = write!(
                    o,
                    ",\"first\":{}",
                    s.first.as_deref().map_or_else(|| "null".to_owned(), json::string)
                );
                if let Some(e) = &s.errno {
                    let _ = write!(o, ",\"errno\":{}", json::string(e));
                }
                o.push('}');
                o
            })
            .collect();
        format!("[{}]", items.join(","))
    };
    format!(
        "{{\"policy\":{},\"granted\":{},\"caps\":{},\"rules\":{},\"refused\":{},\"unmet\":{},\"written\":{}}}",
        json::string(&advice.file),
        strings(&advice.granted),
        strings(&advice.caps),
        suggestions(&advice.rules),
        suggestions(&advice.refused),
        strings(&advice.unmet),
        written.map_or_else(|| "null".to_owned(), json::string)
    )
}

/// What `learn`'s summary left for the command to do once the run is
/// over: the JSON to print, and whether writing the policy failed.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The advice as JSON, with `--format json`.
    pub json: Option<String>,
    /// Why the policy was not written, with `--write` or `--merge`.
    pub write_error: Option<String>,
}

/// Where `--write` or `--merge` writes: the policy it edits, and the file
/// it writes.
#[derive(Clone, Debug)]
pub struct Target {
    /// The policy file read.
    pub source: String,
    /// The file written (the same with `--merge`).
    pub out: String,
}

/// The summary a learn run ends with: the calls, grouped ([`Report::learned`]),
/// then the advice; with a `target`, the policy written there (checked
/// first); with `json`, the advice as JSON kept in `outcome`.
pub fn summary(
    compiled: Compiled,
    arch: Arch,
    target: Option<Target>,
    json: bool,
    outcome: std::sync::Arc<std::sync::Mutex<Outcome>>,
) -> impl FnOnce(&Report) -> String + Send + 'static {
    move |report| {
        let learned = report.learned();
        let mut text = learned.listing();
        let advice = advise(&compiled, arch, report);
        text.push_str(&advice.to_string());
        let mut written = None;
        let mut write_error = None;
        if let Some(t) = target {
            match write_policy(&t, arch, &advice, report) {
                Ok(true) => {
                    let _ = writeln!(
                        text,
                        "wrote {}: {} added to [base]",
                        t.out,
                        plural(advice.rules.len() as u64, "rule")
                    );
                    written = Some(t.out.clone());
                }
                Ok(false) if t.out != t.source => {
                    let _ = writeln!(text, "nothing to add: wrote {} as {} was", t.out, t.source);
                    written = Some(t.out.clone());
                }
                Ok(false) => {
                    let _ = writeln!(text, "nothing to add to {}", t.out);
                }
                Err(e) => {
                    let _ = writeln!(text, "error: {} was not written: {e}", t.out);
                    write_error = Some(e);
                }
            }
        }
        let mut o = outcome
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if json {
            o.json = Some(to_json(&advice, written.as_deref()));
        }
        o.write_error = write_error;
        text
    }
}

/// Adds the advice's rules to `t.source`, checks the result, and writes it
/// to `t.out`; whether there was anything to add. With nothing to add,
/// `--write` still writes the policy as it was (what runs next reads it),
/// and `--merge` leaves the file alone.
fn write_policy(t: &Target, arch: Arch, advice: &Advice, report: &Report) -> Result<bool, String> {
    if advice.rules.is_empty() && t.out == t.source {
        return Ok(false);
    }
    let text =
        std::fs::read_to_string(&t.source).map_err(|e| format!("reading {}: {e}", t.source))?;
    let new = add_rules(&text, &advice.rules)?;
    check_written(&new, arch, advice, report)?;
    // Written beside it and renamed over it: a reader never sees half.
    let tmp = format!("{}.learn-{}", t.out, std::process::id());
    std::fs::write(&tmp, &new).map_err(|e| format!("writing {tmp}: {e}"))?;
    std::fs::rename(&tmp, &t.out).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("renaming {tmp} to {}: {e}", t.out)
    })?;
    Ok(!advice.rules.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccomp_policy::domain::Enforced;
    use seccomp_policy::supervise::{AllowedBy, Lifetime, Mode};
    use seccomp_policy_core::sim::{run, SeccompData};

    // x86_64's values, from the kernel's UAPI headers (include/linux/socket.h,
    // asm-generic/socket.h, asm-generic/fcntl.h, asm-generic/ioctls.h) and
    // arch/x86/entry/syscalls/syscall_64.tbl; not from the tables under test.
    const AF_UNIX: u64 = 1;
    const AF_INET: u64 = 2;
    const SOCK_STREAM: u64 = 1;
    const SOCK_DGRAM: u64 = 2;
    const SOCK_CLOEXEC: u64 = 0o2_000_000;
    const TIOCGWINSZ: u64 = 0x5413;
    const TCGETS: u64 = 0x5401;
    const NR_SOCKET: i32 = 41;
    const NR_IOCTL: i32 = 16;
    const NR_SYNC: i32 = 162;
    const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;

    fn called(name: &'static str, nr: i32, lists: &[[u64; 6]]) -> CallCount {
        let mut c = CallCount {
            arch: Some(Arch::X86_64),
            audit_arch: Arch::X86_64.audit_arch(),
            nr,
            name: Some(name),
            count: 0,
            first: None,
            allowed_by: AllowedBy::NoCap,
            killed: 0,
            refused: 0,
            errno: None,
            refused_seen: ArgsSeen::default(),
            seen: ArgsSeen::default(),
            caps_every: 0,
        };
        for args in lists {
            c.count += 1;
            c.killed += 1;
            c.seen.add(args);
        }
        c
    }

    fn report(granted: &[&str], calls: Vec<CallCount>) -> Report {
        Report {
            mode: Mode::Learn,
            policy_file: "p.toml".to_owned(),
            granted: granted.iter().map(|g| (*g).to_owned()).collect(),
            pid: 1,
            denials: Vec::new(),
            denials_dropped: 0,
            calls,
            notifications: 0,
            answered: 0,
            gone: 0,
            vanished: 0,
            error: None,
            failures: 0,
            killed_tree: false,
            landlock: Enforced::NONE,
            lifetime: Lifetime::Unbounded,
        }
    }

    /// What the program `text` builds on x86_64 with `caps` returns for
    /// `nr(args)`, run in the kernel's interpreter: the BPF the policy
    /// becomes, not the verdict function the advice was checked with.
    fn returns(text: &str, caps: u64, nr: i32, args: [u64; 6]) -> u32 {
        let compiled = compile(text).expect("compiles");
        let rules = compiled
            .arches
            .iter()
            .find(|a| a.arch == Arch::X86_64)
            .expect("x86_64");
        rules.with_policy(|ap| {
            let prog = ap
                .program::<4096>(caps, SPAWN_RULES, ap.default)
                .expect("builds");
            let mut d = SeccompData::new(nr, Arch::X86_64.audit_arch());
            d.args = args;
            run(prog.as_slice(), &d).expect("runs").ret
        })
    }

    const NET: &str = "\
# Internet sockets only.
default = \"kill-process\"

[base]
allow = [\"read\", \"write\"]  # every payload

[cap.NET]
allow = [\"socket(family == AF_INET || family == AF_INET6)\", \"connect\"]
";

    /// The case: `socket(AF_UNIX)` under a policy whose cap allows
    /// Internet families only. No cap is offered (NET does not allow the
    /// call); the rule names the family, the parameter the policy tells
    /// apart, and the policy with it allows the call and no other family.
    #[test]
    fn a_socket_rule_names_the_family_and_no_cap_is_offered() {
        let compiled = compile(NET).unwrap();
        // Registers past socket's three parameters hold what they held.
        let mut socket = called(
            "socket",
            NR_SOCKET,
            &[
                [
                    AF_UNIX,
                    SOCK_STREAM | SOCK_CLOEXEC,
                    0,
                    0x7f00_dead_beef,
                    9,
                    3,
                ],
                [AF_UNIX, SOCK_DGRAM, 0, 0, 0, 0],
            ],
        );
        socket.allowed_by = AllowedBy::OtherArguments;
        let r = report(&["NET"], vec![socket]);
        let advice = advise(&compiled, Arch::X86_64, &r);
        assert!(advice.caps.is_empty(), "{advice:?}");
        let rules: Vec<&str> = advice.rules.iter().map(|s| s.rule.as_str()).collect();
        assert_eq!(rules, ["socket(family == AF_UNIX)"]);
        assert_eq!(advice.rules[0].lists, 2);

        let written = add_rules(NET, &advice.rules).unwrap();
        check_written(&written, Arch::X86_64, &advice, &r).unwrap();
        let unix = [AF_UNIX, SOCK_STREAM, 0, 0, 0, 0];
        let inet = [AF_INET, SOCK_STREAM, 0, 0, 0, 0];
        assert_ne!(returns(NET, 0, NR_SOCKET, unix), SECCOMP_RET_ALLOW);
        assert_eq!(returns(&written, 0, NR_SOCKET, unix), SECCOMP_RET_ALLOW);
        assert_ne!(returns(&written, 0, NR_SOCKET, inet), SECCOMP_RET_ALLOW);
        assert_ne!(
            returns(&written, 0, NR_SOCKET, [10, 1, 0, 0, 0, 0]),
            SECCOMP_RET_ALLOW
        );
    }

    /// Where a table refuses a call by name (`ioctl = "EPERM"`), the rule
    /// takes its key parameter, by the constant's name; where the policy
    /// compares the socket type too, the type is named as an OR of flags.
    #[test]
    fn rules_take_the_key_parameter_and_flags_by_name() {
        let text = "\
[base]
allow = [\"read\"]
[base.actions]
ioctl = \"EPERM\"
[cap.NET]
allow = [\"socket(family == AF_INET && type == SOCK_STREAM)\"]
";
        let compiled = compile(text).unwrap();
        let ioctl = called(
            "ioctl",
            NR_IOCTL,
            &[
                [1, TIOCGWINSZ, 0x7ffd_0000_1000, 0, 0, 0],
                [0, TCGETS, 0x7ffd_0000_2000, 0, 0, 0],
            ],
        );
        let socket = called(
            "socket",
            NR_SOCKET,
            &[[AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, 0, 0, 0]],
        );
        let advice = advise(&compiled, Arch::X86_64, &report(&[], vec![ioctl, socket]));
        let rules: Vec<&str> = advice.rules.iter().map(|s| s.rule.as_str()).collect();
        assert_eq!(
            rules,
            [
                "ioctl(cmd in [TCGETS, TIOCGWINSZ])",
                "socket(family == AF_UNIX && type == SOCK_STREAM | SOCK_CLOEXEC)"
            ]
        );
        let written = add_rules(text, &advice.rules).unwrap();
        let ioctl = |cmd| returns(&written, 0, NR_IOCTL, [1, cmd, 0, 0, 0, 0]);
        assert_eq!(ioctl(TIOCGWINSZ), SECCOMP_RET_ALLOW);
        assert_eq!(ioctl(TCGETS), SECCOMP_RET_ALLOW);
        assert_ne!(ioctl(0x5412), SECCOMP_RET_ALLOW, "TIOCSTI");
        let sock = |ty| returns(&written, 0, NR_SOCKET, [AF_UNIX, ty, 0, 0, 0, 0]);
        assert_eq!(sock(SOCK_STREAM | SOCK_CLOEXEC), SECCOMP_RET_ALLOW);
        assert_ne!(sock(SOCK_STREAM), SECCOMP_RET_ALLOW);
    }

    /// A call no table mentions gets its bare name; a rule that would let
    /// through a value no call had fails the check.
    #[test]
    fn the_check_refuses_a_rule_wider_than_the_calls_seen() {
        let seen = called("socket", NR_SOCKET, &[[AF_UNIX, SOCK_STREAM, 0, 0, 0, 0]]).seen;
        let nr = NR_SOCKET as u32;
        check_rule(Arch::X86_64, "socket(family == AF_UNIX)", nr, &seen).unwrap();
        let wide = check_rule(Arch::X86_64, "socket(family in [AF_UNIX, 0])", nr, &seen);
        assert!(wide.unwrap_err().contains("arg0 = 0, which no call had"));
        let narrow = check_rule(Arch::X86_64, "socket(family == AF_INET)", nr, &seen);
        assert!(narrow.unwrap_err().contains("does not allow the call seen"));

        let compiled = compile(NET).unwrap();
        let sync = called("sync", NR_SYNC, &[[0; 6]]);
        let advice = advise(&compiled, Arch::X86_64, &report(&[], vec![sync]));
        assert_eq!(advice.rules[0].rule, "sync");
    }

    /// Caps are offered only where one allows every call seen.
    #[test]
    fn a_cap_is_offered_only_when_it_allows_every_call() {
        let compiled = compile(NET).unwrap();
        let mut connect = called("connect", 42, &[[3, 0x1000, 16, 0, 0, 0]]);
        connect.caps_every = 0b1;
        connect.allowed_by = AllowedBy::Caps {
            bits: 0b1,
            names: vec!["NET".to_owned()],
        };
        let advice = advise(&compiled, Arch::X86_64, &report(&[], vec![connect]));
        assert_eq!(advice.caps, ["NET"]);
        assert!(advice.rules.is_empty());
        let text = advice.to_string();
        assert_eq!(text, "to allow them, grant --cap NET\n");
    }

    /// Writing into the shipped policy keeps every line of it, in order:
    /// only the new entries (and their comments) are added, and the result
    /// compiles.
    #[test]
    fn writing_keeps_the_files_comments_and_layout() {
        let shipped = include_str!("../../policy/seccomp.toml");
        let rules = [
            Suggestion {
                syscall: "sync".to_owned(),
                rule: "sync".to_owned(),
                calls: 1,
                lists: 1,
                complete: true,
                first: Some("/usr/bin/sync\n".to_owned()),
                errno: None,
            },
            Suggestion {
                syscall: "socket".to_owned(),
                rule: "socket(family == AF_UNIX)".to_owned(),
                calls: 2,
                lists: 2,
                complete: true,
                first: None,
                errno: None,
            },
            // Already there: not added twice.
            Suggestion {
                syscall: "read".to_owned(),
                rule: "read".to_owned(),
                calls: 1,
                lists: 1,
                complete: true,
                first: None,
                errno: None,
            },
        ];
        let written = add_rules(shipped, &rules).unwrap();
        let old: Vec<&str> = shipped.lines().collect();
        let new: Vec<&str> = written.lines().collect();
        let mut added = Vec::new();
        let mut i = 0;
        for line in &new {
            if i < old.len() && old[i] == *line {
                i += 1;
            } else {
                added.push(*line);
            }
        }
        assert_eq!(
            i,
            old.len(),
            "a line of the shipped policy was lost or changed"
        );
        assert_eq!(
            added,
            [
                "    # learned: /usr/bin/sync, 1 call",
                "    \"sync\",",
                "    # learned: a process that ended first, 2 calls",
                "    \"socket(family == AF_UNIX)\",",
            ]
        );
        compile(&written).expect("the written policy compiles");
    }

    /// `--format json`: one object, read back by a JSON parser.
    #[test]
    fn the_advice_as_json() {
        let advice = Advice {
            file: "p.toml".to_owned(),
            granted: vec!["NET".to_owned()],
            caps: vec!["FILES".to_owned()],
            rules: vec![Suggestion {
                syscall: "socket".to_owned(),
                rule: "socket(family == AF_UNIX)".to_owned(),
                calls: 2,
                lists: 2,
                complete: true,
                first: Some("/usr/bin/python3".to_owned()),
                errno: None,
            }],
            refused: Vec::new(),
            unmet: vec!["x \"quoted\"".to_owned()],
        };
        let v: serde_json::Value =
            serde_json::from_str(&to_json(&advice, Some("out.toml"))).unwrap();
        assert_eq!(v["caps"][0], "FILES");
        assert_eq!(v["granted"][0], "NET");
        assert_eq!(v["rules"][0]["rule"], "socket(family == AF_UNIX)");
        assert_eq!(v["rules"][0]["calls"], 2);
        assert_eq!(v["rules"][0]["first"], "/usr/bin/python3");
        assert_eq!(v["unmet"][0], "x \"quoted\"");
        assert_eq!(v["written"], "out.toml");
        assert!(v["refused"].as_array().unwrap().is_empty());
    }
}
