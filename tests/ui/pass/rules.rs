// Conditions, actions and a default: the expansion builds, and its program
// gives the policy's answers for calls with and without the right arguments.
use seccomp_policy::rule::RuleSet;
use seccomp_policy::Arch;

seccomp_policy::seccomp_policy!("tests/ui/policies/rules.toml");

static NET: PolicyProgram = match program(Arch::X86_64, Cap::NET) {
    Ok(p) => p,
    Err(e) => panic!("{}", e.message()),
};

fn main() {
    let x86_64 = POLICY.arch(Arch::X86_64).unwrap();
    assert_eq!(x86_64.default, seccomp_policy::Action::Errno(1));
    let v = |caps: Cap, nr: u32, a0: u64, a1: u64| {
        x86_64.verdict(caps.bits(), RuleSet::EMPTY, nr, &[a0, a1, 0, 0, 0, 0], x86_64.default)
    };
    use seccomp_policy::Action::{Allow, Errno};
    // clone (56) with CLONE_THREAD; clone3 (435) answered ENOSYS (38).
    assert_eq!(v(Cap::NONE, 56, 0x10000, 0), Allow);
    assert_eq!(v(Cap::NONE, 56, 0, 0), Errno(1));
    assert_eq!(v(Cap::NONE, 435, 0, 0), Errno(38));
    // ioctl (16): TIOCSTI refused even with high bits set.
    assert_eq!(v(Cap::NONE, 16, 0, 0x5401), Allow);
    assert_eq!(v(Cap::NONE, 16, 0, 0xffff_ffff_0000_5412), Errno(1));
    // socket (41): AF_NETLINK gets EACCES (13); AF_INET only with NET.
    assert_eq!(v(Cap::NONE, 41, 16, 0), Errno(13));
    assert_eq!(v(Cap::NONE, 41, 2, 0), Errno(1));
    assert_eq!(v(Cap::NET, 41, 2, 0), Allow);
    assert!(NET.len() > 10);
    assert!(BaseProgram::AARCH64.len() > 10);
    assert_eq!(format!("{}", Cap::NET | Cap::NONE), "NET");
}
