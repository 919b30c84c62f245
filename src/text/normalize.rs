//! The normalisation pipeline after the title is cleaned ([`super::clean`]): Unicode → case
//! and umlaut folding → tokens that remember where they came from.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::clean::clean_title;
use super::lang::{self, Lang};

/// One word of a normalised text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The folded form that matching compares (`aerger`, `nvidia`).
    pub text: String,
    /// The folded form's stem in the text's language (`alternativ`, `altern`).
    pub stem: String,
    /// Byte range in the cleaned original title (see [`NormalizedText::original`]), so matches
    /// can be highlighted in what the reader sees.
    pub span: (usize, usize),
    /// Whether a hyphen joined this token to the previous one (`Nvidia-Alternativen`): the
    /// parts of a compound are matched separately.
    pub joined_to_previous: bool,
}

/// A whole word of a text (see [`NormalizedText::words`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// The folded form.
    pub text: String,
    /// Its stem in the text's language.
    pub stem: String,
}

impl Word {
    /// The story key of a text with these words (see [`NormalizedText::story_key`]).
    pub fn story_key(words: &[Word]) -> String {
        let joined: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        format!(
            "{:016x}",
            xxhash_rust::xxh3::xxh3_64(joined.join(" ").as_bytes())
        )
    }
}

/// A text after the whole pipeline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NormalizedText {
    /// The cleaned original: entities decoded, wire prefix and publisher suffix removed,
    /// otherwise as published. Token spans point into it.
    pub original: String,
    /// The tokens, in order.
    pub tokens: Vec<Token>,
    /// The language the stems were taken in.
    pub lang: Lang,
}

impl NormalizedText {
    /// The folded tokens joined by single spaces: the canonical text of a story.
    pub fn joined(&self) -> String {
        self.words()
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The words as written: the parts of a compound split for matching
    /// ([`NormalizedText::split_compounds`], which depends on the rules) are one word again.
    /// What identifies a story is read from these, so it does not change with the rules.
    pub fn words(&self) -> Vec<Word> {
        let mut out: Vec<Word> = Vec::with_capacity(self.tokens.len());
        let mut previous_end = None;
        for t in &self.tokens {
            match out.last_mut() {
                // A part cut out of the previous one: no character between them.
                Some(last) if previous_end == Some(t.span.0) && t.span.0 < t.span.1 => {
                    last.text.push_str(&t.text);
                    last.stem = stem_of(&last.text, self.lang);
                }
                _ => out.push(Word {
                    text: t.text.clone(),
                    stem: t.stem.clone(),
                }),
            }
            previous_end = Some(t.span.1);
        }
        out
    }

    /// A stable key for "the same story": the folded tokens, hashed. `UPDATE 1-X`,
    /// `X - Reuters` and `X` share one key.
    pub fn story_key(&self) -> String {
        Word::story_key(&self.words())
    }
}

/// Runs the whole pipeline over a headline or summary. `source` is the publisher, when known,
/// so a ` - {source}` suffix is recognised even for publishers not in the built-in list. The
/// language is detected.
pub fn normalize(text: &str, source: Option<&str>) -> NormalizedText {
    normalize_in(text, source, None)
}

/// Like [`normalize`], in a known language (or detected when `None`).
pub fn normalize_in(text: &str, source: Option<&str>, lang: Option<Lang>) -> NormalizedText {
    let original = clean_title(text, source);
    let mut tokens = tokenize(&original);
    let lang =
        lang.unwrap_or_else(|| lang::detect(tokens.iter().map(|t| t.text.as_str()), &original));
    for t in &mut tokens {
        t.stem = stem_of(&t.text, lang);
    }
    NormalizedText {
        original,
        tokens,
        lang,
    }
}

/// The stem of a folded token; numbers and very short words are their own stem.
/// The stem of a folded word in `lang`; short words and words with digits are their own stem
/// (`ai`, `h100`).
pub fn stem_of(folded: &str, lang: Lang) -> String {
    if folded.chars().count() < 3 || folded.chars().any(|c| c.is_ascii_digit()) {
        folded.to_string()
    } else {
        lang.stem(folded)
    }
}

impl NormalizedText {
    /// Splits closed compounds (`chipalternativen`) into parts. `split` gets each folded token
    /// and returns the byte offsets where it should be cut, if any; the parts keep spans
    /// inside the original word and count as joined to the part before them.
    pub fn split_compounds(&mut self, split: impl Fn(&str) -> Vec<usize>) {
        let mut out = Vec::with_capacity(self.tokens.len());
        for token in std::mem::take(&mut self.tokens) {
            let cuts = split(&token.text);
            if cuts.is_empty() {
                out.push(token);
                continue;
            }
            let word = &self.original[token.span.0..token.span.1];
            let (folded, map) = fold_with_offsets(word);
            if folded != token.text {
                out.push(token);
                continue;
            }
            let mut bounds = vec![0];
            bounds.extend(
                cuts.into_iter()
                    .filter(|&c| c > 0 && c < folded.len() && folded.is_char_boundary(c)),
            );
            bounds.push(folded.len());
            bounds.dedup();
            for (i, w) in bounds.windows(2).enumerate() {
                let part = &folded[w[0]..w[1]];
                let start = token.span.0 + map[w[0]];
                let end = if w[1] == folded.len() {
                    token.span.1
                } else {
                    token.span.0 + map[w[1]]
                };
                out.push(Token {
                    text: part.to_string(),
                    stem: stem_of(part, self.lang),
                    span: (start, end.max(start)),
                    joined_to_previous: if i == 0 {
                        token.joined_to_previous
                    } else {
                        true
                    },
                });
            }
        }
        self.tokens = out;
    }
}

/// Case-, width-, accent- and umlaut-folds one word: `Ärger` → `aerger`, `ﬁnal` → `final`,
/// `STRAẞE` → `strasse`, `Café` → `cafe`.
pub fn fold(word: &str) -> String {
    if word.is_ascii() {
        return fold_ascii(word);
    }
    fold_with_offsets(word).0
}

/// [`fold`] of plain ASCII (most headlines): compatibility forms, diacritics and full case
/// folding change nothing but the case, byte for byte.
fn fold_ascii(word: &str) -> String {
    word.bytes()
        .map(|b| match b {
            b'`' => '\'',
            b => b.to_ascii_lowercase() as char,
        })
        .collect()
}

/// [`fold`], and for every byte of the result the byte offset in `word` it came from.
fn fold_with_offsets(word: &str) -> (String, Vec<usize>) {
    if word.is_ascii() {
        return (fold_ascii(word), (0..word.len()).collect());
    }
    let mut out = String::with_capacity(word.len() + 4);
    let mut map = Vec::with_capacity(word.len() + 4);
    let mut compat = String::new();
    for (offset, c) in word.char_indices() {
        let before = out.len();
        compat.clear();
        compat.extend(std::iter::once(c).nfkc());
        // Full case folding: ß → ss, ſ → s, final sigma, … (beyond to_lowercase).
        for c in caseless::default_case_fold_str(&compat).chars() {
            match c {
                'ä' => out.push_str("ae"),
                'ö' => out.push_str("oe"),
                'ü' => out.push_str("ue"),
                '’' | '‘' | '‚' | '‛' | '´' | '`' => out.push('\''),
                c => {
                    // Other diacritics (é, ñ) are dropped: decompose, keep base letters.
                    for d in std::iter::once(c).nfd() {
                        if !is_combining_mark(d) {
                            out.push(d);
                        }
                    }
                }
            }
        }
        map.resize(out.len(), offset);
        debug_assert!(map.len() >= before);
    }
    (out, map)
}

/// The story key of a headline (see [`NormalizedText::story_key`]).
pub fn story_key(title: &str, source: Option<&str>) -> String {
    normalize(title, source).story_key()
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | '‘' | '´' | '`')
}

fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '‐' | '‑' | '‒' | '–' | '—' | '−')
}

/// Splits into words. Hyphens split compounds into parts (marked as joined); an apostrophe
/// followed by `s` ends a possessive (`Google's` → `google`); digits keep their decimal point.
fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut joined_next = false;
    while i < chars.len() {
        let (start, c) = chars[i];
        if !is_word_char(c) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() {
            let (_, cj) = chars[j];
            let decimal_point = matches!(cj, '.' | ',')
                && chars[j - 1].1.is_ascii_digit()
                && chars.get(j + 1).is_some_and(|(_, n)| n.is_ascii_digit());
            if is_word_char(cj) || decimal_point {
                j += 1;
            } else {
                break;
            }
        }
        let end = chars.get(j).map_or(text.len(), |(b, _)| *b);
        tokens.push(Token {
            text: fold(&text[start..end]),
            stem: String::new(),
            span: (start, end),
            joined_to_previous: joined_next,
        });
        joined_next = false;
        // What follows the word decides the next token's relation to it.
        match chars.get(j) {
            Some((_, h))
                if is_hyphen(*h) && chars.get(j + 1).is_some_and(|(_, n)| is_word_char(*n)) =>
            {
                joined_next = true;
                i = j + 1;
            }
            Some((_, a)) if is_apostrophe(*a) => {
                // Possessive or contraction: skip a following lone `s`.
                let after = j + 1;
                let is_possessive = chars
                    .get(after)
                    .is_some_and(|(_, s)| matches!(s, 's' | 'S'))
                    && chars.get(after + 1).is_none_or(|(_, n)| !is_word_char(*n));
                i = if is_possessive { after + 1 } else { after };
            }
            _ => i = j,
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        normalize(text, None)
            .tokens
            .into_iter()
            .map(|t| t.text)
            .collect()
    }

    #[test]
    fn umlauts_and_sharp_s_fold_to_their_ascii_spelling() {
        assert_eq!(words("Ärger ärger aerger"), ["aerger", "aerger", "aerger"]);
        assert_eq!(words("Straße STRASSE"), ["strasse", "strasse"]);
        assert_eq!(words("prüft Übernahme Öl"), ["prueft", "uebernahme", "oel"]);
    }

    #[test]
    fn nfkc_folds_width_and_ligatures_and_accents_drop() {
        assert_eq!(words("ＮＶＩＤＩＡ ﬁnal Café"), ["nvidia", "final", "cafe"]);
    }

    #[test]
    fn quotes_and_dashes_are_unified() {
        let a = normalize("OpenAI’s “alternative” – chips", None);
        let b = normalize("OpenAI's \"alternative\" - chips", None);
        assert_eq!(a.joined(), b.joined());
        assert_eq!(a.joined(), "openai alternative chips");
    }

    #[test]
    fn hyphenated_compounds_are_split_into_parts() {
        let n = normalize("Nicht-Nvidia-Hardware und Nvidia‑Alternativen", None);
        let parts: Vec<(&str, bool)> = n
            .tokens
            .iter()
            .map(|t| (t.text.as_str(), t.joined_to_previous))
            .collect();
        assert_eq!(
            parts,
            [
                ("nicht", false),
                ("nvidia", true),
                ("hardware", true),
                ("und", false),
                ("nvidia", false),
                ("alternativen", true)
            ]
        );
    }

    #[test]
    fn token_spans_point_into_the_cleaned_original() {
        let n = normalize("UPDATE 1-Ärger mit OpenAI - Reuters", None);
        assert_eq!(n.original, "Ärger mit OpenAI");
        let spans: Vec<&str> = n
            .tokens
            .iter()
            .map(|t| &n.original[t.span.0..t.span.1])
            .collect();
        assert_eq!(spans, ["Ärger", "mit", "OpenAI"]);
    }

    #[test]
    fn possessives_and_decimals() {
        assert_eq!(words("Google's TPUs"), ["google", "tpus"]);
        assert_eq!(
            words("falls 2.9% to $186.25"),
            ["falls", "2.9", "to", "186.25"]
        );
    }

    #[test]
    fn the_same_story_from_different_feeds_shares_a_key() {
        let k = story_key("OpenAI is unsatisfied with some Nvidia chips", None);
        assert_eq!(
            k,
            story_key(
                "UPDATE 1-OpenAI is unsatisfied with some Nvidia chips",
                None
            )
        );
        assert_eq!(
            k,
            story_key(
                "OpenAI is unsatisfied with some Nvidia chips - Reuters",
                None
            )
        );
        assert_ne!(k, story_key("Nvidia denies OpenAI is unsatisfied", None));
    }

    #[test]
    fn full_case_folding_and_decomposed_umlauts() {
        assert_eq!(words("STRAẞE Maſs"), ["strasse", "mass"]);
        assert_eq!(words("A\u{308}rger"), ["aerger"], "a + combining diaeresis");
    }

    #[test]
    fn tokens_carry_stems_in_the_detected_language() {
        let de = normalize("OpenAI sucht nach Alternativen zu Nvidia-Chips", None);
        assert_eq!(de.lang, Lang::De);
        assert_eq!(de.tokens[3].stem, "alternativ");
        let en = normalize("OpenAI is looking for alternatives to Nvidia chips", None);
        assert_eq!(en.lang, Lang::En);
        assert_eq!(en.tokens[4].stem, "altern");
        assert_eq!(en.tokens[7].stem, "chip");
    }

    #[test]
    fn closed_compounds_split_into_parts_with_spans_in_the_original() {
        let mut n = normalize("Ärgerliche Chipalternativen gesucht", None);
        n.split_compounds(|w| {
            if w == "chipalternativen" {
                vec![4]
            } else {
                Vec::new()
            }
        });
        let parts: Vec<(&str, &str, bool)> = n
            .tokens
            .iter()
            .map(|t| {
                (
                    t.text.as_str(),
                    &n.original[t.span.0..t.span.1],
                    t.joined_to_previous,
                )
            })
            .collect();
        assert_eq!(
            parts,
            [
                ("aergerliche", "Ärgerliche", false),
                ("chip", "Chip", false),
                ("alternativen", "alternativen", true),
                ("gesucht", "gesucht", false)
            ]
        );
        assert_eq!(n.tokens[2].stem, "alternativ");
        let mut n = normalize("Übernahmeärger", None);
        n.split_compounds(|w| {
            if w == "uebernahmeaerger" {
                vec![10]
            } else {
                Vec::new()
            }
        });
        let spans: Vec<&str> = n
            .tokens
            .iter()
            .map(|t| &n.original[t.span.0..t.span.1])
            .collect();
        assert_eq!(spans, ["Übernahme", "ärger"]);
    }

    #[test]
    fn a_word_broken_by_a_soft_hyphen_is_one_word_and_one_story() {
        assert_eq!(
            words("Chip&shy;alternativen gesucht"),
            ["chipalternativen", "gesucht"]
        );
        assert_eq!(
            story_key("Nvidia-Kunden suchen Chip\u{ad}alternativen", None),
            story_key("Nvidia-Kunden suchen Chipalternativen", None)
        );
    }

    #[test]
    fn hostile_input_does_not_panic() {
        for t in [
            "",
            "-",
            "'",
            "&",
            "&#99999999;",
            "a-",
            "-a",
            "1.",
            ".1",
            "ß'",
            "\u{0}\u{202e}x",
        ] {
            let _ = normalize(t, Some(""));
        }
        let long = "Ä-".repeat(50_000);
        assert_eq!(normalize(&long, None).tokens.len(), 50_000);
    }
}
