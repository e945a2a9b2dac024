//! Diagnostics of the policy file as `compile_error!` items.

use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;
use seccomp_policy_compiler::Diagnostic;

/// One `compile_error!` per diagnostic, all at `span` (the macro's string
/// literal), so that every error of the policy shows up in the same build.
///
/// The result is a sequence of brace-delimited macro calls, valid where items
/// or statements are; a caller in expression position wraps it in a block.
pub fn to_compile_errors(diags: &[Diagnostic], file: &str, span: Span) -> TokenStream {
    diags
        .iter()
        .map(|diag| {
            let text = diag.render(file);
            quote_spanned!(span=> ::core::compile_error! { #text })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccomp_policy_compiler::model::Loc;

    fn loc(line: usize, col: usize) -> Loc {
        Loc { line, col }
    }

    #[test]
    fn emits_one_compile_error_per_diagnostic() {
        let diags = [
            Diagnostic::at(loc(1, 1), "first"),
            Diagnostic::at(loc(2, 3), "second `x`").with_help("do \"this\""),
        ];
        let tokens = to_compile_errors(&diags, "a.toml", Span::call_site());
        assert_eq!(
            tokens.to_string(),
            r#":: core :: compile_error ! { "a.toml:1:1: first" } :: core :: compile_error ! { "a.toml:2:3: second `x`\nhelp: do \"this\"" }"#
        );
        assert!(to_compile_errors(&[], "a.toml", Span::call_site()).is_empty());
    }
}
