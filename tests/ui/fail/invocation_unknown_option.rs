seccomp_policy::seccomp_policy!("policy/seccomp.toml", caps = Cap);

fn main() {}
