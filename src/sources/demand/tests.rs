use super::*;
use crate::chats::Chat;
use crate::config::HttpConfig;
use crate::model::{Bar, Session};
use crate::personal::PersonalAlert;
use futures::future::BoxFuture;

/// A provider that knows NVDA-like symbols starting with `K` and counts what it is asked.
#[derive(Default)]
struct Fake {
    asked: Mutex<Vec<String>>,
}

impl QuoteProvider for Fake {
    fn fetch<'a>(
        &'a self,
        _: &'a Http,
        _: &'a [String],
        _: DateTime<Utc>,
    ) -> BoxFuture<'a, super::super::QuoteFetch> {
        Box::pin(async { super::super::QuoteFetch::default() })
    }

    fn validate<'a>(
        &'a self,
        _: &'a Http,
        symbol: &'a str,
        _: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Prices, FetchError>> {
        self.asked.lock().unwrap().push(symbol.to_string());
        Box::pin(async move {
            match symbol.chars().next() {
                Some('K') => Ok(Prices::default()),
                Some('S') => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    Ok(Prices::default())
                }
                Some('X') => Err(FetchError::Timeout),
                _ => Err(FetchError::NoData("No data found".into())),
            }
        })
    }
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn demand(store: &Store, limits: DemandLimits) -> (Demand, Arc<Fake>) {
    let fake = Arc::new(Fake::default());
    let http = Http::new(&HttpConfig {
        timeout: Duration::from_secs(1),
        user_agent: "test".into(),
        listen: None,
        stall_after: Duration::from_secs(45),
    });
    let d = Demand::open(
        ["NVDA".to_string()],
        limits,
        fake.clone(),
        http,
        store.clone(),
    )
    .unwrap();
    (d, fake)
}

#[tokio::test]
async fn a_symbol_is_asked_about_once_and_the_answer_kept_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let (d, fake) = demand(&store, DemandLimits::default());
    let (tx, _rx) = tokio::sync::mpsc::channel(4);
    let now = t("2026-02-02T15:00:00Z");
    assert_eq!(d.verdict("NVDA", now), Verdict::Known, "configured");
    assert_eq!(d.verdict("KO", now), Verdict::Unchecked);
    assert_eq!(d.check(9, "KO", now, &tx).await, Verdict::Known);
    assert_eq!(d.check(9, "ZZZZ", now, &tx).await, Verdict::Unknown);
    // An unreachable provider is no answer.
    assert_eq!(d.check(9, "XOM", now, &tx).await, Verdict::Unchecked);
    assert_eq!(d.verdict("XOM", now), Verdict::Unchecked);
    assert_eq!(*fake.asked.lock().unwrap(), ["KO", "ZZZZ", "XOM"]);
    // Restarted: the answers are remembered; "unknown" for a week.
    let (d, _) = demand(&store, DemandLimits::default());
    assert_eq!(d.verdict("KO", now), Verdict::Known);
    assert_eq!(d.verdict("ZZZZ", now), Verdict::Unknown);
    assert_eq!(
        d.verdict("ZZZZ", now + chrono::TimeDelta::days(8)),
        Verdict::Unchecked
    );
    // Switched off: only the configured symbols.
    let (d, _) = demand(
        &store,
        DemandLimits {
            on_demand: false,
            ..DemandLimits::default()
        },
    );
    assert_eq!(d.verdict("KO", now), Verdict::Refused);
    assert_eq!(d.verdict("NVDA", now), Verdict::Known);
}

#[tokio::test]
async fn chats_asking_about_one_symbol_at_once_share_one_answer() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let (d, fake) = demand(&store, DemandLimits::default());
    let (tx, _rx) = tokio::sync::mpsc::channel(4);
    let now = t("2026-02-02T15:00:00Z");
    // A new symbol named by two chats while the provider takes its time: asked once.
    let (a, b) = tokio::join!(d.check(1, "SLOW", now, &tx), d.check(2, "SLOW", now, &tx));
    assert_eq!((a, b), (Verdict::Known, Verdict::Known));
    assert_eq!(*fake.asked.lock().unwrap(), ["SLOW"]);
    // Quoted by three chats at once: fetched once; asked for later, fetched again.
    tokio::join!(
        d.fetch_now(1, "SLOW", now, &tx),
        d.fetch_now(2, "SLOW", now, &tx),
        d.fetch_now(3, "SLOW", now, &tx)
    );
    assert_eq!(fake.asked.lock().unwrap().len(), 2);
    d.fetch_now(2, "SLOW", now, &tx).await;
    assert_eq!(fake.asked.lock().unwrap().len(), 3);
    // Other symbols are not held up by it, and the gates are let go of.
    let live = || {
        let asking = d.asking.lock().unwrap();
        asking.values().filter(|g| g.strong_count() > 0).count()
    };
    let (_, _, both) = tokio::join!(
        d.fetch_now(1, "SLOW", now, &tx),
        d.fetch_now(2, "SLOWER", now, &tx),
        async {
            tokio::task::yield_now().await;
            (live(), fake.asked.lock().unwrap().len())
        }
    );
    assert_eq!(both, (2, 5), "both asked at once");
    assert!(
        d.asking
            .lock()
            .unwrap()
            .values()
            .all(|g| g.strong_count() == 0)
    );
    // The chats that waited did not spend their asks: chat 2 asked twice, chat 3 never.
    let state = d.lock();
    assert_eq!(state.asks.get(&2).map(VecDeque::len), Some(2));
    assert_eq!(state.asks.get(&3), None);
}

#[test]
fn a_price_far_from_the_last_one_taken_in_is_a_possible_split_until_taken_in() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let (d, _) = demand(&store, DemandLimits::default());
    let bar = |symbol: &str, minute: u32, close: Option<f64>| Bar {
        symbol: symbol.into(),
        time: t("2026-02-03T15:00:00Z") + chrono::TimeDelta::minutes(minute.into()),
        interval: crate::model::Interval::from_secs(300),
        open: None,
        high: None,
        low: None,
        close,
        volume: None,
        session: None,
        currency: None,
    };
    // Nothing to compare with yet (nothing stored either).
    let first = [bar("AAPL", 0, Some(250.0)), bar("KO", 0, Some(70.0))];
    assert!(d.jumped(&first).is_empty());
    d.saw(&first);
    // The newest price counts, whatever the order; a missing close is no price.
    let moves = [
        bar("AAPL", 10, Some(25.1)),
        bar("AAPL", 5, Some(250.0)),
        bar("AAPL", 15, None),
        bar("KO", 10, Some(61.0)),
    ];
    assert_eq!(d.jumped(&moves), ["AAPL"], "KO's −13 % is no split's");
    // Not taken in (its prices held back): still a possible split next poll.
    assert_eq!(d.jumped(&moves), ["AAPL"]);
    d.saw(&moves);
    assert!(d.jumped(&moves).is_empty());
    // Either way: a reverse split.
    assert_eq!(d.jumped(&[bar("KO", 20, Some(122.0))]), ["KO"]);
}

#[test]
fn a_pre_market_price_is_never_the_last_one_taken_in() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let (d, _) = demand(&store, DemandLimits::default());
    let bar = |minute: u32, close: f64, session: Session| Bar {
        symbol: "AAPL".into(),
        time: t("2026-02-03T13:00:00Z") + chrono::TimeDelta::minutes(minute.into()),
        interval: crate::model::Interval::from_secs(300),
        open: None,
        high: None,
        low: None,
        close: Some(close),
        volume: None,
        session: Some(session),
        currency: None,
    };
    d.saw(&[bar(0, 1890.0, Session::Post)]);
    // A split's first prices, before its chart can report it: asked again each poll.
    let pre = [bar(10, 189.0, Session::Pre)];
    assert_eq!(d.jumped(&pre), ["AAPL"]);
    d.saw(&pre);
    assert_eq!(d.jumped(&pre), ["AAPL"]);
    let regular = [bar(100, 188.0, Session::Regular)];
    assert_eq!(d.jumped(&regular), ["AAPL"]);
    d.saw(&regular);
    assert!(d.jumped(&regular).is_empty());
}

#[tokio::test]
async fn a_symbol_is_fetched_while_something_refers_to_it_within_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let limits = DemandLimits {
        per_chat: 2,
        max: 3,
        keep_quoted: Duration::from_secs(3600),
        ..DemandLimits::default()
    };
    let (d, _) = demand(&store, limits.clone());
    let (tx, _rx) = tokio::sync::mpsc::channel(4);
    let now = t("2026-02-02T15:00:00Z");
    for s in ["KA", "KB", "KC", "KD"] {
        d.check(9, s, now, &tx).await;
    }
    let alert = |chat, number, spec: &str| PersonalAlert {
        paused: false,
        changed: None,
        message: None,
        chat,
        number,
        spec: spec.into(),
        created: now,
    };
    // Chat 1: an alert on KA and NVDA (configured: not counted), KB watched.
    store
        .put_personal_alert(&alert(1, 1, "KA drop 3%"))
        .unwrap();
    store
        .put_personal_alert(&alert(1, 2, "NVDA drop 3%"))
        .unwrap();
    let mut chat = Chat::new(1, crate::chats::ChatKind::Private, String::new(), now);
    chat.watch = ["KB".to_string(), "NVDA".to_string()].into();
    store.put_chat(&chat).unwrap();
    d.sync_chat(1).unwrap();
    assert_eq!(d.wanted(now), ["KA", "KB"]);
    let mine = d.symbols_of(1).unwrap();
    assert_eq!(
        d.may_add("KC", mine.iter().cloned(), now),
        Err(Refusal::PerChat(2))
    );
    assert_eq!(d.may_add("KA", mine.iter().cloned(), now), Ok(()));
    assert_eq!(d.may_add("NVDA", mine.iter().cloned(), now), Ok(()));
    // Another chat quotes KC: fetched for an hour; the overall limit of 3 is then reached.
    d.quoted(2, "KC", now);
    assert_eq!(d.wanted(now), ["KA", "KB", "KC"]);
    // Full: an alert on KD is taken, and the quote that would end first makes way.
    assert_eq!(d.may_add("KD", std::iter::empty(), now), Ok(()));
    assert_eq!(d.wanted(now), ["KA", "KB"]);
    d.quoted(2, "KC", now);
    assert_eq!(
        d.wanted(now + chrono::TimeDelta::hours(2)),
        ["KA", "KB"],
        "the quote's hour is over"
    );
    // Chat 1 deletes its alert and clears its watch list: nothing refers to KA or KB.
    store.delete_personal_alert(1, 1).unwrap();
    store.update_chat(1, |c| c.watch.clear()).unwrap();
    d.sync_chat(1).unwrap();
    assert_eq!(d.wanted(now), ["KC"]);
    // What the store says is read back at start: what active chats refer to.
    store
        .put_personal_alert(&alert(2, 1, "KD rise 1%"))
        .unwrap();
    store
        .put_personal_alert(&alert(3, 1, "KA rise 1%"))
        .unwrap();
    store
        .put_chat(&Chat::new(
            2,
            crate::chats::ChatKind::Private,
            String::new(),
            now,
        ))
        .unwrap();
    let mut stopped = Chat::new(3, crate::chats::ChatKind::Private, String::new(), now);
    stopped.active = false;
    store.put_chat(&stopped).unwrap();
    let (d, _) = demand(&store, limits);
    assert_eq!(
        d.wanted(now),
        ["KD"],
        "a stopped chat's symbols are not fetched"
    );
    // Chat 2 stops: its symbol goes too.
    store.update_chat(2, |c| c.active = false).unwrap();
    d.sync_chat(2).unwrap();
    assert!(d.wanted(now).is_empty());
}

#[tokio::test]
async fn a_chat_naming_symbol_after_symbol_cannot_use_up_the_provider_or_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let limits = DemandLimits {
        per_chat: 3,
        max: 4,
        ..DemandLimits::default()
    };
    let (d, fake) = demand(&store, limits);
    let (tx, _rx) = tokio::sync::mpsc::channel(4);
    let now = t("2026-02-02T15:00:00Z");
    // One chat asks about twenty-five unknown symbols within the hour: twenty are asked.
    let mut asked = 0;
    for i in 0..25 {
        let at = now + chrono::TimeDelta::seconds(i * 2);
        if d.check(1, &format!("Z{i:02}"), at, &tx).await != Verdict::Unchecked {
            asked += 1;
        }
    }
    assert_eq!(asked, ASKS_PER_CHAT_HOUR);
    assert_eq!(fake.asked.lock().unwrap().len(), ASKS_PER_CHAT_HOUR);
    // Another chat is not affected; and an hour later the first may ask again.
    let later = now + chrono::TimeDelta::minutes(1);
    assert_eq!(d.check(2, "KA", later, &tx).await, Verdict::Known);
    let hour = now + chrono::TimeDelta::minutes(61);
    assert_eq!(d.check(1, "KB", hour, &tx).await, Verdict::Known);
    for s in ["KC", "KD", "KE", "KF"] {
        d.check(2, s, hour, &tx).await;
    }
    // Quotes count against the chat's share...
    for s in ["KA", "KB", "KC", "KD"] {
        d.quoted(3, s, hour);
    }
    assert_eq!(d.wanted(hour), ["KA", "KB", "KC"], "three per chat");
    // ...and make way for an alert when the overall limit is reached.
    d.quoted(4, "KD", hour + chrono::TimeDelta::seconds(1));
    assert_eq!(d.wanted(hour).len(), 4);
    assert_eq!(d.may_add("KE", std::iter::empty(), hour), Ok(()));
    assert_eq!(d.wanted(hour).len(), 3, "the quote ending first went");
}
