//! Personal alerts: what a chat asks for with `/alert`, kept as data and evaluated from an
//! index rather than compiled into rules.
//!
//! - [`spec`]: the `/alert` language, parsed strictly into a [`Spec`] and written back in the
//!   normal form that is listed, stored and read again at start.
//! - [`book`]: the [`Book`], every chat's alerts indexed per symbol — price levels and
//!   percentage thresholds in ordered sets, so a bar only touches the alerts whose level or
//!   threshold it crossed; news words in an inverted index, so a headline only touches the
//!   alerts of the symbols it concerns that share a word with it. Adding or removing an alert
//!   is O(log n); nothing is recompiled.
//!
//! A personal alert belongs to one chat and is delivered there alone. Its rule id
//! (`personal-42-1`, `personal-m100123-1` for negative chat ids) names the chat and number, so
//! mutes, buttons and evidence treat it like any rule.

pub mod book;
pub mod spec;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use book::{Book, Fired, News, PendingNews, PersonalState};
pub use spec::{Limits, PricePart, Spec, SpecError, parse};

/// What the rule ids of all personal alerts start with.
pub const PERSONAL_PREFIX: &str = "personal-";

/// Identity of a personal alert: its chat and its number there (`/delete N`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    /// The chat it belongs to.
    pub chat: i64,
    /// Its number within the chat; never reused.
    pub number: u32,
}

impl Key {
    /// The id its alerts carry as their rule (`personal-42-1`).
    pub fn rule_id(self) -> String {
        format!("{}{}", rule_prefix(self.chat), self.number)
    }

    /// The personal alert a rule id names, if it names one.
    pub fn of_rule(rule: &str) -> Option<Key> {
        let (chat, number) = rule.strip_prefix(PERSONAL_PREFIX)?.rsplit_once('-')?;
        let chat = match chat.strip_prefix('m') {
            Some(abs) => 0i64.checked_sub_unsigned(abs.parse().ok()?)?,
            None => chat.parse().ok()?,
        };
        let key = Key {
            chat,
            number: number.parse().ok()?,
        };
        // Only the spelling `rule_id` writes (no `+7`, no leading zeros).
        (key.rule_id() == rule).then_some(key)
    }
}

/// What the rule ids of a chat's personal alerts start with.
pub fn rule_prefix(chat: i64) -> String {
    let chat = if chat < 0 {
        format!("m{}", chat.unsigned_abs())
    } else {
        chat.to_string()
    };
    format!("{PERSONAL_PREFIX}{chat}-")
}

/// The number of `chat`'s personal alert whose rule id is `rule`, if it is one.
pub fn number_of(chat: i64, rule: &str) -> Option<u32> {
    rule.strip_prefix(&rule_prefix(chat))?.parse().ok()
}

/// Whether a rule id belongs to a personal alert (never listed or subscribable by others).
pub fn is_personal(rule: &str) -> bool {
    rule.starts_with(PERSONAL_PREFIX)
}

/// One `/alert` of one chat, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PersonalAlert {
    /// The chat it belongs to.
    pub chat: i64,
    /// Its number within the chat (`/delete N`).
    pub number: u32,
    /// The alert in its normal form ([`Spec::summary`]): listed by `/alerts`, parsed again
    /// when the bot starts.
    pub spec: String,
    /// When it was made.
    pub created: DateTime<Utc>,
    /// Paused with `/pause N`: kept and listed, but it does not fire until `/resume N`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
}

impl PersonalAlert {
    /// Its identity.
    pub fn key(&self) -> Key {
        Key {
            chat: self.chat,
            number: self.number,
        }
    }

    /// The id of the rule it compiles to.
    pub fn rule_id(chat: i64, number: u32) -> String {
        Key { chat, number }.rule_id()
    }

    /// What it watches, read back from its normal form. Limits are not applied again: they
    /// held when it was made, and the configuration may have changed since.
    pub fn parsed(&self) -> Result<Spec, SpecError> {
        parse(&self.spec, &Limits::UNLIMITED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_personal_rule_id_names_its_chat_and_number() {
        for chat in [42, -42, -1_000_123_456_789, i64::MIN + 1] {
            let id = PersonalAlert::rule_id(chat, 7);
            assert!(is_personal(&id));
            assert_eq!(number_of(chat, &id), Some(7));
            assert_eq!(number_of(chat + 1, &id), None, "{id}");
        }
        assert_eq!(PersonalAlert::rule_id(-42, 3), "personal-m42-3");
        for chat in [42, -42, 0, i64::MAX, i64::MIN] {
            let key = Key { chat, number: 9 };
            assert_eq!(Key::of_rule(&key.rule_id()), Some(key));
        }
        for not_one in [
            "personal-42",
            "personal-x-1",
            "personal-+42-1",
            "personal-042-1",
            "acme-1",
        ] {
            assert_eq!(Key::of_rule(not_one), None, "{not_one}");
        }
        assert_eq!(number_of(42, "nvda-customer-seeks-alternatives"), None);
    }
}
