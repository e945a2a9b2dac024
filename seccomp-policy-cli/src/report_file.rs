//! `run --report OUT` and `learn --report OUT`: every denial the supervisor
//! answers, one JSON object a line, for tools to count and sort what stderr
//! only sums up.
//!
//! Written with the front end's small JSON writer
//! (`seccomp_policy_compiler::json`, which `check --format json` and the
//! OCI export use): a denial is flat (integers, strings, a list of each),
//! so a serialization framework would add a dependency to the tool for one
//! string escape.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write as _};
use std::sync::{Arc, Mutex, PoisonError};

use crate::json;
use seccomp_policy::install::Errno;
use seccomp_policy::supervise::{AllowedBy, Answer, Denial};
use seccomp_policy::tool;

use crate::outcome::Failure;
use crate::output::failed;

/// The file, shared by the supervisor thread (which writes each denial as
/// it answers it) and the thread that finishes the run.
#[derive(Debug)]
pub struct ReportFile {
    path: String,
    out: Arc<Mutex<Out>>,
}

#[derive(Debug)]
struct Out {
    file: BufWriter<File>,
    /// The first write error; later denials are not written.
    error: Option<io::Error>,
}

impl ReportFile {
    /// Makes or truncates `path`, before the command runs (so nothing it
    /// does to this process's descriptors keeps the report from being
    /// written).
    pub fn create(path: &str) -> Result<ReportFile, Failure> {
        let file = File::create(path)
            .map_err(|e| failed(format!("error: cannot write the report `{path}`: {e}")))?;
        Ok(ReportFile {
            path: path.to_owned(),
            out: Arc::new(Mutex::new(Out {
                file: BufWriter::new(file),
                error: None,
            })),
        })
    }

    /// The supervisor's `on_denial` callback: writes `d` as a line.
    pub fn writer(&self) -> impl FnMut(&Denial) + Send + 'static {
        let out = Arc::clone(&self.out);
        move |d| {
            let mut out = out.lock().unwrap_or_else(PoisonError::into_inner);
            if out.error.is_none() {
                let line = denial_json(d);
                if let Err(e) = out.file.write_all(line.as_bytes()) {
                    out.error = Some(e);
                }
            }
        }
    }

    /// Writes what is buffered; the first error, as the tool says it.
    pub fn finish(self) -> Result<(), String> {
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        let flushed = out.file.flush();
        match out.error.take().map_or(flushed, Err) {
            Ok(()) => Ok(()),
            Err(e) => Err(format!(
                "error: writing the report `{}` failed: {e}\nhelp: the run's denials are \
                 only in what was written on stderr",
                self.path
            )),
        }
    }
}

/// `d` as one JSON object and a newline.
pub fn denial_json(d: &Denial) -> String {
    let text = |v: Option<String>| v.map_or_else(|| "null".to_owned(), |s| json::string(&s));
    let (allowed_by, caps): (&str, &[String]) = match &d.allowed_by {
        AllowedBy::Granted => ("granted", &[]),
        AllowedBy::Caps { names, .. } => ("caps", names),
        AllowedBy::NoCap => ("no-cap", &[]),
        AllowedBy::OtherArguments => ("other-arguments", &[]),
        AllowedBy::ForeignEntry => ("foreign-entry", &[]),
    };
    let (answer, errno, error) = match d.answer {
        Answer::Killed => ("killed", None, None),
        Answer::Errno(e) => ("errno", Some(e), None),
        Answer::Continued => ("continued", None, None),
        Answer::Gone => ("gone", None, None),
        Answer::KillFailed(e) => ("kill-failed", Some(EPERM), Some(e)),
        Answer::Undelivered(e) => ("undelivered", None, Some(e)),
    };
    let mut s = String::with_capacity(320);
    let _ = write!(
        s,
        "{{\"tid\":{},\"pid\":{},\"program\":{},\"unread\":{},\"arch\":{},\"audit_arch\":{},\
         \"syscall\":{},\"nr\":{},\"args\":[",
        d.tid,
        d.pid.map_or_else(|| "null".to_owned(), |p| p.to_string()),
        text(d.program.as_ref().map(ToString::to_string)),
        text(d.unread.map(|e| tool::chain(&e).to_string())),
        text(d.arch.map(|a| a.name().to_owned())),
        d.audit_arch,
        text(d.name.map(str::to_owned)),
        d.nr,
    );
    for (i, a) in d.args.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{a}");
    }
    let _ = write!(
        s,
        "],\"allowed_by\":{},\"caps\":[",
        json::string(allowed_by)
    );
    for (i, c) in caps.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&json::string(c));
    }
    let errno_name = errno.map(|e| e.name().map_or_else(|| e.0.to_string(), str::to_owned));
    let _ = writeln!(
        s,
        "],\"answer\":{},\"errno\":{},\"error\":{}}}",
        json::string(answer),
        text(errno_name),
        text(error.map(|e| tool::chain(&e).to_string())),
    );
    s
}

/// What the supervisor fails a call with when it cannot kill its process
/// ([`Answer::KillFailed`]).
const EPERM: Errno = Errno(1);

#[cfg(test)]
mod tests {
    use super::*;
    use seccomp_policy::notify::{NotifyError, Op, Program};
    use seccomp_policy_core::Arch;

    fn socket() -> Denial {
        Denial {
            tid: 11,
            pid: Some(10),
            program: Some(Program::Exe("/usr/bin/py\"thon".to_owned())),
            unread: None,
            arch: Some(Arch::X86_64),
            audit_arch: Arch::X86_64.audit_arch(),
            nr: 41,
            name: Some("socket"),
            args: [2, 1, 0, u64::MAX, 0x7fff_0000_1000, 0],
            allowed_by: AllowedBy::Caps {
                bits: 0b11,
                names: vec!["SSRF".to_owned(), "NET".to_owned()],
            },
            answer: Answer::Errno(Errno(1)),
        }
    }

    #[test]
    fn a_denial_is_one_line_of_json() {
        assert_eq!(
            denial_json(&socket()),
            "{\"tid\":11,\"pid\":10,\"program\":\"/usr/bin/py\\\"thon\",\"unread\":null,\
             \"arch\":\"x86_64\",\"audit_arch\":3221225534,\"syscall\":\"socket\",\"nr\":41,\
             \"args\":[2,1,0,18446744073709551615,140733193392128,0],\"allowed_by\":\"caps\",\
             \"caps\":[\"SSRF\",\"NET\"],\"answer\":\"errno\",\"errno\":\"EPERM\",\"error\":null}\n"
        );
    }

    #[test]
    fn unknown_and_failed_parts_are_null_or_named() {
        let mut d = socket();
        d.pid = None;
        d.program = None;
        d.unread = Some(NotifyError::Failed {
            op: Op::ProcStatus,
            errno: Errno(24),
        });
        d.arch = None;
        d.name = None;
        d.allowed_by = AllowedBy::ForeignEntry;
        d.answer = Answer::KillFailed(NotifyError::Failed {
            op: Op::PidfdOpen,
            errno: Errno(24),
        });
        let line = denial_json(&d);
        for want in [
            "\"pid\":null,\"program\":null,",
            "\"unread\":\"reading /proc/TID/status failed: EMFILE (24)\"",
            "\"arch\":null,",
            "\"syscall\":null,",
            "\"allowed_by\":\"foreign-entry\",\"caps\":[]",
            "\"answer\":\"kill-failed\",\"errno\":\"EPERM\",\
             \"error\":\"pidfd_open failed: EMFILE (24)\"}",
        ] {
            assert!(line.contains(want), "no {want} in {line}");
        }
        assert_eq!(line.lines().count(), 1);
    }
}
