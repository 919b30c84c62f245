//! The shipped rules compile and pass the examples written inside them.

use std::path::Path;
use std::sync::Arc;

use marketbot::examples::{self, Kind};

#[test]
fn every_shipped_rule_passes_its_examples() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let set = Arc::new(marketbot::rules::load_dir(&dir).unwrap_or_else(|p| panic!("{p:#?}")));
    let outcomes = examples::run_all(&set);
    for rule in set.rules() {
        let mine: Vec<_> = outcomes.iter().filter(|o| o.rule == rule.id).collect();
        assert!(
            mine.iter().any(|o| matches!(o.kind, Kind::Scenario(_))),
            "{} has no scenario",
            rule.id
        );
        assert!(mine.len() >= 2, "{} has too few examples", rule.id);
    }
    let failures: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.passed)
        .map(|o| format!("{} {:?}: {}", o.rule, o.kind, o.detail))
        .collect();
    assert!(
        failures.is_empty(),
        "failing examples:\n{}",
        failures.join("\n\n")
    );
    assert!(
        set.rules().len() >= 7,
        "at least seven shipped rules, found {}",
        set.rules().len()
    );
}
