use super::*;
use std::sync::atomic::AtomicUsize;

/// A backend on a fresh schema of the test database, dropped at the end (the backend
/// first, then the schema).
struct TestDb {
    pg: Postgres,
    url: String,
    schema: String,
    _owner: TestSchema,
}

impl std::ops::Deref for TestDb {
    type Target = Postgres;
    fn deref(&self) -> &Postgres {
        &self.pg
    }
}

/// `None` (and a line on stderr) when no test database is configured.
fn test_db() -> Option<TestDb> {
    let owner = TestSchema::create()?;
    Some(TestDb {
        pg: owner.connect(),
        url: owner.url.clone(),
        schema: owner.schema.clone(),
        _owner: owner,
    })
}

fn tx(pg: &Postgres, body: &mut Body<'_>) -> Result<(), BackendError> {
    pg.transaction(&[Tree::Meta, Tree::Chats], body)
}

fn keys(entries: &[Entry]) -> Vec<Vec<u8>> {
    entries.iter().map(|(k, _)| k.clone()).collect()
}

#[test]
fn get_insert_remove_and_compare_and_swap() {
    let Some(db) = test_db() else { return };
    let t = Tree::Chats;
    assert_eq!(db.get(t, b"a").unwrap(), None);
    db.insert(t, b"a", b"1").unwrap();
    db.insert(t, b"a", b"2").unwrap();
    assert_eq!(db.get(t, b"a").unwrap(), Some(b"2".to_vec()));
    assert_eq!(
        db.get(Tree::Meta, b"a").unwrap(),
        None,
        "trees are separate"
    );
    assert_eq!(db.len(t).unwrap(), 1);
    assert!(db.remove(t, b"a").unwrap());
    assert!(!db.remove(t, b"a").unwrap());

    assert!(
        db.compare_and_swap(t, b"k", None, None).unwrap(),
        "absent as expected"
    );
    assert!(db.compare_and_swap(t, b"k", None, Some(b"1")).unwrap());
    assert!(!db.compare_and_swap(t, b"k", None, Some(b"9")).unwrap());
    assert!(
        !db.compare_and_swap(t, b"k", None, None).unwrap(),
        "present"
    );
    assert!(
        !db.compare_and_swap(t, b"k", Some(b"0"), Some(b"9"))
            .unwrap()
    );
    assert!(
        db.compare_and_swap(t, b"k", Some(b"1"), Some(b"2"))
            .unwrap()
    );
    assert!(!db.compare_and_swap(t, b"k", Some(b"1"), None).unwrap());
    assert_eq!(db.get(t, b"k").unwrap(), Some(b"2".to_vec()));
    assert!(db.compare_and_swap(t, b"k", Some(b"2"), None).unwrap());
    assert_eq!(db.get(t, b"k").unwrap(), None);
    assert!(
        !db.compare_and_swap(t, b"k", Some(b"2"), Some(b"3"))
            .unwrap()
    );
    assert!(db.size_on_disk().unwrap() > 0);
    db.flush().unwrap();
}

#[test]
fn scans_in_byte_order_from_either_end() {
    let Some(db) = test_db() else { return };
    let t = Tree::Bars;
    let all: Vec<Vec<u8>> = vec![
        vec![],
        vec![0],
        vec![0, 0],
        vec![1],
        vec![1, 0xff],
        vec![1, 0xff, 0],
        vec![2],
        vec![0xff],
        vec![0xff, 0xff],
    ];
    for k in all.iter().rev() {
        db.insert(t, k, &[k.len() as u8]).unwrap();
    }
    db.insert(Tree::Meta, &[1, 5], b"other tree").unwrap();
    let asc = db.scan(t, &Range::all(), Order::Ascending, 100).unwrap();
    assert_eq!(keys(&asc), all);
    assert_eq!(asc[4].1, vec![2]);
    let mut desc = all.clone();
    desc.reverse();
    assert_eq!(
        keys(&db.scan(t, &Range::all(), Order::Descending, 100).unwrap()),
        desc
    );
    assert_eq!(
        keys(&db.scan(t, &Range::all(), Order::Descending, 2).unwrap()),
        desc[..2]
    );
    assert!(
        db.scan(t, &Range::all(), Order::Ascending, 0)
            .unwrap()
            .is_empty()
    );

    let p1 = Range::prefix(&[1]);
    let want = vec![vec![1], vec![1, 0xff], vec![1, 0xff, 0]];
    assert_eq!(keys(&db.scan(t, &p1, Order::Ascending, 10).unwrap()), want);
    let got = keys(&db.scan(t, &p1, Order::Descending, 2).unwrap());
    assert_eq!(got, vec![vec![1, 0xff, 0], vec![1, 0xff]]);
    let pff = Range::prefix(&[0xff]);
    assert_eq!(pff.end, None);
    let got = keys(&db.scan(t, &pff, Order::Descending, 10).unwrap());
    assert_eq!(got, vec![vec![0xff, 0xff], vec![0xff]]);
    let below = keys(
        &db.scan(t, &Range::below(&[1]), Order::Ascending, 10)
            .unwrap(),
    );
    assert_eq!(below, vec![vec![], vec![0], vec![0, 0]]);
    let p0 = Range::prefix(&[0]);
    assert_eq!(
        keys(&db.scan(t, &p0, Order::Descending, 10).unwrap()),
        vec![vec![0, 0], vec![0]]
    );
}

#[test]
fn a_transaction_commits_all_or_nothing() {
    let Some(db) = test_db() else { return };
    tx(&db, &mut |tx| {
        tx.insert(Tree::Meta, b"a", b"1")?;
        tx.insert(Tree::Chats, b"b", b"2")?;
        assert_eq!(
            tx.get(Tree::Meta, b"a")?,
            Some(b"1".to_vec()),
            "reads its own writes"
        );
        assert!(tx.remove(Tree::Chats, b"b")?);
        assert!(!tx.remove(Tree::Chats, b"b")?);
        tx.insert(Tree::Chats, b"c", b"3")?;
        Ok(())
    })
    .unwrap();
    assert_eq!(db.get(Tree::Meta, b"a").unwrap(), Some(b"1".to_vec()));
    assert_eq!(db.get(Tree::Chats, b"b").unwrap(), None);
    assert_eq!(db.get(Tree::Chats, b"c").unwrap(), Some(b"3".to_vec()));

    let err = tx(&db, &mut |tx| {
        tx.insert(Tree::Meta, b"a", b"changed")?;
        tx.insert(Tree::Chats, b"d", b"4")?;
        Err(TxError::Failed("the body gave up".into()))
    })
    .unwrap_err();
    assert_eq!(err.to_string(), "the body gave up");
    assert_eq!(db.get(Tree::Meta, b"a").unwrap(), Some(b"1".to_vec()));
    assert_eq!(db.get(Tree::Chats, b"d").unwrap(), None);
}

#[test]
fn concurrent_increments_are_serialized() {
    let Some(db) = test_db() else { return };
    let runs = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..50 {
                    tx(&db, &mut |tx| {
                        runs.fetch_add(1, Ordering::SeqCst);
                        let n = tx
                            .get(Tree::Meta, b"counter")?
                            .map_or(0, |v| u64::from_be_bytes(v.try_into().expect("8 bytes")));
                        tx.insert(Tree::Meta, b"counter", &(n + 1).to_be_bytes())?;
                        Ok(())
                    })
                    .unwrap();
                }
            });
        }
    });
    let v = db.get(Tree::Meta, b"counter").unwrap().expect("counter");
    assert_eq!(u64::from_be_bytes(v.try_into().expect("8 bytes")), 100);
    eprintln!(
        "100 increments took {} runs of the body",
        runs.load(Ordering::SeqCst)
    );
}

#[test]
fn ids_increase() {
    let Some(db) = test_db() else { return };
    let a = db.generate_id().unwrap();
    let b = db.generate_id().unwrap();
    let mut c = 0;
    tx(&db, &mut |tx| {
        c = tx.generate_id()?;
        Ok(())
    })
    .unwrap();
    assert!(0 < a && a < b && b < c, "{a} {b} {c}");
    assert!(db.generate_id().unwrap() > c);
}

#[tokio::test]
async fn works_inside_a_current_thread_runtime() {
    let Some(db) = test_db() else { return };
    db.insert(Tree::Meta, b"k", b"v").unwrap();
    tx(&db, &mut |tx| tx.insert(Tree::Meta, b"k2", b"v2")).unwrap();
    assert_eq!(db.get(Tree::Meta, b"k2").unwrap(), Some(b"v2".to_vec()));
    tokio::task::yield_now().await;
    assert_eq!(db.len(Tree::Meta).unwrap(), 2);
}

#[test]
fn works_inside_a_multi_thread_runtime_task() {
    let Some(db) = test_db() else { return };
    let db = Arc::new(db);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let tasks: Vec<_> = (0u8..4)
        .map(|i| {
            let db = db.clone();
            runtime.spawn(async move {
                db.insert(Tree::Meta, &[i], &[i]).unwrap();
                tx(&db, &mut |tx| tx.insert(Tree::Chats, &[i], &[i])).unwrap();
                db.get(Tree::Chats, &[i]).unwrap()
            })
        })
        .collect();
    for (i, task) in (0u8..).zip(tasks) {
        assert_eq!(runtime.block_on(task).unwrap(), Some(vec![i]));
    }
    assert_eq!(db.len(Tree::Meta).unwrap(), 4);
}

#[test]
fn the_lease_moves_on_expiry_and_fences_the_old_leader() {
    let Some(db) = test_db() else { return };
    // Long enough that the assertions made while it runs finish first on a loaded machine;
    // its end is waited for below, not assumed after a fixed sleep.
    let short = Duration::from_millis(1500);
    assert_eq!(db.leader().unwrap(), None);
    assert_eq!(db.lease("a", None, short).unwrap(), Some(1));
    assert_eq!(db.lease("a", Some(1), short).unwrap(), Some(1), "renewed");
    assert_eq!(db.leader().unwrap(), Some(("a".to_owned(), 1)));
    assert_eq!(db.lease("b", None, short).unwrap(), None, "a's lease runs");
    assert_eq!(
        db.lease("a", None, short).unwrap(),
        None,
        "a new a waits too"
    );

    db.fence(Some(("a".to_owned(), 1)));
    tx(&db, &mut |tx| tx.insert(Tree::Meta, b"by a", b"1")).unwrap();

    let deadline = Instant::now() + Duration::from_secs(10);
    while db.leader().unwrap().is_some() {
        assert!(Instant::now() < deadline, "the lease never expired");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        db.lease("b", None, Duration::from_secs(30)).unwrap(),
        Some(2)
    );
    assert_eq!(db.lease("a", Some(1), short).unwrap(), None, "deposed");
    assert_eq!(db.leader().unwrap(), Some(("b".to_owned(), 2)));

    let err = tx(&db, &mut |tx| tx.insert(Tree::Meta, b"by a", b"2")).unwrap_err();
    assert!(
        err.to_string().contains("deposed: a no longer leads"),
        "{err}"
    );
    assert_eq!(db.get(Tree::Meta, b"by a").unwrap(), Some(b"1".to_vec()));

    db.fence(Some(("b".to_owned(), 2)));
    tx(&db, &mut |tx| tx.insert(Tree::Meta, b"by b", b"1")).unwrap();
    db.fence(None);

    db.release("a", 1).unwrap();
    assert_eq!(
        db.leader().unwrap(),
        Some(("b".to_owned(), 2)),
        "not a's to release"
    );
    db.release("b", 2).unwrap();
    assert_eq!(db.leader().unwrap(), None);
    assert_eq!(db.lease("a", None, short).unwrap(), Some(3));
}

/// The leader renews its lease every 2 s, so a transaction that runs longer (a fan-out to very
/// many chats, reads across a slow network) sees the lease row change under it at every run.
/// It commits all the same, instead of running again and again (within what is left of its
/// lease: the lease here is long).
#[test]
fn a_transaction_outlasting_the_renewals_of_its_own_lease_commits() {
    let Some(db) = test_db() else { return };
    let lease = Duration::from_secs(60);
    assert_eq!(db.lease("a", None, lease).unwrap(), Some(1));
    db.fence(Some(("a".to_owned(), 1)));
    // The lease keeper: another connection, on a thread of its own.
    let keeper = Arc::new(Postgres::connect(&db.url, Some(&db.schema)).unwrap());
    let mut runs = 0;
    let mut renewals = Vec::new();
    let committed = tx(&db, &mut |tx| {
        runs += 1;
        if runs > 5 {
            return Err(TxError::Failed("ran again and again".into()));
        }
        tx.get(Tree::Meta, b"anything")?;
        tx.insert(Tree::Meta, b"long", &[runs])?;
        // The keeper renews while this run goes on. Waited for a while, not for good: a
        // renewal may have to wait for this transaction.
        let (done, renewed) = mpsc::channel();
        let keeper = Arc::clone(&keeper);
        renewals.push(std::thread::spawn(move || {
            let term = keeper.lease("a", Some(1), lease);
            let _ = done.send(());
            term
        }));
        let _ = renewed.recv_timeout(Duration::from_secs(1));
        Ok(())
    });
    for renewal in renewals {
        assert_eq!(renewal.join().unwrap().unwrap(), Some(1), "renewed");
    }
    committed.unwrap();
    assert_eq!(db.get(Tree::Meta, b"long").unwrap(), Some(vec![runs]));
}

#[test]
fn migrations_are_idempotent_and_describe_hides_the_password() {
    let Some(db) = test_db() else { return };
    db.insert(Tree::Meta, b"kept", b"1").unwrap();
    let again = Postgres::connect(&db.url, Some(&db.schema)).unwrap();
    assert_eq!(again.get(Tree::Meta, b"kept").unwrap(), Some(b"1".to_vec()));
    let applied: i64 = again
        .op("count", |c| async move {
            query_one(&c, "SELECT count(*) FROM marketbot_migrations", &[])
                .await?
                .try_get(0)
        })
        .unwrap();
    assert_eq!(applied, MIGRATIONS.len() as i64);
    assert!(db.describe().starts_with("postgres "), "{}", db.describe());
    assert!(
        db.describe()
            .ends_with(&format!("(schema {}, TLS if offered)", db.schema)),
        "{}",
        db.describe()
    );

    let (url, tls) =
        Tls::split("postgres://test:secret@127.0.0.1:5432/test?sslmode=disable").unwrap();
    let config: tokio_postgres::Config = url.parse().unwrap();
    let text = describe_config(&config, "public", &tls);
    assert_eq!(text, "postgres test@127.0.0.1:5432 (schema public, no TLS)");
    let debug = format!("{:?}", db.pg);
    assert!(
        !debug.contains("secret") && debug.contains("Postgres"),
        "{debug}"
    );
}

#[test]
fn buffered_writes_are_read_back_and_sent_in_batches_with_reserved_ids() {
    let Some(db) = test_db() else { return };
    let mut ids = Vec::new();
    tx(&db, &mut |tx| {
        ids.clear();
        tx.insert(Tree::Chats, b"a", b"1")?;
        tx.insert(Tree::Chats, b"a", b"2")?;
        assert_eq!(
            tx.get(Tree::Chats, b"a")?,
            Some(b"2".to_vec()),
            "its own write"
        );
        // More than a batch, and a removal in the middle keeps its order.
        for i in 0..2500u32 {
            tx.insert(Tree::Meta, &i.to_be_bytes(), b"x")?;
        }
        tx.remove(Tree::Meta, &7u32.to_be_bytes())?;
        tx.insert(Tree::Meta, &8u32.to_be_bytes(), b"y")?;
        for _ in 0..100 {
            ids.push(tx.generate_id()?);
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(db.get(Tree::Chats, b"a").unwrap(), Some(b"2".to_vec()));
    assert_eq!(db.len(Tree::Meta).unwrap(), 2499);
    assert_eq!(db.get(Tree::Meta, &7u32.to_be_bytes()).unwrap(), None);
    assert_eq!(
        db.get(Tree::Meta, &8u32.to_be_bytes()).unwrap(),
        Some(b"y".to_vec())
    );
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert!(db.generate_id().unwrap() > *ids.last().unwrap());
}

#[test]
fn a_connection_lost_before_commit_is_retried() {
    let Some(db) = test_db() else { return };
    let mut runs = 0;
    tx(&db, &mut |tx| {
        runs += 1;
        tx.insert(Tree::Meta, b"k", b"v")?;
        // A removal sends the buffered write first: the transaction now holds a lock.
        tx.remove(Tree::Meta, b"nothing")?;
        if runs == 1 {
            // End the backend holding our lock on marketbot_kv: this transaction's.
            let pool = db.pool.clone();
            let killed: i64 = db
                .run(async move {
                    let sql = "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_locks \
                        WHERE relation = to_regclass('marketbot_kv') \
                        AND pid <> pg_backend_pid()";
                    let c = pool.get().await.map_err(pool_fail)?;
                    Ok(query_one(&c, sql, &[]).await?.try_get(0)?)
                })
                .map_err(|f| TxError::Failed(f.into()))?;
            assert_eq!(killed, 1);
        }
        tx.get(Tree::Meta, b"k")?;
        Ok(())
    })
    .unwrap();
    assert_eq!(runs, 2);
    assert_eq!(db.get(Tree::Meta, b"k").unwrap(), Some(b"v".to_vec()));
}

#[test]
fn a_connection_lost_during_commit_is_reported_not_retried() {
    let Some(db) = test_db() else { return };
    // A deferred trigger makes COMMIT sleep; the backend is ended while it does.
    let setup = "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS \
        $$ BEGIN PERFORM pg_sleep(5); RETURN NULL; END $$; \
        CREATE CONSTRAINT TRIGGER slow AFTER INSERT ON marketbot_kv \
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow()";
    db.op(
        "setup",
        move |c| async move { c.batch_execute(setup).await },
    )
    .unwrap();
    let mut runs = 0;
    let err = std::thread::scope(|s| {
        s.spawn(|| {
            let kill = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                WHERE wait_event = 'PgSleep' AND pid IN \
                (SELECT pid FROM pg_locks WHERE relation = to_regclass('marketbot_kv'))";
            for _ in 0..100 {
                std::thread::sleep(Duration::from_millis(50));
                let killed: i64 = db
                    .op("kill", move |c| async move {
                        query_one(&c, kill, &[]).await?.try_get(0)
                    })
                    .unwrap();
                if killed > 0 {
                    return;
                }
            }
        });
        tx(&db, &mut |tx| {
            runs += 1;
            tx.insert(Tree::Meta, b"slow", b"1")
        })
        .unwrap_err()
    });
    assert!(
        err.to_string()
            .contains("may or may not have been committed"),
        "{err}"
    );
    assert_eq!(runs, 1, "not retried");
    assert_eq!(db.get(Tree::Meta, b"slow").unwrap(), None);
}

/// A proxy on loopback in front of the test database that loses an answer on cue: the next
/// request carrying the bytes it was armed with goes to the server, which does it and answers,
/// but the connection is closed instead of passing the answer back.
struct LosingProxy {
    url: String,
    armed: Arc<std::sync::Mutex<Option<Vec<u8>>>>,
    lost: Arc<AtomicUsize>,
}

impl LosingProxy {
    fn start(db_url: &str) -> LosingProxy {
        use std::io::{Read, Write};
        use std::net::{Shutdown, TcpListener, TcpStream};
        let mut url = url::Url::parse(db_url).unwrap();
        let server = format!(
            "{}:{}",
            url.host_str().unwrap_or("127.0.0.1"),
            url.port().unwrap_or(5432)
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        url.set_host(Some("127.0.0.1")).unwrap();
        url.set_port(Some(listener.local_addr().unwrap().port()))
            .unwrap();
        // In the clear: the proxy reads the requests.
        url.query_pairs_mut().append_pair("sslmode", "disable");
        let armed: Arc<std::sync::Mutex<Option<Vec<u8>>>> = Arc::default();
        let lost = Arc::new(AtomicUsize::new(0));
        let (arm, count) = (Arc::clone(&armed), Arc::clone(&lost));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let (Ok(client), Ok(upstream)) = (client, TcpStream::connect(&server)) else {
                    continue;
                };
                let lose = Arc::new(AtomicBool::new(false));
                let (mut from, mut to) =
                    (upstream.try_clone().unwrap(), client.try_clone().unwrap());
                let (losing, count) = (Arc::clone(&lose), Arc::clone(&count));
                std::thread::spawn(move || {
                    let mut buf = vec![0; 1 << 16];
                    while let Ok(n @ 1..) = from.read(&mut buf) {
                        if losing.load(Ordering::SeqCst) {
                            count.fetch_add(1, Ordering::SeqCst);
                            break;
                        }
                        if to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = from.shutdown(Shutdown::Both);
                    let _ = to.shutdown(Shutdown::Both);
                });
                let (mut from, mut to, arm) = (client, upstream, Arc::clone(&arm));
                std::thread::spawn(move || {
                    let mut buf = vec![0; 1 << 16];
                    while let Ok(n @ 1..) = from.read(&mut buf) {
                        let mut armed = arm.lock().unwrap();
                        let hit = armed
                            .as_ref()
                            .is_some_and(|m| buf[..n].windows(m.len()).any(|w| w == m));
                        if hit {
                            *armed = None;
                            // Before the server can answer.
                            lose.store(true, Ordering::SeqCst);
                        }
                        drop(armed);
                        if to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = from.shutdown(Shutdown::Both);
                    let _ = to.shutdown(Shutdown::Both);
                });
            }
        });
        LosingProxy {
            url: url.to_string(),
            armed,
            lost,
        }
    }

    /// The answer to the next request that carries `bytes` is lost.
    fn lose_answer_to(&self, bytes: &[u8]) {
        *self.armed.lock().unwrap() = Some(bytes.to_vec());
    }

    /// How many answers it lost.
    fn lost(&self) -> usize {
        self.lost.load(Ordering::SeqCst)
    }
}

/// A compare-and-swap the server made but whose answer was lost with the connection is tried
/// again; finding its own value there, it reports the swap it made (a webhook update taken in
/// so would otherwise be "in flight" for good, and never handed over).
#[test]
fn a_compare_and_swap_whose_answer_was_lost_reports_the_swap_it_made() {
    let Some(db) = test_db() else { return };
    let proxy = LosingProxy::start(&db.url);
    let pg = Postgres::connect(&proxy.url, Some(&db.schema)).unwrap();
    let key = b"a key of its own";
    proxy.lose_answer_to(b"first value");
    assert!(
        pg.compare_and_swap(Tree::Meta, key, None, Some(b"first value"))
            .unwrap(),
        "created"
    );
    proxy.lose_answer_to(b"second value");
    assert!(
        pg.compare_and_swap(Tree::Meta, key, Some(b"first value"), Some(b"second value"))
            .unwrap(),
        "changed"
    );
    assert_eq!(
        db.get(Tree::Meta, key).unwrap(),
        Some(b"second value".to_vec())
    );
    proxy.lose_answer_to(key);
    assert!(
        pg.compare_and_swap(Tree::Meta, key, Some(b"second value"), None)
            .unwrap(),
        "removed"
    );
    assert_eq!(db.get(Tree::Meta, key).unwrap(), None);
    assert_eq!(proxy.lost(), 3, "each answer was lost");
    // Tried again, a swap another writer beat still fails.
    db.insert(Tree::Meta, key, b"theirs").unwrap();
    proxy.lose_answer_to(b"mine");
    assert!(
        !pg.compare_and_swap(Tree::Meta, key, Some(b"first value"), Some(b"mine"))
            .unwrap()
    );
    assert_eq!(db.get(Tree::Meta, key).unwrap(), Some(b"theirs".to_vec()));

    let store = crate::store::Store::with_backend(Arc::new(pg)).unwrap();
    proxy.lose_answer_to(b"\"run\":4242");
    assert_eq!(
        store.take_in_update(7, 1_700_000_000, 4242).unwrap(),
        crate::store::TakeIn::First,
        "the request that recorded the update hands it over"
    );
    assert_eq!(proxy.lost(), 5);
}

#[test]
fn an_unreachable_database_is_retried_then_reported() {
    let started = Instant::now();
    let url = "postgres://marketbot@127.0.0.1:1/none";
    let err = Postgres::open(url, None, Duration::from_millis(300))
        .unwrap_err()
        .to_string();
    assert!(err.contains("database unavailable, gave up after"), "{err}");
    assert!(err.contains("error connecting to server"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn schema_names_are_checked() {
    for bad in ["", "Public", "a-b", "x\"; DROP", &"a".repeat(64)] {
        let err = Postgres::connect("postgres://u@127.0.0.1:1/db", Some(bad)).unwrap_err();
        assert!(err.to_string().contains("invalid schema name"), "{err}");
    }
}

/// Another session holding one row locked (`FOR UPDATE`, in a transaction left open) until it
/// is released or dropped.
struct RowLock<'a> {
    db: &'a Postgres,
    /// `None` once released.
    client: Option<Object>,
    pid: i32,
}

impl<'a> RowLock<'a> {
    fn take(db: &'a Postgres, tree: Tree, key: &[u8]) -> RowLock<'a> {
        let (pool, key) = (db.pool.clone(), key.to_vec());
        let (client, pid) = db
            .run(async move {
                let c = pool.get().await.map_err(pool_fail)?;
                // Its own transaction stays open as long as the test needs it.
                c.batch_execute("BEGIN; SET LOCAL idle_in_transaction_session_timeout = 0")
                    .await?;
                let locked = c
                    .query(
                        "SELECT 1 FROM marketbot_kv WHERE tree = $1 AND key = $2 FOR UPDATE",
                        &[&tree.name(), &key],
                    )
                    .await?;
                assert_eq!(locked.len(), 1, "the row to lock exists");
                let pid: i32 = c
                    .query_one("SELECT pg_backend_pid()", &[])
                    .await?
                    .try_get(0)?;
                Ok((c, pid))
            })
            .unwrap();
        RowLock {
            db,
            client: Some(client),
            pid,
        }
    }

    /// Waits for a session to wait for this lock (up to 30 s), then cancels its statement.
    fn cancel_the_waiting(&self) {
        let blocked = "SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))";
        let pid = self.pid;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let waiting: Option<i32> = self
                .db
                .op("waiting", move |c| async move {
                    query_opt(&c, blocked, &[&pid])
                        .await?
                        .map(|r| r.try_get(0))
                        .transpose()
                })
                .unwrap();
            if let Some(waiting) = waiting {
                let cancelled: bool = self
                    .db
                    .op("cancel", move |c| async move {
                        query_one(&c, "SELECT pg_cancel_backend($1)", &[&waiting])
                            .await?
                            .try_get(0)
                    })
                    .unwrap();
                assert!(cancelled);
                return;
            }
            assert!(Instant::now() < deadline, "nothing waited for the lock");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Ends the transaction holding the lock.
    fn release(mut self) {
        let client = self.client.take().expect("held");
        self.db
            .run(async move { Ok(client.batch_execute("ROLLBACK").await?) })
            .unwrap();
    }
}

impl Drop for RowLock<'_> {
    fn drop(&mut self) {
        // Still in its transaction: closed, not pooled.
        if let Some(client) = self.client.take() {
            drop(Object::take(client));
        }
    }
}

/// A statement the server cancelled (SQLSTATE 57014: an operator's `pg_cancel_backend`, or a
/// statement timeout) rolled back what it did: it is tried again, a transaction run again
/// whole, instead of failing the operation.
#[test]
fn a_cancelled_statement_is_tried_again() {
    let Some(db) = test_db() else { return };
    let t = Tree::Meta;
    db.insert(t, b"held", b"1").unwrap();

    let lock = RowLock::take(&db, t, b"held");
    let removed = std::thread::scope(|s| {
        let op = s.spawn(|| db.remove(t, b"held"));
        lock.cancel_the_waiting();
        lock.release();
        op.join().unwrap()
    });
    assert!(removed.unwrap(), "removed when tried again");

    db.insert(t, b"held", b"1").unwrap();
    let lock = RowLock::take(&db, t, b"held");
    let swapped = std::thread::scope(|s| {
        let op = s.spawn(|| db.compare_and_swap(t, b"held", Some(b"1"), Some(b"2")));
        lock.cancel_the_waiting();
        lock.release();
        op.join().unwrap()
    });
    assert!(swapped.unwrap(), "swapped when tried again");
    assert_eq!(db.get(t, b"held").unwrap(), Some(b"2".to_vec()));

    let lock = RowLock::take(&db, t, b"held");
    let mut runs = 0;
    let committed = std::thread::scope(|s| {
        let op = s.spawn(|| {
            tx(&db, &mut |tx| {
                runs += 1;
                tx.insert(t, b"runs", &[runs])?;
                tx.update(t, b"held", b"3")?;
                Ok(())
            })
        });
        lock.cancel_the_waiting();
        lock.release();
        op.join().unwrap()
    });
    committed.unwrap();
    // Twice, unless the statement timeout cancelled a run too (a slow machine).
    assert!(runs >= 2, "run again whole");
    assert_eq!(db.get(t, b"held").unwrap(), Some(b"3".to_vec()));
    assert_eq!(db.get(t, b"runs").unwrap(), Some(vec![runs]));
}

/// A `COMMIT` the server cancelled (running a deferred trigger) rolled back: the transaction
/// runs again and commits once, not reported as one that may have committed.
#[test]
fn a_cancelled_commit_runs_the_transaction_again() {
    let Some(db) = test_db() else { return };
    // The first COMMIT sleeps in a deferred trigger, and is cancelled there.
    let setup = "CREATE SEQUENCE slow_once; \
        CREATE FUNCTION slow_once() RETURNS trigger LANGUAGE plpgsql AS \
        $$ BEGIN IF nextval('slow_once') = 1 THEN PERFORM pg_sleep(60); END IF; \
        RETURN NULL; END $$; \
        CREATE CONSTRAINT TRIGGER slow_once AFTER INSERT OR UPDATE ON marketbot_kv \
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_once()";
    db.op(
        "setup",
        move |c| async move { c.batch_execute(setup).await },
    )
    .unwrap();
    let mut runs = 0;
    let committed = std::thread::scope(|s| {
        s.spawn(|| {
            let cancel = "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity \
                WHERE wait_event = 'PgSleep' AND pid IN \
                (SELECT pid FROM pg_locks WHERE relation = to_regclass('marketbot_kv'))";
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                let cancelled: i64 = db
                    .op("cancel", move |c| async move {
                        query_one(&c, cancel, &[]).await?.try_get(0)
                    })
                    .unwrap();
                if cancelled > 0 {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        tx(&db, &mut |tx| {
            runs += 1;
            let n = tx.get(Tree::Meta, b"counter")?.map_or(0, |v| v[0]);
            tx.insert(Tree::Meta, b"counter", &[n + 1])
        })
    });
    committed.unwrap();
    assert_eq!(runs, 2);
    assert_eq!(db.get(Tree::Meta, b"counter").unwrap(), Some(vec![1]));
}

/// A role that may connect only so many times, dropped with what it was granted.
struct LimitedRole<'a> {
    db: &'a TestDb,
    name: String,
}

impl<'a> LimitedRole<'a> {
    /// A role (named as the test's schema) that may use the schema's tables.
    fn create(db: &'a TestDb) -> LimitedRole<'a> {
        let (name, schema) = (db.schema.clone(), db.schema.clone());
        let sql = format!(
            "CREATE ROLE \"{name}\" LOGIN; \
             GRANT USAGE ON SCHEMA \"{schema}\" TO \"{name}\"; \
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \"{schema}\" \
             TO \"{name}\"; \
             GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA \"{schema}\" TO \"{name}\""
        );
        db.op("role", move |c| async move { c.batch_execute(&sql).await })
            .unwrap();
        LimitedRole { db, name }
    }

    /// The test database's URL, as this role.
    fn url(&self) -> String {
        let mut url = url::Url::parse(&self.db.url).unwrap();
        url.set_username(&self.name).unwrap();
        url.set_password(None).unwrap();
        url.to_string()
    }

    /// Sets how many connections it may have (-1: no limit).
    fn limit(&self, n: i32) {
        let sql = format!("ALTER ROLE \"{}\" CONNECTION LIMIT {n}", self.name);
        self.db
            .op("limit", move |c| async move { c.batch_execute(&sql).await })
            .unwrap();
    }
}

impl Drop for LimitedRole<'_> {
    fn drop(&mut self) {
        let sql = format!("DROP OWNED BY \"{0}\"; DROP ROLE \"{0}\"", self.name);
        let _ = self.db.op(
            "drop role",
            move |c| async move { c.batch_execute(&sql).await },
        );
    }
}

/// A database at its connection limit (SQLSTATE 53300, "too many connections") is waited for
/// as an unreachable one is: the operation goes through once a connection can be made.
#[test]
fn a_database_at_its_connection_limit_is_waited_for() {
    let Some(db) = test_db() else { return };
    db.insert(Tree::Meta, b"k", b"v").unwrap();
    let role = LimitedRole::create(&db);
    let pg = Postgres::connect(&role.url(), Some(&db.schema)).unwrap();
    role.limit(0);
    // No connection left in the pool: the next operation makes one.
    pg.pool.retain(|_, _| false);
    let got = std::thread::scope(|s| {
        let op = s.spawn(|| pg.get(Tree::Meta, b"k"));
        let deadline = Instant::now() + Duration::from_secs(30);
        while !pg.outage.load(Ordering::SeqCst) && !op.is_finished() {
            assert!(Instant::now() < deadline, "never refused");
            std::thread::sleep(Duration::from_millis(20));
        }
        // A busy database, not an unreachable one: its end is told as what it was.
        assert!(!pg.unreachable.load(Ordering::SeqCst));
        role.limit(-1);
        op.join().unwrap()
    });
    assert_eq!(got.unwrap(), Some(b"v".to_vec()));
    assert!(!pg.outage.load(Ordering::SeqCst) && !pg.unreachable.load(Ordering::SeqCst));
    assert_eq!(outage_ended(false), "no longer busy");
    assert_eq!(outage_ended(true), "reachable again");
    drop(pg);
}

/// `url` with `options` (the server's settings for the session) added.
fn with_options(url: &str, options: &str) -> String {
    // Percent-encoded: tokio-postgres does not read `+` as a space.
    let options = options.replace(' ', "%20").replace('=', "%3D");
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options={options}")
}

/// What `SHOW setting` says on a connection of `pg`.
fn show(pg: &Postgres, setting: &'static str) -> String {
    pg.op("show", move |c| async move {
        c.query_one(&format!("SHOW {setting}"), &[])
            .await?
            .try_get(0)
    })
    .unwrap()
}

/// Every session bounds how long a statement may take and a transaction may sit idle, tied to
/// the lease; a URL's own `options` take precedence.
#[test]
fn statements_and_idle_transactions_are_bounded_by_the_lease() {
    let Some(db) = test_db() else { return };
    assert_eq!(show(&db, "statement_timeout"), "2s");
    assert_eq!(show(&db, "idle_in_transaction_session_timeout"), "10s");
    assert_eq!(show(&db, "search_path"), db.schema);
    let url = with_options(&db.url, "-c statement_timeout=5s");
    let pg = Postgres::connect(&url, Some(&db.schema)).unwrap();
    assert_eq!(show(&pg, "statement_timeout"), "5s");
    assert_eq!(show(&pg, "idle_in_transaction_session_timeout"), "10s");
    assert_eq!(show(&pg, "search_path"), db.schema);
}

/// A statement held up by a lock another session holds (an operator's open transaction, say)
/// is cancelled by the statement timeout and tried again, instead of waiting for good: the
/// operation goes through once the lock is let go of.
#[test]
fn a_statement_held_up_by_a_lock_is_cancelled_and_tried_again() {
    let Some(db) = test_db() else { return };
    let t = Tree::Meta;
    db.insert(t, b"held", b"1").unwrap();
    let lock = RowLock::take(&db, t, b"held");
    let started = Instant::now();
    let (surfaced, written) = std::thread::scope(|s| {
        let op = s.spawn(|| db.insert(t, b"held", b"2"));
        let deadline = Instant::now() + Duration::from_secs(30);
        while !db.outage.load(Ordering::SeqCst) && !op.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let surfaced = db.outage.load(Ordering::SeqCst);
        eprintln!(
            "held up by a lock, the statement was cancelled after {:?}",
            started.elapsed()
        );
        lock.release();
        (surfaced, op.join().unwrap())
    });
    assert!(surfaced, "the statement waited for the lock for good");
    written.unwrap();
    assert_eq!(db.get(t, b"held").unwrap(), Some(b"2".to_vec()));
}

/// A lock held for longer than the operation's retries fails it with an error that says what
/// held it up: the statement timeout, or a lock timeout the URL asks for.
#[test]
fn a_lock_held_past_the_retries_fails_the_operation_and_says_why() {
    let Some(db) = test_db() else { return };
    let t = Tree::Meta;
    db.insert(t, b"held", b"1").unwrap();
    let lock = RowLock::take(&db, t, b"held");
    let remove = |url: &str, retry_for: Duration| {
        let pg = Postgres::open(url, Some(&db.schema), retry_for).unwrap();
        let started = Instant::now();
        let result = std::thread::scope(|s| {
            let op = s.spawn(|| pg.remove(t, b"held"));
            let deadline = Instant::now() + Duration::from_secs(30);
            while !op.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            let result = op.is_finished().then(|| op.join().unwrap());
            if result.is_none() {
                // Let it through, so that the test ends.
                let _ = db.op("cancel", |c| async move {
                    c.batch_execute(
                        "SELECT pg_cancel_backend(pid) FROM pg_stat_activity \
                         WHERE wait_event_type = 'Lock' AND pid IN (SELECT pid FROM pg_locks \
                         WHERE relation = to_regclass('marketbot_kv'))",
                    )
                    .await
                });
            }
            result
        });
        eprintln!(
            "held up by a lock, the operation failed after {:?}",
            started.elapsed()
        );
        result
            .expect("the operation waited for good")
            .unwrap_err()
            .to_string()
    };
    let err = remove(&db.url, Duration::from_secs(3));
    assert!(
        err.contains("postgres: remove: database busy, gave up after"),
        "{err}"
    );
    assert!(
        err.contains("57014: canceling statement due to statement timeout"),
        "{err}"
    );
    assert!(
        err.contains("while deleting tuple"),
        "where it waited: {err}"
    );
    let url = with_options(&db.url, "-c lock_timeout=100ms");
    let err = remove(&url, Duration::from_millis(500));
    assert!(
        err.contains("postgres: remove: database busy, gave up after"),
        "{err}"
    );
    assert!(
        err.contains("55P03: canceling statement due to lock timeout"),
        "{err}"
    );
    lock.release();
    assert_eq!(db.get(t, b"held").unwrap(), Some(b"1".to_vec()));
}
