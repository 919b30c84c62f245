//! Personal alerts made from the chat: compiled into the rule engine, fired once when the
//! fake quote source crosses them, and kept across restarts.

use crate::support;

use std::time::Duration;

use support::origin::Origin;
use support::telegram::FakeTelegram;
use support::{
    RunningBot, ask, bot_config, eventually, seed_evening, serve_nvda_at, serve_quiet_prices,
    strip_tags,
};

const CHAT: i64 = 42;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_personal_drop_alert_fires_once_when_crossed_and_survives_restarts() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();

    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    let reply = strip_tags(&ask(&tg, CHAT, "/alert NVDA drop 3%").await);
    assert!(
        reply.starts_with("🔔 Alert #1 set: NVDA drop 3% (against the previous close)"),
        "{reply}"
    );
    // Wrong arguments: a helpful reply with examples, nothing stored.
    let reply = strip_tags(&ask(&tg, CHAT, "/alert NVDA sinks 3%").await);
    assert!(
        reply.contains("I do not know sinks here") && reply.contains("/alert NVDA drop 3%"),
        "{reply}"
    );
    bot.stop().await;

    // After a restart the alert is still there, and still armed.
    let bot = RunningBot::start(
        bot_config(dir.path(), &tg, &origin),
        seed_evening() + chrono::Duration::minutes(1),
    );
    let list = strip_tags(&ask(&tg, CHAT, "/alerts").await);
    assert!(list.contains("#1 NVDA drop 3%"), "{list}");
    assert!(!list.contains("sinks"), "{list}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(tg.alerts_to(CHAT).is_empty(), "−0.99 % is no 3 % drop");

    // NVDA falls to 185.00 after hours: −3.54 %.
    serve_nvda_at(&origin, 185.0);
    let alert = eventually(Duration::from_secs(10), "the personal alert", || {
        tg.alerts_to(CHAT).first().cloned()
    })
    .await;
    let text = strip_tags(&alert.text);
    assert!(
        text.contains("NVDA −3.54 %") && text.contains("#1 NVDA drop 3%"),
        "{text}"
    );
    assert!(text.contains("Rule: personal-42-1"), "{text}");

    // Falling further fires nothing more.
    serve_nvda_at(&origin, 184.0);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(tg.alerts_to(CHAT).len(), 1);
    bot.stop().await;

    // Nor does a restart.
    let bot = RunningBot::start(
        bot_config(dir.path(), &tg, &origin),
        seed_evening() + chrono::Duration::minutes(2),
    );
    serve_nvda_at(&origin, 183.0);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(tg.alerts_to(CHAT).len(), 1, "{:?}", tg.alerts_to(CHAT));
    let reply = strip_tags(&ask(&tg, CHAT, "/delete 1").await);
    assert_eq!(reply, "🗑 Alert #1 deleted.");
    let reply = strip_tags(&ask(&tg, CHAT, "/alerts").await);
    assert!(reply.starts_with("No personal alerts yet"), "{reply}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_shot_quiet_alert_fires_once_without_a_sound_and_is_then_gone() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    let reply = strip_tags(&ask(&tg, CHAT, "/alert nvda below 188 once quiet").await);
    assert!(
        reply.starts_with("🔔 Alert #1 set: NVDA below 188 once quiet"),
        "{reply}"
    );
    let reply = strip_tags(&ask(&tg, CHAT, "/alert NVDA drop 50%").await);
    assert!(reply.starts_with("🔔 Alert #2 set"), "{reply}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(tg.alerts_to(CHAT).is_empty(), "189.90 is above 188");

    serve_nvda_at(&origin, 185.0);
    let alert = eventually(Duration::from_secs(10), "the one-shot alert", || {
        tg.alerts_to(CHAT).first().cloned()
    })
    .await;
    assert!(alert.silent, "a quiet alert makes no sound");
    let text = strip_tags(&alert.text);
    assert!(text.contains("#1 NVDA below 188 once quiet"), "{text}");
    let list = strip_tags(&ask(&tg, CHAT, "/alerts").await);
    assert!(
        !list.contains("#1") && list.contains("#2 NVDA drop 50%"),
        "{list}"
    );

    // Back above and down again: it is gone, so nothing more.
    serve_nvda_at(&origin, 189.9);
    tokio::time::sleep(Duration::from_secs(2)).await;
    serve_nvda_at(&origin, 184.0);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(tg.alerts_to(CHAT).len(), 1);
    bot.stop().await;

    // Nor does it come back after a restart.
    let bot = RunningBot::start(
        bot_config(dir.path(), &tg, &origin),
        seed_evening() + chrono::Duration::minutes(1),
    );
    let list = strip_tags(&ask(&tg, CHAT, "/alerts").await);
    assert!(!list.contains("#1"), "{list}");
    bot.stop().await;
}

/// The same article in two feeds: first in one that is not about NVDA (it reaches the AMD
/// alert), then in NVDA's. NVDA's alert hears of it once, and `/news NVDA` lists it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_story_another_feed_brought_first_still_reaches_an_alert_on_the_symbol_of_a_later_feed() {
    use support::origin::Reply;
    use support::payloads::{Item, rss};
    const OTHER: i64 = 43;
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    for (chat, alert) in [
        (CHAT, "/alert NVDA news inference"),
        (OTHER, "/alert AMD news inference"),
    ] {
        let reply = strip_tags(&ask(&tg, chat, alert).await);
        assert!(reply.starts_with("🔔 Alert #1 set"), "{reply}");
    }
    let article = Item::new(
        "AMD lands a large inference contract with a cloud provider",
        "https://news.example/amd-inference-contract",
        "2026-02-02T21:40:00Z",
    );
    // The aggregator (no symbols of its own; the title names AMD) has it first.
    origin.set(
        "/aggregator.xml",
        Reply::ok(
            support::RSS,
            rss("Aggregator", std::slice::from_ref(&article)),
        ),
    );
    let first = eventually(Duration::from_secs(10), "AMD's alert", || {
        tg.alerts_to(OTHER).first().cloned()
    })
    .await;
    let first = strip_tags(&first.text);
    assert!(first.contains("#1 AMD news \"inference\""), "{first}");
    assert!(tg.alerts_to(CHAT).is_empty(), "not about NVDA yet");
    // Then NVDA's feed carries the same article.
    origin.set(
        "/wire.xml",
        Reply::ok(support::RSS, rss("Wire: NVDA", &[article])),
    );
    let alert = eventually(Duration::from_secs(10), "NVDA's alert", || {
        tg.alerts_to(CHAT).first().cloned()
    })
    .await;
    let text = strip_tags(&alert.text);
    assert!(
        text.contains("#1 NVDA news \"inference\"") && text.contains("inference contract"),
        "{text}"
    );
    let news = strip_tags(&ask(&tg, CHAT, "/news NVDA").await);
    assert_eq!(news.matches("inference contract").count(), 1, "{news}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(tg.alerts_to(CHAT).len(), 1, "{:?}", tg.alerts_to(CHAT));
    assert_eq!(tg.alerts_to(OTHER).len(), 1, "{:?}", tg.alerts_to(OTHER));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_level_whose_separator_could_mark_thousands_or_decimals_is_asked_about() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    // `1,850` was taken for 1.85: an alert a thousand times below what was meant.
    let reply = strip_tags(&ask(&tg, CHAT, "/alert NVDA below 1,850").await);
    assert!(
        reply.contains("1,850 may be 1850 or 1.85: please write 1850 or 1.85."),
        "{reply}"
    );
    let reply = strip_tags(&ask(&tg, CHAT, "/alerts").await);
    assert!(reply.starts_with("No personal alerts yet"), "{reply}");
    // A German chat is asked in German; its decimal commas are read as they were.
    ask(&tg, 43, "/settings lang de").await;
    let reply = strip_tags(&ask(&tg, 43, "/alert NVDA above 1.850").await);
    assert!(
        reply.contains("1.850 kann 1850 oder 1,85 heißen: bitte schreiben Sie 1850 oder 1,85."),
        "{reply}"
    );
    let reply = strip_tags(&ask(&tg, 43, "/alert NVDA above 1850,5").await);
    assert!(reply.contains("NVDA über 1850,5"), "{reply}");
    let reply = strip_tags(&ask(&tg, CHAT, "/alert NVDA below 1,850.50").await);
    assert!(reply.contains("NVDA below 1850.5"), "{reply}");
    bot.stop().await;
}

/// German keywords are read in any chat. A German chat's alerts are written in German in the
/// answers and in `/alerts`, and a line copied from there into `/edit` is read as listed; a
/// keyword among the news words with no number after it is one of the words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn german_keywords_make_alerts_that_a_german_chat_sees_in_german() {
    use support::telegram::GERMAN_USER;
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    let reply = strip_tags(&ask(&tg, GERMAN_USER, "/alert NVDA fällt 2,5 % alle 4h").await);
    assert!(
        reply.starts_with("🔔 Alarm #1 gesetzt: NVDA fällt 2,5% alle 4h (ggü."),
        "{reply}"
    );
    let reply = strip_tags(&ask(&tg, GERMAN_USER, "/alert NVDA news Übernahme unter Druck").await);
    assert!(
        reply.starts_with("🔔 Alarm #2 gesetzt: NVDA news \"Übernahme\" \"unter\" \"Druck\""),
        "{reply}"
    );
    let list = strip_tags(&ask(&tg, GERMAN_USER, "/alerts").await);
    assert!(
        list.contains("#1 NVDA fällt 2,5% alle 4h")
            && list.contains("#2 NVDA news \"Übernahme\" \"unter\" \"Druck\""),
        "{list}"
    );
    let reply = strip_tags(&ask(&tg, GERMAN_USER, "/edit 1 NVDA unter 170,5 einmal").await);
    assert_eq!(reply, "✏️ Alarm #1 lautet jetzt NVDA unter 170,5 einmal.");
    // The same keywords in an English chat: answered and listed in English.
    let reply = strip_tags(&ask(&tg, CHAT, "/alert NVDA über 200 leise").await);
    assert!(
        reply.starts_with("🔔 Alert #1 set: NVDA above 200 quiet"),
        "{reply}"
    );
    let list = strip_tags(&ask(&tg, CHAT, "/alerts").await);
    assert!(list.contains("#1 NVDA above 200 quiet"), "{list}");
    bot.stop().await;

    // Stored in the normal form: read back after a restart, still listed in German.
    let bot = RunningBot::start(
        bot_config(dir.path(), &tg, &origin),
        seed_evening() + chrono::Duration::minutes(1),
    );
    let list = strip_tags(&ask(&tg, GERMAN_USER, "/alerts").await);
    assert!(list.contains("#1 NVDA unter 170,5 einmal"), "{list}");
    bot.stop().await;
}
