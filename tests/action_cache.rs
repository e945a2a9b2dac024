//! The kernel's seccomp action cache must be able to skip the filter for
//! every allowed syscall.
//!
//! When a filter is attached, the kernel (kernel/seccomp.c,
//! `seccomp_cache_prepare_bitmap`) runs `seccomp_is_const_allow` for every
//! syscall number of the native (and compat) architecture: an emulator that
//! only follows loads of `nr`/`arch`, constant jumps, `and` with a constant
//! and `ret` with a constant. A number whose path is emulable and ends in
//! `SECCOMP_RET_ALLOW` is marked "always allow", and the filter is never run
//! for it again. `sim::run` reports whether a path stays inside that subset.
//!
//! The test also prints how many instructions an allowed syscall executes
//! (run with `--nocapture` to see them).

use std::collections::BTreeSet;

use seccomp_policy::bpf::{SockFilter, BPF_MAXINSNS, SECCOMP_RET_ALLOW};
use seccomp_policy::builder::build;
use seccomp_policy::rule::{Action, RuleSet};
use seccomp_policy::sim::{check, run, SeccompData};
use seccomp_policy::Arch;
use seccomp_policy_suite::Rng;

seccomp_policy::seccomp_policy!("policy/seccomp.toml");

/// A typical harness filter: the shipped policy's `[base]` on x86_64 plus
/// `execve`, the set the spawn path installs for a payload with no cap.
fn typical_x86_64() -> Vec<u32> {
    let execve =
        seccomp_policy::syscalls::number(Arch::X86_64, "execve").expect("x86_64 has execve");
    let mut v = POLICY
        .arch(Arch::X86_64)
        .expect("x86_64 tables")
        .base
        .allow
        .to_vec();
    v.push(execve);
    v.sort_unstable();
    v.dedup();
    v
}

/// Syscall table size the kernel's bitmap covers; larger than any
/// architecture's count today, so every allowed number is examined.
const BITMAP_SIZE: u32 = 1024;

/// Instruction counts of the allowed numbers: (worst, mean).
fn cache_check(arch: Arch, prog: &[SockFilter], allowed: &BTreeSet<u32>) -> (usize, f64) {
    assert_eq!(check(prog), Ok(()));
    let audit = arch.audit_arch();
    let mut worst = 0;
    let mut total = 0;
    // What the kernel computes for its "always allow" bitmap.
    for nr in 0..BITMAP_SIZE {
        let r = run(prog, &SeccompData::new(nr as i32, audit)).unwrap();
        assert!(
            r.const_path,
            "{nr}: path leaves what the kernel can emulate"
        );
        assert_eq!(
            r.const_allow(),
            allowed.contains(&nr),
            "{nr}: cached verdict differs from the policy"
        );
    }
    for &nr in allowed {
        let r = run(prog, &SeccompData::new(nr as i32, audit)).unwrap();
        assert_eq!(r.ret, SECCOMP_RET_ALLOW);
        assert!(r.const_allow(), "{nr} would not be cached as allowed");
        worst = worst.max(r.executed);
        total += r.executed;
    }
    // The compat architecture's pass (i386 on x86-64) is emulable as well,
    // and never allowed.
    let compat = if arch == Arch::X86 {
        Arch::X86_64
    } else {
        Arch::X86
    };
    for nr in 0..64 {
        let r = run(prog, &SeccompData::new(nr, compat.audit_arch())).unwrap();
        assert!(r.const_path && !r.const_allow());
    }
    let mean = if allowed.is_empty() {
        0.0
    } else {
        total as f64 / allowed.len() as f64
    };
    (worst, mean)
}

#[test]
fn every_allowed_number_is_cacheable() {
    let mut rng = Rng(0xcace);
    for round in 0..150 {
        let size = rng.next() % 400;
        let span = if round % 2 == 0 { 500 } else { 1 << 32 };
        let mut nums: Vec<u32> = (0..size).map(|_| (rng.next() % span) as u32).collect();
        nums.sort_unstable();
        let arch = Arch::ALL[round % Arch::ALL.len()];
        let deny = [Action::KillProcess, Action::Errno(1), Action::Trap][round % 3];
        let prog = build::<4096>(
            arch,
            &[RuleSet {
                allow: &nums,
                rules: &[],
            }],
            deny,
        )
        .unwrap();
        let allowed: BTreeSet<u32> = nums.iter().copied().filter(|&n| n < BITMAP_SIZE).collect();
        let all: BTreeSet<u32> = nums.iter().copied().collect();
        cache_check(arch, prog.as_slice(), &allowed);
        // Numbers above the bitmap are not cached but still emulable paths.
        for &nr in all.iter().filter(|&&n| n >= BITMAP_SIZE) {
            let r = run(
                prog.as_slice(),
                &SeccompData::new(nr as i32, arch.audit_arch()),
            )
            .unwrap();
            assert!(r.const_allow());
        }
    }
}

#[test]
fn typical_policy_instruction_counts() {
    let typical = typical_x86_64();
    let allowed: BTreeSet<u32> = typical.iter().copied().collect();
    let sets = [RuleSet {
        allow: &typical,
        rules: &[],
    }];
    let prog = build::<BPF_MAXINSNS>(Arch::X86_64, &sets, Action::KillProcess).unwrap();
    let (worst, mean) = cache_check(Arch::X86_64, prog.as_slice(), &allowed);

    // 3 header instructions, one jge per level, the final ret.
    let ranges = typical.windows(2).filter(|w| w[1] != w[0] + 1).count() + 1;
    let intervals = 2 * ranges + 1 - usize::from(typical[0] == 0);
    let depth = usize::BITS - (intervals - 1).leading_zeros();
    assert!(
        worst <= 3 + depth as usize + 1,
        "worst {worst}, depth {depth}"
    );

    println!(
        "typical x86_64 filter: {} numbers, {ranges} ranges, {intervals} intervals, \
         {} instructions; per allowed syscall: worst {worst}, mean {mean:.2} executed",
        typical.len(),
        prog.len(),
    );
}
