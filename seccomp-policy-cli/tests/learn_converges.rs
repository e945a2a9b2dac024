//! Learn converges in one step: for payloads the shipped policy does not
//! cover (each is killed under `run`, checked first), `learn --write` into
//! a copy of the policy, then `run` under the written copy with the caps
//! learn offered, succeeds the first time: each payload says what it must
//! say and exits 0. The count is printed, and must be all of them.
//!
//! The payloads are real programs (coreutils, util-linux, gpg, Python) asserting
//! their own output. A payload whose program is missing here is left out
//! and the test skipped when fewer than five remain.

mod common;

use std::path::Path;

use common::{root, run, scratch, Run};
use seccomp_policy::tool::KILLED_BY_POLICY;
use seccomp_policy_suite::harness::{Checked, Skip};

seccomp_policy_suite::tests![
    learn_write_run_succeeds_on_the_first_try,
    a_policy_that_cannot_be_written_fails_the_run_with_125,
    rules_learned_into_a_cap_hold_only_with_it,
];

const PYTHON: &str = "/usr/bin/python3";

/// A payload: its name, its command (`{dir}` is its scratch directory),
/// and what it must print on stdout.
struct Payload {
    name: &'static str,
    command: &'static [&'static str],
    says: &'static str,
    /// A line of the shipped policy left out of its copy, if any.
    without: Option<&'static str>,
}

const PAYLOADS: &[Payload] = &[
    // getpriority and setpriority: in no table.
    Payload {
        name: "nice",
        command: &["/usr/bin/nice", "-n", "1", "/bin/echo", "niced"],
        says: "niced\n",
        without: None,
    },
    // sync: in no table.
    Payload {
        name: "py-sync",
        command: &[PYTHON, "-I", "-c", "import os; os.sync(); print('synced')"],
        says: "synced\n",
        without: None,
    },
    // sched_getscheduler and sched_getparam: in no table.
    Payload {
        name: "py-sched",
        command: &[
            PYTHON,
            "-I",
            "-c",
            "import os; print(os.sched_getscheduler(0), os.sched_getparam(0).sched_priority)",
        ],
        says: "0 0\n",
        without: None,
    },
    // getsid: in no table (the session's leader is outside the pid
    // namespace, so its id reads as 0 there).
    Payload {
        name: "py-getsid",
        command: &[PYTHON, "-I", "-c", "import os; print(os.getsid(0) >= 0)"],
        says: "True\n",
        without: None,
    },
    // mkdir and rmdir: cap FILE_IO allows every call.
    Payload {
        name: "py-mkdir",
        command: &[
            PYTHON,
            "-I",
            "-c",
            "import os, sys; d = os.path.join(sys.argv[1], 'sub'); os.mkdir(d); os.rmdir(d); \
             print('made and removed')",
            "{dir}",
        ],
        says: "made and removed\n",
        without: None,
    },
    // fork (CODE_EXEC) and flock (SQL_QUERY): two caps, each for its calls
    // (`{dir}/lock` is made beforehand).
    Payload {
        name: "flock",
        command: &["/usr/bin/flock", "{dir}/lock", "/bin/echo", "locked"],
        says: "locked\n",
        without: None,
    },
    // ioprio_get: in no table.
    Payload {
        name: "ionice",
        command: &["/usr/bin/ionice", "-p", "1"],
        says: "none: prio 0\n",
        without: None,
    },
    // gpg hashing nothing (stdin is /dev/null): mlock, in no table, and
    // link and unlink for its keybox's lock, which FILE_IO allows. The
    // digest is SHA-256's of the empty string (FIPS 180-4's example).
    Payload {
        name: "gpg-print-md",
        command: &[
            "/usr/bin/gpg",
            "--batch",
            "--homedir",
            "{dir}/gnupg",
            "--print-md",
            "SHA256",
        ],
        says: "E3B0C442 98FC1C14 9AFBF4C8 996FB924 27AE41E4 649B934C A495991B 7852B855\n",
        without: None,
    },
    // The case, with the shipped policy's `socket = "EPERM"` left
    // out so that a Unix socket is killed: SSRF allows Internet families
    // only, so no cap is offered, and the rule takes the family and type,
    // the parameters SSRF's rule tells apart.
    Payload {
        name: "py-unix-socket",
        command: &[
            PYTHON,
            "-I",
            "-c",
            "import socket; a, b = socket.socketpair(); s = socket.socket(socket.AF_UNIX); \
             print('unix socket', s.family.name)",
        ],
        says: "unix socket AF_UNIX\n",
        without: Some("socket = \"EPERM\""),
    },
];

/// What a JSON advice offers: the caps, the rules, and the file written.
type Offered = (Vec<String>, Vec<String>, Option<String>);

/// The caps a JSON advice offers, and the rules it wrote.
fn advice(r: &Run) -> Result<Offered, String> {
    let out = r.out();
    let line = out.lines().last().ok_or("no advice on stdout")?;
    let v: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))?;
    let strings = |key: &str, field: Option<&str>| -> Vec<String> {
        v[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| match field {
                Some(f) => x[f].as_str().map(str::to_owned),
                None => x.as_str().map(str::to_owned),
            })
            .collect()
    };
    Ok((
        strings("caps", None),
        strings("rules", Some("rule")),
        v["written"].as_str().map(str::to_owned),
    ))
}

/// One payload through learn, write and run; `Ok(what was learned)` when
/// the run under the written policy succeeded the first time.
fn converge(p: &Payload, shipped: &str) -> Result<String, String> {
    let dir = scratch(&format!("learn-converges-{}", p.name));
    let d = dir.to_string_lossy().into_owned();
    let command: Vec<String> = p.command.iter().map(|a| a.replace("{dir}", &d)).collect();
    let command: Vec<&str> = command.iter().map(String::as_str).collect();
    let policy = dir.join("seccomp.toml");
    let policy = policy.to_string_lossy().into_owned();
    let shipped: String = match p.without {
        Some(line) => {
            let kept: Vec<&str> = shipped.lines().filter(|l| l.trim() != line).collect();
            assert!(kept.len() < shipped.lines().count(), "no line {line:?}");
            kept.join("\n") + "\n"
        }
        None => shipped.to_owned(),
    };
    std::fs::write(&policy, &shipped).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("lock"), "").map_err(|e| e.to_string())?;
    {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(dir.join("gnupg"))
            .map_err(|e| e.to_string())?;
    }
    let vars = ["--var", &format!("WORKDIR={d}")];

    // The shipped policy does not cover it: `run` kills it.
    let mut args = vec!["run", policy.as_str()];
    args.extend(vars);
    args.push("--");
    args.extend(&command);
    let before = run(&args);
    if before.code != Some(i32::from(KILLED_BY_POLICY)) {
        return Err(format!(
            "the shipped policy was to kill it, but it ended with {:?}: {}",
            before.code, before.stderr
        ));
    }

    let mut args = vec!["learn", policy.as_str(), "--merge", "--format", "json"];
    args.extend(vars);
    args.push("--");
    args.extend(&command);
    let learned = run(&args);
    let (caps, rules, written) =
        advice(&learned).map_err(|e| format!("{e}\n{}", learned.stderr))?;
    if !rules.is_empty() && written.as_deref() != Some(policy.as_str()) {
        return Err(format!("learn did not write {policy}: {}", learned.stderr));
    }
    // Only entries were added: every line of the copy is there, in order.
    let written_text = std::fs::read_to_string(&policy).map_err(|e| e.to_string())?;
    let mut old = shipped.lines().peekable();
    for line in written_text.lines() {
        if old.peek() == Some(&line) {
            old.next();
        } else if !(line.trim_start().starts_with("# learned: ")
            || rules.iter().any(|r| line.trim() == format!("{r:?},")))
        {
            return Err(format!("learn wrote a line it did not add: {line:?}"));
        }
    }
    if let Some(line) = old.next() {
        return Err(format!("learn lost the line {line:?}"));
    }
    let check = run(&["check", &policy]);
    if check.code != Some(0) {
        return Err(format!(
            "check refuses the written policy: {}",
            check.stderr
        ));
    }

    let mut args = vec!["run", policy.as_str()];
    for cap in &caps {
        args.extend(["--cap", cap.as_str()]);
    }
    args.extend(vars);
    args.push("--");
    args.extend(&command);
    let after = run(&args);
    let _ = std::fs::remove_dir_all(&dir);
    if after.code == Some(0) && after.out() == p.says {
        Ok(format!("caps {caps:?}, rules {rules:?}"))
    } else {
        Err(format!(
            "under the written policy with caps {caps:?} it ended with {:?}, stdout {:?}:\n{}",
            after.code,
            after.out(),
            after.stderr
        ))
    }
}

fn learn_write_run_succeeds_on_the_first_try() -> Checked {
    let shipped = std::fs::read_to_string(root().join("policy/seccomp.toml"))
        .map_err(|e| Skip::new(format!("policy/seccomp.toml: {e}")))?;
    let present: Vec<&Payload> = PAYLOADS
        .iter()
        .filter(|p| Path::new(p.command[0]).is_file())
        .collect();
    if present.len() < 5 {
        return Err(Skip::new(format!(
            "only {} of the {} payloads' programs are installed",
            present.len(),
            PAYLOADS.len()
        )));
    }
    let mut failures = Vec::new();
    let mut succeeded = 0;
    for p in &present {
        match converge(p, &shipped) {
            Ok(learned) => {
                succeeded += 1;
                println!("{}: learn -> write -> run succeeded: {learned}", p.name);
            }
            Err(e) => failures.push(format!("{}: {e}", p.name)),
        }
    }
    println!(
        "learn -> write -> run: {succeeded} of {} payloads the shipped policy kills succeeded on \
         the first try",
        present.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    Ok(())
}

/// `--write` into a directory that does not exist: the command ran and
/// learn said what to add, but the tool failed (125), saying why.
fn a_policy_that_cannot_be_written_fails_the_run_with_125() -> Checked {
    seccomp_policy_suite::harness::require::program("/usr/bin/nice")?;
    let out = scratch("learn-unwritable").join("no/such/dir/p.toml");
    let out = out.to_string_lossy().into_owned();
    let r = run(&[
        "learn",
        "policy/seccomp.toml",
        "--write",
        &out,
        "--",
        "/usr/bin/nice",
        "-n",
        "1",
        "/bin/true",
    ]);
    common::assert_code(&r, 125, "learn --write into no directory");
    assert!(r.stderr.contains("    \"getpriority\",\n"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("error: the policy was not written: writing "),
        "{}",
        r.stderr
    );
    assert!(!Path::new(&out).exists());
    Ok(())
}

/// `learn --merge --into NICE`: `nice`'s calls go into a cap of their own,
/// made in the file. Under the written policy `nice` runs with `--cap
/// NICE`, saying what it must, and is killed without it: the rules are
/// not in `[base]`.
fn rules_learned_into_a_cap_hold_only_with_it() -> Checked {
    seccomp_policy_suite::harness::require::program("/usr/bin/nice")?;
    let dir = scratch("learn-into");
    let policy = dir.join("seccomp.toml").to_string_lossy().into_owned();
    std::fs::copy(root().join("policy/seccomp.toml"), &policy).expect("copy");
    let command = ["/usr/bin/nice", "-n", "1", "/bin/echo", "niced"];
    let mut args = vec!["learn", policy.as_str(), "--merge", "--into", "NICE", "--"];
    args.extend(command);
    let learned = run(&args);
    common::assert_code(&learned, 0, "learn --merge --into NICE");
    assert!(
        learned
            .stderr
            .contains(" added to [cap.NICE]\nrun it with --cap NICE\n"),
        "{}",
        learned.stderr
    );
    let written = std::fs::read_to_string(&policy).expect("written");
    assert!(written.contains("[cap.NICE]"), "{written}");

    let mut args = vec!["run", policy.as_str(), "--cap", "NICE", "--"];
    args.extend(command);
    let with = run(&args);
    common::assert_code(&with, 0, "run --cap NICE");
    assert_eq!(with.out(), "niced\n", "{}", with.stderr);

    let mut args = vec!["run", policy.as_str(), "--"];
    args.extend(command);
    let without = run(&args);
    common::assert_code(&without, i32::from(KILLED_BY_POLICY), "run without the cap");
    assert!(
        without.stderr.contains("allowed by cap NICE"),
        "{}",
        without.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
