//! A policy as an OCI seccomp profile: the `linux.seccomp` object of the
//! OCI runtime specification, which Docker, podman, containerd, CRI-O and
//! Kubernetes (`localhost` profiles) hand to libseccomp.
//!
//! A profile names syscalls, so one profile can serve several
//! architectures only where the policy means the same on each. [`profile`]
//! writes one profile for the architectures asked for, and refuses with an
//! [`OciError`] when they differ (a parameter in another slot, as `clone`'s
//! flags on s390x; an errno with another number, as on MIPS): export one
//! profile per architecture then.
//!
//! Semantics are kept exactly, because runtimes load profiles in ways that
//! differ from this project's rules:
//!
//! - libseccomp lets an unconditional rule for a syscall replace its
//!   conditional ones whatever the order, and runtimes add an entry's
//!   conditions as separate rules (an *or*) when two name the same
//!   argument. So each syscall's verdict is written as disjoint regions of
//!   argument values, one per action, each a union of entries whose
//!   conditions name distinct arguments: the allowed region, then each
//!   action's region (its condition, minus what an allow or an earlier
//!   action takes), and nothing for the default.
//! - libseccomp compares all 64 bits of an argument on a 64-bit
//!   architecture, where the kernel reads 32 bits of an `int`. A 32-bit
//!   comparison is therefore written with `SCMP_CMP_MASKED_EQ` and masks
//!   within the low 32 bits only: `==` as one entry with mask `0xffffffff`,
//!   `!=`, `<`, `<=`, `>`, `>=` as one entry per bit where the values
//!   leave the constant's prefix (see [`crate::argset`]). A 64-bit
//!   comparison is written as it is (`SCMP_CMP_NE`, `SCMP_CMP_LT`, ...).
//! - An entry whose action is the default is left out, as runtimes skip it.
//! - On x86, ppc64le and s390x libseccomp also adds a rule for a socket or
//!   `SysV` IPC call to `socketcall`/`ipc`, where it cannot check arguments:
//!   a condition on such a call is refused there (see [`multiplexes`]).
//!
//! What a profile cannot say: the filter's answer to other architectures'
//! calls and to x32 numbers is the runtime's bad-architecture action, not
//! the policy's default (both refuse the call).
//!
//! Two things a runtime needs beyond the policy:
//!
//! - It loads the profile in the container's first process and then execs
//!   the container's program, so a profile without `execve` never starts
//!   anything (runc's init is killed, and the container exits 159 with no
//!   message). The export adds [`RUNTIME_EXEC`] (`execve`, and `execveat`
//!   for runtimes that exec a file descriptor, `fexecve`) to every
//!   profile, as the sandbox's spawn path adds `execve` to its program:
//!   there is no runtime that could do without it. The container's
//!   program may then exec others too, as a sandboxed one may.
//! - Its name for each architecture listed. Runtimes refuse a profile
//!   naming an architecture they do not know; [`named_by_every_runtime`]
//!   says which names the OCI runtime specification has had from its
//!   1.0.2 release on, which [`expressible`] prefers when it picks the
//!   architectures of a profile.

use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write as _;

use seccomp_policy_core::rule::{Action, ArgCmp, CmpOp};
use seccomp_policy_core::{syscalls, Arch};

use seccomp_policy_compiler::lower::{ArchRules, LoweredRule, SetRules};
use seccomp_policy_compiler::Compiled;

use crate::argset::{arg_cubes, satisfiable, Cube};

/// The calls libseccomp also reaches through `socketcall(2)` and `ipc(2)`
/// on the architectures that have them ([`multiplexes`]).
pub const MULTIPLEXED: &[&str] = &[
    "accept",
    "accept4",
    "bind",
    "connect",
    "getpeername",
    "getsockname",
    "getsockopt",
    "listen",
    "recv",
    "recvfrom",
    "recvmmsg",
    "recvmsg",
    "send",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "setsockopt",
    "shutdown",
    "socket",
    "socketpair",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
];

/// Whether libseccomp adds a rule for a [`MULTIPLEXED`] call to
/// `socketcall`/`ipc` too on `arch` (x86, ppc64le, s390x). It cannot check
/// the call's arguments there (they are in memory), so it adds that rule
/// without the conditions, or fails when two rules of different actions
/// meet there.
pub fn multiplexes(arch: Arch) -> bool {
    matches!(arch, Arch::X86 | Arch::Ppc64le | Arch::S390x)
}

/// The calls a runtime makes after it has loaded a profile: the exec of
/// the container's program (`execve`; `execveat` where the runtime execs
/// a file descriptor). Every export allows them.
pub const RUNTIME_EXEC: &[&str] = &["execve", "execveat"];

/// Whether every OCI runtime in use knows the name of `arch`
/// (`SCMP_ARCH_*`): those of the runtime specification 1.0.2, which all
/// but two of ours are. `SCMP_ARCH_RISCV64` came with the specification
/// 1.1.0 (runc 1.1.5, Debian 12's, refuses a profile naming it) and
/// `SCMP_ARCH_LOONGARCH64` with 1.2.1 (runc 1.5, libseccomp 2.6).
pub fn named_by_every_runtime(arch: Arch) -> bool {
    !matches!(arch, Arch::Riscv64 | Arch::Loongarch64)
}

/// The most entries one syscall may need; past it the export refuses.
pub const MAX_ENTRIES_PER_SYSCALL: usize = 1024;

/// Why a policy cannot be written as one OCI profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OciError {
    /// What cannot be expressed.
    pub message: String,
    /// What to do instead.
    pub help: String,
}

impl fmt::Display for OciError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\nhelp: {}", self.message, self.help)
    }
}

impl std::error::Error for OciError {}

/// One argument condition of a profile entry (`LinuxSeccompArg`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cond {
    /// The argument, 0 to 5.
    pub index: u8,
    /// `SCMP_CMP_*`.
    pub op: &'static str,
    /// The value, or the mask for `SCMP_CMP_MASKED_EQ`.
    pub value: u64,
    /// The masked value for `SCMP_CMP_MASKED_EQ`, else 0.
    pub value_two: u64,
}

/// What one syscall gets in one region: an action and conditions that all
/// hold (on distinct arguments).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entry {
    /// `SCMP_ACT_*` and the errno for `SCMP_ACT_ERRNO`.
    pub action: (&'static str, Option<u16>),
    /// The conditions, by argument index.
    pub args: Vec<Cond>,
}

/// One architecture's profile content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchEntries {
    /// The architecture.
    pub arch: Arch,
    /// The default action.
    pub default: Action,
    /// Every entry, by syscall name.
    pub syscalls: BTreeMap<&'static str, Vec<Entry>>,
}

/// `SCMP_ACT_*` for an action, with its errno.
pub fn action_name(action: Action) -> (&'static str, Option<u16>) {
    match action {
        Action::KillProcess => ("SCMP_ACT_KILL_PROCESS", None),
        Action::KillThread => ("SCMP_ACT_KILL_THREAD", None),
        Action::Trap => ("SCMP_ACT_TRAP", None),
        Action::Errno(e) => ("SCMP_ACT_ERRNO", Some(e)),
        Action::Notify => ("SCMP_ACT_NOTIFY", None),
        Action::Log => ("SCMP_ACT_LOG", None),
        Action::Allow => ("SCMP_ACT_ALLOW", None),
    }
}

/// `SCMP_ARCH_*` for an architecture.
pub fn arch_name(arch: Arch) -> String {
    format!("SCMP_ARCH_{}", arch.libseccomp_name().to_uppercase())
}

/// A profile's content: what [`Profile::to_json`] writes, and what other
/// formats of the same shape (a Kubernetes `SeccompProfile`) are written
/// from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// The default action.
    pub default: Action,
    /// The architectures, in the order asked for.
    pub arches: Vec<Arch>,
    /// The entries, each with the names that share it: allowed calls
    /// first, then by action, conditions and names.
    pub syscalls: Vec<(Entry, Vec<&'static str>)>,
}

/// The OCI profile of `compiled` for the caps in `caps` on `arches` (in
/// that order), with `default` for the calls no rule decides (`None`: the
/// policy's) and the calls named in `also_allowed` allowed whatever the
/// policy says ([`RUNTIME_EXEC`] for a runtime).
///
/// # Errors
///
/// When the profile cannot say what the policy means: no architecture,
/// architectures whose rules differ, or an error of [`arch_entries`].
pub fn build(
    compiled: &Compiled,
    arches: &[Arch],
    caps: u64,
    default: Option<Action>,
    also_allowed: &[&str],
) -> Result<Profile, OciError> {
    let per_arch: Vec<ArchEntries> = arches
        .iter()
        .filter_map(|a| compiled.arches.iter().find(|r| r.arch == *a))
        .map(|r| arch_entries_with(r, caps, default, also_allowed))
        .collect::<Result<_, _>>()?;
    let Some(first) = per_arch.first() else {
        return Err(OciError {
            message: "no architecture to export".to_owned(),
            help: "name one with --arch".to_owned(),
        });
    };
    let merged = merge(&per_arch)?;
    Ok(Profile {
        default: first.default,
        arches: arches.to_vec(),
        syscalls: grouped(&merged),
    })
}

/// [`build`] as the JSON text, ending in a newline.
///
/// # Errors
///
/// Those of [`build`].
pub fn profile(
    compiled: &Compiled,
    arches: &[Arch],
    caps: u64,
    default: Option<Action>,
    also_allowed: &[&str],
) -> Result<String, OciError> {
    build(compiled, arches, caps, default, also_allowed).map(|p| p.to_json())
}

/// Which of `candidates` one profile can serve, in their order: each
/// whose rules a profile can say ([`arch_entries`]) and agree with those
/// of the architectures taken before it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// The architectures taken.
    pub arches: Vec<Arch>,
    /// The others, each with the reason.
    pub left_out: Vec<(Arch, String)>,
}

/// The architectures of `candidates` (in their order) that one profile of
/// the caps `caps` can serve, as [`build`] would write it.
pub fn expressible(
    compiled: &Compiled,
    candidates: &[Arch],
    caps: u64,
    default: Option<Action>,
    also_allowed: &[&str],
) -> Selection {
    let mut taken: Vec<ArchEntries> = Vec::new();
    let mut out = Selection::default();
    for &arch in candidates {
        let Some(rules) = compiled.arches.iter().find(|r| r.arch == arch) else {
            out.left_out
                .push((arch, "the policy was not lowered for it".to_owned()));
            continue;
        };
        let entries = match arch_entries_with(rules, caps, default, also_allowed) {
            Ok(e) => e,
            Err(e) => {
                out.left_out.push((arch, e.message));
                continue;
            }
        };
        taken.push(entries);
        if let Err(e) = merge(&taken) {
            taken.pop();
            out.left_out.push((arch, e.message));
        } else {
            out.arches.push(arch);
        }
    }
    out
}

/// The entries of one architecture.
///
/// # Errors
///
/// A syscall needing more than [`MAX_ENTRIES_PER_SYSCALL`] entries, or a
/// condition libseccomp cannot keep on this architecture (on a socket or
/// IPC call it also reaches through `socketcall`/`ipc`).
pub fn arch_entries(
    rules: &ArchRules,
    caps: u64,
    default: Option<Action>,
) -> Result<ArchEntries, OciError> {
    arch_entries_with(rules, caps, default, &[])
}

/// [`arch_entries`] with the calls named in `also_allowed` allowed
/// whatever the policy says (those this architecture has).
///
/// # Errors
///
/// Those of [`arch_entries`].
pub fn arch_entries_with(
    rules: &ArchRules,
    caps: u64,
    default: Option<Action>,
    also_allowed: &[&str],
) -> Result<ArchEntries, OciError> {
    let default = default.unwrap_or(rules.default);
    let sets = rules.granted(caps);
    let extra: Vec<u32> = also_allowed
        .iter()
        .filter_map(|name| syscalls::number(rules.arch, name))
        .collect();
    let mut numbers: Vec<u32> = sets
        .iter()
        .flat_map(|s| s.allow.iter().copied().chain(s.rules.iter().map(|r| r.nr)))
        .chain(extra.iter().copied())
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    let mut syscalls = BTreeMap::new();
    for nr in numbers {
        let Some(name) = seccomp_policy_core::syscalls::name(rules.arch, nr) else {
            continue;
        };
        let entries = if extra.contains(&nr) {
            Ok(allowed_outright(default))
        } else {
            syscall_entries(rules.arch, &sets, nr, default)
        }
        .map_err(|what| OciError {
            message: format!("`{name}` on {}: {what}", rules.arch),
            help: "simplify its conditions, or load the raw program (`--format bpf`) instead"
                .to_owned(),
        })?;
        if multiplexes(rules.arch)
            && MULTIPLEXED.contains(&name)
            && entries.iter().any(|e| !e.args.is_empty())
        {
            return Err(OciError {
                message: format!(
                    "`{name}` has conditions on {}, which libseccomp cannot keep there: it also \
                     adds a rule for the call through `socketcall`/`ipc`, where it cannot check \
                     arguments, so the profile would allow or refuse calls the policy does not \
                     (or fail to load)",
                    rules.arch
                ),
                help: format!(
                    "export the program for {} instead (`--format bpf`), or a cap set without \
                     conditions on `{name}`",
                    rules.arch
                ),
            });
        }
        if !entries.is_empty() {
            syscalls.insert(name, entries);
        }
    }
    Ok(ArchEntries {
        arch: rules.arch,
        default,
        syscalls,
    })
}

type Dnf = Vec<Vec<ArgCmp>>;

/// `dnf` and not `other`, in disjunctive normal form, without
/// alternatives that cannot hold.
///
/// `!(a && b && c)` is written as the disjoint `!a || (a && !b) || (a &&
/// b && !c)`, not as `!a || !b || !c`: each alternative then keeps what
/// the earlier atoms fix. Where `a` is `option == X` and the rest of the
/// alternative compares many `option` values, `a && !b` is one value of
/// `option`, where `!b` alone would be every value the rest allows, times
/// the cubes of `!b` (`prctl`'s `option == PR_SET_DUMPABLE && arg1 == 0`
/// beside a list of options: about a hundred entries instead of thousands).
fn and_not(dnf: &Dnf, other: &Dnf) -> Result<Dnf, String> {
    let mut out: Dnf = dnf.clone();
    for q in other {
        let mut next = Vec::new();
        for d in &out {
            for (i, atom) in q.iter().enumerate() {
                let mut c = d.clone();
                for kept in &q[..i] {
                    if !c.contains(kept) {
                        c.push(*kept);
                    }
                }
                c.push(ArgCmp {
                    op: atom.op.negate(),
                    ..*atom
                });
                if satisfiable(&c) && !next.contains(&c) {
                    next.push(c);
                }
                if next.len() > MAX_ENTRIES_PER_SYSCALL {
                    return Err(format!(
                        "its rules need more than {MAX_ENTRIES_PER_SYSCALL} profile entries"
                    ));
                }
            }
        }
        out = next;
    }
    Ok(out)
}

fn when_dnf(r: &LoweredRule) -> Dnf {
    match &r.when {
        None => vec![Vec::new()],
        Some(alts) => alts.clone(),
    }
}

/// The entries of a call allowed whatever its arguments.
fn allowed_outright(default: Action) -> Vec<Entry> {
    if Action::Allow.same(default) {
        Vec::new()
    } else {
        vec![Entry {
            action: action_name(Action::Allow),
            args: Vec::new(),
        }]
    }
}

/// The entries of one syscall number: disjoint regions, one per action.
fn syscall_entries(
    arch: Arch,
    sets: &[&SetRules],
    nr: u32,
    default: Action,
) -> Result<Vec<Entry>, String> {
    if sets.iter().any(|s| s.allow.binary_search(&nr).is_ok()) {
        return Ok(allowed_outright(default));
    }
    let rules: Vec<&LoweredRule> = sets
        .iter()
        .flat_map(|s| s.rules.iter().filter(|r| r.nr == nr))
        .collect();
    let allow: Dnf = rules
        .iter()
        .filter(|r| matches!(r.action, Action::Allow))
        .flat_map(|r| when_dnf(r))
        .collect();
    let mut actions: Vec<&LoweredRule> = rules
        .iter()
        .copied()
        .filter(|r| !matches!(r.action, Action::Allow))
        .collect();
    actions.sort_by_key(|r| r.order);
    let mut regions: Vec<(Action, Dnf)> = vec![(Action::Allow, allow.clone())];
    let mut taken = allow;
    for r in actions {
        let mine = and_not(&when_dnf(r), &taken)?;
        taken.extend(when_dnf(r));
        regions.push((r.action, mine));
    }
    let mut out = Vec::new();
    for (action, dnf) in regions {
        if action.same(default) {
            continue;
        }
        for conj in dnf {
            out.extend(conj_entries(arch, &conj, action)?);
            if out.len() > MAX_ENTRIES_PER_SYSCALL {
                return Err(format!(
                    "its rules need more than {MAX_ENTRIES_PER_SYSCALL} profile entries"
                ));
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// A comparison libseccomp evaluates exactly as the rule means it, as one
/// condition: any 64-bit comparison, and 32-bit `==` and masked `==` with
/// a 32-bit mask.
fn native(c: &ArgCmp) -> Option<Cond> {
    let cond = |op, value, value_two| Cond {
        index: c.arg,
        op,
        value,
        value_two,
    };
    if c.bits >= 64 {
        return Some(match c.op {
            CmpOp::Eq => cond("SCMP_CMP_EQ", c.value, 0),
            CmpOp::Ne => cond("SCMP_CMP_NE", c.value, 0),
            CmpOp::Lt => cond("SCMP_CMP_LT", c.value, 0),
            CmpOp::Le => cond("SCMP_CMP_LE", c.value, 0),
            CmpOp::Gt => cond("SCMP_CMP_GT", c.value, 0),
            CmpOp::Ge => cond("SCMP_CMP_GE", c.value, 0),
            CmpOp::MaskedEq(m) => cond("SCMP_CMP_MASKED_EQ", m, c.value),
            CmpOp::MaskedNe(_) => return None,
        });
    }
    let low = c.width_mask();
    match c.op {
        CmpOp::Eq => Some(cond("SCMP_CMP_MASKED_EQ", low, c.value & low)),
        CmpOp::MaskedEq(m) => Some(cond("SCMP_CMP_MASKED_EQ", m & low, c.value & low)),
        _ => None,
    }
}

fn cube_cond(arg: u8, cube: Cube) -> Cond {
    if cube.mask == u64::MAX {
        Cond {
            index: arg,
            op: "SCMP_CMP_EQ",
            value: cube.value,
            value_two: 0,
        }
    } else {
        Cond {
            index: arg,
            op: "SCMP_CMP_MASKED_EQ",
            value: cube.mask,
            value_two: cube.value,
        }
    }
}

/// The entries of one conjunction: one condition per argument, so every
/// argument with several comparisons (or one libseccomp cannot say
/// exactly) becomes cubes, one entry per choice.
fn conj_entries(_arch: Arch, conj: &[ArgCmp], action: Action) -> Result<Vec<Entry>, String> {
    let mut choices: Vec<Vec<Cond>> = Vec::new();
    for arg in 0..6u8 {
        let on: Vec<&ArgCmp> = conj.iter().filter(|c| c.arg == arg).collect();
        match on.as_slice() {
            [] => {}
            [one] if native(one).is_some() => choices.extend(native(one).map(|c| vec![c])),
            _ => {
                let cubes = arg_cubes(conj, arg);
                if cubes.is_empty() {
                    return Ok(Vec::new());
                }
                if cubes.iter().any(Cube::is_all) {
                    continue;
                }
                choices.push(cubes.into_iter().map(|c| cube_cond(arg, c)).collect());
            }
        }
    }
    let mut entries: Vec<Vec<Cond>> = vec![Vec::new()];
    for options in choices {
        let mut next = Vec::new();
        for e in &entries {
            for o in &options {
                let mut e = e.clone();
                e.push(*o);
                next.push(e);
            }
        }
        if next.len() > MAX_ENTRIES_PER_SYSCALL {
            return Err(format!(
                "its rules need more than {MAX_ENTRIES_PER_SYSCALL} profile entries"
            ));
        }
        entries = next;
    }
    Ok(entries
        .into_iter()
        .map(|args| Entry {
            action: action_name(action),
            args,
        })
        .collect())
}

fn describe(entries: &[Entry]) -> String {
    if entries.is_empty() {
        return "the default".to_owned();
    }
    let parts: Vec<String> = entries
        .iter()
        .take(3)
        .map(|e| {
            let mut s = e.action.0.trim_start_matches("SCMP_ACT_").to_owned();
            if let Some(n) = e.action.1 {
                let _ = write!(s, "({n})");
            }
            for c in &e.args {
                let _ = write!(
                    s,
                    " args[{}] {} {:#x}",
                    c.index,
                    c.op.trim_start_matches("SCMP_CMP_"),
                    c.value
                );
                if c.op == "SCMP_CMP_MASKED_EQ" {
                    let _ = write!(s, " {:#x}", c.value_two);
                }
            }
            s
        })
        .collect();
    let more = if entries.len() > 3 { ", ..." } else { "" };
    format!("{}{more}", parts.join(", "))
}

/// One set of entries by name, if every architecture agrees.
fn merge(per_arch: &[ArchEntries]) -> Result<BTreeMap<&'static str, Vec<Entry>>, OciError> {
    let first = &per_arch[0];
    for other in &per_arch[1..] {
        if !other.default.same(first.default) {
            return Err(OciError {
                message: format!(
                    "the default action differs: {} on {}, {} on {}",
                    describe_action(first.default),
                    first.arch,
                    describe_action(other.default),
                    other.arch
                ),
                help: "export one profile per architecture with --arch".to_owned(),
            });
        }
    }
    let mut merged: BTreeMap<&'static str, Vec<Entry>> = BTreeMap::new();
    let names: std::collections::BTreeSet<&'static str> = per_arch
        .iter()
        .flat_map(|a| a.syscalls.keys().copied())
        .collect();
    for name in names {
        let mut agreed: Option<(&ArchEntries, &[Entry])> = None;
        for a in per_arch {
            if syscalls::number(a.arch, name).is_none() {
                continue;
            }
            let mine = a.syscalls.get(name).map_or(&[][..], Vec::as_slice);
            match agreed {
                None => agreed = Some((a, mine)),
                Some((b, theirs)) if theirs != mine => {
                    return Err(OciError {
                        message: format!(
                            "`{name}` is not the same rule on every architecture: on {} {}; on {} {}",
                            b.arch,
                            describe(theirs),
                            a.arch,
                            describe(mine)
                        ),
                        help: "an OCI profile names syscalls, not architectures: export one \
                               profile per architecture with --arch"
                            .to_owned(),
                    });
                }
                Some(_) => {}
            }
        }
        if let Some((_, entries)) = agreed {
            if !entries.is_empty() {
                merged.insert(name, entries.to_vec());
            }
        }
    }
    Ok(merged)
}

fn describe_action(a: Action) -> String {
    let (name, errno) = action_name(a);
    match errno {
        Some(e) => format!("{name}({e})"),
        None => name.to_owned(),
    }
}

/// Entries with the same action and conditions share one group listing
/// their names: allowed calls first, then by action, conditions and names.
fn grouped(merged: &BTreeMap<&'static str, Vec<Entry>>) -> Vec<(Entry, Vec<&'static str>)> {
    let mut groups: BTreeMap<&Entry, Vec<&'static str>> = BTreeMap::new();
    for (name, entries) in merged {
        for e in entries {
            groups.entry(e).or_default().push(name);
        }
    }
    let mut groups: Vec<(Entry, Vec<&'static str>)> =
        groups.into_iter().map(|(e, n)| (e.clone(), n)).collect();
    groups.sort_by(|a, b| {
        (
            a.0.action.0 != "SCMP_ACT_ALLOW",
            a.0.action,
            a.0.args.len(),
            &a.1,
            &a.0.args,
        )
            .cmp(&(
                b.0.action.0 != "SCMP_ACT_ALLOW",
                b.0.action,
                b.0.args.len(),
                &b.1,
                &b.0.args,
            ))
    });
    groups
}

impl Profile {
    /// The profile as the JSON of the OCI runtime specification's
    /// `linux.seccomp` (which is also the file format of Docker's, podman's
    /// and the kubelet's `localhost` profiles), ending in a newline.
    pub fn to_json(&self) -> String {
        let (def_name, def_errno) = action_name(self.default);
        let mut out = String::from("{\n");
        let _ = writeln!(out, "  \"defaultAction\": {},", string(def_name));
        if let Some(e) = def_errno {
            let _ = writeln!(out, "  \"defaultErrnoRet\": {e},");
        }
        let arch_names: Vec<String> = self.arches.iter().map(|a| string(&arch_name(*a))).collect();
        let _ = writeln!(out, "  \"architectures\": [{}],", arch_names.join(", "));
        out.push_str("  \"syscalls\": [");
        for (i, (entry, names)) in self.syscalls.iter().enumerate() {
            out.push_str(if i == 0 { "\n" } else { ",\n" });
            let names: Vec<String> = names.iter().map(|n| string(n)).collect();
            let _ = write!(
                out,
                "    {{\n      \"names\": [{}],\n      \"action\": {}",
                names.join(", "),
                string(entry.action.0)
            );
            if let Some(e) = entry.action.1 {
                let _ = write!(out, ",\n      \"errnoRet\": {e}");
            }
            if !entry.args.is_empty() {
                out.push_str(",\n      \"args\": [");
                for (j, c) in entry.args.iter().enumerate() {
                    out.push_str(if j == 0 { "\n" } else { ",\n" });
                    let _ = write!(
                        out,
                        "        {{ \"index\": {}, \"value\": {}, \"valueTwo\": {}, \"op\": {} }}",
                        c.index,
                        c.value,
                        c.value_two,
                        string(c.op)
                    );
                }
                out.push_str("\n      ]");
            }
            out.push_str("\n    }");
        }
        if !self.syscalls.is_empty() {
            out.push_str("\n  ");
        }
        out.push_str("]\n}\n");
        out
    }
}

/// `text` as a JSON string literal, quotes included, escaped as RFC 8259
/// asks: the one piece of JSON a profile needs that is not a number.
fn string(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        assert_eq!(
            string("a\"b\\c\nd\te\u{1}\u{7f}é"),
            r#""a\"b\\c\nd\te\u0001\u007fé""#
        );
        assert_eq!(string(""), "\"\"");
    }
    use seccomp_policy_compiler::compile;

    fn entries(source: &str, arch: Arch) -> BTreeMap<&'static str, Vec<Entry>> {
        let c = compile(source).unwrap();
        arch_entries(&c.arches[arch as usize], u64::MAX, None)
            .unwrap()
            .syscalls
    }

    #[test]
    fn allowed_calls_and_actions() {
        let e = entries(
            "[base]\nallow = [\"read\"]\nactions = { clone3 = \"ENOSYS\", socket = \"kill-process\" }\n",
            Arch::X86_64,
        );
        assert_eq!(
            e["read"],
            [Entry {
                action: ("SCMP_ACT_ALLOW", None),
                args: vec![]
            }]
        );
        assert_eq!(
            e["clone3"],
            [Entry {
                action: ("SCMP_ACT_ERRNO", Some(38)),
                args: vec![]
            }]
        );
        assert!(!e.contains_key("socket"), "the default needs no entry");
    }

    #[test]
    fn thirty_two_bit_comparisons_leave_the_high_half_alone() {
        let e = entries(
            "[base]\nallow = [\"ioctl(cmd != TIOCSTI && cmd != TIOCLINUX)\"]\nactions = { ioctl = \"EPERM\" }\n",
            Arch::X86_64,
        );
        let ioctl = &e["ioctl"];
        let refused: Vec<&Entry> = ioctl
            .iter()
            .filter(|x| x.action.0 == "SCMP_ACT_ERRNO")
            .collect();
        // The refused region is exactly the two commands, on the low 32 bits.
        assert_eq!(refused.len(), 2, "{ioctl:?}");
        for r in &refused {
            assert_eq!(r.args.len(), 1);
            assert_eq!(
                (r.args[0].op, r.args[0].value),
                ("SCMP_CMP_MASKED_EQ", 0xffff_ffff)
            );
        }
        for x in ioctl {
            for c in &x.args {
                assert_eq!(c.op, "SCMP_CMP_MASKED_EQ");
                assert_eq!(c.value >> 32, 0, "{c:?}");
            }
        }
    }

    #[test]
    fn a_refusal_beside_alternatives_on_two_arguments_stays_small() {
        // Everything but a list of options and one option with its
        // argument: the refused region is the options outside the list
        // (cubes of `option`), and PR_SET_DUMPABLE with another argument.
        let src = "[base]\nallow = [\"prctl(option in [PR_SET_NAME, PR_GET_NAME, PR_GET_SECCOMP] \
                   || option == PR_SET_DUMPABLE && arg1 == 0 \
                   || option == PR_CAP_AMBIENT && arg1 == PR_CAP_AMBIENT_IS_SET)\"]\n\
                   actions = { prctl = \"EPERM\" }\n";
        for (arch, most) in [(Arch::X86_64, 64), (Arch::X86, 128)] {
            let prctl = &entries(src, arch)["prctl"];
            assert!(prctl.len() <= most, "{arch}: {} entries", prctl.len());
        }
        let prctl = &entries(src, Arch::X86_64)["prctl"];
        let dumpable: Vec<&Entry> = prctl
            .iter()
            .filter(|x| x.args.iter().any(|c| c.index == 0 && c.value_two == 4))
            .collect();
        assert_eq!(
            dumpable.len(),
            2,
            "allowed with 0, refused otherwise: {dumpable:?}"
        );
    }

    #[test]
    fn architectures_that_differ_are_refused() {
        let c =
            compile("[base]\nallow = [\"clone(clone_flags & CLONE_THREAD)\", \"read\"]\n").unwrap();
        let e = profile(&c, &[Arch::X86_64, Arch::S390x], 0, None, &[]).unwrap_err();
        assert!(e.message.starts_with("`clone` is not the same rule on every architecture: on x86_64 ALLOW args[0] MASKED_EQ 0x10000 0x10000; on s390x ALLOW args[1] MASKED_EQ"), "{e}");
        assert!(e.help.contains("--arch"));
        let one = profile(&c, &[Arch::X86_64, Arch::Aarch64], 0, None, &[]).unwrap();
        assert!(
            one.contains("\"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_AARCH64\"]"),
            "{one}"
        );
        let c = compile("default = \"ENOSYS\"\n[base]\nallow = [\"read\"]\n").unwrap();
        let e = profile(&c, &[Arch::X86_64, Arch::Mips64el], 0, None, &[]).unwrap_err();
        assert!(e.message.starts_with("the default action differs"), "{e}");
    }

    #[test]
    fn conditions_on_multiplexed_calls_are_refused_where_libseccomp_drops_them() {
        let c = compile("[base]\nallow = [\"socket(family == AF_INET)\", \"connect\"]\n").unwrap();
        for arch in [Arch::X86, Arch::Ppc64le, Arch::S390x] {
            let e = profile(&c, &[arch], 0, None, &[]).unwrap_err();
            assert!(
                e.message
                    .starts_with(&format!("`socket` has conditions on {arch}")),
                "{e}"
            );
        }
        assert!(profile(&c, &[Arch::X86_64], 0, None, &[]).is_ok());
        let c = compile("[base]\nallow = [\"socket\"]\n").unwrap();
        assert!(profile(&c, &[Arch::X86], 0, None, &[]).is_ok());
    }

    #[test]
    fn the_json_shape() {
        let c = compile("default = \"EPERM\"\n[base]\nallow = [\"read\", \"write\", \"socket(family == AF_INET)\"]\n").unwrap();
        let json = profile(&c, &[Arch::X86_64], 0, None, &[]).unwrap();
        assert_eq!(
            json,
            "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"defaultErrnoRet\": 1,\n  \
             \"architectures\": [\"SCMP_ARCH_X86_64\"],\n  \"syscalls\": [\n    {\n      \
             \"names\": [\"read\", \"write\"],\n      \"action\": \"SCMP_ACT_ALLOW\"\n    },\n    {\n      \
             \"names\": [\"socket\"],\n      \"action\": \"SCMP_ACT_ALLOW\",\n      \"args\": [\n        \
             { \"index\": 0, \"value\": 4294967295, \"valueTwo\": 2, \"op\": \"SCMP_CMP_MASKED_EQ\" }\n      \
             ]\n    }\n  ]\n}\n"
        );
    }

    #[test]
    fn the_runtime_exec_is_allowed_whatever_the_policy_says() {
        let c = compile("[base]\nallow = [\"read\"]\nactions = { execve = \"EPERM\" }\n").unwrap();
        let p = build(&c, &[Arch::X86_64], 0, None, RUNTIME_EXEC).unwrap();
        let allowed: Vec<&str> = p
            .syscalls
            .iter()
            .filter(|(e, _)| e.action.0 == "SCMP_ACT_ALLOW" && e.args.is_empty())
            .flat_map(|(_, n)| n.iter().copied())
            .collect();
        assert_eq!(allowed, ["execve", "execveat", "read"]);
        let without = build(&c, &[Arch::X86_64], 0, None, &[]).unwrap();
        assert!(without
            .syscalls
            .iter()
            .any(|(e, n)| e.action.0 == "SCMP_ACT_ERRNO" && n == &["execve"]));
    }

    #[test]
    fn expressible_takes_the_architectures_that_agree() {
        let c = compile(
            "default = \"ENOSYS\"\n[base]\nallow = [\"read\", \"socket(family == AF_INET)\"]\n",
        )
        .unwrap();
        let s = expressible(&c, &Arch::ALL, 0, None, RUNTIME_EXEC);
        // x86, ppc64le and s390x multiplex socket(); mips64el numbers
        // ENOSYS differently.
        assert_eq!(
            s.arches,
            [
                Arch::X86_64,
                Arch::Aarch64,
                Arch::Arm,
                Arch::Riscv64,
                Arch::Loongarch64
            ]
        );
        let left: Vec<Arch> = s.left_out.iter().map(|(a, _)| *a).collect();
        assert_eq!(
            left,
            [Arch::X86, Arch::Ppc64le, Arch::S390x, Arch::Mips64el]
        );
        assert!(s.left_out[0]
            .1
            .starts_with("`socket` has conditions on x86"));
        assert!(
            s.left_out[3].1.starts_with("the default action differs"),
            "{}",
            s.left_out[3].1
        );
        assert!(build(&c, &s.arches, 0, None, RUNTIME_EXEC).is_ok());
    }
}
