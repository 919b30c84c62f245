use super::*;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A 30-minute chart of a Monday afternoon, shaped like Yahoo's: float32 noise, a null
/// bar, keys in an odd order, `tradingPeriods` as an object.
const CHART: &str = r#"{"chart":{"result":[{"meta":{"currency":"USD","symbol":"NVDA","exchangeName":"NMS","instrumentType":"EQUITY","regularMarketTime":1770066000,"hasPrePostMarketData":true,"gmtoffset":-18000,"timezone":"EST","exchangeTimezoneName":"America/New_York","regularMarketPrice":186.25,"regularMarketDayHigh":190.1,"regularMarketDayLow":184.95,"regularMarketVolume":223415900,"chartPreviousClose":191.79,"previousClose":191.79,"scale":3,"priceHint":2,"tradingPeriods":{"regular":[[{"timezone":"EST","start":1770042600,"end":1770066000,"gmtoffset":-18000}]]},"dataGranularity":"30m","range":"1d"},"timestamp":[1770062400,1770064200,1770066000,1770067800],"indicators":{"quote":[{"volume":[17000000,26000000,null,1400000],"close":[185.9499969482422,186.25,null,185.35000610351562],"low":[185.49,185.52999877929688,null,184.89],"open":[185.7,185.9499969482422,null,185.02],"high":[186.32,186.72000122070312,null,185.49]}]}}],"error":null}}"#;

#[test]
fn timestamps_at_the_edge_of_time_are_skipped_not_a_panic() {
    let hostile = CHART
        .replace(
            "\"regularMarketTime\":1770066000",
            "\"regularMarketTime\":8210266876799",
        )
        .replace("[1770062400,", "[8210266876799,")
        .replace(",1770067800]", ",-8210266876799]");
    assert_ne!(hostile, CHART);
    let bars = parse_chart(
        hostile.as_bytes(),
        "NVDA",
        "30m".parse().unwrap(),
        t("2026-02-02T22:45:00Z"),
    )
    .unwrap();
    let now = t("2026-02-02T22:45:00Z");
    assert!(bars.iter().all(|b| b.time <= now), "{bars:?}");
    assert!(
        bars.iter().any(|b| b.close == Some(186.25)),
        "the sane bars stay"
    );
}

/// The fixture chart of NVDA's 30-minute bars, read at 22:45 on the 2nd.
fn evening_chart() -> Vec<Bar> {
    parse_chart(
        CHART.as_bytes(),
        "NVDA",
        "30m".parse().unwrap(),
        t("2026-02-02T22:45:00Z"),
    )
    .unwrap()
}

#[test]
fn bars_are_stamped_at_their_end_rounded_and_nulls_skipped() {
    let bars = evening_chart();
    let intraday: Vec<(String, f64, Option<Session>)> = bars
        .iter()
        .filter(|b| !b.interval.is_daily())
        .map(|b| (b.time.to_rfc3339(), b.close.unwrap(), b.session))
        .collect();
    assert_eq!(
        intraday,
        [
            (
                "2026-02-02T20:30:00+00:00".to_string(),
                185.95,
                Some(Session::Regular)
            ),
            (
                "2026-02-02T21:00:00+00:00".to_string(),
                186.25,
                Some(Session::Regular)
            ),
            (
                "2026-02-02T22:00:00+00:00".to_string(),
                185.35,
                Some(Session::Post)
            ),
        ]
    );
}

#[test]
fn the_previous_close_and_the_running_day_become_daily_bars() {
    let bars = evening_chart();
    let daily: Vec<(String, f64)> = bars
        .iter()
        .filter(|b| b.interval.is_daily())
        .map(|b| (b.time.to_rfc3339(), b.close.unwrap()))
        .collect();
    assert_eq!(
        daily,
        [
            ("2026-01-30T21:00:00+00:00".to_string(), 191.79),
            ("2026-02-02T21:00:00+00:00".to_string(), 186.25),
        ]
    );
}

/// The day after Thanksgiving 2026 closes at 13:00 in New York: the bar from 12:30 is the
/// last regular one, those from 13:30 and 14:00 are after-hours, and the day's figures are
/// stamped at 13:00, the Wednesday before it the previous close.
#[test]
fn a_half_day_ends_the_regular_session_early() {
    let chart = r#"{"chart":{"result":[{"meta":{"symbol":"NVDA","regularMarketTime":1795802400,"regularMarketPrice":181.5,"previousClose":180.0,"priceHint":2,"dataGranularity":"30m","range":"1d"},"timestamp":[1795800600,1795804200,1795806000],"indicators":{"quote":[{"open":[181.0,181.6,181.8],"high":[181.6,181.9,182.0],"low":[180.9,181.4,181.7],"close":[181.5,181.8,181.9],"volume":[900000,40000,30000]}]}}],"error":null}}"#;
    let bars = parse_chart(
        chart.as_bytes(),
        "NVDA",
        "30m".parse().unwrap(),
        t("2026-11-27T20:00:00Z"),
    )
    .unwrap();
    let all: Vec<(String, bool, Option<Session>)> = bars
        .iter()
        .map(|b| (b.time.to_rfc3339(), b.interval.is_daily(), b.session))
        .collect();
    let bar = |time: &str, daily, session| (format!("{time}+00:00"), daily, Some(session));
    assert_eq!(
        all,
        [
            bar("2026-11-25T21:00:00", true, Session::Regular),
            bar("2026-11-27T18:00:00", false, Session::Regular),
            bar("2026-11-27T18:00:00", true, Session::Regular),
            bar("2026-11-27T19:00:00", false, Session::Post),
            bar("2026-11-27T19:30:00", false, Session::Post),
        ]
    );
}

#[test]
fn nothing_after_now_is_kept() {
    let bars = parse_chart(
        CHART.as_bytes(),
        "NVDA",
        "30m".parse().unwrap(),
        t("2026-02-02T21:10:00Z"),
    )
    .unwrap();
    assert!(bars.iter().all(|b| b.time <= t("2026-02-02T21:10:00Z")));
    assert_eq!(bars.iter().filter(|b| !b.interval.is_daily()).count(), 2);
}

#[test]
fn daily_history_is_stamped_at_each_close() {
    let daily = r#"{"chart":{"result":[{"meta":{"symbol":"NVDA","regularMarketTime":1770152401,"regularMarketPrice":178.22,"chartPreviousClose":188.52,"priceHint":2,"dataGranularity":"1d","range":"5d"},"timestamp":[1769783400,1770042600,1770129000],"indicators":{"quote":[{"open":[192.4,188.9,187.4],"high":[193.35,190.1,188.1],"low":[190.62,184.95,176.9],"close":[191.79,186.25,178.22],"volume":[171950400,223415900,276068200]}],"adjclose":[{"adjclose":[191.79,186.25,178.22]}]}}],"error":null}}"#;
    let bars = parse_chart(
        daily.as_bytes(),
        "NVDA",
        Interval::DAY,
        t("2026-02-03T20:00:00Z"),
    )
    .unwrap();
    let closes: Vec<(String, f64)> = bars
        .iter()
        .filter(|b| b.volume.is_some_and(|v| v > 1))
        .map(|b| (b.time.to_rfc3339(), b.close.unwrap()))
        .collect();
    assert_eq!(
        closes,
        [
            ("2026-01-30T21:00:00+00:00".to_string(), 191.79),
            ("2026-02-02T21:00:00+00:00".to_string(), 186.25)
        ],
        "Tuesday's bar is still running at 20:00"
    );
    assert!(
        bars.iter().all(|b| b.close != Some(188.52)),
        "chartPreviousClose of a 5d range is not yesterday's close"
    );
}

#[test]
fn errors_and_empty_shapes_are_classified() {
    let not_found = r#"{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}"#;
    assert!(
        matches!(parse_chart(not_found.as_bytes(), "X", "5m".parse().unwrap(), Utc::now()), Err(FetchError::NoData(m)) if m.contains("delisted"))
    );
    let empty = r#"{"chart":{"result":[],"error":null}}"#;
    assert!(matches!(
        parse_chart(empty.as_bytes(), "X", "5m".parse().unwrap(), Utc::now()),
        Err(FetchError::NoData(_))
    ));
    let no_ts = r#"{"chart":{"result":[{"meta":{"symbol":"X"},"indicators":{"quote":[{}],"adjclose":[{}]}}],"error":null}}"#;
    assert!(matches!(
        parse_chart(no_ts.as_bytes(), "X", "5m".parse().unwrap(), Utc::now()),
        Err(FetchError::NoData(_))
    ));
    let uneven = r#"{"chart":{"result":[{"meta":{},"timestamp":[1,2],"indicators":{"quote":[{"open":[1],"high":[1],"low":[1],"close":[1]}]}}],"error":null}}"#;
    assert!(matches!(
        parse_chart(uneven.as_bytes(), "X", "5m".parse().unwrap(), Utc::now()),
        Err(FetchError::Malformed { .. })
    ));
    for junk in ["", "Too Many Requests", "{", "[]", "{\"chart\":7}", "null"] {
        assert!(
            parse_chart(junk.as_bytes(), "X", "5m".parse().unwrap(), Utc::now()).is_err(),
            "{junk}"
        );
    }
}

#[test]
fn a_poll_with_history_is_budgeted_for_two_requests_a_symbol() {
    // The scheduler gives a poll time for this many requests: a Yahoo that stalls every
    // one must still have its poll end on its own, with the timeouts reported.
    let url = || "http://127.0.0.1:9/".parse().unwrap();
    let plain = Yahoo::new(url(), "30m".parse().unwrap(), true, false);
    let with_history = Yahoo::new(url(), "30m".parse().unwrap(), true, true);
    assert_eq!(plain.requests_per_fetch(10), 10);
    assert_eq!(with_history.requests_per_fetch(10), 20);
}

/// [`CHART`] with `events` as given.
fn chart_with_events(events: &str) -> String {
    CHART.replacen(
        r#""indicators":"#,
        &format!(r#""events":{events},"indicators":"#),
        1,
    )
}

#[test]
fn splits_are_read_from_the_events_each_on_its_first_trading_day() {
    let now = t("2026-02-02T22:45:00Z");
    let events = r#"{"dividends":{"1769610600":{"amount":0.01,"date":1769610600}},
        "splits":{
          "1769610600":{"date":1769610600,"numerator":10,"denominator":1,"splitRatio":"10:1"},
          "1769040000":{"date":1769040000,"splitRatio":"1:20"},
          "1768435200":{"date":1768435200,"numerator":4.0,"denominator":1.0},
          "1":{"date":1769610600,"numerator":1e9,"denominator":1},
          "2":{"date":1769610600,"numerator":3,"denominator":3},
          "3":{"date":1640995200,"numerator":2,"denominator":1},
          "4":{"date":"soon","numerator":2,"denominator":1},
          "5":"garbage"}}"#;
    let read = |events: &str| {
        read_chart(
            chart_with_events(events).as_bytes(),
            "NVDA",
            "30m".parse().unwrap(),
            now,
        )
        .unwrap()
    };
    let chart = read(events);
    let splits: Vec<(String, f64)> = chart
        .splits
        .iter()
        .map(|s| (s.date.to_string(), s.ratio))
        .collect();
    assert_eq!(
        splits,
        [
            // Midnight UTC on a Thursday is Wednesday evening in New York: the split
            // takes effect with Thursday's session.
            ("2026-01-15".to_string(), 4.0),
            // From `splitRatio` alone (a reverse split), stamped at midnight UTC.
            ("2026-01-22".to_string(), 0.05),
            // Stamped at the session's open.
            ("2026-01-28".to_string(), 10.0),
        ],
        "absurd ratios, no change, a split from years ago and broken entries are left out"
    );
    assert_eq!(
        chart.bars,
        parse_chart(CHART.as_bytes(), "NVDA", "30m".parse().unwrap(), now).unwrap(),
        "the prices are read as without events"
    );
    // Events of another shape cost nothing but themselves.
    for events in [r#"{"splits":[1,2]}"#, r#""none""#, "null"] {
        let chart = read(events);
        assert!(
            chart.splits.is_empty() && !chart.bars.is_empty(),
            "{events}"
        );
    }
}

#[test]
fn the_url_has_the_documented_shape() {
    let y = Yahoo::new(
        "http://127.0.0.1:9/".parse().unwrap(),
        "5m".parse().unwrap(),
        true,
        true,
    );
    assert_eq!(
        y.url("SAP.DE").as_str(),
        "http://127.0.0.1:9/v8/finance/chart/SAP.DE?range=1d&interval=5m&includePrePost=true&events=split"
    );
    assert_eq!(
        y.history_url("NVDA").as_str(),
        "http://127.0.0.1:9/v8/finance/chart/NVDA?range=1y&interval=1d&includePrePost=false&events=split"
    );
    assert_eq!(
        y.spark_url(&["NVDA".into(), "SAP.DE".into()]).as_str(),
        "http://127.0.0.1:9/v8/finance/spark?symbols=NVDA%2CSAP.DE&range=1d&interval=5m&includePrePost=true"
    );
}

/// A chart's `currency` travels with its prices: a London share's in pence (`GBp`), as Yahoo
/// writes it; a chart that names none, or something that is no currency code, gives none.
#[test]
fn the_charts_currency_travels_with_its_bars() {
    let now = t("2026-02-02T22:45:00Z");
    let london = CHART
        .replace("\"currency\":\"USD\"", "\"currency\":\"GBp\"")
        .replace("\"symbol\":\"NVDA\"", "\"symbol\":\"VOD.L\"");
    let bars = parse_chart(london.as_bytes(), "VOD.L", "30m".parse().unwrap(), now).unwrap();
    assert!(!bars.is_empty());
    assert!(
        bars.iter().all(|b| b.currency.as_deref() == Some("GBp")),
        "{bars:?}"
    );
    for unknown in [
        "\"currency\":null",
        "\"currency\":\"<b>\"",
        "\"currency\":\"\"",
    ] {
        let chart = CHART.replace("\"currency\":\"USD\"", unknown);
        let bars = parse_chart(chart.as_bytes(), "NVDA", "30m".parse().unwrap(), now).unwrap();
        assert!(bars.iter().all(|b| b.currency.is_none()), "{unknown}");
    }
    // The spark endpoint's wrapped answer has the meta too.
    let spark = r#"{"spark":{"result":[{"symbol":"VOD.L","response":[{"meta":{"currency":"GBp","symbol":"VOD.L","chartPreviousClose":72.0,"range":"1d","priceHint":2},"timestamp":[1770049800],"indicators":{"quote":[{"close":[72.36]}]}}]}],"error":null}}"#;
    let (bars, _) = spark::parse_spark(
        spark.as_bytes(),
        &["VOD.L".to_string()],
        "30m".parse().unwrap(),
        now,
    )
    .unwrap();
    assert!(!bars.is_empty());
    assert!(bars.iter().all(|b| b.currency.as_deref() == Some("GBp")));
}
