//! One automaton for every term of every rule and lexicon.
//!
//! Matching a headline must not cost one pass per rule. All distinct terms are compiled into a
//! single Aho-Corasick automaton over the space-joined folded tokens (` openai weighs cerebras
//! … `); each term contributes its literal anchor (see [`Term::anchor`]). One scan yields every
//! occurrence of every term; wildcards after the anchor are checked at the token found. Rules
//! are then evaluated only when one of their terms occurred.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::term::Term;
use crate::text::{NormalizedText, Token};

/// Index of a distinct term in a [`TermMatcher`].
pub type TermId = usize;

/// Where a term occurred: which field, which tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// The term that occurred.
    pub term: TermId,
    /// The field it occurred in.
    pub field: Field,
    /// Index of its first token in the field's token list.
    pub token: usize,
    /// How many tokens it spans.
    pub len: usize,
}

/// Which part of a headline a selection looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    /// The headline.
    Title,
    /// The teaser text.
    Summary,
}

/// The compiled automaton and the terms behind it.
#[derive(Debug)]
pub struct TermMatcher {
    automaton: AhoCorasick,
    /// Distinct terms, indexed by [`TermId`].
    terms: Vec<Term>,
    /// For each automaton pattern, the terms that share that anchor.
    anchored: Vec<Vec<TermId>>,
}

impl TermMatcher {
    /// Compiles `terms` (already distinct) into one automaton.
    pub fn new(terms: Vec<Term>) -> Self {
        let mut anchors: Vec<String> = Vec::new();
        let mut anchored: Vec<Vec<TermId>> = Vec::new();
        let mut index = std::collections::HashMap::new();
        for (id, term) in terms.iter().enumerate() {
            let anchor = term.anchor();
            let slot = *index.entry(anchor.clone()).or_insert_with(|| {
                anchors.push(anchor);
                anchored.push(Vec::new());
                anchored.len() - 1
            });
            anchored[slot].push(id);
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&anchors)
            .expect("anchors are short literals; building cannot fail");
        TermMatcher {
            automaton,
            terms,
            anchored,
        }
    }

    /// The term behind an id.
    pub fn term(&self, id: TermId) -> &Term {
        &self.terms[id]
    }

    /// Number of distinct terms.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether there are no terms at all.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Every occurrence of every term in `text`, in token order per term.
    pub fn find(&self, text: &NormalizedText, field: Field, out: &mut Vec<Occurrence>) {
        if text.tokens.is_empty() || self.is_empty() {
            return;
        }
        let (haystack, starts) = joined_with_offsets(&text.tokens);
        for m in self.automaton.find_overlapping_iter(&haystack) {
            // The anchor starts with the space before its first token.
            let token = match starts.binary_search(&(m.start() + 1)) {
                Ok(i) => i,
                Err(_) => continue,
            };
            for &term in &self.anchored[m.pattern().as_usize()] {
                let t = &self.terms[term];
                if t.matches_at(&text.tokens, token) {
                    out.push(Occurrence {
                        term,
                        field,
                        token,
                        len: t.tokens.len(),
                    });
                }
            }
        }
    }
}

/// ` tok0 tok1 … ` and the byte offset of each token in it.
fn joined_with_offsets(tokens: &[Token]) -> (String, Vec<usize>) {
    let mut haystack =
        String::with_capacity(tokens.iter().map(|t| t.text.len() + 1).sum::<usize>() + 1);
    let mut starts = Vec::with_capacity(tokens.len());
    haystack.push(' ');
    for t in tokens {
        starts.push(haystack.len());
        haystack.push_str(&t.text);
        haystack.push(' ');
    }
    (haystack, starts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize;

    fn matcher(terms: &[&str]) -> TermMatcher {
        TermMatcher::new(terms.iter().map(|t| Term::parse(t).unwrap()).collect())
    }

    fn found(m: &TermMatcher, headline: &str) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        m.find(&normalize(headline, None), Field::Title, &mut out);
        out.iter()
            .map(|o| (m.term(o.term).to_string(), o.token))
            .collect()
    }

    #[test]
    fn finds_words_phrases_stems_and_gaps_in_one_pass() {
        let m = matcher(&[
            "openai",
            "chatgpt maker",
            "alternativ*",
            "alternatives",
            "weist * zurueck",
            "nvidia",
        ]);
        let hits = found(&m, "ChatGPT maker OpenAI seeks Nvidia alternatives");
        assert!(hits.contains(&("chatgpt maker".into(), 0)));
        assert!(hits.contains(&("openai".into(), 2)));
        assert!(hits.contains(&("nvidia".into(), 4)));
        assert!(hits.contains(&("alternativ*".into(), 5)));
        assert!(hits.contains(&("alternatives".into(), 5)));
        assert_eq!(
            found(&m, "Nvidia-Chef weist Berichte zurück"),
            vec![
                ("nvidia".to_string(), 0),
                ("weist * zurueck".to_string(), 2)
            ]
        );
    }

    #[test]
    fn words_only_match_whole_tokens() {
        let m = matcher(&["meta", "ai"]);
        assert!(found(&m, "Metaverse spending and OpenAI").is_empty());
        assert_eq!(
            found(&m, "Meta bets on AI"),
            vec![("meta".to_string(), 0), ("ai".to_string(), 3)]
        );
    }

    #[test]
    fn empty_inputs() {
        assert!(found(&matcher(&[]), "anything").is_empty());
        assert!(found(&matcher(&["x y"]), "").is_empty());
    }
}
