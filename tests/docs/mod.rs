//! README.md, QUALITY.md, corpus/README.md and docs/*.md checked against the code: every TOML
//! block compiles as a rule or parses as a config, every environment variable is one the bot
//! reads, every command line uses real subcommands and flags (and the offline ones run), every
//! link and anchor leads somewhere, a published port reaches the listener in the container, the
//! tables name every command, config key, shipped rule, concept and metric as the code knows
//! them, the quality figures are what `eval` prints, and the sample alert is the one the seed
//! story gives.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use marketbot::config::Config;
use marketbot::problem::SourceFile;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One Markdown file: its path from the repository root, and its text.
struct Doc {
    rel: String,
    text: String,
}

impl Doc {
    fn dir(&self) -> PathBuf {
        root()
            .join(&self.rel)
            .parent()
            .expect("a file has a directory")
            .to_path_buf()
    }
}

/// README.md, QUALITY.md, corpus/README.md and every docs/*.md.
fn docs() -> Vec<Doc> {
    let mut rels = vec![
        "README.md".to_string(),
        "QUALITY.md".to_string(),
        "corpus/README.md".to_string(),
    ];
    let mut more: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.expect("a directory entry").file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    more.sort();
    rels.extend(more);
    rels.into_iter()
        .map(|rel| Doc {
            text: std::fs::read_to_string(root().join(&rel)).expect("readable"),
            rel,
        })
        .collect()
}

fn doc(rel: &str) -> Doc {
    docs()
        .into_iter()
        .find(|d| d.rel == rel)
        .unwrap_or_else(|| panic!("{rel} exists"))
}

/// A fenced code block.
struct Block {
    lang: String,
    body: String,
    /// The line of its opening fence (1-based).
    line: usize,
}

/// The fenced blocks of a Markdown text, and the text with their lines blanked (prose).
fn split(text: &str) -> (Vec<Block>, String) {
    let mut blocks = Vec::new();
    let mut prose = String::new();
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        match (&mut open, line.trim_start().strip_prefix("```")) {
            (None, Some(lang)) => {
                open = Some(Block {
                    lang: lang.trim().to_string(),
                    body: String::new(),
                    line: i + 1,
                })
            }
            (Some(_), Some(_)) => blocks.extend(open.take()),
            (Some(b), None) => {
                b.body.push_str(line);
                b.body.push('\n');
            }
            (None, None) => prose.push_str(line),
        }
        prose.push('\n');
    }
    assert!(open.is_none(), "a code block is not closed");
    (blocks, prose)
}

/// The `inline code` spans of prose, with their line numbers.
fn code_spans(prose: &str) -> Vec<(usize, String)> {
    let mut spans = Vec::new();
    for (i, line) in prose.lines().enumerate() {
        let mut rest = line;
        while let Some(start) = rest.find('`') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('`') else { break };
            spans.push((i + 1, after[..end].to_string()));
            rest = &after[end + 1..];
        }
    }
    spans
}

/// The rows of the first table after `heading` (a line of the prose), as trimmed cells.
fn table_after(prose: &str, heading: &str) -> Vec<Vec<String>> {
    let start = prose
        .find(heading)
        .unwrap_or_else(|| panic!("`{heading}` is there"));
    prose[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.replace("\\|", "\u{1}")
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().replace('\u{1}', "|"))
                .collect()
        })
        .collect()
}

/// The `code` spans of a table cell.
fn cell_spans(cell: &str) -> Vec<String> {
    code_spans(cell).into_iter().map(|(_, s)| s).collect()
}

/// GitHub's anchor for a heading.
fn slug(heading: &str) -> String {
    let mut out = String::new();
    for c in heading.trim().chars() {
        if c.is_alphanumeric() || c == '-' || c == '_' {
            out.extend(c.to_lowercase());
        } else if c == ' ' {
            out.push('-');
        }
    }
    out
}

/// The anchors of a Markdown file's headings (outside code blocks), with GitHub's numbering
/// of repeats.
fn anchors(text: &str) -> BTreeSet<String> {
    let (_, prose) = split(text);
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = BTreeSet::new();
    for line in prose.lines() {
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if hashes == 0 || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(&line[hashes..]);
        let n = seen.entry(base.clone()).or_default();
        out.insert(if *n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        });
        *n += 1;
    }
    out
}

fn example_config_file() -> SourceFile {
    let path = root().join("marketbot.example.toml");
    SourceFile {
        text: std::fs::read_to_string(&path).expect("the example config"),
        path,
    }
}

mod commands;
mod config;
mod quality;
mod tables;
