//! Blocking work — drawing a chart, a round trip to the database — done from an async task
//! without holding an async worker: on the multi-threaded runtime the worker first hands its
//! other tasks to another thread ([`tokio::task::block_in_place`]), so the sender's pacing,
//! the listener and Telegram's updates go on meanwhile. Elsewhere (plain threads, the
//! blocking pool, single-threaded runtimes in tests and tools) the work simply runs.

/// Runs `work` here, off the async workers when called from one.
pub fn off_workers<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}
