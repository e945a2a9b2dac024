seccomp_policy::seccomp_policy!("tests/ui/policies/duplicate.toml");

fn main() {}
