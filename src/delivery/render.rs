//! Alerts as messages: Telegram HTML in the chat's language and time zone, plain console text,
//! photo captions, the "why?" evidence, and long messages split at safe places.
//!
//! [`escape`] is the one escaping function for Telegram HTML; every value that comes from
//! outside (headline, link, source, rule title) goes through it.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::engine::{Alert, HeadlineRef};
use crate::i18n::{EN, Texts, texts};
use crate::rules::{Field, MatchedTerm, Placeholder, Segment, Template};
use crate::text::Lang;

/// Telegram's limit for a message text.
pub const MESSAGE_LIMIT: usize = 4096;
/// Telegram's limit for a photo caption.
pub const CAPTION_LIMIT: usize = 1024;

/// How a chat wants to read: its language and time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Locale {
    /// Language.
    pub lang: Lang,
    /// Time zone for times.
    pub tz: Tz,
}

impl Locale {
    /// English, UTC: the console and chats that set nothing.
    pub const DEFAULT: Locale = Locale {
        lang: Lang::En,
        tz: Tz::UTC,
    };

    fn texts(&self) -> &'static Texts {
        texts(self.lang)
    }

    /// A time in the chat's zone, named as its charts name it (see [`Texts::time`]):
    /// `2026-02-02 22:47 CET` / `02.02.2026 22:47 MEZ`.
    pub fn time(&self, t: DateTime<Utc>) -> String {
        self.texts().time(t, self.tz)
    }
}

/// Escapes text for Telegram's HTML parse mode (also safe inside attribute values).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a link for an `href` (any attribute value): as [`escape`], and its apostrophes
/// too, so an attribute an author quoted with apostrophes (`href='{link}'`) ends where the
/// link ends. Telegram reads numeric entities.
pub fn escape_link(link: &str) -> String {
    escape(link).replace('\'', "&#39;")
}

/// The title with the words that matched in bold, escaped.
fn highlighted(title: &str, matched: &[MatchedTerm]) -> String {
    let mut spans: Vec<(usize, usize)> = matched
        .iter()
        .filter(|m| {
            m.field == Field::Title
                && m.span.0 <= m.span.1
                && m.span.1 <= title.len()
                && title.is_char_boundary(m.span.0)
                && title.is_char_boundary(m.span.1)
        })
        .map(|m| m.span)
        .collect();
    spans.sort_unstable();
    let mut out = String::new();
    let mut at = 0;
    for (start, end) in spans {
        if start < at {
            continue; // overlapping terms: the first one is already bold
        }
        out.push_str(&escape(&title[at..start]));
        let _ = write!(out, "<b>{}</b>", escape(&title[start..end]));
        at = end;
    }
    out.push_str(&escape(&title[at..]));
    out
}

fn headline_link(h: &HeadlineRef, matched: &[MatchedTerm]) -> String {
    let title = highlighted(&h.title, matched);
    match &h.link {
        Some(link) => format!("<a href=\"{}\">{}</a>", escape_link(link), title),
        None => title,
    }
}

fn headline_html(h: &HeadlineRef, matched: &[MatchedTerm], locale: &Locale) -> String {
    format!(
        "📰 {}\n<i>{} · {}</i>",
        headline_link(h, matched),
        escape(&h.source),
        locale.time(h.published)
    )
}

fn symbol_head(alert: &Alert, t: &Texts) -> String {
    match (
        &alert.symbol,
        alert.price.as_ref().and_then(|p| p.change_pct),
    ) {
        (Some(s), Some(c)) => format!("{s} {}", t.percent(c)),
        (Some(s), None) => s.clone(),
        (None, _) => "News".to_string(),
    }
}

fn why(alert: &Alert, t: &Texts) -> String {
    let mut parts = Vec::new();
    for name in &alert.held {
        let mut words: Vec<&str> = alert
            .matched
            .iter()
            .filter(|m| &m.selection == name)
            .map(|m| m.text.as_str())
            .collect();
        words.dedup();
        if !words.is_empty() {
            parts.push(format!("{name} ({})", words.join(", ")));
        } else if let Some(p) = &alert.price {
            parts.push(format!("{name} ({})", t.condition(p)));
        } else {
            parts.push(name.clone());
        }
    }
    parts.join(" · ")
}

fn also_html(alert: &Alert, t: &Texts) -> String {
    if alert.also.is_empty() {
        return String::new();
    }
    let sources: Vec<String> = alert
        .also
        .iter()
        .map(|h| match &h.link {
            Some(l) => format!("<a href=\"{}\">{}</a>", escape_link(l), escape(&h.source)),
            None => escape(&h.source),
        })
        .collect();
    format!("{}: {}", t.also_reported_by, sources.join(", "))
}

fn marker(alert: &Alert) -> &'static str {
    match alert.price.as_ref().and_then(|p| p.change_pct) {
        Some(c) if c < 0.0 => "🔻",
        Some(_) => "🔺",
        None => "🔔",
    }
}

/// The alert as Telegram HTML: the rule's template if it has one, else the default layout.
pub fn alert_html(alert: &Alert, template: Option<&Template>, locale: &Locale) -> String {
    if let Some(tpl) = template {
        return templated(alert, tpl, locale);
    }
    let t = locale.texts();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} <b>{}</b> · {}",
        marker(alert),
        escape(&symbol_head(alert, t)),
        escape(&alert.title)
    );
    if let Some(p) = &alert.price {
        let _ = writeln!(out, "{}", escape(&t.price_line(p, &locale.time(p.at))));
    }
    if let Some(h) = &alert.headline {
        let _ = writeln!(out, "\n{}", headline_html(h, &alert.matched, locale));
    }
    let also = also_html(alert, t);
    if !also.is_empty() {
        let _ = writeln!(out, "{also}");
    }
    let _ = writeln!(out, "\n{}: {}", t.why, escape(&why(alert, t)));
    let _ = write!(out, "{}: <code>{}</code>", t.rule, escape(&alert.rule));
    out
}

/// A short version for a photo caption: at most [`CAPTION_LIMIT`] characters, never cut
/// inside a tag or entity.
pub fn alert_caption(alert: &Alert, template: Option<&Template>, locale: &Locale) -> String {
    let full = alert_html(alert, template, locale);
    if visible_len(&full) <= CAPTION_LIMIT {
        return full;
    }
    let t = locale.texts();
    let mut out = format!(
        "{} <b>{}</b> · {}",
        marker(alert),
        escape(&symbol_head(alert, t)),
        escape(&alert.title)
    );
    if let Some(h) = &alert.headline {
        let _ = write!(out, "\n📰 {}", headline_link(h, &alert.matched));
    }
    let _ = write!(out, "\n{}: <code>{}</code>", t.rule, escape(&alert.rule));
    match split_html(&out, CAPTION_LIMIT).into_iter().next() {
        Some(first) => first,
        None => out,
    }
}

fn templated(alert: &Alert, template: &Template, locale: &Locale) -> String {
    let t = locale.texts();
    let mut out = String::new();
    let headline = alert.headline.as_ref();
    for segment in &template.segments {
        match segment {
            Segment::Text(s) => out.push_str(s),
            Segment::Value(p) => out.push_str(&match p {
                Placeholder::Symbol => escape(alert.symbol.as_deref().unwrap_or("")),
                Placeholder::Change => alert
                    .price
                    .as_ref()
                    .and_then(|p| p.change_pct)
                    .map(|c| t.percent(c))
                    .unwrap_or_default(),
                Placeholder::Price => alert
                    .price
                    .as_ref()
                    .map(|p| escape(&t.price_in(p.price, p.currency.as_deref())))
                    .unwrap_or_default(),
                Placeholder::Figures => alert
                    .price
                    .as_ref()
                    .map(|p| escape(&t.price_line(p, &locale.time(p.at))))
                    .unwrap_or_default(),
                Placeholder::Rule => escape(&alert.rule),
                Placeholder::Title => escape(&alert.title),
                Placeholder::Headline => headline
                    .map(|h| headline_link(h, &alert.matched))
                    .unwrap_or_default(),
                Placeholder::HeadlineText => headline.map(|h| escape(&h.title)).unwrap_or_default(),
                Placeholder::Link => headline
                    .and_then(|h| h.link.as_deref())
                    .map(escape_link)
                    .unwrap_or_default(),
                Placeholder::Source => headline.map(|h| escape(&h.source)).unwrap_or_default(),
                Placeholder::Published => headline
                    .map(|h| locale.time(h.published))
                    .unwrap_or_default(),
                Placeholder::Why => escape(&why(alert, t)),
                Placeholder::Also => also_html(alert, t),
            }),
        }
    }
    unlink_empty_anchors(&out)
}

/// `html` with every anchor that leads nowhere — its `href` empty or missing, as the author's
/// `<a href="{link}">` is for a headline without a link — replaced by its text: Telegram
/// refuses such an anchor, or shows a link that opens nothing.
fn unlink_empty_anchors(html: &str) -> String {
    let units = units(html);
    // For each anchor open: whether its tags are left out.
    let mut open: Vec<bool> = Vec::new();
    let mut out = String::with_capacity(html.len());
    for unit in units {
        match unit {
            Unit::Tag(tag) => {
                let inner = tag.trim_start_matches('<').trim_end_matches('>').trim();
                let name = inner
                    .trim_start_matches('/')
                    .split_whitespace()
                    .next()
                    .unwrap_or("");
                if !name.eq_ignore_ascii_case("a") {
                    out.push_str(tag);
                } else if inner.starts_with('/') {
                    if !open.pop().unwrap_or(false) {
                        out.push_str(tag);
                    }
                } else {
                    let nowhere = href(inner).is_none_or(|h| h.trim().is_empty());
                    open.push(nowhere);
                    if !nowhere {
                        out.push_str(tag);
                    }
                }
            }
            Unit::Entity(e) => out.push_str(e),
            Unit::Char(c) => out.push(c),
        }
    }
    out
}

/// The value of the `href` attribute of a tag's inside (`a href="…"`), quoted with `"` or `'`
/// or not at all.
fn href(inner: &str) -> Option<&str> {
    let lower = inner.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("href") {
        let start = from + at;
        from = start + 4;
        // A whole attribute name, not the end of another one.
        if !lower[..start].ends_with(char::is_whitespace) {
            continue;
        }
        let Some(value) = inner[from..].trim_start().strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        return Some(match value.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let value = &value[1..];
                &value[..value.find(q).unwrap_or(value.len())]
            }
            _ => &value[..value.find(char::is_whitespace).unwrap_or(value.len())],
        });
    }
    None
}

/// The evidence of one alert, for the "why?" button: the selections that held, the words that
/// matched and where, the price figures, and the window.
pub fn why_html(alert: &Alert, locale: &Locale) -> String {
    let t = locale.texts();
    let mut out = format!(
        "<b>{}</b> · <code>{}</code>\n",
        t.evidence_heading,
        escape(&alert.rule)
    );
    for name in &alert.held {
        let words: Vec<String> = alert
            .matched
            .iter()
            .filter(|m| &m.selection == name)
            .map(|m| {
                format!(
                    "“{}” ({}, {} {}–{})",
                    escape(&m.text),
                    escape(&m.term),
                    m.field.name(),
                    m.span.0,
                    m.span.1
                )
            })
            .collect();
        if !words.is_empty() {
            let _ = writeln!(out, "• <b>{}</b>: {}", escape(name), words.join("; "));
        } else if let Some(p) = &alert.price {
            let _ = writeln!(
                out,
                "• <b>{}</b>: {}",
                escape(name),
                escape(&t.condition(p))
            );
        }
    }
    if let Some(p) = &alert.price {
        let _ = writeln!(
            out,
            "• {}: {}",
            t.price,
            escape(&t.price_line(p, &locale.time(p.at)))
        );
    }
    if let Some(h) = &alert.headline {
        let _ = writeln!(
            out,
            "• 📰 {} ({})",
            escape(&h.title),
            locale.time(h.published)
        );
    }
    if alert.within_secs > 0 && alert.headline.is_some() && alert.price.is_some() {
        let _ = writeln!(out, "• {}: ±{}", t.window, t.span(alert.within_secs));
    }
    out.trim_end().to_string()
}

/// A digest: the alerts collected for a chat since its last digest, one short entry each.
pub fn digest_html(alerts: &[Alert], locale: &Locale) -> String {
    let t = locale.texts();
    let mut out = format!(
        "🗞 <b>{}</b> · {}\n",
        t.digest_heading,
        escape(&t.digest_intro(alerts.len()))
    );
    for alert in alerts {
        let _ = write!(
            out,
            "\n{} <b>{}</b> · {} · {}",
            marker(alert),
            escape(&symbol_head(alert, t)),
            escape(&alert.title),
            locale.time(alert.fired_at)
        );
        if let Some(h) = &alert.headline {
            let _ = write!(
                out,
                "\n📰 {} <i>({})</i>",
                headline_link(h, &alert.matched),
                escape(&h.source)
            );
        }
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// The alert as plain text for the console (English, UTC).
pub fn alert_text(alert: &Alert) -> String {
    let locale = Locale::DEFAULT;
    let t = &EN;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "ALERT {} · {} [{}]",
        symbol_head(alert, t),
        alert.title,
        alert.rule
    );
    if let Some(p) = &alert.price {
        let _ = writeln!(out, "  price: {}", t.price_line(p, &locale.time(p.at)));
    }
    if let Some(h) = &alert.headline {
        let _ = writeln!(out, "  headline: {}", h.title);
        let _ = writeln!(out, "  source: {} · {}", h.source, locale.time(h.published));
        if let Some(l) = &h.link {
            let _ = writeln!(out, "  link: {l}");
        }
    }
    for h in &alert.also {
        let _ = writeln!(
            out,
            "  also reported by: {}{}",
            h.source,
            h.link
                .as_deref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default()
        );
    }
    let _ = write!(out, "  why: {}", why(alert, t));
    out
}

/// A later copy of an alert's story, as a console line.
pub fn also_text(alert: &Alert, copy: &HeadlineRef) -> String {
    format!(
        "ALSO {} [{}]: {} · {}{}",
        alert.symbol.as_deref().unwrap_or("News"),
        alert.rule,
        copy.source,
        copy.title,
        copy.link
            .as_deref()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default()
    )
}

/// Telegram HTML as the reader sees it: tags dropped, entities decoded (callback answers,
/// which Telegram shows unparsed; rule examples, which compare text).
pub fn plain_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    html_escape::decode_html_entities(&out).into_owned()
}

/// How long a message is as Telegram counts it: characters after entity parsing (tags do not
/// count, an entity counts as one).
pub fn visible_len(html: &str) -> usize {
    units(html).iter().map(visible).sum()
}

/// Plain `text` (not yet escaped) in at most `limit` characters as Telegram counts them,
/// ending in "…" where it was cut (at a space, if there is one in its last fifth).
pub fn shorten(text: &str, limit: usize) -> String {
    let units = |s: &str| s.encode_utf16().count();
    if units(text) <= limit {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        // Room for the ellipsis (one unit) after it.
        if used + c.len_utf16() + 1 > limit {
            break;
        }
        used += c.len_utf16();
        out.push(c);
    }
    if let Some(space) = out.rfind(' ')
        && units(&out[space..]) <= limit / 5
    {
        out.truncate(space);
    }
    let kept = out.trim_end().len();
    out.truncate(kept);
    out.push('…');
    out
}

/// A place a message may be cut: the unit index after it, the tags open there, and whether
/// it is a line break.
type Cut = (usize, Vec<(String, String)>, bool);

/// One piece of Telegram HTML: a tag, an entity, or a character.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Unit<'a> {
    Tag(&'a str),
    Entity(&'a str),
    Char(char),
}

fn units(html: &str) -> Vec<Unit<'_>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < html.len() {
        let c = html[i..].chars().next().expect("in bounds");
        let (unit, len) = match c {
            '<' => {
                let end = html[i..].find('>').map_or(html.len() - i, |e| e + 1);
                (Unit::Tag(&html[i..i + end]), end)
            }
            '&' => match html[i..].find(';').filter(|e| *e <= 10) {
                Some(e) => (Unit::Entity(&html[i..i + e + 1]), e + 1),
                None => (Unit::Char('&'), 1),
            },
            c => (Unit::Char(c), c.len_utf8()),
        };
        out.push(unit);
        i += len;
    }
    out
}

fn visible(unit: &Unit<'_>) -> usize {
    match unit {
        Unit::Tag(_) => 0,
        // A numeric entity can stand for a character outside the BMP: two UTF-16 units.
        Unit::Entity(e) => entity_char(e).map_or(1, char::len_utf16),
        Unit::Char(c) => c.len_utf16(),
    }
}

/// The character an entity stands for, if it is one Telegram decodes.
fn entity_char(entity: &str) -> Option<char> {
    let decoded = html_escape::decode_html_entities(entity);
    let mut chars = decoded.chars();
    // A decoded entity is one character; anything longer was left as it was.
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

/// Whether the units show anything but whitespace: Telegram refuses a message that does
/// not ("message text is empty").
fn shows_text(units: &[Unit<'_>]) -> bool {
    units.iter().any(|u| match u {
        Unit::Tag(_) => false,
        Unit::Entity(e) => entity_char(e).is_none_or(|c| !c.is_whitespace()),
        Unit::Char(c) => !c.is_whitespace(),
    })
}

/// Splits Telegram HTML into messages of at most `limit` visible characters. Cuts fall on
/// line breaks where possible, else on spaces, else anywhere — but never inside a tag or an
/// entity; tags open at a cut are closed before it and reopened after it. A part would be
/// refused if it showed nothing but whitespace, so there is none: blank HTML has no parts.
pub fn split_html(html: &str, limit: usize) -> Vec<String> {
    // Room for the tags reopened at the start of a part (they do not count, but keep a margin).
    let limit = limit.max(32);
    let units = units(html);
    let mut parts = Vec::new();
    let mut open: Vec<(String, String)> = Vec::new();
    let mut start = 0; // first unit of the current part
    let mut prefix: Vec<(String, String)> = Vec::new(); // tags reopened at its start
    let mut count = 0;
    // Best cut so far in the current part: (unit index after it, open tags there, newline?).
    let mut cut: Option<Cut> = None;
    let mut i = 0;
    while i < units.len() {
        let unit = units[i];
        let v = visible(&unit);
        if v > 0 && count + v > limit && i > start {
            let (at, tags) = match cut.take() {
                Some((at, tags, _)) if at > start => (at, tags),
                _ => (i, open.clone()),
            };
            // A stretch of nothing but whitespace (and tags) longer than a message is not
            // a message of its own.
            if shows_text(&units[start..at]) {
                parts.push(render_part(&prefix, &units[start..at], &tags));
            }
            // Skip whitespace at the start of the next part.
            let mut next = at;
            while next < units.len() && matches!(units[next], Unit::Char(' ' | '\n')) {
                next += 1;
            }
            start = next;
            prefix = tags.clone();
            open = tags;
            count = 0;
            i = start;
            continue;
        }
        if let Unit::Tag(tag) = unit {
            apply_tag(&mut open, tag);
        }
        count += v;
        i += 1;
        if let Unit::Char(c @ (' ' | '\n')) = unit {
            let newline = c == '\n';
            if newline
                || cut
                    .as_ref()
                    .is_none_or(|(_, _, was_newline)| !was_newline || count > limit / 2)
            {
                cut = Some((i, open.clone(), newline));
            }
        }
    }
    if shows_text(&units[start.min(units.len())..]) {
        parts.push(render_part(&prefix, &units[start..], &open));
    }
    parts
}

fn render_part(
    prefix: &[(String, String)],
    units: &[Unit<'_>],
    open_at_end: &[(String, String)],
) -> String {
    let mut out: String = prefix.iter().map(|(_, opening)| opening.as_str()).collect();
    for u in units {
        match u {
            Unit::Tag(s) | Unit::Entity(s) => out.push_str(s),
            Unit::Char(c) => out.push(*c),
        }
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    for (name, _) in open_at_end.iter().rev() {
        let _ = write!(out, "</{name}>");
    }
    out
}

fn apply_tag(open: &mut Vec<(String, String)>, tag: &str) {
    let inner = tag.trim_start_matches('<').trim_end_matches('>');
    if let Some(name) = inner.strip_prefix('/') {
        if let Some(pos) = open.iter().rposition(|(n, _)| n == name.trim()) {
            open.remove(pos);
        }
    } else if !inner.ends_with('/') {
        let name = inner.split_whitespace().next().unwrap_or("").to_string();
        if !name.is_empty() {
            open.push((name, tag.to_string()));
        }
    }
}

#[cfg(test)]
mod tests;
