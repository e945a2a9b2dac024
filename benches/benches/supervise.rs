//! The supervisor: how many notified calls per second it answers, and what
//! learn mode adds to real payloads beside `strace -f -c` (x86_64).
//!
//! `throughput`: this binary runs itself as the payload (environment
//! variable `SECCOMP_POLICY_BENCH_PAYLOAD=N`): a loop of N `getsid(0)`
//! calls, outside `[base]`, each sent to the supervisor and continued. The
//! payload times its own loop (so spawning is not counted) and prints how
//! many calls succeeded; the rate is N divided by that time. Rows: no
//! filter (the call's own cost); the `Supervisor` in learn mode, with and
//! without `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP`; and a bare loop of the
//! `notify` primitives (recv, `ID_VALID`, send) with no bookkeeping.
//! Every run checks that all N calls succeeded and that the supervisor
//! counted N.
//!
//! `flood`: 64 threads of this binary (environment variable
//! `SECCOMP_POLICY_BENCH_FLOOD=THREADS,CALLS`) each call
//! `socket(AF_INET, SOCK_STREAM, 0)`, which `[base]` answers with EPERM,
//! CALLS times, timing each call; the payload prints the calls refused,
//! the wall time of the flood and the median, 99th percentile and
//! maximum latency of one call. Rows: the kernel's own EPERM (the policy's
//! filter with no supervisor), and `seccomp-policy run` built from the
//! revision before the flood and fail-closed work (`SUPERVISE_BEFORE_CLI`,
//! a path; the row is left out without it) and from this tree (built by
//! the bench, or `SUPERVISE_AFTER_CLI`), without and with `--report` (on
//! `/dev/shm`), their stderr read through a pipe as a log collector would,
//! interleaved run by run. Every run checks that every call was refused
//! (and, with `--report`, that the file has a line for each denial: the
//! flood's and each thread's `clone3`).
//!
//! `learn-vs-strace`: each payload run plainly, under learn mode (which
//! learns files too: every call naming a path goes to the supervisor),
//! under learn mode learning calls only (`Supervisor::learn_files(false)`,
//! what learn mode did before it learned files), and under
//! `strace -f -c -o /dev/null`, interleaved; CPU time (the payload's tree,
//! strace itself, and this process: the supervisor thread, spawning, the
//! handshake) and wall time from spawn to exit. The overhead is the
//! difference from the plain runs' median (and minimum). CPU time is the
//! steadier figure on a shared machine. `TMPDIR=/dev/shm` for every run,
//! so sqlite's `fdatasync` does not wait for a disk.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use seccomp_policy::bpf::BPF_MAXINSNS;
use seccomp_policy::builder::Action;
use seccomp_policy::install::Install;
use seccomp_policy::notify::{handoff, Readiness, Response};
use seccomp_policy::spawn::{spawn_program, CommandExt as _};
use seccomp_policy::supervise::Supervisor;
use seccomp_policy_benches::{syscall_name, POLICY};

const PAYLOAD_ENV: &str = "SECCOMP_POLICY_BENCH_PAYLOAD";
const FLOOD_ENV: &str = "SECCOMP_POLICY_BENCH_FLOOD";
const FLOOD_THREADS: usize = 64;
const FLOOD_CALLS: usize = 500;
const FLOOD_REPS: usize = 7;
const CALLS: u64 = 200_000;
const THROUGHPUT_REPS: usize = 7;
const WALL_REPS: usize = 31;

fn main() {
    if let Ok(n) = std::env::var(PAYLOAD_ENV) {
        payload(n.parse().expect("a count"));
        return;
    }
    if let Ok(spec) = std::env::var(FLOOD_ENV) {
        let (threads, calls) = spec.split_once(',').expect("THREADS,CALLS");
        flood_payload(
            threads.parse().expect("threads"),
            calls.parse().expect("calls"),
        );
        return;
    }
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let want = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));
    if want("throughput") {
        throughput();
    }
    if want("flood") {
        flood();
    }
    if want("learn-vs-strace") {
        learn_vs_strace();
    }
}

/// The payload: `n` calls of `getsid(0)`; prints `successes nanoseconds`.
fn payload(n: u64) {
    let start = Instant::now();
    let mut ok = 0u64;
    for _ in 0..n {
        // SAFETY: getsid(0) has no side effect.
        if unsafe { libc::syscall(libc::SYS_getsid, 0) } >= 0 {
            ok += 1;
        }
    }
    let ns = start.elapsed().as_nanos();
    println!("{ok} {ns}");
}

fn payload_command() -> Command {
    let mut cmd = Command::new(std::env::current_exe().expect("own path"));
    cmd.env(PAYLOAD_ENV, CALLS.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    cmd
}

/// Parses the payload's line; panics unless every call succeeded.
fn payload_ns(stdout: &[u8]) -> u128 {
    let text = String::from_utf8_lossy(stdout);
    let mut it = text.split_whitespace();
    let ok: u64 = it.next().and_then(|s| s.parse().ok()).expect("count");
    let ns: u128 = it.next().and_then(|s| s.parse().ok()).expect("time");
    assert_eq!(ok, CALLS, "calls that succeeded");
    ns
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn plain_rate() -> f64 {
    let out = payload_command().output().expect("runs");
    CALLS as f64 / (payload_ns(&out.stdout) as f64 / 1e9)
}

fn supervisor_rate(sync_wake_up: bool) -> f64 {
    let mut cmd = payload_command();
    let supervision = Supervisor::new(&POLICY, 0, syscall_name)
        .learn()
        .sync_wake_up(sync_wake_up)
        .attach(&mut cmd)
        .expect("attach");
    let out = cmd.output().expect("runs");
    let report = supervision.finish().expect("report");
    assert_eq!(report.count_of("getsid"), CALLS, "counted");
    assert_eq!(report.answered, report.notifications, "all answered");
    CALLS as f64 / (payload_ns(&out.stdout) as f64 / 1e9)
}

/// The `notify` primitives alone: recv, `ID_VALID`, send(CONTINUE).
fn primitives_rate() -> f64 {
    let prog = spawn_program::<BPF_MAXINSNS>(&POLICY, 0, Action::Notify).expect("program");
    let (parent, child) = handoff().expect("handoff");
    let mut cmd = payload_command();
    let hook = move || -> std::io::Result<()> {
        child.install(Install::new().tsync(false), prog.as_slice())?;
        Ok(())
    };
    // SAFETY: the hook allocates nothing, takes no lock, cannot panic.
    unsafe { std::os::unix::process::CommandExt::pre_exec(&mut cmd, hook) };
    let loop_thread = std::thread::spawn(move || {
        let a = parent
            .accept(Duration::from_secs(10), None)
            .expect("accept");
        let mut answered = 0u64;
        while let Ok(Readiness::Pending) = a.listener.wait(None) {
            let Ok(n) = a.listener.recv() else { continue };
            if a.listener.is_pending(n.id) == Ok(true)
                && a.listener.respond(n.id, Response::Continue).is_ok()
            {
                answered += 1;
            }
        }
        answered
    });
    let out = cmd.output().expect("runs");
    let answered = loop_thread.join().expect("loop");
    assert!(answered >= CALLS, "answered {answered}");
    CALLS as f64 / (payload_ns(&out.stdout) as f64 / 1e9)
}

fn throughput() {
    type Row = (&'static str, fn() -> f64);
    println!("throughput: {CALLS} getsid(0) calls per run, median of {THROUGHPUT_REPS} runs\n");
    let rows: [Row; 4] = [
        ("no filter (the call itself)", plain_rate),
        ("`Supervisor`, learn mode, sync wake-up (default)", || {
            supervisor_rate(true)
        }),
        ("`Supervisor`, learn mode, no sync wake-up", || {
            supervisor_rate(false)
        }),
        (
            "`notify` primitives: recv + ID_VALID + send",
            primitives_rate,
        ),
    ];
    println!("| payload calls answered by | calls/s | ns/call |");
    println!("|---|---:|---:|");
    for (name, f) in rows {
        let rates: Vec<f64> = (0..THROUGHPUT_REPS).map(|_| f()).collect();
        let m = median(rates);
        println!("| {name} | {:.0} | {:.0} |", m, 1e9 / m);
    }
    println!();
}

/// The flood payload: `threads` threads each call
/// `socket(AF_INET, SOCK_STREAM, 0)` `calls` times; prints `refused
/// wall_ns p50_ns p99_ns max_ns`.
fn flood_payload(threads: usize, calls: usize) {
    let start = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            std::thread::spawn(move || {
                let mut latency = Vec::with_capacity(calls);
                let mut refused = 0u64;
                for _ in 0..calls {
                    let t = Instant::now();
                    // SAFETY: integer arguments; a descriptor made is closed.
                    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0) };
                    latency.push(t.elapsed().as_nanos() as u64);
                    if fd >= 0 {
                        // SAFETY: the descriptor just made.
                        unsafe { libc::close(fd) };
                    } else if std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM) {
                        refused += 1;
                    }
                }
                (latency, refused)
            })
        })
        .collect();
    let mut all = Vec::with_capacity(threads * calls);
    let mut refused = 0;
    for w in workers {
        let (latency, r) = w.join().expect("a flood thread");
        all.extend(latency);
        refused += r;
    }
    let wall = start.elapsed().as_nanos();
    all.sort_unstable();
    let at = |q: f64| all[((all.len() - 1) as f64 * q) as usize];
    println!(
        "{refused} {wall} {} {} {}",
        at(0.5),
        at(0.99),
        all[all.len() - 1]
    );
}

/// One flood run: what the payload measured, and what stderr got.
struct Flood {
    refused: u64,
    wall_ns: f64,
    p50_ns: f64,
    p99_ns: f64,
    max_ns: f64,
    stderr_lines: usize,
    stderr_bytes: usize,
}

fn flood_command(program: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env(FLOOD_ENV, format!("{FLOOD_THREADS},{FLOOD_CALLS}"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs `cmd` (stdout and stderr piped) to its end, reading stderr as it
/// comes, and checks that every call was refused.
fn flood_run(mut cmd: Command) -> Flood {
    let mut child = cmd.spawn().expect("runs");
    let mut err = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        err.read_to_end(&mut text).expect("stderr");
        text
    });
    let out = child.wait_with_output().expect("runs");
    let err = reader.join().expect("stderr reader");
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Vec<f64> = text
        .split_whitespace()
        .map(|w| w.parse().expect("a number"))
        .collect();
    let calls = (FLOOD_THREADS * FLOOD_CALLS) as u64;
    assert!(
        out.status.success() && v.len() == 5 && v[0] as u64 == calls,
        "{}: stdout {text:?}, stderr {}",
        out.status,
        String::from_utf8_lossy(&err[err.len().saturating_sub(2000)..])
    );
    Flood {
        refused: v[0] as u64,
        wall_ns: v[1],
        p50_ns: v[2],
        p99_ns: v[3],
        max_ns: v[4],
        stderr_lines: String::from_utf8_lossy(&err).lines().count(),
        stderr_bytes: err.len(),
    }
}

/// The policy's own filter, no supervisor: the kernel answers EPERM.
fn flood_kernel() -> Flood {
    let exe = std::env::current_exe().expect("own path");
    let mut cmd = flood_command(&exe);
    cmd.sandbox(&POLICY, 0).expect("the policy's program");
    flood_run(cmd)
}

/// `seccomp-policy run` of the shipped policy (`cli`) on the payload,
/// with `options` before the command.
fn flood_cli(cli: &Path, options: &[&str]) -> Flood {
    let exe = std::env::current_exe().expect("own path");
    let mut cmd = flood_command(cli);
    cmd.args(["run", "../policy/seccomp.toml"])
        .args(options)
        .arg("--")
        .arg(exe);
    flood_run(cmd)
}

/// Where `--report` writes: a tmpfs when there is one, so no disk's
/// latency is measured.
fn report_path() -> String {
    let dir = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let path = dir.join(format!("seccomp-policy-bench-{}.jsonl", std::process::id()));
    path.to_str().expect("UTF-8 path").to_owned()
}

/// `seccomp-policy` built from this tree, release profile.
fn this_cli() -> PathBuf {
    if let Some(path) = std::env::var_os("SUPERVISE_AFTER_CLI") {
        return path.into();
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "--release", "--quiet", "-p", "seccomp-policy-cli"])
        .current_dir(&root)
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    root.join("target/release/seccomp-policy")
}

fn flood() {
    type Row = (String, Box<dyn Fn() -> Flood>);
    let calls = FLOOD_THREADS * FLOOD_CALLS;
    println!(
        "flood: {FLOOD_THREADS} threads x {FLOOD_CALLS} socket() calls ({calls} denials) per \
         run, median of {FLOOD_REPS} interleaved runs\n"
    );
    let after = this_cli();
    let mut rows: Vec<Row> = vec![(
        "kernel's EPERM, no supervisor".into(),
        Box::new(flood_kernel),
    )];
    if let Some(before) = std::env::var_os("SUPERVISE_BEFORE_CLI") {
        let before = PathBuf::from(before);
        rows.push((
            "`seccomp-policy run`, before".into(),
            Box::new(move || flood_cli(&before, &[])),
        ));
    } else {
        println!("(SUPERVISE_BEFORE_CLI not set: no row for the revision before)\n");
    }
    let report = report_path();
    let with_report = (after.clone(), report.clone());
    rows.push((
        "`seccomp-policy run`, this tree".into(),
        Box::new(move || flood_cli(&after, &[])),
    ));
    rows.push((
        "`seccomp-policy run --report FILE`, this tree".into(),
        Box::new(move || {
            let (cli, report) = &with_report;
            let run = flood_cli(cli, &["--report", report]);
            let lines = std::fs::read_to_string(report).expect("the report");
            assert_eq!(lines.lines().count(), FLOOD_THREADS * (FLOOD_CALLS + 1));
            run
        }),
    ));
    let mut runs: Vec<Vec<Flood>> = rows.iter().map(|_| Vec::new()).collect();
    for _ in 0..FLOOD_REPS {
        for (i, (_, f)) in rows.iter().enumerate() {
            runs[i].push(f());
        }
    }
    println!(
        "| denials answered by | denials/s | p50 latency (µs) | p99 latency (µs) | \
         max (ms) | stderr lines | stderr bytes |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for ((name, _), runs) in rows.iter().zip(runs) {
        let m = |f: fn(&Flood) -> f64| median(runs.iter().map(f).collect());
        println!(
            "| {name} | {:.0} | {:.1} | {:.1} | {:.1} | {:.0} | {:.0} |",
            m(|r| r.refused as f64 / (r.wall_ns / 1e9)),
            m(|r| r.p50_ns) / 1e3,
            m(|r| r.p99_ns) / 1e3,
            m(|r| r.max_ns) / 1e6,
            m(|r| r.stderr_lines as f64),
            m(|r| r.stderr_bytes as f64),
        );
    }
    let _ = std::fs::remove_file(report);
    println!();
}

/// One run's cost in milliseconds.
#[derive(Clone, Copy)]
struct Cost {
    wall: f64,
    cpu: f64,
}

fn cpu_ms(ru: &libc::rusage) -> f64 {
    let t = |tv: libc::timeval| tv.tv_sec as f64 * 1e3 + tv.tv_usec as f64 / 1e3;
    t(ru.ru_utime) + t(ru.ru_stime)
}

fn self_cpu_ms() -> f64 {
    // SAFETY: rusage is plain data, valid when zeroed.
    let mut ru: libc::rusage = unsafe { core::mem::zeroed() };
    // SAFETY: fills a live rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &raw mut ru) };
    cpu_ms(&ru)
}

/// One run of `argv` plainly, under learn mode or under `strace -f -c`:
/// wall time from spawn to exit, and CPU time of the payload's tree (for
/// strace, strace's too: `wait4` reports what the child and the
/// descendants it reaped used) plus this process's (the supervisor thread,
/// spawning, the handshake). Checks the run succeeded.
fn run_once(argv: &[&str], how: &str) -> Cost {
    let mut cmd = match how {
        "strace" => {
            let mut c = Command::new("strace");
            c.args(["-f", "-c", "-o", "/dev/null", "--"]).args(argv);
            c
        }
        _ => {
            let mut c = Command::new(argv[0]);
            c.args(&argv[1..]);
            c
        }
    };
    // sqlite's fdatasync on a tmpfs: the same calls, without the disk's
    // latency, which would otherwise swamp the differences measured here.
    cmd.env("TMPDIR", "/dev/shm")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let self_before = self_cpu_ms();
    let start = Instant::now();
    let supervision = how.starts_with("learn").then(|| {
        Supervisor::new(&POLICY, 0, syscall_name)
            .learn()
            .learn_files(how == "learn")
            .attach(&mut cmd)
            .expect("attach")
    });
    // Reaped with wait4 below, which reports the tree's resource use.
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().expect("runs");
    let mut status = 0;
    // SAFETY: rusage is plain data, valid when zeroed.
    let mut ru: libc::rusage = unsafe { core::mem::zeroed() };
    // SAFETY: waits for our own child; fills a live status and rusage.
    unsafe { libc::wait4(child.id() as i32, &raw mut status, 0, &raw mut ru) };
    if let Some(s) = supervision {
        let report = s.finish().expect("report");
        assert!(!report.calls.is_empty(), "learned nothing");
    }
    let wall = start.elapsed().as_secs_f64() * 1e3;
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{how}: {argv:?}"
    );
    Cost {
        wall,
        cpu: cpu_ms(&ru) + self_cpu_ms() - self_before,
    }
}

fn learn_vs_strace() {
    type Measure = (&'static str, fn(&Cost) -> f64, fn(Vec<f64>) -> f64);
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/payloads/sqlite_subprocess_socket.py"
    );
    let payloads: [(&str, Vec<&str>); 2] = [
        (
            "python3: sqlite3, subprocess, socket",
            vec!["/usr/bin/python3", "-I", script],
        ),
        (
            "`sh -c 'ls / \\| wc -l'`",
            vec!["/bin/sh", "-c", "ls / | wc -l"],
        ),
    ];
    println!("learn-vs-strace: {WALL_REPS} interleaved runs of each (ms)\n");
    println!(
        "| payload | measure | plain | learn mode | added | learn, calls only | added | \
         `strace -f -c` | added | strace's added ÷ learn's | ÷ calls only's |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, argv) in payloads {
        // Interleaved, so drifts of the machine hit every column alike.
        let mut runs: [Vec<Cost>; 4] = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..WALL_REPS {
            for (i, how) in ["plain", "learn", "learn-calls", "strace"]
                .into_iter()
                .enumerate()
            {
                runs[i].push(run_once(&argv, how));
            }
        }
        let measures: [Measure; 3] = [
            ("CPU, median", |c| c.cpu, median),
            ("wall, median", |c| c.wall, median),
            (
                "wall, minimum",
                |c| c.wall,
                |v| v.into_iter().fold(f64::MAX, f64::min),
            ),
        ];
        for (measure, pick, summary) in measures {
            let [p, l, c, s] = [0, 1, 2, 3].map(|i| summary(runs[i].iter().map(pick).collect()));
            println!(
                "| {name} | {measure} | {p:.2} | {l:.2} | {:+.2} | {c:.2} | {:+.2} | {s:.2} | \
                 {:+.2} | {:.1}× | {:.1}× |",
                l - p,
                c - p,
                s - p,
                (s - p) / (l - p),
                (s - p) / (c - p)
            );
        }
    }
    println!();
}
