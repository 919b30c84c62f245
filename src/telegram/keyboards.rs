//! Inline keyboards and the data their buttons carry.
//!
//! Callback data is at most 64 bytes: a one- or two-letter verb and an alert id or rule id
//! (rule ids are at most 60 characters).

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::engine::{Alert, AlertId};
use crate::i18n::texts;
use crate::rules::RuleSet;
use crate::text::Lang;

/// What a button asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Show the evidence of an alert.
    Why(AlertId),
    /// Mute the alert's rule for a day.
    MuteRule(AlertId),
    /// Mute the alert's symbol for a day.
    MuteSymbol(AlertId),
    /// Unsubscribe from the alert's rule.
    Unsubscribe(AlertId),
    /// Follow or stop following a rule (`/rules`).
    Toggle(String),
    /// An admin lets a chat in (allowlist).
    Admit(i64),
    /// An admin keeps a chat out (allowlist).
    Refuse(i64),
    /// Another page of `/history`: of the newest `count` alerts, page `page` (from 0).
    History {
        /// How many alerts the history shows in all.
        count: u8,
        /// The page.
        page: u8,
    },
}

impl Action {
    /// The callback data.
    pub fn data(&self) -> String {
        match self {
            Action::Why(id) => format!("w:{id}"),
            Action::MuteRule(id) => format!("mr:{id}"),
            Action::MuteSymbol(id) => format!("ms:{id}"),
            Action::Unsubscribe(id) => format!("u:{id}"),
            Action::Toggle(rule) => format!("t:{rule}"),
            Action::Admit(chat) => format!("aa:{chat}"),
            Action::Refuse(chat) => format!("ad:{chat}"),
            Action::History { count, page } => format!("h:{count}:{page}"),
        }
    }

    /// Reads callback data (anything unknown or malformed is `None`).
    pub fn parse(data: &str) -> Option<Action> {
        let (verb, arg) = data.split_once(':')?;
        let id = || arg.parse::<AlertId>().ok();
        Some(match verb {
            "w" => Action::Why(id()?),
            "mr" => Action::MuteRule(id()?),
            "ms" => Action::MuteSymbol(id()?),
            "u" => Action::Unsubscribe(id()?),
            "t" if !arg.is_empty() && arg.len() <= crate::rules::MAX_RULE_ID => {
                Action::Toggle(arg.to_string())
            }
            "aa" => Action::Admit(arg.parse().ok()?),
            "ad" => Action::Refuse(arg.parse().ok()?),
            "h" => {
                let (count, page) = arg.split_once(':')?;
                Action::History {
                    count: count.parse().ok()?,
                    page: page.parse().ok()?,
                }
            }
            _ => return None,
        })
    }
}

fn button(text: impl Into<String>, action: Action) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(text, action.data())
}

/// Allow / Deny under the admins' question about `chat`.
pub fn admission_buttons(chat: i64, lang: Lang) -> InlineKeyboardMarkup {
    let t = texts(lang);
    InlineKeyboardMarkup::new(vec![vec![
        button(t.button_allow(), Action::Admit(chat)),
        button(t.button_deny(), Action::Refuse(chat)),
    ]])
}

/// The buttons under an alert: why?, mute rule 1d, mute SYMBOL 1d, unsubscribe.
pub fn alert_buttons(alert: &Alert, lang: Lang) -> InlineKeyboardMarkup {
    let t = texts(lang);
    let mut first = vec![
        button(t.button_why, Action::Why(alert.id)),
        button(t.button_mute_rule, Action::MuteRule(alert.id)),
    ];
    let mut second = Vec::new();
    if let Some(symbol) = &alert.symbol {
        second.push(button(
            t.button_mute_symbol(symbol),
            Action::MuteSymbol(alert.id),
        ));
    }
    second.push(button(t.button_unsubscribe, Action::Unsubscribe(alert.id)));
    if second.len() == 1 {
        first.append(&mut second);
    }
    InlineKeyboardMarkup::new([first, second].into_iter().filter(|row| !row.is_empty()))
}

/// ◀ newer · page · older ▶ under a page of `/history` (only the arrows that lead somewhere).
pub fn history_pages(count: u8, page: u8, pages: u8, lang: Lang) -> Option<InlineKeyboardMarkup> {
    if pages <= 1 {
        return None;
    }
    let t = texts(lang);
    let mut row = Vec::new();
    if page > 0 {
        row.push(button(
            t.button_newer(),
            Action::History {
                count,
                page: page - 1,
            },
        ));
    }
    if page + 1 < pages {
        row.push(button(
            t.button_older(),
            Action::History {
                count,
                page: page + 1,
            },
        ));
    }
    Some(InlineKeyboardMarkup::new(vec![row]))
}

/// Most buttons Telegram shows under one message.
const MAX_BUTTONS: usize = 100;

/// One toggle button per rule (the first hundred; `/subscribe` reaches the rest): ✅ followed,
/// ▫️ not.
pub fn rule_toggles(
    rules: &RuleSet,
    followed: &std::collections::BTreeSet<String>,
) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(
        rules
            .rules()
            .iter()
            .filter(|r| !crate::personal::is_personal(&r.id))
            .take(MAX_BUTTONS)
            .map(|r| {
                let mark = if followed.contains(&r.id) {
                    "✅"
                } else {
                    "▫️"
                };
                vec![button(
                    format!("{mark} {}", r.id),
                    Action::Toggle(r.id.clone()),
                )]
            }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_data_round_trips_and_rejects_junk() {
        for a in [
            Action::Why(7),
            Action::MuteRule(0),
            Action::MuteSymbol(u64::MAX - 1),
            Action::Unsubscribe(3),
            Action::Toggle("nvda-customer-own-chips".into()),
            Action::Admit(-1001234567890),
            Action::Refuse(i64::MAX),
        ] {
            assert!(a.data().len() <= 64);
            assert_eq!(Action::parse(&a.data()), Some(a));
        }
        for junk in [
            "",
            "w",
            "w:",
            "w:x",
            "zz:1",
            "t:",
            &format!("t:{}", "x".repeat(61)),
            "mr:-1",
            "aa:",
            "ad:12x",
            "u:99999999999999999999999",
        ] {
            assert_eq!(Action::parse(junk), None, "{junk}");
        }
    }
}
