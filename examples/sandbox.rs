//! Runs programs under the shipped policy (`policy/seccomp.toml`), naming
//! every denied call of the whole process tree.
//!
//! With no arguments it runs a short demonstration: real programs with no
//! caps and with caps, printing per case the caps, the command, the calls
//! denied and how it ended. With arguments it runs one command:
//!
//! ```text
//! cargo run --example sandbox -- [--cap NAME]... [--learn] -- COMMAND [ARGS...]
//! ```
//!
//! Each denied call is reported on stderr as it happens (`sandbox: denied:
//! PROGRAM [pid N]: SYSCALL(ARGS) on ARCH: WHICH CAPS; ANSWER`); with
//! `--learn` every call runs and the calls the command needed beyond its
//! grant are listed at the end, with the policy lines to add.
//!
//! The command runs in a session and a pid namespace of its own. SIGINT,
//! SIGTERM, SIGHUP and SIGQUIT sent to the sandbox are passed on to the
//! command's whole process group (a second one kills it); nothing the
//! command starts outlives it, a daemon that called `setsid` included:
//! when the command ends, or the sandbox is killed even with SIGKILL, the
//! kernel kills the whole namespace (where none can be made, a subreaper
//! kills what the command left when it ends). The last line says which
//! held. All of this is `seccomp_policy::supervise::session` (the run) and
//! `seccomp_policy::tool` (what is written, the exit code), which the
//! `seccomp-policy run` and `learn` subcommands use too; this example only
//! parses its arguments and runs the demonstration.

use std::ffi::OsString;
use std::io::Write as _;
use std::os::unix::ffi::OsStrExt as _;
use std::process::{Command, ExitCode};

use seccomp_policy::supervise::session::{self, Done, SessionError};
use seccomp_policy::supervise::{Answer, Denial, Mode, Supervisor};
use seccomp_policy::text::quoted;
use seccomp_policy::tool::{self, KILLED_BY_POLICY};

seccomp_policy::seccomp_policy!("policy/seccomp.toml");

/// Debian's interpreter, not a `python3` found on `PATH`: version managers
/// put shell-script shims there, which fork and exec before Python starts.
const PYTHON: &str = "/usr/bin/python3";

/// Makes and removes a directory the ordinary way, as any script would.
const MKDIR_SCRIPT: &str = "import os; p = f\"/tmp/seccomp-policy-demo-{os.getpid()}\"; \
    print(\"making\", p); os.mkdir(p); os.rmdir(p); print(\"made and removed\", p)";

fn main() -> ExitCode {
    // Before any other thread starts. Should it fail, the demonstration
    // runs without forwarding, and a single command is refused with the
    // reason (`run_and_report` asks again).
    let _ = session::forward_signals();
    // The command and its arguments are passed on as they are, whatever
    // their encoding: `args()` would panic on one that is not UTF-8.
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if args.is_empty() {
        return demonstration();
    }
    match parse_args(&args) {
        Ok(Request::Help) => {
            print!("{}", usage());
            ExitCode::SUCCESS
        }
        Ok(Request::Run {
            caps,
            mode,
            command,
        }) => run_one(caps, mode, &command),
        Err(message) => {
            eprintln!("error: {message}\n\n{}", usage());
            ExitCode::from(2)
        }
    }
}

enum Request {
    Help,
    Run {
        caps: Cap,
        mode: Mode,
        command: Vec<OsString>,
    },
}

fn usage() -> String {
    format!(
        "usage: sandbox [--cap NAME]... [--learn] -- COMMAND [ARGS...]\n\
         \n\
         Runs COMMAND under {file}: its [base] rules plus those of each\n\
         granted cap. A call they refuse, in COMMAND or any process it starts,\n\
         fails with the policy's errno or kills that process before it runs, and\n\
         is reported on stderr: the program, the syscall and its arguments,\n\
         which caps would allow it, and the answer.\n\
         \n\
         --learn  enforce nothing: let every call run, and list at the end the\n\
         \x20        syscalls COMMAND needed beyond its grant, with the caps that\n\
         \x20        grant them and the policy lines to add for the others.\n\
         \n\
         Exits with COMMAND's status, 128 + N if a signal N ended it, {killed}\n\
         (128 + SIGSYS) if the policy killed it; {not_found} if it was not found,\n\
         {cannot_execute} if it was found but could not be executed, {failed} if the sandbox\n\
         itself failed; 2 for a usage error. Without arguments, runs a\n\
         demonstration.\n\
         \n\
         caps: {caps}\n",
        file = POLICY.file,
        caps = Cap::NAMES.join(", "),
        killed = KILLED_BY_POLICY,
        not_found = tool::NOT_FOUND,
        cannot_execute = tool::CANNOT_EXECUTE,
        failed = tool::TOOL_FAILED,
    )
}

fn parse_args(args: &[OsString]) -> Result<Request, String> {
    let mut caps = Cap::NONE;
    let mut mode = Mode::Enforce;
    let mut rest = args.iter();
    while let Some(os_arg) = rest.next() {
        // Options are UTF-8; an argument that is not is shown lossily.
        let lossy = os_arg.to_string_lossy();
        let arg: &str = &lossy;
        match arg {
            "-h" | "--help" => return Ok(Request::Help),
            "--learn" => mode = Mode::Learn,
            "--cap" => {
                let name = rest
                    .next()
                    .ok_or("`--cap` needs a capability name after it")?;
                caps |= cap_named(&name.to_string_lossy())?;
            }
            "--" => {
                let command: Vec<OsString> = rest.cloned().collect();
                if command.is_empty() {
                    return Err("no command after `--`".into());
                }
                return Ok(Request::Run {
                    caps,
                    mode,
                    command,
                });
            }
            other if other.starts_with("--cap=") => caps |= cap_named(&other["--cap=".len()..])?,
            other if os_arg.as_bytes().starts_with(b"-") => {
                return Err(format!("unknown option {}", quoted(other)));
            }
            _ => {
                return Err(format!(
                    "unexpected {}: put the command after `--`, as in {}",
                    quoted(arg),
                    quoted(&format!("-- {arg} ..."))
                ))
            }
        }
    }
    Err("no command: put it after `--`".into())
}

fn cap_named(name: &str) -> Result<Cap, String> {
    Cap::from_name(name).ok_or_else(|| {
        format!(
            "unknown capability {}; {} defines: {}",
            quoted(name),
            POLICY.file,
            Cap::NAMES.join(", ")
        )
    })
}

fn run_one(caps: Cap, mode: Mode, command: &[OsString]) -> ExitCode {
    let mut cmd = Command::new(&command[0]);
    cmd.args(&command[1..]);
    let supervisor = Supervisor::new(&POLICY, caps.bits(), syscall_name).mode(mode);
    ExitCode::from(tool::run_and_report(supervisor, cmd, "sandbox"))
}

/// Runs a demonstration case, printing each denial on stdout as it happens.
fn run_case(caps: Cap, command: &[&str]) -> Result<Done, SessionError> {
    let mut cmd = Command::new(command[0]);
    cmd.args(&command[1..]);
    let supervisor = Supervisor::new(&POLICY, caps.bits(), syscall_name).on_denial(|d| {
        if d.answer != Answer::Continued {
            // One write, so the command's own output stays out of the line.
            let mut out = std::io::stdout();
            let _ = out.write_all(format!("       denied: {d}\n").as_bytes());
            let _ = out.flush();
        }
    });
    let done = session::run(supervisor, cmd)?;
    if let Some(failure) = done.failure() {
        let _ = std::io::stderr().write_all(format!("sandbox: {failure}\n").as_bytes());
    }
    Ok(done)
}

/// How a demonstration case should end.
enum Expect {
    /// Exit 0 with nothing denied.
    Succeeds,
    /// The policy answers this call with an errno; the command notices and
    /// exits with this status.
    Refused(&'static str, u8),
    /// The policy kills the command itself at this call.
    Killed(&'static str),
}

/// One case of the demonstration.
struct Case {
    caps: Cap,
    command: &'static [&'static str],
    why: &'static str,
    expect: Expect,
}

#[allow(
    clippy::too_many_lines,
    reason = "most of it is the table of cases, which reads best in one piece, then the loop that \
              runs them"
)]
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
            expect: Expect::Succeeds,
        },
        Case {
            caps: Cap::NONE,
            command: &[PYTHON, "-I", "-c", "print(\"python says\", sum(range(10)))"],
            why: "the interpreter starts and runs under [base] alone",
            expect: Expect::Succeeds,
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
            expect: Expect::Refused("socket", 1),
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
            expect: Expect::Succeeds,
        },
        Case {
            caps: Cap::NONE,
            command: &["/bin/sh", "-c", "echo forking /bin/true; /bin/true"],
            why: "without CODE_EXEC, a new process fails with EPERM",
            expect: Expect::Refused("vfork", 2),
        },
        Case {
            caps: Cap::CODE_EXEC,
            command: &[
                "/bin/sh",
                "-c",
                "/bin/true && echo /bin/true ran in a subprocess",
            ],
            why: "the CODE_EXEC cap grants clone, fork and execve",
            expect: Expect::Succeeds,
        },
        Case {
            caps: Cap::CODE_EXEC,
            command: &["/bin/sh", "-c", "ls /usr/bin | wc -l"],
            why: "coreutils in a pipeline, started by the shell",
            expect: Expect::Succeeds,
        },
        Case {
            caps: Cap::CODE_EXEC,
            command: &[
                PYTHON,
                "-I",
                "-c",
                "import subprocess; print(\"returncode\", subprocess.run([\"/bin/true\"]).returncode)",
            ],
            why: "Python's subprocess: fork, close_range, exec",
            expect: Expect::Succeeds,
        },
        Case {
            caps: Cap::NONE,
            command: &[PYTHON, "-I", "-u", "-c", MKDIR_SCRIPT],
            why: "mkdir is outside [base]",
            expect: Expect::Killed("mkdir"),
        },
        Case {
            caps: Cap::FILE_IO,
            command: &[PYTHON, "-I", "-u", "-c", MKDIR_SCRIPT],
            why: "the FILE_IO cap grants mkdir and rmdir",
            expect: Expect::Succeeds,
        },
    ];

    let mut unexpected = 0;
    for (i, case) in cases.iter().enumerate() {
        println!("[{}] caps: {}  ({})", i + 1, case.caps, case.why);
        println!("    $ {}", shell_words(case.command));
        let _ = std::io::stdout().flush();
        let result = run_case(case.caps, case.command);
        let as_expected = match (&result, &case.expect) {
            (Ok(d), Expect::Succeeds) => tool::exit_code(d) == 0 && d.report.denials.is_empty(),
            (Ok(d), Expect::Refused(call, status)) => {
                !d.killed_by_policy()
                    && tool::exit_code(d) == *status
                    && d.report.denials.iter().any(|x| x.syscall() == *call)
            }
            (Ok(d), Expect::Killed(call)) => {
                d.killed_by_policy()
                    && d.report.denials.last().map(Denial::syscall).as_deref() == Some(call)
            }
            (Err(_), _) => false,
        };
        match result {
            Ok(d) => println!(
                "    -> {}{}\n",
                d.ending(),
                if as_expected { "" } else { "  [UNEXPECTED]" }
            ),
            Err(e) => println!("    -> could not run: {}  [UNEXPECTED]\n", tool::chain(&e)),
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
