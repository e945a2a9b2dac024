//! Prints what the shipped policy compiles to: per architecture, how many
//! numbers `[base]` allows outright and how many rules it has with
//! conditions or actions, the names that architecture skips, and the base
//! program's length.
//! (`BaseProgram::X86_64` and its siblings hold the same programs as consts.)

use seccomp_policy::Arch;

seccomp_policy::seccomp_policy!("policy/seccomp.toml");

fn main() {
    println!(
        "policy: {} ({} caps: {})",
        POLICY.file,
        Cap::NAMES.len(),
        Cap::ALL
    );
    for arch in Arch::ALL {
        let Some(tables) = POLICY.arch(arch) else {
            continue;
        };
        let Ok(base_program) = program(arch, Cap::NONE) else {
            continue;
        };
        println!(
            "{:<12} base: {:>3} numbers, {:>2} rules; program {:>3} instructions; skipped here: {}",
            arch.name(),
            tables.base.allow.len(),
            tables.base.rules.len(),
            base_program.len(),
            if tables.missing.is_empty() {
                "none".to_string()
            } else {
                tables.missing.join(", ")
            }
        );
    }
}
