//! Personal alerts' price levels across a stock split, the pipeline driven batch by batch: a
//! step that fails or whose commit is reported failed, two splits at once, and a chat's edit
//! racing the step that takes the split in.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use marketbot::clock::Clock;
use marketbot::delivery::Sender;
use marketbot::model::{Bar, Split};
use marketbot::personal::{PersonalAlert, PersonalState};
use marketbot::pipeline::PersonalSync;
use marketbot::sources::Batch;
use marketbot::store::Store;

use crate::support::backend::Faulty;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn bar(time: &str, interval: &str, close: f64) -> Bar {
    Bar {
        symbol: "NVDA".into(),
        time: t(time),
        interval: interval.parse().unwrap(),
        open: None,
        high: None,
        low: None,
        close: Some(close),
        volume: None,
        session: None,
    }
}

fn ten_for_one() -> Split {
    Split {
        symbol: "NVDA".into(),
        date: chrono::NaiveDate::from_ymd_opt(2026, 2, 3).unwrap(),
        ratio: 10.0,
    }
}

/// The live pipeline over `store` (no rules, console mode) with its clock at `now`: the
/// channel of its batches, its task, and the handle that tells it of a chat's change.
fn pipeline(
    store: &Store,
    now: DateTime<Utc>,
) -> (
    tokio::sync::mpsc::Sender<Batch>,
    tokio::task::JoinHandle<()>,
    PersonalSync,
) {
    use marketbot::delivery::{ConsoleSink, Mode};
    use marketbot::pipeline::{Pipeline, personal_sync};
    use marketbot::rules::compile;

    let rules = compile(vec![], vec![]).unwrap();
    let (_rules_tx, rules_rx) = tokio::sync::watch::channel(Arc::new(rules));
    let clock = Clock::anchored(now);
    let sender = Sender::new(store.clone(), Arc::new(ConsoleSink), clock.clone());
    let (sync, changes) = personal_sync();
    let pipeline = Pipeline::restore(
        store.clone(),
        rules_rx,
        clock,
        Mode::Console,
        sender,
        changes,
    )
    .unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    (tx, tokio::spawn(pipeline.run(rx)), sync)
}

async fn send(tx: &tokio::sync::mpsc::Sender<Batch>, bars: Vec<Bar>, splits: Vec<Split>) {
    let (done, stored) = tokio::sync::oneshot::channel();
    tx.send(Batch::Bars {
        source: "yahoo".into(),
        bars,
        splits,
        done: Some(done),
    })
    .await
    .unwrap();
    stored.await.unwrap();
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
    store
        .put_personal_alert(&PersonalAlert {
            chat: 42,
            number: 1,
            spec: "NVDA below 1850".into(),
            created: t("2026-01-15T12:00:00Z"),
            paused: false,
            changed: None,
        })
        .unwrap();
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
    let (tx, running, sync) = pipeline(&store, t("2026-02-03T15:10:00Z"));
    send(&tx, vec![bar("2026-02-02T21:00:00Z", "1d", 1890.0)], vec![]).await;

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
        sync.chat_changed(42);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    send(
        &tx,
        vec![bar("2026-02-03T14:30:00Z", "30m", 191.0)],
        vec![ten_for_one()],
    )
    .await;
    sync.chat_changed(42);
    assert_eq!(
        store.personal_alerts_of(42).unwrap()[0].spec,
        "NVDA below 190"
    );
    // NVDA falls through 190: the edited alert, with no cooldown stored, fires.
    send(&tx, vec![bar("2026-02-03T15:00:00Z", "30m", 189.0)], vec![]).await;
    drop(tx);
    running.await.unwrap();
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
    let sled = Store::open(dir.path(), 8 << 20).unwrap();
    let faulty = Arc::new(Faulty::new(sled.backend()));
    let store = Store::with_backend(faulty.clone()).unwrap();
    store
        .put_personal_alert(&PersonalAlert {
            chat: 42,
            number: 1,
            spec: "NVDA below 1850".into(),
            created: t("2026-01-15T12:00:00Z"),
            paused: false,
            changed: None,
        })
        .unwrap();
    let (tx, running, _sync) = pipeline(&store, t("2026-02-03T15:10:00Z"));
    send(&tx, vec![bar("2026-02-02T21:00:00Z", "1d", 1890.0)], vec![]).await;
    let new = vec![bar("2026-02-03T14:30:00Z", "30m", 191.0)];
    faulty.fail_commits(1);
    send(&tx, new.clone(), vec![ten_for_one()]).await;
    assert_eq!(
        store.personal_alerts_of(42).unwrap()[0].spec,
        "NVDA below 1850"
    );
    send(&tx, new, vec![ten_for_one()]).await;
    assert_eq!(
        store.personal_alerts_of(42).unwrap()[0].spec,
        "NVDA below 185"
    );
    send(&tx, vec![bar("2026-02-03T15:00:00Z", "30m", 184.0)], vec![]).await;
    drop(tx);
    running.await.unwrap();
    assert_eq!(personal_fired(&store), ["#1 NVDA below 185"]);
}

/// Two splits of one symbol taken in by one batch (a bot that was down, a history fetch):
/// an alert made before both follows both, once each.
#[tokio::test]
async fn two_splits_in_one_batch_restate_an_alert_through_both() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    store
        .put_personal_alert(&PersonalAlert {
            chat: 42,
            number: 1,
            spec: "NVDA below 1850".into(),
            created: t("2026-01-05T12:00:00Z"),
            paused: false,
            changed: None,
        })
        .unwrap();
    let (tx, running, _sync) = pipeline(&store, t("2026-02-03T15:10:00Z"));
    send(&tx, vec![bar("2026-01-16T21:00:00Z", "1d", 1890.0)], vec![]).await;
    let two_for_one = Split {
        date: chrono::NaiveDate::from_ymd_opt(2026, 1, 20).unwrap(),
        ratio: 2.0,
        ..ten_for_one()
    };
    send(
        &tx,
        vec![
            bar("2026-01-20T21:00:00Z", "1d", 940.0),
            bar("2026-02-03T14:30:00Z", "30m", 94.0),
        ],
        vec![two_for_one, ten_for_one()],
    )
    .await;
    send(&tx, vec![bar("2026-02-03T15:00:00Z", "30m", 92.0)], vec![]).await;
    drop(tx);
    running.await.unwrap();
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
    let sled = Store::open(dir.path(), 8 << 20).unwrap();
    let faulty = Arc::new(Faulty::new(sled.backend()));
    let store = Store::with_backend(faulty.clone()).unwrap();
    store
        .put_personal_alert(&PersonalAlert {
            chat: 42,
            number: 1,
            spec: "NVDA below 1850".into(),
            created: t("2026-01-15T12:00:00Z"),
            paused: false,
            changed: None,
        })
        .unwrap();
    let (tx, running, _sync) = pipeline(&store, t("2026-02-03T15:10:00Z"));
    send(&tx, vec![bar("2026-02-02T21:00:00Z", "1d", 1890.0)], vec![]).await;
    let new = vec![bar("2026-02-03T14:30:00Z", "30m", 191.0)];
    faulty.lose_commit_answers(1);
    send(&tx, new.clone(), vec![ten_for_one()]).await;
    send(&tx, new, vec![ten_for_one()]).await;
    send(&tx, vec![bar("2026-02-03T15:00:00Z", "30m", 184.0)], vec![]).await;
    drop(tx);
    running.await.unwrap();
    assert_eq!(
        store.personal_alerts_of(42).unwrap()[0].spec,
        "NVDA below 185"
    );
    assert_eq!(personal_fired(&store), ["#1 NVDA below 185"]);
}
