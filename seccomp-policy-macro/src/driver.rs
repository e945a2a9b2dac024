//! One invocation from tokens to tokens: read, check, lower, expand.
//!
//! Every failure becomes `compile_error!` items; nothing here panics on bad
//! input, and `lib.rs` still turns an unexpected panic into an error.

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};

use seccomp_policy_compiler::{compile, source, Diagnostic};

use crate::compile_errors::to_compile_errors;
use crate::expand::{self, Expansion};
use crate::invocation;

/// Overrides `CARGO_MANIFEST_DIR` as the base of relative policy paths. The
/// workspace's trybuild tests set it, since trybuild compiles each case in a
/// scratch crate whose manifest directory holds no policy files.
const MANIFEST_DIR_OVERRIDE: &str = "SECCOMP_POLICY_MANIFEST_DIR";

/// Expands the macro input `input`.
pub fn run(input: TokenStream) -> TokenStream {
    let invocation = match invocation::parse_invocation(input) {
        Ok(invocation) => invocation,
        Err(err) => return err.to_compile_error(),
    };
    let display_path = invocation.path.value();
    let span = invocation.path.span();
    let fail = |diags: &[Diagnostic]| to_compile_errors(diags, &display_path, span);

    let Some(manifest_dir) = manifest_dir() else {
        return fail(&[Diagnostic::whole_file(
            "CARGO_MANIFEST_DIR is not set, so the policy path has no base directory",
        )
        .with_note("policy paths are relative to the invoking crate's directory")
        .with_help("build the crate with cargo")]);
    };
    let abs_path = manifest_dir.join(&display_path);
    let Some(abs_path_text) = abs_path.to_str() else {
        return fail(&[Diagnostic::whole_file(format!(
            "the policy path `{}` is not valid UTF-8",
            abs_path.display()
        ))
        .with_help("move the policy to a path that is valid UTF-8")]);
    };
    let source = match source::read_policy(&abs_path, &display_path) {
        Ok(source) => source,
        Err(diag) => return fail(&[diag]),
    };
    let compiled = match compile(&source) {
        Ok(compiled) => compiled,
        Err(diags) => return fail(&diags),
    };
    expand::expand(&Expansion {
        display_path: &display_path,
        abs_path: abs_path_text,
        policy: &compiled.policy,
        arches: &compiled.arches,
        bound_cap_type: invocation.bound_cap_type.as_ref(),
    })
}

fn manifest_dir() -> Option<PathBuf> {
    std::env::var_os(MANIFEST_DIR_OVERRIDE)
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR"))
        .map(|dir| Path::new(&dir).to_path_buf())
}

/// The error for a panic inside the macro, which would be a bug here.
pub fn internal_error(panic: &(dyn std::any::Any + Send)) -> TokenStream {
    let what = panic
        .downcast_ref::<&str>()
        .map(ToString::to_string)
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    syn::Error::new(
        Span::call_site(),
        format!("internal error in seccomp_policy!: {what}; please report this together with the policy file"),
    )
    .to_compile_error()
}
