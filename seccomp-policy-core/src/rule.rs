//! The rule IR: what a filter decides for one architecture, as data.
//!
//! A policy table becomes a [`RuleSet`]: the numbers it allows outright
//! (`allow`, the common case, kept as a plain sorted slice) and its
//! [`Rule`]s, each a syscall number, a condition on the arguments
//! ([`When`]) and an [`Action`]. The builder joins the sets granted to a
//! harness and decides, for every call:
//!
//! 1. allowed if any granted `allow` number or `Allow` rule matches;
//! 2. otherwise the action of the first matching rule in policy order
//!    ([`Rule::order`], the rule's position in the policy file);
//! 3. otherwise the default action.
//!
//! Conditions are in disjunctive normal form: [`When::AnyOf`] holds
//! alternatives, each a conjunction of [`ArgCmp`] comparisons of one
//! argument with a constant. Every type here can be built in a `const`, so
//! the `seccomp_policy!` macro emits a policy's rules as static data; the
//! same types borrowed from owned storage serve the command-line tool.
//!
//! [`Rule::matches`] and [`RuleSet`]-level evaluation in
//! [`verdict`] are the meaning of the IR, written plainly; the tests check the
//! builder's programs against it and against libseccomp.

use crate::bpf::{
    SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD,
    SECCOMP_RET_LOG, SECCOMP_RET_TRAP, SECCOMP_RET_USER_NOTIF,
};

/// What a filter does with a system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Kill the whole process, as if by an uncatchable `SIGSYS` (`SECCOMP_RET_KILL_PROCESS`).
    KillProcess,
    /// Kill only the calling thread (`SECCOMP_RET_KILL_THREAD`).
    KillThread,
    /// Send the thread a catchable `SIGSYS` (`SECCOMP_RET_TRAP`).
    Trap,
    /// Skip the call and make it fail with this errno (`SECCOMP_RET_ERRNO`);
    /// the kernel caps the value at `MAX_ERRNO` (4095).
    Errno(u16),
    /// Ask the user-space supervisor holding the filter's listener
    /// (`SECCOMP_RET_USER_NOTIF`, Linux 5.0). With no listener the call
    /// fails with `ENOSYS`.
    Notify,
    /// Allow the call and log it (`SECCOMP_RET_LOG`).
    Log,
    /// Allow the call (`SECCOMP_RET_ALLOW`).
    Allow,
}

impl Action {
    /// The filter return value for this action: a `SECCOMP_RET_*` action,
    /// or-ed with the errno for [`Action::Errno`].
    pub const fn to_ret(self) -> u32 {
        match self {
            Action::KillProcess => SECCOMP_RET_KILL_PROCESS,
            Action::KillThread => SECCOMP_RET_KILL_THREAD,
            Action::Trap => SECCOMP_RET_TRAP,
            Action::Errno(e) => SECCOMP_RET_ERRNO | e as u32,
            Action::Notify => SECCOMP_RET_USER_NOTIF,
            Action::Log => SECCOMP_RET_LOG,
            Action::Allow => SECCOMP_RET_ALLOW,
        }
    }

    /// The action a filter return value stands for, if it is one of these
    /// (`SECCOMP_RET_TRACE` is not).
    pub const fn from_ret(ret: u32) -> Option<Action> {
        Some(match ret & 0xffff_0000 {
            SECCOMP_RET_KILL_PROCESS => Action::KillProcess,
            SECCOMP_RET_KILL_THREAD => Action::KillThread,
            SECCOMP_RET_TRAP => Action::Trap,
            SECCOMP_RET_ERRNO => Action::Errno((ret & 0xffff) as u16),
            SECCOMP_RET_USER_NOTIF => Action::Notify,
            SECCOMP_RET_LOG => Action::Log,
            SECCOMP_RET_ALLOW => Action::Allow,
            _ => return None,
        })
    }

    /// The actions a policy file names by a keyword (as `default` or a
    /// value of `actions`), with the keyword: every action but
    /// [`Action::Allow`] (a file allows a call by listing it in `allow`) and
    /// [`Action::Errno`] (named by its errno, `"EPERM"`). The one place the
    /// keywords are spelled: the front end parses them with
    /// [`Action::from_keyword`], and everything that shows an action as the
    /// file would write it uses [`Action::keyword`].
    pub const KEYWORDS: [(&'static str, Action); 5] = [
        ("kill-process", Action::KillProcess),
        ("kill-thread", Action::KillThread),
        ("trap", Action::Trap),
        ("log", Action::Log),
        ("notify", Action::Notify),
    ];

    /// The action as a policy file spells it: its keyword in
    /// [`Action::KEYWORDS`], or `allow` for [`Action::Allow`] (the name of
    /// the list that grants it). `None` for [`Action::Errno`], which the
    /// file names by the errno's name, per architecture.
    pub const fn keyword(self) -> Option<&'static str> {
        if let Action::Allow = self {
            return Some("allow");
        }
        let mut i = 0;
        while i < Action::KEYWORDS.len() {
            if Action::KEYWORDS[i].1.same(self) {
                return Some(Action::KEYWORDS[i].0);
            }
            i += 1;
        }
        None
    }

    /// The action `word` names as a value of `default` or `actions`, if it
    /// is one of [`Action::KEYWORDS`] (not `allow`, and not an errno name).
    pub fn from_keyword(word: &str) -> Option<Action> {
        Action::KEYWORDS
            .iter()
            .find(|(keyword, _)| *keyword == word)
            .map(|(_, action)| *action)
    }

    /// Whether the call goes ahead (`Allow` and `Log`).
    pub const fn runs_the_call(self) -> bool {
        matches!(self, Action::Allow | Action::Log)
    }

    /// Whether two actions are the same, usable in `const fn`.
    pub const fn same(self, other: Action) -> bool {
        self.to_ret() == other.to_ret()
    }
}

/// How an argument is compared with [`ArgCmp::value`]. All comparisons are
/// unsigned, as classic BPF's are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `arg == value`.
    Eq,
    /// `arg != value`.
    Ne,
    /// `arg < value`.
    Lt,
    /// `arg <= value`.
    Le,
    /// `arg > value`.
    Gt,
    /// `arg >= value`.
    Ge,
    /// `arg & mask == value`.
    MaskedEq(u64),
    /// `arg & mask != value`; with `value == 0`, "any bit of `mask` is set".
    MaskedNe(u64),
}

impl CmpOp {
    /// The comparison that holds exactly when this one does not.
    #[must_use]
    pub const fn negate(self) -> CmpOp {
        match self {
            CmpOp::Eq => CmpOp::Ne,
            CmpOp::Ne => CmpOp::Eq,
            CmpOp::Lt => CmpOp::Ge,
            CmpOp::Ge => CmpOp::Lt,
            CmpOp::Le => CmpOp::Gt,
            CmpOp::Gt => CmpOp::Le,
            CmpOp::MaskedEq(m) => CmpOp::MaskedNe(m),
            CmpOp::MaskedNe(m) => CmpOp::MaskedEq(m),
        }
    }
}

/// One comparison of a syscall argument with a constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ArgCmp {
    /// Which argument: `seccomp_data.args[arg]`, `0..=5`.
    pub arg: u8,
    /// How many low bits of the argument count: 16 for a parameter the
    /// kernel reads as 16 bits (`umode_t`), 32 for a 32-bit type (`int`,
    /// `unsigned int`: ioctl's `cmd`) and for every other argument on a
    /// 32-bit architecture; 64 otherwise. The bits above are ignored, as the
    /// kernel ignores them, so setting them cannot slip past the filter.
    pub bits: u8,
    /// The comparison.
    pub op: CmpOp,
    /// The constant, already reduced to `bits` bits (as is a mask).
    pub value: u64,
}

impl ArgCmp {
    /// The mask of the bits that count (`bits` low bits).
    pub const fn width_mask(&self) -> u64 {
        if self.bits >= 64 {
            u64::MAX
        } else {
            (1u64 << self.bits) - 1
        }
    }

    /// Whether the comparison holds for these arguments. An `arg` past 5
    /// never matches.
    pub const fn matches(&self, args: &[u64; 6]) -> bool {
        if self.arg as usize >= args.len() {
            return false;
        }
        let a = args[self.arg as usize] & self.width_mask();
        let v = self.value;
        match self.op {
            CmpOp::Eq => a == v,
            CmpOp::Ne => a != v,
            CmpOp::Lt => a < v,
            CmpOp::Le => a <= v,
            CmpOp::Gt => a > v,
            CmpOp::Ge => a >= v,
            CmpOp::MaskedEq(m) => a & m == v,
            CmpOp::MaskedNe(m) => a & m != v,
        }
    }
}

/// When a rule applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum When<'a> {
    /// Whatever the arguments.
    Always,
    /// When every comparison of at least one of the conjunctions holds.
    /// An empty list never matches.
    AnyOf(&'a [&'a [ArgCmp]]),
}

impl When<'_> {
    /// Whether the condition holds for these arguments.
    pub const fn matches(&self, args: &[u64; 6]) -> bool {
        match self {
            When::Always => true,
            When::AnyOf(alternatives) => {
                let mut i = 0;
                while i < alternatives.len() {
                    let conj = alternatives[i];
                    let mut all = true;
                    let mut j = 0;
                    while j < conj.len() {
                        if !conj[j].matches(args) {
                            all = false;
                            break;
                        }
                        j += 1;
                    }
                    if all {
                        return true;
                    }
                    i += 1;
                }
                false
            }
        }
    }

    /// Whether this is [`When::Always`].
    pub const fn is_always(&self) -> bool {
        matches!(self, When::Always)
    }
}

/// One rule: for calls of `nr` whose arguments satisfy `when`, `action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rule<'a> {
    /// The syscall number on the rule set's architecture.
    pub nr: u32,
    /// The condition on the arguments.
    pub when: When<'a>,
    /// What the filter does when the rule decides the call.
    pub action: Action,
    /// The rule's place in the policy (its byte offset in the policy file):
    /// among rules that are not `Allow`, the smallest `order` that matches
    /// decides.
    pub order: u32,
}

impl Rule<'_> {
    /// Whether the rule applies to a call of `nr` with `args`.
    pub const fn matches(&self, nr: u32, args: &[u64; 6]) -> bool {
        self.nr == nr && self.when.matches(args)
    }
}

/// What one policy table contributes on one architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RuleSet<'a> {
    /// Numbers allowed whatever the arguments, sorted ascending (duplicates
    /// are fine).
    pub allow: &'a [u32],
    /// Every other rule, sorted by `nr` ascending.
    pub rules: &'a [Rule<'a>],
}

impl RuleSet<'_> {
    /// A set with no number and no rule.
    pub const EMPTY: RuleSet<'static> = RuleSet {
        allow: &[],
        rules: &[],
    };

    /// How many rules (`allow` numbers included) the set has.
    pub const fn len(&self) -> usize {
        self.allow.len() + self.rules.len()
    }

    /// Whether the set has no number and no rule.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What the sets decide for a call of `nr` with `args`: `Allow` if an
/// `allow` number or a matching `Allow` rule says so, else the action of the
/// matching rule with the smallest [`Rule::order`], else `default`.
///
/// This is the meaning of the IR, written as plainly as possible; it is what
/// the builder's programs are checked against.
pub const fn verdict(sets: &[RuleSet<'_>], nr: u32, args: &[u64; 6], default: Action) -> Action {
    let mut best: Option<&Rule<'_>> = None;
    let mut i = 0;
    while i < sets.len() {
        let set = sets[i];
        let mut j = 0;
        while j < set.allow.len() {
            if set.allow[j] == nr {
                return Action::Allow;
            }
            j += 1;
        }
        let mut j = 0;
        while j < set.rules.len() {
            let rule = &set.rules[j];
            if rule.matches(nr, args) {
                if matches!(rule.action, Action::Allow) {
                    return Action::Allow;
                }
                best = match best {
                    Some(b) if b.order <= rule.order => Some(b),
                    _ => Some(rule),
                };
            }
            j += 1;
        }
        i += 1;
    }
    match best {
        Some(rule) => rule.action,
        None => default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_name_each_action_once() {
        for (word, action) in Action::KEYWORDS {
            assert_eq!(Action::from_keyword(word), Some(action));
            assert_eq!(action.keyword(), Some(word));
        }
        assert_eq!(Action::Allow.keyword(), Some("allow"));
        assert_eq!(Action::from_keyword("allow"), None);
        assert_eq!(Action::Errno(1).keyword(), None);
        assert_eq!(Action::from_keyword("EPERM"), None);
        assert_eq!(Action::from_keyword("kill"), None);
        assert_eq!(Action::KillProcess.keyword(), Some("kill-process"));
    }

    fn cmp(arg: u8, bits: u8, op: CmpOp, value: u64) -> ArgCmp {
        ArgCmp {
            arg,
            bits,
            op,
            value,
        }
    }

    #[test]
    fn return_values_round_trip() {
        for a in [
            Action::KillProcess,
            Action::KillThread,
            Action::Trap,
            Action::Errno(1),
            Action::Errno(4095),
            Action::Notify,
            Action::Log,
            Action::Allow,
        ] {
            assert_eq!(Action::from_ret(a.to_ret()), Some(a));
        }
        // SECCOMP_RET_TRACE is not an action of the language.
        assert_eq!(Action::from_ret(0x7ff0_0000), None);
        assert_eq!(Action::Errno(1).to_ret(), 0x0005_0001);
        assert!(Action::Log.runs_the_call() && !Action::Notify.runs_the_call());
    }

    #[test]
    fn comparisons_are_unsigned_and_respect_the_width() {
        let args = [0xffff_ffff_0000_5412, 5, u64::MAX, 0, 0, 0];
        // 32 bits: the high half is ignored, as the kernel ignores it for `unsigned int cmd`.
        assert!(cmp(0, 32, CmpOp::Eq, 0x5412).matches(&args));
        assert!(!cmp(0, 64, CmpOp::Eq, 0x5412).matches(&args));
        assert!(cmp(1, 64, CmpOp::Lt, 6).matches(&args));
        assert!(!cmp(1, 64, CmpOp::Gt, 5).matches(&args));
        assert!(cmp(1, 64, CmpOp::Ge, 5).matches(&args));
        assert!(cmp(1, 64, CmpOp::Le, 5).matches(&args));
        // -1 is the largest unsigned value.
        assert!(cmp(2, 64, CmpOp::Gt, 1).matches(&args));
        assert!(cmp(2, 64, CmpOp::MaskedEq(0xf0), 0xf0).matches(&args));
        assert!(!cmp(3, 64, CmpOp::MaskedNe(0x10), 0).matches(&args));
        assert!(!cmp(6, 64, CmpOp::Eq, 0).matches(&args), "no args[6]");
        for op in [
            CmpOp::Eq,
            CmpOp::Ne,
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
            CmpOp::MaskedEq(0xff),
            CmpOp::MaskedNe(0xff),
        ] {
            for a in [0u64, 4, 5, 6, 0x1_0000_0005, u64::MAX] {
                let args = [a, 0, 0, 0, 0, 0];
                let c = cmp(0, 64, op, 5);
                let n = cmp(0, 64, op.negate(), 5);
                assert_ne!(c.matches(&args), n.matches(&args), "{op:?} {a:#x}");
            }
        }
    }

    #[test]
    fn when_is_an_or_of_ands() {
        let a = [cmp(0, 64, CmpOp::Eq, 1), cmp(1, 64, CmpOp::Eq, 2)];
        let b = [cmp(0, 64, CmpOp::Eq, 3)];
        let alts: [&[ArgCmp]; 2] = [&a, &b];
        let w = When::AnyOf(&alts);
        assert!(w.matches(&[1, 2, 0, 0, 0, 0]));
        assert!(!w.matches(&[1, 3, 0, 0, 0, 0]));
        assert!(w.matches(&[3, 9, 0, 0, 0, 0]));
        assert!(!When::AnyOf(&[]).matches(&[0; 6]));
        let empty: [&[ArgCmp]; 1] = [&[]];
        assert!(When::AnyOf(&empty).matches(&[0; 6]));
        assert!(When::Always.matches(&[0; 6]));
    }

    #[test]
    fn allow_wins_then_the_first_rule_in_policy_order() {
        let thread = [cmp(0, 64, CmpOp::MaskedNe(0x10000), 0)];
        let thread_alts: [&[ArgCmp]; 1] = [&thread];
        let base_rules = [
            Rule {
                nr: 56,
                when: When::AnyOf(&thread_alts),
                action: Action::Allow,
                order: 10,
            },
            Rule {
                nr: 56,
                when: When::Always,
                action: Action::Errno(1),
                order: 30,
            },
            Rule {
                nr: 435,
                when: When::Always,
                action: Action::Errno(38),
                order: 20,
            },
        ];
        let cap_rules = [Rule {
            nr: 56,
            when: When::Always,
            action: Action::Errno(13),
            order: 5,
        }];
        let base = RuleSet {
            allow: &[0, 1],
            rules: &base_rules,
        };
        let cap = RuleSet {
            allow: &[],
            rules: &cap_rules,
        };
        let kill = Action::KillProcess;
        let args = |a0: u64| [a0, 0, 0, 0, 0, 0];
        assert_eq!(verdict(&[base], 0, &args(0), kill), Action::Allow);
        assert_eq!(verdict(&[base], 2, &args(0), kill), kill);
        assert_eq!(verdict(&[base], 56, &args(0x10000), kill), Action::Allow);
        assert_eq!(verdict(&[base], 56, &args(0), kill), Action::Errno(1));
        assert_eq!(verdict(&[base], 435, &args(0), kill), Action::Errno(38));
        // The cap's rule comes earlier in the file, so it decides when granted.
        assert_eq!(verdict(&[base, cap], 56, &args(0), kill), Action::Errno(13));
        assert_eq!(verdict(&[cap, base], 56, &args(0), kill), Action::Errno(13));
        // An allow wins over any earlier action.
        assert_eq!(
            verdict(&[base, cap], 56, &args(0x10000), kill),
            Action::Allow
        );
        assert_eq!(RuleSet::EMPTY.len(), 0);
        assert_eq!(base.len(), 5);
    }
}
