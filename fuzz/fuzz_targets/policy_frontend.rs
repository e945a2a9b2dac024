//! Any bytes as the policy file give a policy or errors, never a panic.
//!
//! The front end is the `seccomp-policy-compiler` library, as the macro and
//! the command-line tool use it.

#![no_main]

use libfuzzer_sys::fuzz_target;

// The checks both targets share, in this package's library.
use seccomp_policy_fuzz as checks;

fuzz_target!(|data: &[u8]| {
    if let Ok(source) = std::str::from_utf8(data) {
        let _ = checks::check_source(source);
    }
    checks::check_file(data);
});
