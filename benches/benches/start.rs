//! What the sandbox costs to start, and what the Landlock domain costs per
//! file opened (x86_64).
//!
//! `start`: `/bin/true` spawned and waited for, REPS times each, the rows
//! interleaved so that a change in the machine's load touches every row
//! alike:
//!
//! - bare: `Command::status`, no sandbox;
//! - filter only: `CommandExt::seccomp` with the `[base]` spawn program;
//! - library: `CommandExt::sandbox` (Landlock domain with `[base]`'s files,
//!   then the filter);
//! - `seccomp-policy --version` and `check`: the tool's own start, and its
//!   start with the front end on every architecture, to read the `run` row
//!   by;
//! - `seccomp-policy run`: the command-line tool, whole process (it reads
//!   and compiles the policy file for this machine, starts the
//!   supervisor, spawns);
//! - bwrap: `bwrap` with comparable confinement: read-only binds of the
//!   system directories, the work directory bound writable, `/proc`,
//!   `/dev`, `--unshare-pid`, `--die-with-parent`, and `--seccomp` with the
//!   same `[base]` spawn program (exported as `export --format bpf` does).
//!
//! Wall time from spawn to exit in this process, and CPU time: the
//! children's (`RUSAGE_CHILDREN`) plus this process's during the row (the
//! library rows build the program and the domain here).
//!
//! `per-open`: `find /usr -name NONE` under the filter alone and under the
//! library's sandbox (the domain confines files to `[base.fs]`), so Landlock
//! checks every path `find` opens; the same interleaving.

use std::ffi::CString;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use seccomp_policy::bpf::BPF_MAXINSNS;
use seccomp_policy::builder::Action;
use seccomp_policy::spawn::{spawn_program, CommandExt as _};
use seccomp_policy_benches::POLICY;

const REPS: usize = 101;
const FIND_REPS: usize = 15;

fn main() {
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let want = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));
    if want("start") {
        start();
    }
    if want("per-open") {
        per_open();
    }
}

/// The `[base]` program for spawning: what the filter-only, library and
/// bwrap rows install.
fn base_program() -> seccomp_policy::Program<BPF_MAXINSNS> {
    spawn_program::<BPF_MAXINSNS>(&POLICY, 0, Action::KillProcess).expect("builds")
}

/// The command-line tool, built in release mode.
fn cli() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--quiet", "-p", "seccomp-policy-cli"])
        .current_dir(&root)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building the command-line tool");
    root.join("target/release/seccomp-policy")
}

/// CPU time of this process and of its reaped children so far.
fn cpu() -> Duration {
    let read = |who| {
        // SAFETY: plain data, filled by getrusage.
        let mut u: libc::rusage = unsafe { core::mem::zeroed() };
        // SAFETY: a live rusage.
        unsafe { libc::getrusage(who, &raw mut u) };
        let tv = |t: libc::timeval| {
            Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
        };
        tv(u.ru_utime) + tv(u.ru_stime)
    };
    read(libc::RUSAGE_SELF) + read(libc::RUSAGE_CHILDREN)
}

/// A row: its name and how to make the command it runs.
struct Row {
    name: &'static str,
    make: Box<dyn Fn() -> Command>,
    wall: Vec<Duration>,
    cpu: Vec<Duration>,
}

impl Row {
    fn new(name: &'static str, make: impl Fn() -> Command + 'static) -> Row {
        Row {
            name,
            make: Box::new(make),
            wall: Vec::new(),
            cpu: Vec::new(),
        }
    }

    fn once(&mut self) {
        let (c0, t0) = (cpu(), Instant::now());
        let mut cmd = (self.make)();
        let status = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .expect("spawns");
        let (t1, c1) = (Instant::now(), cpu());
        assert!(status.success(), "{}: {status}", self.name);
        self.wall.push(t1 - t0);
        self.cpu.push(c1.saturating_sub(c0));
    }
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs the rows interleaved `reps` times and prints a table of medians,
/// each with its ratio to `against` (a row's name); the medians (wall,
/// CPU) by row.
fn table(rows: &mut [Row], reps: usize, against: &str) -> Vec<(&'static str, Duration, Duration)> {
    for _ in 0..reps {
        for row in rows.iter_mut() {
            row.once();
        }
    }
    let medians: Vec<(Duration, Duration)> = rows
        .iter_mut()
        .map(|r| (median(&mut r.wall), median(&mut r.cpu)))
        .collect();
    let base = rows
        .iter()
        .position(|r| r.name == against)
        .map(|i| medians[i])
        .expect("the reference row");
    println!("| row | wall, median (ms) | ÷ {against} | CPU, median (ms) | ÷ {against} |");
    println!("|---|---:|---:|---:|---:|");
    for (row, (wall, cpu)) in rows.iter().zip(&medians) {
        println!(
            "| {} | {:.2} | {:.2}× | {:.2} | {:.2}× |",
            row.name,
            ms(*wall),
            wall.as_secs_f64() / base.0.as_secs_f64(),
            ms(*cpu),
            cpu.as_secs_f64() / base.1.as_secs_f64(),
        );
    }
    println!("({reps} runs of each row, interleaved)\n");
    rows.iter()
        .zip(medians)
        .map(|(r, (wall, cpu))| (r.name, wall, cpu))
        .collect()
}

/// The `[base]` program written to a file, as `export --format bpf`
/// writes it, for bwrap's `--seccomp FD`.
fn program_file(dir: &Path) -> PathBuf {
    let mut bytes = Vec::new();
    for insn in base_program().as_slice() {
        bytes.extend_from_slice(&insn.code.to_ne_bytes());
        bytes.push(insn.jt);
        bytes.push(insn.jf);
        bytes.extend_from_slice(&insn.k.to_ne_bytes());
    }
    let path = dir.join("base.bpf");
    std::fs::write(&path, bytes).expect("write the program");
    path
}

/// bwrap with confinement comparable to the sandbox's; `--seccomp 3` reads
/// the program from descriptor 3, opened afresh in each child (bwrap reads
/// it to its end).
fn bwrap(work: &Path, program: &CString) -> Command {
    let mut cmd = Command::new("bwrap");
    for dir in ["/usr", "/etc", "/bin", "/sbin", "/lib", "/lib64"] {
        if Path::new(dir).exists() {
            cmd.args(["--ro-bind", dir, dir]);
        }
    }
    let w = work.to_str().expect("UTF-8");
    cmd.args(["--bind", w, w, "--proc", "/proc", "--dev", "/dev"])
        .args([
            "--unshare-pid",
            "--die-with-parent",
            "--seccomp",
            "3",
            "/bin/true",
        ]);
    let program = program.clone();
    // SAFETY: open and dup2 in the child, both async-signal-safe; the path
    // was made before the fork.
    unsafe {
        cmd.pre_exec(move || {
            let fd = libc::open(program.as_ptr(), libc::O_RDONLY);
            if fd < 0 || libc::dup2(fd, 3) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd
}

fn start() {
    let work =
        std::env::temp_dir().join(format!("seccomp-policy-bench-work-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("work dir");
    let tool = cli();
    let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policy/seccomp.toml");
    let has_bwrap = Command::new("bwrap")
        .args(["--ro-bind", "/", "/", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let w = work.clone();
    let w2 = work.clone();
    let w3 = work.clone();
    let mut rows = vec![
        Row::new("bare spawn", || Command::new("/bin/true")),
        Row::new("filter only (`CommandExt::seccomp`)", move || {
            let mut c = Command::new("/bin/true");
            c.current_dir(&w).seccomp(base_program());
            c
        }),
        Row::new(
            "library (`CommandExt::sandbox`: Landlock + filter)",
            move || {
                let mut c = Command::new("/bin/true");
                c.current_dir(&w2).sandbox(&POLICY, 0).expect("sandbox");
                c
            },
        ),
        Row::new("`seccomp-policy --version` (the tool's start)", {
            let tool = tool.clone();
            move || {
                let mut c = Command::new(&tool);
                c.arg("--version");
                c
            }
        }),
        Row::new("`seccomp-policy check` (start, front end on every arch)", {
            let (tool, policy) = (tool.clone(), policy.clone());
            move || {
                let mut c = Command::new(&tool);
                c.arg("check").arg(&policy);
                c
            }
        }),
        Row::new("`seccomp-policy run`", move || {
            let mut c = Command::new(&tool);
            c.arg("run")
                .arg(&policy)
                .args(["--", "/bin/true"])
                .current_dir(&w3);
            c.stderr(Stdio::null());
            c
        }),
    ];
    if has_bwrap {
        let w4 = work.clone();
        let program = CString::new(program_file(&work).into_os_string().into_encoded_bytes())
            .expect("no NUL in the path");
        rows.push(Row::new(
            "bwrap (binds, pid namespace, --seccomp)",
            move || bwrap(&w4, &program),
        ));
    } else {
        println!("(bwrap missing or unable to make namespaces here: its row is left out)");
    }
    println!("### Starting `/bin/true`\n");
    let medians = table(&mut rows, REPS, "bare spawn");
    let of = |name: &str| medians.iter().find(|(n, ..)| n.starts_with(name));
    if let (Some((_, run_wall, run_cpu)), Some((_, bw_wall, bw_cpu))) =
        (of("`seccomp-policy run`"), of("bwrap"))
    {
        println!(
            "`seccomp-policy run` ÷ bwrap: wall {:.2}×, CPU {:.2}× (the goal: wall ≤ 0.5×)\n",
            run_wall.as_secs_f64() / bw_wall.as_secs_f64(),
            run_cpu.as_secs_f64() / bw_cpu.as_secs_f64()
        );
    }
    let _ = std::fs::remove_dir_all(&work);
}

fn per_open() {
    let find = || {
        let mut c = Command::new("/usr/bin/find");
        c.args(["/usr", "-name", "no-such-name-anywhere"])
            .current_dir("/tmp");
        c
    };
    let mut rows = vec![
        Row::new("filter only", move || {
            let mut c = find();
            c.seccomp(base_program());
            c
        }),
        Row::new("Landlock (`[base.fs]`) + filter", move || {
            let mut c = find();
            c.sandbox(&POLICY, 0).expect("sandbox");
            c
        }),
    ];
    let listed = Command::new("/usr/bin/find")
        .args(["/usr"])
        .stdout(Stdio::piped())
        .output()
        .expect("find runs");
    let files = String::from_utf8_lossy(&listed.stdout).lines().count();
    println!("### `find /usr` ({files} paths)\n");
    let _ = table(&mut rows, FIND_REPS, "filter only");
}
