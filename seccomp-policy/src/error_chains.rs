//! Each error type of the run time, walked through its
//! [`source`](std::error::Error::source) chain: a failed system call ends
//! the chain in its typed [`Errno`], and an error that wraps another
//! returns it. The expected errnos are the kernel's numbers as `libc`
//! spells them, never read back from the code under test.
//!
//! And each message of a chain is printed once: an error's `Display` says
//! what failed at its own level and leaves its cause to `source()` (the
//! Rust API guidelines' rule), which every variant of every type is
//! checked for; `tool::chain` prints the whole chain.

use std::error::Error;

use crate::builder::BuildError;
use crate::domain::DomainError;
use crate::install::{Errno, InstallError};
use crate::notify::{ChildError, ChildStep, HandoffError, NotifyError, Op};
use crate::spawn::{SandboxError, SpawnProgramError};
use crate::supervise::session::{Done, SessionError};
use crate::supervise::SuperviseError;

/// The chain from `e` down, each link's message.
fn chain(e: &(dyn Error + '_)) -> Vec<String> {
    let mut links = vec![e.to_string()];
    let mut at = e.source();
    while let Some(next) = at {
        links.push(next.to_string());
        at = next.source();
    }
    links
}

/// The last link of `e`'s chain, as the errno it must be.
fn root_errno(e: &(dyn Error + 'static)) -> Option<Errno> {
    let mut at = e;
    while let Some(next) = at.source() {
        at = next;
    }
    at.downcast_ref::<Errno>().copied()
}

#[test]
fn install_error_ends_in_its_errno() {
    let e = InstallError::Seccomp(Errno(libc::EACCES));
    assert_eq!(root_errno(&e), Some(Errno(libc::EACCES)), "{:?}", chain(&e));
    let e = InstallError::NoNewPrivs(Errno(libc::EPERM));
    assert_eq!(root_errno(&e), Some(Errno(libc::EPERM)));
    // Refused before any system call: no errno from the kernel to chain.
    assert!(InstallError::EmptyProgram.source().is_none());
}

#[test]
fn notify_error_ends_in_its_errno() {
    let e = NotifyError::Failed {
        op: Op::Recv,
        errno: Errno(libc::EBADF),
    };
    assert_eq!(root_errno(&e), Some(Errno(libc::EBADF)), "{:?}", chain(&e));
    assert!(NotifyError::Gone.source().is_none());
}

#[test]
fn child_error_chains_install_then_errno() {
    let install = InstallError::Seccomp(Errno(libc::EBUSY));
    let e = ChildError {
        step: ChildStep::Install,
        errno: Errno(libc::EBUSY),
        install: Some(install),
    };
    let first = e.source().and_then(|s| s.downcast_ref::<InstallError>());
    assert_eq!(first, Some(&install));
    assert_eq!(root_errno(&e), Some(Errno(libc::EBUSY)));
    assert_eq!(chain(&e).len(), 3, "{:?}", chain(&e));
    let e = ChildError {
        step: ChildStep::Announce,
        errno: Errno(libc::EPIPE),
        install: None,
    };
    assert_eq!(root_errno(&e), Some(Errno(libc::EPIPE)));
}

#[test]
fn handoff_error_ends_in_its_errno() {
    let e = HandoffError::GetFd(Errno(libc::EPERM));
    assert_eq!(root_errno(&e), Some(Errno(libc::EPERM)));
    let e = HandoffError::Io {
        what: "recv",
        errno: Errno(libc::ECONNRESET),
    };
    assert_eq!(root_errno(&e), Some(Errno(libc::ECONNRESET)));
    assert!(HandoffError::NoChild.source().is_none());
}

#[test]
fn supervise_error_chains_to_the_errno() {
    let e = SuperviseError::Handoff(HandoffError::GetFd(Errno(libc::ENOSYS)));
    let first = e.source().and_then(|s| s.downcast_ref::<HandoffError>());
    assert_eq!(first, Some(&HandoffError::GetFd(Errno(libc::ENOSYS))));
    assert_eq!(root_errno(&e), Some(Errno(libc::ENOSYS)));
    let e = SuperviseError::Setup {
        what: "epoll_create1",
        errno: Errno(libc::EMFILE),
    };
    assert_eq!(root_errno(&e), Some(Errno(libc::EMFILE)));
}

#[test]
fn session_error_chains_to_the_errno() {
    let e = SessionError::Supervise(SuperviseError::Handoff(HandoffError::Io {
        what: "pidfd_open",
        errno: Errno(libc::ENOSYS),
    }));
    assert_eq!(chain(&e).len(), 4, "{:?}", chain(&e));
    assert_eq!(root_errno(&e), Some(Errno(libc::ENOSYS)));
    for (e, errno) in [
        (SessionError::Exec(Errno(libc::ENOENT)), libc::ENOENT),
        (SessionError::Spawn(Errno(libc::EAGAIN)), libc::EAGAIN),
        (SessionError::Wait(Errno(libc::ECHILD)), libc::ECHILD),
    ] {
        assert_eq!(root_errno(&e), Some(Errno(errno)), "{e:?}");
    }
}

#[test]
fn spawn_program_error_chains_to_the_builder() {
    let e = SpawnProgramError::Build(BuildError::Unsorted);
    let first = e.source().and_then(|s| s.downcast_ref::<BuildError>());
    assert_eq!(first, Some(&BuildError::Unsorted));
    assert!(SpawnProgramError::NoNativeArch.source().is_none());
}

#[test]
fn sandbox_error_chains_to_the_errno() {
    let e = SandboxError::Landlock(DomainError::Ruleset(Errno(libc::ENOMSG)));
    assert_eq!(chain(&e).len(), 3, "{:?}", chain(&e));
    assert_eq!(root_errno(&e), Some(Errno(libc::ENOMSG)));
}

#[test]
fn domain_error_ends_in_its_errno() {
    let e = DomainError::Path {
        path: "/nowhere".into(),
        errno: Errno(libc::EACCES),
    };
    assert_eq!(root_errno(&e), Some(Errno(libc::EACCES)));
    assert_eq!(
        root_errno(&DomainError::Ruleset(Errno(libc::E2BIG))),
        Some(Errno(libc::E2BIG))
    );
    let e = DomainError::Unsupported { abi: 0, needed: 6 };
    assert!(e.source().is_none());
}

/// Each message of `e`'s chain is printed once: no link's message holds
/// the message of a link below it (the Rust API guidelines' rule: an error
/// returns its cause from `source` or includes it in its `Display`, never
/// both), and none is empty.
fn assert_each_message_once(e: &(dyn Error + '_)) {
    let links = chain(e);
    for (i, outer) in links.iter().enumerate() {
        assert!(!outer.is_empty(), "an empty message in {links:?}");
        for inner in &links[i + 1..] {
            assert!(
                !outer.contains(inner.as_str()),
                "{outer:?} repeats its cause {inner:?}: {links:?}"
            );
        }
    }
}

/// Every errno the chains below end in, by the kernel's numbers.
const ERRNOS: [i32; 9] = [
    libc::EPERM,
    libc::ENOENT,
    libc::EACCES,
    libc::EINVAL,
    libc::ENOSYS,
    libc::ENOMEM,
    libc::EMFILE,
    libc::EBUSY,
    4095,
];

fn install_errors() -> Vec<InstallError> {
    let mut all = vec![
        InstallError::EmptyProgram,
        InstallError::TooLong { len: 5000 },
        InstallError::Tsync { thread: 42 },
    ];
    for n in ERRNOS {
        all.push(InstallError::NoNewPrivs(Errno(n)));
        all.push(InstallError::Seccomp(Errno(n)));
    }
    all
}

fn handoff_errors() -> Vec<HandoffError> {
    let mut all = vec![
        HandoffError::NoChild,
        HandoffError::ChildEnded,
        HandoffError::NotAListener,
        HandoffError::Handshake,
    ];
    for n in ERRNOS {
        all.push(HandoffError::GetFd(Errno(n)));
        all.push(HandoffError::Io {
            what: "pidfd_open",
            errno: Errno(n),
        });
        all.push(HandoffError::Child {
            step: ChildStep::Announce,
            errno: Errno(n),
        });
    }
    all
}

fn domain_errors() -> Vec<DomainError> {
    let mut all = vec![
        DomainError::Unsupported { abi: 0, needed: 6 },
        DomainError::Unsupported { abi: 3, needed: 6 },
        DomainError::Ports {
            var: "PORTS".into(),
            value: "http".into(),
        },
    ];
    for n in ERRNOS {
        all.push(DomainError::Ruleset(Errno(n)));
        all.push(DomainError::Path {
            path: "/etc/ssl".into(),
            errno: Errno(n),
        });
    }
    all
}

fn spawn_program_errors() -> Vec<SpawnProgramError> {
    vec![
        SpawnProgramError::NoNativeArch,
        SpawnProgramError::Build(BuildError::Unsorted),
        SpawnProgramError::Build(BuildError::TooLong { needed: 5000 }),
    ]
}

fn supervise_errors() -> Vec<SuperviseError> {
    let mut all = vec![SuperviseError::Panicked];
    all.extend(
        spawn_program_errors()
            .into_iter()
            .map(SuperviseError::Program),
    );
    all.extend(handoff_errors().into_iter().map(SuperviseError::Handoff));
    all.extend(domain_errors().into_iter().map(SuperviseError::Landlock));
    for n in ERRNOS {
        all.push(SuperviseError::Setup {
            what: "epoll_create1",
            errno: Errno(n),
        });
    }
    all
}

#[test]
fn errno_prints_its_name_and_number_once() {
    assert_each_message_once(&Errno(libc::EACCES));
    assert_eq!(Errno(libc::EACCES).to_string(), "EACCES (13)");
}

#[test]
fn install_error_prints_each_message_once() {
    for e in install_errors() {
        assert_each_message_once(&e);
    }
}

#[test]
fn notify_error_prints_each_message_once() {
    assert_each_message_once(&NotifyError::Gone);
    for op in [Op::Recv, Op::Send, Op::PidfdOpen, Op::ProcStatus] {
        for n in ERRNOS {
            assert_each_message_once(&NotifyError::Failed {
                op,
                errno: Errno(n),
            });
        }
    }
}

#[test]
fn child_error_prints_each_message_once() {
    for step in [
        ChildStep::PredictFd,
        ChildStep::Announce,
        ChildStep::WrongFd,
        ChildStep::Handshake,
    ] {
        for n in ERRNOS {
            assert_each_message_once(&ChildError {
                step,
                errno: Errno(n),
                install: None,
            });
        }
    }
    for install in install_errors() {
        assert_each_message_once(&ChildError {
            step: ChildStep::Install,
            errno: install.errno(),
            install: Some(install),
        });
    }
}

#[test]
fn handoff_error_prints_each_message_once() {
    for e in handoff_errors() {
        assert_each_message_once(&e);
    }
}

#[test]
fn domain_error_prints_each_message_once() {
    for e in domain_errors() {
        assert_each_message_once(&e);
    }
}

#[test]
fn spawn_program_error_prints_each_message_once() {
    for e in spawn_program_errors() {
        assert_each_message_once(&e);
    }
}

#[test]
fn sandbox_error_prints_each_message_once() {
    for e in spawn_program_errors() {
        assert_each_message_once(&SandboxError::Program(e));
    }
    for e in domain_errors() {
        assert_each_message_once(&SandboxError::Landlock(e));
    }
}

#[test]
fn supervise_error_prints_each_message_once() {
    for e in supervise_errors() {
        assert_each_message_once(&e);
    }
}

/// A report of a supervisor that failed `failures` times with EMFILE.
fn failed_run(failures: u64, killed_tree: bool) -> Done {
    use std::os::unix::process::ExitStatusExt as _;

    use crate::domain::Enforced;
    use crate::supervise::{Lifetime, Mode, Report};

    Done {
        pid: 10,
        status: std::process::ExitStatus::from_raw(0),
        report: Report {
            error: Some(NotifyError::Failed {
                op: Op::Send,
                errno: Errno(libc::EMFILE),
            }),
            failures,
            killed_tree,
            ..Report::new(
                Mode::Enforce,
                "policy/seccomp.toml".to_owned(),
                Vec::new(),
                10,
                Enforced::NONE,
                Lifetime::Unbounded,
            )
        },
    }
}

#[test]
fn session_error_prints_each_message_once() {
    let mut all = vec![
        SessionError::SupervisorFailed(Box::new(failed_run(1, true))),
        SessionError::SupervisorFailed(Box::new(failed_run(3, false))),
    ];
    all.extend(supervise_errors().into_iter().map(SessionError::Supervise));
    for n in ERRNOS {
        all.push(SessionError::Signals {
            what: "pthread_sigmask",
            errno: Errno(n),
        });
        all.push(SessionError::Spawn(Errno(n)));
        all.push(SessionError::Exec(Errno(n)));
        all.push(SessionError::Wait(Errno(n)));
    }
    for e in &all {
        assert_each_message_once(e);
    }
    let done = failed_run(2, true);
    assert_each_message_once(&done.failure().expect("it failed"));
}

/// What `tool::chain` prints: each message once, the errno last, as the
/// tool printed these errors before their `Display` left the cause out.
#[test]
fn chain_prints_every_cause_once_errno_last() {
    let cases: [(&(dyn Error + 'static), &str); 6] = [
        (
            &InstallError::Seccomp(Errno(libc::ENOSYS)),
            "seccomp(SECCOMP_SET_MODE_FILTER) failed (seccomp unavailable or blocked by an \
             earlier filter): ENOSYS (38)",
        ),
        (
            &SessionError::Supervise(SuperviseError::Handoff(HandoffError::GetFd(Errno(
                libc::EPERM,
            )))),
            "the supervisor could not start: the command's seccomp listener was not handed \
             over: pidfd_getfd failed (no ptrace access to the child: \
             kernel.yama.ptrace_scope >= 2, or this process is not dumpable): EPERM (1)",
        ),
        (
            &SessionError::Exec(Errno(libc::ENOENT)),
            "execve failed (No such file or directory): ENOENT (2)",
        ),
        (
            &SessionError::Wait(Errno(libc::ECHILD)),
            "waiting for the command failed: ECHILD (10)",
        ),
        (
            &SandboxError::Landlock(DomainError::Ruleset(Errno(libc::E2BIG))),
            "no Landlock domain for the command: the kernel refused the Landlock ruleset: \
             E2BIG (7)",
        ),
        (
            &ChildError {
                step: ChildStep::Install,
                errno: Errno(libc::EBUSY),
                install: Some(InstallError::Seccomp(Errno(libc::EBUSY))),
            },
            "seccomp listener handoff: Install failed: seccomp(SECCOMP_SET_MODE_FILTER) \
             failed: EBUSY (16)",
        ),
    ];
    for (e, text) in cases {
        assert_eq!(crate::tool::chain(e).to_string(), text);
    }
    let failed = SessionError::SupervisorFailed(Box::new(failed_run(3, true)));
    assert_eq!(
        crate::tool::chain(&failed).to_string(),
        "the supervisor failed (3 failures in all; it killed the command's tree, as it could \
         not answer a call as the policy says; no refused call ran): \
         SECCOMP_IOCTL_NOTIF_SEND failed: EMFILE (24)"
    );
}
