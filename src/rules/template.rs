//! Message templates: `[message] template = "…{symbol}…"` in a rule file.
//!
//! The template's own text is Telegram HTML written by the rule author and used as is; every
//! placeholder is filled with an escaped value when the alert is rendered
//! (`delivery::render`). `{{` and `}}` stand for literal braces.

use crate::problem::closest;

/// A value a template can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placeholder {
    /// The symbol (`NVDA`).
    Symbol,
    /// The change in percent (`−2.81 %`).
    Change,
    /// The price that satisfied the rule.
    Price,
    /// The price line: price, change, reference, time.
    Figures,
    /// The rule's id.
    Rule,
    /// The rule's title.
    Title,
    /// The headline with matched words in bold, linked.
    Headline,
    /// The headline as plain text.
    HeadlineText,
    /// The headline's link.
    Link,
    /// The headline's publisher.
    Source,
    /// When the headline was published.
    Published,
    /// The selections that held and what made them hold.
    Why,
    /// Other sources of the same story.
    Also,
}

const NAMES: &[(&str, Placeholder)] = &[
    ("symbol", Placeholder::Symbol),
    ("change", Placeholder::Change),
    ("price", Placeholder::Price),
    ("figures", Placeholder::Figures),
    ("rule", Placeholder::Rule),
    ("title", Placeholder::Title),
    ("headline", Placeholder::Headline),
    ("headline_text", Placeholder::HeadlineText),
    ("link", Placeholder::Link),
    ("source", Placeholder::Source),
    ("published", Placeholder::Published),
    ("why", Placeholder::Why),
    ("also", Placeholder::Also),
];

/// One piece of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Literal HTML.
    Text(String),
    /// A value.
    Value(Placeholder),
}

/// A parsed template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// The pieces, in order.
    pub segments: Vec<Segment>,
}

/// A problem in a template: byte range and message.
#[derive(Debug, PartialEq, Eq)]
pub struct TemplateError {
    /// Byte range in the template text.
    pub span: (usize, usize),
    /// What is wrong.
    pub message: String,
    /// What to try.
    pub hint: Option<String>,
}

impl Template {
    /// Parses a template.
    pub fn parse(src: &str) -> Result<Template, TemplateError> {
        let mut segments = Vec::new();
        let mut text = String::new();
        let mut rest = src;
        let mut offset = 0;
        while let Some(i) = rest.find(['{', '}']) {
            text.push_str(&rest[..i]);
            let brace = &rest[i..];
            if brace.starts_with("{{") || brace.starts_with("}}") {
                text.push_str(&brace[..1]);
                offset += i + 2;
                rest = &brace[2..];
                continue;
            }
            if brace.starts_with('}') {
                return Err(TemplateError {
                    span: (offset + i, offset + i + 1),
                    message: "unmatched `}` in template".into(),
                    hint: Some("write `}}` for a literal brace".into()),
                });
            }
            let Some(end) = brace.find('}') else {
                return Err(TemplateError {
                    span: (offset + i, offset + i + 1),
                    message: "this `{` is never closed".into(),
                    hint: Some("write `{{` for a literal brace".into()),
                });
            };
            let name = brace[1..end].trim();
            let Some((_, p)) = NAMES.iter().find(|(n, _)| *n == name) else {
                let known: Vec<String> = NAMES.iter().map(|(n, _)| n.to_string()).collect();
                return Err(TemplateError {
                    span: (offset + i, offset + i + end + 1),
                    message: format!("unknown placeholder `{{{name}}}`"),
                    hint: Some(match closest(name, &known) {
                        Some(c) => format!("did you mean `{{{c}}}`?"),
                        None => format!(
                            "known: {}",
                            known
                                .iter()
                                .map(|k| format!("{{{k}}}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    }),
                });
            };
            if !text.is_empty() {
                // A copy of the right size: `text` grew as it was written.
                segments.push(Segment::Text(text.as_str().into()));
                text.clear();
            }
            segments.push(Segment::Value(*p));
            offset += i + end + 1;
            rest = &brace[end + 1..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            text.shrink_to_fit();
            segments.push(Segment::Text(text));
        }
        check_html(src)?;
        // Kept for as long as the rule: no room to grow.
        segments.shrink_to_fit();
        Ok(Template { segments })
    }
}

/// The tags Telegram's HTML parse mode knows.
const TAGS: &[&str] = &[
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "span",
    "tg-spoiler",
    "tg-emoji",
    "blockquote",
];

/// Checks the template's own HTML as Telegram will parse it: known tags, closed in order, and
/// `<`, `>`, `&` only as part of a tag or an entity. (A message Telegram cannot parse is
/// refused for every chat, so this is found when the rule is loaded instead.) Placeholders
/// stand for one plain character: their values are escaped and well-formed.
fn check_html(src: &str) -> Result<(), TemplateError> {
    let mut chars: Vec<(usize, char)> = Vec::with_capacity(src.len());
    let mut iter = src.char_indices();
    while let Some((i, c)) = iter.next() {
        match c {
            '{' | '}' if src[i + 1..].starts_with(c) => {
                iter.next();
                chars.push((i, c));
            }
            '{' => {
                iter.by_ref().find(|(_, c)| *c == '}');
                chars.push((i, 'x'));
            }
            _ => chars.push((i, c)),
        }
    }
    let problem = |span, message: String, hint: &str| TemplateError {
        span,
        message,
        hint: Some(hint.to_string()),
    };
    let mut open: Vec<(String, (usize, usize))> = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        let (at, c) = chars[k];
        match c {
            '<' => {
                let Some(len) = chars[k..].iter().position(|(_, c)| *c == '>') else {
                    return Err(problem(
                        (at, at + 1),
                        "this `<` starts a tag that never ends".into(),
                        "write `&lt;` for a literal <",
                    ));
                };
                let span = (at, chars[k + len].0 + 1);
                let inner: String = chars[k + 1..k + len].iter().map(|(_, c)| c).collect();
                let (closing, body) = match inner.strip_prefix('/') {
                    Some(body) => (true, body),
                    None => (false, inner.as_str()),
                };
                let name = body
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if !TAGS.contains(&name.as_str()) {
                    return Err(problem(
                        span,
                        format!("Telegram does not know the tag `<{inner}>`"),
                        "use b, i, u, s, a, code, pre, blockquote or tg-spoiler; write `&lt;` for a literal <",
                    ));
                }
                if !closing {
                    open.push((name, span));
                } else {
                    match open.pop() {
                        Some((opened, _)) if opened == name => {}
                        Some((opened, _)) => {
                            return Err(problem(
                                span,
                                format!("`</{name}>` closes `<{opened}>`"),
                                "close tags in the reverse order they were opened",
                            ));
                        }
                        None => {
                            return Err(problem(
                                span,
                                format!("`</{name}>` closes no tag"),
                                "remove it, or open the tag before it",
                            ));
                        }
                    }
                }
                k += len + 1;
            }
            '>' => {
                return Err(problem(
                    (at, at + 1),
                    "a `>` outside a tag".into(),
                    "write `&gt;` for a literal >",
                ));
            }
            '&' => {
                let ahead: String = chars[k..].iter().take(12).map(|(_, c)| c).collect();
                let entity = ahead.find(';').map(|e| &ahead[..=e]);
                if !entity.is_some_and(is_entity) {
                    return Err(problem(
                        (at, at + 1),
                        "a `&` that starts no entity".into(),
                        "write `&amp;` for a literal &",
                    ));
                }
                k += 1;
            }
            _ => k += 1,
        }
    }
    match open.pop() {
        Some((name, span)) => Err(problem(
            span,
            format!("`<{name}>` is never closed"),
            &format!("add `</{name}>`"),
        )),
        None => Ok(()),
    }
}

/// The entities Telegram decodes: four named ones and numeric ones.
fn is_entity(e: &str) -> bool {
    let Some(body) = e.strip_prefix('&').and_then(|e| e.strip_suffix(';')) else {
        return false;
    };
    match body.strip_prefix('#') {
        Some(n) => match n.strip_prefix(['x', 'X']) {
            Some(hex) => {
                !hex.is_empty() && hex.len() <= 6 && hex.chars().all(|c| c.is_ascii_hexdigit())
            }
            None => !n.is_empty() && n.len() <= 7 && n.chars().all(|c| c.is_ascii_digit()),
        },
        None => matches!(body, "lt" | "gt" | "amp" | "quot"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_braces() {
        let t = Template::parse("<b>{symbol}</b> {{x}} {change}").unwrap();
        assert_eq!(
            t.segments,
            [
                Segment::Text("<b>".into()),
                Segment::Value(Placeholder::Symbol),
                Segment::Text("</b> {x} ".into()),
                Segment::Value(Placeholder::Change)
            ]
        );
    }

    #[test]
    fn the_templates_own_html_is_what_telegram_parses() {
        for good in [
            "<b>{symbol}</b> &amp; &lt;3 &#8722; &#x2212;\n<a href=\"{link}\">{source}</a>",
            "<blockquote>{why}</blockquote> {{<i>x</i>}}",
            "<span class=\"tg-spoiler\">{change}</span>",
        ] {
            assert!(Template::parse(good).is_ok(), "{good}");
        }
        let bad = |src: &str| {
            let e = Template::parse(src).unwrap_err();
            (e.span, e.message)
        };
        assert_eq!(
            bad("S&P 500 {change}"),
            ((1, 2), "a `&` that starts no entity".to_string())
        );
        assert_eq!(
            bad("<b>{symbol}</i>"),
            ((11, 15), "`</i>` closes `<b>`".to_string())
        );
        assert_eq!(
            bad("x <b>{symbol}"),
            ((2, 5), "`<b>` is never closed".to_string())
        );
        assert_eq!(
            bad("<br>{symbol}"),
            ((0, 4), "Telegram does not know the tag `<br>`".to_string())
        );
        assert_eq!(
            bad("{change} < 3"),
            ((9, 10), "this `<` starts a tag that never ends".to_string())
        );
        assert_eq!(bad("a > b").1, "a `>` outside a tag");
        assert_eq!(bad("</b>").1, "`</b>` closes no tag");
    }

    #[test]
    fn mistakes_are_located() {
        let e = Template::parse("ok {symbl} ok").unwrap_err();
        assert_eq!(e.span, (3, 10));
        assert_eq!(e.hint.as_deref(), Some("did you mean `{symbol}`?"));
        assert_eq!(Template::parse("x {symbol").unwrap_err().span, (2, 3));
        assert_eq!(Template::parse("x }").unwrap_err().span, (2, 3));
    }
}
