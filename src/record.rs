//! `marketbot run --record DIR`: what the sources fetched, appended in the replay formats, so
//! real history can be replayed (`DIR/headlines.jsonl`, `DIR/quotes.csv`).
//!
//! The pipeline records exactly what it hands the engine — new feed items and new or changed
//! bars — after they are committed, so a replay of the recording sees what the live bot saw.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::model::{Bar, Headline};
use crate::replay::bar_csv_row;

/// Appends to the two recording files.
pub struct Recorder {
    dir: PathBuf,
    headlines: BufWriter<File>,
    quotes: BufWriter<File>,
}

impl Recorder {
    /// Opens (or creates) the recording in `dir`; a new quotes file gets its header.
    pub fn open(dir: &Path) -> std::io::Result<Recorder> {
        std::fs::create_dir_all(dir)?;
        let open = |name: &str| {
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join(name))
        };
        let headlines = BufWriter::new(open("headlines.jsonl")?);
        let quotes_file = open("quotes.csv")?;
        let fresh = quotes_file.metadata()?.len() == 0;
        let mut quotes = BufWriter::new(quotes_file);
        if fresh {
            writeln!(quotes, "{}", crate::replay::BARS_CSV_HEADER)?;
            quotes.flush()?;
        }
        Ok(Recorder {
            dir: dir.to_path_buf(),
            headlines,
            quotes,
        })
    }

    /// Appends headlines and bars; written through at once (a recording is for later).
    pub fn append(&mut self, headlines: &[&Headline], bars: &[Bar]) {
        // Each fetch in time order: a recording then stays close to it, and `replay` reads
        // it as a stream of few ordered parts (see `replay::scan`).
        let mut headlines = headlines.to_vec();
        headlines.sort_by_key(|h| h.published);
        let mut bars: Vec<&Bar> = bars.iter().collect();
        bars.sort_by_key(|b| b.time);
        let result = (|| -> std::io::Result<()> {
            for h in headlines {
                serde_json::to_writer(&mut self.headlines, h)?;
                self.headlines.write_all(b"\n")?;
            }
            for b in bars {
                writeln!(self.quotes, "{}", bar_csv_row(b))?;
            }
            self.headlines.flush()?;
            self.quotes.flush()
        })();
        if let Err(e) = result {
            tracing::warn!(error = %e, dir = %self.dir.display(), "cannot write the recording");
        }
    }
}
