//! A map that knows what changed since it was last stored, and can undo a step.
//!
//! The engine remembers stories and correlation state by the thousand (every headline a rule
//! matched in the last days waits for its price part). Writing all of it with each pipeline
//! step, and copying all of it to undo a step that cannot be stored, made every step cost as
//! much as everything remembered. A [`Journal`] keeps, beside its entries, the keys changed
//! since the last step was settled (to be written) and each one's value before the step (to
//! undo it), so a step costs what it touched.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Entries by key, with the changes of the step under way.
#[derive(Clone, Debug)]
pub struct Journal<V> {
    entries: BTreeMap<String, V>,
    /// Keys changed since the last time the changes were stored.
    dirty: BTreeSet<String>,
    /// Each key the current step changed, with its value before it (`None`: absent).
    before: HashMap<String, Option<V>>,
    /// Whether changes are kept at all: by the live pipeline, which stores them and may undo
    /// a step; not by replay and most tests, which do neither (and would only pile them up).
    tracking: bool,
}

impl<V> Default for Journal<V> {
    fn default() -> Self {
        Journal {
            entries: BTreeMap::new(),
            dirty: BTreeSet::new(),
            before: HashMap::new(),
            tracking: false,
        }
    }
}

impl<V: Clone> Journal<V> {
    /// A journal of `entries` as stored, keeping what changes from now on (to store it, or
    /// undo it).
    pub fn tracking(entries: BTreeMap<String, V>) -> Journal<V> {
        Journal {
            entries,
            tracking: true,
            ..Journal::default()
        }
    }

    /// A journal that keeps no changes: nothing of it is stored.
    pub fn untracked(entries: BTreeMap<String, V>) -> Journal<V> {
        Journal {
            entries,
            ..Journal::default()
        }
    }

    /// The entries.
    pub fn map(&self) -> &BTreeMap<String, V> {
        &self.entries
    }

    /// The entry of `key`, if there is one.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.entries.get(key)
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Marks `key` as changed by the current step (its value before kept once).
    fn touch(&mut self, key: &str) {
        if !self.tracking {
            return;
        }
        if !self.dirty.contains(key) {
            self.dirty.insert(key.to_string());
        }
        if !self.before.contains_key(key) {
            self.before
                .insert(key.to_string(), self.entries.get(key).cloned());
        }
    }

    /// The entry of `key` to change, if there is one.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        if !self.entries.contains_key(key) {
            return None;
        }
        self.touch(key);
        self.entries.get_mut(key)
    }

    /// The entry of `key` to change, made with `make` if there is none.
    pub fn entry(&mut self, key: &str, make: impl FnOnce() -> V) -> &mut V {
        self.touch(key);
        if !self.entries.contains_key(key) {
            self.entries.insert(key.to_string(), make());
        }
        self.entries.get_mut(key).expect("inserted above")
    }

    /// Puts `value` under `key`, as a change of the current step.
    pub fn insert(&mut self, key: String, value: V) {
        self.touch(&key);
        self.entries.insert(key, value);
    }

    /// Takes in `value` under `key` as part of what the journal starts from, yet still to be
    /// written (taken from an older layout): no step undoes it.
    pub fn adopt(&mut self, key: String, value: V) {
        if self.tracking {
            self.dirty.insert(key.clone());
        }
        self.entries.insert(key, value);
    }

    /// Removes the entry of `key`, to be removed from the store too; like
    /// [`retain_changed`](Self::retain_changed), for tidying between steps: no step undoes it.
    pub fn forget(&mut self, key: &str) -> Option<V> {
        let removed = self.entries.remove(key)?;
        if self.tracking {
            self.dirty.insert(key.to_string());
        }
        Some(removed)
    }

    /// Changes entries in place, keeping those `f` says to keep; `f` also says whether it
    /// changed the entry. Only the entries changed or removed count as changes. Not undone by
    /// [`settle`](Self::settle): for tidying between steps, which holds whatever is stored.
    pub fn retain_changed(&mut self, mut f: impl FnMut(&str, &mut V) -> (bool, bool)) {
        let mut removed = Vec::new();
        for (k, v) in self.entries.iter_mut() {
            let (keep, changed) = f(k, v);
            if self.tracking && (!keep || changed) && !self.dirty.contains(k) {
                self.dirty.insert(k.clone());
            }
            if !keep {
                removed.push(k.clone());
            }
        }
        for k in removed {
            self.entries.remove(&k);
        }
    }

    /// The entries changed since the changes were last stored: each key with its value now
    /// (`None`: removed).
    pub fn changes(&self) -> impl Iterator<Item = (&str, Option<&V>)> {
        self.dirty.iter().map(|k| (k.as_str(), self.entries.get(k)))
    }

    /// The entries the current step left different from before it: each key with its value
    /// now (`None`: removed). An entry a step touched but left as it was, or one still to be
    /// written from an earlier step, is not among them.
    pub fn changed_in_step(&self) -> Vec<(&str, Option<&V>)>
    where
        V: serde::Serialize,
    {
        let encode = |v: Option<&V>| v.map(|v| serde_json::to_vec(v).ok());
        let mut out: Vec<(&str, Option<&V>)> = self
            .before
            .iter()
            .filter(|(k, was)| encode(was.as_ref()) != encode(self.entries.get(k.as_str())))
            .map(|(k, _)| (k.as_str(), self.entries.get(k.as_str())))
            .collect();
        out.sort_by_key(|(k, _)| *k);
        out
    }

    /// Whether anything changed since the changes were last stored.
    pub fn has_changes(&self) -> bool {
        !self.dirty.is_empty()
    }

    /// Ends a step: stored (`committed`), its changes are forgotten; not stored, they are
    /// undone (what they changed is as before, and still to be written).
    pub fn settle(&mut self, committed: bool) {
        if committed {
            self.dirty.clear();
        } else {
            for (k, v) in self.before.drain() {
                match v {
                    Some(v) => self.entries.insert(k, v),
                    None => self.entries.remove(&k),
                };
            }
        }
        self.before.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_not_stored_is_undone_and_what_it_touched_is_still_to_write() {
        let mut j = Journal::tracking(BTreeMap::from([("a".to_string(), 1), ("b".to_string(), 2)]));
        assert!(!j.has_changes());
        *j.get_mut("a").unwrap() = 10;
        j.insert("c".into(), 3);
        *j.get_mut("b").unwrap() = 20;
        *j.entry("d", || 0) += 4;
        let changes: Vec<_> = j
            .changes()
            .map(|(k, v)| (k.to_string(), v.copied()))
            .collect();
        assert_eq!(
            changes,
            [
                ("a".into(), Some(10)),
                ("b".into(), Some(20)),
                ("c".into(), Some(3)),
                ("d".into(), Some(4))
            ]
        );
        j.settle(false);
        assert_eq!(
            j.map(),
            &BTreeMap::from([("a".to_string(), 1), ("b".to_string(), 2)])
        );
        assert!(j.has_changes(), "written again: harmless, and never lost");
        *j.get_mut("a").unwrap() = 5;
        j.settle(true);
        assert!(!j.has_changes());
        j.settle(false);
        assert_eq!(j.get("a"), Some(&5), "a stored step is not undone");
    }

    #[test]
    fn retain_counts_only_what_it_changed() {
        let mut j = Journal::tracking((0..5).map(|i| (i.to_string(), i)).collect());
        j.retain_changed(|_, v| {
            if *v == 3 {
                *v = 30;
                return (true, true);
            }
            (*v != 4, false)
        });
        let changed: Vec<&str> = j.changes().map(|(k, _)| k).collect();
        assert_eq!(changed, ["3", "4"]);
        assert_eq!(j.get("3"), Some(&30));
        assert_eq!(j.get("4"), None);
    }

    #[test]
    fn an_untracked_journal_keeps_no_changes() {
        let mut j = Journal::untracked(BTreeMap::new());
        j.insert("a".into(), 1);
        *j.entry("b", || 2) += 1;
        assert!(!j.has_changes());
        j.settle(false);
        assert_eq!(j.map().len(), 2, "nothing to undo");
    }
}
