//! Two instances on one PostgreSQL store: one leads, the other takes over when it dies, and
//! nothing is lost or sent twice beyond the sends in flight; a database restart in the middle
//! of a fan-out is ridden out. These tests need PostgreSQL (`MARKETBOT_TEST_DATABASE_URL`);
//! without it they say so and pass.

use crate::support;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use marketbot::chats::{Chat, ChatKind};
use support::fanout::start_bot;
use support::origin::Origin;
use support::postgres::{Proxy, TestDatabase};
use support::telegram::{FakeTelegram, Limits};
use support::{
    RunningBot, ask, bot_config_text, config, eventually, free_port, release_seed_story,
    seed_evening, serve_quiet_evening, start_chat, strip_tags,
};

/// The rule every chat follows.
const RULE: &str = "nvda-customer-seeks-alternatives";
/// Chat ids start here.
const FIRST_CHAT: i64 = 2_000_000;
/// Chats the sender serves at once: at most these sends are in flight when a process dies.
const IN_FLIGHT: usize = 32;

/// Subscribes `chats` private chats to [`RULE`] in the store.
fn seed_chats(db: &TestDatabase, chats: usize) {
    let store = db.store();
    let at = seed_evening();
    let all: Vec<Chat> = (0..chats as i64)
        .map(|i| {
            let mut chat = Chat::new(FIRST_CHAT + i, ChatKind::Private, format!("user {i}"), at);
            chat.rules.insert(RULE.into());
            chat
        })
        .collect();
    store.put_chats(&all).unwrap();
}

/// Writes `dir/marketbot.toml` for an instance named `instance` on `db`.
fn write_config(
    dir: &Path,
    tg: &FakeTelegram,
    origin: &Origin,
    db: &TestDatabase,
    instance: &str,
    via: Option<&Proxy>,
) {
    let text = bot_config_text(tg, origin, "").replacen(
        "[storage]\n",
        &format!("[storage]\n{}", db.storage_keys(instance, via)),
        1,
    );
    std::fs::write(dir.join("marketbot.toml"), text).unwrap();
}

fn alerts_by_chat(tg: &FakeTelegram) -> HashMap<i64, usize> {
    let mut per_chat = tg.count_per_chat();
    per_chat.retain(|chat, _| *chat >= FIRST_CHAT);
    per_chat
}

fn served(tg: &FakeTelegram) -> usize {
    alerts_by_chat(tg).values().sum()
}

async fn wait_until(timeout: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_second_instance_takes_over_a_fan_out_when_the_leader_is_killed() {
    let Some(db) = TestDatabase::create("the_second_instance_takes_over…") else {
        return;
    };
    const CHATS: usize = 500;
    let tg = FakeTelegram::with_limits(Limits::default()).await;
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    seed_chats(&db, CHATS);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_config(a.path(), &tg, &origin, &db, "alpha", None);
    write_config(b.path(), &tg, &origin, &db, "beta", None);

    let started = Instant::now();
    let mut alpha = start_bot(a.path(), seed_evening());
    wait_until(Duration::from_secs(60), "alpha to start leading", || {
        tg.commands_registered()
    })
    .await;
    let leader = db.store().backend().leader().unwrap();
    assert_eq!(leader.as_ref().map(|(who, _)| who.as_str()), Some("alpha"));
    let mut beta = start_bot(
        b.path(),
        seed_evening() + chrono::Duration::seconds(started.elapsed().as_secs() as i64),
    );
    // Beta waits: it neither polls Telegram nor sends.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(beta.try_wait().unwrap().is_none(), "beta runs (waiting)");

    release_seed_story(&origin);
    let half = CHATS / 2;
    wait_until(Duration::from_secs(90), "half of the chats served", || {
        served(&tg) >= half
    })
    .await;
    alpha.start_kill().unwrap();
    let killed = tokio::time::Instant::now();
    alpha.wait().await.unwrap();
    let before_kill = served(&tg);

    wait_until(Duration::from_secs(90), "every chat served", || {
        alerts_by_chat(&tg).len() == CHATS
    })
    .await;
    // Anything still to come (a duplicate) would come now.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let takeover = tg
        .arrival_times()
        .into_iter()
        .filter(|(chat, at)| *chat >= FIRST_CHAT && *at > killed)
        .map(|(_, at)| at - killed)
        .min()
        .expect("beta sent after the kill");
    let per_chat = alerts_by_chat(&tg);
    let duplicates = per_chat.values().filter(|n| **n > 1).count();
    let leader = db.store().backend().leader().unwrap();
    eprintln!(
        "{CHATS} chats: {before_kill} served by alpha, the rest by beta {takeover:?} after the kill; \
         {duplicates} duplicate(s), {} refused; leader now {leader:?}; {:?} in all",
        tg.refused(),
        started.elapsed()
    );
    beta.start_kill().ok();
    beta.wait().await.ok();

    assert!(before_kill < CHATS, "the kill came before the end");
    assert_eq!(
        leader,
        Some(("beta".to_string(), 2)),
        "beta leads, in the next term"
    );
    assert!(
        takeover <= Duration::from_secs(15),
        "beta took over within 15 s of the kill ({takeover:?})"
    );
    assert_eq!(per_chat.len(), CHATS, "every chat is served");
    assert!(
        duplicates <= IN_FLIGHT,
        "only sends in flight at the kill may be repeated: {duplicates}"
    );
    assert!(tg.refused() <= 1, "no 429 beyond one: {}", tg.refused());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_during_a_fan_out_loses_nothing() {
    let Some(db) = TestDatabase::create("a_database_restart_during_a_fan_out…") else {
        return;
    };
    const CHATS: usize = 150;
    let tg = FakeTelegram::with_limits(Limits::default()).await;
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    seed_chats(&db, CHATS);
    let proxy = Proxy::start(db.server()).await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &tg, &origin, &db, "solo", Some(&proxy));

    let mut bot = start_bot(dir.path(), seed_evening());
    wait_until(Duration::from_secs(60), "the bot to start", || {
        tg.commands_registered()
    })
    .await;
    release_seed_story(&origin);
    wait_until(
        Duration::from_secs(60),
        "a third of the chats served",
        || served(&tg) >= CHATS / 3,
    )
    .await;
    // The database goes away for five seconds: every connection is cut, none is accepted.
    proxy.cut();
    let during = served(&tg);
    tokio::time::sleep(Duration::from_secs(5)).await;
    proxy.restore();

    let deadline = Instant::now() + Duration::from_secs(60);
    while alerts_by_chat(&tg).len() < CHATS && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let log = std::fs::read_to_string(dir.path().join("bot.log")).unwrap_or_default();
    eprintln!("the bot's log:\n{log}");
    let per_chat = alerts_by_chat(&tg);
    let duplicates = per_chat.values().filter(|n| **n > 1).count();
    eprintln!(
        "{CHATS} chats, database cut after {during}: {duplicates} duplicate(s), {} refused",
        tg.refused()
    );
    assert!(
        bot.try_wait().unwrap().is_none(),
        "the bot rode the outage out; see {}",
        dir.path().join("bot.log").display()
    );
    bot.start_kill().ok();
    bot.wait().await.ok();
    assert_eq!(per_chat.len(), CHATS, "every chat is served");
    assert!(duplicates <= IN_FLIGHT, "{duplicates} duplicate(s)");
    // As in the failover test: the fake judges a second by when requests arrive, and on a
    // machine this loaded (two cores, the database, several bots at once) a paced stream can
    // arrive bunched once; the sender then waits as told.
    assert!(tg.refused() <= 1, "no 429 beyond one: {}", tg.refused());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_chat_set_up_through_one_instance_holds_on_the_other_after_a_failover() {
    let Some(db) = TestDatabase::create("what_a_chat_set_up…") else {
        return;
    };
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let text = |instance: &str| {
        bot_config_text(&tg, &origin, "").replacen(
            "[storage]\n",
            &format!("[storage]\n{}", db.storage_keys(instance, None)),
            1,
        )
    };
    let alpha = RunningBot::start(config(a.path(), &text("alpha")), seed_evening());
    wait_until(Duration::from_secs(30), "alpha to lead", || {
        tg.commands_registered()
    })
    .await;
    let beta = RunningBot::start(config(b.path(), &text("beta")), seed_evening());

    // Through alpha: chat 7 follows the seed story in German and has a personal alert;
    // chat 8 follows it too but mutes it; chat 9 stops.
    for chat in [7, 8, 9] {
        start_chat(&tg, chat).await;
    }
    ask(&tg, 7, "/settings lang de").await;
    ask(&tg, 7, "/alert NVDA drop 50%").await;
    ask(&tg, 8, &format!("/mute {RULE} 2d")).await;
    ask(&tg, 9, "/stop").await;
    let list_before = strip_tags(&ask(&tg, 7, "/list").await);
    let alerts_before = strip_tags(&ask(&tg, 7, "/alerts").await);

    // Alpha stops; beta takes over.
    alpha.stop().await;
    let store = db.store();
    eventually(Duration::from_secs(15), "beta to lead", || {
        store
            .backend()
            .leader()
            .unwrap()
            .filter(|(who, _)| who == "beta")
    })
    .await;

    // Through beta: the same answers, and the settings in force.
    let status = strip_tags(&ask(&tg, 8, "/status").await);
    assert!(status.contains("beta leads (term 2)"), "{status}");
    assert_eq!(strip_tags(&ask(&tg, 7, "/list").await), list_before);
    assert_eq!(strip_tags(&ask(&tg, 7, "/alerts").await), alerts_before);
    assert!(alerts_before.contains("NVDA"), "{alerts_before}");
    release_seed_story(&origin);
    let alert = eventually(Duration::from_secs(20), "the alert to chat 7", || {
        tg.alerts_to(7).first().cloned()
    })
    .await;
    assert!(
        strip_tags(&alert.text).contains("Warum"),
        "the alert is in German: {}",
        alert.text
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(tg.alerts_to(8).is_empty(), "chat 8's mute holds");
    assert!(tg.alerts_to(9).is_empty(), "chat 9 stopped");
    beta.stop().await;
}

/// `text` from `chat` as Telegram posts it.
fn message_update(update_id: i64, chat: i64, text: &str) -> serde_json::Value {
    serde_json::json!({
        "update_id": update_id,
        "message": {
            "message_id": 7000 + update_id,
            "date": chrono::Utc::now().timestamp(),
            "chat": {"id": chat, "type": "private", "first_name": "User"},
            "from": {"id": chat, "is_bot": false, "first_name": "User", "language_code": "en"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": text.find(' ').unwrap_or(text.len())}]
        }
    })
}

async fn post(port: u16, update: &serde_json::Value) -> u16 {
    reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/telegram"))
        .header(
            "X-Telegram-Bot-Api-Secret-Token",
            marketbot::config::derived_secret(support::telegram::TOKEN),
        )
        .json(update)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_load_balancer_either_instance_takes_webhook_updates_and_each_is_handled_once() {
    let Some(db) = TestDatabase::create("behind_a_load_balancer…") else {
        return;
    };
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (port_a, port_b) = (free_port(), free_port());
    // Both behind one address (the load balancer's); each listens on its own port.
    let text = |instance: &str, port: u16| {
        bot_config_text(
            &tg,
            &origin,
            "webhook_url = \"http://127.0.0.1:9/telegram\"\nchat_interval = \"20ms\"\n",
        )
        .replacen(
            "[storage]\n",
            &format!("[storage]\n{}", db.storage_keys(instance, None)),
            1,
        )
        .replacen(
            "listen = \"127.0.0.1:0\"",
            &format!("listen = \"127.0.0.1:{port}\""),
            1,
        )
    };
    let alpha = RunningBot::start(config(a.path(), &text("alpha", port_a)), seed_evening());
    eventually(Duration::from_secs(20), "alpha to set the webhook", || {
        tg.webhook()
    })
    .await;
    let beta = RunningBot::start(config(b.path(), &text("beta", port_b)), seed_evening());
    for port in [port_a, port_b] {
        eventually(Duration::from_secs(20), "both instances to listen", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        })
        .await;
    }

    // Posted to the leader, and to the instance that waits: both answered, once each.
    assert_eq!(post(port_a, &message_update(1, 51, "/start")).await, 200);
    assert_eq!(post(port_b, &message_update(2, 52, "/start")).await, 200);
    for chat in [51, 52] {
        eventually(Duration::from_secs(10), "the /start reply", || {
            tg.sent_to(chat)
                .into_iter()
                .find(|m| m.text.contains("Subscribed"))
        })
        .await;
    }
    // Telegram posts one again (its answer lost), to the other instance: not handled twice.
    assert_eq!(post(port_b, &message_update(1, 51, "/start")).await, 200);
    assert_eq!(post(port_a, &message_update(2, 52, "/start")).await, 200);
    tokio::time::sleep(Duration::from_secs(2)).await;
    for chat in [51, 52] {
        assert_eq!(
            tg.sent_to(chat).len(),
            1,
            "answered once: {:?}",
            tg.sent_to(chat)
        );
    }
    beta.stop().await;
    alpha.stop().await;
}
