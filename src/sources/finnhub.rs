//! Finnhub: the quote endpoint here (a symbol's last price, the day's open, high and low, and
//! the previous close, one symbol a request), the company news in [`news`], both through one
//! [`Access`] (the key and its plan).
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

use std::future::Future;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota};
use reqwest::header::{HeaderMap, HeaderValue};
use serde::Deserialize;
use url::Url;

use super::http::{FetchError, Http, Response};
use super::{Prices, QuoteFetch, QuoteProvider};
use crate::config::{ApiKey, FINNHUB_MAX_REQUESTS_PER_MINUTE};
use crate::market::exchange_for;
use crate::model::{Bar, Interval, Session, price};

/// Finnhub's spelling of a symbol: a US share class after a dot (`BRK-B` → `BRK.B`), the rest
/// as the bot writes them.
pub fn finnhub_symbol(symbol: &str) -> std::borrow::Cow<'_, str> {
    match crate::model::share_class(symbol, &['-']) {
        Some((base, class)) => format!("{base}.{class}").into(),
        None => symbol.into(),
    }
}

/// How long one poll waits, in all, for the plan's limit to allow its requests.
pub const WAIT_AT_MOST: Duration = Duration::from_secs(15);

/// Requests in one second that no plan goes beyond.
const PER_SECOND_CAP: u32 = 30;

/// The requests a plan allows, shared by every source with the same key.
pub type Plan = DefaultDirectRateLimiter;

/// A limiter for a plan of `per_minute` requests a minute, never more than about 30 in any
/// second: a burst and what flows in within a second stay within the cap.
pub fn plan(per_minute: u32) -> Arc<Plan> {
    let per_minute = per_minute.clamp(1, FINNHUB_MAX_REQUESTS_PER_MINUTE);
    let per_second = per_minute.div_ceil(60);
    let burst = per_minute
        .min(PER_SECOND_CAP.saturating_sub(per_second))
        .max(1);
    let per_minute = NonZeroU32::new(per_minute).expect("at least 1");
    let burst = NonZeroU32::new(burst).expect("at least 1");
    Arc::new(governor::RateLimiter::direct(
        Quota::per_minute(per_minute).allow_burst(burst),
    ))
}

/// A Finnhub key and its plan: how every request to Finnhub is made, quotes and news alike.
pub struct Access {
    base_url: Url,
    key: HeaderValue,
    plan: Arc<Plan>,
    /// How long a poll waits for the plan, in all.
    wait_at_most: Duration,
}

/// What a poll of a list of symbols, one request a symbol, brought.
pub struct Turns<T> {
    /// What each symbol that answered gave, in the order asked.
    pub answers: Vec<(String, T)>,
    /// What went wrong, by symbol (or "SYMBOL and N more" for those the plan left out).
    pub errors: Vec<(String, FetchError)>,
}

impl Access {
    /// Requests to `base_url` (`https://finnhub.io`) with `key`, spending `plan`'s requests.
    pub fn new(base_url: Url, key: &ApiKey, plan: Arc<Plan>) -> Result<Access, String> {
        let mut key = HeaderValue::from_str(&key.0)
            .map_err(|_| "a finnhub API key is printable ASCII without spaces".to_string())?;
        key.set_sensitive(true);
        Ok(Access {
            base_url,
            key,
            plan,
            wait_at_most: WAIT_AT_MOST,
        })
    }

    /// The same, waiting at most `wait` a poll for the plan (tests).
    pub fn waiting_at_most(mut self, wait: Duration) -> Access {
        self.wait_at_most = wait;
        self
    }

    /// How long one poll waits, in all, for the plan.
    pub fn waits_at_most(&self) -> Duration {
        self.wait_at_most
    }

    /// The URL of API endpoint `endpoint` (`quote`) with `query` (the key goes in a header).
    pub fn url(&self, endpoint: &str, query: &[(&str, &str)]) -> Url {
        let mut url = self.base_url.clone();
        url.path_segments_mut()
            .map(|mut p| {
                p.pop_if_empty().extend(["api", "v1", endpoint]);
            })
            .ok();
        url.query_pairs_mut().extend_pairs(query);
        url
    }

    /// GETs `url` with the key, refusing an HTML page for `expected`.
    async fn get(
        &self,
        http: &Http,
        url: &Url,
        expected: &'static str,
    ) -> Result<Response, FetchError> {
        let mut headers = HeaderMap::new();
        headers.insert("x-finnhub-token", self.key.clone());
        // Redirects are not followed: the key would go along to wherever they lead.
        let resp = http.get_pinned(url, headers).await?;
        resp.refuse_html(expected)?;
        Ok(resp)
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

    /// Asks `each` about `symbols` in turn, one request a symbol, starting with the one
    /// `next` names (the first the last poll of this list did not reach), while the plan
    /// allows it; a 429 ends the poll too.
    async fn in_turn<T, F, Fut>(
        &self,
        next: &Mutex<Option<String>>,
        symbols: &[String],
        each: F,
    ) -> Turns<T>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T, FetchError>>,
    {
        let mut turns = Turns {
            answers: Vec::new(),
            errors: Vec::new(),
        };
        let first = next.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let start = first
            .and_then(|s| symbols.iter().position(|x| *x == s))
            .unwrap_or(0);
        let mut left = self.wait_at_most;
        let mut stopped_at = None;
        for (done, i) in (start..symbols.len()).chain(0..start).enumerate() {
            let symbol = &symbols[i];
            let Some(waited) = self.turn(left).await else {
                let rest = symbols.len() - done;
                let what = match rest {
                    1 => symbol.clone(),
                    _ => format!("{symbol} and {} more", rest - 1),
                };
                turns.errors.push((
                    what,
                    FetchError::Throttled(format!(
                        "the plan's requests a minute are spent: {rest} {} left for the next \
                         poll (they come first then)",
                        if rest == 1 { "symbol" } else { "symbols" }
                    )),
                ));
                stopped_at = Some(symbol.clone());
                break;
            };
            left = left.saturating_sub(waited);
            match each(symbol.clone()).await {
                Ok(answer) => turns.answers.push((symbol.clone(), answer)),
                Err(e) => {
                    let rate_limited = matches!(e, FetchError::Status { status: 429, .. });
                    turns.errors.push((symbol.clone(), e));
                    if rate_limited {
                        // Rate-limited by Finnhub itself: this symbol and the rest wait for
                        // the next poll (or for the server's Retry-After).
                        stopped_at = Some(symbol.clone());
                        break;
                    }
                }
            }
        }
        // A poll that reached every symbol leaves the start where it was.
        if let Some(symbol) = stopped_at {
            *next.lock().unwrap_or_else(PoisonError::into_inner) = Some(symbol);
        }
        turns
    }
}

/// Finnhub refusing a request in its body (`{"error":"…"}`, sometimes with a 200): a rate
/// limit when it says so, else not an answer about the symbol (never "unknown symbol",
/// which is remembered).
fn refusal(error: &str, expected: &'static str) -> FetchError {
    let snippet = error.chars().take(200).collect();
    if error.to_ascii_lowercase().contains("limit") {
        FetchError::Status {
            status: 429,
            retry_after: None,
            snippet,
        }
    } else {
        FetchError::WrongContent {
            expected,
            got: "an error".into(),
            snippet,
        }
    }
}

/// The Finnhub quote endpoint, with a key and its plan.
pub struct Finnhub {
    access: Access,
    /// The symbol the next poll of the configured symbols starts with (the first not reached).
    next: Mutex<Option<String>>,
    /// The same for the symbols on demand, a list of its own.
    next_on_demand: Mutex<Option<String>>,
}

impl Finnhub {
    /// A provider at `base_url` (`https://finnhub.io`) with `key`, spending `plan`'s requests.
    pub fn new(base_url: Url, key: &ApiKey, plan: Arc<Plan>) -> Result<Finnhub, String> {
        Ok(Finnhub {
            access: Access::new(base_url, key, plan)?,
            next: Mutex::default(),
            next_on_demand: Mutex::default(),
        })
    }

    /// The same, waiting at most `wait` a poll for the plan (tests).
    pub fn waiting_at_most(mut self, wait: Duration) -> Finnhub {
        self.access = self.access.waiting_at_most(wait);
        self
    }

    /// The request URL for `symbol` (the key goes in a header).
    pub fn url(&self, symbol: &str) -> Url {
        self.access
            .url("quote", &[("symbol", &finnhub_symbol(symbol))])
    }

    /// One symbol's quote.
    async fn quote(
        &self,
        http: &Http,
        symbol: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Bar>, FetchError> {
        let resp = self
            .access
            .get(http, &self.url(symbol), "Finnhub JSON")
            .await?;
        parse_quote(&resp.body, symbol, now)
    }

    /// Fetches `symbols` in turn (see [`Access::in_turn`]).
    async fn fetch_in_turn(
        &self,
        next: &Mutex<Option<String>>,
        http: &Http,
        symbols: &[String],
        now: DateTime<Utc>,
    ) -> QuoteFetch {
        let turns = self
            .access
            .in_turn(next, symbols, |symbol| async move {
                self.quote(http, &symbol, now).await
            })
            .await;
        QuoteFetch {
            bars: turns
                .answers
                .into_iter()
                .flat_map(|(_, bars)| bars)
                .collect(),
            splits: Vec::new(),
            errors: turns.errors,
        }
    }
}

impl QuoteProvider for Finnhub {
    fn fetch<'a>(
        &'a self,
        http: &'a Http,
        symbols: &'a [String],
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, QuoteFetch> {
        Box::pin(self.fetch_in_turn(&self.next, http, symbols, now))
    }

    fn fetch_many<'a>(
        &'a self,
        http: &'a Http,
        symbols: &'a [String],
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, QuoteFetch> {
        Box::pin(self.fetch_in_turn(&self.next_on_demand, http, symbols, now))
    }

    fn waits_at_most(&self) -> Duration {
        self.access.wait_at_most
    }

    fn validate<'a>(
        &'a self,
        http: &'a Http,
        symbol: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Prices, FetchError>> {
        Box::pin(async move {
            if self.access.turn(self.access.wait_at_most).await.is_none() {
                return Err(FetchError::Throttled(
                    "the plan's requests a minute are spent".into(),
                ));
            }
            self.quote(http, symbol, now).await.map(Prices::from)
        })
    }
}

/// Finnhub's quote: every field may be missing or null. An `error` instead is Finnhub
/// refusing (it sometimes does so with a 200).
#[derive(Deserialize)]
struct Quote {
    error: Option<String>,
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
    if let Some(error) = quote.error {
        return Err(refusal(&error, "a Finnhub quote"));
    }
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
    let mut bars = Vec::with_capacity(2);
    // The day's figures once its regular session began (a trade before the open is no
    // regular price), stamped at the last trade or the close.
    if t >= exchange.open_on(date) {
        bars.push(Bar {
            symbol: symbol.to_string(),
            time: t.min(exchange.close_on(date)),
            interval: Interval::DAY,
            open: price(quote.o),
            high: price(quote.h),
            low: price(quote.l),
            close: Some(last),
            volume: None,
            session: Some(Session::Regular),
            currency: None,
        });
    }
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
                currency: None,
            },
        );
    }
    Ok(bars)
}

pub mod news;
#[cfg(test)]
mod tests;
