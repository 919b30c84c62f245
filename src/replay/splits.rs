//! The splits a recording bot took in, applied to a replay's engine where the bot applied
//! them.
//!
//! The live bot restates a symbol's price history when it takes a split in, before it judges
//! the first prices in the new shares (`pipeline`'s bars step). A recording holds the prices it
//! judged, in the shares they were judged in, and each split with the newest price of its
//! symbol the bot had judged before it ([`RecordedSplit::after`]); the replay keeps the history
//! of a symbol whose split is still to come and, once it has replayed every price up to that
//! one, restates the history the same way — so the first prices in the new shares are compared
//! with like in the replay too.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Utc};

use super::format::RecordedSplit;
use crate::engine::Engine;
use crate::model::Bar;

/// Daily prices kept for a restatement: the daily history the store keeps (older ones are
/// not in the history the bot restated either).
const DAILY_KEPT: chrono::TimeDelta = crate::model::Split::TAKEN_IN;

/// Prices of a symbol first pruned to the horizons at this many; then at twice as many as
/// were left (not on every bar).
const PRUNE_AT: usize = 4096;

/// Splits still to be applied during a replay, and the history they will restate.
#[derive(Debug, Default)]
pub struct Splits {
    /// In the order they are applied (by `after`, then ex-date).
    pending: VecDeque<RecordedSplit>,
    /// By symbol with a split still to come, its history.
    kept: HashMap<String, History>,
}

/// The prices of a symbol (the latest of each bar), by time and bar length.
#[derive(Debug)]
struct History {
    bars: BTreeMap<(DateTime<Utc>, u32), Bar>,
    /// Pruned when it holds this many.
    prune_at: usize,
}

impl Default for History {
    fn default() -> History {
        History {
            bars: BTreeMap::new(),
            prune_at: PRUNE_AT,
        }
    }
}

impl History {
    fn insert(&mut self, bar: &Bar) {
        self.bars
            .insert((bar.time, bar.interval.secs()), bar.clone());
        if self.bars.len() >= self.prune_at {
            self.prune();
            self.prune_at = PRUNE_AT.max(2 * self.bars.len());
        }
    }

    /// Drops the prices a series would not keep (as the store prunes its bars): intraday ones
    /// behind the intraday horizon of the newest, daily ones older than the daily history.
    fn prune(&mut self) {
        let Some(newest) = self.bars.values().next_back() else {
            return;
        };
        let exchange = crate::market::exchange_for(&newest.symbol);
        let intraday = crate::series::intraday_horizon(exchange, newest.time);
        let daily = newest.time - DAILY_KEPT;
        self.bars.retain(|_, b| {
            b.time
                >= if b.interval.is_daily() {
                    daily
                } else {
                    intraday
                }
        });
    }
}

impl Splits {
    /// The splits a recording holds, to be applied as the replay reaches them.
    pub fn new(mut splits: Vec<RecordedSplit>) -> Splits {
        splits.sort_by_key(|s| (s.after, s.split.date));
        let kept = splits
            .iter()
            .map(|s| (s.split.symbol.clone(), History::default()))
            .collect();
        Splits {
            pending: splits.into(),
            kept,
        }
    }

    /// Before an event at `at`: restates, in `engine`, the history of every symbol whose split
    /// the bot took in after its prices up to a time before `at`.
    pub fn before(&mut self, engine: &mut Engine, at: DateTime<Utc>) {
        while self
            .pending
            .front()
            .is_some_and(|s| s.after.is_none_or(|after| after < at))
        {
            let Some(RecordedSplit { split, .. }) = self.pending.pop_front() else {
                break;
            };
            let Some(kept) = self.kept.get_mut(&split.symbol) else {
                continue;
            };
            let begins = split.begins();
            for bar in kept.bars.values_mut().filter(|b| b.time <= begins) {
                *bar = split.restate(bar);
            }
            if !kept.bars.is_empty() {
                let history: Vec<Bar> = kept.bars.values().cloned().collect();
                engine.reset_series(&split.symbol, &history);
            }
            if !self.pending.iter().any(|s| s.split.symbol == split.symbol) {
                self.kept.remove(&split.symbol);
            }
        }
    }

    /// Bars the engine took in: kept while their symbol has a split to come.
    pub fn saw(&mut self, bars: &[Bar]) {
        if self.kept.is_empty() {
            return;
        }
        for bar in bars {
            if let Some(kept) = self.kept.get_mut(&bar.symbol) {
                kept.insert(bar);
            }
        }
    }

    /// [`Splits::before`] a bar taken in as history (`replay --from`), the bar taken in, and
    /// [`Splits::saw`] it.
    pub fn warm(&mut self, engine: &mut Engine, bar: &Bar) {
        self.before(engine, bar.time);
        engine.warm(std::slice::from_ref(bar));
        self.saw(std::slice::from_ref(bar));
    }
}
