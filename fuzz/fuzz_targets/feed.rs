//! A fetched RSS/Atom body turned into headlines (`sources::feed::parse_items`), each
//! headline then prepared and matched against the shipped rules, and an alert citing it
//! rendered: every message built from it must be Telegram HTML.

#![no_main]

use chrono::{DateTime, Datelike, Utc};
use libfuzzer_sys::fuzz_target;
use marketbot::delivery::render::{self, Locale, MESSAGE_LIMIT};
use marketbot::engine::Alert;
use marketbot::model::HeadlineRef;
use marketbot::rules::Severity;
use marketbot::sources::feed::parse_items;
use marketbot::text::Lang;
use marketbot_fuzz::{assert_sendable, assert_well_formed, shipped_rules};

fuzz_target!(
    init: {
        // `parse_items` catches the XML reader's panics; the default hook of a fuzz target
        // would abort on them before they are caught. Uncaught ones still abort.
        std::panic::set_hook(Box::new(|info| eprintln!("{info}")));
    },
    |data: &[u8]| {
    let now: DateTime<Utc> = DateTime::from_timestamp(1_770_000_000, 0).expect("valid");
    let symbols = vec!["NVDA".to_string()];
    let Ok(headlines) = parse_items(data, "Feed", "https://feed.example/rss", &symbols, now)
    else {
        return;
    };
    let set = shipped_rules();
    for h in &headlines {
        assert!(!h.title.trim().is_empty());
        assert!(h.title.chars().count() <= 401, "{:?}", h.title);
        // A date read from the feed is a plausible one; else the item has the fetch time.
        assert!(h.published == now || (1970..=2200).contains(&h.published.year()));
        if let Some(link) = &h.link {
            assert!(link.starts_with("http://") || link.starts_with("https://"));
        }
        let lang = h.lang.as_deref().and_then(Lang::from_code);
        let prepared = set.prepare(&h.title, h.summary.as_deref(), &h.source, lang);
        let found = set.match_headline(&prepared);
        let cited = HeadlineRef::new(h, &prepared.title.original);
        let matched = found
            .rules
            .first()
            .map(|m| m.matched.clone())
            .unwrap_or_default();
        let alert = Alert {
            id: 1,
            rule: "fuzzed".into(),
            title: "A headline".into(),
            severity: Severity::Medium,
            symbol: found.linked_symbols.iter().next().cloned(),
            fired_at: now,
            headline: Some(cited.clone()),
            also: vec![cited.clone()],
            held: matched.iter().map(|m| m.selection.clone()).collect(),
            matched,
            price: None,
            within_secs: 0,
        };
        for lang in [Lang::En, Lang::De] {
            let locale = Locale {
                lang,
                tz: chrono_tz::Europe::Berlin,
            };
            let html = render::alert_html(&alert, None, &locale);
            assert_well_formed(&html);
            for part in render::split_html(&html, MESSAGE_LIMIT) {
                assert_sendable(&part, MESSAGE_LIMIT);
            }
            assert_sendable(
                &render::alert_caption(&alert, None, &locale),
                render::CAPTION_LIMIT,
            );
            assert_well_formed(&render::why_html(&alert, &locale));
            assert_well_formed(&render::digest_html(std::slice::from_ref(&alert), &locale));
            render::alert_text(&alert);
        }
        for m in set.rules().iter().filter_map(|r| r.template.as_ref()) {
            assert_well_formed(&render::alert_html(&alert, Some(m), &Locale::DEFAULT));
        }
    }
});
