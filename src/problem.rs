//! Problems found in a file the user wrote (config, rules, lexicons), located to
//! `file:line:col` with a hint: one shape for every diagnostic marketbot prints.

use std::cell::OnceCell;
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
    /// Reads a file; an unreadable file is a problem at line 1. A byte-order mark some
    /// editors put first is not content: left in, it would count as a column of line 1.
    pub fn read(path: &Path) -> Result<SourceFile, Problem> {
        match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(mut text) => {
                    if text.starts_with('\u{feff}') {
                        text.drain(..'\u{feff}'.len_utf8());
                    }
                    Ok(SourceFile {
                        path: path.to_path_buf(),
                        text,
                    })
                }
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

/// Text problems can point into: a whole file, or a part of one.
pub trait Located {
    /// Where the text came from (shown in problems).
    fn path(&self) -> &Path;
    /// Where in the file the spans given to [`Problem::at`] count from: 0 for a whole file.
    fn offset(&self) -> usize {
        0
    }
    /// 1-based line and column (in characters) of byte `offset` of the file.
    fn line_col(&self, offset: usize) -> (usize, usize);
}

impl Located for SourceFile {
    fn path(&self) -> &Path {
        &self.path
    }

    /// Scans the text up to `offset`: right for the one problem of a config file, too slow
    /// for many in a big file (see [`IndexedFile`]).
    fn line_col(&self, offset: usize) -> (usize, usize) {
        line_col(&self.text, offset)
    }
}

/// A source file with the start of each of its lines, found on the first lookup. A file of
/// thousands of rules locates every problem and scenario with a binary search, not with a
/// scan from its first byte (which made locating them quadratic in the file's size). Files
/// with nothing to locate never build the index.
#[derive(Debug)]
pub struct IndexedFile<'a> {
    file: &'a SourceFile,
    /// Byte offset where each line starts; the first is 0.
    line_starts: OnceCell<Vec<usize>>,
}

impl<'a> IndexedFile<'a> {
    /// Wraps `file`; the line index is built when first needed.
    pub fn new(file: &'a SourceFile) -> IndexedFile<'a> {
        IndexedFile {
            file,
            line_starts: OnceCell::new(),
        }
    }

    /// The file's text.
    pub fn text(&self) -> &'a str {
        &self.file.text
    }

    /// The file seen from byte `offset` on (see [`Excerpt`]).
    pub fn from(&self, offset: usize) -> Excerpt<'_> {
        Excerpt { file: self, offset }
    }
}

impl Located for IndexedFile<'_> {
    fn path(&self) -> &Path {
        &self.file.path
    }

    fn line_col(&self, offset: usize) -> (usize, usize) {
        let text = self.text();
        let offset = text.floor_char_boundary(offset.min(text.len()));
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        // Lines starting at or before `offset`: the first always does.
        let line = starts.partition_point(|&start| start <= offset);
        let col = text[starts[line - 1]..offset].chars().count() + 1;
        (line, col)
    }
}

/// An indexed file from one byte on: the text a part of the file was parsed from on its own,
/// whose spans count from that byte. Problems at those spans are located in the whole file.
#[derive(Clone, Copy, Debug)]
pub struct Excerpt<'a> {
    file: &'a IndexedFile<'a>,
    offset: usize,
}

impl<'a> Excerpt<'a> {
    /// The text from the excerpt's start to the end of the file: spans index into it.
    pub fn text(&self) -> &'a str {
        &self.file.text()[self.offset..]
    }
}

impl Located for Excerpt<'_> {
    fn path(&self) -> &Path {
        self.file.path()
    }

    fn offset(&self) -> usize {
        self.offset
    }

    fn line_col(&self, offset: usize) -> (usize, usize) {
        self.file.line_col(offset)
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
        file: &impl Located,
        span: Range<usize>,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Problem {
        let span = span.start + file.offset()..span.end + file.offset();
        let (line, col) = file.line_col(span.start);
        Problem {
            path: file.path().to_path_buf(),
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
    pub fn from_toml(file: &impl Located, err: &toml::de::Error) -> Problem {
        let message = err.message().trim().to_string();
        let hint = unknown_field_hint(&message);
        match err.span() {
            Some(span) => Problem::at(file, span, message, hint),
            None => Problem {
                hint,
                ..Problem::whole_file(file.path(), message)
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
    fn an_indexed_file_locates_offsets_as_a_scan_from_the_start_does() {
        let file = SourceFile {
            path: "rules/x.toml".into(),
            text: "id = \"a\"\n\nütitle = \"ä\"\r\nx\n".into(),
        };
        let indexed = IndexedFile::new(&file);
        // Every byte (also inside a character, at a line's end and past the text's end).
        for offset in 0..file.text.len() + 3 {
            assert_eq!(
                indexed.line_col(offset),
                line_col(&file.text, offset),
                "offset {offset}"
            );
        }
        let empty = SourceFile {
            path: "rules/y.toml".into(),
            text: String::new(),
        };
        assert_eq!(IndexedFile::new(&empty).line_col(5), (1, 1));
    }

    #[test]
    fn problems_in_an_excerpt_are_located_in_the_whole_file() {
        let file = SourceFile {
            path: "rules/x.toml".into(),
            text: "[[rule]]\nid = \"a\"\n[[rule]]\nid = \"b c\"\n".into(),
        };
        let indexed = IndexedFile::new(&file);
        let second = indexed.from(18);
        assert!(second.text().starts_with("[[rule]]\nid = \"b c\""));
        let p = Problem::at(&second, 14..19, "not a valid rule id", None);
        assert_eq!(p.span, Some(32..37));
        assert_eq!(&file.text[32..37], "\"b c\"");
        assert_eq!((p.line, p.col), (4, 6));
    }

    #[test]
    fn typos_get_the_closest_name() {
        let known = ["alternative".to_string(), "denial".to_string()];
        assert_eq!(closest("alternativ", &known), Some("alternative"));
        assert_eq!(closest("zzz", &known), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
