//! What a command needed beyond its grant, from a learn-mode [`Report`].
//!
//! Calls are told apart by what the advice would change. One the policy
//! refuses with an errno and no cap allows got that errno in learn mode
//! too, as it will under `run`, and the command went on: it is listed
//! apart, as what the command did without. Every other call ran: it needs
//! a cap or a rule. Those are grouped by the caps that allow *every* call
//! of the syscall seen, not just the first.
//!
//! ```text
//! 3 system calls beyond the grant ([base], CODE_EXEC and the spawn's execve) of policy/seccomp.toml:
//!   granted by caps SSRF, HEADER_INJECTION or OPEN_REDIRECT:
//!     connect                1 call   first: /usr/bin/python3.11 [pid 4242]
//!   in no cap:
//!     close_range            1 call   first: /usr/bin/python3.11 [pid 4250]
//!   refused with an errno, as the policy says and no cap allows; the command went on:
//!     socket                 2 calls  first: /usr/bin/python3.11 [pid 4242]  EPERM (1)
//! to allow them, grant --cap SSRF
//! and paste into `allow` of [base] (or of a cap you grant) in policy/seccomp.toml:
//!     "close_range",
//! ```
//!
//! Then the files reached beyond the grant's `fs` tables ([`Report::files`]),
//! each with what Landlock checks (the file, or the directory an entry is
//! made in or removed from) and the caps whose `fs` tables grant it:
//!
//! ```text
//! 2 paths beyond the grant's fs tables:
//!   read        /var/tmp/job/in/data.txt  1 call   first: /usr/bin/python3.11 [pid 4242]
//!   make in     /var/tmp/job/out  1 call   first: /usr/bin/python3.11 [pid 4242]  cap FILE_IO grants it
//! ```
//!
//! Then the TCP ports connected to or bound beyond the grant's `net`
//! tables ([`Report::ports`]), with the caps whose `net` tables grant them:
//!
//! ```text
//! 1 TCP port beyond the grant's net tables:
//!   connect     8080  2 calls  first: /usr/bin/python3.11 [pid 4242]
//! ```

use core::fmt;
use std::collections::BTreeSet;

use super::{AllowedBy, CallCount, Report};

/// A learn-mode report's calls, grouped by what would allow them.
#[derive(Clone, Debug)]
pub struct Learned<'a> {
    report: &'a Report,
    /// Calls that ran (in learn mode: all but those refused with an errno
    /// no cap allows) that some cap allows every time they were seen, grouped by the exact set of such caps (names in the
    /// policy's order), groups in the policy's order, calls by name.
    pub by_caps: Vec<(Vec<&'a str>, Vec<&'a CallCount>)>,
    /// Calls that ran that no single cap allows every time, by name: they
    /// need new policy lines.
    pub no_cap: Vec<&'a CallCount>,
    /// Calls through another architecture's entry point, which no policy
    /// line can allow.
    pub foreign: Vec<&'a CallCount>,
    /// Calls only ever refused with the policy's errno (the command went
    /// on after each), by name.
    pub refused: Vec<&'a CallCount>,
    /// A small set of caps that together allow every call of
    /// [`by_caps`](Learned::by_caps), chosen greedily (most calls first).
    pub caps_to_grant: Vec<&'a str>,
}

/// The names of the caps in `bits`, a subset of `allowed`'s.
fn cap_names(allowed: &AllowedBy, bits: u64) -> Vec<&str> {
    let AllowedBy::Caps {
        bits: all, names, ..
    } = allowed
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut rank = 0;
    for bit in 0..64u32 {
        if all & (1 << bit) != 0 {
            if bits & (1 << bit) != 0 {
                if let Some(n) = names.get(rank) {
                    out.push(n.as_str());
                }
            }
            rank += 1;
        }
    }
    out
}

impl<'a> Learned<'a> {
    pub(crate) fn new(report: &'a Report) -> Learned<'a> {
        let mut groups: Vec<(u64, Vec<&'a str>, Vec<&'a CallCount>)> = Vec::new();
        let mut no_cap = Vec::new();
        let mut foreign = Vec::new();
        let mut refused = Vec::new();
        for call in &report.calls {
            if call.allowed_by == AllowedBy::Granted {
                continue;
            }
            if call.allowed_by == AllowedBy::ForeignEntry {
                foreign.push(call);
                continue;
            }
            if !call.needed() {
                refused.push(call);
                continue;
            }
            let bits = call.caps_every;
            if bits == 0 {
                no_cap.push(call);
                continue;
            }
            match groups.iter_mut().find(|g| g.0 == bits) {
                Some(g) => g.2.push(call),
                None => groups.push((bits, cap_names(&call.allowed_by, bits), vec![call])),
            }
        }
        // Policy order: the lowest cap bit first; calls by name, so the
        // output does not depend on which process ran first.
        groups.sort_by_key(|g| g.0.trailing_zeros());
        let by_name =
            |a: &&CallCount, b: &&CallCount| (a.syscall(), a.nr).cmp(&(b.syscall(), b.nr));
        for g in &mut groups {
            g.2.sort_by(by_name);
        }
        no_cap.sort_by(by_name);
        foreign.sort_by(by_name);
        refused.sort_by(by_name);

        // Greedy cover: the cap allowing the most uncovered calls, until all
        // are covered.
        let mut uncovered: Vec<(u64, usize)> = groups.iter().map(|g| (g.0, g.2.len())).collect();
        let mut caps_to_grant = Vec::new();
        while !uncovered.is_empty() {
            let mut best = (0usize, 0u32);
            for bit in 0..64u32 {
                let n: usize = uncovered
                    .iter()
                    .filter(|(bits, _)| bits & (1 << bit) != 0)
                    .map(|(_, n)| n)
                    .sum();
                if n > best.0 {
                    best = (n, bit);
                }
            }
            let bit = best.1;
            let name = groups
                .iter()
                .find_map(|g| {
                    (g.0 & (1 << bit) != 0).then(|| {
                        let rank = (g.0 & ((1u64 << bit) - 1)).count_ones() as usize;
                        g.1.get(rank).copied().unwrap_or("?")
                    })
                })
                .unwrap_or("?");
            caps_to_grant.push(name);
            uncovered.retain(|(bits, _)| bits & (1 << bit) == 0);
        }
        Learned {
            report,
            by_caps: groups.into_iter().map(|g| (g.1, g.2)).collect(),
            no_cap,
            foreign,
            refused,
            caps_to_grant,
        }
    }

    /// Whether the command needed nothing beyond its grant.
    pub fn is_empty(&self) -> bool {
        self.report.calls.is_empty() && self.report.files.is_empty() && self.report.ports.is_empty()
    }

    /// The names of every syscall beyond the grant, on the native entry
    /// point (what `strace -f` would list beyond it), refused ones too.
    pub fn names(&self) -> BTreeSet<String> {
        self.by_caps
            .iter()
            .flat_map(|g| g.1.iter())
            .chain(self.no_cap.iter())
            .chain(self.refused.iter())
            .map(|c| c.syscall())
            .collect()
    }

    /// The calls the policy would have killed (in learn mode they ran):
    /// those of [`by_caps`](Learned::by_caps) and
    /// [`no_cap`](Learned::no_cap) that the policy does not refuse with an
    /// errno, and every [`foreign`](Learned::foreign) one. A command that
    /// runs to its end under its policy has none.
    pub fn would_be_killed(&self) -> Vec<&CallCount> {
        let mut calls: Vec<&CallCount> = self
            .by_caps
            .iter()
            .flat_map(|g| g.1.iter().copied())
            .chain(self.no_cap.iter().copied())
            .filter(|c| c.killed > 0)
            .chain(self.foreign.iter().copied())
            .collect();
        calls.sort_by_key(|c| (c.syscall(), c.nr));
        calls
    }

    /// The entries to paste into an `allow` list for the calls in no cap,
    /// `"name",` each, joined in lines of at most 72 characters.
    pub fn toml_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for call in &self.no_cap {
            let Some(name) = call.name else { continue };
            let entry = format!("\"{name}\",");
            if !line.is_empty() && line.len() + 1 + entry.len() > 72 {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&entry);
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }
}

fn write_calls(f: &mut fmt::Formatter<'_>, calls: &[&CallCount], arch_prefix: bool) -> fmt::Result {
    for c in calls {
        let mut label = c.syscall();
        if arch_prefix {
            let arch = c.arch.map_or("unknown architecture", |a| a.name());
            label = format!("{arch} {label} ({})", c.nr);
        }
        let times = if c.count == 1 { "call " } else { "calls" };
        write!(f, "    {label:<17} {:>6} {times}", c.count)?;
        match &c.first {
            Some(p) => write!(f, "  first: {} [pid {}]", p.program, p.pid)?,
            None => write!(f, "  first: (every caller ended before it could be read)")?,
        }
        match c.errno {
            Some(e) if !c.needed() => writeln!(f, "  {e}")?,
            // A cap allows it; without one the policy refuses it.
            Some(e) if c.killed == 0 => writeln!(f, "  {e} without it")?,
            _ => writeln!(f)?,
        }
    }
    Ok(())
}

impl Learned<'_> {
    /// The calls alone, grouped as the summary lists them, without the
    /// advice that ends it: for a tool that gives its own.
    pub fn listing(&self) -> String {
        struct Listing<'a, 'b>(&'a Learned<'b>);
        impl fmt::Display for Listing<'_, '_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt_listing(f)
            }
        }
        Listing(self).to_string()
    }

    fn fmt_listing(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.report;
        let mut grant = String::from("[base], ");
        for cap in &r.granted {
            grant.push_str(cap);
            grant.push_str(", ");
        }
        grant.truncate(grant.len() - 2);
        grant.push_str(" and the spawn's execve");
        if self.is_empty() {
            return writeln!(f, "nothing beyond the grant ({grant}) of {}", r.policy_file);
        }
        let n = r.calls.len();
        if n == 0 {
            writeln!(
                f,
                "no system call beyond the grant ({grant}) of {}",
                r.policy_file
            )?;
            self.fmt_files(f)?;
            return self.fmt_ports(f);
        }
        writeln!(
            f,
            "{n} system call{} beyond the grant ({grant}) of {}:",
            if n == 1 { "" } else { "s" },
            r.policy_file
        )?;
        for (names, calls) in &self.by_caps {
            f.write_str(if names.len() == 1 {
                "  granted by cap "
            } else {
                "  granted by caps "
            })?;
            super::report::write_alternatives(f, names)?;
            f.write_str(":\n")?;
            write_calls(f, calls, false)?;
        }
        if !self.no_cap.is_empty() {
            f.write_str("  in no cap:\n")?;
            write_calls(f, &self.no_cap, false)?;
        }
        if !self.refused.is_empty() {
            f.write_str(
                "  refused with an errno, as the policy says and no cap allows; the command went on:\n",
            )?;
            write_calls(f, &self.refused, false)?;
        }
        if !self.foreign.is_empty() {
            f.write_str(
                "  through another architecture's entry point (no policy line allows these):\n",
            )?;
            write_calls(f, &self.foreign, true)?;
        }
        self.fmt_files(f)?;
        self.fmt_ports(f)
    }

    /// The files beyond the grant, after the system calls.
    fn fmt_files(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.report;
        let n = r.files.len() as u64 + r.files_dropped;
        if n > 0 {
            writeln!(
                f,
                "{n} path{} beyond the grant's fs tables:",
                if n == 1 { "" } else { "s" }
            )?;
        }
        for file in &r.files {
            let times = if file.count == 1 { "call " } else { "calls" };
            write!(
                f,
                "  {:<11} {}  {} {times}",
                file.access.name(),
                file.path,
                file.count
            )?;
            write_first_and_caps(f, file.first.as_ref(), &file.caps)?;
        }
        if r.files_dropped > 0 {
            writeln!(f, "  ... and {} more, not kept", r.files_dropped)?;
        }
        if r.files_unread > 0 {
            writeln!(
                f,
                "  {} path{} of calls could not be read, so were not compared with the grant",
                r.files_unread,
                if r.files_unread == 1 { "" } else { "s" }
            )?;
        }
        Ok(())
    }
}

impl Learned<'_> {
    /// The TCP ports beyond the grant, after the files.
    fn fmt_ports(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.report;
        let n = r.ports.len() as u64 + r.ports_dropped;
        if n > 0 {
            writeln!(
                f,
                "{n} TCP port{} beyond the grant's net tables:",
                if n == 1 { "" } else { "s" }
            )?;
        }
        for port in &r.ports {
            let times = if port.count == 1 { "call " } else { "calls" };
            write!(
                f,
                "  {:<11} {}  {} {times}",
                port.access.list(),
                port.port,
                port.count
            )?;
            write_first_and_caps(f, port.first.as_ref(), &port.caps)?;
        }
        if r.ports_dropped > 0 {
            writeln!(f, "  ... and {} more, not kept", r.ports_dropped)?;
        }
        if r.ports_unread > 0 {
            writeln!(
                f,
                "  {} address{} or socket{} of connect or bind could not be read, so were not compared with the grant",
                r.ports_unread,
                if r.ports_unread == 1 { "" } else { "es" },
                if r.ports_unread == 1 { "" } else { "s" }
            )?;
        }
        Ok(())
    }
}

/// The end of a file's or port's line: its first caller, the caps that
/// grant it, the newline.
fn write_first_and_caps(
    f: &mut fmt::Formatter<'_>,
    first: Option<&crate::notify::ProcessInfo>,
    caps: &[String],
) -> fmt::Result {
    match first {
        Some(p) => write!(f, "  first: {} [pid {}]", p.program, p.pid)?,
        None => write!(f, "  first: (the caller ended before it could be read)")?,
    }
    if !caps.is_empty() {
        f.write_str(if caps.len() == 1 { "  cap " } else { "  caps " })?;
        super::report::write_alternatives(f, caps)?;
        f.write_str(" grant")?;
        f.write_str(if caps.len() == 1 { "s it" } else { " it" })?;
    }
    f.write_str("\n")
}

impl fmt::Display for Learned<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_listing(f)?;
        let lines = self.toml_lines();
        if !self.caps_to_grant.is_empty() {
            f.write_str("to allow them, grant")?;
            for cap in &self.caps_to_grant {
                write!(f, " --cap {cap}")?;
            }
            f.write_str("\n")?;
        }
        if !lines.is_empty() {
            writeln!(
                f,
                "{} into `allow` of [base] (or of a cap you grant) in {}:",
                if self.caps_to_grant.is_empty() {
                    "to allow them, paste"
                } else {
                    "and paste"
                },
                self.report.policy_file
            )?;
            for line in lines {
                writeln!(f, "    {line}")?;
            }
        }
        let files = &self.report.files;
        for list in ["read", "write"] {
            let mut paths: Vec<&str> = files
                .iter()
                .filter(|p| p.caps.is_empty() && p.access.list() == list)
                .map(|p| p.entry.as_str())
                .collect();
            paths.sort_unstable();
            paths.dedup();
            if !paths.is_empty() {
                writeln!(
                    f,
                    "to reach the files, add to `{list}` of [base.fs] (or of a cap you grant) in {}:",
                    self.report.policy_file
                )?;
                for p in paths {
                    writeln!(f, "    {p:?},")?;
                }
            }
        }
        for list in ["connect", "bind"] {
            let mut ports: Vec<u16> = self
                .report
                .ports
                .iter()
                .filter(|p| p.caps.is_empty() && p.access.list() == list)
                .map(|p| p.port)
                .collect();
            ports.sort_unstable();
            ports.dedup();
            if !ports.is_empty() {
                writeln!(
                    f,
                    "to {list} to the TCP ports, add to `{list}` of [base.net] (or of a cap you grant) in {}:",
                    self.report.policy_file
                )?;
                for p in ports {
                    writeln!(f, "    {p},")?;
                }
            }
        }
        Ok(())
    }
}
