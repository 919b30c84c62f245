//! `marketbot migrate`: a bot's sled directory copied into PostgreSQL, then the bot run on it
//! behaves as it did. Needs PostgreSQL (`MARKETBOT_TEST_DATABASE_URL`); without it the test
//! says so and passes.

use crate::support;

use std::time::Duration;

use marketbot::delivery::outbox::{Delivery, Target};
use marketbot::store::Store;
use support::origin::Origin;
use support::postgres::TestDatabase;
use support::telegram::FakeTelegram;
use support::{
    RunningBot, ask, bot_config_text, config, eventually, seed_evening, serve_quiet_evening,
    start_chat, strip_tags,
};

/// What `/list` and `/alerts` answer in each chat.
async fn answers(tg: &FakeTelegram, chats: &[i64]) -> Vec<String> {
    let mut out = Vec::new();
    for chat in chats {
        out.push(strip_tags(&ask(tg, *chat, "/list").await));
        out.push(strip_tags(&ask(tg, *chat, "/alerts").await));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sled_directory_moved_to_postgres_keeps_everything_and_sends_what_was_pending_once() {
    let Some(db) = TestDatabase::create("a_sled_directory_moved_to_postgres…") else {
        return;
    };
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    let dir = tempfile::tempdir().unwrap();
    let keys = "chat_interval = \"20ms\"\ncommands_per_minute = 600\n";
    let on_sled = bot_config_text(&tg, &origin, keys);

    // On sled: two chats with subscriptions, settings, a mute and personal alerts.
    let bot = RunningBot::start(config(dir.path(), &on_sled), seed_evening());
    for chat in [7, 8] {
        start_chat(&tg, chat).await;
    }
    ask(&tg, 7, "/settings lang de").await;
    ask(&tg, 7, "/alert NVDA drop 50%").await;
    ask(&tg, 7, "/alert AMD above 400 once").await;
    ask(&tg, 8, "/mute NVDA 3d").await;
    ask(&tg, 8, "/subscribe chip-export-curbs").await;
    let before = answers(&tg, &[7, 8]).await;
    bot.stop().await;

    // A message still waiting in the outbox when the bot was stopped.
    {
        let store = Store::open(&dir.path().join("data"), 8 << 20).unwrap();
        store
            .enqueue(&Delivery::message(
                0,
                Target::Telegram(8),
                "left over from before the move".into(),
                seed_evening(),
            ))
            .unwrap();
        store.flush().unwrap();
    }

    let migrate = |what: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_marketbot"))
            .args(["migrate", "--from"])
            .arg(dir.path().join("data"))
            .args(["--to", &db.url, "--schema", &db.schema])
            .env_remove("MARKETBOT_STORAGE__URL")
            .env_remove("MARKETBOT_STORAGE__SCHEMA")
            .output()
            .unwrap();
        eprintln!(
            "{what}: {}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let first = migrate("migrate");
    assert!(first.status.success());
    let report = String::from_utf8_lossy(&first.stdout);
    for tree in ["chats", "personal", "outbox", "engine"] {
        assert!(report.contains(tree), "{tree} copied: {report}");
    }
    // Copying again would mix two states: refused, nothing changed.
    let again = migrate("migrate again");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));

    // On PostgreSQL: the same answers, and the pending message goes out once.
    let on_postgres = on_sled.replacen(
        "[storage]\n",
        &format!("[storage]\n{}", db.storage_keys("moved", None)),
        1,
    );
    let bot = RunningBot::start(config(dir.path(), &on_postgres), seed_evening());
    eventually(Duration::from_secs(20), "the pending message", || {
        tg.sent_to(8)
            .into_iter()
            .find(|m| m.text.contains("left over from before the move"))
    })
    .await;
    assert_eq!(answers(&tg, &[7, 8]).await, before);
    assert!(
        before[1].contains("NVDA") && before[1].contains("AMD"),
        "{before:?}"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let copies = tg
        .sent_to(8)
        .into_iter()
        .filter(|m| m.text.contains("left over from before the move"))
        .count();
    assert_eq!(copies, 1, "the pending message goes out once");
    bot.stop().await;
}
