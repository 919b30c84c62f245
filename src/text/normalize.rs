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
    /// Whether this token continues the previous one: after a hyphen (`Nvidia-Alternativen`),
    /// as a part cut out of a closed compound, or where the script changes (`Nvidia株`). The
    /// parts are matched separately.
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
    /// ([`NormalizedText::split_compounds`], which depends on the rules) are one word again,
    /// and so are the parts of a word that changes script (`Nvidia株`). What identifies a
    /// story is read from these, so it does not change with the rules.
    pub fn words(&self) -> Vec<Word> {
        let mut out: Vec<Word> = Vec::with_capacity(self.tokens.len());
        // Whether the last word was put together from parts: stemmed once it is whole (not
        // again with every part, which a long run of parts would pay for with its square).
        let mut pieced = false;
        let mut previous_end = None;
        for t in &self.tokens {
            match out.last_mut() {
                // A part cut out of the previous one: no character between them.
                Some(last) if previous_end == Some(t.span.0) && t.span.0 < t.span.1 => {
                    last.text.push_str(&t.text);
                    pieced = true;
                }
                last => {
                    if let Some(last) = last.filter(|_| pieced) {
                        last.stem = stem_of(&last.text, self.lang);
                    }
                    pieced = false;
                    out.push(Word {
                        text: t.text.clone(),
                        stem: t.stem.clone(),
                    });
                }
            }
            previous_end = Some(t.span.1);
        }
        if let Some(last) = out.last_mut().filter(|_| pieced) {
            last.stem = stem_of(&last.text, self.lang);
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

/// Whether `c` is written in a Chinese, Japanese or Korean script: Han ideographs (and their
/// marks of repetition), Hiragana, Katakana (half-width too), Bopomofo, Hangul. These scripts
/// do not separate words with spaces, so where one meets Latin letters or digits a word ends
/// (`Nvidia株が急落` is `nvidia` `株が急落`); within them the text is not segmented further.
fn is_cjk(c: char) -> bool {
    matches!(
        u32::from(c),
        0x1100..=0x11FF // Hangul Jamo
            | 0x3005..=0x3007 // 々 〆 〇
            | 0x3021..=0x3029 // Hangzhou numerals
            | 0x3031..=0x3035 // kana repeat marks
            | 0x3038..=0x303C
            | 0x3041..=0x30FF // Hiragana, Katakana (ー included)
            | 0x3105..=0x312F // Bopomofo
            | 0x3131..=0x318E // Hangul compatibility Jamo
            | 0x31A0..=0x31BF // Bopomofo extended
            | 0x31F0..=0x31FF // Katakana phonetic extensions
            | 0x3400..=0x4DBF // CJK extension A
            | 0x4E00..=0x9FFF // CJK unified ideographs
            | 0xA960..=0xA97F // Hangul Jamo extended A
            | 0xAC00..=0xD7FF // Hangul syllables, Jamo extended B
            | 0xF900..=0xFAFF // CJK compatibility ideographs
            | 0xFF66..=0xFF9F // half-width Katakana
            | 0xFFA0..=0xFFDC // half-width Hangul
            | 0x1AFF0..=0x1B16F // Kana supplement and extensions
            | 0x20000..=0x3FFFF // CJK extensions B and later, compatibility supplement
    )
}

/// Splits into words. Hyphens split compounds into parts (marked as joined), and so does a
/// change between a Chinese, Japanese or Korean script and any other (see [`is_cjk`]); an
/// apostrophe followed by `s` ends a possessive (`Google's` → `google`); digits keep their
/// decimal point.
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
            let script_changes = j > i && is_cjk(cj) != is_cjk(chars[j - 1].1);
            if (is_word_char(cj) && !script_changes) || decimal_point {
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
            // The script changed within the word: what follows continues it.
            Some((_, c)) if is_word_char(*c) => {
                joined_next = true;
                i = j;
            }
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
    fn latin_words_and_digits_end_where_chinese_japanese_or_korean_begins() {
        // Words of those scripts are folded as any other (the kana's voicing marks go with
        // the diacritics: `が` is `か`), on both sides of a match.
        let folded = |words: &[&str]| words.iter().map(|w| fold(w)).collect::<Vec<_>>();
        assert_eq!(words("Nvidia株が急落"), folded(&["nvidia", "株が急落"]));
        assert_eq!(words("英伟达Nvidia芯片"), ["英伟达", "nvidia", "芯片"]);
        assert_eq!(
            words("ＮＶＩＤＩＡ株、NVDA急落"),
            ["nvidia", "株", "nvda", "急落"]
        );
        assert_eq!(words("삼성전자Samsung"), folded(&["삼성전자", "samsung"]));
        let half_width = words("ｴﾇﾋﾞﾃﾞｨｱNVDA");
        assert_eq!((half_width.len(), half_width[1].as_str()), (2, "nvda"));
        assert_eq!(
            words("2月3日に1.5%下落"),
            folded(&["2", "月", "3", "日に", "1.5", "下落"])
        );
        // Within the scripts nothing is segmented: Han and kana are one word.
        assert_eq!(words("株価が急落した"), folded(&["株価が急落した"]));
        let n = normalize("英伟达Nvidia芯片", None);
        let parts: Vec<(&str, bool)> = n
            .tokens
            .iter()
            .map(|t| (&n.original[t.span.0..t.span.1], t.joined_to_previous))
            .collect();
        assert_eq!(parts, [("英伟达", false), ("Nvidia", true), ("芯片", true)]);
        // A story is still told by the words as written.
        assert_eq!(n.joined(), "英伟达nvidia芯片");
        let long = "Nvidia株".repeat(20_000);
        let n = normalize(&long, None);
        assert_eq!(n.tokens.len(), 40_000);
        assert_eq!(n.words().len(), 1);
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
