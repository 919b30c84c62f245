//! Button presses: "why?", "mute rule 1d", "mute NVDA 1d" and "unsubscribe" under alerts, and
//! the rule toggles under `/rules`.
//!
//! Like commands, deciding what a press does is synchronous store work; the caller answers the
//! callback query, sends the evidence or edits the keyboard.

use chrono::{DateTime, TimeDelta, Utc};
use teloxide::types::InlineKeyboardMarkup;

use super::BotContext;
use super::commands::{Incoming, locale};
use super::keyboards::{Action, rule_toggles};
use crate::chats::{ChatKind, MAX_MUTES, MuteTarget};
use crate::delivery::render::{self, escape};
use crate::engine::AlertId;
use crate::i18n::texts;
use crate::personal;
use crate::store::StoreError;

/// How long the mute buttons (and `/mute` without a duration) silence.
pub const MUTE_FOR: TimeDelta = TimeDelta::days(1);

/// What to do after a press.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Short text shown by the app (the callback answer; plain text, 200 characters).
    pub notice: Option<String>,
    /// A message to post in the chat, as a reply to the pressed message (HTML).
    pub reply: Option<String>,
    /// A new keyboard for the pressed message.
    pub keyboard: Option<InlineKeyboardMarkup>,
    /// A new text (HTML) and keyboard for the pressed message (paging).
    pub page: Option<(String, Option<InlineKeyboardMarkup>)>,
    /// The alert whose evidence the reply is, to be recorded once it is posted in a group.
    pub explains: Option<AlertId>,
}

/// Whether everyone in a chat of `kind` sees what the bot posts there: a group's members all
/// see an alert's evidence, which is posted there once.
fn shared(kind: ChatKind) -> bool {
    matches!(kind, ChatKind::Group | ChatKind::Supergroup)
}

/// Whether the action changes what the chat receives (group admins only).
pub fn changes_subscriptions(action: &Action) -> bool {
    !matches!(
        action,
        Action::Why(_) | Action::Admit(_) | Action::Refuse(_) | Action::History { .. }
    )
}

/// Whether only the chat's admins may press it: what changes what the chat receives, and in
/// a channel also what changes a post every subscriber sees (turning a page of `/history`).
pub fn needs_admin(action: &Action, channel: bool) -> bool {
    changes_subscriptions(action) || channel && matches!(action, Action::History { .. })
}

/// The id the rule `id` has now: its own, or the one it was renamed to (`formerly`).
fn current_id(ctx: &BotContext, id: &str) -> String {
    ctx.rules
        .borrow()
        .current(id)
        .map_or_else(|| id.to_string(), |r| r.id.clone())
}

/// Carries out a button press (`at` says where and by whom) at `now`.
pub fn press(
    ctx: &BotContext,
    at: &Incoming,
    action: &Action,
    now: DateTime<Utc>,
) -> Result<Outcome, StoreError> {
    let chat_id = at.chat;
    let chat = ctx.store.chat(chat_id)?;
    let locale = locale(chat.as_ref(), at);
    let t = texts(locale.lang);
    // Only alerts this chat received: callback data can be forged by a modified client, and
    // another chat's alert (a personal one above all) is none of this chat's business.
    let alert_of = |id| -> Result<Option<crate::engine::Alert>, StoreError> {
        if !ctx.store.was_sent(id, chat_id)? {
            return Ok(None);
        }
        ctx.store.alert(id)
    };
    let gone = || Outcome {
        notice: Some(t.alert_gone.to_string()),
        ..Outcome::default()
    };
    Ok(match action {
        Action::Why(id) => match alert_of(*id)? {
            // Once per group: every member saw it posted. (A chat's presses are handled one
            // after another, so a second tap finds the first one's post recorded.)
            Some(_) if shared(at.kind) && ctx.store.explained(*id, chat_id)? => Outcome {
                notice: Some(t.evidence_above().to_string()),
                ..Outcome::default()
            },
            Some(alert) => Outcome {
                reply: Some(render::why_html(&alert, &locale)),
                explains: shared(at.kind).then_some(*id),
                ..Outcome::default()
            },
            None => gone(),
        },
        Action::MuteRule(id) | Action::MuteSymbol(id) => {
            let Some(alert) = alert_of(*id)? else {
                return Ok(gone());
            };
            let (what, name) = match (action, &alert.symbol) {
                (Action::MuteSymbol(_), Some(symbol)) => {
                    (MuteTarget::Symbol(symbol.clone()), symbol.clone())
                }
                _ => {
                    // An alert fired before its rule was renamed: the rule under its id now.
                    let rule = current_id(ctx, &alert.rule);
                    (MuteTarget::Rule(rule.clone()), rule)
                }
            };
            let until = now + MUTE_FOR;
            let refused = std::cell::Cell::new(false);
            let updated = ctx.store.update_chat(chat_id, |c| {
                refused.set(c.mute(what.clone(), until, now).is_err());
            })?;
            let notice = if updated.is_none() {
                t.not_subscribed.to_string()
            } else if refused.get() {
                t.mutes_full(MAX_MUTES)
            } else {
                t.muted(&name, &locale.time(until))
            };
            Outcome {
                notice: Some(notice),
                ..Outcome::default()
            }
        }
        Action::Unsubscribe(id) => {
            let Some(alert) = alert_of(*id)? else {
                return Ok(gone());
            };
            let rule = current_id(ctx, &alert.rule);
            ctx.store.update_chat(chat_id, |c| {
                c.unfollow(&alert.rule);
                c.unfollow(&rule);
            })?;
            // A personal alert unsubscribed from is deleted: nobody else can receive it.
            if let Some(number) = personal::number_of(chat_id, &alert.rule) {
                ctx.store.delete_personal_alert(chat_id, number)?;
                ctx.personal.chat_changed(chat_id);
                if let Some(d) = &ctx.demand {
                    d.sync_chat(chat_id)?;
                }
            }
            Outcome {
                notice: Some(t.unsubscribed_button(&rule)),
                ..Outcome::default()
            }
        }
        // Pages of the chat's own history only: the store is asked for this chat's alerts.
        Action::History { count, page } => Outcome {
            page: Some(super::commands::history_page(
                &ctx.store,
                chat_id,
                &locale,
                usize::from(*count),
                usize::from(*page),
            )?),
            ..Outcome::default()
        },
        // The admins' decisions are taken before a press reaches here (see `admission`).
        Action::Admit(_) | Action::Refuse(_) => Outcome::default(),
        Action::Toggle(rule) => {
            let rules = ctx.rules.borrow().clone();
            // A button of a list sent before the rule was renamed toggles it under its id now.
            let Some(rule) = rules
                .current(rule)
                .map(|r| r.id.as_str())
                .filter(|r| !personal::is_personal(r))
            else {
                return Ok(Outcome {
                    notice: Some(render::plain_text(&t.unknown_rule(&escape(rule), None))),
                    ..Outcome::default()
                });
            };
            // Toggled on the record as stored, in one atomic step; following a rule asks for
            // its alerts, in a chat that stopped them too.
            let back_on = std::cell::Cell::new(false);
            let chat = at.save(&ctx.store, locale.lang, now, |c| {
                back_on.set(false);
                if !c.unfollow(rule) {
                    c.follow(rule);
                    back_on.set(at.activate(c));
                }
            })?;
            let following = chat.rules.contains(rule);
            let mut notice = t.toggled(rule, following);
            if back_on.get() {
                notice = format!("{notice}. {}", t.alerts_back_on());
                if let Some(d) = &ctx.demand {
                    d.sync_chat(chat_id)?;
                }
            }
            Outcome {
                notice: Some(notice),
                keyboard: Some(rule_toggles(&rules, &chat.rules)),
                ..Outcome::default()
            }
        }
    })
}
