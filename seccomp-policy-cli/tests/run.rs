//! `seccomp-policy run` and `learn`: real commands under the shipped
//! policy, each in a `seccomp-policy` process of its own (so no filter
//! lands in this test runner), checked by their output, their exit codes
//! and what the supervisor wrote on stderr.
//!
//! Tests that need `/usr/bin/python3` (Debian's interpreter, not a version
//! manager's shim, which would fork before Python starts) are reported as
//! skipped, with the reason, by the suite's harness when it is missing.

mod common;

use std::io::{BufRead as _, BufReader, Read as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{assert_code, root, run, scratch, Run};
use seccomp_policy::tool::KILLED_BY_POLICY;
use seccomp_policy::tool::{CANNOT_EXECUTE, NOT_FOUND, TOOL_FAILED};
use seccomp_policy_suite::harness::{require, Checked};

const SHIPPED: &str = "policy/seccomp.toml";
const PYTHON: &str = "/usr/bin/python3";

seccomp_policy_suite::tests![
    a_command_within_base_runs_and_exits_0,
    exit_statuses_and_signals_are_passed_on,
    a_call_outside_base_is_named_with_the_cap_that_allows_it,
    an_errno_answer_is_named_and_the_command_goes_on,
    the_cap_that_allows_the_call_lets_the_command_finish,
    caps_are_given_repeated_or_split_at_commas,
    an_unknown_cap_is_a_usage_error_naming_the_files_caps,
    learn_names_what_the_command_needed_beyond_its_grant,
    learn_gives_policy_lines_for_calls_no_cap_grants,
    a_command_is_required,
    a_non_utf8_argument_is_a_usage_error,
    the_commands_own_1_and_2_are_passed_on,
    a_command_not_found_exits_127,
    a_command_found_but_not_executable_exits_126,
    policy_errors_exit_125_and_nothing_runs,
    run_reports_every_policy_error_as_check_does,
    help_documents_the_exit_codes,
    a_sigterm_reaches_the_command,
    a_supervisor_out_of_descriptors_fails_closed_with_125,
    a_denial_flood_is_summarised_and_every_denial_reported,
];

fn assert_has(r: &Run, wants: &[&str]) {
    for want in wants {
        assert!(r.stderr.contains(want), "no {want:?} in:\n{}", r.stderr);
    }
}

/// Asserts that `r` exited with `code` (one of the tool's constants).
fn assert_exit(r: &Run, code: u8, what: &str) {
    assert_code(r, i32::from(code), what);
}

/// Runs `run` and `learn` with the same arguments after the subcommand.
fn run_and_learn(args: &[&str]) -> [(&'static str, Run); 2] {
    ["run", "learn"].map(|sub| {
        let mut all = vec![sub];
        all.extend_from_slice(args);
        (sub, run(&all))
    })
}

/// What `learn` writes first, before anything else.
const LEARN_BANNER: &str =
    "seccomp-policy: learn mode: nothing is killed; errno refusals no cap allows stand\n";

/// `r`'s stderr without learn mode's first line.
fn without_banner(r: &Run) -> &str {
    r.stderr.strip_prefix(LEARN_BANNER).unwrap_or(&r.stderr)
}

/// A path under /tmp no one else uses; not created.
fn fresh_dir(name: &str) -> String {
    let dir = format!("/tmp/seccomp-policy-cli-{name}-{}", std::process::id());
    let _ = std::fs::remove_dir(&dir);
    dir
}

/// Python making and removing `dir`, printing before and after.
fn mkdir_script(dir: &str) -> String {
    format!(
        "import os; print('making', {dir:?}); os.mkdir({dir:?}); os.rmdir({dir:?}); \
         print('made and removed', {dir:?})"
    )
}

fn a_command_within_base_runs_and_exits_0() {
    let r = run(&["run", SHIPPED, "--", "/bin/echo", "hello"]);
    assert_code(&r, 0, "echo");
    assert_eq!(r.out(), "hello\n");
    // The entries of [base.fs] that exist here (the policy lists some that
    // only some machines have, such as /libx32), counted independently:
    // its read list ($WORKDIR, the current directory, as `.`), then its
    // write list.
    let listed = [
        "/usr",
        "/lib",
        "/lib64",
        "/lib32",
        "/libx32",
        "/bin",
        "/sbin",
        "/etc",
        "/proc",
        "/sys",
        "/dev/null",
        "/dev/zero",
        "/dev/full",
        "/dev/random",
        "/dev/urandom",
        ".",
        "/dev/null",
    ];
    let here = listed
        .iter()
        .filter(|p| std::path::Path::new(p).exists())
        .count();
    let missing = listed.len() - here;
    let files = if missing == 0 {
        format!("files beneath {here} paths")
    } else {
        format!("files beneath {here} paths ({missing} missing, left out)")
    };
    let line = format!(
        "seccomp-policy: caps none: `/bin/echo hello` exited with status 0; \
         Landlock ABI {}: ptrace, signals, abstract sockets, device nodes confined; {files}; ",
        seccomp_policy::domain::kernel_abi()
    );
    // What held the command's tree depends on what this machine allows.
    use seccomp_policy::supervise::Lifetime;
    let held = [
        Lifetime::PidNamespace {
            user_namespace: false,
            own_proc: true,
        },
        Lifetime::PidNamespace {
            user_namespace: true,
            own_proc: true,
        },
        Lifetime::PidNamespace {
            user_namespace: false,
            own_proc: false,
        },
        Lifetime::PidNamespace {
            user_namespace: true,
            own_proc: false,
        },
        Lifetime::Subreaper,
    ];
    assert!(
        held.iter().any(|h| r.stderr == format!("{line}{h}\n")),
        "{}",
        r.stderr
    );
}

fn exit_statuses_and_signals_are_passed_on() {
    let r = run(&["run", SHIPPED, "--", "/bin/sh", "-c", "exit 7"]);
    assert_code(&r, 7, "exit 7");
    assert!(!r.stderr.contains("denied"), "{}", r.stderr);
    // `kill` is in [base]: the shell ends itself with SIGTERM.
    let r = run(&["run", SHIPPED, "--", "/bin/sh", "-c", "kill -TERM $$"]);
    assert_code(&r, 128 + libc::SIGTERM, "SIGTERM");
    assert_has(
        &r,
        &["`/bin/sh -c kill -TERM $$` killed by SIGTERM (signal 15)"],
    );
}

/// mkdir is in no table of [base]: the process is killed before the call
/// runs (the directory is never made), the supervisor names the call and
/// the cap, and the exit code is the kernel kill's, 128 + SIGSYS.
fn a_call_outside_base_is_named_with_the_cap_that_allows_it() -> Checked {
    require::program(PYTHON)?;
    let dir = fresh_dir("refused");
    let script = mkdir_script(&dir);
    let r = run(&["run", SHIPPED, "--", PYTHON, "-I", "-u", "-c", &script]);
    assert_exit(&r, KILLED_BY_POLICY, "mkdir under [base]");
    assert_eq!(r.out(), format!("making {dir}\n"));
    // x86_64's python calls mkdir, other architectures' mkdirat: FILE_IO
    // grants both.
    assert_has(
        &r,
        &[
            "seccomp-policy: denied: /usr/bin/python3",
            "]: mkdir",
            ": allowed by cap FILE_IO; killed its process; the call did not run\n",
            "seccomp-policy: caps none: `/usr/bin/python3 -I -u -c ",
            "` killed by the policy at `mkdir",
        ],
    );
    assert!(!Path::new(&dir).exists(), "the call ran");
    Ok(())
}

/// socket() gets [base]'s EPERM: named, with the caps that would allow it,
/// and the program sees the error and exits 1 itself.
fn an_errno_answer_is_named_and_the_command_goes_on() -> Checked {
    require::program(PYTHON)?;
    let script = "import socket\ntry: socket.socket()\nexcept PermissionError as e: print('refused:', e.errno); raise SystemExit(3)";
    let r = run(&["run", SHIPPED, "--", PYTHON, "-I", "-c", script]);
    assert_code(&r, 3, "socket under [base]");
    assert_eq!(r.out(), "refused: 1\n");
    assert_has(
        &r,
        &[
            "]: socket(2, ",
            ": allowed by caps SSRF, HEADER_INJECTION or OPEN_REDIRECT; failed with EPERM (1) \
             without running\n",
            "exited with status 3; Landlock ABI ",
        ],
    );
    Ok(())
}

fn the_cap_that_allows_the_call_lets_the_command_finish() -> Checked {
    require::program(PYTHON)?;
    let dir = fresh_dir("granted");
    let script = mkdir_script(&dir);
    let r = run(&[
        "run", SHIPPED, "--cap", "FILE_IO", "--", PYTHON, "-I", "-u", "-c", &script,
    ]);
    assert_code(&r, 0, "mkdir with FILE_IO");
    assert_eq!(r.out(), format!("making {dir}\nmade and removed {dir}\n"));
    assert!(!r.stderr.contains("denied"), "{}", r.stderr);
    assert_has(&r, &["seccomp-policy: caps FILE_IO: `/usr/bin/python3 "]);
    Ok(())
}

/// The shell needs CODE_EXEC to start mkdir, and mkdir needs FILE_IO; the
/// two given either way, or one of them, in either order.
fn caps_are_given_repeated_or_split_at_commas() {
    let dir = fresh_dir("caps");
    let script = format!("mkdir {dir} && rmdir {dir} && echo made and removed");
    for caps in [
        &["--cap", "CODE_EXEC,FILE_IO"][..],
        &["--cap=FILE_IO,CODE_EXEC"][..],
        &["--cap", "CODE_EXEC", "--cap", "FILE_IO"][..],
    ] {
        let mut args = vec!["run", SHIPPED];
        args.extend_from_slice(caps);
        args.extend_from_slice(&["--", "/bin/sh", "-c", &script]);
        let r = run(&args);
        assert_code(&r, 0, &format!("{caps:?}"));
        assert_eq!(r.out(), "made and removed\n", "{caps:?}");
        assert_has(
            &r,
            &["seccomp-policy: caps FILE_IO|CODE_EXEC: `/bin/sh -c mkdir "],
        );
        assert!(!r.stderr.contains("denied"), "{}", r.stderr);
    }
    // CODE_EXEC alone: mkdir, a grandchild, is killed and named; the shell
    // goes on and reports it (128 + SIGKILL).
    let r = run(&[
        "run",
        SHIPPED,
        "--cap",
        "CODE_EXEC",
        "--",
        "/bin/sh",
        "-c",
        &script,
    ]);
    assert_code(&r, 128 + libc::SIGKILL, "CODE_EXEC alone");
    assert_has(
        &r,
        &[
            "seccomp-policy: denied: /usr/bin/mkdir [pid ",
            ": allowed by cap FILE_IO; killed its process",
        ],
    );
    assert!(!Path::new(&dir).exists());
}

/// A usage error of `run` exits 125, not 2: a command may exit 2 itself.
fn an_unknown_cap_is_a_usage_error_naming_the_files_caps() {
    for caps in ["NETWORK", "FILE_IO,NETWORK"] {
        let r = run(&["run", SHIPPED, "--cap", caps, "--", "/bin/echo", "ran"]);
        assert_exit(&r, TOOL_FAILED, caps);
        assert!(
            r.stderr.starts_with(
                "error: unknown capability `NETWORK` (known: SQL_QUERY, FILE_IO, SSRF, \
                 CODE_EXEC, HTML_ESCAPE, DESERIALIZE, HEADER_INJECTION, OPEN_REDIRECT)\n"
            ),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("usage: seccomp-policy run FILE"));
        assert!(r.stdout.is_empty(), "the command ran: {}", r.out());
    }
    let r = run(&[
        "learn",
        SHIPPED,
        "--cap",
        "FILEIO",
        "--",
        "/bin/echo",
        "ran",
    ]);
    assert_exit(&r, TOOL_FAILED, "learn");
    assert!(r.stdout.is_empty(), "the command ran: {}", r.out());
    assert!(
        r.stderr
            .starts_with("error: unknown capability `FILEIO` (known: ")
            && r.stderr.contains("; did you mean `FILE_IO`?"),
        "{}",
        r.stderr
    );
}

/// Learn mode lets mkdir run (the directory is made and removed) and names
/// it, with the cap that grants it.
fn learn_names_what_the_command_needed_beyond_its_grant() -> Checked {
    require::program(PYTHON)?;
    let dir = fresh_dir("learn");
    let script = mkdir_script(&dir);
    let r = run(&["learn", SHIPPED, "--", PYTHON, "-I", "-u", "-c", &script]);
    assert_code(&r, 0, "learn");
    assert_eq!(r.out(), format!("making {dir}\nmade and removed {dir}\n"));
    assert!(
        r.stderr.starts_with(
            "seccomp-policy: learn mode: nothing is killed; errno refusals no cap allows stand\n"
        ),
        "{}",
        r.stderr
    );
    assert_has(
        &r,
        &[
            "system calls beyond the grant ([base] and the spawn's execve) of policy/seccomp.toml:\n",
            "  granted by cap FILE_IO:\n    mkdir",
            "first: /usr/bin/python3",
            "to allow them, grant --cap FILE_IO\n",
        ],
    );
    assert!(!r.stderr.contains("denied"), "{}", r.stderr);
    // With the cap, nothing is left to learn.
    let r = run(&[
        "learn", SHIPPED, "--cap", "FILE_IO", "--", PYTHON, "-I", "-c", &script,
    ]);
    assert_code(&r, 0, "learn with FILE_IO");
    assert_has(&r, &["nothing beyond the grant ([base], FILE_IO and the spawn's execve) of policy/seccomp.toml\n"]);
    Ok(())
}

/// nice's getpriority and setpriority are in no table: learn mode prints
/// the lines to add to the policy.
fn learn_gives_policy_lines_for_calls_no_cap_grants() {
    let r = run(&["learn", SHIPPED, "--", "nice", "-n", "1", "/bin/true"]);
    assert_code(&r, 0, "learn nice");
    assert_has(
        &r,
        &[
            "  in no cap:\n    getpriority ",
            "\n    setpriority ",
            "first: /usr/bin/nice [pid ",
            "to allow them, add to `allow` of [base] in policy/seccomp.toml (`--write` or \
             `--merge` adds them), each checked against every call seen:\n    \
             \"getpriority\",\n    \"setpriority\",\n",
        ],
    );
    // Enforced, the first of them kills nice.
    let r = run(&["run", SHIPPED, "--", "nice", "-n", "1", "/bin/true"]);
    assert_exit(&r, KILLED_BY_POLICY, "run nice");
    assert_has(
        &r,
        &["]: getpriority(", ": no cap allows it; killed its process"],
    );
}

fn a_command_is_required() {
    for (args, want) in [
        (
            &["run", SHIPPED][..],
            "error: `run` needs a command after `--`",
        ),
        (
            &["run", SHIPPED, "--cap", "SSRF", "--"][..],
            "error: `run` needs a command after `--`",
        ),
        (
            &["learn", SHIPPED][..],
            "error: `learn` needs a command after `--`",
        ),
        (&["run"][..], "error: no policy file given"),
        (
            &["run", SHIPPED, "/bin/echo", "hi"][..],
            "error: unexpected `/bin/echo`: put the command after `--`, as in `-- /bin/echo ...`",
        ),
        (
            &["run", SHIPPED, "--arch", "x86_64", "--", "true"][..],
            "error: `run` does not take `--arch`",
        ),
    ] {
        let r = run(args);
        assert_exit(&r, TOOL_FAILED, &format!("{args:?}"));
        assert!(r.stderr.starts_with(want), "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("\n\nusage: seccomp-policy "),
            "{}",
            r.stderr
        );
        assert!(r.stdout.is_empty());
    }
}

/// Arguments are read as UTF-8: one that is not is a usage error, 125 for
/// `run` and `learn` as for their other usage errors, 2 for the others.
fn a_non_utf8_argument_is_a_usage_error() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt as _;
    for (sub, code) in [("run", TOOL_FAILED), ("learn", TOOL_FAILED), ("check", 2)] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_seccomp-policy"));
        cmd.args([sub, SHIPPED]);
        if sub != "check" {
            cmd.args(["--", "/bin/echo"]);
        }
        let out = cmd
            .arg(OsStr::from_bytes(b"caf\xe9"))
            .current_dir(root())
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(i32::from(code)), "{sub}: {stderr}");
        assert!(out.stdout.is_empty(), "{sub}: the command ran");
        assert!(
            stderr.starts_with(&format!(
                "error: argument \"caf\\xE9\" is not valid UTF-8\n\nusage: seccomp-policy {sub} FILE"
            )),
            "{sub}: {stderr}"
        );
    }
}

/// A command's own 1 and 2, the codes other subcommands use for policy
/// and usage errors, are passed on as they are, with the line saying the
/// command ended so.
fn the_commands_own_1_and_2_are_passed_on() {
    for status in ["1", "2"] {
        let script = format!("echo ran; exit {status}");
        for (sub, r) in run_and_learn(&[SHIPPED, "--", "/bin/sh", "-c", &script]) {
            let what = format!("{sub} exit {status}");
            assert_code(&r, status.parse().unwrap(), &what);
            assert_eq!(r.out(), "ran\n", "{what}");
            assert_has(
                &r,
                &[&format!(
                    "seccomp-policy: caps none: `/bin/sh -c {script}` exited with status {status}; Landlock ABI "
                )],
            );
            assert!(!r.stderr.contains("error"), "{what}: {}", r.stderr);
        }
    }
}

/// 127, as `env` and `timeout` exit: no such file, no such command in PATH,
/// or no such interpreter on the script's `#!` line; stderr says which,
/// and what to do.
fn a_command_not_found_exits_127() {
    let missing = "/nonexistent/seccomp-policy-test";
    for (sub, r) in run_and_learn(&[SHIPPED, "--", missing, "arg"]) {
        assert_exit(&r, NOT_FOUND, sub);
        assert_eq!(
            without_banner(&r),
            format!(
                "error: cannot run `{missing}`: no such file\n\
                 help: check the path (a relative one starts from the current directory)\n"
            ),
            "{sub}"
        );
    }
    let name = "seccomp-policy-no-such-command";
    for (sub, r) in run_and_learn(&[SHIPPED, "--", name]) {
        assert_exit(&r, NOT_FOUND, sub);
        assert_eq!(
            without_banner(&r),
            format!(
                "error: cannot run `{name}`: command not found in PATH\n\
                 help: check the name, or give the program's path (`-- /path/to/{name}`)\n"
            ),
            "{sub}"
        );
    }
    let dir = scratch("not-found");
    let script = dir.join("bad-interpreter.sh");
    std::fs::write(&script, "#!/nonexistent/sh\necho ran\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let script = script.to_str().unwrap();
    for (sub, r) in run_and_learn(&[SHIPPED, "--", script]) {
        assert_exit(&r, NOT_FOUND, sub);
        assert_eq!(
            without_banner(&r),
            format!(
                "error: cannot run `{script}`: the interpreter its `#!` line names, \
                 `/nonexistent/sh`, was not found\n\
                 help: fix its `#!` line, or run it with an interpreter that exists \
                 (`-- INTERPRETER {script}`)\n"
            ),
            "{sub}"
        );
        assert!(r.stdout.is_empty());
    }
}

/// 126, as `env` and `timeout` exit: the file is there but execve refuses
/// it (EACCES). stderr says why and what to do, and doing it works.
fn a_command_found_but_not_executable_exits_126() {
    let dir = scratch("not-executable");
    let script = dir.join("payload.sh");
    std::fs::write(&script, "#!/bin/sh\necho ran \"$@\"\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    let script = script.to_str().unwrap();
    for (sub, r) in run_and_learn(&[SHIPPED, "--", script, "arg"]) {
        assert_exit(&r, CANNOT_EXECUTE, sub);
        assert_eq!(
            without_banner(&r),
            format!(
                "error: cannot run `{script}`: it is not executable (mode 0644)\n\
                 help: make it executable (`chmod +x {script}`), or run it with its \
                 interpreter (`-- /bin/sh {script}`)\n"
            ),
            "{sub}"
        );
        assert!(r.stdout.is_empty(), "{sub}: the command ran: {}", r.out());
    }
    // The help's way out.
    let r = run(&["run", SHIPPED, "--", "/bin/sh", script, "arg"]);
    assert_code(&r, 0, "through its interpreter");
    assert_eq!(r.out(), "ran arg\n");
    // A directory: execve fails with EACCES too.
    for (sub, r) in run_and_learn(&[SHIPPED, "--", "/tmp"]) {
        assert_exit(&r, CANNOT_EXECUTE, sub);
        assert_eq!(
            without_banner(&r),
            "error: cannot run `/tmp`: it is a directory\n\
             help: name a program, not a directory\n",
            "{sub}"
        );
    }
}

/// The policy's errors exit 125, not 1 (a command may exit 1 itself), and
/// nothing runs; stderr has them as `check` prints them.
fn policy_errors_exit_125_and_nothing_runs() {
    for (sub, r) in run_and_learn(&[
        "tests/ui/policies/unknown_syscall.toml",
        "--",
        "/bin/echo",
        "ran",
    ]) {
        assert_exit(&r, TOOL_FAILED, sub);
        assert!(r.stdout.is_empty(), "the command ran: {}", r.out());
        assert!(
            r.stderr
                .starts_with("error[E0005]: unknown syscall `newfstat`\n"),
            "{sub}: {}",
            r.stderr
        );
        assert_has(
            &r,
            &[
                "= help: did you mean `newfstatat`?\n",
                "error: aborting due to 4 previous errors\n",
            ],
        );
        assert!(!r.stderr.contains("seccomp-policy: caps"), "{}", r.stderr);
    }
    for (sub, r) in run_and_learn(&["no/such/policy.toml", "--", "/bin/echo", "ran"]) {
        assert_exit(&r, TOOL_FAILED, sub);
        assert!(r.stdout.is_empty());
        assert!(
            r.stderr.starts_with(
                "error[E0001]: cannot read policy file `no/such/policy.toml`: No such file or directory"
            ),
            "{sub}: {}",
            r.stderr
        );
    }
}

/// `run` and `learn` lower and build the policy for this machine only,
/// but every suite policy with mistakes gives the errors `check` gives,
/// word for word, and nothing runs.
fn run_reports_every_policy_error_as_check_does() {
    let dir = root().join("tests/ui/policies");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("the suite's policies")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    let mut failing = 0;
    for name in names {
        let file = format!("tests/ui/policies/{name}");
        let check = run(&["check", &file]);
        if check.code == Some(0) {
            continue;
        }
        assert_code(&check, 1, &file);
        failing += 1;
        for (sub, r) in run_and_learn(&[&file, "--", "/bin/echo", "ran"]) {
            assert_exit(&r, TOOL_FAILED, &format!("{sub} {file}"));
            assert!(r.stdout.is_empty(), "{sub} {file}: the command ran");
            assert_eq!(r.stderr, check.stderr, "{sub} {file}");
        }
    }
    assert!(failing >= 10, "only {failing} policies with mistakes");
}

fn help_documents_the_exit_codes() {
    for sub in ["run", "learn"] {
        let r = run(&[sub, "--help"]);
        assert_code(&r, 0, sub);
        let text = r.out();
        let learn_only = if sub == "learn" {
            " [--write POLICY | --merge] [--into CAP] [--calls-only] [--format human|json]"
        } else {
            ""
        };
        assert!(
            text.starts_with(&format!(
                "usage: seccomp-policy {sub} FILE [--cap NAME]... [--var NAME=VALUE]... \
                 [--allow-degraded] [--report OUT]{learn_only} -- COMMAND [ARG]...\n"
            )),
            "{text}"
        );
        let mut wants = vec![
            "128 + N".to_owned(),
            format!("{TOOL_FAILED} this tool failed"),
            format!("{CANNOT_EXECUTE} COMMAND was found but cannot be executed"),
            format!("{NOT_FOUND} COMMAND was not"),
        ];
        if sub == "run" {
            wants.push("`--cap A --cap B` or `--cap A,B`".to_owned());
            // What tests/supervise.rs's `no_command` cases prove of the
            // library: the tool dies of the signal, as a shell shows it.
            wants.push(format!(
                "ends this tool itself, killed by that signal: a shell reports 128 + N, {} for \
                 SIGTERM",
                128 + libc::SIGTERM
            ));
            wants.push(format!(
                "{KILLED_BY_POLICY} (128 + SIGSYS) when the policy killed it"
            ));
        }
        // Lines are wrapped and columns aligned: compare words.
        let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for want in &wants {
            assert!(
                words.contains(want.as_str()),
                "{sub}: no {want:?} in {text}"
            );
        }
    }
    let r = run(&[
        "run",
        SHIPPED,
        "--cap",
        "SSRF",
        "--help",
        "--",
        "/bin/false",
    ]);
    assert_code(&r, 0, "run --help before --");
    assert!(r.out().starts_with("usage: seccomp-policy run "));
    // After `--`, `--help` is the command's.
    let r = run(&["run", SHIPPED, "--", "/bin/echo", "said", "--help"]);
    assert_code(&r, 0, "echo said --help");
    assert_eq!(r.out(), "said --help\n");
    let r = run(&["--help"]);
    assert!(r.out().contains("  run       ") && r.out().contains("  learn     "));
    for want in [
        "run and learn exit as env and timeout do, never 1 or 2 of their own:\n".to_owned(),
        format!("  {TOOL_FAILED}  run or learn itself failed: a usage error"),
        format!("  {CANNOT_EXECUTE}  COMMAND was found but cannot be executed"),
        format!("  {NOT_FOUND}  COMMAND was not found\n"),
        format!("{KILLED_BY_POLICY} (128 + SIGSYS) when the policy killed it"),
        "128 + N".to_owned(),
    ] {
        assert!(r.out().contains(&want), "no {want:?} in {}", r.out());
    }
}

/// SIGTERM to `seccomp-policy run` reaches the command (Python, which keeps
/// the signal mask it is given), which ends with it; the tool exits
/// 128 + SIGTERM.
fn a_sigterm_reaches_the_command() -> Checked {
    require::program(PYTHON)?;
    let mut child = Command::new(env!("CARGO_BIN_EXE_seccomp-policy"))
        .args([
            "run",
            SHIPPED,
            "--",
            PYTHON,
            "-I",
            "-c",
            "import time; print('started', flush=True); time.sleep(60)",
        ])
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "started\n");
    // SAFETY: signals the process we spawned, not yet reaped.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the command did not end on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(128 + libc::SIGTERM), "{err}");
    assert!(err.contains("killed by SIGTERM (signal 15)"), "{err}");
    Ok(())
}

/// `tests/hostile/NAME.c`, built with the machine's C compiler into `dir`.
fn built(
    dir: &Path,
    name: &str,
) -> Result<std::path::PathBuf, seccomp_policy_suite::harness::Skip> {
    require::program("/usr/bin/cc")?;
    let exe = dir.join(name);
    let out = Command::new("/usr/bin/cc")
        .args(["-O2", "-Wall", "-Werror", "-pthread", "-o"])
        .arg(&exe)
        .arg(root().join(format!("tests/hostile/{name}.c")))
        .output()
        .expect("cc runs");
    assert!(
        out.status.success(),
        "cc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(exe)
}

/// Once the payload runs, the test lowers this tool's `RLIMIT_NOFILE` to
/// {0, 0} (as a payload allowed `prlimit64` on it could), then lets it make
/// calls the policy refuses: the socket() calls still get their EPERM, the
/// mkdir() that should kill never runs nor returns, and the tool exits 125
/// with an `error:` line naming the supervisor's failure and its errno.
fn a_supervisor_out_of_descriptors_fails_closed_with_125() -> Checked {
    use std::io::Write as _;
    let dir = scratch("starve");
    let exe = built(&dir, "starve")?;
    let target = dir.join("made");
    let mut child = Command::new(env!("CARGO_BIN_EXE_seccomp-policy"))
        .args(["run", SHIPPED, "--"])
        .arg(&exe)
        .arg(&target)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let mut ready = String::new();
    out.read_line(&mut ready).expect("the payload's first line");
    assert_eq!(ready, "ready\n");
    let none = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: our own child, not yet reaped; a live rlimit.
    let r = unsafe {
        libc::prlimit(
            child.id() as libc::pid_t,
            libc::RLIMIT_NOFILE,
            &raw const none,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(r, 0, "prlimit: {}", std::io::Error::last_os_error());
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(b"go\n")
        .expect("the payload reads");
    let mut stdout = String::new();
    out.read_to_string(&mut stdout).expect("stdout");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("piped")
        .read_to_string(&mut stderr)
        .expect("stderr");
    let status = child.wait().expect("waits");
    assert_eq!(
        stdout, "socket: EPERM\nsocket: EPERM\nsocket: EPERM\n",
        "{stderr}"
    );
    assert!(!target.exists(), "mkdir ran: {stderr}");
    assert_eq!(
        status.code(),
        Some(i32::from(TOOL_FAILED)),
        "a starved supervisor: {stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("error: ") && l.contains("EMFILE")),
        "no `error:` line naming EMFILE in:\n{stderr}"
    );
    assert!(!stderr.contains("gone before"), "{stderr}");
    Ok(())
}

/// `n` with a comma between each group of three digits: `12,800`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// 64 threads calling socket() (EPERM under [base]) 250 times each, at
/// most 20 s: stderr stays short (under 200 lines, where one line per
/// denial was over 16 000) and says how many there were in all, and
/// `--report FILE` has every denial, one JSON object a line (read back by
/// Python's json module, independently of the writer).
fn a_denial_flood_is_summarised_and_every_denial_reported() -> Checked {
    require::program(PYTHON)?;
    let dir = scratch("flood");
    let exe = built(&dir, "flood")?;
    let report = dir.join("denials.jsonl");
    let r = run(&[
        "run",
        SHIPPED,
        "--report",
        report.to_str().expect("UTF-8 path"),
        "--",
        exe.to_str().expect("UTF-8 path"),
        "64",
        "250",
        "20",
    ]);
    assert_code(&r, 0, "the flood");
    let out = r.out();
    let counts: Vec<u64> = out
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let [calls, refused] = counts[..] else {
        panic!("payload output {out:?}");
    };
    assert!(calls > 0 && refused == calls, "{out}");
    let lines = r.stderr.lines().count();
    assert!(lines < 200, "{lines} lines on stderr:\n{}", r.stderr);
    let total = format!(
        "denied: socket x {} in all from {}",
        thousands(calls),
        exe.display()
    );
    assert!(r.stderr.contains(&total), "no {total:?} in:\n{}", r.stderr);

    // Every line a JSON object with the fields named; counted by syscall
    // and answer.
    let check = "\
import collections, json, sys
counts = collections.Counter()
for line in open(sys.argv[1]):
    d = json.loads(line)
    assert isinstance(d['pid'], int) and isinstance(d['tid'], int), d
    assert isinstance(d['program'], str) and d['arch'] == 'x86_64', d
    assert isinstance(d['nr'], int) and len(d['args']) == 6, d
    assert all(isinstance(a, int) for a in d['args']), d
    assert isinstance(d['allowed_by'], str) and isinstance(d['caps'], list), d
    counts[(d['syscall'], d['nr'], d['answer'], d['errno'])] += 1
for key, n in sorted(counts.items()):
    print(*key, n)
";
    let parsed = Command::new(PYTHON)
        .args(["-I", "-c", check])
        .arg(&report)
        .output()
        .expect("python runs");
    let parsed_out = String::from_utf8_lossy(&parsed.stdout);
    assert!(
        parsed.status.success(),
        "{}{parsed_out}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    // glibc's pthread_create tries clone3 first: [base] answers ENOSYS.
    let want = format!("clone3 435 errno ENOSYS 64\nsocket 41 errno EPERM {calls}\n");
    assert_eq!(parsed_out, want, "the report's denials");
    Ok(())
}
