//! Exported OCI profiles, loaded by a real runtime: Debian's `runc` runs a
//! busybox container (Debian's `busybox-static`, copied into a temporary
//! root file system with its applet links) under the profile `export
//! --format oci` writes for the shipped policy, with no `--arch` (the
//! default set of architectures). Each command must end in the container
//! as it ends under the sandbox (`seccomp_policy::spawn::CommandExt`) on
//! this machine, with the same output: an allowed command runs, a call
//! refused with an errno fails, a call the policy does not name kills the
//! process (runc exits 128 + SIGSYS, 159).
//!
//! Two more runs show what the export and its notes are for: the same
//! profile without `execve` and `execveat` never starts the container
//! (runc's init is killed before it execs, 159, no output), and without
//! `noNewPrivileges` runc loads the profile before it drops capabilities,
//! and fails then.
//!
//! Needs root (runc makes namespaces and cgroups), `runc` (`apt-get
//! install runc`) able to run a container here, and a static busybox:
//! `$SECCOMP_POLICY_STATIC_BUSYBOX`, `/usr/bin/busybox` if it is static
//! (the `busybox-static` package), or `target/busybox-static/bin/busybox`
//! (where `.ci/run` unpacks that package: it conflicts with the `busybox`
//! package the payload corpus runs). Without them the test is reported as
//! skipped, with the reason, by the suite's harness.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use seccomp_policy::spawn::{CommandExt as _, Outcome};

use common::{root, run, scratch};
use seccomp_policy_suite::harness::{require, Checked, Skip};

seccomp_policy::seccomp_policy!("../policy/seccomp.toml");

/// How a command ended, comparable between runc and the sandbox.
#[derive(Debug, PartialEq, Eq)]
enum End {
    Exited(i32),
    Signal(i32),
}

/// Whether the ELF file at `path` has no program interpreter (no
/// `PT_INTERP` header): a static executable.
fn is_static_elf(path: &Path) -> Result<bool, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.len() < 64 || &bytes[..4] != b"\x7fELF" {
        return Err(format!("{} is not an ELF file", path.display()));
    }
    let wide = bytes[4] == 2;
    let le = bytes[5] == 1;
    let num = |at: usize, len: usize| -> usize {
        let b = &bytes[at..at + len];
        let mut v = 0usize;
        for i in 0..len {
            let byte = if le { b[len - 1 - i] } else { b[i] };
            v = v << 8 | byte as usize;
        }
        v
    };
    let (phoff, phentsize, phnum) = if wide {
        (num(0x20, 8), num(0x36, 2), num(0x38, 2))
    } else {
        (num(0x1c, 4), num(0x2a, 2), num(0x2c, 2))
    };
    for i in 0..phnum {
        let at = phoff + i * phentsize;
        if at + 4 > bytes.len() {
            return Err(format!("{}: program headers cut short", path.display()));
        }
        if num(at, 4) == 3 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A statically linked busybox, from the places the module docs name.
fn static_busybox() -> Result<PathBuf, Skip> {
    let mut tried = Vec::new();
    let candidates = std::env::var_os("SECCOMP_POLICY_STATIC_BUSYBOX")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            PathBuf::from("/usr/bin/busybox"),
            root().join("target/busybox-static/bin/busybox"),
        ]);
    for path in candidates {
        match is_static_elf(&path) {
            Ok(true) => return Ok(path),
            Ok(false) => tried.push(format!("{} is linked dynamically", path.display())),
            Err(e) => tried.push(e),
        }
    }
    Err(Skip::new(format!(
        "no static busybox ({}): apt-get install busybox-static, or unpack it as .ci/run does",
        tried.join("; ")
    )))
}

/// `dir/rootfs/bin` holding `busybox` and a link for each of its applets.
fn make_rootfs(dir: &Path, busybox: &Path) -> PathBuf {
    let rootfs = dir.join("rootfs");
    let bin = rootfs.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for d in ["proc", "dev", "sys", "tmp"] {
        std::fs::create_dir_all(rootfs.join(d)).unwrap();
    }
    std::fs::copy(busybox, bin.join("busybox")).unwrap();
    let list = Command::new(busybox).arg("--list").output().unwrap();
    assert!(list.status.success(), "busybox --list");
    let mut applets = 0;
    for applet in String::from_utf8(list.stdout).unwrap().lines() {
        if applet != "busybox" && !applet.is_empty() {
            std::os::unix::fs::symlink("busybox", bin.join(applet)).unwrap();
            applets += 1;
        }
    }
    assert!(applets > 100, "{applets} applets");
    rootfs
}

/// What one `runc run` did.
struct Ran {
    end: End,
    stdout: String,
    stderr: String,
}

/// Runtimes and their state, in a scratch directory.
struct Runc {
    dir: PathBuf,
    rootfs: PathBuf,
    /// `runc spec`'s configuration, made once.
    spec: serde_json::Value,
    runs: usize,
}

impl Runc {
    fn new(dir: &Path, rootfs: PathBuf) -> Result<Runc, Skip> {
        let specdir = dir.join("spec");
        std::fs::create_dir_all(&specdir).unwrap();
        let out = Command::new("runc")
            .arg("spec")
            .current_dir(&specdir)
            .output()
            .map_err(|e| Skip::new(format!("no runc (apt-get install runc): {e}")))?;
        if !out.status.success() {
            return Err(Skip::new(format!(
                "`runc spec` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let spec = serde_json::from_slice(&std::fs::read(specdir.join("config.json")).unwrap())
            .expect("runc spec writes JSON");
        Ok(Runc {
            dir: dir.to_path_buf(),
            rootfs,
            spec,
            runs: 0,
        })
    }

    /// Runs `argv` in a container with `seccomp` as `linux.seccomp` (none:
    /// no filter) and `noNewPrivileges` as given.
    fn run(&mut self, argv: &[&str], seccomp: Option<&serde_json::Value>, nnp: bool) -> Ran {
        self.runs += 1;
        let bundle = self.dir.join(format!("bundle-{}", self.runs));
        std::fs::create_dir_all(&bundle).unwrap();
        let mut spec = self.spec.clone();
        spec["root"]["path"] = self.rootfs.to_str().unwrap().into();
        spec["process"]["terminal"] = false.into();
        spec["process"]["args"] = serde_json::Value::from(argv.to_vec());
        spec["process"]["noNewPrivileges"] = nnp.into();
        match seccomp {
            Some(profile) => spec["linux"]["seccomp"] = profile.clone(),
            None => {
                if let Some(linux) = spec["linux"].as_object_mut() {
                    linux.remove("seccomp");
                }
            }
        }
        std::fs::write(
            bundle.join("config.json"),
            serde_json::to_vec_pretty(&spec).unwrap(),
        )
        .unwrap();
        let id = format!("seccomp-policy-{}-{}", std::process::id(), self.runs);
        let out = Command::new("runc")
            .arg("--root")
            .arg(self.dir.join("state"))
            .args(["run", "--bundle"])
            .arg(&bundle)
            .arg(&id)
            .stdin(Stdio::null())
            .output()
            .expect("runc runs");
        let end = match out.status.code() {
            Some(c) if c > 128 => End::Signal(c - 128),
            Some(c) => End::Exited(c),
            None => panic!("runc itself was killed: {:?}", out.status),
        };
        Ran {
            end,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// `argv` (an applet and its arguments) under the sandbox, with the
/// rootfs's applets first in `PATH`.
fn under_sandbox(rootfs: &Path, caps: Cap, argv: &[&str]) -> (End, String) {
    let bin = rootfs.join("bin");
    let mut cmd = Command::new(bin.join(argv[0]));
    cmd.args(&argv[1..])
        .env("PATH", &bin)
        .current_dir(rootfs)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    cmd.sandbox(&POLICY, caps.bits())
        .expect("the policy builds");
    let out = cmd.output().expect("spawns");
    let end = match Outcome::from(out.status) {
        Outcome::Exited(c) => End::Exited(c),
        Outcome::KilledBySeccomp => End::Signal(libc::SIGSYS),
        Outcome::Signaled(s) => End::Signal(s),
        Outcome::Other(status) => panic!("unexpected wait status {status:#x}"),
    };
    (end, String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The profile `export --format oci` writes for `caps`, read back.
fn exported(dir: &Path, caps: Cap) -> serde_json::Value {
    let path = dir.join(format!("profile-{}.json", caps.bits()));
    let path_text = path.to_str().unwrap().to_owned();
    let mut args = vec!["export", "policy/seccomp.toml", "--format", "oci", "-o"];
    args.push(&path_text);
    let names = caps.names().collect::<Vec<_>>().join(",");
    if !names.is_empty() {
        args.extend(["--cap", names.as_str()]);
    }
    let r = run(&args);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    serde_json::from_slice(&std::fs::read(&path).unwrap()).expect("the profile is JSON")
}

fn runc_runs_containers_under_exported_profiles() -> Checked {
    require::root()?;
    let busybox = static_busybox()?;
    let dir = scratch("runc");
    let rootfs = make_rootfs(&dir, &busybox);
    let mut runc = Runc::new(&dir, rootfs.clone())?;
    // Whether runc can run a container here at all (cgroups, namespaces).
    let probe = runc.run(&["echo", "probe"], None, true);
    if probe.end != End::Exited(0) || probe.stdout != "probe\n" {
        return Err(Skip::new(format!(
            "runc cannot run a container here: {:?}, {}",
            probe.end,
            probe.stderr.trim()
        )));
    }
    let cases: &[(Cap, &[&str], End, &str)] = &[
        (
            Cap::NONE,
            &["sh", "-c", "echo hello"],
            End::Exited(0),
            "hello\n",
        ),
        (
            Cap::NONE,
            &["sh", "-c", "read name < /proc/self/comm; echo $name"],
            End::Exited(0),
            "sh\n",
        ),
        // A subshell is a new process: refused with EPERM without
        // CODE_EXEC, and busybox's shell says "can't fork" and exits 2.
        (
            Cap::NONE,
            &["sh", "-c", "echo before; (echo inner); echo after"],
            End::Exited(2),
            "before\n",
        ),
        (
            Cap::CODE_EXEC,
            &["sh", "-c", "echo before; (echo inner); echo after"],
            End::Exited(0),
            "before\ninner\nafter\n",
        ),
        // mkdir is in FILE_IO only: killed.
        (
            Cap::NONE,
            &["mkdir", "/tmp/d"],
            End::Signal(libc::SIGSYS),
            "",
        ),
        // sync is in no table: killed whatever the caps.
        (Cap::ALL, &["sync"], End::Signal(libc::SIGSYS), ""),
    ];
    for (caps, argv, want, out) in cases {
        let profile = exported(&dir, *caps);
        let ran = runc.run(argv, Some(&profile), true);
        let (sandbox, sandbox_out) = under_sandbox(&rootfs, *caps, argv);
        println!(
            "{caps:<9} {argv:?}: runc {:?} {:?}, sandbox {sandbox:?} {sandbox_out:?}",
            ran.end, ran.stdout
        );
        assert_eq!(
            (&ran.end, ran.stdout.as_str()),
            (want, *out),
            "runc: {argv:?} with {caps}; stderr {}",
            ran.stderr
        );
        assert_eq!((&sandbox, sandbox_out.as_str()), (want, *out), "sandbox");
    }

    // Without execve and execveat, runc's init is killed before it
    // execs the command: 159, nothing printed.
    let mut without = exported(&dir, Cap::NONE);
    for entry in without["syscalls"].as_array_mut().unwrap() {
        let names = entry["names"].as_array_mut().unwrap();
        names.retain(|n| n != "execve" && n != "execveat");
    }
    without["syscalls"]
        .as_array_mut()
        .unwrap()
        .retain(|e| !e["names"].as_array().unwrap().is_empty());
    let ran = runc.run(&["sh", "-c", "echo hello"], Some(&without), true);
    println!("without execve: runc {:?} {:?}", ran.end, ran.stderr.trim());
    assert_eq!(ran.end, End::Signal(libc::SIGSYS), "{}", ran.stderr);
    assert_eq!(ran.stdout, "");

    // Without noNewPrivileges runc loads the profile before it changes
    // capabilities and user, and the calls it makes for that are refused.
    let profile = exported(&dir, Cap::NONE);
    let ran = runc.run(&["sh", "-c", "echo hello"], Some(&profile), false);
    println!(
        "without noNewPrivileges: runc {:?} {:?}",
        ran.end,
        ran.stderr.trim()
    );
    assert_ne!(ran.end, End::Exited(0), "{}", ran.stderr);
    assert_eq!(ran.stdout, "");

    println!(
        "{} containers ran under exported profiles as under the sandbox",
        cases.len()
    );
    std::fs::remove_dir_all(&dir).unwrap();
    Ok(())
}

seccomp_policy_suite::tests![runc_runs_containers_under_exported_profiles];
