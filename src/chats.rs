//! Chats: what kind they are, what they follow, their settings (language, time zone, quiet
//! hours, digest), their mutes, and what to do with an alert for them now
//! ([`Chat::disposition`]). Persisted by the store; decided here.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::text::Lang;

use crate::personal;
use crate::rules::FormerId;

/// What kind of Telegram chat.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatKind {
    /// A one-to-one chat with a user.
    #[default]
    Private,
    /// A basic group.
    Group,
    /// A supergroup.
    Supergroup,
    /// A channel.
    Channel,
}

/// A chat that talked to the bot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chat {
    /// Telegram chat id.
    pub id: i64,
    /// Kind of chat.
    #[serde(default)]
    pub kind: ChatKind,
    /// Title or user name, for admins' eyes.
    #[serde(default)]
    pub title: String,
    /// Whether alerts go to it (false after `/stop` or when it blocked the bot).
    pub active: bool,
    /// Ids of the rules it is subscribed to.
    #[serde(default)]
    pub rules: BTreeSet<String>,
    /// Those of `rules` that `/start` gave it by default and nobody has chosen or dropped
    /// since. They tell a supergroup's defaults from its choices when its group's migration
    /// is taken in after a command there was answered: the group's choice stands in for
    /// defaults nobody chose (see [`Chat::take_in_rules`]). Absent in records of versions that
    /// did not note them: every rule of such a record counts as chosen.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub by_default: BTreeSet<String>,
    /// Rules it followed and dropped on purpose (`/unsubscribe`, a button), oldest first, at
    /// most [`MAX_UNFOLLOWED`]; a rule leaves when it is followed again. They tell a
    /// supergroup's drops apart when its group's migration is taken in after a command there
    /// was answered: a rule dropped in the supergroup does not come back with the group's
    /// (see [`Chat::take_in_rules`]). Personal alerts are not noted: one unsubscribed from is
    /// deleted. Absent in records of versions that did not note them: nothing dropped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unfollowed: Vec<String>,
    /// When it first talked to the bot.
    pub since: DateTime<Utc>,
    /// Why it was deactivated by delivery, if it was.
    #[serde(default)]
    pub deactivated: Option<String>,
    /// Symbols it cares about; empty means all.
    #[serde(default)]
    pub watch: BTreeSet<String>,
    /// Language, time zone, quiet hours, digest.
    #[serde(default)]
    pub settings: Settings,
    /// Temporary silences.
    #[serde(default)]
    pub mutes: Vec<Mute>,
    /// The forum topic alerts go to, in a forum supergroup.
    #[serde(default)]
    pub thread: Option<i32>,
    /// When its last digest went out (digests cover alerts since then).
    #[serde(default)]
    pub last_digest: Option<DateTime<Utc>>,
    /// The highest personal alert number it ever had: numbers are never reused, so a button
    /// under an old alert cannot act on a newer one.
    #[serde(default)]
    pub personal_next: u32,
    /// The group this supergroup was before Telegram moved it to a new id: the personal
    /// alerts that fired there, still waiting to be sent, are its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrated_from: Option<i64>,
    /// The personal alerts of that group which took a new number here, this supergroup
    /// having used theirs before the migration was taken in: the group's number → this
    /// chat's. Noted with the merged record, so a migration cut short and taken in again moves
    /// each to the same number.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub personal_renumbered: BTreeMap<u32, u32>,
}

/// A chat's preferences.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Language of replies and alerts.
    #[serde(default)]
    pub lang: Lang,
    /// IANA time zone for times in messages.
    #[serde(default = "utc")]
    pub tz: String,
    /// No alerts between these local times (they arrive when the quiet ends).
    #[serde(default)]
    pub quiet: Option<(NaiveTime, NaiveTime)>,
    /// When set, alerts are collected and sent as one summary at these local times.
    #[serde(default)]
    pub digest: Vec<NaiveTime>,
}

fn utc() -> String {
    "UTC".to_string()
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            lang: Lang::En,
            tz: utc(),
            quiet: None,
            digest: Vec::new(),
        }
    }
}

impl Settings {
    /// The time zone (UTC when the stored name is not one).
    pub fn zone(&self) -> Tz {
        self.tz.parse().unwrap_or(Tz::UTC)
    }

    /// Whether `now` falls into the quiet hours; if so, when they end: the next time the
    /// chat's clock reads their end (in the hour that repeats when the clocks go back, its
    /// second time, once the first has passed).
    pub fn quiet_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let (from, to) = self.quiet?;
        let zone = self.zone();
        let local = now.with_timezone(&zone);
        let time = local.time();
        let inside = if from <= to {
            time >= from && time < to
        } else {
            time >= from || time < to
        };
        if !inside {
            return None;
        }
        let mut date = local.date_naive();
        if from > to && time >= from || from <= to && time >= to {
            date = date.succ_opt()?;
        }
        let end = date.and_time(to);
        let first = self.to_utc(end)?;
        if first > now {
            return Some(first);
        }
        // Within the hour that repeats when the clocks go back, after the end's first
        // occurrence: the quiet hours end when it comes again.
        zone.from_local_datetime(&end)
            .latest()
            .map(|t| t.with_timezone(&Utc))
            .filter(|t| *t > now)
    }

    /// Takes in the settings of the group a supergroup was, for a supergroup that had a
    /// record of its own before its migration was taken in (a command there was answered
    /// first): the group's language (the supergroup's was only its first user's guess), and
    /// each other setting the supergroup left as a new chat has it.
    pub fn take_in(&mut self, group: &Settings) {
        let fresh = Settings::default();
        self.lang = group.lang;
        if self.tz == fresh.tz {
            self.tz.clone_from(&group.tz);
        }
        if self.quiet.is_none() {
            self.quiet = group.quiet;
        }
        if self.digest.is_empty() {
            self.digest.clone_from(&group.digest);
        }
    }

    /// A local time of the chat's zone as UTC. A time that does not exist (skipped when the
    /// clocks go forward) is taken as much later as the clocks went forward — an hour in most
    /// zones, half an hour on Lord Howe Island; an ambiguous one is its first occurrence.
    pub fn to_utc(&self, local: chrono::NaiveDateTime) -> Option<DateTime<Utc>> {
        let zone = self.zone();
        if let Some(t) = zone.from_local_datetime(&local).earliest() {
            return Some(t.with_timezone(&Utc));
        }
        // Skipped: read with the offset in force before the clocks went forward (a day
        // earlier), which puts it the gap's length after the time it names.
        let before = zone
            .offset_from_local_datetime(&(local - chrono::TimeDelta::days(1)))
            .earliest()?;
        let offset = chrono::TimeDelta::seconds(i64::from(before.fix().local_minus_utc()));
        Some((local - offset).and_utc())
    }
}

/// What a mute silences.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MuteTarget {
    /// Every alert.
    All,
    /// Alerts of one rule.
    Rule(String),
    /// Alerts about one symbol.
    Symbol(String),
}

/// A silence that ends by itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mute {
    /// What is silenced.
    pub what: MuteTarget,
    /// Until when.
    pub until: DateTime<Utc>,
}

/// What to do with an alert for a chat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Not for this chat (inactive, not subscribed, not watched, muted).
    Skip,
    /// Send it now.
    Now,
    /// Send it when the quiet hours end.
    After(DateTime<Utc>),
    /// Keep it for the next digest.
    Digest,
}

/// How the reason a chat was deactivated for begins when the bot may not send messages there
/// (restricted by a group's admins): the chat is turned on again when that right comes back.
pub const MAY_NOT_POST: &str = "the bot may not send messages here";

/// Most mutes a chat keeps in force: one more is refused ([`NoRoomForMute`]) until one ends or
/// is lifted. A supergroup taking in its group's mutes drops those beyond
/// ([`Chat::trim_mutes`]).
pub const MAX_MUTES: usize = 50;

/// Most rules a chat remembers having dropped ([`Chat::unfollowed`]); the oldest is forgotten
/// first.
pub const MAX_UNFOLLOWED: usize = 64;

/// A new mute the chat has no room for: [`MAX_MUTES`] others are in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{MAX_MUTES} mutes are in force already")]
pub struct NoRoomForMute;

impl Chat {
    /// A new, active chat without subscriptions.
    pub fn new(id: i64, kind: ChatKind, title: String, now: DateTime<Utc>) -> Chat {
        Chat {
            id,
            kind,
            title,
            active: true,
            rules: BTreeSet::new(),
            by_default: BTreeSet::new(),
            unfollowed: Vec::new(),
            since: now,
            deactivated: None,
            watch: BTreeSet::new(),
            settings: Settings::default(),
            mutes: Vec::new(),
            thread: None,
            last_digest: None,
            personal_next: 0,
            migrated_from: None,
            personal_renumbered: BTreeMap::new(),
        }
    }

    /// Subscribes to the rules `/start` gives a chat that follows none, noted as given by
    /// default: nobody chose them.
    pub fn follow_defaults<'a>(&mut self, defaults: impl IntoIterator<Item = &'a String>) {
        for rule in defaults {
            if self.rules.insert(rule.clone()) {
                self.by_default.insert(rule.clone());
                self.unfollowed.retain(|r| r != rule);
            }
        }
    }

    /// Subscribes to `rule` on purpose (a rule it followed by default is chosen now, one it
    /// dropped is no longer dropped).
    pub fn follow(&mut self, rule: &str) {
        self.by_default.remove(rule);
        self.unfollowed.retain(|r| r != rule);
        self.rules.insert(rule.to_string());
    }

    /// Unsubscribes from `rule` on purpose, noted as dropped ([`Chat::unfollowed`]); whether
    /// it was subscribed.
    pub fn unfollow(&mut self, rule: &str) -> bool {
        self.by_default.remove(rule);
        let was = self.rules.remove(rule);
        if was && !personal::is_personal(rule) {
            self.unfollowed.retain(|r| r != rule);
            self.unfollowed.push(rule.to_string());
            let over = self.unfollowed.len().saturating_sub(MAX_UNFOLLOWED);
            self.unfollowed.drain(..over);
        }
        was
    }

    /// Takes in the rules of `group`, the group this supergroup was (under the supergroup's
    /// names for its personal alerts). What the supergroup chose itself stays: a rule it
    /// follows on purpose, and a rule it dropped ([`Chat::unfollowed`]) stays dropped — the
    /// group took no command after its migration, so the supergroup's word is the later one.
    /// What `/start` gave it by default, which nobody chose, gives way to the group's choice,
    /// so a rule the group dropped does not come back. A group that follows nothing (it never
    /// ran `/start`: any command makes a record) leaves the supergroup's defaults as they are,
    /// or the chat just told by `/start` what it follows would get nothing. Taking the same
    /// group in again changes nothing.
    pub fn take_in_rules(&mut self, group: &Chat) {
        if group.rules.is_empty() {
            return;
        }
        let given = std::mem::take(&mut self.by_default);
        self.rules.retain(|r| !given.contains(r));
        let dropped = |r: &String| self.unfollowed.contains(r);
        let taken: Vec<&String> = group.rules.iter().filter(|r| !dropped(r)).collect();
        self.by_default = group
            .by_default
            .iter()
            .filter(|r| taken.contains(r) && !self.rules.contains(*r))
            .cloned()
            .collect();
        self.rules.extend(taken.into_iter().cloned());
    }

    /// Moves what the chat chose about the rule `old` to `new`, the id it was renamed to:
    /// its subscription (given by default still, unless it chose `new` already), a mute of it
    /// (of two mutes, the one ending later stays) and having dropped it on purpose. Whether anything changed; moving
    /// again changes nothing.
    pub fn rename_rule(&mut self, old: &str, new: &str) -> bool {
        let mut changed = false;
        if self.rules.remove(old) {
            if self.by_default.remove(old) && !self.rules.contains(new) {
                self.by_default.insert(new.to_string());
            }
            self.rules.insert(new.to_string());
            changed = true;
        }
        changed |= self.by_default.remove(old);
        // A rule it dropped on purpose stays dropped under its new id.
        if let Some(i) = self.unfollowed.iter().position(|r| r == old) {
            self.unfollowed.remove(i);
            if !self.unfollowed.iter().any(|r| r == new) {
                self.unfollowed.insert(i, new.to_string());
            }
            changed = true;
        }
        let rule = |id: &str| MuteTarget::Rule(id.to_string());
        if let Some(i) = self.mutes.iter().position(|m| m.what == rule(old)) {
            let was = self.mutes.remove(i);
            match self.mutes.iter_mut().find(|m| m.what == rule(new)) {
                Some(kept) => kept.until = kept.until.max(was.until),
                None => self.mutes.insert(
                    i,
                    Mute {
                        what: rule(new),
                        until: was.until,
                    },
                ),
            }
            changed = true;
        }
        changed
    }

    /// Forgets mutes that have ended and sets one on `what` until `until` (a mute on the same
    /// target is changed in place). A new target beyond the [`MAX_MUTES`] in force is refused:
    /// no mute the chat set is dropped behind its back.
    pub fn mute(
        &mut self,
        what: MuteTarget,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), NoRoomForMute> {
        self.mutes.retain(|m| m.until > now);
        if let Some(same) = self.mutes.iter_mut().find(|m| m.what == what) {
            same.until = until;
            return Ok(());
        }
        if self.mutes.len() >= MAX_MUTES {
            return Err(NoRoomForMute);
        }
        self.mutes.push(Mute { what, until });
        Ok(())
    }

    /// Brings the chat back within [`MAX_MUTES`] after it took in another chat's mutes (a
    /// group's, at its migration, on top of its own): forgets the mutes that have ended, then,
    /// while more are in force, drops those ending soonest — they would have given way first
    /// anyway, so the chat hears again soonest what it asked least long not to hear — and a
    /// mute of every alert last of all, as it silences the most. At equal ends the mute taken
    /// in gives way before the chat's own. Returns the mutes in force it dropped, for the
    /// caller to say so.
    pub fn trim_mutes(&mut self, now: DateTime<Utc>) -> Vec<Mute> {
        self.mutes.retain(|m| m.until > now);
        let Some(over) = self.mutes.len().checked_sub(MAX_MUTES) else {
            return Vec::new();
        };
        let mut order: Vec<usize> = (0..self.mutes.len()).collect();
        order.sort_by_key(|&i| {
            let m = &self.mutes[i];
            (m.what == MuteTarget::All, m.until, std::cmp::Reverse(i))
        });
        let dropping: BTreeSet<usize> = order.into_iter().take(over).collect();
        let (dropped, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.mutes)
            .into_iter()
            .enumerate()
            .partition(|(i, _)| dropping.contains(i));
        self.mutes = kept.into_iter().map(|(_, m)| m).collect();
        dropped.into_iter().map(|(_, m)| m).collect()
    }

    /// Turns the chat's alerts off for `reason` (the bot was blocked or removed, or may not
    /// post). A chat whose alerts were off already (`/stop`, kept out by an admin) keeps what
    /// it had, so that the end of this reason never turns on what another turned off.
    pub fn deactivate(&mut self, reason: &str) {
        if self.active {
            self.active = false;
            self.deactivated = Some(reason.to_string());
        }
    }

    /// Whether alerts are off only because the bot may not send messages here ([`MAY_NOT_POST`]).
    pub fn off_while_restricted(&self) -> bool {
        !self.active
            && self
                .deactivated
                .as_deref()
                .is_some_and(|why| why.starts_with(MAY_NOT_POST))
    }

    /// Whether an alert of `rule` about `symbol` is silenced at `now`.
    pub fn muted(&self, rule: &str, symbol: Option<&str>, now: DateTime<Utc>) -> bool {
        self.muted_as(rule, &[], symbol, now)
    }

    /// Whether an alert of `rule`, once called `formerly`, about `symbol` is silenced at
    /// `now`: a mute of it under any of its ids counts.
    fn muted_as(
        &self,
        rule: &str,
        formerly: &[FormerId],
        symbol: Option<&str>,
        now: DateTime<Utc>,
    ) -> bool {
        self.mutes.iter().any(|m| {
            m.until > now
                && match &m.what {
                    MuteTarget::All => true,
                    MuteTarget::Rule(r) => r == rule || formerly.iter().any(|f| f.id == *r),
                    MuteTarget::Symbol(s) => symbol == Some(s.as_str()),
                }
        })
    }

    /// What to do with an alert of `rule` about `symbol` at `now`.
    pub fn disposition(&self, rule: &str, symbol: Option<&str>, now: DateTime<Utc>) -> Disposition {
        self.disposition_as(rule, &[], symbol, now)
    }

    /// What to do with an alert of `rule`, once called `formerly` (see
    /// [`crate::rules::Rule::formerly`]), about `symbol` at `now`: a chat whose subscription
    /// or mute is still under an old id (its record not yet moved to the new one, see
    /// [`Chat::rename_rule`]) is treated as if it were.
    pub fn disposition_as(
        &self,
        rule: &str,
        formerly: &[FormerId],
        symbol: Option<&str>,
        now: DateTime<Utc>,
    ) -> Disposition {
        // A personal alert is its own chat's, whatever became of it after it fired (a
        // one-shot alert is gone by then); any other rule needs a subscription.
        let wanted = match personal::Key::of_rule(rule) {
            Some(key) => key.chat == self.id || Some(key.chat) == self.migrated_from,
            None => {
                self.rules.contains(rule) || formerly.iter().any(|f| self.rules.contains(&f.id))
            }
        };
        if !self.active || !wanted || self.muted_as(rule, formerly, symbol, now) {
            return Disposition::Skip;
        }
        // A personal alert names its symbol: the watch list does not filter it.
        if let Some(s) = symbol
            && !self.watch.is_empty()
            && !self.watch.contains(s)
            && !crate::personal::is_personal(rule)
        {
            return Disposition::Skip;
        }
        if !self.settings.digest.is_empty() {
            return Disposition::Digest;
        }
        match self.settings.quiet_until(now) {
            Some(until) => Disposition::After(until),
            None => Disposition::Now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Berlin chat quiet from 22:00 to 02:30, an end the changes of clocks skip or repeat.
    fn berlin_quiet_until_half_past_two() -> Settings {
        Settings {
            tz: "Europe/Berlin".into(),
            quiet: Some((
                NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
                NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
            )),
            ..Settings::default()
        }
    }

    #[test]
    fn quiet_hours_ending_in_the_spring_forward_gap_still_end() {
        let settings = berlin_quiet_until_half_past_two();
        // 29 March 2026: Berlin skips from 02:00 to 03:00, so 02:30 does not exist that night.
        let evening: DateTime<Utc> = "2026-03-28T22:30:00Z".parse().unwrap();
        assert_eq!(
            settings.quiet_until(evening),
            Some("2026-03-29T01:30:00Z".parse().unwrap()),
            "an hour later: 03:30 CEST"
        );
        let ordinary: DateTime<Utc> = "2026-03-20T22:30:00Z".parse().unwrap();
        assert_eq!(
            settings.quiet_until(ordinary),
            Some("2026-03-21T01:30:00Z".parse().unwrap()),
            "02:30 CET"
        );
        assert_eq!(
            settings.quiet_until("2026-03-20T12:00:00Z".parse().unwrap()),
            None
        );
    }

    /// 25 October 2026: Berlin's clocks go back from 03:00 to 02:00, so 02:00–03:00 comes
    /// twice. Quiet hours until 02:30 hold the second time too, until 02:30 comes again.
    #[test]
    fn quiet_hours_ending_in_the_hour_that_repeats_end_when_it_comes_again() {
        let settings = berlin_quiet_until_half_past_two();
        // 02:10 CEST: the first 02:30 ends them.
        assert_eq!(
            settings.quiet_until("2026-10-25T00:10:00Z".parse().unwrap()),
            Some("2026-10-25T00:30:00Z".parse().unwrap())
        );
        // 02:40 CEST: not quiet.
        assert_eq!(
            settings.quiet_until("2026-10-25T00:40:00Z".parse().unwrap()),
            None
        );
        // 02:10 CET: quiet again, until 02:30 CET — not until a time already past.
        let now: DateTime<Utc> = "2026-10-25T01:10:00Z".parse().unwrap();
        assert_eq!(
            settings.quiet_until(now),
            Some("2026-10-25T01:30:00Z".parse().unwrap())
        );
        let chat = Chat {
            rules: ["seed".to_string()].into(),
            settings,
            ..Chat::new(1, ChatKind::Private, "Ann".into(), now)
        };
        assert_eq!(
            chat.disposition("seed", None, now),
            Disposition::After("2026-10-25T01:30:00Z".parse().unwrap())
        );
    }

    /// Not every change of clocks is an hour: Lord Howe Island goes forward by half an hour,
    /// Troll in Antarctica by two. A local time in the gap is taken the gap's length later.
    #[test]
    fn a_local_time_skipped_by_a_change_of_clocks_other_than_an_hour_is_taken_that_much_later() {
        let quiet = |tz: &str, to: (u32, u32)| Settings {
            tz: tz.into(),
            quiet: Some((
                NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
                NaiveTime::from_hms_opt(to.0, to.1, 0).unwrap(),
            )),
            ..Settings::default()
        };
        // 4 October 2026: Lord Howe Island skips from 02:00 (+10:30) to 02:30 (+11).
        let lord_howe = quiet("Australia/Lord_Howe", (2, 15));
        assert_eq!(
            lord_howe.quiet_until("2026-10-03T15:10:00Z".parse().unwrap()),
            Some("2026-10-03T15:45:00Z".parse().unwrap()),
            "02:45 +11, half an hour later, not an hour"
        );
        // 29 March 2026: Troll skips from 01:00 (+00) to 03:00 (+02).
        let troll = quiet("Antarctica/Troll", (1, 30));
        assert_eq!(
            troll.quiet_until("2026-03-28T23:10:00Z".parse().unwrap()),
            Some("2026-03-29T01:30:00Z".parse().unwrap()),
            "23:10 is within the quiet hours, which end at 03:30 +02"
        );
    }

    #[test]
    fn a_chat_off_for_want_of_rights_is_told_apart_from_one_that_was_off_already() {
        let now: DateTime<Utc> = "2026-02-02T21:00:00Z".parse().unwrap();
        let mut chat = Chat::new(-100, ChatKind::Supergroup, "Traders".into(), now);
        chat.deactivate(&format!("{MAY_NOT_POST}: Bad Request: not enough rights"));
        assert!(!chat.active && chat.off_while_restricted());
        // Removed since: off for that, which the right coming back does not undo.
        let mut removed = Chat::new(-101, ChatKind::Supergroup, "Traders".into(), now);
        removed.deactivate("removed the bot");
        removed.deactivate(MAY_NOT_POST);
        assert!(!removed.off_while_restricted());
        // Stopped with /stop before: it stays stopped.
        let mut stopped = Chat::new(-102, ChatKind::Supergroup, "Traders".into(), now);
        stopped.active = false;
        stopped.deactivate(MAY_NOT_POST);
        assert!(!stopped.active && !stopped.off_while_restricted());
    }

    #[test]
    fn a_record_of_a_version_that_did_not_note_defaults_counts_every_rule_as_chosen() {
        let now: DateTime<Utc> = "2026-02-02T21:00:00Z".parse().unwrap();
        let mut older: Chat = serde_json::from_str(
            r#"{"id":-10044,"active":true,"rules":["guidance","seed"],"since":"2026-02-02T21:00:00Z"}"#,
        )
        .unwrap();
        assert!(older.by_default.is_empty());
        let mut group = Chat::new(-44, ChatKind::Group, "Traders".into(), now);
        group.follow_defaults(&["guidance".to_string(), "seed".to_string()]);
        group.unfollow("guidance");
        older.take_in_rules(&group);
        assert!(older.rules.contains("guidance"), "{older:?}");
        // And a chat with no default noted and no rule dropped is written as before.
        let json = serde_json::to_string(&Chat::new(1, ChatKind::Private, "Ann".into(), now));
        let json = json.unwrap();
        assert!(
            !json.contains("by_default") && !json.contains("unfollowed"),
            "{json}"
        );
    }

    #[test]
    fn a_rule_dropped_on_purpose_stays_out_when_the_group_is_taken_in() {
        let now: DateTime<Utc> = "2026-02-02T21:00:00Z".parse().unwrap();
        let defaults = ["seed".to_string(), "guidance".to_string()];
        let mut group = Chat::new(-44, ChatKind::Group, "Traders".into(), now);
        group.follow_defaults(&defaults);
        group.follow("earnings");
        let mut supergroup = Chat::new(-10044, ChatKind::Supergroup, "Traders".into(), now);
        supergroup.follow_defaults(&defaults);
        supergroup.unfollow("guidance");
        supergroup.follow("earnings");
        supergroup.unfollow("earnings");
        supergroup.take_in_rules(&group);
        assert_eq!(supergroup.rules, ["seed".to_string()].into());
        assert_eq!(supergroup.by_default, ["seed".to_string()].into());
        // Followed again, a rule is no longer dropped: the group's choice comes in.
        let mut back = Chat::new(-10045, ChatKind::Supergroup, "Traders".into(), now);
        back.follow_defaults(&defaults);
        back.unfollow("guidance");
        back.follow("guidance");
        // Dropped all, then `/start` again: following nothing, it takes the defaults.
        back.unfollow("seed");
        back.unfollow("guidance");
        back.follow_defaults(&defaults);
        back.take_in_rules(&group);
        assert!(back.unfollowed.is_empty(), "{back:?}");
        assert_eq!(back.rules.len(), 3, "{back:?}");
    }

    #[test]
    fn rules_dropped_are_remembered_a_bounded_while() {
        let now: DateTime<Utc> = "2026-02-02T21:00:00Z".parse().unwrap();
        let mut chat = Chat::new(-10044, ChatKind::Supergroup, "Traders".into(), now);
        for i in 0..MAX_UNFOLLOWED + 6 {
            chat.follow(&format!("rule-{i}"));
            assert!(chat.unfollow(&format!("rule-{i}")));
        }
        assert_eq!(chat.unfollowed.len(), MAX_UNFOLLOWED);
        assert_eq!(chat.unfollowed[0], "rule-6", "the oldest forgotten first");
        // Dropped again, a rule is the newest.
        chat.follow("rule-6");
        chat.unfollow("rule-6");
        assert_eq!(chat.unfollowed.last().map(String::as_str), Some("rule-6"));
        assert_eq!(chat.unfollowed.len(), MAX_UNFOLLOWED);
        // Nothing noted for a rule not followed, nor for a personal alert (deleted with it).
        let mut other = Chat::new(-10046, ChatKind::Supergroup, "Traders".into(), now);
        assert!(!other.unfollow("seed"));
        let own = crate::personal::PersonalAlert::rule_id(-10046, 1);
        other.follow(&own);
        assert!(other.unfollow(&own));
        assert!(other.unfollowed.is_empty(), "{other:?}");
    }

    #[test]
    fn a_chat_not_yet_moved_to_a_renamed_rule_is_asked_as_if_it_were() {
        let now: DateTime<Utc> = "2026-02-02T21:00:00Z".parse().unwrap();
        let formerly = [FormerId {
            id: "acme".into(),
            fingerprint: None,
        }];
        let mut chat = Chat::new(42, ChatKind::Private, "Ann".into(), now);
        chat.follow("acme");
        assert_eq!(chat.disposition("acme-news", None, now), Disposition::Skip);
        assert_eq!(
            chat.disposition_as("acme-news", &formerly, None, now),
            Disposition::Now
        );
        chat.mute(
            MuteTarget::Rule("acme".into()),
            now + chrono::TimeDelta::hours(1),
            now,
        )
        .unwrap();
        assert_eq!(
            chat.disposition_as("acme-news", &formerly, None, now),
            Disposition::Skip,
            "muted under its old id"
        );
        // Moved: the same answers.
        assert!(chat.rename_rule("acme", "acme-news"));
        assert!(!chat.rename_rule("acme", "acme-news"), "moved once");
        // Dropped on purpose under its old id, it stays dropped under the new one (a
        // supergroup's migration does not bring it back).
        let mut dropped = Chat::new(43, ChatKind::Group, "G".into(), now);
        dropped.follow("acme");
        assert!(dropped.unfollow("acme"));
        assert!(dropped.rename_rule("acme", "acme-news"));
        assert_eq!(dropped.unfollowed, ["acme-news"]);
        assert!(!dropped.rename_rule("acme", "acme-news"), "moved once");
        assert_eq!(
            chat.disposition_as(
                "acme-news",
                &formerly,
                None,
                now + chrono::TimeDelta::hours(2)
            ),
            Disposition::Now
        );
        assert_eq!(chat.disposition("acme-news", None, now), Disposition::Skip);
    }

    #[test]
    fn a_mute_replaces_one_on_the_same_target_and_one_beyond_fifty_is_refused() {
        let now: DateTime<Utc> = "2026-02-02T21:00:00Z".parse().unwrap();
        let mut chat = Chat::new(42, ChatKind::Private, "Ann".into(), now);
        let hours = |h| now + chrono::TimeDelta::hours(h);
        chat.mute(MuteTarget::Symbol("NVDA".into()), hours(1), now)
            .unwrap();
        chat.mute(MuteTarget::Symbol("NVDA".into()), hours(5), now)
            .unwrap();
        assert_eq!(chat.mutes.len(), 1);
        assert!(chat.muted("seed", Some("NVDA"), hours(4)));
        for i in 0..49 {
            chat.mute(MuteTarget::Rule(format!("rule-{i}")), hours(10 + i), now)
                .unwrap();
        }
        assert_eq!(chat.mutes.len(), MAX_MUTES);
        // One more is refused, however long or short; every mute in force stays.
        for until in [hours(2), hours(100)] {
            assert_eq!(
                chat.mute(MuteTarget::Symbol("AMD".into()), until, now),
                Err(NoRoomForMute)
            );
        }
        assert_eq!(chat.mutes.len(), MAX_MUTES);
        assert!(chat.muted("seed", Some("NVDA"), hours(4)));
        assert!(!chat.muted("seed", Some("AMD"), hours(1)));
        // One on a target in force is changed in place.
        chat.mute(MuteTarget::Rule("rule-3".into()), hours(1), now)
            .unwrap();
        assert!(!chat.muted("rule-3", None, hours(2)));
        // Ended ones take no room: once NVDA's and rule-3's ended, there is room again.
        chat.mute(MuteTarget::All, hours(200), hours(6)).unwrap();
        assert!(chat.mutes.iter().all(|m| m.until > hours(6)));
        assert_eq!(chat.mutes.len(), MAX_MUTES - 1);
    }
}
