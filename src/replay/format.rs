//! The replay file formats, one line at a time: bars as CSV, headlines as JSON Lines, and
//! the splits a recording bot took in as CSV.

use chrono::{DateTime, NaiveDate, Utc};

use super::ordered::LineFormat;
use crate::model::{Bar, Headline, Interval, Session, Split};

/// The header of the bars CSV format.
pub const BARS_CSV_HEADER: &str = "symbol,time,interval,open,high,low,close,volume,session";

/// One bar as a CSV row under [`BARS_CSV_HEADER`] (missing values are empty fields).
pub fn bar_csv_row(b: &Bar) -> String {
    let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    format!(
        "{},{},{},{},{},{},{},{},{}",
        b.symbol,
        b.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        b.interval,
        num(b.open),
        num(b.high),
        num(b.low),
        num(b.close),
        b.volume.map(|v| v.to_string()).unwrap_or_default(),
        b.session.map(|s| s.as_str()).unwrap_or("")
    )
}

/// A problem in a replay file: 1-based line and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct CsvError {
    /// The line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Where a bars CSV keeps each field.
#[derive(Clone, Copy, Debug)]
struct Columns {
    symbol: usize,
    time: usize,
    interval: usize,
    close: usize,
    open: Option<usize>,
    high: Option<usize>,
    low: Option<usize>,
    volume: Option<usize>,
    session: Option<usize>,
    /// How many columns the header names.
    count: usize,
}

/// Bars in the replay CSV format: a header naming `symbol,time,interval,close` and optionally
/// `open,high,low,volume,session` (in any order), then one bar per line; empty fields are
/// missing values, `#` starts a comment line. A bad line stops the replay.
#[derive(Clone, Debug, Default)]
pub struct BarsCsv {
    columns: Option<Columns>,
}

impl BarsCsv {
    fn header(line: &str, n: usize) -> Result<Columns, CsvError> {
        let names: Vec<&str> = line.split(',').map(field).collect();
        let col = |name: &str| names.iter().position(|c| c.eq_ignore_ascii_case(name));
        let (Some(symbol), Some(time), Some(interval), Some(close)) =
            (col("symbol"), col("time"), col("interval"), col("close"))
        else {
            return Err(CsvError {
                line: n,
                message: format!(
                    "header `{line}` must name symbol, time, interval and close (open, high, low, volume, session optional)"
                ),
            });
        };
        Ok(Columns {
            symbol,
            time,
            interval,
            close,
            open: col("open"),
            high: col("high"),
            low: col("low"),
            volume: col("volume"),
            session: col("session"),
            count: names.len(),
        })
    }

    fn row(c: &Columns, line: &str, n: usize) -> Result<Bar, CsvError> {
        // The fields of a line, without allocating for the usual width.
        let mut fields = [""; 16];
        let mut extra: Vec<&str> = Vec::new();
        let mut count = 0;
        for (i, f) in line.split(',').enumerate() {
            count = i + 1;
            match fields.get_mut(i) {
                Some(slot) => *slot = field(f),
                None if i < c.count => extra.push(field(f)),
                None => {}
            }
        }
        if count != c.count {
            // A field too many or too few shifts every value after it into the wrong column.
            return Err(CsvError {
                line: n,
                message: format!("{count} fields, but the header names {}", c.count),
            });
        }
        let get = |c: Option<usize>| {
            c.and_then(|c| fields.get(c).or_else(|| extra.get(c - fields.len())))
                .copied()
                .filter(|v| !v.is_empty())
        };
        let err = |message: String| CsvError { line: n, message };
        let number = |c: Option<usize>, what: &str| -> Result<Option<f64>, CsvError> {
            get(c)
                .map(|v| match v.parse::<f64>().ok().filter(|x| x.is_finite()) {
                    None => Err(err(format!("{what} `{v}` is not a number"))),
                    Some(x) if !crate::model::PRICES.contains(&x) => Err(err(format!(
                        "{what} `{v}` is not a price (from {} to {})",
                        crate::model::PRICES.start(),
                        crate::model::PRICES.end()
                    ))),
                    Some(x) => Ok(x),
                })
                .transpose()
        };
        let written = get(Some(c.symbol)).ok_or_else(|| err("missing symbol".into()))?;
        let symbol = crate::model::recorded_symbol(written)
            .ok_or_else(|| err(format!("`{written}` is not a ticker symbol")))?;
        let time = parse_time(get(Some(c.time)).unwrap_or(""), n)?;
        let interval: Interval = get(Some(c.interval))
            .ok_or_else(|| err("missing interval".into()))?
            .parse()
            .map_err(err)?;
        let session = get(c.session)
            .map(|s| s.parse::<Session>().map_err(err))
            .transpose()?;
        let volume = get(c.volume)
            .map(|v| {
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .map(|x| x as u64)
                    .ok_or_else(|| err(format!("volume `{v}` is not a number")))
            })
            .transpose()?;
        Ok(Bar {
            symbol,
            time,
            interval,
            open: number(c.open, "open")?,
            high: number(c.high, "high")?,
            low: number(c.low, "low")?,
            close: number(Some(c.close), "close")?,
            volume,
            session,
            currency: None,
        })
    }
}

impl LineFormat for BarsCsv {
    type Record = Bar;
    const STRICT: bool = true;

    fn read(&mut self, line: &str, n: usize) -> Result<Option<Bar>, CsvError> {
        // A byte-order mark some spreadsheets put first is not content.
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with('#') {
            return Ok(None);
        }
        match &self.columns {
            None => {
                self.columns = Some(Self::header(line, n)?);
                Ok(None)
            }
            Some(c) => Self::row(c, line, n).map(Some),
        }
    }

    fn time(bar: &Bar) -> DateTime<Utc> {
        bar.time
    }
}

/// One CSV field, trimmed, without the quotes a spreadsheet may put around it (none of the
/// format's values holds a comma or a quote).
fn field(raw: &str) -> &str {
    let f = raw.trim();
    f.strip_prefix('"')
        .and_then(|f| f.strip_suffix('"'))
        .map_or(f, str::trim)
}

fn parse_time(text: &str, n: usize) -> Result<DateTime<Utc>, CsvError> {
    if text.is_empty() {
        return Err(CsvError {
            line: n,
            message: "missing time".into(),
        });
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| CsvError {
            line: n,
            message: format!("time `{text}` is not RFC 3339 (e.g. 2026-02-02T21:00:00Z)"),
        })
}

/// Recorded headlines: JSON Lines (`{"published": …, "title": …}`, as `record` writes them),
/// or — with [`HeadlinesJsonl::titles_too`], for `match` — also plain titles, one per line
/// (published at the epoch); `//` starts a comment line. A bad line is skipped and reported.
#[derive(Clone, Copy, Debug, Default)]
pub struct HeadlinesJsonl {
    plain_titles: bool,
}

impl HeadlinesJsonl {
    /// Plain titles are headlines too (they have no time: only for reading text, not for a
    /// replay in time order).
    pub fn titles_too() -> HeadlinesJsonl {
        HeadlinesJsonl { plain_titles: true }
    }
}

impl LineFormat for HeadlinesJsonl {
    type Record = Headline;
    const STRICT: bool = false;

    fn read(&mut self, line: &str, n: usize) -> Result<Option<Headline>, CsvError> {
        // A byte-order mark some editors put first is not content.
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with("//") {
            return Ok(None);
        }
        let err = |message: String| CsvError { line: n, message };
        if !line.starts_with('{') {
            if !self.plain_titles {
                return Err(err(
                    "not a JSON object: each headline needs at least its `published` time and `title`"
                        .into(),
                ));
            }
            return Ok(Some(Headline {
                id: String::new(),
                published: DateTime::<Utc>::UNIX_EPOCH,
                source: String::new(),
                title: line.to_string(),
                link: None,
                summary: None,
                symbols: Vec::new(),
                lang: None,
            }));
        }
        match serde_json::from_str::<Headline>(line) {
            Ok(h) if h.title.trim().is_empty() => Err(err("empty title".into())),
            Ok(mut h) => {
                // In the bot's spelling, as the bars' (`brk.b` → `BRK-B`, `$nvda` → `NVDA`).
                for s in &mut h.symbols {
                    *s = crate::model::recorded_symbol(s).ok_or_else(|| {
                        err(format!(
                            "symbol `{}` is not a ticker symbol (like NVDA, BRK-B or SAP.DE)",
                            s.trim()
                        ))
                    })?;
                }
                Ok(Some(h))
            }
            Err(e) => Err(err(e.to_string())),
        }
    }

    fn time(headline: &Headline) -> DateTime<Utc> {
        headline.published
    }
}

/// The header of the splits CSV format.
pub const SPLITS_CSV_HEADER: &str = "symbol,date,ratio,after";

/// A split as a recording holds it: taken in by the bot once it had judged every price of
/// its symbol up to `after` (none: before any), so a replay restates the history there too.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedSplit {
    /// The split.
    pub split: Split,
    /// The newest price of the symbol the bot had judged when it took the split in.
    pub after: Option<DateTime<Utc>>,
}

/// One split as a CSV row under [`SPLITS_CSV_HEADER`].
pub fn split_csv_row(s: &RecordedSplit) -> String {
    format!(
        "{},{},{},{}",
        s.split.symbol,
        s.split.date,
        s.split.ratio,
        s.after
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    )
}

/// Parses splits in the CSV format `record` writes: a header naming `symbol,date,ratio` and
/// optionally `after` (in any order), then one split per line (`date` the ex-date,
/// `YYYY-MM-DD`; `ratio` new shares per old one; `after` RFC 3339, empty for "before any
/// price"); `#` starts a comment line. A bad line is an error.
pub fn parse_splits_csv(text: &str) -> Result<Vec<RecordedSplit>, CsvError> {
    let mut columns: Option<(usize, usize, usize, Option<usize>, usize)> = None;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(field).collect();
        let err = |message: String| CsvError { line: n, message };
        let Some((symbol, date, ratio, after, count)) = columns else {
            let col = |name: &str| fields.iter().position(|c| c.eq_ignore_ascii_case(name));
            let (Some(symbol), Some(date), Some(ratio)) =
                (col("symbol"), col("date"), col("ratio"))
            else {
                return Err(err(format!(
                    "header `{line}` must name symbol, date and ratio (after optional)"
                )));
            };
            columns = Some((symbol, date, ratio, col("after"), fields.len()));
            continue;
        };
        if fields.len() != count {
            return Err(err(format!(
                "{} fields, but the header names {count}",
                fields.len()
            )));
        }
        let symbol = crate::model::recorded_symbol(fields[symbol])
            .ok_or_else(|| err(format!("`{}` is not a ticker symbol", fields[symbol])))?;
        let date = NaiveDate::parse_from_str(fields[date], "%Y-%m-%d")
            .map_err(|_| err(format!("date `{}` is not YYYY-MM-DD", fields[date])))?;
        let ratio = fields[ratio]
            .parse::<f64>()
            .ok()
            .filter(|r| Split::RATIOS.contains(r))
            .ok_or_else(|| {
                err(format!(
                    "ratio `{}` is not new shares per old one (from {} to {})",
                    fields[ratio],
                    Split::RATIOS.start(),
                    Split::RATIOS.end()
                ))
            })?;
        let after = match after.map(|c| fields[c]).filter(|t| !t.is_empty()) {
            Some(t) => Some(parse_time(t, n)?),
            None => None,
        };
        out.push(RecordedSplit {
            split: Split {
                symbol,
                date,
                ratio,
            },
            after,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A headline's symbols read as the bars' do: in the bot's spelling, and one that is no
    /// symbol makes the line a bad one, named, rather than a symbol no rule or alert knows.
    #[test]
    fn a_headlines_symbols_are_read_in_the_bots_spelling() {
        let line = |symbols: &str| {
            format!(
                r#"{{"published":"2026-02-02T21:47:00Z","source":"Reuters","title":"OpenAI seeks alternatives","symbols":{symbols}}}"#
            )
        };
        let h = HeadlinesJsonl::default()
            .read(&line(r#"["brk.b"," $nvda ","VOD.L","sap.de"]"#), 1)
            .unwrap()
            .unwrap();
        assert_eq!(h.symbols, ["BRK-B", "NVDA", "VOD.L", "SAP.DE"]);
        let err = HeadlinesJsonl::default()
            .read(&line(r#"["NVDA","not one"]"#), 7)
            .unwrap_err();
        assert_eq!(err.line, 7);
        assert!(
            err.message.contains("`not one` is not a ticker symbol"),
            "{err}"
        );
    }

    #[test]
    fn splits_written_read_back_the_same_and_bad_lines_are_named() {
        let splits = vec![
            RecordedSplit {
                split: crate::model::Split {
                    symbol: "NVDA".into(),
                    date: "2024-06-10".parse().unwrap(),
                    ratio: 10.0,
                },
                after: Some("2024-06-07T20:00:00Z".parse().unwrap()),
            },
            RecordedSplit {
                split: crate::model::Split {
                    symbol: "SMCI".into(),
                    date: "2024-10-01".parse().unwrap(),
                    ratio: 0.05,
                },
                after: None,
            },
        ];
        let rows: Vec<String> = splits.iter().map(split_csv_row).collect();
        let csv = format!("{SPLITS_CSV_HEADER}\n# a comment\n{}\n", rows.join("\n"));
        assert_eq!(parse_splits_csv(&csv).unwrap(), splits);
        for (line, message) in [
            ("NVDA,10.06.2024,10,", "date `10.06.2024` is not YYYY-MM-DD"),
            (
                "NVDA,2024-06-10,0,",
                "ratio `0` is not new shares per old one",
            ),
            ("NVDA,2024-06-10,10", "3 fields, but the header names 4"),
            ("NVDA,2024-06-10,10,Friday", "time `Friday` is not RFC 3339"),
        ] {
            let err = parse_splits_csv(&format!("{SPLITS_CSV_HEADER}\n{line}\n")).unwrap_err();
            assert_eq!(err.line, 2, "{line}");
            assert!(err.message.starts_with(message), "{line}: {err}");
        }
    }
}
