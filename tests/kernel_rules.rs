//! The shipped policy's rules with conditions and errno answers, on the
//! running kernel, with real programs and with raw calls.
//!
//! - A Python thread runs under `[base]` alone: `clone3` is answered ENOSYS,
//!   glibc falls back to `clone` with `CLONE_THREAD`, which `[base]` allows.
//! - `os.fork()` under `[base]` fails with EPERM (the policy's answer),
//!   and with `CODE_EXEC` it works.
//! - `TIOCSTI` on a pseudo-terminal is refused with EPERM, also with the
//!   high 32 bits of `cmd` set (which the kernel ignores); an unfiltered
//!   control shows the same calls would push a byte, and a variant of the
//!   rule compared on 64 bits shows the high bits would get past it.
//! - errno answers reach the payload: `socket()` without a network cap is
//!   Python's `PermissionError`, `clone3` returns ENOSYS.
//! - W^X (`examples/w_xor_x.toml`, the README's example): `mmap` of memory
//!   both writable and executable, and `mprotect` to executable, are refused
//!   with EPERM; read-write and read-execute mappings are made; without the
//!   filter all of them are.
//! - The calls a payload could turn against the sandbox are refused, each
//!   beside the use programs make of the same call: `prctl` options that
//!   loosen the sandbox's hold (and a stacked filter that would hide a
//!   refusal from the supervisor), `prlimit64` of another process, `clone`
//!   with namespace flags, datagram socket pairs, raw sockets under the
//!   network caps, and the terminal ioctls that take a terminal over.
//!
//! x86_64 only. Runs under the suite's harness (`harness = false`): the
//! Python tests are reported as ignored without `/usr/bin/python3`, the
//! `TIOCSTI` ones without root (the unfiltered control needs
//! `CAP_SYS_ADMIN`: Linux 6.2 disables `TIOCSTI` for others by default).
seccomp_policy_suite::tests![
    #[cfg(target_arch = "x86_64")]
    x86_64::a_python_thread_runs_under_base_alone,
    #[cfg(target_arch = "x86_64")]
    x86_64::fork_gets_eperm_under_base_and_works_with_code_exec,
    #[cfg(target_arch = "x86_64")]
    x86_64::socket_without_a_network_cap_is_a_permission_error,
    #[cfg(target_arch = "x86_64")]
    x86_64::tiocsti_is_refused_with_and_without_high_bits,
    #[cfg(target_arch = "x86_64")]
    x86_64::a_64_bit_comparison_of_cmd_would_let_high_bits_through,
    #[cfg(target_arch = "x86_64")]
    x86_64::clone3_is_answered_enosys,
    #[cfg(target_arch = "x86_64")]
    w_xor_x::writable_and_executable_memory_is_refused,
    #[cfg(target_arch = "x86_64")]
    x86_64::prctl_allows_only_the_listed_options,
    #[cfg(target_arch = "x86_64")]
    x86_64::a_payload_cannot_stack_a_filter_that_hides_denials,
    #[cfg(target_arch = "x86_64")]
    x86_64::no_cap_lets_a_payload_stack_a_filter,
    #[cfg(target_arch = "x86_64")]
    x86_64::prlimit64_reaches_only_the_caller,
    #[cfg(target_arch = "x86_64")]
    x86_64::clone_refuses_namespace_flags,
    #[cfg(target_arch = "x86_64")]
    x86_64::socketpair_is_stream_only,
    #[cfg(target_arch = "x86_64")]
    x86_64::network_caps_open_stream_and_datagram_sockets_only,
    #[cfg(target_arch = "x86_64")]
    x86_64::terminal_takeover_ioctls_are_refused,
];

#[cfg(target_arch = "x86_64")]
mod w_xor_x {
    use core::fmt::Write as _;

    use seccomp_policy::install::apply;
    use seccomp_policy::spawn::Outcome;
    use seccomp_policy::Arch;
    use seccomp_policy_suite::in_child;

    seccomp_policy::seccomp_policy!("examples/w_xor_x.toml");

    /// In a forked child: installs `prog` (if any), then maps anonymous
    /// memory with each protection and changes a read-write mapping's, with
    /// the raw system calls; writes each result as `ok` or the errno.
    fn memory_calls(prog: Option<&PolicyProgram>) -> String {
        const R: i32 = libc::PROT_READ;
        const W: i32 = libc::PROT_WRITE;
        const X: i32 = libc::PROT_EXEC;
        let report = in_child(|out| {
            if let Some(p) = prog {
                if let Err(e) = apply(p) {
                    let _ = write!(out, "apply: {e}");
                    return 2;
                }
            }
            let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
            let mut rw = 0;
            for (name, prot) in [("rw", R | W), ("rwx", R | W | X), ("rx", R | X)] {
                // SAFETY: a new anonymous mapping; nothing refers to it.
                let p = unsafe { libc::syscall(libc::SYS_mmap, 0, 4096, prot, flags, -1, 0) };
                let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
                if p == -1 {
                    let _ = write!(out, "mmap {name} errno {e}; ");
                } else {
                    let _ = write!(out, "mmap {name} ok; ");
                    if name == "rw" {
                        rw = p;
                    }
                }
            }
            for (name, prot) in [("rx", R | X), ("r", R)] {
                // SAFETY: changes the protection of the read-write mapping
                // made above, which nothing uses.
                let r = unsafe { libc::syscall(libc::SYS_mprotect, rw, 4096, prot) };
                let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
                if r == 0 {
                    let _ = write!(out, "mprotect {name} ok; ");
                } else {
                    let _ = write!(out, "mprotect {name} errno {e}; ");
                }
            }
            0
        });
        assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
        report.output
    }

    pub fn writable_and_executable_memory_is_refused() {
        // Unfiltered, every call succeeds.
        assert_eq!(
            memory_calls(None),
            "mmap rw ok; mmap rwx ok; mmap rx ok; mprotect rx ok; mprotect r ok; "
        );
        let prog = program(Arch::X86_64, Cap::NONE).expect("the W^X policy builds");
        assert_eq!(
            memory_calls(Some(&prog)),
            format!(
                "mmap rw ok; mmap rwx errno {e}; mmap rx ok; mprotect rx errno {e}; mprotect r ok; ",
                e = libc::EPERM
            )
        );
    }
}

#[cfg(target_arch = "x86_64")]
mod x86_64 {

    use core::fmt::Write as _;
    use std::collections::BTreeMap;
    use std::process::Command;

    use seccomp_policy::builder::build;
    use seccomp_policy::install::apply;
    use seccomp_policy::rule::{ArgCmp, CmpOp, Rule, RuleSet, When};
    use seccomp_policy::spawn::{CommandExt as _, Outcome, SPAWN_RULES};
    use seccomp_policy::{Action, Arch, Program};
    use seccomp_policy_suite::harness::{require, Checked};
    use seccomp_policy_suite::{in_child, in_filtered_child, simple_filter, ChildOut, ChildReport};

    seccomp_policy::seccomp_policy!("policy/seccomp.toml");

    const PYTHON: &str = "/usr/bin/python3";

    /// Runs `python3 -I -c script` under the shipped policy with `caps`;
    /// returns how it ended and what it printed (stdout and stderr).
    fn python(caps: Cap, script: &str) -> (Outcome, String) {
        let mut cmd = Command::new(PYTHON);
        cmd.args(["-I", "-c", script]);
        cmd.sandbox(&POLICY, caps.bits()).expect("policy builds");
        let out = cmd.output().expect("python3 starts");
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        (Outcome::from(out.status), text)
    }

    pub fn a_python_thread_runs_under_base_alone() -> Checked {
        require::program(PYTHON)?;
        let script = "import threading\n\
                      out = []\n\
                      t = threading.Thread(target=lambda: out.append(sum(range(100))))\n\
                      t.start(); t.join()\n\
                      print('thread computed', out[0], 'threads now', threading.active_count())";
        let (outcome, text) = python(Cap::NONE, script);
        assert_eq!(outcome, Outcome::Exited(0), "{text}");
        assert_eq!(text, "thread computed 4950 threads now 1\n");
        Ok(())
    }

    pub fn fork_gets_eperm_under_base_and_works_with_code_exec() -> Checked {
        require::program(PYTHON)?;
        let script = "import os\n\
                      try:\n    pid = os.fork()\n\
                      except OSError as e:\n    print('fork refused, errno', e.errno)\n\
                      else:\n    (os._exit(7) if pid == 0 else print('child exited', os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])))";
        let (outcome, text) = python(Cap::NONE, script);
        assert_eq!(outcome, Outcome::Exited(0), "{text}");
        assert_eq!(text, format!("fork refused, errno {}\n", libc::EPERM));
        let (outcome, text) = python(Cap::CODE_EXEC, script);
        assert_eq!(outcome, Outcome::Exited(0), "{text}");
        assert_eq!(text, "child exited 7\n");
        Ok(())
    }

    pub fn socket_without_a_network_cap_is_a_permission_error() -> Checked {
        require::program(PYTHON)?;
        let script = "import socket\n\
                      try:\n    socket.socket()\n\
                      except PermissionError as e:\n    print('refused:', e.errno)\n\
                      try:\n    socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)\n\
                      except PermissionError as e:\n    print('netlink refused:', e.errno)";
        let (outcome, text) = python(Cap::NONE, script);
        assert_eq!(outcome, Outcome::Exited(0), "{text}");
        assert_eq!(text, "refused: 1\nnetlink refused: 1\n");
        // SSRF opens Internet sockets, not netlink ones.
        let script = "import socket\n\
                      print('inet', socket.socket().family.name)\n\
                      try:\n    socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)\n\
                      except PermissionError as e:\n    print('netlink refused:', e.errno)";
        let (outcome, text) = python(Cap::SSRF, script);
        assert_eq!(outcome, Outcome::Exited(0), "{text}");
        assert_eq!(text, "inet AF_INET\nnetlink refused: 1\n");
        Ok(())
    }

    /// `TIOCSTI` with the high half of `cmd` set: the kernel reads `cmd` as
    /// `unsigned int` and still sees TIOCSTI.
    const TIOCSTI_HIGH: u64 = 0xffff_ffff_0000_0000 | libc::TIOCSTI;

    /// In a forked child: opens a pseudo-terminal, installs `prog` (if any),
    /// then tries `TCGETS` and `TIOCSTI` (plain and with high bits) on the
    /// slave, and writes each result as `ok` or the errno.
    fn pty_calls<const N: usize>(prog: Option<Program<N>>) -> String {
        let report = in_child(|out| {
            let (mut master, mut slave) = (0, 0);
            // SAFETY: openpty writes two descriptors; the other arguments may be null.
            let r = unsafe {
                libc::openpty(
                    &raw mut master,
                    &raw mut slave,
                    core::ptr::null_mut(),
                    core::ptr::null(),
                    core::ptr::null(),
                )
            };
            if r != 0 {
                let _ = write!(out, "openpty failed");
                return 2;
            }
            if let Some(p) = &prog {
                if let Err(e) = apply(p.as_slice()) {
                    let _ = write!(out, "apply: {e}");
                    return 3;
                }
            }
            let mut termios = core::mem::MaybeUninit::<libc::termios>::uninit();
            let byte = b'x';
            let calls: [(&str, u64, *const libc::c_void); 3] = [
                ("TCGETS", libc::TCGETS, termios.as_mut_ptr().cast()),
                ("TIOCSTI", libc::TIOCSTI, (&raw const byte).cast()),
                ("TIOCSTI|high", TIOCSTI_HIGH, (&raw const byte).cast()),
            ];
            for (name, cmd, arg) in calls {
                // SAFETY: a raw ioctl on our own descriptor with a live argument.
                let r = unsafe { libc::syscall(libc::SYS_ioctl, slave, cmd, arg) };
                let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
                if r == 0 {
                    let _ = write!(out, "{name} ok; ");
                } else {
                    let _ = write!(out, "{name} errno {e}; ");
                }
            }
            0
        });
        assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
        report.output
    }

    /// The shipped `[base]` program (plus the spawn rules), as a payload gets it.
    fn base_program() -> PolicyProgram {
        let native = POLICY.native().expect("x86_64");
        native
            .program(0, SPAWN_RULES, native.default)
            .expect("builds")
    }

    pub fn tiocsti_is_refused_with_and_without_high_bits() -> Checked {
        require::root()?;
        // Unfiltered, both forms push a byte (as root): the kernel ignores the
        // high half of `cmd`.
        let control = pty_calls::<1>(None);
        assert_eq!(
            control, "TCGETS ok; TIOCSTI ok; TIOCSTI|high ok; ",
            "the unfiltered control needs CAP_SYS_ADMIN"
        );
        // Under [base]: terminal queries work, input injection gets EPERM.
        let filtered = pty_calls(Some(base_program()));
        assert_eq!(
            filtered,
            format!(
                "TCGETS ok; TIOCSTI errno {e}; TIOCSTI|high errno {e}; ",
                e = libc::EPERM
            )
        );
        Ok(())
    }

    pub fn a_64_bit_comparison_of_cmd_would_let_high_bits_through() -> Checked {
        require::root()?;
        // The same rule as [base]'s, but comparing all 64 bits of `cmd`: what a
        // filter that ignores the parameter's width does (CVE-2019-10063).
        let cmps = [
            ArgCmp {
                arg: 1,
                bits: 64,
                op: CmpOp::Ne,
                value: libc::TIOCSTI,
            },
            ArgCmp {
                arg: 1,
                bits: 64,
                op: CmpOp::Ne,
                value: libc::TIOCLINUX,
            },
        ];
        let alts: [&[ArgCmp]; 1] = [&cmps];
        let rules = [Rule {
            nr: libc::SYS_ioctl as u32,
            when: When::AnyOf(&alts),
            action: Action::Allow,
            order: 0,
        }];
        // What the child needs besides ioctl: write its report and exit.
        let child_needs = RuleSet {
            allow: &[libc::SYS_write as u32, libc::SYS_exit_group as u32],
            rules: &rules,
        };
        let weak = build::<256>(
            Arch::X86_64,
            &[child_needs],
            Action::Errno(libc::EPERM as u16),
        )
        .expect("builds");
        let out = pty_calls(Some(weak));
        assert_eq!(
            out,
            format!(
                "TCGETS ok; TIOCSTI errno {}; TIOCSTI|high ok; ",
                libc::EPERM
            ),
            "with 64-bit comparisons the high bits slip past"
        );
        Ok(())
    }

    pub fn clone3_is_answered_enosys() {
        let prog = base_program();
        let report = in_child(|out| {
            if let Err(e) = apply(prog.as_slice()) {
                let _ = write!(out, "apply: {e}");
                return 2;
            }
            // SAFETY: clone3 with a null argument block; the filter answers
            // before the kernel would read it.
            let r = unsafe { libc::syscall(libc::SYS_clone3, 0usize, 0usize) };
            let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            let _ = write!(out, "clone3 {r} errno {e}");
            0
        });
        assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
        assert_eq!(report.output, format!("clone3 -1 errno {}", libc::ENOSYS));
        // And the policy's verdict says the same, per architecture's numbering.
        for arch in Arch::ALL {
            let ap = POLICY.arch(arch).unwrap();
            let Some(nr) = seccomp_policy::syscalls::number(arch, "clone3") else {
                continue;
            };
            let v = ap.verdict(0, RuleSet::EMPTY, nr, &[0; 6], ap.default);
            assert!(matches!(v, Action::Errno(_)), "{arch}: {v:?}");
        }
    }

    /// The program of `caps` (plus the spawn rules), as a payload gets it.
    fn cap_program(caps: Cap) -> PolicyProgram {
        let native = POLICY.native().expect("x86_64");
        native
            .program(caps.bits(), SPAWN_RULES, native.default)
            .expect("builds")
    }

    #[allow(
        clippy::too_many_lines,
        reason = "one case per prctl option, each beside its expected answer, read top to bottom"
    )]
    pub fn prctl_allows_only_the_listed_options() {
        use crate::raw::{eperm, note, notes, sys};
        const PR_SET_PTRACER_ANY: u64 = u64::MAX;
        let p = libc::SYS_prctl;
        // SAFETY: no arguments.
        let root = unsafe { libc::geteuid() } == 0;
        let report = in_filtered_child(base_program().as_slice(), |out| {
            // What loosens the sandbox's hold on the payload: each is EPERM.
            let refused: [(&str, libc::c_int, u64); 4] = [
                // The supervisor's death signal (SIGKILL when it dies).
                ("PR_SET_PDEATHSIG 0", libc::PR_SET_PDEATHSIG, 0),
                // Orphans of the payload's tree would become its children.
                ("PR_SET_CHILD_SUBREAPER", libc::PR_SET_CHILD_SUBREAPER, 1),
                // Any process of the user could ptrace it (with Yama).
                (
                    "PR_SET_PTRACER any",
                    libc::PR_SET_PTRACER,
                    PR_SET_PTRACER_ANY,
                ),
                // Undoing what a change of ids cleared.
                ("PR_SET_DUMPABLE 1", libc::PR_SET_DUMPABLE, 1),
            ];
            for (what, option, arg2) in refused {
                note(out, what, sys(p, [option as u64, arg2, 0, 0, 0, 0]));
            }
            // What programs use: about the caller only, or making it safer.
            let name = b"renamed\0";
            let mut got = [0u8; 16];
            let mut sig: libc::c_int = -1;
            let cmd = |option: libc::c_int, a: u64| [option as u64, a, 0, 0, 0, 0];
            note(
                out,
                "PR_SET_NAME",
                sys(p, cmd(libc::PR_SET_NAME, name.as_ptr() as u64)),
            );
            note(
                out,
                "PR_GET_NAME",
                sys(p, cmd(libc::PR_GET_NAME, got.as_mut_ptr() as u64)),
            );
            let len = got.iter().position(|&b| b == 0).unwrap_or(got.len());
            let _ = write!(
                out,
                "name={}; ",
                core::str::from_utf8(&got[..len]).unwrap_or("?")
            );
            note(
                out,
                "PR_GET_DUMPABLE",
                sys(p, cmd(libc::PR_GET_DUMPABLE, 0)),
            );
            note(
                out,
                "PR_SET_DUMPABLE 0",
                sys(p, cmd(libc::PR_SET_DUMPABLE, 0)),
            );
            note(
                out,
                "PR_GET_DUMPABLE now",
                sys(p, cmd(libc::PR_GET_DUMPABLE, 0)),
            );
            note(
                out,
                "PR_SET_NO_NEW_PRIVS",
                sys(p, cmd(libc::PR_SET_NO_NEW_PRIVS, 1)),
            );
            note(
                out,
                "PR_GET_NO_NEW_PRIVS",
                sys(p, cmd(libc::PR_GET_NO_NEW_PRIVS, 0)),
            );
            note(out, "PR_GET_SECCOMP", sys(p, cmd(libc::PR_GET_SECCOMP, 0)));
            note(
                out,
                "PR_GET_PDEATHSIG",
                sys(p, cmd(libc::PR_GET_PDEATHSIG, (&raw mut sig) as u64)),
            );
            let _ = write!(out, "pdeathsig={sig}; ");
            note(
                out,
                "PR_GET_SECUREBITS",
                sys(p, cmd(libc::PR_GET_SECUREBITS, 0)),
            );
            // CAP_CHOWN (0): in the bounding set of any process here.
            note(
                out,
                "PR_CAPBSET_READ",
                sys(p, cmd(libc::PR_CAPBSET_READ, 0)),
            );
            note(
                out,
                "PR_CAP_AMBIENT_IS_SET",
                sys(
                    p,
                    [
                        libc::PR_CAP_AMBIENT as u64,
                        libc::PR_CAP_AMBIENT_IS_SET as u64,
                        0,
                        0,
                        0,
                        0,
                    ],
                ),
            );
            // CAP_SYS_BOOT (22): this child's own bounding set (root only).
            if root {
                note(
                    out,
                    "PR_CAPBSET_DROP",
                    sys(p, cmd(libc::PR_CAPBSET_DROP, 22)),
                );
            }
            // Naming an anonymous mapping of its own (EINVAL from a kernel
            // without CONFIG_ANON_VMA_NAME).
            // SAFETY: a new private anonymous mapping.
            let page = unsafe {
                libc::mmap(
                    core::ptr::null_mut(),
                    4096,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            let vma = [
                libc::PR_SET_VMA as u64,
                libc::PR_SET_VMA_ANON_NAME as u64,
                page as u64,
                4096,
                name.as_ptr() as u64,
                0,
            ];
            note(out, "PR_SET_VMA", sys(p, vma));
            0
        });
        assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
        let got = notes(&report.output);
        let mut want: BTreeMap<&str, &str> = [
            ("PR_SET_NAME", "0"),
            ("PR_GET_NAME", "0"),
            ("name", "renamed"),
            ("PR_GET_DUMPABLE", "1"),
            ("PR_SET_DUMPABLE 0", "0"),
            ("PR_GET_DUMPABLE now", "0"),
            ("PR_SET_NO_NEW_PRIVS", "0"),
            ("PR_GET_NO_NEW_PRIVS", "1"),
            ("PR_GET_SECCOMP", "2"),
            ("PR_GET_PDEATHSIG", "0"),
            ("pdeathsig", "0"),
            ("PR_CAPBSET_READ", "1"),
            ("PR_CAP_AMBIENT_IS_SET", "0"),
        ]
        .into();
        if root {
            want.insert("PR_CAPBSET_DROP", "0");
        }
        let eperm = eperm();
        for what in [
            "PR_SET_PDEATHSIG 0",
            "PR_SET_CHILD_SUBREAPER",
            "PR_SET_PTRACER any",
            "PR_SET_DUMPABLE 1",
        ] {
            want.insert(what, &eperm);
        }
        // Values that depend on the kernel and the user: not refused.
        for (what, may_be) in [
            ("PR_GET_SECUREBITS", None),
            ("PR_SET_VMA", Some(format!("errno {}", libc::EINVAL))),
        ] {
            let v = got.get(what).copied().unwrap_or("missing");
            assert!(
                v.parse::<i64>().is_ok_and(|v| v >= 0) || may_be.as_deref() == Some(v),
                "{what}: {v}; {report}"
            );
        }
        let got: BTreeMap<&str, &str> = got
            .into_iter()
            .filter(|(k, _)| !["PR_GET_SECUREBITS", "PR_SET_VMA"].contains(k))
            .collect();
        assert_eq!(got, want, "{report}");
    }

    /// A filter of the payload's own, answering `mkdir` with `ERRNO(0)`:
    /// stacked on the sandbox's, it would outrank a `notify` (the
    /// supervisor's), so a refused call "succeeds" without the supervisor
    /// ever seeing it.
    fn payload_filter() -> Vec<seccomp_policy::bpf::SockFilter> {
        use seccomp_policy::bpf::{SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO};
        simple_filter(
            &[(libc::SYS_mkdir as u32, SECCOMP_RET_ERRNO)],
            SECCOMP_RET_ALLOW,
        )
    }

    /// Makes `mkdir`, then tries to stack `own` with `prctl` and with
    /// `seccomp`, then `mkdir` again; notes each result.
    fn stack_and_mkdir(out: &mut ChildOut, own: &[seccomp_policy::bpf::SockFilter]) {
        use crate::raw::{note, sys};
        let fprog = libc::sock_fprog {
            len: u16::try_from(own.len()).expect("short"),
            filter: own.as_ptr().cast_mut().cast(),
        };
        let dir = b"/nonexistent-seccomp-policy-test/d\0";
        let mkdir = [dir.as_ptr() as u64, 0o700, 0, 0, 0, 0];
        note(out, "mkdir", sys(libc::SYS_mkdir, mkdir));
        let prctl = [
            libc::PR_SET_SECCOMP as u64,
            u64::from(libc::SECCOMP_MODE_FILTER),
            (&raw const fprog) as u64,
            0,
            0,
            0,
        ];
        note(out, "prctl(PR_SET_SECCOMP)", sys(libc::SYS_prctl, prctl));
        let seccomp = [
            u64::from(libc::SECCOMP_SET_MODE_FILTER),
            0,
            (&raw const fprog) as u64,
            0,
            0,
            0,
        ];
        note(
            out,
            "seccomp(SET_MODE_FILTER)",
            sys(libc::SYS_seccomp, seccomp),
        );
        note(out, "mkdir again", sys(libc::SYS_mkdir, mkdir));
    }

    pub fn a_payload_cannot_stack_a_filter_that_hides_denials() {
        use crate::raw::{eperm, notes};
        // [base] as the supervisor attaches it: what the grant refuses goes
        // to the listener. Without one, the kernel answers ENOSYS, which
        // stands for "the supervisor saw it" here.
        let native = POLICY.native().expect("x86_64");
        let prog: PolicyProgram = native
            .program(0, SPAWN_RULES, Action::Notify)
            .expect("builds");
        let own = payload_filter();
        let report = in_filtered_child(prog.as_slice(), |out| {
            stack_and_mkdir(out, &own);
            0
        });
        assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
        let enosys = format!("errno {}", libc::ENOSYS);
        let eperm = eperm();
        let want: BTreeMap<&str, &str> = [
            ("mkdir", enosys.as_str()),
            ("prctl(PR_SET_SECCOMP)", eperm.as_str()),
            ("seccomp(SET_MODE_FILTER)", enosys.as_str()),
            ("mkdir again", enosys.as_str()),
        ]
        .into();
        assert_eq!(notes(&report.output), want, "{report}");
    }

    pub fn no_cap_lets_a_payload_stack_a_filter() {
        use crate::raw::eperm;
        // No cap set allows either way of attaching a filter.
        let seccomp_nr = libc::SYS_seccomp as u32;
        let prctl_nr = libc::SYS_prctl as u32;
        let native = POLICY.native().expect("x86_64");
        let stack = [
            libc::PR_SET_SECCOMP as u64,
            u64::from(libc::SECCOMP_MODE_FILTER),
            0x1000,
            0,
            0,
            0,
        ];
        for caps in 0..=Cap::ALL.bits() {
            if caps & !Cap::ALL.bits() != 0 {
                continue;
            }
            let v = native.verdict(
                caps,
                SPAWN_RULES,
                seccomp_nr,
                &[1, 0, 0x1000, 0, 0, 0],
                native.default,
            );
            assert_eq!(v, Action::KillProcess, "seccomp() with caps {caps:#x}");
            let v = native.verdict(caps, SPAWN_RULES, prctl_nr, &stack, native.default);
            assert_eq!(
                v,
                Action::Errno(libc::EPERM as u16),
                "prctl with caps {caps:#x}"
            );
        }
        // And on the kernel, with every cap: prctl gets EPERM, seccomp()
        // kills (the policy's default).
        let own = payload_filter();
        let report = in_filtered_child(cap_program(Cap::ALL).as_slice(), |out| {
            stack_and_mkdir(out, &own);
            0
        });
        assert_eq!(report.outcome, Outcome::KilledBySeccomp, "{report}");
        assert_eq!(
            report.output,
            format!(
                "mkdir=errno {}; prctl(PR_SET_SECCOMP)={}; ",
                libc::ENOENT,
                eperm()
            )
        );
    }

    pub fn prlimit64_reaches_only_the_caller() {
        use crate::raw::{eperm, note, notes, sys};
        let prog = base_program();
        let report = in_child(|out| {
            // Another process the payload can name, standing in for its
            // supervisor (`getppid()`): a sibling that waits to be killed.
            // SAFETY: the sibling only waits in pause(); it never returns.
            let other = unsafe { libc::fork() };
            if other == 0 {
                loop {
                    // SAFETY: no arguments.
                    unsafe { libc::pause() };
                }
            }
            if let Err(e) = apply(prog.as_slice()) {
                let _ = write!(out, "apply: {e}");
                return 2;
            }
            let nofile = libc::RLIMIT_NOFILE as u64;
            let none = libc::rlimit64 {
                rlim_cur: 0,
                rlim_max: 0,
            };
            let mut old = libc::rlimit64 {
                rlim_cur: 0,
                rlim_max: 0,
            };
            let set_other = [other as u64, nofile, (&raw const none) as u64, 0, 0, 0];
            note(out, "set another's", sys(libc::SYS_prlimit64, set_other));
            let get_other = [other as u64, nofile, 0, (&raw mut old) as u64, 0, 0];
            note(out, "read another's", sys(libc::SYS_prlimit64, get_other));
            // What glibc's getrlimit and setrlimit make: pid 0, the caller.
            let get_own = [0, nofile, 0, (&raw mut old) as u64, 0, 0];
            note(out, "read own", sys(libc::SYS_prlimit64, get_own));
            let same = old;
            let set_own = [0, nofile, (&raw const same) as u64, 0, 0, 0];
            note(out, "set own", sys(libc::SYS_prlimit64, set_own));
            // SAFETY: ending and reaping our own child.
            unsafe {
                libc::kill(other, libc::SIGKILL);
                libc::waitpid(other, core::ptr::null_mut(), 0);
            }
            0
        });
        assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
        let eperm = eperm();
        let want: BTreeMap<&str, &str> = [
            ("set another's", eperm.as_str()),
            ("read another's", eperm.as_str()),
            ("read own", "0"),
            ("set own", "0"),
        ]
        .into();
        assert_eq!(notes(&report.output), want, "{report}");
    }

    /// Every namespace flag of `clone`. `CLONE_NEWTIME` shares its bit with
    /// the exit signal in `clone`'s flags (only `clone3` can ask for it),
    /// but the rules refuse the bit all the same.
    const NAMESPACES: [(&str, libc::c_int); 8] = [
        ("CLONE_NEWNS", libc::CLONE_NEWNS),
        ("CLONE_NEWCGROUP", libc::CLONE_NEWCGROUP),
        ("CLONE_NEWUTS", libc::CLONE_NEWUTS),
        ("CLONE_NEWIPC", libc::CLONE_NEWIPC),
        ("CLONE_NEWUSER", libc::CLONE_NEWUSER),
        ("CLONE_NEWPID", libc::CLONE_NEWPID),
        ("CLONE_NEWNET", libc::CLONE_NEWNET),
        ("CLONE_NEWTIME", libc::CLONE_NEWTIME),
    ];

    extern "C" fn thread_body(_: *mut libc::c_void) -> *mut libc::c_void {
        core::ptr::without_provenance_mut(42)
    }

    /// Starts a thread with `pthread_create` (`clone3`, `ENOSYS`, then
    /// `clone` with `CLONE_THREAD`) and joins it; notes what it returned.
    fn real_thread(out: &mut ChildOut) {
        let mut t: libc::pthread_t = 0;
        // SAFETY: a thread running a function that returns at once.
        let r = unsafe {
            libc::pthread_create(
                &raw mut t,
                core::ptr::null(),
                thread_body,
                core::ptr::null_mut(),
            )
        };
        if r != 0 {
            let _ = write!(out, "thread=errno {r}; ");
            return;
        }
        let mut ret = core::ptr::null_mut();
        // SAFETY: joining the thread just started.
        let r = unsafe { libc::pthread_join(t, &raw mut ret) };
        let _ = write!(out, "thread={}; ", if r == 0 { ret.addr() } else { 0 });
    }

    pub fn clone_refuses_namespace_flags() {
        use crate::raw::{eperm, note, notes, sys};
        // The kernel checks clone's flags for combinations that make no
        // sense before it creates anything (copy_process): CLONE_THREAD
        // without CLONE_SIGHAND, CLONE_SIGHAND without CLONE_VM, and
        // CLONE_NEWNS with CLONE_FS are EINVAL. Each attempt below is one
        // of those, so it creates nothing whatever the filter says: EINVAL
        // means the filter let the flags through, EPERM that it refused them.
        let thread = libc::CLONE_THREAD as u64;
        let sighand = libc::CLONE_SIGHAND as u64;
        let report = in_filtered_child(base_program().as_slice(), |out| {
            // [base]: a thread asking for a namespace.
            for (what, flag) in NAMESPACES {
                let flags = thread | flag as u64;
                note(out, what, sys(libc::SYS_clone, [flags, 0, 0, 0, 0, 0]));
            }
            // The flags of a real thread, with two namespaces.
            let flags = (libc::CLONE_THREAD
                | libc::CLONE_SIGHAND
                | libc::CLONE_VM
                | libc::CLONE_FS
                | libc::CLONE_NEWNS
                | libc::CLONE_NEWNET) as u64;
            note(
                out,
                "thread in new namespaces",
                sys(libc::SYS_clone, [flags, 0, 0, 0, 0, 0]),
            );
            real_thread(out);
            0
        });
        assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
        let eperm = eperm();
        let mut want: BTreeMap<&str, &str> = NAMESPACES
            .iter()
            .map(|&(what, _)| (what, eperm.as_str()))
            .collect();
        want.insert("thread in new namespaces", &eperm);
        want.insert("thread", "42");
        assert_eq!(notes(&report.output), want, "[base]: {report}");

        // CODE_EXEC: a new process asking for a namespace; clone3, whose
        // flags a filter cannot read, is ENOSYS as in [base].
        let report = in_filtered_child(cap_program(Cap::CODE_EXEC).as_slice(), |out| {
            for (what, flag) in NAMESPACES {
                let flags = sighand | flag as u64 | libc::SIGCHLD as u64;
                note(out, what, sys(libc::SYS_clone, [flags, 0, 0, 0, 0, 0]));
            }
            // A real clone3 would read its flags from memory, where a
            // namespace flag could be; size 0 makes the kernel refuse it.
            note(out, "clone3", sys(libc::SYS_clone3, [0, 0, 0, 0, 0, 0]));
            // A process as fork makes it, and a thread.
            match sys(libc::SYS_clone, [libc::SIGCHLD as u64, 0, 0, 0, 0, 0]) {
                // SAFETY: the new process ends at once.
                Ok(0) => unsafe { libc::_exit(7) },
                Ok(pid) => {
                    let mut status = 0;
                    // SAFETY: reaping our own child.
                    unsafe { libc::waitpid(pid as libc::pid_t, &raw mut status, 0) };
                    let _ = write!(out, "fork={}; ", libc::WEXITSTATUS(status));
                }
                Err(e) => note(out, "fork", Err(e)),
            }
            real_thread(out);
            0
        });
        assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
        let enosys = format!("errno {}", libc::ENOSYS);
        let mut want: BTreeMap<&str, &str> = NAMESPACES
            .iter()
            .map(|&(what, _)| (what, eperm.as_str()))
            .collect();
        want.insert("clone3", &enosys);
        want.insert("fork", "7");
        want.insert("thread", "42");
        assert_eq!(notes(&report.output), want, "CODE_EXEC: {report}");
    }

    pub fn socketpair_is_stream_only() {
        use crate::raw::{eperm, note, notes, sys};
        let unix = libc::AF_UNIX as u64;
        let flags = (libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC) as u64;
        let kinds: [(&str, u64); 6] = [
            ("SOCK_STREAM", libc::SOCK_STREAM as u64),
            ("SOCK_STREAM|flags", libc::SOCK_STREAM as u64 | flags),
            ("SOCK_DGRAM", libc::SOCK_DGRAM as u64),
            ("SOCK_DGRAM|flags", libc::SOCK_DGRAM as u64 | flags),
            ("SOCK_SEQPACKET", libc::SOCK_SEQPACKET as u64),
            // A type the kernel refuses (EINVAL): the filter must not
            // take the flags for a way past the type.
            ("SOCK_STREAM|0x10", libc::SOCK_STREAM as u64 | 0x10),
        ];
        let report = in_filtered_child(base_program().as_slice(), |out| {
            for (what, kind) in kinds {
                let mut fds = [-1 as libc::c_int; 2];
                let r = sys(
                    libc::SYS_socketpair,
                    [unix, kind, 0, fds.as_mut_ptr() as u64, 0, 0],
                );
                // SAFETY: closing what the call made.
                unsafe {
                    libc::close(fds[0]);
                    libc::close(fds[1]);
                }
                note(out, what, r);
            }
            0
        });
        assert_eq!(report.outcome, Outcome::Exited(0), "{report}");
        let eperm = eperm();
        let want: BTreeMap<&str, &str> = [
            ("SOCK_STREAM", "0"),
            ("SOCK_STREAM|flags", "0"),
            ("SOCK_DGRAM", eperm.as_str()),
            ("SOCK_DGRAM|flags", eperm.as_str()),
            ("SOCK_SEQPACKET", eperm.as_str()),
            ("SOCK_STREAM|0x10", eperm.as_str()),
        ]
        .into();
        assert_eq!(notes(&report.output), want, "{report}");
    }

    pub fn network_caps_open_stream_and_datagram_sockets_only() {
        use crate::raw::{eperm, note, notes, sys};
        let flags = (libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC) as u64;
        // SAFETY: no arguments.
        let root = unsafe { libc::geteuid() } == 0;
        for caps in [Cap::SSRF, Cap::HEADER_INJECTION, Cap::OPEN_REDIRECT] {
            let report = in_filtered_child(cap_program(caps).as_slice(), |out| {
                for (fam, family) in [("inet", libc::AF_INET), ("inet6", libc::AF_INET6)] {
                    let family = family as u64;
                    let mut open = |what: &str, kind: u64, protocol: u64| {
                        let r = sys(libc::SYS_socket, [family, kind, protocol, 0, 0, 0]);
                        if let Ok(fd) = r {
                            // SAFETY: closing the socket just made.
                            unsafe { libc::close(fd as libc::c_int) };
                            note(out, &format!("{fam} {what}"), Ok(0));
                        } else {
                            note(out, &format!("{fam} {what}"), r);
                        }
                    };
                    open("stream", libc::SOCK_STREAM as u64, 0);
                    open("stream|flags", libc::SOCK_STREAM as u64 | flags, 0);
                    open("dgram", libc::SOCK_DGRAM as u64, 0);
                    open("dgram|flags", libc::SOCK_DGRAM as u64 | flags, 0);
                    // Protocol 65535 is past IPPROTO_MAX (263 in Linux
                    // 6.18): the kernel refuses it with EINVAL for any user
                    // before it looks at the caller's capabilities, so
                    // EINVAL means the filter let SOCK_RAW through.
                    open("raw, bad protocol", libc::SOCK_RAW as u64, 65535);
                    if root {
                        // The attack: raw packets, as root.
                        let icmp = if family == libc::AF_INET as u64 {
                            libc::IPPROTO_ICMP
                        } else {
                            libc::IPPROTO_ICMPV6
                        };
                        open("raw", libc::SOCK_RAW as u64, icmp as u64);
                    }
                }
                0
            });
            assert_eq!(report.outcome, Outcome::Exited(0), "{caps}: {report}");
            let eperm = eperm();
            let mut want = BTreeMap::new();
            for fam in ["inet", "inet6"] {
                for what in ["stream", "stream|flags", "dgram", "dgram|flags"] {
                    want.insert(format!("{fam} {what}"), "0");
                }
                want.insert(format!("{fam} raw, bad protocol"), eperm.as_str());
                if root {
                    want.insert(format!("{fam} raw"), eperm.as_str());
                }
            }
            let got: BTreeMap<String, &str> = notes(&report.output)
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
            assert_eq!(got, want, "{caps}: {report}");
        }
    }

    /// In a forked child: starts a session of its own (so it has no
    /// controlling terminal), opens a pseudo-terminal, installs `prog`
    /// (if any), and makes the terminal ioctls that change more than the
    /// caller's own view of its terminal, with a query beside them; notes
    /// each result.
    fn terminal_takeover<const N: usize>(prog: Option<Program<N>>) -> ChildReport {
        use crate::raw::{note, sys};
        in_child(|out| {
            // SAFETY: the child is not a group leader, so setsid succeeds.
            if unsafe { libc::setsid() } < 0 {
                let _ = write!(out, "setsid failed");
                return 2;
            }
            let (mut master, mut slave) = (0, 0);
            // SAFETY: openpty writes two descriptors; the other arguments may be null.
            let r = unsafe {
                libc::openpty(
                    &raw mut master,
                    &raw mut slave,
                    core::ptr::null_mut(),
                    core::ptr::null(),
                    core::ptr::null(),
                )
            };
            if r != 0 {
                let _ = write!(out, "openpty failed");
                return 2;
            }
            // The same terminal, read-only: TIOCCONS refuses such a
            // descriptor with EBADF after its capability check, before it
            // redirects anything.
            let path = std::fs::read_link(format!("/proc/self/fd/{slave}")).expect("pty name");
            let path =
                std::ffi::CString::new(path.into_os_string().into_encoded_bytes()).expect("no NUL");
            // SAFETY: a valid path.
            let read_only = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_NOCTTY) };
            if let Some(p) = &prog {
                if let Err(e) = apply(p.as_slice()) {
                    let _ = write!(out, "apply: {e}");
                    return 3;
                }
            }
            let ioctl = |fd: libc::c_int, cmd: u64, arg: u64| {
                sys(libc::SYS_ioctl, [fd as u64, cmd, arg, 0, 0, 0])
            };
            let mut size = core::mem::MaybeUninit::<libc::winsize>::uninit();
            note(
                out,
                "TIOCGWINSZ",
                ioctl(slave, libc::TIOCGWINSZ, size.as_mut_ptr() as u64),
            );
            // Line discipline 0 (N_TTY), the one it has: any other would
            // load kernel code for the payload's terminal.
            let n_tty: libc::c_int = 0;
            note(
                out,
                "TIOCSETD",
                ioctl(slave, libc::TIOCSETD, (&raw const n_tty) as u64),
            );
            note(out, "TIOCSCTTY", ioctl(slave, libc::TIOCSCTTY, 0));
            note(out, "TIOCCONS", ioctl(read_only, libc::TIOCCONS, 0));
            0
        })
    }

    pub fn terminal_takeover_ioctls_are_refused() {
        use crate::raw::{eperm, notes};
        // Unfiltered, each reaches the terminal: TIOCSETD and TIOCSCTTY
        // succeed, TIOCCONS passes its capability check (root) or stops
        // there (others).
        // SAFETY: no arguments.
        let root = unsafe { libc::geteuid() } == 0;
        let tioccons = if root { libc::EBADF } else { libc::EPERM };
        let control = terminal_takeover::<1>(None);
        assert_eq!(control.outcome, Outcome::Exited(0), "{control}");
        let tioccons = format!("errno {tioccons}");
        let want: BTreeMap<&str, &str> = [
            ("TIOCGWINSZ", "0"),
            ("TIOCSETD", "0"),
            ("TIOCSCTTY", "0"),
            ("TIOCCONS", tioccons.as_str()),
        ]
        .into();
        assert_eq!(notes(&control.output), want, "unfiltered: {control}");
        // Under [base]: the query works, the rest is EPERM.
        let filtered = terminal_takeover(Some(base_program()));
        assert_eq!(filtered.outcome, Outcome::Exited(0), "{filtered}");
        let eperm = eperm();
        let want: BTreeMap<&str, &str> = [
            ("TIOCGWINSZ", "0"),
            ("TIOCSETD", eperm.as_str()),
            ("TIOCSCTTY", eperm.as_str()),
            ("TIOCCONS", eperm.as_str()),
        ]
        .into();
        assert_eq!(notes(&filtered.output), want, "[base]: {filtered}");
    }
}

/// Raw calls and how a forked child reports them.
#[cfg(target_arch = "x86_64")]
mod raw {
    use core::fmt::Write as _;
    use std::collections::BTreeMap;

    use seccomp_policy_suite::ChildOut;

    /// A raw system call: what it returned, or the errno it failed with.
    pub fn sys(nr: libc::c_long, a: [u64; 6]) -> Result<i64, i32> {
        // SAFETY: the callers pass integers, or pointers to live memory of
        // the size the call reads or writes.
        let r = unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) };
        if r == -1 {
            Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
        } else {
            Ok(r)
        }
    }

    /// Writes `what=VALUE; ` or `what=errno N; ` to the child's report
    /// (formatting into the pipe, which allocates nothing).
    pub fn note(out: &mut ChildOut, what: &str, r: Result<i64, i32>) {
        let _ = match r {
            Ok(v) => write!(out, "{what}={v}; "),
            Err(e) => write!(out, "{what}=errno {e}; "),
        };
    }

    /// What [`note`] wrote, by name.
    pub fn notes(report: &str) -> BTreeMap<&str, &str> {
        report
            .split("; ")
            .filter_map(|n| n.split_once('='))
            .collect()
    }

    /// How [`note`] writes a refusal with `EPERM`.
    pub fn eperm() -> String {
        format!("errno {}", libc::EPERM)
    }
}
