//! Each error type of the run time, walked through its
//! [`source`](std::error::Error::source) chain: a failed system call ends
//! the chain in its typed [`Errno`], and an error that wraps another
//! returns it. The expected errnos are the kernel's numbers as `libc`
//! spells them, never read back from the code under test.

use std::error::Error;

use crate::builder::BuildError;
use crate::domain::DomainError;
use crate::install::{Errno, InstallError};
use crate::notify::{ChildError, ChildStep, HandoffError, NotifyError, Op};
use crate::spawn::{SandboxError, SpawnProgramError};
use crate::supervise::session::SessionError;
use crate::supervise::SuperviseError;

/// The chain from `e` down, each link's message.
fn chain(e: &(dyn Error + 'static)) -> Vec<String> {
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
