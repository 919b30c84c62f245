//! The integration tests, built as one test binary: each file of `tests/` is a module here,
//! and the harness runs the tests of all of them side by side. Most of them wait on the fake
//! servers' clocks rather than on the processor, so one process with many test threads is
//! much quicker than a binary per file run one after another, and the support code and its
//! dependencies are compiled and linked once instead of once per file.
//!
//! Run one file's tests by its module name: `cargo test --test integration splits::`.
//!
//! `audience.rs` and `fanout.rs` are test binaries of their own (see Cargo.toml): they hold
//! the bot to Telegram's sending limits against a fake that judges a second by when requests
//! arrive, which other tests' load in the same process would disturb.

mod support;

mod access;
mod alert_messages;
mod charts;
mod chat_edges;
mod chat_features;
mod check;
mod cluster;
mod commands;
mod config_env;
mod console;
mod delivery;
mod docs;
mod eval;
mod groups;
mod leadership;
mod migrate;
mod operations;
mod outbox;
mod personal_alerts;
mod readme;
mod record;
mod reload;
mod replay;
mod restart;
mod seed_story;
mod shipped_rules;
mod sources;
mod split_levels;
mod splits;
mod symbols;
mod webhook;
