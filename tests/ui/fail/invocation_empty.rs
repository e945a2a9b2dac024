seccomp_policy::seccomp_policy!();

fn main() {}
