//! Hostile payloads against the sandbox around the filter: each tries to
//! get out, through every spawn path (`CommandExt::sandbox`, a
//! `Supervisor` attached by hand, `seccomp-policy run`, the sandbox
//! example), as root and as uid 65534, under the shipped policy's `[base]`.
//!
//! - `escape.py`, `escape.c`: write code into the parent through
//!   `/proc/PPID/mem`, to run a shell there, outside the filter;
//! - `reach.py`: read `/proc/PID/syscall`, open `/proc/PID/mem`,
//!   and signal the parent and another process of the same user.
//!
//! Each path runs the payload from a victim process of its own (a forked
//! child of the test, or the tool's process), so an attack that succeeds
//! harms only the victim, and the test sees it (the escaped shell writes a
//! marker file). x86_64 only (the escape's machine code); runs under the
//! suite's harness, which reports a missing python3 or C compiler as a skip.

seccomp_policy_suite::tests![
    #[cfg(target_arch = "x86_64")]
    x86_64::mem_escape_in_python_is_refused,
    #[cfg(target_arch = "x86_64")]
    x86_64::mem_escape_in_c_is_refused,
    #[cfg(target_arch = "x86_64")]
    x86_64::processes_outside_are_out_of_reach,
    #[cfg(target_arch = "x86_64")]
    x86_64::own_children_can_still_be_signalled,
    #[cfg(target_arch = "x86_64")]
    x86_64::abstract_sockets_outside_are_unreachable,
    #[cfg(target_arch = "x86_64")]
    x86_64::device_nodes_cannot_be_made_as_root,
];

#[cfg(target_arch = "x86_64")]
mod x86_64 {
    use std::os::unix::fs::PermissionsExt as _;
    use std::os::unix::process::CommandExt as _;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output, Stdio};
    use std::sync::OnceLock;

    use seccomp_policy::domain::{Degraded, Domain};
    use seccomp_policy::spawn::CommandExt as _;
    use seccomp_policy::supervise::Supervisor;
    use seccomp_policy_suite::harness::{require, Checked};
    use seccomp_policy_suite::{in_child_as, User};

    seccomp_policy::seccomp_policy!("policy/seccomp.toml");

    const PYTHON: &str = "/usr/bin/python3";

    /// How the payload is started.
    #[derive(Clone, Copy, Debug)]
    enum SpawnPath {
        /// `CommandExt::sandbox` in a forked child of the test.
        Sandbox,
        /// `Supervisor::attach` in a forked child of the test.
        Supervisor,
        /// `seccomp-policy run policy/seccomp.toml`.
        Cli,
        /// `examples/sandbox`.
        Example,
    }

    const PATHS: [SpawnPath; 4] = [
        SpawnPath::Sandbox,
        SpawnPath::Supervisor,
        SpawnPath::Cli,
        SpawnPath::Example,
    ];

    /// What a run of the payload printed, and how it ended, as text for
    /// assertions and failure messages.
    struct Run {
        stdout: String,
        all: String,
    }

    /// A private directory every user may write (the victim's shell, as
    /// uid 65534, writes its marker there).
    fn scratch() -> &'static Path {
        static DIR: OnceLock<PathBuf> = OnceLock::new();
        DIR.get_or_init(|| {
            let dir =
                std::env::temp_dir().join(format!("seccomp-policy-hostile-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("scratch dir");
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
            dir
        })
    }

    fn source(name: &str) -> String {
        format!("{}/tests/hostile/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    /// Builds `what` (cargo arguments) and returns the path of the result.
    fn cargo_built(args: &[&str], rel: &str) -> PathBuf {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .args(["build", "--quiet", "--offline"])
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo runs");
        assert!(
            out.status.success(),
            "cargo build {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // target/debug/deps/this-test -> target/debug/REL
        let exe = std::env::current_exe().expect("test binary");
        exe.parent()
            .and_then(Path::parent)
            .expect("target dir")
            .join(rel)
    }

    fn cli() -> &'static Path {
        static EXE: OnceLock<PathBuf> = OnceLock::new();
        EXE.get_or_init(|| cargo_built(&["-p", "seccomp-policy-cli"], "seccomp-policy"))
    }

    fn example() -> &'static Path {
        static EXE: OnceLock<PathBuf> = OnceLock::new();
        EXE.get_or_init(|| cargo_built(&["--example", "sandbox"], "examples/sandbox"))
    }

    /// `escape.c`, compiled with the machine's C compiler.
    fn escape_c() -> Result<&'static Path, seccomp_policy_suite::harness::Skip> {
        static EXE: OnceLock<PathBuf> = OnceLock::new();
        require::program("/usr/bin/cc")?;
        Ok(EXE.get_or_init(|| {
            let exe = scratch().join("escape");
            let out = Command::new("/usr/bin/cc")
                .args(["-O2", "-Wall", "-Werror", "-o"])
                .arg(&exe)
                .arg(source("escape.c"))
                .output()
                .expect("cc runs");
            assert!(
                out.status.success(),
                "cc: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            exe
        }))
    }

    fn text(out: &Output) -> Run {
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let all = format!(
            "{}; stdout:\n{stdout}stderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        Run { stdout, all }
    }

    /// Runs `argv` through `path` as `user`, granted `caps` (names).
    fn run(path: SpawnPath, user: User, caps: &[&str], argv: &[&str]) -> Run {
        let bits = caps.iter().fold(0u64, |bits, name| {
            let i = POLICY
                .cap_names
                .iter()
                .position(|c| c == name)
                .expect("a cap of the policy");
            bits | 1 << i
        });
        match path {
            SpawnPath::Sandbox | SpawnPath::Supervisor => {
                let result = in_child_as(user, || {
                    let mut cmd = Command::new(argv[0]);
                    cmd.args(&argv[1..]).stdin(Stdio::null());
                    let out = if matches!(path, SpawnPath::Sandbox) {
                        cmd.sandbox(&POLICY, bits).map_err(|e| e.to_string())?;
                        cmd.output().map_err(|e| e.to_string())?
                    } else {
                        let supervision = Supervisor::new(&POLICY, bits, syscall_name)
                            .attach(&mut cmd)
                            .map_err(|e| e.to_string())?;
                        let out = cmd.output().map_err(|e| e.to_string())?;
                        supervision.finish().map_err(|e| e.to_string())?;
                        out
                    };
                    let run = text(&out);
                    Ok(format!("{}\u{0}{}", run.stdout, run.all))
                });
                let t = result.unwrap_or_else(|e| e);
                // in_child_as puts "[uid N] " in front.
                let t = t.split_once("] ").map_or(t.as_str(), |(_, rest)| rest);
                let (stdout, all) = t.split_once('\u{0}').unwrap_or(("", t));
                Run {
                    stdout: stdout.to_owned(),
                    all: format!("as {user:?} through {path:?}: {all}"),
                }
            }
            SpawnPath::Cli | SpawnPath::Example => {
                let mut cmd = if matches!(path, SpawnPath::Cli) {
                    let mut c = Command::new(cli());
                    c.args([
                        "run",
                        &format!("{}/policy/seccomp.toml", env!("CARGO_MANIFEST_DIR")),
                    ]);
                    c
                } else {
                    Command::new(example())
                };
                for cap in caps {
                    cmd.args(["--cap", cap]);
                }
                cmd.arg("--")
                    .args(argv)
                    .stdin(Stdio::null())
                    .current_dir("/");
                // SAFETY: reads the effective uid.
                if user == User::Nobody && unsafe { libc::geteuid() } == 0 {
                    cmd.uid(65534).gid(65534);
                }
                let out = cmd.output().expect("the tool runs");
                let mut run = text(&out);
                run.all = format!("as {user:?} through {path:?}: {}", run.all);
                run
            }
        }
    }

    /// Runs an escape payload (`argv` then the marker's path) everywhere and
    /// checks that no shell ran outside the filter.
    fn assert_escape_refused(payload: &[&str]) {
        for user in User::BOTH {
            for path in PATHS {
                let marker = scratch().join(format!("escaped-{path:?}-{user:?}"));
                let _ = std::fs::remove_file(&marker);
                let marker_arg = marker.to_str().expect("UTF-8 path");
                let mut argv = payload.to_vec();
                argv.push(marker_arg);
                let run = run(path, user, &[], &argv);
                let escaped = std::fs::read_to_string(&marker).ok();
                assert!(
                    escaped.is_none(),
                    "a shell ran in the parent, outside the sandbox ({}); {}\nits status: {}",
                    marker.display(),
                    run.all,
                    escaped
                        .unwrap_or_default()
                        .lines()
                        .filter(|l| l.starts_with("Seccomp"))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
                assert!(
                    run.stdout.contains(": refused: "),
                    "the payload did not report the refused step: {}",
                    run.all
                );
                assert!(!run.stdout.contains("wrote "), "{}", run.all);
            }
        }
    }

    /// The `/proc/PPID/mem` escape, in Python.
    pub fn mem_escape_in_python_is_refused() -> Checked {
        require::landlock()?;
        require::program(PYTHON)?;
        assert_escape_refused(&[PYTHON, "-I", &source("escape.py")]);
        Ok(())
    }

    /// The `/proc/PPID/mem` escape, in C.
    pub fn mem_escape_in_c_is_refused() -> Checked {
        require::landlock()?;
        let exe = escape_c()?;
        assert_escape_refused(&[exe.to_str().expect("UTF-8 path")]);
        Ok(())
    }

    /// A process of the payload's user started outside the sandbox, for it
    /// to try to reach; killed on drop.
    struct Bystander(std::process::Child);

    impl Bystander {
        fn start(user: User) -> Bystander {
            let mut cmd = Command::new("/bin/sleep");
            cmd.arg("60").stdin(Stdio::null());
            // SAFETY: reads the effective uid.
            if user == User::Nobody && unsafe { libc::geteuid() } == 0 {
                cmd.uid(65534).gid(65534);
            }
            Bystander(cmd.spawn().expect("sleep starts"))
        }
    }

    impl Drop for Bystander {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// Neither the parent (harness or supervisor) nor another process of
    /// the same user can be read through `/proc`, written through
    /// `/proc/PID/mem`, or signalled.
    pub fn processes_outside_are_out_of_reach() -> Checked {
        require::landlock()?;
        require::program(PYTHON)?;
        for user in User::BOTH {
            let other = Bystander::start(user);
            let pid = other.0.id().to_string();
            for path in PATHS {
                let run = run(path, user, &[], &[PYTHON, "-I", &source("reach.py"), &pid]);
                let lines: Vec<&str> = run.stdout.lines().collect();
                assert_eq!(lines.len(), 6, "every attempt reported: {}", run.all);
                for line in lines {
                    assert!(!line.ends_with(": ok"), "{line}: {}", run.all);
                }
            }
        }
        Ok(())
    }

    /// Under `CODE_EXEC` the payload still signals what it started itself:
    /// the scope is the sandbox, not the process.
    pub fn own_children_can_still_be_signalled() -> Checked {
        require::landlock()?;
        let script = "sleep 30 & pid=$!; kill $pid; wait $pid; echo \"status $?\"";
        for user in User::BOTH {
            for path in PATHS {
                let run = run(path, user, &["CODE_EXEC"], &["/bin/sh", "-c", script]);
                assert_eq!(run.stdout, "status 143\n", "{}", run.all);
            }
        }
        Ok(())
    }

    /// Connects to the abstract unix socket `name`, from `cmd`: prints `ok`
    /// or the errno's name.
    fn connect_abstract(mut cmd: Command, name: &str) -> String {
        let code = format!(
            "import errno, socket\n\
             s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n\
             try:\n    s.connect('\\0{name}'); print('ok')\n\
             except OSError as e:\n    print(errno.errorcode[e.errno])"
        );
        let out = cmd.args(["-I", "-c", &code]).output().expect("python runs");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// An abstract unix socket made outside the sandbox cannot be reached
    /// from inside (`LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET`); from outside it
    /// can. No seccomp filter here: the shipped policy grants no payload
    /// an `AF_UNIX` socket to connect, so only the domain is tested.
    pub fn abstract_sockets_outside_are_unreachable() -> Checked {
        use std::os::linux::net::SocketAddrExt as _;
        require::landlock()?;
        require::program(PYTHON)?;
        let name = format!("seccomp-policy-hostile-{}", std::process::id());
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
            .expect("abstract address");
        let _listener = std::os::unix::net::UnixListener::bind_addr(&addr).expect("bind");
        assert_eq!(
            connect_abstract(Command::new(PYTHON), &name),
            "ok",
            "outside the domain"
        );
        let mut inside = Command::new(PYTHON);
        inside.landlock(Domain::new(Degraded::Refuse).expect("Landlock ABI 6 here"));
        assert_eq!(
            connect_abstract(inside, &name),
            "EPERM",
            "inside the domain"
        );
        Ok(())
    }

    /// As root, a payload cannot make a device node (a way to raw disks and
    /// memory): outside the domain root can.
    pub fn device_nodes_cannot_be_made_as_root() -> Checked {
        require::landlock()?;
        require::root()?;
        require::program(PYTHON)?;
        let node = scratch().join("null-again");
        let code = format!(
            "import errno, os, stat\n\
             try:\n    os.mknod('{}', stat.S_IFCHR | 0o600, os.makedev(1, 3)); print('ok')\n\
             except OSError as e:\n    print(errno.errorcode[e.errno])",
            node.display()
        );
        let mknod = |mut cmd: Command| {
            let _ = std::fs::remove_file(&node);
            let out = cmd.args(["-I", "-c", &code]).output().expect("python runs");
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        };
        assert_eq!(mknod(Command::new(PYTHON)), "ok", "outside the domain");
        let mut inside = Command::new(PYTHON);
        inside.landlock(Domain::new(Degraded::Refuse).expect("Landlock ABI 6 here"));
        assert_eq!(mknod(inside), "EACCES", "inside the domain");
        let _ = std::fs::remove_file(&node);
        Ok(())
    }
}
