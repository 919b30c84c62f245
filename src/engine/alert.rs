//! What the engine emits: alerts with their evidence, and later copies of a story folded into
//! an alert that already went out.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::model::HeadlineRef;
use crate::rules::{MatchedTerm, PriceEvidence, Severity};

/// Identity of an alert: increasing, assigned by the engine.
pub type AlertId = u64;

/// One alert: a rule fired for a symbol, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Identity.
    pub id: AlertId,
    /// The rule's id.
    pub rule: String,
    /// The rule's title.
    pub title: String,
    /// The rule's severity.
    pub severity: Severity,
    /// The symbol it fired for (absent for text-only rules on unlinked headlines).
    pub symbol: Option<String>,
    /// When it fired (processing time).
    pub fired_at: DateTime<Utc>,
    /// The headline that matched, if the rule has a text part.
    pub headline: Option<HeadlineRef>,
    /// The same story from other sources ("also reported by").
    #[serde(default)]
    pub also: Vec<HeadlineRef>,
    /// The terms that matched, by selection.
    #[serde(default)]
    pub matched: Vec<MatchedTerm>,
    /// Names of the selections that held.
    pub held: Vec<String>,
    /// The price figures that satisfied the price part, if any.
    pub price: Option<PriceEvidence>,
    /// The rule's correlation span in seconds (how far apart the parts could be).
    pub within_secs: u64,
}

#[cfg(test)]
impl Alert {
    /// A complete alert for unit tests: the seed story, with entities and markup in its
    /// headline.
    pub(crate) fn sample(id: AlertId, fired_at: DateTime<Utc>) -> Alert {
        let title = "OpenAI is unsatisfied with some Nvidia chips & looking for <alternatives>";
        Alert {
            id,
            rule: "seed".into(),
            title: "Customer seeks alternatives".into(),
            severity: crate::rules::Severity::High,
            symbol: Some("NVDA".into()),
            fired_at,
            headline: Some(HeadlineRef {
                title: title.into(),
                link: Some("https://example.com/a?x=1&y=\"2\"".into()),
                source: "Reuters".into(),
                published: "2026-02-02T21:47:00Z".parse().unwrap(),
            }),
            also: vec![],
            matched: vec![
                crate::rules::MatchedTerm {
                    selection: "customer".into(),
                    term: "openai".into(),
                    field: crate::rules::Field::Title,
                    text: "OpenAI".into(),
                    span: (0, 6),
                },
                crate::rules::MatchedTerm {
                    selection: "alternative".into(),
                    term: "alternativ*".into(),
                    field: crate::rules::Field::Title,
                    text: "alternatives".into(),
                    span: (60, 72),
                },
            ],
            held: vec!["customer".into(), "alternative".into(), "drop".into()],
            price: Some(crate::rules::PriceEvidence {
                at: "2026-02-02T21:00:00Z".parse().unwrap(),
                price: 186.25,
                session: Some(crate::model::Session::Regular),
                reference: Some(191.79),
                reference_label: "previous close (2026-01-30)".into(),
                change_pct: Some(-2.8886),
                condition: "change vs previous close (2026-01-30) <= -2%".into(),
                basis: crate::rules::Basis::PreviousClose {
                    date: chrono::NaiveDate::from_ymd_opt(2026, 1, 30).unwrap(),
                },
                threshold: "<= -2%".into(),
                currency: None,
            }),
            within_secs: 86400,
        }
    }
}
