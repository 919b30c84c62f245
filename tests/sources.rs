//! The real source clients against a fake origin on loopback.

use crate::support;

use std::time::Duration;

use chrono::{DateTime, Utc};
use marketbot::config::{DEFAULT_USER_AGENT, HttpConfig};
use marketbot::sources::QuoteProvider;
use marketbot::sources::feed::Feed;
use marketbot::sources::http::{FetchError, Http};
use marketbot::sources::stooq::Stooq;
use marketbot::sources::yahoo::Yahoo;
use support::RSS;
use support::origin::{Origin, Reply};
use support::payloads::{self, rss, seed_item};

fn http(timeout_ms: u64) -> Http {
    Http::new(&HttpConfig {
        timeout: Duration::from_millis(timeout_ms),
        user_agent: DEFAULT_USER_AGENT.to_string(),
        listen: None,
        stall_after: Duration::from_secs(45),
    })
}

fn evening() -> DateTime<Utc> {
    support::seed_evening()
}

/// A store of its own and a poll context over it, at the seed evening; the pipeline's end.
struct Polling {
    _dir: tempfile::TempDir,
    store: marketbot::store::Store,
    ctx: marketbot::sources::PollContext,
    rx: tokio::sync::mpsc::Receiver<marketbot::sources::Batch>,
}

fn polling() -> Polling {
    let dir = tempfile::tempdir().unwrap();
    let store = marketbot::store::Store::open(dir.path(), 8 << 20).unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let ctx = marketbot::sources::PollContext {
        http: http(2000),
        store: store.clone(),
        clock: marketbot::clock::Clock::anchored(evening()),
        pipeline: tx,
    };
    Polling {
        _dir: dir,
        store,
        ctx,
        rx,
    }
}

fn feed(origin: &Origin, path: &str) -> Feed {
    Feed::new(
        "wire".into(),
        origin.url(path).parse().unwrap(),
        vec!["NVDA".into()],
    )
}

/// A response whose items could not be stored (the store was unreachable) leaves the feed's
/// validators as they were: the next fetch brings the items again, not a 304 until the feed
/// changes — also when a 304 to the older validators comes in between.
#[tokio::test]
async fn a_feed_whose_items_were_not_stored_is_fetched_whole_again() {
    let origin = Origin::start().await;
    let f = feed(&origin, "/wire.xml");
    let h = http(2000);
    // v0, empty, stored.
    origin.set(
        "/wire.xml",
        Reply::ok(RSS, rss("Wire", &[])).header("ETag", "\"v0\""),
    );
    f.fetch(&h, evening())
        .await
        .unwrap()
        .validators
        .unwrap()
        .stored();
    // v1 with the story: its step fails, the validators are dropped with it.
    let v1 = Reply::ok(RSS, rss("Wire", &[seed_item()])).header("ETag", "\"v1\"");
    origin.set("/wire.xml", v1.clone());
    let lost = f.fetch(&h, evening()).await.unwrap();
    assert_eq!(lost.items.len(), 1);
    drop(lost);
    // A lagging cache answers v0 again (304 to the validators the feed has)...
    origin.set(
        "/wire.xml",
        Reply::ok(RSS, rss("Wire", &[])).header("ETag", "\"v0\""),
    );
    let unchanged = f.fetch(&h, evening()).await.unwrap();
    assert!(unchanged.items.is_empty() && unchanged.validators.is_none());
    // ...and then v1: the story comes again.
    origin.set("/wire.xml", v1);
    assert_eq!(f.fetch(&h, evening()).await.unwrap().items.len(), 1);
    let asked: Vec<Option<String>> = origin
        .requests("/wire.xml")
        .iter()
        .map(|h| {
            h.get("if-none-match")
                .map(|v| v.to_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(
        asked,
        [
            None,
            Some("\"v0\"".into()),
            Some("\"v0\"".into()),
            Some("\"v0\"".into())
        ]
    );
}

#[tokio::test]
async fn feeds_are_fetched_with_conditional_get() {
    let origin = Origin::start().await;
    origin.set(
        "/wire.xml",
        Reply::ok(RSS, rss("Wire", &[seed_item()]))
            .header("ETag", "\"v1\"")
            .header("Last-Modified", "Mon, 02 Feb 2026 21:48:00 GMT"),
    );
    let f = feed(&origin, "/wire.xml");
    let first = f.fetch(&http(2000), evening()).await.unwrap();
    assert_eq!(first.items.len(), 1);
    assert_eq!(first.items[0].source, "Reuters");
    first.validators.unwrap().stored();
    let second = f.fetch(&http(2000), evening()).await.unwrap();
    assert!(second.items.is_empty(), "304: nothing new");
    let requests = origin.requests("/wire.xml");
    assert_eq!(requests[1].get("if-none-match").unwrap(), "\"v1\"");
    assert_eq!(
        requests[1].get("if-modified-since").unwrap(),
        "Mon, 02 Feb 2026 21:48:00 GMT"
    );
    assert!(
        requests[0]
            .get("user-agent")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("Mozilla/5.0")
    );
}

#[tokio::test]
async fn feed_failures_are_classified() {
    let origin = Origin::start().await;
    origin.set(
        "/500.xml",
        Reply::status(500, "text/html", "<html>oops</html>"),
    );
    origin.set(
        "/html.xml",
        Reply::ok(
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><body>consent</body></html>",
        ),
    );
    origin.set(
        "/html-as-xml.xml",
        Reply::ok("application/xml", "  <!doctype html><html>challenge</html>"),
    );
    origin.set(
        "/bad.xml",
        Reply::ok(RSS, "<rss><channel><item><title>unterminated"),
    );
    origin.set(
        "/slow.xml",
        Reply::ok(RSS, rss("Wire", &[])).delayed(Duration::from_secs(3)),
    );
    origin.set("/huge.xml", Reply::ok(RSS, "x".repeat(9 * 1024 * 1024)));
    let h = http(500);
    let kind = |r: Result<marketbot::sources::feed::Fetched, FetchError>| match r {
        Ok(_) => "no error",
        Err(e) => e.kind(),
    };
    assert_eq!(
        kind(feed(&origin, "/500.xml").fetch(&h, evening()).await),
        "server-error"
    );
    assert_eq!(
        kind(feed(&origin, "/html.xml").fetch(&h, evening()).await),
        "wrong-content"
    );
    assert_eq!(
        kind(feed(&origin, "/html-as-xml.xml").fetch(&h, evening()).await),
        "wrong-content"
    );
    assert_eq!(
        kind(feed(&origin, "/bad.xml").fetch(&h, evening()).await),
        "malformed"
    );
    assert_eq!(
        kind(feed(&origin, "/slow.xml").fetch(&h, evening()).await),
        "timeout"
    );
    assert_eq!(
        kind(feed(&origin, "/missing.xml").fetch(&h, evening()).await),
        "http-error"
    );
    assert_eq!(
        kind(
            feed(&origin, "/huge.xml")
                .fetch(&http(5000), evening())
                .await
        ),
        "too-large"
    );
    let closed = Feed::new(
        "closed".into(),
        "http://127.0.0.1:9/feed.xml".parse().unwrap(),
        vec![],
    );
    assert_eq!(kind(closed.fetch(&h, evening()).await), "connect");
}

/// A feed is known by its body, not by the content type its server labels it with: an RSS or
/// Atom document served as `text/html` (a feed script that never sets its header) is read,
/// while an HTML page — XHTML with an XML declaration too — is still no feed.
#[tokio::test]
async fn a_feed_served_as_html_is_read_and_an_html_page_is_still_refused() {
    let origin = Origin::start().await;
    origin.set(
        "/script.php",
        Reply::ok("text/html; charset=UTF-8", rss("Wire", &[seed_item()])),
    );
    let atom = r#"<?xml version="1.0" encoding="utf-8"?>
<!-- generated -->
<feed xmlns="http://www.w3.org/2005/Atom"><title>filings</title><id>urn:x</id><updated>2026-02-02T21:47:00Z</updated><entry><title>8-K  - Current report</title><id>urn:tag:sec.gov,2008:accession-number=1</id><link href="https://sec.example/1"/><updated>2026-02-02T21:47:00Z</updated></entry></feed>"#;
    origin.set("/atom.php", Reply::ok("text/html", atom));
    origin.set(
        "/xhtml.xml",
        Reply::ok(
            "text/html",
            r#"<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html xmlns="http://www.w3.org/1999/xhtml"><body>consent</body></html>"#,
        ),
    );
    let h = http(2000);
    let script = feed(&origin, "/script.php").fetch(&h, evening()).await;
    assert_eq!(script.map(|f| f.items.len()), Ok(1));
    let atom = feed(&origin, "/atom.php").fetch(&h, evening()).await;
    assert_eq!(atom.map(|f| f.items.len()), Ok(1));
    let Err(err) = feed(&origin, "/xhtml.xml").fetch(&h, evening()).await else {
        panic!("an XHTML page is no feed");
    };
    assert_eq!(err.kind(), "wrong-content", "{err}");
}

/// A feed whose XML declaration names no encoding is in the charset its answer's
/// `Content-Type` names (a German portal's Latin-1, with Windows-1252's quotes): read as
/// UTF-8, its umlauts made the whole feed malformed. A body that is UTF-8 stays UTF-8 whatever
/// a server's default charset says, and a body that declares its encoding after a line break
/// is read in that encoding once.
#[tokio::test]
async fn a_feed_in_the_charset_its_answer_names_is_read_in_it() {
    let origin = Origin::start().await;
    let item = "<item><title>\u{201e}Nvidia-Aktie f\u{e4}llt\u{201c}: B\u{f6}rse in Sorge</title><link>https://boerse.example/nvidia-aktie-faellt</link><guid>nvidia-aktie-faellt</guid><pubDate>Tue, 03 Feb 2026 07:32:00 +0100</pubDate></item>";
    let feed_text = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>B\u{f6}rse</title><language>de-de</language>{item}</channel></rss>"
    );
    // Windows-1252, as servers saying ISO-8859-1 send it.
    let latin: Vec<u8> = feed_text
        .chars()
        .map(|c| match c {
            '\u{201e}' => 0x84,
            '\u{201c}' => 0x93,
            c => u8::try_from(c).unwrap(),
        })
        .collect();
    origin.set(
        "/latin.xml",
        Reply::bytes("text/xml; charset=ISO-8859-1", latin.clone()),
    );
    origin.set(
        "/utf8.xml",
        Reply::ok("text/xml; charset=ISO-8859-1", feed_text.clone()),
    );
    // Declared in the body too, after a stray line break (a PHP script's): read once, not
    // decoded from the header's charset and then again from the declaration.
    let mut declared = b"\n<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>".to_vec();
    declared.extend_from_slice(&latin["<?xml version=\"1.0\"?>".len()..]);
    origin.set(
        "/declared.xml",
        Reply::bytes("text/xml; charset=ISO-8859-1", declared),
    );
    for path in ["/latin.xml", "/utf8.xml", "/declared.xml"] {
        let fetched = feed(&origin, path)
            .fetch(&http(2000), evening())
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let titles: Vec<&str> = fetched.items.iter().map(|h| h.title.as_str()).collect();
        assert_eq!(
            titles,
            ["\u{201e}Nvidia-Aktie f\u{e4}llt\u{201c}: B\u{f6}rse in Sorge"],
            "{path}"
        );
    }
}

/// A feed made on Windows comes in UTF-16 with a byte order mark, its declaration naming
/// UTF-16: it is known for a feed by its root element whatever its label (a feed script's
/// `text/html` too), and read whole — its umlauts and the symbols its items name — in either
/// byte order. Before, its root element was not found among its two-byte characters: served
/// as `text/html` it was refused as an HTML page, and big-endian it did not parse.
#[tokio::test]
async fn a_feed_in_utf16_with_a_byte_order_mark_is_read() {
    let origin = Origin::start().await;
    let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n<rss version=\"2.0\" xmlns:nasdaq=\"http://nasdaq.com/reference/feeds/1.0\"><channel><title>B\u{f6}rse</title><item><title>Nvidia-Aktie f\u{e4}llt: B\u{f6}rse in Sorge</title><link>https://boerse.example/nvidia-aktie-faellt</link><guid>nvidia-aktie-faellt</guid><pubDate>Tue, 03 Feb 2026 07:32:00 +0100</pubDate><nasdaq:tickers>NVDA,AMD</nasdaq:tickers></item></channel></rss>";
    let le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    for (path, label, body) in [
        ("/le.xml", "application/rss+xml", le.clone()),
        ("/le.php", "text/html", le),
        ("/be.xml", "text/xml; charset=UTF-16", be.clone()),
        ("/be.php", "text/html; charset=UTF-8", be),
    ] {
        origin.set(path, Reply::bytes(label, body));
        let fetched = feed(&origin, path)
            .fetch(&http(2000), evening())
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let items: Vec<(&str, &[String])> = fetched
            .items
            .iter()
            .map(|h| (h.title.as_str(), h.symbols.as_slice()))
            .collect();
        assert_eq!(
            items,
            [(
                "Nvidia-Aktie f\u{e4}llt: B\u{f6}rse in Sorge",
                &["NVDA".to_string(), "AMD".to_string()][..]
            )],
            "{path}"
        );
    }
}

/// An error answer is its status, whatever the size of the page that comes with it: a 429
/// with a page larger than the body limit is rate-limiting (its Retry-After waited out), a
/// 503 a server error — neither "too large". With or without a Content-Length.
#[tokio::test]
async fn an_error_answer_larger_than_the_body_limit_keeps_its_status_and_retry_after() {
    let origin = Origin::start().await;
    let page = format!(
        "<html><body>Too Many Requests{}</body></html>",
        " ".repeat(9 * 1024 * 1024)
    );
    let limited = || Reply::status(429, "text/html", page.clone()).header("Retry-After", "120");
    origin.set("/limited.xml", limited());
    origin.set("/limited-streamed.xml", limited().chunked());
    origin.set(
        "/down.xml",
        Reply::status(503, "text/html", page.clone()).chunked(),
    );
    origin.set("/v8/finance/chart/AMD", limited());
    let h = http(5000);
    for path in ["/limited.xml", "/limited-streamed.xml"] {
        let Err(err) = feed(&origin, path).fetch(&h, evening()).await else {
            panic!("{path}: a 429 is no feed");
        };
        assert_eq!(err.kind(), "rate-limited", "{path}: {err}");
        assert_eq!(err.retry_after(), Some(Duration::from_secs(120)), "{path}");
        assert!(err.to_string().contains("Too Many Requests"), "{err}");
    }
    let Err(err) = feed(&origin, "/down.xml").fetch(&h, evening()).await else {
        panic!("a 503 is no feed");
    };
    assert_eq!(err.kind(), "server-error", "{err}");

    let yahoo = Yahoo::new(
        origin.url("/").parse().unwrap(),
        "30m".parse().unwrap(),
        true,
        false,
    );
    let fetch = yahoo.fetch(&h, &["AMD".to_string()], evening()).await;
    let [(symbol, err)] = &fetch.errors[..] else {
        panic!("{:?}", fetch.errors);
    };
    assert_eq!(symbol, "AMD");
    assert_eq!(err.kind(), "rate-limited", "{err}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
}

#[tokio::test]
async fn yahoo_charts_become_bars_and_rate_limits_are_reported() {
    let origin = Origin::start().await;
    origin.set(
        "/v8/finance/chart/NVDA",
        Reply::ok("application/json;charset=utf-8", payloads::nvda_down()),
    );
    origin.set(
        "/v8/finance/chart/AMD",
        Reply::status(429, "text/plain", "Edge: Too Many Requests").header("Retry-After", "60"),
    );
    origin.set(
        "/v8/finance/chart/MSFT",
        Reply::ok("application/json", "{}"),
    );
    let yahoo = Yahoo::new(
        origin.url("/").parse().unwrap(),
        "30m".parse().unwrap(),
        true,
        false,
    );
    let symbols: Vec<String> = ["NVDA", "AMD", "MSFT"].map(String::from).to_vec();
    let fetch = yahoo.fetch(&http(2000), &symbols, evening()).await;
    assert!(
        fetch
            .bars
            .iter()
            .all(|b| b.symbol == "NVDA" && b.time <= evening())
    );
    assert!(
        fetch
            .bars
            .iter()
            .any(|b| b.interval.is_daily() && b.close == Some(191.79)),
        "previous close"
    );
    assert!(
        fetch
            .bars
            .iter()
            .any(|b| !b.interval.is_daily() && b.close == Some(186.25)),
        "the regular close bar"
    );
    assert_eq!(
        fetch.errors.len(),
        1,
        "MSFT is not asked while rate-limited"
    );
    let (symbol, err) = &fetch.errors[0];
    assert_eq!(symbol, "AMD");
    assert_eq!(err.kind(), "rate-limited");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(60)));
    assert_eq!(origin.hits("/v8/finance/chart/MSFT"), 0);
    let q = origin.requests("/v8/finance/chart/NVDA");
    assert!(
        q[0].get("user-agent")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Chrome/")
    );
}

#[tokio::test]
async fn stooq_quotes_become_daily_bars() {
    let origin = Origin::start().await;
    origin.set("/q/l/", Reply::ok("text/csv", "Symbol,Date,Time,Open,High,Low,Close,Volume\r\nNVDA.US,2026-02-02,22:00:09,188.9,190.1,184.95,186.25,223415900\r\nXYZ.US,N/D,N/D,N/D,N/D,N/D,N/D,N/D\r\n"));
    let stooq = Stooq {
        base_url: origin.url("").parse().unwrap(),
    };
    let symbols: Vec<String> = ["NVDA", "XYZ"].map(String::from).to_vec();
    let fetch = stooq.fetch(&http(2000), &symbols, evening()).await;
    assert_eq!(fetch.bars.len(), 1);
    assert_eq!(fetch.bars[0].close, Some(186.25));
    assert_eq!(fetch.errors.len(), 1);
    assert_eq!(fetch.errors[0].1.kind(), "no-data");
    origin.set(
        "/q/l/",
        Reply::ok(
            "text/html",
            "<html><body>Verifying your browser…</body></html>",
        ),
    );
    let fetch = stooq.fetch(&http(2000), &symbols, evening()).await;
    assert!(fetch.bars.is_empty());
    assert_eq!(fetch.errors[0].1.kind(), "wrong-content");
}

#[tokio::test]
async fn a_missing_symbol_does_not_slow_down_the_others_but_a_dead_source_backs_off() {
    use marketbot::sources::{Source, SourceKind};
    let origin = Origin::start().await;
    origin.set(
        "/v8/finance/chart/NVDA",
        Reply::ok("application/json", payloads::nvda_down()),
    );
    let Polling {
        _dir,
        store,
        ctx,
        mut rx,
    } = polling();
    let source = |symbols: &[&str]| Source {
        name: "yahoo".into(),
        kind: SourceKind::Quotes {
            provider: std::sync::Arc::new(Yahoo::new(
                origin.url("/").parse().unwrap(),
                "30m".parse().unwrap(),
                true,
                false,
            )),
            symbols: symbols.iter().map(|s| s.to_string()).collect(),
        },
    };

    // NVDA answers, the delisted XYZQ does not: every poll still asks both.
    let mixed = source(&["NVDA", "XYZQ"]);
    for _ in 0..3 {
        mixed.poll(&ctx).await;
        assert!(rx.try_recv().is_ok(), "NVDA's bars go on");
    }
    assert_eq!(origin.hits("/v8/finance/chart/NVDA"), 3);
    assert_eq!(origin.hits("/v8/finance/chart/XYZQ"), 3);
    let health = store.source_health("yahoo").unwrap().unwrap();
    assert!(health.next_attempt_after.is_none(), "{health:?}");
    assert!(!health.healthy(), "the failing symbol shows: {health:?}");
    assert!(health.last_error.as_deref().unwrap_or("").contains("XYZQ"));

    // A source where nothing answers backs off after the second failure.
    let dead = source(&["XYZQ"]);
    for _ in 0..3 {
        dead.poll(&ctx).await;
    }
    assert_eq!(
        origin.hits("/v8/finance/chart/XYZQ"),
        5,
        "the third poll waits"
    );
    let health = store.source_health("yahoo").unwrap().unwrap();
    assert!(health.next_attempt_after.is_some(), "{health:?}");
}

#[tokio::test]
async fn yahoo_history_is_asked_again_until_it_arrives_and_never_holds_up_the_day() {
    let origin = Origin::start().await;
    let path = "/v8/finance/chart/NVDA";
    origin.set(path, Reply::status(500, "text/plain", "upstream error"));
    let yahoo = Yahoo::new(
        origin.url("/").parse().unwrap(),
        "30m".parse().unwrap(),
        true,
        true,
    );
    let symbols = vec!["NVDA".to_string()];
    let fetch = yahoo.fetch(&http(2000), &symbols, evening()).await;
    let failed: Vec<&str> = fetch.errors.iter().map(|(what, _)| what.as_str()).collect();
    assert_eq!(
        failed,
        ["NVDA (history)", "NVDA"],
        "the day's chart is still asked"
    );
    assert_eq!(origin.hits(path), 2);

    origin.set(path, Reply::ok("application/json", payloads::nvda_down()));
    let fetch = yahoo.fetch(&http(2000), &symbols, evening()).await;
    assert!(fetch.errors.is_empty(), "{:?}", fetch.errors);
    assert_eq!(origin.hits(path), 4, "the failed history is asked again");
    let fetch = yahoo.fetch(&http(2000), &symbols, evening()).await;
    assert!(fetch.errors.is_empty() && !fetch.bars.is_empty());
    assert_eq!(origin.hits(path), 5, "and then not for a while");
}

#[tokio::test]
async fn yahoo_fetches_many_symbols_twenty_to_a_request() {
    let origin = Origin::start().await;
    let symbols: Vec<String> = (0..45).map(|i| format!("S{i:02}")).collect();
    let bars = payloads::seed_day_bars(100.0, 99.0, 99.0);
    let known: Vec<(&str, f64, &[payloads::ChartBar])> = symbols
        .iter()
        .filter(|s| s.as_str() != "S07")
        .map(|s| (s.as_str(), 100.0, bars.as_slice()))
        .collect();
    origin.set(
        "/v8/finance/spark",
        Reply::ok("application/json", payloads::yahoo_spark(&known)),
    );
    let yahoo = Yahoo::new(
        origin.url("/").parse().unwrap(),
        "30m".parse().unwrap(),
        true,
        false,
    );
    let fetch = yahoo.fetch_many(&http(2000), &symbols, evening()).await;
    let queries = origin.queries("/v8/finance/spark");
    let sizes: Vec<usize> = queries
        .iter()
        .map(|q| {
            let list = q.split('&').next().unwrap().trim_start_matches("symbols=");
            list.split(',').count()
        })
        .collect();
    assert_eq!(sizes, [20, 20, 5], "{queries:?}");
    assert_eq!(
        origin.hits("/v8/finance/chart/S00"),
        0,
        "no chart per symbol"
    );
    let with_bars: std::collections::BTreeSet<&str> =
        fetch.bars.iter().map(|b| b.symbol.as_str()).collect();
    assert_eq!(with_bars.len(), 44);
    assert_eq!(fetch.errors.len(), 1);
    assert_eq!(fetch.errors[0].0, "S07", "{:?}", fetch.errors);

    // A rate limit stops the round: asking again at once only prolongs it.
    origin.set(
        "/v8/finance/spark",
        Reply::status(429, "text/plain", "Too Many Requests"),
    );
    let before = origin.hits("/v8/finance/spark");
    let fetch = yahoo.fetch_many(&http(2000), &symbols, evening()).await;
    assert_eq!(origin.hits("/v8/finance/spark"), before + 1);
    assert!(matches!(
        fetch.errors[0].1,
        FetchError::Status { status: 429, .. }
    ));
}

#[tokio::test]
async fn symbols_on_demand_are_a_source_of_their_own_whose_failures_leave_the_configured_alone() {
    use std::sync::Arc;

    use marketbot::clock::Clock;
    use marketbot::sources::demand::{Demand, DemandLimits, Verdict};
    use marketbot::sources::{PollContext, Source, SourceKind};
    let origin = Origin::start().await;
    let day = payloads::seed_day_bars(250.5, 249.0, 248.8);
    origin.set(
        "/v8/finance/chart/NVDA",
        Reply::ok("application/json", payloads::nvda_down()),
    );
    origin.set(
        "/v8/finance/chart/AAPL",
        Reply::ok(
            "application/json",
            payloads::yahoo_chart("AAPL", 250.0, 249.0, 1_770_066_001, &day),
        ),
    );
    origin.set(
        "/v8/finance/spark",
        Reply::status(429, "text/plain", "Too Many Requests").header("Retry-After", "60"),
    );
    let dir = tempfile::tempdir().unwrap();
    let store = marketbot::store::Store::open(dir.path(), 8 << 20).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let ctx = PollContext {
        http: http(2000),
        store: store.clone(),
        clock: Clock::anchored(evening()),
        pipeline: tx.clone(),
    };
    let provider: Arc<dyn marketbot::sources::QuoteProvider> = Arc::new(Yahoo::new(
        origin.url("/").parse().unwrap(),
        "30m".parse().unwrap(),
        true,
        false,
    ));
    let demand = Arc::new(
        Demand::open(
            ["NVDA".to_string()],
            DemandLimits::default(),
            Arc::clone(&provider),
            http(2000),
            store.clone(),
        )
        .unwrap(),
    );
    // A chat asks for AAPL: checked (its prices go to the pipeline), then quoted.
    let asking = tokio::spawn({
        let demand = Arc::clone(&demand);
        async move { demand.check(7, "AAPL", evening(), &tx).await }
    });
    if let Some(marketbot::sources::Batch::Bars { done, .. }) = rx.recv().await {
        done.unwrap().send(()).unwrap();
    }
    assert_eq!(asking.await.unwrap(), Verdict::Known);
    demand.quoted(7, "AAPL", evening());
    let configured = Source {
        name: "yahoo".into(),
        kind: SourceKind::Quotes {
            provider: Arc::clone(&provider),
            symbols: vec!["NVDA".into()],
        },
    };
    let on_demand = Source {
        name: "yahoo (on demand)".into(),
        kind: SourceKind::OnDemand { provider, demand },
    };
    // Yahoo's spark endpoint rate-limits: the on-demand source backs off, NVDA goes on.
    for _ in 0..2 {
        on_demand.poll(&ctx).await;
        configured.poll(&ctx).await;
        assert!(rx.try_recv().is_ok(), "NVDA's bars go on");
    }
    assert!(origin.queries("/v8/finance/spark")[0].contains("symbols=AAPL"));
    let own = store.source_health("yahoo (on demand)").unwrap().unwrap();
    assert!(
        !own.healthy() && own.next_attempt_after.is_some(),
        "{own:?}"
    );
    let theirs = store.source_health("yahoo").unwrap().unwrap();
    assert!(
        theirs.healthy() && theirs.next_attempt_after.is_none(),
        "{theirs:?}"
    );
}

/// Yahoo answers the NVDA chart with another instrument's chart (`meta.symbol` is AMD): its
/// prices must not become NVDA's bars.
#[tokio::test]
async fn yahoo_chart_of_another_symbol_is_not_taken() {
    let origin = Origin::start().await;
    origin.set("/v8/finance/chart/NVDA", support::amd_evening_chart());
    let yahoo = Yahoo::new(
        origin.url("/").parse().unwrap(),
        "30m".parse().unwrap(),
        true,
        false,
    );
    let fetch = yahoo
        .fetch(&http(2000), &["NVDA".to_string()], evening())
        .await;
    let taken: Vec<(String, Option<f64>)> = fetch
        .bars
        .iter()
        .map(|b| (b.symbol.clone(), b.close))
        .collect();
    assert!(
        fetch.bars.is_empty(),
        "AMD's prices were taken as NVDA's: {taken:?}"
    );
    assert_eq!(fetch.errors.len(), 1, "the mismatch is reported");
}

/// A feed with relative item links (legal in RSS/Atom; resolved against the document URL):
/// the headline must carry the absolute link, not lose it.
#[tokio::test]
async fn relative_item_links_are_resolved_not_dropped() {
    let origin = Origin::start().await;
    let body = r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Wire</title><link>/</link><item><title>Nvidia begins shipping Blackwell Ultra systems</title><link>/news/blackwell-ultra.html</link><guid isPermaLink="false">a1</guid><pubDate>Mon, 02 Feb 2026 21:40:00 +0000</pubDate></item></channel></rss>"#;
    origin.set("/wire.xml", Reply::ok(RSS, body));
    let items = feed(&origin, "/wire.xml")
        .fetch(&http(2000), evening())
        .await
        .unwrap()
        .items;
    assert_eq!(
        items[0].link.as_deref(),
        Some(origin.url("/news/blackwell-ultra.html").as_str()),
        "the relative link is lost"
    );
}

/// An RSS item listing `<comments>` before `<link>` (Yahoo's per-ticker feed orders children
/// alphabetically): the headline's link must be the article, not its comments page.
#[test]
fn the_article_link_is_taken_not_the_comments_link() {
    let body = r#"<rss version="2.0"><channel><title>t</title><item><comments>https://news.example/a.html#comments</comments><guid isPermaLink="false">g1</guid><link>https://news.example/a.html</link><pubDate>Mon, 02 Feb 2026 21:40:00 +0000</pubDate><title>Nvidia begins shipping Blackwell Ultra systems</title></item></channel></rss>"#;
    let items =
        marketbot::sources::feed::parse_items(body.as_bytes(), "f", "http://f/1", &[], evening())
            .unwrap();
    assert_eq!(
        items[0].link.as_deref(),
        Some("https://news.example/a.html")
    );
}

/// Two different stories in one feed that share a guid (a feed bug seen in the wild: the
/// site URL as every item's guid): both must reach the pipeline as distinct items; with one
/// key the pipeline drops the second for good ("seen").
#[test]
fn distinct_items_sharing_a_guid_are_not_one_item() {
    let body = r#"<rss version="2.0"><channel><title>t</title>
      <item><title>Nvidia begins shipping Blackwell Ultra systems</title><link>https://news.example/a.html</link><guid>https://news.example/</guid><pubDate>Mon, 02 Feb 2026 21:40:00 +0000</pubDate></item>
      <item><title>OpenAI tests alternatives to Nvidia chips</title><link>https://news.example/b.html</link><guid>https://news.example/</guid><pubDate>Mon, 02 Feb 2026 21:45:00 +0000</pubDate></item>
    </channel></rss>"#;
    let items =
        marketbot::sources::feed::parse_items(body.as_bytes(), "f", "http://f/1", &[], evening())
            .unwrap();
    assert_eq!(items.len(), 2);
    assert_ne!(
        items[0].id, items[1].id,
        "two stories get one key: the pipeline keeps only the first"
    );
}

/// An evergreen item without a date (and without a guid) stays in a feed: it is news once,
/// not again a month later, when the store would have forgotten an item seen only once (an
/// undated item is dated "now", so it would fire again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undated_item_is_not_news_again_a_month_later() {
    use support::telegram::FakeTelegram;
    use support::{
        RunningBot, ask, bot_config, eventually, seed_evening, serve_quiet_evening, start_chat,
    };
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    serve_quiet_evening(&origin);
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    start_chat(&tg, 42).await;
    let reply = ask(&tg, 42, "/alert NVDA news Blackwell").await;
    assert!(reply.contains("#1"), "{reply}");
    let undated = r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Wire: NVDA</title><item><title>Nvidia begins shipping Blackwell Ultra systems to cloud providers</title><link>https://wire.example/blackwell-ultra</link><description>Product page.</description></item></channel></rss>"#;
    origin.set("/wire.xml", Reply::ok(RSS, undated));
    eventually(Duration::from_secs(15), "the first alert", || {
        tg.alerts_to(42).first().cloned()
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(tg.alerts_to(42).len(), 1, "not every poll");

    // A week on, and a month on: the same unchanged item is still in the feed, and the store
    // (which forgets items after a month) still knows it.
    bot.clock.jump(Duration::from_secs(8 * 24 * 3600));
    tokio::time::sleep(Duration::from_secs(4)).await;
    bot.clock.jump(Duration::from_secs(25 * 24 * 3600));
    tokio::time::sleep(Duration::from_secs(8)).await;
    let alerts = tg.alerts_to(42);
    bot.stop().await;
    assert_eq!(
        alerts.len(),
        1,
        "the same undated item alerted again as fresh news: {:?}",
        alerts.iter().map(|a| a.text.clone()).collect::<Vec<_>>()
    );
}

/// Every poll during a session gives Yahoo's running-day figures a new `regularMarketTime`,
/// so each is a daily bar of its own in the store: once the day is past, only its last is
/// kept (not one "daily bar" per poll for 400 days, loaded into the engine at every start).
#[test]
fn running_day_snapshots_are_not_kept_as_400_days_of_daily_bars() {
    let dir = tempfile::tempdir().unwrap();
    let store = marketbot::store::Store::open(dir.path(), 8 << 20).unwrap();
    let open = 1_770_042_600i64; // 2026-02-02T14:30:00Z
    let mut last_now = evening();
    let mut closes = Vec::new();
    for m in 0..60i64 {
        let t = open + 3600 + m * 60; // a poll a minute from 15:30Z
        let now = DateTime::<Utc>::from_timestamp(t + 5, 0).unwrap();
        let body = payloads::yahoo_chart(
            "NVDA",
            191.79,
            188.0 - m as f64 * 0.01,
            t,
            &payloads::seed_day_bars(188.9, 186.25, 186.4),
        );
        let bars = marketbot::sources::yahoo::parse_chart(
            body.as_bytes(),
            "NVDA",
            "30m".parse().unwrap(),
            now,
        )
        .unwrap();
        let changed = store.changed_bars(&bars).unwrap();
        store
            .commit(&marketbot::store::Step {
                now,
                bars: changed,
                ..Default::default()
            })
            .unwrap();
        last_now = now;
        closes.push(188.0 - m as f64 * 0.01);
    }
    store.prune(last_now + chrono::TimeDelta::days(30)).unwrap();
    let daily_on_feb_2: Vec<marketbot::model::Bar> = store
        .bars_of("NVDA")
        .unwrap()
        .into_iter()
        .filter(|b| b.interval.is_daily() && b.time.date_naive().to_string() == "2026-02-02")
        .collect();
    assert_eq!(
        daily_on_feb_2.len(),
        1,
        "daily bars kept for one trading day, 30 days on: {daily_on_feb_2:?}"
    );
    assert_eq!(
        daily_on_feb_2[0].close,
        closes.last().copied(),
        "the day as it ended"
    );
}

/// A Paris listing (Yahoo says `exchangeTimezoneName: Europe/Paris`): its regular-session bars
/// (09:00–17:30 CET) must be regular, not pre-market or no session.
#[test]
fn a_paris_chart_keeps_its_regular_session() {
    // 2026-02-02 08:00Z (09:00 CET) … 16:00Z (17:00 CET), 30-minute bars.
    let starts = [
        1_770_019_200i64,
        1_770_022_800,
        1_770_033_600,
        1_770_048_000,
    ];
    let ts: Vec<String> = starts.iter().map(|s| s.to_string()).collect();
    let body = format!(
        r#"{{"chart":{{"result":[{{"meta":{{"currency":"EUR","symbol":"MC.PA","exchangeName":"PAR","instrumentType":"EQUITY","regularMarketTime":1770049800,"gmtoffset":3600,"timezone":"CET","exchangeTimezoneName":"Europe/Paris","regularMarketPrice":500.0,"chartPreviousClose":510.0,"previousClose":510.0,"priceHint":2,"dataGranularity":"30m","range":"1d"}},"timestamp":[{}],"indicators":{{"quote":[{{"open":[505,504,503,501],"high":[506,505,504,502],"low":[504,503,502,500],"close":[505,504,503,500],"volume":[1000,1000,1000,1000]}}]}}}}],"error":null}}}}"#,
        ts.join(",")
    );
    let bars = marketbot::sources::yahoo::parse_chart(
        body.as_bytes(),
        "MC.PA",
        "30m".parse().unwrap(),
        "2026-02-02T17:00:00Z".parse().unwrap(),
    )
    .unwrap();
    let sessions: Vec<(String, Option<marketbot::model::Session>)> = bars
        .iter()
        .filter(|b| !b.interval.is_daily())
        .map(|b| (b.time.to_rfc3339(), b.session))
        .collect();
    assert!(
        sessions
            .iter()
            .all(|(_, s)| *s == Some(marketbot::model::Session::Regular)),
        "Paris regular-session bars classified by New York hours: {sessions:?}"
    );
}

#[tokio::test]
async fn finnhub_quotes_become_daily_bars_with_the_key_in_a_header_only() {
    use marketbot::clock::Clock;
    use marketbot::config::ApiKey;
    use marketbot::sources::finnhub::{Finnhub, plan};
    use marketbot::sources::{Batch, PollContext, Source, SourceKind};
    let origin = Origin::start().await;
    origin.set(
        "/api/v1/quote",
        Reply::ok(
            "application/json; charset=utf-8",
            r#"{"c":186.25,"d":-5.54,"dp":-2.8886,"h":190.1,"l":184.95,"o":188.9,"pc":191.79,"t":1770066000}"#,
        ),
    );
    let Polling {
        _dir,
        store,
        ctx,
        mut rx,
    } = polling();
    let key = ApiKey("d5-secret-key".into());
    let finnhub = Finnhub::new(origin.url("/").parse().unwrap(), &key, plan(60)).unwrap();
    let source = Source {
        name: "finnhub".into(),
        kind: SourceKind::Quotes {
            provider: std::sync::Arc::new(finnhub),
            symbols: vec!["NVDA".into(), "AMD".into()],
        },
    };
    source.poll(&ctx).await;
    let Ok(Batch::Bars { bars, .. }) = rx.try_recv() else {
        panic!("no bars");
    };
    // Each symbol's day and previous close.
    assert_eq!(bars.len(), 4);
    assert!(bars.iter().all(|b| b.interval.is_daily()));
    assert!(
        bars.iter()
            .any(|b| b.symbol == "AMD" && b.close == Some(191.79))
    );
    let health = store.source_health("finnhub").unwrap().unwrap();
    assert!(health.healthy(), "{health:?}");
    assert_eq!(
        origin.queries("/api/v1/quote"),
        ["symbol=NVDA", "symbol=AMD"]
    );
    for headers in origin.requests("/api/v1/quote") {
        assert_eq!(headers.get("x-finnhub-token").unwrap(), "d5-secret-key");
    }

    // A wrong key: Finnhub's reason, never the key.
    origin.set(
        "/api/v1/quote",
        Reply::status(401, "application/json", r#"{"error":"Invalid API key"}"#),
    );
    let stale = Clock::anchored(evening() + chrono::Duration::hours(1));
    source
        .poll(&PollContext {
            clock: stale,
            ..ctx.clone()
        })
        .await;
    let health = store.source_health("finnhub").unwrap().unwrap();
    let said = health.last_error.unwrap();
    assert!(
        said.contains("HTTP 401") && said.contains("Invalid API key"),
        "{said}"
    );
    assert!(!said.contains("d5-secret"), "{said}");
}

const FINNHUB_NVDA: &str = r#"{"c":186.25,"d":-5.54,"dp":-2.8886,"h":190.1,"l":184.95,"o":188.9,"pc":191.79,"t":1770066000}"#;

#[tokio::test]
async fn finnhub_a_200_error_object_does_not_make_a_symbol_unknown_for_a_week() {
    use std::sync::Arc;

    use marketbot::config::ApiKey;
    use marketbot::sources::demand::{Demand, DemandLimits, Verdict};
    use marketbot::sources::finnhub::{Finnhub, plan};
    let origin = Origin::start().await;
    // Finnhub sometimes refuses with a 200 and an error object.
    origin.set(
        "/api/v1/quote",
        Reply::ok(
            "application/json",
            r#"{"error":"API limit reached. Please try again later. Remaining Limit: 0"}"#,
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let store = marketbot::store::Store::open(dir.path(), 8 << 20).unwrap();
    let key = ApiKey("d5-key".into());
    let provider: Arc<dyn QuoteProvider> =
        Arc::new(Finnhub::new(origin.url("/").parse().unwrap(), &key, plan(60)).unwrap());
    let demand = Demand::open(
        ["NVDA".to_string()],
        DemandLimits::default(),
        provider,
        http(2000),
        store,
    )
    .unwrap();
    let (tx, _rx) = tokio::sync::mpsc::channel(16);
    let verdict = demand.check(7, "AMD", evening(), &tx).await;
    assert_ne!(
        verdict,
        Verdict::Unknown,
        "AMD recorded as unknown to the provider (for a week) because the limit was reached"
    );
}

#[tokio::test]
async fn finnhub_polls_throttled_by_a_shared_plan_do_not_back_off() {
    use marketbot::clock::Clock;
    use marketbot::config::ApiKey;
    use marketbot::sources::finnhub::{Finnhub, plan};
    use marketbot::sources::{PollContext, Source, SourceKind};
    let origin = Origin::start().await;
    origin.set("/api/v1/quote", Reply::ok("application/json", FINNHUB_NVDA));
    let polled = polling();
    // Another source with the same key (or the on-demand source) has spent the minute.
    let shared = plan(1);
    assert!(shared.check().is_ok());
    let key = ApiKey("d5-key".into());
    let finnhub = Finnhub::new(origin.url("/").parse().unwrap(), &key, shared)
        .unwrap()
        .waiting_at_most(Duration::from_millis(50));
    let source = Source {
        name: "finnhub-b".into(),
        kind: SourceKind::Quotes {
            provider: std::sync::Arc::new(finnhub),
            symbols: vec!["AMD".into()],
        },
    };
    for minute in 0..3 {
        source
            .poll(&PollContext {
                clock: Clock::anchored(evening() + chrono::Duration::minutes(minute)),
                ..polled.ctx.clone()
            })
            .await;
    }
    let health = polled.store.source_health("finnhub-b").unwrap().unwrap();
    assert_eq!(
        health.errors_by_kind.get("throttled"),
        Some(&3),
        "{health:?}"
    );
    // "Not asked" is no failure of Finnhub's: the next poll should ask (the docs: the symbols
    // it did not reach come first in the next poll), not be skipped by a growing backoff.
    assert_eq!(health.next_attempt_after, None, "{health:?}");
}

#[tokio::test]
async fn finnhub_key_is_not_forwarded_to_another_host_on_a_redirect() {
    use marketbot::config::ApiKey;
    use marketbot::sources::finnhub::{Finnhub, plan};
    let finnhub = Origin::start().await;
    let elsewhere = Origin::start().await;
    elsewhere.set("/q", Reply::ok("application/json", FINNHUB_NVDA));
    let target = elsewhere.url("/q").replace("127.0.0.1", "localhost");
    finnhub.set(
        "/api/v1/quote",
        Reply::status(302, "text/plain", "").header("Location", &target),
    );
    let key = ApiKey("d5-redirected-key".into());
    let f = Finnhub::new(finnhub.url("/").parse().unwrap(), &key, plan(60)).unwrap();
    // Not followed: the redirect is reported, and the key stays where it was sent.
    let err = f
        .validate(&http(2000), "NVDA", evening())
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("HTTP 302"), "{err}");
    assert_eq!(elsewhere.hits("/q"), 0);
    // Feeds still follow redirects (a feed moved to another host).
    let feed_redirect = http(2000)
        .get(
            &finnhub.url("/api/v1/quote").parse().unwrap(),
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(feed_redirect.status, 200);
    assert_eq!(elsewhere.hits("/q"), 1);
}

#[tokio::test]
async fn finnhub_a_poll_waiting_for_its_turn_fits_the_schedulers_time_budget() {
    use std::sync::Arc;

    use marketbot::config::ApiKey;
    use marketbot::sources::finnhub::Finnhub;
    let origin = Origin::start().await;
    origin.set("/api/v1/quote", Reply::ok("application/json", FINNHUB_NVDA));
    // `http.timeout = "1s"`: the scheduler gives up on a poll after its time budget.
    let http_timeout = Duration::from_secs(1);
    let key = ApiKey("d5-key".into());
    // A plan whose next request is 10 s away (spent by another source with the key): within
    // the 15 s a poll waits.
    let shared = Arc::new(governor::RateLimiter::direct(
        governor::Quota::with_period(Duration::from_secs(10)).unwrap(),
    ));
    assert!(shared.check().is_ok());
    let f =
        std::sync::Arc::new(Finnhub::new(origin.url("/").parse().unwrap(), &key, shared).unwrap());
    let symbols = vec!["AMD".to_string()];
    let source = marketbot::sources::Source {
        name: "finnhub".into(),
        kind: marketbot::sources::SourceKind::Quotes {
            provider: f.clone(),
            symbols: symbols.clone(),
        },
    };
    let budget = source.time_budget(http_timeout);
    let poll = tokio::time::timeout(
        budget,
        f.fetch(&http(http_timeout.as_millis() as u64), &symbols, evening()),
    )
    .await;
    assert!(
        poll.is_ok(),
        "the poll ran past its budget of {budget:?} and would be abandoned: its bars lost, its \
         health unrecorded, its place in the rotation not kept"
    );
}

/// One item of Finnhub's company news about `related`.
fn finnhub_article(id: u64, datetime: i64, headline: &str, source: &str, related: &str) -> String {
    serde_json::json!({
        "category": "company",
        "datetime": datetime,
        "headline": headline,
        "id": id,
        "image": "",
        "related": related,
        "source": source,
        "summary": "",
        "url": format!("https://finnhub.io/api/news?id={id:x}"),
    })
    .to_string()
}

/// Finnhub's answer: its items, newest first, as a bare array.
fn finnhub_answer(items: &[String]) -> Reply {
    Reply::ok(
        "application/json; charset=utf-8",
        format!("[{}]", items.join(",")),
    )
}

#[tokio::test]
async fn finnhub_company_news_is_handed_on_once_it_is_new_and_once_for_every_symbol() {
    use marketbot::sources::Batch;
    let origin = Origin::start().await;
    let both = |related| {
        finnhub_article(
            140_220_031,
            1_770_068_820,
            "OpenAI is unsatisfied with some Nvidia chips and looking for alternatives, sources say",
            "Reuters",
            related,
        )
    };
    let nvda_only = finnhub_article(
        140_219_877,
        1_770_063_000,
        "Nvidia stock dips as Huang plays down OpenAI tensions",
        "MarketWatch",
        "NVDA",
    );
    let amd_only = finnhub_article(
        140_219_500,
        1_770_055_500,
        "AMD shares edge higher ahead of earnings",
        "https://www.thestar.com.my",
        "AMD",
    );
    let answers = |nvda: Vec<String>| {
        vec![
            finnhub_answer(&nvda),
            finnhub_answer(&[both("AMD"), amd_only.clone()]),
        ]
    };
    let path = "/api/v1/company-news";
    origin.script(path, answers(vec![both("NVDA"), nvda_only.clone()]));
    let Polling {
        _dir,
        store,
        ctx,
        mut rx,
    } = polling();
    let source = company_news(&origin, "finnhub-news", &["NVDA", "AMD"]);
    let mut poll = async || {
        source.poll(&ctx).await;
        match rx.try_recv() {
            Ok(Batch::Headlines { items, stored, .. }) => (items, stored),
            Ok(other) => panic!("{other:?}"),
            Err(_) => (Vec::new(), None),
        }
    };

    // Three articles: the one asked for under both symbols is an item under each (the engine
    // folds the second into the story of the first and judges it for its symbol).
    let (items, stored) = poll().await;
    let about: Vec<(&str, Vec<String>)> = items
        .iter()
        .map(|h| (h.source.as_str(), h.symbols.clone()))
        .collect();
    assert_eq!(
        about,
        [
            ("Reuters", vec!["NVDA".to_string()]),
            ("MarketWatch", vec!["NVDA".to_string()]),
            ("Reuters", vec!["AMD".to_string()]),
            ("thestar.com.my", vec!["AMD".to_string()]),
        ]
    );
    assert_ne!(items[0].id, items[2].id, "an item under each symbol");
    assert_eq!(
        origin.queries(path),
        [
            "symbol=NVDA&from=2026-02-01&to=2026-02-02",
            "symbol=AMD&from=2026-02-01&to=2026-02-02"
        ]
    );
    for headers in origin.requests(path) {
        assert_eq!(headers.get("x-finnhub-token").unwrap(), "finnhub-news-key");
    }

    // Not stored (the store refused the batch): the next poll brings them again.
    drop(stored);
    origin.script(path, answers(vec![both("NVDA"), nvda_only.clone()]));
    let (again, stored) = poll().await;
    assert_eq!(again.len(), 4);
    stored.expect("told when stored").send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    // Stored: only what is new comes, and a poll with nothing new sends nothing.
    let newer = finnhub_article(
        140_221_002,
        1_770_069_000,
        "Nvidia CEO says company will invest in OpenAI's next round",
        "Bloomberg",
        "NVDA",
    );
    let latest = vec![newer, both("NVDA"), nvda_only.clone()];
    origin.script(path, answers(latest.clone()));
    let (new, stored) = poll().await;
    let titles: Vec<&str> = new.iter().map(|h| h.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Nvidia CEO says company will invest in OpenAI's next round"]
    );
    stored.unwrap().send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    origin.script(path, answers(latest.clone()));
    let (none, _) = poll().await;
    assert!(none.is_empty(), "{none:?}");

    // An article handed on under NVDA now comes under AMD too: an item of its own, about AMD
    // alone (the engine folds it into the story it knows and judges it for AMD).
    let under_amd = finnhub_article(
        140_219_877,
        1_770_063_000,
        "Nvidia stock dips as Huang plays down OpenAI tensions",
        "MarketWatch",
        "AMD",
    );
    let moved_article = under_amd.clone();
    origin.script(
        path,
        vec![
            finnhub_answer(&latest),
            finnhub_answer(&[both("AMD"), amd_only.clone(), under_amd]),
        ],
    );
    let (moved, stored) = poll().await;
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_eq!(moved[0].symbols, ["AMD"]);
    let first = items.iter().find(|h| h.source == "MarketWatch").unwrap();
    assert_ne!(moved[0].id, first.id, "not taken for the item already seen");
    let (moved_id, first_id) = (moved[0].id.clone(), first.id.clone());
    stored.unwrap().send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let health = store.source_health("finnhub-news").unwrap().unwrap();
    assert!(health.healthy(), "{health:?}");
    assert_eq!(health.kind, "feed");

    // The plan spent at Finnhub: reported as rate-limited, and AMD not asked in that poll.
    let asked = origin.hits(path);
    origin.set(
        path,
        Reply::status(
            429,
            "application/json",
            r#"{"error":"API limit reached. Please try again later. Remaining Limit: 0"}"#,
        ),
    );
    let (nothing, _) = poll().await;
    assert!(nothing.is_empty());
    assert_eq!(origin.hits(path), asked + 1);
    let health = store.source_health("finnhub-news").unwrap().unwrap();
    assert_eq!(
        health.errors_by_kind.get("rate-limited"),
        Some(&1),
        "{health:?}"
    );
    assert!(!health.last_error.unwrap().contains("finnhub-news-key"));
    // After a restart both symbols bring it at once: the keys it had before, not news.
    let restarted = company_news(&origin, "finnhub-news", &["NVDA", "AMD"]);
    origin.script(
        path,
        vec![
            finnhub_answer(&latest),
            finnhub_answer(&[both("AMD"), amd_only.clone(), moved_article.clone()]),
        ],
    );
    restarted.poll(&ctx).await;
    let Ok(Batch::Headlines { items: again, .. }) = rx.try_recv() else {
        panic!("the restarted source hands its items on");
    };
    let again: Vec<(&str, &[String])> = again
        .iter()
        .filter(|h| h.source == "MarketWatch")
        .map(|h| (h.id.as_str(), &h.symbols[..]))
        .collect();
    assert_eq!(
        again,
        [
            (first_id.as_str(), &["NVDA".to_string()][..]),
            (moved_id.as_str(), &["AMD".to_string()][..])
        ]
    );
}

/// Which symbols a poll brings an article under changes from poll to poll (each symbol's
/// window moves on its own, a symbol's list drops it): after a restart, an article handed on
/// under AMD and NVDA that comes under NVDA alone, or under both again, is no news — the
/// pipeline knows every key it comes with. Under a symbol it never came under it is handed on
/// for that symbol.
#[tokio::test]
async fn finnhub_company_news_is_no_news_after_a_restart_under_fewer_symbols() {
    use marketbot::sources::Batch;
    let origin = Origin::start().await;
    let article = |related| {
        finnhub_article(
            140_220_031,
            1_770_068_820,
            "OpenAI is unsatisfied with some Nvidia chips and looking for alternatives, sources say",
            "Reuters",
            related,
        )
    };
    let path = "/api/v1/company-news";
    let Polling {
        _dir, ctx, mut rx, ..
    } = polling();
    let mut poll = async |symbols: &[&str], answers: Vec<Reply>| {
        origin.script(path, answers);
        company_news(&origin, "finnhub-news", symbols)
            .poll(&ctx)
            .await;
        match rx.try_recv() {
            Ok(Batch::Headlines { items, .. }) => items,
            Ok(other) => panic!("{other:?}"),
            Err(_) => Vec::new(),
        }
    };
    let first = poll(
        &["AMD", "NVDA"],
        vec![
            finnhub_answer(&[article("AMD")]),
            finnhub_answer(&[article("NVDA")]),
        ],
    )
    .await;
    let mut about: Vec<String> = first.iter().flat_map(|h| h.symbols.clone()).collect();
    about.sort();
    assert_eq!(about, ["AMD", "NVDA"], "{first:?}");
    let known: Vec<&str> = first.iter().map(|h| h.id.as_str()).collect();

    // Restarted: AMD's answer no longer lists it; then both list it again.
    for answers in [
        vec![finnhub_answer(&[]), finnhub_answer(&[article("NVDA")])],
        vec![
            finnhub_answer(&[article("AMD")]),
            finnhub_answer(&[article("NVDA")]),
        ],
    ] {
        let again = poll(&["AMD", "NVDA"], answers).await;
        assert!(!again.is_empty(), "the restarted source hands its items on");
        for h in &again {
            assert!(known.contains(&h.id.as_str()), "taken for news: {h:?}");
        }
    }

    // Under a symbol it never came under: handed on, about that symbol.
    let intc = poll(&["INTC"], vec![finnhub_answer(&[article("INTC")])]).await;
    let [h] = &intc[..] else {
        panic!("{intc:?}");
    };
    assert_eq!(h.symbols, ["INTC"]);
    assert!(!known.contains(&h.id.as_str()), "{h:?}");
}

/// A poll of Finnhub's company news for `symbols` with a key of its own, as source `name`.
fn company_news(origin: &Origin, name: &str, symbols: &[&str]) -> marketbot::sources::Source {
    use marketbot::config::ApiKey;
    use marketbot::sources::finnhub::news::CompanyNews;
    use marketbot::sources::finnhub::{Access, plan};
    use marketbot::sources::{Source, SourceKind};
    let key = ApiKey(format!("{name}-key"));
    let access = Access::new(origin.url("/").parse().unwrap(), &key, plan(600)).unwrap();
    Source {
        name: name.into(),
        kind: SourceKind::CompanyNews(Box::new(CompanyNews::new(
            access,
            name.into(),
            symbols.iter().map(|s| s.to_string()).collect(),
        ))),
    }
}

/// Polls `source` and answers that the items it handed on were stored.
async fn poll_and_store(source: &marketbot::sources::Source, polling: &mut Polling) {
    source.poll(&polling.ctx).await;
    if let Ok(marketbot::sources::Batch::Headlines {
        stored: Some(stored),
        ..
    }) = polling.rx.try_recv()
    {
        stored.send(()).unwrap();
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
}

#[tokio::test]
async fn finnhub_company_news_is_asked_for_on_every_tick_while_one_symbol_is_refused() {
    let origin = Origin::start().await;
    let path = "/api/v1/company-news";
    // NVDA answers (the same article every time); SAP.DE is not in the plan.
    let nvda = || {
        finnhub_answer(&[finnhub_article(
            140_219_877,
            1_770_063_000,
            "Nvidia stock dips as Huang plays down OpenAI tensions",
            "MarketWatch",
            "NVDA",
        )])
    };
    let refused = || {
        Reply::status(
            403,
            "application/json",
            r#"{"error":"You don't have access to this resource."}"#,
        )
    };
    origin.script(path, (0..5).flat_map(|_| [nvda(), refused()]).collect());
    let mut polling = polling();
    let source = company_news(&origin, "news", &["NVDA", "SAP.DE"]);
    for _ in 0..4 {
        poll_and_store(&source, &mut polling).await;
    }
    // Quiet polls where NVDA answered are no reason to put NVDA's news off.
    assert_eq!(origin.hits(path), 8, "every tick asks for every symbol");
    let health = polling.store.source_health("news").unwrap().unwrap();
    assert_eq!(health.consecutive_failures, 0, "{health:?}");
    assert_eq!(health.next_attempt_after, None, "{health:?}");
    assert!(health.last_error.unwrap().contains("SAP.DE"));
}
