//! Learning the files a command needs, in learn mode.
//!
//! Under `run` the policy's `fs` tables confine files with Landlock, which
//! fails a call on a path beyond them with `EACCES`; the supervisor never
//! sees it. Learn mode enforces no `fs` table, so its program sends every
//! call Landlock checks on a path ([`checks_a_path`](crate::reach::checks_a_path))
//! to the supervisor, allowed or not (`Model::program`). While the call
//! waits, the supervisor:
//!
//! 1. reads the path from the caller's memory (`process_vm_readv`, at
//!    most `PATH_MAX` bytes), and `openat2`'s flags from its `open_how`;
//! 2. resolves a relative path against the directory descriptor
//!    (`AT_FDCWD`: `/proc/TID/cwd`; else `/proc/TID/fd/N`) and removes `.`
//!    and `..` by their text;
//! 3. classifies the access Landlock checks ([`FileAccess`]): reading or
//!    executing a file, writing or truncating one, or making or removing
//!    an entry, which Landlock checks on the directory it is in (`mkdir`,
//!    `unlink`, both ends of `rename`, `link`, `symlink`, `creat` and
//!    `O_CREAT` of a missing file). A call the kernel fails before
//!    Landlock is asked (opening a missing file without `O_CREAT`, making
//!    what exists, removing what does not, an `O_PATH` open) is none;
//! 4. checks that the call is still pending (what was read was the
//!    caller's), and compares the path with the granted tables' `fs`
//!    entries, their variables expanded as the Landlock domain expands
//!    them, "beneath" as Landlock means it: the entry itself or below it.
//!    Paths and entries are compared with their symlinks resolved (a
//!    Landlock rule is on what its path names), but for paths beneath
//!    `/proc`, which in a pid namespace is the command's own: those are
//!    compared by their text.
//!
//! `bind` of a unix socket's path makes the socket file, which Landlock
//! checks as an entry made in its directory: learn mode sends `bind` too,
//! reads the `sockaddr_un`'s path (to its NUL or the length given; an
//! abstract name is no file) and takes it as `mknod` would be taken.
//!
//! A path beyond the grant goes in the report once per path and access
//! ([`FileSeen`], at most [`MAX_FILES`]), with the caps whose `fs` tables
//! would grant it; then the call runs, as learn mode lets calls run.
//! Nothing of this runs in enforce mode, whose program and answers stay
//! the policy's.

use core::fmt;
use std::collections::HashMap;
use std::path::Path;

use crate::arch::Arch;
use crate::domain::{Domain, DomainError, Vars};
use crate::notify::{Listener, Notification, ProcessInfo};
use crate::policy::{cap_bit, Policy};
use crate::sys::read_process_memory;

use super::Report;

/// How many distinct paths and accesses a report keeps; more are counted
/// in [`Report::files_dropped`].
pub const MAX_FILES: usize = 256;

/// The longest path the kernel takes, its NUL included (`PATH_MAX`).
const PATH_MAX: usize = 4096;

/// What Landlock checks a path for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileAccess {
    /// Reading a file or listing a directory (`open` read-only).
    Read,
    /// Executing a file (`execve`): the `read` list grants it.
    Execute,
    /// Writing or truncating a file (`open` for writing, `O_TRUNC`,
    /// `truncate`).
    Write,
    /// Making an entry in a directory (`mkdir`, `mknod`, `creat`, `O_CREAT`
    /// of a missing file, `link`, `symlink`, where `rename` puts one): the
    /// path is the directory.
    Make,
    /// Removing an entry from a directory (`unlink`, `rmdir`, where
    /// `rename` takes one from): the path is the directory.
    Remove,
}

impl FileAccess {
    /// The `fs` list that grants it: `"read"` or `"write"`.
    pub const fn list(self) -> &'static str {
        match self {
            FileAccess::Read | FileAccess::Execute => "read",
            FileAccess::Write | FileAccess::Make | FileAccess::Remove => "write",
        }
    }

    /// Its name, as the summary says it.
    pub const fn name(self) -> &'static str {
        match self {
            FileAccess::Read => "read",
            FileAccess::Execute => "execute",
            FileAccess::Write => "write",
            FileAccess::Make => "make in",
            FileAccess::Remove => "remove from",
        }
    }
}

impl fmt::Display for FileAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A path a command reached beyond its grant's `fs` tables, in learn mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSeen {
    /// What Landlock checks: the file, or for [`FileAccess::Make`] and
    /// [`FileAccess::Remove`] the directory; absolute, symlinks resolved
    /// where it could be (beneath `/proc`: as the command named it). The
    /// entry that grants it.
    pub path: String,
    /// How it was reached.
    pub access: FileAccess,
    /// How many calls reached it so.
    pub count: u64,
    /// The process and program of the first call, if it could be read.
    pub first: Option<ProcessInfo>,
    /// The caps not granted whose `fs` tables grant it, in the policy's
    /// order.
    pub caps: Vec<String>,
    /// The entry that grants it, for an `fs` list: [`path`](FileSeen::path),
    /// or, beneath the command's `$WORKDIR` or `$TMPDIR`, the variable and
    /// the rest (`$WORKDIR/out`), so that it holds wherever the command runs.
    pub entry: String,
}

/// Paths a set of `fs` tables grants, as a Landlock domain of them would.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Grant {
    read: Vec<String>,
    write: Vec<String>,
}

impl Grant {
    /// The grant of `read` and `write` entries (variables expanded): each
    /// with its symlinks resolved, as the domain opens it; one that does
    /// not exist is left out, as the domain leaves it out.
    pub(crate) fn new(read: &[String], write: &[String]) -> Grant {
        let resolve = |list: &[String]| -> Vec<String> {
            list.iter()
                .filter_map(|p| {
                    if beneath("/proc", p) {
                        return Some(normalise("/", p));
                    }
                    std::fs::canonicalize(p)
                        .ok()
                        .map(|c| c.to_string_lossy().into_owned())
                })
                .collect()
        };
        Grant {
            read: resolve(read),
            write: resolve(write),
        }
    }

    /// Whether the grant allows `access` on `path` (absolute, resolved):
    /// reading and executing beneath a `read` or `write` entry, the rest
    /// beneath a `write` entry.
    pub(crate) fn covers(&self, path: &str, access: FileAccess) -> bool {
        let lists: &[&Vec<String>] = match access.list() {
            "read" => &[&self.read, &self.write],
            _ => &[&self.write],
        };
        lists
            .iter()
            .flat_map(|l| l.iter())
            .any(|entry| beneath(entry, path))
    }
}

/// Whether `path` is `entry` or beneath it, as Landlock's rules on
/// `entry` reach it: by whole names (`/usr` does not reach `/usrx`).
/// Both absolute and normalised.
pub(crate) fn beneath(entry: &str, path: &str) -> bool {
    let entry = entry.trim_end_matches('/');
    match path.strip_prefix(entry) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// The `fs` entry for `path`: beneath a place of `places` (a variable's
/// name and its value; the deepest wins, `/` never does), the variable and
/// the rest; else `path` itself.
pub(crate) fn entry_for(path: &str, places: &[(&str, String)]) -> String {
    places
        .iter()
        .filter(|(_, value)| value != "/" && beneath(value, path))
        .max_by_key(|(_, value)| value.len())
        .map_or_else(
            || path.to_owned(),
            |(name, value)| format!("${name}{}", &path[value.trim_end_matches('/').len()..]),
        )
}

/// `path` made absolute against the directory `base` (when relative),
/// with `.`, `..` and repeated slashes removed by their text; `..` of the
/// root is the root.
pub(crate) fn normalise(base: &str, path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let joined = if path.starts_with('/') {
        [path, ""]
    } else {
        [base, path]
    };
    for part in joined.iter().flat_map(|s| s.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let mut out = String::with_capacity(path.len() + base.len() + 1);
    for p in &parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// `path`'s directory (normalised, absolute): `/` for `/` itself.
fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// Where a call's open flags are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flags {
    /// In this argument.
    Arg(usize),
    /// In the `open_how` this argument points to (`openat2`).
    How(usize),
    /// `creat`'s: `O_CREAT | O_WRONLY | O_TRUNC`.
    Creat,
}

/// What a call does with one path it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Opens it with flags.
    Open(Flags),
    /// Makes it.
    Make,
    /// Removes it.
    Remove,
    /// Executes it.
    Execute,
    /// Truncates it.
    Truncate,
}

/// A path a call names: the argument with its directory descriptor
/// (`None`: relative to the working directory), the one with its address,
/// and what the call does with it.
pub(crate) type PathArg = (Option<usize>, usize, Role);

/// The paths call `name` names, after its manual page's parameters; empty
/// for a call that names none.
pub(crate) fn path_args(name: &str) -> &'static [PathArg] {
    use Role::{Execute, Make, Open, Remove, Truncate};
    match name {
        "open" => &[(None, 0, Open(Flags::Arg(1)))],
        "openat" => &[(Some(0), 1, Open(Flags::Arg(2)))],
        "openat2" => &[(Some(0), 1, Open(Flags::How(2)))],
        "creat" => &[(None, 0, Open(Flags::Creat))],
        "mkdir" | "mknod" => &[(None, 0, Make)],
        "mkdirat" | "mknodat" => &[(Some(0), 1, Make)],
        "unlink" | "rmdir" => &[(None, 0, Remove)],
        "unlinkat" => &[(Some(0), 1, Remove)],
        "rename" => &[(None, 0, Remove), (None, 1, Make)],
        "renameat" | "renameat2" => &[(Some(0), 1, Remove), (Some(2), 3, Make)],
        "link" | "symlink" => &[(None, 1, Make)],
        "linkat" => &[(Some(2), 3, Make)],
        "symlinkat" => &[(Some(1), 2, Make)],
        "truncate" | "truncate64" => &[(None, 0, Truncate)],
        "execve" => &[(None, 0, Execute)],
        "execveat" => &[(Some(0), 1, Execute)],
        _ => &[],
    }
}

/// The access Landlock checks when a call does `role` with flags `flags`
/// on a path that `exists` (or not), and whether it is checked on the
/// path's directory rather than on the path; `None` when the kernel fails
/// the call before Landlock is asked, or Landlock does not check it
/// (`O_PATH`).
pub(crate) fn access_of(role: Role, flags: u64, exists: bool) -> Option<(FileAccess, bool)> {
    // The generic values, which x86, arm and riscv share; from the
    // kernel's include/uapi/asm-generic/fcntl.h through libc.
    let flag = |f: libc::c_int| flags & (f as u64) != 0;
    match role {
        Role::Open(_) => {
            if flag(libc::O_PATH) {
                return None;
            }
            // O_TMPFILE makes an unnamed file in the directory named.
            if flags & (libc::O_TMPFILE as u64) == libc::O_TMPFILE as u64 {
                return exists.then_some((FileAccess::Make, false));
            }
            if !exists {
                return flag(libc::O_CREAT).then_some((FileAccess::Make, true));
            }
            // EEXIST before the file is opened.
            if flag(libc::O_CREAT) && flag(libc::O_EXCL) {
                return None;
            }
            let writes = flags & (libc::O_ACCMODE as u64) != libc::O_RDONLY as u64;
            Some(if writes || flag(libc::O_TRUNC) {
                (FileAccess::Write, false)
            } else {
                (FileAccess::Read, false)
            })
        }
        Role::Make => (!exists).then_some((FileAccess::Make, true)),
        Role::Remove => exists.then_some((FileAccess::Remove, true)),
        Role::Execute => exists.then_some((FileAccess::Execute, false)),
        Role::Truncate => exists.then_some((FileAccess::Write, false)),
    }
}

/// What learn mode compares the paths a command names with: the
/// numbers of the calls that name paths, the grant, and each other cap's.
#[derive(Debug)]
pub(crate) struct FileLearning {
    /// The native path calls the program sends, with their names, sorted.
    calls: Vec<(u32, &'static str)>,
    /// The granted tables' paths.
    grant: Grant,
    /// Each cap not granted that has paths of its own, with them.
    caps: Vec<(String, Grant)>,
    /// Directories resolved so far.
    dirs: Dirs,
    /// `$WORKDIR` and `$TMPDIR`, resolved: what [`FileSeen::entry`] says
    /// paths beneath them with.
    places: Vec<(&'static str, String)>,
}

impl FileLearning {
    /// What to compare with for `policy` granted `caps`; `None` when no
    /// granted table has `fs` (files are not confined then) or the policy
    /// has no native architecture.
    pub(crate) fn new(
        policy: &Policy<'_>,
        caps: u64,
        vars: &Vars,
        workdir: Option<&Path>,
    ) -> Result<Option<FileLearning>, DomainError> {
        let Some(native) = policy.native() else {
            return Ok(None);
        };
        let (fs, read, write) = Domain::granted_files(policy.granted_reach(caps), vars, workdir)?;
        if !fs {
            return Ok(None);
        }
        let mut others = Vec::new();
        for (i, name) in policy.cap_names.iter().enumerate() {
            let Some(bit) = cap_bit(i) else { break };
            let Some(reach) = policy.reach.get(i + 1) else {
                break;
            };
            if caps & bit != 0 || !reach.fs {
                continue;
            }
            let (_, r, w) = Domain::granted_files(core::iter::once(reach), vars, workdir)?;
            others.push(((*name).to_owned(), Grant::new(&r, &w)));
        }
        let mut calls: Vec<(u32, &'static str)> = super::model::path_call_numbers(native)
            .into_iter()
            .chain(super::model::socket_path_call_numbers(native))
            .filter_map(|nr| crate::syscalls::name(native.arch, nr).map(|n| (nr, n)))
            .collect();
        calls.sort_unstable();
        Ok(Some(FileLearning {
            calls,
            grant: Grant::new(&read, &write),
            caps: others,
            dirs: Dirs::default(),
            places: ["WORKDIR", "TMPDIR"]
                .into_iter()
                .filter_map(|name| {
                    let value = vars.value(name, workdir)?;
                    let resolved = std::fs::canonicalize(&value).ok()?;
                    Some((name, resolved.to_string_lossy().into_owned()))
                })
                .collect(),
        }))
    }

    /// The name of `n`'s call if it is one of the path calls.
    fn call(&self, n: &Notification) -> Option<&'static str> {
        if Arch::NATIVE.is_none_or(|a| a.audit_arch() != n.audit_arch) {
            return None;
        }
        let nr = u32::try_from(n.nr).ok()?;
        let i = self.calls.binary_search_by_key(&nr, |c| c.0).ok()?;
        Some(self.calls[i].1)
    }

    /// Learn mode, while `n` waits: its paths beyond the grant, recorded
    /// in `report` (`index` finds each path and access there). Whatever
    /// cannot be read is counted in [`Report::files_unread`]. Whether `n`
    /// is a path call.
    pub(crate) fn see(
        &self,
        listener: &Listener,
        report: &mut Report,
        index: &mut HashMap<(String, FileAccess), usize>,
        n: &Notification,
    ) -> bool {
        let Some(name) = self.call(n) else {
            return false;
        };
        let mut beyond: Vec<(String, FileAccess)> = Vec::new();
        // `bind` of a unix socket's path makes the socket file: Landlock
        // checks it as an entry made in its directory.
        if name == "bind" {
            let made = socket_path(n).and_then(|path| match path {
                Some(p) => resolved(n, &self.dirs, None, &p, Role::Make),
                None => Ok(None),
            });
            match made {
                Ok(Some((path, access))) if !self.grant.covers(&path, access) => {
                    beyond.push((path, access));
                }
                Ok(_) => {}
                Err(()) => report.files_unread += 1,
            }
        }
        for &(dirfd, arg, role) in path_args(name) {
            match reached(n, &self.dirs, dirfd, arg, role) {
                Ok(Some((path, access))) if !self.grant.covers(&path, access) => {
                    beyond.push((path, access));
                }
                Ok(_) => {}
                Err(()) => report.files_unread += 1,
            }
        }
        if beyond.is_empty() {
            return true;
        }
        // What was read counts only if the call still waits: the thread
        // id and its memory were the caller's.
        if listener.is_pending(n.id) != Ok(true) {
            return true;
        }
        for (path, access) in beyond {
            let key = (path, access);
            if let Some(&i) = index.get(&key) {
                report.files[i].count += 1;
                continue;
            }
            if report.files.len() >= MAX_FILES {
                report.files_dropped += 1;
                continue;
            }
            let caps = self
                .caps
                .iter()
                .filter(|(_, g)| g.covers(&key.0, access))
                .map(|(c, _)| c.clone())
                .collect();
            report.files.push(FileSeen {
                path: key.0.clone(),
                access,
                count: 1,
                first: listener.process(n).ok(),
                caps,
                entry: entry_for(&key.0, &self.places),
            });
            index.insert(key, report.files.len() - 1);
        }
        true
    }
}

/// The path call `n` names in argument `arg` (relative to the directory
/// descriptor in `dirfd`) and the access Landlock checks on it, as
/// [`access_of`] says and on what it says, symlinks resolved (`dirs`
/// remembers directories); `Ok(None)` when none is checked; `Err` when
/// the caller's memory or `/proc` entries could not be read.
fn reached(
    n: &Notification,
    dirs: &Dirs,
    dirfd: Option<usize>,
    arg: usize,
    role: Role,
) -> Result<Option<(String, FileAccess)>, ()> {
    let raw = read_string(n.tid, n.args[arg])?;
    resolved(n, dirs, dirfd, &String::from_utf8_lossy(&raw), role)
}

/// What [`reached`] says of the path `text` named by call `n`.
fn resolved(
    n: &Notification,
    dirs: &Dirs,
    dirfd: Option<usize>,
    text: &str,
    role: Role,
) -> Result<Option<(String, FileAccess)>, ()> {
    // The directory a relative path (or an empty one, with
    // AT_EMPTY_PATH) starts from.
    let base = if text.starts_with('/') {
        String::from("/")
    } else {
        // The low 32 bits: AT_FDCWD is the int -100.
        let fd = dirfd.map_or(libc::AT_FDCWD, |i| n.args[i] as u32 as i32);
        let link = if fd == libc::AT_FDCWD {
            format!("/proc/{}/cwd", n.tid)
        } else {
            format!("/proc/{}/fd/{fd}", n.tid)
        };
        std::fs::read_link(link)
            .map_err(|_| ())?
            .to_string_lossy()
            .into_owned()
    };
    let path = normalise(&base, text);
    let flags = match role {
        Role::Open(Flags::Arg(i)) => n.args[i],
        Role::Open(Flags::How(i)) => {
            // struct open_how { __u64 flags; ... }: its first field.
            let mut buf = [0u8; 8];
            if read_process_memory(n.tid, n.args[i], &mut buf) != Ok(8) {
                return Err(());
            }
            u64::from_ne_bytes(buf)
        }
        Role::Open(Flags::Creat) => (libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC) as u64,
        _ => 0,
    };
    // Beneath /proc: the command's own in a pid namespace; taken by its
    // text, as there.
    if beneath("/proc", &path) {
        let Some((access, in_dir)) = access_of(role, flags, true) else {
            return Ok(None);
        };
        let checked = if in_dir { parent(&path) } else { path.as_str() };
        return Ok(Some((checked.to_owned(), access)));
    }
    // The directory resolved (remembered), then the last name: one
    // `lstat` for most calls, a whole resolution only for a symlink.
    let dir = dirs.resolve(parent(&path));
    let name = &path[parent(&path).len()..].trim_start_matches('/');
    let joined = if name.is_empty() {
        dir.clone()
    } else if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    };
    let lstat = std::fs::symlink_metadata(&joined);
    let follows = !matches!(role, Role::Make | Role::Remove);
    let (exists, file) = match lstat {
        Ok(m) if follows && m.file_type().is_symlink() => match std::fs::canonicalize(&joined) {
            Ok(p) => (true, p.to_string_lossy().into_owned()),
            Err(_) => (false, joined),
        },
        Ok(_) => (true, joined),
        Err(_) => (false, joined),
    };
    let Some((access, in_dir)) = access_of(role, flags, exists) else {
        return Ok(None);
    };
    Ok(Some((if in_dir { dir } else { file }, access)))
}

/// Directories resolved (symlinks followed, as the kernel follows them)
/// by their normalised path, remembered: a command opens most of its
/// files in a few directories. Bounded; a directory replaced meanwhile
/// is resolved as it was (learn mode advises, it does not contain).
#[derive(Debug, Default)]
struct Dirs {
    resolved: std::cell::RefCell<HashMap<String, String>>,
}

impl Dirs {
    /// At most this many are remembered; then they are forgotten.
    const MAX: usize = 4096;

    /// `dir` with its symlinks resolved; as it is when it cannot be.
    fn resolve(&self, dir: &str) -> String {
        if let Some(r) = self.resolved.borrow().get(dir) {
            return r.clone();
        }
        let r = std::fs::canonicalize(dir)
            .map_or_else(|_| dir.to_owned(), |p| p.to_string_lossy().into_owned());
        let mut map = self.resolved.borrow_mut();
        if map.len() >= Dirs::MAX {
            map.clear();
        }
        map.insert(dir.to_owned(), r.clone());
        r
    }
}

/// The path of the unix socket a `bind` notification `n` names (address
/// in argument 1, its length in 2): `Ok(None)` when it names none (not
/// `AF_UNIX`, an abstract or an unnamed address); `Err` when the address
/// cannot be read. The path ends at its NUL or at the length given, as
/// the kernel takes it (`unix_mkname_bsd`).
fn socket_path(n: &Notification) -> Result<Option<String>, ()> {
    // sizeof(struct sockaddr_un): a family and 108 bytes of path.
    const SOCKADDR_UN: usize = 110;
    let len = usize::try_from(n.args[2])
        .unwrap_or(usize::MAX)
        .min(SOCKADDR_UN);
    let mut buf = [0u8; SOCKADDR_UN];
    let got = read_process_memory(n.tid, n.args[1], &mut buf[..len]).map_err(|_| ())?;
    let Some((family, path)) = buf[..got].split_at_checked(2) else {
        return Ok(None);
    };
    if u16::from_ne_bytes([family[0], family[1]]) != libc::AF_UNIX as u16 {
        return Ok(None);
    }
    let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
    if end == 0 {
        return Ok(None);
    }
    Ok(Some(String::from_utf8_lossy(&path[..end]).into_owned()))
}

/// The NUL-terminated string at `addr` in thread `tid`'s memory, without
/// its NUL; `Err` when it cannot be read or is longer than `PATH_MAX` (the
/// kernel fails the call then). Read a page at a time, so that a string
/// that ends before an unmapped page is read.
fn read_string(tid: u32, addr: u64) -> Result<Vec<u8>, ()> {
    const PAGE: u64 = 4096;
    let mut out = Vec::new();
    let mut at = addr;
    while out.len() < PATH_MAX {
        let to_page_end = PAGE - (at % PAGE);
        let want = to_page_end.min((PATH_MAX - out.len()) as u64) as usize;
        let mut page = [0u8; PAGE as usize];
        let buf = &mut page[..want];
        let got = read_process_memory(tid, at, buf).map_err(|_| ())?;
        if got == 0 {
            return Err(());
        }
        if let Some(end) = buf[..got].iter().position(|&b| b == 0) {
            out.extend_from_slice(&buf[..end]);
            return Ok(out);
        }
        out.extend_from_slice(&buf[..got]);
        at += got as u64;
    }
    Err(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `.` and `..` go by their text, as `realpath -m` and Python's
    /// `os.path.normpath` (POSIX) take them: a relative path joins its
    /// directory, `..` of the root is the root.
    #[test]
    fn paths_are_made_absolute_and_normalised() {
        let cases = [
            ("/home/u", "a.txt", "/home/u/a.txt"),
            ("/home/u", "./a/../b//c/.", "/home/u/b/c"),
            ("/home/u", "../../../etc/passwd", "/etc/passwd"),
            ("/", "..", "/"),
            ("/home/u", "/abs/./x/../y", "/abs/y"),
            ("/home/u", "", "/home/u"),
            ("/home/u/", "x/", "/home/u/x"),
            ("/x", "/", "/"),
        ];
        for (base, path, want) in cases {
            assert_eq!(normalise(base, path), want, "{base} + {path}");
        }
        assert_eq!(parent("/a/b/c"), "/a/b");
        assert_eq!(parent("/a"), "/");
        assert_eq!(parent("/"), "/");
    }

    /// A path beneath the working or temporary directory is granted as
    /// `$WORKDIR/...` or `$TMPDIR/...` (the deeper of the two when one is
    /// in the other), a path elsewhere as itself, and `/` is no place.
    #[test]
    fn entries_name_the_working_and_temporary_directories() {
        let places = [
            ("WORKDIR", "/home/u/job".to_owned()),
            ("TMPDIR", "/home/u/job/tmp".to_owned()),
        ];
        assert_eq!(entry_for("/home/u/job/out", &places), "$WORKDIR/out");
        assert_eq!(entry_for("/home/u/job", &places), "$WORKDIR");
        assert_eq!(entry_for("/home/u/job/tmp/x", &places), "$TMPDIR/x");
        assert_eq!(entry_for("/home/u/jobs", &places), "/home/u/jobs");
        assert_eq!(entry_for("/var/tmp/a", &places), "/var/tmp/a");
        let root = [("WORKDIR", "/".to_owned())];
        assert_eq!(entry_for("/var/tmp/a", &root), "/var/tmp/a");
    }

    /// Beneath as Landlock means it: the entry itself, or below it by
    /// whole names.
    #[test]
    fn beneath_is_the_entry_or_below_it() {
        assert!(beneath("/usr", "/usr"));
        assert!(beneath("/usr", "/usr/lib/x.so"));
        assert!(beneath("/usr/", "/usr/lib"));
        assert!(!beneath("/usr", "/usrx"));
        assert!(!beneath("/usr/lib", "/usr"));
        assert!(beneath("/", "/anything"));
        assert!(beneath("/dev/null", "/dev/null"));
        assert!(!beneath("/dev/null", "/dev/nullx"));
        let g = Grant {
            read: vec!["/usr".into(), "/dev/null".into()],
            write: vec!["/tmp/w".into()],
        };
        assert!(g.covers("/usr/bin/python3", FileAccess::Read));
        assert!(g.covers("/usr/bin/python3", FileAccess::Execute));
        assert!(!g.covers("/usr/bin", FileAccess::Make));
        assert!(!g.covers("/dev/null", FileAccess::Write));
        assert!(g.covers("/tmp/w/sub", FileAccess::Remove));
        assert!(g.covers("/tmp/w/f", FileAccess::Read), "write grants read");
        assert!(!g.covers("/tmp/wx", FileAccess::Write));
    }

    /// The access an open is checked for, from its flags; the flags'
    /// values are x86_64's from the kernel's
    /// include/uapi/asm-generic/fcntl.h, written out here.
    #[test]
    fn opens_are_classified_by_their_flags() {
        const O_RDONLY: u64 = 0;
        const O_WRONLY: u64 = 0o1;
        const O_RDWR: u64 = 0o2;
        const O_CREAT: u64 = 0o100;
        const O_EXCL: u64 = 0o200;
        const O_TRUNC: u64 = 0o1000;
        const O_APPEND: u64 = 0o2000;
        const O_DIRECTORY: u64 = 0o200_000;
        const O_CLOEXEC: u64 = 0o2_000_000;
        const O_PATH: u64 = 0o10_000_000;
        const O_TMPFILE: u64 = 0o20_000_000 | O_DIRECTORY;
        let open = |flags, exists| access_of(Role::Open(Flags::Arg(2)), flags, exists);
        let read = Some((FileAccess::Read, false));
        let write = Some((FileAccess::Write, false));
        let make = Some((FileAccess::Make, true));
        assert_eq!(open(O_RDONLY | O_CLOEXEC, true), read);
        assert_eq!(open(O_RDONLY | O_DIRECTORY, true), read);
        assert_eq!(open(O_WRONLY, true), write);
        assert_eq!(open(O_RDWR, true), write);
        assert_eq!(open(O_WRONLY | O_APPEND, true), write);
        assert_eq!(open(O_RDONLY | O_TRUNC, true), write);
        assert_eq!(open(O_WRONLY | O_CREAT | O_TRUNC, true), write);
        assert_eq!(open(O_WRONLY | O_CREAT | O_TRUNC, false), make);
        assert_eq!(open(O_RDONLY, false), None, "ENOENT before Landlock");
        assert_eq!(open(O_WRONLY | O_CREAT | O_EXCL, true), None, "EEXIST");
        assert_eq!(open(O_WRONLY | O_CREAT | O_EXCL, false), make);
        assert_eq!(open(O_PATH, true), None, "Landlock does not check O_PATH");
        assert_eq!(
            open(O_TMPFILE | O_RDWR, true),
            Some((FileAccess::Make, false))
        );
        assert_eq!(access_of(Role::Open(Flags::Creat), 0, false), None);
        assert_eq!(access_of(Role::Make, 0, false), make);
        assert_eq!(access_of(Role::Make, 0, true), None, "EEXIST");
        assert_eq!(
            access_of(Role::Remove, 0, true),
            Some((FileAccess::Remove, true))
        );
        assert_eq!(access_of(Role::Remove, 0, false), None, "ENOENT");
        assert_eq!(
            access_of(Role::Execute, 0, true),
            Some((FileAccess::Execute, false))
        );
        assert_eq!(access_of(Role::Truncate, 0, true), write);
    }

    /// Each call of the kernel's list names its paths where its manual
    /// page says: `renameat(olddirfd, oldpath, newdirfd, newpath)` and so
    /// on; every path call has an entry.
    #[test]
    fn every_path_call_names_its_paths() {
        for name in crate::reach::path_calls() {
            assert!(!path_args(name).is_empty(), "{name}");
        }
        assert_eq!(
            path_args("renameat2"),
            [(Some(0), 1, Role::Remove), (Some(2), 3, Role::Make)]
        );
        assert_eq!(path_args("symlinkat"), [(Some(1), 2, Role::Make)]);
        assert_eq!(path_args("linkat"), [(Some(2), 3, Role::Make)]);
        assert!(path_args("read").is_empty());
    }

    /// A path is read from a process's memory up to its NUL, across pages,
    /// and a string without one within `PATH_MAX` is refused.
    #[test]
    fn strings_are_read_from_memory_to_their_nul() {
        let me = std::process::id();
        let text = b"/var/tmp/some/where\0after".to_vec();
        let got = read_string(me, text.as_ptr() as u64).unwrap();
        assert_eq!(got, b"/var/tmp/some/where");
        // Across a page boundary: a string starting 5 bytes before one.
        let mut big = vec![b'x'; 3 * 4096];
        let start = 4096 - (big.as_ptr() as usize % 4096) + 4096 - 5;
        big[start + 10] = 0;
        let got = read_string(me, big.as_ptr() as u64 + start as u64).unwrap();
        assert_eq!(got.len(), 10);
        let long = vec![b'y'; PATH_MAX + 10];
        assert!(read_string(me, long.as_ptr() as u64).is_err());
    }
}
