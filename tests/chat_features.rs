//! What price-alert users ask for, against the fake Bot API, in English and German: `/quote`
//! for up to ten symbols in one message, `/history` with its pages, and `/pause`, `/resume`,
//! `/edit` of personal alerts — wrong arguments answered with an example.

use crate::support;

use std::time::Duration;

use marketbot::engine::{Alert, EngineState, HeadlineRef};
use marketbot::rules::Severity;
use marketbot::store::{Step, Store};
use support::origin::{Origin, Reply};
use support::payloads::{seed_day_bars, yahoo_chart};
use support::telegram::FakeTelegram;
use support::{
    RunningBot, ask, bot_config_text, config, eventually, release_seed_story, seed_evening,
    serve_nvda_at, serve_quiet_evening, serve_quiet_prices, start_chat, strip_tags,
};

/// The ten symbols of `/quote`, with their previous close and last price.
const TEN: [(&str, f64, f64); 10] = [
    ("NVDA", 191.79, 189.9),
    ("AMD", 246.0, 244.1),
    ("TSM", 330.5, 334.2),
    ("AVGO", 331.0, 325.6),
    ("MSFT", 423.4, 411.2),
    ("META", 716.5, 705.3),
    ("GOOGL", 343.7, 339.9),
    ("AMZN", 239.3, 242.9),
    ("AAPL", 259.5, 270.0),
    ("TSLA", 430.4, 421.8),
];

fn serve_ten(origin: &Origin) {
    for (symbol, previous, last) in TEN {
        origin.set(
            &format!("/v8/finance/chart/{symbol}"),
            Reply::ok(
                "application/json",
                yahoo_chart(
                    symbol,
                    previous,
                    last,
                    1_770_066_001,
                    &seed_day_bars(previous, last, last),
                ),
            ),
        );
    }
}

/// The test config: Yahoo for the ten symbols, replies not paced a second apart.
fn ten_symbols_config(tg: &FakeTelegram, origin: &Origin) -> String {
    let symbols = TEN
        .iter()
        .map(|(s, _, _)| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ");
    bot_config_text(
        tg,
        origin,
        "chat_interval = \"20ms\"\ncommands_per_minute = 600\n",
    )
    .replacen(
        "symbols = [\"NVDA\", \"AMD\"]",
        &format!("symbols = [{symbols}]"),
        1,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_quote_message_for_ten_symbols_in_english_and_german() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    serve_ten(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(
        config(dir.path(), &ten_symbols_config(&tg, &origin)),
        seed_evening(),
    );
    let all = TEN.map(|(s, _, _)| s).join(" ");
    let ask_all = format!("/quote {all}");
    // Until every price is in.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let reply = loop {
        let r = strip_tags(&ask(&tg, 7, &ask_all).await);
        if !r.contains("no price yet") {
            break r;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "prices missing: {r}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let lines: Vec<&str> = reply.lines().collect();
    assert_eq!(lines.len(), 10, "one line per symbol: {reply}");
    for ((symbol, _, _), line) in TEN.iter().zip(&lines) {
        assert!(line.starts_with(&format!("{symbol} ")), "{line}");
    }
    assert!(
        lines[0].contains("NVDA 189.90 USD (−0.99 %)"),
        "{}",
        lines[0]
    );
    assert!(
        lines[8].contains("AAPL 270.00 USD (+4.05 %)"),
        "{}",
        lines[8]
    );

    // Eleven is one too many; a word that is no symbol is shown with an example.
    let eleven = strip_tags(&ask(&tg, 7, &format!("/quote {all} ARM")).await);
    assert!(
        eleven.contains("At most 10 symbols") && eleven.contains("/quote NVDA AMD TSM"),
        "{eleven}"
    );
    let bad = strip_tags(&ask(&tg, 7, "/quote NVDA $$$").await);
    assert!(bad.contains("/quote NVDA AMD TSM"), "{bad}");

    // A chart as candles, asked for by name; a word it does not know gets an example.
    let chart = support::ask_as(&tg, 7, 7, "/chart NVDA 1d candles").await;
    assert!(chart.is_photo(), "{}", chart.text);
    let wrong = strip_tags(&ask(&tg, 7, "/chart NVDA weekly").await);
    assert!(
        wrong.contains("/chart NVDA 5d") && wrong.contains("candles"),
        "{wrong}"
    );

    // In German: decimal commas, the same lines.
    start_chat(&tg, 8).await;
    ask(&tg, 8, "/settings lang de").await;
    let de = strip_tags(&ask(&tg, 8, "/quote NVDA AAPL").await);
    assert!(de.contains("NVDA 189,90 USD (−0,99 %)"), "{de}");
    assert!(de.contains("AAPL 270,00 USD (+4,05 %)"), "{de}");
    let de_eleven = strip_tags(&ask(&tg, 8, &format!("/quote {all} ARM")).await);
    assert!(de_eleven.contains("Höchstens 10 Symbole"), "{de_eleven}");
    bot.stop().await;
}

/// Alerts 1…`n` as the chat received them before: text-only, each with its headline.
pub(crate) fn seed_history(dir: &std::path::Path, chat: i64, n: u64) {
    let store = Store::open(&dir.join("data"), 8 << 20).unwrap();
    let alerts: Vec<Alert> = (1..=n)
        .map(|id| Alert {
            id,
            rule: "chip-export-curbs".into(),
            title: format!("Export curbs, story {id}"),
            severity: Severity::Medium,
            symbol: Some("NVDA".into()),
            fired_at: seed_evening() - chrono::Duration::hours(48 - id as i64),
            headline: Some(HeadlineRef {
                title: format!("Story number {id} about chips"),
                link: Some(format!("https://news.example/{id}")),
                source: "Wire".into(),
                published: seed_evening() - chrono::Duration::hours(48 - id as i64),
            }),
            also: vec![],
            matched: vec![],
            held: vec![],
            price: None,
            within_secs: 0,
        })
        .collect();
    // The engine numbers its next alert after them.
    let state = EngineState {
        next_alert: 100,
        ..EngineState::default()
    };
    store
        .commit(&Step {
            now: seed_evening(),
            engine: Some(&state),
            alerts,
            ..Step::default()
        })
        .unwrap();
    for id in 1..=n {
        store
            .record_sent(
                id,
                &marketbot::delivery::outbox::SentMessage {
                    chat,
                    part: 0,
                    message: 1000 + id as i32,
                    photo: false,
                },
                seed_evening(),
            )
            .unwrap();
    }
    store.flush().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_lists_the_chats_alerts_newest_first_with_pages_in_english_and_german() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    let dir = tempfile::tempdir().unwrap();
    seed_history(dir.path(), 7, 24);
    let text = bot_config_text(
        &tg,
        &origin,
        "chat_interval = \"20ms\"\ncommands_per_minute = 600\n",
    );
    let bot = RunningBot::start(config(dir.path(), &text), seed_evening());
    start_chat(&tg, 7).await;
    start_chat(&tg, 9).await;
    release_seed_story(&origin);
    eventually(Duration::from_secs(15), "the seed alert", || {
        tg.alerts_to(7).first().cloned()
    })
    .await;

    // The default: the ten newest, the live alert first, with its move and link (the live
    // alert is the chat's history once its send is stored, a moment after Telegram has it).
    let first = support::ask_until(&tg, 7, 7, "/history", |m| {
        strip_tags(&m.text).contains("NVDA −2.81 %")
    })
    .await;
    let plain = strip_tags(&first.text);
    assert!(plain.starts_with("Recent alerts"), "{plain}");
    assert!(plain.contains("NVDA −2.81 %"), "{plain}");
    assert!(first.text.contains("<a href=\"https://"), "{}", first.text);
    assert!(plain.contains("Story number 24"), "{plain}");
    assert!(!plain.contains("Story number 15 "), "ten only: {plain}");
    let newest = plain.find("NVDA −2.81 %").unwrap();
    assert!(
        newest < plain.find("Story number 24").unwrap(),
        "newest first"
    );

    // Twenty-five in pages of ten: the buttons turn them in place.
    let paged = support::ask_as(&tg, 7, 7, "/history 25").await;
    assert!(strip_tags(&paged.text).starts_with("Recent alerts (1/3)"));
    let buttons = paged.buttons();
    assert_eq!(
        buttons.len(),
        1,
        "only older from the first page: {buttons:?}"
    );
    assert_eq!(buttons[0].0, "Older ▶");
    tg.press(7, 7, paged.message_id, &buttons[0].1);
    let (_, page2) = eventually(Duration::from_secs(10), "page 2", || {
        tg.edits_to(7)
            .into_iter()
            .find(|(m, _)| *m == paged.message_id)
    })
    .await;
    let page2 = strip_tags(&page2);
    assert!(page2.starts_with("Recent alerts (2/3)"), "{page2}");
    assert!(
        page2.contains("Story number 15") && !page2.contains("Story number 16 "),
        "{page2}"
    );
    // Forged data cannot reach another chat's history: chat 9 only sees its own.
    tg.press(9, 9, 1, &buttons[0].1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(tg.edits_to(9).iter().all(|(_, t)| !t.contains("Story")));

    // Wrong counts get an example; a chat without alerts is told so.
    let wrong = strip_tags(&ask(&tg, 7, "/history 500").await);
    assert!(wrong.contains("/history 20"), "{wrong}");
    let none = strip_tags(&ask(&tg, 11, "/history").await);
    assert_eq!(none, "No alerts here in the last 30 days.");
    ask(&tg, 11, "/settings lang de").await;
    let keine = strip_tags(&ask(&tg, 11, "/history").await);
    assert_eq!(
        keine,
        "Hier gab es in den letzten 30 Tagen keine Meldungen."
    );
    ask(&tg, 7, "/settings lang de").await;
    let de = strip_tags(&ask(&tg, 7, "/history 12").await);
    assert!(de.starts_with("Letzte Meldungen (1/2)"), "{de}");
    assert!(de.contains("NVDA −2,81"), "{de}");
    let de_wrong = strip_tags(&ask(&tg, 7, "/history null").await);
    assert!(de_wrong.contains("Beispiel: /history 20"), "{de_wrong}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_alert_stays_quiet_an_edit_keeps_its_number_and_resume_turns_it_on() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();
    let text = bot_config_text(
        &tg,
        &origin,
        "chat_interval = \"20ms\"\ncommands_per_minute = 600\n",
    );
    let bot = RunningBot::start(config(dir.path(), &text), seed_evening());
    const CHAT: i64 = 42;

    let made = strip_tags(&ask(&tg, CHAT, "/alert NVDA drop 3%").await);
    assert!(made.contains("#1"), "{made}");
    ask(&tg, CHAT, "/alert AMD above 400").await;

    // Wrong arguments: an example each.
    let cases = [
        ("/pause", "/pause 1"),
        ("/resume x", "/resume 1"),
        ("/edit", "/edit 1 NVDA drop 5%"),
        ("/edit 1", "/edit 1 NVDA drop 5%"),
        ("/edit 1 NVDA sinks 3%", "/alert NVDA drop 3%"),
    ];
    for (wrong, example) in cases {
        let reply = strip_tags(&ask(&tg, CHAT, wrong).await);
        assert!(reply.contains(example), "{wrong}: {reply}");
    }
    let missing = strip_tags(&ask(&tg, CHAT, "/pause 9").await);
    assert!(missing.contains("There is no alert #9"), "{missing}");

    // Paused: listed as paused, and quiet through a 3.5 % drop.
    let paused = strip_tags(&ask(&tg, CHAT, "/pause 1").await);
    assert!(paused.starts_with("⏸ Alert #1 paused"), "{paused}");
    let again = strip_tags(&ask(&tg, CHAT, "/pause 1").await);
    assert!(again.contains("paused already"), "{again}");
    let list = strip_tags(&ask(&tg, CHAT, "/alerts").await);
    assert!(
        list.contains("#1 NVDA drop 3%") && list.contains("⏸ paused"),
        "{list}"
    );
    assert!(
        !list
            .lines()
            .any(|l| l.contains("#2") && l.contains("paused")),
        "{list}"
    );
    serve_nvda_at(&origin, 185.0);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        tg.alerts_to(CHAT).is_empty(),
        "a paused alert does not fire"
    );

    // Edited: the same number, the new definition, still paused.
    let edited = strip_tags(&ask(&tg, CHAT, "/edit 1 NVDA drop 5%").await);
    assert!(edited.contains("Alert #1 is now NVDA drop 5%"), "{edited}");
    let list = strip_tags(&ask(&tg, CHAT, "/alerts").await);
    assert!(
        list.contains("#1 NVDA drop 5%") && list.contains("⏸ paused"),
        "{list}"
    );
    assert!(!list.contains("drop 3%"), "{list}");

    // Resumed: it fires on the next drop past 5 %.
    let resumed = strip_tags(&ask(&tg, CHAT, "/resume 1").await);
    assert_eq!(resumed, "▶️ Alert #1 is on again.");
    serve_nvda_at(&origin, 181.0);
    let alert = eventually(Duration::from_secs(15), "the resumed alert", || {
        tg.alerts_to(CHAT).first().cloned()
    })
    .await;
    assert!(
        strip_tags(&alert.text).contains("#1 NVDA drop 5%"),
        "{}",
        alert.text
    );

    // In German.
    ask(&tg, CHAT, "/settings lang de").await;
    let de = strip_tags(&ask(&tg, CHAT, "/pause 2").await);
    assert!(de.starts_with("⏸ Alarm #2 pausiert"), "{de}");
    let de_list = strip_tags(&ask(&tg, CHAT, "/alerts").await);
    assert!(de_list.contains("⏸ pausiert"), "{de_list}");
    let de_usage = strip_tags(&ask(&tg, CHAT, "/edit 2").await);
    assert!(
        de_usage.contains("Beispiel: /edit 1 NVDA fällt 5%"),
        "{de_usage}"
    );
    let de_edit = strip_tags(&ask(&tg, CHAT, "/edit 2 AMD above 300").await);
    assert!(
        de_edit.contains("Alarm #2 lautet jetzt AMD über 300"),
        "{de_edit}"
    );
    let de_resume = strip_tags(&ask(&tg, CHAT, "/resume 2").await);
    assert_eq!(de_resume, "▶️ Alarm #2 ist wieder eingeschaltet.");
    bot.stop().await;
}
