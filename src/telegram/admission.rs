//! The gate at work in the chat: a chat sending commands too fast is told once and ignored
//! for a while; a chat the allowlist keeps out gets a polite refusal, and the admins get one
//! question about it with Allow / Deny buttons; their answer is stored and carried out.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{ChatId, MessageId, ParseMode};

use super::commands::{Incoming, Reply};
use super::gate::{Admission, Decision, Pace, Policy};
use super::keyboards::admission_buttons;
use super::send::{paced, send_reply};
use super::{BotContext, HandlerResult, TgBot, blocking, lang_for};
use crate::chats::ChatKind;
use crate::i18n::texts;
use crate::store::{Store, StoreError};
use crate::text::Lang;

/// Whether a message or button press (`press`) from `incoming` goes on to be answered. When
/// not, the chat has been told why (once per flood, or the refusal), and a press has been
/// answered.
/// `sent`: when the message was sent (Unix seconds; for a button press, now).
///
/// A press beyond the pace is told so in the app's notice to whoever pressed, never by a
/// message in the chat. Presses under a channel post are counted per subscriber who
/// pressed: a channel's readers are not one chat talking to the bot, and their presses
/// neither post to the channel nor silence its admins' commands.
pub(super) async fn admit(
    bot: &TgBot,
    ctx: &Arc<BotContext>,
    incoming: &Incoming,
    from: Option<&teloxide::types::User>,
    sent: i64,
    press: Option<&CallbackQuery>,
) -> Result<bool, Box<dyn std::error::Error + Send + Sync>> {
    let paced_as = match press {
        Some(q) if incoming.kind == ChatKind::Channel => q.from.id.0 as i64,
        _ => incoming.chat,
    };
    match (ctx.gate.pace(paced_as, sent), press) {
        (Pace::Go, _) => {}
        (Pace::Ignore, _) => {
            if let Some(q) = press {
                bot.answer_callback_query(q.id.clone()).await?;
            }
            return Ok(false);
        }
        (Pace::Warn, Some(q)) => {
            let lang = match q.from.language_code.as_deref().and_then(Lang::from_code) {
                Some(lang) => lang,
                None => lang_for(ctx, incoming).await?,
            };
            bot.answer_callback_query(q.id.clone())
                .text(super::send::clip(
                    &texts(lang).flood_notice(ctx.gate.pause()),
                    200,
                ))
                .show_alert(true)
                .await?;
            return Ok(false);
        }
        (Pace::Warn, None) => {
            let t = texts(lang_for(ctx, incoming).await?);
            let notice = Reply::Text(t.flood_notice(ctx.gate.pause()));
            send_reply(
                bot,
                &ctx.pacer,
                ChatId(incoming.chat),
                incoming.thread,
                notice,
                None,
            )
            .await?;
            return Ok(false);
        }
    }
    if ctx.gate.policy() == Policy::Open {
        return Ok(true);
    }
    let (store, chat) = (ctx.store.clone(), incoming.chat);
    let stored = blocking(move || store.admission(chat)).await??;
    if ctx
        .gate
        .admits(incoming.chat, incoming.user, stored.as_ref())
    {
        if !ctx.gate.listed(incoming.chat, None)
            && stored
                .as_ref()
                .is_none_or(|a| a.decision != Decision::Allowed)
        {
            // A listed user brought the bot into this chat: the chat is let in, for the
            // others in it too.
            let admission = Admission {
                decision: Decision::Allowed,
                at: ctx.clock.now(),
                by: incoming.user,
                title: incoming.title.clone(),
                lang: incoming.user_lang.unwrap_or_default(),
            };
            let store = ctx.store.clone();
            blocking(move || store.put_admission(chat, &admission)).await??;
            tracing::info!(chat, user = ?incoming.user, "a listed user let a chat in");
        }
        return Ok(true);
    }
    // A group listed by its id that became a supergroup has a new id: it is still let in.
    let (store, gate, now) = (ctx.store.clone(), Arc::clone(&ctx.gate), ctx.clock.now());
    let moved_in = blocking(move || -> Result<bool, StoreError> {
        let Some(record) = store.chat(chat)?.filter(|c| gate.listed_before(c)) else {
            return Ok(false);
        };
        let admission = Admission {
            decision: Decision::Allowed,
            at: now,
            by: None,
            title: record.title,
            lang: record.settings.lang,
        };
        store.put_admission(chat, &admission)?;
        Ok(true)
    })
    .await??;
    if moved_in {
        tracing::info!(chat, "a listed group that became a supergroup is let in");
        return Ok(true);
    }
    crate::metrics::refused();
    let lang = incoming.user_lang.unwrap_or_default();
    let t = texts(lang);
    let refusal = match stored.map(|a| a.decision) {
        Some(Decision::Denied) => t.access_denied(),
        Some(_) => t.access_asked(),
        None => {
            let asked = Admission {
                decision: Decision::Asked,
                at: ctx.clock.now(),
                by: None,
                title: incoming.title.clone(),
                lang,
            };
            let store = ctx.store.clone();
            let first = blocking(move || store.ask_admission(chat, &asked)).await??;
            if first {
                ask_admins(bot, ctx, incoming, from);
            }
            t.access_asked()
        }
    };
    tracing::info!(chat, user = ?incoming.user, "refused: not on the allowlist");
    if let Some(q) = press {
        bot.answer_callback_query(q.id.clone()).await?;
    }
    send_reply(
        bot,
        &ctx.pacer,
        ChatId(incoming.chat),
        incoming.thread,
        Reply::Text(refusal),
        None,
    )
    .await?;
    Ok(false)
}

fn kind_name(kind: ChatKind) -> &'static str {
    match kind {
        ChatKind::Private => "private",
        ChatKind::Group => "group",
        ChatKind::Supergroup => "supergroup",
        ChatKind::Channel => "channel",
    }
}

/// One question to every admin about `incoming`'s chat, with Allow / Deny (best effort:
/// failures are logged; the chat stays asked, and an admin can still let it in by listing).
fn ask_admins(
    bot: &TgBot,
    ctx: &Arc<BotContext>,
    incoming: &Incoming,
    from: Option<&teloxide::types::User>,
) {
    let who = from.map(|u| match &u.username {
        Some(name) => format!("@{name}"),
        None => u.full_name(),
    });
    // Admins read the question in the bot's default language: their chats may not be stored.
    let lang = Lang::default();
    let text = texts(lang).access_request(
        &incoming.title,
        kind_name(incoming.kind),
        incoming.chat,
        who.as_deref(),
    );
    for &admin in &ctx.admins {
        let (bot, pacer, text) = (bot.clone(), Arc::clone(&ctx.pacer), text.clone());
        let keyboard = admission_buttons(incoming.chat, lang);
        tokio::spawn(async move {
            let sent = paced(&pacer, admin, || {
                bot.send_message(ChatId(admin), text.clone())
                    .parse_mode(ParseMode::Html)
                    .reply_markup(keyboard.clone())
                    .send()
            })
            .await;
            if let Err(e) = sent {
                tracing::warn!(admin, error = %e, "cannot ask an admin about a chat");
            }
        });
    }
}

/// An admin pressed Allow or Deny under the question about `chat`.
pub(super) async fn decide(
    bot: &TgBot,
    ctx: &Arc<BotContext>,
    q: &CallbackQuery,
    chat: i64,
    allow: bool,
) -> HandlerResult {
    let admin = q.from.id.0 as i64;
    if !ctx.admins.contains(&admin) {
        let lang = q
            .from
            .language_code
            .as_deref()
            .and_then(Lang::from_code)
            .unwrap_or_default();
        bot.answer_callback_query(q.id.clone())
            .text(texts(lang).admins_only_bot)
            .show_alert(true)
            .await?;
        return Ok(());
    }
    let now = ctx.clock.now();
    let store = ctx.store.clone();
    let decided = blocking(move || record(&store, chat, allow, admin, now)).await??;
    tracing::info!(chat, admin, allow, "an admin decided about a chat");
    let t = texts(Lang::default());
    let by = match &q.from.username {
        Some(name) => format!("@{name}"),
        None => q.from.full_name(),
    };
    bot.answer_callback_query(q.id.clone())
        .text(super::send::clip(
            &crate::delivery::render::plain_text(&t.access_decided(allow, &by)),
            200,
        ))
        .await?;
    if let Some(message) = q.regular_message() {
        // The question, with the answer under it and no buttons left.
        let question = crate::delivery::render::escape(message.text().unwrap_or_default());
        let text = format!("{question}\n\n{}", t.access_decided(allow, &by));
        let edited = paced(&ctx.pacer, message.chat.id.0, || {
            bot.edit_message_text(message.chat.id, MessageId(message.id.0), text.clone())
                .parse_mode(ParseMode::Html)
                .send()
        })
        .await;
        if let Err(e) = edited {
            tracing::debug!(error = %e, "cannot update the admins' question");
        }
    }
    if allow {
        let welcome = Reply::Text(texts(decided.lang).access_granted());
        send_reply(bot, &ctx.pacer, ChatId(chat), None, welcome, None).await?;
    }
    Ok(())
}

/// Stores an admin's decision; a chat kept out stops receiving alerts at once.
fn record(
    store: &Store,
    chat: i64,
    allow: bool,
    admin: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Admission, StoreError> {
    let before = store.admission(chat)?;
    let decided = Admission {
        decision: if allow {
            Decision::Allowed
        } else {
            Decision::Denied
        },
        at: now,
        by: Some(admin),
        title: before.as_ref().map(|a| a.title.clone()).unwrap_or_default(),
        lang: before.as_ref().map(|a| a.lang).unwrap_or_default(),
    };
    store.put_admission(chat, &decided)?;
    if !allow && store.chat(chat)?.is_some_and(|c| c.active) {
        store.update_chat(chat, |c| {
            c.active = false;
            c.deactivated = Some("kept out by an admin".into());
        })?;
        store.drop_deliveries_to(chat)?;
    }
    Ok(decided)
}

/// With the allowlist in force, chats stored from before that are neither listed nor let in
/// stop receiving alerts (they may ask with /start). Returns how many were stopped.
pub fn enforce(store: &Store, gate: &super::gate::Gate) -> Result<usize, StoreError> {
    if gate.policy() == Policy::Open {
        return Ok(0);
    }
    let mut stopped = 0;
    for chat in store.each_chat() {
        let chat = chat?;
        if !chat.active
            || gate.admits(chat.id, None, store.admission(chat.id)?.as_ref())
            || gate.listed_before(&chat)
        {
            continue;
        }
        store.update_chat(chat.id, |c| {
            c.active = false;
            c.deactivated = Some("not on the allowlist".into());
        })?;
        store.drop_deliveries_to(chat.id)?;
        stopped += 1;
    }
    Ok(stopped)
}
