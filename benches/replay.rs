//! Replay against input size, as a rule author backtests (figures in BENCHMARKS.md):
//!
//! - `replay`: `marketbot replay` (the release binary, parsing and output included) of
//!   200 symbols' 1-minute bars plus headlines through the shipped rules, at 1× (1 000 000
//!   bars, 100 000 headlines), and at other sizes with `REPLAY_SCALES=0.1,1,10` (default `1`). A tenth of the
//!   headlines are templated near-repeats ("Acme (NASDAQ:ACME) Trading Down 2.9% - Here's What
//!   Happened"), the rest varied. Wall time and peak RSS of the process.
//!   `REPLAY_SUSTAINED=1` adds each size against ten times itself under the same sustained
//!   load (ten runs of the one, one of the other, ten of the one again).
//! - `stories`: story matching alone on 20 000 / 50 000 / 100 000 templated headlines, all
//!   naming followed companies, through the engine in this process: time per headline.
//!
//! `cargo bench --bench replay [-- replay|stories]`; the generated files stay in
//! `target/replay-bench/` to be timed again by hand (see BENCHMARKS.md).

mod common;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

const SYMBOLS: usize = 200;
/// Bars per symbol at 1×: 200 × 5 000 = 1 000 000 (about 13 trading days of minutes).
const BARS_PER_SYMBOL: usize = 5_000;
const HEADLINES: usize = 100_000;

const COMPANIES: [(&str, &str); 10] = [
    ("NVDA", "Nvidia"),
    ("AMD", "AMD"),
    ("AVGO", "Broadcom"),
    ("TSM", "TSMC"),
    ("MSFT", "Microsoft"),
    ("META", "Meta"),
    ("GOOGL", "Alphabet"),
    ("AMZN", "Amazon"),
    ("AAPL", "Apple"),
    ("TSLA", "Tesla"),
];

fn symbol(i: usize) -> (String, String) {
    match COMPANIES.get(i) {
        Some((s, n)) => (s.to_string(), n.to_string()),
        None => (format!("SY{i}"), format!("Company{i}")),
    }
}

/// xorshift: the same data on every run.
struct Rnd(u64);

impl Rnd {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[(self.next() * list.len() as f64) as usize % list.len()]
    }
}

/// The trading minutes from 2 February 2026 on (regular session, weekdays).
fn minutes(count: usize) -> Vec<DateTime<Utc>> {
    let mut out = Vec::with_capacity(count);
    let mut day = NaiveDate::from_ymd_opt(2026, 2, 2).unwrap();
    while out.len() < count {
        if chrono::Datelike::weekday(&day).number_from_monday() <= 5 {
            let open = Utc.from_utc_datetime(&day.and_hms_opt(14, 30, 0).unwrap());
            for m in 1..=390 {
                if out.len() < count {
                    out.push(open + chrono::Duration::minutes(m));
                }
            }
        }
        day = day.succ_opt().unwrap();
    }
    out
}

/// A varied headline: words drawn from lists, so two of them rarely tell the same story.
fn varied(r: &mut Rnd, company: &str, i: usize) -> String {
    const VERBS: [&str; 16] = [
        "expands",
        "cuts guidance for",
        "wins contract for",
        "faces probe over",
        "unveils",
        "delays",
        "invests in",
        "sells stake in",
        "is downgraded on",
        "raises prices of",
        "hires executives for",
        "recalls",
        "partners on",
        "lays off staff at",
        "signs supply deal for",
        "is upgraded on",
    ];
    const OBJECTS: [&str; 16] = [
        "cloud unit",
        "chip plant",
        "battery line",
        "AI servers",
        "data centers",
        "retail stores",
        "ad business",
        "streaming service",
        "robotics arm",
        "payments app",
        "satellite network",
        "gaming division",
        "software suite",
        "logistics hubs",
        "healthcare venture",
        "memory chips",
    ];
    const WHERE: [&str; 12] = [
        "in Europe",
        "in India",
        "in Texas",
        "in Japan",
        "after strike",
        "amid tariffs",
        "ahead of earnings",
        "despite slowdown",
        "as rivals stall",
        "under new chief",
        "with regulators watching",
        "before holiday season",
    ];
    format!(
        "{company} {} {} {} (report {})",
        r.pick(&VERBS),
        r.pick(&OBJECTS),
        r.pick(&WHERE),
        i % 997
    )
}

/// A templated near-repeat, as stock-news sites publish them by the thousand.
fn templated(r: &mut Rnd, symbol: &str, company: &str) -> String {
    let pct = format!("{:.1}", 0.5 + r.next() * 6.0);
    match (r.next() * 4.0) as usize {
        0 => format!("{company} (NASDAQ:{symbol}) Trading Down {pct}% - Here's What Happened"),
        1 => format!("{company} (NASDAQ:{symbol}) Shares Up {pct}% - Here's Why"),
        2 => format!("{company} shares rise after earnings beat estimates, up {pct}%"),
        _ => format!("{company} (NASDAQ:{symbol}) Stock Price Down {pct}% - Should You Sell?"),
    }
}

/// Writes `quotes.csv` and `headlines.jsonl` for `scale` (1 = 1 000 000 bars) into `dir`.
fn generate(dir: &Path, scale: f64) -> (usize, usize) {
    std::fs::create_dir_all(dir).unwrap();
    let per_symbol = (BARS_PER_SYMBOL as f64 * scale) as usize;
    let times = minutes(per_symbol);
    let mut r = Rnd(0x5eed);
    let mut quotes =
        std::io::BufWriter::new(std::fs::File::create(dir.join("quotes.csv")).unwrap());
    writeln!(quotes, "{}", marketbot::replay::BARS_CSV_HEADER).unwrap();
    let mut prices: Vec<f64> = (0..SYMBOLS).map(|s| 50.0 + s as f64).collect();
    // Last Friday's closes, then every minute all symbols: time-ordered as `record` writes.
    for (s, p) in prices.iter().enumerate() {
        writeln!(
            quotes,
            "{},2026-01-30T21:00:00Z,1d,,,,{p:.2},,regular",
            symbol(s).0
        )
        .unwrap();
    }
    let mut line = String::new();
    for t in &times {
        let stamp = t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        for (s, price) in prices.iter_mut().enumerate() {
            let drift = if r.next() < 0.0005 {
                -0.03
            } else {
                (r.next() - 0.5) * 0.002
            };
            let o = *price;
            *price *= 1.0 + drift;
            line.clear();
            writeln!(
                line,
                "{},{stamp},1m,{o:.2},{:.2},{:.2},{:.2},{},regular",
                symbol(s).0,
                o.max(*price) + 0.05,
                o.min(*price) - 0.05,
                *price,
                10_000 + (r.next() * 50_000.0) as u64
            )
            .unwrap();
            quotes.write_all(line.as_bytes()).unwrap();
        }
    }
    // On disk before anything is timed: write-back while replaying would slow the first runs.
    quotes.into_inner().unwrap().sync_all().unwrap();
    let count = (HEADLINES as f64 * scale) as usize;
    let first = times[0];
    let span = (*times.last().unwrap() - first).num_seconds();
    let mut headlines =
        std::io::BufWriter::new(std::fs::File::create(dir.join("headlines.jsonl")).unwrap());
    for i in 0..count {
        let at = first + chrono::Duration::seconds(span * i as i64 / count as i64);
        // Most news is about the big names.
        let s = if r.next() < 0.6 {
            (r.next() * COMPANIES.len() as f64) as usize
        } else {
            (r.next() * SYMBOLS as f64) as usize
        };
        let (sym, company) = symbol(s);
        let title = if i % 10 == 0 {
            templated(&mut r, &sym, &company)
        } else {
            varied(&mut r, &company, i)
        };
        let source = ["Reuters", "Bloomberg", "MarketBeat", "Yahoo Finance"][i % 4];
        writeln!(
            headlines,
            "{}",
            serde_json::json!({"published": at.to_rfc3339(), "source": source, "title": title, "link": format!("https://news.example/{i}")})
        )
        .unwrap();
    }
    headlines.into_inner().unwrap().sync_all().unwrap();
    (SYMBOLS * (per_symbol + 1), count)
}

/// Runs `cmd` to its end: wall time and peak RSS (KiB) of the process.
fn measure(cmd: &mut std::process::Command) -> (Duration, u64, std::process::ExitStatus) {
    use std::os::unix::process::ExitStatusExt;
    let started = Instant::now();
    // Reaped by `wait4` below, which also reports its resource usage.
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().expect("start marketbot");
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, with valid pointers to locals.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert!(pid > 0, "wait4 failed");
    (
        started.elapsed(),
        usage.ru_maxrss as u64,
        std::process::ExitStatus::from_raw(status),
    )
}

fn replay(root: &Path, scales: &[f64]) {
    let mut first: Option<(f64, u64)> = None;
    for &scale in scales {
        let dir = root.join(format!("target/replay-bench/{scale}x"));
        let started = Instant::now();
        let (bars, headlines) = generate(&dir, scale);
        let generated = started.elapsed();
        // The machine is shared and noisy: the median of a few runs, the highest peak.
        let runs: usize = std::env::var("REPLAY_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(3);
        let mut times = Vec::new();
        let mut rss = 0;
        for _ in 0..runs.max(1) {
            let (took, peak) = replay_once(root, &dir);
            times.push(took);
            rss = rss.max(peak);
        }
        times.sort();
        let took = times[times.len() / 2];
        let alerts = std::fs::read_to_string(dir.join("alerts.jsonl"))
            .unwrap()
            .lines()
            .count();
        let secs = took.as_secs_f64();
        let (base_secs, base_rss) = *first.get_or_insert((secs, rss));
        let (time_ratio, rss_ratio) = (secs / base_secs, rss as f64 / base_rss as f64);
        println!(
            "replay {scale:>3}×: {bars} bars ({SYMBOLS} symbols) + {headlines} headlines (a tenth templated) → {alerts} alert(s): {secs:.2} s wall, median of {} ({:.0} events/s), peak RSS {:.0} MiB; against the first size: time {time_ratio:.2}, memory {rss_ratio:.2} (data generated in {:.1} s into {})",
            times.len(),
            (bars + headlines) as f64 / secs,
            rss as f64 / 1024.0,
            generated.as_secs_f64(),
            dir.display()
        );
    }
}

/// One `marketbot replay` of the files in `dir`: wall time and peak RSS (KiB).
fn replay_once(root: &Path, dir: &Path) -> (Duration, u64) {
    let (took, peak, status) = measure(
        std::process::Command::new(env!("CARGO_BIN_EXE_marketbot"))
            .current_dir(root)
            .args(["replay", "--rules", "rules", "--format", "jsonl"])
            .arg("--headlines")
            .arg(dir.join("headlines.jsonl"))
            .arg("--quotes")
            .arg(dir.join("quotes.csv"))
            .stdout(std::fs::File::create(dir.join("alerts.jsonl")).unwrap())
            .stderr(std::fs::File::create(dir.join("summary.txt")).unwrap()),
    );
    assert!(status.success(), "replay failed: see {}", dir.display());
    (took, peak)
}

/// 10× the input against ten times the input, under the same sustained load: a shared
/// machine runs slower after a while, so a lone short run flatters the small size. Ten runs
/// of `scale`, one of `10 × scale`, ten of `scale` again (data already generated).
fn sustained(root: &Path, scale: f64) {
    let small = root.join(format!("target/replay-bench/{scale}x"));
    let large = root.join(format!("target/replay-bench/{}x", scale * 10.0));
    let ten = || -> f64 {
        (0..10)
            .map(|_| replay_once(root, &small).0.as_secs_f64())
            .sum()
    };
    let before = ten();
    let (took, _) = replay_once(root, &large);
    let after = ten();
    let took = took.as_secs_f64();
    println!(
        "replay sustained: {}× once {took:.2} s; {scale}× ten times in a row {before:.2} s before and {after:.2} s after → ratio {:.2}",
        scale * 10.0,
        took / ((before + after) / 2.0)
    );
}

fn stories(root: &Path) {
    let rules = Arc::new(marketbot::rules::load_dir(&root.join("rules")).expect("shipped rules"));
    let start: DateTime<Utc> = "2026-02-02T14:30:00Z".parse().unwrap();
    let mut base: Option<f64> = None;
    for n in [20_000, 50_000, 100_000] {
        let mut r = Rnd(0x5707);
        let headlines: Vec<marketbot::model::Headline> = (0..n)
            .map(|i| {
                let (sym, company) = symbol(i % COMPANIES.len());
                marketbot::model::Headline {
                    id: String::new(),
                    published: start + chrono::Duration::seconds(i as i64 * 5),
                    source: "MarketBeat".into(),
                    title: templated(&mut r, &sym, &company),
                    link: Some(format!("https://news.example/t/{i}")),
                    summary: None,
                    symbols: vec![],
                    lang: None,
                }
            })
            .collect();
        let mut engine = marketbot::engine::Engine::new(Arc::clone(&rules), Default::default());
        let started = Instant::now();
        let mut duplicates = 0;
        for h in &headlines {
            if engine.on_headline(h, h.published).1.duplicate {
                duplicates += 1;
            }
        }
        let secs = started.elapsed().as_secs_f64();
        let per = secs * 1e6 / n as f64;
        let ratio = per / *base.get_or_insert(per);
        println!(
            "stories {n:>7} templated headlines: {secs:.2} s, {per:.1} µs per headline ({ratio:.2} × the 20 000 figure), {duplicates} folded as retellings"
        );
    }
}

fn main() {
    let args = common::Args::get();
    // `cargo test --benches` runs benches once in test mode: nothing heavy there.
    if !args.full() {
        return;
    }
    let wants = |name: &str| args.wants(name);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if wants("stories") {
        stories(&root);
    }
    if wants("replay") {
        let scales: Vec<f64> = std::env::var("REPLAY_SCALES")
            .ok()
            .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
            .unwrap_or_else(|| vec![1.0]);
        replay(&root, &scales);
        // `REPLAY_SUSTAINED=1`: each size against ten times itself, back to back.
        if std::env::var("REPLAY_SUSTAINED").is_ok_and(|v| v == "1") {
            for &s in &scales {
                if scales.contains(&(s * 10.0)) {
                    sustained(&root, s);
                }
            }
        }
    }
}
