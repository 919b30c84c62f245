//! Alerts waiting for a chat's digest, and handing a digest to the outbox.

use super::kv::{Range, Tree};
use super::{Chat, Delivery, Store, StoreError, chat_from_key, chat_key, decode, encode};
use crate::engine::AlertId;
use chrono::{DateTime, Utc};

impl Store {
    /// Chats with alerts waiting for their digest, and those alerts (oldest first).
    pub fn digest_waiting(&self) -> Result<Vec<(i64, Vec<AlertId>)>, StoreError> {
        let mut out: Vec<(i64, Vec<AlertId>)> = Vec::new();
        for entry in self.entries(Tree::Digest, Range::all(), "reading digests") {
            let (k, _) = entry?;
            let (Some(chat), Some(alert)) = (
                k.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()),
                k.get(8..16).and_then(|b| <[u8; 8]>::try_from(b).ok()),
            ) else {
                continue;
            };
            let (chat, alert) = (chat_from_key(chat), AlertId::from_be_bytes(alert));
            match out.last_mut() {
                Some((c, alerts)) if *c == chat => alerts.push(alert),
                _ => out.push((chat, vec![alert])),
            }
        }
        Ok(out)
    }

    /// Replaces a chat's waiting alerts by the digest messages, atomically, and notes when the
    /// digest went out.
    pub fn commit_digest(
        &self,
        chat: i64,
        alerts: &[AlertId],
        messages: &[Delivery],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let keys: Vec<Vec<u8>> = alerts.iter().map(|a| super::digest_key(chat, *a)).collect();
        let messages: Vec<Vec<u8>> = messages.iter().map(encode).collect();
        self.transact(
            &[Tree::Digest, Tree::Outbox, Tree::Chats],
            "committing a digest",
            |tx| {
                for k in &keys {
                    tx.remove(Tree::Digest, k)?;
                }
                for m in &messages {
                    let seq = tx.generate_id()?;
                    tx.insert(Tree::Outbox, &seq.to_be_bytes(), m)?;
                }
                if let Some(mut c) = tx
                    .get(Tree::Chats, &chat_key(chat))?
                    .and_then(|v| decode::<Chat>(&v, "chat"))
                {
                    c.last_digest = Some(now);
                    tx.insert(Tree::Chats, &chat_key(chat), &encode(&c))?;
                }
                Ok(())
            },
        )?;
        self.flush()
    }

    /// Moves a chat's waiting alerts to its new id (a group became a supergroup).
    pub(super) fn move_digest(&self, old: i64, new_id: i64) -> Result<(), StoreError> {
        for entry in self.entries(
            Tree::Digest,
            Range::prefix(&chat_key(old)),
            "moving a digest",
        ) {
            let (k, _) = entry?;
            if let Some(alert) = k.get(8..16).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
                self.put(
                    Tree::Digest,
                    &super::digest_key(new_id, AlertId::from_be_bytes(alert)),
                    &[],
                    "moving a digest",
                )?;
            }
            self.delete(Tree::Digest, &k, "moving a digest")?;
        }
        Ok(())
    }

    /// Drops a chat's waiting alerts (it no longer takes digests, or is gone).
    pub fn clear_digest(&self, chat: i64) -> Result<(), StoreError> {
        for entry in self.entries(
            Tree::Digest,
            Range::prefix(&chat_key(chat)),
            "clearing a digest",
        ) {
            let (k, _) = entry?;
            self.delete(Tree::Digest, &k, "clearing a digest")?;
        }
        Ok(())
    }
}
