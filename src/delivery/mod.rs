//! Sinks: turning alerts into messages and getting them delivered exactly once.
//!
//! An alert becomes one [`Delivery`] per subscribed chat (or one for the console when no
//! token is configured) in the same sled transaction that records the alert. The
//! [`Sender`] drains that outbox: a delivery is removed only after its sink accepted it, so a
//! crash or restart resends at most the message that was in flight. Flood control
//! (`retry_after`) is honoured, transient failures back off, and a chat that blocked the bot
//! is deactivated rather than retried forever.

mod console;
pub mod render;
mod sender;
mod telegram;

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

pub use console::ConsoleSink;
pub use sender::Sender;
pub use telegram::TelegramSink;

use crate::engine::Alert;
use crate::store::{Delivery, Store, StoreError, Target};

/// How a send failed, as far as delivery policy is concerned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    /// Flood control: wait this long, then try again.
    #[error("flood control: retry after {0:?}")]
    RetryAfter(Duration),
    /// The chat is gone for good (blocked the bot, deleted, bot kicked).
    #[error("chat unreachable: {0}")]
    ChatGone(String),
    /// A group became a supergroup with this new id.
    #[error("chat migrated to {0}")]
    Migrated(i64),
    /// Worth another try later (network, server trouble).
    #[error("temporary failure: {0}")]
    Transient(String),
    /// Will never succeed (the message itself is rejected).
    #[error("rejected: {0}")]
    Permanent(String),
}

/// Where messages go: Telegram or the console.
pub trait Sink: Send + Sync {
    /// Sends `text` to `target`; the message id when the sink has one.
    fn send<'a>(
        &'a self,
        target: Target,
        text: &'a str,
    ) -> BoxFuture<'a, Result<Option<i32>, SendError>>;
}

/// Which kind of sink the bot runs with: decides what a delivery looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Alerts go to subscribed Telegram chats.
    Telegram,
    /// No token: alerts go to standard output.
    Console,
}

/// The deliveries an alert fans out to.
pub fn deliveries_for(
    alert: &Alert,
    mode: Mode,
    store: &Store,
    now: DateTime<Utc>,
) -> Result<Vec<Delivery>, StoreError> {
    let delivery = |target, text| Delivery {
        alert: alert.id,
        target,
        text,
        created: now,
        attempts: 0,
        not_before: None,
        last_error: None,
    };
    Ok(match mode {
        Mode::Console => vec![delivery(Target::Console, render::alert_text(alert))],
        Mode::Telegram => {
            let html = render::alert_html(alert);
            store
                .subscribers(&alert.rule)?
                .into_iter()
                .map(|chat| delivery(Target::Telegram(chat.id), html.clone()))
                .collect()
        }
    })
}
