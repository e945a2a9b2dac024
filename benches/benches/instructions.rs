//! Instructions executed per call, and program length: deterministic, so
//! no timing harness. Prints Markdown tables.
//!
//! For the shipped policy (base, and base + every cap), seccomp-policy's
//! program is set beside libseccomp's two programs for the same rules (its
//! default optimization and its binary tree, `SCMP_FLTATR_CTL_OPTIMIZE` =
//! 2). libseccomp is given the policy as the OCI export writes it (each
//! syscall's verdict as disjoint regions of argument values, 32-bit
//! parameters compared on their low word), so all three programs decide
//! every call alike: `path_cost::measure` checks each verdict against the
//! policy's before counting, over every number of the architecture's sweep
//! and, for the calls with argument conditions, every argument sample (0,
//! `u64::MAX`, each constant of the conditions, one above, one below and
//! inverted, each with the high 32 bits as they are, clear and set).
//!
//! Tables 1 and 2 are for x86_64 and aarch64; table 3 (length) for every
//! architecture on which libseccomp can say the policy.

use seccomp_policy::rule::RuleSet;
use seccomp_policy::Arch;
use seccomp_policy_benches::path_cost::{
    libseccomp_programs, libseccomp_rules, measure, Cost, Summary,
};
use seccomp_policy_benches::{compiled, libseccomp, program, Cap, POLICY};
use seccomp_policy_suite::argument_samples;

const SETS: [(&str, Cap); 2] = [("base", Cap::NONE), ("base + all caps", Cap::ALL)];
const GENERATORS: [&str; 3] = [
    "seccomp-policy",
    "libseccomp (default)",
    "libseccomp (binary tree)",
];

/// The three programs' costs for `arch` and `caps`, or why libseccomp
/// cannot say the policy there.
fn costs(
    c: &seccomp_policy_compiler::Compiled,
    arch: Arch,
    caps: Cap,
) -> Result<[Cost; 3], String> {
    let ap = POLICY.arch(arch).expect("arch compiled into the policy");
    let rules = libseccomp_rules(c, arch, caps.bits())?;
    let default = ap.default.to_ret();
    let (lsc_default, lsc_tree) = libseccomp_programs(arch, default, &rules)
        .ok_or_else(|| format!("libseccomp {} does not know {arch}", libseccomp::version()))?;
    let ours = program(arch, caps).expect("policy program");
    let samples = argument_samples(
        ap.select(caps.bits(), RuleSet::EMPTY)
            .as_slice()
            .iter()
            .flat_map(|s| s.rules),
    );
    let expected =
        |nr: u32, args: &[u64; 6]| ap.verdict(caps.bits(), RuleSet::EMPTY, nr, args, ap.default);
    let mut out: [Cost; 3] = Default::default();
    for (i, prog) in [ours.as_slice(), &lsc_default, &lsc_tree]
        .into_iter()
        .enumerate()
    {
        out[i] = measure(prog, arch, &samples, |nr, args| expected(nr, args).to_ret())
            .map_err(|e| format!("{} on {arch}: {e}", GENERATORS[i]))?;
    }
    Ok(out)
}

fn cell(s: &Summary) -> String {
    format!("{:.2} / {} / {}", s.mean, s.median, s.worst)
}

fn ratio(theirs: f64, ours: f64) -> String {
    format!("{:.2}×", theirs / ours)
}

fn unconditional_table(arch: Arch, set: &str, costs: &[Cost; 3]) {
    let o = &costs[0];
    println!(
        "#### {arch} — {set}: {} unconditional calls ({} allowed, {} refused)\n",
        o.unconditional.count, o.allowed.count, o.refused.count
    );
    println!(
        "| generator | allowed: mean / median / worst | refused: mean / median / worst | \
         all: mean / median / worst | worst allowed ÷ ours | mean (all) ÷ ours | \
         allowed all cacheable |"
    );
    println!("|---|--:|--:|--:|--:|--:|:-:|");
    for (name, c) in GENERATORS.iter().zip(costs) {
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} |",
            cell(&c.allowed),
            cell(&c.refused),
            cell(&c.unconditional),
            ratio(c.allowed.worst as f64, o.allowed.worst as f64),
            ratio(c.unconditional.mean, o.unconditional.mean),
            if c.allowed_cacheable { "yes" } else { "no" },
        );
    }
    println!();
}

fn conditioned_table(arch: Arch, set: &str, costs: &[Cost; 3]) {
    let o = &costs[0];
    println!(
        "#### {arch} — {set}: calls with argument conditions (mean / worst over the samples)\n"
    );
    println!(
        "| syscall | samples | seccomp-policy | libseccomp (default) | worst ÷ ours | \
         libseccomp (binary tree) | worst ÷ ours | ours ≤ tree (worst) |"
    );
    println!("|---|--:|--:|--:|--:|--:|--:|:-:|");
    for (nr, s) in &o.conditioned {
        let name = seccomp_policy::syscalls::name(arch, *nr).unwrap_or("?");
        let d = &costs[1].conditioned[nr];
        let t = &costs[2].conditioned[nr];
        println!(
            "| `{name}` | {} | {:.2} / {} | {:.2} / {} | {} | {:.2} / {} | {} | {} |",
            s.count,
            s.mean,
            s.worst,
            d.mean,
            d.worst,
            ratio(d.worst as f64, s.worst as f64),
            t.mean,
            t.worst,
            ratio(t.worst as f64, s.worst as f64),
            if s.worst <= t.worst { "yes" } else { "no" },
        );
    }
    println!();
}

fn main() {
    println!(
        "libseccomp {}; every number of each architecture's sweep\n",
        libseccomp::version(),
    );
    let c = compiled();
    println!("### 1 and 2. Instructions executed per call\n");
    for arch in [Arch::X86_64, Arch::Aarch64] {
        for (set, caps) in SETS {
            let costs = costs(&c, arch, caps).unwrap_or_else(|e| panic!("{e}"));
            unconditional_table(arch, set, &costs);
            conditioned_table(arch, set, &costs);
        }
    }
    println!("### 3. Program length (instructions)\n");
    println!(
        "| architecture | set | seccomp-policy | libseccomp (default) | ÷ ours | \
         libseccomp (binary tree) | ÷ ours | ours ≤ default |"
    );
    println!("|---|---|--:|--:|--:|--:|--:|:-:|");
    let mut skipped = Vec::new();
    for arch in Arch::ALL {
        for (set, caps) in SETS {
            match costs(&c, arch, caps) {
                Ok([o, d, t]) => println!(
                    "| {arch} | {set} | {} | {} | {} | {} | {} | {} |",
                    o.len,
                    d.len,
                    ratio(d.len as f64, o.len as f64),
                    t.len,
                    ratio(t.len as f64, o.len as f64),
                    if o.len <= d.len { "yes" } else { "no" },
                ),
                Err(e) => skipped.push(format!("- {arch}, {set}: {e}")),
            }
        }
    }
    if !skipped.is_empty() {
        println!("\nNot compared (libseccomp cannot say the same policy):\n");
        for s in skipped {
            println!("{s}");
        }
    }
}
