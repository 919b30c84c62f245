//! A recording made by the live bot replays to the alerts it sent.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use support::origin::Origin;
use support::telegram::FakeTelegram;
use support::{
    RunningBot, bot_config, eventually, release_seed_story, seed_evening, serve_quiet_evening,
    shipped_rules, start_chat,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_of_a_live_run_replays_to_the_same_alerts() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("recording");
    let mut config = bot_config(dir.path(), &tg, &origin);
    config.record_dir = Some(recording.clone());
    serve_quiet_evening(&origin);
    let bot = RunningBot::start(config, seed_evening());
    start_chat(&tg, 42).await;
    release_seed_story(&origin);
    eventually(Duration::from_secs(10), "the alert", || {
        tg.alerts_to(42).first().cloned()
    })
    .await;
    let wire = origin.hits("/wire.xml");
    eventually(Duration::from_secs(10), "more fetches", || {
        (origin.hits("/wire.xml") > wire + 1).then_some(())
    })
    .await;
    bot.stop().await;

    let store = marketbot::store::Store::open(&dir.path().join("data"), 8 << 20).unwrap();
    let live: Vec<(String, Option<String>, Option<String>)> = store
        .alerts_since("2026-01-01T00:00:00Z".parse().unwrap())
        .unwrap()
        .into_iter()
        .map(|a| (a.rule, a.symbol, a.headline.map(|h| h.title)))
        .collect();
    assert_eq!(live.len(), 1);

    let headlines = std::fs::read_to_string(recording.join("headlines.jsonl")).unwrap();
    let quotes = std::fs::read_to_string(recording.join("quotes.csv")).unwrap();
    assert!(quotes.starts_with("symbol,time,interval,open,high,low,close,volume,session\n"));
    let (headlines, problems) = marketbot::replay::parse_headlines(&headlines);
    assert!(problems.is_empty(), "{problems:?}");
    let bars = marketbot::replay::parse_bars_csv(&quotes).unwrap();
    assert!(!headlines.is_empty() && !bars.is_empty());

    let set = Arc::new(marketbot::rules::load_dir(std::path::Path::new(&shipped_rules())).unwrap());
    let mut engine =
        marketbot::engine::Engine::new(Arc::clone(&set), marketbot::engine::EngineState::default());
    let replayed: Vec<(String, Option<String>, Option<String>)> =
        marketbot::replay::run(&mut engine, marketbot::replay::events(bars, headlines))
            .into_iter()
            .map(|a| (a.rule, a.symbol, a.headline.map(|h| h.title)))
            .collect();
    assert_eq!(replayed, live);

    // The same recording streamed from its files, as `marketbot replay` reads it.
    use marketbot::replay::{BarsCsv, HeadlinesJsonl, Splits, scan, stream};
    let headlines = scan(
        &recording.join("headlines.jsonl"),
        HeadlinesJsonl::default(),
    )
    .unwrap();
    let bars = scan(&recording.join("quotes.csv"), BarsCsv::default()).unwrap();
    assert!(!bars.sorted() && !headlines.sorted());
    let mut engine = marketbot::engine::Engine::new(set, marketbot::engine::EngineState::default());
    let mut streamed = Vec::new();
    let splits = std::fs::read_to_string(recording.join("splits.csv")).unwrap();
    let splits = marketbot::replay::parse_splits_csv(&splits).unwrap();
    assert!(splits.is_empty(), "no split in that evening: {splits:?}");
    stream(
        &mut engine,
        Splits::new(splits),
        bars.records().unwrap(),
        headlines.records().unwrap(),
        |a| streamed.push((a.rule, a.symbol, a.headline.map(|h| h.title))),
    )
    .unwrap();
    assert_eq!(streamed, live);
}
