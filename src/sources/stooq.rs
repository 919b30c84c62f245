//! Stooq quote CSV: today's open, high, low, last and volume for several symbols at once.
//!
//! `GET {base}/q/l/?s=nvda.us+amd.us&f=sd2t2ohlcv&h&e=csv`. Unknown symbols come back as a row
//! of `N/D` with status 200; times are in Stooq's local time (Europe/Warsaw), a row's bar is
//! stamped within its day's session at the symbol's exchange (at the close of the day it is
//! dated when it has no time, at most that close when it has one); there is no
//! previous close, so Stooq alone cannot tell a day's change — the engine takes the reference
//! from earlier bars. Anything not starting with the CSV header (an HTML interstitial, a PHP
//! warning) is refused.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use futures::future::BoxFuture;
use reqwest::header::HeaderMap;
use url::Url;

use super::http::{FetchError, Http};
use super::{Prices, QuoteFetch, QuoteProvider};
use crate::market::exchange_for;
use crate::model::{Bar, Interval, Session};

/// The Stooq quote endpoint.
pub struct Stooq {
    /// Endpoint root (`https://stooq.com`).
    pub base_url: Url,
}

/// Stooq's spelling of a symbol the bot writes as Yahoo does, in lower case (Stooq answers in
/// upper case), the one place the two are told apart:
///
/// | the bot (Yahoo) | Stooq | |
/// |---|---|---|
/// | `NVDA`, `BRK-B` | `nvda.us`, `brk-b.us` | a US listing has no suffix at Yahoo, `.us` at Stooq; a share class after a hyphen at both |
/// | `SAP.DE` | `sap.de` | Xetra |
/// | `VOD.L` | `vod.uk` | London |
/// | `7203.T` | `7203.jp` | Tokyo |
/// | `0700.HK` | `700.hk` | Hong Kong, the code without its leading zeros |
///
/// Stooq lists shares of the US, the UK, Germany, Japan, Hong Kong, Hungary and Poland (the
/// markets whose currencies Finance::Quote's Stooq module reads off its quote pages); its
/// symbols carry the market after a dot (`AAPL.US` in its answers, `vod.uk`, `7203.jp` in
/// public clients' requests), a US share class after a hyphen (`brk-b.us`) and a Hong Kong
/// code without its leading zeros (`1.hk` for Yahoo's `0001.HK`), as public Stooq clients ask
/// for them. Any other symbol — another market's suffix (`MC.PA`), an index (`^GSPC`), a
/// currency pair (`EURUSD=X`) — is asked for as written, in lower case: Stooq has no such
/// market, or names it otherwise, and answers `N/D`.
pub fn stooq_symbol(symbol: &str) -> String {
    let lower = symbol.to_ascii_lowercase();
    let Some((code, suffix)) = lower.rsplit_once('.') else {
        // A US listing (letters and digits, a share class after a hyphen): not an index or a
        // currency pair.
        return if lower.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            format!("{lower}.us")
        } else {
            lower
        };
    };
    match suffix {
        "l" => format!("{code}.uk"),
        "t" => format!("{code}.jp"),
        "hk" => {
            let code = code.trim_start_matches('0');
            format!("{}.hk", if code.is_empty() { "0" } else { code })
        }
        _ => lower,
    }
}

impl Stooq {
    /// The request URL for `symbols`.
    pub fn url(&self, symbols: &[String]) -> Url {
        let mut url = self.base_url.clone();
        url.path_segments_mut()
            .map(|mut p| {
                p.pop_if_empty().extend(["q", "l", ""]);
            })
            .ok();
        let list: Vec<String> = symbols.iter().map(|s| stooq_symbol(s)).collect();
        // Stooq separates symbols with a literal `+`; `h` is a flag without a value.
        url.set_query(Some(&format!("s={}&f=sd2t2ohlcv&h&e=csv", list.join("+"))));
        url
    }
}

impl QuoteProvider for Stooq {
    fn fetch<'a>(
        &'a self,
        http: &'a Http,
        symbols: &'a [String],
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, QuoteFetch> {
        Box::pin(async move {
            let mut fetch = QuoteFetch::default();
            let resp = match http.get(&self.url(symbols), HeaderMap::new()).await {
                Ok(r) => r,
                Err(e) => {
                    fetch.errors.push((symbols.join(","), e));
                    return fetch;
                }
            };
            match parse_quotes(&resp.body, symbols, now) {
                Ok((bars, missing)) => {
                    fetch.bars = bars;
                    fetch.errors.extend(
                        missing
                            .into_iter()
                            .map(|s| (s.clone(), FetchError::NoData(format!("N/D for {s}")))),
                    );
                }
                Err(e) => fetch.errors.push((symbols.join(","), e)),
            }
            fetch
        })
    }

    fn batch_size(&self) -> usize {
        usize::MAX
    }

    fn validate<'a>(
        &'a self,
        http: &'a Http,
        symbol: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Prices, FetchError>> {
        Box::pin(async move {
            let symbols = [symbol.to_string()];
            let mut fetch = self.fetch(http, &symbols, now).await;
            match fetch.errors.pop() {
                Some((_, e)) if fetch.bars.is_empty() => Err(e),
                _ if fetch.bars.is_empty() => Err(FetchError::NoData(format!("N/D for {symbol}"))),
                _ => Ok(Prices::from(fetch.bars)),
            }
        })
    }
}

/// Parses the CSV into one daily bar per known symbol and the list of requested symbols Stooq
/// had no data for. A row's bar is its trading day's at the symbol's exchange (the day of its
/// time there, or its date when it has no time), stamped at its time (the day's close without
/// one), never after that day's close nor after `now`; a row from before its day's open gives
/// no bar (as Finnhub's last trade before the open gives none).
pub fn parse_quotes(
    body: &[u8],
    requested: &[String],
    now: DateTime<Utc>,
) -> Result<(Vec<Bar>, Vec<String>), FetchError> {
    let text = String::from_utf8_lossy(body);
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let header = lines.next().unwrap_or("");
    if !header.starts_with("Symbol,") {
        return Err(FetchError::WrongContent {
            expected: "Stooq CSV",
            got: if header.starts_with('<') {
                "an HTML page".into()
            } else {
                "something else".into()
            },
            snippet: super::http::snippet(body),
        });
    }
    let columns: Vec<&str> = header.split(',').collect();
    let col = |name: &str| columns.iter().position(|c| c.eq_ignore_ascii_case(name));
    let (Some(c_sym), Some(c_date), Some(c_close)) = (col("Symbol"), col("Date"), col("Close"))
    else {
        return Err(FetchError::Malformed {
            what: "Stooq CSV",
            detail: format!("header `{header}` lacks Symbol, Date or Close"),
        });
    };
    let (c_time, c_open, c_high, c_low, c_vol) = (
        col("Time"),
        col("Open"),
        col("High"),
        col("Low"),
        col("Volume"),
    );
    let warsaw = chrono_tz::Europe::Warsaw;
    let mut bars = Vec::new();
    let mut seen = Vec::new();
    for line in lines.take(1000) {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let field = |c: Option<usize>| {
            c.and_then(|c| fields.get(c))
                .copied()
                .filter(|v| !v.is_empty() && *v != "N/D")
        };
        let num =
            |c: Option<usize>| field(c).and_then(|v| crate::model::price(v.parse::<f64>().ok()));
        let Some(raw_symbol) = field(Some(c_sym)) else {
            continue;
        };
        let Some(symbol) = requested
            .iter()
            .find(|r| stooq_symbol(r).eq_ignore_ascii_case(raw_symbol))
        else {
            continue;
        };
        let (Some(date), Some(close)) = (field(Some(c_date)), num(Some(c_close))) else {
            continue;
        };
        let Ok(date) = NaiveDate::parse_from_str(date, "%Y-%m-%d") else {
            continue;
        };
        let time = field(c_time).and_then(|t| NaiveTime::parse_from_str(t, "%H:%M:%S").ok());
        let exchange = exchange_for(symbol);
        // The trading day of the row's price at the symbol's exchange, and when it was known.
        let (day, at) = match time {
            Some(time) => match warsaw.from_local_datetime(&date.and_time(time)).earliest() {
                Some(at) => {
                    let at = at.with_timezone(&Utc).min(now);
                    (exchange.trading_date(at), at)
                }
                None => continue,
            },
            // A date alone is the trading day of the symbol's exchange (the end of Warsaw's
            // day is already the next morning in Tokyo): the bar is that day's close.
            None => (date, exchange.close_on(date).min(now)),
        };
        seen.push(symbol.clone());
        // Within the day's session, as the other providers stamp a day's bar: at most its
        // close (a closing print stamped seconds after it, a time past the fetch); a price from
        // before its open (New York's pre-market) is no price of that session.
        if at < exchange.open_on(day) {
            continue;
        }
        let at = at.min(exchange.close_on(day));
        bars.push(Bar {
            symbol: symbol.clone(),
            time: at,
            interval: Interval::DAY,
            open: num(c_open),
            high: num(c_high),
            low: num(c_low),
            close: Some(close),
            volume: field(c_vol)
                .and_then(|v| v.parse::<f64>().ok())
                .and_then(super::volume),
            session: Some(Session::Regular),
            currency: None,
        });
    }
    let missing = requested
        .iter()
        .filter(|r| !seen.contains(r))
        .cloned()
        .collect();
    Ok((bars, missing))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syms(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rows_become_daily_bars_in_utc_and_nd_rows_are_missing() {
        let body = "Symbol,Date,Time,Open,High,Low,Close,Volume\r\nNVDA.US,2026-02-02,22:00:09,188.9,190.1,184.95,186.25,223415900\r\nBOGUS.US,N/D,N/D,N/D,N/D,N/D,N/D,N/D\r\n";
        let (bars, missing) =
            parse_quotes(body.as_bytes(), &syms(&["NVDA", "BOGUS"]), Utc::now()).unwrap();
        assert_eq!(bars.len(), 1);
        assert_eq!(bars[0].symbol, "NVDA");
        // 22:00:09 in Warsaw is nine seconds after New York's close: the close's price.
        assert_eq!(bars[0].time.to_rfc3339(), "2026-02-02T21:00:00+00:00");
        assert_eq!(bars[0].close, Some(186.25));
        assert_eq!(missing, ["BOGUS"]);
    }

    #[test]
    fn a_row_without_a_time_is_the_trading_day_it_is_dated_at_its_exchange() {
        // Tokyo's and Hong Kong's close is early morning in Warsaw: the end of the Warsaw day
        // is already the next morning there, and the close would be taken for the next day's.
        let body = "Symbol,Date,Time,Open,High,Low,Close,Volume\r\n7203.JP,2026-02-02,N/D,2900,2950,2880,2931.5,1200000\r\n700.HK,2026-02-02,,600,612,598,608.5,15000000\r\nNVDA.US,2026-02-02,N/D,188.9,190.1,184.95,186.25,223415900\r\n";
        // A fetch on the next day, in Tokyo and Hong Kong well after the close.
        let now: DateTime<Utc> = "2026-02-03T15:00:00Z".parse().unwrap();
        let (bars, missing) =
            parse_quotes(body.as_bytes(), &syms(&["7203.T", "0700.HK", "NVDA"]), now).unwrap();
        assert!(missing.is_empty());
        let (dated, next) = (
            NaiveDate::from_ymd_opt(2026, 2, 2),
            NaiveDate::from_ymd_opt(2026, 2, 3).unwrap(),
        );
        for bar in &bars {
            let mut series = crate::series::Series::new(&bar.symbol);
            series.push(bar);
            let next_open = exchange_for(&bar.symbol).open_on(next);
            assert_eq!(
                series.previous_close_at(next_open),
                dated.zip(bar.close),
                "{}: the close of the day the row is dated",
                bar.symbol
            );
        }
        // Stamped at that day's close, as the other providers stamp a day's bar.
        let stamps: Vec<String> = bars.iter().map(|b| b.time.to_rfc3339()).collect();
        assert_eq!(
            stamps,
            [
                "2026-02-02T06:30:00+00:00",
                "2026-02-02T08:00:00+00:00",
                "2026-02-02T21:00:00+00:00"
            ]
        );
    }

    /// A row's price is its day's at the symbol's exchange, as a row without a time is: stamped
    /// at its time, but never after that day's close (a half day's early one) nor after the
    /// fetch; a row from before its day's open is no price of that day's session.
    #[test]
    fn a_row_with_a_time_is_stamped_within_its_days_session() {
        let stamp = |row: &str, now: &str| {
            let body = format!("Symbol,Date,Time,Open,High,Low,Close,Volume\r\n{row}\r\n");
            let symbol = match row.split(',').next().unwrap() {
                "NVDA.US" => "NVDA".to_string(),
                "700.HK" => "0700.HK".to_string(),
                other => other.to_string(),
            };
            let (bars, missing) =
                parse_quotes(body.as_bytes(), &[symbol], now.parse().unwrap()).unwrap();
            assert!(missing.is_empty(), "{row}: answered, though with no bar");
            bars.first().map(|b| b.time.to_rfc3339())
        };
        // After the close, dated by Stooq's clock past the end of the fetch.
        assert_eq!(
            stamp(
                "NVDA.US,2026-02-02,23:59:00,188.9,190.1,184.95,186.25,1",
                "2026-02-02T21:30:00Z"
            )
            .as_deref(),
            Some("2026-02-02T21:00:00+00:00")
        );
        // During the session, a time after the fetch is the fetch's.
        assert_eq!(
            stamp(
                "NVDA.US,2026-02-02,21:10:00,188.9,190.1,184.95,186.25,1",
                "2026-02-02T20:00:00Z"
            )
            .as_deref(),
            Some("2026-02-02T20:00:00+00:00")
        );
        // The day after Thanksgiving closes at 13:00 in New York (18:00 UTC).
        assert_eq!(
            stamp(
                "NVDA.US,2025-11-28,22:00:05,180,181,179,180.5,1",
                "2025-11-28T22:00:00Z"
            )
            .as_deref(),
            Some("2025-11-28T18:00:00+00:00")
        );
        // In New York's pre-market, or with a time before Hong Kong's next open: no price of a
        // session.
        assert_eq!(
            stamp(
                "NVDA.US,2026-02-03,14:00:00,188.9,190.1,184.95,186.25,1",
                "2026-02-03T13:30:00Z"
            ),
            None
        );
        assert_eq!(
            stamp(
                "700.HK,2026-02-02,23:00:00,600,612,598,608.5,1",
                "2026-02-02T23:30:00Z"
            ),
            None
        );
        // Without a time, dated the day whose session has not begun.
        assert_eq!(
            stamp(
                "NVDA.US,2026-02-03,N/D,188.9,190.1,184.95,186.25,1",
                "2026-02-03T10:00:00Z"
            ),
            None
        );
    }

    #[test]
    fn html_and_warnings_are_refused() {
        for body in [
            "<!DOCTYPE html><html>verify</html>",
            "Warning: Division by zero in /home/x\nSymbol,Date",
            "",
        ] {
            assert!(
                matches!(
                    parse_quotes(body.as_bytes(), &syms(&["NVDA"]), Utc::now()),
                    Err(FetchError::WrongContent { .. })
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn partial_nd_and_garbage_fields_are_tolerated() {
        let body = "Symbol,Date,Time,Open,High,Low,Close,Volume\nNVDA.US,2026-02-02,22:00:09,N/D,abc,,186.25,N/D\nNVDA.US,bad-date,x,1,1,1,1,1\n";
        let (bars, _) = parse_quotes(body.as_bytes(), &syms(&["NVDA"]), Utc::now()).unwrap();
        assert_eq!(bars.len(), 1);
        assert_eq!(
            (bars[0].open, bars[0].high, bars[0].volume),
            (None, None, None)
        );
    }

    /// The bot's (Yahoo's) spelling is asked for in Stooq's, and Stooq's answer is taken under
    /// the bot's.
    #[test]
    fn symbols_are_asked_in_stooqs_spelling_and_answered_in_the_bots() {
        for (bot, stooq) in [
            ("NVDA", "nvda.us"),
            ("BRK-B", "brk-b.us"),
            ("SAP.DE", "sap.de"),
            ("VOD.L", "vod.uk"),
            ("7203.T", "7203.jp"),
            ("0700.HK", "700.hk"),
            ("0005.HK", "5.hk"),
            ("9988.HK", "9988.hk"),
            // Markets Stooq does not list, and indices, are asked for as written.
            ("MC.PA", "mc.pa"),
            ("^GSPC", "^gspc"),
            ("EURUSD=X", "eurusd=x"),
        ] {
            assert_eq!(stooq_symbol(bot), stooq, "{bot}");
        }
        let body = "Symbol,Date,Time,Open,High,Low,Close,Volume\r\nVOD.UK,2026-02-02,17:35:12,72.1,72.9,71.8,72.36,31000000\r\n700.HK,2026-02-02,09:08:40,600,612,598,608.5,15000000\r\n7203.JP,2026-02-02,07:30:00,2900,2950,2880,2931.5,1200000\r\n";
        let now: DateTime<Utc> = "2026-02-02T21:50:00Z".parse().unwrap();
        let (bars, missing) =
            parse_quotes(body.as_bytes(), &syms(&["VOD.L", "0700.HK", "7203.T"]), now).unwrap();
        assert!(missing.is_empty(), "{missing:?}");
        let got: Vec<(&str, f64)> = bars
            .iter()
            .map(|b| (b.symbol.as_str(), b.close.unwrap()))
            .collect();
        assert_eq!(
            got,
            [("VOD.L", 72.36), ("0700.HK", 608.5), ("7203.T", 2931.5)]
        );
    }

    #[test]
    fn symbols_and_url() {
        assert_eq!(stooq_symbol("NVDA"), "nvda.us");
        assert_eq!(stooq_symbol("SAP.DE"), "sap.de");
        let s = Stooq {
            base_url: "http://127.0.0.1:9".parse().unwrap(),
        };
        assert_eq!(
            s.url(&syms(&["NVDA", "AMD"])).as_str(),
            "http://127.0.0.1:9/q/l/?s=nvda.us+amd.us&f=sd2t2ohlcv&h&e=csv"
        );
    }
}
