seccomp_policy::seccomp_policy!("tests/ui/policies/not_utf8.toml");

fn main() {}
