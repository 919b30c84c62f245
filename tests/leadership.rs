//! Leading, as the delivery sees it: an instance that may have lost the lease sends nothing
//! more, so the instance that takes over never repeats what it sent.

use crate::support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use marketbot::leader::{Leading, STEP_DOWN_AFTER, wait_for_lease};
use marketbot::store::Store;
use support::backend::Faulty;
use tokio_util::sync::CancellationToken;

/// The lease runs from the moment the database granted it, which may be long before its
/// answer arrived: leadership ends within [`STEP_DOWN_AFTER`] of the request, so it is over
/// before the lease can have run out and another instance have taken it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leadership_taken_on_a_slow_answer_ends_before_its_lease_can_run_out() {
    let dir = tempfile::tempdir().unwrap();
    let sled = Store::open(dir.path(), 8 << 20).unwrap();
    // Granted when asked, answered 4 s later; then the database is out of reach.
    let faulty = Faulty::new(sled.backend())
        .slow_first_lease(Duration::from_secs(4))
        .lease_answers(1);
    let store = Store::with_backend(Arc::new(faulty)).unwrap();
    let leading = Leading::waiting("a");
    let stop = CancellationToken::new();
    let asked = Instant::now();
    assert!(wait_for_lease(&store, &leading, &stop).await);
    while leading.is_leading() && asked.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let led = asked.elapsed();
    stop.cancel();
    assert!(
        led <= STEP_DOWN_AFTER + Duration::from_millis(300),
        "led for {led:?} after asking for a lease that may have been granted then \
         (it lasts {:?}; leadership must end within {STEP_DOWN_AFTER:?})",
        marketbot::leader::LEASE
    );
}
