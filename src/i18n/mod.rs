//! Every user-facing string of the bot, in English and German.
//!
//! Replies and alerts are rendered in the chat's language (`/settings lang de`). Static
//! strings live in one [`Texts`] table per language; strings with values are methods, so both
//! languages of a message sit side by side and cannot drift apart.

use crate::text::Lang;

mod access;
mod chat;
mod formats;

pub use formats::{MAX_DECIMALS, count};

/// The strings of one language.
#[derive(Debug)]
pub struct Texts {
    /// The language.
    pub lang: Lang,
    /// "Why" (the evidence line of an alert).
    pub why: &'static str,
    /// "Rule" (the rule line of an alert).
    pub rule: &'static str,
    /// "Also reported by".
    pub also_reported_by: &'static str,
    /// Session note: pre-market.
    pub pre_market: &'static str,
    /// Session note: after hours.
    pub after_hours: &'static str,
    /// Button: explain the alert.
    pub button_why: &'static str,
    /// Button: mute the rule for a day.
    pub button_mute_rule: &'static str,
    /// Button: unsubscribe from the rule.
    pub button_unsubscribe: &'static str,
    /// The bot in one paragraph (`/help`).
    pub about: &'static str,
    /// `/stop` done.
    pub stopped: &'static str,
    /// `/stop` in a chat that never started.
    pub not_subscribed: &'static str,
    /// Reply to plain text in a private chat.
    pub only_commands: &'static str,
    /// Storage trouble.
    pub sorry: &'static str,
    /// A group member who is not an admin tried to change settings.
    pub admins_only_group: &'static str,
    /// A non-admin tried an admin command.
    pub admins_only_bot: &'static str,
    /// No rules loaded.
    pub no_rules: &'static str,
    /// Footer of `/rules`.
    pub rules_footer: &'static str,
    /// "Rules" heading.
    pub rules_heading: &'static str,
    /// `/settings` heading.
    pub settings_heading: &'static str,
    /// Settings labels.
    pub language: &'static str,
    /// Settings label.
    pub time_zone: &'static str,
    /// Settings label.
    pub quiet_hours: &'static str,
    /// Settings label.
    pub digest: &'static str,
    /// Settings value: none.
    pub off: &'static str,
    /// How to change settings.
    pub settings_usage: &'static str,
    /// `/list` heading.
    pub list_heading: &'static str,
    /// `/list`: all symbols.
    pub all_symbols: &'static str,
    /// `/alerts` when there are none.
    pub no_personal_alerts: &'static str,
    /// How to write `/alert`.
    pub alert_usage: &'static str,
    /// How to write `/mute`.
    pub mute_usage: &'static str,
    /// How to write `/watch`.
    pub watch_usage: &'static str,
    /// No quote data.
    pub no_quote: &'static str,
    /// No news.
    pub no_news: &'static str,
    /// Evidence heading of "why?".
    pub evidence_heading: &'static str,
    /// "Window" in the evidence.
    pub window: &'static str,
    /// "price"
    pub price: &'static str,
    /// "Digest" heading.
    pub digest_heading: &'static str,
    /// An alert that is no longer stored.
    pub alert_gone: &'static str,
}

/// English.
pub static EN: Texts = Texts {
    lang: Lang::En,
    why: "Why",
    rule: "Rule",
    also_reported_by: "Also reported by",
    pre_market: "pre-market",
    after_hours: "after hours",
    button_why: "why?",
    button_mute_rule: "mute rule 1d",
    button_unsubscribe: "unsubscribe",
    about: "<b>marketbot</b> watches quotes and news headlines. When a rule's text pattern meets its price condition (say, a big NVIDIA customer looks for other chips and NVDA falls), the chats following that rule get one alert saying what happened and why.",
    stopped: "🔕 Alerts stopped. Your subscriptions are kept: /start resumes them.",
    not_subscribed: "This chat was not subscribed. /start subscribes it.",
    only_commands: "I only understand commands. Try /help.",
    sorry: "Sorry, something went wrong on my side. Please try again in a minute.",
    admins_only_group: "Only this chat's admins can change what it follows.",
    admins_only_bot: "Only the bot's admins can do that.",
    no_rules: "No rules are loaded.",
    rules_footer: "Tap a rule to follow or stop following it. /subscribe RULE_ID · /unsubscribe RULE_ID",
    rules_heading: "Rules",
    settings_heading: "Settings",
    language: "Language",
    time_zone: "Time zone",
    quiet_hours: "Quiet hours",
    digest: "Digest",
    off: "off",
    settings_usage: "Change with:\n<code>/settings lang de</code> (en, de)\n<code>/settings tz Europe/Berlin</code>\n<code>/settings quiet 22:00-07:00</code> (or <code>off</code>)\n<code>/settings digest 08:00,18:00</code> (or <code>off</code>)",
    list_heading: "This chat follows",
    all_symbols: "all symbols",
    no_personal_alerts: "No personal alerts yet. Example: <code>/alert NVDA drop 3%</code>",
    alert_usage: "Examples:\n<code>/alert NVDA below 180</code>\n<code>/alert NVDA above 200</code>\n<code>/alert NVDA drop 3%</code> (against the previous close)\n<code>/alert NVDA rise 3%</code>\n<code>/alert NVDA move 2% 1h</code> (either way within an hour)\n<code>/alert NVDA news \"OpenAI\" chips</code> (headline words, optionally followed by a price part)\nAdd <code>every 4h</code> (at most one alert per 4 h), <code>once</code> (then it is deleted) or <code>quiet</code> (no sound).\nThe German words work too: unter, über, fällt, steigt, bewegt, nachrichten, alle, einmal, leise.",
    mute_usage: "Examples: <code>/mute NVDA 1d</code>, <code>/mute nvda-customer-own-chips 12h</code>, <code>/mute all 2h</code>",
    watch_usage: "Example: <code>/watch NVDA AMD</code> — alerts about other symbols are then left out. <code>/unwatch NVDA</code>, <code>/unwatch all</code>",
    no_quote: "No price data for that symbol yet. Is it in a [[quotes]] source of the config?",
    no_news: "No recent headlines about that symbol.",
    evidence_heading: "Why this alert fired",
    window: "Window",
    price: "price",
    digest_heading: "Digest",
    alert_gone: "That alert is no longer stored.",
};

/// German.
pub static DE: Texts = Texts {
    lang: Lang::De,
    why: "Warum",
    rule: "Regel",
    also_reported_by: "Auch gemeldet von",
    pre_market: "vorbörslich",
    after_hours: "nachbörslich",
    button_why: "warum?",
    button_mute_rule: "Regel 1 Tag stumm",
    button_unsubscribe: "abbestellen",
    about: "<b>marketbot</b> beobachtet Kurse und Schlagzeilen. Wenn das Textmuster einer Regel auf ihre Kursbedingung trifft (etwa: ein großer NVIDIA-Kunde sucht andere Chips und NVDA fällt), bekommen die Chats, die dieser Regel folgen, eine Meldung mit dem, was geschah, und warum.",
    stopped: "🔕 Meldungen gestoppt. Ihre Abos bleiben erhalten: /start nimmt sie wieder auf.",
    not_subscribed: "Dieser Chat war nicht angemeldet. /start meldet ihn an.",
    only_commands: "Ich verstehe nur Befehle. Versuchen Sie /help.",
    sorry: "Entschuldigung, bei mir ist etwas schiefgegangen. Bitte versuchen Sie es in einer Minute noch einmal.",
    admins_only_group: "Nur die Admins dieses Chats können ändern, was er abonniert.",
    admins_only_bot: "Das dürfen nur die Admins des Bots.",
    no_rules: "Es sind keine Regeln geladen.",
    rules_footer: "Tippen Sie auf eine Regel, um ihr zu folgen oder nicht mehr zu folgen. /subscribe REGEL_ID · /unsubscribe REGEL_ID",
    rules_heading: "Regeln",
    settings_heading: "Einstellungen",
    language: "Sprache",
    time_zone: "Zeitzone",
    quiet_hours: "Ruhezeiten",
    digest: "Zusammenfassung",
    off: "aus",
    settings_usage: "Ändern mit:\n<code>/settings lang en</code> (en, de)\n<code>/settings tz Europe/Berlin</code>\n<code>/settings quiet 22:00-07:00</code> (oder <code>off</code>)\n<code>/settings digest 08:00,18:00</code> (oder <code>off</code>)",
    list_heading: "Dieser Chat folgt",
    all_symbols: "allen Symbolen",
    no_personal_alerts: "Noch keine eigenen Alarme. Beispiel: <code>/alert NVDA fällt 3%</code>",
    alert_usage: "Beispiele:\n<code>/alert SAP.DE unter 180</code> (Kurs fällt unter 180)\n<code>/alert SAP.DE über 200</code> (Kurs steigt über 200)\n<code>/alert SAP.DE fällt 3%</code> (ggü. dem Vortagesschluss)\n<code>/alert SAP.DE steigt 3%</code>\n<code>/alert SAP.DE bewegt 2% 1h</code> (in beide Richtungen innerhalb einer Stunde)\n<code>/alert SAP.DE news \"Gewinnwarnung\" Prognose</code> (Wörter der Schlagzeile, optional gefolgt von einem Kursteil)\nZusätze: <code>alle 4h</code> (höchstens ein Alarm je 4 Std.), <code>einmal</code> (danach gelöscht), <code>leise</code> (ohne Ton).\nDie englischen Wörter gehen auch: below, above, drop, rise, move, news, every, once, quiet. Ein Schlüsselwort unter den Nachrichtenwörtern ohne Zahl danach ist ein gesuchtes Wort (<code>news Aktie unter Druck</code>); in Anführungszeichen ist jedes Wort ein gesuchtes.",
    mute_usage: "Beispiele: <code>/mute NVDA 1d</code>, <code>/mute nvda-customer-own-chips 12h</code>, <code>/mute all 2h</code>",
    watch_usage: "Beispiel: <code>/watch NVDA AMD</code> — Meldungen zu anderen Symbolen entfallen dann. <code>/unwatch NVDA</code>, <code>/unwatch alle</code>",
    no_quote: "Für dieses Symbol gibt es noch keine Kursdaten. Steht es in einer [[quotes]]-Quelle der Konfiguration?",
    no_news: "Keine aktuellen Schlagzeilen zu diesem Symbol.",
    evidence_heading: "Warum diese Meldung ausgelöst wurde",
    window: "Zeitfenster",
    price: "Kurs",
    digest_heading: "Zusammenfassung",
    alert_gone: "Diese Meldung ist nicht mehr gespeichert.",
};

/// The strings of `lang`.
pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::En => &EN,
        Lang::De => &DE,
    }
}

impl Texts {
    fn pick(&self, en: String, de: String) -> String {
        match self.lang {
            Lang::En => en,
            Lang::De => de,
        }
    }

    /// `en` or `de`, as fixed text.
    fn pick_str(&self, en: &'static str, de: &'static str) -> &'static str {
        match self.lang {
            Lang::En => en,
            Lang::De => de,
        }
    }

    /// `/start` done, followed by the list of rules.
    pub fn subscribed(&self) -> &'static str {
        match self.lang {
            Lang::En => {
                "👋 <b>Subscribed.</b> You will get one message when market news meets a price move, with the evidence for why it fired."
            }
            Lang::De => {
                "👋 <b>Angemeldet.</b> Sie bekommen eine Nachricht, wenn Marktnachrichten auf eine Kursbewegung treffen – mit den Belegen, warum."
            }
        }
    }

    /// Heading of the followed rules after `/start`.
    pub fn follows(&self) -> &'static str {
        match self.lang {
            Lang::En => "This chat follows:",
            Lang::De => "Dieser Chat folgt:",
        }
    }

    /// `/start` without default rules.
    pub fn no_default_rules(&self) -> &'static str {
        match self.lang {
            Lang::En => "There are no default rules yet: see /rules and /subscribe.",
            Lang::De => "Es gibt noch keine Standardregeln: siehe /rules und /subscribe.",
        }
    }

    /// Footer after `/start`.
    pub fn start_footer(&self) -> &'static str {
        match self.lang {
            Lang::En => {
                "/rules lists all rules, /settings sets language and time zone, /stop pauses alerts."
            }
            Lang::De => {
                "/rules zeigt alle Regeln, /settings stellt Sprache und Zeitzone ein, /stop pausiert Meldungen."
            }
        }
    }

    /// `/subscribe` or `/unsubscribe` without an id.
    pub fn which_rule(&self, command: &str, example: &str) -> String {
        self.pick(
            format!("Which rule? Give its id, for example:\n<code>/{command} {example}</code>\n/rules lists them."),
            format!("Welche Regel? Geben Sie ihre ID an, zum Beispiel:\n<code>/{command} {example}</code>\n/rules zeigt sie."),
        )
    }

    /// An unknown rule id, with the closest one.
    pub fn unknown_rule(&self, id: &str, closest: Option<&str>) -> String {
        match closest {
            Some(c) => self.pick(
                format!("There is no rule <code>{id}</code>. Did you mean <code>/subscribe {c}</code>?"),
                format!("Es gibt keine Regel <code>{id}</code>. Meinten Sie <code>/subscribe {c}</code>?"),
            ),
            None => self.pick(
                format!("There is no rule <code>{id}</code>. /rules lists them."),
                format!("Es gibt keine Regel <code>{id}</code>. /rules zeigt alle."),
            ),
        }
    }

    /// Now following a rule.
    pub fn following(&self, id: &str, title: &str) -> String {
        self.pick(
            format!("✅ Following <code>{id}</code> — {title}"),
            format!("✅ Sie folgen <code>{id}</code> — {title}"),
        )
    }

    /// No longer following a rule.
    pub fn unfollowed(&self, id: &str) -> String {
        self.pick(
            format!("▫️ No longer following <code>{id}</code>."),
            format!("▫️ Sie folgen <code>{id}</code> nicht mehr."),
        )
    }

    /// Unsubscribing from a rule not followed.
    pub fn not_following(&self, id: &str) -> String {
        self.pick(
            format!("This chat does not follow <code>{id}</code>. /rules shows what it follows."),
            format!("Dieser Chat folgt <code>{id}</code> nicht. /rules zeigt, was er abonniert."),
        )
    }

    /// `/watch` done.
    pub fn watching(&self, symbols: &str) -> String {
        self.pick(
            format!("👀 Alerts now only about: {symbols}"),
            format!("👀 Meldungen jetzt nur noch zu: {symbols}"),
        )
    }

    /// `/unwatch` left nothing.
    pub fn watching_all(&self) -> &'static str {
        match self.lang {
            Lang::En => "👀 Alerts about all symbols again.",
            Lang::De => "👀 Wieder Meldungen zu allen Symbolen.",
        }
    }

    /// A symbol that is not one.
    pub fn bad_symbol(&self, s: &str) -> String {
        self.pick(
            format!("<code>{s}</code> is not a ticker symbol."),
            format!("<code>{s}</code> ist kein Tickersymbol."),
        )
    }

    /// The quote provider has no prices for a symbol.
    pub fn unknown_symbol(&self, s: &str) -> String {
        self.pick(
            format!("The quote provider knows no symbol <code>{s}</code>. Write it as Yahoo Finance does, e.g. <code>NVDA</code>, <code>SAP.DE</code>, <code>7203.T</code>."),
            format!("Der Kursanbieter kennt kein Symbol <code>{s}</code>. Schreiben Sie es wie Yahoo Finance, z. B. <code>NVDA</code>, <code>SAP.DE</code>, <code>7203.T</code>."),
        )
    }

    /// A symbol could not be checked (the provider did not answer).
    pub fn symbol_unchecked(&self, s: &str) -> String {
        self.pick(
            format!("The quote provider could not be asked about <code>{s}</code> just now. Please try again in a minute."),
            format!("Der Kursanbieter war für <code>{s}</code> gerade nicht erreichbar. Bitte in einer Minute noch einmal versuchen."),
        )
    }

    /// Only the configured symbols are followed.
    pub fn symbol_not_followed(&self, s: &str, configured: &str) -> String {
        self.pick(
            format!("<code>{s}</code> is not followed by this bot. Symbols: {configured}"),
            format!("<code>{s}</code> wird von diesem Bot nicht verfolgt. Symbole: {configured}"),
        )
    }

    /// A chat refers to as many extra symbols as it may.
    pub fn symbols_per_chat(&self, max: usize) -> String {
        self.pick(
            format!("This chat already follows {} beyond the bot's own, the most allowed. Delete an alert or <code>/unwatch</code> a symbol first.", count(max, "symbol", "symbols")),
            format!("Dieser Chat verfolgt bereits {}, mehr sind nicht möglich. Zuerst einen Alarm löschen oder ein Symbol mit <code>/unwatch</code> entfernen.", count(max, "zusätzliches Symbol", "zusätzliche Symbole")),
        )
    }

    /// The bot follows as many extra symbols as it may.
    pub fn symbols_overall(&self, max: usize) -> String {
        self.pick(
            format!("The bot already follows {} on request, its limit. Please try again later, or use a symbol it follows already.", count(max, "symbol", "symbols")),
            format!("Der Bot verfolgt bereits {} auf Wunsch, seine Grenze. Bitte später noch einmal versuchen oder ein bereits verfolgtes Symbol nehmen.", count(max, "Symbol", "Symbole")),
        )
    }

    /// A setting changed.
    pub fn setting_changed(&self, what: &str, value: &str) -> String {
        format!("✅ {what}: {value}")
    }

    /// After local times just set (quiet hours, digest): the zone they are in, and while that
    /// is UTC (every chat's until it sets one) how to set the chat's own.
    pub fn in_zone(&self, tz: &str) -> String {
        let tz = crate::delivery::render::escape(tz);
        if tz != "UTC" {
            return format!("({tz})");
        }
        self.pick(
            "(UTC; <code>/settings tz Europe/Berlin</code> sets your time zone)".into(),
            "(UTC; <code>/settings tz Europe/Berlin</code> stellt Ihre Zeitzone ein)".into(),
        )
    }

    /// A time zone name that is not one.
    pub fn bad_time_zone(&self, tz: &str) -> String {
        self.pick(
            format!("<code>{tz}</code> is not a time zone. Use a name like <code>Europe/Berlin</code> or <code>America/New_York</code>."),
            format!("<code>{tz}</code> ist keine Zeitzone. Verwenden Sie einen Namen wie <code>Europe/Berlin</code> oder <code>America/New_York</code>."),
        )
    }

    /// A personal alert stored.
    pub fn alert_created(&self, number: u32, summary: &str) -> String {
        self.pick(
            format!("🔔 Alert #{number} set: {summary}\n/alerts lists yours, <code>/delete {number}</code> removes it."),
            format!("🔔 Alarm #{number} gesetzt: {summary}\n/alerts zeigt Ihre Alarme, <code>/delete {number}</code> entfernt ihn."),
        )
    }

    /// A personal alert could not be understood.
    pub fn alert_invalid(&self, reason: &str) -> String {
        self.pick(
            format!("That alert is not clear: {reason}\n\n{}", EN.alert_usage),
            format!("Dieser Alarm ist unklar: {reason}\n\n{}", DE.alert_usage),
        )
    }

    /// Too many personal alerts.
    pub fn too_many_alerts(&self, max: usize) -> String {
        self.pick(
            format!("This chat already has {}, the most allowed. <code>/delete N</code> removes one.", count(max, "alert", "alerts")),
            format!("Dieser Chat hat bereits {}, mehr sind nicht möglich. <code>/delete N</code> entfernt einen.", count(max, "Alarm", "Alarme")),
        )
    }

    /// `/alerts` heading.
    pub fn alerts_heading(&self) -> &'static str {
        match self.lang {
            Lang::En => "Your alerts",
            Lang::De => "Ihre Alarme",
        }
    }

    /// `/delete` done or not.
    pub fn deleted(&self, number: u32, existed: bool) -> String {
        match existed {
            true => self.pick(
                format!("🗑 Alert #{number} deleted."),
                format!("🗑 Alarm #{number} gelöscht."),
            ),
            false => self.pick(
                format!("There is no alert #{number}. /alerts lists yours."),
                format!("Es gibt keinen Alarm #{number}. /alerts zeigt Ihre Alarme."),
            ),
        }
    }

    /// `/delete` without a number.
    pub fn delete_usage(&self) -> &'static str {
        match self.lang {
            Lang::En => "Which alert? Example: <code>/delete 1</code> (numbers from /alerts)",
            Lang::De => "Welcher Alarm? Beispiel: <code>/delete 1</code> (Nummern aus /alerts)",
        }
    }

    /// A mute set (the caller escapes `what` where the text is HTML).
    pub fn muted(&self, what: &str, until: &str) -> String {
        self.pick(
            format!("🔇 {what} muted until {until}."),
            format!("🔇 {what} stumm bis {until}."),
        )
    }

    /// "why?" tapped in a group that was posted the alert's evidence already (a button's
    /// notice).
    pub fn evidence_above(&self) -> &'static str {
        self.pick_str(
            "The evidence is posted above, as a reply to this alert.",
            "Die Begründung steht weiter oben, als Antwort auf diese Meldung.",
        )
    }

    /// A new mute refused: `n` are in force, the most a chat keeps (plain text: also a
    /// button's notice).
    pub fn mutes_full(&self, n: usize) -> String {
        self.pick(
            format!("🔇 Not muted: {} in force here, the most a chat keeps. /list shows them; /unmute lifts one or all.", match n { 1 => "1 mute is".to_string(), n => format!("{n} mutes are") }),
            format!("🔇 Nicht stummgeschaltet: Hier {} schon, mehr hält ein Chat nicht. /list zeigt sie; /unmute hebt eine oder alle auf.", match n { 1 => "gilt 1 Stummschaltung".to_string(), n => format!("gelten {n} Stummschaltungen") }),
        )
    }

    /// Mutes lifted.
    pub fn unmuted(&self, n: usize) -> String {
        self.pick(
            format!("🔊 {} lifted.", count(n, "mute", "mutes")),
            format!(
                "🔊 {} aufgehoben.",
                count(n, "Stummschaltung", "Stummschaltungen")
            ),
        )
    }

    /// `/unmute WHAT` when that is not muted itself, but other mutes are in force.
    pub fn not_muted_alone(&self, what: &str, mutes: &str) -> String {
        self.pick(
            format!("{what} is not muted on its own. Muted: {mutes}. /unmute lifts every mute."),
            format!(
                "{what} ist nicht einzeln stummgeschaltet. Stumm: {mutes}. /unmute hebt alle auf."
            ),
        )
    }

    /// "all alerts" (a mute target).
    pub fn all_alerts(&self) -> &'static str {
        match self.lang {
            Lang::En => "All alerts",
            Lang::De => "Alle Meldungen",
        }
    }

    /// Button: mute a symbol for a day.
    pub fn button_mute_symbol(&self, symbol: &str) -> String {
        self.pick(format!("mute {symbol} 1d"), format!("{symbol} 1 Tag stumm"))
    }

    /// Change against a reference, in words.
    pub fn versus(&self, basis: &crate::rules::Basis, fallback: &str) -> String {
        use crate::rules::Basis;
        match basis {
            Basis::PreviousClose { date } | Basis::Gap { date } => self.pick(
                format!("previous close ({})", self.date(*date)),
                format!("Vortagesschluss ({})", self.date(*date)),
            ),
            Basis::Open => self.pick("today's open".into(), "Tageseröffnung".into()),
            Basis::Close => self.pick("today's close".into(), "Tagesschluss".into()),
            Basis::Window {
                minutes,
                high: true,
            } => self.pick(
                format!("high of the last {minutes} min"),
                format!("Hoch der letzten {minutes} Min."),
            ),
            Basis::Window {
                minutes,
                high: false,
            } => self.pick(
                format!("low of the last {minutes} min"),
                format!("Tief der letzten {minutes} Min."),
            ),
            Basis::Crossed { .. } => self.pick("the price before".into(), "dem Kurs davor".into()),
            Basis::Volume { days, .. } => self.pick(
                format!("{days}-day average volume"),
                format!("{days}-Tage-Durchschnittsvolumen"),
            ),
            Basis::Extreme { days, high: true } => {
                self.pick(format!("{days}-day high"), format!("{days}-Tage-Hoch"))
            }
            Basis::Extreme { days, high: false } => {
                self.pick(format!("{days}-day low"), format!("{days}-Tage-Tief"))
            }
            Basis::Unknown => fallback.to_string(),
        }
    }

    /// A rule's threshold as written (`<= -2.5%`, `>= 1.5x`) with the language's decimal
    /// separator.
    fn threshold(&self, written: &str) -> String {
        match self.lang {
            Lang::En => written.to_string(),
            Lang::De => written.replace('.', ","),
        }
    }

    /// What a price check found, in words.
    pub fn condition(&self, e: &crate::rules::PriceEvidence) -> String {
        use crate::rules::Basis;
        let vs = self.versus(&e.basis, &e.reference_label);
        let threshold = self.threshold(&e.threshold);
        let currency = e.currency.as_deref();
        match &e.basis {
            Basis::Unknown => e.condition.clone(),
            Basis::Crossed { level, below: true } => self.pick(
                format!("crossed below {}", self.price_in(*level, currency)),
                format!("unter {} gefallen", self.price_in(*level, currency)),
            ),
            Basis::Crossed {
                level,
                below: false,
            } => self.pick(
                format!("crossed above {}", self.price_in(*level, currency)),
                format!("über {} gestiegen", self.price_in(*level, currency)),
            ),
            Basis::Gap { .. } => self.pick(
                format!("opening gap {}", threshold),
                format!("Eröffnungslücke {}", threshold),
            ),
            Basis::Volume { days, ratio } => self.pick(
                format!(
                    "volume {}× its {days}-day pace ({})",
                    self.number(*ratio, 1),
                    threshold
                ),
                format!(
                    "Volumen {}× des {days}-Tage-Tempos ({})",
                    self.number(*ratio, 1),
                    threshold
                ),
            ),
            Basis::Extreme { .. } => self.pick(format!("new {vs}"), format!("neues {vs}")),
            _ => self.pick(
                format!("change vs {vs} {}", threshold),
                format!("Veränderung ggü. {vs} {}", threshold),
            ),
        }
    }

    /// The price line of an alert.
    pub fn price_line(&self, e: &crate::rules::PriceEvidence, at: &str) -> String {
        let session = match e.session {
            Some(crate::model::Session::Pre) => format!(" {}", self.pre_market),
            Some(crate::model::Session::Post) => format!(" {}", self.after_hours),
            _ => String::new(),
        };
        let price = self.price_in(e.price, e.currency.as_deref());
        match (e.change_pct, e.reference) {
            (Some(change), Some(reference)) => {
                let reference = self.price_in(reference, e.currency.as_deref());
                self.pick(
                    format!(
                        "{price} ({}) vs {} {reference}, at {at}{session}",
                        self.percent(change),
                        self.versus(&e.basis, &e.reference_label),
                    ),
                    format!(
                        "{price} ({}) ggü. {} {reference}, um {at}{session}",
                        self.percent(change),
                        self.versus(&e.basis, &e.reference_label),
                    ),
                )
            }
            _ => self.pick(
                format!("{price} at {at}{session}: {}", self.condition(e)),
                format!("{price} um {at}{session}: {}", self.condition(e)),
            ),
        }
    }

    /// `/status` line for one source.
    pub fn source_line(
        &self,
        ok: bool,
        name: &str,
        kind: &str,
        last: &str,
        successes: u64,
        failures: u64,
    ) -> String {
        let mark = if ok { "✅" } else { "⚠️" };
        self.pick(
            format!("{mark} {name} ({kind}) — last fetch {last}; {successes} ok, {failures} failed"),
            format!("{mark} {name} ({kind}) — letzter Abruf {last}; {successes} ok, {failures} fehlgeschlagen"),
        )
    }

    /// "never" (no fetch yet).
    pub fn never(&self) -> &'static str {
        match self.lang {
            Lang::En => "never",
            Lang::De => "nie",
        }
    }

    /// "not fetched yet".
    pub fn not_fetched(&self) -> &'static str {
        match self.lang {
            Lang::En => "not fetched yet",
            Lang::De => "noch nicht abgerufen",
        }
    }

    /// "last error".
    pub fn last_error(&self) -> &'static str {
        match self.lang {
            Lang::En => "last error",
            Lang::De => "letzter Fehler",
        }
    }

    /// `/status` footer.
    pub fn status_footer(&self, rules: usize, outbox: usize) -> String {
        self.pick(
            format!("<b>Rules</b> {rules} loaded · <b>Outbox</b> {outbox} waiting"),
            format!("<b>Regeln</b> {rules} geladen · <b>Warteschlange</b> {outbox} wartend"),
        )
    }

    /// Which instance answers and leads, and where the state is kept.
    pub fn status_instance(&self, instance: &str, term: u64, shared: bool) -> String {
        match (self.lang, shared) {
            (Lang::En, true) => format!(
                "<b>Instance</b> {instance} leads (term {term}) · <b>Store</b> PostgreSQL, shared"
            ),
            (Lang::En, false) => format!("<b>Instance</b> {instance} · <b>Store</b> embedded"),
            (Lang::De, true) => format!(
                "<b>Instanz</b> {instance} führt (Amtszeit {term}) · <b>Speicher</b> PostgreSQL, geteilt"
            ),
            (Lang::De, false) => {
                format!("<b>Instanz</b> {instance} · <b>Speicher</b> eingebettet")
            }
        }
    }

    /// "Sources" heading.
    pub fn sources_heading(&self) -> &'static str {
        match self.lang {
            Lang::En => "Sources",
            Lang::De => "Quellen",
        }
    }

    /// `/quote` lines.
    pub fn quote(
        &self,
        symbol: &str,
        q: &crate::series::QuoteView,
        at: &str,
        delay_min: i64,
    ) -> String {
        let currency = q.currency.as_deref();
        let mut out = format!("<b>{symbol}</b> {}", self.price_in(q.last, currency));
        if let Some(c) = q.change_pct {
            out.push_str(&format!(" ({})", self.percent(c)));
        }
        out.push('\n');
        if let Some(prev) = q.previous_close {
            let prev = self.price_in(prev, currency);
            out.push_str(&self.pick(
                format!("Previous close {prev}\n"),
                format!("Vortagesschluss {prev}\n"),
            ));
        }
        if let (Some(lo), Some(hi)) = (q.day_low, q.day_high) {
            let range = self.price_range(lo, hi, currency);
            out.push_str(&self.pick(
                format!("Day range {range}\n"),
                format!("Tagesspanne {range}\n"),
            ));
        }
        if let Some((price, session)) = q.extended {
            let when = if session == crate::model::Session::Pre {
                self.pre_market
            } else {
                self.after_hours
            };
            out.push_str(&format!("{} {}\n", self.price_in(price, currency), when));
        }
        out.push_str(&self.pick(
            format!("Data of {at} ({delay_min} min ago)"),
            format!("Daten von {at} (vor {delay_min} Min.)"),
        ));
        out
    }

    /// `/stats` for admins.
    #[allow(clippy::too_many_arguments)]
    pub fn stats(
        &self,
        chats: usize,
        active: usize,
        subscriptions: usize,
        personal: usize,
        alerts_today: usize,
        outbox: usize,
        failing: usize,
        sources: usize,
    ) -> String {
        self.pick(
            format!("<b>Stats</b>\nChats {chats} ({active} active)\nSubscriptions {subscriptions}\nPersonal alerts {personal}\nAlerts today {alerts_today}\nOutbox {outbox} waiting\nSources {sources} ({failing} failing)"),
            format!("<b>Statistik</b>\nChats {chats} ({active} aktiv)\nAbos {subscriptions}\nEigene Alarme {personal}\nMeldungen heute {alerts_today}\nWarteschlange {outbox} wartend\nQuellen {sources} ({failing} mit Fehlern)"),
        )
    }

    /// `/broadcast` queued.
    pub fn broadcast_queued(&self, n: usize) -> String {
        self.pick(
            format!("📣 Queued for {}.", count(n, "chat", "chats")),
            format!("📣 Für {} eingereiht.", count(n, "Chat", "Chats")),
        )
    }

    /// `/broadcast` without text.
    pub fn broadcast_usage(&self) -> &'static str {
        match self.lang {
            Lang::En => "Example: <code>/broadcast Maintenance tonight at 22:00 UTC.</code>",
            Lang::De => "Beispiel: <code>/broadcast Wartung heute um 22:00 UTC.</code>",
        }
    }

    /// `/chart` or `/quote` without a symbol.
    pub fn symbol_usage(&self, command: &str) -> String {
        self.pick(
            format!("Which symbol? Example: <code>/{command} NVDA</code>"),
            format!("Welches Symbol? Beispiel: <code>/{command} NVDA</code>"),
        )
    }

    /// `/chart` with a bad range.
    pub fn chart_usage(&self) -> &'static str {
        match self.lang {
            Lang::En => {
                "Example: <code>/chart NVDA 5d</code> (1d, 5d or 1m; add <code>candles</code> or <code>line</code> to choose)"
            }
            Lang::De => {
                "Beispiel: <code>/chart NVDA 5d</code> (1d, 5d oder 1m; <code>kerzen</code> oder <code>linie</code> dazu wählt die Darstellung)"
            }
        }
    }

    /// Digest intro.
    pub fn digest_intro(&self, n: usize) -> String {
        self.pick(
            format!("{} since the last digest:", count(n, "alert", "alerts")),
            format!(
                "{} seit der letzten Zusammenfassung:",
                count(n, "Meldung", "Meldungen")
            ),
        )
    }

    /// What a command does, for `/help` and the command menu.
    pub fn command_help(&self, name: &str) -> &'static str {
        let (en, de) = match name {
            "start" => (
                "subscribe this chat to the default rules",
                "diesen Chat für die Standardregeln anmelden",
            ),
            "stop" => (
                "pause all alerts to this chat",
                "alle Meldungen an diesen Chat pausieren",
            ),
            "help" => (
                "what this bot does and how to use it",
                "was dieser Bot tut und wie man ihn nutzt",
            ),
            "rules" => (
                "the rules, with buttons to follow them",
                "die Regeln, mit Knöpfen zum Abonnieren",
            ),
            "subscribe" => (
                "follow a rule: /subscribe RULE_ID",
                "einer Regel folgen: /subscribe REGEL_ID",
            ),
            "unsubscribe" => (
                "stop following a rule: /unsubscribe RULE_ID",
                "einer Regel nicht mehr folgen: /unsubscribe REGEL_ID",
            ),
            "watch" => (
                "only alerts about these symbols: /watch NVDA AMD",
                "nur Meldungen zu diesen Symbolen: /watch NVDA AMD",
            ),
            "unwatch" => (
                "remove symbols from the watch list: /unwatch NVDA",
                "Symbole aus der Beobachtungsliste nehmen: /unwatch NVDA",
            ),
            "list" => ("what this chat follows", "was dieser Chat abonniert hat"),
            "settings" => (
                "language, time zone, quiet hours, digest",
                "Sprache, Zeitzone, Ruhezeiten, Zusammenfassung",
            ),
            "mute" => (
                "silence alerts for a while: /mute NVDA 1d",
                "Meldungen eine Weile stummschalten: /mute NVDA 1d",
            ),
            "unmute" => (
                "lift mutes: /unmute or /unmute NVDA",
                "Stummschaltungen aufheben: /unmute oder /unmute NVDA",
            ),
            "alert" => (
                "your own alert: /alert NVDA drop 3%",
                "eigener Alarm: /alert NVDA fällt 3%",
            ),
            "alerts" => ("your own alerts", "Ihre eigenen Alarme"),
            "delete" => (
                "delete your alert: /delete 1",
                "eigenen Alarm löschen: /delete 1",
            ),
            "pause" => (
                "pause your alert, keeping it: /pause 1",
                "eigenen Alarm pausieren, ohne ihn zu löschen: /pause 1",
            ),
            "resume" => (
                "turn a paused alert on again: /resume 1",
                "pausierten Alarm wieder einschalten: /resume 1",
            ),
            "edit" => (
                "change your alert, keeping its number: /edit 1 NVDA drop 5%",
                "eigenen Alarm ändern, Nummer bleibt: /edit 1 NVDA drop 5%",
            ),
            "quote" => (
                "the latest price: /quote NVDA, or up to 10: /quote NVDA AMD TSM",
                "der letzte Kurs: /quote NVDA, oder bis zu 10: /quote NVDA AMD TSM",
            ),
            "chart" => (
                "a price chart: /chart NVDA 5d",
                "ein Kursdiagramm: /chart NVDA 5d",
            ),
            "news" => (
                "the latest headlines: /news NVDA",
                "die neuesten Schlagzeilen: /news NVDA",
            ),
            "history" => (
                "the alerts this chat received: /history or /history 30",
                "die Meldungen an diesen Chat: /history oder /history 30",
            ),
            "status" => (
                "health of the quote and news sources",
                "Zustand der Kurs- und Nachrichtenquellen",
            ),
            "stats" => (
                "chats, subscriptions, alerts today, outbox, sources (admins)",
                "Chats, Abos, Meldungen heute, Warteschlange, Quellen (Admins)",
            ),
            "reload" => (
                "reload the rules now (admins)",
                "Regeln jetzt neu laden (Admins)",
            ),
            "broadcast" => (
                "send a message to every chat (admins)",
                "Nachricht an alle Chats senden (Admins)",
            ),
            _ => ("", ""),
        };
        match self.lang {
            Lang::En => en,
            Lang::De => de,
        }
    }

    /// Heading of the admin part of `/help`.
    pub fn admin_commands(&self) -> &'static str {
        match self.lang {
            Lang::En => "For admins",
            Lang::De => "Für Admins",
        }
    }

    /// A command the bot does not have.
    pub fn unknown_command(&self, name: &str) -> String {
        self.pick(
            format!("There is no command /{name}. /help lists them."),
            format!("Den Befehl /{name} gibt es nicht. /help zeigt alle."),
        )
    }

    /// Why a personal alert was not understood.
    pub fn spec_error(&self, e: &crate::personal::SpecError) -> String {
        use crate::personal::SpecError as E;
        let esc = crate::delivery::render::escape;
        match e {
            E::Empty => self.pick("say what to watch.".into(), "sagen Sie, worauf geachtet werden soll.".into()),
            E::BadSymbol(s) => self.pick(format!("<code>{}</code> is not a ticker symbol; start with one, like NVDA.", esc(s)), format!("<code>{}</code> ist kein Tickersymbol; beginnen Sie mit einem, etwa NVDA.", esc(s))),
            E::NothingToWatch => self.pick("add a price part (below, above, drop, rise, move) or news words.".into(), "ergänzen Sie einen Kursteil (unter, über, fällt, steigt, bewegt) oder Nachrichtenwörter (news).".into()),
            E::MissingNumber(k) => self.pick(format!("<code>{}</code> needs a number after it.", esc(k)), format!("nach <code>{}</code> fehlt eine Zahl.", esc(k))),
            E::BadNumber(n) => self.pick(format!("<code>{}</code> is not a usable number (percentages up to 50 %).", esc(n)), format!("<code>{}</code> ist keine brauchbare Zahl (Prozente bis 50 %).", esc(n))),
            E::BadDuration(d) => self.pick(format!("<code>{}</code> is not a duration in range (like 30m, 1h, 4h, 1d).", esc(d)), format!("<code>{}</code> ist keine passende Dauer (etwa 30m, 1h, 4h, 1d).", esc(d))),
            E::TooFrequent(1) => self.pick("alerts can repeat at most once a minute.".into(), "Alarme können sich höchstens einmal pro Minute wiederholen.".into()),
            E::TooFrequent(min) => self.pick(format!("alerts can repeat at most every {min} minutes."), format!("Alarme können sich höchstens alle {min} Minuten wiederholen.")),
            E::Unexpected(w) => self.pick(format!("I do not know <code>{}</code> here.", esc(w)), format!("<code>{}</code> verstehe ich an dieser Stelle nicht.", esc(w))),
            E::NoWords => self.pick("<code>news</code> needs words to look for.".into(), "nach <code>news</code> fehlen die gesuchten Wörter.".into()),
            E::BadWord(w) => self.pick(format!("<code>{}</code> has nothing to look for in a headline (letters or digits).", esc(w)), format!("<code>{}</code> enthält nichts, wonach in Schlagzeilen gesucht werden kann (Buchstaben oder Ziffern).", esc(w))),
            E::TooManyWords => self.pick("too many or too long words (at most 8).".into(), "zu viele oder zu lange Wörter (höchstens 8).".into()),
            E::TwoPrices => self.pick("one price part per alert.".into(), "ein Kursteil pro Alarm.".into()),
            E::WrongSign { keyword, written } => {
                let (k, w) = (esc(keyword), esc(written));
                let digits = esc(written.trim_start_matches(['+', '-', '\u{2212}']));
                self.pick(
                    format!("<code>{k} {w}</code> says two directions: the sign goes against <code>{k}</code>. Write <code>drop {digits}</code> for a fall, <code>rise {digits}</code> for a rise."),
                    format!("<code>{k} {w}</code> nennt zwei Richtungen: Das Vorzeichen widerspricht <code>{k}</code>. Schreiben Sie <code>fällt {digits}</code> für einen Rückgang, <code>steigt {digits}</code> für einen Anstieg."),
                )
            }
            E::SignedMove(written) => {
                let digits = esc(written.trim_start_matches(['+', '-', '\u{2212}']));
                self.pick(
                    format!("<code>move</code> is either way, so its percentage has no sign: <code>move {digits}</code>. For one direction against the previous close: <code>drop {digits}</code> or <code>rise {digits}</code>."),
                    format!("<code>bewegt</code> gilt in beide Richtungen, die Prozentzahl hat also kein Vorzeichen: <code>bewegt {digits}</code>. Für eine Richtung ggü. dem Vortagesschluss: <code>fällt {digits}</code> oder <code>steigt {digits}</code>."),
                )
            }
            E::AmbiguousNumber { written, thousands, decimal } => {
                let de = decimal.replace('.', ",");
                self.pick(
                    format!("<code>{}</code> may be {thousands} or {decimal}: please write <code>{thousands}</code> or <code>{decimal}</code>.", esc(written)),
                    format!("<code>{}</code> kann {thousands} oder {de} heißen: bitte schreiben Sie <code>{thousands}</code> oder <code>{de}</code>.", esc(written)),
                )
            }
        }
    }

    /// One personal alert in `/alerts`.
    pub fn personal_line(&self, number: u32, summary: &str, since: chrono::NaiveDate) -> String {
        self.pick(
            format!(
                "#{number} <code>{summary}</code> · since {}",
                self.date(since)
            ),
            format!(
                "#{number} <code>{summary}</code> · seit {}",
                self.date(since)
            ),
        )
    }

    /// `/list`: how many personal alerts.
    pub fn personal_count(&self, n: usize) -> String {
        self.pick(
            format!("Personal alerts: {n} (/alerts)"),
            format!("Eigene Alarme: {n} (/alerts)"),
        )
    }

    /// `/list`: the watch list.
    pub fn watch_line(&self, symbols: &str) -> String {
        self.pick(format!("Symbols: {symbols}"), format!("Symbole: {symbols}"))
    }

    /// `/list`: active mutes.
    pub fn mutes_line(&self, mutes: &str) -> String {
        self.pick(format!("Muted: {mutes}"), format!("Stumm: {mutes}"))
    }

    /// A command that asks for alerts turned a chat's alerts back on (plain text: also a
    /// button's notice).
    pub fn alerts_back_on(&self) -> &'static str {
        self.pick_str(
            "Alerts in this chat were off; they are on again (/stop pauses them).",
            "Meldungen waren in diesem Chat aus; sie sind wieder an (/stop pausiert sie).",
        )
    }

    /// `/list` when alerts are stopped.
    pub fn list_stopped(&self) -> &'static str {
        match self.lang {
            Lang::En => "Alerts are stopped (/start resumes them).",
            Lang::De => "Meldungen sind gestoppt (/start nimmt sie wieder auf).",
        }
    }

    /// `/list`: a rule the chat follows that is not offered now (removed; kept for when it
    /// comes back).
    pub fn rule_not_offered(&self) -> &'static str {
        match self.lang {
            Lang::En => "not offered at the moment; kept in case it returns",
            Lang::De => "derzeit nicht angeboten; bleibt, falls sie zurückkommt",
        }
    }

    /// `/list` of a chat that follows nothing.
    pub fn follows_nothing(&self) -> &'static str {
        match self.lang {
            Lang::En => "No rules yet: /start or /rules.",
            Lang::De => "Noch keine Regeln: /start oder /rules.",
        }
    }

    /// Too many symbols on the watch list.
    pub fn watch_too_many(&self, max: usize) -> String {
        self.pick(
            format!(
                "A watch list holds at most {}.",
                count(max, "symbol", "symbols")
            ),
            format!(
                "Eine Beobachtungsliste fasst höchstens {}.",
                count(max, "Symbol", "Symbole")
            ),
        )
    }

    /// The name of a language, in this language.
    pub fn lang_name(&self, lang: Lang) -> &'static str {
        match (self.lang, lang) {
            (Lang::En, Lang::En) => "English",
            (Lang::En, Lang::De) => "German",
            (Lang::De, Lang::En) => "Englisch",
            (Lang::De, Lang::De) => "Deutsch",
        }
    }

    /// A language that is not offered.
    pub fn bad_lang(&self, value: &str) -> String {
        self.pick(format!("<code>{value}</code>: the bot speaks English (<code>en</code>) and German (<code>de</code>)."), format!("<code>{value}</code>: der Bot spricht Englisch (<code>en</code>) und Deutsch (<code>de</code>)."))
    }

    /// Quiet hours that are not `HH:MM-HH:MM`.
    pub fn bad_quiet(&self, value: &str) -> String {
        self.pick(format!("<code>{value}</code> is not a time span. Example: <code>/settings quiet 22:00-07:00</code>"), format!("<code>{value}</code> ist keine Zeitspanne. Beispiel: <code>/settings quiet 22:00-07:00</code>"))
    }

    /// Digest times that are not `HH:MM,…`.
    pub fn bad_digest(&self, value: &str) -> String {
        self.pick(format!("<code>{value}</code> is not a list of times (at most 6). Example: <code>/settings digest 08:00,18:00</code>"), format!("<code>{value}</code> ist keine Liste von Uhrzeiten (höchstens 6). Beispiel: <code>/settings digest 08:00,18:00</code>"))
    }

    /// A mute longer than allowed, or a duration that is not one.
    pub fn bad_mute_duration(&self, value: &str) -> String {
        self.pick(
            format!("<code>{value}</code> is not a duration up to 30 days (like 2h, 1d, 7d)."),
            format!("<code>{value}</code> ist keine Dauer bis 30 Tage (etwa 2h, 1d, 7d)."),
        )
    }

    /// No mutes to lift.
    pub fn no_mutes(&self) -> &'static str {
        match self.lang {
            Lang::En => "Nothing is muted.",
            Lang::De => "Nichts ist stummgeschaltet.",
        }
    }

    /// A rule as a mute target.
    pub fn rule_named(&self, id: &str) -> String {
        self.pick(
            format!("Rule <code>{id}</code>"),
            format!("Regel <code>{id}</code>"),
        )
    }

    /// `/news` heading.
    pub fn news_heading(&self, symbol: &str) -> String {
        self.pick(
            format!("Latest headlines about {symbol}"),
            format!("Neueste Schlagzeilen zu {symbol}"),
        )
    }

    /// Caption of a `/chart`.
    pub fn chart_caption(&self, symbol: &str, range: &str) -> String {
        self.pick(
            format!("<b>{symbol}</b> · {range}"),
            format!("<b>{symbol}</b> · {range}"),
        )
    }

    /// A button unsubscribed the chat from a rule.
    pub fn unsubscribed_button(&self, id: &str) -> String {
        self.pick(
            format!("No longer following {id}."),
            format!("Sie folgen {id} nicht mehr."),
        )
    }

    /// Callback answer for a toggle (plain text).
    pub fn toggled(&self, id: &str, now_following: bool) -> String {
        match now_following {
            true => self.pick(format!("✅ Following {id}"), format!("✅ Sie folgen {id}")),
            false => self.pick(
                format!("▫️ No longer following {id}"),
                format!("▫️ Sie folgen {id} nicht mehr"),
            ),
        }
    }

    /// "(default)" after a rule in `/rules`.
    pub fn default_mark(&self) -> &'static str {
        match self.lang {
            Lang::En => " (default)",
            Lang::De => " (Standard)",
        }
    }

    /// Chart legend: the previous close line.
    pub fn chart_previous_close(&self) -> &'static str {
        match self.lang {
            Lang::En => "previous close",
            Lang::De => "Vortagesschluss",
        }
    }

    /// Chart legend: the headline's time.
    pub fn chart_headline(&self) -> &'static str {
        match self.lang {
            Lang::En => "headline",
            Lang::De => "Schlagzeile",
        }
    }

    /// How `drop` and `rise` are measured.
    pub fn against_previous_close(&self) -> &'static str {
        match self.lang {
            Lang::En => "against the previous close",
            Lang::De => "ggü. dem Vortagesschluss",
        }
    }

    /// A broadcast message's header.
    pub fn broadcast_header(&self) -> &'static str {
        match self.lang {
            Lang::En => "📣 Message from the bot's operator",
            Lang::De => "📣 Nachricht vom Betreiber des Bots",
        }
    }

    /// A `/broadcast` edited after it was sent: every chat has it already.
    pub fn broadcast_not_again(&self) -> &'static str {
        self.pick_str(
            "An edited /broadcast is not sent again: the chats have the message as it was. Send a new /broadcast for a correction.",
            "Ein bearbeitetes /broadcast wird nicht noch einmal gesendet: Die Chats haben die Nachricht, wie sie war. Für eine Korrektur ein neues /broadcast senden.",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A count of one is singular and any other plural, in both languages: never "1 alert(s)"
    /// or "1 Meldung(en)".
    #[test]
    fn a_count_is_singular_for_one_and_plural_otherwise() {
        assert_eq!(EN.unmuted(1), "🔊 1 mute lifted.");
        assert_eq!(EN.unmuted(2), "🔊 2 mutes lifted.");
        assert_eq!(DE.unmuted(1), "🔊 1 Stummschaltung aufgehoben.");
        assert_eq!(DE.unmuted(3), "🔊 3 Stummschaltungen aufgehoben.");
        let lifted = |n: usize| vec![("NVDA".to_string(), "then".to_string()); n];
        assert!(
            EN.mutes_lifted_at_migration(50, &lifted(1)).contains(
                "the most a chat keeps, so 1 mute was lifted:\n• NVDA — until then\n/list"
            )
        );
        assert!(
            EN.mutes_lifted_at_migration(50, &lifted(2))
                .contains("so 2 mutes were lifted:")
        );
        assert!(
            DE.mutes_lifted_at_migration(50, &lifted(1))
                .contains("daher wurde 1 Stummschaltung aufgehoben:\n• NVDA — bis then\n/list")
        );
        assert!(
            DE.mutes_lifted_at_migration(50, &lifted(2))
                .contains("daher wurden 2 Stummschaltungen aufgehoben:")
        );
        let renumbered = |n: usize| vec![(1, 4, "<code>NVDA drop 3%</code>".to_string()); n];
        assert!(
            EN.alerts_renumbered_at_migration(&renumbered(1)).contains(
                "so 1 of the group's alerts has a new number:\n• #1 is now #4: <code>NVDA drop 3%</code>\n/alerts"
            )
        );
        assert!(
            EN.alerts_renumbered_at_migration(&renumbered(2))
                .contains("so 2 of the group's alerts have new numbers:")
        );
        assert!(
            DE.alerts_renumbered_at_migration(&renumbered(1))
                .contains("daher hat 1 Alarm der Gruppe eine neue Nummer:\n• #1 ist jetzt #4:")
        );
        assert!(
            DE.alerts_renumbered_at_migration(&renumbered(2))
                .contains("daher haben 2 Alarme der Gruppe neue Nummern:")
        );
        assert_eq!(EN.broadcast_queued(1), "📣 Queued for 1 chat.");
        assert_eq!(EN.broadcast_queued(0), "📣 Queued for 0 chats.");
        assert_eq!(DE.broadcast_queued(1), "📣 Für 1 Chat eingereiht.");
        assert_eq!(DE.broadcast_queued(2), "📣 Für 2 Chats eingereiht.");
        assert_eq!(EN.digest_intro(1), "1 alert since the last digest:");
        assert_eq!(EN.digest_intro(2), "2 alerts since the last digest:");
        assert_eq!(
            DE.digest_intro(1),
            "1 Meldung seit der letzten Zusammenfassung:"
        );
        assert_eq!(
            DE.digest_intro(5),
            "5 Meldungen seit der letzten Zusammenfassung:"
        );
        // Limits an operator may set to one.
        assert!(
            EN.too_many_alerts(1)
                .starts_with("This chat already has 1 alert, ")
        );
        assert!(
            DE.too_many_alerts(1)
                .starts_with("Dieser Chat hat bereits 1 Alarm, ")
        );
        assert!(
            DE.too_many_alerts(2)
                .starts_with("Dieser Chat hat bereits 2 Alarme, ")
        );
        assert!(
            EN.symbols_per_chat(1)
                .starts_with("This chat already follows 1 symbol beyond the bot's own, ")
        );
        assert!(
            DE.symbols_per_chat(1)
                .starts_with("Dieser Chat verfolgt bereits 1 zusätzliches Symbol, ")
        );
        assert!(
            DE.symbols_per_chat(4)
                .starts_with("Dieser Chat verfolgt bereits 4 zusätzliche Symbole, ")
        );
        assert!(
            EN.symbols_overall(1)
                .starts_with("The bot already follows 1 symbol on request, ")
        );
        assert!(
            DE.symbols_overall(1)
                .starts_with("Der Bot verfolgt bereits 1 Symbol auf Wunsch, ")
        );
        let too_often = crate::personal::SpecError::TooFrequent(1);
        assert_eq!(
            EN.spec_error(&too_often),
            "alerts can repeat at most once a minute."
        );
        assert_eq!(
            DE.spec_error(&too_often),
            "Alarme können sich höchstens einmal pro Minute wiederholen."
        );
        let too_often = crate::personal::SpecError::TooFrequent(15);
        assert_eq!(
            EN.spec_error(&too_often),
            "alerts can repeat at most every 15 minutes."
        );
        for t in [&EN, &DE] {
            for n in 0..3 {
                for text in [
                    t.unmuted(n),
                    t.broadcast_queued(n),
                    t.digest_intro(n),
                    t.too_many_alerts(n),
                    t.symbols_per_chat(n),
                    t.symbols_overall(n),
                    t.watch_too_many(n),
                    t.too_many_quotes(n),
                    t.mutes_full(n),
                ] {
                    assert!(!text.contains("(s)") && !text.contains("(en)"), "{text}");
                }
            }
        }
    }

    #[test]
    fn both_languages_have_every_static_string() {
        let fields = |t: &Texts| {
            vec![
                t.why,
                t.rule,
                t.also_reported_by,
                t.pre_market,
                t.after_hours,
                t.button_why,
                t.button_mute_rule,
                t.button_unsubscribe,
                t.about,
                t.stopped,
                t.not_subscribed,
                t.only_commands,
                t.sorry,
                t.admins_only_group,
                t.admins_only_bot,
                t.no_rules,
                t.rules_footer,
                t.rules_heading,
                t.settings_heading,
                t.language,
                t.time_zone,
                t.quiet_hours,
                t.digest,
                t.off,
                t.settings_usage,
                t.list_heading,
                t.all_symbols,
                t.no_personal_alerts,
                t.alert_usage,
                t.mute_usage,
                t.watch_usage,
                t.no_quote,
                t.no_news,
                t.evidence_heading,
                t.window,
                t.price,
                t.digest_heading,
                t.alert_gone,
            ]
        };
        for (en, de) in fields(&EN).into_iter().zip(fields(&DE)) {
            assert!(!en.is_empty() && !de.is_empty());
        }
        assert_eq!(DE.percent(-2.8886), "−2,89 %");
        assert_eq!(EN.percent(1.5), "+1.50 %");
        assert_eq!(
            DE.date(chrono::NaiveDate::from_ymd_opt(2026, 1, 30).unwrap()),
            "30.01.2026"
        );
    }
}
