//! `export`: a cap set's filter in the forms other tools load.
//!
//! - `bpf`: the program itself, one architecture's.
//! - `oci` and `kubelet`: the OCI runtime specification's `linux.seccomp`
//!   profile ([`oci`]), which runtimes hand to libseccomp; `kubelet` is the
//!   same file, with the notes of where a node keeps it.
//! - `k8s`: the same profile as a security-profiles-operator
//!   `SeccompProfile` resource ([`k8s_resource`]).
//! - `systemd`: a drop-in with `SystemCallFilter=` ([`systemd_dropin`]),
//!   which holds names only: what depends on arguments is refused there.
//!
//! Every format but `bpf` allows `execve` and `execveat`
//! ([`oci::RUNTIME_EXEC`]): the runtime, or the service manager, loads the
//! filter and then execs the program.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::IsTerminal as _;

use seccomp_policy_compiler::lower::{ArchRules, LoweredRule};
use seccomp_policy_compiler::model::Loc;
use seccomp_policy_compiler::Compiled;
use seccomp_policy_core::policy::has_cap;
use seccomp_policy_core::rule::Action;
use seccomp_policy_core::text::{quoted, shown, PATH_MAX};
use seccomp_policy_core::{errno, syscalls, Arch};
use seccomp_policy_lint_export::oci;

use crate::args::{Format, Options, Sub};
use crate::describe;
use crate::load::{arch_rules, bpf_bytes, cap_bits, load, one_arch, program};
use crate::outcome::Failure;
use crate::output::{failed, usage};

fn err(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// `export FILE --format F`.
pub fn export(o: &Options) -> Result<(), Failure> {
    let compiled = load(o)?;
    let caps = cap_bits(Sub::Export, &compiled, &o.caps)?;
    match o.format {
        Some(Format::Bpf) => {
            let arch = one_arch(Sub::Export, o)?;
            let prog = program(arch_rules(&compiled, arch)?, caps, o.allow_execve)?;
            write_output(o, &bpf_bytes(arch, &prog), true)
        }
        Some(Format::Systemd) => {
            let arch = one_arch(Sub::Export, o)?;
            let dropin = systemd_dropin(&compiled, arch_rules(&compiled, arch)?, caps, o)?;
            write_output(o, dropin.text.as_bytes(), false)?;
            if !dropin.notes.is_empty() {
                let mut text = String::from(
                    "note: the drop-in holds system call names only; where the policy decides \
                     by more, it refuses rather than allows:\n",
                );
                for n in &dropin.notes {
                    let _ = writeln!(text, "  {n}");
                }
                err(&text);
            }
            note_reach_not_exported(&compiled, caps, Format::Systemd);
            Ok(())
        }
        Some(format) => {
            let name = if format == Format::K8s {
                Some(resource_name(o, &compiled, caps)?)
            } else {
                None
            };
            let arches = profile_arches(&compiled, o, caps, format)?;
            let profile = oci::build(&compiled, &arches, caps, None, oci::RUNTIME_EXEC)
                .map_err(|e| failed(format!("error: {}\nhelp: {}", e.message, e.help)))?;
            let text = match name {
                Some(name) => k8s_resource(&profile, &name, &header(o, &compiled, caps, &arches))
                    .map_err(|e| failed(format!("error: {e}")))?,
                None => profile.to_json(),
            };
            write_output(o, text.as_bytes(), false)?;
            err(&runtime_note(format));
            note_reach_not_exported(&compiled, caps, format);
            Ok(())
        }
        None => Err(usage(Sub::Export, "`export` needs `--format`")),
    }
}

fn write_output(o: &Options, bytes: &[u8], binary: bool) -> Result<(), Failure> {
    match &o.output {
        Some(path) if path != "-" => std::fs::write(path, bytes).map_err(|e| {
            failed(format!(
                "error: cannot write {}: {e}",
                quoted(path).max(PATH_MAX)
            ))
        }),
        _ => {
            if binary && std::io::stdout().is_terminal() {
                return Err(usage(
                    Sub::Export,
                    "the BPF program is binary: redirect stdout or give `-o FILE`",
                ));
            }
            crate::output::out_bytes(bytes).map_err(Failure::Failed)
        }
    }
}

/// The architectures of a profile: those asked for, or every one the
/// profile can serve, with a note naming the others and why.
///
/// Asked for none, the candidates are this machine's architecture, then
/// the others whose names every runtime knows
/// ([`oci::named_by_every_runtime`]: a runtime refuses a profile naming
/// one it does not); each is taken if the profile can say its rules and
/// they agree with those taken before ([`oci::expressible`]).
fn profile_arches(
    compiled: &Compiled,
    o: &Options,
    caps: u64,
    format: Format,
) -> Result<Vec<Arch>, Failure> {
    if format == Format::K8s {
        if let Some(a) = o.arches.iter().find(|a| !in_crd(**a)) {
            return Err(failed(format!(
                "error: the SeccompProfile resource has no name for {a}: its \
                 `architectures` take the names of the security-profiles-operator's \
                 v1beta1 schema, which lacks {}\nhelp: export it as `--format kubelet` \
                 and install the file on the nodes",
                oci::arch_name(*a)
            )));
        }
    }
    if !o.arches.is_empty() {
        return Ok(o.arches.clone());
    }
    let mut candidates: Vec<Arch> = Arch::NATIVE.into_iter().collect();
    let mut left_out: Vec<(Arch, String)> = Vec::new();
    for a in Arch::ALL {
        if candidates.contains(&a) {
            continue;
        }
        if oci::named_by_every_runtime(a) {
            candidates.push(a);
        } else {
            left_out.push((
                a,
                format!(
                    "not every runtime knows its name, {} (new in the OCI runtime \
                     specification {}), and one that does not refuses the whole profile",
                    oci::arch_name(a),
                    if a == Arch::Riscv64 { "1.1.0" } else { "1.2.1" }
                ),
            ));
        }
    }
    let selection = oci::expressible(compiled, &candidates, caps, None, oci::RUNTIME_EXEC);
    left_out.extend(selection.left_out);
    left_out.sort_by_key(|(a, _)| Arch::ALL.iter().position(|b| b == a));
    if selection.arches.is_empty() {
        let mut text =
            String::from("error: no architecture's rules can be written as a profile:\n");
        for (a, why) in &left_out {
            let _ = writeln!(text, "  {a}: {why}");
        }
        text.push_str("help: export the raw program (`--format bpf`) instead");
        return Err(failed(text));
    }
    let mut text = format!(
        "note: the profile covers {}; not:\n",
        selection
            .arches
            .iter()
            .map(|a| a.name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (a, why) in &left_out {
        let _ = writeln!(text, "  {a}: {why}");
    }
    text.push_str(
        "help: `--arch A` exports a profile for the architectures named (the \
         runtime's own is always in its filter: load a profile only where it lists \
         that architecture)\n",
    );
    err(&text);
    Ok(selection.arches)
}

/// What every profile's user should know: the exec it allows, and when
/// the runtime loads it.
fn runtime_note(format: Format) -> String {
    let nnp = match format {
        Format::K8s | Format::Kubelet => {
            "give the container `allowPrivilegeEscalation: false` (no_new_privs)"
        }
        _ => {
            "run the container with `\"noNewPrivileges\": true` (Docker: \
             `--security-opt no-new-privileges`; Kubernetes: \
             `allowPrivilegeEscalation: false`)"
        }
    };
    let mut text = format!(
        "note: execve and execveat are allowed: the runtime loads the profile, then \
         execs the container's program\n\
         help: {nnp}: only then does the runtime load the profile right before that \
         exec; otherwise it loads it before it drops capabilities and changes user, \
         and the calls it makes for that are refused\n"
    );
    match format {
        Format::Kubelet => text.push_str(
            "help: copy the file to each node's /var/lib/kubelet/seccomp/ (say as \
             NAME.json) and give pods `seccompProfile: {type: Localhost, \
             localhostProfile: NAME.json}`\n",
        ),
        Format::K8s => text.push_str(
            "help: `kubectl apply -f` it where the security-profiles-operator runs; \
             its `status.localhostProfile` is the path pods give as \
             `seccompProfile: {type: Localhost, localhostProfile: PATH}`\n",
        ),
        _ => {}
    }
    text
}

/// A note on stderr when the granted tables confine files or ports: the
/// exported filter holds system call rules only, and the tools that load
/// it confine files and ports in their own ways.
fn note_reach_not_exported(compiled: &Compiled, caps: u64, format: Format) {
    let granted = compiled
        .policy
        .tables()
        .enumerate()
        .filter(|(i, _)| *i == 0 || has_cap(caps, i - 1));
    let names: Vec<String> = granted
        .filter(|(_, (_, t))| t.reach.fs.is_some() || t.reach.net.is_some())
        .map(|(_, (name, _))| name)
        .collect();
    if names.is_empty() {
        return;
    }
    let (what, help) = match format {
        Format::Systemd => (
            "a drop-in's SystemCallFilter= holds system call names only",
            "confine files with ReadOnlyPaths=, ReadWritePaths= and \
             TemporaryFileSystem=, and ports with SocketBindAllow= and IPAddressAllow=",
        ),
        _ => (
            "a seccomp profile holds system call rules only",
            "confine files with the runtime's mounts (read-only binds of the system, \
             a writable work directory) and ports with its network settings",
        ),
    };
    err(&format!(
        "note: the `fs` and `net` tables of {} are not exported: {what}\nhelp: {help}\n",
        names.join(", ")
    ));
}

/// The caps granted, by name.
fn cap_names(compiled: &Compiled, caps: u64) -> Vec<&str> {
    compiled
        .policy
        .caps
        .iter()
        .enumerate()
        .filter(|(i, _)| *i < 64 && caps & (1 << i) != 0)
        .map(|(_, c)| c.name.as_str())
        .collect()
}

/// The comment lines that say what a file was made from.
fn header(o: &Options, compiled: &Compiled, caps: u64, arches: &[Arch]) -> String {
    let names = cap_names(compiled, caps);
    format!(
        "# seccomp-policy export of {}, caps: {}, for {}.\n",
        shown(crate::load::display_name(&o.file)),
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        },
        arches
            .iter()
            .map(|a| a.name())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Whether the security-profiles-operator's `SeccompProfile` (v1beta1)
/// names `arch` (its schema's enum of `architectures`).
fn in_crd(arch: Arch) -> bool {
    arch != Arch::Loongarch64
}

/// Whether `name` is a Kubernetes object name (an RFC 1123 subdomain:
/// lower-case letters, digits, `-` and `.`, starting and ending with a
/// letter or digit, at most 253 characters).
pub fn is_object_name(name: &str) -> bool {
    let ok_end = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    name.len() <= 253
        && ok_end(name.chars().next())
        && ok_end(name.chars().last())
        && name.split('.').all(|label| {
            ok_end(label.chars().next())
                && ok_end(label.chars().last())
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// `--name`, or the file's stem and the caps in lower case
/// (`seccomp-file-io-ssrf`; `seccomp-base` without caps).
fn resource_name(o: &Options, compiled: &Compiled, caps: u64) -> Result<String, Failure> {
    let name = match &o.name {
        Some(n) => n.clone(),
        None => {
            let stem = std::path::Path::new(&o.file)
                .file_stem()
                .filter(|_| o.file != "-")
                .and_then(|s| s.to_str())
                .unwrap_or("seccomp-policy");
            let mut parts = vec![stem.to_owned()];
            let names = cap_names(compiled, caps);
            if names.is_empty() {
                parts.push("base".to_owned());
            }
            parts.extend(names.iter().map(|n| (*n).to_owned()));
            let raw = parts.join("-").to_ascii_lowercase();
            let mut name: String = raw
                .chars()
                .map(|c| {
                    if c.is_ascii_lowercase() || c.is_ascii_digit() {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            while name.contains("--") {
                name = name.replace("--", "-");
            }
            let name = name.trim_matches('-');
            let name: String = name.chars().take(253).collect();
            name.trim_end_matches('-').to_owned()
        }
    };
    if is_object_name(&name) {
        Ok(name)
    } else {
        Err(usage(
            Sub::Export,
            format!(
                "{} is not a Kubernetes object name (lower-case letters, digits, `-` and \
                 `.`, at most 253); give one with `--name`",
                quoted(&name)
            ),
        ))
    }
}

/// The API version of the resource `--format k8s` writes.
pub const SPO_API_VERSION: &str = "security-profiles-operator.x-k8s.io/v1beta1";

/// `profile` as a security-profiles-operator `SeccompProfile` resource
/// named `name`, in YAML, after the comment lines `header`.
///
/// # Errors
///
/// What its schema cannot hold: a default errno other than `EPERM` (it
/// has no `defaultErrnoRet`, and runtimes answer `EPERM` without one), an
/// argument value past `i64::MAX` (its `value` and `valueTwo` are
/// `int64`), an architecture it does not name.
pub fn k8s_resource(profile: &oci::Profile, name: &str, header: &str) -> Result<String, String> {
    let (default, default_errno) = oci::action_name(profile.default);
    if let Some(e) = default_errno {
        if e != 1 {
            return Err(format!(
                "the default action is errno {e}, and a SeccompProfile cannot say which \
                 errno its default returns (it has no defaultErrnoRet: runtimes return \
                 EPERM)\nhelp: export it as `--format kubelet` and install the file on \
                 the nodes"
            ));
        }
    }
    if let Some(a) = profile.arches.iter().find(|a| !in_crd(**a)) {
        return Err(format!(
            "the SeccompProfile schema has no name for {a} ({})",
            oci::arch_name(*a)
        ));
    }
    let q = crate::json::string;
    let mut out = String::from(header);
    let _ = writeln!(out, "apiVersion: {SPO_API_VERSION}");
    out.push_str("kind: SeccompProfile\nmetadata:\n");
    let _ = writeln!(out, "  name: {}", q(name));
    out.push_str("spec:\n");
    let _ = writeln!(out, "  defaultAction: {}", q(default));
    out.push_str("  architectures:\n");
    for a in &profile.arches {
        let _ = writeln!(out, "  - {}", q(&oci::arch_name(*a)));
    }
    out.push_str("  syscalls:\n");
    for (entry, names) in &profile.syscalls {
        let _ = writeln!(out, "  - action: {}", q(entry.action.0));
        if let Some(e) = entry.action.1 {
            let _ = writeln!(out, "    errnoRet: {e}");
        }
        out.push_str("    names:\n");
        for n in names {
            let _ = writeln!(out, "    - {}", q(n));
        }
        if !entry.args.is_empty() {
            out.push_str("    args:\n");
            for c in &entry.args {
                if i64::try_from(c.value).is_err() || i64::try_from(c.value_two).is_err() {
                    return Err(format!(
                        "`{}` compares argument {} with {:#x}, which the SeccompProfile \
                         schema cannot hold (its values are int64)\nhelp: export it as \
                         `--format kubelet` and install the file on the nodes",
                        names[0],
                        c.index,
                        c.value.max(c.value_two)
                    ));
                }
                let _ = writeln!(out, "    - index: {}", c.index);
                let _ = writeln!(out, "      op: {}", q(c.op));
                let _ = writeln!(out, "      value: {}", c.value);
                let _ = writeln!(out, "      valueTwo: {}", c.value_two);
            }
        }
    }
    Ok(out)
}

/// What a drop-in does with a call that the policy does not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    /// Kill the process (systemd's default, `SystemCallErrorNumber=` empty).
    Kill,
    /// Return this errno.
    Errno(u16),
}

/// A drop-in's text and what it could not say exactly.
pub struct Dropin {
    /// The drop-in, ending in a newline.
    pub text: String,
    /// One line for each rule it refuses more than the policy does, or
    /// refuses in another way, and what it did.
    pub notes: Vec<String>,
}

/// How a call ends under the drop-in: allowed, or refused.
fn refusal_of(action: Action) -> Option<Refusal> {
    match action {
        Action::Allow | Action::Log => None,
        Action::Errno(e) => Some(Refusal::Errno(e)),
        Action::KillProcess | Action::KillThread | Action::Trap | Action::Notify => {
            Some(Refusal::Kill)
        }
    }
}

fn words(arch: Arch, r: Option<Refusal>) -> String {
    match r {
        None => "allowed".to_owned(),
        Some(Refusal::Kill) => "killed".to_owned(),
        Some(Refusal::Errno(e)) => {
            format!("refused with {}", describe::action(arch, Action::Errno(e)))
        }
    }
}

fn errno_text(arch: Arch, e: u16) -> String {
    errno::name(arch, e).map_or_else(|| e.to_string(), str::to_owned)
}

/// Names joined into lines of `key=` values of at most about 76 columns.
fn wrapped(key: &str, items: &[String]) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for item in items {
        if !line.is_empty() && key.len() + line.len() + item.len() + 1 > 76 {
            let _ = writeln!(out, "{key}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(item);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{key}{line}");
    }
    out
}

/// The policy for `arch` and the caps `caps` as a systemd drop-in: an
/// allow list of the calls the policy allows whatever their arguments
/// (and execve and execveat, which the service manager makes after it
/// loads the filter), a refusal for every other call, and
/// `SystemCallArchitectures=native`.
///
/// systemd's `SystemCallFilter=` takes names, one action for the calls it
/// does not list (`SystemCallErrorNumber=`: an errno, or killing the
/// process) and an errno per listed call (`~NAME:ERRNO`, which systemd
/// 248 and later also honour in an allow list; older ones give such a call
/// the default refusal). It never allows more than the policy:
///
/// - a call the policy decides by its arguments gets what the policy does
///   when no condition holds (a call allowed only under conditions is
///   refused), and a refusal in place of that where the policy would allow
///   it otherwise but refuses it under a condition;
/// - `kill-thread`, `trap` and `notify` kill the process (`trap` cannot be
///   caught; no supervisor answers `notify`); `log` allows without the log.
///
/// # Errors
///
/// A default that allows (`allow`, `log`: an allow list refuses every
/// call it does not name), or the errno 0 as the default (systemd's is 1
/// to 4095).
fn systemd_dropin(
    compiled: &Compiled,
    rules: &ArchRules,
    caps: u64,
    o: &Options,
) -> Result<Dropin, Failure> {
    let arch = rules.arch;
    let texts = describe::rule_texts(compiled);
    let mut notes = Vec::new();
    let default = match rules.default {
        Action::Allow | Action::Log => {
            return Err(failed(format!(
                "error: the policy's default, {}, allows the calls it does not name, and a \
                 systemd allow list refuses them\nhelp: export the raw program (`--format bpf`) \
                 or a profile (`--format oci`)",
                describe::action(arch, rules.default)
            )))
        }
        Action::Errno(0) => {
            return Err(failed(
                "error: the policy's default is errno 0, which systemd's \
                 SystemCallErrorNumber= does not take (1 to 4095)"
                    .to_owned(),
            ))
        }
        a => {
            if matches!(a, Action::KillThread | Action::Trap | Action::Notify) {
                notes.push(format!(
                    "the default, {}: the process is killed",
                    describe::action(arch, a)
                ));
            }
            refusal_of(a).unwrap_or(Refusal::Kill)
        }
    };
    let sets = rules.granted(caps);
    let exec: Vec<u32> = oci::RUNTIME_EXEC
        .iter()
        .filter_map(|n| syscalls::number(arch, n))
        .collect();
    let numbers: BTreeSet<u32> = sets
        .iter()
        .flat_map(|s| s.allow.iter().copied().chain(s.rules.iter().map(|r| r.nr)))
        .chain(exec.iter().copied())
        .collect();
    let mut allow: BTreeSet<&'static str> = BTreeSet::new();
    let mut refused: BTreeMap<&'static str, Refusal> = BTreeMap::new();
    for nr in numbers {
        let Some(name) = syscalls::name(arch, nr) else {
            continue;
        };
        let mine: Vec<&LoweredRule> = sets
            .iter()
            .flat_map(|s| s.rules.iter().filter(|r| r.nr == nr))
            .collect();
        if exec.contains(&nr)
            || sets.iter().any(|s| s.allow.binary_search(&nr).is_ok())
            || mine
                .iter()
                .any(|r| r.when.is_none() && matches!(r.action, Action::Allow))
        {
            allow.insert(name);
            continue;
        }
        // The verdict where no condition holds: the first action without
        // one, else the default.
        let otherwise = mine
            .iter()
            .filter(|r| r.when.is_none())
            .min_by_key(|r| r.order)
            .map_or(rules.default, |r| r.action);
        let mut verdict = refusal_of(otherwise);
        let conditional: Vec<&&LoweredRule> = mine
            .iter()
            .filter(|r| r.when.is_some() && !r.action.same(otherwise))
            .collect();
        if verdict.is_none() {
            // Allowed otherwise, refused under a condition: refused.
            if let Some(r) = conditional
                .iter()
                .filter(|r| refusal_of(r.action).is_some())
                .min_by_key(|r| r.order)
            {
                verdict = refusal_of(r.action);
            }
        }
        if !conditional.is_empty() {
            let said: Vec<String> = conditional
                .iter()
                .map(|r| rule_text(arch, r, &texts))
                .collect();
            notes.push(format!(
                "{name}: the policy decides it by its arguments ({}); here it is {} \
                 whatever they are",
                said.join("; "),
                words(arch, verdict)
            ));
        } else if matches!(
            otherwise,
            Action::KillThread | Action::Trap | Action::Notify
        ) {
            notes.push(format!(
                "{name}: {}; the process is killed",
                describe::action(arch, otherwise)
            ));
        } else if matches!(otherwise, Action::Log) {
            notes.push(format!("{name}: log; allowed without the log"));
        }
        match verdict {
            None => {
                allow.insert(name);
            }
            Some(r) if r == default => {}
            Some(r) => {
                refused.insert(name, r);
            }
        }
    }
    let mut text = header(o, compiled, caps, &[arch]);
    text.push_str(
        "# A systemd drop-in: install it as\n\
         # /etc/systemd/system/UNIT.service.d/seccomp-policy.conf and run\n\
         # `systemctl daemon-reload`. systemd loads the filter right before it\n\
         # execs the service, so execve and execveat are allowed.\n",
    );
    if !notes.is_empty() {
        text.push_str("#\n# Refused where the policy decides by more than the call's name:\n");
        for n in &notes {
            let _ = writeln!(text, "#   {}", n.replace('\n', " "));
        }
    }
    text.push_str(
        "\n[Service]\n\
         # Forget the unit's own filter, start an allow list, and take out the\n\
         # @default group systemd adds to every allow list: the policy decides\n\
         # those calls too.\n\
         SystemCallFilter=\n\
         SystemCallFilter=@default\n\
         SystemCallFilter=~@default\n",
    );
    let allowed: Vec<String> = allow.iter().map(|n| (*n).to_owned()).collect();
    text.push_str(&wrapped("SystemCallFilter=", &allowed));
    if !refused.is_empty() {
        text.push_str("# Refused otherwise than the default:\n");
        let items: Vec<String> = refused
            .iter()
            .map(|(n, r)| match r {
                Refusal::Kill => format!("{n}:kill"),
                Refusal::Errno(e) => format!("{n}:{}", errno_text(arch, *e)),
            })
            .collect();
        text.push_str(&wrapped("SystemCallFilter=~", &items));
    }
    match default {
        Refusal::Kill => text.push_str(
            "# Every other call kills the process (the empty value).\n\
             SystemCallErrorNumber=\n",
        ),
        Refusal::Errno(e) => {
            let _ = writeln!(
                text,
                "# Every other call fails with this errno.\nSystemCallErrorNumber={}",
                errno_text(arch, e)
            );
        }
    }
    text.push_str(
        "# Calls of other ABIs (i386 and x32 on x86_64, ...) are refused.\n\
         SystemCallArchitectures=native\n",
    );
    Ok(Dropin { text, notes })
}

/// A rule as the file writes it (on one line, cut at about 100
/// characters), or as `show` describes it, with its action.
fn rule_text(arch: Arch, r: &LoweredRule, texts: &BTreeMap<Loc, String>) -> String {
    let action = describe::action(arch, r.action);
    match texts.get(&r.loc) {
        Some(t) => {
            let one_line = t.split_whitespace().collect::<Vec<_>>().join(" ");
            let mut cut: String = one_line.chars().take(100).collect();
            if cut.len() < one_line.len() {
                cut.push_str("...");
            }
            format!("{action}: `{}`", shown(&cut))
        }
        None => describe::rule(arch, r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names() {
        for ok in ["seccomp-base", "a", "a.b-c", "x86-64.sql-query"] {
            assert!(is_object_name(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "A", "a_b", "a..b", &"a".repeat(254)] {
            assert!(!is_object_name(bad), "{bad}");
        }
    }

    #[test]
    fn lines_wrap() {
        let items: Vec<String> = (0..30).map(|i| format!("call{i}")).collect();
        let text = wrapped("SystemCallFilter=", &items);
        assert!(text.lines().count() > 1);
        for line in text.lines() {
            assert!(line.len() <= 80, "{line}");
            assert!(line.starts_with("SystemCallFilter="));
        }
        let back: Vec<&str> = text
            .lines()
            .flat_map(|l| l["SystemCallFilter=".len()..].split(' '))
            .collect();
        assert_eq!(back, items);
    }
}
