//! What a supervisor reports: each denied call ([`Denial`]), how it was
//! answered ([`Answer`]) and which caps would allow it ([`AllowedBy`]), the
//! counts per syscall ([`CallCount`], in `calls`), the whole [`Report`],
//! and how the command ended ([`Ending`]).

use core::fmt;
use std::os::unix::process::ExitStatusExt as _;
use std::process::ExitStatus;

use super::{CallCount, FileSeen, Learned, Lifetime, Mode, PortSeen};
use crate::arch::Arch;
use crate::domain::Enforced;
use crate::install::Errno;
use crate::notify::{NotifyError, Program};

/// Which caps of the policy would allow a call.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AllowedBy {
    /// The grant allows it (a call the supervisor is asked about only when
    /// a rule says to notify).
    Granted,
    /// Each of these caps, granted in addition, would allow it.
    Caps {
        /// The caps as a mask (bit `i` is the policy's `cap_names[i]`).
        bits: u64,
        /// Their names, in bit order.
        names: Vec<String>,
    },
    /// No cap of the policy allows this syscall on this architecture.
    NoCap,
    /// A rule allows this syscall, but not with these arguments (policies
    /// with argument conditions).
    OtherArguments,
    /// It came through an entry point the filter refuses whatever the caps:
    /// another architecture's (i386 `int 0x80` on x86_64) or x32's.
    ForeignEntry,
}

impl fmt::Display for AllowedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllowedBy::Granted => f.write_str("granted"),
            AllowedBy::Caps { names, .. } => {
                f.write_str(if names.len() == 1 {
                    "allowed by cap "
                } else {
                    "allowed by caps "
                })?;
                write_alternatives(f, names)
            }
            AllowedBy::NoCap => f.write_str("no cap allows it"),
            AllowedBy::OtherArguments => f.write_str("allowed only with other arguments"),
            AllowedBy::ForeignEntry => {
                f.write_str("another architecture's entry point, refused for every cap")
            }
        }
    }
}

/// `A`, `A or B`, `A, B or C`.
pub(super) fn write_alternatives<S: AsRef<str>>(
    f: &mut fmt::Formatter<'_>,
    names: &[S],
) -> fmt::Result {
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            f.write_str(if i + 1 == names.len() { " or " } else { ", " })?;
        }
        f.write_str(n.as_ref())?;
    }
    Ok(())
}

/// How the supervisor answered a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Its process was killed (`SIGKILL`) while the call waited: the call
    /// did not run.
    Killed,
    /// It failed with this errno without running.
    Errno(Errno),
    /// It ran (learn mode, or a call within the grant).
    Continued,
    /// Its thread ended, or a signal interrupted the call, before the
    /// answer: the call did not run (an interrupted call is restarted and
    /// asked about again).
    Gone,
    /// The process could not be killed alone (the error): the supervisor
    /// killed the command's tree instead (see [`Report::killed_tree`]) and
    /// failed the call with `EPERM`; it did not run.
    KillFailed(NotifyError),
    /// The answer could not be delivered (the error): the call waited,
    /// without running, and the supervisor killed the command's tree.
    Undelivered(NotifyError),
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Killed => f.write_str("killed its process; the call did not run"),
            Answer::Errno(e) => write!(f, "failed with {e} without running"),
            Answer::Continued => f.write_str("continued: the call ran"),
            Answer::Gone => f.write_str("its thread ended before the answer; the call did not run"),
            Answer::KillFailed(e) => write!(
                f,
                "could not kill its process ({}); killed the command's tree and failed \
                 the call with EPERM; it did not run",
                crate::tool::chain(e)
            ),
            Answer::Undelivered(e) => write!(
                f,
                "could not answer ({}); killed the command's tree; the call did not run",
                crate::tool::chain(e)
            ),
        }
    }
}

/// A call outside the grant, as the supervisor saw and answered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// The calling thread's id.
    pub tid: u32,
    /// Its process id; `None` if the thread was gone before it could be
    /// read (its id may already be another's, so nothing is attributed),
    /// or could not be read ([`unread`](Denial::unread)).
    pub pid: Option<u32>,
    /// What the process runs (`/proc/PID/exe`, or `comm`); `None` as for
    /// `pid`.
    pub program: Option<Program>,
    /// Why the process could not be read though its thread was still
    /// there: a failure of the supervisor's (also in [`Report::error`]).
    pub unread: Option<NotifyError>,
    /// The entry point's architecture, if supported.
    pub arch: Option<Arch>,
    /// The entry point's `AUDIT_ARCH_*` value.
    pub audit_arch: u32,
    /// The syscall number.
    pub nr: i32,
    /// Its name on `arch`, if known.
    pub name: Option<&'static str>,
    /// The six arguments.
    pub args: [u64; 6],
    /// Which caps would allow it.
    pub allowed_by: AllowedBy,
    /// The answer given.
    pub answer: Answer,
}

impl Denial {
    /// The syscall's name, or `syscall N` when unknown.
    pub fn syscall(&self) -> String {
        syscall_label(self.name, self.nr)
    }
}

pub(super) fn syscall_label(name: Option<&str>, nr: i32) -> String {
    match name {
        Some(n) => n.to_owned(),
        None => format!("syscall {nr:#x}"),
    }
}

/// An argument: decimal when small, hex otherwise.
struct Arg(u64);

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 0x1_0000 {
            write!(f, "{}", self.0)
        } else if self.0 > u64::MAX - 0x1_0000 {
            write!(f, "-{}", self.0.wrapping_neg())
        } else {
            write!(f, "{:#x}", self.0)
        }
    }
}

impl fmt::Display for Denial {
    /// `/usr/bin/wc [pid 4260]: fadvise64(3, 0, 0, 2, 0, 0) on x86_64: no
    /// cap allows it; killed its process; the call did not run`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.program, self.pid) {
            (Some(p), Some(pid)) if pid == self.tid => write!(f, "{p} [pid {pid}]")?,
            (Some(p), Some(pid)) => write!(f, "{p} [pid {pid}, thread {}]", self.tid)?,
            _ if self.unread.is_some() => {
                if let Some(e) = self.unread {
                    let e = crate::tool::chain(&e);
                    write!(f, "thread {}, its process unread ({e})", self.tid)?;
                }
            }
            _ => write!(
                f,
                "a thread gone before it could be read [was {}]",
                self.tid
            )?,
        }
        write!(f, ": {}(", self.syscall())?;
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}", Arg(*a))?;
        }
        f.write_str(") on ")?;
        match self.arch {
            Some(a) => f.write_str(a.name())?,
            None => write!(f, "AUDIT_ARCH {:#x}", self.audit_arch)?,
        }
        write!(f, ": {}; {}", self.allowed_by, self.answer)
    }
}

/// What a supervisor saw, when it has finished.
#[derive(Clone, Debug)]
pub struct Report {
    /// How it answered.
    pub mode: Mode,
    /// The policy file.
    pub policy_file: String,
    /// The caps granted.
    pub granted: Vec<String>,
    /// The pid of the command it supervised, in this process's pid
    /// namespace (with [`Supervisor::end_with_command`](super::Supervisor::end_with_command),
    /// not the spawned relay's).
    pub pid: u32,
    /// Every denied call in the order answered (learn mode: the first call
    /// of each syscall), up to the limit set with
    /// [`Supervisor::max_denials`](super::Supervisor::max_denials).
    pub denials: Vec<Denial>,
    /// Denials past the limit, counted but not kept.
    pub denials_dropped: u64,
    /// Each syscall outside the grant, in order of first call, with counts.
    pub calls: Vec<CallCount>,
    /// Notifications received (the handshake not counted). Each is
    /// answered, gone, or left unanswered by a failure
    /// ([`Answer::Undelivered`]).
    pub notifications: u64,
    /// Notifications answered (a reply or a kill delivered).
    pub answered: u64,
    /// Notifications whose thread was gone before the answer.
    pub gone: u64,
    /// Notifications that vanished between `poll` and receiving them (their
    /// thread was killed).
    pub vanished: u64,
    /// The supervisor's first failure of its own, if it had one: an
    /// operation it needed that the kernel refused, with the errno (a
    /// `/proc` file or a pidfd it could not open, an answer it could not
    /// deliver, a wait or a receive that failed). A supervised run with an
    /// error has failed, whatever the command's status: a call was not
    /// named, or the command's tree was killed
    /// ([`killed_tree`](Report::killed_tree)) because a call could not be
    /// answered as the policy says. Every call it could not answer as the
    /// policy says still did not run.
    pub error: Option<NotifyError>,
    /// How many of the supervisor's operations failed (see
    /// [`error`](Report::error)).
    pub failures: u64,
    /// Whether the supervisor killed the command (and its process group,
    /// when it leads one) because it could not answer a call as the policy
    /// says.
    pub killed_tree: bool,
    /// Learn mode: each path the command reached beyond its grant's `fs`
    /// tables, once per path and access, in order of first call, up to
    /// [`MAX_FILES`](super::files::MAX_FILES) (see [`files`](super::files)).
    pub files: Vec<FileSeen>,
    /// Paths beyond the grant past that limit, counted but not kept.
    pub files_dropped: u64,
    /// Paths of calls the supervisor could not read (the caller's memory
    /// or `/proc` entries), so could not compare with the grant.
    pub files_unread: u64,
    /// Learn mode: notifications of calls within the grant that the
    /// program sent only so that their paths could be read (counted in
    /// [`notifications`](Report::notifications) and
    /// [`answered`](Report::answered) too).
    pub files_notified: u64,
    /// Learn mode: each TCP port the command reached beyond its grant's
    /// `net` tables, once per port and access, in order of first call, up
    /// to [`MAX_PORTS`](super::ports::MAX_PORTS) (see
    /// [`ports`](super::ports)). Notifications sent only for a port are
    /// counted in [`files_notified`](Report::files_notified).
    pub ports: Vec<PortSeen>,
    /// Ports beyond the grant past that limit, counted but not kept.
    pub ports_dropped: u64,
    /// `connect` and `bind` calls whose address or socket the supervisor
    /// could not read, so could not compare with the grant.
    pub ports_unread: u64,
    /// What the command's Landlock domain enforced.
    pub landlock: Enforced,
    /// What ended the processes the command left behind (see
    /// [`Supervisor::end_with_command`](super::Supervisor::end_with_command)).
    pub lifetime: Lifetime,
}

impl Report {
    /// A report of nothing seen yet: of a command `pid` run in `mode`
    /// under `policy_file` with the caps `granted`, in the Landlock domain
    /// `landlock`, its tree held as `lifetime` says. The supervisor starts
    /// from it and adds what it answers.
    pub fn new(
        mode: Mode,
        policy_file: String,
        granted: Vec<String>,
        pid: u32,
        landlock: Enforced,
        lifetime: Lifetime,
    ) -> Report {
        Report {
            mode,
            policy_file,
            granted,
            pid,
            denials: Vec::new(),
            denials_dropped: 0,
            calls: Vec::new(),
            notifications: 0,
            answered: 0,
            gone: 0,
            vanished: 0,
            error: None,
            failures: 0,
            killed_tree: false,
            files: Vec::new(),
            files_dropped: 0,
            files_unread: 0,
            files_notified: 0,
            ports: Vec::new(),
            ports_dropped: 0,
            ports_unread: 0,
            landlock,
            lifetime,
        }
    }
}

impl Report {
    /// How the supervised command (process `pid`, which ended with
    /// `status`) ended, with the policy's kills told apart from other
    /// deaths: a `SIGKILL` the supervisor delivered for a denied call is
    /// [`Ending::KilledByPolicy`]; any other signal, `SIGSYS` included
    /// (the supervised program never raises it), is [`Ending::Signaled`].
    pub fn ending(&self, pid: u32, status: ExitStatus) -> Ending<'_> {
        if let Some(code) = status.code() {
            return Ending::Exited(code);
        }
        match status.signal() {
            Some(libc::SIGKILL) => {
                match self
                    .denials
                    .iter()
                    .find(|d| d.pid == Some(pid) && d.answer == Answer::Killed)
                {
                    Some(d) => Ending::KilledByPolicy(d),
                    None => Ending::Signaled(libc::SIGKILL),
                }
            }
            Some(sig) => Ending::Signaled(sig),
            None => Ending::Other(status.into_raw()),
        }
    }

    /// What the command needed beyond its grant, grouped by the caps that
    /// grant it (see [`Learned`]).
    pub fn learned(&self) -> Learned<'_> {
        Learned::new(self)
    }

    /// Denials whose process is `pid`.
    pub fn denials_of(&self, pid: u32) -> impl Iterator<Item = &Denial> {
        self.denials.iter().filter(move |d| d.pid == Some(pid))
    }

    /// The count of syscall `name` (on any entry point).
    pub fn count_of(&self, name: &str) -> u64 {
        self.calls
            .iter()
            .filter(|c| c.name == Some(name))
            .map(|c| c.count)
            .sum()
    }
}

/// How a supervised command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending<'a> {
    /// It exited with this status code.
    Exited(i32),
    /// The supervisor killed it for this call.
    KilledByPolicy(&'a Denial),
    /// A signal killed it, not the policy.
    Signaled(i32),
    /// A wait status that is none of the above.
    Other(i32),
}

impl fmt::Display for Ending<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ending::Exited(code) => write!(f, "exited with status {code}"),
            Ending::KilledByPolicy(d) => {
                write!(
                    f,
                    "killed by the policy at `{}` ({})",
                    d.syscall(),
                    d.allowed_by
                )
            }
            Ending::Signaled(sig) if *sig == libc::SIGSYS => f.write_str(
                "killed by SIGSYS (signal 31), not by the policy: the supervisor denied none \
                 of its calls, so a process sent it",
            ),
            Ending::Signaled(sig) => write!(
                f,
                "killed by {} (signal {sig})",
                crate::spawn::signal_name(*sig).unwrap_or("a signal")
            ),
            Ending::Other(raw) => write!(f, "stopped or continued (wait status {raw:#x})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Op;
    use crate::supervise::ArgsSeen;

    fn caps(names: &[&'static str]) -> AllowedBy {
        AllowedBy::Caps {
            bits: (1u64 << names.len()) - 1,
            names: names.iter().map(|n| (*n).to_owned()).collect(),
        }
    }

    /// `wc` killed for `fadvise64`, as in the [`Denial`] docs.
    fn fadvise(pid: u32) -> Denial {
        Denial {
            tid: pid,
            pid: Some(pid),
            program: Some(Program::Exe("/usr/bin/wc".to_owned())),
            unread: None,
            arch: Some(Arch::X86_64),
            audit_arch: Arch::X86_64.audit_arch(),
            nr: 221,
            name: Some("fadvise64"),
            args: [3, 0, 0, 2, 0, 0],
            allowed_by: AllowedBy::NoCap,
            answer: Answer::Killed,
        }
    }

    fn call(arch: Arch, name: Option<&'static str>, nr: i32, count: u64) -> CallCount {
        CallCount {
            arch: Some(arch),
            audit_arch: arch.audit_arch(),
            nr,
            name,
            count,
            first: None,
            allowed_by: AllowedBy::NoCap,
            killed: 0,
            refused: 0,
            errno: None,
            refused_seen: ArgsSeen::default(),
            seen: ArgsSeen::default(),
            caps_every: 0,
        }
    }

    fn report(denials: Vec<Denial>, calls: Vec<CallCount>) -> Report {
        Report {
            denials,
            calls,
            ..Report::new(
                Mode::Enforce,
                "policy/seccomp.toml".to_owned(),
                Vec::new(),
                10,
                Enforced::NONE,
                Lifetime::Unbounded,
            )
        }
    }

    #[test]
    fn allowed_by_display() {
        let shown = |a: AllowedBy| a.to_string();
        assert_eq!(shown(AllowedBy::Granted), "granted");
        assert_eq!(shown(caps(&["SSRF"])), "allowed by cap SSRF");
        assert_eq!(
            shown(caps(&["SSRF", "CODE_EXEC"])),
            "allowed by caps SSRF or CODE_EXEC"
        );
        assert_eq!(shown(caps(&["A", "B", "C"])), "allowed by caps A, B or C");
        assert_eq!(shown(AllowedBy::NoCap), "no cap allows it");
        assert_eq!(
            shown(AllowedBy::OtherArguments),
            "allowed only with other arguments"
        );
        assert_eq!(
            shown(AllowedBy::ForeignEntry),
            "another architecture's entry point, refused for every cap"
        );
    }

    #[test]
    fn answer_display() {
        let shown = |a: Answer| a.to_string();
        assert_eq!(
            shown(Answer::Killed),
            "killed its process; the call did not run"
        );
        assert_eq!(
            shown(Answer::Errno(Errno(libc::EPERM))),
            "failed with EPERM (1) without running"
        );
        assert_eq!(shown(Answer::Continued), "continued: the call ran");
        assert_eq!(
            shown(Answer::Gone),
            "its thread ended before the answer; the call did not run"
        );
        let refused = NotifyError::Failed {
            op: Op::PidfdOpen,
            errno: Errno(libc::EPERM),
        };
        assert_eq!(
            shown(Answer::KillFailed(refused)),
            "could not kill its process (pidfd_open failed: EPERM (1)); killed the \
             command's tree and failed the call with EPERM; it did not run"
        );
        let undelivered = NotifyError::Failed {
            op: Op::Send,
            errno: Errno(libc::EBADF),
        };
        assert_eq!(
            shown(Answer::Undelivered(undelivered)),
            "could not answer (SECCOMP_IOCTL_NOTIF_SEND failed: EBADF (9)); killed the \
             command's tree; the call did not run"
        );
    }

    #[test]
    fn denial_display() {
        assert_eq!(
            fadvise(4260).to_string(),
            "/usr/bin/wc [pid 4260]: fadvise64(3, 0, 0, 2, 0, 0) on x86_64: \
             no cap allows it; killed its process; the call did not run"
        );

        let mut other_thread = fadvise(4260);
        other_thread.tid = 4261;
        other_thread.program = Some(Program::Comm("wc".to_owned()));
        other_thread.allowed_by = caps(&["SSRF"]);
        other_thread.answer = Answer::Errno(Errno(libc::EACCES));
        assert_eq!(
            other_thread.to_string(),
            "[wc] [pid 4260, thread 4261]: fadvise64(3, 0, 0, 2, 0, 0) on x86_64: \
             allowed by cap SSRF; failed with EACCES (13) without running"
        );

        // Unknown to the supervisor: the thread, the architecture and the
        // syscall. Arguments: decimal below 0x10000, negative within
        // 0x10000 of 2^64, hex between.
        let unknown = Denial {
            tid: 7,
            pid: None,
            program: None,
            unread: None,
            arch: None,
            audit_arch: 0x4000_003e,
            nr: 0x1234,
            name: None,
            args: [
                0xffff,
                0x1_0000,
                u64::MAX,
                u64::MAX - 0xffff,
                u64::MAX - 0x1_0000,
                0x7fff_0000_1000,
            ],
            allowed_by: AllowedBy::ForeignEntry,
            answer: Answer::Gone,
        };
        assert_eq!(unknown.syscall(), "syscall 0x1234");
        assert_eq!(
            unknown.to_string(),
            "a thread gone before it could be read [was 7]: \
             syscall 0x1234(65535, 0x10000, -1, -65536, 0xfffffffffffeffff, 0x7fff00001000) \
             on AUDIT_ARCH 0x4000003e: another architecture's entry point, refused for every \
             cap; its thread ended before the answer; the call did not run"
        );

        // There, but the supervisor could not read it: not passed off as gone.
        let mut unread = fadvise(4260);
        unread.tid = 4262;
        unread.pid = None;
        unread.program = None;
        unread.unread = Some(NotifyError::Failed {
            op: Op::ProcStatus,
            errno: Errno(libc::EMFILE),
        });
        unread.answer = Answer::Errno(Errno(libc::EPERM));
        assert_eq!(
            unread.to_string(),
            "thread 4262, its process unread (reading /proc/TID/status failed: EMFILE (24)): \
             fadvise64(3, 0, 0, 2, 0, 0) on x86_64: no cap allows it; failed with EPERM (1) \
             without running"
        );
    }

    fn caps_bits(bits: u64, names: &[&str]) -> AllowedBy {
        AllowedBy::Caps {
            bits,
            names: names.iter().map(|n| (*n).to_owned()).collect(),
        }
    }

    #[test]
    fn args_seen_keeps_distinct_lists_and_values_bounded() {
        let mut seen = ArgsSeen::default();
        seen.add(&[1, 2, 0, 0, 0, 0]);
        seen.add(&[1, 2, 0, 0, 0, 0]);
        seen.add(&[10, 2, 0, 0, 0, 0]);
        assert_eq!(seen.calls, 3);
        assert_eq!(seen.lists, [[1, 2, 0, 0, 0, 0], [10, 2, 0, 0, 0, 0]]);
        assert_eq!(seen.values[0], [1, 10]);
        assert_eq!(seen.values[1], [2]);
        assert!(seen.complete());
        for i in 0..100u64 {
            seen.add(&[i, 2, 0, 0, 0, 0]);
        }
        assert_eq!(seen.lists.len(), ArgsSeen::MAX_LISTS);
        assert!(!seen.complete());
        assert_eq!(seen.values[0].len(), ArgsSeen::MAX_VALUES);
        assert!(seen.many[0] && !seen.many[1]);

        // Refused calls are counted apart; the caps that allow every
        // other call are their intersection.
        let mut c = call(Arch::X86_64, Some("socket"), 41, 0);
        c.add(
            Some(Errno(libc::EPERM)),
            true,
            &[1, 1, 0, 0, 0, 0],
            &AllowedBy::NoCap,
        );
        assert!(!c.needed());
        let bc = caps_bits(0b110, &["B", "C"]);
        c.add(None, false, &[2, 1, 0, 0, 0, 0], &bc);
        let ab = caps_bits(0b011, &["A", "B"]);
        c.add(Some(Errno(libc::EPERM)), false, &[10, 1, 0, 0, 0, 0], &ab);
        // The names come from the first call that ran, not the refused one.
        assert_eq!(c.allowed_by, bc);
        assert_eq!((c.count, c.refused, c.seen.calls, c.killed), (3, 1, 2, 1));
        assert_eq!(c.errno, Some(Errno(libc::EPERM)));
        assert_eq!(c.refused_seen.lists, [[1, 1, 0, 0, 0, 0]]);
        assert_eq!(c.caps_every, 0b010);
        assert!(c.needed());
    }

    /// Learned groups what ran by the caps that allow every call of it,
    /// lists refusals apart, and says which calls would have been killed.
    #[test]
    fn learned_tells_refusals_from_kills_and_caps_from_rules() {
        let eperm = Some(Errno(libc::EPERM));
        // clone: refused with EPERM by the policy, but cap B allows it: it ran.
        let mut clone = call(Arch::X86_64, Some("clone"), 56, 0);
        clone.add(
            eperm,
            false,
            &[0x11, 0, 0, 0, 0, 0],
            &caps_bits(0b10, &["B"]),
        );
        // socket: refused, no cap allows it: the command went on.
        let mut socket = call(Arch::X86_64, Some("socket"), 41, 0);
        socket.add(eperm, true, &[1, 1, 0, 0, 0, 0], &AllowedBy::OtherArguments);
        // mkdir: killed; A and B each allow the first call, only A both.
        // Its first call was refused and allowed by no cap: the names are
        // the first call's that ran.
        let mut mkdir = call(Arch::X86_64, Some("mkdir"), 83, 0);
        mkdir.add(eperm, true, &[0, 0, 0, 0, 0, 0], &AllowedBy::NoCap);
        mkdir.add(
            None,
            false,
            &[1, 0o755, 0, 0, 0, 0],
            &caps_bits(0b11, &["A", "B"]),
        );
        mkdir.add(
            None,
            false,
            &[2, 0o700, 0, 0, 0, 0],
            &caps_bits(0b01, &["A"]),
        );
        // sync: killed, in no cap.
        let mut sync = call(Arch::X86_64, Some("sync"), 162, 0);
        sync.add(None, false, &[0; 6], &AllowedBy::NoCap);
        let r = report(Vec::new(), vec![clone, socket, mkdir, sync]);
        let learned = r.learned();
        let groups: Vec<(Vec<&str>, Vec<String>)> = learned
            .by_caps
            .iter()
            .map(|(caps, calls)| (caps.clone(), calls.iter().map(|c| c.syscall()).collect()))
            .collect();
        assert_eq!(
            groups,
            [
                (vec!["A"], vec!["mkdir".to_owned()]),
                (vec!["B"], vec!["clone".to_owned()])
            ]
        );
        assert_eq!(learned.caps_to_grant, ["A", "B"]);
        let names = |v: &[&CallCount]| v.iter().map(|c| c.syscall()).collect::<Vec<_>>();
        assert_eq!(names(&learned.no_cap), ["sync"]);
        assert_eq!(names(&learned.refused), ["socket"]);
        assert_eq!(names(&learned.would_be_killed()), ["mkdir", "sync"]);
        let text = learned.to_string();
        assert!(
            text.contains(
                "  refused with an errno, as the policy says and no cap allows; the command \
                 went on:\n    socket                 1 call   first: (every caller ended before \
                 it could be read)  EPERM (1)\n"
            ),
            "{text}"
        );
        assert!(text.contains("EPERM (1) without it\n"), "{text}");
    }

    #[test]
    fn syscall_labels() {
        assert_eq!(fadvise(1).syscall(), "fadvise64");
        let negative = call(Arch::X86_64, None, -1, 1);
        assert_eq!(negative.syscall(), "syscall 0xffffffff");
        assert_eq!(
            call(Arch::X86_64, Some("socket"), 41, 1).syscall(),
            "socket"
        );
    }

    #[test]
    fn ending_display() {
        let denial = fadvise(4260);
        let cases = [
            (Ending::Exited(0), "exited with status 0"),
            (Ending::Exited(3), "exited with status 3"),
            (Ending::Exited(300), "exited with status 300"),
            (Ending::Exited(-1), "exited with status -1"),
            (
                Ending::KilledByPolicy(&denial),
                "killed by the policy at `fadvise64` (no cap allows it)",
            ),
            (
                Ending::Signaled(libc::SIGKILL),
                "killed by SIGKILL (signal 9)",
            ),
            (
                Ending::Signaled(libc::SIGTERM),
                "killed by SIGTERM (signal 15)",
            ),
            (Ending::Signaled(64), "killed by a signal (signal 64)"),
            (Ending::Signaled(200), "killed by a signal (signal 200)"),
            (
                Ending::Other(0x137f),
                "stopped or continued (wait status 0x137f)",
            ),
        ];
        for (ending, text) in cases {
            assert_eq!(ending.to_string(), text, "{ending:?}");
        }
        assert_eq!(
            Ending::Signaled(libc::SIGSYS).to_string(),
            "killed by SIGSYS (signal 31), not by the policy: the supervisor denied none \
             of its calls, so a process sent it"
        );
    }

    #[test]
    fn ending_tells_the_policys_kills_apart() {
        let r = report(vec![fadvise(10)], Vec::new());
        // Wait statuses: an exit code in bits 8..16, a signal in the low 7.
        let exited = ExitStatus::from_raw(3 << 8);
        let killed = ExitStatus::from_raw(libc::SIGKILL);
        let terminated = ExitStatus::from_raw(libc::SIGTERM);
        assert_eq!(r.ending(10, exited), Ending::Exited(3));
        assert_eq!(r.ending(10, killed), Ending::KilledByPolicy(&r.denials[0]));
        // A SIGKILL the supervisor did not deliver to this process.
        assert_eq!(r.ending(11, killed), Ending::Signaled(libc::SIGKILL));
        assert_eq!(r.ending(10, terminated), Ending::Signaled(libc::SIGTERM));

        let mut refused = fadvise(10);
        refused.answer = Answer::Errno(Errno(libc::EPERM));
        let r = report(vec![refused], Vec::new());
        assert_eq!(r.ending(10, killed), Ending::Signaled(libc::SIGKILL));
    }

    #[test]
    fn counts_and_denials_by_process() {
        let mut gone = fadvise(10);
        gone.pid = None;
        gone.program = None;
        let r = report(
            vec![fadvise(10), fadvise(11), fadvise(10), gone],
            vec![
                call(Arch::X86_64, Some("socket"), 41, 2),
                call(Arch::X86, Some("socket"), 359, 3),
                call(Arch::X86_64, Some("fadvise64"), 221, 1),
                call(Arch::X86_64, None, 999, 4),
            ],
        );
        assert_eq!(r.count_of("socket"), 5);
        assert_eq!(r.count_of("fadvise64"), 1);
        assert_eq!(r.count_of("open"), 0);
        assert_eq!(r.count_of("syscall 0x3e7"), 0);

        // Process 10's two denials; not the one whose thread id was 10 but
        // whose process could not be read.
        let of_10: Vec<&Denial> = r.denials_of(10).collect();
        assert_eq!(of_10, [&r.denials[0], &r.denials[2]]);
        assert_eq!(r.denials_of(11).count(), 1);
        assert_eq!(r.denials_of(12).count(), 0);
    }
}
