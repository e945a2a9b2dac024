//! `run` and `learn`: a command under the policy, supervised.
//!
//! The policy is read from the file when the command is run, through the
//! same front end as every other subcommand; the supervision itself is the
//! runtime library's (`seccomp_policy::supervise::session`, which the
//! sandbox example runs too): a pid namespace (or, where none can be made,
//! a subreaper) so that nothing the command starts outlives it, a session
//! of its own, signals passed on to it, every refused call named on
//! stderr.

use std::io::Read as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, PoisonError};

use seccomp_policy::domain::{Degraded, DomainError, Vars, REQUIRED_ABI};
use seccomp_policy::install::Errno;
use seccomp_policy::notify::NotifyError;
use seccomp_policy::policy::Policy;
use seccomp_policy::reach::Reach;
use seccomp_policy::reach::BUILTIN_VARS;
use seccomp_policy::supervise::session::SessionError;
use seccomp_policy::supervise::{session, Mode, OwnedPolicy, SuperviseError, Supervisor};
use seccomp_policy::tool::{self, chain, TOOL_FAILED};
use seccomp_policy_compiler::{suggest, Compiled};
use seccomp_policy_core::text::{quoted, shown, Shown, PATH_MAX};
use seccomp_policy_core::{syscalls, Arch};

use crate::args::{Format, Options, Sub};
use crate::learn;
use crate::load::{arch_rules, cap_bits, load_for};
use crate::outcome::Failure;
use crate::output::{failed, usage};
use crate::report_file::ReportFile;

/// The prefix of every line the supervision writes on stderr.
const PREFIX: &str = "seccomp-policy";

/// Runs `run` or `learn`; the exit code to pass on.
pub fn run(sub: Sub, o: &Options) -> Result<u8, Failure> {
    // First, before any thread is started: the signals passed on to the
    // command are blocked in every thread but the one that takes them. A
    // failure is reported by `try_run_and_report`, which asks again, before
    // anything runs.
    let _ = session::forward_signals();
    let Some(arch) = Arch::NATIVE else {
        return Err(failed(
            "error: this machine's architecture is not one seccomp-policy supports",
        ));
    };
    // Only this machine's programs are built; `check` builds every
    // architecture's. Errors are still those `check` reports.
    let compiled = load_for(o, &[arch])?;
    let caps = cap_bits(sub, &compiled, &o.caps)?;
    let policy = native_policy(crate::load::display_name(&o.file), &compiled, arch)?;
    let mode = if sub == Sub::Learn {
        Mode::Learn
    } else {
        Mode::Enforce
    };
    let (program, args) = o
        .command
        .split_first()
        .ok_or_else(|| failed("error: no command given"))?;
    let mut command = Command::new(program);
    command.args(args);
    let degraded = if o.allow_degraded {
        Degraded::Allow
    } else {
        Degraded::Refuse
    };
    let vars = vars(sub, &compiled, &o.vars)?;
    let mut supervisor = Supervisor::new(policy, caps, syscalls::name)
        .mode(mode)
        .learn_files(!o.calls_only)
        .degraded(degraded)
        .vars(vars);
    // Opened now, before the command can do anything to this process.
    let report = o.report.as_deref().map(ReportFile::create).transpose()?;
    if let Some(report) = &report {
        supervisor = supervisor.on_denial(report.writer());
    }
    let learned = Arc::new(Mutex::new(learn::Outcome::default()));
    if sub == Sub::Learn {
        let target = learn_target(o);
        let json = o.format == Some(Format::Json);
        let summary = learn::summary(compiled, arch, target, json, Arc::clone(&learned));
        supervisor = supervisor.learn_summary(summary);
    }
    let ran = tool::try_run_and_report(supervisor, command, PREFIX);
    let learned = std::mem::take(&mut *learned.lock().unwrap_or_else(PoisonError::into_inner));
    if let Some(json) = learned.json {
        println!("{json}");
    }
    let written = report.map_or(Ok(()), ReportFile::finish);
    let code = ran.map_err(|e| Failure::NotRun {
        message: not_run(&e, sub, o),
        code: tool::error_exit_code(&e),
    })?;
    written.map_err(|message| Failure::NotRun {
        message,
        code: TOOL_FAILED,
    })?;
    if let Some(e) = learned.write_error {
        return Err(Failure::NotRun {
            message: format!("error: the policy was not written: {e}"),
            code: TOOL_FAILED,
        });
    }
    Ok(code)
}

/// Where `learn --write` or `--merge` writes the rules it learned.
fn learn_target(o: &Options) -> Option<learn::Target> {
    let out = if o.merge {
        o.file.clone()
    } else {
        o.write.clone()?
    };
    Some(learn::Target {
        source: o.file.clone(),
        out,
        into: o.into.clone(),
    })
}

/// The `--var` values, each checked against the variables the policy
/// knows: the built-in ones and those its `vars` declares.
fn vars(sub: Sub, compiled: &Compiled, given: &[(String, String)]) -> Result<Vars, Failure> {
    let mut known: Vec<&str> = BUILTIN_VARS.iter().map(|(name, _)| *name).collect();
    known.extend(compiled.policy.vars.iter().map(|v| v.text.as_str()));
    let mut vars = Vars::new();
    for (name, value) in given {
        if !known.contains(&name.as_str()) {
            let hint = match suggest::did_you_mean(name, known.iter().copied()) {
                Some(good) => format!("; did you mean `{good}`?"),
                None => String::new(),
            };
            return Err(usage(
                sub,
                format!(
                    "unknown variable `{}` in `--var` (known: {}){hint}",
                    name.escape_debug(),
                    known.join(", ")
                ),
            ));
        }
        vars.set(name.clone(), value.clone());
    }
    Ok(vars)
}

/// What went wrong when the command did not run to its end, and what to do,
/// in the words of the rest of the tool: `error: ...` and `help: ...`.
fn not_run(e: &SessionError, sub: Sub, o: &Options) -> String {
    let program = o.command.first().map_or("", String::as_str);
    let line = o.command.join(" ");
    let command = path_quoted(&line);
    let (what, help) = match e {
        SessionError::Exec(errno) => return cannot_execute(program, *errno),
        SessionError::Spawn(errno) => (
            format!(
                "cannot start {command}: {}",
                std::io::Error::from_raw_os_error(errno.0)
            ),
            if errno.name() == Some("EAGAIN") {
                "nothing ran; this user may have reached its limit of processes (`ulimit -u`)"
            } else {
                "nothing ran; making its process, its session or its pid namespace failed"
            }
            .to_owned(),
        ),
        SessionError::Signals { what, errno } => (
            format!("cannot pass signals on to {command}: {what} failed: {errno}"),
            "nothing ran; the system may be out of threads or memory".to_owned(),
        ),
        SessionError::Supervise(SuperviseError::Program(e)) => (
            chain(e).to_string(),
            format!(
                "nothing ran; `seccomp-policy disasm {} --allow-execve` with the same caps \
                 builds the same program",
                shown(crate::load::display_name(&o.file))
            ),
        ),
        SessionError::Supervise(SuperviseError::Handoff(h)) => (
            format!("cannot supervise {command}: {}", chain(h)),
            format!(
                "nothing ran; `{}` needs Linux 5.6 or newer (seccomp user notification, \
                 pidfd_getfd) and ptrace access to its own children \
                 (kernel.yama.ptrace_scope 0 or 1)",
                sub.name()
            ),
        ),
        SessionError::Supervise(SuperviseError::Setup { what, errno }) => (
            format!("cannot start the supervisor: {what} failed: {errno}"),
            "nothing ran; the system may be out of file descriptors or threads".to_owned(),
        ),
        SessionError::Supervise(e @ SuperviseError::Panicked) => (
            format!("supervising {command} failed: {}", chain(e)),
            "its process tree was killed, and its denials may not all have been named; this \
             is a bug in seccomp-policy, please report it"
                .to_owned(),
        ),
        SessionError::Supervise(SuperviseError::Landlock(e)) => {
            (
                format!("cannot confine {command}: {}", chain(e)),
                match e {
                    DomainError::Unsupported { .. } => format!(
                    "nothing ran; use a kernel with Landlock ABI {REQUIRED_ABI} (Linux 6.12 or \
                     newer, `landlock` in its `lsm=` list), or pass `--allow-degraded` to run \
                     with less: the payload could then reach processes outside the sandbox"
                ),
                    DomainError::Ruleset(_) => "nothing ran".to_owned(),
                    DomainError::Path { .. } => "nothing ran; check the path's permissions, or \
                     remove it from the policy's `fs` lists"
                        .to_owned(),
                    DomainError::Ports { var, .. } => {
                        format!("nothing ran; pass `--var {var}=443,8080`, or `--var {var}=*` for any port")
                    }
                },
            )
        }
        SessionError::Wait(errno) => (
            format!("waiting for {command} failed: {errno}; it was killed"),
            "its exit status is lost; run it again".to_owned(),
        ),
        SessionError::SupervisorFailed(done) => (
            format!(
                "supervising {command} failed: {}",
                done.failure().map_or_else(
                    || "the supervisor failed".to_owned(),
                    |f| chain(&f).to_string()
                )
            ),
            supervisor_failed_help(done.report.error),
        ),
    };
    format!("error: {what}\nhelp: {help}")
}

/// What to do when the supervisor failed with `error` while the command
/// ran.
fn supervisor_failed_help(error: Option<NotifyError>) -> String {
    let errno = match error {
        Some(NotifyError::Failed { errno, .. }) => errno.name(),
        _ => None,
    };
    match errno {
        Some("EMFILE") => "this process ran out of file descriptors: something lowered its \
             RLIMIT_NOFILE (a command that is not in a pid namespace of its own can, if its \
             policy grants `prlimit64` for any pid: grant `prlimit64(pid == 0)`), or `ulimit -n` \
             is too low"
            .to_owned(),
        Some("ENFILE") => {
            "the system ran out of file descriptors; run it again when fewer are open".to_owned()
        }
        _ => "the command's status is not its own; run it again, and report the error if it \
              persists"
            .to_owned(),
    }
}

/// `execve` of `program` failed with `errno`: which file that was, what is
/// wrong with it and what to do.
fn cannot_execute(program: &str, errno: Errno) -> String {
    let os = std::io::Error::from_raw_os_error(errno.0);
    let file = locate(program);
    // `frob` found in PATH as `/usr/local/bin/frob`: say which file.
    let name = match &file {
        Some(f) if !program.contains('/') => {
            format!("{} ({})", path_quoted(program), shown(&f.to_string_lossy()))
        }
        _ => path_quoted(program).to_string(),
    };
    // The file as the suggestions name it.
    let target = file
        .as_deref()
        .map_or_else(|| program.to_owned(), |f| f.display().to_string());
    let target = shown(&target).to_string();
    let meta = file.as_deref().and_then(|f| std::fs::metadata(f).ok());
    // Only a regular file is read: opening a FIFO would wait for a writer.
    let interpreter = match (&file, &meta) {
        (Some(f), Some(m)) if m.is_file() => interpreter(f),
        _ => None,
    };
    let (what, help) = match errno.name().unwrap_or_default() {
        "ENOENT" => match (&meta, &interpreter) {
            _ if program.is_empty() => (
                "the command's name is empty".to_owned(),
                "give the command after `--`, as in `-- /bin/echo hello`".to_owned(),
            ),
            (None, _) if program.contains('/') => (
                "no such file".to_owned(),
                "check the path (a relative one starts from the current directory)".to_owned(),
            ),
            (None, _) => (
                "command not found in PATH".to_owned(),
                format!(
                    "check the name, or give the program's path (`-- /path/to/{}`)",
                    shown(program)
                ),
            ),
            (Some(_), Some(interp)) if !Path::new(interp).exists() => (
                format!(
                    "the interpreter its `#!` line names, {}, was not found",
                    path_quoted(interp)
                ),
                format!(
                    "fix its `#!` line, or run it with an interpreter that exists \
                     (`-- INTERPRETER {target}`)"
                ),
            ),
            (Some(_), Some(interp)) => (
                format!(
                    "its interpreter {} exists, but the program loader it names was \
                     not found",
                    path_quoted(interp)
                ),
                format!(
                    "{} was built for another system: fix the script's `#!` line",
                    path_quoted(interp)
                ),
            ),
            (Some(_), None) => (
                "it exists, but the program loader it names (its ELF interpreter) was not found"
                    .to_owned(),
                "it was built for another system: run a build for this one".to_owned(),
            ),
        },
        "EACCES" => match &meta {
            Some(m) if m.is_dir() => (
                "it is a directory".to_owned(),
                "name a program, not a directory".to_owned(),
            ),
            Some(m) if !m.is_file() => (
                "it is not a regular file".to_owned(),
                "name a program file".to_owned(),
            ),
            Some(m) if m.permissions().mode() & 0o111 == 0 => (
                format!(
                    "it is not executable (mode {:04o})",
                    m.permissions().mode() & 0o7777
                ),
                format!(
                    "make it executable (`chmod +x {target}`), or run it with its interpreter \
                     (`-- {} {target}`)",
                    shown(interpreter.as_deref().unwrap_or("INTERPRETER"))
                ),
            ),
            _ => (
                match &interpreter {
                    Some(interp) => {
                        format!(
                            "permission denied to execute it or its interpreter {}",
                            path_quoted(interp)
                        )
                    }
                    None => "permission denied".to_owned(),
                },
                "check that this user may execute it and search every directory on its path, \
                 and that its filesystem is not mounted `noexec`"
                    .to_owned(),
            ),
        },
        "ENOEXEC" => (
            format!("it is not in a format this machine can execute ({os})"),
            "a program must be built for this architecture; a script needs a `#!` line naming \
             its interpreter"
                .to_owned(),
        ),
        "ENOTDIR" => (
            match Path::new(program)
                .ancestors()
                .skip(1)
                .find(|a| a.exists() && !a.is_dir())
            {
                Some(a) => format!(
                    "{} on its path is not a directory",
                    path_quoted(&a.to_string_lossy())
                ),
                None => format!("a name on its path is not a directory ({os})"),
            },
            "check the path".to_owned(),
        ),
        "E2BIG" => (
            "its arguments and environment are too long".to_owned(),
            "pass fewer or shorter arguments, or a smaller environment".to_owned(),
        ),
        _ if os.kind() == std::io::ErrorKind::ExecutableFileBusy => (
            "it is open for writing (Text file busy)".to_owned(),
            "run it once whatever writes it has closed it".to_owned(),
        ),
        _ => (format!("{os}"), "execve(2) lists what causes it".to_owned()),
    };
    format!("error: cannot run {name}: {what}\nhelp: {help}")
}

/// A path or command as a message quotes it: escaped, and cut only past
/// `PATH_MAX`.
fn path_quoted(text: &str) -> Shown<'_> {
    quoted(text).max(PATH_MAX)
}

/// The file `execve` tried for `program`: the path itself when it has a
/// `/`, otherwise the first file of that name in `PATH` (glibc's default,
/// `/bin:/usr/bin`, when `PATH` is not set), if there is one.
fn locate(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return Some(PathBuf::from(program));
    }
    if program.is_empty() {
        return None;
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/bin:/usr/bin".into());
    std::env::split_paths(&path)
        .map(|dir| {
            if dir.as_os_str().is_empty() {
                PathBuf::from(".").join(program)
            } else {
                dir.join(program)
            }
        })
        .find(|f| f.is_file())
}

/// The interpreter a script's `#!` line names, if `file` can be read and
/// has one.
fn interpreter(file: &Path) -> Option<String> {
    let mut head = [0u8; 256];
    let mut f = std::fs::File::open(file).ok()?;
    let n = f.read(&mut head).ok()?;
    let line = head[..n].strip_prefix(b"#!")?;
    let line = line.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = std::str::from_utf8(line).ok()?;
    line.split_whitespace().next().map(str::to_owned)
}

/// The file's policy on `arch` as the supervisor's own copy: the tables
/// the macro would emit for it, borrowed from `compiled` while they are
/// copied.
fn native_policy(file: &str, compiled: &Compiled, arch: Arch) -> Result<OwnedPolicy, Failure> {
    let rules = arch_rules(compiled, arch)?;
    let cap_names: Vec<&str> = compiled
        .policy
        .caps
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let texts: Vec<[Vec<&str>; 4]> = compiled
        .policy
        .tables()
        .map(|(_, table)| {
            let r = &table.reach;
            [&r.read, &r.write, &r.connect, &r.bind]
                .map(|entries| entries.iter().map(|e| e.text.as_str()).collect())
        })
        .collect();
    let reach: Vec<Reach<'_>> = compiled
        .policy
        .tables()
        .zip(&texts)
        .map(|((_, table), [read, write, connect, bind])| Reach {
            fs: table.reach.fs.is_some(),
            read,
            write,
            net: table.reach.net.is_some(),
            connect,
            bind,
        })
        .collect();
    Ok(rules.with_policy(|native| {
        OwnedPolicy::new(&Policy {
            file,
            cap_names: &cap_names,
            arches: &[*native],
            reach: &reach,
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccomp_policy::rule::RuleSet;
    use seccomp_policy_compiler::compile;

    /// The supervisor's copy is the policy the front end made: the same
    /// program for every cap set, and the same names.
    #[test]
    fn the_native_policy_builds_the_front_ends_programs() {
        let text = "\
default = \"kill-process\"
[base]
allow = [\"read\", \"write\", \"exit_group\", \"ioctl(cmd != TIOCSTI)\"]
[base.actions]
socket = \"EPERM\"
[cap.NET]
allow = [\"socket(family == AF_INET || family == AF_INET6)\", \"connect\"]
fs.read = [\"/usr\"]
net.connect = [443]
[cap.FILES]
allow = [\"mkdir\", \"mkdirat\", \"unlinkat(flag == 0)\"]
";
        let compiled = compile(text).expect("the policy compiles");
        for arch in Arch::ALL {
            let owned = native_policy("p.toml", &compiled, arch).unwrap();
            assert_eq!(owned.file(), "p.toml");
            owned.with_policy(|policy| {
                assert_eq!(policy.file, "p.toml");
                assert_eq!(policy.cap_names, ["NET", "FILES"]);
                assert_eq!(policy.reach.len(), 3);
                assert_eq!(policy.reach[1].read, ["/usr"]);
                assert_eq!(policy.reach[1].connect, ["443"]);
                assert!(policy.reach[1].fs && policy.reach[1].net);
                assert!(!policy.reach[0].fs && !policy.reach[2].net);
                let copied = policy.arch(arch).expect("the architecture is there");
                let rules = arch_rules(&compiled, arch).unwrap();
                rules.with_policy(|p| {
                    assert_eq!(*copied, *p, "{arch}");
                    for caps in 0..4 {
                        let a = copied.program::<256>(caps, RuleSet::EMPTY, copied.default);
                        let b = p.program::<256>(caps, RuleSet::EMPTY, p.default);
                        assert_eq!(
                            a.map(|p| p.as_slice().to_vec()),
                            b.map(|p| p.as_slice().to_vec()),
                            "{arch}, caps {caps:#b}"
                        );
                    }
                });
            });
        }
    }
}
