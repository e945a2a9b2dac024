//! How long a program can get: [`capacity_for`], a bound on the length of
//! every program [`build`](super::build) makes from a subset of some rule
//! sets, for sizing a `Program<N>` before the caps are known.

use super::classify::lower_bound;
use super::{ALLOW, MAX_JUMP, MAX_SHARED_RETS};
use crate::bpf::BPF_MAXINSNS;
use crate::rule::{Rule, RuleSet, When};

/// An upper bound of the length of any program [`build`] makes from a
/// subset of `sets` plus `extra` unconditional rules of the caller's (the
/// spawn path's `execve`), capped at [`BPF_MAXINSNS`] because [`build`]
/// refuses anything longer. Use it to size a `Program<N>`.
///
/// With `R` numbers and rules in all and `C` comparisons in the
/// conditions, a program without stand-ins has at most: the 4-instruction
/// header, `2R` tree nodes (`2R + 1` intervals), 6 instructions a
/// comparison, and a shared `ret` per distinct action (at most 16; past
/// that, an action gets a `ret` at each use, two per jump at most). When
/// that is at most 256 no target is out of reach.
/// Otherwise stand-ins are placed (see [`build`]):
///
/// - a `ret` stand-in is placed only when the nearest `ret` of its action
///   is more than 255 instructions back, so in a program of `L`
///   instructions each shared action has at most `L / 257` of them;
/// - a tree node's jump needs a `ja` only when its lower subtree, which lies
///   between the jump and the upper one, is longer than 255; the subtrees
///   of one depth do not overlap, so each depth has at most `L / 256` such
///   nodes, and a tree of `2R + 1` leaves is `ceil(log2(2R + 1))` deep;
/// - a block's jumps target its own code or a `ret`: only a block that
///   could be longer than 255 with its `ret` stand-ins (its number's
///   comparisons across the sets, `6 C_n + 16 >= 255`) may need a `ja`, at
///   most two for each of its at most `3 C_n` jumps.
///
/// So `L <= F + (S + D) * L / 256`, with `F` the length without stand-ins
/// plus the blocks' `ja`s, `S` the shared actions and `D` the depth, and
/// `L <= 256 F / (256 - S - D)`.
///
/// [`build`]: super::build
pub const fn capacity_for(sets: &[RuleSet<'_>], extra: usize) -> usize {
    let (numbers, cmps) = numbers_and_comparisons(sets, extra);
    let distinct = distinct_actions(sets, extra);
    let shared = if distinct < MAX_SHARED_RETS {
        distinct
    } else {
        MAX_SHARED_RETS
    };
    // Saturating: the bound is only compared with BPF_MAXINSNS.
    let tree = numbers.saturating_mul(2);
    let jumps = tree
        .saturating_add(cmps.saturating_mul(3))
        .saturating_add(1);
    let mut fixed = 4usize
        .saturating_add(tree)
        .saturating_add(cmps.saturating_mul(6))
        .saturating_add(shared);
    if distinct > MAX_SHARED_RETS {
        // A `ret` at each use of an action without a shared one.
        fixed = fixed.saturating_add(jumps.saturating_mul(2));
    }
    fixed = fixed.saturating_add(long_blocks(sets).saturating_mul(2));
    let bound = if fixed <= MAX_JUMP + 1 {
        fixed
    } else {
        let depth = ceil_log2(tree.saturating_add(1));
        let room = (MAX_JUMP + 1).saturating_sub(shared + depth);
        if room == 0 {
            BPF_MAXINSNS
        } else {
            fixed.saturating_mul(MAX_JUMP + 1).div_ceil(room)
        }
    };
    if bound > BPF_MAXINSNS {
        BPF_MAXINSNS
    } else {
        bound
    }
}

/// The numbers and rules of `sets` plus `extra` (`R`), and the comparisons
/// of their conditions (`C`).
const fn numbers_and_comparisons(sets: &[RuleSet<'_>], extra: usize) -> (usize, usize) {
    let mut numbers = extra;
    let mut cmps = 0usize;
    let mut i = 0;
    while i < sets.len() {
        numbers = numbers.saturating_add(sets[i].allow.len() + sets[i].rules.len());
        let mut j = 0;
        while j < sets[i].rules.len() {
            cmps = cmps.saturating_add(comparisons(sets[i].rules[j].when));
            j += 1;
        }
        i += 1;
    }
    (numbers, cmps)
}

/// Distinct actions: the default, `Allow`, each of the caller's `extra`
/// rules (which may all differ), then the rules' own, counted until it is
/// clear that not all get a shared `ret` (so at most one past
/// [`MAX_SHARED_RETS`]).
const fn distinct_actions(sets: &[RuleSet<'_>], extra: usize) -> usize {
    let always = 2usize.saturating_add(extra);
    let mut seen = [0u32; MAX_SHARED_RETS];
    let mut seen_len = 0;
    let mut i = 0;
    while i < sets.len() {
        let mut j = 0;
        while j < sets[i].rules.len() {
            let ret = sets[i].rules[j].action.to_ret();
            // Counting stops one past the shared `ret`s; `always >= 2`
            // keeps `seen_len` below the array's length.
            if always + seen_len <= MAX_SHARED_RETS
                && ret != ALLOW
                && !seen_has(&seen, seen_len, ret)
            {
                seen[seen_len] = ret;
                seen_len += 1;
            }
            j += 1;
        }
        i += 1;
    }
    always.saturating_add(seen_len)
}

/// The comparisons of a condition, over all its alternatives.
const fn comparisons(when: When<'_>) -> usize {
    let mut n = 0usize;
    if let When::AnyOf(alts) = when {
        let mut k = 0;
        while k < alts.len() {
            n = n.saturating_add(alts[k].len());
            k += 1;
        }
    }
    n
}

/// Whether `seen[..len]` holds `ret`.
const fn seen_has(seen: &[u32; MAX_SHARED_RETS], len: usize, ret: u32) -> bool {
    let mut i = 0;
    while i < len {
        if seen[i] == ret {
            return true;
        }
        i += 1;
    }
    false
}

/// The jumps of the blocks that may be too long for a jump inside them to
/// reach the block's own code: numbers whose comparisons, over all
/// `sets`, are `C_n` with `6 C_n + MAX_SHARED_RETS >= MAX_JUMP`; each has
/// at most `3 C_n` jumps. Each number is counted at the first set that has
/// rules for it.
const fn long_blocks(sets: &[RuleSet<'_>]) -> usize {
    let mut total = 0usize;
    let mut s = 0;
    while s < sets.len() {
        let rules = sets[s].rules;
        let mut r = 0;
        while r < rules.len() {
            let nr = rules[r].nr;
            // The run of `nr` in this set.
            let mut end = r;
            let mut c = 0usize;
            while end < rules.len() && rules[end].nr == nr {
                c = c.saturating_add(comparisons(rules[end].when));
                end += 1;
            }
            let mut first = true;
            let mut t = 0;
            while t < s {
                if has_rules_for(sets[t].rules, nr) {
                    first = false;
                }
                t += 1;
            }
            if first {
                let mut t = s + 1;
                while t < sets.len() {
                    let other = sets[t].rules;
                    let mut k = lower_bound(other, nr);
                    while k < other.len() && other[k].nr == nr {
                        c = c.saturating_add(comparisons(other[k].when));
                        k += 1;
                    }
                    t += 1;
                }
                if c.saturating_mul(6).saturating_add(MAX_SHARED_RETS) >= MAX_JUMP {
                    total = total.saturating_add(c.saturating_mul(3));
                }
            }
            r = end;
        }
        s += 1;
    }
    total
}

/// Whether `rules` (sorted) has a rule for `nr`.
const fn has_rules_for(rules: &[Rule<'_>], nr: u32) -> bool {
    let k = lower_bound(rules, nr);
    k < rules.len() && rules[k].nr == nr
}

/// The smallest `d` with `2^d >= n` (0 for `n <= 1`).
const fn ceil_log2(n: usize) -> usize {
    let mut d = 0;
    while d < usize::BITS as usize && (1usize << d) < n {
        d += 1;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::build;
    use crate::builder::testing::{allow, KILL};
    use crate::rule::Action;
    use crate::Arch;

    #[test]
    fn capacity_bounds_the_programs() {
        // The header and the shared `ret`s of the default and `Allow`.
        assert_eq!(capacity_for(&[], 0), 4 + 2);
        let set: Vec<u32> = (0..3000).collect();
        assert_eq!(capacity_for(&[allow(&set)], 0), BPF_MAXINSNS);
        for n in [1usize, 10, 100, 400, 1000] {
            let set: Vec<u32> = (0..n as u32).map(|i| 3 * i).collect();
            let sets = [allow(&set)];
            let p = build::<4096>(Arch::X86_64, &sets, KILL).unwrap();
            assert!(p.len() <= capacity_for(&sets, 0), "{n}");
        }
        // More distinct actions than get a shared `ret`: one at each use.
        for n in [10u32, 20, 50, 100] {
            let rules: Vec<Rule> = (0..n)
                .map(|i| Rule {
                    nr: 2 * i,
                    when: When::Always,
                    action: Action::Errno(i as u16 + 1),
                    order: i,
                })
                .collect();
            let sets = [RuleSet {
                allow: &[],
                rules: &rules,
            }];
            let p = build::<4096>(Arch::X86_64, &sets, KILL).unwrap();
            assert!(p.len() <= capacity_for(&sets, 0), "{n}: {}", p.len());
        }
    }
}
