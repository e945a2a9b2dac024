//! Learning the TCP ports a command needs, in learn mode.
//!
//! Under `run` the policy's `net` tables confine TCP `connect` and `bind`
//! with Landlock, which fails a call on a port beyond them with `EACCES`;
//! the supervisor never sees it. Learn mode enforces no `net` table, so
//! its program sends every `connect` and `bind` to the supervisor
//! ([`checked_by_landlock`](crate::reach::checked_by_landlock)'s `Ports`
//! and `FilesAndPorts`), allowed or not (`Model::program`). While the call
//! waits, the supervisor:
//!
//! 1. reads the start of the socket address from the caller's memory
//!    (`process_vm_readv`: the family and the port, 4 bytes, no more than
//!    the length the call gives); for `AF_INET` and `AF_INET6` it takes
//!    the port, in network byte order, after the family (`sin_port`,
//!    `sin6_port`, at the same offset in both).
//!    Other families are not Landlock's ports: a unix socket's path under
//!    `bind` is a file made, which learn mode does not read (see the
//!    README);
//! 2. checks that the socket is TCP, as Landlock checks only TCP: it takes
//!    a copy of the caller's descriptor with `pidfd_getfd` and asks
//!    `getsockopt` for `SO_TYPE` (`SOCK_STREAM`) and `SO_PROTOCOL`
//!    (`IPPROTO_TCP`), the kernel's `sk_is_tcp`. A UDP `connect` is never
//!    reported;
//! 3. checks that the call is still pending (what was read was the
//!    caller's), and compares the port with the granted tables' `connect`
//!    or `bind` ports as the domain expands them
//!    (`Domain::granted_ports`). A `bind` to port 0 (an ephemeral port
//!    the kernel picks) is checked by Landlock as port 0, after the
//!    kernel's Landlock documentation ("Network flags"), so it is
//!    compared and reported as port 0.
//!
//! A port beyond the grant goes in the report once per port and access
//! ([`PortSeen`], at most [`MAX_PORTS`]), with the caps whose `net` tables
//! would grant it; then the call runs, as learn mode lets calls run.
//! Nothing of this runs in enforce mode.

use core::fmt;
use std::collections::HashMap;
use std::os::fd::AsFd as _;

use crate::arch::Arch;
use crate::domain::{Domain, DomainError, Vars};
use crate::notify::{Listener, Notification, ProcessInfo};
use crate::policy::{cap_bit, Policy};
use crate::sys::{pidfd_getfd, pidfd_open, read_process_memory, socket_int_option};

use super::Report;

/// How many distinct ports and accesses a report keeps; more are counted
/// in [`Report::ports_dropped`].
pub const MAX_PORTS: usize = 256;

/// The bytes of an address read: its family and its port.
const FAMILY_AND_PORT: usize = 4;

/// What Landlock checks a TCP port for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PortAccess {
    /// `connect` to it (`net.connect`).
    Connect,
    /// `bind` to it (`net.bind`).
    Bind,
}

impl PortAccess {
    /// The `net` list that grants it, which is also its name: `"connect"`
    /// or `"bind"`.
    pub const fn list(self) -> &'static str {
        match self {
            PortAccess::Connect => "connect",
            PortAccess::Bind => "bind",
        }
    }
}

impl fmt::Display for PortAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.list())
    }
}

/// A TCP port a command reached beyond its grant's `net` tables, in learn
/// mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortSeen {
    /// The port (0: a `bind` to a port the kernel picks).
    pub port: u16,
    /// How it was reached.
    pub access: PortAccess,
    /// How many calls reached it so.
    pub count: u64,
    /// The process and program of the first call, if it could be read.
    pub first: Option<ProcessInfo>,
    /// The caps not granted whose `net` tables grant it, in the policy's
    /// order.
    pub caps: Vec<String>,
}

/// Ports a set of `net` tables grants, as a Landlock domain of them would:
/// `None` for any port.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PortGrant {
    connect: Option<Vec<u16>>,
    bind: Option<Vec<u16>>,
}

impl PortGrant {
    /// Whether the grant allows `access` to `port`.
    pub(crate) fn covers(&self, port: u16, access: PortAccess) -> bool {
        let list = match access {
            PortAccess::Connect => &self.connect,
            PortAccess::Bind => &self.bind,
        };
        list.as_ref().is_none_or(|l| l.contains(&port))
    }

    /// Whether it grants every port for both accesses.
    fn is_any(&self) -> bool {
        self.connect.is_none() && self.bind.is_none()
    }
}

/// The port of the socket address `addr` (as a call passes it: the
/// family in native byte order, then the port in network byte order) when
/// it is `AF_INET` or `AF_INET6` and long enough to hold the port; `None`
/// otherwise (Landlock checks no port then).
pub(crate) fn inet_port(addr: &[u8]) -> Option<u16> {
    let family = u16::from_ne_bytes([*addr.first()?, *addr.get(1)?]);
    if family != libc::AF_INET as u16 && family != libc::AF_INET6 as u16 {
        return None;
    }
    Some(u16::from_be_bytes([*addr.get(2)?, *addr.get(3)?]))
}

/// What learn mode compares the ports a command reaches with.
#[derive(Debug)]
pub(crate) struct PortLearning {
    /// The native numbers of `connect` and `bind`, with their accesses.
    calls: Vec<(u32, PortAccess)>,
    /// The granted tables' ports.
    grant: PortGrant,
    /// Each cap not granted that has a `net` table, with its ports.
    caps: Vec<(String, PortGrant)>,
}

impl PortLearning {
    /// What to compare with for `policy` granted `caps`; `None` when the
    /// granted tables grant any port (none has `net`: ports are not
    /// confined then) or the policy has no native architecture.
    pub(crate) fn new(
        policy: &Policy<'_>,
        caps: u64,
        vars: &Vars,
    ) -> Result<Option<PortLearning>, DomainError> {
        let Some(native) = policy.native() else {
            return Ok(None);
        };
        let (connect, bind) = Domain::granted_ports(policy.granted_reach(caps), vars)?;
        let grant = PortGrant { connect, bind };
        if grant.is_any() {
            return Ok(None);
        }
        let mut others = Vec::new();
        for (i, name) in policy.cap_names.iter().enumerate() {
            let Some(bit) = cap_bit(i) else { break };
            let Some(reach) = policy.reach.get(i + 1) else {
                break;
            };
            if caps & bit != 0 || !reach.net {
                continue;
            }
            let (connect, bind) = Domain::granted_ports(core::iter::once(reach), vars)?;
            others.push(((*name).to_owned(), PortGrant { connect, bind }));
        }
        let mut calls: Vec<(u32, PortAccess)> = super::model::port_call_numbers(native)
            .into_iter()
            .filter_map(|nr| match crate::syscalls::name(native.arch, nr)? {
                "connect" => Some((nr, PortAccess::Connect)),
                "bind" => Some((nr, PortAccess::Bind)),
                _ => None,
            })
            .collect();
        calls.sort_unstable();
        Ok(Some(PortLearning {
            calls,
            grant,
            caps: others,
        }))
    }

    /// The access of `n`'s call if it is `connect` or `bind`.
    fn call(&self, n: &Notification) -> Option<PortAccess> {
        if Arch::NATIVE.is_none_or(|a| a.audit_arch() != n.audit_arch) {
            return None;
        }
        let nr = u32::try_from(n.nr).ok()?;
        let i = self.calls.binary_search_by_key(&nr, |c| c.0).ok()?;
        Some(self.calls[i].1)
    }

    /// Learn mode, while `n` waits: its TCP port if beyond the grant,
    /// recorded in `report` (`index` finds each port and access there).
    /// An address or socket that cannot be read is counted in
    /// [`Report::ports_unread`]. Whether `n` is `connect` or `bind`.
    pub(crate) fn see(
        &self,
        listener: &Listener,
        report: &mut Report,
        index: &mut HashMap<(u16, PortAccess), usize>,
        n: &Notification,
    ) -> bool {
        let Some(access) = self.call(n) else {
            return false;
        };
        let port = match tcp_port(listener, n) {
            Ok(Some(port)) => port,
            Ok(None) => return true,
            Err(()) => {
                report.ports_unread += 1;
                return true;
            }
        };
        if self.grant.covers(port, access) {
            return true;
        }
        // What was read counts only if the call still waits.
        if listener.is_pending(n.id) != Ok(true) {
            return true;
        }
        let key = (port, access);
        if let Some(&i) = index.get(&key) {
            report.ports[i].count += 1;
            return true;
        }
        if report.ports.len() >= MAX_PORTS {
            report.ports_dropped += 1;
            return true;
        }
        let caps = self
            .caps
            .iter()
            .filter(|(_, g)| g.covers(port, access))
            .map(|(c, _)| c.clone())
            .collect();
        report.ports.push(PortSeen {
            port,
            access,
            count: 1,
            first: listener.process(n).ok(),
            caps,
        });
        index.insert(key, report.ports.len() - 1);
        true
    }
}

/// The TCP port `connect` or `bind` notification `n` names (socket in
/// argument 0, address in 1, its length in 2); `Ok(None)` when Landlock
/// checks none (not an `AF_INET`/`AF_INET6` address, not a TCP socket);
/// `Err` when the address or the socket could not be read.
fn tcp_port(listener: &Listener, n: &Notification) -> Result<Option<u16>, ()> {
    // No more than the call gives: a shorter address holds no port.
    let len = usize::try_from(n.args[2]).unwrap_or(usize::MAX);
    let mut buf = [0u8; FAMILY_AND_PORT];
    let want = len.min(FAMILY_AND_PORT);
    let got = read_process_memory(n.tid, n.args[1], &mut buf[..want]).map_err(|_| ())?;
    let Some(port) = inet_port(&buf[..got]) else {
        return Ok(None);
    };
    // The socket, in the caller's process: the thread's process id.
    let pid = listener.process(n).map_err(|_| ())?.pid;
    let pidfd = pidfd_open(pid).map_err(|_| ())?;
    let fd = n.args[0] as u32 as i32;
    let Ok(sock) = pidfd_getfd(pidfd.as_fd(), fd) else {
        // Not a descriptor: the call fails with EBADF before Landlock.
        return Ok(None);
    };
    let Ok(kind) = socket_int_option(sock.as_fd(), libc::SO_TYPE) else {
        // Not a socket: ENOTSOCK before Landlock.
        return Ok(None);
    };
    let protocol = socket_int_option(sock.as_fd(), libc::SO_PROTOCOL).map_err(|_| ())?;
    Ok((kind == libc::SOCK_STREAM && protocol == libc::IPPROTO_TCP).then_some(port))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ports are read after the family in network byte order. The bytes
    /// are Python's: `socket.htons(8080).to_bytes(2, "little")` is
    /// `b'\x1f\x90'` on a little-endian machine, i.e. the port's big-endian
    /// bytes; the family's values (2 and 10) are include/linux/socket.h's.
    #[test]
    fn ports_are_read_in_network_byte_order() {
        let inet = |family: u16, port: [u8; 2]| {
            let f = family.to_ne_bytes();
            [
                f[0], f[1], port[0], port[1], 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
            ]
        };
        assert_eq!(inet_port(&inet(2, [0x1f, 0x90])), Some(8080));
        assert_eq!(inet_port(&inet(10, [0x01, 0xbb])), Some(443));
        assert_eq!(inet_port(&inet(2, [0, 0])), Some(0));
        assert_eq!(inet_port(&inet(2, [0xff, 0xff])), Some(65535));
        assert_eq!(inet_port(&inet(1, [0x1f, 0x90])), None, "AF_UNIX");
        assert_eq!(inet_port(&inet(0, [0x1f, 0x90])), None, "AF_UNSPEC");
        assert_eq!(inet_port(&inet(2, [0x1f, 0x90])[..3]), None, "too short");
        assert_eq!(inet_port(&[]), None);
    }

    /// A list grants only its ports; no list (`None`) grants any.
    #[test]
    fn grants_cover_their_ports_or_any() {
        let g = PortGrant {
            connect: Some(vec![443, 8080]),
            bind: None,
        };
        assert!(g.covers(443, PortAccess::Connect));
        assert!(!g.covers(80, PortAccess::Connect));
        assert!(g.covers(80, PortAccess::Bind));
        assert!(g.covers(0, PortAccess::Bind));
        assert!(!g.is_any());
        let none = PortGrant {
            connect: Some(vec![]),
            bind: Some(vec![0]),
        };
        assert!(!none.covers(443, PortAccess::Connect));
        assert!(none.covers(0, PortAccess::Bind));
        assert!(!none.covers(1, PortAccess::Bind));
        assert!(PortGrant::default().is_any());
    }
}
