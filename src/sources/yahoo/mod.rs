//! Yahoo Finance chart API v8: the day's bars, last price and previous close of a symbol.
//!
//! `GET {base}/v8/finance/chart/{SYMBOL}?range=1d&interval=5m&includePrePost=true`. The
//! payload's quirks are all handled here: nulls for bars without trades, arrays that may be
//! missing or of unequal length, float32 noise (rounded to `priceHint`), `result: null` with an
//! `error` object, and HTML or plain text where JSON was expected. Chart requests ask for the
//! symbol's splits too (`events=split`): a split is read from the payload's `events.splits`
//! and handed on with the bars, so the pipeline restates the price history before it judges
//! the first price at the new share count.
//!
//! Symbols on demand are fetched [`SPARK_BATCH`] at a time from the spark endpoint
//! ([`spark`]).

use chrono::{DateTime, TimeZone, Utc};
use futures::future::BoxFuture;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use url::Url;

use super::http::{FetchError, Http};
use super::{Prices, QuoteFetch, QuoteProvider, volume};
use crate::market::exchange_for;
use crate::model::{Bar, Interval, Session, Split};

mod spark;

use spark::get_spark;
pub use spark::{SPARK_BATCH, parse_spark};

/// The Yahoo chart endpoint.
pub struct Yahoo {
    /// Endpoint root (`https://query1.finance.yahoo.com`).
    pub base_url: Url,
    /// Intraday bar length to request.
    pub interval: Interval,
    /// Whether to request pre-market and after-hours bars.
    pub extended_hours: bool,
    /// Whether to fetch a year of daily bars (once a day per symbol), for averages and
    /// 52-week highs and lows.
    pub history: bool,
    /// When each symbol's daily history was last fetched.
    history_fetched: std::sync::Mutex<std::collections::HashMap<String, DateTime<Utc>>>,
}

/// How often the daily history is fetched again.
const HISTORY_EVERY: chrono::TimeDelta = chrono::TimeDelta::hours(12);

#[derive(Deserialize)]
struct Root {
    chart: Chart,
}

#[derive(Deserialize)]
struct Chart {
    result: Option<Vec<ChartResult>>,
    error: Option<ApiError>,
}

#[derive(Deserialize)]
struct ApiError {
    code: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct ChartResult {
    meta: Meta,
    #[serde(default)]
    timestamp: Vec<i64>,
    indicators: Option<Indicators>,
    /// Dividends and splits, when asked for. Kept as read: a malformed event costs that
    /// event, never the prices.
    #[serde(default)]
    events: Option<serde_json::Value>,
}

/// One entry of `events.splits`: `{"date": 1717997400, "numerator": 10, "denominator": 1,
/// "splitRatio": "10:1"}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SplitEvent {
    date: Option<i64>,
    numerator: Option<f64>,
    denominator: Option<f64>,
    split_ratio: Option<String>,
}

/// The payload's prices and the splits it reports.
#[derive(Debug, Default)]
pub struct ChartPrices {
    /// The bars (see [`parse_chart`]).
    pub bars: Vec<Bar>,
    /// The splits of the symbol the payload reports, valid ones only.
    pub splits: Vec<Split>,
}

impl ChartPrices {
    /// The bars; the splits go to `fetch`.
    fn into_bars(self, fetch: &mut QuoteFetch) -> Vec<Bar> {
        fetch.splits.extend(self.splits);
        self.bars
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Meta {
    /// The symbol the chart is of (not always the one asked for: a redirect, a renamed
    /// listing, a cache gone wrong).
    symbol: Option<String>,
    regular_market_price: Option<f64>,
    regular_market_time: Option<i64>,
    regular_market_day_high: Option<f64>,
    regular_market_day_low: Option<f64>,
    regular_market_volume: Option<u64>,
    previous_close: Option<f64>,
    chart_previous_close: Option<f64>,
    range: Option<String>,
    price_hint: Option<u32>,
    /// The currency of the chart's prices (`USD`, `GBp` for pence; `null` for odd symbols).
    /// Kept as read: a value of another type costs the currency, never the prices.
    currency: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Indicators {
    #[serde(default)]
    quote: Vec<QuoteArrays>,
}

#[derive(Deserialize, Default)]
struct QuoteArrays {
    #[serde(default)]
    open: Vec<Option<f64>>,
    #[serde(default)]
    high: Vec<Option<f64>>,
    #[serde(default)]
    low: Vec<Option<f64>>,
    #[serde(default)]
    close: Vec<Option<f64>>,
    #[serde(default)]
    volume: Vec<Option<f64>>,
}

impl Yahoo {
    /// A provider for `base_url`.
    pub fn new(base_url: Url, interval: Interval, extended_hours: bool, history: bool) -> Yahoo {
        Yahoo {
            base_url,
            interval,
            extended_hours,
            history,
            history_fetched: Default::default(),
        }
    }

    /// The request URL for today's bars of `symbol`.
    pub fn url(&self, symbol: &str) -> Url {
        self.chart_url(symbol, "1d", self.interval, self.extended_hours)
    }

    /// The request URL for a year of daily bars of `symbol`.
    pub fn history_url(&self, symbol: &str) -> Url {
        self.chart_url(symbol, "1y", Interval::DAY, false)
    }

    fn chart_url(&self, symbol: &str, range: &str, interval: Interval, pre_post: bool) -> Url {
        let mut url = self.base_url.clone();
        url.path_segments_mut()
            .map(|mut p| {
                p.pop_if_empty().extend(["v8", "finance", "chart", symbol]);
            })
            .ok();
        url.query_pairs_mut()
            .append_pair("range", range)
            .append_pair("interval", &interval.to_string())
            .append_pair("includePrePost", if pre_post { "true" } else { "false" })
            .append_pair("events", "split");
        url
    }

    fn history_due(&self, symbol: &str, now: DateTime<Utc>) -> bool {
        self.history
            && self
                .history_fetched
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(symbol)
                .is_none_or(|t| now - *t >= HISTORY_EVERY)
    }

    /// Fetches one symbol into `fetch`: its daily history when due, then its current chart.
    /// `false` when Yahoo rate-limits (asking again right away only prolongs it).
    async fn fetch_one(
        &self,
        http: &Http,
        symbol: &str,
        now: DateTime<Utc>,
        fetch: &mut QuoteFetch,
    ) -> bool {
        if self.history_due(symbol, now) {
            let history =
                get_chart(http, &self.history_url(symbol), symbol, Interval::DAY, now).await;
            let history = history.map(|c| c.into_bars(fetch));
            if history.is_ok() {
                self.history_fetched
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(symbol.to_string(), now);
            }
            if !fetch.add(&format!("{symbol} (history)"), history) {
                return false;
            }
        }
        let chart = get_chart(http, &self.url(symbol), symbol, self.interval, now).await;
        let chart = chart.map(|c| c.into_bars(fetch));
        fetch.add(symbol, chart)
    }
}

impl QuoteProvider for Yahoo {
    fn fetch<'a>(
        &'a self,
        http: &'a Http,
        symbols: &'a [String],
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, QuoteFetch> {
        Box::pin(async move {
            let mut fetch = QuoteFetch::default();
            for symbol in symbols {
                if !self.fetch_one(http, symbol, now, &mut fetch).await {
                    break;
                }
            }
            fetch
        })
    }

    fn batch_size(&self) -> usize {
        SPARK_BATCH
    }

    fn reports_splits(&self) -> bool {
        // The chart's events; the spark endpoint has none.
        true
    }

    fn requests_per_fetch(&self, symbols: usize) -> usize {
        // A poll where the daily history is due asks twice per symbol.
        if self.history { 2 * symbols } else { symbols }
    }

    fn fetch_many<'a>(
        &'a self,
        http: &'a Http,
        symbols: &'a [String],
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, QuoteFetch> {
        Box::pin(async move {
            let mut fetch = QuoteFetch::default();
            for chunk in symbols.chunks(SPARK_BATCH) {
                let result =
                    get_spark(http, &self.spark_url(chunk), chunk, self.interval, now).await;
                let what = format!("{} (spark)", chunk.join(","));
                let go_on = match result {
                    Ok((bars, missing)) => {
                        for symbol in missing {
                            fetch.errors.push((
                                symbol.clone(),
                                FetchError::NoData(format!("no prices for {symbol}")),
                            ));
                        }
                        fetch.add(&what, Ok(bars))
                    }
                    Err(e) => fetch.add(&what, Err(e)),
                };
                if !go_on {
                    break;
                }
            }
            fetch
        })
    }

    fn validate<'a>(
        &'a self,
        http: &'a Http,
        symbol: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Prices, FetchError>> {
        Box::pin(async move {
            get_chart(http, &self.url(symbol), symbol, self.interval, now)
                .await
                .map(|c| Prices {
                    bars: c.bars,
                    splits: c.splits,
                })
        })
    }
}

/// The body of a JSON answer; Yahoo's consent or error pages (HTML) are refused.
async fn get_json(http: &Http, url: &Url) -> Result<bytes::Bytes, FetchError> {
    let resp = http.get(url, HeaderMap::new()).await?;
    resp.refuse_html("JSON")?;
    Ok(resp.body)
}

async fn get_chart(
    http: &Http,
    url: &Url,
    symbol: &str,
    interval: Interval,
    now: DateTime<Utc>,
) -> Result<ChartPrices, FetchError> {
    let body = get_json(http, url).await?;
    read_chart(&body, symbol, interval, now)
}

fn round(x: f64, decimals: u32) -> f64 {
    let f = 10f64.powi(decimals.min(6) as i32);
    (x * f).round() / f
}

/// A price as Yahoo sent it, rounded to `decimals`, if the bot believes it (rounded first: a
/// broken `1e-300` rounds to a close of 0).
fn price(x: Option<f64>, decimals: u32) -> Option<f64> {
    crate::model::price(x.map(|v| round(v, decimals)))
}

/// Parses a chart response into bars: completed intraday bars (stamped at their end), the
/// regular session's running daily bar (stamped at `regularMarketTime`) and the previous
/// trading day's close (stamped at that day's close). Nothing stamped after `now` is kept.
pub fn parse_chart(
    body: &[u8],
    symbol: &str,
    interval: Interval,
    now: DateTime<Utc>,
) -> Result<Vec<Bar>, FetchError> {
    read_chart(body, symbol, interval, now).map(|c| c.bars)
}

/// Parses a chart response into its bars (see [`parse_chart`]) and the splits it reports.
pub fn read_chart(
    body: &[u8],
    symbol: &str,
    interval: Interval,
    now: DateTime<Utc>,
) -> Result<ChartPrices, FetchError> {
    let root: Root = serde_json::from_slice(body).map_err(|e| FetchError::Malformed {
        what: "chart JSON",
        detail: e.to_string(),
    })?;
    let result = match (root.chart.result, root.chart.error) {
        (Some(mut r), _) if !r.is_empty() => r.swap_remove(0),
        (_, Some(err)) => {
            return Err(FetchError::NoData(format!(
                "{}: {}",
                err.code.unwrap_or_default(),
                err.description.unwrap_or_default()
            )));
        }
        _ => return Err(FetchError::NoData("empty chart result".into())),
    };
    let splits = result
        .events
        .as_ref()
        .map(|events| splits(events, symbol, now))
        .unwrap_or_default();
    let bars = chart_bars(result, symbol, interval, now)?;
    Ok(ChartPrices { bars, splits })
}

/// The valid splits of `events` (a chart result's `events`): dated within the price history
/// the bot keeps (and not ahead of `now`), with a believable ratio. The ratio is `numerator /
/// denominator`, or read from `splitRatio` (`"10:1"`) when those are missing.
fn splits(events: &serde_json::Value, symbol: &str, now: DateTime<Utc>) -> Vec<Split> {
    let Some(map) = events.get("splits").and_then(|s| s.as_object()) else {
        return Vec::new();
    };
    let exchange = exchange_for(symbol);
    let plausible = (now - Split::TAKEN_IN)..=(now + chrono::Duration::days(2));
    let mut out: Vec<Split> = map
        .values()
        .filter_map(|v| {
            let e = SplitEvent::deserialize(v).ok()?;
            let time = Utc
                .timestamp_opt(e.date?, 0)
                .single()
                .filter(|t| plausible.contains(t))?;
            let ratio = match (e.numerator, e.denominator) {
                (Some(n), Some(d)) if d != 0.0 => n / d,
                _ => {
                    let (n, d) = e.split_ratio.as_deref()?.split_once(':')?;
                    n.trim().parse::<f64>().ok()? / d.trim().parse::<f64>().ok()?
                }
            };
            // Yahoo stamps a split at the ex-date's open; a stamp at midnight UTC is the
            // evening before in America. Either way the split takes effect with the first
            // session that had not closed at the stamp.
            let mut date = exchange.trading_date(time);
            if !exchange.is_trading_day(date) || exchange.close_on(date) <= time {
                date = exchange.next_trading_day(date);
            }
            (ratio.is_finite() && Split::RATIOS.contains(&ratio) && ratio != 1.0).then(|| Split {
                symbol: symbol.to_string(),
                date,
                ratio,
            })
        })
        .collect();
    out.sort_by_key(|s| s.date);
    out.dedup_by_key(|s| s.date);
    out
}

/// The bars of one chart result (see [`parse_chart`]).
fn chart_bars(
    result: ChartResult,
    symbol: &str,
    interval: Interval,
    now: DateTime<Utc>,
) -> Result<Vec<Bar>, FetchError> {
    let meta = &result.meta;
    if let Some(of) = &meta.symbol
        && !of.eq_ignore_ascii_case(symbol)
    {
        // Another listing's prices stored as this one's would be a false move.
        return Err(FetchError::NoData(format!(
            "asked for {symbol}, the chart is of {of}"
        )));
    }
    let decimals = meta.price_hint.unwrap_or(2).max(2);
    let currency = crate::model::currency(meta.currency.as_ref().and_then(|c| c.as_str()));
    let exchange = exchange_for(symbol);
    // Times far from now are hostile or broken; refusing them also keeps the date arithmetic
    // below (bar ends, the previous trading day) away from chrono's limits.
    let plausible = (now - chrono::Duration::days(365 * 50))..=(now + chrono::Duration::days(2));
    let ts = |secs: i64| {
        Utc.timestamp_opt(secs, 0)
            .single()
            .filter(|t| plausible.contains(t))
    };
    let mut bars = Vec::new();

    let q = result
        .indicators
        .and_then(|mut i| (!i.quote.is_empty()).then(|| i.quote.swap_remove(0)))
        .unwrap_or_default();
    let n = result.timestamp.len();
    // Closes must match the timestamps; open, high and low may be absent (spark answers
    // closes only), but not of another length.
    if !result.timestamp.is_empty()
        && (q.close.len() != n
            || [q.open.len(), q.high.len(), q.low.len()]
                .iter()
                .any(|&len| len != n && len != 0))
    {
        return Err(FetchError::Malformed {
            what: "chart JSON",
            detail: format!(
                "{n} timestamps but {} opens, {} highs, {} lows, {} closes",
                q.open.len(),
                q.high.len(),
                q.low.len(),
                q.close.len()
            ),
        });
    }
    let market_time = meta.regular_market_time.and_then(ts);
    let step = chrono::Duration::seconds(i64::from(interval.secs()));
    for (i, &start_secs) in result.timestamp.iter().enumerate() {
        let Some(close) = price(q.close[i], decimals) else {
            continue;
        };
        let Some(start) = ts(start_secs) else {
            continue;
        };
        let (time, session) = if interval.is_daily() {
            // Daily bars are stamped at the session's open; their values are final at the
            // close. Today's bar, still running, comes from the meta figures below.
            let close_time = exchange.close_on(exchange.trading_date(start));
            if close_time > now {
                continue;
            }
            (close_time, Some(Session::Regular))
        } else {
            let end = start + step;
            let session = exchange.session_at(start);
            if end <= now {
                (end, session)
            } else {
                // A bar still forming: its price is known as of the last regular trade, if
                // that fell inside it; otherwise wait for the bar to complete.
                match market_time {
                    Some(t) if t > start && t <= now && session == Some(Session::Regular) => {
                        (t, session)
                    }
                    _ => continue,
                }
            }
        };
        bars.push(Bar {
            symbol: symbol.to_string(),
            time,
            interval,
            open: price(q.open.get(i).copied().flatten(), decimals),
            high: price(q.high.get(i).copied().flatten(), decimals),
            low: price(q.low.get(i).copied().flatten(), decimals),
            close: Some(close),
            volume: q.volume.get(i).copied().flatten().and_then(volume),
            session,
            currency: currency.clone(),
        });
    }

    // The day's running regular-session figures.
    if let (Some(last), Some(t)) = (
        price(meta.regular_market_price, decimals),
        market_time.filter(|t| *t <= now),
    ) {
        let date = exchange.trading_date(t);
        bars.push(Bar {
            symbol: symbol.to_string(),
            time: t.min(exchange.close_on(date)).max(exchange.open_on(date)),
            interval: Interval::DAY,
            open: None,
            high: price(meta.regular_market_day_high, decimals),
            low: price(meta.regular_market_day_low, decimals),
            close: Some(last),
            volume: meta.regular_market_volume,
            session: Some(Session::Regular),
            currency: currency.clone(),
        });
    }

    // The previous close: `previousClose`, or `chartPreviousClose` when the range is one day
    // (for longer ranges that is the close before the range, not yesterday's).
    let previous = price(meta.previous_close, decimals).or_else(|| {
        (meta.range.as_deref() == Some("1d"))
            .then_some(meta.chart_previous_close)
            .and_then(|v| price(v, decimals))
    });
    let day_of_data = bars
        .iter()
        .filter(|b| !b.interval.is_daily())
        .map(|b| b.time)
        .max()
        .or(market_time);
    if let (Some(prev), Some(t)) = (previous, day_of_data) {
        let prev_day =
            exchange.previous_trading_day(exchange.trading_date(t - chrono::Duration::seconds(1)));
        bars.push(Bar {
            symbol: symbol.to_string(),
            time: exchange.close_on(prev_day),
            interval: Interval::DAY,
            open: None,
            high: None,
            low: None,
            close: Some(round(prev, decimals)),
            volume: None,
            session: Some(Session::Regular),
            currency: currency.clone(),
        });
    }
    if bars.is_empty() {
        return Err(FetchError::NoData("no prices in the chart".into()));
    }
    bars.sort_by_key(|b| b.time);
    Ok(bars)
}

#[cfg(test)]
mod tests;
