// A device would be read forever, a directory cannot be: both are refused
// by what they are, before anything is read.
seccomp_policy::seccomp_policy!("/dev/zero");

mod directory {
    seccomp_policy::seccomp_policy!("tests/ui/policies");
}

fn main() {}
