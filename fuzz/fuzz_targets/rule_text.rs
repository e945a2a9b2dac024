//! Any text as a rule string: the expression parser and the lowering give a
//! rule or errors, never a panic. A rule that parses prints in a normal form
//! that parses back to the same rule, and every error points inside the
//! text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use seccomp_policy_compiler::expr::parse_rule;
use seccomp_policy_fuzz as checks;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_rule(text) {
        Ok(rule) => {
            let normal = rule.to_string();
            let again = parse_rule(&normal).unwrap_or_else(|e| {
                panic!("{text:?} printed as {normal:?}, which does not parse: {e:?}")
            });
            assert_eq!(again.to_string(), normal, "normal form of {text:?}");
            assert!(rule.syscall.span.end <= text.len());
        }
        Err(e) => {
            assert!(
                e.span.start <= e.span.end && e.span.end <= text.len(),
                "{e:?}"
            );
            assert!(text.is_char_boundary(e.span.start), "{e:?}");
            assert!(!e.message.is_empty());
        }
    }
    // The same text in a policy, as an allow rule and as an action's key,
    // through the whole front end (lowering on every architecture); the
    // other targets build programs from what lowers.
    let escaped: String = text.chars().flat_map(char::escape_default).collect();
    let policy = format!(
        "[base]\nallow = [\"read\", \"{escaped}\"]\n[cap.X]\nactions = {{ \"{escaped}\" = \"EPERM\" }}\n"
    );
    if let Err(diags) = seccomp_policy_compiler::compile(&policy) {
        assert!(!diags.is_empty());
        for d in &diags {
            let _ = d.render(checks::DISPLAY);
        }
    }
});
