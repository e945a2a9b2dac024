//! The text of one rule: `name` or `name(condition)`, parsed to a syntax
//! tree with byte ranges into the rule string.
//!
//! ```text
//! rule       = NAME [ "(" condition ")" ]
//! condition  = and { "||" and }
//! and        = unary { "&&" unary }
//! unary      = "!" unary | "(" condition ")" | comparison
//! comparison = operand ( ("==" | "!=" | "<" | "<=" | ">" | ">=") value
//!                      | "&" value [ ("==" | "!=") value ]
//!                      | "in" "[" value { "," value } [","] "]" )
//! operand    = NAME                          ; argN or a parameter name
//! value      = term { "|" term }             ; constants or-ed together
//! term       = ["-"] INTEGER | NAME          ; 42, 0x5412, 0o755, 0b101, 1_000, AF_INET
//! ```
//!
//! This module knows only the syntax. Whether a name is a parameter or a
//! constant, and what it means on each architecture, is decided by
//! [`crate::lower`].

use core::fmt;
use core::ops::Range;

use seccomp_policy_core::text::quoted;

/// A rule string, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleText {
    /// The syscall name and where it is.
    pub syscall: Name,
    /// The condition in parentheses, if any.
    pub condition: Option<Expr>,
}

/// A name and its byte range in the rule string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    /// The name.
    pub text: String,
    /// Where it is in the rule string.
    pub span: Range<usize>,
}

/// A condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// Holds when any alternative holds (`a || b`).
    Or(Vec<Expr>),
    /// Holds when every part holds (`a && b`).
    And(Vec<Expr>),
    /// Holds when the inner condition does not (`!a`).
    Not(Box<Expr>),
    /// One comparison of an argument.
    Cmp(Cmp),
}

/// `operand test`, e.g. `cmd == TIOCSTI` or `flags & CLONE_THREAD`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cmp {
    /// The argument: `argN` or a parameter name.
    pub operand: Name,
    /// What is tested.
    pub test: Test,
    /// The whole comparison.
    pub span: Range<usize>,
}

/// A relational operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RelOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl RelOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            RelOp::Eq => "==",
            RelOp::Ne => "!=",
            RelOp::Lt => "<",
            RelOp::Le => "<=",
            RelOp::Gt => ">",
            RelOp::Ge => ">=",
        }
    }
}

/// What a comparison tests of its operand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Test {
    /// `operand OP value`.
    Rel(RelOp, Value),
    /// `operand & mask`: any bit of the mask is set.
    AnyBit(Value),
    /// `operand & mask == value` (`equal`) or `!= value`.
    Masked {
        /// The mask.
        mask: Value,
        /// `==` (true) or `!=` (false).
        equal: bool,
        /// The value the masked operand is compared with.
        value: Value,
    },
    /// `operand in [a, b, ...]`.
    In(Vec<Value>),
}

/// Terms or-ed together, e.g. `CLONE_VM | CLONE_FS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    /// The terms, at least one.
    pub terms: Vec<Term>,
    /// The whole value.
    pub span: Range<usize>,
}

/// One constant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Term {
    /// An integer literal, possibly negative, as written.
    Int {
        /// Its value.
        value: i128,
        /// Where it is.
        span: Range<usize>,
    },
    /// A named constant (`AF_INET`).
    Name(Name),
}

/// A syntax error in a rule string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// What is wrong.
    pub message: String,
    /// Where, in the rule string.
    pub span: Range<usize>,
    /// What to do, if there is something specific to say.
    pub help: Option<String>,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The deepest nesting of parentheses and `!` accepted; deeper is surely a
/// mistake, and the limit keeps the parser's recursion bounded.
pub(crate) const MAX_DEPTH: usize = 32;

/// Parses a rule string.
///
/// # Errors
///
/// The first syntax error, with its span in `text` and a hint.
pub fn parse_rule(text: &str) -> Result<RuleText, SyntaxError> {
    let tokens = lex(text)?;
    let mut p = Parser {
        text,
        tokens,
        at: 0,
        depth: 0,
    };
    let syscall =
        match p.peek() {
            Some(Tok {
                kind: Kind::Ident,
                span,
            }) => {
                let span = span.clone();
                p.at += 1;
                Name {
                    text: text[span.clone()].to_owned(),
                    span,
                }
            }
            Some(tok) => return Err(syntax_error(
                tok.span.clone(),
                "expected a syscall name",
                Some(
                    "a rule starts with the syscall's name, like `read` or `ioctl(cmd != TIOCSTI)`",
                ),
            )),
            None => {
                return Err(SyntaxError {
                    message: "empty rule".to_owned(),
                    span: 0..text.len(),
                    help: Some("write a syscall's name, like \"read\"".to_owned()),
                })
            }
        };
    let condition = match p.peek_kind() {
        None => None,
        Some(Kind::LParen) => {
            let open = p.bump().span;
            if p.peek_kind() == Some(Kind::RParen) {
                return Err(syntax_error(
                    open.start..p.peek_span().end,
                    "empty condition",
                    Some("remove the parentheses to match every call, or write a condition"),
                ));
            }
            let e = p.condition()?;
            match p.peek_kind() {
                Some(Kind::RParen) => {
                    p.bump();
                }
                Some(_) => return Err(p.unexpected("`)`, `&&` or `||`")),
                None => {
                    return Err(syntax_error(
                        open,
                        "unclosed `(`",
                        Some("close the condition with `)`"),
                    ))
                }
            }
            Some(e)
        }
        Some(_) => return Err(p.unexpected("`(` to start a condition, or the end of the rule")),
    };
    if p.peek().is_some() {
        return Err(p.unexpected("the end of the rule"));
    }
    Ok(RuleText { syscall, condition })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Ident,
    Int,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    OrOr,
    AndAnd,
    Bang,
    Amp,
    Pipe,
    Minus,
    Rel(RelOp),
    /// A lone `=`, reported with a hint.
    Assign,
}

#[derive(Clone, Debug)]
struct Tok {
    kind: Kind,
    span: Range<usize>,
}

fn lex(text: &str) -> Result<Vec<Tok>, SyntaxError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let two = |s: &[u8]| bytes.get(i..i + 2) == Some(s);
        let (kind, len) = if c.is_ascii_alphabetic() || c == b'_' {
            let mut j = i;
            while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                j += 1;
            }
            (Kind::Ident, j - i)
        } else if c.is_ascii_digit() {
            let mut j = i;
            while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                j += 1;
            }
            (Kind::Int, j - i)
        } else if two(b"||") {
            (Kind::OrOr, 2)
        } else if two(b"&&") {
            (Kind::AndAnd, 2)
        } else if two(b"==") {
            (Kind::Rel(RelOp::Eq), 2)
        } else if two(b"!=") {
            (Kind::Rel(RelOp::Ne), 2)
        } else if two(b"<=") {
            (Kind::Rel(RelOp::Le), 2)
        } else if two(b">=") {
            (Kind::Rel(RelOp::Ge), 2)
        } else {
            let kind = match c {
                b'(' => Kind::LParen,
                b')' => Kind::RParen,
                b'[' => Kind::LBracket,
                b']' => Kind::RBracket,
                b',' => Kind::Comma,
                b'!' => Kind::Bang,
                b'&' => Kind::Amp,
                b'|' => Kind::Pipe,
                b'-' => Kind::Minus,
                b'<' => Kind::Rel(RelOp::Lt),
                b'>' => Kind::Rel(RelOp::Gt),
                b'=' => Kind::Assign,
                _ => {
                    let ch = text[i..].chars().next().unwrap_or('?');
                    return Err(SyntaxError {
                        message: format!("unexpected character `{}` in a rule", ch.escape_debug()),
                        span: i..i + ch.len_utf8(),
                        help: Some(
                            "a rule is a syscall name, optionally followed by a condition in \
                             parentheses, like \"socket(family == AF_INET)\""
                                .to_owned(),
                        ),
                    });
                }
            };
            (kind, 1)
        };
        i += len;
        out.push(Tok {
            kind,
            span: start..i,
        });
    }
    Ok(out)
}

struct Parser<'t> {
    text: &'t str,
    tokens: Vec<Tok>,
    at: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at)
    }

    fn peek_kind(&self) -> Option<Kind> {
        self.peek().map(|t| t.kind)
    }

    /// The span of the next token, or an empty span at the end.
    fn peek_span(&self) -> Range<usize> {
        match self.peek() {
            Some(t) => t.span.clone(),
            None => self.text.len()..self.text.len(),
        }
    }

    fn bump(&mut self) -> Tok {
        let t = self.tokens[self.at].clone();
        self.at += 1;
        t
    }

    fn slice(&self, span: &Range<usize>) -> &str {
        &self.text[span.clone()]
    }

    /// "expected X, found Y" at the next token, with hints for the usual
    /// slips (`=` for `==`, `and`/`or` for `&&`/`||`).
    fn unexpected(&self, expected: &str) -> SyntaxError {
        let Some(tok) = self.peek() else {
            return SyntaxError {
                message: format!("expected {expected}, found the end of the rule"),
                span: self.text.len()..self.text.len(),
                help: None,
            };
        };
        let found = self.slice(&tok.span);
        let help = match (tok.kind, found) {
            (Kind::Assign, _) => Some("compare with `==`".to_owned()),
            (Kind::Ident, "and") => Some("write `&&` for \"and\"".to_owned()),
            (Kind::Ident, "or") => Some("write `||` for \"or\"".to_owned()),
            (Kind::Ident, "not") => Some("write `!` for \"not\"".to_owned()),
            _ => None,
        };
        SyntaxError {
            message: format!("expected {expected}, found {}", quoted(found)),
            span: tok.span.clone(),
            help,
        }
    }

    fn enter(&mut self, span: Range<usize>) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(syntax_error(
                span,
                "condition nested too deeply",
                Some("at most 32 levels of parentheses and `!`; simplify the condition"),
            ));
        }
        Ok(())
    }

    fn condition(&mut self) -> Result<Expr, SyntaxError> {
        let mut alts = vec![self.and()?];
        while self.peek_kind() == Some(Kind::OrOr) {
            self.bump();
            alts.push(self.and()?);
        }
        Ok(if alts.len() == 1 {
            alts.pop().expect("one alternative")
        } else {
            Expr::Or(alts)
        })
    }

    fn and(&mut self) -> Result<Expr, SyntaxError> {
        let mut parts = vec![self.unary()?];
        while self.peek_kind() == Some(Kind::AndAnd) {
            self.bump();
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            Expr::And(parts)
        })
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        match self.peek_kind() {
            Some(Kind::Bang) => {
                let span = self.bump().span;
                self.enter(span)?;
                let inner = self.unary()?;
                self.depth -= 1;
                Ok(Expr::Not(Box::new(inner)))
            }
            Some(Kind::LParen) => {
                let open = self.bump().span;
                self.enter(open.clone())?;
                let inner = self.condition()?;
                match self.peek_kind() {
                    Some(Kind::RParen) => {
                        self.bump();
                    }
                    None => {
                        return Err(syntax_error(
                            open,
                            "unclosed `(`",
                            Some("close it with `)`"),
                        ))
                    }
                    Some(_) => return Err(self.unexpected("`)`, `&&` or `||`")),
                }
                self.depth -= 1;
                Ok(inner)
            }
            Some(Kind::Ident) => self.comparison(),
            Some(Kind::Int | Kind::Minus) => Err(syntax_error(
                self.peek_span(),
                "a comparison starts with the argument",
                Some("write the argument first, like `cmd == 0x5412`"),
            )),
            _ => Err(self.unexpected("a comparison, `!` or `(`")),
        }
    }

    fn comparison(&mut self) -> Result<Expr, SyntaxError> {
        let tok = self.bump();
        let operand = Name {
            text: self.slice(&tok.span).to_owned(),
            span: tok.span.clone(),
        };
        let test = match self.peek_kind() {
            Some(Kind::Rel(op)) => {
                self.bump();
                Test::Rel(op, self.value()?)
            }
            Some(Kind::Amp) => {
                self.bump();
                let mask = self.value()?;
                match self.peek_kind() {
                    Some(Kind::Rel(op @ (RelOp::Eq | RelOp::Ne))) => {
                        self.bump();
                        Test::Masked {
                            mask,
                            equal: op == RelOp::Eq,
                            value: self.value()?,
                        }
                    }
                    Some(Kind::Rel(op)) => {
                        let span = self.peek_span();
                        return Err(syntax_error(
                            span,
                            &format!("`{}` after a mask", op.as_str()),
                            Some("a masked argument is compared with `==` or `!=` only"),
                        ));
                    }
                    _ => Test::AnyBit(mask),
                }
            }
            Some(Kind::Ident) if self.slice(&self.peek_span()) == "in" => {
                self.bump();
                if self.peek_kind() != Some(Kind::LBracket) {
                    return Err(self.unexpected("`[` after `in`"));
                }
                self.bump();
                let mut values = Vec::new();
                loop {
                    if self.peek_kind() == Some(Kind::RBracket) && !values.is_empty() {
                        self.bump();
                        break;
                    }
                    values.push(self.value()?);
                    match self.peek_kind() {
                        Some(Kind::Comma) => {
                            self.bump();
                        }
                        Some(Kind::RBracket) => {
                            self.bump();
                            break;
                        }
                        _ => return Err(self.unexpected("`,` or `]`")),
                    }
                }
                Test::In(values)
            }
            Some(Kind::Assign) => {
                let span = self.peek_span();
                return Err(syntax_error(
                    span,
                    "`=` is not a comparison",
                    Some("compare with `==`"),
                ));
            }
            _ => {
                return Err(self.unexpected(
                    "a comparison operator (`==`, `!=`, `<`, `<=`, `>`, `>=`, `&` or `in`)",
                ))
            }
        };
        let end = self.tokens[self.at - 1].span.end;
        Ok(Expr::Cmp(Cmp {
            span: operand.span.start..end,
            operand,
            test,
        }))
    }

    fn value(&mut self) -> Result<Value, SyntaxError> {
        let start = self.peek_span().start;
        let mut terms = vec![self.term()?];
        while self.peek_kind() == Some(Kind::Pipe) {
            self.bump();
            terms.push(self.term()?);
        }
        let end = self.tokens[self.at - 1].span.end;
        Ok(Value {
            terms,
            span: start..end,
        })
    }

    fn term(&mut self) -> Result<Term, SyntaxError> {
        match self.peek_kind() {
            Some(Kind::Ident) => {
                let tok = self.bump();
                Ok(Term::Name(Name {
                    text: self.slice(&tok.span).to_owned(),
                    span: tok.span,
                }))
            }
            Some(Kind::Int) => {
                let tok = self.bump();
                let value = self.integer(&tok.span)?;
                Ok(Term::Int {
                    value,
                    span: tok.span,
                })
            }
            Some(Kind::Minus) => {
                let minus = self.bump().span;
                if self.peek_kind() != Some(Kind::Int) {
                    return Err(self.unexpected("an integer after `-`"));
                }
                let tok = self.bump();
                let value = self.integer(&tok.span)?;
                Ok(Term::Int {
                    value: -value,
                    span: minus.start..tok.span.end,
                })
            }
            _ => Err(self.unexpected("a value (an integer or a constant such as `AF_INET`)")),
        }
    }

    fn integer(&self, span: &Range<usize>) -> Result<i128, SyntaxError> {
        let raw = self.slice(span);
        let digits: String = raw.chars().filter(|&c| c != '_').collect();
        let (radix, body) = match digits.get(..2) {
            Some("0x" | "0X") => (16, &digits[2..]),
            Some("0o" | "0O") => (8, &digits[2..]),
            Some("0b" | "0B") => (2, &digits[2..]),
            _ => (10, &digits[..]),
        };
        let parsed = if body.is_empty() {
            None
        } else {
            u64::from_str_radix(body, radix).ok()
        };
        match parsed {
            Some(v) => Ok(i128::from(v)),
            None => {
                let too_big = !body.is_empty()
                    && body.chars().all(|c| c.is_digit(radix))
                    && u128::from_str_radix(body, radix).is_ok();
                Err(if too_big {
                    syntax_error(
                        span.clone(),
                        &format!("{} does not fit in 64 bits", quoted(raw)),
                        Some("syscall arguments are at most 64 bits wide"),
                    )
                } else {
                    syntax_error(
                        span.clone(),
                        &format!("{} is not an integer", quoted(raw)),
                        Some("write integers in decimal, or with 0x, 0o or 0b, like 0x5412"),
                    )
                })
            }
        }
    }
}

impl fmt::Display for Expr {
    /// The condition in a normal form: `||` and `&&` spaced, parentheses
    /// only where needed. Used to compare rules and in reports.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Or(alts) => join(f, alts, " || ", |e| matches!(e, Expr::Or(_))),
            Expr::And(parts) => join(f, parts, " && ", |e| {
                matches!(e, Expr::Or(_) | Expr::And(_))
            }),
            Expr::Not(inner) => match **inner {
                Expr::Cmp(_) | Expr::Not(_) => write!(f, "!{inner}"),
                _ => write!(f, "!({inner})"),
            },
            Expr::Cmp(c) => write!(f, "{c}"),
        }
    }
}

fn join(
    f: &mut fmt::Formatter<'_>,
    items: &[Expr],
    sep: &str,
    wrap: impl Fn(&Expr) -> bool,
) -> fmt::Result {
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        if wrap(e) {
            write!(f, "({e})")?;
        } else {
            write!(f, "{e}")?;
        }
    }
    Ok(())
}

impl fmt::Display for Cmp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.operand.text)?;
        match &self.test {
            Test::Rel(op, v) => write!(f, "{} {v}", op.as_str()),
            Test::AnyBit(m) => write!(f, "& {m}"),
            Test::Masked { mask, equal, value } => {
                write!(f, "& {mask} {} {value}", if *equal { "==" } else { "!=" })
            }
            Test::In(values) => {
                f.write_str("in [")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            match t {
                Term::Int { value, .. } => write!(f, "{value}")?,
                Term::Name(n) => f.write_str(&n.text)?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for RuleText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.syscall.text)?;
        if let Some(c) = &self.condition {
            write!(f, "({c})")?;
        }
        Ok(())
    }
}

/// A syntax error at `span`.
fn syntax_error(span: Range<usize>, message: &str, help: Option<&str>) -> SyntaxError {
    SyntaxError {
        message: message.to_owned(),
        span,
        help: help.map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> RuleText {
        parse_rule(text).unwrap_or_else(|e| panic!("{text:?}: {e:?}"))
    }

    /// The error as `col: message [help]`, columns 1-based in the rule text.
    fn err(text: &str) -> String {
        let e = parse_rule(text).expect_err(text);
        let col = text[..e.span.start].chars().count() + 1;
        match e.help {
            Some(h) => format!("{col}: {} [{h}]", e.message),
            None => format!("{col}: {}", e.message),
        }
    }

    #[test]
    fn names_alone_and_with_conditions() {
        let r = ok("read");
        assert_eq!(r.syscall.text, "read");
        assert_eq!(r.syscall.span, 0..4);
        assert!(r.condition.is_none());
        let r = ok("  ioctl ( cmd != TIOCSTI ) ");
        assert_eq!(r.syscall.span, 2..7);
        assert_eq!(r.to_string(), "ioctl(cmd != TIOCSTI)");
    }

    #[test]
    fn precedence_and_normal_form() {
        let cases = [
            (
                "socket(family == AF_INET || family == AF_INET6)",
                "socket(family == AF_INET || family == AF_INET6)",
            ),
            (
                "x(a == 1 || b == 2 && c == 3)",
                "x(a == 1 || b == 2 && c == 3)",
            ),
            (
                "x((a == 1 || b == 2) && c == 3)",
                "x((a == 1 || b == 2) && c == 3)",
            ),
            ("x(!(a == 1 || b == 2))", "x(!(a == 1 || b == 2))"),
            ("x(!!a==1)", "x(!!a == 1)"),
            (
                "clone(clone_flags & CLONE_THREAD)",
                "clone(clone_flags & CLONE_THREAD)",
            ),
            ("x(flags & (0x3) == 1)", ""),
            (
                "mmap(prot & PROT_WRITE|PROT_EXEC == PROT_WRITE | PROT_EXEC)",
                "mmap(prot & PROT_WRITE | PROT_EXEC == PROT_WRITE | PROT_EXEC)",
            ),
            (
                "fcntl(cmd in [F_GETFL, F_SETFL, 4,])",
                "fcntl(cmd in [F_GETFL, F_SETFL, 4])",
            ),
            ("kill(sig != -1)", "kill(sig != -1)"),
        ];
        for (text, want) in cases {
            match parse_rule(text) {
                Ok(r) => assert_eq!(r.to_string(), want, "{text}"),
                Err(e) => assert_eq!(want, "", "{text}: {e:?}"),
            }
        }
        let r = ok("x(a == 1 || b == 2 && c == 3)");
        let Some(Expr::Or(alts)) = r.condition else {
            panic!("an or")
        };
        assert!(matches!(alts[1], Expr::And(_)), "&& binds tighter than ||");
    }

    #[test]
    fn integers() {
        let value = |text: &str| {
            let r = ok(&format!("x(a == {text})"));
            let Some(Expr::Cmp(Cmp {
                test: Test::Rel(_, v),
                ..
            })) = r.condition
            else {
                panic!("a comparison")
            };
            match &v.terms[0] {
                Term::Int { value, .. } => *value,
                Term::Name(_) => panic!("an integer"),
            }
        };
        assert_eq!(value("0x5412"), 0x5412);
        assert_eq!(value("0o755"), 0o755);
        assert_eq!(value("0b101"), 5);
        assert_eq!(value("1_000"), 1000);
        assert_eq!(value("-100"), -100);
        assert_eq!(value("0xffff_ffff_ffff_ffff"), i128::from(u64::MAX));
        assert_eq!(
            err("x(a == 0x1_0000_0000_0000_0000)"),
            "8: `0x1_0000_0000_0000_0000` does not fit in 64 bits [syscall arguments are at most 64 bits wide]"
        );
        assert_eq!(
            err("x(a == 12ab)"),
            "8: `12ab` is not an integer [write integers in decimal, or with 0x, 0o or 0b, like 0x5412]"
        );
        assert_eq!(
            err("x(a == 0x)"),
            "8: `0x` is not an integer [write integers in decimal, or with 0x, 0o or 0b, like 0x5412]"
        );
    }

    #[test]
    fn spans_point_into_the_rule() {
        let r = ok("ioctl(cmd == TIOCSTI)");
        let Some(Expr::Cmp(c)) = r.condition else {
            panic!("a comparison")
        };
        assert_eq!(c.operand.span, 6..9);
        assert_eq!(c.span, 6..20);
        let Test::Rel(RelOp::Eq, v) = c.test else {
            panic!("==")
        };
        assert_eq!(v.span, 13..20);
    }

    #[test]
    fn errors_say_what_and_where() {
        let cases = [
            ("", "1: empty rule [write a syscall's name, like \"read\"]"),
            ("   ", "1: empty rule [write a syscall's name, like \"read\"]"),
            ("(a == 1)", "1: expected a syscall name [a rule starts with the syscall's name, like `read` or `ioctl(cmd != TIOCSTI)`]"),
            ("read write", "6: expected `(` to start a condition, or the end of the rule, found `write`"),
            ("read()", "5: empty condition [remove the parentheses to match every call, or write a condition]"),
            ("read(fd == 1", "5: unclosed `(` [close the condition with `)`]"),
            ("read(fd == 1))", "14: expected the end of the rule, found `)`"),
            ("read(fd = 1)", "9: `=` is not a comparison [compare with `==`]"),
            ("read(fd == 1 and count > 2)", "14: expected `)`, `&&` or `||`, found `and` [write `&&` for \"and\"]"),
            ("read(fd == 1 or count > 2)", "14: expected `)`, `&&` or `||`, found `or` [write `||` for \"or\"]"),
            ("read(fd)", "8: expected a comparison operator (`==`, `!=`, `<`, `<=`, `>`, `>=`, `&` or `in`), found `)`"),
            ("read(1 == fd)", "6: a comparison starts with the argument [write the argument first, like `cmd == 0x5412`]"),
            ("read(fd ==)", "11: expected a value (an integer or a constant such as `AF_INET`), found `)`"),
            ("read(fd == 1 ||)", "16: expected a comparison, `!` or `(`, found `)`"),
            ("read(fd & 1 < 2)", "13: `<` after a mask [a masked argument is compared with `==` or `!=` only]"),
            ("read(fd in 1)", "12: expected `[` after `in`, found `1`"),
            ("read(fd in [])", "13: expected a value (an integer or a constant such as `AF_INET`), found `]`"),
            ("read(fd in [1 2])", "15: expected `,` or `]`, found `2`"),
            ("read(fd == -x)", "13: expected an integer after `-`, found `x`"),
            ("read(fd == 1 # x)", "14: unexpected character `#` in a rule [a rule is a syscall name, optionally followed by a condition in parentheses, like \"socket(family == AF_INET)\"]"),
            ("read(fd == é)", "12: unexpected character `é` in a rule [a rule is a syscall name, optionally followed by a condition in parentheses, like \"socket(family == AF_INET)\"]"),
            ("read(fd == 1", "5: unclosed `(` [close the condition with `)`]"),
            ("read((fd == 1)", "5: unclosed `(` [close the condition with `)`]"),
            ("read(fd ==", "11: expected a value (an integer or a constant such as `AF_INET`), found the end of the rule"),
        ];
        for (text, want) in cases {
            assert_eq!(err(text), want, "{text:?}");
        }
    }

    #[test]
    fn depth_is_bounded_and_nothing_panics() {
        let deep = format!("x({}a == 1{})", "(".repeat(40), ")".repeat(40));
        assert!(err(&deep).contains("condition nested too deeply"));
        let bangs = format!("x({}a == 1)", "!".repeat(40));
        assert!(err(&bangs).contains("condition nested too deeply"));
        let ok_deep = format!("x({}a == 1{})", "(".repeat(30), ")".repeat(30));
        ok(&ok_deep);
        // Every prefix of some rules: an answer, never a panic.
        for text in [
            "socket(family == AF_INET || family in [1, -2, 0x3]) ",
            "x(!(a & 0b11 != 2) && b <= -0o7)",
        ] {
            for end in 0..=text.len() {
                let _ = parse_rule(&text[..end]);
            }
        }
    }
}
