//! A real audience for the release binary (figures in BENCHMARKS.md):
//!
//! - `storm`: 200 chats each send 20 `/alert` commands at once (4 000 alerts) against a fake
//!   Bot API that refuses (429) anything beyond Telegram's limits; every reply, then each
//!   chat's crossed alert delivered once, then the alerts kept across a restart.
//! - `idle`: resident memory of a bot with 1 000 / 10 000 / 100 000 subscribed chats and the
//!   shipped rules, left alone for a while.
//! - `personal`: start-up time and memory with 1 000 / 10 000 / 100 000 personal alerts over
//!   500 symbols.
//!
//! `cargo bench --bench audience [-- storm|idle|personal]` (all by default).

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Duration;

use support::audience;

fn mib(kib: Option<u64>) -> String {
    kib.map_or("?".into(), |k| format!("{:.0}", k as f64 / 1024.0))
}

fn main() {
    let args = common::Args::get();
    // `cargo test --benches` runs benches once in test mode: keep that quick.
    let full = args.full();
    let wants = |name: &str| args.wants(name);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        if wants("storm") {
            // `STORM=CHATSxALERTS` for another size.
            let (chats, per_chat) = std::env::var("STORM")
                .ok()
                .and_then(|v| {
                    let (c, a) = v.split_once('x')?;
                    Some((c.parse().ok()?, a.parse().ok()?))
                })
                .unwrap_or(if full { (200, 20) } else { (10, 3) });
            let s = audience::alert_storm(chats, per_chat, Duration::from_secs(900)).await;
            println!(
                "storm: {} chats × {} /alert: {} answered in {:.1} s (minimum {:.1} s, ratio {:.3}; replies per tenth of the time {:?}), {} refused (429); fired alerts delivered to {} chats, {} duplicate(s); {} alerts stored, listed after restart: {}; bot peak RSS {} MiB",
                s.chats,
                s.per_chat,
                s.answered,
                s.took.as_secs_f64(),
                s.minimum.as_secs_f64(),
                s.took.as_secs_f64() / s.minimum.as_secs_f64(),
                s.tenths,
                s.refused,
                s.fired.len(),
                s.duplicates(),
                s.stored,
                s.listed_after_restart,
                mib(s.peak_rss_kib),
            );
        }
        if wants("idle") {
            let sizes: &[usize] = if full { &[0, 1_000, 10_000, 100_000] } else { &[100] };
            for &chats in sizes {
                let r = audience::idle(chats, 0, 1, Duration::from_secs(if full { 60 } else { 2 })).await;
                println!(
                    "idle: {chats} chats: RSS {} MiB (peak {} MiB), ready in {:.2} s",
                    mib(r.rss_kib),
                    mib(r.peak_rss_kib),
                    r.ready.as_secs_f64()
                );
            }
        }
        if wants("personal") {
            let sizes: &[usize] = if full { &[1_000, 10_000, 100_000] } else { &[200] };
            for &alerts in sizes {
                let r = audience::idle(0, alerts, 500, Duration::from_secs(if full { 30 } else { 2 })).await;
                println!(
                    "personal: {alerts} alerts over 500 symbols: ready in {:.2} s, RSS {} MiB (peak {} MiB)",
                    r.ready.as_secs_f64(),
                    mib(r.rss_kib),
                    mib(r.peak_rss_kib),
                );
            }
        }
    });
}
