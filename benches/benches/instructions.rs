//! Instructions executed per syscall: deterministic, so no timing harness.
//!
//! For the shipped policy (base, and base + every cap) on x86_64 and
//! aarch64, each generator's program is checked with `sim::check` and run
//! through `sim::run` for every number `0..=1023` of the architecture. The
//! verdict must be `SECCOMP_RET_ALLOW` exactly for the policy's numbers and
//! `SECCOMP_RET_KILL_PROCESS` otherwise; the instruction counts of the
//! allowed and of the denied numbers are summarised. Prints Markdown tables.

use seccomp_policy::bpf::{SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS};
use seccomp_policy::sim::{check, run, SeccompData};
use seccomp_policy::{Arch, SockFilter};
use seccomp_policy_benches::libseccomp::{self, Filter, SCMP_ACT_KILL_PROCESS};
use seccomp_policy_benches::{numbers, program, seccompiler, Cap};

/// Numbers examined: the kernel's action-cache bitmap covers no more.
const NUMBERS: u32 = 1024;

struct Stats {
    len: usize,
    allowed_mean: f64,
    allowed_worst: usize,
    denied_mean: f64,
    denied_worst: usize,
    cacheable: bool,
}

fn measure(name: &str, arch: Arch, prog: &[SockFilter], allowed: &[u32]) -> Stats {
    if let Err(e) = check(prog) {
        panic!(
            "{name} on {}: the kernel would refuse it: {e:?}",
            arch.name()
        );
    }
    let (mut a_sum, mut a_n, mut a_worst) = (0usize, 0usize, 0usize);
    let (mut d_sum, mut d_n, mut d_worst) = (0usize, 0usize, 0usize);
    let mut cacheable = true;
    for nr in 0..NUMBERS {
        let r = run(prog, &SeccompData::new(nr as i32, arch.audit_arch()))
            .unwrap_or_else(|e| panic!("{name}: {nr}: {e}"));
        let want_allow = allowed.binary_search(&nr).is_ok();
        let want = if want_allow {
            SECCOMP_RET_ALLOW
        } else {
            SECCOMP_RET_KILL_PROCESS
        };
        assert_eq!(r.ret, want, "{name} on {}: verdict for {nr}", arch.name());
        if want_allow {
            a_sum += r.executed;
            a_n += 1;
            a_worst = a_worst.max(r.executed);
            cacheable &= r.const_allow();
        } else {
            d_sum += r.executed;
            d_n += 1;
            d_worst = d_worst.max(r.executed);
        }
    }
    Stats {
        len: prog.len(),
        allowed_mean: a_sum as f64 / a_n as f64,
        allowed_worst: a_worst,
        denied_mean: d_sum as f64 / d_n as f64,
        denied_worst: d_worst,
        cacheable,
    }
}

fn main() {
    println!(
        "libseccomp {}, seccompiler {}; numbers 0..={} per architecture\n",
        libseccomp::version(),
        seccomp_policy_benches::locked_version("seccompiler").unwrap_or("?"),
        NUMBERS - 1
    );
    for arch in [Arch::X86_64, Arch::Aarch64] {
        for (set_name, caps) in [("base", Cap::NONE), ("base + all caps", Cap::ALL)] {
            let allowed = numbers(arch, caps.bits());
            let ours = program(arch, caps).expect("policy program");
            let token = arch.audit_arch();
            let lsc_default = Filter::allowing(token, &allowed, SCMP_ACT_KILL_PROCESS, false);
            let lsc_tree = Filter::allowing(token, &allowed, SCMP_ACT_KILL_PROCESS, true);
            let rows: [(&str, Vec<SockFilter>); 4] = [
                ("seccomp-policy", ours.as_slice().to_vec()),
                ("libseccomp (default)", lsc_default.export()),
                ("libseccomp (binary tree)", lsc_tree.export()),
                ("seccompiler", seccompiler::program(arch, &allowed)),
            ];
            let stats: Vec<Stats> = rows
                .iter()
                .map(|(name, p)| measure(name, arch, p, &allowed))
                .collect();
            let o = &stats[0];
            println!(
                "### {} — {} ({} allowed numbers, {} denied)\n",
                arch.name(),
                set_name,
                allowed.len(),
                NUMBERS as usize - allowed.len()
            );
            println!(
                "| generator | length | allowed mean | allowed worst | denied mean | denied worst | \
                 worst allowed ÷ ours | mean allowed ÷ ours | mean denied ÷ ours | allowed all cacheable |"
            );
            println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|:-:|");
            for ((name, _), s) in rows.iter().zip(&stats) {
                println!(
                    "| {name} | {} | {:.2} | {} | {:.2} | {} | {:.2}× | {:.2}× | {:.2}× | {} |",
                    s.len,
                    s.allowed_mean,
                    s.allowed_worst,
                    s.denied_mean,
                    s.denied_worst,
                    s.allowed_worst as f64 / o.allowed_worst as f64,
                    s.allowed_mean / o.allowed_mean,
                    s.denied_mean / o.denied_mean,
                    if s.cacheable { "yes" } else { "no" },
                );
            }
            println!();
        }
    }
}
