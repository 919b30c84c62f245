//! Copying a whole store to another backend (`marketbot migrate`): every tree, key for key,
//! so the layout, the encodings and the ids stay exactly what they were.

use super::kv::{Order, Range, Tree};
use super::{PAGE, SCHEMA_VERSION, Store, StoreError, ctx};

/// What [`Store::copy_into`] copied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Copied {
    /// Entries per tree that had any, in [`Tree::ALL`]'s order.
    pub trees: Vec<(&'static str, u64)>,
}

impl Copied {
    /// Entries copied in all.
    pub fn total(&self) -> u64 {
        self.trees.iter().map(|(_, n)| n).sum()
    }
}

/// Why a store could not be copied.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The target already holds state: copying over it would mix two bots' state.
    #[error(
        "the target store is not empty ({0} entries in tree `{1}`); copy into an empty database or schema"
    )]
    NotEmpty(u64, &'static str),
    /// Reading or writing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Copies every entry of every tree into `target`, which must be empty, a page per
    /// transaction, then makes the target's ids continue after the copied ones (the outbox
    /// is numbered by them). The source should not be in use meanwhile (sled's lock sees to
    /// that for a directory).
    pub fn copy_into(&self, target: &Store) -> Result<Copied, CopyError> {
        for tree in Tree::ALL {
            // A freshly opened store holds its layout version and nothing else.
            let present = target
                .backend
                .len(tree)
                .map_err(ctx("counting the target"))?;
            let expected = u64::from(tree == Tree::Meta);
            if present > expected {
                return Err(CopyError::NotEmpty(present, tree.name()));
            }
        }
        let mut copied = Copied::default();
        let mut highest_seq = 0;
        for tree in Tree::ALL {
            let mut range = Range::all();
            let mut n = 0;
            loop {
                let page = self
                    .backend
                    .scan(tree, &range, Order::Ascending, PAGE)
                    .map_err(ctx(format!("reading tree {}", tree.name())))?;
                if page.is_empty() {
                    break;
                }
                target.transact(&[tree], "writing the copy", |tx| {
                    for (k, v) in &page {
                        tx.insert(tree, k, v)?;
                    }
                    Ok(())
                })?;
                n += page.len() as u64;
                if tree == Tree::Outbox {
                    for (k, _) in &page {
                        if let Ok(seq) = <[u8; 8]>::try_from(k.as_slice()) {
                            highest_seq = highest_seq.max(u64::from_be_bytes(seq));
                        }
                    }
                }
                let full = page.len() == PAGE;
                let Some((mut last, _)) = page.into_iter().next_back() else {
                    break;
                };
                if !full {
                    break;
                }
                last.push(0);
                range.start = last;
            }
            if n > 0 {
                copied.trees.push((tree.name(), n));
            }
        }
        target
            .backend
            .advance_ids(highest_seq)
            .map_err(ctx("numbering after the copied deliveries"))?;
        target.flush()?;
        // The copy carries the source's layout version; the target reads it as its own.
        if self
            .backend
            .get(Tree::Meta, b"schema")
            .map_err(ctx("reading schema version"))?
            .is_some_and(|v| v != SCHEMA_VERSION.to_be_bytes())
        {
            tracing::warn!("the source's layout version differs from this program's");
        }
        Ok(copied)
    }
}
