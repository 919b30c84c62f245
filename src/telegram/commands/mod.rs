//! The commands people type, and the answers: subscriptions, watch lists, settings, mutes,
//! personal alerts, queries, and the admins' commands.
//!
//! Parsing a command and deciding its answer is synchronous and talks only to the store and
//! the rule set, so every answer is in the chat's language and nothing is stored when the
//! arguments are wrong: such a command gets a reply with an example instead.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use teloxide::types::InlineKeyboardMarkup;

mod admin;
mod history;
mod market;
mod personal_alerts;
mod settings;
mod subscriptions;

pub use history::history_page;
pub use market::MAX_QUOTES;

use super::BotContext;
use crate::chats::{Chat, ChatKind};
use crate::delivery::locale_of;
use crate::delivery::render::{Locale, escape};
use crate::i18n::{Texts, texts};
use crate::personal;
use crate::sources::demand::{Refusal, Verdict};
use crate::store::StoreError;
use crate::text::Lang;

/// Every command the bot understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Subscribe to the default rules.
    Start,
    /// Pause alerts.
    Stop,
    /// What the bot does.
    Help,
    /// The rules, with toggles.
    Rules,
    /// Follow a rule.
    Subscribe,
    /// Stop following a rule.
    Unsubscribe,
    /// Limit alerts to symbols.
    Watch,
    /// Remove symbols from the watch list.
    Unwatch,
    /// What the chat follows.
    List,
    /// Language, time zone, quiet hours, digest.
    Settings,
    /// Silence alerts for a while.
    Mute,
    /// Lift mutes.
    Unmute,
    /// Create a personal alert.
    Alert,
    /// List personal alerts.
    Alerts,
    /// Delete a personal alert.
    Delete,
    /// Pause a personal alert.
    Pause,
    /// Resume a paused personal alert.
    Resume,
    /// Change a personal alert, keeping its number.
    Edit,
    /// The latest price.
    Quote,
    /// A price chart.
    Chart,
    /// The latest headlines.
    News,
    /// The alerts this chat received.
    History,
    /// Source health.
    Status,
    /// Numbers for admins.
    Stats,
    /// Reload the rules (admins).
    Reload,
    /// Message every chat (admins).
    Broadcast,
}

/// Who may run a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone in the chat.
    Anyone,
    /// In groups, only the group's admins (it changes what the group receives).
    GroupAdmins,
    /// Only the bot's admins (`telegram.admins`).
    BotAdmins,
}

/// The command table: name, command, who may run it. Order is the order of `/help`.
pub const COMMANDS: &[(&str, Command, Access)] = &[
    ("start", Command::Start, Access::GroupAdmins),
    ("stop", Command::Stop, Access::GroupAdmins),
    ("help", Command::Help, Access::Anyone),
    ("rules", Command::Rules, Access::Anyone),
    ("subscribe", Command::Subscribe, Access::GroupAdmins),
    ("unsubscribe", Command::Unsubscribe, Access::GroupAdmins),
    ("watch", Command::Watch, Access::GroupAdmins),
    ("unwatch", Command::Unwatch, Access::GroupAdmins),
    ("list", Command::List, Access::Anyone),
    ("settings", Command::Settings, Access::GroupAdmins),
    ("mute", Command::Mute, Access::GroupAdmins),
    ("unmute", Command::Unmute, Access::GroupAdmins),
    ("alert", Command::Alert, Access::GroupAdmins),
    ("alerts", Command::Alerts, Access::Anyone),
    ("delete", Command::Delete, Access::GroupAdmins),
    ("pause", Command::Pause, Access::GroupAdmins),
    ("resume", Command::Resume, Access::GroupAdmins),
    ("edit", Command::Edit, Access::GroupAdmins),
    ("quote", Command::Quote, Access::Anyone),
    ("chart", Command::Chart, Access::Anyone),
    ("news", Command::News, Access::Anyone),
    ("history", Command::History, Access::Anyone),
    ("status", Command::Status, Access::Anyone),
    ("stats", Command::Stats, Access::BotAdmins),
    ("reload", Command::Reload, Access::BotAdmins),
    ("broadcast", Command::Broadcast, Access::BotAdmins),
];

/// What a message's text is, as far as commands go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// One of ours, with the rest of the text.
    Command(Command, String),
    /// A `/word` we do not have, and whether it was addressed to us by name (`/word@bot`):
    /// in a group only such a one is surely meant for this bot.
    Unknown {
        /// The word, lower case.
        name: String,
        /// Written `/word@bot` with this bot's name.
        addressed: bool,
    },
    /// Not a command, or one addressed to another bot.
    NotForUs,
}

/// Unicode's format characters (zero-width space and joiners, word joiner, byte-order mark,
/// direction marks and embeddings, soft hyphen, …): invisible, and pasted along with a ticker
/// from web pages and other chats.
static FORMAT_MARKS: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"\p{Cf}").expect("a valid pattern"));

/// `text` without format characters ([`FORMAT_MARKS`]).
fn without_format_marks(text: &str) -> std::borrow::Cow<'_, str> {
    FORMAT_MARKS.replace_all(text, "")
}

/// `/name[@bot] args` split into the head and the arguments.
fn head_and_args(text: &str) -> Option<(&str, &str)> {
    let rest = text.trim_start().strip_prefix('/')?;
    Some(rest.split_once(char::is_whitespace).unwrap_or((rest, "")))
}

impl Command {
    /// Reads `/name[@bot] args`. Names are case-insensitive. Format characters are not read,
    /// in the name or the arguments (a symbol pasted with a zero-width space is the symbol);
    /// only the text of `/broadcast`, a message to pass on, keeps them (an emoji's joiners).
    pub fn parse(text: &str, bot_username: &str) -> Parsed {
        let read = without_format_marks(text);
        let Some((head, args)) = head_and_args(&read) else {
            return Parsed::NotForUs;
        };
        let (name, addressee) = head.split_once('@').unwrap_or((head, ""));
        if !addressee.is_empty() && !addressee.eq_ignore_ascii_case(bot_username) {
            return Parsed::NotForUs;
        }
        let name = name.to_ascii_lowercase();
        match COMMANDS.iter().find(|(n, _, _)| *n == name) {
            Some((_, Command::Broadcast, _)) => {
                let written = text.trim_start_matches(|c: char| {
                    c.is_whitespace() || FORMAT_MARKS.is_match(c.encode_utf8(&mut [0; 4]))
                });
                let message = head_and_args(written).map_or("", |(_, args)| args);
                Parsed::Command(Command::Broadcast, message.trim().to_string())
            }
            Some((_, cmd, _)) => Parsed::Command(*cmd, args.trim().to_string()),
            None if name.is_empty() || name.len() > 32 => Parsed::NotForUs,
            None => Parsed::Unknown {
                name,
                addressed: !addressee.is_empty(),
            },
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        COMMANDS
            .iter()
            .find(|(_, c, _)| *c == self)
            .map_or("", |(n, _, _)| n)
    }

    /// Who may run it with these arguments (`/settings` alone only shows the settings).
    pub fn access(self, args: &str) -> Access {
        if self == Command::Settings && args.trim().is_empty() {
            return Access::Anyone;
        }
        COMMANDS
            .iter()
            .find(|(_, c, _)| *c == self)
            .map_or(Access::Anyone, |(_, _, a)| *a)
    }
}

/// Where a command came from.
#[derive(Clone, Debug)]
pub struct Incoming {
    /// The chat.
    pub chat: i64,
    /// Its kind.
    pub kind: ChatKind,
    /// Its title, for admins' eyes.
    pub title: String,
    /// The sender, if a user.
    pub user: Option<i64>,
    /// The sender's app language, for chats without a setting.
    pub user_lang: Option<Lang>,
    /// The forum topic it was sent in.
    pub thread: Option<i32>,
    /// The message the command came in (none for a button press).
    pub message: Option<i32>,
    /// Whether that message was edited: the command is answered as it now reads, but an
    /// edited `/alert` changes the alert the message made, and a `/broadcast` is not sent
    /// again.
    pub edited: bool,
}

impl Incoming {
    /// Changes the chat's record in one atomic step; on first contact the record is made
    /// from what Telegram told about the chat, in `lang`.
    pub fn save(
        &self,
        store: &crate::store::Store,
        lang: Lang,
        now: DateTime<Utc>,
        change: impl Fn(&mut Chat),
    ) -> Result<Chat, StoreError> {
        store.upsert_chat(&self.fresh(lang, now), change)
    }

    /// The record a chat gets on first contact.
    pub fn fresh(&self, lang: Lang, now: DateTime<Utc>) -> Chat {
        let mut chat = Chat::new(self.chat, self.kind, self.title.clone(), now);
        chat.settings.lang = lang;
        chat
    }

    /// Wakes a chat up to receive alerts (in the forum topic the message came from); whether
    /// its alerts were off (after `/stop`, or when the bot was blocked or removed).
    pub fn activate(&self, chat: &mut Chat) -> bool {
        let was_off = !chat.active;
        chat.active = true;
        chat.deactivated = None;
        if self.thread.is_some() {
            chat.thread = self.thread;
        }
        was_off
    }
}

/// An answer.
pub enum Reply {
    /// A message (Telegram HTML; split when long).
    Text(String),
    /// A message with an inline keyboard.
    Keyboard(String, InlineKeyboardMarkup),
    /// A PNG with a caption.
    Photo {
        /// The image.
        png: Vec<u8>,
        /// Its caption (HTML).
        caption: String,
    },
}

/// Headlines in `/news`.
const NEWS_COUNT: usize = 5;

/// The language a chat is answered in: its setting, else its user's app language.
pub fn lang_of(chat: Option<&Chat>, incoming: &Incoming) -> Lang {
    chat.map(|c| c.settings.lang)
        .or(incoming.user_lang)
        .unwrap_or_default()
}

/// The locale a chat is answered in (see [`lang_of`]).
pub fn locale(chat: Option<&Chat>, incoming: &Incoming) -> Locale {
    match chat {
        Some(c) => locale_of(c),
        None => Locale {
            lang: lang_of(None, incoming),
            ..Locale::DEFAULT
        },
    }
}

/// Answers a command. Commands that change the store do so durably before answering.
pub fn answer(
    ctx: &BotContext,
    incoming: &Incoming,
    cmd: Command,
    args: &str,
) -> Result<Reply, StoreError> {
    let chat = ctx.store.chat(incoming.chat)?;
    let conv = Conversation {
        ctx,
        incoming,
        locale: locale(chat.as_ref(), incoming),
        now: ctx.clock.now(),
    };
    let t = conv.t();
    let text = match cmd {
        Command::Start => conv.start()?,
        Command::Stop => match ctx.store.update_chat(incoming.chat, |c| c.active = false)? {
            Some(_) => t.stopped.to_string(),
            None => t.not_subscribed.to_string(),
        },
        Command::Help => conv.help(),
        Command::Rules => return Ok(conv.rules(chat.as_ref())),
        Command::Subscribe => conv.subscribe(args)?,
        Command::Unsubscribe => conv.unsubscribe(chat.as_ref(), args)?,
        Command::Watch => conv.watch(chat, args)?,
        Command::Unwatch => conv.unwatch(chat.as_ref(), args)?,
        Command::List => conv.list(chat.as_ref())?,
        Command::Settings => conv.settings(chat, args)?,
        Command::Mute => conv.mute(chat.as_ref(), args)?,
        Command::Unmute => conv.unmute(chat.as_ref(), args)?,
        Command::Alert if incoming.edited => conv.alert_edited(args)?,
        Command::Alert => conv.alert(args)?,
        Command::Alerts => conv.alerts()?,
        Command::Delete => conv.delete(args)?,
        Command::Pause => conv.pause(args, true)?,
        Command::Resume => conv.pause(args, false)?,
        Command::Edit => conv.edit(args)?,
        Command::History => return conv.history(args),
        Command::Quote => conv.quote(args)?,
        Command::Chart => return conv.chart(args),
        Command::News => conv.news(args)?,
        Command::Status => conv.status()?,
        Command::Stats => conv.stats()?,
        Command::Broadcast if incoming.edited => t.broadcast_not_again().to_string(),
        Command::Broadcast => conv.broadcast(args)?,
        Command::Reload => conv.reload(),
    };
    // A chat that stops or starts again stops or starts referring to its symbols.
    if matches!(cmd, Command::Start | Command::Stop) {
        conv.demand_changed()?;
    }
    Ok(Reply::Text(text))
}

struct Conversation<'a> {
    ctx: &'a BotContext,
    incoming: &'a Incoming,
    locale: Locale,
    now: DateTime<Utc>,
}

/// A symbol as a command's argument, written the way people list them (`NVDA,`, `$nvda;`).
fn symbol_word(raw: &str) -> Option<String> {
    crate::model::symbol(raw.trim_end_matches([',', ';']))
}

/// Splits a list of symbols (`NVDA AMD`, `nvda, amd`, `$NVDA`): any whitespace (a no-break
/// space too), commas and semicolons separate them.
fn symbols(args: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for raw in args
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';'))
        .filter(|s| !s.is_empty())
    {
        let Some(s) = crate::model::symbol(raw) else {
            return Err(raw.to_string());
        };
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

/// Most symbols one command may have the quote provider asked about.
pub const MAX_CHECKS: usize = 10;

/// The symbols a command names that the quote provider may have to be asked about before
/// it is answered (symbols on demand).
pub fn named_symbols(cmd: Command, args: &str) -> Vec<String> {
    match cmd {
        Command::Quote => symbols(args).unwrap_or_default(),
        Command::Chart => args
            .split_whitespace()
            .next()
            .and_then(crate::model::symbol)
            .into_iter()
            .collect(),
        Command::Edit => args
            .trim()
            .split_once(char::is_whitespace)
            .and_then(|(_, spec)| personal::parse(spec, &personal::Limits::UNLIMITED).ok())
            .map(|s| vec![s.symbol])
            .unwrap_or_default(),
        Command::Watch if means_all(args) => Vec::new(),
        Command::Watch => symbols(args).unwrap_or_default(),
        Command::Alert => personal::parse(args, &personal::Limits::UNLIMITED)
            .map(|s| vec![s.symbol])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
    .into_iter()
    .take(MAX_CHECKS)
    .collect()
}

/// Whether the argument of `/watch` or `/unwatch` is "all" (German "alle"): every symbol, not
/// the ticker ALL, which is written `$ALL`.
fn means_all(args: &str) -> bool {
    let word = args.trim();
    word.eq_ignore_ascii_case("all") || word.eq_ignore_ascii_case("alle")
}

/// The first word of the arguments ("" when there is none).
fn first_word(args: &str) -> &str {
    args.split_whitespace().next().unwrap_or("")
}

impl Conversation<'_> {
    fn t(&self) -> &'static Texts {
        texts(self.locale.lang)
    }

    fn rule_set(&self) -> std::sync::Arc<crate::rules::RuleSet> {
        self.ctx.rules.borrow().clone()
    }

    /// Changes the chat's record (made on first contact) in one atomic step.
    fn save(&self, change: impl Fn(&mut Chat)) -> Result<Chat, StoreError> {
        self.incoming
            .save(&self.ctx.store, self.locale.lang, self.now, change)
    }

    /// See [`Incoming::activate`].
    fn activate(&self, chat: &mut Chat) -> bool {
        self.incoming.activate(chat)
    }

    /// `reply`, and when the command turned the chat's alerts back on, a word that it did.
    fn saying_back_on(&self, reply: String, back_on: bool) -> String {
        if back_on {
            format!("{reply}\n\n{}", self.t().alerts_back_on())
        } else {
            reply
        }
    }

    /// Whether `symbol` can be used (configured, or known to the quote provider); the reply
    /// saying why not otherwise.
    fn usable(&self, symbol: &str) -> Result<(), String> {
        let t = self.t();
        let Some(demand) = &self.ctx.demand else {
            return Ok(());
        };
        match demand.verdict(symbol, self.now) {
            Verdict::Known => Ok(()),
            Verdict::Unknown => Err(t.unknown_symbol(&escape(symbol))),
            Verdict::Unchecked => Err(t.symbol_unchecked(&escape(symbol))),
            Verdict::Refused => {
                Err(t
                    .symbol_not_followed(&escape(symbol), &escape(&demand.configured().join(", "))))
            }
        }
    }

    /// Whether this chat may start referring to `symbols` (alerts and watch list within the
    /// limits of symbols on demand); the reply saying why not otherwise.
    fn may_add(&self, symbols: &[String]) -> Result<Result<(), String>, StoreError> {
        let t = self.t();
        let Some(demand) = &self.ctx.demand else {
            return Ok(Ok(()));
        };
        let mut current = demand.symbols_of(self.incoming.chat)?;
        for symbol in symbols {
            match demand.may_add(symbol, current.iter().cloned(), self.now) {
                Ok(()) => {
                    current.insert(symbol.clone());
                }
                Err(Refusal::PerChat(n)) => return Ok(Err(t.symbols_per_chat(n))),
                Err(Refusal::Overall(n)) => return Ok(Err(t.symbols_overall(n))),
            }
        }
        Ok(Ok(()))
    }

    /// Tells the symbols on demand what this chat refers to now.
    fn demand_changed(&self) -> Result<(), StoreError> {
        match &self.ctx.demand {
            Some(d) => d.sync_chat(self.incoming.chat),
            None => Ok(()),
        }
    }

    /// Ids of the rules chats may follow (not personal alerts).
    fn public_ids(&self) -> Vec<String> {
        self.rule_set()
            .rules()
            .iter()
            .filter(|r| !personal::is_personal(&r.id))
            .map(|r| r.id.clone())
            .collect()
    }

    fn start(&self) -> Result<String, StoreError> {
        let rules = self.rule_set();
        let defaults: Vec<String> = rules
            .rules()
            .iter()
            .filter(|r| r.default)
            .map(|r| r.id.clone())
            .collect();
        // The default rules for a chat that follows nothing yet, noted as nobody's choice; a
        // chat coming back after /stop resumes what it followed.
        let chat = self.save(|c| {
            if c.rules.is_empty() {
                c.follow_defaults(&defaults);
            }
            // Saying so is what /start does anyway.
            let _ = self.activate(c);
        })?;
        let t = self.t();
        let mut out = format!("{}\n", t.subscribed());
        if chat.rules.is_empty() {
            let _ = write!(out, "\n{}", t.no_default_rules());
        } else {
            let _ = writeln!(out, "\n{}", t.follows());
            for id in &chat.rules {
                if let Some(r) = rules.current(id) {
                    let _ = writeln!(
                        out,
                        "• {} (<code>{}</code>)",
                        escape(&r.title),
                        escape(&r.id)
                    );
                }
            }
            let _ = write!(out, "\n{}", t.start_footer());
        }
        Ok(out)
    }

    fn help(&self) -> String {
        let t = self.t();
        let admin = self
            .incoming
            .user
            .is_some_and(|u| self.ctx.admins.contains(&u));
        let mut out = format!("{}\n\n", t.about);
        for (name, _, _) in COMMANDS.iter().filter(|(_, _, a)| *a != Access::BotAdmins) {
            let _ = writeln!(out, "/{name} — {}", escape(t.command_help(name)));
        }
        if admin {
            let _ = writeln!(out, "\n<b>{}</b>", t.admin_commands());
            for (name, _, _) in COMMANDS.iter().filter(|(_, _, a)| *a == Access::BotAdmins) {
                let _ = writeln!(out, "/{name} — {}", escape(t.command_help(name)));
            }
        }
        let _ = write!(out, "\n{}", t.alert_usage);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_and_without_the_bot_name() {
        assert_eq!(
            Command::parse("/start", "mb"),
            Parsed::Command(Command::Start, String::new())
        );
        assert_eq!(
            Command::parse("/Watch@MB nvda  amd ", "mb"),
            Parsed::Command(Command::Watch, "nvda  amd".into())
        );
        assert_eq!(
            Command::parse("/watch@otherbot NVDA", "mb"),
            Parsed::NotForUs
        );
        assert_eq!(
            Command::parse("/frobnicate", "mb"),
            Parsed::Unknown {
                name: "frobnicate".into(),
                addressed: false
            }
        );
        assert_eq!(
            Command::parse("/Frobnicate@MB now", "mb"),
            Parsed::Unknown {
                name: "frobnicate".into(),
                addressed: true
            }
        );
        assert_eq!(Command::parse("hello", "mb"), Parsed::NotForUs);
        assert_eq!(Command::parse("/", "mb"), Parsed::NotForUs);
        assert_eq!(Command::Settings.access(""), Access::Anyone);
        assert_eq!(Command::Settings.access("lang de"), Access::GroupAdmins);
        assert_eq!(Command::Broadcast.access("hi"), Access::BotAdmins);
        for (name, cmd, _) in COMMANDS {
            assert_eq!(cmd.name(), *name);
            assert!(
                !texts(Lang::En).command_help(name).is_empty()
                    && !texts(Lang::De).command_help(name).is_empty(),
                "{name}"
            );
        }
    }

    #[test]
    fn invisible_marks_pasted_into_a_command_are_not_read() {
        // Zero-width space and joiners, word joiner, byte-order mark, direction marks, soft
        // hyphen: pasted with a ticker from a web page or a chat, never seen.
        for text in [
            "/quote NVDA\u{200b}",
            "/quote \u{2060}NVDA",
            "\u{feff}/quote NVDA",
            "/quote\u{200d} NV\u{200e}DA\u{200f}",
            "/quote N\u{ad}VDA\u{202c}",
            "/quote\u{2060}@MB NVDA",
        ] {
            assert_eq!(
                Command::parse(text, "mb"),
                Parsed::Command(Command::Quote, "NVDA".into()),
                "{text:?}"
            );
        }
        assert_eq!(
            Command::parse("/alert NVDA\u{200b} news Open\u{200c}AI", "mb"),
            Parsed::Command(Command::Alert, "NVDA news OpenAI".into())
        );
        assert_eq!(
            Command::parse("/quote@other\u{200b}bot NVDA", "mb"),
            Parsed::NotForUs
        );
        // A broadcast is a message, not arguments to read: its emoji keep their joiners.
        assert_eq!(
            Command::parse("/broadcast\u{200b} 👩\u{200d}💻 hi", "mb"),
            Parsed::Command(Command::Broadcast, "👩\u{200d}💻 hi".into())
        );
    }

    #[test]
    fn symbol_lists_are_checked() {
        assert_eq!(
            symbols("nvda, $amd NVDA"),
            Ok(vec!["NVDA".to_string(), "AMD".to_string()])
        );
        assert_eq!(symbols("NVDA <b>"), Err("<b>".to_string()));
    }

    #[test]
    fn symbols_in_a_list_are_apart_whatever_the_space_between_them() {
        // A no-break space (pasted, or typed by a phone's keyboard) or a line break from
        // another system separates symbols like a space does.
        for list in [
            "NVDA\u{a0}AMD",
            "NVDA\u{202f}AMD",
            "NVDA\r\nAMD",
            "NVDA,\u{2003}AMD",
        ] {
            assert_eq!(
                symbols(list),
                Ok(vec!["NVDA".to_string(), "AMD".to_string()]),
                "{list:?}"
            );
            assert_eq!(named_symbols(Command::Quote, list), ["NVDA", "AMD"]);
        }
    }

    #[test]
    fn watching_all_names_no_symbol_to_ask_about() {
        for all in ["all", " ALLE ", "All"] {
            assert!(named_symbols(Command::Watch, all).is_empty(), "{all}");
        }
        assert_eq!(named_symbols(Command::Watch, "$ALL"), ["ALL"]);
    }
}
