//! The number line's intervals and the balanced tree of unsigned `jge`
//! over them that finds the interval of `nr` in `ceil(log2(intervals))`
//! comparisons, each leaf a shared `ret` or an argument block.

use super::classify::Leaf;
use super::emit::{Emitter, Target};
use crate::bpf::{BPF_JGE, SECCOMP_DATA_NR};
use crate::rule::RuleSet;

/// The intervals of the number line in ascending order: per interval its
/// first number and its [`Leaf`], the leaf stored as one `u32` (see
/// [`Intervals::at`]) so the buffer a build clears is 8 bytes an interval.
/// Past `N` intervals only the count grows, so an error can say how many
/// there are.
pub(super) struct Intervals<const N: usize> {
    /// `(first number, filter return value or COND)`.
    slots: [(u32, u32); N],
    count: usize,
    /// What the last interval gets (kept apart from `slots`, which may be
    /// full).
    last: Option<Leaf>,
}

/// A stored leaf that is [`Leaf::Cond`]: no action's filter return value is
/// `u32::MAX` (an errno is at most 16 bits), and the number of a
/// conditioned interval is its first number.
const COND: u32 = u32::MAX;

impl<const N: usize> Intervals<N> {
    pub(super) const fn new() -> Self {
        Intervals {
            slots: [(0, 0); N],
            count: 0,
            last: None,
        }
    }

    /// Appends the interval starting at `start` with `leaf`, merging it into
    /// the previous one when both return the same action.
    pub(super) const fn push(&mut self, start: u32, leaf: Leaf) {
        if let (Some(Leaf::Ret(prev)), Leaf::Ret(this)) = (self.last, leaf) {
            if prev == this {
                return;
            }
        }
        if self.count < N {
            self.slots[self.count] = match leaf {
                Leaf::Ret(ret) => (start, ret),
                Leaf::Cond(_) => (start, COND),
            };
        }
        self.count += 1;
        self.last = Some(leaf);
    }

    /// How many intervals there are (also past `N`).
    pub(super) const fn count(&self) -> usize {
        self.count
    }

    /// The first number of interval `i` (`< count`, `< N`).
    const fn start(&self, i: usize) -> u32 {
        self.slots[i].0
    }

    /// The leaf of interval `i` (`< count`, `< N`).
    const fn at(&self, i: usize) -> Leaf {
        match self.slots[i] {
            (nr, COND) => Leaf::Cond(nr),
            (_, ret) => Leaf::Ret(ret),
        }
    }
}

impl<const N: usize> Emitter<N> {
    /// The tree over intervals `lo..lo + count`.
    pub(super) const fn tree(
        &mut self,
        sets: &[RuleSet<'_>],
        iv: &Intervals<N>,
        lo: usize,
        count: usize,
    ) -> Target {
        if count == 1 {
            return match iv.at(lo) {
                Leaf::Ret(action) => Target::Ret(action),
                Leaf::Cond(nr) => self.block(sets, nr),
            };
        }
        let half = count / 2;
        let upper = self.tree(sets, iv, lo + half, count - half);
        let lower = self.tree(sets, iv, lo, half);
        self.jump(BPF_JGE, iv.start(lo + half), upper, lower, SECCOMP_DATA_NR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::{
        SockFilter, BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_W, SECCOMP_RET_ALLOW,
        SECCOMP_RET_KILL_PROCESS,
    };
    use crate::builder::emit::ret;
    use crate::builder::testing::{allow, cmp, prog};
    use crate::rule::{Action, ArgCmp, CmpOp, Rule, When};
    use crate::sim::{run, SeccompData};
    use crate::Arch;

    const JGE: u16 = BPF_JMP | BPF_JGE | BPF_K;

    #[test]
    fn neighbours_with_one_action_merge_and_the_count_goes_past_the_buffer() {
        let mut iv = Intervals::<2>::new();
        iv.push(0, Leaf::Ret(1));
        iv.push(5, Leaf::Ret(1));
        iv.push(6, Leaf::Cond(6));
        iv.push(7, Leaf::Cond(7));
        iv.push(8, Leaf::Ret(2));
        assert_eq!(iv.count(), 4);
        assert_eq!(iv.start(1), 6);
        assert!(matches!(iv.at(0), Leaf::Ret(1)));
        assert!(matches!(iv.at(1), Leaf::Cond(6)));
    }

    #[test]
    fn header_tree_and_shared_rets_for_one_range() {
        // {0, 1, 2}: intervals [0,2] allow, [3, MAX] kill.
        let p = prog(&[allow(&[0, 1, 2])]);
        assert_eq!(
            p.as_slice(),
            &[
                SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, 4),
                SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, 0xC000_003E, 0, 3),
                SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, 0),
                SockFilter::jump(JGE, 3, 1, 0),
                ret(SECCOMP_RET_ALLOW),
                ret(SECCOMP_RET_KILL_PROCESS),
            ]
        );
    }

    #[test]
    fn tree_for_two_ranges() {
        // {5, 7, 8}: kill [0,4], allow [5], kill [6], allow [7,8], kill [9..].
        let p = prog(&[allow(&[7, 8]), allow(&[5, 8])]);
        let s = p.as_slice();
        // 5 intervals: 4 `jge` nodes, then `ret allow`, `ret kill`.
        assert_eq!(s.len(), 3 + 4 + 2);
        assert_eq!(s[7], ret(SECCOMP_RET_ALLOW));
        assert_eq!(s[8], ret(SECCOMP_RET_KILL_PROCESS));
        assert!(s[3..7].iter().all(|i| i.code == JGE));
        for nr in 0..20u32 {
            let r = run(s, &SeccompData::new(nr as i32, Arch::X86_64.audit_arch())).unwrap();
            let want = [5, 7, 8].contains(&nr);
            assert_eq!(r.ret == SECCOMP_RET_ALLOW, want, "{nr}");
            // ld, jeq, ld, at most three `jge`, ret.
            assert!(r.executed <= 7, "{nr}: {}", r.executed);
        }
    }

    #[test]
    fn ranges_touching_the_ends() {
        let p = prog(&[allow(&[0, u32::MAX])]);
        let arch = Arch::X86_64.audit_arch();
        for (nr, want) in [
            (0u32, true),
            (1, false),
            (u32::MAX - 1, false),
            (u32::MAX, true),
        ] {
            let r = run(p.as_slice(), &SeccompData::new(nr as i32, arch)).unwrap();
            assert_eq!(r.ret == SECCOMP_RET_ALLOW, want, "{nr}");
        }
    }

    #[test]
    fn allowed_paths_keep_their_cost_and_never_read_arguments() {
        let cond = [cmp(0, 32, CmpOp::Eq, 2)];
        let alts: [&[ArgCmp]; 1] = [&cond];
        let rules = [Rule {
            nr: 41,
            when: When::AnyOf(&alts),
            action: Action::Allow,
            order: 0,
        }];
        let sets = [
            RuleSet {
                allow: &[0, 1, 2, 3],
                rules: &rules,
            },
            allow(&[60, 231]),
        ];
        let p = prog(&sets);
        let arch = Arch::X86_64.audit_arch();
        for nr in [0u32, 1, 2, 3, 60, 231] {
            let r = run(p.as_slice(), &SeccompData::new(nr as i32, arch)).unwrap();
            assert_eq!(r.ret, SECCOMP_RET_ALLOW);
            assert!(r.const_path, "{nr} reads an argument");
        }
        let r = run(p.as_slice(), &SeccompData::new(41, arch)).unwrap();
        assert!(!r.const_path);
    }
}
