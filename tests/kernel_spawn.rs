//! Real programs spawned under real filters with `CommandExt::seccomp`.
//! Each filter is attached in the child `Command` forks; the test runner is
//! never filtered.
#![cfg(target_arch = "x86_64")]

use std::io::ErrorKind;
use std::process::{Command, Stdio};

use seccomp_policy::bpf::{SockFilter, BPF_ABS, BPF_LD, BPF_W, SECCOMP_RET_ALLOW};
use seccomp_policy::bpf::{BPF_MAXINSNS, SECCOMP_RET_KILL_PROCESS};
use seccomp_policy::spawn::{CommandExt as _, Outcome, EXECVE};
use seccomp_policy::Program;
use seccomp_policy_suite::{simple_filter, to_program};

const fn nr(n: libc::c_long) -> u32 {
    n as u32
}

/// `[base]` of policy/seccomp.toml, by x86_64 number.
const BASE: &[u32] = &[
    nr(libc::SYS_read),
    nr(libc::SYS_write),
    nr(libc::SYS_writev),
    nr(libc::SYS_readv),
    nr(libc::SYS_close),
    nr(libc::SYS_fstat),
    nr(libc::SYS_lseek),
    nr(libc::SYS_lstat),
    nr(libc::SYS_stat),
    nr(libc::SYS_newfstatat),
    nr(libc::SYS_statx),
    nr(libc::SYS_mmap),
    nr(libc::SYS_mremap),
    nr(libc::SYS_munmap),
    nr(libc::SYS_brk),
    nr(libc::SYS_rt_sigaction),
    nr(libc::SYS_rt_sigreturn),
    nr(libc::SYS_rt_sigprocmask),
    nr(libc::SYS_sigaltstack),
    nr(libc::SYS_exit),
    nr(libc::SYS_exit_group),
    nr(libc::SYS_futex),
    nr(libc::SYS_set_robust_list),
    nr(libc::SYS_get_robust_list),
    nr(libc::SYS_getrandom),
    nr(libc::SYS_getpid),
    nr(libc::SYS_gettid),
    nr(libc::SYS_getuid),
    nr(libc::SYS_geteuid),
    nr(libc::SYS_getgid),
    nr(libc::SYS_getegid),
    nr(libc::SYS_clock_gettime),
    nr(libc::SYS_clock_getres),
    nr(libc::SYS_clock_nanosleep),
    nr(libc::SYS_nanosleep),
    nr(libc::SYS_ioctl),
    nr(libc::SYS_fcntl),
    nr(libc::SYS_dup),
    nr(libc::SYS_dup2),
    nr(libc::SYS_dup3),
    nr(libc::SYS_pipe),
    nr(libc::SYS_pipe2),
    nr(libc::SYS_uname),
    nr(libc::SYS_arch_prctl),
    nr(libc::SYS_prlimit64),
    nr(libc::SYS_getrlimit),
    nr(libc::SYS_set_tid_address),
    nr(libc::SYS_rseq),
    nr(libc::SYS_madvise),
    nr(libc::SYS_mprotect),
    nr(libc::SYS_epoll_create1),
    nr(libc::SYS_epoll_ctl),
    nr(libc::SYS_epoll_wait),
    nr(libc::SYS_epoll_pwait),
    nr(libc::SYS_poll),
    nr(libc::SYS_ppoll),
    nr(libc::SYS_select),
    nr(libc::SYS_pselect6),
    nr(libc::SYS_wait4),
    nr(libc::SYS_waitid),
    nr(libc::SYS_tgkill),
    nr(libc::SYS_kill),
    nr(libc::SYS_openat),
    nr(libc::SYS_open),
    nr(libc::SYS_access),
    nr(libc::SYS_faccessat),
    nr(libc::SYS_faccessat2),
    nr(libc::SYS_readlink),
    nr(libc::SYS_readlinkat),
    nr(libc::SYS_getcwd),
    nr(libc::SYS_getdents),
    nr(libc::SYS_getdents64),
    nr(libc::SYS_sched_getaffinity),
    nr(libc::SYS_sched_setaffinity),
    nr(libc::SYS_sched_yield),
    nr(libc::SYS_prctl),
    nr(libc::SYS_membarrier),
];

/// What glibc's dynamic loader needs beyond `[base]` on Debian 12 (it reads
/// ELF notes with `pread64`); every dynamically linked program calls it.
const LOADER: &[u32] = &[nr(libc::SYS_pread64)];

const CAPACITY: usize = BPF_MAXINSNS;

/// The allowlist `base + extra`, everything else killed.
fn program(extra: &[u32]) -> Program<CAPACITY> {
    let rules: Vec<(u32, u32)> = BASE
        .iter()
        .chain(extra)
        .map(|&n| (n, SECCOMP_RET_ALLOW))
        .collect();
    to_program(&simple_filter(&rules, SECCOMP_RET_KILL_PROCESS))
}

/// Runs `cmd` under `prog`, returning how it ended and its stdout.
fn run(cmd: &mut Command, prog: Program<CAPACITY>) -> (Outcome, String) {
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .seccomp(prog)
        .output()
        .expect("spawn");
    (
        Outcome::from(out.status),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// `/bin/true` runs to completion under `base`, the execve exception and
/// the loader's `pread64`.
#[test]
fn true_exits_zero() {
    let (outcome, _) = run(
        &mut Command::new("/bin/true"),
        program(&[EXECVE, nr(libc::SYS_pread64)]),
    );
    assert_eq!(outcome, Outcome::Exited(0));
}

/// Without the execve exception the child is killed at the very `execve`
/// that would start the program: spawning does not fail, the child just
/// dies by SIGSYS.
#[test]
fn without_execve_the_exec_itself_is_killed() {
    let (outcome, _) = run(&mut Command::new("/bin/true"), program(LOADER));
    assert_eq!(outcome, Outcome::KilledBySeccomp);
}

/// `/bin/true` under a filter missing a call it needs (`mmap`, used by the
/// loader) is killed by SIGSYS, and the outcome says so plainly.
#[test]
fn true_lacking_mmap_is_killed() {
    let without_mmap: Vec<(u32, u32)> = BASE
        .iter()
        .chain(LOADER)
        .chain(&[EXECVE])
        .filter(|&&n| n != nr(libc::SYS_mmap))
        .map(|&n| (n, SECCOMP_RET_ALLOW))
        .collect();
    let prog = to_program(&simple_filter(&without_mmap, SECCOMP_RET_KILL_PROCESS));
    let (outcome, _) = run(&mut Command::new("/bin/true"), prog);
    assert_eq!(outcome, Outcome::KilledBySeccomp);
    assert_eq!(
        outcome.to_string(),
        "killed by SIGSYS: it made a system call outside the policy"
    );
}

/// `sh -c 'echo hi'` (dash) needs `getppid` (for `$PPID`) on top of the
/// loader's `pread64`; with them it prints and exits 0, without `getppid`
/// it is killed.
#[test]
fn shell_echo() {
    let mut sh = Command::new("/bin/sh");
    sh.args(["-c", "echo hi"]);
    let needs = [EXECVE, nr(libc::SYS_pread64), nr(libc::SYS_getppid)];
    assert_eq!(
        run(&mut sh, program(&needs)),
        (Outcome::Exited(0), "hi\n".to_owned())
    );
    let (outcome, stdout) = run(&mut sh, program(&[EXECVE, nr(libc::SYS_pread64)]));
    assert_eq!((outcome, stdout.as_str()), (Outcome::KilledBySeccomp, ""));
}

fn python(code: &str) -> Command {
    let mut py = Command::new("/usr/bin/python3");
    // -I: ignore PYTHON* variables and the user site directory, so the
    // calls made do not depend on the runner's environment.
    py.args(["-I", "-c", code]);
    py
}

/// Python's start-up needs `pread64` (loader) and `sysinfo` (the
/// interpreter sizes its memory use); with them it runs, and opening a
/// socket, which the filter does not allow, kills it.
#[test]
fn python_socket_is_killed() {
    if !std::path::Path::new("/usr/bin/python3").exists() {
        eprintln!("skipped: no /usr/bin/python3");
        return;
    }
    let needs = [EXECVE, nr(libc::SYS_pread64), nr(libc::SYS_sysinfo)];
    assert_eq!(
        run(&mut python("print(1)"), program(&needs)),
        (Outcome::Exited(0), "1\n".to_owned())
    );
    let code = "import socket\nprint('before', flush=True)\nsocket.socket()\nprint('after')";
    assert_eq!(
        run(&mut python(code), program(&needs)),
        (Outcome::KilledBySeccomp, "before\n".to_owned())
    );
}

/// A filter the install refuses makes the spawn itself fail, with the errno:
/// an empty program (refused before the system call) and one the kernel's
/// checker rejects both give EINVAL.
#[test]
fn install_failure_is_the_spawn_error() {
    let empty = Program::<CAPACITY>::empty();
    let err = Command::new("/bin/true")
        .seccomp(empty)
        .spawn()
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err}");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);

    let no_return: Program<CAPACITY> = to_program(&[SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, 0)]);
    let err = Command::new("/bin/true")
        .seccomp(no_return)
        .spawn()
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err}");
}
