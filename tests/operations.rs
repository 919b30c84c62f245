//! What an operator runs the bot with: `/metrics` after real work, `/readyz`, `/healthz`
//! turning unhealthy when the pipeline stalls, and `marketbot healthcheck` asking it.

use crate::support;

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use support::origin::{Origin, Reply};
use support::telegram::FakeTelegram;
use support::{
    RunningBot, bot_config, eventually, payloads, release_seed_story, seed_evening,
    serve_quiet_evening, start_chat,
};

/// A port nobody listens on now.
fn free_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], support::free_port()))
}

async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .get(format!("http://{addr}{path}"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("the listener answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The value of the sample `line_start` (name and labels, exactly as rendered).
fn sample(metrics: &str, line_start: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(line_start)?.trim().parse().ok())
}

/// `marketbot healthcheck` against a config whose `http.listen` is `addr`.
fn healthcheck(dir: &std::path::Path, addr: SocketAddr) -> std::process::Output {
    let config = dir.join("healthcheck.toml");
    std::fs::write(&config, format!("[http]\nlisten = \"{addr}\"\n")).unwrap();
    Command::new(env!("CARGO_BIN_EXE_marketbot"))
        .args(["healthcheck", "--config"])
        .arg(&config)
        .env_remove("MARKETBOT_CONFIG")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_after_a_fetch_cycle_show_the_work_done_and_pass_promtool() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    origin.set(
        "/broken.xml",
        Reply::status(503, "text/html", "<h1>down</h1>"),
    );
    // The bot as a process of its own, so that its metrics are its alone: the in-process
    // bots of the other tests count into this process's one recorder.
    let dir = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let text = support::bot_config_text(&tg, &origin, "").replacen(
        "listen = \"127.0.0.1:0\"",
        &format!("listen = \"{addr}\""),
        1,
    );
    std::fs::write(dir.path().join("marketbot.toml"), text).unwrap();
    let mut bot = support::fanout::start_bot(dir.path(), seed_evening());
    start_chat(&tg, 42).await;
    release_seed_story(&origin);
    eventually(Duration::from_secs(20), "the alert", || {
        tg.alerts_to(42).first().cloned()
    })
    .await;

    let (status, ready) = get(addr, "/readyz").await;
    assert_eq!(status, 200, "{ready}");
    assert!(ready.contains("ok   telegram: reachable"), "{ready}");
    let (status, metrics) = get(addr, "/metrics").await;
    assert_eq!(status, 200);
    let positive = |line: &str| {
        let v = sample(&metrics, line);
        assert!(v.is_some_and(|v| v > 0.0), "{line} = {v:?} in\n{metrics}");
    };
    assert!(metrics.contains(&format!(
        "marketbot_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    )));
    positive("marketbot_source_fetches_total{source=\"wire\"}");
    positive("marketbot_source_items_total{source=\"wire\"}");
    positive("marketbot_source_bars_total{source=\"yahoo\"}");
    positive("marketbot_source_failures_total{source=\"broken\",reason=\"server_error\"}");
    positive("marketbot_source_consecutive_failures{source=\"broken\"}");
    positive("marketbot_source_backoff_seconds{source=\"broken\"}");
    positive("marketbot_source_fetch_duration_seconds_count{source=\"yahoo\"}");
    positive("marketbot_engine_headlines_total");
    positive("marketbot_engine_bars_total");
    positive("marketbot_engine_matches_total{rule=\"nvda-customer-seeks-alternatives\"}");
    positive("marketbot_engine_alerts_total{rule=\"nvda-customer-seeks-alternatives\"}");
    positive("marketbot_delivery_send_duration_seconds_count");
    positive("marketbot_telegram_updates_total{kind=\"message\"}");
    positive("marketbot_telegram_commands_total{command=\"start\"}");
    positive("marketbot_chats");
    positive("marketbot_subscriptions");
    positive("marketbot_store_size_bytes");
    positive("marketbot_rules_loaded");
    assert!(
        metrics.contains("marketbot_delivery_sends_total{kind=\"photo\"}")
            || metrics.contains("marketbot_delivery_sends_total{kind=\"message\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("marketbot_delivery_outbox_depth "));
    assert!(metrics.contains("marketbot_delivery_outbox_undecodable 0"));
    assert!(metrics.contains("marketbot_stage_heartbeat_age_seconds{stage=\"pipeline\"}"));
    // Nothing unbounded in a label: no chat id appears anywhere.
    assert!(!metrics.contains("\"42\""), "{metrics}");

    match Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        Ok(mut child) => {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(metrics.as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "promtool check metrics: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Err(_) => eprintln!(
            "skipped `promtool check metrics`: promtool is not installed (Debian package `prometheus`)"
        ),
    }

    let out = healthcheck(dir.path(), addr);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok   pipeline"));
    bot.kill().await.unwrap();
    let out = healthcheck(dir.path(), addr);
    assert!(!out.status.success(), "nobody answers once the bot stopped");
}

/// A stall the bot cannot see coming: the recording it writes goes to a pipe nobody reads
/// (as a hung disk would), so the pipeline blocks inside a step.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn healthz_turns_unhealthy_when_the_pipeline_stalls_and_recovers_after() {
    use std::os::unix::fs::OpenOptionsExt;

    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("record");
    std::fs::create_dir(&record).unwrap();
    let fifo = record.join("headlines.jsonl");
    let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates the file.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    // A reader that never reads: the bot's writes succeed until the pipe is full.
    let reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo)
        .unwrap();

    let addr = free_addr();
    let mut config = bot_config(dir.path(), &tg, &origin);
    config.http.listen = Some(addr);
    config.http.stall_after = Duration::from_secs(3);
    config.record_dir = Some(record.clone());
    let bot = RunningBot::start(config, seed_evening());
    eventually(Duration::from_secs(10), "healthy", || {
        std::fs::metadata(dir.path().join("data/heartbeat"))
            .is_ok()
            .then_some(())
    })
    .await;
    assert_eq!(get(addr, "/healthz").await.0, 200);

    // Far more than a pipe holds (64 KiB): the pipeline blocks writing the recording.
    let items: Vec<payloads::Item> = (0..400)
        .map(|i| {
            let mut item = payloads::Item::new(
                &format!("Company {i} reports quarterly results in line with expectations, shares steady in late trading"),
                &format!("https://news.example.com/2026/02/02/company-{i}-results-quarter"),
                "2026-02-02T21:40:00Z",
            );
            item.guid = Some(format!("results-{i}"));
            item
        })
        .collect();
    let stalled_from = tokio::time::Instant::now();
    origin.set(
        "/aggregator.xml",
        Reply::ok("application/rss+xml", payloads::rss("Other news", &items)),
    );
    let body = loop {
        let (status, text) = get(addr, "/healthz").await;
        if status == 503 {
            break text;
        }
        assert!(
            stalled_from.elapsed() < Duration::from_secs(60),
            "still healthy after a minute: {text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(body.contains("FAIL pipeline"), "{body}");
    assert!(body.contains("ok   sender"), "{body}");
    let out = healthcheck(dir.path(), addr);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("stalled"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // The reader goes away: the write fails (logged), the pipeline moves on.
    drop(reader);
    eventually(Duration::from_secs(20), "healthy again", || {
        std::fs::metadata(dir.path().join("data/heartbeat"))
            .ok()
            .and_then(|m| m.modified().ok())
            .filter(|t| t.elapsed().unwrap_or_default() < Duration::from_secs(2))
    })
    .await;
    assert_eq!(get(addr, "/healthz").await.0, 200);
    bot.stop().await;
}

/// The binary with `MARKETBOT_LOG_FORMAT=json`, a token, and a Bot API that refuses every
/// connection (so the errors it logs quote request URLs, which carry the token).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_per_line_and_never_show_the_token() {
    let token = "4242424242:AAjsonLogTokenMustNeverAppear";
    let closed = free_addr();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("marketbot.toml");
    std::fs::write(
        &config,
        format!(
            "[telegram]\napi_url = \"http://{closed}\"\npoll_timeout = \"1s\"\n[storage]\npath = \"data\"\n[http]\nlisten = \"127.0.0.1:0\"\n[rules]\ndir = \"{}\"\n",
            support::shipped_rules()
        ),
    )
    .unwrap();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_marketbot"))
        .args(["run", "--config"])
        .arg(&config)
        .env_remove("TELOXIDE_TOKEN")
        .env_remove("MARKETBOT_CONFIG")
        .env("MARKETBOT_TELEGRAM_TOKEN", token)
        .env("MARKETBOT_LOG_FORMAT", "json")
        .env("MARKETBOT_LOG", "debug")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let pid = child.id().unwrap().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    let log = String::from_utf8(out.stderr).unwrap();
    assert!(!log.contains(token), "the token is in the log:\n{log}");
    assert!(
        !log.contains("AAjsonLogToken"),
        "part of the token is in the log"
    );
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:?} in\n{log}"))
        })
        .collect();
    assert!(
        lines
            .iter()
            .all(|l| l["level"].is_string() && l["timestamp"].is_string())
    );
    assert!(
        lines.iter().any(|l| l["message"] == "rules loaded"),
        "{log}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["message"] == "Telegram did not answer who the bot is; trying again"),
        "the refused requests were logged:\n{log}"
    );
    assert!(lines.iter().any(|l| l["message"] == "state flushed; bye"));
}

/// The metrics table in docs/operations.md lists exactly the families the bot records.
#[test]
fn the_documented_metrics_are_the_ones_the_bot_records() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let names = |text: &str, row_start: &str| -> std::collections::BTreeSet<String> {
        text.lines()
            .filter_map(|l| l.trim().strip_prefix(row_start))
            .filter_map(|rest| rest.split('`').next())
            .filter(|n| n.starts_with("marketbot_"))
            .map(str::to_string)
            .collect()
    };
    let docs = std::fs::read_to_string(root.join("docs/operations.md")).unwrap();
    let code = std::fs::read_to_string(root.join("src/metrics.rs")).unwrap();
    let documented = names(&docs, "| `");
    let recorded: std::collections::BTreeSet<String> = code
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .filter_map(|l| l.split('"').nth(1))
        .map(str::to_string)
        .collect();
    assert!(recorded.len() >= 30, "{recorded:?}");
    assert_eq!(documented, recorded);
}
