//! Price selections: conditions on what a symbol's price series showed at an instant.
//!
//! A check is evaluated on a [`Series`] *as of* `t`; it sees no later bar. A price older than
//! the check's freshness limit (while its market trades) never satisfies anything.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Session;
use crate::series::Series;

/// How many calendar days a previous close may lie before the expected previous trading day
/// (holidays are not modelled, so a long weekend must not make it stale).
const MAX_HOLIDAY_GAP_DAYS: i64 = 4;

/// What a change is measured against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reference {
    /// The last regular close of an earlier trading day.
    PreviousClose,
    /// The first regular price of the current trading day.
    Open,
}

impl Reference {
    /// Words for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Reference::PreviousClose => "previous close",
            Reference::Open => "today's open",
        }
    }
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
    fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Cmp::Le => value <= threshold,
            Cmp::Lt => value < threshold,
            Cmp::Ge => value >= threshold,
            Cmp::Gt => value > threshold,
        }
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

/// A percentage threshold such as `<= -2%`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Threshold {
    /// The comparison.
    pub cmp: Cmp,
    /// The percentage (−2.0 for −2 %).
    pub pct: f64,
}

impl Threshold {
    /// Parses `<= -2%`, `>=3 %`, `< -2.5%`.
    pub fn parse(s: &str) -> Result<Threshold, String> {
        let t = s.trim();
        let (cmp, rest) = if let Some(r) = t.strip_prefix("<=") {
            (Cmp::Le, r)
        } else if let Some(r) = t.strip_prefix(">=") {
            (Cmp::Ge, r)
        } else if let Some(r) = t.strip_prefix('<') {
            (Cmp::Lt, r)
        } else if let Some(r) = t.strip_prefix('>') {
            (Cmp::Gt, r)
        } else {
            return Err(format!(
                "`{s}` needs a comparison: write e.g. `<= -2%` for a drop of at least 2 %"
            ));
        };
        let Some(num) = rest.trim().strip_suffix('%') else {
            return Err(format!("`{s}` needs a percent sign, e.g. `<= -2%`"));
        };
        let pct: f64 = num
            .trim()
            .parse()
            .map_err(|_| format!("`{}` is not a number in `{s}`", num.trim()))?;
        if !pct.is_finite() || pct.abs() > 1000.0 {
            return Err(format!("`{s}` is out of range (−1000 % to 1000 %)"));
        }
        Ok(Threshold { cmp, pct })
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}%", self.cmp, self.pct)
    }
}

/// A compiled price selection.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceCheck {
    /// What is measured.
    pub reference: Reference,
    /// The threshold the change must meet.
    pub threshold: Threshold,
    /// Whether pre-market and after-hours prices count.
    pub extended_hours: bool,
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
    /// The reference price.
    pub reference: f64,
    /// Which reference (`previous close`, `today's open`).
    pub reference_label: String,
    /// Change in percent.
    pub change_pct: f64,
    /// The threshold it met, as written.
    pub threshold: String,
}

impl PriceCheck {
    /// Evaluates the check on `series` as known at `t`; `Some` with the figures if it holds.
    pub fn eval(&self, series: &Series, t: DateTime<Utc>) -> Option<PriceEvidence> {
        let last = series.last_at(t, self.extended_hours)?;
        let max_age = chrono::Duration::from_std(self.max_age).unwrap_or(chrono::TimeDelta::MAX);
        let newest_possible = series
            .exchange()
            .last_trading_moment(t, self.extended_hours);
        if last.time < newest_possible - max_age {
            return None;
        }
        let (reference, label) = match self.reference {
            Reference::PreviousClose => {
                let (date, price) = series.previous_close_at(t)?;
                // A close from before the last trading day (a gap in the data, not a long
                // weekend) is not "the previous close".
                let exchange = series.exchange();
                let expected = exchange.previous_trading_day(exchange.trading_date(t));
                if (expected - date).num_days() > MAX_HOLIDAY_GAP_DAYS {
                    return None;
                }
                (price, format!("previous close ({date})"))
            }
            Reference::Open => (series.open_at(t)?, "today's open".to_string()),
        };
        if reference <= 0.0 {
            return None;
        }
        let change_pct = (last.price - reference) / reference * 100.0;
        self.threshold
            .cmp
            .holds(change_pct, self.threshold.pct)
            .then(|| PriceEvidence {
                at: last.time,
                price: last.price,
                session: last.session,
                reference,
                reference_label: label,
                change_pct,
                threshold: format!("change vs {} {}", self.reference.describe(), self.threshold),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Bar;

    fn bar(time: &str, interval: &str, close: f64) -> Bar {
        Bar {
            symbol: "NVDA".into(),
            time: time.parse().unwrap(),
            interval: interval.parse().unwrap(),
            open: Some(close),
            high: Some(close),
            low: Some(close),
            close: Some(close),
            volume: None,
            session: None,
        }
    }

    fn drop_check(extended: bool) -> PriceCheck {
        PriceCheck {
            reference: Reference::PreviousClose,
            threshold: Threshold::parse("<= -2%").unwrap(),
            extended_hours: extended,
            max_age: Duration::from_secs(30 * 60),
        }
    }

    fn seed_series() -> Series {
        let mut s = Series::new("NVDA");
        s.push(&bar("2026-01-30T21:00:00Z", "1d", 191.79));
        s.push(&bar("2026-02-02T15:00:00Z", "30m", 189.62));
        s.push(&bar("2026-02-02T21:00:00Z", "30m", 186.25));
        s
    }

    #[test]
    fn thresholds_parse() {
        assert_eq!(
            Threshold::parse("<= -2%").unwrap(),
            Threshold {
                cmp: Cmp::Le,
                pct: -2.0
            }
        );
        assert_eq!(
            Threshold::parse(">=3 %").unwrap(),
            Threshold {
                cmp: Cmp::Ge,
                pct: 3.0
            }
        );
        assert!(Threshold::parse("-2%").unwrap_err().contains("comparison"));
        assert!(Threshold::parse("<= -2").unwrap_err().contains("percent"));
        assert!(Threshold::parse("<= x%").is_err());
        assert!(Threshold::parse("<= 1e9%").is_err());
        assert!(Threshold::parse("<= NaN%").is_err());
    }

    #[test]
    fn a_drop_against_the_previous_close_holds_with_its_figures() {
        let s = seed_series();
        let e = drop_check(false)
            .eval(&s, "2026-02-02T21:47:00Z".parse().unwrap())
            .unwrap();
        assert_eq!(e.price, 186.25);
        assert_eq!(e.reference, 191.79);
        assert!((e.change_pct - -2.8886).abs() < 0.001);
        assert_eq!(e.reference_label, "previous close (2026-01-30)");
    }

    #[test]
    fn a_stale_price_never_satisfies() {
        let s = seed_series();
        // The next day at noon ET, the newest price is yesterday's close: stale.
        assert!(
            drop_check(false)
                .eval(&s, "2026-02-03T17:00:00Z".parse().unwrap())
                .is_none()
        );
        // During yesterday's session, the 15:00 bar is stale by 16:00.
        assert!(
            drop_check(false)
                .eval(&s, "2026-02-02T16:00:00Z".parse().unwrap())
                .is_none()
        );
    }

    #[test]
    fn a_rise_does_not_satisfy_a_drop() {
        let mut s = Series::new("NVDA");
        s.push(&bar("2026-01-30T21:00:00Z", "1d", 191.79));
        s.push(&bar("2026-02-02T21:00:00Z", "30m", 195.0));
        assert!(
            drop_check(true)
                .eval(&s, "2026-02-02T21:10:00Z".parse().unwrap())
                .is_none()
        );
    }

    #[test]
    fn no_reference_no_answer() {
        let mut s = Series::new("NVDA");
        s.push(&bar("2026-02-02T21:00:00Z", "30m", 186.0));
        assert!(
            drop_check(true)
                .eval(&s, "2026-02-02T21:00:00Z".parse().unwrap())
                .is_none()
        );
    }
}
