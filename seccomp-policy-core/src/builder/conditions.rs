//! Argument blocks: the code of a number whose verdict depends on its
//! arguments. Each comparison is a load, perhaps an `and`, and a jump per
//! word (64-bit values high word first, each word where the architecture's
//! byte order puts it); the rules are tested in their order.

use super::classify::number_rules;
use super::emit::{same_target, Emitter, Target, NO_WORD};
use super::ALLOW;
use crate::bpf::{
    SockFilter, BPF_ALU, BPF_AND, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET, BPF_K, SECCOMP_DATA_ARGS,
};
use crate::rule::{Action, ArgCmp, CmpOp, RuleSet, When};

impl<const N: usize> Emitter<N> {
    /// `ld [word]; jXX k, t, f`.
    const fn test_word(&mut self, code: u16, k: u32, t: Target, f: Target, word: u32) -> Target {
        if same_target(t, f) {
            return t;
        }
        let j = self.jump(code, k, t, f, word);
        self.fall_into(j);
        self.load(word)
    }

    /// `ld [word]; and mask; jXX k, t, f`.
    const fn test_word_masked(
        &mut self,
        code: u16,
        k: u32,
        mask: u32,
        t: Target,
        f: Target,
        word: u32,
    ) -> Target {
        if same_target(t, f) {
            return t;
        }
        let j = self.jump(code, k, t, f, NO_WORD);
        self.fall_into(j);
        let and = self.emit(SockFilter::stmt(BPF_ALU | BPF_AND | BPF_K, mask));
        self.fall_into(Target::At(and));
        self.load(word)
    }

    /// `ld [word]; and mask; jeq value, t, f`, with the shorter forms when
    /// the mask is empty, full or the value zero.
    const fn test_masked(
        &mut self,
        mask: u32,
        value: u32,
        t: Target,
        f: Target,
        word: u32,
    ) -> Target {
        if value & !mask != 0 {
            return f;
        }
        if mask == 0 {
            return t;
        }
        if mask == u32::MAX {
            return self.test_word(BPF_JEQ, value, t, f, word);
        }
        if value == 0 {
            // No bit of the mask set.
            return self.test_word(BPF_JSET, mask, f, t, word);
        }
        if same_target(t, f) {
            return t;
        }
        let j = self.jump(BPF_JEQ, value, t, f, NO_WORD);
        self.fall_into(j);
        let and = self.emit(SockFilter::stmt(BPF_ALU | BPF_AND | BPF_K, mask));
        self.fall_into(Target::At(and));
        self.load(word)
    }

    /// The code of one comparison: to `t` when it holds, to `f` when not.
    const fn compare(&mut self, c: ArgCmp, t: Target, f: Target) -> Target {
        let base = SECCOMP_DATA_ARGS + 8 * c.arg as u32;
        let (lo_word, hi_word) = if self.arch.is_little_endian() {
            (base, base + 4)
        } else {
            (base + 4, base)
        };
        let v = c.value & c.width_mask();
        let (vlo, vhi) = (v as u32, (v >> 32) as u32);
        if c.bits == 16 {
            // The low 16 bits of the low word (`umode_t`): masked first.
            let m = 0xffff;
            return match c.op {
                CmpOp::Eq => self.test_masked(m, vlo, t, f, lo_word),
                CmpOp::Ne => self.test_masked(m, vlo, f, t, lo_word),
                CmpOp::Gt => self.test_word_masked(BPF_JGT, vlo, m, t, f, lo_word),
                CmpOp::Le => self.test_word_masked(BPF_JGT, vlo, m, f, t, lo_word),
                CmpOp::Ge => self.test_word_masked(BPF_JGE, vlo, m, t, f, lo_word),
                CmpOp::Lt => self.test_word_masked(BPF_JGE, vlo, m, f, t, lo_word),
                CmpOp::MaskedEq(mask) => self.test_masked(mask as u32 & m, vlo, t, f, lo_word),
                CmpOp::MaskedNe(mask) => self.test_masked(mask as u32 & m, vlo, f, t, lo_word),
            };
        }
        if c.bits == 32 {
            return match c.op {
                CmpOp::Eq => self.test_word(BPF_JEQ, vlo, t, f, lo_word),
                CmpOp::Ne => self.test_word(BPF_JEQ, vlo, f, t, lo_word),
                CmpOp::Gt => self.test_word(BPF_JGT, vlo, t, f, lo_word),
                CmpOp::Le => self.test_word(BPF_JGT, vlo, f, t, lo_word),
                CmpOp::Ge => self.test_word(BPF_JGE, vlo, t, f, lo_word),
                CmpOp::Lt => self.test_word(BPF_JGE, vlo, f, t, lo_word),
                CmpOp::MaskedEq(m) => self.test_masked(m as u32, vlo, t, f, lo_word),
                CmpOp::MaskedNe(m) => self.test_masked(m as u32, vlo, f, t, lo_word),
            };
        }
        match c.op {
            CmpOp::Eq => self.eq64(vhi, vlo, t, f, hi_word, lo_word),
            CmpOp::Ne => self.eq64(vhi, vlo, f, t, hi_word, lo_word),
            CmpOp::Gt => self.greater64(BPF_JGT, vhi, vlo, t, f, hi_word, lo_word),
            CmpOp::Le => self.greater64(BPF_JGT, vhi, vlo, f, t, hi_word, lo_word),
            CmpOp::Ge => self.greater64(BPF_JGE, vhi, vlo, t, f, hi_word, lo_word),
            CmpOp::Lt => self.greater64(BPF_JGE, vhi, vlo, f, t, hi_word, lo_word),
            CmpOp::MaskedEq(m) => self.masked64(m, v, t, f, hi_word, lo_word),
            CmpOp::MaskedNe(m) => self.masked64(m, v, f, t, hi_word, lo_word),
        }
    }

    /// `arg == (vhi, vlo)`: the high word, then the low one.
    const fn eq64(&mut self, vhi: u32, vlo: u32, t: Target, f: Target, hi: u32, lo: u32) -> Target {
        let low = self.test_word(BPF_JEQ, vlo, t, f, lo);
        self.test_word(BPF_JEQ, vhi, low, f, hi)
    }

    /// `arg > v` (`code` = `jgt`) or `arg >= v` (`jge`): decided by the high
    /// word unless it equals `vhi`, then by the low word.
    #[allow(clippy::too_many_arguments)]
    const fn greater64(
        &mut self,
        code: u16,
        vhi: u32,
        vlo: u32,
        t: Target,
        f: Target,
        hi: u32,
        lo: u32,
    ) -> Target {
        let low = self.test_word(code, vlo, t, f, lo);
        if same_target(t, f) {
            return t;
        }
        let equal = self.jump(BPF_JEQ, vhi, low, f, hi);
        let above = self.jump(BPF_JGT, vhi, t, equal, hi);
        self.fall_into(above);
        self.load(hi)
    }

    /// `arg & mask == value`, word by word.
    const fn masked64(
        &mut self,
        mask: u64,
        value: u64,
        t: Target,
        f: Target,
        hi: u32,
        lo: u32,
    ) -> Target {
        if value & !mask != 0 {
            return f;
        }
        let low = self.test_masked(mask as u32, value as u32, t, f, lo);
        self.test_masked((mask >> 32) as u32, (value >> 32) as u32, low, f, hi)
    }

    /// One conjunction: every comparison must hold to reach `t`.
    const fn all_of(&mut self, cmps: &[ArgCmp], t: Target, f: Target) -> Target {
        let mut next = t;
        let mut i = cmps.len();
        while i > 0 {
            i -= 1;
            next = self.compare(cmps[i], next, f);
        }
        next
    }

    /// A condition: to `t` if it holds, else to `f`.
    const fn when(&mut self, when: When<'_>, t: Target, f: Target) -> Target {
        match when {
            When::Always => t,
            When::AnyOf(alts) => {
                let mut next = f;
                let mut i = alts.len();
                while i > 0 {
                    i -= 1;
                    next = self.all_of(alts[i], t, next);
                }
                next
            }
        }
    }

    /// The block of a number whose verdict depends on its arguments.
    pub(super) const fn block(&mut self, sets: &[RuleSet<'_>], nr: u32) -> Target {
        // Checked when the number was classified: it has conditioned rules.
        let Ok(Some(mut rules)) = number_rules(sets, nr, self.default) else {
            return Target::Ret(ALLOW);
        };
        // Non-allow rules, latest first, so the earliest is written last and
        // tested first.
        let mut next = Target::Ret(rules.fallthrough.to_ret());
        let mut remaining = rules.len;
        while remaining > 0 {
            // The latest remaining non-allow rule.
            let mut pick = None;
            let mut k = 0;
            while k < remaining {
                let rule = rules.rule(k);
                if !matches!(rule.action, Action::Allow) {
                    pick = match pick {
                        Some(p) if rules.rule(p).order >= rule.order => Some(p),
                        _ => Some(k),
                    };
                }
                k += 1;
            }
            let Some(p) = pick else { break };
            let rule = rules.rule(p);
            next = self.when(rule.when, Target::Ret(rule.action.to_ret()), next);
            // Drop it: move the last remaining one into its place.
            rules.found[p] = rules.found[remaining - 1];
            remaining -= 1;
        }
        // What is left are the allow rules: any of them allows.
        let mut k = 0;
        while k < remaining {
            let rule = rules.rule(k);
            next = self.when(rule.when, Target::Ret(ALLOW), next);
            k += 1;
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::build;
    use crate::builder::testing::{cmp, KILL};
    use crate::rule::{verdict, Rule};
    use crate::sim::{check, run, SeccompData};
    use crate::Arch;

    #[test]
    fn conditions_follow_the_rule_order_on_both_byte_orders() {
        let thread = [cmp(0, 64, CmpOp::MaskedNe(0x10000), 0)];
        let big = [cmp(1, 64, CmpOp::Gt, 0x1_0000_0000)];
        let cmd = [cmp(1, 32, CmpOp::Eq, 0x5412)];
        let alts_thread: [&[ArgCmp]; 1] = [&thread];
        let alts_big: [&[ArgCmp]; 1] = [&big];
        let alts_cmd: [&[ArgCmp]; 1] = [&cmd];
        let rules = [
            Rule {
                nr: 16,
                when: When::AnyOf(&alts_cmd),
                action: Action::Errno(1),
                order: 5,
            },
            Rule {
                nr: 16,
                when: When::Always,
                action: Action::Allow,
                order: 6,
            },
            Rule {
                nr: 56,
                when: When::AnyOf(&alts_thread),
                action: Action::Allow,
                order: 1,
            },
            Rule {
                nr: 56,
                when: When::AnyOf(&alts_big),
                action: Action::Errno(22),
                order: 2,
            },
            Rule {
                nr: 56,
                when: When::Always,
                action: Action::Errno(1),
                order: 3,
            },
        ];
        let sets = [RuleSet {
            allow: &[0, 1, 2],
            rules: &rules,
        }];
        let values = [
            0u64,
            0x10000,
            0x5412,
            0xffff_ffff_0000_5412,
            0x1_0000_0000,
            0x1_0000_0001,
            0x2_0000_0000,
            u64::MAX,
        ];
        for arch in [Arch::X86_64, Arch::S390x, Arch::Arm] {
            let p = build::<256>(arch, &sets, KILL).unwrap();
            check(p.as_slice()).unwrap();
            for nr in [0u32, 3, 16, 56, 57] {
                for &a0 in &values {
                    for &a1 in &values {
                        let args = [a0, a1, 0, 0, 0, 0];
                        let mut d = SeccompData::new(nr as i32, arch.audit_arch());
                        d.args = args;
                        let got = run(p.as_slice(), &d).unwrap().ret;
                        let want = verdict(&sets, nr, &args, KILL).to_ret();
                        assert_eq!(got, want, "{arch} nr {nr} args {a0:#x} {a1:#x}");
                    }
                }
            }
        }
    }
}
