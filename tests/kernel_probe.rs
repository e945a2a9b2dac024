//! The kernel's own verdict for every syscall number 0..=1023 under the
//! shipped policy, for each of the 256 cap combinations, and for the
//! numbers with conditions or actions at argument values around every
//! constant of the policy, without executing any of the calls.
//!
//! Each combination runs in a forked child (the test runner is never
//! filtered) that attaches two filters, in this order:
//!
//! 1. a probe filter, hand-written here: `SECCOMP_RET_ERRNO | PROBE_ALLOWED`
//!    for any call whose `args[5]` is [`MARKER`], `SECCOMP_RET_ALLOW`
//!    otherwise;
//! 2. the policy's program for that combination, built with the default
//!    `Action::Errno(E_DENY)`.
//!
//! The kernel runs every attached filter and keeps the return value with
//! the lowest action (kernel/seccomp.c, `seccomp_run_filters`: newest to
//! oldest, replacing the kept value only when `ACTION_ONLY(cur) <
//! ACTION_ONLY(ret)`, so on a tie the newest filter's value stays). So a
//! marked call
//!
//! - allowed by the policy gets the probe's `ERRNO` (below `ALLOW`) and
//!   fails with `PROBE_ALLOWED`;
//! - answered with an errno by the policy fails with the policy's errno
//!   (a tie of two `ERRNO`s: the newer filter, the policy, wins), whether
//!   the default `E_DENY` or an action's (`EPERM`, `ENOSYS`, ...);
//! - killed by the policy is killed (the policy's kills here are none: the
//!   default is `E_DENY`).
//!
//! Either way the call never runs. The child makes
//! `syscall(nr, a, a, a, a, a, MARKER)` and reports each result; the parent
//! compares with the reference: for numbers no condition or action mentions,
//! membership computed from the policy file's names resolved by libseccomp,
//! as in `tests/policy_verdicts.rs`; for the others, the policy's rules
//! evaluated directly (`ArchPolicy::verdict`) at the same arguments.
//!
//! Also: an x32 number, syscall -1 and an i386 `int 0x80` call get the deny
//! verdict even with every cap granted, the macro's own program (its
//! default: kill the process) kills a child on a denied call, and the two
//! calls the kernel never filters are not filtered.
//!
//! x86_64 only. Runs under the suite's harness (`harness = false`): a test
//! whose precondition is missing (i386 emulation, a uprobe call in the
//! kernel) is reported as ignored.

seccomp_policy_suite::tests![
    #[cfg(target_arch = "x86_64")]
    x86_64::kernel_verdict_of_every_number_under_every_cap_combination,
    #[cfg(target_arch = "x86_64")]
    x86_64::i386_entry_is_denied,
    #[cfg(target_arch = "x86_64")]
    x86_64::denied_call_kills_the_process,
    #[cfg(target_arch = "x86_64")]
    x86_64::uretprobe_call_bypasses_every_filter,
    #[cfg(target_arch = "x86_64")]
    x86_64::uprobe_call_bypasses_every_filter,
];

#[cfg(target_arch = "x86_64")]
mod x86_64 {
    use seccomp_policy_suite::libseccomp;

    use core::fmt::Write as _;
    use std::collections::BTreeSet;
    use std::time::Instant;

    use libseccomp::{arch_numbers, arch_token, resolve_names, PolicyFile};
    use seccomp_policy::bpf::{
        SockFilter, BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W, SECCOMP_DATA_ARGS,
        SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO,
    };
    use seccomp_policy::install::apply;
    use seccomp_policy::rule::{Action, RuleSet, When};
    use seccomp_policy::spawn::Outcome;
    use seccomp_policy::Arch;
    use seccomp_policy_suite::harness::{require, Checked, Skip};
    use seccomp_policy_suite::{in_child, in_filtered_child, int80_getpid, ChildOut, ChildReport};

    seccomp_policy::seccomp_policy!("policy/seccomp.toml");

    /// The policy's default errno: distinctive, and below `MAX_ERRNO` (4095).
    const E_DENY: u16 = 3001;

    /// The probe filter's errno for a marked call the policy allows.
    const PROBE_ALLOWED: u16 = 4000;

    /// The probe marker in `args[5]` (`r9`); no real call passes this.
    const MARKER: u64 = 0x5ec0_ca11_0bad_f00d;

    /// Numbers probed per combination.
    const PROBED: u32 = 1024;

    /// Numbers the kernel never filters on x86_64 (kernel/seccomp.c,
    /// `seccomp_uprobe_exception`, Linux 6.13 and later): the uprobe
    /// trampolines' own calls. Outside a trampoline the kernel answers them with
    /// SIGILL (`uretprobe`) or ENXIO (`uprobe`), so they are not probed with the
    /// others; `uretprobe_call_bypasses_every_filter` and
    /// `uprobe_call_bypasses_every_filter` check what happens.
    const KERNEL_EXEMPT: [(u32, &str); 2] = [(335, "uretprobe"), (336, "uprobe")];

    const X32_GETPID: i64 = 0x4000_0000 | libc::SYS_getpid;

    /// The probe filter: `ERRNO(PROBE_ALLOWED)` for a marked call, `ALLOW`
    /// otherwise. On x86_64 (little-endian) the low word of `args[5]` is at
    /// `args + 40`.
    fn probe_filter() -> [SockFilter; 6] {
        let lo = SECCOMP_DATA_ARGS + 8 * 5;
        let jeq = BPF_JMP | BPF_JEQ | BPF_K;
        [
            SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, lo),
            SockFilter::jump(jeq, MARKER as u32, 0, 3),
            SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, lo + 4),
            SockFilter::jump(jeq, (MARKER >> 32) as u32, 0, 1),
            SockFilter::stmt(
                BPF_RET | BPF_K,
                SECCOMP_RET_ERRNO | u32::from(PROBE_ALLOWED),
            ),
            SockFilter::stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        ]
    }

    /// A marked call of `nr` with `a` in its first five arguments; returns
    /// the errno it failed with (`PROBE_ALLOWED` when the policy allows it), or
    /// 0 if it did not fail.
    ///
    /// Made with the `syscall` instruction directly, and `r9` is cleared right
    /// after: the kernel leaves it as it was, and a later call that takes fewer
    /// than six arguments (libc's `write`, `exit_group`) would otherwise carry
    /// the marker in `args[5]` and be stopped by the probe filter.
    fn probe(nr: i64, a: u64) -> i64 {
        let ret: i64;
        // SAFETY: a marked call is never executed: one of the two filters
        // always stops it (checked before any probe by `probe_works`). The
        // instruction clobbers rcx and r11.
        unsafe {
            core::arch::asm!(
                "syscall",
                "xor r9d, r9d",
                inlateout("rax") nr => ret,
                in("rdi") a, in("rsi") a, in("rdx") a,
                in("r10") a, in("r8") a,
                inlateout("r9") MARKER => _,
                out("rcx") _, out("r11") _,
                options(nostack),
            );
        }
        if ret < 0 {
            -ret
        } else {
            0
        }
    }

    /// Whether the probe filter alone stops a marked call and lets an
    /// unmarked one run.
    fn probe_works() -> bool {
        // SAFETY: getpid; the marked one is stopped by the probe filter.
        let plain = unsafe { libc::syscall(libc::SYS_getpid) };
        plain > 0 && probe(libc::SYS_getpid, 0) == i64::from(PROBE_ALLOWED)
    }

    /// What a marked call returns when the policy gives `action`.
    fn expected_errno(action: Action) -> i64 {
        match action {
            Action::Allow | Action::Log => i64::from(PROBE_ALLOWED),
            Action::Errno(e) => i64::from(e),
            other => panic!("the probe cannot observe {other:?} without dying"),
        }
    }

    /// The reference: numbers allowed whatever the arguments for every
    /// combination (from the policy file and libseccomp), the numbers with
    /// conditions or actions, and the file's cap count.
    fn reference() -> (Vec<BTreeSet<u32>>, BTreeSet<u32>, usize) {
        let file = PolicyFile::shipped();
        let token = arch_token(Arch::X86_64).unwrap();
        let numbers = arch_numbers(token, Arch::X86_64);
        // Names of other architectures' calls (fstatat64, _newselect, and
        // the 32-bit ones caps grant, chown32) are absent here, in any
        // table, and exactly those are what the macro skipped.
        let mut missing: Vec<&str> = POLICY.arch(Arch::X86_64).unwrap().missing.to_vec();
        missing.sort_unstable();
        missing.dedup();
        let every_name = file
            .base
            .iter()
            .chain(file.caps.iter().flat_map(|(_, names)| names))
            .chain(&file.conditioned)
            .map(String::as_str);
        let mut absent = resolve_names(token, &numbers, every_name).absent;
        absent.sort_unstable();
        absent.dedup();
        assert_eq!(absent, missing);
        let sets = file.combination_sets(token, &numbers);
        let conditioned =
            resolve_names(token, &numbers, file.conditioned.iter().map(String::as_str));
        (sets, conditioned.numbers, file.caps.len())
    }

    /// Argument values around every constant of the x86_64 rules' conditions,
    /// with the high half set and clear.
    fn argument_samples() -> Vec<u64> {
        let ap = POLICY.arch(Arch::X86_64).unwrap();
        let mut out: BTreeSet<u64> = [0, 1, u64::MAX].into();
        for set in std::iter::once(&ap.base).chain(ap.caps) {
            for rule in set.rules {
                if let When::AnyOf(alts) = rule.when {
                    for c in alts.iter().flat_map(|a| a.iter()) {
                        for v in [c.value, c.value.wrapping_add(1), c.value.wrapping_sub(1)] {
                            out.insert(v);
                            out.insert(v | 0xffff_ffff_0000_0000);
                        }
                    }
                }
            }
        }
        out.into_iter().collect()
    }

    pub fn kernel_verdict_of_every_number_under_every_cap_combination() {
        let start = Instant::now();
        let (sets, conditioned, ncaps) = reference();
        assert_eq!(Cap::NAMES.len(), ncaps);
        let x86_64 = POLICY.arch(Arch::X86_64).unwrap();
        let probe_prog = probe_filter();
        assert_eq!(seccomp_policy::sim::check(&probe_prog), Ok(()));
        let samples = argument_samples();
        // Every probe of a child: (number, argument value).
        let probes: Vec<(i64, u64)> = (0..i64::from(PROBED))
            .filter(|nr| KERNEL_EXEMPT.iter().all(|e| i64::from(e.0) != *nr))
            .flat_map(|nr| {
                if conditioned.contains(&(nr as u32)) {
                    samples.iter().map(|&a| (nr, a)).collect::<Vec<_>>()
                } else {
                    vec![(nr, 0)]
                }
            })
            .chain([(X32_GETPID, 0), (-1, 0)])
            .collect();

        let mut failures = Vec::new();
        let (mut children, mut verdicts, mut allowed, mut with_arguments) = (0usize, 0, 0, 0);
        for bits in 0..1u64 << ncaps {
            let policy = x86_64
                .program::<PROGRAM_CAPACITY>(bits, RuleSet::EMPTY, Action::Errno(E_DENY))
                .expect("build");
            let report = in_child(|out| {
                if let Err(e) = apply(&probe_prog) {
                    let _ = write!(out, "apply probe: {e}");
                    return 2;
                }
                if !probe_works() {
                    let _ = write!(out, "the probe filter does not stop marked calls");
                    return 3;
                }
                if let Err(e) = apply(policy.as_slice()) {
                    let _ = write!(out, "apply policy: {e}");
                    return 2;
                }
                for &(nr, a) in &probes {
                    let _ = write!(out, "{} ", probe(nr, a));
                }
                0
            });
            children += 1;
            let got: Vec<i64> = report
                .output
                .split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect();
            if report.outcome != Outcome::Exited(0) || got.len() != probes.len() {
                failures.push(format!("caps {bits:#x}: {report}"));
                continue;
            }
            let want = &sets[bits as usize];
            for (&(nr, a), &got) in probes.iter().zip(&got) {
                verdicts += 1;
                let expected = if nr < 0 || nr >= i64::from(PROBED) {
                    // x32 getpid and syscall -1: never in a policy.
                    i64::from(E_DENY)
                } else if conditioned.contains(&(nr as u32)) {
                    with_arguments += 1;
                    let args = [a, a, a, a, a, MARKER];
                    expected_errno(x86_64.verdict(
                        bits,
                        RuleSet::EMPTY,
                        nr as u32,
                        &args,
                        Action::Errno(E_DENY),
                    ))
                } else if want.contains(&(nr as u32)) {
                    i64::from(PROBE_ALLOWED)
                } else {
                    i64::from(E_DENY)
                };
                allowed += usize::from(expected == i64::from(PROBE_ALLOWED));
                if got != expected {
                    failures.push(format!(
                        "caps {}: nr {nr} args {a:#x}: kernel says errno {got}, the policy {expected}",
                        Cap::from_bits(bits).unwrap(),
                    ));
                }
            }
            if failures.len() > 50 {
                break;
            }
        }
        println!(
            "{children} children, {verdicts} kernel verdicts ({allowed} allowed, {with_arguments} \
             with arguments) matched the policy in {:.2?}; not probed (never filtered by the \
             kernel): {KERNEL_EXEMPT:?}",
            start.elapsed()
        );
        assert!(
            failures.is_empty(),
            "{} mismatches:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    /// An i386 call gets the deny verdict even with every cap granted.
    pub fn i386_entry_is_denied() -> Checked {
        require::i386_emulation()?;
        let policy = POLICY
            .arch(Arch::X86_64)
            .unwrap()
            .program::<PROGRAM_CAPACITY>(Cap::ALL.bits(), RuleSet::EMPTY, Action::Errno(E_DENY))
            .unwrap();
        let report = in_filtered_child(policy.as_slice(), |out| {
            let _ = write!(out, "{}", int80_getpid());
            0
        });
        assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
        assert_eq!(report.output, format!("-{E_DENY}"), "{report}");
        println!("int 0x80 getpid under every cap: {}", report.output);
        Ok(())
    }

    /// The macro's program answers with the policy's default, killing the
    /// process: a base call works, a call outside every rule (`mkdir` with no
    /// cap) kills the child with SIGSYS.
    pub fn denied_call_kills_the_process() {
        let prog = program(Arch::X86_64, Cap::NONE).unwrap();
        let report = in_filtered_child(prog.as_slice(), |out| {
            // SAFETY: plain system call.
            let _ = write!(out, "getpid {};", unsafe { libc::getpid() } > 0);
            // SAFETY: a live C string; the filter kills the process here.
            let r = unsafe { libc::mkdir(c"/nonexistent/x".as_ptr(), 0o700) };
            let _ = write!(out, "mkdir returned {r}");
            0
        });
        assert_eq!(report.outcome, Outcome::KilledBySeccomp, "{report}");
        assert_eq!(report.output, "getpid true;");
    }

    /// Makes the call `nr` with no arguments in a child, after attaching the
    /// base policy (deny: `E_DENY`) when `filtered`; the child writes the
    /// return value and `errno`.
    fn exempt_call(nr: u32, filtered: bool) -> ChildReport {
        let policy = POLICY
            .arch(Arch::X86_64)
            .unwrap()
            .program::<PROGRAM_CAPACITY>(0, RuleSet::EMPTY, Action::Errno(E_DENY))
            .unwrap();
        let call = |out: &mut ChildOut| {
            // SAFETY: outside a uprobe trampoline the kernel only signals or
            // fails these calls; where they do not exist, or are filtered, they
            // fail.
            let r = unsafe { libc::syscall(libc::c_long::from(nr)) };
            let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            let _ = write!(out, "{r} {e}");
            0
        };
        if filtered {
            in_filtered_child(policy.as_slice(), call)
        } else {
            in_child(call)
        }
    }

    /// The kernel lets `nr` through every seccomp filter: called from ordinary
    /// code it ends the same way, `expected` (how it ends and what the child
    /// wrote), with the base policy attached as without a filter, where the
    /// policy would deny it (`-1 E_DENY`). A kernel without the call (`ENOSYS`
    /// without a filter) skips the test.
    fn bypasses_every_filter(nr: u32, name: &str, expected: (Outcome, &str)) -> Checked {
        let (_, listed) = KERNEL_EXEMPT
            .into_iter()
            .find(|e| e.0 == nr)
            .expect("a kernel-exempt number");
        assert_eq!(listed, name);
        let x86_64 = POLICY.arch(Arch::X86_64).unwrap();
        assert!(
            matches!(
                x86_64.verdict(0, RuleSet::EMPTY, nr, &[0; 6], Action::Errno(E_DENY)),
                Action::Errno(E_DENY)
            ),
            "{name} ({nr}) is in [base]: the test would not tell a bypass from an allow"
        );
        let unfiltered = exempt_call(nr, false);
        if unfiltered.outcome == Outcome::Exited(0)
            && unfiltered.output == format!("-1 {}", libc::ENOSYS)
        {
            Err(Skip::new(format!(
                "this kernel has no {name} ({nr}) system call"
            )))
        } else {
            let (outcome, output) = expected;
            assert_eq!(
                (unfiltered.outcome, unfiltered.output.as_str()),
                (outcome, output),
                "{name} ({nr}) without a filter: {unfiltered}"
            );
            let filtered = exempt_call(nr, true);
            assert_ne!(
                filtered.output,
                format!("-1 {E_DENY}"),
                "{name} ({nr}) was denied by the filter: the kernel filters it"
            );
            assert_eq!(
                (filtered.outcome, filtered.output.as_str()),
                (outcome, output),
                "{name} ({nr}) under the base policy: {filtered}"
            );
            println!("{name} ({nr}) under the base policy: not filtered, {filtered}");
            Ok(())
        }
    }

    /// `uretprobe` (335) passes every filter (Linux 6.13 and later); outside a
    /// uretprobe trampoline the kernel kills the caller with `SIGILL`.
    pub fn uretprobe_call_bypasses_every_filter() -> Checked {
        bypasses_every_filter(335, "uretprobe", (Outcome::Signaled(libc::SIGILL), ""))
    }

    /// `uprobe` (336) passes every filter; outside a uprobe trampoline it fails
    /// with `ENXIO`.
    pub fn uprobe_call_bypasses_every_filter() -> Checked {
        bypasses_every_filter(
            336,
            "uprobe",
            (Outcome::Exited(0), &format!("-1 {}", libc::ENXIO)),
        )
    }
}
