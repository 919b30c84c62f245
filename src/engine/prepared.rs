//! The part of a headline's work that needs no state: its text read for the rules, its story
//! identity and (ahead of time) its rule matches.

use super::story;
use crate::model::Headline;
use crate::rules::{HeadlineMatch, PreparedText, RuleSet};
use crate::text::Lang;

/// A headline's text as the engine reads it: normalised for the rules and identified as a
/// story. It depends on the rules alone, not on any state, so a replay prepares headlines on
/// another thread while the engine works.
#[derive(Debug)]
pub struct Prepared {
    pub(super) text: PreparedText,
    pub(super) story: story::Identity,
    /// What the rules' text parts make of it, when worked out ahead (it is used unless the
    /// story was seen before).
    pub(super) matches: Option<HeadlineMatch>,
}

impl Prepared {
    /// `headline` read with `rules`, its rule matches included.
    pub fn of(rules: &RuleSet, headline: &Headline) -> Prepared {
        let mut prepared = Prepared::text_of(rules, headline);
        prepared.matches = Some(rules.match_headline(&prepared.text));
        prepared
    }

    /// `headline` read with `rules`; the rules are matched when needed.
    pub(super) fn text_of(rules: &RuleSet, headline: &Headline) -> Prepared {
        let lang = headline.lang.as_deref().and_then(Lang::from_code);
        let text = rules.prepare(
            &headline.title,
            headline.summary.as_deref(),
            &headline.source,
            lang,
        );
        let story = story::Identity::of(&text.title);
        Prepared {
            text,
            story,
            matches: None,
        }
    }
}
