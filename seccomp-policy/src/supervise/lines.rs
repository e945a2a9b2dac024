//! The lines [`tool::try_run_and_report`](crate::tool::try_run_and_report)
//! writes for denials, at a bounded rate.
//!
//! Each denial is written in full until the same program has had the same
//! call refused [`FULL_PER_WINDOW`] times within a second; later ones are
//! only counted, and summed up once a second (`socket x 4,021 more from
//! PROGRAM [pid N] in 1.0 s`) and in all at the end (`socket x 165,000 in
//! all from PROGRAM [pid N]`). However many programs and calls there are,
//! at most [`LINES_PER_WINDOW`] lines are written in a second, and at most
//! [`LINES_AT_END`] + 1 at the end. A flood of denials then costs the
//! supervisor a count each, not a line; every denial is still counted in
//! the [`Report`](super::Report) (and given to an
//! [`on_denial`](super::Supervisor::on_denial) callback).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use super::Denial;
use crate::notify::Program;

/// The window the limits below count in.
const WINDOW: Duration = Duration::from_secs(1);
/// Denials of one (program, syscall) written in full per window.
pub(crate) const FULL_PER_WINDOW: u32 = 3;
/// Lines written per window, in full or summed up.
pub(crate) const LINES_PER_WINDOW: usize = 20;
/// Lines of totals at the end (then one for the rest).
pub(crate) const LINES_AT_END: usize = 20;

/// Denials of one (program, syscall) are counted together.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    program: Option<Program>,
    audit_arch: u32,
    nr: i32,
}

/// The denials of one (program, syscall).
#[derive(Debug)]
struct Repeats {
    key: Key,
    syscall: String,
    /// The first process seen, and whether others were.
    first_pid: Option<u32>,
    other_pids: bool,
    total: u64,
    /// Written in full, in all and in this window.
    shown: u64,
    shown_in_window: u32,
    /// Counted since the last line about them, first and last when.
    unsummed: u64,
    since: Instant,
    last: Instant,
}

impl Repeats {
    /// `PROGRAM [pid N]`, `PROGRAM [pid N and others]`.
    fn who(&self) -> String {
        let program = match &self.key.program {
            Some(p) => p.to_string(),
            None => "threads that could not be read".to_owned(),
        };
        match (self.first_pid, self.other_pids) {
            (Some(pid), false) => format!("{program} [pid {pid}]"),
            (Some(pid), true) => format!("{program} [pid {pid} and others]"),
            (None, _) => program,
        }
    }
}

/// What has been written, and what is counted but not yet written.
#[derive(Debug)]
pub(crate) struct DenialLines {
    /// Put in front of every line (`TOOL: denied: `).
    prefix: String,
    /// When the window began (at the first denial).
    window: Option<Instant>,
    lines_in_window: usize,
    index: HashMap<Key, usize>,
    /// In the order first seen.
    repeats: Vec<Repeats>,
}

/// `n` with a comma between groups of three digits: `165,000`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl DenialLines {
    /// Lines starting with `prefix`.
    pub(crate) fn new(prefix: String) -> DenialLines {
        DenialLines {
            prefix,
            window: None,
            lines_in_window: 0,
            index: HashMap::new(),
            repeats: Vec::new(),
        }
    }

    /// Counts `d`, denied at `now`; returns what to write for it (the
    /// denial in full, sums of earlier ones, or nothing), whole lines.
    pub(crate) fn denial(&mut self, d: &Denial, now: Instant) -> String {
        let mut text = String::new();
        let began = *self.window.get_or_insert(now);
        if now.saturating_duration_since(began) >= WINDOW {
            self.window = Some(now);
            self.lines_in_window = 0;
            for r in &mut self.repeats {
                r.shown_in_window = 0;
            }
            self.sum_up(&mut text);
        }
        let key = Key {
            program: d.program.clone(),
            audit_arch: d.audit_arch,
            nr: d.nr,
        };
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                self.index.insert(key.clone(), self.repeats.len());
                self.repeats.push(Repeats {
                    key,
                    syscall: d.syscall(),
                    first_pid: d.pid,
                    other_pids: false,
                    total: 0,
                    shown: 0,
                    shown_in_window: 0,
                    unsummed: 0,
                    since: now,
                    last: now,
                });
                self.repeats.len() - 1
            }
        };
        let r = &mut self.repeats[i];
        r.total += 1;
        r.other_pids |= d.pid != r.first_pid;
        if r.shown_in_window < FULL_PER_WINDOW && self.lines_in_window < LINES_PER_WINDOW {
            r.shown_in_window += 1;
            r.shown += 1;
            self.lines_in_window += 1;
            let _ = writeln!(text, "{}{d}", self.prefix);
        } else {
            if r.unsummed == 0 {
                r.since = now;
            }
            r.unsummed += 1;
            r.last = now;
        }
        text
    }

    /// One line for each (program, syscall) counted since its last line,
    /// as the window's budget allows; the others wait for the next.
    fn sum_up(&mut self, text: &mut String) {
        for r in &mut self.repeats {
            if self.lines_in_window >= LINES_PER_WINDOW {
                break;
            }
            if r.unsummed == 0 {
                continue;
            }
            let _ = writeln!(
                text,
                "{}{} x {} more from {} in {:.1} s",
                self.prefix,
                r.syscall,
                thousands(r.unsummed),
                r.who(),
                r.last.saturating_duration_since(r.since).as_secs_f64()
            );
            r.unsummed = 0;
            self.lines_in_window += 1;
        }
    }

    /// The totals of every (program, syscall) not all written in full:
    /// `socket x 165,000 in all from PROGRAM [pid N] (9 shown in full)`,
    /// at most [`LINES_AT_END`] of them, then one line for the rest.
    pub(crate) fn finish(&mut self) -> String {
        let mut text = String::new();
        let mut left = self.repeats.iter().filter(|r| r.total > r.shown);
        for r in left.by_ref().take(LINES_AT_END) {
            let _ = writeln!(
                text,
                "{}{} x {} in all from {} ({} shown in full)",
                self.prefix,
                r.syscall,
                thousands(r.total),
                r.who(),
                thousands(r.shown)
            );
        }
        let (calls, denials) = left.fold((0u64, 0u64), |(c, n), r| (c + 1, n + r.total));
        if calls > 0 {
            let _ = writeln!(
                text,
                "{}and {} more of {} other calls, not all shown",
                self.prefix,
                thousands(denials),
                thousands(calls)
            );
        }
        for r in &mut self.repeats {
            r.unsummed = 0;
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::Arch;
    use crate::install::Errno;
    use crate::supervise::{AllowedBy, Answer};

    fn denial(program: &str, pid: u32, name: &'static str, nr: i32) -> Denial {
        Denial {
            tid: pid,
            pid: Some(pid),
            program: Some(Program::Exe(program.to_owned())),
            unread: None,
            arch: Some(Arch::X86_64),
            audit_arch: Arch::X86_64.audit_arch(),
            nr,
            name: Some(name),
            args: [2, 1, 0, 0, 0, 0],
            allowed_by: AllowedBy::NoCap,
            answer: Answer::Errno(Errno(libc::EPERM)),
        }
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(165_000), "165,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    /// A flood of one call: three lines in full per second, one sum a
    /// second, and the total at the end.
    #[test]
    fn a_flood_is_counted_not_written() {
        let t0 = Instant::now();
        let mut lines = DenialLines::new("tool: denied: ".to_owned());
        let socket = denial("/bin/flood", 10, "socket", 41);
        let mut text = String::new();
        // 10 000 a second for 3.5 s.
        for i in 0..35_000u64 {
            text += &lines.denial(&socket, t0 + Duration::from_micros(i * 100));
        }
        text += &lines.finish();
        let got: Vec<&str> = text.lines().collect();
        let full = "tool: denied: /bin/flood [pid 10]: socket(2, 1, 0, 0, 0, 0) on x86_64: \
                    no cap allows it; failed with EPERM (1) without running";
        let sum = "tool: denied: socket x 9,997 more from /bin/flood [pid 10] in 1.0 s";
        let want = [
            full,
            full,
            full,
            sum,
            full,
            full,
            full,
            sum,
            full,
            full,
            full,
            sum,
            full,
            full,
            full,
            "tool: denied: socket x 35,000 in all from /bin/flood [pid 10] (12 shown in full)",
        ];
        assert_eq!(got, want);
    }

    /// Many programs and calls at once: never more than the window's
    /// lines, and every denial in the totals at the end.
    #[test]
    fn many_calls_share_the_budget() {
        let t0 = Instant::now();
        let mut lines = DenialLines::new(String::new());
        let mut per_second = [0usize; 4];
        let mut total = 0u64;
        for i in 0..40_000u64 {
            let at = Duration::from_micros(i * 100);
            let nr = (i % 50) as i32;
            let d = denial(&format!("/bin/p{}", i % 7), 100 + (i % 3) as u32, "x", nr);
            let text = lines.denial(&d, t0 + at);
            per_second[at.as_secs() as usize] += text.lines().count();
            total += 1;
        }
        for (s, n) in per_second.iter().enumerate() {
            assert!(*n <= LINES_PER_WINDOW, "second {s}: {n} lines");
        }
        let end = lines.finish();
        assert_eq!(end.lines().count(), LINES_AT_END + 1, "{end}");
        let counted: u64 = end
            .lines()
            .map(|l| {
                let n = if let Some(rest) = l.strip_prefix("and ") {
                    rest.split(' ').next()
                } else {
                    l.split(" x ").nth(1).and_then(|r| r.split(' ').next())
                };
                n.expect("a count").replace(',', "").parse::<u64>().unwrap()
            })
            .sum();
        assert_eq!(counted, total, "{end}");
        assert!(end.contains("[pid 100 and others]"), "{end}");
    }

    /// A few denials are written in full, and nothing more at the end.
    #[test]
    fn a_few_denials_are_written_in_full() {
        let t0 = Instant::now();
        let mut lines = DenialLines::new("p: ".to_owned());
        let a = lines.denial(&denial("/bin/a", 1, "mkdir", 83), t0);
        let b = lines.denial(&denial("/bin/b", 2, "mkdir", 83), t0);
        assert!(
            a.starts_with("p: /bin/a [pid 1]: mkdir(") && a.ends_with('\n'),
            "{a}"
        );
        assert!(b.starts_with("p: /bin/b [pid 2]: mkdir("), "{b}");
        assert_eq!(lines.finish(), "");
    }
}
