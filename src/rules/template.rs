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
                segments.push(Segment::Text(std::mem::take(&mut text)));
            }
            segments.push(Segment::Value(*p));
            offset += i + end + 1;
            rest = &brace[end + 1..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            segments.push(Segment::Text(text));
        }
        Ok(Template { segments })
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
    fn mistakes_are_located() {
        let e = Template::parse("ok {symbl} ok").unwrap_err();
        assert_eq!(e.span, (3, 10));
        assert_eq!(e.hint.as_deref(), Some("did you mean `{symbol}`?"));
        assert_eq!(Template::parse("x {symbol").unwrap_err().span, (2, 3));
        assert_eq!(Template::parse("x }").unwrap_err().span, (2, 3));
    }
}
