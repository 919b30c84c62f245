//! Fakes of every outside system, on loopback, for end-to-end tests: a Telegram Bot API, an
//! HTTP origin serving Yahoo charts, Stooq CSV and feeds, and payload builders that produce
//! the real shapes (see the data-format notes in ARCHITECTURE.md).

#![allow(dead_code)] // the benches and the pacing tests use only a part of it

pub mod audience;
pub mod backend;
pub mod fanout;
pub mod origin;
pub mod payloads;
pub mod pipeline;
pub mod postgres;
pub mod telegram;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use marketbot::clock::Clock;
use marketbot::config::Config;
use marketbot::problem::SourceFile;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Content type of the fake feeds.
pub const RSS: &str = "application/rss+xml; charset=utf-8";

/// A config for the bot against `tg` and `origin`: Yahoo for NVDA and AMD, and four feeds
/// (`wire`, `aggregator`, `broken`, `walled`), all polled every second.
pub fn bot_config(dir: &Path, tg: &telegram::FakeTelegram, origin: &origin::Origin) -> Config {
    bot_config_with(dir, tg, origin, "")
}

/// [`bot_config`] with more `[telegram]` keys (`admins = [7]`, limits).
pub fn bot_config_with(
    dir: &Path,
    tg: &telegram::FakeTelegram,
    origin: &origin::Origin,
    telegram_keys: &str,
) -> Config {
    // Tests type faster than people: replies to one chat need not be a second apart here, nor
    // is a chat asking sixty questions a minute flooding (the fan-out and flood tests keep
    // the real limits).
    let keys = format!(
        "chat_interval = \"20ms\"\ngroup_messages_per_minute = 600\ncommands_per_minute = 600\n{telegram_keys}"
    );
    config(dir, &bot_config_text(tg, origin, &keys))
}

/// The text of [`bot_config`], with Telegram's real sending limits and more `[telegram]` keys.
pub fn bot_config_text(
    tg: &telegram::FakeTelegram,
    origin: &origin::Origin,
    telegram_keys: &str,
) -> String {
    format!(
        r#"
[telegram]
token = "{token}"
api_url = "{tg}"
poll_timeout = "1s"
{telegram_keys}
[storage]
path = "data"
cache_mb = 16
[rules]
dir = "{rules}"
[http]
timeout = "3s"
listen = "127.0.0.1:0"
[[quotes]]
name = "yahoo"
provider = "yahoo"
base_url = "{origin}"
symbols = ["NVDA", "AMD"]
schedule = "* * * * * *"
interval = "30m"
extended_hours = true
[[feeds]]
name = "wire"
url = "{origin}/wire.xml"
schedule = "* * * * * *"
symbols = ["NVDA"]
[[feeds]]
name = "aggregator"
url = "{origin}/aggregator.xml"
schedule = "* * * * * *"
[[feeds]]
name = "broken"
url = "{origin}/broken.xml"
schedule = "* * * * * *"
[[feeds]]
name = "walled"
url = "{origin}/walled.xml"
schedule = "* * * * * *"
"#,
        token = telegram::TOKEN,
        tg = tg.url(),
        origin = origin.url(""),
        rules = shipped_rules(),
    )
}

/// AMD's chart on the seed evening: 244.10, a little under its previous close.
pub fn amd_evening_chart() -> origin::Reply {
    origin::Reply::ok(
        "application/json",
        payloads::yahoo_chart(
            "AMD",
            246.0,
            244.1,
            1_770_066_001,
            &payloads::seed_day_bars(245.0, 244.1, 244.0),
        ),
    )
}

fn serve_amd(origin: &origin::Origin) {
    origin.set("/v8/finance/chart/AMD", amd_evening_chart());
}

/// Serves the seed evening: NVDA down, the Reuters story on the wire, quiet other feeds.
pub fn serve_seed_evening(origin: &origin::Origin) {
    use origin::Reply;
    origin.set(
        "/v8/finance/chart/NVDA",
        Reply::ok("application/json", payloads::nvda_down()),
    );
    serve_amd(origin);
    origin.set(
        "/wire.xml",
        Reply::ok(RSS, payloads::rss("Wire: NVDA", &[payloads::seed_item()])),
    );
    for quiet in ["/aggregator.xml", "/broken.xml", "/walled.xml"] {
        origin.set(quiet, Reply::ok(RSS, payloads::rss("Other news", &[])));
    }
}

/// The seed evening's quotes and quiet feeds, the story not out yet (sources that answer from
/// the start do not back off while a test sets up its chats).
pub fn serve_quiet_evening(origin: &origin::Origin) {
    serve_seed_evening(origin);
    origin.set(
        "/wire.xml",
        origin::Reply::ok(RSS, payloads::rss("Wire: NVDA", &[])),
    );
}

/// NVDA on the seed evening, trading at `post` after hours (previous close 191.79).
pub fn serve_nvda_at(origin: &origin::Origin, post: f64) {
    origin.set(
        "/v8/finance/chart/NVDA",
        origin::Reply::ok(
            "application/json",
            payloads::yahoo_chart(
                "NVDA",
                191.79,
                189.9,
                1_770_066_001,
                &payloads::seed_day_bars(191.0, 189.9, post),
            ),
        ),
    );
}

/// NVDA at 189.90 after hours and AMD on the seed evening, every feed quiet: prices for
/// personal alerts, and no story.
pub fn serve_quiet_prices(origin: &origin::Origin) {
    use origin::Reply;
    serve_nvda_at(origin, 189.9);
    serve_amd(origin);
    for feed in ["/wire.xml", "/aggregator.xml", "/broken.xml", "/walled.xml"] {
        origin.set(feed, Reply::ok(RSS, payloads::rss("Quiet", &[])));
    }
}

/// The Reuters story appears on the wire.
pub fn release_seed_story(origin: &origin::Origin) {
    origin.set(
        "/wire.xml",
        origin::Reply::ok(RSS, payloads::rss("Wire: NVDA", &[payloads::seed_item()])),
    );
}

/// `/start` in `chat`, waiting for the bot's answer.
pub async fn start_chat(tg: &telegram::FakeTelegram, chat: i64) {
    tg.user_sends(chat, "/start");
    eventually(Duration::from_secs(10), "the /start reply", || {
        tg.sent_to(chat)
            .iter()
            .find(|m| m.text.contains("Subscribed"))
            .cloned()
    })
    .await;
}

/// A loopback port nobody listens on: for a listener whose address must be known before it
/// binds (a webhook URL, a second instance), or an address where nobody answers. The tests of
/// one process bind ports side by side, and the kernel hands out the ports of `:0` binds from
/// its ephemeral range (32768 and up on Linux), where a port let go a moment ago can be handed
/// to another test. These come from below that range instead, each once per process.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const FIRST: u32 = 20_000;
    const PORTS: u32 = 12_000;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    // Another test process (a bench, a second checkout) most likely starts elsewhere.
    let start = std::process::id().wrapping_mul(7_919) % PORTS;
    for _ in 0..PORTS {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = u16::try_from(FIRST + (start + n) % PORTS).expect("below 32768");
        // Not one another program listens on.
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!(
        "no free loopback port from {FIRST} to {}",
        FIRST + PORTS - 1
    );
}

/// The evening of the seed story: NVDA closed 2.89 % lower, the Reuters story is out at 21:47.
pub fn seed_evening() -> DateTime<Utc> {
    "2026-02-02T21:50:00Z".parse().unwrap()
}

/// The shipped rules directory.
pub fn shipped_rules() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("rules")
        .display()
        .to_string()
}

/// Parses config text as if it were `dir/marketbot.toml`, with no environment overrides.
/// Without an `http.listen` of its own, the bot listens on a free port (tests run side by
/// side).
pub fn config(dir: &Path, text: &str) -> Config {
    let text = if text.contains("listen =") {
        text.to_string()
    } else if text.contains("[http]\n") {
        text.replacen("[http]\n", "[http]\nlisten = \"127.0.0.1:0\"\n", 1)
    } else {
        format!("{text}\n[http]\nlisten = \"127.0.0.1:0\"\n")
    };
    let file = SourceFile {
        path: dir.join("marketbot.toml"),
        text: text.clone(),
    };
    Config::parse(&file, &[]).unwrap_or_else(|p| panic!("bad test config: {p:?}\n{text}"))
}

/// The bot running in this process.
pub struct RunningBot {
    /// The bot's clock: tests move it with `jump`.
    pub clock: Clock,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), marketbot::app::StartError>>,
}

impl RunningBot {
    /// Starts `marketbot::app::run` with `config` and a clock anchored at `start`.
    pub fn start(config: Config, start: DateTime<Utc>) -> RunningBot {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_env("MARKETBOT_LOG")
                    .unwrap_or_else(|_| "marketbot=info".into()),
            )
            .with_test_writer()
            .try_init();
        let (tx, rx) = oneshot::channel::<()>();
        let clock = Clock::anchored(start);
        let task = tokio::spawn(marketbot::app::run(config, clock.clone(), async move {
            let _ = rx.await;
        }));
        RunningBot {
            clock,
            stop: Some(tx),
            task,
        }
    }

    /// Stops it and waits until it has flushed its state.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let started = tokio::time::Instant::now();
        tokio::time::timeout(Duration::from_secs(20), &mut self.task)
            .await
            .expect("the bot stops within its grace period")
            .expect("the bot task does not panic")
            .expect("the bot ran");
        tracing::info!(took = ?started.elapsed(), "bot stopped");
    }
}

/// Polls `check` every 50 ms until it returns `Some` or `timeout` passes.
pub async fn eventually<T>(
    timeout: Duration,
    what: &str,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check() {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Text with HTML tags removed and entities decoded.
pub fn strip_tags(html: &str) -> String {
    marketbot::delivery::render::plain_text(html)
}

/// Sends `text` in `chat` as `user` and returns the bot's next message there that is not an
/// alert.
pub async fn ask_as(
    tg: &telegram::FakeTelegram,
    chat: i64,
    user: i64,
    text: &str,
) -> telegram::Sent {
    answer_to(tg, chat, text, || tg.user_sends_as(chat, user, text)).await
}

/// Edits `user`'s message `message_id` in `chat` to `text` and returns the bot's next message
/// there that is not an alert.
pub async fn ask_edited(
    tg: &telegram::FakeTelegram,
    chat: i64,
    user: i64,
    message_id: i64,
    text: &str,
) -> telegram::Sent {
    answer_to(tg, chat, text, || {
        tg.user_edits(chat, user, message_id, text)
    })
    .await
}

/// Does `act` in `chat` and returns the bot's next message there that is not an alert.
async fn answer_to<T>(
    tg: &telegram::FakeTelegram,
    chat: i64,
    what: &str,
    act: impl FnOnce() -> T,
) -> telegram::Sent {
    let before = tg.sent_to(chat).len();
    act();
    eventually(Duration::from_secs(10), what, || {
        tg.sent_to(chat)
            .into_iter()
            .skip(before)
            .find(|m| !telegram::is_alert(m))
    })
    .await
}

/// Sends `text` in `chat` as `user` until the bot's answer satisfies `done` (what the bot
/// stores after a send, such as the chat's history, lands a moment after Telegram has it).
pub async fn ask_until(
    tg: &telegram::FakeTelegram,
    chat: i64,
    user: i64,
    text: &str,
    mut done: impl FnMut(&telegram::Sent) -> bool,
) -> telegram::Sent {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let answer = ask_as(tg, chat, user, text).await;
        if done(&answer) || tokio::time::Instant::now() > deadline {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Sends `text` in `chat` (as its user, or [`telegram::GROUP_USER`] in groups) and returns the
/// text of the bot's next message there.
pub async fn ask(tg: &telegram::FakeTelegram, chat: i64, text: &str) -> String {
    let user = if chat < 0 { telegram::GROUP_USER } else { chat };
    ask_as(tg, chat, user, text).await.text
}
