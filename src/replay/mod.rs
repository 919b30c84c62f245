//! Recorded headlines and bars through the live engine, in time order, with no look-ahead.
//!
//! The clock is the data's own: each event is processed at its timestamp, bars before
//! headlines of the same instant (a bar's time is when its values were final). This is the
//! driver behind a rule file's scenarios and the `replay` command; the live bot runs the same
//! [`Engine`].

mod format;
mod ordered;
mod splits;

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::engine::{Alert, Engine, Output, Prepared, STORY_MEMORY};
use crate::i18n::count;
use crate::model::{Bar, Headline};

pub use format::{
    BARS_CSV_HEADER, BarsCsv, CsvError, HeadlinesJsonl, RecordedSplit, SPLITS_CSV_HEADER,
    bar_csv_row, parse_splits_csv, split_csv_row,
};
pub use ordered::{
    InFileOrder, LineFormat, MAX_LINE, MAX_RUNS, Records, ReplayError, Scanned, in_file_order, scan,
};
pub use splits::Splits;

/// How often (data time) the engine is tidied during a replay, as the live bot does: state
/// that can no longer matter is dropped, and alerts whose story is forgotten are final.
const TIDY_EVERY: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// One recorded event.
#[derive(Clone, Debug)]
pub enum Event {
    /// Prices that became known at the same instant.
    Bars(Vec<Bar>),
    /// A headline.
    Headline(Box<Headline>),
}

/// Time-ordered bars and headlines as events: bars of one instant together, before the
/// headlines of that instant. Both inputs must be in time order (see [`scan`]).
pub struct Merge<B: Iterator, H: Iterator> {
    bars: std::iter::Peekable<B>,
    headlines: std::iter::Peekable<H>,
}

impl<B, H, E> Merge<B, H>
where
    B: Iterator<Item = Result<Bar, E>>,
    H: Iterator<Item = Result<Headline, E>>,
{
    /// Merges two time-ordered streams.
    pub fn new(bars: B, headlines: H) -> Merge<B, H> {
        Merge {
            bars: bars.peekable(),
            headlines: headlines.peekable(),
        }
    }
}

impl<B, H, E> Iterator for Merge<B, H>
where
    B: Iterator<Item = Result<Bar, E>>,
    H: Iterator<Item = Result<Headline, E>>,
{
    type Item = Result<(DateTime<Utc>, Event), E>;

    fn next(&mut self) -> Option<Self::Item> {
        // An error ends neither stream by itself: it is handed out first.
        if let Some(Err(_)) = self.bars.peek() {
            return self.bars.next().and_then(Result::err).map(Err);
        }
        if let Some(Err(_)) = self.headlines.peek() {
            return self.headlines.next().and_then(Result::err).map(Err);
        }
        let next_bar = match self.bars.peek() {
            Some(Ok(b)) => Some(b.time),
            _ => None,
        };
        let next_headline = match self.headlines.peek() {
            Some(Ok(h)) => Some(h.published),
            _ => None,
        };
        match (next_bar, next_headline) {
            (Some(b), h) if h.is_none_or(|h| b <= h) => {
                let mut batch = Vec::new();
                while let Some(Ok(bar)) = self.bars.next_if(|x| matches!(x, Ok(x) if x.time == b)) {
                    batch.push(bar);
                }
                Some(Ok((b, Event::Bars(batch))))
            }
            (_, Some(h)) => match self.headlines.next() {
                Some(Ok(headline)) => Some(Ok((h, Event::Headline(Box::new(headline))))),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Orders `bars` and `headlines` into events by time (bars first at equal times).
pub fn events(mut bars: Vec<Bar>, mut headlines: Vec<Headline>) -> Vec<(DateTime<Utc>, Event)> {
    bars.sort_by_key(|b| b.time);
    headlines.sort_by_key(|h| h.published);
    Merge::new(
        bars.into_iter().map(Ok::<_, std::convert::Infallible>),
        headlines.into_iter().map(Ok),
    )
    .map(|e| match e {
        Ok(e) => e,
    })
    .collect()
}

/// Runs events through an engine at their own times, as the live bot would have seen them.
///
/// An alert is handed out once it is final: when later copies of its story can no longer be
/// folded into it (the engine forgot the story), or at the end. So a replay holds only the
/// alerts of the last few days, however long the input.
pub struct Replayer<'e> {
    engine: &'e mut Engine,
    /// Alerts that may still get copies, in the order they fired (by id).
    pending: VecDeque<Alert>,
    last_tidy: Option<DateTime<Utc>>,
    /// The splits the recording bot took in, still to come.
    splits: Splits,
}

impl<'e> Replayer<'e> {
    /// A replay through `engine`.
    pub fn new(engine: &'e mut Engine) -> Replayer<'e> {
        Replayer {
            engine,
            pending: VecDeque::new(),
            last_tidy: None,
            splits: Splits::default(),
        }
    }

    /// The same, restating prices for `splits` where the recording bot did.
    pub fn with_splits(self, splits: Splits) -> Replayer<'e> {
        Replayer { splits, ..self }
    }

    /// Processes one event at its time `at`; `done` gets the alerts that became final.
    pub fn feed(&mut self, at: DateTime<Utc>, event: Event, done: impl FnMut(Alert)) {
        self.step(at, &event, None, done);
    }

    /// [`feed`](Self::feed), with a headline's text prepared ahead.
    fn step(
        &mut self,
        at: DateTime<Utc>,
        event: &Event,
        prepared: Option<&Prepared>,
        mut done: impl FnMut(Alert),
    ) {
        if self.last_tidy.is_none_or(|t| at - t >= TIDY_EVERY) {
            self.last_tidy = Some(at);
            self.engine.tidy(at);
            while self
                .pending
                .front()
                .is_some_and(|a| at - a.fired_at > STORY_MEMORY)
            {
                done(self.pending.pop_front().expect("checked"));
            }
        }
        self.splits.before(self.engine, at);
        let outputs = match event {
            Event::Bars(bars) => {
                let outputs = self.engine.on_bars(bars, at);
                self.splits.saw(bars);
                outputs
            }
            Event::Headline(h) => match prepared {
                Some(p) => self.engine.on_prepared_headline(h, p, at).0,
                None => self.engine.on_headline(h, at).0,
            },
        };
        for o in outputs {
            match o {
                Output::Alert(a) => self.pending.push_back(*a),
                Output::AlsoReported { alert, headline } => {
                    if let Ok(i) = self.pending.binary_search_by_key(&alert, |a| a.id) {
                        self.pending[i].also.push(headline);
                    }
                }
            }
        }
    }

    /// The end of the input: the alerts still pending, in the order they fired.
    pub fn finish(self, done: impl FnMut(Alert)) {
        self.pending.into_iter().for_each(done);
    }
}

/// What a streamed replay went through.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Bars replayed.
    pub bars: usize,
    /// Headlines replayed.
    pub headlines: usize,
}

/// Events handed from the reading thread to the engine's at a time: up to this many bars or
/// headlines (few hand-overs, little held).
const BATCH: usize = 256;

/// Replays two time-ordered streams (see [`scan`]) through `engine`, restating prices for
/// `splits` where the recording bot did: a second thread reads,
/// merges and prepares the headlines' text (the half of a headline's cost that needs no
/// state) while this one runs the engine; `done` gets each alert once it is final. Stops at
/// the first error of either stream.
///
/// The engine only borrows the events; each batch goes back to the reading thread to be
/// freed there, as the allocator frees fastest (and without locking) in the thread that
/// allocated.
pub fn stream<B, H>(
    engine: &mut Engine,
    splits: Splits,
    bars: B,
    headlines: H,
    mut done: impl FnMut(Alert),
) -> Result<Counts, ReplayError>
where
    B: Iterator<Item = Result<Bar, ReplayError>> + Send,
    H: Iterator<Item = Result<Headline, ReplayError>> + Send,
{
    type Step = (DateTime<Utc>, Event, Option<Prepared>);
    let rules = Arc::clone(engine.rules());
    std::thread::scope(|scope| {
        // A few batches in flight keep both threads busy without holding the input.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<Step>, ReplayError>>(4);
        let (used_tx, used) = std::sync::mpsc::channel::<Vec<Step>>();
        scope.spawn(move || {
            let mut batch = Vec::new();
            let mut weight = 0;
            for event in Merge::new(bars, headlines) {
                match event {
                    Ok((at, event)) => {
                        let prepared = match &event {
                            Event::Headline(h) => {
                                weight += 1;
                                Some(Prepared::of(&rules, h))
                            }
                            Event::Bars(b) => {
                                weight += b.len();
                                None
                            }
                        };
                        batch.push((at, event, prepared));
                        if weight >= BATCH {
                            weight = 0;
                            let full = std::mem::take(&mut batch);
                            if tx.send(Ok(full)).is_err() {
                                return;
                            }
                            while let Ok(done) = used.try_recv() {
                                drop(done);
                            }
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Ok(batch));
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            }
            let _ = tx.send(Ok(batch));
        });
        let mut replayer = Replayer::new(engine).with_splits(splits);
        let mut counts = Counts::default();
        for batch in rx {
            let batch = batch?;
            for (at, event, prepared) in &batch {
                match event {
                    Event::Bars(b) => counts.bars += b.len(),
                    Event::Headline(_) => counts.headlines += 1,
                }
                replayer.step(*at, event, prepared.as_ref(), &mut done);
            }
            // Gone when the reading thread has finished: then it is freed here.
            let _ = used_tx.send(batch);
        }
        replayer.finish(done);
        Ok(counts)
    })
}

/// Runs `events` through `engine` at their own times; the alerts fired and the copies folded.
pub fn run(
    engine: &mut Engine,
    events: impl IntoIterator<Item = (DateTime<Utc>, Event)>,
) -> Vec<Alert> {
    let mut alerts = Vec::new();
    let mut replayer = Replayer::new(engine);
    for (at, event) in events {
        replayer.feed(at, event, |a| alerts.push(a));
    }
    replayer.finish(|a| alerts.push(a));
    alerts
}

/// Parses bars in the replay CSV format (see [`BarsCsv`]) from a text held in memory.
pub fn parse_bars_csv(text: &str) -> Result<Vec<Bar>, CsvError> {
    let mut format = BarsCsv::default();
    let mut bars = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(bar) = format.read(line, i + 1)? {
            bars.push(bar);
        }
    }
    Ok(bars)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Session;

    /// A bar's symbol is read as the bot reads the symbols its sources write: trimmed, without
    /// a `$`, in capitals, and a US share class after a dot or slash (`brk.b`, as exchanges and
    /// many data vendors write it) in Yahoo's form, so the bars are those of the rules'
    /// `BRK-B`; an exchange's suffix stays (`VOD.L`, `7203.T`). What is no symbol is a bad bar.
    #[test]
    fn a_bars_symbol_is_read_as_the_bot_reads_symbols() {
        let row = |symbol: &str| format!("{symbol},2026-02-02T21:00:00Z,1d,1,1,1,1,1,regular");
        let written = [
            "brk.b",
            "\" sap.de \"",
            " $nvda",
            "vod.l",
            "bf/b",
            "7203.t",
            "bmw.f",
            "BRK-A",
        ];
        let rows: Vec<String> = written.iter().map(|s| row(s)).collect();
        let bars = parse_bars_csv(&format!("{BARS_CSV_HEADER}\n{}\n", rows.join("\n"))).unwrap();
        let symbols: Vec<&str> = bars.iter().map(|b| b.symbol.as_str()).collect();
        assert_eq!(
            symbols,
            [
                "BRK-B", "SAP.DE", "NVDA", "VOD.L", "BF-B", "7203.T", "BMW.F", "BRK-A"
            ]
        );
        let e = parse_bars_csv(&format!("{BARS_CSV_HEADER}\n{}\n", row("NV DA"))).unwrap_err();
        assert_eq!(
            (e.line, e.message.as_str()),
            (2, "`NV DA` is not a ticker symbol")
        );
        // A split of the same file names its symbol alike.
        let splits =
            parse_splits_csv(&format!("{SPLITS_CSV_HEADER}\nbrk.b,2026-02-02,2,\n")).unwrap();
        assert_eq!(splits[0].split.symbol, "BRK-B");
    }

    #[test]
    fn bars_csv_parses_with_missing_values_and_sessions() {
        let csv = "symbol,time,interval,open,high,low,close,volume,session\nNVDA,2026-02-02T21:00:00Z,30m,186.3,186.7,185.5,186.25,26142100,regular\nNVDA,2026-02-03T00:00:00Z,30m,,,,,,post\n";
        let bars = parse_bars_csv(csv).unwrap();
        assert_eq!(bars.len(), 2);
        assert_eq!(bars[0].close, Some(186.25));
        assert_eq!(bars[1].close, None);
        assert_eq!(bars[1].session, Some(Session::Post));
    }

    #[test]
    fn rows_written_read_back_the_same() {
        let csv = "symbol,time,interval,open,high,low,close,volume,session\nNVDA,2026-02-02T21:00:00Z,30m,186.3,186.7,185.5,186.25,26142100,regular\nNVDA,2026-02-03T00:00:00Z,30m,,,,,,post\nNVDA,2026-01-30T21:00:00Z,1d,,,,191.79,,\n";
        let bars = parse_bars_csv(csv).unwrap();
        let written: Vec<String> = bars.iter().map(bar_csv_row).collect();
        let again = parse_bars_csv(&format!("{BARS_CSV_HEADER}\n{}", written.join("\n"))).unwrap();
        assert_eq!(bars, again);
    }

    #[test]
    fn spreadsheet_csv_reads_too() {
        // A byte-order mark, quoted fields, Windows line ends.
        let csv = "\u{feff}\"symbol\",\"time\",\"interval\",\"close\"\r\n\"NVDA\",\"2026-02-02T21:00:00Z\",\"1d\",\"186.25\"\r\n";
        let bars = parse_bars_csv(csv).unwrap();
        assert_eq!(bars.len(), 1);
        assert_eq!(
            (bars[0].symbol.as_str(), bars[0].close),
            ("NVDA", Some(186.25))
        );
    }

    #[test]
    fn a_row_with_a_field_too_many_or_too_few_is_an_error() {
        let header = "symbol,time,interval,open,high,low,close,volume\n";
        for (row, count) in [
            (
                "NVDA,2026-02-02T21:00:00Z,1d,1,2,0.5,1.5,100,regular,extra",
                10,
            ),
            ("NVDA,2026-02-02T21:00:00Z,1d", 3),
        ] {
            let e = parse_bars_csv(&format!("{header}{row}\n")).unwrap_err();
            assert_eq!(e.line, 2);
            assert_eq!(e.message, format!("{count} fields, but the header names 8"));
        }
    }

    #[test]
    fn a_replay_needs_json_headlines_and_match_takes_plain_titles() {
        use super::ordered::LineFormat;
        let mut timed = HeadlinesJsonl::default();
        let e = timed
            .read("OpenAI is unsatisfied with Nvidia chips", 4)
            .unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.message.starts_with("not a JSON object"), "{e}");
        let bom = "\u{feff}{\"published\":\"2026-02-02T21:47:00Z\",\"title\":\"A title\"}";
        assert_eq!(timed.read(bom, 1).unwrap().unwrap().title, "A title");
        let (headlines, problems) = parse_headlines("OpenAI is unsatisfied with Nvidia chips\n");
        assert!(problems.is_empty());
        assert_eq!(
            headlines[0].title,
            "OpenAI is unsatisfied with Nvidia chips"
        );
    }

    #[test]
    fn bad_rows_name_their_line() {
        let csv =
            "symbol,time,interval,close\nNVDA,2026-02-02T21:00:00Z,30m,1\nNVDA,yesterday,30m,1\n";
        assert_eq!(parse_bars_csv(csv).unwrap_err().line, 3);
        assert!(parse_bars_csv("a,b\n").is_err());
        assert!(parse_bars_csv("symbol,time,interval,close\nX,2026-02-02T21:00:00Z,7q,1").is_err());
        assert!(
            parse_bars_csv("symbol,time,interval,close\nX,2026-02-02T21:00:00Z,1m,abc").is_err()
        );
    }

    #[test]
    fn events_put_bars_first_and_group_equal_times() {
        let bars = parse_bars_csv("symbol,time,interval,close\nA,2026-02-02T21:00:00Z,1m,1\nB,2026-02-02T21:00:00Z,1m,2\nA,2026-02-02T21:01:00Z,1m,3").unwrap();
        let h = Headline {
            id: String::new(),
            published: "2026-02-02T21:00:00Z".parse().unwrap(),
            source: String::new(),
            title: "x".into(),
            link: None,
            summary: None,
            symbols: vec![],
            lang: None,
        };
        let ev = events(bars, vec![h]);
        assert!(matches!(&ev[0].1, Event::Bars(b) if b.len() == 2));
        assert!(matches!(&ev[1].1, Event::Headline(_)));
        assert!(matches!(&ev[2].1, Event::Bars(b) if b.len() == 1));
    }
}

/// Recorded headlines, or plain titles (see [`HeadlinesJsonl::titles_too`]), from a text held
/// in memory: the headlines and the problems of lines that could not be read.
pub fn parse_headlines(text: &str) -> (Vec<Headline>, Vec<CsvError>) {
    let mut format = HeadlinesJsonl::titles_too();
    let mut headlines = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        match format.read(line, i + 1) {
            Ok(Some(h)) => headlines.push(h),
            Ok(None) => {}
            Err(e) => problems.push(e),
        }
    }
    (headlines, problems)
}

/// What `marketbot match` reports for one headline.
#[derive(Debug, serde::Serialize)]
pub struct HeadlineMatches {
    /// The headline as given.
    pub title: String,
    /// Its link (`null` when it has none: every line has the same keys).
    pub link: Option<String>,
    /// Symbols the text names.
    pub symbols: Vec<String>,
    /// Rules whose text part holds (or waits for a price move).
    pub rules: Vec<RuleMatch>,
}

/// One rule's text part on one headline.
#[derive(Debug, serde::Serialize)]
pub struct RuleMatch {
    /// The rule id.
    pub rule: String,
    /// `match` (the text alone fires the rule) or `needs_price` (waits for the price part).
    pub state: &'static str,
    /// The terms that matched, by selection.
    pub terms: Vec<crate::rules::MatchedTerm>,
}

/// Which rules' text parts hold for each headline, in input order.
pub fn match_headlines(
    set: &crate::rules::RuleSet,
    headlines: &[Headline],
) -> Vec<HeadlineMatches> {
    headlines.iter().map(|h| match_headline(set, h)).collect()
}

/// Which rules' text parts hold for one headline.
pub fn match_headline(set: &crate::rules::RuleSet, h: &Headline) -> HeadlineMatches {
    let lang = h.lang.as_deref().and_then(crate::text::Lang::from_code);
    let prepared = set.prepare(&h.title, h.summary.as_deref(), &h.source, lang);
    let m = set.match_headline(&prepared);
    HeadlineMatches {
        title: h.title.clone(),
        link: h.link.clone(),
        symbols: m.linked_symbols.into_iter().collect(),
        rules: m
            .rules
            .into_iter()
            .map(|r| RuleMatch {
                rule: set.rules()[r.rule].id.clone(),
                state: if r.verdict == crate::rules::Tri::True {
                    "match"
                } else {
                    "needs_price"
                },
                terms: r.matched,
            })
            .collect(),
    }
}

/// Counts for the summary line of a replay.
#[derive(Debug, Default)]
pub struct Summary {
    /// Headlines replayed.
    pub headlines: usize,
    /// Bars replayed.
    pub bars: usize,
    /// Alerts per rule.
    pub per_rule: std::collections::BTreeMap<String, usize>,
    /// Alerts per symbol.
    pub per_symbol: std::collections::BTreeMap<String, usize>,
    /// Alerts per UTC day.
    pub per_day: std::collections::BTreeMap<chrono::NaiveDate, usize>,
}

impl Summary {
    /// The summary of `alerts` over the given inputs.
    pub fn of(alerts: &[Alert], headlines: usize, bars: usize) -> Summary {
        let mut s = Summary {
            headlines,
            bars,
            ..Summary::default()
        };
        alerts.iter().for_each(|a| s.add(a));
        s
    }

    /// Counts one more alert.
    pub fn add(&mut self, a: &Alert) {
        *self.per_rule.entry(a.rule.clone()).or_default() += 1;
        *self
            .per_symbol
            .entry(a.symbol.clone().unwrap_or_else(|| "-".into()))
            .or_default() += 1;
        *self.per_day.entry(a.fired_at.date_naive()).or_default() += 1;
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |m: &std::collections::BTreeMap<String, usize>| {
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let total: usize = self.per_rule.values().sum();
        write!(
            f,
            "replayed {} and {}: {}",
            count(self.headlines, "headline", "headlines"),
            count(self.bars, "bar", "bars"),
            count(total, "alert", "alerts")
        )?;
        if total > 0 {
            let days = self
                .per_day
                .iter()
                .map(|(d, n)| format!("{d} {n}"))
                .collect::<Vec<_>>()
                .join(", ");
            write!(
                f,
                "; per rule: {}; per symbol: {}; per day: {days}",
                list(&self.per_rule),
                list(&self.per_symbol)
            )?;
        }
        Ok(())
    }
}
