//! Classic BPF as the kernel's seccomp filter mode reads it.
//!
//! [`SockFilter`] has the layout of the kernel's `struct sock_filter`, so a
//! slice of them is handed to `seccomp(2)` as is. The opcode and return-value
//! constants mirror `<linux/filter.h>`, `<linux/bpf_common.h>` and
//! `<linux/seccomp.h>`; they are checked against the `libc` crate's copies in
//! this module's tests.

/// One classic-BPF instruction, laid out like the kernel's `struct sock_filter`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct SockFilter {
    /// Opcode: class, size/operation and source bits or-ed together.
    pub code: u16,
    /// Jump offset (in instructions, from the next one) when the condition holds.
    pub jt: u8,
    /// Jump offset (in instructions, from the next one) when it does not.
    pub jf: u8,
    /// Constant operand: a load offset, a comparison value or a return value.
    pub k: u32,
}

impl SockFilter {
    /// A statement: an instruction that does not branch (`BPF_STMT`).
    pub const fn stmt(code: u16, k: u32) -> Self {
        SockFilter {
            code,
            jt: 0,
            jf: 0,
            k,
        }
    }

    /// A conditional jump (`BPF_JUMP`).
    pub const fn jump(code: u16, k: u32, jt: u8, jf: u8) -> Self {
        SockFilter { code, jt, jf, k }
    }
}

/// Instruction class: load into the accumulator.
pub const BPF_LD: u16 = 0x00;
/// Instruction class: arithmetic on the accumulator.
pub const BPF_ALU: u16 = 0x04;
/// Instruction class: jumps.
pub const BPF_JMP: u16 = 0x05;
/// Instruction class: return.
pub const BPF_RET: u16 = 0x06;
/// Load size: 32-bit word.
pub const BPF_W: u16 = 0x00;
/// Load mode: absolute offset into `seccomp_data`.
pub const BPF_ABS: u16 = 0x20;
/// Jump: unconditional, by `k`.
pub const BPF_JA: u16 = 0x00;
/// Jump: if the accumulator equals `k`.
pub const BPF_JEQ: u16 = 0x10;
/// Jump: if the accumulator is greater than `k` (unsigned).
pub const BPF_JGT: u16 = 0x20;
/// Jump: if the accumulator is greater than or equal to `k` (unsigned).
pub const BPF_JGE: u16 = 0x30;
/// Jump: if the accumulator and `k` share a set bit.
pub const BPF_JSET: u16 = 0x40;
/// ALU operation: bitwise and.
pub const BPF_AND: u16 = 0x50;
/// Operand source: the constant `k`.
pub const BPF_K: u16 = 0x00;

/// Instruction class: load into the index register `X`.
pub const BPF_LDX: u16 = 0x01;
/// Instruction class: store the accumulator into scratch memory.
pub const BPF_ST: u16 = 0x02;
/// Instruction class: store `X` into scratch memory.
pub const BPF_STX: u16 = 0x03;
/// Instruction class: register transfers (`TAX`, `TXA`).
pub const BPF_MISC: u16 = 0x07;
/// Load size: 16-bit half word (not accepted by seccomp).
pub const BPF_H: u16 = 0x08;
/// Load size: byte (not accepted by seccomp).
pub const BPF_B: u16 = 0x10;
/// Load mode: the constant `k`.
pub const BPF_IMM: u16 = 0x00;
/// Load mode: offset `X + k` (not accepted by seccomp).
pub const BPF_IND: u16 = 0x40;
/// Load mode: scratch memory cell `M[k]`.
pub const BPF_MEM: u16 = 0x60;
/// Load mode: the length of the input (for seccomp, `sizeof(struct seccomp_data)`).
pub const BPF_LEN: u16 = 0x80;
/// Load mode: IP header length trick of packet filters (not accepted by seccomp).
pub const BPF_MSH: u16 = 0xa0;
/// ALU operation: add.
pub const BPF_ADD: u16 = 0x00;
/// ALU operation: subtract.
pub const BPF_SUB: u16 = 0x10;
/// ALU operation: multiply.
pub const BPF_MUL: u16 = 0x20;
/// ALU operation: unsigned divide.
pub const BPF_DIV: u16 = 0x30;
/// ALU operation: bitwise or.
pub const BPF_OR: u16 = 0x40;
/// ALU operation: shift left.
pub const BPF_LSH: u16 = 0x60;
/// ALU operation: logical shift right.
pub const BPF_RSH: u16 = 0x70;
/// ALU operation: negate.
pub const BPF_NEG: u16 = 0x80;
/// ALU operation: unsigned remainder (not accepted by seccomp).
pub const BPF_MOD: u16 = 0x90;
/// ALU operation: bitwise exclusive or.
pub const BPF_XOR: u16 = 0xa0;
/// Operand source: the index register `X`.
pub const BPF_X: u16 = 0x08;
/// Return source: the accumulator.
pub const BPF_A: u16 = 0x10;
/// Misc operation: copy the accumulator into `X`.
pub const BPF_TAX: u16 = 0x00;
/// Misc operation: copy `X` into the accumulator.
pub const BPF_TXA: u16 = 0x80;
/// Number of 32-bit scratch memory cells (`M[0]` to `M[15]`).
pub const BPF_MEMWORDS: usize = 16;

/// Offset of `nr` (the syscall number) in the kernel's `struct seccomp_data`.
pub const SECCOMP_DATA_NR: u32 = 0;
/// Offset of `arch` (an `AUDIT_ARCH_*` value) in `struct seccomp_data`.
pub const SECCOMP_DATA_ARCH: u32 = 4;
/// Offset of `instruction_pointer` in `struct seccomp_data`.
pub const SECCOMP_DATA_IP: u32 = 8;
/// Offset of `args[0]` in `struct seccomp_data`; each argument is 8 bytes.
pub const SECCOMP_DATA_ARGS: u32 = 16;
/// Size of `struct seccomp_data` in bytes.
pub const SECCOMP_DATA_SIZE: u32 = 64;

/// Return value: kill the whole process (as if by an uncatchable `SIGSYS`).
pub const SECCOMP_RET_KILL_PROCESS: u32 = 0x8000_0000;
/// Return value: kill the calling thread.
pub const SECCOMP_RET_KILL_THREAD: u32 = 0x0000_0000;
/// Return value: send a catchable `SIGSYS` to the thread.
pub const SECCOMP_RET_TRAP: u32 = 0x0003_0000;
/// Return value: fail the call with the errno in the low 16 bits.
pub const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
/// Return value: notify a user-space supervisor.
pub const SECCOMP_RET_USER_NOTIF: u32 = 0x7fc0_0000;
/// Return value: notify a ptrace tracer.
pub const SECCOMP_RET_TRACE: u32 = 0x7ff0_0000;
/// Return value: allow the call, and log it.
pub const SECCOMP_RET_LOG: u32 = 0x7ffc_0000;
/// Return value: allow the call.
pub const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
/// Mask of the action part of a return value.
pub const SECCOMP_RET_ACTION_FULL: u32 = 0xffff_0000;
/// Mask of the data part of a return value.
pub const SECCOMP_RET_DATA: u32 = 0x0000_ffff;

/// The most instructions the kernel accepts in one filter (`BPF_MAXINSNS`).
pub const BPF_MAXINSNS: usize = 4096;

/// A finished program in a fixed-size buffer: `N` is its capacity, not its length.
///
/// Building one never allocates, so a `Program` can live in a `static`, on the
/// stack of a child between `fork` and `exec`, or inside a closure.
#[derive(Clone, Copy, Debug)]
pub struct Program<const N: usize> {
    len: usize,
    insns: [SockFilter; N],
}

impl<const N: usize> Program<N> {
    /// An empty program (length 0), ready to be filled.
    pub const fn empty() -> Self {
        Program {
            len: 0,
            insns: [SockFilter {
                code: 0,
                jt: 0,
                jf: 0,
                k: 0,
            }; N],
        }
    }

    /// The instructions written so far.
    pub const fn as_slice(&self) -> &[SockFilter] {
        self.insns.split_at(self.len).0
    }

    /// How many instructions the program has.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether the program has no instruction yet.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The capacity of the buffer.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Appends one instruction; `false` when the buffer is full.
    pub const fn push(&mut self, insn: SockFilter) -> bool {
        if self.len == N {
            return false;
        }
        self.insns[self.len] = insn;
        self.len += 1;
        true
    }

    /// A program of the first `len` (at most `N`) of `insns`; for the
    /// builder, which writes the instructions before it knows the length.
    pub(crate) const fn from_parts(insns: [SockFilter; N], len: usize) -> Self {
        Program {
            len: if len < N { len } else { N },
            insns,
        }
    }
}

/// The instructions written so far, as [`Program::as_slice`]: lets a
/// `&Program<N>` go wherever a program is taken as
/// `impl AsRef<[SockFilter]>` (`install::apply(&prog)`).
impl<const N: usize> AsRef<[SockFilter]> for Program<N> {
    fn as_ref(&self) -> &[SockFilter] {
        self.as_slice()
    }
}

impl<const N: usize> PartialEq for Program<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<const N: usize> Eq for Program<N> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_libc() {
        assert_eq!(BPF_LD as u32, libc::BPF_LD);
        assert_eq!(BPF_ALU as u32, libc::BPF_ALU);
        assert_eq!(BPF_JMP as u32, libc::BPF_JMP);
        assert_eq!(BPF_RET as u32, libc::BPF_RET);
        assert_eq!(BPF_W as u32, libc::BPF_W);
        assert_eq!(BPF_ABS as u32, libc::BPF_ABS);
        assert_eq!(BPF_JA as u32, libc::BPF_JA);
        assert_eq!(BPF_JEQ as u32, libc::BPF_JEQ);
        assert_eq!(BPF_JGT as u32, libc::BPF_JGT);
        assert_eq!(BPF_JGE as u32, libc::BPF_JGE);
        assert_eq!(BPF_JSET as u32, libc::BPF_JSET);
        assert_eq!(BPF_AND as u32, libc::BPF_AND);
        assert_eq!(BPF_K as u32, libc::BPF_K);
        assert_eq!(SECCOMP_RET_KILL_PROCESS, libc::SECCOMP_RET_KILL_PROCESS);
        assert_eq!(SECCOMP_RET_KILL_THREAD, libc::SECCOMP_RET_KILL_THREAD);
        assert_eq!(SECCOMP_RET_TRAP, libc::SECCOMP_RET_TRAP);
        assert_eq!(SECCOMP_RET_ERRNO, libc::SECCOMP_RET_ERRNO);
        assert_eq!(SECCOMP_RET_USER_NOTIF, libc::SECCOMP_RET_USER_NOTIF);
        assert_eq!(SECCOMP_RET_TRACE, libc::SECCOMP_RET_TRACE);
        assert_eq!(SECCOMP_RET_LOG, libc::SECCOMP_RET_LOG);
        assert_eq!(SECCOMP_RET_ALLOW, libc::SECCOMP_RET_ALLOW);
        assert_eq!(SECCOMP_RET_ACTION_FULL, libc::SECCOMP_RET_ACTION_FULL);
        assert_eq!(SECCOMP_RET_DATA, libc::SECCOMP_RET_DATA);
        assert_eq!(BPF_MAXINSNS, libc::BPF_MAXINSNS as usize);
        assert_eq!(BPF_LDX as u32, libc::BPF_LDX);
        assert_eq!(BPF_ST as u32, libc::BPF_ST);
        assert_eq!(BPF_STX as u32, libc::BPF_STX);
        assert_eq!(BPF_MISC as u32, libc::BPF_MISC);
        assert_eq!(BPF_H as u32, libc::BPF_H);
        assert_eq!(BPF_B as u32, libc::BPF_B);
        assert_eq!(BPF_IMM as u32, libc::BPF_IMM);
        assert_eq!(BPF_IND as u32, libc::BPF_IND);
        assert_eq!(BPF_MEM as u32, libc::BPF_MEM);
        assert_eq!(BPF_LEN as u32, libc::BPF_LEN);
        assert_eq!(BPF_MSH as u32, libc::BPF_MSH);
        assert_eq!(BPF_ADD as u32, libc::BPF_ADD);
        assert_eq!(BPF_SUB as u32, libc::BPF_SUB);
        assert_eq!(BPF_MUL as u32, libc::BPF_MUL);
        assert_eq!(BPF_DIV as u32, libc::BPF_DIV);
        assert_eq!(BPF_OR as u32, libc::BPF_OR);
        assert_eq!(BPF_LSH as u32, libc::BPF_LSH);
        assert_eq!(BPF_RSH as u32, libc::BPF_RSH);
        assert_eq!(BPF_NEG as u32, libc::BPF_NEG);
        assert_eq!(BPF_MOD as u32, libc::BPF_MOD);
        assert_eq!(BPF_XOR as u32, libc::BPF_XOR);
        assert_eq!(BPF_X as u32, libc::BPF_X);
        assert_eq!(BPF_A as u32, libc::BPF_A);
        assert_eq!(BPF_TAX as u32, libc::BPF_TAX);
        assert_eq!(BPF_TXA as u32, libc::BPF_TXA);
        assert_eq!(BPF_MEMWORDS, libc::BPF_MEMWORDS as usize);
    }

    #[test]
    fn layout_matches_the_kernel() {
        assert_eq!(
            core::mem::size_of::<SockFilter>(),
            core::mem::size_of::<libc::sock_filter>()
        );
        assert_eq!(
            core::mem::align_of::<SockFilter>(),
            core::mem::align_of::<libc::sock_filter>()
        );
        assert_eq!(
            core::mem::offset_of!(libc::seccomp_data, nr) as u32,
            SECCOMP_DATA_NR
        );
        assert_eq!(
            core::mem::offset_of!(libc::seccomp_data, arch) as u32,
            SECCOMP_DATA_ARCH
        );
        assert_eq!(
            core::mem::offset_of!(libc::seccomp_data, instruction_pointer) as u32,
            SECCOMP_DATA_IP
        );
        assert_eq!(
            core::mem::offset_of!(libc::seccomp_data, args) as u32,
            SECCOMP_DATA_ARGS
        );
        assert_eq!(
            core::mem::size_of::<libc::seccomp_data>() as u32,
            SECCOMP_DATA_SIZE
        );
    }

    #[test]
    fn push_stops_at_capacity() {
        let mut p = Program::<2>::empty();
        assert!(p.push(SockFilter::stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)));
        assert!(p.push(SockFilter::stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)));
        assert!(!p.push(SockFilter::stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)));
        assert_eq!(p.len(), 2);
    }
}
