//! The `marketbot` command line: a thin layer over the library.

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};

use marketbot::logging;

use cli::{replay, rules, service};

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
        /// Also write what the sources fetch to DIR/headlines.jsonl and DIR/quotes.csv, and
        /// the splits the bot takes in to DIR/splits.csv, in the formats `replay` reads.
        #[arg(long, value_name = "DIR")]
        record: Option<PathBuf>,
    },
    /// Validate config, rule and lexicon files: every problem with file:line:col and a hint.
    /// Exit 0 when clean, 1 when problems were found, 2 when the check could not run.
    Check {
        /// Config files, rule or lexicon files, or rules directories (default: marketbot.toml).
        paths: Vec<PathBuf>,
    },
    /// Run the examples written inside rule files ([tests]). Exit 1 if any fails.
    Test {
        /// Rules directories or rule files (default: rules).
        paths: Vec<PathBuf>,
    },
    /// Show which rules' text conditions hold for each headline, and the matched terms.
    Match {
        /// The rules directory.
        #[arg(long, default_value = "rules")]
        rules: PathBuf,
        /// Headlines: JSON Lines as `replay` reads them, or one plain title per line.
        #[arg(long)]
        headlines: PathBuf,
        /// `jsonl` for one JSON object per headline, `text` for a readable list.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Replay recorded headlines and quotes through the rules, in time order with no
    /// look-ahead, and print the alerts that would have fired.
    Replay {
        /// The rules directory.
        #[arg(long, default_value = "rules")]
        rules: PathBuf,
        /// Headlines, JSON Lines.
        #[arg(long)]
        headlines: PathBuf,
        /// Bars, CSV (`symbol,time,interval,open,high,low,close,volume[,session]`).
        #[arg(long)]
        quotes: PathBuf,
        /// The splits the bot took in while it recorded (`run --record` writes them to
        /// DIR/splits.csv): the prices before each are restated where the bot restated them.
        #[arg(long, value_name = "FILE")]
        splits: Option<PathBuf>,
        /// Only events at or after this instant (RFC 3339); the prices before it are still
        /// the history the first moves are measured against.
        #[arg(long)]
        from: Option<DateTime<Utc>>,
        /// Only events before this instant (RFC 3339).
        #[arg(long)]
        to: Option<DateTime<Utc>>,
        /// `jsonl` (default when stdout is not a terminal) or `text`.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Score rules' text parts against labelled headlines: true and false positives and
    /// negatives, precision, recall and F1 per rule, then every miss and false alarm with its
    /// evidence. Exit 1 when a rule is below a floor, 2 when the evaluation could not run.
    Eval {
        /// The rules directory.
        #[arg(long, default_value = "rules")]
        rules: PathBuf,
        /// Also score the rules in this directory (the rules before a change) and show what
        /// changed: each rule's figures before and now, and every headline whose verdict
        /// changed (new and fixed misses and false alarms). Floors apply to `--rules`.
        #[arg(long, value_name = "DIR")]
        baseline: Option<PathBuf>,
        /// Labelled headlines, JSON Lines: the `replay` headline fields plus
        /// `"expect": ["rule-id", …]` (the rules whose text part should hold; `[]` for none).
        /// `--headlines FILE` is the same, spelt as `match` and `replay` spell it.
        #[arg(long = "labels", visible_alias = "headlines", value_name = "FILE")]
        headlines: PathBuf,
        /// A second, independent labelling of the same headlines (JSON Lines: `title`,
        /// `link` and its own `expect`): also show, per scored rule, how often the two
        /// readings agree, with Cohen's κ. Where careful readers disagree, no figure is exact.
        #[arg(long, value_name = "FILE")]
        second_reading: Option<PathBuf>,
        /// Score only this rule (repeatable); without it, every rule some `expect` names.
        #[arg(long = "rule", value_name = "ID")]
        only: Vec<String>,
        /// Only this half of the set, chosen by a stable hash of each headline.
        #[arg(long, value_enum)]
        split: Option<SplitArg>,
        /// Only headlines in this language (`en`, `de`: as labelled, else detected).
        #[arg(long, value_name = "LANG", value_parser = parse_lang)]
        lang: Option<marketbot::text::Lang>,
        /// Exit 1 if a scored rule's recall is below this (0–1).
        #[arg(long, value_name = "R", value_parser = parse_share)]
        min_recall: Option<f64>,
        /// Exit 1 if a scored rule's precision is below this (0–1).
        #[arg(long, value_name = "P", value_parser = parse_share)]
        min_precision: Option<f64>,
        /// `text` (default on a terminal), `jsonl`, or `markdown` (the figures as a table).
        #[arg(long, value_enum)]
        format: Option<EvalFormat>,
    },
    /// Copy a bot's state from its sled directory into an empty PostgreSQL database (or
    /// schema): chats, subscriptions, settings, personal alerts, pending deliveries, the
    /// engine's state, everything. Stop the bot first; then run it with `storage.url` set.
    Migrate {
        /// The sled directory (`storage.path` of the bot).
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
        /// The PostgreSQL store, `postgres://user:password@host:port/database`.
        #[arg(long, value_name = "URL", env = "MARKETBOT_STORAGE__URL")]
        to: String,
        /// Schema of the tables (as `storage.schema`; default `public`).
        #[arg(long, env = "MARKETBOT_STORAGE__SCHEMA")]
        schema: Option<String>,
    },
    /// Exit 0 if the bot running with this config is healthy (for Docker's HEALTHCHECK): asks
    /// its `/healthz` at `http.listen` (or, with the listener off, reads its heartbeat file).
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
    let format = std::env::var(logging::FORMAT_ENV).ok();
    match logging::Format::parse(format.as_deref()) {
        Ok(format) => logging::init(format),
        Err(e) => {
            cli::note(format_args!("marketbot: {e}\n"));
            return ExitCode::from(2);
        }
    }
    match cli.command {
        Command::Run {
            config,
            clock_start,
            record,
        } => match service::run(&config, clock_start, record) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                cli::note(format_args!("marketbot: {}\n", report(&e)));
                ExitCode::FAILURE
            }
        },
        Command::Healthcheck { config } => service::healthcheck(&config),
        Command::Migrate { from, to, schema } => {
            match service::migrate(&from, &to, schema.as_deref()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    cli::note(format_args!("marketbot: {}\n", report(&e)));
                    ExitCode::FAILURE
                }
            }
        }
        Command::Check { paths } => rules::check(&paths),
        Command::Test { paths } => rules::test(&paths),
        Command::Match {
            rules,
            headlines,
            format,
        } => exit(replay::run_match(&rules, &headlines, format)),
        Command::Replay {
            rules,
            headlines,
            quotes,
            splits,
            from,
            to,
            format,
        } => exit(replay::run_replay(
            &rules,
            (&headlines, &quotes, splits.as_deref()),
            (from, to),
            format,
        )),
        Command::Eval {
            rules,
            baseline,
            headlines,
            second_reading,
            only,
            split,
            lang,
            min_recall,
            min_precision,
            format,
        } => match rules::run_eval(
            (&rules, baseline.as_deref()),
            (&headlines, second_reading.as_deref()),
            &only,
            (split, lang),
            (min_recall, min_precision),
            format,
        ) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => cli::told(&e).unwrap_or_else(|| {
                cli::note(format_args!("marketbot: {}\n", report(&e)));
                ExitCode::from(2)
            }),
        },
    }
}

/// `eval --split`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SplitArg {
    /// The half rules are tuned on.
    Dev,
    /// The half they are judged on.
    Test,
}

/// Output format of `eval`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum EvalFormat {
    /// One JSON object per rule, then per case.
    Jsonl,
    /// Readable text.
    Text,
    /// The figures as a Markdown table.
    Markdown,
}

/// A floor of `eval`: a share from 0 to 1. `NaN` would pass every rule (no figure is below
/// it), and a floor outside 0–1 gates nothing or everything.
fn parse_share(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| (0.0..=1.0).contains(x))
        .ok_or_else(|| format!("`{text}`: expected a share from 0 to 1 (e.g. 0.8)"))
}

fn parse_lang(code: &str) -> Result<marketbot::text::Lang, String> {
    marketbot::text::Lang::from_code(code).ok_or_else(|| format!("`{code}`: expected en or de"))
}

/// Output format of `match` and `replay`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// One JSON object per line.
    Jsonl,
    /// Readable text.
    Text,
}

fn format_or_default(format: Option<Format>) -> Format {
    format.unwrap_or(if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        Format::Text
    } else {
        Format::Jsonl
    })
}

fn exit(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`marketbot match … | head`): nothing more to say to it.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => cli::told(&e).unwrap_or_else(|| {
            cli::note(format_args!("marketbot: {}\n", report(&e)));
            ExitCode::from(2)
        }),
    }
}

/// An error and its causes, each said once: many of the library's errors already end with
/// their cause, which `{:#}` would print a second time.
pub(crate) fn report(e: &anyhow::Error) -> String {
    let mut said = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !said.contains(&cause) {
            said.push_str(": ");
            said.push_str(&cause);
        }
    }
    said
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
