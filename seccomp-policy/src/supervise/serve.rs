//! The supervisor thread: it takes the child's listener over, then answers
//! each call the filter sends it as the policy says and records it in the
//! [`Report`], until no process uses the filter or
//! [`Supervision::finish`] stops it.

use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::model::PolicyAction;
use super::{AllowedBy, Answer, CallCount, Denial, Mode, Report, SuperviseError, Supervisor};
use crate::arch::Arch;
use crate::install::Errno;
use crate::notify::{
    Handoff, Listener, Notification, NotifyError, ProcessInfo, Readiness, Response,
};
use crate::sys::pipe;

impl Supervisor {
    /// Starts the supervisor thread, which waits for the child's listener
    /// from `parent` and then supervises it. The pipe made here stops it.
    pub(super) fn start(self, parent: Handoff) -> Result<Supervision, SuperviseError> {
        let (stop_read, stop_write) = pipe().map_err(|errno| SuperviseError::Setup {
            what: "pipe",
            errno,
        })?;
        let timeout = self.timeout;
        let thread = std::thread::Builder::new()
            .name("seccomp-supervisor".into())
            .spawn(move || {
                let attached = parent
                    .accept(timeout, Some(stop_read.as_fd()))
                    .map_err(SuperviseError::Handoff)?;
                let lifetime = super::Lifetime::from_note(attached.note);
                let mut report = self.run(attached.listener, attached.pid, &stop_read);
                report.lifetime = lifetime;
                Ok(report)
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

    /// The supervisor loop: answers notifications until no process uses the
    /// filter, or `stop` is readable (then what is pending is answered
    /// first).
    fn run(mut self, listener: Listener, pid: u32, stop: &OwnedFd) -> Report {
        if self.sync_wake_up {
            // Before 6.6 the kernel refuses the flag; wake-ups then cross CPUs.
            let _ = listener.set_sync_wake_up();
        }
        let mut state = State {
            report: Report {
                mode: self.mode,
                policy_file: self.model.file(),
                granted: self.model.granted(),
                pid,
                denials: Vec::new(),
                denials_dropped: 0,
                calls: Vec::new(),
                notifications: 0,
                answered: 0,
                gone: 0,
                vanished: 0,
                error: None,
                landlock: self.landlock,
                lifetime: super::Lifetime::Unbounded,
            },
            index: HashMap::new(),
        };
        loop {
            match listener.wait_with(Some(stop.as_fd()), None) {
                Ok(Readiness::Pending) => {
                    if let Err(e) = self.handle(&listener, &mut state) {
                        state.report.error = Some(e);
                        break;
                    }
                }
                Ok(Readiness::Unused) => break,
                Ok(Readiness::Other) => {
                    // Answer what is pending now, for at most a second.
                    let until = Instant::now() + Duration::from_secs(1);
                    while Instant::now() < until
                        && listener.wait(Some(Duration::ZERO)) == Ok(Readiness::Pending)
                    {
                        if let Err(e) = self.handle(&listener, &mut state) {
                            state.report.error = Some(e);
                            break;
                        }
                    }
                    break;
                }
                Ok(Readiness::Idle) => {}
                Err(e) => {
                    state.report.error = Some(e);
                    break;
                }
            }
        }
        // Closing the listener makes calls still sent to it fail with ENOSYS.
        drop(listener);
        state.report
    }

    /// Receives and answers one notification.
    fn handle(&mut self, listener: &Listener, state: &mut State) -> Result<(), NotifyError> {
        let n = match listener.recv() {
            Ok(n) => n,
            Err(NotifyError::Gone) => {
                state.report.vanished += 1;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        state.report.notifications += 1;
        let verdict = self.model.verdict(n.audit_arch, n.nr, &n.args);
        if verdict.allowed {
            // A call within the grant (a rule that notifies): let it run.
            let delivered = listener.respond(n.id, Response::Continue);
            state.count(delivered, Answer::Continued)?;
            return Ok(());
        }
        let call = self.count_call(state, n, verdict.action, verdict.allowed_by);
        match self.mode {
            Mode::Learn => self.learn_call(listener, state, call),
            Mode::Enforce => self.enforce_call(listener, state, call),
        }
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
        let arch = Arch::ALL
            .into_iter()
            .find(|a| a.audit_arch() == n.audit_arch);
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
                });
                state.index.insert(key, state.report.calls.len() - 1);
                state.report.calls.len() - 1
            }
        };
        state.report.calls[slot].count += 1;
        Call {
            n,
            arch,
            name,
            action,
            allowed_by,
            slot,
        }
    }

    /// Learn mode: lets the call run. The process is read only until one
    /// is known for this syscall, and only that call is recorded: the
    /// common case costs two ioctls.
    fn learn_call(
        &mut self,
        listener: &Listener,
        state: &mut State,
        call: Call,
    ) -> Result<(), NotifyError> {
        let info = if state.report.calls[call.slot].first.is_none() {
            listener.process(&call.n).ok()
        } else {
            None
        };
        let delivered = listener.respond(call.n.id, Response::Continue);
        let answer = state.count(delivered, Answer::Continued)?;
        if let Some(info) = info {
            state.report.calls[call.slot].first = Some(info.clone());
            self.record(state, call, Some(info), answer);
        }
        Ok(())
    }

    /// Enforce mode: reads who made the call while it waits, answers as
    /// the policy says, and records it.
    fn enforce_call(
        &mut self,
        listener: &Listener,
        state: &mut State,
        call: Call,
    ) -> Result<(), NotifyError> {
        let (info, answer) = match listener.process(&call.n) {
            Err(NotifyError::Gone) => {
                state.report.gone += 1;
                (None, Answer::Gone)
            }
            info => {
                let info = info.ok();
                let answer = answer_by_policy(listener, state, &call, info.as_ref())?;
                (info, answer)
            }
        };
        if state.report.calls[call.slot].first.is_none() {
            state.report.calls[call.slot].first.clone_from(&info);
        }
        self.record(state, call, info, answer);
        Ok(())
    }

    /// Reports `call` as a [`Denial`]: to the `on_denial` callback, and in
    /// the report up to the limit.
    fn record(&mut self, state: &mut State, call: Call, info: Option<ProcessInfo>, answer: Answer) {
        let (pid, program) = match info {
            Some(i) => (Some(i.pid), Some(i.program)),
            None => (None, None),
        };
        let denial = Denial {
            tid: call.n.tid,
            pid,
            program,
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

/// Answers `call` as the policy says: with its errno, or by killing the
/// calling process (`info`'s, or the thread's when it could not be read).
/// A kill that fails fails the call with `ENOSYS` instead: it never runs.
fn answer_by_policy(
    listener: &Listener,
    state: &mut State,
    call: &Call,
    info: Option<&ProcessInfo>,
) -> Result<Answer, NotifyError> {
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
                    // Never let it run: refuse it instead.
                    let r = listener.respond(n.id, Response::Errno(Errno(libc::ENOSYS)));
                    state.count(r, Answer::KillFailed(e))
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

/// The report being built, and where each syscall's count is.
struct State {
    report: Report,
    index: HashMap<(u32, i32), usize>,
}

impl State {
    /// Counts a delivery attempt: `answer` if it was delivered, `Gone` if
    /// the thread was gone; other failures end supervision.
    fn count(
        &mut self,
        delivered: Result<(), NotifyError>,
        answer: Answer,
    ) -> Result<Answer, NotifyError> {
        match delivered {
            Ok(()) => {
                self.report.answered += 1;
                Ok(answer)
            }
            Err(NotifyError::Gone) => {
                self.report.gone += 1;
                Ok(Answer::Gone)
            }
            Err(e) => Err(e),
        }
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
    /// filter), or the supervisor thread panicked.
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
            // SAFETY: writes one byte from a live buffer.
            let _ = unsafe { libc::write(stop.as_raw_fd(), b"x".as_ptr().cast(), 1) };
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
