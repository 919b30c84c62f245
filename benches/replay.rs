//! Replay throughput: a month of 1-minute bars for 50 symbols plus 100 000 headlines through
//! the shipped rules, as `marketbot replay` runs them (parsing included).
//!
//! `cargo bench --bench replay` generates the data (deterministic) into
//! `target/replay-bench/`, times parsing and the replay, and prints the figures; the same files
//! can be timed through the command line (see BENCHMARKS.md).

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, NaiveDate, TimeZone, Utc};

const SYMBOLS: usize = 50;
const HEADLINES: usize = 100_000;

fn symbol(i: usize) -> String {
    const REAL: [&str; 10] = [
        "NVDA", "AMD", "AVGO", "TSM", "MSFT", "META", "GOOGL", "AMZN", "AAPL", "TSLA",
    ];
    if i < REAL.len() {
        REAL[i].to_string()
    } else {
        format!("SYM{i}")
    }
}

/// February 2026, 1-minute regular-session bars, a random walk per symbol with a few sharp
/// drops; and headlines spread over the month, some about the followed companies.
fn generate(dir: &Path) -> (usize, usize) {
    std::fs::create_dir_all(dir).unwrap();
    let mut seed: u64 = 0x5eed;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut quotes = String::from("symbol,time,interval,open,high,low,close,volume,session\n");
    let mut bars = 0;
    let days: Vec<NaiveDate> = (1..=28)
        .map(|d| NaiveDate::from_ymd_opt(2026, 2, d).unwrap())
        .filter(|d| chrono::Datelike::weekday(d).number_from_monday() <= 5)
        .collect();
    for s in 0..SYMBOLS {
        let sym = symbol(s);
        let mut price = 100.0 + s as f64 * 3.0;
        writeln!(
            quotes,
            "{sym},2026-01-30T21:00:00Z,1d,,,,{price:.2},,regular"
        )
        .unwrap();
        for day in &days {
            let open = Utc.from_utc_datetime(&day.and_hms_opt(14, 30, 0).unwrap());
            for m in 1..=390 {
                let drift = if rnd() < 0.0005 {
                    -0.03
                } else {
                    (rnd() - 0.5) * 0.002
                };
                let o = price;
                price *= 1.0 + drift;
                let t = open + Duration::minutes(m);
                writeln!(
                    quotes,
                    "{sym},{},1m,{o:.2},{:.2},{:.2},{price:.2},{},regular",
                    t.format("%Y-%m-%dT%H:%M:%SZ"),
                    o.max(price) + 0.05,
                    o.min(price) - 0.05,
                    10_000 + (rnd() * 50_000.0) as u64
                )
                .unwrap();
                bars += 1;
            }
        }
    }
    std::fs::write(dir.join("quotes.csv"), quotes).unwrap();
    let templates = [
        "{c} cuts full-year guidance as demand slows, shares slide",
        "Analyst downgrades {c} to neutral on valuation",
        "{c}-Aktie: Bank senkt Kursziel nach schwachen Zahlen",
        "OpenAI weighs rival hardware to cut reliance on Nvidia",
        "US widens export curbs on AI chips to China",
        "{c} shares rise after earnings beat estimates",
        "Fed holds rates steady, signals patience",
        "Oil prices climb on supply worries",
        "UPDATE 1-{c} in talks over new data center - Reuters",
        "Microsoft unveils its own AI chip to cut costs",
    ];
    let names = [
        "Nvidia",
        "AMD",
        "Broadcom",
        "TSMC",
        "Microsoft",
        "Meta",
        "Alphabet",
        "Amazon",
        "Apple",
        "Tesla",
        "Acme",
        "Globex",
    ];
    let mut headlines = String::new();
    let start = Utc.from_utc_datetime(
        &NaiveDate::from_ymd_opt(2026, 2, 2)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap(),
    );
    for i in 0..HEADLINES {
        let t = start + Duration::seconds((i as i64) * 26 * 24 * 3600 / HEADLINES as i64);
        let title = templates[i % templates.len()].replace("{c}", names[(i * 7) % names.len()]);
        let title = format!("{title} ({i})");
        writeln!(headlines, "{}", serde_json::json!({"published": t.to_rfc3339(), "source": "Wire", "title": title, "link": format!("https://news.example/{i}")})).unwrap();
    }
    std::fs::write(dir.join("headlines.jsonl"), headlines).unwrap();
    (bars, HEADLINES)
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument filters benchmarks by name.
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with("--") && !"replay".contains(a.as_str()))
    {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("target/replay-bench");
    let (bars, headlines) = generate(&dir);
    let rules = Arc::new(marketbot::rules::load_dir(&root.join("rules")).expect("shipped rules"));

    let started = Instant::now();
    let quotes = std::fs::read_to_string(dir.join("quotes.csv")).unwrap();
    let parsed_bars = marketbot::replay::parse_bars_csv(&quotes).unwrap();
    let (parsed_headlines, problems) = marketbot::replay::parse_headlines(
        &std::fs::read_to_string(dir.join("headlines.jsonl")).unwrap(),
    );
    assert!(problems.is_empty());
    let parsed = started.elapsed();

    let started = Instant::now();
    let mut engine =
        marketbot::engine::Engine::new(rules, marketbot::engine::EngineState::default());
    let alerts = marketbot::replay::run(
        &mut engine,
        marketbot::replay::events(parsed_bars, parsed_headlines),
    );
    let replayed = started.elapsed();

    let total = parsed + replayed;
    println!(
        "replay: {bars} bars ({SYMBOLS} symbols × 1-minute bars, February 2026) and {headlines} headlines"
    );
    println!("  parse  {:>7.2} s", parsed.as_secs_f64());
    println!(
        "  replay {:>7.2} s  ({:.0} events/s)",
        replayed.as_secs_f64(),
        (bars + headlines) as f64 / replayed.as_secs_f64()
    );
    println!(
        "  total  {:>7.2} s  → {} alert(s)",
        total.as_secs_f64(),
        alerts.len()
    );
    println!("  data in {}", dir.display());
}
