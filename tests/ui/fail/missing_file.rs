seccomp_policy::seccomp_policy!("tests/ui/policies/does-not-exist.toml");

fn main() {}
