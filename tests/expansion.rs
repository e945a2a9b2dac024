//! The expansion's `POLICY` is the front end's lowering, value for value:
//! whatever form the macro writes its tables in, they hold exactly what
//! `seccomp_policy_compiler::compile` makes of the file, on every
//! architecture.

use std::path::Path;

use seccomp_policy::policy::Policy;

mod shipped {
    seccomp_policy::seccomp_policy!("policy/seccomp.toml");
}

mod every_form {
    seccomp_policy::seccomp_policy!("tests/policies/every_form.toml");
}

mod large {
    seccomp_policy::seccomp_policy!("benches/policies/large.toml");
}

mod w_xor_x {
    seccomp_policy::seccomp_policy!("examples/w_xor_x.toml");
}

mod bound {
    /// The caps of `every_form.toml`, declared by hand.
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub struct Caps(u64);

    impl Caps {
        pub const NET: Caps = Caps(1);
        pub const EMPTY: Caps = Caps(2);
        pub const DIRS: Caps = Caps(4);
    }

    impl core::ops::BitAnd for Caps {
        type Output = Caps;
        fn bitand(self, other: Caps) -> Caps {
            Caps(self.0 & other.0)
        }
    }

    seccomp_policy::seccomp_policy!("tests/policies/every_form.toml", cap = Caps);
}

/// Asserts that `policy` is the lowering of the file at `path` (relative to
/// this package).
fn assert_is_lowering(policy: &Policy<'static>, path: &str) {
    let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let compiled = seccomp_policy_compiler::compile(&source)
        .unwrap_or_else(|d| panic!("{path}: {}", d[0].render(path)));
    assert_eq!(policy.file, path);
    let names: Vec<&str> = compiled
        .policy
        .caps
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(policy.cap_names, names, "{path}");
    assert_eq!(policy.arches.len(), compiled.arches.len(), "{path}");
    for (ours, lowered) in policy.arches.iter().zip(&compiled.arches) {
        lowered.with_policy(|lowered| assert_eq!(ours, lowered, "{path}: {}", lowered.arch));
    }
}

#[test]
fn shipped_policy() {
    assert_is_lowering(&shipped::POLICY, "policy/seccomp.toml");
}

#[test]
fn every_form_of_rule() {
    assert_is_lowering(&every_form::POLICY, "tests/policies/every_form.toml");
    assert_is_lowering(&bound::POLICY, "tests/policies/every_form.toml");
}

#[test]
fn large_policy() {
    assert_is_lowering(&large::POLICY, "benches/policies/large.toml");
}

#[test]
fn w_xor_x_policy() {
    assert_is_lowering(&w_xor_x::POLICY, "examples/w_xor_x.toml");
}

/// The README's W^X block: it compiles on every architecture, and its rules
/// are the example policy's, which the kernel test runs.
#[test]
fn readme_w_xor_x_rules_are_the_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let after = &readme[readme.find("**W^X.**").expect("the README's W^X paragraph")..];
    let start = after.find("```toml\n").expect("its toml block") + "```toml\n".len();
    let block = &after[start..start + after[start..].find("```").expect("the block's end")];
    let readme_rules = seccomp_policy_compiler::compile(block)
        .unwrap_or_else(|d| panic!("README W^X block: {}", d[0].render("README.md")));
    assert_eq!(readme_rules.arches.len(), 9);
    let example = std::fs::read_to_string(root.join("examples/w_xor_x.toml")).expect("example");
    let example = seccomp_policy_compiler::compile(&example).expect("the example compiles");
    let sources = |c: &seccomp_policy_compiler::Compiled| -> Vec<String> {
        let base = &c.policy.base;
        base.allow
            .iter()
            .chain(base.actions.iter().map(|a| &a.rule))
            .map(|r| r.source.clone())
            .collect()
    };
    let in_example = sources(&example);
    for rule in sources(&readme_rules) {
        assert!(
            in_example.contains(&rule),
            "{rule} is not in examples/w_xor_x.toml"
        );
    }
}
