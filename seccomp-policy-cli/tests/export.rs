//! `export` against the macro and libseccomp.
//!
//! - `--format bpf`: for every architecture and several cap sets, the
//!   exported bytes, read back in the architecture's byte order, are the
//!   instructions of the macro's `program(arch, caps)`; with
//!   `--allow-execve`, those of the spawn path's program.
//! - `--format oci`: the profile, read with serde_json and loaded into
//!   libseccomp as runc loads it, gives the verdict of the macro's program
//!   with `execve` and `execveat` added (which every profile allows: the
//!   runtime execs the container's program after it loads the profile)
//!   for every number of the architecture's sweep (arguments zero), and
//!   for every conditioned number at argument values around each constant
//!   the rules compare with, high bits set included. Both programs run in
//!   `sim`.

mod common;

use std::collections::BTreeMap;

use seccomp_policy::policy::ArchPolicy;
use seccomp_policy::rule::{RuleSet, When};
use seccomp_policy::sim::{run as sim_run, SeccompData};
use seccomp_policy::{Arch, SockFilter};
use seccomp_policy_suite::libseccomp::{self, OciArg, OciSyscall};

use common::run;

seccomp_policy::seccomp_policy!("../policy/seccomp.toml");

/// The macro's program for `caps` with the runtime's exec allowed, as
/// every exported profile allows it.
fn with_runtime_exec(policy: &ArchPolicy<'_>, caps: u64) -> Vec<SockFilter> {
    let mut exec: Vec<u32> = ["execve", "execveat"]
        .iter()
        .filter_map(|n| seccomp_policy::syscalls::number(policy.arch, n))
        .collect();
    exec.sort_unstable();
    let program: PolicyProgram = policy
        .program(
            caps,
            RuleSet {
                allow: &exec,
                rules: &[],
            },
            policy.default,
        )
        .unwrap();
    program.as_slice().to_vec()
}

/// Cap sets tried: none, each alone, a few pairs, all.
fn cap_sets() -> Vec<Cap> {
    let mut sets = vec![
        Cap::NONE,
        Cap::ALL,
        Cap::SSRF | Cap::FILE_IO,
        Cap::CODE_EXEC | Cap::SQL_QUERY,
    ];
    for name in Cap::NAMES {
        sets.push(Cap::from_name(name).unwrap());
    }
    sets
}

fn cap_arg(caps: Cap) -> String {
    caps.names().collect::<Vec<_>>().join(",")
}

fn parse_bpf(arch: Arch, bytes: &[u8]) -> Vec<SockFilter> {
    assert_eq!(bytes.len() % 8, 0);
    let le = arch.is_little_endian();
    bytes
        .chunks_exact(8)
        .map(|c| {
            let code = [c[0], c[1]];
            let k = [c[4], c[5], c[6], c[7]];
            SockFilter {
                code: if le {
                    u16::from_le_bytes(code)
                } else {
                    u16::from_be_bytes(code)
                },
                jt: c[2],
                jf: c[3],
                k: if le {
                    u32::from_le_bytes(k)
                } else {
                    u32::from_be_bytes(k)
                },
            }
        })
        .collect()
}

fn export(args: &[&str]) -> Vec<u8> {
    let r = run(args);
    assert_eq!(r.code, Some(0), "{args:?}: {}", r.stderr);
    r.stdout
}

#[test]
fn bpf_export_is_the_macros_program() {
    let mut compared = 0;
    for arch in Arch::ALL {
        for caps in cap_sets() {
            let mut args = vec![
                "export",
                "policy/seccomp.toml",
                "--format",
                "bpf",
                "--arch",
                arch.name(),
            ];
            let caps_text = cap_arg(caps);
            if !caps_text.is_empty() {
                args.extend(["--cap", caps_text.as_str()]);
            }
            let got = parse_bpf(arch, &export(&args));
            let want = program(arch, caps).unwrap();
            assert_eq!(got, want.as_slice(), "{arch} caps {caps}");
            // With execve added, as the spawn path builds it.
            args.push("--allow-execve");
            let got = parse_bpf(arch, &export(&args));
            let execve = syscall_number(arch, "execve");
            let extra = [execve];
            let policy = POLICY.arch(arch).unwrap();
            let want: PolicyProgram = policy
                .program(
                    caps.bits(),
                    RuleSet {
                        allow: &extra,
                        rules: &[],
                    },
                    policy.default,
                )
                .unwrap();
            assert_eq!(got, want.as_slice(), "{arch} caps {caps} --allow-execve");
            compared += 2;
        }
    }
    // The native spawn program is what CommandExt::sandbox installs.
    let native = Arch::NATIVE.unwrap();
    let got = parse_bpf(
        native,
        &export(&[
            "export",
            "policy/seccomp.toml",
            "--format",
            "bpf",
            "--cap",
            "SSRF",
            "--allow-execve",
        ]),
    );
    let want: PolicyProgram = seccomp_policy::spawn::spawn_program(
        &POLICY,
        Cap::SSRF.bits(),
        POLICY.native().unwrap().default,
    )
    .unwrap();
    assert_eq!(got, want.as_slice());
    println!("{compared} exported programs byte-identical to the macro's");
}

/// The number of `name` on `arch`, by the macro's own table.
fn syscall_number(arch: Arch, name: &str) -> u32 {
    (0..0x10_0000)
        .find(|nr| syscall_name(arch, *nr) == Some(name))
        .unwrap_or_else(|| panic!("{name} on {arch}"))
}

/// The profile's entries, read with serde_json.
fn read_profile(json: &[u8]) -> (String, Option<u32>, Vec<String>, Vec<OciSyscall>) {
    let v: serde_json::Value = serde_json::from_slice(json).expect("the profile is JSON");
    let default = v["defaultAction"].as_str().unwrap().to_owned();
    let default_errno = v["defaultErrnoRet"].as_u64().map(|n| n as u32);
    let arches = v["architectures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    let syscalls = v["syscalls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| OciSyscall {
            names: s["names"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap().to_owned())
                .collect(),
            action: s["action"].as_str().unwrap().to_owned(),
            errno_ret: s["errnoRet"].as_u64().map(|n| n as u32),
            args: s["args"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|c| OciArg {
                            index: c["index"].as_u64().unwrap() as u32,
                            value: c["value"].as_u64().unwrap(),
                            value_two: c["valueTwo"].as_u64().unwrap(),
                            op: c["op"].as_str().unwrap().to_owned(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    (default, default_errno, arches, syscalls)
}

/// Argument vectors to try for a number with conditioned rules: zero, and
/// each compared constant, one off it, and with high bits set, in each
/// compared slot.
fn probes(policy: &ArchPolicy<'_>, nr: u32) -> Vec<[u64; 6]> {
    let mut out = vec![[0u64; 6]];
    let sets = std::iter::once(&policy.base).chain(policy.caps.iter());
    for set in sets {
        for rule in set.rules.iter().filter(|r| r.nr == nr) {
            let When::AnyOf(alts) = rule.when else {
                continue;
            };
            for conj in alts {
                for c in conj.iter() {
                    for v in [
                        c.value,
                        c.value.wrapping_add(1),
                        c.value.wrapping_sub(1),
                        c.value | 0xffff_ffff_0000_0000,
                        !c.value,
                    ] {
                        let mut a = [0u64; 6];
                        a[c.arg as usize % 6] = v;
                        out.push(a);
                        // Every comparison of the conjunction at once.
                        let mut all = [0u64; 6];
                        for d in conj.iter() {
                            all[d.arg as usize % 6] = d.value;
                        }
                        all[c.arg as usize % 6] = v;
                        out.push(all);
                    }
                }
            }
        }
    }
    out
}

/// The calls the kernel reaches through `socketcall` (net/socket.c) and
/// `ipc` (ipc/syscall.c) where those exist. libseccomp adds a rule for
/// each through the multiplexer too, where it cannot check arguments.
const MULTIPLEXED: &[&str] = &[
    "socket",
    "bind",
    "connect",
    "listen",
    "accept",
    "getsockname",
    "getpeername",
    "socketpair",
    "send",
    "recv",
    "sendto",
    "recvfrom",
    "shutdown",
    "setsockopt",
    "getsockopt",
    "sendmsg",
    "recvmsg",
    "accept4",
    "recvmmsg",
    "sendmmsg",
    "semop",
    "semget",
    "semctl",
    "semtimedop",
    "msgsnd",
    "msgrcv",
    "msgget",
    "msgctl",
    "shmat",
    "shmdt",
    "shmget",
    "shmctl",
];

/// What one policy's round trip counted.
#[derive(Default)]
struct Tally {
    profiles: usize,
    refused: usize,
    verdicts: usize,
    arg_verdicts: usize,
    swapped: usize,
    newer: BTreeMap<String, Vec<&'static str>>,
}

/// Exports `file` as an OCI profile for `arch` and the caps `caps` (named
/// `cap_names`), loads it into libseccomp as runc does, and compares its
/// verdicts with `ours` (the macro's program for the same caps). Where
/// libseccomp multiplexes socket and IPC calls and a selected rule puts a
/// condition on one, the export must refuse instead.
fn oci_round_trip(
    file: &str,
    policy: &ArchPolicy<'_>,
    caps: u64,
    cap_names: &str,
    ours: &[SockFilter],
    tally: &mut Tally,
) {
    let arch = policy.arch;
    let token = libseccomp::arch_token(arch).unwrap();
    let mut args = vec!["export", file, "--format", "oci", "--arch", arch.name()];
    if !cap_names.is_empty() {
        args.extend(["--cap", cap_names]);
    }
    let selected = policy.select(caps, RuleSet::EMPTY);
    let conditioned_mux = selected
        .as_slice()
        .iter()
        .flat_map(|s| s.rules.iter())
        .find(|r| {
            matches!(r.when, When::AnyOf(_))
                && MULTIPLEXED.contains(&syscall_name(arch, r.nr).unwrap_or(""))
        });
    if matches!(arch, Arch::X86 | Arch::Ppc64le | Arch::S390x) && conditioned_mux.is_some() {
        let r = run(&args);
        assert_eq!(r.code, Some(1), "{arch} caps {cap_names}: {}", r.out());
        // The refusal names one of the conditioned multiplexed calls.
        let named = r
            .stderr
            .strip_prefix("error: `")
            .and_then(|rest| rest.split_once("` has conditions on "))
            .unwrap_or_else(|| panic!("{}", r.stderr));
        assert!(named.1.starts_with(&format!("{arch},")), "{}", r.stderr);
        let nr = seccomp_policy::syscalls::number(arch, named.0).unwrap();
        assert!(MULTIPLEXED.contains(&named.0), "{}", r.stderr);
        assert!(
            selected
                .as_slice()
                .iter()
                .flat_map(|s| s.rules.iter())
                .any(|r| r.nr == nr && matches!(r.when, When::AnyOf(_))),
            "{}",
            r.stderr
        );
        tally.refused += 1;
        return;
    }
    let (default, default_errno, listed, syscalls) = read_profile(&export(&args));
    assert_eq!(
        listed,
        [format!(
            "SCMP_ARCH_{}",
            arch.libseccomp_name().to_uppercase()
        )]
    );
    let default = libseccomp::oci_action(&default, default_errno).unwrap();
    assert_eq!(default, policy.default.to_ret());
    let mut filter = libseccomp::Filter::new(default, token);
    let load = filter.add_oci_syscalls(default, &syscalls);
    for name in &load.unknown_names {
        tally
            .newer
            .entry(name.clone())
            .or_default()
            .push(arch.name());
    }
    let lib = filter.export();
    seccomp_policy::sim::check(&lib).expect("libseccomp's program passes the kernel's checks");
    // Numbers of names libseccomp does not know: runc skips them, so the
    // call gets the default there. Counted, not compared.
    let unknown: Vec<u32> = load
        .unknown_names
        .iter()
        .filter_map(|n| seccomp_policy::syscalls::number(arch, n))
        .collect();
    for nr in libseccomp::sweep(arch) {
        if unknown.contains(&nr) {
            continue;
        }
        let conditioned = policy
            .base
            .rules
            .iter()
            .chain(policy.caps.iter().flat_map(|s| s.rules.iter()))
            .any(|r| r.nr == nr);
        let tries = if conditioned {
            probes(policy, nr)
        } else {
            vec![[0u64; 6]]
        };
        for a in tries {
            let mut d = SeccompData::new(nr as i32, token);
            d.args = a;
            let want = sim_run(ours, &d).unwrap().ret;
            let got = sim_run(&lib, &d).unwrap().ret;
            if got != want {
                // libseccomp's s390x export from a little-endian host
                // writes the constant of copied `ret`s in host order
                // (see tests/libseccomp_diff.rs); only that is accepted.
                if arch == Arch::S390x && got == want.swap_bytes() {
                    tally.swapped += 1;
                } else {
                    panic!(
                        "{file} {arch} caps {cap_names}: nr {nr} ({:?}) args {a:x?}: \
                         libseccomp {got:#x}, macro {want:#x}",
                        syscall_name(arch, nr)
                    );
                }
            }
            if a == [0; 6] {
                tally.verdicts += 1;
            } else {
                tally.arg_verdicts += 1;
            }
        }
    }
    tally.profiles += 1;
}

/// A policy with conditions of every kind, none on a multiplexed call, so
/// that the round trip reaches x86, ppc64le and s390x too.
mod conditions {
    seccomp_policy::seccomp_policy!("tests/policies/oci_conditions.toml");
}

#[test]
fn oci_profile_through_libseccomp_gives_the_macros_verdicts() {
    // The architectures libseccomp knows (2.5.4 has no LoongArch).
    let arches: Vec<Arch> = libseccomp::known_arches()
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    for skipped in Arch::ALL.into_iter().filter(|a| !arches.contains(a)) {
        println!(
            "{} skipped: libseccomp {} does not know it",
            skipped.name(),
            libseccomp::version()
        );
    }
    let mut shipped = Tally::default();
    for &arch in &arches {
        let policy = POLICY.arch(arch).unwrap();
        for caps in cap_sets() {
            let ours = with_runtime_exec(policy, caps.bits());
            let names = cap_arg(caps);
            oci_round_trip(
                "policy/seccomp.toml",
                policy,
                caps.bits(),
                &names,
                &ours,
                &mut shipped,
            );
        }
    }
    let mut other = Tally::default();
    let cap_sets = [
        conditions::Cap::NONE,
        conditions::Cap::SIGNALS,
        conditions::Cap::MEMORY,
        conditions::Cap::ALL,
    ];
    for &arch in &arches {
        let policy = conditions::POLICY.arch(arch).unwrap();
        for caps in cap_sets {
            let ours = with_runtime_exec(policy, caps.bits());
            let names = caps.names().collect::<Vec<_>>().join(",");
            oci_round_trip(
                "seccomp-policy-cli/tests/policies/oci_conditions.toml",
                policy,
                caps.bits(),
                &names,
                &ours,
                &mut other,
            );
        }
    }
    for (what, t) in [
        ("shipped policy", &shipped),
        ("oci_conditions.toml", &other),
    ] {
        println!(
            "{what}: {} profiles on 8 architectures ({} refused: conditions on socket or IPC \
             calls on x86, ppc64le, s390x): {} verdicts by number and {} with arguments \
             agree; {} s390x verdicts byte-swapped by libseccomp's export; names libseccomp \
             does not know (skipped as runc skips them): {:?}",
            t.profiles, t.refused, t.verdicts, t.arg_verdicts, t.swapped, t.newer
        );
    }
    assert!(shipped.verdicts > 30_000, "{}", shipped.verdicts);
    assert!(shipped.arg_verdicts > 1_000, "{}", shipped.arg_verdicts);
    // Every export of the conditions policy loads, on all 8 architectures.
    assert_eq!(other.refused, 0);
    assert_eq!(other.profiles, 8 * cap_sets.len());
    assert!(other.arg_verdicts > 1_000, "{}", other.arg_verdicts);
}
