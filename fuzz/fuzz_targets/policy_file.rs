//! Any bytes as a policy file, read and compiled the way every subcommand
//! of the command-line tool does (`compile_file`: the bounded reading of a
//! regular file, the front end, the check that every program can be
//! built), and every error rendered in the tool's formats: never a panic,
//! never a control character on the terminal.

#![no_main]

use libfuzzer_sys::fuzz_target;

use seccomp_policy_fuzz as checks;

fuzz_target!(|data: &[u8]| {
    checks::check_cli_file(data);
});
