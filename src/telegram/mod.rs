//! The Telegram side: the bot client, and the commands subscribers type.
//!
//! Long polling through teloxide's dispatcher; sending goes through the `Throttle` adaptor so
//! replies and alerts share Telegram's rate limits. The bot token never reaches a log line:
//! [`redact`] scrubs it from every error message we print.

mod commands;

use std::sync::Arc;
use std::time::Duration;

use teloxide::adaptors::Throttle;
use teloxide::adaptors::throttle::Limits;
use teloxide::dispatching::{Dispatcher, UpdateFilterExt};
use teloxide::error_handlers::ErrorHandler;
use teloxide::prelude::*;
use teloxide::update_listeners::Polling;
use teloxide::utils::command::BotCommands;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use url::Url;

pub use commands::Command;

use crate::clock::Clock;
use crate::rules::RuleSet;
use crate::store::Store;

/// The bot as the rest of marketbot uses it: rate-limited.
pub type TgBot = Throttle<Bot>;

/// Replaces the token in `text` (error messages may contain request URLs).
pub fn redact(text: &str, token: &str) -> String {
    if token.is_empty() {
        text.to_string()
    } else {
        text.replace(token, "<token>")
    }
}

/// Builds the bot client for `api_url`. Must run inside a tokio runtime (the throttle worker
/// is a task).
pub fn bot(token: &str, api_url: Url) -> TgBot {
    // Rejections (429) come back to us instead of being retried inside the adaptor: the
    // outbox decides, and persists, when to try again.
    let settings = teloxide::adaptors::throttle::Settings::default()
        .limits(Limits::default())
        .no_retry();
    Throttle::spawn_with_settings(Bot::new(token).set_api_url(api_url), settings)
}

/// What the command handlers need.
pub struct BotContext {
    /// Chats and source health.
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
}

/// Sends `text` to every admin (best effort: failures are logged).
pub fn notify_admins(bot: &TgBot, admins: &[i64], text: &str) {
    let html = format!(
        "<pre>{}</pre>",
        crate::delivery::render::escape(&text.chars().take(3500).collect::<String>())
    );
    for &admin in admins {
        let (bot, html) = (bot.clone(), html.clone());
        tokio::spawn(async move {
            if let Err(e) = bot
                .send_message(ChatId(admin), html)
                .parse_mode(teloxide::types::ParseMode::Html)
                .await
            {
                tracing::warn!(admin, error = %e, "cannot notify an admin");
            }
        });
    }
}

/// Registers the command menu and answers updates until `shutdown`.
pub async fn run(
    bot: TgBot,
    token: String,
    poll_timeout: Duration,
    ctx: Arc<BotContext>,
    shutdown: CancellationToken,
) {
    if let Err(e) = bot.set_my_commands(Command::bot_commands()).await {
        tracing::warn!(error = %redact(&e.to_string(), &token), "cannot register the command menu");
    }
    let handler = Update::filter_message()
        .branch(
            dptree::entry()
                .filter_command::<Command>()
                .endpoint(commands::on_command),
        )
        .branch(dptree::endpoint(commands::on_other_message));
    let mut dispatcher = Dispatcher::builder(bot.clone(), handler)
        .dependencies(dptree::deps![ctx])
        .default_handler(|_| async {})
        .error_handler(Arc::new(Redacting {
            token: token.clone(),
        }))
        .build();
    let stop = dispatcher.shutdown_token();
    let listener = Polling::builder(bot).timeout(poll_timeout).build();
    let listener_errors = Arc::new(Redacting { token });
    let dispatching = dispatcher.dispatch_with_listener(listener, listener_errors);
    tokio::pin!(dispatching);
    tokio::select! {
        _ = &mut dispatching => return,
        _ = shutdown.cancelled() => {}
    }
    // Ask the dispatcher to finish the update in hand. A long poll in flight may take up to
    // `poll_timeout`; past a short grace it is dropped, which loses nothing: updates not yet
    // confirmed are delivered again on the next start.
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
        tracing::debug!("long poll still in flight at shutdown; dropped");
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
