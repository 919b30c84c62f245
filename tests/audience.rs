//! Many chats save personal alerts at once, against a fake Bot API that enforces Telegram's
//! limits: every command is answered (no 429), each crossed alert reaches its chat once, and
//! the alerts are all there after a restart. `cargo bench --bench audience` runs it with 200
//! chats × 20 alerts and times it.

mod support;

use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_chats_saving_alerts_at_once_are_all_answered_and_each_alert_fires_once() {
    let storm = support::audience::alert_storm(20, 4, Duration::from_secs(120)).await;
    eprintln!("{storm:?}");
    assert_eq!(storm.answered, 80, "{storm:?}");
    assert_eq!(storm.refused, 0, "no 429s: {storm:?}");
    assert_eq!(
        storm.fired.len(),
        20,
        "every chat's crossed alert: {storm:?}"
    );
    assert_eq!(storm.duplicates(), 0, "{storm:?}");
    assert_eq!(storm.stored, 80);
    assert!(storm.listed_after_restart, "{storm:?}");
}
