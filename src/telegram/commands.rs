//! The commands subscribers type: `/start`, `/stop`, `/help`, `/rules`, `/subscribe`,
//! `/unsubscribe`, `/status`.

use std::fmt::Write;
use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::ParseMode;
use teloxide::utils::command::BotCommands;

use super::{BotContext, TgBot};
use crate::delivery::render::escape;
use crate::store::{Chat, ChatKind, StoreError};

/// The bot's commands (also registered as its command menu).
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(
    rename_rule = "lowercase",
    description = "marketbot sends one alert when market news meets a price move."
)]
pub enum Command {
    /// Subscribe this chat to the default rules.
    Start,
    /// Stop all alerts to this chat.
    Stop,
    /// What this bot does and how to use it.
    Help,
    /// The rules, their ids, and which this chat follows.
    Rules,
    /// Follow a rule: /subscribe RULE_ID
    Subscribe(String),
    /// Stop following a rule: /unsubscribe RULE_ID
    Unsubscribe(String),
    /// Health of the quote and news sources.
    Status,
    /// Reload the rules now (admins only).
    #[command(hide)]
    Reload,
}

type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

async fn reply(bot: &TgBot, msg: &Message, html: String) -> HandlerResult {
    bot.send_message(msg.chat.id, html)
        .parse_mode(ParseMode::Html)
        .await?;
    Ok(())
}

fn kind_of(msg: &Message) -> ChatKind {
    if msg.chat.is_channel() {
        ChatKind::Channel
    } else if msg.chat.is_supergroup() {
        ChatKind::Supergroup
    } else if msg.chat.is_group() {
        ChatKind::Group
    } else {
        ChatKind::Private
    }
}

fn title_of(msg: &Message) -> String {
    msg.chat
        .title()
        .map(str::to_string)
        .or_else(|| msg.chat.username().map(|u| format!("@{u}")))
        .or_else(|| msg.chat.first_name().map(str::to_string))
        .unwrap_or_default()
}

/// Answers a command.
pub async fn on_command(
    bot: TgBot,
    msg: Message,
    cmd: Command,
    ctx: Arc<BotContext>,
) -> HandlerResult {
    if cmd == Command::Reload {
        return reload(&bot, &msg, &ctx).await;
    }
    let text = match answer(&msg, cmd, &ctx) {
        Ok(text) => text,
        Err(e) => {
            tracing::error!(error = %e, "command failed on storage");
            "Sorry, something went wrong on my side. Please try again in a minute.".to_string()
        }
    };
    reply(&bot, &msg, text).await
}

/// `/reload`: admins only; anyone else is refused and the attempt logged.
async fn reload(bot: &TgBot, msg: &Message, ctx: &BotContext) -> HandlerResult {
    let user = msg.from.as_ref().map(|u| u.id.0 as i64);
    if !user.is_some_and(|u| ctx.admins.contains(&u)) {
        tracing::warn!(user = ?user, chat = msg.chat.id.0, "admin command refused: not an admin");
        return reply(bot, msg, "Only the bot's admins can do that.".to_string()).await;
    }
    let reloader = Arc::clone(&ctx.reloader);
    let report = tokio::task::spawn_blocking(move || reloader.reload()).await?;
    if report.problems.is_empty() {
        tracing::info!("{}", report.summary());
    } else {
        tracing::error!("{}", report.summary());
    }
    let text: String = report.summary().chars().take(3500).collect();
    reply(bot, msg, format!("<pre>{}</pre>", escape(&text))).await
}

/// Answers plain messages in private chats with a pointer to /help; ignores them in groups.
pub async fn on_other_message(bot: TgBot, msg: Message) -> HandlerResult {
    if msg.chat.is_private() && msg.text().is_some() {
        reply(
            &bot,
            &msg,
            "I only understand commands. Try /help.".to_string(),
        )
        .await?;
    }
    Ok(())
}

fn answer(msg: &Message, cmd: Command, ctx: &BotContext) -> Result<String, StoreError> {
    let rules = ctx.rules.borrow().clone();
    let chat_id = msg.chat.id.0;
    let now = ctx.clock.now();
    Ok(match cmd {
        Command::Start => {
            let defaults: Vec<&crate::rules::Rule> =
                rules.rules().iter().filter(|r| r.default).collect();
            let mut chat = ctx
                .store
                .chat(chat_id)?
                .unwrap_or_else(|| Chat::new(chat_id, kind_of(msg), title_of(msg), now));
            chat.active = true;
            chat.deactivated = None;
            chat.rules.extend(defaults.iter().map(|r| r.id.clone()));
            ctx.store.put_chat(&chat)?;
            let mut out = String::from(
                "👋 <b>Subscribed.</b> You will get one message when market news meets a price move, with the evidence for why it fired.\n",
            );
            if chat.rules.is_empty() {
                out.push_str("\nThere are no default rules yet: see /rules and /subscribe.");
            } else {
                out.push_str("\nThis chat follows:\n");
                for id in &chat.rules {
                    if let Some(r) = rules.get(id) {
                        let _ =
                            writeln!(out, "• {} (<code>{}</code>)", escape(&r.title), escape(id));
                    }
                }
                out.push_str("\n/rules lists all rules, /stop pauses alerts.");
            }
            out
        }
        Command::Stop => match ctx.store.update_chat(chat_id, |c| c.active = false)? {
            Some(_) => {
                "🔕 Alerts stopped. Your subscriptions are kept: /start resumes them.".to_string()
            }
            None => "This chat was not subscribed. /start subscribes it.".to_string(),
        },
        Command::Help => {
            let mut out = String::from(
                "<b>marketbot</b> watches quotes and news headlines. When a rule's text pattern meets its price condition (say, a big NVIDIA customer looks for other chips and NVDA falls), the chats following that rule get one alert saying what happened and why.\n\n",
            );
            out.push_str(&escape(&Command::descriptions().to_string()));
            out
        }
        Command::Rules => {
            let chat = ctx.store.chat(chat_id)?;
            let mut out = String::from("<b>Rules</b>\n");
            if rules.rules().is_empty() {
                out.push_str("No rules are loaded.");
            }
            for r in rules.rules() {
                let on = chat.as_ref().is_some_and(|c| c.rules.contains(&r.id));
                let _ = writeln!(
                    out,
                    "{} <code>{}</code> — {}{}",
                    if on { "✅" } else { "▫️" },
                    escape(&r.id),
                    escape(&r.title),
                    if r.default { " (default)" } else { "" }
                );
            }
            out.push_str("\n/subscribe RULE_ID · /unsubscribe RULE_ID");
            out
        }
        Command::Subscribe(id) | Command::Unsubscribe(id) if id.trim().is_empty() => {
            let example = rules
                .rules()
                .first()
                .map_or("nvda-customer-seeks-alternatives".to_string(), |r| {
                    r.id.clone()
                });
            format!(
                "Which rule? Give its id, for example:\n<code>/subscribe {}</code>\n/rules lists them.",
                escape(&example)
            )
        }
        Command::Subscribe(id) => {
            let id = id.trim().to_ascii_lowercase();
            match rules.get(&id) {
                None => unknown_rule(&id, &rules),
                Some(rule) => {
                    let mut chat = ctx
                        .store
                        .chat(chat_id)?
                        .unwrap_or_else(|| Chat::new(chat_id, kind_of(msg), title_of(msg), now));
                    chat.active = true;
                    chat.deactivated = None;
                    chat.rules.insert(rule.id.clone());
                    ctx.store.put_chat(&chat)?;
                    format!(
                        "✅ Following <code>{}</code> — {}",
                        escape(&rule.id),
                        escape(&rule.title)
                    )
                }
            }
        }
        Command::Unsubscribe(id) => {
            let id = id.trim().to_ascii_lowercase();
            let followed = ctx
                .store
                .chat(chat_id)?
                .is_some_and(|c| c.rules.contains(&id));
            if followed {
                ctx.store.update_chat(chat_id, |c| {
                    c.rules.remove(&id);
                })?;
                format!("▫️ No longer following <code>{}</code>.", escape(&id))
            } else {
                format!(
                    "This chat does not follow <code>{}</code>. /rules shows what it follows.",
                    escape(&id)
                )
            }
        }
        Command::Status => status(ctx, &rules)?,
        // Answered by `reload` before it gets here.
        Command::Reload => String::new(),
    })
}

fn unknown_rule(id: &str, rules: &crate::rules::RuleSet) -> String {
    let ids: Vec<String> = rules.rules().iter().map(|r| r.id.clone()).collect();
    match crate::problem::closest(id, &ids) {
        Some(c) => format!(
            "There is no rule <code>{}</code>. Did you mean <code>/subscribe {}</code>?",
            escape(id),
            escape(c)
        ),
        None => format!(
            "There is no rule <code>{}</code>. /rules lists them.",
            escape(id)
        ),
    }
}

fn status(ctx: &BotContext, rules: &crate::rules::RuleSet) -> Result<String, StoreError> {
    let mut out = String::from("<b>Sources</b>\n");
    let health: std::collections::HashMap<String, crate::store::SourceHealth> =
        ctx.store.sources_health()?.into_iter().collect();
    for name in &ctx.sources {
        match health.get(name) {
            None => {
                let _ = writeln!(out, "⏳ {} — not fetched yet", escape(name));
            }
            Some(h) => {
                let ok = h.consecutive_failures == 0;
                let last = h.last_success.map_or("never".to_string(), |t| {
                    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
                });
                let _ = write!(
                    out,
                    "{} {} ({}) — last fetch {}; {} ok, {} failed",
                    if ok { "✅" } else { "⚠️" },
                    escape(name),
                    h.kind,
                    last,
                    h.successes,
                    h.failures
                );
                if !h.errors_by_kind.is_empty() {
                    let kinds: Vec<String> = h
                        .errors_by_kind
                        .iter()
                        .map(|(k, n)| format!("{k} ×{n}"))
                        .collect();
                    let _ = write!(out, " ({})", kinds.join(", "));
                }
                out.push('\n');
                if let (Some(err), false) = (&h.last_error, ok) {
                    let at = h
                        .last_error_at
                        .map(|t| t.format("%H:%M:%S UTC").to_string())
                        .unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "    last error {at}: {}",
                        escape(&err.chars().take(200).collect::<String>())
                    );
                }
            }
        }
    }
    let _ = write!(
        out,
        "\n<b>Rules</b> {} loaded · <b>Outbox</b> {} waiting",
        rules.rules().len(),
        ctx.store.outbox_len()
    );
    Ok(out)
}
