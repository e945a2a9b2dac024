// With `[cap.BIG]` the program needs more instructions than the kernel
// takes: the policy is refused with the rule that takes it over.
seccomp_policy::seccomp_policy!("tests/ui/policies/too_long.toml");

fn main() {}
