//! Learn converges for files too: a real program (Python) that reads a
//! file in one directory and writes a file into another, both outside the
//! shipped policy's `fs` tables (under `/var/tmp`, with `$WORKDIR` given
//! as an empty directory elsewhere), fails under `run` with `EACCES`;
//! `learn` lists both paths, `learn --merge` adds them to a copy of the
//! policy (only adding lines), `check` passes, and `run` under the copy
//! succeeds with the program's own output. With `--into CAP`, the program
//! writing beneath `$WORKDIR` this time, the file read goes to
//! `[cap.CAP.fs]` and learn advises the cap whose `fs` table lets it
//! write there: the run needs both.

mod common;

use std::path::{Path, PathBuf};

use common::{root, run, Run};
use seccomp_policy_suite::harness::{require, Checked, Skip};

seccomp_policy_suite::tests![
    files_learned_and_merged_let_run_succeed,
    files_learned_into_a_cap_hold_only_with_it,
    a_path_call_refused_with_an_errno_is_no_file_access,
    a_unix_socket_bound_is_a_file_made,
];

const PYTHON: &str = "/usr/bin/python3";

/// Reads `argv[1]`, and again as `argv[3]` (through a symlink beneath
/// `$WORKDIR`, which the policy lets it read, to `argv[1]`'s directory,
/// which it does not: Landlock checks the file the link leads to), writes
/// it upper-cased to `argv[2]` (made), reads that back and prints it.
const PAYLOAD: &str = "import sys\n\
    data = open(sys.argv[1]).read()\n\
    assert open(sys.argv[3]).read() == data\n\
    open(sys.argv[2], 'w').write(data.upper())\n\
    print(open(sys.argv[2]).read().strip())\n";

/// A scratch directory under `/var/tmp`, outside the policy's `fs`
/// tables (the target directory is beneath the workspace, the runs'
/// working directory): `in/a.txt`, an empty `out/` and an empty `work/`
/// for `$WORKDIR`.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Result<Scratch, Skip> {
        let dir =
            Path::new("/var/tmp").join(format!("seccomp-policy-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["in", "out", "work/out", "tmp"] {
            std::fs::create_dir_all(dir.join(sub))
                .map_err(|e| Skip::new(format!("{}: {e}", dir.display())))?;
        }
        std::os::unix::fs::symlink("../in", dir.join("work/escape"))
            .map_err(|e| Skip::new(e.to_string()))?;
        std::fs::write(dir.join("in/a.txt"), "hello files\n")
            .map_err(|e| Skip::new(e.to_string()))?;
        // What the kernel resolves them to: learn names what Landlock
        // checks, symlinks resolved.
        let dir = std::fs::canonicalize(&dir).map_err(|e| Skip::new(e.to_string()))?;
        Ok(Scratch { dir })
    }

    fn path(&self, sub: &str) -> String {
        self.dir.join(sub).to_string_lossy().into_owned()
    }

    /// `ARGS... --var WORKDIR=work --var TMPDIR=tmp -- python3 -I -c
    /// PAYLOAD in/a.txt OUT/b.txt work/escape/a.txt`.
    fn command(&self, out: &str, args: &[&str]) -> Run {
        let _ = std::fs::remove_file(self.dir.join(out).join("b.txt"));
        let workdir = format!("WORKDIR={}", self.path("work"));
        let tmpdir = format!("TMPDIR={}", self.path("tmp"));
        let (a, b) = (self.path("in/a.txt"), self.path(&format!("{out}/b.txt")));
        let escape = self.path("work/escape/a.txt");
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--var", &workdir, "--var", &tmpdir, "--"]);
        all.extend([PYTHON, "-I", "-c", PAYLOAD]);
        all.extend([a.as_str(), &b, &escape]);
        run(&all)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn requirements() -> Checked {
    require::program(PYTHON)?;
    require::landlock()
}

/// The JSON advice on the last line of stdout.
fn advice(r: &Run) -> serde_json::Value {
    let out = r.out();
    let line = out.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {out:?}\n{}", r.stderr))
}

/// The `(path, list)` of each file entry the advice offers, sorted.
fn entries(v: &serde_json::Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v["files"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_owned(),
                f["list"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Every line of `old` is in `new`, in order: lines were only added.
fn only_added(old: &str, new: &str) -> Vec<String> {
    let mut old_lines = old.lines().peekable();
    let mut added = Vec::new();
    for line in new.lines() {
        if old_lines.peek() == Some(&line) {
            old_lines.next();
        } else {
            added.push(line.to_owned());
        }
    }
    assert_eq!(old_lines.next(), None, "a line of the policy was lost");
    added
}

/// The run under the shipped policy fails with EACCES; after `learn
/// --merge`, which lists both paths, it succeeds.
fn files_learned_and_merged_let_run_succeed() -> Checked {
    requirements()?;
    let s = Scratch::new("learn-files")?;
    let policy = s.path("seccomp.toml");
    let shipped = std::fs::read_to_string(root().join("policy/seccomp.toml")).expect("policy");
    std::fs::write(&policy, &shipped).expect("copy");

    let before = s.command("out", &["run", &policy]);
    assert_ne!(before.code, Some(0), "{}", before.stderr);
    assert!(
        before.stderr.contains("[Errno 13] Permission denied"),
        "EACCES under run: {}",
        before.stderr
    );
    assert!(!Path::new(&s.path("out/b.txt")).exists());

    // With --calls-only nothing about files is learned (nor written).
    let calls_only = s.command(
        "out",
        &["learn", &policy, "--calls-only", "--format", "json"],
    );
    common::assert_code(&calls_only, 0, "learn --calls-only");
    assert!(
        entries(&advice(&calls_only)).is_empty(),
        "{}",
        calls_only.stderr
    );
    assert!(
        !calls_only.stderr.contains("  read  "),
        "{}",
        calls_only.stderr
    );

    let learned = s.command("out", &["learn", &policy, "--merge", "--format", "json"]);
    common::assert_code(&learned, 0, "learn --merge");
    assert_eq!(learned.out().lines().next(), Some("HELLO FILES"));
    // The summary lists the file read (twice: the second time through
    // the symlink beneath $WORKDIR) and the directory written into.
    let a = s.path("in/a.txt");
    let out_dir = s.path("out");
    assert!(
        learned
            .stderr
            .contains(&format!("  read        {a}  2 calls ")),
        "{}",
        learned.stderr
    );
    assert!(
        learned
            .stderr
            .contains(&format!("  make in     {out_dir}  1 call ")),
        "{}",
        learned.stderr
    );
    let v = advice(&learned);
    assert_eq!(
        entries(&v),
        [
            (a.clone(), "read".to_owned()),
            (out_dir.clone(), "write".to_owned())
        ]
    );
    assert_eq!(v["fs_table"], "[base.fs]");
    assert_eq!(v["written"], policy.as_str());

    let written = std::fs::read_to_string(&policy).expect("written");
    let added = only_added(&shipped, &written);
    assert_eq!(added.len(), 4, "{added:?}");
    assert!(added.contains(&format!("    {a:?},")), "{added:?}");
    assert!(added.contains(&format!("    {out_dir:?},")), "{added:?}");
    let check = run(&["check", &policy]);
    common::assert_code(&check, 0, "check");

    let after = s.command("out", &["run", &policy]);
    common::assert_code(&after, 0, "run under the merged policy");
    assert_eq!(after.out(), "HELLO FILES\n", "{}", after.stderr);
    Ok(())
}

/// `learn --merge --into OUT`, the program writing beneath `$WORKDIR`,
/// which caps of the shipped policy let a payload write (SQL_QUERY's and
/// FILE_IO's `fs` tables): the file read goes to `[cap.OUT.fs]`, the
/// directory written into to no table, and learn advises a cap for it
/// instead. The run succeeds with `--cap OUT` and that cap, and fails with
/// EACCES with either alone.
fn files_learned_into_a_cap_hold_only_with_it() -> Checked {
    requirements()?;
    let s = Scratch::new("learn-files-into")?;
    let policy = s.path("seccomp.toml");
    let shipped = std::fs::read_to_string(root().join("policy/seccomp.toml")).expect("policy");
    std::fs::write(&policy, &shipped).expect("copy");

    let learned = s.command("work/out", &["learn", &policy, "--merge", "--into", "OUT"]);
    common::assert_code(&learned, 0, "learn --merge --into OUT");
    assert!(
        learned
            .stderr
            .contains("1 path added to [cap.OUT.fs]\nrun it with --cap OUT\n"),
        "{}",
        learned.stderr
    );
    let grant = learned
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("to allow them, grant "))
        .unwrap_or_else(|| panic!("no cap offered: {}", learned.stderr));
    let caps: Vec<&str> = grant.split_whitespace().filter(|w| *w != "--cap").collect();
    assert_eq!(caps.len(), 1, "{grant}");
    assert!(["SQL_QUERY", "FILE_IO"].contains(&caps[0]), "{grant}");
    let written = std::fs::read_to_string(&policy).expect("written");
    only_added(&shipped, &written);
    let fs_at = written.find("[cap.OUT.fs]").expect("[cap.OUT.fs] made");
    assert!(
        written[fs_at..].contains(&format!("{:?},", s.path("in/a.txt"))),
        "{written}"
    );
    assert!(!written.contains(&s.path("work")), "{written}");
    assert!(!written[..fs_at].contains(&s.path("in")), "{written}");

    let with = s.command(
        "work/out",
        &["run", &policy, "--cap", "OUT", "--cap", caps[0]],
    );
    common::assert_code(&with, 0, "run --cap OUT and the cap offered");
    assert_eq!(with.out(), "HELLO FILES\n", "{}", with.stderr);
    for alone in ["OUT", caps[0]] {
        let without = s.command("work/out", &["run", &policy, "--cap", alone]);
        assert_ne!(without.code, Some(0), "{}", without.stderr);
        assert!(
            without.stderr.contains("[Errno 13] Permission denied"),
            "--cap {alone}: {}",
            without.stderr
        );
    }
    Ok(())
}

/// A call the policy refuses with an errno no cap allows never reaches
/// Landlock, in learn mode as under `run`: learn lists no file for it.
/// Under a policy that refuses `mkdir` with EPERM, Python's `os.mkdir`
/// beneath `out` fails with EPERM and learn lists nothing made in `out`;
/// the file it reads beneath `in` is listed.
fn a_path_call_refused_with_an_errno_is_no_file_access() -> Checked {
    requirements()?;
    let s = Scratch::new("learn-files-refused")?;
    let policy = s.path("refusing.toml");
    std::fs::write(
        &policy,
        "[base]\nallow = [\"read\"]\n[base.actions]\nmkdir = \"EPERM\"\nmkdirat = \"EPERM\"\n\
         [base.fs]\nread = [\"/usr\", \"/etc\", \"/proc\", \"/dev/null\"]\n",
    )
    .expect("policy");
    let (a, sub) = (s.path("in/a.txt"), s.path("out/sub"));
    let code = "import os, sys\n\
        open(sys.argv[1]).read()\n\
        try:\n    os.mkdir(sys.argv[2])\nexcept PermissionError as e:\n    print(e.errno)\n";
    let learned = run(&["learn", &policy, "--", PYTHON, "-I", "-c", code, &a, &sub]);
    common::assert_code(&learned, 0, "learn");
    assert_eq!(learned.out(), "1\n", "EPERM: {}", learned.stderr);
    assert!(
        learned
            .stderr
            .contains(&format!("  read        {a}  1 call ")),
        "{}",
        learned.stderr
    );
    assert!(
        learned
            .stderr
            .contains("\n1 path beyond the grant's fs tables:\n")
            && !learned
                .stderr
                .contains(&format!("  make in     {}", s.path("out"))),
        "{}",
        learned.stderr
    );
    Ok(())
}

/// `bind` of a unix socket's path makes a file, which Landlock checks as
/// an entry made in its directory: learn lists the directory (`make in`),
/// and not an abstract socket's name, which is no file.
fn a_unix_socket_bound_is_a_file_made() -> Checked {
    requirements()?;
    let s = Scratch::new("learn-files-socket")?;
    let policy = s.path("socket.toml");
    std::fs::write(
        &policy,
        "[base]\nallow = [\"read\"]\n\
         [base.fs]\nread = [\"/usr\", \"/etc\", \"/proc\", \"/dev/null\"]\n",
    )
    .expect("policy");
    let sock = s.path("out/s.sock");
    let code = "import socket, sys\n\
        a = socket.socket(socket.AF_UNIX)\n\
        a.bind('\\0seccomp-policy-abstract')\n\
        u = socket.socket(socket.AF_UNIX)\n\
        u.bind(sys.argv[1])\n\
        print('bound')\n";
    let learned = run(&["learn", &policy, "--", PYTHON, "-I", "-c", code, &sock]);
    common::assert_code(&learned, 0, "learn");
    assert_eq!(learned.out(), "bound\n", "{}", learned.stderr);
    assert!(
        learned
            .stderr
            .contains(&format!("  make in     {}  1 call ", s.path("out"))),
        "{}",
        learned.stderr
    );
    // The abstract name is no path: the directory is the only one.
    assert!(
        learned
            .stderr
            .contains("\n1 path beyond the grant's fs tables:\n"),
        "{}",
        learned.stderr
    );
    Ok(())
}
