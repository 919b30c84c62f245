//! Splitting closed compounds (`Chipalternativen`) where the rules know the parts.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use super::{Term, TokenPattern};
use crate::text::Lang;

/// Words the rules know, for splitting closed compounds (`Chipalternativen`).
#[derive(Debug, Default)]
pub(super) struct Vocabulary {
    words: HashSet<String>,
    stems: HashSet<String>,
    prefixes: HashSet<String>,
    /// The cuts of words seen before: headlines repeat their vocabulary, and finding a long
    /// word's cuts stems and looks up each of its parts. Forgotten whole when full.
    memo: Mutex<HashMap<(Lang, String), Vec<usize>>>,
}

/// Words whose cuts are remembered at most.
const CUTS_MEMO: usize = 50_000;

/// Compounds shorter than this are left alone.
const MIN_COMPOUND: usize = 7;
/// Words longer than this (in bytes) are not compounds but noise, and are left whole: the
/// search for cuts grows with the cube of a word's length.
const MAX_COMPOUND: usize = 64;
/// Shortest part of a split compound.
const MIN_PART: usize = 3;
/// Shortest unknown tail cut off a known head.
const MIN_TAIL: usize = 5;

impl Vocabulary {
    pub(super) fn new(terms: &[Term]) -> Vocabulary {
        let mut v = Vocabulary::default();
        for t in terms {
            for p in &t.tokens {
                match p {
                    TokenPattern::Word { folded, stems } => {
                        v.words.insert(folded.clone());
                        v.stems.extend(stems.iter().cloned());
                    }
                    TokenPattern::Exact(w) => {
                        v.words.insert(w.clone());
                    }
                    TokenPattern::Prefix(p) => {
                        v.prefixes.insert(p.clone());
                    }
                    TokenPattern::Any => {}
                }
            }
        }
        v
    }

    /// A word some rule names as a word (not just by a stem wildcard). A stem shorter than a
    /// part says too little: German stems `ueb` (of `überschattet`) and `UBS` both to `ub`.
    fn known_word(&self, word: &str, lang: Lang) -> bool {
        if self.words.contains(word) {
            return true;
        }
        let stem = lang.stem(word);
        stem.chars().count() >= MIN_PART && self.stems.contains(&stem)
    }

    /// A part some rule would match: a known word, or one starting with a known stem.
    fn known(&self, part: &str, lang: Lang) -> bool {
        if part.chars().count() < MIN_PART {
            return false;
        }
        self.known_word(part, lang)
            || part
                .char_indices()
                .skip(MIN_PART)
                .map(|(i, _)| &part[..i])
                .chain(std::iter::once(part))
                .any(|p| self.prefixes.contains(p))
    }

    /// [`cuts`](Self::cuts) of a whole word, remembered.
    pub(super) fn cuts_of(&self, word: &str, lang: Lang) -> Vec<usize> {
        if word.len() < MIN_COMPOUND || word.len() > MAX_COMPOUND {
            return Vec::new();
        }
        let key = (lang, word.to_string());
        if let Some(cuts) = self.memo.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return cuts;
        }
        let cuts = self.cuts(word, lang, 3);
        if let Ok(mut memo) = self.memo.lock() {
            if memo.len() >= CUTS_MEMO {
                memo.clear();
            }
            memo.insert(key, cuts.clone());
        }
        cuts
    }

    /// Where to cut a folded word that the rules do not know but whose parts they do.
    fn cuts(&self, word: &str, lang: Lang, depth: u8) -> Vec<usize> {
        // A word the rules name as a whole stays whole; one only a stem wildcard would match
        // (`chip*` and `chipalternativen`) may still be cut so its other parts match too.
        if depth == 0
            || word.len() > MAX_COMPOUND
            || word.chars().count() < MIN_COMPOUND
            || !word.chars().all(char::is_alphabetic)
            || self.known_word(word, lang)
        {
            return Vec::new();
        }
        // A stem wildcard matching the word's start keeps matching: no cut inside it
        // (`exportbeschraenkung*` keeps `exportbeschraenkungen` whole, `chip*` allows
        // `chip|alternativen`).
        let keep = (MIN_PART..=word.len())
            .rev()
            .filter(|&i| word.is_char_boundary(i))
            .find(|&i| self.prefixes.contains(&word[..i]))
            .unwrap_or(0);
        let bounds: Vec<usize> = word
            .char_indices()
            .map(|(i, _)| i)
            .skip(MIN_PART)
            .filter(|&i| i >= keep)
            .collect();
        // The longest known tail, then the longest known head. An English word is cut only
        // into parts that are all known (`chip|maker`): English writes few closed compounds,
        // and a known tail after letters that are no word is a word of its own (`Releases` is
        // not `rel|eases`, nor `diseases` `dis|eases`). German heads may be unknown
        // (`Halbleiter|exportstopp`).
        for &i in &bounds {
            let (head, tail) = word.split_at(i);
            if tail.chars().count() > MIN_PART && self.known(tail, lang) {
                let mut cuts = self.cuts(head, lang, depth - 1);
                if lang != Lang::De && cuts.is_empty() && !self.known(head, lang) {
                    continue;
                }
                cuts.push(i);
                return cuts;
            }
        }
        // A known head with an unknown tail is a German compound only (`Exportstopp`), and the
        // tail a word of its own: `Metalle` is not `Meta|lle`, nor `Applied` `Appl|ied`.
        if lang != Lang::De {
            return Vec::new();
        }
        for &i in bounds.iter().rev() {
            let (head, tail) = word.split_at(i);
            if tail.chars().count() >= MIN_TAIL && self.known(head, lang) {
                let mut cuts = vec![i];
                cuts.extend(self.cuts(tail, lang, depth - 1).into_iter().map(|c| c + i));
                return cuts;
            }
        }
        Vec::new()
    }
}
