//! The words of the `/alert` grammar and how each may be typed and is written.

use crate::text::Lang;

/// A word of the grammar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Keyword {
    Below,
    Above,
    Drop,
    Rise,
    Move,
    News,
    Every,
    Once,
    Quiet,
}

/// How each keyword may be typed, in any chat: first as the normal form writes it (English),
/// then in German (umlauts also written out: `ueber`, `faellt`) and a few synonyms. Each is a
/// whole word, matched whatever its case.
const SPELLINGS: [(Keyword, &[&str]); 9] = [
    (Keyword::Below, &["below", "unter", "unterhalb"]),
    (Keyword::Above, &["above", "über", "ueber", "oberhalb"]),
    (Keyword::Drop, &["drop", "fällt", "faellt", "sinkt"]),
    (Keyword::Rise, &["rise", "steigt"]),
    (Keyword::Move, &["move", "bewegt", "schwankt"]),
    (Keyword::News, &["news", "nachrichten"]),
    (Keyword::Every, &["every", "alle"]),
    (Keyword::Once, &["once", "einmal", "einmalig"]),
    (Keyword::Quiet, &["quiet", "leise", "stumm"]),
];

impl Keyword {
    /// The keyword `word` is typed as, if it is one.
    pub(super) fn of(word: &str) -> Option<Keyword> {
        let word = word.to_lowercase();
        SPELLINGS
            .iter()
            .find(|(_, spellings)| spellings.contains(&word.as_str()))
            .map(|(k, _)| *k)
    }

    /// How it is written in `lang`: the normal form's word in English, the German one in
    /// German (`news` is German too).
    pub(super) fn word(self, lang: Lang) -> &'static str {
        match (lang, self) {
            (Lang::De, Keyword::Below) => "unter",
            (Lang::De, Keyword::Above) => "über",
            (Lang::De, Keyword::Drop) => "fällt",
            (Lang::De, Keyword::Rise) => "steigt",
            (Lang::De, Keyword::Move) => "bewegt",
            (Lang::De, Keyword::Every) => "alle",
            (Lang::De, Keyword::Once) => "einmal",
            (Lang::De, Keyword::Quiet) => "leise",
            (_, k) => SPELLINGS
                .iter()
                .find(|(of, _)| *of == k)
                .map_or("", |(_, spellings)| spellings[0]),
        }
    }

    /// Whether a number (for `every`, a duration) must follow it.
    pub(super) fn takes_value(self) -> bool {
        !matches!(self, Keyword::News | Keyword::Once | Keyword::Quiet)
    }
}
