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

use seccomp_policy::Arch;
use seccomp_policy_compiler::tables::{all_names, lookup, ArchTable, ARCHES, SOURCE};
use seccomp_policy_suite::libseccomp::{
    arch_token, resolve_name, resolve_num, version, SCMP_ERROR,
};

/// Numbers to ask libseccomp about for `arch`, each range with the offset
/// to add to get the number our table should have.
fn ranges(arch: Arch) -> Vec<(std::ops::RangeInclusive<u32>, u32)> {
    match arch {
        // n64 numbers start at __NR_Linux = 5000. libseccomp's mips64
        // resolver subtracts that base only when the number is at least
        // 5000 and otherwise looks the number up as it is, so it also
        // names 0..=1100 as if 5000 had been added.
        Arch::Mips64el => vec![(0..=1100, 5000), (5000..=5500, 0)],
        // ARM-private calls, from __ARM_NR_BASE = 0x0f0000.
        Arch::Arm => vec![(0..=1100, 0), (0x0f_0000..=0x0f_0010, 0)],
        _ => vec![(0..=1100, 0)],
    }
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
    for &(name, nr) in table.syscalls {
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
                match lookup(table, &name) {
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
        if lookup(table, name).is_some() {
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
    let mut skipped = Vec::new();
    println!("libseccomp {ver}; {SOURCE}");
    for table in ARCHES {
        let Some(token) = arch_token(table.arch) else {
            println!("{:12} skipped: unknown to libseccomp {ver}", table.arch);
            skipped.push(table.arch);
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
    // libseccomp 2.5.x has no LoongArch support (added in 2.6.0); any other
    // skip means a name mismatch between our arch names and libseccomp's.
    for s in &skipped {
        assert!(
            *s == Arch::Loongarch64,
            "libseccomp {ver} does not know the arch {s:?}"
        );
    }
    assert!(
        failures.is_empty(),
        "{} mismatches with libseccomp {ver}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn audit_arch_agrees_with_libseccomp() {
    for table in ARCHES {
        match arch_token(table.arch) {
            Some(token) => assert_eq!(
                token,
                table.arch.audit_arch(),
                "{}: libseccomp {:#x}, ours {:#x}",
                table.arch,
                token,
                table.arch.audit_arch()
            ),
            None => println!(
                "{}: skipped, unknown to libseccomp {}",
                table.arch,
                version()
            ),
        }
    }
}
