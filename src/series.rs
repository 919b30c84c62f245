//! Price history per symbol: what was known about a symbol at a given instant.
//!
//! Bars arrive in time order (the sources deliver them so, replay sorts them), and a view at
//! `t` only sees bars whose `time` is at or before `t` — the no-look-ahead property price
//! conditions rely on. Each bar becomes a [`Tick`] (its close, known from its `time`); daily
//! statistics (open, high, low, close, volume per trading day) are kept alongside, each with
//! the time it became known.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, NaiveDate, Utc};

use crate::market::{Exchange, exchange_for};
use crate::model::{self, Bar, Session};

/// How far back intraday prices are kept at least: enough for day-long correlation spans and
/// for `/chart 5d` (five trading days, a weekend and a holiday) where no holidays are known.
pub const INTRADAY_KEEP: chrono::TimeDelta = chrono::TimeDelta::days(8);
/// Trading days before today whose intraday prices are kept whatever the holidays: the four
/// `/chart 5d` shows before today, and one more.
const INTRADAY_KEEP_TRADING_DAYS: usize = 5;

/// Where intraday prices of `exchange` are kept from, as of `t`: [`INTRADAY_KEEP`] back, or
/// further where holidays (Easter, the turn of the year) make the last trading days reach
/// further back.
pub fn intraday_horizon(exchange: &Exchange, t: DateTime<Utc>) -> DateTime<Utc> {
    let today = exchange.trading_date(t);
    let first =
        (0..INTRADAY_KEEP_TRADING_DAYS).fold(today, |d, _| exchange.previous_trading_day(d));
    (t - INTRADAY_KEEP).min(exchange.start_of(first))
}
/// Old ticks are dropped once this many have accumulated (and the history grows by as many).
const PRUNE_BATCH: usize = 256;
/// How many trading days of daily statistics are kept (a year and a half).
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
    /// Volume of the bar behind it (intraday bars only).
    pub volume: Option<u64>,
    /// Start of the bar behind it (epoch seconds; intraday bars only): a bar still forming is
    /// seen several times with a growing volume, and only its latest count is its volume.
    pub bar_start: Option<i64>,
    /// Length of the bar behind it in seconds (intraday bars only; 0 otherwise): bars of two
    /// lengths (two sources of one symbol) count the same trades, so their volumes are
    /// never added together. (Two bytes: intraday bars are at most hours long, and the tick
    /// stays 56 bytes.)
    pub bar_secs: u16,
}

/// A symbol's price as `/quote` shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct QuoteView {
    /// The last regular-session price.
    pub last: f64,
    /// When it became known.
    pub at: DateTime<Utc>,
    /// Change against the previous close, in percent.
    pub change_pct: Option<f64>,
    /// The previous close.
    pub previous_close: Option<f64>,
    /// The day's low.
    pub day_low: Option<f64>,
    /// The day's high.
    pub day_high: Option<f64>,
    /// A newer pre-market or after-hours price.
    pub extended: Option<(f64, Session)>,
    /// The currency of its prices, when a provider named it ([`Series::currency`]).
    pub currency: Option<String>,
}

/// What is known about one trading day.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Day {
    /// First regular-session price, with the time it became known.
    pub open: Option<(DateTime<Utc>, f64)>,
    /// Latest regular-session price (the close once the day is over).
    pub close: Option<(DateTime<Utc>, f64)>,
    /// Highest regular price seen.
    pub high: Option<f64>,
    /// Lowest regular price seen.
    pub low: Option<f64>,
    /// The day's volume as a daily bar reported it, with the time it became known.
    pub daily_volume: Option<(DateTime<Utc>, u64)>,
    /// Sum of the day's regular intraday bar volumes (of the bar length that counts most, when
    /// bars of several lengths came).
    pub intraday_volume: u64,
}

impl Day {
    /// The day's volume as best known (daily figure, else the intraday sum).
    pub fn volume(&self) -> Option<u64> {
        match (self.daily_volume, self.intraday_volume) {
            (Some((_, d)), i) => Some(d.max(i)),
            (None, 0) => None,
            (None, i) => Some(i),
        }
    }
}

/// The price history of one symbol.
#[derive(Debug)]
pub struct Series {
    /// The symbol's exchange (time zone and sessions).
    exchange: &'static Exchange,
    /// Every price, ordered by the time it became known.
    ticks: Vec<Tick>,
    /// Per trading day statistics.
    days: BTreeMap<NaiveDate, Day>,
    /// Latest volume of each regular intraday bar over the intraday history (a bar of a day
    /// behind it adds nothing: that day is settled), as `(key, volume)` in order of the key,
    /// the bar's start and length packed into one number ([`volume_key`]): bars arrive in time
    /// order, so recording one is an append.
    bar_volumes: VecDeque<(i64, u64)>,
    /// Per trading day and bar length, the sum of the regular bars' volumes; a day's
    /// intraday volume is the largest of them. Kept while the day's bars can still change.
    interval_volumes: BTreeMap<(NaiveDate, u16), u64>,
    /// Start (epoch seconds) of the first trading day whose intraday volumes can still change:
    /// a bar of an earlier day seen again leaves that day's settled volume as it is.
    settled: i64,
    /// The currency the newest bar that named one named, with that bar's time.
    currency: Option<(DateTime<Utc>, String)>,
}

impl Series {
    /// An empty series for `symbol`.
    pub fn new(symbol: &str) -> Self {
        Series {
            exchange: exchange_for(symbol),
            ticks: Vec::new(),
            days: BTreeMap::new(),
            bar_volumes: VecDeque::new(),
            interval_volumes: BTreeMap::new(),
            settled: i64::MIN,
            currency: None,
        }
    }

    /// The currency of the prices, as the newest bar that named one named it (a provider that
    /// names none — Stooq, Finnhub, Yahoo's spark answers — leaves it as it was).
    pub fn currency(&self) -> Option<&str> {
        self.currency.as_ref().map(|(_, c)| c.as_str())
    }

    /// The symbol's exchange.
    pub fn exchange(&self) -> &'static Exchange {
        self.exchange
    }

    /// Adds a bar. Bars without a close carry no price and are ignored.
    pub fn push(&mut self, bar: &Bar) {
        let Some(price) = model::price(bar.close) else {
            return;
        };
        if let Some(currency) = &bar.currency {
            match &mut self.currency {
                Some((t, _)) if *t > bar.time => {}
                Some((t, known)) if known == currency => *t = bar.time,
                slot => *slot = Some((bar.time, currency.clone())),
            }
        }
        let date = self
            .exchange
            .trading_date(bar.time - chrono::Duration::seconds(1));
        let day = self.days.entry(date).or_default();
        if bar.interval.is_daily() {
            set_latest(&mut day.close, bar.time, price);
            if let Some(open) = model::price(bar.open) {
                day.open.get_or_insert((bar.time, open));
            }
            extend(
                &mut day.high,
                model::price(bar.high).unwrap_or(price),
                f64::max,
            );
            extend(
                &mut day.low,
                model::price(bar.low).unwrap_or(price),
                f64::min,
            );
            if let Some(v) = bar.volume {
                match day.daily_volume {
                    Some((known, _)) if known > bar.time => {}
                    _ => day.daily_volume = Some((bar.time, v)),
                }
            }
            self.insert_tick(Tick {
                time: bar.time,
                price,
                session: Some(Session::Regular),
                volume: None,
                bar_start: None,
                bar_secs: 0,
            });
        } else {
            let session = bar
                .session
                .or_else(|| self.exchange.session_of_bar_ending(bar.time));
            let start = self.bar_start(date, bar);
            let secs = u16::try_from(bar.interval.secs()).unwrap_or(u16::MAX);
            self.insert_tick(Tick {
                time: bar.time,
                price,
                session,
                volume: bar.volume,
                bar_start: Some(start),
                bar_secs: secs,
            });
            if session == Some(Session::Regular) {
                let day = self.days.entry(date).or_default();
                set_latest(&mut day.close, bar.time, price);
                // The day's first price is known from the first bar's start.
                let opened = DateTime::<Utc>::from_timestamp(start, 0).unwrap_or(bar.time);
                let open = model::price(bar.open).unwrap_or(price);
                match day.open {
                    Some((t, _)) if t <= opened => {}
                    _ => day.open = Some((opened, open)),
                }
                extend(
                    &mut day.high,
                    model::price(bar.high).unwrap_or(price).max(price),
                    f64::max,
                );
                extend(
                    &mut day.low,
                    model::price(bar.low).unwrap_or(price).min(price),
                    f64::min,
                );
                // Behind the intraday history a day's volume is settled.
                if start >= self.settled {
                    self.count_volume(date, start, secs, bar.volume.unwrap_or(0));
                }
            }
        }
        self.prune();
    }

    /// Counts the latest volume of the regular bar of `secs` seconds that started at `start`
    /// into its day: bars of one length add up, and the length that counts most is the day's.
    fn count_volume(&mut self, date: NaiveDate, start: i64, secs: u16, volume: u64) {
        let before = self.record_bar_volume(volume_key(start, secs), volume);
        let sum = self.interval_volumes.entry((date, secs)).or_default();
        *sum = sum.saturating_sub(before).saturating_add(volume);
        let most = self
            .interval_volumes
            .range((date, 0)..=(date, u16::MAX))
            .map(|(_, v)| *v)
            .max()
            .unwrap_or(0);
        self.days.entry(date).or_default().intraday_volume = most;
    }

    /// Where an intraday bar started, aligned to the day's regular open: the same for every
    /// snapshot of a bar still forming (stamped inside it) and for the bar once complete
    /// (stamped at its end).
    fn bar_start(&self, date: NaiveDate, bar: &Bar) -> i64 {
        let open = self.exchange.open_on(date).timestamp();
        let step = i64::from(bar.interval.secs().max(1));
        let offset = (bar.time.timestamp() - 1 - open).div_euclid(step);
        open + offset * step
    }

    /// Inserts in time order; a tick at the same time replaces the old one.
    fn insert_tick(&mut self, tick: Tick) {
        // Bars come in time order: appending is the usual case.
        if self.ticks.last().is_none_or(|last| last.time < tick.time) {
            if self.ticks.len() == self.ticks.capacity() {
                // Grown by a batch, not doubled: the history oscillates between its horizon
                // and a batch more (see `prune`), so doubling would leave half of it unused.
                self.ticks.reserve_exact(PRUNE_BATCH);
            }
            self.ticks.push(tick);
            return;
        }
        let at = self.ticks.partition_point(|t| t.time <= tick.time);
        if at > 0 && self.ticks[at - 1].time == tick.time {
            self.ticks[at - 1] = tick;
        } else {
            self.ticks.insert(at, tick);
        }
    }

    /// Records the latest volume of the intraday bar `key` ([`volume_key`]); the volume it had
    /// before (0 if new).
    fn record_bar_volume(&mut self, key: i64, volume: u64) -> u64 {
        let volumes = &mut self.bar_volumes;
        match volumes.back_mut() {
            Some((k, v)) if *k == key => std::mem::replace(v, volume),
            Some((k, _)) if *k > key => {
                let at = volumes.partition_point(|(k, _)| *k < key);
                match volumes.get_mut(at) {
                    Some((k, v)) if *k == key => std::mem::replace(v, volume),
                    _ => {
                        volumes.insert(at, (key, volume));
                        0
                    }
                }
            }
            _ => {
                volumes.push_back((key, volume));
                0
            }
        }
    }

    fn prune(&mut self) {
        // Drop old ticks in batches: removing one at a time would move the whole history on
        // every bar. A batch is due when its last tick is behind the horizon (one look, not a
        // search, on every bar).
        let batch = PRUNE_BATCH.min(self.ticks.len() / 2).max(1);
        if let (Some(edge), Some(last)) = (self.ticks.get(batch - 1), self.ticks.last())
            && edge.time < last.time - INTRADAY_KEEP
        {
            // The horizon is never later than that: the calendar is looked at only then.
            let keep_from = intraday_horizon(self.exchange, last.time);
            if edge.time < keep_from {
                let cut = self.ticks.partition_point(|t| t.time < keep_from);
                self.ticks.drain(..cut);
                // Intraday volumes are only corrected while a bar can still be seen again:
                // what lies behind the intraday history is settled.
                let settled_day = self.exchange.trading_date(keep_from);
                let settled = self.exchange.start_of(settled_day).timestamp();
                self.settled = self.settled.max(settled);
                let horizon = volume_key(settled, 0);
                while self.bar_volumes.front().is_some_and(|(k, _)| *k < horizon) {
                    self.bar_volumes.pop_front();
                }
                self.interval_volumes = self.interval_volumes.split_off(&(settled_day, 0));
            }
        }
        while self.days.len() > DAILY_KEEP {
            self.days.pop_first();
        }
    }

    fn visible(&self, t: DateTime<Utc>) -> &[Tick] {
        &self.ticks[..self.ticks.partition_point(|tick| tick.time <= t)]
    }

    /// The last price known at `t` among the sessions `accept` lets through.
    pub fn last_at(
        &self,
        t: DateTime<Utc>,
        accept: impl Fn(Option<Session>) -> bool,
    ) -> Option<Tick> {
        self.nth_back(t, accept, 0)
    }

    /// The price known just before the last one at `t` (same session filter): what a
    /// crossing is judged against.
    pub fn previous_at(
        &self,
        t: DateTime<Utc>,
        accept: impl Fn(Option<Session>) -> bool,
    ) -> Option<Tick> {
        self.nth_back(t, accept, 1)
    }

    /// The `n`th price back from the last one known at `t` among the accepted sessions.
    fn nth_back(
        &self,
        t: DateTime<Utc>,
        accept: impl Fn(Option<Session>) -> bool,
        n: usize,
    ) -> Option<Tick> {
        self.visible(t)
            .iter()
            .rev()
            .filter(|tick| accept(tick.session))
            .nth(n)
            .copied()
    }

    /// Highest and lowest price known at `t` among ticks in `[t - window, t]`.
    pub fn range_in(
        &self,
        t: DateTime<Utc>,
        window: chrono::Duration,
        accept: impl Fn(Option<Session>) -> bool,
    ) -> Option<(f64, f64)> {
        let from = t - window;
        let visible = self.visible(t);
        let start = visible.partition_point(|tick| tick.time < from);
        high_low(visible[start..].iter().filter(|tick| accept(tick.session)))
    }

    /// The regular close of the last trading day before the one `t` falls in, as known at
    /// `t`: the reference for "change versus the previous close".
    pub fn previous_close_at(&self, t: DateTime<Utc>) -> Option<(NaiveDate, f64)> {
        self.close_before(self.exchange.trading_date(t), t)
    }

    /// The regular close of the last trading day before `date`, as known at `t`.
    fn close_before(&self, date: NaiveDate, t: DateTime<Utc>) -> Option<(NaiveDate, f64)> {
        self.days.range(..date).rev().find_map(|(d, day)| {
            day.close
                .filter(|(known, _)| *known <= t)
                .map(|(_, p)| (*d, p))
        })
    }

    /// The first regular price of the trading day `t` falls in, as known at `t`.
    pub fn open_at(&self, t: DateTime<Utc>) -> Option<f64> {
        let today = self.exchange.trading_date(t);
        self.days
            .get(&today)?
            .open
            .filter(|(known, _)| *known <= t)
            .map(|(_, p)| p)
    }

    /// The regular close of the trading day `t` falls in, once the session is over.
    pub fn close_at(&self, t: DateTime<Utc>) -> Option<f64> {
        let today = self.exchange.trading_date(t);
        if t < self.exchange.close_on(today) {
            return None;
        }
        self.days
            .get(&today)?
            .close
            .filter(|(known, _)| *known <= t)
            .map(|(_, p)| p)
    }

    /// Statistics of up to `n` trading days before the one `t` falls in, newest first (read
    /// in place: a year-long look-back copies nothing).
    pub fn days_before(
        &self,
        t: DateTime<Utc>,
        n: usize,
    ) -> impl Iterator<Item = &Day> + Clone + '_ {
        let today = self.exchange.trading_date(t);
        self.days.range(..today).rev().take(n).map(|(_, d)| d)
    }

    /// Today's regular-session volume known at `t` and the fraction of an ordinary day's
    /// session elapsed (on a half day, it stops short of 1 at the early close).
    pub fn volume_so_far(&self, t: DateTime<Utc>) -> Option<(u64, f64)> {
        let today = self.exchange.trading_date(t);
        let open = self.exchange.open_on(today);
        let close = self.exchange.close_on(today);
        let day_start = self.ticks.partition_point(|tick| tick.time <= open);
        // The latest count of each bar, as known at `t`, by bar length.
        let mut per_bar: BTreeMap<(u16, i64), u64> = BTreeMap::new();
        for tick in &self.visible(t)[day_start.min(self.visible(t).len())..] {
            if let (Some(Session::Regular), Some(start), Some(v)) =
                (tick.session, tick.bar_start, tick.volume)
            {
                per_bar.insert((tick.bar_secs, start), v);
            }
        }
        // Bars of two lengths count the same trades: the length that counts most is the day's.
        let mut per_length: BTreeMap<u16, u64> = BTreeMap::new();
        for ((secs, _), v) in per_bar {
            let sum = per_length.entry(secs).or_default();
            *sum = sum.saturating_add(v);
        }
        let intraday = per_length.into_values().max().unwrap_or(0);
        let daily = self
            .days
            .get(&today)
            .and_then(|d| d.daily_volume)
            .filter(|(known, _)| *known <= t)
            .map_or(0, |(_, v)| v);
        let volume = intraday.max(daily);
        // Measured against an ordinary day's hours: a half day's morning trades at the pace
        // of any other morning, and its early close ends the count, not the day it is compared
        // with.
        let session = (self.exchange.close - self.exchange.open)
            .num_seconds()
            .max(1) as f64;
        let elapsed = ((t.min(close) - open).num_seconds() as f64 / session).clamp(0.0, 1.0);
        (volume > 0 && t > open).then_some((volume, elapsed))
    }

    /// Today's regular high and low known at `t` (before the last tick).
    pub fn today_range_before(&self, t: DateTime<Utc>) -> Option<(f64, f64)> {
        let today = self.exchange.trading_date(t);
        let open = self.exchange.open_on(today);
        let visible = self.visible(t);
        let n = visible.len().saturating_sub(1);
        let start = visible.partition_point(|tick| tick.time <= open).min(n);
        high_low(
            visible[start..n]
                .iter()
                .filter(|tick| tick.session == Some(Session::Regular)),
        )
    }

    /// What `/quote` shows, as known at `t`: the last regular price with its day's change
    /// against the close before that day (between sessions, the last session's move).
    pub fn quote_at(&self, t: DateTime<Utc>) -> Option<QuoteView> {
        let regular = self.last_at(t, |s| matches!(s, Some(Session::Regular) | None))?;
        let today = self
            .exchange
            .trading_date(regular.time - chrono::Duration::seconds(1));
        let previous_close = self.close_before(today, t).map(|(_, p)| p);
        let day = self.days.get(&today);
        let extended = self
            .last_at(t, |s| matches!(s, Some(Session::Pre | Session::Post)))
            .filter(|x| x.time > regular.time)
            .and_then(|x| x.session.map(|s| (x.price, s)));
        Some(QuoteView {
            last: regular.price,
            at: regular.time,
            change_pct: previous_close
                .filter(|p| *p > 0.0)
                .map(|p| (regular.price - p) / p * 100.0),
            previous_close,
            day_low: day.and_then(|d| d.low),
            day_high: day.and_then(|d| d.high),
            extended,
            currency: self.currency().map(str::to_string),
        })
    }

    /// Every price known in `[from, to]`, for charts.
    pub fn ticks_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> &[Tick] {
        let start = self.ticks.partition_point(|t| t.time < from);
        let end = self.ticks.partition_point(|t| t.time <= to);
        &self.ticks[start..end.max(start)]
    }

    /// Daily closes of the trading days in `[from, to]`, for charts longer than the intraday
    /// history.
    pub fn daily_closes_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<(DateTime<Utc>, f64)> {
        self.days
            .values()
            .filter_map(|d| d.close)
            .filter(|(t, _)| *t >= from && *t <= to)
            .collect()
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

/// An intraday bar's start (epoch seconds) and length as one number, ordered by start, then
/// length.
fn volume_key(start: i64, secs: u16) -> i64 {
    start
        .saturating_mul(1 << 16)
        .saturating_add(i64::from(secs))
}

fn set_latest(slot: &mut Option<(DateTime<Utc>, f64)>, time: DateTime<Utc>, price: f64) {
    match slot {
        Some((known, _)) if *known > time => {}
        _ => *slot = Some((time, price)),
    }
}

fn extend(slot: &mut Option<f64>, value: f64, pick: fn(f64, f64) -> f64) {
    *slot = Some(slot.map_or(value, |v| pick(v, value)));
}

/// The highest and lowest price of `ticks`, if there are any.
fn high_low<'a>(ticks: impl Iterator<Item = &'a Tick>) -> Option<(f64, f64)> {
    ticks.fold(None, |acc, tick| match acc {
        None => Some((tick.price, tick.price)),
        Some((hi, lo)) => Some((hi.max(tick.price), lo.min(tick.price))),
    })
}

#[cfg(test)]
mod tests;
