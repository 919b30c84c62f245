//! A rule file as a user writes it, compiled with the shipped lexicons as `marketbot check`
//! and the bot do; its problems rendered as `check` prints them; a rule that compiles matched
//! against headlines and run through its own examples (`marketbot test`).

#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use marketbot::check::{self, Report};
use marketbot::{examples, rules};
use marketbot_fuzz::{shipped_lexicons, source};

const HEADLINES: &[&str] = &[
    "OpenAI is unsatisfied with some Nvidia chips and looking for alternatives",
    "Insider: OpenAI sucht Ersatz für Nvidia-Chips - Börsenblick",
    "US weighs new curbs on AI chip exports to China",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = source("rules/fuzzed.toml", text);
    let lexicons = shipped_lexicons();
    match rules::compile(vec![file.clone()], lexicons.clone()) {
        Ok(set) => {
            for h in HEADLINES {
                let prepared = set.prepare(h, Some(text), "Reuters", None);
                let found = set.match_headline(&prepared);
                for m in &found.rules {
                    for term in &m.matched {
                        assert!(term.span.0 <= term.span.1, "{term:?}");
                    }
                }
            }
            examples::run_all(&Arc::new(set));
        }
        Err(problems) => {
            assert!(!problems.is_empty());
            let mut report = Report {
                problems,
                ..Report::default()
            };
            for f in std::iter::once(file).chain(lexicons) {
                report.files.insert(f.path, f.text);
            }
            for p in &report.problems {
                if let Some(span) = &p.span {
                    assert!(span.start <= span.end, "{p:?}");
                }
                assert!(p.line >= 1 && p.col >= 1, "{p:?}");
            }
            check::render(&report);
        }
    }
});
