//! Chats and their subscriptions, persisted.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::kv::{Range, Tree};
use super::{Store, StoreError, chat_key, decode, encode};
use crate::chats::{Chat, ChatKind, MAX_MUTES, Mute, MuteTarget};
use crate::delivery::outbox::{Delivery, Target};
use crate::personal;

/// What a group's migration did that the running bot acts on ([`Store::migrate_chat`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Migration {
    /// Personal alerts moved to the new id (the bot's book of them must learn of it).
    pub personal_moved: bool,
    /// The mutes in force that gave way: with its group's, the supergroup had more than
    /// [`MAX_MUTES`]. The supergroup was told (a message queued), if its alerts are on.
    pub mutes_lifted: Vec<Mute>,
}

/// Takes the group `previous` (as `group`, under the supergroup's id and names) into the
/// supergroup's record `c` (a copy of `group` when it had none); returns the mutes in force
/// it lifted to stay within [`MAX_MUTES`]. Taking the same group in again lifts nothing.
fn take_in(c: &mut Chat, previous: &Chat, group: &Chat, now: DateTime<Utc>) -> Vec<Mute> {
    let mut lifted = Vec::new();
    // A record the supergroup got before (a command there was answered before the migration
    // was taken in) takes in the group's settings and mutes once: a mute lifted in the
    // supergroup since, or one that gave way, does not come back.
    if c.migrated_from != Some(previous.id) {
        c.settings.take_in(&previous.settings);
        c.since = c.since.min(previous.since);
        c.last_digest = c.last_digest.or(previous.last_digest);
        // A mute the supergroup set stays; one of its own that has ended gives way to the
        // group's on the same target.
        for m in &group.mutes {
            match c.mutes.iter_mut().find(|x| x.what == m.what) {
                Some(own) if own.until <= now => own.until = m.until,
                Some(_) => {}
                None => c.mutes.push(m.clone()),
            }
        }
        // The two chats' mutes together may be more than a chat keeps: then new mutes would
        // be refused until enough of them ended.
        lifted = c.trim_mutes(now);
    }
    // What the supergroup chose stays, a rule it dropped too; what `/start` gave it by
    // default gives way to the group's choice.
    c.take_in_rules(group);
    c.watch.extend(group.watch.iter().cloned());
    c.personal_next = c.personal_next.max(previous.personal_next);
    c.migrated_from = Some(previous.id);
    if previous.active {
        c.active = true;
        c.deactivated = None;
    }
    lifted
}

/// What [`Store::rename_rules`] did and found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleFollowers {
    /// Per old rule id, the chats whose subscription or mute moved to the new id.
    pub moved: BTreeMap<String, usize>,
    /// Per rule id, the active chats following it (personal alerts left out).
    pub following: BTreeMap<String, usize>,
}

impl Store {
    /// A chat by id.
    pub fn chat(&self, id: i64) -> Result<Option<Chat>, StoreError> {
        self.get_as(Tree::Chats, &chat_key(id), "chat")
    }

    /// Whether a record of chat `id` is stored, readable or not.
    pub fn holds_chat(&self, id: i64) -> Result<bool, StoreError> {
        self.contains(Tree::Chats, &chat_key(id), "reading a chat")
    }

    /// Creates or replaces a chat and makes it durable before returning: subscriptions are
    /// what users would miss most after a crash.
    pub fn put_chat(&self, chat: &Chat) -> Result<(), StoreError> {
        self.put(
            Tree::Chats,
            &chat_key(chat.id),
            &encode(chat),
            "writing a chat",
        )?;
        self.flush()
    }

    /// Creates or replaces many chats with one flush (imports, migrations).
    pub fn put_chats(&self, chats: &[Chat]) -> Result<(), StoreError> {
        let rows: Vec<([u8; 8], Vec<u8>)> =
            chats.iter().map(|c| (chat_key(c.id), encode(c))).collect();
        self.transact(&[Tree::Chats], "writing chats", |tx| {
            for (k, v) in &rows {
                tx.insert(Tree::Chats, k, v)?;
            }
            Ok(())
        })?;
        self.flush()
    }

    /// Changes a chat in place; returns the result, or `None` if there is no such chat.
    pub fn update_chat(
        &self,
        id: i64,
        change: impl Fn(&mut Chat),
    ) -> Result<Option<Chat>, StoreError> {
        let updated = self.update(Tree::Chats, &chat_key(id), "updating a chat", |old| {
            let mut chat: Chat = decode(old?, "chat")?;
            change(&mut chat);
            Some(encode(&chat))
        })?;
        self.flush()?;
        Ok(updated.and_then(|v| decode(&v, "chat")))
    }

    /// Every chat, read one at a time (a fan-out to many chats never holds them all).
    pub fn each_chat(&self) -> impl Iterator<Item = Result<Chat, StoreError>> + use<> {
        self.entries(Tree::Chats, Range::all(), "reading chats")
            .filter_map(|entry| match entry {
                Ok((_, v)) => decode(&v, "chat").map(Ok),
                Err(e) => Some(Err(e)),
            })
    }

    /// Every chat.
    pub fn chats(&self) -> Result<Vec<Chat>, StoreError> {
        self.values(Tree::Chats, Range::all(), "chat")
    }

    /// Creates or changes a chat in one atomic read-modify-write (`fresh` when there is none
    /// yet), durably; returns the result. Commands use it so that they never write back a copy
    /// read earlier over what the sender or the digest job changed meanwhile.
    pub fn upsert_chat(
        &self,
        fresh: &Chat,
        change: impl Fn(&mut Chat),
    ) -> Result<Chat, StoreError> {
        let updated = self.update(Tree::Chats, &chat_key(fresh.id), "updating a chat", |old| {
            // A record that does not read (written by a later version) is left as it is, not
            // replaced by a fresh one: its subscriptions and settings are not lost.
            let mut chat = match old {
                Some(v) => decode::<Chat>(v, "chat")?,
                None => fresh.clone(),
            };
            change(&mut chat);
            Some(encode(&chat))
        })?;
        let Some(updated) = updated.and_then(|v| decode(&v, "chat")) else {
            return Err(StoreError::new(
                format!("updating chat {}", fresh.id),
                "its stored record cannot be read (written by a later version?); left as it is",
            ));
        };
        self.flush()?;
        Ok(updated)
    }

    /// Moves a group that became a supergroup to its new id: subscriptions, watch list,
    /// settings, mutes, personal alerts, waiting digest entries and pending messages (edits of
    /// messages in the old group are dropped: those messages cannot be edited any more). The
    /// old record stays, deactivated. A supergroup that had a record of its own before (a
    /// command there was answered first) keeps what it chose: it takes in the group's settings
    /// and mutes once, settings where it set none (`Settings::take_in`), and the group's rules
    /// in place of those `/start` gave it by default, never one it dropped
    /// (`Chat::take_in_rules`); of the two chats' mutes, those beyond the most a chat keeps
    /// give way (`Chat::trim_mutes`, by `now`), and the supergroup, if its alerts are on, is
    /// told which by the messages `notice` makes of it and the mutes lifted, queued in the
    /// outbox in the same transaction that lifts them.
    /// Every step can run again without harm, so a migration reported twice (service message,
    /// failed send) or cut short by a crash completes the second time, and tells once.
    ///
    /// Reports of one migration may come at once (the service messages in the old group and
    /// in the supergroup, handled side by side, and a failed send): they are taken one at a
    /// time, so the later one finds the migration done.
    pub fn migrate_chat(
        &self,
        old: i64,
        new_id: i64,
        now: DateTime<Utc>,
        notice: impl Fn(&Chat, &[Mute]) -> Vec<Delivery>,
    ) -> Result<Migration, StoreError> {
        let _one_at_a_time = self.migrating.lock().unwrap_or_else(|e| e.into_inner());
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
        let moved_to = format!("migrated to {new_id}");
        // A migration reported again after it completed (the old record is deactivated last)
        // leaves the supergroup's own changes since alone: no unsubscribed rule comes back.
        let previous = self
            .chat(old)?
            .filter(|c| c.active || c.deactivated.as_deref() != Some(moved_to.as_str()));
        let mut migration = Migration::default();
        if let Some(previous) = previous {
            // The group as it is under the new id: its personal alerts' rules renamed.
            let mut group = previous.clone();
            group.id = new_id;
            group.kind = ChatKind::Supergroup;
            group.rules = previous.rules.iter().map(|r| rename(r)).collect();
            for m in &mut group.mutes {
                if let MuteTarget::Rule(r) = &m.what {
                    m.what = MuteTarget::Rule(rename(r));
                }
            }
            let fresh = encode(&group);
            let key = chat_key(new_id);
            // The merged record and the message telling of mutes it lifted, in one
            // transaction: neither is written without the other.
            let lifted = self.transact(&[Tree::Chats, Tree::Outbox], "migrating a chat", |tx| {
                // A record that does not read (written by a later version) is left as it is.
                let stored = tx.get(Tree::Chats, &key)?;
                let Some(mut c) = decode::<Chat>(stored.as_deref().unwrap_or(&fresh), "chat")
                else {
                    return Ok(None);
                };
                let lifted = take_in(&mut c, &previous, &group, now);
                tx.insert(Tree::Chats, &key, &encode(&c))?;
                if !lifted.is_empty() && c.active {
                    for d in notice(&c, &lifted) {
                        let seq = tx.generate_id()?;
                        tx.insert(Tree::Outbox, &seq.to_be_bytes(), &encode(&d))?;
                    }
                }
                Ok(Some(lifted))
            })?;
            let Some(lifted) = lifted else {
                return Err(StoreError::new(
                    format!("migrating chat {old} to {new_id}"),
                    "the supergroup's stored record cannot be read (written by a later version?); left as it is",
                ));
            };
            self.flush()?;
            for m in &lifted {
                tracing::warn!(
                    chat = new_id,
                    what = ?m.what,
                    until = %m.until,
                    "dropped a mute in force: with its group's, the supergroup had more than {MAX_MUTES}"
                );
            }
            migration.mutes_lifted = lifted;
        }
        for mut alert in self.personal_alerts_of(old)? {
            let number = alert.number;
            let state = self.personal_state(old, number)?;
            alert.chat = new_id;
            // The supergroup's messages are not the group's: an edit there is no edit of the
            // message that made it.
            alert.message = None;
            // Stored under the new id before it is removed from the old one: never lost.
            self.put_personal_alert(&alert)?;
            if let Some(state) = state {
                self.put_personal_state(new_id, number, &state)?;
            }
            self.delete_personal_alert(old, number)?;
            migration.personal_moved = true;
        }
        self.move_digest(old, new_id)?;
        for (seq, d) in self.outbox()? {
            if d.target == Target::Telegram(old) {
                if d.edit.is_some() {
                    self.remove_delivery(seq)?;
                } else {
                    self.update_delivery(seq, |x| x.target = Target::Telegram(new_id))?;
                }
            }
        }
        // What the group received stays its history (`/history`); the messages themselves
        // are the old group's, which no edit reaches any more.
        self.move_received(old, new_id)?;
        self.forget_sent_to(old)?;
        // Last: while the old id is still active, a send to it reports the migration again,
        // so a migration cut short by a crash is completed.
        self.update_chat(old, |c| {
            c.active = false;
            c.deactivated = Some(moved_to.clone());
        })?;
        Ok(migration)
    }

    /// Moves every chat's subscriptions and mutes from each old rule id to the id the rule
    /// has now (`renames`: old id, new id; see [`Chat::rename_rule`]), then counts the
    /// active chats following each rule id. Each chat is changed in one atomic step and only
    /// where an old id is left, so a run cut short (a crash, the store failing) is completed
    /// by the next, and a run after a complete one changes nothing. Returns, per old id, how
    /// many chats were moved, and the followers of every id (personal alerts left out).
    pub fn rename_rules(&self, renames: &[(String, String)]) -> Result<RuleFollowers, StoreError> {
        let mut out = RuleFollowers::default();
        let mut changed = false;
        for chat in self.each_chat() {
            let chat = chat?;
            let mut moved = Vec::new();
            let mut renamed = chat.clone();
            for (old, new) in renames {
                if renamed.rename_rule(old, new) {
                    moved.push(old.as_str());
                }
            }
            let chat = if moved.is_empty() {
                chat
            } else {
                // Changed on the record as stored now (a command may have changed it since
                // it was read); a record gone or unreadable meanwhile is left alone.
                let updated = self.update(
                    Tree::Chats,
                    &chat_key(chat.id),
                    "moving a chat's rules",
                    |old| {
                        let mut chat: Chat = decode(old?, "chat")?;
                        let mut any = false;
                        for (old, new) in renames {
                            any |= chat.rename_rule(old, new);
                        }
                        any.then(|| encode(&chat))
                    },
                )?;
                match updated.and_then(|v| decode::<Chat>(&v, "chat")) {
                    Some(c) => {
                        changed = true;
                        for old in moved {
                            *out.moved.entry(old.to_string()).or_default() += 1;
                        }
                        c
                    }
                    None => renamed,
                }
            };
            if chat.active {
                for rule in chat.rules.iter().filter(|r| !personal::is_personal(r)) {
                    *out.following.entry(rule.clone()).or_default() += 1;
                }
            }
        }
        if changed {
            self.flush()?;
        }
        Ok(out)
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
