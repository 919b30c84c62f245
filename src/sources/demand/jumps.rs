//! Prices on demand carry no splits (Yahoo's spark answers have no events), and a split's
//! prices judged as they are look like a crash: each symbol's newest price is compared with the
//! last one taken in, and a symbol whose price jumped as a split's would is asked for its chart
//! (see `sources::check_for_splits`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::Demand;
use crate::model::{Bar, Session};

/// A price that is less than this share of the last one seen, or more than its inverse, may
/// be a split's (the smallest usual ones are 5-for-4 and 4-for-5).
const SPLIT_LIKE: f64 = 0.85;

/// At most this many symbols' charts are asked for in one poll to learn whether they split;
/// the others wait for the next.
pub const SPLIT_CHECKS_PER_POLL: usize = 5;

impl Demand {
    /// The symbols of `bars` whose newest price is so far from the last one taken in (an
    /// earlier poll's, or the newest stored) that it may be a split's, in order: prices on
    /// demand carry no splits, and a split's prices judged as they are look like a crash.
    pub fn jumped(&self, bars: &[Bar]) -> Vec<String> {
        let newest = newest_prices(bars);
        let mut last = self.last_prices.lock().unwrap_or_else(|e| e.into_inner());
        let mut jumped: Vec<String> = newest
            .into_iter()
            .filter(|(symbol, price)| {
                let before = match last.get(*symbol) {
                    Some(p) => Some(*p),
                    None => {
                        let stored = self.newest_stored(symbol);
                        if let Some(p) = stored {
                            last.insert(symbol.to_string(), p);
                        }
                        stored
                    }
                };
                before.is_some_and(|b| {
                    let ratio = price / b;
                    !(SPLIT_LIKE..=1.0 / SPLIT_LIKE).contains(&ratio)
                })
            })
            .map(|(symbol, _)| symbol.to_string())
            .collect();
        jumped.sort_unstable();
        jumped
    }

    /// Takes the newest prices of `bars` in as the last ones seen.
    pub fn saw(&self, bars: &[Bar]) {
        let newest = newest_prices(settled(bars));
        let mut last = self.last_prices.lock().unwrap_or_else(|e| e.into_inner());
        for (symbol, price) in newest {
            last.insert(symbol.to_string(), price);
        }
        // Symbols no longer fetched need no last price.
        if last.len() > 2 * self.limits.max.max(16) {
            let state = self.lock();
            last.retain(|symbol, _| {
                state.counts.contains_key(symbol) || state.quoted.contains_key(symbol)
            });
        }
    }

    /// The newest stored price of `symbol`, if any could be read.
    fn newest_stored(&self, symbol: &str) -> Option<f64> {
        let settled = |b: &Bar| is_settled(b) && b.close.is_some_and(is_price);
        match self.store.newest_bar_of(symbol, settled) {
            Ok(bar) => bar.and_then(|b| b.close),
            Err(e) => {
                tracing::warn!(symbol, error = %e, "cannot read the prices of a symbol");
                None
            }
        }
    }
}

/// The newest close of each symbol of `bars`.
fn newest_prices<'a>(bars: impl IntoIterator<Item = &'a Bar>) -> HashMap<&'a str, f64> {
    let mut newest: HashMap<&str, (DateTime<Utc>, f64)> = HashMap::new();
    for b in bars {
        let Some(close) = b.close.filter(|c| is_price(*c)) else {
            continue;
        };
        let entry = newest.entry(b.symbol.as_str()).or_insert((b.time, close));
        if b.time >= entry.0 {
            *entry = (b.time, close);
        }
    }
    newest.into_iter().map(|(s, (_, c))| (s, c)).collect()
}

/// The bars of `bars` a last price is taken from: none of the pre-market. Yahoo reports a
/// split from the open of its ex-date, so a chart asked before cannot tell a split's first
/// prices from a move; a symbol whose price jumped in the pre-market is asked for its chart
/// again each poll until its regular session's prices come.
fn settled(bars: &[Bar]) -> impl Iterator<Item = &Bar> {
    bars.iter().filter(|b| is_settled(b))
}

/// Whether `bar` may give a last price: it is not of the pre-market (see [`settled`]).
fn is_settled(bar: &Bar) -> bool {
    bar.session != Some(Session::Pre)
}

/// Whether `close` is a price (finite, above zero).
fn is_price(close: f64) -> bool {
    close.is_finite() && close > 0.0
}
