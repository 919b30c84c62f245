//! A rules directory: its rule files and lexicons, read.

use std::path::{Path, PathBuf};

use super::{Problem, RuleSet, SourceFile, compile};

/// Reads and compiles every rule and lexicon file under `dir`.
pub fn load_dir(dir: &Path) -> Result<RuleSet, Vec<Problem>> {
    let (rule_files, lexicon_files, mut problems) = read_dir(dir);
    match compile(rule_files, lexicon_files) {
        Ok(set) if problems.is_empty() => Ok(set),
        Ok(_) => Err(problems),
        Err(more) => {
            problems.extend(more);
            Err(problems)
        }
    }
}

/// The rule files (`dir/*.toml`) and lexicon files (`dir/lexicons/*.toml`) of a directory,
/// read; unreadable files are problems.
pub fn read_dir(dir: &Path) -> (Vec<SourceFile>, Vec<SourceFile>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut read_all = |d: &Path| -> Vec<SourceFile> {
        let mut paths: Vec<PathBuf> = match std::fs::read_dir(d) {
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && d != dir => Vec::new(),
            Err(e) => {
                problems.push(Problem::whole_file(
                    d,
                    format!("cannot read directory: {e}"),
                ));
                Vec::new()
            }
        };
        paths.sort();
        paths
            .iter()
            .filter_map(|p| match SourceFile::read(p) {
                Ok(f) => Some(f),
                Err(p) => {
                    problems.push(p);
                    None
                }
            })
            .collect()
    };
    let rules = read_all(dir);
    let lexicons = read_all(&dir.join("lexicons"));
    (rules, lexicons, problems)
}
