//! Recent headlines, for `/news`.

use chrono::{DateTime, Utc};

use super::kv::{Order, Range, Tree};
use super::{Store, StoreError, decode};
use crate::engine::HeadlineRef;
use crate::model::StoredHeadline;

/// How long headlines are kept for `/news`.
pub const KEEP: chrono::TimeDelta = chrono::TimeDelta::days(7);

pub(super) fn key(published: DateTime<Utc>, id: &str) -> Vec<u8> {
    // Before 1970 (a feed's zero time for an undated item) as 1970: a negative number's
    // bytes would sort after every later time, as the newest news, and never be pruned.
    let mut k = published.timestamp().max(0).to_be_bytes().to_vec();
    k.extend_from_slice(id.as_bytes());
    k
}

impl Store {
    /// The newest `n` headlines about `symbol`, newest first; an article stored twice (two
    /// feeds carried it, or it came again under another symbol) is listed once.
    pub fn news(&self, symbol: &str, n: usize) -> Result<Vec<HeadlineRef>, StoreError> {
        let mut out: Vec<HeadlineRef> = Vec::new();
        for entry in self.entries_in(
            Tree::Headlines,
            Range::all(),
            Order::Descending,
            "reading headlines",
        ) {
            let (_, v) = entry?;
            if let Some(h) = decode::<StoredHeadline>(&v, "headline")
                && h.symbols.iter().any(|s| s == symbol)
                && !out.iter().any(|o| same_article(o, &h.headline))
            {
                out.push(h.headline);
                if out.len() == n {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Forgets headlines older than [`KEEP`].
    pub(super) fn prune_headlines(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let horizon = (now - KEEP).timestamp().to_be_bytes();
        let mut removed = 0;
        for entry in self.entries(Tree::Headlines, Range::below(&horizon), "pruning headlines") {
            let (k, _) = entry?;
            self.delete(Tree::Headlines, &k, "pruning headlines")?;
            removed += 1;
        }
        // Stored before 1970 by an earlier version: their keys sort after every later time.
        let negative = Range {
            start: vec![0x80],
            end: None,
        };
        for entry in self.entries(Tree::Headlines, negative, "pruning headlines") {
            let (k, _) = entry?;
            self.delete(Tree::Headlines, &k, "pruning headlines")?;
            removed += 1;
        }
        Ok(removed)
    }
}

/// Whether two stored headlines are one article: the same link, or with no link the same
/// title from the same publisher.
fn same_article(a: &HeadlineRef, b: &HeadlineRef) -> bool {
    match (&a.link, &b.link) {
        (Some(x), Some(y)) => x == y,
        (None, None) => a.title == b.title && a.source == b.source,
        _ => false,
    }
}
