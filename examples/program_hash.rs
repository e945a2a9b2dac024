//! Prints a hash over every program of the policies in this tree, and one
//! over what the name tables answer, so that a change meant to leave both
//! alone (a refactor of the builder, of the front end or of the generated
//! tables) can be checked to: run it before and after and compare.
//!
//! `cargo run --release --example program_hash [FILE.toml ...]`; without
//! files, every `.toml` under `policy/`, `examples/`, `tests/` and
//! `seccomp-policy-cli/tests/` (files that are not policies, or not valid
//! ones, count with their rendered diagnostics).
//!
//! Programs: for each file, architecture, cap set (every subset of the first
//! eight caps), with and without the spawn path's execve, the default and
//! `Action::Errno(1)` as the default, the program's instructions. Tables:
//! on every architecture, each syscall name's number and each number's name
//! (0 to 1023 and arm's private block), each errno both ways, each
//! constant's value and each syscall's parameters. Both hashes are FNV-1a,
//! 64 bits, so they do not depend on the standard library's hasher.

use std::path::{Path, PathBuf};

use seccomp_policy::bpf::BPF_MAXINSNS;
use seccomp_policy::policy::spawn_rules;
use seccomp_policy::rule::RuleSet;
use seccomp_policy::{errno, syscalls, Action, Arch};
use seccomp_policy_compiler::{compile_file, tables};

/// FNV-1a over everything written to it.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn line(&mut self, s: &str) {
        self.write(s.as_bytes());
        self.write(b"\n");
    }
}

fn policies(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            policies(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml")
            && p.file_name().is_some_and(|n| n != "Cargo.toml")
        {
            out.push(p);
        }
    }
}

fn program_hash(files: &[PathBuf]) -> (u64, usize) {
    let mut h = Fnv::new();
    let mut programs = 0;
    for file in files {
        let display = file.display().to_string();
        h.line(&display);
        let compiled = compile_file(file, &display);
        let compiled = match compiled.result {
            Ok(c) => c,
            Err(diags) => {
                for d in diags {
                    h.line(&d.render(&display));
                }
                continue;
            }
        };
        for rules in &compiled.arches {
            h.line(rules.arch.name());
            let n = rules.caps.len().min(8);
            for caps in 0..(1u64 << n) {
                for extra in [RuleSet::EMPTY, spawn_rules(rules.arch)] {
                    for default in [rules.default, Action::Errno(1)] {
                        let prog = rules.with_policy(|p| {
                            p.program::<BPF_MAXINSNS>(caps, extra, default)
                                .map(|prog| prog.as_slice().to_vec())
                        });
                        match prog {
                            Ok(prog) => {
                                programs += 1;
                                for i in prog {
                                    h.write(&i.code.to_le_bytes());
                                    h.write(&[i.jt, i.jf]);
                                    h.write(&i.k.to_le_bytes());
                                }
                            }
                            Err(e) => h.line(&format!("{caps} {e}")),
                        }
                        h.write(b"|");
                    }
                }
            }
        }
    }
    (h.0, programs)
}

fn tables_hash() -> u64 {
    let mut h = Fnv::new();
    // Written so that it reads the tables whether their rows are tuples or
    // references to them.
    let mut constant_names: Vec<&str> = Vec::new();
    let mut errno_names: Vec<&str> = Vec::new();
    for t in tables::ARCHES {
        constant_names.extend(t.constants.iter().map(|e| e.0));
        errno_names.extend(t.errnos.iter().map(|e| e.0));
    }
    for names in [&mut constant_names, &mut errno_names] {
        names.sort_unstable();
        names.dedup();
    }
    for arch in Arch::ALL {
        h.line(arch.name());
        for name in tables::all_names() {
            h.line(&format!("{name} {:?}", syscalls::number(arch, name)));
            match tables::signature(arch, name) {
                Some(params) => {
                    for p in params {
                        h.line(&format!("{p:?}"));
                    }
                }
                None => h.line("no signature"),
            }
        }
        for nr in (0..1024).chain(0x0f_0000..0x0f_0010) {
            h.line(&format!("{nr} {:?}", syscalls::name(arch, nr)));
        }
        for &name in &errno_names {
            h.line(&format!("{name} {:?}", errno::number(arch, name)));
        }
        for n in 0..2048 {
            h.line(&format!("{n} {:?}", errno::name(arch, n)));
        }
        for &name in &constant_names {
            h.line(&format!("{name} {:?}", tables::constant(arch, name)));
        }
    }
    h.0
}

fn main() {
    let mut files: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if files.is_empty() {
        for dir in ["policy", "examples", "tests", "seccomp-policy-cli/tests"] {
            policies(Path::new(dir), &mut files);
        }
    }
    files.sort();
    let (programs, count) = program_hash(&files);
    println!(
        "programs: {programs:016x} ({count} programs of {} files)",
        files.len()
    );
    println!("tables:   {:016x}", tables_hash());
}
