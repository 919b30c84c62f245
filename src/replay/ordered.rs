//! The records of a file in time order, read as a stream.
//!
//! Recorded files are time-ordered, or nearly: an export may list one symbol after another,
//! `record` writes each fetch as it arrives. A first pass reads and checks every line (so a bad
//! line is reported before anything is replayed) and notes where the time goes backwards: the
//! file is a few time-ordered *runs*. The second pass reads all runs at once, each from its own
//! offset, and merges them by time: memory is one buffer per run, whatever the file's size. A
//! file of more than [`MAX_RUNS`] runs (a long recording of several sources, a shuffled file)
//! is sorted out of core instead: its records are sorted in chunks written to temporary files
//! (each with its line's number), and the chunks are merged the same way.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::CsvError;

/// The most time-ordered runs a file is merged from as it is (for example one per symbol);
/// a file of more is sorted out of core, in at most this many chunks. Each is an open file:
/// two inputs stay well within the usual limit of 1 024.
pub const MAX_RUNS: usize = 256;
/// The fewest records a chunk of an out-of-core sort holds.
const MIN_CHUNK: usize = if cfg!(test) { 100 } else { 100_000 };
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
#[derive(Clone, Debug, PartialEq, Eq)]
struct Run {
    /// The file: the input, or a sorted chunk of it.
    path: PathBuf,
    /// Byte offset of its first line.
    start: u64,
    /// Byte offset just past its last line.
    end: u64,
    /// Number of its first line (a chunk's lines carry their own).
    line: usize,
    /// Whether each line starts with its number in the input and a tab (a sorted chunk).
    numbered: bool,
}

/// The temporary files of an out-of-core sort, removed when the last reader is done.
#[derive(Debug, Default)]
struct Chunks(Vec<PathBuf>);

impl Drop for Chunks {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A file read once: its runs, and the problems of the lines that were skipped.
#[derive(Debug)]
pub struct Scanned<F> {
    path: PathBuf,
    format: F,
    runs: Vec<Run>,
    chunks: Arc<Chunks>,
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

/// The records of a file in the file's order, read one line at a time (for `match`, which
/// needs no time order): each record, or the problem of a line that holds none (over-long, not
/// UTF-8, not a record), which the caller reports and skips. Memory is one line, whatever the
/// file's size. A file that cannot be read ends it with an error.
pub struct InFileOrder<F> {
    path: PathBuf,
    lines: Lines<BufReader<File>>,
    format: F,
    /// A read failed: nothing more comes.
    done: bool,
}

/// Opens `path` to be read with `format` in file order (see [`InFileOrder`]).
pub fn in_file_order<F: LineFormat>(path: &Path, format: F) -> Result<InFileOrder<F>, ReplayError> {
    let file = File::open(path).map_err(|source| ReplayError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(InFileOrder {
        path: path.to_path_buf(),
        lines: Lines::new(BufReader::with_capacity(1 << 16, file), 0, 0),
        format,
        done: false,
    })
}

impl<F: LineFormat> Iterator for InFileOrder<F> {
    type Item = Result<Result<F::Record, CsvError>, ReplayError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let (n, _, text) = match self.lines.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => return None,
                Err(source) => {
                    self.done = true;
                    return Some(Err(ReplayError::Io {
                        path: self.path.clone(),
                        source,
                    }));
                }
            };
            match text.and_then(|t| self.format.read(t, n)) {
                Ok(None) => {}
                Ok(Some(record)) => return Some(Ok(Ok(record))),
                Err(problem) => return Some(Ok(Err(problem))),
            }
        }
        None
    }
}

/// Reads `path` once with `format`: checks every line and finds the file's time-ordered runs
/// (sorting it out of core when there are too many).
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
        chunks: Arc::default(),
        records: 0,
        problems: Vec::new(),
        skipped: 0,
    };
    let mut last: Option<DateTime<Utc>> = None;
    let mut disordered = false;
    let run = |start: u64, n: usize| Run {
        path: path.to_path_buf(),
        start,
        end: u64::MAX,
        line: n - 1,
        numbered: false,
    };
    while let Some((n, start, text)) = lines.next_line().map_err(io)? {
        let read = text.and_then(|t| format.read(t, n));
        let time = match read {
            Ok(None) => {
                if scanned.records == 0 {
                    // Lines before the first record (header, comments) are read only here:
                    // the format is kept as it is after them.
                    scanned.format = format.clone();
                }
                continue;
            }
            Ok(Some(record)) => F::time(&record),
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
            None => scanned.runs.push(run(start, n)),
            Some(previous) if time < previous && !disordered => {
                if scanned.runs.len() == MAX_RUNS {
                    disordered = true;
                } else {
                    if let Some(run) = scanned.runs.last_mut() {
                        run.end = start;
                    }
                    scanned.runs.push(run(start, n));
                }
            }
            Some(_) => {}
        }
        last = Some(time);
    }
    if let Some(run) = scanned.runs.last_mut() {
        run.end = lines.offset;
    }
    if disordered {
        let first = scanned.runs.first().map_or(0, |r| r.start);
        let line = scanned.runs.first().map_or(0, |r| r.line);
        let chunk = MIN_CHUNK.max(scanned.records.div_ceil(MAX_RUNS));
        let (runs, chunks) = sort_out_of_core(path, scanned.format.clone(), first, line, chunk)?;
        scanned.runs = runs;
        scanned.chunks = Arc::new(chunks);
    }
    Ok(scanned)
}

/// Sorts the records of `path` from byte `start` (line `line` + 1) on in chunks of `chunk`
/// records, each written to a temporary file as `number<TAB>line`, ordered by time and then
/// by line.
fn sort_out_of_core<F: LineFormat>(
    path: &Path,
    mut format: F,
    start: u64,
    line: usize,
    chunk: usize,
) -> Result<(Vec<Run>, Chunks), ReplayError> {
    let io = |source| ReplayError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    file.seek(SeekFrom::Start(start)).map_err(io)?;
    let mut lines = Lines::new(BufReader::with_capacity(1 << 16, file), start, line);
    let mut chunks = Chunks::default();
    let mut runs = Vec::new();
    let mut held: Vec<(DateTime<Utc>, usize, String)> = Vec::new();
    let mut write = |held: &mut Vec<(DateTime<Utc>, usize, String)>| -> std::io::Result<()> {
        if held.is_empty() {
            return Ok(());
        }
        held.sort_unstable_by_key(|(t, n, _)| (*t, *n));
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let name = format!(
            "marketbot-replay-{}-{}.part",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let chunk_path = std::env::temp_dir().join(name);
        chunks.0.push(chunk_path.clone());
        let mut out = BufWriter::new(File::create(&chunk_path)?);
        for (_, n, text) in held.drain(..) {
            writeln!(out, "{n}\t{text}")?;
        }
        let end = out
            .into_inner()
            .map_err(|e| e.into_error())?
            .stream_position()?;
        runs.push(Run {
            path: chunk_path,
            start: 0,
            end,
            line: 0,
            numbered: true,
        });
        Ok(())
    };
    while let Some((n, _, text)) = lines.next_line().map_err(io)? {
        let Ok(text) = text else { continue };
        // Bad lines were reported by the scan (or stopped it).
        if let Ok(Some(record)) = format.read(text, n) {
            held.push((F::time(&record), n, text.trim_end().to_string()));
            if held.len() == chunk {
                write(&mut held).map_err(io)?;
            }
        }
    }
    write(&mut held).map_err(io)?;
    Ok((runs, chunks))
}

impl<F: LineFormat> Scanned<F> {
    /// How many time-ordered parts the file is read in (sorted chunks if it was sorted).
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// Whether the file had too many time-ordered parts and was sorted out of core.
    pub fn sorted(&self) -> bool {
        self.runs.iter().any(|r| r.numbered)
    }

    /// The records in time order (in file order at equal times).
    pub fn records(self) -> Result<Records<F>, ReplayError> {
        let mut runs = Vec::with_capacity(self.runs.len());
        for run in &self.runs {
            let io = |source| ReplayError::Io {
                path: run.path.clone(),
                source,
            };
            let mut file = File::open(&run.path).map_err(io)?;
            file.seek(SeekFrom::Start(run.start)).map_err(io)?;
            let reader = BufReader::with_capacity(RUN_BUFFER, file.take(run.end - run.start));
            runs.push(RunReader {
                lines: Lines::new(reader, run.start, run.line),
                numbered: run.numbered,
                format: self.format.clone(),
                head: None,
            });
        }
        let mut records = Records {
            path: self.path,
            runs,
            heap: BinaryHeap::new(),
            error: None,
            _chunks: self.chunks,
        };
        for i in 0..records.runs.len() {
            records.advance(i)?;
        }
        Ok(records)
    }
}

struct RunReader<F: LineFormat> {
    lines: Lines<BufReader<std::io::Take<File>>>,
    /// Lines carry their number in the input (a sorted chunk).
    numbered: bool,
    format: F,
    head: Option<F::Record>,
}

/// The records of a scanned file, in time order.
pub struct Records<F: LineFormat> {
    path: PathBuf,
    runs: Vec<RunReader<F>>,
    /// The head of each run that has one: (time, run).
    heap: BinaryHeap<Reverse<(DateTime<Utc>, usize)>>,
    /// An error met while reading ahead: handed out after the record before it.
    error: Option<ReplayError>,
    /// The sorted chunks, if any, removed when the reading is done.
    _chunks: Arc<Chunks>,
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
            let line = text.map(|t| match t.split_once('\t') {
                Some((number, rest)) if run.numbered => (number.parse().unwrap_or(n), rest),
                _ => (n, t),
            });
            match line.and_then(|(n, t)| run.format.read(t, n)) {
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
        if let Some(e) = self.error.take() {
            self.heap.clear();
            return Some(Err(e));
        }
        let Reverse((_, i)) = self.heap.pop()?;
        let record = self.runs[i]
            .head
            .take()
            .expect("a run in the heap has a head");
        if let Err(e) = self.advance(i) {
            self.error = Some(e);
        }
        Some(Ok(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Bar;
    use crate::replay::BarsCsv;

    fn bars_file(dir: &Path, minutes: &[i64]) -> PathBuf {
        let start: DateTime<Utc> = "2026-02-02T15:00:00Z".parse().unwrap();
        let mut text = String::from("symbol,time,interval,close\n");
        for m in minutes {
            let t = start + chrono::Duration::minutes(*m);
            // The close tells the minute: 1000 + m.
            text.push_str(&format!(
                "NVDA,{},1m,{}\n",
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                1000 + m
            ));
        }
        let path = dir.join("q.csv");
        std::fs::write(&path, text).unwrap();
        path
    }

    fn times(path: &Path) -> (Vec<f64>, bool) {
        let scanned = scan(path, BarsCsv::default()).unwrap();
        let sorted = scanned.sorted();
        let closes = scanned
            .records()
            .unwrap()
            .map(|b| b.unwrap().close.unwrap())
            .collect();
        (closes, sorted)
    }

    #[test]
    fn a_file_in_a_few_ordered_parts_is_merged_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let minutes: Vec<i64> = (50..100).chain(0..50).collect();
        let (closes, sorted) = times(&bars_file(dir.path(), &minutes));
        assert!(!sorted);
        assert_eq!(closes, (1000..1100).map(|m| m as f64).collect::<Vec<_>>());
    }

    #[test]
    fn a_shuffled_file_is_sorted_out_of_core_into_chunks_that_are_then_removed() {
        let dir = tempfile::tempdir().unwrap();
        // 1 000 minutes in a scrambled order, with equal times kept in file order.
        let minutes: Vec<i64> = (0..1000).map(|i| (i * 7919) % 1000).collect();
        let path = bars_file(dir.path(), &minutes);
        let scanned = scan(&path, BarsCsv::default()).unwrap();
        assert!(scanned.sorted());
        assert_eq!(scanned.runs(), 10, "chunks of the smallest size");
        let chunks: Vec<PathBuf> = scanned.chunks.0.clone();
        assert!(chunks.iter().all(|c| c.exists()));
        let closes: Vec<f64> = scanned
            .records()
            .unwrap()
            .map(|b| b.unwrap().close.unwrap())
            .collect();
        assert_eq!(closes, (1000..2000).map(|m| m as f64).collect::<Vec<_>>());
        assert!(chunks.iter().all(|c| !c.exists()));
    }

    #[test]
    fn a_bad_line_met_late_comes_after_the_records_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = bars_file(dir.path(), &[0, 1, 2]);
        let scanned = scan(&path, BarsCsv::default()).unwrap();
        // The file changes between the passes: its last line goes bad.
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace(",1m,1002\n", ",1m,x\n")).unwrap();
        let out: Vec<Result<Bar, ReplayError>> = scanned.records().unwrap().collect();
        assert_eq!(out.len(), 3);
        assert!(out[0].is_ok() && out[1].is_ok());
        assert!(matches!(&out[2], Err(ReplayError::Line { error, .. }) if error.line == 4));
    }
}
