//! The command line, declared once with clap: the parser, "did you mean"
//! for subcommands and values, the shell completions and the man page all
//! come from [`Cli`]. Every mistake is a [`UsageError`] (exit code 2; 125
//! for `run` and `learn`) with the tool's own wording; `--help` prints
//! [`help`]'s text.

use std::ffi::OsString;
use std::fmt;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand, ValueEnum};
use seccomp_policy_core::text::quoted;
use seccomp_policy_core::Arch;

use crate::prose;
pub use crate::sub::Sub;

/// A parsed command line.
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
    /// `completions SHELL`.
    Completions(Shell),
    /// `man [SUBCOMMAND]`.
    Man(Option<Sub>),
    /// A subcommand to run.
    Run(Sub, Options),
}

/// When diagnostics are coloured (`--color`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// When stderr is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    /// Always, even into a pipe or with `NO_COLOR`.
    Always,
    /// Never.
    Never,
}

/// The shells `completions` writes a script for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// bash (`source <(seccomp-policy completions bash)`).
    Bash,
    /// zsh (a `_seccomp-policy` file in `$fpath`).
    Zsh,
    /// fish (`~/.config/fish/completions/seccomp-policy.fish`).
    Fish,
    /// elvish.
    Elvish,
    /// `PowerShell`.
    Powershell,
}

/// `seccomp-policy`: check, inspect and export TOML syscall policies.
#[derive(Debug, Parser)]
#[command(
    name = "seccomp-policy",
    version,
    disable_help_subcommand = true,
    disable_help_flag = true,
    disable_version_flag = true
)]
struct Cli {
    /// Print help.
    #[arg(short = 'h', long, global = true, action = clap::ArgAction::SetTrue)]
    help: bool,
    /// Print the version.
    #[arg(short = 'V', long, action = clap::ArgAction::SetTrue)]
    version: bool,
    /// When to colour diagnostics: auto (a terminal, and `NO_COLOR` unset), always, never.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = Color::Auto)]
    color: Color,
    #[command(subcommand)]
    sub: Option<SubCmd>,
}

/// The policy file, for every subcommand.
#[derive(Debug, Args)]
struct FileArg {
    /// The policy file (`-`: standard input).
    #[arg(value_name = "FILE")]
    file: Option<String>,
}

/// `--cap`, for the subcommands that pick a cap set.
#[derive(Debug, Args)]
struct CapArg {
    /// Capabilities to grant besides `[base]` (`--cap A --cap B` or `--cap A,B`).
    #[arg(
        long,
        value_name = "NAME",
        value_delimiter = ',',
        allow_hyphen_values = false
    )]
    cap: Vec<String>,
}

/// `--arch`.
#[derive(Debug, Args)]
struct ArchArg {
    /// Architectures: this tool's names (x86_64, aarch64, ...), libseccomp's
    /// and OCI profiles' (SCMP_ARCH_X86_64), and Debian's, Docker's and
    /// systemd's (amd64, arm64, armhf, i386, ppc64el, x86-64, loong64, ...).
    #[arg(long, value_name = "A", value_delimiter = ',', value_parser = arch_value)]
    arch: Vec<Arch>,
}

/// The output formats of `check` and `lint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum DiagFormat {
    /// Like rustc, with the line and the token underlined (the default).
    Human,
    /// One line a place, as compilers write them for editors:
    /// FILE:LINE:COL: error: MESSAGE [CODE], then its notes and help.
    Short,
    /// One JSON document on stdout: {"file", "errors", "warnings",
    /// "diagnostics": [...]}, each with its code, line, column and end
    /// {"line", "column"}.
    Json,
}

/// `export`'s formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ExportFormat {
    /// The raw struct sock_filter array of one architecture (default:
    /// this machine's) in its byte order: what bubblewrap's --seccomp FD
    /// and systemd-nspawn-style tools load. --allow-execve adds execve,
    /// which a tool that installs the filter before it execs the command
    /// needs (the sandbox does the same).
    Bpf,
    /// An OCI runtime spec linux.seccomp profile (runc, crun, Docker,
    /// podman, containerd, CRI-O) for the architectures given or, without
    /// --arch, every one a profile can serve (a note on stderr names the
    /// others and why); refused where the rules of those given differ
    /// (export one per architecture then).
    Oci,
    /// The same file, for a node's /var/lib/kubelet/seccomp/ (a pod's
    /// `localhostProfile`).
    Kubelet,
    /// The same profile as a security-profiles-operator SeccompProfile
    /// (security-profiles-operator.x-k8s.io/v1beta1) in YAML, named --name
    /// NAME (default: the file's stem and the caps).
    K8s,
    /// A drop-in for a service: SystemCallFilter= allowing the calls the
    /// policy allows whatever their arguments, one architecture (default:
    /// this machine's); calls it decides by their arguments are refused,
    /// and a note on stderr names them.
    Systemd,
}

/// `run` and `learn`'s options.
#[derive(Debug, Args)]
struct RunArgs {
    #[command(flatten)]
    file: FileArg,
    #[command(flatten)]
    cap: CapArg,
    /// A variable of the `fs` and `net` tables (`--var PORTS=8080,8443`).
    #[arg(long, value_name = "NAME=VALUE", value_parser = var_value)]
    var: Vec<(String, String)>,
    /// Run on a kernel with less Landlock than the sandbox needs.
    #[arg(long)]
    allow_degraded: bool,
    /// Also write every denial to OUT (made or truncated before COMMAND
    /// starts), one JSON object a line: tid, pid and program (null when the
    /// process could not be read), unread (why not, or null), arch,
    /// audit_arch, syscall (name or null), nr, args (six integers),
    /// allowed_by (granted, caps, no-cap, other-arguments or
    /// foreign-entry), caps (the caps that would allow it), answer (killed,
    /// errno, continued, gone, kill-failed or undelivered), errno (its
    /// name, or null), error (the supervisor's, or null).
    #[arg(long, value_name = "OUT")]
    report: Option<String>,
    /// Anything before `--` that is not an option: refused, with where it goes.
    #[arg(value_name = "UNEXPECTED", hide = true)]
    stray: Vec<String>,
    /// The command and its arguments, after `--`.
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<String>,
}

/// `learn`'s options: `run`'s, and what to do with the rules learned.
#[derive(Debug, Args)]
struct LearnArgs {
    /// Write FILE with the rules learned added to [base]'s `allow` to
    /// POLICY, its comments and layout kept, once the result compiles and
    /// allows every call seen.
    #[arg(long, value_name = "POLICY")]
    write: Option<String>,
    /// Write the rules learned into FILE itself, as --write does.
    #[arg(long)]
    merge: bool,
    /// With --write or --merge: add the rules to [cap.CAP]'s `allow` (the
    /// table made if FILE has none) instead of [base]'s, so that only runs
    /// given --cap CAP get them.
    #[arg(long, value_name = "CAP")]
    into: Option<String>,
    /// Learn system calls only, not the files and TCP ports COMMAND
    /// reaches: each call naming a path, and each connect and bind, then
    /// runs without a round trip to the supervisor.
    #[arg(long)]
    calls_only: bool,
    /// How to print the advice: human (the default, on stderr) or json
    /// (one object, the last line on stdout).
    #[arg(long, value_enum)]
    format: Option<LearnFormat>,
    #[command(flatten)]
    run: RunArgs,
}

/// `learn`'s output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum LearnFormat {
    /// Lines on stderr, after the command's own output (the default).
    Human,
    /// One JSON object on stdout: the caps and rules to add, and the calls
    /// seen.
    Json,
}

#[derive(Debug, Subcommand)]
enum SubCmd {
    /// Report the policy's errors, as the seccomp_policy! macro would.
    Check {
        #[command(flatten)]
        file: FileArg,
        /// How to print the errors.
        #[arg(long, value_enum)]
        format: Option<DiagFormat>,
    },
    /// Per architecture: the numbers of each table, the names skipped, the rules.
    Show {
        #[command(flatten)]
        file: FileArg,
        #[command(flatten)]
        arch: ArchArg,
    },
    /// The BPF program of an architecture and cap set, one instruction a line.
    Disasm {
        #[command(flatten)]
        file: FileArg,
        #[command(flatten)]
        arch: ArchArg,
        #[command(flatten)]
        cap: CapArg,
        /// Add execve, as the sandbox's spawn path does.
        #[arg(long)]
        allow_execve: bool,
    },
    /// Which tables decide a syscall, how, on which architectures.
    Explain {
        #[command(flatten)]
        file: FileArg,
        /// The syscall: a name or a number.
        #[arg(value_name = "NAME|NUMBER")]
        rest: Vec<String>,
        #[command(flatten)]
        arch: ArchArg,
    },
    /// The verdict of one call, and the path it takes through the program.
    Simulate {
        #[command(flatten)]
        file: FileArg,
        /// The syscall (a name or a number), then up to six arguments
        /// (integers or constants such as TIOCSTI).
        #[arg(value_name = "NAME|NUMBER [ARG]", allow_negative_numbers = true)]
        rest: Vec<String>,
        #[command(flatten)]
        arch: ArchArg,
        #[command(flatten)]
        cap: CapArg,
        /// Add execve, as the sandbox's spawn path does.
        #[arg(long)]
        allow_execve: bool,
    },
    /// The filter as raw BPF, an OCI or Kubernetes seccomp profile, or a systemd drop-in.
    Export {
        #[command(flatten)]
        file: FileArg,
        /// The format to write.
        #[arg(long, value_enum)]
        format: Option<ExportFormat>,
        #[command(flatten)]
        arch: ArchArg,
        #[command(flatten)]
        cap: CapArg,
        /// The name of the Kubernetes resource (`--format k8s`).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// Write to OUT instead of stdout (bpf is not written to a terminal).
        #[arg(short = 'o', long, value_name = "OUT")]
        output: Option<String>,
        /// Add execve (`--format bpf`), for a tool that installs the filter before it execs.
        #[arg(long)]
        allow_execve: bool,
    },
    /// Checks that are not errors: split syscall families, dead rules, idle caps.
    Lint {
        #[command(flatten)]
        file: FileArg,
        /// How to print the warnings.
        #[arg(long, value_enum)]
        format: Option<DiagFormat>,
        /// Exit 1 when there is any warning.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Run a command under the policy, naming every call refused in its process tree.
    Run(RunArgs),
    /// Run a command with nothing killed; the narrowest rules for what it needed beyond its caps.
    Learn(LearnArgs),
    /// A completion script for SHELL on stdout.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// The manual page (roff) on stdout: `seccomp-policy man | man -l -`;
    /// with SUBCOMMAND, its page (seccomp-policy-SUBCOMMAND(1)).
    Man {
        /// The subcommand whose page to write.
        #[arg(value_name = "SUBCOMMAND")]
        sub: Option<String>,
    },
}

/// Output formats of `check`, `lint` and `export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Diagnostics like rustc's, with the source line (the default).
    Human,
    /// Diagnostics one a line: `file:line:col: error: message`.
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

impl From<DiagFormat> for Format {
    fn from(f: DiagFormat) -> Self {
        match f {
            DiagFormat::Human => Format::Human,
            DiagFormat::Short => Format::Short,
            DiagFormat::Json => Format::Json,
        }
    }
}

impl From<ExportFormat> for Format {
    fn from(f: ExportFormat) -> Self {
        match f {
            ExportFormat::Bpf => Format::Bpf,
            ExportFormat::Oci => Format::Oci,
            ExportFormat::Kubelet => Format::Kubelet,
            ExportFormat::K8s => Format::K8s,
            ExportFormat::Systemd => Format::Systemd,
        }
    }
}

/// Everything after the subcommand's name.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The policy file, as written (`-`: standard input).
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
    /// `learn --into CAP`: the cap whose table the rules go to (`[base]`
    /// when `None`).
    pub into: Option<String>,
    /// `learn --calls-only`: no file or port learning.
    pub calls_only: bool,
    /// Positional arguments after the file (explain's and simulate's call).
    pub rest: Vec<String>,
    /// `run` and `learn`: the command and its arguments, everything after
    /// the first `--`.
    pub command: Vec<String>,
    /// `--color`.
    pub color: Color,
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

/// How a subcommand's `--help` is laid out: the usage line, what it
/// does, its options (from the declaration), its exit codes.
const SUB_TEMPLATE: &str = "usage: {usage}\n\n{before-help}options:\n{options}{after-help}";

/// The clap command: what the parser, `--help`, the completions and the
/// man page are made from.
pub fn command() -> clap::Command {
    let mut cmd = Cli::command()
        .help_template("{before-help}")
        .before_help(prose::text(None));
    for sub in Sub::ALL {
        let text = prose::text(Some(sub));
        // The usage line (and its continuation), what the subcommand
        // does, and from the paragraph that starts with `exit` on, its
        // exit codes.
        let (usage, rest) = text.split_once("\n\n").unwrap_or((&text, ""));
        let usage = usage.strip_prefix("usage: ").unwrap_or(usage).to_owned();
        let (about, exits) = match rest.find("\nexit") {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, ""),
        };
        let about = about.trim_end().to_owned();
        let exits = exits.trim().to_owned();
        cmd = cmd.mut_subcommand(sub.name(), |c| {
            // `-h` is the global `--help` above, which prints [`help`]'s text.
            c.disable_help_flag(true)
                .long_about(about.clone())
                .override_usage(usage)
                .help_template(SUB_TEMPLATE)
                .before_help(about)
                .after_help(exits)
        });
    }
    for name in ["completions", "man"] {
        cmd = cmd.mut_subcommand(name, |c| c.disable_help_flag(true));
    }
    cmd
}

/// The `--help` of the tool, or of one subcommand.
pub fn help(sub: Option<Sub>) -> String {
    let mut cmd = command();
    cmd.build();
    let found = match sub {
        None => Some(&mut cmd),
        Some(s) => cmd.find_subcommand_mut(s.name()),
    };
    found.map_or_else(String::new, |c| {
        let text = c.render_long_help().to_string();
        let mut text = text.trim_end().to_owned();
        text.push('\n');
        text
    })
}

/// `--arch`'s values.
fn arch_value(text: &str) -> Result<Arch, String> {
    parse_arch(text)
}

/// `--var`'s values: `NAME=VALUE`, a leading `$` dropped.
fn var_value(text: &str) -> Result<(String, String), String> {
    let Some((name, val)) = text.split_once('=').filter(|(n, _)| !n.is_empty()) else {
        return Err(format!(
            "`--var {}` is not `NAME=VALUE`",
            text.escape_debug()
        ));
    };
    let name = name.strip_prefix('$').unwrap_or(name);
    Ok((name.to_owned(), val.to_owned()))
}

/// Parses the arguments after the program name.
pub fn parse(args: &[OsString]) -> Result<Command, UsageError> {
    let sub_named = args
        .first()
        .and_then(|a| a.to_str())
        .and_then(Sub::from_name);
    if let Some(bad) = args.iter().find(|a| a.to_str().is_none()) {
        return Err(usage_error(
            sub_named,
            format!("argument {bad:?} is not valid UTF-8"),
        ));
    }
    // `help SUBCOMMAND`.
    if args.first().is_some_and(|a| a == "help") {
        return match args.get(1).map(|a| a.to_string_lossy()) {
            None => Ok(Command::Help(None)),
            Some(name) => match Sub::from_name(&name) {
                Some(sub) => Ok(Command::Help(Some(sub))),
                None => Err(usage_error(
                    None,
                    format!("unknown subcommand {}", quoted(&name)),
                )),
            },
        };
    }
    let argv = std::iter::once(OsString::from("seccomp-policy")).chain(args.iter().cloned());
    let matches = command()
        .try_get_matches_from(argv)
        .map_err(|e| from_clap(&e, sub_named))?;
    let cli = Cli::from_arg_matches(&matches).map_err(|e| from_clap(&e, sub_named))?;
    if cli.help {
        return Ok(Command::Help(sub_named));
    }
    if cli.version {
        return Ok(Command::Version);
    }
    let Some(sub) = cli.sub else {
        return Err(usage_error(None, "no subcommand given"));
    };
    let color = cli.color;
    let (sub, o) = match sub {
        SubCmd::Completions { shell } => return Ok(Command::Completions(shell)),
        SubCmd::Man { sub } => {
            return match sub.as_deref().map(|n| (n, Sub::from_name(n))) {
                None => Ok(Command::Man(None)),
                Some((_, Some(s))) => Ok(Command::Man(Some(s))),
                Some((n, None)) => {
                    let hint = suggest_sub(n);
                    Err(usage_error(
                        None,
                        format!(
                            "unknown subcommand {}; expected one of {}{hint}",
                            quoted(n),
                            Sub::ALL.map(Sub::name).join(", ")
                        ),
                    ))
                }
            }
        }
        SubCmd::Check { file, format } => (
            Sub::Check,
            options(file, format.map(Format::from), Options::default()),
        ),
        SubCmd::Lint {
            file,
            format,
            deny_warnings,
        } => (
            Sub::Lint,
            options(
                file,
                format.map(Format::from),
                Options {
                    deny_warnings,
                    ..Options::default()
                },
            ),
        ),
        SubCmd::Show { file, arch } => (
            Sub::Show,
            options(
                file,
                None,
                Options {
                    arches: arch.arch,
                    ..Options::default()
                },
            ),
        ),
        SubCmd::Disasm {
            file,
            arch,
            cap,
            allow_execve,
        } => (
            Sub::Disasm,
            options(
                file,
                None,
                Options {
                    arches: arch.arch,
                    caps: cap.cap,
                    allow_execve,
                    ..Options::default()
                },
            ),
        ),
        SubCmd::Explain { file, rest, arch } => (
            Sub::Explain,
            options(
                file,
                None,
                Options {
                    arches: arch.arch,
                    rest,
                    ..Options::default()
                },
            ),
        ),
        SubCmd::Simulate {
            file,
            rest,
            arch,
            cap,
            allow_execve,
        } => (
            Sub::Simulate,
            options(
                file,
                None,
                Options {
                    arches: arch.arch,
                    caps: cap.cap,
                    rest,
                    allow_execve,
                    ..Options::default()
                },
            ),
        ),
        SubCmd::Export {
            file,
            format,
            arch,
            cap,
            name,
            output,
            allow_execve,
        } => (
            Sub::Export,
            options(
                file,
                format.map(Format::from),
                Options {
                    arches: arch.arch,
                    caps: cap.cap,
                    name,
                    output,
                    allow_execve,
                    ..Options::default()
                },
            ),
        ),
        SubCmd::Run(r) => (Sub::Run, run_options(Sub::Run, r)?),
        SubCmd::Learn(l) if l.merge && l.write.is_some() => {
            return Err(usage_error(
                Some(Sub::Learn),
                "`--write` and `--merge` are one or the other",
            ))
        }
        SubCmd::Learn(l) if l.into.is_some() && !l.merge && l.write.is_none() => {
            return Err(usage_error(
                Some(Sub::Learn),
                "`--into` says where --write or --merge put the rules: give one of them",
            ))
        }
        SubCmd::Learn(l) => (
            Sub::Learn,
            Options {
                write: l.write,
                merge: l.merge,
                into: l.into,
                calls_only: l.calls_only,
                format: l.format.map(|f| match f {
                    LearnFormat::Human => Format::Human,
                    LearnFormat::Json => Format::Json,
                }),
                ..run_options(Sub::Learn, l.run)?
            },
        ),
    };
    let mut o = o;
    o.color = color;
    validate(sub, o).map(|o| Command::Run(sub, o))
}

/// `; did you mean `check`?` for a name near a subcommand's, or nothing.
fn suggest_sub(name: &str) -> String {
    seccomp_policy_compiler::suggest::did_you_mean(name, Sub::ALL.map(Sub::name))
        .map(|good| format!("; did you mean `{good}`?"))
        .unwrap_or_default()
}

fn options(file: FileArg, format: Option<Format>, rest: Options) -> Options {
    Options {
        file: file.file.unwrap_or_default(),
        format,
        ..rest
    }
}

fn run_options(sub: Sub, r: RunArgs) -> Result<Options, UsageError> {
    if let Some(arg) = r.stray.first() {
        return Err(unexpected_before_command(sub, arg));
    }
    Ok(Options {
        file: r.file.file.unwrap_or_default(),
        caps: r.cap.cap,
        vars: r.var,
        allow_degraded: r.allow_degraded,
        report: r.report,
        command: r.command,
        ..Options::default()
    })
}

fn unexpected_before_command(sub: Sub, arg: &str) -> UsageError {
    usage_error(
        Some(sub),
        format!(
            "unexpected {}: put the command after `--`, as in {}",
            quoted(arg),
            quoted(&format!("-- {arg} ..."))
        ),
    )
}

/// What clap checks per argument is done; what depends on several is
/// checked here.
fn validate(sub: Sub, mut o: Options) -> Result<Options, UsageError> {
    if o.file.is_empty() {
        return Err(usage_error(Some(sub), "no policy file given"));
    }
    let mut arches = Vec::new();
    for a in std::mem::take(&mut o.arches) {
        if !arches.contains(&a) {
            arches.push(a);
        }
    }
    o.arches = arches;
    if o.arches.len() > 1 && !sub.many_arches() {
        return Err(usage_error(
            Some(sub),
            format!("`{}` takes one `--arch`", sub.name()),
        ));
    }
    let caps: Vec<String> = o.caps.iter().map(|c| c.trim().to_owned()).collect();
    if caps.iter().any(String::is_empty) {
        return Err(usage_error(Some(sub), "`--cap` needs a capability name"));
    }
    o.caps = caps;
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
    Ok(o)
}

/// The first value of `kind` in a clap error's context, as text.
fn context(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => Some(v.join(", ")),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        ContextValue::StyledStrs(v) => Some(
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        _ => None,
    }
}

/// The option's name in a clap error's `--cap <NAME>`.
fn option_name(arg: &str) -> &str {
    arg.split([' ', '=']).next().unwrap_or(arg)
}

/// A clap error in the tool's words.
fn from_clap(e: &clap::Error, sub: Option<Sub>) -> UsageError {
    let arg = context(e, ContextKind::InvalidArg).unwrap_or_default();
    let value = context(e, ContextKind::InvalidValue).unwrap_or_default();
    let suggestion = |kind| {
        context(e, kind)
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default()
    };
    let message = match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            if sub.is_none() =>
        {
            "no subcommand given".to_owned()
        }
        ErrorKind::InvalidSubcommand => format!(
            "unknown subcommand {}; expected one of {}{}",
            quoted(&context(e, ContextKind::InvalidSubcommand).unwrap_or_default()),
            Sub::ALL.map(Sub::name).join(", "),
            suggestion(ContextKind::SuggestedSubcommand)
        ),
        ErrorKind::UnknownArgument => match sub {
            Some(s) if s.runs_a_command() && !arg.starts_with('-') => {
                return unexpected_before_command(s, &arg)
            }
            Some(s) if !arg.starts_with('-') => format!(
                "`{}` takes only the policy file, found {} too",
                s.name(),
                quoted(&arg)
            ),
            Some(s) => {
                let name = option_name(&arg);
                format!(
                    "`{}` does not take {}{}",
                    s.name(),
                    quoted(name),
                    suggestion(ContextKind::SuggestedArg)
                )
            }
            None => format!("unknown option {}", quoted(&arg)),
        },
        ErrorKind::ValueValidation => {
            // The value parser's own message (architectures, `--var`).
            std::error::Error::source(e).map_or_else(
                || format!("invalid value {} for {}", quoted(&value), quoted(&arg)),
                ToString::to_string,
            )
        }
        ErrorKind::InvalidValue
            if value.is_empty() || option_name(&arg) != arg && value == "--" =>
        {
            format!("{} needs a value", quoted(option_name(&arg)))
        }
        ErrorKind::InvalidValue if option_name(&arg) == "--format" => {
            let known = match sub {
                Some(Sub::Export) => EXPORT_FORMATS,
                Some(Sub::Learn) => "human, json",
                _ => "human, short, json",
            };
            format!(
                "unknown format {} for `{}`; expected one of {known}{}",
                quoted(&value),
                sub.map_or("seccomp-policy", Sub::name),
                suggestion(ContextKind::SuggestedValue)
            )
        }
        ErrorKind::InvalidValue => format!(
            "invalid value {} for {}; expected one of {}{}",
            quoted(&value),
            quoted(option_name(&arg)),
            context(e, ContextKind::ValidValue).unwrap_or_default(),
            suggestion(ContextKind::SuggestedValue)
        ),
        ErrorKind::TooManyValues | ErrorKind::ArgumentConflict
            if option_name(&arg).starts_with("--allow")
                || matches!(
                    option_name(&arg),
                    "--deny-warnings" | "--merge" | "--calls-only"
                ) =>
        {
            format!("{} takes no value", quoted(option_name(&arg)))
        }
        ErrorKind::InvalidUtf8 => "an argument is not valid UTF-8".to_owned(),
        _ => {
            // clap's own sentence, without its `error: ` and usage lines.
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or_default();
            first.strip_prefix("error: ").unwrap_or(first).to_owned()
        }
    };
    usage_error(sub, message)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
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
            ("chekc p.toml", "unknown subcommand `chekc`; expected one of check, show, disasm, explain, simulate, export, lint, run, learn; did you mean `check`?"),
            ("lint p.toml --format jsno", "unknown format `jsno` for `lint`; expected one of human, short, json; did you mean `json`?"),
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
        assert!(o.merge && o.write.is_none() && o.into.is_none());
        let Ok(Command::Run(Sub::Learn, o)) = parse(&args("learn p.toml --merge --into GPG -- sh"))
        else {
            panic!("--into parses");
        };
        assert_eq!(o.into.as_deref(), Some("GPG"));
        assert!(!o.calls_only);
        let Ok(Command::Run(Sub::Learn, o)) = parse(&args("learn p.toml --calls-only -- sh"))
        else {
            panic!("--calls-only parses");
        };
        assert!(o.calls_only);
        for (line, message) in [
            (
                "learn p.toml --merge --write o.toml -- sh",
                "`--write` and `--merge` are one or the other",
            ),
            ("run p.toml --merge -- sh", "`run` does not take `--merge`"),
            (
                "run p.toml --calls-only -- sh",
                "`run` does not take `--calls-only`",
            ),
            (
                "learn p.toml --calls-only=yes -- sh",
                "`--calls-only` takes no value",
            ),
            (
                "learn p.toml --into GPG -- sh",
                "`--into` says where --write or --merge put the rules: give one of them",
            ),
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
