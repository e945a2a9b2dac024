seccomp_policy::seccomp_policy!(policy/seccomp.toml);

fn main() {}
