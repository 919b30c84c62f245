//! Prices and thresholds as ordered keys, and the alerts at them in ordered sets: a bar
//! looks up the alerts between two figures in O(log n + found).

use std::collections::BTreeSet;

use super::Key;

/// A price or threshold as an ordered key (they are finite; `total_cmp` orders them).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Level(f64);

impl Level {
    /// `x` as a key; `-0.0` is `0.0` (a change of nothing either way).
    fn of(x: f64) -> Level {
        Level(x + 0.0)
    }
}

impl Eq for Level {}

impl PartialOrd for Level {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Level {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

const KEY_MIN: Key = Key {
    chat: i64::MIN,
    number: 0,
};
const KEY_MAX: Key = Key {
    chat: i64::MAX,
    number: u32::MAX,
};

/// Alerts at levels (or thresholds) in an ordered set.
#[derive(Debug, Default)]
pub(super) struct Levels(BTreeSet<(Level, Key)>);

impl Levels {
    pub(super) fn insert(&mut self, level: f64, key: Key) {
        self.0.insert((Level::of(level), key));
    }

    pub(super) fn remove(&mut self, level: f64, key: Key) {
        self.0.remove(&(Level::of(level), key));
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The alerts with `lo < level <= hi` (or `lo <= level` when `lo` is included).
    pub(super) fn between(&self, lo: f64, lo_included: bool, hi: f64, out: &mut Vec<Key>) {
        use std::ops::Bound::{Excluded, Included};
        let (lo, hi) = (Level::of(lo), Level::of(hi));
        if lo > hi || lo.0.is_nan() || hi.0.is_nan() {
            return;
        }
        let from = if lo_included {
            Included((lo, KEY_MIN))
        } else {
            Excluded((lo, KEY_MAX))
        };
        out.extend(
            self.0
                .range((from, Included((hi, KEY_MAX))))
                .map(|(_, k)| *k),
        );
    }
}
