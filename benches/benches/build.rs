//! Getting the filter for a cap set at run time, on x86_64, beside
//! libseccomp building the same filter (init, add the policy's rules with
//! their conditions and actions, generate the program):
//!
//! - `const`: a program the macro's `const fn` built while the crate
//!   compiled (`BaseProgram::X86_64`, and a `static` for all caps), selected
//!   at run time: nothing is left to build;
//! - `ours`: `program(arch, caps)` with the caps known only at run time (the
//!   same `const fn` builder run over the rule tables the macro emitted).
//!
//! Prints a ratio table after the criterion run, with the heap allocations
//! of each of ours (a counting global allocator).
//!
//! seccompiler is not in this table: it gives all of a filter's rules one
//! match action, so it cannot say a policy that answers some calls with an
//! errno and allows others.

use std::hint::black_box;
use std::os::fd::AsRawFd;
use std::time::SystemTime;

use criterion::{BenchmarkId, Criterion};
use seccomp_policy::{Arch, SockFilter};
use seccomp_policy_benches::libseccomp::{Filter, PolicyRule};
use seccomp_policy_benches::path_cost::libseccomp_rules;
use seccomp_policy_benches::report::{criterion, fmt_ns, mean_ns};
use seccomp_policy_benches::{compiled, program, BaseProgram, Cap, PolicyProgram, POLICY};
use seccomp_policy_suite::alloc_count::{allocations_during, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

const ARCH: Arch = Arch::X86_64;
const SETS: [(&str, Cap); 2] = [("base", Cap::NONE), ("all", Cap::ALL)];

/// The programs built while this crate compiled, one per set of `SETS`.
static CONST_PROGRAMS: [PolicyProgram; 2] = [
    BaseProgram::X86_64,
    match program(ARCH, Cap::ALL) {
        Ok(p) => p,
        Err(e) => panic!("{}", e.message()),
    },
];

/// The prebuilt program of set `i`, as a harness picks it.
fn const_program(i: usize) -> &'static [SockFilter] {
    CONST_PROGRAMS[i].as_slice()
}

/// libseccomp: a context with `rules`, its program generated and written to
/// `fd` (`seccomp_export_bpf`; 2.5.4 cannot export to memory), released.
fn libseccomp_build(default: u32, rules: &[PolicyRule], tree: bool, fd: i32) {
    let f = Filter::with_rules(ARCH.audit_arch(), default, rules, tree);
    assert_eq!(f.export_to(fd), Ok(()));
}

fn bench(c: &mut Criterion) {
    let devnull = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .unwrap();
    let fd = devnull.as_raw_fd();
    let policy = compiled();
    let default = POLICY.arch(ARCH).unwrap().default.to_ret();
    let mut g = c.benchmark_group("build");
    for (i, (set, caps)) in SETS.into_iter().enumerate() {
        let rules = libseccomp_rules(&policy, ARCH, caps.bits()).unwrap();
        assert_eq!(const_program(i), program(ARCH, caps).unwrap().as_slice());
        g.bench_function(BenchmarkId::new("const", set), |b| {
            b.iter(|| const_program(black_box(i)));
        });
        g.bench_function(BenchmarkId::new("ours", set), |b| {
            b.iter(|| program(ARCH, black_box(caps)));
        });
        g.bench_function(BenchmarkId::new("libseccomp", set), |b| {
            b.iter(|| libseccomp_build(default, black_box(&rules), false, fd));
        });
        g.bench_function(BenchmarkId::new("libseccomp-tree", set), |b| {
            b.iter(|| libseccomp_build(default, black_box(&rules), true, fd));
        });
    }
    g.finish();
}

/// Heap allocations per set: of selecting the prebuilt program, and of one
/// `program(ARCH, caps)` call.
fn allocations() -> Vec<(usize, usize)> {
    assert!(Counting::installed(), "the counting allocator is in place");
    SETS.iter()
        .enumerate()
        .map(|(i, &(_, caps))| {
            let (p, n_const) = allocations_during(|| const_program(black_box(i)).len());
            assert!(p > 0);
            let (p, n) = allocations_during(|| program(ARCH, black_box(caps)));
            assert!(p.is_ok());
            (n_const, n)
        })
        .collect()
}

fn table(since: SystemTime, allocs: &[(usize, usize)]) {
    let policy = compiled();
    println!("\n### Building the filter for caps chosen at run time (x86_64, mean of criterion)\n");
    println!("| set | generator | rules | time | ÷ `program()` | ÷ prebuilt | heap allocations |");
    println!("|---|---|--:|--:|--:|--:|--:|");
    for ((set, caps), (n_const, n)) in SETS.iter().zip(allocs) {
        let rules = libseccomp_rules(&policy, ARCH, caps.bits()).unwrap().len();
        let ours = mean_ns(&format!("build/ours/{set}"), since);
        let konst = mean_ns(&format!("build/const/{set}"), since);
        for (name, id, count, allocations) in [
            (
                "seccomp-policy, built while compiling (select)",
                "const",
                "—".to_owned(),
                n_const.to_string(),
            ),
            (
                "seccomp-policy `program()` at run time",
                "ours",
                "—".to_owned(),
                n.to_string(),
            ),
            (
                "libseccomp (default), export to /dev/null",
                "libseccomp",
                rules.to_string(),
                "not counted (C heap)".to_owned(),
            ),
            (
                "libseccomp (binary tree), export to /dev/null",
                "libseccomp-tree",
                rules.to_string(),
                "not counted (C heap)".to_owned(),
            ),
        ] {
            let Some((m, lo, hi)) = mean_ns(&format!("build/{id}/{set}"), since) else {
                continue;
            };
            let ratio = |base: Option<(f64, f64, f64)>| match base {
                Some((o, _, _)) if id.starts_with("libseccomp") => format!("{:.0}×", m / o),
                _ => "—".into(),
            };
            let (ratio, ratio_const) = (ratio(ours), ratio(konst));
            println!(
                "| {set} | {name} | {count} | {} [{} – {}] | {ratio} | {ratio_const} | {allocations} |",
                fmt_ns(m),
                fmt_ns(lo),
                fmt_ns(hi)
            );
        }
    }
}

fn main() {
    let since = SystemTime::now();
    let allocs = allocations();
    let mut c = criterion();
    bench(&mut c);
    c.final_summary();
    table(since, &allocs);
}
