//! What the quote provider said about symbols asked for on demand (known or not, and when).

use super::{Store, StoreError, ctx, decode, encode};
use crate::model::SymbolCheck;

impl Store {
    /// Every symbol check, by symbol.
    pub fn symbol_checks(&self) -> Result<Vec<(String, SymbolCheck)>, StoreError> {
        let mut out = Vec::new();
        for entry in self.symbols.iter() {
            let (k, v) = entry.map_err(ctx("reading symbol checks"))?;
            if let Some(c) = decode(&v, "symbol check") {
                out.push((String::from_utf8_lossy(&k).into_owned(), c));
            }
        }
        Ok(out)
    }

    /// Remembers what the provider said about `symbol`.
    pub fn put_symbol_check(&self, symbol: &str, check: &SymbolCheck) -> Result<(), StoreError> {
        self.symbols
            .insert(symbol.as_bytes(), encode(check))
            .map(|_| ())
            .map_err(ctx("writing a symbol check"))
    }
}
