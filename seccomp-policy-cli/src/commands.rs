//! The subcommands that read a policy and print what they find: `check`,
//! `lint`, `show`, `disasm`, `explain`, `simulate`.

use std::fmt::Write as _;

use seccomp_policy_compiler::diag::Severity;
use seccomp_policy_compiler::lower::{ArchRules, LoweredRule, SetRules};
use seccomp_policy_compiler::{suggest, tables, Compiled};
use seccomp_policy_core::disasm::{Disasm, Flow, Line};
use seccomp_policy_core::policy::{cap_bit, has_cap};
use seccomp_policy_core::reach::{checked_by_landlock, Checked};
use seccomp_policy_core::rule::Action;
use seccomp_policy_core::sim::{run_traced, SeccompData};
use seccomp_policy_core::text::{quoted, shown, PATH_MAX};
use seccomp_policy_core::{syscalls, Arch};
use seccomp_policy_lint_export::lint::{allow_in_source, lint, Lint};

use crate::args::{Format, Options, Sub};
use crate::describe::{self, ArchNames};
use crate::load::{
    arch_rules, cap_bits, display_name, front_end, load, one_arch, program, report_errors,
};
use crate::outcome::Failure;
use crate::output::{err, failed, out, plural, usage};
use crate::render;

pub fn check(o: &Options) -> Result<(), Failure> {
    let format = o.format.unwrap_or(Format::Human);
    let fe = front_end(&o.file);
    let file = display_name(&o.file);
    match fe.result {
        Ok(compiled) => match format {
            Format::Json => out(&render::json(file, &fe.source, &[])).map_err(Failure::Failed),
            _ => out(&format!(
                "{}: no errors ({}, {} architectures)\n",
                shown(file),
                plural(compiled.policy.caps.len(), "cap"),
                compiled.arches.len()
            ))
            .map_err(Failure::Failed),
        },
        Err(diags) => Err(report_errors(format, &o.file, &fe.source, &diags)),
    }
}

pub fn lint_cmd(o: &Options) -> Result<(), Failure> {
    let format = o.format.unwrap_or(Format::Human);
    let fe = front_end(&o.file);
    let file = display_name(&o.file);
    let compiled = match fe.result {
        Ok(c) => c,
        Err(diags) => return Err(report_errors(format, &o.file, &fe.source, &diags)),
    };
    let checked = allow_in_source(&fe.source, lint(&compiled));
    let found: Vec<Lint> = checked
        .reported
        .into_iter()
        .map(|l| Lint {
            diagnostic: l.diagnostic.with_ends(&fe.source),
            ..l
        })
        .collect();
    let allowed = checked.allowed.len();
    let items: Vec<render::Item<'_>> = found
        .iter()
        .map(|l| (Severity::Warning, l.kind.name().to_owned(), &l.diagnostic))
        .collect();
    match format {
        Format::Json => out(&render::json(file, &fe.source, &items)).map_err(Failure::Failed)?,
        _ if found.is_empty() => out(&format!(
            "{}: no warnings{}\n",
            shown(file),
            allowed_note(allowed)
        ))
        .map_err(Failure::Failed)?,
        _ => {
            let mut text = render::all(format, file, &fe.source, &items);
            if format == Format::Human {
                let _ = writeln!(
                    text,
                    "warning: {} has {}{}",
                    quoted(file).max(PATH_MAX),
                    plural(found.len(), "warning"),
                    allowed_note(allowed)
                );
            }
            err(&text);
        }
    }
    if o.deny_warnings && !found.is_empty() {
        return Err(Failure::Failed(Some(
            "error: warnings denied (--deny-warnings)".to_owned(),
        )));
    }
    Ok(())
}

/// `` (N allowed in the file by `# lint: allow` comments)``, or nothing.
fn allowed_note(n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(
            " ({} allowed in the file by `# lint: allow` comments)",
            plural(n, "finding")
        )
    }
}

/// The architectures asked for, or all.
fn arches_or_all(o: &Options) -> Vec<Arch> {
    if o.arches.is_empty() {
        Arch::ALL.to_vec()
    } else {
        o.arches.clone()
    }
}

fn cap_list(compiled: &Compiled, bits: u64) -> String {
    let names: Vec<&str> = compiled
        .policy
        .caps
        .iter()
        .enumerate()
        .filter(|(i, _)| has_cap(bits, *i))
        .map(|(_, c)| c.name.as_str())
        .collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

pub fn show(o: &Options) -> Result<(), Failure> {
    let compiled = load(o)?;
    let texts = describe::rule_texts(&compiled);
    let mut text = String::new();
    for arch in arches_or_all(o) {
        let rules = arch_rules(&compiled, arch)?;
        let _ = writeln!(
            text,
            "{arch} (AUDIT_ARCH {:#010x}): default {}",
            arch.audit_arch(),
            describe::action(arch, rules.default)
        );
        let tables = std::iter::once(("[base]".to_owned(), &rules.base)).chain(
            compiled
                .policy
                .caps
                .iter()
                .zip(&rules.caps)
                .map(|(c, s)| (format!("[cap.{}]", c.name), s)),
        );
        for (name, set) in tables {
            show_table(&mut text, arch, &name, set, &texts);
        }
        if rules.missing.is_empty() {
            text.push_str("  skipped here: none\n");
        } else {
            let _ = writeln!(text, "  skipped here: {}", rules.missing.join(", "));
        }
        text.push('\n');
    }
    text.push_str("files and ports (Landlock, on every architecture):\n");
    show_reach(&mut text, &compiled, Checked::FilesAndPorts);
    out(&text).map_err(Failure::Failed)
}

/// Each table's files, ports or both (`what`), which are the same on
/// every architecture and enforced by Landlock, not by the filter.
fn show_reach(text: &mut String, compiled: &Compiled, what: Checked) {
    let files = what != Checked::Ports;
    let ports = what != Checked::Files;
    let list = |entries: &[seccomp_policy_compiler::model::ReachEntry]| {
        if entries.is_empty() {
            "nothing".to_owned()
        } else {
            entries
                .iter()
                .map(|e| e.text.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    for (name, table) in compiled.policy.tables() {
        let r = &table.reach;
        let mut parts = Vec::new();
        if files && r.fs.is_some() {
            parts.push(format!("read {}; write {}", list(&r.read), list(&r.write)));
        }
        if ports && r.net.is_some() {
            parts.push(format!(
                "TCP connect {}; bind {}",
                list(&r.connect),
                list(&r.bind)
            ));
        }
        if parts.is_empty() {
            if what != Checked::FilesAndPorts {
                continue;
            }
            parts.push("no fs or net table".to_owned());
        }
        let _ = writeln!(text, "  {name}: {}", parts.join("; "));
    }
}

fn show_table(
    text: &mut String,
    arch: Arch,
    name: &str,
    set: &SetRules,
    texts: &std::collections::BTreeMap<seccomp_policy_compiler::model::Loc, String>,
) {
    let _ = writeln!(
        text,
        "  {name}: {} allowed outright, {}",
        plural(set.allow.len(), "number"),
        plural(set.rules.len(), "rule")
    );
    text.push_str(&describe::number_list(arch, &set.allow, "    "));
    for r in &set.rules {
        let _ = writeln!(
            text,
            "    {} ({}): {}  [{}:{} {}]",
            syscalls::name(arch, r.nr).unwrap_or("?"),
            r.nr,
            describe::rule(arch, r),
            r.loc.line,
            r.loc.col,
            texts.get(&r.loc).map_or("", String::as_str)
        );
    }
}

pub fn disasm(o: &Options) -> Result<(), Failure> {
    let compiled = load(o)?;
    let arch = one_arch(Sub::Disasm, o)?;
    let caps = cap_bits(Sub::Disasm, &compiled, &o.caps)?;
    let rules = arch_rules(&compiled, arch)?;
    let prog = program(rules, caps, o.allow_execve)?;
    let text = format!(
        "; {arch}, caps: {}{}, default {}: {} instructions\n{}",
        cap_list(&compiled, caps),
        if o.allow_execve {
            ", execve allowed"
        } else {
            ""
        },
        describe::action(arch, rules.default),
        prog.len(),
        Disasm::new(&prog, arch, &ArchNames(arch))
    );
    out(&text).map_err(Failure::Failed)
}

/// An integer as the policy language writes it: decimal, `0x`, `0o`, `0b`,
/// `_` separators, a leading `-` (two's complement in 64 bits).
fn parse_int(text: &str) -> Option<u64> {
    let (neg, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let body = body.replace('_', "");
    let (digits, radix) = if let Some(h) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (h, 16)
    } else if let Some(o) = body.strip_prefix("0o") {
        (o, 8)
    } else if let Some(b) = body.strip_prefix("0b") {
        (b, 2)
    } else {
        (body.as_str(), 10)
    };
    let v = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if v > 1u64 << 63 {
            return None;
        }
        Some(v.wrapping_neg())
    } else {
        Some(v)
    }
}

/// A syscall on `arch` by name or number.
fn syscall_on(sub: Sub, arch: Arch, text: &str) -> Result<(u32, Option<&'static str>), Failure> {
    if let Some(v) = parse_int(text) {
        let nr = u32::try_from(v)
            .or_else(|_| i32::try_from(v as i64).map(|n| n as u32))
            .map_err(|_| {
                usage(
                    sub,
                    format!("syscall number {} does not fit 32 bits", quoted(text)),
                )
            })?;
        return Ok((nr, syscalls::name(arch, nr)));
    }
    match tables::table(arch)
        .syscalls
        .iter()
        .find(|(n, _)| *n == text)
    {
        Some((name, nr)) => Ok((nr, Some(name))),
        None => Err(unknown_syscall(sub, text, Some(arch))),
    }
}

fn unknown_syscall(sub: Sub, text: &str, arch: Option<Arch>) -> Failure {
    let known = tables::all_names();
    if known.binary_search(&text).is_ok() {
        if let Some(arch) = arch {
            return usage(sub, format!("{arch} has no syscall {}", quoted(text)));
        }
    }
    let hint = match suggest::did_you_mean(text, known.iter().copied()) {
        Some(good) => format!("; did you mean `{good}`?"),
        None => String::new(),
    };
    usage(sub, format!("unknown syscall {}{hint}", quoted(text)))
}

pub fn simulate(o: &Options) -> Result<(), Failure> {
    let compiled = load(o)?;
    let arch = one_arch(Sub::Simulate, o)?;
    let caps = cap_bits(Sub::Simulate, &compiled, &o.caps)?;
    let rules = arch_rules(&compiled, arch)?;
    let (nr, name) = syscall_on(Sub::Simulate, arch, &o.rest[0])?;
    let mut args = [0u64; 6];
    for (i, text) in o.rest[1..].iter().enumerate() {
        args[i] = match parse_int(text) {
            Some(v) => v,
            None => match seccomp_policy_compiler::tables::constant(arch, text) {
                Some(c) => c as u64,
                None => {
                    let names = tables::table(arch).constants.iter().map(|(n, _)| n);
                    let hint = match suggest::did_you_mean(text, names) {
                        Some(good) => format!("; did you mean `{good}`?"),
                        None => String::new(),
                    };
                    return Err(usage(
                        Sub::Simulate,
                        format!(
                            "argument {} is neither an integer nor a constant known on {arch}{hint}",
                            quoted(text)
                        ),
                    ));
                }
            },
        };
    }
    let prog = program(rules, caps, o.allow_execve)?;
    let mut data = SeccompData::new(nr as i32, arch.audit_arch());
    data.args = args;
    let mut path = Vec::new();
    let run = run_traced(&prog, &data, |pc| path.push(pc))
        .map_err(|e| failed(format!("error: the program did not run: {e}")))?;
    let flow = Flow::new(&prog, arch);
    let names = ArchNames(arch);
    let verdict = match Action::from_ret(run.ret) {
        Some(a) => describe::action(arch, a),
        None => format!("{:#010x}", run.ret),
    };
    let arg_text: Vec<String> = args.iter().map(|a| format!("{a:#x}")).collect();
    let mut text = format!(
        "call: {} ({nr}) on {arch}, args {}\ncaps: {}{}\nverdict: {verdict}\n",
        name.unwrap_or("no such syscall"),
        arg_text.join(" "),
        cap_list(&compiled, caps),
        if o.allow_execve {
            " (execve allowed)"
        } else {
            ""
        },
    );
    let _ = writeln!(text, "path: {} of {} instructions", path.len(), prog.len());
    for pc in path {
        let line = Line {
            pc,
            insn: &prog[pc],
            acc: flow.before(pc),
            arch,
            names: &names,
        };
        let _ = writeln!(text, "{line}");
    }
    out(&text).map_err(Failure::Failed)
}

/// What the granted tables decide for `nr`, in words.
fn decision(rules: &ArchRules, caps: u64, nr: u32) -> String {
    let arch = rules.arch;
    let sets = rules.granted(caps);
    if sets.iter().any(|s| s.allow.binary_search(&nr).is_ok()) {
        return "allowed".to_owned();
    }
    let mut mine: Vec<&LoweredRule> = sets
        .iter()
        .flat_map(|s| s.rules.iter().filter(|r| r.nr == nr))
        .collect();
    let default = format!("{} (the default)", describe::action(arch, rules.default));
    if mine.is_empty() {
        return default;
    }
    // Allows first (any of them wins), then actions in file order.
    mine.sort_by_key(|r| (!matches!(r.action, Action::Allow), r.order));
    let mut parts = Vec::new();
    for r in &mine {
        parts.push(describe::rule(arch, r));
        if r.when.is_none() {
            return if parts.len() == 1 {
                parts.remove(0)
            } else {
                format!(
                    "{}; otherwise {}",
                    parts[..parts.len() - 1].join("; "),
                    parts[parts.len() - 1]
                )
            };
        }
    }
    format!("{}; otherwise {default}", parts.join("; "))
}

pub fn explain(o: &Options) -> Result<(), Failure> {
    let compiled = load(o)?;
    let texts = describe::rule_texts(&compiled);
    let target = &o.rest[0];
    let by_number = parse_int(target).is_some();
    if !by_number && tables::all_names().binary_search(&target.as_str()).is_err() {
        return Err(unknown_syscall(Sub::Explain, target, None));
    }
    let cap_names: Vec<String> = compiled
        .policy
        .caps
        .iter()
        .map(|c| format!("[cap.{}]", c.name))
        .collect();
    // Architectures with the same account are printed together.
    let mut groups: Vec<(Vec<String>, String)> = Vec::new();
    for arch in arches_or_all(o) {
        let rules = arch_rules(&compiled, arch)?;
        let found = if by_number {
            let (nr, name) = syscall_on(Sub::Explain, arch, target)?;
            name.map(|n| (nr, n))
        } else {
            syscalls::number(arch, target).map(|nr| (nr, target.as_str()))
        };
        let Some((nr, name)) = found else {
            push_group(
                &mut groups,
                arch.name().to_owned(),
                "  no such syscall here\n".to_owned(),
            );
            continue;
        };
        let mut body = String::new();
        let tables_of = std::iter::once(("[base]", &rules.base))
            .chain(cap_names.iter().map(String::as_str).zip(&rules.caps));
        let mut mentioned = false;
        for (tname, set) in tables_of {
            if set.allow.binary_search(&nr).is_ok() {
                let _ = writeln!(body, "  {tname} allows it outright");
                mentioned = true;
            }
            for r in set.rules.iter().filter(|r| r.nr == nr) {
                let _ = writeln!(
                    body,
                    "  {tname}: {}  [{}:{}:{} {}]",
                    describe::rule(arch, r),
                    shown(display_name(&o.file)),
                    r.loc.line,
                    r.loc.col,
                    texts.get(&r.loc).map_or("", String::as_str)
                );
                mentioned = true;
            }
        }
        if !mentioned {
            body.push_str("  no table names it\n");
        }
        let none = decision(rules, 0, nr);
        let _ = writeln!(body, "  with no caps: {none}");
        for (bit, cname) in (0..).map_while(cap_bit).zip(&cap_names) {
            let with = decision(rules, bit, nr);
            if with != none {
                let _ = writeln!(body, "  with {cname}: {with}");
            }
        }
        let label = if by_number {
            format!("{arch} ({name} = {nr})")
        } else {
            format!("{arch} ({nr})")
        };
        push_group(&mut groups, label, body);
    }
    let mut text = if by_number {
        format!("syscall number {}\n", shown(target))
    } else {
        format!("{}\n", shown(target))
    };
    for (labels, body) in groups {
        let _ = write!(text, "{}:\n{body}", labels.join(", "));
    }
    explain_reach(&mut text, &compiled, target);
    out(&text).map_err(Failure::Failed)
}

/// For a call Landlock checks beyond the filter (`openat`, `connect`, ...),
/// the files or ports each table lets it reach: a call the filter allows
/// still fails with `EACCES` outside them.
fn explain_reach(text: &mut String, compiled: &Compiled, target: &str) {
    let Some(what) = checked_by_landlock(target) else {
        return;
    };
    let (noun, outside) = match what {
        Checked::Files => ("files", "a path"),
        Checked::Ports => ("ports", "a TCP port"),
        Checked::FilesAndPorts => ("files and ports", "a TCP port or socket path"),
    };
    let _ = writeln!(
        text,
        "{noun} (Landlock, on every architecture): where the filter allows it, it still fails with EACCES on {outside} the granted tables do not list:"
    );
    let before = text.len();
    show_reach(text, compiled, what);
    if text.len() == before {
        let _ = writeln!(
            text,
            "  no table confines them: the call reaches what the user may"
        );
    }
}

fn push_group(groups: &mut Vec<(Vec<String>, String)>, label: String, body: String) {
    match groups.iter_mut().find(|g| g.1 == body) {
        Some(g) => g.0.push(label),
        None => groups.push((vec![label], body)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(parse_int("42"), Some(42));
        assert_eq!(parse_int("0x54_12"), Some(0x5412));
        assert_eq!(parse_int("0o17"), Some(15));
        assert_eq!(parse_int("0b101"), Some(5));
        assert_eq!(parse_int("-1"), Some(u64::MAX));
        assert_eq!(parse_int("-9223372036854775808"), Some(1 << 63));
        assert_eq!(parse_int("-9223372036854775809"), None);
        assert_eq!(parse_int("x"), None);
        assert_eq!(parse_int(""), None);
        assert_eq!(parse_int("-"), None);
    }
}
