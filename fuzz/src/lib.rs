//! What the fuzz targets share: a checker for Telegram HTML, and the shipped rules and
//! lexicons (compiled in, so a target needs no files at run time).

use std::path::PathBuf;
use std::sync::OnceLock;

use marketbot::problem::SourceFile;
use marketbot::rules::{self, RuleSet};

/// The tags Telegram's HTML parse mode knows, as the Bot API lists them. Written out here on
/// purpose rather than taken from the library (`rules::template` keeps the subset templates
/// may use): the checker is an oracle independent of the code it checks.
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
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
];

/// Text that Telegram parses as HTML, as the reader sees it.
#[derive(Debug)]
pub struct Parsed {
    /// The text with tags dropped and entities decoded.
    pub text: String,
}

impl Parsed {
    /// Its length as Telegram counts it (UTF-16 code units).
    pub fn len(&self) -> usize {
        self.text.encode_utf16().count()
    }

    /// Whether Telegram would refuse it as an empty message (nothing but whitespace).
    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }
}

/// Parses `html` as the Bot API documents its HTML parse mode: only the tags it lists (a
/// `span` only with `class="tg-spoiler"`, a `tg-emoji` only with a numeric `emoji-id`),
/// closed in the reverse order they were opened; `<`, `>` and `&` only as part of a tag or of
/// an entity; only the entities `&lt;`, `&gt;`, `&amp;`, `&quot;` and numeric ones of a
/// Unicode scalar value. Stricter than Telegram in places (which passes some stray `&` and
/// `>` through), never looser.
pub fn parse_telegram_html(html: &str) -> Result<Parsed, String> {
    let mut text = String::with_capacity(html.len());
    let mut open: Vec<String> = Vec::new();
    let mut i = 0;
    while i < html.len() {
        let rest = &html[i..];
        let c = rest.chars().next().expect("in bounds");
        match c {
            '<' => {
                let end = rest
                    .find('>')
                    .ok_or_else(|| format!("`<` at {i} starts a tag that never ends"))?;
                let body = &rest[1..end];
                if body.contains('<') {
                    return Err(format!("`<` inside the tag at {i}"));
                }
                match body.strip_prefix('/') {
                    Some(name) => {
                        let name = name.trim_end().to_ascii_lowercase();
                        match open.pop() {
                            Some(o) if o == name => {}
                            Some(o) => return Err(format!("`</{name}>` at {i} closes `<{o}>`")),
                            None => return Err(format!("`</{name}>` at {i} closes nothing")),
                        }
                    }
                    None => open.push(start_tag(body).map_err(|e| format!("{e} at {i}"))?),
                }
                i += end + 1;
            }
            '>' => return Err(format!("`>` outside a tag at {i}")),
            '&' => {
                let (decoded, len) = entity(rest).ok_or_else(|| {
                    format!("`&` at {i} starts no entity: {:?}", prefix(rest, 12))
                })?;
                text.push(decoded);
                i += len;
            }
            c => {
                text.push(c);
                i += c.len_utf8();
            }
        }
    }
    match open.pop() {
        Some(name) => Err(format!("`<{name}>` is never closed")),
        None => Ok(Parsed { text }),
    }
}

fn prefix(s: &str, chars: usize) -> &str {
    s.char_indices().nth(chars).map_or(s, |(i, _)| &s[..i])
}

/// The name of a start tag, checked with its attributes.
fn start_tag(body: &str) -> Result<String, String> {
    let name_end = body.find(char::is_whitespace).unwrap_or(body.len());
    let name = body[..name_end].to_ascii_lowercase();
    if !TAGS.contains(&name.as_str()) {
        return Err(format!("unknown tag `<{body}>`"));
    }
    let attributes = attributes(&body[name_end..])?;
    let get = |key: &str| attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    match name.as_str() {
        "span" if get("class").is_none_or(|c| c != "tg-spoiler") => {
            return Err("`<span>` without class=\"tg-spoiler\"".into());
        }
        "tg-emoji"
            if get("emoji-id")
                .is_none_or(|v| v.is_empty() || !v.chars().all(|c| c.is_ascii_digit())) =>
        {
            return Err("`<tg-emoji>` without a numeric emoji-id".into());
        }
        _ => {}
    }
    Ok(name)
}

/// `key="value"` pairs (also single-quoted or unquoted), values decoded.
fn attributes(mut s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return Ok(out);
        }
        let key_end = s
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(s.len());
        let key = s[..key_end].to_ascii_lowercase();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!("bad attribute name in {s:?}"));
        }
        s = s[key_end..].trim_start();
        let Some(after) = s.strip_prefix('=') else {
            return Err(format!("attribute `{key}` without a value"));
        };
        s = after.trim_start();
        let raw = match s.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let end = s[1..]
                    .find(q)
                    .ok_or_else(|| format!("attribute `{key}`: unclosed quote"))?;
                let v = &s[1..1 + end];
                s = &s[end + 2..];
                v
            }
            Some(_) => {
                let end = s.find(char::is_whitespace).unwrap_or(s.len());
                let v = &s[..end];
                s = &s[end..];
                v
            }
            None => return Err(format!("attribute `{key}` without a value")),
        };
        out.push((key, decode(raw)?));
    }
}

/// An attribute value with its entities decoded.
fn decode(raw: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut i = 0;
    while i < raw.len() {
        let rest = &raw[i..];
        let c = rest.chars().next().expect("in bounds");
        match c {
            '&' => {
                let (d, len) =
                    entity(rest).ok_or_else(|| format!("bad entity in attribute {raw:?}"))?;
                out.push(d);
                i += len;
            }
            '>' | '<' => return Err(format!("`{c}` in attribute {raw:?}")),
            c => {
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    Ok(out)
}

/// The character an entity at the start of `s` stands for, and the entity's length.
fn entity(s: &str) -> Option<(char, usize)> {
    let end = s.find(';')?;
    let body = &s[1..end];
    let c = match body {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        _ => {
            let n = body.strip_prefix('#')?;
            let code = match n.strip_prefix('x') {
                Some(hex) if !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()) => {
                    u32::from_str_radix(hex, 16).ok()?
                }
                None if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => {
                    n.parse::<u32>().ok()?
                }
                _ => return None,
            };
            // Telegram decodes 1..0x10FFFF, surrogates excepted.
            if code == 0 || code >= 0x10FFFF {
                return None;
            }
            char::from_u32(code)?
        }
    };
    Some((c, end + 1))
}

/// Asserts that `part` is one message Telegram accepts: well-formed, not blank, at most
/// `limit` long. Panics with the part otherwise.
pub fn assert_sendable(part: &str, limit: usize) -> Parsed {
    let parsed = match parse_telegram_html(part) {
        Ok(p) => p,
        Err(e) => panic!("not Telegram HTML: {e}\n{part:?}"),
    };
    assert!(!parsed.is_blank(), "a blank message: {part:?}");
    assert!(
        parsed.len() <= limit,
        "{} > {limit} characters: {part:?}",
        parsed.len()
    );
    parsed
}

/// Asserts that `html` parses as Telegram HTML.
pub fn assert_well_formed(html: &str) -> Parsed {
    match parse_telegram_html(html) {
        Ok(p) => p,
        Err(e) => panic!("not Telegram HTML: {e}\n{html:?}"),
    }
}

/// The shipped rule files (`rules/*.toml`), as the bot reads them.
pub fn shipped_rule_files() -> Vec<SourceFile> {
    [
        (
            "analyst-downgrade-drop.toml",
            include_str!("../../rules/analyst-downgrade-drop.toml"),
        ),
        (
            "chip-export-curbs.toml",
            include_str!("../../rules/chip-export-curbs.toml"),
        ),
        (
            "guidance-cut-gap-down.toml",
            include_str!("../../rules/guidance-cut-gap-down.toml"),
        ),
        (
            "new-52-week-low.toml",
            include_str!("../../rules/new-52-week-low.toml"),
        ),
        (
            "nvda-customer-own-chips.toml",
            include_str!("../../rules/nvda-customer-own-chips.toml"),
        ),
        (
            "nvda-customer-seeks-alternatives.toml",
            include_str!("../../rules/nvda-customer-seeks-alternatives.toml"),
        ),
        (
            "volume-spike-with-news.toml",
            include_str!("../../rules/volume-spike-with-news.toml"),
        ),
    ]
    .into_iter()
    .map(|(name, text)| source(&format!("rules/{name}"), text))
    .collect()
}

/// The shipped lexicons (`rules/lexicons/*.toml`).
pub fn shipped_lexicons() -> Vec<SourceFile> {
    vec![
        source(
            "rules/lexicons/companies.toml",
            include_str!("../../rules/lexicons/companies.toml"),
        ),
        source(
            "rules/lexicons/concepts.toml",
            include_str!("../../rules/lexicons/concepts.toml"),
        ),
    ]
}

/// The shipped rules, compiled once.
pub fn shipped_rules() -> &'static RuleSet {
    static SET: OnceLock<RuleSet> = OnceLock::new();
    SET.get_or_init(|| {
        rules::compile(shipped_rule_files(), shipped_lexicons())
            .unwrap_or_else(|p| panic!("the shipped rules do not compile: {p:?}"))
    })
}

/// A file of `text` at `path`.
pub fn source(path: &str, text: &str) -> SourceFile {
    SourceFile {
        path: PathBuf::from(path),
        text: text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_telegram_accepts_parses() {
        for ok in [
            "plain",
            "<b>bold</b> <i>it</i> &lt;&gt;&amp;&quot; &#128512; &#x1F600;",
            "<a href=\"https://x.example/?a=1&amp;b=2\">link</a>",
            "<span class=\"tg-spoiler\">s</span><tg-spoiler>t</tg-spoiler>",
            "<pre><code class=\"language-rust\">x</code></pre>",
            "<tg-emoji emoji-id=\"5368324170671202286\">👍</tg-emoji>",
            "<B>upper</b>",
        ] {
            assert!(parse_telegram_html(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            parse_telegram_html("<b>a &amp; b</b>").unwrap().text,
            "a & b"
        );
    }

    #[test]
    fn what_telegram_refuses_does_not() {
        for bad in [
            "<b>unclosed",
            "</b>",
            "<b><i>x</b></i>",
            "<div>x</div>",
            "<br/>",
            "a < b",
            "a > b",
            "a & b",
            "&nbsp;",
            "&#0;",
            "&#xD800;",
            "&#1114112;",
            "<span>x</span>",
            "<tg-emoji>x</tg-emoji>",
            "<a href=\"x>y\">z</a>",
        ] {
            assert!(parse_telegram_html(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_shipped_rules_compile() {
        assert!(!shipped_rules().rules().is_empty());
    }
}
