//! What the engine emits: alerts with their evidence, and later copies of a story folded into
//! an alert that already went out.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Headline;
use crate::rules::{MatchedTerm, PriceEvidence, Severity};

/// Identity of an alert: increasing, assigned by the engine.
pub type AlertId = u64;

/// A headline as an alert cites it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeadlineRef {
    /// The cleaned title (no wire prefix or publisher suffix).
    pub title: String,
    /// Link to the article.
    pub link: Option<String>,
    /// Publisher or feed name.
    pub source: String,
    /// Publication time.
    pub published: DateTime<Utc>,
}

impl HeadlineRef {
    /// Cites `h`, with its title as cleaned by normalisation.
    pub fn new(h: &Headline, cleaned_title: &str) -> HeadlineRef {
        HeadlineRef {
            title: cleaned_title.to_string(),
            link: h.link.clone(),
            source: h.source.clone(),
            published: h.published,
        }
    }
}

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
