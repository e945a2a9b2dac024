//! A seccomp BPF disassembler: one instruction a line, with jump targets as
//! absolute line numbers and what each load and test means.
//!
//! ```text
//!  line  code  jt   jf      k
//! 0000:  0x20 0x00 0x00 0x00000004  ld   [4]                        ; A = arch
//! 0001:  0x15 0x00 0x09 0xc000003e  jeq  #0xc000003e     0002  0011  ; arch == 0xc000003e (x86_64)
//! 0002:  0x20 0x00 0x00 0x00000000  ld   [0]                        ; A = nr
//! 0003:  0x35 0x04 0x00 0x00000011  jge  #17             0008  0004  ; nr >= 17
//! 0004:  0x35 0x00 0x05 0x00000001  jge  #1              0005  0010  ; nr >= 1
//! 0005:  0x35 0x00 0x05 0x00000010  jge  #16             0006  0011  ; nr >= 16 (ioctl)
//! 0006:  0x20 0x00 0x00 0x00000018  ld   [24]                       ; A = args[1] (low word)
//! 0007:  0x15 0x03 0x02 0x00005412  jeq  #0x5412         0011  0010  ; args[1] (low word) == 0x5412
//! ...
//! 0010:  0x06 0x00 0x00 0x7fff0000  ret  #0x7fff0000                ; ALLOW
//! ```
//!
//! The columns are those of libseccomp's `scmp_bpf_disasm` (line, opcode,
//! `jt`, `jf`, `k`), then the instruction in `bpf_asm` syntax with both
//! targets of a conditional jump written out (`jeq #k  true  false`), then
//! a comment in the spirit of seccomp-tools: which field of
//! `struct seccomp_data` a load reads (an argument's low or high word,
//! by the architecture's byte order), a comparison with a syscall number
//! named, a return value as its action.
//!
//! What the accumulator holds is followed along the program: at a line
//! every path reaches with the same field loaded, tests name that field;
//! where paths disagree, they say nothing. Classic BPF only jumps forward,
//! so one pass in order finds this. Names come from the caller
//! ([`Names`]), since this crate has no syscall tables.
//!
//! Nothing here allocates, and any program is accepted, valid or not:
//! what the kernel would refuse is printed as it is, and [`crate::sim::check`]
//! says why.

use core::fmt::{self, Write as _};

use crate::arch::Arch;
use crate::bpf::{
    SockFilter, BPF_A, BPF_ABS, BPF_ADD, BPF_ALU, BPF_AND, BPF_DIV, BPF_IMM, BPF_JA, BPF_JEQ,
    BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_LDX, BPF_LEN, BPF_LSH, BPF_MAXINSNS,
    BPF_MEM, BPF_MISC, BPF_MOD, BPF_MUL, BPF_NEG, BPF_OR, BPF_RET, BPF_RSH, BPF_ST, BPF_STX,
    BPF_SUB, BPF_TAX, BPF_TXA, BPF_W, BPF_X, BPF_XOR, SECCOMP_DATA_ARCH, SECCOMP_DATA_ARGS,
    SECCOMP_DATA_IP, SECCOMP_DATA_NR, SECCOMP_DATA_SIZE,
};
use crate::rule::Action;

/// Names for the comments: the caller's syscall and errno tables for the
/// program's architecture.
pub trait Names {
    /// The name of syscall `nr`, if it has one.
    fn syscall(&self, nr: u32) -> Option<&str>;

    /// The name of errno `errno` (`"EPERM"` for 1), if known.
    fn errno(&self, errno: u16) -> Option<&str> {
        let _ = errno;
        None
    }
}

/// No names: numbers only.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoNames;

impl Names for NoNames {
    fn syscall(&self, _nr: u32) -> Option<&str> {
        None
    }
}

/// Which word of a 64-bit field a load reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Half {
    /// Bits 0 to 31.
    Low,
    /// Bits 32 to 63.
    High,
}

/// What the accumulator holds, as far as the program's text tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// Nothing known (a constant, arithmetic, or paths that disagree).
    Unknown,
    /// `seccomp_data.nr`.
    Nr,
    /// `seccomp_data.arch`.
    Arch,
    /// A word of `seccomp_data.instruction_pointer`.
    Ip(Half),
    /// A word of `seccomp_data.args[i]`.
    Arg(u8, Half),
}

/// The accumulator's content: a field, possibly and-ed with a mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acc {
    /// The field last loaded.
    pub field: Field,
    /// Whether an `and` has been applied since (the builder's masked tests).
    pub masked: bool,
}

impl Acc {
    const UNKNOWN: Acc = Acc {
        field: Field::Unknown,
        masked: false,
    };
}

/// The field a `ld [k]` reads on `arch`.
pub fn field_at(arch: Arch, k: u32) -> Field {
    let le = arch.is_little_endian();
    let half = |second_word: bool| {
        // On a little-endian machine the low word comes first.
        if second_word == le {
            Half::High
        } else {
            Half::Low
        }
    };
    match k {
        SECCOMP_DATA_NR => Field::Nr,
        SECCOMP_DATA_ARCH => Field::Arch,
        k if k % 4 == 0 && (SECCOMP_DATA_IP..SECCOMP_DATA_ARGS).contains(&k) => {
            Field::Ip(half(k % 8 == 4))
        }
        k if k % 4 == 0 && (SECCOMP_DATA_ARGS..SECCOMP_DATA_SIZE).contains(&k) => {
            let off = k - SECCOMP_DATA_ARGS;
            Field::Arg((off / 8) as u8, half(off % 8 == 4))
        }
        _ => Field::Unknown,
    }
}

/// The accumulator after `insn`, given what it held before.
fn step(arch: Arch, insn: SockFilter, before: Acc) -> Acc {
    let code = insn.code;
    match code & 0x07 {
        BPF_LD if code == LD_W_ABS => Acc {
            field: field_at(arch, insn.k),
            masked: false,
        },
        BPF_ALU if code == BPF_ALU | BPF_AND | BPF_K && before.field != Field::Unknown => Acc {
            masked: true,
            ..before
        },
        // Other loads into A, arithmetic, and `txa` replace what A held.
        BPF_LD | BPF_ALU => Acc::UNKNOWN,
        BPF_MISC if code == BPF_MISC | BPF_TXA => Acc::UNKNOWN,
        // `ldx`, stores, `tax`, jumps and returns leave A alone.
        _ => before,
    }
}

/// What the accumulator holds on entry to each instruction, for the first
/// [`BPF_MAXINSNS`] instructions (later ones: unknown).
pub struct Flow {
    at: [Option<Acc>; BPF_MAXINSNS],
}

impl Flow {
    /// Follows the accumulator through `prog` on `arch`.
    pub fn new(prog: &[SockFilter], arch: Arch) -> Flow {
        let mut at: [Option<Acc>; BPF_MAXINSNS] = [None; BPF_MAXINSNS];
        if !prog.is_empty() {
            at[0] = Some(Acc::UNKNOWN);
        }
        let len = prog.len().min(BPF_MAXINSNS);
        let join = |slot: &mut Option<Acc>, acc: Acc| {
            *slot = Some(match *slot {
                None => acc,
                Some(old) if old == acc => acc,
                Some(_) => Acc::UNKNOWN,
            });
        };
        for pc in 0..len {
            // Unreached instructions start from nothing known.
            let before = at[pc].unwrap_or(Acc::UNKNOWN);
            let insn = &prog[pc];
            let after = step(arch, *insn, before);
            let class = insn.code & 0x07;
            let mut send = |target: usize| {
                if target < len {
                    join(&mut at[target], after);
                }
            };
            if insn.code == BPF_JMP | BPF_JA {
                send(pc.saturating_add(1).saturating_add(insn.k as usize));
            } else if class == BPF_JMP {
                send(pc + 1 + insn.jt as usize);
                send(pc + 1 + insn.jf as usize);
            } else if class != BPF_RET {
                send(pc + 1);
            }
        }
        Flow { at }
    }

    /// What the accumulator holds when instruction `pc` starts.
    pub fn before(&self, pc: usize) -> Acc {
        self.at.get(pc).copied().flatten().unwrap_or(Acc::UNKNOWN)
    }
}

/// The instructions of `prog` for `arch`, one a line, with the header line
/// first; see the [module docs](self) for the format.
pub struct Disasm<'p, 'n> {
    prog: &'p [SockFilter],
    arch: Arch,
    names: &'n dyn Names,
}

impl<'p, 'n> Disasm<'p, 'n> {
    /// The disassembly of `prog`, a filter for `arch`, naming syscalls and
    /// errnos with `names`.
    pub fn new(prog: &'p [SockFilter], arch: Arch, names: &'n dyn Names) -> Self {
        Disasm { prog, arch, names }
    }
}

impl fmt::Display for Disasm<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flow = Flow::new(self.prog, self.arch);
        writeln!(f, " line  code  jt   jf      k")?;
        for (pc, insn) in self.prog.iter().enumerate() {
            let line = Line {
                pc,
                insn,
                acc: flow.before(pc),
                arch: self.arch,
                names: self.names,
            };
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

/// One instruction as a line of the disassembly (without the newline).
pub struct Line<'a> {
    /// Its index in the program.
    pub pc: usize,
    /// The instruction.
    pub insn: &'a SockFilter,
    /// What the accumulator holds when it starts (see [`Flow`]).
    pub acc: Acc,
    /// The program's architecture.
    pub arch: Arch,
    /// Names for the comment.
    pub names: &'a dyn Names,
}

/// Formats into a fixed buffer, so columns can be padded without allocating.
struct Buf {
    bytes: [u8; 96],
    len: usize,
}

impl Buf {
    fn new() -> Self {
        Buf {
            bytes: [0; 96],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        // Only whole `&str`s are copied in, so this never fails.
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl fmt::Write for Buf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > self.bytes.len() {
            return Err(fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = self.insn;
        write!(
            f,
            "{:04}:  0x{:02x} 0x{:02x} 0x{:02x} 0x{:08x}  ",
            self.pc, i.code, i.jt, i.jf, i.k
        )?;
        let mut text = Buf::new();
        self.instruction(&mut text)?;
        let mut comment = Buf::new();
        self.comment(&mut comment)?;
        if comment.len == 0 {
            f.write_str(text.as_str().trim_end())
        } else {
            write!(f, "{:<30}  ; {}", text.as_str(), comment.as_str())
        }
    }
}

const LD_W_ABS: u16 = BPF_LD | BPF_W | BPF_ABS;

impl Line<'_> {
    /// A jump target as a line number.
    fn target(&self, offset: usize) -> usize {
        self.pc.saturating_add(1).saturating_add(offset)
    }

    fn instruction(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        let i = self.insn;
        let (code, k) = (i.code, i.k);
        let src_x = code & BPF_X == BPF_X;
        match code & 0x07 {
            BPF_LD | BPF_LDX => {
                let reg = if code & 0x07 == BPF_LD { "ld" } else { "ldx" };
                match (code & 0x18, code & 0xe0) {
                    (BPF_W, BPF_ABS) => write!(w, "{reg:<4} [{k}]"),
                    (BPF_W, BPF_LEN) => write!(w, "{reg:<4} len"),
                    (_, BPF_IMM) => write!(w, "{reg:<4} #{k:#x}"),
                    (_, BPF_MEM) => write!(w, "{reg:<4} M[{k}]"),
                    _ => write!(w, "{reg:<4} ?"),
                }
            }
            BPF_ST => write!(w, "st   M[{k}]"),
            BPF_STX => write!(w, "stx  M[{k}]"),
            BPF_ALU => {
                let op = match code & 0xf0 {
                    BPF_ADD => "add",
                    BPF_SUB => "sub",
                    BPF_MUL => "mul",
                    BPF_DIV => "div",
                    BPF_OR => "or",
                    BPF_AND => "and",
                    BPF_LSH => "lsh",
                    BPF_RSH => "rsh",
                    BPF_NEG => return w.write_str("neg"),
                    BPF_MOD => "mod",
                    BPF_XOR => "xor",
                    _ => "alu?",
                };
                if src_x {
                    write!(w, "{op:<4} x")
                } else {
                    write!(w, "{op:<4} #{k:#x}")
                }
            }
            BPF_JMP => {
                let op = match code & 0xf0 {
                    BPF_JA => {
                        return write!(w, "ja   {:04}", self.target(k as usize));
                    }
                    BPF_JEQ => "jeq",
                    BPF_JGT => "jgt",
                    BPF_JGE => "jge",
                    BPF_JSET => "jset",
                    _ => "jmp?",
                };
                let (t, e) = (self.target(i.jt as usize), self.target(i.jf as usize));
                if src_x {
                    write!(w, "{op:<4} x{:<13}  {t:04}  {e:04}", "")
                } else if self.acc.field == Field::Nr && !self.acc.masked {
                    // Syscall numbers read best in decimal.
                    let mut v = Buf::new();
                    write!(v, "#{k}")?;
                    write!(w, "{op:<4} {:<14}  {t:04}  {e:04}", v.as_str())
                } else {
                    let mut v = Buf::new();
                    write!(v, "#{k:#x}")?;
                    write!(w, "{op:<4} {:<14}  {t:04}  {e:04}", v.as_str())
                }
            }
            BPF_RET => {
                if code & 0x18 == BPF_A {
                    w.write_str("ret  a")
                } else {
                    write!(w, "ret  #{k:#010x}")
                }
            }
            _ => match code {
                c if c == BPF_MISC | BPF_TAX => w.write_str("tax"),
                c if c == BPF_MISC | BPF_TXA => w.write_str("txa"),
                _ => w.write_str("???"),
            },
        }
    }

    fn comment(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        let i = self.insn;
        let (code, k) = (i.code, i.k);
        if code == LD_W_ABS {
            return match field_at(self.arch, k) {
                Field::Unknown => Ok(()),
                field => {
                    w.write_str("A = ")?;
                    write_field(w, field)
                }
            };
        }
        if code == BPF_RET | BPF_K {
            return self.action(w, k);
        }
        if code & 0x07 != BPF_JMP || code & BPF_X == BPF_X || code & 0xf0 == BPF_JA {
            return Ok(());
        }
        let op = match code & 0xf0 {
            BPF_JEQ => "==",
            BPF_JGT => ">",
            BPF_JGE => ">=",
            BPF_JSET => "&",
            _ => return Ok(()),
        };
        let acc = self.acc;
        match acc.field {
            Field::Unknown => Ok(()),
            Field::Nr if !acc.masked => {
                write!(w, "nr {op} {k}")?;
                match self.names.syscall(k) {
                    Some(name) => write!(w, " ({name})"),
                    None => Ok(()),
                }
            }
            Field::Arch if !acc.masked => {
                write!(w, "arch {op} {k:#x}")?;
                match Arch::from_audit_arch(k) {
                    Some(a) => write!(w, " ({})", a.name()),
                    None => Ok(()),
                }
            }
            field => {
                write_field(w, field)?;
                if acc.masked {
                    w.write_str(" (masked)")?;
                }
                write!(w, " {op} {k:#x}")
            }
        }
    }

    fn action(&self, w: &mut dyn fmt::Write, ret: u32) -> fmt::Result {
        match Action::from_ret(ret) {
            Some(Action::KillProcess) => w.write_str("KILL_PROCESS"),
            Some(Action::KillThread) => w.write_str("KILL_THREAD"),
            Some(Action::Trap) => w.write_str("TRAP"),
            Some(Action::Errno(e)) => {
                write!(w, "ERRNO({e})")?;
                match self.names.errno(e) {
                    Some(name) => write!(w, " {name}"),
                    None => Ok(()),
                }
            }
            Some(Action::Notify) => w.write_str("USER_NOTIF"),
            Some(Action::Log) => w.write_str("LOG"),
            Some(Action::Allow) => w.write_str("ALLOW"),
            None if ret & 0xffff_0000 == crate::bpf::SECCOMP_RET_TRACE => {
                write!(w, "TRACE({})", ret & 0xffff)
            }
            None => Ok(()),
        }
    }
}

fn write_field(w: &mut dyn fmt::Write, field: Field) -> fmt::Result {
    let half = |h: Half| match h {
        Half::Low => "low",
        Half::High => "high",
    };
    match field {
        Field::Unknown => Ok(()),
        Field::Nr => w.write_str("nr"),
        Field::Arch => w.write_str("arch"),
        Field::Ip(h) => write!(w, "instruction_pointer ({} word)", half(h)),
        Field::Arg(n, h) => write!(w, "args[{n}] ({} word)", half(h)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::build;
    use crate::rule::{ArgCmp, CmpOp, Rule, RuleSet, When};

    struct Table;
    impl Names for Table {
        fn syscall(&self, nr: u32) -> Option<&str> {
            match nr {
                0 => Some("read"),
                16 => Some("ioctl"),
                41 => Some("socket"),
                _ => None,
            }
        }
        fn errno(&self, errno: u16) -> Option<&str> {
            (errno == 1).then_some("EPERM")
        }
    }

    fn text(prog: &[SockFilter], arch: Arch) -> String {
        Disasm::new(prog, arch, &Table).to_string()
    }

    #[test]
    fn a_built_program_reads_as_its_rules() {
        const NOT_STI: [ArgCmp; 1] = [ArgCmp {
            arg: 1,
            bits: 32,
            op: CmpOp::Ne,
            value: 0x5412,
        }];
        const ALTS: [&[ArgCmp]; 1] = [&NOT_STI];
        let rules = [
            Rule {
                nr: 16,
                when: When::AnyOf(&ALTS),
                action: Action::Allow,
                order: 1,
            },
            Rule {
                nr: 41,
                when: When::Always,
                action: Action::Errno(1),
                order: 2,
            },
        ];
        let set = RuleSet {
            allow: &[0],
            rules: &rules,
        };
        let p = build::<64>(Arch::X86_64, &[set], Action::KillProcess).unwrap();
        let out = text(p.as_slice(), Arch::X86_64);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], " line  code  jt   jf      k");
        assert_eq!(lines.len(), p.len() + 1);
        assert!(lines[1].starts_with("0000:  0x20 0x00 0x00 0x00000004  ld   [4]"));
        assert!(lines[1].ends_with("; A = arch"), "{}", lines[1]);
        assert!(
            lines[2].ends_with("; arch == 0xc000003e (x86_64)"),
            "{}",
            lines[2]
        );
        assert!(lines[3].ends_with("; A = nr"), "{out}");
        assert!(out.contains("; nr >= 16 (ioctl)"), "{out}");
        assert!(out.contains("; nr >= 41 (socket)"), "{out}");
        assert!(out.contains("; A = args[1] (low word)"), "{out}");
        assert!(out.contains("; args[1] (low word) == 0x5412"), "{out}");
        assert!(out.contains("; ERRNO(1) EPERM"), "{out}");
        assert!(out.contains("; ALLOW"), "{out}");
        assert!(out.contains("; KILL_PROCESS"), "{out}");
        // Every conditional jump names both targets, which are lines of the program.
        for line in &lines[1..] {
            if line.contains(" jeq ") || line.contains(" jge ") {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let t: usize = fields[7].parse().unwrap();
                let e: usize = fields[8].parse().unwrap();
                assert!(t < p.len() && e < p.len(), "{line}");
            }
        }
    }

    #[test]
    fn arguments_follow_the_byte_order() {
        // args[0]'s first word is its low half on little-endian machines and
        // its high half on s390x.
        assert_eq!(field_at(Arch::X86_64, 16), Field::Arg(0, Half::Low));
        assert_eq!(field_at(Arch::X86_64, 20), Field::Arg(0, Half::High));
        assert_eq!(field_at(Arch::S390x, 16), Field::Arg(0, Half::High));
        assert_eq!(field_at(Arch::S390x, 60), Field::Arg(5, Half::Low));
        assert_eq!(field_at(Arch::X86_64, 8), Field::Ip(Half::Low));
        assert_eq!(field_at(Arch::X86_64, 2), Field::Unknown);
        assert_eq!(field_at(Arch::X86_64, 64), Field::Unknown);
    }

    #[test]
    fn paths_that_disagree_name_nothing() {
        let p = [
            SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
            SockFilter::stmt(LD_W_ABS, 0),
            SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, 41, 0, 0),
            SockFilter::stmt(BPF_RET | BPF_K, 0x7fff_0000),
        ];
        let flow = Flow::new(&p, Arch::X86_64);
        assert_eq!(flow.before(1).field, Field::Unknown);
        assert_eq!(
            flow.before(2).field,
            Field::Unknown,
            "one path skips the load"
        );
        let out = text(&p, Arch::X86_64);
        assert!(!out.contains("socket"), "{out}");
    }

    #[test]
    fn any_instruction_prints_without_panicking() {
        // Every opcode byte, odd offsets and jumps past the end.
        let mut prog = [SockFilter::default(); 256];
        for (c, insn) in prog.iter_mut().enumerate() {
            *insn = SockFilter::jump(c as u16, 0xffff_ffff, 255, 255);
        }
        let out = Disasm::new(&prog, Arch::S390x, &NoNames).to_string();
        assert_eq!(out.lines().count(), 257);
        let long = vec![SockFilter::stmt(LD_W_ABS, 0); BPF_MAXINSNS + 3];
        let out = Disasm::new(&long, Arch::X86_64, &NoNames).to_string();
        assert_eq!(out.lines().count(), BPF_MAXINSNS + 4);
        assert_eq!(
            Disasm::new(&[], Arch::X86_64, &NoNames)
                .to_string()
                .lines()
                .count(),
            1
        );
    }
}
