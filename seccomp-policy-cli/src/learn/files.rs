//! `learn`'s advice for files: for each path the command reached beyond
//! its grant's `fs` tables ([`Report::files`]), a cap whose `fs` tables
//! grant it, or the entry to add to `read` or `write` of `[base.fs]` (or
//! `[cap.CAP.fs]` with `--into`): the file itself for a file read,
//! executed or written, the directory for an entry made or removed in it.
//! `--write`/`--merge` add the entries with `toml_edit`, keeping the file's
//! comments and layout.

use seccomp_policy::supervise::{FileSeen, Report};

use super::plural;
use super::write::{is_multiline, policy_table, who, Made};

/// An entry `learn` offers for an `fs` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEntry {
    /// The path, as the entry says it: absolute, or beneath `$WORKDIR` or
    /// `$TMPDIR` as `$WORKDIR/out`.
    pub path: String,
    /// The list it goes to: `"read"` or `"write"`.
    pub list: &'static str,
    /// How the command reached it (`read`, `make in`, ...), each way once.
    pub access: Vec<&'static str>,
    /// How many calls reached it.
    pub calls: u64,
    /// The program that made the first call, if it was read.
    pub first: Option<String>,
}

/// The caps to grant for `report`'s files beyond the grant, beside those
/// already offered in `caps` (a file one of those grants needs nothing
/// more; a few caps granting the others, most files first), and the
/// entries for the files no cap grants: one per path, in the `write` list
/// when some access needs it there, none beneath another entry offered
/// in a list that grants as much.
pub fn advise_files(report: &Report, caps: &[String]) -> (Vec<String>, Vec<FileEntry>) {
    let more_caps = cover_caps(report.files.iter().map(|f| f.caps.as_slice()), caps);
    let mut entries: Vec<FileEntry> = Vec::new();
    for f in report.files.iter().filter(|f| f.caps.is_empty()) {
        add_entry(&mut entries, f);
    }
    // Each path once: in `write` if any of its accesses needs it.
    entries.sort_by(|a, b| (&a.path, b.list).cmp(&(&b.path, a.list)));
    let mut merged: Vec<FileEntry> = Vec::new();
    for e in entries {
        match merged.last_mut() {
            Some(last) if last.path == e.path => {
                for a in e.access {
                    if !last.access.contains(&a) {
                        last.access.push(a);
                    }
                }
                last.calls += e.calls;
            }
            _ => merged.push(e),
        }
    }
    let covered = |e: &FileEntry, by: &FileEntry| {
        !core::ptr::eq(e, by)
            && (by.list == "write" || e.list == "read")
            && e.path
                .strip_prefix(by.path.trim_end_matches('/'))
                .is_some_and(|rest| rest.starts_with('/'))
    };
    let kept: Vec<FileEntry> = merged
        .iter()
        .filter(|e| !merged.iter().any(|by| covered(e, by)))
        .cloned()
        .collect();
    (more_caps, kept)
}

/// A few caps that grant what some cap grants but none of `offered` does:
/// a greedy cover of the items (each given as the caps that grant it), the
/// cap granting the most of them first (the policy's order on a tie).
/// Files and ports are offered caps so.
pub(super) fn cover_caps<'a>(
    items: impl Iterator<Item = &'a [String]>,
    offered: &[String],
) -> Vec<String> {
    let mut more_caps: Vec<String> = Vec::new();
    let mut uncovered: Vec<&[String]> = items
        .filter(|caps| !caps.is_empty() && !caps.iter().any(|c| offered.contains(c)))
        .collect();
    while !uncovered.is_empty() {
        let mut best: Option<(&String, usize)> = None;
        for cap in uncovered.iter().flat_map(|caps| caps.iter()) {
            let n = uncovered.iter().filter(|caps| caps.contains(cap)).count();
            if best.is_none_or(|(_, m)| n > m) {
                best = Some((cap, n));
            }
        }
        let Some((cap, _)) = best else { break };
        let cap = cap.clone();
        uncovered.retain(|caps| !caps.contains(&cap));
        more_caps.push(cap);
    }
    more_caps
}

fn add_entry(entries: &mut Vec<FileEntry>, f: &FileSeen) {
    let list = f.access.list();
    let first = f.first.as_ref().map(|p| p.program.to_string());
    match entries
        .iter_mut()
        .find(|e| e.path == f.entry && e.list == list)
    {
        Some(e) => {
            if !e.access.contains(&f.access.name()) {
                e.access.push(f.access.name());
            }
            e.calls += f.count;
        }
        None => entries.push(FileEntry {
            path: f.entry.clone(),
            list,
            access: vec![f.access.name()],
            calls: f.count,
            first,
        }),
    }
}

/// `text`, a policy file, with `entries` added to the `read` and `write`
/// of `[base.fs]`, or of `[cap.CAP.fs]` when `into` is `Some(CAP)` (those
/// it does not list yet; the tables and arrays are made when missing),
/// each after a comment naming the program that needed it.
///
/// # Errors
///
/// The file is not TOML, or a table or list on the way is not one.
pub fn add_fs_entries(
    text: &str,
    entries: &[FileEntry],
    into: Option<&str>,
) -> Result<String, String> {
    let entries: Vec<Added> = entries
        .iter()
        .map(|e| Added {
            list: e.list,
            value: toml_edit::Value::from(e.path.as_str()),
            first: e.first.as_deref(),
            calls: e.calls,
            how: e.access.join(", "),
        })
        .collect();
    add_entries(text, "fs", &["read", "write"], &entries, into)
}

/// An entry [`add_entries`] adds to a list of an `fs` or `net` table.
pub(super) struct Added<'a> {
    /// The list: `read`, `write`, `connect` or `bind`.
    pub(super) list: &'static str,
    /// The entry: a path, or a port.
    pub(super) value: toml_edit::Value,
    /// The program that needed it first, for the comment.
    pub(super) first: Option<&'a str>,
    /// How many calls needed it.
    pub(super) calls: u64,
    /// How they reached it, for the comment.
    pub(super) how: String,
}

/// `text` with `entries` added to the lists `lists` of the table `key`
/// (`fs` or `net`) of `[base]`, or of `[cap.CAP]` when `into` is
/// `Some(CAP)` (those it does not list yet; the tables and arrays are made
/// when missing), each after a comment naming the program that needed it.
///
/// # Errors
///
/// The file is not TOML, or a table or list on the way is not one.
pub(super) fn add_entries(
    text: &str,
    key: &str,
    lists: &[&str],
    entries: &[Added<'_>],
    into: Option<&str>,
) -> Result<String, String> {
    use toml_edit::{Array, DocumentMut, Item, Table, Value};
    if entries.is_empty() {
        return Ok(text.to_owned());
    }
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("it is not TOML: {e}"))?;
    let (table, outer) = policy_table(&mut doc, into, Made::Implicit)?;
    let name = format!("{}.{key}]", outer.trim_end_matches(']'));
    let made_table = table.get(key).is_none();
    let reach = table
        .entry(key)
        .or_insert_with(|| Item::Table(Table::new()));
    if made_table {
        if let Some(t) = reach.as_table_mut() {
            t.decor_mut()
                .set_prefix("\n# Learned by `seccomp-policy learn`.\n");
        }
    }
    let reach = reach
        .as_table_like_mut()
        .ok_or_else(|| format!("its {name} is not a table"))?;
    // The same entry: the same string, or the same number.
    let same = |a: &Value, b: &Value| match (a, b) {
        (Value::String(x), Value::String(y)) => x.value() == y.value(),
        (Value::Integer(x), Value::Integer(y)) => x.value() == y.value(),
        _ => false,
    };
    for &list in lists {
        let wanted: Vec<&Added<'_>> = entries.iter().filter(|e| e.list == list).collect();
        if wanted.is_empty() {
            continue;
        }
        let array = reach
            .entry(list)
            .or_insert(Item::Value(Value::Array(Array::new())));
        let array = array
            .as_array_mut()
            .ok_or_else(|| format!("its {name} `{list}` is not an array"))?;
        let multiline = is_multiline(array);
        // A comment on the last entry's line is kept on that line.
        let trailing = array.trailing().as_str().unwrap_or("").to_owned();
        let (mut same_line, rest) = match trailing.find('\n') {
            Some(nl) if trailing[..nl].contains('#') => {
                (trailing[..=nl].to_owned(), trailing[nl + 1..].to_owned())
            }
            _ => ("\n".to_owned(), trailing.clone()),
        };
        let mut pushed = false;
        for e in wanted {
            if array.iter().any(|v| same(v, &e.value)) {
                continue;
            }
            let mut value = e.value.clone();
            let who = who(e.first);
            value.decor_mut().set_prefix(format!(
                "{}    # learned: {who}, {} ({})\n    ",
                std::mem::replace(&mut same_line, "\n".to_owned()),
                plural(e.calls, "call"),
                e.how
            ));
            array.push_formatted(value);
            pushed = true;
        }
        if pushed && multiline {
            array.set_trailing(format!("\n{}", rest.trim_start_matches(['\n', ' '])));
        }
        array.set_trailing_comma(true);
        if !multiline {
            array.set_trailing("\n");
        }
    }
    Ok(doc.to_string())
}

/// Checks that the compiled written policy's `fs` table (`[base.fs]`, or
/// `into`'s) lists every entry offered.
///
/// # Errors
///
/// The entry it does not list.
pub fn check_fs_entries(
    policy: &seccomp_policy_compiler::model::Policy,
    entries: &[FileEntry],
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
        let list = if e.list == "read" {
            &reach.read
        } else {
            &reach.write
        };
        if reach.fs.is_none() || !list.iter().any(|r| r.text == e.path) {
            return Err(format!(
                "the written policy's fs table does not list {:?} in `{}`",
                e.path, e.list
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccomp_policy::domain::Enforced;
    use seccomp_policy::notify::{ProcessInfo, Program};
    use seccomp_policy::supervise::{FileAccess, Lifetime, Mode};
    use seccomp_policy_compiler::compile;

    fn seen(path: &str, access: FileAccess, caps: &[&str]) -> FileSeen {
        FileSeen {
            path: path.to_owned(),
            access,
            count: 1,
            first: Some(ProcessInfo {
                pid: 7,
                tid: 7,
                program: Program::Exe("/usr/bin/python3.11".to_owned()),
            }),
            caps: caps.iter().map(|c| (*c).to_owned()).collect(),
            entry: path.to_owned(),
        }
    }

    fn report(files: Vec<FileSeen>) -> Report {
        Report {
            files,
            ..Report::new(
                Mode::Learn,
                "p.toml".to_owned(),
                Vec::new(),
                7,
                Enforced::NONE,
                Lifetime::Unbounded,
            )
        }
    }

    /// One entry per path, in `write` when some access needs it there;
    /// none beneath a `write` entry offered; a file a cap grants gets the
    /// cap (one already offered for calls, or the first that grants it),
    /// not an entry.
    #[test]
    fn entries_are_one_per_path_and_caps_come_first() {
        let r = report(vec![
            seen("/data/in/a.txt", FileAccess::Read, &[]),
            seen("/data/out", FileAccess::Make, &[]),
            seen("/data/out", FileAccess::Remove, &[]),
            seen("/data/out/log", FileAccess::Read, &[]),
            seen("/data/db", FileAccess::Read, &[]),
            seen("/data/db", FileAccess::Write, &[]),
            seen("/work/x", FileAccess::Make, &["SQL_QUERY", "FILE_IO"]),
            seen("/work/y", FileAccess::Make, &["FILE_IO"]),
            seen("/tmp/z", FileAccess::Write, &["SQL_QUERY", "FILE_IO"]),
        ]);
        let (caps, entries) = advise_files(&r, &["FILE_IO".to_owned()]);
        assert!(caps.is_empty(), "FILE_IO, offered for calls, grants them");
        let got: Vec<(&str, &str, Vec<&str>)> = entries
            .iter()
            .map(|e| (e.path.as_str(), e.list, e.access.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("/data/db", "write", vec!["write", "read"]),
                ("/data/in/a.txt", "read", vec!["read"]),
                ("/data/out", "write", vec!["make in", "remove from"]),
            ]
        );
        let (caps, _) = advise_files(&r, &[]);
        assert_eq!(caps, ["FILE_IO"], "the one cap that grants all three");
        let r = report(vec![
            seen("/work/x", FileAccess::Make, &["SQL_QUERY", "FILE_IO"]),
            seen("/var/lib/x", FileAccess::Make, &["DB"]),
        ]);
        let (caps, entries) = advise_files(&r, &[]);
        assert_eq!(caps, ["SQL_QUERY", "DB"], "ties in the policy's order");
        assert!(entries.is_empty());
    }

    /// The shipped policy gains lines only: the entries, each after a
    /// comment, in `[base.fs]`'s lists, the comment on the last entry's
    /// line kept on it; the result compiles and lists them.
    #[test]
    fn fs_entries_are_added_to_the_shipped_policy_keeping_its_lines() {
        let shipped = include_str!("../../../policy/seccomp.toml");
        let (_, entries) = advise_files(
            &report(vec![
                seen("/data/in/a.txt", FileAccess::Read, &[]),
                seen("/data/out", FileAccess::Make, &[]),
            ]),
            &[],
        );
        let written = add_fs_entries(shipped, &entries, None).unwrap();
        let mut old = shipped.lines().peekable();
        let mut added = Vec::new();
        for line in written.lines() {
            if old.peek() == Some(&line) {
                old.next();
            } else {
                added.push(line);
            }
        }
        assert_eq!(old.next(), None, "a line of the shipped policy was lost");
        assert_eq!(
            added,
            [
                "    # learned: /usr/bin/python3.11, 1 call (read)",
                "    \"/data/in/a.txt\",",
                "    # learned: /usr/bin/python3.11, 1 call (make in)",
                "    \"/data/out\",",
            ]
        );
        let compiled = compile(&written).expect("compiles");
        check_fs_entries(&compiled.policy, &entries, None).unwrap();
        let base = &compiled.policy.base.reach;
        assert!(base.read.iter().any(|e| e.text == "/data/in/a.txt"));
        assert!(base.write.iter().any(|e| e.text == "/data/out"));
        // Not in the shipped policy: the check refuses it.
        let compiled = compile(shipped).expect("compiles");
        assert!(check_fs_entries(&compiled.policy, &entries, None).is_err());
    }

    /// `--into CAP`: `[cap.CAP.fs]` is made (the cap too) when missing,
    /// and the entries are there, not in `[base.fs]`.
    #[test]
    fn fs_entries_go_into_the_cap_asked_for() {
        let text = "[base]\nallow = [\"read\"]\n[base.fs]\nread = [\"/usr\"]\n";
        let (_, entries) =
            advise_files(&report(vec![seen("/srv/out", FileAccess::Make, &[])]), &[]);
        let written = add_fs_entries(text, &entries, Some("OUT")).unwrap();
        assert!(written.contains("[cap.OUT.fs]"), "{written}");
        let compiled = compile(&written).expect("compiles");
        check_fs_entries(&compiled.policy, &entries, Some("OUT")).unwrap();
        assert!(check_fs_entries(&compiled.policy, &entries, None).is_err());
        let out = &compiled.policy.caps[0];
        assert_eq!(out.name, "OUT");
        assert_eq!(out.table.reach.write[0].text, "/srv/out");
        assert!(compiled.policy.base.reach.write.is_empty());
    }
}
