//! One alert to many chats, through the real binary, against a fake Bot API that enforces
//! Telegram's limits — optionally killed with SIGKILL in the middle and started again.
//! Shared by the fan-out test and the fan-out benchmark.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use marketbot::store::Store;

use marketbot::chats::{Chat, ChatKind};

use super::origin::Origin;
use super::telegram::{FakeTelegram, Limits};
use super::{bot_config_text, release_seed_story, seed_evening, serve_quiet_evening};

/// The rule every chat follows.
const RULE: &str = "nvda-customer-seeks-alternatives";
/// Chat ids start here.
const FIRST_CHAT: i64 = 1_000_000;

/// What a fan-out did.
#[derive(Debug)]
pub struct Report {
    /// Chats subscribed.
    pub chats: usize,
    /// Alerts accepted per chat (every chat should have exactly one).
    pub per_chat: HashMap<i64, usize>,
    /// Sends the fake refused with 429.
    pub refused: usize,
    /// From the first alert accepted to the last.
    pub spread: Duration,
    /// What Telegram's 30 messages a second allow at best: (chats − 1) / 30 s.
    pub minimum: Duration,
    /// Whether the bot was killed and restarted.
    pub killed: bool,
    /// Alerts accepted before the kill.
    pub before_kill: usize,
    /// Peak resident memory of the (last) bot process, in KiB.
    pub peak_rss_kib: Option<u64>,
}

/// Peak resident set size of a live process (Linux), in KiB.
pub fn peak_rss(child: &tokio::process::Child) -> Option<u64> {
    proc_status(child, "VmHWM:")
}

/// Resident set size of a live process now (Linux), in KiB.
pub fn rss(child: &tokio::process::Child) -> Option<u64> {
    proc_status(child, "VmRSS:")
}

fn proc_status(child: &tokio::process::Child, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()?)).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

impl Report {
    /// Chats that got more than one copy.
    pub fn duplicates(&self) -> usize {
        self.per_chat.values().filter(|n| **n > 1).count()
    }

    /// Chats that got nothing.
    pub fn missing(&self) -> usize {
        self.chats - self.per_chat.len()
    }
}

/// Subscribes `chats` private chats in the store at `dir/data`.
fn seed_chats(dir: &Path, chats: usize) {
    let store = Store::open(&dir.join("data"), 16 << 20).unwrap();
    let at = seed_evening();
    for i in 0..chats as i64 {
        let mut chat = Chat::new(FIRST_CHAT + i, ChatKind::Private, format!("user {i}"), at);
        chat.rules.insert(RULE.into());
        store.put_chat(&chat).unwrap();
    }
    store.flush().unwrap();
}

/// Starts the release-built binary on `dir/marketbot.toml`, its log in `dir/bot.log`.
pub fn start_bot(dir: &Path, clock_start: chrono::DateTime<chrono::Utc>) -> tokio::process::Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("bot.log"))
        .unwrap();
    tokio::process::Command::new(env!("CARGO_BIN_EXE_marketbot"))
        .args(["run", "--config"])
        .arg(dir.join("marketbot.toml"))
        .args(["--clock-start", &clock_start.to_rfc3339()])
        .env_remove("MARKETBOT_TELEGRAM_TOKEN")
        .env_remove("TELOXIDE_TOKEN")
        .env_remove("MARKETBOT_CONFIG")
        .env("MARKETBOT_LOG", "marketbot=warn")
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("the marketbot binary starts")
}

fn alerts_by_chat(tg: &FakeTelegram) -> HashMap<i64, usize> {
    let mut per_chat = tg.count_per_chat();
    per_chat.retain(|chat, _| *chat >= FIRST_CHAT);
    per_chat
}

/// Fans the seed story's alert out to `chats` chats; with `kill_after`, the bot is killed
/// with SIGKILL once that many were served, and started again on the same data.
pub async fn run(chats: usize, kill_after: Option<usize>, timeout: Duration) -> Report {
    let tg = FakeTelegram::with_limits(Limits::default()).await;
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    let dir = tempfile::tempdir().unwrap();
    seed_chats(dir.path(), chats);
    std::fs::write(
        dir.path().join("marketbot.toml"),
        bot_config_text(&tg, &origin, ""),
    )
    .unwrap();

    let started = Instant::now();
    let mut bot = start_bot(dir.path(), seed_evening());
    // The bot is up once it has registered its command menu.
    while !tg.commands_registered() {
        assert!(
            started.elapsed() < timeout,
            "the bot did not start; see {}",
            dir.path().join("bot.log").display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    release_seed_story(&origin);

    let mut before_kill = 0;
    if let Some(n) = kill_after {
        loop {
            let served: usize = alerts_by_chat(&tg).values().sum();
            if served >= n {
                bot.start_kill().unwrap();
                bot.wait().await.unwrap();
                before_kill = alerts_by_chat(&tg).values().sum();
                break;
            }
            assert!(
                started.elapsed() < timeout,
                "only {served} chats served before the kill"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        bot = start_bot(
            dir.path(),
            seed_evening() + chrono::Duration::seconds(started.elapsed().as_secs() as i64),
        );
    }
    loop {
        if alerts_by_chat(&tg).len() == chats {
            break;
        }
        if started.elapsed() > timeout {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Anything still to come (a duplicate) would come now.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let peak_rss_kib = peak_rss(&bot);
    bot.start_kill().ok();
    bot.wait().await.ok();

    let times: Vec<tokio::time::Instant> = tg
        .arrival_times()
        .into_iter()
        .filter(|(chat, _)| *chat >= FIRST_CHAT)
        .map(|(_, at)| at)
        .collect();
    let spread = match (times.iter().min(), times.iter().max()) {
        (Some(a), Some(b)) => *b - *a,
        _ => Duration::ZERO,
    };
    Report {
        chats,
        per_chat: alerts_by_chat(&tg),
        refused: tg.refused(),
        spread,
        minimum: Duration::from_secs_f64(chats.saturating_sub(1) as f64 / 30.0),
        killed: kill_after.is_some(),
        before_kill,
        peak_rss_kib,
    }
}
