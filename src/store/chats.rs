//! Chats and their subscriptions.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::text::Lang;

use super::{Store, StoreError, chat_key, ctx, decode, encode};
use crate::personal;

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

    /// Whether `now` falls into the quiet hours; if so, when they end.
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
        self.to_utc(date.and_time(to))
    }

    /// A local time of the chat's zone as UTC. A time that does not exist (skipped when the
    /// clocks go forward) is taken an hour later; an ambiguous one is its first occurrence.
    pub fn to_utc(&self, local: chrono::NaiveDateTime) -> Option<DateTime<Utc>> {
        let zone = self.zone();
        zone.from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                zone.from_local_datetime(&(local + chrono::TimeDelta::hours(1)))
                    .earliest()
            })
            .map(|t| t.with_timezone(&Utc))
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

/// Most mutes a chat keeps: past it, the ones ending soonest give way.
pub const MAX_MUTES: usize = 50;

impl Chat {
    /// A new, active chat without subscriptions.
    pub fn new(id: i64, kind: ChatKind, title: String, now: DateTime<Utc>) -> Chat {
        Chat {
            id,
            kind,
            title,
            active: true,
            rules: BTreeSet::new(),
            since: now,
            deactivated: None,
            watch: BTreeSet::new(),
            settings: Settings::default(),
            mutes: Vec::new(),
            thread: None,
            last_digest: None,
            personal_next: 0,
        }
    }

    /// Adds a mute (replacing one on the same target) and forgets expired ones; at most
    /// [`MAX_MUTES`] are kept, the longest-running ones.
    pub fn mute(&mut self, what: MuteTarget, until: DateTime<Utc>, now: DateTime<Utc>) {
        self.mutes.retain(|m| m.until > now && m.what != what);
        self.mutes.push(Mute { what, until });
        if self.mutes.len() > MAX_MUTES {
            self.mutes.sort_by_key(|m| std::cmp::Reverse(m.until));
            self.mutes.truncate(MAX_MUTES);
        }
    }

    /// Whether an alert of `rule` about `symbol` is silenced at `now`.
    pub fn muted(&self, rule: &str, symbol: Option<&str>, now: DateTime<Utc>) -> bool {
        self.mutes.iter().any(|m| {
            m.until > now
                && match &m.what {
                    MuteTarget::All => true,
                    MuteTarget::Rule(r) => r == rule,
                    MuteTarget::Symbol(s) => symbol == Some(s.as_str()),
                }
        })
    }

    /// What to do with an alert of `rule` about `symbol` at `now`.
    pub fn disposition(&self, rule: &str, symbol: Option<&str>, now: DateTime<Utc>) -> Disposition {
        // A personal alert is its own chat's, whatever became of it after it fired (a
        // one-shot alert is gone by then); any other rule needs a subscription.
        let wanted = match personal::Key::of_rule(rule) {
            Some(key) => key.chat == self.id,
            None => self.rules.contains(rule),
        };
        if !self.active || !wanted || self.muted(rule, symbol, now) {
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

impl Store {
    /// A chat by id.
    pub fn chat(&self, id: i64) -> Result<Option<Chat>, StoreError> {
        Ok(self
            .chats
            .get(chat_key(id))
            .map_err(ctx("reading chats"))?
            .and_then(|v| decode(&v, "chat")))
    }

    /// Creates or replaces a chat and makes it durable before returning: subscriptions are
    /// what users would miss most after a crash.
    pub fn put_chat(&self, chat: &Chat) -> Result<(), StoreError> {
        self.chats
            .insert(chat_key(chat.id), encode(chat))
            .map_err(ctx("writing a chat"))?;
        self.chats
            .flush()
            .map(|_| ())
            .map_err(ctx("flushing chats"))
    }

    /// Creates or replaces many chats with one flush (imports, migrations).
    pub fn put_chats(&self, chats: &[Chat]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for chat in chats {
            batch.insert(&chat_key(chat.id), encode(chat));
        }
        self.chats
            .apply_batch(batch)
            .map_err(ctx("writing chats"))?;
        self.chats
            .flush()
            .map(|_| ())
            .map_err(ctx("flushing chats"))
    }

    /// Changes a chat in place; returns the result, or `None` if there is no such chat.
    pub fn update_chat(
        &self,
        id: i64,
        change: impl Fn(&mut Chat),
    ) -> Result<Option<Chat>, StoreError> {
        let updated = self
            .chats
            .update_and_fetch(chat_key(id), |old| {
                let mut chat: Chat = decode(old?, "chat")?;
                change(&mut chat);
                Some(encode(&chat))
            })
            .map_err(ctx("updating a chat"))?;
        self.chats.flush().map_err(ctx("flushing chats"))?;
        Ok(updated.and_then(|v| decode(&v, "chat")))
    }

    /// Every chat, read one at a time (a fan-out to many chats never holds them all).
    pub fn each_chat(&self) -> impl Iterator<Item = Result<Chat, StoreError>> + '_ {
        self.chats.iter().filter_map(|entry| match entry {
            Ok((_, v)) => decode(&v, "chat").map(Ok),
            Err(e) => Some(Err(ctx("reading chats")(e))),
        })
    }

    /// Every chat.
    pub fn chats(&self) -> Result<Vec<Chat>, StoreError> {
        let mut out = Vec::new();
        for entry in self.chats.iter() {
            let (_, v) = entry.map_err(ctx("reading chats"))?;
            if let Some(c) = decode(&v, "chat") {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// Creates or changes a chat in one atomic read-modify-write (`fresh` when there is none
    /// yet), durably; returns the result. Commands use it so that they never write back a copy
    /// read earlier over what the sender or the digest job changed meanwhile.
    pub fn upsert_chat(
        &self,
        fresh: &Chat,
        change: impl Fn(&mut Chat),
    ) -> Result<Chat, StoreError> {
        let updated = self
            .chats
            .update_and_fetch(chat_key(fresh.id), |old| {
                let mut chat = old
                    .and_then(|v| decode::<Chat>(v, "chat"))
                    .unwrap_or_else(|| fresh.clone());
                change(&mut chat);
                Some(encode(&chat))
            })
            .map_err(ctx("updating a chat"))?;
        self.chats.flush().map_err(ctx("flushing chats"))?;
        Ok(updated
            .and_then(|v| decode(&v, "chat"))
            .unwrap_or_else(|| fresh.clone()))
    }

    /// Moves a group that became a supergroup to its new id: subscriptions, watch list,
    /// settings, mutes, personal alerts, waiting digest entries and pending messages (edits of
    /// messages in the old group are dropped: those messages cannot be edited any more). The
    /// old record stays, deactivated. Every step can run again without harm, so a migration
    /// reported twice (service message, failed send) or cut short by a crash completes the
    /// second time. Returns whether personal alerts moved (the running bot must learn of it).
    pub fn migrate_chat(&self, old: i64, new_id: i64) -> Result<bool, StoreError> {
        let (old_prefix, new_prefix) = (personal::rule_prefix(old), personal::rule_prefix(new_id));
        let rename = |rule: &str| match rule.strip_prefix(old_prefix.as_str()) {
            Some(number) => format!("{new_prefix}{number}"),
            None => rule.to_string(),
        };
        // An admission goes along: a group let in stays let in as a supergroup.
        if let Some(admission) = self.admission(old)?
            && self.admission(new_id)?.is_none()
        {
            self.put_admission(new_id, &admission)?;
        }
        if let Some(previous) = self.chat(old)? {
            let mut fresh = previous.clone();
            fresh.id = new_id;
            fresh.kind = ChatKind::Supergroup;
            fresh.rules.clear();
            fresh.mutes.clear();
            self.upsert_chat(&fresh, |c| {
                c.rules.extend(previous.rules.iter().map(|r| rename(r)));
                c.watch.extend(previous.watch.iter().cloned());
                for m in &previous.mutes {
                    let what = match &m.what {
                        MuteTarget::Rule(r) => MuteTarget::Rule(rename(r)),
                        other => other.clone(),
                    };
                    if !c.mutes.iter().any(|x| x.what == what) {
                        c.mutes.push(Mute {
                            what,
                            until: m.until,
                        });
                    }
                }
                c.personal_next = c.personal_next.max(previous.personal_next);
                if previous.active {
                    c.active = true;
                    c.deactivated = None;
                }
            })?;
        }
        let mut moved = false;
        for mut alert in self.personal_alerts_of(old)? {
            let number = alert.number;
            let state = self.personal_state(old, number)?;
            alert.chat = new_id;
            // Stored under the new id before it is removed from the old one: never lost.
            self.put_personal_alert(&alert)?;
            if let Some(state) = state {
                self.put_personal_state(new_id, number, &state)?;
            }
            self.delete_personal_alert(old, number)?;
            moved = true;
        }
        self.move_digest(old, new_id)?;
        for (seq, d) in self.outbox()? {
            if d.target == super::Target::Telegram(old) {
                if d.edit.is_some() {
                    self.remove_delivery(seq)?;
                } else {
                    self.update_delivery(seq, |x| x.target = super::Target::Telegram(new_id))?;
                }
            }
        }
        self.forget_sent_to(old)?;
        // Last: while the old id is still active, a send to it reports the migration again,
        // so a migration cut short by a crash is completed.
        self.update_chat(old, |c| {
            c.active = false;
            c.deactivated = Some(format!("migrated to {new_id}"));
        })?;
        Ok(moved)
    }

    /// Active chats subscribed to `rule`.
    pub fn subscribers(&self, rule: &str) -> Result<Vec<Chat>, StoreError> {
        Ok(self
            .chats()?
            .into_iter()
            .filter(|c| c.active && c.rules.contains(rule))
            .collect())
    }
}
