//! Problems found in a file the user wrote (config, rules, lexicons), located to
//! `file:line:col` with a hint: one shape for every diagnostic marketbot prints.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A file's path and text, kept together so problems can quote the offending line.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Where the text came from (shown in problems).
    pub path: PathBuf,
    /// The file's contents.
    pub text: String,
}

impl SourceFile {
    /// Reads a file; an unreadable file is a problem at line 1.
    pub fn read(path: &Path) -> Result<SourceFile, Problem> {
        match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Ok(SourceFile {
                    path: path.to_path_buf(),
                    text,
                }),
                Err(e) => Err(Problem::whole_file(
                    path,
                    format!(
                        "not UTF-8 text (invalid byte at offset {})",
                        e.utf8_error().valid_up_to()
                    ),
                )),
            },
            Err(e) => Err(Problem::whole_file(path, format!("cannot read: {e}"))),
        }
    }
}

/// One thing wrong with a rule, lexicon or config file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file.
    pub path: PathBuf,
    /// Byte range in the file, when known.
    pub span: Option<Range<usize>>,
    /// 1-based line of the span's start (1 when unknown).
    pub line: usize,
    /// 1-based column (in characters) of the span's start.
    pub col: usize,
    /// What is wrong.
    pub message: String,
    /// What to try instead.
    pub hint: Option<String>,
}

impl Problem {
    /// A problem at `span` of `file`.
    pub fn at(
        file: &SourceFile,
        span: Range<usize>,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Problem {
        let (line, col) = line_col(&file.text, span.start);
        Problem {
            path: file.path.clone(),
            span: Some(span),
            line,
            col,
            message: message.into(),
            hint,
        }
    }

    /// A problem with the file as a whole.
    pub fn whole_file(path: &Path, message: impl Into<String>) -> Problem {
        Problem {
            path: path.to_path_buf(),
            span: None,
            line: 1,
            col: 1,
            message: message.into(),
            hint: None,
        }
    }

    /// A TOML or serde error, located.
    pub fn from_toml(file: &SourceFile, err: &toml::de::Error) -> Problem {
        let message = err.message().trim().to_string();
        let hint = unknown_field_hint(&message);
        match err.span() {
            Some(span) => Problem::at(file, span, message, hint),
            None => Problem {
                hint,
                ..Problem::whole_file(&file.path, message)
            },
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.col,
            self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

/// Turns serde's "unknown field `x`, expected one of `a`, `b`" into "did you mean `a`?".
fn unknown_field_hint(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (name, rest) = rest.split_once('`')?;
    let expected: Vec<String> = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    closest(name, &expected).map(|c| format!("did you mean `{c}`?"))
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The known name closest to `name`, if it is close enough to be a typo.
pub fn closest<'a>(name: &str, known: &'a [String]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4) || (name.len() >= 3 && k.starts_with(name)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}

/// Levenshtein distance, for "did you mean" hints.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        assert_eq!(line_col("abc", 0), (1, 1));
        assert_eq!(line_col("a\nbc", 3), (2, 2));
        assert_eq!(line_col("ä\nüx", 5), (2, 2));
        assert_eq!(line_col("ab", 99), (1, 3));
    }

    #[test]
    fn typos_get_the_closest_name() {
        let known = ["alternative".to_string(), "denial".to_string()];
        assert_eq!(closest("alternativ", &known), Some("alternative"));
        assert_eq!(closest("zzz", &known), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
