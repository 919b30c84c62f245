//! TOML blocks, config keys and their environment variables.

use super::*;

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
        for command in super::commands::sh_commands(&b.body) {
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
