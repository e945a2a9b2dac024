// The policy declares [cap.NET] and [cap.EXEC]; this type lacks EXEC.
mod labels {
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub struct Cap(pub u32);

    impl Cap {
        pub const NET: Cap = Cap(1);
        pub const FILE: Cap = Cap(2);
    }

    impl core::ops::BitAnd for Cap {
        type Output = Cap;
        fn bitand(self, other: Cap) -> Cap {
            Cap(self.0 & other.0)
        }
    }
}

seccomp_policy::seccomp_policy!("tests/ui/policies/two_caps.toml", cap = labels::Cap);

fn main() {}
