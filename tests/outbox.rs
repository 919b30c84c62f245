//! The outbox's promises when things go wrong: nothing lost, nothing sent twice, and no
//! message holding back the ones behind it — a refused edit, a group that became a supergroup,
//! a store that failed for a moment, a stop while a send is on the wire, a later copy of the
//! story arriving while a message waits or is on the wire, and (PostgreSQL) a pipeline step
//! racing the sender.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use marketbot::chats::{Chat, ChatKind};
use marketbot::clock::Clock;
use marketbot::delivery::outbox::{BROADCAST, Delivery, SentMessage, Target};
use marketbot::delivery::{Accepted, Sender, TelegramSink};
use marketbot::engine::Alert;
use marketbot::store::kv::Tree;
use marketbot::store::{Step, Store};
use marketbot::telegram::pace::{Limits, Pacer};
use support::backend::Faulty;
use support::telegram::{Answer, FakeTelegram, TOKEN};

fn now() -> DateTime<Utc> {
    "2026-02-02T21:50:00Z".parse().unwrap()
}

fn sink(tg: &FakeTelegram, store: &Store) -> Arc<TelegramSink> {
    let bot = marketbot::telegram::bot(TOKEN, tg.url().parse().unwrap());
    Arc::new(TelegramSink::new(
        bot,
        TOKEN.into(),
        store.clone(),
        false,
        Arc::new(Pacer::new(Limits::default())),
    ))
}

fn alert(id: u64, rule: &str) -> Alert {
    serde_json::from_value(serde_json::json!({
        "id": id, "rule": rule, "title": "NVDA below 100", "severity": "high",
        "symbol": "NVDA", "fired_at": now(), "headline": null, "held": [], "price": null,
        "within_secs": 0
    }))
    .unwrap()
}

/// An edit of a message the user deleted ("message to edit not found") can never succeed:
/// it is given up at once. Kept for retries, it would hold back every newer alert to that chat
/// for days (a chat's deliveries go out in order).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_of_a_deleted_message_does_not_hold_back_newer_messages() {
    let tg = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    // An edit of message 999, which the fake never sent (the user deleted it).
    store
        .enqueue(&Delivery {
            edit: Some(999),
            ..Delivery::message(1, Target::Telegram(42), "edited".into(), now())
        })
        .unwrap();
    store
        .enqueue(&Delivery::message(
            BROADCAST,
            Target::Telegram(42),
            "<b>newer message</b>".into(),
            now(),
        ))
        .unwrap();
    let sender = Sender::new(store.clone(), sink(&tg, &store), Clock::anchored(now()));
    sender.drain_once().await.unwrap();
    let left = store.outbox().unwrap();
    assert!(
        tg.sent_to(42)
            .iter()
            .any(|m| m.text.contains("newer message")),
        "the newer message is held back behind an edit that can never succeed"
    );
    assert!(
        left.is_empty(),
        "the hopeless edit is kept for retries: {left:?}"
    );
}

/// A group that became a supergroup: the personal alert whose send revealed the move (its
/// rule id still names the old group) goes out in the supergroup, not dropped as unwanted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_personal_alert_follows_its_group_to_the_supergroup() {
    const OLD: i64 = -200;
    const NEW: i64 = -1_002_000_000_000;
    let tg = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let group = Chat::new(OLD, ChatKind::Group, "group".into(), now());
    store.put_chat(&group).unwrap();
    let rule = marketbot::personal::PersonalAlert::rule_id(OLD, 1);
    store
        .commit(&Step {
            now: now(),
            alerts: vec![alert(5, &rule)],
            ..Default::default()
        })
        .unwrap();
    store
        .enqueue(&Delivery::message(
            5,
            Target::Telegram(OLD),
            "🔻 <b>NVDA</b> · your alert".into(),
            now(),
        ))
        .unwrap();
    tg.script(OLD, vec![Answer::Migrated(NEW)]);
    let sender = Sender::new(store.clone(), sink(&tg, &store), Clock::system());
    for _ in 0..3 {
        sender.drain_once().await.unwrap();
        tokio::time::sleep(Duration::from_millis(1200)).await;
    }
    assert_eq!(tg.attempts(OLD).len(), 1, "tried once under the old id");
    assert!(
        store.chat(NEW).unwrap().is_some_and(|c| c.active),
        "migrated"
    );
    assert_eq!(
        tg.sent_to(NEW).len(),
        1,
        "the personal alert goes out in the supergroup; outbox: {:?}",
        store.outbox().unwrap()
    );
}

/// A message sent while the store failed to remove it from the outbox is removed once the
/// store answers again: the next start (or the next leader) does not send it a second time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_message_whose_removal_failed_once_is_not_sent_again_after_a_restart() {
    let tg = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    {
        let sled = Store::open(dir.path(), 8 << 20).unwrap();
        // Marking it sent fails, and so does removing it alone.
        let faulty = Arc::new(Faulty::new(sled.backend()).failing_removals(1));
        faulty.fail_commits(1);
        let store = Store::with_backend(faulty).unwrap();
        store
            .enqueue(&Delivery::message(
                BROADCAST,
                Target::Telegram(42),
                "<b>hello</b>".into(),
                now(),
            ))
            .unwrap();
        let clock = Clock::anchored(now());
        let sender = Sender::new(store.clone(), sink(&tg, &store), clock.clone());
        sender.drain_once().await.unwrap();
        assert_eq!(tg.sent_to(42).len(), 1);
        // The store works again; the sender runs on well past its pause.
        clock.jump(Duration::from_secs(120));
        for _ in 0..3 {
            sender.drain_once().await.unwrap();
        }
        store.flush().unwrap();
    }
    // A restart on the same directory.
    tokio::time::sleep(Duration::from_secs(4)).await; // sled lets go of its lock
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let sender = Sender::new(store.clone(), sink(&tg, &store), Clock::anchored(now()));
    sender.drain_once().await.unwrap();
    assert_eq!(
        tg.sent_to(42).len(),
        1,
        "sent twice: {:?}",
        tg.sent_to(42).iter().map(|m| &m.text).collect::<Vec<_>>()
    );
}

/// Runs a bot on `first` until the seed story's alert to chat 42 is accepted by Telegram, whose
/// answer takes a second, and stops it gracefully while that answer is on the way; then runs a
/// bot on `second` for five seconds. Returns the alerts chat 42 got.
async fn stop_with_an_alert_on_the_wire(
    tg: &FakeTelegram,
    origin: &support::origin::Origin,
    first: marketbot::config::Config,
    second: marketbot::config::Config,
) -> usize {
    use support::{
        RunningBot, eventually, release_seed_story, seed_evening, serve_quiet_evening, start_chat,
    };
    serve_quiet_evening(origin);
    let bot = RunningBot::start(first, seed_evening());
    start_chat(tg, 42).await;
    // Telegram takes the alert at once but its answer is on the way for a second.
    tg.script(42, vec![Answer::Slow(Duration::from_millis(1000))]);
    release_seed_story(origin);
    eventually(
        Duration::from_secs(15),
        "the alert accepted by Telegram",
        || tg.alerts_to(42).first().cloned(),
    )
    .await;
    bot.stop().await;

    let bot = RunningBot::start(second, seed_evening() + chrono::Duration::minutes(1));
    tokio::time::sleep(Duration::from_secs(5)).await;
    bot.stop().await;
    tg.alerts_to(42).len()
}

/// A graceful stop (SIGTERM, a deploy, a handover to the standby) while an alert's request is
/// already at Telegram: the sender waits the moment for its answer and removes the delivery,
/// so the next run does not send the alert a second time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_restart_does_not_repeat_an_alert_telegram_already_accepted() {
    let tg = FakeTelegram::start().await;
    let origin = support::origin::Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = || support::bot_config(dir.path(), &tg, &origin);
    let alerts = stop_with_an_alert_on_the_wire(&tg, &origin, config(), config()).await;
    assert_eq!(alerts, 1, "the accepted alert was sent again");
}

/// PostgreSQL: the same graceful stop with the state shared by instances. The stop gives the
/// lease up at once, so the instance's transactions are refused (fenced) while the answer to
/// the send on the wire is still awaited; the accepted alert must still leave the outbox, or
/// the next leader (here another instance) sends it a second time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_graceful_handover_does_not_repeat_an_alert_telegram_already_accepted() {
    let Some(db) = support::postgres::TestDatabase::create("postgres_graceful_handover") else {
        return;
    };
    let tg = FakeTelegram::start().await;
    let origin = support::origin::Origin::start().await;
    let on_postgres = |dir: &std::path::Path, instance: &str| {
        let text = support::bot_config_text(
            &tg,
            &origin,
            "chat_interval = \"20ms\"\ngroup_messages_per_minute = 600\ncommands_per_minute = 600\n",
        )
        .replacen(
            "[storage]\n",
            &format!("[storage]\n{}", db.storage_keys(instance, None)),
            1,
        );
        support::config(dir, &text)
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let alerts = stop_with_an_alert_on_the_wire(
        &tg,
        &origin,
        on_postgres(a.path(), "alpha"),
        on_postgres(b.path(), "beta"),
    )
    .await;
    assert_eq!(
        alerts,
        1,
        "the accepted alert was sent again; outbox: {:?}",
        db.store().outbox().unwrap()
    );
}

/// PostgreSQL: a pipeline step replacing the text of a pending message (`Step::replace`, "only
/// if still pending") while the sender removes it as sent, on its own connection, after the
/// step read it. An upsert would bring the row back (and the message would go out again);
/// the step's write must leave it gone.
#[test]
fn postgres_a_step_does_not_bring_back_a_message_the_sender_removed_as_sent() {
    let Some(db) = support::postgres::TestDatabase::create("postgres_step_race") else {
        return;
    };
    let plain = db.store();
    let seq = plain
        .enqueue(&Delivery::message(
            7,
            Target::Telegram(42),
            "first text".into(),
            now(),
        ))
        .unwrap();
    // The sender, on its own connection: sent, so removed.
    let store = Store::with_backend(Arc::new(
        Faulty::new(plain.backend()).during_next_transaction(move |backend| {
            assert!(backend.remove(Tree::Outbox, &seq.to_be_bytes()).unwrap());
        }),
    ))
    .unwrap();
    store
        .commit(&Step {
            now: now(),
            replace: vec![(
                seq,
                Delivery::message(
                    7,
                    Target::Telegram(42),
                    "text with the later copy".into(),
                    now(),
                ),
            )],
            ..Default::default()
        })
        .unwrap();
    let left = plain.outbox().unwrap();
    assert!(
        left.is_empty(),
        "a message sent and removed is back in the outbox, to be sent again: {left:?}"
    );
}

/// A sink that records what it sends and runs `during` in its first send.
struct Recording {
    sent: std::sync::Mutex<Vec<(Target, String)>>,
    during: std::sync::Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl marketbot::delivery::Sink for Recording {
    fn send<'a>(
        &'a self,
        d: &'a Delivery,
    ) -> futures::future::BoxFuture<'a, Result<Accepted, marketbot::delivery::SendError>> {
        Box::pin(async move {
            if let Some(f) = self.during.lock().unwrap().take() {
                f();
            }
            self.sent.lock().unwrap().push((d.target, d.text.clone()));
            Ok(Accepted::as_asked(d, Some(1)))
        })
    }
}

/// A later copy of alert B's story re-renders B's pending message while the sender is busy
/// with the chat's earlier message (a fan-out's drain lasts minutes): B goes out with the new
/// text, not the one read when the drain began (no edit follows a message that was pending
/// when the copy arrived, so that text would be lost).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_message_goes_out_with_the_text_it_has_when_it_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    store
        .enqueue(&Delivery::message(
            BROADCAST,
            Target::Telegram(42),
            "alert A".into(),
            now(),
        ))
        .unwrap();
    let b = store
        .enqueue(&Delivery::message(
            BROADCAST,
            Target::Telegram(42),
            "alert B".into(),
            now(),
        ))
        .unwrap();
    let writer = store.clone();
    let sink = Arc::new(Recording {
        sent: Default::default(),
        during: std::sync::Mutex::new(Some(Box::new(move || {
            // The pipeline's step for the later copy (`Step::replace`).
            writer
                .commit(&Step {
                    now: now(),
                    replace: vec![(
                        b,
                        Delivery::message(
                            BROADCAST,
                            Target::Telegram(42),
                            "alert B · also reported by Bloomberg".into(),
                            now(),
                        ),
                    )],
                    ..Default::default()
                })
                .unwrap();
        }))),
    });
    Sender::new(store.clone(), sink.clone(), Clock::anchored(now()))
        .drain_once()
        .await
        .unwrap();
    let sent = sink.sent.lock().unwrap().clone();
    assert_eq!(
        sent.last().map(|(_, t)| t.as_str()),
        Some("alert B · also reported by Bloomberg"),
        "{sent:?}"
    );
}

/// A recording sink during whose first send a later copy of the story re-renders `first`
/// (pending as `seq`) to "alert · also reported by Bloomberg"; then `after` runs.
fn rerendered_on_the_wire(
    store: &Store,
    seq: u64,
    first: Delivery,
    after: impl FnOnce() + Send + 'static,
) -> Arc<Recording> {
    let writer = store.clone();
    Arc::new(Recording {
        sent: Default::default(),
        during: std::sync::Mutex::new(Some(Box::new(move || {
            writer
                .commit(&Step {
                    now: now(),
                    replace: vec![(
                        seq,
                        Delivery {
                            text: "alert · also reported by Bloomberg".into(),
                            ..first
                        },
                    )],
                    ..Default::default()
                })
                .unwrap();
            after();
        }))),
    })
}

/// A later copy of the story re-renders a message while it is on the wire (Telegram takes
/// a moment to answer): the message goes out with the text it had, and an edit follows with
/// the new one, instead of the new text being lost with the removal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_rerendered_while_on_the_wire_is_edited_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let first = Delivery::message(7, Target::Telegram(42), "alert".into(), now());
    let seq = store.enqueue(&first).unwrap();
    let sink = rerendered_on_the_wire(&store, seq, first, || {});
    let sender = Sender::new(store.clone(), sink.clone(), Clock::anchored(now()));
    sender.drain_once().await.unwrap();
    let pending = store.outbox().unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0].1.edit, Some(1), "an edit of the message sent");
    sender.drain_once().await.unwrap();
    let sent = sink.sent.lock().unwrap().clone();
    let texts: Vec<&str> = sent.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(texts, ["alert", "alert · also reported by Bloomberg"]);
    assert_eq!(store.outbox_len().unwrap(), 0);
}

/// A later copy of the story re-renders a message on the wire, and the store fails the moment
/// the sender marks it sent: once the store answers again, the message is still recorded (for
/// later copies and `/history`) and the edit with the new text still follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_rerendered_on_the_wire_is_edited_even_when_marking_it_sent_failed() {
    let dir = tempfile::tempdir().unwrap();
    let sled = Store::open(dir.path(), 8 << 20).unwrap();
    let faulty = Arc::new(Faulty::new(sled.backend()));
    let store = Store::with_backend(faulty.clone()).unwrap();
    let first = Delivery::message(7, Target::Telegram(42), "alert".into(), now());
    let seq = store.enqueue(&first).unwrap();
    let failing = faulty.clone();
    // The store fails when the sender marks the message sent.
    let sink = rerendered_on_the_wire(&store, seq, first, move || failing.fail_commits(1));
    let clock = Clock::anchored(now());
    let sender = Sender::new(store.clone(), sink.clone(), clock.clone());
    sender.drain_once().await.unwrap();
    // The store works again; the sender runs on well past its pause.
    clock.jump(Duration::from_secs(120));
    for _ in 0..3 {
        sender.drain_once().await.unwrap();
    }
    let texts: Vec<String> = sink
        .sent
        .lock()
        .unwrap()
        .iter()
        .map(|(_, t)| t.clone())
        .collect();
    assert_eq!(
        texts,
        ["alert", "alert · also reported by Bloomberg"],
        "outbox: {:?}",
        store.outbox().unwrap()
    );
    assert_eq!(
        store.sent_messages(7).unwrap(),
        [SentMessage {
            chat: 42,
            part: 0,
            message: 1,
            photo: false
        }]
    );
    assert_eq!(store.outbox_len().unwrap(), 0);
}

/// A message Telegram accepted just as this instance's transactions began to be refused (a
/// stop gave the lease up while the send was on the wire, fencing them): it leaves the outbox
/// — no leader sends it again — and it is still remembered as the message its alert became,
/// so its buttons answer, `/history` lists it and a later copy of the story edits it.
async fn a_message_sent_as_transactions_are_refused_is_still_recorded(
    store: &Store,
    refuse: impl FnOnce() + Send + 'static,
) {
    store
        .commit(&Step {
            now: now(),
            alerts: vec![alert(7, "nvda-drop")],
            ..Default::default()
        })
        .unwrap();
    store
        .enqueue(&Delivery::message(
            7,
            Target::Telegram(42),
            "alert".into(),
            now(),
        ))
        .unwrap();
    let sink = Arc::new(Recording {
        sent: Default::default(),
        during: std::sync::Mutex::new(Some(Box::new(refuse))),
    });
    Sender::new(store.clone(), sink.clone(), Clock::anchored(now()))
        .drain_once()
        .await
        .unwrap();
    assert_eq!(sink.sent.lock().unwrap().len(), 1);
    assert_eq!(store.outbox_len().unwrap(), 0, "left for the next leader");
    assert!(
        store.was_sent(7, 42).unwrap(),
        "the message the alert became is forgotten"
    );
    assert_eq!(store.received(42, 0, 10).unwrap().0, [7]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_sent_as_transactions_are_refused_is_still_recorded_sled() {
    let dir = tempfile::tempdir().unwrap();
    let sled = Store::open(dir.path(), 8 << 20).unwrap();
    let faulty = Arc::new(Faulty::new(sled.backend()));
    let store = Store::with_backend(faulty.clone()).unwrap();
    a_message_sent_as_transactions_are_refused_is_still_recorded(&store, move || {
        faulty.fail_commits(usize::MAX)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_message_sent_as_the_lease_is_given_up_is_still_recorded() {
    let Some(db) = support::postgres::TestDatabase::create("postgres_sent_as_lease_given_up")
    else {
        return;
    };
    let store = db.store();
    let backend = Arc::clone(store.backend());
    let term = backend
        .lease("alpha", None, Duration::from_secs(10))
        .unwrap()
        .expect("the lease");
    backend.fence(Some(("alpha".into(), term)));
    a_message_sent_as_transactions_are_refused_is_still_recorded(&store, move || {
        backend.release("alpha", term).unwrap()
    })
    .await;
}

/// A later copy of the story arrives as the sender marks the alert's message sent: the step
/// reads the pending messages and the messages sent one after the other, and the sender's
/// removal (with the record of the message it became) lands between the two reads. As the
/// step sees it, the message is then neither pending nor sent: it must still be edited.
fn a_copy_read_while_its_message_is_marked_sent_edits_it(plain: &Store) {
    use marketbot::delivery::{Mode, updates_for};
    use marketbot::model::HeadlineRef;

    let first = Delivery::message(5, Target::Telegram(42), "<b>NVDA</b> first".into(), now());
    let seq = plain.enqueue(&first).unwrap();
    let faulty = Arc::new(Faulty::new(plain.backend()));
    let store = Store::with_backend(faulty.clone()).unwrap();
    let sender = plain.clone();
    faulty.between_scans([Tree::Outbox, Tree::Sent], move |_| {
        sender.mark_sent(seq, &first, Some(77), now()).unwrap();
    });
    let copy = HeadlineRef {
        title: "Nvidia customer weighs alternatives".into(),
        link: None,
        source: "Bloomberg".into(),
        published: now(),
    };
    let mut a = alert(5, "nvda-drop");
    a.also.push(copy.clone());
    let (replace, edits) = updates_for(&a, &copy, None, Mode::Telegram, &store, now()).unwrap();
    store
        .commit(&Step {
            now: now(),
            alerts: vec![a],
            deliveries: edits,
            replace,
            ..Default::default()
        })
        .unwrap();
    let pending = plain.outbox().unwrap();
    assert_eq!(
        pending
            .iter()
            .map(|(_, d)| (d.target, d.edit))
            .collect::<Vec<_>>(),
        [(Target::Telegram(42), Some(77))],
        "the later copy is lost for a message sent as the step read: {pending:?}"
    );
    assert!(pending[0].1.text.contains("Bloomberg"), "{pending:?}");
}

#[test]
fn a_copy_read_while_its_message_is_marked_sent_edits_it_sled() {
    let dir = tempfile::tempdir().unwrap();
    a_copy_read_while_its_message_is_marked_sent_edits_it(
        &Store::open(dir.path(), 8 << 20).unwrap(),
    );
}

#[test]
fn postgres_a_copy_read_while_its_message_is_marked_sent_edits_it() {
    let Some(db) = support::postgres::TestDatabase::create("postgres_copy_read_while_marked_sent")
    else {
        return;
    };
    a_copy_read_while_its_message_is_marked_sent_edits_it(&db.store());
}

/// A long alert goes out in two messages. A later copy of its story adds its source to the
/// second: that message is edited, the first (which the copy does not change) is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_copy_edits_the_part_it_changes_of_a_message_split_in_parts() {
    use marketbot::delivery::{Mode, deliveries_for, updates_for};
    use marketbot::model::HeadlineRef;

    let tg = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let mut chat = Chat::new(42, ChatKind::Private, "a".into(), now());
    chat.rules.insert("nvda-drop".into());
    store.put_chat(&chat).unwrap();
    let mut a = alert(5, "nvda-drop");
    a.title = "Nvidia falls as a customer weighs alternatives ".repeat(90);
    let fan_out = deliveries_for(&a, None, Mode::Telegram, &store, now(), false).unwrap();
    assert_eq!(fan_out.deliveries.len(), 2, "sent in two parts");
    store
        .commit(&Step {
            now: now(),
            alerts: vec![a.clone()],
            deliveries: fan_out.deliveries,
            ..Default::default()
        })
        .unwrap();
    let sender = Sender::new(store.clone(), sink(&tg, &store), Clock::anchored(now()));
    sender.drain_once().await.unwrap();
    let parts: Vec<i64> = tg.sent_to(42).iter().map(|m| m.message_id).collect();
    assert_eq!(parts.len(), 2, "outbox: {:?}", store.outbox().unwrap());

    let copy = HeadlineRef {
        title: "Nvidia customer weighs alternatives".into(),
        link: None,
        source: "Bloomberg".into(),
        published: now(),
    };
    a.also.push(copy.clone());
    let (replace, edits) = updates_for(&a, &copy, None, Mode::Telegram, &store, now()).unwrap();
    store
        .commit(&Step {
            now: now(),
            alerts: vec![a],
            deliveries: edits,
            replace,
            ..Default::default()
        })
        .unwrap();
    sender.drain_once().await.unwrap();
    let edits = tg.edits_to(42);
    assert_eq!(
        edits.iter().map(|(m, _)| *m).collect::<Vec<_>>(),
        [parts[1]],
        "{edits:?}"
    );
    assert!(edits[0].1.contains("Bloomberg"), "{edits:?}");
    assert!(store.outbox().unwrap().is_empty());
}

/// A forum topic deleted while alerts go to it: the alert goes to the group's general topic,
/// and so do the next ones (the chat forgets the topic), instead of being refused for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_to_a_deleted_forum_topic_goes_to_the_general_topic() {
    const FORUM: i64 = -1_003_000_000_000;
    let tg = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let mut forum = Chat::new(FORUM, ChatKind::Supergroup, "forum".into(), now());
    forum.thread = Some(5);
    store.put_chat(&forum).unwrap();
    store
        .enqueue(&Delivery {
            thread: Some(5),
            ..Delivery::message(
                BROADCAST,
                Target::Telegram(FORUM),
                "<b>to the topic</b>".into(),
                now(),
            )
        })
        .unwrap();
    tg.script(
        FORUM,
        vec![Answer::Refused("Bad Request: message thread not found")],
    );
    let sender = Sender::new(store.clone(), sink(&tg, &store), Clock::anchored(now()));
    sender.drain_once().await.unwrap();
    let sent = tg.sent_to(FORUM);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        (sent[0].text.as_str(), sent[0].thread),
        ("<b>to the topic</b>", None)
    );
    assert!(store.outbox().unwrap().is_empty());
    assert_eq!(store.chat(FORUM).unwrap().unwrap().thread, None);
}

/// A chat where the bot may post but not pictures gets the alert as text, not nothing, and
/// a later copy of the story edits that text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_that_takes_no_pictures_gets_the_alert_as_text() {
    let tg = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    store
        .commit(&Step {
            now: now(),
            alerts: vec![alert(9, "nvda-drop")],
            charts: vec![(
                9,
                marketbot::text::Lang::En,
                marketbot::store::Chart::Png(b"\x89PNG not really".to_vec()),
            )],
            ..Default::default()
        })
        .unwrap();
    store
        .enqueue(&Delivery {
            photo: true,
            ..Delivery::message(9, Target::Telegram(42), "<b>NVDA</b> −3 %".into(), now())
        })
        .unwrap();
    tg.script(
        42,
        vec![Answer::Refused(
            "Bad Request: not enough rights to send photos to the chat",
        )],
    );
    let sender = Sender::new(store.clone(), sink(&tg, &store), Clock::anchored(now()));
    sender.drain_once().await.unwrap();
    let sent = tg.sent_to(42);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].text, "<b>NVDA</b> −3 %");
    assert!(sent[0].photo.is_none() && sent[0].photo_id.is_none());
    assert!(store.outbox().unwrap().is_empty());

    // A later copy of the story edits it as the text it became, not as the caption it was
    // meant to be.
    let SentMessage {
        chat,
        message,
        photo,
        ..
    } = store.sent_messages(9).unwrap()[0];
    assert!(!photo, "remembered as the text it became");
    let edit = |photo: bool, text: &str| Delivery {
        edit: Some(message),
        photo,
        ..Delivery::message(9, Target::Telegram(chat), text.into(), now())
    };
    store
        .enqueue(&edit(photo, "<b>NVDA</b> −3 % · also"))
        .unwrap();
    sender.drain_once().await.unwrap();
    assert!(!tg.methods().iter().any(|m| m == "EditMessageCaption"));
    // An edit asked as a caption all the same (a message remembered before the bot told
    // them apart) is made as a text edit once Telegram says there is no caption.
    store
        .enqueue(&edit(true, "<b>NVDA</b> −3 % · also twice"))
        .unwrap();
    sender.drain_once().await.unwrap();
    assert_eq!(
        tg.edits_to(42),
        [
            (sent[0].message_id, "<b>NVDA</b> −3 % · also".to_string()),
            (
                sent[0].message_id,
                "<b>NVDA</b> −3 % · also twice".to_string()
            )
        ]
    );
    assert!(store.outbox().unwrap().is_empty());
}

/// A chart's file id that Telegram no longer knows (the store moved to another bot, say) does
/// not cost the chats still waiting for the alert: the picture is uploaded again and its new
/// file id serves the chats after; an alert whose picture is gone as well goes out as text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chart_file_id_telegram_refuses_is_replaced_by_a_new_upload() {
    use marketbot::text::Lang;
    let tg = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let png = b"\x89PNG not really".to_vec();
    store
        .commit(&Step {
            now: now(),
            alerts: vec![alert(9, "nvda-drop"), alert(10, "nvda-drop")],
            charts: vec![(9, Lang::En, marketbot::store::Chart::Png(png.clone()))],
            ..Default::default()
        })
        .unwrap();
    // Uploaded by another bot; the picture of alert 10 is no longer stored at all.
    store
        .put_chart_file_id(9, Lang::En, "of-another-bot")
        .unwrap();
    store
        .put_chart_file_id(10, Lang::En, "of-another-bot-too")
        .unwrap();
    let photo = |alert: u64, chat: i64| Delivery {
        photo: true,
        ..Delivery::message(
            alert,
            Target::Telegram(chat),
            format!("<b>NVDA</b> {alert}"),
            now(),
        )
    };
    tg.script(
        42,
        vec![Answer::Refused(
            "Bad Request: wrong file identifier/HTTP URL specified",
        )],
    );
    tg.script(
        44,
        vec![Answer::Refused(
            "Bad Request: wrong remote file identifier specified: Wrong padding in the string",
        )],
    );
    let sender = Sender::new(store.clone(), sink(&tg, &store), Clock::anchored(now()));
    store.enqueue(&photo(9, 42)).unwrap();
    store.enqueue(&photo(10, 44)).unwrap();
    sender.drain_once().await.unwrap();
    assert!(store.outbox().unwrap().is_empty(), "{:?}", store.outbox());

    let to_42 = tg.sent_to(42);
    assert_eq!(to_42.len(), 1, "{to_42:?}");
    assert_eq!(to_42[0].photo.as_ref(), Some(&png), "uploaded again");
    assert_eq!(to_42[0].text, "<b>NVDA</b> 9");
    let renewed = store
        .chart_file_id(9, Lang::En)
        .unwrap()
        .expect("a new file id");
    assert_ne!(renewed, "of-another-bot");

    let to_44 = tg.sent_to(44);
    assert_eq!(to_44.len(), 1, "{to_44:?}");
    assert!(
        !to_44[0].is_photo(),
        "no picture left to upload: the text alone"
    );
    assert_eq!(to_44[0].text, "<b>NVDA</b> 10");
    assert_eq!(
        store.chart_file_id(10, Lang::En).unwrap(),
        None,
        "forgotten"
    );
    assert!(!store.sent_messages(10).unwrap()[0].photo);

    // The next chat gets the picture by its new file id.
    store.enqueue(&photo(9, 43)).unwrap();
    sender.drain_once().await.unwrap();
    let to_43 = tg.sent_to(43);
    assert_eq!(to_43.len(), 1, "{to_43:?}");
    assert_eq!(to_43[0].photo_id.as_deref(), Some(renewed.as_str()));
}

/// A rule the pipeline tests fire: NVDA 2 % down, then cooling for a day.
fn fall() -> marketbot::rules::RuleSet {
    use marketbot::rules::{SourceFile, compile};
    compile(
        vec![SourceFile {
            path: "rules/fall.toml".into(),
            text: "id = \"fall\"\ntitle = \"Fall\"\nsymbols = [\"NVDA\"]\ncondition = \"down\"\n\
                   [price.down]\nchange = \"<= -2%\"\n[noise]\ncooldown = \"1d\"\n"
                .into(),
        }],
        vec![],
    )
    .unwrap()
}

/// A step whose commit was stored but reported failed (PostgreSQL committed as the connection
/// dropped) is kept: the next prices do not fire its alert a second time, under the same id.
#[tokio::test]
async fn a_step_stored_but_reported_failed_does_not_fire_its_alert_again() {
    use support::pipeline::close;

    let dir = tempfile::tempdir().unwrap();
    let sled = Store::open(dir.path(), 8 << 20).unwrap();
    let faulty = Arc::new(Faulty::new(sled.backend()));
    let store = Store::with_backend(faulty.clone()).unwrap();
    let pipeline = support::pipeline::start(&store, fall(), now(), None);
    let send = |bars| pipeline.bars(bars, Vec::new());
    send(vec![close("NVDA", "2026-01-30T21:00:00Z", "1d", 191.79)]).await;
    // NVDA falls 2.6 %: the alert fires, and its step is stored, but the store says it failed.
    faulty.lose_commit_answers(1);
    send(vec![close("NVDA", "2026-02-02T21:30:00Z", "30m", 186.8)]).await;
    let fired = store
        .alerts_since(now() - chrono::Duration::days(7))
        .unwrap();
    assert_eq!(fired.len(), 1, "the step was stored");
    // Still down: the rule is cooling, so nothing fires — and no other alert takes the id.
    send(vec![close("NVDA", "2026-02-02T21:45:00Z", "30m", 186.5)]).await;
    pipeline.stop().await;
    let after = store
        .alerts_since(now() - chrono::Duration::days(7))
        .unwrap();
    assert_eq!(
        after
            .iter()
            .map(|a| (a.id, a.price.as_ref().map(|p| p.price)))
            .collect::<Vec<_>>(),
        fired
            .iter()
            .map(|a| (a.id, a.price.as_ref().map(|p| p.price)))
            .collect::<Vec<_>>(),
        "fired again after a stored step was undone"
    );
    assert_eq!(store.outbox().unwrap().len(), 1, "one message to send");
}

/// A step stored but reported failed in which a chat's one-shot alert fired: the symbol
/// only that alert referred to is no longer fetched on demand, as after any step.
#[tokio::test]
async fn a_one_shot_alert_spent_in_a_step_reported_failed_lets_its_symbol_go() {
    use marketbot::config::{DEFAULT_USER_AGENT, HttpConfig};
    use marketbot::model::SymbolCheck;
    use marketbot::personal::PersonalAlert;
    use marketbot::sources::demand::{Demand, DemandLimits};
    use marketbot::sources::http::Http;
    use marketbot::sources::{QuoteProvider, yahoo::Yahoo};
    use support::pipeline::close;

    let dir = tempfile::tempdir().unwrap();
    let sled = Store::open(dir.path(), 8 << 20).unwrap();
    let faulty = Arc::new(Faulty::new(sled.backend()));
    let store = Store::with_backend(faulty.clone()).unwrap();
    // Chat 7 watches AAPL, which the config does not list, with one one-shot alert.
    store
        .put_chat(&Chat::new(7, ChatKind::Private, "Ann".into(), now()))
        .unwrap();
    store
        .put_personal_alert(&PersonalAlert {
            chat: 7,
            number: 1,
            spec: "AAPL below 150 once".into(),
            created: now() - chrono::TimeDelta::days(1),
            paused: false,
            changed: None,
            message: None,
        })
        .unwrap();
    let checked = SymbolCheck {
        known: true,
        checked: now(),
    };
    store.put_symbol_check("AAPL", &checked).unwrap();
    let provider: Arc<dyn QuoteProvider> = Arc::new(Yahoo::new(
        "http://127.0.0.1:9/".parse().unwrap(),
        "30m".parse().unwrap(),
        true,
        false,
    ));
    let http = Http::new(&HttpConfig {
        timeout: Duration::from_secs(1),
        user_agent: DEFAULT_USER_AGENT.to_string(),
        listen: None,
        stall_after: Duration::from_secs(45),
    });
    let demand = Arc::new(
        Demand::open(
            ["NVDA".to_string()],
            DemandLimits::default(),
            provider,
            http,
            store.clone(),
        )
        .unwrap(),
    );
    assert_eq!(demand.wanted(now()), ["AAPL"]);
    let pipeline = support::pipeline::start(&store, fall(), now(), Some(Arc::clone(&demand)));
    let send = |bars| pipeline.bars(bars, Vec::new());
    send(vec![close("AAPL", "2026-01-30T21:00:00Z", "1d", 151.0)]).await;
    // AAPL falls through 150: the alert fires and goes, stored, but the store says it failed.
    faulty.lose_commit_answers(1);
    send(vec![close("AAPL", "2026-02-02T21:30:00Z", "30m", 149.0)]).await;
    pipeline.stop().await;
    assert!(store.personal_alerts_of(7).unwrap().is_empty(), "spent");
    assert_eq!(
        store
            .alerts_since(now() - chrono::Duration::days(7))
            .unwrap()
            .len(),
        1
    );
    assert!(
        demand.wanted(now()).is_empty(),
        "{:?}",
        demand.wanted(now())
    );
}

/// A feed's items are confirmed stored only when their step was: a step that failed drops
/// the confirmation, so the feed keeps its old validators and fetches the items again.
#[tokio::test]
async fn a_feeds_items_are_confirmed_only_when_stored() {
    use marketbot::sources::Batch;

    let dir = tempfile::tempdir().unwrap();
    let sled = Store::open(dir.path(), 8 << 20).unwrap();
    let faulty = Arc::new(Faulty::new(sled.backend()));
    let store = Store::with_backend(faulty.clone()).unwrap();
    let pipeline = support::pipeline::start(&store, fall(), now(), None);
    let tx = &pipeline.batches;
    let item = marketbot::model::Headline {
        id: "wire:1".into(),
        published: now(),
        source: "Wire".into(),
        title: "Nvidia shares slip".into(),
        link: None,
        summary: None,
        symbols: vec!["NVDA".into()],
        lang: None,
    };
    let send = |stored| Batch::Headlines {
        source: "wire".into(),
        items: vec![item.clone()],
        stored: Some(stored),
    };
    faulty.fail_commits(1);
    let (stored, confirmed) = tokio::sync::oneshot::channel();
    tx.send(send(stored)).await.unwrap();
    assert!(confirmed.await.is_err(), "not stored, not confirmed");
    let (stored, confirmed) = tokio::sync::oneshot::channel();
    tx.send(send(stored)).await.unwrap();
    assert!(confirmed.await.is_ok(), "stored the second time");
    pipeline.stop().await;
    assert!(store.item_seen_at("wire:1").unwrap().is_some());
}

/// Telegram refuses a chat the bot can no longer write to with 403 "Forbidden: …" in words
/// that change with the kind of chat (kicked from a group, no longer a member of a supergroup
/// or channel, a group deleted, a user who never started the bot): each such chat is
/// deactivated after one attempt, like a user who blocked the bot, not retried for days.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_the_bot_can_no_longer_write_to_is_deactivated_whatever_telegram_calls_it() {
    let tg = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let refusals = [
        (
            -5,
            ChatKind::Group,
            "Forbidden: bot was kicked from the group chat",
        ),
        (
            -1_006,
            ChatKind::Supergroup,
            "Forbidden: bot is not a member of the supergroup chat",
        ),
        (
            -1_007,
            ChatKind::Channel,
            "Forbidden: bot is not a member of the channel chat",
        ),
        (-8, ChatKind::Group, "Forbidden: the group chat was deleted"),
        (
            9,
            ChatKind::Private,
            "Forbidden: bot can't initiate conversation with a user",
        ),
    ];
    for (id, kind, refusal) in refusals {
        store
            .put_chat(&Chat::new(id, kind, "chat".into(), now()))
            .unwrap();
        store
            .enqueue(&Delivery::message(
                BROADCAST,
                Target::Telegram(id),
                "news".into(),
                now(),
            ))
            .unwrap();
        tg.script(id, vec![Answer::Forbidden(refusal)]);
    }
    let sender = Sender::new(store.clone(), sink(&tg, &store), Clock::anchored(now()));
    sender.drain_once().await.unwrap();
    for (id, _, refusal) in refusals {
        let chat = store.chat(id).unwrap().unwrap();
        assert!(
            !chat.active && chat.deactivated.is_some(),
            "{refusal}: the chat is still active"
        );
        assert_eq!(tg.attempts(id).len(), 1, "{refusal}");
    }
    assert!(
        store.outbox().unwrap().is_empty(),
        "deliveries to chats the bot cannot write to are kept for retries"
    );
}

/// A bot restricted in a group may not post there: Telegram refuses each message with 400
/// "not enough rights to send …". Such a chat is deactivated after one attempt, as one that
/// removed the bot, not sent every alert again to be refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_where_the_bot_may_not_send_messages_is_deactivated() {
    let tg = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let refusals = [
        (
            -1_011,
            "Bad Request: not enough rights to send text messages to the chat",
        ),
        (-12, "Bad Request: have no rights to send a message"),
    ];
    for (id, refusal) in refusals {
        store
            .put_chat(&Chat::new(id, ChatKind::Supergroup, "chat".into(), now()))
            .unwrap();
        for text in ["news", "more news"] {
            store
                .enqueue(&Delivery::message(
                    BROADCAST,
                    Target::Telegram(id),
                    text.into(),
                    now(),
                ))
                .unwrap();
        }
        tg.script(id, vec![Answer::Refused(refusal)]);
    }
    let sender = Sender::new(store.clone(), sink(&tg, &store), Clock::anchored(now()));
    sender.drain_once().await.unwrap();
    for (id, refusal) in refusals {
        let chat = store.chat(id).unwrap().unwrap();
        assert!(
            !chat.active && chat.deactivated.is_some(),
            "{refusal}: the chat is still active"
        );
        assert_eq!(tg.attempts(id).len(), 1, "{refusal}");
    }
    assert!(store.outbox().unwrap().is_empty(), "{:?}", store.outbox());
}

/// Two headline steps in a row cannot be stored: neither is confirmed to its feed, and the
/// second's story is not taken as stored because the first's, undone, matches the store.
#[tokio::test]
async fn a_step_that_failed_after_another_failed_step_is_not_taken_as_stored() {
    use marketbot::sources::Batch;

    let dir = tempfile::tempdir().unwrap();
    let sled = Store::open(dir.path(), 8 << 20).unwrap();
    let faulty = Arc::new(Faulty::new(sled.backend()));
    let store = Store::with_backend(faulty.clone()).unwrap();
    let rule = "id = \"slip\"\ntitle = \"Slip\"\nsymbols = [\"NVDA\"]\ncondition = \"news and down\"\n\
                [text.news]\nany = [\"slip*\"]\n[price.down]\nchange = \"<= -2%\"\n";
    let rules = marketbot::rules::compile(
        vec![marketbot::rules::SourceFile {
            path: "rules/slip.toml".into(),
            text: rule.into(),
        }],
        vec![],
    )
    .unwrap();
    let pipeline = support::pipeline::start(&store, rules, now(), None);
    let tx = &pipeline.batches;
    let item = |id: &str, title: &str| marketbot::model::Headline {
        id: id.into(),
        published: now(),
        source: "Wire".into(),
        title: title.into(),
        link: None,
        summary: None,
        symbols: vec!["NVDA".into()],
        lang: None,
    };
    let send = |item, stored| Batch::Headlines {
        source: "wire".into(),
        items: vec![item],
        stored: Some(stored),
    };
    faulty.fail_commits(2);
    let mut confirmed_any = Vec::new();
    for (id, title) in [
        ("wire:1", "Nvidia shares slip on export worries"),
        ("wire:2", "Chip stocks slip as Nvidia supplier warns"),
    ] {
        let (stored, confirmed) = tokio::sync::oneshot::channel();
        tx.send(send(item(id, title), stored)).await.unwrap();
        confirmed_any.push(confirmed.await.is_ok());
    }
    pipeline.stop().await;
    assert_eq!(confirmed_any, [false, false], "not stored, not confirmed");
    assert!(store.item_seen_at("wire:2").unwrap().is_none());
}
