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
use crate::delivery::outbox::{Delivery, Part, SentMessage, Target};
use crate::engine::{Alert, AlertId, HeadlineRef};
use crate::rules::{Rule, Template};
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
    /// (it stopped leading), or not yet (flood control met by another send meanwhile). Left
    /// as it is for whoever sends next.
    #[error("not sent: this instance may not send now")]
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

/// The messages telling `chat`, a supergroup that took in its group, what of it changed (see
/// `Store::migrate_chat`), in its language, its time zone and its topic, each split where too
/// long: which mutes in force gave way to stay within [`MAX_MUTES`](crate::chats::MAX_MUTES),
/// in the order they would have ended; which of the group's personal alerts took new numbers,
/// the supergroup having used theirs.
pub fn migration_notice(
    chat: &Chat,
    lifted: &[crate::chats::Mute],
    renumbered: &[crate::store::Renumbered],
    now: DateTime<Utc>,
) -> Vec<Delivery> {
    let locale = locale_of(chat);
    let t = crate::i18n::texts(locale.lang);
    let mut texts = Vec::new();
    if !lifted.is_empty() {
        // In the order they would have ended.
        let mut lifted: Vec<&crate::chats::Mute> = lifted.iter().collect();
        lifted.sort_by_key(|m| m.until);
        let lifted: Vec<(String, String)> = lifted
            .into_iter()
            .map(|m| (t.mute_target(&m.what), locale.time(m.until)))
            .collect();
        texts.push(t.mutes_lifted_at_migration(crate::chats::MAX_MUTES, &lifted));
    }
    if !renumbered.is_empty() {
        let renumbered: Vec<(u32, u32, String)> = renumbered
            .iter()
            .map(|r| {
                let what = render::escape(&r.alert.listed(locale.lang));
                (r.was, r.alert.number, format!("<code>{what}</code>"))
            })
            .collect();
        texts.push(t.alerts_renumbered_at_migration(&renumbered));
    }
    texts
        .iter()
        .flat_map(|text| render::split_html(text, render::MESSAGE_LIMIT))
        .map(|text| Delivery {
            thread: chat.thread,
            lang: chat.settings.lang,
            ..Delivery::message(outbox::BROADCAST, Target::Telegram(chat.id), text, now)
        })
        .collect()
}

/// An alert's text rendered once per locale, for every chat that reads it so.
type Rendered = std::collections::HashMap<Locale, std::sync::Arc<Vec<String>>>;

/// An alert's texts in `locale`: a photo's caption, or the message split in parts where it
/// exceeds Telegram's limit.
fn alert_texts(
    alert: &Alert,
    template: Option<&Template>,
    locale: &Locale,
    photo: bool,
) -> Vec<String> {
    if photo {
        vec![render::alert_caption(alert, template, locale)]
    } else {
        render::split_html(
            &render::alert_html(alert, template, locale),
            render::MESSAGE_LIMIT,
        )
    }
}

/// The messages of an alert for one chat: a photo with a caption when the alert has a chart,
/// else the text, split where it exceeds Telegram's limit (each part numbered, buttons on the
/// last). Texts come from `rendered` when a chat of the same locale had them made.
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
    let parts =
        std::sync::Arc::clone(rendered.entry(locale).or_insert_with(|| {
            std::sync::Arc::new(alert_texts(alert, template, &locale, with_chart))
        }));
    let of = u32::try_from(parts.len()).unwrap_or(u32::MAX);
    let last = parts.len().saturating_sub(1);
    parts
        .iter()
        .enumerate()
        .map(|(i, text)| Delivery {
            part: (of > 1).then(|| Part {
                index: u32::try_from(i).unwrap_or(u32::MAX),
                of,
            }),
            ..base(text.clone(), with_chart, i == last)
        })
        .collect()
}

/// Fans an alert out: to the console, or to every chat whose subscriptions, watch list, mutes
/// and settings want it — now, after its quiet hours, or in its next digest. A personal
/// alert is its chat's alone: only that chat is read. `rule` is the rule that fired, when
/// loaded: its template, and the ids it had before (a chat whose record still follows or
/// mutes it under one of them is treated as if it were moved already).
pub fn deliveries_for(
    alert: &Alert,
    rule: Option<&Rule>,
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
            let formerly = rule.map_or(&[][..], |r| &r.formerly[..]);
            let template = rule.and_then(|r| r.template.as_ref());
            for chat in chats {
                let chat = chat?;
                match chat.disposition_as(&alert.rule, formerly, alert.symbol.as_deref(), now) {
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

/// An alert's texts rendered again, by locale and whether a caption: each rendered once for
/// every chat that reads it so.
struct Rerendered<'a> {
    alert: &'a Alert,
    template: Option<&'a Template>,
    texts: std::collections::HashMap<(Locale, bool), std::sync::Arc<Vec<String>>>,
}

impl<'a> Rerendered<'a> {
    fn new(alert: &'a Alert, template: Option<&'a Template>) -> Rerendered<'a> {
        Rerendered {
            alert,
            template,
            texts: Default::default(),
        }
    }

    /// The caption, or the message's parts, in `locale`.
    fn texts(&mut self, locale: Locale, photo: bool) -> std::sync::Arc<Vec<String>> {
        let (alert, template) = (self.alert, self.template);
        std::sync::Arc::clone(
            self.texts.entry((locale, photo)).or_insert_with(|| {
                std::sync::Arc::new(alert_texts(alert, template, &locale, photo))
            }),
        )
    }
}

/// The locale of `chat` as stored (the default for a chat not stored).
fn stored_locale(store: &Store, chat: i64) -> Result<Locale, StoreError> {
    Ok(store
        .chat(chat)?
        .as_ref()
        .map_or(Locale::DEFAULT, locale_of))
}

/// How many parts a message went out in, from its parts still pending (`pending`, which
/// carry it) and the highest part sent; `None` when it cannot be told (parts enqueued by an
/// older version, which did not note it).
fn parts_of<'d>(pending: impl IntoIterator<Item = &'d Delivery>, sent: Option<u32>) -> Option<u32> {
    let mut of = sent.map(|highest| highest + 1);
    let mut unnumbered = 0;
    for d in pending {
        match d.part {
            Some(part) => of = Some(of.map_or(part.of, |n| n.max(part.of))),
            None => unnumbered += 1,
        }
    }
    match unnumbered {
        0 => of,
        1 => Some(of.unwrap_or(1)),
        _ => None,
    }
}

/// One chat's messages of an alert: the parts pending, and those sent.
#[derive(Default)]
struct ChatMessages {
    pending: Vec<(u64, Delivery)>,
    sent: Vec<SentMessage>,
}

/// What changes when a later copy of `alert`'s story arrives (`alert` already lists it):
/// messages not yet sent are re-rendered in place, messages already sent are edited, and the
/// console gets a line. A message split in parts is updated part by part: the parts the copy
/// changes are edited (or, still pending, re-rendered), the others left alone. A message the
/// copy would make longer than the messages it went out in (one part more) keeps its text.
/// A message sent while this step runs is edited too: by the sender when it finds the new
/// text on removing the message, or by the step's commit when the message was removed first
/// (`Store::mark_sent`, `Store::commit`).
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
    // By chat (a fan-out's copy meets as many messages as chats).
    let mut chats: std::collections::BTreeMap<i64, ChatMessages> = Default::default();
    for (seq, d) in pending {
        if let Target::Telegram(chat) = d.target {
            chats.entry(chat).or_default().pending.push((seq, d));
        }
    }
    for m in sent {
        chats.entry(m.chat).or_default().sent.push(m);
    }
    // The alert as its messages read before this copy: a part it does not change is not
    // edited.
    let mut before_copy = alert.clone();
    if let Some(i) = before_copy.also.iter().rposition(|h| h == copy) {
        before_copy.also.remove(i);
    }
    let mut after = Rerendered::new(alert, template);
    let mut before = Rerendered::new(&before_copy, template);
    let mut replace = Vec::new();
    let mut edits = Vec::new();
    for (chat, messages) in chats {
        let highest_sent = messages.sent.iter().map(|m| m.part).max();
        let Some(of) = parts_of(messages.pending.iter().map(|(_, d)| d), highest_sent) else {
            continue;
        };
        let locale = stored_locale(store, chat)?;
        for (seq, d) in &messages.pending {
            let part = d.part.map_or(0, |p| p.index);
            // Sent already, only not yet removed: the edit below brings it up to date.
            if messages.sent.iter().any(|m| m.part == part) {
                continue;
            }
            let texts = after.texts(locale, d.photo);
            if let Some(text) = texts.get(part as usize)
                && texts.len() == of as usize
                && *text != d.text
            {
                replace.push((
                    *seq,
                    Delivery {
                        text: text.clone(),
                        ..d.clone()
                    },
                ));
            }
        }
        for m in &messages.sent {
            let texts = after.texts(locale, m.photo);
            let Some(text) = texts
                .get(m.part as usize)
                .filter(|_| texts.len() == of as usize)
            else {
                continue;
            };
            if before.texts(locale, m.photo).get(m.part as usize) == Some(text) {
                continue;
            }
            edits.push(Delivery {
                edit: Some(m.message),
                photo: m.photo,
                // The buttons are on the last part.
                buttons: m.part + 1 == of,
                lang: locale.lang,
                ..Delivery::message(alert.id, Target::Telegram(chat), text.clone(), now)
            });
        }
    }
    Ok((replace, edits))
}

/// Re-renders `alert`'s messages enqueued in the same step (not stored yet) after a later copy
/// of its story was added; a message split in parts takes its new parts, unless it would
/// need one more (then it keeps its text).
pub fn refresh_unsent(
    alert: &Alert,
    template: Option<&Template>,
    deliveries: &mut [Delivery],
    store: &Store,
) -> Result<(), StoreError> {
    let mut chats: std::collections::BTreeMap<i64, Vec<&mut Delivery>> = Default::default();
    for d in deliveries
        .iter_mut()
        .filter(|d| d.alert == alert.id && d.edit.is_none())
    {
        if let Target::Telegram(chat) = d.target {
            chats.entry(chat).or_default().push(d);
        }
    }
    let mut after = Rerendered::new(alert, template);
    for (chat, mut parts) in chats {
        let Some(of) = parts_of(parts.iter().map(|d| &**d), None) else {
            continue;
        };
        let locale = stored_locale(store, chat)?;
        for d in &mut parts {
            let texts = after.texts(locale, d.photo);
            if let Some(text) = texts.get(d.part.map_or(0, |p| p.index) as usize)
                && texts.len() == of as usize
            {
                d.text.clone_from(text);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chats::ChatKind;
    use crate::rules::Severity;

    /// Stores `alert` as fired at `now`, with its `deliveries` queued.
    fn store_fired(store: &Store, alert: &Alert, deliveries: Vec<Delivery>, now: DateTime<Utc>) {
        store
            .commit(&crate::store::Step {
                now,
                alerts: vec![alert.clone()],
                deliveries,
                ..Default::default()
            })
            .unwrap();
    }

    /// Another publisher's copy of the story, at `now`.
    fn later_copy(now: DateTime<Utc>) -> HeadlineRef {
        HeadlineRef {
            title: "Nvidia customer weighs alternatives".into(),
            link: None,
            source: "Bloomberg".into(),
            published: now,
        }
    }

    /// A store with private chats 1 and 2, each subscribed to the rule `seed`.
    fn two_chats_of_the_seed_rule(now: DateTime<Utc>) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        for id in [1, 2] {
            let mut chat = Chat::new(id, ChatKind::Private, String::new(), now);
            chat.rules.insert("seed".into());
            store.put_chat(&chat).unwrap();
        }
        (dir, store)
    }

    #[test]
    fn quiet_alerts_go_out_silently_and_a_personal_alert_to_its_chat_alone() {
        let now: DateTime<Utc> = "2026-02-02T21:50:00Z".parse().unwrap();
        let (_dir, store) = two_chats_of_the_seed_rule(now);
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

    /// A long alert goes out in two parts. A later copy of its story changes only the second:
    /// where it was sent, that message is edited (with the buttons it carries) and the first
    /// is left alone; where it still waits, it goes out with the new text.
    #[test]
    fn a_later_copy_updates_the_part_it_changes_of_a_message_split_in_parts() {
        let now: DateTime<Utc> = "2026-02-02T21:50:00Z".parse().unwrap();
        let (_dir, store) = two_chats_of_the_seed_rule(now);
        let mut alert = Alert::sample(1, now);
        alert.title = "Customer seeks alternatives ".repeat(160);
        let fan_out = deliveries_for(&alert, None, Mode::Telegram, &store, now, false).unwrap();
        assert_eq!(fan_out.deliveries.len(), 4, "two parts for each chat");
        store_fired(&store, &alert, fan_out.deliveries, now);
        // Chat 1 got both parts, as messages 11 and 12; chat 2's wait.
        let mut waiting = Vec::new();
        for (seq, d) in store.outbox().unwrap() {
            match d.target {
                Target::Telegram(1) => {
                    let id = if d.buttons { 12 } else { 11 };
                    store.mark_sent(seq, &d, Some(id), now).unwrap();
                }
                _ => waiting.push((seq, d)),
            }
        }
        let copy = later_copy(now);
        alert.also.push(copy.clone());
        let (replace, edits) =
            updates_for(&alert, &copy, None, Mode::Telegram, &store, now).unwrap();
        let edited: Vec<(Target, Option<i32>, bool)> = edits
            .iter()
            .map(|d| (d.target, d.edit, d.buttons))
            .collect();
        assert_eq!(edited, [(Target::Telegram(1), Some(12), true)]);
        assert!(edits[0].text.contains("Bloomberg"), "{}", edits[0].text);
        let replaced: Vec<u64> = replace.iter().map(|(seq, _)| *seq).collect();
        assert_eq!(replaced, [waiting[1].0], "the waiting second part");
        assert!(replace[0].1.text.contains("Bloomberg"));
        assert_eq!(edits[0].text, replace[0].1.text, "both chats read the same");
    }

    /// A message that a later copy would make longer than the messages it went out in keeps
    /// its text: the copy's source is not worth a message of its own, after the chat's newer
    /// ones, nor cutting the alert off differently than it reads.
    #[test]
    fn a_message_a_later_copy_would_lengthen_by_a_part_keeps_its_text() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let now: DateTime<Utc> = "2026-02-02T21:50:00Z".parse().unwrap();
        let mut chat = Chat::new(1, ChatKind::Private, String::new(), now);
        chat.rules.insert("seed".into());
        store.put_chat(&chat).unwrap();
        // One message just short of Telegram's limit.
        let mut alert = Alert::sample(1, now);
        alert.title.clear();
        let rest = render::visible_len(&render::alert_html(&alert, None, &Locale::DEFAULT));
        alert.title = "x".repeat(render::MESSAGE_LIMIT - rest - 5);
        let fan_out = deliveries_for(&alert, None, Mode::Telegram, &store, now, false).unwrap();
        assert_eq!(fan_out.deliveries.len(), 1);
        store_fired(&store, &alert, fan_out.deliveries, now);
        let copy = later_copy(now);
        alert.also.push(copy.clone());
        let (replace, edits) =
            updates_for(&alert, &copy, None, Mode::Telegram, &store, now).unwrap();
        assert!(
            replace.is_empty() && edits.is_empty(),
            "{replace:?} {edits:?}"
        );
        // Sent meanwhile: not edited either.
        let (seq, d) = store.outbox().unwrap().remove(0);
        store.mark_sent(seq, &d, Some(11), now).unwrap();
        let (replace, edits) =
            updates_for(&alert, &copy, None, Mode::Telegram, &store, now).unwrap();
        assert!(
            replace.is_empty() && edits.is_empty(),
            "{replace:?} {edits:?}"
        );
    }
}
