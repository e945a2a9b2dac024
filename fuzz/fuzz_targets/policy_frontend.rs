//! Any bytes as the policy file give a policy or errors, never a panic.
//!
//! The front-end modules of `seccomp-policy-macro` are compiled in by path
//! under their own names, so their `crate::model`, `crate::tables`, ... paths
//! resolve here exactly as they do in the macro crate.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../seccomp-policy-macro/src/diag.rs"]
mod diag;
#[allow(dead_code)]
#[path = "../../seccomp-policy-macro/src/expand.rs"]
mod expand;
#[allow(dead_code)]
#[path = "../../seccomp-policy-macro/src/model.rs"]
mod model;
#[allow(dead_code)]
#[path = "../../seccomp-policy-macro/src/parse.rs"]
mod parse;
#[allow(dead_code)]
#[path = "../../seccomp-policy-macro/src/resolve.rs"]
mod resolve;
#[allow(dead_code)]
#[path = "../../seccomp-policy-macro/src/suggest.rs"]
mod suggest;
// A module loaded by `#[path]` owns its directory, so `mod x86_64;` inside
// `tables/mod.rs` finds `tables/x86_64.rs` as it does in the macro crate.
#[allow(dead_code)]
#[path = "../../seccomp-policy-macro/src/tables/mod.rs"]
mod tables;

#[path = "../common/checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| {
    if let Ok(source) = std::str::from_utf8(data) {
        let _ = checks::check_source(source, checks::Forms::Both);
    }
    checks::check_file(data);
});
