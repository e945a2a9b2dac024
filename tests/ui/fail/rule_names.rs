// Parameters, constants, pointers and widths that do not resolve.
seccomp_policy::seccomp_policy!("tests/ui/policies/rule_names.toml");

fn main() {}
