//! The embedded backend: sled, one tree per [`Tree`], in a directory only one process may
//! open (so its single instance always leads).

use std::cell::RefCell;
use std::path::Path;
use std::time::Duration;

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};

use super::kv::{Backend, BackendError, Body, Entry, Order, Range, Transaction, Tree, TxError};

/// How long [`Sled::open`] waits for the directory's lock to be released.
///
/// sled releases its file lock on a background thread after the last handle is dropped, so
/// opening a directory right after closing it (a restart in the same process) can find the
/// lock still held for a moment. Another process holding it is still refused after this.
const LOCK_WAIT: Duration = Duration::from_secs(3);

/// A sled database and its trees, in [`Tree::ALL`]'s order.
pub struct Sled {
    db: sled::Db,
    trees: Vec<sled::Tree>,
    path: String,
}

fn open_waiting_for_lock(config: &sled::Config) -> sled::Result<sled::Db> {
    let deadline = std::time::Instant::now() + LOCK_WAIT;
    loop {
        match config.open() {
            // sled 0.34 reports a held lock as `Other` with the OS error in the message.
            Err(sled::Error::Io(e))
                if e.to_string().starts_with("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(25));
            }
            other => return other,
        }
    }
}

impl Sled {
    /// Opens (or creates) the database in `path` with a page cache of `cache_bytes`.
    pub fn open(path: &Path, cache_bytes: u64) -> Result<Sled, BackendError> {
        std::fs::create_dir_all(path).map_err(|e| format!("creating {}: {e}", path.display()))?;
        let config = sled::Config::new()
            .path(path)
            .cache_capacity(cache_bytes)
            .mode(sled::Mode::LowSpace);
        let db = open_waiting_for_lock(&config).map_err(|e| {
            format!(
                "opening {} (is another marketbot using this directory?): {e}",
                path.display()
            )
        })?;
        let trees = Tree::ALL
            .iter()
            .map(|t| {
                db.open_tree(t.name())
                    .map_err(|e| format!("opening tree {}: {e}", t.name()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Sled {
            db,
            trees,
            path: path.display().to_string(),
        })
    }

    fn tree(&self, tree: Tree) -> &sled::Tree {
        &self.trees[tree.index()]
    }
}

/// A sled transaction over some trees: `views[i]` is the view of `trees[i]`.
struct SledTx<'a> {
    trees: &'a [Tree],
    views: &'a [TransactionalTree],
}

impl SledTx<'_> {
    fn view(&self, tree: Tree) -> Result<&TransactionalTree, TxError> {
        self.trees
            .iter()
            .position(|t| *t == tree)
            .map(|i| &self.views[i])
            .ok_or_else(|| {
                TxError::Failed(format!("tree {} is not in this transaction", tree.name()).into())
            })
    }
}

fn tx_error(e: sled::transaction::UnabortableTransactionError) -> TxError {
    match e {
        sled::transaction::UnabortableTransactionError::Conflict => TxError::Conflict,
        sled::transaction::UnabortableTransactionError::Storage(e) => TxError::Failed(Box::new(e)),
    }
}

impl Transaction for SledTx<'_> {
    fn get(&mut self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
        Ok(self
            .view(tree)?
            .get(key)
            .map_err(tx_error)?
            .map(|v| v.to_vec()))
    }

    fn insert(&mut self, tree: Tree, key: &[u8], value: &[u8]) -> Result<(), TxError> {
        self.view(tree)?.insert(key, value).map_err(tx_error)?;
        Ok(())
    }

    fn remove(&mut self, tree: Tree, key: &[u8]) -> Result<bool, TxError> {
        Ok(self.view(tree)?.remove(key).map_err(tx_error)?.is_some())
    }

    fn generate_id(&mut self) -> Result<u64, TxError> {
        let first = self
            .views
            .first()
            .ok_or_else(|| TxError::Failed("a transaction over no tree".into()))?;
        first
            .generate_id()
            .map_err(|e| TxError::Failed(Box::new(e)))
    }
}

impl Backend for Sled {
    fn describe(&self) -> String {
        format!("sled {}", self.path)
    }

    fn shared(&self) -> bool {
        false
    }

    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        Ok(self.tree(tree).get(key)?.map(|v| v.to_vec()))
    }

    fn insert(&self, tree: Tree, key: &[u8], value: &[u8]) -> Result<(), BackendError> {
        self.tree(tree).insert(key, value)?;
        Ok(())
    }

    fn remove(&self, tree: Tree, key: &[u8]) -> Result<bool, BackendError> {
        Ok(self.tree(tree).remove(key)?.is_some())
    }

    fn compare_and_swap(
        &self,
        tree: Tree,
        key: &[u8],
        old: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, BackendError> {
        Ok(self.tree(tree).compare_and_swap(key, old, new)?.is_ok())
    }

    fn scan(
        &self,
        tree: Tree,
        range: &Range,
        order: Order,
        limit: usize,
    ) -> Result<Vec<Entry>, BackendError> {
        let t = self.tree(tree);
        let iter = match &range.end {
            Some(end) => t.range(range.start.as_slice()..end.as_slice()),
            None => t.range(range.start.as_slice()..),
        };
        let take = |entry: sled::Result<(sled::IVec, sled::IVec)>| {
            entry.map(|(k, v)| (k.to_vec(), v.to_vec()))
        };
        let out: sled::Result<Vec<Entry>> = match order {
            Order::Ascending => iter.take(limit).map(take).collect(),
            Order::Descending => iter.rev().take(limit).map(take).collect(),
        };
        Ok(out?)
    }

    fn len(&self, tree: Tree) -> Result<u64, BackendError> {
        Ok(self.tree(tree).len() as u64)
    }

    fn transaction(&self, trees: &[Tree], body: &mut Body<'_>) -> Result<(), BackendError> {
        let views: Vec<&sled::Tree> = trees.iter().map(|t| self.tree(*t)).collect();
        let body = RefCell::new(body);
        let result: Result<(), TransactionError<BackendError>> =
            views.as_slice().transaction(|views| {
                let mut tx = SledTx { trees, views };
                match (body.borrow_mut())(&mut tx) {
                    Ok(()) => Ok(()),
                    Err(TxError::Conflict) => Err(ConflictableTransactionError::Conflict),
                    Err(TxError::Failed(e)) => Err(ConflictableTransactionError::Abort(e)),
                }
            });
        match result {
            Ok(()) => Ok(()),
            Err(TransactionError::Abort(e)) => Err(e),
            Err(TransactionError::Storage(e)) => Err(Box::new(e)),
        }
    }

    fn generate_id(&self) -> Result<u64, BackendError> {
        Ok(self.db.generate_id()?)
    }

    fn advance_ids(&self, floor: u64) -> Result<(), BackendError> {
        // sled has no way to set its counter: count up to the floor (ids are cheap).
        while self.db.generate_id()? <= floor {}
        Ok(())
    }

    fn flush(&self) -> Result<(), BackendError> {
        self.db.flush()?;
        Ok(())
    }

    fn size_on_disk(&self) -> Result<u64, BackendError> {
        Ok(self.db.size_on_disk()?)
    }

    fn lease(
        &self,
        _holder: &str,
        held: Option<u64>,
        _ttl: Duration,
    ) -> Result<Option<u64>, BackendError> {
        // The directory's lock keeps every other process out: this one leads.
        Ok(Some(held.unwrap_or(1)))
    }

    fn release(&self, _holder: &str, _term: u64) -> Result<(), BackendError> {
        Ok(())
    }

    fn leader(&self) -> Result<Option<(String, u64)>, BackendError> {
        Ok(None)
    }

    fn fence(&self, _fence: Option<(String, u64)>) {}
}
