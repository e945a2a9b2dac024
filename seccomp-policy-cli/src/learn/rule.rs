//! The narrowest rule for one syscall's calls, from the arguments seen:
//! which parameters to compare (those the policy tells apart, and a key
//! parameter of a few calls), their values by constant name where the
//! tables have one, and the check every rule passes before it is offered.

use seccomp_policy::policy::ArchPolicy;
use seccomp_policy::rule::{RuleSet, When};
use seccomp_policy::supervise::{ArgsSeen, CallCount};
use seccomp_policy::Action;
use seccomp_policy_compiler::{compile, tables};
use seccomp_policy_core::Arch;

use super::Suggestion;
use crate::json;

/// The parameter whose value says what a call does, for calls where one
/// does, by syscall name.
pub(super) const KEY_PARAMS: &[(&str, &str)] = &[
    ("socket", "family"),
    ("socketpair", "family"),
    ("ioctl", "cmd"),
    ("fcntl", "cmd"),
    ("prctl", "option"),
    ("personality", "personality"),
];

/// The prefixes of the constants a parameter's values are named with, by
/// parameter name (and syscall, where the name alone is ambiguous).
pub(super) fn constant_prefixes(syscall: &str, param: &str) -> &'static [&'static str] {
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
pub(super) fn is_flags(syscall: &str, param: &str) -> bool {
    param.ends_with("flags") || (matches!(syscall, "socket" | "socketpair") && param == "type")
}

/// `value` named with the constants of `arch` that start with one of
/// `prefixes`: one whose value it is, or (for flags) an OR of one-bit
/// constants and at most one other; `None` when none fits.
pub(super) fn constant_name(
    arch: Arch,
    prefixes: &[&str],
    value: u64,
    flags: bool,
) -> Option<String> {
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
        .map(|(n, c)| (n, c as u64))
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
pub(super) fn literal(value: u64) -> String {
    if value < 0x1_0000 {
        value.to_string()
    } else {
        format!("{value:#x}")
    }
}

/// The argument slots the policy's rules for `nr` compare, in any table.
pub(super) fn compared_slots(ap: &ArchPolicy<'_>, nr: u32) -> Vec<u8> {
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
pub(super) fn rule_text(
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
pub(super) fn unseen(seen: &ArgsSeen, slot: usize) -> u64 {
    let values = &seen.values[slot];
    (0..).find(|v| !values.contains(v)).unwrap_or(u64::MAX)
}

/// Checks `rule` alone: it compiles, allows every argument list seen, and
/// refuses, for each parameter it compares, a value no call had.
pub(super) fn check_rule(arch: Arch, rule: &str, nr: u32, seen: &ArgsSeen) -> Result<(), String> {
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
pub(super) fn suggest(
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
