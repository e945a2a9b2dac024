//! The subcommands.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use seccomp_policy_compiler::diag::{Diagnostic, Severity};
use seccomp_policy_compiler::lower::{ArchRules, LoweredRule, SetRules};
use seccomp_policy_compiler::{compile_file, json, suggest, tables, Compiled, CompiledFile};
use seccomp_policy_core::bpf::{SockFilter, BPF_MAXINSNS};
use seccomp_policy_core::disasm::{Disasm, Flow, Line};
use seccomp_policy_core::policy::{cap_bit, has_cap, spawn_rules};
use seccomp_policy_core::reach::{checked_by_landlock, Checked};
use seccomp_policy_core::rule::{Action, RuleSet};
use seccomp_policy_core::sim::{run_traced, SeccompData};
use seccomp_policy_core::text::{quoted, shown, PATH_MAX};
use seccomp_policy_core::{syscalls, Arch};
use seccomp_policy_lint_export::lint::{allow_in_source, lint, Lint};

use crate::args::{Format, Options, Sub, UsageError};
use crate::describe::{self, ArchNames};
use crate::Failure;

/// Writes `text` to stdout. A closed pipe is a failure without a message.
pub fn out(text: &str) -> Result<(), Option<String>> {
    out_bytes(text.as_bytes())
}

pub(crate) fn out_bytes(bytes: &[u8]) -> Result<(), Option<String>> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(None),
        Err(e) => Err(Some(format!("error: cannot write to stdout: {e}"))),
    }
}

fn err(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
}

/// A usage error of `sub`.
pub fn usage(sub: Sub, message: impl Into<String>) -> Failure {
    Failure::Usage(UsageError {
        message: message.into(),
        sub: Some(sub),
    })
}

pub(crate) fn failed(message: impl Into<String>) -> Failure {
    Failure::Failed(Some(message.into()))
}

/// Runs `sub`; the exit code when it did not fail (0, or for `run` and
/// `learn` the command's).
pub fn run(sub: Sub, o: &Options) -> Result<u8, Failure> {
    let done = match sub {
        Sub::Check => check(o),
        Sub::Lint => lint_cmd(o),
        Sub::Show => show(o),
        Sub::Disasm => disasm(o),
        Sub::Explain => explain(o),
        Sub::Simulate => simulate(o),
        Sub::Export => crate::export::export(o),
        Sub::Run | Sub::Learn => return crate::supervised::run(sub, o),
    };
    done.map(|()| 0)
}

/// The file's text (lossy where it is not UTF-8, for snippets) and what
/// the front end made of it: the compiler's reading, bounded and only of a
/// regular file.
fn front_end(file: &str) -> CompiledFile {
    compile_file(Path::new(file), file)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Diagnostics in a human or short format, for stderr.
fn render_all(
    format: Format,
    file: &str,
    source: &str,
    items: &[(Severity, Option<&str>, &Diagnostic)],
) -> String {
    let mut text = String::new();
    for (severity, code, d) in items {
        match format {
            Format::Short => {
                // As rustc shows the macro's compile_error!.
                let label = match code {
                    Some(c) => format!("{}[{c}]", severity.as_str()),
                    None => severity.as_str().to_owned(),
                };
                let body = d.render(file).replace('\n', "\n       ");
                let _ = writeln!(text, "{label}: {body}");
            }
            _ => {
                text.push_str(&d.render_snippet(*severity, *code, file, source));
                text.push_str("\n\n");
            }
        }
    }
    text
}

/// The JSON document of `check` and `lint`.
fn json_report(
    file: &str,
    source: &str,
    items: &[(Severity, Option<&str>, &Diagnostic)],
) -> String {
    let errors = items.iter().filter(|i| i.0 == Severity::Error).count();
    let warnings = items.len() - errors;
    let objects: Vec<String> = items
        .iter()
        .map(|(s, c, d)| d.to_json(*s, *c, file, source))
        .collect();
    format!(
        "{{\"file\":{},\"errors\":{errors},\"warnings\":{warnings},\"diagnostics\":[{}]}}\n",
        json::string(file),
        objects.join(",")
    )
}

/// Reports the front end's errors in `format` and fails.
fn report_errors(format: Format, file: &str, source: &str, diags: &[Diagnostic]) -> Failure {
    let items: Vec<(Severity, Option<&str>, &Diagnostic)> =
        diags.iter().map(|d| (Severity::Error, None, d)).collect();
    match format {
        Format::Json => {
            if let Err(e) = out(&json_report(file, source, &items)) {
                return Failure::Failed(e);
            }
        }
        Format::Short => err(&render_all(format, file, source, &items)),
        _ => {
            let mut text = render_all(format, file, source, &items);
            let _ = writeln!(
                text,
                "error: aborting due to {}",
                plural(diags.len(), "previous error")
            );
            err(&text);
        }
    }
    Failure::Failed(None)
}

/// The compiled policy, or its errors printed like `check` prints them.
pub(crate) fn load(o: &Options) -> Result<Compiled, Failure> {
    let fe = front_end(&o.file);
    fe.result
        .map_err(|diags| report_errors(Format::Human, &o.file, &fe.source, &diags))
}

fn check(o: &Options) -> Result<(), Failure> {
    let format = o.format.unwrap_or(Format::Human);
    let fe = front_end(&o.file);
    match fe.result {
        Ok(compiled) => match format {
            Format::Json => out(&json_report(&o.file, &fe.source, &[])).map_err(Failure::Failed),
            _ => out(&format!(
                "{}: no errors ({}, {} architectures)\n",
                shown(&o.file),
                plural(compiled.policy.caps.len(), "cap"),
                compiled.arches.len()
            ))
            .map_err(Failure::Failed),
        },
        Err(diags) => Err(report_errors(format, &o.file, &fe.source, &diags)),
    }
}

fn lint_cmd(o: &Options) -> Result<(), Failure> {
    let format = o.format.unwrap_or(Format::Human);
    let fe = front_end(&o.file);
    let compiled = match fe.result {
        Ok(c) => c,
        Err(diags) => return Err(report_errors(format, &o.file, &fe.source, &diags)),
    };
    let checked = allow_in_source(&fe.source, lint(&compiled));
    let found: Vec<Lint> = checked.reported;
    let allowed = checked.allowed.len();
    let items: Vec<(Severity, Option<&str>, &Diagnostic)> = found
        .iter()
        .map(|l| (Severity::Warning, Some(l.kind.name()), &l.diagnostic))
        .collect();
    match format {
        Format::Json => out(&json_report(&o.file, &fe.source, &items)).map_err(Failure::Failed)?,
        _ if found.is_empty() => out(&format!(
            "{}: no warnings{}\n",
            shown(&o.file),
            allowed_note(allowed)
        ))
        .map_err(Failure::Failed)?,
        _ => {
            let mut text = render_all(format, &o.file, &fe.source, &items);
            if format == Format::Human {
                let _ = writeln!(
                    text,
                    "warning: {} has {}{}",
                    quoted(&o.file).max(PATH_MAX),
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

/// The one architecture asked for, or this machine's.
pub(crate) fn one_arch(sub: Sub, o: &Options) -> Result<Arch, Failure> {
    match (o.arches.first(), Arch::NATIVE) {
        (Some(a), _) => Ok(*a),
        (None, Some(a)) => Ok(a),
        (None, None) => Err(usage(
            sub,
            "this machine's architecture is not supported: give `--arch`",
        )),
    }
}

pub(crate) fn arch_rules(compiled: &Compiled, arch: Arch) -> Result<&ArchRules, Failure> {
    compiled
        .arches
        .iter()
        .find(|a| a.arch == arch)
        .ok_or_else(|| failed(format!("error: the policy was not lowered for {arch}")))
}

/// The cap mask of the names given.
pub(crate) fn cap_bits(sub: Sub, compiled: &Compiled, names: &[String]) -> Result<u64, Failure> {
    let known: Vec<&str> = compiled
        .policy
        .caps
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let mut bits = 0u64;
    for name in names {
        match known.iter().position(|k| k == name).and_then(cap_bit) {
            Some(bit) => bits |= bit,
            _ => {
                let hint = match suggest::did_you_mean(name, known.iter().copied()) {
                    Some(good) => format!("; did you mean `{good}`?"),
                    None => String::new(),
                };
                let list = if known.is_empty() {
                    "the policy defines none".to_owned()
                } else {
                    format!("known: {}", known.join(", "))
                };
                return Err(usage(
                    sub,
                    format!("unknown capability {} ({list}){hint}", quoted(name)),
                ));
            }
        }
    }
    Ok(bits)
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

/// The program of `arch` for `caps`, as the macro's `program` builds it
/// (with execve added when asked, as the sandbox's spawn path does).
pub(crate) fn program(
    rules: &ArchRules,
    caps: u64,
    allow_execve: bool,
) -> Result<Vec<SockFilter>, Failure> {
    let extra = if allow_execve {
        spawn_rules(rules.arch)
    } else {
        RuleSet::EMPTY
    };
    rules
        .with_policy(|p| {
            p.program::<BPF_MAXINSNS>(caps, extra, p.default)
                .map(|prog| prog.as_slice().to_vec())
        })
        .map_err(|e| {
            failed(format!(
                "error: cannot build the {} program: {e}",
                rules.arch
            ))
        })
}

fn show(o: &Options) -> Result<(), Failure> {
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

fn disasm(o: &Options) -> Result<(), Failure> {
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
        Some(&(name, nr)) => Ok((nr, Some(name))),
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

fn simulate(o: &Options) -> Result<(), Failure> {
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
                    return Err(usage(
                        Sub::Simulate,
                        format!(
                            "argument {} is neither an integer nor a constant known on {arch}",
                            quoted(text)
                        ),
                    ))
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

fn explain(o: &Options) -> Result<(), Failure> {
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
                    shown(&o.file),
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

/// The instructions as the kernel's `struct sock_filter` array, in the
/// architecture's byte order.
pub fn bpf_bytes(arch: Arch, prog: &[SockFilter]) -> Vec<u8> {
    let le = arch.is_little_endian();
    let mut bytes = Vec::with_capacity(prog.len() * 8);
    for i in prog {
        if le {
            bytes.extend(i.code.to_le_bytes());
        } else {
            bytes.extend(i.code.to_be_bytes());
        }
        bytes.push(i.jt);
        bytes.push(i.jf);
        if le {
            bytes.extend(i.k.to_le_bytes());
        } else {
            bytes.extend(i.k.to_be_bytes());
        }
    }
    bytes
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

    #[test]
    fn bpf_bytes_follow_the_byte_order() {
        let p = [SockFilter::jump(0x15, 0xc000_003e, 1, 2)];
        assert_eq!(
            bpf_bytes(Arch::X86_64, &p),
            [0x15, 0, 1, 2, 0x3e, 0, 0, 0xc0]
        );
        assert_eq!(
            bpf_bytes(Arch::S390x, &p),
            [0, 0x15, 1, 2, 0xc0, 0, 0, 0x3e]
        );
    }
}
