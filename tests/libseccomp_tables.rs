//! Cross-check of the generated tables against libseccomp, an independent
//! table of the same facts (Debian's libseccomp 2.5.4). The tests link the
//! runtime library `libseccomp.so.2` by its file name, so they need Debian's
//! `libseccomp2` (present on a base system), not the `-dev` package.
//!
//! For every architecture libseccomp knows:
//! (a) every name in our table resolves to the same number, or libseccomp
//!     does not know it (it is newer than that libseccomp; listed, not a
//!     failure);
//! (b) every number libseccomp can name, over the architecture's range, is
//!     in our table under that name with that number;
//! (c) names we have on some other architecture but not on this one are
//!     ones libseccomp also lacks here (unknown, or a negative
//!     pseudo-number).
//!
//! Run with `--nocapture` to see the per-architecture counts.

use std::ffi::c_int;

use seccomp_policy::syscalls::number;
use seccomp_policy::Arch;
use seccomp_policy_compiler::tables::{all_names, ArchTable, ARCHES, SOURCE};
use seccomp_policy_suite::libseccomp::{
    known_arches, number_ranges, resolve_name, resolve_num, version, MIPS_N64_BASE, SCMP_ERROR,
};

/// Numbers to ask libseccomp about for `arch`, each range with the offset
/// to add to get the number our table should have: the suite's
/// `number_ranges`, and on MIPS n64 the same numbers below its base.
/// libseccomp's mips64 resolver subtracts `__NR_Linux` (5000) only when the
/// number is at least 5000 and otherwise looks the number up as it is, so
/// it also names 0..=1023 as if 5000 had been added.
fn ranges(arch: Arch) -> Vec<(std::ops::RangeInclusive<u32>, u32)> {
    let mut v: Vec<_> = number_ranges(arch).into_iter().map(|r| (r, 0)).collect();
    if arch == Arch::Mips64el {
        v.extend(number_ranges(arch).into_iter().map(|r| {
            (
                r.start() - MIPS_N64_BASE..=r.end() - MIPS_N64_BASE,
                MIPS_N64_BASE,
            )
        }));
    }
    v
}

/// Whether libseccomp's `answer` for `name` is the pseudo-number of a
/// call that can also be reached through the socketcall(2) or ipc(2)
/// multiplexer (`__PNR_socket` = -101 ... `__PNR_sendmmsg` = -120,
/// `__PNR_semop` = -201 ... `__PNR_shmctl` = -224 in seccomp-syscalls.h).
/// On x86, ppc64le and s390x libseccomp resolves such names to the pseudo
/// number so that a rule covers both entry points; its own number for the
/// direct call is then checked through `seccomp_syscall_resolve_num_arch`.
fn multiplexed(arch: Arch, answer: c_int) -> bool {
    matches!(arch, Arch::X86 | Arch::Ppc64le | Arch::S390x)
        && ((-120..=-101).contains(&answer) || (-224..=-201).contains(&answer))
}

/// Names whose libseccomp answer differs from ours for a documented reason:
/// (arch, name, libseccomp's answer).
const EXPLAINED: &[(Arch, &str, c_int)] = &[
    // <asm/unistd.h> on arm defines __NR_sync_file_range2 as an alias of
    // __NR_arm_sync_file_range (341); libseccomp names 341 only
    // arm_sync_file_range and gives sync_file_range2 its pseudo-number.
    (Arch::Arm, "sync_file_range2", -10089),
];

fn explained(arch: Arch, name: &str, answer: c_int) -> bool {
    EXPLAINED.contains(&(arch, name, answer))
}

struct Report {
    compared: usize,
    agreed: usize,
    /// Of `agreed`: multiplexed calls, agreed through the number.
    multiplexed: usize,
    /// Names of other architectures, absent here on both sides.
    absent: usize,
    newer: Vec<&'static str>,
    failures: Vec<String>,
}

fn check_arch(table: &ArchTable, token: u32, every_name: &[&'static str]) -> Report {
    let arch = table.arch;
    let mut rep = Report {
        compared: 0,
        agreed: 0,
        multiplexed: 0,
        absent: 0,
        newer: Vec::new(),
        failures: Vec::new(),
    };

    // (a) our names, forward.
    for (name, nr) in table.syscalls {
        rep.compared += 1;
        let got = resolve_name(token, name);
        if got >= 0 && got as u32 == nr {
            rep.agreed += 1;
        } else if multiplexed(arch, got) && resolve_num(token, nr).as_deref() == Some(name) {
            rep.agreed += 1;
            rep.multiplexed += 1;
        } else if got == SCMP_ERROR {
            rep.newer.push(name);
        } else if explained(arch, name, got) {
            println!("{arch}: {name} = {nr} here; libseccomp says {got} (documented alias)");
        } else {
            rep.failures.push(format!(
                "{arch}: {name} is {nr} in our table, libseccomp says {got}"
            ));
        }
    }

    // (b) libseccomp's numbers, backward.
    for (range, offset) in ranges(arch) {
        for nr in range {
            if let Some(name) = resolve_num(token, nr) {
                match number(table.arch, &name) {
                    Some(ours) if ours == nr + offset => {}
                    other => rep.failures.push(format!(
                        "{arch}: libseccomp names {} {name:?}; our table has {other:?}",
                        nr + offset
                    )),
                }
            }
        }
    }

    // (c) names absent here must be absent in libseccomp too.
    for &name in every_name {
        if number(table.arch, name).is_some() {
            continue;
        }
        rep.absent += 1;
        let got = resolve_name(token, name);
        if got >= 0 {
            rep.failures.push(format!(
                "{arch}: {name} is not in our table, libseccomp says {got}"
            ));
        }
    }
    rep
}

#[test]
fn tables_agree_with_libseccomp() {
    let ver = version();
    let every_name = all_names();
    let mut failures = Vec::new();
    println!("libseccomp {ver}; {SOURCE}");
    let known = known_arches();
    for table in ARCHES {
        let Some(&(_, token)) = known.iter().find(|(a, _)| *a == table.arch) else {
            println!(
                "{:12} not compared: unknown to libseccomp {ver}",
                table.arch
            );
            continue;
        };
        let rep = check_arch(table, token, every_name);
        println!(
            "{:12} compared {:4}  agreed {:4} (multiplexed {:2})  absent on both sides {:3}  \
             newer than libseccomp {ver}: {:2} {:?}",
            table.arch,
            rep.compared,
            rep.agreed,
            rep.multiplexed,
            rep.absent,
            rep.newer.len(),
            rep.newer
        );
        failures.extend(rep.failures);
    }
    assert!(
        failures.is_empty(),
        "{} mismatches with libseccomp {ver}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every number of our tables lies in the suite's `number_ranges`, so the
/// sweeps of the verdict and differential tests and the backward check
/// above reach every call.
#[test]
fn number_ranges_cover_every_table() {
    for table in ARCHES {
        let ranges = number_ranges(table.arch);
        let outside: Vec<_> = table
            .syscalls
            .iter()
            .filter(|(_, nr)| !ranges.iter().any(|r| r.contains(nr)))
            .collect();
        assert!(
            outside.is_empty(),
            "{}: outside {ranges:?}: {outside:?}",
            table.arch
        );
    }
}

#[test]
fn audit_arch_agrees_with_libseccomp() {
    let known = known_arches();
    assert!(!known.is_empty());
    for (arch, token) in known {
        assert_eq!(
            token,
            arch.audit_arch(),
            "{arch}: libseccomp {token:#x}, ours {:#x}",
            arch.audit_arch()
        );
    }
}
