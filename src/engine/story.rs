//! The same story, told again: another feed, an `UPDATE 1-`, a publisher suffix, or a small
//! rewording.
//!
//! Exact copies share a story key (the folded title). Rewordings are found by the Jaccard
//! similarity of the titles' content words (stems, without filler): MinHash signatures in
//! banded buckets give candidates in constant time, the exact similarity decides. Two titles
//! that differ by a word of polarity ("denies", "dementiert", "not") are never the same story.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::alert::{AlertId, HeadlineRef};
use crate::text::{Lang, NormalizedText, Word, is_filler, stem_of};

/// Titles at least this similar tell the same story.
pub const SAME_STORY: f64 = 0.75;
/// Titles with fewer content words are only folded when identical.
const MIN_WORDS: usize = 4;
/// MinHash: bands × rows hash functions.
const BANDS: usize = 8;
const ROWS: usize = 3;

/// Words that flip what a title says, as written; their English and German stems are
/// added once (see [`POLARITY`]).
const POLARITY_WORDS: &[&str] = &[
    "deny",
    "denies",
    "denied",
    "dementi",
    "dementiert",
    "not",
    "nicht",
    "kein",
    "keine",
    "no",
    "never",
    "nie",
    "false",
    "reject",
    "rejects",
    "rejected",
    "zurueck",
    "zurueckgewiesen",
    "nonsense",
    "unsinn",
];

/// [`POLARITY_WORDS`] and their stems: a title's words and stems are looked up here.
static POLARITY: LazyLock<HashSet<String>> = LazyLock::new(|| {
    POLARITY_WORDS
        .iter()
        .flat_map(|w| [w.to_string(), stem_of(w, Lang::En), stem_of(w, Lang::De)])
        .collect()
});

/// What happened to a story seen before.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StoryState {
    /// When it was first seen.
    pub first_seen: chrono::DateTime<chrono::Utc>,
    /// Alerts it produced.
    pub alerts: Vec<AlertId>,
    /// Every copy seen, first one first.
    pub copies: Vec<HeadlineRef>,
    /// Its content words (sorted, distinct stems).
    #[serde(default)]
    pub words: Vec<String>,
    /// Its words of polarity ("denies", "nicht"), which filler filtering would drop.
    #[serde(default)]
    pub polarity: Vec<String>,
}

/// What identifies a story, read from a title's whole words (so it does not change with the
/// rules' compound splitting).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The exact key: the title's folded words, hashed.
    pub key: String,
    /// Content words: sorted, distinct stems of the words that are not fillers.
    pub words: Vec<String>,
    /// Words that flip what the title says ("denies", "nicht"; function words, so not among
    /// the content words), by stem: "denies" and "denied" are the same flip. Sorted, distinct.
    pub polarity: Vec<String>,
}

impl Identity {
    /// The identity of `title`.
    pub fn of(title: &NormalizedText) -> Identity {
        let all = title.words();
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v.dedup();
            v
        };
        Identity {
            key: Word::story_key(&all),
            words: sorted(
                all.iter()
                    .filter(|w| !is_filler(&w.text))
                    .map(|w| w.stem.clone())
                    .collect(),
            ),
            polarity: sorted(
                all.iter()
                    .filter(|w| POLARITY.contains(&w.text) || POLARITY.contains(&w.stem))
                    .map(|w| w.stem.clone())
                    .collect(),
            ),
        }
    }
}

/// Jaccard similarity of two sorted, distinct word lists.
pub fn similarity(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared as f64 / (a.len() + b.len() - shared) as f64
}

/// The band keys of a word list's MinHash signature.
fn bands(words: &[String]) -> Vec<u64> {
    (0..BANDS)
        .map(|band| {
            let mut key = band as u64;
            for row in 0..ROWS {
                let seed = (band * ROWS + row) as u64;
                let min = words
                    .iter()
                    .map(|w| xxh3_64_with_seed(w.as_bytes(), seed))
                    .min()
                    .unwrap_or(0);
                key = xxh3_64_with_seed(&min.to_le_bytes(), key);
            }
            key
        })
        .collect()
}

/// Finds earlier copies of a story among those remembered.
#[derive(Debug, Default)]
pub struct StoryIndex {
    buckets: HashMap<u64, Vec<String>>,
}

impl StoryIndex {
    /// An index over `stories`.
    pub fn build(stories: &BTreeMap<String, StoryState>) -> StoryIndex {
        let mut index = StoryIndex::default();
        for (key, story) in stories {
            index.insert(key, &story.words);
        }
        index
    }

    /// Remembers a story's words under its key.
    pub fn insert(&mut self, key: &str, words: &[String]) {
        if words.len() < MIN_WORDS {
            return;
        }
        for band in bands(words) {
            let bucket = self.buckets.entry(band).or_default();
            if !bucket.iter().any(|k| k == key) {
                bucket.push(key.to_string());
            }
        }
    }

    /// The key of a remembered story this title retells, if any.
    pub fn find(
        &self,
        key: &str,
        words: &[String],
        polarity: &[String],
        stories: &BTreeMap<String, StoryState>,
    ) -> Option<String> {
        if stories.contains_key(key) {
            return Some(key.to_string());
        }
        if words.len() < MIN_WORDS {
            return None;
        }
        let mut best: Option<(f64, &String)> = None;
        for band in bands(words) {
            for candidate in self.buckets.get(&band).into_iter().flatten() {
                let Some(story) = stories.get(candidate) else {
                    continue;
                };
                let sim = similarity(words, &story.words);
                if sim >= SAME_STORY
                    && polarity == story.polarity.as_slice()
                    && best.is_none_or(|(b, _)| sim > b)
                {
                    best = Some((sim, candidate));
                }
            }
        }
        best.map(|(_, k)| k.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize;

    fn words(title: &str) -> Vec<String> {
        Identity::of(&normalize(title, None)).words
    }

    fn polarity_words(title: &NormalizedText) -> Vec<String> {
        Identity::of(title).polarity
    }

    #[test]
    fn words_that_flip_a_title_are_found_in_any_form() {
        for (title, expected) in [
            ("Nvidia denies report on OpenAI chips", "deni"),
            ("Nvidia denied the report", "deni"),
            ("OpenAI rejects claims about chips", "reject"),
            ("Nvidia dementiert Bericht über OpenAI", "dementiert"),
            ("Das ist nicht wahr, sagt Nvidia", "nicht"),
        ] {
            let title = normalize(title, None);
            let found = polarity_words(&title);
            let stem = stem_of(expected, title.lang);
            assert!(found.contains(&stem), "{}: {found:?}", title.original);
        }
        assert_eq!(
            polarity_words(&normalize("Nvidia denies the OpenAI report", None)),
            polarity_words(&normalize("Nvidia denied the OpenAI report", None)),
        );
        assert!(polarity_words(&normalize("OpenAI weighs Cerebras chips", None)).is_empty());
    }

    #[test]
    fn a_story_is_the_same_whatever_the_rules_split_for_matching() {
        // The cuts depend on the rules' words: one rule set cuts, another does not.
        let title = "OpenAI sucht nach Chipalternativen, nicht Nichtnvidiahardware";
        let whole = normalize(title, None);
        let mut cut = whole.clone();
        cut.split_compounds(|w| match w {
            "chipalternativen" => vec![4],
            "nichtnvidiahardware" => vec![5, 11],
            _ => vec![],
        });
        assert!(cut.tokens.len() > whole.tokens.len());
        assert_eq!(Identity::of(&cut), Identity::of(&whole));
        assert_eq!(cut.story_key(), whole.story_key());
    }

    fn index(titles: &[&str]) -> (StoryIndex, BTreeMap<String, StoryState>) {
        let mut stories = BTreeMap::new();
        for t in titles {
            let n = normalize(t, None);
            stories.insert(
                n.story_key(),
                StoryState {
                    words: Identity::of(&n).words,
                    polarity: Identity::of(&n).polarity,
                    ..StoryState::default()
                },
            );
        }
        (StoryIndex::build(&stories), stories)
    }

    fn retells(index: &(StoryIndex, BTreeMap<String, StoryState>), title: &str) -> bool {
        let id = Identity::of(&normalize(title, None));
        index
            .0
            .find(&id.key, &id.words, &id.polarity, &index.1)
            .is_some()
    }

    #[test]
    fn rewordings_of_a_story_are_found() {
        let idx = index(&[
            "OpenAI is unsatisfied with some Nvidia chips and looking for alternatives, sources say",
        ]);
        assert!(retells(
            &idx,
            "UPDATE 1-OpenAI is unsatisfied with some Nvidia chips and looking for alternatives, sources say"
        ));
        assert!(retells(
            &idx,
            "OpenAI unsatisfied with some Nvidia chips, looking for alternatives - Reuters"
        ));
        assert!(retells(
            &idx,
            "OpenAI is unsatisfied with Nvidia chips and is looking for alternatives"
        ));
    }

    #[test]
    fn different_stories_and_denials_are_not_folded() {
        let idx = index(&[
            "OpenAI is unsatisfied with some Nvidia chips and looking for alternatives, sources say",
        ]);
        assert!(!retells(
            &idx,
            "Nvidia denies OpenAI is unsatisfied with its chips and looking for alternatives"
        ));
        assert!(!retells(&idx, "OpenAI signs deal for more Nvidia chips"));
        assert!(!retells(
            &idx,
            "Meta is unsatisfied with some AMD chips and looking for alternatives"
        ));
        let idx = index(&["Nvidia bestätigt Gespräche mit OpenAI über neue Chips"]);
        assert!(
            !retells(
                &idx,
                "Nvidia bestätigt Gespräche mit OpenAI über neue Chips nicht"
            ),
            "a trailing `nicht` flips it"
        );
        assert!(retells(
            &idx,
            "UPDATE 1-Nvidia bestätigt Gespräche mit OpenAI über neue Chips"
        ));
    }

    #[test]
    fn similarity_is_jaccard() {
        assert_eq!(similarity(&words("a b c d"), &words("a b c d")), 1.0);
        let a = vec!["x".to_string(), "y".to_string()];
        let b = vec!["y".to_string(), "z".to_string()];
        assert!((similarity(&a, &b) - 1.0 / 3.0).abs() < 1e-9);
    }
}
