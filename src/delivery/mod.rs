//! Sinks: turning alerts into messages and getting them delivered exactly once.
//!
//! An alert becomes one [`Delivery`] per subscribed chat (or one for the console when no
//! token is configured) in the same store transaction that records the alert. The
//! [`Sender`] drains that outbox: a delivery is removed only after its sink accepted it, so a
//! crash or restart resends at most the message that was in flight. Flood control
//! (`retry_after`) is honoured, transient failures back off, and a chat that blocked the bot
//! is deactivated rather than retried forever.

mod console;
pub mod digest;
pub mod outbox;
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

use crate::chats::{Chat, Disposition};
use crate::delivery::outbox::{Delivery, Target};
use crate::engine::{Alert, AlertId, HeadlineRef};
use crate::rules::Template;
use crate::store::{Store, StoreError};

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
    /// Not sent: when its turn came (Telegram's limits), this instance could no longer send
    /// (it stopped leading). Left as it is for whoever sends next.
    #[error("not sent: this instance may no longer send")]
    NotSent,
}

/// What a sink made of a delivery it took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The Telegram message it became or edited, when the sink has one.
    pub message: Option<i32>,
    /// Whether it went out as a picture with a caption: a chat that refuses pictures, or an
    /// alert whose chart is gone, gets text instead.
    pub photo: bool,
}

impl Accepted {
    /// `delivery` taken as it was asked for, as `message`.
    pub fn as_asked(delivery: &Delivery, message: Option<i32>) -> Accepted {
        Accepted {
            message,
            photo: delivery.photo,
        }
    }
}

/// Where messages go: Telegram or the console.
pub trait Sink: Send + Sync {
    /// Sends a delivery (or, for an edit, replaces the earlier message's text or caption); what
    /// it became.
    fn send<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<Accepted, SendError>>;

    /// Sends a delivery like [`Sink::send`], but only if `may_send` still holds when the
    /// request is about to leave (a sink that waits for a turn first asks it after the wait);
    /// [`SendError::NotSent`] otherwise.
    fn send_if<'a>(
        &'a self,
        delivery: &'a Delivery,
        may_send: &'a (dyn Fn() -> bool + Send + Sync),
    ) -> BoxFuture<'a, Result<Accepted, SendError>> {
        if !may_send() {
            return Box::pin(async { Err(SendError::NotSent) });
        }
        self.send(delivery)
    }
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

/// An alert's text rendered once per locale, for every chat that reads it so.
type Rendered = std::collections::HashMap<Locale, std::sync::Arc<Vec<String>>>;

/// The messages of an alert for one chat: a photo with a caption when the alert has a chart,
/// else the text, split where it exceeds Telegram's limit (buttons on the last part). Texts
/// come from `rendered` when a chat of the same locale had them made.
fn alert_messages(
    alert: &Alert,
    template: Option<&Template>,
    chat: &Chat,
    with_chart: bool,
    now: DateTime<Utc>,
    rendered: &mut Rendered,
) -> Vec<Delivery> {
    let locale = locale_of(chat);
    let base = |text: String, photo: bool, buttons: bool| Delivery {
        photo,
        buttons,
        lang: chat.settings.lang,
        thread: chat.thread,
        silent: alert.severity.is_quiet(),
        ..Delivery::message(alert.id, Target::Telegram(chat.id), text, now)
    };
    let parts = std::sync::Arc::clone(rendered.entry(locale).or_insert_with(|| {
        std::sync::Arc::new(if with_chart {
            vec![render::alert_caption(alert, template, &locale)]
        } else {
            render::split_html(
                &render::alert_html(alert, template, &locale),
                render::MESSAGE_LIMIT,
            )
        })
    }));
    let last = parts.len().saturating_sub(1);
    parts
        .iter()
        .enumerate()
        .map(|(i, text)| base(text.clone(), with_chart, i == last))
        .collect()
}

/// Fans an alert out: to the console, or to every chat whose subscriptions, watch list, mutes
/// and settings want it — now, after its quiet hours, or in its next digest. A personal
/// alert is its chat's alone: only that chat is read.
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
            let one;
            let chats: Box<dyn Iterator<Item = Result<Chat, StoreError>>> =
                match crate::personal::Key::of_rule(&alert.rule) {
                    Some(key) => {
                        one = store.chat(key.chat)?;
                        Box::new(one.into_iter().map(Ok))
                    }
                    None => Box::new(store.each_chat()),
                };
            let mut rendered = Rendered::new();
            for chat in chats {
                let chat = chat?;
                match chat.disposition(&alert.rule, alert.symbol.as_deref(), now) {
                    Disposition::Skip => {}
                    Disposition::Digest => out.digest.push((chat.id, alert.id)),
                    Disposition::Now => out.deliveries.extend(alert_messages(
                        alert,
                        template,
                        &chat,
                        with_chart,
                        now,
                        &mut rendered,
                    )),
                    Disposition::After(until) => out.deliveries.extend(
                        alert_messages(alert, template, &chat, with_chart, now, &mut rendered)
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

/// Pending deliveries with their new texts (by sequence number), and new deliveries (edits).
pub type Updates = (Vec<(u64, Delivery)>, Vec<Delivery>);

/// Texts of one alert rendered again, by locale and whether a caption: each rendered once for
/// every chat that reads it so.
type Rerendered = std::collections::HashMap<(Locale, bool), Option<String>>;

/// `alert` rendered again for a chat, as a photo caption or a message; `None` for a message
/// that no longer fits in one (a message split in parts keeps its parts).
fn rerender(
    alert: &Alert,
    template: Option<&Template>,
    store: &Store,
    chat: i64,
    photo: bool,
    rendered: &mut Rerendered,
) -> Result<Option<(String, Locale)>, StoreError> {
    let locale = store
        .chat(chat)?
        .as_ref()
        .map_or(Locale::DEFAULT, locale_of);
    let text = rendered.entry((locale, photo)).or_insert_with(|| {
        if photo {
            Some(render::alert_caption(alert, template, &locale))
        } else {
            Some(render::alert_html(alert, template, &locale))
                .filter(|text| render::visible_len(text) <= render::MESSAGE_LIMIT)
        }
    });
    Ok(text.clone().map(|text| (text, locale)))
}

/// What changes when a later copy of `alert`'s story arrives (`alert` already lists it):
/// messages not yet sent are re-rendered in place, messages already sent are edited, and the
/// console gets a line. A message sent while this step runs is edited too: by the sender
/// when it finds the new text on removing the message, or by the step's commit when the
/// message was removed first (`Store::mark_sent`, `Store::commit`).
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
    // Pending first, then sent: the sender removes a message and records it sent in one
    // step, so one sent between the two reads is found sent. Read the other way round, it
    // would be in neither, and neither edited nor re-rendered.
    let pending = store.pending_for(alert.id)?;
    let sent = store.sent_messages(alert.id)?;
    // By chat (a fan-out's copy meets as many messages as chats): the messages sent, and how
    // many parts are pending.
    let sent_to: std::collections::HashSet<i64> = sent.iter().map(|(c, _, _)| *c).collect();
    let mut parts: std::collections::HashMap<Target, usize> = std::collections::HashMap::new();
    for (_, d) in &pending {
        *parts.entry(d.target).or_default() += 1;
    }
    let mut rendered = Rerendered::new();
    let mut replace = Vec::new();
    for (seq, d) in &pending {
        if let Target::Telegram(chat) = d.target
            // Sent already, only not yet removed: the edit below brings it up to date.
            && !sent_to.contains(&chat)
            // A message split in parts keeps its parts.
            && parts.get(&d.target) == Some(&1)
            && let Some((text, _)) =
                rerender(alert, template, store, chat, d.photo, &mut rendered)?
        {
            replace.push((*seq, Delivery { text, ..d.clone() }));
        }
    }
    let mut edits = Vec::new();
    for (chat, message, photo) in sent {
        if let Some((text, locale)) = rerender(alert, template, store, chat, photo, &mut rendered)?
        {
            edits.push(Delivery {
                edit: Some(message),
                photo,
                buttons: true,
                lang: locale.lang,
                ..Delivery::message(alert.id, Target::Telegram(chat), text, now)
            });
        }
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
    let mut rendered = Rerendered::new();
    for d in deliveries
        .iter_mut()
        .filter(|d| d.alert == alert.id && d.edit.is_none())
    {
        if let Target::Telegram(chat) = d.target
            && parts.get(&d.target) == Some(&1)
            && let Some((text, _)) = rerender(alert, template, store, chat, d.photo, &mut rendered)?
        {
            d.text = text;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chats::ChatKind;
    use crate::rules::Severity;

    #[test]
    fn quiet_alerts_go_out_silently_and_a_personal_alert_to_its_chat_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let now: DateTime<Utc> = "2026-02-02T21:50:00Z".parse().unwrap();
        for id in [1, 2] {
            let mut chat = Chat::new(id, ChatKind::Private, String::new(), now);
            chat.rules.insert("seed".into());
            store.put_chat(&chat).unwrap();
        }
        let fan_out = |alert: &Alert| {
            deliveries_for(alert, None, Mode::Telegram, &store, now, false)
                .unwrap()
                .deliveries
        };
        let mut alert = Alert::sample(1, now);
        for (severity, silent) in [
            (Severity::Info, true),
            (Severity::Low, true),
            (Severity::Medium, false),
            (Severity::High, false),
        ] {
            alert.severity = severity;
            let out = fan_out(&alert);
            assert_eq!(out.len(), 2);
            assert!(out.iter().all(|d| d.silent == silent), "{severity:?}");
        }
        // Chat 2's personal alert: chat 2 alone, subscribed to it or not.
        alert.rule = crate::personal::PersonalAlert::rule_id(2, 1);
        let out = fan_out(&alert);
        let targets: Vec<Target> = out.iter().map(|d| d.target).collect();
        assert_eq!(targets, [Target::Telegram(2)]);
    }
}
