seccomp_policy::seccomp_policy!("tests/ui/policies/syntax.toml");

fn main() {}
