//! Telegram's answers to a send: flood control and blocked users.

mod support;

use std::time::Duration;

use support::origin::Origin;
use support::telegram::{Answer, FakeTelegram};
use support::{RunningBot, bot_config, eventually, seed_evening, serve_seed_evening, start_chat};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_control_delays_delivery_and_a_blocked_chat_is_deactivated() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    start_chat(&tg, 42).await;
    start_chat(&tg, 43).await;
    tg.script(42, vec![Answer::RetryAfter(2)]);
    tg.script(43, vec![Answer::Blocked]);
    serve_seed_evening(&origin);

    let alert = eventually(Duration::from_secs(15), "the alert to chat 42", || {
        tg.alerts_to(42).first().cloned()
    })
    .await;
    let attempts = tg.attempts(42);
    let first_alert_attempt = attempts[attempts.len() - 2];
    let waited = alert.at - first_alert_attempt;
    assert!(
        waited >= Duration::from_millis(1900),
        "retry_after honoured: waited {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(6),
        "and not much longer: {waited:?}"
    );

    // Chat 43 blocked the bot: one attempt, no retries, deactivated.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        tg.attempts(43).len(),
        2,
        "the /start reply and one alert attempt"
    );
    assert!(tg.alerts_to(43).is_empty());
    bot.stop().await;

    let store = marketbot::store::Store::open(&dir.path().join("data"), 8 << 20).unwrap();
    let chat = store.chat(43).unwrap().unwrap();
    assert!(!chat.active);
    assert!(
        chat.deactivated
            .as_deref()
            .unwrap_or("")
            .contains("blocked"),
        "{chat:?}"
    );
    assert!(store.chat(42).unwrap().unwrap().active);
    assert_eq!(store.outbox_len(), 0);
}
