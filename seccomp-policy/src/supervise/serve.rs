//! The supervisor thread: it takes the child's listener over, then answers
//! each call the filter sends it as the policy says and records it in the
//! [`Report`], until no process uses the filter or
//! [`Supervision::finish`] stops it.
//!
//! It fails closed. What it needs to wait and to kill is made before the
//! command runs (an epoll instance, which a lowered `RLIMIT_NOFILE` cannot
//! take away as it can `poll`; the handoff's pidfd for the command), so a
//! payload that starves it of descriptors cannot stop it. When an
//! operation still fails (a `/proc` file or a pidfd it cannot open, an
//! answer it cannot deliver, a wait or a receive that fails), the failure
//! and its errno go in the [`Report`] ([`Report::error`], which makes a
//! supervised run fail), and:
//!
//! - a call it cannot name is still answered as the policy says;
//! - a kill it cannot carry out kills the command's whole tree instead,
//!   and the call is failed with `EPERM`: it never runs;
//! - when it cannot answer at all (the answer, the wait or the receive
//!   failed, or the thread panicked), it kills the tree.

use std::collections::HashMap;
use std::os::fd::{AsFd, OwnedFd};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::model::{PolicyAction, Verdicts};
use super::{
    AllowedBy, Answer, ArgsSeen, CallCount, Denial, FileAccess, Mode, PortAccess, Report,
    SuperviseError, Supervisor,
};
use crate::arch::Arch;
use crate::install::Errno;
use crate::notify::{
    Attached, Handoff, Listener, Notification, NotifyError, Op, ProcessInfo, Readiness, Response,
};
use crate::sys::{kill_group, pidfd_send_signal, pipe, Epoll};

/// The epoll token of the listener.
const LISTENER: u64 = 0;
/// The epoll token of the stop pipe.
const STOP: u64 = 1;

impl Supervisor {
    /// Starts the supervisor thread, which waits for the child's listener
    /// from `parent` and then supervises it. The pipe made here stops it.
    pub(super) fn start(self, parent: Handoff) -> Result<Supervision, SuperviseError> {
        let (stop_read, stop_write) = pipe().map_err(|errno| SuperviseError::Setup {
            what: "pipe",
            errno,
        })?;
        // Made before the command runs: waiting on it needs no descriptor
        // or room under RLIMIT_NOFILE later (see the module docs).
        let waiter = Waiter::new(stop_read.as_fd())
            .map_err(|(what, errno)| SuperviseError::Setup { what, errno })?;
        let timeout = self.timeout;
        let thread = std::thread::Builder::new()
            .name("seccomp-supervisor".into())
            .spawn(move || {
                let attached = parent
                    .accept(timeout, Some(stop_read.as_fd()))
                    .map_err(SuperviseError::Handoff)?;
                // `stop_read` stays open while the waiter watches it.
                Ok(self.run(attached, &waiter))
            })
            .map_err(|e| SuperviseError::Setup {
                what: "spawning the supervisor thread",
                errno: Errno(e.raw_os_error().unwrap_or(libc::EAGAIN)),
            })?;
        Ok(Supervision {
            thread: Some(thread),
            stop: Some(stop_write),
        })
    }

    /// The supervisor thread once it has the listener: sets it up,
    /// [`serve`](Supervisor::serve)s, and returns the report; a panic
    /// kills the tree and goes on unwinding.
    fn run(mut self, attached: Attached, waiter: &Waiter) -> Report {
        let Attached {
            listener,
            pid,
            pidfd,
            note,
        } = attached;
        if self.sync_wake_up {
            // Before 6.6 the kernel refuses the flag; wake-ups then cross CPUs.
            let _ = listener.set_sync_wake_up();
        }
        let mut state = State {
            report: Report::new(
                self.mode,
                self.model.file().to_owned(),
                self.model.granted(),
                pid,
                self.landlock,
                super::Lifetime::from_note(note),
            ),
            index: HashMap::new(),
            file_index: HashMap::new(),
            port_index: HashMap::new(),
            tree: Tree {
                pidfd,
                group: self.new_session.then_some(pid),
            },
        };
        if let Err(e) = waiter.watch(&listener) {
            state.fail(e, Kill::Tree);
            return state.report;
        }
        // A panic (an `on_denial` callback's) would close the listener as
        // it unwinds, and the kernel would then let every call waiting or
        // still to come fail with ENOSYS and go on: kill the tree first.
        let model = self.model.clone();
        let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            model.with_verdicts(|verdicts| self.serve(&listener, waiter, &mut state, verdicts));
        }));
        if let Err(panic) = served {
            state.tree.kill();
            drop(listener);
            std::panic::resume_unwind(panic);
        }
        // Closing the listener makes calls still sent to it fail with ENOSYS.
        drop(listener);
        state.report
    }

    /// Answers notifications until no process uses the filter, or the stop
    /// pipe is readable (then what is pending is answered first), or it
    /// can no longer answer (then the tree is killed).
    fn serve(
        &mut self,
        listener: &Listener,
        waiter: &Waiter,
        state: &mut State,
        verdicts: &Verdicts<'_>,
    ) {
        loop {
            match waiter.wait(-1) {
                Ok(Readiness::Pending) => {
                    if let Err(e) = self.handle(listener, state, verdicts) {
                        state.fail(e, Kill::Tree);
                        break;
                    }
                }
                Ok(Readiness::Unused) => break,
                Ok(Readiness::Other) => {
                    // Answer what is pending now, for at most a second.
                    let until = Instant::now() + Duration::from_secs(1);
                    while Instant::now() < until && waiter.wait(0) == Ok(Readiness::Pending) {
                        if let Err(e) = self.handle(listener, state, verdicts) {
                            state.fail(e, Kill::Tree);
                            break;
                        }
                    }
                    break;
                }
                Ok(Readiness::Idle) => {}
                Err(e) => {
                    state.fail(e, Kill::Tree);
                    break;
                }
            }
        }
    }

    /// Receives and answers one notification. An error is the listener's
    /// (the receive failed): it can answer nothing more.
    fn handle(
        &mut self,
        listener: &Listener,
        state: &mut State,
        verdicts: &Verdicts<'_>,
    ) -> Result<(), NotifyError> {
        let n = match listener.recv() {
            Ok(n) => n,
            Err(NotifyError::Gone) => {
                state.report.vanished += 1;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        state.report.notifications += 1;
        let verdict = verdicts.verdict(n.audit_arch, n.nr, &n.args);
        // Learn mode: the paths of a call Landlock checks, while it waits;
        // not of one it refuses with an errno, which then never reaches
        // Landlock (nor will under `run`).
        let runs =
            verdict.allowed || refusal(self.mode, verdict.action, &verdict.allowed_by).is_none();
        // `bind` is both: a unix socket's path, or a TCP port.
        let path_call = runs
            && self.files.as_ref().is_some_and(|files| {
                files.see(listener, &mut state.report, &mut state.file_index, &n)
            });
        let port_call = runs
            && self.ports.as_ref().is_some_and(|ports| {
                ports.see(listener, &mut state.report, &mut state.port_index, &n)
            });
        let path_call = path_call || port_call;
        if verdict.allowed {
            if path_call {
                state.report.files_notified += 1;
            }
            // A call within the grant (a rule that notifies): let it run.
            let delivered = listener.respond(n.id, Response::Continue);
            state.count(delivered, Answer::Continued);
            return Ok(());
        }
        let call = self.count_call(state, n, verdict.action, verdict.allowed_by);
        match self.mode {
            Mode::Learn => self.learn_call(listener, state, call),
            Mode::Enforce => self.enforce_call(listener, state, call),
        }
        Ok(())
    }

    /// Names a call outside the grant and counts it in the report, adding
    /// its syscall's [`CallCount`] at the first call.
    fn count_call(
        &self,
        state: &mut State,
        n: Notification,
        action: PolicyAction,
        allowed_by: AllowedBy,
    ) -> Call {
        let arch = Arch::from_audit_arch(n.audit_arch);
        let name = arch.and_then(|a| u32::try_from(n.nr).ok().and_then(|nr| (self.names)(a, nr)));
        let key = (n.audit_arch, n.nr);
        let slot = match state.index.get(&key) {
            Some(&i) => i,
            None => {
                state.report.calls.push(CallCount {
                    arch,
                    audit_arch: n.audit_arch,
                    nr: n.nr,
                    name,
                    count: 0,
                    first: None,
                    allowed_by: allowed_by.clone(),
                    killed: 0,
                    refused: 0,
                    errno: None,
                    refused_seen: ArgsSeen::default(),
                    seen: ArgsSeen::default(),
                    caps_every: 0,
                });
                state.index.insert(key, state.report.calls.len() - 1);
                state.report.calls.len() - 1
            }
        };
        let errno = match action {
            PolicyAction::Errno(e) => Some(Errno(i32::from(e))),
            PolicyAction::KillProcess => None,
        };
        let refused = refusal(self.mode, action, &allowed_by).is_some();
        state.report.calls[slot].add(errno, refused, &n.args, &allowed_by);
        Call {
            n,
            arch,
            name,
            action,
            allowed_by,
            slot,
        }
    }

    /// Learn mode: lets a call run, unless the policy refuses it with an
    /// errno and no cap allows it: that one gets the errno, as when
    /// enforced (see [`refusal`]). The process is read only until one is known for this
    /// syscall, and only that call is recorded: the common case costs two
    /// ioctls.
    fn learn_call(&mut self, listener: &Listener, state: &mut State, call: Call) {
        let read = if state.report.calls[call.slot].first.is_none() {
            Some(state.read_process(listener, &call.n))
        } else {
            None
        };
        let answer = match refusal(Mode::Learn, call.action, &call.allowed_by) {
            Some(errno) => {
                let delivered = listener.respond(call.n.id, Response::Errno(errno));
                state.count(delivered, Answer::Errno(errno))
            }
            None => {
                let delivered = listener.respond(call.n.id, Response::Continue);
                state.count(delivered, Answer::Continued)
            }
        };
        match read {
            Some(Read::Info(info)) => {
                state.report.calls[call.slot].first = Some(info.clone());
                self.record(state, call, Read::Info(info), answer);
            }
            Some(unread @ Read::Unread(_)) => self.record(state, call, unread, answer),
            Some(Read::Gone) | None => {}
        }
    }

    /// Enforce mode: reads who made the call while it waits, answers as
    /// the policy says, and records it.
    fn enforce_call(&mut self, listener: &Listener, state: &mut State, call: Call) {
        let read = state.read_process(listener, &call.n);
        let answer = match &read {
            Read::Gone => {
                state.report.gone += 1;
                Answer::Gone
            }
            Read::Info(info) => answer_by_policy(listener, state, &call, Some(info)),
            Read::Unread(_) => answer_by_policy(listener, state, &call, None),
        };
        if let Read::Info(info) = &read {
            if state.report.calls[call.slot].first.is_none() {
                state.report.calls[call.slot].first = Some(info.clone());
            }
        }
        self.record(state, call, read, answer);
    }

    /// Reports `call` as a [`Denial`]: to the `on_denial` callback, and in
    /// the report up to the limit.
    fn record(&mut self, state: &mut State, call: Call, read: Read, answer: Answer) {
        let (pid, program, unread) = match read {
            Read::Info(i) => (Some(i.pid), Some(i.program), None),
            Read::Unread(e) => (None, None, Some(e)),
            Read::Gone => (None, None, None),
        };
        let denial = Denial {
            tid: call.n.tid,
            pid,
            program,
            unread,
            arch: call.arch,
            audit_arch: call.n.audit_arch,
            nr: call.n.nr,
            name: call.name,
            args: call.n.args,
            allowed_by: call.allowed_by,
            answer,
        };
        if let Some(f) = self.on_denial.as_mut() {
            f(&denial);
        }
        if state.report.denials.len() < self.max_denials {
            state.report.denials.push(denial);
        } else {
            state.report.denials_dropped += 1;
        }
    }
}

/// The errno a call outside the grant is refused with in `mode`, or
/// `None` when it is not refused with one: in enforce mode the policy's
/// errno; in learn mode too, unless a cap allows the call. Learn lets the
/// calls run that its advice (the caps to grant, the rules to add) would
/// let run, and only those: a call it refuses, whatever it advises, gets
/// the errno it will get under `run` (glibc's `clone3` `ENOSYS`, nscd's
/// `socket` `EPERM`), so that the command goes on as it will there.
fn refusal(mode: Mode, action: PolicyAction, allowed_by: &AllowedBy) -> Option<Errno> {
    match action {
        PolicyAction::Errno(_)
            if mode == Mode::Learn && matches!(allowed_by, AllowedBy::Caps { .. }) =>
        {
            None
        }
        PolicyAction::Errno(e) => Some(Errno(i32::from(e))),
        PolicyAction::KillProcess => None,
    }
}

/// Answers `call` as the policy says: with its errno, or by killing the
/// calling process (`info`'s, or the thread's when it could not be read).
/// A kill that fails kills the command's tree instead, and fails the call
/// with `EPERM`: it never runs.
fn answer_by_policy(
    listener: &Listener,
    state: &mut State,
    call: &Call,
    info: Option<&ProcessInfo>,
) -> Answer {
    let n = &call.n;
    match call.action {
        PolicyAction::Errno(e) => {
            let errno = Errno(i32::from(e));
            let r = listener.respond(n.id, Response::Errno(errno));
            state.count(r, Answer::Errno(errno))
        }
        PolicyAction::KillProcess => {
            let target = info.map_or(n.tid, |i| i.pid);
            match listener.kill_process(n, target) {
                Ok(()) => state.count(Ok(()), Answer::Killed),
                Err(NotifyError::Gone) => state.count(Err(NotifyError::Gone), Answer::Killed),
                Err(e) => {
                    // The tree first, so that the caller, if the tree's
                    // kill reaches it, never resumes; then the refusal,
                    // for a caller it does not reach.
                    state.fail(e, Kill::Tree);
                    let r = listener.respond(n.id, Response::Errno(Errno(libc::EPERM)));
                    match state.count(r, Answer::KillFailed(e)) {
                        // Killed with its tree meanwhile.
                        Answer::Gone => Answer::KillFailed(e),
                        answer => answer,
                    }
                }
            }
        }
    }
}

/// A call outside the grant being answered: the notification, its name,
/// what the policy says of it, and its syscall's place in
/// [`Report::calls`].
struct Call {
    n: Notification,
    arch: Option<Arch>,
    name: Option<&'static str>,
    action: PolicyAction,
    allowed_by: AllowedBy,
    slot: usize,
}

/// What reading the calling process from `/proc` gave.
enum Read {
    /// Its process and program.
    Info(ProcessInfo),
    /// The thread was gone (its id may already be another's).
    Gone,
    /// The thread was there, but the supervisor could not read it.
    Unread(NotifyError),
}

/// Whether a failure of the supervisor kills the command's tree.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kill {
    /// It can no longer answer as the policy says: the tree dies.
    Tree,
    /// It answers as the policy says, but cannot name the call.
    No,
}

/// The command's tree, as the supervisor kills it when it cannot answer as
/// the policy says.
struct Tree {
    /// A pidfd for the command, opened by the handoff before it ran.
    pidfd: OwnedFd,
    /// Its process group, when it leads one of its own
    /// ([`Supervisor::new_session`]).
    group: Option<u32>,
}

impl Tree {
    /// Kills the command with `SIGKILL` through its pidfd, which needs no
    /// new descriptor; then, if that worked (the command is not yet
    /// reaped, so its group's id cannot be another group's), its process
    /// group. With [`Supervisor::end_with_command`], the command's end
    /// makes its relay end the rest of its tree (the pid namespace, or
    /// the orphans it reaps). Whether the command was signalled.
    fn kill(&self) -> bool {
        if pidfd_send_signal(self.pidfd.as_fd(), libc::SIGKILL).is_err() {
            return false;
        }
        if let Some(group) = self.group {
            kill_group(group, libc::SIGKILL);
        }
        true
    }
}

/// The report being built, where each syscall's count is, and the tree to
/// kill if the supervisor fails.
struct State {
    report: Report,
    index: HashMap<(u32, i32), usize>,
    /// Where each path and access is in [`Report::files`].
    file_index: HashMap<(String, FileAccess), usize>,
    /// Where each port and access is in [`Report::ports`].
    port_index: HashMap<(u16, PortAccess), usize>,
    tree: Tree,
}

impl State {
    /// Counts a delivery attempt: `answer` if it was delivered, `Gone` if
    /// the thread was gone; any other failure leaves the call waiting,
    /// so the tree is killed ([`Answer::Undelivered`]).
    fn count(&mut self, delivered: Result<(), NotifyError>, answer: Answer) -> Answer {
        match delivered {
            Ok(()) => {
                self.report.answered += 1;
                answer
            }
            Err(NotifyError::Gone) => {
                self.report.gone += 1;
                Answer::Gone
            }
            Err(e) => {
                self.fail(e, Kill::Tree);
                Answer::Undelivered(e)
            }
        }
    }

    /// Records a failure of the supervisor's own (the first one's error,
    /// and the count), and kills the tree if `kill` says so and it has not
    /// been killed yet.
    fn fail(&mut self, e: NotifyError, kill: Kill) {
        self.report.failures += 1;
        if self.report.error.is_none() {
            self.report.error = Some(e);
        }
        if kill == Kill::Tree && !self.report.killed_tree {
            self.report.killed_tree = self.tree.kill();
        }
    }

    /// The process of the thread that made `n`, as [`Read`]; a failure to
    /// read it is recorded.
    fn read_process(&mut self, listener: &Listener, n: &Notification) -> Read {
        match listener.process(n) {
            Ok(info) => Read::Info(info),
            Err(NotifyError::Gone) => Read::Gone,
            Err(e) => {
                self.fail(e, Kill::No);
                Read::Unread(e)
            }
        }
    }
}

/// What the supervisor thread waits on: the listener and the stop pipe, in
/// an epoll instance made before the command runs (see the module docs).
struct Waiter {
    epoll: Epoll,
}

impl Waiter {
    /// An epoll instance watching `stop`; the listener is added once the
    /// handoff has it.
    fn new(stop: std::os::fd::BorrowedFd<'_>) -> Result<Waiter, (&'static str, Errno)> {
        let epoll = Epoll::new().map_err(|e| ("epoll_create1", e))?;
        epoll.add(stop, STOP).map_err(|e| ("epoll_ctl", e))?;
        Ok(Waiter { epoll })
    }

    /// Watches the listener too.
    fn watch(&self, listener: &Listener) -> Result<(), NotifyError> {
        self.epoll
            .add(listener.as_fd(), LISTENER)
            .map_err(|errno| NotifyError::Failed {
                op: Op::EpollCtl,
                errno,
            })
    }

    /// Waits up to `ms` milliseconds (-1: forever), as
    /// [`Listener::wait_with`] does with the stop pipe: a pending
    /// notification first, then the listener unused, then the stop pipe.
    fn wait(&self, ms: i32) -> Result<Readiness, NotifyError> {
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; 2];
        let n = self
            .epoll
            .wait(&mut events, ms)
            .map_err(|errno| NotifyError::Failed {
                op: Op::EpollWait,
                errno,
            })?;
        let (mut unused, mut stop) = (false, false);
        for event in &events[..n] {
            let (flags, token) = (event.events, event.u64);
            if token == LISTENER {
                if flags & libc::EPOLLIN as u32 != 0 {
                    return Ok(Readiness::Pending);
                }
                unused |= flags & (libc::EPOLLHUP | libc::EPOLLERR) as u32 != 0;
            } else {
                stop = true;
            }
        }
        Ok(if unused {
            Readiness::Unused
        } else if stop {
            Readiness::Other
        } else {
            Readiness::Idle
        })
    }
}

/// A running supervisor, attached to one command.
#[derive(Debug)]
pub struct Supervision {
    thread: Option<JoinHandle<Result<Report, SuperviseError>>>,
    stop: Option<OwnedFd>,
}

impl Supervision {
    /// Stops the supervisor (after answering what is pending) and returns
    /// its report. Call it once the command has ended (see the [module
    /// docs](crate::supervise) for what happens to calls made after it).
    ///
    /// # Errors
    ///
    /// [`SuperviseError`]: the handoff failed (the child never got its
    /// filter), or the supervisor thread panicked. A failure of the
    /// supervisor's while it supervised is in the report
    /// ([`Report::error`]).
    pub fn finish(mut self) -> Result<Report, SuperviseError> {
        self.stop_and_join()
    }

    /// Whether the supervisor thread has ended: no process uses the filter
    /// any more (Linux 5.8), the handoff failed, or supervision stopped on an
    /// error.
    pub fn is_finished(&self) -> bool {
        self.thread
            .as_ref()
            .is_none_or(std::thread::JoinHandle::is_finished)
    }

    fn stop_and_join(&mut self) -> Result<Report, SuperviseError> {
        if let Some(stop) = self.stop.take() {
            let _ = crate::sys::socket::write(stop.as_fd(), b"x");
            drop(stop);
        }
        match self.thread.take() {
            Some(t) => t.join().unwrap_or(Err(SuperviseError::Panicked)),
            None => Err(SuperviseError::Panicked),
        }
    }
}

impl Drop for Supervision {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.stop_and_join();
        }
    }
}
