//! A body of Finnhub's company-news endpoint turned into headlines
//! (`sources::finnhub::news::parse_news`), each headline then prepared and matched against
//! the shipped rules.

#![no_main]

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use marketbot::sources::finnhub::news::parse_news;
use marketbot::text::Lang;
use marketbot_fuzz::shipped_rules;

fuzz_target!(|data: &[u8]| {
    let now: DateTime<Utc> = DateTime::from_timestamp(1_770_000_000, 0).expect("valid");
    let Ok(headlines) = parse_news(data, "NVDA", "finnhub-news", now) else {
        return;
    };
    assert!(headlines.len() <= 300);
    let set = shipped_rules();
    for h in &headlines {
        assert!(!h.title.trim().is_empty());
        assert!(h.title.chars().count() <= 401, "{:?}", h.title);
        assert!(h.published <= now && h.published.timestamp() > 0);
        assert!(!h.source.is_empty() && h.source.chars().count() <= 60);
        assert_eq!(h.symbols, ["NVDA"]);
        if let Some(link) = &h.link {
            assert!(link.starts_with("http://") || link.starts_with("https://"));
        }
        let lang = h.lang.as_deref().and_then(Lang::from_code);
        let prepared = set.prepare(&h.title, h.summary.as_deref(), &h.source, lang);
        set.match_headline(&prepared);
    }
});
