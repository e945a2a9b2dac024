//! The little JSON this crate writes (diagnostics, OCI profiles), by hand:
//! strings escaped as RFC 8259 asks, nothing else needed.

use crate::model::Loc;
use std::fmt::Write as _;

/// `text` as a JSON string literal, quotes included.
pub fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `"line":L,"column":C`, or both `null` for no place.
pub fn loc_fields(loc: Option<Loc>) -> String {
    match loc {
        Some(l) => format!("\"line\":{},\"column\":{}", l.line, l.col),
        None => "\"line\":null,\"column\":null".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        assert_eq!(
            string("a\"b\\c\nd\te\u{1}\u{7f}é"),
            r#""a\"b\\c\nd\te\u0001\u007fé""#
        );
        assert_eq!(string(""), "\"\"");
    }
}
