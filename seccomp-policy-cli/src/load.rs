//! Reading the policy a subcommand names, and what several subcommands
//! make of it: the cap mask of `--cap`, the architecture of `--arch`, a
//! program, its bytes.

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::Path;

use seccomp_policy_compiler::diag::{Diagnostic, Severity};
use seccomp_policy_compiler::lower::ArchRules;
use seccomp_policy_compiler::{
    compile_file_for, compile_for, source, suggest, Compiled, CompiledFile,
};
use seccomp_policy_core::bpf::{SockFilter, BPF_MAXINSNS};
use seccomp_policy_core::policy::{cap_bit, spawn_rules};
use seccomp_policy_core::rule::RuleSet;
use seccomp_policy_core::text::quoted;
use seccomp_policy_core::Arch;

use crate::args::{Format, Options, Sub};
use crate::outcome::Failure;
use crate::output::{err, failed, out, plural, usage};
use crate::render;

/// The name standard input goes by in messages (`check -`).
pub const STDIN: &str = "<stdin>";

/// The file's text (lossy where it is not UTF-8, for snippets) and what
/// the front end made of it: the compiler's reading, bounded and only of a
/// regular file; `-` reads standard input, as far as the same bound.
pub fn front_end(file: &str) -> CompiledFile {
    front_end_for(file, &Arch::ALL)
}

/// [`front_end`], lowered and built on `arches` only (the whole file is
/// still checked, and errors are those `check` reports): what `run` and
/// `learn`, which run the policy on this machine alone, read.
pub fn front_end_for(file: &str, arches: &[Arch]) -> CompiledFile {
    if file != "-" {
        return compile_file_for(Path::new(file), file, arches);
    }
    let mut bytes = Vec::new();
    let read = std::io::stdin()
        .lock()
        .take(source::MAX_POLICY_BYTES + 1)
        .read_to_end(&mut bytes);
    let cannot = |why: String| CompiledFile {
        source: String::new(),
        result: Err(vec![Diagnostic::whole_file(format!(
            "cannot read the policy from standard input: {why}"
        ))
        .with_code(seccomp_policy_compiler::diag::Code::CannotRead)]),
    };
    if let Err(e) = read {
        return cannot(e.to_string());
    }
    if bytes.len() as u64 > source::MAX_POLICY_BYTES {
        return cannot(format!(
            "it is more than the {} bytes a policy may have",
            source::MAX_POLICY_BYTES
        ));
    }
    match source::policy_text(bytes) {
        Ok(text) => {
            let result = compile_for(&text, arches);
            CompiledFile {
                source: text,
                result,
            }
        }
        Err((diag, lossy)) => CompiledFile {
            result: Err(vec![diag.with_ends(&lossy)]),
            source: lossy,
        },
    }
}

/// The name a file goes by in messages: `<stdin>` for `-`.
pub fn display_name(file: &str) -> &str {
    if file == "-" {
        STDIN
    } else {
        file
    }
}

/// Reports the front end's errors in `format` and fails.
pub fn report_errors(format: Format, file: &str, source: &str, diags: &[Diagnostic]) -> Failure {
    let file = display_name(file);
    let items: Vec<render::Item<'_>> = diags
        .iter()
        .map(|d| (Severity::Error, d.code.as_str().to_owned(), d))
        .collect();
    match format {
        Format::Json => {
            if let Err(e) = out(&render::json(file, source, &items)) {
                return Failure::Failed(e);
            }
        }
        Format::Short => err(&render::all(format, file, source, &items)),
        _ => {
            let mut text = render::all(format, file, source, &items);
            let _ = writeln!(
                text,
                "{}: aborting due to {}",
                render::error_word(),
                plural(diags.len(), "previous error")
            );
            err(&text);
        }
    }
    Failure::Failed(None)
}

/// The compiled policy, or its errors printed like `check` prints them.
pub fn load(o: &Options) -> Result<Compiled, Failure> {
    load_for(o, &Arch::ALL)
}

/// [`load`], lowered and built on `arches` only (see [`front_end_for`]).
pub fn load_for(o: &Options, arches: &[Arch]) -> Result<Compiled, Failure> {
    let fe = front_end_for(&o.file, arches);
    fe.result
        .map_err(|diags| report_errors(Format::Human, &o.file, &fe.source, &diags))
}

/// The one architecture asked for, or this machine's.
pub fn one_arch(sub: Sub, o: &Options) -> Result<Arch, Failure> {
    match (o.arches.first(), Arch::NATIVE) {
        (Some(a), _) => Ok(*a),
        (None, Some(a)) => Ok(a),
        (None, None) => Err(usage(
            sub,
            "this machine's architecture is not supported: give `--arch`",
        )),
    }
}

pub fn arch_rules(compiled: &Compiled, arch: Arch) -> Result<&ArchRules, Failure> {
    compiled
        .arches
        .iter()
        .find(|a| a.arch == arch)
        .ok_or_else(|| failed(format!("error: the policy was not lowered for {arch}")))
}

/// The cap mask of the names given.
pub fn cap_bits(sub: Sub, compiled: &Compiled, names: &[String]) -> Result<u64, Failure> {
    let known: Vec<&str> = compiled
        .policy
        .caps
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let mut bits = 0u64;
    for name in names {
        match known.iter().position(|k| k == name).and_then(cap_bit) {
            Some(bit) => bits |= bit,
            _ => {
                let hint = match suggest::did_you_mean(name, known.iter().copied()) {
                    Some(good) => format!("; did you mean `{good}`?"),
                    None => String::new(),
                };
                let list = if known.is_empty() {
                    "the policy defines none".to_owned()
                } else {
                    format!("known: {}", known.join(", "))
                };
                return Err(usage(
                    sub,
                    format!("unknown capability {} ({list}){hint}", quoted(name)),
                ));
            }
        }
    }
    Ok(bits)
}

/// The program of `arch` for `caps`, as the macro's `program` builds it
/// (with execve added when asked, as the sandbox's spawn path does).
pub fn program(
    rules: &ArchRules,
    caps: u64,
    allow_execve: bool,
) -> Result<Vec<SockFilter>, Failure> {
    let extra = if allow_execve {
        spawn_rules(rules.arch)
    } else {
        RuleSet::EMPTY
    };
    rules
        .with_policy(|p| {
            p.program::<BPF_MAXINSNS>(caps, extra, p.default)
                .map(|prog| prog.as_slice().to_vec())
        })
        .map_err(|e| {
            failed(format!(
                "error: cannot build the {} program: {e}",
                rules.arch
            ))
        })
}

/// The instructions as the kernel's `struct sock_filter` array, in the
/// architecture's byte order.
pub fn bpf_bytes(arch: Arch, prog: &[SockFilter]) -> Vec<u8> {
    let le = arch.is_little_endian();
    let mut bytes = Vec::with_capacity(prog.len() * 8);
    for i in prog {
        if le {
            bytes.extend(i.code.to_le_bytes());
        } else {
            bytes.extend(i.code.to_be_bytes());
        }
        bytes.push(i.jt);
        bytes.push(i.jf);
        if le {
            bytes.extend(i.k.to_le_bytes());
        } else {
            bytes.extend(i.k.to_be_bytes());
        }
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bpf_bytes_follow_the_byte_order() {
        let p = [SockFilter::jump(0x15, 0xc000_003e, 1, 2)];
        assert_eq!(
            bpf_bytes(Arch::X86_64, &p),
            [0x15, 0, 1, 2, 0x3e, 0, 0, 0xc0]
        );
        assert_eq!(
            bpf_bytes(Arch::S390x, &p),
            [0, 0x15, 1, 2, 0xc0, 0, 0, 0x3e]
        );
    }
}
