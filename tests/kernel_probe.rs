//! The kernel's own verdict for every syscall number 0..=1023 under the
//! shipped policy, for each of the 256 cap combinations, without executing
//! any of the calls.
//!
//! Each combination runs in a forked child (the test runner is never
//! filtered) that attaches two filters:
//!
//! 1. a probe filter, hand-written here: `SECCOMP_RET_TRACE` for any call
//!    whose `args[5]` is [`MARKER`], `SECCOMP_RET_ALLOW` otherwise;
//! 2. the policy's program for that combination, built with
//!    `ArchPolicy::program(caps, &[], Action::Errno(E_DENY))`.
//!
//! The kernel runs every attached filter and keeps the return value with
//! the lowest action (kernel/seccomp.c, `seccomp_run_filters`: newest to
//! oldest, `ACTION_ONLY(cur) < ACTION_ONLY(ret)` as signed values; on a tie
//! the first one met, i.e. the newest filter's data, stays). The actions
//! here are all different: `ERRNO` (`0x0005_0000`) < `TRACE` (`0x7ff0_0000`)
//! < `ALLOW` (`0x7fff_0000`). So a marked call
//!
//! - denied by the policy fails with `E_DENY` (the `ERRNO` wins), and
//! - allowed by the policy gets `TRACE`, which with no tracer attached
//!   (no `PTRACE_O_TRACESECCOMP`) skips the call and fails it with `ENOSYS`.
//!
//! Either way the call never runs. (Two `ERRNO` actions would not do: on a
//! tie the newest filter's errno is returned whatever the older one said.)
//! The child makes `syscall(nr, 0, 0, 0, 0, 0, MARKER)` for every number and
//! reports one byte each; the parent compares with the reference membership
//! computed from the policy file's names resolved by libseccomp, as in
//! `tests/policy_verdicts.rs`.
//!
//! Also: an x32 number, syscall -1 and an i386 `int 0x80` call get the deny
//! verdict even with every cap granted, the macro's own program (deny =
//! kill the process) kills a child on a denied call, and the two calls the
//! kernel never filters are not filtered.
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
        SECCOMP_RET_ALLOW, SECCOMP_RET_TRACE,
    };
    use seccomp_policy::builder::Action;
    use seccomp_policy::install::apply;
    use seccomp_policy::spawn::Outcome;
    use seccomp_policy::Arch;
    use seccomp_policy_suite::harness::{require, Checked, Skip};
    use seccomp_policy_suite::{in_child, in_filtered_child, int80_getpid, ChildOut, ChildReport};

    seccomp_policy::seccomp_policy!("policy/seccomp.toml");

    /// The policy's deny errno: distinctive, and below `MAX_ERRNO` (4095).
    const E_DENY: u16 = 3001;

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

    /// The probe filter: `TRACE` for a marked call, `ALLOW` otherwise. On
    /// x86_64 (little-endian) the low word of `args[5]` is at `args + 40`.
    fn probe_filter() -> [SockFilter; 6] {
        let lo = SECCOMP_DATA_ARGS + 8 * 5;
        let jeq = BPF_JMP | BPF_JEQ | BPF_K;
        [
            SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, lo),
            SockFilter::jump(jeq, MARKER as u32, 0, 3),
            SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, lo + 4),
            SockFilter::jump(jeq, (MARKER >> 32) as u32, 0, 1),
            SockFilter::stmt(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
            SockFilter::stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        ]
    }

    /// A marked call of `nr`: `A` if it failed with ENOSYS (the policy allows
    /// it), `D` if with `E_DENY` (the policy denies it), `?` otherwise.
    ///
    /// Made with the `syscall` instruction directly, and `r9` is cleared right
    /// after: the kernel leaves it as it was, and a later call that takes fewer
    /// than six arguments (libc's `write`, `exit_group`) would otherwise carry
    /// the marker in `args[5]` and be stopped by the probe filter.
    fn probe(nr: i64) -> u8 {
        let ret: i64;
        // SAFETY: a marked call is never executed: one of the two filters
        // always stops it (checked before any probe by `probe_works`). The
        // instruction clobbers rcx and r11; all arguments are zero.
        unsafe {
            core::arch::asm!(
                "syscall",
                "xor r9d, r9d",
                inlateout("rax") nr => ret,
                in("rdi") 0u64, in("rsi") 0u64, in("rdx") 0u64,
                in("r10") 0u64, in("r8") 0u64,
                inlateout("r9") MARKER => _,
                out("rcx") _, out("r11") _,
                options(nostack),
            );
        }
        match ret {
            r if r == -i64::from(libc::ENOSYS) => b'A',
            r if r == -i64::from(E_DENY) => b'D',
            _ => b'?',
        }
    }

    /// Whether the probe filter alone stops a marked call and lets an
    /// unmarked one run.
    fn probe_works() -> bool {
        // SAFETY: getpid; the marked one is stopped by the probe filter.
        let plain = unsafe { libc::syscall(libc::SYS_getpid) };
        plain > 0 && probe(libc::SYS_getpid) == b'A'
    }

    /// The reference membership for every combination, from the policy file
    /// and libseccomp; and the file's cap count.
    fn reference() -> (Vec<BTreeSet<u32>>, usize) {
        let file = PolicyFile::shipped();
        let token = arch_token(Arch::X86_64).unwrap();
        let numbers = arch_numbers(token, Arch::X86_64);
        let base = resolve_names(token, &numbers, file.base.iter().map(String::as_str));
        assert!(base.absent.is_empty(), "{:?}", base.absent);
        let sets = file.combination_sets(token, &numbers);
        (sets, file.caps.len())
    }

    pub fn kernel_verdict_of_every_number_under_every_cap_combination() {
        let start = Instant::now();
        let (sets, ncaps) = reference();
        assert_eq!(Cap::NAMES.len(), ncaps);
        let x86_64 = POLICY.arch(Arch::X86_64).unwrap();
        let probe_prog = probe_filter();
        assert_eq!(seccomp_policy::sim::check(&probe_prog), Ok(()));

        let mut failures = Vec::new();
        let (mut children, mut verdicts, mut allowed) = (0usize, 0usize, 0usize);
        for bits in 0..1u64 << ncaps {
            let policy = x86_64
                .program::<PROGRAM_CAPACITY>(bits, &[], Action::Errno(E_DENY))
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
                let mut buf = [0u8; PROBED as usize + 2];
                for nr in 0..PROBED {
                    buf[nr as usize] = if KERNEL_EXEMPT.iter().any(|e| e.0 == nr) {
                        b'-'
                    } else {
                        probe(i64::from(nr))
                    };
                }
                buf[PROBED as usize] = probe(X32_GETPID);
                buf[PROBED as usize + 1] = probe(-1);
                // Only A, D and ? were written: valid UTF-8.
                let _ = out.write_str(core::str::from_utf8(&buf).unwrap_or("not utf-8"));
                0
            });
            children += 1;
            if report.outcome != Outcome::Exited(0) || report.output.len() != PROBED as usize + 2 {
                failures.push(format!("caps {bits:#x}: {report}"));
                continue;
            }
            let got = report.output.as_bytes();
            let want = &sets[bits as usize];
            for nr in (0..PROBED).filter(|nr| KERNEL_EXEMPT.iter().all(|e| e.0 != *nr)) {
                let expected = if want.contains(&nr) { b'A' } else { b'D' };
                verdicts += 1;
                allowed += usize::from(expected == b'A');
                if got[nr as usize] != expected {
                    failures.push(format!(
                        "caps {}: nr {nr}: kernel says {}, the policy file {}",
                        Cap::from_bits(bits).unwrap(),
                        got[nr as usize] as char,
                        expected as char
                    ));
                }
            }
            for (i, what) in ["x32 getpid", "syscall -1"].iter().enumerate() {
                verdicts += 1;
                if got[PROBED as usize + i] != b'D' {
                    failures.push(format!(
                        "caps {bits:#x}: {what}: kernel says {}",
                        got[PROBED as usize + i] as char
                    ));
                }
            }
            if failures.len() > 50 {
                break;
            }
        }
        println!(
        "{children} children, {verdicts} kernel verdicts ({allowed} allowed) matched the policy \
         file in {:.2?}; not probed (never filtered by the kernel): {KERNEL_EXEMPT:?}",
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
            .program::<PROGRAM_CAPACITY>(Cap::ALL.bits(), &[], Action::Errno(E_DENY))
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

    /// The macro's program denies by killing the process: a base call works, a
    /// call outside base (`socket` with no cap) kills the child with SIGSYS.
    pub fn denied_call_kills_the_process() {
        let prog = program(Arch::X86_64, Cap::NONE).unwrap();
        let report = in_filtered_child(prog.as_slice(), |out| {
            // SAFETY: plain system call.
            let _ = write!(out, "getpid {};", unsafe { libc::getpid() } > 0);
            // SAFETY: integer arguments only; the filter kills the process here.
            let r = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0) };
            let _ = write!(out, "socket returned {r}");
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
            .program::<PROGRAM_CAPACITY>(0, &[], Action::Errno(E_DENY))
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
        assert!(
            POLICY
                .arch(Arch::X86_64)
                .unwrap()
                .base
                .binary_search(&nr)
                .is_err(),
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
