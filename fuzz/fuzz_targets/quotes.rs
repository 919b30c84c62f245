//! Quote payloads: Yahoo's chart and spark JSON, Stooq's CSV and Finnhub's quote JSON, turned
//! into bars. The first byte picks the parser (its last two bits) and the bar interval; the
//! rest is the body.

#![no_main]

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use marketbot::model::Interval;
use marketbot::sources::{finnhub, stooq, yahoo};

/// Bar lengths the config accepts for Yahoo.
const INTERVALS: [u32; 6] = [60, 300, 900, 3600, 86_400, 7 * 86_400];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let now: DateTime<Utc> = DateTime::from_timestamp(1_770_000_000, 0).expect("valid");
    let interval = Interval::from_secs(INTERVALS[usize::from(pick >> 2) % INTERVALS.len()]);
    let symbols: Vec<String> = ["NVDA", "SAP.DE", "^GSPC", "EURUSD=X"]
        .map(String::from)
        .to_vec();
    let bars = match pick % 4 {
        0 => yahoo::parse_chart(body, "NVDA", interval, now).unwrap_or_default(),
        1 => match yahoo::parse_spark(body, &symbols, interval, now) {
            Ok((bars, missing)) => {
                assert!(missing.iter().all(|m| symbols.contains(m)));
                bars
            }
            Err(_) => Vec::new(),
        },
        2 => match stooq::parse_quotes(body, &symbols, now) {
            Ok((bars, missing)) => {
                assert!(missing.iter().all(|m| symbols.contains(m)));
                bars
            }
            Err(_) => Vec::new(),
        },
        _ => finnhub::parse_quote(body, "SAP.DE", now).unwrap_or_default(),
    };
    for bar in &bars {
        // Nothing stamped after `now` is kept, and every price is a price.
        assert!(bar.time <= now, "{bar:?}");
        for p in [bar.open, bar.high, bar.low, bar.close]
            .into_iter()
            .flatten()
        {
            assert!(p.is_finite() && p > 0.0, "{bar:?}");
        }
    }
});
