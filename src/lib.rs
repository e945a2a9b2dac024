//! Shared helpers for the workspace's tests, examples and benchmarks.
//!
//! Kernel tests attach real seccomp filters, which can never be removed. They
//! must therefore never run in the test runner's own process: [`in_child`]
//! forks, runs a closure in the child, and reports how the child ended
//! together with anything it wrote. [`harness`] runs the test binaries whose
//! tests need something the machine may lack, reporting those as ignored;
//! [`libseccomp`] is the one binding of libseccomp, the reference the tests,
//! the table check and the benchmarks compare against.

// These functions serve tests: a call that cannot do its job panics with
// the reason, as a failing test would, and a `harness::Checked` error is a
// skip, which its type documents; `# Panics` and `# Errors` sections would
// repeat that.
#![allow(clippy::missing_panics_doc, clippy::missing_errors_doc)]

pub mod alloc_count;
pub mod built;
pub mod cross_kernel;
pub mod harness;
pub mod libseccomp;
pub mod path_cost;

/// The README's Rust examples, compiled and run as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeExamples;

use core::fmt;
use std::os::unix::process::CommandExt as _;
use std::process::Command;
use std::time::{Duration, Instant};

use seccomp_policy::bpf::{
    SockFilter, BPF_ABS, BPF_JEQ, BPF_JGE, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W,
    SECCOMP_DATA_ARCH, SECCOMP_DATA_NR, SECCOMP_RET_KILL_PROCESS,
};
use seccomp_policy::rule::{CmpOp, Rule, When};
use seccomp_policy::spawn::Outcome;
use seccomp_policy::{Arch, Program};

use crate::harness::{Checked, Skip};

/// What a forked child wrote and how it ended.
#[derive(Debug)]
pub struct ChildReport {
    /// How it ended.
    pub outcome: Outcome,
    /// Everything it wrote through its [`ChildOut`].
    pub output: String,
}

impl fmt::Display for ChildReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "child {}; it wrote: {:?}", self.outcome, self.output)
    }
}

/// The child's channel back to the parent: a pipe written with plain
/// `write(2)` calls (so the child's filter only needs `write`), usable with
/// `write!`. Formatting integers and strings this way does not allocate.
pub struct ChildOut {
    fd: libc::c_int,
}

impl fmt::Write for ChildOut {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut bytes = s.as_bytes();
        while !bytes.is_empty() {
            // SAFETY: writes from a live slice to a descriptor we own.
            let n = unsafe { libc::write(self.fd, bytes.as_ptr().cast(), bytes.len()) };
            if n <= 0 {
                return Err(fmt::Error);
            }
            bytes = bytes.get(n as usize..).unwrap_or_default();
        }
        Ok(())
    }
}

/// How long [`in_child`] waits before killing a child that hangs.
pub const CHILD_TIMEOUT: Duration = Duration::from_secs(30);

/// Forks; the child runs `f` and exits (`_exit`) with the code it returns.
/// The parent reads what the child writes until the child's end of the pipe
/// closes (up to [`CHILD_TIMEOUT`], then it kills the child with `SIGKILL`),
/// reaps it, and returns the outcome and the child's output.
///
/// The parent blocks in `poll`, `read` and `waitpid` and never sleeps, so
/// the benchmarks time a round trip through this function too.
///
/// A panic in the child becomes exit code 101 (the panic hook prints the
/// message to standard error); the child never returns into the test
/// harness, and runs no `atexit` handler.
pub fn in_child<F: FnOnce(&mut ChildOut) -> i32>(f: F) -> ChildReport {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors.
    let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(r, 0, "pipe2: {}", std::io::Error::last_os_error());
    let [read_fd, write_fd] = fds;

    // SAFETY: the child only runs `f` and `_exit`s; it never returns.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        // SAFETY: closing our copy of the read end.
        unsafe { libc::close(read_fd) };
        let mut out = ChildOut { fd: write_fd };
        let code =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut out))).unwrap_or(101);
        // SAFETY: ends the child without unwinding or running exit handlers.
        unsafe { libc::_exit(code) };
    }
    // SAFETY: closing the parent's copy of the write end.
    unsafe { libc::close(write_fd) };

    let (output, timed_out) = read_until_closed(read_fd, Instant::now() + CHILD_TIMEOUT);
    // SAFETY: closing the read end, which we own.
    unsafe { libc::close(read_fd) };
    let mut status = 0;
    if timed_out {
        // SAFETY: signalling our own child, which has not been reaped.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    // The write end closes when the child exits (or when a process it
    // forked, which inherited the pipe, exits too); the child is ending.
    loop {
        // SAFETY: waiting for our own child.
        let r = unsafe { libc::waitpid(pid, &raw mut status, 0) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        assert_eq!(e.kind(), std::io::ErrorKind::Interrupted, "waitpid: {e}");
    }

    let mut output = String::from_utf8_lossy(&output).into_owned();
    if timed_out {
        output.push_str(" [timed out: killed by the test helper]");
    }
    ChildReport {
        outcome: Outcome::from_wait_status(status),
        output,
    }
}

/// [`in_child`] with `prog` attached in the child (by `install::apply`:
/// `no_new_privs`, then the filter with TSYNC) before `f` runs. If the
/// kernel refuses the filter, the child writes `apply: ERROR` and exits
/// with code 2 without running `f`.
pub fn in_filtered_child<F: FnOnce(&mut ChildOut) -> i32>(
    prog: &[SockFilter],
    f: F,
) -> ChildReport {
    in_child(|out| match seccomp_policy::install::apply(prog) {
        Ok(()) => f(out),
        Err(e) => {
            let _ = fmt::Write::write_fmt(out, format_args!("apply: {e}"));
            2
        }
    })
}

/// Reads `fd` until end of file or `deadline`: the bytes, and whether the
/// deadline passed first.
fn read_until_closed(fd: libc::c_int, deadline: Instant) -> (Vec<u8>, bool) {
    let mut output = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (output, true);
        }
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = libc::c_int::try_from(left.as_millis().max(1)).unwrap_or(libc::c_int::MAX);
        // SAFETY: one live pollfd.
        let r = unsafe { libc::poll(&raw mut pfd, 1, ms) };
        if r == 0 {
            continue;
        }
        if r > 0 {
            // SAFETY: reading into a live buffer from a descriptor we own.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            match usize::try_from(n) {
                Ok(0) => return (output, false),
                Ok(n) => {
                    output.extend_from_slice(&buf[..n]);
                    continue;
                }
                Err(_) => {}
            }
        }
        let e = std::io::Error::last_os_error();
        assert_eq!(e.kind(), std::io::ErrorKind::Interrupted, "poll/read: {e}");
    }
}

/// The native architecture; the kernel tests only run on supported ones.
pub fn native() -> Arch {
    Arch::NATIVE.expect("the kernel tests run on a supported architecture")
}

/// A small hand-written filter, independent of the crate's builder, for
/// testing installation itself: kill any other architecture, kill x32
/// numbers on x86_64, then for each `(nr, action)` in `rules` return `action`
/// when the number matches (a linear scan), else return `default`.
pub fn simple_filter(rules: &[(u32, u32)], default: u32) -> Vec<SockFilter> {
    let mut p = vec![
        SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, SECCOMP_DATA_ARCH),
        SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, native().audit_arch(), 1, 0),
        SockFilter::stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, SECCOMP_DATA_NR),
    ];
    if native() == Arch::X86_64 {
        p.push(SockFilter::jump(
            BPF_JMP | BPF_JGE | BPF_K,
            0x4000_0000,
            0,
            1,
        ));
        p.push(SockFilter::stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
    }
    for &(nr, action) in rules {
        p.push(SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1));
        p.push(SockFilter::stmt(BPF_RET | BPF_K, action));
    }
    p.push(SockFilter::stmt(BPF_RET | BPF_K, default));
    p
}

/// Copies instructions into a fixed-size [`Program`]; panics if they do not fit.
pub fn to_program<const N: usize>(insns: &[SockFilter]) -> Program<N> {
    let mut p = Program::empty();
    for &i in insns {
        assert!(p.push(i), "program longer than {N} instructions");
    }
    p
}

/// The calling thread's id.
pub fn gettid() -> libc::pid_t {
    // SAFETY: no arguments.
    unsafe { libc::syscall(libc::SYS_gettid) as libc::pid_t }
}

/// Argument values that probe `rules`' conditions: 0, `u64::MAX` and every
/// constant the conditions compare with (and each mask, and mask | value),
/// each exactly, one above, one below and inverted, each of those with the
/// high 32 bits as they are, cleared and set. Sorted, unique. The tests and
/// benchmarks fill all six arguments with one value at a time.
pub fn argument_samples<'a, 'r: 'a>(rules: impl IntoIterator<Item = &'a Rule<'r>>) -> Vec<u64> {
    let mut constants: std::collections::BTreeSet<u64> = [0u64, u64::MAX].into();
    for rule in rules {
        if let When::AnyOf(alts) = rule.when {
            for c in alts.iter().flat_map(|a| a.iter()) {
                constants.insert(c.value);
                if let CmpOp::MaskedEq(m) | CmpOp::MaskedNe(m) = c.op {
                    constants.insert(m);
                    constants.insert(m | c.value);
                }
            }
        }
    }
    let mut out = std::collections::BTreeSet::new();
    for c in constants {
        for v in [c, c.wrapping_add(1), c.wrapping_sub(1), !c] {
            out.insert(v);
            out.insert(v & 0xffff_ffff);
            out.insert(v | 0xffff_ffff_0000_0000);
        }
    }
    out.into_iter().collect()
}

/// SplitMix64: a small deterministic generator, so random cases reproduce.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Whether this kernel runs i386 calls from a 64-bit process.
#[cfg(target_arch = "x86_64")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum I386Emulation {
    /// `int 0x80` getpid returns the caller's pid.
    Works,
    /// The kernel has no i386 entry (built without IA32 emulation, or
    /// booted with `ia32_emulation=0`); how the probe ended.
    Missing(&'static str),
}

/// Probes for i386 emulation: `int 0x80` getpid in an unfiltered child must
/// return the child's pid. Without the i386 entry the kernel either has no
/// gate for vector 0x80 (a general protection fault: `SIGSEGV`) or answers
/// `ENOSYS`. Panics if the probe ends any other way, which is a fault of its
/// own and not a missing feature.
#[cfg(target_arch = "x86_64")]
pub fn i386_emulation() -> I386Emulation {
    let control = in_child(|out| {
        // SAFETY: plain system call.
        let pid = unsafe { libc::getpid() };
        let r = int80_getpid();
        let _ = fmt::Write::write_fmt(out, format_args!("{r}"));
        i32::from(r != pid)
    });
    let enosys = format!("-{}", libc::ENOSYS);
    match (control.outcome, control.output.as_str()) {
        (Outcome::Exited(0), _) => I386Emulation::Works,
        (Outcome::Signaled(libc::SIGSEGV), "") => I386Emulation::Missing("was killed by SIGSEGV"),
        (Outcome::Exited(1), o) if o == enosys => I386Emulation::Missing("returned ENOSYS"),
        _ => panic!("the i386 emulation probe ended unexpectedly: {control}"),
    }
}

/// The i386 `getpid` (number 20) made through `int 0x80` from this 64-bit
/// process; 20 is `writev` on x86_64.
#[cfg(target_arch = "x86_64")]
pub fn int80_getpid() -> i32 {
    let ret: i32;
    // SAFETY: i386 getpid takes no argument and touches no memory. The
    // 32-bit entry may clobber r8-r11 on old kernels.
    unsafe {
        core::arch::asm!(
            "int 0x80",
            inlateout("eax") 20 => ret,
            out("r8") _, out("r9") _, out("r10") _, out("r11") _,
            options(nostack),
        );
    }
    ret
}

/// A rule written by a test, as the front end lowers one: `when` is `None`
/// for "whatever the arguments", else alternatives of conjunctions; `order`
/// stands for the rule's place in a file (first match wins among actions).
pub fn test_rule(
    nr: u32,
    when: Option<Vec<Vec<seccomp_policy::rule::ArgCmp>>>,
    action: seccomp_policy::rule::Action,
    order: u32,
) -> seccomp_policy_compiler::lower::LoweredRule {
    seccomp_policy_compiler::lower::LoweredRule {
        nr,
        when,
        action,
        order,
        loc: seccomp_policy_compiler::model::Loc { line: 1, col: 1 },
    }
}

/// Who a kernel test runs as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum User {
    /// Whoever runs the tests (root in CI).
    Invoker,
    /// uid and gid 65534 (`nobody`) with no supplementary groups and
    /// `no_new_privs`, dropped to in the test's child. Only root can become
    /// it: where the tests do not run as root, [`become_user`] and
    /// [`User::command`] refuse it, and [`for_each_user`] reports a test's
    /// uid 65534 half as skipped instead of running it as the invoking user.
    Nobody,
}

impl User {
    /// Both, in the order [`for_each_user`] runs them. A test that loops
    /// over them itself must check [`User::available`] first.
    pub const BOTH: [User; 2] = [User::Invoker, User::Nobody];

    /// Whether a test can run as this user here: the invoking user always,
    /// uid 65534 only when the tests run as root.
    pub fn available(self) -> Checked {
        match self {
            User::Invoker => Ok(()),
            User::Nobody => {
                harness::require::root().map_err(|_| Skip::new("running as uid 65534 needs root"))
            }
        }
    }

    /// `cmd`, set to run as this user: as uid and gid 65534 for
    /// [`User::Nobody`] (the standard library clears the supplementary
    /// groups when root sets a uid). Panics for [`User::Nobody`] where the
    /// tests do not run as root ([`User::available`]), rather than run it
    /// as the invoking user.
    pub fn command(self, cmd: &mut Command) -> &mut Command {
        if self == User::Nobody {
            if let Err(skip) = self.available() {
                panic!("a command as uid 65534: {skip}");
            }
            cmd.uid(65534).gid(65534);
        }
        cmd
    }
}

/// Runs `test` as [`User::Invoker`], then as [`User::Nobody`] where it can
/// ([`User::available`]): where the tests do not run as root, the uid 65534
/// half is reported as a [`Skip`] (after the invoking user's half ran; a
/// failure there panics as usual), never run as the invoking user and
/// counted as passed.
pub fn for_each_user(mut test: impl FnMut(User)) -> Checked {
    test(User::Invoker);
    User::Nobody.available().map_err(|_| {
        Skip::new(format!(
            "the uid 65534 half needs root; ran as the invoking user (uid {}) only",
            // SAFETY: geteuid takes no argument and cannot fail.
            unsafe { libc::geteuid() }
        ))
    })?;
    test(User::Nobody);
    Ok(())
}

/// Makes the calling process `user` (see [`User::Nobody`]). The process
/// stays dumpable, as a process that never changed its uid is (the kernel
/// clears the flag on a uid change, which would hide it from its own
/// `/proc` entries and from `pidfd_getfd` by its children's supervisor).
/// [`User::Nobody`] is refused where the tests do not run as root.
pub fn become_user(user: User) -> Result<(), String> {
    if user == User::Invoker {
        return Ok(());
    }
    user.available().map_err(|skip| skip.to_string())?;
    let os = |what: &str| format!("{what}: {}", std::io::Error::last_os_error());
    // SAFETY: plain system calls with integer or null arguments.
    unsafe {
        if libc::setgroups(0, core::ptr::null()) != 0 {
            return Err(os("setgroups"));
        }
        if libc::setgid(65534) != 0 {
            return Err(os("setgid"));
        }
        if libc::setuid(65534) != 0 {
            return Err(os("setuid"));
        }
        if libc::prctl(libc::PR_SET_DUMPABLE, 1, 0, 0, 0) != 0 {
            return Err(os("PR_SET_DUMPABLE"));
        }
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            return Err(os("PR_SET_NO_NEW_PRIVS"));
        }
        if libc::geteuid() == 0 || libc::getuid() == 0 {
            return Err("still root after dropping privileges".into());
        }
    }
    Ok(())
}

/// Whether the test binary was asked to show what passing tests print
/// (`--nocapture` or `--show-output`, or `RUST_TEST_NOCAPTURE`), as libtest
/// shows it. The suite's harness does not capture output, so its tests
/// print through [`show`].
pub fn showing_output() -> bool {
    std::env::args().any(|a| a == "--nocapture" || a == "--show-output")
        || std::env::var_os("RUST_TEST_NOCAPTURE").is_some_and(|v| v != "0")
}

/// Prints `text` (a line) when [`showing_output`].
pub fn show(text: fmt::Arguments<'_>) {
    if showing_output() {
        println!("{text}");
    }
}

/// Runs `f` in a forked child as each user ([`in_child_as`], through
/// [`for_each_user`]) and shows what it returned under the user's name;
/// panics, naming the user, if it failed as either. Where the tests do not
/// run as root, the uid 65534 half is the [`Skip`] returned.
pub fn as_each_user(f: fn() -> Result<String, String>) -> Checked {
    for_each_user(|user| match in_child_as(user, f) {
        Ok(text) => show(format_args!("{user:?}: {text}")),
        Err(e) => panic!("as {user:?}: {e}"),
    })
}

/// Runs `f` in a forked child as `user` ([`in_child`]) and returns what it
/// returned: `Ok(text)`, or `Err` with its message, a panic's message, or
/// how the child ended if it ended otherwise.
pub fn in_child_as<F: FnOnce() -> Result<String, String>>(
    user: User,
    f: F,
) -> Result<String, String> {
    let report = in_child(|out| {
        let dropped = become_user(user);
        // The uid the test runs as (read before `f`, which may enter a user
        // namespace where the same uid shows as another).
        // SAFETY: no arguments.
        let uid = unsafe { libc::geteuid() };
        let result = dropped.and_then(|()| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|p| {
                let msg = p
                    .downcast_ref::<&str>()
                    .map(std::string::ToString::to_string)
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".into());
                Err(format!("panicked: {msg}"))
            })
        });
        let (code, text) = match result {
            Ok(t) => (0, format!("[uid {uid}] {t}")),
            Err(e) => (1, format!("[uid {uid}] {e}")),
        };
        let _ = fmt::Write::write_str(out, &text);
        code
    });
    match report.outcome {
        Outcome::Exited(0) => Ok(report.output),
        Outcome::Exited(1) => Err(report.output),
        _ => Err(report.to_string()),
    }
}
