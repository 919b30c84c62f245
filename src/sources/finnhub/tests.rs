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
    assert!(f.key.is_sensitive());
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
fn a_plan_allows_its_minute_in_bursts_of_at_most_thirty() {
    let free = plan(60);
    let burst = (0..100).take_while(|_| free.check().is_ok()).count();
    assert_eq!(burst, 30);
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
        assert!(err.to_string().contains("left for the next poll"), "{err}");
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
