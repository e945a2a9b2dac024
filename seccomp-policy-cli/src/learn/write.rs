//! `--write` and `--merge`: the rules added to the policy file's `[base]`
//! (or, with `--into CAP`, `[cap.CAP]`) with `toml_edit`, which keeps the
//! file's comments and layout, and the check the written file passes
//! before it replaces anything.

use seccomp_policy::policy::cap_bit;
use seccomp_policy::supervise::Report;
use seccomp_policy::Action;
use seccomp_policy_compiler::compile;
use seccomp_policy_core::Arch;

use seccomp_policy::spawn::SPAWN_RULES;

use super::{plural, Advice, Suggestion};

/// `text`, a policy file, with `rules` added to the `allow` of `[base]`,
/// or of `[cap.CAP]` when `into` is `Some(CAP)` (those it does not have
/// yet; the table is made if the file has none), each after a comment
/// naming the program that needed it; its comments and layout are kept.
///
/// # Errors
///
/// The file is not TOML, or the table or its `allow` is not a table or an
/// array.
pub fn add_rules(text: &str, rules: &[Suggestion], into: Option<&str>) -> Result<String, String> {
    use toml_edit::{Array, DocumentMut, Item, Value};
    if rules.is_empty() {
        return Ok(text.to_owned());
    }
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("it is not TOML: {e}"))?;
    let (table, name) = policy_table(&mut doc, into, Made::Headed)?;
    let allow = table
        .entry("allow")
        .or_insert(Item::Value(Value::Array(Array::new())));
    let allow = allow
        .as_array_mut()
        .ok_or_else(|| format!("its `{name}` `allow` is not an array"))?;
    let multiline = is_multiline(allow);
    for s in rules {
        let present = allow
            .iter()
            .any(|v| v.as_str().is_some_and(|r| r.trim() == s.rule));
        if present {
            continue;
        }
        let mut value = Value::from(s.rule.as_str());
        let who = who(s.first.as_deref());
        value.decor_mut().set_prefix(format!(
            "\n    # learned: {who}, {}\n    ",
            plural(s.calls, "call")
        ));
        allow.push_formatted(value);
    }
    if !rules.is_empty() {
        allow.set_trailing_comma(true);
        if !multiline {
            allow.set_trailing("\n");
        }
    }
    Ok(doc.to_string())
}

/// How [`policy_table`] makes a cap's table the file lacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Made {
    /// With its own `[cap.NAME]` header and a comment above it: its
    /// `allow` goes in it.
    Headed,
    /// Implicit: only a sub-table (`[cap.NAME.fs]`) goes in it, under its
    /// own header.
    Implicit,
}

/// The table the entries learned go to in `doc`: `[base]`, or with
/// `into` `[cap.NAME]` (made as `made` says when missing); and its name
/// as the file writes it.
///
/// # Errors
///
/// `cap` or the table is there but not a table.
pub(super) fn policy_table<'d>(
    doc: &'d mut toml_edit::DocumentMut,
    into: Option<&str>,
    made: Made,
) -> Result<(&'d mut dyn toml_edit::TableLike, String), String> {
    use toml_edit::{Item, Table};
    let (table, name) = match into {
        None => (
            doc.entry("base")
                .or_insert_with(|| Item::Table(Table::new())),
            "[base]".to_owned(),
        ),
        Some(cap) => {
            let caps = doc.entry("cap").or_insert_with(|| {
                let mut t = Table::new();
                t.set_implicit(true);
                Item::Table(t)
            });
            let caps = caps.as_table_like_mut().ok_or("its `cap` is not a table")?;
            let new = caps.get(cap).is_none();
            let table = caps.entry(cap).or_insert_with(|| Item::Table(Table::new()));
            if let (true, Some(t)) = (new, table.as_table_mut()) {
                match made {
                    Made::Headed => {
                        t.decor_mut()
                            .set_prefix("\n# Learned by `seccomp-policy learn --into`.\n");
                    }
                    Made::Implicit => t.set_implicit(true),
                }
            }
            (table, format!("[cap.{cap}]"))
        }
    };
    let table = table
        .as_table_like_mut()
        .ok_or_else(|| format!("its `{name}` is not a table"))?;
    Ok((table, name))
}

/// Whether `array` is written one entry a line (entries are then added so).
pub(super) fn is_multiline(array: &toml_edit::Array) -> bool {
    array.trailing().as_str().is_some_and(|t| t.contains('\n'))
        || array.iter().any(|v| {
            v.decor()
                .prefix()
                .and_then(|p| p.as_str())
                .is_some_and(|p| p.contains('\n'))
        })
}

/// The program named in a `# learned:` comment, without control
/// characters; what stands in when none was read.
pub(super) fn who(first: Option<&str>) -> String {
    first.map_or_else(
        || "a process that ended first".to_owned(),
        |p| p.chars().filter(|c| !c.is_control()).collect(),
    )
}

/// Checks the written policy: it compiles, and with the caps granted and
/// offered (and `into`, the cap the rules went to, if any) it allows every
/// call seen of each syscall a rule was added for.
///
/// # Errors
///
/// What the written policy does wrong.
pub fn check_written(
    text: &str,
    arch: Arch,
    advice: &Advice,
    into: Option<&str>,
    report: &Report,
) -> Result<(), String> {
    let compiled = compile(text).map_err(|diags| {
        let first = diags
            .first()
            .map_or_else(String::new, |d| d.message.clone());
        format!("the written policy does not compile: {first}")
    })?;
    super::files::check_fs_entries(&compiled.policy, &advice.files, into)?;
    super::ports::check_net_entries(&compiled.policy, &advice.ports, into)?;
    let mut caps = 0u64;
    for name in advice
        .granted
        .iter()
        .chain(&advice.caps)
        .map(String::as_str)
        .chain(into)
    {
        let bit = compiled
            .policy
            .caps
            .iter()
            .position(|c| c.name == *name)
            .and_then(cap_bit)
            .ok_or_else(|| format!("the written policy has no cap {name}"))?;
        caps |= bit;
    }
    let rules = compiled
        .arches
        .iter()
        .find(|a| a.arch == arch)
        .ok_or("the written policy was not lowered for this architecture")?;
    rules.with_policy(|ap| {
        for call in report
            .learned()
            .no_cap
            .iter()
            .chain(report.learned().by_caps.iter().flat_map(|g| g.1.iter()))
        {
            let Ok(nr) = u32::try_from(call.nr) else {
                continue;
            };
            for args in &call.seen.lists {
                let v = ap.verdict(caps, SPAWN_RULES, nr, args, ap.default);
                if !matches!(v, Action::Allow | Action::Log) {
                    return Err(format!(
                        "the written policy does not allow {}{args:?}: {v:?}",
                        call.syscall()
                    ));
                }
            }
        }
        Ok(())
    })
}
