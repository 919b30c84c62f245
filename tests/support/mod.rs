//! Fakes of every outside system, on loopback, for end-to-end tests: a Telegram Bot API, an
//! HTTP origin serving Yahoo charts, Stooq CSV and feeds, and payload builders that produce
//! the real shapes (see the data-format notes in ARCHITECTURE.md).

#![allow(dead_code)] // each test binary uses a different part of the support code

pub mod origin;
pub mod payloads;
pub mod telegram;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use marketbot::clock::Clock;
use marketbot::config::Config;
use marketbot::problem::SourceFile;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The evening of the seed story: NVDA closed 2.89 % lower, the Reuters story is out at 21:47.
pub fn seed_evening() -> DateTime<Utc> {
    "2026-02-02T21:50:00Z".parse().unwrap()
}

/// The shipped rules directory.
pub fn shipped_rules() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules").display().to_string()
}

/// Parses config text as if it were `dir/marketbot.toml`, with no environment overrides.
pub fn config(dir: &Path, text: &str) -> Config {
    let file = SourceFile {
        path: dir.join("marketbot.toml"),
        text: text.to_string(),
    };
    Config::parse(&file, &[]).unwrap_or_else(|p| panic!("bad test config: {p:?}\n{text}"))
}

/// The bot running in this process.
pub struct RunningBot {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), marketbot::app::StartError>>,
}

impl RunningBot {
    /// Starts `marketbot::app::run` with `config` and a clock anchored at `start`.
    pub fn start(config: Config, start: DateTime<Utc>) -> RunningBot {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("MARKETBOT_LOG").unwrap_or_else(|_| "marketbot=info".into()))
            .with_test_writer()
            .try_init();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(marketbot::app::run(config, Clock::anchored(start), async move {
            let _ = rx.await;
        }));
        RunningBot { stop: Some(tx), task }
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
pub async fn eventually<T>(timeout: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
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

/// Text with HTML tags removed and the entities Telegram HTML uses decoded.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&")
}
