//! Chats and their subscriptions.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::text::Lang;

use super::{PersonalAlert, Store, StoreError, chat_key, ctx, decode, encode};

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
        zone.from_local_datetime(&date.and_time(to))
            .earliest()
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
        if !self.active || !self.rules.contains(rule) || self.muted(rule, symbol, now) {
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

    /// Moves a group that became a supergroup to its new id: subscriptions, settings, mutes,
    /// personal alerts and pending messages. The old record stays, deactivated, so a late
    /// message from the old id cannot bring it back.
    pub fn migrate_chat(&self, old: i64, new_id: i64) -> Result<(), StoreError> {
        if self.chat(new_id)?.is_some() {
            // Already moved (the service message and a failed send both report it).
            return Ok(());
        }
        if let Some(mut chat) = self.chat(old)? {
            chat.id = new_id;
            chat.kind = ChatKind::Supergroup;
            self.put_chat(&chat)?;
            self.update_chat(old, |c| {
                c.active = false;
                c.deactivated = Some(format!("migrated to {new_id}"));
            })?;
        }
        for mut alert in self.personal_alerts_of(old)? {
            self.delete_personal_alert(old, alert.number)?;
            let (old_rule, new_rule) = (
                PersonalAlert::rule_id(old, alert.number),
                PersonalAlert::rule_id(new_id, alert.number),
            );
            alert.chat = new_id;
            alert.rule = alert
                .rule
                .replace(&format!("\"{old_rule}\""), &format!("\"{new_rule}\""));
            self.put_personal_alert(&alert)?;
            self.update_chat(new_id, |c| {
                if c.rules.remove(&old_rule) {
                    c.rules.insert(new_rule.clone());
                }
            })?;
        }
        for (seq, d) in self.outbox()? {
            if d.target == super::Target::Telegram(old) {
                self.update_delivery(seq, |x| x.target = super::Target::Telegram(new_id))?;
            }
        }
        Ok(())
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
