//! Symbols on demand: a chat asks for a symbol the config does not list; the quote provider
//! is asked about it once, it is fetched (in batches) while something refers to it, and an
//! unknown symbol gets a clear reply and is never fetched.

use crate::support;

use std::time::Duration;

use support::origin::{Origin, Reply};
use support::payloads::{rss, seed_day_bars, yahoo_chart, yahoo_spark};
use support::telegram::{Answer, FakeTelegram};
use support::{
    RSS, RunningBot, ask, ask_until, bot_config_text, config, eventually, seed_evening,
    serve_nvda_at, start_chat, strip_tags,
};

const CHAT: i64 = 77;

/// The test config with only NVDA configured, and at most two extra symbols per chat.
fn only_nvda(
    dir: &std::path::Path,
    tg: &FakeTelegram,
    origin: &Origin,
) -> marketbot::config::Config {
    let text = bot_config_text(
        tg,
        origin,
        "chat_interval = \"20ms\"\ngroup_messages_per_minute = 600\n",
    )
    .replace(r#"symbols = ["NVDA", "AMD"]"#, r#"symbols = ["NVDA"]"#)
        + "\n[symbols]\nper_chat = 2\n";
    config(dir, &text)
}

fn serve(origin: &Origin, aapl_post: f64) {
    serve_nvda_at(origin, 189.9);
    let aapl = seed_day_bars(250.5, 249.0, aapl_post);
    let msft = seed_day_bars(410.0, 412.0, 412.0);
    origin.set(
        "/v8/finance/chart/AAPL",
        Reply::ok(
            "application/json",
            yahoo_chart("AAPL", 250.0, 249.0, 1_770_066_001, &aapl),
        ),
    );
    for (symbol, bars) in [("MSFT", &msft), ("TSLA", &msft)] {
        origin.set(
            &format!("/v8/finance/chart/{symbol}"),
            Reply::ok(
                "application/json",
                yahoo_chart(symbol, 411.0, 412.0, 1_770_066_001, bars),
            ),
        );
    }
    origin.set(
        "/v8/finance/chart/ZZZZ",
        Reply::status(
            404,
            "application/json",
            r#"{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}"#,
        ),
    );
    origin.set(
        "/v8/finance/spark",
        Reply::ok(
            "application/json",
            yahoo_spark(&[
                ("AAPL", 250.0, &aapl),
                ("MSFT", 411.0, &msft),
                ("TSLA", 411.0, &msft),
            ]),
        ),
    );
    for feed in ["/wire.xml", "/aggregator.xml", "/broken.xml", "/walled.xml"] {
        origin.set(feed, Reply::ok(RSS, rss("Quiet", &[])));
    }
}

/// A symbol's chart that the provider takes `delay` seconds to answer.
fn slow_chart(symbol: &str, price: f64, delay: u64) -> Reply {
    let bars = seed_day_bars(price, price - 1.0, price - 1.0);
    Reply::ok(
        "application/json",
        yahoo_chart(symbol, price, price - 1.0, 1_770_066_001, &bars),
    )
    .delayed(Duration::from_secs(delay))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_provider_is_asked_about_all_symbols_at_once_while_the_chat_sees_the_bot_at_work() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve(&origin, 248.8);
    // 2 s each, within the 3 s `http.timeout`.
    origin.set("/v8/finance/chart/AAPL", slow_chart("AAPL", 250.0, 2));
    origin.set("/v8/finance/chart/MSFT", slow_chart("MSFT", 411.0, 2));
    let dir = tempfile::tempdir().unwrap();
    // Quotes kept briefly: a symbol quoted a moment ago is known but no longer fetched.
    let mut config = only_nvda(dir.path(), &tg, &origin);
    config.symbols.limits.keep_quoted = Duration::from_secs(2);
    let bot = RunningBot::start(config, seed_evening());

    // A configured symbol needs no provider: the answer comes without an action.
    // (Asked again until the first poll has stored its price.)
    let quote = ask_until(&tg, CHAT, CHAT, "/quote NVDA", |m| m.text.contains("NVDA")).await;
    assert!(quote.text.contains("NVDA"), "{}", quote.text);
    assert!(tg.actions_in(CHAT).is_empty(), "{:?}", tg.actions_in(CHAT));

    // Two symbols the provider is asked about, each answer taking 2 s: asked at once (one
    // after the other would take 4 s), and the chat sees "typing…" meanwhile.
    let asked = std::time::Instant::now();
    let quote = strip_tags(&ask(&tg, CHAT, "/quote AAPL MSFT").await);
    let took = asked.elapsed();
    assert!(quote.contains("AAPL") && quote.contains("MSFT"), "{quote}");
    assert_eq!(origin.hits("/v8/finance/chart/AAPL"), 1);
    assert_eq!(origin.hits("/v8/finance/chart/MSFT"), 1);
    assert!(took < Duration::from_millis(3800), "{took:?}");
    assert!(
        quote.contains("AAPL 249") && quote.contains("MSFT 410"),
        "both checked: {quote}"
    );
    let actions = tg.actions_in(CHAT);
    assert!(!actions.is_empty(), "{actions:?}");
    assert!(
        actions
            .iter()
            .all(|(a, topic)| a == "typing" && topic.is_none()),
        "{actions:?}"
    );

    // A chart of a symbol being asked about: it may be unknown (answered in words), so
    // "typing…"; of a known one fetched for it: "sending photo…".
    origin.set("/v8/finance/chart/TSLA", slow_chart("TSLA", 411.0, 1));
    ask(&tg, CHAT, "/chart TSLA").await;
    let actions = tg.actions_in(CHAT);
    assert_eq!(
        actions.last().map(|(a, _)| a.as_str()),
        Some("typing"),
        "{actions:?}"
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let before = tg.actions_in(CHAT).len();
    ask(&tg, CHAT, "/chart AAPL").await;
    assert_eq!(
        origin.hits("/v8/finance/chart/AAPL"),
        2,
        "fetched for the chart"
    );
    let actions = tg.actions_in(CHAT);
    assert!(
        actions[before..].iter().all(|(a, _)| a == "upload_photo") && actions.len() > before,
        "{actions:?}"
    );
    bot.stop().await;
}

/// A bot watching NVDA whose quote provider takes two seconds over AAPL: long enough for a
/// chat to be shown "typing…" while it waits for its reply.
async fn a_bot_whose_provider_is_slow_over_aapl()
-> (FakeTelegram, Origin, tempfile::TempDir, RunningBot) {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve(&origin, 248.8);
    origin.set("/v8/finance/chart/AAPL", slow_chart("AAPL", 250.0, 2));
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(only_nvda(dir.path(), &tg, &origin), seed_evening());
    (tg, origin, dir, bot)
}

/// Telegram takes nothing from a bot during its flood pause, chat actions included, and makes a
/// bot that goes on asking wait longer: while a pause met by another chat's reply holds, the
/// chat waiting for a slow answer is shown no "typing…", and its reply comes once the pause
/// has passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_chat_action_is_shown_during_a_flood_pause() {
    let (tg, _origin, _dir, bot) = a_bot_whose_provider_is_slow_over_aapl().await;
    // Another chat's reply meets flood control: five seconds.
    tg.script(42, vec![Answer::RetryAfter(5)]);
    tg.user_sends(42, "/start");
    eventually(Duration::from_secs(10), "the refused reply", || {
        (!tg.attempts(42).is_empty()).then_some(())
    })
    .await;
    // Meanwhile the provider takes two seconds over a symbol: long enough for "typing…".
    let quote = strip_tags(&ask(&tg, CHAT, "/quote AAPL").await);
    assert!(quote.contains("AAPL"), "{quote}");
    assert_eq!(
        tg.action_requests(),
        0,
        "a chat action during the pause: {:?}",
        tg.actions_in(CHAT)
    );
    bot.stop().await;
}

/// A chat action Telegram refuses with a `429` met flood control like any send: the pause is
/// the bot's, recorded for all sending, so the reply being worked on waits it out, and so does
/// a reply to another chat.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_control_met_by_a_chat_action_holds_the_replies_back() {
    let (tg, origin, dir, bot) = a_bot_whose_provider_is_slow_over_aapl().await;
    // The bot at work: it sends nothing in its first second, chat actions included.
    start_chat(&tg, 43).await;
    tg.script_actions(CHAT, vec![Answer::RetryAfter(6)]);
    tg.user_sends(CHAT, "/quote AAPL");
    eventually(Duration::from_secs(10), "the refused chat action", || {
        (tg.action_requests() > 0).then_some(())
    })
    .await;
    tg.user_sends(42, "/start");
    // The provider has answered after two seconds; the replies wait for the pause.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(origin.hits("/v8/finance/chart/AAPL"), 1);
    assert!(tg.attempts(CHAT).is_empty(), "{:?}", tg.sent_to(CHAT));
    assert!(tg.attempts(42).is_empty(), "{:?}", tg.sent_to(42));
    // Then they go out.
    for chat in [CHAT, 42] {
        eventually(Duration::from_secs(10), "the reply after the pause", || {
            tg.sent_to(chat).first().cloned()
        })
        .await;
    }
    bot.stop().await;
    let store = marketbot::store::Store::open(&dir.path().join("data"), 8 << 20).unwrap();
    assert!(
        store.flood_pause().unwrap().is_some(),
        "the pause is recorded for a restart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_symbol_the_provider_knows_can_be_quoted_and_alerted_and_unknown_ones_are_refused() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve(&origin, 248.8);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(only_nvda(dir.path(), &tg, &origin), seed_evening());

    // A symbol the config does not list: asked about once, and quoted.
    let quote = strip_tags(&ask(&tg, CHAT, "/quote AAPL").await);
    assert!(quote.contains("AAPL") && quote.contains("249"), "{quote}");
    assert_eq!(origin.hits("/v8/finance/chart/AAPL"), 1);
    let reply = strip_tags(&ask(&tg, CHAT, "/alert AAPL drop 2%").await);
    assert!(
        reply.starts_with("🔔 Alert #1 set: AAPL drop 2%"),
        "{reply}"
    );
    assert_eq!(origin.hits("/v8/finance/chart/AAPL"), 1, "checked once");

    // A symbol the provider does not know: a clear reply, nothing stored, never fetched.
    for command in ["/quote ZZZZ", "/alert ZZZZ drop 2%", "/watch ZZZZ"] {
        let reply = strip_tags(&ask(&tg, CHAT, command).await);
        assert!(reply.contains("knows no symbol ZZZZ"), "{command}: {reply}");
    }
    assert_eq!(origin.hits("/v8/finance/chart/ZZZZ"), 1, "asked once");
    let list = strip_tags(&ask(&tg, CHAT, "/alerts").await);
    assert!(!list.contains("ZZZZ"), "{list}");

    // AAPL is fetched on the source's schedule, with the other symbols on demand in one
    // request, and the alert fires when it falls 2.4 %.
    serve(&origin, 244.0);
    let alert = eventually(Duration::from_secs(10), "the AAPL alert", || {
        tg.alerts_to(CHAT).first().cloned()
    })
    .await;
    let text = strip_tags(&alert.text);
    assert!(
        text.contains("AAPL") && text.contains("#1 AAPL drop 2%"),
        "{text}"
    );
    let spark = origin.queries("/v8/finance/spark");
    assert!(!spark.is_empty());
    assert!(
        spark
            .iter()
            .all(|q| q.contains("symbols=AAPL") && !q.contains("ZZZZ") && !q.contains("NVDA")),
        "{spark:?}"
    );

    // Per chat at most two symbols beyond the config: a third is refused until one goes.
    let reply = strip_tags(&ask(&tg, CHAT, "/alert MSFT rise 5%").await);
    assert!(reply.starts_with("🔔 Alert #2 set"), "{reply}");
    let reply = strip_tags(&ask(&tg, CHAT, "/watch TSLA").await);
    assert!(reply.contains("already follows 2 symbols"), "{reply}");
    eventually(Duration::from_secs(10), "MSFT fetched", || {
        origin
            .queries("/v8/finance/spark")
            .last()
            .filter(|q| q.contains("MSFT"))
            .cloned()
    })
    .await;
    let reply = strip_tags(&ask(&tg, CHAT, "/delete 2").await);
    assert_eq!(reply, "🗑 Alert #2 deleted.");
    let reply = strip_tags(&ask(&tg, CHAT, "/watch TSLA").await);
    assert!(reply.contains("TSLA"), "{reply}");
    // MSFT, referred to by nothing now, is dropped from the fetches.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before = origin.queries("/v8/finance/spark").len();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let recent = origin.queries("/v8/finance/spark")[before..].to_vec();
    assert!(!recent.is_empty());
    assert!(
        recent
            .iter()
            .all(|q| !q.contains("MSFT") && q.contains("TSLA")),
        "{recent:?}"
    );
    bot.stop().await;
}

/// A London share is quoted in pence, as Yahoo's chart says (`GBp`): `/quote` names the
/// unit, so "72.36" is not taken for pounds (nor a personal level set in pounds). Before, the
/// price stood alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_london_share_is_quoted_in_pence() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve(&origin, 251.0);
    // 2 Feb 2026 in London: 08:00 to 16:30 UTC, from 72.00 to 72.36 pence.
    let london: Vec<support::payloads::ChartBar> = (0..17)
        .map(|i| support::payloads::ChartBar {
            start: 1_770_019_200 + i * 1800,
            close: Some(72.0 + i as f64 * 0.0225),
            volume: 1_000_000,
        })
        .collect();
    origin.set(
        "/v8/finance/chart/VOD.L",
        Reply::ok(
            "application/json",
            yahoo_chart("VOD.L", 72.0, 72.36, 1_770_049_800, &london)
                .replace("\"currency\":\"USD\"", "\"currency\":\"GBp\""),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(only_nvda(dir.path(), &tg, &origin), seed_evening());
    start_chat(&tg, CHAT).await;
    let quote = strip_tags(&ask(&tg, CHAT, "/quote VOD.L").await);
    for want in ["VOD.L 72.36 GBp (+0.50 %)", "Previous close 72.00 GBp"] {
        assert!(quote.contains(want), "{want} missing from {quote}");
    }
    assert!(
        quote
            .lines()
            .any(|l| l.starts_with("Day range") && l.ends_with(" GBp")),
        "{quote}"
    );
    let line = strip_tags(&ask(&tg, CHAT, "/quote VOD.L NVDA").await);
    assert!(line.starts_with("VOD.L 72.36 GBp (+0.50 %)"), "{line}");
    assert!(line.contains("NVDA 189.90 USD"), "{line}");
    bot.stop().await;
}
