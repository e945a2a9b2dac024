//! What the command line gives beyond the subcommands' output: shell
//! completions, the man page, colour and its switches, the short and JSON
//! formats of diagnostics, "did you mean", standard input and the other
//! tools' architecture names. Each expectation is read off the policy
//! file's text or another program (bash, groff), not off the renderer.

mod common;

use std::io::Write as _;
use std::process::{Command, Stdio};

use common::{assert_code, root, run, Run};
use seccomp_policy_suite::harness::{require, Checked};

const UNKNOWN: &str = "tests/ui/policies/unknown_syscall.toml";
const SHIPPED: &str = "policy/seccomp.toml";

/// Runs `seccomp-policy ARGS` with `env` set (and the colour variables of
/// the caller removed), `stdin` as its standard input.
fn run_with(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_seccomp-policy"));
    cmd.args(args)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the binary runs");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin).expect("stdin written");
    drop(input);
    let out = child.wait_with_output().expect("output");
    Run {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The text without its ANSI escape sequences (`ESC [ ... letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The unknown syscalls of `UNKNOWN` as its text has them: (line, column
/// of the name, the name), found by searching the file, not by the tool.
fn unknown_names() -> Vec<(usize, usize, String)> {
    let text = std::fs::read_to_string(root().join(UNKNOWN)).unwrap();
    let mut found = Vec::new();
    for name in ["newfstat", "exti_group", "getpagesize", "frobnicate"] {
        let quoted = format!("\"{name}\"");
        for (i, line) in text.lines().enumerate() {
            if let Some(at) = line.find(&quoted) {
                found.push((i + 1, line[..at].chars().count() + 2, name.to_owned()));
            }
        }
    }
    found
}

/// `shell check SCRIPT` succeeds on the completion script for `shell`.
fn shell_reads_its_script(shell: &str, check: &str) {
    let script = run(&["completions", shell]).stdout;
    let path = std::env::temp_dir().join(format!(
        "seccomp-policy-completion-{}.{shell}",
        std::process::id()
    ));
    std::fs::write(&path, &script).unwrap();
    let out = Command::new(shell)
        .arg(check)
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("{shell}: {e}"));
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{shell} {check}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// zsh and fish parse their scripts (`zsh -n`, `fish --no-execute`).
fn zsh_and_fish_read_their_scripts() -> Checked {
    require::program("/usr/bin/zsh")?;
    require::program("/usr/bin/fish")?;
    shell_reads_its_script("zsh", "-n");
    shell_reads_its_script("fish", "--no-execute");
    Ok(())
}

fn completions_are_scripts_their_shells_read() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let r = run(&["completions", shell]);
        assert_code(&r, 0, shell);
        let script = r.out();
        for sub in ["check", "export", "run", "completions", "man"] {
            assert!(script.contains(sub), "{shell}: no {sub}");
        }
    }
    // bash parses its script.
    shell_reads_its_script("bash", "-n");
    let r = run(&["completions", "tcsh"]);
    assert_code(&r, 2, "unknown shell");
    assert!(
        r.stderr
            .starts_with("error: invalid value `tcsh` for `<SHELL>`"),
        "{}",
        r.stderr
    );
}

/// `groff -man`'s warnings about `page`, or `None` without groff.
fn groff_warnings(page: &str) -> Option<String> {
    let mut groff = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    groff
        .stdin
        .take()
        .unwrap()
        .write_all(page.as_bytes())
        .unwrap();
    let out = groff.wait_with_output().unwrap();
    assert!(out.status.success());
    Some(String::from_utf8_lossy(&out.stderr).into_owned())
}

fn the_man_pages_are_roff_groff_reads() -> Checked {
    let r = run(&["man"]);
    assert_code(&r, 0, "man");
    let page = r.out();
    assert!(page.contains(".TH seccomp-policy 1"), "{page}");
    let subs = [
        "check", "show", "disasm", "explain", "simulate", "export", "lint", "run", "learn",
    ];
    let mut pages = vec![page.clone()];
    for sub in subs {
        // The tool's page lists each subcommand's, which exists.
        assert!(
            page.contains(&format!("seccomp\\-policy\\-{sub}(1)")),
            "no {sub} in {page}"
        );
        let r = run(&["man", sub]);
        assert_code(&r, 0, sub);
        let sub_page = r.out();
        assert!(
            sub_page.contains(&format!(".TH seccomp-policy-{sub} 1")),
            "{sub_page}"
        );
        // Its options are the declared ones, and its exit codes are there.
        assert!(sub_page.contains("\\-\\-color"), "{sub}: {sub_page}");
        assert!(sub_page.contains("exit"), "{sub}: {sub_page}");
        pages.push(sub_page);
    }
    assert!(pages[6].contains("\\-\\-format"), "export: {}", pages[6]);
    let r = run(&["man", "chek"]);
    assert_code(&r, 2, "man chek");
    assert!(r.stderr.contains("did you mean `check`?"), "{}", r.stderr);
    require::program("/usr/bin/groff")?;
    for page in &pages {
        let warnings = groff_warnings(page).expect("groff runs");
        assert!(warnings.is_empty(), "{warnings}");
    }
    Ok(())
}

fn color_always_underlines_each_whole_token() {
    let r = run_with(&["check", UNKNOWN, "--color", "always"], &[], b"");
    assert_code(&r, 1, "errors");
    assert!(r.stderr.contains('\x1b'), "no colour: {}", r.stderr);
    let plain = strip_ansi(&r.stderr);
    let lines: Vec<&str> = plain.lines().collect();
    let names = unknown_names();
    assert_eq!(names.len(), 4);
    for (line, col, name) in names {
        let arrow = format!("--> {UNKNOWN}:{line}:{col}");
        let at = lines
            .iter()
            .position(|l| l.trim_start() == arrow)
            .unwrap_or_else(|| panic!("no {arrow} in {plain}"));
        // ` --> `, ` |`, the source line, then its underline.
        let source = lines[at + 2];
        let under = lines[at + 3];
        let (gutter, text) = source.split_once(" | ").unwrap();
        assert_eq!(gutter.trim(), line.to_string());
        assert_eq!(&text[col - 1..col - 1 + name.len()], name);
        let marks = &under[gutter.len() + 3..];
        let start = marks.find('^').unwrap_or_else(|| panic!("{under}"));
        let width = marks[start..].chars().take_while(|&c| c == '^').count();
        assert_eq!(start, col - 1, "{name}: {under}");
        assert_eq!(width, name.len(), "{name}: {under}");
        // In the coloured text the marks sit inside one styled run.
        assert!(
            r.stderr
                .contains(&format!("m{}\x1b[0m", "^".repeat(name.len()))),
            "{name}: no styled underline of {} in {:?}",
            name.len(),
            r.stderr
        );
    }
}

fn no_color_and_color_never_give_none() {
    // CLICOLOR_FORCE stands in for a terminal: colour, unless NO_COLOR or
    // --color never says otherwise.
    let forced = run_with(&["check", UNKNOWN], &[("CLICOLOR_FORCE", "1")], b"");
    assert!(forced.stderr.contains('\x1b'), "{}", forced.stderr);
    for (args, env) in [
        (
            &["check", UNKNOWN][..],
            &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")][..],
        ),
        (
            &["check", UNKNOWN, "--color", "never"][..],
            &[("CLICOLOR_FORCE", "1")][..],
        ),
        (&["check", UNKNOWN][..], &[][..]),
        (&["--color=never", "lint", SHIPPED][..], &[][..]),
    ] {
        let r = run_with(args, env, b"");
        assert!(
            !r.stderr.contains('\x1b'),
            "{args:?} {env:?}: {:?}",
            r.stderr
        );
        assert!(!r.stdout.contains(&0x1b), "{args:?} {env:?}");
        if args[1] == UNKNOWN {
            // The same text, without the styles.
            assert_eq!(r.stderr, strip_ansi(&forced.stderr), "{args:?}");
        }
    }
    let r = run(&["check", UNKNOWN, "--color", "sometimes"]);
    assert_code(&r, 2, "--color sometimes");
}

fn short_format_is_one_line_a_place() {
    let r = run(&["check", UNKNOWN, "--format", "short"]);
    assert_code(&r, 1, "short");
    let errors: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains(": error: "))
        .collect();
    assert_eq!(errors.len(), 4, "{}", r.stderr);
    for (line, (l, c, name)) in errors.iter().zip(unknown_names()) {
        // ^[^:]+:\d+:\d+: error: , and the place is the name's.
        let mut parts = line.splitn(4, ':');
        let file = parts.next().unwrap();
        let at_line = parts.next().unwrap();
        let at_col = parts.next().unwrap();
        let rest = parts.next().unwrap();
        assert_eq!(file, UNKNOWN);
        assert_eq!(at_line.parse::<usize>(), Ok(l), "{line}");
        assert_eq!(at_col.parse::<usize>(), Ok(c), "{line}");
        assert!(
            rest.starts_with(&format!(" error: unknown syscall `{name}`")),
            "{line}"
        );
        assert!(rest.ends_with(" [E0005]"), "{line}");
    }
}

fn json_has_codes_and_ends() {
    let r = run(&["check", UNKNOWN, "--format", "json"]);
    assert_code(&r, 1, "json");
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).expect("valid JSON");
    let diags = v["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 4);
    for (d, (line, col, name)) in diags.iter().zip(unknown_names()) {
        assert_eq!(d["code"], "E0005", "{d}");
        assert_eq!(d["line"], line);
        assert_eq!(d["column"], col);
        assert_eq!(d["end"]["line"], line, "{d}");
        assert_eq!(d["end"]["column"], col + name.len(), "{d}");
        assert!(!d["rendered"].as_str().unwrap().contains('\x1b'));
    }
    // Every diagnostic of every UI policy has a code, and an end where it
    // has a place.
    for entry in std::fs::read_dir(root().join("tests/ui/policies")).unwrap() {
        let path = entry.unwrap().path();
        let rel = format!(
            "tests/ui/policies/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        let r = run(&["check", &rel, "--format", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&r.stdout).expect("valid JSON");
        for d in v["diagnostics"].as_array().unwrap() {
            let code = d["code"].as_str().unwrap_or_else(|| panic!("{rel}: {d}"));
            assert!(code.starts_with('E') && code.len() == 5, "{rel}: {d}");
            assert_eq!(d["end"].is_null(), d["line"].is_null(), "{rel}: {d}");
        }
    }
    // Lints: their names.
    let r = run(&[
        "lint",
        "seccomp-policy-cli/tests/policies/seed.toml",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).expect("valid JSON");
    let first = &v["diagnostics"][0];
    assert!(first["code"].is_string(), "{first}");
    assert!(first["end"]["column"].is_u64(), "{first}");
}

fn did_you_mean_for_subcommands_and_constants() {
    let r = run(&["chekc", SHIPPED]);
    assert_code(&r, 2, "chekc");
    assert!(
        r.stderr.starts_with("error: unknown subcommand `chekc`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("did you mean `check`?"), "{}", r.stderr);
    // A constant in a policy's rule: the front end's help.
    let dir = std::env::temp_dir().join(format!("seccomp-policy-dym-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("p.toml");
    std::fs::write(&policy, "[base]\nallow = [\"ioctl(cmd == TIOCSIT)\"]\n").unwrap();
    let r = run(&["check", policy.to_str().unwrap()]);
    assert_code(&r, 1, "constant");
    assert!(
        r.stderr
            .starts_with("error[E0013]: unknown constant `TIOCSIT`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("did you mean `TIOCSTI`?"), "{}", r.stderr);
    // A constant as simulate's argument.
    let r = run(&[
        "simulate", SHIPPED, "--arch", "x86_64", "ioctl", "1", "TIOCSIT",
    ]);
    assert_code(&r, 2, "simulate");
    assert!(r.stderr.contains("did you mean `TIOCSTI`?"), "{}", r.stderr);
    // A format value.
    let r = run(&["lint", SHIPPED, "--format", "jsno"]);
    assert!(r.stderr.contains("did you mean `json`?"), "{}", r.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn check_reads_standard_input() {
    let text = std::fs::read(root().join(UNKNOWN)).unwrap();
    let r = run_with(&["check", "-", "--format", "short"], &[], &text);
    assert_code(&r, 1, "stdin");
    assert!(
        r.stderr
            .starts_with("<stdin>:2:19: error: unknown syscall `newfstat` [E0005]\n"),
        "{}",
        r.stderr
    );
    let shipped = std::fs::read(root().join(SHIPPED)).unwrap();
    let r = run_with(&["check", "-"], &[], &shipped);
    assert_code(&r, 0, "stdin clean");
    assert_eq!(r.out(), "<stdin>: no errors (8 caps, 9 architectures)\n");
    let r = run_with(&["lint", "-", "--format", "json"], &[], &shipped);
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).expect("valid JSON");
    assert_eq!(v["file"], "<stdin>");
}

fn other_tools_architecture_names_are_taken_everywhere() {
    // Debian's and Docker's spellings, as `dpkg --print-architecture` and
    // `docker info` print them, on every subcommand with `--arch`.
    for (alias, arch) in [
        ("amd64", "x86_64"),
        ("arm64", "aarch64"),
        ("x86-64", "x86_64"),
    ] {
        for args in [
            &["show", SHIPPED, "--arch", alias][..],
            &["disasm", SHIPPED, "--arch", alias][..],
            &["explain", SHIPPED, "read", "--arch", alias][..],
            &["simulate", SHIPPED, "--arch", alias, "read"][..],
            &[
                "export",
                SHIPPED,
                "--format",
                "bpf",
                "--arch",
                alias,
                "-o",
                "/dev/null",
            ][..],
        ] {
            let r = run(args);
            assert_code(&r, 0, &format!("{args:?}"));
            let out = r.out();
            assert!(
                args[0] == "export" || out.contains(arch),
                "{args:?}: no {arch} in {out}"
            );
        }
    }
}

/// The command's modules form a tree (a module uses only those below
/// it): no two of them call each other, directly or around a circle.
fn the_modules_use_each_other_without_a_circle() {
    use std::collections::BTreeMap;
    let src = root().join("seccomp-policy-cli/src");
    let mut uses: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // A module with submodules (`learn/`) counts as one: its files' uses
    // together, its own left out.
    fn text_of(path: &std::path::Path) -> String {
        if path.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(path)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            files.iter().map(|f| text_of(f)).collect()
        } else {
            std::fs::read_to_string(path).unwrap()
        }
    }
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = text_of(&path);
        let mut used: Vec<String> = text
            .match_indices("crate::")
            .map(|(at, m)| {
                text[at + m.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect::<String>()
            })
            .filter(|m| !m.is_empty() && *m != name)
            .collect();
        used.sort();
        used.dedup();
        uses.insert(name, used);
    }
    assert!(uses.len() > 5, "{uses:?}");
    // Depth-first, with the path so far: a module met again on it is a circle.
    fn visit(m: &str, uses: &BTreeMap<String, Vec<String>>, path: &mut Vec<String>) {
        if let Some(at) = path.iter().position(|p| p == m) {
            panic!("a circle: {} -> {m}", path[at..].join(" -> "));
        }
        path.push(m.to_owned());
        for next in uses.get(m).into_iter().flatten() {
            visit(next, uses, path);
        }
        path.pop();
    }
    for m in uses.keys() {
        visit(m, &uses, &mut Vec::new());
    }
}

/// Each subcommand's `--help` lists the options the parser takes (they
/// are declared once), and every option its usage line names is among
/// them.
fn help_lists_the_declared_options() {
    for sub in [
        "check", "show", "disasm", "explain", "simulate", "export", "lint", "run", "learn",
    ] {
        let r = run(&[sub, "--help"]);
        assert_code(&r, 0, sub);
        let help = r.out();
        let usage: String = help
            .lines()
            .take_while(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let (_, options) = help
            .split_once("\noptions:\n")
            .unwrap_or_else(|| panic!("{sub}: no options: {help}"));
        let listed: Vec<&str> = options
            .lines()
            .filter_map(|l| {
                l.trim_start()
                    .split([' ', ',', '<'])
                    .find(|w| w.starts_with("--"))
            })
            .collect();
        for word in usage.split([' ', '[', ']', '|']) {
            if let Some(name) = word.strip_prefix("--").filter(|n| !n.is_empty()) {
                let name = name.split('=').next().unwrap_or(name);
                assert!(
                    listed.contains(&format!("--{name}").as_str()),
                    "{sub}: --{name} is in the usage line, not among {listed:?}"
                );
                // And the parser takes it.
                let r = run(&[sub, SHIPPED, &format!("--{name}"), "--help"]);
                assert!(
                    !r.stderr.contains("does not take"),
                    "{sub} --{name}: {}",
                    r.stderr
                );
            }
        }
        assert!(
            listed.contains(&"--color") && listed.contains(&"--help"),
            "{sub}: {listed:?}"
        );
    }
}

seccomp_policy_suite::tests![
    completions_are_scripts_their_shells_read,
    zsh_and_fish_read_their_scripts,
    the_man_pages_are_roff_groff_reads,
    color_always_underlines_each_whole_token,
    no_color_and_color_never_give_none,
    short_format_is_one_line_a_place,
    json_has_codes_and_ends,
    did_you_mean_for_subcommands_and_constants,
    check_reads_standard_input,
    other_tools_architecture_names_are_taken_everywhere,
    the_modules_use_each_other_without_a_circle,
    help_lists_the_declared_options,
];
