//! What each stretch of the number line gets: a number's rules gathered
//! across the joined sets and classified as one action whatever the
//! arguments, or a block that looks at them ([`Leaf`]).

use super::emit::RetList;
use super::error::BuildError;
use super::tree::Intervals;
use super::walk::Walk;
use super::{ALLOW, MAX_RULES_PER_NUMBER};
use crate::rule::{Action, ArgCmp, Rule, RuleSet, When};

/// What an interval of the number line gets.
#[derive(Clone, Copy)]
pub(super) enum Leaf {
    /// The same action whatever the arguments, as its filter return value
    /// (compared as a plain number: the builder compares actions often).
    Ret(u32),
    /// A block testing the arguments of this number's rules.
    Cond(u32),
}

/// The rules of one number across the sets, classified.
pub(super) struct NumberRules<'s, 'a> {
    /// (set, rule index) of every conditioned rule that can decide, in no
    /// particular order.
    pub(super) found: [(u8, u16); MAX_RULES_PER_NUMBER],
    pub(super) len: usize,
    /// The action when no conditioned rule matches: the unconditional rule
    /// with the smallest order, or the default.
    pub(super) fallthrough: Action,
    /// Whether some conditioned `Allow` rule exists.
    any_allow: bool,
    sets: &'s [RuleSet<'a>],
}

impl<'s, 'a> NumberRules<'s, 'a> {
    pub(super) const fn rule(&self, k: usize) -> &'s Rule<'a> {
        let (s, r) = self.found[k];
        &self.sets[s as usize].rules[r as usize]
    }

    /// Drops the conditioned rules that can never decide: those after the
    /// first unconditional one (`first_always`, its order), but an allow,
    /// which always can.
    const fn keep_reachable(&mut self, first_always: Option<u32>) {
        let mut k = 0;
        let mut kept = 0;
        while k < self.len {
            let rule = self.rule(k);
            let allow = matches!(rule.action, Action::Allow);
            let reachable = match first_always {
                Some(o) => allow || rule.order < o,
                None => true,
            };
            if reachable {
                self.found[kept] = self.found[k];
                kept += 1;
                self.any_allow |= allow;
            }
            k += 1;
        }
        self.len = kept;
    }
}

/// The first index of `rules` whose number is `>= nr` (they are sorted).
pub(super) const fn lower_bound(rules: &[Rule<'_>], nr: u32) -> usize {
    let (mut lo, mut hi) = (0, rules.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if rules[mid].nr < nr {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Whether `allow` (sorted) contains `nr`.
const fn contains(allow: &[u32], nr: u32) -> bool {
    let (mut lo, mut hi) = (0, allow.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if allow[mid] < nr {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo < allow.len() && allow[lo] == nr
}

/// Gathers the rules of `nr`. `Ok(None)` when an unconditional allow
/// decides the number outright.
pub(super) const fn number_rules<'s, 'a>(
    sets: &'s [RuleSet<'a>],
    nr: u32,
    default: Action,
) -> Result<Option<NumberRules<'s, 'a>>, BuildError> {
    let mut out = NumberRules {
        found: [(0, 0); MAX_RULES_PER_NUMBER],
        len: 0,
        fallthrough: default,
        any_allow: false,
        sets,
    };
    // The smallest order of an unconditional non-allow rule, if any.
    let mut first_always: Option<u32> = None;
    let mut s = 0;
    while s < sets.len() {
        if contains(sets[s].allow, nr) {
            return Ok(None);
        }
        let rules = sets[s].rules;
        let mut r = lower_bound(rules, nr);
        while r < rules.len() && rules[r].nr == nr {
            let rule = &rules[r];
            match rule.when {
                When::Always => {
                    if matches!(rule.action, Action::Allow) {
                        return Ok(None);
                    }
                    let earlier = match first_always {
                        Some(o) => rule.order < o,
                        None => true,
                    };
                    if earlier {
                        first_always = Some(rule.order);
                        out.fallthrough = rule.action;
                    }
                }
                When::AnyOf(alts) => {
                    if let Err(e) = check_comparisons(alts, nr) {
                        return Err(e);
                    }
                    if alts.is_empty() {
                        // Never matches: nothing to test.
                    } else if out.len == MAX_RULES_PER_NUMBER {
                        return Err(BuildError::TooManyRules { nr });
                    } else {
                        out.found[out.len] = (s as u8, r as u16);
                        out.len += 1;
                    }
                }
            }
            r += 1;
        }
        s += 1;
    }
    out.keep_reachable(first_always);
    Ok(Some(out))
}

/// [`BuildError::BadComparison`] for a comparison of `nr`'s rule past
/// `args[5]` or with a width the builder does not know.
const fn check_comparisons(alts: &[&[ArgCmp]], nr: u32) -> Result<(), BuildError> {
    let mut k = 0;
    while k < alts.len() {
        let mut c = 0;
        while c < alts[k].len() {
            let cmp = alts[k][c];
            if cmp.arg > 5 || !matches!(cmp.bits, 16 | 32 | 64) {
                return Err(BuildError::BadComparison { nr });
            }
            c += 1;
        }
        k += 1;
    }
    Ok(())
}

/// The verdict of a whole number when it does not depend on the arguments,
/// else [`Leaf::Cond`]; notes in `rets` the actions its block may return.
const fn classify(
    sets: &[RuleSet<'_>],
    nr: u32,
    default: Action,
    rets: &mut RetList,
) -> Result<Leaf, BuildError> {
    let rules = match number_rules(sets, nr, default) {
        Ok(None) => return Ok(Leaf::Ret(ALLOW)),
        Ok(Some(rules)) => rules,
        Err(e) => return Err(e),
    };
    let fallthrough = rules.fallthrough.to_ret();
    // Every outcome the same: no need to look at the arguments.
    let mut k = 0;
    while k < rules.len {
        if rules.rule(k).action.to_ret() != fallthrough {
            break;
        }
        k += 1;
    }
    if k == rules.len {
        return Ok(Leaf::Ret(fallthrough));
    }
    let mut k = 0;
    while k < rules.len {
        rets.note(rules.rule(k).action.to_ret());
        k += 1;
    }
    rets.note(fallthrough);
    Ok(Leaf::Cond(nr))
}

/// Cuts the number line `0..=u32::MAX` into `iv`, an interval per run of
/// numbers with one [`Leaf`] (the numbers no set mentions get `default`),
/// and notes in `rets` every action the program returns.
pub(super) const fn number_line<const N: usize>(
    sets: &[RuleSet<'_>],
    default: Action,
    iv: &mut Intervals<N>,
    rets: &mut RetList,
) -> Result<(), BuildError> {
    let default_ret = default.to_ret();
    let mut walk = Walk::new(sets);
    let mut next = 0u64;
    while let Some((nr, allowed)) = walk.next_at_least(next) {
        // Most numbers are allowed outright: the cursors tell without
        // looking up the number's rules in every set.
        let leaf = if allowed {
            Leaf::Ret(ALLOW)
        } else {
            match classify(sets, nr, default, rets) {
                Ok(leaf) => leaf,
                Err(e) => return Err(e),
            }
        };
        if let Leaf::Ret(r) = leaf {
            rets.note(r);
        }
        if (nr as u64) > next {
            iv.push(next as u32, Leaf::Ret(default_ret));
        }
        iv.push(nr, leaf);
        next = nr as u64 + 1;
    }
    if next <= u32::MAX as u64 {
        iv.push(next as u32, Leaf::Ret(default_ret));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::testing::{cmp, KILL};
    use crate::rule::CmpOp;

    const ZERO: [ArgCmp; 1] = [ArgCmp {
        arg: 0,
        bits: 64,
        op: CmpOp::Eq,
        value: 0,
    }];
    const ALTS: [&[ArgCmp]; 1] = [&ZERO];

    fn rule(nr: u32, when: When<'_>, action: Action, order: u32) -> Rule<'_> {
        Rule {
            nr,
            when,
            action,
            order,
        }
    }

    #[test]
    fn rules_after_the_first_unconditional_one_never_decide_but_allows_do() {
        let rules = [
            rule(7, When::AnyOf(&ALTS), Action::Errno(1), 1),
            rule(7, When::Always, Action::Errno(2), 2),
            rule(7, When::AnyOf(&ALTS), Action::Errno(3), 3),
            rule(7, When::AnyOf(&ALTS), Action::Allow, 4),
        ];
        let sets = [RuleSet {
            allow: &[],
            rules: &rules,
        }];
        let Ok(Some(found)) = number_rules(&sets, 7, KILL) else {
            panic!("7 has conditioned rules");
        };
        assert_eq!(found.len, 2);
        assert_eq!(found.fallthrough, Action::Errno(2));
        assert_eq!(found.rule(0).order, 1);
        assert_eq!(found.rule(1).order, 4);
        assert!(number_rules(&sets, 8, KILL)
            .unwrap()
            .is_some_and(|r| r.len == 0));
    }

    #[test]
    fn a_number_allowed_anywhere_or_with_one_outcome_needs_no_block() {
        let rules = [
            rule(1, When::AnyOf(&ALTS), Action::Errno(1), 1),
            rule(1, When::Always, Action::Errno(1), 2),
            rule(2, When::AnyOf(&ALTS), Action::Errno(1), 3),
        ];
        let sets = [
            RuleSet {
                allow: &[],
                rules: &rules,
            },
            RuleSet {
                allow: &[3],
                rules: &[rule(3, When::AnyOf(&ALTS), Action::Errno(1), 4)],
            },
        ];
        let mut rets = RetList::new(KILL.to_ret());
        let errno1 = Action::Errno(1).to_ret();
        assert!(matches!(classify(&sets, 1, KILL, &mut rets), Ok(Leaf::Ret(r)) if r == errno1));
        assert!(matches!(
            classify(&sets, 3, KILL, &mut rets),
            Ok(Leaf::Ret(ALLOW))
        ));
        assert!(matches!(
            classify(&sets, 2, KILL, &mut rets),
            Ok(Leaf::Cond(2))
        ));
        let bad = [cmp(6, 64, CmpOp::Eq, 0)];
        let bad_alts: [&[ArgCmp]; 1] = [&bad];
        let bad_rules = [rule(5, When::AnyOf(&bad_alts), Action::Allow, 0)];
        let bad_sets = [RuleSet {
            allow: &[],
            rules: &bad_rules,
        }];
        assert!(matches!(
            classify(&bad_sets, 5, KILL, &mut rets),
            Err(BuildError::BadComparison { nr: 5 })
        ));
    }
}
