//! The supervisor's one view of the policy model.
//!
//! Everything the supervisor needs from a policy goes through this module:
//! the program attached to a supervised child, and the verdict on a call
//! the filter sent to the supervisor (is it within the grant, what does the
//! policy do with it, which caps would allow it). Nothing else in the
//! supervisor reads [`ArchPolicy`] or builds a program.
//!
//! The supervised program is the native program of the granted caps plus
//! the spawn path's `execve`, with every outcome the supervisor can carry
//! out itself turned into [`Action::Notify`], so that it can name the call
//! first:
//!
//! - the policy's default and `kill-process` rules: the supervisor kills the
//!   process while the call waits;
//! - errno rules (`"EPERM"`, `"ENOSYS"`, ...): the supervisor answers with
//!   that errno;
//! - `notify` rules: answered with `ENOSYS`, as the kernel answers them
//!   when no supervisor listens, and named.
//!
//! `kill-thread` cannot be imitated from outside (a fatal signal to one
//! thread kills the whole process), and `trap` must raise `SIGSYS` in the
//! calling thread with the call's details, so both stay kernel actions in
//! the program, unnamed by the supervisor; `log` allows.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use crate::arch::Arch;
use crate::bpf::{Program, BPF_MAXINSNS};
use crate::builder::{build, Action};
use crate::domain::{Degraded, Domain, DomainError, Vars};
use crate::policy::{cap_bit, ArchPolicy, Policy};
use crate::reach::{checked_by_landlock, path_calls, Checked};
use crate::rule::{Rule, RuleSet, When};
use crate::spawn::{SpawnProgramError, SPAWN_RULES};

use super::{AllowedBy, PolicySource};

/// What the supervisor does with a call outside the grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PolicyAction {
    /// Kill the whole process before the call runs.
    KillProcess,
    /// Fail the call with this errno without running it.
    Errno(u16),
}

/// The policy's verdict on one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// Within the grant: the call may run.
    pub allowed: bool,
    /// What the policy does when it is not.
    pub action: PolicyAction,
    /// Which caps would allow it.
    pub allowed_by: AllowedBy,
}

/// A policy and the caps granted to one supervised command.
#[derive(Clone, Debug)]
pub(crate) struct Model {
    policy: PolicySource,
    caps: u64,
}

/// The action the supervised program takes where the policy says
/// `action`: [`Action::Notify`] for what the supervisor carries out.
const fn supervised(action: Action) -> Action {
    match action {
        Action::KillProcess | Action::Errno(_) | Action::Notify => Action::Notify,
        Action::Allow | Action::Log | Action::KillThread | Action::Trap => action,
    }
}

impl Model {
    pub(crate) fn new(policy: PolicySource, caps: u64) -> Model {
        Model { policy, caps }
    }

    /// The program for the supervised child: the native program of the
    /// granted caps plus `execve`, every outcome the supervisor carries out
    /// sent to it instead (including the one of
    /// [`HANDSHAKE_NR`](crate::notify::HANDSHAKE_NR), which no table has).
    /// Built in the parent, before the fork.
    ///
    /// With `learn_files` (learn mode), the calls Landlock checks on a path
    /// are sent to the supervisor whatever the policy says of them, so that
    /// it can read their paths ([`files`](super::files)); with
    /// `learn_ports`, `connect` and `bind`, so that it can read their ports
    /// ([`ports`](super::ports)); without either (enforce mode) the program
    /// is the policy's own.
    pub(crate) fn program(
        &self,
        learn_files: bool,
        learn_ports: bool,
    ) -> Result<Program<BPF_MAXINSNS>, SpawnProgramError> {
        self.policy
            .with_policy(|policy| program(policy, self.caps, learn_files, learn_ports))
    }

    /// The names of the granted caps.
    pub(crate) fn granted(&self) -> Vec<String> {
        self.policy
            .with_policy(|policy| policy.cap_names_of(self.caps).map(str::to_owned).collect())
    }

    /// The policy file's name.
    pub(crate) fn file(&self) -> &str {
        self.policy.file()
    }

    /// The Landlock domain of the policy's granted files and ports.
    pub(crate) fn domain(
        &self,
        vars: &Vars,
        workdir: Option<&Path>,
        degraded: Degraded,
    ) -> Result<Domain, DomainError> {
        self.policy
            .with_policy(|policy| Domain::for_policy(policy, self.caps, vars, workdir, degraded))
    }

    /// What learn mode compares the paths the command names with (see
    /// [`files`](super::files)): `None` when no granted table has `fs`.
    pub(crate) fn file_learning(
        &self,
        vars: &Vars,
        workdir: Option<&Path>,
    ) -> Result<Option<super::files::FileLearning>, DomainError> {
        self.policy
            .with_policy(|policy| super::files::FileLearning::new(policy, self.caps, vars, workdir))
    }

    /// What learn mode compares the ports the command reaches with (see
    /// [`ports`](super::ports)): `None` when the granted tables grant any
    /// port.
    pub(crate) fn port_learning(
        &self,
        vars: &Vars,
    ) -> Result<Option<super::ports::PortLearning>, DomainError> {
        self.policy
            .with_policy(|policy| super::ports::PortLearning::new(policy, self.caps, vars))
    }

    /// Calls `f` with the verdicts of the policy and the granted caps,
    /// the policy lent once for all the calls `f` asks about (an owned
    /// one is not lent again for each).
    pub(crate) fn with_verdicts<R>(&self, f: impl FnOnce(&Verdicts<'_>) -> R) -> R {
        self.policy
            .with_policy(|policy| f(&Verdicts::new(policy, self.caps)))
    }
}

/// A [`Model`]'s policy, lent, and its caps: what the supervisor thread
/// answers each call by.
pub(crate) struct Verdicts<'p> {
    policy: &'p Policy<'p>,
    caps: u64,
    /// The native numbers some table (any cap's too) has a rule for: with a
    /// condition or an action, so their verdict may depend on the
    /// arguments. Sorted.
    conditioned: Vec<u32>,
    /// The verdicts found so far on the other numbers, which no argument
    /// changes: a call notified again is answered without evaluating the
    /// policy once per cap (what made the supervisor thread slower than
    /// the listener's own round trip).
    plain: RefCell<HashMap<u32, Verdict>>,
}

impl<'p> Verdicts<'p> {
    fn new(policy: &'p Policy<'p>, caps: u64) -> Verdicts<'p> {
        let mut conditioned: Vec<u32> = policy
            .native()
            .into_iter()
            .flat_map(|ap| core::iter::once(&ap.base).chain(ap.caps.iter()))
            .chain(core::iter::once(&SPAWN_RULES))
            .flat_map(|set| set.rules.iter().map(|r| r.nr))
            .collect();
        conditioned.sort_unstable();
        conditioned.dedup();
        Verdicts {
            policy,
            caps,
            conditioned,
            plain: RefCell::new(HashMap::new()),
        }
    }

    /// The verdict on call `nr` with `args` through entry point
    /// `audit_arch`.
    pub(crate) fn verdict(&self, audit_arch: u32, nr: i32, args: &[u64; 6]) -> Verdict {
        let plain =
            native_call(audit_arch, nr).filter(|n| self.conditioned.binary_search(n).is_err());
        let Some(n) = plain else {
            return verdict(self.policy, self.caps, audit_arch, nr, args);
        };
        if let Some(v) = self.plain.borrow().get(&n) {
            return v.clone();
        }
        let v = verdict(self.policy, self.caps, audit_arch, nr, args);
        self.plain.borrow_mut().insert(n, v.clone());
        v
    }
}

/// [`Model::program`] of `policy`; with `learn_files`, every call of
/// [`path_call_numbers`] is sent to the supervisor too, allowed or not;
/// with `learn_ports`, every call of [`port_call_numbers`].
fn program(
    policy: &Policy<'_>,
    caps: u64,
    learn_files: bool,
    learn_ports: bool,
) -> Result<Program<BPF_MAXINSNS>, SpawnProgramError> {
    let Some(native) = policy.native() else {
        return Err(SpawnProgramError::NoNativeArch);
    };
    let selection = native.select(caps, SPAWN_RULES);
    let mut notified = if learn_files {
        let mut nrs = path_call_numbers(native);
        nrs.extend(socket_path_call_numbers(native));
        nrs
    } else {
        Vec::new()
    };
    if learn_ports {
        notified.extend(port_call_numbers(native));
    }
    notified.sort_unstable();
    notified.dedup();
    let learning = !notified.is_empty();
    let rules: Vec<Vec<Rule<'_>>> = selection
        .as_slice()
        .iter()
        .enumerate()
        .map(|(i, set)| {
            let mut rules: Vec<Rule<'_>> = set
                .rules
                .iter()
                .filter(|r| notified.binary_search(&r.nr).is_err())
                .map(|r| Rule {
                    action: supervised(r.action),
                    ..*r
                })
                .collect();
            if i == 0 && !notified.is_empty() {
                rules.extend(notified.iter().map(|&nr| Rule {
                    nr,
                    when: When::Always,
                    action: Action::Notify,
                    order: 0,
                }));
                // The builder takes each set's rules sorted by number.
                rules.sort_by_key(|r| r.nr);
            }
            rules
        })
        .collect();
    let allows: Vec<Vec<u32>> = selection
        .as_slice()
        .iter()
        .map(|set| {
            set.allow
                .iter()
                .copied()
                .filter(|nr| notified.binary_search(nr).is_err())
                .collect()
        })
        .collect();
    let sets: Vec<RuleSet<'_>> = selection
        .as_slice()
        .iter()
        .zip(&rules)
        .zip(&allows)
        .map(|((set, rules), allow)| RuleSet {
            allow: if learning { allow } else { set.allow },
            rules,
        })
        .collect();
    build::<BPF_MAXINSNS>(native.arch, &sets, supervised(native.default))
        .map_err(SpawnProgramError::Build)
}

/// The native numbers of the calls Landlock checks on a path
/// ([`checks_a_path`]) that learn mode sends to the supervisor, sorted:
/// all but those a rule of `ap` gives `kill-thread` or `trap`, which stay
/// the kernel's actions (see the module docs).
pub(crate) fn path_call_numbers(ap: &ArchPolicy<'_>) -> Vec<u32> {
    learned_numbers(ap, path_calls())
}

/// The native numbers of the calls Landlock checks on a TCP port
/// (`connect` and `bind`, [`checked_by_landlock`]'s `Ports` and
/// `FilesAndPorts`) that learn mode sends to the supervisor, sorted, but
/// for those a rule gives `kill-thread` or `trap`, as
/// [`path_call_numbers`].
pub(crate) fn port_call_numbers(ap: &ArchPolicy<'_>) -> Vec<u32> {
    learned_numbers(
        ap,
        ["connect", "bind"].into_iter().filter(|name| {
            matches!(
                checked_by_landlock(name),
                Some(Checked::Ports | Checked::FilesAndPorts)
            )
        }),
    )
}

/// The native number of `bind`, which names a unix socket's path as well
/// as a TCP port ([`checked_by_landlock`]'s `FilesAndPorts`): what learn
/// mode sends to the supervisor to learn the socket files a command
/// makes, as [`path_call_numbers`].
pub(crate) fn socket_path_call_numbers(ap: &ArchPolicy<'_>) -> Vec<u32> {
    learned_numbers(
        ap,
        ["bind"]
            .into_iter()
            .filter(|name| checked_by_landlock(name) == Some(Checked::FilesAndPorts)),
    )
}

/// The native numbers of the calls `names` has, sorted, but for those a
/// rule of `ap` gives `kill-thread` or `trap`.
fn learned_numbers<'n>(ap: &ArchPolicy<'_>, names: impl Iterator<Item = &'n str>) -> Vec<u32> {
    let kernel_only = |nr: u32| {
        core::iter::once(&ap.base)
            .chain(ap.caps.iter())
            .chain(core::iter::once(&SPAWN_RULES))
            .flat_map(|set| set.rules.iter())
            .any(|r| r.nr == nr && matches!(r.action, Action::KillThread | Action::Trap))
    };
    let mut nrs: Vec<u32> = names
        .filter_map(|name| crate::syscalls::number(ap.arch, name))
        .filter(|&nr| !kernel_only(nr))
        .collect();
    nrs.sort_unstable();
    nrs.dedup();
    nrs
}

/// [`Model::verdict`] by `policy` with `caps` granted.
fn verdict(policy: &Policy<'_>, caps: u64, audit_arch: u32, nr: i32, args: &[u64; 6]) -> Verdict {
    let action = match (native_call(audit_arch, nr), policy.native()) {
        (Some(nr), Some(ap)) => carried_out(ap.verdict(caps, SPAWN_RULES, nr, args, ap.default)),
        // The filter gives a foreign entry point (another architecture's,
        // x32's, a negative number) the default action before any rule:
        // the builder's header, and the README's "The filter".
        (None, Some(ap)) => carried_out(ap.default),
        (_, None) => PolicyAction::KillProcess,
    };
    let allowed_by = allowed_by(policy, audit_arch, caps, nr, args);
    Verdict {
        allowed: allowed_by == AllowedBy::Granted,
        action,
        allowed_by,
    }
}

/// What the supervisor does for a call the policy answers with `action`
/// (an outcome the supervised program sent it: [`supervised`]).
fn carried_out(action: Action) -> PolicyAction {
    match action {
        Action::Errno(e) => PolicyAction::Errno(e),
        // As the kernel answers `notify` when no supervisor listens.
        Action::Notify => PolicyAction::Errno(libc::ENOSYS as u16),
        _ => PolicyAction::KillProcess,
    }
}

/// The call's number as a native one, or `None` for another
/// architecture's entry point, x32's, or a negative number.
fn native_call(audit_arch: u32, nr: i32) -> Option<u32> {
    let native = Arch::NATIVE.filter(|a| a.audit_arch() == audit_arch)?;
    let nr = u32::try_from(nr).ok()?;
    // The x32 ABI of x86_64 sets bit 30; no table has those numbers, so
    // the filter gives them the default action.
    if native == Arch::X86_64 && nr & 0x4000_0000 != 0 {
        return None;
    }
    Some(nr)
}

/// Whether `ap` with `caps` (and the spawn path's `execve`) allows the call.
fn allows(ap: &ArchPolicy<'_>, caps: u64, nr: u32, args: &[u64; 6]) -> bool {
    matches!(
        ap.verdict(caps, SPAWN_RULES, nr, args, Action::KillProcess),
        Action::Allow | Action::Log
    )
}

/// Which caps would allow call `nr` (with `args`) through `audit_arch`, given
/// the granted `caps`: the grant itself, each single other cap added to it,
/// or, where a rule names the call but none allows these arguments, "other
/// arguments". The spawn path's `execve` counts as granted.
pub(crate) fn allowed_by(
    policy: &Policy<'_>,
    audit_arch: u32,
    caps: u64,
    nr: i32,
    args: &[u64; 6],
) -> AllowedBy {
    if Arch::NATIVE.is_none_or(|a| a.audit_arch() != audit_arch) {
        return AllowedBy::ForeignEntry;
    }
    let Some(nr) = native_call(audit_arch, nr) else {
        // x32, or a negative number (-1 is what a tracer sets to skip).
        return if nr < 0 {
            AllowedBy::NoCap
        } else {
            AllowedBy::ForeignEntry
        };
    };
    let Some(ap) = policy.native() else {
        return AllowedBy::NoCap;
    };
    if allows(ap, caps, nr, args) {
        return AllowedBy::Granted;
    }
    let mut bits = 0u64;
    let mut names = Vec::new();
    for (bit, name) in (0..).map_while(cap_bit).zip(policy.cap_names) {
        if caps & bit == 0 && allows(ap, caps | bit, nr, args) {
            bits |= bit;
            names.push((*name).to_owned());
        }
    }
    if !names.is_empty() {
        return AllowedBy::Caps { bits, names };
    }
    // Some rule allows the call with other arguments.
    let conditioned = core::iter::once(&ap.base)
        .chain(ap.caps.iter())
        .flat_map(|set| set.rules.iter())
        .any(|r| r.nr == nr && r.action == Action::Allow);
    if conditioned {
        AllowedBy::OtherArguments
    } else {
        AllowedBy::NoCap
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::{ArgCmp, CmpOp, When};

    const FAMILY_IS_UNIX: &[&[ArgCmp]] = &[&[ArgCmp {
        arg: 0,
        bits: 32,
        op: CmpOp::Eq,
        value: 1,
    }]];
    // Sorted by number, as the builder wants them.
    static BASE_RULES: [Rule<'static>; 2] = [
        Rule {
            nr: 41,
            when: When::Always,
            action: Action::Errno(1),
            order: 20,
        },
        Rule {
            nr: 53,
            when: When::AnyOf(FAMILY_IS_UNIX),
            action: Action::Allow,
            order: 10,
        },
    ];
    static X86_64: ArchPolicy<'static> = ArchPolicy {
        arch: Arch::X86_64,
        default: Action::KillProcess,
        base: RuleSet {
            allow: &[0, 1, 60, 231],
            rules: &BASE_RULES,
        },
        caps: &[
            RuleSet {
                allow: &[41, 42],
                rules: &[],
            },
            RuleSet {
                allow: &[41],
                rules: &[],
            },
            RuleSet::EMPTY,
        ],
        missing: &[],
    };
    static POLICY: Policy<'static> = Policy {
        file: "test.toml",
        cap_names: &["NET", "SOCK", "EMPTY"],
        arches: &[X86_64],
        reach: &[],
    };
    const NATIVE: u32 = 0xc000_003e;
    const I386: u32 = 0x4000_0003;

    /// A verdict remembered for a number no rule conditions is the one the
    /// policy gives, whatever the arguments of later calls; a conditioned
    /// number (socketpair's family) is worked out each time.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn remembered_verdicts_are_the_policys() {
        let argument_lists = [
            [0; 6],
            [1, 0, 0, 0, 0, 0],
            [2, 1, 0, 0, 0, 0],
            [u64::MAX; 6],
        ];
        for caps in [0, 0b01, 0b10, 0b111] {
            let m = Model::new(PolicySource::from(&POLICY), caps);
            m.with_verdicts(|v| {
                for _ in 0..2 {
                    for nr in [-1, 0, 2, 41, 42, 53, 59, 0x4000_0000] {
                        for args in &argument_lists {
                            for entry in [NATIVE, I386] {
                                assert_eq!(
                                    v.verdict(entry, nr, args),
                                    verdict(&POLICY, caps, entry, nr, args),
                                    "caps {caps:#b}, nr {nr}, {args:?}, entry {entry:#x}"
                                );
                            }
                        }
                    }
                }
                // socketpair (53) has a rule: never remembered.
                assert!(!v.plain.borrow().contains_key(&53));
                assert!(v.plain.borrow().contains_key(&42) && v.plain.borrow().contains_key(&2));
            });
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn verdicts() {
        let a = [0; 6];
        assert_eq!(allowed_by(&POLICY, NATIVE, 0, 0, &a), AllowedBy::Granted);
        assert_eq!(allowed_by(&POLICY, NATIVE, 0, 59, &a), AllowedBy::Granted);
        assert_eq!(
            allowed_by(&POLICY, NATIVE, 0, 41, &a),
            AllowedBy::Caps {
                bits: 0b11,
                names: vec!["NET".to_owned(), "SOCK".to_owned()]
            }
        );
        assert_eq!(
            allowed_by(&POLICY, NATIVE, 0b10, 42, &a),
            AllowedBy::Caps {
                bits: 0b01,
                names: vec!["NET".to_owned()]
            }
        );
        assert_eq!(
            allowed_by(&POLICY, NATIVE, 0b01, 41, &a),
            AllowedBy::Granted
        );
        assert_eq!(allowed_by(&POLICY, NATIVE, 0b111, 2, &a), AllowedBy::NoCap);
        assert_eq!(allowed_by(&POLICY, I386, 0, 0, &a), AllowedBy::ForeignEntry);
        assert_eq!(
            allowed_by(&POLICY, NATIVE, 0, 0x4000_0000, &a),
            AllowedBy::ForeignEntry
        );
        assert_eq!(allowed_by(&POLICY, NATIVE, 0, -1, &a), AllowedBy::NoCap);
        // socketpair(AF_UNIX) only: other families are "other arguments".
        let unix = [1, 0, 0, 0, 0, 0];
        assert_eq!(
            allowed_by(&POLICY, NATIVE, 0, 53, &unix),
            AllowedBy::Granted
        );
        assert_eq!(
            allowed_by(&POLICY, NATIVE, 0, 53, &[2, 0, 0, 0, 0, 0]),
            AllowedBy::OtherArguments
        );

        let m = Model::new(PolicySource::from(&POLICY), 0b01);
        assert!(m.with_verdicts(|v| v.verdict(NATIVE, 41, &a)).allowed);
        let v = m.with_verdicts(|v| v.verdict(NATIVE, 2, &a));
        assert!(!v.allowed);
        assert_eq!(v.action, PolicyAction::KillProcess);
        assert_eq!(m.granted(), ["NET"]);
        // Without a cap, socket() gets the rule's EPERM, carried out by
        // the supervisor.
        let v =
            Model::new(PolicySource::from(&POLICY), 0).with_verdicts(|v| v.verdict(NATIVE, 41, &a));
        assert!(!v.allowed);
        assert_eq!(v.action, PolicyAction::Errno(1));
    }

    /// A foreign entry point (i386's `int 0x80`, an x32 number, a negative
    /// number) gets the same answer supervised as the plain program gives
    /// it: the supervised program run in the simulator, and what the
    /// supervisor does with what it is sent, against the plain program
    /// (the one `spawn` installs) run in the simulator.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn foreign_entry_points_get_the_same_answer_on_both_paths() {
        use seccomp_policy_core::sim::{run, SeccompData};
        let calls = [
            (I386, 11, "i386 execve"),
            (I386, 0, "i386 restart_syscall"),
            (I386, 3, "i386 read"),
            (NATIVE, 0x4000_003b, "x32 execve (59)"),
            (NATIVE, 0x4000_0000, "x32 read"),
            (NATIVE, -1, "-1"),
        ];
        let a = [0; 6];
        for default in [
            Action::KillProcess,
            Action::Errno(1),
            Action::Errno(13),
            Action::Notify,
            Action::KillThread,
            Action::Trap,
            Action::Log,
        ] {
            let arches = [ArchPolicy { default, ..X86_64 }];
            let policy = Policy {
                arches: &arches,
                ..POLICY
            };
            let native = policy.native().unwrap();
            for caps in [0, 0b01, 0b111] {
                let plain = native
                    .program::<BPF_MAXINSNS>(caps, SPAWN_RULES, default)
                    .unwrap();
                let supervised = program(&policy, caps, false, false).unwrap();
                for (audit_arch, nr, what) in calls {
                    let data = SeccompData::new(nr, audit_arch);
                    let ret = |p: &Program<BPF_MAXINSNS>| {
                        Action::from_ret(run(p.as_slice(), &data).unwrap().ret).unwrap()
                    };
                    // With no listener the kernel answers `notify` ENOSYS.
                    let expected = match ret(&plain) {
                        Action::Notify => Action::Errno(libc::ENOSYS as u16),
                        other => other,
                    };
                    // The design: a foreign entry point gets the default.
                    let default_answer = match default {
                        Action::Notify => Action::Errno(libc::ENOSYS as u16),
                        other => other,
                    };
                    assert_eq!(expected, default_answer, "{what}: the plain program");
                    let answered = match ret(&supervised) {
                        Action::Notify => match verdict(&policy, caps, audit_arch, nr, &a).action {
                            PolicyAction::KillProcess => Action::KillProcess,
                            PolicyAction::Errno(e) => Action::Errno(e),
                        },
                        kernel => kernel,
                    };
                    assert_eq!(
                        answered, expected,
                        "{what} with default {default:?}, caps {caps:#b}"
                    );
                }
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_program_notifies_what_the_supervisor_answers() {
        use seccomp_policy_core::sim::{run, SeccompData};
        const ALLOW: u32 = 0x7fff_0000;
        const NOTIFY: u32 = 0x7fc0_0000;
        let prog = Model::new(PolicySource::from(&POLICY), 0)
            .program(false, false)
            .unwrap();
        let ret = |nr: i32, args: [u64; 6]| {
            let mut d = SeccompData::new(nr, NATIVE);
            d.args = args;
            run(prog.as_slice(), &d).unwrap().ret
        };
        assert_eq!(ret(0, [0; 6]), ALLOW);
        assert_eq!(ret(59, [0; 6]), ALLOW, "the spawn path's execve");
        assert_eq!(ret(53, [1, 0, 0, 0, 0, 0]), ALLOW);
        assert_eq!(ret(53, [2, 0, 0, 0, 0, 0]), NOTIFY, "the default");
        assert_eq!(ret(41, [0; 6]), NOTIFY, "the errno rule");
        assert_eq!(ret(2, [0; 6]), NOTIFY);
    }

    /// Learn mode's program sends every call Landlock checks on a path to
    /// the supervisor (openat allowed by `[base]`, unlinkat allowed by a
    /// cap's conditioned rule, mkdir in no table), and answers every other
    /// call as enforce mode's does; enforce mode's is the program built
    /// from the policy's rules alone, each outcome the supervisor carries
    /// out turned into `notify`. Numbers from the kernel's
    /// `arch/x86/entry/syscalls/syscall_64.tbl`.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn learn_mode_notifies_the_path_calls_and_nothing_else_changes() {
        use seccomp_policy_core::sim::{run, SeccompData};
        const ALLOW: u32 = 0x7fff_0000;
        const NOTIFY: u32 = 0x7fc0_0000;
        const OPENAT: i32 = 257;
        const UNLINKAT: i32 = 263;
        const MKDIR: i32 = 83;
        const FTRUNCATE: i32 = 77;
        const FLAG_IS_0: &[&[ArgCmp]] = &[&[ArgCmp {
            arg: 2,
            bits: 32,
            op: CmpOp::Eq,
            value: 0,
        }]];
        static CAP_RULES: [Rule<'static>; 1] = [Rule {
            nr: 263,
            when: When::AnyOf(FLAG_IS_0),
            action: Action::Allow,
            order: 30,
        }];
        static WITH_FILES: ArchPolicy<'static> = ArchPolicy {
            arch: Arch::X86_64,
            default: Action::KillProcess,
            base: RuleSet {
                allow: &[0, 1, 60, 77, 231, 257],
                rules: &BASE_RULES,
            },
            caps: &[RuleSet {
                allow: &[],
                rules: &CAP_RULES,
            }],
            missing: &[],
        };
        static FILES_POLICY: Policy<'static> = Policy {
            file: "files.toml",
            cap_names: &["FILES"],
            arches: &[WITH_FILES],
            reach: &[],
        };
        let argument_lists = [[0; 6], [1, 0, 0, 0, 0, 0], [2, 0, 1, 0, 0, 0]];
        for caps in [0, 0b1] {
            let enforce = program(&FILES_POLICY, caps, false, false).unwrap();
            let learn = program(&FILES_POLICY, caps, true, true).unwrap();
            // Enforce mode's program, from the rules as the policy has them.
            let selection = WITH_FILES.select(caps, SPAWN_RULES);
            let rules: Vec<Vec<Rule<'_>>> = selection
                .as_slice()
                .iter()
                .map(|set| {
                    let map = |r: &Rule<'static>| Rule {
                        action: supervised(r.action),
                        ..*r
                    };
                    set.rules.iter().map(map).collect()
                })
                .collect();
            let sets: Vec<RuleSet<'_>> = selection
                .as_slice()
                .iter()
                .zip(&rules)
                .map(|(set, rules)| RuleSet {
                    allow: set.allow,
                    rules,
                })
                .collect();
            let policys = build::<BPF_MAXINSNS>(Arch::X86_64, &sets, Action::Notify).unwrap();
            assert_eq!(enforce.as_slice(), policys.as_slice(), "caps {caps:#b}");
            let ret = |p: &Program<BPF_MAXINSNS>, nr: i32, args: [u64; 6]| {
                let mut d = SeccompData::new(nr, NATIVE);
                d.args = args;
                run(p.as_slice(), &d).unwrap().ret
            };
            for nr in 0..460 {
                for args in argument_lists {
                    let path_call = matches!(nr, 2 | 257 | 437 | 83 | 258 | 84 | 87 | 263)
                        || matches!(nr, 82 | 264 | 316 | 86 | 265 | 88 | 266 | 76)
                        || matches!(nr, 59 | 322 | 133 | 259 | 85)
                        // connect and bind (x86_64's unistd_64.h).
                        || matches!(nr, 42 | 49);
                    if path_call {
                        assert_eq!(ret(&learn, nr, args), NOTIFY, "nr {nr}");
                    } else {
                        assert_eq!(
                            ret(&learn, nr, args),
                            ret(&enforce, nr, args),
                            "nr {nr}, caps {caps:#b}"
                        );
                    }
                }
            }
            assert_eq!(ret(&enforce, OPENAT, [0; 6]), ALLOW);
            assert_eq!(ret(&enforce, FTRUNCATE, [0; 6]), ALLOW);
            assert_eq!(ret(&enforce, MKDIR, [0; 6]), NOTIFY);
            let unlink_file = ret(&enforce, UNLINKAT, [0; 6]);
            assert_eq!(unlink_file, if caps == 0 { NOTIFY } else { ALLOW });
        }
    }
}
