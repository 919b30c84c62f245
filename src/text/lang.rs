//! Languages: which one a headline is in, and the stems of its words.
//!
//! Only English and German are told apart. Detection counts function words that belong to one
//! language only (and umlauts, for German); a tie goes to English. A feed that declares its
//! language is believed instead.

use frostem::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};

/// A language marketbot understands.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// German.
    De,
}

impl Lang {
    /// From an ISO 639-1 code (`de`, `de-CH`, `en-US`); other languages are `None`.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code
            .split(['-', '_'])
            .next()?
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "en" => Some(Lang::En),
            "de" => Some(Lang::De),
            _ => None,
        }
    }

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    /// The stem of a folded word in this language.
    ///
    /// German adds a plain `-s` for the genitive of names and the plural of borrowed words
    /// ending in `a`, `o` or `y` (`Nvidias`, `Metas`, `Teslas`, `Autos`, `Handys`), which the
    /// Snowball stemmer keeps; such a word of five letters or more is stemmed without it.
    /// (Not after `e`, `i`, `u`, nor `-gas`: `Preis`, `Hinweis`, `Kaufhaus`, `Erdgas` are
    /// words of their own.)
    pub fn stem(self, folded: &str) -> String {
        let algorithm = match self {
            Lang::En => Algorithm::English,
            Lang::De => Algorithm::German,
        };
        let stemmer = Stemmer::new(algorithm);
        let stem = stemmer.stem(folded);
        if self == Lang::De
            && stem == folded
            && folded.chars().count() >= 5
            && let Some(base) = folded.strip_suffix('s')
            && base.ends_with(['a', 'o', 'y'])
            && !folded.ends_with("gas")
        {
            return stemmer.stem(base).into_owned();
        }
        stem.into_owned()
    }
}

/// Function words that occur in one of the two languages only (folded spelling).
const ENGLISH: &[&str] = &[
    "the",
    "a",
    "an",
    "of",
    "to",
    "and",
    "is",
    "are",
    "for",
    "on",
    "with",
    "as",
    "by",
    "at",
    "from",
    "that",
    "this",
    "its",
    "be",
    "has",
    "have",
    "will",
    "after",
    "over",
    "says",
    "said",
    "than",
    "into",
    "amid",
    "could",
    "would",
    "report",
    "reportedly",
    "sources",
    "say",
    "new",
    "shares",
    "stock",
    "seeks",
    "looks",
    "weighs",
];
const GERMAN: &[&str] = &[
    "der", "die", "das", "und", "ist", "nicht", "mit", "fuer", "von", "zu", "auf", "den", "im",
    "eine", "ein", "sich", "des", "dem", "nach", "bei", "ueber", "auch", "wie", "aus", "sind",
    "wird", "hat", "nur", "noch", "oder", "aber", "zum", "zur", "vom", "um", "mehr", "bericht",
    "aktie", "aktien", "laut", "offenbar", "prueft", "sucht",
];

/// Whether a folded word carries no content of its own (function words of either language,
/// and the words wire services wrap stories in).
pub fn is_filler(folded: &str) -> bool {
    folded.chars().count() <= 2
        || ENGLISH.contains(&folded)
        || GERMAN.contains(&folded)
        || FILLER.contains(&folded)
}

const FILLER: &[&str] = &[
    "sources",
    "source",
    "reuters",
    "bloomberg",
    "exclusive",
    "update",
    "insider",
    "reportedly",
    "berichtet",
    "kreise",
    "informierte",
    "some",
    "einige",
];

/// Guesses the language of `folded_words` (already folded); `original` is the text as
/// published, where umlauts are still visible.
pub fn detect<'a>(folded_words: impl Iterator<Item = &'a str>, original: &str) -> Lang {
    let (mut en, mut de) = (0, 0);
    for w in folded_words {
        if ENGLISH.contains(&w) {
            en += 2;
        }
        if GERMAN.contains(&w) {
            de += 2;
        }
    }
    de += original
        .chars()
        .filter(|c| matches!(c, 'ä' | 'ö' | 'ü' | 'Ä' | 'Ö' | 'Ü' | 'ß'))
        .count()
        .min(3);
    if de > en { Lang::De } else { Lang::En }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_german_s_after_a_vowel_is_the_genitive_or_plural() {
        for (word, base) in [
            ("nvidias", "nvidia"),
            ("metas", "meta"),
            ("teslas", "tesla"),
            ("autos", "auto"),
        ] {
            assert_eq!(Lang::De.stem(word), Lang::De.stem(base), "{word}");
        }
        // Short words and words the stemmer already changes are left as they are.
        assert_eq!(Lang::De.stem("aus"), "aus");
        for (word, inflected) in [
            ("preis", "preise"),
            ("hinweis", "hinweise"),
            ("erdgas", "erdgases"),
            ("kaufhaus", "kaufhauses"),
        ] {
            assert_eq!(Lang::De.stem(word), Lang::De.stem(inflected), "{word}");
        }
        assert_eq!(Lang::De.stem("etwas"), "etwa");
        assert_eq!(Lang::En.stem("metas"), Lang::En.stem("metas"));
    }

    fn guess(text: &str) -> Lang {
        let n = crate::text::normalize(text, None);
        n.lang
    }

    #[test]
    fn headlines_are_told_apart() {
        for en in [
            "Meta in talks to use Google's TPUs instead of Nvidia chips in its data centers",
            "OpenAI is unsatisfied with some Nvidia chips and looking for alternatives, sources say",
            "Nvidia unveils alternative cooling design for Blackwell racks",
        ] {
            assert_eq!(guess(en), Lang::En, "{en}");
        }
        for de in [
            "Bericht: OpenAI prüft Chips von AMD als Ersatz für Nvidia-GPUs",
            "ChatGPT-Mutter OpenAI schaut sich nach Nvidia-Alternativen um",
            "NVIDIA-Aktie im Fokus: Ärger mit OpenAI? Zweifel an KI-Chips wachsen",
            "OpenAI kündigt neue Partnerschaft mit Nvidia an",
        ] {
            assert_eq!(guess(de), Lang::De, "{de}");
        }
    }

    #[test]
    fn codes_and_stems() {
        assert_eq!(Lang::from_code("de-CH"), Some(Lang::De));
        assert_eq!(Lang::from_code("en_US"), Some(Lang::En));
        assert_eq!(Lang::from_code("fr"), None);
        assert_eq!(Lang::En.stem("alternatives"), "altern");
        assert_eq!(Lang::De.stem("alternativen"), "alternativ");
        assert_eq!(Lang::De.stem("aerger"), Lang::De.stem("ärger"));
    }
}
