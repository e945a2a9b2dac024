//! The macro's own arguments: `seccomp_policy!("policy/seccomp.toml")`, or the
//! bound form `seccomp_policy!("policy/seccomp.toml", cap = some::path::Cap)`
//! that binds the policy's caps to a type the user already has.

use proc_macro2::TokenStream;
use syn::parse::{Parse, ParseStream};
use syn::{Lit, LitStr, Token};

const EXPECTED_PATH: &str = "expected a string literal path to the policy file, \
     like seccomp_policy!(\"policy/seccomp.toml\")";

/// What the macro was asked to do.
pub struct Invocation {
    /// The policy file's path, relative to the invoking crate's
    /// `CARGO_MANIFEST_DIR`; its span is where policy errors are reported.
    pub path: LitStr,
    /// `cap = path::to::CapType`: the existing type the caps are bound to.
    pub bound_cap_type: Option<syn::Path>,
}

/// Parses the tokens given to `seccomp_policy!`.
pub fn parse_invocation(input: TokenStream) -> syn::Result<Invocation> {
    syn::parse2(input)
}

impl Parse for Invocation {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error(EXPECTED_PATH));
        }
        let path = match input.parse::<Lit>() {
            Ok(Lit::Str(lit)) => lit,
            Ok(other) => return Err(syn::Error::new(other.span(), EXPECTED_PATH)),
            Err(_) => return Err(syn::Error::new(input.span(), EXPECTED_PATH)),
        };
        if !path.suffix().is_empty() {
            return Err(syn::Error::new(
                path.span(),
                format!(
                    "unexpected suffix `{}` on the policy path; remove it",
                    path.suffix()
                ),
            ));
        }
        if path.value().is_empty() {
            return Err(syn::Error::new(
                path.span(),
                "the policy path is empty; give the policy file's path relative to \
                 the crate's Cargo.toml, like \"policy/seccomp.toml\"",
            ));
        }

        let mut bound_cap_type: Option<syn::Path> = None;
        while !input.is_empty() {
            if !input.peek(Token![,]) {
                let after = if bound_cap_type.is_some() {
                    "`cap = ...`"
                } else {
                    "the policy path"
                };
                return Err(input.error(format!(
                    "expected `,` or the end of the macro input after {after}; \
                     the only option is `cap = path::to::CapType`"
                )));
            }
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let option: syn::Ident = match input.call(syn::ext::IdentExt::parse_any) {
                Ok(ident) => ident,
                Err(_) => {
                    return Err(
                        input.error("expected an option after `,`, like `cap = path::to::CapType`")
                    )
                }
            };
            if option != "cap" {
                return Err(syn::Error::new(
                    option.span(),
                    format!("unknown option `{option}`; expected `cap = path::to::CapType`"),
                ));
            }
            if bound_cap_type.is_some() {
                return Err(syn::Error::new(
                    option.span(),
                    "`cap` is given twice; keep only one `cap = path::to::CapType`",
                ));
            }
            if !input.peek(Token![=]) {
                return Err(input.error("expected `=` after `cap`, like `cap = path::to::CapType`"));
            }
            input.parse::<Token![=]>()?;
            let ty = input.call(syn::Path::parse_mod_style).map_err(|_| {
                input
                    .error("expected a path to the cap type after `cap =`, like `cap = crate::Cap`")
            })?;
            bound_cap_type = Some(ty);
        }
        Ok(Invocation {
            path,
            bound_cap_type,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::{quote, ToTokens};
    use std::str::FromStr;

    fn parse(src: &str) -> syn::Result<Invocation> {
        parse_invocation(TokenStream::from_str(src).expect("test input lexes"))
    }

    fn error(src: &str) -> String {
        match parse(src) {
            Ok(inv) => panic!("`{src}` parsed as `{}`", inv.path.value()),
            Err(err) => err.to_string(),
        }
    }

    fn path_text(inv: &Invocation) -> Option<String> {
        inv.bound_cap_type
            .as_ref()
            .map(|p| p.to_token_stream().to_string().replace(' ', ""))
    }

    #[test]
    fn parses_a_path_alone() {
        let inv = parse(r#""policy/seccomp.toml""#).unwrap();
        assert_eq!(inv.path.value(), "policy/seccomp.toml");
        assert!(inv.bound_cap_type.is_none());
        let inv = parse(r#""policy/seccomp.toml","#).unwrap();
        assert!(inv.bound_cap_type.is_none());
        let inv = parse(r##"r#"p.toml"#"##).unwrap();
        assert_eq!(inv.path.value(), "p.toml");
    }

    #[test]
    fn parses_the_bound_form() {
        let inv =
            parse_invocation(quote!("policy/seccomp.toml", cap = crate::labels::Cap)).unwrap();
        assert_eq!(inv.path.value(), "policy/seccomp.toml");
        assert_eq!(path_text(&inv).as_deref(), Some("crate::labels::Cap"));
        let inv = parse(r#""p.toml", cap = ::x::Cap,"#).unwrap();
        assert_eq!(path_text(&inv).as_deref(), Some("::x::Cap"));
        let inv = parse(r#""p.toml", cap = Cap"#).unwrap();
        assert_eq!(path_text(&inv).as_deref(), Some("Cap"));
    }

    #[test]
    fn rejects_a_missing_or_wrong_path() {
        let expected = "expected a string literal path to the policy file, \
                        like seccomp_policy!(\"policy/seccomp.toml\")";
        assert_eq!(error(""), format!("unexpected end of input, {expected}"));
        assert_eq!(error("policy"), expected);
        assert_eq!(error("42"), expected);
        assert_eq!(error("b\"p.toml\""), expected);
        assert_eq!(error("cap = Cap"), expected);
        assert_eq!(error("(\"p.toml\")"), expected);
        assert_eq!(
            error("\"\""),
            "the policy path is empty; give the policy file's path relative to \
             the crate's Cargo.toml, like \"policy/seccomp.toml\""
        );
        assert_eq!(
            error("\"p.toml\"x"),
            "unexpected suffix `x` on the policy path; remove it"
        );
    }

    #[test]
    fn rejects_bad_options() {
        assert_eq!(
            error(r#""p.toml", foo = Bar"#),
            "unknown option `foo`; expected `cap = path::to::CapType`"
        );
        assert_eq!(
            error(r#""p.toml", type = Bar"#),
            "unknown option `type`; expected `cap = path::to::CapType`"
        );
        assert_eq!(
            error(r#""p.toml" cap = Bar"#),
            "expected `,` or the end of the macro input after the policy path; \
             the only option is `cap = path::to::CapType`"
        );
        assert_eq!(
            error(r#""p.toml", "q.toml""#),
            "expected an option after `,`, like `cap = path::to::CapType`"
        );
        assert_eq!(
            error(r#""p.toml", cap"#),
            "unexpected end of input, expected `=` after `cap`, like `cap = path::to::CapType`"
        );
        assert_eq!(
            error(r#""p.toml", cap: Bar"#),
            "expected `=` after `cap`, like `cap = path::to::CapType`"
        );
        assert_eq!(
            error(r#""p.toml", cap = "#),
            "unexpected end of input, expected a path to the cap type after `cap =`, like `cap = crate::Cap`"
        );
        assert_eq!(
            error(r#""p.toml", cap = 3"#),
            "expected a path to the cap type after `cap =`, like `cap = crate::Cap`"
        );
        assert_eq!(
            error(r#""p.toml", cap = A, cap = B"#),
            "`cap` is given twice; keep only one `cap = path::to::CapType`"
        );
        assert_eq!(
            error(r#""p.toml", cap = A B"#),
            "expected `,` or the end of the macro input after `cap = ...`; \
             the only option is `cap = path::to::CapType`"
        );
    }
}
