//! Sinks: turning alerts into messages and getting them delivered exactly once.
//!
//! An alert becomes one [`Delivery`] per subscribed chat (or one for the console when no
//! token is configured) in the same sled transaction that records the alert. The
//! [`Sender`] drains that outbox: a delivery is removed only after its sink accepted it, so a
//! crash or restart resends at most the message that was in flight. Flood control
//! (`retry_after`) is honoured, transient failures back off, and a chat that blocked the bot
//! is deactivated rather than retried forever.

mod console;
pub mod digest;
pub mod render;
mod sender;
mod telegram;

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

pub use console::ConsoleSink;
pub use render::Locale;
pub use sender::Sender;
pub use telegram::TelegramSink;

use crate::engine::{Alert, AlertId, HeadlineRef};
use crate::rules::Template;
use crate::store::{Chat, Delivery, Disposition, Store, StoreError, Target};

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
    /// Sends a delivery (or, for an edit, replaces the earlier message's text); the message id
    /// when the sink has one.
    fn send<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<Option<i32>, SendError>>;
}

/// Which kind of sink the bot runs with: decides what a delivery looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Alerts go to subscribed Telegram chats.
    Telegram,
    /// No token: alerts go to standard output.
    Console,
}

/// What an alert turns into: messages to send, and entries for chats that take digests.
#[derive(Debug, Default)]
pub struct FanOut {
    /// Messages, in the order they are to go out.
    pub deliveries: Vec<Delivery>,
    /// (chat, alert) pairs for the next digest of those chats.
    pub digest: Vec<(i64, AlertId)>,
}

/// The chat's locale.
pub fn locale_of(chat: &Chat) -> Locale {
    Locale {
        lang: chat.settings.lang,
        tz: chat.settings.zone(),
    }
}

/// The messages of an alert for one chat: a photo with a caption when the alert has a chart,
/// else the text, split where it exceeds Telegram's limit (buttons on the last part).
fn alert_messages(
    alert: &Alert,
    template: Option<&Template>,
    chat: &Chat,
    with_chart: bool,
    now: DateTime<Utc>,
) -> Vec<Delivery> {
    let locale = locale_of(chat);
    let base = |text: String, photo: bool, buttons: bool| Delivery {
        photo,
        buttons,
        lang: chat.settings.lang,
        thread: chat.thread,
        ..Delivery::message(alert.id, Target::Telegram(chat.id), text, now)
    };
    if with_chart {
        return vec![base(
            render::alert_caption(alert, template, &locale),
            true,
            true,
        )];
    }
    let parts = render::split_html(
        &render::alert_html(alert, template, &locale),
        render::MESSAGE_LIMIT,
    );
    let last = parts.len().saturating_sub(1);
    parts
        .into_iter()
        .enumerate()
        .map(|(i, text)| base(text, false, i == last))
        .collect()
}

/// Fans an alert out: to the console, or to every chat whose subscriptions, watch list, mutes
/// and settings want it — now, after its quiet hours, or in its next digest.
pub fn deliveries_for(
    alert: &Alert,
    template: Option<&Template>,
    mode: Mode,
    store: &Store,
    now: DateTime<Utc>,
    with_chart: bool,
) -> Result<FanOut, StoreError> {
    let mut out = FanOut::default();
    match mode {
        Mode::Console => out.deliveries.push(Delivery::message(
            alert.id,
            Target::Console,
            render::alert_text(alert),
            now,
        )),
        Mode::Telegram => {
            for chat in store.chats()? {
                match chat.disposition(&alert.rule, alert.symbol.as_deref(), now) {
                    Disposition::Skip => {}
                    Disposition::Digest => out.digest.push((chat.id, alert.id)),
                    Disposition::Now => out
                        .deliveries
                        .extend(alert_messages(alert, template, &chat, with_chart, now)),
                    Disposition::After(until) => out.deliveries.extend(
                        alert_messages(alert, template, &chat, with_chart, now)
                            .into_iter()
                            .map(|d| Delivery {
                                not_before: Some(until),
                                ..d
                            }),
                    ),
                }
            }
        }
    }
    Ok(out)
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
    if mode == Mode::Console {
        return Ok((
            Vec::new(),
            vec![Delivery::message(
                alert.id,
                Target::Console,
                render::also_text(alert, copy),
                now,
            )],
        ));
    }
    let render_for = |chat_id: i64, photo: bool| -> Result<String, StoreError> {
        let chat = store.chat(chat_id)?;
        let locale = chat.as_ref().map_or(Locale::DEFAULT, locale_of);
        Ok(if photo {
            render::alert_caption(alert, template, &locale)
        } else {
            render::alert_html(alert, template, &locale)
        })
    };
    let mut replace = Vec::new();
    for (seq, mut d) in store.pending_for(alert.id)? {
        let Target::Telegram(chat) = d.target else {
            continue;
        };
        let text = render_for(chat, d.photo)?;
        // A message split in parts keeps its parts: only single messages are re-rendered.
        if d.photo || render::visible_len(&text) <= render::MESSAGE_LIMIT {
            d.text = text;
            replace.push((seq, d));
        }
    }
    let mut edits = Vec::new();
    for (chat, message, photo) in store.sent_messages(alert.id)? {
        let text = render_for(chat, photo)?;
        if !photo && render::visible_len(&text) > render::MESSAGE_LIMIT {
            continue;
        }
        let lang = store
            .chat(chat)?
            .map(|c| c.settings.lang)
            .unwrap_or_default();
        edits.push(Delivery {
            edit: Some(message),
            photo,
            buttons: true,
            lang,
            ..Delivery::message(alert.id, Target::Telegram(chat), text, now)
        });
    }
    Ok((replace, edits))
}

/// Re-renders `alert`'s messages enqueued in the same step (not stored yet) after a later copy
/// of its story was added. A message split in parts keeps its parts.
pub fn refresh_unsent(
    alert: &Alert,
    template: Option<&Template>,
    deliveries: &mut [Delivery],
    store: &Store,
) -> Result<(), StoreError> {
    let mut parts: std::collections::HashMap<Target, usize> = std::collections::HashMap::new();
    for d in deliveries
        .iter()
        .filter(|d| d.alert == alert.id && d.edit.is_none())
    {
        *parts.entry(d.target).or_default() += 1;
    }
    for d in deliveries
        .iter_mut()
        .filter(|d| d.alert == alert.id && d.edit.is_none())
    {
        let Target::Telegram(chat) = d.target else {
            continue;
        };
        if parts.get(&d.target) != Some(&1) {
            continue;
        }
        let locale = store
            .chat(chat)?
            .as_ref()
            .map_or(Locale::DEFAULT, locale_of);
        let text = if d.photo {
            render::alert_caption(alert, template, &locale)
        } else {
            render::alert_html(alert, template, &locale)
        };
        if d.photo || render::visible_len(&text) <= render::MESSAGE_LIMIT {
            d.text = text;
        }
    }
    Ok(())
}
