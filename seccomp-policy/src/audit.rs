//! Which system call a filter denied, from the kernel's own log.
//!
//! A process killed by a seccomp filter only shows its parent "killed by
//! `SIGSYS`". The kernel records the rest: for every action listed in
//! `/proc/sys/kernel/seccomp/actions_logged` (`kill_process` is there by
//! default) it emits an audit record of type 1326 (`AUDIT_SECCOMP`) naming the
//! pid, the architecture and the syscall number:
//!
//! ```text
//! audit: type=1326 audit(1795814384.031:513): auid=4294967295 uid=0 gid=0
//! ses=4294967295 pid=30444 comm="python3" exe="/usr/bin/python3.11" sig=31
//! arch=c000003e syscall=41 compat=0 ip=0x7f8afec5bdc7 code=0x80000000
//! ```
//!
//! With no audit daemon running, the record goes to the kernel log, which
//! [`find_denied_call`] reads from `/dev/kmsg`. That needs permission to read
//! the kernel log (root, `CAP_SYSLOG`, or `kernel.dmesg_restrict = 0`); when an
//! audit daemon runs, the record is in its log instead (`ausearch -m SECCOMP`)
//! and nothing is found here. The kernel also rate-limits these messages. So
//! the answer is a best effort: `None` means "not known", never "allowed".
//!
//! This runs in the parent after the child has ended; it allocates, and is not
//! meant for the path between `fork` and `exec`.
//!
//! [`supervise`](crate::supervise) names denied calls without the kernel log,
//! as any user, in every process the command starts, with the arguments and
//! the caps that would allow each; this module is for filters that kill
//! without a supervisor.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;

use crate::arch::Arch;

/// A system call a seccomp filter acted on, as the kernel logged it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeniedCall {
    /// The process that made the call.
    pub pid: u32,
    /// The `AUDIT_ARCH_*` value of the call's entry point.
    pub audit_arch: u32,
    /// The syscall number on that architecture.
    pub nr: i64,
    /// The filter's return value (`SECCOMP_RET_KILL_PROCESS` is `0x80000000`).
    pub action: u32,
}

impl DeniedCall {
    /// The architecture of the call, if it is a supported one.
    pub fn arch(&self) -> Option<Arch> {
        Arch::from_audit_arch(self.audit_arch)
    }
}

/// Parses one kernel log line holding an `AUDIT_SECCOMP` record.
///
/// Accepts the text as `dmesg` prints it or as a raw `/dev/kmsg` record
/// (`prefix;message`); `None` for any other line.
pub fn parse_record(line: &str) -> Option<DeniedCall> {
    let message = line.split_once(';').map_or(line, |(_, m)| m);
    if !message.contains("type=1326 ") {
        return None;
    }
    let field = |name: &str| -> Option<&str> {
        message
            .split_ascii_whitespace()
            .find_map(|word| word.strip_prefix(name)?.strip_prefix('='))
    };
    let hex = |s: &str| u32::from_str_radix(s.trim_start_matches("0x"), 16).ok();
    Some(DeniedCall {
        pid: field("pid")?.parse().ok()?,
        audit_arch: hex(field("arch")?)?,
        nr: field("syscall")?.parse().ok()?,
        action: hex(field("code")?)?,
    })
}

/// The last system call of process `pid` that a filter acted on, as found in
/// the kernel log (`/dev/kmsg`).
///
/// `Ok(None)` when the log has no such record (see the [module docs](self) for
/// why that can happen).
///
/// # Errors
///
/// The log cannot be opened or read (reading it needs root, or
/// `kernel.dmesg_restrict = 0`).
pub fn find_denied_call(pid: u32) -> io::Result<Option<DeniedCall>> {
    let mut kmsg = File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open("/dev/kmsg")?;
    // Each read returns one record; the buffer fits the longest the kernel
    // writes (about 1 KiB of text plus dictionary).
    let mut buf = vec![0u8; 8192];
    let mut found = None;
    loop {
        match kmsg.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let text = String::from_utf8_lossy(&buf[..n]);
                if let Some(call) = parse_record(text.lines().next().unwrap_or("")) {
                    if call.pid == pid {
                        found = Some(call);
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            // Records overwritten while reading: go on with the next one.
            Err(e) if e.raw_os_error() == Some(libc::EPIPE) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Lines as this machine's kernel (6.18) wrote them, via dmesg and /dev/kmsg.
    const DMESG: &str = "[ 3868.958954] audit: type=1326 audit(1795814384.031:513): \
        auid=4294967295 uid=0 gid=0 ses=4294967295 pid=30444 comm=\"python3\" \
        exe=\"/usr/bin/python3.11\" sig=31 arch=c000003e syscall=41 compat=0 \
        ip=0x7f8afec5bdc7 code=0x80000000";
    const KMSG: &str = "5,1296,3871299911,-;audit: type=1326 audit(1795814386.371:515): \
        auid=4294967295 uid=0 gid=0 ses=4294967295 pid=30521 comm=\"ls\" \
        exe=\"/usr/bin/ls\" sig=31 arch=40000003 syscall=20 compat=1 \
        ip=0x7fbe25299c07 code=0x80000000";

    #[test]
    fn parses_both_forms() {
        assert_eq!(
            parse_record(DMESG),
            Some(DeniedCall {
                pid: 30444,
                audit_arch: 0xc000_003e,
                nr: 41,
                action: 0x8000_0000
            })
        );
        let i386 = parse_record(KMSG).unwrap();
        assert_eq!(
            (i386.pid, i386.nr, i386.arch()),
            (30521, 20, Some(Arch::X86))
        );
    }

    #[test]
    fn ignores_other_lines() {
        assert_eq!(
            parse_record("6,1,2,-;audit: type=1400 pid=1 syscall=2"),
            None
        );
        assert_eq!(parse_record(""), None);
        assert_eq!(
            parse_record("audit: type=1326 pid=x arch=zz syscall=1 code=0"),
            None
        );
    }
}
