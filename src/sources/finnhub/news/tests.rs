use super::*;

/// The seed evening, after every item below was published.
fn now() -> DateTime<Utc> {
    "2026-02-02T22:00:00Z".parse().unwrap()
}

/// Two items of one answer, newest first, the way the endpoint lists them: a publisher named
/// by name and one by its site's address, a finnhub.io redirect and an empty summary.
const ANSWER: &str = r#"[
 {"category":"company","datetime":1770068820,"headline":"OpenAI is unsatisfied with some Nvidia chips and looking for alternatives, sources say","id":140220031,"image":"","related":"NVDA","source":"Reuters","summary":"OpenAI is unsatisfied with some of Nvidia&#39;s latest chips for <b>inference</b> and has sought alternatives since last year.","url":"https://finnhub.io/api/news?id=7c2e91d0a4"},
 {"category":"company","datetime":1770055500,"headline":"Chip stocks slip as investors weigh AI spending","id":140219877,"image":"https://img.example/x.jpg","related":"NVDA","source":"https://www.thestar.com.my","summary":"","url":"https://finnhub.io/api/news?id=19ab33fe07"}
]"#;

#[test]
fn an_answer_becomes_headlines_about_the_symbol_asked() {
    let items = parse_news(ANSWER.as_bytes(), "NVDA", "finnhub-news", now()).unwrap();
    assert_eq!(items.len(), 2);
    let h = &items[0];
    assert_eq!(
        h.title,
        "OpenAI is unsatisfied with some Nvidia chips and looking for alternatives, sources say"
    );
    assert_eq!(h.published.to_rfc3339(), "2026-02-02T21:47:00+00:00");
    assert_eq!(h.source, "Reuters");
    assert_eq!(
        h.link.as_deref(),
        Some("https://finnhub.io/api/news?id=7c2e91d0a4")
    );
    assert_eq!(
        h.summary.as_deref(),
        Some(
            "OpenAI is unsatisfied with some of Nvidia's latest chips for inference and has \
             sought alternatives since last year."
        )
    );
    assert_eq!(h.symbols, ["NVDA"]);
    assert_eq!(
        h.lang, None,
        "detected later, as for a feed that does not say"
    );
    let site = &items[1];
    assert_eq!(site.source, "thestar.com.my");
    assert_eq!(site.summary, None);
    assert_ne!(h.id, site.id);
}

#[test]
fn an_article_has_one_key_whichever_symbol_brought_it() {
    let nvda = parse_news(ANSWER.as_bytes(), "NVDA", "a", now()).unwrap();
    let amd = parse_news(ANSWER.as_bytes(), "AMD", "b", now()).unwrap();
    assert_eq!(nvda[0].id, amd[0].id);
    // Keyed by Finnhub's id: a corrected headline is the same item.
    let corrected = ANSWER.replace("sources say", "sources said");
    let again = parse_news(corrected.as_bytes(), "NVDA", "a", now()).unwrap();
    assert_eq!(again[0].id, nvda[0].id);
}

#[test]
fn items_without_an_id_are_keyed_by_link_and_title() {
    let body = r#"[{"headline":"A","url":"https://x.example/a"},{"headline":"B","url":"https://x.example/b","id":""}]"#;
    let a = parse_news(body.as_bytes(), "NVDA", "news", now()).unwrap();
    let b = parse_news(body.as_bytes(), "NVDA", "news", now()).unwrap();
    assert_eq!(a[0].id, b[0].id);
    assert_ne!(a[0].id, a[1].id);
    assert_eq!(a[0].source, "news", "no publisher: the source's name");
    assert_eq!(a[0].published, now(), "no date: fetch time");
}

#[test]
fn refusals_are_errors_that_say_what_finnhub_said() {
    let limit = r#"{"error":"API limit reached. Please try again later. Remaining Limit: 0"}"#;
    let err = parse_news(limit.as_bytes(), "NVDA", "n", now()).unwrap_err();
    assert_eq!(err.kind(), "rate-limited");
    let access = r#"{"error":"You don't have access to this resource."}"#;
    let err = parse_news(access.as_bytes(), "NVDA", "n", now()).unwrap_err();
    assert_eq!(err.kind(), "wrong-content");
    assert!(err.to_string().contains("access"), "{err}");
}

#[test]
fn malformed_and_hostile_answers_are_errors_or_skipped_items_not_panics() {
    for body in ["", "{", "null", "42", r#"{"data":[]}"#, "<html>"] {
        assert!(
            parse_news(body.as_bytes(), "NVDA", "n", now()).is_err(),
            "{body}"
        );
    }
    // Items of the wrong shape are left out; fields of the wrong type count as missing.
    let body = r#"[1, "x", null, {}, {"headline":""}, {"headline":"   "},
        {"headline":"Kept","datetime":"yesterday","id":{"a":1},"url":"javascript:alert(1)","source":7,"summary":["s"]},
        {"headline":"Ahead","datetime":99999999999,"id":5},
        {"headline":"Negative","datetime":-5,"id":6}]"#;
    let items = parse_news(body.as_bytes(), "NVDA", "n", now()).unwrap();
    let titles: Vec<&str> = items.iter().map(|h| h.title.as_str()).collect();
    assert_eq!(titles, ["Kept", "Ahead", "Negative"]);
    assert_eq!(items[0].link, None, "only http(s) links");
    assert_eq!(items[0].source, "n");
    assert!(items.iter().all(|h| h.published <= now()));
    // Huge: titles, summaries and publishers are cut, items capped.
    let long = "x".repeat(10_000);
    let many: Vec<String> = (0..1000)
        .map(|i| {
            format!(r#"{{"headline":"{long}","summary":"{long}","source":"{long}","id":{i}}}"#)
        })
        .collect();
    let body = format!("[{}]", many.join(","));
    let items = parse_news(body.as_bytes(), "NVDA", "n", now()).unwrap();
    assert_eq!(items.len(), MAX_ITEMS);
    assert!(items[0].title.chars().count() <= MAX_TITLE + 1);
    assert!(items[0].summary.as_ref().unwrap().chars().count() <= MAX_SUMMARY + 1);
    assert_eq!(items[0].source.chars().count(), MAX_PUBLISHER);
}

#[test]
fn a_poll_asks_for_yesterday_and_today_in_utc() {
    let access = Access::new(
        "http://127.0.0.1:9/".parse().unwrap(),
        &crate::config::ApiKey("k".into()),
        super::super::plan(60),
    )
    .unwrap();
    let news = CompanyNews::new(access, "n".into(), vec!["NVDA".into()]);
    let url = news.url("NVDA", "2026-03-01T00:30:00Z".parse().unwrap());
    assert_eq!(
        url.as_str(),
        "http://127.0.0.1:9/api/v1/company-news?symbol=NVDA&from=2026-02-28&to=2026-03-01"
    );
    // A share class as Finnhub writes it.
    for symbol in ["BRK-B", "BRK.B"] {
        let url = news.url(symbol, "2026-03-01T00:30:00Z".parse().unwrap());
        assert!(url.as_str().contains("symbol=BRK.B&"), "{url}");
    }
}

#[test]
fn a_headline_blank_once_its_entities_are_decoded_is_left_out() {
    let body = r#"[{"headline":"&nbsp;","id":1},{"headline":" &#32; ","id":2},
        {"headline":"  Nvidia &amp; OpenAI&nbsp;","id":3}]"#;
    let items = parse_news(body.as_bytes(), "NVDA", "n", now()).unwrap();
    let titles: Vec<&str> = items.iter().map(|h| h.title.as_str()).collect();
    assert_eq!(titles, ["Nvidia & OpenAI"]);
}
