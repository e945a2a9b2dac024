//! Whether every program of a policy can be built: the one decision the
//! macro, `check`, `run` and `export` share, since [`crate::compile`] makes
//! it.
//!
//! A policy may be granted any set of its caps, and a program may get the
//! spawn path's `execve` besides, so a policy is buildable when, on every
//! architecture, the builder makes a program for every cap set, with and
//! without `execve`. The builder refuses a program of more than
//! `BPF_MAXINSNS` (4096) instructions, and a syscall with more than
//! `MAX_RULES_PER_NUMBER` (32) conditioned rules once the granted tables
//! are joined.
//!
//! Checking every cap set would be `2^caps` builds. Instead:
//!
//! - length: the builder's own bound ([`capacity_for`], which holds for any
//!   subset of the sets it is given, with two more unconditional rules) is
//!   computed for a tree of partial choices, cap by cap; a branch whose
//!   bound is under the limit is done without a build, and only the cap
//!   sets of branches that may be over it are built. Almost every policy is
//!   done at the root. The builds are bounded ([`SEARCH_BUDGET`] per
//!   architecture); a policy that exhausts them without a failure found is
//!   taken as buildable.
//! - rules per syscall: for each syscall, the cap set that joins the most of
//!   its conditioned rules (a table that allows it outright ends the count)
//!   is worked out and built.
//!
//! A failure is reported with the architecture, a smallest cap set that
//! shows it (caps that do not matter are dropped) and the rule that takes
//! the program over: the shortest prefix of the granted rules, in file
//! order, that cannot be built ends with it.

use seccomp_policy_core::bpf::BPF_MAXINSNS;
use seccomp_policy_core::builder::{build, capacity_for, BuildError, MAX_RULES_PER_NUMBER};
use seccomp_policy_core::policy::{spawn_rules, EXTRA_RULES};
use seccomp_policy_core::rule::{Action, RuleSet};
use seccomp_policy_core::text::quoted;
use seccomp_policy_core::{syscalls, Arch};

use crate::diag::{Code, Diagnostic};
use crate::lower::{with_rule_sets, ArchRules, SetRules};
use crate::model::{Loc, Policy, Table};

/// The most cap sets the length search builds on one architecture.
pub const SEARCH_BUDGET: usize = 256;

/// A program the builder refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unbuildable {
    /// The architecture.
    pub arch: Arch,
    /// The caps granted (bit `i`: the policy's `i`th cap).
    pub caps: u64,
    /// Whether the spawn path's `execve` was added.
    pub execve: bool,
    /// What the builder said.
    pub error: BuildError,
    /// The rule that takes it over, and its table (`[base]`,
    /// `[cap.NAME]`), when one is found.
    pub culprit: Option<(Loc, String)>,
}

/// Every error of a policy whose programs cannot all be built: one per
/// kind of failure, naming the first architecture that has it and the
/// others.
pub fn check(policy: &Policy, arches: &[ArchRules]) -> Vec<Diagnostic> {
    let failures: Vec<Unbuildable> = arches
        .iter()
        .filter_map(|rules| first_failure(policy, rules))
        .collect();
    let mut groups: Vec<Vec<&Unbuildable>> = Vec::new();
    for f in &failures {
        let same = |g: &&mut Vec<&Unbuildable>| {
            let g0 = g[0];
            g0.caps == f.caps
                && g0.execve == f.execve
                && core::mem::discriminant(&g0.error) == core::mem::discriminant(&f.error)
        };
        match groups.iter_mut().find(same) {
            Some(g) => g.push(f),
            None => groups.push(vec![f]),
        }
    }
    groups.iter().map(|g| diagnostic(policy, g)).collect()
}

/// The first failure found on `rules`' architecture, if any.
pub fn first_failure(policy: &Policy, rules: &ArchRules) -> Option<Unbuildable> {
    let execve = Some(spawn_rules(rules.arch));
    let (caps, with_execve) = too_many_rules(rules)
        .map(|caps| (caps, false))
        .or_else(|| too_long(rules, execve))?;
    let extra = if with_execve { execve } else { None };
    let caps = smallest(rules, caps, extra);
    let error = try_build(rules, caps, extra).err()?;
    Some(Unbuildable {
        arch: rules.arch,
        caps,
        execve: with_execve,
        error,
        culprit: culprit(policy, rules, caps, extra),
    })
}

/// Builds the program of `caps`, with `execve` allowed when given; its
/// length.
fn try_build(
    rules: &ArchRules,
    caps: u64,
    execve: Option<RuleSet<'static>>,
) -> Result<usize, BuildError> {
    let extra = SetRules {
        allow: execve.map_or_else(Vec::new, |spawn| spawn.allow.to_vec()),
        rules: Vec::new(),
    };
    let mut sets = vec![&rules.base, &extra];
    sets.extend(granted(rules, caps));
    build_sets(rules.arch, &sets, rules.default)
}

fn build_sets(arch: Arch, sets: &[&SetRules], default: Action) -> Result<usize, BuildError> {
    with_rule_sets(sets, |sets| {
        build::<BPF_MAXINSNS>(arch, sets, default).map(|p| p.len())
    })
}

/// The cap tables of `caps`, in declaration order.
fn granted(rules: &ArchRules, caps: u64) -> impl Iterator<Item = &SetRules> {
    rules
        .caps
        .iter()
        .enumerate()
        .filter(move |(i, _)| *i < 64 && caps & (1 << i) != 0)
        .map(|(_, s)| s)
}

/// Whether the builder's bound for any subset of `[base]` and `caps`
/// (with [`EXTRA_RULES`] more) is under the kernel's limit.
fn surely_fits(rules: &ArchRules, caps: u64) -> bool {
    let sets: Vec<&SetRules> = std::iter::once(&rules.base)
        .chain(granted(rules, caps))
        .collect();
    with_rule_sets(&sets, |sets| capacity_for(sets, EXTRA_RULES)) < BPF_MAXINSNS
}

/// A cap set whose program is too long (and whether with `execve`), found
/// by the search the module docs describe.
fn too_long(rules: &ArchRules, execve: Option<RuleSet<'static>>) -> Option<(u64, bool)> {
    let n = rules.caps.len().min(64);
    let all = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
    let mut budget = SEARCH_BUDGET;
    search(rules, execve, 0, 0, all, &mut budget)
}

/// The search below caps `k..`: `included` granted so far, `all` the
/// policy's caps.
fn search(
    rules: &ArchRules,
    execve: Option<RuleSet<'static>>,
    k: usize,
    included: u64,
    all: u64,
    budget: &mut usize,
) -> Option<(u64, bool)> {
    let undecided = if k >= 64 { 0 } else { all & (u64::MAX << k) };
    if surely_fits(rules, included | undecided) {
        return None;
    }
    if undecided == 0 {
        if *budget == 0 {
            return None;
        }
        *budget -= 1;
        if try_build(rules, included, None).is_err() {
            return Some((included, false));
        }
        if execve.is_some() && try_build(rules, included, execve).is_err() {
            return Some((included, true));
        }
        return None;
    }
    search(rules, execve, k + 1, included | (1 << k), all, budget)
        .or_else(|| search(rules, execve, k + 1, included, all, budget))
}

/// A cap set that joins more than [`MAX_RULES_PER_NUMBER`] conditioned
/// rules of one syscall, if there is one.
fn too_many_rules(rules: &ArchRules) -> Option<u64> {
    let mut numbers: Vec<u32> = std::iter::once(&rules.base)
        .chain(&rules.caps)
        .flat_map(|s| s.rules.iter().filter(|r| r.when.is_some()).map(|r| r.nr))
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers.into_iter().find_map(|nr| {
        let (mut count, stops) = conditioned(&rules.base, nr);
        if stops {
            return (count > MAX_RULES_PER_NUMBER).then_some(0);
        }
        // Every cap that does not end the count adds its rules; a cap that
        // does end it counts as the last one granted.
        let (mut so_far, mut best, mut best_caps) = (0u64, count, 0u64);
        for (i, set) in rules.caps.iter().enumerate().take(64) {
            let (c, stops) = conditioned(set, nr);
            if stops {
                if count + c > best {
                    (best, best_caps) = (count + c, so_far | (1 << i));
                }
            } else {
                count += c;
                so_far |= 1 << i;
                if count > best {
                    (best, best_caps) = (count, so_far);
                }
            }
        }
        (best > MAX_RULES_PER_NUMBER).then_some(best_caps)
    })
}

/// The conditioned rules of `nr` in `set` the builder counts, and whether
/// the set ends the count (it allows `nr` outright).
fn conditioned(set: &SetRules, nr: u32) -> (usize, bool) {
    if set.allow.binary_search(&nr).is_ok() {
        return (0, true);
    }
    let mut count = 0;
    for r in set.rules.iter().filter(|r| r.nr == nr) {
        match &r.when {
            None if r.action == Action::Allow => return (count, true),
            None => {}
            Some(alts) if alts.is_empty() => {}
            Some(_) => count += 1,
        }
    }
    (count, false)
}

/// `caps` without the caps the failure does not need.
fn smallest(rules: &ArchRules, mut caps: u64, execve: Option<RuleSet<'static>>) -> u64 {
    for i in 0..rules.caps.len().min(64) {
        let without = caps & !(1 << i);
        if without != caps && try_build(rules, without, execve).is_err() {
            caps = without;
        }
    }
    caps
}

/// One number or rule of a granted table, in file order.
struct Item {
    /// Its byte offset in the file (`u32::MAX` when not known).
    order: u32,
    loc: Option<Loc>,
    /// The index of its table among the granted ones (0: `[base]`).
    table: usize,
    /// An allowed number, or the index of a rule in its table.
    what: Result<u32, usize>,
}

/// The rule that takes the program of `caps` over: the last of the
/// shortest prefix, in file order, of the granted rules that cannot be
/// built.
fn culprit(
    policy: &Policy,
    rules: &ArchRules,
    caps: u64,
    execve: Option<RuleSet<'static>>,
) -> Option<(Loc, String)> {
    let mut names = vec![("[base]".to_owned(), &policy.base, &rules.base)];
    for (i, cap) in policy.caps.iter().enumerate().take(64) {
        if caps & (1 << i) != 0 {
            names.push((format!("[cap.{}]", cap.name), &cap.table, &rules.caps[i]));
        }
    }
    let mut items = Vec::new();
    for (t, (_, table, set)) in names.iter().enumerate() {
        for &nr in &set.allow {
            let (order, loc) = allowed_at(rules.arch, table, nr);
            items.push(Item {
                order,
                loc,
                table: t,
                what: Ok(nr),
            });
        }
        for (k, r) in set.rules.iter().enumerate() {
            items.push(Item {
                order: r.order,
                loc: Some(r.loc),
                table: t,
                what: Err(k),
            });
        }
    }
    items.sort_by_key(|i| i.order);
    let fails = |n: usize| {
        let mut prefix: Vec<SetRules> = vec![SetRules::default(); names.len()];
        for item in &items[..n] {
            match item.what {
                Ok(nr) => prefix[item.table].allow.push(nr),
                Err(k) => prefix[item.table]
                    .rules
                    .push(names[item.table].2.rules[k].clone()),
            }
        }
        for set in &mut prefix {
            set.allow.sort_unstable();
            // Rules stay in their table's order: by number, then by order.
            set.rules.sort_by_key(|r| (r.nr, r.order));
        }
        let extra = SetRules {
            allow: execve.map_or_else(Vec::new, |spawn| spawn.allow.to_vec()),
            rules: Vec::new(),
        };
        let mut sets = vec![&prefix[0], &extra];
        sets.extend(&prefix[1..]);
        build_sets(rules.arch, &sets, rules.default).is_err()
    };
    if !fails(items.len()) {
        return None;
    }
    // `lo` builds, `hi` does not.
    let (mut lo, mut hi) = (0, items.len());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fails(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let item = items.get(hi.checked_sub(1)?)?;
    Some((item.loc?, names[item.table].0.clone()))
}

/// Where `table` allows `nr` outright on `arch`: the first rule of its
/// `allow` that names the syscall, preferring one without a condition.
fn allowed_at(arch: Arch, table: &Table, nr: u32) -> (u32, Option<Loc>) {
    let names_nr = |r: &&crate::model::Rule| syscalls::number(arch, r.syscall()) == Some(nr);
    let rule = table
        .allow
        .iter()
        .filter(names_nr)
        .find(|r| r.text.condition.is_none())
        .or_else(|| table.allow.iter().find(names_nr));
    match rule {
        Some(r) => (u32::try_from(r.offset).unwrap_or(u32::MAX), Some(r.loc)),
        None => (u32::MAX, None),
    }
}

/// The diagnostic of failures of one kind, `group[0]`'s in detail.
fn diagnostic(policy: &Policy, group: &[&Unbuildable]) -> Diagnostic {
    let f = group[0];
    let caps: Vec<&str> = policy
        .caps
        .iter()
        .enumerate()
        .filter(|(i, _)| *i < 64 && f.caps & (1 << i) != 0)
        .map(|(_, c)| c.name.as_str())
        .collect();
    let mut program = if caps.is_empty() {
        format!("the {} program with no caps", f.arch)
    } else {
        format!(
            "the {} program with caps {}",
            f.arch,
            quoted(&caps.join("|"))
        )
    };
    if f.execve {
        program.push_str(" and `execve` (as `run` and spawning add it)");
    }
    let (what, note, help) = match f.error {
        BuildError::TooLong { needed } => (
            format!(
                "it needs at least {needed} instructions, more than the kernel's limit of \
                 {BPF_MAXINSNS}"
            ),
            "takes the program over the kernel's limit".to_owned(),
            "every cap set's program must fit: allow whole syscalls where their arguments need \
             no check, or test fewer argument values (each comparison costs instructions)"
                .to_owned(),
        ),
        BuildError::TooManyRules { nr } => {
            let name = syscalls::name(f.arch, nr).unwrap_or("?");
            (
                format!("`{name}` has more than {MAX_RULES_PER_NUMBER} conditioned rules"),
                format!(
                    "is one too many: a program tests at most {MAX_RULES_PER_NUMBER} conditioned \
                     rules of `{name}`"
                ),
                format!(
                    "join its conditions with `||` into fewer rules, or allow `{name}` outright \
                     where its arguments need no check"
                ),
            )
        }
        e => (
            e.to_string(),
            "is where it fails".to_owned(),
            "this is a bug in seccomp-policy; please report it with the policy".to_owned(),
        ),
    };
    let message = format!("{program} cannot be built: {what}");
    let mut d = match &f.culprit {
        Some((loc, table)) => {
            Diagnostic::at(*loc, message).with_note(format!("this rule of `{table}` {note}"))
        }
        None => Diagnostic::whole_file(message),
    }
    .with_code(Code::Unbuildable);
    if group.len() > 1 {
        let others: Vec<&str> = group[1..].iter().map(|g| g.arch.name()).collect();
        d = d.with_note(format!("the same on {}", others.join(", ")));
    }
    d.with_help(help)
}

#[cfg(test)]
mod tests {
    use crate::compile;

    /// Syscalls whose first parameter is an `int` descriptor on every
    /// architecture that has them.
    const FD_CALLS: [&str; 40] = [
        "read",
        "write",
        "close",
        "lseek",
        "fsync",
        "fdatasync",
        "ftruncate",
        "fchdir",
        "fchmod",
        "fchown",
        "dup",
        "dup2",
        "flock",
        "listen",
        "shutdown",
        "pread64",
        "pwrite64",
        "readv",
        "writev",
        "sendto",
        "recvfrom",
        "sendmsg",
        "recvmsg",
        "getsockname",
        "getpeername",
        "bind",
        "connect",
        "accept",
        "setsockopt",
        "getsockopt",
        "fallocate",
        "syncfs",
        "fstatfs",
        "getdents64",
        "kill",
        "umask",
        "fstat",
        "fchmodat",
        "fchownat",
        "faccessat",
    ];

    /// Every call of `FD_CALLS` with sixty values of its first argument.
    fn long_table() -> String {
        let alts: Vec<String> = (0..60).map(|i| format!("arg0 == {i}")).collect();
        let rules: Vec<String> = FD_CALLS
            .iter()
            .map(|c| format!("\"{c}({})\"", alts.join(" || ")))
            .collect();
        format!("allow = [{}]\n", rules.join(",\n"))
    }

    fn messages(text: &str) -> Vec<String> {
        match compile(text) {
            Ok(_) => Vec::new(),
            Err(diags) => diags.iter().map(|d| d.render("p.toml")).collect(),
        }
    }

    #[test]
    fn a_policy_that_fits_has_no_errors() {
        let text =
            "[base]\nallow = [\"read\", \"ioctl(cmd == 1)\"]\n[cap.A]\nallow = [\"write\"]\n";
        assert_eq!(messages(text), Vec::<String>::new());
    }

    /// A cap that allows outright what another conditions makes the
    /// program shorter: all caps together fit, one of them alone does not,
    /// and that is the cap set named.
    #[test]
    fn a_cap_set_shorter_with_more_caps_is_still_found() {
        let text = format!(
            "[base]\nallow = [\"exit_group\"]\n[cap.WIDE]\nallow = [{}]\n[cap.LONG]\n{}",
            FD_CALLS.map(|c| format!("\"{c}\"")).join(", "),
            long_table()
        );
        let found = messages(&text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(
                "p.toml:37:1: the x86_64 program with caps `LONG` cannot be built: it needs at \
                 least "
            ),
            "{}",
            found[0]
        );
    }

    /// A table that allows `ioctl` outright ends the count of its rules:
    /// with it the program builds, without it the rules are too many.
    #[test]
    fn too_many_rules_counts_up_to_a_table_that_allows_outright() {
        let rules = |from: u32, n: u32| -> String {
            (from..from + n)
                .map(|c| format!("\"ioctl(cmd == {c})\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let text = format!(
            "[base]\nallow = [{}]\n[cap.ANY_IOCTL]\nallow = [\"ioctl\"]\n[cap.MORE]\nallow = [{}]\n",
            rules(1, 20),
            rules(100, 13)
        );
        let found = messages(&text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(
                "p.toml:6:262: the x86_64 program with caps `MORE` cannot be built: `ioctl` has \
                 more than 32 conditioned rules\n\
                 note: this rule of `[cap.MORE]` is one too many"
            ),
            "{}",
            found[0]
        );
        // Only twelve more: every cap set builds.
        let text = text.replace(", \"ioctl(cmd == 112)\"", "");
        assert_eq!(messages(&text), Vec::<String>::new());
    }
}
