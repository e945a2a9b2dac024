//! `run` and `learn`: a command under the policy, supervised.
//!
//! The policy is read from the file when the command is run, through the
//! same front end as every other subcommand; the supervision itself is the
//! runtime library's (`seccomp_policy::supervise::session`, which the
//! sandbox example runs too): one session for the command's tree, signals
//! passed on to it, every refused call named on stderr.

use std::process::Command;

use seccomp_policy::policy::{ArchPolicy, Policy};
use seccomp_policy::rule::{Rule, RuleSet, When};
use seccomp_policy::supervise::{session, Mode, Supervisor};
use seccomp_policy_compiler::Compiled;
use seccomp_policy_core::{syscalls, Arch};

use crate::args::{Options, Sub};
use crate::commands::{arch_rules, cap_bits, failed, load};
use crate::Failure;

/// The prefix of every line the supervision writes on stderr.
const PREFIX: &str = "seccomp-policy";

/// Runs `run` or `learn`; the exit code to pass on.
pub fn run(sub: Sub, o: &Options) -> Result<u8, Failure> {
    // First, before any thread is started: the signals passed on to the
    // command are blocked in every thread but the one that takes them. A
    // failure is reported by `run_and_report`, which asks again, before
    // anything runs.
    let _ = session::forward_signals();
    let compiled = load(o)?;
    let caps = cap_bits(sub, &compiled, &o.caps)?;
    let Some(arch) = Arch::NATIVE else {
        return Err(failed(
            "error: this machine's architecture is not one seccomp-policy supports",
        ));
    };
    let policy = native_policy(&o.file, &compiled, arch)?;
    let mode = if sub == Sub::Learn {
        Mode::Learn
    } else {
        Mode::Enforce
    };
    let (program, args) = o
        .command
        .split_first()
        .ok_or_else(|| failed("error: no command given"))?;
    let mut command = Command::new(program);
    command.args(args);
    let supervisor = Supervisor::new(&policy, caps, syscalls::name).mode(mode);
    Ok(session::run_and_report(supervisor, command, PREFIX))
}

/// The policy as the supervisor takes it: a [`Policy`] with every cap's
/// name and `arch`'s rules (the only ones it reads), as `seccomp_policy!`
/// would have emitted them.
///
/// The supervisor keeps a `Policy<'static>` for the life of its thread,
/// the const tables of the macro's expansion. Here the tables are made
/// while the process runs, so they are leaked: this process compiles one
/// policy, runs one command and exits, and the leak is that one policy's
/// rules on one architecture (a few kilobytes), made once.
fn native_policy(file: &str, compiled: &Compiled, arch: Arch) -> Result<Policy<'static>, Failure> {
    let rules = arch_rules(compiled, arch)?;
    let native = rules.with_policy(leak_arch_policy);
    let cap_names: Vec<&'static str> = compiled
        .policy
        .caps
        .iter()
        .map(|c| leak_str(&c.name))
        .collect();
    Ok(Policy {
        file: leak_str(file),
        cap_names: cap_names.leak(),
        arches: vec![native].leak(),
    })
}

/// A copy of `p` whose tables live as long as the process (see
/// [`native_policy`]).
fn leak_arch_policy(p: &ArchPolicy<'_>) -> ArchPolicy<'static> {
    let caps: Vec<RuleSet<'static>> = p.caps.iter().map(leak_rule_set).collect();
    let missing: Vec<&'static str> = p.missing.iter().map(|m| leak_str(m)).collect();
    ArchPolicy {
        arch: p.arch,
        default: p.default,
        base: leak_rule_set(&p.base),
        caps: caps.leak(),
        missing: missing.leak(),
    }
}

fn leak_rule_set(set: &RuleSet<'_>) -> RuleSet<'static> {
    let rules: Vec<Rule<'static>> = set
        .rules
        .iter()
        .map(|r| Rule {
            nr: r.nr,
            when: match r.when {
                When::Always => When::Always,
                When::AnyOf(alternatives) => {
                    let alternatives: Vec<&'static [_]> = alternatives
                        .iter()
                        .map(|all_of| &*all_of.to_vec().leak())
                        .collect();
                    When::AnyOf(alternatives.leak())
                }
            },
            action: r.action,
            order: r.order,
        })
        .collect();
    RuleSet {
        allow: set.allow.to_vec().leak(),
        rules: rules.leak(),
    }
}

fn leak_str(s: &str) -> &'static str {
    s.to_owned().leak()
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccomp_policy_compiler::compile;

    /// The leaked copy is the policy the front end made: the same program
    /// for every cap set, and the same names.
    #[test]
    fn the_native_policy_builds_the_front_ends_programs() {
        let text = "\
default = \"kill-process\"
[base]
allow = [\"read\", \"write\", \"exit_group\", \"ioctl(cmd != TIOCSTI)\"]
[base.actions]
socket = \"EPERM\"
[cap.NET]
allow = [\"socket(family == AF_INET || family == AF_INET6)\", \"connect\"]
[cap.FILES]
allow = [\"mkdir\", \"mkdirat\", \"unlinkat(flag == 0)\"]
";
        let compiled = compile(text).expect("the policy compiles");
        for arch in Arch::ALL {
            let policy = native_policy("p.toml", &compiled, arch).unwrap();
            assert_eq!(policy.file, "p.toml");
            assert_eq!(policy.cap_names, ["NET", "FILES"]);
            let leaked = policy.arch(arch).expect("the architecture is there");
            let rules = arch_rules(&compiled, arch).unwrap();
            rules.with_policy(|p| {
                assert_eq!(*leaked, *p, "{arch}");
                for caps in 0..4 {
                    let a = leaked.program::<256>(caps, RuleSet::EMPTY, leaked.default);
                    let b = p.program::<256>(caps, RuleSet::EMPTY, p.default);
                    assert_eq!(
                        a.map(|p| p.as_slice().to_vec()),
                        b.map(|p| p.as_slice().to_vec()),
                        "{arch}, caps {caps:#b}"
                    );
                }
            });
        }
    }
}
