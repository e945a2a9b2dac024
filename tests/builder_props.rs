//! Property tests of the filter builder against plain set membership.
//!
//! Every program built from random sets must pass the kernel's checks (as
//! `sim::check` models them) and give, in `sim::run`, exactly the verdict of
//! a `BTreeSet` of the same numbers, for every number that can matter: all
//! of `0..=1100`, the x32 edges, `u32::MAX`, and each side of every range
//! boundary. The reference never looks at the program's structure.

use std::collections::BTreeSet;

use seccomp_policy::bpf::{
    SockFilter, BPF_JA, BPF_JMP, BPF_K, BPF_MAXINSNS, BPF_RET, SECCOMP_RET_ALLOW,
};
use seccomp_policy::builder::{build, capacity_for, Action, BuildError};
use seccomp_policy::sim::{check, run, SeccompData};
use seccomp_policy::{Arch, Program};
use seccomp_policy_suite::Rng;

/// A number in `0..n` as a syscall number.
fn u32_below(rng: &mut Rng, n: u64) -> u32 {
    rng.below(n) as u32
}

const DENIES: [Action; 6] = [
    Action::KillProcess,
    Action::KillThread,
    Action::Trap,
    Action::Errno(1),
    Action::Errno(4095),
    Action::Log,
];

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

/// Number of deny/allow intervals the number line splits into.
fn intervals(set: &BTreeSet<u32>) -> usize {
    let r = ranges(set);
    let mut n = 2 * r.len() + 1;
    if set.contains(&0) {
        n -= 1;
    }
    if set.contains(&u32::MAX) {
        n -= 1;
    }
    n
}

fn ceil_log2(n: usize) -> usize {
    let mut d = 0;
    while (1usize << d) < n {
        d += 1;
    }
    d
}

/// Every number worth probing for `set`.
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

/// Splits `values` into `parts` sorted sets, with some duplicates.
fn split(rng: &mut Rng, values: &BTreeSet<u32>, parts: usize) -> Vec<Vec<u32>> {
    let mut sets = vec![Vec::new(); parts.max(1)];
    for &v in values {
        let i = rng.below(sets.len() as u64) as usize;
        sets[i].push(v);
        if rng.below(8) == 0 {
            // The same number again, in this set or another one.
            let j = rng.below(sets.len() as u64) as usize;
            sets[j].push(v);
        }
    }
    for s in &mut sets {
        s.sort_unstable();
    }
    sets
}

fn ja_count(prog: &[SockFilter]) -> usize {
    prog.iter().filter(|i| i.code == BPF_JMP | BPF_JA).count()
}

/// Builds, checks and simulates one program; returns its length (or the error).
fn verify(arch: Arch, sets: &[Vec<u32>], deny: Action) -> Result<usize, BuildError> {
    let refs: Vec<&[u32]> = sets.iter().map(Vec::as_slice).collect();
    let set: BTreeSet<u32> = sets.iter().flatten().copied().collect();
    let n = intervals(&set);
    let built = build::<BPF_MAXINSNS>(arch, &refs, deny);

    // The length is 4 header instructions, n leaves, n - 1 comparisons and
    // the `ja`s; anything over 4096 must be refused.
    let p = match built {
        Err(BuildError::TooLong { needed }) => {
            assert!(needed > BPF_MAXINSNS, "TooLong with needed = {needed}");
            assert!(needed >= 4 + 2 * n - 1);
            return Err(BuildError::TooLong { needed });
        }
        Err(e) => panic!("unexpected {e:?} for {} numbers", set.len()),
        Ok(p) => p,
    };
    let prog = p.as_slice();
    assert_eq!(check(prog), Ok(()), "kernel checks refuse the program");
    let jas = ja_count(prog);
    assert_eq!(prog.len(), 4 + 2 * n - 1 + jas);
    assert_eq!(
        prog.iter().filter(|i| i.code == BPF_RET | BPF_K).count(),
        n + 1,
        "one return per interval plus the foreign-arch one"
    );
    assert!(prog.len() <= capacity_for(sets.iter().map(Vec::len).sum()));

    let depth = ceil_log2(n);
    let max_path = 4 + depth + if jas == 0 { 0 } else { depth };
    let audit = arch.audit_arch();
    for nr in probes(&set) {
        let r = run(prog, &SeccompData::new(nr as i32, audit)).unwrap();
        let want = set.contains(&nr);
        if want {
            assert_eq!(r.ret, SECCOMP_RET_ALLOW, "{nr:#x} should be allowed");
        } else {
            assert_eq!(r.ret, deny.to_ret(), "{nr:#x} should be denied");
        }
        assert!(r.executed <= max_path, "{nr}: {} > {max_path}", r.executed);
    }

    // Every other architecture gets the deny action, allowed number or not.
    let sample: Vec<u32> = set
        .iter()
        .take(3)
        .copied()
        .chain([0, 59, 0x4000_0000])
        .collect();
    for other in Arch::ALL.into_iter().filter(|a| *a != arch) {
        for &nr in &sample {
            let r = run(prog, &SeccompData::new(nr as i32, other.audit_arch())).unwrap();
            assert_eq!(r.ret, deny.to_ret());
            assert_eq!(r.executed, 3);
        }
    }
    for bogus in [0, u32::MAX, audit ^ 0x8000_0000, audit ^ 0x4000_0000] {
        let r = run(prog, &SeccompData::new(0, bogus)).unwrap();
        assert_eq!(r.ret, deny.to_ret());
    }
    Ok(prog.len())
}

fn one(values: impl IntoIterator<Item = u32>) -> Vec<Vec<u32>> {
    let mut v: Vec<u32> = values.into_iter().collect();
    v.sort_unstable();
    vec![v]
}

#[test]
fn empty_sets_deny_everything() {
    for deny in DENIES {
        assert_eq!(verify(Arch::X86_64, &[], deny), Ok(5));
        assert_eq!(verify(Arch::Aarch64, &[vec![], vec![]], deny), Ok(5));
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
    // The same run given as many overlapping pieces.
    let pieces: Vec<Vec<u32>> = (0..50).map(|i| (i * 10..i * 10 + 15).collect()).collect();
    verify(Arch::S390x, &pieces, Action::KillProcess).unwrap();
    // Runs touching both ends of the number line.
    let ends = one((0..=40).chain(u32::MAX - 40..=u32::MAX));
    verify(Arch::X86_64, &ends, Action::KillProcess).unwrap();
}

#[test]
fn numbers_near_both_ends() {
    let mut rng = Rng(7);
    let mut cases = vec![
        one([0, 1, 2, u32::MAX - 2, u32::MAX - 1, u32::MAX]),
        one([u32::MAX]),
        one([0, u32::MAX]),
        one([1, u32::MAX - 1]),
        one([0x3fff_ffff, 0x4000_0000, 0x4000_0001]),
    ];
    for _ in 0..40 {
        let mut s = BTreeSet::new();
        for _ in 0..rng.below(20) {
            s.insert(u32_below(&mut rng, 16));
            s.insert(u32::MAX - u32_below(&mut rng, 16));
        }
        let parts = 1 + rng.below(3) as usize;
        cases.push(split(&mut rng, &s, parts));
    }
    for (i, c) in cases.iter().enumerate() {
        verify(Arch::ALL[i % Arch::ALL.len()], c, DENIES[i % DENIES.len()]).unwrap();
    }
}

#[test]
fn random_sparse_sets() {
    let mut rng = Rng(0x5ecc0);
    for round in 0..250 {
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
            // Sometimes a short run instead of a lone number.
            if rng.below(4) == 0 {
                for k in 1..=rng.below(6) as u32 {
                    s.insert(v.saturating_add(k));
                }
            }
        }
        let parts = 1 + rng.below(5) as usize;
        let sets = split(&mut rng, &s, parts);
        let arch = Arch::ALL[rng.below(Arch::ALL.len() as u64) as usize];
        let deny = DENIES[rng.below(DENIES.len() as u64) as usize];
        verify(arch, &sets, deny).unwrap();
    }
}

#[test]
fn long_jumps_use_ja() {
    // 150 to 900 isolated numbers: lower halves longer than 255 instructions.
    let mut rng = Rng(42);
    let mut saw_ja = false;
    for m in [150u32, 200, 400, 700, 900] {
        let s: BTreeSet<u32> = (0..m).map(|i| 5 + 3 * i + u32_below(&mut rng, 2)).collect();
        let sets = split(&mut rng, &s, 3);
        verify(Arch::X86_64, &sets, Action::KillProcess).unwrap();
        let refs: Vec<&[u32]> = sets.iter().map(Vec::as_slice).collect();
        let p = build::<4096>(Arch::X86_64, &refs, Action::KillProcess).unwrap();
        saw_ja |= ja_count(p.as_slice()) > 0;
    }
    assert!(saw_ja);
}

#[test]
fn at_and_past_the_limit() {
    // Isolated numbers 2, 4, 6, ...: 2m + 1 intervals.
    let mut last_ok = None;
    let mut first_err = None;
    for m in 1000..1040u32 {
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
    assert_eq!(m_err, m_ok + 1);
    assert!(len <= 4096 && len > 4080, "{len}");
    assert!(needed > 4096);
    // Starting at 0 saves an interval; either way the outcome is consistent.
    let sets = one((0..=m_ok).map(|i| 2 * i));
    let _ = verify(Arch::X86_64, &sets, Action::KillProcess);
    // Far past the limit: still an error, never a panic.
    let big: Vec<u32> = (0..100_000).map(|i| 3 * i).collect();
    assert!(matches!(
        build::<4096>(Arch::X86_64, &[&big], Action::KillProcess),
        Err(BuildError::TooLong { .. })
    ));
    // A contiguous range of any size is tiny.
    let run: Vec<u32> = (0..100_000).collect();
    let p = build::<16>(Arch::X86_64, &[&run], Action::KillProcess).unwrap();
    assert_eq!(p.len(), 7);
}

#[test]
fn small_buffers() {
    fn for_capacity<const N: usize>(refs: &[&[u32]], full: &Program<4096>) {
        match build::<N>(Arch::X86_64, refs, Action::KillProcess) {
            Ok(p) => assert_eq!(p.as_slice(), full.as_slice()),
            Err(e) => {
                assert!(full.len() > N);
                assert_eq!(
                    e,
                    BuildError::BufferTooSmall {
                        needed: full.len(),
                        capacity: N
                    }
                );
            }
        }
    }

    let mut rng = Rng(99);
    for _ in 0..200 {
        let s: BTreeSet<u32> = (0..rng.below(12))
            .map(|_| u32_below(&mut rng, 100))
            .collect();
        let sets = split(&mut rng, &s, 2);
        let refs: Vec<&[u32]> = sets.iter().map(Vec::as_slice).collect();
        let full = build::<4096>(Arch::X86_64, &refs, Action::KillProcess).unwrap();
        let len = full.len();
        for_capacity::<0>(&refs, &full);
        for_capacity::<5>(&refs, &full);
        for_capacity::<16>(&refs, &full);
        for_capacity::<32>(&refs, &full);
        assert!(len < 4 + 2 * (2 * s.len() + 1));
    }
}

#[test]
fn capacity_for_is_an_upper_bound() {
    const M: usize = 80;
    let mut rng = Rng(1234);
    for m in (0..1100usize).step_by(7).chain([1021, 1022, 1023, 1024]) {
        // The worst case: m isolated numbers away from both ends.
        let worst = one((0..m as u32).map(|i| 10 + 2 * i));
        match verify(Arch::X86_64, &worst, Action::KillProcess) {
            Ok(len) => assert_eq!(len, capacity_for(m), "bound is tight for m = {m}"),
            Err(BuildError::TooLong { .. }) => assert_eq!(capacity_for(m), 4096),
            Err(e) => panic!("{e:?}"),
        }
        // Random sets of m numbers (with duplicates) stay under it.
        let s: Vec<u32> = (0..m)
            .map(|_| u32_below(&mut rng, 4 * m as u64 + 1))
            .collect();
        let mut s = s;
        s.sort_unstable();
        match build::<4096>(Arch::X86_64, &[&s], Action::KillProcess) {
            Ok(p) => assert!(p.len() <= capacity_for(m), "m = {m}"),
            Err(BuildError::TooLong { .. }) => assert_eq!(capacity_for(m), BPF_MAXINSNS),
            Err(e) => panic!("{e:?}"),
        }
    }
    // A buffer sized with capacity_for fits the worst set of that size.
    let worst: Vec<u32> = (0..M as u32).map(|i| 1 + 2 * i).collect();
    let p = build::<{ capacity_for(M) }>(Arch::X86_64, &[&worst], Action::KillProcess).unwrap();
    assert_eq!(p.len(), capacity_for(M));
}

#[test]
fn unsorted_input_is_an_error() {
    let mut rng = Rng(3);
    for _ in 0..100 {
        let mut v: Vec<u32> = (0..2 + rng.below(30))
            .map(|_| u32_below(&mut rng, 1000))
            .collect();
        v.sort_unstable();
        v.dedup();
        if v.len() < 2 {
            continue;
        }
        let i = rng.below(v.len() as u64 - 1) as usize;
        v.swap(i, i + 1);
        let sorted: Vec<u32> = vec![1, 2, 3];
        assert_eq!(
            build::<4096>(Arch::X86_64, &[&sorted, &v], Action::KillProcess),
            Err(BuildError::Unsorted)
        );
    }
}

#[test]
fn allow_as_the_default_allows_everything() {
    let p = build::<64>(Arch::X86_64, &[&[1, 5]], Action::Allow).unwrap();
    for nr in [0u32, 1, 2, 5, 6, u32::MAX] {
        let r = run(p.as_slice(), &SeccompData::new(nr as i32, 0)).unwrap();
        assert_eq!(r.ret, SECCOMP_RET_ALLOW);
    }
}

/// Every error's fixed message (what a `const` program's compile error
/// shows) and its text with the numbers, as `build` returns them.
#[test]
fn error_texts() {
    let even: Vec<u32> = (0..2100).map(|i| 2 * i).collect();
    let too_long = build::<BPF_MAXINSNS>(Arch::X86_64, &[&even], Action::KillProcess).unwrap_err();
    let too_small = build::<0>(Arch::X86_64, &[], Action::KillProcess).unwrap_err();
    let unsorted = build::<64>(Arch::X86_64, &[&[2, 1]], Action::KillProcess).unwrap_err();
    let empty: &[u32] = &[];
    let many = vec![empty; 67];
    let too_many = build::<64>(Arch::X86_64, &many, Action::KillProcess).unwrap_err();
    let BuildError::TooLong { needed } = too_long else {
        panic!("{too_long:?}")
    };
    assert!(needed > BPF_MAXINSNS, "{needed}");
    let cases = [
        (
            too_long,
            BuildError::TooLong { needed },
            "seccomp filter too long: more than BPF_MAXINSNS (4096) instructions",
            &*format!(
                "seccomp filter too long: needs {needed} instructions, the kernel accepts at most 4096"
            ),
        ),
        (
            too_small,
            BuildError::BufferTooSmall {
                needed: 5,
                capacity: 0,
            },
            "seccomp filter does not fit the program buffer: raise its capacity (see capacity_for)",
            "seccomp filter needs 5 instructions but the program buffer holds 0",
        ),
        (
            unsorted,
            BuildError::Unsorted,
            "syscall number set is not sorted in ascending order",
            "syscall number set is not sorted in ascending order",
        ),
        (
            too_many,
            BuildError::TooManySets,
            "too many syscall number sets: at most MAX_SETS (66) can be joined",
            "too many syscall number sets: at most MAX_SETS (66) can be joined",
        ),
    ];
    for (got, want, message, text) in cases {
        assert_eq!(got, want);
        assert_eq!(got.message(), message, "{got:?}");
        assert_eq!(got.to_string(), text, "{got:?}");
    }
}
