//! Command lines: real subcommands and flags, the offline ones run, published ports reach the
//! listener.

use super::*;

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
pub(super) fn sh_commands(body: &str) -> Vec<Vec<String>> {
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
    // A failed assertion below poisons the lock; the other tests still read the cache (the
    // failure is that test's own, not theirs).
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
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
const OFFLINE: &[&str] = &["check", "test", "match", "replay", "eval"];

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
