// The shipped policy expands to a Cap type, the tables and const programs.
use seccomp_policy::sim::{run, SeccompData};
use seccomp_policy::{bpf, Arch};

seccomp_policy::seccomp_policy!("policy/seccomp.toml");

// A fixed cap set becomes a static program while the crate compiles.
static SSRF_X86_64: PolicyProgram = match program(Arch::X86_64, Cap::SSRF.union(Cap::FILE_IO)) {
    Ok(p) => p,
    Err(e) => panic!("{}", e.message()),
};

fn verdict(prog: &[bpf::SockFilter], nr: u32, args: [u64; 2]) -> u32 {
    let mut data = SeccompData::new(nr as i32, Arch::X86_64.audit_arch());
    data.args[..2].copy_from_slice(&args);
    run(prog, &data).unwrap().ret
}

fn main() {
    // The [cap.NAME] tables of policy/seccomp.toml, in file order.
    let names = [
        "SQL_QUERY", "FILE_IO", "SSRF", "CODE_EXEC", "HTML_ESCAPE", "DESERIALIZE",
        "HEADER_INJECTION", "OPEN_REDIRECT",
    ];
    assert_eq!(Cap::NAMES, names);
    assert_eq!(Cap::from_name("SSRF"), Some(Cap::SSRF));
    assert_eq!(Cap::from_name("ssrf"), None);
    assert!(Cap::ALL.contains(Cap::SSRF | Cap::FILE_IO));
    assert_eq!((Cap::SSRF | Cap::SQL_QUERY).to_string(), "SQL_QUERY|SSRF");
    assert_eq!(Cap::NONE.to_string(), "none");
    assert_eq!(Cap::from_bits(1 << 8), None);

    // `open` and `stat` are x86-only legacy calls: skipped on aarch64.
    let aarch64 = POLICY.arch(Arch::Aarch64).unwrap();
    assert!(aarch64.missing.contains(&"open") && aarch64.missing.contains(&"stat"));
    // fstatat64, _newselect, mmap2, sigreturn and the large-file, 32-bit-id
    // and 64-bit-time names are 32-bit calls (arch/x86/entry/syscalls/
    // syscall_32.tbl, absent from syscall_64.tbl), set_tls ARM's own, send
    // and recv those of arm and ppc64le: skipped on x86_64.
    assert_eq!(
        POLICY.arch(Arch::X86_64).unwrap().missing,
        [
            "_llseek", "_newselect", "arm_fadvise64_64", "chown32", "clock_getres_time64",
            "clock_gettime64", "clock_nanosleep_time64", "fadvise64_64", "fchown32", "fcntl64",
            "fstat64", "fstatat64", "fstatfs64", "ftruncate64", "futex_time64", "getegid32",
            "geteuid32", "getgid32", "getgroups32", "getresgid32", "getresuid32", "getuid32",
            "lchown32", "lstat64", "mmap2", "ppoll_time64", "pselect6_time64", "recv", "send",
            "sendfile64", "set_tls", "setresgid32", "setresuid32", "sigreturn", "stat64",
            "statfs64", "timer_gettime64", "timer_settime64", "ugetrlimit", "utimensat_time64",
        ]
    );

    // x86_64 numbers from arch/x86/entry/syscalls/syscall_64.tbl: socket 41
    // (AF_INET = 2 of type SOCK_STREAM = 1 with SSRF, EPERM otherwise),
    // mkdirat 258 (FILE_IO), execve 59 (CODE_EXEC only).
    let eperm = bpf::SECCOMP_RET_ERRNO | 1;
    let ssrf = SSRF_X86_64.as_slice();
    assert_eq!(verdict(ssrf, 41, [2, 1]), bpf::SECCOMP_RET_ALLOW);
    assert_eq!(verdict(ssrf, 41, [2, 3]), eperm, "SOCK_RAW");
    assert_eq!(verdict(ssrf, 41, [16, 1]), eperm, "AF_NETLINK");
    assert_eq!(verdict(ssrf, 258, [0, 0]), bpf::SECCOMP_RET_ALLOW);
    assert_eq!(verdict(ssrf, 59, [0, 0]), bpf::SECCOMP_RET_KILL_PROCESS);
    let base = BaseProgram::X86_64.as_slice();
    assert_eq!(base, program(Arch::X86_64, Cap::NONE).unwrap().as_slice());
    assert_eq!(verdict(base, 41, [2, 1]), eperm);
    assert_eq!(verdict(base, 258, [0, 0]), bpf::SECCOMP_RET_KILL_PROCESS);
}
