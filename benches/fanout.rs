//! Fan-out: one alert to 2 000 chats through the real binary, against a fake Bot API on
//! loopback that refuses (429) anything beyond Telegram's limits — 30 messages a second
//! overall, one a second per chat. Once straight through, once killed with SIGKILL a third of
//! the way and started again on the same data.
//!
//! `cargo bench --bench fanout` prints, per run, the chats served, duplicates, 429s, and the
//! time from the first alert to the last against the theoretical minimum (1 999 / 30 s).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Duration;

const CHATS: usize = 2_000;

fn print(name: &str, r: &support::fanout::Report) {
    println!(
        "{name}: {} of {} chats served, {} duplicate(s), {} refused (429); first to last alert {:.1} s, minimum {:.1} s, ratio {:.3}; bot peak RSS {} MiB{}",
        r.per_chat.len(),
        r.chats,
        r.duplicates(),
        r.refused,
        r.spread.as_secs_f64(),
        r.minimum.as_secs_f64(),
        r.spread.as_secs_f64() / r.minimum.as_secs_f64(),
        r.peak_rss_kib
            .map_or("?".to_string(), |k| format!("{:.0}", k as f64 / 1024.0)),
        if r.killed {
            format!("; killed after {} and restarted", r.before_kill)
        } else {
            String::new()
        },
    );
}

fn main() {
    // `cargo test --benches` runs benches once in test mode: keep that quick.
    let chats = if std::env::args().any(|a| a == "--bench") {
        CHATS
    } else {
        60
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let straight = support::fanout::run(chats, None, Duration::from_secs(600)).await;
        print("straight", &straight);
        let killed = support::fanout::run(chats, Some(chats / 3), Duration::from_secs(600)).await;
        print("kill -9 and restart", &killed);
    });
}
