//! A classic-BPF interpreter with the kernel's seccomp semantics.
//!
//! [`check`] accepts exactly the programs `seccomp(SECCOMP_SET_MODE_FILTER)`
//! accepts, as far as the program text decides it: the kernel's
//! `bpf_check_classic` (net/core/filter.c) followed by
//! `seccomp_check_filter` (kernel/seccomp.c). [`run`] evaluates a program on
//! a [`SeccompData`] the way the kernel does, counts the instructions
//! executed, and tells whether the path is one the kernel's action-cache
//! emulator (`seccomp_is_const_allow`) can follow. Tests and benchmarks use
//! it to check every verdict of a filter without installing it.
//!
//! Rules taken from the kernel source:
//!
//! - length `1..=4096`; the last instruction is `ret k` or `ret a`;
//! - opcodes: those of `bpf_check_classic`'s table that `seccomp_check_filter`
//!   also lets through: ALU `add sub mul div and or xor lsh rsh` (with `k` or
//!   `x`) and `neg` (not `mod`); `ld`/`ldx` `imm`, `mem` and `len` (`len` is
//!   `sizeof(struct seccomp_data)`, 64); `ld w abs`; `st`, `stx`; `tax`,
//!   `txa`; `ja`, `jeq jge jgt jset` (with `k` or `x`); `ret k`, `ret a`.
//!   Half-word, byte, indirect and `msh` loads are refused;
//! - `ld w abs` offsets are 4-byte aligned and below 64;
//! - `div k` with `k == 0` is refused, as are `lsh k`/`rsh k` with `k >= 32`;
//! - scratch cells `M[k]` need `k < 16`, and a cell may only be read where
//!   every path to the read has written it (the kernel's
//!   `check_load_and_stores`, a single forward pass; reading first is refused);
//! - conditional jumps land inside the program (`pc + 1 + jt < len`, same for
//!   `jf`), and `ja k` needs `k < len - pc - 1`;
//! - at run time `A` and `X` start at 0; arithmetic wraps at 32 bits;
//!   `div x` with `x == 0` ends the program with return value 0 (the classic
//!   BPF rule the kernel keeps); shifts by `x` use `x & 31` (the kernel's
//!   interpreter); jumps compare unsigned; loads read `struct seccomp_data`
//!   in the calling architecture's byte order (the `__AUDIT_ARCH_LE` flag
//!   of its `arch` field), whatever the host's.

use core::fmt;

use crate::bpf::{
    SockFilter, BPF_A, BPF_ABS, BPF_ADD, BPF_ALU, BPF_AND, BPF_DIV, BPF_IMM, BPF_JA, BPF_JEQ,
    BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_LDX, BPF_LEN, BPF_LSH, BPF_MAXINSNS,
    BPF_MEM, BPF_MEMWORDS, BPF_MISC, BPF_MUL, BPF_NEG, BPF_OR, BPF_RET, BPF_RSH, BPF_ST, BPF_STX,
    BPF_SUB, BPF_TAX, BPF_TXA, BPF_W, BPF_X, BPF_XOR, SECCOMP_DATA_ARCH, SECCOMP_DATA_NR,
    SECCOMP_DATA_SIZE, SECCOMP_RET_ALLOW,
};

/// The input of a seccomp filter, like the kernel's `struct seccomp_data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct SeccompData {
    /// The system call number.
    pub nr: i32,
    /// The `AUDIT_ARCH_*` value of the calling convention.
    pub arch: u32,
    /// The address of the system call instruction.
    pub instruction_pointer: u64,
    /// The six system call arguments.
    pub args: [u64; 6],
}

impl SeccompData {
    /// A call of number `nr` on architecture `arch`, with zero arguments and address.
    pub const fn new(nr: i32, arch: u32) -> Self {
        SeccompData {
            nr,
            arch,
            instruction_pointer: 0,
            args: [0; 6],
        }
    }

    /// Whether the calling architecture is little-endian: the
    /// `__AUDIT_ARCH_LE` flag of [`arch`](SeccompData::arch). The kernel
    /// fills `struct seccomp_data` in its own byte order, so a filter for a
    /// big-endian machine (s390x) finds the high word of an argument first.
    pub const fn little_endian(&self) -> bool {
        self.arch & 0x4000_0000 != 0
    }

    /// The 64 bytes a filter reads, laid out like `struct seccomp_data` on
    /// the calling architecture (in its byte order, see
    /// [`little_endian`](SeccompData::little_endian)), whatever the host.
    pub fn to_bytes(&self) -> [u8; SECCOMP_DATA_SIZE as usize] {
        let le = self.little_endian();
        let u32_bytes = |v: u32| if le { v.to_le_bytes() } else { v.to_be_bytes() };
        let u64_bytes = |v: u64| if le { v.to_le_bytes() } else { v.to_be_bytes() };
        let mut b = [0u8; SECCOMP_DATA_SIZE as usize];
        b[0..4].copy_from_slice(&u32_bytes(self.nr as u32));
        b[4..8].copy_from_slice(&u32_bytes(self.arch));
        b[8..16].copy_from_slice(&u64_bytes(self.instruction_pointer));
        for (i, a) in self.args.iter().enumerate() {
            let at = 16 + 8 * i;
            b[at..at + 8].copy_from_slice(&u64_bytes(*a));
        }
        b
    }
}

/// Why the kernel would refuse a program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckError {
    /// No instruction at all.
    Empty,
    /// More than [`BPF_MAXINSNS`] instructions.
    TooLong {
        /// The program's length.
        len: usize,
    },
    /// An opcode classic BPF or seccomp does not accept.
    BadOpcode {
        /// Index of the instruction.
        pc: usize,
        /// Its opcode.
        code: u16,
    },
    /// A `ld w abs` outside `seccomp_data` or not 4-byte aligned.
    BadLoad {
        /// Index of the instruction.
        pc: usize,
        /// The offset.
        k: u32,
    },
    /// `div` by the constant 0.
    DivisionByZero {
        /// Index of the instruction.
        pc: usize,
    },
    /// A shift by a constant of 32 or more.
    BadShift {
        /// Index of the instruction.
        pc: usize,
        /// The shift amount.
        k: u32,
    },
    /// A scratch memory index of 16 or more.
    BadMemIndex {
        /// Index of the instruction.
        pc: usize,
        /// The cell index.
        k: u32,
    },
    /// A jump past the last instruction.
    JumpOutOfRange {
        /// Index of the instruction.
        pc: usize,
    },
    /// The last instruction is not a `ret`.
    NoFinalRet,
    /// A scratch cell read where some path has not written it.
    ReadBeforeWrite {
        /// Index of the instruction.
        pc: usize,
        /// The cell index.
        k: u32,
    },
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CheckError::Empty => f.write_str("empty program"),
            CheckError::TooLong { len } => {
                write!(f, "{len} instructions, more than {BPF_MAXINSNS}")
            }
            CheckError::BadOpcode { pc, code } => {
                write!(
                    f,
                    "instruction {pc}: opcode {code:#06x} not allowed in seccomp"
                )
            }
            CheckError::BadLoad { pc, k } => write!(
                f,
                "instruction {pc}: load at offset {k} is unaligned or outside seccomp_data"
            ),
            CheckError::DivisionByZero { pc } => {
                write!(f, "instruction {pc}: division by constant zero")
            }
            CheckError::BadShift { pc, k } => write!(f, "instruction {pc}: shift by {k}"),
            CheckError::BadMemIndex { pc, k } => {
                write!(f, "instruction {pc}: scratch memory index {k} out of range")
            }
            CheckError::JumpOutOfRange { pc } => {
                write!(f, "instruction {pc}: jump past the end of the program")
            }
            CheckError::NoFinalRet => f.write_str("the last instruction is not a return"),
            CheckError::ReadBeforeWrite { pc, k } => write!(
                f,
                "instruction {pc}: scratch cell M[{k}] may be read before it is written"
            ),
        }
    }
}

impl core::error::Error for CheckError {}

// Opcodes, spelled out once.
const LD_W_ABS: u16 = BPF_LD | BPF_W | BPF_ABS;
const LD_W_LEN: u16 = BPF_LD | BPF_W | BPF_LEN;
const LDX_W_LEN: u16 = BPF_LDX | BPF_W | BPF_LEN;
const LD_IMM: u16 = BPF_LD | BPF_IMM;
const LDX_IMM: u16 = BPF_LDX | BPF_IMM;
const LD_MEM: u16 = BPF_LD | BPF_MEM;
const LDX_MEM: u16 = BPF_LDX | BPF_MEM;
const RET_K: u16 = BPF_RET | BPF_K;
const RET_A: u16 = BPF_RET | BPF_A;
const TAX: u16 = BPF_MISC | BPF_TAX;
const TXA: u16 = BPF_MISC | BPF_TXA;
const JA: u16 = BPF_JMP | BPF_JA;
const ALU_NEG: u16 = BPF_ALU | BPF_NEG;

/// Whether `code` is `BPF_ALU | op | src` for an op seccomp accepts (not `neg`).
fn alu_binary(code: u16) -> bool {
    if code & 0x07 != BPF_ALU || code & !0xff != 0 {
        return false;
    }
    let src = code & BPF_X;
    let op = code & 0xf0;
    code == BPF_ALU | op | src
        && matches!(
            op,
            BPF_ADD | BPF_SUB | BPF_MUL | BPF_DIV | BPF_AND | BPF_OR | BPF_XOR | BPF_LSH | BPF_RSH
        )
}

/// Whether `code` is a conditional jump (`jeq jge jgt jset`, `k` or `x`).
fn cond_jump(code: u16) -> bool {
    if code & 0x07 != BPF_JMP || code & !0xff != 0 {
        return false;
    }
    let src = code & BPF_X;
    let op = code & 0xf0;
    code == BPF_JMP | op | src && matches!(op, BPF_JEQ | BPF_JGE | BPF_JGT | BPF_JSET)
}

/// Whether seccomp accepts `code` at all.
fn allowed_opcode(code: u16) -> bool {
    alu_binary(code)
        || cond_jump(code)
        || matches!(
            code,
            ALU_NEG
                | LD_W_ABS
                | LD_W_LEN
                | LDX_W_LEN
                | LD_IMM
                | LDX_IMM
                | LD_MEM
                | LDX_MEM
                | BPF_ST
                | BPF_STX
                | TAX
                | TXA
                | JA
                | RET_K
                | RET_A
        )
}

/// Checks `prog` as the kernel does when a seccomp filter is installed.
///
/// # Errors
///
/// The first rule of the kernel's checker that `prog` breaks.
pub fn check(prog: &[SockFilter]) -> Result<(), CheckError> {
    let len = prog.len();
    if len == 0 {
        return Err(CheckError::Empty);
    }
    if len > BPF_MAXINSNS {
        return Err(CheckError::TooLong { len });
    }
    for (pc, insn) in prog.iter().enumerate() {
        let (code, k) = (insn.code, insn.k);
        if !allowed_opcode(code) {
            return Err(CheckError::BadOpcode { pc, code });
        }
        match code {
            LD_W_ABS if k >= SECCOMP_DATA_SIZE || k % 4 != 0 => {
                return Err(CheckError::BadLoad { pc, k })
            }
            c if c == BPF_ALU | BPF_DIV | BPF_K && k == 0 => {
                return Err(CheckError::DivisionByZero { pc })
            }
            c if (c == BPF_ALU | BPF_LSH | BPF_K || c == BPF_ALU | BPF_RSH | BPF_K) && k >= 32 => {
                return Err(CheckError::BadShift { pc, k })
            }
            LD_MEM | LDX_MEM | BPF_ST | BPF_STX if k as usize >= BPF_MEMWORDS => {
                return Err(CheckError::BadMemIndex { pc, k })
            }
            JA if k as usize >= len - pc - 1 => return Err(CheckError::JumpOutOfRange { pc }),
            c if cond_jump(c)
                && (pc + 1 + insn.jt as usize >= len || pc + 1 + insn.jf as usize >= len) =>
            {
                return Err(CheckError::JumpOutOfRange { pc })
            }
            _ => {}
        }
    }
    if !matches!(prog[len - 1].code, RET_K | RET_A) {
        return Err(CheckError::NoFinalRet);
    }
    check_scratch(prog)
}

/// The kernel's read-before-write rule for `M[]`: one forward pass where a
/// cell counts as written at an instruction only if it is written on the
/// straight-line path into it and on every jump into it.
fn check_scratch(prog: &[SockFilter]) -> Result<(), CheckError> {
    // `check` has bounded the length by BPF_MAXINSNS already.
    let mut at_target = [u16::MAX; BPF_MAXINSNS];
    let mut valid: u16 = 0;
    for (pc, insn) in prog.iter().enumerate() {
        valid &= at_target[pc];
        match insn.code {
            BPF_ST | BPF_STX => valid |= 1 << insn.k,
            LD_MEM | LDX_MEM if valid & (1 << insn.k) == 0 => {
                return Err(CheckError::ReadBeforeWrite { pc, k: insn.k });
            }
            JA => {
                at_target[pc + 1 + insn.k as usize] &= valid;
                valid = u16::MAX;
            }
            c if cond_jump(c) => {
                at_target[pc + 1 + insn.jt as usize] &= valid;
                at_target[pc + 1 + insn.jf as usize] &= valid;
                valid = u16::MAX;
            }
            _ => {}
        }
    }
    Ok(())
}

/// The outcome of running a filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Run {
    /// The filter's return value (`SECCOMP_RET_*` action and data).
    pub ret: u32,
    /// Instructions executed, the final `ret` included.
    pub executed: usize,
    /// Whether every instruction executed is one the kernel's action-cache
    /// emulator (`seccomp_is_const_allow`) follows: `ld w abs` of `nr` or
    /// `arch`, `ret k`, `ja`, `jeq`/`jge`/`jgt`/`jset` with a constant, and
    /// `and` with a constant.
    pub const_path: bool,
}

impl Run {
    /// Whether the kernel would cache this call as "always allowed": the
    /// path is emulable and ends in exactly `SECCOMP_RET_ALLOW`. (The kernel
    /// does this only for the native or compat architecture and for numbers
    /// below its syscall count.)
    pub fn const_allow(&self) -> bool {
        self.const_path && self.ret == SECCOMP_RET_ALLOW
    }
}

/// Why [`run`] stopped without a return value; never happens for a program
/// that passes [`check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RunError {
    /// The program counter left the program.
    OutOfBounds {
        /// The program counter.
        pc: usize,
    },
    /// An instruction the kernel would have refused.
    Invalid {
        /// Index of the instruction.
        pc: usize,
        /// Its opcode.
        code: u16,
    },
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RunError::OutOfBounds { pc } => write!(f, "ran off the program at {pc}"),
            RunError::Invalid { pc, code } => {
                write!(f, "instruction {pc}: invalid instruction {code:#06x}")
            }
        }
    }
}

impl core::error::Error for RunError {}

/// Runs `prog` on `data` as the kernel would.
///
/// It does not call [`check`] (so it stays cheap for exhaustive sweeps) but
/// stops with a [`RunError`] on anything `check` refuses that the path
/// meets; a scratch cell not written yet reads as 0.
///
/// # Errors
///
/// The path runs off the end of `prog` or meets an instruction the kernel
/// would not accept.
pub fn run(prog: &[SockFilter], data: &SeccompData) -> Result<Run, RunError> {
    run_traced(prog, data, |_| {})
}

/// Like [`run`], and calls `visit` with the index of every instruction
/// executed, in order, the final `ret` included: the path a call takes
/// through the program, for tools that show it.
///
/// # Errors
///
/// As [`run`].
#[allow(
    clippy::too_many_lines,
    reason = "the interpreter's dispatch: one match over the opcodes, as the kernel's, whose cases \
              share the registers and the exits and read best side by side"
)]
pub fn run_traced(
    prog: &[SockFilter],
    data: &SeccompData,
    mut visit: impl FnMut(usize),
) -> Result<Run, RunError> {
    let bytes = data.to_bytes();
    let mut a: u32 = 0;
    let mut x: u32 = 0;
    let mut mem = [0u32; BPF_MEMWORDS];
    let mut pc = 0usize;
    let mut executed = 0usize;
    let mut const_path = true;
    loop {
        let Some(insn) = prog.get(pc) else {
            return Err(RunError::OutOfBounds { pc });
        };
        executed += 1;
        visit(pc);
        let (code, k) = (insn.code, insn.k);
        let invalid = RunError::Invalid { pc, code };
        let emulable = match code {
            LD_W_ABS => k == SECCOMP_DATA_NR || k == SECCOMP_DATA_ARCH,
            RET_K | JA => true,
            c if c == BPF_ALU | BPF_AND | BPF_K => true,
            c if cond_jump(c) => c & BPF_X == BPF_K,
            _ => false,
        };
        const_path &= emulable;
        let mut next = pc + 1;
        match code {
            RET_K => {
                return Ok(Run {
                    ret: k,
                    executed,
                    const_path,
                })
            }
            RET_A => {
                return Ok(Run {
                    ret: a,
                    executed,
                    const_path,
                })
            }
            LD_W_ABS => {
                if k >= SECCOMP_DATA_SIZE || k % 4 != 0 {
                    return Err(invalid);
                }
                let at = k as usize;
                let word = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
                a = if data.little_endian() {
                    u32::from_le_bytes(word)
                } else {
                    u32::from_be_bytes(word)
                };
            }
            LD_W_LEN => a = SECCOMP_DATA_SIZE,
            LDX_W_LEN => x = SECCOMP_DATA_SIZE,
            LD_IMM => a = k,
            LDX_IMM => x = k,
            LD_MEM | LDX_MEM | BPF_ST | BPF_STX => {
                let Some(cell) = mem.get_mut(k as usize) else {
                    return Err(invalid);
                };
                match code {
                    LD_MEM => a = *cell,
                    LDX_MEM => x = *cell,
                    BPF_ST => *cell = a,
                    _ => *cell = x,
                }
            }
            TAX => x = a,
            TXA => a = x,
            ALU_NEG => a = a.wrapping_neg(),
            JA => next = next.saturating_add(k as usize),
            c if alu_binary(c) => {
                let by_x = c & BPF_X == BPF_X;
                let v = if by_x { x } else { k };
                a = match c & 0xf0 {
                    BPF_ADD => a.wrapping_add(v),
                    BPF_SUB => a.wrapping_sub(v),
                    BPF_MUL => a.wrapping_mul(v),
                    BPF_DIV => match (v, by_x) {
                        (0, true) => {
                            return Ok(Run {
                                ret: 0,
                                executed,
                                const_path,
                            })
                        }
                        (0, false) => return Err(invalid),
                        _ => a / v,
                    },
                    BPF_AND => a & v,
                    BPF_OR => a | v,
                    BPF_XOR => a ^ v,
                    op @ (BPF_LSH | BPF_RSH) => {
                        if !by_x && v >= 32 {
                            return Err(invalid);
                        }
                        let s = v & 31;
                        if op == BPF_LSH {
                            a << s
                        } else {
                            a >> s
                        }
                    }
                    _ => return Err(invalid),
                };
            }
            c if cond_jump(c) => {
                let v = if c & BPF_X == BPF_X { x } else { k };
                let taken = match c & 0xf0 {
                    BPF_JEQ => a == v,
                    BPF_JGE => a >= v,
                    BPF_JGT => a > v,
                    _ => a & v != 0,
                };
                next += if taken { insn.jt } else { insn.jf } as usize;
            }
            _ => return Err(invalid),
        }
        pc = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::{SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS};

    fn st(code: u16, k: u32) -> SockFilter {
        SockFilter::stmt(code, k)
    }
    fn jmp(code: u16, k: u32, jt: u8, jf: u8) -> SockFilter {
        SockFilter::jump(code, k, jt, jf)
    }
    fn data(nr: i32) -> SeccompData {
        SeccompData::new(nr, 0xC000_003E)
    }
    /// Runs a checked program and returns its result.
    fn eval(prog: &[SockFilter], d: &SeccompData) -> Run {
        check(prog).unwrap();
        run(prog, d).unwrap()
    }
    fn ret_a() -> SockFilter {
        st(RET_A, 0)
    }

    #[test]
    fn loads_read_the_fields_in_the_architecture_byte_order() {
        // AUDIT_ARCH_X86_64 (little-endian) and AUDIT_ARCH_S390X (big-endian).
        for (arch, le) in [(0xc000_003e_u32, true), (0x8000_0016, false)] {
            let d = SeccompData {
                nr: -2,
                arch,
                instruction_pointer: 0x1111_2222_3333_4444,
                args: [1, 2, 3, 4, 5, 0xdead_beef_0000_0006],
            };
            assert_eq!(d.little_endian(), le);
            let load = |k| eval(&[st(LD_W_ABS, k), ret_a()], &d).ret;
            assert_eq!(load(0), (-2i32) as u32);
            assert_eq!(load(4), arch);
            let (lo, hi) = if le { (8, 12) } else { (12, 8) };
            assert_eq!(load(lo), 0x3333_4444);
            assert_eq!(load(hi), 0x1111_2222);
            let (lo, hi) = if le { (56, 60) } else { (60, 56) };
            assert_eq!(load(lo), 6);
            assert_eq!(load(hi), 0xdead_beef);
            assert_eq!(load(16 + 8 * 2 + if le { 0 } else { 4 }), 3);
        }
        let d = data(0);
        assert_eq!(eval(&[st(LD_W_LEN, 0), ret_a()], &d).ret, 64);
        assert_eq!(eval(&[st(LDX_W_LEN, 0), st(TXA, 0), ret_a()], &d).ret, 64);
    }

    #[test]
    fn alu_operations() {
        let d = data(0);
        let alu = |op: u16, a: u32, k: u32| {
            eval(&[st(LD_IMM, a), st(BPF_ALU | op | BPF_K, k), ret_a()], &d).ret
        };
        let alu_x = |op: u16, a: u32, x: u32| {
            eval(
                &[
                    st(LDX_IMM, x),
                    st(LD_IMM, a),
                    st(BPF_ALU | op | BPF_X, 0),
                    ret_a(),
                ],
                &d,
            )
            .ret
        };
        assert_eq!(alu(BPF_ADD, u32::MAX, 2), 1);
        assert_eq!(alu(BPF_SUB, 1, 2), u32::MAX);
        assert_eq!(alu(BPF_MUL, 0x8000_0001, 2), 2);
        assert_eq!(alu(BPF_DIV, 7, 2), 3);
        assert_eq!(alu(BPF_DIV, u32::MAX, 0x1_0000), 0xffff);
        assert_eq!(alu(BPF_AND, 0b1100, 0b1010), 0b1000);
        assert_eq!(alu(BPF_OR, 0b1100, 0b1010), 0b1110);
        assert_eq!(alu(BPF_XOR, 0b1100, 0b1010), 0b0110);
        assert_eq!(alu(BPF_LSH, 0x8000_0001, 1), 2);
        assert_eq!(alu(BPF_RSH, 0x8000_0000, 31), 1);
        assert_eq!(alu_x(BPF_ADD, 5, 6), 11);
        assert_eq!(alu_x(BPF_SUB, 5, 6), u32::MAX);
        assert_eq!(alu_x(BPF_MUL, 5, 6), 30);
        assert_eq!(alu_x(BPF_DIV, 30, 6), 5);
        assert_eq!(alu_x(BPF_AND, 6, 3), 2);
        assert_eq!(alu_x(BPF_OR, 6, 3), 7);
        assert_eq!(alu_x(BPF_XOR, 6, 3), 5);
        assert_eq!(alu_x(BPF_LSH, 1, 4), 16);
        assert_eq!(alu_x(BPF_RSH, 16, 4), 1);
        // Shifts by X use the low five bits.
        assert_eq!(alu_x(BPF_LSH, 1, 33), 2);
        assert_eq!(alu_x(BPF_RSH, 4, 34), 1);
        // Negation.
        assert_eq!(
            eval(&[st(LD_IMM, 1), st(ALU_NEG, 0), ret_a()], &d).ret,
            u32::MAX
        );
        assert_eq!(eval(&[st(LD_IMM, 0), st(ALU_NEG, 0), ret_a()], &d).ret, 0);
    }

    #[test]
    fn division_by_zero_in_x_returns_zero() {
        let p = [
            st(LDX_IMM, 0),
            st(LD_IMM, 9),
            st(BPF_ALU | BPF_DIV | BPF_X, 0),
            st(RET_K, SECCOMP_RET_ALLOW),
        ];
        let r = eval(&p, &data(0));
        assert_eq!((r.ret, r.executed), (0, 3));
    }

    #[test]
    fn registers_and_scratch_memory() {
        let d = data(0);
        // A = 7; X = A; A = 1; M[3] = X; M[15] = A; A = M[3]; X = M[15]; A += X
        let p = [
            st(LD_IMM, 7),
            st(TAX, 0),
            st(LD_IMM, 1),
            st(BPF_STX, 3),
            st(BPF_ST, 15),
            st(LD_MEM, 3),
            st(LDX_MEM, 15),
            st(BPF_ALU | BPF_ADD | BPF_X, 0),
            ret_a(),
        ];
        let r = eval(&p, &d);
        assert_eq!((r.ret, r.executed), (8, 9));
        assert!(!r.const_path);
        // A and X start at zero.
        assert_eq!(eval(&[st(TXA, 0), ret_a()], &d).ret, 0);
        assert_eq!(eval(&[ret_a()], &d).ret, 0);
    }

    #[test]
    fn jumps() {
        let d = data(10);
        // Returns 1 if the jump is taken, 2 if not.
        let jump = |code: u16, k: u32| {
            let p = [
                st(LD_W_ABS, 0),
                st(LDX_IMM, k),
                jmp(code, k, 1, 0),
                st(RET_K, 2),
                st(RET_K, 1),
            ];
            eval(&p, &d).ret
        };
        for (src, name) in [(BPF_K, "k"), (BPF_X, "x")] {
            let j = |op: u16, k| jump(BPF_JMP | op | src, k);
            assert_eq!(j(BPF_JEQ, 10), 1, "{name}");
            assert_eq!(j(BPF_JEQ, 11), 2, "{name}");
            assert_eq!(j(BPF_JGE, 10), 1, "{name}");
            assert_eq!(j(BPF_JGE, 11), 2, "{name}");
            assert_eq!(j(BPF_JGT, 9), 1, "{name}");
            assert_eq!(j(BPF_JGT, 10), 2, "{name}");
            assert_eq!(j(BPF_JSET, 0b0010), 1, "{name}");
            assert_eq!(j(BPF_JSET, 0b0101), 2, "{name}");
            // Comparisons are unsigned: 10 < 0x8000_0000.
            assert_eq!(j(BPF_JGE, 0x8000_0000), 2, "{name}");
        }
        // jf is taken on false, ja skips k instructions.
        let p = [
            st(LD_IMM, 5),
            jmp(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 1),
            st(RET_K, 1),
            st(JA, 1),
            st(RET_K, 2),
            st(RET_K, 3),
        ];
        let r = eval(&p, &d);
        assert_eq!((r.ret, r.executed), (3, 4));
    }

    #[test]
    fn const_path_flag() {
        let arch = 0xC000_003E;
        let d = SeccompData::new(3, arch);
        let good = [
            st(LD_W_ABS, SECCOMP_DATA_ARCH),
            jmp(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
            st(RET_K, SECCOMP_RET_KILL_PROCESS),
            st(LD_W_ABS, SECCOMP_DATA_NR),
            st(BPF_ALU | BPF_AND | BPF_K, 0xff),
            jmp(BPF_JMP | BPF_JSET | BPF_K, 0x100, 2, 0),
            jmp(BPF_JMP | BPF_JGT | BPF_K, 2, 0, 1),
            st(JA, 0),
            st(RET_K, SECCOMP_RET_ALLOW),
        ];
        let r = eval(&good, &d);
        assert!(r.const_path && r.const_allow());
        assert_eq!(r.executed, 8);
        // An argument load, an X jump, ALU other than `and`, or RET A break it.
        let breakers = [
            st(LD_W_ABS, 16),
            st(LD_W_ABS, 8),
            jmp(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 0),
            st(BPF_ALU | BPF_OR | BPF_K, 0),
            st(LD_IMM, 0),
            st(TAX, 0),
        ];
        for b in breakers {
            let p = [b, st(RET_K, SECCOMP_RET_ALLOW)];
            let r = eval(&p, &d);
            assert!(!r.const_path, "{b:?}");
            assert!(!r.const_allow());
        }
        let r = eval(&[st(LD_IMM, SECCOMP_RET_ALLOW), ret_a()], &d);
        assert!(!r.const_path);
        // Emulable but not ALLOW (or ALLOW with data) is not cached.
        let r = eval(&[st(RET_K, SECCOMP_RET_ERRNO | 1)], &d);
        assert!(r.const_path && !r.const_allow());
        let r = eval(&[st(RET_K, SECCOMP_RET_ALLOW | 1)], &d);
        assert!(!r.const_allow());
    }

    #[test]
    fn check_accepts_every_seccomp_opcode() {
        let mut p = vec![st(LD_IMM, 1), st(BPF_ST, 0), st(BPF_STX, 1)];
        for op in [
            BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH,
        ] {
            p.push(st(BPF_ALU | op | BPF_K, 1));
            p.push(st(BPF_ALU | op | BPF_X, 0));
        }
        for op in [BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET] {
            p.push(jmp(BPF_JMP | op | BPF_K, 1, 0, 0));
            p.push(jmp(BPF_JMP | op | BPF_X, 0, 0, 0));
        }
        p.extend([
            st(ALU_NEG, 0),
            st(LD_W_ABS, 60),
            st(LD_W_LEN, 0),
            st(LDX_W_LEN, 0),
            st(LDX_IMM, 3),
            st(LD_MEM, 0),
            st(LDX_MEM, 1),
            st(TAX, 0),
            st(TXA, 0),
            st(JA, 0),
            st(RET_K, 0),
            ret_a(),
        ]);
        assert_eq!(check(&p), Ok(()));
    }

    #[test]
    fn check_rejects_what_the_kernel_rejects() {
        let ok = st(RET_K, SECCOMP_RET_ALLOW);
        let bad = |p: &[SockFilter]| check(p).unwrap_err();
        assert_eq!(bad(&[]), CheckError::Empty);
        assert_eq!(bad(&vec![ok; 4097]), CheckError::TooLong { len: 4097 });
        assert_eq!(check(&vec![ok; 4096]), Ok(()));
        // Opcodes classic BPF knows but seccomp refuses, and garbage.
        for code in [
            BPF_LD | 0x08 | BPF_ABS,   // ld h abs
            BPF_LD | 0x10 | BPF_ABS,   // ld b abs
            BPF_LD | BPF_W | 0x40,     // ld w ind
            BPF_LDX | 0x10 | 0xa0,     // ldx b msh
            BPF_ALU | 0x90 | BPF_K,    // mod k
            BPF_ALU | 0x90 | BPF_X,    // mod x
            BPF_LDX | BPF_W | BPF_ABS, // the kernel's internal rewrite
            BPF_RET | BPF_X,           // ret x
            BPF_JMP | 0x50 | BPF_K,    // eBPF jne
            BPF_ALU | BPF_NEG | BPF_X, // neg with a source bit
            0x0107,                    // bits above the byte
            0xff,
        ] {
            assert_eq!(
                bad(&[st(code, 0), ok]),
                CheckError::BadOpcode { pc: 0, code },
                "{code:#x}"
            );
        }
        for k in [1, 2, 3, 64, 68, 0xffff_f000] {
            assert_eq!(
                bad(&[st(LD_W_ABS, k), ok]),
                CheckError::BadLoad { pc: 0, k }
            );
        }
        assert_eq!(
            bad(&[ok, st(BPF_ALU | BPF_DIV | BPF_K, 0), ok]),
            CheckError::DivisionByZero { pc: 1 }
        );
        for code in [BPF_ALU | BPF_LSH | BPF_K, BPF_ALU | BPF_RSH | BPF_K] {
            assert_eq!(
                bad(&[st(code, 32), ok]),
                CheckError::BadShift { pc: 0, k: 32 }
            );
            assert_eq!(check(&[st(code, 31), ok]), Ok(()));
        }
        for code in [LD_MEM, LDX_MEM, BPF_ST, BPF_STX] {
            assert_eq!(
                bad(&[st(code, 16), ok]),
                CheckError::BadMemIndex { pc: 0, k: 16 }
            );
        }
        // Jumps: the target must be an instruction.
        assert_eq!(bad(&[st(JA, 1), ok]), CheckError::JumpOutOfRange { pc: 0 });
        assert_eq!(check(&[st(JA, 0), ok]), Ok(()));
        let jeq = BPF_JMP | BPF_JEQ | BPF_K;
        assert_eq!(
            bad(&[jmp(jeq, 0, 1, 0), ok]),
            CheckError::JumpOutOfRange { pc: 0 }
        );
        assert_eq!(
            bad(&[jmp(jeq, 0, 0, 1), ok]),
            CheckError::JumpOutOfRange { pc: 0 }
        );
        assert_eq!(check(&[jmp(jeq, 0, 1, 0), ok, ok]), Ok(()));
        assert_eq!(
            bad(&[jmp(jeq, 0, 0, 0)]),
            CheckError::JumpOutOfRange { pc: 0 }
        );
        // The last instruction returns.
        assert_eq!(bad(&[ok, st(LD_IMM, 0)]), CheckError::NoFinalRet);
        assert_eq!(bad(&[ok, st(JA, 0)]), CheckError::JumpOutOfRange { pc: 1 });
        // Reading scratch memory first.
        assert_eq!(
            bad(&[st(LD_MEM, 2), ok]),
            CheckError::ReadBeforeWrite { pc: 0, k: 2 }
        );
        assert_eq!(
            bad(&[st(BPF_ST, 1), st(LDX_MEM, 2), ok]),
            CheckError::ReadBeforeWrite { pc: 1, k: 2 }
        );
        // Written on one path only.
        let one_path = [jmp(jeq, 0, 1, 0), st(BPF_ST, 0), st(LD_MEM, 0), ok];
        assert_eq!(bad(&one_path), CheckError::ReadBeforeWrite { pc: 2, k: 0 });
        // Written on both paths.
        let both = [
            jmp(jeq, 0, 2, 0),
            st(BPF_ST, 0),
            st(JA, 1),
            st(BPF_STX, 0),
            st(LD_MEM, 0),
            ok,
        ];
        assert_eq!(check(&both), Ok(()));
    }

    #[test]
    fn traced_runs_visit_the_path_in_order() {
        let d = data(10);
        let p = [
            st(LD_W_ABS, 0),
            jmp(BPF_JMP | BPF_JEQ | BPF_K, 10, 2, 0),
            st(RET_K, 1),
            st(RET_K, 2),
            st(RET_K, 3),
        ];
        let mut path = Vec::new();
        let r = run_traced(&p, &d, |pc| path.push(pc)).unwrap();
        assert_eq!(path, [0, 1, 4]);
        assert_eq!((r.ret, r.executed), (3, 3));
        assert_eq!(run(&p, &d).unwrap(), r);
    }

    #[test]
    fn run_reports_invalid_paths() {
        let d = data(0);
        assert_eq!(run(&[], &d), Err(RunError::OutOfBounds { pc: 0 }));
        assert_eq!(
            run(&[st(LD_IMM, 0)], &d),
            Err(RunError::OutOfBounds { pc: 1 })
        );
        assert_eq!(
            run(&[st(JA, 5), st(RET_K, 0)], &d),
            Err(RunError::OutOfBounds { pc: 6 })
        );
        let code = BPF_LD | 0x10 | BPF_ABS;
        assert_eq!(
            run(&[st(code, 0)], &d),
            Err(RunError::Invalid { pc: 0, code })
        );
        assert_eq!(
            run(&[st(LD_W_ABS, 2)], &d),
            Err(RunError::Invalid {
                pc: 0,
                code: LD_W_ABS
            })
        );
        assert_eq!(
            run(&[st(LD_MEM, 16)], &d),
            Err(RunError::Invalid {
                pc: 0,
                code: LD_MEM
            })
        );
        let div = BPF_ALU | BPF_DIV | BPF_K;
        assert_eq!(
            run(&[st(div, 0)], &d),
            Err(RunError::Invalid { pc: 0, code: div })
        );
    }

    #[test]
    fn error_texts_name_the_fault() {
        let check = [
            (CheckError::Empty, "empty program"),
            (
                CheckError::TooLong { len: 4097 },
                "4097 instructions, more than 4096",
            ),
            (
                CheckError::BadOpcode { pc: 3, code: 0xc4 },
                "instruction 3: opcode 0x00c4 not allowed in seccomp",
            ),
            (
                CheckError::BadLoad { pc: 1, k: 66 },
                "instruction 1: load at offset 66 is unaligned or outside seccomp_data",
            ),
            (
                CheckError::DivisionByZero { pc: 2 },
                "instruction 2: division by constant zero",
            ),
            (
                CheckError::BadShift { pc: 4, k: 32 },
                "instruction 4: shift by 32",
            ),
            (
                CheckError::BadMemIndex { pc: 5, k: 16 },
                "instruction 5: scratch memory index 16 out of range",
            ),
            (
                CheckError::JumpOutOfRange { pc: 6 },
                "instruction 6: jump past the end of the program",
            ),
            (
                CheckError::NoFinalRet,
                "the last instruction is not a return",
            ),
            (
                CheckError::ReadBeforeWrite { pc: 7, k: 2 },
                "instruction 7: scratch cell M[2] may be read before it is written",
            ),
        ];
        for (e, text) in check {
            assert_eq!(e.to_string(), text, "{e:?}");
        }
        let run = [
            (RunError::OutOfBounds { pc: 9 }, "ran off the program at 9"),
            (
                RunError::Invalid { pc: 0, code: 0x30 },
                "instruction 0: invalid instruction 0x0030",
            ),
        ];
        for (e, text) in run {
            assert_eq!(e.to_string(), text, "{e:?}");
        }
    }
}
