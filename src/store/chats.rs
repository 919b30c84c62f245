//! Chats and their subscriptions, persisted.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::kv::{Range, Transaction, Tree, TxError};
use super::{Store, StoreError, chat_key, decode, encode};
use crate::chats::{Chat, ChatKind, MAX_MUTES, Mute, MuteTarget};
use crate::delivery::outbox::{Delivery, Target};
use crate::personal::{self, Key, PersonalAlert};

/// What a group's migration did that the running bot acts on ([`Store::migrate_chat`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Migration {
    /// Personal alerts moved to the new id (the bot's book of them must learn of it).
    pub personal_moved: bool,
    /// The mutes in force that gave way: with its group's, the supergroup had more than
    /// [`MAX_MUTES`]. The supergroup was told (a message queued), if its alerts are on.
    pub mutes_lifted: Vec<Mute>,
    /// The group's personal alerts that took a new number, the supergroup having used theirs.
    /// The supergroup was told (a message queued), if its alerts are on.
    pub renumbered: Vec<Renumbered>,
}

/// A group's personal alert that took a new number in the supergroup the group became, which
/// had used its number for an alert of its own ([`Store::migrate_chat`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Renumbered {
    /// Its number in the group.
    pub was: u32,
    /// The alert as the supergroup has it, under its new number.
    pub alert: PersonalAlert,
}

/// Takes the group `previous` (as `group`, under the supergroup's id and names) into the
/// supergroup's record `c` (a copy of `group` when it had none); returns the mutes in force
/// it lifted to stay within [`MAX_MUTES`]. `renumbered` are the group's personal alerts that
/// take new numbers ([`renumber`]), noted in the record. Taking the same group in again
/// lifts nothing.
fn take_in(
    c: &mut Chat,
    previous: &Chat,
    group: &Chat,
    renumbered: &BTreeMap<u32, u32>,
    now: DateTime<Utc>,
) -> Vec<Mute> {
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
    // Past every number either chat used, the new ones too: never given out again.
    let last = renumbered.values().copied().max().unwrap_or(0);
    c.personal_next = c.personal_next.max(previous.personal_next).max(last);
    c.personal_renumbered = renumbered.clone();
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

/// The new numbers of the group's personal `alerts` whose numbers the supergroup (its record
/// `own`, `None` when it had none) used: every number up to its `personal_next`, and any
/// under which it has an alert (`highest` the highest of those). They are numbered on past
/// every number of either chat, in the group's order: the group's number → the new one.
fn renumber(
    tx: &mut dyn Transaction,
    own: Option<&Chat>,
    previous: &Chat,
    alerts: &[PersonalAlert],
    new_id: i64,
    highest: u32,
) -> Result<BTreeMap<u32, u32>, TxError> {
    let used = own.map_or(0, |c| c.personal_next);
    let mut next = alerts
        .iter()
        .map(|a| a.number)
        .fold(used.max(previous.personal_next).max(highest), u32::max);
    let mut renumbered = BTreeMap::new();
    for a in alerts {
        let row = super::personal::state_key(Key {
            chat: new_id,
            number: a.number,
        });
        if a.number <= used || tx.get(Tree::Personal, &row)?.is_some() {
            next += 1;
            renumbered.insert(a.number, next);
        }
    }
    Ok(renumbered)
}

/// The group `previous` as it is under the supergroup's id `new_id`: its personal alerts'
/// rules and the mutes on them under their names there (a number in `renumbered` under its
/// new one); those of an alert that is no longer among its `alerts` (deleted, fired) go, so
/// they never name one of the supergroup's own.
fn as_supergroup(
    previous: &Chat,
    new_id: i64,
    alerts: &[PersonalAlert],
    renumbered: &BTreeMap<u32, u32>,
) -> Chat {
    let rename = |rule: &str| -> Option<String> {
        let Some(number) = personal::number_of(previous.id, rule) else {
            return Some(rule.to_string());
        };
        if let Some(&to) = renumbered.get(&number) {
            return Some(PersonalAlert::rule_id(new_id, to));
        }
        alerts
            .iter()
            .any(|a| a.number == number)
            .then(|| PersonalAlert::rule_id(new_id, number))
    };
    let mut group = previous.clone();
    group.id = new_id;
    group.kind = ChatKind::Supergroup;
    group.rules = previous.rules.iter().filter_map(|r| rename(r)).collect();
    group.mutes = previous
        .mutes
        .iter()
        .filter_map(|m| match &m.what {
            MuteTarget::Rule(r) => rename(r).map(|r| Mute {
                what: MuteTarget::Rule(r),
                until: m.until,
            }),
            _ => Some(m.clone()),
        })
        .collect();
    group
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
    /// give way (`Chat::trim_mutes`, by `now`). Its personal alerts stay as they are: a
    /// group's alert whose number it used (up to its `personal_next`, or an alert under it)
    /// takes a number past every one either chat used, and its state, its subscription and a
    /// mute on it follow it; the renumbering is noted in the merged record
    /// (`Chat::personal_renumbered`). A mute or subscription of a group alert that is gone is
    /// not taken in. The supergroup, if its alerts are on, is told which mutes gave way and
    /// which alerts took new numbers by the messages `notice` makes of it, the mutes lifted
    /// and the alerts renumbered, queued in the outbox in the same transaction that writes
    /// the merged record.
    /// Every step can run again without harm, so a migration reported twice (service message,
    /// failed send) or cut short by a crash completes the second time, and tells once: the
    /// merged record is written first, and a migration taken in again numbers the group's
    /// alerts as it noted there; each alert moves, with its state, in one transaction; the old
    /// record is deactivated last.
    ///
    /// Reports of one migration may come at once (the service messages in the old group and
    /// in the supergroup, handled side by side, and a failed send): they are taken one at a
    /// time, so the later one finds the migration done.
    pub fn migrate_chat(
        &self,
        old: i64,
        new_id: i64,
        now: DateTime<Utc>,
        notice: impl Fn(&Chat, &[Mute], &[Renumbered]) -> Vec<Delivery>,
    ) -> Result<Migration, StoreError> {
        let _one_at_a_time = self.migrating.lock().unwrap_or_else(|e| e.into_inner());
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
        // The group's personal alerts not moved yet (all of them, unless a migration was cut
        // short).
        let alerts = self.personal_alerts_of(old)?;
        let mut migration = Migration::default();
        let renumbered = if let Some(previous) = previous {
            let highest = self.highest_personal_number(new_id)?;
            let key = chat_key(new_id);
            // The merged record, with the group's alerts' numbers there, and the messages
            // telling of what changed, in one transaction: none is written without the others.
            let merged = self.transact(
                &[Tree::Chats, Tree::Personal, Tree::Outbox],
                "migrating a chat",
                |tx| {
                    // A record that does not read (written by a later version) is left as it is.
                    let own = match tx.get(Tree::Chats, &key)? {
                        Some(v) => match decode::<Chat>(&v, "chat") {
                            Some(c) => Some(c),
                            None => return Ok(None),
                        },
                        None => None,
                    };
                    // Taken in before (a migration cut short): numbered as noted then.
                    let again = own.as_ref().is_some_and(|c| c.migrated_from == Some(old));
                    let renumbered = match &own {
                        Some(c) if again => c.personal_renumbered.clone(),
                        _ => renumber(tx, own.as_ref(), &previous, &alerts, new_id, highest)?,
                    };
                    let group = as_supergroup(&previous, new_id, &alerts, &renumbered);
                    let mut c = own.unwrap_or_else(|| group.clone());
                    let lifted = take_in(&mut c, &previous, &group, &renumbered, now);
                    tx.insert(Tree::Chats, &key, &encode(&c))?;
                    let told: Vec<Renumbered> = if again {
                        Vec::new()
                    } else {
                        alerts
                            .iter()
                            .filter_map(|a| {
                                let &number = renumbered.get(&a.number)?;
                                Some(Renumbered {
                                    was: a.number,
                                    alert: PersonalAlert {
                                        chat: new_id,
                                        number,
                                        message: None,
                                        ..a.clone()
                                    },
                                })
                            })
                            .collect()
                    };
                    if (!lifted.is_empty() || !told.is_empty()) && c.active {
                        for d in notice(&c, &lifted, &told) {
                            let seq = tx.generate_id()?;
                            tx.insert(Tree::Outbox, &seq.to_be_bytes(), &encode(&d))?;
                        }
                    }
                    Ok(Some((lifted, told, renumbered)))
                },
            )?;
            let Some((lifted, told, renumbered)) = merged else {
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
            for r in &told {
                tracing::info!(
                    chat = new_id,
                    was = r.was,
                    number = r.alert.number,
                    "a group's personal alert took a new number: the supergroup used its own"
                );
            }
            migration.mutes_lifted = lifted;
            migration.renumbered = told;
            renumbered
        } else {
            // Taken in before: the supergroup's record says how the alerts are numbered.
            self.chat(new_id)?
                .filter(|c| c.migrated_from == Some(old))
                .map(|c| c.personal_renumbered)
                .unwrap_or_default()
        };
        for alert in &alerts {
            let to = Key {
                chat: new_id,
                number: renumbered
                    .get(&alert.number)
                    .copied()
                    .unwrap_or(alert.number),
            };
            // Stored under the new id in the step that removes it from the old: never lost.
            if self.move_personal_alert(alert.key(), to)? {
                migration.personal_moved = true;
            }
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
