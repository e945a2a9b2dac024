seccomp_policy::seccomp_policy!("tests/ui/policies/wrong_types.toml");

fn main() {}
