//! A store backend that misbehaves on cue, around a real one: a removal from the outbox that
//! fails (the store hiccups), another process's write while a transaction runs or between two
//! reads, a transaction that fails, or one that is stored but reported failed (the connection
//! dropped at COMMIT).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use marketbot::store::kv::{
    Backend, BackendError, Body, Entry, Order, Range, Transaction, Tree, TxError,
};

/// Runs once, on the real backend, while a transaction's body runs for the first time.
type Meanwhile = Box<dyn FnOnce(&dyn Backend) + Send>;

/// `inner` with faults injected; every other call goes straight through.
pub struct Faulty {
    inner: Arc<dyn Backend>,
    /// Removals from the outbox still to fail.
    failing_removals: AtomicUsize,
    /// Transactions still to report failure after they were stored.
    lost_commits: AtomicUsize,
    /// Transactions still to fail without being stored.
    failing_commits: AtomicUsize,
    meanwhile: Mutex<Option<Meanwhile>>,
    /// Runs once between the reads of two trees (see [`Faulty::between_scans`]).
    between: Mutex<Option<Between>>,
    /// How long the first request for the lease waits for its answer (taken when asked).
    slow_first_lease: Mutex<Option<Duration>>,
    /// Requests for the lease still answered; the later ones find the store unreachable.
    lease_answers: AtomicUsize,
}

/// A write waiting for reads of two trees: `read` is the tree of them read first so far.
struct Between {
    trees: [Tree; 2],
    read: Option<Tree>,
    write: Meanwhile,
}

impl Faulty {
    pub fn new(inner: &Arc<dyn Backend>) -> Faulty {
        Faulty {
            inner: Arc::clone(inner),
            failing_removals: AtomicUsize::new(0),
            lost_commits: AtomicUsize::new(0),
            failing_commits: AtomicUsize::new(0),
            meanwhile: Mutex::new(None),
            between: Mutex::new(None),
            slow_first_lease: Mutex::new(None),
            lease_answers: AtomicUsize::new(usize::MAX),
        }
    }

    /// The first request for the lease is granted when it is asked, but its answer arrives
    /// only `delay` later (a slow network, a busy database).
    pub fn slow_first_lease(self, delay: Duration) -> Faulty {
        *self.slow_first_lease.lock().unwrap() = Some(delay);
        self
    }

    /// Only the first `n` requests for the lease are answered; the store cannot be reached
    /// for the others (this instance is cut off from the database).
    pub fn lease_answers(self, n: usize) -> Faulty {
        self.lease_answers.store(n, Ordering::SeqCst);
        self
    }

    /// The next `n` removals from the outbox fail.
    pub fn failing_removals(self, n: usize) -> Faulty {
        self.failing_removals.store(n, Ordering::SeqCst);
        self
    }

    /// From now on, the next `n` transactions fail and are not stored.
    pub fn fail_commits(&self, n: usize) {
        self.failing_commits.store(n, Ordering::SeqCst);
    }

    /// From now on, the next `n` transactions are stored but reported failed.
    pub fn lose_commit_answers(&self, n: usize) {
        self.lost_commits.store(n, Ordering::SeqCst);
    }

    /// `write` runs on the real backend (another connection, another process) in the middle
    /// of the next transaction: after its body's reads, before its first write.
    pub fn during_next_transaction(
        self,
        write: impl FnOnce(&dyn Backend) + Send + 'static,
    ) -> Faulty {
        *self.meanwhile.lock().unwrap() = Some(Box::new(write));
        self
    }
}

impl Faulty {
    /// From now on, `write` runs on the real backend (another connection, another thread)
    /// once, between a scan of one of `trees` and the first scan of the other after it: two
    /// reads that were meant to see the same state see it before and after `write`.
    pub fn between_scans(
        &self,
        trees: [Tree; 2],
        write: impl FnOnce(&dyn Backend) + Send + 'static,
    ) {
        *self.between.lock().unwrap() = Some(Between {
            trees,
            read: None,
            write: Box::new(write),
        });
    }

    fn before_scan(&self, tree: Tree) {
        let mut between = self.between.lock().unwrap();
        let Some(b) = between.as_mut().filter(|b| b.trees.contains(&tree)) else {
            return;
        };
        match b.read {
            Some(first) if first != tree => {
                let write = between.take().map(|b| b.write);
                drop(between);
                if let Some(write) = write {
                    write(self.inner.as_ref());
                }
            }
            _ => b.read = Some(tree),
        }
    }
}

/// Counts one fault off `faults`; `false` when none is left.
fn take_one(faults: &AtomicUsize) -> bool {
    faults
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

impl Backend for Faulty {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn shared(&self) -> bool {
        self.inner.shared()
    }
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        self.inner.get(tree, key)
    }
    fn insert(&self, tree: Tree, key: &[u8], value: &[u8]) -> Result<(), BackendError> {
        self.inner.insert(tree, key, value)
    }
    fn remove(&self, tree: Tree, key: &[u8]) -> Result<bool, BackendError> {
        if tree == Tree::Outbox && take_one(&self.failing_removals) {
            return Err("injected: connection reset".into());
        }
        self.inner.remove(tree, key)
    }
    fn compare_and_swap(
        &self,
        tree: Tree,
        key: &[u8],
        old: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, BackendError> {
        self.inner.compare_and_swap(tree, key, old, new)
    }
    fn scan(
        &self,
        tree: Tree,
        range: &Range,
        order: Order,
        limit: usize,
    ) -> Result<Vec<Entry>, BackendError> {
        self.before_scan(tree);
        self.inner.scan(tree, range, order, limit)
    }
    fn len(&self, tree: Tree) -> Result<u64, BackendError> {
        self.inner.len(tree)
    }
    fn transaction(&self, trees: &[Tree], body: &mut Body<'_>) -> Result<(), BackendError> {
        if take_one(&self.failing_commits) {
            return Err("injected: the database is unreachable".into());
        }
        let mut meanwhile = self.meanwhile.lock().unwrap().take();
        let mut wrapped = |tx: &mut dyn Transaction| {
            body(&mut Interrupted {
                tx,
                inner: self.inner.as_ref(),
                meanwhile: &mut meanwhile,
            })
        };
        self.inner.transaction(trees, &mut wrapped)?;
        if take_one(&self.lost_commits) {
            return Err("injected: connection lost waiting for COMMIT's answer".into());
        }
        Ok(())
    }
    fn generate_id(&self) -> Result<u64, BackendError> {
        self.inner.generate_id()
    }
    fn advance_ids(&self, floor: u64) -> Result<(), BackendError> {
        self.inner.advance_ids(floor)
    }
    fn flush(&self) -> Result<(), BackendError> {
        self.inner.flush()
    }
    fn size_on_disk(&self) -> Result<u64, BackendError> {
        self.inner.size_on_disk()
    }
    fn lease(
        &self,
        holder: &str,
        held: Option<u64>,
        ttl: Duration,
    ) -> Result<Option<u64>, BackendError> {
        if !take_one(&self.lease_answers) {
            return Err("injected: the database is unreachable".into());
        }
        let granted = self.inner.lease(holder, held, ttl);
        if let Some(delay) = self.slow_first_lease.lock().unwrap().take() {
            std::thread::sleep(delay);
        }
        granted
    }
    fn release(&self, holder: &str, term: u64) -> Result<(), BackendError> {
        self.inner.release(holder, term)
    }
    fn leader(&self) -> Result<Option<(String, u64)>, BackendError> {
        self.inner.leader()
    }
    fn fence(&self, fence: Option<(String, u64)>) {
        self.inner.fence(fence)
    }
}

/// A transaction whose first write lets another writer in first.
struct Interrupted<'a> {
    tx: &'a mut dyn Transaction,
    inner: &'a dyn Backend,
    meanwhile: &'a mut Option<Meanwhile>,
}

impl Interrupted<'_> {
    fn let_in(&mut self) {
        if let Some(write) = self.meanwhile.take() {
            write(self.inner);
        }
    }
}

impl Transaction for Interrupted<'_> {
    fn get(&mut self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
        self.tx.get(tree, key)
    }
    fn insert(&mut self, tree: Tree, key: &[u8], value: &[u8]) -> Result<(), TxError> {
        self.let_in();
        self.tx.insert(tree, key, value)
    }
    fn remove(&mut self, tree: Tree, key: &[u8]) -> Result<bool, TxError> {
        self.let_in();
        self.tx.remove(tree, key)
    }
    fn update(&mut self, tree: Tree, key: &[u8], value: &[u8]) -> Result<bool, TxError> {
        self.let_in();
        self.tx.update(tree, key, value)
    }
    fn generate_id(&mut self) -> Result<u64, TxError> {
        self.tx.generate_id()
    }
}
