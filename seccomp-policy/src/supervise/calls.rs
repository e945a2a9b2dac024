//! The counts per syscall a supervisor keeps ([`CallCount`]): how often a
//! call outside the grant was made, how it was answered, and the argument
//! lists it was made with ([`ArgsSeen`]), which learn's advice is made from.

use super::report::syscall_label;
use super::AllowedBy;
use crate::arch::Arch;
use crate::install::Errno;
use crate::notify::ProcessInfo;

/// One syscall outside the grant: how often the tree called it, and who
/// first did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallCount {
    /// The entry point's architecture, if supported.
    pub arch: Option<Arch>,
    /// The entry point's `AUDIT_ARCH_*` value.
    pub audit_arch: u32,
    /// The syscall number.
    pub nr: i32,
    /// Its name, if known.
    pub name: Option<&'static str>,
    /// How many times it was called.
    pub count: u64,
    /// The first process seen making it (the first one that could still
    /// be read).
    pub first: Option<ProcessInfo>,
    /// Which caps would allow it, as judged at its first call that was not
    /// refused with an errno (at its first call, while all were).
    pub allowed_by: AllowedBy,
    /// How many of its calls the policy would kill (in learn mode they
    /// ran); the others it refuses with an errno.
    pub killed: u64,
    /// How many of its calls were refused with the policy's errno
    /// (`errno`): in learn mode, those no cap allows. The command went on
    /// after each, as it will when enforced.
    pub refused: u64,
    /// The policy's errno for it (its first call's that the policy
    /// refuses with one), whether or not learn mode answered with it.
    pub errno: Option<Errno>,
    /// The arguments of the refused calls.
    pub refused_seen: ArgsSeen,
    /// The arguments of its other calls: those the policy would kill, and
    /// in learn mode those a cap allows (they ran); a cap or a rule must
    /// cover them.
    pub seen: ArgsSeen,
    /// The caps each of which, added to the grant, allows every call of
    /// [`seen`](CallCount::seen) (bit `i` is the policy's `cap_names[i]`);
    /// 0 when none does, or no call was seen.
    pub caps_every: u64,
}

impl CallCount {
    /// The syscall's name, or `syscall N` when unknown.
    pub fn syscall(&self) -> String {
        syscall_label(self.name, self.nr)
    }

    /// Whether some call of it was not refused with an errno: the command
    /// needs a cap or a rule for it.
    pub fn needed(&self) -> bool {
        self.seen.calls > 0
    }

    /// Counts one more call with `args`, which the policy refuses with
    /// `errno` (`None`: kills), and which was answered with it or not
    /// (`refused`); `allowed_by` says which caps would allow it.
    pub(crate) fn add(
        &mut self,
        errno: Option<Errno>,
        refused: bool,
        args: &[u64; 6],
        allowed_by: &AllowedBy,
    ) {
        let caps = match allowed_by {
            AllowedBy::Caps { bits, .. } => *bits,
            _ => 0,
        };
        self.count += 1;
        match errno {
            Some(e) => {
                self.errno.get_or_insert(e);
            }
            None => self.killed += 1,
        }
        if refused {
            self.refused += 1;
            self.refused_seen.add(args);
            return;
        }
        self.caps_every = if self.seen.calls == 0 {
            // The caps' names are read from the first call that ran.
            self.allowed_by.clone_from(allowed_by);
            caps
        } else {
            self.caps_every & caps
        };
        self.seen.add(args);
    }
}

/// The argument lists one syscall was called with, bounded: the distinct
/// lists up to [`ArgsSeen::MAX_LISTS`], and the distinct values of each
/// slot up to [`ArgsSeen::MAX_VALUES`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArgsSeen {
    /// How many calls.
    pub calls: u64,
    /// The distinct argument lists, in order of first call.
    pub lists: Vec<[u64; 6]>,
    /// Calls whose list was not among [`lists`](ArgsSeen::lists) when it
    /// was full: they may have had lists not kept.
    pub unkept: u64,
    /// The distinct values of each slot, sorted.
    pub values: [Vec<u64>; 6],
    /// The slots that had more distinct values than were kept.
    pub many: [bool; 6],
}

impl ArgsSeen {
    /// The most distinct argument lists kept.
    pub const MAX_LISTS: usize = 64;
    /// The most distinct values kept for one slot.
    pub const MAX_VALUES: usize = 32;

    /// Records a call with `args`.
    pub fn add(&mut self, args: &[u64; 6]) {
        self.calls += 1;
        if !self.lists.contains(args) {
            if self.lists.len() < Self::MAX_LISTS {
                self.lists.push(*args);
            } else {
                self.unkept += 1;
            }
        }
        for (i, v) in args.iter().enumerate() {
            if let Err(at) = self.values[i].binary_search(v) {
                if self.values[i].len() < Self::MAX_VALUES {
                    self.values[i].insert(at, *v);
                } else {
                    self.many[i] = true;
                }
            }
        }
    }

    /// Whether every call's argument list is in [`lists`](ArgsSeen::lists).
    pub fn complete(&self) -> bool {
        self.unkept == 0
    }
}
