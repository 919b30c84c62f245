//! `marketbot eval` on a small labelled set whose figures are counted by hand.

use std::process::Command;

const FIXTURE: &str = "tests/eval/labelled.jsonl";
const SEED: &str = "nvda-customer-seeks-alternatives";

fn eval(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_marketbot"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["eval", "--rules", "tests/eval/rules", "--labels", FIXTURE])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A second reading written to a temporary file (kept while the returned directory lives).
fn reading_file(lines: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reading.jsonl");
    std::fs::write(&path, lines).unwrap();
    let path = path.to_str().unwrap().to_string();
    (dir, path)
}

fn lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_figures_are_the_hand_count_and_misses_and_false_alarms_show_their_evidence() {
    // By hand: the Reuters story and its German telling hold (2 true positives); the AMD
    // deal that never says "alternative" is missed (1 false negative); the price report and
    // the iPhone are rightly left alone (2 true negatives); NVIDIA seeking other memory
    // suppliers is a false alarm (1 false positive).
    let (code, stdout, stderr) = eval(&["--format", "jsonl"]);
    assert_eq!(code, 0, "{stderr}");
    let out = lines(&stdout);
    let score = &out[0];
    assert_eq!(score["rule"], SEED);
    assert_eq!(score["headlines"], 6);
    assert_eq!(score["true_positives"], 2);
    assert_eq!(score["false_positives"], 1);
    assert_eq!(score["false_negatives"], 1);
    assert_eq!(score["true_negatives"], 2);
    let third = |k: &str| (score[k].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9;
    assert!(
        third("precision") && third("recall") && third("f1"),
        "{score}"
    );

    let miss = &out[1];
    assert_eq!(miss["kind"], "miss");
    assert!(miss["title"].as_str().unwrap().contains("deal with AMD"));
    assert_eq!(miss["held"], serde_json::json!(["customer"]));
    assert!(
        miss["failed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "alternative")
    );
    let alarm = &out[2];
    assert_eq!(alarm["kind"], "false_alarm");
    assert!(
        alarm["title"]
            .as_str()
            .unwrap()
            .contains("memory suppliers")
    );
    assert!(
        alarm["matched"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "alternative: alternatives")
    );
    assert_eq!(out.len(), 3);

    let (_, text, _) = eval(&["--format", "text"]);
    assert!(
        text.contains("MISS nvda-customer-seeks-alternatives: OpenAI signs"),
        "{text}"
    );
    assert!(text.contains("FALSE ALARM nvda-customer-seeks-alternatives: Nvidia seeks"));
}

#[test]
fn floors_gate_the_exit_code() {
    assert_eq!(
        eval(&["--min-recall", "0.6", "--min-precision", "0.6"]).0,
        0
    );
    let (code, _, stderr) = eval(&["--min-recall", "0.9"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("recall 0.667 < 0.9"), "{stderr}");
    let (code, _, stderr) = eval(&["--min-precision", "1"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("precision 0.667 < 1"), "{stderr}");
    // A rule none of whose headlines is its story has nothing to pass a floor with.
    let (code, _, stderr) = eval(&["--rule", "new-52-week-low", "--min-recall", "0"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("nothing to judge"), "{stderr}");
}

#[test]
fn a_floor_that_is_not_a_share_is_refused_not_passed() {
    // `NaN` compares false with every figure: the rule at 0.667 would pass it. A floor below
    // 0 or above 1 gates nothing or everything.
    for floor in ["NaN", "nan", "-0.5", "1.5", "inf", "80"] {
        for flag in ["--min-recall", "--min-precision"] {
            let arg = format!("{flag}={floor}");
            let (code, stdout, stderr) = eval(&[&arg, "--format", "jsonl"]);
            assert_eq!(code, 2, "{flag} {floor}: {stderr}");
            assert!(stdout.is_empty(), "{flag} {floor}: {stdout}");
            assert!(stderr.contains("from 0 to 1"), "{flag} {floor}: {stderr}");
        }
    }
    assert_eq!(eval(&["--min-recall", "0", "--min-precision", "0"]).0, 0);
}

/// A line that cannot be read — not JSON, or not UTF-8 text (a headline saved as Latin-1) —
/// is named and skipped, and the rest scored; with floors the set is not what it says it is,
/// so the gate fails (exit 1) rather than passing on the lines left.
#[test]
fn an_unreadable_line_fails_the_floors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("set.jsonl");
    let good =
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE)).unwrap();
    let lines = good.iter().filter(|b| **b == b'\n').count();
    let latin1 = b"{\"published\":\"2026-02-03T07:00:00Z\",\"title\":\"Nvidia-Aktie: M\xfcnchen\",\"expect\":[]}\n";
    for bad in [&b"not json\n"[..], &latin1[..]] {
        std::fs::write(&file, [&good[..], bad].concat()).unwrap();
        let run = |floors: &[&str]| {
            Command::new(env!("CARGO_BIN_EXE_marketbot"))
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .args(["eval", "--rules", "tests/eval/rules", "--labels"])
                .arg(&file)
                .args(["--format", "jsonl"])
                .args(floors)
                .output()
                .unwrap()
        };
        // Without floors the good lines are scored and the bad one named.
        let out = run(&[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "skipping {}: line {}: ",
                file.display(),
                lines + 1
            )),
            "{stderr}"
        );
        assert!(!out.stdout.is_empty(), "the good lines are scored");
        // With floors the set is not what it says it is: exit 1.
        let out = run(&["--min-recall", "0.5"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("1 line of"), "{stderr}");
        assert!(stderr.contains("could not be read"), "{stderr}");
    }
    assert!(
        String::from_utf8_lossy(&run_latin1_reading(&good)).contains("not UTF-8 text"),
        "a second reading's unreadable line is named too"
    );
}

/// `eval` with a second reading holding a line in Latin-1: its standard error.
fn run_latin1_reading(labels: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let (set, reading) = (
        dir.path().join("set.jsonl"),
        dir.path().join("reading.jsonl"),
    );
    std::fs::write(&set, labels).unwrap();
    std::fs::write(&reading, b"{\"title\":\"M\xfcnchen\",\"expect\":[]}\n").unwrap();
    Command::new(env!("CARGO_BIN_EXE_marketbot"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "eval",
            "--rules",
            "tests/eval/rules",
            "--format",
            "jsonl",
            "--labels",
        ])
        .arg(&set)
        .arg("--second-reading")
        .arg(&reading)
        .output()
        .unwrap()
        .stderr
}

#[test]
fn the_split_halves_are_stable_and_together_the_whole() {
    let count = |split: &str| {
        let (code, stdout, _) = eval(&["--split", split, "--format", "jsonl"]);
        assert_eq!(code, 0);
        lines(&stdout)
            .iter()
            .find(|l| l["rule"] == SEED)
            .map_or(0, |l| l["headlines"].as_u64().unwrap())
    };
    let (dev, test) = (count("dev"), count("test"));
    assert_eq!(dev + test, 6);
    assert_eq!(count("dev"), dev, "the same half every time");
}

#[test]
fn an_unknown_rule_is_an_error_and_a_named_rule_is_scored() {
    let (code, _, stderr) = eval(&["--rule", "no-such-rule"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no-such-rule"), "{stderr}");
    let scored = |args: &[&str]| -> Vec<String> {
        let (code, stdout, stderr) = eval(&[args, &["--format", "jsonl"]].concat());
        assert_eq!(code, 0, "{stderr}");
        lines(&stdout)
            .iter()
            .filter_map(|l| {
                l.get("headlines")
                    .map(|_| l["rule"].as_str().unwrap().to_string())
            })
            .collect()
    };
    // Without --rule: the rules some `expect` names; with it: only those asked for, named
    // by an `expect` or not.
    assert_eq!(scored(&[]), [SEED]);
    assert_eq!(scored(&["--rule", "new-52-week-low"]), ["new-52-week-low"]);
    assert_eq!(
        scored(&["--rule", SEED, "--rule", "new-52-week-low"]),
        ["new-52-week-low", SEED]
    );
}

#[test]
fn one_language_at_a_time() {
    // German: only the Handelsblatt line (labelled `de`), a true positive.
    let (code, stdout, _) = eval(&["--lang", "de", "--format", "jsonl"]);
    assert_eq!(code, 0);
    let out = lines(&stdout);
    assert_eq!(out[0]["headlines"], 1);
    assert_eq!(out[0]["true_positives"], 1);
    assert_eq!(out.len(), 1, "no misses or false alarms in German");
    let (code, _, stderr) = eval(&["--lang", "fr"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("expected en or de"), "{stderr}");
}

#[test]
fn the_markdown_table_has_the_figures_and_what_the_set_holds() {
    // Three lines were collected for the seed rule's story; the price report and NVIDIA's
    // own search for memory suppliers are not it: two hard negatives.
    let (code, stdout, _) = eval(&["--format", "markdown"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        format!(
            "6 headlines: 5 English, 1 German; 2 hard negatives.\n\n\
             | rule | headlines | its story | precision (95 % interval) | recall (95 % interval) |\n\
             |---|---:|---:|---:|---:|\n\
             | `{SEED}` | 6 | 3 | 0.67 (0.21–0.94) | 0.67 (0.21–0.94) |\n"
        )
    );
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    use std::io::Read;
    use std::process::Stdio;
    // Both print far more than a pipe holds (a price-only rule "holds" on every headline:
    // 966 false alarms); the reader takes a little and goes away, as `| head` does.
    // `eval` takes its labels as `--headlines` too, the way `match` spells it.
    let corpus = ["--rules", "rules", "--headlines", "corpus/headlines.jsonl"];
    for args in [
        &["eval", "--format", "text", "--rule", "new-52-week-low"][..],
        &["match", "--format", "jsonl"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_marketbot"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(args)
            .args(corpus)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        let out = child.wait_with_output().unwrap();
        // `eval` still judges its floors (none here); `match` has nothing more to say.
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_baseline_shows_what_a_change_fixed_and_what_it_broke() {
    // The frozen seed rule, changed: a deal with AMD now counts (fixes the AMD miss),
    // NVIDIA's suppliers are kept out (fixes that false alarm), and "unveils" counts too —
    // which makes the iPhone launch a new false alarm. By hand, now: 3 true positives,
    // 1 false positive, no miss: precision 0.75, recall 1.
    let dir = tempfile::tempdir().unwrap();
    let frozen = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/eval/rules/seed.toml"),
    )
    .unwrap();
    let changed = frozen
        .replace(
            "condition = \"customer and alternative and nvidia and not denial\"",
            "condition = \"customer and ((alternative and nvidia) or amd or launch) and not denial and not suppliers\"",
        )
        + "\n[text.amd]\nany = [\"AMD\"]\n\n[text.launch]\nany = [\"unveils\"]\n\n[text.suppliers]\nany = [\"supplier*\"]\n";
    assert_ne!(changed, frozen);
    std::fs::write(dir.path().join("seed.toml"), changed).unwrap();
    let run = |format: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_marketbot"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["eval", "--rules"])
            .arg(dir.path())
            .args([
                "--baseline",
                "tests/eval/rules",
                "--labels",
                FIXTURE,
                "--format",
                format,
            ])
            .args(["--rule", SEED])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let out = lines(&run("jsonl"));
    assert_eq!(out[0]["rule"], SEED);
    assert_eq!(out[0]["before"]["precision"], 2.0 / 3.0);
    assert_eq!(out[0]["before"]["recall"], 2.0 / 3.0);
    assert_eq!(out[0]["now"]["precision"], 0.75);
    assert_eq!(out[0]["now"]["recall"], 1.0);
    let changes: Vec<(&str, &str, &str)> = out[1..]
        .iter()
        .map(|c| {
            (
                c["change"].as_str().unwrap(),
                c["kind"].as_str().unwrap(),
                c["title"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("new", "false_alarm", "Apple unveils new iPhone lineup"),
            (
                "fixed",
                "miss",
                "OpenAI signs multibillion-dollar deal with AMD for AI processors"
            ),
            (
                "fixed",
                "false_alarm",
                "Nvidia seeks alternatives to its memory suppliers as OpenAI demand grows"
            ),
        ]
    );
    // The new false alarm with the evidence of the rules that make it.
    let text = run("text");
    assert!(text.contains("0.667 → 0.750"), "{text}");
    assert!(text.contains("1 new error, 2 fixed"), "{text}");
    assert!(
        text.contains(
            "NEW FALSE ALARM nvda-customer-seeks-alternatives: Apple unveils new iPhone lineup"
        ),
        "{text}"
    );
    assert!(
        text.contains("matched: customer: Apple, launch: unveils"),
        "{text}"
    );
    let markdown = run("markdown");
    assert!(
        markdown.contains(&format!("| `{SEED}` | 3 | 0.67 | 0.75 | 0.67 | 1.00 |")),
        "{markdown}"
    );
}

#[test]
fn a_second_reading_shows_how_far_the_labels_agree() {
    // By hand over the five headlines both readings hold (the iPhone is only in the first, the
    // TPU deal only in the second):
    // both say "story" for 2, only the first for the AMD deal, only the second for NVIDIA's
    // memory suppliers, neither for the price report. Agreed 3 of 5 = 0.6; each reading says
    // "story" for 3 of 5, so chance agreement is 0.6·0.6 + 0.4·0.4 = 0.52 and
    // κ = (0.6 − 0.52) / (1 − 0.52) = 1/6.
    let (code, stdout, stderr) = eval(&[
        "--second-reading",
        "tests/eval/second-reading.jsonl",
        "--format",
        "jsonl",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("second-reading.jsonl: line 12"),
        "the cut-off line is named: {stderr}"
    );
    assert!(
        stderr.contains("second-reading.jsonl: 1 line repeats a headline labelled earlier"),
        "the repeated line is reported: {stderr}"
    );
    assert!(
        stderr.contains(
            "(no headline scored here expects them, or misspelt): nvda-customer-seeks-alternative\n"
        ),
        "the misspelt id is named: {stderr}"
    );
    let out = lines(&stdout);
    let agreement = out.last().unwrap();
    assert_eq!(agreement["rule"], SEED);
    assert_eq!(agreement["shared"], 5);
    assert_eq!(agreement["unmatched"], 1);
    assert_eq!(agreement["second_unmatched"], 1);
    let a = &agreement["agreement"];
    assert_eq!(
        [
            &a["both"],
            &a["first_only"],
            &a["second_only"],
            &a["neither"]
        ],
        [2, 1, 1, 1].map(serde_json::Value::from).each_ref()
    );
    assert!((a["observed"].as_f64().unwrap() - 0.6).abs() < 1e-9, "{a}");
    assert!(
        (a["kappa"].as_f64().unwrap() - 1.0 / 6.0).abs() < 1e-9,
        "{a}"
    );
    // The rules' own figures come first, unchanged.
    assert_eq!(out[0]["true_positives"], 2);

    let (code, stdout, _) = eval(&[
        "--second-reading",
        "tests/eval/second-reading.jsonl",
        "--format",
        "markdown",
    ]);
    assert_eq!(code, 0);
    assert!(
        stdout.ends_with(&format!(
            "Two readings of 5 headlines (1 more only in the first, 1 only in the second).\n\n\
             | rule | its story: both | first only | second only | agreed | Cohen's κ |\n\
             |---|---:|---:|---:|---:|---:|\n\
             | `{SEED}` | 2 | 1 | 1 | 60.0 % | 0.167 |\n"
        )),
        "{stdout}"
    );
}

#[test]
fn a_missing_second_reading_is_an_error_before_any_report() {
    let (code, stdout, stderr) = eval(&["--second-reading", "tests/eval/no-such-file.jsonl"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "nothing is reported: {stdout}");
    assert!(stderr.contains("no-such-file.jsonl"), "{stderr}");
}

#[test]
fn a_second_reading_of_other_headlines_agrees_on_nothing() {
    // Matched by title and link: a reading of other headlines shares none, and says so
    // rather than reporting perfect agreement.
    let (_dir, other) = reading_file(
        "{\"title\":\"Something else entirely\",\"link\":\"https://example.com/z\",\"expect\":[]}\n",
    );
    let (code, stdout, stderr) = eval(&["--second-reading", &other, "--format", "text"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("holds none of these headlines"), "{stderr}");
    assert!(
        stdout.contains(
            "Two readings of 0 headlines (6 more only in the first, 1 only in the second):"
        ),
        "{stdout}"
    );
    let row = stdout
        .lines()
        .find(|l| l.starts_with(SEED) && l.contains('–'))
        .unwrap_or_else(|| panic!("no agreed share or kappa for nothing: {stdout}"));
    assert!(!row.contains('%'), "{row}");
}

#[test]
fn rule_ids_of_the_second_reading_not_compared_are_named_unless_left_out_on_purpose() {
    // Two lines of the labelled set, read again: one with a rule the set has but no labelled
    // headline expects (so it is not scored), one with a misspelt id.
    let (_dir, reading) = reading_file(
        "{\"title\":\"OpenAI is unsatisfied with some Nvidia chips and looking for alternatives, sources say\",\"link\":\"https://example.com/a\",\"expect\":[\"nvda-customer-seeks-alternatives\",\"new-52-week-low\"]}\n\
         {\"title\":\"OpenAI sucht Alternativen zu Nvidia-Chips\",\"link\":\"https://example.com/b\",\"expect\":[\"nvda-customer-seeks-alternativs\"]}\n",
    );
    let named = |extra: &[&str]| {
        let mut args = vec!["--second-reading", reading.as_str()];
        args.extend_from_slice(extra);
        let (code, _, stderr) = eval(&args);
        assert_eq!(code, 0, "{stderr}");
        stderr
            .lines()
            .find_map(|l| {
                l.split_once("or misspelt): ")
                    .map(|(_, ids)| ids.to_string())
            })
            .unwrap_or_default()
    };
    // Every rule scored: both ids are named.
    assert_eq!(
        named(&[]),
        "new-52-week-low, nvda-customer-seeks-alternativs"
    );
    // One rule chosen with --rule, or one language with --lang (the reading does not say
    // its language): only the id no rule has.
    assert_eq!(named(&["--rule", SEED]), "nvda-customer-seeks-alternativs");
    assert_eq!(named(&["--lang", "de"]), "nvda-customer-seeks-alternativs");
}

#[test]
fn a_clean_second_reading_prints_nothing_on_stderr() {
    let (_dir, reading) = reading_file(
        "{\"title\":\"OpenAI sucht Alternativen zu Nvidia-Chips\",\"link\":\"https://example.com/b\",\"expect\":[\"nvda-customer-seeks-alternatives\"]}\n",
    );
    let (code, _, stderr) = eval(&["--second-reading", &reading]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}
