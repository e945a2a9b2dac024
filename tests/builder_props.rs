//! Property tests of the filter builder against the rule IR's meaning.
//!
//! Every program built from random rule sets must pass the kernel's checks
//! (as `sim::check` models them) and give, in `sim::run`, exactly the action
//! `rule::verdict` gives for the same sets, for every number that can matter
//! (all of `0..=1100`, the x32 edges, `u32::MAX`, each side of every range
//! boundary) and, for numbers with conditions, argument values at, around
//! and far from every constant, with the high 32 bits set and clear. The
//! reference evaluates the rules directly and never looks at a program.
//!
//! Besides the verdicts: unconditional numbers run `3 + ceil(log2(n)) + 1`
//! instructions for `n` intervals and never load an argument (so the
//! kernel's action cache can take them); calls from another architecture
//! get the default after 3 instructions; the length is within
//! `capacity_for`; errors are the documented ones.

use std::collections::BTreeSet;

use seccomp_policy::bpf::{
    SockFilter, BPF_JA, BPF_JGE, BPF_JMP, BPF_K, BPF_MAXINSNS, SECCOMP_RET_ALLOW,
};
use seccomp_policy::builder::{build, capacity_for, BuildError};
use seccomp_policy::rule::{verdict, Action, ArgCmp, CmpOp, RuleSet, When};
use seccomp_policy::sim::{check, run, SeccompData};
use seccomp_policy::{Arch, Program};
use seccomp_policy_compiler::lower::{with_rule_sets, SetRules};
use seccomp_policy_suite::{test_rule, Rng};

const DEFAULTS: [Action; 7] = [
    Action::KillProcess,
    Action::KillThread,
    Action::Trap,
    Action::Errno(1),
    Action::Errno(4095),
    Action::Notify,
    Action::Log,
];

/// Rule sets owned by a test, as the front end lowers them.
type OwnedSet = SetRules;

/// Calls `f` with the sets borrowed as the builder takes them.
fn with_sets<R>(sets: &[OwnedSet], f: impl FnOnce(&[RuleSet<'_>]) -> R) -> R {
    let refs: Vec<&SetRules> = sets.iter().collect();
    with_rule_sets(&refs, f)
}

/// Sets that only allow numbers.
fn allow_only(sets: &[Vec<u32>]) -> Vec<OwnedSet> {
    sets.iter()
        .map(|s| OwnedSet {
            allow: s.clone(),
            rules: Vec::new(),
        })
        .collect()
}

/// Coalesced ranges `[lo, hi]` of a set, computed the obvious way.
fn ranges(set: &BTreeSet<u32>) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for &v in set {
        match out.last_mut() {
            Some((_, hi)) if hi.checked_add(1) == Some(v) => *hi = v,
            _ => out.push((v, v)),
        }
    }
    out
}

fn ceil_log2(n: usize) -> usize {
    let mut d = 0;
    while (1usize << d) < n {
        d += 1;
    }
    d
}

/// Every number worth probing for a set of mentioned numbers.
fn probes(set: &BTreeSet<u32>) -> BTreeSet<u32> {
    let mut p: BTreeSet<u32> = (0..=1100).collect();
    p.extend([
        0x3fff_ffff,
        0x4000_0000,
        0x4000_0001,
        0x7fff_ffff,
        0x8000_0000,
    ]);
    p.extend([u32::MAX - 1, u32::MAX]);
    for &v in set {
        p.insert(v | 0x4000_0000);
        p.insert(v.wrapping_add(0x4000_0000));
    }
    for (lo, hi) in ranges(set) {
        for v in [lo, hi] {
            p.insert(v);
            p.insert(v.wrapping_sub(1));
            p.insert(v.wrapping_add(1));
        }
    }
    p
}

/// Argument values worth trying against comparisons with `constants`: at,
/// around and far from each, with the high half set and clear.
fn arg_values(constants: &BTreeSet<u64>) -> Vec<u64> {
    let mut v: BTreeSet<u64> = [0, 1, u64::MAX, 0xffff_ffff, 0x1_0000_0000].into();
    for &c in constants {
        for d in [c, c.wrapping_sub(1), c.wrapping_add(1), !c] {
            v.insert(d);
            v.insert(d & 0xffff_ffff);
            v.insert(d | 0xffff_ffff_0000_0000);
            v.insert(d ^ 0x8000_0000_0000_0000);
        }
    }
    v.into_iter().collect()
}

/// Builds, checks and simulates one program against `verdict`; returns its
/// length (or the build error).
fn verify(arch: Arch, sets: &[OwnedSet], default: Action) -> Result<usize, BuildError> {
    with_sets(sets, |refs| verify_sets(arch, refs, default))
}

fn verify_sets(arch: Arch, sets: &[RuleSet<'_>], default: Action) -> Result<usize, BuildError> {
    let p = match build::<BPF_MAXINSNS>(arch, sets, default) {
        Err(BuildError::TooLong { needed }) => {
            assert!(needed > BPF_MAXINSNS, "TooLong with needed = {needed}");
            return Err(BuildError::TooLong { needed });
        }
        Err(e) => return Err(e),
        Ok(p) => p,
    };
    let prog = p.as_slice();
    assert_eq!(check(prog), Ok(()), "kernel checks refuse the program");
    assert!(prog.len() <= capacity_for(sets, 0), "over capacity_for");

    let mentioned: BTreeSet<u32> = sets
        .iter()
        .flat_map(|s| s.allow.iter().copied().chain(s.rules.iter().map(|r| r.nr)))
        .collect();
    let conditioned: BTreeSet<u32> = sets
        .iter()
        .flat_map(|s| s.rules.iter())
        .filter(|r| !r.when.is_always())
        .map(|r| r.nr)
        .collect();
    let constants: BTreeSet<u64> = sets
        .iter()
        .flat_map(|s| s.rules.iter())
        .filter_map(|r| match r.when {
            When::AnyOf(alts) => Some(alts),
            When::Always => None,
        })
        .flat_map(|alts| alts.iter().flat_map(|c| c.iter()))
        .flat_map(|c| match c.op {
            CmpOp::MaskedEq(m) | CmpOp::MaskedNe(m) => vec![c.value, m],
            _ => vec![c.value],
        })
        .collect();
    let values = arg_values(&constants);

    // Unconditional paths: 3 header instructions, one `jge` per level of
    // the tree, the `ret`; one `ja` more per level where targets are far.
    let jges = prog
        .iter()
        .filter(|i| i.code == BPF_JMP | BPF_JGE | BPF_K)
        .count();
    let depth = ceil_log2(jges + 1);
    let far = prog.iter().any(|i| i.code == BPF_JMP | BPF_JA) || prog.len() > 256;
    let max_path = 3 + depth + 1 + if far { depth + 1 } else { 0 };
    let audit = arch.audit_arch();
    for nr in probes(&mentioned) {
        if conditioned.contains(&nr) {
            for (i, &a) in values.iter().enumerate() {
                let b = values[(i * 7 + 3) % values.len()];
                let args = [a, b, a ^ b, b, a, !a];
                let mut d = SeccompData::new(nr as i32, audit);
                d.args = args;
                let r = run(prog, &d).unwrap();
                let want = verdict(sets, nr, &args, default);
                assert_eq!(r.ret, want.to_ret(), "{arch} nr {nr} args {args:x?}");
            }
        } else {
            let r = run(prog, &SeccompData::new(nr as i32, audit)).unwrap();
            let want = verdict(sets, nr, &[0; 6], default);
            assert_eq!(r.ret, want.to_ret(), "{arch} nr {nr:#x}");
            assert!(r.executed <= max_path, "{nr}: {} > {max_path}", r.executed);
            assert!(r.const_path, "{nr} loads an argument");
        }
    }

    // Every other architecture gets the default, after ld, jeq and a ret.
    let sample: Vec<u32> = mentioned
        .iter()
        .take(3)
        .copied()
        .chain([0, 59, 0x4000_0000])
        .collect();
    for other in Arch::ALL.into_iter().filter(|a| *a != arch) {
        for &nr in &sample {
            let r = run(prog, &SeccompData::new(nr as i32, other.audit_arch())).unwrap();
            assert_eq!(r.ret, default.to_ret());
            assert!(r.executed <= 4, "{}", r.executed);
        }
    }
    for bogus in [0, u32::MAX, audit ^ 0x8000_0000, audit ^ 0x4000_0000] {
        let r = run(prog, &SeccompData::new(0, bogus)).unwrap();
        assert_eq!(r.ret, default.to_ret());
    }
    Ok(prog.len())
}

fn one(values: impl IntoIterator<Item = u32>) -> Vec<OwnedSet> {
    let mut v: Vec<u32> = values.into_iter().collect();
    v.sort_unstable();
    allow_only(&[v])
}

/// Splits `values` into `parts` sorted sets, with some duplicates.
fn split(rng: &mut Rng, values: &BTreeSet<u32>, parts: usize) -> Vec<Vec<u32>> {
    let mut sets = vec![Vec::new(); parts.max(1)];
    for &v in values {
        let i = rng.below(sets.len() as u64) as usize;
        sets[i].push(v);
        if rng.below(8) == 0 {
            let j = rng.below(sets.len() as u64) as usize;
            sets[j].push(v);
        }
    }
    for s in &mut sets {
        s.sort_unstable();
    }
    sets
}

/// A random comparison, with constants that make the edges interesting.
fn random_cmp(rng: &mut Rng, arch: Arch) -> ArgCmp {
    let bits = match rng.below(5) {
        0 => 16,
        1 | 2 => 32,
        _ if !arch.is_64bit() => 32,
        _ => 64,
    };
    let width = (1u128 << bits).wrapping_sub(1) as u64;
    let pick = |rng: &mut Rng| -> u64 {
        (match rng.below(6) {
            0 => rng.below(8),
            1 => 1 << rng.below(64),
            2 => rng.next(),
            3 => 0x5412,
            4 => 0x1_0000_0000 | rng.below(4),
            _ => u64::MAX - rng.below(3),
        }) & width
    };
    let op = match rng.below(8) {
        0 => CmpOp::Eq,
        1 => CmpOp::Ne,
        2 => CmpOp::Lt,
        3 => CmpOp::Le,
        4 => CmpOp::Gt,
        5 => CmpOp::Ge,
        6 => CmpOp::MaskedEq(pick(rng)),
        _ => CmpOp::MaskedNe(pick(rng)),
    };
    let mut value = pick(rng);
    if let CmpOp::MaskedEq(m) | CmpOp::MaskedNe(m) = op {
        if rng.below(3) > 0 {
            value &= m;
        }
    }
    ArgCmp {
        arg: rng.below(6) as u8,
        bits,
        op,
        value,
    }
}

/// Random rule sets: numbers, conditioned allows and actions, unconditional
/// actions, across several sets, with policy orders interleaved.
fn random_sets(rng: &mut Rng, arch: Arch, span: u64) -> Vec<OwnedSet> {
    let n_sets = 1 + rng.below(4) as usize;
    let mut sets = vec![OwnedSet::default(); n_sets];
    let mut order = 0u32;
    let hot: Vec<u32> = (0..=rng.below(6)).map(|_| rng.below(span) as u32).collect();
    for _ in 0..rng.below(60) {
        let s = rng.below(n_sets as u64) as usize;
        let nr = if rng.below(3) == 0 {
            hot[rng.below(hot.len() as u64) as usize]
        } else {
            rng.below(span) as u32
        };
        order += 1 + rng.below(5) as u32;
        match rng.below(5) {
            0 | 1 => sets[s].allow.push(nr),
            _ => {
                let when = if rng.below(4) == 0 {
                    None
                } else {
                    let alts = (0..=rng.below(3))
                        .map(|_| (0..=rng.below(3)).map(|_| random_cmp(rng, arch)).collect())
                        .collect();
                    Some(alts)
                };
                let action = match rng.below(5) {
                    0 | 1 => Action::Allow,
                    2 => Action::Errno(1 + rng.below(200) as u16),
                    3 => Action::Log,
                    _ => DEFAULTS[rng.below(DEFAULTS.len() as u64) as usize],
                };
                sets[s].rules.push(test_rule(nr, when, action, order));
            }
        }
    }
    for s in &mut sets {
        s.allow.sort_unstable();
        s.rules.sort_by_key(|r| r.nr);
    }
    sets
}

#[test]
fn empty_sets_give_the_default() {
    for default in DEFAULTS {
        // ld arch; jeq; ld nr; ret default.
        assert_eq!(verify(Arch::X86_64, &[], default), Ok(4));
        assert_eq!(
            verify(Arch::Aarch64, &allow_only(&[vec![], vec![]]), default),
            Ok(4)
        );
    }
}

#[test]
fn single_numbers() {
    for nr in [
        0,
        1,
        2,
        59,
        500,
        1100,
        0x3fff_ffff,
        0x4000_0000,
        0x4000_003b,
    ] {
        verify(Arch::X86_64, &one([nr]), Action::KillProcess).unwrap();
    }
    for nr in [u32::MAX, u32::MAX - 1, 0x8000_0000] {
        verify(Arch::Arm, &one([nr]), Action::Errno(38)).unwrap();
    }
}

#[test]
fn contiguous_runs() {
    verify(Arch::X86_64, &one(10..=20), Action::KillProcess).unwrap();
    verify(Arch::X86_64, &one(0..=500), Action::KillThread).unwrap();
    verify(Arch::Riscv64, &one(0..=1100), Action::Trap).unwrap();
    verify(Arch::X86_64, &one(1000..=1200), Action::Log).unwrap();
    let pieces: Vec<Vec<u32>> = (0..50).map(|i| (i * 10..i * 10 + 15).collect()).collect();
    verify(Arch::S390x, &allow_only(&pieces), Action::KillProcess).unwrap();
    let ends = one((0..=40).chain(u32::MAX - 40..=u32::MAX));
    verify(Arch::X86_64, &ends, Action::KillProcess).unwrap();
}

#[test]
fn random_number_sets() {
    let mut rng = Rng(0x5ecc0);
    for round in 0..200 {
        let size = rng.below(300);
        let span: u64 = match round % 4 {
            0 => 600,
            1 => 2000,
            2 => 1 << 31,
            _ => 1 << 32,
        };
        let mut s = BTreeSet::new();
        for _ in 0..size {
            let v = rng.below(span) as u32;
            s.insert(v);
            if rng.below(4) == 0 {
                for k in 1..=rng.below(6) as u32 {
                    s.insert(v.saturating_add(k));
                }
            }
        }
        let parts = 1 + rng.below(5) as usize;
        let sets = allow_only(&split(&mut rng, &s, parts));
        let arch = Arch::ALL[rng.below(Arch::ALL.len() as u64) as usize];
        let default = DEFAULTS[rng.below(DEFAULTS.len() as u64) as usize];
        verify(arch, &sets, default).unwrap();
    }
}

#[test]
fn random_rules_with_conditions_on_every_architecture() {
    let mut rng = Rng(0xc0d1);
    let mut checked = 0;
    for round in 0..400 {
        let arch = Arch::ALL[round % Arch::ALL.len()];
        let span = if round % 3 == 0 { 40 } else { 500 };
        let sets = random_sets(&mut rng, arch, span);
        let default = DEFAULTS[rng.below(DEFAULTS.len() as u64) as usize];
        match verify(arch, &sets, default) {
            Ok(_) => checked += 1,
            Err(BuildError::TooManyRules { .. }) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    assert!(checked > 390, "{checked}");
}

#[test]
fn far_targets_use_stand_ins() {
    let mut rng = Rng(42);
    let mut saw_ja = false;
    for m in [150u32, 200, 400, 700, 900, 1200] {
        let s: BTreeSet<u32> = (0..m).map(|i| 5 + 3 * i + rng.below(2) as u32).collect();
        let sets = allow_only(&split(&mut rng, &s, 3));
        verify(Arch::X86_64, &sets, Action::KillProcess).unwrap();
        with_sets(&sets, |refs| {
            let p = build::<4096>(Arch::X86_64, refs, Action::KillProcess).unwrap();
            saw_ja |= p.as_slice().iter().any(|i| i.code == BPF_JMP | BPF_JA);
        });
    }
    assert!(saw_ja);
    // Conditions far from the shared returns.
    let mut sets = allow_only(&[(0..800).map(|i| 3 * i).collect()]);
    let cmp = ArgCmp {
        arg: 1,
        bits: 64,
        op: CmpOp::Gt,
        value: 0x1_0000_0000,
    };
    sets[0].rules = (0..40)
        .map(|i| test_rule(1 + 30 * i, Some(vec![vec![cmp]]), Action::Errno(9), i))
        .collect();
    verify(Arch::S390x, &sets, Action::KillProcess).unwrap();
}

#[test]
fn at_and_past_the_limit() {
    // Isolated numbers 2, 4, 6, ...: 2m + 1 intervals, 2m `jge` nodes, and
    // `ret`s placed near the leaves where the shared ones are out of reach.
    let mut last_ok = None;
    let mut first_err = None;
    for m in (2000..2100u32).step_by(5) {
        let sets = one((1..=m).map(|i| 2 * i));
        match verify(Arch::X86_64, &sets, Action::KillProcess) {
            Ok(len) => {
                assert!(first_err.is_none(), "ok again after TooLong at {m}");
                last_ok = Some((m, len));
            }
            Err(BuildError::TooLong { needed }) => {
                first_err.get_or_insert((m, needed));
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    let (m_ok, len) = last_ok.unwrap();
    let (m_err, needed) = first_err.unwrap();
    assert_eq!(m_err, m_ok + 5);
    assert!(len <= 4096 && len > 4000, "{len}");
    assert!(needed > 4096);
    // Far past the limit: still an error, never a panic.
    let big: Vec<u32> = (0..100_000).map(|i| 3 * i).collect();
    assert!(matches!(
        with_sets(&allow_only(&[big]), |s| build::<4096>(
            Arch::X86_64,
            s,
            Action::KillProcess
        )),
        Err(BuildError::TooLong { .. })
    ));
    // A contiguous range of any size is tiny.
    let p = with_sets(&one(0..100_000), |s| {
        build::<16>(Arch::X86_64, s, Action::KillProcess).unwrap()
    });
    assert_eq!(p.len(), 6);
}

/// Builds `sets` into a buffer of `N` and checks the result against `full`:
/// the same program when it fits, else how much was needed.
fn for_capacity<const N: usize>(arch: Arch, refs: &[RuleSet<'_>], full: &Program<4096>) {
    match build::<N>(arch, refs, Action::KillProcess) {
        Ok(p) => assert_eq!(p.as_slice(), full.as_slice()),
        Err(BuildError::BufferTooSmall { needed, capacity }) => {
            assert_eq!(capacity, N);
            assert!(full.len() > N);
            assert!(
                needed <= full.len() && needed > N,
                "needed {needed}, capacity {N}, full {}",
                full.len()
            );
        }
        Err(e) => panic!("{e:?}"),
    }
}

#[test]
fn small_buffers_say_how_much_is_needed() {
    let mut rng = Rng(99);
    let mut checked = 0;
    for _ in 0..200 {
        let arch = Arch::ALL[rng.below(9) as usize];
        let sets = random_sets(&mut rng, arch, 100);
        with_sets(&sets, |refs| {
            match build::<4096>(arch, refs, Action::KillProcess) {
                Ok(full) => {
                    for_capacity::<0>(arch, refs, &full);
                    for_capacity::<5>(arch, refs, &full);
                    for_capacity::<16>(arch, refs, &full);
                    for_capacity::<64>(arch, refs, &full);
                    checked += 1;
                }
                // Random sets may hold more rules than a program can; those
                // are the subject of `at_and_past_the_limit`.
                Err(BuildError::TooManyRules { .. } | BuildError::TooLong { .. }) => {}
                Err(e) => panic!("{e:?}"),
            }
        });
    }
    assert!(checked > 190, "only {checked} of 200 random sets built");
}

/// Builds `sets` and checks that the program is no longer than
/// `capacity_for` says; returns the length and the bound (`None` when the
/// sets make no program).
fn fits_capacity(arch: Arch, sets: &[OwnedSet], default: Action) -> Option<(usize, usize)> {
    with_sets(sets, |refs| {
        let full = match build::<BPF_MAXINSNS>(arch, refs, default) {
            Ok(p) => p,
            Err(BuildError::TooLong { .. } | BuildError::TooManyRules { .. }) => return None,
            Err(e) => panic!("{e:?}"),
        };
        let bound = capacity_for(refs, 0);
        assert!(
            full.len() <= bound,
            "{arch}: {} instructions, capacity_for says {bound}",
            full.len()
        );
        Some((full.len(), bound))
    })
}

/// The programs `capacity_for` is closest to: each of its terms pushed to
/// its limit. Many distinct actions (more than get a shared `ret`), trees
/// long enough for `ret` and `ja` stand-ins with up to 16 shared actions,
/// and blocks too long for their own jumps.
#[test]
fn capacity_for_bounds_the_worst_cases() {
    let errno = |i: u32| Action::Errno(1 + (i % 4000) as u16);
    // Isolated numbers, each answered with its own errno: a `ret` at each
    // use once 16 actions have shared ones.
    for m in [10u32, 14, 15, 16, 20, 50, 100, 150, 300, 600, 1000] {
        let rules = (0..m)
            .map(|i| test_rule(2 * i, None, errno(i), i))
            .collect();
        let sets = [OwnedSet {
            allow: Vec::new(),
            rules,
        }];
        fits_capacity(Arch::X86_64, &sets, Action::KillProcess);
    }
    // Isolated numbers cycling through `k` actions, interleaved with allowed
    // ones: shared `ret`s for all, far from most leaves.
    for k in [1u32, 4, 8, 14, 15, 16] {
        for m in [200u32, 500, 900, 1300] {
            let allow = (0..m).map(|i| 4 * i).collect();
            let rules = (0..m)
                .map(|i| test_rule(4 * i + 2, None, errno(i % k), i))
                .collect();
            let sets = [OwnedSet { allow, rules }];
            fits_capacity(Arch::X86_64, &sets, Action::KillProcess);
        }
    }
    // One number with many comparisons over several sets, among many
    // numbers: blocks longer than a jump reaches.
    let mut rng = Rng(0xcafe);
    for cmps in [20usize, 40, 42, 43, 60, 100] {
        for arch in [Arch::X86_64, Arch::S390x, Arch::Arm] {
            let mut sets = allow_only(&[(0..300).map(|i| 3 * i).collect(), vec![1000, 1002]]);
            for (s, set) in sets.iter_mut().enumerate() {
                set.rules = (0..cmps / 2)
                    .map(|i| {
                        let alts = vec![vec![random_cmp(&mut rng, arch)]];
                        let action = if i % 3 == 0 {
                            Action::Allow
                        } else {
                            errno(i as u32)
                        };
                        test_rule(451, Some(alts), action, (2 * i + s) as u32)
                    })
                    .collect();
            }
            fits_capacity(arch, &sets, Action::KillProcess);
        }
    }
    // Random policies of every size, with many distinct actions.
    let mut tight = 0.0f64;
    for round in 0..300 {
        let arch = Arch::ALL[round % Arch::ALL.len()];
        let mut sets = random_sets(&mut rng, arch, 2000);
        for _ in 0..rng.below(400) {
            let s = rng.below(sets.len() as u64) as usize;
            let nr = rng.below(2000) as u32;
            let action = match rng.below(3) {
                0 => Action::Allow,
                1 => errno(rng.below(30) as u32),
                _ => DEFAULTS[rng.below(DEFAULTS.len() as u64) as usize],
            };
            sets[s]
                .rules
                .push(test_rule(nr, None, action, 1000 + round as u32));
            sets[s].allow.push(rng.below(2000) as u32);
        }
        for s in &mut sets {
            s.allow.sort_unstable();
            s.rules.sort_by_key(|r| r.nr);
        }
        if let Some((len, bound)) = fits_capacity(arch, &sets, Action::Errno(1)) {
            tight = tight.max(len as f64 / bound as f64);
        }
    }
    // The bound is not so loose that it says nothing.
    assert!(tight > 0.3, "longest program / bound: {tight}");
}

#[test]
fn unsorted_input_is_an_error() {
    let mut rng = Rng(3);
    let mut tried = 0;
    for _ in 0..100 {
        let mut v: Vec<u32> = (0..2 + rng.below(30))
            .map(|_| rng.below(1000) as u32)
            .collect();
        v.sort_unstable();
        v.dedup();
        if v.len() < 2 {
            continue;
        }
        let i = rng.below(v.len() as u64 - 1) as usize;
        v.swap(i, i + 1);
        let sets = allow_only(&[vec![1, 2, 3], v]);
        let got = with_sets(&sets, |s| {
            build::<4096>(Arch::X86_64, s, Action::KillProcess)
        });
        assert_eq!(got, Err(BuildError::Unsorted));
        tried += 1;
    }
    assert!(tried > 90);
}

#[test]
fn allow_as_the_default_allows_everything() {
    let sets = one([1, 5]);
    let p = with_sets(&sets, |s| {
        build::<64>(Arch::X86_64, s, Action::Allow).unwrap()
    });
    for nr in [0u32, 1, 2, 5, 6, u32::MAX] {
        let r = run(p.as_slice(), &SeccompData::new(nr as i32, 0)).unwrap();
        assert_eq!(r.ret, SECCOMP_RET_ALLOW);
    }
    let _: &[SockFilter] = p.as_slice();
}
