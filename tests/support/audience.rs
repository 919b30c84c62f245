//! A real audience for the real binary: many chats saving personal alerts at once against a
//! fake Bot API that enforces Telegram's limits; an idle bot with many subscribed chats; a
//! restart with many personal alerts. Shared by `tests/audience.rs` (small) and
//! `benches/audience.rs` (the sizes in BENCHMARKS.md).

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use marketbot::chats::{Chat, ChatKind};
use marketbot::personal::PersonalAlert;
use marketbot::store::Store;

use super::fanout::{peak_rss, rss, start_bot};
use super::origin::Origin;
use super::telegram::{FakeTelegram, Limits, is_alert};
use super::{bot_config_text, seed_evening, serve_nvda_at, serve_quiet_evening, strip_tags};

/// Chat ids start here.
const FIRST_CHAT: i64 = 2_000_000;

async fn until_started(tg: &FakeTelegram, dir: &Path, started: Instant, timeout: Duration) {
    while !tg.commands_registered() {
        assert!(
            started.elapsed() < timeout,
            "the bot did not start; see {}",
            dir.join("bot.log").display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What a storm of `/alert` commands did.
#[derive(Debug)]
pub struct Storm {
    /// Chats, and commands each sent.
    pub chats: usize,
    pub per_chat: usize,
    /// Replies saying an alert was set.
    pub answered: usize,
    /// From the first command to the last reply.
    pub took: Duration,
    /// Replies in each tenth of that time.
    pub tenths: Vec<usize>,
    /// What Telegram's 30 messages a second allow at best for the replies.
    pub minimum: Duration,
    /// Sends the fake refused with 429.
    pub refused: usize,
    /// Alerts that fired, per chat (each chat's first alert is crossed once).
    pub fired: HashMap<i64, usize>,
    /// Personal alerts in the store after the bot stopped, and after it started again.
    pub stored: usize,
    pub listed_after_restart: bool,
    /// Peak resident memory of the bot, in KiB.
    pub peak_rss_kib: Option<u64>,
}

impl Storm {
    /// Chats whose fired alert arrived more than once.
    pub fn duplicates(&self) -> usize {
        self.fired.values().filter(|n| **n > 1).count()
    }
}

/// `chats` chats each send `per_chat` `/alert` commands at once; then NVDA crosses each
/// chat's first level; then the bot is stopped and started again.
pub async fn alert_storm(chats: usize, per_chat: usize, timeout: Duration) -> Storm {
    let tg = FakeTelegram::with_limits(Limits::default()).await;
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    serve_nvda_at(&origin, 189.9);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("marketbot.toml"),
        bot_config_text(
            &tg,
            &origin,
            &format!("personal_alerts_per_chat = {per_chat}\n"),
        ),
    )
    .unwrap();
    let started = Instant::now();
    let mut bot = start_bot(dir.path(), seed_evening());
    until_started(&tg, dir.path(), started, timeout).await;
    // Let the first fetch of the day go by, so the storm meets a bot at work.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let ids: Vec<i64> = (0..chats as i64).map(|i| FIRST_CHAT + i).collect();
    let t0 = Instant::now();
    for j in 0..per_chat {
        for &chat in &ids {
            // Each chat's first alert is crossed later; the others never are.
            let level = if j == 0 { 189.0 } else { 100.0 + j as f64 };
            tg.user_sends(chat, &format!("/alert NVDA below {level}"));
        }
    }
    let set = |tg: &FakeTelegram| -> Vec<tokio::time::Instant> {
        ids.iter()
            .flat_map(|c| tg.sent_to(*c))
            .filter(|m| m.text.contains("Alert #") && m.text.contains(" set:"))
            .map(|m| m.at)
            .collect()
    };
    loop {
        if set(&tg).len() >= chats * per_chat || t0.elapsed() > timeout {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut replies = set(&tg);
    replies.sort();
    let took = replies
        .last()
        .map_or(Duration::ZERO, |last| last.into_std() - t0);
    // How the replies spread over time: tenths of the run, replies in each.
    let tenths: Vec<usize> = (0..10)
        .map(|i| {
            let (from, to) = (took * i / 10, took * (i + 1) / 10);
            replies
                .iter()
                .filter(|r| {
                    let at = r.into_std() - t0;
                    at >= from && (at < to || i == 9)
                })
                .count()
        })
        .collect();

    // NVDA falls through 189: each chat's first alert fires, once.
    serve_nvda_at(&origin, 188.0);
    let fired = |tg: &FakeTelegram| -> HashMap<i64, usize> {
        ids.iter()
            .map(|c| (*c, tg.sent_to(*c).iter().filter(|m| is_alert(m)).count()))
            .filter(|(_, n)| *n > 0)
            .collect()
    };
    let waited = Instant::now();
    while fired(&tg).len() < chats && waited.elapsed() < timeout {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let peak_rss_kib = peak_rss(&bot);
    stop(&mut bot).await;
    let stored = Store::open(&dir.path().join("data"), 8 << 20)
        .unwrap()
        .personal_alerts()
        .unwrap()
        .len();

    // Started again: the chat's alerts are all there.
    let mut bot = start_bot(dir.path(), seed_evening() + chrono::Duration::minutes(10));
    tg.user_sends(ids[0], "/alerts");
    let mut listed_after_restart = false;
    let asked = Instant::now();
    while asked.elapsed() < Duration::from_secs(20) {
        if tg
            .sent_to(ids[0])
            .iter()
            .any(|m| strip_tags(&m.text).contains(&format!("#{per_chat} NVDA below")))
        {
            listed_after_restart = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop(&mut bot).await;
    Storm {
        chats,
        per_chat,
        answered: replies.len(),
        took,
        tenths,
        minimum: Duration::from_secs_f64((chats * per_chat).saturating_sub(1) as f64 / 30.0),
        refused: tg.refused(),
        fired: fired(&tg),
        stored,
        listed_after_restart,
        peak_rss_kib,
    }
}

/// SIGTERM, as `docker stop` does, and wait.
async fn stop(bot: &mut tokio::process::Child) {
    if let Some(pid) = bot.id() {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
    }
    if tokio::time::timeout(Duration::from_secs(20), bot.wait())
        .await
        .is_err()
    {
        bot.start_kill().ok();
        bot.wait().await.ok();
    }
}

/// Memory of a bot at rest.
#[derive(Debug)]
pub struct Idle {
    /// Resident memory after the wait, and its peak, in KiB.
    pub rss_kib: Option<u64>,
    pub peak_rss_kib: Option<u64>,
    /// From the process start until it answered Telegram (command menu registered).
    pub ready: Duration,
}

/// A bot with `chats` chats subscribed to the default rules (and, with `alerts`, that many
/// personal alerts over `symbols` symbols, 20 per chat), left alone for `wait`.
pub async fn idle(chats: usize, alerts: usize, symbols: usize, wait: Duration) -> Idle {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path(), chats, alerts, symbols);
    std::fs::write(
        dir.path().join("marketbot.toml"),
        bot_config_text(&tg, &origin, "").replace("cache_mb = 16\n", ""),
    )
    .unwrap();
    let started = Instant::now();
    let mut bot = start_bot(dir.path(), seed_evening());
    until_started(&tg, dir.path(), started, Duration::from_secs(120)).await;
    let ready = started.elapsed();
    tokio::time::sleep(wait).await;
    let (rss_kib, peak_rss_kib) = (rss(&bot), peak_rss(&bot));
    stop(&mut bot).await;
    Idle {
        rss_kib,
        peak_rss_kib,
        ready,
    }
}

/// `chats` private chats subscribed to the default rules, and `alerts` personal alerts (20
/// per chat, over `symbols` symbols: drops, rises and levels), written to `dir/data`.
pub fn seed(dir: &Path, chats: usize, alerts: usize, symbols: usize) {
    let store = Store::open(&dir.join("data"), 16 << 20).unwrap();
    let at = seed_evening();
    let defaults = [
        "nvda-customer-seeks-alternatives",
        "nvda-customer-own-chips",
        "chip-export-curbs",
        "guidance-cut-gap-down",
    ];
    let alert_chats = alerts.div_ceil(20);
    let mut batch = Vec::new();
    let mut records = Vec::new();
    for i in 0..chats.max(alert_chats) as i64 {
        let mut chat = Chat::new(FIRST_CHAT + i, ChatKind::Private, format!("user {i}"), at);
        chat.rules.extend(defaults.iter().map(|r| r.to_string()));
        for n in 1..=20u32 {
            let k = i as usize * 20 + n as usize - 1;
            if k >= alerts {
                break;
            }
            let symbol = if k.is_multiple_of(symbols) {
                "NVDA".to_string()
            } else {
                format!("S{:03}", k % symbols)
            };
            let spec = match k % 4 {
                0 => format!("{symbol} drop {}%", 2 + k % 5),
                1 => format!("{symbol} rise {}%", 2 + k % 5),
                2 => format!("{symbol} below {}", 50 + k % 100),
                _ => format!("{symbol} move 2% 1h"),
            };
            chat.rules.insert(PersonalAlert::rule_id(chat.id, n));
            chat.personal_next = n;
            batch.push(PersonalAlert {
                paused: false,
                changed: None,
                message: None,
                chat: chat.id,
                number: n,
                spec,
                created: at,
            });
        }
        records.push(chat);
    }
    for part in records.chunks(10_000) {
        store.put_chats(part).unwrap();
    }
    for part in batch.chunks(10_000) {
        store.put_personal_alerts(part).unwrap();
    }
    store.flush().unwrap();
}
