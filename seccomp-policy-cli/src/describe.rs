//! Words for what a policy holds: actions, conditions, rules and names.

use std::collections::BTreeMap;

use seccomp_policy_compiler::lower::LoweredRule;
use seccomp_policy_compiler::model::Loc;
use seccomp_policy_compiler::Compiled;
use seccomp_policy_core::disasm::Names;
use seccomp_policy_core::rule::{Action, ArgCmp, CmpOp};
use seccomp_policy_core::{errno, syscalls, Arch};

/// An action as the policy file spells it, with an errno's number.
pub fn action(arch: Arch, a: Action) -> String {
    match a {
        Action::Errno(n) => match errno::name(arch, n) {
            Some(name) => format!("{name} ({n})"),
            None => format!("errno {n}"),
        },
        // Every other action has its keyword.
        _ => a.keyword().unwrap_or_default().to_owned(),
    }
}

/// One comparison by argument slot; `(u32)argN` where only the low 32 bits
/// of a 64-bit register count.
pub fn cmp(arch: Arch, c: &ArgCmp) -> String {
    let a = if c.bits < 64 && arch.is_64bit() {
        format!("(u32)arg{}", c.arg)
    } else {
        format!("arg{}", c.arg)
    };
    let v = c.value;
    match c.op {
        CmpOp::Eq => format!("{a} == {v:#x}"),
        CmpOp::Ne => format!("{a} != {v:#x}"),
        CmpOp::Lt => format!("{a} < {v:#x}"),
        CmpOp::Le => format!("{a} <= {v:#x}"),
        CmpOp::Gt => format!("{a} > {v:#x}"),
        CmpOp::Ge => format!("{a} >= {v:#x}"),
        CmpOp::MaskedEq(m) => format!("{a} & {m:#x} == {v:#x}"),
        CmpOp::MaskedNe(m) if v == 0 => format!("{a} & {m:#x}"),
        CmpOp::MaskedNe(m) => format!("{a} & {m:#x} != {v:#x}"),
    }
}

/// A condition in disjunctive normal form.
pub fn when(arch: Arch, alts: &[Vec<ArgCmp>]) -> String {
    let parts: Vec<String> = alts
        .iter()
        .map(|conj| {
            let inner: Vec<String> = conj.iter().map(|c| cmp(arch, c)).collect();
            let text = inner.join(" && ");
            if alts.len() > 1 && conj.len() > 1 {
                format!("({text})")
            } else {
                text
            }
        })
        .collect();
    parts.join(" || ")
}

/// What a lowered rule does: `allow if ...`, `EPERM (1)`, `EPERM (1) if ...`.
pub fn rule(arch: Arch, r: &LoweredRule) -> String {
    let what = action(arch, r.action);
    match &r.when {
        None => what,
        Some(alts) => format!("{what} if {}", when(arch, alts)),
    }
}

/// The rule strings of the file by where they are written.
pub fn rule_texts(compiled: &Compiled) -> BTreeMap<Loc, String> {
    let mut texts = BTreeMap::new();
    for (_, table) in compiled.policy.tables() {
        for r in &table.allow {
            texts.insert(r.loc, r.source.clone());
        }
        for a in &table.actions {
            texts.insert(a.rule.loc, a.rule.source.clone());
        }
    }
    texts
}

/// Syscall and errno names of one architecture, for the disassembler.
pub struct ArchNames(pub Arch);

impl Names for ArchNames {
    fn syscall(&self, nr: u32) -> Option<&str> {
        syscalls::name(self.0, nr)
    }

    fn errno(&self, errno: u16) -> Option<&str> {
        errno::name(self.0, errno)
    }
}

/// Numbers as their names, wrapped at about 80 columns after `indent`.
pub fn number_list(arch: Arch, numbers: &[u32], indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for nr in numbers {
        let item = match syscalls::name(arch, *nr) {
            Some(name) => format!("{name} ({nr})"),
            None => nr.to_string(),
        };
        if !line.is_empty() && indent.len() + line.len() + item.len() + 2 > 80 {
            out.push_str(indent);
            out.push_str(&line);
            out.push_str(",\n");
            line.clear();
        }
        if !line.is_empty() {
            line.push_str(", ");
        }
        line.push_str(&item);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(action(Arch::X86_64, Action::Errno(1)), "EPERM (1)");
        assert_eq!(action(Arch::Mips64el, Action::Errno(89)), "ENOSYS (89)");
        assert_eq!(action(Arch::X86_64, Action::Errno(4000)), "errno 4000");
        let c = |arg, bits, op, value| ArgCmp {
            arg,
            bits,
            op,
            value,
        };
        let alts = vec![
            vec![c(1, 32, CmpOp::Ne, 0x5412), c(1, 32, CmpOp::Ne, 0x541c)],
            vec![c(0, 64, CmpOp::MaskedNe(0x10000), 0)],
        ];
        assert_eq!(
            when(Arch::X86_64, &alts),
            "((u32)arg1 != 0x5412 && (u32)arg1 != 0x541c) || arg0 & 0x10000"
        );
        assert_eq!(cmp(Arch::Arm, &alts[0][0]), "arg1 != 0x5412");
        let list = number_list(Arch::X86_64, &[0, 1, 100_000], "  ");
        assert_eq!(list, "  read (0), write (1), 100000\n");
    }
}
