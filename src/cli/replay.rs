//! `match` and `replay`: recorded headlines (and bars) run through the rules, and the headline
//! input they share.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};

use super::{load_rules, note, read, some_rules};
use crate::{Format, format_or_default};

/// Names the first ten of the `skipped` headline lines (`problems`) and counts the rest.
fn report_skipped(command: &str, problems: &[marketbot::replay::CsvError], skipped: usize) {
    for p in problems.iter().take(10) {
        note(format_args!(
            "marketbot {command}: skipping headline on line {}: {}\n",
            p.line, p.message
        ));
    }
    if skipped > 10 {
        note(format_args!(
            "marketbot {command}: {} skipped\n",
            marketbot::i18n::count(skipped - 10, "more headline line", "more headline lines")
        ));
    }
}

/// `match`: the headlines of a file read one line at a time, as `replay` reads them (plain
/// titles too), each written out as soon as it is matched; lines that are not headlines are
/// reported (the first ten of them) and skipped.
pub(crate) fn run_match(
    rules: &Path,
    headlines: &Path,
    format: Option<Format>,
) -> anyhow::Result<()> {
    use marketbot::replay::{self, HeadlinesJsonl};
    let set = load_rules(&[rules.to_path_buf()])
        .map_err(|_| anyhow::anyhow!("the rules cannot be used (see above)"))?;
    some_rules("match", "match", &[rules.to_path_buf()], &set)?;
    let lines = replay::in_file_order(headlines, HeadlinesJsonl::titles_too())?;
    let format = format_or_default(format);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let (mut problems, mut skipped) = (Vec::new(), 0);
    for line in lines {
        let h = match line? {
            Ok(h) => h,
            Err(problem) => {
                skipped += 1;
                if problems.len() < 10 {
                    problems.push(problem);
                }
                continue;
            }
        };
        let r = replay::match_headline(&set, &h);
        match format {
            Format::Jsonl => writeln!(out, "{}", serde_json::to_string(&r)?)?,
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
    out.flush()?;
    report_skipped("match", &problems, skipped);
    Ok(())
}

pub(crate) fn run_replay(
    rules: &Path,
    (headlines, quotes, splits): (&Path, &Path, Option<&Path>),
    (from, to): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    format: Option<Format>,
) -> anyhow::Result<()> {
    use marketbot::replay::{self, BarsCsv, HeadlinesJsonl, Splits, Summary};
    let started = std::time::Instant::now();
    let set = load_rules(&[rules.to_path_buf()])
        .map_err(|_| anyhow::anyhow!("the rules cannot be used (see above)"))?;
    some_rules("replay", "replay", &[rules.to_path_buf()], &set)?;
    let mut splits = match splits {
        Some(path) => Splits::new(
            replay::parse_splits_csv(&read(path)?)
                .with_context(|| format!("reading {}", path.display()))?,
        ),
        None => Splits::default(),
    };
    // Both files are read twice: once (side by side) to check their lines and find their time
    // order, then as streams merged by time. Nothing grows with their length but the alerts of
    // the last few days.
    let (headlines, bars) = std::thread::scope(|scope| {
        let headlines = scope.spawn(|| replay::scan(headlines, HeadlinesJsonl::default()));
        let bars = replay::scan(quotes, BarsCsv::default());
        (headlines.join().expect("scanning headlines"), bars)
    });
    let (headlines, bars) = (headlines?, bars?);
    report_skipped("replay", &headlines.problems, headlines.skipped);
    let within = move |t: DateTime<Utc>| from.is_none_or(|f| t >= f) && to.is_none_or(|e| t < e);
    let mut engine = marketbot::engine::Engine::new(set, marketbot::engine::EngineState::default());
    // The prices before the window are history its first moves are measured against (the
    // previous close, a volume average, a 52-week low), not events: learned, not judged.
    let mut bars = bars.records()?.peekable();
    if let Some(from) = from {
        while let Some(bar) = bars.next_if(|b| b.as_ref().is_ok_and(|b| b.time < from)) {
            splits.warm(&mut engine, &bar?);
        }
    }
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
        splits,
        bars.filter(|b| b.as_ref().map_or(true, |b| within(b.time))),
        headlines
            .records()?
            .filter(|h| h.as_ref().map_or(true, |h| within(h.published))),
        write,
    )?;
    written?;
    out.flush()?;
    summary.headlines = counts.headlines;
    summary.bars = counts.bars;
    note(format_args!(
        "{summary} in {:.2}s\n",
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}
