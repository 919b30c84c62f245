//! Personal alerts: rules a chat made with `/alert`, kept with the chat.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError, chat_key, ctx, decode, encode};

/// One `/alert` of one chat.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PersonalAlert {
    /// The chat it belongs to.
    pub chat: i64,
    /// Its number within the chat (`/delete N`).
    pub number: u32,
    /// The command as typed, after `/alert`.
    pub spec: String,
    /// The rule it compiles to (TOML, the same language as rule files).
    pub rule: String,
    /// When it was made.
    pub created: DateTime<Utc>,
}

impl PersonalAlert {
    /// The id of the rule it compiles to.
    pub fn rule_id(chat: i64, number: u32) -> String {
        format!("{}{number}", PersonalAlert::rule_prefix(chat))
    }

    /// What the rule ids of a chat's personal alerts start with.
    pub fn rule_prefix(chat: i64) -> String {
        let chat = if chat < 0 {
            format!("m{}", chat.unsigned_abs())
        } else {
            chat.to_string()
        };
        format!("{PERSONAL_PREFIX}{chat}-")
    }

    /// The number of `chat`'s personal alert whose rule id is `rule`, if it is one.
    pub fn number_of(chat: i64, rule: &str) -> Option<u32> {
        rule.strip_prefix(&PersonalAlert::rule_prefix(chat))?
            .parse()
            .ok()
    }
}

/// What the rule ids of all personal alerts start with.
pub const PERSONAL_PREFIX: &str = "personal-";

fn key(chat: i64, number: u32) -> Vec<u8> {
    let mut k = chat_key(chat).to_vec();
    k.extend_from_slice(&number.to_be_bytes());
    k
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

    /// Deletes a personal alert; whether it existed.
    pub fn delete_personal_alert(&self, chat: i64, number: u32) -> Result<bool, StoreError> {
        let existed = self
            .personal
            .remove(key(chat, number))
            .map_err(ctx("deleting a personal alert"))?
            .is_some();
        self.personal
            .flush()
            .map_err(ctx("flushing personal alerts"))?;
        Ok(existed)
    }
}
