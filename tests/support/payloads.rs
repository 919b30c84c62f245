//! Payloads in the real shapes of Yahoo's chart API, Stooq's CSV and RSS feeds, with values
//! of the test's choosing.

use chrono::{DateTime, Utc};

/// One intraday bar for a chart: start (epoch seconds) and OHLCV; `None` close makes a bar
/// without trades (all fields null, as Yahoo sends them).
#[derive(Clone, Copy)]
pub struct ChartBar {
    pub start: i64,
    pub close: Option<f64>,
    pub volume: u64,
}

/// Thirty-minute bars for 2 Feb 2026 from the pre-market to after hours, easing from
/// `open` to `close` over the regular session and drifting to `post` afterwards.
pub fn seed_day_bars(open: f64, close: f64, post: f64) -> Vec<ChartBar> {
    let mut bars = Vec::new();
    // 12:30Z pre-market … 21:30Z after hours (the bar forming at 21:50 is left out by the bot).
    let first = 1_770_035_400; // 2026-02-02T12:30:00Z
    for i in 0..20 {
        let start = first + i * 1800;
        let regular_from = 1_770_042_600; // 14:30Z
        let regular_to = 1_770_066_000; // 21:00Z
        let price = if start < regular_from {
            open + 0.15
        } else if start < regular_to {
            let f = (start - regular_from) as f64 / (regular_to - 1800 - regular_from) as f64;
            open + (close - open) * f
        } else {
            post
        };
        // One after-hours bar without trades, as Yahoo sends them.
        let close = if start == 1_770_067_800 {
            None
        } else {
            Some(price)
        };
        bars.push(ChartBar {
            start,
            close,
            volume: 1_000_000 + i as u64 * 10_000,
        });
    }
    bars
}

fn noisy(v: f64) -> String {
    // Yahoo's float32 artefacts: 186.25 stays, most others gain digits.
    format!("{}", v as f32 as f64)
}

/// A spark response (the map shape: symbol → closes) for `range=1d`: each symbol with its
/// previous close and its bars. Symbols Yahoo does not know are simply absent.
pub fn yahoo_spark(symbols: &[(&str, f64, &[ChartBar])]) -> String {
    let entries: Vec<String> = symbols
        .iter()
        .map(|(symbol, previous_close, bars)| {
            let ts: Vec<String> = bars.iter().map(|b| b.start.to_string()).collect();
            let close: Vec<String> = bars
                .iter()
                .map(|b| b.close.map_or("null".to_string(), noisy))
                .collect();
            format!(
                r#""{symbol}":{{"symbol":"{symbol}","timestamp":[{}],"close":[{}],"chartPreviousClose":{previous_close},"previousClose":null,"dataGranularity":300,"end":null,"start":null}}"#,
                ts.join(","),
                close.join(",")
            )
        })
        .collect();
    format!("{{{}}}", entries.join(","))
}

/// A chart v8 response for `range=1d&interval=30m&includePrePost=true`.
pub fn yahoo_chart(
    symbol: &str,
    previous_close: f64,
    regular_price: f64,
    regular_time: i64,
    bars: &[ChartBar],
) -> String {
    let ts: Vec<String> = bars.iter().map(|b| b.start.to_string()).collect();
    let col = |f: &dyn Fn(f64) -> f64| -> String {
        bars.iter()
            .map(|b| b.close.map_or("null".to_string(), |c| noisy(f(c))))
            .collect::<Vec<_>>()
            .join(",")
    };
    let vol: Vec<String> = bars
        .iter()
        .map(|b| {
            if b.close.is_some() {
                b.volume.to_string()
            } else {
                "null".into()
            }
        })
        .collect();
    let day_high = bars.iter().filter_map(|b| b.close).fold(f64::MIN, f64::max);
    let day_low = bars.iter().filter_map(|b| b.close).fold(f64::MAX, f64::min);
    format!(
        r#"{{"chart":{{"result":[{{"meta":{{"currency":"USD","symbol":"{symbol}","exchangeName":"NMS","fullExchangeName":"NasdaqGS","instrumentType":"EQUITY","firstTradeDate":917015400,"regularMarketTime":{regular_time},"hasPrePostMarketData":true,"gmtoffset":-18000,"timezone":"EST","exchangeTimezoneName":"America/New_York","regularMarketPrice":{regular_price},"fiftyTwoWeekHigh":212.19,"fiftyTwoWeekLow":86.62,"regularMarketDayHigh":{day_high},"regularMarketDayLow":{day_low},"regularMarketVolume":223415900,"longName":"{symbol} Corporation","shortName":"{symbol} Corporation","chartPreviousClose":{previous_close},"previousClose":{previous_close},"scale":3,"priceHint":2,"currentTradingPeriod":{{"pre":{{"timezone":"EST","start":1770022800,"end":1770042600,"gmtoffset":-18000}},"regular":{{"timezone":"EST","start":1770042600,"end":1770066000,"gmtoffset":-18000}},"post":{{"timezone":"EST","start":1770066000,"end":1770080400,"gmtoffset":-18000}}}},"tradingPeriods":{{"pre":[[{{"timezone":"EST","start":1770022800,"end":1770042600,"gmtoffset":-18000}}]],"regular":[[{{"timezone":"EST","start":1770042600,"end":1770066000,"gmtoffset":-18000}}]],"post":[[{{"timezone":"EST","start":1770066000,"end":1770080400,"gmtoffset":-18000}}]]}},"dataGranularity":"30m","range":"1d","validRanges":["1d","5d","1mo","3mo","6mo","1y","2y","5y","10y","ytd","max"]}},"timestamp":[{ts}],"indicators":{{"quote":[{{"volume":[{vol}],"low":[{low}],"close":[{close}],"open":[{open}],"high":[{high}]}}]}}}}],"error":null}}}}"#,
        ts = ts.join(","),
        vol = vol.join(","),
        low = col(&|c| c - 0.3),
        close = col(&|c| c),
        open = col(&|c| c + 0.1),
        high = col(&|c| c + 0.4),
    )
}

/// NVDA on 2 Feb 2026: previous close 191.79, regular close 186.25 (−2.89 %), after hours
/// a little higher.
pub fn nvda_down() -> String {
    yahoo_chart(
        "NVDA",
        191.79,
        186.25,
        1_770_066_001,
        &seed_day_bars(188.9, 186.25, 186.4),
    )
}

/// The same evening, had NVDA risen 1.5 % instead.
pub fn nvda_up() -> String {
    yahoo_chart(
        "NVDA",
        191.79,
        194.67,
        1_770_066_001,
        &seed_day_bars(191.9, 194.67, 194.8),
    )
}

/// One RSS item.
#[derive(Clone)]
pub struct Item {
    pub title: String,
    pub link: String,
    pub guid: Option<String>,
    pub published: DateTime<Utc>,
    pub description: String,
}

impl Item {
    pub fn new(title: &str, link: &str, published: &str) -> Item {
        Item {
            title: title.into(),
            link: link.into(),
            guid: Some(format!("{:x}", title.len() * 7919 + link.len())),
            published: published.parse().unwrap(),
            description: String::new(),
        }
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An RSS 2.0 document shaped like Yahoo Finance's per-ticker feed (items before the channel
/// metadata, UUID guids, RFC 2822 dates).
pub fn rss(channel_title: &str, items: &[Item]) -> String {
    let mut out = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><rss version="2.0"><channel><copyright>Copyright (c) 2026 Example Media</copyright><description>Latest news</description>"#,
    );
    for i in items {
        out.push_str("<item>");
        out.push_str(&format!(
            "<description>{}</description>",
            xml_escape(&i.description)
        ));
        if let Some(g) = &i.guid {
            out.push_str(&format!(
                r#"<guid isPermaLink="false">{}</guid>"#,
                xml_escape(g)
            ));
        }
        out.push_str(&format!("<link>{}</link>", xml_escape(&i.link)));
        out.push_str(&format!("<pubDate>{}</pubDate>", i.published.to_rfc2822()));
        out.push_str(&format!("<title>{}</title>", xml_escape(&i.title)));
        out.push_str("</item>");
    }
    out.push_str(&format!("<language>en-US</language><lastBuildDate>Mon, 02 Feb 2026 22:03:11 +0000</lastBuildDate><link>https://news.example/</link><title>{}</title></channel></rss>", xml_escape(channel_title)));
    out
}

/// The Reuters story of 2 Feb 2026 as it first appeared.
pub const SEED_TITLE: &str =
    "OpenAI is unsatisfied with some Nvidia chips and looking for alternatives, sources say";
pub const SEED_LINK: &str =
    "https://finance.example/news/openai-unsatisfied-nvidia-chips-214700123.html";

pub fn seed_item() -> Item {
    let mut i = Item::new(SEED_TITLE, SEED_LINK, "2026-02-02T21:47:00Z");
    i.description = "(Reuters) - OpenAI is unsatisfied with some of Nvidia's latest chips for inference and has sought alternatives since last year, sources said.".into();
    i
}
