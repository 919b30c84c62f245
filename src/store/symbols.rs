//! What the quote provider said about symbols asked for on demand (known or not, and when).

use super::kv::{Range, Tree};
use super::{Store, StoreError, decode, encode};
use crate::model::SymbolCheck;

impl Store {
    /// Every symbol check, by symbol.
    pub fn symbol_checks(&self) -> Result<Vec<(String, SymbolCheck)>, StoreError> {
        let mut out = Vec::new();
        for entry in self.entries(Tree::Symbols, Range::all(), "reading symbol checks") {
            let (k, v) = entry?;
            if let Some(c) = decode(&v, "symbol check") {
                out.push((String::from_utf8_lossy(&k).into_owned(), c));
            }
        }
        Ok(out)
    }

    /// Forgets "unknown" answers older than `horizon` (they are asked again anyway).
    pub(super) fn prune_symbol_checks(
        &self,
        horizon: chrono::DateTime<chrono::Utc>,
    ) -> Result<usize, StoreError> {
        let mut removed = 0;
        for entry in self.entries(Tree::Symbols, Range::all(), "pruning symbol checks") {
            let (k, v) = entry?;
            if decode::<SymbolCheck>(&v, "symbol check")
                .is_none_or(|c| !c.known && c.checked < horizon)
            {
                self.delete(Tree::Symbols, &k, "pruning symbol checks")?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Remembers what the provider said about `symbol`.
    pub fn put_symbol_check(&self, symbol: &str, check: &SymbolCheck) -> Result<(), StoreError> {
        self.put(
            Tree::Symbols,
            symbol.as_bytes(),
            &encode(check),
            "writing a symbol check",
        )
    }
}
