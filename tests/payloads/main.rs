//! The payload corpus: programs people really run (python3 and its standard
//! library, shells, coreutils, sqlite3, curl, busybox, perl, git, make,
//! node, ruby, php, lua, tcl, gawk, jq, openssl, the compressors, tar,
//! cpio, findutils, diffutils, file, rsync, gcc),
//! each run under the shipped `policy/seccomp.toml` through the public API
//! (`seccomp_policy!`, `CommandExt::sandbox`, `Outcome`).
//!
//! Each payload (the `*.toml` files beside this one; `corpus.rs` says their
//! form) runs
//!
//! 1. with `[base]` and its caps, nothing more: it must end with its status
//!    and say what it must say;
//! 2. once without each cap it needs: it must be refused, killed by `SIGSYS`
//!    or failing with the policy's errno, as the payload says, and leave
//!    none of the files (`outputs`) it makes with its caps;
//! 3. in learn mode (the supervisor's `Mode::Learn`) with its caps: no call
//!    it makes may be one the policy would kill (`Learned::would_be_killed`
//!    is empty), so learn advises nothing for a payload the policy covers.
//!
//! A payload marked `pending` waits for a rule `NEEDS.md` describes: it is
//! run, must still fail, and is counted apart; one that passes is an error
//! (drop its mark). A payload whose program is missing is counted as
//! skipped; with `CI` set that is an error, as `.ci/run` installs them all.
//!
//! The commands run in child processes; this process is never filtered.
//!
//! ```text
//! cargo test --test payloads                   # the whole corpus, a table
//! cargo test --test payloads -- sqlite curl    # payloads whose name has one
//! PAYLOADS_TRACE=1 cargo test --test payloads  # unfiltered under strace -f:
//!                                              # which calls each one makes
//!                                              # outside [base] and its caps
//! ```

mod corpus;
mod server;
mod trace;

use std::collections::BTreeMap;
use std::io::{Read, Write as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use seccomp_policy::audit;
use seccomp_policy::spawn::{CommandExt as _, Outcome};
use seccomp_policy::supervise::{Mode, Supervisor};

use corpus::{Payload, Refusal, DENIED_SAYS};

seccomp_policy::seccomp_policy!("policy/seccomp.toml");

/// How long one run may take before it is killed and counted as failed.
const TIMEOUT: Duration = Duration::from_secs(60);

fn main() -> ExitCode {
    if !cfg!(target_arch = "x86_64") {
        println!("the payload corpus runs on x86_64 only");
        println!("payloads: 0 passed, 0 failed, 1 skipped");
        return ExitCode::SUCCESS;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (filters, skips) = filters(&args);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/payloads");
    let payloads = match corpus::load(&dir, &|name| Cap::from_name(name).is_some()) {
        Ok(p) => p,
        Err(errors) => {
            for e in errors {
                eprintln!("tests/payloads/{e}");
            }
            return ExitCode::FAILURE;
        }
    };
    if args.iter().any(|a| a == "--list") {
        for p in &payloads {
            println!("{}: test", p.name);
        }
        return ExitCode::SUCCESS;
    }
    let selected: Vec<Payload> = payloads
        .into_iter()
        .filter(|p| filters.is_empty() || filters.iter().any(|f| p.name.contains(f)))
        .filter(|p| !skips.iter().any(|s| p.name.contains(s)))
        .collect();
    let port = match server::start() {
        Ok(port) => port,
        Err(e) => {
            eprintln!("payloads: cannot start the HTTP server on 127.0.0.1: {e}");
            return ExitCode::FAILURE;
        }
    };
    let ctx = Context {
        port,
        root: scratch_root(),
    };
    let code = if std::env::var_os("PAYLOADS_TRACE").is_some() {
        trace::run_all(&selected, &ctx)
    } else {
        check_all(&selected, &ctx)
    };
    let _ = std::fs::remove_dir_all(&ctx.root);
    code
}

/// The name filters and `--skip` filters among the arguments. libtest's
/// other flags may come along from `cargo test --workspace -- ...`
/// (`--nocapture`, `--test-threads 2`): they and their values mean nothing
/// here.
fn filters(args: &[String]) -> (Vec<&str>, Vec<&str>) {
    const WITH_VALUE: &[&str] = &[
        "--test-threads",
        "--color",
        "--format",
        "--logfile",
        "--shuffle-seed",
        "-Z",
    ];
    let (mut names, mut skips) = (Vec::new(), Vec::new());
    let mut args = args.iter().map(String::as_str);
    while let Some(arg) = args.next() {
        if arg == "--skip" {
            skips.extend(args.next());
        } else if WITH_VALUE.contains(&arg) {
            args.next();
        } else if !arg.starts_with('-') {
            names.push(arg);
        }
    }
    (names, skips)
}

/// What every run shares.
pub struct Context {
    /// The HTTP server's port on 127.0.0.1.
    pub port: u16,
    /// Where each run gets its own directory.
    pub root: PathBuf,
}

impl Context {
    /// `s` with `{dir}`, `{url}` and `{port}` filled in.
    pub fn fill(&self, s: &str, dir: &Path) -> String {
        s.replace("{dir}", &dir.to_string_lossy())
            .replace("{url}", &format!("http://127.0.0.1:{}", self.port))
            .replace("{port}", &self.port.to_string())
    }
}

fn scratch_root() -> PathBuf {
    std::env::temp_dir().join(format!("seccomp-policy-payloads-{}", std::process::id()))
}

/// How one run of a payload ended.
pub struct Ran {
    /// How the process ended.
    pub outcome: Outcome,
    /// What it wrote to standard output.
    pub stdout: String,
    /// What it wrote to standard error.
    pub stderr: String,
    /// The call the kernel logged when the process was killed by SIGSYS.
    pub denied: Option<String>,
    /// Whether the run was stopped at its time limit.
    pub timed_out: bool,
    /// The directory it ran in (removed after the run).
    pub dir: PathBuf,
    /// Each of the payload's `outputs`, as read after the run.
    pub outputs: Vec<(String, Option<String>)>,
    /// In learn mode, the calls the policy would have killed (`None`: not
    /// a learn run).
    pub would_be_killed: Option<Vec<String>>,
}

impl Ran {
    /// How it ended, in a few words: `exit 0`, `killed at unlink`, ...
    pub fn ending(&self) -> String {
        if self.timed_out {
            return format!("timed out after {} s", TIMEOUT.as_secs());
        }
        match self.outcome {
            Outcome::Exited(code) => format!("exit {code}"),
            Outcome::KilledBySeccomp => match &self.denied {
                Some(name) => format!("killed at {name}"),
                None => "killed by SIGSYS".into(),
            },
            Outcome::Signaled(sig) => format!("signal {sig}"),
            Outcome::Other(raw) => format!("wait status {raw:#x}"),
        }
    }

    /// The last non-empty line of stderr (or stdout), to say why it failed.
    pub fn last_words(&self) -> String {
        let pick = |s: &str| {
            s.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(str::to_owned)
        };
        let line = pick(&self.stderr)
            .or_else(|| pick(&self.stdout))
            .unwrap_or_default();
        let mut line: String = line.trim().chars().take(90).collect();
        if line.len() >= 90 {
            line.push_str("...");
        }
        line
    }
}

static RUNS: AtomicUsize = AtomicUsize::new(0);

/// Runs `p` with `prefix` before its command (for strace) and, when `caps`
/// is set, under the shipped policy with those caps.
///
/// # Errors
///
/// What kept the payload from running (its files, the sandbox, the pipes).
pub fn run(p: &Payload, ctx: &Context, caps: Option<u64>, prefix: &[&str]) -> Result<Ran, String> {
    run_as(p, ctx, caps, prefix, Mode::Enforce)
}

/// [`run`], supervised in learn mode (`Mode::Learn`) instead of filtered
/// by the kernel when `mode` says so.
fn run_as(
    p: &Payload,
    ctx: &Context,
    caps: Option<u64>,
    prefix: &[&str],
    mode: Mode,
) -> Result<Ran, String> {
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    let dir = ctx.root.join(format!("{n:03}-{}", p.name));
    let ran = run_in(p, ctx, caps, prefix, &dir, mode);
    let _ = std::fs::remove_dir_all(&dir);
    ran
}

fn run_in(
    p: &Payload,
    ctx: &Context,
    caps: Option<u64>,
    prefix: &[&str],
    dir: &Path,
    mode: Mode,
) -> Result<Ran, String> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, text) in &p.files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, ctx.fill(text, dir)).map_err(|e| format!("{name}: {e}"))?;
        if p.executable.contains(name) {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| format!("{name}: {e}"))?;
        }
    }
    let words: Vec<String> = prefix
        .iter()
        .map(std::string::ToString::to_string)
        .chain(p.run.iter().map(|a| ctx.fill(a, dir)))
        .collect();
    let mut cmd = Command::new(&words[0]);
    cmd.args(&words[1..])
        .current_dir(dir)
        .env_clear()
        // Debian's programs only: what /usr/local holds differs from one
        // machine to the next (a newer git, a version manager's shims).
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", dir)
        .env("TMPDIR", dir)
        .env("LANG", "C.UTF-8")
        // As a login session has it; without it bash looks the user up.
        .env("SHELL", "/bin/sh")
        .envs(p.env.iter().map(|(k, v)| (k, ctx.fill(v, dir))))
        .stdin(if p.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so that a timeout ends every process it
        // started (set before the filter is installed).
        .process_group(0);
    let mut supervision = None;
    match (caps, mode) {
        (Some(caps), Mode::Learn) => {
            let supervisor = Supervisor::new(&POLICY, caps, syscall_name).mode(Mode::Learn);
            supervision = Some(supervisor.attach(&mut cmd).map_err(|e| e.to_string())?);
        }
        (Some(caps), Mode::Enforce) => {
            cmd.sandbox(&POLICY, caps).map_err(|e| e.to_string())?;
        }
        (None, _) => {}
    }
    let mut child = cmd.spawn().map_err(|e| format!("{}: {e}", words[0]))?;
    let pid = child.id();
    let stdin = p.stdin.as_ref().map(|s| ctx.fill(s, dir));
    let (status, stdout, stderr, timed_out) = wait_with_timeout(&mut child, stdin)?;
    let would_be_killed = match supervision {
        Some(s) => {
            let report = s
                .finish()
                .map_err(|e| format!("the supervisor: {}", seccomp_policy::tool::chain(&e)))?;
            if let Some(e) = report.error {
                return Err(format!(
                    "the supervisor failed: {}",
                    seccomp_policy::tool::chain(&e)
                ));
            }
            Some(
                report
                    .learned()
                    .would_be_killed()
                    .iter()
                    .map(|c| c.syscall())
                    .collect(),
            )
        }
        None => None,
    };
    let outcome = Outcome::from(status);
    let denied = if outcome == Outcome::KilledBySeccomp {
        denied_call(pid)
    } else {
        None
    };
    let outputs = p
        .outputs
        .iter()
        .map(|(name, _)| {
            // Compressed files and archives are checked for their ASCII
            // magic and member names.
            let text = std::fs::read(dir.join(name))
                .ok()
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
            (name.clone(), text)
        })
        .collect();
    Ok(Ran {
        outcome,
        stdout,
        stderr,
        denied,
        timed_out,
        dir: dir.to_owned(),
        outputs,
        would_be_killed,
    })
}

type Waited = (std::process::ExitStatus, String, String, bool);

fn wait_with_timeout(child: &mut Child, stdin: Option<String>) -> Result<Waited, String> {
    let out = child.stdout.take().ok_or("no stdout pipe")?;
    let err = child.stderr.take().ok_or("no stderr pipe")?;
    let input = child.stdin.take();
    std::thread::spawn(move || {
        if let (Some(mut pipe), Some(text)) = (input, stdin) {
            // A payload that stops reading (or is killed) closes the pipe.
            let _ = pipe.write_all(text.as_bytes());
        }
    });
    let (tx, rx) = std::sync::mpsc::channel();
    for (which, mut pipe) in [
        (0, Box::new(out) as Box<dyn Read + Send>),
        (1, Box::new(err)),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            let _ = tx.send((which, String::from_utf8_lossy(&bytes).into_owned()));
        });
    }
    // The payload leads a process group of its own (see `run_in`).
    let group = -(child.id() as libc::pid_t);
    let deadline = Instant::now() + TIMEOUT;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status,
            None if Instant::now() >= deadline => {
                timed_out = true;
                // SAFETY: signals the payload's own group; the child is not
                // reaped yet, so its pid is still that group's id.
                unsafe { libc::kill(group, libc::SIGKILL) };
                break child.wait().map_err(|e| e.to_string())?;
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    // A program the payload started may still hold the pipes open: give it
    // a moment, then end its group, then give up on the rest of the output.
    let mut streams = [String::new(), String::new()];
    let mut pending = 2;
    let mut grace = Instant::now() + Duration::from_secs(5);
    let mut killed_group = false;
    while pending > 0 {
        match rx.recv_timeout(grace.saturating_duration_since(Instant::now())) {
            Ok((which, text)) => {
                streams[which] = text;
                pending -= 1;
            }
            Err(_) if !killed_group => {
                // SAFETY: as above; a group with members keeps its id.
                unsafe { libc::kill(group, libc::SIGKILL) };
                killed_group = true;
                grace = Instant::now() + Duration::from_secs(5);
            }
            Err(_) => break,
        }
    }
    let [stdout, stderr] = streams;
    Ok((status, stdout, stderr, timed_out))
}

/// The name of the call the kernel logged for `pid`, if it did: the log
/// may be unreadable, and the kernel rate-limits these records, so many of
/// a quick run's kills go unnamed.
fn denied_call(pid: u32) -> Option<String> {
    let call = audit::find_denied_call(pid).ok()??;
    Some(
        match call.arch().and_then(|a| syscall_name(a, call.nr as u32)) {
            Some(name) => name.to_owned(),
            None => format!("syscall {}", call.nr),
        },
    )
}

/// What its output lacks, if anything.
pub fn output_problem(p: &Payload, ctx: &Context, ran: &Ran) -> Option<String> {
    let lacks = |stream: &str, text: &str, wanted: &[String]| -> Option<String> {
        let mut rest = text;
        for w in wanted {
            let w = ctx.fill(w, &ran.dir);
            match rest.find(&w) {
                Some(i) => rest = &rest[i + w.len()..],
                None => return Some(format!("{stream} lacks {w:?}")),
            }
        }
        None
    };
    lacks("stdout", &ran.stdout, &p.stdout)
        .or_else(|| lacks("stderr", &ran.stderr, &p.stderr))
        .or_else(|| {
            p.outputs
                .iter()
                .zip(&ran.outputs)
                .find_map(|((name, want), (_, got))| match got {
                    None => Some(format!("no file {name}")),
                    Some(text) if !text.contains(want.as_str()) => {
                        Some(format!("{name} lacks {want:?}"))
                    }
                    Some(_) => None,
                })
        })
}

/// Whether `ran` is what `p` must do, or what is wrong.
///
/// # Errors
///
/// How `ran` differs from what `p` expects, to print.
pub fn verdict(p: &Payload, ctx: &Context, ran: &Ran) -> Result<(), String> {
    if ran.timed_out || ran.outcome != Outcome::Exited(p.status) {
        let words = ran.last_words();
        return Err(
            if words.is_empty() || ran.outcome == Outcome::KilledBySeccomp {
                ran.ending()
            } else {
                format!("{}: {words}", ran.ending())
            },
        );
    }
    match output_problem(p, ctx, ran) {
        Some(problem) => Err(problem),
        None => Ok(()),
    }
}

/// Whether `ran` is a refusal `r` allows: `Ok` says which form it was.
fn refused(r: &Refusal, ran: &Ran) -> Result<String, String> {
    if ran.timed_out {
        return Err(ran.ending());
    }
    match ran.outcome {
        Outcome::KilledBySeccomp if r.killed => Ok(ran.ending()),
        Outcome::Exited(CHILD_KILLED) if r.child_killed => Ok("a child killed (exit 159)".into()),
        Outcome::Exited(code) if r.errno && code != 0 => {
            let all = format!("{}{}", ran.stdout, ran.stderr);
            match r.says.iter().find(|s| !all.contains(s.as_str())) {
                None => Ok(format!("exit {code}, says {:?}", r.says[0])),
                Some(missing) => Err(format!(
                    "exit {code} without saying {missing:?}: {}",
                    ran.last_words()
                )),
            }
        }
        Outcome::Exited(code) if r.denied && code != 0 => {
            let all = format!("{}{}", ran.stdout, ran.stderr);
            match DENIED_SAYS.iter().find(|s| all.contains(*s)) {
                Some(says) => Ok(format!("exit {code}, denied: says {says:?}")),
                None => Err(format!(
                    "exit {code}, but must be {r} (saying one of {DENIED_SAYS:?}): {}",
                    ran.last_words()
                )),
            }
        }
        // A shell whose redirection was denied says so and goes on: the
        // refusal is that its files were not made.
        Outcome::Exited(0) if r.denied && ran.outputs.iter().any(|(_, text)| text.is_none()) => {
            let all = format!("{}{}", ran.stdout, ran.stderr);
            match DENIED_SAYS.iter().find(|s| all.contains(*s)) {
                Some(says) => Ok(format!("exit 0, its files not made, says {says:?}")),
                None => Err(format!(
                    "exit 0 without its files, but not saying one of {DENIED_SAYS:?}: {}",
                    ran.last_words()
                )),
            }
        }
        // A program that reports the refused file, then crashes on the
        // handle it did not get (zstd 1.5.4 does): refused all the same.
        Outcome::Signaled(sig) if r.denied => {
            let all = format!("{}{}", ran.stdout, ran.stderr);
            match DENIED_SAYS.iter().find(|s| all.contains(*s)) {
                Some(says) => Ok(format!("signal {sig} after saying {says:?}")),
                None => Err(format!(
                    "signal {sig}, but must be {r} (saying one of {DENIED_SAYS:?}): {}",
                    ran.last_words()
                )),
            }
        }
        Outcome::Exited(0) => Err("not refused: exit 0".into()),
        _ => Err(format!(
            "{}, but must be {r}: {}",
            ran.ending(),
            ran.last_words()
        )),
    }
}

/// Which of its `outputs` a refused run still made, if any: a file holding
/// the text the payload must leave, which the payload's own `files` did
/// not already hold. A refusal must keep the effect from happening, not
/// only end the program.
fn effect_left(p: &Payload, ctx: &Context, ran: &Ran) -> Option<String> {
    p.outputs
        .iter()
        .zip(&ran.outputs)
        .find_map(|((name, want), (_, got))| {
            let want = ctx.fill(want, &ran.dir);
            let made = got.as_ref().is_some_and(|text| text.contains(&want));
            let there_before = p
                .files
                .iter()
                .any(|(f, text)| f == name && ctx.fill(text, &ran.dir).contains(&want));
            (made && !there_before).then(|| name.clone())
        })
}

/// The status a shell exits with when a program it ran was killed by
/// `SIGSYS`: 128 + 31.
const CHILD_KILLED: i32 = 128 + libc::SIGSYS;

fn cap_bits(names: &[String]) -> u64 {
    names
        .iter()
        .filter_map(|n| Cap::from_name(n))
        .fold(0, |bits, c| bits | c.bits())
}

/// Why `p` cannot run here, if it cannot.
pub fn missing_program(p: &Payload) -> Option<String> {
    use std::os::unix::fs::PermissionsExt as _;
    if p.run[0].starts_with("{dir}") {
        // Made by the payload's own `files`.
        return None;
    }
    let program = Path::new(&p.run[0]);
    match std::fs::metadata(program) {
        Ok(m) if m.is_file() && m.permissions().mode() & 0o111 != 0 => None,
        _ => Some(format!("{} is not installed", program.display())),
    }
}

/// The result of the run with its caps.
enum Under {
    Passed,
    Failed(String),
    Pending { reason: String, ended: String },
    PassedWhilePending(String),
    Skipped(String),
}

/// One job for the worker threads: a payload, and the cap it runs without
/// (`None`: with all its caps), or its run in learn mode.
struct Job {
    payload: usize,
    without: Option<String>,
    learn: bool,
}

/// In learn mode with its caps, the calls of `p` the policy would kill:
/// `Ok` when there are none (and it still said what it must), else which.
fn learn_check(p: &Payload, ctx: &Context) -> Result<(), String> {
    let ran = run_as(p, ctx, Some(cap_bits(&p.caps)), &[], Mode::Learn)
        .map_err(|e| format!("could not run: {e}"))?;
    match ran.would_be_killed.as_deref() {
        Some([]) => verdict(p, ctx, &ran),
        Some(calls) => Err(format!("would be killed at {}", calls.join(", "))),
        None => Err("not supervised".to_owned()),
    }
}

fn check_all(payloads: &[Payload], ctx: &Context) -> ExitCode {
    let started = Instant::now();
    let mut jobs = Vec::new();
    for (i, p) in payloads.iter().enumerate() {
        jobs.push(Job {
            payload: i,
            without: None,
            learn: false,
        });
        if p.pending.is_none() && missing_program(p).is_none() {
            jobs.push(Job {
                payload: i,
                without: None,
                learn: true,
            });
            for cap in &p.needs {
                jobs.push(Job {
                    payload: i,
                    without: Some(cap.clone()),
                    learn: false,
                });
            }
        }
    }
    let next = AtomicUsize::new(0);
    let under: Mutex<BTreeMap<usize, Under>> = Mutex::new(BTreeMap::new());
    let without: Mutex<BTreeMap<(usize, String), Result<String, String>>> =
        Mutex::new(BTreeMap::new());
    let learned: Mutex<BTreeMap<usize, Result<(), String>>> = Mutex::new(BTreeMap::new());
    let workers = std::thread::available_parallelism()
        .map_or(2, std::num::NonZero::get)
        .clamp(1, 8);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let p = &payloads[job.payload];
                    if job.learn {
                        let result = learn_check(p, ctx);
                        learned.lock().unwrap().insert(job.payload, result);
                        continue;
                    }
                    match &job.without {
                        None => {
                            let result = run_under(p, ctx);
                            under.lock().unwrap().insert(job.payload, result);
                        }
                        Some(cap) => {
                            let caps: Vec<String> =
                                p.caps.iter().filter(|c| *c != cap).cloned().collect();
                            let result =
                                match run(p, ctx, Some(cap_bits(&caps)), &[]) {
                                    Ok(ran) => refused(&p.without[cap], &ran).and_then(|form| {
                                        match effect_left(p, ctx, &ran) {
                                            None => Ok(form),
                                            Some(name) => {
                                                Err(format!("{form}, but it still made {name}"))
                                            }
                                        }
                                    }),
                                    Err(e) => Err(format!("could not run: {e}")),
                                };
                            without
                                .lock()
                                .unwrap()
                                .insert((job.payload, cap.clone()), result);
                        }
                    }
                }
            });
        }
    });
    let under = under.into_inner().unwrap();
    let without = without.into_inner().unwrap();
    let learned = learned.into_inner().unwrap();
    report(payloads, &under, &without, &learned, started.elapsed())
}

fn run_under(p: &Payload, ctx: &Context) -> Under {
    if let Some(why) = missing_program(p) {
        return Under::Skipped(why);
    }
    let result = run(p, ctx, Some(cap_bits(&p.caps)), &[])
        .map_err(|e| format!("could not run: {e}"))
        .and_then(|ran| verdict(p, ctx, &ran));
    match (&p.pending, result) {
        (None, Ok(())) => Under::Passed,
        (None, Err(e)) => Under::Failed(e),
        (Some(reason), Ok(())) => Under::PassedWhilePending(reason.clone()),
        (Some(reason), Err(ended)) => Under::Pending {
            reason: reason.clone(),
            ended,
        },
    }
}

#[allow(
    clippy::too_many_lines,
    reason = "the corpus report, printed section after section in the order it reads"
)]
fn report(
    payloads: &[Payload],
    under: &BTreeMap<usize, Under>,
    without: &BTreeMap<(usize, String), Result<String, String>>,
    learned: &BTreeMap<usize, Result<(), String>>,
    elapsed: Duration,
) -> ExitCode {
    let in_ci = std::env::var_os("CI").is_some();
    let mut rows = Vec::new();
    let (mut passed, mut failed, mut pending, mut skipped) = (0, 0, 0, 0);
    let (mut refused_count, mut not_refused) = (0, 0);
    let (mut learn_clean, mut learn_failed) = (0, 0);
    let mut problems = Vec::new();
    for (i, p) in payloads.iter().enumerate() {
        let caps = if p.caps.is_empty() {
            "-".to_owned()
        } else {
            p.caps.join("+")
        };
        let under_text = match &under[&i] {
            Under::Passed => {
                passed += 1;
                "ok".to_owned()
            }
            Under::Failed(e) => {
                failed += 1;
                problems.push(format!("{} ({}): with its caps: {e}", p.name, p.origin));
                format!("FAIL: {e}")
            }
            Under::Pending { reason, ended } => {
                pending += 1;
                format!("pending ({ended}): {reason}")
            }
            Under::PassedWhilePending(reason) => {
                failed += 1;
                problems.push(format!(
                    "{} ({}): passes, but is marked pending ({reason}): drop the mark and its NEEDS.md entry",
                    p.name, p.origin
                ));
                "FAIL: passes while marked pending".to_owned()
            }
            Under::Skipped(why) => {
                skipped += 1;
                if in_ci {
                    failed += 1;
                    problems.push(format!("{}: skipped under CI: {why}", p.name));
                }
                format!("skipped: {why}")
            }
        };
        let mut without_text = Vec::new();
        for cap in &p.needs {
            match without.get(&(i, cap.clone())) {
                Some(Ok(form)) => {
                    refused_count += 1;
                    without_text.push(format!("{cap}: {form}"));
                }
                Some(Err(e)) => {
                    not_refused += 1;
                    problems.push(format!("{} ({}): without {cap}: {e}", p.name, p.origin));
                    without_text.push(format!("{cap}: FAIL: {e}"));
                }
                None => {}
            }
        }
        let without_text = if without_text.is_empty() {
            "-".to_owned()
        } else {
            without_text.join("; ")
        };
        let learn_text = match learned.get(&i) {
            Some(Ok(())) => {
                learn_clean += 1;
                "nothing killed".to_owned()
            }
            Some(Err(e)) => {
                learn_failed += 1;
                problems.push(format!("{} ({}): in learn mode: {e}", p.name, p.origin));
                format!("FAIL: {e}")
            }
            None => "-".to_owned(),
        };
        rows.push([
            p.name.clone(),
            p.family.clone(),
            caps,
            under_text,
            without_text,
            learn_text,
        ]);
    }
    print_table(
        &[
            "payload",
            "family",
            "caps",
            "with its caps",
            "without a cap it needs",
            "learn with its caps",
        ],
        &rows,
    );

    let mut families: BTreeMap<&str, usize> = BTreeMap::new();
    let mut per_cap: BTreeMap<&str, usize> = BTreeMap::new();
    let mut needing: BTreeMap<&str, usize> = BTreeMap::new();
    for p in payloads {
        *families.entry(&p.family).or_default() += 1;
        if p.needs.is_empty() {
            *needing.entry("[base] alone").or_default() += 1;
        }
        for c in &p.caps {
            *per_cap.entry(c).or_default() += 1;
        }
        for c in &p.needs {
            *needing.entry(c).or_default() += 1;
        }
    }
    let list = |m: &BTreeMap<&str, usize>| {
        m.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!();
    println!("payloads: {} ({})", payloads.len(), list(&families));
    println!("run with cap: {}", list(&per_cap));
    println!("needing: {}", list(&needing));
    if !problems.is_empty() {
        println!("\nproblems:");
        for p in &problems {
            println!("  {p}");
        }
    }
    let checks_failed = failed + not_refused + learn_failed;
    println!(
        "\n{passed} passed under cap, {refused_count} refused without, {learn_clean} with nothing \
         learn mode would kill, {pending} pending rules (tests/payloads/NEEDS.md), {skipped} \
         skipped, {checks_failed} failed; {:.1} s",
        elapsed.as_secs_f64()
    );
    // The closing line cargo's other test binaries print, so CI's count of
    // the whole suite includes the corpus: every under-cap pass and every
    // refusal is a check passed; pending and skipped payloads are ignored.
    println!(
        "test result: {}. {} passed; {checks_failed} failed; {} ignored; 0 measured; 0 filtered out; finished in {:.2}s",
        if checks_failed == 0 { "ok" } else { "FAILED" },
        passed + refused_count + learn_clean,
        pending + skipped,
        elapsed.as_secs_f64()
    );
    if checks_failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Prints rows as a plain-text table, wrapping no cell. A `|` inside a
/// cell (a payload's own words) is shown as `¦`, so the columns stay apart.
pub fn print_table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) {
    let rows: Vec<[String; N]> = rows
        .iter()
        .map(|row| row.clone().map(|cell| cell.replace('|', "¦")))
        .collect();
    let rows = rows.as_slice();
    let mut width = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let text: Vec<String> = cells
            .iter()
            .zip(width)
            .enumerate()
            .map(|(i, (c, w))| {
                if i + 1 == N {
                    c.to_string()
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect();
        println!("{}", text.join(" | ").trim_end());
    };
    line(header);
    line(
        &width
            .map(|w| "-".repeat(w))
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    for row in rows {
        line(&row.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let _ = std::io::stdout().flush();
}
