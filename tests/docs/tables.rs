//! Links and anchors, and the tables of commands, rules and metrics, and the sample alert.

use super::*;

#[test]
fn links_lead_to_files_and_headings_that_exist() {
    for d in docs() {
        let (_, prose) = split(&d.text);
        for (i, line) in prose.lines().enumerate() {
            let mut rest = line;
            while let Some(at) = rest.find("](") {
                let after = &rest[at + 2..];
                let end = after.find(')').expect("a link closes");
                let target = &after[..end];
                rest = &after[end..];
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let where_ = format!("{}:{}: ({target})", d.rel, i + 1);
                let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
                let path = if file.is_empty() {
                    root().join(&d.rel)
                } else {
                    d.dir().join(file)
                };
                assert!(path.exists(), "{where_}: no such file");
                if !anchor.is_empty() {
                    let text = std::fs::read_to_string(&path).unwrap();
                    assert!(
                        anchors(&text).contains(anchor),
                        "{where_}: no such heading; there are {:?}",
                        anchors(&text)
                    );
                }
            }
        }
    }
}

#[test]
fn the_command_tables_name_every_telegram_command_and_no_other() {
    let names: BTreeSet<&str> = marketbot::telegram::COMMANDS
        .iter()
        .map(|(n, _, _)| *n)
        .collect();
    for (rel, heading) in [
        ("README.md", "## In Telegram"),
        ("docs/telegram.md", "## Commands"),
    ] {
        let (_, prose) = split(&doc(rel).text);
        let mut listed = BTreeSet::new();
        for row in table_after(&prose, heading) {
            for span in cell_spans(&row[0]) {
                let name: String = span
                    .strip_prefix('/')
                    .unwrap_or_else(|| panic!("{rel}: `{span}` is not a command"))
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                assert!(
                    names.contains(name.as_str()),
                    "{rel}: /{name} is not a command"
                );
                listed.insert(name);
            }
        }
        let missing: Vec<&&str> = names.iter().filter(|n| !listed.contains(**n)).collect();
        assert!(missing.is_empty(), "{rel} does not list {missing:?}");
    }
}

#[test]
fn the_personal_alert_examples_are_understood() {
    let limits = marketbot::personal::Limits::default();
    let (blocks, _) = split(&doc("docs/telegram.md").text);
    let mut checked = 0;
    for b in blocks.iter().filter(|b| b.lang == "text") {
        for line in b.body.lines() {
            let example = line.split("  ").next().unwrap_or("").trim();
            let spec = if let Some(spec) = example.strip_prefix("/alert ") {
                spec.to_string()
            } else if let Some(option) = example.strip_prefix("… ") {
                format!("NVDA drop 3% {option}")
            } else {
                continue;
            };
            marketbot::personal::parse(&spec, &limits)
                .unwrap_or_else(|e| panic!("docs/telegram.md: `{example}`: {e:?}"));
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} examples found");
}

#[test]
fn the_shipped_rules_table_lists_every_shipped_rule_and_its_default() {
    let (files, lexicons, problems) = marketbot::rules::read_dir(&root().join("rules"));
    assert!(problems.is_empty(), "{problems:?}");
    let set = marketbot::rules::compile(files, lexicons).expect("the shipped rules compile");
    let shipped: BTreeMap<String, bool> = set
        .rules()
        .iter()
        .map(|r| (r.id.clone(), r.default))
        .collect();
    let (_, prose) = split(&doc("docs/rules.md").text);
    let listed: BTreeMap<String, bool> = table_after(&prose, "## The shipped rules")
        .into_iter()
        .map(|row| (cell_spans(&row[0]).remove(0), row[2] == "yes"))
        .collect();
    assert_eq!(listed, shipped);
}

#[test]
fn metrics_are_named_by_prometheus_conventions_and_all_listed() {
    let text = doc("docs/operations.md").text;
    let (_, prose) = split(&text);
    let rows = table_after(&prose, "## Metrics");
    assert!(
        rows.len() >= 30,
        "the metrics table has {} rows",
        rows.len()
    );
    let well_formed = |name: &str| {
        !name.is_empty()
            && !name.ends_with('_')
            && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
    };
    let mut listed = BTreeSet::new();
    for row in &rows {
        let name = cell_spans(&row[0]).remove(0);
        let kind = row[1].as_str();
        assert!(
            name.strip_prefix("marketbot_").is_some_and(well_formed),
            "`{name}`: not marketbot_[a-z_]+"
        );
        match kind {
            "counter" => assert!(name.ends_with("_total"), "counter `{name}` without _total"),
            "gauge" | "histogram" => {
                assert!(!name.ends_with("_total"), "{kind} `{name}` ends in _total")
            }
            other => panic!("`{name}`: unknown type {other}"),
        }
        if kind == "histogram" {
            assert!(
                name.ends_with("_seconds") || name.ends_with("_bytes"),
                "histogram `{name}` without a base unit"
            );
        }
        for label in cell_spans(&row[2]) {
            assert!(well_formed(&label), "`{name}`: label `{label}`");
            assert!(
                ![
                    "chat", "chat_id", "user", "user_id", "text", "title", "link"
                ]
                .contains(&label.as_str()),
                "`{name}`: label `{label}` is unbounded"
            );
        }
        assert!(listed.insert(name.clone()), "`{name}` is listed twice");
    }
    // Every metric the docs name anywhere (the alerting rules too) is in the table.
    for d in docs() {
        let mut rest = d.text.as_str();
        while let Some(at) = rest.find("marketbot_") {
            let len = rest[at..]
                .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
                .unwrap_or(rest.len() - at);
            let name = &rest[at..at + len];
            rest = &rest[at + len..];
            let base = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s))
                .unwrap_or(name);
            assert!(
                listed.contains(base),
                "{}: `{name}` is not in the metrics table",
                d.rel
            );
        }
    }
}

#[test]
fn the_sample_alert_is_the_one_the_seed_story_gives() {
    let out = Command::new(env!("CARGO_BIN_EXE_marketbot"))
        .args([
            "replay",
            "--rules",
            "rules",
            "--headlines",
            "examples/seed-week/headlines.jsonl",
            "--quotes",
            "examples/seed-week/quotes.csv",
            "--format",
            "jsonl",
        ])
        .current_dir(root())
        .output()
        .expect("marketbot runs");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut alerts: Vec<marketbot::engine::Alert> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("an alert"))
        .collect();
    assert_eq!(alerts.len(), 1, "the seed week gives one alert");
    // As first sent: the later copy is edited in afterwards.
    let mut alert = alerts.remove(0);
    alert.also.clear();
    let html = marketbot::delivery::render::alert_html(
        &alert,
        None,
        &marketbot::delivery::render::Locale::DEFAULT,
    );
    let expected = marketbot::delivery::render::plain_text(&html);
    let (blocks, _) = split(&doc("README.md").text);
    let sample = &blocks.first().expect("the sample alert").body;
    assert_eq!(sample.trim_end(), expected.trim_end());
}

#[test]
fn the_concept_table_lists_every_shipped_concept_with_its_description() {
    let text = std::fs::read_to_string(root().join("rules/lexicons/concepts.toml")).unwrap();
    let file: toml::Table = toml::from_str(&text).expect("concepts.toml is TOML");
    let shipped: BTreeMap<String, String> = file["concept"]
        .as_table()
        .expect("[concept.*] entries")
        .iter()
        .map(|(name, c)| {
            let description = c["description"].as_str().expect("a description");
            (format!("@{name}"), description.to_string())
        })
        .collect();
    let (_, prose) = split(&doc("docs/rules.md").text);
    let listed: BTreeMap<String, String> = table_after(&prose, "## The shipped concepts")
        .into_iter()
        .map(|row| (cell_spans(&row[0]).remove(0), row[1].clone()))
        .collect();
    assert_eq!(listed, shipped);
}
