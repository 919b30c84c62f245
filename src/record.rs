//! `marketbot run --record DIR`: what the engine was handed, appended in the replay formats,
//! so real history can be replayed (`DIR/headlines.jsonl`, `DIR/quotes.csv`,
//! `DIR/splits.csv`).
//!
//! The pipeline records exactly what it hands the engine — new feed items and new or changed
//! bars — after they are committed, and each split it takes in with the newest price of its
//! symbol the engine had judged before: a replay restates the history at the same point, so it
//! sees what the live bot saw. Prices dated before a split's ex-date that came with the split
//! (a provider's restated history) are recorded in the shares traded then, as the replay
//! restates them with the rest of that history.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::model::{Bar, Headline};
use crate::replay::{RecordedSplit, bar_csv_row, split_csv_row};

/// Appends to the three recording files.
pub struct Recorder {
    dir: PathBuf,
    headlines: BufWriter<File>,
    quotes: BufWriter<File>,
    splits: BufWriter<File>,
}

impl Recorder {
    /// Opens (or creates) the recording in `dir`; a new CSV file gets its header.
    pub fn open(dir: &Path) -> std::io::Result<Recorder> {
        std::fs::create_dir_all(dir)?;
        let open = |name: &str| {
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join(name))
        };
        let csv = |name: &str, header: &str| -> std::io::Result<BufWriter<File>> {
            let file = open(name)?;
            let fresh = file.metadata()?.len() == 0;
            let mut csv = BufWriter::new(file);
            if fresh {
                writeln!(csv, "{header}")?;
                csv.flush()?;
            }
            Ok(csv)
        };
        Ok(Recorder {
            dir: dir.to_path_buf(),
            headlines: BufWriter::new(open("headlines.jsonl")?),
            quotes: csv("quotes.csv", crate::replay::BARS_CSV_HEADER)?,
            splits: csv("splits.csv", crate::replay::SPLITS_CSV_HEADER)?,
        })
    }

    /// Appends headlines, and bars with the splits taken in before they were judged (each
    /// with the newest price of its symbol judged before it); written through at once (a
    /// recording is for later).
    pub fn append(&mut self, headlines: &[&Headline], bars: &[Bar], splits: &[RecordedSplit]) {
        // Each fetch in time order: a recording then stays close to it, and `replay` reads
        // it as a stream of few ordered parts (see `replay::scan`).
        let mut headlines = headlines.to_vec();
        headlines.sort_by_key(|h| h.published);
        let mut bars: Vec<Bar> = bars.to_vec();
        let splits = in_old_shares(&mut bars, splits);
        bars.sort_by_key(|b| b.time);
        let result = (|| -> std::io::Result<()> {
            for h in headlines {
                serde_json::to_writer(&mut self.headlines, h)?;
                self.headlines.write_all(b"\n")?;
            }
            for b in &bars {
                writeln!(self.quotes, "{}", bar_csv_row(b))?;
            }
            for s in &splits {
                writeln!(self.splits, "{}", split_csv_row(s))?;
            }
            self.headlines.flush()?;
            self.quotes.flush()?;
            self.splits.flush()
        })();
        if let Err(e) = result {
            tracing::warn!(error = %e, dir = %self.dir.display(), "cannot write the recording");
        }
    }
}

/// The bars of a step that took `splits` in, as a replay takes them in before it restates the
/// history: those dated up to a split's ex-date in the shares traded then. The splits, each
/// after the newest of those too (and, for several of one symbol, after the same price).
fn in_old_shares(bars: &mut [Bar], splits: &[RecordedSplit]) -> Vec<RecordedSplit> {
    let mut out = splits.to_vec();
    for s in &mut out {
        let begins = s.split.begins();
        for bar in bars
            .iter_mut()
            .filter(|b| b.symbol == s.split.symbol && b.time <= begins)
        {
            *bar = s.split.in_old_shares(bar);
            s.after = s.after.max(Some(bar.time));
        }
    }
    for i in 0..out.len() {
        let after = out
            .iter()
            .filter(|s| s.split.symbol == out[i].split.symbol)
            .filter_map(|s| s.after)
            .max();
        out[i].after = after;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Split;

    fn bar(time: &str, close: f64, volume: u64) -> Bar {
        Bar {
            symbol: "NVDA".into(),
            time: time.parse().unwrap(),
            interval: "1d".parse().unwrap(),
            open: None,
            high: None,
            low: None,
            close: Some(close),
            volume: Some(volume),
            session: None,
            currency: None,
        }
    }

    #[test]
    fn prices_before_the_ex_date_are_recorded_in_the_shares_traded_then() {
        // A ten-for-one split of 10 June 2024, taken in with the 7th's close restated by the
        // provider and the 10th's first price.
        let split = Split {
            symbol: "NVDA".into(),
            date: "2024-06-10".parse().unwrap(),
            ratio: 10.0,
        };
        let mut bars = vec![
            bar("2024-06-07T20:00:00Z", 120.888, 412_385_800),
            bar("2024-06-10T13:30:00Z", 120.5, 1_000_000),
        ];
        let taken = [RecordedSplit {
            split: split.clone(),
            after: Some("2024-06-06T20:00:00Z".parse().unwrap()),
        }];
        let splits = in_old_shares(&mut bars, &taken);
        assert_eq!(bars[0].close, Some(1208.88));
        assert_eq!(bars[0].volume, Some(41_238_580));
        assert_eq!(split.restate(&bars[0]).close, Some(120.888));
        assert_eq!(bars[1].close, Some(120.5), "in the new shares");
        assert_eq!(
            splits[0].after,
            Some("2024-06-07T20:00:00Z".parse().unwrap()),
            "after the prices it restates"
        );
    }
}
