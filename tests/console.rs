//! The binary without a Telegram token: alerts on standard output.

use crate::support;

use std::process::Stdio;
use std::time::Duration;

use support::origin::Origin;
use support::{serve_seed_evening, shipped_rules};
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_the_alert_is_printed_on_stdout() {
    let origin = Origin::start().await;
    serve_seed_evening(&origin);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("marketbot.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[storage]
path = "data"
[http]
listen = "127.0.0.1:0"
[rules]
dir = "{rules}"
[[quotes]]
provider = "yahoo"
base_url = "{origin}"
symbols = ["NVDA"]
schedule = "* * * * * *"
interval = "30m"
extended_hours = true
[[feeds]]
url = "{origin}/wire.xml"
schedule = "* * * * * *"
symbols = ["NVDA"]
"#,
            rules = shipped_rules(),
            origin = origin.url(""),
        ),
    )
    .unwrap();

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_marketbot"))
        .args(["run", "--config"])
        .arg(&config)
        .args(["--clock-start", "2026-02-02T21:50:00Z"])
        .env_remove("MARKETBOT_TELEGRAM_TOKEN")
        .env_remove("TELOXIDE_TOKEN")
        .env_remove("MARKETBOT_CONFIG")
        .env("MARKETBOT_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    let read = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let done = line.starts_with("  why:");
            seen.push(line);
            if done {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .unwrap_or_else(|_| panic!("no alert on stdout; saw {seen:?}"));

    assert!(seen[0].contains("no Telegram token configured"), "{seen:?}");
    assert_eq!(
        seen.iter()
            .filter(|l| l.contains("no Telegram token"))
            .count(),
        1
    );
    let alert = seen
        .iter()
        .position(|l| l.starts_with("ALERT "))
        .expect("an alert");
    assert!(seen[alert].starts_with("ALERT NVDA −2.81 % · Major NVIDIA customer looks for alternatives, and NVDA falls [nvda-customer-seeks-alternatives]"), "{seen:?}");
    assert!(
        seen.iter()
            .any(|l| l.contains("headline: OpenAI is unsatisfied with some Nvidia chips"))
    );
    assert!(
        seen.iter()
            .any(|l| l.contains("link: https://finance.example/news/openai-unsatisfied"))
    );

    // SIGTERM, as `docker stop` sends it: a clean exit.
    let pid = child.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
}
