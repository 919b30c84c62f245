//! What the engine remembers: its state (`engine/state`), and beside it each story
//! (`stories`) and each rule's correlation state on a symbol (`pairs`), written by the
//! pipeline's steps entry by entry and read back on start.

use std::collections::BTreeMap;

use super::kv::{Range, Tree};
use super::{Store, StoreError, decode};
use crate::engine::{EngineState, PairState, StoryState};

impl Store {
    /// The engine state saved by the last step.
    pub fn engine_state(&self) -> Result<EngineState, StoreError> {
        Ok(self
            .get_as(Tree::Engine, b"state", "engine state")?
            .unwrap_or_default())
    }

    /// The stories the engine remembered, by story key (one that does not decode is left
    /// out: the engine forgets it, as it would have days later).
    pub fn engine_stories(&self) -> Result<BTreeMap<String, StoryState>, StoreError> {
        self.engine_entries(Tree::Stories, "story")
    }

    /// The engine's correlation state, by [`crate::engine::pair_key`].
    pub fn engine_pairs(&self) -> Result<BTreeMap<String, PairState>, StoreError> {
        self.engine_entries(Tree::Pairs, "correlation state")
    }

    /// How `key` of the engine's stories (or, with `pair`, its correlation state) is
    /// stored, encoded; to tell whether a step reported failed was stored.
    pub fn engine_entry(&self, pair: bool, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let tree = if pair { Tree::Pairs } else { Tree::Stories };
        self.get(tree, key.as_bytes(), "reading the engine's state")
    }

    fn engine_entries<T: serde::de::DeserializeOwned>(
        &self,
        tree: Tree,
        what: &'static str,
    ) -> Result<BTreeMap<String, T>, StoreError> {
        let mut out = BTreeMap::new();
        for entry in self.entries(tree, Range::all(), "reading the engine's state") {
            let (k, v) = entry?;
            if let (Ok(key), Some(value)) = (String::from_utf8(k.to_vec()), decode(&v, what)) {
                out.insert(key, value);
            }
        }
        Ok(out)
    }
}
