//! The Telegram messages alerts became: per alert and chat the message id, or the ids of its
//! parts (to edit them when the story grows, to answer its buttons), per chat the alerts it
//! received, newest last (`/history`), and whether a group was posted an alert's evidence. All
//! are forgotten a month after the message was sent.

use chrono::{DateTime, Utc};

use super::kv::{Order, Range, Transaction, Tree, TxError};
use super::{Store, StoreError, chat_from_key, chat_key, ctx, sent_key};
use crate::delivery::outbox::SentMessage;
use crate::engine::AlertId;

/// `chat key · alert id BE`: a chat's received alerts are one prefix, oldest first.
pub(super) fn received_key(chat: i64, alert: AlertId) -> Vec<u8> {
    let mut k = chat_key(chat).to_vec();
    k.extend_from_slice(&alert.to_be_bytes());
    k
}

/// The first byte of a `received` value of an alert a supergroup took over from the group it
/// was: it has no `sent` row to be pruned with.
const MOVED: u8 = 1;

/// The `received` value of an alert a supergroup took over from the group it was: [`MOVED`],
/// then when the group's message was sent (i64 BE seconds), where known. A row the sender
/// writes is empty (its `sent` row tells its age).
fn moved_row(sent: Option<DateTime<Utc>>) -> Vec<u8> {
    let mut value = vec![MOVED];
    if let Some(at) = sent {
        value.extend_from_slice(&at.timestamp().to_be_bytes());
    }
    value
}

/// `alert id BE · chat key`, then the part's place u32 BE for the parts after the first of a
/// message split in parts: an alert's messages are one prefix, a chat's parts of them another.
fn part_key(alert: AlertId, chat: i64, part: u32) -> Vec<u8> {
    let mut k = sent_key(alert, chat);
    if part > 0 {
        k.extend_from_slice(&part.to_be_bytes());
    }
    k
}

/// The rows that record the Telegram message an alert became (`sent`) at `at`: its message
/// id in `sent`, the alert in the chat's `received`.
fn rows(alert: AlertId, sent: &SentMessage, at: DateTime<Utc>) -> [(Tree, Vec<u8>, Vec<u8>); 2] {
    let mut value = sent.message.to_be_bytes().to_vec();
    value.push(u8::from(sent.photo));
    value.extend_from_slice(&at.timestamp().to_be_bytes());
    [
        (Tree::Sent, part_key(alert, sent.chat, sent.part), value),
        (Tree::Received, received_key(sent.chat, alert), Vec::new()),
    ]
}

/// Records, in `tx`, the Telegram message an alert became (`sent`) at `at`.
pub(super) fn record(
    tx: &mut dyn Transaction,
    alert: AlertId,
    sent: &SentMessage,
    at: DateTime<Utc>,
) -> Result<(), TxError> {
    for (tree, key, value) in rows(alert, sent, at) {
        tx.insert(tree, &key, &value)?;
    }
    Ok(())
}

/// The eight bytes of a key or value from `at` (an alert id, a chat key, a time), if it has them.
fn eight_at(bytes: &[u8], at: usize) -> Option<[u8; 8]> {
    <[u8; 8]>::try_from(bytes.get(at..at.checked_add(8)?)?).ok()
}

/// A time kept as seconds since 1970 in the eight bytes from `at`.
fn time_at(bytes: &[u8], at: usize) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(i64::from_be_bytes(eight_at(bytes, at)?), 0)
}

/// The message id and whether a photo, from a `Sent` value.
fn message_of(value: &[u8]) -> Option<(i32, bool)> {
    let id = <[u8; 4]>::try_from(value.get(..4)?).ok()?;
    Some((i32::from_be_bytes(id), value.get(4) == Some(&1)))
}

/// When the message was sent, from a `Sent` value (`None`: recorded by a version that did not
/// note it).
fn sent_at(value: &[u8]) -> Option<DateTime<Utc>> {
    time_at(value, 5)
}

/// The Telegram message part `part` of `alert` became in `chat`, and whether a picture, as
/// `tx` sees it.
pub(super) fn message_in(
    tx: &mut dyn Transaction,
    alert: AlertId,
    chat: i64,
    part: u32,
) -> Result<Option<(i32, bool)>, TxError> {
    Ok(tx
        .get(Tree::Sent, &part_key(alert, chat, part))?
        .as_deref()
        .and_then(message_of))
}

impl Store {
    /// Records the Telegram message an alert became (`sent`) at `at`, for later edits, its
    /// buttons and `/history`, when it could not be in one step with its removal from the
    /// outbox: in plain writes, which the fence of a leader that gave up its lease does not
    /// refuse (what it sent is true all the same).
    pub fn record_sent(
        &self,
        alert: AlertId,
        sent: &SentMessage,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for (tree, key, value) in rows(alert, sent, at) {
            self.put(tree, &key, &value, "recording a sent message")?;
        }
        Ok(())
    }

    /// The Telegram messages an alert became, in order of chat and part.
    pub fn sent_messages(&self, alert: AlertId) -> Result<Vec<SentMessage>, StoreError> {
        let mut out = Vec::new();
        for entry in self.entries(
            Tree::Sent,
            Range::prefix(&alert.to_be_bytes()),
            "reading sent messages",
        ) {
            let (k, v) = entry?;
            let part = match k.get(16..) {
                Some([]) => Some(0),
                Some(part) => <[u8; 4]>::try_from(part).ok().map(u32::from_be_bytes),
                None => None,
            };
            if let (Some(chat), Some(part), Some((message, photo))) =
                (eight_at(&k, 8), part, message_of(&v))
            {
                out.push(SentMessage {
                    chat: chat_from_key(chat),
                    part,
                    message,
                    photo,
                });
            }
        }
        Ok(out)
    }

    /// Whether `alert` was sent to `chat`, whole or any part of it (buttons act only on
    /// alerts the chat received).
    pub fn was_sent(&self, alert: AlertId, chat: i64) -> Result<bool, StoreError> {
        let first = self
            .backend
            .scan(
                Tree::Sent,
                &Range::prefix(&sent_key(alert, chat)),
                Order::Ascending,
                1,
            )
            .map_err(ctx("reading sent messages"))?;
        Ok(!first.is_empty())
    }

    /// Whether `alert`'s evidence was posted in `chat` (a group: its members see it once).
    pub fn explained(&self, alert: AlertId, chat: i64) -> Result<bool, StoreError> {
        self.contains(
            Tree::Explained,
            &sent_key(alert, chat),
            "reading posted evidence",
        )
    }

    /// Records that `alert`'s evidence was posted in `chat`.
    pub fn record_explained(&self, alert: AlertId, chat: i64) -> Result<(), StoreError> {
        self.put(
            Tree::Explained,
            &sent_key(alert, chat),
            &[],
            "recording posted evidence",
        )
    }

    /// Forgets which messages alerts became a month after they were sent: their stories are
    /// no longer edited, their buttons answer "no longer stored", and `/history` no longer
    /// lists them. A message recorded without its time (by an older version) goes a month
    /// after its alert fired; while that alert's record does not decode, its age is unknown
    /// and the message is kept (and reported), never forgotten early.
    pub(super) fn prune_sent(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let horizon = now - chrono::TimeDelta::days(30);
        let mut removed = 0;
        // Rows are ordered by alert: an alert without times is looked up once.
        let mut last: Option<(AlertId, Option<bool>)> = None;
        for entry in self.entries(Tree::Sent, Range::all(), "pruning sent messages") {
            let (k, v) = entry?;
            let Some(id) = eight_at(&k, 0).map(AlertId::from_be_bytes) else {
                continue;
            };
            let old = match sent_at(&v) {
                Some(at) => Some(at < horizon),
                None => match last {
                    Some((prev, old)) if prev == id => old,
                    _ => {
                        let old = self.alert_fired_before(id, horizon)?;
                        last = Some((id, old));
                        old
                    }
                },
            };
            if old == Some(true) {
                self.delete(Tree::Sent, &k, "pruning sent messages")?;
                if let Some(alert_and_chat) = k.get(..16) {
                    self.delete(Tree::Explained, alert_and_chat, "pruning posted evidence")?;
                }
                if let Some(chat) = eight_at(&k, 8) {
                    let chat = chat_from_key(chat);
                    self.delete(
                        Tree::Received,
                        &received_key(chat, id),
                        "pruning received alerts",
                    )?;
                }
                removed += 1;
            }
        }
        removed += self.prune_moved_received(horizon)?;
        Ok(removed)
    }

    /// Whether alert `id` fired before `horizon`: yes when it is gone (nothing is left to
    /// edit, answer or list), unknown (`None`, reported) when its record does not decode.
    fn alert_fired_before(
        &self,
        id: AlertId,
        horizon: DateTime<Utc>,
    ) -> Result<Option<bool>, StoreError> {
        match self.alert(id)? {
            Some(alert) => Ok(Some(alert.fired_at < horizon)),
            None if self.holds_alert(id)? => {
                tracing::warn!(
                    alert = id,
                    "keeping the messages an alert became: its record does not decode, so their age is unknown"
                );
                Ok(None)
            }
            None => Ok(Some(true)),
        }
    }

    /// Copies the alerts `old` received to `new_id` (a group that became a supergroup). The
    /// supergroup has no message of them to go by, so each row carries its own age: when the
    /// group's message was sent, where recorded ([`moved_row`]).
    pub(super) fn move_received(&self, old: i64, new_id: i64) -> Result<(), StoreError> {
        for entry in self.entries(
            Tree::Received,
            Range::prefix(&chat_key(old)),
            "moving received alerts",
        ) {
            let (k, v) = entry?;
            let Some(alert) = eight_at(&k, 8).map(AlertId::from_be_bytes) else {
                continue;
            };
            // Moved before (a migration reported again): its age goes along; else the time
            // the group's message (its first part) was sent.
            let value = if v.is_empty() {
                let sent = self
                    .get(Tree::Sent, &sent_key(alert, old), "moving received alerts")?
                    .as_deref()
                    .and_then(sent_at);
                moved_row(sent)
            } else {
                v.to_vec()
            };
            self.put(
                Tree::Received,
                &received_key(new_id, alert),
                &value,
                "moving received alerts",
            )?;
        }
        Ok(())
    }

    /// Forgets the alerts a supergroup took over from the group it was ([`moved_row`]) a month
    /// after the group's messages were sent (or, not known, after the alerts fired): no `sent`
    /// row of the supergroup's own stands for them.
    fn prune_moved_received(&self, horizon: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut removed = 0;
        for entry in self.entries(Tree::Received, Range::all(), "pruning received alerts") {
            let (k, v) = entry?;
            if v.first() != Some(&MOVED) {
                continue;
            }
            let Some(alert) = eight_at(&k, 8).map(AlertId::from_be_bytes) else {
                continue;
            };
            let old = match time_at(&v, 1) {
                Some(at) => Some(at < horizon),
                None => self.alert_fired_before(alert, horizon)?,
            };
            if old == Some(true) {
                self.delete(Tree::Received, &k, "pruning received alerts")?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Forgets the messages sent to `chat` (its messages can no longer be edited).
    pub(crate) fn forget_sent_to(&self, chat: i64) -> Result<(), StoreError> {
        for entry in self.entries(Tree::Sent, Range::all(), "reading sent messages") {
            let (k, _) = entry?;
            if k.get(8..16) == Some(chat_key(chat).as_slice()) {
                self.delete(Tree::Sent, &k, "forgetting sent messages")?;
                if let Some(alert_and_chat) = k.get(..16) {
                    self.delete(
                        Tree::Explained,
                        alert_and_chat,
                        "forgetting posted evidence",
                    )?;
                }
            }
        }
        for entry in self.entries(
            Tree::Received,
            Range::prefix(&chat_key(chat)),
            "forgetting received alerts",
        ) {
            let (k, _) = entry?;
            self.delete(Tree::Received, &k, "forgetting received alerts")?;
        }
        Ok(())
    }

    /// The alerts `chat` received, newest first: `take` of them after skipping `skip`, and
    /// whether older ones follow.
    pub fn received(
        &self,
        chat: i64,
        skip: usize,
        take: usize,
    ) -> Result<(Vec<AlertId>, bool), StoreError> {
        let mut ids = Vec::with_capacity(take + 1);
        for entry in self
            .entries_in(
                Tree::Received,
                Range::prefix(&chat_key(chat)),
                Order::Descending,
                "reading received alerts",
            )
            .skip(skip)
            .take(take + 1)
        {
            let (k, _) = entry?;
            if let Some(id) = eight_at(&k, 8) {
                ids.push(AlertId::from_be_bytes(id));
            }
        }
        let more = ids.len() > take;
        ids.truncate(take);
        Ok((ids, more))
    }

    /// Fills `received` from `sent` (upgrading a store of layout 2); how many rows.
    pub(super) fn index_received(&self) -> Result<usize, StoreError> {
        let mut n = 0;
        for entry in self.entries(Tree::Sent, Range::all(), "indexing received alerts") {
            let (k, _) = entry?;
            if let (Some(alert), Some(chat)) = (eight_at(&k, 0), eight_at(&k, 8)) {
                self.put(
                    Tree::Received,
                    &received_key(chat_from_key(chat), AlertId::from_be_bytes(alert)),
                    &[],
                    "indexing received alerts",
                )?;
                n += 1;
            }
        }
        Ok(n)
    }
}
