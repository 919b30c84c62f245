//! The live pipeline driven directly, batch by batch, over a store the test holds (often one
//! over [`super::backend::Faulty`]): in console mode, its clock fixed.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use marketbot::clock::Clock;
use marketbot::delivery::{ConsoleSink, Mode, Sender};
use marketbot::model::{Bar, Split};
use marketbot::pipeline::{PersonalSync, Pipeline, personal_sync};
use marketbot::rules::RuleSet;
use marketbot::sources::Batch;
use marketbot::sources::demand::Demand;
use marketbot::store::Store;

/// A running pipeline: where its batches go, its task, and the handle that tells it of a
/// chat's change to its personal alerts.
pub struct Running {
    pub batches: tokio::sync::mpsc::Sender<Batch>,
    pub task: tokio::task::JoinHandle<()>,
    pub sync: PersonalSync,
}

impl Running {
    /// Hands it `bars` (and `splits`) from Yahoo and waits until it has processed them.
    pub async fn bars(&self, bars: Vec<Bar>, splits: Vec<Split>) {
        let (done, processed) = tokio::sync::oneshot::channel();
        self.batches
            .send(Batch::Bars {
                source: "yahoo".into(),
                bars,
                splits,
                done: Some(done),
            })
            .await
            .unwrap();
        processed.await.unwrap();
    }

    /// Lets it finish what it was handed, and stop.
    pub async fn stop(self) {
        drop(self.batches);
        self.task.await.unwrap();
    }
}

/// The pipeline over `store` with `rules`, its clock at `now`, with the symbols fetched on
/// `demand` if given.
pub fn start(
    store: &Store,
    rules: RuleSet,
    now: DateTime<Utc>,
    demand: Option<Arc<Demand>>,
) -> Running {
    let (_rules_tx, rules_rx) = tokio::sync::watch::channel(Arc::new(rules));
    let clock = Clock::anchored(now);
    let sender = Sender::new(
        store.clone(),
        Arc::new(ConsoleSink::default()),
        clock.clone(),
    );
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
    let pipeline = match demand {
        Some(demand) => pipeline.with_demand(demand),
        None => pipeline,
    };
    let (batches, rx) = tokio::sync::mpsc::channel(4);
    Running {
        batches,
        task: tokio::spawn(pipeline.run(rx)),
        sync,
    }
}

/// A bar of `symbol` with only its close, as a chart's previous close or a spark answer has.
pub fn close(symbol: &str, time: &str, interval: &str, close: f64) -> Bar {
    Bar {
        symbol: symbol.into(),
        time: time.parse().unwrap(),
        interval: interval.parse().unwrap(),
        open: None,
        high: None,
        low: None,
        close: Some(close),
        volume: None,
        session: None,
        currency: None,
    }
}
