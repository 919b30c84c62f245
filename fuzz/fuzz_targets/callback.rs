//! Callback data of inline buttons: whatever a client sends is read by `Action::parse`
//! without panicking; what the bot encodes decodes to the same action and fits Telegram's
//! 64 bytes, and what decodes encodes to data that decodes to the same action.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use marketbot::telegram::keyboards::Action;

#[derive(Arbitrary, Debug)]
enum Input {
    /// Raw data, as a client could send it.
    Data(String),
    /// An action the bot could put on a button.
    Action(Kind, u64, String),
}

#[derive(Arbitrary, Debug)]
enum Kind {
    Why,
    MuteRule,
    MuteSymbol,
    Unsubscribe,
    Toggle,
}

fuzz_target!(|input: Input| {
    match input {
        Input::Data(data) => {
            if let Some(action) = Action::parse(&data) {
                // Data a client sends may spell an id otherwise (`u:+7`, `w:007`); the
                // action it reads as encodes to data that reads back as the same action.
                let canonical = action.data();
                assert!(
                    canonical.len() <= 64,
                    "Telegram allows 64 bytes: {canonical:?}"
                );
                assert_eq!(Action::parse(&canonical), Some(action), "{data:?}");
            }
        }
        Input::Action(kind, id, rule) => {
            let action = match kind {
                Kind::Why => Action::Why(id),
                Kind::MuteRule => Action::MuteRule(id),
                Kind::MuteSymbol => Action::MuteSymbol(id),
                Kind::Unsubscribe => Action::Unsubscribe(id),
                // Rule ids as the rule compiler accepts them.
                Kind::Toggle => {
                    let set = marketbot::rules::compile(
                        vec![marketbot_fuzz::source(
                            "rules/r.toml",
                            &format!(
                                "id = {rule:?}\ntitle = \"t\"\ncondition = \"a\"\n[text.a]\nany = [\"x\"]\n"
                            ),
                        )],
                        Vec::new(),
                    );
                    if set.is_err() {
                        return;
                    }
                    Action::Toggle(rule.trim().to_string())
                }
            };
            let data = action.data();
            assert!(data.len() <= 64, "Telegram allows 64 bytes: {data:?}");
            assert_eq!(Action::parse(&data), Some(action), "{data:?}");
        }
    }
});
