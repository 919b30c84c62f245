//! Two readings of the same headlines side by side: how often two careful readers, labelling
//! independently, agree on which rules should fire. Where readers disagree, no rule can be
//! scored exactly: the agreement bounds how much precision and recall can be trusted.
//!
//! Per rule: the 2 × 2 table of the two readings, the share of headlines they agree on, and
//! Cohen's κ (agreement beyond what two readers labelling at their own rates would reach by
//! chance).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{LabelError, Labelled};

/// One headline as a second reader labelled it: matched to the first reading by title and
/// link; other fields (the `replay` ones) may be there and are not read.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Reading {
    /// The headline, exactly as in the first reading.
    pub title: String,
    /// Its link, exactly as in the first reading.
    #[serde(default)]
    pub link: Option<String>,
    /// The rules the second reader says should fire.
    pub expect: Vec<String>,
}

/// Parses a second reading (JSON Lines; blank lines and `//` comments skipped); bad lines —
/// not JSON, or not UTF-8 text — are named and the rest kept.
pub fn parse_readings(bytes: impl AsRef<[u8]>) -> (Vec<Reading>, Vec<LabelError>) {
    super::labelled::json_lines(bytes.as_ref(), |_: &Reading| None)
}

/// How two readings labelled one rule over the headlines both hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Table {
    /// Both say the rule should fire.
    pub both: usize,
    /// Only the first reading (the labelled set) says so.
    pub first_only: usize,
    /// Only the second reading says so.
    pub second_only: usize,
    /// Neither says so.
    pub neither: usize,
}

impl Table {
    /// Headlines counted.
    pub fn headlines(&self) -> usize {
        self.both + self.first_only + self.second_only + self.neither
    }

    /// Headlines the readings disagree on.
    pub fn disagreements(&self) -> usize {
        self.first_only + self.second_only
    }

    /// The share of headlines the two readings agree on; `None` when there are none.
    pub fn observed(&self) -> Option<f64> {
        let n = self.headlines();
        (n > 0).then(|| (self.both + self.neither) as f64 / n as f64)
    }

    /// Cohen's κ: `(observed − chance) / (1 − chance)`, where chance is the agreement two
    /// readers saying "fires" at their own rates would reach at random. `None` when there are
    /// no headlines, or when chance agreement is already complete (both readings give every
    /// headline one and the same answer): κ is undefined there.
    pub fn kappa(&self) -> Option<f64> {
        let observed = self.observed()?;
        let n = self.headlines() as f64;
        let first_yes = (self.both + self.first_only) as f64 / n;
        let second_yes = (self.both + self.second_only) as f64 / n;
        let chance = first_yes * second_yes + (1.0 - first_yes) * (1.0 - second_yes);
        if chance >= 1.0 {
            return None;
        }
        Some((observed - chance) / (1.0 - chance))
    }

    fn to_json(self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).expect("plain counts serialise");
        v["observed"] = self.observed().into();
        v["kappa"] = self.kappa().into();
        v
    }
}

/// Two readings compared rule by rule.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Agreement {
    /// Headlines of the first reading the second one also labelled.
    pub shared: usize,
    /// Headlines of the first reading the second one does not hold.
    pub unmatched: usize,
    /// Headlines of the second reading the first one does not hold, when counted (a caller
    /// that kept only part of the first reading, by a filter the second cannot follow, says
    /// `None`).
    pub second_unmatched: Option<usize>,
    /// Lines of the second reading that name a headline it already labelled: the first line
    /// for a headline counts, these do not.
    pub repeated: usize,
    /// Rule ids the second reading uses that are not among the rules compared (a rule the
    /// first reading never expects, or a misspelt id): their labels are not counted.
    pub uncompared: BTreeSet<String>,
    /// Per rule id.
    pub rules: BTreeMap<String, Table>,
}

impl Agreement {
    /// Compares `first` (the labelled set) with `second` for each of `rules`, over the
    /// headlines both hold. A headline the second reading holds twice counts with its first
    /// line.
    pub fn of<'a>(
        first: &[Labelled],
        second: &[Reading],
        rules: impl IntoIterator<Item = &'a str>,
    ) -> Agreement {
        let mut agreement = Agreement {
            rules: rules
                .into_iter()
                .map(|r| (r.to_string(), Table::default()))
                .collect(),
            ..Agreement::default()
        };
        let mut by_key: HashMap<(&str, Option<&str>), &Reading> = HashMap::new();
        for r in second {
            match by_key.entry((r.title.as_str(), r.link.as_deref())) {
                std::collections::hash_map::Entry::Occupied(_) => agreement.repeated += 1,
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(r);
                }
            }
            for rule in &r.expect {
                if !agreement.rules.contains_key(rule) {
                    agreement.uncompared.insert(rule.clone());
                }
            }
        }
        let mut found = HashSet::new();
        for item in first {
            let h = &item.headline;
            let key = (h.title.as_str(), h.link.as_deref());
            let Some(reading) = by_key.get(&key) else {
                agreement.unmatched += 1;
                continue;
            };
            found.insert(key);
            agreement.shared += 1;
            for (rule, table) in &mut agreement.rules {
                let said = |expect: &[String]| expect.iter().any(|e| e == rule);
                match (said(&item.expect), said(&reading.expect)) {
                    (true, true) => table.both += 1,
                    (true, false) => table.first_only += 1,
                    (false, true) => table.second_only += 1,
                    (false, false) => table.neither += 1,
                }
            }
        }
        agreement.second_unmatched = Some(by_key.len() - found.len());
        agreement
    }

    /// One JSON object per rule: `{"kind": "agreement", "rule", "agreement": {both,
    /// first_only, second_only, neither, observed, kappa}, "shared", "unmatched",
    /// "second_unmatched"}`.
    pub fn write_jsonl(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        for (rule, t) in &self.rules {
            let line = serde_json::json!({
                "kind": "agreement",
                "rule": rule,
                "agreement": t.to_json(),
                "shared": self.shared,
                "unmatched": self.unmatched,
                "second_unmatched": self.second_unmatched,
            });
            writeln!(out, "{line}")?;
        }
        Ok(())
    }

    /// A Markdown table after a blank line: per rule, the headlines both readings say are its
    /// story, those only one says are, the share agreed and κ.
    pub fn write_markdown(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        writeln!(out, "\n{}.\n", self.heading())?;
        writeln!(
            out,
            "| rule | its story: both | first only | second only | agreed | Cohen's κ |"
        )?;
        writeln!(out, "|---|---:|---:|---:|---:|---:|")?;
        for (rule, t) in &self.rules {
            writeln!(
                out,
                "| `{rule}` | {} | {} | {} | {} | {} |",
                t.both,
                t.first_only,
                t.second_only,
                percent(t.observed()),
                kappa_words(t.kappa())
            )?;
        }
        Ok(())
    }

    /// A table of the same figures for a terminal.
    pub fn write_text(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        writeln!(out, "\n{}:", self.heading())?;
        writeln!(
            out,
            "{:<36} {:>5} {:>10} {:>11} {:>7} {:>7} {:>6}",
            "rule", "both", "first only", "second only", "neither", "agreed", "kappa"
        )?;
        for (rule, t) in &self.rules {
            writeln!(
                out,
                "{rule:<36} {:>5} {:>10} {:>11} {:>7} {:>7} {:>6}",
                t.both,
                t.first_only,
                t.second_only,
                t.neither,
                percent(t.observed()),
                kappa_words(t.kappa())
            )?;
        }
        Ok(())
    }

    /// `Two readings of N headlines`, and how many only one of them holds.
    fn heading(&self) -> String {
        let mut parts = Vec::new();
        if self.unmatched > 0 {
            parts.push(format!("{} more only in the first", self.unmatched));
        }
        if let Some(n) = self.second_unmatched.filter(|&n| n > 0) {
            parts.push(format!("{n} only in the second"));
        }
        let shared = self.shared;
        match parts.is_empty() {
            true => format!("Two readings of {shared} headlines"),
            false => format!("Two readings of {shared} headlines ({})", parts.join(", ")),
        }
    }
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "–".to_string(), |s| format!("{:.1} %", 100.0 * s))
}

fn kappa_words(kappa: Option<f64>) -> String {
    kappa.map_or_else(|| "–".to_string(), |k| format!("{k:.3}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labelled(title: &str, expect: &[&str]) -> Labelled {
        serde_json::from_value(serde_json::json!({
            "published": "2026-02-03T00:00:00Z",
            "title": title,
            "link": format!("https://example.com/{title}"),
            "expect": expect,
        }))
        .unwrap()
    }

    fn reading(title: &str, expect: &[&str]) -> Reading {
        Reading {
            title: title.to_string(),
            link: Some(format!("https://example.com/{title}")),
            expect: expect.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn the_table_and_kappa_are_the_hand_count() {
        // Ten headlines. Rule a: both 4, first only 1, second only 1, neither 4.
        // Observed 8/10; first says yes 5/10, second 5/10; chance 0.5·0.5 + 0.5·0.5 = 0.5;
        // κ = (0.8 − 0.5) / 0.5 = 0.6.
        let plan: [(&[&str], &[&str]); 10] = [
            (&["a"], &["a"]),
            (&["a"], &["a"]),
            (&["a"], &["a"]),
            (&["a"], &["a"]),
            (&["a"], &[]),
            (&[], &["a"]),
            (&[], &[]),
            (&[], &[]),
            (&[], &[]),
            (&[], &[]),
        ];
        let first: Vec<_> = plan
            .iter()
            .enumerate()
            .map(|(i, (f, _))| labelled(&format!("h{i}"), f))
            .collect();
        let second: Vec<_> = plan
            .iter()
            .enumerate()
            .map(|(i, (_, s))| reading(&format!("h{i}"), s))
            .collect();
        let a = Agreement::of(&first, &second, ["a"]);
        let t = a.rules["a"];
        assert_eq!(
            (t.both, t.first_only, t.second_only, t.neither),
            (4, 1, 1, 4)
        );
        assert_eq!(t.disagreements(), 2);
        assert!((t.observed().unwrap() - 0.8).abs() < 1e-12);
        assert!((t.kappa().unwrap() - 0.6).abs() < 1e-12);
        assert_eq!(
            (a.shared, a.unmatched, a.second_unmatched),
            (10, 0, Some(0))
        );
    }

    #[test]
    fn headlines_match_by_title_and_link_and_the_rest_are_counted_apart() {
        let first = [labelled("one", &["a"]), labelled("two", &[])];
        let mut other_link = reading("two", &["a"]);
        other_link.link = Some("https://example.com/elsewhere".into());
        let second = [reading("one", &["a"]), reading("one", &[]), other_link];
        let a = Agreement::of(&first, &second, ["a"]);
        assert_eq!((a.shared, a.unmatched), (1, 1));
        // "two" with another link is a headline of the second reading alone.
        assert_eq!(a.second_unmatched, Some(1));
        // The repeated line does not count: the first one for a headline does.
        assert_eq!(a.rules["a"].both, 1);
        assert_eq!(a.rules["a"].headlines(), 1);
        assert_eq!(a.repeated, 1);
        assert!(a.uncompared.is_empty());
    }

    #[test]
    fn rules_only_the_second_reading_names_are_listed_not_counted() {
        let first = [labelled("one", &["a"]), labelled("two", &[])];
        let second = [reading("one", &["a", "b"]), reading("two", &["c"])];
        let a = Agreement::of(&first, &second, ["a"]);
        assert_eq!(
            a.uncompared.iter().map(String::as_str).collect::<Vec<_>>(),
            ["b", "c"]
        );
        assert_eq!(a.rules["a"].both, 1);
        assert_eq!(a.rules["a"].neither, 1);
        assert_eq!(a.repeated, 0);
    }

    #[test]
    fn kappa_is_undefined_when_every_answer_is_the_same() {
        let t = Table {
            neither: 5,
            ..Table::default()
        };
        assert_eq!(t.kappa(), None);
        assert_eq!(t.observed(), Some(1.0));
        // No headline at all: nothing agreed, nothing to say.
        assert_eq!(Table::default().observed(), None);
        assert_eq!(Table::default().kappa(), None);
        // Perfect agreement on a rule both readings use: κ = 1.
        let t = Table {
            both: 2,
            neither: 3,
            ..Table::default()
        };
        assert_eq!(t.kappa(), Some(1.0));
    }

    #[test]
    fn bad_lines_are_named_and_the_rest_read() {
        let (r, e) = parse_readings(
            "// a comment\n{\"title\":\"x\",\"expect\":[]}\n\nnot json\n{\"title\":\"y\",\"link\":\"l\",\"expect\":[\"a\"],\"lang\":\"de\"}\n",
        );
        assert_eq!(r.len(), 2);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].line, 4);
        assert_eq!(r[1].link.as_deref(), Some("l"));
    }
}
