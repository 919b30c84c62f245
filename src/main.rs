//! The `marketbot` command line: a thin layer over the library.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};

use marketbot::clock::Clock;
use marketbot::config::{Config, ProcessEnv};
use marketbot::logging;

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
        /// Also write what the sources fetch to DIR/headlines.jsonl and DIR/quotes.csv, in
        /// the formats `replay` reads.
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
        /// Only events at or after this instant (RFC 3339).
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
        /// Labelled headlines, JSON Lines: the `replay` headline fields plus
        /// `"expect": ["rule-id", …]` (the rules whose text part should hold; `[]` for none).
        #[arg(long)]
        headlines: PathBuf,
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
        #[arg(long, value_name = "R")]
        min_recall: Option<f64>,
        /// Exit 1 if a scored rule's precision is below this (0–1).
        #[arg(long, value_name = "P")]
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
            eprintln!("marketbot: {e}");
            return ExitCode::from(2);
        }
    }
    match cli.command {
        Command::Run {
            config,
            clock_start,
            record,
        } => match run(&config, clock_start, record) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("marketbot: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Healthcheck { config } => healthcheck(&config),
        Command::Migrate { from, to, schema } => match migrate(&from, &to, schema.as_deref()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("marketbot: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Check { paths } => check(&paths),
        Command::Test { paths } => test(&paths),
        Command::Match {
            rules,
            headlines,
            format,
        } => exit(run_match(&rules, &headlines, format)),
        Command::Replay {
            rules,
            headlines,
            quotes,
            from,
            to,
            format,
        } => exit(run_replay(&rules, &headlines, &quotes, from, to, format)),
        Command::Eval {
            rules,
            headlines,
            only,
            split,
            lang,
            min_recall,
            min_precision,
            format,
        } => match run_eval(
            &rules,
            &headlines,
            &only,
            (split, lang),
            (min_recall, min_precision),
            format,
        ) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("marketbot: {e:#}");
                ExitCode::from(2)
            }
        },
    }
}

/// `migrate`: the sled directory copied into PostgreSQL.
fn migrate(from: &Path, to: &str, schema: Option<&str>) -> anyhow::Result<()> {
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
        println!("{tree:>16}  {n}");
    }
    println!(
        "copied {} entries from {} to {}; start the bot with storage.url set to it",
        copied.total(),
        from.display(),
        target.describe()
    );
    Ok(())
}

/// `eval --split`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SplitArg {
    /// The half rules are tuned on.
    Dev,
    /// The half they are judged on.
    Test,
}

/// Runs `eval`; whether every scored rule is at or above the floors.
fn run_eval(
    rules: &Path,
    headlines: &Path,
    only: &[String],
    (split, lang): (Option<SplitArg>, Option<marketbot::text::Lang>),
    (min_recall, min_precision): (Option<f64>, Option<f64>),
    format: Option<EvalFormat>,
) -> anyhow::Result<bool> {
    use marketbot::eval::{self, Split};
    let set = load_rules(&[rules.to_path_buf()])
        .map_err(|_| anyhow::anyhow!("the rules have problems (see above)"))?;
    let (mut items, errors) = eval::parse(&read(headlines)?);
    let mut stderr = std::io::stderr().lock();
    for e in errors.iter().take(10) {
        let _ = writeln!(
            stderr,
            "marketbot eval: skipping {}: {e}",
            headlines.display()
        );
    }
    if errors.len() > 10 {
        let _ = writeln!(
            stderr,
            "marketbot eval: {} more line(s) skipped",
            errors.len() - 10
        );
    }
    if let Some(half) = split {
        let half = match half {
            SplitArg::Dev => Split::Dev,
            SplitArg::Test => Split::Test,
        };
        items.retain(|l| Split::of(&l.headline) == half);
    }
    if let Some(lang) = lang {
        items.retain(|l| l.lang() == lang);
    }
    let report = eval::evaluate(&set, &items, only)?;
    let mut out = std::io::stdout().lock();
    let format = format.unwrap_or(match format_or_default(None) {
        Format::Jsonl => EvalFormat::Jsonl,
        Format::Text => EvalFormat::Text,
    });
    let written = match format {
        EvalFormat::Markdown => report.write_markdown(&mut out),
        EvalFormat::Jsonl => report.write_jsonl(&mut out),
        EvalFormat::Text => report.write_text(&mut out),
    };
    // A reader that stops early (`| head`) does not change the verdict on the floors.
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e.into());
    }
    let mut below = report.below(min_recall, min_precision);
    if (min_recall.is_some() || min_precision.is_some()) && !errors.is_empty() {
        // Figures over a set with lines left out are not the set's figures.
        below.push(format!(
            "{} line(s) of {} could not be read",
            errors.len(),
            headlines.display()
        ));
    }
    for b in &below {
        let _ = writeln!(stderr, "marketbot eval: below the floor: {b}");
    }
    Ok(below.is_empty())
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
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "marketbot: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn check(paths: &[PathBuf]) -> ExitCode {
    match marketbot::check::check(paths, &ProcessEnv) {
        Err(e) => {
            eprintln!("marketbot check: {e}");
            ExitCode::from(2)
        }
        Ok(report) if report.problems.is_empty() => {
            println!(
                "ok: {} file(s), {} rule(s), no problems",
                report.files.len(),
                report.rules
            );
            ExitCode::SUCCESS
        }
        Ok(report) => {
            print!("{}", marketbot::check::render(&report));
            println!(
                "{} problem(s) in {} file(s) checked",
                report.problems.len(),
                report.files.len()
            );
            ExitCode::from(1)
        }
    }
}

/// Compiles rules from directories and files, or prints the problems.
fn load_rules(paths: &[PathBuf]) -> Result<std::sync::Arc<marketbot::rules::RuleSet>, ExitCode> {
    let mut rule_files = Vec::new();
    let mut lexicons: Vec<marketbot::problem::SourceFile> = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        if !path.exists() {
            eprintln!("marketbot: {}: no such file or directory", path.display());
            return Err(ExitCode::from(2));
        }
        let dir = if path.is_dir() {
            path.as_path()
        } else {
            path.parent().unwrap_or(Path::new("."))
        };
        let (rules, lex, p) = marketbot::rules::read_dir(dir);
        // For one file: its own problems and its lexicons', not its neighbours'.
        let lexicon_dir = dir.join("lexicons");
        problems.extend(
            p.into_iter()
                .filter(|p| path.is_dir() || p.path == *path || p.path.starts_with(&lexicon_dir)),
        );
        if path.is_dir() {
            rule_files.extend(rules);
        } else {
            rule_files.extend(rules.into_iter().filter(|f| f.path == *path));
        }
        for l in lex {
            if !lexicons.iter().any(|x| x.path == l.path) {
                lexicons.push(l);
            }
        }
    }
    let mut files = std::collections::BTreeMap::new();
    for f in rule_files.iter().chain(&lexicons) {
        files.insert(f.path.clone(), f.text.clone());
    }
    match marketbot::rules::compile(rule_files, lexicons) {
        Ok(set) if problems.is_empty() => Ok(std::sync::Arc::new(set)),
        result => {
            if let Err(more) = result {
                problems.extend(more);
            }
            let report = marketbot::check::Report {
                problems,
                files,
                rules: 0,
            };
            print!("{}", marketbot::check::render(&report));
            Err(ExitCode::from(1))
        }
    }
}

fn test(paths: &[PathBuf]) -> ExitCode {
    let paths = if paths.is_empty() {
        vec![PathBuf::from("rules")]
    } else {
        paths.to_vec()
    };
    let set = match load_rules(&paths) {
        Ok(set) => set,
        Err(code) => return code,
    };
    let outcomes = marketbot::examples::run_all(&set);
    let failed: Vec<_> = outcomes.iter().filter(|o| !o.passed).collect();
    for o in &failed {
        let what = match &o.kind {
            marketbot::examples::Kind::Match(h) => format!("should match: {h}"),
            marketbot::examples::Kind::NoMatch(h) => format!("should not match: {h}"),
            marketbot::examples::Kind::Scenario(name) => format!("scenario: {name}"),
        };
        println!(
            "FAIL {} ({})
  {what}
  {}
",
            o.rule,
            o.path.display(),
            o.detail.replace('\n', "\n  ")
        );
    }
    println!(
        "{} example(s) in {} rule(s): {} passed, {} failed",
        outcomes.len(),
        set.rules().len(),
        outcomes.len() - failed.len(),
        failed.len()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// The rules of a directory and the headlines of a file (lines that are not headlines are
/// reported, the first ten of them, and skipped).
fn load_inputs(
    command: &str,
    rules: &Path,
    headlines: &Path,
) -> anyhow::Result<(
    std::sync::Arc<marketbot::rules::RuleSet>,
    Vec<marketbot::model::Headline>,
)> {
    let set = load_rules(&[rules.to_path_buf()])
        .map_err(|_| anyhow::anyhow!("the rules have problems (see above)"))?;
    let (headlines, problems) = marketbot::replay::parse_headlines(&read(headlines)?);
    report_skipped(command, &problems, problems.len());
    Ok((set, headlines))
}

/// Names the first ten of the `skipped` headline lines (`problems`) and counts the rest.
fn report_skipped(command: &str, problems: &[marketbot::replay::CsvError], skipped: usize) {
    for p in problems.iter().take(10) {
        eprintln!(
            "marketbot {command}: skipping headline on line {}: {}",
            p.line, p.message
        );
    }
    if skipped > 10 {
        eprintln!(
            "marketbot {command}: {} more headline line(s) skipped",
            skipped - 10
        );
    }
}

fn run_match(rules: &Path, headlines: &Path, format: Option<Format>) -> anyhow::Result<()> {
    let (set, headlines) = load_inputs("match", rules, headlines)?;
    let results = marketbot::replay::match_headlines(&set, &headlines);
    let format = format_or_default(format);
    let mut out = std::io::stdout().lock();
    for r in &results {
        match format {
            Format::Jsonl => writeln!(out, "{}", serde_json::to_string(r)?)?,
            Format::Text => {
                writeln!(out, "{}", r.title)?;
                if r.rules.is_empty() {
                    writeln!(out, "  (no rule)")?;
                }
                for m in &r.rules {
                    let terms: Vec<String> = m
                        .terms
                        .iter()
                        .map(|t| format!("{}: {}", t.selection, t.text))
                        .collect();
                    writeln!(out, "  {} [{}] {}", m.rule, m.state, terms.join(", "))?;
                }
            }
        }
    }
    Ok(())
}

fn run_replay(
    rules: &Path,
    headlines: &Path,
    quotes: &Path,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    format: Option<Format>,
) -> anyhow::Result<()> {
    use marketbot::replay::{self, BarsCsv, HeadlinesJsonl, Summary};
    let started = std::time::Instant::now();
    let set = load_rules(&[rules.to_path_buf()])
        .map_err(|_| anyhow::anyhow!("the rules have problems (see above)"))?;
    // Both files are read twice: once (side by side) to check their lines and find their time
    // order, then as streams merged by time. Nothing grows with their length but the alerts of
    // the last few days.
    let (headlines, bars) = std::thread::scope(|scope| {
        let headlines = scope.spawn(|| replay::scan(headlines, HeadlinesJsonl));
        let bars = replay::scan(quotes, BarsCsv::default());
        (headlines.join().expect("scanning headlines"), bars)
    });
    let (headlines, bars) = (headlines?, bars?);
    report_skipped("replay", &headlines.problems, headlines.skipped);
    let within = move |t: DateTime<Utc>| from.is_none_or(|f| t >= f) && to.is_none_or(|e| t < e);
    let mut engine = marketbot::engine::Engine::new(set, marketbot::engine::EngineState::default());
    let format = format_or_default(format);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut summary = Summary::default();
    let mut written: std::io::Result<()> = Ok(());
    let write = |a: marketbot::engine::Alert| {
        summary.add(&a);
        if written.is_ok() {
            written = match format {
                Format::Jsonl => serde_json::to_string(&a)
                    .map_err(std::io::Error::other)
                    .and_then(|line| writeln!(out, "{line}")),
                Format::Text => {
                    writeln!(out, "{}\n", marketbot::delivery::render::alert_text(&a))
                }
            };
        }
    };
    let counts = replay::stream(
        &mut engine,
        bars.records()?
            .filter(|b| b.as_ref().map_or(true, |b| within(b.time))),
        headlines
            .records()?
            .filter(|h| h.as_ref().map_or(true, |h| within(h.published))),
        write,
    )?;
    written?;
    out.flush()?;
    summary.headlines = counts.headlines;
    summary.bars = counts.bars;
    eprintln!("{summary} in {:.2}s", started.elapsed().as_secs_f64());
    Ok(())
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

fn run(
    config_path: &Path,
    clock_start: Option<DateTime<Utc>>,
    record: Option<PathBuf>,
) -> anyhow::Result<()> {
    let mut config = load_config(config_path)?;
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

fn healthcheck(config_path: &Path) -> ExitCode {
    let config = match load_config(config_path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("marketbot: {e:#}");
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
    match checked {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("unhealthy: {e}");
            ExitCode::FAILURE
        }
    }
}
