//! The emitter: the program written from its end backwards, so every
//! jump's target is placed before the jump; one shared `ret` per action;
//! stand-ins (a `ret`, or a `ja`) placed right after a jump whose target is
//! out of reach; and the header that checks the architecture.

use super::error::{too_long, BuildError};
use super::{ALLOW, MAX_JUMP, MAX_SHARED_RETS};
use crate::arch::Arch;
use crate::bpf::{
    Program, SockFilter, BPF_ABS, BPF_JA, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_MAXINSNS, BPF_RET,
    BPF_W, SECCOMP_DATA_ARCH, SECCOMP_DATA_NR,
};
use crate::rule::Action;

/// Where a jump should go: code already written, or "return this action"
/// (a shared `ret` if one is in reach, else a `ret` placed for it).
#[derive(Clone, Copy)]
pub(super) enum Target {
    /// The instruction at this position, counted from the program's end.
    At(usize),
    /// A `ret` of this filter return value.
    Ret(u32),
}

/// Whether `a` and `b` are the same place, so a test between them is moot.
pub(super) const fn same_target(a: Target, b: Target) -> bool {
    match (a, b) {
        (Target::At(x), Target::At(y)) => x == y,
        (Target::Ret(x), Target::Ret(y)) => x == y,
        _ => false,
    }
}

/// "The accumulator holds nothing known."
pub(super) const NO_WORD: u32 = u32::MAX;

/// The filter return values the program returns, in the order first met
/// along the number line: each gets a shared `ret`, `Allow` and the default
/// nearest the tree.
pub(super) struct RetList {
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
    pub(super) const fn new(default: u32) -> Self {
        RetList {
            rets: [0; MAX_SHARED_RETS],
            len: 0,
            allow: false,
            default,
        }
    }

    pub(super) const fn note(&mut self, ret: u32) {
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
pub(super) struct Emitter<const N: usize> {
    insns: [SockFilter; N],
    len: usize,
    /// Per filter return value, the nearest `ret` of it placed so far: the
    /// shared one at the end, or a later stand-in.
    shared: [(u32, usize); MAX_SHARED_RETS],
    shared_len: usize,
    pub(super) arch: Arch,
    pub(super) default: Action,
}

impl<const N: usize> Emitter<N> {
    /// An empty program for `arch`; calls no rule decides get `default`.
    pub(super) const fn new(arch: Arch, default: Action) -> Self {
        Emitter {
            insns: [SockFilter::stmt(0, 0); N],
            len: 0,
            shared: [(0, 0); MAX_SHARED_RETS],
            shared_len: 0,
            arch,
            default,
        }
    }

    /// The shared `ret`s at the end: rarer actions first, the default and
    /// `Allow` nearest the tree.
    pub(super) const fn shared_rets(&mut self, rets: &RetList) {
        let mut i = 0;
        while i < rets.len {
            self.add_shared_ret(rets.rets[i]);
            i += 1;
        }
        self.add_shared_ret(rets.default);
        if rets.allow {
            self.add_shared_ret(ALLOW);
        }
    }

    #[inline]
    pub(super) const fn emit(&mut self, insn: SockFilter) -> usize {
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
    pub(super) const fn jump(
        &mut self,
        code: u16,
        k: u32,
        t: Target,
        f: Target,
        word: u32,
    ) -> Target {
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
    pub(super) const fn fall_into(&mut self, target: Target) {
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

    /// `ld [offset]`: a word of `seccomp_data` into the accumulator.
    pub(super) const fn load(&mut self, offset: u32) -> Target {
        Target::At(self.emit(SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, offset)))
    }

    /// The header in front of `entry`: `ld [arch]`, a `jeq` that sends a
    /// foreign architecture to the default's `ret`, `ld [nr]`.
    pub(super) const fn header(&mut self, entry: Target) {
        let audit_arch = self.arch.audit_arch();
        let default_ret = self.default.to_ret();
        self.fall_into(entry);
        let load_nr = self.load(SECCOMP_DATA_NR);
        let arch_ok = self.jump(
            BPF_JEQ,
            audit_arch,
            load_nr,
            Target::Ret(default_ret),
            NO_WORD,
        );
        self.fall_into(arch_ok);
        self.load(SECCOMP_DATA_ARCH);
    }

    /// The program written so far, moved to the start of the buffer.
    pub(super) const fn finish(&mut self) -> Result<Program<N>, BuildError> {
        let len = self.len;
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
            self.insns[i] = self.insns[shift + i];
            i += 1;
        }
        Ok(Program::from_parts(self.insns, len))
    }
}

/// A `ret` of a constant.
pub(super) const fn ret(k: u32) -> SockFilter {
    SockFilter::stmt(BPF_RET | BPF_K, k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::SECCOMP_RET_ALLOW;
    use crate::builder::testing::{allow, prog};
    use crate::sim::{check, run, SeccompData};

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
}
