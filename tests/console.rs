//! The binary without a Telegram token: alerts on standard output.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use support::origin::Origin;
use support::{release_seed_story, serve_quiet_evening, serve_seed_evening, shipped_rules};
use tokio::io::{AsyncBufReadExt, BufReader};

/// A config in `dir` fetching the seed evening from `origin` every second, without a token.
fn console_config(dir: &Path, origin: &Origin) -> PathBuf {
    let config = dir.join("marketbot.toml");
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
    config
}

/// A directory for a console bot's data: its config (see [`console_config`]) and the file its
/// stderr goes to.
fn console_dir(origin: &Origin) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let config = console_config(dir.path(), origin);
    let log = dir.path().join("stderr.log");
    (dir, config, log)
}

/// `marketbot run` with `config`, without a token, at the seed evening, logging warnings
/// and errors to `stderr`.
fn run_console(config: &Path, stdout: Stdio, stderr: Stdio) -> tokio::process::Child {
    spawn_console(config, None, stdout, stderr)
}

/// The same, its standard output redirected by the shell (`>&-`, `>/dev/null`) when asked.
fn spawn_console(
    config: &Path,
    redirect: Option<&str>,
    stdout: Stdio,
    stderr: Stdio,
) -> tokio::process::Child {
    let bot = env!("CARGO_BIN_EXE_marketbot");
    let mut command = match redirect {
        None => tokio::process::Command::new(bot),
        Some(redirect) => {
            let mut sh = tokio::process::Command::new("sh");
            sh.args(["-c", &format!("exec \"$0\" \"$@\" {redirect}"), bot]);
            sh
        }
    };
    command
        .args(["run", "--config"])
        .arg(config)
        .args(["--clock-start", "2026-02-02T21:50:00Z"])
        .env_remove("MARKETBOT_TELEGRAM_TOKEN")
        .env_remove("TELOXIDE_TOKEN")
        .env_remove("MARKETBOT_CONFIG")
        .env("MARKETBOT_LOG", "warn")
        .stdout(stdout)
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// Waits up to `seconds` for the bot to stop, cleanly, having said once on stderr (`log`)
/// that nobody reads its output.
async fn stops_saying_nobody_reads(child: &mut tokio::process::Child, log: &Path, seconds: u64) {
    let status = tokio::time::timeout(Duration::from_secs(seconds), child.wait())
        .await
        .expect("the bot stops when nobody reads its output")
        .unwrap();
    let log = std::fs::read_to_string(log).unwrap();
    assert!(status.success(), "{status:?}\n{log}");
    assert!(!log.contains("panicked"), "{log}");
    assert_eq!(
        log.matches("standard output is closed").count(),
        1,
        "said once: {log}"
    );
}

/// Reads the first line the bot printed, its notice that alerts are printed here, and then
/// no more: the reader is gone.
async fn notice(child: &mut tokio::process::Child) {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("the notice")
        .unwrap()
        .unwrap_or_default();
    assert!(first.contains("no Telegram token configured"), "{first}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_the_alert_is_printed_on_stdout() {
    let origin = Origin::start().await;
    serve_seed_evening(&origin);
    let dir = tempfile::tempdir().unwrap();
    let config = console_config(dir.path(), &origin);

    let mut child = run_console(&config, Stdio::piped(), Stdio::null());
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

/// Standard output whose reader is gone before the bot starts (`marketbot run >&-` of a pipe,
/// a reader that failed at once): nobody can read the alerts, so the bot says so on stderr and
/// stops cleanly — never a panic on its first line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stdout_nobody_reads_stops_the_bot_cleanly_at_start() {
    use std::os::fd::{FromRawFd, OwnedFd};
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    let dir = tempfile::tempdir().unwrap();
    let config = console_config(dir.path(), &origin);
    let mut fds = [0; 2];
    // Closed on exec: a bot another test starts meanwhile must not inherit the reader and keep
    // the pipe read.
    // SAFETY: `fds` has room for the two descriptors pipe2(2) writes.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both descriptors were just made and are owned here alone.
    let (reader, writer) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(reader);
    let log = dir.path().join("stderr.log");
    let mut child = run_console(
        &config,
        Stdio::from(writer),
        Stdio::from(std::fs::File::create(&log).unwrap()),
    );
    stops_saying_nobody_reads(&mut child, &log, 30).await;
}

/// A standard output that takes alerts nowhere (`marketbot run >&-`, which the standard
/// library opens on `/dev/null`, or `> /dev/null`): every alert would be taken as printed
/// without a word. The bot says so, loudly, at the start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stdout_that_takes_alerts_nowhere_is_named_at_the_start() {
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    for redirect in [">&-", ">/dev/null"] {
        let (_dir, config, log) = console_dir(&origin);
        let mut child = spawn_console(
            &config,
            Some(redirect),
            Stdio::null(),
            Stdio::from(std::fs::File::create(&log).unwrap()),
        );
        let said = support::eventually(Duration::from_secs(20), "the warning", || {
            std::fs::read_to_string(&log)
                .ok()
                .filter(|l| l.contains("every alert printed there is lost"))
        })
        .await;
        assert_eq!(said.matches("is lost").count(), 1, "{redirect}: {said}");
        child.kill().await.unwrap();
    }
    // A standard output that is read hears nothing of it.
    let (_dir, config, log) = console_dir(&origin);
    let mut child = run_console(
        &config,
        Stdio::piped(),
        Stdio::from(std::fs::File::create(&log).unwrap()),
    );
    notice(&mut child).await;
    child.kill().await.unwrap();
    assert!(!std::fs::read_to_string(&log).unwrap().contains("is lost"));
}

/// A reader that goes away (`marketbot run | head -1`): the next alert finds nobody to read it,
/// and the bot stops cleanly instead of trying to print it for ever; the alert stays in the
/// outbox for the next run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_goes_away_stops_the_bot_and_its_alert_waits() {
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    let (dir, config, log) = console_dir(&origin);
    let mut child = run_console(
        &config,
        Stdio::piped(),
        Stdio::from(std::fs::File::create(&log).unwrap()),
    );
    // The notice read, the reader goes away.
    notice(&mut child).await;
    release_seed_story(&origin);
    stops_saying_nobody_reads(&mut child, &log, 60).await;
    let store = marketbot::store::Store::open(&dir.path().join("data"), 8 << 20).unwrap();
    let waiting = store.outbox().unwrap();
    assert!(
        waiting
            .iter()
            .any(|(_, d)| d.text.starts_with("ALERT NVDA")),
        "{waiting:?}"
    );
}
