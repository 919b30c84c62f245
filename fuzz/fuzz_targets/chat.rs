//! Chat messages as the bot reads them: `Command::parse`, the symbols a command names, and
//! the `/alert` grammar (`personal::parse`), whose listed form must parse back to the same
//! alert (`personal::parse_listed`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use marketbot::personal::{self, Limits};
use marketbot::telegram::commands::{Command, Parsed, named_symbols};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Parsed::Command(cmd, args) = Command::parse(text, "marketbot_bot") {
        let _ = cmd.access(&args);
        let named = named_symbols(cmd, &args);
        assert!(named.len() <= marketbot::telegram::commands::MAX_CHECKS);
        assert_eq!(
            Command::parse(&format!("/{} {args}", cmd.name()), ""),
            Parsed::Command(cmd, args)
        );
    }
    for limits in [Limits::default(), Limits::UNLIMITED] {
        let Ok(spec) = personal::parse(text, &limits) else {
            continue;
        };
        assert!(marketbot::model::symbol(&spec.symbol).as_ref() == Some(&spec.symbol));
        // What `/alerts` lists is what is stored, and read back at start.
        let listed = spec.summary();
        match personal::parse_listed(&listed) {
            Ok(again) => assert_eq!(again, spec, "{text:?} listed as {listed:?}"),
            Err(e) => panic!("{text:?} listed as {listed:?} does not parse: {e:?}"),
        }
        let _ = spec.price_checks();
    }
});
