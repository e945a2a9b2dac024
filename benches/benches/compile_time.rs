//! What the macro costs at compile time and in the binary.
//!
//! A tiny probe crate (in `target/compile-time/probe`, depending on
//! `../seccomp-policy` by path) is compiled in variants whose `main.rs`
//! differ only in the invocation:
//!
//! - `none`: no invocation;
//! - `shipped`: `seccomp_policy!("policy/seccomp.toml")` and a use of
//!   all nine `BaseProgram` consts and `POLICY` (so the const programs are evaluated);
//! - `large`: the same with `benches/policies/large.toml`;
//! - `macro optimized`: `shipped` with the macro and its dependencies built
//!   with `opt-level = 3` (`[profile.dev.build-override]`), as a crate can
//!   ask for; cargo builds proc macros unoptimized by default.
//!
//! Expansion time is the difference of the median wall time of `cargo
//! build` (dev profile, dependencies already built) between a variant and
//! `none`; with a nightly toolchain the `expand_crate` pass of rustc's
//! `-Z time-passes` is reported too. Also measured: the clean release build
//! of `seccomp-policy` with its dependencies (separate target dir, with
//! cargo's per-unit `--timings`), and the size the generated statics add to
//! a release binary.
//!
//! Set `COMPILE_TIME_REPS` to change the number of timed builds per variant
//! (default 10; as many `-Z time-passes` runs, and one clean build per
//! four, at least one). `COMPILE_TIME_REPS=1` is a quick check that every
//! part still runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const NONE: &str = "use seccomp_policy as _;

fn main() {
    println!(\"{}\", std::hint::black_box(1u32));
}
";

fn with_policy(file: &str, body: &str) -> String {
    format!("seccomp_policy::seccomp_policy!(\"{file}\");\n\nfn main() {{\n{body}}}\n")
}

/// A `main` body using every `BaseProgram` const (one per architecture, named
/// as the macro names them: `Arch::name` in upper case) and `POLICY`.
fn use_statics() -> String {
    let consts: Vec<String> = seccomp_policy::Arch::ALL
        .iter()
        .map(|a| format!("&BaseProgram::{}", a.name().to_uppercase()))
        .collect();
    format!(
        "    let p = std::hint::black_box([{}]);\n    println!(\"{{}} {{}}\", p[0].len(), POLICY.arches.len());\n",
        consts.join(", ")
    )
}

const USE_RUNTIME_BUILD: &str = "    let bits = std::hint::black_box(Cap::ALL.bits());
    let p = program(seccomp_policy::Arch::X86_64, Cap::from_bits(bits).unwrap()).unwrap();
    println!(\"{}\", p.len());
";

/// The probe variants timed for expansion.
/// The variants timed: a name, the probe's `main.rs`, and whether the
/// probe builds the macro optimized (see [`Probe`]).
fn variants() -> Vec<(&'static str, String, Probe)> {
    let plain = |(name, main): (&'static str, String)| (name, main, Probe::Plain);
    let mut v: Vec<_> = [
        ("none", NONE.to_string()),
        (
            "shipped, items unused",
            with_policy("policy/seccomp.toml", ""),
        ),
        (
            "shipped, `program()` at run time",
            with_policy("policy/seccomp.toml", USE_RUNTIME_BUILD),
        ),
        (
            "shipped, all nine `BaseProgram` consts used",
            with_policy("policy/seccomp.toml", &use_statics()),
        ),
        ("large, items unused", with_policy("policy/large.toml", "")),
        (
            "large, all nine `BaseProgram` consts used",
            with_policy("policy/large.toml", &use_statics()),
        ),
    ]
    .into_iter()
    .map(plain)
    .collect();
    v.push((
        "shipped, items unused, macro optimized",
        with_policy("policy/seccomp.toml", ""),
        Probe::OptimizedMacro,
    ));
    v
}

/// How the probe's manifest builds the macro.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// Cargo's defaults: like every proc macro, unoptimized in both profiles.
    Plain,
    /// `[profile.dev.build-override] opt-level = 3`: the macro and its
    /// dependencies (the front end, syn, toml) optimized. A probe directory
    /// and target of its own, so neither variant rebuilds the other's.
    OptimizedMacro,
}

impl Probe {
    fn dir_name(self) -> &'static str {
        match self {
            Probe::Plain => "probe",
            Probe::OptimizedMacro => "probe-opt",
        }
    }

    fn manifest_extra(self) -> &'static str {
        match self {
            Probe::Plain => "",
            Probe::OptimizedMacro => "\n[profile.dev.build-override]\nopt-level = 3\n",
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn work_dir() -> PathBuf {
    seccomp_policy_benches::report::criterion_dir()
        .parent()
        .unwrap()
        .join("compile-time")
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // From scratch each time: no incremental state from another variant.
    c.env_remove("CARGO_TARGET_DIR")
        .env("CARGO_INCREMENTAL", "0");
    c
}

fn run(mut c: Command) -> (f64, String) {
    let t = Instant::now();
    let out = c.stdout(Stdio::null()).output().expect("runs cargo");
    let secs = t.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{c:?} failed:\n{err}");
    (secs, err)
}

/// Writes the probe crate with `main` and returns its directory.
fn probe(main: &str, kind: Probe) -> PathBuf {
    let dir = work_dir().join(kind.dir_name());
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join("policy")).unwrap();
    // Debug quotes the path, which makes it a TOML string.
    #[allow(clippy::unnecessary_debug_formatting)]
    let manifest = format!(
        "[package]\nname = \"probe\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [workspace]\n\n[dependencies]\nseccomp-policy = {{ path = {:?} }}\n{}",
        root().join("seccomp-policy"),
        kind.manifest_extra()
    );
    write_if_changed(&dir.join("Cargo.toml"), &manifest);
    for (from, to) in [
        (root().join("policy/seccomp.toml"), "policy/seccomp.toml"),
        (
            root().join("benches/policies/large.toml"),
            "policy/large.toml",
        ),
    ] {
        write_if_changed(&dir.join(to), &std::fs::read_to_string(from).unwrap());
    }
    // Always rewrite main.rs so cargo rebuilds the probe.
    std::fs::write(dir.join("src/main.rs"), main).unwrap();
    dir
}

fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap();
    }
}

fn build(dir: &Path, release: bool) -> f64 {
    let mut c = cargo();
    c.current_dir(dir).args(["build", "-q"]);
    if release {
        c.arg("--release");
    }
    run(c).0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn expansion_wall_time(reps: usize) {
    let variants = variants();
    // Build the dependencies, and check every variant compiles.
    for (_, main, kind) in &variants {
        build(&probe(main, *kind), false);
    }
    let mut times = vec![Vec::new(); variants.len()];
    for _ in 0..reps {
        for (i, (_, main, kind)) in variants.iter().enumerate() {
            times[i].push(build(&probe(main, *kind), false));
        }
    }
    let none = median(times[0].clone());
    println!("\n### Expansion time: `cargo build` of the probe (dev profile), median of {reps}\n");
    println!("| variant | median | min | − none |");
    println!("|---|--:|--:|--:|");
    for ((name, _, _), t) in variants.iter().zip(&times) {
        let min = t.iter().copied().fold(f64::INFINITY, f64::min);
        let m = median(t.clone());
        println!(
            "| {name} | {:.1} ms | {:.1} ms | {:+.1} ms |",
            m * 1e3,
            min * 1e3,
            (m - none) * 1e3
        );
    }
}

/// rustc's own account with `-Z time-passes` (nightly only): seconds of
/// `expand_crate` and of the whole compilation, median of `reps`.
fn time_passes(reps: usize) {
    let has_nightly = Command::new("rustup")
        .args(["run", "nightly", "rustc", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_nightly {
        println!("\n(no nightly toolchain: `-Z time-passes` skipped)");
        return;
    }
    println!("\n### rustc `-Z time-passes` (nightly, dev profile), median of {reps}\n");
    println!(
        "| variant | expand_crate | − none | type_check_crate (const evaluation) | − none | total | − none |"
    );
    println!("|---|--:|--:|--:|--:|--:|--:|");
    let mut base: Option<[f64; 3]> = None;
    for (name, main, kind) in &variants() {
        let target = work_dir().join(format!("nightly-{}", kind.dir_name()));
        let mut passes = [Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..reps {
            let dir = probe(main, *kind);
            let mut c = Command::new("rustup");
            c.env_remove("CARGO_TARGET_DIR")
                .env("CARGO_INCREMENTAL", "0")
                .env_remove("CARGO")
                .env_remove("RUSTUP_TOOLCHAIN")
                .current_dir(&dir)
                .args(["run", "nightly", "cargo", "rustc", "-q", "--target-dir"])
                .arg(&target)
                .args(["--", "-Z", "time-passes"]);
            let (_, err) = run(c);
            let pass = |p: &str| {
                err.lines()
                    .filter(|l| l.split_whitespace().last() == Some(p))
                    .filter_map(|l| {
                        l.split_whitespace()
                            .nth(1)?
                            .trim_end_matches(';')
                            .parse()
                            .ok()
                    })
                    .next_back()
            };
            let got = ["expand_crate", "type_check_crate", "total"].map(pass);
            if let [Some(e), Some(c), Some(t)] = got {
                for (v, x) in passes.iter_mut().zip([e, c, t]) {
                    v.push(x);
                }
            }
        }
        if passes[0].is_empty() {
            println!("| {name} | ? | | ? | | ? | |");
            continue;
        }
        let m: [f64; 3] = passes.map(median);
        let b = *base.get_or_insert(m);
        let cells: Vec<String> = m
            .iter()
            .zip(b)
            .map(|(x, x0)| format!("{:.0} ms | {:+.0} ms", x * 1e3, (x - x0) * 1e3))
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
}

/// Seconds per unit from cargo's `--timings` HTML report.
fn unit_times(report: &str, unit: &str) -> Option<f64> {
    let report: String = report.chars().filter(|c| !c.is_whitespace()).collect();
    let needle = format!("\"name\":\"{unit}\"");
    let at = report.find(&needle)?;
    let rest = &report[at..];
    let d = rest.find("\"duration\":")? + "\"duration\":".len();
    rest[d..]
        .split(|c: char| c != '.' && !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn clean_build(reps: usize) {
    let target = work_dir().join("clean");
    println!("\n### Clean release build of `seccomp-policy` (separate target dir), {reps} runs\n");
    println!("| run | wall time | seccomp-policy-macro | seccomp-policy |");
    println!("|---|--:|--:|--:|");
    for i in 0..reps {
        let _ = std::fs::remove_dir_all(&target);
        let mut c = cargo();
        c.current_dir(root())
            .args([
                "build",
                "-q",
                "-p",
                "seccomp-policy",
                "--release",
                "--timings",
            ])
            .arg("--target-dir")
            .arg(&target);
        let (secs, _) = run(c);
        let report = std::fs::read_to_string(target.join("cargo-timings/cargo-timing.html"))
            .unwrap_or_default();
        let show = |u| unit_times(&report, u).map_or("?".into(), |s| format!("{s:.2} s"));
        println!(
            "| {} | {secs:.2} s | {} | {} |",
            i + 1,
            show("seccomp-policy-macro"),
            show("seccomp-policy")
        );
    }
}

fn binary_size() {
    let variants = [
        ("no invocation", NONE.to_string()),
        (
            "`program()` at run time (POLICY tables + builder)",
            with_policy("policy/seccomp.toml", USE_RUNTIME_BUILD),
        ),
        (
            "all nine `BaseProgram` consts and `POLICY`",
            with_policy("policy/seccomp.toml", &use_statics()),
        ),
        (
            "all nine `BaseProgram` consts and `POLICY`, large policy",
            with_policy("policy/large.toml", &use_statics()),
        ),
    ];
    println!("\n### Release binary size of the probe (x86_64; `size`, stripped file)\n");
    println!("| variant | text | data | stripped file | − no invocation |");
    println!("|---|--:|--:|--:|--:|");
    let mut base = None;
    for (name, main) in &variants {
        let dir = probe(main, Probe::Plain);
        build(&dir, true);
        let bin = work_dir().join("probe/target/release/probe");
        let out = Command::new("size")
            .arg(&bin)
            .output()
            .expect("binutils' size");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let cols: Vec<u64> = text
            .lines()
            .nth(1)
            .unwrap_or("")
            .split_whitespace()
            .take(2)
            .filter_map(|s| s.parse().ok())
            .collect();
        let stripped = work_dir().join("probe-stripped");
        let ok = Command::new("strip")
            .arg("-o")
            .arg(&stripped)
            .arg(&bin)
            .status()
            .is_ok_and(|s| s.success());
        let file = if ok {
            std::fs::metadata(&stripped).unwrap().len()
        } else {
            0
        };
        let b = *base.get_or_insert(file);
        println!(
            "| {name} | {} | {} | {file} | {:+} |",
            cols.first().copied().unwrap_or(0),
            cols.get(1).copied().unwrap_or(0),
            file as i64 - b as i64
        );
    }
}

fn main() {
    let reps = std::env::var("COMPILE_TIME_REPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    // `cargo bench -- FILTER` runs this only when FILTER matches its name.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if !args.is_empty() && !args.iter().any(|a| "compile_time".contains(a.as_str())) {
        return;
    }
    println!("rustc: {}", rustc_version());
    expansion_wall_time(reps);
    time_passes(reps);
    clean_build(reps.div_ceil(4));
    binary_size();
}

fn rustc_version() -> String {
    Command::new("rustc")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}
