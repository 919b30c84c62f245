//! Alerts as messages: Telegram HTML and plain console text.
//!
//! [`escape`] is the one escaping function for Telegram HTML; every value that comes from
//! outside (headline, link, source, rule title) goes through it.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use crate::engine::{Alert, HeadlineRef};
use crate::rules::{Field, MatchedTerm, Placeholder, PriceEvidence, Segment, Template};

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

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn pct(change: f64) -> String {
    // A real minus sign reads better than a hyphen in a figure.
    let s = format!("{:+.2} %", change);
    s.replacen('-', "−", 1)
}

fn session_note(p: &PriceEvidence) -> &'static str {
    match p.session {
        Some(crate::model::Session::Pre) => " pre-market",
        Some(crate::model::Session::Post) => " after hours",
        _ => "",
    }
}

fn price_line(p: &PriceEvidence) -> String {
    match (p.change_pct, p.reference) {
        (Some(change), Some(reference)) => format!(
            "{:.2} ({}) vs {} {:.2}, at {}{}",
            p.price,
            pct(change),
            p.reference_label,
            reference,
            time(p.at),
            session_note(p)
        ),
        _ => format!(
            "{:.2} at {}{}: {}",
            p.price,
            time(p.at),
            session_note(p),
            p.condition
        ),
    }
}

/// The title with the words that matched in bold, escaped.
fn highlighted(title: &str, matched: &[MatchedTerm]) -> String {
    let mut spans: Vec<(usize, usize)> = matched
        .iter()
        .filter(|m| {
            m.field == Field::Title
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
        Some(link) => format!("<a href=\"{}\">{}</a>", escape(link), title),
        None => title,
    }
}

fn headline_html(h: &HeadlineRef, matched: &[MatchedTerm]) -> String {
    format!(
        "📰 {}\n<i>{} · {}</i>",
        headline_link(h, matched),
        escape(&h.source),
        time(h.published)
    )
}

fn symbol_head(alert: &Alert) -> String {
    match (
        &alert.symbol,
        alert.price.as_ref().and_then(|p| p.change_pct),
    ) {
        (Some(s), Some(c)) => format!("{s} {}", pct(c)),
        (Some(s), None) => s.clone(),
        (None, _) => "News".to_string(),
    }
}

fn why(alert: &Alert) -> String {
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
            parts.push(format!("{name} ({})", p.condition));
        } else {
            parts.push(name.clone());
        }
    }
    parts.join(" · ")
}

fn also_html(alert: &Alert) -> String {
    if alert.also.is_empty() {
        return String::new();
    }
    let sources: Vec<String> = alert
        .also
        .iter()
        .map(|h| match &h.link {
            Some(l) => format!("<a href=\"{}\">{}</a>", escape(l), escape(&h.source)),
            None => escape(&h.source),
        })
        .collect();
    format!("Also reported by: {}", sources.join(", "))
}

/// The alert as Telegram HTML: the rule's template if it has one, else the default layout.
pub fn alert_html(alert: &Alert, template: Option<&Template>) -> String {
    if let Some(t) = template {
        return templated(alert, t);
    }
    let mut out = String::new();
    let marker = match alert.price.as_ref().and_then(|p| p.change_pct) {
        Some(c) if c < 0.0 => "🔻",
        Some(_) => "🔺",
        None => "🔔",
    };
    let _ = writeln!(
        out,
        "{marker} <b>{}</b> · {}",
        escape(&symbol_head(alert)),
        escape(&alert.title)
    );
    if let Some(p) = &alert.price {
        let _ = writeln!(out, "{}", escape(&price_line(p)));
    }
    if let Some(h) = &alert.headline {
        let _ = writeln!(out, "\n{}", headline_html(h, &alert.matched));
    }
    let also = also_html(alert);
    if !also.is_empty() {
        let _ = writeln!(out, "{also}");
    }
    let _ = writeln!(out, "\nWhy: {}", escape(&why(alert)));
    let _ = write!(out, "Rule: <code>{}</code>", escape(&alert.rule));
    out
}

fn templated(alert: &Alert, template: &Template) -> String {
    let mut out = String::new();
    let headline = alert.headline.as_ref();
    for segment in &template.segments {
        match segment {
            Segment::Text(t) => out.push_str(t),
            Segment::Value(p) => out.push_str(&match p {
                Placeholder::Symbol => escape(alert.symbol.as_deref().unwrap_or("")),
                Placeholder::Change => alert
                    .price
                    .as_ref()
                    .and_then(|p| p.change_pct)
                    .map(pct)
                    .unwrap_or_default(),
                Placeholder::Price => alert
                    .price
                    .as_ref()
                    .map(|p| format!("{:.2}", p.price))
                    .unwrap_or_default(),
                Placeholder::Figures => alert
                    .price
                    .as_ref()
                    .map(|p| escape(&price_line(p)))
                    .unwrap_or_default(),
                Placeholder::Rule => escape(&alert.rule),
                Placeholder::Title => escape(&alert.title),
                Placeholder::Headline => headline
                    .map(|h| headline_link(h, &alert.matched))
                    .unwrap_or_default(),
                Placeholder::HeadlineText => headline.map(|h| escape(&h.title)).unwrap_or_default(),
                Placeholder::Link => headline
                    .and_then(|h| h.link.as_deref())
                    .map(escape)
                    .unwrap_or_default(),
                Placeholder::Source => headline.map(|h| escape(&h.source)).unwrap_or_default(),
                Placeholder::Published => headline.map(|h| time(h.published)).unwrap_or_default(),
                Placeholder::Why => escape(&why(alert)),
                Placeholder::Also => also_html(alert),
            }),
        }
    }
    out
}

/// The alert as plain text for the console.
pub fn alert_text(alert: &Alert) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "ALERT {} · {} [{}]",
        symbol_head(alert),
        alert.title,
        alert.rule
    );
    if let Some(p) = &alert.price {
        let _ = writeln!(out, "  price: {}", price_line(p));
    }
    if let Some(h) = &alert.headline {
        let _ = writeln!(out, "  headline: {}", h.title);
        let _ = writeln!(out, "  source: {} · {}", h.source, time(h.published));
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
    let _ = write!(out, "  why: {}", why(alert));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Severity;

    fn alert() -> Alert {
        let title = "OpenAI is unsatisfied with some Nvidia chips & looking for <alternatives>";
        Alert {
            id: 1,
            rule: "seed".into(),
            title: "Customer seeks alternatives".into(),
            severity: Severity::High,
            symbol: Some("NVDA".into()),
            fired_at: "2026-02-02T21:48:00Z".parse().unwrap(),
            headline: Some(HeadlineRef {
                title: title.into(),
                link: Some("https://example.com/a?x=1&y=\"2\"".into()),
                source: "Reuters".into(),
                published: "2026-02-02T21:47:00Z".parse().unwrap(),
            }),
            also: vec![],
            matched: vec![
                MatchedTerm {
                    selection: "customer".into(),
                    term: "openai".into(),
                    field: Field::Title,
                    text: "OpenAI".into(),
                    span: (0, 6),
                },
                MatchedTerm {
                    selection: "alternative".into(),
                    term: "alternativ*".into(),
                    field: Field::Title,
                    text: "alternatives".into(),
                    span: (60, 72),
                },
            ],
            held: vec!["customer".into(), "alternative".into(), "drop".into()],
            price: Some(PriceEvidence {
                at: "2026-02-02T21:00:00Z".parse().unwrap(),
                price: 186.25,
                session: Some(crate::model::Session::Regular),
                reference: Some(191.79),
                reference_label: "previous close (2026-01-30)".into(),
                change_pct: Some(-2.8886),
                condition: "change vs previous close (2026-01-30) <= -2%".into(),
            }),
            within_secs: 86400,
        }
    }

    #[test]
    fn html_names_rule_symbol_change_and_headline_with_escaping() {
        let html = alert_html(&alert(), None);
        assert!(
            html.starts_with("🔻 <b>NVDA −2.89 %</b> · Customer seeks alternatives\n"),
            "{html}"
        );
        assert!(html.contains("186.25 (−2.89 %) vs previous close (2026-01-30) 191.79"));
        assert!(html.contains("<a href=\"https://example.com/a?x=1&amp;y=&quot;2&quot;\"><b>OpenAI</b> is unsatisfied with some Nvidia chips &amp; looking for &lt;<b>alternatives</b>&gt;</a>"), "{html}");
        assert!(html.contains("<i>Reuters · 2026-02-02 21:47 UTC</i>"));
        assert!(html.contains("Why: customer (OpenAI) · alternative (alternatives) · drop (change vs previous close (2026-01-30) &lt;= -2%)"), "{html}");
        assert!(html.ends_with("Rule: <code>seed</code>"));
    }

    #[test]
    fn a_template_fills_escaped_values_into_the_authors_html() {
        let t =
            Template::parse("<b>{symbol}</b> {change}: {headline} [{source}] {{{rule}}}").unwrap();
        let html = alert_html(&alert(), Some(&t));
        assert!(html.starts_with("<b>NVDA</b> −2.89 %: <a href=\"https://example.com/a?x=1&amp;y=&quot;2&quot;\"><b>OpenAI</b>"), "{html}");
        assert!(html.ends_with("[Reuters] {seed}"), "{html}");
    }

    #[test]
    fn console_text_is_plain() {
        let text = alert_text(&alert());
        assert!(text.starts_with("ALERT NVDA −2.89 % · Customer seeks alternatives [seed]"));
        assert!(text.contains("  link: https://example.com/a?x=1&y=\"2\""));
        assert!(!text.contains("<b>"));
    }

    #[test]
    fn spans_outside_the_title_are_ignored() {
        let mut a = alert();
        a.matched[0].span = (500, 506);
        a.matched[1].span = (1, 2); // inside a multi-byte char? "p" – fine
        let _ = alert_html(&a, None);
        a.headline.as_mut().unwrap().title = "Ärger".into();
        a.matched[1].span = (1, 3);
        let _ = alert_html(&a, None);
    }
}
