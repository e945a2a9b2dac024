//! Hostile payloads against the sandbox around the filter: each tries to
//! get out, through every spawn path (`CommandExt::sandbox`, a
//! `Supervisor` attached by hand, `seccomp-policy run`, the sandbox
//! example), as root and as uid 65534, under the shipped policy's `[base]`.
//!
//! - `escape.py`, `escape.c`: write code into the parent through
//!   `/proc/PPID/mem`, to run a shell there, outside the filter;
//! - `reach.py`: read `/proc/PID/syscall`, open `/proc/PID/mem`,
//!   and signal the parent and another process of the same user;
//! - `files.py`: read a file outside `[base]`'s read paths (directly,
//!   through a symlink, through `..`), and under `FILE_IO` make, remove and
//!   rename files outside its write paths;
//! - `ports.py`: connect to TCP ports the harness did not give, and listen;
//! - `starve.c`: leave the supervisor without file descriptors (its
//!   `RLIMIT_NOFILE` at 0), then make refused calls, which must still be
//!   refused, and the run must fail rather than pass.
//!
//! Each path runs the payload from a victim process of its own (a forked
//! child of the test, or the tool's process), so an attack that succeeds
//! harms only the victim, and the test sees it (the escaped shell writes a
//! marker file). x86_64 only (the escape's machine code); runs under the
//! suite's harness, which reports a missing python3 or C compiler as a skip,
//! and a test whose uid 65534 half cannot run (the tests do not run as root)
//! too.

seccomp_policy_suite::tests![
    #[cfg(target_arch = "x86_64")]
    x86_64::mem_escape_in_python_is_refused,
    #[cfg(target_arch = "x86_64")]
    x86_64::mem_escape_in_c_is_refused,
    #[cfg(target_arch = "x86_64")]
    x86_64::processes_outside_are_out_of_reach,
    x86_64::environments_outside_are_not_in_its_proc,
    #[cfg(target_arch = "x86_64")]
    x86_64::learn_mode_is_contained_too,
    #[cfg(target_arch = "x86_64")]
    x86_64::without_landlock_the_sandbox_refuses_unless_told_to_run_degraded,
    #[cfg(target_arch = "x86_64")]
    x86_64::own_children_can_still_be_signalled,
    #[cfg(target_arch = "x86_64")]
    x86_64::abstract_sockets_outside_are_unreachable,
    #[cfg(target_arch = "x86_64")]
    x86_64::device_nodes_cannot_be_made_as_root,
    #[cfg(target_arch = "x86_64")]
    x86_64::files_outside_the_listed_paths_are_out_of_reach,
    #[cfg(target_arch = "x86_64")]
    x86_64::tcp_ports_are_those_the_harness_gives,
    #[cfg(target_arch = "x86_64")]
    x86_64::a_supervisor_out_of_descriptors_fails_closed,
    #[cfg(target_arch = "x86_64")]
    x86_64::a_supervisor_that_panics_kills_the_tree,
];

#[cfg(target_arch = "x86_64")]
mod x86_64 {
    use std::os::unix::fs::PermissionsExt as _;
    use std::os::unix::process::CommandExt as _;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output, Stdio};
    use std::sync::OnceLock;

    use seccomp_policy::domain::{Degraded, Domain, Vars};
    use seccomp_policy::spawn::CommandExt as _;
    use seccomp_policy::supervise::Supervisor;
    use seccomp_policy_suite::harness::{require, Checked};
    use seccomp_policy_suite::{for_each_user, in_child_as, User};

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
            for d in [dir.clone(), dir.join("tmp")] {
                std::fs::create_dir_all(&d).expect("scratch dir");
                std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777))
                    .expect("chmod");
            }
            dir
        })
    }

    fn source(name: &str) -> String {
        format!("{}/tests/hostile/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    /// `tests/hostile/NAME` copied into `dir` (a payload's working
    /// directory, which its domain lets it read), readable by any user.
    /// Copied once: the tests run in parallel, and a copy over a file
    /// another test's payload is reading would cut it short.
    fn payload_in(dir: &Path, name: &str) -> String {
        static COPYING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let to = dir.join(name);
        let _once = COPYING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !to.exists() {
            let part = dir.join(format!(".{name}.part"));
            std::fs::copy(source(name), &part).expect("copy the payload");
            std::fs::set_permissions(&part, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            std::fs::rename(&part, &to).expect("rename the payload into place");
        }
        to.to_str().expect("UTF-8 path").to_owned()
    }

    /// `tests/hostile/NAME` in the scratch directory, the working
    /// directory of [`run`]'s payloads.
    fn payload(name: &str) -> String {
        payload_in(scratch(), name)
    }

    use seccomp_policy_suite::built::{cli, example};

    /// `escape.c`, compiled with the machine's C compiler.
    fn escape_c() -> Result<&'static Path, seccomp_policy_suite::harness::Skip> {
        static EXE: OnceLock<PathBuf> = OnceLock::new();
        compiled(&EXE, "escape")
    }

    /// `starve.c`, compiled with the machine's C compiler.
    fn starve_c() -> Result<&'static Path, seccomp_policy_suite::harness::Skip> {
        static EXE: OnceLock<PathBuf> = OnceLock::new();
        compiled(&EXE, "starve")
    }

    /// `NAME.c` compiled once into the scratch directory.
    fn compiled(
        exe: &'static OnceLock<PathBuf>,
        name: &str,
    ) -> Result<&'static Path, seccomp_policy_suite::harness::Skip> {
        require::program("/usr/bin/cc")?;
        Ok(exe.get_or_init(|| {
            let exe = scratch().join(name);
            let out = Command::new("/usr/bin/cc")
                .args(["-O2", "-Wall", "-Werror", "-o"])
                .arg(&exe)
                .arg(source(&format!("{name}.c")))
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

    /// Runs `argv` through `path` as `user`, granted `caps` (names), in
    /// the scratch directory.
    fn run(path: SpawnPath, user: User, caps: &[&str], argv: &[&str]) -> Run {
        run_job(
            path,
            user,
            &Job {
                caps,
                argv,
                workdir: Some(scratch()),
                vars: &[],
            },
        )
    }

    /// A payload and how it is run.
    struct Job<'a> {
        /// Caps granted, by name.
        caps: &'a [&'a str],
        argv: &'a [&'a str],
        /// Its working directory (`$WORKDIR`), also its `TMPDIR`'s parent:
        /// `TMPDIR` is `WORKDIR/tmp`. `None`: the test's (library paths)
        /// or `/` (the tools).
        workdir: Option<&'a Path>,
        /// The policy's variables (`--var`).
        vars: &'a [(&'a str, &'a str)],
    }

    fn cap_bits(caps: &[&str]) -> u64 {
        caps.iter().fold(0u64, |bits, name| {
            let i = POLICY
                .cap_names
                .iter()
                .position(|c| c == name)
                .expect("a cap of the policy");
            bits | 1 << i
        })
    }

    /// Runs `job` through `path` as `user`.
    fn run_job(path: SpawnPath, user: User, job: &Job<'_>) -> Run {
        let bits = cap_bits(job.caps);
        let tmpdir = job.workdir.map(|w| w.join("tmp"));
        match path {
            SpawnPath::Sandbox | SpawnPath::Supervisor => {
                let result = in_child_as(user, || {
                    let mut cmd = Command::new(job.argv[0]);
                    cmd.args(&job.argv[1..]).stdin(Stdio::null());
                    if let (Some(dir), Some(tmp)) = (job.workdir, &tmpdir) {
                        cmd.current_dir(dir).env("TMPDIR", tmp);
                    }
                    let mut vars = Vars::new();
                    for (name, value) in job.vars {
                        vars.set(*name, *value);
                    }
                    let out = if matches!(path, SpawnPath::Sandbox) {
                        let domain = Domain::for_policy(
                            &POLICY,
                            bits,
                            &vars.for_command(&cmd),
                            job.workdir,
                            Degraded::Refuse,
                        )
                        .map_err(|e| e.to_string())?;
                        let default = POLICY.native().expect("x86_64").default;
                        cmd.sandbox_in(domain, &POLICY, bits, default)
                            .map_err(|e| e.to_string())?;
                        cmd.output().map_err(|e| e.to_string())?
                    } else {
                        let supervision = Supervisor::new(&POLICY, bits, syscall_name)
                            .vars(vars)
                            .attach(&mut cmd)
                            .map_err(|e| seccomp_policy::tool::chain(&e).to_string())?;
                        let out = cmd.output().map_err(|e| e.to_string())?;
                        supervision
                            .finish()
                            .map_err(|e| seccomp_policy::tool::chain(&e).to_string())?;
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
                    for (name, value) in job.vars {
                        c.arg("--var").arg(format!("{name}={value}"));
                    }
                    c
                } else {
                    assert!(job.vars.is_empty(), "the example takes no --var");
                    Command::new(example())
                };
                for cap in job.caps {
                    cmd.args(["--cap", cap]);
                }
                cmd.arg("--").args(job.argv).stdin(Stdio::null());
                match (job.workdir, &tmpdir) {
                    (Some(dir), Some(tmp)) => cmd.current_dir(dir).env("TMPDIR", tmp),
                    _ => cmd.current_dir("/"),
                };
                user.command(&mut cmd);
                let out = cmd.output().expect("the tool runs");
                let mut run = text(&out);
                run.all = format!("as {user:?} through {path:?}: {}", run.all);
                run
            }
        }
    }

    /// Runs an escape payload (`argv` then the marker's path) everywhere and
    /// checks that no shell ran outside the filter.
    fn assert_escape_refused(payload: &[&str]) -> Checked {
        for_each_user(|user| {
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
        })
    }

    /// The `/proc/PPID/mem` escape, in Python.
    pub fn mem_escape_in_python_is_refused() -> Checked {
        require::landlock()?;
        require::program(PYTHON)?;
        assert_escape_refused(&[PYTHON, "-I", &payload("escape.py")])
    }

    /// The `/proc/PPID/mem` escape, in C.
    pub fn mem_escape_in_c_is_refused() -> Checked {
        require::landlock()?;
        let exe = escape_c()?;
        assert_escape_refused(&[exe.to_str().expect("UTF-8 path")])
    }

    /// A process of the payload's user started outside the sandbox, for it
    /// to try to reach; killed on drop.
    struct Bystander(std::process::Child);

    impl Bystander {
        fn start(user: User) -> Bystander {
            let mut cmd = Command::new("/bin/sleep");
            cmd.arg("60").stdin(Stdio::null());
            user.command(&mut cmd);
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
        for_each_user(|user| {
            let other = Bystander::start(user);
            let pid = other.0.id().to_string();
            for path in PATHS {
                let run = run(path, user, &[], &[PYTHON, "-I", &payload("reach.py"), &pid]);
                let lines: Vec<&str> = run.stdout.lines().collect();
                assert_eq!(lines.len(), 6, "every attempt reported: {}", run.all);
                for line in lines {
                    assert!(!line.ends_with(": ok"), "{line}: {}", run.all);
                }
            }
        })
    }

    /// With a pid namespace (the tool, the example: every path through
    /// `session::run`), the payload's `/proc` is its own: it cannot find a
    /// process of its uid outside, nor read the secret in that one's
    /// environment, which Landlock alone would let it read; nor the front
    /// end's environment in the namespace's init, a copy of the front end. The library's
    /// `CommandExt::sandbox` and a `Supervisor` without `end_with_command`
    /// make no pid namespace; the README's threat model says so.
    pub fn environments_outside_are_not_in_its_proc() -> Checked {
        require::landlock()?;
        require::program(PYTHON)?;
        require::own_proc(User::Invoker)?;
        if User::Nobody.available().is_ok() {
            require::own_proc(User::Nobody)?;
        }
        for_each_user(|user| {
            let secret = format!("hostile-{}", std::process::id());
            let mut cmd = Command::new("/bin/sleep");
            cmd.arg("60").env("SEALED", &secret).stdin(Stdio::null());
            user.command(&mut cmd);
            let other = Bystander(cmd.spawn().expect("sleep starts"));
            let needle = format!("SEALED={secret}");
            for path in [SpawnPath::Cli, SpawnPath::Example] {
                let run = run(
                    path,
                    user,
                    &[],
                    &[PYTHON, "-I", &payload("environ.py"), &needle],
                );
                let lines: Vec<&str> = run.stdout.lines().collect();
                assert_eq!(lines.len(), 3, "every count printed: {}", run.all);
                assert_eq!(lines[2], "secret found 0", "as {user:?}: {}", run.all);
                // The payload's own processes only: itself, its relay's
                // init, and no more than a few of its own.
                let listed: u32 = lines[0]["listed ".len()..].parse().expect("a count");
                assert!(listed <= 4, "as {user:?}: {}", run.all);
                // Its own /proc is readable: the domain's rules beneath
                // /proc were made again on the new mount.
                let readable: u32 = lines[1]["environ readable ".len()..]
                    .parse()
                    .expect("a count");
                assert!(readable >= 1, "as {user:?}: {}", run.all);
                assert!(
                    run.all.contains("with its own /proc"),
                    "as {user:?}: {}",
                    run.all
                );
                // The namespace's init is listed, as pid 1, and is a copy
                // of the front end: its environment must not show the
                // front end's, here to a payload started without one.
                let path_var = std::env::var("PATH").expect("the tests have a PATH");
                let needle = format!("PATH={path_var}");
                let argv = [
                    "/usr/bin/env",
                    "-i",
                    PYTHON,
                    "-I",
                    &payload("environ.py"),
                    &needle,
                ];
                let cleared = run_job(
                    path,
                    user,
                    &Job {
                        caps: &[],
                        argv: &argv,
                        workdir: Some(scratch()),
                        vars: &[],
                    },
                );
                assert!(
                    cleared.stdout.contains("environ readable")
                        && cleared.stdout.ends_with("secret found 0\n"),
                    "as {user:?}: {}",
                    cleared.all
                );
            }
            drop(other);
        })
    }

    /// Learn mode enforces no rule of the policy, but the payload is still
    /// untrusted: `seccomp-policy learn` runs it in the same domain, so it
    /// cannot write into, read or signal the tool either.
    pub fn learn_mode_is_contained_too() -> Checked {
        require::landlock()?;
        require::program(PYTHON)?;
        let script = payload("reach.py");
        for_each_user(|user| {
            let other = Bystander::start(user);
            let pid = other.0.id().to_string();
            let mut cmd = Command::new(cli());
            cmd.args([
                "learn",
                &format!("{}/policy/seccomp.toml", env!("CARGO_MANIFEST_DIR")),
            ])
            .args(["--", PYTHON, "-I", &script, &pid])
            .stdin(Stdio::null())
            .current_dir(scratch());
            user.command(&mut cmd);
            let run = text(&cmd.output().expect("the tool runs"));
            let lines: Vec<&str> = run.stdout.lines().collect();
            assert_eq!(lines.len(), 6, "as {user:?}: {}", run.all);
            for line in lines {
                assert!(!line.ends_with(": ok"), "as {user:?}: {line}: {}", run.all);
            }
            assert!(
                run.all.contains("learn mode: nothing is killed"),
                "{}",
                run.all
            );
        })
    }

    /// Under `CODE_EXEC` the payload still signals what it started itself:
    /// the scope is the sandbox, not the process.
    pub fn own_children_can_still_be_signalled() -> Checked {
        require::landlock()?;
        let script = "sleep 30 & pid=$!; kill $pid; wait $pid; echo \"status $?\"";
        for_each_user(|user| {
            for path in PATHS {
                let run = run(path, user, &["CODE_EXEC"], &["/bin/sh", "-c", script]);
                assert_eq!(run.stdout, "status 143\n", "{}", run.all);
            }
        })
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

    /// The directories of one files test: a secret and an outside
    /// directory the policy does not list, and a working directory with a
    /// symlink to the secret and a `tmp` for `TMPDIR`.
    struct Tree {
        secret: PathBuf,
        outside: PathBuf,
        work: PathBuf,
    }

    impl Tree {
        fn new(name: &str) -> Tree {
            let root = scratch().join(name);
            let _ = std::fs::remove_dir_all(&root);
            let (secret_dir, outside, work) =
                (root.join("secret"), root.join("outside"), root.join("work"));
            for dir in [&root, &secret_dir, &outside, &work, &work.join("tmp")] {
                std::fs::create_dir_all(dir).expect("mkdir");
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777))
                    .expect("chmod");
            }
            let secret = secret_dir.join("key");
            // Readable by any user: only the domain stands in the way.
            std::fs::write(&secret, "the harness's secret\n").expect("secret");
            std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644))
                .expect("chmod");
            let victim = outside.join("victim");
            std::fs::write(&victim, "not the payload's\n").expect("victim");
            std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o666))
                .expect("chmod");
            std::os::unix::fs::symlink(&secret, work.join("link")).expect("symlink");
            Tree {
                secret,
                outside,
                work,
            }
        }
    }

    /// `[base]` reads only beneath its paths (the working directory among
    /// them), whether the file is named directly, through a symlink made
    /// beforehand, or through `..`; as root too, whose file permissions
    /// let it read everything. Under `FILE_IO` a payload makes files in
    /// its working and temporary directories and nowhere else.
    pub fn files_outside_the_listed_paths_are_out_of_reach() -> Checked {
        require::landlock()?;
        require::program(PYTHON)?;
        for_each_user(|user| {
            for path in PATHS {
                let tree = Tree::new(&format!("files-{path:?}-{user:?}"));
                let script = payload_in(&tree.work, "files.py");
                let (secret, outside) = (
                    tree.secret.to_str().expect("UTF-8"),
                    tree.outside.to_str().expect("UTF-8"),
                );
                for caps in [&[][..], &["FILE_IO"][..]] {
                    let mut argv = vec![PYTHON, "-I", &script, secret, outside];
                    if !caps.is_empty() {
                        argv.push("write");
                    }
                    let run = run_job(
                        path,
                        user,
                        &Job {
                            caps,
                            argv: &argv,
                            workdir: Some(&tree.work),
                            vars: &[],
                        },
                    );
                    let lines: Vec<&str> = run.stdout.lines().collect();
                    let want = if caps.is_empty() { 4 } else { 9 };
                    assert_eq!(lines.len(), want, "caps {caps:?}: {}", run.all);
                    for line in &lines {
                        let allowed =
                            line.starts_with("make inside") || line.starts_with("make in TMPDIR");
                        assert_eq!(
                            line.ends_with(": ok"),
                            allowed,
                            "caps {caps:?}: {line}: {}",
                            run.all
                        );
                    }
                }
                assert!(
                    tree.outside.join("victim").exists(),
                    "the victim was removed"
                );
                assert!(!tree.outside.join("made-outside").exists());
                assert!(!tree.outside.join("moved").exists());
                assert!(tree.work.join("made-inside").exists());
                assert!(tree.work.join("tmp/made").exists());
            }
        })
    }

    /// Under SSRF with `PORTS` given, a payload connects to the listed port
    /// and gets `EACCES` on another; with no `PORTS`, to any. It never
    /// listens: a bind to a port is `EACCES` (Landlock), and a listen on
    /// a port the kernel picks is `EPERM` (the filter). (Not through the
    /// example, which takes no `--var`.)
    pub fn tcp_ports_are_those_the_harness_gives() -> Checked {
        require::landlock()?;
        require::program(PYTHON)?;
        let listed = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
        let other = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
        let (a, b) = (
            listed.local_addr().expect("addr").port().to_string(),
            other.local_addr().expect("addr").port().to_string(),
        );
        let script = payload("ports.py");
        let argv = [PYTHON, "-I", script.as_str(), &a, &b];
        for_each_user(|user| {
            for path in [SpawnPath::Sandbox, SpawnPath::Supervisor, SpawnPath::Cli] {
                for (vars, b_says) in [(&[("PORTS", a.as_str())][..], "EACCES"), (&[][..], "ok")] {
                    let run = run_job(
                        path,
                        user,
                        &Job {
                            caps: &["SSRF"],
                            argv: &argv,
                            workdir: Some(scratch()),
                            vars,
                        },
                    );
                    assert_eq!(
                        run.stdout,
                        format!(
                            "connect {a}: ok\nconnect {b}: {b_says}\nbind: EACCES\nlisten: EPERM\n"
                        ),
                        "PORTS {vars:?}: {}",
                        run.all
                    );
                }
            }
        })
    }

    /// A pipe: the read end, then the write end, both close-on-exec.
    fn pipe() -> (std::os::fd::OwnedFd, std::os::fd::OwnedFd) {
        use std::os::fd::FromRawFd as _;
        let mut fds = [0; 2];
        // SAFETY: room for two descriptors.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        // SAFETY: both were just made and are ours.
        unsafe {
            (
                std::os::fd::OwnedFd::from_raw_fd(fds[0]),
                std::os::fd::OwnedFd::from_raw_fd(fds[1]),
            )
        }
    }

    /// `starve DIR` run to its end by `session::run`, in a forked
    /// child of the test which, once the payload runs, lowers its own
    /// `RLIMIT_NOFILE` to {0, 0}: the supervisor thread then cannot open a
    /// descriptor (a pidfd, a `/proc` file) nor `poll` its listener, as
    /// when a payload allowed `prlimit64` on its supervisor's process does
    /// it.
    fn starved_run(exe: &Path, dir: &Path) -> Result<String, String> {
        use seccomp_policy::supervise::session;
        use seccomp_policy::supervise::Answer;
        use seccomp_policy::tool::{exit_code, TOOL_FAILED};
        use std::fmt::Write as _;
        use std::io::{BufRead as _, Read as _, Write as _};
        use std::os::unix::process::ExitStatusExt as _;

        let (stdin_read, stdin_write) = pipe();
        let (stdout_read, stdout_write) = pipe();
        let mut cmd = Command::new(exe);
        // Its working directory, which its domain lets it read, holds it.
        cmd.arg(dir)
            .current_dir(scratch())
            .stdin(Stdio::from(stdin_read))
            .stdout(Stdio::from(stdout_write));
        // Once the payload says it is ready: no descriptor can be opened in
        // this process any more. Then let the payload go on.
        let starver = std::thread::spawn(move || {
            let mut out = std::io::BufReader::new(std::fs::File::from(stdout_read));
            let mut line = String::new();
            let _ = out.read_line(&mut line);
            let none = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: sets this process's limit from a live struct.
            let r = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raw const none) };
            let _ = std::fs::File::from(stdin_write).write_all(b"go\n");
            (line, r, out)
        });
        let supervisor = Supervisor::new(&POLICY, 0, syscall_name);
        let done = session::run(supervisor, cmd).map_err(|e| format!("run: {e}"))?;
        let (ready, limited, mut out) = starver.join().map_err(|_| "the starver panicked")?;
        let mut stdout = ready;
        let _ = out.read_to_string(&mut stdout);
        let report = &done.report;
        let denials = report.denials.iter().fold(String::new(), |mut s, d| {
            let _ = writeln!(s, "{d}");
            s
        });
        let all = format!(
            "stdout {stdout:?}; {}; exit code {}; supervisor error {:?}; denials:\n{denials}",
            done.status,
            exit_code(&done),
            report.error,
        );
        if limited != 0 {
            return Err(format!("setrlimit failed; {all}"));
        }
        // Every socket() refused, as the policy says; mkdir never ran nor
        // returned: the payload was killed.
        let refused = "ready\nsocket: EPERM\nsocket: EPERM\nsocket: EPERM\n";
        if stdout != refused || dir.exists() {
            return Err(format!("a refused call ran or returned; {all}"));
        }
        if done.status.signal() != Some(libc::SIGKILL) {
            return Err(format!("the payload was not killed; {all}"));
        }
        // The supervisor's failure is in the report, with its errno, and
        // the run's exit code says the tool failed.
        let emfile = report.error.is_some_and(|e| {
            matches!(e, seccomp_policy::notify::NotifyError::Failed { errno, .. }
                if errno.0 == libc::EMFILE)
        });
        if !emfile || exit_code(&done) != TOOL_FAILED {
            return Err(format!("the failure is not reported; {all}"));
        }
        // No call let through, nor passed off as its thread's end.
        if report.denials.len() != 4
            || report
                .denials
                .iter()
                .any(|d| matches!(d.answer, Answer::Continued | Answer::Gone))
            || denials.contains("gone before")
        {
            return Err(format!("misreported denials; {all}"));
        }
        Ok(all)
    }

    /// The supervisor out of file descriptors (what `prlimit64(getppid(),
    /// RLIMIT_NOFILE, {0, 0})` from a payload did, before it ran in a pid
    /// namespace of its own): every call the policy refuses is still
    /// refused, a kill it cannot carry out kills the whole tree, and the
    /// report and the exit code say the supervisor failed, with EMFILE.
    pub fn a_supervisor_out_of_descriptors_fails_closed() -> Checked {
        require::landlock()?;
        let exe = starve_c()?;
        for_each_user(|user| {
            let dir = scratch().join(format!("starved-{user:?}"));
            let _ = std::fs::remove_dir(&dir);
            let result = in_child_as(user, || starved_run(exe, &dir));
            assert!(
                result.is_ok(),
                "as {user:?}: {}",
                result.unwrap_or_else(|e| e)
            );
            assert!(!dir.exists(), "as {user:?}: mkdir ran");
        })
    }

    /// `starve DIR` under a supervisor whose `on_denial` callback
    /// panics at the first denial: the supervisor thread ends, and with it
    /// its listener, which the kernel then answers with ENOSYS, letting
    /// the payload go on unsupervised, unless the tree is killed first.
    fn panicked_run(exe: &Path, dir: &Path) -> Result<String, String> {
        use seccomp_policy::supervise::SuperviseError;
        use std::io::{Read as _, Write as _};
        use std::os::unix::process::ExitStatusExt as _;

        let mut cmd = Command::new(exe);
        cmd.arg(dir)
            .current_dir(scratch())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        let supervision = Supervisor::new(&POLICY, 0, syscall_name)
            .new_session(true)
            .kill_with_parent(true)
            .on_denial(|d| panic!("a callback that fails at {d}"))
            .attach(&mut cmd)
            .map_err(|e| format!("attach: {e}"))?;
        let mut child = cmd.spawn().map_err(|e| format!("spawn: {e}"))?;
        let _ = child.stdin.take().expect("piped").write_all(b"go\n");
        let mut stdout = String::new();
        let _ = child
            .stdout
            .take()
            .expect("piped")
            .read_to_string(&mut stdout);
        let status = child.wait().map_err(|e| format!("wait: {e}"))?;
        let finished = supervision.finish();
        let all = format!("stdout {stdout:?}; {status}; finish: {finished:?}");
        // The first socket() was answered before the callback ran; the
        // second waits, and never returns. Whether the payload printed the
        // first answer before the tree's kill reached it is the
        // scheduler's choice (on a busy machine it often has not).
        let printed = ["ready\n", "ready\nsocket: EPERM\n"];
        if !printed.contains(&stdout.as_str()) || dir.exists() {
            return Err(format!("the payload went on; {all}"));
        }
        if status.signal() != Some(libc::SIGKILL)
            || !matches!(finished, Err(SuperviseError::Panicked))
        {
            return Err(format!("not killed, or the panic not reported; {all}"));
        }
        Ok(all)
    }

    /// A panic on the supervisor thread (in an `on_denial` callback) kills
    /// the command's tree before the listener closes: no later call gets
    /// the kernel's ENOSYS and goes on unsupervised.
    pub fn a_supervisor_that_panics_kills_the_tree() -> Checked {
        require::landlock()?;
        let exe = starve_c()?;
        for_each_user(|user| {
            let dir = scratch().join(format!("panicked-{user:?}"));
            let _ = std::fs::remove_dir(&dir);
            let result = in_child_as(user, || panicked_run(exe, &dir));
            assert!(
                result.is_ok(),
                "as {user:?}: {}",
                result.unwrap_or_else(|e| e)
            );
        })
    }

    /// A kernel without Landlock, played by a filter under which
    /// `landlock_create_ruleset` fails with `ENOSYS` (as it does on a kernel
    /// built without it): the sandbox refuses to run, saying what is missing
    /// and what to do, unless the caller accepts less; then the session line
    /// says nothing was confined beyond the filter.
    pub fn without_landlock_the_sandbox_refuses_unless_told_to_run_degraded() {
        use seccomp_policy::bpf::{SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO};
        use seccomp_policy::domain::DomainError;
        use seccomp_policy::spawn::SandboxError;
        let no_landlock = seccomp_policy_suite::simple_filter(
            &[(
                libc::SYS_landlock_create_ruleset as u32,
                SECCOMP_RET_ERRNO | libc::ENOSYS as u32,
            )],
            SECCOMP_RET_ALLOW,
        );
        // The library: in a child under that filter.
        let filter = no_landlock.clone();
        let report = seccomp_policy_suite::in_child(move |out| {
            use std::fmt::Write as _;
            if let Err(e) = seccomp_policy::install::apply(filter.as_slice()) {
                let _ = write!(out, "apply: {e}");
                return 2;
            }
            let refused = Domain::new(Degraded::Refuse).err();
            let allowed = Domain::new(Degraded::Allow).map(|d| d.enforced().to_string());
            let sandbox = Command::new("/bin/true").sandbox(&POLICY, 0).err();
            let _ = write!(out, "{refused:?} | {allowed:?} | {sandbox:?}");
            let unsupported = DomainError::Unsupported { abi: 0, needed: 6 };
            i32::from(
                refused != Some(unsupported.clone())
                    || allowed.as_deref() != Ok("no Landlock: nothing confined beyond the filter")
                    || sandbox != Some(SandboxError::Landlock(unsupported)),
            )
        });
        assert_eq!(
            report.outcome,
            seccomp_policy::spawn::Outcome::Exited(0),
            "{report}"
        );
        // The tool: under the same filter, attached in its own child.
        let tool = |degraded: bool| {
            let mut cmd = Command::new(cli());
            cmd.args([
                "run",
                &format!("{}/policy/seccomp.toml", env!("CARGO_MANIFEST_DIR")),
            ]);
            if degraded {
                cmd.arg("--allow-degraded");
            }
            cmd.args(["--", "/bin/echo", "ran"])
                .current_dir(scratch())
                .stdin(Stdio::null());
            let filter = no_landlock.clone();
            // SAFETY: installing a filter allocates nothing and cannot panic.
            unsafe {
                cmd.pre_exec(move || {
                    seccomp_policy::install::apply(filter.as_slice()).map_err(std::io::Error::from)
                });
            }
            text(&cmd.output().expect("the tool runs"))
        };
        let refused = tool(false);
        assert!(
            refused.all.starts_with("exit status: 125;"),
            "{}",
            refused.all
        );
        assert_eq!(refused.stdout, "", "nothing ran: {}", refused.all);
        for want in [
            "error: cannot confine `/bin/echo ran`: this kernel has no Landlock",
            "help: nothing ran; use a kernel with Landlock ABI 6",
            "or pass `--allow-degraded`",
        ] {
            assert!(refused.all.contains(want), "no {want:?} in {}", refused.all);
        }
        let degraded = tool(true);
        assert_eq!(degraded.stdout, "ran\n", "{}", degraded.all);
        assert!(
            degraded
                .all
                .contains("; no Landlock: nothing confined beyond the filter;"),
            "{}",
            degraded.all
        );
    }
}
