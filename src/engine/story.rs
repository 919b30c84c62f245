//! The same story, told again: another feed, an `UPDATE 1-`, a publisher suffix, or a small
//! rewording.
//!
//! Exact copies share a story key (the folded title). Rewordings are found by the Jaccard
//! similarity of the titles' content words (stems, without filler): MinHash signatures in
//! banded buckets give candidates in constant time, the exact similarity decides. Two titles
//! that differ by a word of polarity ("denies", "dementiert", "not") are never the same story.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use super::Journal;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
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
/// The most recent stories a bucket keeps. Feeds repeat templates ("X shares rise after …"),
/// and every title of a template lands in the same buckets: with no bound a headline would be
/// compared with every earlier one. A retelling is almost always of a recent story, and one
/// that shares a band with more than this many newer stories is still found through its other
/// bands or its exact key.
const BUCKET_KEEP: usize = 4;
/// Copies remembered per story ("also reported by"): enough for every wire service that
/// retells it; further copies are folded without being listed (or re-edited into messages).
pub const MAX_COPIES: usize = 12;

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
    pub first_seen: DateTime<Utc>,
    /// Alerts it produced.
    pub alerts: Vec<AlertId>,
    /// When each of them fired (none for alerts from before this was kept). The story is
    /// remembered from its latest alert on, so copies fold into an alert that fired late (its
    /// price part came a day after the news) as long as into any; an alert older than the
    /// story memory takes no more copies.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fired: BTreeMap<AlertId, DateTime<Utc>>,
    /// Every copy seen, first one first.
    pub copies: Vec<HeadlineRef>,
    /// Its content words (sorted, distinct stems).
    #[serde(default)]
    pub words: Vec<String>,
    /// Its words of polarity ("denies", "nicht"), which filler filtering would drop.
    #[serde(default)]
    pub polarity: Vec<String>,
    /// The symbols it was judged for: a later copy that concerns others (the same article in
    /// another ticker's feed) is judged for those. `None` in state kept before this was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbols: Option<BTreeSet<String>>,
    /// The rules whose text part held (or waited for its price part) on a copy judged, by
    /// id, and the personal alerts whose words held, by their rule id: a later copy worded so
    /// that another rule's or alert's hold too (the fuller wording that came second) is judged
    /// for that one. `None` in state kept before this was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<BTreeSet<String>>,
}

impl StoryState {
    /// Since when it is remembered: its first sighting, or its latest alert.
    pub fn remembered_from(&self) -> DateTime<Utc> {
        self.fired
            .values()
            .copied()
            .fold(self.first_seen, DateTime::max)
    }

    /// Its alerts that still take copies at `now`: those fired within `memory`.
    pub fn open_alerts(
        &self,
        now: DateTime<Utc>,
        memory: chrono::TimeDelta,
    ) -> impl Iterator<Item = AlertId> + '_ {
        self.alerts
            .iter()
            .copied()
            .filter(move |id| self.fired.get(id).is_none_or(|t| now - *t <= memory))
    }
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

/// A word as the index compares it.
fn word_hash(word: &str) -> u64 {
    xxh3_64_with_seed(word.as_bytes(), 0)
}

/// One of the MinHash functions, over a word's hash.
fn rehash(word: u64, function: usize) -> u64 {
    // splitmix64's finaliser over the word and the function's number.
    let mut x = word ^ (function as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The band keys of a word list's MinHash signature.
fn bands(words: &[u64]) -> [u64; BANDS] {
    let mut keys = [0u64; BANDS];
    for (band, key) in keys.iter_mut().enumerate() {
        *key = band as u64;
        for row in 0..ROWS {
            let function = band * ROWS + row;
            let min = words
                .iter()
                .map(|w| rehash(*w, function))
                .min()
                .unwrap_or(0);
            *key = rehash(*key ^ min, function);
        }
    }
    keys
}

/// A story as the index knows it: its words hashed and sorted, so comparing two is a merge of
/// integers.
#[derive(Debug)]
struct Entry {
    key: String,
    words: Box<[u64]>,
    polarity: Box<[String]>,
}

impl Entry {
    fn of(key: &str, words: &[String], polarity: &[String]) -> Entry {
        Entry {
            key: key.to_string(),
            words: hashed(words).into_boxed_slice(),
            polarity: polarity.into(),
        }
    }
}

fn hashed(words: &[String]) -> Vec<u64> {
    let mut hashes: Vec<u64> = words.iter().map(|w| word_hash(w)).collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// Jaccard similarity of two sorted, distinct lists of word hashes.
fn hashed_similarity(a: &[u64], b: &[u64]) -> f64 {
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

/// Finds earlier copies of a story among those remembered.
///
/// Work per headline is bounded: at most [`BANDS`] × [`BUCKET_KEEP`] candidates are compared,
/// however many stories are remembered or how alike the feed's titles are. Stories are known
/// by the hash of their key; their words are compared as hashes.
///
/// It also keeps the stories in the order they are remembered from (first seen, and again when
/// one alerts), so forgetting the expired ones looks at those alone.
#[derive(Debug, Default)]
pub struct StoryIndex {
    buckets: Prehashed<VecDeque<u64>>,
    entries: Prehashed<Entry>,
    /// Every story's key by when it is remembered from (first seen, or alerted: a story
    /// that alerted is in twice), oldest first.
    ages: VecDeque<(DateTime<Utc>, String)>,
}

/// A map whose keys are hashes already (xxh3, splitmix): they are used as they are.
type Prehashed<V> = HashMap<u64, V, BuildHasherDefault<AsIs>>;

/// The hasher of [`Prehashed`] maps.
#[derive(Clone, Copy, Debug, Default)]
struct AsIs(u64);

impl Hasher for AsIs {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl StoryIndex {
    /// An index over `stories`, oldest first (so each bucket keeps the most recent).
    pub fn build(stories: &BTreeMap<String, StoryState>) -> StoryIndex {
        let mut index = StoryIndex::default();
        let mut by_age: Vec<(&String, &StoryState)> = stories.iter().collect();
        by_age.sort_by_key(|(_, s)| s.remembered_from());
        for (key, story) in by_age {
            index.insert(key, story);
        }
        index
    }

    /// Remembers a story under its key (stories come in the order they were first seen).
    pub fn insert(&mut self, key: &str, story: &StoryState) {
        self.ages
            .push_back((story.remembered_from(), key.to_string()));
        if story.words.len() < MIN_WORDS {
            return;
        }
        let id = word_hash(key);
        let entry = Entry::of(key, &story.words, &story.polarity);
        for band in bands(&entry.words) {
            let bucket = self.buckets.entry(band).or_default();
            if !bucket.contains(&id) {
                if bucket.len() == BUCKET_KEEP {
                    bucket.pop_front();
                }
                bucket.push_back(id);
            }
        }
        self.entries.insert(id, entry);
    }

    /// Remembers the story under `key` from `at` (it alerted; `at` is no earlier than any
    /// time recorded before).
    pub fn renew(&mut self, key: &str, at: DateTime<Utc>) {
        self.ages.push_back((at, key.to_string()));
    }

    /// Forgets, here and in `stories`, the stories remembered from before `cutoff`.
    pub fn forget_before(&mut self, cutoff: DateTime<Utc>, stories: &mut Journal<StoryState>) {
        while self.ages.front().is_some_and(|(seen, _)| *seen < cutoff) {
            let (_, key) = self.ages.pop_front().expect("checked");
            // A key seen again later (forgotten, then told anew), or renewed by an alert, has
            // a later place in the queue.
            if stories
                .get(&key)
                .is_some_and(|s| s.remembered_from() < cutoff)
            {
                stories.forget(&key);
                self.unindex(&key);
            }
        }
    }

    /// Drops a story's entry and its place in the buckets.
    fn unindex(&mut self, key: &str) {
        let id = word_hash(key);
        let Some(entry) = self.entries.remove(&id) else {
            return;
        };
        for band in bands(&entry.words) {
            if let Some(bucket) = self.buckets.get_mut(&band) {
                bucket.retain(|k| *k != id);
                if bucket.is_empty() {
                    self.buckets.remove(&band);
                }
            }
        }
    }

    /// How many band buckets are held.
    #[cfg(test)]
    fn buckets(&self) -> usize {
        self.buckets.len()
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
        let words = hashed(words);
        let mut candidates: Vec<u64> = Vec::with_capacity(BANDS * BUCKET_KEEP);
        for band in bands(&words) {
            candidates.extend(self.buckets.get(&band).into_iter().flatten());
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut best: Option<(f64, &Entry)> = None;
        for candidate in candidates {
            let Some(entry) = self.entries.get(&candidate) else {
                continue;
            };
            // Lists this different in length cannot be similar enough.
            let (short, long) = (
                words.len().min(entry.words.len()),
                words.len().max(entry.words.len()),
            );
            if (short as f64) < SAME_STORY * long as f64 {
                continue;
            }
            let sim = hashed_similarity(&words, &entry.words);
            if sim >= SAME_STORY
                && polarity == entry.polarity.as_ref()
                && best.is_none_or(|(b, _)| sim > b)
            {
                best = Some((sim, entry));
            }
        }
        best.map(|(_, e)| e.key.clone())
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
    fn a_flood_of_templated_titles_keeps_the_work_per_title_bounded() {
        let mut stories = BTreeMap::new();
        let mut index = StoryIndex::default();
        let mut add = |title: &str, index: &mut StoryIndex| {
            let id = Identity::of(&normalize(title, None));
            let story = StoryState {
                words: id.words,
                polarity: id.polarity,
                ..StoryState::default()
            };
            index.insert(&id.key, &story);
            stories.insert(id.key, story);
        };
        add(
            "OpenAI is unsatisfied with some Nvidia chips and looking for alternatives",
            &mut index,
        );
        for i in 0..2_000 {
            add(
                &format!("Acme{i} (NASDAQ:ACM{i}) Trading Down {i}.5% - Here's What Happened"),
                &mut index,
            );
        }
        assert!(index.buckets.values().all(|b| b.len() <= BUCKET_KEEP));
        // The story told before the flood is still found: its buckets are its own.
        let id = Identity::of(&normalize(
            "UPDATE 1-OpenAI is unsatisfied with some Nvidia chips and looking for alternatives",
            None,
        ));
        assert!(
            index
                .find(&id.key, &id.words, &id.polarity, &stories)
                .is_some()
        );
        // Forgetting every story leaves nothing behind.
        let mut stories = Journal::untracked(stories);
        index.forget_before(DateTime::<Utc>::MAX_UTC, &mut stories);
        assert!(stories.is_empty());
        assert_eq!(index.buckets(), 0);
        assert!(index.entries.is_empty() && index.ages.is_empty());
    }

    #[test]
    fn similarity_is_jaccard() {
        let same = hashed(&words("Nvidia signs chip supply deal"));
        assert_eq!(hashed_similarity(&same, &same), 1.0);
        let a = hashed(&["x".to_string(), "y".to_string()]);
        let b = hashed(&["y".to_string(), "z".to_string()]);
        assert!((hashed_similarity(&a, &b) - 1.0 / 3.0).abs() < 1e-9);
    }
}
