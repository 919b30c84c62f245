//! What a chart shows, read from a [`Series`]: one [`Candle`] per intraday bar or trading
//! day, and candles of a longer interval built from them.
//!
//! The series keeps the close of each intraday bar (with its session, start and volume) and
//! open, high, low, close and volume per trading day. So daily candles are real ones, while an
//! intraday candle is built from the closes of the bars it spans — the price it opened at is the
//! close before it, its high and low the extremes of the closes. That is why a single intraday
//! bar is drawn as a point of a line and candles summarise several bars.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};

use crate::market::Exchange;
use crate::model::Session;
use crate::series::{Series, Tick};

/// One bar of a chart: a span of time and the prices in it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candle {
    /// When the span began.
    pub start: DateTime<Utc>,
    /// When it ended (the time its close became known).
    pub end: DateTime<Utc>,
    /// First price.
    pub open: f64,
    /// Highest price.
    pub high: f64,
    /// Lowest price.
    pub low: f64,
    /// Last price.
    pub close: f64,
    /// Traded volume, when the source reported one.
    pub volume: Option<u64>,
    /// The session of an intraday span (`None` for days and unknown sessions).
    pub session: Option<Session>,
    /// How many of the series' prices it summarises.
    pub prices: u32,
}

/// The bars of a chart, in time order.
#[derive(Clone, Debug, Default)]
pub struct Bars {
    /// The bars.
    pub bars: Vec<Candle>,
    /// Whether each bar is a trading day (else an intraday bar).
    pub daily: bool,
    /// Whether open, high and low are known (daily bars with an open), not just the close.
    pub ohlc: bool,
}

impl Bars {
    /// The typical length of a bar (the median), a minute at least.
    pub fn step(&self) -> Duration {
        let mut lengths: Vec<i64> = self
            .bars
            .iter()
            .map(|b| (b.end - b.start).num_seconds())
            .collect();
        lengths.sort_unstable();
        Duration::seconds(
            lengths
                .get(lengths.len() / 2)
                .copied()
                .unwrap_or(60)
                .max(60),
        )
    }
}

/// The intraday bars of `ticks` (ticks of daily bars are left out): one per bar, the latest
/// snapshot of a bar still forming. Non-finite prices are skipped.
pub fn intraday(ticks: &[Tick]) -> Bars {
    let mut bars: Vec<Candle> = Vec::with_capacity(ticks.len());
    for tick in ticks {
        let Some(start) = tick.bar_start.and_then(|s| DateTime::from_timestamp(s, 0)) else {
            continue;
        };
        if !tick.price.is_finite() || tick.time <= start {
            continue;
        }
        let bar = Candle {
            start,
            end: tick.time,
            open: tick.price,
            high: tick.price,
            low: tick.price,
            close: tick.price,
            volume: tick.volume,
            session: tick.session,
            prices: 1,
        };
        match bars.last_mut() {
            Some(last) if last.start == start => *last = bar,
            _ => bars.push(bar),
        }
    }
    Bars {
        bars,
        daily: false,
        ohlc: false,
    }
}

/// The trading days of `series` whose close is known in `[from, to]`, as daily candles.
pub fn daily(series: &Series, from: DateTime<Utc>, to: DateTime<Utc>) -> Bars {
    let exchange = series.exchange();
    // Days are read newest first from the day after `to`, until one closed before `from`.
    let mut days: BTreeMap<NaiveDate, Candle> = BTreeMap::new();
    let mut ohlc = true;
    for day in series.days_before(to + Duration::days(1), 400) {
        let Some((known, close)) = day.close else {
            continue;
        };
        if known < from {
            break;
        }
        if known > to || !close.is_finite() {
            continue;
        }
        let date = exchange.trading_date(known - Duration::seconds(1));
        let open = day.open.map(|(_, p)| p).filter(|p| p.is_finite());
        ohlc &= open.is_some();
        let open = open.unwrap_or(close);
        days.insert(
            date,
            Candle {
                start: exchange.open_on(date),
                end: exchange.close_on(date),
                open,
                high: day.high.unwrap_or(close).max(open).max(close),
                low: day.low.unwrap_or(close).min(open).min(close),
                close,
                volume: day.volume(),
                session: None,
                prices: 1,
            },
        );
    }
    let mut bars: Vec<Candle> = days.into_values().collect();
    if !ohlc {
        // Without opens, a day is drawn from the close before it.
        for i in 1..bars.len() {
            let before = bars[i - 1].close;
            let bar = &mut bars[i];
            bar.open = before;
            bar.high = bar.high.max(before);
            bar.low = bar.low.min(before);
        }
    }
    Bars {
        ohlc: ohlc && !bars.is_empty(),
        bars,
        daily: true,
    }
}

/// Intraday `bars` gathered into candles of `bucket`, aligned to the start of their session
/// on their trading day (a 1 h candle of the US regular session spans 9:30–10:30), so a
/// candle never mixes sessions. A candle opens at the close before it when that bar ends where
/// its first bar starts, else at its first close.
pub fn aggregate(bars: &Bars, bucket: Duration, exchange: &Exchange) -> Bars {
    let step = bucket.num_seconds().max(60);
    let mut out: Vec<Candle> = Vec::new();
    let mut key = None;
    let mut before: Option<Candle> = None;
    for bar in &bars.bars {
        let date = exchange.trading_date(bar.end - Duration::seconds(1));
        let origin = session_start(exchange, date, bar.session);
        let index = (bar.end - Duration::seconds(1) - origin)
            .num_seconds()
            .div_euclid(step);
        let this = (date, bar.session, index);
        let open = match before {
            Some(b) if b.end == bar.start => b.close,
            _ => bar.open,
        };
        match out.last_mut() {
            Some(c) if key == Some(this) => {
                c.end = bar.end;
                c.high = c.high.max(bar.high);
                c.low = c.low.min(bar.low);
                c.close = bar.close;
                c.volume = match (c.volume, bar.volume) {
                    (Some(a), Some(b)) => Some(a.saturating_add(b)),
                    (a, b) => a.or(b),
                };
                c.prices += bar.prices;
            }
            _ => {
                out.push(Candle {
                    open,
                    high: bar.high.max(open),
                    low: bar.low.min(open),
                    ..*bar
                });
                key = Some(this);
            }
        }
        before = Some(*bar);
    }
    Bars {
        bars: out,
        daily: false,
        ohlc: false,
    }
}

/// Where `session` begins on `date` (local midnight for an unknown session).
fn session_start(exchange: &Exchange, date: NaiveDate, session: Option<Session>) -> DateTime<Utc> {
    let time = match session {
        Some(Session::Pre) => exchange.pre_open,
        Some(Session::Regular) => exchange.open,
        Some(Session::Post) => exchange.close_time(date),
        None => NaiveTime::MIN,
    };
    exchange
        .tz
        .from_local_datetime(&date.and_time(time))
        .earliest()
        .map_or_else(|| exchange.start_of(date), |t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::exchange_for;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn bar(end: &str, minutes: i64, close: f64, session: Session) -> Candle {
        Candle {
            start: t(end) - Duration::minutes(minutes),
            end: t(end),
            open: close,
            high: close,
            low: close,
            close,
            volume: Some(100),
            session: Some(session),
            prices: 1,
        }
    }

    #[test]
    fn hourly_candles_start_at_the_open_and_never_mix_sessions() {
        let us = exchange_for("NVDA");
        let bars = Bars {
            bars: vec![
                bar("2026-02-02T14:00:00Z", 30, 189.0, Session::Pre),
                bar("2026-02-02T14:30:00Z", 30, 189.5, Session::Pre),
                bar("2026-02-02T15:00:00Z", 30, 188.0, Session::Regular),
                bar("2026-02-02T15:30:00Z", 30, 187.0, Session::Regular),
                bar("2026-02-02T16:00:00Z", 30, 188.5, Session::Regular),
            ],
            daily: false,
            ohlc: false,
        };
        let hourly = aggregate(&bars, Duration::hours(1), us);
        let spans: Vec<(String, String)> = hourly
            .bars
            .iter()
            .map(|c| {
                (
                    c.start.format("%H:%M").to_string(),
                    c.end.format("%H:%M").to_string(),
                )
            })
            .collect();
        assert_eq!(
            spans,
            [
                // Pre-market hours count from 4:00 New York time (9:00 UTC).
                ("13:30".to_string(), "14:00".to_string()),
                ("14:00".to_string(), "14:30".to_string()),
                // Regular hours from the open at 9:30 (14:30 UTC).
                ("14:30".to_string(), "15:30".to_string()),
                ("15:30".to_string(), "16:00".to_string())
            ]
        );
        let first_regular = hourly.bars[2];
        assert_eq!(first_regular.open, 189.5, "opens at the close before it");
        assert_eq!((first_regular.high, first_regular.low), (189.5, 187.0));
        assert_eq!(first_regular.close, 187.0);
        assert_eq!(first_regular.volume, Some(200));
        assert_eq!(first_regular.prices, 2);
    }
}
