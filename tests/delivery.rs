//! Telegram's answers to a send (flood control, blocked users, migrated groups), quiet hours
//! and digests.

use crate::support;

use std::time::Duration;

use marketbot::clock::telegram_now;
use marketbot::store::Store;
use support::origin::Origin;
use support::telegram::{Answer, FakeTelegram, GROUP_USER};
use support::{
    RunningBot, ask, bot_config, bot_config_with, eventually, release_seed_story, seed_evening,
    serve_quiet_evening, start_chat, strip_tags,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_control_delays_delivery_and_a_blocked_chat_is_deactivated() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    start_chat(&tg, 42).await;
    start_chat(&tg, 43).await;
    tg.script(42, vec![Answer::RetryAfter(2)]);
    tg.script(43, vec![Answer::Blocked]);
    release_seed_story(&origin);

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
    assert_eq!(store.outbox_len().unwrap(), 0);
}

/// Telegram's flood control met by a reply to a command is the bot's, not that reply's alone:
/// the reply goes out once it has passed, and the pause is recorded, so the outbox — and a bot
/// started again meanwhile — waits it out too instead of earning a longer ban.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_control_met_by_a_reply_is_recorded_for_all_sending() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    tg.script(42, vec![Answer::RetryAfter(1)]);
    let before = telegram_now();
    start_chat(&tg, 42).await;
    assert_eq!(tg.attempts(42).len(), 2, "refused once, then sent");
    bot.stop().await;
    let store = Store::open(&dir.path().join("data"), 8 << 20).unwrap();
    let until = store.flood_pause().unwrap();
    assert!(
        until.is_some_and(|t| t > before),
        "the pause is recorded: {until:?}"
    );
}

/// Telegram counts a `retry_after` in its own time, whatever clock the bot runs on (`run
/// --clock-start`): the pause is recorded on Telegram's time, so a bot started again with
/// another clock waits out what is left of it — not years because its clock now runs earlier,
/// and not nothing because it runs later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_pause_runs_on_telegrams_time_whatever_clock_the_bot_runs_on() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    let dir = tempfile::tempdir().unwrap();
    let config = || bot_config(dir.path(), &tg, &origin);
    let data = dir.path().join("data");
    let (in_2020, in_2035) = (
        "2020-06-01T12:00:00Z".parse().unwrap(),
        "2035-06-01T12:00:00Z".parse().unwrap(),
    );
    let second = chrono::TimeDelta::seconds(1);

    // A bot whose clock runs years ahead meets flood control for a second.
    let bot = RunningBot::start(config(), in_2035);
    tg.script(42, vec![Answer::RetryAfter(1)]);
    let before = telegram_now();
    start_chat(&tg, 42).await;
    let after = telegram_now();
    bot.stop().await;
    let store = Store::open(&data, 8 << 20).unwrap();
    let until = store.flood_pause().unwrap().expect("the pause is recorded");
    assert!(
        before + second <= until && until <= after + second,
        "recorded on Telegram's time: {until}, refused between {before} and {after}"
    );
    drop(store);

    // Started again with a clock years behind: the second has passed.
    let bot = RunningBot::start(config(), in_2020);
    start_chat(&tg, 43).await;
    bot.stop().await;

    // A pause of an hour, as a send records it, holds a bot whose clock runs years ahead.
    let store = Store::open(&data, 8 << 20).unwrap();
    store
        .pause_sending(telegram_now() + chrono::TimeDelta::hours(1))
        .unwrap();
    drop(store);
    let bot = RunningBot::start(config(), in_2035);
    tg.user_sends(44, "/start");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(tg.attempts(44).is_empty(), "{:?}", tg.sent_to(44));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migrated_group_gets_its_alert_under_the_new_id_and_paid_broadcast_is_asked_for() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(
        bot_config_with(dir.path(), &tg, &origin, "allow_paid_broadcast = true"),
        seed_evening(),
    );
    tg.set_admins(-200, &[GROUP_USER]);
    start_chat(&tg, -200).await;
    // Sending to the old group fails: it became a supergroup.
    tg.script(-200, vec![Answer::Migrated(-1_002_000_000_000)]);
    release_seed_story(&origin);
    let alert = eventually(
        Duration::from_secs(15),
        "the alert under the new id",
        || tg.alerts_to(-1_002_000_000_000).first().cloned(),
    )
    .await;
    assert!(alert.text.contains("NVDA"));
    assert!(alert.paid, "telegram.allow_paid_broadcast is passed on");
    assert!(tg.alerts_to(-200).is_empty());
    bot.stop().await;
    let store = marketbot::store::Store::open(&dir.path().join("data"), 8 << 20).unwrap();
    let chat = store.chat(-1_002_000_000_000).unwrap().unwrap();
    assert!(chat.active && chat.rules.contains("nvda-customer-seeks-alternatives"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_hours_hold_an_alert_and_a_digest_collects_it() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    for chat in [42, 44, 45] {
        start_chat(&tg, chat).await;
    }
    // 21:50 UTC: chat 44 is quiet until 23:00; chat 45 reads a digest at 22:00.
    ask(&tg, 44, "/settings quiet 21:00-23:00").await;
    ask(&tg, 45, "/settings digest 22:00").await;
    release_seed_story(&origin);
    eventually(Duration::from_secs(15), "the alert to chat 42", || {
        tg.alerts_to(42).first().cloned()
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(tg.alerts_to(44).is_empty(), "quiet");
    assert!(
        tg.sent_to(45).iter().all(|m| !m.text.starts_with("🗞")),
        "not yet"
    );

    // 22:01: the digest goes out; 23:01: the quiet hours are over.
    bot.clock.jump(Duration::from_secs(11 * 60));
    let digest = eventually(Duration::from_secs(15), "the digest", || {
        tg.sent_to(45).into_iter().find(|m| m.text.starts_with("🗞"))
    })
    .await;
    let text = strip_tags(&digest.text);
    assert!(
        text.contains("1 alert since the last digest") && text.contains("NVDA −2.81 %"),
        "{text}"
    );
    assert!(tg.alerts_to(44).is_empty(), "still quiet");
    bot.clock.jump(Duration::from_secs(60 * 60));
    let held = eventually(Duration::from_secs(15), "the held alert", || {
        tg.alerts_to(44).first().cloned()
    })
    .await;
    assert!(held.text.contains("NVDA"));
    bot.stop().await;
}
