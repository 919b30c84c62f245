//! Chat commands answered end to end (`telegram::commands::answer`) against a fresh store
//! and the shipped rules: each line of the input is a message in one chat. Every reply must
//! be Telegram HTML that splits into sendable parts, and every button's callback data must
//! fit Telegram's 64 bytes and read back as the action it encodes.

#![no_main]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use libfuzzer_sys::fuzz_target;
use marketbot::clock::Clock;
use marketbot::delivery::render::{self, CAPTION_LIMIT, MESSAGE_LIMIT};
use marketbot::delivery::{ConsoleSink, Sender};
use marketbot::personal::Limits;
use marketbot::pipeline::PersonalSync;
use marketbot::reload::Reloader;
use marketbot::rules::RuleSet;
use marketbot::store::Store;
use marketbot::chats::ChatKind;
use marketbot::telegram::BotContext;
use marketbot::telegram::commands::{self, Command, Incoming, Parsed, Reply};
use marketbot::telegram::keyboards::Action;
use marketbot::telegram::pace::{Limits as PaceLimits, Pacer};
use marketbot_fuzz::{assert_sendable, assert_well_formed};
use tokio::sync::watch;

thread_local! {
    static RULES: (Arc<Reloader>, watch::Receiver<Arc<RuleSet>>) = {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rules");
        let (reloader, rx) = Reloader::load(&dir).expect("the shipped rules load");
        (Arc::new(reloader), rx)
    };
}

/// A store directory of its own for each input: answers depend only on the input.
fn scratch() -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    base.join(format!(
        "marketbot-fuzz-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

fn check_reply(reply: &Reply) {
    let (text, keyboard, limit) = match reply {
        Reply::Text(t) => (t, None, MESSAGE_LIMIT),
        Reply::Keyboard(t, k) => (t, Some(k), MESSAGE_LIMIT),
        Reply::Photo { caption, .. } => (caption, None, CAPTION_LIMIT),
    };
    assert_well_formed(text);
    for part in render::split_html(text, limit) {
        assert_sendable(&part, limit);
    }
    if let Some(k) = keyboard {
        let json = serde_json::to_value(k).expect("a keyboard serializes");
        let rows = json["inline_keyboard"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for button in rows.iter().filter_map(|row| row.as_array()).flatten() {
            if let Some(data) = button["callback_data"].as_str() {
                assert!(data.len() <= 64, "callback data over 64 bytes: {data:?}");
                let action = Action::parse(data).unwrap_or_else(|| panic!("{data:?}"));
                assert_eq!(action.data(), data);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A first line `#group` makes the chat a supergroup.
    let (kind, chat) = match text.strip_prefix("#group") {
        Some(_) => (ChatKind::Supergroup, -100_42),
        None => (ChatKind::Private, 42),
    };
    let dir = scratch();
    let store = Store::open(&dir, 1 << 20).expect("a scratch store opens");
    let clock = Clock::anchored("2026-02-02T21:50:00Z".parse().expect("a time"));
    let (reloader, rules) = RULES.with(|(r, rx)| (Arc::clone(r), rx.clone()));
    let (pipeline, _inbox) = tokio::sync::mpsc::channel(8);
    let ctx = BotContext {
        store: store.clone(),
        rules,
        clock: clock.clone(),
        sources: vec!["Yahoo".into(), "News".into()],
        admins: vec![1],
        reloader,
        pacer: Arc::new(Pacer::new(PaceLimits::default())),
        sender: Sender::new(store, Arc::new(ConsoleSink::default()), clock),
        limits: Limits::default(),
        personal: PersonalSync::detached(),
        demand: None,
        pipeline,
        gate: Arc::new(marketbot::telegram::gate::Gate::new(
            marketbot::telegram::gate::Policy::Open,
            &[],
            &[],
            marketbot::telegram::gate::FloodLimits::default(),
        )),
        leading: marketbot::leader::Leading::always("fuzz"),
    };
    let incoming = Incoming {
        chat,
        kind,
        title: "Chat".into(),
        user: Some(1),
        user_lang: None,
        thread: None,
        message: None,
        edited: false,
    };
    for line in text.lines().take(8) {
        if let Parsed::Command(cmd, args) = Command::parse(line, "marketbot_bot") {
            // `/reload` rereads the rules directory: the same every time, and slow.
            if cmd == Command::Reload {
                continue;
            }
            if let Ok(reply) = commands::answer(&ctx, &incoming, cmd, &args) {
                check_reply(&reply);
            }
        }
    }
    drop(ctx);
    let _ = std::fs::remove_dir_all(&dir);
});
