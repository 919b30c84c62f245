//! `run`, `healthcheck` and `migrate`: the running bot, its config and its shutdown signal.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};

use marketbot::clock::Clock;
use marketbot::config::{Config, ProcessEnv};
use marketbot::logging;

use super::{note, print};

/// The config at `path`, its schedules judged as of `now` (the bot's clock).
fn load_config(path: &Path, now: DateTime<Utc>) -> anyhow::Result<Config> {
    Config::load_at(path, &ProcessEnv, now).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
        anyhow::anyhow!(
            "the config has {}:\n{}",
            marketbot::i18n::count(problems.len(), "problem", "problems"),
            list.join("\n")
        )
    })
}

pub(crate) fn run(
    config_path: &Path,
    clock_start: Option<DateTime<Utc>>,
    record: Option<PathBuf>,
) -> anyhow::Result<()> {
    // A schedule is judged by the bot's own time: a demo started in the past runs the
    // schedules of then.
    let mut config = load_config(
        config_path,
        clock_start.unwrap_or_else(|| Clock::system().now()),
    )?;
    if let Some(token) = &config.telegram.token {
        logging::hide_token(token);
    }
    config.record_dir = record;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        // Store work runs on the blocking pool; a crowd of commands needs no more threads
        // than this (each thread costs memory, and the store serialises its flushes anyway).
        .max_blocking_threads(32)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let clock = match clock_start {
            Some(t) => Clock::anchored(t),
            None => Clock::system(),
        };
        marketbot::app::run(config, clock, shutdown_signal()).await?;
        Ok(())
    })
}

/// SIGINT (Ctrl-C) or SIGTERM (`docker stop`).
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

pub(crate) fn healthcheck(config_path: &Path) -> ExitCode {
    let config = match load_config(config_path, Clock::system().now()) {
        Ok(c) => c,
        Err(e) => {
            note(format_args!("marketbot: {}\n", crate::report(&e)));
            return ExitCode::from(2);
        }
    };
    let checked = match config.http.listen {
        // The running bot's own report of its stages.
        Some(addr) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| marketbot::health::Unhealthy::Unreachable {
                url: addr.to_string(),
                error: e.to_string(),
            })
            .and_then(|rt| rt.block_on(marketbot::health::probe(addr))),
        // Without a listener: the heartbeat file, written while the stages make progress.
        None => marketbot::health::check_file(&config.storage.path, config.http.stall_after)
            .map(|age| format!("healthy (heartbeat {}s ago)\n", age.as_secs())),
    };
    // Docker reads the answer; a reader gone or a full disk changes nothing about the verdict.
    match checked {
        Ok(report) => {
            let _ = print(format_args!("{report}"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = print(format_args!("unhealthy: {e}\n"));
            ExitCode::FAILURE
        }
    }
}

/// `migrate`: the sled directory copied into PostgreSQL.
pub(crate) fn migrate(from: &Path, to: &str, schema: Option<&str>) -> anyhow::Result<()> {
    if !marketbot::config::is_postgres_url(to) {
        anyhow::bail!(
            "--to `{}` is not a PostgreSQL address (write it as postgres://user:password@host:5432/database)",
            marketbot::config::redact_url(to)
        );
    }
    if !from.join("conf").exists() && !from.join("db").exists() {
        anyhow::bail!(
            "{} holds no marketbot state (no sled database there)",
            from.display()
        );
    }
    let source = marketbot::store::Store::open(from, 64 << 20)
        .with_context(|| format!("opening {}", from.display()))?;
    let target = marketbot::store::Store::open_postgres(to, schema)
        .with_context(|| format!("opening {}", marketbot::config::redact_url(to)))?;
    let copied = source.copy_into(&target)?;
    for (tree, n) in &copied.trees {
        print(format_args!("{tree:>16}  {n}\n"))?;
    }
    print(format_args!(
        "copied {} entries from {} to {}; start the bot with storage.url set to it\n",
        copied.total(),
        from.display(),
        target.describe()
    ))?;
    Ok(())
}
