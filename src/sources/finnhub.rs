//! Finnhub's quote endpoint: a symbol's last price, the day's open, high and low, and the
//! previous close, one symbol a request.
//!
//! `GET {base}/api/v1/quote?symbol=NVDA` with the key in the `X-Finnhub-Token` header (never in
//! the URL, so no log line or error can carry it) answers
//! `{"c":186.25,"d":-5.54,"dp":-2.89,"h":190.1,"l":184.95,"o":188.9,"pc":191.79,"t":1770066000}`:
//! `t` is the last trade's time. A symbol Finnhub does not know is not an error there but a
//! quote of zeros, taken here as no data. There are no pre- or after-market prices. The
//! previous close is taken on the day of the last trade only (at a weekend or before the next
//! open, the previous closes come from earlier polls).
//!
//! A plan allows so many requests a minute (60 on the free one, and never more than 30 in one
//! second); a 429 says the limit was passed. Requests are spaced to stay within it by a GCRA
//! limiter shared by every source using the same key. A poll waits for its turn at most
//! [`WAIT_AT_MOST`] in all: the symbols it did not reach are reported (one line) and come
//! first in the next poll, so with more symbols than the plan allows a poll, each still gets
//! its turn.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota};
use reqwest::header::{HeaderMap, HeaderValue};
use serde::Deserialize;
use url::Url;

use super::http::{FetchError, Http};
use super::{QuoteFetch, QuoteProvider};
use crate::config::ApiKey;
use crate::market::exchange_for;
use crate::model::{Bar, Interval, Session, price};

/// How long one poll waits, in all, for the plan's limit to allow its requests.
pub const WAIT_AT_MOST: Duration = Duration::from_secs(15);

/// Requests in one second that no plan goes beyond.
const PER_SECOND_CAP: u32 = 30;

/// The requests a plan allows, shared by every source with the same key.
pub type Plan = DefaultDirectRateLimiter;

/// A limiter for a plan of `per_minute` requests a minute (and at most 30 in a second).
pub fn plan(per_minute: u32) -> Arc<Plan> {
    let per_minute = NonZeroU32::new(per_minute.max(1)).expect("at least 1");
    let burst = NonZeroU32::new(per_minute.get().min(PER_SECOND_CAP)).expect("at least 1");
    Arc::new(governor::RateLimiter::direct(
        Quota::per_minute(per_minute).allow_burst(burst),
    ))
}

/// The Finnhub quote endpoint, with a key and its plan.
pub struct Finnhub {
    base_url: Url,
    key: HeaderValue,
    plan: Arc<Plan>,
    /// How long a poll waits for the plan, in all.
    wait_at_most: Duration,
    /// Where the next poll starts in its list of symbols: after the last one fetched.
    next: AtomicUsize,
}

impl Finnhub {
    /// A provider at `base_url` (`https://finnhub.io`) with `key`, spending `plan`'s requests.
    pub fn new(base_url: Url, key: &ApiKey, plan: Arc<Plan>) -> Result<Finnhub, String> {
        let mut key = HeaderValue::from_str(&key.0)
            .map_err(|_| "a finnhub API key is printable ASCII without spaces".to_string())?;
        key.set_sensitive(true);
        Ok(Finnhub {
            base_url,
            key,
            plan,
            wait_at_most: WAIT_AT_MOST,
            next: AtomicUsize::new(0),
        })
    }

    /// The same, waiting at most `wait` a poll for the plan (tests).
    pub fn waiting_at_most(mut self, wait: Duration) -> Finnhub {
        self.wait_at_most = wait;
        self
    }

    /// The request URL for `symbol` (the key goes in a header).
    pub fn url(&self, symbol: &str) -> Url {
        let mut url = self.base_url.clone();
        url.path_segments_mut()
            .map(|mut p| {
                p.pop_if_empty().extend(["api", "v1", "quote"]);
            })
            .ok();
        url.query_pairs_mut().append_pair("symbol", symbol);
        url
    }

    /// One symbol's quote.
    async fn quote(
        &self,
        http: &Http,
        symbol: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Bar>, FetchError> {
        let mut headers = HeaderMap::new();
        headers.insert("x-finnhub-token", self.key.clone());
        let resp = http.get(&self.url(symbol), headers).await?;
        if resp.looks_like_html() {
            return Err(FetchError::WrongContent {
                expected: "Finnhub JSON",
                got: "an HTML page".into(),
                snippet: super::http::snippet(&resp.body),
            });
        }
        parse_quote(&resp.body, symbol, now)
    }

    /// Waits for the plan to allow one more request, if it does within `left`; returns the
    /// time waited, or `None` (without waiting) when the wait would be longer.
    async fn turn(&self, left: Duration) -> Option<Duration> {
        let mut waited = Duration::ZERO;
        loop {
            let Err(not_until) = self.plan.check() else {
                return Some(waited);
            };
            // Another source sharing the plan may take the slot meanwhile: then wait again.
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            if waited + wait > left {
                return None;
            }
            tokio::time::sleep(wait).await;
            waited += wait;
        }
    }

    /// Fetches `symbols` in turn from where the last poll stopped, while the plan allows it.
    async fn fetch_in_turn(
        &self,
        http: &Http,
        symbols: &[String],
        now: DateTime<Utc>,
    ) -> QuoteFetch {
        let mut fetch = QuoteFetch::default();
        if symbols.is_empty() {
            return fetch;
        }
        let start = self.next.load(Ordering::Relaxed) % symbols.len();
        let mut left = self.wait_at_most;
        for (done, i) in (start..symbols.len()).chain(0..start).enumerate() {
            let symbol = &symbols[i];
            let Some(waited) = self.turn(left).await else {
                let rest = symbols.len() - done;
                self.next.store(i, Ordering::Relaxed);
                fetch.errors.push((
                    format!("{symbol} and {} more", rest - 1),
                    FetchError::Throttled(format!(
                        "the plan's requests a minute are spent: {rest} symbol(s) left for the \
                         next poll (they come first then)"
                    )),
                ));
                return fetch;
            };
            left = left.saturating_sub(waited);
            let go_on = fetch.add(symbol, self.quote(http, symbol, now).await);
            if !go_on {
                // Rate-limited by Finnhub itself: this symbol and the rest wait for the next
                // poll (or for the server's Retry-After).
                self.next.store(i, Ordering::Relaxed);
                return fetch;
            }
        }
        self.next.store(start, Ordering::Relaxed);
        fetch
    }
}

impl QuoteProvider for Finnhub {
    fn fetch<'a>(
        &'a self,
        http: &'a Http,
        symbols: &'a [String],
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, QuoteFetch> {
        Box::pin(self.fetch_in_turn(http, symbols, now))
    }

    fn validate<'a>(
        &'a self,
        http: &'a Http,
        symbol: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Vec<Bar>, FetchError>> {
        Box::pin(async move {
            if self.turn(self.wait_at_most).await.is_none() {
                return Err(FetchError::Throttled(
                    "the plan's requests a minute are spent".into(),
                ));
            }
            self.quote(http, symbol, now).await
        })
    }
}

/// Finnhub's quote: every field may be missing or null.
#[derive(Deserialize)]
struct Quote {
    c: Option<f64>,
    h: Option<f64>,
    l: Option<f64>,
    o: Option<f64>,
    pc: Option<f64>,
    t: Option<i64>,
}

/// The quote as bars: the day's running figures, stamped at the last trade (within the
/// regular session), and the previous close at the end of the trading day before.
pub fn parse_quote(body: &[u8], symbol: &str, now: DateTime<Utc>) -> Result<Vec<Bar>, FetchError> {
    let quote: Quote = serde_json::from_slice(body).map_err(|e| FetchError::Malformed {
        what: "Finnhub quote",
        detail: e.to_string(),
    })?;
    let (Some(last), Some(t)) = (
        price(quote.c),
        quote
            .t
            .filter(|t| *t > 0)
            .and_then(|t| DateTime::<Utc>::from_timestamp(t, 0)),
    ) else {
        // All zeros: Finnhub does not know the symbol (or has nothing for it).
        return Err(FetchError::NoData(format!(
            "Finnhub has no price for {symbol}"
        )));
    };
    if t > now + chrono::Duration::minutes(5) {
        return Err(FetchError::Malformed {
            what: "Finnhub quote",
            detail: format!("the last trade is dated {t}, in the future"),
        });
    }
    let t = t.min(now);
    let exchange = exchange_for(symbol);
    let date = exchange.trading_date(t);
    let mut bars = vec![Bar {
        symbol: symbol.to_string(),
        time: t.min(exchange.close_on(date)).max(exchange.open_on(date)),
        interval: Interval::DAY,
        open: price(quote.o),
        high: price(quote.h),
        low: price(quote.l),
        close: Some(last),
        volume: None,
        session: Some(Session::Regular),
    }];
    // The previous close is taken while the quote's day is today at the exchange: whether
    // `pc` already means the day before the next session once that day began is not said.
    if let Some(previous) = price(quote.pc).filter(|_| exchange.trading_date(now) == date) {
        let before =
            exchange.previous_trading_day(exchange.trading_date(t - chrono::Duration::seconds(1)));
        bars.insert(
            0,
            Bar {
                symbol: symbol.to_string(),
                time: exchange.close_on(before),
                interval: Interval::DAY,
                open: None,
                high: None,
                low: None,
                close: Some(previous),
                volume: None,
                session: Some(Session::Regular),
            },
        );
    }
    Ok(bars)
}

#[cfg(test)]
mod tests;
