//! Texts of `/pause`, `/resume`, `/edit`, `/history`, `/quote` with several symbols, the
//! notice of a personal alert restated for a stock split, and that of mutes a group's
//! migration lifted.

use super::{Texts, count};
use crate::chats::MuteTarget;
use crate::delivery::render::escape;
use crate::model::Split;
use crate::series::QuoteView;

/// An offset from UTC in seconds as `UTC+01:00`, `UTC−05:00` (a real minus), `UTC+05:45`.
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '\u{2212}' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

impl Texts {
    /// After an alert in `/alerts` that is paused.
    pub fn paused_mark(&self) -> &'static str {
        self.pick_str("⏸ paused", "⏸ pausiert")
    }

    /// A personal alert's price level restated for `split`, made before it (`before` and
    /// `after` are the alert's HTML summaries).
    pub fn restated_for_split(
        &self,
        split: &Split,
        number: u32,
        before: &str,
        after: &str,
    ) -> String {
        let (n, d) = split.terms();
        let symbol = escape(&split.symbol);
        self.pick(
            format!(
                "✂️ {symbol} split {n}-for-{d}; the new shares trade from {date}. Alert #{number} keeps watching the same price: it is now {after} (was {before}).",
                date = split.date.format("%-d %b %Y"),
            ),
            format!(
                "✂️ Aktiensplit bei {symbol} im Verhältnis {n}:{d}; ab {date} werden die neuen Aktien gehandelt. Alarm #{number} beobachtet weiter denselben Kurs: Er lautet jetzt {after} (vorher {before}).",
                date = split.date.format("%d.%m.%Y"),
            ),
        )
    }

    /// What a mute silences (HTML: a rule's id escaped here).
    pub fn mute_target(&self, what: &MuteTarget) -> String {
        match what {
            MuteTarget::All => self.all_alerts().to_string(),
            MuteTarget::Rule(r) => self.rule_named(&escape(r)),
            MuteTarget::Symbol(s) => escape(s),
        }
    }

    /// Told to a supergroup that took in its group's mutes: with them more than `most` were
    /// in force, so the `lifted` ones (each what it silenced, HTML, and until when) gave way.
    pub fn mutes_lifted_at_migration(&self, most: usize, lifted: &[(String, String)]) -> String {
        let n = lifted.len();
        let (head, item, foot) = match self.lang {
            crate::text::Lang::En => (
                format!(
                    "🔊 This group is a supergroup now. With the group's mutes, more than {most} were in force here, the most a chat keeps, so {} {} lifted:",
                    count(n, "mute", "mutes"),
                    if n == 1 { "was" } else { "were" }
                ),
                "until",
                "/list shows the mutes in force; /mute sets one again.",
            ),
            crate::text::Lang::De => (
                format!(
                    "🔊 Diese Gruppe ist jetzt eine Supergruppe. Mit den Stummschaltungen der Gruppe galten hier mehr als {most}, mehr hält ein Chat nicht; daher {} {} aufgehoben:",
                    if n == 1 { "wurde" } else { "wurden" },
                    count(n, "Stummschaltung", "Stummschaltungen")
                ),
                "bis",
                "/list zeigt die geltenden Stummschaltungen; /mute setzt eine wieder.",
            ),
        };
        let mut out = head;
        for (what, until) in lifted {
            out.push_str(&format!("\n• {what} — {item} {until}"));
        }
        format!("{out}\n{foot}")
    }

    /// Told to a supergroup that had personal alerts of its own when it took in its group's:
    /// the group's alerts whose numbers it used took new ones (`renumbered`: each its number in
    /// the group, its number now and what it watches, HTML).
    pub fn alerts_renumbered_at_migration(&self, renumbered: &[(u32, u32, String)]) -> String {
        let n = renumbered.len();
        let (head, is_now, foot) = match self.lang {
            crate::text::Lang::En => (
                format!(
                    "🔢 This group is a supergroup now. Personal alerts set here before used some of the group's numbers, so {n} of the group's alerts {}:",
                    if n == 1 {
                        "has a new number"
                    } else {
                        "have new numbers"
                    }
                ),
                "is now",
                "/alerts lists them all.",
            ),
            crate::text::Lang::De => (
                format!(
                    "🔢 Diese Gruppe ist jetzt eine Supergruppe. Hier zuvor gesetzte Alarme trugen schon Nummern von Alarmen der Gruppe; daher {} {} der Gruppe {}:",
                    if n == 1 { "hat" } else { "haben" },
                    count(n, "Alarm", "Alarme"),
                    if n == 1 {
                        "eine neue Nummer"
                    } else {
                        "neue Nummern"
                    }
                ),
                "ist jetzt",
                "/alerts zeigt alle.",
            ),
        };
        let mut out = head;
        for (was, number, what) in renumbered {
            out.push_str(&format!("\n• #{was} {is_now} #{number}: {what}"));
        }
        format!("{out}\n{foot}")
    }

    /// A time zone set: its name, the date and time there now and its offset from UTC, so a
    /// wrong zone shows at once. IANA's `Etc/GMT+N` names have the sign the other way round
    /// (`Etc/GMT+1` is UTC−01:00): for those, a word on the name for the other side.
    pub fn zone_set(&self, name: &str, now: chrono::DateTime<chrono_tz::Tz>) -> String {
        use chrono::Offset;
        let offset = utc_offset(now.offset().fix().local_minus_utc());
        let (date, time) = (self.date(now.date_naive()), now.format("%H:%M"));
        let name = escape(name);
        let mut out = self.pick(
            format!("✅ Time zone: {name} — now {date} {time} there ({offset})"),
            format!("✅ Zeitzone: {name} — dort ist es jetzt {date}, {time} Uhr ({offset})"),
        );
        let reversed = name
            .strip_prefix("Etc/GMT")
            .and_then(|n| match n.split_at_checked(1)? {
                ("+", hours) => Some(format!("Etc/GMT-{hours}")),
                ("-", hours) => Some(format!("Etc/GMT+{hours}")),
                _ => None,
            })
            .filter(|_| now.offset().fix().local_minus_utc() != 0);
        if let Some(other) = reversed {
            let wanted = utc_offset(-now.offset().fix().local_minus_utc());
            out.push_str(&self.pick(
                format!("\nMind the sign: in the Etc/GMT names it is the other way round, so {name} is {offset}. For {wanted} write <code>/settings tz {other}</code>, or better a city such as <code>Europe/Berlin</code>, which also follows summer time."),
                format!("\nAchtung beim Vorzeichen: In den Etc/GMT-Namen ist es umgekehrt, {name} ist also {offset}. Für {wanted} schreiben Sie <code>/settings tz {other}</code>, besser noch eine Stadt wie <code>Europe/Berlin</code>, die auch die Sommerzeit kennt."),
            ));
        }
        out
    }

    /// `/pause` or `/resume` without a number.
    pub fn pause_usage(&self, pause: bool) -> String {
        let cmd = if pause { "pause" } else { "resume" };
        self.pick(
            format!("Which alert? Example: <code>/{cmd} 1</code> (numbers from /alerts)"),
            format!("Welcher Alarm? Beispiel: <code>/{cmd} 1</code> (Nummern aus /alerts)"),
        )
    }

    /// An alert paused or resumed.
    pub fn paused(&self, number: u32, paused: bool) -> String {
        match paused {
            true => self.pick(
                format!("⏸ Alert #{number} paused: it stays, but does not fire. /resume {number} turns it on again."),
                format!("⏸ Alarm #{number} pausiert: Er bleibt, löst aber nicht aus. /resume {number} schaltet ihn wieder ein."),
            ),
            false => self.pick(
                format!("▶️ Alert #{number} is on again."),
                format!("▶️ Alarm #{number} ist wieder eingeschaltet."),
            ),
        }
    }

    /// `/pause` of a paused alert, `/resume` of one that runs.
    pub fn already_paused(&self, number: u32, paused: bool) -> String {
        match paused {
            true => self.pick(
                format!("Alert #{number} is paused already. /resume {number} turns it on."),
                format!("Alarm #{number} ist schon pausiert. /resume {number} schaltet ihn ein."),
            ),
            false => self.pick(
                format!("Alert #{number} is not paused."),
                format!("Alarm #{number} ist nicht pausiert."),
            ),
        }
    }

    /// `/edit` without a number or a new alert.
    pub fn edit_usage(&self) -> String {
        self.pick(
            "Which alert, and what should it be? Example: <code>/edit 1 NVDA drop 5%</code> (numbers from /alerts)".into(),
            "Welcher Alarm, und wie soll er lauten? Beispiel: <code>/edit 1 NVDA fällt 5%</code> (Nummern aus /alerts)".into(),
        )
    }

    /// An alert changed (`summary` is HTML).
    pub fn edited(&self, number: u32, summary: &str) -> String {
        self.pick(
            format!("✏️ Alert #{number} is now {summary}."),
            format!("✏️ Alarm #{number} lautet jetzt {summary}."),
        )
    }

    /// `/history` with a count that is not one.
    pub fn history_usage(&self, max: usize) -> String {
        self.pick(
            format!("How many? Example: <code>/history 20</code> (1 to {max}; without a number the last 10)"),
            format!("Wie viele? Beispiel: <code>/history 20</code> (1 bis {max}; ohne Zahl die letzten 10)"),
        )
    }

    /// `/history` of a chat that received nothing (kept for 30 days).
    pub fn history_empty(&self) -> &'static str {
        self.pick_str(
            "No alerts here in the last 30 days.",
            "Hier gab es in den letzten 30 Tagen keine Meldungen.",
        )
    }

    /// The heading of a page of `/history`.
    pub fn history_heading(&self, page: usize, pages: usize) -> String {
        match (self.lang, pages) {
            (crate::text::Lang::En, 1) => "Recent alerts".into(),
            (crate::text::Lang::De, 1) => "Letzte Meldungen".into(),
            (crate::text::Lang::En, _) => format!("Recent alerts ({page}/{pages})"),
            (crate::text::Lang::De, _) => format!("Letzte Meldungen ({page}/{pages})"),
        }
    }

    /// The button to newer alerts.
    pub fn button_newer(&self) -> &'static str {
        self.pick_str("◀ Newer", "◀ Neuere")
    }

    /// The button to older alerts.
    pub fn button_older(&self) -> &'static str {
        self.pick_str("Older ▶", "Ältere ▶")
    }

    /// `/quote` with a word that is no symbol, and more than one symbol asked for.
    pub fn quotes_usage(&self) -> &'static str {
        self.pick_str(
            "Example: <code>/quote NVDA</code> or <code>/quote NVDA AMD TSM</code>",
            "Beispiel: <code>/quote NVDA</code> oder <code>/quote NVDA AMD TSM</code>",
        )
    }

    /// `/quote` with too many symbols.
    pub fn too_many_quotes(&self, max: usize) -> String {
        self.pick(
            format!(
                "At most {} at once. Example: <code>/quote NVDA AMD TSM</code>",
                super::count(max, "symbol", "symbols")
            ),
            format!(
                "Höchstens {} auf einmal. Beispiel: <code>/quote NVDA AMD TSM</code>",
                super::count(max, "Symbol", "Symbole")
            ),
        )
    }

    /// One symbol's line of a `/quote` of several (`at`: when the price became known).
    pub fn quote_line(&self, symbol: &str, q: &QuoteView, at: &str) -> String {
        let currency = q.currency.as_deref();
        let mut out = format!("<b>{symbol}</b> {}", self.price_in(q.last, currency));
        if let Some(c) = q.change_pct {
            out.push_str(&format!(" ({})", self.percent(c)));
        }
        if let Some((price, session)) = q.extended {
            let when = if session == crate::model::Session::Pre {
                self.pre_market
            } else {
                self.after_hours
            };
            out.push_str(&format!(" · {} {when}", self.price_in(price, currency)));
        }
        out.push_str(&format!(" · {at}"));
        out
    }

    /// A symbol of a `/quote` of several that the quote provider does not know.
    pub fn quote_unknown(&self, symbol: &str) -> String {
        self.pick(
            format!("<b>{symbol}</b> — unknown symbol"),
            format!("<b>{symbol}</b> — unbekanntes Symbol"),
        )
    }

    /// A symbol of a `/quote` of several without a price yet.
    pub fn quote_missing(&self, symbol: &str) -> String {
        self.pick(
            format!("<b>{symbol}</b> — no price yet"),
            format!("<b>{symbol}</b> — noch kein Kurs"),
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::i18n::texts;
    use crate::text::Lang;

    /// IANA's `Etc/GMT+1` is UTC−01:00: the answer shows the time there and the offset, and
    /// says how the sign of those names goes.
    #[test]
    fn a_zone_set_is_shown_with_its_time_now_and_its_offset() {
        let now: chrono::DateTime<chrono::Utc> = "2026-02-02T21:50:00Z".parse().unwrap();
        let at = |zone: &str| now.with_timezone(&zone.parse::<chrono_tz::Tz>().unwrap());
        let (en, de) = (texts(Lang::En), texts(Lang::De));
        let gmt = en.zone_set("Etc/GMT+1", at("Etc/GMT+1"));
        assert!(
            gmt.starts_with(
                "✅ Time zone: Etc/GMT+1 — now 2026-02-02 20:50 there (UTC−01:00)\nMind the sign"
            ) && gmt.contains(
                "so Etc/GMT+1 is UTC−01:00. For UTC+01:00 write <code>/settings tz Etc/GMT-1</code>"
            ),
            "{gmt}"
        );
        assert_eq!(
            en.zone_set("Europe/Berlin", at("Europe/Berlin")),
            "✅ Time zone: Europe/Berlin — now 2026-02-02 22:50 there (UTC+01:00)"
        );
        assert_eq!(
            de.zone_set("Asia/Kathmandu", at("Asia/Kathmandu")),
            "✅ Zeitzone: Asia/Kathmandu — dort ist es jetzt 03.02.2026, 03:35 Uhr (UTC+05:45)"
        );
        assert_eq!(
            en.zone_set("America/St_Johns", at("America/St_Johns")),
            "✅ Time zone: America/St_Johns — now 2026-02-02 18:20 there (UTC−03:30)"
        );
        let de_gmt = de.zone_set("Etc/GMT-14", at("Etc/GMT-14"));
        assert!(
            de_gmt.starts_with("✅ Zeitzone: Etc/GMT-14 — dort ist es jetzt 03.02.2026, 11:50 Uhr (UTC+14:00)\nAchtung")
                && de_gmt.contains("/settings tz Etc/GMT+14"),
            "{de_gmt}"
        );
        // No word on the sign where there is none to mind.
        for zone in ["Etc/GMT", "Etc/GMT+0", "UTC"] {
            assert!(!en.zone_set(zone, at(zone)).contains("Mind"), "{zone}");
        }
    }
}
