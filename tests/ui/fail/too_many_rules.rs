// Thirty-three conditioned `ioctl` rules once `[cap.TTY]` is granted: a
// program can test at most 32, so the policy is refused as `check` refuses
// it, not when a program for that cap set is built.
seccomp_policy::seccomp_policy!("tests/ui/policies/too_many_rules.toml");

fn main() {}
