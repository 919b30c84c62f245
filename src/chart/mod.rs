//! PNG charts of a symbol's price: the move behind an alert (with the previous close and the
//! headline's time marked), and `/chart NVDA 5d`.
//!
//! A chart is read on a phone at a glance, so it shows trading time only — nights, weekends
//! and days without data take a sliver each ([`axis`]) — with ticks on round times in a named
//! zone, extended hours shaded, volume under the price, and its labels where the data is not
//! ([`draw`]). Bars come from the symbol's [`Series`] ([`data`]): a line of intraday closes, or
//! candles where each summarises several prices (hours of a week, days of a month).
//!
//! Shapes are drawn with plotters into an in-memory bitmap, letters with ab_glyph ([`font`]),
//! and the bitmap is encoded as PNG. The font is compiled in (DejaVu Sans, see
//! `assets/fonts/`), so the image needs no system fonts.

mod axis;
mod data;
mod draw;
mod font;
mod layout;
mod words;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::engine::Alert;
use crate::i18n::texts;
use crate::market::Exchange;
use crate::model::Session;
use crate::series::Series;
use crate::text::Lang;

pub use draw::{HEIGHT, WIDTH};

use axis::Axis;
use data::Bars;

/// At most this many candles: more would be too thin to read.
const MAX_CANDLES: usize = 120;

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// Fewer than two prices in the range.
    #[error("not enough prices to draw")]
    NoData,
    /// Drawing or encoding failed.
    #[error("drawing the chart failed: {0}")]
    Draw(String),
}

/// How prices are drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Style {
    /// Candles where each summarises several prices — hourly candles of five days, daily
    /// candles of a month, quarter-hour candles of a day of 5-minute bars — and at most 120 fit;
    /// a line otherwise (and always for an alert's move).
    #[default]
    Auto,
    /// A line through the closes.
    Line,
    /// Candles, of the shortest interval that gives at most 120 of them.
    Candles,
}

impl Style {
    /// Parses `line` / `linie` and `candles` / `kerzen` (and their short forms); `auto`.
    pub fn parse(s: &str) -> Option<Style> {
        match s.trim().to_lowercase().as_str() {
            "" | "auto" => Some(Style::Auto),
            "line" | "l" | "linie" => Some(Style::Line),
            "candles" | "candle" | "c" | "kerzen" | "kerze" | "k" => Some(Style::Candles),
            _ => None,
        }
    }
}

/// A chart to draw: the bars and what to mark on them.
pub struct Spec {
    /// The heading (`NVDA · 5 days`).
    pub title: String,
    /// The bars.
    bars: Bars,
    /// The previous close and its label.
    pub reference: Option<(f64, String)>,
    /// The headline's time and its label.
    pub mark: Option<(DateTime<Utc>, String)>,
    /// Zone of the time labels.
    pub tz: Tz,
    /// Language of the words.
    pub lang: Lang,
    /// Line or candles.
    pub style: Style,
    /// The `/chart` range (none for an alert's move).
    pub range: Option<Range>,
    /// The symbol's exchange: its sessions align intraday candles.
    exchange: &'static Exchange,
    /// The prices' currency, when the quote provider named it (`USD`, `GBp`).
    currency: Option<String>,
}

/// Draws `spec` as a PNG.
pub fn render(spec: &Spec) -> Result<Vec<u8>, ChartError> {
    let (bars, candles) = shape(spec);
    // One candle can say something (two bars gathered into it); one point of a line cannot.
    if bars.bars.is_empty() || (!candles && bars.bars.len() < 2) {
        return Err(ChartError::NoData);
    }
    let mut axis = if bars.daily {
        let dates: Vec<_> = bars
            .bars
            .iter()
            .map(|b| spec.exchange.trading_date(b.end - Duration::seconds(1)))
            .collect();
        Axis::daily(&dates, spec.exchange)
    } else {
        Axis::intraday(bars.bars.iter().map(|b| (b.start, b.end)), spec.exchange)
    };
    if let Some((at, _)) = &spec.mark {
        axis.include(*at);
    }
    let last = bars.bars[bars.bars.len() - 1].close;
    let base = spec
        .reference
        .as_ref()
        .map(|(r, _)| *r)
        .unwrap_or(bars.bars[0].open);
    let summary = summary(spec, last, base);
    draw::png(&draw::Picture {
        title: &spec.title,
        summary: (base > 0.0).then_some(summary),
        bars: &bars.bars,
        candles,
        axis: &axis,
        reference: spec.reference.as_ref().map(|(r, l)| (*r, l.as_str())),
        mark: spec.mark.as_ref().map(|(at, l)| (*at, l.as_str())),
        rising: last >= base,
        tz: spec.tz,
        lang: spec.lang,
    })
}

/// The heading's last price, in its currency, and its change from `base`.
fn summary(spec: &Spec, last: f64, base: f64) -> String {
    let t = texts(spec.lang);
    format!(
        "{}  {}",
        t.price_in(last, spec.currency.as_deref()),
        t.percent((last - base) / base * 100.0)
    )
}

/// The bars as drawn, and whether as candles: daily bars as they are, intraday bars gathered
/// into candles when the style asks for them and enough prices make each one.
fn shape(spec: &Spec) -> (Bars, bool) {
    let bars = &spec.bars;
    if bars.daily {
        let candles = match spec.style {
            Style::Line => false,
            Style::Candles => true,
            Style::Auto => bars.ohlc && bars.bars.len() <= MAX_CANDLES,
        };
        return (bars.clone(), candles);
    }
    let step = bars.step();
    let minutes = |m: i64| Duration::minutes(m);
    let (choices, closes_each): (Vec<Duration>, i64) = match (spec.style, spec.range) {
        (Style::Line, _) | (Style::Auto, None) => return (bars.clone(), false),
        (Style::Auto, Some(Range::Day)) => (vec![minutes(15), minutes(30)], 3),
        (Style::Auto, Some(Range::Week)) => (vec![minutes(60), minutes(120)], 3),
        (Style::Auto, Some(Range::Month)) => (vec![minutes(120), minutes(240)], 3),
        (Style::Candles, _) => (
            [1, 5, 15, 30, 60, 120, 240, 1440]
                .into_iter()
                .map(minutes)
                .collect(),
            1,
        ),
    };
    for bucket in choices {
        if bucket < step * closes_each as i32 {
            continue;
        }
        let candles = data::aggregate(bars, bucket, spec.exchange);
        if candles.bars.len() <= MAX_CANDLES {
            return (candles, true);
        }
    }
    (bars.clone(), false)
}

/// The chart of an alert's move: from half a day before its earliest part to when it fired,
/// with the previous close and the headline's time.
pub fn for_alert(series: &Series, alert: &Alert, lang: Lang) -> Result<Vec<u8>, ChartError> {
    render(&alert_spec(series, alert, lang)?)
}

/// What [`for_alert`] draws, without drawing it: `NoData` when there is nothing to draw.
pub fn alert_spec(series: &Series, alert: &Alert, lang: Lang) -> Result<Spec, ChartError> {
    let t = texts(lang);
    let price = alert.price.as_ref().ok_or(ChartError::NoData)?;
    let earliest = alert
        .headline
        .as_ref()
        .map_or(price.at, |h| h.published.min(price.at));
    let from = earliest - Duration::hours(12);
    let to = alert.fired_at.max(price.at);
    let bars = prices(series, from, to, false);
    let reference = series.previous_close_at(price.at).map(|(_, p)| p);
    Ok(Spec {
        // A personal alert's chart is its symbol's move alone: the many alerts one move fires
        // share it (the message says which alert it is).
        title: if crate::personal::is_personal(&alert.rule) {
            alert.symbol.clone().unwrap_or_default()
        } else {
            format!(
                "{} · {}",
                alert.symbol.as_deref().unwrap_or(""),
                alert.title.chars().take(60).collect::<String>()
            )
        },
        bars: bars?,
        reference: reference.map(|r| (r, t.chart_previous_close().to_string())),
        mark: alert
            .headline
            .as_ref()
            .map(|h| (h.published, t.chart_headline().to_string())),
        // One picture serves every chat of a language: the times are the exchange's.
        tz: series.exchange().tz,
        lang,
        style: Style::Auto,
        range: None,
        exchange: series.exchange(),
        currency: price
            .currency
            .clone()
            .or_else(|| series.currency().map(str::to_string)),
    })
}

/// The bars of `[from, to]`: intraday bars, or daily ones when there are fewer than two of
/// those (or `daily_first` and there are at least two days). `NoData` with fewer than two.
fn prices(
    series: &Series,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    daily_first: bool,
) -> Result<Bars, ChartError> {
    let intraday = || data::intraday(series.ticks_between(from, to));
    let daily = || data::daily(series, from, to);
    let (first, second): (&dyn Fn() -> Bars, &dyn Fn() -> Bars) = match daily_first {
        true => (&daily, &intraday),
        false => (&intraday, &daily),
    };
    let enough = |b: Bars| (b.bars.len() >= 2).then_some(b);
    enough(first())
        .or_else(|| enough(second()))
        .ok_or(ChartError::NoData)
}

/// A range for `/chart`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Range {
    /// The last trading day (and what came after it: the next pre-market).
    Day,
    /// The last five trading days.
    Week,
    /// A month of trading days.
    Month,
}

impl Range {
    /// Parses `1d`, `5d`, `1m`.
    pub fn parse(s: &str) -> Option<Range> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "1d" | "d" => Some(Range::Day),
            "5d" | "w" | "1w" => Some(Range::Week),
            "1m" | "1mo" | "m" => Some(Range::Month),
            _ => None,
        }
    }

    /// How the range is written: `1d`, `5d`, `1m`.
    pub fn label(self) -> &'static str {
        match self {
            Range::Day => "1d",
            Range::Week => "5d",
            Range::Month => "1m",
        }
    }
}

/// What `/chart SYMBOL RANGE [STYLE]` asks for: one symbol's range as of `now`, in a chat's
/// language and with times in its zone.
#[derive(Clone, Copy, Debug)]
pub struct RangeChart<'a> {
    /// The symbol, as the title shows it.
    pub symbol: &'a str,
    /// A day, five trading days or a month.
    pub range: Range,
    /// Line, candles, or chosen by the bars.
    pub style: Style,
    /// The moment the chart is asked for: nothing later is drawn.
    pub now: DateTime<Utc>,
    /// The chat's language.
    pub lang: Lang,
    /// The chat's zone, for the times on the axis.
    pub tz: Tz,
}

/// The chart `ask` describes, drawn from `series`.
pub fn for_range(series: &Series, ask: &RangeChart) -> Result<Vec<u8>, ChartError> {
    render(&range_spec(series, ask)?)
}

/// What [`for_range`] draws, without drawing it.
pub fn range_spec(series: &Series, ask: &RangeChart) -> Result<Spec, ChartError> {
    let &RangeChart {
        symbol,
        range,
        style,
        now,
        lang,
        tz,
    } = ask;
    let exchange = series.exchange();
    let last = series.latest_time().ok_or(ChartError::NoData)?.min(now);
    // The trading day of the last regular price: a chart asked for before the open shows the
    // day before (and the pre-market since).
    let day = series
        .last_at(last, |s| s == Some(Session::Regular))
        .map_or(last, |t| t.time - Duration::seconds(1));
    let date = exchange.trading_date(day);
    let bars = match range {
        Range::Day => prices(series, exchange.start_of(date), last, false)?,
        Range::Week => {
            let first = (0..4).fold(date, |d, _| exchange.previous_trading_day(d));
            prices(series, exchange.start_of(first), last, false)?
        }
        Range::Month => prices(series, last - Duration::days(31), last, true)?,
    };
    let reference = match range {
        Range::Day => series
            .previous_close_at(last)
            .map(|(_, p)| (p, texts(lang).chart_previous_close().to_string())),
        Range::Week | Range::Month => None,
    };
    Ok(Spec {
        title: format!("{symbol} · {}", words::range(lang, range)),
        bars,
        reference,
        mark: None,
        tz,
        lang,
        style,
        range: Some(range),
        exchange,
        currency: series.currency().map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Bar;

    /// The heading shows the last price in the currency the quote provider named, as `/quote`
    /// and alerts do.
    #[test]
    fn the_heading_names_the_prices_currency() {
        let symbol = "VOD.L";
        let exchange = crate::market::exchange_for(symbol);
        let day = chrono::NaiveDate::from_ymd_opt(2026, 2, 2).unwrap();
        let mut series = Series::new(symbol);
        for (minutes, close) in [(30, 72.0), (60, 72.5), (90, 72.36)] {
            series.push(&Bar {
                symbol: symbol.into(),
                time: exchange.open_on(day) + Duration::minutes(minutes),
                interval: "30m".parse().unwrap(),
                open: Some(close),
                high: Some(close),
                low: Some(close),
                close: Some(close),
                volume: Some(1),
                session: Some(Session::Regular),
                currency: Some("GBp".into()),
            });
        }
        let ask = |lang| RangeChart {
            symbol,
            range: Range::Day,
            style: Style::Auto,
            now: exchange.close_on(day),
            lang,
            tz: Tz::UTC,
        };
        let spec = range_spec(&series, &ask(Lang::En)).unwrap();
        assert_eq!(summary(&spec, 72.36, 72.0), "72.36 GBp  +0.50 %");
        let spec = range_spec(&series, &ask(Lang::De)).unwrap();
        assert_eq!(summary(&spec, 72.36, 72.0), "72,36 GBp  +0,50 %");
        assert!(render(&spec).is_ok());
    }

    /// `/chart 5d` the evening after Easter, for a Frankfurt listing: five days of trading
    /// (Tuesday 31 March to Wednesday 8 April 2026, Good Friday and Easter Monday closed),
    /// drawn from what the bot's store keeps of them.
    #[test]
    fn five_days_over_easter_in_frankfurt_show_five_trading_days_from_the_store() {
        use std::collections::BTreeSet;
        let symbol = "SAP.DE";
        let exchange = crate::market::exchange_for(symbol);
        let now: DateTime<Utc> = "2026-04-08T19:00:00Z".parse().unwrap();
        let step = Duration::minutes(30);
        let mut bars = Vec::new();
        let mut d = chrono::NaiveDate::from_ymd_opt(2026, 3, 30).unwrap();
        while d <= chrono::NaiveDate::from_ymd_opt(2026, 4, 8).unwrap() {
            if exchange.is_trading_day(d) {
                let mut t = exchange.open_on(d) + step;
                while t <= exchange.close_on(d) {
                    bars.push(Bar {
                        symbol: symbol.into(),
                        time: t,
                        interval: "30m".parse().unwrap(),
                        open: Some(100.0),
                        high: Some(100.0),
                        low: Some(100.0),
                        close: Some(100.0),
                        volume: Some(1),
                        session: Some(Session::Regular),
                        currency: None,
                    });
                    t += step;
                }
            }
            d = d.succ_opt().unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(dir.path(), 8 << 20).unwrap();
        store
            .commit(&crate::store::Step {
                now,
                bars,
                ..crate::store::Step::default()
            })
            .unwrap();
        // The store's regular housekeeping.
        store.prune(now).unwrap();
        let mut series = Series::new(symbol);
        for bar in store.bars_of(symbol).unwrap() {
            series.push(&bar);
        }
        let spec = range_spec(
            &series,
            &RangeChart {
                symbol,
                range: Range::Week,
                style: Style::Auto,
                now,
                lang: Lang::En,
                tz: Tz::UTC,
            },
        )
        .unwrap();
        let days: BTreeSet<String> = spec
            .bars
            .bars
            .iter()
            .map(|c| {
                exchange
                    .trading_date(c.end - Duration::seconds(1))
                    .to_string()
            })
            .collect();
        assert_eq!(
            days.into_iter().collect::<Vec<_>>(),
            [
                "2026-03-31",
                "2026-04-01",
                "2026-04-02",
                "2026-04-07",
                "2026-04-08"
            ],
            "/chart 5d promises five days of trading"
        );
    }
    fn series() -> Series {
        let mut s = Series::new("NVDA");
        let bar = |time: &str, interval: &str, close: f64| Bar {
            symbol: "NVDA".into(),
            time: time.parse().unwrap(),
            interval: interval.parse().unwrap(),
            open: Some(close),
            high: Some(close),
            low: Some(close),
            close: Some(close),
            volume: Some(1000),
            session: None,
            currency: None,
        };
        s.push(&bar("2026-01-30T21:00:00Z", "1d", 191.79));
        for (i, p) in [
            189.6, 190.0, 188.7, 187.9, 187.2, 186.4, 185.6, 186.0, 186.25,
        ]
        .iter()
        .enumerate()
        {
            let t = chrono::DateTime::parse_from_rfc3339("2026-02-02T15:00:00Z")
                .unwrap()
                .with_timezone(&Utc)
                + Duration::minutes(45 * i as i64);
            s.push(&Bar {
                time: t,
                ..bar("2026-02-02T15:00:00Z", "30m", *p)
            });
        }
        s
    }

    fn at() -> DateTime<Utc> {
        "2026-02-02T22:00:00Z".parse().unwrap()
    }

    /// NVDA's `range` at [`at`], in UTC.
    fn ask(range: Range, style: Style, lang: Lang) -> RangeChart<'static> {
        RangeChart {
            symbol: "NVDA",
            range,
            style,
            now: at(),
            lang,
            tz: Tz::UTC,
        }
    }

    #[test]
    fn a_range_chart_is_a_real_png() {
        let png = for_range(&series(), &ask(Range::Day, Style::Auto, Lang::En)).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(png.len() > 5_000, "{} bytes", png.len());
        let decoded = image::load_from_memory(&png).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (WIDTH, HEIGHT));
    }

    #[test]
    fn legends_are_in_the_chats_language() {
        let chart = |lang| for_range(&series(), &ask(Range::Day, Style::Auto, lang));
        assert_ne!(chart(Lang::En).unwrap(), chart(Lang::De).unwrap());
    }

    #[test]
    fn too_few_prices_is_an_error_not_a_panic() {
        let empty = Series::new("NVDA");
        let chart = |s: &Series, range| for_range(s, &ask(range, Style::Candles, Lang::En));
        assert!(matches!(
            chart(&empty, Range::Week),
            Err(ChartError::NoData)
        ));
        let mut one = Series::new("NVDA");
        one.push(&Bar {
            symbol: "NVDA".into(),
            time: "2026-02-02T15:00:00Z".parse().unwrap(),
            interval: "30m".parse().unwrap(),
            open: None,
            high: None,
            low: None,
            close: Some(189.0),
            volume: None,
            session: None,
            currency: None,
        });
        assert!(
            matches!(chart(&one, Range::Day), Err(ChartError::NoData)),
            "one price is not a chart"
        );
    }

    #[test]
    fn ranges_and_styles_parse() {
        assert_eq!(Range::parse("5d"), Some(Range::Week));
        assert_eq!(Range::parse(""), Some(Range::Day));
        assert_eq!(Range::parse("7y"), None);
        assert_eq!(Style::parse("candles"), Some(Style::Candles));
        assert_eq!(Style::parse("Kerzen"), Some(Style::Candles));
        assert_eq!(Style::parse("line"), Some(Style::Line));
        assert_eq!(Style::parse("bars"), None);
    }

    #[test]
    fn candles_need_several_prices_each_unless_asked_for() {
        let spec = |style| range_spec(&series(), &ask(Range::Day, style, Lang::En)).unwrap();
        // 30-minute closes: a day's candles would be single closes, so a line.
        assert!(!shape(&spec(Style::Auto)).1);
        let (bars, candles) = shape(&spec(Style::Candles));
        assert!(candles);
        assert_eq!(bars.bars.len(), 9);
        assert!(!shape(&spec(Style::Line)).1);
    }
}
