//! README.md and docs/*.md checked against the code: every TOML block compiles as a rule or
//! parses as a config, every environment variable is one the bot reads, every command line
//! uses real subcommands and flags (and the offline ones run), every link and anchor leads
//! somewhere, a published port reaches the listener in the container, the tables name every
//! command, config key, shipped rule and metric as the code knows them, and the sample alert
//! is the one the seed story gives.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use marketbot::config::Config;
use marketbot::problem::SourceFile;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One Markdown file: its path from the repository root, and its text.
struct Doc {
    rel: String,
    text: String,
}

impl Doc {
    fn dir(&self) -> PathBuf {
        root()
            .join(&self.rel)
            .parent()
            .expect("a file has a directory")
            .to_path_buf()
    }
}

/// README.md and every docs/*.md.
fn docs() -> Vec<Doc> {
    let mut rels = vec!["README.md".to_string()];
    let mut more: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.expect("a directory entry").file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    more.sort();
    rels.extend(more);
    rels.into_iter()
        .map(|rel| Doc {
            text: std::fs::read_to_string(root().join(&rel)).expect("readable"),
            rel,
        })
        .collect()
}

fn doc(rel: &str) -> Doc {
    docs()
        .into_iter()
        .find(|d| d.rel == rel)
        .unwrap_or_else(|| panic!("{rel} exists"))
}

/// A fenced code block.
struct Block {
    lang: String,
    body: String,
    /// The line of its opening fence (1-based).
    line: usize,
}

/// The fenced blocks of a Markdown text, and the text with their lines blanked (prose).
fn split(text: &str) -> (Vec<Block>, String) {
    let mut blocks = Vec::new();
    let mut prose = String::new();
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        match (&mut open, line.trim_start().strip_prefix("```")) {
            (None, Some(lang)) => {
                open = Some(Block {
                    lang: lang.trim().to_string(),
                    body: String::new(),
                    line: i + 1,
                })
            }
            (Some(_), Some(_)) => blocks.extend(open.take()),
            (Some(b), None) => {
                b.body.push_str(line);
                b.body.push('\n');
            }
            (None, None) => prose.push_str(line),
        }
        prose.push('\n');
    }
    assert!(open.is_none(), "a code block is not closed");
    (blocks, prose)
}

/// The `inline code` spans of prose, with their line numbers.
fn code_spans(prose: &str) -> Vec<(usize, String)> {
    let mut spans = Vec::new();
    for (i, line) in prose.lines().enumerate() {
        let mut rest = line;
        while let Some(start) = rest.find('`') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('`') else { break };
            spans.push((i + 1, after[..end].to_string()));
            rest = &after[end + 1..];
        }
    }
    spans
}

/// The rows of the first table after `heading` (a line of the prose), as trimmed cells.
fn table_after(prose: &str, heading: &str) -> Vec<Vec<String>> {
    let start = prose
        .find(heading)
        .unwrap_or_else(|| panic!("`{heading}` is there"));
    prose[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.replace("\\|", "\u{1}")
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().replace('\u{1}', "|"))
                .collect()
        })
        .collect()
}

/// The `code` spans of a table cell.
fn cell_spans(cell: &str) -> Vec<String> {
    code_spans(cell).into_iter().map(|(_, s)| s).collect()
}

/// GitHub's anchor for a heading.
fn slug(heading: &str) -> String {
    let mut out = String::new();
    for c in heading.trim().chars() {
        if c.is_alphanumeric() || c == '-' || c == '_' {
            out.extend(c.to_lowercase());
        } else if c == ' ' {
            out.push('-');
        }
    }
    out
}

/// The anchors of a Markdown file's headings (outside code blocks), with GitHub's numbering
/// of repeats.
fn anchors(text: &str) -> BTreeSet<String> {
    let (_, prose) = split(text);
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = BTreeSet::new();
    for line in prose.lines() {
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if hashes == 0 || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(&line[hashes..]);
        let n = seen.entry(base.clone()).or_default();
        out.insert(if *n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        });
        *n += 1;
    }
    out
}

fn example_config_file() -> SourceFile {
    let path = root().join("marketbot.example.toml");
    SourceFile {
        text: std::fs::read_to_string(&path).expect("the example config"),
        path,
    }
}

#[test]
fn every_toml_block_is_a_rule_that_compiles_or_a_config_that_parses() {
    let (_, lexicons, problems) = marketbot::rules::read_dir(&root().join("rules"));
    assert!(problems.is_empty(), "{problems:?}");
    let mut checked = 0;
    for d in docs() {
        let (blocks, _) = split(&d.text);
        for b in blocks.iter().filter(|b| b.lang == "toml") {
            let at = format!("{}:{}", d.rel, b.line);
            let is_rule = b.body.lines().any(|l| {
                let l = l.trim_start();
                l.starts_with("id = ") || l.starts_with("[[rule]]")
            });
            if is_rule {
                let file = SourceFile {
                    path: root().join("rules/docs-example.toml"),
                    text: b.body.clone(),
                };
                let set = marketbot::rules::compile(vec![file], lexicons.clone())
                    .unwrap_or_else(|p| panic!("{at}: the rule does not compile: {p:#?}"));
                for o in marketbot::examples::run_all(&Arc::new(set)) {
                    assert!(o.passed, "{at}: {:?}: {}", o.kind, o.detail);
                }
            } else {
                let file = SourceFile {
                    path: root().join("marketbot.toml"),
                    text: b.body.clone(),
                };
                if let Err(problems) = Config::parse(&file, &[]) {
                    let list: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
                    panic!("{at}: the config does not parse:\n{}", list.join("\n"));
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 4, "only {checked} TOML blocks found");
}

/// A config key as the tables write it (`telegram.token`, `quotes[N].symbols`) and the
/// variable that sets it, as the config module names it (`N` for the index).
fn variable_of(key: &str) -> String {
    let (code_key, index) = match key.contains("[N]") {
        true => (key.replace("[N]", "[]"), Some(0)),
        false => (key.to_string(), None),
    };
    marketbot::config::env_var(&code_key, index).replace("__0__", "__N__")
}

/// The key a `MARKETBOT_…__…` variable sets, as the tables write it.
fn key_of(variable: &str) -> Option<String> {
    let parts: Vec<String> = variable
        .strip_prefix("MARKETBOT_")?
        .split("__")
        .map(str::to_lowercase)
        .collect();
    match parts.as_slice() {
        [section, key] => Some(format!("{section}.{key}")),
        [section, index, key] if index == "n" || index.parse::<usize>().is_ok() => {
            Some(format!("{section}[N].{key}"))
        }
        _ => None,
    }
}

/// Every key of marketbot.example.toml, set or shown commented out.
fn example_keys() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut section = String::new();
    for line in example_config_file().text.lines() {
        let line = line.trim_start_matches('#').trim();
        if let Some(name) = line.strip_prefix("[[").and_then(|l| l.strip_suffix("]]")) {
            section = format!("{name}[N]");
        } else if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
        } else if let Some((key, _)) = line.split_once(" = ")
            && !key.is_empty()
            && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        {
            keys.insert(format!("{section}.{key}"));
        }
    }
    keys
}

/// The README's configuration table: key → the variables its row names.
fn readme_variables() -> BTreeMap<String, Vec<String>> {
    let (_, prose) = split(&doc("README.md").text);
    table_after(&prose, "## Configuration")
        .into_iter()
        .map(|row| {
            let key = cell_spans(&row[0]).remove(0);
            (key, cell_spans(&row[1]))
        })
        .collect()
}

#[test]
fn the_configuration_tables_give_every_key_of_the_example_and_its_variable() {
    let readme = readme_variables();
    for key in example_keys() {
        assert!(
            readme.contains_key(&key),
            "README's configuration table lacks `{key}` of marketbot.example.toml"
        );
    }
    for (key, vars) in &readme {
        assert_eq!(
            vars.first(),
            Some(&variable_of(key)),
            "README: the variable of `{key}`"
        );
        for alias in &vars[1..] {
            assert!(
                known_single_variables().contains(alias.as_str()),
                "README: `{alias}` (for `{key}`) is not a variable the bot reads"
            );
        }
    }
    let (_, prose) = split(&doc("docs/configuration.md").text);
    let reference: BTreeSet<String> = table_after(&prose, "## Every key")
        .into_iter()
        .map(|row| cell_spans(&row[0]).remove(0).replace("[]", "[N]"))
        .collect();
    let readme_keys: BTreeSet<String> = readme.keys().cloned().collect();
    assert_eq!(
        reference, readme_keys,
        "docs/configuration.md and README.md list the same keys"
    );
}

#[test]
fn the_documented_keys_are_the_keys_the_config_knows() {
    let known: BTreeSet<String> = marketbot::config::keys()
        .into_iter()
        .map(|k| k.replace("[]", "[N]"))
        .collect();
    let documented: BTreeSet<String> = readme_variables().into_keys().collect();
    let undocumented: Vec<&String> = known.difference(&documented).collect();
    let unknown: Vec<&String> = documented.difference(&known).collect();
    assert!(
        undocumented.is_empty() && unknown.is_empty(),
        "keys the config knows but the docs do not: {undocumented:?}; keys documented but unknown: {unknown:?}"
    );
}

/// Variables without `__` that the bot reads.
fn known_single_variables() -> BTreeSet<&'static str> {
    use marketbot::config::{API_URL_ENV, RULES_ENV, STORAGE_ENV, TELOXIDE_TOKEN_ENV, TOKEN_ENV};
    [
        TOKEN_ENV,
        TELOXIDE_TOKEN_ENV,
        STORAGE_ENV,
        RULES_ENV,
        API_URL_ENV,
    ]
    .into_iter()
    .collect()
}

/// Every Rust source file's text, for names read outside the config module.
fn sources_text() -> String {
    fn walk(dir: &Path, out: &mut String) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = String::new();
    walk(&root().join("src"), &mut out);
    out
}

/// Every `MARKETBOT_…` (and `TELOXIDE_TOKEN`) of a text, with its value where one is given
/// (`NAME=value`).
fn variables_in(text: &str) -> Vec<(String, Option<String>)> {
    let mut found = Vec::new();
    for prefix in ["MARKETBOT_", "TELOXIDE_TOKEN"] {
        let mut from = 0;
        while let Some(at) = text[from..].find(prefix) {
            let start = from + at;
            let name_len = text[start..]
                .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
                .unwrap_or(text.len() - start);
            let name = &text[start..start + name_len];
            let after = &text[start + name_len..];
            from = start + name_len;
            // `MARKETBOT_<SECTION>__<KEY>`: the pattern, not a variable.
            if name.ends_with('_') {
                continue;
            }
            let value = after.strip_prefix('=').map(|v| match v.strip_prefix('"') {
                Some(quoted) => quoted[..quoted.find('"').expect("a closing quote")].to_string(),
                None => v[..v
                    .find(|c: char| c.is_whitespace() || c == '`' || c == ')')
                    .unwrap_or(v.len())]
                    .to_string(),
            });
            found.push((name.to_string(), value));
        }
    }
    found
}

/// Whether a variable sets a config key (`MARKETBOT_…__…` or one of the older names).
fn is_config_variable(name: &str) -> bool {
    name.contains("__") || known_single_variables().contains(name)
}

/// `NAME=value` as a shell word (an assignment), if it is one.
fn assignment(word: &str) -> Option<(String, String)> {
    let (name, value) = word.split_once('=')?;
    let is_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    is_name.then(|| (name.to_string(), value.to_string()))
}

/// The environments a document sets: the assignments of one ```sh block, those in front of
/// one command, the `-e` of one `docker run`, and each `NAME=value` of the prose alone. Only
/// variables that set config keys.
fn environments(d: &Doc) -> Vec<(String, Vec<(String, String)>)> {
    let (blocks, prose) = split(&d.text);
    let config = |vars: Vec<(String, String)>| -> Vec<(String, String)> {
        vars.into_iter()
            .filter(|(n, _)| is_config_variable(n))
            .collect()
    };
    let mut out = Vec::new();
    for b in blocks.iter().filter(|b| b.lang == "sh") {
        let at = format!("{}:{}", d.rel, b.line);
        let mut block = Vec::new();
        for command in sh_commands(&b.body) {
            let leading: Vec<(String, String)> =
                command.iter().map_while(|w| assignment(w)).collect();
            if leading.len() == command.len() {
                block.extend(leading);
                continue;
            }
            out.push((at.clone(), config(leading)));
            if command.starts_with(&["docker".to_string(), "run".to_string()]) {
                let docker_env = command
                    .windows(2)
                    .filter(|w| w[0] == "-e" || w[0] == "--env")
                    .filter_map(|w| assignment(&w[1]))
                    .collect();
                out.push((at.clone(), config(docker_env)));
            }
        }
        out.push((at, config(block)));
    }
    for (name, value) in variables_in(&prose) {
        if let Some(value) = value.filter(|_| is_config_variable(&name)) {
            out.push((format!("{}: {name}", d.rel), vec![(name, value)]));
        }
    }
    out.retain(|(_, vars)| !vars.is_empty());
    out
}

#[test]
fn every_environment_variable_shown_is_one_the_bot_reads() {
    let keys = readme_variables();
    let sources = sources_text();
    for d in docs() {
        for (name, _) in variables_in(&d.text) {
            let at = format!("{}: {name}", d.rel);
            if name.contains("__") {
                let key = key_of(&name).unwrap_or_else(|| panic!("{at}: not SECTION__KEY"));
                assert!(
                    keys.contains_key(&key),
                    "{at}: `{key}` is not in README's configuration table"
                );
            } else if !known_single_variables().contains(name.as_str()) {
                // Read by the binary itself (the config file's name, the log's filter and format).
                assert!(
                    sources.contains(&format!("\"{name}\"")),
                    "{at}: no such variable in the code"
                );
            }
        }
    }
}

#[test]
fn every_environment_shown_is_accepted_and_each_variable_in_it_counts() {
    let file = example_config_file();
    let parse = |vars: &Vec<(String, String)>| {
        Config::parse(&file, vars).map_err(|problems| {
            problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })
    };
    let mut checked = 0;
    for d in docs() {
        for (at, vars) in environments(&d) {
            let with = parse(&vars).unwrap_or_else(|p| panic!("{at}: {vars:?} is refused:\n{p}"));
            for (name, value) in &vars {
                assert!(!value.is_empty(), "{at}: {name} without a value");
                let without: Vec<(String, String)> =
                    vars.iter().filter(|(n, _)| n != name).cloned().collect();
                // Refused without it (the allowlist without its admins) counts as a change.
                let changed =
                    parse(&without).map_or(true, |w| format!("{w:?}") != format!("{with:?}"));
                assert!(changed, "{at}: {name}={value} changes nothing");
                checked += 1;
            }
        }
    }
    assert!(checked >= 8, "only {checked} variables with values found");
}

/// How a documented command line runs marketbot.
#[derive(Debug, PartialEq)]
enum Via {
    /// `marketbot …` or `cargo run -- …` from a checkout.
    Checkout,
    /// `docker run … marketbot …` or `docker exec … marketbot …`.
    Docker,
}

/// Splits a shell line into words (quotes kept together and removed).
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                any = false;
            }
            (None, c) => word.push(c),
        }
    }
    if any || !word.is_empty() {
        out.push(word);
    }
    out
}

/// The commands of a ```sh block: continuation lines joined, comments dropped, split at
/// `&&` and `|`.
fn sh_commands(body: &str) -> Vec<Vec<String>> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for line in body.lines() {
        match line.trim_end().strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                lines.push(std::mem::take(&mut current));
            }
        }
    }
    let mut commands = Vec::new();
    for line in lines {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let line = match line.find(" #") {
            Some(at) => &line[..at],
            None => line,
        };
        for part in line.split("&&").flat_map(|p| p.split(" | ")) {
            let w = words(part);
            if !w.is_empty() {
                commands.push(w);
            }
        }
    }
    commands
}

/// marketbot's arguments in a command, if it runs marketbot.
fn marketbot_args(command: &[String]) -> Option<(Via, Vec<String>)> {
    let command: Vec<&str> = command
        .iter()
        .map(String::as_str)
        .skip_while(|w| {
            w.split_once('=').is_some_and(|(n, _)| {
                !n.is_empty()
                    && n.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
        })
        .collect();
    let owned = |ws: &[&str]| ws.iter().map(|w| w.to_string()).collect::<Vec<_>>();
    match command.as_slice() {
        ["marketbot", args @ ..] => Some((Via::Checkout, owned(args))),
        ["cargo", "run", rest @ ..] => {
            let dashes = rest.iter().position(|w| *w == "--")?;
            for flag in &rest[..dashes] {
                assert!(
                    ["--release", "--locked", "--quiet", "-q"].contains(flag),
                    "cargo run {flag}: not a flag the docs should need"
                );
            }
            Some((Via::Checkout, owned(&rest[dashes + 1..])))
        }
        ["docker", "run", rest @ ..] => {
            let with_value = [
                "-e",
                "--env",
                "--env-file",
                "--name",
                "--restart",
                "--stop-timeout",
                "-p",
                "--publish",
                "-v",
                "--volume",
                "-u",
                "--user",
                "--network",
            ];
            let alone = ["-d", "--detach", "--rm", "-i", "-t", "-it"];
            let mut i = 0;
            while i < rest.len() && rest[i].starts_with('-') {
                let opt = rest[i].split('=').next().unwrap();
                if with_value.contains(&opt) && !rest[i].contains('=') {
                    i += 2;
                } else {
                    assert!(
                        with_value.contains(&opt) || alone.contains(&opt),
                        "docker run {opt}: an option this test does not know"
                    );
                    i += 1;
                }
            }
            let (image, args) = rest[i..].split_first()?;
            (*image == "marketbot").then(|| (Via::Docker, owned(args)))
        }
        ["docker", "exec", rest @ ..] => {
            let rest: Vec<&str> = rest
                .iter()
                .copied()
                .skip_while(|w| w.starts_with('-'))
                .collect();
            match rest.as_slice() {
                [_container, "marketbot", args @ ..] => Some((Via::Docker, owned(args))),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `marketbot SUB --help`, once per subcommand.
fn help(sub: &str) -> String {
    static CACHE: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());
    let mut cache = CACHE.lock().unwrap();
    cache
        .entry(sub.to_string())
        .or_insert_with(|| {
            let out = Command::new(env!("CARGO_BIN_EXE_marketbot"))
                .args([sub, "--help"])
                .output()
                .expect("marketbot runs");
            assert!(
                out.status.success(),
                "`marketbot {sub}` is not a subcommand: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
        .clone()
}

/// Subcommands that read only files and finish quickly: documented lines with these run.
const OFFLINE: &[&str] = &["check", "test", "match", "replay"];

/// Checks one documented marketbot command line; runs it when it is offline and its files
/// are in the repository.
fn check_command(at: &str, via: Via, args: &[String]) {
    let sub = match args.first() {
        Some(sub) => sub.as_str(),
        None => {
            assert_eq!(via, Via::Docker, "{at}: marketbot without a subcommand");
            let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
            assert!(
                dockerfile.contains("CMD [\"run\"]"),
                "{at}: the image's default command is not `run`"
            );
            "run"
        }
    };
    let help = help(sub);
    for arg in args.iter().skip(1) {
        let flag = arg.trim_matches(|c| c == '[' || c == ']');
        if flag.starts_with('-') {
            let name = flag.split('=').next().unwrap();
            assert!(
                help.contains(&format!("{name} "))
                    || help.contains(&format!("{name},"))
                    || help.contains(&format!("{name}\n")),
                "{at}: `marketbot {sub}` has no {name}:\n{help}"
            );
        }
    }
    let files_here = args.iter().skip(1).all(|a| {
        a.starts_with('-')
            || !(a.contains('/')
                || a.contains(".toml")
                || a.contains(".json")
                || a.contains(".csv"))
            || root().join(a).exists()
    });
    if via == Via::Checkout && OFFLINE.contains(&sub) && files_here {
        let out = Command::new(env!("CARGO_BIN_EXE_marketbot"))
            .args(args)
            .current_dir(root())
            .output()
            .expect("marketbot runs");
        assert!(
            out.status.success(),
            "{at}: `marketbot {}` failed:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn every_command_line_uses_real_subcommands_and_flags_and_the_offline_ones_run() {
    let mut checked = 0;
    for d in docs() {
        let (blocks, prose) = split(&d.text);
        for b in blocks.iter().filter(|b| b.lang == "sh") {
            for command in sh_commands(&b.body) {
                let at = format!("{}:{}: {}", d.rel, b.line, command.join(" "));
                if let Some((via, args)) = marketbot_args(&command) {
                    check_command(&at, via, &args);
                    checked += 1;
                }
            }
        }
        for (line, span) in code_spans(&prose) {
            if span.starts_with("marketbot ") {
                let at = format!("{}:{line}: {span}", d.rel);
                check_command(&at, Via::Checkout, &words(&span)[1..]);
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "only {checked} command lines found");
}

/// The `-p` ports of a `docker run` of the image, and where its listener listens: the
/// command's `-e MARKETBOT_HTTP__LISTEN`, else the image's, else the config's default.
fn published_and_listening(command: &[String]) -> Option<(Vec<String>, String)> {
    if !command.starts_with(&["docker".to_string(), "run".to_string()])
        || !command.iter().any(|w| w == "marketbot")
    {
        return None;
    }
    let value_of = |flags: &[&str]| -> Vec<String> {
        command
            .windows(2)
            .filter(|w| flags.contains(&w[0].as_str()))
            .map(|w| w[1].clone())
            .collect()
    };
    let ports: Vec<String> = value_of(&["-p", "--publish"])
        .iter()
        .map(|p| p.rsplit(':').next().unwrap().to_string())
        .collect();
    let listen = value_of(&["-e", "--env"])
        .iter()
        .find_map(|e| {
            e.strip_prefix("MARKETBOT_HTTP__LISTEN=")
                .map(str::to_string)
        })
        .or_else(|| {
            let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
            let at = dockerfile.find("MARKETBOT_HTTP__LISTEN=")?;
            let rest = &dockerfile[at + "MARKETBOT_HTTP__LISTEN=".len()..];
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '\\')
                .unwrap_or(rest.len());
            Some(rest[..end].trim_matches('"').to_string())
        })
        .unwrap_or_else(|| marketbot::config::DEFAULT_LISTEN.to_string());
    Some((ports, listen))
}

#[test]
fn a_published_port_reaches_the_listener_in_the_container() {
    let mut checked = 0;
    for d in docs() {
        let (blocks, _) = split(&d.text);
        for b in blocks.iter().filter(|b| b.lang == "sh") {
            for command in sh_commands(&b.body) {
                let Some((ports, listen)) = published_and_listening(&command) else {
                    continue;
                };
                for port in ports {
                    assert_eq!(
                        listen,
                        format!("0.0.0.0:{port}"),
                        "{}:{}: port {port} is published, but in the container the bot listens on {listen}",
                        d.rel,
                        b.line
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 1, "no published port found");
}

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
