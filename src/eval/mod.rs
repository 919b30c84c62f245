//! `marketbot eval`: how well rules' text parts find the stories they are written for,
//! scored against headlines labelled by hand — true and false positives and negatives,
//! precision, recall and F1 per rule, and every miss and false alarm with its evidence.
//!
//! Pure: a labelled set and a compiled rule set in, a [`Report`] out; two reports on the same
//! set make a [`Comparison`] (what a change to the rules did), and a second, independent
//! labelling of the set makes an [`Agreement`] (how far the labels themselves can be trusted).
//! The text part of a rule "holds" for a headline when it is true or waits only for the price
//! part (as `match` shows it): the price part is not the labeller's business.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::rules::{RuleSet, Tri};

mod agreement;
mod compare;
mod labelled;
pub use agreement::{Agreement, Reading, Table, parse_readings};
pub use compare::{Change, Comparison};
pub use labelled::{LabelError, Labelled, Split, Summary, parse};

/// Counts of one rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Expected and held.
    pub true_positives: usize,
    /// Held, not expected.
    pub false_positives: usize,
    /// Expected, did not hold.
    pub false_negatives: usize,
    /// Neither.
    pub true_negatives: usize,
}

impl Counts {
    /// Of what held, the share that was expected (1 when nothing held).
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// Of what was expected, the share that held (1 when nothing was expected).
    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    /// The harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// Where precision lies with 95 % confidence, given how few headlines it rests on
    /// (Wilson's score interval): `(0, 1)` when nothing held.
    pub fn precision_interval(&self) -> (f64, f64) {
        wilson(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// Where recall lies with 95 % confidence (Wilson's score interval): `(0, 1)` when
    /// nothing was expected.
    pub fn recall_interval(&self) -> (f64, f64) {
        wilson(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    /// The counts and the figures made of them, as one JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "false_negatives": self.false_negatives,
            "true_negatives": self.true_negatives,
            "precision": self.precision(),
            "precision_interval": self.precision_interval(),
            "recall": self.recall(),
            "recall_interval": self.recall_interval(),
            "f1": self.f1(),
        })
    }

    /// Headlines scored.
    pub fn headlines(&self) -> usize {
        self.true_positives + self.false_positives + self.false_negatives + self.true_negatives
    }
}

/// Wilson's score interval at 95 %: unlike `p ± 1.96·σ` it stays within 0–1 and does not
/// shrink to a point at 0 or 1, which matters for rules scored on a few dozen stories.
fn wilson(part: usize, whole: usize) -> (f64, f64) {
    if whole == 0 {
        return (0.0, 1.0);
    }
    const Z: f64 = 1.959_963_984_540_054;
    let (n, p) = (whole as f64, part as f64 / whole as f64);
    let z2 = Z * Z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// `0.67 (0.21–0.94)`: a figure and its interval, two decimals each.
fn with_interval(value: f64, (low, high): (f64, f64)) -> String {
    format!("{value:.2} ({low:.2}–{high:.2})")
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

/// Why a rule's text part held or not on one headline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Case {
    /// `miss` (expected, did not hold) or `false_alarm` (held, not expected).
    pub kind: &'static str,
    /// The rule.
    pub rule: String,
    /// The headline's title.
    pub title: String,
    /// Its link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Text selections that held.
    pub held: Vec<String>,
    /// Text selections that did not.
    pub failed: Vec<String>,
    /// The words that made selections hold: `selection: text`.
    pub matched: Vec<String>,
}

/// The scores of every rule evaluated, and the cases behind the errors.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// What the scored set holds.
    pub summary: Summary,
    /// Per rule id.
    pub rules: BTreeMap<String, Counts>,
    /// Misses and false alarms, in input order.
    pub cases: Vec<Case>,
}

impl Report {
    /// The rules below `min_recall` or `min_precision`, with the figure that fails. With a
    /// floor, a rule none of whose headlines is its story fails too: there is nothing to
    /// judge, and an empty or broken set must not pass for a perfect one.
    pub fn below(&self, min_recall: Option<f64>, min_precision: Option<f64>) -> Vec<String> {
        let mut out = Vec::new();
        for (rule, c) in &self.rules {
            if (min_recall.is_some() || min_precision.is_some())
                && c.true_positives + c.false_negatives == 0
            {
                out.push(format!(
                    "{rule}: no headline is its story ({} scored): nothing to judge",
                    c.headlines()
                ));
                continue;
            }
            if let Some(floor) = min_recall
                && c.recall() < floor
            {
                out.push(format!("{rule}: recall {:.3} < {floor}", c.recall()));
            }
            if let Some(floor) = min_precision
                && c.precision() < floor
            {
                out.push(format!("{rule}: precision {:.3} < {floor}", c.precision()));
            }
        }
        out
    }
}

impl Report {
    /// One JSON object per scored rule, then one per case.
    pub fn write_jsonl(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let scores = self.rules.iter().map(|(rule, c)| {
            let mut line = c.to_json();
            line["rule"] = rule.as_str().into();
            line["headlines"] = c.headlines().into();
            line
        });
        write_json_lines(out, scores, &self.cases)
    }

    /// A Markdown table of the scored rules (headlines, how many are the rule's story,
    /// precision, recall, each with its 95 % interval), after one line on what the set holds:
    /// for README and QUALITY.md.
    pub fn write_markdown(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        self.summary.write_markdown_line(out)?;
        writeln!(
            out,
            "| rule | headlines | its story | precision (95 % interval) | recall (95 % interval) |"
        )?;
        writeln!(out, "|---|---:|---:|---:|---:|")?;
        for (rule, c) in &self.rules {
            writeln!(
                out,
                "| `{rule}` | {} | {} | {} | {} |",
                c.headlines(),
                c.true_positives + c.false_negatives,
                with_interval(c.precision(), c.precision_interval()),
                with_interval(c.recall(), c.recall_interval())
            )?;
        }
        Ok(())
    }

    /// A table of the scored rules, then each case with its evidence.
    pub fn write_text(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        self.summary.write_text_line(out)?;
        writeln!(
            out,
            "{:<36} {:>5} {:>4} {:>4} {:>4} {:>4} {:>9} {:>11} {:>6} {:>11} {:>5}",
            "rule", "lines", "tp", "fp", "fn", "tn", "precision", "95 %", "recall", "95 %", "f1"
        )?;
        let range = |(low, high): (f64, f64)| format!("{low:.2}–{high:.2}");
        for (rule, c) in &self.rules {
            writeln!(
                out,
                "{rule:<36} {:>5} {:>4} {:>4} {:>4} {:>4} {:>9.3} {:>11} {:>6.3} {:>11} {:>5.3}",
                c.headlines(),
                c.true_positives,
                c.false_positives,
                c.false_negatives,
                c.true_negatives,
                c.precision(),
                range(c.precision_interval()),
                c.recall(),
                range(c.recall_interval()),
                c.f1()
            )?;
        }
        for case in &self.cases {
            let kind = if case.kind == "miss" {
                "MISS"
            } else {
                "FALSE ALARM"
            };
            case.write_text(out, kind)?;
        }
        Ok(())
    }
}

/// JSON Lines: the per-rule objects, then each item serialized.
fn write_json_lines<T: Serialize>(
    out: &mut impl std::io::Write,
    scores: impl Iterator<Item = serde_json::Value>,
    items: &[T],
) -> std::io::Result<()> {
    for line in scores {
        writeln!(out, "{line}")?;
    }
    for item in items {
        writeln!(out, "{}", serde_json::to_string(item)?)?;
    }
    Ok(())
}

impl Summary {
    /// `N headlines: E English, G German; H hard negatives.` and a blank line: what a
    /// Markdown table is about.
    fn write_markdown_line(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        writeln!(
            out,
            "{} headlines: {} English, {} German; {} hard negatives.\n",
            self.headlines, self.english, self.german, self.hard_negatives
        )
    }

    /// The same for a text table: `N headlines (E English, G German), H hard negatives`.
    fn write_text_line(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        writeln!(
            out,
            "{} headlines ({} English, {} German), {} hard negatives\n",
            self.headlines, self.english, self.german, self.hard_negatives
        )
    }
}

impl Case {
    /// `KIND rule: title`, then its link and evidence, one per line.
    fn write_text(&self, out: &mut impl std::io::Write, kind: &str) -> std::io::Result<()> {
        let list = |items: &[String]| {
            if items.is_empty() {
                "(none)".to_string()
            } else {
                items.join(", ")
            }
        };
        writeln!(out, "\n{kind} {}: {}", self.rule, self.title)?;
        if let Some(link) = &self.link {
            writeln!(out, "  link: {link}")?;
        }
        writeln!(out, "  held: {}", list(&self.held))?;
        writeln!(out, "  failed: {}", list(&self.failed))?;
        writeln!(out, "  matched: {}", list(&self.matched))
    }
}

/// Why an evaluation could not run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// A rule named (by `expect` or asked for) is not in the rule set.
    #[error("no rule `{0}` in the rules (named by `expect` or --rule)")]
    UnknownRule(String),
}

/// Scores the rules in `only` on `items` or, when it is empty, every rule some `expect` names.
pub fn evaluate(set: &RuleSet, items: &[Labelled], only: &[String]) -> Result<Report, EvalError> {
    let scored: BTreeSet<&str> = if only.is_empty() {
        items
            .iter()
            .flat_map(|l| l.expect.iter().map(String::as_str))
            .collect()
    } else {
        only.iter().map(String::as_str).collect()
    };
    let mut indices = Vec::new();
    for id in &scored {
        let index = set
            .rules()
            .iter()
            .position(|r| r.id == *id)
            .ok_or_else(|| EvalError::UnknownRule(id.to_string()))?;
        indices.push((*id, index));
    }
    let mut report = Report {
        summary: Summary::of(items),
        rules: scored
            .iter()
            .map(|id| (id.to_string(), Counts::default()))
            .collect(),
        cases: Vec::new(),
    };
    for item in items {
        let h = &item.headline;
        let lang = h.lang.as_deref().and_then(crate::text::Lang::from_code);
        let prepared = set.prepare(&h.title, h.summary.as_deref(), &h.source, lang);
        for &(id, index) in &indices {
            let judged = set.explain(index, &prepared);
            let held = judged.verdict != Tri::False;
            let expected = item.expect.iter().any(|e| e == id);
            let counts = report
                .rules
                .get_mut(id)
                .expect("every scored rule has counts");
            match (expected, held) {
                (true, true) => counts.true_positives += 1,
                (false, false) => counts.true_negatives += 1,
                (true, false) | (false, true) => {
                    if expected {
                        counts.false_negatives += 1;
                    } else {
                        counts.false_positives += 1;
                    }
                    let rule = &set.rules()[index];
                    let (mut held_by, mut failed) = (Vec::new(), Vec::new());
                    for (selection, value) in rule.selections.iter().zip(&judged.values) {
                        match value {
                            Tri::True => held_by.push(selection.name.clone()),
                            Tri::False => failed.push(selection.name.clone()),
                            // The price part: not judged here.
                            Tri::Unknown => {}
                        }
                    }
                    report.cases.push(Case {
                        kind: if expected { "miss" } else { "false_alarm" },
                        rule: id.to_string(),
                        title: h.title.clone(),
                        link: h.link.clone(),
                        held: held_by,
                        failed,
                        matched: judged
                            .matched
                            .iter()
                            .map(|m| format!("{}: {}", m.selection, m.text))
                            .collect(),
                    });
                }
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_denominators_count_as_perfect_and_f1_is_harmonic() {
        let none = Counts::default();
        assert_eq!((none.precision(), none.recall()), (1.0, 1.0));
        let c = Counts {
            true_positives: 3,
            false_positives: 1,
            false_negatives: 3,
            true_negatives: 5,
        };
        assert_eq!(c.precision(), 0.75);
        assert_eq!(c.recall(), 0.5);
        assert!((c.f1() - 0.6).abs() < 1e-12);
        assert_eq!(c.headlines(), 12);
        let zero = Counts {
            false_positives: 1,
            false_negatives: 1,
            ..Counts::default()
        };
        assert_eq!(zero.f1(), 0.0);
    }

    #[test]
    fn intervals_are_wilsons_and_widest_on_few_headlines() {
        let round = |(low, high): (f64, f64)| ((low * 1000.0).round(), (high * 1000.0).round());
        // Hand-worked: 8 of 10 gives 0.490–0.943; 2 of 3 gives 0.208–0.939.
        assert_eq!(round(wilson(8, 10)), (490.0, 943.0));
        assert_eq!(round(wilson(2, 3)), (208.0, 939.0));
        // All of them still leaves room below 1, nothing leaves room above 0; no headline at
        // all says nothing.
        assert_eq!(round(wilson(10, 10)), (722.0, 1000.0));
        assert_eq!(round(wilson(0, 10)), (0.0, 278.0));
        assert_eq!(wilson(0, 0), (0.0, 1.0));
        // The same share on ten times the headlines: a narrower interval around it.
        let (few, many) = (wilson(8, 10), wilson(80, 100));
        assert!(many.0 > few.0 && many.1 < few.1 && many.0 < 0.8 && many.1 > 0.8);
        let c = Counts {
            true_positives: 8,
            false_positives: 0,
            false_negatives: 2,
            true_negatives: 5,
        };
        assert_eq!(c.recall_interval(), wilson(8, 10));
        assert_eq!(c.precision_interval(), wilson(8, 8));
        assert_eq!(
            with_interval(c.recall(), c.recall_interval()),
            "0.80 (0.49–0.94)"
        );
    }
}
