//! The `/alert` language: what a chat types, understood as a [`Spec`].
//!
//! ```text
//! /alert NVDA below 180            the price crosses below 180
//! /alert NVDA drop 3%              down 3 % or more against the previous close
//! /alert NVDA rise 3%              up 3 % or more
//! /alert NVDA move 2% 1h           2 % either way within an hour
//! /alert NVDA news "OpenAI" chips  a headline about NVDA with these words
//! /alert NVDA news OpenAI drop 2%  both, within a day of each other
//! ... every 4h                     at most one alert per 4 h (default once a day)
//! ... once                         fire once, then remove the alert
//! ... quiet                        deliver without a notification sound
//! ```
//!
//! Parsing is pure and strict: anything it does not understand is a [`SpecError`] the chat is
//! shown with examples; nothing is stored. Numbers are read the English or the German way,
//! and one that could be read both ways to different values (`1,850`) is asked about, never
//! guessed. [`Spec::summary`] writes the normal form that is listed by `/alerts`, stored, and
//! read back with [`parse_listed`] when the bot starts.

mod keywords;
mod numbers;

use std::time::Duration;

use keywords::Keyword;
use numbers::{Separators, level, num, number, percent_joined};

use crate::text::Lang;

use crate::rules::{
    Cmp, DEFAULT_MAX_AGE, Direction, PriceCheck, PriceKind, Reference, SessionFilter, Term,
    Threshold,
};

/// What a chat may have.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Personal alerts per chat.
    pub per_chat: usize,
    /// The shortest `every` allowed.
    pub min_cooldown: Duration,
}

impl Limits {
    /// No limits: for reading back alerts stored under earlier settings.
    pub const UNLIMITED: Limits = Limits {
        per_chat: usize::MAX,
        min_cooldown: Duration::ZERO,
    };
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            per_chat: 20,
            min_cooldown: Duration::from_secs(15 * 60),
        }
    }
}

/// The price part of a personal alert.
#[derive(Clone, Debug, PartialEq)]
pub enum PricePart {
    /// Trades below a level.
    Below(f64),
    /// Trades above a level.
    Above(f64),
    /// Down this many percent against the previous close.
    Drop(f64),
    /// Up this many percent against the previous close.
    Rise(f64),
    /// This many percent either way within the window.
    Move {
        /// Percent.
        pct: f64,
        /// The rolling window.
        window: Duration,
    },
}

/// A personal alert as understood.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// Ticker symbol, upper case.
    pub symbol: String,
    /// The price condition, if any.
    pub price: Option<PricePart>,
    /// Headline terms that must all appear (phrases kept together).
    pub words: Vec<String>,
    /// At most one alert per this span.
    pub every: Duration,
    /// Fire once, then the alert is removed.
    pub once: bool,
    /// Deliver without a notification sound.
    pub quiet: bool,
}

/// Why a personal alert was not understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecError {
    /// Nothing after `/alert`.
    Empty,
    /// The first word is not a ticker symbol.
    BadSymbol(String),
    /// Neither a price nor a news part.
    NothingToWatch,
    /// A keyword without its number.
    MissingNumber(String),
    /// A number that is not one, or out of range.
    BadNumber(String),
    /// A window or cooldown that is not a duration in range.
    BadDuration(String),
    /// `every` shorter than allowed (minimum in minutes).
    TooFrequent(u64),
    /// A word the grammar does not know.
    Unexpected(String),
    /// `news` without words, or words that are only punctuation.
    NoWords,
    /// A word that cannot be looked for (no letters or digits to match).
    BadWord(String),
    /// Too many words or too long a phrase.
    TooManyWords,
    /// Two price parts.
    TwoPrices,
    /// A percentage whose sign says the other way than its keyword (`drop +2%`): the keyword
    /// as typed, and the percentage.
    WrongSign {
        /// As typed (`drop`, `fällt`).
        keyword: String,
        /// The percentage with its sign (`+2%`).
        written: String,
    },
    /// A percentage of `move`, which is either way, with a sign (`move -2%`).
    SignedMove(String),
    /// A number whose one `,` or `.` before three digits may separate thousands or decimals
    /// (`1,850`): what it was, and the two readings in the normal form.
    AmbiguousNumber {
        /// As typed.
        written: String,
        /// Read as thousands (`1850`).
        thousands: String,
        /// Read with a decimal point (`1.85`; `12.3450`, so it is not ambiguous in turn).
        decimal: String,
    },
}

/// Longest text a spec may have.
const MAX_LEN: usize = 300;
/// Most terms in `news`.
const MAX_WORDS: usize = 8;
/// Longest term.
const MAX_TERM: usize = 60;

fn tokens(input: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in input.chars() {
        match c {
            '"' | '“' | '”' | '„' | '«' | '»' => {
                if quoted || !current.is_empty() {
                    out.push((std::mem::take(&mut current), quoted));
                }
                quoted = !quoted;
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    out.push((std::mem::take(&mut current), false));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push((current, quoted));
    }
    out.retain(|(t, _)| !t.trim().is_empty());
    out
}

fn duration(raw: &str, min: Duration, max: Duration) -> Result<Duration, SpecError> {
    let d = humantime::parse_duration(raw.trim())
        .map_err(|_| SpecError::BadDuration(raw.to_string()))?;
    if d < min || d > max {
        return Err(SpecError::BadDuration(raw.to_string()));
    }
    Ok(d)
}

/// Keeps letters, digits and the few marks names use; everything a rule term would read as
/// syntax (`@`, `*`, `=`) goes.
fn clean_term(raw: &str) -> String {
    let kept: String = raw
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '\'' | '&' | '.') {
                c
            } else {
                ' '
            }
        })
        .collect();
    // Marks and spaces both go from the ends: a mark cut off can expose a space (`a -`).
    kept.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_matches(|c: char| matches!(c, '-' | '.' | '\'') || c.is_whitespace())
        .to_string()
}

/// Whether `toks` begin as a number or a duration does (`3%`, `-2%`, `- 2%`, `,5`, `4h`): what
/// makes a keyword among the news words a keyword.
fn looks_like_value(toks: &[(String, bool)]) -> bool {
    let first = match toks {
        // A sign apart from its number: `- 2%`.
        [(sign, false), rest @ ..] if sign_of(sign).is_some() && sign.chars().count() == 1 => {
            rest.first()
        }
        _ => toks.first(),
    };
    let Some((word, false)) = first else {
        return false;
    };
    word.trim_start_matches(['+', '-', MINUS, '.', ','])
        .starts_with(|c: char| c.is_ascii_digit())
}

/// The minus sign the bot writes its percentages with (`−2.89 %`), which a chat may copy.
const MINUS: char = '\u{2212}';

/// The direction a leading sign gives a number: `Some(true)` up, `Some(false)` down.
fn sign_of(word: &str) -> Option<bool> {
    match word.chars().next()? {
        '+' => Some(true),
        '-' | MINUS => Some(false),
        _ => None,
    }
}

/// A percentage after a keyword, as typed.
struct Percentage {
    /// Its value, without the sign.
    pct: f64,
    /// The direction its sign gives it (`true` up), and how it was written, if signed.
    sign: Option<(bool, String)>,
    /// How many tokens the keyword and it took.
    taken: usize,
}

/// The percentage after a keyword at `toks[i]` (typed as `keyword`), with the direction its
/// sign gives it, if it has one (`-2%`, or the sign apart: `- 2%`).
fn percentage(
    toks: &[(String, bool)],
    i: usize,
    keyword: &str,
    separators: Separators,
) -> Result<Percentage, SpecError> {
    let Some((word, quoted)) = toks.get(i + 1) else {
        return Err(SpecError::MissingNumber(keyword.to_string()));
    };
    let Some(up) = sign_of(word) else {
        let pct = number(toks.get(i + 1), keyword, true, separators)?;
        return Ok(Percentage {
            pct,
            sign: None,
            taken: 2,
        });
    };
    let sign = word.chars().next().unwrap_or('-');
    let (digits, taken) = if word.chars().count() == 1 {
        match toks.get(i + 2) {
            Some((next, _)) => (next.clone(), 3),
            None => return Err(SpecError::MissingNumber(keyword.to_string())),
        }
    } else {
        (word[sign.len_utf8()..].to_string(), 2)
    };
    let written = format!("{sign}{digits}");
    if sign_of(&digits).is_some() {
        return Err(SpecError::BadNumber(written));
    }
    let pct = number(Some(&(digits, *quoted)), keyword, true, separators).map_err(|e| match e {
        SpecError::BadNumber(_) => SpecError::BadNumber(written.clone()),
        e => e,
    })?;
    Ok(Percentage {
        pct,
        sign: Some((up, written)),
        taken,
    })
}

/// Parses what follows `/alert`, as a chat types it (see [`Separators::Typed`]).
pub fn parse(input: &str, limits: &Limits) -> Result<Spec, SpecError> {
    parse_as(input, limits, Separators::Typed)
}

/// Parses the normal form [`Spec::summary`] writes (listed, stored, read back at start),
/// whose `.` is always the decimal point: `below 1.085` is the level 1.085 it was made with.
/// Limits are not applied: they held when the alert was made.
pub fn parse_listed(input: &str) -> Result<Spec, SpecError> {
    parse_as(input, &Limits::UNLIMITED, Separators::Normal)
}

fn parse_as(input: &str, limits: &Limits, separators: Separators) -> Result<Spec, SpecError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(SpecError::Empty);
    }
    if input.chars().count() > MAX_LEN {
        return Err(SpecError::TooManyWords);
    }
    let toks = tokens(&percent_joined(input));
    let (first, _) = toks.first().ok_or(SpecError::Empty)?;
    let Some(symbol) = crate::model::symbol(first) else {
        return Err(SpecError::BadSymbol(first.clone()));
    };
    let mut spec = Spec {
        symbol,
        price: None,
        words: Vec::new(),
        every: Duration::from_secs(24 * 3600),
        once: false,
        quiet: false,
    };
    let mut news = false;
    let mut i = 1;
    let set_price = |spec: &mut Spec, p: PricePart| -> Result<(), SpecError> {
        if spec.price.is_some() {
            return Err(SpecError::TwoPrices);
        }
        spec.price = Some(p);
        Ok(())
    };
    while i < toks.len() {
        let (word, quoted) = &toks[i];
        // Among the news words, a keyword without the number it needs after it is one of
        // the words (`news Übernahme unter Druck`); quoted, a word is never a keyword.
        let keyword = (!quoted)
            .then(|| Keyword::of(word))
            .flatten()
            .filter(|k| !(news && k.takes_value() && !looks_like_value(&toks[i + 1..])));
        // Errors name the keyword as it was typed.
        let typed = word.to_lowercase();
        match keyword {
            Some(Keyword::Below) => {
                set_price(
                    &mut spec,
                    PricePart::Below(number(toks.get(i + 1), &typed, false, separators)?),
                )?;
                i += 2;
            }
            Some(Keyword::Above) => {
                set_price(
                    &mut spec,
                    PricePart::Above(number(toks.get(i + 1), &typed, false, separators)?),
                )?;
                i += 2;
            }
            Some(k @ (Keyword::Drop | Keyword::Rise)) => {
                // A sign may say the keyword's direction again (`drop -2%`), never the other.
                let Percentage { pct, sign, taken } = percentage(&toks, i, &typed, separators)?;
                let up = k == Keyword::Rise;
                if let Some((signed_up, written)) = sign
                    && signed_up != up
                {
                    return Err(SpecError::WrongSign {
                        keyword: typed,
                        written,
                    });
                }
                let part = if up {
                    PricePart::Rise(pct)
                } else {
                    PricePart::Drop(pct)
                };
                set_price(&mut spec, part)?;
                i += taken;
            }
            Some(Keyword::Move) => {
                let Percentage { pct, sign, taken } = percentage(&toks, i, &typed, separators)?;
                if let Some((_, written)) = sign {
                    return Err(SpecError::SignedMove(written));
                }
                i += taken;
                // An optional window right after the percentage.
                let window = match toks.get(i) {
                    Some((w, false)) if w.chars().next().is_some_and(|c| c.is_ascii_digit()) => {
                        i += 1;
                        let d = duration(
                            w,
                            Duration::from_secs(5 * 60),
                            Duration::from_secs(24 * 3600),
                        )?;
                        // Windows are whole minutes: as listed, so as evaluated.
                        Duration::from_secs(d.as_secs().div_ceil(60) * 60)
                    }
                    _ => Duration::from_secs(3600),
                };
                set_price(&mut spec, PricePart::Move { pct, window })?;
            }
            Some(Keyword::Every) => {
                let raw = toks
                    .get(i + 1)
                    .map(|(w, _)| w.as_str())
                    .ok_or_else(|| SpecError::MissingNumber(typed.clone()))?;
                let every = duration(
                    raw,
                    Duration::from_secs(60),
                    Duration::from_secs(7 * 24 * 3600),
                )?;
                if every < limits.min_cooldown {
                    return Err(SpecError::TooFrequent(
                        limits.min_cooldown.as_secs().div_ceil(60),
                    ));
                }
                spec.every = every;
                i += 2;
            }
            Some(Keyword::Once) => {
                spec.once = true;
                i += 1;
            }
            Some(Keyword::Quiet) => {
                spec.quiet = true;
                i += 1;
            }
            Some(Keyword::News) => {
                news = true;
                i += 1;
            }
            None if news => {
                let term = clean_term(word);
                if term.is_empty() {
                    return Err(SpecError::NoWords);
                }
                // Looked for as a rule term would be: one that cannot be is refused now,
                // not left to never match.
                if Term::parse(&term).is_err() {
                    return Err(SpecError::BadWord(word.clone()));
                }
                if term.chars().count() > MAX_TERM || spec.words.len() >= MAX_WORDS {
                    return Err(SpecError::TooManyWords);
                }
                if !spec.words.contains(&term) {
                    spec.words.push(term);
                }
                i += 1;
            }
            None => return Err(SpecError::Unexpected(word.clone())),
        }
    }
    if news && spec.words.is_empty() {
        return Err(SpecError::NoWords);
    }
    if spec.price.is_none() && spec.words.is_empty() {
        return Err(SpecError::NothingToWatch);
    }
    Ok(spec)
}

fn span(d: Duration) -> String {
    let secs = d.as_secs();
    if secs.is_multiple_of(86_400) {
        format!("{}d", secs / 86_400)
    } else if secs.is_multiple_of(3600) {
        format!("{}h", secs / 3600)
    } else {
        format!("{}m", secs.div_ceil(60))
    }
}

impl Spec {
    /// The alert in the normal form it is stored with and read back from at start:
    /// `NVDA news "OpenAI" "chips" drop 3%` (its keywords in English, its `.` the decimal
    /// point).
    pub fn summary(&self) -> String {
        self.written(Lang::En)
    }

    /// The alert as the answers to a chat in `lang` write it, which the chat can copy into
    /// `/edit` as it is: in English the normal form; in German with the German keywords and
    /// decimal commas (`SAP.DE fällt 2,5% alle 4h`).
    pub fn written(&self, lang: Lang) -> String {
        let k = |keyword: Keyword| keyword.word(lang);
        let decimals = |x: String| match lang {
            Lang::En => x,
            Lang::De => x.replace('.', ","),
        };
        let mut parts = vec![self.symbol.clone()];
        if !self.words.is_empty() {
            let words: Vec<String> = self.words.iter().map(|w| format!("\"{w}\"")).collect();
            parts.push(format!("{} {}", k(Keyword::News), words.join(" ")));
        }
        if let Some(p) = &self.price {
            parts.push(match p {
                PricePart::Below(x) => format!("{} {}", k(Keyword::Below), decimals(level(*x))),
                PricePart::Above(x) => format!("{} {}", k(Keyword::Above), decimals(level(*x))),
                PricePart::Drop(x) => format!("{} {}%", k(Keyword::Drop), decimals(num(*x))),
                PricePart::Rise(x) => format!("{} {}%", k(Keyword::Rise), decimals(num(*x))),
                PricePart::Move { pct, window } => format!(
                    "{} {}% {}",
                    k(Keyword::Move),
                    decimals(num(*pct)),
                    span(*window)
                ),
            });
        }
        if self.every != Duration::from_secs(24 * 3600) {
            parts.push(format!("{} {}", k(Keyword::Every), span(self.every)));
        }
        if self.once {
            parts.push(k(Keyword::Once).into());
        }
        if self.quiet {
            parts.push(k(Keyword::Quiet).into());
        }
        parts.join(" ")
    }

    /// The price checks of the price part, named as the selections of a rule would be
    /// (`price`; `down` and `up` for a move): what the alert is evaluated with, and what its
    /// evidence calls what held.
    pub fn price_checks(&self) -> Vec<(&'static str, PriceCheck)> {
        let check = |kind| PriceCheck {
            kind,
            session: SessionFilter::Any,
            max_age: DEFAULT_MAX_AGE,
        };
        let change = |from, window, cmp, value| PriceKind::Change {
            from,
            window,
            threshold: Threshold { cmp, value },
        };
        match &self.price {
            None => Vec::new(),
            Some(PricePart::Below(x)) => vec![(
                "price",
                check(PriceKind::Crosses {
                    direction: Direction::Below,
                    level: *x,
                }),
            )],
            Some(PricePart::Above(x)) => vec![(
                "price",
                check(PriceKind::Crosses {
                    direction: Direction::Above,
                    level: *x,
                }),
            )],
            Some(PricePart::Drop(x)) => vec![(
                "price",
                check(change(Reference::PreviousClose, None, Cmp::Le, -x)),
            )],
            Some(PricePart::Rise(x)) => vec![(
                "price",
                check(change(Reference::PreviousClose, None, Cmp::Ge, *x)),
            )],
            Some(PricePart::Move { pct, window }) => vec![
                (
                    "down",
                    check(change(Reference::Window, Some(*window), Cmp::Le, -pct)),
                ),
                (
                    "up",
                    check(change(Reference::Window, Some(*window), Cmp::Ge, *pct)),
                ),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Lang;

    fn limits() -> Limits {
        Limits::default()
    }

    #[test]
    fn the_documented_forms_parse() {
        let s = parse("NVDA below 180", &limits()).unwrap();
        assert_eq!(
            (s.symbol.as_str(), s.price),
            ("NVDA", Some(PricePart::Below(180.0)))
        );
        assert_eq!(
            parse("nvda drop 3%", &limits()).unwrap().price,
            Some(PricePart::Drop(3.0))
        );
        assert_eq!(
            parse("NVDA drop 2,5 %", &limits()).unwrap().price,
            Some(PricePart::Drop(2.5))
        );
        assert_eq!(
            parse("NVDA move 2% 1h", &limits()).unwrap().price,
            Some(PricePart::Move {
                pct: 2.0,
                window: Duration::from_secs(3600)
            })
        );
        // A window is whole minutes, listed and evaluated alike.
        let s = parse("NVDA move 2% 330s", &limits()).unwrap();
        assert_eq!(
            s.price,
            Some(PricePart::Move {
                pct: 2.0,
                window: Duration::from_secs(360)
            })
        );
        assert_eq!(s.summary(), "NVDA move 2% 6m");
        let s = parse("NVDA news \"OpenAI\" chips", &limits()).unwrap();
        assert_eq!(s.words, ["OpenAI", "chips"]);
        assert_eq!(s.price, None);
        let s = parse("NVDA news “OpenAI” chips drop 2% every 4h", &limits()).unwrap();
        assert_eq!(s.words, ["OpenAI", "chips"]);
        assert_eq!(s.price, Some(PricePart::Drop(2.0)));
        assert_eq!(s.every, Duration::from_secs(4 * 3600));
        assert_eq!(
            s.summary(),
            "NVDA news \"OpenAI\" \"chips\" drop 2% every 4h"
        );
        assert_eq!(
            parse("NVDA news \"chatgpt maker\"", &limits())
                .unwrap()
                .words,
            ["chatgpt maker"]
        );
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        let l = limits();
        assert_eq!(parse("", &l), Err(SpecError::Empty));
        assert_eq!(parse("NVDA", &l), Err(SpecError::NothingToWatch));
        assert_eq!(
            parse("NVDA drop", &l),
            Err(SpecError::MissingNumber("drop".into()))
        );
        assert_eq!(
            parse("NVDA drop lots", &l),
            Err(SpecError::BadNumber("lots".into()))
        );
        assert_eq!(
            parse("NVDA drop 300%", &l),
            Err(SpecError::BadNumber("300%".into()))
        );
        assert_eq!(
            parse("NVDA below -5", &l),
            Err(SpecError::BadNumber("-5".into()))
        );
        assert_eq!(
            parse("NVDA below NaN", &l),
            Err(SpecError::BadNumber("NaN".into()))
        );
        assert_eq!(
            parse("NVDA drop 0.00001%", &l),
            Err(SpecError::BadNumber("0.00001%".into())),
            "rounds to nothing"
        );
        assert_eq!(
            parse("<b>hi</b> drop 3%", &l),
            Err(SpecError::BadSymbol("<b>hi</b>".into()))
        );
        assert_eq!(
            parse("NVDA sinks 3%", &l),
            Err(SpecError::Unexpected("sinks".into()))
        );
        assert_eq!(parse("NVDA news", &l), Err(SpecError::NoWords));
        assert_eq!(parse("NVDA news @@@", &l), Err(SpecError::NoWords));
        assert_eq!(
            parse("NVDA news & chips", &l),
            Err(SpecError::BadWord("&".into())),
            "a word with nothing to match is refused, not kept to never match"
        );
        assert_eq!(
            parse("NVDA drop 3% every 1m", &l),
            Err(SpecError::TooFrequent(15))
        );
        assert_eq!(
            parse("NVDA move 2% 90d", &l),
            Err(SpecError::BadDuration("90d".into()))
        );
        assert_eq!(parse("NVDA drop 3% rise 3%", &l), Err(SpecError::TwoPrices));
        assert_eq!(
            parse(&format!("NVDA news {}", "a ".repeat(200)), &l),
            Err(SpecError::TooManyWords)
        );
    }

    #[test]
    fn a_separator_before_three_digits_is_asked_about_not_guessed() {
        let l = limits();
        // `1,850` is 1850 to an English reader and 1.85 to a German one: either guess sets
        // someone's alert at a level a thousand times off, so the chat is asked.
        for (typed, thousands, decimal) in [
            ("1,850", "1850", "1.85"),
            ("1.850", "1850", "1.85"),
            ("12,345", "12345", "12.3450"),
            ("1,000", "1000", "1"),
        ] {
            assert_eq!(
                parse(&format!("NVDA below {typed}"), &l),
                Err(SpecError::AmbiguousNumber {
                    written: typed.into(),
                    thousands: thousands.into(),
                    decimal: decimal.into(),
                }),
                "{typed}"
            );
        }
        // German decimal commas, and numbers only one reading fits, are read as before.
        for (typed, level) in [
            ("1,5", 1.5),
            ("185,25", 185.25),
            ("0,850", 0.85),
            ("1850,5", 1850.5),
            ("1,8500", 1.85),
            ("1234.567", 1234.567),
            ("1,850.50", 1850.5),
            ("1.850,50", 1850.5),
            ("1,850,000", 1_850_000.0),
            ("1.850.000", 1_850_000.0),
        ] {
            assert_eq!(
                parse(&format!("NVDA above {typed}"), &l).map(|s| s.price),
                Ok(Some(PricePart::Above(level))),
                "{typed}"
            );
        }
        for wrong in ["1,85,000", "1,850.000.5", "1.850,5,0", "1,,850", "1,850,"] {
            assert_eq!(
                parse(&format!("NVDA below {wrong}"), &l),
                Err(SpecError::BadNumber(wrong.into())),
                "{wrong}"
            );
        }
        // A percentage of thousands is out of range: `2,500%` can only be 2.5 %.
        assert_eq!(
            parse("NVDA drop 2,500%", &l).map(|s| s.price),
            Ok(Some(PricePart::Drop(2.5)))
        );
        assert_eq!(
            parse("NVDA drop 1.125 %", &l).map(|s| s.price),
            Ok(Some(PricePart::Drop(1.125)))
        );
        // The normal form writes a dot for the decimal point: read back, it is one. Three
        // decimals get a fourth, so the listed form typed back (`/edit`) is not asked about.
        let spec = parse("EURUSD=X below 1.0850", &l).unwrap();
        assert_eq!(spec.summary(), "EURUSD=X below 1.0850");
        assert_eq!(parse_listed(&spec.summary()), Ok(spec.clone()));
        assert_eq!(parse(&spec.summary(), &l), Ok(spec));
        // An alert stored by an earlier version in three decimals reads back as it was made.
        assert_eq!(
            parse_listed("EURUSD=X below 1.085").map(|s| s.price),
            Ok(Some(PricePart::Below(1.085)))
        );
    }

    #[test]
    fn a_percent_sign_after_any_space_belongs_to_its_number() {
        // German puts a space before `%`, often a no-break one (typed on phones, pasted from
        // web pages), and a thumb may type two.
        for space in ["\u{a0}", "\u{202f}", "  ", " \u{a0}", "\t"] {
            assert_eq!(
                parse(&format!("NVDA drop 2,5{space}%"), &limits()).map(|s| s.price),
                Ok(Some(PricePart::Drop(2.5))),
                "{space:?}"
            );
            assert_eq!(
                parse(&format!("NVDA move 2{space}% 30m"), &limits()).map(|s| s.price),
                Ok(Some(PricePart::Move {
                    pct: 2.0,
                    window: Duration::from_secs(30 * 60)
                })),
                "{space:?}"
            );
        }
    }

    #[test]
    fn the_listed_form_parses_back_to_the_same_alert() {
        // What `/alerts` lists is also what is stored and read back at start.
        for input in [
            "NVDA below 180",
            "NVDA above 200.5 once",
            "nvda drop 3% quiet",
            "NVDA rise 3% every 2h once quiet",
            "NVDA move 2% 330s",
            "NVDA news \"OpenAI\" chips*",
            "SAP.DE news Umsatzwarnung \"Aktie fällt\" drop 2% every 2h",
        ] {
            let spec = parse(input, &limits()).unwrap();
            let again = parse_listed(&spec.summary()).unwrap();
            assert_eq!(spec, again, "{input} → {}", spec.summary());
        }
        let s = parse("NVDA below 180 once quiet", &limits()).unwrap();
        assert!(s.once && s.quiet);
        assert_eq!(s.summary(), "NVDA below 180 once quiet");
    }

    #[test]
    fn words_ending_in_a_mark_after_a_space_list_as_they_parse() {
        // `a -` used to keep the space the `-` left behind: listed as `"a "`, which reads
        // back as `a`, so the alert changed on restart.
        for input in [
            "NVDA news \"Umsatz alw -\"",
            "NVDA news \"- Umsatz\" \". chips ...\"",
            "NVDA news Umsatz/warnung\u{1}-",
            "NVDA news \"a '\" a",
        ] {
            let spec = parse(input, &limits()).unwrap();
            for w in &spec.words {
                assert_eq!(w.trim(), w, "{input}");
            }
            let again = parse_listed(&spec.summary()).unwrap();
            assert_eq!(spec, again, "{input} → {}", spec.summary());
        }
    }

    #[test]
    fn german_keywords_are_read_in_any_chat() {
        let l = limits();
        for (german, english) in [
            ("SAP unter 200", "SAP below 200"),
            ("SAP unterhalb 200", "SAP below 200"),
            ("SAP über 200", "SAP above 200"),
            ("SAP ÜBER 200", "SAP above 200"),
            ("SAP ueber 200", "SAP above 200"),
            ("SAP oberhalb 200", "SAP above 200"),
            ("SAP fällt 3%", "SAP drop 3%"),
            ("SAP Fällt 3 %", "SAP drop 3%"),
            ("SAP faellt 3%", "SAP drop 3%"),
            ("SAP sinkt 2,5 %", "SAP drop 2.5%"),
            ("SAP steigt 3%", "SAP rise 3%"),
            ("SAP bewegt 2% 1h", "SAP move 2% 1h"),
            ("SAP schwankt 2% 30m", "SAP move 2% 30m"),
            ("SAP nachrichten Umsatzwarnung", "SAP news Umsatzwarnung"),
            (
                "SAP.DE news Umsatzwarnung fällt 2% alle 4h einmal leise",
                "SAP.DE news Umsatzwarnung drop 2% every 4h once quiet",
            ),
            ("SAP unter 200 einmalig stumm", "SAP below 200 once quiet"),
        ] {
            let spec = parse(german, &l);
            assert!(spec.is_ok(), "{german}: {spec:?}");
            assert_eq!(spec, parse(english, &l), "{german}");
        }
        // What is missing or wrong is named as typed.
        assert_eq!(
            parse("SAP fällt", &l),
            Err(SpecError::MissingNumber("fällt".into()))
        );
        assert_eq!(
            parse("SAP unter Druck", &l),
            Err(SpecError::BadNumber("Druck".into())),
            "outside the news words a keyword still needs its number"
        );
        assert_eq!(
            parse("SAP fällt 3% alle", &l),
            Err(SpecError::MissingNumber("alle".into()))
        );
    }

    #[test]
    fn an_alert_is_written_in_the_chats_language_and_reads_back_as_written() {
        let l = limits();
        for (input, german) in [
            ("SAP.DE below 200", "SAP.DE unter 200"),
            ("SAP.DE above 200.5 once", "SAP.DE über 200,5 einmal"),
            ("EURUSD=X below 1.0850", "EURUSD=X unter 1,0850"),
            ("NVDA drop 2.5% quiet", "NVDA fällt 2,5% leise"),
            ("NVDA drop 1.125%", "NVDA fällt 1,125%"),
            ("NVDA rise 3% every 2h", "NVDA steigt 3% alle 2h"),
            ("NVDA move 2% 330s", "NVDA bewegt 2% 6m"),
            (
                "SAP.DE news Umsatzwarnung \"Aktie fällt\" drop 2% every 2h",
                "SAP.DE news \"Umsatzwarnung\" \"Aktie fällt\" fällt 2% alle 2h",
            ),
            (
                "SAP news \"unter Druck\" below 1850.5",
                "SAP news \"unter Druck\" unter 1850,5",
            ),
        ] {
            let spec = parse(input, &l).unwrap();
            assert_eq!(spec.written(Lang::De), german, "{input}");
            assert_eq!(spec.written(Lang::En), spec.summary(), "{input}");
            // Copied from `/alerts` into `/edit`: the same alert.
            assert_eq!(parse(german, &l), Ok(spec.clone()), "{german}");
            // The stored normal form stays as it was.
            assert_eq!(parse_listed(&spec.summary()), Ok(spec), "{input}");
        }
    }

    /// A news word may be a keyword too: `SAP news Übernahme unter Druck` looks for headlines
    /// with "unter Druck", and has no price level. A keyword among the news words is one only
    /// when what it needs follows it; quoted, a word is never a keyword.
    #[test]
    fn a_keyword_among_the_news_words_without_its_number_is_one_of_the_words() {
        let l = limits();
        let words = |input: &str| parse(input, &l).map(|s| (s.words, s.price, s.every));
        let day = Duration::from_secs(24 * 3600);
        let w = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            words("SAP news Übernahme unter Druck"),
            Ok((w(&["Übernahme", "unter", "Druck"]), None, day))
        );
        assert_eq!(
            words("SAP news Aktie fällt"),
            Ok((w(&["Aktie", "fällt"]), None, day))
        );
        assert_eq!(
            words("SAP news alle Chips"),
            Ok((w(&["alle", "Chips"]), None, day))
        );
        assert_eq!(
            words("SAP news Unternehmen unterliegt"),
            Ok((w(&["Unternehmen", "unterliegt"]), None, day)),
            "only whole words are keywords"
        );
        // With its number it is the price part, as outside the news words.
        assert_eq!(
            words("SAP news Aktie fällt 3%"),
            Ok((w(&["Aktie"]), Some(PricePart::Drop(3.0)), day))
        );
        assert_eq!(
            words("SAP news Gewinnwarnung unter 200"),
            Ok((w(&["Gewinnwarnung"]), Some(PricePart::Below(200.0)), day))
        );
        // Quoted, it is a word whatever follows.
        assert_eq!(
            words("SAP news \"unter 200\""),
            Ok((w(&["unter 200"]), None, day))
        );
        assert_eq!(
            words("SAP news Chips \"alle\" 4h"),
            Ok((w(&["Chips", "alle", "4h"]), None, day))
        );
        // Listed, such words are quoted: they read back as words.
        let spec = parse("SAP news Übernahme unter Druck", &l).unwrap();
        assert_eq!(spec.summary(), "SAP news \"Übernahme\" \"unter\" \"Druck\"");
        assert_eq!(parse_listed(&spec.summary()), Ok(spec));
    }

    #[test]
    fn a_sign_that_agrees_with_its_keyword_is_read_and_one_that_contradicts_it_is_refused() {
        let l = limits();
        for (typed, price) in [
            ("NVDA drop -2%", PricePart::Drop(2.0)),
            ("NVDA drop −2,5 %", PricePart::Drop(2.5)),
            ("NVDA drop - 2%", PricePart::Drop(2.0)),
            ("NVDA rise +2%", PricePart::Rise(2.0)),
            ("SAP fällt -3%", PricePart::Drop(3.0)),
            ("SAP steigt +3 %", PricePart::Rise(3.0)),
        ] {
            assert_eq!(
                parse(typed, &l).map(|s| s.price),
                Ok(Some(price)),
                "{typed}"
            );
        }
        // Listed without the sign, the keyword says the direction.
        assert_eq!(
            parse("NVDA drop -2%", &l).unwrap().summary(),
            "NVDA drop 2%"
        );
        for (typed, keyword, written) in [
            ("NVDA drop +2%", "drop", "+2%"),
            ("NVDA rise -2%", "rise", "-2%"),
            ("NVDA rise −2%", "rise", "−2%"),
            ("SAP fällt +3%", "fällt", "+3%"),
            ("SAP steigt - 3%", "steigt", "-3%"),
        ] {
            assert_eq!(
                parse(typed, &l),
                Err(SpecError::WrongSign {
                    keyword: keyword.into(),
                    written: written.into()
                }),
                "{typed}"
            );
        }
        // A move is either way: a sign would say otherwise.
        for (typed, written) in [("NVDA move -2% 1h", "-2%"), ("NVDA bewegt +2%", "+2%")] {
            assert_eq!(
                parse(typed, &l),
                Err(SpecError::SignedMove(written.into())),
                "{typed}"
            );
        }
        // A sign alone is no number.
        assert_eq!(
            parse("NVDA drop -", &l),
            Err(SpecError::MissingNumber("drop".into()))
        );
        assert_eq!(
            parse("NVDA drop -x%", &l),
            Err(SpecError::BadNumber("-x%".into()))
        );
    }

    #[test]
    fn the_price_part_is_checked_like_a_rule_would_check_it() {
        let checks = parse("NVDA drop 3%", &limits()).unwrap().price_checks();
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].0, "price");
        assert!(matches!(
            checks[0].1.kind,
            PriceKind::Change {
                from: Reference::PreviousClose,
                threshold: Threshold { cmp: Cmp::Le, value },
                ..
            } if value == -3.0
        ));
        let checks = parse("NVDA move 2% 30m", &limits()).unwrap().price_checks();
        let names: Vec<&str> = checks.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["down", "up"]);
        assert!(
            parse("NVDA news chips", &limits())
                .unwrap()
                .price_checks()
                .is_empty()
        );
    }
}
