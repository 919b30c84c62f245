//! Deploying rules without a restart: the rules directory is watched, and `/reload` or SIGHUP
//! reload it on demand.
//!
//! A reload reads every rule and lexicon file and compiles them together. A file that no
//! longer compiles does not take its rules away: its last good version is used instead (a new
//! file that never compiled is left out), the problems are reported, and everything else is
//! applied. The new set is published on a `watch` channel; the pipeline and the commands pick
//! it up, and the engine keeps the state of unchanged rules.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::i18n::count;
use crate::problem::{Problem, SourceFile};
use crate::rules::{self, RuleSet};
use crate::store::{Store, StoreError};

/// The shortest time between two looks at the rules directory (`rules.watch`): each look
/// reads every file's metadata, and a shorter interval would have the watcher do little else
/// while no person edits files faster.
pub const MIN_WATCH: Duration = Duration::from_millis(100);

/// What a reload did.
#[derive(Debug, Default)]
pub struct ReloadReport {
    /// Whether a new rule set was published.
    pub applied: bool,
    /// Rules in force afterwards.
    pub rules: usize,
    /// What is wrong with the files as they are now.
    pub problems: Vec<Problem>,
    /// Files whose previous good version is still in force because the new one is broken.
    pub kept: Vec<PathBuf>,
    /// What the chats' subscriptions made of the new set (none without a store, or when no
    /// new set was published).
    pub followed: Option<Followed>,
    /// Why the chats' subscriptions could not be looked at (the store failed); the next
    /// reload or start tries again.
    pub store_error: Option<String>,
}

/// Chats moved to the rules renamed (`formerly`), and the rules gone that chats still follow.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Followed {
    /// Each old id whose chats moved to the rule's new id now: old id, new id, chats.
    pub renamed: Vec<(String, String, usize)>,
    /// Rule ids no rule has or names in `formerly` that active chats follow: their
    /// subscriptions stay stored, for the rule to come back to.
    pub missing: Vec<Missing>,
}

/// A rule id chats follow that no rule in force has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    /// The id.
    pub id: String,
    /// Active chats following it.
    pub chats: usize,
    /// Whether the rule was in force until this reload (its file deleted or its id changed
    /// just now), rather than gone before.
    pub just_now: bool,
}

impl Followed {
    /// One line per rename and per rule gone, for logs and admins.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (old, new, chats) in &self.renamed {
            out.push(format!(
                "rule `{old}` renamed to `{new}`: {} moved to it",
                count(*chats, "chat", "chats")
            ));
        }
        for m in &self.missing {
            out.push(format!(
                "no rule `{}` is in force, but {} {} it: kept for when it comes back (or name `{}` in `formerly` of the rule that took its place)",
                m.id,
                count(m.chats, "chat", "chats"),
                if m.chats == 1 { "follows" } else { "follow" },
                m.id
            ));
        }
        out
    }
}

/// Moves the chats that follow an old id of a rule renamed in `rules` (`formerly`) to its
/// id now, and finds the rules chats follow that `rules` does not have (`previous`, the set
/// in force before, tells which of them went just now). Logs what it did and found: each
/// move, and a warning for each rule gone that chats follow. Safe to run again at any
/// time (on start and on each reload): a move done is not done again, one cut short is
/// completed.
pub fn carry_over(
    store: &Store,
    rules: &RuleSet,
    previous: Option<&RuleSet>,
) -> Result<Followed, StoreError> {
    let renames: Vec<(String, String)> = rules
        .renames()
        .map(|(old, rule)| (old.to_string(), rule.id.clone()))
        .collect();
    let found = store.rename_rules(&renames)?;
    let mut followed = Followed::default();
    for (old, new) in renames {
        if let Some(&chats) = found.moved.get(&old) {
            tracing::info!(rule = %new, formerly = %old, chats, "chats moved to a renamed rule");
            followed.renamed.push((old, new, chats));
        }
    }
    for (id, &chats) in &found.following {
        // (An old id still followed — a record that could not be changed — is the renamed
        // rule's: its alerts reach those chats all the same.)
        if rules.current(id).is_some() {
            continue;
        }
        tracing::warn!(
            rule = %id,
            chats,
            "no rule of this id is in force, but chats follow it: their subscriptions are kept for when it comes back (or name it in `formerly` of the rule that took its place)"
        );
        followed.missing.push(Missing {
            id: id.clone(),
            chats,
            just_now: previous.is_some_and(|p| p.get(id).is_some()),
        });
    }
    Ok(followed)
}

impl ReloadReport {
    /// Whether the admins are told (in Telegram): when a file has problems, when a rule that
    /// chats follow went with this reload, or when the chats could not be looked at.
    pub fn tells_admins(&self) -> bool {
        !self.problems.is_empty()
            || self.store_error.is_some()
            || self
                .followed
                .as_ref()
                .is_some_and(|f| f.missing.iter().any(|m| m.just_now))
    }

    /// Logs the summary: an error with problems, a warning when chats follow a rule that is
    /// gone or could not be looked at, news otherwise.
    pub fn log(&self) {
        if !self.problems.is_empty() {
            tracing::error!("{}", self.summary());
        } else if self.store_error.is_some()
            || self
                .followed
                .as_ref()
                .is_some_and(|f| !f.missing.is_empty())
        {
            tracing::warn!("{}", self.summary());
        } else {
            tracing::info!("{}", self.summary());
        }
    }

    /// One paragraph for logs and admins.
    pub fn summary(&self) -> String {
        let mut out = if self.problems.is_empty() {
            format!(
                "rules reloaded: {} in force",
                count(self.rules, "rule", "rules")
            )
        } else {
            format!(
                "rules reloaded with {}; {} in force",
                count(self.problems.len(), "problem", "problems"),
                count(self.rules, "rule", "rules")
            )
        };
        for k in &self.kept {
            out.push_str(&format!("\nkept the previous version of {}", k.display()));
        }
        for p in &self.problems {
            out.push_str(&format!("\n{p}"));
        }
        for line in self.followed.iter().flat_map(Followed::lines) {
            out.push_str(&format!("\n{line}"));
        }
        if let Some(e) = &self.store_error {
            out.push_str(&format!(
                "\ncannot look at the chats' subscriptions ({e}); tried again with the next reload"
            ));
        }
        out
    }
}

/// A snapshot of the directory: file paths with their modification time and size.
type Stamp = Vec<(PathBuf, Option<SystemTime>, u64)>;

/// The directory's rule and lexicon files as they are now: a file linked from elsewhere (a
/// checkout, a Kubernetes ConfigMap's current version) by the file it links to, whose edits
/// do not touch the link.
fn stamp(dir: &Path) -> Stamp {
    let mut out = Vec::new();
    for d in [dir.to_path_buf(), dir.join("lexicons")] {
        if let Ok(entries) = std::fs::read_dir(&d) {
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "toml")
                    && let Ok(m) = std::fs::metadata(&p)
                {
                    out.push((p, m.modified().ok(), m.len()));
                }
            }
        }
    }
    out.sort();
    out
}

struct Good {
    /// The last version of each file that compiled.
    files: BTreeMap<PathBuf, String>,
    /// The directory as last looked at.
    stamp: Stamp,
}

/// Loads the rules directory and keeps the bot's rule set up to date.
pub struct Reloader {
    dir: PathBuf,
    publish: watch::Sender<Arc<RuleSet>>,
    good: Mutex<Good>,
    /// Where the chats are, once the bot leads: each new set carries them over
    /// ([`carry_over`]).
    store: OnceLock<Store>,
}

impl Reloader {
    /// Loads `dir`; every file must compile for the bot to start.
    pub fn load(dir: &Path) -> Result<(Reloader, watch::Receiver<Arc<RuleSet>>), Vec<Problem>> {
        let stamp = stamp(dir);
        let (rule_files, lexicon_files, problems) = rules::read_dir(dir);
        if !problems.is_empty() {
            return Err(problems);
        }
        let files: BTreeMap<PathBuf, String> = rule_files
            .iter()
            .chain(&lexicon_files)
            .map(|f| (f.path.clone(), f.text.clone()))
            .collect();
        let set = rules::compile(rule_files, lexicon_files)?;
        let (publish, receiver) = watch::channel(Arc::new(set));
        let reloader = Reloader {
            dir: dir.to_path_buf(),
            publish,
            good: Mutex::new(Good { files, stamp }),
            store: OnceLock::new(),
        };
        Ok((reloader, receiver))
    }

    /// From now on, each new rule set carries the chats in `store` over to it: chats of
    /// renamed rules moved, rules gone that chats follow reported ([`carry_over`]).
    pub fn carry_chats_in(&self, store: Store) {
        let _ = self.store.set(store);
    }

    /// Reloads now, whether or not anything changed.
    pub fn reload(&self) -> ReloadReport {
        let mut good = self.good.lock().unwrap_or_else(|e| e.into_inner());
        good.stamp = stamp(&self.dir);
        let (rule_files, lexicon_files, read_problems) = rules::read_dir(&self.dir);
        let mut report = ReloadReport {
            problems: read_problems,
            ..ReloadReport::default()
        };
        // The directory itself unreadable (renamed away during a deploy): change nothing.
        if report
            .problems
            .iter()
            .any(|p| p.path == self.dir || p.path == self.dir.join("lexicons"))
        {
            report.rules = self.publish.borrow().rules().len();
            report.kept = good.files.keys().cloned().collect();
            return report;
        }
        // A file that cannot be read counts as broken: its last good version stays.
        let unreadable: Vec<SourceFile> = report
            .problems
            .iter()
            .filter_map(|p| {
                good.files.get(&p.path).map(|text| SourceFile {
                    path: p.path.clone(),
                    text: text.clone(),
                })
            })
            .collect();
        report
            .kept
            .extend(unreadable.iter().map(|f| f.path.clone()));
        let (mut rule_files, mut lexicon_files) = (rule_files, lexicon_files);
        for f in unreadable {
            if f.path.parent() == Some(self.dir.join("lexicons").as_path()) {
                lexicon_files.push(f);
            } else {
                rule_files.push(f);
            }
        }
        self.apply(&mut good, rule_files, lexicon_files, report)
    }

    /// Compiles these files and publishes the result; a file that does not compile is
    /// replaced by its last good version (or left out when it never compiled). When the files
    /// that do not compile are as they were when they last did, a lexicon edit broke them:
    /// the lexicons go back to their last good versions (the rules' edits still apply, those
    /// that need the new lexicons left out in turn). Nothing is published only when even that
    /// does not compile.
    fn apply(
        &self,
        good: &mut Good,
        rule_files: Vec<SourceFile>,
        lexicon_files: Vec<SourceFile>,
        mut report: ReloadReport,
    ) -> ReloadReport {
        let last_good = |path: &PathBuf| {
            good.files.get(path).map(|text| SourceFile {
                path: path.clone(),
                text: text.clone(),
            })
        };
        let changed = |f: &SourceFile| good.files.get(&f.path) != Some(&f.text);
        let on_disk: BTreeMap<PathBuf, String> = rule_files
            .iter()
            .chain(&lexicon_files)
            .map(|f| (f.path.clone(), f.text.clone()))
            .collect();
        let (mut rules_now, mut lexicons_now) = (rule_files, lexicon_files);
        let mut lexicons_reverted = false;
        let set = loop {
            let problems = match rules::compile(rules_now.clone(), lexicons_now.clone()) {
                Ok(set) => break Some(set),
                Err(problems) => problems,
            };
            let broken: Vec<PathBuf> = problems.iter().map(|p| p.path.clone()).collect();
            for p in problems {
                if !report
                    .problems
                    .iter()
                    .any(|q| q.to_string() == p.to_string())
                {
                    report.problems.push(p);
                }
            }
            let swappable =
                |files: &[SourceFile]| files.iter().any(|f| broken.contains(&f.path) && changed(f));
            if swappable(&rules_now) || swappable(&lexicons_now) {
                // Swap each broken file for its last good version (or leave a new one out).
                let fallback = |files: Vec<SourceFile>| -> Vec<SourceFile> {
                    files
                        .into_iter()
                        .filter_map(|f| match broken.contains(&f.path) && changed(&f) {
                            true => last_good(&f.path),
                            false => Some(f),
                        })
                        .collect()
                };
                rules_now = fallback(rules_now);
                lexicons_now = fallback(lexicons_now);
            } else if !lexicons_reverted {
                // Files broken as they were when they compiled: the lexicons as they were.
                let lexicons = self.dir.join("lexicons");
                lexicons_now = good
                    .files
                    .keys()
                    .filter(|p| p.parent() == Some(lexicons.as_path()))
                    .filter_map(last_good)
                    .collect();
                lexicons_reverted = true;
            } else {
                break None;
            }
        };
        match set {
            Some(set) => {
                report.rules = set.rules().len();
                report.applied = true;
                good.files = rules_now
                    .into_iter()
                    .chain(lexicons_now)
                    .map(|f| (f.path, f.text))
                    .collect();
                // Kept: in force, but not as the directory has it now.
                report.kept.extend(
                    good.files
                        .iter()
                        .filter(|(p, text)| on_disk.get(*p) != Some(*text))
                        .map(|(p, _)| p.clone()),
                );
                report.kept.sort();
                report.kept.dedup();
                let set = Arc::new(set);
                let previous = self.publish.send_replace(Arc::clone(&set));
                if let Some(store) = self.store.get() {
                    match carry_over(store, &set, Some(&previous)) {
                        Ok(followed) => report.followed = Some(followed),
                        Err(e) => {
                            tracing::error!(error = %e, "cannot carry the chats over to the rules reloaded");
                            report.store_error = Some(e.to_string());
                        }
                    }
                }
            }
            None => {
                report.rules = self.publish.borrow().rules().len();
                report.kept = good.files.keys().cloned().collect();
            }
        }
        report
    }

    /// Whether the directory changed since it was last looked at.
    fn changed(&self) -> bool {
        let good = self.good.lock().unwrap_or_else(|e| e.into_inner());
        stamp(&self.dir) != good.stamp
    }

    /// Looks at the directory every `interval` until `shutdown`, reloading on change and
    /// handing each report to `on_report`.
    pub async fn watch(
        self: Arc<Self>,
        interval: Duration,
        shutdown: CancellationToken,
        on_report: impl Fn(ReloadReport) + Send + 'static,
    ) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.cancelled() => return,
            }
            if self.changed() {
                let this = Arc::clone(&self);
                // File reads and compiling are blocking work.
                match tokio::task::spawn_blocking(move || this.reload()).await {
                    Ok(report) => on_report(report),
                    Err(e) => tracing::error!(error = %e, "reloading rules failed"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str =
        "id = \"acme\"\ntitle = \"Acme\"\ncondition = \"a\"\n[text.a]\nany = [\"acme\"]\n";

    #[test]
    fn an_unreadable_file_or_directory_keeps_what_was_there() {
        // Regression: a file that failed to read (not UTF-8) simply disappeared, and a
        // directory renamed away published an empty rule set.
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("rules");
        std::fs::create_dir(&rules).unwrap();
        std::fs::write(rules.join("acme.toml"), RULE).unwrap();
        let (reloader, rx) = Reloader::load(&rules).unwrap();
        let mut latin1 = RULE.as_bytes().to_vec();
        latin1.extend_from_slice(b"# M\xfcnchen\n");
        std::fs::write(rules.join("acme.toml"), latin1).unwrap();
        let report = reloader.reload();
        assert_eq!(rx.borrow().rules().len(), 1, "{}", report.summary());
        assert_eq!(report.kept, [rules.join("acme.toml")]);
        assert!(report.problems[0].message.contains("not UTF-8"));
        std::fs::rename(&rules, dir.path().join("moved")).unwrap();
        let report = reloader.reload();
        assert_eq!(rx.borrow().rules().len(), 1, "{}", report.summary());
        assert!(!report.problems.is_empty());
    }

    #[test]
    fn an_edit_behind_a_symbolic_link_is_noticed() {
        // A rule file linked from a checkout, edited there; and a directory laid out as
        // Kubernetes mounts a ConfigMap (`acme.toml -> ..data/acme.toml`, `..data` pointing
        // at the current version), updated by pointing `..data` at a new one.
        let dir = tempfile::tempdir().unwrap();
        let (checkout, rules) = (dir.path().join("checkout"), dir.path().join("rules"));
        std::fs::create_dir_all(&checkout).unwrap();
        std::fs::create_dir_all(rules.join("v1")).unwrap();
        std::fs::write(checkout.join("acme.toml"), RULE).unwrap();
        std::os::unix::fs::symlink(checkout.join("acme.toml"), rules.join("acme.toml")).unwrap();
        let globex = RULE.replace("acme", "globex").replace("Acme", "Globex");
        std::fs::write(rules.join("v1/globex.toml"), &globex).unwrap();
        std::os::unix::fs::symlink("v1", rules.join("..data")).unwrap();
        std::os::unix::fs::symlink("..data/globex.toml", rules.join("globex.toml")).unwrap();
        let (reloader, rx) = Reloader::load(&rules).unwrap();
        assert_eq!(rx.borrow().rules().len(), 2);
        assert!(!reloader.changed());

        std::fs::write(
            checkout.join("acme.toml"),
            RULE.replace("\"Acme\"", "\"Acme, edited\""),
        )
        .unwrap();
        assert!(reloader.changed(), "the linked file was edited");
        reloader.reload();
        assert_eq!(rx.borrow().get("acme").unwrap().title, "Acme, edited");
        assert!(!reloader.changed());

        std::fs::create_dir(rules.join("v2")).unwrap();
        std::fs::write(
            rules.join("v2/globex.toml"),
            globex.replace("\"Globex\"", "\"Globex, updated\""),
        )
        .unwrap();
        std::os::unix::fs::symlink("v2", rules.join("..data_tmp")).unwrap();
        std::fs::rename(rules.join("..data_tmp"), rules.join("..data")).unwrap();
        assert!(reloader.changed(), "the mounted version changed");
        reloader.reload();
        assert_eq!(rx.borrow().get("globex").unwrap().title, "Globex, updated");
    }

    /// A lexicon edit that breaks a rule nobody touched (an entity renamed that the rule
    /// names): the lexicon's previous version stays, with the rule, and the rest of what
    /// changed is applied — not the whole reload given up.
    #[test]
    fn a_lexicon_edit_that_breaks_an_unchanged_rule_keeps_the_previous_lexicon() {
        let dir = tempfile::tempdir().unwrap();
        let lexicons = dir.path().join("lexicons");
        std::fs::create_dir(&lexicons).unwrap();
        let lexicon = "[entity.acme]\naliases = [\"Acme\", \"Acme Corp\"]\n";
        std::fs::write(lexicons.join("companies.toml"), lexicon).unwrap();
        let names_acme = RULE.replace("any = [\"acme\"]", "any = [\"@acme\"]");
        std::fs::write(dir.path().join("acme.toml"), &names_acme).unwrap();
        let (reloader, rx) = Reloader::load(dir.path()).unwrap();
        assert_eq!(rx.borrow().rules().len(), 1);

        std::fs::write(
            lexicons.join("companies.toml"),
            lexicon.replace("entity.acme", "entity.acme_inc"),
        )
        .unwrap();
        let globex = RULE.replace("acme", "globex").replace("Acme", "Globex");
        std::fs::write(dir.path().join("globex.toml"), &globex).unwrap();
        let report = reloader.reload();
        assert!(report.applied, "{}", report.summary());
        assert_eq!(report.rules, 2, "{}", report.summary());
        assert!(rx.borrow().get("acme").is_some() && rx.borrow().get("globex").is_some());
        assert_eq!(
            report.kept,
            [lexicons.join("companies.toml")],
            "{}",
            report.summary()
        );
        assert_eq!(report.problems[0].path, dir.path().join("acme.toml"));
        // Mended, the new lexicon applies.
        std::fs::write(
            dir.path().join("acme.toml"),
            names_acme.replace("@acme", "@acme_inc"),
        )
        .unwrap();
        let report = reloader.reload();
        assert!(report.problems.is_empty(), "{}", report.summary());
        assert_eq!(report.rules, 2);
    }

    #[test]
    fn a_broken_edit_keeps_the_previous_version_and_a_removal_applies() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("acme.toml"), RULE).unwrap();
        std::fs::write(
            dir.path().join("other.toml"),
            RULE.replace("acme", "globex").replace("Acme", "Globex"),
        )
        .unwrap();
        let (reloader, rx) = Reloader::load(dir.path()).unwrap();
        assert_eq!(rx.borrow().rules().len(), 2);

        std::fs::write(dir.path().join("acme.toml"), "id = \"acme\"\ntitle = ").unwrap();
        let report = reloader.reload();
        assert!(report.applied);
        assert_eq!(report.rules, 2, "the old acme rule is still in force");
        assert_eq!(report.kept, [dir.path().join("acme.toml")]);
        assert_eq!(report.problems[0].path, dir.path().join("acme.toml"));
        assert!(
            report.summary().contains("acme.toml:2:"),
            "{}",
            report.summary()
        );

        std::fs::write(dir.path().join("new.toml"), "broken = ").unwrap();
        let report = reloader.reload();
        assert_eq!(report.rules, 2, "a new broken file is left out");

        std::fs::remove_file(dir.path().join("acme.toml")).unwrap();
        std::fs::remove_file(dir.path().join("new.toml")).unwrap();
        let report = reloader.reload();
        assert!(report.problems.is_empty());
        assert_eq!(rx.borrow().rules().len(), 1);
        assert!(rx.borrow().get("acme").is_none());
        assert!(!reloader.changed());
    }
}

#[cfg(test)]
mod carrying_chats_over {
    use super::*;
    use crate::chats::{Chat, ChatKind, MuteTarget};

    fn rule(id: &str, formerly: &str) -> String {
        format!(
            "id = \"{id}\"\n{formerly}title = \"News\"\ncondition = \"a\"\n[text.a]\nany = [\"acme\"]\n"
        )
    }

    #[test]
    fn a_reload_moves_chats_to_a_renamed_rule_and_tells_of_a_rule_gone_that_chats_follow() {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("rules");
        std::fs::create_dir(&rules).unwrap();
        std::fs::write(rules.join("acme.toml"), rule("acme", "")).unwrap();
        std::fs::write(rules.join("globex.toml"), rule("globex", "")).unwrap();
        let store = Store::open(&dir.path().join("state"), 1 << 20).unwrap();
        let now = "2026-02-02T21:00:00Z".parse().unwrap();
        let mut chat = Chat::new(1, ChatKind::Private, "Ann".into(), now);
        chat.follow("acme");
        chat.follow("globex");
        chat.mute(
            MuteTarget::Rule("acme".into()),
            now + chrono::TimeDelta::days(1),
            now,
        )
        .unwrap();
        store.put_chat(&chat).unwrap();
        let (reloader, rx) = Reloader::load(&rules).unwrap();
        // At start: nothing to move, nothing missing.
        let start = carry_over(&store, &rx.borrow(), None).unwrap();
        assert_eq!(start, Followed::default());
        reloader.carry_chats_in(store.clone());

        // Renamed, and globex's file deleted.
        std::fs::remove_file(rules.join("acme.toml")).unwrap();
        std::fs::write(
            rules.join("acme-news.toml"),
            rule("acme-news", "formerly = [\"acme\"]\n"),
        )
        .unwrap();
        std::fs::remove_file(rules.join("globex.toml")).unwrap();
        let report = reloader.reload();
        let followed = report.followed.clone().expect("the chats looked at");
        assert_eq!(
            followed.renamed,
            [("acme".to_string(), "acme-news".to_string(), 1)]
        );
        assert_eq!(
            followed.missing,
            [Missing {
                id: "globex".into(),
                chats: 1,
                just_now: true
            }]
        );
        let chat = store.chat(1).unwrap().unwrap();
        assert_eq!(
            chat.rules,
            ["acme-news".to_string(), "globex".to_string()].into(),
            "the subscription to the rule gone is kept"
        );
        assert_eq!(chat.mutes[0].what, MuteTarget::Rule("acme-news".into()));
        assert!(report.tells_admins());
        let summary = report.summary();
        assert!(
            summary.contains("rule `acme` renamed to `acme-news`: 1 chat moved to it")
                && summary.contains("no rule `globex` is in force, but 1 chat follows it"),
            "{summary}"
        );

        // The next reload says the rule is still gone, but no longer tells the admins.
        let report = reloader.reload();
        let followed = report.followed.clone().unwrap();
        assert!(followed.renamed.is_empty(), "moved once");
        assert_eq!(followed.missing.len(), 1);
        assert!(!followed.missing[0].just_now && !report.tells_admins());

        // Put back: the chat follows it as before.
        std::fs::write(rules.join("globex.toml"), rule("globex", "")).unwrap();
        let report = reloader.reload();
        assert_eq!(report.followed, Some(Followed::default()));
        assert_eq!(report.summary(), "rules reloaded: 2 rules in force");
    }
}
