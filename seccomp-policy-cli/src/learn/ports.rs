//! `learn`'s advice for TCP ports: for each port the command connected to
//! or bound beyond its grant's `net` tables ([`Report::ports`]), a cap
//! whose `net` tables grant it, or the port to add to `connect` or `bind`
//! of `[base.net]` (or `[cap.CAP.net]` with `--into`). `--write`/`--merge`
//! add them as the files' entries are added ([`files::add_entries`]).

use seccomp_policy::supervise::Report;

use super::files::{self, cover_caps, Added};

/// A port `learn` offers for a `net` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortEntry {
    /// The port.
    pub port: u16,
    /// The list it goes to: `"connect"` or `"bind"`.
    pub list: &'static str,
    /// How many calls reached it.
    pub calls: u64,
    /// The program that made the first call, if it was read.
    pub first: Option<String>,
}

/// The caps to grant for `report`'s ports beyond the grant, beside those
/// already offered in `caps` (as [`cover_caps`] picks them), and the
/// entries for the ports no cap grants, in the order they were first
/// reached.
pub fn advise_ports(report: &Report, caps: &[String]) -> (Vec<String>, Vec<PortEntry>) {
    let more_caps = cover_caps(report.ports.iter().map(|p| p.caps.as_slice()), caps);
    let entries = report
        .ports
        .iter()
        .filter(|p| p.caps.is_empty())
        .map(|p| PortEntry {
            port: p.port,
            list: p.access.list(),
            calls: p.count,
            first: p.first.as_ref().map(|f| f.program.to_string()),
        })
        .collect();
    (more_caps, entries)
}

/// `text`, a policy file, with `entries` added to the `connect` and `bind`
/// of `[base.net]`, or of `[cap.CAP.net]` when `into` is `Some(CAP)`, as
/// numbers, each after a comment naming the program that needed it.
///
/// # Errors
///
/// The file is not TOML, or a table or list on the way is not one.
pub fn add_net_entries(
    text: &str,
    entries: &[PortEntry],
    into: Option<&str>,
) -> Result<String, String> {
    let entries: Vec<Added<'_>> = entries
        .iter()
        .map(|e| Added {
            list: e.list,
            value: toml_edit::Value::from(i64::from(e.port)),
            first: e.first.as_deref(),
            calls: e.calls,
            how: e.list.to_owned(),
        })
        .collect();
    files::add_entries(text, "net", &["connect", "bind"], &entries, into)
}

/// Checks that the compiled written policy's `net` table (`[base.net]`,
/// or `into`'s) lists every port offered.
///
/// # Errors
///
/// The port it does not list.
pub fn check_net_entries(
    policy: &seccomp_policy_compiler::model::Policy,
    entries: &[PortEntry],
    into: Option<&str>,
) -> Result<(), String> {
    let table = match into {
        None => Some(&policy.base),
        Some(cap) => policy.caps.iter().find(|c| c.name == cap).map(|c| &c.table),
    };
    let reach = &table
        .ok_or_else(|| format!("the written policy has no cap {}", into.unwrap_or("")))?
        .reach;
    for e in entries {
        let list = if e.list == "connect" {
            &reach.connect
        } else {
            &reach.bind
        };
        let port = e.port.to_string();
        if reach.net.is_none() || !list.iter().any(|r| r.text == port) {
            return Err(format!(
                "the written policy's net table does not list port {} in `{}`",
                e.port, e.list
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccomp_policy::notify::{ProcessInfo, Program};
    use seccomp_policy::supervise::{PortAccess, PortSeen};
    use seccomp_policy_compiler::compile;

    fn seen(port: u16, access: PortAccess, caps: &[&str]) -> PortSeen {
        PortSeen {
            port,
            access,
            count: 2,
            first: Some(ProcessInfo {
                pid: 7,
                tid: 7,
                program: Program::Exe("/usr/bin/python3.11".to_owned()),
            }),
            caps: caps.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    /// A port a cap grants offers the cap (one already offered needs
    /// nothing more); the others become entries of their list.
    #[test]
    fn ports_offer_a_cap_or_an_entry() {
        let mut report = super::super::tests::report(&[], Vec::new());
        report.ports = vec![
            seen(8080, PortAccess::Connect, &[]),
            seen(443, PortAccess::Connect, &["WEB"]),
            seen(0, PortAccess::Bind, &[]),
            seen(53, PortAccess::Connect, &["DNS"]),
        ];
        let (caps, entries) = advise_ports(&report, &["DNS".to_owned()]);
        assert_eq!(caps, ["WEB"]);
        let got: Vec<(u16, &str, u64)> =
            entries.iter().map(|e| (e.port, e.list, e.calls)).collect();
        assert_eq!(got, [(8080, "connect", 2), (0, "bind", 2)]);
        assert_eq!(entries[0].first.as_deref(), Some("/usr/bin/python3.11"));
    }

    /// The ports are written as numbers beside what the list had, its
    /// comments kept, a port it lists not added twice, and the result
    /// compiles with the net table listing them.
    #[test]
    fn writing_adds_ports_that_compile() {
        let text = "default = \"kill-process\"\nvars = [\"APP\"]\n\n[base]\nallow = [\"read\"]\n\n[base.net]\n# the app's own\nconnect = [\"$APP\", 443]\n";
        let entries = [
            PortEntry {
                port: 8080,
                list: "connect",
                calls: 3,
                first: Some("/usr/bin/python3".to_owned()),
            },
            PortEntry {
                port: 443,
                list: "connect",
                calls: 1,
                first: None,
            },
            PortEntry {
                port: 9000,
                list: "bind",
                calls: 1,
                first: None,
            },
        ];
        let out = add_net_entries(text, &entries, None).unwrap();
        assert!(out.contains("# the app's own"), "{out}");
        assert!(
            out.contains("# learned: /usr/bin/python3, 3 calls (connect)"),
            "{out}"
        );
        assert_eq!(out.matches("443").count(), 1, "{out}");
        let compiled = compile(&out).unwrap_or_else(|d| panic!("{out}\n{d:?}"));
        let reach = &compiled.policy.base.reach;
        let connect: Vec<&str> = reach.connect.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(connect, ["$APP", "443", "8080"]);
        let bind: Vec<&str> = reach.bind.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(bind, ["9000"]);
        check_net_entries(&compiled.policy, &entries, None).unwrap();
        // Into a cap that has no table yet.
        let out = add_net_entries(text, &entries[..1], Some("NET")).unwrap();
        let compiled = compile(&out).unwrap_or_else(|d| panic!("{out}\n{d:?}"));
        check_net_entries(&compiled.policy, &entries[..1], Some("NET")).unwrap();
        assert!(check_net_entries(&compiled.policy, &entries[2..], Some("NET")).is_err());
    }
}
