//! One automaton for every term of every rule and lexicon.
//!
//! Matching a headline must not cost one pass per rule. All distinct terms are compiled into
//! two Aho-Corasick automata, one over the space-joined stems (` openai weigh cerebra … `) and
//! one over the folded surface forms; each term contributes its literal anchors (see
//! [`Term::anchors`]). Two scans yield every occurrence of every term; wildcards and the rest of
//! a phrase are checked at the token found. Rules are then evaluated only when one of their
//! terms occurred.

use std::collections::HashSet;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::term::{Haystack, Term};
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

/// A text's term occurrences, and where each term's are among them: what a rule's items look
/// up, so an item costs the occurrences of its own terms, not a pass over all of them.
#[derive(Clone, Debug, Default)]
pub(super) struct Occurrences {
    /// Every occurrence, in the order the scans found them (title, summary, source; by
    /// position within each for any one term).
    all: Vec<Occurrence>,
    /// `(term, index into all)`, sorted: a term's occurrences are one run, in order.
    by_term: Vec<(TermId, usize)>,
}

impl Occurrences {
    pub(super) fn new(all: Vec<Occurrence>) -> Occurrences {
        let mut by_term: Vec<(TermId, usize)> =
            all.iter().enumerate().map(|(i, o)| (o.term, i)).collect();
        by_term.sort_unstable();
        Occurrences { all, by_term }
    }

    /// Every occurrence, in the order found.
    pub(super) fn all(&self) -> &[Occurrence] {
        &self.all
    }

    /// The indices (into [`all`](Self::all)) of `term`'s occurrences, in order.
    pub(super) fn of(&self, term: TermId) -> impl Iterator<Item = usize> + '_ {
        let from = self.by_term.partition_point(|(t, _)| *t < term);
        self.by_term[from..]
            .iter()
            .take_while(move |(t, _)| *t == term)
            .map(|(_, i)| *i)
    }

    /// The indices of the occurrences of any of `terms` in one of `fields`, in order.
    pub(super) fn of_any(&self, terms: &[TermId], fields: &[Field]) -> Vec<usize> {
        let mut out: Vec<usize> = terms
            .iter()
            .flat_map(|&t| self.of(t))
            .filter(|&i| fields.contains(&self.all[i].field))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The terms that occurred, each once.
    pub(super) fn terms(&self) -> impl Iterator<Item = TermId> + '_ {
        self.by_term
            .iter()
            .enumerate()
            .filter(|&(i, &(t, _))| i == 0 || self.by_term[i - 1].0 != t)
            .map(|(_, &(t, _))| t)
    }
}

/// Which part of a headline a selection looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    /// The headline.
    Title,
    /// The teaser text.
    Summary,
    /// The publisher's name.
    Source,
}

impl Field {
    /// Its name in rule files and evidence: `title`, `summary`, `source`.
    pub fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Summary => "summary",
            Field::Source => "source",
        }
    }
}

/// One automaton and, for each of its patterns, the terms anchored there.
#[derive(Debug)]
struct Automaton {
    automaton: AhoCorasick,
    anchored: Vec<Vec<TermId>>,
}

impl Automaton {
    fn new(anchors: Vec<(String, TermId)>) -> Automaton {
        let mut patterns: Vec<String> = Vec::new();
        let mut anchored: Vec<Vec<TermId>> = Vec::new();
        let mut index = std::collections::HashMap::new();
        for (anchor, term) in anchors {
            let slot = *index.entry(anchor.clone()).or_insert_with(|| {
                patterns.push(anchor);
                anchored.push(Vec::new());
                anchored.len() - 1
            });
            if !anchored[slot].contains(&term) {
                anchored[slot].push(term);
            }
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .expect("anchors are short literals; building cannot fail");
        Automaton {
            automaton,
            anchored,
        }
    }
}

/// The compiled automata and the terms behind them.
#[derive(Debug)]
pub struct TermMatcher {
    stems: Automaton,
    surface: Automaton,
    /// Distinct terms, indexed by [`TermId`].
    terms: Vec<Term>,
}

impl TermMatcher {
    /// Compiles `terms` (already distinct) into the automata.
    pub fn new(terms: Vec<Term>) -> Self {
        let (mut stem_anchors, mut surface_anchors) = (Vec::new(), Vec::new());
        for (id, term) in terms.iter().enumerate() {
            let (haystack, anchors) = term.anchors();
            let target = match haystack {
                Haystack::Stems => &mut stem_anchors,
                Haystack::Surface => &mut surface_anchors,
            };
            target.extend(anchors.into_iter().map(|a| (a, id)));
        }
        TermMatcher {
            stems: Automaton::new(stem_anchors),
            surface: Automaton::new(surface_anchors),
            terms,
        }
    }

    /// The term behind an id.
    pub fn term(&self, id: TermId) -> &Term {
        &self.terms[id]
    }

    /// Heap bytes held by the two automata.
    pub fn memory_usage(&self) -> usize {
        self.stems.automaton.memory_usage() + self.surface.automaton.memory_usage()
    }

    /// Number of distinct terms.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether there are no terms at all.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Every occurrence of every term in `text`, each once, in the order the scans find them.
    pub fn find(&self, text: &NormalizedText, field: Field, out: &mut Vec<Occurrence>) {
        if text.tokens.is_empty() || self.is_empty() {
            return;
        }
        // Occurrences already found in this field (a term may be reached through several
        // anchors): a set, so a text full of hits is not compared hit by hit.
        let mut seen: HashSet<(TermId, usize)> = HashSet::new();
        for (automaton, haystack) in [
            (&self.stems, Haystack::Stems),
            (&self.surface, Haystack::Surface),
        ] {
            let (joined, starts) = joined_with_offsets(&text.tokens, haystack);
            for m in automaton.automaton.find_overlapping_iter(&joined) {
                // The anchor starts with the space before its first token.
                let Ok(token) = starts.binary_search(&(m.start() + 1)) else {
                    continue;
                };
                for &term in &automaton.anchored[m.pattern().as_usize()] {
                    let t = &self.terms[term];
                    if t.matches_at(&text.tokens, token) && seen.insert((term, token)) {
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
}

/// ` tok0 tok1 … ` of one haystack and the byte offset of each token in it.
fn joined_with_offsets(tokens: &[Token], haystack: Haystack) -> (String, Vec<usize>) {
    let mut joined =
        String::with_capacity(tokens.iter().map(|t| t.text.len() + 1).sum::<usize>() + 1);
    let mut starts = Vec::with_capacity(tokens.len());
    joined.push(' ');
    for t in tokens {
        starts.push(joined.len());
        joined.push_str(match haystack {
            Haystack::Stems => &t.stem,
            Haystack::Surface => &t.text,
        });
        joined.push(' ');
    }
    (joined, starts)
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
        let mut v: Vec<(String, usize)> = out
            .iter()
            .map(|o| (m.term(o.term).to_string(), o.token))
            .collect();
        v.sort_by_key(|(_, t)| *t);
        v
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
    fn inflected_forms_match_through_stems() {
        let m = matcher(&["denies", "downgrade"]);
        assert_eq!(found(&m, "Nvidia denied the report").len(), 1);
        assert_eq!(found(&m, "Analyst downgrades Nvidia").len(), 1);
        assert_eq!(
            found(&m, "Nvidia-Aktie: Downgrade durch Analysten").len(),
            1
        );
    }

    #[test]
    fn empty_inputs() {
        assert!(found(&matcher(&[]), "anything").is_empty());
        assert!(found(&matcher(&["x y"]), "").is_empty());
    }
}
