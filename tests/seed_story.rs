//! The seed story end to end: the real bot against a fake Telegram Bot API, a fake Yahoo and
//! fake feeds on loopback.

use crate::support;

use std::time::Duration;

use support::origin::{Origin, Reply};
use support::payloads::{self, Item, SEED_LINK, SEED_TITLE, rss, seed_item};
use support::telegram::{FakeTelegram, TOKEN};

use support::{RunningBot, bot_config, eventually, seed_evening, start_chat, strip_tags};

use support::RSS;
const CHAT: i64 = 42;
const SEED_RULE: &str = "nvda-customer-seeks-alternatives";

fn near_misses() -> Vec<Item> {
    vec![
        Item::new(
            "Nvidia denies report that OpenAI is seeking other chip suppliers",
            "https://finance.example/news/nvidia-denies",
            "2026-02-02T21:20:00Z",
        ),
        Item::new(
            "OpenAI signs new multi-year deal with Nvidia for inference capacity",
            "https://finance.example/news/openai-deal",
            "2026-02-02T21:25:00Z",
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_is_sent_once_when_the_story_meets_the_drop_and_failing_sources_do_not_matter() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    origin.set(
        "/v8/finance/chart/NVDA",
        Reply::ok("application/json", payloads::nvda_down()),
    );
    origin.set(
        "/v8/finance/chart/AMD",
        Reply::status(429, "text/plain", "Too Many Requests"),
    );
    origin.set(
        "/wire.xml",
        Reply::ok(RSS, rss("Wire: NVDA", &near_misses())),
    );
    origin.set(
        "/aggregator.xml",
        Reply::ok(
            RSS,
            rss(
                "Aggregator",
                &[Item::new(
                    "Fed holds rates steady",
                    "https://agg.example/fed",
                    "2026-02-02T19:00:00Z",
                )],
            ),
        ),
    );
    origin.set(
        "/broken.xml",
        Reply::status(500, "text/plain", "Internal Server Error"),
    );
    origin.set("/walled.xml", Reply::ok("text/html", "<!DOCTYPE html><html><body>Before you continue to our site, accept cookies</body></html>"));

    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    start_chat(&tg, CHAT).await;
    assert!(tg.commands_registered(), "the command menu is registered");

    // Denials and deal stories while NVDA is down: nothing.
    eventually(
        Duration::from_secs(10),
        "quotes and the wire fetched",
        || {
            (origin.hits("/v8/finance/chart/NVDA") >= 1 && origin.hits("/wire.xml") >= 3)
                .then_some(())
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        tg.alerts_to(CHAT).is_empty(),
        "near misses must not alert: {:?}",
        tg.alerts_to(CHAT)
    );

    // The Reuters story appears on the wire.
    let mut wire = near_misses();
    wire.push(seed_item());
    origin.set("/wire.xml", Reply::ok(RSS, rss("Wire: NVDA", &wire)));
    let alert = eventually(Duration::from_secs(10), "the alert", || {
        tg.alerts_to(CHAT).first().cloned()
    })
    .await;
    let text = strip_tags(&alert.text);
    // After hours NVDA trades at 186.40: −2.81 % against Friday's close of 191.79.
    assert!(text.contains("NVDA −2.81 %"), "{text}");
    assert!(
        text.contains("vs previous close (2026-01-30) 191.79"),
        "{text}"
    );
    assert!(
        text.contains("Major NVIDIA customer looks for alternatives, and NVDA falls"),
        "{text}"
    );
    assert!(text.contains(SEED_RULE), "{text}");
    assert!(text.contains(SEED_TITLE), "{text}");
    assert!(
        alert.text.contains(&format!("<a href=\"{SEED_LINK}\">")),
        "{}",
        alert.text
    );

    // The same story again: from the aggregator with a publisher suffix, on the wire as an update.
    let mut copy = Item::new(
        &format!("{SEED_TITLE} - Reuters"),
        "https://agg.example/r/openai-nvidia",
        "2026-02-02T21:52:00Z",
    );
    copy.guid = Some("agg-7781".into());
    origin.set(
        "/aggregator.xml",
        Reply::ok(RSS, rss("Aggregator", &[copy])),
    );
    let mut update = Item::new(
        &format!("UPDATE 1-{SEED_TITLE}"),
        "https://finance.example/news/update-1-openai",
        "2026-02-02T22:05:00Z",
    );
    update.guid = Some("wire-update-1".into());
    wire.push(update);
    origin.set("/wire.xml", Reply::ok(RSS, rss("Wire: NVDA", &wire)));
    let (agg, wire_hits) = (origin.hits("/aggregator.xml"), origin.hits("/wire.xml"));
    eventually(Duration::from_secs(10), "both feeds fetched again", || {
        (origin.hits("/aggregator.xml") >= agg + 3 && origin.hits("/wire.xml") >= wire_hits + 3)
            .then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        tg.alerts_to(CHAT).len(),
        1,
        "no second alert for the same story"
    );

    // The failures were counted and are visible to the user.
    tg.user_sends(CHAT, "/status");
    let status = eventually(Duration::from_secs(10), "the /status reply", || {
        tg.sent_to(CHAT)
            .into_iter()
            .find(|m| m.text.contains("<b>Sources</b>"))
    })
    .await;
    let status = strip_tags(&status.text);
    assert!(
        status.contains("broken (feed)") && status.contains("server-error"),
        "{status}"
    );
    assert!(
        status.contains("walled (feed)") && status.contains("wrong-content"),
        "{status}"
    );
    assert!(
        status.contains("yahoo (quotes)") && status.contains("rate-limited"),
        "{status}"
    );
    assert!(!status.contains(TOKEN));
    bot.stop().await;

    // What was stored: the failures counted, the copies folded into the one alert.
    let store = marketbot::store::Store::open(&dir.path().join("data"), 8 << 20).unwrap();
    for (name, kind) in [
        ("broken", "server-error"),
        ("walled", "wrong-content"),
        ("yahoo", "rate-limited"),
    ] {
        let h = store.source_health(name).unwrap().unwrap();
        assert!(
            h.failures >= 1 && h.errors_by_kind.get(kind).copied().unwrap_or(0) >= 1,
            "{name}: {h:?}"
        );
    }
    assert!(store.source_health("wire").unwrap().unwrap().failures == 0);
    let alerts = store
        .alerts_since("2026-01-01T00:00:00Z".parse().unwrap())
        .unwrap();
    assert_eq!(alerts.len(), 1);
    let sources: Vec<&str> = alerts[0].also.iter().map(|h| h.source.as_str()).collect();
    assert_eq!(sources.len(), 2, "two later copies: {sources:?}");
    assert_eq!(store.outbox_len().unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_right_headline_while_nvda_rises_sends_nothing() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    origin.set(
        "/v8/finance/chart/NVDA",
        Reply::ok("application/json", payloads::nvda_up()),
    );
    origin.set("/v8/finance/chart/AMD", Reply::status(404, "application/json", r#"{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}"#));
    origin.set(
        "/wire.xml",
        Reply::ok(RSS, rss("Wire: NVDA", &[seed_item()])),
    );
    origin.set("/aggregator.xml", Reply::ok(RSS, rss("Aggregator", &[])));
    origin.set("/broken.xml", Reply::ok(RSS, rss("Other", &[])));
    origin.set("/walled.xml", Reply::ok(RSS, rss("Other", &[])));
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    start_chat(&tg, CHAT).await;
    eventually(
        Duration::from_secs(10),
        "quotes and the wire fetched",
        || {
            (origin.hits("/v8/finance/chart/NVDA") >= 2 && origin.hits("/wire.xml") >= 3)
                .then_some(())
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(tg.alerts_to(CHAT).is_empty());
    bot.stop().await;
}

/// The story as Finnhub's company news brings it: the publisher it names, its redirect link.
/// Asked for under AMD and NVDA, it comes under both: one alert, never edited to say the
/// article "also" reported it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_story_from_finnhubs_company_news_alerts_once_with_finnhubs_link() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    origin.set(
        "/v8/finance/chart/NVDA",
        Reply::ok("application/json", payloads::nvda_down()),
    );
    origin.set("/v8/finance/chart/AMD", support::amd_evening_chart());
    let link = "https://finnhub.io/api/news?id=5d1c0f0e8f3a";
    let article = serde_json::json!({
        "category": "company",
        "datetime": 1_770_068_820, // 21:47 UTC
        "headline": SEED_TITLE,
        "id": 140_220_031,
        "image": "",
        "related": "NVDA",
        "source": "Reuters",
        "summary": "OpenAI is unsatisfied with some of Nvidia's latest chips for inference and has sought alternatives since last year, sources said.",
        "url": link,
    });
    let denial = serde_json::json!({
        "category": "company",
        "datetime": 1_770_067_200,
        "headline": "Nvidia denies report that OpenAI is seeking other chip suppliers",
        "id": 140_219_990,
        "related": "NVDA",
        "source": "MarketWatch",
        "url": "https://finnhub.io/api/news?id=9a0b",
    });
    // Only the denial at first: the story comes once the chat follows the rules.
    origin.set(
        "/api/v1/company-news",
        Reply::ok("application/json", format!("[{denial}]")),
    );
    let text = support::bot_config_text(
        &tg,
        &origin,
        "chat_interval = \"20ms\"\ncommands_per_minute = 600\n",
    ) + &format!(
        "[[feeds]]\nname = \"finnhub-news\"\nprovider = \"finnhub\"\nbase_url = \"{}\"\n\
         api_key = \"d5-news-key\"\nsymbols = [\"AMD\", \"NVDA\"]\nschedule = \"* * * * * *\"\n",
        origin.url("")
    );
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(support::config(dir.path(), &text), seed_evening());
    start_chat(&tg, CHAT).await;
    let polled = origin.hits("/api/v1/company-news");
    eventually(Duration::from_secs(10), "the news polled", || {
        (origin.hits("/api/v1/company-news") > polled).then_some(())
    })
    .await;
    origin.set(
        "/api/v1/company-news",
        Reply::ok("application/json", format!("[{article},{denial}]")),
    );
    let alert = eventually(Duration::from_secs(10), "the alert", || {
        tg.alerts_to(CHAT).first().cloned()
    })
    .await;
    let text = strip_tags(&alert.text);
    assert!(
        text.contains(SEED_RULE) && text.contains(SEED_TITLE),
        "{text}"
    );
    assert!(text.contains("Reuters"), "{text}");
    assert!(
        alert.text.contains(&format!("<a href=\"{link}\">")),
        "{}",
        alert.text
    );
    // Polled every second, the same answer: no second alert, and a healthy source.
    let hits = origin.hits("/api/v1/company-news");
    eventually(Duration::from_secs(10), "three more polls", || {
        (origin.hits("/api/v1/company-news") >= hits + 3).then_some(())
    })
    .await;
    assert_eq!(tg.alerts_to(CHAT).len(), 1, "{:?}", tg.alerts_to(CHAT));
    assert_eq!(tg.edits_to(CHAT), [], "the same article is no other report");
    bot.stop().await;
    let store = marketbot::store::Store::open(&dir.path().join("data"), 8 << 20).unwrap();
    let health = store.source_health("finnhub-news").unwrap().unwrap();
    assert!(health.failures == 0 && health.successes >= 4, "{health:?}");
}
