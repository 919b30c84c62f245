//! Personal alerts' price levels across a stock split, the pipeline driven batch by batch: a
//! step that fails or whose commit is reported failed, two splits at once, and a chat's edit
//! racing the step that takes the split in.

use crate::support;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use marketbot::model::{Bar, Split};
use marketbot::personal::{PersonalAlert, PersonalState};
use marketbot::store::Store;
use support::backend::Faulty;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// NVDA's close at `time` over `interval`.
fn bar(time: &str, interval: &str, close: f64) -> Bar {
    support::pipeline::close("NVDA", time, interval, close)
}

fn ten_for_one() -> Split {
    Split {
        symbol: "NVDA".into(),
        date: chrono::NaiveDate::from_ymd_opt(2026, 2, 3).unwrap(),
        ratio: 10.0,
    }
}

/// The pipeline over `store` with no rules, its clock at `now`.
fn pipeline(store: &Store, now: DateTime<Utc>) -> support::pipeline::Running {
    let rules = marketbot::rules::compile(vec![], vec![]).unwrap();
    support::pipeline::start(store, rules, now, None)
}

/// Chat 42's alert #1, `NVDA below 1850`, made at `created`.
fn below_1850(store: &Store, created: &str) {
    store
        .put_personal_alert(&PersonalAlert {
            chat: 42,
            number: 1,
            spec: "NVDA below 1850".into(),
            created: t(created),
            paused: false,
            changed: None,
            message: None,
        })
        .unwrap();
}

/// A sled store in `dir` behind a backend whose commits can be made to fail.
fn faulty_store(dir: &std::path::Path) -> (Store, Arc<Faulty>) {
    let sled = Store::open(dir, 8 << 20).unwrap();
    let faulty = Arc::new(Faulty::new(sled.backend()));
    (Store::with_backend(faulty.clone()).unwrap(), faulty)
}

fn personal_fired(store: &Store) -> Vec<String> {
    store
        .alerts_since(t("2026-01-01T00:00:00Z"))
        .unwrap()
        .into_iter()
        .filter(|a| a.rule.starts_with("personal-"))
        .map(|a| a.title)
        .collect()
}

/// Chat 42 had `NVDA below 1850` fire last night (cooling down until the 5th). Just before
/// the split step reads the alerts, the chat `/edit`s it to `NVDA below 1900`: the store
/// drops the old cooldown (an edit starts afresh), and the chat's change reaches the pipeline
/// only once the step runs. The step restates the edited alert (below 190) with the state
/// stored for it, not the old alert's cooldown that the book still holds: it fires when NVDA
/// falls through 190.
#[tokio::test]
async fn an_edit_racing_the_split_step_does_not_inherit_the_old_cooldown() {
    edit_around_the_split_step(false).await;
}

/// The same edit, taken up by the pipeline before the split step: it fires.
#[tokio::test]
async fn an_edit_taken_up_before_the_split_step_fires() {
    edit_around_the_split_step(true).await;
}

async fn edit_around_the_split_step(synced_first: bool) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    below_1850(&store, "2026-01-15T12:00:00Z");
    store
        .put_personal_state(
            42,
            1,
            &PersonalState {
                cooldown_until: Some(t("2026-02-05T00:00:00Z")),
                news: None,
            },
        )
        .unwrap();
    let p = pipeline(&store, t("2026-02-03T15:10:00Z"));
    p.bars(vec![bar("2026-02-02T21:00:00Z", "1d", 1890.0)], vec![])
        .await;

    // The edit (made in the old shares, before the ex-date) lands; its notice to the
    // pipeline is still on its way.
    store
        .change_personal_alert(42, 1, |a| {
            a.spec = "NVDA below 1900".into();
            a.changed = Some(t("2026-02-02T22:00:00Z"));
        })
        .unwrap();
    assert_eq!(
        store.personal_state(42, 1).unwrap(),
        None,
        "an edit starts afresh"
    );
    if synced_first {
        p.sync.chat_changed(42);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    p.bars(
        vec![bar("2026-02-03T14:30:00Z", "30m", 191.0)],
        vec![ten_for_one()],
    )
    .await;
    p.sync.chat_changed(42);
    assert_eq!(
        store.personal_alerts_of(42).unwrap()[0].spec,
        "NVDA below 190"
    );
    // NVDA falls through 190: the edited alert, with no cooldown stored, fires.
    p.bars(vec![bar("2026-02-03T15:00:00Z", "30m", 189.0)], vec![])
        .await;
    p.stop().await;
    assert_eq!(
        personal_fired(&store),
        ["#1 NVDA below 190"],
        "stored state: {:?}",
        store.personal_state(42, 1).unwrap()
    );
}

/// A split step whose commit fails, then the same batch again: the alert is restated once,
/// keeps its state and fires at the level meant.
#[tokio::test]
async fn a_failed_split_step_retried_restates_once() {
    let dir = tempfile::tempdir().unwrap();
    let (store, faulty) = faulty_store(dir.path());
    below_1850(&store, "2026-01-15T12:00:00Z");
    let p = pipeline(&store, t("2026-02-03T15:10:00Z"));
    p.bars(vec![bar("2026-02-02T21:00:00Z", "1d", 1890.0)], vec![])
        .await;
    let new = vec![bar("2026-02-03T14:30:00Z", "30m", 191.0)];
    faulty.fail_commits(1);
    p.bars(new.clone(), vec![ten_for_one()]).await;
    assert_eq!(
        store.personal_alerts_of(42).unwrap()[0].spec,
        "NVDA below 1850"
    );
    p.bars(new, vec![ten_for_one()]).await;
    assert_eq!(
        store.personal_alerts_of(42).unwrap()[0].spec,
        "NVDA below 185"
    );
    p.bars(vec![bar("2026-02-03T15:00:00Z", "30m", 184.0)], vec![])
        .await;
    p.stop().await;
    assert_eq!(personal_fired(&store), ["#1 NVDA below 185"]);
}

/// Two splits of one symbol taken in by one batch (a bot that was down, a history fetch):
/// an alert made before both follows both, once each.
#[tokio::test]
async fn two_splits_in_one_batch_restate_an_alert_through_both() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    below_1850(&store, "2026-01-05T12:00:00Z");
    let p = pipeline(&store, t("2026-02-03T15:10:00Z"));
    p.bars(vec![bar("2026-01-16T21:00:00Z", "1d", 1890.0)], vec![])
        .await;
    let two_for_one = Split {
        date: chrono::NaiveDate::from_ymd_opt(2026, 1, 20).unwrap(),
        ratio: 2.0,
        ..ten_for_one()
    };
    p.bars(
        vec![
            bar("2026-01-20T21:00:00Z", "1d", 940.0),
            bar("2026-02-03T14:30:00Z", "30m", 94.0),
        ],
        vec![two_for_one, ten_for_one()],
    )
    .await;
    p.bars(vec![bar("2026-02-03T15:00:00Z", "30m", 92.0)], vec![])
        .await;
    p.stop().await;
    assert_eq!(
        store.personal_alerts_of(42).unwrap()[0].spec,
        "NVDA below 92.5"
    );
    assert_eq!(personal_fired(&store), ["#1 NVDA below 92.5"]);
}

/// A split step stored but reported failed: the alert is restated once and fires at the
/// level meant (whether or not the pipeline sees that the step landed).
#[tokio::test]
async fn a_split_step_stored_but_reported_failed_keeps_the_restated_level() {
    let dir = tempfile::tempdir().unwrap();
    let (store, faulty) = faulty_store(dir.path());
    below_1850(&store, "2026-01-15T12:00:00Z");
    let p = pipeline(&store, t("2026-02-03T15:10:00Z"));
    p.bars(vec![bar("2026-02-02T21:00:00Z", "1d", 1890.0)], vec![])
        .await;
    let new = vec![bar("2026-02-03T14:30:00Z", "30m", 191.0)];
    faulty.lose_commit_answers(1);
    p.bars(new.clone(), vec![ten_for_one()]).await;
    p.bars(new, vec![ten_for_one()]).await;
    p.bars(vec![bar("2026-02-03T15:00:00Z", "30m", 184.0)], vec![])
        .await;
    p.stop().await;
    assert_eq!(
        store.personal_alerts_of(42).unwrap()[0].spec,
        "NVDA below 185"
    );
    assert_eq!(personal_fired(&store), ["#1 NVDA below 185"]);
}
