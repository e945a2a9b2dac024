//! Prints what the shipped policy compiles to: per-architecture numbers,
//! the names each architecture skips, and the base program's length.
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
            "{:<12} base: {:>3} numbers, program {:>3} instructions; skipped here: {}",
            arch.name(),
            tables.base.len(),
            base_program.len(),
            if tables.missing.is_empty() {
                "none".to_string()
            } else {
                tables.missing.join(", ")
            }
        );
    }
}
