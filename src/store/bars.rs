//! Price bars as fetched: what is new, what the engine restores from, what a split restates,
//! and what is pruned.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::kv::{Order, Range, Tree};
use super::{Store, StoreError, decode};
use crate::model::{Bar, Split};

/// `symbol 0x00 interval(u32 BE) time(i64 BE)`: one row per price known at a time. A bar that
/// is fetched again unchanged maps to the same row and is not news.
pub(super) fn key(bar: &Bar) -> Vec<u8> {
    let mut k = Vec::with_capacity(bar.symbol.len() + 13);
    k.extend_from_slice(bar.symbol.as_bytes());
    k.push(0);
    k.extend_from_slice(&bar.interval.secs().to_be_bytes());
    k.extend_from_slice(&bar.time.timestamp().to_be_bytes());
    k
}

/// `symbol 0x00 ex-date (YYYY-MM-DD)`: one row per split the stored bars were restated for.
pub(super) fn split_key(split: &Split) -> Vec<u8> {
    let mut k = split.symbol.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(split.date.to_string().as_bytes());
    k
}

/// Stored bars restated for splits taken in by a step, by key: what the step's fetched bars
/// are compared with, and what it writes back unless a fetched bar replaces it.
#[derive(Debug, Default)]
pub struct Restated(BTreeMap<Vec<u8>, Bar>);

impl Restated {
    /// The restated bars to write: all but those `fetched` replaces.
    pub fn without(mut self, fetched: &[Bar]) -> Vec<Bar> {
        for bar in fetched {
            self.0.remove(&key(bar));
        }
        self.0.into_values().collect()
    }
}

/// Whether two bar keys are of the same symbol and interval (they differ only in the time).
fn same_series(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a[..a.len() - 8] == b[..b.len() - 8]
}

impl Store {
    /// Of `bars`, those that are new or add to what is stored (a forming bar fetched again
    /// unchanged is not news). A bar that only repeats part of a stored one — the previous
    /// close from a day chart, after the full daily bar from the history — is merged into it:
    /// values it lacks are kept, so the two never overwrite each other in turn.
    pub fn changed_bars(&self, bars: &[Bar]) -> Result<Vec<Bar>, StoreError> {
        self.changed_bars_over(bars, &Restated::default())
    }

    /// [`changed_bars`](Self::changed_bars) against the stored bars as `restated` has them:
    /// after a split, a fetched bar is news unless it says what the restated copy says, and
    /// what it lacks is taken from that copy.
    pub fn changed_bars_over(
        &self,
        bars: &[Bar],
        restated: &Restated,
    ) -> Result<Vec<Bar>, StoreError> {
        let mut out = Vec::new();
        for bar in bars {
            let k = key(bar);
            let old = match restated.0.get(&k) {
                Some(b) => Some(b.clone()),
                None => self.get_as::<Bar>(Tree::Bars, &k, "bar")?,
            };
            match old {
                Some(old) => {
                    let merged = Bar {
                        open: bar.open.or(old.open),
                        high: bar.high.or(old.high),
                        low: bar.low.or(old.low),
                        close: bar.close.or(old.close),
                        volume: bar.volume.or(old.volume),
                        session: bar.session.or(old.session),
                        currency: bar.currency.clone().or(old.currency.clone()),
                        ..bar.clone()
                    };
                    if merged != old {
                        out.push(merged);
                    }
                }
                None => out.push(bar.clone()),
            }
        }
        Ok(out)
    }

    /// Of `splits`, those the stored bars have not been restated for, each once, by date.
    pub fn new_splits(&self, splits: &[Split]) -> Result<Vec<Split>, StoreError> {
        let mut out: Vec<Split> = Vec::new();
        for split in splits {
            let known = out
                .iter()
                .any(|s| s.symbol == split.symbol && s.date == split.date)
                || self
                    .get(Tree::Splits, &split_key(split), "reading a split")?
                    .is_some();
            if !known {
                out.push(split.clone());
            }
        }
        out.sort_by_key(|s| s.date);
        Ok(out)
    }

    /// The stored bars from before `splits` (new ones, by date), restated for every split
    /// they precede: the step that takes the splits in writes them back.
    pub fn restated_bars(&self, splits: &[Split]) -> Result<Restated, StoreError> {
        let mut restated: BTreeMap<Vec<u8>, Bar> = BTreeMap::new();
        for split in splits {
            let until = split.begins();
            for bar in self.bars_of(&split.symbol)? {
                if bar.time > until {
                    break;
                }
                let k = key(&bar);
                let bar = restated.remove(&k).unwrap_or(bar);
                restated.insert(k, split.restate(&bar));
            }
        }
        Ok(Restated(restated))
    }

    /// The stored bars of `symbol`, oldest first, as they are once `writes` (bars a step is
    /// about to store) are stored: a series rebuilt after a split.
    pub fn bars_with<'b>(
        &self,
        symbol: &str,
        writes: impl IntoIterator<Item = &'b Bar>,
    ) -> Result<Vec<Bar>, StoreError> {
        let mut all: BTreeMap<Vec<u8>, Bar> = self
            .bars_of(symbol)?
            .into_iter()
            .map(|b| (key(&b), b))
            .collect();
        for bar in writes.into_iter().filter(|b| b.symbol == symbol) {
            all.insert(key(bar), bar.clone());
        }
        let mut out: Vec<Bar> = all.into_values().collect();
        out.sort_by_key(|b| b.time);
        Ok(out)
    }

    /// Forgets splits taken in longer ago than [`Split::REMEMBERED`]: no source reports
    /// them any more.
    pub(super) fn prune_splits(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let horizon = (now - Split::REMEMBERED).date_naive();
        let mut removed = 0;
        for entry in self.entries(Tree::Splits, Range::all(), "pruning splits") {
            let (k, v) = entry?;
            if decode::<Split>(&v, "split").is_none_or(|s| s.date < horizon) {
                self.delete(Tree::Splits, &k, "pruning splits")?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Every stored bar, oldest first per symbol (restores the engine's price series).
    pub fn bars(&self) -> Result<Vec<Bar>, StoreError> {
        let mut out: Vec<Bar> = self.values(Tree::Bars, Range::all(), "bar")?;
        out.sort_by_key(|b| b.time);
        Ok(out)
    }

    /// The stored bars of one symbol, oldest first.
    pub fn bars_of(&self, symbol: &str) -> Result<Vec<Bar>, StoreError> {
        let mut prefix = symbol.as_bytes().to_vec();
        prefix.push(0);
        let mut out: Vec<Bar> = self.values(Tree::Bars, Range::prefix(&prefix), "bar")?;
        out.sort_by_key(|b| b.time);
        Ok(out)
    }

    /// The newest stored bar of `symbol` that is `wanted`, of whatever length: each series
    /// (bar length) read from its newest bar back to its newest wanted one, a few at a time,
    /// not the whole history.
    pub fn newest_bar_of(
        &self,
        symbol: &str,
        wanted: impl Fn(&Bar) -> bool,
    ) -> Result<Option<Bar>, StoreError> {
        let mut prefix = symbol.as_bytes().to_vec();
        prefix.push(0);
        let series = prefix.len() + 4;
        let read = |range: &Range, n: usize| {
            self.backend
                .scan(Tree::Bars, range, Order::Descending, n)
                .map_err(|e| StoreError::new("reading the store", e))
        };
        let mut newest: Option<Bar> = None;
        let mut range = Range::prefix(&prefix);
        // The newest series left: the one of the last key, its newest bar with it.
        while let Some((key, value)) = read(&range, 1)?.pop() {
            if key.len() < series {
                break;
            }
            let this = key[..series].to_vec();
            let mut found = decode::<Bar>(&value, "bar").filter(|b| wanted(b));
            // Older bars of the series, a few at a time, until one is wanted.
            let mut older = Range {
                start: this.clone(),
                end: Some(key),
            };
            let mut page = 4;
            while found.is_none() {
                let entries = read(&older, page)?;
                let full = entries.len() == page;
                for (key, value) in entries {
                    found = decode::<Bar>(&value, "bar").filter(|b| wanted(b));
                    if found.is_some() {
                        break;
                    }
                    older.end = Some(key);
                }
                if !full {
                    break;
                }
                page = (page * 4).min(256);
            }
            if let Some(bar) = found
                && newest.as_ref().is_none_or(|n| bar.time > n.time)
            {
                newest = Some(bar);
            }
            // Next, the series of the shorter bar lengths: their keys sort before this one's.
            range.end = Some(this);
        }
        Ok(newest)
    }

    /// Forgets bars older than what can matter: intraday before `series::intraday_horizon`,
    /// daily after 400 days. A day's bar fetched while the day runs is stamped at each
    /// poll's time: once the day is past the intraday horizon only its last one (the day as
    /// it ended) is kept, or a year would hold a daily bar per poll. Keys run symbol,
    /// interval, time, so the bars of one day follow each other.
    pub(super) fn prune_bars(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut removed = 0;
        // The intraday horizon of the symbol whose bars are being read (keys run by symbol).
        let mut horizon: Option<(String, DateTime<Utc>)> = None;
        let mut intraday_horizon = |symbol: &str| match &horizon {
            Some((s, h)) if s == symbol => *h,
            _ => {
                let exchange = crate::market::exchange_for(symbol);
                let h = crate::series::intraday_horizon(exchange, now);
                horizon = Some((symbol.to_owned(), h));
                h
            }
        };
        let daily_horizon = now - chrono::TimeDelta::days(400);
        // The key and trading day of the daily bar before this one, while it may be an
        // earlier snapshot of the same day.
        let mut earlier: Option<(Vec<u8>, NaiveDate)> = None;
        for entry in self.entries(Tree::Bars, Range::all(), "pruning bars") {
            let (k, v) = entry?;
            let bar = decode::<Bar>(&v, "bar");
            let intraday = bar.as_ref().map(|b| intraday_horizon(&b.symbol));
            let keep = bar.as_ref().zip(intraday).is_some_and(|(b, intraday)| {
                b.time
                    >= if b.interval.is_daily() {
                        daily_horizon
                    } else {
                        intraday
                    }
            });
            if !keep {
                self.delete(Tree::Bars, &k, "pruning bars")?;
                removed += 1;
                continue;
            }
            let Some(b) = bar.filter(|b| {
                b.interval.is_daily() && intraday.is_some_and(|horizon| b.time < horizon)
            }) else {
                earlier = None;
                continue;
            };
            let day = crate::market::exchange_for(&b.symbol).trading_date(b.time);
            if let Some((key, _)) = earlier
                .take()
                .filter(|(key, d)| *d == day && same_series(key, &k))
            {
                self.delete(Tree::Bars, &key, "pruning bars")?;
                removed += 1;
            }
            earlier = Some((k.to_vec(), day));
        }
        Ok(removed)
    }
}
