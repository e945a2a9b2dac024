//! `cross-kernel`: the host side of `tools/cross-kernel/run`.
//!
//! ```text
//! cross-kernel prepare ARCH --probe FILE --out DIR [--caps all|some] [--wrong KIND]
//! cross-kernel compare ARCH --log FILE [--caps all|some] [--wrong KIND]
//! ```
//!
//! `prepare` writes `DIR/initramfs.cpio` (the probe as `/init` and the cases
//! in the guest's byte order); `compare` rebuilds the same plan, reads the
//! guest's console log and ends with `ARCH: N kernel verdicts, M
//! mismatches`, exiting 0 only when M is 0 and the guest's report is
//! complete. `--wrong swap-words|audit-arch` plants a deliberate mistake in
//! the programs under test (see `cross_kernel::Wrong`).

use std::path::PathBuf;
use std::process::ExitCode;

use seccomp_policy::Arch;
use seccomp_policy_suite::cross_kernel::{initramfs, CapSets, Plan, Report, Wrong};

seccomp_policy::seccomp_policy!("policy/seccomp.toml");

/// Mismatches printed one per line; the rest are counted per program.
const SHOWN: usize = 40;

struct Args {
    command: String,
    arch: Arch,
    probe: Option<PathBuf>,
    out: Option<PathBuf>,
    log: Option<PathBuf>,
    caps: CapSets,
    wrong: Option<Wrong>,
}

fn usage(why: &str) -> ExitCode {
    eprintln!("cross-kernel: {why}");
    eprintln!(
        "usage: cross-kernel prepare ARCH --probe FILE --out DIR [--caps all|some] [--wrong swap-words|audit-arch]\n       cross-kernel compare ARCH --log FILE [--caps all|some] [--wrong swap-words|audit-arch]"
    );
    ExitCode::from(2)
}

fn parse(argv: &[String]) -> Result<Args, String> {
    let [command, arch, rest @ ..] = argv else {
        return Err("a command and an architecture are needed".into());
    };
    let arch = Arch::from_name(arch).ok_or_else(|| format!("unknown architecture {arch:?}"))?;
    let mut a = Args {
        command: command.clone(),
        arch,
        probe: None,
        out: None,
        log: None,
        caps: CapSets::All,
        wrong: None,
    };
    let mut it = rest.iter();
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?
            .clone();
        match flag.as_str() {
            "--probe" => a.probe = Some(value.into()),
            "--out" => a.out = Some(value.into()),
            "--log" => a.log = Some(value.into()),
            "--caps" => {
                a.caps = CapSets::from_name(&value).ok_or(format!("--caps {value}?"))?;
            }
            "--wrong" => {
                a.wrong = Some(Wrong::from_name(&value).ok_or(format!("--wrong {value}?"))?);
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let a = match parse(&argv) {
        Ok(a) => a,
        Err(e) => return usage(&e),
    };
    let plan = Plan::new(a.arch, &POLICY, a.caps, a.wrong);
    let cases = plan.cases_file();
    match a.command.as_str() {
        "prepare" => {
            let (Some(probe), Some(out)) = (&a.probe, &a.out) else {
                return usage("prepare needs --probe and --out");
            };
            let probe = match std::fs::read(probe) {
                Ok(p) => p,
                Err(e) => return usage(&format!("{}: {e}", probe.display())),
            };
            let image = initramfs(&probe, &cases);
            let path = out.join("initramfs.cpio");
            if let Err(e) = std::fs::write(&path, image) {
                return usage(&format!("{}: {e}", path.display()));
            }
            println!(
                "{}: {} programs, {} cases ({} bytes), expected verdicts from {}{}",
                a.arch,
                plan.programs.len() - 1,
                plan.cases.len(),
                cases.len(),
                plan.reference,
                match a.wrong {
                    Some(w) => format!("; deliberately wrong programs: {w:?}"),
                    None => String::new(),
                }
            );
            ExitCode::SUCCESS
        }
        "compare" => {
            let Some(log) = &a.log else {
                return usage("compare needs --log");
            };
            let text = match std::fs::read(log) {
                Ok(t) => String::from_utf8_lossy(&t).into_owned(),
                Err(e) => return usage(&format!("{}: {e}", log.display())),
            };
            compare(&plan, &cases, &text)
        }
        other => usage(&format!("unknown command {other:?}")),
    }
}

fn compare(plan: &Plan, cases: &[u8], log: &str) -> ExitCode {
    let report = match Report::parse(log, cases) {
        Ok(r) => r,
        Err(e) => {
            println!("{}: the guest's report is incomplete: {e}", plan.arch);
            println!(
                "{}: 0 kernel verdicts, {} mismatches",
                plan.arch,
                plan.cases.len()
            );
            return ExitCode::FAILURE;
        }
    };
    if let Some(t) = &report.time {
        println!("guest: {t}");
    }
    let result = plan.compare(&report);
    for &(i, got) in result.mismatches.iter().take(SHOWN) {
        println!("mismatch: {}", plan.describe(i, got));
    }
    if result.mismatches.len() > SHOWN {
        let mut per_program = std::collections::BTreeMap::new();
        for &(i, _) in &result.mismatches {
            *per_program
                .entry(plan.cases[i].program as usize)
                .or_insert(0usize) += 1;
        }
        println!("... {} more; per program:", result.mismatches.len() - SHOWN);
        for (p, n) in per_program {
            println!("  {}: {n}", plan.programs[p].label);
        }
    }
    let denied = Plan::denied();
    let answered = plan.policy_answers();
    let all_answered = plan.cases.iter().filter(|c| c.expected != denied).count();
    // A mismatch where one side denied and the other did not.
    let only_reference = result
        .mismatches
        .iter()
        .filter(|&&(i, got)| plan.cases[i].expected != denied && got == denied)
        .count();
    let only_kernel = result
        .mismatches
        .iter()
        .filter(|&&(i, got)| plan.cases[i].expected == denied && got != denied)
        .count();
    println!(
        "{} programs; {all_answered} verdicts expected other than denied, {answered} of them \
         under the policy programs; expected verdicts from {}",
        plan.programs.len() - 1,
        plan.reference
    );
    println!(
        "mismatches: {only_reference} answered by the reference only, {only_kernel} answered by \
         the kernel only, {} other",
        result.mismatches.len() - only_reference - only_kernel
    );
    println!(
        "{}: {} kernel verdicts, {} mismatches",
        plan.arch,
        result.verdicts,
        result.mismatches.len()
    );
    if result.mismatches.is_empty() && result.verdicts == plan.cases.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
