//! Real programs spawned under real filters with `CommandExt::seccomp` and
//! `CommandExt::sandbox`, built by the crate's builder. Each filter is
//! attached in the child `Command` forks; the test runner is never filtered.
//!
//! x86_64 only. Runs under the suite's harness (`harness = false`): a test
//! whose precondition is missing (`/usr/bin/python3`) is reported as
//! ignored.

seccomp_policy_suite::tests![
    #[cfg(target_arch = "x86_64")]
    x86_64::true_exits_zero,
    #[cfg(target_arch = "x86_64")]
    x86_64::spawn_program_adds_execve,
    #[cfg(target_arch = "x86_64")]
    x86_64::without_execve_the_exec_itself_is_killed,
    #[cfg(target_arch = "x86_64")]
    x86_64::true_lacking_mmap_is_killed,
    #[cfg(target_arch = "x86_64")]
    x86_64::shell_echo,
    #[cfg(target_arch = "x86_64")]
    x86_64::python_mkdir_is_killed,
    #[cfg(target_arch = "x86_64")]
    x86_64::install_failure_is_the_spawn_error,
];

#[cfg(target_arch = "x86_64")]
mod x86_64 {
    use std::io::ErrorKind;
    use std::process::{Command, Stdio};

    use seccomp_policy::bpf::{SockFilter, BPF_ABS, BPF_LD, BPF_MAXINSNS, BPF_W};
    use seccomp_policy::builder::build;
    use seccomp_policy::policy::Policy;
    use seccomp_policy::rule::{Action, RuleSet};
    use seccomp_policy::spawn::{
        spawn_program, CommandExt as _, Outcome, SpawnProgramError, EXECVE,
    };
    use seccomp_policy::{Arch, Program};
    use seccomp_policy_suite::harness::{require, Checked};
    use seccomp_policy_suite::to_program;

    const fn nr(n: libc::c_long) -> u32 {
        n as u32
    }

    /// The shipped policy, as the macro expands it.
    mod shipped {
        seccomp_policy::seccomp_policy!("policy/seccomp.toml");
    }

    /// `[base]` of the shipped policy/seccomp.toml, native numbers, sorted.
    fn base() -> &'static [u32] {
        shipped::POLICY
            .native()
            .expect("policy compiled for x86_64")
            .base
            .allow
    }

    const CAPACITY: usize = BPF_MAXINSNS;

    fn sorted(numbers: impl IntoIterator<Item = u32>) -> Vec<u32> {
        let mut v: Vec<u32> = numbers.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// `[base]` without one call.
    fn base_without(nr: u32) -> Vec<u32> {
        base().iter().copied().filter(|&n| n != nr).collect()
    }

    /// A program allowing exactly the union of `sets`, everything else killed.
    fn program(sets: &[&[u32]]) -> Program<CAPACITY> {
        let sets: Vec<Vec<u32>> = sets.iter().map(|s| sorted(s.iter().copied())).collect();
        let sets: Vec<RuleSet<'_>> = sets
            .iter()
            .map(|s| RuleSet {
                allow: s,
                rules: &[],
            })
            .collect();
        build::<CAPACITY>(Arch::X86_64, &sets, Action::KillProcess).expect("build")
    }

    fn output(cmd: &mut Command) -> (Outcome, String) {
        let out = cmd
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .expect("spawn");
        (
            Outcome::from(out.status),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    /// Runs `cmd` under `prog`, returning how it ended and its stdout.
    fn run(cmd: &mut Command, prog: &Program<CAPACITY>) -> (Outcome, String) {
        output(cmd.seccomp(*prog))
    }

    /// Runs `cmd` sandboxed by the shipped policy with no caps.
    fn run_base(cmd: &mut Command) -> (Outcome, String) {
        output(cmd.sandbox(&shipped::POLICY, 0).expect("program"))
    }

    /// `/bin/true` runs to completion under `[base]` (`sandbox` adds the
    /// execve exception).
    /// Without `pread64`, which glibc's loader uses to read ELF notes, even
    /// `/bin/true` is killed before `main`.
    pub fn true_exits_zero() {
        let (outcome, _) = run_base(&mut Command::new("/bin/true"));
        assert_eq!(outcome, Outcome::Exited(0));
        let prog = program(&[&base_without(nr(libc::SYS_pread64)), &[EXECVE]]);
        let (outcome, _) = run(&mut Command::new("/bin/true"), &prog);
        assert_eq!(outcome, Outcome::KilledBySeccomp);
    }

    /// `spawn_program` adds exactly `execve` to what the policy allows.
    pub fn spawn_program_adds_execve() {
        let p: Program<CAPACITY> = spawn_program(&shipped::POLICY, 0, Action::KillProcess).unwrap();
        let native = shipped::POLICY.native().unwrap();
        let execve = RuleSet {
            allow: &[EXECVE],
            rules: &[],
        };
        assert_eq!(
            p,
            build::<CAPACITY>(Arch::X86_64, &[native.base, execve], Action::KillProcess).unwrap()
        );
        let none = Policy {
            file: "none",
            cap_names: &[],
            arches: &[],
            reach: &[],
        };
        assert_eq!(
            spawn_program::<CAPACITY>(&none, 0, Action::KillProcess),
            Err(SpawnProgramError::NoNativeArch)
        );
    }

    /// Without the execve exception the child is killed at the very `execve`
    /// that would start the program: spawning does not fail, the child just
    /// dies by SIGSYS.
    pub fn without_execve_the_exec_itself_is_killed() {
        let (outcome, _) = run(&mut Command::new("/bin/true"), &program(&[base()]));
        assert_eq!(outcome, Outcome::KilledBySeccomp);
    }

    /// `/bin/true` under a filter missing a call it needs (`mmap`, used by the
    /// loader) is killed by SIGSYS, and the outcome says so plainly.
    pub fn true_lacking_mmap_is_killed() {
        let prog = program(&[&base_without(nr(libc::SYS_mmap)), &[EXECVE]]);
        let (outcome, _) = run(&mut Command::new("/bin/true"), &prog);
        assert_eq!(outcome, Outcome::KilledBySeccomp);
        assert_eq!(
            outcome.to_string(),
            "killed by SIGSYS: it made a system call outside the policy"
        );
    }

    /// `sh -c 'echo hi'` (dash) prints and exits 0 under `[base]`; without
    /// `getppid` (dash reads it for `$PPID`) it is killed before printing.
    pub fn shell_echo() {
        let mut sh = Command::new("/bin/sh");
        sh.args(["-c", "echo hi"]);
        assert_eq!(run_base(&mut sh), (Outcome::Exited(0), "hi\n".to_owned()));
        let mut sh = Command::new("/bin/sh");
        sh.args(["-c", "echo hi"]);
        let prog = program(&[&base_without(nr(libc::SYS_getppid)), &[EXECVE]]);
        assert_eq!(
            run(&mut sh, &prog),
            (Outcome::KilledBySeccomp, String::new())
        );
    }

    /// Debian's interpreter.
    const PYTHON: &str = "/usr/bin/python3";

    fn python(code: &str) -> Command {
        let mut py = Command::new(PYTHON);
        // -I: ignore PYTHON* variables and the user site directory, so the
        // calls made do not depend on the runner's environment.
        py.args(["-I", "-c", code]);
        py
    }

    /// Python runs under `[base]`, is killed at start-up without `sysinfo`
    /// (glibc's qsort asks for the machine's memory), and is killed when it
    /// makes a directory, which `[base]` does not allow.
    pub fn python_mkdir_is_killed() -> Checked {
        require::program(PYTHON)?;
        assert_eq!(
            run_base(&mut python("print(1)")),
            (Outcome::Exited(0), "1\n".to_owned())
        );
        let prog = program(&[&base_without(nr(libc::SYS_sysinfo)), &[EXECVE]]);
        assert_eq!(
            run(&mut python("print(1)"), &prog).0,
            Outcome::KilledBySeccomp
        );
        let code =
            "import os\nprint('before', flush=True)\nos.mkdir('/nonexistent/x')\nprint('after')";
        assert_eq!(
            run_base(&mut python(code)),
            (Outcome::KilledBySeccomp, "before\n".to_owned())
        );
        Ok(())
    }

    /// A filter the install refuses makes the spawn itself fail, with the errno:
    /// an empty program (refused before the system call) and one the kernel's
    /// checker rejects both give EINVAL.
    pub fn install_failure_is_the_spawn_error() {
        let empty = Program::<CAPACITY>::empty();
        let err = Command::new("/bin/true")
            .seccomp(empty)
            .spawn()
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err}");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);

        let no_return: Program<CAPACITY> =
            to_program(&[SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, 0)]);
        let err = Command::new("/bin/true")
            .seccomp(no_return)
            .spawn()
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err}");
    }
}
