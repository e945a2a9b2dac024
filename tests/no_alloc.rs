//! Building a program for caps chosen at run time, and installing it, must
//! not touch the heap: both may run between `fork` and `exec`, where the
//! allocator's lock may be held by a thread that no longer exists. A global
//! allocator that counts every call on this thread proves it.
//!
//! Runs under the suite's harness (`harness = false`): the relay's test is
//! reported as ignored when its uid 65534 half cannot run (the tests do not
//! run as root).

use std::fmt::Write as _;

use seccomp_policy::install::{apply, InstallError};
use seccomp_policy::rule::{Action, RuleSet};
use seccomp_policy::spawn::{spawn_program, Outcome};
use seccomp_policy::{Arch, Program};
use seccomp_policy_suite::alloc_count::{allocations_during, Counting};
use seccomp_policy_suite::harness::Checked;
use seccomp_policy_suite::in_child;

seccomp_policy::seccomp_policy!("policy/seccomp.toml");

#[global_allocator]
static GLOBAL: Counting = Counting;

seccomp_policy_suite::tests![
    the_counter_sees_allocations,
    building_for_any_cap_set_does_not_allocate,
    installing_does_not_allocate_on_success_or_failure,
    the_handoffs_child_half_does_not_allocate,
    entering_the_landlock_domain_does_not_allocate,
    the_relays_steps_do_not_allocate,
];

fn the_counter_sees_allocations() {
    assert!(Counting::installed());
}

fn building_for_any_cap_set_does_not_allocate() {
    for arch in Arch::ALL {
        let policy = POLICY.arch(arch).unwrap();
        for bits in 0..=Cap::ALL.bits() {
            let (prog, n) = allocations_during(|| {
                policy.program::<PROGRAM_CAPACITY>(bits, RuleSet::EMPTY, Action::KillProcess)
            });
            assert!(prog.is_ok());
            assert_eq!(n, 0, "{} caps {bits:#x}: {n} allocations", arch.name());
        }
    }
    let (prog, n) = allocations_during(|| {
        spawn_program::<PROGRAM_CAPACITY>(&POLICY, Cap::ALL.bits(), Action::KillProcess)
    });
    assert!(prog.is_ok());
    assert_eq!(n, 0, "spawn_program: {n} allocations");
}

fn installing_does_not_allocate_on_success_or_failure() {
    let prog = program(Arch::NATIVE.unwrap(), Cap::ALL).unwrap();
    // In a child: the filter must not land on the test runner.
    let report = in_child(move |_| {
        let (result, n) = allocations_during(|| apply(prog.as_slice()));
        match result {
            Ok(()) => n as i32,
            Err(_) => 100,
        }
    });
    assert_eq!(report.outcome, Outcome::Exited(0), "{report}");

    let report = in_child(|_| {
        let empty = Program::<4>::empty();
        let (err, n) = allocations_during(|| {
            // The same conversion the spawn hook makes for a failed install.
            apply(empty.as_slice()).map_err(std::io::Error::from)
        });
        match err {
            Err(e) if e.raw_os_error() == Some(InstallError::EmptyProgram.errno().raw()) => {
                n as i32
            }
            _ => 100,
        }
    });
    assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
}

/// The child's half of the listener handoff (what a supervised spawn runs
/// between `fork` and `exec`: announce, attach with a listener, handshake)
/// makes no allocation. It runs in a process of its own, single-threaded
/// as after a spawn's `fork` (it predicts its listener's descriptor
/// number, which a thread opening descriptors meanwhile would take); the
/// parent half answers from the process that forked it.
fn the_handoffs_child_half_does_not_allocate() {
    use seccomp_policy::install::Install;
    use seccomp_policy::notify::handoff;
    let prog = spawn_program::<PROGRAM_CAPACITY>(&POLICY, 0, Action::Notify).unwrap();
    let report = in_child(move |out| {
        let (parent, child) = handoff().unwrap();
        // SAFETY: this process has one thread; the child only runs the
        // handoff and `_exit`s.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let (result, n) =
                allocations_during(|| child.install(Install::new().tsync(false), prog.as_slice()));
            let code = match result {
                Ok(_) => i32::try_from(n.min(99)).unwrap_or(99),
                Err(_) => 100,
            };
            // SAFETY: ends the forked child without running destructors.
            unsafe { libc::_exit(code) };
        }
        let accepted = parent.accept(std::time::Duration::from_secs(10), None);
        let mut status = 0;
        // SAFETY: waits for the child just forked.
        unsafe { libc::waitpid(pid, &raw mut status, 0) };
        let _ = write!(
            out,
            "accept: {:?}; child status {status:#x}",
            accepted.err()
        );
        if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            101
        }
    });
    assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
}

/// Entering the sandbox's Landlock domain (what the spawn paths run between
/// `fork` and `exec`, before the filter) makes no allocation, whether it
/// succeeds or fails. In a child: the domain must not land on the test
/// runner.
fn entering_the_landlock_domain_does_not_allocate() {
    use seccomp_policy::domain::{Degraded, Domain};
    let domain = Domain::new(Degraded::Allow).expect("a domain, or none without Landlock");
    let report = in_child(move |out| {
        let (first, n) = allocations_during(|| domain.enter());
        // The second time the kernel may refuse (nothing to refuse here,
        // but a failure must not allocate either): only the count matters.
        let (_, m) = allocations_during(|| domain.enter().map_err(std::io::Error::from));
        let _ = write!(out, "enter: {first:?}; {n} and {m} allocations");
        i32::from(first.is_err()) * 100 + i32::try_from((n + m).min(99)).unwrap_or(99)
    });
    assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
}

/// The relay's steps between `fork` and `exec` (a pid namespace, in a user
/// namespace when not root, or a subreaper; forking the namespace's init
/// and the command; in the command's process, its own `/proc` with the
/// shipped policy's rules beneath it made again; passing signals on until
/// the command ends; ending the rest) make no allocation, in the command's
/// process and in the relay, as root and as uid 65534. The command's
/// process reports its count as its exit code, which the relay adds to its
/// own.
fn the_relays_steps_do_not_allocate() -> Checked {
    use seccomp_policy::domain::{Degraded, Domain, Vars};
    use seccomp_policy::supervise::lifetime::{Containment, Lifetime, Split};
    use seccomp_policy::supervise::own_proc;
    use seccomp_policy_suite::{become_user, for_each_user};
    for_each_user(|user| {
        // With files confined, `/proc` among them: the rules beneath it
        // are made again in the command's process.
        let domain = Domain::for_policy(&POLICY, 0, &Vars::new(), None, Degraded::Allow)
            .expect("a domain, or none without Landlock");
        // Where the machine allows it, the command's process must take the
        // path that mounts and makes the rules again.
        let mountable = seccomp_policy_suite::harness::require::own_proc(user).is_ok();
        let report = in_child(move |out| {
            if let Err(e) = become_user(user) {
                let _ = write!(out, "{e}");
                return 102;
            }
            let (split, n) = allocations_during(|| Containment::new(true).split());
            let n = i32::try_from(n.min(99)).unwrap_or(99);
            match split {
                Ok(Split::Command(lifetime)) => {
                    let (given, m) = allocations_during(|| {
                        matches!(lifetime, Lifetime::PidNamespace { .. })
                            .then(|| own_proc::give(&domain))
                    });
                    let m = i32::try_from(m.min(99)).unwrap_or(99);
                    let failed = i32::from(matches!(given, Some(Err(_))));
                    let kept = i32::from(mountable && !matches!(given, Some(Ok(true))));
                    // SAFETY: ends the command's process without unwinding.
                    unsafe { libc::_exit(n + m + 50 * failed + 30 * kept) }
                }
                Ok(Split::Relay(relay)) => {
                    let (status, m) = allocations_during(|| relay.wait());
                    // The relay closed every descriptor, the ruleset's too.
                    std::mem::forget(domain);
                    if libc::WIFEXITED(status) {
                        libc::WEXITSTATUS(status) + i32::try_from(m.min(99)).unwrap_or(99)
                    } else {
                        100
                    }
                }
                Err(e) => {
                    let _ = write!(out, "split: {e}");
                    101
                }
            }
        });
        assert_eq!(report.outcome, Outcome::Exited(0), "as {user:?}: {report}");
    })
}
