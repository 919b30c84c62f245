//! `/history [N]`: the alerts this chat received, newest first, ten to a page with buttons to
//! turn them.

use std::fmt::Write;

use teloxide::types::InlineKeyboardMarkup;

use super::{Conversation, Reply};
use crate::delivery::render::{Locale, escape, escape_link, shorten};
use crate::i18n::texts;
use crate::store::{Store, StoreError};
use crate::telegram::keyboards::history_pages;

/// Alerts on one page.
pub const PAGE: usize = 10;
/// Alerts `/history` without a number shows.
pub const DEFAULT: usize = 10;
/// Most alerts one `/history` shows (five pages).
pub const MAX: usize = 50;
/// Most characters of a rule's title and of a headline a line shows: with its time, symbol
/// and move, a line takes at most about 350, so a page of ten stays within one message
/// (Telegram's 4096), which the page buttons can replace.
const TITLE: usize = 150;
const HEADLINE: usize = 120;

/// The count `/history` asks for: none means [`DEFAULT`]; `None` when it is not a number
/// from 1 to [`MAX`].
fn count(args: &str) -> Option<usize> {
    match args.trim() {
        "" => Some(DEFAULT),
        n => n.parse().ok().filter(|n| (1..=MAX).contains(n)),
    }
}

impl Conversation<'_> {
    pub(super) fn history(&self, args: &str) -> Result<Reply, StoreError> {
        let t = self.t();
        let Some(count) = count(args) else {
            return Ok(Reply::Text(t.history_usage(MAX)));
        };
        let (text, keyboard) =
            history_page(&self.ctx.store, self.incoming.chat, &self.locale, count, 0)?;
        Ok(match keyboard {
            Some(k) => Reply::Keyboard(text, k),
            None => Reply::Text(text),
        })
    }
}

/// Page `page` of the newest `count` alerts `chat` received, in `locale`, and the buttons to
/// the other pages (also what a press on those buttons shows).
pub fn history_page(
    store: &Store,
    chat: i64,
    locale: &Locale,
    count: usize,
    page: usize,
) -> Result<(String, Option<InlineKeyboardMarkup>), StoreError> {
    let t = texts(locale.lang);
    let count = count.clamp(1, MAX);
    let pages = count.div_ceil(PAGE);
    let page = page.min(pages - 1);
    let skip = page * PAGE;
    let (ids, more) = store.received(chat, skip, PAGE.min(count - skip))?;
    if ids.is_empty() {
        return Ok((t.history_empty().to_string(), None));
    }
    // Fewer alerts than asked for: only as many pages as there are.
    let pages = if more { pages } else { page + 1 };
    let mut out = format!("<b>{}</b>", t.history_heading(page + 1, pages));
    for id in ids {
        let Some(alert) = store.alert(id)? else {
            continue;
        };
        let mut line = format!(
            "\n\n<b>{}</b> · {}",
            locale.time(alert.fired_at),
            escape(&shorten(&alert.title, TITLE))
        );
        if let Some(symbol) = &alert.symbol {
            let _ = write!(line, " · <b>{}</b>", escape(symbol));
        }
        if let Some(change) = alert.price.as_ref().and_then(|p| p.change_pct) {
            let _ = write!(line, " {}", t.percent(change));
        }
        if let Some(h) = &alert.headline {
            let title = escape(&shorten(&h.title, HEADLINE));
            match &h.link {
                Some(link) => {
                    let _ = write!(line, "\n<a href=\"{}\">{title}</a>", escape_link(link));
                }
                None => {
                    let _ = write!(line, "\n{title}");
                }
            }
        }
        out.push_str(&line);
    }
    let keyboard = history_pages(count as u8, page as u8, pages as u8, locale.lang);
    Ok((out, keyboard))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_of_long_titles_fits_in_one_message() {
        use crate::delivery::render::{MESSAGE_LIMIT, visible_len};
        use crate::store::Step;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let now: chrono::DateTime<chrono::Utc> = "2026-02-02T21:50:00Z".parse().unwrap();
        // Rule titles and headlines of any length, with characters Telegram counts twice and
        // characters that are escaped.
        let alerts: Vec<crate::engine::Alert> = (1..=12)
            .map(|id| {
                let mut alert = crate::engine::Alert::sample(id, now);
                alert.title = format!("{id} 📉 Customers & <suppliers> ").repeat(40);
                alert.symbol = Some("A".repeat(crate::model::MAX_SYMBOL));
                if let Some(h) = alert.headline.as_mut() {
                    h.title = "OpenAI & 🤖 look elsewhere ".repeat(30);
                    h.link = Some(format!("https://news.example/{}", "a".repeat(2000)));
                }
                alert
            })
            .collect();
        store
            .commit(&Step {
                now,
                alerts,
                ..Step::default()
            })
            .unwrap();
        for id in 1..=12 {
            let sent = crate::delivery::outbox::SentMessage {
                chat: 42,
                part: 0,
                message: 1000 + id as i32,
                photo: false,
            };
            store.record_sent(id, &sent, now).unwrap();
        }
        for lang in [crate::text::Lang::En, crate::text::Lang::De] {
            let locale = Locale {
                lang,
                tz: "Europe/Berlin".parse().unwrap(),
            };
            for page in 0..2 {
                let (html, _) = history_page(&store, 42, &locale, 12, page).unwrap();
                assert!(
                    visible_len(&html) <= MESSAGE_LIMIT,
                    "page {page} in {lang:?}: {} characters",
                    visible_len(&html)
                );
                assert!(html.contains("Customers &amp; &lt;suppliers&gt;"), "{html}");
            }
        }
    }

    #[test]
    fn the_count_is_a_number_within_the_limit() {
        assert_eq!(count(""), Some(DEFAULT));
        assert_eq!(count(" 25 "), Some(25));
        assert_eq!(count("50"), Some(MAX));
        for wrong in ["0", "51", "-3", "ten", "10 20"] {
            assert_eq!(count(wrong), None, "{wrong}");
        }
    }
}
