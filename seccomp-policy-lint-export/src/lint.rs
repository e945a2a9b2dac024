//! Checks that are not errors: a policy that compiles, but probably does
//! not do what its author meant.
//!
//! | lint | what it finds |
//! | --- | --- |
//! | `split-family` | a table allows one of the syscalls a libc chooses between for the same library call (`unlinkat`), but not another (`unlink`), which programs then make on some architecture and are killed for; see [`FAMILIES`] |
//! | `partial-family` | a table allows part of a family of syscalls the kernel or libc treats as one, which programs make together (`timer_create` without `timer_delete`, `socket` without `shutdown`), so a program using what was granted is killed at the next member; see [`GROUPS`] |
//! | `never-matches` | a condition, or one alternative of it, that no arguments satisfy (`arg0 == 1 && arg0 == 2`) |
//! | `shadowed-action` | an action that never decides: `[base]` (or its own table) allows the call outright, or an earlier unconditional action always answers first |
//! | `redundant-rule` | a cap's rule for a call `[base]` already allows outright |
//! | `cap-adds-nothing` | a cap whose programs are `[base]`'s on every architecture |
//! | `not-everywhere` | a rule that does not apply on some architectures: its condition names a parameter the call has only on others (`mmap(prot ...)` on x86 and s390x, whose `mmap` takes one pointer to its arguments) |
//! | `lint-allow` | a `# lint: allow(...)` comment that allows nothing, names no lint, or gives no reason |
//!
//! [`lint`] runs them all on a compiled policy. The command-line tool's
//! `lint` prints them; each is a [`Diagnostic`], rendered like the errors.
//!
//! A finding the author accepts on purpose is allowed in the policy file,
//! with the reason, by a comment on its line or in the comment lines right
//! above it, the way `#[allow]` works in Rust:
//!
//! ```toml
//! # Exists so harnesses can name it; pure computation needs only [base].
//! # lint: allow(cap-adds-nothing): named by harness code, no rules on purpose
//! [cap.HTML_ESCAPE]
//! allow = []
//! ```
//!
//! [`allow_in_source`] applies those comments: the findings they allow are
//! set apart with their reasons, and a comment that allows nothing is a
//! finding of its own (`lint-allow`), so stale ones do not pile up.

use std::collections::{BTreeMap, BTreeSet};

use seccomp_policy_core::bpf::BPF_MAXINSNS;
use seccomp_policy_core::rule::{Action, ArgCmp, CmpOp, RuleSet};
use seccomp_policy_core::text::quoted;
use seccomp_policy_core::{syscalls, Arch};

use seccomp_policy_compiler::diag::Diagnostic;
use seccomp_policy_compiler::lower::{describe_parameters, ArchRules, LoweredRule, SetRules};
use seccomp_policy_compiler::model::{Loc, Policy, Table};
use seccomp_policy_compiler::Compiled;

use crate::argset::satisfiable;

/// Which check found a [`Lint`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LintKind {
    /// A table allows some syscalls of a [`Family`] but not the others.
    SplitFamily,
    /// A table allows part of a [`Group`] but not the members that go
    /// with it.
    PartialFamily,
    /// A condition, or an alternative of it, can never hold.
    NeverMatches,
    /// An action that never decides a call.
    ShadowedAction,
    /// A cap's rule that `[base]` makes redundant.
    RedundantRule,
    /// A cap whose programs equal `[base]`'s.
    CapAddsNothing,
    /// A rule that does not apply on some architectures, because its
    /// condition names a parameter the call has only on others.
    NotEverywhere,
    /// A `# lint: allow(...)` comment that allows nothing, names no lint,
    /// or gives no reason.
    LintAllow,
}

impl LintKind {
    /// Every lint.
    pub const ALL: [LintKind; 8] = [
        LintKind::SplitFamily,
        LintKind::PartialFamily,
        LintKind::NeverMatches,
        LintKind::ShadowedAction,
        LintKind::RedundantRule,
        LintKind::CapAddsNothing,
        LintKind::NotEverywhere,
        LintKind::LintAllow,
    ];

    /// The lint called `name`, if any.
    pub fn from_name(name: &str) -> Option<LintKind> {
        LintKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The lint's name, as reports print it (`split-family`).
    pub fn name(self) -> &'static str {
        match self {
            LintKind::SplitFamily => "split-family",
            LintKind::PartialFamily => "partial-family",
            LintKind::NeverMatches => "never-matches",
            LintKind::ShadowedAction => "shadowed-action",
            LintKind::RedundantRule => "redundant-rule",
            LintKind::CapAddsNothing => "cap-adds-nothing",
            LintKind::NotEverywhere => "not-everywhere",
            LintKind::LintAllow => "lint-allow",
        }
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lint {
    /// Which check found it.
    pub kind: LintKind,
    /// What it is, where, and what to do.
    pub diagnostic: Diagnostic,
}

/// A finding the policy file allows, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allowed {
    /// The finding.
    pub lint: Lint,
    /// The reason the comment gives.
    pub reason: String,
}

/// The findings of [`lint`] after the policy file's `# lint: allow(...)`
/// comments (see the [module docs](self)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    /// The findings to report, those about the comments included.
    pub reported: Vec<Lint>,
    /// The findings the file allows.
    pub allowed: Vec<Allowed>,
}

/// One `# lint: allow(NAME): REASON` comment.
struct Allowance {
    /// Where the comment starts (its `#`).
    loc: Loc,
    /// The lint named, if it is one.
    kind: Option<LintKind>,
    /// As written.
    name: String,
    /// After the `):`, trimmed; empty when missing.
    reason: String,
    /// The first line after the comment block it is in (the line it
    /// allows on); its own line for a comment after a value.
    target: usize,
    used: bool,
}

/// The allowance comments of `source`.
fn allowances(source: &str) -> Vec<Allowance> {
    const MARK: &str = "lint: allow(";
    let lines: Vec<&str> = source.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(hash) = line.find('#') else {
            continue;
        };
        // Only a comment that is the allowance: `#`, spaces, the mark.
        let after = line[hash + 1..].trim_start();
        let Some(rest) = after.strip_prefix(MARK) else {
            continue;
        };
        let (name, reason) = match rest.split_once(')') {
            Some((name, tail)) => (
                name.trim(),
                tail.trim_start().strip_prefix(':').unwrap_or(""),
            ),
            None => (rest.trim(), ""),
        };
        let trailing = !line[..hash].trim().is_empty();
        let target = if trailing {
            i + 1
        } else {
            // Past the comment-only lines that follow.
            let mut j = i + 1;
            while j < lines.len() && lines[j].trim_start().starts_with('#') {
                j += 1;
            }
            j + 1
        };
        out.push(Allowance {
            loc: Loc {
                line: i + 1,
                col: line[..hash].chars().count() + 1,
            },
            kind: LintKind::from_name(name),
            name: name.to_owned(),
            reason: reason.trim().to_owned(),
            target,
            used: false,
        });
    }
    out
}

/// Applies the `# lint: allow(NAME): REASON` comments of `source` (the
/// policy text `found` was linted from) to `found`; see the [module
/// docs](self).
pub fn allow_in_source(source: &str, found: Vec<Lint>) -> Checked {
    let mut comments = allowances(source);
    let mut checked = Checked::default();
    for lint in found {
        let line = lint.diagnostic.loc.map(|l| l.line);
        let by = comments
            .iter_mut()
            .find(|a| a.kind == Some(lint.kind) && !a.reason.is_empty() && Some(a.target) == line);
        match by {
            Some(a) => {
                a.used = true;
                checked.allowed.push(Allowed {
                    lint,
                    reason: a.reason.clone(),
                });
            }
            None => checked.reported.push(lint),
        }
    }
    for a in comments.iter().filter(|a| !a.used) {
        let (message, help) = if a.kind.is_none() {
            let names: Vec<&str> = LintKind::ALL.iter().map(|k| k.name()).collect();
            (
                format!("{} is not a lint", quoted(&a.name)),
                format!("name one of {}", names.join(", ")),
            )
        } else if a.reason.is_empty() {
            (
                format!("allowing {} needs a reason", quoted(&a.name)),
                format!(
                    "write it after the name: {}",
                    quoted(&format!("# lint: allow({}): WHY", a.name))
                ),
            )
        } else {
            (
                format!(
                    "{} is allowed here, but nothing here has it",
                    quoted(&a.name)
                ),
                "remove the comment, or put it right above the line it is about".to_owned(),
            )
        };
        checked.reported.push(Lint {
            kind: LintKind::LintAllow,
            diagnostic: Diagnostic::at(a.loc, message).with_help(help),
        });
    }
    checked.reported.sort_by(|a, b| {
        (a.diagnostic.loc, a.kind, &a.diagnostic.message).cmp(&(
            b.diagnostic.loc,
            b.kind,
            &b.diagnostic.message,
        ))
    });
    checked
}

/// Syscalls a libc chooses between for one library call, depending on the
/// architecture (the legacy call where the kernel has it, the `*at` call
/// elsewhere) or on what the kernel answers (the newest call first, an
/// older one after `ENOSYS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Family {
    /// The library call(s), as a reader knows them.
    pub call: &'static str,
    /// The syscalls.
    pub members: &'static [&'static str],
    /// Where the choice is made, in glibc and musl.
    pub source: &'static str,
    /// How the libc chooses.
    pub pick: Pick,
}

/// How a libc chooses among a [`Family`]'s syscalls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// The first member (in [`Family::members`] order) that the
    /// architecture has: only that one is made there.
    FirstThatExists,
    /// It differs between libcs, or one tries several in turn: any member
    /// the architecture has may be made.
    Any,
}

/// The families [`LintKind::SplitFamily`] checks, each with its source.
pub const FAMILIES: &[Family] = &[
    Family {
        call: "unlink(3)",
        members: &["unlink", "unlinkat"],
        source: "glibc sysdeps/unix/sysv/linux/unlink.c and musl src/unistd/unlink.c: \
                 `unlink` where the architecture has it, `unlinkat(AT_FDCWD, path, 0)` elsewhere",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "rmdir(3)",
        members: &["rmdir", "unlinkat"],
        source: "glibc sysdeps/unix/sysv/linux/rmdir.c: `rmdir` where the architecture has it, \
                 `unlinkat(AT_FDCWD, path, AT_REMOVEDIR)` elsewhere",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "rename(3) and renameat(3)",
        members: &["rename", "renameat", "renameat2"],
        source: "glibc sysdeps/unix/sysv/linux/rename.c and musl src/stdio/rename.c: `rename`, \
                 else `renameat`, else `renameat2`; glibc renameat.c: `renameat`, else `renameat2`",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "mkdir(3)",
        members: &["mkdir", "mkdirat"],
        source: "glibc sysdeps/unix/sysv/linux/mkdir.c and musl src/stat/mkdir.c: `mkdir` where \
                 the architecture has it, `mkdirat(AT_FDCWD, ...)` elsewhere",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "open(3)",
        members: &["open", "openat"],
        source: "glibc sysdeps/unix/sysv/linux/open64.c: always `openat`; musl src/fcntl/open.c: \
                 `open` where the architecture has it",
        pick: Pick::Any,
    },
    Family {
        call: "stat(3), lstat(3), fstat(3) and fstatat(3)",
        members: &[
            "stat",
            "lstat",
            "fstat",
            "newfstatat",
            "fstatat64",
            "statx",
            "stat64",
            "lstat64",
            "fstat64",
        ],
        source: "glibc sysdeps/unix/sysv/linux/fstatat64.c: `statx` on some 32-bit \
                 architectures, else `newfstatat` or `fstatat64`, through which stat, lstat and \
                 fstat go; musl src/stat/fstatat.c: `fstat`, `stat`, `lstat` where the \
                 architecture has them",
        pick: Pick::Any,
    },
    Family {
        call: "poll(3)",
        members: &["poll", "ppoll"],
        source: "glibc sysdeps/unix/sysv/linux/poll.c and musl src/select/poll.c: `poll` where \
                 the architecture has it, `ppoll` elsewhere",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "select(3)",
        members: &["select", "_newselect", "pselect6"],
        source: "glibc sysdeps/unix/sysv/linux/select.c: `pselect6` (`_newselect` on some 32-bit \
                 architectures); musl src/select/select.c: `select` where the architecture has it",
        pick: Pick::Any,
    },
    Family {
        call: "dup2(3)",
        members: &["dup2", "dup3"],
        source: "glibc sysdeps/unix/sysv/linux/dup2.c and musl src/unistd/dup2.c: `dup2` where \
                 the architecture has it, `dup3` elsewhere",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "pipe(2)",
        members: &["pipe", "pipe2"],
        source: "glibc sysdeps/unix/sysv/linux/pipe.c: always `pipe2`; musl src/unistd/pipe.c: \
                 `pipe` where the architecture has it",
        pick: Pick::Any,
    },
    Family {
        call: "epoll_wait(2)",
        members: &["epoll_wait", "epoll_pwait"],
        source: "glibc sysdeps/unix/sysv/linux/epoll_wait.c: `epoll_wait` where the \
                 architecture has it, `epoll_pwait` elsewhere; musl src/linux/epoll.c: \
                 `epoll_pwait` first",
        pick: Pick::Any,
    },
    Family {
        call: "epoll_create(2)",
        members: &["epoll_create", "epoll_create1"],
        source: "glibc sysdeps/unix/sysv/linux/epoll_create.c: `epoll_create` where the \
                 architecture has it, `epoll_create1` elsewhere",
        pick: Pick::Any,
    },
    Family {
        call: "access(2) and faccessat(2)",
        members: &["access", "faccessat", "faccessat2"],
        source: "glibc sysdeps/unix/sysv/linux/access.c: `access` where the architecture has \
                 it, else `faccessat`; faccessat.c: `faccessat2` first, `faccessat` after ENOSYS",
        pick: Pick::Any,
    },
    Family {
        call: "chmod(2)",
        members: &["chmod", "fchmodat"],
        source: "glibc sysdeps/unix/sysv/linux/chmod.c: `chmod` where the architecture has it, \
                 `fchmodat(AT_FDCWD, ...)` elsewhere",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "chown(2)",
        members: &["chown", "fchownat"],
        source: "glibc sysdeps/unix/sysv/linux/chown.c: `chown` where the architecture has it, \
                 `fchownat(AT_FDCWD, ...)` elsewhere",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "lchown(2)",
        members: &["lchown", "fchownat"],
        source: "glibc sysdeps/unix/sysv/linux/lchown.c: `lchown` where the architecture has it, \
                 `fchownat(..., AT_SYMLINK_NOFOLLOW)` elsewhere",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "link(2)",
        members: &["link", "linkat"],
        source: "glibc sysdeps/unix/sysv/linux/link.c: `link` where the architecture has it, \
                 `linkat(AT_FDCWD, ...)` elsewhere",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "symlink(2)",
        members: &["symlink", "symlinkat"],
        source: "glibc sysdeps/unix/sysv/linux/symlink.c: `symlink` where the architecture has \
                 it, `symlinkat` elsewhere",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "readlink(2)",
        members: &["readlink", "readlinkat"],
        source: "glibc sysdeps/unix/sysv/linux/readlink.c: `readlink` where the architecture has \
                 it, `readlinkat(AT_FDCWD, ...)` elsewhere",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "fork(2), vfork(2), posix_spawn(3) and pthread_create(3)",
        members: &["fork", "vfork", "clone", "clone3"],
        source: "glibc sysdeps/unix/sysv/linux/arch-fork.h: fork() makes `clone`; \
                 x86_64/vfork.S: `vfork`; posix_spawn and pthread_create: `clone3` first, \
                 `clone` after ENOSYS; musl src/process/_Fork.c: `fork` where the architecture \
                 has it",
        pick: Pick::Any,
    },
    Family {
        call: "inotify_init(2)",
        members: &["inotify_init", "inotify_init1"],
        source: "glibc sysdeps/unix/sysv/linux/inotify_init.c: `inotify_init` where the \
                 architecture has it, `inotify_init1` elsewhere",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "mmap(3)",
        members: &["mmap2", "mmap"],
        source: "glibc sysdeps/unix/sysv/linux/mmap.c and musl src/mman/mmap.c: `mmap2` where \
                 the architecture has it (x86, arm), `mmap` elsewhere",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "creat(3)",
        members: &["creat", "open", "openat"],
        source: "glibc sysdeps/unix/sysv/linux/creat64.c: `creat` where the architecture has it \
                 (with a 64-bit off_t), else open64, which makes `openat`; musl \
                 src/fcntl/creat.c: open(3), which makes `open` where the architecture has it",
        pick: Pick::Any,
    },
    Family {
        call: "utimes(2) and utime(2)",
        members: &["utimensat", "utimes", "utime", "futimesat"],
        source: "glibc 2.32 and later sysdeps/unix/sysv/linux/utimes.c and utime.c: \
                 `utimensat`; glibc 2.31 and older: `utimes` and `utime` where the architecture \
                 has them; musl src/stat/utimensat.c: `utimensat`, then `futimesat` and `utimes` \
                 after ENOSYS",
        pick: Pick::Any,
    },
    Family {
        call: "getpgrp(2)",
        members: &["getpgrp", "getpgid"],
        source: "glibc sysdeps/unix/sysv/linux/syscalls.list: `getpgrp` where the architecture \
                 has it, else posix/getpgrp.c's `getpgid(0)`; musl src/unistd/getpgrp.c: always \
                 `getpgid(0)`",
        pick: Pick::Any,
    },
    Family {
        call: "pause(2)",
        members: &["pause", "ppoll"],
        source: "glibc sysdeps/unix/sysv/linux/pause.c and musl src/internal/syscall.h \
                 (sys_pause_cp): `pause` where the architecture has it, `ppoll(NULL, 0, NULL, \
                 NULL)` elsewhere",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "alarm(2)",
        members: &["alarm", "setitimer"],
        source: "glibc sysdeps/unix/sysv/linux/syscalls.list: `alarm` where the architecture has \
                 it, else sysdeps/posix/alarm.c's `setitimer(ITIMER_REAL, ...)`; musl \
                 src/unistd/alarm.c: always `setitimer`",
        pick: Pick::Any,
    },
    Family {
        call: "send(2)",
        members: &["send", "sendto"],
        source: "glibc sysdeps/unix/sysv/linux/send.c: `send` where kernel-features.h says the \
                 architecture has it (arm, powerpc, 32-bit mips), `sendto(..., NULL, 0)` \
                 elsewhere; musl src/network/send.c: always `sendto`",
        pick: Pick::Any,
    },
    Family {
        call: "recv(2)",
        members: &["recv", "recvfrom"],
        source: "glibc sysdeps/unix/sysv/linux/recv.c: `recv` where kernel-features.h says the \
                 architecture has it (arm, powerpc, 32-bit mips), `recvfrom(..., NULL, NULL)` \
                 elsewhere; musl src/network/recv.c: always `recvfrom`",
        pick: Pick::Any,
    },
    Family {
        call: "fcntl(2)",
        members: &["fcntl64", "fcntl"],
        source: "glibc sysdeps/unix/sysv/linux/fcntl64.c: `fcntl64` where the architecture has it (32-bit ones), else `fcntl`",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "lseek(2) and lseek64(3)",
        members: &["_llseek", "lseek"],
        source: "glibc sysdeps/unix/sysv/linux/lseek64.c: `_llseek` where the architecture has it (32-bit ones), else `lseek`",
        pick: Pick::Any,
    },
    Family {
        call: "statfs(2)",
        members: &["statfs64", "statfs"],
        source: "glibc on 32-bit architectures (x86, arm, mips o32, ...) makes the large-file call where the kernel has it; the kernel's table (arch/x86/entry/syscalls/syscall_32.tbl, arch/arm/tools/syscall.tbl) gives it the function the other name has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "fstatfs(2)",
        members: &["fstatfs64", "fstatfs"],
        source: "glibc on 32-bit architectures (x86, arm, mips o32, ...) makes the large-file call where the kernel has it; the kernel's table (arch/x86/entry/syscalls/syscall_32.tbl, arch/arm/tools/syscall.tbl) gives it the function the other name has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "truncate(2)",
        members: &["truncate64", "truncate"],
        source: "glibc on 32-bit architectures (x86, arm, mips o32, ...) makes the large-file call where the kernel has it; the kernel's table (arch/x86/entry/syscalls/syscall_32.tbl, arch/arm/tools/syscall.tbl) gives it the function the other name has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "ftruncate(2)",
        members: &["ftruncate64", "ftruncate"],
        source: "glibc on 32-bit architectures (x86, arm, mips o32, ...) makes the large-file call where the kernel has it; the kernel's table (arch/x86/entry/syscalls/syscall_32.tbl, arch/arm/tools/syscall.tbl) gives it the function the other name has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "sendfile(2)",
        members: &["sendfile64", "sendfile"],
        source: "glibc on 32-bit architectures (x86, arm, mips o32, ...) makes the large-file call where the kernel has it; the kernel's table (arch/x86/entry/syscalls/syscall_32.tbl, arch/arm/tools/syscall.tbl) gives it the function the other name has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "posix_fadvise(3)",
        members: &["fadvise64_64", "arm_fadvise64_64", "fadvise64"],
        source: "glibc sysdeps/unix/sysv/linux/posix_fadvise64.c: `fadvise64_64` (`arm_fadvise64_64` on arm) on 32-bit architectures, `fadvise64` on 64-bit ones",
        pick: Pick::Any,
    },
    Family {
        call: "getrlimit(2)",
        members: &["prlimit64", "ugetrlimit", "getrlimit"],
        source: "glibc sysdeps/unix/sysv/linux/getrlimit64.c: `prlimit64`, and `ugetrlimit` (or `getrlimit`) where the kernel lacks it; musl src/misc/getrlimit.c the same",
        pick: Pick::Any,
    },
    Family {
        call: "clock_gettime(2)",
        members: &["clock_gettime64", "clock_gettime"],
        source: "glibc 2.34 and later on 32-bit architectures (sysdeps/unix/sysv/linux/clock_gettime.c): the 64-bit-time call first, the old one when the kernel answers ENOSYS; the kernel gives the first the function the second has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "clock_getres(2)",
        members: &["clock_getres_time64", "clock_getres"],
        source: "glibc 2.34 and later on 32-bit architectures (sysdeps/unix/sysv/linux/clock_getres.c): the 64-bit-time call first, the old one when the kernel answers ENOSYS; the kernel gives the first the function the second has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "clock_nanosleep(2) and nanosleep(2)",
        members: &["clock_nanosleep_time64", "clock_nanosleep"],
        source: "glibc 2.34 and later on 32-bit architectures (sysdeps/unix/sysv/linux/clock_nanosleep.c): the 64-bit-time call first, the old one when the kernel answers ENOSYS; the kernel gives the first the function the second has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "futex(2) and pthread waits",
        members: &["futex_time64", "futex"],
        source: "glibc 2.34 and later on 32-bit architectures (sysdeps/unix/sysv/linux/futex-internal.c): the 64-bit-time call first, the old one when the kernel answers ENOSYS; the kernel gives the first the function the second has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "ppoll(2)",
        members: &["ppoll_time64", "ppoll"],
        source: "glibc 2.34 and later on 32-bit architectures (sysdeps/unix/sysv/linux/ppoll.c): the 64-bit-time call first, the old one when the kernel answers ENOSYS; the kernel gives the first the function the second has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "pselect(2)",
        members: &["pselect6_time64", "pselect6"],
        source: "glibc 2.34 and later on 32-bit architectures (sysdeps/unix/sysv/linux/pselect.c): the 64-bit-time call first, the old one when the kernel answers ENOSYS; the kernel gives the first the function the second has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "sigtimedwait(2)",
        members: &["rt_sigtimedwait_time64", "rt_sigtimedwait"],
        source: "glibc 2.34 and later on 32-bit architectures (sysdeps/unix/sysv/linux/sigtimedwait.c): the 64-bit-time call first, the old one when the kernel answers ENOSYS; the kernel gives the first the function the second has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "utimensat(2)",
        members: &["utimensat_time64", "utimensat"],
        source: "glibc 2.34 and later on 32-bit architectures (sysdeps/unix/sysv/linux/utimensat.c): the 64-bit-time call first, the old one when the kernel answers ENOSYS; the kernel gives the first the function the second has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "recvmmsg(2)",
        members: &["recvmmsg_time64", "recvmmsg"],
        source: "glibc 2.34 and later on 32-bit architectures (sysdeps/unix/sysv/linux/recvmmsg.c): the 64-bit-time call first, the old one when the kernel answers ENOSYS; the kernel gives the first the function the second has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "semtimedop(2)",
        members: &["semtimedop_time64", "semtimedop"],
        source: "glibc 2.34 and later on 32-bit architectures (sysdeps/unix/sysv/linux/semtimedop.c): the 64-bit-time call first, the old one when the kernel answers ENOSYS; the kernel gives the first the function the second has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "timer_settime(2)",
        members: &["timer_settime64", "timer_settime"],
        source: "glibc 2.34 and later on 32-bit architectures (sysdeps/unix/sysv/linux/timer_settime.c): the 64-bit-time call first, the old one when the kernel answers ENOSYS; the kernel gives the first the function the second has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "timer_gettime(2)",
        members: &["timer_gettime64", "timer_gettime"],
        source: "glibc 2.34 and later on 32-bit architectures (sysdeps/unix/sysv/linux/timer_gettime.c): the 64-bit-time call first, the old one when the kernel answers ENOSYS; the kernel gives the first the function the second has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "timerfd_settime(2)",
        members: &["timerfd_settime64", "timerfd_settime"],
        source: "glibc 2.34 and later on 32-bit architectures (sysdeps/unix/sysv/linux/timerfd_settime.c): the 64-bit-time call first, the old one when the kernel answers ENOSYS; the kernel gives the first the function the second has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "timerfd_gettime(2)",
        members: &["timerfd_gettime64", "timerfd_gettime"],
        source: "glibc 2.34 and later on 32-bit architectures (sysdeps/unix/sysv/linux/timerfd_gettime.c): the 64-bit-time call first, the old one when the kernel answers ENOSYS; the kernel gives the first the function the second has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "sched_rr_get_interval(2)",
        members: &["sched_rr_get_interval_time64", "sched_rr_get_interval"],
        source: "glibc 2.34 and later on 32-bit architectures (sysdeps/unix/sysv/linux/sched_rr_get_interval.c): the 64-bit-time call first, the old one when the kernel answers ENOSYS; the kernel gives the first the function the second has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "mq_timedsend(3)",
        members: &["mq_timedsend_time64", "mq_timedsend"],
        source: "glibc 2.34 and later on 32-bit architectures (sysdeps/unix/sysv/linux/mq_timedsend.c): the 64-bit-time call first, the old one when the kernel answers ENOSYS; the kernel gives the first the function the second has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "mq_timedreceive(3)",
        members: &["mq_timedreceive_time64", "mq_timedreceive"],
        source: "glibc 2.34 and later on 32-bit architectures (sysdeps/unix/sysv/linux/mq_timedreceive.c): the 64-bit-time call first, the old one when the kernel answers ENOSYS; the kernel gives the first the function the second has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "io_pgetevents",
        members: &["io_pgetevents_time64", "io_pgetevents"],
        source: "glibc 2.34 and later on 32-bit architectures (sysdeps/unix/sysv/linux/io_pgetevents.c): the 64-bit-time call first, the old one when the kernel answers ENOSYS; the kernel gives the first the function the second has on 64-bit architectures",
        pick: Pick::Any,
    },
    Family {
        call: "getuid(2)",
        members: &["getuid32", "getuid"],
        source: "glibc on x86 and arm (sysdeps/unix/sysv/linux/i386 and arm): the 32-bit-id call where the kernel has it (the 16-bit one is legacy); the kernel's table gives it the function the other name has on 64-bit architectures",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "geteuid(2)",
        members: &["geteuid32", "geteuid"],
        source: "glibc on x86 and arm (sysdeps/unix/sysv/linux/i386 and arm): the 32-bit-id call where the kernel has it (the 16-bit one is legacy); the kernel's table gives it the function the other name has on 64-bit architectures",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "getgid(2)",
        members: &["getgid32", "getgid"],
        source: "glibc on x86 and arm (sysdeps/unix/sysv/linux/i386 and arm): the 32-bit-id call where the kernel has it (the 16-bit one is legacy); the kernel's table gives it the function the other name has on 64-bit architectures",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "getegid(2)",
        members: &["getegid32", "getegid"],
        source: "glibc on x86 and arm (sysdeps/unix/sysv/linux/i386 and arm): the 32-bit-id call where the kernel has it (the 16-bit one is legacy); the kernel's table gives it the function the other name has on 64-bit architectures",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "getresuid(2)",
        members: &["getresuid32", "getresuid"],
        source: "glibc on x86 and arm (sysdeps/unix/sysv/linux/i386 and arm): the 32-bit-id call where the kernel has it (the 16-bit one is legacy); the kernel's table gives it the function the other name has on 64-bit architectures",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "getresgid(2)",
        members: &["getresgid32", "getresgid"],
        source: "glibc on x86 and arm (sysdeps/unix/sysv/linux/i386 and arm): the 32-bit-id call where the kernel has it (the 16-bit one is legacy); the kernel's table gives it the function the other name has on 64-bit architectures",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "getgroups(2)",
        members: &["getgroups32", "getgroups"],
        source: "glibc on x86 and arm (sysdeps/unix/sysv/linux/i386 and arm): the 32-bit-id call where the kernel has it (the 16-bit one is legacy); the kernel's table gives it the function the other name has on 64-bit architectures",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "setuid(2)",
        members: &["setuid32", "setuid"],
        source: "glibc on x86 and arm (sysdeps/unix/sysv/linux/i386 and arm): the 32-bit-id call where the kernel has it (the 16-bit one is legacy); the kernel's table gives it the function the other name has on 64-bit architectures",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "setgid(2)",
        members: &["setgid32", "setgid"],
        source: "glibc on x86 and arm (sysdeps/unix/sysv/linux/i386 and arm): the 32-bit-id call where the kernel has it (the 16-bit one is legacy); the kernel's table gives it the function the other name has on 64-bit architectures",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "setreuid(2)",
        members: &["setreuid32", "setreuid"],
        source: "glibc on x86 and arm (sysdeps/unix/sysv/linux/i386 and arm): the 32-bit-id call where the kernel has it (the 16-bit one is legacy); the kernel's table gives it the function the other name has on 64-bit architectures",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "setregid(2)",
        members: &["setregid32", "setregid"],
        source: "glibc on x86 and arm (sysdeps/unix/sysv/linux/i386 and arm): the 32-bit-id call where the kernel has it (the 16-bit one is legacy); the kernel's table gives it the function the other name has on 64-bit architectures",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "setresuid(2)",
        members: &["setresuid32", "setresuid"],
        source: "glibc on x86 and arm (sysdeps/unix/sysv/linux/i386 and arm): the 32-bit-id call where the kernel has it (the 16-bit one is legacy); the kernel's table gives it the function the other name has on 64-bit architectures",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "setresgid(2)",
        members: &["setresgid32", "setresgid"],
        source: "glibc on x86 and arm (sysdeps/unix/sysv/linux/i386 and arm): the 32-bit-id call where the kernel has it (the 16-bit one is legacy); the kernel's table gives it the function the other name has on 64-bit architectures",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "setgroups(2)",
        members: &["setgroups32", "setgroups"],
        source: "glibc on x86 and arm (sysdeps/unix/sysv/linux/i386 and arm): the 32-bit-id call where the kernel has it (the 16-bit one is legacy); the kernel's table gives it the function the other name has on 64-bit architectures",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "setfsuid(2)",
        members: &["setfsuid32", "setfsuid"],
        source: "glibc on x86 and arm (sysdeps/unix/sysv/linux/i386 and arm): the 32-bit-id call where the kernel has it (the 16-bit one is legacy); the kernel's table gives it the function the other name has on 64-bit architectures",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "setfsgid(2)",
        members: &["setfsgid32", "setfsgid"],
        source: "glibc on x86 and arm (sysdeps/unix/sysv/linux/i386 and arm): the 32-bit-id call where the kernel has it (the 16-bit one is legacy); the kernel's table gives it the function the other name has on 64-bit architectures",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "chown(2)",
        members: &["chown32", "chown"],
        source: "glibc on x86 and arm (sysdeps/unix/sysv/linux/i386 and arm): the 32-bit-id call where the kernel has it (the 16-bit one is legacy); the kernel's table gives it the function the other name has on 64-bit architectures",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "lchown(2)",
        members: &["lchown32", "lchown"],
        source: "glibc on x86 and arm (sysdeps/unix/sysv/linux/i386 and arm): the 32-bit-id call where the kernel has it (the 16-bit one is legacy); the kernel's table gives it the function the other name has on 64-bit architectures",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "fchown(2)",
        members: &["fchown32", "fchown"],
        source: "glibc on x86 and arm (sysdeps/unix/sysv/linux/i386 and arm): the 32-bit-id call where the kernel has it (the 16-bit one is legacy); the kernel's table gives it the function the other name has on 64-bit architectures",
        pick: Pick::FirstThatExists,
    },
    Family {
        call: "the thread pointer a program's threads start with (TLS)",
        members: &["arch_prctl", "set_thread_area", "set_tls"],
        source: "glibc sysdeps/unix/sysv/linux/*/tls.h (TLS_INIT_TP): `arch_prctl(ARCH_SET_FS)` on \
                 x86_64, `set_thread_area` on i386 and mips, ARM's private `set_tls` on arm; every \
                 dynamically or statically linked program makes it before `main`",
        pick: Pick::Any,
    },
    Family {
        call: "the return from a signal handler",
        members: &["rt_sigreturn", "sigreturn"],
        source: "the kernel's signal frames (arch/*/kernel/signal.c): a handler set with \
                 SA_SIGINFO, and every handler on 64-bit architectures, returns through \
                 `rt_sigreturn`; on 32-bit ones (x86, arm, ppc, s390) a handler without it \
                 returns through `sigreturn` (glibc's restorer for `signal` and busybox's shell)",
        pick: Pick::Any,
    },
];

/// Syscalls the kernel or libc treats as one: a program that makes one
/// makes the others too (it arms the timer it created, deletes it, ends
/// the connection it made), so a table that allows some of them and not
/// the rest lets a program start what it is then killed for finishing.
/// Unlike a [`Family`], the members are not alternatives for one library
/// call: each is a call of its own, made in the same program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Group {
    /// What the members act on, as a reader knows it.
    pub what: &'static str,
    /// Allowing any of these in a table brings in the group.
    pub when: &'static [&'static str],
    /// The members the table must then decide too (allow, or answer on
    /// purpose with an action).
    pub needs: &'static [&'static str],
    /// Why they go together: the kernel or libc source, and programs that
    /// make them.
    pub why: &'static str,
}

const TIMERS: &[&str] = &[
    "timer_create",
    "timer_settime",
    "timer_gettime",
    "timer_getoverrun",
    "timer_delete",
];
const TIMERFDS: &[&str] = &["timerfd_create", "timerfd_settime", "timerfd_gettime"];
const UIDS: &[&str] = &["getuid", "geteuid", "getresuid"];
const GIDS: &[&str] = &["getgid", "getegid", "getresgid"];
const FLUSH: &[&str] = &["fsync", "fdatasync"];
const ITIMERS: &[&str] = &["setitimer", "getitimer"];
const RESOURCES: &[&str] = &["getrlimit", "prlimit64", "getrusage"];

/// The groups [`LintKind::PartialFamily`] checks, each with its reason.
///
/// Left out on purpose: `syncfs` and `sync` beside `fsync` (they write back
/// a whole file system's data, every process's, not a file the program
/// holds), and the setting calls beside the reading ones (`setresuid`
/// beside `getresuid`: a table may let a program read its ids and not
/// change them).
pub const GROUPS: &[Group] = &[
    Group {
        what: "POSIX timers",
        when: TIMERS,
        needs: TIMERS,
        why: "one kernel object (kernel/time/posix-timers.c), each call a glibc wrapper of its \
              own: a program that creates a timer arms it, reads it and deletes it \
              (`timeout` arms one; a program that stops waiting deletes it)",
    },
    Group {
        what: "timer descriptors",
        when: TIMERFDS,
        needs: TIMERFDS,
        why: "one kernel object (fs/timerfd.c): a timerfd is made, armed and read back with \
              these three calls",
    },
    Group {
        what: "the user ids",
        when: UIDS,
        needs: UIDS,
        why: "the same ids read one, two or three at a time (kernel/sys.c): which a program \
              makes is its own choice (Python's os.getresuid, Ruby's and OpenSSH's checks for \
              a setuid start), and none tells it anything the others hide",
    },
    Group {
        what: "the group ids",
        when: GIDS,
        needs: GIDS,
        why: "the same ids read one, two or three at a time (kernel/sys.c): which a program \
              makes is its own choice, and none tells it anything the others hide",
    },
    Group {
        what: "flushing a file to storage",
        when: FLUSH,
        needs: FLUSH,
        why: "both write a file's data back (fs/sync.c), `fdatasync` leaving out metadata \
              not needed to read it back; which one a program makes depends on its build and \
              the file (SQLite flushes its journal with one and its directory with the other)",
    },
    Group {
        what: "interval timers",
        when: ITIMERS,
        needs: ITIMERS,
        why: "one timer per process and kind (kernel/time/itimer.c): a program that sets one \
              reads it back (getitimer), or saves and restores it around its own use",
    },
    Group {
        what: "the process's own resource limits and use",
        when: &["getrlimit", "prlimit64"],
        needs: RESOURCES,
        why: "glibc's getrlimit(3) makes `prlimit64` (musl: `prlimit64`, then `getrlimit`), \
              and programs that read their limits read what they used of them too (Python's \
              resource module, bash's `ulimit` and `times`, make's load checks)",
    },
    Group {
        what: "a socket's two directions",
        when: &["socket", "socketpair", "accept", "accept4"],
        needs: &["shutdown"],
        why: "a connected socket is ended one direction at a time with `shutdown` \
              (net/socket.c): HTTP clients half-close after a request, and libuv (Node) ends \
              a child's standard input, a socket pair, with it",
    },
];

/// Runs every lint on `compiled`; findings sorted by place, then lint.
pub fn lint(compiled: &Compiled) -> Vec<Lint> {
    let mut out = Vec::new();
    split_families(compiled, &mut out);
    partial_families(compiled, &mut out);
    never_matches(compiled, &mut out);
    shadowed_actions(compiled, &mut out);
    redundant_rules(compiled, &mut out);
    caps_adding_nothing(compiled, &mut out);
    not_everywhere(compiled, &mut out);
    out.sort_by(|a, b| {
        (a.diagnostic.loc, a.kind, &a.diagnostic.message).cmp(&(
            b.diagnostic.loc,
            b.kind,
            &b.diagnostic.message,
        ))
    });
    out
}

/// Rules some architectures leave out (`ArchRules::unchecked`): one finding
/// per rule and parameter, naming the architectures and what the call takes
/// on each.
fn not_everywhere(compiled: &Compiled, out: &mut Vec<Lint>) {
    let mut found: BTreeMap<(Loc, &str, &str, &str), Vec<Arch>> = BTreeMap::new();
    for a in &compiled.arches {
        for u in &a.unchecked {
            found
                .entry((u.loc, &u.rule, &u.syscall, &u.param))
                .or_default()
                .push(a.arch);
        }
    }
    for ((loc, rule, syscall, param), arches) in found {
        let names: Vec<&str> = arches.iter().map(|a| a.name()).collect();
        let mut takes: Vec<(String, Vec<&str>)> = Vec::new();
        for a in &arches {
            let what = describe_parameters(*a, syscall);
            match takes.iter_mut().find(|(w, _)| *w == what) {
                Some((_, on)) => on.push(a.name()),
                None => takes.push((what, vec![a.name()])),
            }
        }
        let takes: Vec<String> = takes
            .into_iter()
            .map(|(what, on)| format!("on {} `{syscall}` has {what}", on.join(", ")))
            .collect();
        out.push(Lint {
            kind: LintKind::NotEverywhere,
            diagnostic: Diagnostic::at(
                loc,
                format!(
                    "{} does not apply on {}: `{syscall}` has no {} there",
                    quoted(rule),
                    list(&names, "and"),
                    quoted(param)
                ),
            )
            .with_note(takes.join("; "))
            .with_help(
                "a filter there cannot check the condition, so the call is decided as if the rule \
                 were not written: by the other rules, else `default`",
            ),
        });
    }
}

/// The names a table allows (any `allow` rule) and decides (allows, or
/// answers with an action), with where each allowed name is first listed.
struct Names<'a> {
    allowed: BTreeMap<&'a str, Loc>,
    decided: BTreeSet<&'a str>,
}

fn names(table: &Table) -> Names<'_> {
    let mut allowed = BTreeMap::new();
    for r in &table.allow {
        allowed.entry(r.syscall()).or_insert(r.loc);
    }
    let mut decided: BTreeSet<&str> = allowed.keys().copied().collect();
    decided.extend(table.actions.iter().map(|a| a.rule.syscall()));
    Names { allowed, decided }
}

/// The architectures where `name` exists.
fn arches_with(name: &str) -> Vec<Arch> {
    Arch::ALL
        .into_iter()
        .filter(|a| syscalls::number(*a, name).is_some())
        .collect()
}

/// Whether `arch` has the syscall `name`.
fn has(arch: Arch, name: &str) -> bool {
    syscalls::number(arch, name).is_some()
}

/// The architectures where a libc makes `member` for the family's call.
fn used_on(family: &Family, member: &str) -> Vec<Arch> {
    Arch::ALL
        .into_iter()
        .filter(|a| match family.pick {
            Pick::Any => has(*a, member),
            Pick::FirstThatExists => {
                family.members.iter().find(|m| has(*a, m)).copied() == Some(member)
            }
        })
        .collect()
}

fn list(items: &[&str], conj: &str) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} {conj} {last}", init.join(", ")),
    }
}

fn split_families(compiled: &Compiled, out: &mut Vec<Lint>) {
    let policy = &compiled.policy;
    let base = names(&policy.base);
    let mut base_missing: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    let scopes = std::iter::once(("[base]".to_owned(), &policy.base, None)).chain(
        policy
            .caps
            .iter()
            .map(|c| (format!("[cap.{}]", c.name), &c.table, Some(()))),
    );
    for (table_name, table, is_cap) in scopes {
        let own = names(table);
        for (fi, family) in FAMILIES.iter().enumerate() {
            let present: Vec<(&str, Loc)> = family
                .members
                .iter()
                .filter_map(|m| own.allowed.get(m).map(|loc| (*m, *loc)))
                .collect();
            let Some(first) = present.iter().map(|p| p.1).min() else {
                continue;
            };
            let decided =
                |m: &str| own.decided.contains(m) || (is_cap.is_some() && base.decided.contains(m));
            let missing: Vec<&str> = family
                .members
                .iter()
                .copied()
                .filter(|m| !decided(m) && !used_on(family, m).is_empty())
                .collect();
            if missing.is_empty() {
                continue;
            }
            match is_cap {
                None => {
                    base_missing.insert(fi, missing.clone());
                }
                Some(()) if base_missing.get(&fi) == Some(&missing) => continue,
                Some(()) => {}
            }
            let mut arches: Vec<Arch> = missing.iter().flat_map(|m| used_on(family, m)).collect();
            arches.sort();
            arches.dedup();
            let arch_names: Vec<&str> = arches.iter().map(|a| a.name()).collect();
            let allowed: Vec<String> = present.iter().map(|p| format!("`{}`", p.0)).collect();
            let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
            let missing_q: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
            let missing_q: Vec<&str> = missing_q.iter().map(String::as_str).collect();
            let message = format!(
                "`{table_name}` allows {} but not {}, which {} {} on {}",
                list(&allowed, "and"),
                list(&missing_q, "or"),
                family.call,
                match (family.pick, family.call.contains(" and ")) {
                    (Pick::FirstThatExists, false) => "makes",
                    (Pick::FirstThatExists, true) => "make",
                    (Pick::Any, _) => "can make",
                },
                list(&arch_names, "and"),
            );
            let example = missing[0];
            out.push(Lint {
                kind: LintKind::SplitFamily,
                diagnostic: Diagnostic::at(first, message)
                    .with_note(family.source)
                    .with_help(format!(
                        "allow {} in `{table_name}` too, or refuse {} on purpose with an action \
                         (`{example} = \"EPERM\"`)",
                        list(&missing_q, "and"),
                        if missing.len() == 1 { "it" } else { "them" },
                    )),
            });
        }
    }
}

/// `[base]` and each cap, with its name and whether it is a cap.
fn scopes(policy: &Policy) -> impl Iterator<Item = (String, &Table, bool)> {
    std::iter::once(("[base]".to_owned(), &policy.base, false)).chain(
        policy
            .caps
            .iter()
            .map(|c| (format!("[cap.{}]", c.name), &c.table, true)),
    )
}

fn partial_families(compiled: &Compiled, out: &mut Vec<Lint>) {
    let policy = &compiled.policy;
    let base = names(&policy.base);
    let mut base_missing: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for (table_name, table, is_cap) in scopes(policy) {
        let own = names(table);
        for (gi, group) in GROUPS.iter().enumerate() {
            // What brought the group in, and where it is first allowed.
            let present: Vec<(&str, Loc)> = group
                .when
                .iter()
                .filter_map(|m| own.allowed.get(m).map(|loc| (*m, *loc)))
                .collect();
            let Some(first) = present.iter().map(|p| p.1).min() else {
                continue;
            };
            let decided = |m: &str| own.decided.contains(m) || (is_cap && base.decided.contains(m));
            let missing: Vec<&str> = group
                .needs
                .iter()
                .copied()
                .filter(|m| !decided(m))
                .collect();
            if missing.is_empty() {
                continue;
            }
            if !is_cap {
                base_missing.insert(gi, missing.clone());
            } else if base_missing.get(&gi) == Some(&missing) {
                // `[base]`'s finding says it: a cap that adds to the group
                // without completing it has nothing new to be told.
                continue;
            }
            let allowed: Vec<String> = present.iter().map(|p| format!("`{}`", p.0)).collect();
            let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
            let missing_q: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
            let missing_q: Vec<&str> = missing_q.iter().map(String::as_str).collect();
            let example = missing[0];
            out.push(Lint {
                kind: LintKind::PartialFamily,
                diagnostic: Diagnostic::at(
                    first,
                    format!(
                        "`{table_name}` allows {} but not {}, which programs make with {} ({})",
                        list(&allowed, "and"),
                        list(&missing_q, "or"),
                        if present.len() == 1 { "it" } else { "them" },
                        group.what,
                    ),
                )
                .with_note(group.why)
                .with_help(format!(
                    "allow {} in `{table_name}` too, or refuse {} on purpose with an action \
                     (`{example} = \"EPERM\"`)",
                    list(&missing_q, "and"),
                    if missing.len() == 1 { "it" } else { "them" },
                )),
            });
        }
    }
}

/// The rule texts of the file by where they are written.
fn rule_texts(compiled: &Compiled) -> BTreeMap<Loc, &str> {
    let mut texts = BTreeMap::new();
    for (_, table) in compiled.policy.tables() {
        for r in &table.allow {
            texts.insert(r.loc, r.source.as_str());
        }
        for a in &table.actions {
            texts.insert(a.rule.loc, a.rule.source.as_str());
        }
    }
    texts
}

/// Every lowered rule of every table on `arch`, with the table's index
/// (`None` for `[base]`).
fn all_rules(a: &ArchRules) -> impl Iterator<Item = (Option<usize>, &LoweredRule)> {
    a.base.rules.iter().map(|r| (None, r)).chain(
        a.caps
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.rules.iter().map(move |r| (Some(i), r))),
    )
}

/// A conjunction as the rule language would write it, by argument slot.
fn conj_text(conj: &[ArgCmp]) -> String {
    let parts: Vec<String> = conj
        .iter()
        .map(|c| {
            let a = format!("arg{}", c.arg);
            match c.op {
                CmpOp::Eq => format!("{a} == {:#x}", c.value),
                CmpOp::Ne => format!("{a} != {:#x}", c.value),
                CmpOp::Lt => format!("{a} < {:#x}", c.value),
                CmpOp::Le => format!("{a} <= {:#x}", c.value),
                CmpOp::Gt => format!("{a} > {:#x}", c.value),
                CmpOp::Ge => format!("{a} >= {:#x}", c.value),
                CmpOp::MaskedEq(m) => format!("{a} & {m:#x} == {:#x}", c.value),
                CmpOp::MaskedNe(m) => format!("{a} & {m:#x} != {:#x}", c.value),
            }
        })
        .collect();
    parts.join(" && ")
}

fn never_matches(compiled: &Compiled, out: &mut Vec<Lint>) {
    let texts = rule_texts(compiled);
    // (loc, whole?, text of the dead alternative) -> arches where it is dead
    let mut found: BTreeMap<(Loc, bool, String), Vec<Arch>> = BTreeMap::new();
    for a in &compiled.arches {
        for (_, r) in all_rules(a) {
            let Some(alts) = &r.when else { continue };
            let dead: Vec<&Vec<ArgCmp>> = alts.iter().filter(|c| !satisfiable(c)).collect();
            if dead.is_empty() {
                continue;
            }
            if dead.len() == alts.len() {
                found
                    .entry((r.loc, true, String::new()))
                    .or_default()
                    .push(a.arch);
            } else {
                for d in dead {
                    found
                        .entry((r.loc, false, conj_text(d)))
                        .or_default()
                        .push(a.arch);
                }
            }
        }
    }
    for ((loc, whole, alt), arches) in found {
        let text = texts.get(&loc).copied().unwrap_or("?");
        let syscall = text.split('(').next().unwrap_or(text).trim();
        let everywhere = arches.len() == arches_with(syscall).len();
        let message = if whole {
            format!("the condition of {} can never hold", quoted(text))
        } else {
            format!(
                "part of the condition of {} can never hold: {}",
                quoted(text),
                quoted(&alt)
            )
        };
        let mut d = Diagnostic::at(loc, message);
        if !everywhere {
            let names: Vec<&str> = arches.iter().map(|a| a.name()).collect();
            d = d.with_note(format!("only on {}", names.join(", ")));
        }
        d = d.with_help(if whole {
            "no arguments satisfy every comparison of any alternative: the rule never applies"
        } else {
            "no arguments satisfy every comparison of this alternative: remove it"
        });
        out.push(Lint {
            kind: LintKind::NeverMatches,
            diagnostic: d,
        });
    }
}

fn table_name(compiled: &Compiled, table: Option<usize>) -> String {
    match table {
        None => "[base]".to_owned(),
        Some(i) => format!("[cap.{}]", compiled.policy.caps[i].name),
    }
}

fn set_of(a: &ArchRules, table: Option<usize>) -> &SetRules {
    match table {
        None => &a.base,
        Some(i) => &a.caps[i],
    }
}

fn shadowed_actions(compiled: &Compiled, out: &mut Vec<Lint>) {
    // (rule loc, table) -> (arches where shadowed, shadowing loc or None for an allow)
    type Why = (Option<Loc>, Option<usize>);
    let texts = rule_texts(compiled);
    let mut found: BTreeMap<(Loc, Option<usize>), (Vec<Arch>, Why)> = BTreeMap::new();
    let mut seen: BTreeMap<(Loc, Option<usize>), Vec<Arch>> = BTreeMap::new();
    for a in &compiled.arches {
        for (table, r) in all_rules(a) {
            if matches!(r.action, Action::Allow) {
                continue;
            }
            seen.entry((r.loc, table)).or_default().push(a.arch);
            let scope: Vec<(Option<usize>, &SetRules)> = if table.is_some() {
                vec![(None, &a.base), (table, set_of(a, table))]
            } else {
                vec![(None, &a.base)]
            };
            let mut why: Option<Why> = None;
            for (t, s) in &scope {
                if s.allow.binary_search(&r.nr).is_ok() {
                    why = Some((None, *t));
                }
            }
            if why.is_none() {
                for (t, s) in &scope {
                    for q in &s.rules {
                        if q.nr == r.nr
                            && q.when.is_none()
                            && q.order < r.order
                            && !matches!(q.action, Action::Allow)
                        {
                            why = Some((Some(q.loc), *t));
                        }
                    }
                }
            }
            if let Some(why) = why {
                let e = found.entry((r.loc, table)).or_insert((Vec::new(), why));
                e.0.push(a.arch);
            }
        }
    }
    for ((loc, table), (arches, (by, by_table))) in found {
        if seen.get(&(loc, table)).map(Vec::len) != Some(arches.len()) {
            continue;
        }
        let text = texts.get(&loc).copied().unwrap_or("?");
        let syscall = text.split('(').next().unwrap_or(text).trim();
        let here = table_name(compiled, table);
        let there = table_name(compiled, by_table);
        let d = match by {
            None => Diagnostic::at(
                loc,
                format!(
                    "the action for {} in `{here}` never applies: `{there}` allows \
                     `{syscall}` outright, and an allow always wins",
                    quoted(text)
                ),
            )
            .with_help("remove the action, or narrow the `allow` rule with a condition"),
            Some(q) => Diagnostic::at(
                loc,
                format!(
                    "the action for {} in `{here}` never applies: an earlier action for \
                     `{syscall}` in `{there}` answers every such call first",
                    quoted(text)
                ),
            )
            .with_note_at(q, "the earlier action")
            .with_help("remove one of them, or give the earlier one a condition"),
        };
        out.push(Lint {
            kind: LintKind::ShadowedAction,
            diagnostic: d,
        });
    }
}

fn redundant_rules(compiled: &Compiled, out: &mut Vec<Lint>) {
    let texts = rule_texts(compiled);
    let base_locs: BTreeMap<&str, Loc> = compiled
        .policy
        .base
        .allow
        .iter()
        .filter(|r| r.text.condition.is_none())
        .map(|r| (r.syscall(), r.loc))
        .collect();
    for (i, cap) in compiled.policy.caps.iter().enumerate() {
        for r in &cap.table.allow {
            let Some(base_loc) = base_locs.get(r.syscall()) else {
                continue;
            };
            // Lowered, base's outright allow covers every architecture the
            // name exists on.
            let covered = compiled.arches.iter().all(|a| {
                syscalls::number(a.arch, r.syscall())
                    .is_none_or(|nr| a.base.allow.binary_search(&nr).is_ok())
            });
            if !covered {
                continue;
            }
            let text = texts.get(&r.loc).copied().unwrap_or(r.source.as_str());
            let name = table_name(compiled, Some(i));
            out.push(Lint {
                kind: LintKind::RedundantRule,
                diagnostic: Diagnostic::at(
                    r.loc,
                    format!(
                        "{} in `{name}` adds nothing: `[base]` allows `{}` outright",
                        quoted(text),
                        r.syscall()
                    ),
                )
                .with_note_at(*base_loc, "allowed here")
                .with_help(format!("remove it from `{name}`")),
            });
        }
    }
}

fn caps_adding_nothing(compiled: &Compiled, out: &mut Vec<Lint>) {
    for (i, cap) in compiled.policy.caps.iter().enumerate() {
        let same_everywhere = compiled.arches.iter().all(|a| {
            a.with_policy(|p| {
                let base = p.program::<BPF_MAXINSNS>(0, RuleSet::EMPTY, p.default);
                let with = p.program::<BPF_MAXINSNS>(1 << i, RuleSet::EMPTY, p.default);
                matches!((base, with), (Ok(x), Ok(y)) if x == y)
            })
        });
        if !same_everywhere {
            continue;
        }
        let name = format!("[cap.{}]", cap.name);
        let what = if cap.table.allow.is_empty() && cap.table.actions.is_empty() {
            "it has no rules"
        } else {
            "`[base]` already decides every call it names the same way"
        };
        out.push(Lint {
            kind: LintKind::CapAddsNothing,
            diagnostic: Diagnostic::at(
                cap.loc,
                format!("`{name}` adds nothing beyond `[base]`: {what}"),
            )
            .with_note("its program is `[base]`'s on every architecture")
            .with_help("give it the rules its payloads need, or remove it"),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccomp_policy_compiler::compile;

    fn lints(source: &str) -> Vec<(LintKind, String)> {
        let compiled = compile(source).unwrap_or_else(|d| panic!("{d:?}"));
        lint(&compiled)
            .into_iter()
            .map(|l| (l.kind, l.diagnostic.render("p.toml")))
            .collect()
    }

    #[test]
    fn families_name_real_syscalls() {
        for f in FAMILIES {
            assert!(f.members.len() >= 2, "{}", f.call);
            for m in f.members {
                assert!(!arches_with(m).is_empty(), "{m} of {}", f.call);
            }
            assert!(!f.source.is_empty());
        }
    }

    #[test]
    fn split_families() {
        let found = lints("[base]\nallow = [\"read\"]\n[cap.FS]\nallow = [\"unlinkat\", \"mkdir\", \"mkdirat\"]\n");
        let split: Vec<&String> = found
            .iter()
            .filter(|(k, _)| *k == LintKind::SplitFamily)
            .map(|(_, t)| t)
            .collect();
        assert_eq!(split.len(), 2, "{found:?}");
        assert!(split[1].starts_with(
            "p.toml:4:10: `[cap.FS]` allows `unlinkat` but not `unlink`, which unlink(3) makes on x86_64, x86, arm, ppc64le, s390x and mips64el\n\
             note: glibc sysdeps/unix/sysv/linux/unlink.c"
        ), "{}", split[1]);
        assert!(split[1].ends_with("help: allow `unlink` in `[cap.FS]` too, or refuse it on purpose with an action (`unlink = \"EPERM\"`)"), "{}", split[1]);
        assert!(
            split[0].contains("allows `unlinkat` but not `rmdir`"),
            "{}",
            split[0]
        );
        // An action decides a member on purpose; [base]'s rules count for a cap.
        let found = lints("[base]\nallow = [\"unlink\"]\n[base.actions]\nrmdir = \"EPERM\"\n[cap.FS]\nallow = [\"unlinkat\"]\n");
        let split: Vec<&String> = found
            .iter()
            .filter(|(k, _)| *k == LintKind::SplitFamily)
            .map(|(_, t)| t)
            .collect();
        // [base] alone lacks `unlinkat`, which aarch64 and its like need; the
        // cap completes the family.
        assert_eq!(split.len(), 1, "{found:?}");
        assert!(split[0].starts_with("p.toml:2:10: `[base]` allows `unlink` but not `unlinkat`, which unlink(3) makes on aarch64, riscv64 and loongarch64"), "{}", split[0]);
    }

    #[test]
    fn groups_name_real_syscalls() {
        for g in GROUPS {
            assert!(!g.when.is_empty() && !g.needs.is_empty(), "{}", g.what);
            for m in g.when.iter().chain(g.needs) {
                assert!(!arches_with(m).is_empty(), "{m} of {}", g.what);
            }
            assert!(!g.why.is_empty(), "{}", g.what);
        }
    }

    fn of_kind(found: &[(LintKind, String)], kind: LintKind) -> Vec<&str> {
        found
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, t)| t.as_str())
            .collect()
    }

    #[test]
    fn partial_families() {
        let found = lints(
            "[base]\nallow = [\"read\", \"timer_create\", \"timer_settime\", \"socketpair\"]\n\
             [cap.NET]\nallow = [\"socket\", \"connect\"]\n\
             [cap.DB]\nallow = [\"fdatasync\"]\n",
        );
        let partial = of_kind(&found, LintKind::PartialFamily);
        assert_eq!(partial.len(), 3, "{found:?}");
        assert_eq!(
            partial[0],
            "p.toml:2:18: `[base]` allows `timer_create` and `timer_settime` but not \
             `timer_gettime`, `timer_getoverrun` or `timer_delete`, which programs make with \
             them (POSIX timers)\n\
             note: one kernel object (kernel/time/posix-timers.c), each call a glibc wrapper of \
             its own: a program that creates a timer arms it, reads it and deletes it \
             (`timeout` arms one; a program that stops waiting deletes it)\n\
             help: allow `timer_gettime`, `timer_getoverrun` and `timer_delete` in `[base]` too, \
             or refuse them on purpose with an action (`timer_gettime = \"EPERM\"`)"
        );
        assert!(
            partial[1].starts_with(
                "p.toml:2:51: `[base]` allows `socketpair` but not `shutdown`, which programs \
                 make with it (a socket's two directions)"
            ),
            "{}",
            partial[1]
        );
        // [cap.NET]'s `socket` lacks the same `shutdown` as [base]: said
        // once, at [base].
        assert!(
            partial[2].starts_with(
                "p.toml:6:10: `[cap.DB]` allows `fdatasync` but not `fsync`, which programs make \
                 with it (flushing a file to storage)"
            ),
            "{}",
            partial[2]
        );

        // Members [base] decides count for a cap; an action decides on
        // purpose; a cap that makes sockets where [base] makes none is told.
        let found = lints(
            "[base]\nallow = [\"getuid\", \"geteuid\", \"getresuid\", \"fsync\"]\n\
             [base.actions]\nfdatasync = \"EPERM\"\n\
             [cap.NET]\nallow = [\"socket\", \"getgid\"]\n\
             [cap.DB]\nallow = [\"fdatasync\", \"getresgid\"]\n",
        );
        let partial = of_kind(&found, LintKind::PartialFamily);
        assert_eq!(partial.len(), 3, "{found:?}");
        assert!(
            partial[0].starts_with(
                "p.toml:6:10: `[cap.NET]` allows `socket` but not `shutdown`, which programs \
                 make with it (a socket's two directions)"
            ),
            "{}",
            partial[0]
        );
        assert!(
            partial[1].starts_with(
                "p.toml:6:20: `[cap.NET]` allows `getgid` but not `getegid` or `getresgid`"
            ),
            "{}",
            partial[1]
        );
        assert!(
            partial[2].starts_with(
                "p.toml:8:23: `[cap.DB]` allows `getresgid` but not `getgid` or `getegid`"
            ),
            "{}",
            partial[2]
        );

        // Nothing of a group allowed, or all of it: nothing to say.
        assert!(of_kind(
            &lints("[base]\nallow = [\"read\", \"shutdown\", \"getrusage\"]\n"),
            LintKind::PartialFamily
        )
        .is_empty());
        assert!(of_kind(
            &lints(
                "[base]\nallow = [\"socket\", \"shutdown\", \"setitimer\", \"getitimer\", \
                 \"timerfd_create\", \"timerfd_settime\", \"timerfd_gettime\"]\n"
            ),
            LintKind::PartialFamily
        )
        .is_empty());
    }

    #[test]
    fn split_families_of_32_bit_and_legacy_forms() {
        let found = lints(
            "[base]\nallow = [\"mmap\", \"sendto\", \"getpgrp\", \"ppoll\", \"poll\", \"utimensat\"]\n",
        );
        let split = of_kind(&found, LintKind::SplitFamily);
        let heads: Vec<&str> = split.iter().map(|t| t.lines().next().unwrap()).collect();
        assert_eq!(
            heads,
            [
                "p.toml:2:10: `[base]` allows `mmap` but not `mmap2`, which mmap(3) makes on x86 and arm",
                "p.toml:2:18: `[base]` allows `sendto` but not `send`, which send(2) can make on arm and ppc64le",
                "p.toml:2:28: `[base]` allows `getpgrp` but not `getpgid`, which getpgrp(2) can make on \
                 x86_64, x86, aarch64, arm, riscv64, ppc64le, s390x, loongarch64 and mips64el",
                "p.toml:2:39: `[base]` allows `ppoll` but not `pause`, which pause(2) makes on x86_64, \
                 x86, arm, ppc64le, s390x and mips64el",
                "p.toml:2:39: `[base]` allows `ppoll` but not `ppoll_time64`, which ppoll(2) can make \
                 on x86 and arm",
                "p.toml:2:56: `[base]` allows `utimensat` but not `utimensat_time64`, which \
                 utimensat(2) can make on x86 and arm",
                "p.toml:2:56: `[base]` allows `utimensat` but not `utimes`, `utime` or `futimesat`, \
                 which utimes(2) and utime(2) can make on x86_64, x86, arm, ppc64le, s390x and mips64el",
            ],
            "{found:?}"
        );
        // On the architectures without `mmap2`, `mmap` alone is what libc makes.
        assert!(of_kind(
            &lints("[base]\nallow = [\"mmap2\"]\n"),
            LintKind::SplitFamily
        )[0]
            .contains("but not `mmap`, which mmap(3) makes on x86_64, aarch64, riscv64, ppc64le, s390x, loongarch64 and mips64el"));
    }

    #[test]
    fn conditions_that_never_hold() {
        let found = lints("[base]\nallow = [\"prctl(option == 1 && option == 2)\", \"kill(sig == 9 || (pid > 5 && pid < 3))\"]\n");
        let texts: Vec<&str> = found
            .iter()
            .filter(|(k, _)| *k == LintKind::NeverMatches)
            .map(|(_, t)| t.as_str())
            .collect();
        assert_eq!(texts.len(), 2, "{found:?}");
        assert!(
            texts[0].starts_with(
                "p.toml:2:10: the condition of `prctl(option == 1 && option == 2)` can never hold"
            ),
            "{}",
            texts[0]
        );
        assert!(texts[1].starts_with("p.toml:2:47: part of the condition of `kill(sig == 9 || (pid > 5 && pid < 3))` can never hold: `arg0 > 0x5 && arg0 < 0x3`"), "{}", texts[1]);
    }

    #[test]
    fn shadowed_actions_and_redundant_rules() {
        let found = lints(
            "[base]\nallow = [\"read\", \"socket\"]\n[base.actions]\nioctl = \"EPERM\"\n\"ioctl(cmd == 1)\" = \"ENOSYS\"\n\
             [cap.NET]\nallow = [\"socket(family == AF_INET)\", \"connect\"]\nactions = { read = \"EPERM\" }\n",
        );
        let kinds: Vec<LintKind> = found.iter().map(|f| f.0).collect();
        assert!(kinds.contains(&LintKind::ShadowedAction), "{found:?}");
        assert!(kinds.contains(&LintKind::RedundantRule), "{found:?}");
        let texts: Vec<&str> = found.iter().map(|f| f.1.as_str()).collect();
        assert!(texts.iter().any(|t| t.starts_with("p.toml:5:1: the action for `ioctl(cmd == 1)` in `[base]` never applies: an earlier action for `ioctl` in `[base]` answers every such call first\nnote: p.toml:4:1: the earlier action")), "{texts:?}");
        assert!(texts.iter().any(|t| t.starts_with("p.toml:8:13: the action for `read` in `[cap.NET]` never applies: `[base]` allows `read` outright")), "{texts:?}");
        assert!(texts.iter().any(|t| t.starts_with("p.toml:7:10: `socket(family == AF_INET)` in `[cap.NET]` adds nothing: `[base]` allows `socket` outright\nnote: p.toml:2:18: allowed here")), "{texts:?}");
    }

    #[test]
    fn allow_comments_set_findings_apart() {
        let source = "[base]\nallow = [\"read\"]\n\
            # Named by harness code.\n\
            # lint: allow(cap-adds-nothing): exists to be named\n\
            [cap.EMPTY]\nallow = []\n\
            [cap.SAME]  # lint: allow(cap-adds-nothing): kept for old harnesses\n\
            allow = [\"read\"]  # lint: allow(redundant-rule)\n\
            # lint: allow(split-family): nothing splits here\n\
            [cap.REAL]\nallow = [\"write\"]\n\
            # lint: allow(no-such-lint): why\n\
            # lint: allow(cap-adds-nothing): a blank line follows\n\
            \n\
            [cap.OTHER]\nallow = []\n";
        let compiled = compile(source).unwrap();
        let checked = allow_in_source(source, lint(&compiled));
        let allowed: Vec<(usize, &str)> = checked
            .allowed
            .iter()
            .map(|a| (a.lint.diagnostic.loc.unwrap().line, a.reason.as_str()))
            .collect();
        assert_eq!(
            allowed,
            [(5, "exists to be named"), (7, "kept for old harnesses")]
        );
        let reported: Vec<String> = checked
            .reported
            .iter()
            .map(|l| format!("{} {}", l.kind.name(), l.diagnostic.render("p.toml")))
            .collect();
        let heads: Vec<&str> = reported.iter().map(|r| r.lines().next().unwrap()).collect();
        assert_eq!(
            heads,
            [
                "redundant-rule p.toml:8:10: `read` in `[cap.SAME]` adds nothing: `[base]` allows `read` outright",
                "lint-allow p.toml:8:19: allowing `redundant-rule` needs a reason",
                "lint-allow p.toml:9:1: `split-family` is allowed here, but nothing here has it",
                "lint-allow p.toml:12:1: `no-such-lint` is not a lint",
                "lint-allow p.toml:13:1: `cap-adds-nothing` is allowed here, but nothing here has it",
                "cap-adds-nothing p.toml:15:1: `[cap.OTHER]` adds nothing beyond `[base]`: it has no rules",
            ],
            "{reported:#?}"
        );
    }

    #[test]
    fn rules_some_architectures_leave_out() {
        let found = lints(
            "[base]\nallow = [\"mprotect(prot & PROT_EXEC == 0)\", \"mmap(prot & PROT_EXEC == 0)\", \
             \"cacheflush(cache == 1)\"]\n",
        );
        let texts: Vec<&str> = found
            .iter()
            .filter(|(k, _)| *k == LintKind::NotEverywhere)
            .map(|(_, t)| t.as_str())
            .collect();
        assert_eq!(
            texts,
            [
                "p.toml:2:45: `mmap(prot & PROT_EXEC == 0)` does not apply on x86 and s390x: `mmap` has no `prot` there\n\
                 note: on x86, s390x `mmap` has the parameter `arg` (a pointer)\n\
                 help: a filter there cannot check the condition, so the call is decided as if the rule were not written: by the other rules, else `default`",
                "p.toml:2:76: `cacheflush(cache == 1)` does not apply on arm: `cacheflush` has no `cache` there\n\
                 note: on arm `cacheflush` has no parameter names: an ARM-private call, read from the registers without a prototype\n\
                 help: a filter there cannot check the condition, so the call is decided as if the rule were not written: by the other rules, else `default`",
            ],
            "{found:?}"
        );
        assert!(lints("[base]\nallow = [\"mprotect(prot & PROT_EXEC == 0)\"]\n").is_empty());
    }

    #[test]
    fn caps_that_add_nothing() {
        let found = lints("[base]\nallow = [\"read\"]\n[cap.EMPTY]\nallow = []\n[cap.SAME]\nallow = [\"read\"]\n[cap.REAL]\nallow = [\"write\"]\n");
        let caps: Vec<&str> = found
            .iter()
            .filter(|(k, _)| *k == LintKind::CapAddsNothing)
            .map(|(_, t)| t.as_str())
            .collect();
        assert_eq!(caps.len(), 2, "{found:?}");
        assert!(
            caps[0].starts_with(
                "p.toml:3:1: `[cap.EMPTY]` adds nothing beyond `[base]`: it has no rules"
            ),
            "{}",
            caps[0]
        );
        assert!(
            caps[1].starts_with(
                "p.toml:5:1: `[cap.SAME]` adds nothing beyond `[base]`: `[base]` already decides"
            ),
            "{}",
            caps[1]
        );
        assert!(lints("[base]\nallow = [\"read\"]\n").is_empty());
    }
}
