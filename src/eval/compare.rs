//! Two [`Report`]s on the same headlines — the rules before a change and after it — side by
//! side: each rule's figures then and now, and every headline whose verdict changed. The
//! question a rule author asks after every edit: what did this fix, and what did it break?

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::{Case, Counts, Report, Summary};
use crate::i18n::count;

/// A headline whose verdict changed between the baseline and the rules.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// `new` (an error the rules make and the baseline did not) or `fixed` (an error of the
    /// baseline the rules no longer make).
    pub change: &'static str,
    /// The error with its evidence: the rules' own for a new one, the baseline's for a fixed
    /// one.
    #[serde(flatten)]
    pub case: Case,
}

/// The same labelled set scored with a baseline and with the rules.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comparison {
    /// What the scored set holds.
    pub summary: Summary,
    /// Per rule id: the baseline's counts, then the rules'.
    pub rules: BTreeMap<String, (Counts, Counts)>,
    /// New errors first, then fixed ones, each in the set's order.
    pub changes: Vec<Change>,
}

impl Comparison {
    /// `baseline` and `now` must score the same headlines (the caller evaluates both on one
    /// set); a rule the baseline did not score counts as all zero there.
    pub fn of(baseline: &Report, now: &Report) -> Comparison {
        let key = |c: &Case| (c.kind, c.rule.clone(), c.title.clone(), c.link.clone());
        let before: HashSet<_> = baseline.cases.iter().map(key).collect();
        let after: HashSet<_> = now.cases.iter().map(key).collect();
        let changed = |cases: &[Case], other: &HashSet<_>, change| {
            cases
                .iter()
                .filter(|c| !other.contains(&key(c)))
                .map(|c| Change {
                    change,
                    case: c.clone(),
                })
                .collect::<Vec<_>>()
        };
        let mut changes = changed(&now.cases, &before, "new");
        changes.extend(changed(&baseline.cases, &after, "fixed"));
        Comparison {
            summary: now.summary.clone(),
            rules: now
                .rules
                .iter()
                .map(|(id, c)| {
                    let then = baseline.rules.get(id).copied().unwrap_or_default();
                    (id.clone(), (then, *c))
                })
                .collect(),
            changes,
        }
    }

    /// One JSON object per scored rule (`before`, `now`: counts and figures), then one per
    /// change (`change` and the case's fields).
    pub fn write_jsonl(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let scores = self.rules.iter().map(|(rule, (then, now))| {
            serde_json::json!({
                "rule": rule,
                "before": then.to_json(),
                "now": now.to_json(),
            })
        });
        super::write_json_lines(out, scores, &self.changes)
    }

    /// The figures before and now as a Markdown table, and how many verdicts changed.
    pub fn write_markdown(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        self.summary.write_markdown_line(out)?;
        writeln!(
            out,
            "| rule | its story | precision before | precision now | recall before | recall now |"
        )?;
        writeln!(out, "|---|---:|---:|---:|---:|---:|")?;
        for (rule, (then, now)) in &self.rules {
            writeln!(
                out,
                "| `{rule}` | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
                now.true_positives + now.false_negatives,
                then.precision(),
                now.precision(),
                then.recall(),
                now.recall()
            )?;
        }
        let (new, fixed) = self.counts();
        writeln!(
            out,
            "\n{}, {fixed} fixed.",
            count(new, "new error", "new errors")
        )
    }

    /// The figures before and now, then each changed verdict with its evidence.
    pub fn write_text(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        self.summary.write_text_line(out)?;
        writeln!(
            out,
            "{:<36} {:>5} {:>16} {:>16}",
            "rule", "story", "precision", "recall"
        )?;
        for (rule, (then, now)) in &self.rules {
            writeln!(
                out,
                "{rule:<36} {:>5} {:>16} {:>16}",
                now.true_positives + now.false_negatives,
                format!("{:.3} → {:.3}", then.precision(), now.precision()),
                format!("{:.3} → {:.3}", then.recall(), now.recall()),
            )?;
        }
        let (new, fixed) = self.counts();
        writeln!(
            out,
            "\n{}, {fixed} fixed",
            count(new, "new error", "new errors")
        )?;
        for change in &self.changes {
            let kind = match (change.change, change.case.kind) {
                ("new", "miss") => "NEW MISS",
                ("new", _) => "NEW FALSE ALARM",
                (_, "miss") => "FIXED MISS",
                _ => "FIXED FALSE ALARM",
            };
            change.case.write_text(out, kind)?;
        }
        Ok(())
    }

    /// New errors, fixed errors.
    fn counts(&self) -> (usize, usize) {
        let new = self.changes.iter().filter(|c| c.change == "new").count();
        (new, self.changes.len() - new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(kind: &'static str, title: &str) -> Case {
        Case {
            kind,
            rule: "r".into(),
            title: title.into(),
            link: None,
            held: vec![],
            failed: vec![],
            matched: vec![],
        }
    }

    fn report(cases: Vec<Case>, counts: Counts) -> Report {
        Report {
            summary: Summary::default(),
            rules: [("r".to_string(), counts)].into(),
            cases,
        }
    }

    #[test]
    fn errors_only_now_are_new_errors_only_before_are_fixed_the_rest_unchanged() {
        let before = report(
            vec![
                case("miss", "a"),
                case("false_alarm", "b"),
                case("miss", "c"),
            ],
            Counts {
                true_positives: 1,
                false_positives: 1,
                false_negatives: 2,
                true_negatives: 1,
            },
        );
        let after = report(
            vec![case("miss", "c"), case("false_alarm", "d")],
            Counts {
                true_positives: 2,
                false_positives: 1,
                false_negatives: 1,
                true_negatives: 1,
            },
        );
        let c = Comparison::of(&before, &after);
        let seen: Vec<(&str, &str, &str)> = c
            .changes
            .iter()
            .map(|ch| (ch.change, ch.case.kind, ch.case.title.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("new", "false_alarm", "d"),
                ("fixed", "miss", "a"),
                ("fixed", "false_alarm", "b")
            ]
        );
        assert_eq!(c.counts(), (1, 2));
        let (then, now) = c.rules["r"];
        assert_eq!((then.recall(), now.recall()), (1.0 / 3.0, 2.0 / 3.0));
        // A rule the baseline did not score starts from nothing.
        let nothing = Report::default();
        let added = Comparison::of(&nothing, &after);
        assert_eq!(added.rules["r"].0, Counts::default());
    }
}
