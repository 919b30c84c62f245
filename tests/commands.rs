//! The chat commands against the fake Bot API.

mod support;

use std::time::Duration;

use support::origin::Origin;
use support::telegram::FakeTelegram;
use support::{RunningBot, bot_config, eventually, seed_evening, start_chat, strip_tags};

/// Sends `text` and returns the bot's next reply in `chat`.
async fn ask(tg: &FakeTelegram, chat: i64, text: &str) -> String {
    let before = tg.sent_to(chat).len();
    tg.user_sends(chat, text);
    let reply = eventually(Duration::from_secs(10), text, || {
        tg.sent_to(chat).get(before).cloned()
    })
    .await;
    reply.text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_manage_subscriptions_and_explain_themselves() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());

    start_chat(&tg, 42).await;
    let welcome = tg.sent_to(42)[0].text.clone();
    assert!(
        welcome.contains("nvda-customer-seeks-alternatives"),
        "{welcome}"
    );

    let help = strip_tags(&ask(&tg, 42, "/help").await);
    for command in [
        "/start",
        "/stop",
        "/rules",
        "/subscribe",
        "/unsubscribe",
        "/status",
    ] {
        assert!(help.contains(command), "{help}");
    }

    let rules = ask(&tg, 42, "/rules").await;
    assert!(
        rules.contains("✅ <code>nvda-customer-seeks-alternatives</code>"),
        "{rules}"
    );

    let reply = ask(&tg, 42, "/unsubscribe nvda-customer-seeks-alternatives").await;
    assert!(reply.contains("No longer following"), "{reply}");
    let rules = ask(&tg, 42, "/rules").await;
    assert!(
        rules.contains("▫️ <code>nvda-customer-seeks-alternatives</code>"),
        "{rules}"
    );
    let reply = ask(&tg, 42, "/unsubscribe nvda-customer-seeks-alternatives").await;
    assert!(reply.contains("does not follow"), "{reply}");

    // Wrong arguments get a helpful answer with an example, and change nothing.
    let reply = ask(&tg, 42, "/subscribe").await;
    assert!(
        reply.contains("Which rule?")
            && reply.contains("<code>/subscribe analyst-downgrade-drop</code>"),
        "{reply}"
    );
    let reply = ask(&tg, 42, "/subscribe nvda-customer-seeks-alternative").await;
    assert!(reply.contains("Did you mean"), "{reply}");
    let reply = ask(&tg, 42, "/subscribe <b>&</b>").await;
    assert!(
        reply.contains("&lt;b&gt;&amp;&lt;/b&gt;"),
        "user input is escaped: {reply}"
    );

    let reply = ask(&tg, 42, "/subscribe NVDA-Customer-Seeks-Alternatives").await;
    assert!(reply.contains("Following"), "{reply}");
    let reply = ask(&tg, 42, "/stop").await;
    assert!(reply.contains("Alerts stopped"), "{reply}");
    let reply = ask(&tg, 42, "hello?").await;
    assert!(reply.contains("/help"), "{reply}");
    let status = strip_tags(&ask(&tg, 42, "/status").await);
    assert!(status.contains("Rules 7 loaded"), "{status}");
    bot.stop().await;

    let store = marketbot::store::Store::open(&dir.path().join("data"), 8 << 20).unwrap();
    let chat = store.chat(42).unwrap().unwrap();
    assert!(!chat.active, "stopped");
    assert!(
        chat.rules.contains("nvda-customer-seeks-alternatives"),
        "subscriptions kept"
    );
    assert_eq!(
        chat.rules.len(),
        4,
        "the four default rules: {:?}",
        chat.rules
    );
}
