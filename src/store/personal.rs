//! Personal alerts: what a chat set up with `/alert` (written by commands), and their state
//! (cooldowns, a headline waiting for its price part; written by pipeline steps). The two
//! live in separate trees so that neither writer can overwrite the other's changes.

use chrono::{DateTime, Utc};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::{Chat, Store, StoreError, chat_key, ctx, decode, encode};
use crate::personal::{Key, PersonalAlert, PersonalState};

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
        let mut out = Vec::new();
        for entry in self.personal.iter() {
            let (_, v) = entry.map_err(ctx("reading personal alerts"))?;
            if let Some(a) = decode(&v, "personal alert") {
                out.push(a);
            }
        }
        Ok(out)
    }

    /// Every personal alert, read one at a time (loading many never holds them all).
    pub fn each_personal_alert(
        &self,
    ) -> impl Iterator<Item = Result<PersonalAlert, StoreError>> + '_ {
        self.personal.iter().filter_map(|entry| match entry {
            Ok((_, v)) => decode(&v, "personal alert").map(Ok),
            Err(e) => Some(Err(ctx("reading personal alerts")(e))),
        })
    }

    /// How many personal alerts there are (without decoding them).
    pub fn personal_alert_count(&self) -> usize {
        self.personal.len()
    }

    /// The personal alerts of one chat, by number.
    pub fn personal_alerts_of(&self, chat: i64) -> Result<Vec<PersonalAlert>, StoreError> {
        let mut out = Vec::new();
        for entry in self.personal.scan_prefix(chat_key(chat)) {
            let (_, v) = entry.map_err(ctx("reading personal alerts"))?;
            if let Some(a) = decode(&v, "personal alert") {
                out.push(a);
            }
        }
        Ok(out)
    }

    /// Stores a personal alert (durably: the user was told it exists).
    pub fn put_personal_alert(&self, alert: &PersonalAlert) -> Result<(), StoreError> {
        self.personal
            .insert(key(alert.chat, alert.number), encode(alert))
            .map_err(ctx("writing a personal alert"))?;
        self.personal
            .flush()
            .map(|_| ())
            .map_err(ctx("flushing personal alerts"))
    }

    /// Makes a chat's next personal alert and records it in the chat, in one transaction
    /// with one flush (the user is told it exists): its number is the chat's next, never
    /// reused; the chat's record (`fresh` on first contact) is then changed by `change` with
    /// the new number. Returns the chat as stored and the alert.
    pub fn create_personal_alert(
        &self,
        fresh: &Chat,
        spec: &str,
        created: DateTime<Utc>,
        change: impl Fn(&mut Chat, u32),
    ) -> Result<(Chat, PersonalAlert), StoreError> {
        // Keys sort by number: the last one is the highest (alerts from before numbers were
        // counted in the chat's record).
        let highest = self
            .personal
            .scan_prefix(chat_key(fresh.id))
            .keys()
            .next_back()
            .transpose()
            .map_err(ctx("reading personal alerts"))?
            .and_then(|k| key_from(&k))
            .map_or(0, |k| k.number);
        let result: Result<(Chat, PersonalAlert), TransactionError<()>> =
            (&self.chats, &self.personal).transaction(|(t_chats, t_personal)| {
                let mut chat = t_chats
                    .get(chat_key(fresh.id))?
                    .and_then(|v| decode::<Chat>(&v, "chat"))
                    .unwrap_or_else(|| fresh.clone());
                let number = chat.personal_next.max(highest) + 1;
                chat.personal_next = number;
                change(&mut chat, number);
                let alert = PersonalAlert {
                    chat: fresh.id,
                    number,
                    spec: spec.to_string(),
                    created,
                };
                t_chats.insert(&chat_key(fresh.id), encode(&chat))?;
                t_personal.insert(key(fresh.id, number), encode(&alert))?;
                Ok::<_, ConflictableTransactionError<()>>((chat, alert))
            });
        let created = match result {
            Ok(done) => done,
            Err(TransactionError::Storage(e)) => {
                return Err(StoreError::new("making a personal alert", e));
            }
            Err(TransactionError::Abort(())) => unreachable!("never aborted"),
        };
        self.personal
            .flush()
            .map_err(ctx("flushing personal alerts"))?;
        Ok(created)
    }

    /// Stores many personal alerts with one flush (imports, migrations).
    pub fn put_personal_alerts(&self, alerts: &[PersonalAlert]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for a in alerts {
            batch.insert(key(a.chat, a.number), encode(a));
        }
        self.personal
            .apply_batch(batch)
            .map_err(ctx("writing personal alerts"))?;
        self.personal
            .flush()
            .map(|_| ())
            .map_err(ctx("flushing personal alerts"))
    }

    /// Deletes a personal alert, its state and the chat's subscription to it, in one durable
    /// step; whether it existed.
    pub fn delete_personal_alert(&self, chat: i64, number: u32) -> Result<bool, StoreError> {
        let k = key(chat, number);
        let rule = PersonalAlert::rule_id(chat, number);
        let result: Result<bool, TransactionError<()>> =
            (&self.personal, &self.personal_state, &self.chats).transaction(
                |(t_personal, t_state, t_chats)| {
                    let existed = t_personal.remove(k.as_slice())?.is_some();
                    t_state.remove(k.as_slice())?;
                    forget_rule(t_chats, chat, &rule)?;
                    Ok::<_, ConflictableTransactionError<()>>(existed)
                },
            );
        let existed = match result {
            Ok(existed) => existed,
            Err(TransactionError::Storage(e)) => {
                return Err(StoreError::new("deleting a personal alert", e));
            }
            Err(TransactionError::Abort(())) => unreachable!("never aborted"),
        };
        self.personal
            .flush()
            .map_err(ctx("flushing personal alerts"))?;
        Ok(existed)
    }

    /// The state of every personal alert that has one (alerts without are as new).
    pub fn personal_states(&self) -> Result<Vec<(Key, PersonalState)>, StoreError> {
        let mut out = Vec::new();
        for entry in self.personal_state.iter() {
            let (k, v) = entry.map_err(ctx("reading personal alert states"))?;
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
        Ok(self
            .personal_state
            .get(key(chat, number))
            .map_err(ctx("reading a personal alert state"))?
            .and_then(|v| decode(&v, "personal alert state")))
    }

    /// Writes the state of one personal alert (moving a chat; pipeline steps write states in
    /// their transaction).
    pub fn put_personal_state(
        &self,
        chat: i64,
        number: u32,
        state: &PersonalState,
    ) -> Result<(), StoreError> {
        self.personal_state
            .insert(key(chat, number), encode(state))
            .map(|_| ())
            .map_err(ctx("writing a personal alert state"))
    }

    /// Upgrades personal alerts stored as compiled rule text (layout 1) to their normal form
    /// alone, takes their cooldowns and waiting headlines out of the engine's state (where
    /// they lived as rules') into their own rows, and forgets states whose alert is gone.
    /// Runs on open; idempotent.
    pub(super) fn migrate_personal(&self) -> Result<usize, StoreError> {
        let mut changed = 0;
        if let Some(engine) = self
            .engine
            .get("state")
            .map_err(ctx("migrating personal alerts"))?
            .and_then(|v| decode::<crate::engine::EngineState>(&v, "engine state"))
        {
            for (rule, pairs) in &engine.pairs {
                let Some(k) = Key::of_rule(rule) else {
                    continue;
                };
                let row = key(k.chat, k.number);
                let present = self
                    .personal
                    .contains_key(&row)
                    .map_err(ctx("migrating personal alerts"))?;
                let stated = self
                    .personal_state
                    .contains_key(&row)
                    .map_err(ctx("migrating personal alerts"))?;
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
                    self.personal_state
                        .insert(row, encode(&state))
                        .map_err(ctx("migrating personal alerts"))?;
                    changed += 1;
                }
            }
        }
        for entry in self.personal.iter() {
            let (k, v) = entry.map_err(ctx("migrating personal alerts"))?;
            let Ok(mut raw) =
                serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&v)
            else {
                continue;
            };
            if raw.remove("rule").is_some() {
                self.personal
                    .insert(k, encode(&raw))
                    .map_err(ctx("migrating personal alerts"))?;
                changed += 1;
            }
        }
        for entry in self.personal_state.iter() {
            let (k, _) = entry.map_err(ctx("migrating personal alert states"))?;
            if !self
                .personal
                .contains_key(&k)
                .map_err(ctx("migrating personal alert states"))?
            {
                self.personal_state
                    .remove(k)
                    .map_err(ctx("migrating personal alert states"))?;
                changed += 1;
            }
        }
        if changed > 0 {
            self.personal
                .flush()
                .map_err(ctx("flushing personal alerts"))?;
        }
        Ok(changed)
    }
}

/// Takes `rule` out of `chat`'s subscriptions, inside a transaction (a personal alert that
/// is gone).
pub(super) fn forget_rule(
    t_chats: &sled::transaction::TransactionalTree,
    chat: i64,
    rule: &str,
) -> Result<(), sled::transaction::UnabortableTransactionError> {
    if let Some(mut c) = t_chats
        .get(chat_key(chat))?
        .and_then(|v| decode::<Chat>(&v, "chat"))
        && c.rules.remove(rule)
    {
        t_chats.insert(&chat_key(chat), encode(&c))?;
    }
    Ok(())
}

/// The state row key of a personal alert (for pipeline steps).
pub(super) fn state_key(k: Key) -> Vec<u8> {
    key(k.chat, k.number)
}
