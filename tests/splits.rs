//! A stock split seen through the whole bot: Yahoo reports it with the first prices at the new
//! share count, and the history before it is restated before those prices are judged — once,
//! on its ex-date, and never over a history Yahoo restated itself.

use crate::support;

use std::path::Path;
use std::time::Duration;

use marketbot::model::Bar;
use marketbot::personal::PersonalAlert;
use support::origin::{Origin, Reply};
use support::payloads::{self, ChartBar};
use support::telegram::FakeTelegram;
use support::{RunningBot, config, eventually, seed_evening, start_chat};

/// A price-only rule a split would set off: a slide from the last day's high.
const SLIDE: &str = r#"
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

/// One a split restated twice would set off: a new high (against a history halved again).
const NEW_HIGH: &str = r#"
id = "nvda-high"
title = "NVDA at a 20-day high"
description = "NVDA above every price of the last 20 sessions."
default = true
symbols = ["NVDA"]
condition = "high"

[price.high]
new_high = "20d"
session = "regular"
"#;

const CHART: &str = "/v8/finance/chart/NVDA";

fn bot_config(
    dir: &Path,
    tg: &FakeTelegram,
    origin: &Origin,
    rule: &str,
    history: bool,
) -> marketbot::config::Config {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("rule.toml"), rule).unwrap();
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
history = {history}
"#,
            token = support::telegram::TOKEN,
            tg = tg.url(),
            rules = rules.display(),
            origin = origin.url(""),
        ),
    )
}

/// `chart` with an `n`-for-`d` split stamped at `stamp` in its events, as Yahoo reports one.
fn with_split(chart: String, stamp: i64, n: u32, d: u32) -> String {
    let split = format!(
        r#""events":{{"splits":{{"{stamp}":{{"date":{stamp},"numerator":{n},"denominator":{d},"splitRatio":"{n}:{d}"}}}}}},"indicators":"#
    );
    chart.replacen(r#""indicators":"#, &split, 1)
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

/// NVDA on the 2nd in old shares: around 1 890, down 1.5 %.
fn second_in_old_shares() -> String {
    payloads::yahoo_chart(
        "NVDA",
        1917.9,
        1889.0,
        1_770_066_001,
        &payloads::seed_day_bars(1905.0, 1889.0, 1890.0),
    )
}

/// NVDA on the 3rd after a ten-for-one split (stamped at the 3rd's open): prices a tenth,
/// volume tenfold, the previous close restated by Yahoo.
fn third_in_new_shares(reported: bool) -> String {
    let chart = payloads::yahoo_chart(
        "NVDA",
        188.9,
        188.0,
        1_770_066_001 + 86_400,
        &next_day_bars(189.4, 188.0, 188.1, 10),
    );
    if reported {
        with_split(chart, 1_770_129_000, 10, 1)
    } else {
        chart
    }
}

/// The texts of the alerts chat 42 got.
fn alert_texts(tg: &FakeTelegram) -> Vec<String> {
    tg.alerts_to(42).into_iter().map(|m| m.text).collect()
}

/// The bars of NVDA in the store of the bot that ran in `dir`.
fn stored(dir: &Path) -> Vec<Bar> {
    let store = marketbot::store::Store::open(&dir.join("data"), 8 << 20).unwrap();
    store.bars_of("NVDA").unwrap()
}

/// Runs the bot in `dir` from `start`, serving `chart`, until it has polled three times more.
async fn run(dir: &Path, tg: &FakeTelegram, origin: &Origin, rule: &str, start: &str) {
    run_with(dir, tg, origin, rule, false, start.parse().unwrap(), 3, &[]).await;
}

/// [`run`] with Yahoo's history or not, `polls` polls, and chat 42 saying `say` first: the
/// bot's answers.
#[allow(clippy::too_many_arguments)]
async fn run_with(
    dir: &Path,
    tg: &FakeTelegram,
    origin: &Origin,
    rule: &str,
    history: bool,
    start: chrono::DateTime<chrono::Utc>,
    polls: usize,
    say: &[&str],
) -> Vec<String> {
    let config = bot_config(dir, tg, origin, rule, history);
    run_config(config, tg, origin, start, polls, say).await
}

/// Runs the bot with `config` from `start`, as [`run_with`] does.
async fn run_config(
    config: marketbot::config::Config,
    tg: &FakeTelegram,
    origin: &Origin,
    start: chrono::DateTime<chrono::Utc>,
    polls: usize,
    say: &[&str],
) -> Vec<String> {
    let hits = origin.hits(CHART);
    let bot = RunningBot::start(config, start);
    let before = tg.sent_to(42).len();
    start_chat(tg, 42).await;
    // This run's answer to /start (an earlier run's may be what `start_chat` found).
    eventually(Duration::from_secs(10), "the /start reply", || {
        (tg.sent_to(42).len() > before).then_some(())
    })
    .await;
    let mut answers = Vec::new();
    for text in say {
        answers.push(support::ask(tg, 42, text).await);
    }
    eventually(Duration::from_secs(10), "the prices, polled", || {
        (origin.hits(CHART) >= hits + polls).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    bot.stop().await;
    answers
}

/// The evening of the 2nd in old shares, then the evening of the 3rd in new shares (the split
/// reported when `reported`), then the 3rd again after a restart. The alerts chat 42 got,
/// and the stored bars.
async fn split_day(reported: bool) -> (usize, Vec<Bar>) {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    origin.set(CHART, Reply::ok("application/json", second_in_old_shares()));
    run(dir.path(), &tg, &origin, SLIDE, "2026-02-02T21:50:00Z").await;
    assert!(alert_texts(&tg).is_empty(), "{:?}", alert_texts(&tg));

    origin.set(
        CHART,
        Reply::ok("application/json", third_in_new_shares(reported)),
    );
    run(dir.path(), &tg, &origin, SLIDE, "2026-02-03T21:50:00Z").await;
    let alerts = tg.alerts_to(42).len();
    // Restarted, the bot has the restated history in store: nothing is judged again.
    run(dir.path(), &tg, &origin, SLIDE, "2026-02-03T21:55:00Z").await;
    assert_eq!(
        tg.alerts_to(42).len(),
        alerts,
        "a restart judges nothing again"
    );
    (alerts, stored(dir.path()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reported_split_is_not_taken_for_a_crash() {
    let (alerts, bars) = split_day(true).await;
    assert_eq!(alerts, 0);
    // Everything before the 3rd is in new shares, the 2nd's day bar whole (Yahoo's
    // previous close restates its close; its high, low and volume come from the history).
    let old_shares: Vec<&Bar> = bars
        .iter()
        .filter(|b| b.close.is_some_and(|c| c > 1000.0))
        .collect();
    assert!(old_shares.is_empty(), "{old_shares:?}");
    let second = bars
        .iter()
        .find(|b| b.interval.is_daily() && b.time.to_rfc3339().starts_with("2026-02-02T21:00"))
        .unwrap();
    assert!(
        second.high.unwrap() < 200.0
            && second.low.unwrap() < 200.0
            && second.volume.unwrap() > 1_000_000_000,
        "{second:?}"
    );
}

/// A recording made across a split replays to what the bot judged: the history restated where
/// the bot restated it, so the first prices in the new shares are no crash in the replay either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_across_a_split_replays_to_the_alerts_the_bot_sent() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("recording");
    let recorded = || {
        let mut config = bot_config(dir.path(), &tg, &origin, SLIDE, false);
        config.record_dir = Some(recording.clone());
        config
    };
    origin.set(CHART, Reply::ok("application/json", second_in_old_shares()));
    let second = "2026-02-02T21:50:00Z".parse().unwrap();
    run_config(recorded(), &tg, &origin, second, 3, &[]).await;
    origin.set(
        CHART,
        Reply::ok("application/json", third_in_new_shares(true)),
    );
    let third = "2026-02-03T21:50:00Z".parse().unwrap();
    run_config(recorded(), &tg, &origin, third, 3, &[]).await;
    assert_eq!(alert_texts(&tg), Vec::<String>::new());

    let replay = |splits: bool, from: Option<&str>| {
        let file = |name: &str| recording.join(name).display().to_string();
        let mut args = vec![
            "replay".to_string(),
            "--rules".into(),
            dir.path().join("rules").display().to_string(),
            "--headlines".into(),
            file("headlines.jsonl"),
            "--quotes".into(),
            file("quotes.csv"),
            "--format".into(),
            "jsonl".into(),
        ];
        if splits {
            args.extend(["--splits".into(), file("splits.csv")]);
        }
        if let Some(from) = from {
            args.extend(["--from".into(), from.into()]);
        }
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_marketbot"))
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        String::from_utf8(out.stdout).unwrap()
    };
    // The recorded prices alone: the first in new shares is a fall of nine tenths.
    let alerts = replay(false, None);
    assert_eq!(alerts.lines().count(), 1, "{alerts}");
    // With the splits the bot took in, where it took them in: what the bot sent, nothing —
    // also when the split falls among the prices before `--from`, the replay's history.
    for from in [None, Some("2026-02-03T14:00:00Z")] {
        let alerts = replay(true, from);
        assert_eq!(
            alerts, "",
            "{from:?}: the replay fired what the bot did not"
        );
    }
    let alerts = replay(false, Some("2026-02-03T14:00:00Z"));
    assert_eq!(alerts.lines().count(), 1, "{alerts}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_split_the_same_prices_look_like_a_crash() {
    // The scenario's control: the rule does see the move when nothing says it is a split.
    assert_eq!(split_day(false).await.0, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_reported_ahead_waits_for_the_prices_of_its_ex_date() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    origin.set(CHART, Reply::ok("application/json", second_in_old_shares()));
    run(dir.path(), &tg, &origin, SLIDE, "2026-02-02T21:50:00Z").await;
    // 19:05 in New York on the 2nd: the split, stamped at midnight UTC, comes with the 2nd's
    // prices — still in old shares, and fetched again in old shares until the 3rd begins.
    origin.set(
        CHART,
        Reply::ok(
            "application/json",
            with_split(second_in_old_shares(), 1_770_076_800, 10, 1),
        ),
    );
    run(dir.path(), &tg, &origin, SLIDE, "2026-02-03T00:05:00Z").await;
    // 01:00 in New York on the 3rd: the ex-date has begun, but the chart is still the 2nd's.
    run(dir.path(), &tg, &origin, SLIDE, "2026-02-03T06:00:00Z").await;
    origin.set(
        CHART,
        Reply::ok("application/json", third_in_new_shares(true)),
    );
    run(dir.path(), &tg, &origin, SLIDE, "2026-02-03T21:50:00Z").await;
    assert!(alert_texts(&tg).is_empty(), "{:?}", alert_texts(&tg));
    let old_shares: Vec<Bar> = stored(dir.path())
        .into_iter()
        .filter(|b| b.close.is_some_and(|c| c > 1000.0))
        .collect();
    assert!(old_shares.is_empty(), "{old_shares:?}");
}

/// Daily bars of the sessions from 2 to 30 January, at `before` until 19 January and
/// `after` from 20 January on: Yahoo's history, restated for a split on the 20th already.
fn history_bars(before: f64, after: f64) -> Vec<ChartBar> {
    use chrono::Datelike as _;
    let mut bars = Vec::new();
    let mut day = chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
    let last = chrono::NaiveDate::from_ymd_opt(2026, 1, 30).unwrap();
    let split = chrono::NaiveDate::from_ymd_opt(2026, 1, 20).unwrap();
    while day <= last {
        if day.weekday().number_from_monday() <= 5 {
            bars.push(ChartBar {
                start: day.and_hms_opt(14, 30, 0).unwrap().and_utc().timestamp(),
                close: Some(if day < split { before } else { after }),
                volume: 50_000_000,
            });
        }
        day = day.succ_opt().unwrap();
    }
    bars
}

/// A bot whose store holds Yahoo's history, restated by Yahoo for a two-for-one split on 20
/// January already, sees the split reported (the first fetch that asks for events, or a
/// bot that was down on the ex-date). The alerts on the 2nd, and the stored bars.
async fn split_reported_late(reported: bool) -> (usize, Vec<Bar>) {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    let stamp = 1_768_919_400; // 2026-01-20T14:30:00Z
    let history = payloads::yahoo_chart(
        "NVDA",
        180.0,
        180.0,
        1_769_806_800,
        &history_bars(200.0, 180.0),
    )
    .replacen(
        r#""regularMarketDayHigh":200,"#,
        r#""regularMarketDayHigh":180.4,"#,
        1,
    );
    let friday = payloads::yahoo_chart("NVDA", 180.0, 180.0, 1_769_806_800, &[]);
    origin.script(
        CHART,
        vec![
            Reply::ok("application/json", history.clone()),
            Reply::ok("application/json", friday),
        ],
    );
    let monday_noon = "2026-02-02T12:00:00Z".parse().unwrap();
    run_with(
        dir.path(),
        &tg,
        &origin,
        NEW_HIGH,
        true,
        monday_noon,
        4,
        &[],
    )
    .await;
    assert!(stored(dir.path()).iter().any(|b| b.close == Some(200.0)));

    // The 2nd trades from 185 to 195: below the 20-day high of 200.4.
    let events = |c: String| {
        if reported {
            with_split(c, stamp, 2, 1)
        } else {
            c
        }
    };
    let monday = payloads::yahoo_chart(
        "NVDA",
        180.0,
        195.0,
        1_770_066_001,
        &payloads::seed_day_bars(185.0, 195.0, 195.0),
    );
    origin.script(
        CHART,
        vec![
            Reply::ok("application/json", events(history)),
            Reply::ok("application/json", events(monday)),
        ],
    );
    run_with(
        dir.path(),
        &tg,
        &origin,
        NEW_HIGH,
        true,
        seed_evening(),
        4,
        &[],
    )
    .await;
    (tg.alerts_to(42).len(), stored(dir.path()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_yahoo_restated_already_is_not_restated_again() {
    let (alerts, bars) = split_reported_late(true).await;
    let jan16 = bars
        .iter()
        .find(|b| b.interval.is_daily() && b.time.to_rfc3339().starts_with("2026-01-16T21:00"))
        .and_then(|b| b.close);
    assert_eq!((alerts, jan16), (0, Some(200.0)));
    // The control: the same without the event.
    assert_eq!(split_reported_late(false).await.0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_personal_alert_keeps_watching_the_same_price_across_a_split() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    // The 2nd, in old shares around 1 890: chat 42 wants to hear of NVDA below 1 850.
    origin.set(CHART, Reply::ok("application/json", second_in_old_shares()));
    let set = run_with(
        dir.path(),
        &tg,
        &origin,
        SLIDE,
        false,
        "2026-02-02T21:50:00Z".parse().unwrap(),
        3,
        &["/alert NVDA below 1850"],
    )
    .await;
    assert!(set[0].contains("#1"), "{set:?}");
    assert!(tg.alerts_to(42).is_empty());

    // The 3rd, after a ten-for-one split: the alert watches 185 now, and the chat is told.
    origin.set(
        CHART,
        Reply::ok("application/json", third_in_new_shares(true)),
    );
    run(dir.path(), &tg, &origin, SLIDE, "2026-02-03T21:50:00Z").await;
    let spec = |dir: &Path| personal_alerts(dir)[0].spec.clone();
    assert_eq!(spec(dir.path()), "NVDA below 185");
    let notices = || -> Vec<String> {
        tg.sent_to(42)
            .into_iter()
            .map(|m| support::strip_tags(&m.text))
            .filter(|t| t.starts_with("✂️"))
            .collect()
    };
    assert_eq!(notices().len(), 1, "{:?}", notices());
    assert!(
        notices()[0].contains("NVDA split 10-for-1")
            && notices()[0].contains("it is now NVDA below 185 (was NVDA below 1850)"),
        "{}",
        notices()[0]
    );
    assert!(tg.alerts_to(42).is_empty(), "188 is above 185");

    // After the close NVDA slips to 184: through 185, the level the chat meant.
    let slips = payloads::yahoo_chart(
        "NVDA",
        188.9,
        188.0,
        1_770_066_001 + 86_400,
        &next_day_bars(189.4, 188.0, 184.0, 10),
    );
    origin.set(
        CHART,
        Reply::ok("application/json", with_split(slips, 1_770_129_000, 10, 1)),
    );
    run(dir.path(), &tg, &origin, SLIDE, "2026-02-03T22:30:00Z").await;
    let fired = alert_texts(&tg);
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert!(fired[0].contains("#1 NVDA below 185"), "{}", fired[0]);
    assert_eq!(notices().len(), 1, "the split is taken in once");
    assert_eq!(spec(dir.path()), "NVDA below 185");
}

/// The 2nd in old shares with `alert` set by chat 42, then the 3rd after the ten-for-one
/// split (its prices ease from 189.4 to 188.0: through 188.5, 1 885 in old shares). The
/// messages chat 42 got on the 3rd, and its alerts as stored.
async fn split_day_with_alert(alert: &str) -> (Vec<String>, Vec<PersonalAlert>) {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    origin.set(CHART, Reply::ok("application/json", second_in_old_shares()));
    let second = "2026-02-02T21:50:00Z".parse().unwrap();
    let set = run_with(dir.path(), &tg, &origin, SLIDE, false, second, 3, &[alert]).await;
    assert!(set[0].contains("#1"), "{set:?}");
    let before = tg.sent_to(42).len();
    origin.set(
        CHART,
        Reply::ok("application/json", third_in_new_shares(true)),
    );
    run(dir.path(), &tg, &origin, SLIDE, "2026-02-03T21:50:00Z").await;
    let texts = tg
        .sent_to(42)
        .into_iter()
        .skip(before)
        .map(|m| support::strip_tags(&m.text))
        .collect();
    (texts, personal_alerts(dir.path()))
}

/// The personal alerts of chat 42 in the store of the bot that ran in `dir`.
fn personal_alerts(dir: &Path) -> Vec<PersonalAlert> {
    let store = marketbot::store::Store::open(&dir.join("data"), 8 << 20).unwrap();
    store.personal_alerts_of(42).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_shot_alert_spent_by_the_first_new_prices_is_not_said_to_keep_watching() {
    let (texts, stored) = split_day_with_alert("/alert NVDA below 1885 once").await;
    assert!(stored.is_empty(), "it fired and went: {stored:?}");
    assert!(
        texts.iter().any(|t| t.contains("Rule: personal-42-1")),
        "{texts:#?}"
    );
    assert!(
        !texts.iter().any(|t| t.contains("keeps watching")),
        "{texts:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_split_notice_comes_before_an_alert_fired_at_the_restated_level() {
    let (texts, _) = split_day_with_alert("/alert NVDA below 1885").await;
    let notice = texts.iter().position(|t| t.starts_with("✂️"));
    let alert = texts.iter().position(|t| t.contains("Rule: personal-42-1"));
    assert!(notice.is_some() && alert.is_some(), "{texts:#?}");
    assert!(notice < alert, "the alert came first: {texts:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_edited_on_the_ex_date_is_not_restated_again() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    origin.set(CHART, Reply::ok("application/json", second_in_old_shares()));
    run_with(
        dir.path(),
        &tg,
        &origin,
        SLIDE,
        false,
        "2026-02-02T21:50:00Z".parse().unwrap(),
        1,
        &["/alert NVDA below 1850"],
    )
    .await;
    // 08:00 in New York on the 3rd, the ex-date, the 2nd's chart still served: the chat
    // moves its level to the new shares itself.
    let edited = run_with(
        dir.path(),
        &tg,
        &origin,
        SLIDE,
        false,
        "2026-02-03T13:00:00Z".parse().unwrap(),
        1,
        &["/edit 1 NVDA below 185"],
    )
    .await;
    assert!(edited[0].contains("185"), "{edited:?}");
    origin.set(
        CHART,
        Reply::ok("application/json", third_in_new_shares(true)),
    );
    run(dir.path(), &tg, &origin, SLIDE, "2026-02-03T21:50:00Z").await;
    assert_eq!(personal_alerts(dir.path())[0].spec, "NVDA below 185");
}

const SPARK: &str = "/v8/finance/spark";
const AAPL_CHART: &str = "/v8/finance/chart/AAPL";

/// AAPL's chart: `chart`, NVDA's, told of AAPL.
fn as_aapl(chart: String) -> String {
    chart.replace("\"NVDA\"", "\"AAPL\"")
}

/// The 2nd, 21:50 UTC: AAPL, a symbol on demand, around 1 890 in old shares, and chat 42's
/// personal alert below 1 500 on it; the bot stopped once it has polled AAPL's prices.
async fn alert_on_aapl_in_old_shares(dir: &Path, tg: &FakeTelegram, origin: &Origin) {
    origin.set(CHART, Reply::ok("application/json", second_in_old_shares()));
    origin.set(
        AAPL_CHART,
        Reply::ok("application/json", as_aapl(second_in_old_shares())),
    );
    let old = payloads::seed_day_bars(1905.0, 1889.0, 1890.0);
    origin.set(
        SPARK,
        Reply::ok(
            "application/json",
            payloads::yahoo_spark(&[("AAPL", 1917.9, &old)]),
        ),
    );
    let bot = RunningBot::start(
        bot_config(dir, tg, origin, SLIDE, false),
        "2026-02-02T21:50:00Z".parse().unwrap(),
    );
    start_chat(tg, 42).await;
    let set = support::ask(tg, 42, "/alert AAPL below 1500").await;
    assert!(set.contains("AAPL"), "{set}");
    eventually(
        Duration::from_secs(10),
        "AAPL polled",
        sparks_polled(origin),
    )
    .await;
    bot.stop().await;
}

/// AAPL's spark answer on the 3rd: a tenth, as after a ten-for-one split.
fn aapl_in_new_shares() -> Reply {
    let new = next_day_bars(189.4, 188.0, 188.1, 10);
    Reply::ok(
        "application/json",
        payloads::yahoo_spark(&[("AAPL", 188.9, &new)]),
    )
}

/// Whether the spark endpoint was asked three times more than when this was called.
fn sparks_polled(origin: &Origin) -> impl FnMut() -> Option<()> {
    let (origin, from) = (origin.clone(), origin.hits(SPARK));
    move || (origin.hits(SPARK) >= from + 3).then_some(())
}

/// Runs the bot in `dir` from `at` until it has polled the spark endpoint three times more.
async fn poll_sparks_from(dir: &Path, tg: &FakeTelegram, origin: &Origin, at: &str) {
    let polled = sparks_polled(origin);
    let bot = RunningBot::start(
        bot_config(dir, tg, origin, SLIDE, false),
        at.parse().unwrap(),
    );
    eventually(Duration::from_secs(10), "AAPL polled again", polled).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    bot.stop().await;
}

/// AAPL's stored bars still in old shares.
fn aapl_in_old_shares(dir: &Path) -> Vec<Bar> {
    marketbot::store::Store::open(&dir.join("data"), 8 << 20)
        .unwrap()
        .bars_of("AAPL")
        .unwrap()
        .into_iter()
        .filter(|b| b.close.is_some_and(|c| c > 1000.0))
        .collect()
}

/// AAPL, a symbol on demand (fetched with Yahoo's spark endpoint, which reports no splits),
/// with a personal alert below 1 500: on the 2nd around 1 890 in old shares, on the 3rd a
/// tenth after a ten-for-one split (reported by its chart when `reported`). What chat 42 was
/// sent on the 3rd about AAPL, and AAPL's stored bars.
async fn split_on_demand(reported: bool) -> (Vec<String>, Vec<Bar>) {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    alert_on_aapl_in_old_shares(dir.path(), &tg, &origin).await;
    let before = tg.sent_to(42).len();

    origin.set(
        AAPL_CHART,
        Reply::ok("application/json", as_aapl(third_in_new_shares(reported))),
    );
    origin.set(SPARK, aapl_in_new_shares());
    let charts = origin.hits(AAPL_CHART);
    poll_sparks_from(dir.path(), &tg, &origin, "2026-02-03T21:50:00Z").await;
    assert_eq!(
        origin.hits(AAPL_CHART),
        charts + 1,
        "its chart asked once, when the price jumped"
    );
    let sent = tg.sent_to(42)[before..]
        .iter()
        .map(|m| m.text.clone())
        .filter(|t| t.contains("AAPL"))
        .collect();
    (sent, aapl_in_old_shares(dir.path()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symbol_on_demand_that_split_is_restated_not_taken_for_a_crash() {
    let (sent, old_shares) = split_on_demand(true).await;
    // No alert: the chat is told its alert's level was restated, as for a configured symbol.
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].contains("split 10-for-1") && sent[0].contains("<code>AAPL below 150</code>"),
        "{sent:?}"
    );
    assert!(old_shares.is_empty(), "{old_shares:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symbol_on_demand_whose_chart_reports_no_split_fell() {
    // The same prices, and the chart says no split: a fall, and the alert says so.
    let (sent, _) = split_on_demand(false).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].contains("1500") || sent[0].contains("1 500"),
        "{sent:?}"
    );
}

/// AAPL on demand, on the 3rd first in the pre-market (its chart reports the split only from
/// the open), then in the evening, a restart between.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symbol_on_demand_whose_split_its_chart_reports_from_the_open_is_restated() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    alert_on_aapl_in_old_shares(dir.path(), &tg, &origin).await;

    // 08:40 in New York on the 3rd: the pre-market trades in new shares, and the chart does
    // not report the split before the open.
    origin.set(SPARK, aapl_in_new_shares());
    for (at, reported) in [
        ("2026-02-03T13:40:00Z", false),
        ("2026-02-03T21:50:00Z", true),
    ] {
        origin.set(
            AAPL_CHART,
            Reply::ok("application/json", as_aapl(third_in_new_shares(reported))),
        );
        poll_sparks_from(dir.path(), &tg, &origin, at).await;
    }
    // From the open the chart reports the split: it is taken in, the alert's level with it.
    assert_eq!(personal_alerts(dir.path())[0].spec, "AAPL below 150");
    let old_shares = aapl_in_old_shares(dir.path());
    assert!(old_shares.is_empty(), "{old_shares:?}");
}

/// AAPL and MSFT on demand jump on the 3rd; Yahoo rate-limits AAPL's chart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_chart_puts_off_the_other_symbols_charts_on_demand() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    const MSFT_CHART: &str = "/v8/finance/chart/MSFT";
    origin.set(CHART, Reply::ok("application/json", second_in_old_shares()));
    for (path, symbol) in [(AAPL_CHART, "\"AAPL\""), (MSFT_CHART, "\"MSFT\"")] {
        origin.set(
            path,
            Reply::ok(
                "application/json",
                second_in_old_shares().replace("\"NVDA\"", symbol),
            ),
        );
    }
    let old = payloads::seed_day_bars(1905.0, 1889.0, 1890.0);
    origin.set(
        SPARK,
        Reply::ok(
            "application/json",
            payloads::yahoo_spark(&[("AAPL", 1917.9, &old), ("MSFT", 1917.9, &old)]),
        ),
    );
    let bot = RunningBot::start(
        bot_config(dir.path(), &tg, &origin, SLIDE, false),
        "2026-02-02T21:50:00Z".parse().unwrap(),
    );
    start_chat(&tg, 42).await;
    for alert in ["/alert AAPL below 1500", "/alert MSFT below 1500"] {
        let set = support::ask(&tg, 42, alert).await;
        assert!(set.contains("#"), "{set}");
    }
    let sparks = origin.hits(SPARK);
    eventually(Duration::from_secs(10), "polled", || {
        (origin.hits(SPARK) >= sparks + 2).then_some(())
    })
    .await;
    bot.stop().await;

    let new = next_day_bars(189.4, 188.0, 188.1, 10);
    origin.set(
        SPARK,
        Reply::ok(
            "application/json",
            payloads::yahoo_spark(&[("AAPL", 188.9, &new), ("MSFT", 188.9, &new)]),
        ),
    );
    origin.set(
        AAPL_CHART,
        Reply::status(429, "text/plain", "Too Many Requests"),
    );
    let (aapl, msft) = (origin.hits(AAPL_CHART), origin.hits(MSFT_CHART));
    let bot = RunningBot::start(
        bot_config(dir.path(), &tg, &origin, SLIDE, false),
        "2026-02-03T21:50:00Z".parse().unwrap(),
    );
    eventually(Duration::from_secs(10), "AAPL's chart asked", || {
        (origin.hits(AAPL_CHART) > aapl).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    bot.stop().await;
    assert_eq!(
        origin.hits(MSFT_CHART),
        msft,
        "asking on while rate-limited only prolongs it"
    );
}

/// Chat 42 says /start to a bot just started, and has its answer.
async fn started(tg: &FakeTelegram) {
    let before = tg.sent_to(42).len();
    start_chat(tg, 42).await;
    eventually(Duration::from_secs(10), "the /start reply", || {
        (tg.sent_to(42).len() > before).then_some(())
    })
    .await;
}

/// AAPL quoted on the 2nd in old shares and again on the 3rd, after its ten-for-one split,
/// nothing fetching it in between: the quote's chart reports the split, and what was stored
/// before it is restated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quote_of_a_symbol_not_fetched_since_its_split_restates_its_prices() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    origin.set(CHART, Reply::ok("application/json", second_in_old_shares()));
    origin.set(
        AAPL_CHART,
        Reply::ok("application/json", as_aapl(second_in_old_shares())),
    );
    origin.set(
        SPARK,
        Reply::status(500, "text/plain", "not asked for here"),
    );
    let mut config = bot_config(dir.path(), &tg, &origin, SLIDE, false);
    config.symbols.limits.keep_quoted = Duration::from_secs(60);
    let bot = RunningBot::start(config.clone(), "2026-02-02T21:50:00Z".parse().unwrap());
    started(&tg).await;
    let quote = support::ask(&tg, 42, "/quote AAPL").await;
    assert!(quote.contains("1889.00"), "{quote}");
    bot.stop().await;
    assert!(!aapl_in_old_shares(dir.path()).is_empty());

    origin.set(
        AAPL_CHART,
        Reply::ok("application/json", as_aapl(third_in_new_shares(true))),
    );
    let charts = origin.hits(AAPL_CHART);
    let bot = RunningBot::start(config, "2026-02-03T21:50:00Z".parse().unwrap());
    started(&tg).await;
    let quote = support::ask(&tg, 42, "/quote AAPL").await;
    assert!(quote.contains("188.00"), "{quote}");
    assert_eq!(origin.hits(AAPL_CHART), charts + 1, "fetched for the quote");
    bot.stop().await;
    let old_shares = aapl_in_old_shares(dir.path());
    assert!(old_shares.is_empty(), "{old_shares:?}");
}
