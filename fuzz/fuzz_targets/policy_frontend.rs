//! Any bytes as the policy file give a policy or errors, never a panic.
//!
//! The front-end modules of `seccomp-policy-macro` are compiled in by path
//! under their own names, so their `crate::model`, `crate::tables`, ... paths
//! resolve here exactly as they do in the macro crate.

#![no_main]

use libfuzzer_sys::fuzz_target;

// The front-end modules and the shared checks, at the crate root.
include!("../common/frontend.rs");

fuzz_target!(|data: &[u8]| {
    if let Ok(source) = std::str::from_utf8(data) {
        let _ = checks::check_source(source, checks::Forms::Both);
    }
    checks::check_file(data);
});
