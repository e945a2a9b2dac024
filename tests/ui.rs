//! Compile-time behaviour of `seccomp_policy!`, pinned with trybuild: every
//! kind of policy mistake and its exact message (tests/ui/fail/*.stderr),
//! and policies that must compile and run (tests/ui/pass).

#[test]
fn ui() {
    // trybuild compiles each case in a scratch crate under target/; policy
    // paths in the cases are relative to this workspace instead.
    std::env::set_var("SECCOMP_POLICY_MANIFEST_DIR", env!("CARGO_MANIFEST_DIR"));
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
