//! What a table lets a payload reach beyond system calls: files beneath
//! paths, and TCP ports. Seccomp cannot see either (a path is behind a
//! pointer, a port inside a `sockaddr`); the run time enforces them with a
//! Landlock domain. The same for every architecture.
//!
//! Entries are kept as the policy file wrote them, checked by the front
//! end: a path is absolute (`/usr`) or starts with a variable (`$WORKDIR`,
//! `$TMPDIR/cache`); a port is a number (`443`) or a variable (`$PORTS`)
//! whose value the harness gives at run time.

/// What one table (`[base]` or a cap) lets a payload reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reach<'a> {
    /// The table has an `fs` table: when it is granted, file access is
    /// confined to what the granted tables list.
    pub fs: bool,
    /// Paths beneath which files may be read, directories listed and
    /// programs executed (`fs.read`).
    pub read: &'a [&'a str],
    /// Paths beneath which files may also be written, made, removed,
    /// renamed and truncated (`fs.write`); device nodes never.
    pub write: &'a [&'a str],
    /// The table has a `net` table: when it is granted, TCP `connect` and
    /// `bind` are confined to the ports the granted tables list.
    pub net: bool,
    /// TCP ports that may be connected to (`net.connect`).
    pub connect: &'a [&'a str],
    /// TCP ports that may be bound (`net.bind`).
    pub bind: &'a [&'a str],
}

impl Reach<'_> {
    /// A table with neither `fs` nor `net`: it confines nothing.
    pub const NONE: Reach<'static> = Reach {
        fs: false,
        read: &[],
        write: &[],
        net: false,
        connect: &[],
        bind: &[],
    };

    /// Whether the table says anything about files or ports.
    pub const fn is_none(&self) -> bool {
        !self.fs && !self.net
    }
}

/// The built-in variables a path or port may start with. A policy may
/// declare more (`vars = ["NAME"]`); the harness gives their values.
pub const BUILTIN_VARS: &[(&str, &str)] = &[
    (
        "WORKDIR",
        "the command's working directory, unless the harness gives another",
    ),
    (
        "TMPDIR",
        "the harness's `TMPDIR`, or `/tmp`, unless the harness gives another",
    ),
    (
        "PORTS",
        "TCP ports the harness gives, as `443,8080`; `*` (any port) unless it gives some",
    ),
];

/// An entry's variable and the rest after it: `$TMPDIR/cache` is
/// `Some(("TMPDIR", "/cache"))`; an entry without a variable is `None`.
pub fn split_var(entry: &str) -> Option<(&str, &str)> {
    let rest = entry.strip_prefix('$')?;
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    Some((&rest[..end], &rest[end..]))
}

/// What a Landlock domain checks on a system call, beyond the filter's
/// verdict: which part of a table's [`Reach`] decides whether the call
/// succeeds (`EACCES` when it does not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checked {
    /// The paths it opens, executes, makes, removes, renames, links or
    /// truncates (`fs.read`, `fs.write`).
    Files,
    /// The TCP port it connects to or binds (`net.connect`, `net.bind`).
    Ports,
    /// Both: `bind` names a TCP port, or a path for a unix socket, which
    /// Landlock checks as a file made beneath `fs.write`.
    FilesAndPorts,
}

/// The calls behind Landlock's filesystem access rights.
const FILE_CALLS: &[&str] = &[
    "creat",
    "execve",
    "execveat",
    "ftruncate",
    "ftruncate64",
    "ioctl",
    "link",
    "linkat",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "open",
    "openat",
    "openat2",
    "rename",
    "renameat",
    "renameat2",
    "rmdir",
    "symlink",
    "symlinkat",
    "truncate",
    "truncate64",
    "unlink",
    "unlinkat",
];

/// Which of a table's files and ports Landlock checks on the system call
/// `name`, if it checks either: the calls behind the filesystem access
/// rights (`LANDLOCK_ACCESS_FS_*`: execute, read and write a file, read a
/// directory, make, remove and refer to entries, truncate, device ioctls)
/// and the network ones (`LANDLOCK_ACCESS_NET_BIND_TCP`,
/// `..._CONNECT_TCP`), after the kernel's Landlock documentation. The same
/// names on every architecture; a name an architecture lacks is never
/// looked up there.
pub fn checked_by_landlock(name: &str) -> Option<Checked> {
    match name {
        "connect" => Some(Checked::Ports),
        "bind" => Some(Checked::FilesAndPorts),
        _ if FILE_CALLS.contains(&name) => Some(Checked::Files),
        _ => None,
    }
}

/// The calls of [`FILE_CALLS`] that take a descriptor, not a path:
/// Landlock checks them on a file opened before.
const DESCRIPTOR_CALLS: &[&str] = &["ftruncate", "ftruncate64", "ioctl"];

/// Whether Landlock checks the system call `name` on a path it is given
/// (not on a descriptor, and not on a socket address): the calls of
/// [`checked_by_landlock`]'s [`Checked::Files`] but `ftruncate` and
/// `ioctl`. What a supervisor must read to learn the files a command
/// needs.
pub fn checks_a_path(name: &str) -> bool {
    checked_by_landlock(name) == Some(Checked::Files) && !DESCRIPTOR_CALLS.contains(&name)
}

/// The names [`checks_a_path`] is true of.
pub fn path_calls() -> impl Iterator<Item = &'static str> {
    FILE_CALLS.iter().copied().filter(|n| checks_a_path(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_calls_are_the_file_calls_that_take_a_path() {
        let names: Vec<&str> = path_calls().collect();
        for name in [
            "open",
            "openat",
            "openat2",
            "creat",
            "mkdir",
            "mkdirat",
            "unlink",
            "unlinkat",
            "rmdir",
            "rename",
            "renameat",
            "renameat2",
            "link",
            "linkat",
            "symlink",
            "symlinkat",
            "truncate",
            "execve",
            "execveat",
            "mknod",
            "mknodat",
        ] {
            assert!(names.contains(&name), "{name}");
        }
        for name in [
            "ioctl",
            "ftruncate",
            "ftruncate64",
            "bind",
            "connect",
            "read",
        ] {
            assert!(!checks_a_path(name), "{name}");
        }
    }

    #[test]
    fn variables_split_off_their_rest() {
        assert_eq!(split_var("$WORKDIR"), Some(("WORKDIR", "")));
        assert_eq!(split_var("$TMPDIR/cache/x"), Some(("TMPDIR", "/cache/x")));
        assert_eq!(split_var("/usr"), None);
        assert_eq!(split_var("$"), Some(("", "")));
        assert!(Reach::NONE.is_none());
    }

    #[test]
    fn opening_and_connecting_are_checked_reading_is_not() {
        assert_eq!(checked_by_landlock("openat"), Some(Checked::Files));
        assert_eq!(checked_by_landlock("renameat2"), Some(Checked::Files));
        assert_eq!(checked_by_landlock("connect"), Some(Checked::Ports));
        assert_eq!(checked_by_landlock("bind"), Some(Checked::FilesAndPorts));
        // Landlock checks a file when it is opened, not each read of it.
        for unchecked in ["read", "write", "getdents64", "socket", "sendto", "kill"] {
            assert_eq!(checked_by_landlock(unchecked), None, "{unchecked}");
        }
    }

    #[test]
    fn every_checked_name_is_a_syscall_somewhere() {
        use crate::{syscalls, Arch};
        for name in FILE_CALLS.iter().chain(&["connect", "bind"]) {
            assert!(
                Arch::ALL
                    .iter()
                    .any(|&a| syscalls::number(a, name).is_some()),
                "{name}"
            );
        }
    }
}
