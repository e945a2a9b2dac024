//! No process of the command outlives it, whatever the command does.
//!
//! A process group does not hold a hostile command: one `setsid` or
//! `setpgid` leaves it (a daemon's double fork, `timeout`'s own group), and
//! `PR_SET_PDEATHSIG` covers one process, which may clear it. What the
//! kernel does offer:
//!
//! - a **pid namespace**: when its init ends, the kernel kills every process
//!   in it, however they were started, and they cannot leave it. Making one
//!   needs `CAP_SYS_ADMIN` (root), or a user namespace made first (an
//!   unprivileged caller's uid and gid mapped to themselves);
//! - otherwise a **subreaper** (`PR_SET_CHILD_SUBREAPER`): orphans of the
//!   tree become its children instead of init's, so it can find and kill
//!   them once the command has ended. That does not hold if the subreaper
//!   itself is killed.
//!
//! [`Containment::split`] sets this up between `fork` and `exec`, in the
//! process the caller forked (the *relay*): it makes the pid namespace (or
//! becomes a subreaper), forks an init for the namespace (which only
//! sleeps, with `SIGCHLD` ignored so the kernel reaps what is left to it)
//! and then the command's own process, which returns from `split` and goes
//! on to `exec`. The relay stays behind ([`Relay::run`]):
//!
//! ```text
//! caller ── relay ─┬─ init (pid 1, ours) ······ orphans of the tree
//!                  └─ command (pid 2) ─── its children ...
//! ```
//!
//! It closes every descriptor (the command's standard streams end where
//! the command's tree closes them, and `Command::spawn` returns when the
//! command has `exec`ed), passes signals sent to it on to the command (see
//! [`Containment::new`]), and when the command has ended, kills the
//! namespace's init (the kernel then kills the rest and returns once all
//! are gone) or, as a subreaper, kills its remaining children through
//! pidfds until none is left. Then it ends as the command did: the same
//! exit code, or the same signal. The command and the init die with the
//! relay (`PR_SET_PDEATHSIG`, which the command may clear for itself but not
//! for the init), so with a pid namespace nothing is left even when the
//! relay, or the process that started it, is killed with `SIGKILL`.
//!
//! The command sees its pid namespace's numbers: its own pid is 2, its
//! parent's is 0 (outside), the init is 1, and names made from its pid are
//! the same in every run. Its `/proc` is the namespace's own where it can
//! be mounted (see [`own_proc`](super::own_proc)): `/proc/$$` is right, and
//! no process outside is listed. Otherwise it is the caller's, where
//! `/proc/self` is right but `/proc/$$` names another process. In a user namespace, users
//! and groups other than its own show as the overflow ids (`nobody`,
//! 65534), and it cannot `setgroups`.
//!
//! Nothing here allocates or takes a lock: it all runs between `fork` and
//! `exec`.

use core::fmt;
use std::os::fd::{AsFd as _, OwnedFd};

use crate::install::Errno;
use crate::sys::{self, Forked};

/// How the processes a command leaves behind are ended with it; a
/// [`Report`](super::Report) says which held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lifetime {
    /// Not asked for ([`Supervisor::end_with_command`](super::Supervisor::end_with_command)
    /// off): what the command starts may outlive it.
    #[default]
    Unbounded,
    /// A pid namespace whose init is ours: nothing the command started
    /// outlives it, even if the process that started it is killed with
    /// `SIGKILL`.
    PidNamespace {
        /// Whether it was made in a user namespace of its own (the caller
        /// had no `CAP_SYS_ADMIN`).
        user_namespace: bool,
        /// Whether the command has a `/proc` of its own, mounted in the
        /// pid namespace (see [`own_proc`](super::own_proc)): it lists the
        /// namespace's processes only, so none outside can be found or
        /// read through it. Otherwise the command sees the machine's.
        own_proc: bool,
    },
    /// No pid namespace could be made: a subreaper killed what the command
    /// left when it ended. Were the relay killed first (with the process
    /// that started it, by `SIGKILL`), what the command started would run
    /// on.
    Subreaper,
}

impl Lifetime {
    /// As a number, for the listener handoff's announcement.
    pub(crate) const fn note(self) -> u32 {
        match self {
            Lifetime::Unbounded => 0,
            Lifetime::PidNamespace {
                user_namespace,
                own_proc,
            } => 1 + user_namespace as u32 + 4 * own_proc as u32,
            Lifetime::Subreaper => 3,
        }
    }

    /// From [`note`](Lifetime::note).
    pub(crate) const fn from_note(note: u32) -> Lifetime {
        match note {
            1 | 2 | 5 | 6 => Lifetime::PidNamespace {
                user_namespace: note & 3 == 2,
                own_proc: note & 4 != 0,
            },
            3 => Lifetime::Subreaper,
            _ => Lifetime::Unbounded,
        }
    }

    /// The same, with the command's own `/proc`.
    pub(crate) const fn with_own_proc(self) -> Lifetime {
        match self {
            Lifetime::PidNamespace { user_namespace, .. } => Lifetime::PidNamespace {
                user_namespace,
                own_proc: true,
            },
            other => other,
        }
    }
}

impl fmt::Display for Lifetime {
    /// `pid namespace: nothing it started outlives it`, or what held instead.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lifetime::Unbounded => "processes it started may outlive it",
            Lifetime::PidNamespace {
                user_namespace: false,
                own_proc: true,
            } => "pid namespace with its own /proc: nothing it started outlives it",
            Lifetime::PidNamespace {
                user_namespace: true,
                own_proc: true,
            } => {
                "pid namespace (in a user namespace) with its own /proc: \
                 nothing it started outlives it"
            }
            Lifetime::PidNamespace {
                user_namespace: false,
                own_proc: false,
            } => {
                "pid namespace: nothing it started outlives it \
                 (the machine's /proc: processes outside are listed)"
            }
            Lifetime::PidNamespace {
                user_namespace: true,
                own_proc: false,
            } => {
                "pid namespace (in a user namespace): nothing it started outlives it \
                 (the machine's /proc: processes outside are listed)"
            }
            Lifetime::Subreaper => {
                "subreaper (no pid namespace here): what it left was killed when it ended, \
                 but would not be were this process killed with SIGKILL"
            }
        })
    }
}

/// The signals whose second arrival kills the command's group with
/// `SIGKILL` (see [`Containment::new`]).
const ENDING: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// What [`Containment::split`] does; made before `fork`, run in the child.
///
/// Not API: [`Supervisor::end_with_command`](super::Supervisor::end_with_command)
/// is. It is public, and hidden from the docs, so that `tests/no_alloc.rs`
/// can count the allocations of the relay's steps in a forked child;
/// `split` forks, which is sound only in a single-threaded process.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct Containment {
    own_group: bool,
}

/// Which process returned from [`Containment::split`]. Not API (see
/// [`Containment`]).
#[doc(hidden)]
#[derive(Debug)]
pub enum Split {
    /// The command's own process, which goes on to `exec`; what holds its
    /// tree.
    Command(Lifetime),
    /// The process that called `split`, which stays behind as the relay.
    Relay(Relay),
}

/// The process that stays behind (see the [module docs](self)). Not API
/// (see [`Containment`]).
#[doc(hidden)]
#[derive(Debug)]
pub struct Relay {
    command: u32,
    init: Option<u32>,
    own_group: bool,
}

impl Containment {
    /// With `own_group`, the command gets a process group of its own
    /// (`setpgid`; call `split` after `setsid`, so that it stays in the
    /// caller's session), and every signal sent to the relay is passed on
    /// to that group, as a shell passes them to a foreground job; the
    /// second SIGINT, SIGTERM, SIGHUP or SIGQUIT is passed on as `SIGKILL`.
    /// Without, the command stays in the relay's group, where a terminal's
    /// signals reach it directly, and only signals a process sends the
    /// relay (`kill`) are passed on, to the command alone.
    pub const fn new(own_group: bool) -> Containment {
        Containment { own_group }
    }

    /// Between `fork` and `exec`, in a single-threaded process: makes the
    /// pid namespace (or becomes a subreaper) and forks the init and the
    /// command. Returns [`Split::Command`] in the command's process and
    /// [`Split::Relay`] in the calling one, which must then
    /// [`run`](Relay::run) the relay (see the [module docs](self)).
    ///
    /// All signals are blocked in the relay and the init; the command gets
    /// the caller's mask back.
    ///
    /// Async-signal-safe: system calls only, no allocation, no lock.
    ///
    /// # Errors
    ///
    /// The errno of a failed step: making a user namespace's mapping,
    /// forking, and in the command's process the parent-death signal
    /// (`ESRCH`: the relay ended before it took effect) or its own group.
    /// Nothing made is left running.
    pub fn split(self) -> Result<Split, Errno> {
        let (pid, uid, gid) = sys::ids();
        // The children check through it that the relay still runs once
        // their parent-death signal is set: getppid() cannot tell from
        // inside a pid namespace.
        let relay = sys::pidfd_open(pid)?;
        let caller_mask = sys::set_signal_mask(&sys::all_signals())?;
        let lifetime = make_namespace(uid, gid)?;
        let init = match lifetime {
            Lifetime::PidNamespace { .. } => {
                // This process has one thread (between fork and exec);
                // the init runs only system calls until it ends.
                match sys::fork()? {
                    Forked::Child => init(&relay),
                    Forked::Parent(pid) => Some(pid),
                }
            }
            _ => {
                sys::set_child_subreaper()?;
                None
            }
        };
        // As above; the command's process returns to `exec`.
        match sys::fork() {
            Ok(Forked::Child) => {
                let _ = sys::set_signal_mask(&caller_mask);
                self.command_side(&relay)?;
                Ok(Split::Command(lifetime))
            }
            Ok(Forked::Parent(command)) => Ok(Split::Relay(Relay {
                command,
                init,
                own_group: self.own_group,
            })),
            Err(e) => {
                end_init(init);
                Err(e)
            }
        }
    }

    /// The command's process, before it returns: its own group if asked,
    /// and death with the relay.
    fn command_side(self, relay: &OwnedFd) -> Result<(), Errno> {
        if self.own_group {
            sys::own_process_group()?;
        }
        sys::set_death_signal(libc::SIGKILL)?;
        if sys::has_ended(relay.as_fd()) {
            return Err(Errno(libc::ESRCH));
        }
        Ok(())
    }
}

/// A pid namespace for the children this process makes next: directly with
/// `CAP_SYS_ADMIN`, else in a user namespace mapping `uid` and `gid` to
/// themselves; [`Lifetime::Subreaper`] when neither can be made. A user
/// namespace made whose mapping the kernel then refuses is an error: the
/// command would run as the overflow uid.
fn make_namespace(uid: u32, gid: u32) -> Result<Lifetime, Errno> {
    if sys::unshare(libc::CLONE_NEWPID).is_ok() {
        return Ok(Lifetime::PidNamespace {
            user_namespace: false,
            own_proc: false,
        });
    }
    if sys::unshare(libc::CLONE_NEWUSER).is_err() {
        return Ok(Lifetime::Subreaper);
    }
    map_to_itself(c"/proc/self/uid_map", uid)?;
    sys::write_file(c"/proc/self/setgroups", b"deny")?;
    map_to_itself(c"/proc/self/gid_map", gid)?;
    if sys::unshare(libc::CLONE_NEWPID).is_ok() {
        Ok(Lifetime::PidNamespace {
            user_namespace: true,
            own_proc: false,
        })
    } else {
        Ok(Lifetime::Subreaper)
    }
}

/// Writes `ID ID 1` to a user namespace's map `path`.
fn map_to_itself(path: &core::ffi::CStr, id: u32) -> Result<(), Errno> {
    let (line, len) = map_line(id);
    sys::write_file(path, &line[..len])
}

/// `ID ID 1\n`: one id mapped to itself, and its length.
fn map_line(id: u32) -> ([u8; 32], usize) {
    let mut line = [0u8; 32];
    let mut len = push_decimal(&mut line, 0, id);
    line[len] = b' ';
    len = push_decimal(&mut line, len + 1, id);
    line[len..len + 3].copy_from_slice(b" 1\n");
    (line, len + 3)
}

/// Writes `n` in decimal into `buf` at `at`; where it ends.
fn push_decimal(buf: &mut [u8; 32], at: usize, n: u32) -> usize {
    let mut digits = [0u8; 10];
    let mut rest = n;
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let d = &digits[i..];
    buf[at..at + d.len()].copy_from_slice(d);
    at + d.len()
}

/// The namespace's init: dies with the relay, lets the kernel reap what is
/// left to it, holds nothing open, and sleeps until it is killed, which
/// ends the namespace.
///
/// It is the one process outside the command's domain that the command's
/// `/proc` lists (as pid 1), and Landlock lets a domain read another
/// process's `cmdline` and `environ`: being a copy of the caller, it would
/// show the caller's arguments and environment even to a command started
/// with an environment of its own. It overwrites its copy of them first,
/// and ends (so the command never starts) if it cannot.
fn init(relay: &OwnedFd) -> ! {
    if sys::set_death_signal(libc::SIGKILL).is_err()
        || sys::has_ended(relay.as_fd())
        || sys::scrub_arguments_and_environment().is_err()
    {
        sys::child::exit_now(1);
    }
    sys::set_signal_action(libc::SIGCHLD, true);
    sys::close_from(0);
    sys::sleep_forever()
}

/// Kills the namespace's init, which ends the namespace, and waits until
/// everything in it is gone.
fn end_init(init: Option<u32>) {
    let Some(init) = init else { return };
    // The init is this process's unreaped child: its pidfd is its own.
    match sys::pidfd_open(init) {
        Ok(fd) => {
            let _ = sys::pidfd_send_signal(fd.as_fd(), libc::SIGKILL);
        }
        Err(_) => sys::kill_child(init, libc::SIGKILL),
    }
    let _ = sys::wait_child(init as libc::pid_t, 0);
}

impl Relay {
    /// Relays signals until the command ends, then ends what it left (see
    /// the [module docs](self)); the command's raw wait status.
    ///
    /// Closes every descriptor of this process first. Async-signal-safe.
    pub fn wait(self) -> i32 {
        sys::close_from(0);
        let all = sys::all_signals();
        let mut ending = false;
        let status = loop {
            if let Some(status) = self.reap() {
                break status;
            }
            let Ok(taken) = sys::wait_signal(&all) else {
                continue;
            };
            if taken.sig == libc::SIGCHLD {
                continue;
            }
            if self.own_group {
                let again = ENDING.contains(&taken.sig) && ending;
                ending |= ENDING.contains(&taken.sig);
                let sig = if again { libc::SIGKILL } else { taken.sig };
                sys::kill_group(self.command, sig);
            } else if taken.sent {
                sys::kill_child(self.command, taken.sig);
            }
        };
        if self.init.is_some() {
            end_init(self.init);
        } else {
            sweep();
        }
        // Anything else ended meanwhile.
        while let Ok(Some(_)) = sys::wait_child(-1, libc::WNOHANG) {}
        status
    }

    /// [`wait`](Relay::wait), then ends this process as the command ended.
    pub fn run(self) -> ! {
        sys::end_like(self.wait())
    }

    /// Reaps what has ended; the command's status once it has.
    fn reap(&self) -> Option<i32> {
        let mut status = None;
        while let Ok(Some((pid, st))) = sys::wait_child(-1, libc::WNOHANG) {
            if pid == self.command {
                status = Some(st);
            }
        }
        status
    }
}

/// As a subreaper: kills this process's children through pidfds and reaps
/// them, until none is left (the children of each one killed become this
/// process's in turn). Needs `/proc/thread-self/children`; without it, only
/// what has already ended is reaped.
fn sweep() {
    let mut buf = [0u8; 4096];
    loop {
        let Ok(len) = sys::read_file(c"/proc/thread-self/children", &mut buf) else {
            return;
        };
        for pid in buf[..len]
            .split(|b| !b.is_ascii_digit())
            .filter_map(parse_pid)
        {
            // An unreaped child of this process: the pid is still its own.
            if let Ok(fd) = sys::pidfd_open(pid) {
                let _ = sys::pidfd_send_signal(fd.as_fd(), libc::SIGKILL);
            }
        }
        match sys::wait_child(-1, 0) {
            Ok(_) => {}
            Err(_) => return,
        }
    }
}

/// A pid written in decimal; `None` for an empty or overlong one.
fn parse_pid(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    Some(
        digits
            .iter()
            .fold(0u32, |n, d| n * 10 + u32::from(d - b'0')),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_round_trip() {
        let mut seen = Vec::new();
        for l in [
            Lifetime::Unbounded,
            Lifetime::Subreaper,
            Lifetime::PidNamespace {
                user_namespace: false,
                own_proc: false,
            },
            Lifetime::PidNamespace {
                user_namespace: true,
                own_proc: false,
            },
            Lifetime::PidNamespace {
                user_namespace: false,
                own_proc: true,
            },
            Lifetime::PidNamespace {
                user_namespace: true,
                own_proc: true,
            },
        ] {
            assert_eq!(Lifetime::from_note(l.note()), l);
            assert!(!seen.contains(&l.note()), "{l:?}");
            seen.push(l.note());
        }
        assert_eq!(Lifetime::from_note(99), Lifetime::Unbounded);
    }

    #[test]
    fn pids_are_read_from_the_children_file() {
        let line = b"12 345 6789012 ";
        let pids: Vec<u32> = line
            .split(|b| !b.is_ascii_digit())
            .filter_map(parse_pid)
            .collect();
        assert_eq!(pids, [12, 345, 6_789_012]);
        assert_eq!(parse_pid(b"1234567890"), None);
    }

    #[test]
    fn a_map_line_is_id_id_1() {
        for (id, want) in [
            (0, "0 0 1\n"),
            (65534, "65534 65534 1\n"),
            (u32::MAX, "4294967295 4294967295 1\n"),
        ] {
            let (line, len) = map_line(id);
            assert_eq!(&line[..len], want.as_bytes());
        }
    }
}
