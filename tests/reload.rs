//! Rules deployed to a running bot: edited, broken and removed files, `/reload`.

use crate::support;

use std::path::Path;
use std::time::Duration;

use support::origin::{Origin, Reply};
use support::payloads::{Item, rss};
use support::telegram::{FakeTelegram, TOKEN};
use support::{RSS, RunningBot, ask, config, eventually, seed_evening, start_chat, strip_tags};

const ADMIN: i64 = 99;

fn rule(id: &str, word: &str, cooldown: &str) -> String {
    format!(
        "id = \"{id}\"\ntitle = \"News about {word}\"\ndefault = true\ncondition = \"news\"\n[text.news]\nany = [\"{word}\"]\n[noise]\ncooldown = \"{cooldown}\"\n"
    )
}

fn write(dir: &Path, name: &str, text: &str) {
    // Write to a temporary name and rename, as editors do, so the watcher never sees half a file.
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, dir.join(name)).unwrap();
}

struct Feed {
    origin: Origin,
    items: Vec<Item>,
}

impl Feed {
    fn add(&mut self, title: &str) {
        let n = self.items.len();
        let mut item = Item::new(
            title,
            &format!("https://news.example/{n}"),
            "2026-02-02T21:40:00Z",
        );
        item.guid = Some(format!("item-{n}"));
        self.items.push(item);
        self.origin
            .set("/wire.xml", Reply::ok(RSS, rss("Wire", &self.items)));
    }
}

/// Telegram, a feed with a quiet headline, and a rules directory (`rules` in the directory
/// returned) with `acme` (cooldown 1 s) and `initech` (24 h).
async fn acme_and_initech() -> (FakeTelegram, Origin, tempfile::TempDir, Feed) {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    write(&rules, "acme.toml", &rule("acme", "Acme", "1s"));
    write(&rules, "initech.toml", &rule("initech", "Initech", "24h"));
    let mut feed = Feed {
        origin: origin.clone(),
        items: Vec::new(),
    };
    feed.add("Quiet day on the markets");
    (tg, origin, dir, feed)
}

/// Waits until the feed has been fetched twice more: what it holds now has been judged.
async fn fetched_twice_more(origin: &Origin) {
    let hits = origin.hits("/wire.xml");
    eventually(Duration::from_secs(10), "the feed fetched again", || {
        (origin.hits("/wire.xml") > hits + 1).then_some(())
    })
    .await;
}

fn alerts_about(tg: &FakeTelegram, chat: i64, word: &str) -> usize {
    tg.alerts_to(chat)
        .iter()
        .filter(|m| strip_tags(&m.text).contains(word))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_are_edited_broken_and_removed_under_a_running_bot() {
    let (tg, origin, dir, mut feed) = acme_and_initech().await;
    let rules = dir.path().join("rules");
    let listen = format!("127.0.0.1:{}", support::free_port());
    let cfg = config(
        dir.path(),
        &format!(
            "[telegram]\ntoken = \"{TOKEN}\"\napi_url = \"{}\"\npoll_timeout = \"1s\"\nadmins = [{ADMIN}]\n[rules]\ndir = \"rules\"\nwatch = \"200ms\"\n[http]\nlisten = \"{listen}\"\n[[feeds]]\nname = \"wire\"\nurl = \"{}\"\nschedule = \"* * * * * *\"\n",
            tg.url(),
            origin.url("/wire.xml")
        ),
    );
    let rules_ready = || async {
        let ready = reqwest::get(format!("http://{listen}/readyz"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        ready
            .lines()
            .find(|l| l.contains("rules:"))
            .unwrap_or_default()
            .to_string()
    };
    let bot = RunningBot::start(cfg, seed_evening());
    start_chat(&tg, 42).await;
    start_chat(&tg, ADMIN).await;
    let ready = rules_ready().await;
    assert!(ready.contains("2 loaded"), "{ready}");

    feed.add("Acme wins big government contract");
    feed.add("Initech wins contract in Europe");
    eventually(Duration::from_secs(10), "the first alerts", || {
        (alerts_about(&tg, 42, "Acme") == 1 && alerts_about(&tg, 42, "Initech") == 1).then_some(())
    })
    .await;

    // An edit: the rule now watches another word.
    write(&rules, "acme.toml", &rule("acme", "Globex", "1s"));
    tokio::time::sleep(Duration::from_millis(800)).await;
    feed.add("Globex wins deal");
    feed.add("Acme wins another contract");
    feed.add("Initech wins another contract");
    eventually(Duration::from_secs(10), "the edited rule firing", || {
        (alerts_about(&tg, 42, "Globex wins deal") == 1).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        alerts_about(&tg, 42, "Acme wins another"),
        0,
        "the old version is gone"
    );
    assert_eq!(
        alerts_about(&tg, 42, "Initech wins another"),
        0,
        "the unchanged rule kept its cooldown"
    );

    // A broken edit: reported to the admin, the previous version keeps firing.
    write(
        &rules,
        "acme.toml",
        "id = \"acme\"\ntitle = \"broken\ncondition = \"news\"\n",
    );
    let notice = eventually(Duration::from_secs(10), "the admin told", || {
        tg.sent_to(ADMIN)
            .into_iter()
            .find(|m| m.text.contains("problem"))
    })
    .await;
    let notice = strip_tags(&notice.text);
    assert!(
        notice.contains("acme.toml:2:") && notice.contains("kept the previous version"),
        "{notice}"
    );
    assert!(
        tg.sent_to(42).iter().all(|m| !m.text.contains("problem")),
        "only admins hear of it"
    );
    feed.add("Globex second story");
    eventually(Duration::from_secs(10), "the old rule still firing", || {
        (alerts_about(&tg, 42, "Globex second story") == 1).then_some(())
    })
    .await;

    // Removed: no more alerts from it; the admins are told who still follows it.
    let notices = tg.sent_to(ADMIN).len();
    std::fs::remove_file(rules.join("acme.toml")).unwrap();
    let notice = eventually(Duration::from_secs(10), "the admin told", || {
        tg.sent_to(ADMIN)
            .into_iter()
            .skip(notices)
            .find(|m| m.text.contains("in force, but"))
    })
    .await;
    assert!(
        strip_tags(&notice.text).contains("no rule `acme` is in force, but 2 chats follow it"),
        "{}",
        notice.text
    );
    feed.add("Globex third story");
    let hits = origin.hits("/wire.xml");
    eventually(Duration::from_secs(10), "the feed fetched again", || {
        (origin.hits("/wire.xml") > hits + 2).then_some(())
    })
    .await;
    assert_eq!(alerts_about(&tg, 42, "Globex third story"), 0);
    let before = tg.sent_to(42).len();
    tg.user_sends(42, "/rules");
    let list = eventually(Duration::from_secs(10), "/rules", || {
        tg.sent_to(42).get(before).cloned()
    })
    .await;
    assert!(
        !list.text.contains("<code>acme</code>") && list.text.contains("<code>initech</code>"),
        "{}",
        list.text
    );
    let ready = rules_ready().await;
    assert!(ready.contains("1 loaded"), "{ready}");
    // The chat still follows it, for when it comes back, and is told it is not offered.
    let list = ask(&tg, 42, "/list").await;
    assert!(
        list.contains("<code>acme</code> — <i>not offered at the moment"),
        "{list}"
    );

    // /reload: refused for a subscriber, done for the admin.
    let before = tg.sent_to(42).len();
    tg.user_sends(42, "/reload");
    let refused = eventually(Duration::from_secs(10), "refusal", || {
        tg.sent_to(42).get(before).cloned()
    })
    .await;
    assert!(
        refused.text.contains("Only the bot's admins"),
        "{}",
        refused.text
    );
    let before = tg.sent_to(ADMIN).len();
    tg.user_sends(ADMIN, "/reload");
    let done = eventually(Duration::from_secs(10), "reload answer", || {
        tg.sent_to(ADMIN).get(before).cloned()
    })
    .await;
    let done = strip_tags(&done.text);
    assert!(
        done.contains("rules reloaded: 1 rule in force")
            && done.contains("no rule `acme` is in force, but 2 chats follow it"),
        "{done}"
    );
    // No second notice for it: the admins heard when it went.
    assert_eq!(
        tg.sent_to(ADMIN)
            .iter()
            .filter(|m| m.text.contains("in force, but"))
            .count(),
        2,
        "the notice and the answer to /reload"
    );
    bot.stop().await;
}

/// The rule of `rule` under the id `id`, once called each of `formerly`.
fn renamed(id: &str, formerly: &[&str], word: &str, cooldown: &str) -> String {
    let old: Vec<String> = formerly.iter().map(|f| format!("\"{f}\"")).collect();
    rule(id, word, cooldown).replacen('\n', &format!("\nformerly = [{}]\n", old.join(", ")), 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_renamed_under_a_running_bot_keeps_its_chats_and_its_cooldown() {
    let (tg, origin, dir, mut feed) = acme_and_initech().await;
    let rules = dir.path().join("rules");
    // Reloaded by `/reload` alone, so its answer tells what the reload did.
    let cfg = || {
        config(
            dir.path(),
            &format!(
                "[telegram]\ntoken = \"{TOKEN}\"\napi_url = \"{}\"\npoll_timeout = \"1s\"\nadmins = [{ADMIN}]\n[rules]\ndir = \"rules\"\nwatch = \"off\"\n[[feeds]]\nname = \"wire\"\nurl = \"{}\"\nschedule = \"* * * * * *\"\n",
                tg.url(),
                origin.url("/wire.xml")
            ),
        )
    };
    let bot = RunningBot::start(cfg(), seed_evening());
    start_chat(&tg, 42).await;
    feed.add("Acme wins big government contract");
    feed.add("Initech wins contract in Europe");
    eventually(Duration::from_secs(10), "the first alerts", || {
        (alerts_about(&tg, 42, "Acme") == 1 && alerts_about(&tg, 42, "Initech") == 1).then_some(())
    })
    .await;

    // Both renamed in their files, nothing else changed.
    write(
        &rules,
        "acme.toml",
        &renamed("acme-news", &["acme"], "Acme", "1s"),
    );
    write(
        &rules,
        "initech.toml",
        &renamed("initech-news", &["initech"], "Initech", "24h"),
    );
    let answer = ask(&tg, ADMIN, "/reload").await;
    assert!(
        answer.contains("rule `acme` renamed to `acme-news`: 1 chat moved to it")
            && answer.contains("rule `initech` renamed to `initech-news`: 1 chat moved to it"),
        "{answer}"
    );
    let list = ask(&tg, 42, "/list").await;
    assert!(
        list.contains("acme-news")
            && list.contains("initech-news")
            && !list.contains("acme</code>"),
        "{list}"
    );

    // The chat gets the renamed rule's alerts; the cooldown the old id started holds.
    feed.add("Initech wins another contract");
    feed.add("Acme wins another contract");
    eventually(Duration::from_secs(10), "the renamed rule firing", || {
        (alerts_about(&tg, 42, "Acme wins another") == 1).then_some(())
    })
    .await;
    fetched_twice_more(&origin).await;
    assert_eq!(
        alerts_about(&tg, 42, "Initech wins another"),
        0,
        "the renamed rule kept its cooldown"
    );

    // Renamed again while the bot is down: taken up at the start.
    bot.stop().await;
    write(
        &rules,
        "initech.toml",
        &renamed(
            "initech-corp",
            &["initech-news", "initech"],
            "Initech",
            "24h",
        ),
    );
    // Later than the first run's clock: the 1 s cooldown it started has ended.
    let bot = RunningBot::start(cfg(), seed_evening() + chrono::TimeDelta::minutes(10));
    feed.add("Acme wins a third contract");
    feed.add("Initech wins a third contract");
    eventually(
        Duration::from_secs(20),
        "the alert after the restart",
        || (alerts_about(&tg, 42, "Acme wins a third") == 1).then_some(()),
    )
    .await;
    fetched_twice_more(&origin).await;
    assert_eq!(
        alerts_about(&tg, 42, "Initech wins a third"),
        0,
        "still cooling"
    );
    let list = ask(&tg, 42, "/list").await;
    assert!(list.contains("initech-corp"), "{list}");
    bot.stop().await;
}
