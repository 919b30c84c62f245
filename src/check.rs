//! `marketbot check`: every problem in config, rule and lexicon files, found in one run and
//! shown as `file:line:col` with the source line, a caret under the span and a hint.
//!
//! Paths may be rules directories, rule or lexicon files, or config files (a config also
//! brings its rules directory, and rules are then checked against the symbols the config
//! fetches). With no paths, `marketbot.toml` (or `rules/`) in the working directory.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;

use crate::config::{Config, Env};
use crate::problem::{Problem, SourceFile};
use crate::rules::{self, RuleSet};

/// What a check found.
#[derive(Debug, Default)]
pub struct Report {
    /// Every problem, in file order.
    pub problems: Vec<Problem>,
    /// What is valid but likely not what was meant (a rule's price conditions on a symbol no
    /// quote source fetches), in file order: shown, but the files pass.
    pub warnings: Vec<Problem>,
    /// The files that were read, with their text (for rendering).
    pub files: BTreeMap<PathBuf, String>,
    /// Rules that compiled.
    pub rules: usize,
}

/// Why a check could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// A path does not exist.
    #[error("{0}: no such file or directory")]
    Missing(PathBuf),
    /// No path given and nothing to check here.
    #[error(
        "nothing to check: give a config file or a rules directory (no marketbot.toml or rules/ here)"
    )]
    Nothing,
}

/// What kind of file a path holds.
enum Kind {
    Config,
    Rules,
    Lexicon,
}

fn kind_of(file: &SourceFile) -> Kind {
    let name = file.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    match toml::from_str::<toml::Table>(&file.text) {
        Ok(table) => {
            if table.contains_key("entity") || table.contains_key("concept") {
                Kind::Lexicon
            } else if ["id", "condition", "rule"]
                .iter()
                .any(|k| table.contains_key(*k))
            {
                Kind::Rules
            } else if ["telegram", "storage", "rules", "http", "quotes", "feeds"]
                .iter()
                .any(|k| table.contains_key(*k))
                || name.starts_with("marketbot")
            {
                Kind::Config
            } else {
                Kind::Rules
            }
        }
        // Broken TOML: judge by where it lives.
        Err(_) if name.starts_with("marketbot") => Kind::Config,
        Err(_)
            if file
                .path
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|d| d == "lexicons") =>
        {
            Kind::Lexicon
        }
        Err(_) => Kind::Rules,
    }
}

/// Checks `paths` (see the module docs); `env` supplies overrides as for `run`.
pub fn check(paths: &[PathBuf], env: &dyn Env) -> Result<Report, CheckError> {
    let mut paths = paths.to_vec();
    if paths.is_empty() {
        if Path::new("marketbot.toml").is_file() {
            paths.push("marketbot.toml".into());
        } else if Path::new("rules").is_dir() {
            paths.push("rules".into());
        } else {
            return Err(CheckError::Nothing);
        }
    }
    if let Some(missing) = paths.iter().find(|p| !p.exists()) {
        return Err(CheckError::Missing(missing.clone()));
    }
    let mut report = Report::default();
    let mut rule_dirs: BTreeSet<PathBuf> = BTreeSet::new();
    let mut symbols: Option<BTreeSet<String>> = None;
    let mut sets: Vec<(RuleSet, Vec<SourceFile>)> = Vec::new();

    for path in &paths {
        if path.is_dir() {
            rule_dirs.insert(path.clone());
            continue;
        }
        let file = match SourceFile::read(path) {
            Ok(f) => f,
            Err(p) => {
                report.problems.push(p);
                continue;
            }
        };
        report.files.insert(file.path.clone(), file.text.clone());
        match kind_of(&file) {
            Kind::Config => match Config::parse(&file, env) {
                Ok(config) => {
                    let fetched: BTreeSet<String> = config
                        .quotes
                        .iter()
                        .flat_map(|q| q.symbols.iter().cloned())
                        .collect();
                    symbols.get_or_insert_with(BTreeSet::new).extend(fetched);
                    if config.rules_dir.is_dir() {
                        rule_dirs.insert(config.rules_dir.clone());
                    } else {
                        report.problems.push(Problem::whole_file(
                            &file.path,
                            format!(
                                "the rules directory {} does not exist",
                                config.rules_dir.display()
                            ),
                        ));
                    }
                }
                Err(problems) => report.problems.extend(problems),
            },
            Kind::Rules => {
                let lexicons = path
                    .parent()
                    .map(|d| rules::read_dir(d).1)
                    .unwrap_or_default();
                for l in &lexicons {
                    report.files.insert(l.path.clone(), l.text.clone());
                }
                match rules::compile(vec![file.clone()], lexicons) {
                    Ok(set) => sets.push((set, vec![file])),
                    Err(problems) => report.problems.extend(problems),
                }
            }
            Kind::Lexicon => {
                if let Err(problems) = rules::compile(Vec::new(), vec![file]) {
                    report.problems.extend(problems);
                }
            }
        }
    }
    for dir in rule_dirs {
        let (rule_files, lexicon_files, problems) = rules::read_dir(&dir);
        report.problems.extend(problems);
        for f in rule_files.iter().chain(&lexicon_files) {
            report.files.insert(f.path.clone(), f.text.clone());
        }
        if rule_files.is_empty() {
            report.problems.push(Problem::whole_file(
                &dir,
                "no rule files (*.toml) in this directory",
            ));
        }
        match rules::compile(rule_files.clone(), lexicon_files) {
            Ok(set) => sets.push((set, rule_files)),
            Err(problems) => report.problems.extend(problems),
        }
    }

    for (set, files) in &sets {
        report.rules += set.rules().len();
        let Some(fetched) = &symbols else { continue };
        // A rule on a symbol nobody fetches is valid (its text still matches, and a config
        // may fetch it later), but its price conditions can never hold there.
        for rule in set.rules().iter().filter(|r| r.has_price()) {
            let Some(file) = files.iter().find(|f| f.path == *rule.path) else {
                continue;
            };
            for symbol in rule.symbols.iter().filter(|s| !fetched.contains(*s)) {
                let needle = format!("\"{symbol}\"");
                let at = file
                    .text
                    .find(&needle)
                    .map_or(0..0, |i| i..i + needle.len());
                report.warnings.push(Problem::at(
                    file,
                    at,
                    format!("rule `{}` watches `{symbol}`, but no [[quotes]] source fetches it: its price conditions cannot hold for `{symbol}`", rule.id),
                    Some(format!("add `{symbol}` to the `symbols` of a [[quotes]] entry, or remove it from the rule")),
                ));
            }
        }
    }
    for list in [&mut report.problems, &mut report.warnings] {
        list.sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
        list.dedup();
    }
    Ok(report)
}

/// The problems, then the warnings, rendered: a header line each with `file:line:col`, the
/// source line with a caret, and the hint.
pub fn render(report: &Report) -> String {
    let mut files = SimpleFiles::new();
    let mut ids = BTreeMap::new();
    for (path, text) in &report.files {
        ids.insert(
            path.clone(),
            files.add(path.display().to_string(), text.clone()),
        );
    }
    let config = term::Config::default();
    let mut out = String::new();
    let errors = report
        .problems
        .iter()
        .map(|p| (Diagnostic::error(), "error", p));
    let warnings = report
        .warnings
        .iter()
        .map(|p| (Diagnostic::warning(), "warning", p));
    for (diagnostic, word, p) in errors.chain(warnings) {
        let mut diagnostic = diagnostic.with_message(&p.message);
        match (ids.get(&p.path), &p.span) {
            (Some(id), Some(span)) => {
                let text = &report.files[&p.path];
                let end = span.end.min(text.len()).max(span.start.min(text.len()));
                let start = span.start.min(end);
                diagnostic = diagnostic.with_labels(vec![Label::primary(*id, start..end)]);
            }
            _ => {
                out.push_str(&format!(
                    "{word}: {}\n  ┌─ {}:{}:{}\n",
                    p.message,
                    p.path.display(),
                    p.line,
                    p.col
                ));
                if let Some(hint) = &p.hint {
                    out.push_str(&format!("  = hint: {hint}\n"));
                }
                out.push('\n');
                continue;
            }
        }
        if let Some(hint) = &p.hint {
            diagnostic = diagnostic.with_notes(vec![format!("hint: {hint}")]);
        }
        match term::emit_into_string(&config, &files, &diagnostic) {
            Ok(s) => out.push_str(&s),
            Err(_) => out.push_str(&format!(
                "{word}: {}\n  ┌─ {}:{}:{}\n",
                p.message,
                p.path.display(),
                p.line,
                p.col
            )),
        }
        out.push('\n');
    }
    out
}
