//! The joined rule sets read in ascending number order, one cursor per set,
//! so the numbers the sets mention are met once each without merging them.

use super::MAX_SETS;
use crate::rule::RuleSet;

/// The joined sets and a cursor per set, read in ascending number order.
pub(super) struct Walk<'s, 'a> {
    sets: &'s [RuleSet<'a>],
    /// Per set, the first `allow` index and the first `rules` index not passed.
    allow_at: [usize; MAX_SETS],
    rule_at: [usize; MAX_SETS],
    /// The sets with numbers left, first `live_len` entries: a selection
    /// often has empty sets (no extra rules, caps without rules for this
    /// architecture), and a finished set need not be looked at again.
    live: [u8; MAX_SETS],
    live_len: usize,
}

impl<'s, 'a> Walk<'s, 'a> {
    /// `sets.len()` must be at most [`MAX_SETS`].
    pub(super) const fn new(sets: &'s [RuleSet<'a>]) -> Self {
        let mut walk = Walk {
            sets,
            allow_at: [0; MAX_SETS],
            rule_at: [0; MAX_SETS],
            live: [0; MAX_SETS],
            live_len: 0,
        };
        let mut i = 0;
        while i < sets.len() && i < MAX_SETS {
            if !sets[i].allow.is_empty() || !sets[i].rules.is_empty() {
                walk.live[walk.live_len] = i as u8;
                walk.live_len += 1;
            }
            i += 1;
        }
        walk
    }

    /// The smallest number `>= x` that any set mentions, and whether some
    /// set allows it outright (has it in `allow`). Calls must not decrease
    /// `x`: cursors only move forward.
    #[inline]
    pub(super) const fn next_at_least(&mut self, x: u64) -> Option<(u32, bool)> {
        let mut best = u64::MAX;
        let mut allowed = false;
        let mut l = 0;
        while l < self.live_len {
            let i = self.live[l] as usize;
            let set = self.sets[i];
            let mut c = self.allow_at[i];
            while c < set.allow.len() && (set.allow[c] as u64) < x {
                c += 1;
            }
            self.allow_at[i] = c;
            if c < set.allow.len() {
                let v = set.allow[c] as u64;
                if v < best {
                    best = v;
                    allowed = true;
                } else if v == best {
                    allowed = true;
                }
            }
            let mut r = self.rule_at[i];
            while r < set.rules.len() && (set.rules[r].nr as u64) < x {
                r += 1;
            }
            self.rule_at[i] = r;
            if r < set.rules.len() {
                let v = set.rules[r].nr as u64;
                if v < best {
                    best = v;
                    allowed = false;
                }
            }
            if c == set.allow.len() && r == set.rules.len() {
                // Done with this set: the last live one takes its place.
                self.live_len -= 1;
                self.live[l] = self.live[self.live_len];
            } else {
                l += 1;
            }
        }
        if best == u64::MAX {
            None
        } else {
            Some((best as u32, allowed))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::testing::allow;
    use crate::rule::{Action, Rule, When};

    #[test]
    fn numbers_come_once_each_in_order_with_whether_a_set_allows_them() {
        let rules = [Rule {
            nr: 4,
            when: When::Always,
            action: Action::Errno(1),
            order: 0,
        }];
        let with_rules = RuleSet {
            allow: &[],
            rules: &rules,
        };
        let sets = [allow(&[2, 7]), RuleSet::EMPTY, with_rules, allow(&[4, 7])];
        let mut walk = Walk::new(&sets);
        let mut met = Vec::new();
        let mut next = 0u64;
        while let Some((nr, allowed)) = walk.next_at_least(next) {
            met.push((nr, allowed));
            next = nr as u64 + 1;
        }
        assert_eq!(met, [(2, true), (4, true), (7, true)]);
        let mut walk = Walk::new(&sets[2..3]);
        assert_eq!(walk.next_at_least(0), Some((4, false)));
        assert_eq!(walk.next_at_least(5), None);
    }
}
