//! JSON strings for the hand-laid documents of `--report` and `export`,
//! escaped by serde_json.

/// `text` as a JSON string literal, quotes included.
pub fn string(text: &str) -> String {
    // Serializing a string cannot fail; the fallback is never taken.
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn strings_are_escaped() {
        let s = super::string("a\"b\\c\nd\te\u{1}é");
        assert_eq!(s, r#""a\"b\\c\nd\te\u0001é""#);
        let back: String = serde_json::from_str(&s).expect("valid JSON");
        assert_eq!(back, "a\"b\\c\nd\te\u{1}é");
    }
}
