//! How the bot takes updates in: it waits for Telegram to answer, registers its command menu,
//! and feeds the dispatcher by long polling or, in webhook mode, from the HTTP listener
//! ([`super::webhook`]) until shutdown; and the minute's upkeep beside it.

use std::sync::Arc;
use std::time::Duration;

use teloxide::dispatching::{Dispatcher, UpdateFilterExt};
use teloxide::error_handlers::ErrorHandler;
use teloxide::prelude::*;
use teloxide::types::BotCommand;
use teloxide::update_listeners::Polling;
use tokio_util::sync::CancellationToken;

use super::commands::{Access, COMMANDS};
use super::{
    BotContext, TgBot, gate, on_callback, on_edited, on_membership, on_message, redact, webhook,
};
use crate::config::WebhookConfig;
use crate::i18n::texts;
use crate::store::Store;
use crate::text::Lang;

/// Registers the command menu in English and German.
async fn register_commands(bot: &TgBot, token: &str) {
    for lang in [Lang::En, Lang::De] {
        let t = texts(lang);
        let commands: Vec<BotCommand> = COMMANDS
            .iter()
            .filter(|(_, _, access)| *access != Access::BotAdmins)
            .map(|(name, _, _)| BotCommand::new(*name, t.command_help(name)))
            .collect();
        let mut request = bot.set_my_commands(commands);
        if lang != Lang::En {
            request = request.language_code(lang.code());
        }
        if let Err(e) = request.await {
            tracing::warn!(error = %redact(&e.to_string(), token), lang = lang.code(), "cannot register the command menu");
        }
    }
}

/// How updates reach the bot.
pub enum Updates {
    /// Long polling with this timeout.
    Polling(Duration),
    /// Posted by Telegram to `url` (served by the HTTP listener), with `secret`.
    /// Posted by Telegram to the HTTP listener; the updates it takes in.
    Webhook(webhook::Receiving),
}

/// Waits until `ask` succeeds (retrying with backoff up to a minute) or `shutdown`; the
/// answer, or `None` on shutdown.
async fn until_telegram_answers<T, E: std::fmt::Display, F: Future<Output = Result<T, E>>>(
    token: &str,
    what: &str,
    shutdown: &CancellationToken,
    mut ask: impl FnMut() -> F,
) -> Option<T> {
    let mut wait = Duration::from_secs(1);
    loop {
        let asked = tokio::select! {
            answer = ask() => answer,
            _ = shutdown.cancelled() => return None,
        };
        match asked {
            Ok(answer) => return Some(answer),
            Err(e) => {
                tracing::warn!(error = %redact(&e.to_string(), token), retry_in = ?wait, "Telegram did not answer {what}; trying again");
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.cancelled() => return None,
                }
                wait = (wait * 2).min(Duration::from_secs(60));
            }
        }
    }
}

/// The update kinds the handlers below answer (told to Telegram in webhook mode; the
/// dispatcher works them out itself when polling).
const ALLOWED_UPDATES: [teloxide::types::AllowedUpdate; 6] = [
    teloxide::types::AllowedUpdate::Message,
    teloxide::types::AllowedUpdate::EditedMessage,
    teloxide::types::AllowedUpdate::ChannelPost,
    teloxide::types::AllowedUpdate::EditedChannelPost,
    teloxide::types::AllowedUpdate::CallbackQuery,
    teloxide::types::AllowedUpdate::MyChatMember,
];

/// Registers the command menu and answers updates until `shutdown`.
pub async fn run(
    bot: TgBot,
    token: String,
    updates: Updates,
    ctx: Arc<BotContext>,
    health: crate::health::Health,
    shutdown: CancellationToken,
) {
    tokio::spawn(upkeep(
        bot.clone(),
        Arc::clone(&ctx.gate),
        ctx.store.clone(),
        health,
        shutdown.clone(),
    ));
    // The dispatcher asks who the bot is before it starts, and gives up for good (a panic in
    // its task) when Telegram cannot be reached: wait for an answer here first, so a bot
    // started during an outage starts when it ends.
    let me = until_telegram_answers(&token, "who the bot is", &shutdown, || {
        bot.get_me().into_future()
    });
    if me.await.is_none() {
        return;
    }
    register_commands(&bot, &token).await;
    let handler = dptree::entry()
        .branch(Update::filter_message().endpoint(on_message))
        .branch(Update::filter_channel_post().endpoint(on_message))
        .branch(Update::filter_edited_message().endpoint(on_edited))
        .branch(Update::filter_edited_channel_post().endpoint(on_edited))
        .branch(Update::filter_callback_query().endpoint(on_callback))
        .branch(Update::filter_my_chat_member().endpoint(on_membership));
    let mut dispatcher = Dispatcher::builder(bot.clone(), handler)
        .dependencies(dptree::deps![ctx])
        .default_handler(|_| async { crate::metrics::update("other") })
        .error_handler(Arc::new(Redacting {
            token: token.clone(),
        }))
        .build();
    let stop = dispatcher.shutdown_token();
    let listener_errors = Arc::new(Redacting {
        token: token.clone(),
    });
    let dispatching: std::pin::Pin<Box<dyn Future<Output = ()> + Send>> = match updates {
        Updates::Polling(timeout) => {
            // A webhook left set (by an earlier run in webhook mode) blocks polling: drop it,
            // and make sure it is gone (getUpdates fails for as long as it is set).
            let info = || bot.get_webhook_info().into_future();
            let Some(info) =
                until_telegram_answers(&token, "the webhook info", &shutdown, info).await
            else {
                return;
            };
            if let Some(url) = info.url {
                tracing::warn!(url = %url, "a webhook was set; deleting it to poll");
                let delete = || bot.delete_webhook().into_future();
                let deleted =
                    until_telegram_answers(&token, "deleting the webhook", &shutdown, delete);
                if deleted.await.is_none() {
                    return;
                }
            }
            let listener = Polling::builder(bot).timeout(timeout).build();
            Box::pin(async move {
                dispatcher
                    .dispatch_with_listener(listener, listener_errors)
                    .await
            })
        }
        Updates::Webhook(receiving) => {
            let WebhookConfig { url, secret } = receiving.config.clone();
            let set = || {
                // One delivery at a time: updates arrive in order, as when polling.
                bot.set_webhook(url.clone())
                    .secret_token(secret.clone())
                    .allowed_updates(ALLOWED_UPDATES)
                    .max_connections(1)
                    .into_future()
            };
            if until_telegram_answers(&token, "setting the webhook", &shutdown, set)
                .await
                .is_none()
            {
                return;
            }
            tracing::info!(url = %url, "updates arrive by webhook");
            tokio::spawn(receiving.relay(shutdown.clone()));
            let listener = receiving.into_listener();
            Box::pin(async move {
                dispatcher
                    .dispatch_with_listener(listener, listener_errors)
                    .await
            })
        }
    };
    let mut dispatching = dispatching;
    tokio::select! {
        _ = &mut dispatching => return,
        _ = shutdown.cancelled() => {}
    }
    // Ask the dispatcher to finish the updates in hand. A long poll in flight may take up to
    // the poll timeout; past a short grace it is dropped, which loses nothing: updates not
    // yet confirmed are delivered again on the next start. In webhook mode the updates queued
    // are handed over first (new ones get 503, and Telegram delivers them again); one not
    // taken by then is answered 503 too, and forgotten.
    let graceful = async {
        while stop.shutdown().is_err() {
            // Not dispatching yet (still starting): try again shortly.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        (&mut dispatching).await;
    };
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful)
        .await
        .is_err()
    {
        tracing::debug!("updates still in flight at shutdown; dropped");
    }
}

/// How often Telegram's reachability is checked and the flood limiter tidied.
const UPKEEP_EVERY: Duration = Duration::from_secs(60);

/// How long an update taken in by webhook is remembered (Telegram gives up redelivering
/// long before).
const REMEMBER_UPDATES: i64 = 24 * 3600;

/// Until `shutdown`: asks Telegram who the bot is (readiness: reachable or not), forgets the
/// pace of chats gone quiet and the webhook updates of yesterday, every [`UPKEEP_EVERY`].
async fn upkeep(
    bot: TgBot,
    gate: Arc<gate::Gate>,
    store: Store,
    health: crate::health::Health,
    shutdown: CancellationToken,
) {
    use crate::health::Telegram;
    loop {
        let before = crate::clock::telegram_now().timestamp() - REMEMBER_UPDATES;
        let store = store.clone();
        match tokio::task::spawn_blocking(move || store.forget_updates_before(before)).await {
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot forget old webhook updates"),
            Err(e) => tracing::warn!(error = %e, "forgetting old webhook updates failed"),
            Ok(Ok(_)) => {}
        }
        let reachable = tokio::select! {
            me = bot.get_me() => me.is_ok(),
            _ = shutdown.cancelled() => return,
        };
        health.set_telegram(if reachable {
            Telegram::Reachable
        } else {
            Telegram::Unreachable
        });
        gate.tidy(crate::clock::telegram_now().timestamp());
        tokio::select! {
            _ = tokio::time::sleep(UPKEEP_EVERY) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

/// How long a stopping dispatcher may take to finish its current update.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Logs handler and polling errors without the token.
struct Redacting {
    token: String,
}

impl<E: std::fmt::Display + Send + 'static> ErrorHandler<E> for Redacting {
    fn handle_error(self: Arc<Self>, error: E) -> futures::future::BoxFuture<'static, ()> {
        let text = redact(&error.to_string(), &self.token);
        Box::pin(async move { tracing::warn!(error = %text, "telegram") })
    }
}
