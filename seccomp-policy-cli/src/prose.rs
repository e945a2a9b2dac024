//! The prose of `--help`: the tool's and each subcommand's usage line,
//! what it does and its exit codes. The options are listed by clap from
//! their one declaration in `args`.

use crate::exit;
use crate::sub::Sub;

/// The text of the tool's `--help`, or a subcommand's prose: its usage
/// line, what it does, and its exit codes (each [`exit`]'s); the options
/// are the declaration's (`args::Cli`).
pub(crate) fn text(sub: Option<Sub>) -> String {
    let (ok, failed, usage) = (exit::OK, exit::FAILED, exit::USAGE);
    let (tool_failed, cannot_execute, not_found) =
        (exit::TOOL_FAILED, exit::CANNOT_EXECUTE, exit::NOT_FOUND);
    let killed = exit::KILLED_BY_POLICY;
    let Some(sub) = sub else {
        return format!(
            "\
seccomp-policy: check, inspect and export TOML syscall policies

usage: seccomp-policy <SUBCOMMAND> FILE [OPTIONS]
       seccomp-policy run|learn FILE [--cap NAME]... [--report OUT] -- COMMAND [ARG]...

subcommands:
  check     report the policy's errors, as the seccomp_policy! macro would
  show      per architecture: the numbers of each table, the names skipped, the rules
  disasm    the BPF program of an architecture and cap set, one instruction a line
  explain   which tables decide a syscall, how, on which architectures
  simulate  the verdict of one call, and the path it takes through the program
  export    the filter as raw BPF, an OCI or Kubernetes seccomp profile, or a systemd drop-in
  lint      checks that are not errors: split syscall families, dead rules, idle caps
  run       run a command under the policy, naming every call refused in its process tree
  learn     run a command with nothing enforced; list the calls, files and ports it needed beyond its caps
  completions SHELL  a completion script for bash, zsh, fish, elvish or powershell
  man [SUBCOMMAND]  the manual page, in roff (`seccomp-policy man | man -l -`)

options for every subcommand: -h, --help
  --color auto|always|never  colour diagnostics: auto (the default) when stderr is
                  a terminal and NO_COLOR is not set
`seccomp-policy help SUBCOMMAND` or `seccomp-policy SUBCOMMAND --help` for more.

exit codes:
  {ok}    done (check: no errors; lint: no warnings, or warnings without --deny-warnings)
  {failed}    the policy has errors or cannot be read, the program cannot be built,
       the output cannot be written, or lint --deny-warnings found warnings
  {usage}    usage error: unknown subcommand, option, architecture, cap or syscall
run and learn exit as env and timeout do, never {failed} or {usage} of their own:
  {tool_failed}  run or learn itself failed: a usage error, the policy has errors or
       cannot be read, the program cannot be built, the supervisor cannot start
  {cannot_execute}  COMMAND was found but cannot be executed (not executable, a directory, ...)
  {not_found}  COMMAND was not found
  N    otherwise COMMAND's own status; 128 + N when signal N ended it,
       {killed} (128 + SIGSYS) when the policy killed it (see `seccomp-policy run --help`)
"
        );
    };
    match sub {
        Sub::Check => format!(
            "\
usage: seccomp-policy check FILE [--format human|short|json]

Reports every error of the policy, all at once, as the seccomp_policy! macro
does: file:line:col, the message, notes and help, and the error's code
(E0005: docs/error-codes.md says what each means). FILE `-` reads the
policy from standard input.

exit: {ok} no errors, {failed} errors, {usage} usage
"
        ),
        Sub::Show => format!(
            "\
usage: seccomp-policy show FILE [--arch A]...

Per architecture (all, or those given): the default action, each table's
numbers allowed outright, its rules with their conditions (as argument slots)
and actions, and the names that do not exist there.

exit: {ok}, {failed} policy errors, {usage} usage
"
        ),
        Sub::Disasm => format!(
            "\
usage: seccomp-policy disasm FILE [--arch A] [--cap NAME]... [--allow-execve]

The BPF program for an architecture (default: this machine's) and the caps
given (`--cap A --cap B` or `--cap A,B`), one instruction a line: opcode,
jt, jf, k, the instruction with its jump targets as line numbers, and what it
tests (syscall names, argument words, actions). --allow-execve adds execve
as the sandbox's spawn path does.

exit: {ok}, {failed} policy errors or a program that cannot be built, {usage} usage
"
        ),
        Sub::Explain => format!(
            "\
usage: seccomp-policy explain FILE NAME|NUMBER [--arch A]...

Which tables decide the syscall (allowed outright, allowed under a
condition, or an action), on which architectures (all, or those given), and
its number on each. A NUMBER is looked up on each architecture.

exit: {ok}, {failed} policy errors, {usage} usage (unknown syscall)
"
        ),
        Sub::Simulate => format!(
            "\
usage: seccomp-policy simulate FILE [--arch A] [--cap NAME]... NAME|NUMBER [ARG]...

Runs the program of the architecture (default: this machine's) and caps on
one call and prints the verdict and every instruction executed. ARGs are
integers (42, 0x5412, -1) or constants of the policy language (TIOCSTI,
AF_INET); missing ones are 0.

exit: {ok} (whatever the verdict), {failed} policy errors, {usage} usage
"
        ),
        Sub::Export => format!(
            "\
usage: seccomp-policy export FILE --format bpf|oci|kubelet|k8s|systemd [--arch A]...
                             [--cap NAME]... [--name NAME] [-o OUT]

Every format but bpf allows execve and execveat: the runtime or service
manager loads the filter, then execs the program. A runtime loads it right
before that exec only with noNewPrivileges (Kubernetes:
allowPrivilegeEscalation: false); without it, it loads it earlier and
needs more calls than a policy allows.

exit: {ok}, {failed} policy errors, a program or profile that cannot be made, or a
write error, {usage} usage
"
        ),
        Sub::Lint => format!(
            "\
usage: seccomp-policy lint FILE [--format human|short|json] [--deny-warnings]

Checks that are not errors: split-family (one syscall of a family libc
chooses between is allowed, another is not), never-matches, shadowed-action,
redundant-rule, cap-adds-nothing. --format as for `check`; a warning's code
is its check's name. FILE `-` reads the policy from standard input.

exit: {ok} (warnings are printed), {failed} policy errors or, with --deny-warnings,
any warning, {usage} usage
"
        ),
        Sub::Run => format!(
            "\
usage: seccomp-policy run FILE [--cap NAME]... [--var NAME=VALUE]... [--allow-degraded] [--report OUT] -- COMMAND [ARG]...

Runs COMMAND under FILE's policy for this machine's architecture: its [base]
rules, those of each cap given (`--cap A --cap B` or `--cap A,B`), and the
execve that starts COMMAND. Every process COMMAND starts inherits the filter.
A call the policy refuses never runs: an errno rule fails it with its errno,
anything else kills the process that made it. A supervisor in this process
names each one on stderr as it answers it, anywhere in COMMAND's process
tree, then how COMMAND ended:

  seccomp-policy: denied: PROGRAM [pid N]: SYSCALL(ARGS) on ARCH: CAPS; ANSWER
  seccomp-policy: caps CAPS: `COMMAND` ENDING; LANDLOCK

where CAPS after the call says which caps would allow it (or that none
would), and LANDLOCK what the Landlock domain COMMAND ran in enforced. FILE
is read and checked when the command is run; its errors are reported as
`check` reports them, and nothing runs.

A flood of denials is not written line by line: once a program has had the
same call refused 3 times within a second, later ones are counted, summed up
once a second (`denied: SYSCALL x N more from PROGRAM [pid N] in T s`), at
most 20 lines a second in all, and their totals written at the end
(`denied: SYSCALL x N in all from PROGRAM [pid N] (M shown in full)`).

COMMAND runs in a Landlock domain, entered before the filter: it cannot
ptrace or read the memory of, signal, or reach the abstract unix sockets
of, any process outside it (this tool included), whatever its uid, and
cannot make device nodes. The `fs` and `net` tables of [base] and the
caps given confine its files beneath the paths they list and its TCP
connect and bind to the ports they list; a refused open or connect fails
with EACCES, which is not named here (the supervisor does not see it).
Their variables take the values of `--var NAME=VALUE` (`--var
PORTS=8080,8443`, `--var WORKDIR=/srv/job`); WORKDIR defaults to the
current directory, TMPDIR to $TMPDIR or /tmp, PORTS to `*` (any). That
needs Landlock ABI 6 (Linux 6.12); on an older kernel, or one without
Landlock, run refuses to start COMMAND unless --allow-degraded is given,
and then runs it with what the kernel has.

COMMAND runs with this tool's standard streams, in a session of its own (no
controlling terminal). SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to this tool
are passed on to COMMAND's process group (a second one kills the group);
one that comes while COMMAND is not running (before it starts, after it
ended) ends this tool itself, killed by that signal: a shell reports
128 + N, 143 for SIGTERM. When COMMAND ends, whatever it left running in
its group is killed. Needs
Linux 6.12 (5.6 with --allow-degraded: seccomp user notification and
pidfd_getfd); no privilege.

exit, as for env and timeout:
  {tool_failed}  this tool failed: a usage error (an unknown cap, no command), FILE
       has errors or cannot be read, the program cannot be built, or the
       supervisor cannot start (on this kernel, or for this user)
  {cannot_execute}  COMMAND was found but cannot be executed: not executable, a
       directory, permission denied, not a format this machine runs
  {not_found}  COMMAND was not found: no such file, not in PATH, or the interpreter
       its #! line names is missing
  N    otherwise COMMAND's own status; 128 + N when signal N ended it;
       {killed} (128 + SIGSYS) when the policy killed it
{tool_failed}, {cannot_execute} and {not_found} come with an `error:` line saying what is wrong. COMMAND
may exit with those itself: only when it ran does stderr end with the
`seccomp-policy: caps` line. {tool_failed} also when COMMAND ran but the supervisor
failed (it kills COMMAND's process group when it cannot refuse a call as the
policy says; no refused call runs), or OUT could not be written: the
`error:` line comes after the `caps` line then.
"
        ),
        Sub::Learn => format!(
            "\
usage: seccomp-policy learn FILE [--cap NAME]... [--var NAME=VALUE]... [--allow-degraded] [--report OUT] [--write POLICY | --merge] [--into CAP] [--calls-only] [--format human|json] -- COMMAND [ARG]...

Runs COMMAND as `run` does, but KILLS NOTHING: a call the policy would kill
runs; one it refuses with an errno gets that errno, as under `run`, and
COMMAND goes on as it would there. Each syscall COMMAND's process tree
makes beyond the grant ([base], the caps given, and the execve that starts
COMMAND) is counted with the arguments it had; at the end stderr lists
what would have been killed, grouped by the caps that allow every call of
it seen, apart from what was refused with an errno, then the `--cap`
options to add and, for the rest, the narrowest rules that allow every
call seen (by the arguments the policy tells apart for that call, as
`socket(family == AF_UNIX)`), each checked against those calls first.
Then the files COMMAND reached beyond the grant's `fs` tables, which `run`
would fail with EACCES: each file read, executed or written, and each
directory an entry was made in or removed from (a unix socket bound to a
path is an entry made; symlinks resolved), with
the cap whose `fs` tables grant it or the entry to add to `read` or
`write` of [base.fs]. Then the TCP ports COMMAND connected to or bound
beyond the grant's `net` tables, which `run` would also fail with EACCES
(TCP sockets only, as Landlock checks; a bind to port 0 is port 0), with
the cap whose `net` tables grant it or the port to add to `connect` or
`bind` of [base.net]. Each call naming a path, and each connect and bind,
goes to the supervisor for that, a round trip per `open`; --calls-only
learns system calls only, and lets those calls run without it.
--write POLICY writes FILE with those rules added to [base]'s `allow`
and those paths to [base.fs] and ports to [base.net], its comments and
layout kept, once the
result is checked to compile and allow every call seen; --merge writes
them into FILE itself; with --into CAP they go to [cap.CAP]'s `allow`,
[cap.CAP.fs] and [cap.CAP.net] instead (the tables made if FILE has none), and only runs
given --cap CAP get them. --format json
prints the advice as one JSON object, the last line on stdout. Use it to
find out what a command needs, never to contain one. Files and ports are
not confined, but COMMAND still runs in a Landlock domain that keeps it
from processes outside (and --allow-degraded is taken as for `run`): the
payload is untrusted even when its calls are not refused.
--report OUT writes, as for `run`, the first call of each syscall beyond
the grant.

exit, as for `run`: {tool_failed} this tool failed (usage, policy errors, no
supervisor, the supervisor failed while COMMAND ran, OUT or POLICY not
written), {cannot_execute} COMMAND was found but cannot be executed, {not_found} COMMAND was not
found; otherwise COMMAND's own status, 128 + N when signal N ended it
"
        ),
    }
}
