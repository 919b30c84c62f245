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

use crate::engine::{Alert, HeadlineRef};
use crate::rules::Template;
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
    /// Sends `text` to `target` — or, with `edit`, replaces that earlier message's text; the
    /// message id when the sink has one.
    fn send<'a>(
        &'a self,
        target: Target,
        text: &'a str,
        edit: Option<i32>,
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

fn delivery(
    alert: &Alert,
    target: Target,
    text: String,
    now: DateTime<Utc>,
    edit: Option<i32>,
) -> Delivery {
    Delivery {
        alert: alert.id,
        target,
        text,
        created: now,
        attempts: 0,
        not_before: None,
        last_error: None,
        edit,
    }
}

/// The deliveries an alert fans out to, rendered with the rule's template if it has one.
pub fn deliveries_for(
    alert: &Alert,
    template: Option<&Template>,
    mode: Mode,
    store: &Store,
    now: DateTime<Utc>,
) -> Result<Vec<Delivery>, StoreError> {
    Ok(match mode {
        Mode::Console => vec![delivery(
            alert,
            Target::Console,
            render::alert_text(alert),
            now,
            None,
        )],
        Mode::Telegram => {
            let html = render::alert_html(alert, template);
            store
                .subscribers(&alert.rule)?
                .into_iter()
                .map(|chat| delivery(alert, Target::Telegram(chat.id), html.clone(), now, None))
                .collect()
        }
    })
}

/// Pending deliveries to replace (by sequence number), and new deliveries (edits).
pub type Updates = (Vec<(u64, Delivery)>, Vec<Delivery>);

/// What changes when a later copy of `alert`'s story arrives (`alert` already lists it):
/// messages not yet sent are re-rendered in place, messages already sent are edited, and the
/// console gets a line.
pub fn updates_for(
    alert: &Alert,
    copy: &HeadlineRef,
    template: Option<&Template>,
    mode: Mode,
    store: &Store,
    now: DateTime<Utc>,
) -> Result<Updates, StoreError> {
    match mode {
        Mode::Console => Ok((
            Vec::new(),
            vec![delivery(
                alert,
                Target::Console,
                render::also_text(alert, copy),
                now,
                None,
            )],
        )),
        Mode::Telegram => {
            let html = render::alert_html(alert, template);
            let replace = store
                .pending_for(alert.id)?
                .into_iter()
                .map(|(seq, mut d)| {
                    d.text = html.clone();
                    (seq, d)
                })
                .collect();
            let edits = store
                .sent_messages(alert.id)?
                .into_iter()
                .map(|(chat, message)| {
                    delivery(
                        alert,
                        Target::Telegram(chat),
                        html.clone(),
                        now,
                        Some(message),
                    )
                })
                .collect();
            Ok((replace, edits))
        }
    }
}
