//! Texts of `/pause`, `/resume`, `/edit`, `/history`, `/quote` with several symbols, and the
//! notice of a personal alert restated for a stock split.

use super::Texts;
use crate::delivery::render::escape;
use crate::model::Split;
use crate::series::QuoteView;

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
            format!("At most {max} symbols at once. Example: <code>/quote NVDA AMD TSM</code>"),
            format!(
                "Höchstens {max} Symbole auf einmal. Beispiel: <code>/quote NVDA AMD TSM</code>"
            ),
        )
    }

    /// One symbol's line of a `/quote` of several (`at`: when the price became known).
    pub fn quote_line(&self, symbol: &str, q: &QuoteView, at: &str) -> String {
        let mut out = format!("<b>{symbol}</b> {}", self.price(q.last));
        if let Some(c) = q.change_pct {
            out.push_str(&format!(" ({})", self.percent(c)));
        }
        if let Some((price, session)) = q.extended {
            let when = if session == crate::model::Session::Pre {
                self.pre_market
            } else {
                self.after_hours
            };
            out.push_str(&format!(" · {} {when}", self.price(price)));
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
