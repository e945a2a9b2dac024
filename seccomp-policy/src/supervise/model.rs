//! The supervisor's one view of the policy model.
//!
//! Everything the supervisor needs from a policy goes through this module:
//! the program attached to a supervised child, and the verdict on a call
//! the filter sent to the supervisor (is it within the grant, what does the
//! policy do with it, which caps would allow it). Nothing else in the
//! supervisor reads [`ArchPolicy`] or builds a program, so a change of the
//! policy model (per-rule actions, argument conditions) is made here.
//!
//! Today's model: a call is allowed when its number is in `[base]` or a
//! granted cap, or is the native `execve` (the spawn exception, see
//! [`spawn`](crate::spawn)); everything else kills the process. The program
//! sends everything else to the supervisor instead (`Action::Notify`), and
//! the supervisor carries out the kill, so it can name the call first.
//!
//! When rules gain actions: `kill-process` and errno answers are carried out
//! by the supervisor (a kill while the call waits, an errno reply), so they
//! are named; `kill-thread` cannot be imitated from outside (a fatal signal
//! to one thread kills the whole process), and `trap` must raise `SIGSYS`
//! in the calling thread with the call's details, so both stay kernel
//! actions in the program, unnamed by the supervisor; `log` allows.

use crate::arch::Arch;
use crate::bpf::{Program, BPF_MAXINSNS};
use crate::builder::Action;
use crate::policy::{Policy, MAX_CAPS};
use crate::spawn::{spawn_program, SpawnProgramError, EXECVE};

use super::AllowedBy;

/// What the policy does with a call outside the grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PolicyAction {
    /// Kill the whole process before the call runs.
    KillProcess,
}

/// The policy's verdict on one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// Within the grant: the call may run.
    pub allowed: bool,
    /// What the policy does when it is not.
    pub action: PolicyAction,
    /// Which caps would allow it.
    pub allowed_by: AllowedBy,
}

/// A policy and the caps granted to one supervised command.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Model {
    policy: Policy,
    caps: u64,
}

impl Model {
    pub(crate) fn new(policy: &Policy, caps: u64) -> Model {
        Model {
            policy: *policy,
            caps,
        }
    }

    /// The program for the supervised child: the native program of the
    /// granted caps plus `execve`, every other call sent to the supervisor
    /// (including [`HANDSHAKE_NR`](crate::notify::HANDSHAKE_NR), which no
    /// table has).
    pub(crate) fn program(&self) -> Result<Program<BPF_MAXINSNS>, SpawnProgramError> {
        spawn_program::<BPF_MAXINSNS>(&self.policy, self.caps, Action::Notify)
    }

    /// The names of the granted caps.
    pub(crate) fn granted(&self) -> Vec<&'static str> {
        self.policy.cap_names_of(self.caps).collect()
    }

    /// The policy file's name.
    pub(crate) fn file(&self) -> &'static str {
        self.policy.file
    }

    /// The verdict on call `nr` with `args` through entry point
    /// `audit_arch`.
    pub(crate) fn verdict(&self, audit_arch: u32, nr: i32, args: &[u64; 6]) -> Verdict {
        let allowed_by = allowed_by(&self.policy, audit_arch, self.caps, nr, args);
        Verdict {
            allowed: allowed_by == AllowedBy::Granted,
            action: PolicyAction::KillProcess,
            allowed_by,
        }
    }
}

/// Which caps would allow call `nr` (with `args`) through `audit_arch`, given
/// the granted `caps`: the grant itself, or each single other cap added to
/// it. The spawn path's `execve` counts as granted.
pub(crate) fn allowed_by(
    policy: &Policy,
    audit_arch: u32,
    caps: u64,
    nr: i32,
    _args: &[u64; 6],
) -> AllowedBy {
    let Some(native) = Arch::NATIVE.filter(|a| a.audit_arch() == audit_arch) else {
        return AllowedBy::ForeignEntry;
    };
    // No table has a negative number (-1 is what a tracer sets to skip).
    let Ok(nr) = u32::try_from(nr) else {
        return AllowedBy::NoCap;
    };
    // The x32 ABI of x86_64 sets bit 30; the filter refuses those numbers.
    if native == Arch::X86_64 && nr & 0x4000_0000 != 0 {
        return AllowedBy::ForeignEntry;
    }
    let Some(ap) = policy.native() else {
        return AllowedBy::NoCap;
    };
    if nr == EXECVE || ap.allows(caps, nr) {
        return AllowedBy::Granted;
    }
    let mut bits = 0u64;
    let mut names = Vec::new();
    for (i, name) in policy.cap_names.iter().enumerate().take(MAX_CAPS) {
        let bit = 1u64 << i;
        if caps & bit == 0 && ap.allows(caps | bit, nr) {
            bits |= bit;
            names.push(*name);
        }
    }
    if names.is_empty() {
        AllowedBy::NoCap
    } else {
        AllowedBy::Caps { bits, names }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::ArchPolicy;

    static X86_64: ArchPolicy = ArchPolicy {
        arch: Arch::X86_64,
        base: &[0, 1, 60, 231],
        caps: &[&[41, 42], &[41], &[]],
        missing: &[],
    };
    static POLICY: Policy = Policy {
        file: "test.toml",
        cap_names: &["NET", "SOCK", "EMPTY"],
        arches: &[X86_64],
    };
    const NATIVE: u32 = 0xc000_003e;
    const I386: u32 = 0x4000_0003;

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn verdicts() {
        let a = [0; 6];
        assert_eq!(allowed_by(&POLICY, NATIVE, 0, 0, &a), AllowedBy::Granted);
        assert_eq!(allowed_by(&POLICY, NATIVE, 0, 59, &a), AllowedBy::Granted);
        assert_eq!(
            allowed_by(&POLICY, NATIVE, 0, 41, &a),
            AllowedBy::Caps {
                bits: 0b11,
                names: vec!["NET", "SOCK"]
            }
        );
        assert_eq!(
            allowed_by(&POLICY, NATIVE, 0b10, 42, &a),
            AllowedBy::Caps {
                bits: 0b01,
                names: vec!["NET"]
            }
        );
        assert_eq!(
            allowed_by(&POLICY, NATIVE, 0b01, 41, &a),
            AllowedBy::Granted
        );
        assert_eq!(allowed_by(&POLICY, NATIVE, 0b111, 2, &a), AllowedBy::NoCap);
        assert_eq!(allowed_by(&POLICY, I386, 0, 0, &a), AllowedBy::ForeignEntry);
        assert_eq!(
            allowed_by(&POLICY, NATIVE, 0, 0x4000_0000, &a),
            AllowedBy::ForeignEntry
        );
        assert_eq!(allowed_by(&POLICY, NATIVE, 0, -1, &a), AllowedBy::NoCap);
        let m = Model::new(&POLICY, 0b01);
        assert!(m.verdict(NATIVE, 41, &a).allowed);
        assert!(!m.verdict(NATIVE, 2, &a).allowed);
        assert_eq!(m.granted(), ["NET"]);
    }
}
