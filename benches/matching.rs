//! Headlines per second through rule matching (normalisation, compound splitting, the
//! automaton scan and condition evaluation) for 10, 1 000 and 10 000 generated rules.
//!
//! `cargo bench --bench matching`. Figures and how to read them: BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use marketbot::rules::{RuleSet, SourceFile, compile};

/// Deterministic company-like names: `Varolex`, `Kentrion`, …
fn company(i: usize) -> String {
    const A: [&str; 16] = [
        "Var", "Ken", "Lum", "Dor", "Sel", "Qua", "Bri", "Mon", "Tal", "Ves", "Cor", "Nex", "Pol",
        "Zen", "Ard", "Fen",
    ];
    const B: [&str; 16] = [
        "o", "a", "i", "e", "u", "ar", "en", "or", "ia", "el", "on", "is", "ex", "um", "ir", "ax",
    ];
    const C: [&str; 12] = [
        "lex", "tron", "vex", "dyne", "mira", "sys", "quip", "tek", "nova", "gen", "corp", "link",
    ];
    format!(
        "{}{}{}{}",
        A[i % 16],
        B[(i / 16) % 16],
        C[(i / 256) % 12],
        if i >= 3072 {
            format!("{}", i / 3072)
        } else {
            String::new()
        }
    )
}

const EVENTS: &[&[&str]] = &[
    &[
        "cuts NEAR/3 guidance",
        "profit warning",
        "senkt NEAR/3 Prognose",
        "Gewinnwarnung",
    ],
    &[
        "downgrade*",
        "cuts NEAR/2 price target",
        "herabgestuft",
        "senkt Kursziel",
    ],
    &["alternativ*", "rival hardware", "instead of", "Ersatz"],
    &["export curbs", "export controls", "Exportbeschränkung*"],
    &["recall*", "Rückruf*", "safety probe"],
    &["lawsuit", "sued", "Klage", "verklagt"],
    &["buyback", "share repurchase", "Aktienrückkauf"],
    &["ceo resign*", "steps down", "tritt zurück", "Rücktritt"],
];

/// `n` rules, each about one of `n / 20` companies (at least 10): a company, an event in
/// English and German, a denial exclusion and a price condition — shaped like the shipped rules.
fn rules(n: usize) -> RuleSet {
    let companies = (n / 20).max(10);
    let files = (0..n)
        .map(|i| {
            let c = company(i % companies);
            let event = EVENTS[i % EVENTS.len()];
            let terms = event.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(", ");
            SourceFile {
                path: format!("gen/rule-{i}.toml").into(),
                text: format!(
                    "id = \"gen-{i}\"\ntitle = \"{c} event {i}\"\nsymbols = [\"S{}\"]\ncondition = \"company and event and not denial and move\"\n\
                     [text.company]\nany = [\"{c}\", \"{c}-Aktie\", \"{c} Inc\"]\n[text.event]\nany = [{terms}]\n\
                     [text.denial]\nany = [\"denies\", \"dementiert\"]\n[price.move]\nchange = \"<= -{}%\"\n",
                    i % companies,
                    1 + i % 4
                ),
            }
        })
        .collect();
    compile(files, Vec::new()).expect("generated rules compile")
}

/// Realistic headlines, in English and German, about companies with and without rules.
fn headlines() -> Vec<String> {
    let templates = [
        "{} cuts full-year guidance as demand slows, shares slide",
        "Analyst downgrades {} to neutral on valuation concerns",
        "{}-Aktie: Bank senkt Kursziel nach schwachen Zahlen",
        "{} weighs alternatives to supplier after quality problems",
        "US widens export curbs, {} says impact is limited",
        "{} denies report of talks to buy rival",
        "{} kündigt Aktienrückkauf über 2 Milliarden Dollar an",
        "UPDATE 2-{} CEO steps down after board review - Reuters",
        "{} shares rise after earnings beat estimates",
        "Exclusive: {} in talks with regulators over safety probe",
    ];
    let mut out: Vec<String> = (0..400)
        .map(|i| templates[i % templates.len()].replace("{}", &company((i * 37) % 600)))
        .collect();
    out.extend(
        [
            "OpenAI is unsatisfied with some Nvidia chips and looking for alternatives, sources say",
            "Bericht: OpenAI prüft Chips von AMD als Ersatz für Nvidia-GPUs",
            "Fed holds rates steady, signals patience on cuts",
            "Oil prices climb on supply worries",
            "Meta in talks to use Google's TPUs instead of Nvidia chips in its data centers",
        ]
        .map(String::from),
    );
    out
}

fn matching(c: &mut Criterion) {
    let headlines = headlines();
    let mut group = c.benchmark_group("match_headlines");
    group.throughput(Throughput::Elements(headlines.len() as u64));
    for n in [10, 1_000, 10_000] {
        let set = rules(n);
        let matching = headlines
            .iter()
            .filter(|h| {
                !set.match_headline(&set.prepare(h, None, "Reuters", None))
                    .rules
                    .is_empty()
            })
            .count();
        assert!(
            n < 1_000 || matching > 0,
            "the generated headlines must exercise the rules"
        );
        eprintln!(
            "{n} rules: {} distinct terms, automata {} KiB, {matching} of {} headlines match a rule",
            set.term_count(),
            set.automaton_bytes() / 1024,
            headlines.len()
        );
        group.bench_function(format!("{n}_rules"), |b| {
            b.iter(|| {
                let mut matched = 0;
                for h in &headlines {
                    let prepared = set.prepare(h, None, "Reuters", None);
                    matched += set.match_headline(black_box(&prepared)).rules.len();
                }
                black_box(matched)
            })
        });
    }
    group.finish();

    let mut compile_group = c.benchmark_group("compile_rules");
    compile_group.sample_size(10);
    for n in [1_000, 10_000] {
        compile_group.bench_function(format!("{n}_rules"), |b| {
            b.iter(|| black_box(rules(n).term_count()))
        });
    }
    compile_group.finish();
}

criterion_group!(benches, matching);
criterion_main!(benches);
