// The bound form takes the caps from a type declared elsewhere.
mod labels {
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub struct Cap(pub u32);

    impl Cap {
        pub const NET: Cap = Cap(1 << 4);
        pub const EXEC: Cap = Cap(1 << 9);
        pub const UNUSED: Cap = Cap(1 << 1);
    }

    impl core::ops::BitAnd for Cap {
        type Output = Cap;
        fn bitand(self, other: Cap) -> Cap {
            Cap(self.0 & other.0)
        }
    }
}

mod policy {
    seccomp_policy::seccomp_policy!("tests/ui/policies/two_caps.toml", cap = crate::labels::Cap);
}

fn main() {
    use labels::Cap;
    assert_eq!(policy::POLICY.cap_names, ["NET", "EXEC"]);
    assert_eq!(policy::cap_bits(Cap::NET), 0b01);
    assert_eq!(policy::cap_bits(Cap::EXEC), 0b10);
    assert_eq!(policy::cap_bits(Cap(Cap::NET.0 | Cap::EXEC.0)), 0b11);
    assert_eq!(policy::cap_bits(Cap::UNUSED), 0);
    let prog = policy::program(seccomp_policy::Arch::X86_64, policy::cap_bits(Cap::NET));
    assert!(prog.is_ok());
    // `open` exists on x86_64 but not on aarch64.
    let aarch64 = policy::POLICY.arch(seccomp_policy::Arch::Aarch64).unwrap();
    assert_eq!(aarch64.missing, ["open"]);
}
