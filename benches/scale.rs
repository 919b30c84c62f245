//! Cost against size, in process (figures in BENCHMARKS.md):
//!
//! - personal alerts: 1 000 / 10 000 / 100 000 over 500 symbols — saving one (store write
//!   with its flush, the chat's record, the index), a bar of a symbol that holds a share of
//!   them, a bar of a symbol that holds none, the index's heap bytes, and loading them all at
//!   start;
//! - chats: 1 000 / 10 000 / 100 000 subscribed — fanning one alert out (reading the chats,
//!   deciding each one's disposition, rendering the messages), a later copy of its story with
//!   half the messages sent and half pending (edits and re-renders), counting the store's holdings
//!   as a `/metrics` scrape does, and one command's flood check with every chat's recent
//!   commands in memory.
//!
//! - the store: a pipeline step fanning one alert out to 100 / 1 000 / 10 000 chats committed
//!   (one transaction), the outbox read back, and the sender's removal of one delivery — on
//!   sled, and on PostgreSQL when `MARKETBOT_TEST_DATABASE_URL` names a database (a schema of
//!   its own, dropped afterwards).
//!
//! - symbols on demand: 100 / 1 000 / 10 000 of them, each with 100 daily and 65 half-hour bars
//!   stored — the check of a poll's prices for jumps like a split's the first time after a
//!   start (each symbol's newest stored price read) and on later polls (in memory).
//!
//! - a pipeline step's cost against what the engine remembers: 1 000 / 10 000 / 100 000
//!   headlines of the last day that a rule matched and that wait for their price part (their
//!   stories, their pending text events) — a step that brings one bar: the undo snapshot
//!   taken before it, judging the bar, and its commit with what it changed.
//!
//! `cargo bench --bench scale [-- personal|chats|store|demand|steps]`. Times are medians of repeated runs
//! (wall clock on this machine; the ratios between sizes are what to watch).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use marketbot::chats::{Chat, ChatKind};
use marketbot::delivery::{self, Mode};
use marketbot::engine::{Alert, Engine, EngineState};
use marketbot::model::{Bar, Session};
use marketbot::personal::{Book, PersonalAlert, PersonalState};
use marketbot::rules::RuleSet;
use marketbot::store::Store;
use marketbot::telegram::gate::{FloodLimits, Gate, Policy};

/// Counts live heap bytes, to measure what a structure holds.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

const SYMBOLS: usize = 500;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Monday 2 February 2026, 14:30Z: the regular session opens.
fn open() -> DateTime<Utc> {
    t("2026-02-02T14:30:00Z")
}

fn symbol(i: usize) -> String {
    format!("S{:03}", i % SYMBOLS)
}

/// The `k`th alert: every symbol gets drops and rises of 1–7 %, levels below and above 100
/// (within ±10), and moves of 1–4 % an hour, in turn.
fn alert(k: usize) -> PersonalAlert {
    let s = symbol(k);
    let round = k / SYMBOLS;
    let spec = match round % 5 {
        0 => format!("{s} drop {}%", 1 + round / 5 % 7),
        1 => format!("{s} rise {}%", 1 + round / 5 % 7),
        2 => format!("{s} below {}", 90 + round / 5 % 10),
        3 => format!("{s} above {}", 101 + round / 5 % 10),
        _ => format!("{s} move {}% 1h", 1 + round / 5 % 4),
    };
    PersonalAlert {
        paused: false,
        changed: None,
        message: None,
        chat: 10_000_000 + (k / 20) as i64,
        number: (k % 20) as u32 + 1,
        spec,
        created: open(),
    }
}

fn bar(symbol: &str, at: DateTime<Utc>, close: f64, interval: &str) -> Bar {
    Bar {
        symbol: symbol.into(),
        time: at,
        interval: interval.parse().unwrap(),
        open: Some(close),
        high: Some(close),
        low: Some(close),
        close: Some(close),
        volume: Some(1000),
        session: Some(Session::Regular),
        currency: None,
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
}

fn personal(sizes: &[usize]) {
    println!(
        "personal alerts over {SYMBOLS} symbols | save p50 / p99 | bar, symbol with alerts | bar, symbol without | judged per bar | index bytes / alert | load at start"
    );
    for &n in sizes {
        let alerts: Vec<PersonalAlert> = (0..n).map(alert).collect();
        // The index's own heap bytes.
        // (Before the store is opened: its background threads free and allocate too. The copy
        // handed over is dropped inside, so counting from before the copy leaves only what the
        // book keeps.)
        let before = live();
        let book = Book::load(alerts.clone(), Vec::new());
        let bytes = if n == 0 {
            "-".to_string()
        } else {
            format!("{:.0}", (live() - before) as f64 / n as f64)
        };
        drop(book);
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 16 << 20).unwrap();
        for part in alerts.chunks(10_000) {
            store.put_personal_alerts(part).unwrap();
        }

        // Loading everything at start, as the pipeline does.
        let loaded = Instant::now();
        let book = Book::load(
            store.personal_alerts().unwrap(),
            store.personal_states().unwrap(),
        );
        let load = loaded.elapsed();

        let mut engine = Engine::new(Arc::new(RuleSet::empty()), EngineState::default());
        *engine.personal_mut() = book;
        let previous: Vec<Bar> = (0..SYMBOLS + 1)
            .map(|i| {
                let s = if i == SYMBOLS {
                    "NONE".into()
                } else {
                    symbol(i)
                };
                bar(&s, t("2026-01-30T21:00:00Z"), 100.0, "1d")
            })
            .collect();
        engine.on_bars(&previous, open());
        // A first bar for every symbol: new alerts are looked at once.
        let first: Vec<Bar> = (0..SYMBOLS)
            .map(|i| bar(&symbol(i), open() + TimeDelta::minutes(1), 100.0, "1m"))
            .collect();
        engine.on_bars(&first, open() + TimeDelta::minutes(1));
        engine.personal_mut().settle(true);

        // Bars of one symbol wandering ±3 %: crossing a few levels and thresholds each.
        let mut with = Vec::new();
        let judged_before = engine.personal().judged();
        let steps = 2000;
        for m in 0..steps {
            // One-minute bars through the session, the night and the next day.
            let at = open() + TimeDelta::minutes(2 + m as i64);
            let price = 100.0 + 3.0 * ((m as f64) / 40.0).sin();
            let b = bar("S007", at, price, "1m");
            let started = Instant::now();
            engine.on_bars(std::slice::from_ref(&b), at);
            with.push(started.elapsed());
            engine.personal_mut().settle(true);
        }
        let judged = (engine.personal().judged() - judged_before) as f64 / steps as f64;
        let mut without = Vec::new();
        for m in 0..steps {
            let at = open() + TimeDelta::minutes(2 + m as i64);
            let b = bar("NONE", at, 100.0 + (m % 7) as f64, "1m");
            let started = Instant::now();
            engine.on_bars(std::slice::from_ref(&b), at);
            without.push(started.elapsed());
        }

        // Saving one more alert, as `/alert` does: the alert and the chat's record of it in
        // one durable step, then the index.
        let mut saves = Vec::new();
        for i in 0..1000 {
            let chat = Chat::new(1 + i, ChatKind::Private, String::new(), open());
            let spec = format!("{} below 90", symbol(i as usize));
            let started = Instant::now();
            let (_, a) = store
                .create_personal_alert(&chat, &spec, open(), None, |c, number| {
                    c.rules.insert(PersonalAlert::rule_id(c.id, number));
                })
                .unwrap();
            engine
                .personal_mut()
                .insert(&a, PersonalState::default())
                .unwrap();
            saves.push(started.elapsed());
        }
        println!(
            "{n:>7} | {:.2} ms / {:.2} ms | {:.2} µs | {:.2} µs | {judged:.2} | {bytes} | {:.0} ms",
            percentile(saves.clone(), 0.5).as_secs_f64() * 1e3,
            percentile(saves, 0.99).as_secs_f64() * 1e3,
            median(with).as_secs_f64() * 1e6,
            median(without).as_secs_f64() * 1e6,
            load.as_secs_f64() * 1e3,
        );
    }
}

fn chats(sizes: &[usize]) {
    println!(
        "chats subscribed | fan-out of one alert | per chat | a later copy, half sent (per chat) | /metrics count of holdings | flood check per command"
    );
    for &n in sizes {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 16 << 20).unwrap();
        let records: Vec<Chat> = (0..n as i64)
            .map(|i| {
                let mut c = Chat::new(
                    1_000_000 + i,
                    ChatKind::Private,
                    format!("user {i}"),
                    open(),
                );
                c.rules.insert("seed".into());
                if i % 3 == 0 {
                    c.settings.tz = "Europe/Berlin".into();
                }
                c
            })
            .collect();
        for part in records.chunks(10_000) {
            store.put_chats(part).unwrap();
        }
        let alert = Alert {
            id: 1,
            rule: "seed".into(),
            title: "Major NVIDIA customer looks for alternatives, and NVDA falls".into(),
            severity: marketbot::rules::Severity::High,
            symbol: Some("NVDA".into()),
            fired_at: t("2026-02-02T21:50:00Z"),
            headline: None,
            also: Vec::new(),
            matched: Vec::new(),
            held: vec!["drop".into()],
            price: None,
            within_secs: 86_400,
        };
        let fan_out = || {
            delivery::deliveries_for(&alert, None, Mode::Telegram, &store, alert.fired_at, true)
                .unwrap()
        };
        let runs = if n >= 100_000 { 3 } else { 7 };
        let mut times = Vec::new();
        for _ in 0..runs {
            let started = Instant::now();
            let out = fan_out();
            times.push(started.elapsed());
            assert_eq!(out.deliveries.len(), n);
        }
        let m = median(times);
        // A later copy of the story while the fan-out is half drained: half the messages
        // pending (re-rendered in place), half sent (edited).
        let (pending, sent) = {
            let all = fan_out().deliveries;
            let half = all.len() / 2;
            (all[..half].to_vec(), all[half..].to_vec())
        };
        store
            .commit(&marketbot::store::Step {
                now: alert.fired_at,
                alerts: vec![alert.clone()],
                deliveries: pending,
                ..Default::default()
            })
            .unwrap();
        for (k, d) in sent.iter().enumerate() {
            if let marketbot::delivery::outbox::Target::Telegram(chat) = d.target {
                store
                    .record_sent(
                        alert.id,
                        &marketbot::delivery::outbox::SentMessage {
                            chat,
                            part: 0,
                            message: k as i32 + 1,
                            photo: false,
                        },
                        alert.fired_at,
                    )
                    .unwrap();
            }
        }
        let copy = marketbot::model::HeadlineRef {
            title: "Big customer said to test rival chips".into(),
            link: None,
            source: "Bloomberg".into(),
            published: alert.fired_at,
        };
        let mut grown = alert.clone();
        grown.also.push(copy.clone());
        let mut copies = Vec::new();
        for _ in 0..runs {
            let started = Instant::now();
            let (replace, edits) =
                delivery::updates_for(&grown, &copy, None, Mode::Telegram, &store, alert.fired_at)
                    .unwrap();
            copies.push(started.elapsed());
            assert_eq!(replace.len() + edits.len(), n);
        }
        let copy_time = median(copies);
        // What a scrape of /metrics counts (at most every five seconds).
        let mut counts = Vec::new();
        for _ in 0..runs {
            let started = Instant::now();
            let h = store.holdings().unwrap();
            counts.push(started.elapsed());
            assert_eq!(h.chats, n as u64);
        }
        // The gate with every chat's recent commands in memory: one more command.
        let gate = Gate::new(Policy::Open, &[], &[], FloodLimits::default());
        let base = 1_770_000_000;
        for i in 0..n as i64 {
            gate.pace(1_000_000 + i, base);
        }
        let checks = 100_000;
        let started = Instant::now();
        for k in 0..checks {
            std::hint::black_box(gate.pace(1_000_000 + (k * 7919) % n as i64, base + k / 5_000));
        }
        let per_check = started.elapsed() / checks as u32;
        println!(
            "{n:>7} | {:.1} ms | {:.2} µs | {:.1} ms ({:.2} µs) | {:.1} ms | {:.0} ns",
            m.as_secs_f64() * 1e3,
            m.as_secs_f64() * 1e6 / n as f64,
            copy_time.as_secs_f64() * 1e3,
            copy_time.as_secs_f64() * 1e6 / n as f64,
            median(counts).as_secs_f64() * 1e3,
            per_check.as_secs_f64() * 1e9,
        );
    }
}

/// Opens a fresh store for a size.
type Opener<'a> = Box<dyn Fn(usize) -> Store + 'a>;

/// One step's commit, the outbox read and single removals, per store and size.
fn stores(sizes: &[usize]) {
    println!(
        "store | deliveries in one step | commit | per delivery | outbox read | one removal (median / p99)"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut kinds: Vec<(&str, Opener)> = vec![(
        "sled",
        Box::new(|n| Store::open(&dir.path().join(n.to_string()), 16 << 20).unwrap()),
    )];
    let url = std::env::var("MARKETBOT_TEST_DATABASE_URL").ok();
    let schema = |n: usize| format!("marketbot_bench_{}_{n}", std::process::id());
    if let Some(url) = url.clone() {
        kinds.push((
            "postgres",
            Box::new(move |n| Store::open_postgres(&url, Some(&schema(n))).unwrap()),
        ));
    } else {
        println!("(PostgreSQL left out: MARKETBOT_TEST_DATABASE_URL is not set)");
    }
    for (kind, open_store) in &kinds {
        for &n in sizes {
            let store = open_store(n);
            let deliveries: Vec<marketbot::delivery::outbox::Delivery> = (0..n as i64)
                .map(|i| {
                    marketbot::delivery::outbox::Delivery::message(
                        1,
                        marketbot::delivery::outbox::Target::Telegram(1_000_000 + i),
                        "🔴 <b>NVDA −2.89 %</b> · Major NVIDIA customer looks for alternatives, and NVDA falls\nOpenAI is unsatisfied with some Nvidia chips and looking for alternatives, sources say".into(),
                        open(),
                    )
                })
                .collect();
            let state = EngineState::default();
            let started = Instant::now();
            store
                .commit(&marketbot::store::Step {
                    now: open(),
                    engine: Some(&state),
                    deliveries,
                    ..Default::default()
                })
                .unwrap();
            let commit = started.elapsed();
            let started = Instant::now();
            let pending = store.outbox().unwrap();
            let read = started.elapsed();
            assert_eq!(pending.len(), n);
            let mut removals = Vec::new();
            for (seq, _) in pending.iter().take(200) {
                let started = Instant::now();
                store.remove_delivery(*seq).unwrap();
                removals.push(started.elapsed());
            }
            let (m, p99) = (median(removals.clone()), percentile(removals, 0.99));
            println!(
                "{kind} | {n:>6} | {:.1} ms | {:.1} µs | {:.1} ms | {:.0} µs / {:.0} µs",
                commit.as_secs_f64() * 1e3,
                commit.as_secs_f64() * 1e6 / n as f64,
                read.as_secs_f64() * 1e3,
                m.as_secs_f64() * 1e6,
                p99.as_secs_f64() * 1e6,
            );
        }
    }
    if let Some(url) = url {
        // The schemas go with the run.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            if let Ok((client, connection)) =
                tokio_postgres::connect(&url, tokio_postgres::NoTls).await
            {
                tokio::spawn(connection);
                for &n in sizes {
                    let _ = client
                        .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", schema(n)))
                        .await;
                }
            }
        });
    }
}

/// Symbols on demand: a poll's prices compared with the last ones taken in, at first read
/// from the store.
fn demand(sizes: &[usize]) {
    use marketbot::config::{DEFAULT_USER_AGENT, HttpConfig};
    use marketbot::sources::demand::{Demand, DemandLimits};
    use marketbot::sources::http::Http;
    println!(
        "symbols on demand | bars stored | first poll after a start | per symbol | later poll | per symbol"
    );
    for &n in sizes {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 16 << 20).unwrap();
        let names: Vec<String> = (0..n).map(|i| format!("D{i:05}")).collect();
        let day = t("2026-02-02T21:00:00Z");
        let mut stored = 0;
        for chunk in names.chunks(200) {
            let mut bars = Vec::new();
            for s in chunk {
                for d in 0..100 {
                    bars.push(bar(s, day - TimeDelta::days(100 - d), 100.0, "1d"));
                }
                for k in 0..65 {
                    let at = day - TimeDelta::days(4) + TimeDelta::minutes(30 * k);
                    bars.push(bar(s, at, 100.0 + (k % 5) as f64, "30m"));
                }
            }
            stored += bars.len();
            store
                .commit(&marketbot::store::Step {
                    now: day,
                    bars,
                    ..Default::default()
                })
                .unwrap();
        }
        let http = Http::new(&HttpConfig {
            timeout: Duration::from_secs(1),
            user_agent: DEFAULT_USER_AGENT.into(),
            listen: None,
            stall_after: Duration::from_secs(45),
        });
        // Never asked: the prices come from the benchmark.
        let provider = Arc::new(marketbot::sources::stooq::Stooq {
            base_url: "http://127.0.0.1:9".parse().unwrap(),
        });
        let limits = DemandLimits {
            max: n,
            ..DemandLimits::default()
        };
        let demand = Demand::open(Vec::new(), limits, provider, http, store.clone()).unwrap();
        // A poll's spark answer: a few five-minute closes each, one in ten a split's price.
        let poll = |minute: i64| -> Vec<Bar> {
            names
                .iter()
                .enumerate()
                .flat_map(|(i, s)| {
                    let price = if i % 10 == 0 { 10.0 } else { 101.0 };
                    (0..3).map(move |k| {
                        let at = day + TimeDelta::minutes(minute + 5 * k);
                        bar(s, at, price, "5m")
                    })
                })
                .collect()
        };
        let bars = poll(0);
        let started = Instant::now();
        let jumped = demand.jumped(&bars);
        let first = started.elapsed();
        assert_eq!(jumped.len(), n.div_ceil(10));
        demand.saw(&bars);
        let later: Vec<Duration> = (1..=5)
            .map(|m| {
                let bars = poll(m * 15);
                let started = Instant::now();
                let jumped = demand.jumped(&bars);
                let took = started.elapsed();
                assert!(jumped.is_empty());
                demand.saw(&bars);
                took
            })
            .collect();
        let later = median(later);
        println!(
            "{n} | {stored} | {first:.1?} | {:.1} µs | {later:.2?} | {:.2} µs",
            first.as_secs_f64() * 1e6 / n as f64,
            later.as_secs_f64() * 1e6 / n as f64,
        );
    }
}

fn main() {
    let args = common::Args::get();
    let full = args.full();
    let wants = |name: &str| args.wants(name);
    let sizes: &[usize] = if full {
        &[1_000, 10_000, 100_000]
    } else {
        &[200]
    };
    if wants("personal") {
        personal(if full {
            &[0, 1_000, 10_000, 100_000]
        } else {
            &[200]
        });
    }
    if wants("chats") {
        chats(sizes);
    }
    if wants("store") {
        stores(if full { &[100, 1_000, 10_000] } else { &[50] });
    }
    if wants("demand") {
        demand(if full { &[100, 1_000, 10_000] } else { &[20] });
    }
    if wants("steps") {
        steps(if full {
            &[0, 1_000, 10_000, 100_000]
        } else {
            &[100]
        });
    }
}

/// A rule every bench headline matches, its price part not yet met: each headline's story is
/// remembered and its text event waits a day for a drop.
const WAITING_RULE: &str = r#"
id = "news-then-drop"
title = "News, then a drop"
condition = "news and drop"
[text.news]
any = ["shares"]
[price.drop]
change = "<= -20%"
[correlate]
within = "24h"
"#;

/// Words enough that no two bench titles read as one story retold.
const WORDS: [&str; 24] = [
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
    "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
    "uniform", "victor", "whiskey", "yankee",
];

fn waiting_headline(i: usize, at: DateTime<Utc>) -> marketbot::model::Headline {
    let w = |k: usize| WORDS[(i / 24usize.pow(k as u32)) % 24];
    marketbot::model::Headline {
        id: format!("item-{i}"),
        published: at,
        source: "Wire".into(),
        title: format!(
            "{} shares {} as {} {} {} plan {i}",
            symbol(i % 500),
            w(0),
            w(1),
            w(2),
            w(3)
        ),
        link: Some(format!("https://news.example/{i}")),
        summary: None,
        symbols: vec![symbol(i % 500)],
        lang: Some("en".into()),
    }
}

/// A pipeline step's fixed cost against the headlines the engine remembers.
fn steps(sizes: &[usize]) {
    use marketbot::rules::{SourceFile, compile};
    println!(
        "headlines remembered | kept beside the state (stories, pairs) | a one-bar step: undo snapshot | judging | commit | whole step"
    );
    for &n in sizes {
        let rules = compile(
            vec![SourceFile {
                path: "rules/news-then-drop.toml".into(),
                text: WAITING_RULE.into(),
            }],
            vec![],
        )
        .unwrap();
        // As the live pipeline makes it: keeping account of each step's changes.
        let mut engine = Engine::restored(
            Arc::new(rules),
            EngineState::default(),
            Default::default(),
            Default::default(),
        );
        let start = open();
        engine.on_bars(&[bar(&symbol(0), start, 100.0, "1d")], start);
        for i in 0..n {
            let at = start + TimeDelta::seconds(i as i64 % 3600);
            engine.on_headline(&waiting_headline(i, at), start + TimeDelta::hours(1));
        }
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 16 << 20).unwrap();
        let commit = |engine: &Engine, now, bars: Vec<Bar>| {
            let changes = engine.changes();
            store
                .commit(&marketbot::store::Step {
                    now,
                    bars,
                    engine: Some(changes.state),
                    stories: changes.stories,
                    pairs: changes.pairs,
                    ..Default::default()
                })
                .unwrap();
        };
        // What the headlines left is stored as their own steps stored it.
        let kept = {
            let changes = engine.changes();
            let bytes = |v: Vec<usize>| v.iter().sum::<usize>() as f64 / 1e6;
            let stories = bytes(
                changes
                    .stories
                    .iter()
                    .map(|(_, s)| serde_json::to_vec(s).unwrap().len())
                    .collect(),
            );
            let pairs = bytes(
                changes
                    .pairs
                    .iter()
                    .map(|(_, p)| serde_json::to_vec(p).unwrap().len())
                    .collect(),
            );
            (stories, pairs)
        };
        commit(&engine, start + TimeDelta::hours(1), Vec::new());
        engine.settle(true);
        let (mut snapshots, mut judging, mut commits, mut whole) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for k in 0..7 {
            let now = start + TimeDelta::hours(1) + TimeDelta::minutes(k);
            let began = Instant::now();
            let snapshot = engine.state().clone();
            snapshots.push(began.elapsed());
            drop(snapshot);
            let b = bar(&symbol(0), now, 100.0 - k as f64 * 0.1, "5m");
            let started = Instant::now();
            engine.on_bars(std::slice::from_ref(&b), now);
            judging.push(started.elapsed());
            let started = Instant::now();
            commit(&engine, now, vec![b]);
            engine.settle(true);
            commits.push(started.elapsed());
            whole.push(began.elapsed());
        }
        println!(
            "{n} | {:.1} MB, {:.1} MB | {:.2?} | {:.2?} | {:.2?} | {:.2?}",
            kept.0,
            kept.1,
            median(snapshots),
            median(judging),
            median(commits),
            median(whole),
        );
    }
}
