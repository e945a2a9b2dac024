//! Installing a filter, and what it costs the kernel afterwards (x86_64).
//!
//! `install/*`: from "caps known" to "filter active" in a fresh child.
//! `roundtrip` is the parent's view of one fork, build, install, report
//! through a pipe, wait; `bare-fork` is the same without building or
//! installing (the baseline to subtract); `in-child` is the child's own clock
//! from its first instruction to the return of the install call, sent back
//! through the pipe.
//!
//! libseccomp is given the policy's rules for the caps (conditions and
//! actions included, as in the build bench), so it installs the same filter;
//! seccompiler gives every rule one match action, so it gets only the numbers
//! allowed whatever the arguments: a smaller filter than the policy's.
//!
//! `syscall/*`: nanoseconds per call of an allowed syscall (`getpid`) and of
//! a denied one (`getppid`, answered with `EPERM`) in a child looping under
//! the base filter of each generator, beside no filter. The kernel's action
//! cache marks every allowed number of an argument-free filter "always
//! allow" and skips the filter for it; the `uncached` rows prepend one load
//! of `instruction_pointer` (which the cache's emulator cannot follow, and
//! which the next `ld [arch]` overwrites) so the filter runs for every call,
//! as it does for denied calls.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use criterion::{BenchmarkId, Criterion};
use seccomp_policy::bpf::BPF_MAXINSNS;
use seccomp_policy::bpf::{BPF_ABS, BPF_LD, BPF_W, SECCOMP_DATA_IP};
use seccomp_policy::rule::{Action, RuleSet};
use seccomp_policy::{install, Arch, SockFilter};
use seccomp_policy_benches::libseccomp::{scmp_act_errno, Filter, PolicyRule};
use seccomp_policy_benches::path_cost::libseccomp_rules;
use seccomp_policy_benches::report::{criterion, fmt_ns, mean_ns};
use seccomp_policy_benches::{child, compiled, numbers, program, seccompiler, Cap, POLICY};

const ARCH: Arch = Arch::X86_64;
const SETS: [(&str, Cap); 2] = [("base", Cap::NONE), ("all", Cap::ALL)];
const GENERATORS: [(&str, &str); 3] = [
    ("ours", "seccomp-policy (`install::apply`)"),
    ("libseccomp", "libseccomp (`seccomp_load`)"),
    (
        "seccompiler",
        "seccompiler (`apply_filter`), allowed numbers only",
    ),
];

/// libseccomp's rules for each of `SETS` (the policy's rules, conditions and
/// actions, as the build bench gives them), computed once in the parent.
static LIBSECCOMP_RULES: OnceLock<[Vec<PolicyRule>; 2]> = OnceLock::new();

/// Builds and installs the filter for `caps` the way each library's user
/// would, in the calling (child) process. Returns the nanoseconds spent
/// building (for libseccomp: the context and its rules) and installing (for
/// libseccomp, `seccomp_load` also generates the program), or an exit code.
fn build_and_install(generator: &str, caps: u64) -> Result<(u64, u64), i32> {
    let t0 = child::now_ns();
    let ap = POLICY.arch(ARCH).unwrap();
    let selected = || {
        ap.caps
            .iter()
            .enumerate()
            .filter(move |(i, _)| caps & (1 << i) != 0)
            .flat_map(|(_, s)| s.allow.iter())
    };
    let t1;
    match generator {
        "ours" => {
            let p = program(ARCH, Cap::from_bits(caps).ok_or(10)?).map_err(|_| 11)?;
            t1 = child::now_ns();
            install::apply(p.as_slice()).map_err(|_| 12)?;
        }
        "libseccomp" => {
            // The policy's rules for these caps, as libseccomp's user would
            // have them in code (computed before the fork).
            let set = SETS.iter().position(|(_, c)| c.bits() == caps).ok_or(13)?;
            let rules = &LIBSECCOMP_RULES.get().ok_or(13)?[set];
            let f = Filter::with_rules(ARCH.audit_arch(), ap.default.to_ret(), rules, false);
            t1 = child::now_ns();
            f.load().map_err(|_| 14)?;
        }
        "seccompiler" => {
            let rules: BTreeMap<i64, Vec<::seccompiler::SeccompRule>> = ap
                .base
                .allow
                .iter()
                .chain(selected())
                .map(|&nr| (nr as i64, vec![]))
                .collect();
            let filter = ::seccompiler::SeccompFilter::new(
                rules,
                ::seccompiler::SeccompAction::KillProcess,
                ::seccompiler::SeccompAction::Allow,
                ::seccompiler::TargetArch::x86_64,
            )
            .map_err(|_| 15)?;
            let prog: ::seccompiler::BpfProgram = filter.try_into().map_err(|_| 16)?;
            t1 = child::now_ns();
            ::seccompiler::apply_filter(&prog).map_err(|_| 17)?;
        }
        _ => return Err(18),
    }
    let t2 = child::now_ns();
    Ok((t1 - t0, t2 - t1))
}

/// Sums of the in-child split per benchmark: (build ns, install ns, runs).
static SPLIT: Mutex<BTreeMap<String, (u64, u64, u64)>> = Mutex::new(BTreeMap::new());

fn bench_install(c: &mut Criterion) {
    let mut g = c.benchmark_group("install");
    for (set, caps) in SETS {
        // Measured again for each set: fork's cost drifts as the parent grows.
        g.bench_function(BenchmarkId::new("bare-fork", set), |b| b.iter(child::bare));
        for (id, _) in GENERATORS {
            g.bench_function(BenchmarkId::new(format!("roundtrip-{id}"), set), |b| {
                b.iter(|| {
                    let caps = black_box(caps.bits());
                    child::run(|| build_and_install(id, caps).map(|_| 0))
                });
            });
            g.bench_function(BenchmarkId::new(format!("in-child-{id}"), set), |b| {
                b.iter_custom(|iters| {
                    let (mut build, mut inst) = (0, 0);
                    for _ in 0..iters {
                        let caps = black_box(caps.bits());
                        let v = child::run(|| {
                            let (b, i) = build_and_install(id, caps)?;
                            Ok(b << 32 | i.min(u32::MAX as u64))
                        });
                        build += v >> 32;
                        inst += v & u32::MAX as u64;
                    }
                    let mut split = SPLIT.lock().unwrap();
                    let e = split.entry(format!("{id}/{set}")).or_default();
                    *e = (e.0 + build, e.1 + inst, e.2 + iters);
                    Duration::from_nanos(build + inst)
                });
            });
        }
    }
    g.finish();
}

/// Base programs denying with `EPERM`, installed with `install::apply`.
fn syscall_filters() -> Vec<(&'static str, Vec<SockFilter>)> {
    let allowed = numbers(ARCH, 0);
    let ap = POLICY.arch(ARCH).unwrap();
    let deny = scmp_act_errno(libc::EPERM as u16);
    // libseccomp refuses a rule whose action is the filter's default; such a
    // rule changes nothing, since the default answers what no rule matches.
    let rules: Vec<PolicyRule> = libseccomp_rules(&compiled(), ARCH, 0)
        .unwrap()
        .into_iter()
        .filter(|r| r.action != deny)
        .collect();
    let ours = ap
        .program::<{ BPF_MAXINSNS }>(0, RuleSet::EMPTY, Action::Errno(libc::EPERM as u16))
        .unwrap();
    let token = ARCH.audit_arch();
    let mut out = vec![
        ("ours", ours.as_slice().to_vec()),
        (
            "libseccomp",
            Filter::with_rules(token, deny, &rules, false).export(),
        ),
        (
            "libseccomp-tree",
            Filter::with_rules(token, deny, &rules, true).export(),
        ),
        (
            "seccompiler",
            seccompiler::to_ours(&seccompiler::compile(
                ARCH,
                &allowed,
                ::seccompiler::SeccompAction::Errno(libc::EPERM as u32),
            )),
        ),
    ];
    let uncached: Vec<_> = out
        .iter()
        .map(|(name, p)| {
            let mut q = vec![SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, SECCOMP_DATA_IP)];
            q.extend_from_slice(p);
            (uncached_name(name), q)
        })
        .collect();
    out.extend(uncached);
    out
}

fn uncached_name(name: &str) -> &'static str {
    match name {
        "ours" => "ours-uncached",
        "libseccomp" => "libseccomp-uncached",
        "libseccomp-tree" => "libseccomp-tree-uncached",
        _ => "seccompiler-uncached",
    }
}

/// The allowed call timed: in every base policy, cheap, not cached by libc.
const ALLOWED: (&str, libc::c_long) = ("getpid", libc::SYS_getpid);

/// The denied call timed: the first of these cheap, argument-free calls
/// (`getsid(0)`) that the base set does not allow.
fn denied_call() -> (&'static str, libc::c_long) {
    let base = numbers(ARCH, 0);
    [
        ("getppid", libc::SYS_getppid),
        ("getpgrp", libc::SYS_getpgrp),
        ("getsid", libc::SYS_getsid),
    ]
    .into_iter()
    .find(|(_, nr)| base.binary_search(&(*nr as u32)).is_err())
    .expect("a cheap call the base set denies")
}

fn calls() -> [(&'static str, libc::c_long); 2] {
    [ALLOWED, denied_call()]
}

/// A child that installs `prog` (if any), checks the verdict of `nr`, and
/// times `iters` calls of it.
fn time_calls(prog: Option<&[SockFilter]>, nr: libc::c_long, iters: u64) -> Duration {
    let ns = child::run(|| {
        if let Some(p) = prog {
            install::apply(p).map_err(|_| 20)?;
        }
        // SAFETY: system calls that only read, with 0 as their one argument.
        let r = unsafe { libc::syscall(nr, 0) };
        let denied = prog.is_some() && nr != ALLOWED.1;
        if denied != (r == -1) {
            return Err(21);
        }
        let t0 = child::now_ns();
        for _ in 0..iters {
            // SAFETY: as above.
            unsafe { libc::syscall(nr, 0) };
        }
        Ok(child::now_ns() - t0)
    });
    Duration::from_nanos(ns)
}

fn bench_syscall(c: &mut Criterion) {
    let filters = syscall_filters();
    let mut g = c.benchmark_group("syscall");
    for (call, nr) in calls() {
        g.bench_function(BenchmarkId::new("none", call), |b| {
            b.iter_custom(|iters| time_calls(None, nr, iters));
        });
        for (name, prog) in &filters {
            if name.ends_with("uncached") && nr != ALLOWED.1 {
                continue;
            }
            g.bench_function(BenchmarkId::new(*name, call), |b| {
                b.iter_custom(|iters| time_calls(Some(prog), nr, iters));
            });
        }
    }
    g.finish();
}

fn table(since: SystemTime) {
    println!(
        "\n### From caps known to filter active, in a fresh child (x86_64, mean of criterion)\n"
    );
    println!(
        "| set | generator | round trip | round trip − bare fork | ÷ ours | in child | ÷ ours | \
         of which build | of which install |"
    );
    println!("|---|---|--:|--:|--:|--:|--:|--:|--:|");
    let split = SPLIT.lock().unwrap();
    for (set, _) in SETS {
        let bare = mean_ns(&format!("install/bare-fork/{set}"), since).map(|m| m.0);
        println!(
            "| {set} | bare fork + wait (baseline) | {} | | | | | | |",
            bare.map_or("—".into(), fmt_ns)
        );
        let get = |kind: &str, id: &str| mean_ns(&format!("install/{kind}-{id}/{set}"), since);
        let ours_rt = get("roundtrip", "ours").map(|m| m.0 - bare.unwrap_or(0.0));
        let ours_ic = get("in-child", "ours").map(|m| m.0);
        for (id, name) in GENERATORS {
            let (rt, ic) = (get("roundtrip", id), get("in-child", id));
            if rt.is_none() && ic.is_none() {
                continue;
            }
            let rt_net = rt.map(|m| m.0 - bare.unwrap_or(0.0));
            let ratio = |a: Option<f64>, o: Option<f64>| match (a, o) {
                (Some(a), Some(o)) => format!("{:.1}×", a / o),
                _ => "—".into(),
            };
            let show = |v: Option<f64>| v.map_or("—".into(), fmt_ns);
            let (b, i) = match split.get(&format!("{id}/{set}")) {
                Some(&(b, i, n)) if n > 0 => {
                    (fmt_ns(b as f64 / n as f64), fmt_ns(i as f64 / n as f64))
                }
                _ => ("—".into(), "—".into()),
            };
            println!(
                "| {set} | {name} | {} | {} | {} | {} | {} | {b} | {i} |",
                show(rt.map(|m| m.0)),
                show(rt_net),
                ratio(rt_net, ours_rt),
                show(ic.map(|m| m.0)),
                ratio(ic.map(|m| m.0), ours_ic),
            );
        }
    }

    let calls = calls();
    println!("\n### Cost per system call in a loop (x86_64, base filter, deny = EPERM)\n");
    println!(
        "| filter | `{}` (allowed) | − no filter | `{}` (denied) | − no filter |",
        calls[0].0, calls[1].0
    );
    println!("|---|--:|--:|--:|--:|");
    let none: Vec<Option<f64>> = calls
        .iter()
        .map(|(call, _)| mean_ns(&format!("syscall/none/{call}"), since).map(|m| m.0))
        .collect();
    for name in [
        "none",
        "ours",
        "libseccomp",
        "libseccomp-tree",
        "seccompiler",
        "ours-uncached",
        "libseccomp-uncached",
        "libseccomp-tree-uncached",
        "seccompiler-uncached",
    ] {
        let mut row = Vec::new();
        for (i, (call, _)) in calls.iter().enumerate() {
            let m = mean_ns(&format!("syscall/{name}/{call}"), since).map(|m| m.0);
            row.push(m.map_or("—".into(), fmt_ns));
            row.push(match (m, none[i]) {
                (Some(m), Some(n)) if name != "none" => format!("{:+.1} ns", m - n),
                _ => "—".into(),
            });
        }
        println!("| {name} | {} |", row.join(" | "));
    }
}

fn main() {
    let since = SystemTime::now();
    let policy = compiled();
    let rules = SETS.map(|(_, caps)| libseccomp_rules(&policy, ARCH, caps.bits()).unwrap());
    assert!(LIBSECCOMP_RULES.set(rules).is_ok(), "set once");
    let mut c = criterion();
    bench_install(&mut c);
    bench_syscall(&mut c);
    c.final_summary();
    table(since);
}
