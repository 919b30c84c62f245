//! RSS 2.0 and Atom feeds, fetched with conditional GET and parsed by feed-rs.
//!
//! Items are keyed by an id of our own ([`item_key`]): feed-rs invents a random id for items
//! without a guid, which would make every fetch look new. The publisher of a syndicated item
//! is taken from where aggregators put it (Google News' `<font>` trailer, a Reuters-style
//! `(Reuters) -` lead), falling back to the feed's name. Dates feed-rs cannot read (German day
//! and month names, German orders, sloppy English) are read by [`date::parse`]. A body that
//! names no encoding of its own is read in the charset its answer's header names, and one in
//! UTF-16 (with its byte order mark) is made UTF-8 before anything reads it ([`charset`]). A body is known for a feed by its root element, whatever content type its
//! server labels it with; both read the body's prologue with [`prologue`]. An Atom title in `html` or `xhtml` is its text, not its markup. An
//! item that names the symbols it is about (Nasdaq's `<nasdaq:tickers>`) is about those, one
//! that names none about the feed's configured symbols.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use chrono::{DateTime, Utc};
use regex::Regex;
use reqwest::header::{self, HeaderMap, HeaderValue};

use url::Url;

use super::http::{FetchError, Http};
use crate::model::Headline;

mod charset;
pub mod date;
mod prologue;
mod tickers;

/// Items beyond this many per fetch are ignored (a feed is a list of recent items).
pub(super) const MAX_ITEMS: usize = 300;
/// Titles longer than this are cut (a title, not an article).
pub(super) const MAX_TITLE: usize = 400;
/// Summaries longer than this are cut.
pub(super) const MAX_SUMMARY: usize = 1_000;

static GOOGLE_PUBLISHER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<font[^>]*>([^<]{1,60})</font>\s*$").expect("static regex"));
static WIRE_LEAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*\(([A-Z][\w .&'-]{1,40})\)\s*[-–—]{1,2}\s").expect("static regex")
});

/// One RSS or Atom feed and the validators of its last response whose items were stored.
pub struct Feed {
    /// Its name, the items' source when they do not name their publisher.
    pub name: String,
    /// Its address.
    pub url: Url,
    /// The symbols its items are about, unless an item names its own.
    pub symbols: Vec<String>,
    /// Sent with each request: the feed answers 304 while it has not changed since.
    validators: Arc<Mutex<Validators>>,
}

/// What one fetch of a feed brought.
pub struct Fetched {
    /// The items (none when the feed answered 304).
    pub items: Vec<Headline>,
    /// The response's validators, for the feed's later requests once its items are stored
    /// ([`Pending::stored`]); none after a 304. A response whose items could not be stored
    /// leaves the feed's validators as they were, so the next fetch brings the items again
    /// instead of a 304 until the feed changes.
    pub validators: Option<Pending>,
}

/// A response's validators, waiting for its items to be stored.
pub struct Pending {
    validators: Validators,
    feed: Arc<Mutex<Validators>>,
}

impl Pending {
    /// The response's items are stored: its validators go with the feed's next requests.
    pub fn stored(self) {
        *self.feed.lock().unwrap_or_else(|e| e.into_inner()) = self.validators;
    }
}

#[derive(Default, Clone)]
struct Validators {
    etag: Option<HeaderValue>,
    last_modified: Option<HeaderValue>,
}

impl Feed {
    /// The feed `name` at `url`, whose items are about `symbols`, not fetched yet.
    pub fn new(name: String, url: Url, symbols: Vec<String>) -> Feed {
        Feed {
            name,
            url,
            symbols,
            validators: Arc::default(),
        }
    }

    /// Fetches the feed; an unchanged feed (304) yields no items.
    pub async fn fetch(&self, http: &Http, now: DateTime<Utc>) -> Result<Fetched, FetchError> {
        let validators = self
            .validators
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"),
        );
        if let Some(etag) = validators.etag {
            headers.insert(header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = validators.last_modified {
            headers.insert(header::IF_MODIFIED_SINCE, lm);
        }
        let resp = http.get(&self.url, headers).await?;
        if resp.status == 304 {
            return Ok(Fetched {
                items: Vec::new(),
                validators: None,
            });
        }
        // Read in the encoding its readers take (UTF-16 made UTF-8) before anything looks at it.
        let body = charset::decoded(&resp.body, resp.charset());
        // A feed script may never set its content type (PHP's default is `text/html`): a
        // body whose root is a feed's is one, whatever its label.
        if !looks_like_feed(&body) {
            resp.refuse_html("an RSS or Atom feed")?;
        }
        let items = parse_items(&body, &self.name, self.url.as_str(), &self.symbols, now)?;
        // Validators only of a response we could use.
        let validators = Validators {
            etag: resp.headers.get(header::ETAG).cloned(),
            last_modified: resp.headers.get(header::LAST_MODIFIED).cloned(),
        };
        Ok(Fetched {
            items,
            validators: Some(Pending {
                validators,
                feed: Arc::clone(&self.validators),
            }),
        })
    }
}

/// Whether `body`'s root element, past its prologue ([`prologue::read`]: a byte order mark,
/// the XML declaration, comments and a document type), is an RSS (`rss`, RSS 1.0's
/// `rdf:RDF`) or Atom (`feed`) document's.
fn looks_like_feed(body: &[u8]) -> bool {
    let Some(rest) = prologue::read(body).root else {
        return false;
    };
    let Some(tag) = rest.strip_prefix(b"<") else {
        return false;
    };
    let name_end = tag
        .iter()
        .position(|b| b.is_ascii_whitespace() || matches!(b, b'>' | b'/'))
        .unwrap_or(tag.len());
    let name = &tag[..name_end];
    let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
    matches!(local, b"rss" | b"feed" | b"RDF")
}

/// A stable key for an item of the feed at `feed_url`: its guid when it has one, else its
/// link and title.
pub fn item_key(feed_url: &str, guid: Option<&str>, link: Option<&str>, title: &str) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(feed_url.as_bytes());
    h.update(b"\0");
    match guid.filter(|g| !g.trim().is_empty()) {
        Some(g) => {
            h.update(b"guid\0");
            h.update(g.trim().as_bytes());
        }
        None => {
            h.update(b"link\0");
            h.update(link.unwrap_or("").trim().as_bytes());
            h.update(b"\0");
            h.update(title.trim().as_bytes());
        }
    }
    format!("{:032x}", h.digest128())
}

/// Parses feed bytes (raw, so the XML prolog's encoding is honoured) into headlines.
pub fn parse_items(
    body: &[u8],
    feed_name: &str,
    feed_url: &str,
    symbols: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<Headline>, FetchError> {
    // An empty id marks "no guid in the item": the key is then derived from link and title.
    // Relative links (legal in both formats) are resolved against the feed's address. Dates
    // go to our parser, which reads what feed-rs reads and German and sloppy forms besides.
    let parser = feed_rs::parser::Builder::new()
        .id_generator(|_, _, _| String::new())
        .timestamp_parser(date::parse)
        .sanitize_content(false)
        .base_uri(Some(feed_url))
        .build();
    // The XML reader under feed-rs panics on some malformed bodies (a second XML declaration
    // naming another encoding); such a body is malformed like any other, not a reason for the
    // feed's poll to die.
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.parse(body)))
        .map_err(|_| FetchError::Malformed {
            what: "feed XML",
            detail: "the XML parser gave up on it".into(),
        })?;
    let feed = parsed.map_err(|e| FetchError::Malformed {
        what: "feed XML",
        detail: e.to_string(),
    })?;
    let lang = feed
        .language
        .as_deref()
        .and_then(|l| l.split(['-', '_']).next())
        .map(|l| l.trim().to_ascii_lowercase())
        .filter(|l| l.len() == 2);
    // An item that names the symbols it is about (a per-ticker feed carries other companies'
    // news too) is about those; one that names none is about the feed's.
    let named = tickers::per_item(body)
        .filter(|named| named.len() == feed.entries.len())
        .unwrap_or_default();
    let mut out = Vec::new();
    let mut guids: Vec<String> = Vec::new();
    for (i, entry) in feed.entries.into_iter().enumerate().take(MAX_ITEMS) {
        // An Atom title in `html` or `xhtml` is markup: its text is the headline.
        let Some(title) = entry.title.map(|t| {
            if matches!(t.content_type.subty().as_str(), "html" | "xhtml") {
                plain_text(&t.content)
            } else {
                t.content
            }
        }) else {
            continue;
        };
        let title = clip(title.trim(), MAX_TITLE);
        if title.is_empty() {
            continue;
        }
        // The article, not its comments page (which an RSS item may list first).
        let article = || entry.links.iter().filter(|l| l.target.is_none());
        let link = article()
            .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
            .or(article().next())
            .map(|l| l.href.trim().to_string())
            .filter(|l| l.starts_with("http://") || l.starts_with("https://"));
        let raw_summary = entry.summary.map(|s| s.content).unwrap_or_default();
        let publisher = GOOGLE_PUBLISHER
            .captures(raw_summary.trim())
            .or_else(|| WIRE_LEAD.captures(&raw_summary))
            .map(|c| html_escape::decode_html_entities(c[1].trim()).into_owned());
        let summary = plain_text(&raw_summary);
        // An item dated ahead of now (a publisher's clock, a typo's year) is news of now: a
        // date to come would sort it first in /news and keep it past every expiry.
        let published = entry.published.or(entry.updated).unwrap_or(now).min(now);
        out.push(Headline {
            id: item_key(feed_url, Some(entry.id.as_str()), link.as_deref(), &title),
            published,
            source: publisher.unwrap_or_else(|| feed_name.to_string()),
            title,
            link,
            summary: (!summary.is_empty()).then(|| clip(&summary, MAX_SUMMARY)),
            symbols: match named.get(i) {
                Some(own) if !own.is_empty() => own.clone(),
                _ => symbols.to_vec(),
            },
            lang: lang.clone(),
        });
        guids.push(entry.id);
    }
    rekey_shared_guids(&mut out, &guids, feed_url);
    Ok(out)
}

/// A guid that several different items of one fetch share (a feed bug: the site's address
/// as every item's guid) names none of them: keyed by it, all but the first would be taken
/// for copies already seen. Those items (`guids[i]` is `items[i]`'s) are keyed by link and
/// title instead.
fn rekey_shared_guids(items: &mut [Headline], guids: &[String], feed_url: &str) {
    let mut by_guid: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, guid) in guids.iter().enumerate() {
        if !guid.trim().is_empty() {
            by_guid.entry(guid.trim()).or_default().push(i);
        }
    }
    let same = |a: &Headline, b: &Headline| (&a.title, &a.link) == (&b.title, &b.link);
    let shared: Vec<usize> = by_guid
        .into_values()
        .filter(|of| of.iter().any(|&i| !same(&items[i], &items[of[0]])))
        .flatten()
        .collect();
    for i in shared {
        let h = &mut items[i];
        h.id = item_key(feed_url, None, h.link.as_deref(), &h.title);
    }
}

/// HTML to plain text: tags dropped, entities decoded, whitespace squashed.
pub(super) fn plain_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let decoded = html_escape::decode_html_entities(&text);
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn clip(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fetch after every fixture's items were published.
    fn now() -> DateTime<Utc> {
        "2026-03-05T09:00:00Z".parse().unwrap()
    }

    const GOOGLE: &str = r##"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><rss version="2.0"><channel><generator>NFE/5.0</generator><title>"Nvidia" - Google News</title><link>https://news.google.com/search?q=Nvidia</link><language>de</language><item><title>Insider: OpenAI sucht Ersatz für Nvidia-Chips - Börsenblick</title><link>https://news.google.com/rss/articles/CBMiAAA1?oc=5</link><guid isPermaLink="false">CBMiAAA1</guid><pubDate>Tue, 03 Feb 2026 06:32:00 GMT</pubDate><description>&lt;a href="https://news.google.com/rss/articles/CBMiAAA1?oc=5" target="_blank"&gt;Insider: OpenAI sucht Ersatz für Nvidia-Chips&lt;/a&gt;&amp;nbsp;&amp;nbsp;&lt;font color="#6f6f6f"&gt;Börsenblick&lt;/font&gt;</description><source url="https://boersenblick.example">Börsenblick</source></item></channel></rss>"##;

    #[test]
    fn a_second_xml_declaration_naming_another_encoding_is_malformed_not_a_panic() {
        // The XML reader panicked on this (found by fuzzing): the poll task died with it.
        let body = br#"<?xml version="1.0" encoding="ISO-8859-1"<?xml version="1.0" encoding="ISO-8859-1"?><fee?><"#;
        let err = parse_items(body, "Feed", "https://x.example/rss", &[], now()).unwrap_err();
        assert!(
            matches!(
                err,
                FetchError::Malformed {
                    what: "feed XML",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn google_news_items_carry_their_publisher_and_language() {
        let items = parse_items(
            GOOGLE.as_bytes(),
            "gnews",
            "http://f/1",
            &["NVDA".into()],
            now(),
        )
        .unwrap();
        assert_eq!(items.len(), 1);
        let h = &items[0];
        assert_eq!(h.source, "Börsenblick");
        assert_eq!(h.lang.as_deref(), Some("de"));
        assert_eq!(h.published.to_rfc3339(), "2026-02-03T06:32:00+00:00");
        assert_eq!(
            h.link.as_deref(),
            Some("https://news.google.com/rss/articles/CBMiAAA1?oc=5")
        );
        assert_eq!(
            h.summary.as_deref(),
            Some("Insider: OpenAI sucht Ersatz für Nvidia-Chips Börsenblick")
        );
        assert_eq!(h.symbols, ["NVDA"]);
    }

    /// A page of Nasdaq's per-ticker feed (`rssoutbound?symbol=NVDA`) in its real shape: each
    /// item names the symbols it is about in `<nasdaq:tickers>`, and the feed carries items
    /// about other companies too.
    const NASDAQ_NVDA: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<rss xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:nasdaq="http://nasdaq.com/reference/feeds/1.0" version="2.0">
 <channel>
  <title>NVDA Feed</title>
  <link>https://www.nasdaq.com</link>
  <description>Latest news on NVDA</description>
  <item>
   <title>AMD Stock Rises as Data Center Outlook Brightens</title>
   <link>https://www.nasdaq.com/articles/amd-stock-rises-data-center-outlook</link>
   <description><![CDATA[Advanced Micro Devices guided above estimates. <item>not an item</item>]]></description>
   <pubDate>Mon, 02 Feb 2026 20:12:00 +0000</pubDate>
   <guid isPermaLink="true">https://www.nasdaq.com/articles/amd-stock-rises-data-center-outlook?time=1770063120</guid>
   <dc:creator>Zacks</dc:creator>
   <category>Markets</category>
   <nasdaq:tickers><![CDATA[ amd ]]></nasdaq:tickers>
  </item>
  <item>
   <title>Buying TSMC Stock Before Earnings Is a No-Brainer</title>
   <link>https://www.nasdaq.com/articles/buying-tsmc-stock</link>
   <pubDate>Mon, 02 Feb 2026 18:06:00 +0000</pubDate>
   <guid isPermaLink="true">https://www.nasdaq.com/articles/buying-tsmc-stock?time=1770055560</guid>
   <dc:creator>The Motley Fool</dc:creator>
   <category>Markets</category>
   <nasdaq:tickers>TSM,TSM,NVDA,AMD</nasdaq:tickers>
  </item>
  <item>
   <title>Nvidia Slips After Report on OpenAI Talks</title>
   <link>https://www.nasdaq.com/articles/nvidia-slips-openai-talks</link>
   <pubDate>Mon, 02 Feb 2026 21:47:00 +0000</pubDate>
   <guid isPermaLink="true">https://www.nasdaq.com/articles/nvidia-slips-openai-talks?time=1770068820</guid>
   <dc:creator>RTTNews</dc:creator>
   <category>Markets</category>
  </item>
 </channel>
</rss>"#;

    #[test]
    fn an_item_that_names_its_symbols_is_about_them_not_the_feeds() {
        let items = parse_items(
            NASDAQ_NVDA.as_bytes(),
            "nasdaq-nvda",
            "https://www.nasdaq.com/feed/rssoutbound?symbol=NVDA",
            &["NVDA".into()],
            now(),
        )
        .unwrap();
        let about: Vec<(&str, Vec<&str>)> = items
            .iter()
            .map(|h| {
                (
                    h.title.split_whitespace().next().unwrap(),
                    h.symbols.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            about,
            [
                ("AMD", vec!["AMD"]),
                ("Buying", vec!["TSM", "NVDA", "AMD"]),
                // Names none: the feed's symbol.
                ("Nvidia", vec!["NVDA"]),
            ]
        );
    }

    #[test]
    fn a_per_ticker_feed_whose_items_name_no_symbols_links_them_to_its_own() {
        // Yahoo's per-ticker feed (`headline?s=NVDA`): items with no tags of their own.
        let yahoo = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><rss version="2.0"><channel><copyright>Copyright (c) 2026 Yahoo! Inc. All rights reserved.</copyright><description>Latest Financial News for NVDA</description><language>en-US</language><link>https://finance.yahoo.com/quote/NVDA?p=NVDA</link><title>Yahoo! Finance: NVDA News</title><item><description>OpenAI is unsatisfied with some of Nvidia's latest chips.</description><guid isPermaLink="false">3f1c1b7e-5a2b-3c4d-9e8f-0a1b2c3d4e5f</guid><link>https://finance.yahoo.com/news/openai-unsatisfied-nvidia-chips-214700.html</link><pubDate>Mon, 02 Feb 2026 21:47:00 +0000</pubDate><title>OpenAI is unsatisfied with some Nvidia chips and looking for alternatives, sources say</title></item><item><description>AMD rose.</description><guid isPermaLink="false">4a2d2c8f-6b3c-4d5e-af90-1b2c3d4e5f60</guid><link>https://finance.yahoo.com/news/amd-rises-201200.html</link><pubDate>Mon, 02 Feb 2026 20:12:00 +0000</pubDate><title>AMD rises on data center outlook</title></item></channel></rss>"#;
        let items = parse_items(
            yahoo.as_bytes(),
            "yahoo-nvda",
            "https://feeds.finance.yahoo.com/rss/2.0/headline?s=NVDA",
            &["NVDA".into()],
            now(),
        )
        .unwrap();
        assert_eq!(items.len(), 2);
        assert!(items.iter().all(|h| h.symbols == ["NVDA"]), "{items:?}");
    }

    #[test]
    fn items_without_guid_get_a_stable_key() {
        let rss = r#"<rss version="2.0"><channel><title>t</title><item><title>A headline</title><link>https://x.example/a</link><description>(Reuters) - Something happened.</description></item></channel></rss>"#;
        let a = parse_items(rss.as_bytes(), "f", "http://f/1", &[], now()).unwrap();
        let b = parse_items(rss.as_bytes(), "f", "http://f/1", &[], now()).unwrap();
        assert_eq!(a[0].id, b[0].id);
        assert_eq!(a[0].source, "Reuters");
        assert_eq!(a[0].published, now(), "no date: fetch time");
        let other_feed = parse_items(rss.as_bytes(), "f", "http://f/2", &[], now()).unwrap();
        assert_ne!(a[0].id, other_feed[0].id);
    }

    #[test]
    fn german_dates_are_the_items_dates_not_the_fetch_time() {
        let rss = r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Börse</title><language>de-DE</language><item><title>Nvidia-Aktie fällt</title><link>https://boerse.example/1</link><guid>1</guid><pubDate>Di, 03 Feb 2026 07:32:00 +0100</pubDate></item><item><title>OpenAI sucht Alternativen</title><link>https://boerse.example/2</link><guid>2</guid><pubDate>Mo, 02 Mär 2026 17:05:00 MEZ</pubDate></item><item><title>Ohne Zone</title><link>https://boerse.example/3</link><guid>3</guid><pubDate>3. Februar 2026, 07:32 Uhr</pubDate></item><item><title>Unlesbar</title><link>https://boerse.example/4</link><guid>4</guid><pubDate>gestern</pubDate></item></channel></rss>"#;
        let items = parse_items(rss.as_bytes(), "boerse", "http://f/de", &[], now()).unwrap();
        let published: Vec<String> = items.iter().map(|h| h.published.to_rfc3339()).collect();
        assert_eq!(
            published,
            [
                "2026-02-03T06:32:00+00:00",
                "2026-03-02T16:05:00+00:00",
                "2026-02-03T06:32:00+00:00",
                "2026-03-05T09:00:00+00:00",
            ],
            "the last one is unreadable: fetch time"
        );
    }

    #[test]
    fn an_item_dated_years_ahead_does_not_carry_that_date() {
        // A date decades after the fetch is a feed's mistake, not the item's date: kept, it
        // heads `/news` (newest first) until it is past and is never pruned (`KEEP` counts back
        // from now). Lenient forms (a German order, a two-digit year 49 = 2049) got the fetch
        // time before the date hook; the RFC 2822 form shows the bound applies to all forms.
        let rss = r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Börse</title><language>de-DE</language><item><title>Ferne Zukunft</title><link>https://boerse.example/1</link><guid>1</guid><pubDate>03.02.2199 07:32</pubDate></item><item><title>Zweistellig</title><link>https://boerse.example/2</link><guid>2</guid><pubDate>03.02.49 07:32</pubDate></item><item><title>RFC</title><link>https://boerse.example/3</link><guid>3</guid><pubDate>Tue, 03 Feb 2199 07:32:00 GMT</pubDate></item></channel></rss>"#;
        let items = parse_items(rss.as_bytes(), "boerse", "http://f/de", &[], now()).unwrap();
        assert_eq!(items.len(), 3);
        for h in &items {
            assert!(h.published <= now(), "{:?} dated {}", h.title, h.published);
        }
    }

    #[test]
    fn atom_entries_parse() {
        let atom = r#"<?xml version="1.0" encoding="ISO-8859-1" ?><feed xmlns="http://www.w3.org/2005/Atom"><title>filings</title><id>urn:x</id><updated>2026-02-04T16:31:07-05:00</updated><entry><title>8-K  - Current report</title><id>urn:tag:sec.gov,2008:accession-number=1</id><link href="https://sec.example/1" rel="alternate" type="text/html"/><updated>2026-02-04T16:31:07-05:00</updated></entry></feed>"#;
        let items = parse_items(atom.as_bytes(), "edgar", "http://f/3", &[], now()).unwrap();
        assert_eq!(items[0].published.to_rfc3339(), "2026-02-04T21:31:07+00:00");
        assert_eq!(items[0].link.as_deref(), Some("https://sec.example/1"));
    }

    #[test]
    fn atom_titles_in_html_are_their_text_not_their_markup() {
        // An Atom title of type `html` (or `xhtml`) is markup for a reader to render: its
        // tags are no part of the headline, whose words a chat reads and rules match.
        let atom = r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>markets</title><id>urn:m</id><updated>2026-02-03T07:32:00Z</updated><entry><title type="html">Nvidia &lt;em&gt;slumps&lt;/em&gt; as AT&amp;amp;T &amp;lt;b&amp;gt; rises</title><id>urn:m:1</id><link href="https://m.example/1"/><updated>2026-02-03T07:32:00Z</updated></entry><entry><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">OpenAI <b>seeks</b> alternatives</div></title><id>urn:m:2</id><link href="https://m.example/2"/><updated>2026-02-03T07:32:00Z</updated></entry><entry><title>Plain &lt;text&gt; stays</title><id>urn:m:3</id><link href="https://m.example/3"/><updated>2026-02-03T07:32:00Z</updated></entry></feed>"#;
        let items = parse_items(atom.as_bytes(), "m", "http://f/m", &[], now()).unwrap();
        let titles: Vec<&str> = items.iter().map(|h| h.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Nvidia slumps as AT&T <b> rises",
                "OpenAI seeks alternatives",
                "Plain <text> stays"
            ]
        );
    }

    #[test]
    fn malformed_and_hostile_feeds_are_errors_not_panics() {
        for body in [
            "",
            "<rss",
            "not xml at all",
            "<rss version=\"2.0\"><channel><item><title>x</title></channel></rss>",
            "{\"json\":true}",
        ] {
            let _ = parse_items(body.as_bytes(), "f", "http://f", &[], now());
        }
        assert!(parse_items(b"<<<>>>", "f", "http://f", &[], now()).is_err());
        let huge_title = format!(
            "<rss version=\"2.0\"><channel><title>t</title><item><title>{}</title></item></channel></rss>",
            "x".repeat(10_000)
        );
        let items = parse_items(huge_title.as_bytes(), "f", "http://f", &[], now()).unwrap();
        assert!(items[0].title.chars().count() <= MAX_TITLE + 1);
    }

    #[test]
    fn a_feed_is_known_by_its_root_element() {
        for feed in [
            "<rss version=\"2.0\">",
            "\u{feff}<?xml version=\"1.0\"?>\n<!-- generated -->\n<?xml-stylesheet href=\"s.xsl\"?><rss>",
            "<?xml version=\"1.0\"?><!DOCTYPE rss PUBLIC \"-//Netscape Communications//DTD RSS 0.91//EN\" \"http://my.netscape.com/publish/formats/rss-0.91.dtd\"><rss version=\"0.91\">",
            "<?xml version=\"1.0\"?><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">",
            "  <feed xmlns=\"http://www.w3.org/2005/Atom\">",
            "<atom:feed xmlns:atom=\"http://www.w3.org/2005/Atom\">",
        ] {
            assert!(looks_like_feed(feed.as_bytes()), "{feed}");
        }
        for page in [
            "<!DOCTYPE html><html><body>consent</body></html>",
            "<?xml version=\"1.0\"?><!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"x\"><html>",
            "<rssfeed>",
            "<feeds>",
            "<!-- unterminated <rss>",
            "{\"rss\": 1}",
            "",
        ] {
            assert!(!looks_like_feed(page.as_bytes()), "{page}");
        }
    }

    #[test]
    fn plain_text_strips_tags_and_entities() {
        assert_eq!(
            plain_text("<p>&bull; OpenAI testet f&uuml;r <b>Inferenz</b></p>"),
            "• OpenAI testet für Inferenz"
        );
    }
}
