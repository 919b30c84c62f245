//! Per rule and symbol: pending text events, price episodes, cooldown.
//!
//! A *text event* is a headline whose text part holds while the price part is still unknown.
//! A *price episode* is a run of consecutive evaluations in which the same price selections
//! held. A rule fires when a text event and an episode lie within the rule's span (in the
//! required order) and the condition holds for the pair — at the moment the second of the two
//! arrives — unless the pair is cooling down.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::alert::HeadlineRef;
use crate::rules::{MatchedTerm, Order, PriceEvidence, Rule, Tri};

/// A headline waiting for its price part.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TextEvent {
    /// When it was published (clamped to processing time).
    pub at: DateTime<Utc>,
    /// Which of the rule's selections held (price selections: false).
    pub held: Vec<bool>,
    /// The headline.
    pub headline: HeadlineRef,
    /// The matched terms.
    pub matched: Vec<MatchedTerm>,
    /// Story key, to link later copies to the alert.
    pub story: String,
}

/// A run of evaluations with the same price selections holding.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PriceEpisode {
    /// First evaluation.
    pub from: DateTime<Utc>,
    /// Latest evaluation.
    pub to: DateTime<Utc>,
    /// Which of the rule's selections held (text selections: false).
    pub held: Vec<bool>,
    /// Figures at the first evaluation.
    pub first: Option<PriceEvidence>,
    /// Figures at the latest evaluation.
    pub last: Option<PriceEvidence>,
    /// Whether the latest evaluation of the rule still belongs to this episode.
    pub open: bool,
}

/// Correlation state of one rule for one symbol.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PairState {
    /// Headlines waiting for a price move.
    pub texts: Vec<TextEvent>,
    /// Recent price episodes.
    pub episodes: Vec<PriceEpisode>,
    /// No alert before this instant.
    pub cooldown_until: Option<DateTime<Utc>>,
    /// The latest instant the price part was evaluated at: older bars arriving late (a
    /// history refetch) add to the price history but are not judged again.
    #[serde(default)]
    pub evaluated_to: Option<DateTime<Utc>>,
}

impl PairState {
    /// Forgets what was judged by a definition no longer in force — waiting headlines, price
    /// episodes, how far prices were evaluated — keeping the cooldown. Whether anything went.
    pub fn forget_judged(&mut self) -> bool {
        let had =
            !self.texts.is_empty() || !self.episodes.is_empty() || self.evaluated_to.is_some();
        self.texts.clear();
        self.episodes.clear();
        self.evaluated_to = None;
        had
    }

    /// Whether an alert at `now` is suppressed by the cooldown.
    pub fn cooling(&self, now: DateTime<Utc>) -> bool {
        self.cooldown_until.is_some_and(|until| now < until)
    }

    /// Records one evaluation of the rule's price selections at `t`. Returns the index of the
    /// episode it belongs to, or `None` when nothing held.
    pub fn record_price(
        &mut self,
        t: DateTime<Utc>,
        held: Vec<bool>,
        evidence: Option<PriceEvidence>,
    ) -> Option<usize> {
        if self.evaluated_to.is_some_and(|last| t < last) {
            return None;
        }
        self.evaluated_to = Some(t);
        if !held.iter().any(|h| *h) {
            if let Some(last) = self.episodes.last_mut() {
                last.open = false;
            }
            return None;
        }
        match self.episodes.last_mut() {
            Some(last) if last.open && last.held == held && last.to <= t => {
                last.to = t;
                last.last = evidence;
            }
            _ => {
                if let Some(last) = self.episodes.last_mut() {
                    last.open = false;
                }
                self.episodes.push(PriceEpisode {
                    from: t,
                    to: t,
                    held,
                    first: evidence.clone(),
                    last: evidence,
                    open: true,
                });
            }
        }
        Some(self.episodes.len() - 1)
    }

    /// Drops what can no longer pair with anything arriving at or after `now`. A headline
    /// may arrive up to `within` after its publication and pair with a price move up to
    /// `within` before that, so episodes are kept twice as long as headlines.
    pub fn prune(&mut self, now: DateTime<Utc>, within: chrono::Duration) {
        let horizon = now
            .checked_sub_signed(within)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        self.texts.retain(|t| t.at >= horizon);
        let horizon = horizon
            .checked_sub_signed(within)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        // An open episode is kept even when old: the next evaluation may continue it.
        self.episodes.retain(|e| e.to >= horizon || e.open);
    }

    /// Whether this state holds nothing worth keeping.
    pub fn is_idle(&self, now: DateTime<Utc>) -> bool {
        self.texts.is_empty() && self.episodes.is_empty() && !self.cooling(now)
    }
}

/// Whether a headline at `text_at` and an episode lie within `within` of each other in the
/// rule's order; if so, the instant of the episode that pairs best (closest to the headline).
pub fn pairs_in_time(
    order: Order,
    within: chrono::Duration,
    text_at: DateTime<Utc>,
    episode: &PriceEpisode,
) -> Option<DateTime<Utc>> {
    let before = text_at
        .checked_sub_signed(within)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let after = text_at
        .checked_add_signed(within)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let (lo, hi) = match order {
        Order::Any => (before, after),
        Order::TextFirst => (text_at, after),
        Order::PriceFirst => (before, text_at),
    };
    let from = episode.from.max(lo);
    let to = episode.to.min(hi);
    (from <= to).then(|| text_at.clamp(from, to))
}

/// The condition's verdict for a headline (or none) with an episode (or none).
pub fn verdict(rule: &Rule, text: Option<&TextEvent>, episode: Option<&PriceEpisode>) -> Tri {
    rule.condition.eval(&|i| {
        let is_price = matches!(
            rule.selections[i].kind,
            crate::rules::SelectionKind::Price(_)
        );
        // Flags recorded under another version of the rule may be shorter: missing is false.
        match (is_price, text, episode) {
            (false, Some(t), _) => Tri::from(t.held.get(i).copied().unwrap_or(false)),
            (true, _, Some(e)) => Tri::from(e.held.get(i).copied().unwrap_or(false)),
            _ => Tri::Unknown,
        }
    })
}

/// The episode's figures nearest to `at`.
pub fn evidence_near(episode: &PriceEpisode, at: DateTime<Utc>) -> Option<PriceEvidence> {
    match (&episode.first, &episode.last) {
        (Some(f), Some(l)) => {
            if (l.at - at).abs() <= (f.at - at).abs() {
                Some(l.clone())
            } else {
                Some(f.clone())
            }
        }
        (f, l) => l.clone().or_else(|| f.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn ep(from: &str, to: &str) -> PriceEpisode {
        PriceEpisode {
            from: t(from),
            to: t(to),
            held: vec![true],
            first: None,
            last: None,
            open: true,
        }
    }

    #[test]
    fn pairing_respects_span_and_order() {
        let day = chrono::Duration::hours(24);
        let news = t("2026-02-02T21:47:00Z");
        let before = ep("2026-02-02T20:00:00Z", "2026-02-02T21:00:00Z");
        let after = ep("2026-02-03T15:00:00Z", "2026-02-03T16:00:00Z");
        let too_late = ep("2026-02-03T22:00:00Z", "2026-02-03T23:00:00Z");
        assert_eq!(
            pairs_in_time(Order::Any, day, news, &before),
            Some(t("2026-02-02T21:00:00Z"))
        );
        assert_eq!(
            pairs_in_time(Order::Any, day, news, &after),
            Some(t("2026-02-03T15:00:00Z"))
        );
        assert_eq!(pairs_in_time(Order::Any, day, news, &too_late), None);
        assert_eq!(pairs_in_time(Order::TextFirst, day, news, &before), None);
        assert!(pairs_in_time(Order::TextFirst, day, news, &after).is_some());
        assert!(pairs_in_time(Order::PriceFirst, day, news, &before).is_some());
        assert_eq!(pairs_in_time(Order::PriceFirst, day, news, &after), None);
    }

    #[test]
    fn episodes_extend_while_the_same_selections_hold() {
        let mut s = PairState::default();
        assert_eq!(
            s.record_price(t("2026-02-02T20:00:00Z"), vec![true], None),
            Some(0)
        );
        assert_eq!(
            s.record_price(t("2026-02-02T20:30:00Z"), vec![true], None),
            Some(0)
        );
        assert_eq!(
            s.record_price(t("2026-02-02T21:00:00Z"), vec![false], None),
            None
        );
        assert_eq!(
            s.record_price(t("2026-02-02T21:30:00Z"), vec![true], None),
            Some(1)
        );
        assert_eq!(s.episodes[0].to, t("2026-02-02T20:30:00Z"));
        s.prune(t("2026-02-05T00:00:00Z"), chrono::Duration::hours(24));
        assert_eq!(s.episodes.len(), 1, "the newest episode is kept");
    }
}
