//! Building a program for a cap set chosen at run time, on x86_64:
//! seccomp-policy's `const fn` builder called at run time, beside
//! libseccomp (init, add the rules, export) and seccompiler (rule map,
//! compile to BPF) given the same numbers. Prints a ratio table after the
//! criterion run.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::os::fd::AsRawFd;
use std::time::SystemTime;

use criterion::{BenchmarkId, Criterion};
use seccomp_policy::Arch;
use seccomp_policy_benches::libseccomp::{
    Filter, SCMP_ACT_ALLOW, SCMP_ACT_KILL_PROCESS, SCMP_FLTATR_CTL_OPTIMIZE,
};
use seccomp_policy_benches::report::{criterion, fmt_ns, mean_ns};
use seccomp_policy_benches::{program, Cap, POLICY};

const ARCH: Arch = Arch::X86_64;
const SETS: [(&str, Cap); 2] = [("base", Cap::NONE), ("all", Cap::ALL)];

/// libseccomp: a context for the caps in `caps`, exported to `fd`. Rules
/// for numbers two caps share are added twice, as a caller walking the
/// tables would; libseccomp accepts the repeat.
fn libseccomp_build(caps: u64, optimize: Option<u32>, fd: i32) {
    let ap = POLICY.arch(ARCH).unwrap();
    let mut f = Filter::new(SCMP_ACT_KILL_PROCESS, ARCH.audit_arch());
    if let Some(level) = optimize {
        f.attr(SCMP_FLTATR_CTL_OPTIMIZE, level);
    }
    // ARCH is the native architecture: libseccomp takes its numbers as they are.
    for &nr in ap.base.allow {
        assert_eq!(f.rule(SCMP_ACT_ALLOW, nr as i32), Ok(()));
    }
    for (i, set) in ap.caps.iter().enumerate() {
        if caps & (1 << i) != 0 {
            for &nr in set.allow {
                let r = f.rule(SCMP_ACT_ALLOW, nr as i32);
                assert!(r.is_ok() || r == Err(-libc::EEXIST), "rule {nr}: {r:?}");
            }
        }
    }
    assert_eq!(f.export_to(fd), Ok(()));
}

/// seccompiler: the rule map for the caps in `caps`, compiled to BPF.
fn seccompiler_build(caps: u64) -> seccompiler::BpfProgram {
    let ap = POLICY.arch(ARCH).unwrap();
    let mut rules: BTreeMap<i64, Vec<seccompiler::SeccompRule>> = BTreeMap::new();
    for &nr in ap.base.allow {
        rules.insert(nr as i64, vec![]);
    }
    for (i, set) in ap.caps.iter().enumerate() {
        if caps & (1 << i) != 0 {
            for &nr in set.allow {
                rules.insert(nr as i64, vec![]);
            }
        }
    }
    let filter = seccompiler::SeccompFilter::new(
        rules,
        seccompiler::SeccompAction::KillProcess,
        seccompiler::SeccompAction::Allow,
        seccompiler::TargetArch::x86_64,
    )
    .unwrap();
    filter.try_into().unwrap()
}

fn bench(c: &mut Criterion) {
    let devnull = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .unwrap();
    let fd = devnull.as_raw_fd();
    let mut g = c.benchmark_group("build");
    for (set, caps) in SETS {
        g.bench_function(BenchmarkId::new("ours", set), |b| {
            b.iter(|| program(ARCH, black_box(caps)));
        });
        g.bench_function(BenchmarkId::new("libseccomp", set), |b| {
            b.iter(|| libseccomp_build(black_box(caps.bits()), None, fd));
        });
        g.bench_function(BenchmarkId::new("libseccomp-tree", set), |b| {
            b.iter(|| libseccomp_build(black_box(caps.bits()), Some(2), fd));
        });
        g.bench_function(BenchmarkId::new("seccompiler", set), |b| {
            b.iter(|| seccompiler_build(black_box(caps.bits())));
        });
    }
    g.finish();
}

fn table(since: SystemTime) {
    println!("\n### Building a program for caps chosen at run time (x86_64, mean of criterion)\n");
    println!("| set | generator | time | ÷ ours |");
    println!("|---|---|--:|--:|");
    for (set, _) in SETS {
        let ours = mean_ns(&format!("build/ours/{set}"), since);
        for (name, id) in [
            ("seccomp-policy", "ours"),
            ("libseccomp (default), export to /dev/null", "libseccomp"),
            (
                "libseccomp (binary tree), export to /dev/null",
                "libseccomp-tree",
            ),
            ("seccompiler", "seccompiler"),
        ] {
            let Some((m, lo, hi)) = mean_ns(&format!("build/{id}/{set}"), since) else {
                continue;
            };
            let ratio = ours.map_or("—".into(), |(o, _, _)| format!("{:.0}×", m / o));
            println!(
                "| {set} | {name} | {} [{} – {}] | {ratio} |",
                fmt_ns(m),
                fmt_ns(lo),
                fmt_ns(hi)
            );
        }
    }
}

fn main() {
    let since = SystemTime::now();
    let mut c = criterion();
    bench(&mut c);
    c.final_summary();
    table(since);
}
