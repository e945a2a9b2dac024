//! Shared pieces of the benchmarks: the shipped policy, the reference
//! filter generators (libseccomp through the suite's binding, seccompiler),
//! forked children through the suite's `in_child`, and the ratio tables
//! printed after the criterion runs.
//!
//! The benchmark targets are in `benches/`; `BENCHMARKS.md` at the root of
//! the repository has the commands and the latest numbers.

// These functions serve benchmarks: a call that cannot do its job panics
// with the reason, which `# Panics` sections would only repeat.
#![allow(clippy::missing_panics_doc)]

use std::collections::{BTreeMap, BTreeSet};

use seccomp_policy::{Arch, SockFilter};

seccomp_policy::seccomp_policy!("../policy/seccomp.toml");

/// The numbers `base` and the caps in `caps` allow on `arch` whatever the
/// arguments (their `allow` lists), sorted and unique: the set the reference
/// generators are given where only such numbers are compared.
pub fn numbers(arch: Arch, caps: u64) -> Vec<u32> {
    let ap = POLICY.arch(arch).expect("arch compiled into the policy");
    let mut set: BTreeSet<u32> = ap.base.allow.iter().copied().collect();
    for (i, cap) in ap.caps.iter().enumerate() {
        if caps & (1 << i) != 0 {
            set.extend(cap.allow.iter().copied());
        }
    }
    set.into_iter().collect()
}

/// libseccomp (the system's `libseccomp.so.2`): the suite's binding, which
/// the tests use too.
pub use seccomp_policy_suite::libseccomp;

/// The shipped policy read by the front end at run time (the same text and
/// code the macro expands), for the rules libseccomp is given.
pub fn compiled() -> seccomp_policy_compiler::Compiled {
    seccomp_policy_compiler::compile(include_str!("../../policy/seccomp.toml"))
        .unwrap_or_else(|e| panic!("the shipped policy compiles: {e:?}"))
}

/// Instruction counts per call in the simulator, and libseccomp's programs
/// for the same rules: the suite's, which the tests use too.
pub use seccomp_policy_suite::path_cost;

/// seccompiler (Firecracker's filter compiler).
pub mod seccompiler {
    use super::{Arch, BTreeMap, SockFilter};
    use ::seccompiler::{BpfProgram, SeccompAction, SeccompFilter, TargetArch};

    /// seccompiler's name for `arch`, if it supports it.
    pub fn target(arch: Arch) -> Option<TargetArch> {
        match arch {
            Arch::X86_64 => Some(TargetArch::x86_64),
            Arch::Aarch64 => Some(TargetArch::aarch64),
            Arch::Riscv64 => Some(TargetArch::riscv64),
            _ => None,
        }
    }

    /// Compiles a filter that allows `numbers` unconditionally and answers
    /// every other call with `mismatch`.
    pub fn compile(arch: Arch, numbers: &[u32], mismatch: SeccompAction) -> BpfProgram {
        let rules: BTreeMap<i64, Vec<_>> = numbers.iter().map(|&n| (n as i64, vec![])).collect();
        let filter = SeccompFilter::new(
            rules,
            mismatch,
            SeccompAction::Allow,
            target(arch).expect("arch supported by seccompiler"),
        )
        .expect("valid filter");
        filter.try_into().expect("compiles")
    }

    /// [`compile`] with `KillProcess`, as this crate's instructions.
    pub fn program(arch: Arch, numbers: &[u32]) -> Vec<SockFilter> {
        to_ours(&compile(arch, numbers, SeccompAction::KillProcess))
    }

    /// Converts seccompiler's instructions.
    pub fn to_ours(p: &BpfProgram) -> Vec<SockFilter> {
        p.iter()
            .map(|i| SockFilter {
                code: i.code,
                jt: i.jt,
                jf: i.jf,
                k: i.k,
            })
            .collect()
    }
}

/// Forked children that report one number back, through the suite's
/// `in_child` (a pipe, and a blocking wait).
pub mod child {
    use std::fmt::Write as _;

    use seccomp_policy::spawn::Outcome;
    use seccomp_policy_suite::in_child;

    /// Forks; the child runs `f` and writes the number it returns (or exits
    /// with the error code `f` returns). Returns the number; panics, naming
    /// how the child ended, if it wrote none.
    ///
    /// `f` runs in a copy of a single-threaded process, so it may allocate.
    pub fn run<F: FnOnce() -> Result<u64, i32>>(f: F) -> u64 {
        let report = in_child(|out| match f() {
            Ok(v) => {
                let _ = write!(out, "{v}");
                0
            }
            Err(code) => code,
        });
        match (report.outcome, report.output.parse()) {
            (Outcome::Exited(0), Ok(v)) => v,
            _ => panic!("the child failed: {report}"),
        }
    }

    /// Forks a child that exits at once, and waits for it: the baseline,
    /// with the same pipe and wait as [`run`].
    pub fn bare() {
        let report = in_child(|_| 0);
        assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
    }

    /// `CLOCK_MONOTONIC` in nanoseconds (through the vDSO: no system call
    /// on a machine with a stable clock source).
    pub fn now_ns() -> u64 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: writes `ts`.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut ts) };
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }
}

/// Criterion's set-up, and reading its results back to print ratio tables.
pub mod report {
    use std::path::{Path, PathBuf};
    use std::time::{Duration, SystemTime};

    use criterion::Criterion;

    /// The timed rows' criterion: data in [`criterion_dir`], 1 s of warm-up
    /// and 3 s of measurement per row, then the command line's options.
    pub fn criterion() -> Criterion {
        Criterion::default()
            .output_directory(&criterion_dir())
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .configure_from_args()
    }

    /// Where the benchmarks keep criterion's data: `$CARGO_TARGET_DIR/criterion`,
    /// else `target/criterion` beside this package's manifest.
    pub fn criterion_dir() -> PathBuf {
        match std::env::var_os("CARGO_TARGET_DIR") {
            Some(d) => PathBuf::from(d).join("criterion"),
            None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion"),
        }
    }

    /// The mean (ns) and its 95% confidence interval of benchmark `id`
    /// (`group/function/parameter` of a `BenchmarkId` whose function has no
    /// `/`), if it was measured after `since`.
    pub fn mean_ns(id: &str, since: SystemTime) -> Option<(f64, f64, f64)> {
        let path = criterion_dir().join(id).join("new/estimates.json");
        let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
        if modified < since {
            return None;
        }
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
        let m = &v["mean"];
        Some((
            m["point_estimate"].as_f64()?,
            m["confidence_interval"]["lower_bound"].as_f64()?,
            m["confidence_interval"]["upper_bound"].as_f64()?,
        ))
    }

    /// A duration in ns, µs or ms.
    pub fn fmt_ns(ns: f64) -> String {
        if ns >= 1e6 {
            format!("{:.2} ms", ns / 1e6)
        } else if ns >= 1e3 {
            format!("{:.2} µs", ns / 1e3)
        } else {
            format!("{ns:.1} ns")
        }
    }
}

/// The version of `package` in this package's lock file.
pub fn locked_version(package: &str) -> Option<&'static str> {
    let lock = include_str!("../Cargo.lock");
    let needle = format!("name = \"{package}\"\nversion = \"");
    let at = lock.find(&needle)? + needle.len();
    lock[at..].split('"').next()
}
