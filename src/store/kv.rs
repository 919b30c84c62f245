//! The one interface the store keeps its state through: named trees of ordered byte keys,
//! with compare-and-swap, multi-tree transactions and a counter for ids. sled implements it
//! directly ([`super::embedded`]); PostgreSQL as one table ([`super::postgres`]).
//!
//! Everything above this line — key layouts, value encodings, what a pipeline step writes,
//! migrations of the layout — is shared by both, so the two behave alike and `migrate` is a
//! tree-by-tree copy. A backend knows nothing of chats or alerts.

use std::error::Error;

/// What a backend reports when it fails.
pub type BackendError = Box<dyn Error + Send + Sync>;

/// A key and its value.
pub type Entry = (Vec<u8>, Vec<u8>);

/// The trees the store keeps. Their names are sled's tree names and PostgreSQL's `tree`
/// column: they are part of the stored layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tree {
    /// `schema` → layout version; `flood_until` → the end of Telegram's flood control.
    Meta,
    /// chat id → chat.
    Chats,
    /// feed item key → when it was seen.
    Items,
    /// symbol, interval, time → bar.
    Bars,
    /// alert id → alert: the alert log.
    Alerts,
    /// `state` → the engine's state.
    Engine,
    /// sequence number → delivery: messages not yet accepted by their sink.
    Outbox,
    /// alert id, chat id → Telegram message id of the alert as sent.
    Sent,
    /// source name → its health.
    Sources,
    /// chat id, number → personal alert.
    Personal,
    /// chat id, number → personal alert state.
    PersonalState,
    /// symbol → what the quote provider said about it.
    Symbols,
    /// published, item key → headline, for `/news`.
    Headlines,
    /// alert id, language → chart PNG (and its Telegram file id).
    Charts,
    /// chat id, alert id → nothing: alerts waiting for a chat's digest.
    Digest,
    /// chat id → the admins' decision (allowlist).
    Access,
    /// update id → how far it was handled (webhook).
    Updates,
    /// chat id, alert id → nothing: the alerts a chat received, for `/history`.
    Received,
    /// update id → the update as posted: taken in by an instance that does not lead, for
    /// the leader to handle.
    Relayed,
    /// symbol, ex-date → split: the splits the stored prices have been restated for.
    Splits,
    /// story key → a story the engine remembers.
    Stories,
    /// rule id, NUL, symbol → the engine's correlation state of a rule on a symbol.
    Pairs,
    /// alert id, chat id → nothing: the alert's evidence was posted in the group.
    Explained,
}

impl Tree {
    /// Every tree, in a fixed order.
    pub const ALL: [Tree; 23] = [
        Tree::Meta,
        Tree::Chats,
        Tree::Items,
        Tree::Bars,
        Tree::Alerts,
        Tree::Engine,
        Tree::Outbox,
        Tree::Sent,
        Tree::Sources,
        Tree::Personal,
        Tree::PersonalState,
        Tree::Symbols,
        Tree::Headlines,
        Tree::Charts,
        Tree::Digest,
        Tree::Access,
        Tree::Updates,
        Tree::Received,
        Tree::Relayed,
        Tree::Splits,
        Tree::Stories,
        Tree::Pairs,
        Tree::Explained,
    ];

    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            Tree::Meta => "meta",
            Tree::Chats => "chats",
            Tree::Items => "items",
            Tree::Bars => "bars",
            Tree::Alerts => "alerts",
            Tree::Engine => "engine",
            Tree::Outbox => "outbox",
            Tree::Sent => "sent",
            Tree::Sources => "sources",
            Tree::Personal => "personal",
            Tree::PersonalState => "personal_state",
            Tree::Symbols => "symbols",
            Tree::Headlines => "headlines",
            Tree::Charts => "charts",
            Tree::Digest => "digest",
            Tree::Access => "access",
            Tree::Updates => "updates",
            Tree::Received => "received",
            Tree::Relayed => "relayed",
            Tree::Splits => "splits",
            Tree::Stories => "stories",
            Tree::Pairs => "pairs",
            Tree::Explained => "explained",
        }
    }

    /// Its position in [`Tree::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Keys from `start` (inclusive) to `end` (exclusive; `None`: to the end of the tree).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Range {
    /// First key that may be in the range.
    pub start: Vec<u8>,
    /// First key past the range.
    pub end: Option<Vec<u8>>,
}

impl Range {
    /// The whole tree.
    pub fn all() -> Range {
        Range::default()
    }

    /// Keys starting with `prefix`.
    pub fn prefix(prefix: &[u8]) -> Range {
        Range {
            start: prefix.to_vec(),
            end: prefix_end(prefix),
        }
    }

    /// Keys before `end`.
    pub fn below(end: &[u8]) -> Range {
        Range {
            start: Vec::new(),
            end: Some(end.to_vec()),
        }
    }

    /// Whether `key` is in the range.
    pub fn contains(&self, key: &[u8]) -> bool {
        key >= self.start.as_slice() && self.end.as_deref().is_none_or(|end| key < end)
    }
}

/// The first key past every key starting with `prefix` (`None` if there is none: the prefix is
/// empty or all `0xff`).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Which end of a range a scan starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Smallest key first.
    Ascending,
    /// Largest key first.
    Descending,
}

/// Why an operation inside a transaction stopped.
#[derive(Debug)]
pub enum TxError {
    /// Another writer changed what the transaction read: the backend runs the body again.
    Conflict,
    /// The backend failed: the transaction is abandoned and nothing of it is written.
    Failed(BackendError),
}

impl From<BackendError> for TxError {
    fn from(e: BackendError) -> TxError {
        TxError::Failed(e)
    }
}

/// Reads and writes inside one transaction: all of them are committed, or none.
pub trait Transaction {
    /// The value of `key` as this transaction sees it.
    fn get(&mut self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, TxError>;
    /// Sets `key` to `value`.
    fn insert(&mut self, tree: Tree, key: &[u8], value: &[u8]) -> Result<(), TxError>;
    /// Removes `key`; whether it was there.
    fn remove(&mut self, tree: Tree, key: &[u8]) -> Result<bool, TxError>;
    /// Sets `key` to `value` only if it is there; whether it was. Never brings back a key
    /// removed outside the transaction since it was read (a removal of a message that was
    /// sent meanwhile): where the transaction could miss that removal, the backend must
    /// fail it as a conflict instead, so it runs again.
    fn update(&mut self, tree: Tree, key: &[u8], value: &[u8]) -> Result<bool, TxError> {
        if self.get(tree, key)?.is_none() {
            return Ok(false);
        }
        self.insert(tree, key, value)?;
        Ok(true)
    }
    /// A new id, larger than every id handed out before (gaps allowed).
    fn generate_id(&mut self) -> Result<u64, TxError>;
}

/// The body of a transaction. It may run more than once (after a conflict): it must not
/// have effects outside the transaction other than remembering what it returns.
pub type Body<'a> = dyn FnMut(&mut dyn Transaction) -> Result<(), TxError> + 'a;

/// Where the store's state lives. Every write is durable once [`Backend::flush`] returned
/// (PostgreSQL: once the call returned).
pub trait Backend: Send + Sync {
    /// What it is, for logs ("sled /data", "postgres db@host").
    fn describe(&self) -> String;
    /// Whether several processes may open it at once (and so need the lease to lead).
    fn shared(&self) -> bool;
    /// The value of `key`.
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError>;
    /// Sets `key` to `value`.
    fn insert(&self, tree: Tree, key: &[u8], value: &[u8]) -> Result<(), BackendError>;
    /// Removes `key`; whether it was there.
    fn remove(&self, tree: Tree, key: &[u8]) -> Result<bool, BackendError>;
    /// Sets `key` to `new` (`None`: removes it) if its value is `old` (`None`: absent) right
    /// now; whether it did.
    fn compare_and_swap(
        &self,
        tree: Tree,
        key: &[u8],
        old: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, BackendError>;
    /// Up to `limit` entries of `range`, in key order from the given end.
    fn scan(
        &self,
        tree: Tree,
        range: &Range,
        order: Order,
        limit: usize,
    ) -> Result<Vec<Entry>, BackendError>;
    /// How many keys `tree` holds.
    fn len(&self, tree: Tree) -> Result<u64, BackendError>;
    /// Runs `body` as one transaction over `trees` (the body touches no other tree), again
    /// after each conflict, and commits it.
    fn transaction(&self, trees: &[Tree], body: &mut Body<'_>) -> Result<(), BackendError>;
    /// A new id, larger than every id handed out before (gaps allowed).
    fn generate_id(&self) -> Result<u64, BackendError>;
    /// Makes every id handed out from now on larger than `floor` (a copied store goes on
    /// numbering after the ids it brought).
    fn advance_ids(&self, floor: u64) -> Result<(), BackendError>;
    /// Makes every write so far durable.
    fn flush(&self) -> Result<(), BackendError>;
    /// Bytes the state takes where it is stored.
    fn size_on_disk(&self) -> Result<u64, BackendError>;

    /// Takes the lease that makes `holder` the one instance that runs the bot, or keeps it
    /// (`held`: the term it holds now), for `ttl` from now as the backend counts time. The
    /// term it holds, or `None` while another holder's lease runs. A backend only one process
    /// can open (sled) grants it always.
    fn lease(
        &self,
        holder: &str,
        held: Option<u64>,
        ttl: std::time::Duration,
    ) -> Result<Option<u64>, BackendError>;
    /// Gives the lease up at once (a clean stop), if `holder` still holds it in `term`.
    fn release(&self, holder: &str, term: u64) -> Result<(), BackendError>;
    /// Who holds the lease now, and in which term (`None`: nobody, or it ran out).
    fn leader(&self) -> Result<Option<(String, u64)>, BackendError>;
    /// From now on every transaction commits only while `fence` (holder, term) still holds
    /// the lease: a deposed leader's steps fail instead of writing. `None` lifts the fence.
    fn fence(&self, fence: Option<(String, u64)>);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_ends_past_its_last_key() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
        assert_eq!(prefix_end(b""), None);
        let r = Range::prefix(&[7, 0xff]);
        assert!(r.contains(&[7, 0xff]));
        assert!(r.contains(&[7, 0xff, 0xff, 3]));
        assert!(!r.contains(&[8]));
        assert!(!r.contains(&[7, 0xfe, 9]));
    }

    #[test]
    fn tree_names_are_unique_and_indexed_in_order() {
        let names: std::collections::BTreeSet<_> = Tree::ALL.iter().map(|t| t.name()).collect();
        assert_eq!(names.len(), Tree::ALL.len());
        for (i, t) in Tree::ALL.iter().enumerate() {
            assert_eq!(t.index(), i);
        }
    }
}
