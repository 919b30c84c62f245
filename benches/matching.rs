//! Headlines per second through rule matching (normalisation, compound splitting, the
//! automaton scan and condition evaluation) for 10, 1 000 and 10 000 generated rules, and for
//! the shipped rules over the labelled corpus (`MARKETBOT_BENCH_RULES=DIR`: another rules
//! directory, to compare versions); and
//! rules per second through compiling, for 1 000 and 10 000 rules kept one per file or all in
//! one file, with the heap a compiled rule keeps (`MARKETBOT_BENCH_100K=1` adds 100 000 rules
//! to those figures).
//!
//! `cargo bench --bench matching`. Figures and how to read them: BENCHMARKS.md.

use std::hint::black_box;
use std::time::Instant;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
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

/// How generated rules are laid out in files.
#[derive(Clone, Copy)]
enum Layout {
    /// One rule per file (`gen/rule-N.toml`), the way the shipped rules are kept.
    ManyFiles,
    /// Every rule as a `[[rule]]` entry of one file (`gen/rules.toml`).
    OneFile,
}

impl Layout {
    fn name(self) -> &'static str {
        match self {
            Layout::ManyFiles => "files",
            Layout::OneFile => "one_file",
        }
    }
}

/// `n` rules, each about one of `n / 20` companies (at least 10): a company, an event in
/// English and German, a denial exclusion and a price condition — shaped like the shipped rules.
fn sources(n: usize, layout: Layout) -> Vec<SourceFile> {
    let companies = (n / 20).max(10);
    // Tables of a `[[rule]]` entry are written `[rule.text.x]`; of a one-rule file `[text.x]`.
    let table = match layout {
        Layout::ManyFiles => "",
        Layout::OneFile => "rule.",
    };
    let rule = |i: usize| {
        let c = company(i % companies);
        let event = EVENTS[i % EVENTS.len()];
        let terms = event
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "id = \"gen-{i}\"\ntitle = \"{c} event {i}\"\nsymbols = [\"S{}\"]\ncondition = \"company and event and not denial and move\"\n\
             [{table}text.company]\nany = [\"{c}\", \"{c}-Aktie\", \"{c} Inc\"]\n[{table}text.event]\nany = [{terms}]\n\
             [{table}text.denial]\nany = [\"denies\", \"dementiert\"]\n[{table}price.move]\nchange = \"<= -{}%\"\n",
            i % companies,
            1 + i % 4
        )
    };
    match layout {
        Layout::ManyFiles => (0..n)
            .map(|i| SourceFile {
                path: format!("gen/rule-{i}.toml").into(),
                text: rule(i),
            })
            .collect(),
        Layout::OneFile => {
            let mut text = String::new();
            for i in 0..n {
                text.push_str("[[rule]]\n");
                text.push_str(&rule(i));
            }
            vec![SourceFile {
                path: "gen/rules.toml".into(),
                text,
            }]
        }
    }
}

fn rules(n: usize) -> RuleSet {
    compile(sources(n, Layout::ManyFiles), Vec::new()).expect("generated rules compile")
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

    // The shipped rules (or those of MARKETBOT_BENCH_RULES, to compare another version) over
    // the labelled corpus: real headlines, many of them about the rules' own stories.
    let dir = std::env::var_os("MARKETBOT_BENCH_RULES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"));
    let shipped = marketbot::rules::load_dir(&dir).expect("the rules compile");
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/headlines.jsonl");
    let (labelled, _) = marketbot::eval::parse(std::fs::read(corpus).unwrap());
    let corpus: Vec<(String, String, marketbot::text::Lang)> = labelled
        .iter()
        .map(|l| {
            (
                l.headline.title.clone(),
                l.headline.source.clone(),
                l.lang(),
            )
        })
        .collect();
    eprintln!(
        "rules of {}: {} rules, {} distinct terms, automata {} KiB, {} corpus headlines",
        dir.display(),
        shipped.rules().len(),
        shipped.term_count(),
        shipped.automaton_bytes() / 1024,
        corpus.len()
    );
    let mut shipped_group = c.benchmark_group("match_shipped");
    shipped_group.throughput(Throughput::Elements(corpus.len() as u64));
    shipped_group.bench_function("corpus", |b| {
        b.iter(|| {
            let mut matched = 0;
            for (title, source, lang) in &corpus {
                let prepared = shipped.prepare(title, None, source, Some(*lang));
                matched += shipped.match_headline(black_box(&prepared)).rules.len();
            }
            black_box(matched)
        })
    });
    shipped_group.finish();

    let mut compile_group = c.benchmark_group("compile_rules");
    compile_group.sample_size(10);
    for n in [1_000, 10_000] {
        compile_group.throughput(Throughput::Elements(n as u64));
        for layout in [Layout::ManyFiles, Layout::OneFile] {
            compile_group.bench_function(format!("{n}_rules_{}", layout.name()), |b| {
                b.iter_batched(
                    || sources(n, layout),
                    |files| compile(black_box(files), Vec::new()),
                    BatchSize::PerIteration,
                )
            });
        }
    }
    compile_group.finish();
}

/// Compiles `n` generated rules once per layout and prints the time, rules per second, the
/// heap a compiled rule keeps and the peak while compiling.
fn compile_report(n: usize) {
    for layout in [Layout::ManyFiles, Layout::OneFile] {
        let base = heap::live();
        let files = sources(n, layout);
        let with_source = heap::live();
        heap::reset_peak();
        let began = Instant::now();
        let set = compile(files, Vec::new()).expect("generated rules compile");
        let took = began.elapsed();
        let bytes = |b: isize| usize::try_from(b).unwrap_or(0);
        let source = bytes(with_source - base);
        // The sources are dropped by `compile`: what is still live is the rule set.
        let kept = bytes(heap::live() - base);
        // What compiling needs on top of the source text it was given.
        let peak = bytes(heap::peak() - with_source);
        eprintln!(
            "compile {n:>6} rules, {:<8}: {:>7.3} s, {:>7.0} rules/s; source {:>6} KiB; \
             kept {:>5} bytes/rule (automata {:>4} KiB); peak {:>6} KiB beyond the source",
            layout.name(),
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64(),
            source / 1024,
            kept / n,
            set.automaton_bytes() / 1024,
            peak / 1024,
        );
        drop(set);
    }
}

fn compile_figures(_: &mut Criterion) {
    heap::counting(true);
    let mut sizes = vec![1_000, 10_000];
    // One file of 100 000 rules takes a while to generate and compile: asked for explicitly.
    if std::env::var_os("MARKETBOT_BENCH_100K").is_some() {
        sizes.push(100_000);
    }
    for n in sizes {
        compile_report(n);
    }
    heap::counting(false);
}

/// Live heap bytes and their high-water mark, counted by a wrapper around the system
/// allocator while switched on (so the timed benchmarks pay one relaxed load per allocation).
mod heap {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering::Relaxed};

    struct Counting;

    static ON: AtomicBool = AtomicBool::new(false);
    /// Bytes allocated minus bytes freed while counting was on (negative when more was freed
    /// than allocated since then).
    static LIVE: AtomicIsize = AtomicIsize::new(0);
    static PEAK: AtomicIsize = AtomicIsize::new(0);

    fn grew(by: usize) {
        if ON.load(Relaxed) {
            let now = LIVE.fetch_add(by as isize, Relaxed) + by as isize;
            PEAK.fetch_max(now, Relaxed);
        }
    }

    fn shrank(by: usize) {
        if ON.load(Relaxed) {
            LIVE.fetch_sub(by as isize, Relaxed);
        }
    }

    // SAFETY: every call is forwarded to the system allocator unchanged; only counters change.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            grew(layout.size());
            unsafe { System.alloc(layout) }
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            grew(layout.size());
            unsafe { System.alloc_zeroed(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            shrank(layout.size());
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                shrank(layout.size() - new_size);
            }
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    #[global_allocator]
    static GLOBAL: Counting = Counting;

    /// Switches counting on or off.
    pub fn counting(on: bool) {
        ON.store(on, Relaxed);
    }

    /// Bytes allocated and not yet freed since counting started (negative when more was
    /// freed than allocated since then).
    pub fn live() -> isize {
        LIVE.load(Relaxed)
    }

    /// Restarts the high-water mark from the bytes live now.
    pub fn reset_peak() {
        PEAK.store(LIVE.load(Relaxed), Relaxed);
    }

    /// The most bytes live at once since [`reset_peak`].
    pub fn peak() -> isize {
        PEAK.load(Relaxed)
    }
}

criterion_group!(benches, compile_figures, matching);
criterion_main!(benches);
