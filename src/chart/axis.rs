//! The time axis in trading time: only stretches with prices take width.
//!
//! A calendar axis spends most of a five-day chart on nights and the weekend. Here the bars
//! are laid out in *segments* — runs of bars of one trading day without a long pause — placed
//! side by side, each as wide as the time it covers, with a narrow break between two segments
//! (a night, a weekend, a holiday without data all cost the same sliver). Daily bars take one
//! equal slot each. Ticks fall on round times in the chart's zone (full hours), or name the
//! days of a chart of several days.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;

use super::words;
use crate::market::Exchange;
use crate::text::Lang;

/// The width one break between segments takes (of the whole axis).
const GAP: f64 = 0.012;
/// All breaks together take at most this much: a chart with holes in its data stays readable.
const GAPS_AT_MOST: f64 = 0.08;
/// A pause in the data longer than this (and than three bars) starts a new segment; a new
/// trading day always does.
const PAUSE: Duration = Duration::hours(2);
/// A marked instant this close after (or before) the data widens the axis to include it.
const MARK_REACH: Duration = Duration::hours(4);

/// One stretch of trading time.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Segment {
    /// First instant.
    from: DateTime<Utc>,
    /// Last instant.
    to: DateTime<Utc>,
    /// The exchange's trading day it belongs to.
    date: NaiveDate,
    /// Where it starts on the axis (0..1).
    x0: f64,
    /// Where it ends.
    x1: f64,
}

/// What a tick names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TickKind {
    /// A round time of day (`10:00`).
    Time,
    /// A trading day of a chart of several days (`Mon 2 Feb`), labelled in its middle.
    Day,
    /// A date on a chart of daily bars (`2 Feb`): the first trading day of a week.
    Date,
}

/// A tick of the time axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    /// Where its grid line is (0..1 of the axis).
    pub x: f64,
    /// Where its label is centred.
    pub label_x: f64,
    /// The label.
    pub label: String,
    /// The instant it marks: a round time in the zone, or the start of the day it names.
    pub at: DateTime<Utc>,
    /// What it names.
    pub kind: TickKind,
}

/// Maps instants to positions on a chart's time axis (0 at the left, 1 at the right).
#[derive(Clone, Debug)]
pub struct Axis {
    segments: Vec<Segment>,
    /// Daily slots (equal widths, no breaks) rather than intraday segments.
    daily: bool,
    exchange: &'static Exchange,
}

impl Axis {
    /// The axis of intraday bars given as `(start, end)` in time order.
    pub fn intraday(
        spans: impl IntoIterator<Item = (DateTime<Utc>, DateTime<Utc>)>,
        exchange: &'static Exchange,
    ) -> Axis {
        let spans: Vec<_> = spans.into_iter().collect();
        let mut lengths: Vec<Duration> = spans.iter().map(|(s, e)| *e - *s).collect();
        lengths.sort_unstable();
        let step = lengths.get(lengths.len() / 2).copied().unwrap_or_default();
        let pause = PAUSE.max(step * 3);
        let mut segments: Vec<Segment> = Vec::new();
        for (start, end) in spans {
            let date = exchange.trading_date(end - Duration::seconds(1));
            match segments.last_mut() {
                Some(s) if s.date == date && start - s.to <= pause => s.to = s.to.max(end),
                _ => segments.push(Segment {
                    from: start,
                    to: end,
                    date,
                    x0: 0.0,
                    x1: 0.0,
                }),
            }
        }
        let mut axis = Axis {
            segments,
            daily: false,
            exchange,
        };
        axis.layout();
        axis
    }

    /// The axis of daily bars: one equal slot per trading day, from its open to its close.
    pub fn daily(dates: &[NaiveDate], exchange: &'static Exchange) -> Axis {
        let mut axis = Axis {
            segments: dates
                .iter()
                .map(|d| Segment {
                    from: exchange.open_on(*d),
                    to: exchange.close_on(*d),
                    date: *d,
                    x0: 0.0,
                    x1: 0.0,
                })
                .collect(),
            daily: true,
            exchange,
        };
        axis.layout();
        axis
    }

    /// Widens the axis to show `t` inside it when it falls shortly after (or before) the data —
    /// a headline published after the last bar — with room to its right.
    pub fn include(&mut self, t: DateTime<Utc>) {
        if self.daily {
            return;
        }
        let total: Duration = self.segments.iter().map(|s| s.to - s.from).sum();
        let room = total / 25;
        if let Some(last) = self.segments.last_mut()
            && t + room > last.to
            && t <= last.to + MARK_REACH
        {
            last.to = t + room;
        }
        if let Some(first) = self.segments.first_mut()
            && t < first.from
            && t >= first.from - MARK_REACH
        {
            first.from = t - room / 2;
        }
        self.layout();
    }

    fn layout(&mut self) {
        let n = self.segments.len();
        let weights: Vec<f64> = self
            .segments
            .iter()
            .map(|s| match self.daily {
                true => 1.0,
                false => (s.to - s.from).num_seconds().max(1) as f64,
            })
            .collect();
        let gap = match (self.daily, n) {
            (true, _) | (_, 0 | 1) => 0.0,
            _ => GAP.min(GAPS_AT_MOST / (n - 1) as f64),
        };
        let scale = (1.0 - gap * n.saturating_sub(1) as f64) / weights.iter().sum::<f64>();
        let mut x = 0.0;
        for (s, w) in self.segments.iter_mut().zip(weights) {
            s.x0 = x;
            s.x1 = x + w * scale;
            x = s.x1 + gap;
        }
    }

    /// The first and last instant on the axis.
    pub fn bounds(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        Some((self.segments.first()?.from, self.segments.last()?.to))
    }

    /// Where `t` is on the axis: inside its segment, in the middle of the break it falls in,
    /// or at an end.
    pub fn x(&self, t: DateTime<Utc>) -> f64 {
        let i = self.segments.partition_point(|s| s.to < t);
        let Some(s) = self.segments.get(i) else {
            return 1.0;
        };
        if t < s.from {
            return match i {
                0 => 0.0,
                _ => (self.segments[i - 1].x1 + s.x0) / 2.0,
            };
        }
        let span = (s.to - s.from).num_milliseconds().max(1) as f64;
        s.x0 + (s.x1 - s.x0) * (t - s.from).num_milliseconds() as f64 / span
    }

    /// Where the breaks between segments are (the middle of each): the separators to draw.
    pub fn breaks(&self) -> Vec<f64> {
        if self.daily {
            return Vec::new();
        }
        self.segments
            .windows(2)
            .map(|w| (w[0].x1 + w[1].x0) / 2.0)
            .collect()
    }

    /// The trading days the axis shows, with where each starts and ends.
    fn days(&self) -> Vec<(NaiveDate, f64, f64)> {
        let mut days: Vec<(NaiveDate, f64, f64)> = Vec::new();
        for s in &self.segments {
            match days.last_mut() {
                Some((d, _, x1)) if *d == s.date => *x1 = s.x1,
                _ => days.push((s.date, s.x0, s.x1)),
            }
        }
        days
    }

    /// The start of each trading day of an intraday axis, named (`Mon 2 Feb`): what stands
    /// under the times of a chart of a day or two.
    pub fn day_starts(&self, lang: Lang) -> Vec<(f64, String)> {
        self.days()
            .into_iter()
            .map(|(d, x0, _)| (x0, words::day(lang, d)))
            .collect()
    }

    /// The ticks for an axis `width` pixels wide whose labels `measure` pixels wide: round
    /// times in `tz` for a chart of a day or two, the days for a chart of several days, the
    /// first trading day of each week for daily bars.
    pub fn ticks(
        &self,
        tz: Tz,
        lang: Lang,
        width: f64,
        measure: &dyn Fn(&str) -> f64,
    ) -> Vec<Tick> {
        if self.daily {
            return self.date_ticks(lang, width, measure);
        }
        if self.days().len() <= 2
            && let Some(ticks) = self.time_ticks(tz, width, measure("00:00") * 1.5)
        {
            return ticks;
        }
        self.day_ticks(lang, width, measure)
    }

    /// Round times: the smallest step (30 minutes on charts of a few hours, else whole hours)
    /// whose labels do not crowd each other; `None` when even twelve hours crowd them.
    fn time_ticks(&self, tz: Tz, width: f64, room: f64) -> Option<Vec<Tick>> {
        let (from, to) = self.bounds()?;
        let short = to - from <= Duration::hours(3);
        let steps: &[u32] = if short {
            &[30, 60, 120]
        } else {
            &[60, 120, 180, 240, 360, 720]
        };
        for &step in steps {
            let per_segment: Vec<Vec<DateTime<Utc>>> = self
                .segments
                .iter()
                .map(|s| round_times(s.from, s.to, tz, step))
                .collect();
            let crowded = per_segment.iter().any(|times| {
                times
                    .windows(2)
                    .any(|w| (self.x(w[1]) - self.x(w[0])) * width < room)
            });
            if crowded {
                continue;
            }
            // Across a break, the later of two crowding labels gives way.
            let mut ticks: Vec<Tick> = Vec::new();
            for t in per_segment.into_iter().flatten() {
                let x = self.x(t);
                if ticks.last().is_some_and(|l| (x - l.x) * width < room) {
                    continue;
                }
                ticks.push(Tick {
                    x,
                    label_x: x,
                    label: t.with_timezone(&tz).format("%H:%M").to_string(),
                    at: t,
                    kind: TickKind::Time,
                });
            }
            return Some(ticks);
        }
        None
    }

    /// One tick per trading day at its start, labelled in its middle (the weekday alone, or
    /// nothing, when the day is too narrow for its date).
    fn day_ticks(&self, lang: Lang, width: f64, measure: &dyn Fn(&str) -> f64) -> Vec<Tick> {
        self.days()
            .into_iter()
            .map(|(date, x0, x1)| {
                let room = (x1 - x0) * width - 8.0;
                let long = words::day(lang, date);
                let short = words::weekday(lang, date.weekday()).to_string();
                let label = if measure(&long) <= room {
                    long
                } else if measure(&short) <= room {
                    short
                } else {
                    String::new()
                };
                Tick {
                    x: x0,
                    label_x: (x0 + x1) / 2.0,
                    label,
                    at: self.exchange.start_of(date),
                    kind: TickKind::Day,
                }
            })
            .collect()
    }

    /// The first trading day of each week (every second or fourth week when weeks are narrow).
    fn date_ticks(&self, lang: Lang, width: f64, measure: &dyn Fn(&str) -> f64) -> Vec<Tick> {
        let mut firsts: Vec<&Segment> = Vec::new();
        for s in &self.segments {
            let week = s.date.iso_week();
            if firsts.last().is_none_or(|f| f.date.iso_week() != week) {
                firsts.push(s);
            }
        }
        let room = measure("30 Sep") * 1.4;
        let every = [1, 2, 4, 8]
            .into_iter()
            .find(|n| {
                firsts
                    .windows(n + 1)
                    .step_by(*n)
                    .all(|w| (w[*n].x0 - w[0].x0) * width >= room)
            })
            .unwrap_or(8);
        firsts
            .into_iter()
            .step_by(every)
            .map(|s| {
                let x = (s.x0 + s.x1) / 2.0;
                Tick {
                    x,
                    label_x: x,
                    label: words::date_only(lang, s.date),
                    at: self.exchange.start_of(s.date),
                    kind: TickKind::Date,
                }
            })
            .collect()
    }
}

/// The instants in `[from, to]` at which the clock in `tz` shows a multiple of `step` minutes
/// (whole hours for steps of an hour or more). Zones sit on quarter hours, so a walk over the
/// quarter hours finds them all, across daylight-saving changes.
fn round_times(from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz, step: u32) -> Vec<DateTime<Utc>> {
    let quarter = 900;
    let first = from.timestamp().div_euclid(quarter) * quarter
        + if from.timestamp() % quarter == 0 {
            0
        } else {
            quarter
        };
    let mut out = Vec::new();
    let mut t = first;
    while t <= to.timestamp() {
        if let Some(utc) = DateTime::from_timestamp(t, 0) {
            let local = utc.with_timezone(&tz);
            let minutes = local.hour() * 60 + local.minute();
            if minutes % step == 0 {
                out.push(utc);
            }
        }
        t += quarter;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::exchange_for;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// 30-minute bars of one US trading day: pre-market from 8:00, regular, after hours to 18:00
    /// (New York time; 13:00–23:00 UTC in winter).
    fn day_bars(date: &str) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let start = t(&format!("{date}T13:00:00Z"));
        (0..20)
            .map(|i| {
                let s = start + Duration::minutes(30 * i);
                (s, s + Duration::minutes(30))
            })
            .collect()
    }

    /// Thursday 29 January to Wednesday 4 February 2026: five trading days over a weekend.
    fn five_days() -> Axis {
        let spans = [
            "2026-01-29",
            "2026-01-30",
            "2026-02-02",
            "2026-02-03",
            "2026-02-04",
        ]
        .iter()
        .flat_map(|d| day_bars(d));
        Axis::intraday(spans, exchange_for("NVDA"))
    }

    fn measure(s: &str) -> f64 {
        s.chars().count() as f64 * 11.0
    }

    #[test]
    fn the_weekend_takes_a_sliver_of_a_five_day_chart() {
        let axis = five_days();
        let friday_close = axis.x(t("2026-01-30T23:00:00Z"));
        let monday_open = axis.x(t("2026-02-02T13:00:00Z"));
        let weekend = monday_open - friday_close;
        assert!(weekend > 0.0, "the break is visible");
        assert!(
            weekend <= 0.05,
            "the weekend takes {:.1} %",
            weekend * 100.0
        );
        // Each day's ten hours take the same width, a fifth of the chart less the breaks.
        let monday = axis.x(t("2026-02-02T23:00:00Z")) - monday_open;
        assert!((0.18..=0.2).contains(&monday), "{monday}");
        // Saturday noon is in the break.
        let saturday = axis.x(t("2026-01-31T17:00:00Z"));
        assert!(friday_close < saturday && saturday < monday_open);
    }

    #[test]
    fn session_breaks_fall_between_trading_days() {
        let axis = five_days();
        let breaks = axis.breaks();
        assert_eq!(breaks.len(), 4, "one break per night: {breaks:?}");
        let pairs = [
            ("2026-01-29T23:00:00Z", "2026-01-30T13:00:00Z"),
            ("2026-01-30T23:00:00Z", "2026-02-02T13:00:00Z"),
            ("2026-02-02T23:00:00Z", "2026-02-03T13:00:00Z"),
            ("2026-02-03T23:00:00Z", "2026-02-04T13:00:00Z"),
        ];
        for (b, (close, open)) in breaks.iter().zip(pairs) {
            assert!(axis.x(t(close)) < *b && *b < axis.x(t(open)), "{b} {close}");
        }
        // Pre-market, regular hours and after hours of one day are one stretch.
        let one = Axis::intraday(day_bars("2026-02-02"), exchange_for("NVDA"));
        assert!(one.breaks().is_empty());
        // A pause of an hour in thin pre-market trading is no break; a data hole overnight is.
        let mut thin = day_bars("2026-02-02");
        thin.remove(2);
        thin.remove(2);
        assert!(
            Axis::intraday(thin, exchange_for("NVDA"))
                .breaks()
                .is_empty()
        );
    }

    #[test]
    fn every_time_label_is_a_round_time_in_the_zone() {
        let one = Axis::intraday(day_bars("2026-02-02"), exchange_for("NVDA"));
        for tz in [
            chrono_tz::America::New_York,
            chrono_tz::Europe::Berlin,
            Tz::UTC,
            chrono_tz::Asia::Kathmandu,
        ] {
            let ticks = one.ticks(tz, Lang::En, 1000.0, &measure);
            assert!(ticks.len() >= 4, "{tz}: {ticks:?}");
            for tick in &ticks {
                let local = tick.at.with_timezone(&tz);
                assert_eq!(tick.kind, TickKind::Time);
                assert_eq!((local.minute(), local.second()), (0, 0), "{tz}: {tick:?}");
                assert!(tick.label.ends_with(":00"), "{tick:?}");
                assert_eq!(tick.label, local.format("%H:%M").to_string());
            }
            let xs: Vec<f64> = ticks.iter().map(|t| t.x).collect();
            assert!(xs.windows(2).all(|w| w[1] > w[0]), "in order: {xs:?}");
        }
        // Odd bar times (a first bar ending 10:46) still get labels on the hour only.
        let odd = Axis::intraday(
            [(t("2026-02-02T15:41:00Z"), t("2026-02-02T15:46:00Z"))]
                .into_iter()
                .chain((1..60).map(|i| {
                    let s = t("2026-02-02T15:46:00Z") + Duration::minutes(5 * (i - 1));
                    (s, s + Duration::minutes(5))
                })),
            exchange_for("NVDA"),
        );
        let tz = chrono_tz::America::New_York;
        for tick in odd.ticks(tz, Lang::En, 1000.0, &measure) {
            assert_eq!(tick.at.with_timezone(&tz).minute(), 0, "{tick:?}");
        }
    }

    #[test]
    fn days_are_named_on_a_chart_of_several_days() {
        let ticks = five_days().ticks(chrono_tz::America::New_York, Lang::De, 1000.0, &measure);
        let labels: Vec<&str> = ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Do 29. Jan",
                "Fr 30. Jan",
                "Mo 2. Feb",
                "Di 3. Feb",
                "Mi 4. Feb"
            ]
        );
        for tick in &ticks {
            assert_eq!(tick.kind, TickKind::Day);
            assert!(tick.x < tick.label_x, "labelled inside its day");
            let local = tick.at.with_timezone(&chrono_tz::America::New_York);
            assert_eq!((local.hour(), local.minute()), (0, 0));
        }
    }

    #[test]
    fn daily_bars_take_equal_slots_and_weeks_are_labelled() {
        let us = exchange_for("NVDA");
        // January 2026's trading days: Martin Luther King Day (19 January) is none.
        let dates: Vec<NaiveDate> = (5..=30)
            .filter_map(|d| NaiveDate::from_ymd_opt(2026, 1, d))
            .filter(|d| us.is_trading_day(*d))
            .collect();
        assert_eq!(dates.len(), 19);
        let axis = Axis::daily(&dates, us);
        assert!(axis.breaks().is_empty());
        let slot = 1.0 / dates.len() as f64;
        let friday = axis.x(us.close_on(dates[9]));
        let tuesday = axis.x(us.open_on(dates[10]));
        assert!(
            (tuesday - friday).abs() < 1e-9,
            "the holiday takes no width"
        );
        assert!((friday - 10.0 * slot).abs() < 1e-9);
        let ticks = axis.ticks(Tz::UTC, Lang::En, 1000.0, &measure);
        let labels: Vec<&str> = ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["5 Jan", "12 Jan", "20 Jan", "26 Jan"]);
    }

    #[test]
    fn a_headline_after_the_last_bar_is_inside_the_axis() {
        let mut axis = Axis::intraday(day_bars("2026-02-02")[..17].to_vec(), exchange_for("NVDA"));
        let headline = t("2026-02-02T21:47:00Z");
        assert_eq!(axis.x(headline), 1.0, "past the data");
        axis.include(headline);
        let x = axis.x(headline);
        assert!(x < 0.97, "room to its right: {x}");
        // A headline from the night before is not worth half the chart.
        let mut axis = Axis::intraday(day_bars("2026-02-02"), exchange_for("NVDA"));
        axis.include(t("2026-02-02T05:00:00Z"));
        assert_eq!(axis.bounds().unwrap().0, t("2026-02-02T13:00:00Z"));
    }
}
