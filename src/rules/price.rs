//! Price selections: conditions on what a symbol's price series showed at an instant.
//!
//! A check is evaluated on a [`Series`] *as of* `t`; it sees no later bar. A price older than
//! the check's freshness limit (while its market trades) never satisfies anything, and neither
//! does a reference from before the last trading day (a gap in the data).

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Session;
use crate::series::Series;

/// How many calendar days a previous close may lie before the expected previous trading day
/// (a closure no calendar here knows, such as Hong Kong's Lunar New Year or Easter with Ching
/// Ming in a year outside its table, or a typhoon, must not make it stale).
const MAX_HOLIDAY_GAP_DAYS: i64 = 6;

/// How old a price may be (while its market trades) and still count, when a check says
/// nothing else (`max_age`): rules and personal alerts alike.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(30 * 60);

/// How far a figure computed from prices may lie off its exact value and still be taken for
/// it: from 180 to 176.40 is a fall of exactly 2 %, but the division makes it
/// −1.999999999999997 %. A threshold met exactly is met (`<=`, `>=`) and not passed (`<`,
/// `>`). A tolerance in the figure's own unit (percentage points for a change or a gap, times
/// for a volume ratio): the error of the division is some 1e-14, and no figure a rule
/// compares differs from its threshold by a billionth on purpose.
pub const ROUNDING: f64 = 1e-9;

/// What a change is measured against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reference {
    /// The last regular close of an earlier trading day.
    PreviousClose,
    /// The first regular price of the current trading day.
    Open,
    /// Today's regular close (for after-hours moves).
    Close,
    /// The extreme of a rolling window: its high for drops, its low for rises.
    Window,
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `<=`
    Le,
    /// `<`
    Lt,
    /// `>=`
    Ge,
    /// `>`
    Gt,
}

impl Cmp {
    /// Whether a computed `value` meets `threshold`, within [`ROUNDING`].
    fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Cmp::Le => value <= threshold + ROUNDING,
            Cmp::Lt => value < threshold - ROUNDING,
            Cmp::Ge => value >= threshold - ROUNDING,
            Cmp::Gt => value > threshold + ROUNDING,
        }
    }

    fn parse(s: &str) -> Option<(Cmp, &str)> {
        let t = s.trim();
        [
            ("<=", Cmp::Le),
            (">=", Cmp::Ge),
            ("<", Cmp::Lt),
            (">", Cmp::Gt),
        ]
        .into_iter()
        .find_map(|(op, c)| t.strip_prefix(op).map(|rest| (c, rest.trim())))
    }
}

impl fmt::Display for Cmp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Cmp::Le => "<=",
            Cmp::Lt => "<",
            Cmp::Ge => ">=",
            Cmp::Gt => ">",
        })
    }
}

/// A threshold such as `<= -2%` or `>= 3x`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Threshold {
    /// The comparison.
    pub cmp: Cmp,
    /// The number (−2.0 for −2 %, 3.0 for 3×).
    pub value: f64,
}

impl Threshold {
    /// Parses `<= -2%`, `>=3 %`, `< -2.5%`.
    pub fn percent(s: &str) -> Result<Threshold, String> {
        Threshold::parse(s, '%', "<= -2%", 1000.0)
    }

    /// Parses `>= 3x`.
    pub fn ratio(s: &str) -> Result<Threshold, String> {
        let t = Threshold::parse(s, 'x', ">= 3x", 1000.0)?;
        if t.value <= 0.0 {
            return Err(format!("`{s}`: a ratio must be above zero"));
        }
        Ok(t)
    }

    fn parse(s: &str, unit: char, example: &str, max: f64) -> Result<Threshold, String> {
        let Some((cmp, rest)) = Cmp::parse(s) else {
            return Err(format!(
                "`{s}` needs a comparison (<=, <, >=, >), e.g. `{example}`"
            ));
        };
        let Some(num) = rest
            .strip_suffix(unit)
            .or_else(|| rest.strip_suffix(unit.to_ascii_uppercase()))
        else {
            return Err(format!(
                "`{s}` needs a `{unit}` after the number, e.g. `{example}`"
            ));
        };
        let value: f64 = num
            .trim()
            .parse()
            .map_err(|_| format!("`{}` is not a number in `{s}`", num.trim()))?;
        if !value.is_finite() || value.abs() > max {
            return Err(format!("`{s}` is out of range"));
        }
        Ok(Threshold { cmp, value })
    }
}

/// Which prices a check looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionFilter {
    /// Every session.
    Any,
    /// The regular session only.
    Regular,
    /// Pre-market and after-hours only.
    Extended,
    /// Pre-market only.
    Pre,
    /// After-hours only.
    Post,
}

impl SessionFilter {
    /// Parses `any`, `regular`, `extended`, `pre`, `post`.
    pub fn parse(s: &str) -> Result<SessionFilter, String> {
        Ok(match s.trim() {
            "any" => SessionFilter::Any,
            "regular" => SessionFilter::Regular,
            "extended" => SessionFilter::Extended,
            "pre" => SessionFilter::Pre,
            "post" => SessionFilter::Post,
            other => {
                return Err(format!(
                    "unknown session `{other}`; expected any, regular, extended, pre or post"
                ));
            }
        })
    }

    /// Whether a price of `session` counts.
    pub fn accepts(self, session: Option<Session>) -> bool {
        let session = session.unwrap_or(Session::Regular);
        match self {
            SessionFilter::Any => true,
            SessionFilter::Regular => session == Session::Regular,
            SessionFilter::Extended => session != Session::Regular,
            SessionFilter::Pre => session == Session::Pre,
            SessionFilter::Post => session == Session::Post,
        }
    }

    fn extended(self) -> bool {
        self != SessionFilter::Regular
    }
}

/// Which way a level is crossed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// From at or above to below.
    Below,
    /// From at or below to above.
    Above,
}

/// What a price selection tests.
#[derive(Clone, Debug, PartialEq)]
pub enum PriceKind {
    /// Percentage change against a reference.
    Change {
        /// The reference.
        from: Reference,
        /// The rolling window, for [`Reference::Window`].
        window: Option<Duration>,
        /// The threshold in percent.
        threshold: Threshold,
    },
    /// The price crossed a level between the previous price and this one.
    Crosses {
        /// Which way.
        direction: Direction,
        /// The level.
        level: f64,
    },
    /// Today's open against the previous close, in percent.
    Gap {
        /// The threshold in percent.
        threshold: Threshold,
    },
    /// Today's volume against the average of earlier days, at the same pace.
    Volume {
        /// The threshold as a ratio.
        threshold: Threshold,
        /// Trading days averaged.
        days: usize,
    },
    /// The price is the highest (or lowest) of this many trading days.
    NewExtreme {
        /// High (true) or low.
        high: bool,
        /// Trading days looked back.
        days: usize,
    },
}

impl PriceCheck {
    /// For a check that holds only at the price where it happens — a level crossed, a new
    /// high or low — whether the last price at `t` is still past the line it went through
    /// (`evidence`: the figures of when it happened). Any other check: false.
    pub fn still_past(&self, series: &Series, t: DateTime<Utc>, evidence: &PriceEvidence) -> bool {
        let Some(last) = series.last_at(t, |s| self.session.accepts(s)) else {
            return false;
        };
        match &self.kind {
            PriceKind::Crosses { direction, level } => match direction {
                Direction::Below => last.price < *level,
                Direction::Above => last.price > *level,
            },
            PriceKind::NewExtreme { high, .. } => evidence.reference.is_some_and(|prior| {
                if *high {
                    last.price > prior
                } else {
                    last.price < prior
                }
            }),
            _ => false,
        }
    }
}

/// A compiled price selection.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceCheck {
    /// What is tested.
    pub kind: PriceKind,
    /// Which prices count.
    pub session: SessionFilter,
    /// Prices older than this (while the market trades) are stale.
    pub max_age: Duration,
}

/// The figures that satisfied a price check: what the alert shows as the price evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PriceEvidence {
    /// When the price became known.
    pub at: DateTime<Utc>,
    /// The price.
    pub price: f64,
    /// Session it traded in.
    pub session: Option<Session>,
    /// The reference value (a price, or an average volume).
    pub reference: Option<f64>,
    /// What the reference is (`previous close (2026-01-30)`).
    pub reference_label: String,
    /// Change in percent against the reference, for price references.
    pub change_pct: Option<f64>,
    /// What held, in words (`change vs previous close <= -2%`).
    pub condition: String,
    /// What held, as data: for messages in other languages.
    #[serde(default)]
    pub basis: Basis,
    /// The threshold as written (`<= -2%`, `>= 3x`), when there is one.
    #[serde(default)]
    pub threshold: String,
    /// The currency of the price and of a price reference or level, when a provider named it
    /// (none in alerts stored before currencies were read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// What a price check compared, as data (what [`PriceEvidence::condition`] says in English).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Basis {
    /// Not recorded (alerts stored before this existed).
    #[default]
    Unknown,
    /// Change against the previous close of `date`.
    PreviousClose {
        /// The trading day of the close.
        date: chrono::NaiveDate,
    },
    /// Change against today's open.
    Open,
    /// Change against today's close (after hours).
    Close,
    /// Change against the high (falling) or low (rising) of a window.
    Window {
        /// The window in minutes.
        minutes: i64,
        /// Whether the reference is the window's high.
        high: bool,
    },
    /// A level crossed.
    Crossed {
        /// The level.
        level: f64,
        /// Downwards (below) or upwards.
        below: bool,
    },
    /// The opening gap against the previous close of `date`.
    Gap {
        /// The trading day of the close.
        date: chrono::NaiveDate,
    },
    /// Volume against its average pace.
    Volume {
        /// Days averaged.
        days: usize,
        /// The ratio found.
        ratio: f64,
    },
    /// A new high or low of `days` trading days.
    Extreme {
        /// Trading days.
        days: usize,
        /// High (true) or low.
        high: bool,
    },
}

/// `20d` → 20 trading days, `52w` → 260.
pub fn parse_days(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let (num, per) = if let Some(n) = t.strip_suffix('d') {
        (n, 1)
    } else if let Some(n) = t.strip_suffix('w') {
        (n, 5)
    } else {
        return Err(format!(
            "`{s}`: write trading days as `20d` or weeks as `52w`"
        ));
    };
    let n: usize = num
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of days or weeks"))?;
    match n.checked_mul(per) {
        Some(days @ 1..=400) => Ok(days),
        _ => Err(format!("`{s}` is out of range (1d to 80w)")),
    }
}

impl PriceCheck {
    /// Whether a price of `at` still counts at `t`: not older than `max_age` before the last
    /// moment `series`' market traded (in the sessions the check accepts).
    pub fn fresh(&self, series: &Series, at: DateTime<Utc>, t: DateTime<Utc>) -> bool {
        let max_age = chrono::Duration::from_std(self.max_age).unwrap_or(chrono::TimeDelta::MAX);
        let newest_possible = series
            .exchange()
            .last_trading_moment(t, self.session.extended());
        newest_possible
            .checked_sub_signed(max_age)
            .is_none_or(|oldest| at >= oldest)
    }

    /// Whether a price of `at` is still news at `now`: from the day its market last traded
    /// on (in the sessions the check accepts) — a bar that arrives days after it was made
    /// (a source still serving Friday's bars on Monday) is history. Within that day a price
    /// is judged at its own time ([`eval`](Self::eval)), so a late poll changes nothing.
    pub fn of_the_last_trading_day(
        &self,
        series: &Series,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        let exchange = series.exchange();
        let last = exchange.last_trading_moment(now, self.session.extended());
        exchange.trading_date(at) >= exchange.trading_date(last)
    }

    /// Evaluates the check on `series` as known at `t`; `Some` with the figures if it holds.
    pub fn eval(&self, series: &Series, t: DateTime<Utc>) -> Option<PriceEvidence> {
        let accept = |s: Option<Session>| self.session.accepts(s);
        let last = series.last_at(t, accept)?;
        if !self.fresh(series, last.time, t) {
            return None;
        }
        let evidence = |reference: Option<f64>,
                        label: String,
                        change: Option<f64>,
                        condition: String| PriceEvidence {
            at: last.time,
            price: last.price,
            session: last.session,
            reference,
            reference_label: label,
            change_pct: change,
            condition,
            basis: Basis::Unknown,
            threshold: String::new(),
            currency: series.currency().map(str::to_string),
        };
        let pct = |from: f64| (last.price - from) / from * 100.0;
        match &self.kind {
            PriceKind::Change {
                from,
                window,
                threshold,
            } => {
                let (reference, label, basis) = match from {
                    Reference::PreviousClose => {
                        let (date, price) = fresh_previous_close(series, t)?;
                        (
                            price,
                            format!("previous close ({date})"),
                            Basis::PreviousClose { date },
                        )
                    }
                    Reference::Open => {
                        (series.open_at(t)?, "today's open".to_string(), Basis::Open)
                    }
                    Reference::Close => (
                        series.close_at(t)?,
                        "today's close".to_string(),
                        Basis::Close,
                    ),
                    Reference::Window => {
                        let w = chrono::Duration::from_std(window.unwrap_or_default()).ok()?;
                        let (hi, lo) = series.range_in(t, w, accept)?;
                        let falling = matches!(threshold.cmp, Cmp::Le | Cmp::Lt);
                        let minutes = w.num_minutes();
                        if falling {
                            (
                                hi,
                                format!("high of the last {minutes} min"),
                                Basis::Window {
                                    minutes,
                                    high: true,
                                },
                            )
                        } else {
                            (
                                lo,
                                format!("low of the last {minutes} min"),
                                Basis::Window {
                                    minutes,
                                    high: false,
                                },
                            )
                        }
                    }
                };
                if reference <= 0.0 {
                    return None;
                }
                let change = pct(reference);
                // A change no price could make (against a reference a broken payload left)
                // never holds.
                (change.is_finite() && threshold.cmp.holds(change, threshold.value)).then(|| {
                    let condition =
                        format!("change vs {} {} {}%", label, threshold.cmp, threshold.value);
                    PriceEvidence {
                        basis,
                        threshold: format!("{} {}%", threshold.cmp, threshold.value),
                        ..evidence(Some(reference), label, Some(change), condition)
                    }
                })
            }
            PriceKind::Crosses { direction, level } => {
                let before = series.previous_at(t, accept)?;
                let crossed = match direction {
                    Direction::Below => before.price >= *level && last.price < *level,
                    Direction::Above => before.price <= *level && last.price > *level,
                };
                let word = if *direction == Direction::Below {
                    "below"
                } else {
                    "above"
                };
                crossed.then(|| PriceEvidence {
                    basis: Basis::Crossed {
                        level: *level,
                        below: *direction == Direction::Below,
                    },
                    ..evidence(
                        Some(before.price),
                        "the price before".into(),
                        Some(pct(before.price)),
                        format!("crossed {word} {level}"),
                    )
                })
            }
            PriceKind::Gap { threshold } => {
                let (date, prev) = fresh_previous_close(series, t)?;
                let open = series.open_at(t)?;
                let gap = (open - prev) / prev * 100.0;
                threshold
                    .cmp
                    .holds(gap, threshold.value)
                    .then(|| PriceEvidence {
                        at: last.time,
                        price: open,
                        session: Some(Session::Regular),
                        reference: Some(prev),
                        reference_label: format!("previous close ({date})"),
                        change_pct: Some(gap),
                        condition: format!("opening gap {} {}%", threshold.cmp, threshold.value),
                        basis: Basis::Gap { date },
                        threshold: format!("{} {}%", threshold.cmp, threshold.value),
                        currency: series.currency().map(str::to_string),
                    })
            }
            PriceKind::Volume { threshold, days } => {
                let (volume, elapsed) = series.volume_so_far(t)?;
                let history: Vec<u64> = series
                    .days_before(t, *days)
                    .filter_map(|d| d.volume())
                    .collect();
                // An average needs most of its days.
                if history.len() * 4 < days * 3 || history.is_empty() {
                    return None;
                }
                let average = history.iter().map(|v| *v as f64).sum::<f64>() / history.len() as f64;
                // Compare with the average day at the same point of the session (at least a
                // tenth of it, so the first minutes do not dominate).
                let expected = average * elapsed.max(0.1);
                if expected <= 0.0 {
                    return None;
                }
                let ratio = volume as f64 / expected;
                threshold.cmp.holds(ratio, threshold.value).then(|| {
                    let label = format!("{days}-day average volume");
                    let condition = format!(
                        "volume {ratio:.1}× its {days}-day pace ({} {}x)",
                        threshold.cmp, threshold.value
                    );
                    PriceEvidence {
                        basis: Basis::Volume { days: *days, ratio },
                        threshold: format!("{} {}x", threshold.cmp, threshold.value),
                        ..evidence(Some(average), label, None, condition)
                    }
                })
            }
            PriceKind::NewExtreme { high, days } => {
                let history = series.days_before(t, *days);
                if history.clone().count() * 4 < days * 3 {
                    return None;
                }
                let (today_hi, today_lo) =
                    series.today_range_before(t).unwrap_or((f64::MIN, f64::MAX));
                let label = format!("{days}-day {}", if *high { "high" } else { "low" });
                if *high {
                    let prior = history
                        .filter_map(|d| d.high.or(d.close.map(|c| c.1)))
                        .fold(today_hi, f64::max);
                    (last.price > prior).then(|| PriceEvidence {
                        basis: Basis::Extreme {
                            days: *days,
                            high: true,
                        },
                        ..evidence(
                            Some(prior),
                            label.clone(),
                            Some(pct(prior)),
                            format!("new {label}"),
                        )
                    })
                } else {
                    let prior = history
                        .filter_map(|d| d.low.or(d.close.map(|c| c.1)))
                        .fold(today_lo, f64::min);
                    (last.price < prior).then(|| PriceEvidence {
                        basis: Basis::Extreme {
                            days: *days,
                            high: false,
                        },
                        ..evidence(
                            Some(prior),
                            label.clone(),
                            Some(pct(prior)),
                            format!("new {label}"),
                        )
                    })
                }
            }
        }
    }
}

fn fresh_previous_close(series: &Series, t: DateTime<Utc>) -> Option<(chrono::NaiveDate, f64)> {
    let (date, price) = series.previous_close_at(t)?;
    // A close from before the last trading day (a gap in the data, not a long weekend) is
    // not "the previous close".
    let exchange = series.exchange();
    let expected = exchange.previous_trading_day(exchange.trading_date(t));
    ((expected - date).num_days() <= MAX_HOLIDAY_GAP_DAYS && price > 0.0).then_some((date, price))
}

#[cfg(test)]
mod tests;
