//! The config file (`marketbot.toml`) with environment overrides, as `marketbot run` and
//! `marketbot check` read it; problems rendered as `check` prints them.

#![no_main]

use libfuzzer_sys::fuzz_target;
use marketbot::check::{self, Report};
use marketbot::config::Config;
use marketbot_fuzz::source;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A first line starting with `#env ` sets variables; it is a TOML comment, so the file
    // is still the whole text.
    // Environment variables (`NAME=value;NAME=value`).
    let vars: Vec<(String, String)> = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("#env "))
        .map(|l| {
            l.split(';')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let file = source("/etc/marketbot/marketbot.toml", text);
    match Config::parse(&file, &vars) {
        Ok(config) => {
            // What the scheduler asks of each schedule.
            let now = chrono::DateTime::from_timestamp(1_770_000_000, 0).expect("valid");
            for (_, schedule) in marketbot::sources::from_config(&config) {
                let _ = schedule.after(&now).next();
            }
            let _ = config.demand_source();
        }
        Err(problems) => {
            assert!(!problems.is_empty());
            let mut report = Report {
                problems,
                ..Report::default()
            };
            report.files.insert(file.path, file.text);
            check::render(&report);
        }
    }
});
