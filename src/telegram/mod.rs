//! The Telegram side: the bot client, and what people do in their chats — commands, button
//! presses, adding or removing the bot, a group becoming a supergroup.
//!
//! Updates arrive by long polling or, in webhook mode, posted by Telegram to the HTTP listener
//! ([`webhook`]); either way through teloxide's dispatcher. Deciding an answer is store
//! work and runs on the blocking pool ([`commands::answer`], [`callbacks::press`]); sending
//! it waits for the [`pace::Pacer`] shared with the outbox, so replies and alerts together
//! keep Telegram's limits. The bot token never reaches a log line: [`redact`] scrubs it from
//! every error message we print.

pub mod admission;
mod callbacks;
pub mod commands;
pub mod flood_control;
pub mod gate;
mod intake;
pub mod keyboards;
pub mod pace;
mod send;
pub mod webhook;

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{
    ChatAction, ChatMemberKind, ChatMemberUpdated, MaybeInaccessibleMessage, Me,
};
use tokio::sync::watch;
use url::Url;

use crate::chats::ChatKind;
use crate::clock::Clock;
use crate::delivery::Sender;
use crate::delivery::render::{self, escape};
use crate::i18n::texts;
use crate::personal;
use crate::rules::RuleSet;
use crate::sources::demand::Verdict;
use crate::store::Store;
use crate::text::Lang;
use commands::{Access, Command, Incoming, Parsed, Reply};
use keyboards::Action;
use pace::Pacer;

pub use commands::COMMANDS;
pub use intake::{Updates, run};
use send::{clip, send_reply};
pub use send::{no_preview, notify_admins, pre_block};

/// The bot client as the rest of marketbot uses it.
pub type TgBot = Bot;

/// Replaces the token in `text` (error messages may contain request URLs).
pub fn redact(text: &str, token: &str) -> String {
    if token.is_empty() {
        text.to_string()
    } else {
        text.replace(token, "<token>")
    }
}

/// Builds the bot client for `api_url`.
pub fn bot(token: &str, api_url: Url) -> TgBot {
    Bot::new(token).set_api_url(api_url)
}

/// What the handlers need.
pub struct BotContext {
    /// Chats, personal alerts, prices, headlines, source health.
    pub store: Store,
    /// The rules in force (replaced on reload).
    pub rules: watch::Receiver<Arc<RuleSet>>,
    /// Time.
    pub clock: Clock,
    /// Names of the configured sources, in config order, for `/status`.
    pub sources: Vec<String>,
    /// User ids allowed to run admin commands.
    pub admins: Vec<i64>,
    /// Reloads the rules (`/reload`).
    pub reloader: Arc<crate::reload::Reloader>,
    /// Telegram's limits, shared with the outbox.
    pub pacer: Arc<Pacer>,
    /// The outbox worker, woken by `/broadcast`.
    pub sender: Sender,
    /// Limits on personal alerts.
    pub limits: personal::Limits,
    /// Tells the engine which chat's personal alerts changed.
    pub personal: crate::pipeline::PersonalSync,
    /// Symbols on demand (`None` without quote sources).
    pub demand: Option<Arc<crate::sources::demand::Demand>>,
    /// The pipeline's inbox, for prices fetched on demand.
    pub pipeline: tokio::sync::mpsc::Sender<crate::sources::Batch>,
    /// Who may use the bot, and how fast.
    pub gate: Arc<gate::Gate>,
    /// This instance's lease, for `/status`.
    pub leading: crate::leader::Leading,
}

type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

fn kind_of(chat: &teloxide::types::Chat) -> ChatKind {
    if chat.is_channel() {
        ChatKind::Channel
    } else if chat.is_supergroup() {
        ChatKind::Supergroup
    } else if chat.is_group() {
        ChatKind::Group
    } else {
        ChatKind::Private
    }
}

fn title_of(chat: &teloxide::types::Chat) -> String {
    chat.title()
        .map(str::to_string)
        .or_else(|| chat.username().map(|u| format!("@{u}")))
        .or_else(|| chat.first_name().map(str::to_string))
        .unwrap_or_default()
}

/// Whether `user` may change what `chat` receives: anyone in a private chat or a channel
/// (only its admins can post there), a group's admins (and its anonymous admins) in groups.
async fn may_change(
    bot: &TgBot,
    chat: &teloxide::types::Chat,
    user: Option<UserId>,
    sender_chat: Option<ChatId>,
) -> bool {
    // A command in a channel was posted by an admin; a button under a channel post can be
    // pressed by any subscriber (`user` set, no sender chat): that is checked like a group.
    let channel_post = chat.is_channel() && user.is_none();
    if chat.is_private() || channel_post || sender_chat == Some(chat.id) {
        return true;
    }
    let Some(user) = user else { return false };
    match bot.get_chat_member(chat.id, user).await {
        Ok(member) => member.is_privileged(),
        Err(e) => {
            tracing::warn!(chat = chat.id.0, error = %e, "cannot check a member's rights; refusing the change");
            false
        }
    }
}

/// Where a message came from and who sent it (`from`: its sender, or the user who pressed a
/// button under it).
fn incoming(msg: &Message, from: Option<&teloxide::types::User>) -> Incoming {
    Incoming {
        chat: msg.chat.id.0,
        kind: kind_of(&msg.chat),
        title: title_of(&msg.chat),
        user: from.map(|u| u.id.0 as i64),
        user_lang: from
            .and_then(|u| u.language_code.as_deref())
            .and_then(Lang::from_code),
        thread: msg
            .thread_id
            .filter(|_| msg.is_topic_message)
            .map(|t| t.0.0),
        message: Some(msg.id.0),
        edited: false,
    }
}

/// The language to answer `incoming` in (see [`commands::lang_of`]).
async fn lang_for(ctx: &BotContext, incoming: &Incoming) -> Result<Lang, tokio::task::JoinError> {
    let (store, id) = (ctx.store.clone(), incoming.chat);
    let chat = blocking(move || store.chat(id)).await?.ok().flatten();
    Ok(commands::lang_of(chat.as_ref(), incoming))
}

/// Runs blocking store work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    tokio::task::spawn_blocking(work).await
}

async fn on_message(bot: TgBot, msg: Message, me: Me, ctx: Arc<BotContext>) -> HandlerResult {
    crate::metrics::update("message");
    take_message(bot, msg, me, ctx, false).await
}

/// A message or channel post edited. A command fixed by editing its message is answered as
/// it now reads, as if sent anew, except where that would do twice what was done once: an
/// edited `/alert` changes the alert its message made (or makes it, when the message made
/// none), and an edited `/broadcast` is not sent again (the admin is told so). An edit that
/// is no command for this bot gets no answer, not even in a private chat (its first reading
/// was answered already).
async fn on_edited(bot: TgBot, msg: Message, me: Me, ctx: Arc<BotContext>) -> HandlerResult {
    crate::metrics::update("edited");
    take_message(bot, msg, me, ctx, true).await
}

/// A message (`edited`: an edit of one) taken in: a group's migration, or a command in its
/// text or a photo's caption.
async fn take_message(
    bot: TgBot,
    msg: Message,
    me: Me,
    ctx: Arc<BotContext>,
    edited: bool,
) -> HandlerResult {
    // Telegram tells of a group's upgrade in both chats, and handles the two chats' updates
    // side by side: the supergroup's own service message comes before its first command,
    // so the migration is done before the supergroup is answered, whichever comes first.
    let migration = match (msg.migrate_to_chat_id(), msg.migrate_from_chat_id()) {
        (Some(new_id), _) => Some((msg.chat.id.0, new_id.0)),
        (None, Some(old)) => Some((old.0, msg.chat.id.0)),
        (None, None) => None,
    };
    if let Some((old, new_id)) = migration {
        migrate(&ctx, old, new_id).await?;
        return Ok(());
    }
    // A command may also be a photo's (or a document's) caption: Telegram marks it as one
    // there too. Only plain text that is no command is answered with what the bot reads.
    let Some(text) = msg.text().or_else(|| msg.caption()) else {
        return Ok(());
    };
    let incoming = Incoming {
        edited,
        ..incoming(&msg, msg.from.as_ref())
    };
    let parsed = Command::parse(text, me.username());
    let private = msg.chat.is_private();
    let says_only_commands = private && !edited && msg.text().is_some();
    // A command we lack is answered where it is surely meant for us: in a private chat, or
    // written with our name (`/qoute@bot`); elsewhere it may be another bot's.
    let ours = |addressed: bool| private || addressed;
    match &parsed {
        Parsed::Command(cmd, _) => crate::metrics::command(cmd.name()),
        Parsed::Unknown { addressed, .. } if ours(*addressed) => crate::metrics::command("unknown"),
        Parsed::NotForUs if says_only_commands => {}
        // Most messages in a group are not for the bot: no gate, no store read.
        _ => return Ok(()),
    }
    // An edit counts at the time it was made.
    let sent = msg.edit_date().unwrap_or(&msg.date).timestamp();
    if !admission::admit(&bot, &ctx, &incoming, msg.from.as_ref(), sent, None).await? {
        return Ok(());
    }
    // The chat's language is looked up only for the answers given here (commands look it
    // up themselves).
    let texts_here = || async { lang_for(&ctx, &incoming).await.map(texts) };
    let reply_in = |reply| send_reply(&bot, &ctx.pacer, msg.chat.id, incoming.thread, reply, None);
    let (cmd, args) = match parsed {
        Parsed::Command(cmd, args) => (cmd, args),
        Parsed::Unknown { name, addressed } if ours(addressed) => {
            let t = texts_here().await?;
            return reply_in(Reply::Text(t.unknown_command(&escape(&name)))).await;
        }
        Parsed::NotForUs if says_only_commands => {
            let t = texts_here().await?;
            return reply_in(Reply::Text(t.only_commands.to_string())).await;
        }
        _ => return Ok(()),
    };
    match cmd.access(&args) {
        Access::Anyone => {}
        Access::GroupAdmins => {
            if !may_change(
                &bot,
                &msg.chat,
                msg.from.as_ref().map(|u| u.id),
                msg.sender_chat.as_ref().map(|c| c.id),
            )
            .await
            {
                tracing::info!(chat = incoming.chat, user = ?incoming.user, command = cmd.name(), "group change refused: not a group admin");
                let t = texts_here().await?;
                return reply_in(Reply::Text(t.admins_only_group.to_string())).await;
            }
        }
        Access::BotAdmins => {
            if !incoming.user.is_some_and(|u| ctx.admins.contains(&u)) {
                tracing::warn!(user = ?incoming.user, chat = incoming.chat, command = cmd.name(), "admin command refused: not an admin");
                let t = texts_here().await?;
                return reply_in(Reply::Text(t.admins_only_bot.to_string())).await;
            }
            tracing::info!(user = ?incoming.user, command = cmd.name(), "admin command");
        }
    }
    if let Some(demand) = &ctx.demand {
        // Symbols outside the config are asked about once; one not fetched on the schedule
        // is fetched now for a reply with its price. The provider is asked about all of them
        // at once, and the chat sees the bot at work while it answers.
        let now = ctx.clock.now();
        let mut named = commands::named_symbols(cmd, &args);
        named.sort_unstable();
        named.dedup();
        let asks: Vec<_> = named
            .into_iter()
            .filter_map(|symbol| match demand.verdict(&symbol, now) {
                Verdict::Unchecked => Some((symbol, false)),
                Verdict::Known
                    if matches!(cmd, Command::Quote | Command::Chart)
                        && !demand.is_fetched(&symbol, now) =>
                {
                    Some((symbol, true))
                }
                _ => None,
            })
            .collect();
        if !asks.is_empty() {
            let (chat, pipeline) = (incoming.chat, &ctx.pipeline);
            let work = futures::future::join_all(asks.iter().map(|(symbol, fetch)| async move {
                if *fetch {
                    demand.fetch_now(chat, symbol, now, pipeline).await;
                } else {
                    demand.check(chat, symbol, now, pipeline).await;
                }
            }));
            // A chart is on its way only for symbols known to the provider: one being asked
            // about may be unknown, answered in words.
            let action = match cmd {
                Command::Chart if asks.iter().all(|(_, fetch)| *fetch) => ChatAction::UploadPhoto,
                _ => ChatAction::Typing,
            };
            send::while_working(&bot, &ctx.pacer, msg.chat.id, incoming.thread, action, work).await;
        }
    }
    let (ctx2, incoming2) = (Arc::clone(&ctx), incoming.clone());
    let reply = match blocking(move || commands::answer(&ctx2, &incoming2, cmd, &args)).await? {
        Ok(reply) => reply,
        Err(e) => {
            tracing::error!(error = %e, command = cmd.name(), "command failed on storage");
            // The store failed: answer in the sender's language without asking it again.
            Reply::Text(
                texts(incoming.user_lang.unwrap_or_default())
                    .sorry
                    .to_string(),
            )
        }
    };
    reply_in(reply).await
}

/// Moves group `old` to the supergroup `new_id` it became (see `Store::migrate_chat`: a
/// migration reported again changes nothing).
async fn migrate(
    ctx: &Arc<BotContext>,
    old: i64,
    new_id: i64,
) -> Result<(), tokio::task::JoinError> {
    tracing::info!(
        old,
        new_id,
        "group became a supergroup; moving its subscriptions"
    );
    let ctx2 = Arc::clone(ctx);
    let now = ctx.clock.now();
    let tell = move |chat: &crate::chats::Chat,
                     lifted: &[crate::chats::Mute],
                     renumbered: &[crate::store::Renumbered]| {
        crate::delivery::migration_notice(chat, lifted, renumbered, now)
    };
    match blocking(move || ctx2.store.migrate_chat(old, new_id, now, tell)).await? {
        Ok(migration) => {
            if migration.personal_moved {
                ctx.personal.chat_changed(old);
                ctx.personal.chat_changed(new_id);
            }
            if !migration.mutes_lifted.is_empty() || !migration.renumbered.is_empty() {
                // The supergroup is told which mutes gave way and which alerts took new
                // numbers: messages queued with them.
                ctx.sender.wake();
            }
            if let Some(d) = &ctx.demand {
                for chat in [old, new_id] {
                    if let Err(e) = d.sync_chat(chat) {
                        tracing::warn!(chat, error = %e, "cannot update the symbols on demand");
                    }
                }
            }
        }
        Err(e) => tracing::error!(error = %e, "cannot migrate chat"),
    }
    Ok(())
}

async fn on_callback(bot: TgBot, q: CallbackQuery, ctx: Arc<BotContext>) -> HandlerResult {
    crate::metrics::update("callback");
    let (Some(message), Some(action)) = (
        q.message.as_ref(),
        q.data.as_deref().and_then(Action::parse),
    ) else {
        bot.answer_callback_query(q.id.clone()).await?;
        return Ok(());
    };
    match action {
        Action::Admit(chat) => return admission::decide(&bot, &ctx, &q, chat, true).await,
        Action::Refuse(chat) => return admission::decide(&bot, &ctx, &q, chat, false).await,
        _ => {}
    }
    let chat = message.chat().clone();
    let message_id = message.id();
    let at = match message {
        // The message under which a button was pressed is the bot's, not a command.
        MaybeInaccessibleMessage::Regular(m) => Incoming {
            message: None,
            ..incoming(m, Some(&q.from))
        },
        MaybeInaccessibleMessage::Inaccessible(_) => Incoming {
            chat: chat.id.0,
            kind: kind_of(&chat),
            title: title_of(&chat),
            user: Some(q.from.id.0 as i64),
            user_lang: q.from.language_code.as_deref().and_then(Lang::from_code),
            thread: None,
            message: None,
            edited: false,
        },
    };
    // A press carries no date of its own: it is counted as pressed now, by the clock that
    // dates the chat's commands it is counted with (Telegram's, not the bot's).
    let pressed_at = crate::clock::telegram_now().timestamp();
    if !admission::admit(&bot, &ctx, &at, Some(&q.from), pressed_at, Some(&q)).await? {
        return Ok(());
    }
    if callbacks::needs_admin(&action, chat.is_channel())
        && !may_change(&bot, &chat, Some(q.from.id), None).await
    {
        let lang = lang_for(&ctx, &at).await?;
        tracing::info!(chat = chat.id.0, user = q.from.id.0, action = %action.data(), "button refused: not an admin of the chat");
        bot.answer_callback_query(q.id.clone())
            .text(texts(lang).admins_only_group)
            .show_alert(true)
            .await?;
        return Ok(());
    }
    let chat_id = at.chat;
    let user_lang = at.user_lang;
    let (ctx2, pressed) = (Arc::clone(&ctx), action.clone());
    let now = ctx.clock.now();
    let outcome = match blocking(move || callbacks::press(&ctx2, &at, &pressed, now)).await? {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "button press failed on storage");
            callbacks::Outcome {
                notice: Some(texts(user_lang.unwrap_or_default()).sorry.to_string()),
                ..Default::default()
            }
        }
    };
    tracing::info!(chat = chat_id, user = q.from.id.0, action = %action.data(), "button pressed");
    let mut answer = bot.answer_callback_query(q.id.clone());
    let mut reply = outcome.reply;
    if chat.is_channel()
        && let Some(html) = reply.take()
    {
        // Subscribers of a channel cannot be answered in it without posting to everyone:
        // the evidence comes as the app's alert box instead (shortened to its 200 characters).
        answer = answer
            .show_alert(true)
            .text(clip(&render::plain_text(&html), 200));
    } else if let Some(notice) = outcome.notice {
        answer = answer.text(clip(&notice, 200));
    }
    answer.await?;
    if let Some(keyboard) = outcome.keyboard
        && let MaybeInaccessibleMessage::Regular(_) = message
    {
        let edited = send::paced(&ctx.pacer, chat.id.0, || {
            bot.edit_message_reply_markup(chat.id, message_id)
                .reply_markup(keyboard.clone())
                .send()
        })
        .await;
        if let Err(e) = edited {
            tracing::debug!(error = %e, "cannot update the rules keyboard");
        }
    }
    if let Some((html, keyboard)) = outcome.page
        && let MaybeInaccessibleMessage::Regular(_) = message
    {
        let turned = send::paced(&ctx.pacer, chat.id.0, || {
            let mut edit = bot
                .edit_message_text(chat.id, message_id, html.clone())
                .parse_mode(teloxide::types::ParseMode::Html)
                .link_preview_options(send::no_preview());
            if let Some(keyboard) = &keyboard {
                edit = edit.reply_markup(keyboard.clone());
            }
            edit.send()
        })
        .await;
        if let Err(e) = turned {
            tracing::debug!(error = %e, "cannot turn the history's page");
        }
    }
    if let Some(html) = reply {
        let thread = message
            .regular_message()
            .and_then(|m| m.thread_id.filter(|_| m.is_topic_message))
            .map(|t| t.0.0);
        send_reply(
            &bot,
            &ctx.pacer,
            chat.id,
            thread,
            Reply::Text(html),
            Some(message_id),
        )
        .await?;
        if let Some(alert) = outcome.explains {
            let store = ctx.store.clone();
            if let Err(e) = blocking(move || store.record_explained(alert, chat_id)).await? {
                tracing::warn!(error = %e, chat = chat_id, "cannot record the evidence posted");
            }
        }
    }
    Ok(())
}

/// The bot's membership of a chat changed. Removed from it (or blocked by its user), or kept
/// in a group but without the right to send messages: the chat is deactivated, and what waits
/// for it dropped. That right given back: a chat deactivated for the want of it is turned on
/// again (one that removed the bot is turned on by `/start`, as it asked for nothing).
async fn on_membership(update: ChatMemberUpdated, ctx: Arc<BotContext>) -> HandlerResult {
    crate::metrics::update("member");
    let member = &update.new_chat_member.kind;
    let may_not_post = matches!(
        member,
        ChatMemberKind::Restricted(r) if r.is_member && !r.can_send_messages
    );
    let chat = update.chat.id.0;
    let store = ctx.store.clone();
    let changed = if !member.is_present() || may_not_post {
        tracing::info!(
            chat,
            restricted = may_not_post,
            "the bot was removed, blocked or may not send messages; deactivating the chat"
        );
        let reason = if may_not_post {
            crate::chats::MAY_NOT_POST
        } else {
            "removed the bot"
        };
        blocking(move || {
            store.update_chat(chat, |c| c.deactivate(reason))?;
            store.drop_deliveries_to(chat).map(|_| true)
        })
        .await?
    } else {
        blocking(move || {
            let Some(record) = store.chat(chat)? else {
                return Ok(false);
            };
            if !record.off_while_restricted() {
                return Ok(false);
            }
            tracing::info!(
                chat,
                "the bot may send messages again; the chat's alerts are on"
            );
            store
                .update_chat(chat, |c| {
                    if c.off_while_restricted() {
                        c.active = true;
                        c.deactivated = None;
                    }
                })
                .map(|_| true)
        })
        .await?
    };
    match changed {
        Ok(true) => {
            if let Some(d) = &ctx.demand
                && let Err(e) = d.sync_chat(chat)
            {
                tracing::warn!(chat, error = %e, "cannot update the symbols on demand");
            }
        }
        Ok(false) => {}
        Err(e) => tracing::error!(error = %e, chat, "cannot change the chat's standing"),
    }
    Ok(())
}
