//! Digests: chats that asked for them get the alerts collected since their last digest in
//! one message at the local times they chose, instead of one message per alert.

use chrono::{DateTime, Days, Utc};

use super::{locale_of, render};
use crate::chats::Chat;
use crate::delivery::outbox::{BROADCAST, Delivery, Target};
use crate::store::{Store, StoreError};

/// The latest of the chat's digest times at or before `now`, in its time zone.
fn last_slot(chat: &Chat, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let today = now.with_timezone(&chat.settings.zone()).date_naive();
    let yesterday = today.checked_sub_days(Days::new(1))?;
    chat.settings
        .digest
        .iter()
        .flat_map(|time| [today, yesterday].map(|d| d.and_time(*time)))
        .filter_map(|local| chat.settings.to_utc(local))
        .filter(|t| *t <= now)
        .max()
}

/// Enqueues every digest due at `now`; how many chats got one.
pub fn send_due(store: &Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut sent = 0;
    for (chat_id, ids) in store.digest_waiting()? {
        let chat = match store.chat(chat_id)? {
            Some(chat) if chat.active => chat,
            // A record that does not decode (logged) is not a chat that is gone: what waits
            // for it is kept.
            None if store.holds_chat(chat_id)? => continue,
            _ => {
                store.clear_digest(chat_id)?;
                continue;
            }
        };
        // Due when a digest time passed since the last digest and since the oldest alert
        // waiting (an alert after a quiet stretch waits for the next digest time, not the one
        // that passed with nothing to send); a chat that switched digests off gets what waited
        // right away. Alert ids grow with time: the oldest is the first one still stored.
        let mut oldest = None;
        for id in &ids {
            if let Some(a) = store.alert(*id)? {
                oldest = Some(a.fired_at);
                break;
            }
        }
        let since = match (chat.last_digest, oldest) {
            (Some(last), Some(oldest)) => last.max(oldest),
            (last, oldest) => last.or(oldest).unwrap_or(now),
        };
        let due = chat.settings.digest.is_empty()
            || last_slot(&chat, now).is_some_and(|slot| slot > since);
        if !due {
            continue;
        }
        // An alert whose record does not decode (logged) waits for a digest that can tell
        // it; one no longer stored is let go with the rest.
        let mut alerts = Vec::new();
        let mut done = Vec::new();
        for id in &ids {
            match store.alert(*id)? {
                Some(a) => alerts.push(a),
                None if store.holds_alert(*id)? => continue,
                None => {}
            }
            done.push(*id);
        }
        alerts.sort_by_key(|a| a.fired_at);
        let messages: Vec<Delivery> = if alerts.is_empty() {
            Vec::new()
        } else {
            render::split_html(
                &render::digest_html(&alerts, &locale_of(&chat)),
                render::MESSAGE_LIMIT,
            )
            .into_iter()
            .map(|text| Delivery {
                thread: chat.thread,
                lang: chat.settings.lang,
                // A digest time the chat chose inside its quiet hours: there, without a sound.
                silent: chat.settings.quiet_until(now).is_some(),
                ..Delivery::message(BROADCAST, Target::Telegram(chat.id), text, now)
            })
            .collect()
        };
        store.commit_digest(chat.id, &done, &messages, now)?;
        sent += usize::from(!messages.is_empty());
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveTime;

    use super::*;
    use crate::chats::ChatKind;
    use crate::engine::Alert;
    use crate::store::Step;

    #[test]
    fn a_digest_goes_out_at_the_next_chosen_time_in_the_chats_zone() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let mut chat = Chat::new(5, ChatKind::Private, "u".into(), t("2026-02-01T00:00:00Z"));
        chat.settings.tz = "Europe/Berlin".into();
        chat.settings.digest = vec![NaiveTime::from_hms_opt(8, 0, 0).unwrap()];
        store.put_chat(&chat).unwrap();
        let alert = Alert::sample(7, t("2026-02-02T21:50:00Z"));
        store
            .commit(&Step {
                now: alert.fired_at,
                alerts: vec![alert],
                digest: vec![(5, 7)],
                ..Step::default()
            })
            .unwrap();
        // 06:59 UTC is 07:59 in Berlin: not yet.
        assert_eq!(send_due(&store, t("2026-02-03T06:59:00Z")).unwrap(), 0);
        assert_eq!(store.outbox_len().unwrap(), 0);
        assert_eq!(send_due(&store, t("2026-02-03T07:00:30Z")).unwrap(), 1);
        let out = store.outbox().unwrap();
        assert_eq!(out.len(), 1);
        assert!(out[0].1.text.contains("Digest"), "{}", out[0].1.text);
        assert!(store.digest_waiting().unwrap().is_empty());
        assert_eq!(
            store.chat(5).unwrap().unwrap().last_digest,
            Some(t("2026-02-03T07:00:30Z"))
        );
        // Nothing waits: nothing more goes out.
        assert_eq!(send_due(&store, t("2026-02-04T07:00:30Z")).unwrap(), 0);
        // An alert after a quiet stretch waits for the next digest time, not the one that
        // passed with nothing to send.
        let later = Alert::sample(8, t("2026-02-05T10:00:00Z"));
        store
            .commit(&Step {
                now: later.fired_at,
                alerts: vec![later],
                digest: vec![(5, 8)],
                ..Step::default()
            })
            .unwrap();
        assert_eq!(send_due(&store, t("2026-02-05T10:00:05Z")).unwrap(), 0);
        assert_eq!(send_due(&store, t("2026-02-06T07:00:05Z")).unwrap(), 1);
    }

    /// A digest time inside the chat's quiet hours: the digest goes out when asked for, as
    /// the chat chose that time, but without a notification sound, as it chose quiet too.
    #[test]
    fn a_digest_due_inside_quiet_hours_goes_out_without_a_sound() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let hm = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        let mut chat = Chat::new(5, ChatKind::Private, "u".into(), t("2026-02-01T00:00:00Z"));
        chat.settings.tz = "Europe/Berlin".into();
        chat.settings.digest = vec![hm(7, 0), hm(18, 0)];
        chat.settings.quiet = Some((hm(22, 0), hm(7, 30)));
        store.put_chat(&chat).unwrap();
        let mut silent = Vec::new();
        for (n, (fired, due)) in [
            ("2026-02-02T21:50:00Z", "2026-02-03T06:00:30Z"),
            ("2026-02-03T12:00:00Z", "2026-02-03T17:00:30Z"),
        ]
        .into_iter()
        .enumerate()
        {
            let alert = Alert::sample(7 + n as u64, t(fired));
            let id = alert.id;
            store
                .commit(&Step {
                    now: alert.fired_at,
                    alerts: vec![alert],
                    digest: vec![(5, id)],
                    ..Step::default()
                })
                .unwrap();
            assert_eq!(send_due(&store, t(due)).unwrap(), 1, "{due}");
            let out = store.outbox().unwrap();
            silent.push(out.last().unwrap().1.silent);
            for (seq, _) in out {
                store.remove_delivery(seq).unwrap();
            }
        }
        // 07:00 in Berlin is inside 22:00–07:30; 18:00 is not.
        assert_eq!(silent, [true, false]);
    }

    /// A chat whose record does not decode (written by a newer version, say) cannot be sent
    /// its digest now, but what waits for it is kept for when it can; the other chats get
    /// theirs.
    #[test]
    fn alerts_waiting_for_a_chat_whose_record_does_not_decode_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let chat = Chat::new(5, ChatKind::Private, "u".into(), t("2026-02-01T00:00:00Z"));
        store.put_chat(&chat).unwrap();
        let unreadable = Chat::new(6, ChatKind::Private, "v".into(), t("2026-02-01T00:00:00Z"));
        store.put_chat(&unreadable).unwrap();
        let mut raw = serde_json::to_value(&unreadable).unwrap();
        raw["kind"] = "a_kind_of_a_later_version".into();
        let key = (6u64 ^ (1 << 63)).to_be_bytes();
        store
            .backend()
            .insert(
                crate::store::kv::Tree::Chats,
                &key,
                &serde_json::to_vec(&raw).unwrap(),
            )
            .unwrap();
        assert!(store.chat(6).unwrap().is_none());
        let alert = Alert::sample(7, t("2026-02-02T21:50:00Z"));
        store
            .commit(&Step {
                now: alert.fired_at,
                alerts: vec![alert],
                digest: vec![(5, 7), (6, 7)],
                ..Step::default()
            })
            .unwrap();
        assert_eq!(send_due(&store, t("2026-02-03T07:00:30Z")).unwrap(), 1);
        assert_eq!(store.outbox().unwrap()[0].1.target, Target::Telegram(5));
        assert_eq!(
            store.digest_waiting().unwrap(),
            vec![(6, vec![7])],
            "the unreadable chat's waiting alerts were dropped"
        );
    }

    /// An alert whose stored record does not decode (written by a later version, say) cannot
    /// be told in a digest now, but it is not dropped from the chat's waiting alerts: it goes
    /// out in a later digest once it can be read. An alert no longer stored at all is let go.
    #[test]
    fn a_waiting_alert_whose_record_does_not_decode_is_kept_for_a_later_digest() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let mut chat = Chat::new(5, ChatKind::Private, "u".into(), t("2026-02-01T00:00:00Z"));
        chat.settings.digest = vec![NaiveTime::from_hms_opt(8, 0, 0).unwrap()];
        store.put_chat(&chat).unwrap();
        let fired = t("2026-02-02T21:50:00Z");
        store
            .commit(&Step {
                now: fired,
                alerts: vec![Alert::sample(7, fired), Alert::sample(8, fired)],
                digest: vec![(5, 7), (5, 8), (5, 9)],
                ..Step::default()
            })
            .unwrap();
        store
            .backend()
            .insert(
                crate::store::kv::Tree::Alerts,
                &8u64.to_be_bytes(),
                br#"{"id": "of a later version"}"#,
            )
            .unwrap();
        assert_eq!(send_due(&store, t("2026-02-03T08:00:30Z")).unwrap(), 1);
        assert_eq!(store.outbox().unwrap().len(), 1);
        assert_eq!(
            store.digest_waiting().unwrap(),
            vec![(5, vec![8])],
            "an alert that does not decode was dropped"
        );
        // Readable again (the version that wrote it is back): it goes out in the next digest.
        store
            .commit(&Step {
                now: fired,
                alerts: vec![Alert::sample(8, fired)],
                ..Step::default()
            })
            .unwrap();
        assert_eq!(send_due(&store, t("2026-02-04T08:00:30Z")).unwrap(), 1);
        assert!(store.digest_waiting().unwrap().is_empty());
    }
}
