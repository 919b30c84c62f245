//! The records of a file in time order, read as a stream.
//!
//! Recorded files are time-ordered, or nearly: `record` writes bars as they arrive, an export
//! may list one symbol after another. A first pass reads every line's time (a headline file is
//! read whole, so its bad lines are reported before anything is replayed) and notes where the
//! time goes backwards: the file is a few
//! time-ordered *runs*. The second pass reads all runs at once, each from its own offset, and
//! merges them by time. Memory is one buffer per run, whatever the file's size; a file of more
//! than [`MAX_RUNS`] runs (shuffled) is refused with the line where its order first breaks.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::CsvError;

/// The most time-ordered runs a file may consist of (for example one per symbol).
pub const MAX_RUNS: usize = 512;
/// The longest line read; a longer one is an error (of that line) and is skipped.
pub const MAX_LINE: usize = 1 << 20;
/// The buffer each run is read through.
const RUN_BUFFER: usize = 16 * 1024;

/// How the lines of a file become records.
pub trait LineFormat: Clone {
    /// What a line holds.
    type Record;
    /// Whether a bad line stops the replay; otherwise it is skipped and reported.
    const STRICT: bool;
    /// Reads line `n` (1-based): `None` for a line without a record (blank, comment, header).
    fn read(&mut self, line: &str, n: usize) -> Result<Option<Self::Record>, CsvError>;
    /// When a record happened.
    fn time(record: &Self::Record) -> DateTime<Utc>;
    /// When line `n`'s record happened, as the first pass reads it: a format may check only
    /// what ordering needs and leave the rest to [`read`](Self::read) (a strict format's bad
    /// line then stops the replay when it is reached).
    fn time_of(&mut self, line: &str, n: usize) -> Result<Option<DateTime<Utc>>, CsvError> {
        Ok(self.read(line, n)?.map(|r| Self::time(&r)))
    }
}

/// Why a file cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// It cannot be read.
    #[error("reading {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line of it is wrong.
    #[error("{}: {error}", path.display())]
    Line {
        /// The file.
        path: PathBuf,
        /// The line and what is wrong with it.
        error: CsvError,
    },
}

/// One time-ordered stretch of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    /// Byte offset of its first line.
    start: u64,
    /// Byte offset just past its last line.
    end: u64,
    /// Number of its first line.
    line: usize,
}

/// A file read once: its runs, and the problems of the lines that were skipped.
#[derive(Debug)]
pub struct Scanned<F> {
    path: PathBuf,
    format: F,
    runs: Vec<Run>,
    /// Records in the file.
    pub records: usize,
    /// The first problems of skipped lines (at most ten).
    pub problems: Vec<CsvError>,
    /// How many lines were skipped.
    pub skipped: usize,
}

/// One line read: its number, the byte offset where it starts, and its text (or why it has
/// none).
type Line<'a> = (usize, u64, Result<&'a str, CsvError>);

/// Reads a file line by line: each line's number, its byte offset after it, and its text (an
/// over-long or non-UTF-8 line comes back as an error of that line and is skipped).
struct Lines<R> {
    reader: R,
    buf: Vec<u8>,
    offset: u64,
    line: usize,
}

impl<R: BufRead> Lines<R> {
    fn new(reader: R, offset: u64, line: usize) -> Lines<R> {
        Lines {
            reader,
            buf: Vec::new(),
            offset,
            line,
        }
    }

    /// The next line, `None` at the end.
    fn next_line(&mut self) -> std::io::Result<Option<Line<'_>>> {
        self.buf.clear();
        let before = self.offset;
        let read = (&mut self.reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut self.buf)?;
        if read == 0 {
            return Ok(None);
        }
        self.offset += read as u64;
        self.line += 1;
        let n = self.line;
        if self.buf.len() > MAX_LINE && self.buf.last() != Some(&b'\n') {
            // Skip the rest of the line without holding it.
            loop {
                let chunk = self.reader.fill_buf()?;
                if chunk.is_empty() {
                    break;
                }
                match chunk.iter().position(|b| *b == b'\n') {
                    Some(i) => {
                        self.reader.consume(i + 1);
                        self.offset += i as u64 + 1;
                        break;
                    }
                    None => {
                        let len = chunk.len();
                        self.reader.consume(len);
                        self.offset += len as u64;
                    }
                }
            }
            let message = format!("longer than {} KiB", MAX_LINE / 1024);
            return Ok(Some((n, before, Err(CsvError { line: n, message }))));
        }
        let text = std::str::from_utf8(&self.buf).map_err(|_| CsvError {
            line: n,
            message: "not UTF-8 text".into(),
        });
        Ok(Some((n, before, text)))
    }
}

/// Reads `path` once with `format`: checks every line and finds the file's time-ordered runs.
pub fn scan<F: LineFormat>(path: &Path, mut format: F) -> Result<Scanned<F>, ReplayError> {
    let io = |source| ReplayError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let mut lines = Lines::new(BufReader::with_capacity(1 << 16, file), 0, 0);
    let mut scanned = Scanned {
        path: path.to_path_buf(),
        format: format.clone(),
        runs: Vec::new(),
        records: 0,
        problems: Vec::new(),
        skipped: 0,
    };
    let mut last: Option<(DateTime<Utc>, usize)> = None;
    let mut first_break: Option<CsvError> = None;
    while let Some((n, start, text)) = lines.next_line().map_err(io)? {
        let read = text.and_then(|t| format.time_of(t, n));
        let time = match read {
            Ok(None) => {
                if scanned.records == 0 {
                    // Lines before the first record (header, comments) are read only here:
                    // the format is kept as it is after them.
                    scanned.format = format.clone();
                }
                continue;
            }
            Ok(Some(time)) => time,
            Err(error) if F::STRICT => {
                return Err(ReplayError::Line {
                    path: path.to_path_buf(),
                    error,
                });
            }
            Err(error) => {
                scanned.skipped += 1;
                if scanned.problems.len() < 10 {
                    scanned.problems.push(error);
                }
                continue;
            }
        };
        scanned.records += 1;
        match last {
            Some((previous, previous_line)) if time < previous => {
                if first_break.is_none() {
                    first_break = Some(CsvError {
                        line: n,
                        message: format!(
                            "{} is earlier than line {previous_line} ({})",
                            time.to_rfc3339(),
                            previous.to_rfc3339()
                        ),
                    });
                }
                if scanned.runs.len() == MAX_RUNS {
                    let first = first_break.take().expect("noted at the first break");
                    return Err(ReplayError::Line {
                        path: path.to_path_buf(),
                        error: CsvError {
                            line: first.line,
                            message: format!(
                                "{}: replay reads a file in time order, or in at most {MAX_RUNS} time-ordered parts (such as one symbol after another), and this one has more; sort it by time",
                                first.message
                            ),
                        },
                    });
                }
                if let Some(run) = scanned.runs.last_mut() {
                    run.end = start;
                }
                scanned.runs.push(Run {
                    start,
                    end: u64::MAX,
                    line: n - 1,
                });
            }
            None => scanned.runs.push(Run {
                start,
                end: u64::MAX,
                line: n - 1,
            }),
            Some(_) => {}
        }
        last = Some((time, n));
    }
    if let Some(run) = scanned.runs.last_mut() {
        run.end = lines.offset;
    }
    Ok(scanned)
}

impl<F: LineFormat> Scanned<F> {
    /// How many time-ordered parts the file has.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// The records in time order (a record's runs in file order at equal times).
    pub fn records(self) -> Result<Records<F>, ReplayError> {
        let mut runs = Vec::with_capacity(self.runs.len());
        for run in &self.runs {
            let io = |source| ReplayError::Io {
                path: self.path.clone(),
                source,
            };
            let mut file = File::open(&self.path).map_err(io)?;
            file.seek(SeekFrom::Start(run.start)).map_err(io)?;
            let reader = BufReader::with_capacity(RUN_BUFFER, file.take(run.end - run.start));
            runs.push(RunReader {
                lines: Lines::new(reader, run.start, run.line),
                format: self.format.clone(),
                head: None,
            });
        }
        let mut records = Records {
            path: self.path,
            runs,
            heap: BinaryHeap::new(),
            failed: false,
        };
        for i in 0..records.runs.len() {
            records.advance(i)?;
        }
        Ok(records)
    }
}

struct RunReader<F: LineFormat> {
    lines: Lines<BufReader<std::io::Take<File>>>,
    format: F,
    head: Option<F::Record>,
}

/// The records of a scanned file, in time order.
pub struct Records<F: LineFormat> {
    path: PathBuf,
    runs: Vec<RunReader<F>>,
    /// The head of each run that has one: (time, run).
    heap: BinaryHeap<Reverse<(DateTime<Utc>, usize)>>,
    failed: bool,
}

impl<F: LineFormat> Records<F> {
    /// Reads run `i`'s next record into its head.
    fn advance(&mut self, i: usize) -> Result<(), ReplayError> {
        let run = &mut self.runs[i];
        loop {
            let next = run.lines.next_line().map_err(|source| ReplayError::Io {
                path: self.path.clone(),
                source,
            })?;
            let Some((n, _, text)) = next else {
                run.head = None;
                return Ok(());
            };
            match text.and_then(|t| run.format.read(t, n)) {
                Ok(None) => {}
                Ok(Some(record)) => {
                    self.heap.push(Reverse((F::time(&record), i)));
                    run.head = Some(record);
                    return Ok(());
                }
                // The file changed since it was scanned.
                Err(error) if F::STRICT => {
                    return Err(ReplayError::Line {
                        path: self.path.clone(),
                        error,
                    });
                }
                // Reported by the scan.
                Err(_) => {}
            }
        }
    }
}

impl<F: LineFormat> Iterator for Records<F> {
    type Item = Result<F::Record, ReplayError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let Reverse((_, i)) = self.heap.pop()?;
        let record = self.runs[i]
            .head
            .take()
            .expect("a run in the heap has a head");
        if let Err(e) = self.advance(i) {
            self.failed = true;
            return Some(Err(e));
        }
        Some(Ok(record))
    }
}
