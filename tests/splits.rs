//! A stock split seen through the whole bot: Yahoo reports it with the first prices at the new
//! share count, and the history before it is restated before those prices are judged.

mod support;

use std::path::Path;
use std::time::Duration;

use support::origin::{Origin, Reply};
use support::payloads::{self, ChartBar};
use support::telegram::FakeTelegram;
use support::{RunningBot, config, eventually, seed_evening, start_chat};

/// A price-only rule a split would set off: a slide from the last day's high. (What else a
/// split restates — volumes, the days' highs and lows — is tested on the series itself.)
const RULES: &str = r#"
id = "nvda-slide"
title = "NVDA slides"
description = "NVDA five per cent below its high of the last day."
default = true
symbols = ["NVDA"]
condition = "slide"

[price.slide]
change = "<= -5%"
from = "window"
window = "24h"
"#;

fn bot_config(dir: &Path, tg: &FakeTelegram, origin: &Origin) -> marketbot::config::Config {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("nvda-slide.toml"), RULES).unwrap();
    config(
        dir,
        &format!(
            r#"
[telegram]
token = "{token}"
api_url = "{tg}"
poll_timeout = "1s"
chat_interval = "20ms"
[storage]
path = "data"
[rules]
dir = "{rules}"
[http]
timeout = "3s"
[[quotes]]
name = "yahoo"
provider = "yahoo"
base_url = "{origin}"
symbols = ["NVDA"]
schedule = "* * * * * *"
interval = "30m"
extended_hours = true
"#,
            token = support::telegram::TOKEN,
            tg = tg.url(),
            rules = rules.display(),
            origin = origin.url(""),
        ),
    )
}

/// The seed day's bars a day later, at `volume` times the volume.
fn next_day_bars(open: f64, close: f64, post: f64, volume: u64) -> Vec<ChartBar> {
    payloads::seed_day_bars(open, close, post)
        .into_iter()
        .map(|b| ChartBar {
            start: b.start + 86_400,
            volume: b.volume * volume,
            ..b
        })
        .collect()
}

/// Runs the bot on the evening of 2 February (NVDA around 1 890, before a ten-for-one split)
/// and again on the evening of the 3rd (around 186, ten times the shares traded), Yahoo
/// reporting the split on the 3rd when `reported`. The alerts chat 42 got on the 3rd.
async fn split_day_alerts(reported: bool) -> usize {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    let chart = "/v8/finance/chart/NVDA";

    // The 2nd: a quiet day at the old share count (down 1.5 %, no rule holds).
    origin.set(
        chart,
        Reply::ok(
            "application/json",
            payloads::yahoo_chart(
                "NVDA",
                1917.9,
                1889.0,
                1_770_066_001,
                &payloads::seed_day_bars(1905.0, 1889.0, 1890.0),
            ),
        ),
    );
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    start_chat(&tg, 42).await;
    eventually(Duration::from_secs(10), "the 2nd's prices", || {
        (origin.hits(chart) >= 3).then_some(())
    })
    .await;
    bot.stop().await;
    assert!(tg.alerts_to(42).is_empty(), "{:?}", tg.alerts_to(42));

    // The 3rd: the same trading in new shares — prices a tenth, volume tenfold. Yahoo's
    // previous close is restated already; the stored history is not.
    let mut day = payloads::yahoo_chart(
        "NVDA",
        188.9,
        188.0,
        1_770_066_001 + 86_400,
        &next_day_bars(189.4, 188.0, 188.1, 10),
    );
    if reported {
        // Stamped at the 3rd's open, as Yahoo stamps a split.
        let split = r#""events":{"splits":{"1770129000":{"date":1770129000,"numerator":10,"denominator":1,"splitRatio":"10:1"}}},"indicators":"#;
        day = day.replacen(r#""indicators":"#, split, 1);
    }
    origin.set(chart, Reply::ok("application/json", day));
    let hits = origin.hits(chart);
    let bot = RunningBot::start(
        bot_config(dir.path(), &tg, &origin),
        seed_evening() + chrono::Duration::days(1),
    );
    eventually(
        Duration::from_secs(10),
        "the 3rd's prices, polled again",
        || (origin.hits(chart) >= hits + 3).then_some(()),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let alerts = tg.alerts_to(42).len();

    // Restarted, the bot has the restated history in store: still nothing.
    bot.stop().await;
    let hits = origin.hits(chart);
    let bot = RunningBot::start(
        bot_config(dir.path(), &tg, &origin),
        seed_evening() + chrono::Duration::days(1) + chrono::Duration::minutes(5),
    );
    eventually(
        Duration::from_secs(10),
        "the 3rd's prices after a restart",
        || (origin.hits(chart) >= hits + 3).then_some(()),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    bot.stop().await;
    assert_eq!(
        tg.alerts_to(42).len(),
        alerts,
        "a restart judges nothing again"
    );
    alerts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reported_split_is_not_taken_for_a_crash() {
    assert_eq!(split_day_alerts(true).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_split_the_same_prices_look_like_a_crash() {
    // The scenario's control: the rules do see the move when nothing says it is a split.
    assert_eq!(split_day_alerts(false).await, 1);
}
