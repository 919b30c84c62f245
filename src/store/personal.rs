//! Personal alerts: what a chat set up with `/alert` (written by commands), and their state
//! (cooldowns, a headline waiting for its price part; written by pipeline steps). The two
//! live in separate trees so that neither writer can overwrite the other's changes.

use super::kv::{Order, Range, Transaction, Tree, TxError};
use super::{Chat, Store, StoreError, chat_key, ctx, decode, encode};
use crate::personal::{Key, PersonalAlert, PersonalState};
use chrono::{DateTime, Utc};

/// `chat key, number BE`: a chat's alerts are one prefix, in number order.
fn key(chat: i64, number: u32) -> Vec<u8> {
    let mut k = chat_key(chat).to_vec();
    k.extend_from_slice(&number.to_be_bytes());
    k
}

fn key_from(bytes: &[u8]) -> Option<Key> {
    let chat = <[u8; 8]>::try_from(bytes.get(..8)?).ok()?;
    let number = <[u8; 4]>::try_from(bytes.get(8..12)?).ok()?;
    Some(Key {
        chat: super::chat_from_key(chat),
        number: u32::from_be_bytes(number),
    })
}

impl Store {
    /// Every personal alert, of every chat.
    pub fn personal_alerts(&self) -> Result<Vec<PersonalAlert>, StoreError> {
        self.values(Tree::Personal, Range::all(), "personal alert")
    }

    /// Every personal alert, read one at a time (loading many never holds them all).
    pub fn each_personal_alert(
        &self,
    ) -> impl Iterator<Item = Result<PersonalAlert, StoreError>> + use<> {
        self.entries(Tree::Personal, Range::all(), "reading personal alerts")
            .filter_map(|entry| match entry {
                Ok((_, v)) => decode(&v, "personal alert").map(Ok),
                Err(e) => Some(Err(e)),
            })
    }

    /// How many personal alerts there are (without decoding them).
    pub fn personal_alert_count(&self) -> Result<u64, StoreError> {
        self.backend
            .len(Tree::Personal)
            .map_err(ctx("counting personal alerts"))
    }

    /// The personal alerts of one chat, by number.
    pub fn personal_alerts_of(&self, chat: i64) -> Result<Vec<PersonalAlert>, StoreError> {
        self.values(
            Tree::Personal,
            Range::prefix(&chat_key(chat)),
            "personal alert",
        )
    }

    /// Stores a personal alert (durably: the user was told it exists).
    pub fn put_personal_alert(&self, alert: &PersonalAlert) -> Result<(), StoreError> {
        self.put(
            Tree::Personal,
            &key(alert.chat, alert.number),
            &encode(alert),
            "writing a personal alert",
        )?;
        self.flush()
    }

    /// Makes a chat's next personal alert and records it in the chat, in one transaction
    /// with one flush (the user is told it exists): its number is the chat's next, never
    /// reused; the chat's record (`fresh` on first contact) is then changed by `change` with
    /// the new number. `message` is the one whose `/alert` made it. Returns the chat as
    /// stored and the alert.
    pub fn create_personal_alert(
        &self,
        fresh: &Chat,
        spec: &str,
        created: DateTime<Utc>,
        message: Option<i32>,
        change: impl Fn(&mut Chat, u32),
    ) -> Result<(Chat, PersonalAlert), StoreError> {
        let highest = self.highest_personal_number(fresh.id)?;
        let created = self.transact(
            &[Tree::Chats, Tree::Personal],
            "making a personal alert",
            |tx| {
                // A record that does not read (written by a later version) is not replaced
                // by a fresh one: nothing is made, and its subscriptions are not lost.
                let mut chat = match tx.get(Tree::Chats, &chat_key(fresh.id))? {
                    Some(v) => decode::<Chat>(&v, "chat").ok_or_else(|| {
                        TxError::Failed(
                            "the chat's stored record cannot be read (written by a later \
                             version?); left as it is"
                                .into(),
                        )
                    })?,
                    None => fresh.clone(),
                };
                let number = chat.personal_next.max(highest) + 1;
                chat.personal_next = number;
                change(&mut chat, number);
                let alert = PersonalAlert {
                    paused: false,
                    changed: None,
                    chat: fresh.id,
                    number,
                    spec: spec.to_string(),
                    created,
                    message,
                };
                tx.insert(Tree::Chats, &chat_key(fresh.id), &encode(&chat))?;
                tx.insert(Tree::Personal, &key(fresh.id, number), &encode(&alert))?;
                Ok((chat, alert))
            },
        )?;
        self.flush()?;
        Ok(created)
    }

    /// The highest number among `chat`'s personal alerts, 0 for none: alerts from before
    /// numbers were counted in the chat's record may be past its `personal_next`.
    pub(super) fn highest_personal_number(&self, chat: i64) -> Result<u32, StoreError> {
        // Keys sort by number: the last one is the highest.
        Ok(self
            .backend
            .scan(
                Tree::Personal,
                &Range::prefix(&chat_key(chat)),
                Order::Descending,
                1,
            )
            .map_err(ctx("reading personal alerts"))?
            .first()
            .and_then(|(k, _)| key_from(k))
            .map_or(0, |k| k.number))
    }

    /// Moves a group's personal alert `from` to `to`, under the supergroup the group became,
    /// with its state, in one durable step: the group's subscription to it goes, and the
    /// message that made it is forgotten (the supergroup's messages are not the group's). An
    /// alert already under `to` made at the same time is this one, moved before: it stays as
    /// it is (the supergroup may have changed it since). Another alert there is never
    /// overwritten: the group's stays where it is. Whether it moved (or was moved before).
    pub(super) fn move_personal_alert(&self, from: Key, to: Key) -> Result<bool, StoreError> {
        let (old, new) = (key(from.chat, from.number), key(to.chat, to.number));
        let moved = self.transact(
            &[Tree::Personal, Tree::PersonalState, Tree::Chats],
            "moving a personal alert",
            |tx| {
                let Some(mut alert) = tx
                    .get(Tree::Personal, &old)?
                    .and_then(|v| decode::<PersonalAlert>(&v, "personal alert"))
                else {
                    return Ok(false);
                };
                match tx.get(Tree::Personal, &new)? {
                    None => {
                        let state = tx.get(Tree::PersonalState, &old)?;
                        alert.chat = to.chat;
                        alert.number = to.number;
                        alert.message = None;
                        tx.insert(Tree::Personal, &new, &encode(&alert))?;
                        if let Some(state) = state {
                            tx.insert(Tree::PersonalState, &new, &state)?;
                        }
                    }
                    Some(v)
                        if decode::<PersonalAlert>(&v, "personal alert")
                            .is_some_and(|there| there.created == alert.created) => {}
                    Some(_) => return Ok(false),
                }
                tx.remove(Tree::Personal, &old)?;
                tx.remove(Tree::PersonalState, &old)?;
                forget_rule(tx, from.chat, &from.rule_id())?;
                Ok(true)
            },
        )?;
        self.flush()?;
        if !moved && self.contains(Tree::Personal, &old, "moving a personal alert")? {
            tracing::error!(
                from = %from.rule_id(),
                to = %to.rule_id(),
                "a group's personal alert not moved: another holds its number, or it does not \
                 read (written by a later version?); left where it is"
            );
        }
        Ok(moved)
    }

    /// Stores many personal alerts with one flush (imports, migrations).
    pub fn put_personal_alerts(&self, alerts: &[PersonalAlert]) -> Result<(), StoreError> {
        let rows: Vec<(Vec<u8>, Vec<u8>)> = alerts
            .iter()
            .map(|a| (key(a.chat, a.number), encode(a)))
            .collect();
        self.transact(&[Tree::Personal], "writing personal alerts", |tx| {
            for (k, v) in &rows {
                tx.insert(Tree::Personal, k, v)?;
            }
            Ok(())
        })?;
        self.flush()
    }

    /// Changes a personal alert in place (`/pause`, `/resume`, `/edit`), durably; the alert
    /// before and after, or `None` if the chat has no such alert. When its spec changed, its
    /// state (cooldown, a waiting headline) goes in the same step: it starts afresh.
    pub fn change_personal_alert(
        &self,
        chat: i64,
        number: u32,
        change: impl Fn(&mut PersonalAlert),
    ) -> Result<Option<(PersonalAlert, PersonalAlert)>, StoreError> {
        let k = key(chat, number);
        let changed = self.transact(
            &[Tree::Personal, Tree::PersonalState],
            "changing a personal alert",
            |tx| {
                let Some(before) = tx
                    .get(Tree::Personal, &k)?
                    .and_then(|v| decode::<PersonalAlert>(&v, "personal alert"))
                else {
                    return Ok(None);
                };
                let mut after = before.clone();
                change(&mut after);
                tx.insert(Tree::Personal, &k, &encode(&after))?;
                if after.spec != before.spec {
                    tx.remove(Tree::PersonalState, &k)?;
                }
                Ok(Some((before, after)))
            },
        )?;
        self.flush()?;
        Ok(changed)
    }

    /// Deletes a personal alert, its state and the chat's subscription to it, in one durable
    /// step; whether it existed.
    pub fn delete_personal_alert(&self, chat: i64, number: u32) -> Result<bool, StoreError> {
        let k = key(chat, number);
        let rule = PersonalAlert::rule_id(chat, number);
        let existed = self.transact(
            &[Tree::Personal, Tree::PersonalState, Tree::Chats],
            "deleting a personal alert",
            |tx| {
                let existed = tx.remove(Tree::Personal, &k)?;
                tx.remove(Tree::PersonalState, &k)?;
                forget_rule(tx, chat, &rule)?;
                Ok(existed)
            },
        )?;
        self.flush()?;
        Ok(existed)
    }

    /// The state of every personal alert that has one (alerts without are as new).
    pub fn personal_states(&self) -> Result<Vec<(Key, PersonalState)>, StoreError> {
        let mut out = Vec::new();
        for entry in self.entries(
            Tree::PersonalState,
            Range::all(),
            "reading personal alert states",
        ) {
            let (k, v) = entry?;
            if let (Some(key), Some(state)) = (key_from(&k), decode(&v, "personal alert state")) {
                out.push((key, state));
            }
        }
        Ok(out)
    }

    /// The state of one personal alert.
    pub fn personal_state(
        &self,
        chat: i64,
        number: u32,
    ) -> Result<Option<PersonalState>, StoreError> {
        self.get_as(
            Tree::PersonalState,
            &key(chat, number),
            "personal alert state",
        )
    }

    /// Writes the state of one personal alert (moving a chat; pipeline steps write states in
    /// their transaction).
    pub fn put_personal_state(
        &self,
        chat: i64,
        number: u32,
        state: &PersonalState,
    ) -> Result<(), StoreError> {
        self.put(
            Tree::PersonalState,
            &key(chat, number),
            &encode(state),
            "writing a personal alert state",
        )
    }

    /// Upgrades personal alerts stored as compiled rule text (layout 1) to their normal form
    /// alone, takes their cooldowns and waiting headlines out of the engine's state (where
    /// they lived as rules') into their own rows, and forgets states whose alert is gone.
    /// Runs on open; idempotent.
    pub(super) fn migrate_personal(&self) -> Result<usize, StoreError> {
        let mut changed = 0;
        if let Some(engine) =
            self.get_as::<crate::engine::EngineState>(Tree::Engine, b"state", "engine state")?
        {
            for (rule, pairs) in &engine.pairs {
                let Some(k) = Key::of_rule(rule) else {
                    continue;
                };
                let row = key(k.chat, k.number);
                let present = self.contains(Tree::Personal, &row, "migrating personal alerts")?;
                let stated =
                    self.contains(Tree::PersonalState, &row, "migrating personal alerts")?;
                if !present || stated {
                    continue;
                }
                let state = PersonalState {
                    cooldown_until: pairs.values().filter_map(|p| p.cooldown_until).max(),
                    news: pairs
                        .values()
                        .flat_map(|p| &p.texts)
                        .max_by_key(|t| t.at)
                        .map(|t| {
                            Box::new(crate::personal::PendingNews {
                                at: t.at,
                                headline: t.headline.clone(),
                                matched: t.matched.clone(),
                                story: t.story.clone(),
                            })
                        }),
                };
                if state != PersonalState::default() {
                    self.put(
                        Tree::PersonalState,
                        &row,
                        &encode(&state),
                        "migrating personal alerts",
                    )?;
                    changed += 1;
                }
            }
        }
        for entry in self.entries(Tree::Personal, Range::all(), "migrating personal alerts") {
            let (k, v) = entry?;
            let Ok(mut raw) =
                serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&v)
            else {
                continue;
            };
            if raw.remove("rule").is_some() {
                self.put(
                    Tree::Personal,
                    &k,
                    &encode(&raw),
                    "migrating personal alerts",
                )?;
                changed += 1;
            }
        }
        for entry in self.entries(
            Tree::PersonalState,
            Range::all(),
            "migrating personal alert states",
        ) {
            let (k, _) = entry?;
            if !self.contains(Tree::Personal, &k, "migrating personal alert states")? {
                self.delete(Tree::PersonalState, &k, "migrating personal alert states")?;
                changed += 1;
            }
        }
        if changed > 0 {
            self.flush()?;
        }
        Ok(changed)
    }
}

/// Takes `rule` out of `chat`'s subscriptions, inside a transaction (a personal alert that
/// is gone).
pub(super) fn forget_rule(tx: &mut dyn Transaction, chat: i64, rule: &str) -> Result<(), TxError> {
    if let Some(mut c) = tx
        .get(Tree::Chats, &chat_key(chat))?
        .and_then(|v| decode::<Chat>(&v, "chat"))
        && c.rules.remove(rule)
    {
        tx.insert(Tree::Chats, &chat_key(chat), &encode(&c))?;
    }
    Ok(())
}

/// The row key of a personal alert and of its state (for pipeline steps).
pub(super) fn state_key(k: Key) -> Vec<u8> {
    key(k.chat, k.number)
}
