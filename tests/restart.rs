//! Stopping and starting the bot on the same sled directory.

use crate::support;

use std::time::Duration;

use support::origin::Origin;
use support::telegram::{Answer, FakeTelegram};
use support::{
    RunningBot, bot_config, eventually, release_seed_story, seed_evening, serve_quiet_evening,
    start_chat, strip_tags,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_subscriptions_repeats_nothing_and_delivers_what_was_left_unsent() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();

    // First run: two chats subscribe; the connection to chat 43 stalls when the alert goes out.
    serve_quiet_evening(&origin);
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    start_chat(&tg, 42).await;
    start_chat(&tg, 43).await;
    tg.script(43, vec![Answer::Hang]);
    release_seed_story(&origin);
    eventually(Duration::from_secs(10), "the alert to chat 42", || {
        tg.alerts_to(42).first().cloned()
    })
    .await;
    eventually(
        Duration::from_secs(10),
        "the stalled attempt to chat 43",
        || (tg.attempts(43).len() >= 2).then_some(()),
    )
    .await;
    assert!(tg.alerts_to(43).is_empty());
    bot.stop().await;

    // Second run on the same directory, a minute later on the bot's clock.
    let wire_before = origin.hits("/wire.xml");
    let bot = RunningBot::start(
        bot_config(dir.path(), &tg, &origin),
        seed_evening() + chrono::Duration::minutes(1),
    );
    let left_over = eventually(
        Duration::from_secs(10),
        "the unsent alert to chat 43",
        || tg.alerts_to(43).first().cloned(),
    )
    .await;
    assert!(strip_tags(&left_over.text).contains("NVDA"));

    // The feeds still serve the story: it is neither reprocessed nor alerted again.
    eventually(Duration::from_secs(10), "the wire fetched again", || {
        (origin.hits("/wire.xml") >= wire_before + 3).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(tg.alerts_to(42).len(), 1, "no alert is repeated");
    assert_eq!(
        tg.alerts_to(43).len(),
        1,
        "the left-over alert went out once"
    );

    // Chat 42 is still subscribed.
    tg.user_sends(42, "/rules");
    let rules = eventually(Duration::from_secs(10), "the /rules reply", || {
        tg.sent_to(42)
            .into_iter()
            .find(|m| m.text.starts_with("<b>Rules</b>"))
    })
    .await;
    assert!(
        rules
            .text
            .contains("✅ <code>nvda-customer-seeks-alternatives</code>"),
        "{}",
        rules.text
    );
    bot.stop().await;

    let store = marketbot::store::Store::open(&dir.path().join("data"), 8 << 20).unwrap();
    assert_eq!(store.outbox_len().unwrap(), 0);
    assert_eq!(
        store
            .alerts_since("2026-01-01T00:00:00Z".parse().unwrap())
            .unwrap()
            .len(),
        1
    );
}
