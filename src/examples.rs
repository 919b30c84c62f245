//! The examples written inside rule files (`[tests]`), run against the real engine: headlines
//! that must or must not satisfy a rule's text part, and scenarios of headlines and prices
//! with the alerts expected. `marketbot test` prints these outcomes; the project's own test
//! suite requires every shipped rule to pass them.

use std::path::PathBuf;
use std::sync::Arc;

use crate::delivery::render;
use crate::engine::{Engine, EngineState};
use crate::replay;
use crate::rules::{RuleSet, SelectionKind, Tri};

/// What an example checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The headline must satisfy the text part.
    Match(String),
    /// The headline must not.
    NoMatch(String),
    /// A scenario, by name.
    Scenario(String),
}

/// How one example went.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The rule.
    pub rule: String,
    /// Its file.
    pub path: PathBuf,
    /// What was checked.
    pub kind: Kind,
    /// Whether it held.
    pub passed: bool,
    /// What was expected and what happened, with the evidence.
    pub detail: String,
}

/// Runs every rule's examples.
pub fn run_all(set: &Arc<RuleSet>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for (index, rule) in set.rules().iter().enumerate() {
        let outcome = |kind: Kind, passed: bool, detail: String| Outcome {
            rule: rule.id.clone(),
            path: rule.path.to_path_buf(),
            kind,
            passed,
            detail,
        };
        let tests = rule.tests();
        for (title, must) in tests
            .matching
            .iter()
            .map(|t| (t, true))
            .chain(tests.no_match.iter().map(|t| (t, false)))
        {
            let prepared = set.prepare(title, None, "", None);
            let explained = set.explain(index, &prepared);
            let held: Vec<String> = rule
                .selections
                .iter()
                .enumerate()
                .filter(|(_, s)| matches!(s.kind, SelectionKind::Text(_)))
                .map(|(i, s)| {
                    let words: Vec<&str> = explained
                        .matched
                        .iter()
                        .filter(|w| w.selection == s.name)
                        .map(|w| w.text.as_str())
                        .collect();
                    match explained.values[i] {
                        Tri::True if words.is_empty() => format!("{} ✓", s.name),
                        Tri::True => format!("{} ✓ ({})", s.name, words.join(", ")),
                        _ => format!("{} ✗", s.name),
                    }
                })
                .collect();
            let matched = explained.verdict != Tri::False;
            let detail = format!(
                "expected {}, got {}; selections: {}",
                if must { "a match" } else { "no match" },
                if matched { "a match" } else { "no match" },
                if held.is_empty() {
                    "none".to_string()
                } else {
                    held.join(", ")
                }
            );
            let kind = if must {
                Kind::Match(title.clone())
            } else {
                Kind::NoMatch(title.clone())
            };
            out.push(outcome(kind, matched == must, detail));
        }
        for (line, scenario) in &tests.scenarios {
            let kind = Kind::Scenario(scenario.name.clone());
            let mut bars =
                match replay::parse_bars_csv(scenario.bars.as_ref().map_or("", |b| b.get_ref())) {
                    Ok(b) => b,
                    Err(e) => {
                        out.push(outcome(
                            kind,
                            false,
                            format!("bars of the scenario starting on line {line}: {e}"),
                        ));
                        continue;
                    }
                };
            if let Some(file) = &scenario.bars_file {
                let path = rule
                    .path
                    .parent()
                    .unwrap_or(std::path::Path::new("."))
                    .join(file);
                match std::fs::read_to_string(&path)
                    .map_err(|e| e.to_string())
                    .and_then(|t| replay::parse_bars_csv(&t).map_err(|e| e.to_string()))
                {
                    Ok(more) => bars.extend(more),
                    Err(e) => {
                        out.push(outcome(kind, false, format!("{}: {e}", path.display())));
                        continue;
                    }
                }
            }
            let mut engine = Engine::new(Arc::clone(set), EngineState::default());
            let alerts: Vec<_> = replay::run(
                &mut engine,
                replay::events(bars, scenario.headlines.clone()),
            )
            .into_iter()
            .filter(|a| a.rule == rule.id)
            .collect();
            let mut problems = Vec::new();
            if alerts.len() != scenario.alerts {
                problems.push(format!(
                    "expected {}, got {}",
                    crate::i18n::count(scenario.alerts, "alert", "alerts"),
                    alerts.len()
                ));
            }
            if let Some(first) = alerts.first() {
                let text = render::plain_text(&render::alert_html(
                    first,
                    rule.template.as_ref(),
                    &render::Locale::DEFAULT,
                ));
                for want in &scenario.contains {
                    if !text.contains(want.as_str()) {
                        problems.push(format!("the message lacks `{want}`"));
                    }
                }
                if !problems.is_empty() {
                    problems.push(format!("the first alert read:\n{text}"));
                }
            } else if !scenario.contains.is_empty() && scenario.alerts > 0 {
                problems.push("no alert to check the message of".into());
            }
            let passed = problems.is_empty();
            let detail = if passed {
                format!(
                    "{} as expected",
                    crate::i18n::count(alerts.len(), "alert", "alerts")
                )
            } else {
                problems.join("; ")
            };
            out.push(outcome(kind, passed, detail));
        }
    }
    out
}
