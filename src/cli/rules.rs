//! `check`, `test` and `eval`: config and rule files validated, rule examples run, rules scored.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use marketbot::config::ProcessEnv;
use marketbot::i18n::count;

use super::{load_rules, note, print, read_bytes, some_rules};
use crate::{EvalFormat, Format, SplitArg, format_or_default};

pub(crate) fn check(paths: &[PathBuf]) -> ExitCode {
    let report = match marketbot::check::check(paths, &ProcessEnv) {
        Ok(report) => report,
        Err(e) => {
            note(format_args!("marketbot check: {e}\n"));
            return ExitCode::from(2);
        }
    };
    let warnings = match report.warnings.len() {
        0 => String::new(),
        n => format!(", {}", count(n, "warning", "warnings")),
    };
    let (verdict, summary) = if report.problems.is_empty() {
        (
            ExitCode::SUCCESS,
            format!(
                "ok: {}, {}, no problems{warnings}",
                count(report.files.len(), "file", "files"),
                count(report.rules, "rule", "rules")
            ),
        )
    } else {
        (
            ExitCode::from(1),
            format!(
                "{}{warnings} in {} checked",
                count(report.problems.len(), "problem", "problems"),
                count(report.files.len(), "file", "files")
            ),
        )
    };
    let rendered = marketbot::check::render(&report);
    match print(format_args!("{rendered}{summary}\n")) {
        Ok(()) => verdict,
        Err(e) => {
            note(format_args!("marketbot check: writing the report: {e}\n"));
            ExitCode::from(2)
        }
    }
}

pub(crate) fn test(paths: &[PathBuf]) -> ExitCode {
    let paths = if paths.is_empty() {
        vec![PathBuf::from("rules")]
    } else {
        paths.to_vec()
    };
    let set = match load_rules(&paths) {
        Ok(set) => set,
        Err(code) => return code,
    };
    // A path with no rule in it (a misspelt directory, `README.md`) is no pass.
    if let Err(told) = some_rules("test", "test", &paths, &set) {
        return told.0;
    }
    let outcomes = marketbot::examples::run_all(&set);
    let failed: Vec<_> = outcomes.iter().filter(|o| !o.passed).collect();
    let written = failed
        .iter()
        .try_for_each(|o| {
            let what = match &o.kind {
                marketbot::examples::Kind::Match(h) => format!("should match: {h}"),
                marketbot::examples::Kind::NoMatch(h) => format!("should not match: {h}"),
                marketbot::examples::Kind::Scenario(name) => format!("scenario: {name}"),
            };
            print(format_args!(
                "FAIL {} ({})\n  {what}\n  {}\n\n",
                o.rule,
                o.path.display(),
                o.detail.replace('\n', "\n  ")
            ))
        })
        .and_then(|()| {
            print(format_args!(
                "{} in {}: {} passed, {} failed\n",
                count(outcomes.len(), "example", "examples"),
                count(set.rules().len(), "rule", "rules"),
                outcomes.len() - failed.len(),
                failed.len()
            ))
        });
    if let Err(e) = written {
        note(format_args!("marketbot test: writing the outcomes: {e}\n"));
        return ExitCode::from(2);
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Runs `eval`; whether every scored rule is at or above the floors.
pub(crate) fn run_eval(
    (rules, baseline): (&Path, Option<&Path>),
    (headlines, second_reading): (&Path, Option<&Path>),
    only: &[String],
    (split, lang): (Option<SplitArg>, Option<marketbot::text::Lang>),
    (min_recall, min_precision): (Option<f64>, Option<f64>),
    format: Option<EvalFormat>,
) -> anyhow::Result<bool> {
    use marketbot::eval::{self, Split};
    let set = load_rules(&[rules.to_path_buf()])
        .map_err(|_| anyhow::anyhow!("the rules cannot be used (see above)"))?;
    some_rules("eval", "score", &[rules.to_path_buf()], &set)?;
    let (mut items, errors) = eval::parse(read_bytes(headlines)?);
    let mut stderr = std::io::stderr().lock();
    name_skipped(&mut stderr, headlines, &errors);
    // Read before anything is written: a missing file must not follow a finished report.
    let mut second = match second_reading {
        Some(path) => {
            let (readings, errors) = eval::parse_readings(read_bytes(path)?);
            name_skipped(&mut stderr, path, &errors);
            Some((path, readings))
        }
        None => None,
    };
    let half = split.map(|half| match half {
        SplitArg::Dev => Split::Dev,
        SplitArg::Test => Split::Test,
    });
    if let Some(half) = half {
        items.retain(|l| Split::of(&l.headline) == half);
        // The second reading is split by the same hash; a language it need not say, so under
        // --lang its headlines of the other language are not counted (below).
        if let Some((_, readings)) = &mut second {
            readings.retain(|r| Split::of_key(&r.title, r.link.as_deref()) == half);
        }
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
    let written = match baseline {
        Some(dir) => {
            let before = load_rules(&[dir.to_path_buf()])
                .map_err(|_| anyhow::anyhow!("the baseline rules cannot be used (see above)"))?;
            let then = eval::evaluate(&before, &items, only)
                .with_context(|| format!("scoring the baseline {}", dir.display()))?;
            let compared = eval::Comparison::of(&then, &report);
            match format {
                EvalFormat::Markdown => compared.write_markdown(&mut out),
                EvalFormat::Jsonl => compared.write_jsonl(&mut out),
                EvalFormat::Text => compared.write_text(&mut out),
            }
        }
        None => match format {
            EvalFormat::Markdown => report.write_markdown(&mut out),
            EvalFormat::Jsonl => report.write_jsonl(&mut out),
            EvalFormat::Text => report.write_text(&mut out),
        },
    };
    let written = written.and_then(|()| match &second {
        Some((path, readings)) => {
            let mut agreement =
                eval::Agreement::of(&items, readings, report.rules.keys().map(String::as_str));
            if lang.is_some() {
                agreement.second_unmatched = None;
            }
            // Under --rule the other rules are left out on purpose, and under --lang the second
            // reading's lines of the other language (it does not say its language) may expect
            // rules no kept headline does: only ids no rule has are worth a word there.
            let narrowed = !only.is_empty() || lang.is_some();
            agreement
                .uncompared
                .retain(|id| !narrowed || !set.rules().iter().any(|r| r.id == *id));
            warn_about_reading(&mut stderr, path, &agreement);
            match format {
                EvalFormat::Markdown => agreement.write_markdown(&mut out),
                EvalFormat::Jsonl => agreement.write_jsonl(&mut out),
                EvalFormat::Text => agreement.write_text(&mut out),
            }
        }
        None => Ok(()),
    });
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
            "{} of {} could not be read",
            count(errors.len(), "line", "lines"),
            headlines.display()
        ));
    }
    for b in &below {
        let _ = writeln!(stderr, "marketbot eval: below the floor: {b}");
    }
    Ok(below.is_empty())
}

/// What a second reading holds that the agreement does not count: repeated lines, rule ids
/// not compared, and no shared headline at all.
fn warn_about_reading(
    stderr: &mut impl Write,
    path: &Path,
    agreement: &marketbot::eval::Agreement,
) {
    let path = path.display();
    let n = agreement.repeated;
    if n > 0 {
        let lines = if n == 1 {
            "line repeats"
        } else {
            "lines repeat"
        };
        let _ = writeln!(
            stderr,
            "marketbot eval: {path}: {n} {lines} a headline labelled earlier in the file; only the first line for each headline counts",
        );
    }
    if !agreement.uncompared.is_empty() {
        let names: Vec<_> = agreement.uncompared.iter().map(String::as_str).collect();
        let _ = writeln!(
            stderr,
            "marketbot eval: {path}: names rule ids not compared here, so their labels are not counted (no headline scored here expects them, or misspelt): {}",
            names.join(", ")
        );
    }
    if agreement.shared == 0 {
        let _ = writeln!(
            stderr,
            "marketbot eval: the second reading holds none of these headlines (matched by title and link)"
        );
    }
}

/// Names the first ten lines of `path` that could not be read, and counts the rest.
fn name_skipped(stderr: &mut impl Write, path: &Path, errors: &[marketbot::eval::LabelError]) {
    for e in errors.iter().take(10) {
        let _ = writeln!(stderr, "marketbot eval: skipping {}: {e}", path.display());
    }
    if errors.len() > 10 {
        let _ = writeln!(
            stderr,
            "marketbot eval: {} of {} skipped",
            count(errors.len() - 10, "more line", "more lines"),
            path.display()
        );
    }
}
