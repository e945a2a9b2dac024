seccomp_policy::seccomp_policy!("tests/ui/policies/bad_cap_names.toml");

fn main() {}
