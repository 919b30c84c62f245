//! Leading, as the delivery sees it: an instance that may have lost the lease sends nothing
//! more, so the instance that takes over never repeats what it sent.

use crate::support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use marketbot::clock::Clock;
use marketbot::delivery::outbox::{BROADCAST, Delivery, Target};
use marketbot::delivery::{Sender, TelegramSink};
use marketbot::leader::{Leading, STEP_DOWN_AFTER, wait_for_lease};
use marketbot::store::Store;
use marketbot::telegram::pace::{Limits, Pacer};
use support::backend::Faulty;
use support::telegram::{FakeTelegram, TOKEN};
use tokio_util::sync::CancellationToken;

fn now() -> DateTime<Utc> {
    "2026-02-02T21:50:00Z".parse().unwrap()
}

/// The lease runs from the moment the database granted it, which may be long before its
/// answer arrived: leadership ends within [`STEP_DOWN_AFTER`] of the request, so it is over
/// before the lease can have run out and another instance have taken it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leadership_taken_on_a_slow_answer_ends_before_its_lease_can_run_out() {
    let dir = tempfile::tempdir().unwrap();
    let sled = Store::open(dir.path(), 8 << 20).unwrap();
    // Granted when asked, answered later than the first renewal would be due; then the
    // database is out of reach.
    let faulty = Faulty::new(sled.backend())
        .slow_first_lease(STEP_DOWN_AFTER - Duration::from_secs(1))
        .lease_answers(1);
    let store = Store::with_backend(Arc::new(faulty)).unwrap();
    let leading = Leading::waiting("a");
    let stop = CancellationToken::new();
    let asked = Instant::now();
    assert!(wait_for_lease(&store, &leading, &stop).await);
    while leading.is_leading() && asked.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let led = asked.elapsed();
    stop.cancel();
    assert!(
        led <= STEP_DOWN_AFTER + Duration::from_millis(300),
        "led for {led:?} after asking for a lease that may have been granted then \
         (it lasts {:?}; leadership must end within {STEP_DOWN_AFTER:?})",
        marketbot::leader::LEASE
    );
}

/// A lease whose answer came after [`STEP_DOWN_AFTER`] may have run out by then, and another
/// instance have taken it: it is not led on. Asked again (and answered in time), it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_answered_after_leadership_would_have_ended_is_not_led_on() {
    for answers in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let sled = Store::open(dir.path(), 8 << 20).unwrap();
        // Granted when asked, answered a second after leadership taken then would have ended;
        // then `answers - 1` more requests are answered at once, and the database is out of
        // reach for the others.
        let faulty = Faulty::new(sled.backend())
            .slow_first_lease(STEP_DOWN_AFTER + Duration::from_secs(1))
            .lease_answers(answers);
        let store = Store::with_backend(Arc::new(faulty)).unwrap();
        let leading = Leading::waiting("a");
        let stop = CancellationToken::new();
        // Given up well after the late answer came.
        let give_up = {
            let stop = stop.clone();
            tokio::spawn(async move {
                tokio::time::sleep(STEP_DOWN_AFTER + Duration::from_secs(4)).await;
                stop.cancel();
            })
        };
        let led = wait_for_lease(&store, &leading, &stop).await;
        stop.cancel();
        give_up.await.unwrap();
        if answers == 1 {
            assert!(
                !led,
                "led on a lease granted longer ago than leadership may last"
            );
        } else {
            assert!(led, "the lease asked for again was answered in time");
        }
    }
}

/// A send that waited for its chat's turn (a group's twenty messages a minute) past the
/// moment this instance stopped leading is not made: the instance that took over sends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_whose_turn_comes_after_leadership_ended_is_not_sent() {
    let tg = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let sled = Store::open(dir.path(), 8 << 20).unwrap();
    // The lease is granted, then the database cannot be reached to renew it.
    let faulty = Faulty::new(sled.backend()).lease_answers(1);
    let store = Store::with_backend(Arc::new(faulty)).unwrap();
    let leading = Leading::waiting("a");
    let stop = CancellationToken::new();
    let led_from = Instant::now();
    assert!(wait_for_lease(&store, &leading, &stop).await);
    let group = -1_001;
    for text in ["first", "second"] {
        store
            .enqueue(&Delivery::message(
                BROADCAST,
                Target::Telegram(group),
                text.into(),
                now(),
            ))
            .unwrap();
    }
    // Six messages a minute to a group: the second waits ten seconds for its turn, longer
    // than this instance leads.
    let pacer = Arc::new(Pacer::new(Limits {
        group_per_minute: 6,
        ..Limits::default()
    }));
    let bot = marketbot::telegram::bot(TOKEN, tg.url().parse().unwrap());
    let sink = Arc::new(TelegramSink::new(
        bot,
        TOKEN.into(),
        store.clone(),
        false,
        pacer,
    ));
    let sender =
        Sender::new(store.clone(), sink, Clock::anchored(now())).while_leading(leading.clone());
    sender.drain_once().await.unwrap();
    let stepped_down = leading.is_leading();
    stop.cancel();
    assert!(
        !stepped_down,
        "still leading {:?} after the lease was taken",
        led_from.elapsed()
    );
    let texts: Vec<String> = tg.sent_to(group).into_iter().map(|m| m.text).collect();
    assert_eq!(
        texts,
        ["first"],
        "sent after this instance stopped leading: the next leader sends it too"
    );
    let left: Vec<String> = sled
        .outbox()
        .unwrap()
        .into_iter()
        .map(|(_, d)| d.text)
        .collect();
    assert_eq!(
        left,
        ["second"],
        "what was not sent stays for the next leader"
    );
}
