//! Headlines kept for `/news`: newest first, each article once, pruned after a week.

use super::*;

on_every_backend!(
    news_is_newest_first_and_old_headlines_are_pruned,
    news_lists_an_article_stored_twice_once,
    a_headline_dated_before_1970_is_not_the_newest_news_and_is_pruned,
);

fn news_lists_an_article_stored_twice_once(f: &Fixture) {
    let store = f.open();
    let at = "2026-02-02T21:47:00Z";
    let about = |symbols: &[&str]| StoredHeadline {
        headline: headline(at),
        symbols: symbols.iter().map(|s| s.to_string()).collect(),
    };
    let mut unlinked = headline(at);
    unlinked.link = None;
    let step = Step {
        now: Utc::now(),
        headlines: vec![
            ("msft-feed".into(), about(&["MSFT", "NVDA"])),
            ("nvda-feed".into(), about(&["NVDA"])),
            (
                "no-link".into(),
                StoredHeadline {
                    headline: unlinked.clone(),
                    symbols: vec!["NVDA".into()],
                },
            ),
            (
                "no-link-again".into(),
                StoredHeadline {
                    headline: unlinked,
                    symbols: vec!["NVDA".into()],
                },
            ),
        ],
        ..Step::default()
    };
    store.commit(&step).unwrap();
    assert_eq!(store.news("NVDA", 10).unwrap().len(), 2);
    assert_eq!(store.news("MSFT", 10).unwrap().len(), 1);
}

/// Stores a headline about NVDA published at each of `times` (items `item-0`, `item-1`…).
fn store_news_of_nvda(store: &Store, times: &[&str]) {
    let step = Step {
        now: Utc::now(),
        headlines: times
            .iter()
            .enumerate()
            .map(|(i, t)| {
                (
                    format!("item-{i}"),
                    StoredHeadline {
                        headline: headline(t),
                        symbols: vec!["NVDA".into()],
                    },
                )
            })
            .collect(),
        ..Step::default()
    };
    store.commit(&step).unwrap();
}

fn news_is_newest_first_and_old_headlines_are_pruned(f: &Fixture) {
    let store = f.open();
    store_news_of_nvda(
        &store,
        &[
            "2026-01-20T10:00:00Z",
            "2026-02-02T21:47:00Z",
            "2026-02-01T08:00:00Z",
        ],
    );
    let times: Vec<String> = store
        .news("NVDA", 2)
        .unwrap()
        .iter()
        .map(|h| h.published.to_rfc3339())
        .collect();
    assert_eq!(
        times,
        ["2026-02-02T21:47:00+00:00", "2026-02-01T08:00:00+00:00"]
    );
    store
        .prune("2026-02-03T00:00:00Z".parse().unwrap())
        .unwrap();
    assert_eq!(
        store.news("NVDA", 5).unwrap().len(),
        2,
        "the one older than a week is gone"
    );
}

/// Some feeds date an undated item at the zero time of their language ("0001-01-01"): it is
/// the oldest news, not the newest, and goes with the other old headlines.
fn a_headline_dated_before_1970_is_not_the_newest_news_and_is_pruned(f: &Fixture) {
    let store = f.open();
    store_news_of_nvda(&store, &["0001-01-01T00:00:00Z", "2026-02-02T21:47:00Z"]);
    let newest: Vec<String> = store
        .news("NVDA", 1)
        .unwrap()
        .iter()
        .map(|h| h.published.to_rfc3339())
        .collect();
    assert_eq!(newest, ["2026-02-02T21:47:00+00:00"]);
    // As an earlier version stored it: under its negative time.
    let mut legacy = (-62_135_596_800i64).to_be_bytes().to_vec();
    legacy.extend_from_slice(b"item-legacy");
    let ancient = StoredHeadline {
        headline: headline("0001-01-01T00:00:00Z"),
        symbols: vec!["NVDA".into()],
    };
    store
        .backend()
        .insert(Tree::Headlines, &legacy, &encode(&ancient))
        .unwrap();
    store
        .prune("2026-02-03T00:00:00Z".parse().unwrap())
        .unwrap();
    let left: Vec<String> = store
        .news("NVDA", 5)
        .unwrap()
        .iter()
        .map(|h| h.published.to_rfc3339())
        .collect();
    assert_eq!(
        left,
        ["2026-02-02T21:47:00+00:00"],
        "the ancient one is kept forever"
    );
}
