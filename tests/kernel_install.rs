//! Real filters attached in forked children: what `install::apply` does and
//! how each of its errors is produced, and how the builder's allowlists
//! treat the i386 and x32 entry points and number -1 on a real kernel. The
//! test runner itself is never filtered; every filter goes into a child made
//! by `in_child`. Allowlists come from the crate's builder; the deny-one-call
//! and errno filters, which the builder does not make, from `simple_filter`.
//!
//! Runs under the suite's harness (`harness = false`): a test whose
//! precondition is missing (root, i386 emulation) is reported as ignored.

use core::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::Duration;

use seccomp_policy::bpf::{
    SockFilter, BPF_ABS, BPF_K, BPF_LD, BPF_RET, BPF_W, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO,
    SECCOMP_RET_KILL_PROCESS,
};
use seccomp_policy::builder::build;
use seccomp_policy::install::{apply, Errno, Install, InstallError};
use seccomp_policy::rule::{Action, RuleSet};
use seccomp_policy::spawn::Outcome;
use seccomp_policy::Program;
use seccomp_policy_suite::harness::{require, Checked};
use seccomp_policy_suite::{
    gettid, in_child, in_filtered_child, native, simple_filter, ChildReport,
};

const ALLOW: u32 = SECCOMP_RET_ALLOW;
const KILL: u32 = SECCOMP_RET_KILL_PROCESS;

const fn nr(n: libc::c_long) -> u32 {
    n as u32
}

const fn errno_action(e: i32) -> u32 {
    SECCOMP_RET_ERRNO | e as u32
}

/// What every allowlist child needs: report through the pipe, and exit.
const SURVIVAL: [u32; 2] = [nr(libc::SYS_write), nr(libc::SYS_exit_group)];

/// The crate's builder: `write`, `exit_group` and `extra` allowed, every
/// other call and every other architecture killing the process.
fn allowlist(extra: &[u32]) -> Program<256> {
    let mut extra = extra.to_vec();
    extra.sort_unstable();
    let mut survival = SURVIVAL;
    survival.sort_unstable();
    let sets = [
        RuleSet {
            allow: &survival,
            rules: &[],
        },
        RuleSet {
            allow: &extra,
            rules: &[],
        },
    ];
    build::<256>(native(), &sets, Action::KillProcess).expect("build")
}

/// Everything allowed except `getppid`, which gets `action`.
fn getppid_gets(action: u32) -> Vec<SockFilter> {
    simple_filter(&[(nr(libc::SYS_getppid), action)], ALLOW)
}

/// `getppid` through `syscall(2)`, which sets `errno` on failure (glibc's
/// `getppid()` assumes it cannot fail and returns the raw `-errno`).
fn getppid() -> libc::c_long {
    // SAFETY: no arguments.
    unsafe { libc::syscall(libc::SYS_getppid) }
}

/// Allowed calls return their real results, `no_new_privs` ends up set, and
/// the process keeps running.
fn allowed_calls_succeed() {
    let filter = allowlist(&[nr(libc::SYS_getpid), nr(libc::SYS_prctl)]);
    let report = in_child(|out| {
        // SAFETY: plain system calls without pointers.
        let before = unsafe { libc::getpid() };
        if let Err(e) = apply(filter.as_slice()) {
            let _ = write!(out, "apply: {}", seccomp_policy::tool::chain(&e));
            return 2;
        }
        // SAFETY: as above.
        let after = unsafe { libc::getpid() };
        // SAFETY: integer arguments only.
        let nnp = unsafe { libc::prctl(libc::PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) };
        let _ = write!(out, "getpid {before} -> {after}, no_new_privs {nnp}");
        if before != after || nnp != 1 {
            return 3;
        }
        0
    });
    assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
}

/// A call outside the allowlist kills the whole process with SIGSYS at that
/// call: nothing after it runs.
fn denied_call_kills_with_sigsys() {
    let filter = allowlist(&[nr(libc::SYS_getpid)]);
    let report = in_filtered_child(filter.as_slice(), |out| {
        let _ = write!(out, "installed;");
        getppid();
        let _ = write!(out, "survived getppid");
        0
    });
    assert_eq!(report.outcome, Outcome::KilledBySeccomp, "{report}");
    assert_eq!(report.output, "installed;");
}

/// Spawns a thread that waits for `go`, then calls `getppid`, then returns.
fn waiting_thread(go: &'static AtomicBool) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        while !go.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(1));
        }
        getppid();
    })
}

/// With TSYNC (the default), a filter attached by the main thread covers a
/// thread that already existed: that thread's denied call kills the process.
fn tsync_covers_threads_that_already_exist() {
    static GO: AtomicBool = AtomicBool::new(false);
    let filter = getppid_gets(KILL);
    let report = in_child(|out| {
        let t = waiting_thread(&GO);
        if let Err(e) = apply(filter.as_slice()) {
            let _ = write!(out, "apply: {}", seccomp_policy::tool::chain(&e));
            return 2;
        }
        let _ = write!(out, "installed;");
        GO.store(true, Ordering::Release);
        let _ = t.join();
        let _ = write!(out, "the other thread survived getppid");
        0
    });
    assert_eq!(report.outcome, Outcome::KilledBySeccomp, "{report}");
    assert_eq!(report.output, "installed;");
}

/// The control for the test above: without TSYNC the existing thread stays
/// unfiltered and its `getppid` succeeds.
fn without_tsync_other_threads_stay_unfiltered() {
    static GO: AtomicBool = AtomicBool::new(false);
    let filter = getppid_gets(KILL);
    let report = in_child(|out| {
        let t = waiting_thread(&GO);
        if let Err(e) = Install::new().tsync(false).apply(filter.as_slice()) {
            let _ = write!(out, "apply: {}", seccomp_policy::tool::chain(&e));
            return 2;
        }
        GO.store(true, Ordering::Release);
        let _ = t.join();
        let _ = write!(out, "the other thread survived getppid");
        0
    });
    assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
}

/// TSYNC fails when another thread has attached a filter of its own: the
/// kernel names that thread, and nothing is attached anywhere.
fn tsync_refused_names_the_thread() {
    static READY: AtomicBool = AtomicBool::new(false);
    static DONE: AtomicBool = AtomicBool::new(false);
    static TID: AtomicI32 = AtomicI32::new(0);
    let filter_a = getppid_gets(errno_action(1));
    let filter_b = getppid_gets(errno_action(2));
    let filter_c = getppid_gets(errno_action(3));
    let report = in_child(|out| {
        let t = std::thread::spawn(move || {
            TID.store(gettid(), Ordering::Release);
            let ok = Install::new().tsync(false).apply(&filter_b).is_ok();
            READY.store(true, Ordering::Release);
            while !DONE.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(1));
            }
            ok
        });
        while !READY.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(1));
        }
        let a = Install::new().tsync(false).apply(&filter_a);
        let c = apply(&filter_c);
        // Which filter does this thread run now? A answers errno 1, C would
        // answer 3: C must not have been attached here either.
        let r = getppid();
        let e = Errno::last();
        DONE.store(true, Ordering::Release);
        let b_ok = t.join().unwrap_or(false);
        let tid = TID.load(Ordering::Acquire);
        let _ = write!(
            out,
            "B attached: {b_ok}; A: {a:?}; C: {c:?}; other thread {tid}; getppid {r} {e}"
        );
        if !b_ok || a.is_err() {
            return 2;
        }
        if c != Err(InstallError::Tsync { thread: tid }) {
            return 3;
        }
        if r != -1 || e != Errno(1) {
            return 4;
        }
        0
    });
    assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
}

/// As root (`CAP_SYS_ADMIN`) a filter may be attached without
/// `no_new_privs`, and then `no_new_privs` stays unset.
fn root_may_skip_no_new_privs() -> Checked {
    require::root()?;
    let filter = getppid_gets(ALLOW);
    let report = in_child(|out| {
        let r = Install::new().no_new_privs(false).apply(filter.as_slice());
        // SAFETY: integer arguments only.
        let nnp = unsafe { libc::prctl(libc::PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) };
        let _ = write!(out, "{r:?}, no_new_privs {nnp}");
        if r.is_ok() && nnp == 0 {
            0
        } else {
            2
        }
    });
    assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
    Ok(())
}

/// Without `CAP_SYS_ADMIN`, attaching without `no_new_privs` is refused with
/// EACCES, and the default (which sets it) then succeeds. The child of a
/// root runner first drops to `nobody`, which clears its capabilities.
fn without_no_new_privs_an_unprivileged_caller_gets_eacces() {
    let filter = getppid_gets(ALLOW);
    let report = in_child(|out| {
        // SAFETY: integer arguments only.
        if unsafe { libc::geteuid() } == 0 && unsafe { libc::setresuid(65534, 65534, 65534) } != 0 {
            let _ = write!(out, "setresuid: {}", Errno::last());
            return 2;
        }
        let without = Install::new().no_new_privs(false).apply(filter.as_slice());
        let with = apply(filter.as_slice());
        let _ = write!(out, "without: {without:?}; with: {with:?}");
        if without != Err(InstallError::Seccomp(Errno(libc::EACCES))) {
            return 3;
        }
        if with.is_err() {
            return 4;
        }
        0
    });
    assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
}

/// In a child: attaches a first filter that answers `call` with `errno`
/// (allowing everything else), then tries to attach an allow-all filter
/// with `apply`. The child writes the second attempt's result and, for an
/// error, its text.
fn apply_after_errno_filter(call: libc::c_long, errno: i32) -> ChildReport {
    let prefilter = simple_filter(&[(nr(call), errno_action(errno))], ALLOW);
    let filter = getppid_gets(ALLOW);
    // Attaching the prefilter itself needs root, or no_new_privs.
    in_filtered_child(&prefilter, |out| {
        let r = apply(filter.as_slice());
        let _ = write!(out, "{r:?}");
        if let Err(e) = r {
            let _ = write!(out, ": {}", seccomp_policy::tool::chain(&e));
        }
        0
    })
}

/// A failing `prctl(PR_SET_NO_NEW_PRIVS)` is reported as `NoNewPrivs` with
/// its errno. It cannot fail on its own on a modern kernel, so an earlier
/// filter makes `prctl` answer EPERM.
fn no_new_privs_failure_is_typed() {
    let report = apply_after_errno_filter(libc::SYS_prctl, libc::EPERM);
    assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
    assert_eq!(
        report.output,
        "Err(NoNewPrivs(Errno(1))): prctl(PR_SET_NO_NEW_PRIVS) failed: EPERM (1)"
    );
}

/// When `seccomp` answers ENOSYS (an old kernel, or a container runtime's
/// filter) the typed error carries ENOSYS.
fn enosys_from_seccomp_is_typed() {
    let report = apply_after_errno_filter(libc::SYS_seccomp, libc::ENOSYS);
    assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
    assert_eq!(
        report.output,
        "Err(Seccomp(Errno(38))): seccomp(SECCOMP_SET_MODE_FILTER) failed (seccomp unavailable \
         or blocked by an earlier filter): ENOSYS (38)"
    );
}

/// Programs the kernel's checker rejects come back as `Seccomp(EINVAL)`.
fn invalid_programs_get_einval() {
    let no_return = [SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, 0)];
    let load_out_of_bounds = [
        SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, 64),
        SockFilter::stmt(BPF_RET | BPF_K, ALLOW),
    ];
    let report = in_child(|out| {
        let a = apply(&no_return);
        let b = apply(&load_out_of_bounds);
        let _ = write!(out, "{a:?} {b:?}");
        let einval = Err(InstallError::Seccomp(Errno(libc::EINVAL)));
        if a != einval || b != einval {
            return 3;
        }
        0
    });
    assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
}

/// `syscall(-1)` (nr `0xffff_ffff`, which the kernel otherwise answers with
/// ENOSYS) is not a way around the filter: it is outside the allowlist and
/// kills the process.
fn syscall_minus_one_is_denied() {
    let unfiltered = in_child(|out| {
        // SAFETY: an invalid number; the kernel only returns ENOSYS.
        let r = unsafe { libc::syscall(-1) };
        let _ = write!(out, "{r} {}", Errno::last());
        0
    });
    assert_eq!(unfiltered.output, "-1 ENOSYS (38)", "{unfiltered}");

    let filter = allowlist(&[nr(libc::SYS_getpid)]);
    let report = in_filtered_child(filter.as_slice(), |out| {
        let _ = write!(out, "installed;");
        // SAFETY: as above.
        let r = unsafe { libc::syscall(-1) };
        let _ = write!(out, "syscall(-1) returned {r}");
        0
    });
    assert_eq!(report.outcome, Outcome::KilledBySeccomp, "{report}");
    assert_eq!(report.output, "installed;");
}

#[cfg(target_arch = "x86_64")]
mod x86_64 {
    use super::*;
    use seccomp_policy_suite::int80_getpid;

    /// An i386 system call through `int 0x80` reaches the filter with
    /// `AUDIT_ARCH_I386` and is killed, even though its number (20) is the
    /// x86_64 `writev`, which the filter allows, and what it does (getpid)
    /// is allowed as an x86_64 call.
    pub fn i386_entry_is_killed() -> Checked {
        require::i386_emulation()?;

        let filter = allowlist(&[nr(libc::SYS_getpid), nr(libc::SYS_writev)]);
        let report = in_filtered_child(filter.as_slice(), |out| {
            // SAFETY: plain system call.
            let _ = write!(out, "installed, getpid {};", unsafe { libc::getpid() } > 0);
            let r = int80_getpid();
            let _ = write!(out, "int 0x80 returned {r}");
            0
        });
        assert_eq!(report.outcome, Outcome::KilledBySeccomp, "{report}");
        assert_eq!(report.output, "installed, getpid true;");
        Ok(())
    }

    /// An x32 system call (number with bit 30 set) is killed, even when the
    /// x86_64 call with the same low bits (getpid) is allowed.
    pub fn x32_number_is_killed() {
        const X32_GETPID: libc::c_long = 0x4000_0000 | libc::SYS_getpid;
        let filter = allowlist(&[nr(libc::SYS_getpid)]);
        let report = in_filtered_child(filter.as_slice(), |out| {
            let _ = write!(out, "installed;");
            // SAFETY: x32 getpid takes no argument.
            let r = unsafe { libc::syscall(X32_GETPID) };
            let _ = write!(out, "x32 getpid returned {r}");
            0
        });
        assert_eq!(report.outcome, Outcome::KilledBySeccomp, "{report}");
        assert_eq!(report.output, "installed;");
    }
}

seccomp_policy_suite::tests![
    allowed_calls_succeed,
    denied_call_kills_with_sigsys,
    tsync_covers_threads_that_already_exist,
    without_tsync_other_threads_stay_unfiltered,
    tsync_refused_names_the_thread,
    root_may_skip_no_new_privs,
    without_no_new_privs_an_unprivileged_caller_gets_eacces,
    no_new_privs_failure_is_typed,
    enosys_from_seccomp_is_typed,
    invalid_programs_get_einval,
    syscall_minus_one_is_denied,
    #[cfg(target_arch = "x86_64")]
    x86_64::i386_entry_is_killed,
    #[cfg(target_arch = "x86_64")]
    x86_64::x32_number_is_killed,
];
