//! Telegram's sending limits, kept before a message leaves: about 30 messages a second
//! overall, one a second per chat, twenty a minute per group.
//!
//! Every message the bot sends — alerts from the outbox and replies to commands — waits here
//! first. Per chat and per group the limiters are GCRA (`governor`) with a burst of one.
//! Overall, senders take turns in arrival order (one waits, the others queue without waking)
//! and a turn is granted when the send `per_second` sends back lies a second (plus margin)
//! in the past, and never sooner than three quarters of a period after the previous send: at
//! full load messages go out evenly spaced, and a turn that started late (a busy machine
//! wakes a task a few milliseconds late) is caught up instead of lost — no sliding second
//! ever holds more than `per_second` sends. Each window is a little longer than the limit's,
//! so network jitter that bunches requests together still stays inside it. The pacer also
//! carries Telegram's flood pause ([`FloodControl`]), which no message goes out during.
//!
//! Chat actions ("typing…") are no messages and take no turn here: a turn taken for one would
//! make the reply behind it wait a chat's gap. One goes only while a message to its chat would
//! wait for nothing ([`Pacer::has_room`]: no sender holds the turn, which every sender does
//! while it waits — so none goes while messages queue) and no flood pause holds; otherwise it
//! is left out.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota};

use super::flood_control::FloodControl;

/// The limits to keep.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Messages per second, all chats together.
    pub per_second: u32,
    /// Time between two messages to the same chat.
    pub chat_gap: Duration,
    /// Messages per minute to one group, supergroup or channel.
    pub group_per_minute: u32,
}

impl Default for Limits {
    /// Telegram's documented limits for bots.
    fn default() -> Limits {
        Limits {
            per_second: 30,
            chat_gap: Duration::from_secs(1),
            group_per_minute: 20,
        }
    }
}

/// Headroom on every period: 2 % slower than the limit.
fn with_margin(period: Duration) -> Duration {
    period + period / 50
}

fn quota(period: Duration) -> Quota {
    Quota::with_period(with_margin(period).max(Duration::from_micros(1)))
        .expect("the period is not zero")
}

/// Waits for a chat's turn.
pub struct Pacer {
    /// The times of the last `per_second` sends, oldest first; held by the sender whose turn
    /// it is (a fair, first-come lock).
    overall: tokio::sync::Mutex<VecDeque<Instant>>,
    /// Sends allowed in one window.
    per_window: usize,
    /// The window: a second, and 4 % for requests that arrive unevenly (they travel
    /// concurrently, and a busy machine delays some).
    window: Duration,
    /// The shortest time between two sends: three quarters of a period.
    min_gap: Duration,
    chats: DefaultKeyedRateLimiter<i64>,
    groups: DefaultKeyedRateLimiter<i64>,
    /// Sends since idle chats' limiter state was last dropped.
    since_cleanup: AtomicU32,
    /// No message before this: a process that died a moment ago may have used this second's
    /// budget (and sent to a chat that is now sent its in-flight message again).
    first_send: Instant,
    /// When each chat was last sent to. The chat limiter hands out turns, but the wait for
    /// the overall limit after a turn varies: the gap is kept between actual sends.
    last_sent: std::sync::Mutex<HashMap<i64, Instant>>,
    /// When the last `group_per_minute` messages to each group went out: a group's minute is
    /// kept between actual sends too.
    group_sent: std::sync::Mutex<HashMap<i64, VecDeque<Instant>>>,
    /// Messages a minute to one group.
    group_max: usize,
    chat_gap: Duration,
    /// Telegram's flood pause, which replies wait out ([`FloodControl::wait_out`]) and the
    /// outbox waits for ([`crate::delivery::Sender`]).
    flood: FloodControl,
}

impl Pacer {
    /// A pacer keeping `limits`.
    pub fn new(limits: Limits) -> Pacer {
        Pacer::starting_at(limits, Instant::now())
    }

    /// A pacer keeping `limits`, made at `now`: its first message goes a second (or a chat's
    /// gap) later.
    fn starting_at(limits: Limits, now: Instant) -> Pacer {
        let per_second = limits.per_second.max(1);
        let group_per_minute = limits.group_per_minute.max(1);
        Pacer {
            overall: tokio::sync::Mutex::new(VecDeque::with_capacity(per_second as usize)),
            per_window: per_second as usize,
            window: Duration::from_secs(1) + Duration::from_secs(1) / 25,
            min_gap: Duration::from_secs(1) / per_second * 3 / 4,
            chats: governor::RateLimiter::keyed(quota(limits.chat_gap)),
            groups: governor::RateLimiter::keyed(quota(Duration::from_secs(60) / group_per_minute)),
            since_cleanup: AtomicU32::new(0),
            first_send: now + with_margin(limits.chat_gap.max(Duration::from_secs(1))),
            last_sent: std::sync::Mutex::new(HashMap::new()),
            group_sent: std::sync::Mutex::new(HashMap::new()),
            group_max: group_per_minute as usize,
            chat_gap: with_margin(limits.chat_gap),
            flood: FloodControl::new(),
        }
    }

    /// The pacer with `flood`, the bot's flood pause (shared with the outbox), in place of one
    /// of its own.
    pub fn with_flood_control(mut self, flood: FloodControl) -> Pacer {
        self.flood = flood;
        self
    }

    /// Telegram's flood pause, for every message that waits here.
    pub fn flood_control(&self) -> &FloodControl {
        &self.flood
    }

    /// A group's window: a minute, with margin.
    fn group_window(&self) -> Duration {
        with_margin(Duration::from_secs(60))
    }

    /// How long a message to `chat` at `now` must still wait for the chat's gap or its group's
    /// minute; `None` when it could go. Counts nothing: [`Pacer::record`] does, once it goes.
    fn wait_for(&self, chat: i64, now: Instant) -> Option<Duration> {
        let last = self.last_sent.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&t) = last.get(&chat)
            && now < t + self.chat_gap
        {
            return Some(t + self.chat_gap - now);
        }
        drop(last);
        if chat < 0 {
            let groups = self.group_sent.lock().unwrap_or_else(|e| e.into_inner());
            let window = self.group_window();
            // The oldest of the group's last `group_max` messages.
            if let Some(&oldest) = groups
                .get(&chat)
                .and_then(|sent| sent.iter().rev().nth(self.group_max - 1))
                && now < oldest + window
            {
                return Some(oldest + window - now);
            }
        }
        None
    }

    /// Counts a message to `chat` sent at `now`, for its gap and its group's minute. Called
    /// only by the sender holding the overall turn, so no other send is counted between its
    /// [`Pacer::wait_for`] and this.
    fn record(&self, chat: i64, now: Instant) {
        self.last_sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(chat, now);
        if chat < 0 {
            let mut groups = self.group_sent.lock().unwrap_or_else(|e| e.into_inner());
            let sent = groups.entry(chat).or_default();
            while sent.len() >= self.group_max {
                sent.pop_front();
            }
            sent.push_back(now);
        }
    }

    /// The overall turn's holder, its turn come (at [`Pacer::next_turn`] of `sent`), sends to
    /// `chat` at `now`: counted in `sent` and for the chat, `None`; or `Some` time the chat's
    /// gap or its group's minute still needs, counting nothing (the turn goes to the next in
    /// line).
    fn take_turn(&self, sent: &mut VecDeque<Instant>, chat: i64, now: Instant) -> Option<Duration> {
        if let Some(wait) = self.wait_for(chat, now) {
            return Some(wait);
        }
        self.record(chat, now);
        if sent.len() >= self.per_window {
            sent.pop_front();
        }
        sent.push_back(now);
        None
    }

    /// When the next turn may be granted after the sends in `sent` (oldest first): three
    /// quarters of a period after the last, and, when the window holds `per_window` sends, a
    /// window after the oldest of them. `None` before any send.
    fn next_turn(&self, sent: &VecDeque<Instant>) -> Option<Instant> {
        sent.back()
            .map(|last| *last + self.min_gap)
            .into_iter()
            .chain(
                (sent.len() >= self.per_window)
                    .then(|| sent.front().map(|first| *first + self.window))
                    .flatten(),
            )
            .max()
    }

    /// Whether a message to `chat` could go now without waiting for anything: the first
    /// second after start is over, the chat's gap since its last message has passed, its
    /// group's minute has room, no sender holds the overall turn and the turn could be granted
    /// at once. For what is no message and takes no turn — a chat action, which must never
    /// make the reply behind it wait for the chat's gap — so nothing is counted.
    pub fn has_room(&self, chat: i64) -> bool {
        self.room_at(chat, Instant::now())
    }

    /// [`Pacer::has_room`] at `now`.
    fn room_at(&self, chat: i64, now: Instant) -> bool {
        if now < self.first_send || self.wait_for(chat, now).is_some() {
            return false;
        }
        // A sender inside `ready` holds the turn for as long as it waits for it: for a full
        // window, and at every fan-out for the short gap after the previous send too. A
        // message now would queue behind it, so there is no room while any sender holds it.
        let Ok(sent) = self.overall.try_lock() else {
            return false;
        };
        self.next_turn(&sent).is_none_or(|at| at <= now)
    }

    /// Returns when a message to `chat` may be sent (and counts it as sent). Group ids are
    /// negative.
    pub async fn ready(&self, chat: i64) {
        let wait = self.first_send.saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        if chat < 0 {
            self.groups.until_key_ready(&chat).await;
        }
        self.chats.until_key_ready(&chat).await;
        loop {
            let mut sent = self.overall.lock().await;
            if let Some(at) = self.next_turn(&sent) {
                tokio::time::sleep_until(at.into()).await;
            }
            match self.take_turn(&mut sent, chat, Instant::now()) {
                // This chat's gap (or its group's minute) has not passed: the turn goes to the
                // next in line.
                Some(wait) => {
                    drop(sent);
                    tokio::time::sleep(wait).await;
                }
                None => break,
            }
        }
        if self.since_cleanup.fetch_add(1, Ordering::Relaxed) >= 10_000 {
            let now = Instant::now();
            self.group_sent
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|_, sent| {
                    sent.back()
                        .is_some_and(|t| now.duration_since(*t) < self.group_window())
                });
            self.since_cleanup.store(0, Ordering::Relaxed);
            self.chats.retain_recent();
            self.groups.retain_recent();
            let now = Instant::now();
            self.last_sent
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|_, t| now.duration_since(*t) < self.chat_gap);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// A message to `chat`, asked for at `asked`, sent as [`Pacer::ready`] sends it (leaving
    /// out the turn order of the chat and group limiters), on a clock that moves only to the
    /// instants the pacer names: not before the first send, then at its turn
    /// ([`Pacer::next_turn`]), then once the chat's gap has passed. Returns when it went.
    fn send_at(pacer: &Pacer, sent: &mut VecDeque<Instant>, chat: i64, asked: Instant) -> Instant {
        let mut now = asked.max(pacer.first_send);
        loop {
            if let Some(turn) = pacer.next_turn(sent) {
                now = now.max(turn);
            }
            match pacer.take_turn(sent, chat, now) {
                None => return now,
                Some(wait) => now += wait,
            }
        }
    }

    /// A chat's gap runs from the moment its message went, not from when it asked: the first
    /// of two messages waits behind five other chats for the overall limit, and the second
    /// still waits the whole gap after it. Sent at given instants, so nothing depends on how
    /// fast the machine runs.
    #[test]
    fn a_chats_gap_holds_between_sends_however_long_the_overall_wait() {
        let pacer = Pacer::starting_at(
            Limits {
                per_second: 5,
                chat_gap: Duration::from_millis(300),
                group_per_minute: 600,
            },
            Instant::now(),
        );
        let mut sent = VecDeque::new();
        let start = pacer.first_send;
        send_at(&pacer, &mut sent, 100, start);
        for chat in 2..=6 {
            send_at(&pacer, &mut sent, chat, start);
        }
        let asked = start + Duration::from_millis(20);
        let first = send_at(&pacer, &mut sent, 1, asked);
        assert!(
            first - asked >= Duration::from_secs(1),
            "behind the others: {:?}",
            first - asked
        );
        let second = send_at(&pacer, &mut sent, 1, first);
        assert_eq!(second - first, pacer.chat_gap);
        assert!(second - first >= Duration::from_millis(300));
    }

    /// A chat action takes no turn: it may go only while a message to its chat could go at
    /// once, and looking counts for nothing. Looked at as of given instants, with the
    /// pacer's windows filled here, so nothing depends on how fast the machine runs.
    #[tokio::test]
    async fn room_for_a_chat_action_is_looked_at_without_taking_a_turn() {
        let mut pacer = Pacer::new(Limits {
            per_second: 2,
            chat_gap: Duration::from_secs(3600),
            group_per_minute: 600,
        });
        let start = pacer.first_send;
        assert!(
            !pacer.room_at(1, start - Duration::from_millis(1)),
            "not in the first second after start"
        );
        pacer.first_send = Instant::now();
        let start = pacer.first_send;
        assert!(pacer.room_at(1, start));
        assert!(pacer.room_at(1, start));
        // Had looking taken chat 1's turn, its message would wait the hour (it waits for
        // nothing else: the pacer is empty and its start is past).
        tokio::time::timeout(Duration::from_secs(30), pacer.ready(1))
            .await
            .expect("the chat's turn was not taken");
        let sent = *pacer.overall.get_mut().back().expect("the send is counted");
        let later = sent + pacer.min_gap;
        assert!(!pacer.room_at(1, later), "within the chat's gap");
        assert!(
            !pacer.room_at(2, sent),
            "within the shortest time between two sends"
        );
        assert!(pacer.room_at(2, later));
        let turn = pacer.overall.try_lock().expect("no sender holds the turn");
        assert!(!pacer.room_at(2, later), "a sender holds the turn");
        drop(turn);
        // A second send fills all chats' second, until the first leaves the window.
        pacer.overall.get_mut().push_back(later);
        pacer.last_sent.get_mut().unwrap().insert(2, later);
        assert!(
            !pacer.room_at(3, later + pacer.min_gap),
            "all chats' second is full"
        );
        assert!(pacer.room_at(3, sent + pacer.window));
    }

    /// A group's minute is one check, for messages (which wait for it) and chat actions
    /// (which are left out), and looking counts nothing.
    #[test]
    fn a_groups_minute_holds_for_messages_and_chat_actions_alike() {
        let pacer = Pacer::new(Limits {
            per_second: 30,
            chat_gap: Duration::from_secs(1),
            group_per_minute: 2,
        });
        let start = pacer.first_send;
        let window = pacer.group_window();
        pacer.record(-5, start);
        pacer.record(-5, start + Duration::from_secs(2));
        let at = start + Duration::from_secs(4);
        assert_eq!(pacer.wait_for(-5, at), Some(start + window - at));
        assert!(!pacer.room_at(-5, at));
        assert_eq!(pacer.wait_for(-6, at), None, "another group");
        assert_eq!(pacer.wait_for(5, at), None, "a private chat");
        assert_eq!(pacer.wait_for(-5, start + window), None);
        assert!(pacer.room_at(-5, start + window));
        // The minute runs from the older of the last two on.
        let third = start + window;
        pacer.record(-5, third);
        let at = third + Duration::from_millis(1500);
        assert_eq!(
            pacer.wait_for(-5, at),
            Some(start + Duration::from_secs(2) + window - at)
        );
    }

    /// Twenty a second at most, evenly spaced, the first only a second after start (a process
    /// that died a moment ago may have used this second), and a chat's second message a gap
    /// after its first: sent at given instants, each asked for as soon as the last went.
    #[test]
    fn no_second_holds_more_than_the_limit_and_a_chat_waits_its_gap() {
        let created = Instant::now();
        let pacer = Pacer::starting_at(
            Limits {
                per_second: 20,
                chat_gap: Duration::from_millis(200),
                group_per_minute: 600,
            },
            created,
        );
        let mut sent = VecDeque::new();
        let mut now = send_at(&pacer, &mut sent, 0, created);
        assert!(
            now - created >= Duration::from_secs(1),
            "a dead predecessor's second is respected"
        );
        let mut at = Vec::new();
        for chat in 1..=41 {
            now = send_at(&pacer, &mut sent, chat, now);
            at.push(now);
        }
        // Twenty a second: any 21 sends span more than a second, and 41 need two.
        for w in at.windows(21) {
            assert!(w[20] - w[0] >= Duration::from_secs(1), "{:?}", w[20] - w[0]);
        }
        assert!(at[40] - at[0] >= Duration::from_secs(2));
        // Never closer than three quarters of a period (37.5 ms).
        for w in at.windows(2) {
            assert!(
                w[1] - w[0] >= Duration::from_micros(37_500),
                "{:?}",
                w[1] - w[0]
            );
        }
        let first = send_at(&pacer, &mut sent, 21, now);
        let second = send_at(&pacer, &mut sent, 21, first);
        assert!(
            second - first >= Duration::from_millis(200),
            "{:?}",
            second - first
        );
    }
}
