// The front-end modules of `seccomp-policy-macro`, compiled in by path under
// their own names so that their `crate::model`, `crate::tables`, ... paths
// resolve as they do in the macro crate, and the checks both targets share.
// Each fuzz target `include!`s this at its crate root; every path below is
// the same from `fuzz/common/` and from `fuzz/fuzz_targets/`.

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
