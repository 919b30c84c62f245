//! The message splitter and its helpers (`delivery::render`): well-formed Telegram HTML of
//! any shape, split at a limit, must come out as parts Telegram accepts — each well-formed,
//! not blank, at most the limit long — that together say what the whole said. `escape`
//! must make any text parse back to itself, and `visible_len`/`plain_text` must agree with
//! how Telegram reads the HTML.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use marketbot::delivery::render::{self, escape};
use marketbot_fuzz::{assert_sendable, parse_telegram_html};

#[derive(Arbitrary, Debug)]
struct Input {
    limit: u16,
    nodes: Vec<Node>,
    /// Raw text: escaped, and also tried as HTML as it is.
    raw: String,
}

#[derive(Arbitrary, Debug)]
enum Node {
    Text(String),
    Spaces(u8),
    Newline,
    Entity(Entity),
    Tag(Tag, Vec<Node>),
    /// The nodes again and again: long messages from short inputs.
    Repeat(u8, Vec<Node>),
}

#[derive(Arbitrary, Debug)]
enum Entity {
    Lt,
    Gt,
    Amp,
    Quot,
    Decimal(char),
    Hex(char),
}

#[derive(Arbitrary, Debug)]
enum Tag {
    B,
    Strong,
    I,
    Em,
    U,
    Ins,
    S,
    Strike,
    Del,
    Spoiler,
    SpanSpoiler,
    A(String),
    Code,
    Pre,
    PreCode(String),
    Blockquote,
}

fn render(nodes: &[Node], out: &mut String, budget: &mut usize) {
    for node in nodes {
        // Sixteen messages' worth is enough to split: more only makes inputs slow.
        if *budget == 0 || out.len() > 16 * render::MESSAGE_LIMIT {
            return;
        }
        *budget -= 1;
        match node {
            Node::Text(s) => out.push_str(&escape(s)),
            Node::Spaces(n) => out.extend(std::iter::repeat_n(' ', usize::from(*n))),
            Node::Newline => out.push('\n'),
            Node::Entity(e) => match e {
                Entity::Lt => out.push_str("&lt;"),
                Entity::Gt => out.push_str("&gt;"),
                Entity::Amp => out.push_str("&amp;"),
                Entity::Quot => out.push_str("&quot;"),
                Entity::Decimal(c) if *c != '\0' && u32::from(*c) < 0x10FFFF => {
                    out.push_str(&format!("&#{};", u32::from(*c)))
                }
                Entity::Hex(c) if *c != '\0' && u32::from(*c) < 0x10FFFF => {
                    out.push_str(&format!("&#x{:x};", u32::from(*c)))
                }
                _ => {}
            },
            Node::Tag(tag, children) => {
                let (open, close) = match tag {
                    Tag::B => ("<b>".to_string(), "</b>"),
                    Tag::Strong => ("<strong>".into(), "</strong>"),
                    Tag::I => ("<i>".into(), "</i>"),
                    Tag::Em => ("<em>".into(), "</em>"),
                    Tag::U => ("<u>".into(), "</u>"),
                    Tag::Ins => ("<ins>".into(), "</ins>"),
                    Tag::S => ("<s>".into(), "</s>"),
                    Tag::Strike => ("<strike>".into(), "</strike>"),
                    Tag::Del => ("<del>".into(), "</del>"),
                    Tag::Spoiler => ("<tg-spoiler>".into(), "</tg-spoiler>"),
                    Tag::SpanSpoiler => ("<span class=\"tg-spoiler\">".into(), "</span>"),
                    Tag::A(href) => (format!("<a href=\"{}\">", escape(href)), "</a>"),
                    Tag::Code => ("<code>".into(), "</code>"),
                    Tag::Pre => ("<pre>".into(), "</pre>"),
                    Tag::PreCode(lang) => (
                        format!("<pre><code class=\"language-{}\">", escape(lang)),
                        "</code></pre>",
                    ),
                    Tag::Blockquote => ("<blockquote>".into(), "</blockquote>"),
                };
                out.push_str(&open);
                render(children, out, budget);
                out.push_str(close);
            }
            Node::Repeat(n, children) => {
                for _ in 0..*n {
                    render(children, out, budget);
                }
            }
        }
    }
}

fn squashed(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn check_split(html: &str, limit: usize) {
    let Ok(whole) = parse_telegram_html(html) else {
        return;
    };
    // `plain_text` decodes entities as a browser does: entities of control characters
    // (`&#1;`), which Telegram decodes and no message of ours contains, stay as written. Such
    // HTML is left out; any other difference is a failure.
    if render::plain_text(html) != whole.text {
        assert!(
            whole
                .text
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')),
            "plain_text of {html:?}: {:?}, not {:?}",
            render::plain_text(html),
            whole.text
        );
        return;
    }
    assert_eq!(
        render::visible_len(html),
        whole.len(),
        "visible_len of {html:?}"
    );
    let parts = render::split_html(html, limit);
    let mut said = String::new();
    for part in &parts {
        said.push_str(&assert_sendable(part, limit).text);
    }
    assert_eq!(
        squashed(&said),
        squashed(&whole.text),
        "the parts of {html:?} at {limit} say something else: {parts:?}"
    );
    if whole.len() <= limit && !whole.is_blank() {
        assert_eq!(parts.len(), 1, "{html:?} fits in one message: {parts:?}");
    }
}

fuzz_target!(|input: Input| {
    let limit = match input.limit % 4 {
        0 => render::MESSAGE_LIMIT,
        1 => render::CAPTION_LIMIT,
        _ => 32 + usize::from(input.limit) % 300,
    };
    let escaped = escape(&input.raw);
    match parse_telegram_html(&escaped) {
        Ok(p) => assert_eq!(p.text, input.raw),
        Err(e) => panic!("escape({:?}) is not Telegram HTML: {e}", input.raw),
    }
    let mut html = String::new();
    let mut budget = 20_000;
    render(&input.nodes, &mut html, &mut budget);
    check_split(&html, limit);
    check_split(&input.raw, limit);
});
