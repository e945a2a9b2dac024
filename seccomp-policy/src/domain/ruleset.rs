//! The granted tables' files and ports, with their variables given values,
//! as a Landlock ruleset.
//!
//! Paths are opened here, in the parent, once: a symlink in a path is
//! followed now, and the rule is on what it pointed to at that moment (a
//! payload that later swaps the link gains nothing). A path that does not
//! exist is left out and counted; so are the entries of a declared variable
//! the harness did not give. `..` in a path is resolved by the kernel on
//! that open, like any other path: the rule is on the directory reached.

use std::fs::File;
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use landlock::{
    Access, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible as _, NetPort, PathBeneath,
    Ruleset, RulesetAttr as _, RulesetCreatedAttr as _, RulesetError, Scope, ABI,
};

use super::{DomainError, Enforced, Files, Ports, ProcRule, Tcp, Vars, REQUIRED_ABI};
use crate::install::Errno;
use crate::reach::{split_var, Reach};

/// The rights a read entry grants: read files, list directories, execute.
fn read_rights() -> BitFlags<AccessFs> {
    AccessFs::from_read(ABI::V6)
}

/// The rights a write entry grants: everything but making device nodes.
fn write_rights() -> BitFlags<AccessFs> {
    AccessFs::from_all(ABI::V6) & !(AccessFs::MakeBlock | AccessFs::MakeChar)
}

/// What the granted tables say, their variables given values.
#[derive(Debug, Default)]
pub(super) struct Wanted {
    /// Some table has `fs`.
    fs: bool,
    read: Vec<String>,
    write: Vec<String>,
    /// Some table has `net`.
    net: bool,
    /// `None`: any port (a `*` was given, or no table lists connect while
    /// another restricts bind).
    connect: Option<Vec<u16>>,
    bind: Option<Vec<u16>>,
    /// Entries left out: a declared variable without a value.
    unset: u32,
}

impl Wanted {
    /// Gathers the tables' entries, giving variables their values.
    pub(super) fn gather<'r>(
        reaches: impl Iterator<Item = &'r Reach<'r>>,
        vars: &Vars,
        workdir: Option<&Path>,
    ) -> Result<Wanted, DomainError> {
        let mut w = Wanted::default();
        let mut connect = Some(Vec::new());
        let mut bind = Some(Vec::new());
        for r in reaches {
            w.fs |= r.fs;
            w.net |= r.net;
            for (entries, out) in [(r.read, &mut w.read), (r.write, &mut w.write)] {
                for entry in entries {
                    match expand_path(entry, vars, workdir) {
                        Some(path) => out.push(path),
                        None => w.unset += 1,
                    }
                }
            }
            for (entries, out) in [(r.connect, &mut connect), (r.bind, &mut bind)] {
                for entry in entries {
                    match expand_ports(entry, vars)? {
                        Expanded::Unset => w.unset += 1,
                        Expanded::Any => *out = None,
                        Expanded::Ports(ports) => {
                            if let Some(list) = out {
                                list.extend(ports);
                            }
                        }
                    }
                }
            }
        }
        if w.net {
            w.connect = connect;
            w.bind = bind;
        }
        Ok(w)
    }

    /// Whether some table has `fs`, and the paths its `read` and `write`
    /// list, their variables given values (the entries of a variable
    /// without one left out), as the ruleset is made of them.
    pub(super) fn into_files(self) -> (bool, Vec<String>, Vec<String>) {
        (self.fs, self.read, self.write)
    }

    /// The ports its `connect` and `bind` lists grant, their variables
    /// given values, as the ruleset is made of them: `None` for any port
    /// (no table has `net`, or a `*` was given).
    pub(super) fn into_ports(self) -> super::GrantedPorts {
        (self.connect, self.bind)
    }

    /// The ruleset on a kernel of Landlock `abi` (at least 1): every right
    /// required when `abi` is at least [`REQUIRED_ABI`], as much as the
    /// kernel has otherwise (the caller accepted less).
    ///
    /// Also the rules on paths beneath `/proc`, for the child to make again
    /// on a `/proc` of its own (see `Domain::remake_proc_rules`);
    /// `None` when they cannot be: the kernel's ABI is below
    /// [`REQUIRED_ABI`] and files are confined, so the rights given were cut
    /// down to what the kernel has.
    pub(super) fn ruleset(&self, abi: u32) -> Result<Made, DomainError> {
        let full = abi >= REQUIRED_ABI;
        let compat = if full {
            CompatLevel::HardRequirement
        } else {
            CompatLevel::BestEffort
        };
        let handled_fs = if self.fs {
            AccessFs::from_all(ABI::V6)
        } else {
            AccessFs::MakeBlock | AccessFs::MakeChar
        };
        let mut ruleset = Ruleset::default()
            .set_compatibility(compat)
            .handle_access(handled_fs)
            .map_err(ruleset_error)?;
        let mut handled_net = BitFlags::<AccessNet>::EMPTY;
        if self.connect.is_some() {
            handled_net |= AccessNet::ConnectTcp;
        }
        if self.bind.is_some() {
            handled_net |= AccessNet::BindTcp;
        }
        if !handled_net.is_empty() {
            ruleset = ruleset.handle_access(handled_net).map_err(ruleset_error)?;
        }
        if full {
            ruleset = ruleset
                .scope(Scope::Signal | Scope::AbstractUnixSocket)
                .map_err(ruleset_error)?;
        }
        let mut created = ruleset.create().map_err(ruleset_error)?;
        let mut files = Files::default();
        let mut proc_rules = (full || !self.fs).then(Vec::new);
        if self.fs {
            for (paths, rights) in [(&self.read, read_rights()), (&self.write, write_rights())] {
                for path in paths {
                    let Some(fd) = open_path(path, &mut files)? else {
                        continue;
                    };
                    let rights = if fd.1 {
                        rights
                    } else {
                        rights & AccessFs::from_file(ABI::V6)
                    };
                    if let Some(list) = proc_rules.as_mut().filter(|_| beneath_proc(path)) {
                        list.push(ProcRule::new(path, rights.bits())?);
                    }
                    created = created
                        .add_rule(PathBeneath::new(fd.0, rights))
                        .map_err(ruleset_error)?;
                    files.granted += 1;
                }
            }
        }
        for (ports, right) in [
            (&self.connect, AccessNet::ConnectTcp),
            (&self.bind, AccessNet::BindTcp),
        ] {
            for &port in ports.iter().flatten() {
                created = created
                    .add_rule(NetPort::new(port, right))
                    .map_err(ruleset_error)?;
            }
        }
        files.skipped += self.unset;
        let enforced = Enforced {
            abi,
            scoped: full,
            files: (self.fs && abi >= 1).then_some(files),
            tcp: (self.net && abi >= 4).then(|| Tcp {
                connect: ports_of(self.connect.as_ref()),
                bind: ports_of(self.bind.as_ref()),
            }),
        };
        Ok(Made {
            fd: created.into(),
            enforced,
            proc_rules,
        })
    }
}

/// What [`Wanted::ruleset`] made.
pub(super) struct Made {
    pub(super) fd: Option<OwnedFd>,
    pub(super) enforced: Enforced,
    pub(super) proc_rules: Option<Vec<ProcRule>>,
}

/// Whether `path` is `/proc` or beneath it, as written (after its variable
/// took its value): a path that reaches `/proc` through a symlink
/// elsewhere is not made again.
fn beneath_proc(path: &str) -> bool {
    path.strip_prefix("/proc")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn ports_of(list: Option<&Vec<u16>>) -> Ports {
    match list {
        None => Ports::Any,
        Some(list) => Ports::Listed(u32::try_from(list.len()).unwrap_or(u32::MAX)),
    }
}

/// Opens `path` (`O_PATH`, following symlinks): the descriptor and whether
/// it is a directory; `None` (counted as skipped) when it does not exist.
fn open_path(path: &str, files: &mut Files) -> Result<Option<(File, bool)>, DomainError> {
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_CLOEXEC)
        .open(path);
    let file = match opened {
        Ok(f) => f,
        Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR)) => {
            files.skipped += 1;
            return Ok(None);
        }
        Err(e) => {
            return Err(DomainError::Path {
                path: path.to_owned(),
                errno: Errno(e.raw_os_error().unwrap_or(libc::EIO)),
            })
        }
    };
    let is_dir = file.metadata().is_ok_and(|m| m.is_dir());
    Ok(Some((file, is_dir)))
}

/// A path entry with its variable's value; `None` when the variable has
/// none.
fn expand_path(entry: &str, vars: &Vars, workdir: Option<&Path>) -> Option<String> {
    match split_var(entry) {
        None => Some(entry.to_owned()),
        Some((name, rest)) => vars.value(name, workdir).map(|v| v + rest),
    }
}

enum Expanded {
    Unset,
    Any,
    Ports(Vec<u16>),
}

/// A port entry: its number, or its variable's ports.
fn expand_ports(entry: &str, vars: &Vars) -> Result<Expanded, DomainError> {
    let (name, value) = match split_var(entry) {
        None => (None, entry.to_owned()),
        Some((name, _)) => match vars.value(name, None) {
            Some(v) => (Some(name), v),
            None => return Ok(Expanded::Unset),
        },
    };
    if value.trim() == "*" {
        return Ok(Expanded::Any);
    }
    let bad = || DomainError::Ports {
        var: name.unwrap_or(entry).to_owned(),
        value: value.clone(),
    };
    value
        .split(',')
        .map(|p| p.trim().parse::<u16>().map_err(|_| bad()))
        .collect::<Result<Vec<u16>, DomainError>>()
        .map(Expanded::Ports)
}

fn ruleset_error(e: impl Into<RulesetError>) -> DomainError {
    DomainError::Ruleset(errno_of(&e.into()))
}

/// The errno inside a ruleset error, `EINVAL` when it carries none (an
/// incompatible request, which the ABI check rules out).
fn errno_of(e: &RulesetError) -> Errno {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if let Some(n) = io.raw_os_error() {
                return Errno(n);
            }
        }
        source = err.source();
    }
    Errno(libc::EINVAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_expand_from_numbers_and_variables() {
        let mut vars = Vars::new();
        assert!(matches!(expand_ports("$PORTS", &vars), Ok(Expanded::Any)));
        vars.set("PORTS", "443, 8080");
        assert!(
            matches!(expand_ports("$PORTS", &vars), Ok(Expanded::Ports(p)) if p == [443, 8080])
        );
        assert!(matches!(expand_ports("22", &vars), Ok(Expanded::Ports(p)) if p == [22]));
        assert!(matches!(expand_ports("$OTHER", &vars), Ok(Expanded::Unset)));
        vars.set("PORTS", "http");
        assert_eq!(
            expand_ports("$PORTS", &vars).err(),
            Some(DomainError::Ports {
                var: "PORTS".into(),
                value: "http".into()
            })
        );
    }

    #[test]
    fn proc_and_what_is_beneath_it_are_made_again() {
        for (path, beneath) in [
            ("/proc", true),
            ("/proc/", true),
            ("/proc/sys/kernel", true),
            ("/processes", false),
            ("/usr/proc", false),
            ("/", false),
        ] {
            assert_eq!(beneath_proc(path), beneath, "{path}");
        }
    }

    #[test]
    fn paths_expand_their_variable() {
        let mut vars = Vars::new();
        vars.set("TMPDIR", "/scratch");
        assert_eq!(expand_path("/usr", &vars, None).as_deref(), Some("/usr"));
        assert_eq!(
            expand_path("$TMPDIR/x", &vars, None).as_deref(),
            Some("/scratch/x")
        );
        assert_eq!(
            expand_path("$WORKDIR", &vars, Some(Path::new("/job"))).as_deref(),
            Some("/job")
        );
        assert_eq!(expand_path("$CACHE", &vars, None), None);
    }
}
