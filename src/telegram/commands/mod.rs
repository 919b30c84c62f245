//! The commands people type, and the answers: subscriptions, watch lists, settings, mutes,
//! personal alerts, queries, and the admins' commands.
//!
//! Parsing a command and deciding its answer is synchronous and talks only to the store and
//! the rule set, so every answer is in the chat's language and nothing is stored when the
//! arguments are wrong: such a command gets a reply with an example instead.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::time::Duration;

use chrono::{DateTime, NaiveTime, Utc};
use teloxide::types::InlineKeyboardMarkup;

mod admin;
mod history;
mod market;
mod personal_alerts;

pub use history::history_page;
pub use market::MAX_QUOTES;

use super::BotContext;
use super::keyboards::rule_toggles;
use crate::chats::{Chat, ChatKind, MuteTarget};
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
    /// A `/word` we do not have.
    Unknown(String),
    /// Not a command, or one addressed to another bot.
    NotForUs,
}

impl Command {
    /// Reads `/name[@bot] args`. Names are case-insensitive.
    pub fn parse(text: &str, bot_username: &str) -> Parsed {
        let Some(rest) = text.trim_start().strip_prefix('/') else {
            return Parsed::NotForUs;
        };
        let (head, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let (name, addressee) = head.split_once('@').unwrap_or((head, ""));
        if !addressee.is_empty() && !addressee.eq_ignore_ascii_case(bot_username) {
            return Parsed::NotForUs;
        }
        let name = name.to_ascii_lowercase();
        match COMMANDS.iter().find(|(n, _, _)| *n == name) {
            Some((_, cmd, _)) => Parsed::Command(*cmd, args.trim().to_string()),
            None if name.is_empty() || name.len() > 32 => Parsed::NotForUs,
            None => Parsed::Unknown(name),
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

    /// Wakes a chat up to receive alerts (in the forum topic the message came from).
    pub fn activate(&self, chat: &mut Chat) {
        chat.active = true;
        chat.deactivated = None;
        if self.thread.is_some() {
            chat.thread = self.thread;
        }
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

/// Most symbols on a watch list.
const MAX_WATCH: usize = 50;
/// Longest mute.
const MAX_MUTE: Duration = Duration::from_secs(30 * 24 * 3600);
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
        Command::Mute => conv.mute(args)?,
        Command::Unmute => conv.unmute(chat.as_ref(), args)?,
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

/// Splits a list of symbols (`NVDA AMD`, `nvda, amd`, `$NVDA`).
fn symbols(args: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for raw in args
        .split([' ', ',', ';', '\n', '\t'])
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

/// The first word of the arguments ("" when there is none).
fn first_word(args: &str) -> &str {
    args.split_whitespace().next().unwrap_or("")
}

fn parse_time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .ok()
        .or_else(|| {
            let h: u32 = s.trim().parse().ok()?;
            NaiveTime::from_hms_opt(h, 0, 0)
        })
}

fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
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

    fn activate(&self, chat: &mut Chat) {
        self.incoming.activate(chat);
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
        // The default rules for a chat that follows nothing yet; a chat coming back after
        // /stop resumes what it followed.
        let chat = self.save(|c| {
            if c.rules.is_empty() {
                c.rules.extend(defaults.iter().cloned());
            }
            self.activate(c);
        })?;
        let t = self.t();
        let mut out = format!("{}\n", t.subscribed());
        if chat.rules.is_empty() {
            let _ = write!(out, "\n{}", t.no_default_rules());
        } else {
            let _ = writeln!(out, "\n{}", t.follows());
            for id in &chat.rules {
                if let Some(r) = rules.get(id) {
                    let _ = writeln!(out, "• {} (<code>{}</code>)", escape(&r.title), escape(id));
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

    fn rules_text(&self, chat: Option<&Chat>) -> String {
        let t = self.t();
        let rules = self.rule_set();
        let mut out = format!("<b>{}</b>\n", t.rules_heading);
        let listed: Vec<_> = rules
            .rules()
            .iter()
            .filter(|r| !personal::is_personal(&r.id))
            .collect();
        if listed.is_empty() {
            out.push_str(t.no_rules);
        }
        for r in listed {
            let on = chat.is_some_and(|c| c.rules.contains(&r.id));
            let _ = writeln!(
                out,
                "{} <code>{}</code> — {}{}",
                if on { "✅" } else { "▫️" },
                escape(&r.id),
                escape(&r.title),
                if r.default { t.default_mark() } else { "" }
            );
        }
        let _ = write!(out, "\n{}", t.rules_footer);
        out
    }

    fn rules(&self, chat: Option<&Chat>) -> Reply {
        let followed = chat.map(|c| c.rules.clone()).unwrap_or_default();
        Reply::Keyboard(
            self.rules_text(chat),
            rule_toggles(&self.rule_set(), &followed),
        )
    }

    /// A rule others may follow (loaded, and not someone's personal alert): id and title.
    fn public_rule(&self, id: &str) -> Option<(String, String)> {
        self.rule_set()
            .get(id)
            .filter(|r| !personal::is_personal(&r.id))
            .map(|r| (r.id.clone(), r.title.clone()))
    }

    fn subscribe(&self, args: &str) -> Result<String, StoreError> {
        let t = self.t();
        let id = first_word(args).to_ascii_lowercase();
        let ids = self.public_ids();
        if id.is_empty() {
            let example = ids
                .first()
                .map_or("nvda-customer-seeks-alternatives", String::as_str);
            return Ok(t.which_rule("subscribe", &escape(example)));
        }
        let Some((rule_id, rule_title)) = self.public_rule(&id) else {
            return Ok(t.unknown_rule(
                &escape(&id),
                crate::problem::closest(&id, &ids).map(escape).as_deref(),
            ));
        };
        self.save(|c| {
            self.activate(c);
            c.rules.insert(rule_id.clone());
        })?;
        Ok(t.following(&escape(&rule_id), &escape(&rule_title)))
    }

    fn unsubscribe(&self, chat: Option<&Chat>, args: &str) -> Result<String, StoreError> {
        let t = self.t();
        let id = first_word(args).to_ascii_lowercase();
        if id.is_empty() {
            let example = chat.and_then(|c| c.rules.iter().find(|r| !personal::is_personal(r)));
            return Ok(t.which_rule(
                "unsubscribe",
                &escape(example.map_or("nvda-customer-seeks-alternatives", String::as_str)),
            ));
        }
        if !chat.is_some_and(|c| c.rules.contains(&id)) || personal::is_personal(&id) {
            return Ok(t.not_following(&escape(&id)));
        }
        self.ctx.store.update_chat(self.incoming.chat, |c| {
            c.rules.remove(&id);
        })?;
        Ok(t.unfollowed(&escape(&id)))
    }

    /// The symbols of `/watch` or `/unwatch`, or the reply explaining what is wrong.
    fn watch_symbols(&self, args: &str) -> Result<Vec<String>, String> {
        let t = self.t();
        match symbols(args) {
            Ok(list) if !list.is_empty() => Ok(list),
            Ok(_) => Err(t.watch_usage.to_string()),
            Err(bad) => Err(format!(
                "{}\n{}",
                t.bad_symbol(&escape(&bad)),
                t.watch_usage
            )),
        }
    }

    fn watch(&self, chat: Option<Chat>, args: &str) -> Result<String, StoreError> {
        let t = self.t();
        let list = match self.watch_symbols(args) {
            Ok(list) => list,
            Err(reply) => return Ok(reply),
        };
        let mut watch = chat.map(|c| c.watch).unwrap_or_default();
        watch.extend(list.iter().cloned());
        if watch.len() > MAX_WATCH {
            return Ok(t.watch_too_many(MAX_WATCH));
        }
        for symbol in &list {
            if let Err(reply) = self.usable(symbol) {
                return Ok(reply);
            }
        }
        if let Err(reply) = self.may_add(&list)? {
            return Ok(reply);
        }
        let chat = self.save(|c| c.watch.extend(list.iter().cloned()))?;
        self.demand_changed()?;
        Ok(t.watching(&escape(
            &chat.watch.iter().cloned().collect::<Vec<_>>().join(", "),
        )))
    }

    fn unwatch(&self, chat: Option<&Chat>, args: &str) -> Result<String, StoreError> {
        let t = self.t();
        let all = args.trim().eq_ignore_ascii_case("all");
        let list = match self.watch_symbols(args) {
            _ if all => Vec::new(),
            Ok(list) => list,
            Err(reply) => return Ok(reply),
        };
        if chat.is_none() {
            return Ok(t.watching_all().to_string());
        }
        let updated = self.ctx.store.update_chat(self.incoming.chat, |c| {
            if all {
                c.watch.clear();
            } else {
                for s in &list {
                    c.watch.remove(s);
                }
            }
        })?;
        self.demand_changed()?;
        Ok(match updated {
            Some(c) if !c.watch.is_empty() => t.watching(&escape(
                &c.watch.iter().cloned().collect::<Vec<_>>().join(", "),
            )),
            _ => t.watching_all().to_string(),
        })
    }

    fn mute_name(&self, what: &MuteTarget) -> String {
        let t = self.t();
        match what {
            MuteTarget::All => t.all_alerts().to_string(),
            MuteTarget::Rule(r) => t.rule_named(&escape(r)),
            MuteTarget::Symbol(s) => escape(s),
        }
    }

    fn list(&self, chat: Option<&Chat>) -> Result<String, StoreError> {
        let t = self.t();
        let Some(chat) = chat else {
            return Ok(t.follows_nothing().to_string());
        };
        let rules = self.rule_set();
        let mut out = format!("<b>{}</b>\n", t.list_heading);
        let public: Vec<&String> = chat
            .rules
            .iter()
            .filter(|r| !personal::is_personal(r))
            .collect();
        if public.is_empty() {
            let _ = writeln!(out, "{}", t.follows_nothing());
        }
        for id in public {
            let title = rules
                .get(id)
                .map_or(String::new(), |r| format!(" — {}", escape(&r.title)));
            let _ = writeln!(out, "• <code>{}</code>{title}", escape(id));
        }
        let watch = if chat.watch.is_empty() {
            t.all_symbols.to_string()
        } else {
            chat.watch.iter().cloned().collect::<Vec<_>>().join(", ")
        };
        let _ = writeln!(out, "\n{}", t.watch_line(&escape(&watch)));
        let mutes: Vec<String> = chat
            .mutes
            .iter()
            .filter(|m| m.until > self.now)
            .map(|m| {
                format!(
                    "{} ({})",
                    self.mute_name(&m.what),
                    self.locale.time(m.until)
                )
            })
            .collect();
        if !mutes.is_empty() {
            let _ = writeln!(out, "{}", t.mutes_line(&mutes.join(", ")));
        }
        let _ = writeln!(
            out,
            "{}",
            t.personal_count(self.ctx.store.personal_alerts_of(chat.id)?.len())
        );
        if !chat.active {
            let _ = writeln!(out, "\n{}", t.list_stopped());
        }
        let _ = write!(out, "\n{}", self.settings_text(chat));
        Ok(out)
    }

    fn settings_text(&self, chat: &Chat) -> String {
        let t = self.t();
        let s = &chat.settings;
        let quiet = s.quiet.map_or(t.off.to_string(), |(a, b)| {
            format!("{}–{}", hhmm(a), hhmm(b))
        });
        let digest = if s.digest.is_empty() {
            t.off.to_string()
        } else {
            s.digest
                .iter()
                .map(|d| hhmm(*d))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "<b>{}</b>\n{}: {}\n{}: {}\n{}: {}\n{}: {}",
            t.settings_heading,
            t.language,
            t.lang_name(s.lang),
            t.time_zone,
            escape(&s.tz),
            t.quiet_hours,
            quiet,
            t.digest,
            digest
        )
    }

    fn settings(&self, chat: Option<Chat>, args: &str) -> Result<String, StoreError> {
        let chat = chat.unwrap_or_else(|| self.incoming.fresh(self.locale.lang, self.now));
        let (key, value) = args
            .trim()
            .split_once(char::is_whitespace)
            .map_or((args.trim(), ""), |(k, v)| (k, v.trim()));
        let t = self.t();
        let key = key.to_ascii_lowercase();
        if key.is_empty() {
            return Ok(format!(
                "{}\n\n{}",
                self.settings_text(&chat),
                t.settings_usage
            ));
        }
        let off = matches!(value.to_ascii_lowercase().as_str(), "off" | "aus" | "none");
        let label;
        let shown;
        match key.as_str() {
            "lang" | "language" | "sprache" => {
                let Some(lang) = Lang::from_code(value).or(match value.to_lowercase().as_str() {
                    "english" | "englisch" => Some(Lang::En),
                    "german" | "deutsch" => Some(Lang::De),
                    _ => None,
                }) else {
                    return Ok(format!(
                        "{}\n\n{}",
                        t.bad_lang(&escape(value)),
                        t.settings_usage
                    ));
                };
                self.save(|c| c.settings.lang = lang)?;
                // The answer is in the new language.
                let t = texts(lang);
                return Ok(t.setting_changed(t.language, t.lang_name(lang)));
            }
            "tz" | "timezone" | "zeitzone" => {
                let Ok(tz) = value.parse::<chrono_tz::Tz>() else {
                    return Ok(t.bad_time_zone(&escape(value)));
                };
                self.save(|c| c.settings.tz = tz.name().to_string())?;
                label = t.time_zone;
                shown = escape(tz.name());
            }
            "quiet" | "ruhe" => {
                if off {
                    self.save(|c| c.settings.quiet = None)?;
                    shown = t.off.to_string();
                } else {
                    let Some((a, b)) = value
                        .split_once(['-', '–'])
                        .and_then(|(a, b)| Some((parse_time(a)?, parse_time(b)?)))
                        .filter(|(a, b)| a != b)
                    else {
                        return Ok(t.bad_quiet(&escape(value)));
                    };
                    self.save(|c| c.settings.quiet = Some((a, b)))?;
                    shown = format!("{}–{}", hhmm(a), hhmm(b));
                }
                label = t.quiet_hours;
            }
            "digest" => {
                if off {
                    self.save(|c| c.settings.digest.clear())?;
                    shown = t.off.to_string();
                } else {
                    let times: Option<BTreeSet<NaiveTime>> = value
                        .split([',', ' '])
                        .filter(|s| !s.is_empty())
                        .map(parse_time)
                        .collect();
                    let Some(times) = times.filter(|t| !t.is_empty() && t.len() <= 6) else {
                        return Ok(t.bad_digest(&escape(value)));
                    };
                    let times: Vec<NaiveTime> = times.into_iter().collect();
                    self.save(|c| c.settings.digest = times.clone())?;
                    shown = times
                        .iter()
                        .map(|d| hhmm(*d))
                        .collect::<Vec<_>>()
                        .join(", ");
                }
                label = t.digest;
            }
            _ => {
                return Ok(format!(
                    "{}\n\n{}",
                    self.settings_text(&chat),
                    t.settings_usage
                ));
            }
        }
        Ok(t.setting_changed(label, &shown))
    }

    /// Reads a mute target: `all`, a rule id, or a symbol.
    fn mute_target(&self, word: &str) -> Option<MuteTarget> {
        if word.eq_ignore_ascii_case("all") || word.eq_ignore_ascii_case("alle") {
            return Some(MuteTarget::All);
        }
        let lower = word.to_ascii_lowercase();
        if self.rule_set().get(&lower).is_some() {
            return Some(MuteTarget::Rule(lower));
        }
        crate::model::symbol(word).map(MuteTarget::Symbol)
    }

    fn mute(&self, args: &str) -> Result<String, StoreError> {
        let t = self.t();
        let words: Vec<&str> = args.split_whitespace().collect();
        let (target, duration) = match words.as_slice() {
            [target] => (*target, None),
            [target, duration] => (*target, Some(*duration)),
            _ => return Ok(t.mute_usage.to_string()),
        };
        let Some(what) = self.mute_target(target) else {
            return Ok(format!(
                "{}\n{}",
                t.bad_symbol(&escape(target)),
                t.mute_usage
            ));
        };
        let span = match duration {
            None => super::callbacks::MUTE_FOR.to_std().unwrap_or_default(),
            Some(d) => match humantime::parse_duration(d) {
                Ok(span) if span > Duration::ZERO && span <= MAX_MUTE => span,
                _ => {
                    return Ok(format!(
                        "{}\n{}",
                        t.bad_mute_duration(&escape(d)),
                        t.mute_usage
                    ));
                }
            },
        };
        let until =
            self.now + chrono::Duration::from_std(span).unwrap_or(chrono::TimeDelta::days(1));
        self.save(|c| c.mute(what.clone(), until, self.now))?;
        Ok(t.muted(&self.mute_name(&what), &self.locale.time(until)))
    }

    fn unmute(&self, chat: Option<&Chat>, args: &str) -> Result<String, StoreError> {
        let t = self.t();
        let target = match args.split_whitespace().next() {
            None => None,
            Some(w) => match self.mute_target(w) {
                Some(what) => Some(what),
                None => return Ok(format!("{}\n{}", t.bad_symbol(&escape(w)), t.mute_usage)),
            },
        };
        let now = self.now;
        let active = |c: &Chat| {
            c.mutes
                .iter()
                .filter(|m| m.until > now && target.as_ref().is_none_or(|w| *w == m.what))
                .count()
        };
        let lifted = chat.map_or(0, active);
        if lifted == 0 {
            return Ok(t.no_mutes().to_string());
        }
        self.ctx.store.update_chat(self.incoming.chat, |c| {
            c.mutes
                .retain(|m| m.until > now && target.as_ref().is_some_and(|w| *w != m.what));
        })?;
        Ok(t.unmuted(lifted))
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
            Parsed::Unknown("frobnicate".into())
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
    fn symbol_lists_are_checked() {
        assert_eq!(
            symbols("nvda, $amd NVDA"),
            Ok(vec!["NVDA".to_string(), "AMD".to_string()])
        );
        assert_eq!(symbols("NVDA <b>"), Err("<b>".to_string()));
    }
}
