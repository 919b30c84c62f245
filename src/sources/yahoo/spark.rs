//! The spark endpoint: closes and the previous close of up to [`SPARK_BATCH`] symbols in one
//! request, for symbols on demand, which need prices but not the full chart
//! (`{base}/v8/finance/spark?symbols=A,B,…&range=1d&interval=5m`). Both shapes Yahoo has
//! served are read: a map from symbol to `{timestamp, close, chartPreviousClose, …}`, and
//! `{"spark": {"result": [{symbol, response: [chart result]}]}}`.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use url::Url;

use super::{ChartResult, Indicators, Meta, QuoteArrays, Yahoo, chart_bars, get_json};
use crate::model::{Bar, Interval};
use crate::sources::http::{FetchError, Http};

/// Most symbols the spark endpoint answers in one request.
pub const SPARK_BATCH: usize = 20;

impl Yahoo {
    /// The request URL for the prices of `symbols` (at most [`SPARK_BATCH`]) in one go.
    pub fn spark_url(&self, symbols: &[String]) -> Url {
        let mut url = self.base_url.clone();
        url.path_segments_mut()
            .map(|mut p| {
                p.pop_if_empty().extend(["v8", "finance", "spark"]);
            })
            .ok();
        url.query_pairs_mut()
            .append_pair("symbols", &symbols.join(","))
            .append_pair("range", "1d")
            .append_pair("interval", &self.interval.to_string())
            .append_pair(
                "includePrePost",
                if self.extended_hours { "true" } else { "false" },
            );
        url
    }
}

pub(super) async fn get_spark(
    http: &Http,
    url: &Url,
    symbols: &[String],
    interval: Interval,
    now: DateTime<Utc>,
) -> Result<(Vec<Bar>, Vec<String>), FetchError> {
    let body = get_json(http, url).await?;
    parse_spark(&body, symbols, interval, now)
}

/// One symbol of the spark endpoint's map shape.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SparkEntry {
    #[serde(default)]
    timestamp: Vec<i64>,
    #[serde(default)]
    close: Vec<Option<f64>>,
    previous_close: Option<f64>,
    chart_previous_close: Option<f64>,
    /// Not in the answers seen so far; taken if it comes.
    currency: Option<serde_json::Value>,
}

/// One symbol of the spark endpoint's `spark.result` shape.
#[derive(Deserialize)]
struct SparkResult {
    symbol: String,
    #[serde(default)]
    response: Vec<ChartResult>,
}

#[derive(Deserialize)]
struct SparkRoot {
    spark: SparkChart,
}

#[derive(Deserialize)]
struct SparkChart {
    result: Option<Vec<SparkResult>>,
}

/// Parses a spark response for `symbols`: their bars (as [`parse_chart`] makes them, closes
/// only), and the symbols it had no prices for.
pub fn parse_spark(
    body: &[u8],
    symbols: &[String],
    interval: Interval,
    now: DateTime<Utc>,
) -> Result<(Vec<Bar>, Vec<String>), FetchError> {
    let malformed = |e: serde_json::Error| FetchError::Malformed {
        what: "spark JSON",
        detail: e.to_string(),
    };
    let mut results: std::collections::HashMap<String, ChartResult> = Default::default();
    if let Ok(root) = serde_json::from_slice::<SparkRoot>(body) {
        for r in root.spark.result.unwrap_or_default() {
            if let Some(first) = r.response.into_iter().next() {
                results.insert(r.symbol.to_ascii_uppercase(), first);
            }
        }
    } else {
        let map: std::collections::HashMap<String, Option<SparkEntry>> =
            serde_json::from_slice(body).map_err(malformed)?;
        for (symbol, entry) in map {
            let Some(e) = entry else { continue };
            results.insert(
                symbol.to_ascii_uppercase(),
                ChartResult {
                    meta: Meta {
                        previous_close: e.previous_close,
                        chart_previous_close: e.chart_previous_close,
                        currency: e.currency,
                        range: Some("1d".into()),
                        ..Meta::default()
                    },
                    timestamp: e.timestamp,
                    events: None,
                    indicators: Some(Indicators {
                        quote: vec![QuoteArrays {
                            close: e.close,
                            ..QuoteArrays::default()
                        }],
                    }),
                },
            );
        }
    }
    let mut bars = Vec::new();
    let mut missing = Vec::new();
    for symbol in symbols {
        match results
            .remove(symbol.as_str())
            .map(|r| chart_bars(r, symbol, interval, now))
        {
            Some(Ok(b)) => bars.extend(b),
            _ => missing.push(symbol.clone()),
        }
    }
    Ok((bars, missing))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn spark_answers_in_either_shape_give_the_same_bars_and_name_the_missing() {
        let now = t("2026-02-02T22:45:00Z");
        let interval: Interval = "30m".parse().unwrap();
        let map = r#"{"NVDA":{"symbol":"NVDA","timestamp":[1770062400,1770064200,1770066000],"close":[185.9499969482422,186.25,null],"chartPreviousClose":191.79,"previousClose":null,"dataGranularity":1800,"end":null,"start":null},"AMD":null}"#;
        let wrapped = r#"{"spark":{"result":[{"symbol":"NVDA","response":[{"meta":{"symbol":"NVDA","chartPreviousClose":191.79,"range":"1d","priceHint":2},"timestamp":[1770062400,1770064200,1770066000],"indicators":{"quote":[{"close":[185.9499969482422,186.25,null]}]}}]}],"error":null}}"#;
        let symbols = ["NVDA".to_string(), "AMD".to_string(), "ZZZZ".to_string()];
        let (a, missing_a) = parse_spark(map.as_bytes(), &symbols, interval, now).unwrap();
        let (b, missing_b) = parse_spark(wrapped.as_bytes(), &symbols, interval, now).unwrap();
        assert_eq!(a, b);
        assert_eq!(missing_a, ["AMD", "ZZZZ"]);
        assert_eq!(missing_b, ["AMD", "ZZZZ"]);
        let closes: Vec<(String, f64, bool)> = a
            .iter()
            .map(|b| (b.time.to_rfc3339(), b.close.unwrap(), b.interval.is_daily()))
            .collect();
        assert_eq!(
            closes,
            [
                ("2026-01-30T21:00:00+00:00".to_string(), 191.79, true),
                ("2026-02-02T20:30:00+00:00".to_string(), 185.95, false),
                ("2026-02-02T21:00:00+00:00".to_string(), 186.25, false),
            ],
            "closes rounded, the previous close as a daily bar, nulls skipped"
        );
        assert!(a.iter().all(|b| b.open.is_none() && b.volume.is_none()));
        for junk in [
            "",
            "Too Many Requests",
            "[]",
            "7",
            "{\"NVDA\":{\"close\":\"x\"}}",
        ] {
            assert!(
                parse_spark(junk.as_bytes(), &symbols, interval, now).is_err(),
                "{junk}"
            );
        }
        // Closes that do not match the timestamps: that symbol has no prices.
        let uneven = r#"{"NVDA":{"timestamp":[1770062400,1770064200],"close":[1.0],"chartPreviousClose":2.0}}"#;
        let (bars, missing) = parse_spark(uneven.as_bytes(), &symbols[..1], interval, now).unwrap();
        assert!(bars.is_empty());
        assert_eq!(missing, ["NVDA"]);
    }
}
