// Unknown actions and errnos, and an action that can never apply.
seccomp_policy::seccomp_policy!("tests/ui/policies/actions.toml");

fn main() {}
