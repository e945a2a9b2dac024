//! `learn`'s advice: the narrowest rule for each syscall a command needed
//! beyond its grant, checked before it is offered; the caps to grant where
//! one allows every call seen; and `--write`/`--merge`, which adds the
//! rules to the policy file's `[base]` (or a cap's table, `--into`) with
//! its comments and layout kept.
//!
//! A rule conditions on the parameters the policy itself tells apart for
//! that syscall (a table that refuses other values: `socket`'s family and
//! type in the shipped policy), and on the key parameter of a few calls
//! whose meaning lies in one (`ioctl`'s `cmd`, `socket`'s `family`), when
//! a table refuses the call by its name; each such parameter takes the
//! values seen, by name where the constant tables have one. Every rule is
//! compiled on its own and evaluated by the library's verdict against
//! every argument list seen (it must allow each) and against a value of
//! each conditioned parameter that was not seen (it must refuse it); the
//! policy with the rules added is compiled again and must allow every call
//! seen with the caps granted and offered.
//!
//! Modules: `rule` (the narrowest rule for one syscall and its check),
//! `write` (`--write`/`--merge` with `toml_edit`); here the advice as a
//! whole, how it is shown (text and JSON) and the summary a learn run ends
//! with.

mod files;
mod ports;
mod rule;
mod write;

pub use files::FileEntry;
pub use ports::PortEntry;

use rule::suggest;
use write::{add_rules, check_written};

use std::fmt::{self, Write as _};

use seccomp_policy::supervise::Report;
use seccomp_policy_compiler::Compiled;

use crate::json;
use seccomp_policy_core::Arch;

/// A rule `learn` offers for one syscall.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    /// The syscall's name.
    pub syscall: String,
    /// The rule, as an `allow` entry says it (`socket(family == AF_UNIX)`).
    pub rule: String,
    /// How many calls it covers.
    pub calls: u64,
    /// How many distinct argument lists it was checked against.
    pub lists: usize,
    /// Whether every call's argument list was kept (and checked).
    pub complete: bool,
    /// The program that made the first call, if it was read.
    pub first: Option<String>,
    /// The errno the policy answers it with, for a call only ever refused.
    pub errno: Option<String>,
}

/// What `learn` advises after a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Advice {
    /// The policy file.
    pub file: String,
    /// The caps the run granted.
    pub granted: Vec<String>,
    /// Caps to grant: each allows every call seen of some syscall.
    pub caps: Vec<String>,
    /// Rules to add to `table`, for calls the policy would kill.
    pub rules: Vec<Suggestion>,
    /// Where the rules go: `[base]`, or `[cap.NAME]` with `--into NAME`.
    pub table: String,
    /// Calls the policy refused with an errno, after which the command
    /// went on; the rule that would allow them, should the command have
    /// needed them.
    pub refused: Vec<Suggestion>,
    /// What no rule can allow, or no checked rule was found for.
    pub unmet: Vec<String>,
    /// Entries to add to `fs_table` for the files the command reached
    /// beyond the grant's `fs` tables that no cap offered grants.
    pub files: Vec<FileEntry>,
    /// Where they go: `[base.fs]`, or `[cap.NAME.fs]` with `--into NAME`.
    pub fs_table: String,
    /// Ports to add to `net_table` for the TCP ports the command reached
    /// beyond the grant's `net` tables that no cap offered grants.
    pub ports: Vec<PortEntry>,
    /// Where they go: `[base.net]`, or `[cap.NAME.net]` with `--into NAME`.
    pub net_table: String,
}

/// The advice for a learn-mode `report` of a run under `compiled` on
/// `arch`.
pub fn advise(compiled: &Compiled, arch: Arch, report: &Report) -> Advice {
    let learned = report.learned();
    let mut advice = Advice {
        file: report.policy_file.clone(),
        granted: report.granted.clone(),
        caps: learned
            .caps_to_grant
            .iter()
            .map(|c| (*c).to_owned())
            .collect(),
        table: "[base]".to_owned(),
        fs_table: "[base.fs]".to_owned(),
        net_table: "[base.net]".to_owned(),
        ..Advice::default()
    };
    // Files after calls: a cap offered for a call may grant them too.
    let (more_caps, entries) = files::advise_files(report, &advice.caps);
    advice.caps.extend(more_caps);
    advice.files = entries;
    // Ports after files: a cap offered for either may grant them too.
    let (more_caps, ports) = ports::advise_ports(report, &advice.caps);
    advice.caps.extend(more_caps);
    advice.ports = ports;
    let Some(rules) = compiled.arches.iter().find(|a| a.arch == arch) else {
        advice
            .unmet
            .push(format!("the policy was not lowered for {arch}"));
        return advice;
    };
    rules.with_policy(|ap| {
        for call in &learned.no_cap {
            match suggest(arch, ap, call, &call.seen) {
                Ok(s) => advice.rules.push(s),
                Err(e) => advice.unmet.push(e),
            }
        }
        for call in &learned.refused {
            if let Ok(mut s) = suggest(arch, ap, call, &call.refused_seen) {
                s.errno = call
                    .errno
                    .map(|e| e.name().map_or_else(|| e.0.to_string(), str::to_owned));
                advice.refused.push(s);
            }
        }
    });
    for call in &learned.foreign {
        advice.unmet.push(format!(
            "{} through another architecture's entry point: no policy line allows it",
            call.syscall()
        ));
    }
    advice
}

fn plural(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

impl fmt::Display for Advice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.caps.is_empty() {
            f.write_str("to allow them, grant")?;
            for cap in &self.caps {
                write!(f, " --cap {cap}")?;
            }
            f.write_str("\n")?;
        }
        if !self.rules.is_empty() {
            writeln!(
                f,
                "{} to `allow` of {} in {} (`--write` or `--merge` adds them), each checked \
                 against every call seen:",
                if self.caps.is_empty() {
                    "to allow them, add"
                } else {
                    "and add"
                },
                self.table,
                self.file
            )?;
            for s in &self.rules {
                write!(f, "    {},", json::string(&s.rule))?;
                if !s.complete {
                    write!(f, "  # checked against the {} argument lists kept", s.lists)?;
                }
                f.write_str("\n")?;
            }
        }
        if !self.refused.is_empty() {
            f.write_str(
                "calls refused with an errno need nothing if the command did what it should; \
                 if one of them is why it failed, add:\n",
            )?;
            for s in &self.refused {
                writeln!(f, "    {},", json::string(&s.rule))?;
            }
        }
        for list in ["read", "write"] {
            let entries: Vec<&FileEntry> = self.files.iter().filter(|e| e.list == list).collect();
            if entries.is_empty() {
                continue;
            }
            writeln!(
                f,
                "to reach the files, add to `{list}` of {} in {} (`--write` or `--merge` adds \
                 them):",
                self.fs_table, self.file
            )?;
            for e in entries {
                writeln!(
                    f,
                    "    {},  # {}",
                    json::string(&e.path),
                    e.access.join(", ")
                )?;
            }
        }
        for list in ["connect", "bind"] {
            let ports: Vec<&PortEntry> = self.ports.iter().filter(|e| e.list == list).collect();
            if ports.is_empty() {
                continue;
            }
            writeln!(
                f,
                "to {list} to the TCP ports, add to `{list}` of {} in {} (`--write` or \
                 `--merge` adds them):",
                self.net_table, self.file
            )?;
            for e in ports {
                writeln!(f, "    {},  # {}", e.port, plural(e.calls, "call"))?;
            }
        }
        for u in &self.unmet {
            writeln!(f, "no rule offered: {u}")?;
        }
        Ok(())
    }
}

/// The advice as one JSON object, with the file written (if any).
pub fn to_json(advice: &Advice, written: Option<&str>) -> String {
    let strings = |v: &[String]| {
        let items: Vec<String> = v.iter().map(|s| json::string(s)).collect();
        format!("[{}]", items.join(","))
    };
    let suggestions = |v: &[Suggestion]| {
        let items: Vec<String> = v
            .iter()
            .map(|s| {
                let mut o = format!(
                    "{{\"syscall\":{},\"rule\":{},\"calls\":{},\"argument_lists\":{},\"complete\":{}",
                    json::string(&s.syscall),
                    json::string(&s.rule),
                    s.calls,
                    s.lists,
                    s.complete
                );
                let _ = write!(
                    o,
                    ",\"first\":{}",
                    s.first.as_deref().map_or_else(|| "null".to_owned(), json::string)
                );
                if let Some(e) = &s.errno {
                    let _ = write!(o, ",\"errno\":{}", json::string(e));
                }
                o.push('}');
                o
            })
            .collect();
        format!("[{}]", items.join(","))
    };
    let files: Vec<String> = advice
        .files
        .iter()
        .map(|e| {
            format!(
                "{{\"path\":{},\"list\":{},\"access\":{},\"calls\":{},\"first\":{}}}",
                json::string(&e.path),
                json::string(e.list),
                strings(&e.access.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>()),
                e.calls,
                e.first
                    .as_deref()
                    .map_or_else(|| "null".to_owned(), json::string)
            )
        })
        .collect();
    let ports: Vec<String> = advice
        .ports
        .iter()
        .map(|e| {
            format!(
                "{{\"port\":{},\"list\":{},\"calls\":{},\"first\":{}}}",
                e.port,
                json::string(e.list),
                e.calls,
                e.first
                    .as_deref()
                    .map_or_else(|| "null".to_owned(), json::string)
            )
        })
        .collect();
    format!(
        "{{\"policy\":{},\"granted\":{},\"caps\":{},\"rules\":{},\"table\":{},\"refused\":{},\"files\":[{}],\"fs_table\":{},\"ports\":[{}],\"net_table\":{},\"unmet\":{},\"written\":{}}}",
        json::string(&advice.file),
        strings(&advice.granted),
        strings(&advice.caps),
        suggestions(&advice.rules),
        json::string(&advice.table),
        suggestions(&advice.refused),
        files.join(","),
        json::string(&advice.fs_table),
        ports.join(","),
        json::string(&advice.net_table),
        strings(&advice.unmet),
        written.map_or_else(|| "null".to_owned(), json::string)
    )
}

/// What `learn`'s summary left for the command to do once the run is
/// over: the JSON to print, and whether writing the policy failed.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The advice as JSON, with `--format json`.
    pub json: Option<String>,
    /// Why the policy was not written, with `--write` or `--merge`.
    pub write_error: Option<String>,
}

/// Where `--write` or `--merge` writes: the policy it edits, and the file
/// it writes.
#[derive(Clone, Debug)]
pub struct Target {
    /// The policy file read.
    pub source: String,
    /// The file written (the same with `--merge`).
    pub out: String,
    /// The cap whose table gets the rules (`--into`); `[base]` when `None`.
    pub into: Option<String>,
}

impl Target {
    /// The table the rules go to, as the file names it: `[base]` or
    /// `[cap.NAME]`.
    pub fn table(&self) -> String {
        match &self.into {
            None => "[base]".to_owned(),
            Some(cap) => format!("[cap.{cap}]"),
        }
    }

    /// The `fs` table the file entries go to: `[base.fs]` or
    /// `[cap.NAME.fs]`.
    pub fn fs_table(&self) -> String {
        match &self.into {
            None => "[base.fs]".to_owned(),
            Some(cap) => format!("[cap.{cap}.fs]"),
        }
    }

    /// The `net` table the ports go to: `[base.net]` or `[cap.NAME.net]`.
    pub fn net_table(&self) -> String {
        match &self.into {
            None => "[base.net]".to_owned(),
            Some(cap) => format!("[cap.{cap}.net]"),
        }
    }
}

/// The summary a learn run ends with: the calls, grouped ([`Report::learned`]),
/// then the advice; with a `target`, the policy written there (checked
/// first); with `json`, the advice as JSON kept in `outcome`.
pub fn summary(
    compiled: Compiled,
    arch: Arch,
    target: Option<Target>,
    json: bool,
    outcome: std::sync::Arc<std::sync::Mutex<Outcome>>,
) -> impl FnOnce(&Report) -> String + Send + 'static {
    move |report| {
        let learned = report.learned();
        let mut text = learned.listing();
        let mut advice = advise(&compiled, arch, report);
        if let Some(t) = &target {
            advice.table = t.table();
            advice.fs_table = t.fs_table();
            advice.net_table = t.net_table();
        }
        text.push_str(&advice.to_string());
        let mut written = None;
        let mut write_error = None;
        if let Some(t) = target {
            match write_policy(&t, arch, &advice, report) {
                Ok(true) => {
                    let mut added = Vec::new();
                    if !advice.rules.is_empty() {
                        added.push(format!(
                            "{} added to {}",
                            plural(advice.rules.len() as u64, "rule"),
                            t.table()
                        ));
                    }
                    if !advice.files.is_empty() {
                        added.push(format!(
                            "{} added to {}",
                            plural(advice.files.len() as u64, "path"),
                            t.fs_table()
                        ));
                    }
                    if !advice.ports.is_empty() {
                        added.push(format!(
                            "{} added to {}",
                            plural(advice.ports.len() as u64, "port"),
                            t.net_table()
                        ));
                    }
                    let _ = writeln!(text, "wrote {}: {}", t.out, added.join(", "));
                    if let Some(cap) = &t.into {
                        let _ = writeln!(text, "run it with --cap {cap}");
                    }
                    written = Some(t.out.clone());
                }
                Ok(false) if t.out != t.source => {
                    let _ = writeln!(text, "nothing to add: wrote {} as {} was", t.out, t.source);
                    written = Some(t.out.clone());
                }
                Ok(false) => {
                    let _ = writeln!(text, "nothing to add to {}", t.out);
                }
                Err(e) => {
                    let _ = writeln!(text, "error: {} was not written: {e}", t.out);
                    write_error = Some(e);
                }
            }
        }
        let mut o = outcome
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if json {
            o.json = Some(to_json(&advice, written.as_deref()));
        }
        o.write_error = write_error;
        text
    }
}

/// Adds the advice's rules to `t.source`, checks the result, and writes it
/// to `t.out`; whether there was anything to add. With nothing to add,
/// `--write` still writes the policy as it was (what runs next reads it),
/// and `--merge` leaves the file alone.
fn write_policy(t: &Target, arch: Arch, advice: &Advice, report: &Report) -> Result<bool, String> {
    let nothing = advice.rules.is_empty() && advice.files.is_empty() && advice.ports.is_empty();
    if nothing && t.out == t.source {
        return Ok(false);
    }
    let text =
        std::fs::read_to_string(&t.source).map_err(|e| format!("reading {}: {e}", t.source))?;
    let new = add_rules(&text, &advice.rules, t.into.as_deref())?;
    let new = files::add_fs_entries(&new, &advice.files, t.into.as_deref())?;
    let new = ports::add_net_entries(&new, &advice.ports, t.into.as_deref())?;
    check_written(&new, arch, advice, t.into.as_deref(), report)?;
    // Written beside it and renamed over it: a reader never sees half.
    let tmp = format!("{}.learn-{}", t.out, std::process::id());
    std::fs::write(&tmp, &new).map_err(|e| format!("writing {tmp}: {e}"))?;
    std::fs::rename(&tmp, &t.out).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("renaming {tmp} to {}: {e}", t.out)
    })?;
    Ok(!nothing)
}
#[cfg(test)]
mod tests {
    use super::rule::check_rule;
    use super::*;
    use seccomp_policy::domain::Enforced;
    use seccomp_policy::spawn::SPAWN_RULES;
    use seccomp_policy::supervise::{AllowedBy, Lifetime, Mode};
    use seccomp_policy::supervise::{ArgsSeen, CallCount};
    use seccomp_policy_compiler::compile;
    use seccomp_policy_core::sim::{run, SeccompData};

    // x86_64's values, from the kernel's UAPI headers (include/linux/socket.h,
    // asm-generic/socket.h, asm-generic/fcntl.h, asm-generic/ioctls.h) and
    // arch/x86/entry/syscalls/syscall_64.tbl; not from the tables under test.
    const AF_UNIX: u64 = 1;
    const AF_INET: u64 = 2;
    const SOCK_STREAM: u64 = 1;
    const SOCK_DGRAM: u64 = 2;
    const SOCK_CLOEXEC: u64 = 0o2_000_000;
    const TIOCGWINSZ: u64 = 0x5413;
    const TCGETS: u64 = 0x5401;
    const NR_SOCKET: i32 = 41;
    const NR_IOCTL: i32 = 16;
    const NR_SYNC: i32 = 162;
    const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;

    fn called(name: &'static str, nr: i32, lists: &[[u64; 6]]) -> CallCount {
        let mut c = CallCount {
            arch: Some(Arch::X86_64),
            audit_arch: Arch::X86_64.audit_arch(),
            nr,
            name: Some(name),
            count: 0,
            first: None,
            allowed_by: AllowedBy::NoCap,
            killed: 0,
            refused: 0,
            errno: None,
            refused_seen: ArgsSeen::default(),
            seen: ArgsSeen::default(),
            caps_every: 0,
        };
        for args in lists {
            c.count += 1;
            c.killed += 1;
            c.seen.add(args);
        }
        c
    }

    pub(super) fn report(granted: &[&str], calls: Vec<CallCount>) -> Report {
        Report {
            calls,
            ..Report::new(
                Mode::Learn,
                "p.toml".to_owned(),
                granted.iter().map(|g| (*g).to_owned()).collect(),
                1,
                Enforced::NONE,
                Lifetime::Unbounded,
            )
        }
    }

    /// What the program `text` builds on x86_64 with `caps` returns for
    /// `nr(args)`, run in the kernel's interpreter: the BPF the policy
    /// becomes, not the verdict function the advice was checked with.
    fn returns(text: &str, caps: u64, nr: i32, args: [u64; 6]) -> u32 {
        let compiled = compile(text).expect("compiles");
        let rules = compiled
            .arches
            .iter()
            .find(|a| a.arch == Arch::X86_64)
            .expect("x86_64");
        rules.with_policy(|ap| {
            let prog = ap
                .program::<4096>(caps, SPAWN_RULES, ap.default)
                .expect("builds");
            let mut d = SeccompData::new(nr, Arch::X86_64.audit_arch());
            d.args = args;
            run(prog.as_slice(), &d).expect("runs").ret
        })
    }

    const NET: &str = "\
# Internet sockets only.
default = \"kill-process\"

[base]
allow = [\"read\", \"write\"]  # every payload

[cap.NET]
allow = [\"socket(family == AF_INET || family == AF_INET6)\", \"connect\"]
";

    /// The case: `socket(AF_UNIX)` under a policy whose cap allows
    /// Internet families only. No cap is offered (NET does not allow the
    /// call); the rule names the family, the parameter the policy tells
    /// apart, and the policy with it allows the call and no other family.
    #[test]
    fn a_socket_rule_names_the_family_and_no_cap_is_offered() {
        let compiled = compile(NET).unwrap();
        // Registers past socket's three parameters hold what they held.
        let mut socket = called(
            "socket",
            NR_SOCKET,
            &[
                [
                    AF_UNIX,
                    SOCK_STREAM | SOCK_CLOEXEC,
                    0,
                    0x7f00_dead_beef,
                    9,
                    3,
                ],
                [AF_UNIX, SOCK_DGRAM, 0, 0, 0, 0],
            ],
        );
        socket.allowed_by = AllowedBy::OtherArguments;
        let r = report(&["NET"], vec![socket]);
        let advice = advise(&compiled, Arch::X86_64, &r);
        assert!(advice.caps.is_empty(), "{advice:?}");
        let rules: Vec<&str> = advice.rules.iter().map(|s| s.rule.as_str()).collect();
        assert_eq!(rules, ["socket(family == AF_UNIX)"]);
        assert_eq!(advice.rules[0].lists, 2);

        let written = add_rules(NET, &advice.rules, None).unwrap();
        check_written(&written, Arch::X86_64, &advice, None, &r).unwrap();
        let unix = [AF_UNIX, SOCK_STREAM, 0, 0, 0, 0];
        let inet = [AF_INET, SOCK_STREAM, 0, 0, 0, 0];
        assert_ne!(returns(NET, 0, NR_SOCKET, unix), SECCOMP_RET_ALLOW);
        assert_eq!(returns(&written, 0, NR_SOCKET, unix), SECCOMP_RET_ALLOW);
        assert_ne!(returns(&written, 0, NR_SOCKET, inet), SECCOMP_RET_ALLOW);
        assert_ne!(
            returns(&written, 0, NR_SOCKET, [10, 1, 0, 0, 0, 0]),
            SECCOMP_RET_ALLOW
        );
    }

    /// `--into CAP`: the rules go to that cap's table (made when missing,
    /// or added to when there), so only runs granted it get them; the
    /// file's other lines stay as they were.
    #[test]
    fn rules_go_into_the_cap_asked_for() {
        let compiled = compile(NET).unwrap();
        let mut socket = called("socket", NR_SOCKET, &[[AF_UNIX, SOCK_STREAM, 0, 0, 0, 0]]);
        socket.allowed_by = AllowedBy::OtherArguments;
        let r = report(&[], vec![socket]);
        let advice = advise(&compiled, Arch::X86_64, &r);
        let unix = [AF_UNIX, SOCK_STREAM, 0, 0, 0, 0];

        let new_cap = add_rules(NET, &advice.rules, Some("UNIX")).unwrap();
        for line in NET.lines() {
            assert!(new_cap.contains(line), "{line} kept: {new_cap}");
        }
        assert!(new_cap.contains("[cap.UNIX]"), "{new_cap}");
        check_written(&new_cap, Arch::X86_64, &advice, Some("UNIX"), &r).unwrap();
        // Without the cap the written policy does not allow the call.
        let without = check_written(&new_cap, Arch::X86_64, &advice, None, &r);
        assert!(without.unwrap_err().contains("does not allow"));
        // NET is bit 0, UNIX (made after it) bit 1.
        assert_ne!(returns(&new_cap, 0b01, NR_SOCKET, unix), SECCOMP_RET_ALLOW);
        assert_eq!(returns(&new_cap, 0b10, NR_SOCKET, unix), SECCOMP_RET_ALLOW);

        let into_net = add_rules(NET, &advice.rules, Some("NET")).unwrap();
        assert_eq!(into_net.matches("[cap.NET]").count(), 1, "{into_net}");
        assert_ne!(returns(&into_net, 0, NR_SOCKET, unix), SECCOMP_RET_ALLOW);
        assert_eq!(returns(&into_net, 0b01, NR_SOCKET, unix), SECCOMP_RET_ALLOW);
    }

    /// Where a table refuses a call by name (`ioctl = "EPERM"`), the rule
    /// takes its key parameter, by the constant's name; where the policy
    /// compares the socket type too, the type is named as an OR of flags.
    #[test]
    fn rules_take_the_key_parameter_and_flags_by_name() {
        let text = "\
[base]
allow = [\"read\"]
[base.actions]
ioctl = \"EPERM\"
[cap.NET]
allow = [\"socket(family == AF_INET && type == SOCK_STREAM)\"]
";
        let compiled = compile(text).unwrap();
        let ioctl = called(
            "ioctl",
            NR_IOCTL,
            &[
                [1, TIOCGWINSZ, 0x7ffd_0000_1000, 0, 0, 0],
                [0, TCGETS, 0x7ffd_0000_2000, 0, 0, 0],
            ],
        );
        let socket = called(
            "socket",
            NR_SOCKET,
            &[[AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, 0, 0, 0]],
        );
        let advice = advise(&compiled, Arch::X86_64, &report(&[], vec![ioctl, socket]));
        let rules: Vec<&str> = advice.rules.iter().map(|s| s.rule.as_str()).collect();
        assert_eq!(
            rules,
            [
                "ioctl(cmd in [TCGETS, TIOCGWINSZ])",
                "socket(family == AF_UNIX && type == SOCK_STREAM | SOCK_CLOEXEC)"
            ]
        );
        let written = add_rules(text, &advice.rules, None).unwrap();
        let ioctl = |cmd| returns(&written, 0, NR_IOCTL, [1, cmd, 0, 0, 0, 0]);
        assert_eq!(ioctl(TIOCGWINSZ), SECCOMP_RET_ALLOW);
        assert_eq!(ioctl(TCGETS), SECCOMP_RET_ALLOW);
        assert_ne!(ioctl(0x5412), SECCOMP_RET_ALLOW, "TIOCSTI");
        let sock = |ty| returns(&written, 0, NR_SOCKET, [AF_UNIX, ty, 0, 0, 0, 0]);
        assert_eq!(sock(SOCK_STREAM | SOCK_CLOEXEC), SECCOMP_RET_ALLOW);
        assert_ne!(sock(SOCK_STREAM), SECCOMP_RET_ALLOW);
    }

    /// A call no table mentions gets its bare name; a rule that would let
    /// through a value no call had fails the check.
    #[test]
    fn the_check_refuses_a_rule_wider_than_the_calls_seen() {
        let seen = called("socket", NR_SOCKET, &[[AF_UNIX, SOCK_STREAM, 0, 0, 0, 0]]).seen;
        let nr = NR_SOCKET as u32;
        check_rule(Arch::X86_64, "socket(family == AF_UNIX)", nr, &seen).unwrap();
        let wide = check_rule(Arch::X86_64, "socket(family in [AF_UNIX, 0])", nr, &seen);
        assert!(wide.unwrap_err().contains("arg0 = 0, which no call had"));
        let narrow = check_rule(Arch::X86_64, "socket(family == AF_INET)", nr, &seen);
        assert!(narrow.unwrap_err().contains("does not allow the call seen"));

        let compiled = compile(NET).unwrap();
        let sync = called("sync", NR_SYNC, &[[0; 6]]);
        let advice = advise(&compiled, Arch::X86_64, &report(&[], vec![sync]));
        assert_eq!(advice.rules[0].rule, "sync");
    }

    /// Caps are offered only where one allows every call seen.
    #[test]
    fn a_cap_is_offered_only_when_it_allows_every_call() {
        let compiled = compile(NET).unwrap();
        let mut connect = called("connect", 42, &[[3, 0x1000, 16, 0, 0, 0]]);
        connect.caps_every = 0b1;
        connect.allowed_by = AllowedBy::Caps {
            bits: 0b1,
            names: vec!["NET".to_owned()],
        };
        let advice = advise(&compiled, Arch::X86_64, &report(&[], vec![connect]));
        assert_eq!(advice.caps, ["NET"]);
        assert!(advice.rules.is_empty());
        let text = advice.to_string();
        assert_eq!(text, "to allow them, grant --cap NET\n");
    }

    /// Writing into the shipped policy keeps every line of it, in order:
    /// only the new entries (and their comments) are added, and the result
    /// compiles.
    #[test]
    fn writing_keeps_the_files_comments_and_layout() {
        let shipped = include_str!("../../../policy/seccomp.toml");
        let rules = [
            Suggestion {
                syscall: "sync".to_owned(),
                rule: "sync".to_owned(),
                calls: 1,
                lists: 1,
                complete: true,
                first: Some("/usr/bin/sync\n".to_owned()),
                errno: None,
            },
            Suggestion {
                syscall: "socket".to_owned(),
                rule: "socket(family == AF_UNIX)".to_owned(),
                calls: 2,
                lists: 2,
                complete: true,
                first: None,
                errno: None,
            },
            // Already there: not added twice.
            Suggestion {
                syscall: "read".to_owned(),
                rule: "read".to_owned(),
                calls: 1,
                lists: 1,
                complete: true,
                first: None,
                errno: None,
            },
        ];
        let written = add_rules(shipped, &rules, None).unwrap();
        let old: Vec<&str> = shipped.lines().collect();
        let new: Vec<&str> = written.lines().collect();
        let mut added = Vec::new();
        let mut i = 0;
        for line in &new {
            if i < old.len() && old[i] == *line {
                i += 1;
            } else {
                added.push(*line);
            }
        }
        assert_eq!(
            i,
            old.len(),
            "a line of the shipped policy was lost or changed"
        );
        assert_eq!(
            added,
            [
                "    # learned: /usr/bin/sync, 1 call",
                "    \"sync\",",
                "    # learned: a process that ended first, 2 calls",
                "    \"socket(family == AF_UNIX)\",",
            ]
        );
        compile(&written).expect("the written policy compiles");
    }

    /// `--format json`: one object, read back by a JSON parser.
    #[test]
    fn the_advice_as_json() {
        let advice = Advice {
            file: "p.toml".to_owned(),
            granted: vec!["NET".to_owned()],
            caps: vec!["FILES".to_owned()],
            rules: vec![Suggestion {
                syscall: "socket".to_owned(),
                rule: "socket(family == AF_UNIX)".to_owned(),
                calls: 2,
                lists: 2,
                complete: true,
                first: Some("/usr/bin/python3".to_owned()),
                errno: None,
            }],
            table: "[cap.UNIX]".to_owned(),
            refused: Vec::new(),
            unmet: vec!["x \"quoted\"".to_owned()],
            files: vec![FileEntry {
                path: "/var/tmp/\"x\"/out".to_owned(),
                list: "write",
                access: vec!["make in", "remove from"],
                calls: 3,
                first: None,
            }],
            fs_table: "[cap.UNIX.fs]".to_owned(),
            ports: vec![PortEntry {
                port: 8080,
                list: "connect",
                calls: 2,
                first: Some("/usr/bin/curl".to_owned()),
            }],
            net_table: "[cap.UNIX.net]".to_owned(),
        };
        let v: serde_json::Value =
            serde_json::from_str(&to_json(&advice, Some("out.toml"))).unwrap();
        assert_eq!(v["caps"][0], "FILES");
        assert_eq!(v["granted"][0], "NET");
        assert_eq!(v["rules"][0]["rule"], "socket(family == AF_UNIX)");
        assert_eq!(v["rules"][0]["calls"], 2);
        assert_eq!(v["rules"][0]["first"], "/usr/bin/python3");
        assert_eq!(v["unmet"][0], "x \"quoted\"");
        assert_eq!(v["written"], "out.toml");
        assert_eq!(v["table"], "[cap.UNIX]");
        assert!(v["refused"].as_array().unwrap().is_empty());
        assert_eq!(v["files"][0]["path"], "/var/tmp/\"x\"/out");
        assert_eq!(v["files"][0]["list"], "write");
        assert_eq!(v["files"][0]["access"][1], "remove from");
        assert_eq!(v["ports"][0]["port"], 8080);
        assert_eq!(v["ports"][0]["list"], "connect");
        assert_eq!(v["ports"][0]["calls"], 2);
        assert_eq!(v["ports"][0]["first"], "/usr/bin/curl");
        assert_eq!(v["net_table"], "[cap.UNIX.net]");
        assert_eq!(v["files"][0]["calls"], 3);
        assert!(v["files"][0]["first"].is_null());
        assert_eq!(v["fs_table"], "[cap.UNIX.fs]");
    }
}
