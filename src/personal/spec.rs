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

mod numbers;

use std::time::Duration;

use numbers::{Separators, level, num, number, percent_joined};

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

const KEYWORDS: [&str; 9] = [
    "below", "above", "drop", "rise", "move", "news", "every", "once", "quiet",
];

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
        let keyword = (!quoted)
            .then(|| word.to_lowercase())
            .filter(|w| KEYWORDS.contains(&w.as_str()));
        match keyword.as_deref() {
            Some("below") => {
                set_price(
                    &mut spec,
                    PricePart::Below(number(toks.get(i + 1), "below", false, separators)?),
                )?;
                i += 2;
            }
            Some("above") => {
                set_price(
                    &mut spec,
                    PricePart::Above(number(toks.get(i + 1), "above", false, separators)?),
                )?;
                i += 2;
            }
            Some("drop") => {
                set_price(
                    &mut spec,
                    PricePart::Drop(number(toks.get(i + 1), "drop", true, separators)?),
                )?;
                i += 2;
            }
            Some("rise") => {
                set_price(
                    &mut spec,
                    PricePart::Rise(number(toks.get(i + 1), "rise", true, separators)?),
                )?;
                i += 2;
            }
            Some("move") => {
                let pct = number(toks.get(i + 1), "move", true, separators)?;
                i += 2;
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
            Some("every") => {
                let raw = toks
                    .get(i + 1)
                    .map(|(w, _)| w.as_str())
                    .ok_or_else(|| SpecError::MissingNumber("every".into()))?;
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
            Some("once") => {
                spec.once = true;
                i += 1;
            }
            Some("quiet") => {
                spec.quiet = true;
                i += 1;
            }
            Some(_) => {
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
    /// The alert in the normal form it is listed with: `NVDA drop 3% · news "OpenAI" "chips"`.
    pub fn summary(&self) -> String {
        let mut parts = vec![self.symbol.clone()];
        if !self.words.is_empty() {
            let words: Vec<String> = self.words.iter().map(|w| format!("\"{w}\"")).collect();
            parts.push(format!("news {}", words.join(" ")));
        }
        if let Some(p) = &self.price {
            parts.push(match p {
                PricePart::Below(x) => format!("below {}", level(*x)),
                PricePart::Above(x) => format!("above {}", level(*x)),
                PricePart::Drop(x) => format!("drop {}%", num(*x)),
                PricePart::Rise(x) => format!("rise {}%", num(*x)),
                PricePart::Move { pct, window } => format!("move {}% {}", num(*pct), span(*window)),
            });
        }
        if self.every != Duration::from_secs(24 * 3600) {
            parts.push(format!("every {}", span(self.every)));
        }
        if self.once {
            parts.push("once".into());
        }
        if self.quiet {
            parts.push("quiet".into());
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
