//! Runs programs under the shipped policy (`policy/seccomp.toml`).
//!
//! With no arguments it runs a short demonstration: real programs with no
//! caps and with caps, printing per case the caps, the command and how it
//! ended. With arguments it runs one command under the policy:
//!
//! ```text
//! cargo run --example sandbox -- [--cap NAME]... -- COMMAND [ARGS...]
//! ```

use std::io::Write as _;
use std::process::{Command, ExitCode};

use seccomp_policy::audit;
use seccomp_policy::spawn::{CommandExt as _, Outcome};

seccomp_policy::seccomp_policy!("policy/seccomp.toml");

/// Debian's interpreter, not a `python3` found on `PATH`: version managers
/// put shell-script shims there, which fork and exec before Python starts.
const PYTHON: &str = "/usr/bin/python3";

/// Makes and removes a directory the ordinary way, as any script would.
const MKDIR_SCRIPT: &str = "import os; p = f\"/tmp/seccomp-policy-demo-{os.getpid()}\"; \
    print(\"making\", p); os.mkdir(p); os.rmdir(p); print(\"made and removed\", p)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        return demonstration();
    }
    match parse_args(&args) {
        Ok(Request::Help) => {
            print!("{}", usage());
            ExitCode::SUCCESS
        }
        Ok(Request::Run { caps, command }) => run_one(caps, &command),
        Err(message) => {
            eprintln!("error: {message}\n\n{}", usage());
            ExitCode::from(2)
        }
    }
}

enum Request {
    Help,
    Run { caps: Cap, command: Vec<String> },
}

fn usage() -> String {
    format!(
        "usage: sandbox [--cap NAME]... -- COMMAND [ARGS...]\n\
         \n\
         Runs COMMAND under {file}: its [base] syscalls plus those of each\n\
         granted cap; any other syscall kills the command with SIGSYS.\n\
         Without arguments, runs a demonstration.\n\
         \n\
         caps: {caps}\n",
        file = POLICY.file,
        caps = Cap::NAMES.join(", "),
    )
}

fn parse_args(args: &[String]) -> Result<Request, String> {
    let mut caps = Cap::NONE;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(Request::Help),
            "--cap" => {
                let name = rest
                    .next()
                    .ok_or("`--cap` needs a capability name after it")?;
                caps |= cap_named(name)?;
            }
            "--" => {
                let command: Vec<String> = rest.cloned().collect();
                if command.is_empty() {
                    return Err("no command after `--`".into());
                }
                return Ok(Request::Run { caps, command });
            }
            other if other.starts_with("--cap=") => caps |= cap_named(&other["--cap=".len()..])?,
            other if other.starts_with('-') => {
                return Err(format!("unknown option `{other}`"));
            }
            _ => {
                return Err(format!(
                    "unexpected `{arg}`: put the command after `--`, as in `-- {arg} ...`"
                ))
            }
        }
    }
    Err("no command: put it after `--`".into())
}

fn cap_named(name: &str) -> Result<Cap, String> {
    Cap::from_name(name).ok_or_else(|| {
        format!(
            "unknown capability `{name}`; {} defines: {}",
            POLICY.file,
            Cap::NAMES.join(", ")
        )
    })
}

fn run_one(caps: Cap, command: &[String]) -> ExitCode {
    match run(caps, command) {
        Ok(Ended { outcome, denied }) => {
            eprintln!("sandbox: caps {caps}: `{}` {outcome}", command.join(" "));
            if let Some(denied) = denied {
                eprintln!("sandbox: {denied}");
            }
            match outcome {
                Outcome::Exited(code) => ExitCode::from(code.clamp(0, 255) as u8),
                Outcome::KilledBySeccomp => ExitCode::from(128 + libc::SIGSYS as u8),
                Outcome::Signaled(sig) => ExitCode::from(128u8.saturating_add(sig as u8)),
                Outcome::Other(_) => ExitCode::FAILURE,
            }
        }
        Err(message) => {
            eprintln!("sandbox: cannot run `{}`: {message}", command.join(" "));
            ExitCode::from(127)
        }
    }
}

/// How a sandboxed command ended, and which call the kernel logged as denied.
struct Ended {
    outcome: Outcome,
    denied: Option<String>,
}

fn run(caps: Cap, command: &[String]) -> Result<Ended, String> {
    let mut cmd = Command::new(&command[0]);
    cmd.args(&command[1..]);
    cmd.sandbox(&POLICY, caps.bits())
        .map_err(|e| e.to_string())?;
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    let outcome = Outcome::from(child.wait().map_err(|e| e.to_string())?);
    let denied = (outcome == Outcome::KilledBySeccomp).then(|| denied_call(child.id()));
    Ok(Ended { outcome, denied })
}

/// What the kernel log says process `pid` was killed for.
fn denied_call(pid: u32) -> String {
    match audit::find_denied_call(pid) {
        Ok(Some(call)) => {
            let arch = call.arch();
            let name = arch.and_then(|a| syscall_name(a, call.nr as u32));
            format!(
                "the kernel logged syscall {} `{}` on {}",
                call.nr,
                name.unwrap_or("?"),
                arch.map_or("an unsupported architecture", |a| a.name())
            )
        }
        Ok(None) => "the kernel log has no record of the call (an audit daemon may hold it)".into(),
        Err(e) => format!("the kernel log could not be read to name the call: {e}"),
    }
}

/// One case of the demonstration, and how it should end.
struct Case {
    caps: Cap,
    command: &'static [&'static str],
    why: &'static str,
    expect: Expect,
}

/// How a case should end.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// It runs and exits with status 0.
    Runs,
    /// The policy answers a call with an errno; the command notices and
    /// exits with this status.
    Refused(i32),
    /// The filter kills it.
    Killed,
}

fn demonstration() -> ExitCode {
    let native = POLICY
        .native()
        .map_or("no supported architecture", |a| a.arch.name());
    println!("seccomp-policy sandbox: {} on {native}", POLICY.file);
    println!("caps: {}\n", Cap::NAMES.join(", "));

    let cases = [
        Case {
            caps: Cap::NONE,
            command: &[
                "/bin/sh",
                "-c",
                "echo hello from sh; read -r line < /etc/hostname; echo read /etc/hostname",
            ],
            why: "a shell builtin session needs only [base]",
            expect: Expect::Runs,
        },
        Case {
            caps: Cap::NONE,
            command: &[PYTHON, "-I", "-c", "print(\"python says\", sum(range(10)))"],
            why: "the interpreter starts and runs under [base] alone",
            expect: Expect::Runs,
        },
        Case {
            caps: Cap::NONE,
            command: &[
                PYTHON,
                "-I",
                "-u",
                "-c",
                "import socket; print(\"opening a socket\"); socket.socket()",
            ],
            why: "without a network cap, socket() fails with EPERM",
            expect: Expect::Refused(1),
        },
        Case {
            caps: Cap::SSRF,
            command: &[
                PYTHON,
                "-I",
                "-c",
                "import socket; s = socket.socket(); print(\"socket\", s.fileno(), \"opened\")",
            ],
            why: "the SSRF cap grants Internet sockets",
            expect: Expect::Runs,
        },
        Case {
            caps: Cap::NONE,
            command: &["/bin/sh", "-c", "echo forking /bin/true; /bin/true"],
            why: "without CODE_EXEC, a new process fails with EPERM",
            expect: Expect::Refused(2),
        },
        Case {
            caps: Cap::CODE_EXEC,
            command: &[
                "/bin/sh",
                "-c",
                "/bin/true && echo /bin/true ran in a subprocess",
            ],
            why: "the CODE_EXEC cap grants clone, fork and execve",
            expect: Expect::Runs,
        },
        Case {
            caps: Cap::NONE,
            command: &[PYTHON, "-I", "-u", "-c", MKDIR_SCRIPT],
            why: "mkdir is outside [base]",
            expect: Expect::Killed,
        },
        Case {
            caps: Cap::FILE_IO,
            command: &[PYTHON, "-I", "-u", "-c", MKDIR_SCRIPT],
            why: "the FILE_IO cap grants mkdir and rmdir",
            expect: Expect::Runs,
        },
    ];

    let mut unexpected = 0;
    for (i, case) in cases.iter().enumerate() {
        let command: Vec<String> = case.command.iter().map(ToString::to_string).collect();
        println!("[{}] caps: {}  ({})", i + 1, case.caps, case.why);
        println!("    $ {}", shell_words(case.command));
        let _ = std::io::stdout().flush();
        let outcome = run(case.caps, &command);
        let as_expected = match &outcome {
            Ok(Ended { outcome: o, .. }) => match case.expect {
                Expect::Runs => o.success(),
                Expect::Refused(code) => *o == Outcome::Exited(code),
                Expect::Killed => *o == Outcome::KilledBySeccomp,
            },
            Err(_) => false,
        };
        match outcome {
            Ok(Ended { outcome, denied }) => {
                println!(
                    "    -> {outcome}{}",
                    if as_expected { "" } else { "  [UNEXPECTED]" }
                );
                if let Some(denied) = denied {
                    println!("       {denied}");
                }
                println!();
            }
            Err(e) => println!("    -> could not run: {e}  [UNEXPECTED]\n"),
        }
        if !as_expected {
            unexpected += 1;
        }
    }
    if unexpected == 0 {
        println!("all {} cases ended as the policy says", cases.len());
        ExitCode::SUCCESS
    } else {
        println!(
            "{unexpected} of {} cases did not end as the policy says",
            cases.len()
        );
        ExitCode::FAILURE
    }
}

fn shell_words(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| {
            if w.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/-_.=".contains(c))
            {
                w.to_string()
            } else {
                format!("'{}'", w.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
