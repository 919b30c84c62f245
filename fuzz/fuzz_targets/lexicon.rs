//! A lexicon file as a user writes it, compiled with the shipped rules (which refer to the
//! shipped lexicons' names) and alone, as `marketbot check` does; problems rendered.

#![no_main]

use libfuzzer_sys::fuzz_target;
use marketbot::check::{self, Report};
use marketbot::rules;
use marketbot_fuzz::{shipped_lexicons, shipped_rule_files, source};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let fuzzed = source("rules/lexicons/fuzzed.toml", text);
    // In place of the shipped concepts, so the shipped rules' references go through it.
    let mut lexicons = shipped_lexicons();
    lexicons[1] = source("rules/lexicons/concepts.toml", text);
    let with_rules = rules::compile(shipped_rule_files(), lexicons.clone());
    let alone = rules::compile(Vec::new(), vec![fuzzed.clone()]);
    for (result, files) in [(with_rules, lexicons), (alone, vec![fuzzed])] {
        match result {
            Ok(set) => {
                let prepared = set.prepare(
                    "Microsoft and Alphabet build their own AI chips, Nvidia falls",
                    Some(text),
                    "Reuters",
                    None,
                );
                set.match_headline(&prepared);
            }
            Err(problems) => {
                let mut report = Report {
                    problems,
                    ..Report::default()
                };
                for f in files.into_iter().chain(shipped_rule_files()) {
                    report.files.insert(f.path, f.text);
                }
                check::render(&report);
            }
        }
    }
});
