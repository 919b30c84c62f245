//! Recorded headlines and bars through the live engine, in time order, with no look-ahead.
//!
//! The clock is the data's own: each event is processed at its timestamp, bars before
//! headlines of the same instant (a bar's time is when its values were final). This is the
//! driver behind a rule file's scenarios and the `replay` command; the live bot runs the same
//! [`Engine`].

use chrono::{DateTime, Utc};

use crate::engine::{Alert, Engine, Output};
use crate::model::{Bar, Headline, Interval, Session};

/// One recorded event.
#[derive(Clone, Debug)]
pub enum Event {
    /// Prices that became known at the same instant.
    Bars(Vec<Bar>),
    /// A headline.
    Headline(Box<Headline>),
}

/// Orders `bars` and `headlines` into events by time (bars first at equal times).
pub fn events(mut bars: Vec<Bar>, mut headlines: Vec<Headline>) -> Vec<(DateTime<Utc>, Event)> {
    bars.sort_by_key(|b| b.time);
    headlines.sort_by_key(|h| h.published);
    let mut out: Vec<(DateTime<Utc>, Event)> = Vec::new();
    let mut bars = bars.into_iter().peekable();
    let mut headlines = headlines.into_iter().peekable();
    loop {
        let next_bar = bars.peek().map(|b| b.time);
        let next_headline = headlines.peek().map(|h| h.published);
        match (next_bar, next_headline) {
            (Some(b), h) if h.is_none_or(|h| b <= h) => {
                let mut batch = Vec::new();
                while let Some(bar) = bars.next_if(|x| x.time == b) {
                    batch.push(bar);
                }
                out.push((b, Event::Bars(batch)));
            }
            (_, Some(h)) => {
                let headline = headlines.next().expect("peeked");
                out.push((h, Event::Headline(Box::new(headline))));
            }
            _ => return out,
        }
    }
}

/// Runs `events` through `engine` at their own times; the alerts fired and the copies folded.
pub fn run(engine: &mut Engine, events: Vec<(DateTime<Utc>, Event)>) -> Vec<Alert> {
    let mut alerts: Vec<Alert> = Vec::new();
    for (at, event) in events {
        let outputs = match event {
            Event::Bars(bars) => engine.on_bars(&bars, at),
            Event::Headline(h) => engine.on_headline(&h, at).0,
        };
        for o in outputs {
            match o {
                Output::Alert(a) => alerts.push(*a),
                Output::AlsoReported { alert, headline } => {
                    if let Some(a) = alerts.iter_mut().find(|a| a.id == alert) {
                        a.also.push(headline);
                    }
                }
            }
        }
    }
    alerts
}

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

/// A problem in a bars CSV: 1-based line and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct CsvError {
    /// The line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses bars in the replay CSV format: header `symbol,time,interval,open,high,low,close,volume`
/// and an optional `session` column; empty fields are missing values.
pub fn parse_bars_csv(text: &str) -> Result<Vec<Bar>, CsvError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
    let Some((header_line, header)) = lines.next() else {
        return Ok(Vec::new());
    };
    let columns: Vec<&str> = header.split(',').map(str::trim).collect();
    let col = |name: &str| columns.iter().position(|c| c.eq_ignore_ascii_case(name));
    let err = |line, message: String| CsvError { line, message };
    let (Some(c_symbol), Some(c_time), Some(c_interval), Some(c_close)) =
        (col("symbol"), col("time"), col("interval"), col("close"))
    else {
        return Err(err(
            header_line,
            format!(
                "header `{header}` must name symbol, time, interval and close (open, high, low, volume, session optional)"
            ),
        ));
    };
    let (c_open, c_high, c_low, c_volume, c_session) = (
        col("open"),
        col("high"),
        col("low"),
        col("volume"),
        col("session"),
    );
    let mut bars = Vec::new();
    for (n, line) in lines {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let get = |c: Option<usize>| {
            c.and_then(|c| fields.get(c))
                .copied()
                .filter(|v| !v.is_empty())
        };
        let number = |c: Option<usize>, what: &str| -> Result<Option<f64>, CsvError> {
            get(c)
                .map(|v| {
                    v.parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite())
                        .ok_or_else(|| err(n, format!("{what} `{v}` is not a number")))
                })
                .transpose()
        };
        let symbol = get(Some(c_symbol))
            .ok_or_else(|| err(n, "missing symbol".into()))?
            .to_ascii_uppercase();
        let time_text = get(Some(c_time)).ok_or_else(|| err(n, "missing time".into()))?;
        let time = DateTime::parse_from_rfc3339(time_text)
            .map_err(|_| {
                err(
                    n,
                    format!("time `{time_text}` is not RFC 3339 (e.g. 2026-02-02T21:00:00Z)"),
                )
            })?
            .with_timezone(&Utc);
        let interval: Interval = get(Some(c_interval))
            .ok_or_else(|| err(n, "missing interval".into()))?
            .parse()
            .map_err(|e: String| err(n, e))?;
        let session = get(c_session)
            .map(|s| s.parse::<Session>().map_err(|e| err(n, e)))
            .transpose()?;
        let volume = get(c_volume)
            .map(|v| {
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .map(|x| x as u64)
                    .ok_or_else(|| err(n, format!("volume `{v}` is not a number")))
            })
            .transpose()?;
        bars.push(Bar {
            symbol,
            time,
            interval,
            open: number(c_open, "open")?,
            high: number(c_high, "high")?,
            low: number(c_low, "low")?,
            close: number(Some(c_close), "close")?,
            volume,
            session,
        });
    }
    Ok(bars)
}

#[cfg(test)]
mod tests {
    use super::*;

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

/// Recorded headlines: JSON Lines (`{"published": …, "title": …}`) or plain titles, one per
/// line. Returns the headlines and the problems of lines that could not be read.
pub fn parse_headlines(text: &str) -> (Vec<Headline>, Vec<CsvError>) {
    let mut headlines = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        if line.starts_with('{') {
            match serde_json::from_str::<Headline>(line) {
                Ok(h) if !h.title.trim().is_empty() => headlines.push(h),
                Ok(_) => problems.push(CsvError {
                    line: i + 1,
                    message: "empty title".into(),
                }),
                Err(e) => problems.push(CsvError {
                    line: i + 1,
                    message: e.to_string(),
                }),
            }
        } else {
            headlines.push(Headline {
                id: String::new(),
                published: DateTime::<Utc>::UNIX_EPOCH,
                source: String::new(),
                title: line.to_string(),
                link: None,
                summary: None,
                symbols: Vec::new(),
                lang: None,
            });
        }
    }
    (headlines, problems)
}

/// What `marketbot match` reports for one headline.
#[derive(Debug, serde::Serialize)]
pub struct HeadlineMatches {
    /// The headline as given.
    pub title: String,
    /// Its link, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
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
    headlines
        .iter()
        .map(|h| {
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
        })
        .collect()
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
        for a in alerts {
            *s.per_rule.entry(a.rule.clone()).or_default() += 1;
            *s.per_symbol
                .entry(a.symbol.clone().unwrap_or_else(|| "-".into()))
                .or_default() += 1;
            *s.per_day.entry(a.fired_at.date_naive()).or_default() += 1;
        }
        s
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
            "replayed {} headlines and {} bars: {total} alert(s)",
            self.headlines, self.bars
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
