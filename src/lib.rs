//! marketbot: a self-hosted Telegram bot that sends one alert when market news meets a price
//! move, and says why.
//!
//! # Layout
//!
//! The modules follow the data, from the outside world to the chat:
//!
//! - [`config`]: the TOML config file and environment, parsed once into validated settings.
//! - [`clock`]: injected wall-clock time, so the live bot, replay and tests run the same code.
//! - [`schedule`]: cron-driven jobs that never overlap themselves or block each other.
//! - [`sources`]: *sources* — quote providers (Yahoo, Stooq) and RSS/Atom feeds, behind one
//!   HTTP client and one failure policy; they emit [`model::Headline`]s and [`model::Bar`]s.
//! - [`text`]: normalisation of headlines and rule terms (one pipeline for both).
//! - [`market`] and [`series`]: exchange sessions and per-symbol price history ("what was
//!   known at time t").
//! - [`rules`]: rule and lexicon files compiled into one automaton plus per-rule conditions.
//! - [`engine`]: *transforms* — the pure core that matches headlines, evaluates price checks,
//!   correlates both within a span, folds repeated stories and applies cooldowns.
//! - [`chats`]: the chat as a domain type — subscriptions, settings, mutes, and what to do with
//!   an alert for it now.
//! - [`store`]: chats, seen headlines, bars, alerts, engine state and the outbox, kept in sled
//!   or PostgreSQL behind one key-value interface; it persists the types other modules define
//!   and decides nothing.
//! - [`leader`]: which of several instances sharing a store runs the bot (a lease with terms).
//! - [`delivery`]: *sinks* — rendering alerts, the durable outbox, Telegram and the console.
//! - [`telegram`]: the chat commands (`/start`, `/rules`, `/status`, …).
//! - [`app`]: wires everything into the running bot and shuts it down cleanly.
//! - [`health`]: the heartbeat file behind `marketbot healthcheck`.

pub mod app;
pub mod blocking;
pub mod chart;
pub mod chats;
pub mod check;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod engine;
pub mod eval;
pub mod examples;
pub mod health;
pub mod i18n;
pub mod leader;
pub mod listener;
pub mod logging;
pub mod market;
pub mod metrics;
pub mod model;
pub mod personal;
pub mod pipeline;
pub mod problem;
pub mod record;
pub mod reload;
pub mod replay;
pub mod rules;
pub mod schedule;
pub mod series;
pub mod sources;
pub mod store;
pub mod telegram;
pub mod text;
