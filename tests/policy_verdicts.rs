//! The verdict of every shipped program for every syscall number, by
//! simulation, against a reference computed without the macro.
//!
//! For each architecture of `Arch::ALL` and each of the 2^8 cap combinations
//! of `policy/seccomp.toml`, the program the macro's `program(arch, caps)`
//! builds is checked with `sim::check` and run with `sim::run` on every
//! number of the architecture's sweep (`libseccomp::sweep`: 0..=1023, on
//! MIPS n64 also 5000..=6023, on ARM also 0xf0000..=0xf0010), the x32
//! edges, and `u32::MAX` (syscall -1).
//!
//! - A number no rule with a condition or an action mentions must be allowed
//!   exactly when it is in the union of `base` and the granted caps,
//!   computed from the policy file's names (read here with a general TOML
//!   reader and string handling) mapped to numbers by libseccomp; anything
//!   else gets the default, `SECCOMP_RET_KILL_PROCESS`.
//! - A number with conditions or actions is run with argument values at,
//!   around and far from every constant of the policy's conditions, with
//!   the high 32 bits set and clear, and must give what the policy's rules
//!   say (`ArchPolicy::verdict`, the rules evaluated directly).
//! - Every call from another architecture gets the default.
//!
//! libseccomp 2.5.4 does not know loongarch64; there the number reference
//! is `ArchPolicy::verdict` too (still a check of the builder and of the cap
//! wiring, not of the name resolution).

use seccomp_policy_suite::libseccomp;

use std::collections::BTreeSet;

use libseccomp::{arch_numbers, arch_token, resolve_names, sweep, version, PolicyFile};
use seccomp_policy::bpf::{SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS};
use seccomp_policy::rule::{Action, RuleSet};
use seccomp_policy::sim::{check, run, SeccompData};
use seccomp_policy::Arch;

seccomp_policy::seccomp_policy!("policy/seccomp.toml");

const X32_BIT: u32 = 0x4000_0000;

/// The numbers to try on `arch` beyond the sweep: the x32 edges, the x32
/// twin of every `allowed` number, and -1.
fn edges(allowed: &BTreeSet<u32>) -> Vec<u32> {
    let mut v = vec![X32_BIT - 1, X32_BIT, X32_BIT + 1023, u32::MAX, u32::MAX - 1];
    v.extend(allowed.iter().map(|n| X32_BIT | n));
    v
}

/// The numbers allowed whatever the arguments for each cap combination on
/// `arch`, the numbers whose verdict depends on the arguments or is an
/// action, and how they were obtained.
fn reference(arch: Arch, file: &PolicyFile) -> (Vec<BTreeSet<u32>>, BTreeSet<u32>, String) {
    let combos = 1u64 << file.caps.len();
    let ap = POLICY.arch(arch).expect("the macro compiles every arch");
    let Some(token) = arch_token(arch) else {
        let sets = (0..combos)
            .map(|bits| {
                sweep(arch)
                    .into_iter()
                    .filter(|&nr| {
                        ap.verdict(bits, RuleSet::EMPTY, nr, &[0; 6], ap.default) == Action::Allow
                    })
                    .collect()
            })
            .collect();
        let conditioned = std::iter::once(&ap.base)
            .chain(ap.caps)
            .flat_map(|s| s.rules.iter().map(|r| r.nr))
            .collect();
        return (
            sets,
            conditioned,
            format!("ArchPolicy::verdict (unknown to libseccomp {})", version()),
        );
    };
    let numbers = arch_numbers(token, arch);
    let sets = file.combination_sets(token, &numbers);
    let conditioned = resolve_names(token, &numbers, file.conditioned.iter().map(String::as_str));
    let all = resolve_names(token, &numbers, file.all_names());
    (
        sets,
        conditioned.numbers,
        format!(
            "libseccomp names: {} direct, {} multiplexed, {} absent",
            all.direct,
            all.multiplexed,
            all.absent.len()
        ),
    )
}

/// Argument values for the conditioned numbers of `arch`: at, around and
/// far from every constant of the policy's conditions, with the high half
/// set and clear; each fills all six arguments.
fn argument_samples(arch: Arch) -> Vec<u64> {
    let ap = POLICY.arch(arch).unwrap();
    seccomp_policy_suite::argument_samples(
        std::iter::once(&ap.base)
            .chain(ap.caps)
            .flat_map(|set| set.rules),
    )
}

#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one scenario read top to bottom: every architecture and cap set, counted for the \
              summary it prints"
)]
fn every_program_gives_the_policy_verdict_for_every_number() {
    let file = PolicyFile::shipped();
    let file_caps: Vec<&str> = file.caps.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(Cap::NAMES, file_caps.as_slice(), "cap order of the file");
    let combos = 1u64 << file_caps.len();
    assert_eq!(Cap::ALL.bits(), combos - 1);

    let mut programs = 0usize;
    let mut verdicts = 0usize;
    let mut with_arguments = 0usize;
    let mut foreign = 0usize;
    let mut failures = Vec::new();
    println!("libseccomp {}", version());
    for arch in Arch::ALL {
        let (sets, conditioned, how) = reference(arch, &file);
        let ap = POLICY.arch(arch).unwrap();
        let samples = argument_samples(arch);
        let audit = arch.audit_arch();
        let others: Vec<u32> = Arch::ALL
            .iter()
            .filter(|a| **a != arch)
            .map(|a| a.audit_arch())
            .collect();
        let numbers = sweep(arch);
        let (mut worst, mut total, mut allowed_runs) = (0usize, 0usize, 0usize);
        let (mut longest, mut arch_verdicts) = (0usize, 0usize);
        for bits in 0..combos {
            let caps = Cap::from_bits(bits).expect("a valid cap mask");
            let prog = program(arch, caps).unwrap_or_else(|e| panic!("{arch:?} {caps}: {e}"));
            let prog = prog.as_slice();
            assert_eq!(check(prog), Ok(()), "{arch:?} {caps}: kernel would refuse");
            programs += 1;
            longest = longest.max(prog.len());
            let want = &sets[bits as usize];
            for nr in numbers.iter().copied().chain(edges(want)) {
                if conditioned.contains(&nr) {
                    for &v in &samples {
                        let mut d = SeccompData::new(nr as i32, audit);
                        d.args = [v; 6];
                        let r = run(prog, &d).unwrap();
                        let expected = ap.verdict(bits, RuleSet::EMPTY, nr, &d.args, ap.default);
                        arch_verdicts += 1;
                        with_arguments += 1;
                        if r.ret != expected.to_ret() {
                            failures.push(format!(
                                "{}: caps {caps} nr {nr} args {v:#x}: got {:#x}, want {expected:?}",
                                arch.name(),
                                r.ret
                            ));
                        }
                    }
                    continue;
                }
                let r = run(prog, &SeccompData::new(nr as i32, audit)).unwrap();
                arch_verdicts += 1;
                let allowed = want.contains(&nr);
                let expected = if allowed {
                    SECCOMP_RET_ALLOW
                } else {
                    SECCOMP_RET_KILL_PROCESS
                };
                if r.ret != expected {
                    failures.push(format!(
                        "{}: caps {caps} nr {nr:#x}: got {:#x}, want {expected:#x}",
                        arch.name(),
                        r.ret
                    ));
                }
                if allowed {
                    if !r.const_allow() {
                        failures.push(format!(
                            "{}: caps {caps} nr {nr}: allowed but not action-cache eligible",
                            arch.name()
                        ));
                    }
                    worst = worst.max(r.executed);
                    total += r.executed;
                    allowed_runs += 1;
                }
            }
            // Every other architecture's calls get the default, whatever the number.
            for &other in &others {
                for nr in want.iter().copied().chain([0, u32::MAX]) {
                    let r = run(prog, &SeccompData::new(nr as i32, other)).unwrap();
                    foreign += 1;
                    if r.ret != SECCOMP_RET_KILL_PROCESS {
                        failures.push(format!(
                            "{}: caps {caps}: arch {other:#x} nr {nr} got {:#x}",
                            arch.name(),
                            r.ret
                        ));
                    }
                }
            }
            if failures.len() > 50 {
                break;
            }
        }
        verdicts += arch_verdicts;
        println!(
            "{:12} {combos} programs (longest {longest:3} insns), {arch_verdicts:7} verdicts \
             ({} numbers with conditions or actions, {} argument samples); \
             allowed calls execute worst {worst}, mean {:.2} instructions; reference: {how}",
            arch.name(),
            conditioned.len(),
            samples.len(),
            total as f64 / allowed_runs.max(1) as f64,
        );
    }
    println!(
        "total: {programs} programs, {verdicts} verdicts ({with_arguments} with arguments), \
         {foreign} foreign-arch verdicts"
    );
    assert!(
        failures.is_empty(),
        "{} wrong verdicts:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The reference parser reads what the macro read: same cap names, and on
/// x86_64 every base name libseccomp knows lands in the macro's base.
#[test]
fn reference_reading_of_the_file_is_sane() {
    let file = PolicyFile::shipped();
    assert!(file.base.iter().any(|n| n == "read"));
    assert!(file
        .caps
        .iter()
        .any(|(n, l)| n == "HTML_ESCAPE" && l.is_empty()));
    let token = arch_token(Arch::X86_64).unwrap();
    let numbers = arch_numbers(token, Arch::X86_64);
    let base = resolve_names(token, &numbers, file.base.iter().map(String::as_str));
    let ours: BTreeSet<u32> = POLICY
        .arch(Arch::X86_64)
        .unwrap()
        .base
        .allow
        .iter()
        .copied()
        .collect();
    assert_eq!(base.numbers, ours);
    // A parse of a small text, including a list on one line, comments,
    // conditions and actions.
    let p = PolicyFile::parse(
        "# c\n[base]\nallow = [\"a\", # x\n \"b\", \"d(x == 1)\"]\nactions = { e = \"EPERM\" }\n\
         [cap.X]\nallow = []\n[cap.Y]\nallow = [\"c\"]\n",
    );
    assert_eq!(p.base, ["a", "b"]);
    assert_eq!(p.caps.len(), 2);
    assert_eq!(p.names(0b10), BTreeSet::from(["a", "b", "c"]));
    assert_eq!(
        p.conditioned,
        BTreeSet::from(["d".to_owned(), "e".to_owned()])
    );
}
