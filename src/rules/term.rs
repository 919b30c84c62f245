//! Text terms as rule authors write them: `openai`, `chatgpt maker`, `alternativ*`,
//! `weist * zurück`, `=alternatives`. A term is normalised by the same pipeline as headlines
//! and matched token by token: plain words by stem (in English and German), `=word` by the
//! exact folded form, `stem*` by prefix.

use std::fmt;

use crate::text::{self, Lang};

/// One position of a term.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TokenPattern {
    /// A word, matched by stem: the token's stem is the word's English or German stem.
    Word {
        /// The folded word as written.
        folded: String,
        /// Its stems (English, German), deduplicated.
        stems: Vec<String>,
    },
    /// This exact folded form (`=alternatives`): no stemming.
    Exact(String),
    /// Any token starting with this folded stem: `alternativ*`.
    Prefix(String),
    /// Any single token: the `*` in `weist * zurück`.
    Any,
}

impl TokenPattern {
    /// Whether `token` fits this position.
    pub fn matches(&self, token: &text::Token) -> bool {
        match self {
            TokenPattern::Word { folded, stems } => {
                token.text == *folded || stems.contains(&token.stem)
            }
            TokenPattern::Exact(t) => token.text == *t,
            TokenPattern::Prefix(p) => token.text.starts_with(p.as_str()),
            TokenPattern::Any => true,
        }
    }
}

/// A parsed term: a sequence of token patterns that must appear consecutively.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Term {
    /// The patterns, in order. Never empty; never starts or ends with [`TokenPattern::Any`].
    pub tokens: Vec<TokenPattern>,
}

/// Which token text an automaton anchor is searched in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Haystack {
    /// The folded surface forms.
    Surface,
    /// The stems.
    Stems,
}

/// Shortest stem a wildcard may have: `ai*` would match half the dictionary.
const MIN_STEM: usize = 3;
/// Most stem combinations one phrase contributes to the automaton.
const MAX_ANCHOR_VARIANTS: usize = 16;

fn stems_of(folded: &str) -> Vec<String> {
    let mut stems = Vec::with_capacity(2);
    for lang in [Lang::En, Lang::De] {
        let s = crate::text::stem_of(folded, lang);
        if !stems.contains(&s) {
            stems.push(s);
        }
    }
    stems
}

impl Term {
    /// Parses a term as written in a rule or lexicon.
    pub fn parse(written: &str) -> Result<Term, String> {
        let mut tokens = Vec::new();
        for piece in written.split_whitespace() {
            if piece == "*" {
                tokens.push(TokenPattern::Any);
                continue;
            }
            let (body, exact) = match piece.strip_prefix('=') {
                Some(b) => (b, true),
                None => (piece, false),
            };
            let (body, wildcard) = match body.strip_suffix('*') {
                Some(b) => (b, true),
                None => (body, false),
            };
            if body.contains('*') || body.contains('=') {
                return Err(format!(
                    "`{written}`: `*` may only end a word or stand alone, `=` may only start a word"
                ));
            }
            if exact && wildcard {
                return Err(format!(
                    "`{written}`: a word is either exact (`=word`) or a stem (`stem*`), not both"
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
                } else if exact {
                    tokens.push(TokenPattern::Exact(w.text));
                } else {
                    let stems = stems_of(&w.text);
                    tokens.push(TokenPattern::Word {
                        folded: w.text,
                        stems,
                    });
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

    /// Whether the term matches `tokens` starting at `at`.
    pub fn matches_at(&self, tokens: &[text::Token], at: usize) -> bool {
        self.tokens.len() <= tokens.len().saturating_sub(at)
            && self
                .tokens
                .iter()
                .zip(&tokens[at..])
                .all(|(p, t)| p.matches(t))
    }

    /// The literals an occurrence must start with, in the space-joined text of one haystack
    /// (see `matcher`): ` chatgpt maker ` in the stems, ` alternativ` in the surface forms.
    /// Every returned anchor is a necessary condition; the rest is checked at the token found.
    pub fn anchors(&self) -> (Haystack, Vec<String>) {
        match &self.tokens[0] {
            TokenPattern::Word { .. } => {
                let mut variants = vec![String::from(" ")];
                for p in &self.tokens {
                    let TokenPattern::Word { stems, .. } = p else {
                        break;
                    };
                    if variants.len() * stems.len() > MAX_ANCHOR_VARIANTS {
                        break;
                    }
                    variants = variants
                        .iter()
                        .flat_map(|v| stems.iter().map(move |s| format!("{v}{s} ")))
                        .collect();
                }
                variants.sort();
                variants.dedup();
                (Haystack::Stems, variants)
            }
            _ => {
                let mut anchor = String::from(" ");
                for p in &self.tokens {
                    match p {
                        TokenPattern::Exact(t) => {
                            anchor.push_str(t);
                            anchor.push(' ');
                        }
                        TokenPattern::Prefix(p) => {
                            anchor.push_str(p);
                            break;
                        }
                        TokenPattern::Word { .. } | TokenPattern::Any => break,
                    }
                }
                (Haystack::Surface, vec![anchor])
            }
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.tokens.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            match p {
                TokenPattern::Word { folded, .. } => f.write_str(folded)?,
                TokenPattern::Exact(t) => write!(f, "={t}")?,
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
        assert_eq!(
            Term::parse("=Alternatives").unwrap().to_string(),
            "=alternatives"
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
        assert!(Term::parse("=alter*").is_err());
        assert!(Term::parse("a=b").is_err());
        assert!(Term::parse("--").is_err());
    }

    #[test]
    fn words_match_by_stem_in_either_language() {
        let t = Term::parse("alternatives").unwrap();
        let en = text::normalize("looking for alternatives", None);
        let de = text::normalize("sucht nach Alternativen für Nvidia", None);
        let other = text::normalize("an alternate director", None);
        assert!(t.matches_at(&en.tokens, 2));
        assert!(t.matches_at(&de.tokens, 2));
        assert!(
            t.matches_at(&other.tokens, 1),
            "English stems conflate these"
        );
        let exact = Term::parse("=alternatives").unwrap();
        assert!(exact.matches_at(&en.tokens, 2));
        assert!(!exact.matches_at(&other.tokens, 1));
    }

    #[test]
    fn anchors_stop_at_the_first_wildcard() {
        let (h, a) = Term::parse("chatgpt maker").unwrap().anchors();
        assert_eq!(h, Haystack::Stems);
        assert_eq!(
            a,
            [" chatgpt mak ", " chatgpt maker "],
            "German and English stems"
        );
        assert_eq!(
            Term::parse("alternativ*").unwrap().anchors(),
            (Haystack::Surface, vec![" alternativ".to_string()])
        );
        let (h, a) = Term::parse("alternatives").unwrap().anchors();
        assert_eq!(
            (h, a),
            (
                Haystack::Stems,
                vec![" altern ".to_string(), " alternativ ".to_string()]
            )
        );
        assert_eq!(
            Term::parse("weist * zurueck").unwrap().anchors().1,
            [" weist "]
        );
    }
}
