//! How many instructions a filter executes per call, measured in the
//! simulator, for the benchmarks' tables and the tests that hold the
//! project to them.
//!
//! [`measure`] runs one program on every number of an architecture's sweep
//! ([`crate::libseccomp::sweep`]) and checks each verdict against the
//! expected one before counting. A number whose verdict depends on the
//! arguments (the argument samples give it more than one verdict) is a
//! *conditioned* call: it is run once per sample, and its counts are kept
//! apart. Every other number is an *unconditional* call, run once with zero
//! arguments (any arguments give it the same verdict).
//!
//! The same measurement applied to seccomp-policy's program and to
//! libseccomp's programs for the same rules ([`libseccomp_programs`]) gives
//! numbers that can be set side by side: all of them decide every call
//! alike, or [`measure`] fails.

use std::collections::BTreeMap;

use seccomp_policy::bpf::SECCOMP_RET_ALLOW;
use seccomp_policy::sim::{check, run, SeccompData};
use seccomp_policy::{Arch, SockFilter};

use crate::libseccomp::{self, Filter, PolicyRule};

/// Count, mean, median and worst of a list of instruction counts.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Summary {
    /// How many runs.
    pub count: usize,
    /// Mean instructions executed.
    pub mean: f64,
    /// Median (the mean of the two middle runs for an even count).
    pub median: f64,
    /// Most instructions executed.
    pub worst: usize,
}

impl Summary {
    /// The summary of `counts` (all zero when empty).
    pub fn of(counts: &[usize]) -> Summary {
        if counts.is_empty() {
            return Summary::default();
        }
        let mut v = counts.to_vec();
        v.sort_unstable();
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2] as f64
        } else {
            (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
        };
        Summary {
            count: n,
            mean: v.iter().sum::<usize>() as f64 / n as f64,
            median,
            worst: v[n - 1],
        }
    }
}

/// What [`measure`] found for one program.
#[derive(Clone, Debug, Default)]
pub struct Cost {
    /// Program length in instructions.
    pub len: usize,
    /// Unconditional calls, every verdict.
    pub unconditional: Summary,
    /// Unconditional calls that are allowed.
    pub allowed: Summary,
    /// Unconditional calls that are not allowed (the default, or an action).
    pub refused: Summary,
    /// Whether every allowed unconditional call follows a path the kernel's
    /// action cache can evaluate (so the kernel never runs the filter for it).
    pub allowed_cacheable: bool,
    /// Conditioned calls, by number: counts over the argument samples.
    pub conditioned: BTreeMap<u32, Summary>,
}

/// Runs `prog` for every number of `arch`'s sweep. `expected(nr, args)` is
/// the return value the program must give; `samples` are the argument
/// values tried (each fills all six arguments) to find and measure the
/// conditioned calls.
///
/// # Errors
///
/// The kernel would refuse the program, the simulator stopped, or a verdict
/// differs from `expected`: a message naming the first such call.
pub fn measure(
    prog: &[SockFilter],
    arch: Arch,
    samples: &[u64],
    expected: impl Fn(u32, &[u64; 6]) -> u32,
) -> Result<Cost, String> {
    check(prog).map_err(|e| format!("the kernel would refuse it: {e:?}"))?;
    let audit = arch.audit_arch();
    let run_one = |nr: u32, args: [u64; 6]| -> Result<seccomp_policy::sim::Run, String> {
        let mut d = SeccompData::new(nr as i32, audit);
        d.args = args;
        let r = run(prog, &d).map_err(|e| format!("nr {nr} args {:#x}: {e}", args[0]))?;
        let want = expected(nr, &args);
        if r.ret != want {
            return Err(format!(
                "nr {nr} args {:#x}: returned {:#x}, expected {want:#x}",
                args[0], r.ret
            ));
        }
        Ok(r)
    };
    let mut cost = Cost {
        len: prog.len(),
        allowed_cacheable: true,
        ..Cost::default()
    };
    let (mut all, mut allowed, mut refused) = (Vec::new(), Vec::new(), Vec::new());
    for nr in libseccomp::sweep(arch) {
        let first = expected(nr, &[samples.first().copied().unwrap_or(0); 6]);
        if samples.iter().any(|&v| expected(nr, &[v; 6]) != first) {
            let mut counts = Vec::with_capacity(samples.len());
            for &v in samples {
                counts.push(run_one(nr, [v; 6])?.executed);
            }
            cost.conditioned.insert(nr, Summary::of(&counts));
            continue;
        }
        let r = run_one(nr, [0; 6])?;
        all.push(r.executed);
        if r.ret == SECCOMP_RET_ALLOW {
            allowed.push(r.executed);
            cost.allowed_cacheable &= r.const_allow();
        } else {
            refused.push(r.executed);
        }
    }
    cost.unconditional = Summary::of(&all);
    cost.allowed = Summary::of(&allowed);
    cost.refused = Summary::of(&refused);
    Ok(cost)
}

/// The rules libseccomp is given for the policy `compiled` on `arch` with
/// the caps in `caps` ([`libseccomp::policy_rules`] of the OCI export's
/// entries, which keep the policy's meaning), or why libseccomp cannot say
/// the policy there (a condition on a call it also reaches through
/// `socketcall`, on x86, ppc64le and s390x).
pub fn libseccomp_rules(
    compiled: &seccomp_policy_compiler::Compiled,
    arch: Arch,
    caps: u64,
) -> Result<Vec<PolicyRule>, String> {
    let rules = compiled
        .arches
        .iter()
        .find(|r| r.arch == arch)
        .ok_or_else(|| format!("{arch} is not compiled"))?;
    let entries =
        seccomp_policy_lint_export::oci::arch_entries(rules, caps, None).map_err(|e| e.message)?;
    Ok(libseccomp::policy_rules(&entries))
}

/// libseccomp's programs for `rules` on `arch` with the default action
/// `default` (a `SECCOMP_RET_*` value, also given to calls of other
/// architectures): its default optimization, then its binary tree
/// (`SCMP_FLTATR_CTL_OPTIMIZE` = 2). `None` if this libseccomp does not know
/// the architecture.
pub fn libseccomp_programs(
    arch: Arch,
    default: u32,
    rules: &[PolicyRule],
) -> Option<(Vec<SockFilter>, Vec<SockFilter>)> {
    let token = libseccomp::arch_token(arch)?;
    let default_opt = Filter::with_rules(token, default, rules, false).export();
    let tree = Filter::with_rules(token, default, rules, true).export();
    Some((default_opt, tree))
}
