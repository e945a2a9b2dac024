//! The host side of `tools/cross-kernel/run`: what a real kernel of another
//! architecture is asked under qemu, and what it should answer.
//!
//! The guest program (`tools/cross-kernel/probe.c`) knows nothing about the
//! policy. It is handed a list of *cases*, each a program (a raw
//! `struct sock_filter` array) and a call (number and six arguments), and
//! reports what the call returned with the probe filter and that program
//! attached. Everything else happens here, on the host:
//!
//! - [`Plan::new`] builds the programs under test with the project's own
//!   code (the macro's [`Policy`] and `ArchPolicy::program`) and the cases
//!   with their expected answers from an independent reference: the policy
//!   file read by [`PolicyFile`] and resolved by libseccomp where it knows
//!   the architecture, by the generated tables otherwise;
//! - [`Plan::cases_file`] writes them in the guest's byte order and
//!   [`initramfs`] packs that file with the probe into a `newc` cpio archive;
//! - [`Report::parse`] reads the guest's console output back and
//!   [`Plan::compare`] counts the mismatches.
//!
//! Argument conditions plug in as more cases: a program, a number, six
//! argument values and the expected [`Observation`]; see
//! [`Plan::word_order_group`], which probes the word order of 64-bit
//! arguments with hand-written programs today.

use std::collections::BTreeSet;
use std::fmt;

use seccomp_policy::bpf::{
    SockFilter, BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W, SECCOMP_DATA_ARCH,
    SECCOMP_DATA_ARGS, SECCOMP_DATA_NR, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO,
};
use seccomp_policy::builder::Action;
use seccomp_policy::policy::{ArchPolicy, Policy};
use seccomp_policy::rule::{RuleSet, When};
use seccomp_policy::Arch;

use crate::libseccomp::{self, PolicyFile};

/// The errno the policy programs deny with: distinctive, below `MAX_ERRNO`.
pub const E_DENY: u16 = 3001;

/// The errno the probe filter answers every probed call with, so a call the
/// program under test allows fails with it. Distinct from every errno a
/// policy rule may answer (those are the kernel's, below 134 on every
/// architecture) and from [`E_DENY`].
pub const E_PROBE: u16 = 3002;

/// `SECCOMP_SET_MODE_FILTER`, the only `seccomp(2)` operation the probe
/// filter lets through.
const SECCOMP_SET_MODE_FILTER: u32 = 1;

/// The magic at the start of the cases file.
pub const MAGIC: &[u8; 8] = b"SPXKCAS1";

/// A deliberately wrong program, to show the runner catches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrong {
    /// The argument programs compare the two 32-bit words of each argument
    /// at each other's offset (the little-endian layout on s390x).
    SwapWords,
    /// The policy programs check for the wrong `AUDIT_ARCH` value (the
    /// little-endian flag flipped), so the kernel's calls are foreign.
    AuditArch,
}

impl Wrong {
    /// The flag value of `--wrong`.
    pub fn from_name(s: &str) -> Option<Wrong> {
        match s {
            "swap-words" => Some(Wrong::SwapWords),
            "audit-arch" => Some(Wrong::AuditArch),
            _ => None,
        }
    }
}

/// Which cap combinations get a policy program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapSets {
    /// Every combination (2^caps).
    All,
    /// No cap, each cap alone, and all caps.
    Some,
}

impl CapSets {
    /// The flag value of `--caps`.
    pub fn from_name(s: &str) -> Option<CapSets> {
        match s {
            "all" => Some(CapSets::All),
            "some" => Some(CapSets::Some),
            _ => None,
        }
    }

    fn masks(self, ncaps: usize) -> Vec<u64> {
        match self {
            CapSets::All => (0..1u64 << ncaps).collect(),
            CapSets::Some => {
                let mut v = vec![0];
                v.extend((0..ncaps).map(|i| 1u64 << i));
                v.push((1u64 << ncaps) - 1);
                v
            }
        }
    }
}

/// What the guest saw of one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Observation {
    /// The call returned this value (`-errno` on failure).
    Returned(i64),
    /// The child was killed by this signal during the call.
    Killed(i64),
    /// A filter could not be attached: `seccomp(2)` failed with this errno.
    InstallFailed(i64),
    /// The guest did not get to the case.
    NotRun,
}

impl fmt::Display for Observation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Observation::Returned(v) => write!(f, "returned {v}"),
            Observation::Killed(s) => write!(f, "killed by signal {s}"),
            Observation::InstallFailed(e) => write!(f, "filter not attached (errno {e})"),
            Observation::NotRun => f.write_str("not run"),
        }
    }
}

/// One call to make under one program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Case {
    /// Index into [`Plan::programs`]; never 0 (the probe filter).
    pub program: u32,
    /// The syscall number, as the guest passes it (`-1` is `u32::MAX`).
    pub nr: u32,
    /// The six arguments; a 32-bit guest passes their low words.
    pub args: [u64; 6],
    /// The reference's answer.
    pub expected: Observation,
}

/// A program with the name reports use for it.
#[derive(Clone, Debug)]
pub struct Program {
    /// `"probe"`, `"caps SSRF|FILE_IO"`, `"arg2 == 0x…"`, ...
    pub label: String,
    /// The instructions.
    pub insns: Vec<SockFilter>,
}

/// Everything one guest run does, with the expected answers.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The architecture of the guest kernel.
    pub arch: Arch,
    /// Program 0 is the probe filter; the others are under test.
    pub programs: Vec<Program>,
    /// Grouped by program, in program order.
    pub cases: Vec<Case>,
    /// How the expected number verdicts were resolved.
    pub reference: &'static str,
}

/// The signal a seccomp kill or trap sends: `SIGSYS`, which MIPS numbers
/// its own way.
pub const fn sigsys(arch: Arch) -> i64 {
    match arch {
        Arch::Mips64el => 12,
        _ => 31,
    }
}

/// The numbers swept on `arch`: 0..=1023, the architecture's own ranges
/// (MIPS n64 from 5000, with a few o32 (4000) and n32 (6000) numbers an n64
/// process might pass; the ARM-private calls from 0xf0000), and `-1`.
pub fn sweep(arch: Arch) -> Vec<u32> {
    let mut v = libseccomp::sweep(arch);
    if arch == Arch::Mips64el {
        v.extend(4000..=4009);
        v.extend(6000..=6009);
    }
    v.push(u32::MAX);
    v
}

/// The allowed numbers for each mask, resolved without the macro: the
/// policy file's names through libseccomp, or through the generated tables
/// on an architecture libseccomp 2.5.4 does not know (loongarch64).
pub fn reference_sets(arch: Arch, masks: &[u64]) -> (Vec<BTreeSet<u32>>, &'static str) {
    let file = PolicyFile::shipped();
    if let Some(token) = libseccomp::arch_token(arch) {
        let numbers = libseccomp::arch_numbers(token, arch);
        let all = file.combination_sets(token, &numbers);
        let sets = masks.iter().map(|&m| all[m as usize].clone()).collect();
        (sets, "libseccomp 2.5.4")
    } else {
        let sets = masks
            .iter()
            .map(|&m| {
                file.names(m)
                    .into_iter()
                    .filter_map(|n| seccomp_policy::syscalls::number(arch, n))
                    .collect()
            })
            .collect();
        (sets, "the generated syscall tables")
    }
}

/// The numbers of the calls the policy file names with a condition or an
/// action (anywhere), resolved like [`reference_sets`]: the calls whose
/// verdict depends on their arguments or is not a plain allow.
pub fn reference_conditioned(arch: Arch) -> BTreeSet<u32> {
    let file = PolicyFile::shipped();
    let names = file.conditioned.iter().map(String::as_str);
    if let Some(token) = libseccomp::arch_token(arch) {
        let numbers = libseccomp::arch_numbers(token, arch);
        libseccomp::resolve_names(token, &numbers, names).numbers
    } else {
        names
            .filter_map(|n| seccomp_policy::syscalls::number(arch, n))
            .collect()
    }
}

/// Argument vectors for a call with conditions on `arch`: every value at
/// and around each constant the rules compare with (high word set and
/// clear) in all six slots, and for each conjunction its constants in
/// their own slots. The inputs only; the answers come from the policy's
/// rules evaluated on the host.
fn argument_samples(ap: &ArchPolicy<'_>, nr: u32) -> Vec<[u64; 6]> {
    let mut values: BTreeSet<u64> = [0, 1, u64::MAX].into();
    let mut out: Vec<[u64; 6]> = Vec::new();
    for set in std::iter::once(&ap.base).chain(ap.caps) {
        for rule in set.rules.iter().filter(|r| r.nr == nr) {
            let When::AnyOf(alts) = rule.when else {
                continue;
            };
            for conj in alts {
                let mut exact = [0u64; 6];
                for c in *conj {
                    exact[usize::from(c.arg) % 6] = c.value;
                    for v in [c.value, c.value.wrapping_add(1), c.value.wrapping_sub(1)] {
                        values.insert(v);
                        values.insert(v | 0xffff_ffff_0000_0000);
                    }
                }
                out.push(exact);
            }
        }
    }
    out.extend(values.into_iter().map(|v| [v; 6]));
    out.sort_unstable();
    out.dedup();
    out
}

/// A syscall's number on `arch` by the same reference as [`reference_sets`].
fn reference_nr(arch: Arch, name: &str) -> u32 {
    match libseccomp::arch_token(arch) {
        Some(token) => {
            let nr = libseccomp::resolve_name(token, name);
            assert!(nr >= 0, "libseccomp has no {name} on {arch}");
            nr as u32
        }
        None => seccomp_policy::syscalls::number(arch, name)
            .unwrap_or_else(|| panic!("no {name} on {arch}")),
    }
}

/// Offsets of the low and high 32-bit words of argument `i` in
/// `seccomp_data`: the argument is a `u64` in the machine's byte order.
fn word_offsets(arch: Arch, i: u32) -> (u32, u32) {
    let base = SECCOMP_DATA_ARGS + 8 * i;
    if arch.is_little_endian() {
        (base, base + 4)
    } else {
        (base + 4, base)
    }
}

const LD: u16 = BPF_LD | BPF_W | BPF_ABS;
const JEQ: u16 = BPF_JMP | BPF_JEQ | BPF_K;
const RET: u16 = BPF_RET | BPF_K;

/// The probe filter, hand-written: `ERRNO(E_PROBE)` for every call except
/// `seccomp(SECCOMP_SET_MODE_FILTER, 0, ...)` of the guest's own
/// architecture, which attaches the program under test.
///
/// The kernel runs the program under test (the newer filter) first and
/// keeps the lowest action, replacing the kept value only with a strictly
/// lower one (`seccomp_run_filters`). So a call the program allows (or
/// logs, or sends to a listener that does not exist) meets this filter's
/// `ERRNO` and fails with `E_PROBE`; a call the program answers with an
/// errno ties at `ERRNO` and keeps the program's errno; a kill or a trap is
/// lower still. An `ENOSYS` rule and an allowed call are thus told apart,
/// which a `TRACE` probe (failing allowed calls with `ENOSYS`) could not.
pub fn probe_filter(arch: Arch) -> Vec<SockFilter> {
    let seccomp = reference_nr(arch, "seccomp");
    let (lo0, hi0) = word_offsets(arch, 0);
    let (lo1, hi1) = word_offsets(arch, 1);
    // Each test jumps to the last instruction (the probe's errno) when it
    // fails.
    let tests = [
        (SECCOMP_DATA_ARCH, arch.audit_arch()),
        (SECCOMP_DATA_NR, seccomp),
        (lo0, SECCOMP_SET_MODE_FILTER),
        (hi0, 0),
        (lo1, 0),
        (hi1, 0),
    ];
    let mut p = Vec::new();
    let n = tests.len();
    for (i, (off, k)) in tests.into_iter().enumerate() {
        p.push(SockFilter::stmt(LD, off));
        // From the jeq (at 2i + 1), the errno is at 2n + 1: skip what lies
        // between.
        let to_trace = (2 * n + 1) - (2 * i + 1) - 1;
        p.push(SockFilter::jump(JEQ, k, 0, to_trace as u8));
    }
    p.push(SockFilter::stmt(RET, SECCOMP_RET_ALLOW));
    p.push(SockFilter::stmt(
        RET,
        SECCOMP_RET_ERRNO | u32::from(E_PROBE),
    ));
    p
}

/// A program that allows call `nr` when argument `i` equals `value` as a
/// 64-bit number and answers `ERRNO(E_DENY)` otherwise, comparing the high
/// word first. Written by hand like [`probe_filter`]; `swap` reads each
/// word at the other's offset.
pub fn arg_equals(arch: Arch, nr: u32, i: u32, value: u64, swap: bool) -> Vec<SockFilter> {
    let (mut lo, mut hi) = word_offsets(arch, i);
    if swap {
        core::mem::swap(&mut lo, &mut hi);
    }
    let deny = SECCOMP_RET_ERRNO | u32::from(E_DENY);
    vec![
        SockFilter::stmt(LD, SECCOMP_DATA_ARCH),
        SockFilter::jump(JEQ, arch.audit_arch(), 0, 7),
        SockFilter::stmt(LD, SECCOMP_DATA_NR),
        SockFilter::jump(JEQ, nr, 0, 5),
        SockFilter::stmt(LD, hi),
        SockFilter::jump(JEQ, (value >> 32) as u32, 0, 3),
        SockFilter::stmt(LD, lo),
        SockFilter::jump(JEQ, value as u32, 0, 1),
        SockFilter::stmt(RET, SECCOMP_RET_ALLOW),
        SockFilter::stmt(RET, deny),
    ]
}

impl Plan {
    /// The cases for `arch`: every number of [`sweep`] under the shipped
    /// policy's program for each cap set of `caps`, then the argument
    /// word-order group.
    pub fn new(arch: Arch, policy: &Policy, caps: CapSets, wrong: Option<Wrong>) -> Plan {
        let mut plan = Plan {
            arch,
            programs: vec![Program {
                label: "probe".into(),
                insns: probe_filter(arch),
            }],
            cases: Vec::new(),
            reference: "",
        };
        plan.number_group(policy, caps, wrong);
        plan.word_order_group(wrong);
        for p in &plan.programs {
            if let Err(e) = seccomp_policy::sim::check(&p.insns) {
                panic!("program {:?} is not a valid seccomp filter: {e:?}", p.label);
            }
        }
        plan
    }

    /// What the guest sees of a call the program allows: the probe
    /// filter's errno, [`E_PROBE`].
    pub fn allowed(&self) -> Observation {
        Observation::Returned(-i64::from(E_PROBE))
    }

    /// What the guest sees of a call the program denies: `E_DENY`.
    pub fn denied() -> Observation {
        Observation::Returned(-i64::from(E_DENY))
    }

    /// What the guest sees of a call the program answers with `action`,
    /// the probe filter attached before it: an allowed call (or a logged
    /// one, or one for a listener that does not exist) meets the probe's
    /// errno, [`E_PROBE`]; an errno is returned; a kill or a trap ends the
    /// child with `SIGSYS`.
    pub fn observed(&self, action: Action) -> Observation {
        match action {
            Action::Allow | Action::Log | Action::Notify => self.allowed(),
            Action::Errno(e) => Observation::Returned(-i64::from(e)),
            Action::KillProcess | Action::KillThread | Action::Trap => {
                Observation::Killed(sigsys(self.arch))
            }
        }
    }

    fn push_program(&mut self, label: String, insns: Vec<SockFilter>) -> u32 {
        self.programs.push(Program { label, insns });
        (self.programs.len() - 1) as u32
    }

    /// Every swept number under the policy program of each cap set. A
    /// number the policy file names with a condition or an action is made
    /// with each of [`argument_samples`], and expected to get what the
    /// policy's rules say for those arguments ([`ArchPolicy::verdict`], the
    /// rule IR evaluated directly; `tests/libseccomp_rules.rs` checks that
    /// evaluation against libseccomp's). The others are made with zero
    /// arguments, expected allowed exactly when libseccomp resolves one of
    /// the file's unconditional names to them.
    fn number_group(&mut self, policy: &Policy, caps: CapSets, wrong: Option<Wrong>) {
        let arch = self.arch;
        let ap = policy
            .arch(arch)
            .unwrap_or_else(|| panic!("the policy has no {arch} entry"));
        let masks = caps.masks(policy.cap_names.len());
        let (sets, reference) = reference_sets(arch, &masks);
        self.reference = reference;
        let conditioned = reference_conditioned(arch);
        // A 32-bit guest passes the low words only.
        let cut = |v: u64| if arch.is_64bit() { v } else { v & 0xffff_ffff };
        let numbers = sweep(arch);
        for (mask, want) in masks.iter().zip(&sets) {
            let prog = ap
                .program::<4096>(*mask, RuleSet::EMPTY, Action::Errno(E_DENY))
                .expect("the policy program builds");
            let mut insns = prog.as_slice().to_vec();
            if wrong == Some(Wrong::AuditArch) {
                assert_eq!((insns[1].code, insns[1].k), (JEQ, arch.audit_arch()));
                insns[1].k ^= 0x4000_0000;
            }
            let names: Vec<&str> = policy.cap_names_of(*mask).collect();
            let label = if names.is_empty() {
                "caps NONE".to_owned()
            } else {
                format!("caps {}", names.join("|"))
            };
            let id = self.push_program(label, insns);
            for &nr in &numbers {
                if conditioned.contains(&nr) {
                    for args in argument_samples(ap, nr) {
                        let args = args.map(cut);
                        let action =
                            ap.verdict(*mask, RuleSet::EMPTY, nr, &args, Action::Errno(E_DENY));
                        self.cases.push(Case {
                            program: id,
                            nr,
                            args,
                            expected: self.observed(action),
                        });
                    }
                    continue;
                }
                let expected = if want.contains(&nr) {
                    self.allowed()
                } else {
                    Self::denied()
                };
                self.cases.push(Case {
                    program: id,
                    nr,
                    args: [0; 6],
                    expected,
                });
            }
        }
    }

    /// The word order of 64-bit arguments in `seccomp_data`, which only a
    /// kernel of each byte order settles: for each argument slot, a program
    /// allowing `getpid` only when that argument equals a constant, probed
    /// at the constant, one off, with its high word cleared, set, flipped,
    /// with the two words swapped, and with the constant in every *other*
    /// slot. On a 32-bit guest the constant has no high word and the values
    /// are cut to 32 bits by the calling convention, so values with high
    /// bits set must be allowed when their low word matches.
    ///
    /// When the policy has argument conditions, their cases join this
    /// group: the rule's program, its number, values at and around each
    /// constant, and the verdict of the condition evaluated on the host.
    pub fn word_order_group(&mut self, wrong: Option<Wrong>) {
        let arch = self.arch;
        let getpid = reference_nr(arch, "getpid");
        let wide = arch.is_64bit();
        let c: u64 = if wide {
            0x8765_4321_9abc_def0
        } else {
            0x9abc_def0
        };
        let cut = |v: u64| if wide { v } else { v & 0xffff_ffff };
        let values = [
            c,
            c + 1,
            c - 1,
            c ^ 1,
            c & 0xffff_ffff,
            c | 0xffff_ffff_0000_0000,
            c ^ 0x0000_0001_0000_0000,
            c ^ 0x8000_0000_0000_0000,
            c.rotate_left(32),
            (c << 32) | (c & 0xffff_ffff),
            0,
            u64::MAX,
        ];
        for i in 0..6u32 {
            let insns = arg_equals(arch, getpid, i, c, wrong == Some(Wrong::SwapWords));
            let id = self.push_program(format!("getpid(arg{i} == {c:#x})"), insns);
            for v in values {
                let mut args = [0; 6];
                args[i as usize] = v;
                let expected = if cut(v) == c {
                    self.allowed()
                } else {
                    Self::denied()
                };
                self.cases.push(Case {
                    program: id,
                    nr: getpid,
                    args,
                    expected,
                });
            }
            // The constant everywhere but in slot i.
            let mut args = [c; 6];
            args[i as usize] = 0;
            self.cases.push(Case {
                program: id,
                nr: getpid,
                args,
                expected: Self::denied(),
            });
            // Another call with the right argument.
            let mut args = [0; 6];
            args[i as usize] = c;
            self.cases.push(Case {
                program: id,
                nr: getpid + 1,
                args,
                expected: Self::denied(),
            });
        }
    }

    /// The cases of the policy programs (not the word-order group's) whose
    /// expected answer is anything but [`Plan::denied`].
    pub fn policy_answers(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| {
                self.programs[c.program as usize].label.starts_with("caps ")
                    && c.expected != Self::denied()
            })
            .count()
    }

    /// The cases file the guest reads, in the guest's byte order.
    pub fn cases_file(&self) -> Vec<u8> {
        let mut w = GuestWriter {
            be: !self.arch.is_little_endian(),
            out: Vec::new(),
        };
        w.out.extend_from_slice(MAGIC);
        w.u32(self.arch.audit_arch());
        w.u32(self.programs.len() as u32);
        w.u32(self.cases.len() as u32);
        w.u32(0);
        for p in &self.programs {
            w.u32(p.insns.len() as u32);
            for i in &p.insns {
                w.u16(i.code);
                w.out.push(i.jt);
                w.out.push(i.jf);
                w.u32(i.k);
            }
        }
        let mut last = 0;
        for c in &self.cases {
            assert!(
                c.program >= last && c.program > 0,
                "cases grouped by program"
            );
            last = c.program;
            // The probe filter lets this one call through: never a case.
            assert!(
                !(c.nr == reference_nr(self.arch, "seccomp")
                    && c.args[0] == u64::from(SECCOMP_SET_MODE_FILTER)
                    && c.args[1] == 0),
                "a case would attach a filter"
            );
            w.u32(c.program);
            w.u32(c.nr);
            for a in c.args {
                w.u64(a);
            }
        }
        w.out
    }

    /// Compares the guest's answers with the expected ones.
    pub fn compare(&self, report: &Report) -> Comparison {
        let mut mismatches = Vec::new();
        for (i, case) in self.cases.iter().enumerate() {
            let got = report
                .observations
                .get(i)
                .copied()
                .unwrap_or(Observation::NotRun);
            if got != case.expected {
                mismatches.push((i, got));
            }
        }
        Comparison {
            verdicts: report.observations.len().min(self.cases.len()),
            mismatches,
        }
    }

    /// One line about case `i` for a report.
    pub fn describe(&self, i: usize, got: Observation) -> String {
        let c = &self.cases[i];
        let name = libseccomp::arch_token(self.arch)
            .and_then(|t| libseccomp::resolve_num(t, c.nr))
            .unwrap_or_else(|| "-".into());
        let what = |o: Observation| match o {
            o if o == self.allowed() => "allowed".to_owned(),
            o if o == Self::denied() => "denied".to_owned(),
            o => o.to_string(),
        };
        let args = if c.args == [0; 6] {
            String::new()
        } else {
            format!(" args {:x?}", c.args)
        };
        format!(
            "{}: nr {} ({name}){args}: kernel {}, reference {}",
            self.programs[c.program as usize].label,
            c.nr as i32,
            what(got),
            what(c.expected)
        )
    }
}

/// The outcome of [`Plan::compare`].
#[derive(Debug)]
pub struct Comparison {
    /// Cases the kernel answered.
    pub verdicts: usize,
    /// Case index and the kernel's answer, for every case that differs.
    pub mismatches: Vec<(usize, Observation)>,
}

struct GuestWriter {
    be: bool,
    out: Vec<u8>,
}

impl GuestWriter {
    fn u16(&mut self, v: u16) {
        let b = if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.out.extend_from_slice(&b);
    }
    fn u32(&mut self, v: u32) {
        let b = if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.out.extend_from_slice(&b);
    }
    fn u64(&mut self, v: u64) {
        let b = if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.out.extend_from_slice(&b);
    }
}

/// 64-bit FNV-1a, as the guest computes it.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A `newc` cpio archive (the format the kernel unpacks as an initramfs)
/// holding `/init` (the probe), `/cases` and `/dev/console`, which the
/// kernel opens as the init process's standard streams.
pub fn initramfs(probe: &[u8], cases: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ino = 1;
    let mut entry = |name: &str, mode: u32, rdev: (u32, u32), data: &[u8]| {
        let fields = [
            ino,
            mode,
            0,
            0,
            1,
            0,
            data.len() as u32,
            0,
            0,
            rdev.0,
            rdev.1,
            name.len() as u32 + 1,
            0,
        ];
        ino += 1;
        out.extend_from_slice(b"070701");
        for f in fields {
            out.extend_from_slice(format!("{f:08x}").as_bytes());
        }
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    };
    entry("dev", 0o040_755, (0, 0), &[]);
    entry("dev/console", 0o020_600, (5, 1), &[]);
    entry("init", 0o100_755, (0, 0), probe);
    entry("cases", 0o100_644, (0, 0), cases);
    entry("TRAILER!!!", 0, (0, 0), &[]);
    out
}

/// What the guest printed, read back from the console log.
#[derive(Debug, Default)]
pub struct Report {
    /// One answer per case, in case order.
    pub observations: Vec<Observation>,
    /// The guest's `SPXK TIME` line.
    pub time: Option<String>,
}

/// Why a console log holds no complete report.
#[derive(Debug, PartialEq, Eq)]
pub struct Incomplete(pub String);

impl fmt::Display for Incomplete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Report {
    /// Reads the `SPXK` lines of a console log. The guest's hashes must
    /// match: of `cases` (it ran this plan's file) and of the token text
    /// (nothing was lost or garbled on the console).
    pub fn parse(log: &str, cases: &[u8]) -> Result<Report, Incomplete> {
        let mut text = String::new();
        let mut report = Report::default();
        let mut end = None;
        for raw in log.lines() {
            let Some(at) = raw.find("SPXK ") else {
                continue;
            };
            let line = raw[at + 5..].trim_end_matches('\r');
            if let Some(tokens) = line.strip_prefix("R ") {
                text.push_str(tokens);
            } else if let Some(t) = line.strip_prefix("TIME ") {
                report.time = Some(t.to_owned());
            } else if let Some(e) = line.strip_prefix("END ") {
                end = Some(e.to_owned());
            } else if let Some(f) = line.strip_prefix("FAIL ") {
                return Err(Incomplete(format!("the guest failed: {f}")));
            }
        }
        let end = end.ok_or_else(|| Incomplete("no SPXK END line in the console log".into()))?;
        let parts: Vec<&str> = end.split_whitespace().collect();
        let [n, "cases", file_hash, text_hash] = parts[..] else {
            return Err(Incomplete(format!("malformed END line: {end}")));
        };
        if *file_hash != format!("{:016x}", fnv1a(cases)) {
            return Err(Incomplete(
                "the guest read another cases file than this plan's".into(),
            ));
        }
        if *text_hash != format!("{:016x}", fnv1a(text.as_bytes())) {
            return Err(Incomplete(
                "the result lines were garbled on the console (hash differs)".into(),
            ));
        }
        for tok in text.split(',').filter(|t| !t.is_empty()) {
            let bad = || Incomplete(format!("malformed token {tok:?}"));
            let (kind, rest) = tok.split_at(1);
            let (value, count) = rest.split_once('*').ok_or_else(bad)?;
            let value: i64 = value.parse().map_err(|_| bad())?;
            let count: usize = count.parse().map_err(|_| bad())?;
            let o = match kind {
                "r" => Observation::Returned(value),
                "k" => Observation::Killed(value),
                "i" => Observation::InstallFailed(value),
                "n" => Observation::NotRun,
                _ => return Err(bad()),
            };
            report.observations.extend(std::iter::repeat_n(o, count));
        }
        if n.parse::<usize>().ok() != Some(report.observations.len()) {
            return Err(Incomplete(format!(
                "END says {n} cases, the result lines hold {}",
                report.observations.len()
            )));
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_file_is_in_the_guests_byte_order() {
        let mut plan = Plan {
            arch: Arch::S390x,
            programs: vec![
                Program {
                    label: "probe".into(),
                    insns: vec![SockFilter::stmt(RET, SECCOMP_RET_ALLOW)],
                },
                Program {
                    label: "p".into(),
                    insns: vec![SockFilter::jump(JEQ, 0x0102_0304, 5, 6)],
                },
            ],
            cases: vec![],
            reference: "",
        };
        plan.cases.push(Case {
            program: 1,
            nr: 20,
            args: [0x1122_3344_5566_7788, 0, 0, 0, 0, 0],
            expected: Observation::NotRun,
        });
        let be = plan.cases_file();
        assert_eq!(&be[..8], MAGIC);
        assert_eq!(&be[8..12], &Arch::S390x.audit_arch().to_be_bytes());
        // Program 1: length 1, then code, jt, jf, k.
        let p1 = 24 + 4 + 8;
        assert_eq!(&be[p1..p1 + 12], &[0, 0, 0, 1, 0, 0x15, 5, 6, 1, 2, 3, 4]);
        let case = p1 + 12;
        assert_eq!(&be[case + 4..case + 8], &[0, 0, 0, 20]);
        assert_eq!(
            &be[case + 8..case + 16],
            &0x1122_3344_5566_7788u64.to_be_bytes()
        );

        plan.arch = Arch::Aarch64;
        let le = plan.cases_file();
        assert_eq!(&le[p1..p1 + 12], &[1, 0, 0, 0, 0x15, 0, 5, 6, 4, 3, 2, 1]);
        assert_eq!(
            &le[case + 8..case + 16],
            &0x1122_3344_5566_7788u64.to_le_bytes()
        );
    }

    seccomp_policy::seccomp_policy!("policy/seccomp.toml");

    /// What the guest would report, by the simulator on this (little-endian)
    /// host: both filters run, newest (the program) first, and the lowest
    /// action wins, the first seen on a tie (`seccomp_run_filters`).
    fn simulated_guest(plan: &Plan) -> Report {
        use seccomp_policy::sim::{run, SeccompData};
        let observations = plan
            .cases
            .iter()
            .map(|c| {
                let mut d = SeccompData::new(c.nr as i32, plan.arch.audit_arch());
                for (a, v) in d.args.iter_mut().zip(c.args) {
                    *a = if plan.arch.is_64bit() {
                        v
                    } else {
                        v & 0xffff_ffff
                    };
                }
                let ret = [c.program as usize, 0]
                    .map(|p| run(&plan.programs[p].insns, &d).unwrap().ret)
                    .into_iter()
                    .min_by_key(|r| (r & 0xffff_0000) as i32)
                    .unwrap();
                match ret & 0xffff_0000 {
                    SECCOMP_RET_ERRNO => Observation::Returned(-i64::from(ret & 0xffff)),
                    0 | 0x8000_0000 | 0x0003_0000 => Observation::Killed(sigsys(plan.arch)),
                    other => panic!("case {c:?}: action {other:#x}"),
                }
            })
            .collect();
        Report {
            observations,
            time: None,
        }
    }

    /// The plan's expectations and its programs agree where the simulator
    /// can judge (little-endian architectures), and the planted mistakes
    /// show up as the self-test expects them on a real kernel.
    #[test]
    fn simulated_guest_agrees_and_catches_the_planted_mistakes() {
        for arch in [Arch::Aarch64, Arch::Arm, Arch::Mips64el] {
            let plan = Plan::new(arch, &POLICY, CapSets::Some, None);
            let got = plan.compare(&simulated_guest(&plan));
            assert_eq!(got.verdicts, plan.cases.len());
            let shown: Vec<String> = got
                .mismatches
                .iter()
                .take(5)
                .map(|&(i, o)| plan.describe(i, o))
                .collect();
            assert!(got.mismatches.is_empty(), "{arch}: {shown:#?}");

            let swapped = Plan::new(arch, &POLICY, CapSets::Some, Some(Wrong::SwapWords));
            let got = swapped.compare(&simulated_guest(&swapped));
            // 64-bit: C and C with its words swapped, in 6 slots. 32-bit:
            // the swapped program wants C in the high word, always 0 there,
            // so each of the 6 values whose low word is C is denied.
            let want = if arch.is_64bit() { 12 } else { 6 * 6 };
            assert_eq!(got.mismatches.len(), want, "{arch}");

            // Every call of the policy programs is foreign, so denied: each
            // case expecting anything else mismatches.
            let foreign = Plan::new(arch, &POLICY, CapSets::Some, Some(Wrong::AuditArch));
            let got = foreign.compare(&simulated_guest(&foreign));
            let answered = foreign.policy_answers();
            assert!(answered > 100);
            assert_eq!(got.mismatches.len(), answered, "{arch}");
            assert!(got.mismatches.iter().all(|&(_, o)| o == Plan::denied()));
        }
    }

    #[test]
    fn word_offsets_follow_the_byte_order() {
        assert_eq!(word_offsets(Arch::Aarch64, 0), (16, 20));
        assert_eq!(word_offsets(Arch::S390x, 0), (20, 16));
        assert_eq!(word_offsets(Arch::S390x, 5), (60, 56));
    }

    #[test]
    fn probe_filter_fails_all_but_the_attach_call() {
        use seccomp_policy::sim::{run, SeccompData};
        let arch = Arch::X86_64;
        let p = probe_filter(arch);
        assert_eq!(seccomp_policy::sim::check(&p), Ok(()));
        let mut d = SeccompData::new(317, arch.audit_arch());
        let ret = |d: &SeccompData| run(&p, d).unwrap().ret;
        let probe = SECCOMP_RET_ERRNO | u32::from(E_PROBE);
        assert_eq!(ret(&d), probe);
        d.args[0] = 1;
        assert_eq!(ret(&d), SECCOMP_RET_ALLOW);
        d.args[1] = 1 << 32;
        assert_eq!(ret(&d), probe);
        let mut other = SeccompData::new(39, arch.audit_arch());
        other.args[0] = 1;
        assert_eq!(ret(&other), probe);
    }

    #[test]
    fn arg_equals_compares_both_words() {
        use seccomp_policy::sim::{run, SeccompData};
        let arch = Arch::X86_64;
        let c = 0x8765_4321_9abc_def0;
        for swap in [false, true] {
            let p = arg_equals(arch, 39, 2, c, swap);
            assert_eq!(seccomp_policy::sim::check(&p), Ok(()));
            let ret = |v: u64| {
                let mut d = SeccompData::new(39, arch.audit_arch());
                d.args[2] = v;
                run(&p, &d).unwrap().ret
            };
            let (hit, miss) = if swap {
                (c.rotate_left(32), c)
            } else {
                (c, c.rotate_left(32))
            };
            assert_eq!(ret(hit), SECCOMP_RET_ALLOW);
            assert_eq!(ret(miss), SECCOMP_RET_ERRNO | u32::from(E_DENY));
            assert_eq!(ret(c & 0xffff_ffff), SECCOMP_RET_ERRNO | u32::from(E_DENY));
        }
    }

    #[test]
    fn cpio_entries_are_aligned_newc() {
        let a = initramfs(b"\x7fELF", b"abc");
        assert!(a.starts_with(b"070701"));
        assert_eq!(a.len() % 4, 0);
        let s = String::from_utf8_lossy(&a);
        for name in [
            "dev\0",
            "dev/console\0",
            "init\0",
            "cases\0",
            "TRAILER!!!\0",
        ] {
            assert!(s.contains(name), "{name}");
        }
    }

    fn log_for(tokens: &str, n: usize, cases: &[u8]) -> String {
        format!(
            "[    1.0] boot noise\r\nSPXK BEGIN\r\nSPXK R {tokens}\r\nSPXK END {n} cases {:016x} {:016x}\r\n",
            fnv1a(cases),
            fnv1a(tokens.as_bytes())
        )
    }

    #[test]
    fn report_round_trip_and_damage() {
        let cases = b"file";
        let log = log_for("r-3002*2,r-3001*1,k31*1,", 4, cases);
        let r = Report::parse(&log, cases).unwrap();
        assert_eq!(
            r.observations,
            [
                Observation::Returned(-3002),
                Observation::Returned(-3002),
                Observation::Returned(-3001),
                Observation::Killed(31)
            ]
        );
        // Another cases file, a lost line, a wrong count, no END.
        assert!(Report::parse(&log, b"other").is_err());
        let garbled = log.replace("r-3001*1", "r-3001*2");
        assert!(Report::parse(&garbled, cases).is_err());
        assert!(Report::parse(&log_for("r-3002*2,", 3, cases), cases).is_err());
        assert!(Report::parse("SPXK R r-3002*1,\n", cases).is_err());
        assert!(Report::parse("SPXK FAIL open /cases: ENOENT\n", cases).is_err());
    }
}
