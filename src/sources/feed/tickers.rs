//! The symbols each item of a feed names in tags of its own, which feed-rs passes over:
//! Nasdaq's per-ticker feeds (`rssoutbound?symbol=NVDA`) carry items about other companies
//! too, each naming the symbols it is about in `<nasdaq:tickers>AMD,NVDA</nasdaq:tickers>`.

use quick_xml::Reader;
use quick_xml::encoding::DecodingReader;
use quick_xml::events::Event;

/// The local name of the tag an item names its symbols in, comma-separated.
const TICKERS: &str = "tickers";

/// The most symbols one item is taken to be about (Nasdaq's name a handful): the rest of a
/// longer list are passed over, so a hostile feed cannot make one item cost as much as
/// thousands, nor its list be compared with itself quadratically.
const MOST_SYMBOLS: usize = 16;

/// Per item of `body`, in document order, the symbols its own tags name (none for an item
/// that names none; each once, in the order named, in the bot's (Yahoo's) spelling: Nasdaq
/// names US listings, a share class after a dot, [`crate::model::us_symbol`]).
/// `None` when the body names no symbols anywhere or cannot be read to its end.
pub(super) fn per_item(body: &[u8]) -> Option<Vec<Vec<String>>> {
    // Most feeds have no such tag: they are not read twice.
    if !body.windows(TICKERS.len()).any(|w| w == TICKERS.as_bytes()) {
        return None;
    }
    let mut reader = Reader::from_reader(DecodingReader::new(body));
    let mut buf = Vec::new();
    let mut items: Vec<Vec<String>> = Vec::new();
    // Inside an item: how deep below it; inside its tickers tag: the text so far.
    let mut depth: Option<usize> = None;
    let mut tickers: Option<String> = None;
    let mut named = false;
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) => match depth.as_mut() {
                None if is_item(e.name().as_ref()) => {
                    items.push(Vec::new());
                    depth = Some(0);
                }
                None => {}
                Some(d) => {
                    *d += 1;
                    if *d == 1 && e.local_name().as_ref() == TICKERS {
                        tickers = Some(String::new());
                    }
                }
            },
            Event::Empty(e) if depth.is_none() && is_item(e.name().as_ref()) => {
                items.push(Vec::new());
            }
            Event::Text(t) => {
                if let Some(text) = tickers.as_mut() {
                    text.push_str(&t);
                }
            }
            Event::CData(t) => {
                if let Some(text) = tickers.as_mut() {
                    text.push_str(&t);
                }
            }
            Event::End(_) => match depth {
                Some(0) => depth = None,
                Some(d) => {
                    if let (1, Some(text)) = (d, tickers.take()) {
                        let symbols = items.last_mut().expect("inside an item");
                        for symbol in text.split(',').filter_map(crate::model::us_symbol) {
                            if symbols.len() == MOST_SYMBOLS {
                                break;
                            }
                            if !symbols.contains(&symbol) {
                                symbols.push(symbol);
                                named = true;
                            }
                        }
                    }
                    depth = Some(d - 1);
                }
                None => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    named.then_some(items)
}

/// An RSS item or an Atom entry, as feed-rs reads them (unprefixed).
fn is_item(name: &str) -> bool {
    name == "item" || name == "entry"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_item_names_its_own_symbols_once() {
        let rss = br#"<rss xmlns:nasdaq="http://nasdaq.com/reference/feeds/1.0"><channel><title>t</title>
            <item><title>a</title><description><![CDATA[<item><nasdaq:tickers>XOM</nasdaq:tickers></item>]]></description><nasdaq:tickers>TSM, tsm,NVDA,,$AMD,BRK.B,BRK-B</nasdaq:tickers></item>
            <item/>
            <item><title>c</title><nasdaq:tickers>not a symbol!</nasdaq:tickers></item>
            </channel></rss>"#;
        assert_eq!(
            per_item(rss),
            Some(vec![
                vec![
                    "TSM".to_string(),
                    "NVDA".into(),
                    "AMD".into(),
                    "BRK-B".into()
                ],
                vec![],
                vec![],
            ])
        );
    }

    #[test]
    fn an_item_is_about_the_first_symbols_of_a_long_list_only() {
        let list: Vec<String> = (0..100_000).map(|i| format!("S{i}")).collect();
        let rss = format!(
            "<rss><channel><item><nasdaq:tickers>{}</nasdaq:tickers></item></channel></rss>",
            list.join(",")
        );
        let items = per_item(rss.as_bytes()).expect("symbols named");
        assert_eq!(items[0], list[..MOST_SYMBOLS]);
    }

    #[test]
    fn a_feed_that_names_no_symbols_or_breaks_off_has_none() {
        assert_eq!(
            per_item(b"<rss><channel><item><title>a</title></item></channel></rss>"),
            None
        );
        assert_eq!(
            per_item(
                b"<rss><channel><item><nasdaq:tickers>AMD</nasdaq:tickers></item><item></rss>"
            ),
            None
        );
    }
}
