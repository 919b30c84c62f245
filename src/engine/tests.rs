use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::*;
use crate::model::{Bar, Headline};
use crate::rules::{SourceFile, compile};

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

const RULE: &str = r#"
id = "partner-drop"
title = "Partner seeks alternatives and NVDA drops"
symbols = ["NVDA"]
condition = "partner and alternative and not denial and drop"
[text.partner]
any = ["openai"]
[text.alternative]
any = ["alternativ*", "rival hardware"]
[text.denial]
any = ["denies"]
[price.drop]
change = "<= -2%"
[correlate]
within = "24h"
order = "ORDER"
[noise]
cooldown = "24h"
"#;

fn engine_with(order: &str) -> Engine {
    let set = compile(
        vec![SourceFile {
            path: "rules/r.toml".into(),
            text: RULE.replace("ORDER", order),
        }],
        vec![],
    )
    .unwrap();
    Engine::new(Arc::new(set), EngineState::default())
}

fn headline(title: &str, published: &str) -> Headline {
    Headline {
        id: String::new(),
        published: t(published),
        source: "Reuters".into(),
        title: title.into(),
        link: Some(format!("https://example.com/{}", title.len())),
        summary: None,
        symbols: vec!["NVDA".into()],
        lang: None,
    }
}

fn bar(time: &str, interval: &str, close: f64) -> Bar {
    Bar {
        symbol: "NVDA".into(),
        time: t(time),
        interval: interval.parse().unwrap(),
        open: Some(close),
        high: Some(close),
        low: Some(close),
        close: Some(close),
        volume: Some(1_000_000),
        session: None,
        currency: None,
    }
}

fn alerts(outputs: Vec<Output>) -> Vec<Alert> {
    outputs
        .into_iter()
        .filter_map(|o| match o {
            Output::Alert(a) => Some(*a),
            Output::AlsoReported { .. } => None,
        })
        .collect()
}

const NEWS: &str = "OpenAI is unsatisfied with some Nvidia chips and looking for alternatives";

/// Friday's close, then Monday's bars: flat until 20:00, −2.9 % at the 21:00 close.
fn monday(e: &mut Engine) -> Vec<Alert> {
    let mut out = alerts(e.on_bars(
        &[bar("2026-01-30T21:00:00Z", "1d", 191.79)],
        t("2026-02-02T14:00:00Z"),
    ));
    out.extend(alerts(e.on_bars(
        &[bar("2026-02-02T15:00:00Z", "30m", 191.0)],
        t("2026-02-02T15:00:00Z"),
    )));
    out.extend(alerts(e.on_bars(
        &[bar("2026-02-02T21:00:00Z", "30m", 186.25)],
        t("2026-02-02T21:00:00Z"),
    )));
    out
}

#[test]
fn drop_then_news_fires_once_when_the_news_arrives() {
    let mut e = engine_with("any");
    assert!(monday(&mut e).is_empty(), "a drop alone is not the story");
    let (out, report) = e.on_headline(
        &headline(NEWS, "2026-02-02T21:47:00Z"),
        t("2026-02-02T21:48:00Z"),
    );
    assert_eq!(report.matched_rules.len(), 1);
    let fired = alerts(out);
    assert_eq!(fired.len(), 1);
    let a = &fired[0];
    assert_eq!(a.rule, "partner-drop");
    assert_eq!(a.symbol.as_deref(), Some("NVDA"));
    assert_eq!(a.fired_at, t("2026-02-02T21:48:00Z"));
    let p = a.price.as_ref().unwrap();
    assert_eq!((p.price, p.reference), (186.25, Some(191.79)));
    assert_eq!(a.held, ["partner", "alternative", "drop"]);
    assert!(a.matched.iter().any(|m| m.text == "alternatives"));
    // The next session's further drop is within the cooldown: nothing new.
    let more = e.on_bars(
        &[bar("2026-02-03T15:00:00Z", "30m", 178.0)],
        t("2026-02-03T15:00:00Z"),
    );
    assert!(alerts(more).is_empty());
}

#[test]
fn news_then_drop_fires_once_when_the_drop_arrives() {
    let mut e = engine_with("any");
    e.on_bars(
        &[bar("2026-01-30T21:00:00Z", "1d", 191.79)],
        t("2026-02-02T10:00:00Z"),
    );
    let (out, _) = e.on_headline(
        &headline(NEWS, "2026-02-02T11:00:00Z"),
        t("2026-02-02T11:00:00Z"),
    );
    assert!(out.is_empty());
    assert!(
        alerts(e.on_bars(
            &[bar("2026-02-02T15:00:00Z", "30m", 190.0)],
            t("2026-02-02T15:00:00Z")
        ))
        .is_empty()
    );
    let fired = alerts(e.on_bars(
        &[bar("2026-02-02T16:00:00Z", "30m", 187.0)],
        t("2026-02-02T16:00:00Z"),
    ));
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].headline.as_ref().unwrap().title, NEWS);
    let again = e.on_bars(
        &[bar("2026-02-02T16:30:00Z", "30m", 186.0)],
        t("2026-02-02T16:30:00Z"),
    );
    assert!(alerts(again).is_empty(), "once");
}

#[test]
fn a_drop_outside_the_span_does_not_pair() {
    let mut e = engine_with("any");
    e.on_bars(
        &[bar("2026-01-29T21:00:00Z", "1d", 191.79)],
        t("2026-01-30T14:00:00Z"),
    );
    e.on_bars(
        &[bar("2026-01-30T15:00:00Z", "30m", 185.0)],
        t("2026-01-30T15:00:00Z"),
    );
    // Monday evening: the Friday drop is more than 24 h old.
    let (out, _) = e.on_headline(
        &headline(NEWS, "2026-02-02T21:47:00Z"),
        t("2026-02-02T21:48:00Z"),
    );
    assert!(out.is_empty());
}

#[test]
fn a_required_order_is_respected() {
    let mut e = engine_with("text_first");
    monday(&mut e);
    let (out, _) = e.on_headline(
        &headline(NEWS, "2026-02-02T21:47:00Z"),
        t("2026-02-02T21:48:00Z"),
    );
    assert!(out.is_empty(), "the drop came first");
    // Tuesday's session drops further: now the price follows the news.
    let fired = alerts(e.on_bars(
        &[bar("2026-02-03T15:00:00Z", "30m", 180.0)],
        t("2026-02-03T15:00:00Z"),
    ));
    assert_eq!(fired.len(), 1);
}

#[test]
fn a_drop_earlier_in_the_span_pairs_with_later_news() {
    let mut e = engine_with("any");
    e.on_bars(
        &[bar("2026-01-30T21:00:00Z", "1d", 191.79)],
        t("2026-02-02T10:00:00Z"),
    );
    e.on_bars(
        &[bar("2026-02-02T15:00:00Z", "30m", 186.0)],
        t("2026-02-02T15:00:00Z"),
    );
    e.on_bars(
        &[bar("2026-02-02T16:00:00Z", "30m", 190.5)],
        t("2026-02-02T16:00:00Z"),
    );
    let (out, _) = e.on_headline(
        &headline(NEWS, "2026-02-02T18:00:00Z"),
        t("2026-02-02T18:00:00Z"),
    );
    let fired = alerts(out);
    assert_eq!(fired.len(), 1);
    assert_eq!(
        fired[0].price.as_ref().unwrap().at,
        t("2026-02-02T15:00:00Z")
    );
}

#[test]
fn a_stale_reference_never_satisfies_the_price_part() {
    // The only close known is from two weeks earlier (the data has a gap): a "drop" against
    // it says nothing about today.
    let mut e = engine_with("any");
    e.on_bars(
        &[bar("2026-01-16T21:00:00Z", "1d", 191.79)],
        t("2026-02-02T10:00:00Z"),
    );
    e.on_headline(
        &headline(NEWS, "2026-02-02T11:00:00Z"),
        t("2026-02-02T11:00:00Z"),
    );
    let out = e.on_bars(
        &[bar("2026-02-02T16:00:00Z", "30m", 180.0)],
        t("2026-02-02T16:00:00Z"),
    );
    assert!(alerts(out).is_empty());
}

#[test]
fn a_quote_that_arrives_late_is_judged_at_its_own_time() {
    // A bar from Friday fetched on Monday: Friday's drop is more than a day before the
    // Monday news, so it does not pair.
    let mut e = engine_with("any");
    e.on_bars(
        &[bar("2026-01-29T21:00:00Z", "1d", 191.79)],
        t("2026-02-02T10:00:00Z"),
    );
    e.on_headline(
        &headline(NEWS, "2026-02-02T11:00:00Z"),
        t("2026-02-02T11:00:00Z"),
    );
    let out = e.on_bars(
        &[bar("2026-01-30T16:00:00Z", "30m", 180.0)],
        t("2026-02-02T11:05:00Z"),
    );
    assert!(alerts(out).is_empty());
}

#[test]
fn the_right_headline_while_the_stock_rises_does_not_fire() {
    let mut e = engine_with("any");
    e.on_bars(
        &[bar("2026-01-30T21:00:00Z", "1d", 191.79)],
        t("2026-02-02T14:00:00Z"),
    );
    e.on_bars(
        &[bar("2026-02-02T21:00:00Z", "30m", 196.0)],
        t("2026-02-02T21:00:00Z"),
    );
    let (out, _) = e.on_headline(
        &headline(NEWS, "2026-02-02T21:47:00Z"),
        t("2026-02-02T21:48:00Z"),
    );
    assert!(out.is_empty());
}

#[test]
fn a_denial_never_fires() {
    let mut e = engine_with("any");
    monday(&mut e);
    let (out, report) = e.on_headline(
        &headline(
            "Nvidia denies OpenAI seeks alternatives",
            "2026-02-02T22:00:00Z",
        ),
        t("2026-02-02T22:00:00Z"),
    );
    assert!(out.is_empty());
    assert_eq!(report.matched_rules.len(), 0);
}

#[test]
fn later_copies_of_a_story_are_folded_into_the_alert() {
    let mut e = engine_with("any");
    monday(&mut e);
    let (out, _) = e.on_headline(
        &headline(NEWS, "2026-02-02T21:47:00Z"),
        t("2026-02-02T21:48:00Z"),
    );
    let id = alerts(out)[0].id;
    let mut copy = headline(&format!("UPDATE 1-{NEWS}"), "2026-02-02T22:10:00Z");
    copy.source = "Yahoo".into();
    let (out, report) = e.on_headline(&copy, t("2026-02-02T22:10:00Z"));
    assert!(report.duplicate);
    assert_eq!(out.len(), 1);
    assert!(
        matches!(&out[0], Output::AlsoReported { alert, headline } if *alert == id && headline.source == "Yahoo")
    );
    let mut suffixed = headline(&format!("{NEWS} - Reuters"), "2026-02-02T22:20:00Z");
    suffixed.link = Some("https://other.example/x".into());
    let (out, _) = e.on_headline(&suffixed, t("2026-02-02T22:20:00Z"));
    assert_eq!(out.len(), 1, "folded, not a new alert");
    // The very same item fetched again is not even a new copy.
    let (out, _) = e.on_headline(&copy, t("2026-02-02T22:30:00Z"));
    assert!(out.is_empty());
}

#[test]
fn a_story_retold_by_every_feed_lists_a_bounded_number_of_copies() {
    let mut e = engine_with("any");
    monday(&mut e);
    let (out, _) = e.on_headline(
        &headline(NEWS, "2026-02-02T21:47:00Z"),
        t("2026-02-02T21:48:00Z"),
    );
    let id = alerts(out)[0].id;
    let mut listed = 0;
    for i in 0..200 {
        let mut copy = headline(&format!("UPDATE 1-{NEWS}"), "2026-02-02T22:10:00Z");
        copy.source = format!("Feed {i}");
        let (out, report) = e.on_headline(&copy, t("2026-02-02T22:10:00Z"));
        assert!(report.duplicate);
        listed += out
            .iter()
            .filter(|o| matches!(o, Output::AlsoReported { alert, .. } if *alert == id))
            .count();
    }
    // The first copy is the story itself: the rest of the list is "also reported by".
    assert_eq!(listed, super::story::MAX_COPIES - 1);
    let stories: Vec<_> = e.stories().values().collect();
    assert_eq!(stories[0].copies.len(), super::story::MAX_COPIES);
}

#[test]
fn state_survives_a_round_trip_through_json() {
    let mut e = engine_with("any");
    e.on_bars(
        &[bar("2026-01-30T21:00:00Z", "1d", 191.79)],
        t("2026-02-02T10:00:00Z"),
    );
    e.on_headline(
        &headline(NEWS, "2026-02-02T11:00:00Z"),
        t("2026-02-02T11:00:00Z"),
    );
    let mut restored = restart(&e, Arc::clone(e.rules()));
    restored.warm(&[bar("2026-01-30T21:00:00Z", "1d", 191.79)]);
    let fired = alerts(restored.on_bars(
        &[bar("2026-02-02T16:00:00Z", "30m", 187.0)],
        t("2026-02-02T16:00:00Z"),
    ));
    assert_eq!(fired.len(), 1, "the pending headline was remembered");
}

#[test]
fn tidy_forgets_what_can_no_longer_pair() {
    let mut e = engine_with("any");
    e.on_headline(
        &headline(NEWS, "2026-02-02T11:00:00Z"),
        t("2026-02-02T11:00:00Z"),
    );
    assert!(!e.pairs.is_empty());
    e.tidy(t("2026-02-06T11:00:00Z"));
    assert!(e.pairs.is_empty());
    assert!(e.stories().is_empty());
}

#[test]
fn the_same_story_from_three_feeds_and_as_an_update_is_one_alert() {
    let mut e = engine_with("any");
    monday(&mut e);
    let (out, _) = e.on_headline(
        &headline(NEWS, "2026-02-02T21:47:00Z"),
        t("2026-02-02T21:48:00Z"),
    );
    let first = alerts(out);
    assert_eq!(first.len(), 1);
    let copies = [
        ("Yahoo Finance", format!("{NEWS} - Reuters")),
        (
            "Google News",
            "OpenAI unsatisfied with some Nvidia chips, looking for alternatives".to_string(),
        ),
        ("MarketWatch", format!("UPDATE 1-{NEWS}")),
    ];
    let mut folded = 0;
    for (i, (source, title)) in copies.iter().enumerate() {
        let mut h = headline(title, "2026-02-02T22:00:00Z");
        h.source = source.to_string();
        h.link = Some(format!("https://copy{i}.example/story"));
        let (out, report) = e.on_headline(&h, t("2026-02-02T22:05:00Z"));
        assert!(report.duplicate, "{title}");
        assert!(alerts(out.clone()).is_empty());
        folded += out
            .iter()
            .filter(|o| matches!(o, Output::AlsoReported { alert, .. } if *alert == first[0].id))
            .count();
    }
    assert_eq!(folded, 3);
}

fn price_rule(noise: &str) -> Engine {
    let text = format!(
        "id = \"drop\"\ntitle = \"Drop\"\nsymbols = [\"NVDA\"]\ncondition = \"drop\"\n[price.drop]\nchange = \"<= -2%\"\n[noise]\n{noise}\n"
    );
    let set = compile(
        vec![SourceFile {
            path: "rules/p.toml".into(),
            text,
        }],
        vec![],
    )
    .unwrap();
    Engine::new(Arc::new(set), EngineState::default())
}

#[test]
fn once_per_day_waits_for_the_next_trading_day() {
    let mut e = price_rule("cooldown = \"1m\"\nonce_per_day = true");
    e.on_bars(
        &[bar("2026-01-30T21:00:00Z", "1d", 191.79)],
        t("2026-02-02T14:00:00Z"),
    );
    assert_eq!(
        alerts(e.on_bars(
            &[bar("2026-02-02T15:00:00Z", "30m", 186.0)],
            t("2026-02-02T15:00:00Z")
        ))
        .len(),
        1
    );
    // Recovers, falls again the same day: the one-minute cooldown is over, the day is not.
    e.on_bars(
        &[bar("2026-02-02T16:00:00Z", "30m", 190.0)],
        t("2026-02-02T16:00:00Z"),
    );
    assert!(
        alerts(e.on_bars(
            &[bar("2026-02-02T17:00:00Z", "30m", 185.0)],
            t("2026-02-02T17:00:00Z")
        ))
        .is_empty()
    );
    // The next trading day it may fire again (against Monday's close of 185).
    e.on_bars(
        &[bar("2026-02-02T21:00:00Z", "30m", 185.0)],
        t("2026-02-02T21:00:00Z"),
    );
    assert_eq!(
        alerts(e.on_bars(
            &[bar("2026-02-03T15:00:00Z", "30m", 180.0)],
            t("2026-02-03T15:00:00Z")
        ))
        .len(),
        1
    );
}

#[test]
fn an_expired_rule_never_fires() {
    let mut e = price_rule("expires = 2026-01-31");
    e.on_bars(
        &[bar("2026-01-30T21:00:00Z", "1d", 191.79)],
        t("2026-02-02T14:00:00Z"),
    );
    assert!(
        alerts(e.on_bars(
            &[bar("2026-02-02T15:00:00Z", "30m", 186.0)],
            t("2026-02-02T15:00:00Z")
        ))
        .is_empty()
    );
    let mut e = price_rule("expires = 2026-02-02");
    e.on_bars(
        &[bar("2026-01-30T21:00:00Z", "1d", 191.79)],
        t("2026-02-02T14:00:00Z"),
    );
    assert_eq!(
        alerts(e.on_bars(
            &[bar("2026-02-02T15:00:00Z", "30m", 186.0)],
            t("2026-02-02T15:00:00Z")
        ))
        .len(),
        1,
        "its last day still counts"
    );
}

#[test]
fn state_from_an_earlier_version_of_a_rule_is_not_read_against_the_new_one() {
    // Regression: restarting after adding selections to a rule with a headline pending
    // indexed the old flags with the new selections and panicked.
    let mut e = engine_with("any");
    e.on_bars(
        &[bar("2026-01-30T21:00:00Z", "1d", 191.79)],
        t("2026-02-02T10:00:00Z"),
    );
    e.on_headline(
        &headline(NEWS, "2026-02-02T11:00:00Z"),
        t("2026-02-02T11:00:00Z"),
    );
    let edited = RULE
        .replace("ORDER", "any")
        .replace(
            "[text.denial]",
            "[text.extra]\nany = [\"chips\"]\n[text.more]\nany = [\"nvidia\"]\n[text.denial]",
        )
        .replace(
            "condition = \"partner and alternative and not denial and drop\"",
            "condition = \"partner and alternative and extra and more and not denial and drop\"",
        );
    let set = compile(
        vec![SourceFile {
            path: "rules/r.toml".into(),
            text: edited,
        }],
        vec![],
    )
    .unwrap();
    let mut restarted = restart(&e, Arc::new(set));
    restarted.warm(&[bar("2026-01-30T21:00:00Z", "1d", 191.79)]);
    let out = restarted.on_bars(
        &[bar("2026-02-02T16:00:00Z", "30m", 187.0)],
        t("2026-02-02T16:00:00Z"),
    );
    assert!(
        alerts(out).is_empty(),
        "the pending headline was judged by the old rule"
    );
    assert!(
        restarted
            .pair("partner-drop", "NVDA")
            .unwrap()
            .texts
            .is_empty()
    );
}

#[test]
fn a_bar_older_than_what_was_evaluated_is_history_not_news() {
    // Regression: a daily bar re-sent by a history refetch was judged at yesterday's time and
    // fired a price-only rule with stale figures.
    let mut e = price_rule("cooldown = \"1h\"");
    e.on_bars(
        &[bar("2026-01-29T21:00:00Z", "1d", 200.0)],
        t("2026-01-30T14:00:00Z"),
    );
    e.on_bars(
        &[bar("2026-02-02T15:00:00Z", "30m", 191.0)],
        t("2026-02-02T15:00:00Z"),
    );
    let out = e.on_bars(
        &[bar("2026-01-30T21:00:00Z", "1d", 191.79)],
        t("2026-02-02T15:05:00Z"),
    );
    assert!(alerts(out).is_empty());
}

#[test]
fn a_late_headline_still_pairs_with_a_move_within_its_span() {
    // The news was published 20 h after the drop and reached us 10 h later: the drop is
    // within 24 h of the publication, so they pair (as a replay of the same data would).
    let mut e = engine_with("any");
    e.on_bars(
        &[bar("2026-01-30T21:00:00Z", "1d", 191.79)],
        t("2026-02-02T10:00:00Z"),
    );
    e.on_bars(
        &[bar("2026-02-02T15:00:00Z", "30m", 186.0)],
        t("2026-02-02T15:00:00Z"),
    );
    e.on_bars(
        &[bar("2026-02-02T16:00:00Z", "30m", 190.0)],
        t("2026-02-02T16:00:00Z"),
    );
    e.tidy(t("2026-02-03T21:00:00Z"));
    let (out, _) = e.on_headline(
        &headline(NEWS, "2026-02-03T11:00:00Z"),
        t("2026-02-03T21:00:00Z"),
    );
    assert_eq!(alerts(out).len(), 1);
}

#[test]
fn a_restored_state_undoes_a_step() {
    let mut e = restart(&engine_with("any"), Arc::clone(engine_with("any").rules()));
    monday(&mut e);
    e.settle(true);
    let before = e.state().clone();
    let (out, _) = e.on_headline(
        &headline(NEWS, "2026-02-02T21:47:00Z"),
        t("2026-02-02T21:48:00Z"),
    );
    assert_eq!(alerts(out).len(), 1);
    e.restore(before);
    let (out, _) = e.on_headline(
        &headline(NEWS, "2026-02-02T21:47:00Z"),
        t("2026-02-02T21:49:00Z"),
    );
    assert_eq!(
        alerts(out).len(),
        1,
        "the step that could not be stored happens again"
    );
}

/// The engine as a restart makes it from what `e` stored (through JSON, as the store keeps
/// it), with `rules`.
fn restart(e: &Engine, rules: Arc<RuleSet>) -> Engine {
    fn through_json<T: serde::Serialize + serde::de::DeserializeOwned>(v: &T) -> T {
        serde_json::from_slice(&serde_json::to_vec(v).unwrap()).unwrap()
    }
    Engine::restored(
        rules,
        through_json(e.state()),
        through_json(e.stories()),
        through_json(e.pairs.map()),
    )
}

#[test]
fn a_step_stores_what_it_touched_not_everything_remembered() {
    let mut e = restart(&engine_with("any"), Arc::clone(engine_with("any").rules()));
    e.on_bars(
        &[bar("2026-01-30T21:00:00Z", "1d", 191.79)],
        t("2026-02-02T10:00:00Z"),
    );
    let words = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
    ];
    for i in 0..50 {
        let w = |k: usize| words[(i / 10usize.pow(k as u32) + 3 * k) % 10];
        let title = format!(
            "OpenAI {} {} {} {} alternatives {i}",
            w(0),
            w(1),
            words[(i * 7) % 10],
            words[(i * 3 + 1) % 10]
        );
        let mut h = headline(&title, "2026-02-02T11:00:00Z");
        h.symbols = vec![format!("S{i}")];
        e.on_headline(&h, t("2026-02-02T11:00:00Z"));
    }
    e.settle(true);
    assert!(!e.has_changes());
    assert!(e.stories().len() >= 20, "{}", e.stories().len());
    // One more headline about NVDA: its story and NVDA's pair, nothing else.
    e.on_headline(
        &headline("OpenAI weighs rival hardware", "2026-02-02T12:00:00Z"),
        t("2026-02-02T12:00:00Z"),
    );
    let changes = e.changes();
    assert_eq!(changes.stories.len(), 1);
    let pairs: Vec<&str> = changes.pairs.iter().map(|(k, _)| *k).collect();
    assert_eq!(pairs, [pair_key("partner-drop", "NVDA").as_str()]);
}

/// An engine waiting with the seed story for a drop, and its state as an older layout kept it
/// (pairs and stories inside).
fn in_an_older_layout() -> (Engine, EngineState) {
    let mut e = engine_with("any");
    e.on_headline(
        &headline(NEWS, "2026-02-02T11:00:00Z"),
        t("2026-02-02T11:00:00Z"),
    );
    let mut legacy = e.state().clone();
    legacy.stories = e.stories().clone();
    let pair = e.pair("partner-drop", "NVDA").unwrap().clone();
    legacy
        .pairs
        .entry("partner-drop".into())
        .or_default()
        .insert("NVDA".into(), pair);
    (e, legacy)
}

#[test]
fn pairs_and_stories_kept_inside_the_state_by_an_older_layout_are_taken_out_and_stored() {
    let (e, legacy) = in_an_older_layout();
    let legacy: EngineState =
        serde_json::from_slice(&serde_json::to_vec(&legacy).unwrap()).unwrap();
    let restored = Engine::restored(
        Arc::clone(e.rules()),
        legacy,
        BTreeMap::new(),
        BTreeMap::new(),
    );
    let json = serde_json::to_string(restored.state()).unwrap();
    assert!(
        !json.contains("stories") && !json.contains("pairs"),
        "{json}"
    );
    let changes = restored.changes();
    assert_eq!(changes.stories.len(), 1);
    assert_eq!(changes.pairs.len(), 1);
    assert_eq!(
        restored.pair("partner-drop", "NVDA").unwrap().texts.len(),
        1
    );
}

#[test]
fn an_older_layouts_pairs_and_stories_survive_a_first_step_that_cannot_be_stored() {
    let (e, legacy) = in_an_older_layout();
    let mut restored = Engine::restored(
        Arc::clone(e.rules()),
        legacy,
        BTreeMap::new(),
        BTreeMap::new(),
    );
    // The first step after the upgrade cannot be stored, and is undone.
    let snapshot = restored.state().clone();
    restored.on_bars(
        &[bar("2026-01-30T21:00:00Z", "1d", 191.79)],
        t("2026-02-02T12:00:00Z"),
    );
    restored.restore(snapshot);
    assert_eq!(restored.stories().len(), 1, "the story is forgotten");
    assert_eq!(
        restored.pair("partner-drop", "NVDA").map(|p| p.texts.len()),
        Some(1),
        "the headline waiting for its move is forgotten"
    );
    let changes = restored.changes();
    assert_eq!(changes.stories.len(), 1, "still to be stored");
    assert!(changes.stories[0].1.is_some() && changes.pairs[0].1.is_some());
    // A copy of the story is folded, not judged anew.
    let (_, report) = restored.on_headline(
        &headline(NEWS, "2026-02-02T12:30:00Z"),
        t("2026-02-02T12:30:00Z"),
    );
    assert!(report.duplicate);
}

#[test]
fn a_story_tidied_away_stays_forgotten_when_the_next_step_cannot_be_stored() {
    let mut e = restart(&engine_with("any"), Arc::clone(engine_with("any").rules()));
    e.on_headline(
        &headline(NEWS, "2026-02-02T11:00:00Z"),
        t("2026-02-02T11:00:00Z"),
    );
    e.settle(true);
    e.tidy(t("2026-02-06T11:00:00Z"));
    assert!(e.stories().is_empty());
    // The next step cannot be stored, and is undone.
    let snapshot = e.state().clone();
    e.on_bars(
        &[bar("2026-02-06T15:00:00Z", "30m", 191.0)],
        t("2026-02-06T15:01:00Z"),
    );
    e.restore(snapshot);
    assert!(
        e.stories().is_empty(),
        "a story days old is remembered again"
    );
    let changes = e.changes();
    assert_eq!(changes.stories.len(), 1);
    assert!(
        changes.stories[0].1.is_none(),
        "still to be removed from the store"
    );
}

fn rule_engine(text: &str) -> Engine {
    let set = compile(
        vec![SourceFile {
            path: "rules/x.toml".into(),
            text: text.into(),
        }],
        vec![],
    )
    .unwrap();
    Engine::new(Arc::new(set), EngineState::default())
}

/// How many alerts `rule` fires on NVDA's `daily` closes and then its 5-minute `intraday`
/// bars of 2 February: with the bars one at a time, and with the last two in one batch (a
/// poll bringing a finished bar and the next one).
fn bar_by_bar_and_batched(
    rule: &str,
    daily: &[(&str, f64)],
    intraday: &[(&str, f64)],
) -> (usize, usize) {
    let at = |hm: &str| format!("2026-02-02T{hm}:00Z");
    let engine = || {
        let mut e = rule_engine(rule);
        for (day, close) in daily {
            let time = format!("{day}T21:00:00Z");
            e.on_bars(&[bar(&time, "1d", *close)], t(&time));
        }
        e
    };
    let mut one_by_one = engine();
    let single = intraday
        .iter()
        .map(|(hm, p)| alerts(one_by_one.on_bars(&[bar(&at(hm), "5m", *p)], t(&at(hm)))).len())
        .sum();
    let mut batched = engine();
    let (first, last_two) = intraday.split_at(intraday.len() - 2);
    let mut n = 0;
    for (hm, p) in first {
        n += alerts(batched.on_bars(&[bar(&at(hm), "5m", *p)], t(&at(hm)))).len();
    }
    let batch: Vec<_> = last_two
        .iter()
        .map(|(hm, p)| bar(&at(hm), "5m", *p))
        .collect();
    let end = last_two.last().map(|(hm, _)| t(&at(hm))).unwrap();
    n += alerts(batched.on_bars(&batch, end)).len();
    (single, n)
}

#[test]
fn a_crossing_inside_a_batch_of_several_bars_fires_while_the_price_stays_past_it() {
    let rule = "id = \"cross\"\ntitle = \"Cross\"\nsymbols = [\"NVDA\"]\ncondition = \"c\"\n[price.c]\ncrosses = \"below 180\"\n";
    // Crossed below 180 at 15:05 and stayed below: one alert, however the bars arrive.
    let stayed = [("15:00", 181.0), ("15:05", 179.0), ("15:10", 178.5)];
    assert_eq!(bar_by_bar_and_batched(rule, &[], &stayed), (1, 1));
    // Crossed and back above within the batch: over before anyone could be told.
    let reversed = [("15:00", 181.0), ("15:05", 179.0), ("15:10", 180.5)];
    assert_eq!(bar_by_bar_and_batched(rule, &[], &reversed), (1, 0));
}

#[test]
fn a_new_low_inside_a_batch_of_several_bars_fires() {
    let rule = "id = \"low\"\ntitle = \"Low\"\nsymbols = [\"NVDA\"]\ncondition = \"l\"\n[price.l]\nnew_low = \"5d\"\nsession = \"regular\"\n";
    let week = [
        ("2026-01-26", 200.0),
        ("2026-01-27", 199.0),
        ("2026-01-28", 198.0),
        ("2026-01-29", 197.0),
        ("2026-01-30", 196.0),
    ];
    // 190 is a new 5-day low; 191 is still below every price of the days before.
    let intraday = [("15:00", 197.0), ("15:05", 190.0), ("15:10", 191.0)];
    assert_eq!(bar_by_bar_and_batched(rule, &week, &intraday), (1, 1));
}

#[test]
fn a_late_bar_is_not_judged_as_news_even_after_tidying() {
    let rule = "id = \"drop\"\ntitle = \"Drop\"\nsymbols = [\"NVDA\"]\ncondition = \"drop\"\n[price.drop]\nchange = \"<= -2%\"\n[noise]\ncooldown = \"1h\"\n";
    for tidy in [false, true] {
        let mut e = rule_engine(rule);
        e.on_bars(
            &[bar("2026-01-29T21:00:00Z", "1d", 200.0)],
            t("2026-01-30T14:00:00Z"),
        );
        // Monday: flat against the last close known (200): nothing holds.
        assert!(
            alerts(e.on_bars(
                &[bar("2026-02-02T15:00:00Z", "30m", 199.0)],
                t("2026-02-02T15:00:00Z")
            ))
            .is_empty()
        );
        if tidy {
            // The live bot tidies every hour: the idle pair (with `evaluated_to`) is dropped.
            e.tidy(t("2026-02-02T15:04:00Z"));
        }
        // A history refetch brings Friday's daily bar late: history, not news.
        let out = alerts(e.on_bars(
            &[bar("2026-01-30T21:00:00Z", "1d", 195.0)],
            t("2026-02-02T15:05:00Z"),
        ));
        assert!(
            out.is_empty(),
            "tidy={tidy}: Friday's bar judged again on Monday fired: {:?}",
            out.iter().map(|a| a.price.clone()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn once_per_day_lasts_until_the_next_trading_day() {
    let text = "id = \"news\"\ntitle = \"News\"\nsymbols = [\"NVDA\"]\ncondition = \"n\"\n[text.n]\nany = [\"openai\"]\n[noise]\ncooldown = \"1m\"\nonce_per_day = true\n";
    let mut e = rule_engine(text);
    let mut n = 0;
    for (i, (title, at)) in [
        (
            "OpenAI and Nvidia talk about a chip deal",
            "2026-01-30T23:00:00Z",
        ), // Fri 18:00 ET
        (
            "OpenAI weighs other suppliers for its data centres",
            "2026-01-31T17:00:00Z",
        ), // Sat
        (
            "OpenAI board meets on Sunday about hardware spending",
            "2026-02-01T17:00:00Z",
        ), // Sun
        (
            "OpenAI shares plans for new model training runs",
            "2026-02-02T13:00:00Z",
        ), // Mon pre
    ]
    .iter()
    .enumerate()
    {
        let mut h = headline(title, at);
        h.link = Some(format!("https://example.com/{i}"));
        n += alerts(e.on_headline(&h, t(at)).0).len();
    }
    // Two trading days (Friday, Monday): the weekend belongs to Monday.
    assert_eq!(n, 2, "one alert each trading day, Friday and Monday");
}

#[test]
fn german_wire_copies_of_one_story_are_one_alert() {
    let text = "id = \"news\"\ntitle = \"News\"\nsymbols = [\"NVDA\"]\ncondition = \"n\"\n[text.n]\nany = [\"openai\"]\n[noise]\ncooldown = \"1m\"\n";
    let first = "Nvidia-Aktie fällt nach OpenAI-Bericht";
    let mut failures = Vec::new();
    for copy in [
        "Nvidia-Aktie fällt nach OpenAI-Bericht - dpa-AFX",
        "WDH/ROUNDUP: Nvidia-Aktie fällt nach OpenAI-Bericht",
        "KORREKTUR: Nvidia-Aktie fällt nach OpenAI-Bericht",
        "ROUNDUP 2: Nvidia-Aktie fällt nach OpenAI-Bericht",
        "Nvidia-Aktie fällt nach OpenAI-Bericht | dpa-AFX",
    ] {
        let mut e = rule_engine(text);
        let mut h = headline(first, "2026-02-03T08:00:00Z");
        h.source = "finanzen.net".into();
        assert_eq!(
            alerts(e.on_headline(&h, t("2026-02-03T08:00:00Z")).0).len(),
            1
        );
        let mut c = headline(copy, "2026-02-03T08:30:00Z");
        c.source = "dpa-AFX".into();
        c.link = Some("https://example.com/dpa".into());
        let (out, report) = e.on_headline(&c, t("2026-02-03T08:30:00Z"));
        if !report.duplicate || !alerts(out).is_empty() {
            failures.push(copy);
        }
    }
    assert!(
        failures.is_empty(),
        "not folded, alerted again: {failures:?}"
    );
}

#[test]
fn a_copy_within_three_days_of_a_late_alert_is_folded_not_alerted_again() {
    // The rule of RULE: within 24 h, any order, cooldown 24 h.
    let mut e = engine_with("any");
    e.on_bars(
        &[bar("2026-01-30T21:00:00Z", "1d", 191.79)],
        t("2026-02-02T14:00:00Z"),
    );
    // Monday 16:00: the story arrives, its text part holds, NVDA has not moved.
    let (out, _) = e.on_headline(
        &headline(NEWS, "2026-02-02T16:00:00Z"),
        t("2026-02-02T16:00:00Z"),
    );
    assert!(alerts(out).is_empty());
    e.on_bars(
        &[bar("2026-02-02T21:00:00Z", "30m", 191.79)],
        t("2026-02-02T21:00:00Z"),
    );
    // Tuesday 15:00, 23 h after the news: −2.5 %. The alert fires now.
    let first = alerts(e.on_bars(
        &[bar("2026-02-03T15:00:00Z", "30m", 187.0)],
        t("2026-02-03T15:00:00Z"),
    ));
    assert_eq!(first.len(), 1, "the late drop pairs with Monday's news");
    e.on_bars(
        &[bar("2026-02-03T21:00:00Z", "30m", 187.0)],
        t("2026-02-03T21:00:00Z"),
    );
    e.on_bars(
        &[bar("2026-02-04T21:00:00Z", "30m", 187.0)],
        t("2026-02-04T21:00:00Z"),
    );
    // Thursday 15:00: NVDA falls again (−2.7 % vs Wednesday), nothing new to say about it.
    assert!(
        alerts(e.on_bars(
            &[bar("2026-02-05T15:00:00Z", "30m", 182.0)],
            t("2026-02-05T15:00:00Z"),
        ))
        .is_empty()
    );
    // The pipeline tidies (hourly). Thursday 17:00 is 3 d 1 h after the story was first
    // seen, but only 2 d 2 h after its alert fired: STORY_MEMORY says the alert is not final.
    e.tidy(t("2026-02-05T17:00:00Z"));
    let mut copy = headline(&format!("UPDATE 1-{NEWS}"), "2026-02-05T17:00:00Z");
    copy.source = "MarketWatch".into();
    copy.link = Some("https://copy.example/update-1".into());
    let (out, report) = e.on_headline(&copy, t("2026-02-05T17:00:00Z"));
    let again = alerts(out.clone());
    assert!(
        again.is_empty(),
        "the same story alerted a second time: {:?}",
        again
            .iter()
            .map(|a| (a.id, a.fired_at, &a.headline))
            .collect::<Vec<_>>()
    );
    assert!(
        report.duplicate,
        "a copy of a story whose alert fired 2 days ago was not folded"
    );
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::AlsoReported { alert, .. } if *alert == first[0].id))
    );
}

/// 20 sessions of 100 M shares, then 2 Feb's first two hours at exactly the usual pace,
/// as 5-minute bars (one quote source) and, if `both`, also as 30-minute bars (another
/// source listing the same symbol). The alerts of a `volume >= 1.5x` rule.
fn usual_volume_from(both: bool) -> Vec<Alert> {
    let rule = "id = \"surge\"\ntitle = \"Surge\"\nsymbols = [\"NVDA\"]\ncondition = \"v\"\n[price.v]\nvolume = \">= 1.5x\"\naverage_days = 20\nsession = \"regular\"\n";
    use chrono::Datelike as _;
    let mut e = rule_engine(rule);
    let mut day = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    let mut n = 0;
    while n < 20 {
        if day.weekday().number_from_monday() <= 5 {
            let time = format!("{day}T21:00:00Z");
            let b = Bar {
                volume: Some(100_000_000),
                ..bar(&time, "1d", 190.0)
            };
            e.on_bars(&[b], t(&time));
            n += 1;
        }
        day = day.succ_opt().unwrap();
    }
    // 100 M over 390 minutes: 1 282 051 shares per 5 minutes, six of them per half hour.
    let per_five = 1_282_051u64;
    let mut fired = Vec::new();
    let open = t("2026-02-02T14:30:00Z");
    for half_hour in 0..4 {
        let start = open + chrono::Duration::minutes(30 * half_hour);
        let fives: Vec<Bar> = (1..=6)
            .map(|k| {
                let end = start + chrono::Duration::minutes(5 * k);
                Bar {
                    volume: Some(per_five),
                    ..bar(&end.to_rfc3339(), "5m", 190.0)
                }
            })
            .collect();
        let end = start + chrono::Duration::minutes(30);
        fired.extend(alerts(e.on_bars(&fives, end)));
        if both {
            let thirty = Bar {
                volume: Some(per_five * 6),
                ..bar(&end.to_rfc3339(), "30m", 190.0)
            };
            fired.extend(alerts(e.on_bars(&[thirty], end)));
        }
    }
    fired
}

#[test]
fn a_usual_day_seen_by_two_sources_is_no_volume_surge() {
    assert!(
        usual_volume_from(false).is_empty(),
        "control: one source, usual pace"
    );
    let fired = usual_volume_from(true);
    assert!(
        fired.is_empty(),
        "false volume surge: {:?}",
        fired
            .iter()
            .map(|a| a.price.as_ref().map(|p| p.condition.clone()))
            .collect::<Vec<_>>()
    );
}

const RISE: &str = "id = \"rise\"\ntitle = \"Rise\"\nsymbols = [\"NVDA\"]\ncondition = \"up\"\n[price.up]\nchange = \">= 2%\"\n";
const FALL: &str = "id = \"fall\"\ntitle = \"Fall\"\nsymbols = [\"NVDA\"]\ncondition = \"down\"\n[price.down]\nchange = \"<= -2%\"\n";

fn figures(fired: &[Alert]) -> Vec<(f64, Option<f64>, Option<f64>)> {
    fired
        .iter()
        .filter_map(|a| a.price.as_ref())
        .map(|p| (p.price, p.reference, p.change_pct))
        .collect()
}

#[test]
fn a_denormal_close_from_stooq_is_not_a_previous_close() {
    let nvda = ["NVDA".to_string()];
    // Friday's Stooq quote, broken: a close of 5e-324 ("finite and > 0").
    let body = "Symbol,Date,Time,Open,High,Low,Close,Volume\nNVDA.US,2026-01-30,22:00:09,191.5,192,190,5e-324,1000\n";
    let (bars, _) =
        crate::sources::stooq::parse_quotes(body.as_bytes(), &nvda, t("2026-01-30T22:00:00Z"))
            .unwrap();
    let mut e = rule_engine(RISE);
    e.on_bars(&bars, t("2026-01-30T22:00:00Z"));
    // Monday, NVDA trades at 191 as always.
    let fired = alerts(e.on_bars(
        &[bar("2026-02-02T15:00:00Z", "30m", 191.0)],
        t("2026-02-02T15:00:00Z"),
    ));
    assert!(
        fired.is_empty(),
        "a flat Monday fired a rise against a broken close: {:?}",
        figures(&fired)
    );
}

#[test]
fn a_near_zero_quote_from_stooq_is_not_a_crash() {
    let nvda = ["NVDA".to_string()];
    let mut e = rule_engine(FALL);
    e.on_bars(
        &[bar("2026-01-30T21:00:00Z", "1d", 191.79)],
        t("2026-02-02T14:00:00Z"),
    );
    // Monday 15:00 UTC (16:00 in Warsaw): Stooq answers 1e-300 for the last price.
    let body = "Symbol,Date,Time,Open,High,Low,Close,Volume\nNVDA.US,2026-02-02,16:00:00,191,191,1e-300,1e-300,1000\n";
    let (bars, _) =
        crate::sources::stooq::parse_quotes(body.as_bytes(), &nvda, t("2026-02-02T15:00:00Z"))
            .unwrap();
    assert!(bars.is_empty(), "not a price: {bars:?}");
    let fired = alerts(e.on_bars(&bars, t("2026-02-02T15:00:00Z")));
    assert!(
        fired.is_empty(),
        "a broken quote fired a −100 % crash: {:?}",
        figures(&fired)
    );
}

#[test]
fn an_absurd_price_from_yahoo_is_not_a_rise() {
    // A 30-minute chart of 2 Feb 2026, 14:30–15:00 UTC, whose close is 1e300.
    let chart = r#"{"chart":{"result":[{"meta":{"currency":"USD","symbol":"NVDA","regularMarketTime":1770044400,"regularMarketPrice":1e300,"previousClose":191.79,"priceHint":2,"range":"1d"},"timestamp":[1770042600],"indicators":{"quote":[{"volume":[1000],"close":[1e300],"low":[190.0],"open":[191.0],"high":[1e300]}]}}],"error":null}}"#;
    let bars = crate::sources::yahoo::parse_chart(
        chart.as_bytes(),
        "NVDA",
        "30m".parse().unwrap(),
        t("2026-02-02T15:00:00Z"),
    )
    .unwrap();
    let mut e = rule_engine(RISE);
    let fired = alerts(e.on_bars(&bars, t("2026-02-02T15:00:00Z")));
    assert!(
        fired.is_empty(),
        "a payload price of 1e300 fired a rise: {:?}",
        figures(&fired)
    );
}

#[test]
fn replay_refuses_a_close_that_is_no_price() {
    let csv = "symbol,time,interval,open,high,low,close,volume\nNVDA,2026-01-30T21:00:00Z,1d,,,,5e-324,1000\nNVDA,2026-02-02T15:00:00Z,30m,,,,191.0,1000\n";
    let err = crate::replay::parse_bars_csv(csv).unwrap_err().to_string();
    assert!(
        err.contains("line 2") && err.contains("not a price"),
        "{err}"
    );
}

/// A story that alerted twice (its text alone on Monday, with a drop on Tuesday) is
/// remembered from its latest alert, but each alert takes copies for three days from its own
/// firing, as `replay` finalises them: a copy on Thursday goes to Tuesday's alert only.
#[test]
fn a_copy_goes_to_the_alerts_of_its_story_still_open() {
    const NEWS_ONLY: &str = "id = \"partner-news\"\ntitle = \"Partner seeks alternatives\"\nsymbols = [\"NVDA\"]\ncondition = \"partner and alternative\"\n[text.partner]\nany = [\"openai\"]\n[text.alternative]\nany = [\"alternativ*\"]\n";
    let set = Arc::new(
        compile(
            vec![
                SourceFile {
                    path: "rules/r.toml".into(),
                    text: RULE.replace("ORDER", "any"),
                },
                SourceFile {
                    path: "rules/n.toml".into(),
                    text: NEWS_ONLY.into(),
                },
            ],
            vec![],
        )
        .unwrap(),
    );
    let mut live = Engine::new(Arc::clone(&set), EngineState::default());
    let mut replayed = Engine::new(set, EngineState::default());
    let mut done = Vec::new();
    let mut copies_to = Vec::new();
    {
        let mut r = crate::replay::Replayer::new(&mut replayed);
        let mut both = |at: &str, event: crate::replay::Event| {
            let outputs = match &event {
                crate::replay::Event::Bars(bars) => live.on_bars(bars, t(at)),
                crate::replay::Event::Headline(h) => live.on_headline(h, t(at)).0,
            };
            for o in outputs {
                if let Output::AlsoReported { alert, .. } = o {
                    copies_to.push(alert);
                }
            }
            live.tidy(t(at));
            r.feed(t(at), event, |a| done.push(a));
        };
        let bars = |b: Bar| crate::replay::Event::Bars(vec![b]);
        both(
            "2026-02-02T14:00:00Z",
            bars(bar("2026-01-30T21:00:00Z", "1d", 191.79)),
        );
        both(
            "2026-02-02T16:00:00Z",
            crate::replay::Event::Headline(Box::new(headline(NEWS, "2026-02-02T16:00:00Z"))),
        );
        for (time, close) in [
            ("2026-02-02T21:00:00Z", 191.79),
            ("2026-02-03T15:00:00Z", 187.0),
            ("2026-02-03T21:00:00Z", 187.0),
            ("2026-02-04T21:00:00Z", 187.0),
        ] {
            both(time, bars(bar(time, "30m", close)));
        }
        let mut copy = headline(&format!("UPDATE 1-{NEWS}"), "2026-02-05T17:00:00Z");
        copy.source = "MarketWatch".into();
        copy.link = Some("https://copy.example/update-1".into());
        both(
            "2026-02-05T17:00:00Z",
            crate::replay::Event::Headline(Box::new(copy)),
        );
        r.finish(|a| done.push(a));
    }
    let id = |rule: &str| done.iter().find(|a| a.rule == rule).unwrap();
    let (monday, tuesday) = (id("partner-news"), id("partner-drop"));
    assert_eq!(copies_to, [tuesday.id], "live");
    assert!(tuesday.also.iter().any(|c| c.source == "MarketWatch"));
    assert!(monday.also.iter().all(|c| c.source != "MarketWatch"));
}

/// The same article as another ticker's feed carries it: same link and publisher, other symbol.
fn in_feed_of(symbol: &str, published: &str) -> Headline {
    let mut h = headline(NEWS, published);
    h.symbols = vec![symbol.into()];
    h.link = Some("https://example.com/openai-alternatives".into());
    h
}

#[test]
fn a_story_first_seen_in_another_tickers_feed_still_reaches_this_tickers_rules() {
    let mut e = engine_with("any");
    monday(&mut e);
    let (out, report) = e.on_headline(
        &in_feed_of("MSFT", "2026-02-02T21:47:00Z"),
        t("2026-02-02T21:48:00Z"),
    );
    assert!(out.is_empty(), "the rule is about NVDA alone");
    assert_eq!(report.symbols, ["MSFT"]);
    let (out, report) = e.on_headline(
        &in_feed_of("NVDA", "2026-02-02T21:47:00Z"),
        t("2026-02-02T21:52:00Z"),
    );
    assert!(report.duplicate);
    assert_eq!(report.symbols, ["NVDA"], "the symbol the story is new to");
    assert!(report.cited.is_some(), "kept for /news NVDA");
    let fired = alerts(out);
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].symbol.as_deref(), Some("NVDA"));
    assert_eq!(fired[0].fired_at, t("2026-02-02T21:52:00Z"));
    // A third feed carrying it under both is nothing new.
    let mut both = in_feed_of("NVDA", "2026-02-02T21:47:00Z");
    both.symbols.push("MSFT".into());
    let (out, report) = e.on_headline(&both, t("2026-02-02T22:00:00Z"));
    assert!(out.is_empty());
    assert!(report.cited.is_none() && report.symbols.is_empty());
}

#[test]
fn a_copy_under_the_symbols_its_story_was_judged_for_does_not_alert_again() {
    let mut e = engine_with("any");
    monday(&mut e);
    let (out, _) = e.on_headline(
        &in_feed_of("NVDA", "2026-02-02T21:47:00Z"),
        t("2026-02-02T21:48:00Z"),
    );
    assert_eq!(alerts(out).len(), 1);
    let mut retold = headline(&format!("UPDATE 1-{NEWS}"), "2026-02-02T22:10:00Z");
    retold.source = "Yahoo".into();
    let (out, _) = e.on_headline(&retold, t("2026-02-02T22:10:00Z"));
    assert!(alerts(out).is_empty(), "folded, as before");
}

#[test]
fn a_story_remembered_without_its_symbols_folds_its_copies_only() {
    let mut e = engine_with("any");
    monday(&mut e);
    e.on_headline(
        &in_feed_of("MSFT", "2026-02-02T21:47:00Z"),
        t("2026-02-02T21:48:00Z"),
    );
    // State kept before a story's symbols were: what it was judged for is unknown.
    let json = serde_json::to_string(e.stories())
        .unwrap()
        .replace(r#","symbols":["MSFT"]"#, "");
    assert!(!json.contains("MSFT"));
    let mut e2 = Engine::restored(
        Arc::clone(e.rules()),
        EngineState::default(),
        serde_json::from_str(&json).unwrap(),
        BTreeMap::new(),
    );
    monday(&mut e2);
    let (out, report) = e2.on_headline(
        &in_feed_of("NVDA", "2026-02-02T21:47:00Z"),
        t("2026-02-02T21:52:00Z"),
    );
    assert!(report.duplicate);
    assert!(alerts(out).is_empty());
}

#[test]
fn a_story_alerted_under_no_symbol_is_not_alerted_again_when_a_copy_names_one() {
    let mut e = rule_engine(
        r#"
id = "partner-news"
title = "Partner seeks alternatives"
condition = "partner and alternative"
[text.partner]
any = ["openai"]
[text.alternative]
any = ["alternativ*"]
"#,
    );
    let mut first = in_feed_of("", "2026-02-02T21:47:00Z");
    first.symbols.clear();
    let (out, _) = e.on_headline(&first, t("2026-02-02T21:48:00Z"));
    assert_eq!(alerts(out).len(), 1);
    let (out, report) = e.on_headline(
        &in_feed_of("NVDA", "2026-02-02T21:47:00Z"),
        t("2026-02-02T21:52:00Z"),
    );
    assert_eq!(report.symbols, ["NVDA"]);
    assert!(alerts(out).is_empty());
}

#[test]
fn a_price_only_rule_does_not_fire_on_a_move_days_old_when_it_first_arrives() {
    // The bot starts on Monday while the market trades; the source still serves Friday's
    // bars. Friday's drop is history now.
    let mut e = price_rule("");
    let out = e.on_bars(
        &[
            bar("2026-01-29T21:00:00Z", "1d", 191.79),
            bar("2026-01-30T16:00:00Z", "30m", 180.0),
        ],
        t("2026-02-02T16:00:00Z"),
    );
    assert!(alerts(out).is_empty());
    // The same move seen as it happened fires.
    let mut e = price_rule("");
    let out = e.on_bars(
        &[
            bar("2026-01-29T21:00:00Z", "1d", 191.79),
            bar("2026-01-30T16:00:00Z", "30m", 180.0),
        ],
        t("2026-01-30T16:01:00Z"),
    );
    assert_eq!(alerts(out).len(), 1);
}

#[test]
fn a_crossing_early_in_a_long_batch_fires_while_the_price_is_still_past_it_at_the_end() {
    // The bot starts at 16:31 and gets the afternoon's bars at once: NVDA crossed below 180
    // at 15:30 and is still below it at 16:30, the latest price there is.
    let rule = "id = \"cross\"\ntitle = \"Cross\"\nsymbols = [\"NVDA\"]\ncondition = \"c\"\n[price.c]\ncrosses = \"below 180\"\n";
    let mut e = rule_engine(rule);
    e.on_bars(
        &[bar("2026-01-30T21:00:00Z", "1d", 185.0)],
        t("2026-02-02T14:00:00Z"),
    );
    let out = e.on_bars(
        &[
            bar("2026-02-02T15:00:00Z", "30m", 181.0),
            bar("2026-02-02T15:30:00Z", "30m", 179.0),
            bar("2026-02-02T16:00:00Z", "30m", 178.5),
            bar("2026-02-02T16:30:00Z", "30m", 178.0),
        ],
        t("2026-02-02T16:31:00Z"),
    );
    assert_eq!(alerts(out).len(), 1);
}

#[test]
fn a_price_only_rule_fires_on_the_close_when_it_arrives_after_the_close_or_next_morning() {
    // A source polled after the close (or the bot's first poll the next morning, before the
    // market opens) brings Thursday's close, down 6 %: the newest regular price there is.
    for now in ["2026-01-29T22:30:00Z", "2026-01-30T08:00:00Z"] {
        let mut e = price_rule("");
        let out = e.on_bars(
            &[
                bar("2026-01-28T21:00:00Z", "1d", 191.79),
                bar("2026-01-29T21:00:00Z", "30m", 180.0),
            ],
            t(now),
        );
        assert_eq!(alerts(out).len(), 1, "processed at {now}");
    }
}

/// A rule about any headline naming Nvidia, and one about OpenAI seeking alternatives.
fn nvidia_and_seeks() -> Engine {
    let rule = |id: &str, condition: &str, selections: &str| SourceFile {
        path: format!("rules/{id}.toml").into(),
        text: format!("id = \"{id}\"\ntitle = \"{id}\"\ncondition = \"{condition}\"\n{selections}"),
    };
    let set = compile(
        vec![
            rule("names-nvidia", "n", "[text.n]\nany = [\"nvidia\"]\n"),
            rule(
                "seeks",
                "o and a",
                "[text.o]\nany = [\"openai\"]\n[text.a]\nany = [\"alternativ*\"]\n",
            ),
        ],
        vec![],
    )
    .unwrap();
    Engine::new(Arc::new(set), EngineState::default())
}

#[test]
fn a_fuller_wording_of_a_story_reaches_the_rules_the_first_did_not() {
    // The first wording holds one rule only; the fuller one a feed brings next is the same
    // story (folded into the first alert) but holds the other rule too, which never saw the
    // story: it is judged for it, as it would have been had no rule held the first wording.
    let mut e = nvidia_and_seeks();
    let first = "OpenAI is unsatisfied with some Nvidia inference chips and weighs options after delays in its Stargate data center buildout";
    let fuller = "OpenAI is unsatisfied with some Nvidia inference chips and weighs alternatives after delays in its Stargate data center buildout";
    let (out, _) = e.on_headline(
        &headline(first, "2026-02-02T21:47:00Z"),
        t("2026-02-02T21:48:00Z"),
    );
    let fired = alerts(out);
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].rule, "names-nvidia");
    let mut copy = headline(fuller, "2026-02-02T21:50:00Z");
    copy.source = "Bloomberg".into();
    let (out, report) = e.on_headline(&copy, t("2026-02-02T21:51:00Z"));
    assert!(report.duplicate, "the same story");
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::AlsoReported { alert, .. } if *alert == fired[0].id)),
        "{out:?}"
    );
    let fired = alerts(out);
    assert_eq!(
        fired.iter().map(|a| a.rule.as_str()).collect::<Vec<_>>(),
        ["seeks"]
    );
    assert_eq!(fired[0].headline.as_ref().unwrap().title, fuller);
    assert_eq!(fired[0].symbol.as_deref(), Some("NVDA"));
    // Told a third time, by either wording, it is nothing new to any rule.
    let mut again = headline(&format!("UPDATE 1-{fuller}"), "2026-02-02T22:10:00Z");
    again.source = "Yahoo".into();
    let (out, _) = e.on_headline(&again, t("2026-02-02T22:10:00Z"));
    assert!(alerts(out).is_empty());
}

/// The rule of `RULE` under the id `id`, once `partner-drop` (`formerly`, when given, on
/// the line after the id), its text otherwise changed by `edit`.
fn renamed(id: &str, formerly: bool, edit: impl Fn(String) -> String) -> Arc<RuleSet> {
    let head = match formerly {
        true => format!("id = \"{id}\"\nformerly = [\"partner-drop\"]"),
        false => format!("id = \"{id}\""),
    };
    let text = edit(RULE.replace("ORDER", "any")).replace("id = \"partner-drop\"", &head);
    let set = compile(
        vec![SourceFile {
            path: "rules/r.toml".into(),
            text,
        }],
        vec![],
    )
    .unwrap_or_else(|p| panic!("{p:#?}"));
    Arc::new(set)
}

const RIVALS: &str = "OpenAI tests rival hardware, sources say";

#[test]
fn a_rule_renamed_with_formerly_keeps_its_pending_news_across_a_restart() {
    let mut e = engine_with("any");
    e.on_bars(
        &[bar("2026-01-30T21:00:00Z", "1d", 191.79)],
        t("2026-02-02T10:00:00Z"),
    );
    e.on_headline(
        &headline(NEWS, "2026-02-02T11:00:00Z"),
        t("2026-02-02T11:00:00Z"),
    );
    let mut restarted = restart(&e, renamed("partner-seeks-rivals", true, |t| t));
    assert!(restarted.pair("partner-drop", "NVDA").is_none());
    assert_eq!(
        restarted
            .pair("partner-seeks-rivals", "NVDA")
            .map(|p| p.texts.len()),
        Some(1),
        "nothing else changed: the headline still waits for its move"
    );
    let changed: Vec<(&str, bool)> = restarted
        .changes()
        .pairs
        .iter()
        .map(|(k, v)| (*k, v.is_some()))
        .collect();
    assert_eq!(
        changed,
        [
            ("partner-drop\0NVDA", false),
            ("partner-seeks-rivals\0NVDA", true)
        ],
        "the move is stored with the next step"
    );
    // Done once: the next start finds nothing to carry over.
    restarted.settle(true);
    let again = restart(&restarted, Arc::clone(restarted.rules()));
    assert!(again.changes().pairs.is_empty());
    restarted.warm(&[bar("2026-01-30T21:00:00Z", "1d", 191.79)]);
    let fired = alerts(restarted.on_bars(
        &[bar("2026-02-02T16:00:00Z", "30m", 187.0)],
        t("2026-02-02T16:00:00Z"),
    ));
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].rule, "partner-seeks-rivals");

    // Renamed and edited: the headline was judged by the old definition and goes; the
    // state is still the renamed rule's.
    let edited = restart(
        &e,
        renamed("partner-seeks-rivals", true, |t| {
            t.replace("rival hardware", "rival chips")
        }),
    );
    let pair = edited
        .pair("partner-seeks-rivals", "NVDA")
        .expect("carried");
    assert!(pair.texts.is_empty());
}

#[test]
fn a_rule_renamed_on_reload_keeps_its_cooldown_and_its_stories() {
    let mut e = engine_with("any");
    monday(&mut e);
    let (out, _) = e.on_headline(
        &headline(NEWS, "2026-02-02T21:47:00Z"),
        t("2026-02-02T21:48:00Z"),
    );
    assert_eq!(alerts(out).len(), 1);
    let story = e.stories().values().next().expect("the story").clone();
    assert_eq!(
        story.rules,
        Some(["partner-drop".to_string()].into()),
        "{story:?}"
    );

    let mut without = engine_with("any");
    monday(&mut without);
    without.on_headline(
        &headline(NEWS, "2026-02-02T21:47:00Z"),
        t("2026-02-02T21:48:00Z"),
    );
    // Renamed without `formerly`: a new rule, which fires on the next story at once.
    without.replace_rules(renamed("partner-seeks-rivals", false, |t| t));
    without.on_bars(
        &[bar("2026-02-02T22:00:00Z", "30m", 186.0)],
        t("2026-02-02T22:00:00Z"),
    );
    let (out, _) = without.on_headline(
        &headline(RIVALS, "2026-02-02T22:30:00Z"),
        t("2026-02-02T22:31:00Z"),
    );
    assert_eq!(alerts(out).len(), 1, "the old id's cooldown does not count");

    // With `formerly`, the cooldown holds under the new id.
    e.replace_rules(renamed("partner-seeks-rivals", true, |t| t));
    e.on_bars(
        &[bar("2026-02-02T22:00:00Z", "30m", 186.0)],
        t("2026-02-02T22:00:00Z"),
    );
    let (out, _) = e.on_headline(
        &headline(RIVALS, "2026-02-02T22:30:00Z"),
        t("2026-02-02T22:31:00Z"),
    );
    assert!(alerts(out).is_empty(), "cooling down");
    assert!(
        e.pair("partner-seeks-rivals", "NVDA")
            .is_some_and(|p| p.cooling(t("2026-02-03T21:00:00Z")))
    );
    let told: Vec<Option<BTreeSet<String>>> =
        e.stories().values().map(|s| s.rules.clone()).collect();
    assert_eq!(
        told,
        vec![Some(BTreeSet::from(["partner-seeks-rivals".to_string()])); 2],
        "the rules that judged each story"
    );
}

#[test]
fn a_removed_rule_keeps_its_cooldown_until_it_ends_and_a_rule_named_after_it_takes_it_up() {
    let mut e = engine_with("any");
    monday(&mut e);
    let (out, _) = e.on_headline(
        &headline(NEWS, "2026-02-02T21:47:00Z"),
        t("2026-02-02T21:48:00Z"),
    );
    assert_eq!(alerts(out).len(), 1);
    // Renamed without `formerly` (the old id is gone), then `formerly` added.
    e.replace_rules(renamed("partner-seeks-rivals", false, |t| t));
    let kept = e.pair("partner-drop", "NVDA").expect("the cooldown stays");
    assert!(kept.texts.is_empty() && kept.episodes.is_empty());
    e.replace_rules(renamed("partner-seeks-rivals", true, |t| t));
    assert!(e.pair("partner-drop", "NVDA").is_none());
    e.on_bars(
        &[bar("2026-02-02T22:00:00Z", "30m", 186.0)],
        t("2026-02-02T22:00:00Z"),
    );
    let (out, _) = e.on_headline(
        &headline(RIVALS, "2026-02-02T22:30:00Z"),
        t("2026-02-02T22:31:00Z"),
    );
    assert!(alerts(out).is_empty(), "the old id's cooldown holds");
    // A rule gone for good: its cooldown is tidied away once it has ended.
    e.replace_rules(Arc::new(RuleSet::empty()));
    e.tidy(t("2026-02-03T12:00:00Z"));
    assert!(e.pair("partner-seeks-rivals", "NVDA").is_some());
    e.tidy(t("2026-02-03T22:00:00Z"));
    assert!(e.pair("partner-seeks-rivals", "NVDA").is_none());
}
