//! Every subcommand and every exit code of `seccomp-policy`, run as a
//! process.

mod common;

use common::{assert_code, run, scratch};

const SHIPPED: &str = "policy/seccomp.toml";
const SEED: &str = "seccomp-policy-cli/tests/policies/seed.toml";

#[test]
fn help_and_version_exit_0() {
    let r = run(&["--help"]);
    assert_code(&r, 0, "--help");
    assert!(r.out().contains("exit codes:"), "{}", r.out());
    for sub in [
        "check", "show", "disasm", "explain", "simulate", "export", "lint", "run", "learn",
    ] {
        let r = run(&[sub, "--help"]);
        assert_code(&r, 0, sub);
        assert!(
            r.out()
                .starts_with(&format!("usage: seccomp-policy {sub} FILE")),
            "{}",
            r.out()
        );
        let r = run(&["help", sub]);
        assert_code(&r, 0, sub);
    }
    let r = run(&["--version"]);
    assert_code(&r, 0, "--version");
    assert!(r.out().starts_with("seccomp-policy 0.1.0"));
}

#[test]
fn usage_errors_exit_2() {
    for (args, want) in [
        (&[][..], "error: no subcommand given"),
        (&["frobnicate", SHIPPED][..], "error: unknown subcommand `frobnicate`"),
        (&["check"][..], "error: no policy file given"),
        (&["check", SHIPPED, "--bogus"][..], "error: `check` does not take `--bogus`"),
        (&["disasm", SHIPPED, "--arch", "vax"][..], "error: unknown architecture `vax`"),
        (&["disasm", SHIPPED, "--cap", "SSFR"][..], "error: unknown capability `SSFR` (known: SQL_QUERY, FILE_IO, SSRF, CODE_EXEC, HTML_ESCAPE, DESERIALIZE, HEADER_INJECTION, OPEN_REDIRECT); did you mean `SSRF`?"),
        (&["explain", SHIPPED, "opne"][..], "error: unknown syscall `opne`; did you mean `open`?"),
        (&["simulate", SHIPPED, "--arch", "aarch64", "open"][..], "error: aarch64 has no syscall `open`"),
        (&["simulate", SHIPPED, "ioctl", "1", "TIOCSIT"][..], "error: argument `TIOCSIT` is neither an integer nor a constant"),
        (&["export", SHIPPED][..], "error: `export` needs `--format` (bpf, oci, kubelet, k8s, systemd)"),
        (&["export", SHIPPED, "--format", "bpf", "--arch", "x86_64,arm"][..], "error: `--format bpf` holds one architecture's rules: give one `--arch`"),
        (&["lint", SHIPPED, "--format", "xml"][..], "error: unknown format `xml` for `lint`"),
    ] {
        let r = run(args);
        assert_code(&r, 2, &format!("{args:?}"));
        assert!(r.stderr.starts_with(want), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("usage: seccomp-policy"), "{}", r.stderr);
        assert!(r.stdout.is_empty());
    }
}

#[test]
fn check_exits_0_when_clean_and_1_on_errors() {
    let r = run(&["check", SHIPPED]);
    assert_code(&r, 0, "clean");
    assert_eq!(
        r.out(),
        "policy/seccomp.toml: no errors (8 caps, 9 architectures)\n"
    );
    let r = run(&["check", "tests/ui/policies/unknown_syscall.toml"]);
    assert_code(&r, 1, "errors");
    assert!(
        r.stderr.starts_with(
            "error: unknown syscall `newfstat`\n --> tests/ui/policies/unknown_syscall.toml:2:19\n"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .ends_with("error: aborting due to 4 previous errors\n"),
        "{}",
        r.stderr
    );
    let r = run(&["check", "tests/ui/policies/does-not-exist.toml"]);
    assert_code(&r, 1, "missing file");
    assert!(r.stderr.starts_with("error: cannot read policy file `tests/ui/policies/does-not-exist.toml`: No such file or directory"), "{}", r.stderr);
}

#[test]
fn check_json_is_one_document() {
    let r = run(&[
        "check",
        "tests/ui/policies/duplicate.toml",
        "--format",
        "json",
    ]);
    assert_code(&r, 1, "json errors");
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).expect("valid JSON");
    assert_eq!(v["file"], "tests/ui/policies/duplicate.toml");
    assert_eq!(v["errors"], 2);
    let d = &v["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["message"], "`read` is listed twice in `[base]`");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(4), Some(14))
    );
    assert_eq!(d["notes"][0]["line"], 3);
    assert_eq!(d["help"][0], "remove one of them");
    assert!(d["rendered"].as_str().unwrap().contains("^"));
    let r = run(&["check", SHIPPED, "--format=json"]);
    assert_code(&r, 0, "json clean");
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["errors"], 0);
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), 0);
}

#[test]
fn every_other_subcommand_exits_1_on_policy_errors() {
    let bad = "tests/ui/policies/unknown_keys.toml";
    for args in [
        &["show", bad][..],
        &["disasm", bad][..],
        &["explain", bad, "read"][..],
        &["simulate", bad, "read"][..],
        &["export", bad, "--format", "oci"][..],
        &["lint", bad][..],
    ] {
        let r = run(args);
        assert_code(&r, 1, &format!("{args:?}"));
        assert!(
            r.stderr.starts_with("error: unknown table `[bse]`"),
            "{args:?}: {}",
            r.stderr
        );
    }
}

#[test]
fn show_lists_numbers_rules_and_skipped_names() {
    let r = run(&["show", SHIPPED, "--arch", "aarch64"]);
    assert_code(&r, 0, "show");
    let out = r.out();
    assert!(
        out.starts_with("aarch64 (AUDIT_ARCH 0xc00000b7): default kill-process\n  [base]: "),
        "{out}"
    );
    // A thread (CLONE_THREAD) in no new namespace.
    assert!(
        out.contains(
            "    clone (220): allow if arg0 & 0x10000 && arg0 & 0x7e020080 == 0x0  \
             [72:5 clone(clone_flags & CLONE_THREAD && !(clone_flags & CLONE_NEWNS\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("    ioctl (29): allow if (u32)arg1 != 0x5412 && (u32)arg1 != 0x541c"),
        "{out}"
    );
    assert!(out.contains("  [cap.SSRF]: "), "{out}");
    assert!(out.contains("  skipped here: "), "{out}");
    assert!(out.contains("open"), "open is skipped on aarch64: {out}");
    let all = run(&["show", SHIPPED]).out();
    assert_eq!(all.matches("(AUDIT_ARCH ").count(), 9);
}

#[test]
fn disasm_prints_one_instruction_a_line() {
    let r = run(&[
        "disasm",
        SHIPPED,
        "--arch",
        "x86_64",
        "--cap",
        "SSRF,FILE_IO",
    ]);
    assert_code(&r, 0, "disasm");
    let out = r.out();
    let mut lines = out.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("; x86_64, caps: FILE_IO, SSRF, default kill-process: "),
        "{header}"
    );
    let n: usize = header
        .rsplit(": ")
        .next()
        .unwrap()
        .trim_end_matches(" instructions")
        .parse()
        .unwrap();
    assert_eq!(lines.next(), Some(" line  code  jt   jf      k"));
    assert_eq!(lines.count(), n);
    assert!(
        out.contains("; nr >= 41 (socket)") || out.contains("(socket)"),
        "{out}"
    );
    assert!(out.contains("; ERRNO(1) EPERM"), "{out}");
    // Two spellings of the same cap set give the same program.
    let again = run(&[
        "disasm",
        SHIPPED,
        "--arch=x86_64",
        "--cap",
        "FILE_IO",
        "--cap",
        "SSRF",
    ]);
    assert_eq!(again.out(), out);
}

#[test]
fn explain_says_which_tables_and_architectures() {
    // x86_64's number 83 and mips64el's 5081 (syscall_64.tbl,
    // syscall_n64.tbl); the generic table has no mkdir.
    let r = run(&["explain", SHIPPED, "mkdir"]);
    assert_code(&r, 0, "explain");
    let out = r.out();
    assert!(out.starts_with("mkdir\n"), "{out}");
    assert!(out.contains("x86_64 (83)"), "{out}");
    assert!(out.contains("mips64el (5081)"), "{out}");
    assert!(
        out.contains("\naarch64, riscv64, loongarch64:\n  no such syscall here\n"),
        "{out}"
    );
    assert!(
        out.contains("  [cap.FILE_IO] allows it outright\n  with no caps: kill-process (the default)\n  with [cap.FILE_IO]: allowed\n"),
        "{out}"
    );
    let r = run(&["explain", SHIPPED, "ptrace"]);
    let out = r.out();
    assert!(out.contains("x86_64 (101)"), "{out}");
    assert!(
        out.contains("  no table names it\n  with no caps: kill-process (the default)\n"),
        "{out}"
    );
    let r = run(&["explain", SHIPPED, "socket", "--arch", "x86_64"]);
    let out = r.out();
    assert!(out.contains("  [base]: EPERM (1)"), "{out}");
    // Internet sockets, stream or datagram (the type's flags masked off).
    assert!(
        out.contains(
            "  with [cap.SSRF]: allow if ((u32)arg0 == 0x2 && (u32)arg1 & 0xf == 0x1) \
             || ((u32)arg0 == 0x2 && (u32)arg1 & 0xf == 0x2) \
             || ((u32)arg0 == 0xa && (u32)arg1 & 0xf == 0x1) \
             || ((u32)arg0 == 0xa && (u32)arg1 & 0xf == 0x2); otherwise EPERM (1)"
        ),
        "{out}"
    );
    let r = run(&["explain", SHIPPED, "41", "--arch", "x86_64"]);
    assert_code(&r, 0, "by number");
    assert!(
        r.out()
            .starts_with("syscall number 41\nx86_64 (socket = 41):"),
        "{}",
        r.out()
    );
}

#[test]
fn simulate_gives_the_verdict_and_the_path() {
    let r = run(&[
        "simulate", SHIPPED, "--arch", "x86_64", "ioctl", "1", "TIOCSTI",
    ]);
    assert_code(&r, 0, "simulate");
    let out = r.out();
    assert!(out.starts_with("call: ioctl (16) on x86_64, args 0x1 0x5412 0x0 0x0 0x0 0x0\ncaps: none\nverdict: EPERM (1)\npath: "), "{out}");
    assert!(out.trim_end().ends_with("; ERRNO(1) EPERM"), "{out}");
    // High bits of a 32-bit parameter change nothing.
    let r = run(&[
        "simulate",
        SHIPPED,
        "--arch",
        "x86_64",
        "ioctl",
        "1",
        "0xffffffff00005412",
    ]);
    assert!(r.out().contains("verdict: EPERM (1)"), "{}", r.out());
    let r = run(&[
        "simulate",
        SHIPPED,
        "--arch",
        "x86_64",
        "--cap",
        "SSRF",
        "socket",
        "AF_INET",
        "SOCK_STREAM",
    ]);
    assert!(r.out().contains("verdict: allow"), "{}", r.out());
    let r = run(&[
        "simulate", SHIPPED, "--arch", "x86_64", "--cap", "SSRF", "socket", "AF_INET", "SOCK_RAW",
    ]);
    assert!(r.out().contains("verdict: EPERM (1)"), "{}", r.out());
    let r = run(&[
        "simulate",
        SHIPPED,
        "--arch",
        "x86_64",
        "--cap",
        "SSRF",
        "socket",
        "AF_NETLINK",
    ]);
    assert!(r.out().contains("verdict: EPERM (1)"), "{}", r.out());
    let r = run(&["simulate", SHIPPED, "--arch", "s390x", "mkdir"]);
    assert!(r.out().contains("verdict: kill-process"), "{}", r.out());
    let r = run(&["simulate", SHIPPED, "--arch", "x86_64", "execve"]);
    assert!(r.out().contains("verdict: kill-process"), "{}", r.out());
    let r = run(&[
        "simulate",
        SHIPPED,
        "--arch",
        "x86_64",
        "--allow-execve",
        "execve",
    ]);
    assert!(r.out().contains("verdict: allow"), "{}", r.out());
    let r = run(&["simulate", SHIPPED, "--arch", "x86_64", "-1"]);
    assert!(
        r.out().starts_with("call: no such syscall (4294967295)"),
        "{}",
        r.out()
    );
}

#[test]
fn export_writes_files_and_refuses_what_it_cannot_say() {
    let dir = scratch("cli-export");
    let bpf = dir.join("x86_64.bpf");
    let r = run(&[
        "export",
        SHIPPED,
        "--format",
        "bpf",
        "--arch",
        "x86_64",
        "-o",
        bpf.to_str().unwrap(),
    ]);
    assert_code(&r, 0, "bpf");
    let bytes = std::fs::read(&bpf).unwrap();
    assert_eq!(bytes.len() % 8, 0);
    assert_eq!(
        &bytes[..8],
        &[0x20, 0, 0, 0, 4, 0, 0, 0],
        "ld [4], little-endian"
    );
    let r = run(&["export", SHIPPED, "--format", "bpf", "--arch", "s390x"]);
    assert_code(&r, 0, "bpf to a pipe");
    assert_eq!(
        &r.stdout[..8],
        &[0, 0x20, 0, 0, 0, 0, 0, 4],
        "ld [4], big-endian"
    );
    let r = run(&["export", SHIPPED, "--format", "oci", "--arch", "x86_64"]);
    assert_code(&r, 0, "oci");
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["defaultAction"], "SCMP_ACT_KILL_PROCESS");
    assert_eq!(v["architectures"][0], "SCMP_ARCH_X86_64");
    // ENOSYS is 38 on x86_64 and 89 on mips64el: one profile cannot say both.
    let r = run(&[
        "export",
        SHIPPED,
        "--format",
        "oci",
        "--arch",
        "x86_64,mips64el",
    ]);
    assert_code(&r, 1, "oci for architectures that differ");
    assert!(
        r.stderr.starts_with(
            "error: `clone3` is not the same rule on every architecture: \
             on x86_64 ERRNO(38); on mips64el ERRNO(89)"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("help: an OCI profile names syscalls, not architectures"),
        "{}",
        r.stderr
    );
    // Without --arch: every architecture one profile can serve, and a note
    // naming the others and why. [base]'s condition on socketpair cannot be
    // kept where libseccomp reaches it through socketcall too; riscv64 and
    // loongarch64 are names not every runtime knows.
    let r = run(&["export", SHIPPED, "--format", "oci"]);
    assert_code(&r, 0, "oci for every architecture it can serve");
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(
        v["architectures"],
        serde_json::json!(["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"])
    );
    assert!(
        r.stderr
            .starts_with("note: the profile covers x86_64, aarch64; not:\n  x86: `socketpair` has conditions on x86, which libseccomp cannot keep"),
        "{}",
        r.stderr
    );
    for line in [
        "\n  riscv64: not every runtime knows its name, SCMP_ARCH_RISCV64",
        "\n  mips64el: `clone3` is not the same rule on every architecture",
        "\nnote: execve and execveat are allowed",
    ] {
        assert!(r.stderr.contains(line), "{line}: {}", r.stderr);
    }
    let r = run(&[
        "export",
        SHIPPED,
        "--format",
        "oci",
        "--arch",
        "x86_64,aarch64,riscv64",
    ]);
    assert_code(&r, 0, "oci for arches that agree");
    let r = run(&[
        "export",
        SHIPPED,
        "--format",
        "oci",
        "-o",
        "/nonexistent-dir/p.json",
    ]);
    assert_code(&r, 1, "unwritable");
    let r = run(&[
        "export",
        SHIPPED,
        "--format",
        "oci",
        "--arch",
        "x86_64",
        "-o",
        "/nonexistent-dir/p.json",
    ]);
    assert_code(&r, 1, "unwritable");
    assert!(
        r.stderr
            .starts_with("error: cannot write `/nonexistent-dir/p.json`"),
        "{}",
        r.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn lint_reports_the_seed_policys_split_families() {
    let r = run(&["lint", SEED]);
    assert_code(&r, 0, "lint");
    let e = &r.stderr;
    for (allowed, missing) in [
        ("`unlinkat`", "`unlink`"),
        ("`unlinkat`", "`rmdir`"),
        ("`mkdirat`", "`mkdir`"),
        ("`renameat` and `renameat2`", "`rename`"),
        ("`linkat`", "`link`"),
        ("`symlinkat`", "`symlink`"),
        ("`fchmodat`", "`chmod`"),
        ("`fchownat`", "`chown`"),
    ] {
        let want = format!(
            "warning[split-family]: `[cap.FILE_IO]` allows {allowed} but not {missing}, which "
        );
        assert!(e.contains(&want), "{want}\n{e}");
    }
    assert!(
        e.contains("warning[cap-adds-nothing]: `[cap.HTML_ESCAPE]` adds nothing beyond `[base]`"),
        "{e}"
    );
    assert!(e.trim_end().ends_with("warnings"), "{e}");
    let r = run(&["lint", SEED, "--deny-warnings"]);
    assert_code(&r, 1, "--deny-warnings");
    assert!(
        r.stderr
            .ends_with("error: warnings denied (--deny-warnings)\n"),
        "{}",
        r.stderr
    );
    let r = run(&["lint", SEED, "--format", "json"]);
    assert_code(&r, 0, "json");
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["errors"], 0);
    assert!(v["warnings"].as_u64().unwrap() >= 8);
    assert_eq!(v["diagnostics"][0]["severity"], "warning");
    let dir = scratch("cli-lint");
    let clean = dir.join("clean.toml");
    std::fs::write(&clean, "[base]\nallow = [\"read\", \"write\"]\n").unwrap();
    let r = run(&["lint", clean.to_str().unwrap(), "--deny-warnings"]);
    assert_code(&r, 0, "clean");
    assert!(r.out().ends_with(": no warnings\n"), "{}", r.out());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `# lint: allow(NAME): REASON` sets a finding apart and the summary
/// counts it; an allowance without a reason, or one that allows nothing,
/// is a warning itself.
#[test]
fn lint_allow_comments_set_findings_apart() {
    let dir = scratch("cli-lint-allow");
    let path = dir.join("p.toml");
    let file = path.to_str().unwrap();
    let policy = "[base]\nallow = [\"read\"]\n\n[cap.SAME]\nallow = []\n";
    std::fs::write(&path, policy).unwrap();
    let r = run(&["lint", file, "--deny-warnings"]);
    assert_code(&r, 1, "unallowed");
    assert!(
        r.stderr
            .contains("warning[cap-adds-nothing]: `[cap.SAME]` adds nothing beyond `[base]`"),
        "{}",
        r.stderr
    );
    let allowed = policy.replace(
        "[cap.SAME]",
        "# lint: allow(cap-adds-nothing): named by harness code\n[cap.SAME]",
    );
    std::fs::write(&path, &allowed).unwrap();
    let r = run(&["lint", file, "--deny-warnings"]);
    assert_code(&r, 0, "allowed");
    assert!(
        r.out().ends_with(
            ": no warnings (1 finding allowed in the file by `# lint: allow` comments)\n"
        ),
        "{}",
        r.out()
    );
    let reasonless = policy.replace("[cap.SAME]", "# lint: allow(cap-adds-nothing)\n[cap.SAME]");
    std::fs::write(&path, reasonless).unwrap();
    let r = run(&["lint", file]);
    assert_code(&r, 0, "reasonless");
    assert!(
        r.stderr
            .contains("warning[lint-allow]: allowing `cap-adds-nothing` needs a reason"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("warning[cap-adds-nothing]"),
        "{}",
        r.stderr
    );
    let stale = format!("# lint: allow(split-family): no longer needed\n{policy}");
    std::fs::write(&path, stale).unwrap();
    let r = run(&["lint", file]);
    assert!(
        r.stderr.contains(
            "warning[lint-allow]: `split-family` is allowed here, but nothing here has it"
        ),
        "{}",
        r.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn hostile_files_give_errors_not_panics() {
    let dir = scratch("cli-hostile");
    let cases: [(&str, &[u8]); 5] = [
        ("empty.toml", b""),
        ("binary.toml", &[0xff, 0xfe, 0x00, 0x1b, b'[', b'\n']),
        ("escape.toml", b"[base]\nallow = [\"\x1b[2Jread\"]\n"),
        ("deep.toml", &[b'['; 5000]),
        (
            "huge-number.toml",
            b"[base]\nallow = [\"ioctl(cmd == 99999999999999999999999)\"]\n",
        ),
    ];
    for (name, bytes) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        for sub in ["check", "lint", "show"] {
            let r = run(&[sub, path.to_str().unwrap()]);
            assert_code(&r, 1, &format!("{sub} {name}"));
            assert!(!r.stderr.contains("panicked"), "{sub} {name}: {}", r.stderr);
            assert!(
                !r.stderr.contains('\x1b'),
                "{sub} {name}: an escape reached the terminal"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `explain` of a call Landlock checks names the files or ports each table
/// lets it reach, as the policy file lists them, and of other calls nothing.
#[test]
fn explain_names_the_files_and_ports_landlock_checks() {
    let dir = scratch("explain-reach");
    let file = dir.join("reach.toml");
    std::fs::write(
        &file,
        "[base]\nallow = [\"openat\", \"read\", \"exit_group\"]\n\
         [base.fs]\nread = [\"/usr\", \"$WORKDIR\"]\nwrite = [\"/dev/null\"]\n\
         [cap.NET]\nallow = [\"connect\", \"socket\"]\n\
         [cap.NET.net]\nconnect = [443, \"$PORTS\"]\n",
    )
    .expect("policy written");
    let file = file.to_str().expect("UTF-8 path");
    let out = run(&["explain", file, "openat"]).out();
    assert!(
        out.contains("files (Landlock, on every architecture): where the filter allows it, it still fails with EACCES on a path the granted tables do not list:\n  [base]: read /usr, $WORKDIR; write /dev/null\n"),
        "{out}"
    );
    assert!(!out.contains("[cap.NET]:"), "{out}");
    let out = run(&["explain", file, "connect"]).out();
    assert!(
        out.contains("on a TCP port the granted tables do not list:\n  [cap.NET]: TCP connect 443, $PORTS; bind nothing\n"),
        "{out}"
    );
    assert!(!out.contains("[base]: read"), "{out}");
    let out = run(&["explain", file, "read"]).out();
    assert!(!out.contains("Landlock"), "{out}");
}
