use super::*;

/// Monday 2 February 2026, 17:00 New York: after that day's close.
fn evening() -> DateTime<Utc> {
    "2026-02-02T22:00:00Z".parse().unwrap()
}

const NVDA: &str = r#"{"c":186.25,"d":-5.54,"dp":-2.8886,"h":190.1,"l":184.95,"o":188.9,"pc":191.79,"t":1770066000}"#;

#[test]
fn a_quote_becomes_the_day_and_the_previous_close() {
    let bars = parse_quote(NVDA.as_bytes(), "NVDA", evening()).unwrap();
    assert_eq!(bars.len(), 2);
    let (before, day) = (&bars[0], &bars[1]);
    // Friday's close, at Friday's regular close.
    assert_eq!(before.time.to_rfc3339(), "2026-01-30T21:00:00+00:00");
    assert_eq!(before.close, Some(191.79));
    assert!(before.interval.is_daily());
    // Monday's figures at the last trade, 16:00 New York.
    assert_eq!(day.time.to_rfc3339(), "2026-02-02T21:00:00+00:00");
    assert_eq!(
        (day.open, day.high, day.low, day.close),
        (Some(188.9), Some(190.1), Some(184.95), Some(186.25))
    );
    assert_eq!(day.session, Some(Session::Regular));
    assert_eq!(day.volume, None);
}

#[test]
fn the_previous_close_is_taken_on_the_quotes_own_day_only() {
    // Tuesday before the open: Monday's quote, but `pc` may already mean Monday.
    let tuesday = "2026-02-03T12:00:00Z".parse().unwrap();
    let bars = parse_quote(NVDA.as_bytes(), "NVDA", tuesday).unwrap();
    assert_eq!(bars.len(), 1);
    assert_eq!(bars[0].close, Some(186.25));
    assert_eq!(bars[0].time.to_rfc3339(), "2026-02-02T21:00:00+00:00");
}

#[test]
fn a_trade_during_the_session_is_stamped_when_it_happened() {
    // 11:00 New York.
    let body = r#"{"c":187.5,"h":190.1,"l":184.95,"o":188.9,"pc":191.79,"t":1770048000}"#;
    let noon = "2026-02-02T17:00:00Z".parse().unwrap();
    let bars = parse_quote(body.as_bytes(), "NVDA", noon).unwrap();
    assert_eq!(bars[1].time.to_rfc3339(), "2026-02-02T16:00:00+00:00");
}

#[test]
fn an_unknown_symbol_is_no_data() {
    let zeros = r#"{"c":0,"d":null,"dp":null,"h":0,"l":0,"o":0,"pc":0,"t":0}"#;
    let err = parse_quote(zeros.as_bytes(), "XYZQ", evening()).unwrap_err();
    assert_eq!(err.kind(), "no-data");
    assert!(err.to_string().contains("XYZQ"), "{err}");
}

#[test]
fn malformed_and_hostile_quotes_are_errors_not_panics() {
    for body in [
        "",
        "[]",
        "null",
        "{",
        r#"{"c":"186.25","t":1770066000}"#,
        r#"{"c":1e400,"t":1770066000}"#,
        r#"{"c":186.25,"t":-5}"#,
        r#"{"c":186.25,"t":99999999999999}"#,
        r#"{"c":-3,"t":1770066000}"#,
        r#"{"c":186.25}"#,
        r#"{"error":"You don't have access to this resource."}"#,
    ] {
        let result = parse_quote(body.as_bytes(), "NVDA", evening());
        assert!(result.is_err(), "{body}: {result:?}");
    }
    // A quote from the future is refused, not taken as now.
    let ahead = r#"{"c":186.25,"t":1770166000}"#;
    let err = parse_quote(ahead.as_bytes(), "NVDA", evening()).unwrap_err();
    assert_eq!(err.kind(), "malformed");
    // Extra fields and missing day figures are fine.
    let sparse = r#"{"c":186.25,"t":1770066000,"x":[1,2]}"#;
    let bars = parse_quote(sparse.as_bytes(), "NVDA", evening()).unwrap();
    assert_eq!((bars.len(), bars[0].open), (1, None));
}

#[test]
fn the_key_goes_in_a_header_not_the_url() {
    let key = ApiKey("d1secret".into());
    let f = Finnhub::new("https://finnhub.io".parse().unwrap(), &key, plan(60)).unwrap();
    assert_eq!(
        f.url("SAP.DE").as_str(),
        "https://finnhub.io/api/v1/quote?symbol=SAP.DE"
    );
    assert!(!f.url("NVDA").as_str().contains("d1secret"));
    // A share class as Finnhub writes it; a pair's dash stays.
    for (symbol, asked) in [
        ("BRK-B", "BRK.B"),
        ("BRK.B", "BRK.B"),
        ("BTC-USD", "BTC-USD"),
    ] {
        assert!(
            f.url(symbol).as_str().ends_with(&format!("symbol={asked}")),
            "{symbol}"
        );
    }
    assert!(f.access.key.is_sensitive());
    assert!(
        Finnhub::new(
            "https://finnhub.io".parse().unwrap(),
            &ApiKey("a\nb".into()),
            plan(60)
        )
        .is_err()
    );
}

#[test]
fn a_plan_allows_its_minute_in_bursts_within_thirty_a_second() {
    // A burst of 29, and one more within the second.
    let free = plan(60);
    let burst = (0..100).take_while(|_| free.check().is_ok()).count();
    assert_eq!(burst, 29);
    let small = plan(5);
    let burst = (0..100).take_while(|_| small.check().is_ok()).count();
    assert_eq!(burst, 5);
}

/// A fake Finnhub on loopback: answers every quote with [`NVDA`] (a 429 for `LIMIT`) and
/// notes the symbols asked for and the keys sent.
async fn fake() -> (Url, Arc<std::sync::Mutex<Vec<(String, String)>>>) {
    use axum::extract::{Query, State};
    use axum::http::{HeaderMap as Headers, StatusCode};
    type Seen = Arc<std::sync::Mutex<Vec<(String, String)>>>;
    async fn quote(
        State(seen): State<Seen>,
        headers: Headers,
        Query(q): Query<std::collections::HashMap<String, String>>,
    ) -> (StatusCode, String) {
        let symbol = q.get("symbol").cloned().unwrap_or_default();
        let key = headers
            .get("x-finnhub-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        seen.lock().unwrap().push((symbol.clone(), key));
        if symbol == "LIMIT" {
            let body =
                r#"{"error":"API limit reached. Please try again later. Remaining Limit: 0"}"#;
            return (StatusCode::TOO_MANY_REQUESTS, body.into());
        }
        (StatusCode::OK, NVDA.into())
    }
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route("/api/v1/quote", axum::routing::get(quote))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url.parse().unwrap(), seen)
}

fn http() -> Http {
    Http::new(&crate::config::HttpConfig {
        timeout: Duration::from_secs(5),
        user_agent: crate::config::DEFAULT_USER_AGENT.to_string(),
        listen: None,
        stall_after: Duration::from_secs(45),
    })
}

fn symbols(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn a_poll_stops_at_the_plans_limit_and_the_next_starts_where_it_stopped() {
    let (url, seen) = fake().await;
    // One request every 300 ms, and a poll waits at most 400 ms in all: about two a poll.
    let tight = Arc::new(governor::RateLimiter::direct(
        Quota::with_period(Duration::from_millis(300)).unwrap(),
    ));
    let key = ApiKey("k1".into());
    let f = Finnhub::new(url, &key, tight)
        .unwrap()
        .waiting_at_most(Duration::from_millis(400));
    let list = symbols(&["A", "B", "C", "D", "E"]);
    let mut asked = Vec::new();
    for _ in 0..4 {
        let before = seen.lock().unwrap().len();
        let fetch = f.fetch(&http(), &list, evening()).await;
        let now_asked: Vec<String> = seen.lock().unwrap()[before..]
            .iter()
            .map(|(s, _)| s.clone())
            .collect();
        assert!(
            !now_asked.is_empty() && now_asked.len() < list.len(),
            "{now_asked:?}"
        );
        // Each fetched symbol gave its bars; the rest is one line, not an error each.
        assert_eq!(fetch.bars.len(), 2 * now_asked.len());
        assert_eq!(fetch.errors.len(), 1, "{:?}", fetch.errors);
        let (what, err) = &fetch.errors[0];
        let next = &list[(list
            .iter()
            .position(|s| *s == *now_asked.last().unwrap())
            .unwrap()
            + 1)
            % list.len()];
        assert!(what.starts_with(&format!("{next} and ")), "{what}");
        let more: usize = what
            .split(" and ")
            .nth(1)
            .unwrap()
            .trim_end_matches(" more")
            .parse()
            .unwrap();
        let left = format!(": {} symbols left for the next poll", more + 1);
        assert!(err.to_string().contains(&left), "{err}");
        assert_eq!(err.kind(), "throttled");
        asked.extend(now_asked);
    }
    // In turn, round the list, each symbol asked once before any is asked again.
    let expected: Vec<String> = list.iter().cycle().take(asked.len()).cloned().collect();
    assert_eq!(asked, expected);
    assert!(seen.lock().unwrap().iter().all(|(_, key)| key == "k1"));
}

#[tokio::test]
async fn a_429_stops_the_poll_and_that_symbol_comes_first_next_time() {
    let (url, seen) = fake().await;
    let key = ApiKey("k2".into());
    let f = Finnhub::new(url, &key, plan(600)).unwrap();
    let list = symbols(&["A", "LIMIT", "C"]);
    let fetch = f.fetch(&http(), &list, evening()).await;
    assert_eq!(fetch.bars.len(), 2, "A's");
    assert_eq!(fetch.errors.len(), 1);
    assert_eq!(fetch.errors[0].0, "LIMIT");
    assert_eq!(fetch.errors[0].1.kind(), "rate-limited");
    assert!(fetch.errors[0].1.to_string().contains("API limit reached"));
    f.fetch(&http(), &list, evening()).await;
    let asked: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(s, _)| s.clone())
        .collect();
    assert_eq!(asked, ["A", "LIMIT", "LIMIT"]);
}

#[test]
fn a_trade_before_the_open_is_not_stamped_after_now() {
    // Tuesday 3 February 2026, 07:05 New York; the last trade 07:00 (before the 09:30 open).
    let now: DateTime<Utc> = "2026-02-03T12:05:00Z".parse().unwrap();
    let t = "2026-02-03T12:00:00Z"
        .parse::<DateTime<Utc>>()
        .unwrap()
        .timestamp();
    let body = format!(r#"{{"c":187.0,"h":187.5,"l":186.0,"o":186.5,"pc":186.25,"t":{t}}}"#);
    let bars = parse_quote(body.as_bytes(), "NVDA", now).unwrap();
    for bar in &bars {
        assert!(bar.time <= now, "a bar stamped after now ({now}): {bar:?}");
    }
}

#[test]
fn the_fuzz_targets_now_and_a_xetra_trade_before_the_open_keep_the_no_future_bar_invariant() {
    // As the fuzz target has it: Monday 03:40 Berlin, SAP.DE, no bar after now.
    let now = DateTime::<Utc>::from_timestamp(1_770_000_000, 0).unwrap();
    let body = r#"{"c":180.5,"h":181,"l":180,"o":180.2,"pc":179.9,"t":1769999000}"#;
    let bars = parse_quote(body.as_bytes(), "SAP.DE", now).unwrap_or_default();
    for bar in &bars {
        assert!(bar.time <= now, "{bar:?}");
    }
}

#[test]
fn a_200_answer_with_an_error_object_is_not_taken_as_an_unknown_symbol() {
    // Finnhub sometimes refuses with a 200 and an error object. `no-data` is what symbols on
    // demand remember as "the provider does not know this symbol" for a week; a spent limit or
    // a refused resource says nothing of the kind.
    for body in [
        r#"{"error":"API limit reached. Please try again later. Remaining Limit: 0"}"#,
        r#"{"error":"You don't have access to this resource."}"#,
    ] {
        let err = parse_quote(body.as_bytes(), "NVDA", evening()).unwrap_err();
        assert_ne!(err.kind(), "no-data", "{body}: {err}");
    }
}

#[tokio::test]
async fn the_on_demand_source_sharing_the_provider_does_not_reset_the_configured_rotation() {
    // The source of the symbols on demand shares the configured source's provider: its list
    // keeps a place of its own.
    let (url, seen) = fake().await;
    let tight = Arc::new(governor::RateLimiter::direct(
        Quota::with_period(Duration::from_millis(300)).unwrap(),
    ));
    let key = ApiKey("k3".into());
    let f = Finnhub::new(url, &key, tight)
        .unwrap()
        .waiting_at_most(Duration::from_millis(400));
    let configured = symbols(&["A", "B", "C", "D", "E"]);
    let wanted = symbols(&["X"]);
    let asked = |from: usize| -> Vec<String> {
        seen.lock().unwrap()[from..]
            .iter()
            .map(|(s, _)| s.clone())
            .collect()
    };
    f.fetch(&http(), &configured, evening()).await;
    let first = asked(0);
    assert!(first.len() < configured.len(), "{first:?}");
    let last = configured
        .iter()
        .position(|s| s == first.last().unwrap())
        .unwrap();
    let expected_next = configured[(last + 1) % configured.len()].clone();
    // The on-demand source polls on the same schedule.
    let before = seen.lock().unwrap().len();
    f.fetch_many(&http(), &wanted, evening()).await;
    assert_eq!(asked(before), ["X"]);
    let before = seen.lock().unwrap().len();
    f.fetch(&http(), &configured, evening()).await;
    let second = asked(before);
    assert_eq!(
        second.first(),
        Some(&expected_next),
        "first poll asked {first:?}; the symbols it did not reach should come first, got {second:?}"
    );
}

#[test]
fn a_plan_of_more_than_1800_a_minute_still_keeps_to_thirty_requests_a_second() {
    // Finnhub answers 429 beyond 30 calls a second, whatever the plan.
    let big = plan(6000);
    let start = std::time::Instant::now();
    let mut allowed = 0;
    while start.elapsed() < Duration::from_millis(1000) {
        if big.check().is_ok() {
            allowed += 1;
        }
    }
    assert!(allowed <= 31, "{allowed} requests allowed in one second");
}
