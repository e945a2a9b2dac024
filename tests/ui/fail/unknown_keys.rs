// Both typos are reported in one build.
seccomp_policy::seccomp_policy!("tests/ui/policies/unknown_keys.toml");

fn main() {}
