//! Sending replies: paced with the outbox, split where too long, a `429` waited out.

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
/// reply that follows.
pub(super) async fn while_working<F: Future>(
    bot: &TgBot,
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
                let mut request = bot.send_chat_action(chat, action);
                if let Some(t) = thread {
                    request = request.message_thread_id(ThreadId(MessageId(t)));
                }
                shown = Some(tokio::spawn(async move {
                    if let Err(e) = request.send().await {
                        tracing::debug!(chat = chat.0, error = %e, "cannot show the chat that a reply is coming");
                    }
                }));
                wait = SHOW_WORK_EVERY;
            }
        }
    };
    if let Some(shown) = shown.filter(|s| !s.is_finished()) {
        let _ = tokio::time::timeout(SHOW_WORK_AFTER, shown).await;
    }
    out
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

/// Sends a request when the pacer allows; a `429` is waited out (its `retry_after`) and the
/// request made and sent again, so a reply is not lost to flood control. (Alerts have the
/// outbox for that.)
pub(super) async fn paced<T, Fut>(
    pacer: &Pacer,
    chat: i64,
    mut send: impl FnMut() -> Fut,
) -> Result<T, teloxide::RequestError>
where
    Fut: std::future::Future<Output = Result<T, teloxide::RequestError>>,
{
    let mut attempt = 0;
    loop {
        pacer.ready(chat).await;
        match send().await {
            Err(teloxide::RequestError::RetryAfter(wait)) if attempt < REPLY_RETRIES => {
                attempt += 1;
                crate::metrics::rate_limited(wait.duration());
                tracing::debug!(chat, wait = ?wait.duration(), "reply refused by flood control; waiting");
                tokio::time::sleep(wait.duration()).await;
            }
            other => return other,
        }
    }
}
