//! The data that flows through the pipeline: headlines and price bars in, alerts out.
//!
//! These types are what sources produce, what the engine consumes, what the store keeps and what
//! the replay files contain, so their serde form is the documented file format (see
//! PRODUCT.md: headlines are JSON Lines, bars are CSV rows).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Prices believed, in any currency: from a millionth to a billion. A payload's price outside
/// (a denormal `5e-324`, an overflowing `1e300`) is broken, and judged against a real one it
/// would be a move of a million per cent.
pub const PRICES: std::ops::RangeInclusive<f64> = 1e-6..=1e9;

/// `x` if it is a price the bot believes (see [`PRICES`]).
pub fn price(x: Option<f64>) -> Option<f64> {
    x.filter(|p| PRICES.contains(p))
}

/// Longest ticker symbol accepted.
pub const MAX_SYMBOL: usize = 20;

/// A ticker symbol as written by a user, a rule or the config (`nvda`, `$NVDA`, ` SAP.DE`),
/// in the form Yahoo uses (`NVDA`, `SAP.DE`, `^GSPC`, `EURUSD=X`); `None` when it is not one.
pub fn symbol(raw: &str) -> Option<String> {
    let s = raw.trim().trim_start_matches('$').to_ascii_uppercase();
    ((1..=MAX_SYMBOL).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '^' | '='))
        && s.chars().any(|c| c.is_ascii_alphabetic()))
    .then_some(s)
}

/// A currency as a provider names one (`USD`, `EUR`, Yahoo's `GBp` for pence and `ZAc` for
/// cents), kept as written — the case tells pence from pounds; `None` for anything that is not
/// three letters (a null, an empty string, markup).
pub fn currency(raw: Option<&str>) -> Option<String> {
    let raw = raw?.trim();
    (raw.len() == 3 && raw.chars().all(|c| c.is_ascii_alphabetic())).then(|| raw.to_string())
}

/// A US listing's symbol as a source that names US listings alone writes it — a share class
/// after a dot or a slash, as Nasdaq does (`BRK.B`, `BF/B`) — in Yahoo's form (`BRK-B`), or as
/// [`symbol`] reads it. Only for such sources: elsewhere a one-letter suffix is an exchange's
/// (`VOD.L`).
pub fn us_symbol(raw: &str) -> Option<String> {
    let raw = raw.trim().trim_start_matches('$');
    match share_class(raw, &['.', '/']) {
        Some((base, class)) => symbol(&format!("{base}-{class}")),
        None => symbol(raw),
    }
}

/// A symbol from a file of any exchange's symbols — a replay's bars and splits — that may write
/// a US share class as exchanges and data vendors do, after a dot or a slash (`brk.b`,
/// `BF/B`): in Yahoo's form (`BRK-B`), or as [`symbol`] reads it. A letter after the dot that
/// is an exchange's suffix the bot knows (`VOD.L`, `7203.T`, `BMW.F`) is that exchange's, not a
/// share class.
pub fn recorded_symbol(raw: &str) -> Option<String> {
    let raw = raw.trim().trim_start_matches('$');
    match share_class(raw, &['.', '/']) {
        Some((base, class))
            if raw.contains('/') || crate::market::exchange_of_suffix(class).is_none() =>
        {
            symbol(&format!("{base}-{class}"))
        }
        _ => symbol(raw),
    }
}

/// A US share class written after one of `marks` (`BRK.B` with `.`, `BRK-B` with `-`): the
/// company's letters and the class's one letter.
pub fn share_class<'a>(symbol: &'a str, marks: &[char]) -> Option<(&'a str, &'a str)> {
    let (base, class) = symbol.split_once(marks)?;
    let letters = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphabetic());
    (class.len() == 1 && letters(class) && letters(base)).then_some((base, class))
}

/// What the provider said about a symbol.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SymbolCheck {
    /// Whether it has prices.
    pub known: bool,
    /// When it was asked.
    pub checked: DateTime<Utc>,
}

/// One news item, as fetched from a feed or read from a replay file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Headline {
    /// Stable identity of the item (see `sources::feed::item_key`); empty in replay files,
    /// where it is derived from the content.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// When the publisher says it was published (UTC); fetch time when the feed gives none.
    pub published: DateTime<Utc>,
    /// The publisher or, failing that, the feed's name.
    #[serde(default)]
    pub source: String,
    /// The headline text as published (entities already decoded by the feed parser).
    pub title: String,
    /// Link to the article, shown in the alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Teaser text, plain (HTML stripped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Ticker symbols the item is about, from the feed's configuration or the item itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub symbols: Vec<String>,
    /// ISO 639-1 language when the feed says; otherwise detected during normalisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

/// A headline as an alert cites it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeadlineRef {
    /// The cleaned title (no wire prefix or publisher suffix).
    pub title: String,
    /// Link to the article.
    pub link: Option<String>,
    /// Publisher or feed name.
    pub source: String,
    /// Publication time.
    pub published: DateTime<Utc>,
}

impl HeadlineRef {
    /// Cites `h`, with its title as cleaned by normalisation.
    pub fn new(h: &Headline, cleaned_title: &str) -> HeadlineRef {
        HeadlineRef {
            title: cleaned_title.to_string(),
            link: h.link.clone(),
            source: h.source.clone(),
            published: h.published,
        }
    }
}

/// Trading session a bar belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Session {
    /// Pre-market (extended hours before the open).
    Pre,
    /// The regular session.
    Regular,
    /// After-hours (extended hours after the close).
    Post,
}

impl Session {
    /// The spelling used in files and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Session::Pre => "pre",
            Session::Regular => "regular",
            Session::Post => "post",
        }
    }
}

impl FromStr for Session {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pre" => Ok(Session::Pre),
            "regular" => Ok(Session::Regular),
            "post" => Ok(Session::Post),
            other => Err(format!(
                "unknown session `{other}` (expected pre, regular or post)"
            )),
        }
    }
}

/// A bar length such as `1m`, `30m`, `1h` or `1d`, stored in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Interval(u32);

impl Interval {
    /// One trading day.
    pub const DAY: Interval = Interval(86_400);

    /// An interval of `secs` seconds.
    pub fn from_secs(secs: u32) -> Self {
        Interval(secs)
    }

    /// Length in seconds.
    pub fn secs(self) -> u32 {
        self.0
    }

    /// Whether this is a daily (or longer) bar rather than an intraday one.
    pub fn is_daily(self) -> bool {
        self.0 >= Self::DAY.0
    }

    /// As a chrono duration.
    pub fn duration(self) -> chrono::Duration {
        chrono::Duration::seconds(i64::from(self.0))
    }
}

impl FromStr for Interval {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let n: u32 = num
            .parse()
            .map_err(|_| format!("bad interval `{s}` (expected e.g. 1m, 5m, 1h, 1d)"))?;
        let unit_secs = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            "wk" => 7 * 86_400,
            _ => return Err(format!("bad interval `{s}` (expected e.g. 1m, 5m, 1h, 1d)")),
        };
        if n == 0 {
            return Err(format!("bad interval `{s}`: must be longer than zero"));
        }
        n.checked_mul(unit_secs)
            .map(Interval)
            .ok_or_else(|| format!("interval `{s}` is too long"))
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        if s.is_multiple_of(7 * 86_400) && s >= 7 * 86_400 {
            write!(f, "{}wk", s / (7 * 86_400))
        } else if s.is_multiple_of(86_400) {
            write!(f, "{}d", s / 86_400)
        } else if s.is_multiple_of(3_600) {
            write!(f, "{}h", s / 3_600)
        } else if s.is_multiple_of(60) {
            write!(f, "{}m", s / 60)
        } else {
            write!(f, "{s}s")
        }
    }
}

impl Serialize for Interval {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One price bar. `time` is when its values were final (the bar's end, or the moment of the
/// quote for a bar still forming), so processing bars in `time` order never looks ahead.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    /// Ticker symbol as configured (`NVDA`, `SAP.DE`).
    pub symbol: String,
    /// When the values became known (UTC).
    pub time: DateTime<Utc>,
    /// Bar length.
    pub interval: Interval,
    /// Opening price, when the provider has one.
    pub open: Option<f64>,
    /// Highest price.
    pub high: Option<f64>,
    /// Lowest price.
    pub low: Option<f64>,
    /// Closing (last) price. Bars without one carry no price and are skipped by the engine.
    pub close: Option<f64>,
    /// Traded volume.
    pub volume: Option<u64>,
    /// Session of an intraday bar; `None` when unknown (the engine then derives it).
    pub session: Option<Session>,
    /// The currency its prices are in, as the provider writes it ([`currency`]: `USD`, `GBp`
    /// for a London share's pence); `None` when the provider does not say (Stooq, Finnhub) or
    /// the bar was stored before currencies were read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// A stock split: from the trading day `date` on, one old share is `ratio` new ones (`10` for a
/// ten-for-one split, `0.05` for a one-for-twenty reverse split). Prices before it are divided
/// by `ratio` and volumes multiplied by it, so the history compares with what trades now and a
/// split is never taken for a crash, a new low or a surge in volume.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Split {
    /// Ticker symbol as configured.
    pub symbol: String,
    /// The first trading day at the new share count (the ex-date).
    pub date: NaiveDate,
    /// New shares per old share.
    pub ratio: f64,
}

impl Split {
    /// Smallest and largest ratio believed (a 1-for-1000 reverse split, a 1000-for-1 split):
    /// anything outside is a broken payload, not a split.
    pub const RATIOS: std::ops::RangeInclusive<f64> = 0.001..=1000.0;

    /// How far back a reported split is taken in: the daily history the store keeps (older
    /// prices are gone, so there is nothing to restate).
    pub const TAKEN_IN: chrono::TimeDelta = chrono::TimeDelta::days(400);

    /// How long a split taken in is remembered, so it is never applied twice: longer than
    /// any source reports it as recent.
    pub const REMEMBERED: chrono::TimeDelta = chrono::TimeDelta::days(430);

    /// When the ex-date begins at the symbol's exchange (local midnight): prices stamped up to
    /// then are in the old shares.
    pub fn begins(&self) -> DateTime<Utc> {
        crate::market::exchange_for(&self.symbol).start_of(self.date)
    }

    /// `price` before the split, in the shares traded after it (to a millionth: `1917.9 / 10`
    /// is `191.79`, not `191.79000000000002`).
    pub fn price(&self, price: f64) -> f64 {
        ((price / self.ratio) * 1e6).round() / 1e6
    }

    /// `bar`, of before the split, in the shares traded after it: prices divided by the ratio,
    /// volume multiplied by it.
    pub fn restate(&self, bar: &Bar) -> Bar {
        let price = |p: Option<f64>| p.map(|p| self.price(p));
        Bar {
            open: price(bar.open),
            high: price(bar.high),
            low: price(bar.low),
            close: price(bar.close),
            volume: bar.volume.map(|v| self.volume(v)),
            ..bar.clone()
        }
    }

    /// `bar`, of before the split but stated in the shares traded after it, in the shares
    /// traded then: what [`Split::restate`] undoes (to a millionth).
    pub fn in_old_shares(&self, bar: &Bar) -> Bar {
        let price = |p: Option<f64>| p.map(|p| ((p * self.ratio) * 1e6).round() / 1e6);
        let volume = |v: u64| {
            let v = (v as f64 / self.ratio).round();
            if v >= u64::MAX as f64 {
                u64::MAX
            } else {
                v as u64
            }
        };
        Bar {
            open: price(bar.open),
            high: price(bar.high),
            low: price(bar.low),
            close: price(bar.close),
            volume: bar.volume.map(volume),
            ..bar.clone()
        }
    }

    /// A price level someone chose before the split (a personal alert's `below 150`), in the
    /// shares traded after it, rounded as a person would write it: to the cent from 1 up, to
    /// four decimals below.
    pub fn level(&self, level: f64) -> f64 {
        let restated = level / self.ratio;
        let scale = if restated >= 1.0 { 1e2 } else { 1e4 };
        (restated * scale).round() / scale
    }

    /// The ratio as new shares for old ones in small whole numbers, as it is told: `(10, 1)`
    /// for ten-for-one, `(3, 2)`, `(1, 20)` for a reverse split.
    pub fn terms(&self) -> (f64, f64) {
        (1..=1000u32)
            .map(|d| ((self.ratio * f64::from(d)).round(), f64::from(d)))
            .find(|(n, d)| *n >= 1.0 && (n / d - self.ratio).abs() < 1e-6)
            .unwrap_or((self.ratio, 1.0))
    }

    /// `volume` before the split, in the shares traded after it.
    pub fn volume(&self, volume: u64) -> u64 {
        let v = (volume as f64 * self.ratio).round();
        if v >= u64::MAX as f64 {
            u64::MAX
        } else {
            v as u64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_restates_a_chosen_level_as_a_person_would_write_it_and_tells_its_terms() {
        let split = |ratio| Split {
            symbol: "NVDA".into(),
            date: NaiveDate::from_ymd_opt(2024, 6, 10).unwrap(),
            ratio,
        };
        assert_eq!(split(10.0).level(1250.0), 125.0);
        assert_eq!(split(3.0).level(1850.0), 616.67);
        assert_eq!(split(10.0).level(0.5), 0.05);
        assert_eq!(split(1000.0).level(1.2345), 0.0012);
        assert_eq!(split(0.05).level(2.5), 50.0);
        assert_eq!(split(10.0).terms(), (10.0, 1.0));
        assert_eq!(split(1.5).terms(), (3.0, 2.0));
        assert_eq!(split(0.05).terms(), (1.0, 20.0));
        assert_eq!(split(0.001).terms(), (1.0, 1000.0));
        assert_eq!(split(1.0 / 3.0).terms(), (1.0, 3.0));
    }

    #[test]
    fn symbols_are_read_as_yahoo_writes_them() {
        for (raw, expected) in [
            ("nvda", "NVDA"),
            (" $NVDA ", "NVDA"),
            ("sap.de", "SAP.DE"),
            ("^GSPC", "^GSPC"),
            ("EURUSD=X", "EURUSD=X"),
            ("BRK-B", "BRK-B"),
        ] {
            assert_eq!(symbol(raw), Some(expected.to_string()), "{raw}");
        }
        for raw in ["", "$", "180", "NV DA", "<b>", "ABCDEFGHIJKLMNOPQRSTU"] {
            assert_eq!(symbol(raw), None, "{raw}");
        }
    }

    #[test]
    fn a_us_share_class_is_read_in_yahoos_spelling() {
        for (raw, expected) in [
            ("BRK.B", "BRK-B"),
            (" $brk/a", "BRK-A"),
            ("BF.B", "BF-B"),
            ("BRK-B", "BRK-B"),
            ("NVDA", "NVDA"),
            ("GOOGL", "GOOGL"),
            ("ABC.WS", "ABC.WS"),
        ] {
            assert_eq!(us_symbol(raw), Some(expected.to_string()), "{raw}");
        }
        for raw in ["", "BRK/", "BRK/BB/", "A/B/C", "/B"] {
            assert_eq!(us_symbol(raw), None, "{raw}");
        }
    }

    #[test]
    fn intervals_parse_and_print_like_the_replay_format() {
        for s in ["1m", "5m", "30m", "1h", "1d", "1wk", "90s"] {
            assert_eq!(s.parse::<Interval>().unwrap().to_string(), s);
        }
        assert_eq!("60m".parse::<Interval>().unwrap().to_string(), "1h");
        assert!("0m".parse::<Interval>().is_err());
        assert!("5x".parse::<Interval>().is_err());
        assert!("".parse::<Interval>().is_err());
        assert!("99999999999d".parse::<Interval>().is_err());
    }
}

/// A headline as `/news` shows it, with the symbols it concerns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredHeadline {
    /// The headline.
    pub headline: HeadlineRef,
    /// Symbols from its feed and the companies it names.
    pub symbols: Vec<String>,
}
