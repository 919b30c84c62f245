//! `marketbot check`: one small broken file per class of problem, and the exact location and
//! message the user sees.

use std::process::Command;

/// Runs `marketbot check` on `paths` from the crate root; exit code and stdout.
fn check(paths: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_marketbot"))
        .arg("check")
        .args(paths)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("MARKETBOT_CONFIG")
        .env_remove("MARKETBOT_RULES_DIR")
        .env_remove("MARKETBOT_STORAGE_PATH")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Asserts `paths` fail with a problem at `location` whose header line is `message` and, when
/// given, whose hint is `hint`.
fn assert_problem(paths: &[&str], location: &str, message: &str, hint: Option<&str>) {
    let (code, out) = check(paths);
    assert_eq!(code, 1, "{out}");
    let blocks: Vec<&str> = out.split("\n\n").map(str::trim_start).collect();
    let block = blocks
        .iter()
        .find(|b| b.contains(&format!("┌─ {location}\n")))
        .unwrap_or_else(|| panic!("no problem at {location}:\n{out}"));
    assert!(block.starts_with(&format!("error: {message}\n")), "{block}");
    assert!(block.contains('^'), "a caret under the span: {block}");
    if let Some(hint) = hint {
        assert!(block.contains(&format!("= hint: {hint}")), "{block}");
    }
}

#[test]
fn toml_syntax() {
    assert_problem(
        &["tests/check/toml-syntax.toml"],
        "tests/check/toml-syntax.toml:5:26",
        "unclosed array, expected `]`",
        None,
    );
}

#[test]
fn unknown_or_misspelt_keys() {
    assert_problem(
        &["tests/check/unknown-key.toml"],
        "tests/check/unknown-key.toml:7:1",
        "unknown field `cooldwn`, expected one of `cooldown`, `once_per_day`, `expires`",
        Some("did you mean `cooldown`?"),
    );
}

#[test]
fn wrong_types() {
    assert_problem(
        &["tests/check/wrong-type.toml"],
        "tests/check/wrong-type.toml:3:11",
        "invalid type: string \"yes\", expected a boolean",
        None,
    );
}

#[test]
fn a_byte_order_mark_is_not_a_column() {
    // Editors on Windows save UTF-8 with one; the value `5` is still at column 6.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.toml");
    std::fs::write(
        &path,
        "\u{feff}id = 5\ntitle = \"t\"\ncondition = \"a\"\n[text.a]\nany = [\"openai\"]\n",
    )
    .unwrap();
    assert_problem(
        &[path.to_str().unwrap()],
        &format!("{}:1:6", path.display()),
        "invalid type: integer `5`, expected a string",
        None,
    );
}

#[test]
fn bad_cron_expressions() {
    assert_problem(
        &["tests/check/marketbot-bad-cron.toml"],
        "tests/check/marketbot-bad-cron.toml:6:12",
        "`*/5 * * * *` is not a valid schedule: it has 5 fields, not 6 or 7",
        Some("schedules have a seconds field first: try `0 */5 * * * *`"),
    );
}

#[test]
fn bad_durations() {
    assert_problem(
        &["tests/check/bad-duration.toml"],
        "tests/check/bad-duration.toml:9:10",
        "`a day` is not a duration",
        Some("write a number and a unit, e.g. `30m`, `24h` or `2d`"),
    );
}

#[test]
fn bad_percentages() {
    assert_problem(
        &["tests/check/bad-percentage.toml"],
        "tests/check/bad-percentage.toml:5:10",
        "`-2%` needs a comparison (<=, <, >=, >), e.g. `<= -2%`",
        None,
    );
    let (_, out) = check(&["tests/check/bad-percentage.toml"]);
    assert!(
        !out.contains("undefined selection"),
        "one mistake, one problem: {out}"
    );
}

#[test]
fn invalid_and_too_large_regexes() {
    assert_problem(
        &["tests/check/bad-regex.toml"],
        "tests/check/bad-regex.toml:5:10",
        "invalid regular expression: unclosed group",
        None,
    );
    assert_problem(
        &["tests/check/bad-regex.toml"],
        "tests/check/bad-regex.toml:7:10",
        "regular expression is too large (compiled size over 262144 bytes)",
        Some("use terms, `stem*` or a shorter pattern"),
    );
}

#[test]
fn undefined_selections_in_the_condition() {
    assert_problem(
        &["tests/check/undefined-selection.toml"],
        "tests/check/undefined-selection.toml:3:24",
        "undefined selection `curbz`",
        Some("did you mean `curbs`?"),
    );
}

#[test]
fn unknown_lexicons() {
    assert_problem(
        &["tests/check/unknown-lexicon.toml"],
        "tests/check/unknown-lexicon.toml:5:8",
        "unknown lexicon `partners`",
        Some("no lexicons are defined; add one under rules/lexicons/"),
    );
    // Against the shipped lexicons, the hint names the closest entries.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lexicons")).unwrap();
    std::fs::copy(
        "rules/lexicons/concepts.toml",
        dir.path().join("lexicons/concepts.toml"),
    )
    .unwrap();
    std::fs::copy(
        "rules/lexicons/companies.toml",
        dir.path().join("lexicons/companies.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("r.toml"),
        "id = \"r\"\ntitle = \"t\"\ncondition = \"a\"\n[text.a]\nany = [\"@denials\"]\n",
    )
    .unwrap();
    let path = dir.path().join("r.toml");
    let (code, out) = check(&[path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!("┌─ {}:5:8", path.display()))
            && out.contains("= hint: did you mean `@denial`?"),
        "{out}"
    );
}

#[test]
fn cyclic_lexicon_references() {
    assert_problem(
        &["tests/check/cycle"],
        "tests/check/cycle/lexicons/loop.toml:2:19",
        "lexicon entries refer to each other in a cycle: @semis → @chips → @semis",
        Some("remove one of the references"),
    );
}

#[test]
fn duplicate_rule_ids() {
    assert_problem(
        &["tests/check/duplicates"],
        "tests/check/duplicates/b.toml:1:6",
        "rule id `same-id` is used twice",
        Some("the other rule with this id is in tests/check/duplicates/a.toml"),
    );
}

#[test]
fn a_price_rule_on_a_symbol_nobody_fetches_is_a_warning() {
    // Valid files (the config may fetch it later, the rule's text still matches): they pass,
    // and the warning says what cannot work.
    let (code, out) = check(&["tests/check/symbols/marketbot.toml"]);
    assert_eq!(code, 0, "{out}");
    let block = out
        .split("\n\n")
        .map(str::trim_start)
        .find(|b| b.contains("┌─ tests/check/symbols/rules/amd.toml:3:12\n"))
        .unwrap_or_else(|| panic!("no warning at the symbol:\n{out}"));
    assert!(
        block.starts_with(
            "warning: rule `amd-drop` watches `AMD`, but no [[quotes]] source fetches it: its price conditions cannot hold for `AMD`\n"
        ),
        "{block}"
    );
    assert!(block.contains('^'), "{block}");
    assert!(
        block.contains(
            "= hint: add `AMD` to the `symbols` of a [[quotes]] entry, or remove it from the rule"
        ),
        "{block}"
    );
    assert!(out.ends_with("no problems, 1 warning\n"), "{out}");
    // A rule with text conditions only needs no quotes: nothing to warn about.
    let (code, out) = check(&["tests/check/symbols/text-only.toml"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("warning"), "{out}");
}

#[test]
fn unknown_providers() {
    assert_problem(
        &["tests/check/marketbot-unknown-provider.toml"],
        "tests/check/marketbot-unknown-provider.toml:2:12",
        "unknown variant `bloomberg`, expected one of `yahoo`, `stooq`, `finnhub`",
        None,
    );
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let (code, out) = check(&["tests/check/several-problems.toml"]);
    assert_eq!(code, 1);
    for location in [
        "several-problems.toml:1:6",
        "several-problems.toml:5:8",
        "several-problems.toml:7:10",
        "several-problems.toml:9:12",
    ] {
        assert!(out.contains(location), "{location} missing:\n{out}");
    }
    assert!(out.ends_with("4 problems in 1 file checked\n"), "{out}");
}

#[test]
fn the_shipped_rules_and_example_config_are_clean() {
    for paths in [&["rules"][..], &["marketbot.example.toml"][..]] {
        let (code, out) = check(paths);
        assert_eq!(code, 0, "{out}");
        assert!(out.starts_with("ok: "), "{out}");
    }
}

#[test]
fn a_missing_path_cannot_be_checked() {
    assert_eq!(check(&["tests/check/no-such-file.toml"]).0, 2);
}

/// The shipped lexicons, copied into `dir/lexicons` for rule files written beside them.
fn copy_shipped_lexicons(dir: &std::path::Path) {
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/lexicons");
    std::fs::create_dir(dir.join("lexicons")).unwrap();
    for entry in std::fs::read_dir(shipped).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join("lexicons").join(entry.file_name())).unwrap();
    }
}

#[test]
fn testing_one_file_is_not_failed_by_its_broken_neighbours() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let good = dir.path().join("seed.toml");
    std::fs::copy(shipped.join("nvda-customer-seeks-alternatives.toml"), &good).unwrap();
    copy_shipped_lexicons(dir.path());
    std::fs::write(dir.path().join("broken.toml"), [0xff, 0xfe, b'x']).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_marketbot"))
        .arg("test")
        .arg(&good)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("broken.toml"), "{stdout}");
}

#[test]
fn testing_a_rule_file_named_from_its_own_directory_runs_its_examples() {
    // `cd rules && marketbot test seed.toml`: the file's directory is the working one.
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    std::fs::write(
        dir.path().join("seed.toml"),
        std::fs::read_to_string(shipped.join("nvda-customer-seeks-alternatives.toml"))
            .unwrap()
            .replace(
                "[tests]\nmatch = [\n",
                "[tests]\nmatch = [\n  \"A headline no rule of this kind matches\",\n",
            ),
    )
    .unwrap();
    copy_shipped_lexicons(dir.path());
    let out = Command::new(env!("CARGO_BIN_EXE_marketbot"))
        .args(["test", "seed.toml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The example added above fails: the file was tested, not passed over.
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("should match: A headline no rule of this kind matches")
            && stdout.contains("in 1 rule")
            && stdout.contains(", 1 failed"),
        "{stdout}"
    );
}

/// `test` on paths that hold no rule (an empty directory, a file that is not a rule) tested
/// nothing: it says so and does not pass.
#[test]
fn testing_paths_with_no_rule_in_them_is_no_pass() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "# Rules\n").unwrap();
    for path in [".", "README.md"] {
        let out = Command::new(env!("CARGO_BIN_EXE_marketbot"))
            .args(["test", path])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{path}: {stderr}");
        assert!(stderr.contains("nothing to test"), "{path}: {stderr}");
    }
}

/// `check`, `test` and the rules' problems before `match` print far more than a pipe holds;
/// the reader takes a little and goes away, as `| head` does. The command ends quietly with
/// its verdict: no panic, no complaint about the pipe.
#[test]
fn a_reader_that_stops_early_ends_the_output_not_the_verdict() {
    use std::io::Read;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    for i in 0..800 {
        std::fs::write(
            broken.join(format!("r{i}.toml")),
            format!(
                "id = \"r{i}\"\ntitle = \"r{i}\"\ncondition = \"word and missing{i}\"\n\n[text.word]\nany = [\"zebra\"]\n"
            ),
        )
        .unwrap();
    }
    let failing = dir.path().join("failing");
    std::fs::create_dir(&failing).unwrap();
    let examples: Vec<String> = (0..2000)
        .map(|i| format!("\"Headline number {i} about nothing in particular\""))
        .collect();
    std::fs::write(
        failing.join("never.toml"),
        format!(
            "id = \"never\"\ntitle = \"Never\"\ncondition = \"word\"\n\n[text.word]\nany = [\"zebra\"]\n\n[tests]\nmatch = [{}]\n",
            examples.join(", ")
        ),
    )
    .unwrap();
    let headlines = dir.path().join("headlines.txt");
    std::fs::write(&headlines, "Nvidia falls\n").unwrap();
    let (broken, failing, headlines) = (
        broken.to_str().unwrap(),
        failing.to_str().unwrap(),
        headlines.to_str().unwrap(),
    );
    for (args, verdict) in [
        (vec!["check", broken], 1),
        (vec!["test", failing], 1),
        (
            vec!["match", "--rules", broken, "--headlines", headlines],
            2,
        ),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_marketbot"))
            .args(&args)
            .env_remove("MARKETBOT_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(verdict), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?}: {stderr}"
        );
    }
}

/// `match`, `replay` and `eval` with a rules directory that holds no rule have nothing to use:
/// they say so and fail (exit 2), as `test` does, instead of matching, replaying or scoring
/// nothing and passing.
#[test]
fn matching_replaying_or_scoring_with_no_rule_is_no_pass() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(
        dir.path().join("headlines.jsonl"),
        "{\"published\":\"2026-02-02T21:47:00Z\",\"title\":\"OpenAI seeks alternatives to Nvidia chips\"}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("labels.jsonl"),
        "{\"published\":\"2026-02-02T21:47:00Z\",\"title\":\"OpenAI seeks alternatives to Nvidia chips\",\"expect\":[\"seed\"]}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("quotes.csv"),
        "symbol,time,interval,open,high,low,close,volume\nNVDA,2026-02-02T21:00:00Z,1d,190,191,185,186.25,1000\n",
    )
    .unwrap();
    for (args, said) in [
        (
            &[
                "match",
                "--rules",
                "rules",
                "--headlines",
                "headlines.jsonl",
            ][..],
            "marketbot match: no rule in rules: nothing to match",
        ),
        (
            &[
                "replay",
                "--rules",
                "rules",
                "--headlines",
                "headlines.jsonl",
                "--quotes",
                "quotes.csv",
            ][..],
            "marketbot replay: no rule in rules: nothing to replay",
        ),
        (
            &["eval", "--rules", "rules", "--labels", "labels.jsonl"][..],
            "marketbot eval: no rule in rules: nothing to score",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_marketbot"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end(), said, "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing written");
    }
}
