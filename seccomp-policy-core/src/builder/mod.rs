//! The `const fn` filter builder: rule sets in, a classic-BPF program out.
//!
//! [`build`] joins [`RuleSet`]s (the tables a harness is granted) and writes
//! one program for one [`Arch`]:
//!
//! ```text
//!        ld  [arch]
//!        jeq #AUDIT_ARCH, +1, +0
//!        ret #default              ; a foreign architecture (i386 `int 0x80` on x86-64)
//!        ld  [nr]
//!        jge ...                   ; balanced tree over the number line
//!        ...                       ; a block per number whose verdict depends on arguments
//!        ret #ALLOW                ; one shared `ret` per action
//!        ret #default
//! ```
//!
//! The numbers cut the number line `0..=u32::MAX` into intervals that share a
//! verdict: an action for every argument value, or "look at the arguments"
//! for a single number with conditioned rules. A balanced tree of unsigned
//! `jge` finds the interval of `nr` with `ceil(log2(intervals))` comparisons.
//! An interval with one action for all arguments needs no instruction of its
//! own: the tree jumps straight to the shared `ret` of that action. So a call
//! that is allowed (or denied) whatever its arguments runs `ld`, `jeq`, `ld`,
//! the comparisons and one `ret`, and no instruction on its path reads an
//! argument: the kernel's seccomp action cache marks such numbers "always
//! allow" and skips the filter for them.
//!
//! A number with conditions gets a block that tests the rules in their
//! order: the `Allow` rules' conditions first (any match allows), then each
//! other rule in policy order, then the default (or the first unconditional
//! rule). A 64-bit argument is compared word by word, high word first, each
//! word loaded from where the architecture's byte order puts it; a 32-bit
//! parameter (ioctl's `cmd`) has only its low word compared, which is all the
//! kernel reads, so high bits set by the caller change nothing.
//!
//! # Layout
//!
//! Classic BPF only jumps forward, and a conditional jump reaches at most 255
//! instructions. The program is written from its end backwards, so every
//! jump's target is already placed when the jump is written: when a target
//! is out of reach, a `ret` (for an action) or a `ja` (for code) is placed
//! right after the jump and taken instead. A jump to an instruction that
//! loads the word already in the accumulator goes to the instruction after
//! it.
//!
//! Nothing here allocates or panics, so a program for capabilities chosen at
//! run time can be built in a child between `fork` and `exec`; the same code
//! runs at compile time to fill a `static`:
//!
//! ```
//! use seccomp_policy_core::builder::build;
//! use seccomp_policy_core::rule::{Action, RuleSet};
//! use seccomp_policy_core::{Arch, Program};
//!
//! const BASE: RuleSet = RuleSet { allow: &[0, 1, 2], rules: &[] };
//! static P: Program<64> = match build::<64>(Arch::X86_64, &[BASE], Action::KillProcess) {
//!     Ok(p) => p,
//!     Err(e) => panic!("{}", e.message()),
//! };
//! // ld arch; jeq; ld nr; jge #3; ret ALLOW; ret KILL_PROCESS
//! assert_eq!(P.len(), 6);
//! ```
//!
//! A program that does not fit is then a compile-time error:
//!
//! ```compile_fail
//! use seccomp_policy_core::builder::build;
//! use seccomp_policy_core::rule::{Action, RuleSet};
//! use seccomp_policy_core::{Arch, Program};
//!
//! const EVEN: [u32; 2100] = {
//!     let mut a = [0u32; 2100];
//!     let mut i = 0;
//!     while i < a.len() {
//!         a[i] = 2 * i as u32;
//!         i += 1;
//!     }
//!     a
//! };
//! // 2100 separate numbers need more than BPF_MAXINSNS (4096) instructions.
//! static P: Program<4096> =
//!     match build::<4096>(Arch::X86_64, &[RuleSet { allow: &EVEN, rules: &[] }], Action::KillProcess) {
//!         Ok(p) => p,
//!         Err(e) => panic!("{}", e.message()),
//!     };
//! ```

use crate::arch::Arch;
use crate::bpf::{
    Program, SockFilter, BPF_ABS, BPF_ALU, BPF_AND, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP,
    BPF_JSET, BPF_K, BPF_LD, BPF_MAXINSNS, BPF_RET, BPF_W, SECCOMP_DATA_ARCH, SECCOMP_DATA_ARGS,
    SECCOMP_DATA_NR,
};
use crate::rule::{ArgCmp, CmpOp, RuleSet, When};

mod capacity;
mod classify;
mod error;
mod walk;

pub use crate::rule::Action;
pub use capacity::capacity_for;
pub use error::BuildError;

use classify::{number_line, number_rules, Leaf};
use error::too_long;

/// The most rule sets [`build`] joins: a base, two of the spawn path's and
/// 63 more (a policy's caps fit: see `policy::MAX_CAPS`).
pub const MAX_SETS: usize = 66;

/// The most rules one syscall number may have, unconditional ones excluded,
/// across every joined set.
pub const MAX_RULES_PER_NUMBER: usize = 32;

/// The most distinct actions that get a shared `ret`; further ones get a
/// `ret` where they are used.
const MAX_SHARED_RETS: usize = 16;

/// The largest conditional jump offset (`jt`/`jf` are 8 bits).
const MAX_JUMP: usize = 255;

/// Where a jump should go: code already written, or "return this action"
/// (a shared `ret` if one is in reach, else a `ret` placed for it).
#[derive(Clone, Copy)]
enum Target {
    /// The instruction at this position, counted from the program's end.
    At(usize),
    /// A `ret` of this filter return value.
    Ret(u32),
}

const fn same_target(a: Target, b: Target) -> bool {
    match (a, b) {
        (Target::At(x), Target::At(y)) => x == y,
        (Target::Ret(x), Target::Ret(y)) => x == y,
        _ => false,
    }
}

/// The filter return value of `Action::Allow`.
const ALLOW: u32 = Action::Allow.to_ret();

/// "The accumulator holds nothing known."
const NO_WORD: u32 = u32::MAX;

/// The filter return values the program returns, in the order first met
/// along the number line: each gets a shared `ret`, `Allow` and the default
/// nearest the tree.
struct RetList {
    /// Distinct values but `Allow` and the default; the first
    /// [`MAX_SHARED_RETS`] kept.
    rets: [u32; MAX_SHARED_RETS],
    len: usize,
    /// Whether some path allows.
    allow: bool,
    default: u32,
}

impl RetList {
    /// None noted yet, for a program whose default returns `default`.
    const fn new(default: u32) -> Self {
        RetList {
            rets: [0; MAX_SHARED_RETS],
            len: 0,
            allow: false,
            default,
        }
    }

    const fn note(&mut self, ret: u32) {
        if ret == ALLOW {
            self.allow = true;
            return;
        }
        if ret == self.default {
            return;
        }
        let mut i = 0;
        while i < self.len {
            if self.rets[i] == ret {
                return;
            }
            i += 1;
        }
        if self.len < MAX_SHARED_RETS {
            self.rets[self.len] = ret;
            self.len += 1;
        }
    }
}

/// The program, written from its end: position `p` (0 is the last
/// instruction) lives at `insns[N - 1 - p]` while `p < N`; past that only
/// the count goes on, so the error can say how long the program would be.
struct Emitter<const N: usize> {
    insns: [SockFilter; N],
    len: usize,
    /// Per filter return value, the nearest `ret` of it placed so far: the
    /// shared one at the end, or a later stand-in.
    shared: [(u32, usize); MAX_SHARED_RETS],
    shared_len: usize,
    arch: Arch,
    default: Action,
}

impl<const N: usize> Emitter<N> {
    #[inline]
    const fn emit(&mut self, insn: SockFilter) -> usize {
        let pos = self.len;
        if pos < N {
            self.insns[N - 1 - pos] = insn;
        }
        self.len += 1;
        pos
    }

    #[inline]
    const fn at(&self, pos: usize) -> Option<SockFilter> {
        if pos < N && pos < self.len {
            Some(self.insns[N - 1 - pos])
        } else {
            None
        }
    }

    #[inline]
    const fn shared_ret(&self, action: u32) -> Option<usize> {
        let mut i = 0;
        while i < self.shared_len {
            if self.shared[i].0 == action {
                return Some(self.shared[i].1);
            }
            i += 1;
        }
        None
    }

    /// Emits a shared `ret` for `action` unless it has one.
    const fn add_shared_ret(&mut self, action: u32) {
        if self.shared_len < MAX_SHARED_RETS && self.shared_ret(action).is_none() {
            let pos = self.emit(ret(action));
            self.shared[self.shared_len] = (action, pos);
            self.shared_len += 1;
        }
    }

    /// Where `target` is, if a jump at position `from` can reach it.
    /// `word` is the `seccomp_data` offset in the accumulator at the jump.
    #[inline]
    const fn reach(&self, target: Target, from: usize, word: u32) -> Option<usize> {
        let pos = match target {
            Target::Ret(action) => match self.shared_ret(action) {
                Some(p) => p,
                None => return None,
            },
            Target::At(p) => {
                // Skip a load of the word the accumulator already holds.
                match self.at(p) {
                    Some(insn)
                        if word != NO_WORD
                            && p > 0
                            && insn.code == BPF_LD | BPF_W | BPF_ABS
                            && insn.k == word =>
                    {
                        p - 1
                    }
                    _ => p,
                }
            }
        };
        if from - pos - 1 <= MAX_JUMP {
            Some(pos)
        } else {
            None
        }
    }

    /// A stand-in for `target` placed right here: a `ret` of its action, or
    /// a `ja` to its code (a `ja` reaches anywhere). A `ret` placed here
    /// also serves later jumps that the shared one is too far for.
    const fn trampoline(&mut self, target: Target) -> usize {
        match target {
            Target::Ret(action) => {
                let pos = self.emit(ret(action));
                let mut i = 0;
                while i < self.shared_len {
                    if self.shared[i].0 == action {
                        self.shared[i].1 = pos;
                    }
                    i += 1;
                }
                pos
            }
            Target::At(p) => {
                let here = self.len;
                self.emit(SockFilter::stmt(BPF_JMP | BPF_JA, (here - p - 1) as u32))
            }
        }
    }

    /// Emits `code k, t, f` with both targets in reach, placing stand-ins
    /// where they are not. Returns the jump's position.
    const fn jump(&mut self, code: u16, k: u32, t: Target, f: Target, word: u32) -> Target {
        let (tp, fp) = match (self.reach(t, self.len, word), self.reach(f, self.len, word)) {
            (Some(tp), Some(fp)) => (tp, fp),
            (tp, fp) => self.stand_ins(t, tp, f, fp),
        };
        let here = self.len;
        let jt = (here - tp - 1) as u8;
        let jf = (here - fp - 1) as u8;
        Target::At(self.emit(SockFilter::jump(BPF_JMP | code | BPF_K, k, jt, jf)))
    }

    /// Places stand-ins for the targets of a jump about to be emitted that
    /// are out of reach (`None`), and returns where both targets are then.
    const fn stand_ins(
        &mut self,
        t: Target,
        mut tp: Option<usize>,
        f: Target,
        mut fp: Option<usize>,
    ) -> (usize, usize) {
        // Each stand-in moves the jump one further from the other target,
        // so check again until both are in reach (at most two rounds).
        let mut round = 0;
        while round < 3 {
            if tp.is_none() {
                tp = Some(self.trampoline(t));
            }
            if fp.is_none() {
                fp = Some(self.trampoline(f));
            }
            let here = self.len;
            if let Some(p) = tp {
                if here - p - 1 > MAX_JUMP {
                    tp = None;
                }
            }
            if let Some(p) = fp {
                if here - p - 1 > MAX_JUMP {
                    fp = None;
                }
            }
            if tp.is_some() && fp.is_some() {
                break;
            }
            round += 1;
        }
        match (tp, fp) {
            (Some(t), Some(f)) => (t, f),
            // Unreachable: stand-ins are adjacent to the jump.
            _ => (0, 0),
        }
    }

    /// Makes the instruction about to be emitted fall through into `target`.
    const fn fall_into(&mut self, target: Target) {
        let next = match target {
            Target::At(p) => Some(p),
            Target::Ret(action) => self.shared_ret(action),
        };
        match next {
            Some(p) if p + 1 == self.len => {}
            _ => {
                self.trampoline(target);
            }
        }
    }

    const fn load(&mut self, offset: u32) -> Target {
        Target::At(self.emit(SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, offset)))
    }

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
    const fn block(&mut self, sets: &[RuleSet<'_>], nr: u32) -> Target {
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

    /// The tree over intervals `lo..lo + count`.
    const fn tree(
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

/// A `ret` of a constant.
const fn ret(k: u32) -> SockFilter {
    SockFilter::stmt(BPF_RET | BPF_K, k)
}

/// Builds the filter for `arch` from `sets` into a `Program<N>`.
///
/// A call is allowed if any set allows it (an `allow` number, or a matching
/// `Allow` rule); otherwise the matching rule with the smallest
/// [`Rule::order`] decides; otherwise `default`. Calls from another
/// architecture get `default`. See the [module docs](self) for the program.
///
/// It never allocates and never panics; [`capacity_for`] gives a
/// sufficient `N`.
///
/// # Errors
///
/// [`BuildError::Unsorted`] for a set not sorted by number,
/// [`BuildError::TooManySets`] past [`MAX_SETS`] sets,
/// [`BuildError::TooManyRules`], [`BuildError::BadComparison`],
/// [`BuildError::TooLong`] past [`BPF_MAXINSNS`] instructions and
/// [`BuildError::BufferTooSmall`] past `N`.
///
/// [`Rule::order`]: crate::rule::Rule::order
pub const fn build<const N: usize>(
    arch: Arch,
    sets: &[RuleSet<'_>],
    default: Action,
) -> Result<Program<N>, BuildError> {
    if sets.len() > MAX_SETS {
        return Err(BuildError::TooManySets);
    }
    let mut i = 0;
    while i < sets.len() {
        let s = sets[i];
        let mut j = 1;
        while j < s.allow.len() {
            if s.allow[j - 1] > s.allow[j] {
                return Err(BuildError::Unsorted);
            }
            j += 1;
        }
        let mut j = 1;
        while j < s.rules.len() {
            if s.rules[j - 1].nr > s.rules[j].nr {
                return Err(BuildError::Unsorted);
            }
            j += 1;
        }
        i += 1;
    }

    let default_ret = default.to_ret();
    let mut rets = RetList::new(default_ret);
    let mut iv = Intervals::<N>::new();
    if let Err(e) = number_line(sets, default, &mut iv, &mut rets) {
        return Err(e);
    }
    let count = iv.count;
    if count > N {
        // More intervals than the buffer holds: at least the header, one
        // `jge` per interval boundary and a `ret`.
        let needed = 3 + count;
        return Err(too_long(needed, N));
    }

    let mut e = Emitter::<N> {
        insns: [SockFilter::stmt(0, 0); N],
        len: 0,
        shared: [(0, 0); MAX_SHARED_RETS],
        shared_len: 0,
        arch,
        default,
    };
    // Shared `ret`s at the end: rarer actions first, the default and
    // `Allow` nearest the tree.
    let mut i = 0;
    while i < rets.len {
        e.add_shared_ret(rets.rets[i]);
        i += 1;
    }
    e.add_shared_ret(default_ret);
    if rets.allow {
        e.add_shared_ret(ALLOW);
    }

    let entry = e.tree(sets, &iv, 0, count);
    e.fall_into(entry);
    let load_nr = e.load(SECCOMP_DATA_NR);
    let arch_ok = e.jump(
        BPF_JEQ,
        arch.audit_arch(),
        load_nr,
        Target::Ret(default_ret),
        NO_WORD,
    );
    e.fall_into(arch_ok);
    e.load(SECCOMP_DATA_ARCH);

    let len = e.len;
    if len > N || len > BPF_MAXINSNS {
        return Err(too_long(len, N));
    }
    // Move the program from the end of the buffer to its start, in place:
    // a second buffer would be one more `N`-sized clear and copy, which
    // costs a run-time build more than the program's own instructions when
    // `N` is a policy's capacity and the program a fraction of it. Reading
    // ahead of the writes (the source index is never below the target) keeps
    // every instruction intact. What stays past `len` is never read: a
    // `Program` is its first `len` instructions.
    let shift = N - len;
    let mut i = 0;
    while i < len {
        e.insns[i] = e.insns[shift + i];
        i += 1;
    }
    Ok(Program::from_parts(e.insns, len))
}

/// The intervals of the number line in ascending order: per interval its
/// first number and its [`Leaf`], the leaf stored as one `u32` (see
/// [`Intervals::at`]) so the buffer a build clears is 8 bytes an interval.
/// Past `N` intervals only the count grows, so an error can say how many
/// there are.
struct Intervals<const N: usize> {
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
    const fn new() -> Self {
        Intervals {
            slots: [(0, 0); N],
            count: 0,
            last: None,
        }
    }

    /// Appends the interval starting at `start` with `leaf`, merging it into
    /// the previous one when both return the same action.
    const fn push(&mut self, start: u32, leaf: Leaf) {
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

/// Rule sets and programs for the tests of every part of the builder.
#[cfg(test)]
mod testing {
    use super::build;
    use crate::rule::{Action, ArgCmp, CmpOp, RuleSet};
    use crate::{Arch, Program};

    /// The default action of the tests' programs.
    pub(super) const KILL: Action = Action::KillProcess;

    /// A set that allows `numbers` and has no rules.
    pub(super) fn allow(numbers: &[u32]) -> RuleSet<'_> {
        RuleSet {
            allow: numbers,
            rules: &[],
        }
    }

    /// The x86-64 program of `sets` with the default [`KILL`].
    pub(super) fn prog(sets: &[RuleSet<'_>]) -> Program<4096> {
        build::<4096>(Arch::X86_64, sets, KILL).unwrap()
    }

    /// A comparison of `args[arg]`, `bits` wide.
    pub(super) fn cmp(arg: u8, bits: u8, op: CmpOp, value: u64) -> ArgCmp {
        ArgCmp {
            arg,
            bits,
            op,
            value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::{SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS};
    use crate::rule::{verdict, Rule};
    use crate::sim::{check, run, SeccompData};

    use super::testing::{allow, cmp, prog, KILL};

    const JGE: u16 = BPF_JMP | BPF_JGE | BPF_K;

    #[test]
    fn more_sets_than_max_sets_is_an_error() {
        let one = allow(&[1]);
        let sets = [one; MAX_SETS + 1];
        assert_eq!(
            build::<64>(Arch::X86_64, &sets, KILL),
            Err(BuildError::TooManySets)
        );
        assert!(build::<64>(Arch::X86_64, &sets[..MAX_SETS], KILL).is_ok());
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
    fn empty_set_denies_everything() {
        let p = build::<8>(Arch::Aarch64, &[], Action::Errno(1)).unwrap();
        // ld arch; jeq; ld nr; ret errno.
        assert_eq!(p.len(), 4);
        assert_eq!(p.as_slice()[3], ret(SECCOMP_RET_ERRNO | 1));
        assert_eq!(
            build::<8>(
                Arch::Aarch64,
                &[RuleSet::EMPTY, RuleSet::EMPTY],
                Action::Errno(1)
            )
            .unwrap()
            .len(),
            4
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            build::<64>(Arch::X86_64, &[allow(&[2, 1])], KILL),
            Err(BuildError::Unsorted)
        );
        let rules = [
            Rule {
                nr: 3,
                when: When::Always,
                action: Action::Errno(1),
                order: 0,
            },
            Rule {
                nr: 2,
                when: When::Always,
                action: Action::Errno(1),
                order: 1,
            },
        ];
        assert_eq!(
            build::<64>(
                Arch::X86_64,
                &[RuleSet {
                    allow: &[],
                    rules: &rules
                }],
                KILL
            ),
            Err(BuildError::Unsorted)
        );
        assert_eq!(
            build::<6>(Arch::X86_64, &[allow(&[1, 3])], KILL),
            Err(BuildError::BufferTooSmall {
                needed: 9,
                capacity: 6
            })
        );
        let even: Vec<u32> = (0..2100).map(|i| 2 * i).collect();
        match build::<4096>(Arch::X86_64, &[allow(&even)], KILL) {
            Err(BuildError::TooLong { needed }) => assert!(needed > 4096),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            build::<0>(Arch::X86_64, &[], KILL),
            Err(BuildError::BufferTooSmall { .. })
        ));
        let bad = [ArgCmp {
            arg: 6,
            bits: 64,
            op: CmpOp::Eq,
            value: 0,
        }];
        let alts: [&[ArgCmp]; 1] = [&bad];
        let rules = [Rule {
            nr: 1,
            when: When::AnyOf(&alts),
            action: Action::Allow,
            order: 0,
        }];
        assert_eq!(
            build::<64>(
                Arch::X86_64,
                &[RuleSet {
                    allow: &[],
                    rules: &rules
                }],
                KILL
            ),
            Err(BuildError::BadComparison { nr: 1 })
        );
    }

    #[test]
    fn far_targets_get_stand_ins_and_the_kernel_accepts_the_result() {
        // 700 isolated numbers: the tree is far longer than a jump reaches.
        let set: Vec<u32> = (0..700).map(|i| 10 + 3 * i).collect();
        let p = prog(&[allow(&set)]);
        check(p.as_slice()).unwrap();
        let arch = Arch::X86_64.audit_arch();
        for nr in 0..2200u32 {
            let r = run(p.as_slice(), &SeccompData::new(nr as i32, arch)).unwrap();
            assert_eq!(r.ret == SECCOMP_RET_ALLOW, set.contains(&nr), "{nr}");
        }
        assert!(p.as_slice().iter().any(|i| i.code == BPF_JMP | BPF_JA));
    }

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

    #[test]
    fn static_program_compiles() {
        static P: Program<64> = match build::<64>(
            Arch::X86_64,
            &[RuleSet {
                allow: &[0, 1, 2],
                rules: &[],
            }],
            KILL,
        ) {
            Ok(p) => p,
            Err(e) => panic!("{}", e.message()),
        };
        assert_eq!(P.len(), 6);
    }
}
