//! The store's tests, a module per concern; here what they share: where a store lives
//! ([`Fixture`]), the tests every backend must pass ([`on_every_backend`]), and the values
//! they are built from.

use super::*;

use crate::chats::{ChatKind, Mute, MuteTarget};
use crate::delivery::outbox::{SentMessage, Target};
use crate::engine::EngineState;
use crate::model::Session;
use crate::personal::{Key, PersonalAlert, PersonalState, Restatement};

/// Where a test's store lives: a sled directory, or a schema of its own in the test database.
enum Fixture {
    Sled(tempfile::TempDir),
    Postgres(postgres::TestSchema),
}

impl Fixture {
    fn sled() -> Fixture {
        Fixture::Sled(tempfile::tempdir().unwrap())
    }

    /// A fresh schema in `MARKETBOT_TEST_DATABASE_URL`, or `None` (said on stderr) without it.
    fn postgres() -> Option<Fixture> {
        postgres::TestSchema::create().map(Fixture::Postgres)
    }

    /// The backend alone (to lay out data as an older version left it).
    fn raw(&self) -> Arc<dyn Backend> {
        match self {
            Fixture::Sled(dir) => {
                Arc::new(crate::store::embedded::Sled::open(dir.path(), 8 << 20).unwrap())
            }
            Fixture::Postgres(schema) => Arc::new(schema.connect()),
        }
    }

    /// The store (again: a restart).
    fn open(&self) -> Store {
        Store::with_backend(self.raw()).unwrap()
    }
}

/// Tests every backend must pass: each runs on sled, and on PostgreSQL when
/// `MARKETBOT_TEST_DATABASE_URL` is set.
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod on_sled {
            $(
                #[test]
                fn $name() {
                    super::$name(&super::Fixture::sled());
                }
            )*
        }
        mod on_postgres {
            $(
                #[test]
                fn $name() {
                    if let Some(fixture) = super::Fixture::postgres() {
                        super::$name(&fixture);
                    }
                }
            )*
        }
    };
}

fn bar(time: &str, close: f64) -> Bar {
    Bar {
        symbol: "NVDA".into(),
        time: time.parse().unwrap(),
        interval: "30m".parse().unwrap(),
        open: Some(close),
        high: Some(close),
        low: Some(close),
        close: Some(close),
        volume: Some(1),
        session: None,
        currency: None,
    }
}

/// A whole message (not a part) sent to `chat`.
fn whole(chat: i64, message: i32, photo: bool) -> SentMessage {
    SentMessage {
        chat,
        part: 0,
        message,
        photo,
    }
}

fn delivery(chat: i64) -> Delivery {
    Delivery::message(
        7,
        Target::Telegram(chat),
        "<b>hi</b>".into(),
        "2026-02-02T21:48:00Z".parse().unwrap(),
    )
}

fn headline(published: &str) -> crate::engine::HeadlineRef {
    crate::engine::HeadlineRef {
        title: "OpenAI looks at alternatives to Nvidia chips".into(),
        link: Some(format!("https://example.com/{published}")),
        source: "Reuters".into(),
        published: published.parse().unwrap(),
    }
}

mod bars;
mod chats;
mod embedded;
mod headlines;
mod migration;
mod outbox;
mod personal;
mod scans;
mod sent;
mod steps;
mod updates;
