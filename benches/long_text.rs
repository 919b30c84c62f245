//! A headline's text against its length (figures in BENCHMARKS.md): the shipped rules over
//! one text at 1×, 10× and 100× its length, for each of
//!
//! - `templated`: templated finance headlines, English and German, one after another (a
//!   summary that strings several stories together, or a feed's run-on item);
//! - `one_term`: the same company named again and again (`Nvidia`, `NVDA`, `Nvidia-Aktie`),
//!   every word a hit of the same few terms;
//! - `compounds`: German closed and hyphenated compounds the rules split (`Chipalternativen`,
//!   `Exportbeschränkungen`, `Nvidia-Aktie`);
//! - `cjk`: Chinese and Japanese with Latin names inside (`Nvidia株が急落`).
//!
//! Timed, each on its own: preparing the text (cleaning, normalising, language, stems,
//! compound splitting: `RuleSet::prepare`), matching it (`RuleSet::match_headline`: the
//! automata, the conditions, `NEAR`/`BEFORE` pairs and the evidence), and the whole headline
//! through the engine as a rewording of a story it remembers (`Engine::on_headline`: the two
//! before and the story check). Medians of repeated runs, and the cost per 1 000 characters at
//! 100× against 1× (1.00 = linear).
//!
//! `cargo bench --bench long_text [-- templated|one_term|compounds|cjk]`.

mod common;

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use marketbot::engine::Engine;
use marketbot::model::Headline;
use marketbot::rules::RuleSet;

/// The lengths measured, in units of the kind's base text.
const SCALES: [usize; 3] = [1, 10, 100];

/// The base text of a kind, 300 to 600 characters (a long title, a summary); `i` varies its
/// figures so the repeats are not one string over and over.
fn unit(kind: &str, i: usize) -> String {
    let pct = |k: usize| format!("{}.{}", 1 + (i + k) % 9, (i * 7 + k) % 10);
    match kind {
        "templated" => [
            format!("Nvidia (NASDAQ:NVDA) Trading Down {}% - Here's What Happened.", pct(0)),
            "OpenAI is unsatisfied with some Nvidia chips and looking for alternatives, sources say.".into(),
            format!("Analyst downgrades AMD to neutral, cuts price target by {}% on export curbs.", pct(1)),
            "Nvidia-Aktie: Bericht: OpenAI prüft Chips von AMD als Ersatz für Nvidia-GPUs.".into(),
            format!("Microsoft cuts full-year guidance as demand slows, shares slide {}%.", pct(2)),
            "US widens export controls on AI chips to China, Nvidia says impact is limited.".into(),
            format!("Meta in talks to use Google's TPUs instead of Nvidia chips, shares up {}%.", pct(3)),
            "Broadcom senkt Prognose nach schwachen Zahlen, Aktie bricht ein.".into(),
        ]
        .join(" "),
        "one_term" => {
            let mut s = String::new();
            for k in 0..20 {
                s.push_str(match (i + k) % 4 {
                    0 => "Nvidia Nvidia ",
                    1 => "NVDA Nvidia's ",
                    2 => "Nvidia-Aktie Nvidia ",
                    _ => "Nvidia, Nvidia. ",
                });
            }
            s
        }
        "compounds" => [
            "Nvidia-Aktie unter Druck: Chipalternativen gesucht, Exportbeschränkungen verschärft.",
            "Halbleiterexportstopp trifft Nvidia-Kunden; OpenAI prüft Nvidia-Alternativen.",
            "Kurszielsenkung und Gewinnwarnung: Analysten senken Prognose für KI-Chiphersteller.",
            "Exportbeschränkungen für KI-Chips: Chipaktien fallen, Halbleiteraktien unter Druck.",
            "Prognosesenkung bei Broadcom-Zulieferern; Übernahmeärger bei Chipausrüstern.",
            "Nvidia-Chipalternativen im Fokus, Rechenzentrumschips gesucht, Aktienrückkauf geplant.",
        ]
        .join(" "),
        // Chinese and Japanese with Latin names inside (no spaces between the scripts).
        "cjk" => "英伟达芯片股价下跌，市场担忧出口管制。Nvidia株が急落、輸出規制を懸念。".repeat(10),
        other => panic!("no such kind: {other}"),
    }
}

/// The text of `kind` at `scale` times its base length.
fn text(kind: &str, scale: usize) -> String {
    (0..scale)
        .map(|i| unit(kind, i))
        .collect::<Vec<_>>()
        .join(" ")
}

fn headline(title: String, link: &str, at: DateTime<Utc>) -> Headline {
    Headline {
        id: String::new(),
        published: at,
        source: "Reuters".into(),
        title,
        link: Some(link.into()),
        summary: None,
        symbols: vec!["NVDA".into()],
        lang: None,
    }
}

/// The median time of `work`, repeated for at least about half a second (and three times).
fn median(mut work: impl FnMut() -> Duration) -> Duration {
    let mut times = Vec::new();
    let began = Instant::now();
    while times.len() < 3 || (began.elapsed() < Duration::from_millis(500) && times.len() < 200) {
        times.push(work());
    }
    times.sort();
    times[times.len() / 2]
}

/// One kind at every scale: a row per scale, then the ratios.
fn measure(rules: &Arc<RuleSet>, kind: &str) {
    let at: DateTime<Utc> = "2026-02-02T14:30:00Z".parse().unwrap();
    let mut base: Option<[f64; 4]> = None;
    for scale in SCALES {
        let title = text(kind, scale);
        let chars = title.chars().count();
        // A rewording: a word changed and a wire prefix, as a second wire would send it.
        let reworded = format!("UPDATE 1-{}", title.replacen("Nvidia", "NVIDIA Corp", 1));
        let prepare = median(|| {
            let began = Instant::now();
            black_box(rules.prepare(black_box(&title), None, "Reuters", None));
            began.elapsed()
        });
        let prepared = rules.prepare(&title, None, "Reuters", None);
        let matched = rules.match_headline(&prepared);
        let evidence: usize = matched.rules.iter().map(|m| m.matched.len()).sum();
        let matching = median(|| {
            let began = Instant::now();
            black_box(rules.match_headline(black_box(&prepared)));
            began.elapsed()
        });
        let mut folded = true;
        let engine = median(|| {
            let mut engine = Engine::new(Arc::clone(rules), Default::default());
            engine.on_headline(&headline(title.clone(), "https://a.example/1", at), at);
            let copy = headline(reworded.clone(), "https://b.example/1", at);
            let began = Instant::now();
            let (_, report) = engine.on_headline(black_box(&copy), at);
            let took = began.elapsed();
            folded &= report.duplicate;
            took
        });
        let per_k = |d: Duration| d.as_secs_f64() * 1e6 / (chars as f64 / 1000.0);
        let row = [
            per_k(prepare),
            per_k(matching),
            per_k(prepare + matching),
            per_k(engine),
        ];
        let first = *base.get_or_insert(row);
        println!(
            "{kind:<9} {scale:>3}× {chars:>6} chars, {:>5} tokens, {:>2} rules, {evidence:>5} evidence: \
             prepare {:>9.1} µs, match {:>9.1} µs, engine (rewording{}) {:>9.1} µs; \
             per 1 000 chars {:>6.1} / {:>6.1} / {:>6.1} µs, ratio to 1× {:.2} / {:.2} / {:.2}",
            prepared.title.tokens.len(),
            matched.rules.len(),
            prepare.as_secs_f64() * 1e6,
            matching.as_secs_f64() * 1e6,
            if folded { ", folded" } else { ", NOT folded" },
            engine.as_secs_f64() * 1e6,
            row[0],
            row[1],
            row[3],
            row[0] / first[0],
            row[1] / first[1],
            row[3] / first[3],
        );
    }
}

fn main() {
    let args = common::Args::get();
    // `cargo test --benches` runs benches once in test mode: nothing heavy there.
    if !args.full() {
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let rules = Arc::new(marketbot::rules::load_dir(&root.join("rules")).expect("shipped rules"));
    for kind in ["templated", "one_term", "compounds", "cjk"] {
        if args.wants(kind) {
            measure(&rules, kind);
        }
    }
}
