//! One alert to many chats against a fake Bot API that enforces Telegram's limits (30
//! messages a second, one a second per chat): no 429s, every chat served exactly once — also
//! when the bot is killed with SIGKILL in the middle and started again. The same run with
//! 2 000 chats, timed, is `cargo bench --bench fanout`.

mod support;

use std::time::Duration;

use support::fanout;
use support::telegram::{FakeTelegram, Limits, TOKEN};

/// Prints the figures and checks what holds in every run: no 429s, every chat served.
fn check(report: &fanout::Report) {
    eprintln!(
        "served {} chats in {:?} (minimum {:?}), {} duplicate(s), {} refused, {} before the kill",
        report.per_chat.len(),
        report.spread,
        report.minimum,
        report.duplicates(),
        report.refused,
        report.before_kill
    );
    assert_eq!(report.refused, 0, "no 429s: {report:?}");
    assert_eq!(report.missing(), 0, "every chat is served: {report:?}");
}

// One test, the runs one after the other: two bots pacing at once on two cores would measure
// the machine, not the bot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_out_keeps_the_limits_and_serves_every_chat_once_even_across_a_kill() {
    let report = fanout::run(90, None, Duration::from_secs(60)).await;
    check(&report);
    assert_eq!(report.duplicates(), 0, "{report:?}");

    let report = fanout::run(90, Some(30), Duration::from_secs(60)).await;
    assert!(
        report.before_kill >= 30 && report.before_kill < 90,
        "{report:?}"
    );
    check(&report);
    // Only a message accepted by Telegram but not yet marked sent when the process died can
    // go out twice.
    assert!(report.duplicates() <= 1, "{report:?}");
}

/// The fake's limits bite, so "no 429s" above says something about the bot: sends that
/// ignore them — a burst to many chats, two at once to one chat — are refused.
#[tokio::test]
async fn the_fake_refuses_sends_beyond_telegrams_limits() {
    let tg = FakeTelegram::with_limits(Limits::default()).await;
    let client = reqwest::Client::new();
    let send = |chat: i64| {
        client
            .post(format!("{}/bot{TOKEN}/SendMessage", tg.url()))
            .json(&serde_json::json!({"chat_id": chat, "text": "burst"}))
            .send()
    };
    for chat in 0..40 {
        let status = send(1_000 + chat).await.unwrap().status().as_u16();
        assert_eq!(status, if chat < 30 { 200 } else { 429 }, "send {chat}");
    }
    assert_eq!(tg.refused(), 10);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(send(5_000).await.unwrap().status().as_u16(), 200);
    assert_eq!(send(5_000).await.unwrap().status().as_u16(), 429);
    assert_eq!(tg.refused(), 11);
}
