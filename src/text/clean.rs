//! The first stage of normalisation: a headline as a feed delivers it made into the headline
//! a reader would want to see — entities decoded, odd spaces squashed, soft hyphens dropped,
//! wire-service prefixes (`UPDATE 2-`) and publisher suffixes (` - Reuters`) stripped.

use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;

use super::fold;

/// Wire-service prefixes that say how a story was filed, not what it says: in capitals with
/// any separator (`UPDATE 2-`, `EXCLUSIVE-`), in any case with a colon or a spaced dash
/// (`Insider:`, `Update - `). A capitalised word glued to a hyphen is part of the headline
/// (`Insider-Käufe bei SAP`, `Update-Pflicht für …`). `Explainer:` and `Factbox:` stay: they
/// say what kind of piece it is — a guide, not news of a change — and rules read that.
static WIRE_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    let tags = "update|refile|corrected|correction|rpt|exclusive|breaking|insider|wrapup|focus|roundup|eilmeldung|brief|dpa-afx|korrektur|wdh";
    let number = r"(?:\s*\d+)?";
    // Tags may come joined by a slash (`WDH/ROUNDUP:`, `KORREKTUR/UPDATE 2-`).
    Regex::new(&format!(
        r"^\s*(?:(?:(?-i:{upper})(?:/(?-i:{upper}))*{number}\s*(?:-|–|—|:)|(?i:{tags})(?:/(?i:{tags}))*{number}\s*(?::|\s(?:-|–|—)))\s*)+",
        upper = tags.to_uppercase(),
    ))
    .expect("static regex")
});

/// A trailing ` - Publisher`, ` | Publisher` or `: Publisher` after the headline proper. The
/// name may hold a hyphen between letters (`dpa-AFX`), not a spaced dash (that separates).
static PUBLISHER_SUFFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\s+[-–—|]\s+|:\s+)([^-–—|:]+(?:-[^-–—|:\s][^-–—|:]*)*)\s*$")
        .expect("static regex")
});

/// The longest publisher name taken for one.
const MAX_PUBLISHER: usize = 48;

/// Something that looks like a site name: `finanzen.ch`, `cash.ch`, `yahoo.com`.
static DOMAIN_LIKE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{2,6}$").expect("static regex")
});

/// Publishers whose name is appended to syndicated headlines. Matched after folding.
const PUBLISHERS: &[&str] = &[
    "reuters",
    "bloomberg",
    "bloomberg.com",
    "dow jones",
    "the wall street journal",
    "wsj",
    "financial times",
    "ft",
    "cnbc",
    "marketwatch",
    "barron's",
    "barrons",
    "yahoo finance",
    "yahoo",
    "the motley fool",
    "motley fool",
    "benzinga",
    "seeking alpha",
    "investopedia",
    "forbes",
    "fortune",
    "business insider",
    "the information",
    "techcrunch",
    "the verge",
    "associated press",
    "ap",
    "afp",
    "dpa",
    "dpa-afx",
    "handelsblatt",
    "onvista",
    "finanzen.net",
    "finanzen.ch",
    "cash.ch",
    "der aktionaer",
    "boerse online",
    "manager magazin",
    "wirtschaftswoche",
    "spiegel",
    "der spiegel",
    "faz",
    "sueddeutsche zeitung",
    "nzz",
    "heise",
    "golem",
    "investing.com",
];

/// Decodes entities and strips feed noise (wire prefixes, publisher suffixes, odd spaces),
/// leaving the headline as a reader would want to see it.
pub fn clean_title(text: &str, source: Option<&str>) -> String {
    let decoded: String = decode_entities(text).nfc().collect();
    let squashed = squash_whitespace(&decoded);
    let without_prefix = WIRE_PREFIX.replace(&squashed, "");
    strip_publisher_suffix(&without_prefix, source).to_string()
}

/// Decodes HTML entities, twice when the feed escaped them twice (`&amp;amp;`, `&amp;#39;`).
fn decode_entities(text: &str) -> String {
    let mut current = html_escape::decode_html_entities(text).into_owned();
    for _ in 0..2 {
        if !(current.contains('&') && current.contains(';')) {
            break;
        }
        let next = html_escape::decode_html_entities(&current).into_owned();
        if next == current {
            break;
        }
        current = next;
    }
    current
}

fn squash_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        // A soft hyphen (`&shy;`) or a word joiner is no end of a word: invisible unless a
        // line breaks there, it goes.
        if matches!(c, '\u{ad}' | '\u{2060}') {
            continue;
        }
        // NBSP, thin spaces, zero-width and control characters are whitespace to a reader.
        if c.is_whitespace() || c.is_control() || matches!(c, '\u{200b}' | '\u{feff}') {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

fn strip_publisher_suffix<'a>(title: &'a str, source: Option<&str>) -> &'a str {
    let Some(caps) = PUBLISHER_SUFFIX.captures(title) else {
        return title;
    };
    let whole = caps.get(0).expect("group 0");
    let candidate = caps.get(1).expect("group 1").as_str().trim();
    if !(2..=MAX_PUBLISHER).contains(&candidate.chars().count()) {
        return title;
    }
    let folded = fold(candidate);
    let is_source = source.is_some_and(|s| !s.trim().is_empty() && fold(s.trim()) == folded);
    let known = PUBLISHERS.contains(&folded.as_str()) || DOMAIN_LIKE.is_match(candidate);
    // Never strip the whole title, and only strip names we recognise: "Shares fall 3% - Here's
    // why" keeps its tail.
    if (is_source || known) && whole.start() > 0 {
        title[..whole.start()].trim_end()
    } else {
        title
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_entities_are_decoded_even_when_escaped_twice() {
        assert_eq!(
            clean_title("Nvidia&#39;s chips &amp;amp; AMD&amp;#39;s", None),
            "Nvidia's chips & AMD's"
        );
        assert_eq!(clean_title("f&uuml;r Inferenz", None), "für Inferenz");
    }

    #[test]
    fn wire_prefixes_are_removed() {
        for t in [
            "UPDATE 1-OpenAI is unsatisfied",
            "UPDATE 2-OpenAI is unsatisfied",
            "EXCLUSIVE-OpenAI is unsatisfied",
            "Exclusive: OpenAI is unsatisfied",
            "Insider: OpenAI is unsatisfied",
            "REFILE-UPDATE 3-OpenAI is unsatisfied",
            "Update 2 - OpenAI is unsatisfied",
            "dpa-AFX: OpenAI is unsatisfied",
        ] {
            assert_eq!(clean_title(t, None), "OpenAI is unsatisfied", "{t}");
        }
        // A word glued to a hyphen is the headline's own.
        for t in [
            "Insider-Käufe bei SAP",
            "Update-Pflicht für Router",
            "Focus-Aktie Nvidia",
        ] {
            assert_eq!(clean_title(t, None), t, "{t}");
        }
        // A kicker that says what kind of piece it is stays for the rules to read.
        for t in [
            "Explainer: how the entity list works",
            "FACTBOX-Who is hit by the new chip rules",
        ] {
            assert_eq!(clean_title(t, None), t, "{t}");
        }
    }

    #[test]
    fn publisher_suffixes_are_removed_but_content_tails_are_kept() {
        assert_eq!(
            clean_title("OpenAI looks elsewhere - Reuters", None),
            "OpenAI looks elsewhere"
        );
        assert_eq!(
            clean_title("OpenAI looks elsewhere: Reuters", None),
            "OpenAI looks elsewhere"
        );
        assert_eq!(
            clean_title("Zweifel an KI-Chips wachsen - finanzen.ch", None),
            "Zweifel an KI-Chips wachsen"
        );
        assert_eq!(
            clean_title("Nvidia sucht - Tagesblatt Süd", Some("Tagesblatt Süd")),
            "Nvidia sucht"
        );
        assert_eq!(
            clean_title("Nvidia Trading Down 2.9% - Here's What Happened", None),
            "Nvidia Trading Down 2.9% - Here's What Happened"
        );
        assert_eq!(clean_title("Reuters", None), "Reuters");
    }

    #[test]
    fn soft_hyphens_and_word_joiners_leave_a_word_whole() {
        // German portals break long words for narrow screens with `&shy;`: invisible unless
        // a line ends there, and no end of a word.
        assert_eq!(
            clean_title("Chip&shy;alternativen gesucht", None),
            "Chipalternativen gesucht"
        );
        assert_eq!(
            clean_title(
                "Export\u{ad}beschr\u{e4}nkungen f\u{fc}r Halb\u{2060}leiter",
                None
            ),
            "Exportbeschr\u{e4}nkungen f\u{fc}r Halbleiter"
        );
        assert_eq!(clean_title("\u{ad}", None), "");
    }
}
