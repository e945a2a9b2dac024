//! `learn`'s advice for files: for each path the command reached beyond
//! its grant's `fs` tables ([`Report::files`]), a cap whose `fs` tables
//! grant it, or the entry to add to `read` or `write` of `[base.fs]` (or
//! `[cap.CAP.fs]` with `--into`): the file itself for a file read,
//! executed or written, the directory for an entry made or removed in it.
//! `--write`/`--merge` add the entries with `toml_edit`, keeping the file's
//! comments and layout.

use seccomp_policy::supervise::{FileSeen, Report};

use super::plural;

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
/// more), and the entries for the rest: one per path, in the `write` list
/// when some access needs it there, none beneath another entry offered
/// in a list that grants as much.
pub fn advise_files(report: &Report, caps: &[String]) -> (Vec<String>, Vec<FileEntry>) {
    let mut more_caps: Vec<String> = Vec::new();
    let mut entries: Vec<FileEntry> = Vec::new();
    for f in &report.files {
        if f.caps
            .iter()
            .any(|c| caps.contains(c) || more_caps.contains(c))
        {
            continue;
        }
        if let Some(cap) = f.caps.first() {
            more_caps.push(cap.clone());
            continue;
        }
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
    use toml_edit::{Array, DocumentMut, Item, Table, Value};
    if entries.is_empty() {
        return Ok(text.to_owned());
    }
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("it is not TOML: {e}"))?;
    let (table, name) = match into {
        None => (
            doc.entry("base")
                .or_insert_with(|| Item::Table(Table::new())),
            "[base.fs]".to_owned(),
        ),
        Some(cap) => {
            let caps = doc.entry("cap").or_insert_with(|| {
                let mut t = Table::new();
                t.set_implicit(true);
                Item::Table(t)
            });
            let caps = caps.as_table_like_mut().ok_or("its `cap` is not a table")?;
            let made = caps.get(cap).is_none();
            let table = caps.entry(cap).or_insert_with(|| Item::Table(Table::new()));
            if made {
                if let Some(t) = table.as_table_mut() {
                    t.set_implicit(true);
                }
            }
            (table, format!("[cap.{cap}.fs]"))
        }
    };
    let table = table
        .as_table_like_mut()
        .ok_or_else(|| format!("the table of {name} is not a table"))?;
    let made_fs = table.get("fs").is_none();
    let fs = table
        .entry("fs")
        .or_insert_with(|| Item::Table(Table::new()));
    if made_fs {
        if let Some(t) = fs.as_table_mut() {
            t.decor_mut()
                .set_prefix("\n# Learned by `seccomp-policy learn`.\n");
        }
    }
    let fs = fs
        .as_table_like_mut()
        .ok_or_else(|| format!("its {name} is not a table"))?;
    for list in ["read", "write"] {
        let wanted: Vec<&FileEntry> = entries.iter().filter(|e| e.list == list).collect();
        if wanted.is_empty() {
            continue;
        }
        let array = fs
            .entry(list)
            .or_insert(Item::Value(Value::Array(Array::new())));
        let array = array
            .as_array_mut()
            .ok_or_else(|| format!("its {name} `{list}` is not an array"))?;
        let multiline = array.trailing().as_str().is_some_and(|t| t.contains('\n'))
            || array.iter().any(|v| {
                v.decor()
                    .prefix()
                    .and_then(|p| p.as_str())
                    .is_some_and(|p| p.contains('\n'))
            });
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
            if array.iter().any(|v| v.as_str() == Some(e.path.as_str())) {
                continue;
            }
            let mut value = Value::from(e.path.as_str());
            let who = e
                .first
                .as_deref()
                .map(|p| p.chars().filter(|c| !c.is_control()).collect::<String>())
                .unwrap_or_else(|| "a process that ended first".to_owned());
            value.decor_mut().set_prefix(format!(
                "{}    # learned: {who}, {} ({})\n    ",
                std::mem::replace(&mut same_line, "\n".to_owned()),
                plural(e.calls, "call"),
                e.access.join(", ")
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
