//! The command line, parsed by hand into a [`Command`]; every mistake is a
//! [`UsageError`] (exit code 2; 125 for `run` and `learn`).

use std::fmt;

use seccomp_policy_core::text::quoted;
use seccomp_policy_core::Arch;

use crate::exit;

/// A subcommand and its options.
#[derive(Debug, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "one is made per run of the tool and moved once; a box would buy nothing"
)]
pub enum Command {
    /// `--help` for the tool or a subcommand.
    Help(Option<Sub>),
    /// `--version`.
    Version,
    /// A subcommand to run.
    Run(Sub, Options),
}

/// The subcommands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sub {
    /// `check FILE`
    Check,
    /// `show FILE`
    Show,
    /// `disasm FILE`
    Disasm,
    /// `explain FILE NAME|NUMBER`
    Explain,
    /// `simulate FILE NAME|NUMBER [ARG]...`
    Simulate,
    /// `export FILE --format bpf|oci|kubelet|k8s|systemd`
    Export,
    /// `lint FILE`
    Lint,
    /// `run FILE [--cap NAME]... [--report OUT] -- COMMAND [ARG]...`
    Run,
    /// `learn FILE [--cap NAME]... [--report OUT] -- COMMAND [ARG]...`
    Learn,
}

impl Sub {
    /// Every subcommand, in the order `--help` lists them.
    pub const ALL: [Sub; 9] = [
        Sub::Check,
        Sub::Show,
        Sub::Disasm,
        Sub::Explain,
        Sub::Simulate,
        Sub::Export,
        Sub::Lint,
        Sub::Run,
        Sub::Learn,
    ];

    /// The subcommand's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Sub::Check => "check",
            Sub::Show => "show",
            Sub::Disasm => "disasm",
            Sub::Explain => "explain",
            Sub::Simulate => "simulate",
            Sub::Export => "export",
            Sub::Lint => "lint",
            Sub::Run => "run",
            Sub::Learn => "learn",
        }
    }

    /// The subcommand of this name.
    pub fn from_name(name: &str) -> Option<Sub> {
        Sub::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Which options the subcommand takes.
    fn takes(self, option: &str) -> bool {
        match option {
            // run and learn run on this machine's architecture only.
            "--arch" => !matches!(self, Sub::Check | Sub::Lint | Sub::Run | Sub::Learn),
            "--cap" => matches!(
                self,
                Sub::Disasm | Sub::Simulate | Sub::Export | Sub::Run | Sub::Learn
            ),
            "--format" => matches!(self, Sub::Check | Sub::Lint | Sub::Export | Sub::Learn),
            "--write" | "--merge" => self == Sub::Learn,
            "--output" | "--name" => self == Sub::Export,
            "--allow-execve" => matches!(self, Sub::Disasm | Sub::Simulate | Sub::Export),
            "--deny-warnings" => self == Sub::Lint,
            "--allow-degraded" | "--var" | "--report" => matches!(self, Sub::Run | Sub::Learn),
            _ => false,
        }
    }

    /// Whether it runs a command, given after `--`.
    pub fn runs_a_command(self) -> bool {
        matches!(self, Sub::Run | Sub::Learn)
    }

    /// Whether `--arch` may be given more than once.
    fn many_arches(self) -> bool {
        matches!(self, Sub::Show | Sub::Explain | Sub::Export)
    }
}

/// Output formats of `check`, `lint` and `export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Diagnostics like rustc's, with the source line (the default).
    Human,
    /// Diagnostics as the macro prints them: one `error: file:line:col:` block each.
    Short,
    /// Diagnostics as a JSON document.
    Json,
    /// `export`: the raw `struct sock_filter` array.
    Bpf,
    /// `export`: an OCI seccomp profile.
    Oci,
    /// `export`: the kubelet's `localhost` profile (an OCI profile, with
    /// the notes of where it goes).
    Kubelet,
    /// `export`: a security-profiles-operator `SeccompProfile` resource.
    K8s,
    /// `export`: a systemd drop-in.
    Systemd,
}

impl Format {
    /// Whether the format holds one architecture's rules.
    pub fn one_arch(self) -> bool {
        matches!(self, Format::Bpf | Format::Systemd)
    }
}

/// Everything after the subcommand's name.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The policy file, as written.
    pub file: String,
    /// `--arch`, in the order given, without repeats.
    pub arches: Vec<Arch>,
    /// `--cap`, split at commas, in the order given.
    pub caps: Vec<String>,
    /// `--format`.
    pub format: Option<Format>,
    /// `-o`/`--output`.
    pub output: Option<String>,
    /// `--name`: the name of an exported Kubernetes resource.
    pub name: Option<String>,
    /// `--allow-execve`.
    pub allow_execve: bool,
    /// `--deny-warnings`.
    pub deny_warnings: bool,
    /// `--allow-degraded`: run on a kernel with less Landlock than the
    /// sandbox needs.
    pub allow_degraded: bool,
    /// `--var NAME=VALUE`, in the order given.
    pub vars: Vec<(String, String)>,
    /// `run` and `learn`: `--report`, the file every denial is written
    /// to, one JSON object a line.
    pub report: Option<String>,
    /// `learn --write OUT`: the policy with the rules learned added.
    pub write: Option<String>,
    /// `learn --merge`: the rules learned added to the policy file itself.
    pub merge: bool,
    /// Positional arguments after the file (explain's and simulate's call).
    pub rest: Vec<String>,
    /// `run` and `learn`: the command and its arguments, everything after
    /// the first `--`.
    pub command: Vec<String>,
}

/// A command line the tool does not understand.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError {
    /// What is wrong.
    pub message: String,
    /// The subcommand whose usage to show, if known.
    pub sub: Option<Sub>,
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UsageError {}

fn usage_error(sub: Option<Sub>, message: impl Into<String>) -> UsageError {
    UsageError {
        message: message.into(),
        sub,
    }
}

/// Whether `arg` is a negative number rather than an option (`-1`).
fn is_negative_number(arg: &str) -> bool {
    arg.strip_prefix('-')
        .and_then(|r| r.chars().next())
        .is_some_and(|c| c.is_ascii_digit())
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command, UsageError> {
    let Some(first) = args.first() else {
        return Err(usage_error(None, "no subcommand given"));
    };
    match first.as_str() {
        "-h" | "--help" => return Ok(Command::Help(None)),
        "-V" | "--version" => return Ok(Command::Version),
        "help" => {
            return match args.get(1) {
                None => Ok(Command::Help(None)),
                Some(name) => match Sub::from_name(name) {
                    Some(sub) => Ok(Command::Help(Some(sub))),
                    None => Err(usage_error(
                        None,
                        format!("unknown subcommand {}", quoted(name)),
                    )),
                },
            }
        }
        _ => {}
    }
    let Some(sub) = Sub::from_name(first) else {
        return Err(usage_error(
            None,
            format!(
                "unknown subcommand {}; expected one of {}",
                quoted(first),
                Sub::ALL.map(Sub::name).join(", ")
            ),
        ));
    };
    let mut o = Options::default();
    let mut positional: Vec<String> = Vec::new();
    let mut i = 1;
    let mut only_positional = false;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if only_positional || !arg.starts_with('-') || arg == "-" || is_negative_number(arg) {
            if sub.runs_a_command() && !positional.is_empty() {
                return Err(usage_error(
                    Some(sub),
                    format!(
                        "unexpected {}: put the command after `--`, as in {}",
                        quoted(arg),
                        quoted(&format!("-- {arg} ..."))
                    ),
                ));
            }
            positional.push(arg.clone());
            continue;
        }
        if arg == "--" {
            if sub.runs_a_command() {
                // The rest is the command's, options included.
                o.command = args[i..].to_vec();
                break;
            }
            only_positional = true;
            continue;
        }
        if arg == "-h" || arg == "--help" {
            return Ok(Command::Help(Some(sub)));
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let name = if name == "-o" {
            "--output".to_owned()
        } else {
            name
        };
        if !sub.takes(&name) {
            return Err(usage_error(
                Some(sub),
                format!("`{}` does not take {}", sub.name(), quoted(&name)),
            ));
        }
        let flag = matches!(
            name.as_str(),
            "--allow-execve" | "--deny-warnings" | "--allow-degraded" | "--merge"
        );
        if flag {
            if inline.is_some() {
                return Err(usage_error(
                    Some(sub),
                    format!("{} takes no value", quoted(&name)),
                ));
            }
            match name.as_str() {
                "--allow-execve" => o.allow_execve = true,
                "--allow-degraded" => o.allow_degraded = true,
                "--merge" => o.merge = true,
                _ => o.deny_warnings = true,
            }
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => {
                // `--cap -- CMD`: the value is missing, not `--`.
                let Some(v) = args.get(i).filter(|v| *v != "--") else {
                    return Err(usage_error(
                        Some(sub),
                        format!("{} needs a value", quoted(&name)),
                    ));
                };
                i += 1;
                v.clone()
            }
        };
        match name.as_str() {
            "--arch" => {
                for part in value.split(',') {
                    let arch = parse_arch(part).map_err(|m| usage_error(Some(sub), m))?;
                    if !o.arches.contains(&arch) {
                        o.arches.push(arch);
                    }
                }
                if o.arches.len() > 1 && !sub.many_arches() {
                    return Err(usage_error(
                        Some(sub),
                        format!("`{}` takes one `--arch`", sub.name()),
                    ));
                }
            }
            "--cap" => {
                for part in value.split(',') {
                    let part = part.trim();
                    if part.is_empty() {
                        return Err(usage_error(Some(sub), "`--cap` needs a capability name"));
                    }
                    o.caps.push(part.to_owned());
                }
            }
            "--format" => {
                let f = match (sub, value.as_str()) {
                    (Sub::Export, "bpf") => Format::Bpf,
                    (Sub::Export, "oci") => Format::Oci,
                    (Sub::Export, "kubelet") => Format::Kubelet,
                    (Sub::Export, "k8s") => Format::K8s,
                    (Sub::Export, "systemd") => Format::Systemd,
                    (Sub::Check | Sub::Lint, "human") => Format::Human,
                    (Sub::Check | Sub::Lint, "short") => Format::Short,
                    (Sub::Check | Sub::Lint | Sub::Learn, "json") => Format::Json,
                    (Sub::Learn, "human") => Format::Human,
                    _ => {
                        let known = match sub {
                            Sub::Export => EXPORT_FORMATS,
                            Sub::Learn => "human, json",
                            _ => "human, short, json",
                        };
                        return Err(usage_error(
                            Some(sub),
                            format!(
                                "unknown format {} for `{}`; expected one of {known}",
                                quoted(&value),
                                sub.name()
                            ),
                        ));
                    }
                };
                o.format = Some(f);
            }
            "--output" => o.output = Some(value),
            "--name" => o.name = Some(value),
            "--var" => {
                let Some((name, val)) = value.split_once('=').filter(|(n, _)| !n.is_empty()) else {
                    return Err(usage_error(
                        Some(sub),
                        format!("`--var {}` is not `NAME=VALUE`", value.escape_debug()),
                    ));
                };
                let name = name.strip_prefix('$').unwrap_or(name);
                o.vars.push((name.to_owned(), val.to_owned()));
            }
            "--report" => o.report = Some(value),
            "--write" => o.write = Some(value),
            _ => unreachable_option(sub, &name)?,
        }
    }
    let mut positional = positional.into_iter();
    let Some(file) = positional.next() else {
        return Err(usage_error(Some(sub), "no policy file given"));
    };
    o.file = file;
    o.rest = positional.collect();
    if o.merge && o.write.is_some() {
        return Err(usage_error(
            Some(sub),
            "`--write` and `--merge` are one or the other",
        ));
    }
    if sub.runs_a_command() && o.command.is_empty() {
        return Err(usage_error(
            Some(sub),
            format!("`{}` needs a command after `--`", sub.name()),
        ));
    }
    let rest_ok = match sub {
        Sub::Explain => o.rest.len() == 1,
        Sub::Simulate => (1..=7).contains(&o.rest.len()),
        _ => o.rest.is_empty(),
    };
    if !rest_ok {
        let what = match sub {
            Sub::Explain => "one syscall name or number after the file".to_owned(),
            Sub::Simulate => {
                "a syscall name or number and at most six arguments after the file".to_owned()
            }
            _ => format!(
                "only the policy file, found {} too",
                quoted(&o.rest.join(" "))
            ),
        };
        return Err(usage_error(
            Some(sub),
            format!("`{}` takes {what}", sub.name()),
        ));
    }
    if sub == Sub::Export {
        let Some(format) = o.format else {
            return Err(usage_error(
                Some(sub),
                format!("`export` needs `--format` ({EXPORT_FORMATS})"),
            ));
        };
        let name = match format {
            Format::Bpf => "bpf",
            Format::Systemd => "systemd",
            _ => "",
        };
        if format.one_arch() && o.arches.len() > 1 {
            return Err(usage_error(
                Some(sub),
                format!("`--format {name}` holds one architecture's rules: give one `--arch`"),
            ));
        }
        if o.name.is_some() && format != Format::K8s {
            return Err(usage_error(
                Some(sub),
                "`--name` names a Kubernetes resource: it is for `--format k8s`",
            ));
        }
    }
    Ok(Command::Run(sub, o))
}

/// `takes` admitted an option this function does not handle: a bug, which
/// is reported as a usage error rather than a panic.
fn unreachable_option(sub: Sub, name: &str) -> Result<(), UsageError> {
    Err(usage_error(
        Some(sub),
        format!("option {} is not handled", quoted(name)),
    ))
}

/// `export`'s formats, as `--format` takes them.
const EXPORT_FORMATS: &str = "bpf, oci, kubelet, k8s, systemd";

/// Other names of the architectures, as other tools spell them: Debian's
/// (`dpkg --print-architecture`), Docker's and Go's (`GOARCH`), the
/// kernel's and `uname -m`'s, and systemd's (`SystemCallArchitectures=`).
/// libseccomp's names, and the OCI profiles' `SCMP_ARCH_*`, are
/// [`Arch::libseccomp_name`]'s.
pub const ARCH_ALIASES: &[(&str, Arch)] = &[
    ("amd64", Arch::X86_64),
    ("x86-64", Arch::X86_64),
    ("i386", Arch::X86),
    ("i486", Arch::X86),
    ("i586", Arch::X86),
    ("i686", Arch::X86),
    ("386", Arch::X86),
    ("arm64", Arch::Aarch64),
    ("armhf", Arch::Arm),
    ("armel", Arch::Arm),
    ("armv7l", Arch::Arm),
    ("ppc64el", Arch::Ppc64le),
    ("powerpc64le", Arch::Ppc64le),
    ("ppc64-le", Arch::Ppc64le),
    ("mips64le", Arch::Mips64el),
    ("mips64-le", Arch::Mips64el),
    ("loong64", Arch::Loongarch64),
];

/// An architecture by its name (`x86_64`, `aarch64`, ...), libseccomp's
/// (`mipsel64`), an OCI profile's (`SCMP_ARCH_X86_64`), or another tool's
/// ([`ARCH_ALIASES`]: `amd64`, `arm64`, `armhf`, `ppc64el`, ...); case
/// does not matter.
pub fn parse_arch(name: &str) -> Result<Arch, String> {
    let given = name.trim();
    let lower = given.to_ascii_lowercase();
    let bare = lower.strip_prefix("scmp_arch_").unwrap_or(&lower);
    Arch::from_name(bare)
        .or_else(|| Arch::ALL.into_iter().find(|a| a.libseccomp_name() == bare))
        .or_else(|| {
            ARCH_ALIASES
                .iter()
                .find(|(alias, _)| *alias == bare)
                .map(|(_, a)| *a)
        })
        .ok_or_else(|| {
            format!(
                "unknown architecture {}; expected one of {} (or another tool's name for \
                 one: {}, SCMP_ARCH_X86_64, ...)",
                quoted(given),
                Arch::ALL.map(Arch::name).join(", "),
                ARCH_ALIASES
                    .iter()
                    .map(|(alias, _)| *alias)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// The usage text of the tool, or of one subcommand. The exit codes in it
/// are [`exit`]'s.
pub fn help(sub: Option<Sub>) -> String {
    let (ok, failed, usage) = (exit::OK, exit::FAILED, exit::USAGE);
    let (tool_failed, cannot_execute, not_found) =
        (exit::TOOL_FAILED, exit::CANNOT_EXECUTE, exit::NOT_FOUND);
    let killed = exit::KILLED_BY_POLICY;
    let Some(sub) = sub else {
        return format!(
            "\
seccomp-policy: check, inspect and export TOML syscall policies

usage: seccomp-policy <SUBCOMMAND> FILE [OPTIONS]
       seccomp-policy run|learn FILE [--cap NAME]... [--report OUT] -- COMMAND [ARG]...

subcommands:
  check     report the policy's errors, as the seccomp_policy! macro would
  show      per architecture: the numbers of each table, the names skipped, the rules
  disasm    the BPF program of an architecture and cap set, one instruction a line
  explain   which tables decide a syscall, how, on which architectures
  simulate  the verdict of one call, and the path it takes through the program
  export    the filter as raw BPF, an OCI or Kubernetes seccomp profile, or a systemd drop-in
  lint      checks that are not errors: split syscall families, dead rules, idle caps
  run       run a command under the policy, naming every call refused in its process tree
  learn     run a command with nothing enforced; list the calls it needed beyond its caps

options for every subcommand: -h, --help
`seccomp-policy help SUBCOMMAND` or `seccomp-policy SUBCOMMAND --help` for more.

exit codes:
  {ok}    done (check: no errors; lint: no warnings, or warnings without --deny-warnings)
  {failed}    the policy has errors or cannot be read, the program cannot be built,
       the output cannot be written, or lint --deny-warnings found warnings
  {usage}    usage error: unknown subcommand, option, architecture, cap or syscall
run and learn exit as env and timeout do, never {failed} or {usage} of their own:
  {tool_failed}  run or learn itself failed: a usage error, the policy has errors or
       cannot be read, the program cannot be built, the supervisor cannot start
  {cannot_execute}  COMMAND was found but cannot be executed (not executable, a directory, ...)
  {not_found}  COMMAND was not found
  N    otherwise COMMAND's own status; 128 + N when signal N ended it,
       {killed} (128 + SIGSYS) when the policy killed it (see `seccomp-policy run --help`)
"
        );
    };
    match sub {
        Sub::Check => format!(
            "\
usage: seccomp-policy check FILE [--format human|short|json]

Reports every error of the policy, all at once, as the seccomp_policy! macro
does: file:line:col, the message, notes and help.

  --format human   like rustc, with the line and a caret under the column (default)
  --format short   one block per error, exactly as the macro prints it
  --format json    one JSON document on stdout: {{\"file\", \"errors\", \"warnings\", \"diagnostics\": [...]}}

exit: {ok} no errors, {failed} errors, {usage} usage
"
        ),
        Sub::Show => format!(
            "\
usage: seccomp-policy show FILE [--arch A]...

Per architecture (all, or those given): the default action, each table's
numbers allowed outright, its rules with their conditions (as argument slots)
and actions, and the names that do not exist there.

exit: {ok}, {failed} policy errors, {usage} usage
"
        ),
        Sub::Disasm => format!(
            "\
usage: seccomp-policy disasm FILE [--arch A] [--cap NAME]... [--allow-execve]

The BPF program for an architecture (default: this machine's) and the caps
given (`--cap A --cap B` or `--cap A,B`), one instruction a line: opcode,
jt, jf, k, the instruction with its jump targets as line numbers, and what it
tests (syscall names, argument words, actions). --allow-execve adds execve
as the sandbox's spawn path does.

exit: {ok}, {failed} policy errors or a program that cannot be built, {usage} usage
"
        ),
        Sub::Explain => format!(
            "\
usage: seccomp-policy explain FILE NAME|NUMBER [--arch A]...

Which tables decide the syscall (allowed outright, allowed under a
condition, or an action), on which architectures (all, or those given), and
its number on each. A NUMBER is looked up on each architecture.

exit: {ok}, {failed} policy errors, {usage} usage (unknown syscall)
"
        ),
        Sub::Simulate => format!(
            "\
usage: seccomp-policy simulate FILE [--arch A] [--cap NAME]... NAME|NUMBER [ARG]...

Runs the program of the architecture (default: this machine's) and caps on
one call and prints the verdict and every instruction executed. ARGs are
integers (42, 0x5412, -1) or constants of the policy language (TIOCSTI,
AF_INET); missing ones are 0.

exit: {ok} (whatever the verdict), {failed} policy errors, {usage} usage
"
        ),
        Sub::Export => format!(
            "\
usage: seccomp-policy export FILE --format bpf|oci|kubelet|k8s|systemd [--arch A]...
                             [--cap NAME]... [--name NAME] [-o OUT]

  --format bpf      the raw struct sock_filter array of one architecture
                    (default: this machine's) in its byte order: what
                    bubblewrap's --seccomp FD and systemd-nspawn-style tools load.
                    --allow-execve adds execve, which a tool that installs the
                    filter before it execs the command needs (the sandbox does the same).
  --format oci      an OCI runtime spec linux.seccomp profile (runc, crun, Docker,
                    podman, containerd, CRI-O) for the architectures given or,
                    without --arch, every one a profile can serve (a note on
                    stderr names the others and why); refused where the rules of
                    those given differ (export one per architecture then).
  --format kubelet  the same file, for a node's /var/lib/kubelet/seccomp/ (a
                    pod's `localhostProfile`)
  --format k8s      the same profile as a security-profiles-operator SeccompProfile
                    (security-profiles-operator.x-k8s.io/v1beta1) in YAML, named
                    --name NAME (default: the file's stem and the caps)
  --format systemd  a drop-in for a service: SystemCallFilter= allowing the calls
                    the policy allows whatever their arguments, one architecture
                    (default: this machine's); calls it decides by their arguments
                    are refused, and a note on stderr names them
  -o, --output      write to OUT instead of stdout (bpf is not written to a terminal)

Every format but bpf allows execve and execveat: the runtime or service
manager loads the filter, then execs the program. A runtime loads it right
before that exec only with noNewPrivileges (Kubernetes:
allowPrivilegeEscalation: false); without it, it loads it earlier and
needs more calls than a policy allows.

--arch takes this tool's names (x86_64, aarch64, ...), libseccomp's and OCI
profiles' (SCMP_ARCH_X86_64), and Debian's, Docker's and systemd's (amd64,
arm64, armhf, i386, ppc64el, x86-64, loong64, ...).

exit: {ok}, {failed} policy errors, a program or profile that cannot be made, or a
write error, {usage} usage
"
        ),
        Sub::Lint => format!(
            "\
usage: seccomp-policy lint FILE [--format human|short|json] [--deny-warnings]

Checks that are not errors: split-family (one syscall of a family libc
chooses between is allowed, another is not), never-matches, shadowed-action,
redundant-rule, cap-adds-nothing.

exit: {ok} (warnings are printed), {failed} policy errors or, with --deny-warnings,
any warning, {usage} usage
"
        ),
        Sub::Run => format!(
            "\
usage: seccomp-policy run FILE [--cap NAME]... [--var NAME=VALUE]... [--allow-degraded] [--report OUT] -- COMMAND [ARG]...

Runs COMMAND under FILE's policy for this machine's architecture: its [base]
rules, those of each cap given (`--cap A --cap B` or `--cap A,B`), and the
execve that starts COMMAND. Every process COMMAND starts inherits the filter.
A call the policy refuses never runs: an errno rule fails it with its errno,
anything else kills the process that made it. A supervisor in this process
names each one on stderr as it answers it, anywhere in COMMAND's process
tree, then how COMMAND ended:

  seccomp-policy: denied: PROGRAM [pid N]: SYSCALL(ARGS) on ARCH: CAPS; ANSWER
  seccomp-policy: caps CAPS: `COMMAND` ENDING; LANDLOCK

where CAPS after the call says which caps would allow it (or that none
would), and LANDLOCK what the Landlock domain COMMAND ran in enforced. FILE
is read and checked when the command is run; its errors are reported as
`check` reports them, and nothing runs.

A flood of denials is not written line by line: once a program has had the
same call refused 3 times within a second, later ones are counted, summed up
once a second (`denied: SYSCALL x N more from PROGRAM [pid N] in T s`), at
most 20 lines a second in all, and their totals written at the end
(`denied: SYSCALL x N in all from PROGRAM [pid N] (M shown in full)`).

  --report OUT   also write every denial to OUT (made or truncated before
                 COMMAND starts), one JSON object a line: tid, pid and
                 program (null when the process could not be read), unread
                 (why not, or null), arch, audit_arch, syscall (name or
                 null), nr, args (six integers), allowed_by (granted, caps,
                 no-cap, other-arguments or foreign-entry), caps (the caps
                 that would allow it), answer (killed, errno, continued,
                 gone, kill-failed or undelivered), errno (its name, or
                 null), error (the supervisor's, or null)

COMMAND runs in a Landlock domain, entered before the filter: it cannot
ptrace or read the memory of, signal, or reach the abstract unix sockets
of, any process outside it (this tool included), whatever its uid, and
cannot make device nodes. The `fs` and `net` tables of [base] and the
caps given confine its files beneath the paths they list and its TCP
connect and bind to the ports they list; a refused open or connect fails
with EACCES, which is not named here (the supervisor does not see it).
Their variables take the values of `--var NAME=VALUE` (`--var
PORTS=8080,8443`, `--var WORKDIR=/srv/job`); WORKDIR defaults to the
current directory, TMPDIR to $TMPDIR or /tmp, PORTS to `*` (any). That
needs Landlock ABI 6 (Linux 6.12); on an older kernel, or one without
Landlock, run refuses to start COMMAND unless --allow-degraded is given,
and then runs it with what the kernel has.

COMMAND runs with this tool's standard streams, in a session of its own (no
controlling terminal). SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to this tool
are passed on to COMMAND's process group (a second one kills the group);
when COMMAND ends, whatever it left running in its group is killed. Needs
Linux 6.12 (5.6 with --allow-degraded: seccomp user notification and
pidfd_getfd); no privilege.

exit, as for env and timeout:
  {tool_failed}  this tool failed: a usage error (an unknown cap, no command), FILE
       has errors or cannot be read, the program cannot be built, or the
       supervisor cannot start (on this kernel, or for this user)
  {cannot_execute}  COMMAND was found but cannot be executed: not executable, a
       directory, permission denied, not a format this machine runs
  {not_found}  COMMAND was not found: no such file, not in PATH, or the interpreter
       its #! line names is missing
  N    otherwise COMMAND's own status; 128 + N when signal N ended it;
       {killed} (128 + SIGSYS) when the policy killed it
{tool_failed}, {cannot_execute} and {not_found} come with an `error:` line saying what is wrong. COMMAND
may exit with those itself: only when it ran does stderr end with the
`seccomp-policy: caps` line. {tool_failed} also when COMMAND ran but the supervisor
failed (it kills COMMAND's process group when it cannot refuse a call as the
policy says; no refused call runs), or OUT could not be written: the
`error:` line comes after the `caps` line then.
"
        ),
        Sub::Learn => format!(
            "\
usage: seccomp-policy learn FILE [--cap NAME]... [--var NAME=VALUE]... [--allow-degraded] [--report OUT] [--write POLICY | --merge] [--format human|json] -- COMMAND [ARG]...

Runs COMMAND as `run` does, but KILLS NOTHING: a call the policy would kill
runs; one it refuses with an errno gets that errno, as under `run`, and
COMMAND goes on as it would there. Each syscall COMMAND's process tree
makes beyond the grant ([base], the caps given, and the execve that starts
COMMAND) is counted with the arguments it had; at the end stderr lists
what would have been killed, grouped by the caps that allow every call of
it seen, apart from what was refused with an errno, then the `--cap`
options to add and, for the rest, the narrowest rules that allow every
call seen (by the arguments the policy tells apart for that call, as
`socket(family == AF_UNIX)`), each checked against those calls first.
--write POLICY writes FILE with those rules added to [base]'s `allow`,
its comments and layout kept, once the result is checked to compile and
allow every call seen; --merge writes them into FILE itself. --format json
prints the advice as one JSON object, the last line on stdout. Use it to
find out what a command needs, never to contain one. COMMAND still runs
in the Landlock domain `run` describes (and --allow-degraded is taken as
there): the payload is untrusted even when its calls are not refused.
--report OUT writes, as for `run`, the first call of each syscall beyond
the grant.

exit, as for `run`: {tool_failed} this tool failed (usage, policy errors, no
supervisor, the supervisor failed while COMMAND ran, OUT or POLICY not
written), {cannot_execute} COMMAND was found but cannot be executed, {not_found} COMMAND was not
found; otherwise COMMAND's own status, 128 + N when signal N ended it
"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn caps_repeat_and_split_at_commas() {
        let Ok(Command::Run(Sub::Disasm, o)) =
            parse(&args("disasm p.toml --cap A --cap B,C --arch=aarch64"))
        else {
            panic!()
        };
        assert_eq!(o.caps, ["A", "B", "C"]);
        assert_eq!(o.arches, [Arch::Aarch64]);
        assert_eq!(o.file, "p.toml");
    }

    #[test]
    fn usage_errors() {
        for (line, want) in [
            ("", "no subcommand given"),
            ("frob p.toml", "unknown subcommand `frob`"),
            ("check", "no policy file given"),
            ("check p.toml --cap A", "`check` does not take `--cap`"),
            ("disasm p.toml --arch sparc", "unknown architecture `sparc`"),
            (
                "disasm p.toml --arch x86_64,aarch64",
                "`disasm` takes one `--arch`",
            ),
            (
                "export p.toml",
                "`export` needs `--format` (bpf, oci, kubelet, k8s, systemd)",
            ),
            (
                "export p.toml --format systemd --arch x86_64,aarch64",
                "`--format systemd` holds one architecture's rules: give one `--arch`",
            ),
            (
                "export p.toml --format oci --name p",
                "`--name` names a Kubernetes resource",
            ),
            (
                "export p.toml --format xml",
                "unknown format `xml` for `export`",
            ),
            ("check p.toml extra", "`check` takes only the policy file"),
            ("explain p.toml", "`explain` takes one syscall name"),
            ("simulate p.toml --arch", "`--arch` needs a value"),
            (
                "lint p.toml --deny-warnings=1",
                "`--deny-warnings` takes no value",
            ),
        ] {
            let e = parse(&args(line)).unwrap_err();
            assert!(e.message.starts_with(want), "{line}: {}", e.message);
        }
    }

    #[test]
    fn architectures_by_other_tools_names() {
        for (name, arch) in [
            ("amd64", Arch::X86_64),
            ("x86-64", Arch::X86_64),
            ("SCMP_ARCH_X86_64", Arch::X86_64),
            ("i386", Arch::X86),
            ("SCMP_ARCH_X86", Arch::X86),
            ("arm64", Arch::Aarch64),
            ("AArch64", Arch::Aarch64),
            ("armhf", Arch::Arm),
            ("ppc64el", Arch::Ppc64le),
            ("SCMP_ARCH_PPC64LE", Arch::Ppc64le),
            ("s390x", Arch::S390x),
            ("mipsel64", Arch::Mips64el),
            ("SCMP_ARCH_MIPSEL64", Arch::Mips64el),
            ("loong64", Arch::Loongarch64),
            ("SCMP_ARCH_LOONGARCH64", Arch::Loongarch64),
            ("riscv64", Arch::Riscv64),
        ] {
            assert_eq!(parse_arch(name), Ok(arch), "{name}");
        }
        for arch in Arch::ALL {
            assert_eq!(parse_arch(arch.name()), Ok(arch));
            let scmp = format!("SCMP_ARCH_{}", arch.libseccomp_name().to_uppercase());
            assert_eq!(parse_arch(&scmp), Ok(arch));
        }
        let e = parse_arch("sparc64").unwrap_err();
        assert!(e.contains("amd64, x86-64"), "{e}");
        let Ok(Command::Run(Sub::Export, o)) = parse(&args(
            "export p.toml --format oci --arch amd64,arm64,x86_64",
        )) else {
            panic!()
        };
        assert_eq!(o.arches, [Arch::X86_64, Arch::Aarch64]);
    }

    #[test]
    fn learn_writes_or_merges_and_prints_json() {
        let Ok(Command::Run(Sub::Learn, o)) =
            parse(&args("learn p.toml --write out.toml --format json -- sh"))
        else {
            panic!()
        };
        assert_eq!(o.write.as_deref(), Some("out.toml"));
        assert_eq!(o.format, Some(Format::Json));
        assert!(!o.merge);
        let Ok(Command::Run(Sub::Learn, o)) = parse(&args("learn p.toml --merge -- sh")) else {
            panic!()
        };
        assert!(o.merge && o.write.is_none());
        for (line, message) in [
            (
                "learn p.toml --merge --write o.toml -- sh",
                "`--write` and `--merge` are one or the other",
            ),
            ("run p.toml --merge -- sh", "`run` does not take `--merge`"),
            (
                "check p.toml --write o.toml",
                "`check` does not take `--write`",
            ),
            ("learn p.toml --merge=yes -- sh", "`--merge` takes no value"),
        ] {
            let Err(e) = parse(&args(line)) else {
                panic!("{line}")
            };
            assert_eq!(e.message, message, "{line}");
        }
    }

    #[test]
    fn run_takes_the_command_after_the_double_dash() {
        let Ok(Command::Run(Sub::Run, o)) = parse(&args(
            "run p.toml --cap A,B --cap C -- /bin/ls --help -- -l",
        )) else {
            panic!()
        };
        assert_eq!(o.file, "p.toml");
        assert_eq!(o.caps, ["A", "B", "C"]);
        assert_eq!(o.command, ["/bin/ls", "--help", "--", "-l"]);
        assert!(o.rest.is_empty());
        let Ok(Command::Run(Sub::Learn, o)) = parse(&args("learn p.toml -- sh")) else {
            panic!()
        };
        assert_eq!(o.command, ["sh"]);
        assert_eq!(o.report, None);
        let Ok(Command::Run(Sub::Run, o)) = parse(&args("run p.toml --report r.jsonl -- sh"))
        else {
            panic!()
        };
        assert_eq!(o.report.as_deref(), Some("r.jsonl"));
        assert_eq!(o.command, ["sh"]);
        assert_eq!(
            parse(&args("learn p.toml --help -- sh")),
            Ok(Command::Help(Some(Sub::Learn)))
        );
        for (line, want) in [
            ("run p.toml", "`run` needs a command after `--`"),
            ("run p.toml --cap A --", "`run` needs a command after `--`"),
            ("learn p.toml --", "`learn` needs a command after `--`"),
            ("run -- /bin/true", "no policy file given"),
            (
                "run p.toml /bin/echo hi",
                "unexpected `/bin/echo`: put the command after `--`, as in `-- /bin/echo ...`",
            ),
            (
                "run p.toml --arch x86_64 -- true",
                "`run` does not take `--arch`",
            ),
            ("run p.toml --report -- true", "`--report` needs a value"),
            (
                "check p.toml --report r",
                "`check` does not take `--report`",
            ),
            ("learn p.toml --cap -- true", "`--cap` needs a value"),
        ] {
            let e = parse(&args(line)).unwrap_err();
            assert!(e.message.starts_with(want), "{line}: {}", e.message);
        }
    }

    #[test]
    fn negative_numbers_are_arguments() {
        let Ok(Command::Run(Sub::Simulate, o)) = parse(&args("simulate p.toml kill -1 9")) else {
            panic!()
        };
        assert_eq!(o.rest, ["kill", "-1", "9"]);
        assert_eq!(
            parse(&args("check p.toml --help")),
            Ok(Command::Help(Some(Sub::Check)))
        );
        assert_eq!(
            parse(&args("help lint")),
            Ok(Command::Help(Some(Sub::Lint)))
        );
    }
}
