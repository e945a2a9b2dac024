//! `seccomp-policy`: check, inspect and export TOML syscall policies from
//! the command line, through the same front end as the `seccomp_policy!`
//! macro (`seccomp-policy-compiler`), so a policy means the same here.
//!
//! Exit codes ([`exit`]): 0 done; 1 the policy has errors or cannot be
//! read, a program or profile cannot be made, output cannot be written, or
//! `lint --deny-warnings` found warnings; 2 usage errors. `run` and `learn`
//! exit as `env` and `timeout` do: 125 when they fail themselves (usage,
//! policy errors, no supervisor), 126 when the command cannot be executed,
//! 127 when it is not found, and otherwise with its status (128 + N for
//! signal N, 159 when the policy killed it). See `--help`.
#![forbid(unsafe_code)]

mod args;
mod commands;
mod describe;
mod exit;
mod export;
mod json;
mod learn;
mod load;
mod outcome;
mod output;
mod prose;
mod render;
mod report_file;
mod sub;
mod supervised;

use std::io::Write as _;
use std::process::ExitCode;

use args::{Color, Command, Options, Sub};
use outcome::Failure;

/// Runs `sub`; the exit code when it did not fail (0, or for `run` and
/// `learn` the command's).
fn run(sub: Sub, o: &Options) -> Result<u8, Failure> {
    let done = match sub {
        Sub::Check => commands::check(o),
        Sub::Lint => commands::lint_cmd(o),
        Sub::Show => commands::show(o),
        Sub::Disasm => commands::disasm(o),
        Sub::Explain => commands::explain(o),
        Sub::Simulate => commands::simulate(o),
        Sub::Export => export::export(o),
        Sub::Run | Sub::Learn => return supervised::run(sub, o),
    };
    done.map(|()| 0)
}

/// `text` on stdout: exit 0, or the failure to write it.
fn print(text: &str) -> Result<u8, Failure> {
    output::out(text)
        .map(|()| exit::OK)
        .map_err(Failure::Failed)
}

/// `completions SHELL`: the script on stdout.
fn completions(shell: args::Shell) -> Result<u8, Failure> {
    use clap_complete::Shell as S;
    let shell = match shell {
        args::Shell::Bash => S::Bash,
        args::Shell::Zsh => S::Zsh,
        args::Shell::Fish => S::Fish,
        args::Shell::Elvish => S::Elvish,
        args::Shell::Powershell => S::PowerShell,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut args::command(), "seccomp-policy", &mut script);
    output::out_bytes(&script)
        .map(|()| exit::OK)
        .map_err(Failure::Failed)
}

/// `man [SUBCOMMAND]`: the manual page of the tool, seccomp-policy(1), or
/// of a subcommand, seccomp-policy-SUBCOMMAND(1), which the first lists;
/// made from the same declaration as the parser.
fn man(sub: Option<Sub>) -> Result<u8, Failure> {
    let mut page = Vec::new();
    let root = args::command()
        .about("check, inspect and export TOML syscall policies")
        .after_help(args::help(None));
    let cmd = match sub {
        None => root,
        Some(s) => {
            let mut root = root;
            root.build();
            let Some(found) = root.find_subcommand(s.name()) else {
                return Err(Failure::Failed(Some(format!(
                    "error: no page for `{}`",
                    s.name()
                ))));
            };
            let name = format!("seccomp-policy-{}", s.name());
            found.clone().name(name.clone()).bin_name(name)
        }
    };
    clap_mangen::Man::new(cmd)
        .render(&mut page)
        .map_err(|e| Failure::Failed(Some(format!("error: cannot write the man page: {e}"))))?;
    output::out_bytes(&page)
        .map(|()| exit::OK)
        .map_err(Failure::Failed)
}

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let parsed = args::parse(&argv);
    let color = match &parsed {
        Ok(Command::Run(_, o)) => o.color,
        _ => Color::Auto,
    };
    anstream::ColorChoice::write_global(match color {
        Color::Auto => anstream::ColorChoice::Auto,
        Color::Always => anstream::ColorChoice::Always,
        Color::Never => anstream::ColorChoice::Never,
    });
    let (sub, result) = match parsed {
        Ok(Command::Help(sub)) => (sub, print(&args::help(sub))),
        Ok(Command::Version) => (
            None,
            print(&format!("seccomp-policy {}\n", env!("CARGO_PKG_VERSION"))),
        ),
        Ok(Command::Completions(shell)) => (None, completions(shell)),
        Ok(Command::Man(sub)) => (sub, man(sub)),
        Ok(Command::Run(sub, options)) => (Some(sub), run(sub, &options)),
        Err(e) => (e.sub, Err(Failure::Usage(e))),
    };
    let failure = match result {
        Ok(code) => return ExitCode::from(code),
        Err(failure) => failure,
    };
    match &failure {
        Failure::Usage(e) => {
            let usage = args::help(e.sub);
            let first = usage
                .lines()
                .find(|l| l.starts_with("usage:"))
                .unwrap_or("");
            eprintln_safe(&format!(
                "error: {}\n\n{first}\nFor more, try `seccomp-policy {}--help`.",
                e.message,
                e.sub.map(|s| format!("{} ", s.name())).unwrap_or_default()
            ));
        }
        Failure::Failed(Some(message)) | Failure::NotRun { message, .. } => {
            eprintln_safe(message);
        }
        Failure::Failed(None) => {}
    }
    ExitCode::from(failure.exit_code(sub))
}

/// Writes a line to stderr, ignoring a closed stderr rather than panicking.
fn eprintln_safe(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
}
