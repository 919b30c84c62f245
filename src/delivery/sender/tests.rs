use std::sync::Mutex as StdMutex;

use futures::future::BoxFuture;

use super::*;
use crate::telegram::flood_control::FloodControl;

/// A sink that answers from a script and records what it was asked to send.
struct Scripted {
    answers: StdMutex<Vec<Result<Option<i32>, SendError>>>,
    sent: StdMutex<Vec<String>>,
    /// Runs during a send (to change the store meanwhile).
    during: Box<dyn Fn() + Send + Sync>,
}

impl Sink for Scripted {
    fn send<'a>(&'a self, d: &'a Delivery) -> BoxFuture<'a, Result<Accepted, SendError>> {
        Box::pin(async move {
            (self.during)();
            self.sent.lock().unwrap().push(d.text.clone());
            let mut answers = self.answers.lock().unwrap();
            let answer = if answers.is_empty() {
                Ok(Some(1))
            } else {
                answers.remove(0)
            };
            answer.map(|message| Accepted::as_asked(d, message))
        })
    }
}

fn delivery(text: &str, created: DateTime<Utc>) -> Delivery {
    Delivery::message(1, Target::Telegram(42), text.into(), created)
}

fn setup(
    answers: Vec<Result<Option<i32>, SendError>>,
    during: impl Fn() + Send + Sync + 'static,
) -> (tempfile::TempDir, Store, Arc<Scripted>, Clock) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let sink = Arc::new(Scripted {
        answers: StdMutex::new(answers),
        sent: StdMutex::default(),
        during: Box::new(during),
    });
    (
        dir,
        store,
        sink,
        Clock::anchored("2026-02-02T21:50:00Z".parse().unwrap()),
    )
}

#[tokio::test(start_paused = true)]
async fn a_chat_whose_first_message_must_wait_sends_nothing_newer() {
    let (_dir, store, sink, clock) =
        setup(vec![Err(SendError::Transient("network".into()))], || {});
    store.enqueue(&delivery("first", clock.now())).unwrap();
    store.enqueue(&delivery("second", clock.now())).unwrap();
    let sender = Sender::new(store.clone(), sink.clone(), clock.clone());
    let wait = sender.drain_once().await.unwrap();
    assert_eq!(*sink.sent.lock().unwrap(), ["first"]);
    sender.drain_once().await.unwrap();
    assert_eq!(
        sink.sent.lock().unwrap().len(),
        1,
        "the second waits behind the first"
    );
    tokio::time::advance(wait + Duration::from_millis(10)).await;
    sender.drain_once().await.unwrap();
    assert_eq!(*sink.sent.lock().unwrap(), ["first", "first", "second"]);
    assert_eq!(store.outbox_len().unwrap(), 0);
}

/// Tries the outbox once, then moves the clock a second past the first delivery's retry.
async fn try_once_then_wait_for_the_retry(sender: &Sender, store: &Store, clock: &Clock) {
    sender.drain_once().await.unwrap();
    let first = store.outbox().unwrap().into_iter().next();
    if let Some(due) = first.and_then(|(_, d)| d.not_before) {
        clock.jump((due - clock.now()).to_std().unwrap() + Duration::from_secs(1));
    }
}

/// Retries each failing delivery at its due time until the outbox holds `left` deliveries;
/// the tries it took.
async fn retry_on_time_until(sender: &Sender, store: &Store, clock: &Clock, left: u64) -> usize {
    let mut tries = 0;
    while store.outbox_len().unwrap() > left {
        assert!(tries < 2000, "never given up");
        try_once_then_wait_for_the_retry(sender, store, clock).await;
        tries += 1;
    }
    tries
}

fn network_failures(n: usize) -> Vec<Result<Option<i32>, SendError>> {
    (0..n)
        .map(|_| Err(SendError::Transient("network".into())))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn transient_failures_keep_a_delivery_for_days_not_attempts() {
    // Regression: a two-hour outage (20 attempts) used to drop every pending alert.
    let (_dir, store, sink, clock) = setup(network_failures(2000), || {});
    store.enqueue(&delivery("alert", clock.now())).unwrap();
    let sender = Sender::new(store.clone(), sink, clock.clone());
    let first = clock.now();
    let tries = retry_on_time_until(&sender, &store, &clock, 0).await;
    let given_up_after = clock.now() - first;
    assert!(
        tries > 400,
        "retried for days, every ten minutes at most: {tries}"
    );
    // Each retry here comes a second past its due time, which does not count.
    let late = chrono::TimeDelta::seconds(tries as i64);
    assert!(
        given_up_after > GIVE_UP_AFTER + late
            && given_up_after < GIVE_UP_AFTER + late + chrono::TimeDelta::minutes(11),
        "given up after days of failures: {given_up_after}"
    );
}

/// A bot that was down for days (or a flood pause, or an older message to the chat failing
/// first) kept a failing delivery from its retries: those days are not its failures. Its
/// next failure does not give it up; three days of being tried do.
#[tokio::test(start_paused = true)]
async fn days_a_failing_delivery_was_not_tried_do_not_give_it_up() {
    let (_dir, store, sink, clock) = setup(network_failures(2000), || {});
    store.enqueue(&delivery("alert", clock.now())).unwrap();
    let sender = Sender::new(store.clone(), sink, clock.clone());
    let first = clock.now();
    for _ in 0..10 {
        try_once_then_wait_for_the_retry(&sender, &store, &clock).await;
    }
    // The bot is down for four days; back, it fails again.
    clock.jump(Duration::from_secs(4 * 24 * 3600));
    try_once_then_wait_for_the_retry(&sender, &store, &clock).await;
    let kept = &store.outbox().unwrap()[0].1;
    assert_eq!(kept.attempts, 11, "kept for another try");
    assert!(kept.failing_since.unwrap() > first + chrono::TimeDelta::days(4));
    retry_on_time_until(&sender, &store, &clock, 0).await;
    let tried_for = clock.now() - first - chrono::TimeDelta::days(4);
    assert!(
        tried_for > GIVE_UP_AFTER,
        "given up after three days of its own retries: {tried_for}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_attempt_keeps_text_changed_while_it_was_sending() {
    // Regression: rescheduling wrote back the copy read before sending.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let clock = Clock::anchored("2026-02-02T21:50:00Z".parse().unwrap());
    let seq = store.enqueue(&delivery("old text", clock.now())).unwrap();
    let writer = store.clone();
    let sink = Arc::new(Scripted {
        answers: StdMutex::new(vec![Err(SendError::Transient("network".into()))]),
        sent: StdMutex::default(),
        during: Box::new(move || {
            writer
                .update_delivery(seq, |d| d.text = "new text".into())
                .unwrap();
        }),
    });
    Sender::new(store.clone(), sink, clock)
        .drain_once()
        .await
        .unwrap();
    let (_, d) = &store.outbox().unwrap()[0];
    assert_eq!(d.text, "new text");
    assert_eq!(d.attempts, 1);
}

#[tokio::test(start_paused = true)]
async fn a_chat_that_muted_or_went_quiet_meanwhile_is_not_sent_what_waited() {
    let (_dir, store, sink, clock) = setup(Vec::new(), || {});
    let now = clock.now();
    let alert = crate::engine::Alert::sample(1, now);
    store
        .commit(&crate::store::Step {
            now,
            alerts: vec![alert.clone()],
            ..Default::default()
        })
        .unwrap();
    let mut muted = crate::chats::Chat::new(42, crate::chats::ChatKind::Private, "a".into(), now);
    muted.rules.insert(alert.rule.clone());
    muted.mutes.push(crate::chats::Mute {
        what: crate::chats::MuteTarget::Symbol("NVDA".into()),
        until: now + chrono::TimeDelta::days(1),
    });
    store.put_chat(&muted).unwrap();
    let mut quiet = crate::chats::Chat {
        id: 43,
        mutes: Vec::new(),
        ..muted.clone()
    };
    quiet.settings.quiet = Some((
        chrono::NaiveTime::from_hms_opt(21, 0, 0).unwrap(),
        chrono::NaiveTime::from_hms_opt(23, 0, 0).unwrap(),
    ));
    store.put_chat(&quiet).unwrap();
    store.enqueue(&delivery("to the muted chat", now)).unwrap();
    store
        .enqueue(&Delivery {
            target: Target::Telegram(43),
            ..delivery("to the quiet chat", now)
        })
        .unwrap();
    Sender::new(store.clone(), sink.clone(), clock.clone())
        .drain_once()
        .await
        .unwrap();
    assert!(sink.sent.lock().unwrap().is_empty());
    let left = store.outbox().unwrap();
    assert_eq!(left.len(), 1, "the muted chat's message is dropped");
    assert_eq!(left[0].1.target, Target::Telegram(43));
    assert_eq!(
        left[0].1.not_before,
        Some("2026-02-02T23:00:00Z".parse().unwrap()),
        "held until the quiet hours end"
    );
}

/// A long alert goes out in parts; a chat that mutes it (or whose quiet hours begin) after
/// its first part went out still gets the rest, not a message cut in half.
#[tokio::test(start_paused = true)]
async fn a_message_split_in_parts_goes_out_whole_when_the_chat_mutes_between_its_parts() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let clock = Clock::anchored("2026-02-02T21:50:00Z".parse().unwrap());
    let now = clock.now();
    let alert = crate::engine::Alert::sample(1, now);
    store
        .commit(&crate::store::Step {
            now,
            alerts: vec![alert.clone()],
            ..Default::default()
        })
        .unwrap();
    let mut chat = crate::chats::Chat::new(42, crate::chats::ChatKind::Private, "a".into(), now);
    chat.rules.insert(alert.rule.clone());
    store.put_chat(&chat).unwrap();
    // The chat mutes the symbol while the first part is on the wire.
    let muting = store.clone();
    let sink = Arc::new(Scripted {
        answers: StdMutex::new(Vec::new()),
        sent: StdMutex::default(),
        during: Box::new(move || {
            muting
                .update_chat(42, |c| {
                    if c.mutes.is_empty() {
                        c.mutes.push(crate::chats::Mute {
                            what: crate::chats::MuteTarget::Symbol("NVDA".into()),
                            until: now + chrono::TimeDelta::days(1),
                        });
                    }
                })
                .unwrap();
        }),
    });
    store.enqueue(&delivery("part one", now)).unwrap();
    store.enqueue(&delivery("part two", now)).unwrap();
    Sender::new(store.clone(), sink.clone(), clock.clone())
        .drain_once()
        .await
        .unwrap();
    assert_eq!(
        *sink.sent.lock().unwrap(),
        ["part one", "part two"],
        "the chat got half a message"
    );
    assert!(store.outbox().unwrap().is_empty());
}

/// Telegram's flood control (`429`, retry after a minute) stops all sending for that long; a
/// bot restarted meanwhile (or another instance taking over) waits out the rest of it too,
/// instead of sending at once and earning a longer ban. The pause is on Telegram's time,
/// whatever the bot's clock (`run --clock-start`): here it runs years ahead before the restart
/// and years behind after it, and the rest waited out is exactly Telegram's.
#[tokio::test(start_paused = true)]
async fn a_flood_pause_outlasts_a_restart() {
    let (_dir, store, sink, telegram) = setup(
        vec![Err(SendError::RetryAfter(Duration::from_secs(60)))],
        || {},
    );
    let flood = || FloodControl::kept_in(store.clone()).on(telegram.clone());
    let ahead = Clock::anchored("2035-06-01T12:00:00Z".parse().unwrap());
    store.enqueue(&delivery("refused", ahead.now())).unwrap();
    Sender::new(store.clone(), sink.clone(), ahead)
        .with_flood_control(flood())
        .drain_once()
        .await
        .unwrap();
    assert_eq!(*sink.sent.lock().unwrap(), ["refused"]);
    assert_eq!(
        store.flood_pause().unwrap(),
        Some(telegram.now() + chrono::TimeDelta::seconds(60)),
        "recorded on Telegram's time"
    );
    // Restarted ten seconds later, with a message to another chat waiting too.
    telegram.jump(Duration::from_secs(10));
    let behind = Clock::anchored("2020-06-01T12:00:00Z".parse().unwrap());
    store
        .enqueue(&Delivery {
            target: Target::Telegram(43),
            ..delivery("to another chat", behind.now())
        })
        .unwrap();
    let restarted = Sender::new(store.clone(), sink.clone(), behind).with_flood_control(flood());
    let wait = restarted.drain_once().await.unwrap();
    assert_eq!(
        *sink.sent.lock().unwrap(),
        ["refused"],
        "sent during the flood pause after a restart"
    );
    assert_eq!(wait, Duration::from_secs(50), "woken when the pause ends");
    telegram.jump(Duration::from_secs(51));
    restarted.drain_once().await.unwrap();
    let mut sent = sink.sent.lock().unwrap().clone();
    sent.sort();
    assert_eq!(sent, ["refused", "refused", "to another chat"]);
    assert_eq!(store.outbox_len().unwrap(), 0);
}

/// An outbox entry that does not decode (written by a later version, say) is kept, and
/// reported once — not at every pass of the sender, every few seconds — and counted.
#[tokio::test(start_paused = true)]
async fn an_outbox_entry_that_does_not_decode_is_reported_once_and_counted() {
    let (_dir, store, sink, clock) = setup(vec![], || {});
    store
        .backend()
        .insert(
            crate::store::kv::Tree::Outbox,
            &1_000_000u64.to_be_bytes(),
            br#"{"target": {"pigeon": 7}, "text": "of a later version"}"#,
        )
        .unwrap();
    store.enqueue(&delivery("readable", clock.now())).unwrap();
    let (logs, _guard) = crate::logging::Logs::capture();
    let sender = Sender::new(store.clone(), sink.clone(), clock.clone());
    for _ in 0..3 {
        sender.drain_once().await.unwrap();
        tokio::time::advance(Duration::from_secs(1)).await;
    }
    assert_eq!(*sink.sent.lock().unwrap(), ["readable"]);
    assert_eq!(
        store.outbox_len().unwrap(),
        1,
        "the unreadable entry is kept"
    );
    assert_eq!(logs.lines_with("does not decode"), 1, "reported once");
    assert_eq!(store.undecodable_deliveries(), 1);
    // Gone (the version that wrote it dealt with it): no longer counted.
    store
        .backend()
        .remove(crate::store::kv::Tree::Outbox, &1_000_000u64.to_be_bytes())
        .unwrap();
    sender.drain_once().await.unwrap();
    assert_eq!(store.undecodable_deliveries(), 0);
}

/// A message that waited its turn for days behind an older one failing for days is not given
/// up at its own first failure: the three days of failures that give a delivery up are its
/// own, counted from its first failure, not from when it was queued.
#[tokio::test(start_paused = true)]
async fn a_message_that_waited_behind_a_failing_one_gets_its_own_days_of_retries() {
    let (_dir, store, sink, clock) = setup(network_failures(2000), || {});
    store.enqueue(&delivery("older", clock.now())).unwrap();
    let newer = store.enqueue(&delivery("newer", clock.now())).unwrap();
    let sender = Sender::new(store.clone(), sink.clone(), clock.clone());
    // Days of failures: the older one is given up.
    let tries = retry_on_time_until(&sender, &store, &clock, 1).await;
    sink.answers.lock().unwrap().truncate(1);
    // The newer one's first attempt fails too: it is tried again later, not dropped.
    sender.drain_once().await.unwrap();
    let sent = sink.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), tries + 1);
    assert!(sent[..tries].iter().all(|s| s == "older"));
    assert_eq!(sent[tries], "newer");
    let kept = store.delivery(newer).unwrap().expect("kept for a retry");
    assert_eq!(kept.attempts, 1);
    let due = kept.not_before.unwrap();
    clock.jump((due - clock.now()).to_std().unwrap() + Duration::from_secs(1));
    sender.drain_once().await.unwrap();
    assert_eq!(store.outbox_len().unwrap(), 0, "sent on its retry");
    assert_eq!(sink.sent.lock().unwrap().len(), tries + 2);
}

/// Flood control met by any send — a reply to a command as well as an alert — holds every
/// alert back from that moment, for as long as Telegram asked.
#[tokio::test(start_paused = true)]
async fn flood_control_a_reply_met_holds_alerts_back_at_once() {
    let (_dir, store, sink, clock) = setup(vec![], || {});
    let flood = FloodControl::kept_in(store.clone()).on(clock.clone());
    let sender =
        Sender::new(store.clone(), sink.clone(), clock.clone()).with_flood_control(flood.clone());
    store.enqueue(&delivery("before", clock.now())).unwrap();
    sender.drain_once().await.unwrap();
    // A reply meets flood control: a minute.
    flood.pause_for(Duration::from_secs(60));
    store
        .enqueue(&Delivery {
            target: Target::Telegram(43),
            ..delivery("during", clock.now())
        })
        .unwrap();
    let wait = sender.drain_once().await.unwrap();
    assert_eq!(*sink.sent.lock().unwrap(), ["before"]);
    assert_eq!(wait, Duration::from_secs(60), "woken when the pause ends");
    clock.jump(Duration::from_secs(61));
    sender.drain_once().await.unwrap();
    assert_eq!(*sink.sent.lock().unwrap(), ["before", "during"]);
}
