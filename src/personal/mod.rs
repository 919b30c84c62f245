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

use crate::model::Split;
use crate::text::Lang;

pub use book::{Book, Fired, News, PendingNews, PersonalState};
pub use spec::{Limits, PricePart, Spec, SpecError, parse, parse_listed};

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

/// A personal alert's price level restated for a split: stored only if the alert is still
/// as it was read (its chat may have changed it meanwhile).
#[derive(Clone, Debug, PartialEq)]
pub struct Restatement {
    /// The alert as read.
    pub before: PersonalAlert,
    /// The alert in the new shares.
    pub after: PersonalAlert,
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
    /// When its chat last changed what it watches (`/edit`); `None` if never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<DateTime<Utc>>,
    /// The message in its chat whose `/alert` made it: an edit of that message changes this
    /// alert rather than making another. `None` for alerts made before this was noted, and
    /// after a group's migration (the supergroup numbers its messages anew).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<i32>,
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

    /// This alert in the shares traded after `split`, which began at `begins`: a price level
    /// chosen before then is divided by the ratio, so the alert keeps watching the same
    /// price (`below 1250` before a ten-for-one split watches `below 125` after it). `None`
    /// when nothing changes: another symbol, a percentage (a split moves none), or an alert
    /// made or last changed by its chat once the split began.
    pub fn restated_for(&self, split: &Split, begins: DateTime<Utc>) -> Option<PersonalAlert> {
        let mut spec = self.parsed().ok()?;
        let chosen = self.changed.unwrap_or(self.created);
        if spec.symbol != split.symbol || chosen >= begins {
            return None;
        }
        spec.price = match spec.price? {
            PricePart::Below(x) => PricePart::Below(split.level(x)),
            PricePart::Above(x) => PricePart::Above(split.level(x)),
            _ => return None,
        }
        .into();
        let restated = spec.summary();
        // Only a level the alert language can state (a millionth rounded to nothing is not).
        parse_listed(&restated).ok()?;
        Some(PersonalAlert {
            spec: restated,
            ..self.clone()
        })
    }

    /// What it watches, read back from its normal form. Limits are not applied again: they
    /// held when it was made, and the configuration may have changed since.
    pub fn parsed(&self) -> Result<Spec, SpecError> {
        parse_listed(&self.spec)
    }

    /// It as this version writes it in `lang` ([`Spec::written`]), for `/alerts` and the
    /// answers: an alert stored by an earlier version (`below 1.085`) is listed as it would be
    /// written now (`below 1.0850`), so a line copied into `/edit` reads as listed.
    pub fn listed(&self, lang: Lang) -> String {
        self.parsed()
            .map_or_else(|_| self.spec.clone(), |spec| spec.written(lang))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_is_listed_as_this_version_writes_it() {
        let alert = |spec: &str| PersonalAlert {
            chat: 42,
            number: 1,
            spec: spec.into(),
            created: "2026-02-02T21:00:00Z".parse().unwrap(),
            paused: false,
            changed: None,
            message: None,
        };
        // Stored by an earlier version in three decimals: listed with a fourth, which reads
        // back as listed when typed into `/edit`.
        let listed = alert("EURUSD=X below 1.085").listed(Lang::En);
        assert_eq!(listed, "EURUSD=X below 1.0850");
        assert_eq!(
            parse(&listed, &Limits::UNLIMITED).map(|s| s.price),
            Ok(Some(PricePart::Below(1.085)))
        );
        // A percentage is never asked about: it keeps its three decimals.
        assert_eq!(
            alert("NVDA drop 1.125%").listed(Lang::En),
            "NVDA drop 1.125%"
        );
        // In a German chat, in German.
        assert_eq!(
            alert("EURUSD=X below 1.085").listed(Lang::De),
            "EURUSD=X unter 1,0850"
        );
        // One that does not read is listed as it is stored.
        assert_eq!(alert("NVDA sideways").listed(Lang::De), "NVDA sideways");
    }

    #[test]
    fn a_split_restates_the_levels_of_alerts_made_before_it() {
        let begins: DateTime<Utc> = "2024-06-10T13:30:00Z".parse().unwrap();
        let split = Split {
            symbol: "NVDA".into(),
            date: begins.date_naive(),
            ratio: 10.0,
        };
        let alert = |spec: &str, created: &str| PersonalAlert {
            chat: 42,
            number: 3,
            spec: spec.into(),
            created: created.parse().unwrap(),
            paused: true,
            changed: None,
            message: None,
        };
        let before = "2024-05-01T09:00:00Z";
        let restated = |spec, created| {
            alert(spec, created)
                .restated_for(&split, begins)
                .map(|a| a.spec)
        };
        assert_eq!(
            restated("NVDA below 1250 every 1h once quiet", before).as_deref(),
            Some("NVDA below 125 every 1h once quiet")
        );
        assert_eq!(
            restated("NVDA news \"OpenAI\" above 1333", before).as_deref(),
            Some("NVDA news \"OpenAI\" above 133.3")
        );
        // The rest of the alert stays as it was.
        let kept = alert("NVDA below 1250", before)
            .restated_for(&split, begins)
            .unwrap();
        assert_eq!((kept.chat, kept.number, kept.paused), (42, 3, true));
        assert_eq!(kept.created, alert("", before).created);
        for (spec, created) in [
            ("NVDA drop 5%", before),
            ("NVDA move 3% 1d", before),
            ("NVDA news \"chips\"", before),
            ("AMD below 100", before),
            // Made once the split began: in the new shares.
            ("NVDA below 120", "2024-06-10T13:31:00Z"),
            // A level too small to state in the new shares.
            ("NVDA below 0.0001", before),
        ] {
            assert_eq!(restated(spec, created), None, "{spec}");
        }
        // Changed by its chat once the split began: in the new shares, too.
        let edited = PersonalAlert {
            changed: Some("2024-06-10T14:00:00Z".parse().unwrap()),
            ..alert("NVDA below 125", before)
        };
        assert_eq!(edited.restated_for(&split, begins), None);
        // A later split restates it.
        let next = begins + chrono::TimeDelta::days(1);
        assert!(edited.restated_for(&split, next).is_some());
    }

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
