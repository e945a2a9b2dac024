//! Real payloads under bubblewrap with the exported program
//! (`bwrap --seccomp FD`) end as they do under the sandbox
//! (`seccomp_policy::spawn::CommandExt::sandbox`).
//!
//! bubblewrap loads the program just before it execs the command, so the
//! program is exported with `--allow-execve`, as the sandbox builds its
//! own. bwrap exits with 128 + the signal when the command is killed.
//!
//! Needs Debian's `bubblewrap`, the right to make namespaces (root, as CI
//! is) and `/usr/bin/python3`: without them the test is reported as
//! skipped, with the reason, by the suite's harness.

mod common;

use std::process::{Command, Stdio};

use seccomp_policy::spawn::{CommandExt as _, Outcome};

use common::{run, scratch};
use seccomp_policy_suite::harness::{require, Checked};

seccomp_policy::seccomp_policy!("../policy/seccomp.toml");

const PY: &str = "/usr/bin/python3";

/// How a payload ended, comparable between the two.
#[derive(Debug, PartialEq, Eq)]
enum End {
    Exited(i32),
    Signal(i32),
}

fn under_sandbox(caps: Cap, argv: &[&str]) -> End {
    let mut cmd = Command::new(argv[0]);
    cmd.args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd.sandbox(&POLICY, caps.bits())
        .expect("the policy builds");
    match Outcome::from(cmd.status().expect("spawns")) {
        Outcome::Exited(c) => End::Exited(c),
        Outcome::KilledBySeccomp => End::Signal(libc::SIGSYS),
        Outcome::Signaled(s) => End::Signal(s),
        Outcome::Other(status) => panic!("unexpected wait status {status:#x}"),
    }
}

fn under_bwrap(program: &std::path::Path, argv: &[&str]) -> End {
    let out = Command::new("sh")
        .arg("-c")
        .arg(
            "exec bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --seccomp 3 -- \"$@\" 3<\"$PROGRAM\"",
        )
        .arg("sh")
        .args(argv)
        .env("PROGRAM", program)
        .stdin(Stdio::null())
        .output()
        .expect("sh runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.starts_with("bwrap:"), "bubblewrap failed: {stderr}");
    match out.status.code() {
        Some(c) if c > 128 => End::Signal(c - 128),
        Some(c) => End::Exited(c),
        None => panic!("bwrap itself was killed: {:?}", out.status),
    }
}

fn payloads_end_the_same_under_bwrap_and_the_sandbox() -> Checked {
    require::bubblewrap()?;
    require::program(PY)?;
    let dir = scratch("bwrap");
    let cases: &[(Cap, &[&str], End)] = &[
        (Cap::NONE, &["/bin/true"], End::Exited(0)),
        (Cap::NONE, &["/bin/sh", "-c", "echo hi"], End::Exited(0)),
        (Cap::NONE, &["/bin/sh", "-c", "exit 3"], End::Exited(3)),
        // socket() without a network cap: EPERM, Python raises.
        (
            Cap::NONE,
            &[PY, "-c", "import socket; socket.socket()"],
            End::Exited(1),
        ),
        (
            Cap::SSRF,
            &[PY, "-c", "import socket; socket.socket()"],
            End::Exited(0),
        ),
        (
            Cap::SSRF,
            &[
                PY,
                "-c",
                "import socket; socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)",
            ],
            End::Exited(1),
        ),
        // A thread is allowed, a process is refused with EPERM.
        (
            Cap::NONE,
            &[
                PY,
                "-c",
                "import threading; t = threading.Thread(target=print); t.start(); t.join()",
            ],
            End::Exited(0),
        ),
        (
            Cap::NONE,
            &[PY, "-c", "import os; os.fork()"],
            End::Exited(1),
        ),
        (
            Cap::CODE_EXEC,
            &["/bin/sh", "-c", "/bin/true && echo ok"],
            End::Exited(0),
        ),
        // mkdir without FILE_IO: not in [base], so killed.
        (
            Cap::NONE,
            &[PY, "-c", "import os; os.mkdir('/tmp/seccomp-policy-bwrap')"],
            End::Signal(libc::SIGSYS),
        ),
        // Not in the policy at all: killed.
        (
            Cap::ALL,
            &[
                PY,
                "-c",
                "import ctypes; ctypes.CDLL(None).syscall(165, 0, 0, 0, 0, 0)",
            ],
            End::Signal(libc::SIGSYS),
        ),
    ];
    let mut agreed = 0;
    for (caps, argv, want) in cases {
        let program = dir.join(format!("caps-{}.bpf", caps.bits()));
        let mut args = vec![
            "export",
            "policy/seccomp.toml",
            "--format",
            "bpf",
            "--allow-execve",
            "-o",
        ];
        let path = program.to_str().unwrap().to_owned();
        args.push(&path);
        let names = caps.names().collect::<Vec<_>>().join(",");
        if !names.is_empty() {
            args.extend(["--cap", names.as_str()]);
        }
        let r = run(&args);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        let sandbox = under_sandbox(*caps, argv);
        let bwrap = under_bwrap(&program, argv);
        println!("{caps:<9} {argv:?}: sandbox {sandbox:?}, bwrap {bwrap:?}");
        assert_eq!(&sandbox, want, "sandbox: {argv:?} with {caps}");
        assert_eq!(bwrap, sandbox, "bwrap: {argv:?} with {caps}");
        agreed += 1;
    }
    println!("{agreed} payloads end the same under bwrap --seccomp and the sandbox");
    std::fs::remove_dir_all(&dir).unwrap();
    Ok(())
}

seccomp_policy_suite::tests![payloads_end_the_same_under_bwrap_and_the_sandbox];
