//! The structural facts behind BENCHMARKS.md rows 1 to 3, held against
//! libseccomp's programs for the same rules, built in the same run: how many
//! instructions a call executes (counted by the simulator, every number of
//! the architecture's sweep, every argument sample for the calls with
//! conditions) and how long the programs are. All deterministic; the
//! timings are in `benches/` only.
//!
//! libseccomp is given the policy as the OCI export writes it, so its
//! programs mean the same as ours: `path_cost::measure` checks every verdict
//! of every program against the policy's before counting.

use seccomp_policy::rule::RuleSet;
use seccomp_policy::Arch;
use seccomp_policy_suite::argument_samples;
use seccomp_policy_suite::libseccomp::version;
use seccomp_policy_suite::path_cost::{libseccomp_programs, libseccomp_rules, measure, Cost};

seccomp_policy::seccomp_policy!("policy/seccomp.toml");

/// Where the instruction counts are compared.
const MEASURED: [Arch; 2] = [Arch::X86_64, Arch::Aarch64];

/// The goal for the worst allowed call without conditions.
const WORST_ALLOWED: usize = 11;

fn compiled() -> seccomp_policy_compiler::Compiled {
    seccomp_policy_compiler::compile(include_str!("../policy/seccomp.toml"))
        .unwrap_or_else(|e| panic!("the shipped policy compiles: {e:?}"))
}

/// Ours, libseccomp's default and its binary tree for `arch` and `caps`.
fn costs(c: &seccomp_policy_compiler::Compiled, arch: Arch, caps: Cap) -> [Cost; 3] {
    let ap = POLICY.arch(arch).unwrap();
    let rules = libseccomp_rules(c, arch, caps.bits()).unwrap();
    let (default, tree) = libseccomp_programs(arch, ap.default.to_ret(), &rules).unwrap();
    let ours = program(arch, caps).unwrap();
    let samples = argument_samples(
        ap.select(caps.bits(), RuleSet::EMPTY)
            .as_slice()
            .iter()
            .flat_map(|s| s.rules),
    );
    let expected = |nr: u32, args: &[u64; 6]| {
        ap.verdict(caps.bits(), RuleSet::EMPTY, nr, args, ap.default)
            .to_ret()
    };
    [ours.as_slice(), &default, &tree].map(|p| {
        measure(p, arch, &samples, expected).unwrap_or_else(|e| panic!("{arch} {caps}: {e}"))
    })
}

#[test]
fn unconditional_calls_take_at_most_eleven_instructions_and_no_more_than_libseccomp() {
    let c = compiled();
    for arch in MEASURED {
        for caps in [Cap::NONE, Cap::ALL] {
            let [ours, default, tree] = costs(&c, arch, caps);
            println!(
                "{arch} caps {:#x}: worst allowed {} (libseccomp {} default, {} tree), \
                 mean {:.2} ({:.2}, {:.2}); libseccomp {}",
                caps.bits(),
                ours.allowed.worst,
                default.allowed.worst,
                tree.allowed.worst,
                ours.unconditional.mean,
                default.unconditional.mean,
                tree.unconditional.mean,
                version()
            );
            assert!(ours.allowed.worst <= WORST_ALLOWED, "{arch} {caps}");
            assert!(ours.allowed_cacheable, "{arch} {caps}: action cache");
            for theirs in [&default, &tree] {
                assert!(ours.allowed.worst <= theirs.allowed.worst, "{arch} {caps}");
                assert!(
                    ours.unconditional.worst <= theirs.unconditional.worst,
                    "{arch} {caps}"
                );
            }
        }
    }
}

#[test]
fn calls_with_conditions_take_no_more_instructions_than_libseccomps_tree() {
    let c = compiled();
    for arch in MEASURED {
        for caps in [Cap::NONE, Cap::ALL] {
            let [ours, default, tree] = costs(&c, arch, caps);
            assert!(!ours.conditioned.is_empty(), "{arch} {caps}: none measured");
            for (nr, s) in &ours.conditioned {
                let (d, t) = (&default.conditioned[nr], &tree.conditioned[nr]);
                let name = seccomp_policy::syscalls::name(arch, *nr).unwrap_or("?");
                println!(
                    "{arch} caps {:#x} {name}: worst {} (libseccomp {} default, {} tree)",
                    caps.bits(),
                    s.worst,
                    d.worst,
                    t.worst
                );
                assert!(
                    s.worst <= t.worst && s.worst <= d.worst,
                    "{arch} {caps} {nr}"
                );
                assert!(s.mean <= t.mean && s.mean <= d.mean, "{arch} {caps} {nr}");
            }
        }
    }
}

/// Every cap set on every architecture where libseccomp can say the policy
/// (not x86, ppc64le and s390x, where it cannot keep conditions on socket
/// calls, nor loongarch64, which 2.5 does not know).
#[test]
fn programs_are_no_longer_than_libseccomps_default() {
    let c = compiled();
    let mut compared = 0;
    for arch in Arch::ALL {
        let ap = POLICY.arch(arch).unwrap();
        for bits in 0..=Cap::ALL.bits() {
            let Ok(rules) = libseccomp_rules(&c, arch, bits) else {
                continue;
            };
            let Some((default, _)) = libseccomp_programs(arch, ap.default.to_ret(), &rules) else {
                continue;
            };
            let ours = program(arch, Cap::from_bits(bits).unwrap()).unwrap();
            assert!(
                ours.len() <= default.len(),
                "{arch} caps {bits:#x}: {} > libseccomp's {}",
                ours.len(),
                default.len()
            );
            compared += 1;
        }
    }
    println!("{compared} programs compared");
    assert!(
        compared >= 2 * (Cap::ALL.bits() as usize + 1),
        "x86_64 and aarch64 at least"
    );
}
