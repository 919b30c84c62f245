//! Chats and their subscriptions.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError, chat_key, ctx, decode, encode};

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

    /// Active chats subscribed to `rule`.
    pub fn subscribers(&self, rule: &str) -> Result<Vec<Chat>, StoreError> {
        Ok(self
            .chats()?
            .into_iter()
            .filter(|c| c.active && c.rules.contains(rule))
            .collect())
    }
}
