//! The `marketbot` command line: a thin layer over the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};

use marketbot::clock::Clock;
use marketbot::config::{Config, ProcessEnv};

/// A self-hosted Telegram bot that sends one alert when market news meets a price move.
#[derive(Parser)]
#[command(name = "marketbot", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the bot: scheduler, sources, rule engine, Telegram, delivery.
    Run {
        /// The config file.
        #[arg(
            long,
            short,
            env = "MARKETBOT_CONFIG",
            default_value = "marketbot.toml"
        )]
        config: PathBuf,
        /// Start the bot's clock at this instant (RFC 3339) instead of now, and let it run
        /// from there: for rehearsals against recorded or simulated sources.
        #[arg(long, value_name = "RFC3339")]
        clock_start: Option<DateTime<Utc>>,
    },
    /// Exit 0 if the bot running with this config is healthy (for Docker's HEALTHCHECK).
    Healthcheck {
        /// The config file.
        #[arg(
            long,
            short,
            env = "MARKETBOT_CONFIG",
            default_value = "marketbot.toml"
        )]
        config: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("MARKETBOT_LOG").unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new(
                "info,sled=warn,hyper=warn,reqwest=warn,teloxide=warn",
            )
        });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Run {
            config,
            clock_start,
        } => match run(&config, clock_start) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("marketbot: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Healthcheck { config } => healthcheck(&config),
    }
}

fn load_config(path: &Path) -> anyhow::Result<Config> {
    Config::load(path, &ProcessEnv).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
        anyhow::anyhow!(
            "the config has {} problem(s):\n{}",
            problems.len(),
            list.join("\n")
        )
    })
}

fn run(config_path: &Path, clock_start: Option<DateTime<Utc>>) -> anyhow::Result<()> {
    let config = load_config(config_path)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
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

fn healthcheck(config_path: &Path) -> ExitCode {
    let config = match load_config(config_path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("marketbot: {e:#}");
            return ExitCode::from(2);
        }
    };
    match marketbot::health::check(&config.storage.path) {
        Ok(age) => {
            println!("healthy (heartbeat {}s ago)", age.as_secs());
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("unhealthy: {e}");
            ExitCode::FAILURE
        }
    }
}
