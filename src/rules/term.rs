//! Text terms as rule authors write them: `openai`, `chatgpt maker`, `alternativ*`,
//! `weist * zurueck`. A term is normalised by the same pipeline as headlines, then matched
//! token by token.

use std::fmt;

use crate::text;

/// One position of a term.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TokenPattern {
    /// This exact (folded) token.
    Exact(String),
    /// Any token starting with this (folded) stem: `alternativ*`.
    Prefix(String),
    /// Any single token: the `*` in `weist * zurueck`.
    Any,
}

impl TokenPattern {
    /// Whether `token` (already folded) fits this position.
    pub fn matches(&self, token: &str) -> bool {
        match self {
            TokenPattern::Exact(t) => t == token,
            TokenPattern::Prefix(p) => token.starts_with(p.as_str()),
            TokenPattern::Any => true,
        }
    }
}

/// A parsed term: a sequence of token patterns that must appear consecutively.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Term {
    /// The patterns, in order. Never empty; never starts with [`TokenPattern::Any`].
    pub tokens: Vec<TokenPattern>,
}

/// Shortest stem a wildcard may have: `ai*` would match half the dictionary.
const MIN_STEM: usize = 3;

impl Term {
    /// Parses a term as written in a rule or lexicon.
    pub fn parse(written: &str) -> Result<Term, String> {
        let mut tokens = Vec::new();
        for piece in written.split_whitespace() {
            if piece == "*" {
                tokens.push(TokenPattern::Any);
                continue;
            }
            let (body, wildcard) = match piece.strip_suffix('*') {
                Some(body) => (body, true),
                None => (piece, false),
            };
            if body.contains('*') {
                return Err(format!(
                    "`{written}`: `*` is only allowed at the end of a word or as a word of its own"
                ));
            }
            let words = text::normalize(body, None).tokens;
            let last = words.len().saturating_sub(1);
            for (i, w) in words.into_iter().enumerate() {
                if wildcard && i == last {
                    if w.text.chars().count() < MIN_STEM {
                        return Err(format!(
                            "`{written}`: the stem before `*` needs at least {MIN_STEM} letters"
                        ));
                    }
                    tokens.push(TokenPattern::Prefix(w.text));
                } else {
                    tokens.push(TokenPattern::Exact(w.text));
                }
            }
        }
        match tokens.first() {
            None => Err(format!("`{written}` has no words to match")),
            Some(TokenPattern::Any) => Err(format!("`{written}` cannot start with `*`")),
            Some(_) if matches!(tokens.last(), Some(TokenPattern::Any)) => {
                Err(format!("`{written}` cannot end with `*` on its own"))
            }
            Some(_) => Ok(Term { tokens }),
        }
    }

    /// Whether the term matches the folded `tokens` starting at `at`.
    pub fn matches_at(&self, tokens: &[text::Token], at: usize) -> bool {
        self.tokens.len() <= tokens.len().saturating_sub(at)
            && self
                .tokens
                .iter()
                .zip(&tokens[at..])
                .all(|(p, t)| p.matches(&t.text))
    }

    /// The literal text the term's occurrences must start with, in the space-joined token
    /// text the automaton searches (see `matcher`): ` chatgpt maker ` or ` alternativ`.
    pub fn anchor(&self) -> String {
        let mut anchor = String::from(" ");
        for p in &self.tokens {
            match p {
                TokenPattern::Exact(t) => {
                    anchor.push_str(t);
                    anchor.push(' ');
                }
                TokenPattern::Prefix(p) => {
                    anchor.push_str(p);
                    return anchor;
                }
                TokenPattern::Any => return anchor,
            }
        }
        anchor
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.tokens.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            match p {
                TokenPattern::Exact(t) => f.write_str(t)?,
                TokenPattern::Prefix(p) => write!(f, "{p}*")?,
                TokenPattern::Any => f.write_str("*")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_normalised_like_headlines() {
        assert_eq!(
            Term::parse("ChatGPT-Entwickler").unwrap().to_string(),
            "chatgpt entwickler"
        );
        assert_eq!(Term::parse("Ärger*").unwrap().to_string(), "aerger*");
        assert_eq!(
            Term::parse("weist  * zurück").unwrap().to_string(),
            "weist * zurueck"
        );
    }

    #[test]
    fn bad_terms_are_rejected_with_a_reason() {
        assert!(Term::parse("").is_err());
        assert!(Term::parse("   ").is_err());
        assert!(Term::parse("a*").unwrap_err().contains("at least 3"));
        assert!(Term::parse("* zurueck").is_err());
        assert!(Term::parse("weist *").is_err());
        assert!(Term::parse("al*ter").is_err());
        assert!(Term::parse("--").is_err());
    }

    #[test]
    fn anchors_stop_at_the_first_wildcard() {
        assert_eq!(
            Term::parse("chatgpt maker").unwrap().anchor(),
            " chatgpt maker "
        );
        assert_eq!(Term::parse("alternativ*").unwrap().anchor(), " alternativ");
        assert_eq!(Term::parse("weist * zurueck").unwrap().anchor(), " weist ");
    }
}
