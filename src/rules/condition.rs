//! The `condition` expression that combines a rule's selections:
//! `customer and alternative and not denial and drop`.
//!
//! Evaluation is three-valued (Kleene logic): while a headline is known but the price part is
//! not yet, a price selection is *unknown*, and the rule can already be ruled out (false), be
//! satisfied on the text alone (true) or wait for a price move (unknown).

use std::fmt;

use crate::problem::closest;

/// A parsed condition over selection indices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// The selection with this index (into the rule's selection list).
    Sel(usize),
    /// Negation.
    Not(Box<Expr>),
    /// All must hold.
    And(Vec<Expr>),
    /// One must hold.
    Or(Vec<Expr>),
}

/// A truth value that may not be known yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tri {
    /// Does not hold.
    False,
    /// Not known yet.
    Unknown,
    /// Holds.
    True,
}

impl From<bool> for Tri {
    fn from(b: bool) -> Self {
        if b { Tri::True } else { Tri::False }
    }
}

impl Expr {
    /// Evaluates with `value` giving each selection's truth value.
    pub fn eval(&self, value: &impl Fn(usize) -> Tri) -> Tri {
        match self {
            Expr::Sel(i) => value(*i),
            Expr::Not(e) => match e.eval(value) {
                Tri::True => Tri::False,
                Tri::False => Tri::True,
                Tri::Unknown => Tri::Unknown,
            },
            Expr::And(es) => {
                let mut out = Tri::True;
                for e in es {
                    match e.eval(value) {
                        Tri::False => return Tri::False,
                        Tri::Unknown => out = Tri::Unknown,
                        Tri::True => {}
                    }
                }
                out
            }
            Expr::Or(es) => {
                let mut out = Tri::False;
                for e in es {
                    match e.eval(value) {
                        Tri::True => return Tri::True,
                        Tri::Unknown => out = Tri::Unknown,
                        Tri::False => {}
                    }
                }
                out
            }
        }
    }

    /// Every selection index the expression mentions.
    pub fn selections(&self, out: &mut Vec<usize>) {
        match self {
            Expr::Sel(i) => out.push(*i),
            Expr::Not(e) => e.selections(out),
            Expr::And(es) | Expr::Or(es) => es.iter().for_each(|e| e.selections(out)),
        }
    }
}

/// A syntax or name error in a condition, with the byte range it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionError {
    /// Byte range inside the condition string.
    pub span: (usize, usize),
    /// What is wrong.
    pub message: String,
    /// What to try instead.
    pub hint: Option<String>,
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok<'a> {
    Ident(&'a str),
    And,
    Or,
    Not,
    Open,
    Close,
}

/// A token with its byte range.
type Lexed<'a> = (Tok<'a>, (usize, usize));

fn lex(src: &str) -> Result<Vec<Lexed<'_>>, ConditionError> {
    let mut out = Vec::new();
    let bytes = src.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'(' {
            out.push((Tok::Open, (i, i + 1)));
            i += 1;
        } else if c == b')' {
            out.push((Tok::Close, (i, i + 1)));
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'_' | b'-'))
            {
                i += 1;
            }
            let word = &src[start..i];
            let tok = match word {
                "and" | "AND" => Tok::And,
                "or" | "OR" => Tok::Or,
                "not" | "NOT" => Tok::Not,
                w => Tok::Ident(w),
            };
            out.push((tok, (start, i)));
        } else {
            let ch = src[i..].chars().next().unwrap_or('?');
            let hint = match ch {
                '&' => Some("write `and`".to_string()),
                '|' => Some("write `or`".to_string()),
                '!' => Some("write `not`".to_string()),
                _ => None,
            };
            return Err(ConditionError {
                span: (i, i + ch.len_utf8()),
                message: format!("unexpected character `{ch}` in condition"),
                hint,
            });
        }
    }
    Ok(out)
}

/// How deep parentheses and `not`s may nest: far beyond any condition a person writes, and
/// shallow enough that parsing, evaluating and dropping the expression never runs out of
/// stack.
pub const MAX_DEPTH: usize = 64;

struct Parser<'a, 'n> {
    toks: Vec<Lexed<'a>>,
    pos: usize,
    len: usize,
    depth: usize,
    resolve: &'n dyn Fn(&str) -> Option<usize>,
    names: &'n [String],
}

/// Parses `src`, resolving selection names with `resolve`; `names` (the known selections)
/// feed the "did you mean" hint.
pub fn parse(
    src: &str,
    resolve: &dyn Fn(&str) -> Option<usize>,
    names: &[String],
) -> Result<Expr, ConditionError> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        len: src.len(),
        depth: 0,
        resolve,
        names,
    };
    if p.toks.is_empty() {
        return Err(ConditionError {
            span: (0, src.len()),
            message: "the condition is empty".into(),
            hint: Some(format!("combine selections, e.g. `{}`", example(names))),
        });
    }
    let e = p.or()?;
    if let Some((tok, span)) = p.toks.get(p.pos) {
        return Err(ConditionError {
            span: *span,
            message: format!(
                "expected `and`, `or` or the end of the condition, found {}",
                describe(tok)
            ),
            hint: None,
        });
    }
    Ok(e)
}

fn example(names: &[String]) -> String {
    match names {
        [] => "a and not b".into(),
        [a] => a.clone(),
        [a, b, ..] => format!("{a} and {b}"),
    }
}

fn describe(tok: &Tok<'_>) -> String {
    match tok {
        Tok::Ident(w) => format!("`{w}`"),
        Tok::And => "`and`".into(),
        Tok::Or => "`or`".into(),
        Tok::Not => "`not`".into(),
        Tok::Open => "`(`".into(),
        Tok::Close => "`)`".into(),
    }
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Tok<'_>> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }

    fn or(&mut self) -> Result<Expr, ConditionError> {
        let mut items = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            // Kept for as long as the rule: no room to grow.
            items.shrink_to_fit();
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, ConditionError> {
        let mut items = vec![self.unary()?];
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            // Kept for as long as the rule: no room to grow.
            items.shrink_to_fit();
            Expr::And(items)
        })
    }

    fn unary(&mut self) -> Result<Expr, ConditionError> {
        if self.peek() == Some(&Tok::Not) {
            self.deeper()?;
            self.pos += 1;
            let e = Expr::Not(Box::new(self.unary()?));
            self.depth -= 1;
            return Ok(e);
        }
        self.atom()
    }

    /// One level deeper (a `not` or a `(` at the current token), refused past [`MAX_DEPTH`].
    fn deeper(&mut self) -> Result<(), ConditionError> {
        if self.depth >= MAX_DEPTH {
            let span = self
                .toks
                .get(self.pos)
                .map_or((self.len, self.len), |(_, s)| *s);
            return Err(ConditionError {
                span,
                message: format!(
                    "the condition nests parentheses and `not` more than {MAX_DEPTH} deep"
                ),
                hint: Some("write it flatter: `a and b and c` needs no parentheses".into()),
            });
        }
        self.depth += 1;
        Ok(())
    }

    fn atom(&mut self) -> Result<Expr, ConditionError> {
        let Some((tok, span)) = self.toks.get(self.pos).cloned() else {
            return Err(ConditionError {
                span: (self.len, self.len),
                message: "the condition ends where a selection name was expected".into(),
                hint: None,
            });
        };
        self.pos += 1;
        match tok {
            Tok::Ident(name) => match (self.resolve)(name) {
                Some(i) => Ok(Expr::Sel(i)),
                None => Err(ConditionError {
                    span,
                    message: format!("undefined selection `{name}`"),
                    hint: Some(match closest(name, self.names) {
                        Some(c) => format!("did you mean `{c}`?"),
                        None if self.names.is_empty() => {
                            "define it as [text.NAME] or [price.NAME]".into()
                        }
                        None => format!("defined selections: {}", self.names.join(", ")),
                    }),
                }),
            },
            Tok::Open => {
                self.pos -= 1;
                self.deeper()?;
                self.pos += 1;
                let e = self.or()?;
                self.depth -= 1;
                match self.toks.get(self.pos) {
                    Some((Tok::Close, _)) => {
                        self.pos += 1;
                        Ok(e)
                    }
                    Some((t, s)) => Err(ConditionError {
                        span: *s,
                        message: format!("expected `)`, found {}", describe(t)),
                        hint: None,
                    }),
                    None => Err(ConditionError {
                        span,
                        message: "this `(` is never closed".into(),
                        hint: Some("add a `)`".into()),
                    }),
                }
            }
            other => Err(ConditionError {
                span,
                message: format!("expected a selection name, found {}", describe(&other)),
                hint: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["customer", "alternative", "denial", "drop"]
            .map(String::from)
            .to_vec()
    }

    fn p(src: &str) -> Result<Expr, ConditionError> {
        let names = names();
        parse(src, &|n| names.iter().position(|k| k == n), &names)
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        let e = p("customer and not denial or drop").unwrap();
        assert_eq!(
            e,
            Expr::Or(vec![
                Expr::And(vec![Expr::Sel(0), Expr::Not(Box::new(Expr::Sel(2)))]),
                Expr::Sel(3)
            ])
        );
        let e = p("customer and (denial or drop)").unwrap();
        assert_eq!(
            e,
            Expr::And(vec![
                Expr::Sel(0),
                Expr::Or(vec![Expr::Sel(2), Expr::Sel(3)])
            ])
        );
    }

    #[test]
    fn three_valued_evaluation() {
        let e = p("customer and alternative and not denial and drop").unwrap();
        let text_only = |i: usize| match i {
            0 | 1 => Tri::True,
            2 => Tri::False,
            _ => Tri::Unknown,
        };
        assert_eq!(e.eval(&text_only), Tri::Unknown);
        let denied = |i: usize| match i {
            2 => Tri::True,
            3 => Tri::Unknown,
            _ => Tri::True,
        };
        assert_eq!(e.eval(&denied), Tri::False);
        assert_eq!(e.eval(&|_| Tri::True), Tri::False, "denial true");
        assert_eq!(e.eval(&|i| Tri::from(i != 2)), Tri::True);
    }

    #[test]
    fn errors_point_at_the_problem_and_suggest() {
        let e = p("customer and alternativ").unwrap_err();
        assert_eq!(e.span, (13, 23));
        assert_eq!(e.hint.as_deref(), Some("did you mean `alternative`?"));
        let e = p("customer && drop").unwrap_err();
        assert_eq!(e.span, (9, 10));
        assert!(
            p("(customer and drop")
                .unwrap_err()
                .message
                .contains("never closed")
        );
        assert!(
            p("customer drop")
                .unwrap_err()
                .message
                .contains("expected `and`")
        );
        assert!(p("customer and").unwrap_err().message.contains("ends"));
        assert!(p("").is_err());
        assert!(p("not").is_err());
        assert!(p("()").is_err());
    }

    #[test]
    fn deeply_nested_condition_is_a_problem_not_a_crash() {
        let n = 100_000;
        let src = format!("{}customer{}", "(".repeat(n), ")".repeat(n));
        let e = p(&src).unwrap_err();
        assert!(e.message.contains("nests"), "{}", e.message);
        assert_eq!(e.span, (MAX_DEPTH, MAX_DEPTH + 1));
        let src = format!("{}customer", "not ".repeat(n));
        assert!(p(&src).unwrap_err().message.contains("nests"));
        let src = format!("{}customer", "not (".repeat(n));
        assert!(p(&src).unwrap_err().message.contains("nests"));
        // As deep as allowed still parses.
        let src = format!("{}customer{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(p(&src).unwrap(), Expr::Sel(0));
    }
}
