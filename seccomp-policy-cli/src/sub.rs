//! The subcommands that read a policy, by name: what the command line,
//! the help prose and the dispatch agree on.

/// The subcommands that read a policy.
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

    /// Whether it runs a command, given after `--`.
    pub fn runs_a_command(self) -> bool {
        matches!(self, Sub::Run | Sub::Learn)
    }

    /// Whether `--arch` may be given more than once.
    pub fn many_arches(self) -> bool {
        matches!(self, Sub::Show | Sub::Explain | Sub::Export)
    }
}
