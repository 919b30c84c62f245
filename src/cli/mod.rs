//! The subcommands behind the command line, and what several of them share: reading a file,
//! compiling rules, writing to standard output and error.

pub(crate) mod replay;
pub(crate) mod rules;
pub(crate) mod service;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

/// Writes to standard output. A reader that went away (`marketbot check | head`) has read all
/// it wanted: the rest is dropped quietly, as Unix tools do, and the command goes on to its
/// verdict. Any other failure to write is the caller's to report.
pub(crate) fn print(text: std::fmt::Arguments<'_>) -> std::io::Result<()> {
    match std::io::stdout().lock().write_fmt(text) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Writes a message to standard error; one nobody can read any more is dropped, not a panic.
pub(crate) fn note(text: std::fmt::Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(text);
}

/// Compiles rules from directories and files, or prints the problems.
fn load_rules(paths: &[PathBuf]) -> Result<std::sync::Arc<marketbot::rules::RuleSet>, ExitCode> {
    let mut rule_files = Vec::new();
    let mut lexicons: Vec<marketbot::problem::SourceFile> = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        if !path.exists() {
            note(format_args!(
                "marketbot: {}: no such file or directory\n",
                path.display()
            ));
            return Err(ExitCode::from(2));
        }
        // A bare file name (`marketbot test seed.toml`) has the empty path as its parent:
        // its directory is the working one, whose files read back as `./seed.toml`.
        let (dir, file) = if path.is_dir() {
            (path.clone(), None)
        } else {
            let dir = match path.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir,
                _ => Path::new("."),
            };
            (
                dir.to_path_buf(),
                Some(dir.join(path.file_name().unwrap_or_default())),
            )
        };
        let (rules, lex, p) = marketbot::rules::read_dir(&dir);
        // For one file: its own problems and its lexicons', not its neighbours'.
        let lexicon_dir = dir.join("lexicons");
        problems.extend(p.into_iter().filter(|p| {
            file.as_ref()
                .is_none_or(|f| p.path == *f || p.path.starts_with(&lexicon_dir))
        }));
        match &file {
            None => rule_files.extend(rules),
            Some(file) => rule_files.extend(rules.into_iter().filter(|f| f.path == *file)),
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
                ..Default::default()
            };
            if let Err(e) = print(format_args!("{}", marketbot::check::render(&report))) {
                note(format_args!(
                    "marketbot: writing the rules' problems: {e}\n"
                ));
            }
            Err(ExitCode::from(1))
        }
    }
}

/// A command's failure already told to the user, with the exit code it ends in: `main` says
/// nothing more about it.
#[derive(Debug)]
pub(crate) struct Told(pub(crate) ExitCode);

impl std::fmt::Display for Told {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("told already")
    }
}

impl std::error::Error for Told {}

/// The exit code of a failure already told ([`Told`]), if `e` is one.
pub(crate) fn told(e: &anyhow::Error) -> Option<ExitCode> {
    e.downcast_ref::<Told>().map(|t| t.0)
}

/// A command that uses rules (`test`, `match`, `replay`, `eval`) and found none in `paths` —
/// an empty or misspelt directory — has nothing to `verb`: it says so and fails with exit 2,
/// as `check` calls such a directory a problem, instead of passing on nothing.
pub(crate) fn some_rules(
    command: &str,
    verb: &str,
    paths: &[PathBuf],
    set: &marketbot::rules::RuleSet,
) -> Result<(), Told> {
    if !set.rules().is_empty() {
        return Ok(());
    }
    let named: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    note(format_args!(
        "marketbot {command}: no rule in {}: nothing to {verb}\n",
        named.join(", ")
    ));
    Err(Told(ExitCode::from(2)))
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// A file's bytes, for a reader that judges each line's text itself (`eval`: a line that is not
/// UTF-8 is named and skipped, not the whole file refused).
fn read_bytes(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}
