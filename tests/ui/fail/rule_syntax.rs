// Malformed conditions: every error points inside its rule string, in one build.
seccomp_policy::seccomp_policy!("tests/ui/policies/rule_syntax.toml");

fn main() {}
