//! A policy the supervisor owns or shares, for policies read at run time.
//!
//! The macro's [`Policy`] is a `static` of borrowed tables; a policy
//! compiled while the program runs (the command-line tool's) has no
//! `'static` tables to borrow. [`OwnedPolicy`] holds a copy of one in
//! ordinary vectors, and lends it out as a [`Policy`] for as long as a
//! closure runs ([`OwnedPolicy::with_policy`]). [`PolicySource`] is what
//! [`Supervisor::new`](super::Supervisor::new) takes: either kind.

use std::sync::Arc;

use crate::arch::Arch;
use crate::policy::{ArchPolicy, Policy};
use crate::reach::Reach;
use crate::rule::{Action, ArgCmp, Rule, RuleSet, When};

/// A [`Policy`] whose tables it owns: built once from a borrowed one,
/// lent out by [`with_policy`](OwnedPolicy::with_policy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedPolicy {
    file: String,
    cap_names: Vec<String>,
    arches: Vec<OwnedArch>,
    reach: Vec<OwnedReach>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct OwnedArch {
    arch: Arch,
    default: Action,
    /// `[base]`'s set, then each cap's in bit order.
    sets: Vec<OwnedSet>,
    missing: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct OwnedSet {
    allow: Vec<u32>,
    rules: Vec<OwnedRule>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct OwnedRule {
    nr: u32,
    /// `None` for [`When::Always`], the alternatives of
    /// [`When::AnyOf`] otherwise.
    when: Option<Vec<Vec<ArgCmp>>>,
    action: Action,
    order: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct OwnedReach {
    fs: bool,
    net: bool,
    /// `read`, `write`, `connect`, `bind`.
    lists: [Vec<String>; 4],
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn strs(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}

impl OwnedSet {
    fn new(set: &RuleSet<'_>) -> OwnedSet {
        OwnedSet {
            allow: set.allow.to_vec(),
            rules: set
                .rules
                .iter()
                .map(|r| OwnedRule {
                    nr: r.nr,
                    when: match r.when {
                        When::Always => None,
                        When::AnyOf(alternatives) => {
                            Some(alternatives.iter().map(|all| all.to_vec()).collect())
                        }
                    },
                    action: r.action,
                    order: r.order,
                })
                .collect(),
        }
    }
}

impl OwnedPolicy {
    /// A copy of `policy` that owns its tables.
    pub fn new(policy: &Policy<'_>) -> OwnedPolicy {
        OwnedPolicy {
            file: policy.file.to_owned(),
            cap_names: strings(policy.cap_names),
            arches: policy
                .arches
                .iter()
                .map(|a| OwnedArch {
                    arch: a.arch,
                    default: a.default,
                    sets: core::iter::once(&a.base)
                        .chain(a.caps)
                        .map(OwnedSet::new)
                        .collect(),
                    missing: strings(a.missing),
                })
                .collect(),
            reach: policy
                .reach
                .iter()
                .map(|r| OwnedReach {
                    fs: r.fs,
                    net: r.net,
                    lists: [r.read, r.write, r.connect, r.bind].map(strings),
                })
                .collect(),
        }
    }

    /// The policy file's name.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Calls `f` with the policy as a [`Policy`] borrowed from `self`.
    /// Lending it allocates the tables of slices a [`Policy`] is made of.
    pub fn with_policy<R>(&self, f: impl FnOnce(&Policy<'_>) -> R) -> R {
        // Each layer borrows the one before: the alternatives of every
        // conditional rule, the rules, the sets, the architectures.
        let alternatives: Vec<Vec<Vec<Vec<&[ArgCmp]>>>> = self
            .arches
            .iter()
            .map(|a| {
                a.sets
                    .iter()
                    .map(|s| {
                        s.rules
                            .iter()
                            .map(|r| r.when.iter().flatten().map(Vec::as_slice).collect())
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let rules: Vec<Vec<Vec<Rule<'_>>>> = self
            .arches
            .iter()
            .zip(&alternatives)
            .map(|(a, alternatives)| {
                a.sets
                    .iter()
                    .zip(alternatives)
                    .map(|(s, alternatives)| {
                        s.rules
                            .iter()
                            .zip(alternatives)
                            .map(|(r, alternatives)| Rule {
                                nr: r.nr,
                                when: match r.when {
                                    None => When::Always,
                                    Some(_) => When::AnyOf(alternatives),
                                },
                                action: r.action,
                                order: r.order,
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let sets: Vec<Vec<RuleSet<'_>>> = self
            .arches
            .iter()
            .zip(&rules)
            .map(|(a, rules)| {
                a.sets
                    .iter()
                    .zip(rules)
                    .map(|(s, rules)| RuleSet {
                        allow: &s.allow,
                        rules,
                    })
                    .collect()
            })
            .collect();
        let missing: Vec<Vec<&str>> = self.arches.iter().map(|a| strs(&a.missing)).collect();
        let arches: Vec<ArchPolicy<'_>> = self
            .arches
            .iter()
            .zip(&sets)
            .zip(&missing)
            .map(|((a, sets), missing)| ArchPolicy {
                arch: a.arch,
                default: a.default,
                base: sets.first().copied().unwrap_or(RuleSet::EMPTY),
                caps: sets.get(1..).unwrap_or_default(),
                missing,
            })
            .collect();
        let cap_names = strs(&self.cap_names);
        let lists: Vec<[Vec<&str>; 4]> = self
            .reach
            .iter()
            .map(|r| [0, 1, 2, 3].map(|i| strs(&r.lists[i])))
            .collect();
        let reach: Vec<Reach<'_>> = self
            .reach
            .iter()
            .zip(&lists)
            .map(|(r, [read, write, connect, bind])| Reach {
                fs: r.fs,
                read,
                write,
                net: r.net,
                connect,
                bind,
            })
            .collect();
        f(&Policy {
            file: &self.file,
            cap_names: &cap_names,
            arches: &arches,
            reach: &reach,
        })
    }
}

impl From<&Policy<'_>> for OwnedPolicy {
    fn from(policy: &Policy<'_>) -> OwnedPolicy {
        OwnedPolicy::new(policy)
    }
}

/// The policy a [`Supervisor`](super::Supervisor) answers by: the macro's
/// `static` one, borrowed (`&POLICY`), or an [`OwnedPolicy`], owned or
/// shared through an [`Arc`].
#[derive(Clone, Debug)]
pub struct PolicySource(Source);

#[derive(Clone, Debug)]
enum Source {
    Static(Policy<'static>),
    Owned(Arc<OwnedPolicy>),
}

impl PolicySource {
    /// Calls `f` with the policy. A `static` policy is lent as it is; an
    /// owned one through [`OwnedPolicy::with_policy`].
    pub fn with_policy<R>(&self, f: impl FnOnce(&Policy<'_>) -> R) -> R {
        match &self.0 {
            Source::Static(policy) => f(policy),
            Source::Owned(policy) => policy.with_policy(f),
        }
    }

    /// The policy file's name.
    pub fn file(&self) -> &str {
        match &self.0 {
            Source::Static(policy) => policy.file,
            Source::Owned(policy) => policy.file(),
        }
    }
}

impl From<&Policy<'static>> for PolicySource {
    fn from(policy: &Policy<'static>) -> PolicySource {
        PolicySource(Source::Static(*policy))
    }
}

impl From<Arc<OwnedPolicy>> for PolicySource {
    fn from(policy: Arc<OwnedPolicy>) -> PolicySource {
        PolicySource(Source::Owned(policy))
    }
}

impl From<OwnedPolicy> for PolicySource {
    fn from(policy: OwnedPolicy) -> PolicySource {
        PolicySource(Source::Owned(Arc::new(policy)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::CmpOp;

    const SMALL: &[&[ArgCmp]] = &[
        &[ArgCmp {
            arg: 0,
            bits: 32,
            op: CmpOp::Eq,
            value: 1,
        }],
        &[],
    ];
    static RULES: [Rule<'static>; 3] = [
        Rule {
            nr: 2,
            when: When::AnyOf(SMALL),
            action: Action::Allow,
            order: 4,
        },
        Rule {
            nr: 3,
            when: When::Always,
            action: Action::Errno(1),
            order: 9,
        },
        Rule {
            nr: 5,
            when: When::AnyOf(&[]),
            action: Action::Allow,
            order: 12,
        },
    ];
    static ARCHES: [ArchPolicy<'static>; 2] = [
        ArchPolicy {
            arch: Arch::X86_64,
            default: Action::KillProcess,
            base: RuleSet {
                allow: &[0, 1],
                rules: &RULES,
            },
            caps: &[
                RuleSet {
                    allow: &[7],
                    rules: &[],
                },
                RuleSet::EMPTY,
            ],
            missing: &["frob"],
        },
        ArchPolicy {
            arch: Arch::Aarch64,
            default: Action::Errno(38),
            base: RuleSet::EMPTY,
            caps: &[],
            missing: &[],
        },
    ];
    static POLICY: Policy<'static> = Policy {
        file: "p.toml",
        cap_names: &["A", "B"],
        arches: &ARCHES,
        reach: &[
            Reach::NONE,
            Reach {
                fs: true,
                read: &["/usr"],
                write: &["/tmp", "$WORKDIR"],
                net: true,
                connect: &["443"],
                bind: &[],
            },
        ],
    };

    #[test]
    fn lends_the_policy_it_was_made_from() {
        let owned = OwnedPolicy::new(&POLICY);
        assert_eq!(owned.file(), "p.toml");
        owned.with_policy(|p| assert_eq!(*p, POLICY));
        let empty = Policy {
            file: "",
            cap_names: &[],
            arches: &[],
            reach: &[],
        };
        OwnedPolicy::new(&empty).with_policy(|p| assert_eq!(*p, empty));
    }

    #[test]
    fn either_source_is_the_same_policy() {
        let sources = [
            PolicySource::from(&POLICY),
            PolicySource::from(OwnedPolicy::new(&POLICY)),
            PolicySource::from(Arc::new(OwnedPolicy::from(&POLICY))),
        ];
        for source in sources {
            assert_eq!(source.file(), "p.toml");
            source.with_policy(|p| assert_eq!(*p, POLICY));
        }
    }
}
