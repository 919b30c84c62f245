//! Price history per symbol: what was known about a symbol at a given instant.
//!
//! Bars arrive in time order (the sources deliver them so, replay sorts them), and a view at
//! `t` only sees bars whose `time` is at or before `t` — the no-look-ahead property price
//! conditions rely on. A bar that is still forming is fetched again and again with the same
//! start; the newer version replaces the older one.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::market::{Exchange, exchange_for};
use crate::model::{Bar, Session};

/// How far back intraday prices are kept: enough for day-long correlation spans.
const INTRADAY_KEEP: chrono::TimeDelta = chrono::TimeDelta::days(5);
/// How many daily closes are kept.
const DAILY_KEEP: usize = 400;

/// One observed price: the close of a bar, known from `time` on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tick {
    /// When the price became known.
    pub time: DateTime<Utc>,
    /// The price.
    pub price: f64,
    /// Session it was traded in.
    pub session: Option<Session>,
}

/// The price history of one symbol.
#[derive(Debug)]
pub struct Series {
    /// The symbol's exchange (time zone and sessions).
    exchange: &'static Exchange,
    /// Every price, ordered by the time it became known.
    ticks: Vec<Tick>,
    /// Final (or latest known) regular-session close per trading day, with the time it became
    /// known, so a view at `t` can tell yesterday's close from today's.
    closes: BTreeMap<NaiveDate, (DateTime<Utc>, f64)>,
    /// First regular-session price per trading day, for "versus the open".
    opens: BTreeMap<NaiveDate, (DateTime<Utc>, f64)>,
}

impl Series {
    /// An empty series for `symbol`.
    pub fn new(symbol: &str) -> Self {
        Series {
            exchange: exchange_for(symbol),
            ticks: Vec::new(),
            closes: BTreeMap::new(),
            opens: BTreeMap::new(),
        }
    }

    /// The symbol's exchange.
    pub fn exchange(&self) -> &'static Exchange {
        self.exchange
    }

    /// Adds a bar. Bars without a close carry no price and are ignored; a bar that is older
    /// than what is already known is still recorded in its place.
    pub fn push(&mut self, bar: &Bar) {
        let Some(price) = bar.close.filter(|p| p.is_finite() && *p > 0.0) else {
            return;
        };
        let date = self
            .exchange
            .trading_date(bar.time - chrono::Duration::seconds(1));
        if bar.interval.is_daily() {
            // A daily bar is the day's close (or the latest price of a day in progress).
            self.record_close(date, bar.time, price);
            if let Some(open) = bar.open.filter(|p| p.is_finite() && *p > 0.0) {
                self.opens.entry(date).or_insert((bar.time, open));
            }
            self.insert_tick(Tick {
                time: bar.time,
                price,
                session: Some(Session::Regular),
            });
        } else {
            let session = bar
                .session
                .or_else(|| self.exchange.session_of_bar_ending(bar.time));
            if session == Some(Session::Regular) {
                self.record_close(date, bar.time, price);
                let open = bar
                    .open
                    .filter(|p| p.is_finite() && *p > 0.0)
                    .unwrap_or(price);
                let start = bar.time - bar.interval.duration();
                match self.opens.get(&date) {
                    Some((t, _)) if *t <= start => {}
                    _ => {
                        self.opens.insert(date, (start, open));
                    }
                }
            }
            self.insert_tick(Tick {
                time: bar.time,
                price,
                session,
            });
        }
        self.prune();
    }

    fn record_close(&mut self, date: NaiveDate, time: DateTime<Utc>, price: f64) {
        match self.closes.get(&date) {
            Some((known, _)) if *known > time => {}
            _ => {
                self.closes.insert(date, (time, price));
            }
        }
    }

    fn insert_tick(&mut self, tick: Tick) {
        let at = self.ticks.partition_point(|t| t.time <= tick.time);
        if at > 0 && self.ticks[at - 1].time == tick.time {
            self.ticks[at - 1] = tick;
        } else {
            self.ticks.insert(at, tick);
        }
    }

    fn prune(&mut self) {
        if let Some(last) = self.ticks.last().map(|t| t.time) {
            let keep_from = last - INTRADAY_KEEP;
            let cut = self.ticks.partition_point(|t| t.time < keep_from);
            if cut > 0 {
                self.ticks.drain(..cut);
            }
        }
        while self.closes.len() > DAILY_KEEP {
            self.closes.pop_first();
        }
        while self.opens.len() > DAILY_KEEP {
            self.opens.pop_first();
        }
    }

    /// The last price known at `t`, from any session when `extended`, else regular only.
    pub fn last_at(&self, t: DateTime<Utc>, extended: bool) -> Option<Tick> {
        let end = self.ticks.partition_point(|tick| tick.time <= t);
        self.ticks[..end]
            .iter()
            .rev()
            .find(|tick| extended || matches!(tick.session, Some(Session::Regular) | None))
            .copied()
    }

    /// The regular close of the last trading day before the one `t` falls in, as known at
    /// `t`: the reference for "change versus the previous close".
    pub fn previous_close_at(&self, t: DateTime<Utc>) -> Option<(NaiveDate, f64)> {
        let today = self.exchange.trading_date(t);
        self.closes
            .range(..today)
            .rev()
            .find(|(_, (known, _))| *known <= t)
            .map(|(d, (_, p))| (*d, *p))
    }

    /// The first regular price of the trading day `t` falls in, as known at `t`.
    pub fn open_at(&self, t: DateTime<Utc>) -> Option<f64> {
        let today = self.exchange.trading_date(t);
        self.opens
            .get(&today)
            .filter(|(known, _)| *known <= t)
            .map(|(_, p)| *p)
    }

    /// Whether the series knows anything at all.
    pub fn is_empty(&self) -> bool {
        self.ticks.is_empty()
    }

    /// The time of the newest price.
    pub fn latest_time(&self) -> Option<DateTime<Utc>> {
        self.ticks.last().map(|t| t.time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Interval;

    pub(crate) fn bar(time: &str, interval: &str, close: Option<f64>) -> Bar {
        Bar {
            symbol: "NVDA".into(),
            time: time.parse().unwrap(),
            interval: interval.parse().unwrap(),
            open: close,
            high: close,
            low: close,
            close,
            volume: Some(1000),
            session: None,
        }
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn previous_close_is_the_last_regular_close_of_an_earlier_day() {
        let mut s = Series::new("NVDA");
        s.push(&bar("2026-01-30T21:00:00Z", "1d", Some(191.79)));
        s.push(&bar("2026-02-02T15:00:00Z", "30m", Some(189.62)));
        s.push(&bar("2026-02-02T21:00:00Z", "30m", Some(186.25)));
        s.push(&bar("2026-02-02T22:00:00Z", "30m", Some(185.35)));
        let at = t("2026-02-02T22:05:00Z");
        assert_eq!(s.previous_close_at(at).unwrap().1, 191.79);
        assert_eq!(s.last_at(at, true).unwrap().price, 185.35);
        assert_eq!(s.last_at(at, false).unwrap().price, 186.25);
        assert_eq!(s.open_at(at), Some(189.62));
        // The next morning, Feb 2's close is the reference.
        let next = t("2026-02-03T14:00:00Z");
        assert_eq!(s.previous_close_at(next).unwrap().1, 186.25);
    }

    #[test]
    fn a_view_never_sees_later_bars() {
        let mut s = Series::new("NVDA");
        s.push(&bar("2026-01-30T21:00:00Z", "1d", Some(191.79)));
        s.push(&bar("2026-02-02T15:00:00Z", "30m", Some(189.0)));
        s.push(&bar("2026-02-02T16:00:00Z", "30m", Some(180.0)));
        assert_eq!(
            s.last_at(t("2026-02-02T15:30:00Z"), true).unwrap().price,
            189.0
        );
        assert!(s.last_at(t("2026-01-30T20:00:00Z"), true).is_none());
    }

    #[test]
    fn null_bars_are_skipped_and_forming_bars_replaced() {
        let mut s = Series::new("NVDA");
        s.push(&bar("2026-02-02T15:00:00Z", "30m", None));
        assert!(s.is_empty());
        s.push(&bar("2026-02-02T15:10:00Z", "30m", Some(1.0)));
        s.push(&bar("2026-02-02T15:10:00Z", "30m", Some(2.0)));
        assert_eq!(s.ticks.len(), 1);
        assert_eq!(
            s.last_at(t("2026-02-02T15:10:00Z"), true).unwrap().price,
            2.0
        );
        let nan = Bar {
            close: Some(f64::NAN),
            ..bar("2026-02-02T15:20:00Z", "30m", None)
        };
        s.push(&nan);
        assert_eq!(s.ticks.len(), 1);
        let _ = Interval::DAY;
    }
}
