// Files and ports: a relative path, an unknown variable, a port out of range.
seccomp_policy::seccomp_policy!("tests/ui/policies/reach.toml");

fn main() {}
