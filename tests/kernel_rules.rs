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
    use std::process::Command;

    use seccomp_policy::builder::build;
    use seccomp_policy::install::apply;
    use seccomp_policy::rule::{ArgCmp, CmpOp, Rule, RuleSet, When};
    use seccomp_policy::spawn::{CommandExt as _, Outcome, SPAWN_RULES};
    use seccomp_policy::{Action, Arch, Program};
    use seccomp_policy_suite::harness::{require, Checked};
    use seccomp_policy_suite::in_child;

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
            let Some(nr) = seccomp_policy_compiler::tables::lookup(
                seccomp_policy_compiler::tables::table(arch),
                "clone3",
            ) else {
                continue;
            };
            let v = ap.verdict(0, RuleSet::EMPTY, nr, &[0; 6], ap.default);
            assert!(matches!(v, Action::Errno(_)), "{arch}: {v:?}");
        }
    }
}
