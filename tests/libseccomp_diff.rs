//! Differential test of the builder against libseccomp.
//!
//! For many random allowlists per architecture (a seeded SplitMix64, so every
//! run checks the same cases), the program of `builder::build` and the one
//! libseccomp generates for the same allowed numbers are both run in
//! `sim::run` for every number of the architecture's sweep, the x32 edges and
//! -1, and for calls from every other architecture. Their return values must
//! be equal. Allowed numbers are drawn from what libseccomp itself names on
//! the architecture (`seccomp_syscall_resolve_num_arch`), and each set is
//! the union of a few random "caps" (random picks, random runs, or both),
//! besides the empty set and the full set.
//!
//! libseccomp's filters are made with `seccomp_init(SCMP_ACT_KILL_PROCESS)`,
//! the bad-architecture action set to `SCMP_ACT_KILL_PROCESS` (its default
//! is `SCMP_ACT_KILL`, i.e. kill the thread), only the target architecture
//! in the context, one `seccomp_rule_add_exact(SCMP_ACT_ALLOW, nr, 0)` per
//! call, and alternately its default optimization and its binary tree
//! (`SCMP_FLTATR_CTL_OPTIMIZE` = 2). libseccomp takes rule numbers in the
//! *native* architecture's numbering (or a `__PNR_*` pseudo-number) and
//! translates them by name into the context's architecture, so each call is
//! passed as `seccomp_syscall_resolve_name_arch(native, name)`. Every
//! exported program must also pass `sim::check`, which checks the simulator
//! against a second code generator.
//!
//! Differences that are expected, explained, and counted (anything else
//! fails the test):
//!
//! - Multiplexers. On x86, ppc64le and s390x, allowing a direct socket or
//!   System V IPC call (`socket`, `semop`, ...) makes libseccomp also allow
//!   `socketcall(2)`/`ipc(2)` when its first argument selects that call. The
//!   builder allows numbers only, so the multiplexer stays denied unless its
//!   own number is in the set. With all arguments zero (the main comparison)
//!   no call is selected and both deny; the multiplexer calls are compared
//!   separately with each selector value.
//! - ppc64le `sys_debug_setcontext` (256) is left out of the pool:
//!   libseccomp 2.5.4 gives it the same pseudo-number as `switch_endian`
//!   (`__PNR_sys_debug_setcontext` and `__PNR_switch_endian` are both -10191
//!   in `seccomp-syscalls.h`), so on an x86_64 host a rule for it becomes a
//!   rule for `switch_endian` (363).
//! - s390x (big-endian) exported from this little-endian host: in programs
//!   long enough that libseccomp must copy `ret` instructions next to jumps
//!   that would exceed 8 bits (with or without its binary tree), the copies
//!   carry their constant in the host's byte order while every other field
//!   is big-endian, e.g. `ret 0x0000ff7f` for `SCMP_ACT_ALLOW`, `ret
//!   0x00000080` for `SCMP_ACT_KILL_PROCESS`. Such a verdict is accepted
//!   only when it is exactly ours byte-swapped, and counted. (Whether a
//!   big-endian host shows it too is not tested here.)

use seccomp_policy_suite::libseccomp;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use libseccomp::{
    arch_numbers, known_arches, native_token, resolve_name, resolve_num, sweep, version, Filter,
    SCMP_ACT_KILL_PROCESS, SCMP_FLTATR_ACT_BADARCH,
};
use seccomp_policy::bpf::{SockFilter, SECCOMP_RET_ALLOW};
use seccomp_policy::builder::build;
use seccomp_policy::rule::{Action, RuleSet};
use seccomp_policy::sim::{check, run, SeccompData};
use seccomp_policy::Arch;
use seccomp_policy_suite::Rng;

/// Random policies per architecture (plus the empty and the full set).
const POLICIES: usize = 300;

const X32_BIT: u32 = 0x4000_0000;

/// A random allowlist: the union of 1..=4 "caps" drawn from `pool`.
fn random_policy(rng: &mut Rng, pool: &[u32]) -> BTreeSet<u32> {
    let mut set = BTreeSet::new();
    let caps = 1 + rng.below(4);
    for _ in 0..caps {
        match rng.below(3) {
            // Independent picks at a random density (1/64 .. 63/64).
            0 => {
                let density = 1 + rng.below(63);
                set.extend(pool.iter().filter(|_| rng.below(64) < density));
            }
            // A few runs of consecutive numbers of the pool.
            1 => {
                for _ in 0..=rng.below(6) {
                    let start = rng.below(pool.len() as u64) as usize;
                    let len = 1 + rng.below(40) as usize;
                    set.extend(&pool[start..(start + len).min(pool.len())]);
                }
            }
            // A handful of single numbers.
            _ => {
                for _ in 0..rng.below(12) {
                    set.insert(pool[rng.below(pool.len() as u64) as usize]);
                }
            }
        }
    }
    set
}

/// libseccomp's program allowing `set` on `token`, killing the process on
/// any other call and on any other architecture.
fn libseccomp_program(token: u32, set: &BTreeSet<u32>, tree: bool) -> Vec<SockFilter> {
    let set: Vec<u32> = set.iter().copied().collect();
    let mut f = Filter::allowing(token, &set, SCMP_ACT_KILL_PROCESS, tree);
    f.attr(SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    f.export()
}

/// The numbers of the multiplexers on the architectures that have them, and
/// the first-argument values that select a call: `socketcall(2)` calls
/// 1..=20 (`SYS_SOCKET` .. `SYS_SENDMMSG`), `ipc(2)` calls 1..=24.
fn multiplexers(arch: Arch, numbers: &BTreeMap<u32, String>) -> Vec<(u32, u64)> {
    if !matches!(arch, Arch::X86 | Arch::Ppc64le | Arch::S390x) {
        return Vec::new();
    }
    let mut v = Vec::new();
    for (&nr, name) in numbers {
        let calls = match name.as_str() {
            "socketcall" => 1..=20u64,
            "ipc" => 1..=24u64,
            _ => continue,
        };
        v.extend(calls.map(|c| (nr, c)));
    }
    v
}

#[derive(Default)]
struct Tally {
    policies: usize,
    verdicts: usize,
    foreign: usize,
    lib_insns: usize,
    our_insns: usize,
    /// Multiplexer calls that libseccomp allows and the builder denies.
    mux_explained: usize,
    /// Numbers left out of the pool.
    unnamable: usize,
    /// Verdicts where libseccomp's return value is ours byte-swapped.
    swapped: usize,
    /// Of `swapped`: multiplexer calls.
    swapped_mux: usize,
    /// Of `swapped`: with libseccomp's binary tree.
    swapped_tree: usize,
}

#[allow(
    clippy::too_many_lines,
    reason = "one scenario read top to bottom: per policy, both programs' verdicts side by side, \
              then the multiplexers, counted in one tally"
)]
fn compare_arch(arch: Arch, token: u32, rng: &mut Rng, all_failures: &mut Vec<String>) -> Tally {
    let mut failures = Vec::new();
    let mut t = Tally::default();
    let name = arch.name();
    assert_eq!(token, arch.audit_arch(), "{name}: AUDIT_ARCH value");
    let numbers = arch_numbers(token, arch);
    // Calls libseccomp cannot name through its native numbers: the native
    // pseudo-number of the name leads back to another name.
    let native = native_token();
    let (pool, unnamable): (Vec<u32>, Vec<u32>) = numbers.keys().copied().partition(|nr| {
        let n = &numbers[nr];
        resolve_num(native, resolve_name(native, n) as u32).as_deref() == Some(n.as_str())
    });
    for nr in &unnamable {
        println!(
            "{name}: {} ({nr}) left out: libseccomp {} cannot express a rule for it \
             (its native pseudo-number names {:?})",
            numbers[nr],
            version(),
            resolve_num(native, resolve_name(native, &numbers[nr]) as u32)
        );
    }
    t.unnamable = unnamable.len();
    let mux = multiplexers(arch, &numbers);
    let big_endian = token & 0x4000_0000 == 0;
    let sweep = sweep(arch);
    let others: Vec<u32> = Arch::ALL
        .iter()
        .filter(|a| **a != arch)
        .map(|a| a.audit_arch())
        .collect();
    for i in 0..POLICIES + 2 {
        let set = match i {
            0 => BTreeSet::new(),
            1 => pool.iter().copied().collect(),
            _ => random_policy(rng, &pool),
        };
        let tree = i % 2 == 1;
        let sets: Vec<u32> = set.iter().copied().collect();
        let ours = build::<4096>(
            arch,
            &[RuleSet {
                allow: &sets,
                rules: &[],
            }],
            Action::KillProcess,
        )
        .unwrap_or_else(|e| panic!("{name}: build: {e}"));
        let ours = ours.as_slice();
        let lib = libseccomp_program(token, &set, tree);
        if let Err(e) = check(&lib) {
            failures.push(format!(
                "{name}: policy {i}: sim::check refuses libseccomp's program: {e}"
            ));
            continue;
        }
        assert_eq!(check(ours), Ok(()));
        t.policies += 1;

        let mut numbers_to_try = sweep.clone();
        numbers_to_try.extend([X32_BIT - 1, X32_BIT, X32_BIT + 1023, u32::MAX - 1, u32::MAX]);
        numbers_to_try.extend(set.iter().map(|n| X32_BIT | n));
        let mut data = Vec::with_capacity(numbers_to_try.len() + others.len() * 4);
        data.extend(
            numbers_to_try
                .iter()
                .map(|&nr| SeccompData::new(nr as i32, token)),
        );
        // Calls from every other architecture, with numbers allowed here.
        let probe: Vec<u32> = set.iter().copied().take(3).chain([0]).collect();
        for &other in &others {
            data.extend(probe.iter().map(|&nr| SeccompData::new(nr as i32, other)));
        }
        for d in &data {
            let a = run(ours, d).unwrap();
            let b = run(&lib, d).unwrap();
            if d.arch == token {
                t.verdicts += 1;
            } else {
                t.foreign += 1;
            }
            t.our_insns += a.executed;
            t.lib_insns += b.executed;
            if a.ret != b.ret && big_endian && b.ret == a.ret.swap_bytes() {
                // libseccomp's defect, not ours: see the module documentation.
                t.swapped += 1;
                t.swapped_tree += usize::from(tree);
            } else if a.ret != b.ret {
                failures.push(format!(
                    "{name}: policy {i} ({} numbers, tree {tree}): arch {:#x} nr {:#x}: \
                     ours {:#x}, libseccomp {:#x}",
                    set.len(),
                    d.arch,
                    d.nr,
                    a.ret,
                    b.ret
                ));
            }
        }

        // The multiplexers with a selecting first argument: libseccomp
        // allows exactly the calls whose direct number is in the set; the
        // builder allows the multiplexer only if its own number is.
        for &(nr, call) in &mux {
            // The simulator lays out `seccomp_data` in the architecture's
            // byte order, as its kernel does.
            let mut d = SeccompData::new(nr as i32, token);
            d.args[0] = call;
            let a = run(ours, &d).unwrap();
            let b = run(&lib, &d).unwrap();
            let ours_allow = set.contains(&nr);
            if (a.ret == SECCOMP_RET_ALLOW) != ours_allow {
                failures.push(format!(
                    "{name}: policy {i}: multiplexer {nr}({call}) ours {:#x}",
                    a.ret
                ));
            }
            if a.ret != b.ret && big_endian && b.ret == a.ret.swap_bytes() {
                t.swapped += 1;
                t.swapped_mux += 1;
            } else if a.ret != b.ret {
                if ours_allow || b.ret != SECCOMP_RET_ALLOW {
                    failures.push(format!(
                        "{name}: policy {i}: multiplexer {nr}({call}): ours {:#x}, libseccomp {:#x}",
                        a.ret, b.ret
                    ));
                } else {
                    t.mux_explained += 1;
                }
            }
        }
        if failures.len() > 20 {
            break;
        }
    }
    all_failures.extend(failures);
    t
}

#[test]
fn builder_agrees_with_libseccomp() {
    let start = Instant::now();
    let mut rng = Rng(0x5ecc_0a11_d1ff_2024);
    let mut failures = Vec::new();
    let (mut policies, mut verdicts, mut foreign) = (0, 0, 0);
    println!("libseccomp {}", version());
    // Every architecture both libseccomp and the builder support.
    for (arch, token) in known_arches() {
        let t0 = Instant::now();
        let t = compare_arch(arch, token, &mut rng, &mut failures);
        println!(
            "{:9} {} policies, {:7} verdicts + {:5} foreign-arch; mean instructions per call: \
             ours {:.1}, libseccomp {:.1}; multiplexer calls allowed only by libseccomp: {} ({:.2?})",
            arch.name(),
            t.policies,
            t.verdicts,
            t.foreign,
            t.our_insns as f64 / (t.verdicts + t.foreign).max(1) as f64,
            t.lib_insns as f64 / (t.verdicts + t.foreign).max(1) as f64,
            t.mux_explained,
            t0.elapsed()
        );
        if t.swapped + t.unnamable > 0 {
            println!(
                "{:9} libseccomp return values byte-swapped: {} ({} with its binary tree, {} \
                 multiplexer calls); numbers libseccomp cannot name: {}",
                arch.name(),
                t.swapped,
                t.swapped_tree,
                t.swapped_mux,
                t.unnamable
            );
        }
        policies += t.policies;
        verdicts += t.verdicts;
        foreign += t.foreign;
    }
    println!(
        "total: {policies} policies, {verdicts} verdicts by number + {foreign} foreign-arch verdicts \
         compared in {:.2?}",
        start.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
