// Close names get a suggestion; names no supported architecture has do not.
seccomp_policy::seccomp_policy!("tests/ui/policies/unknown_syscall.toml");

fn main() {}
