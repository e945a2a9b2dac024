//! Prints what the shipped policy compiles to: per-architecture numbers,
//! the names each architecture skips, and the base program's length.

use seccomp_policy::Arch;

seccomp_policy::seccomp_policy!("policy/seccomp.toml");

fn main() {
    println!(
        "policy: {} ({} caps: {})",
        POLICY.file,
        Cap::NAMES.len(),
        Cap::ALL
    );
    for (arch, base_program) in Arch::ALL.iter().zip(BASE_PROGRAMS.iter()) {
        let Some(tables) = POLICY.arch(*arch) else {
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
