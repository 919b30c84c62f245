//! Sending replies: paced with the outbox, split where too long, a `429` waited out; chat
//! actions shown while a reply is worked on, never during Telegram's flood pause.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{
    ChatAction, InputFile, LinkPreviewOptions, MessageId, ParseMode, ReplyParameters, ThreadId,
};

use super::commands::Reply;
use super::pace::Pacer;
use super::{HandlerResult, TgBot};
use crate::delivery::render::{self, escape};

/// Sends `text` to every admin, paced (best effort: failures are logged).
pub fn notify_admins(bot: &TgBot, pacer: &Arc<Pacer>, admins: &[i64], text: &str) {
    let html = pre_block(text);
    for &admin in admins {
        let (bot, pacer, html) = (bot.clone(), Arc::clone(pacer), html.clone());
        tokio::spawn(async move {
            let sent = paced(&pacer, admin, || {
                bot.send_message(ChatId(admin), html.clone())
                    .parse_mode(ParseMode::Html)
                    .send()
            })
            .await;
            if let Err(e) = sent {
                tracing::warn!(admin, error = %e, "cannot notify an admin");
            }
        });
    }
}

/// How long work before a reply may take before the chat is shown that the bot is at it.
const SHOW_WORK_AFTER: std::time::Duration = std::time::Duration::from_millis(700);

/// How often the action is shown again: Telegram shows one for five seconds, or until the
/// bot's next message.
const SHOW_WORK_EVERY: std::time::Duration = std::time::Duration::from_secs(4);

/// Runs `work` (the quote provider asked before a reply) and, when it takes longer than a
/// moment, shows the chat `action` ("typing…", "sending photo…") until it is done. The action
/// is best effort: sent beside the work, never holding it, a failure only logged; one on its
/// way when the work is done is let arrive first (shortly), so that it does not outlast the
/// reply that follows. When it may not go ([`show`]), it is left out and tried again at the
/// next showing.
pub(super) async fn while_working<F: Future>(
    bot: &TgBot,
    pacer: &Pacer,
    chat: ChatId,
    thread: Option<i32>,
    action: ChatAction,
    work: F,
) -> F::Output {
    let mut work = std::pin::pin!(work);
    let mut wait = SHOW_WORK_AFTER;
    let mut shown: Option<tokio::task::JoinHandle<()>> = None;
    let out = loop {
        tokio::select! {
            out = &mut work => break out,
            () = tokio::time::sleep(wait) => {
                if let Some(sending) = show(bot, pacer, chat, thread, action) {
                    shown = Some(sending);
                }
                wait = SHOW_WORK_EVERY;
            }
        }
    };
    if let Some(shown) = shown.filter(|s| !s.is_finished()) {
        let _ = tokio::time::timeout(SHOW_WORK_AFTER, shown).await;
    }
    out
}

/// Sends `action` to `chat` (on a task of its own, returned), if it may go now. Telegram's
/// flood pause holds chat actions back like every request, and a bot that keeps asking during
/// one is made to wait longer: none is sent while a pause holds (or the store cannot tell),
/// and a `429` one meets pauses all sending like any send's. An action takes no turn at the
/// pacer, which would make the reply behind it wait for the chat's gap: it is sent only while
/// the chat's pace has room ([`Pacer::has_room`]), and left out when not.
fn show(
    bot: &TgBot,
    pacer: &Pacer,
    chat: ChatId,
    thread: Option<i32>,
    action: ChatAction,
) -> Option<tokio::task::JoinHandle<()>> {
    let flood = pacer.flood_control();
    match flood.until() {
        Ok(None) => {}
        Ok(Some(_)) => return None,
        Err(e) => {
            tracing::debug!(chat = chat.0, error = %e, "cannot read Telegram's flood pause; no chat action");
            return None;
        }
    }
    if !pacer.has_room(chat.0) {
        return None;
    }
    let flood = flood.clone();
    let mut request = bot.send_chat_action(chat, action);
    if let Some(t) = thread {
        request = request.message_thread_id(ThreadId(MessageId(t)));
    }
    Some(tokio::spawn(async move {
        match request.send().await {
            Ok(_) => {}
            Err(teloxide::RequestError::RetryAfter(wait)) => {
                crate::metrics::rate_limited(wait.duration());
                let until = flood.pause_for(wait.duration());
                tracing::warn!(chat = chat.0, wait = ?wait.duration(), %until, "flood control: a chat action is refused; pausing all sending");
            }
            Err(e) => {
                tracing::debug!(chat = chat.0, error = %e, "cannot show the chat that a reply is coming")
            }
        }
    }))
}

/// A technical report (reload summaries) for admins: preformatted, escaped, within one
/// message.
pub fn pre_block(text: &str) -> String {
    format!("<pre>{}</pre>", escape(&clip(text, 3500)))
}

/// At most `n` characters of `text`.
pub(super) fn clip(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

/// Link previews off: alerts and replies carry links that would otherwise unfurl.
pub fn no_preview() -> LinkPreviewOptions {
    LinkPreviewOptions {
        is_disabled: true,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    }
}

/// Sends a reply in the chat (and topic) it answers, paced.
pub(super) async fn send_reply(
    bot: &TgBot,
    pacer: &Pacer,
    chat: ChatId,
    thread: Option<i32>,
    reply: Reply,
    reply_to: Option<MessageId>,
) -> HandlerResult {
    let thread = thread.map(|t| ThreadId(MessageId(t)));
    let reply_parameters = reply_to.map(|m| ReplyParameters::new(m).allow_sending_without_reply());
    match reply {
        Reply::Photo { png, caption } => {
            paced(pacer, chat.0, || {
                let mut request = bot
                    .send_photo(chat, InputFile::memory(png.clone()).file_name("chart.png"))
                    .caption(caption.clone())
                    .parse_mode(ParseMode::Html);
                if let Some(t) = thread {
                    request = request.message_thread_id(t);
                }
                request.send()
            })
            .await?;
        }
        Reply::Text(html) => {
            send_html(bot, pacer, chat, thread, &html, None, reply_parameters).await?
        }
        Reply::Keyboard(html, keyboard) => {
            send_html(
                bot,
                pacer,
                chat,
                thread,
                &html,
                Some(keyboard),
                reply_parameters,
            )
            .await?
        }
    }
    Ok(())
}

/// Sends HTML, split where it exceeds Telegram's limit: the first part replies to
/// `reply_parameters`, the last carries the keyboard.
pub(super) async fn send_html(
    bot: &TgBot,
    pacer: &Pacer,
    chat: ChatId,
    thread: Option<ThreadId>,
    html: &str,
    keyboard: Option<teloxide::types::InlineKeyboardMarkup>,
    reply_parameters: Option<ReplyParameters>,
) -> Result<(), teloxide::RequestError> {
    let parts = render::split_html(html, render::MESSAGE_LIMIT);
    let last = parts.len().saturating_sub(1);
    for (i, part) in parts.into_iter().enumerate() {
        paced(pacer, chat.0, || {
            let mut request = bot
                .send_message(chat, part.clone())
                .parse_mode(ParseMode::Html)
                .link_preview_options(no_preview());
            if let Some(t) = thread {
                request = request.message_thread_id(t);
            }
            if let (0, Some(r)) = (i, &reply_parameters) {
                request = request.reply_parameters(r.clone());
            }
            if let (true, Some(k)) = (i == last, &keyboard) {
                request = request.reply_markup(k.clone());
            }
            request.send()
        })
        .await?;
    }
    Ok(())
}

/// How often a reply refused by flood control is sent again.
const REPLY_RETRIES: u32 = 3;

/// Sends a request when Telegram's flood pause is over and the pacer allows; a `429` pauses
/// all sending (the outbox too, [`FloodControl`]), is waited out, and the request made and
/// sent again, so a reply is not lost to flood control. (Alerts have the outbox for that.)
///
/// [`FloodControl`]: super::flood_control::FloodControl
pub(super) async fn paced<T, Fut>(
    pacer: &Pacer,
    chat: i64,
    mut send: impl FnMut() -> Fut,
) -> Result<T, teloxide::RequestError>
where
    Fut: std::future::Future<Output = Result<T, teloxide::RequestError>>,
{
    let flood = pacer.flood_control();
    let mut attempt = 0;
    loop {
        flood.wait_out().await;
        pacer.ready(chat).await;
        // A pause may have begun while this waited for its turn.
        if flood.holds() {
            continue;
        }
        match send().await {
            Err(teloxide::RequestError::RetryAfter(wait)) if attempt < REPLY_RETRIES => {
                attempt += 1;
                crate::metrics::rate_limited(wait.duration());
                let until = flood.pause_for(wait.duration());
                tracing::warn!(chat, wait = ?wait.duration(), %until, "flood control: a reply is refused; pausing all sending");
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::{DateTime, Utc};
    use teloxide::RequestError;
    use teloxide::types::Seconds;

    use super::*;
    use crate::clock::Clock;
    use crate::store::Store;
    use crate::telegram::flood_control::FloodControl;
    use crate::telegram::pace::Limits;

    fn setup() -> (tempfile::TempDir, Store, Clock, Pacer) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let clock = Clock::anchored("2026-02-02T21:50:00Z".parse().unwrap());
        let pacer = Pacer::new(Limits {
            per_second: 30,
            chat_gap: Duration::from_millis(1),
            group_per_minute: 600,
        })
        .with_flood_control(FloodControl::kept_in(store.clone()).on(clock.clone()));
        (dir, store, clock, pacer)
    }

    /// A reply waits out the flood pause a send met before (an alert's, recorded in the store,
    /// before a restart too) instead of earning a longer one.
    #[tokio::test(start_paused = true)]
    async fn a_reply_waits_out_a_flood_pause_met_before() {
        let (_dir, store, clock, pacer) = setup();
        let until = clock.now() + chrono::TimeDelta::seconds(60);
        store.pause_sending(until).unwrap();
        let mut sent_at: Vec<DateTime<Utc>> = Vec::new();
        paced(&pacer, 42, || {
            sent_at.push(clock.now());
            std::future::ready(Ok::<_, RequestError>(()))
        })
        .await
        .unwrap();
        assert_eq!(sent_at.len(), 1);
        assert!(
            sent_at[0] >= until,
            "sent at {} during the pause",
            sent_at[0]
        );
    }

    /// A reply that meets flood control pauses all sending — recorded for the outbox and a
    /// restart — and goes out again once the pause has passed.
    #[tokio::test(start_paused = true)]
    async fn a_reply_refused_by_flood_control_pauses_all_sending() {
        let (_dir, store, clock, pacer) = setup();
        let mut answers = vec![
            Err(RequestError::RetryAfter(Seconds::from_seconds(30))),
            Ok(()),
        ];
        let mut sent_at: Vec<DateTime<Utc>> = Vec::new();
        paced(&pacer, 42, || {
            sent_at.push(clock.now());
            std::future::ready(answers.remove(0))
        })
        .await
        .unwrap();
        assert_eq!(sent_at.len(), 2);
        let until = store.flood_pause().unwrap().expect("recorded");
        assert_eq!(until, sent_at[0] + chrono::TimeDelta::seconds(30));
        assert!(
            sent_at[1] >= until,
            "sent again at {} during the pause",
            sent_at[1]
        );
        assert!(!pacer.flood_control().holds());
    }
}
