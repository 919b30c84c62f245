//! Webhook updates taken in once, across a reopen, and forgotten after a day.

use super::*;

on_every_backend!(an_update_is_taken_in_once_across_a_reopen_and_forgotten_after_a_day,);

fn an_update_is_taken_in_once_across_a_reopen_and_forgotten_after_a_day(f: &Fixture) {
    use super::TakeIn::{First, InFlight, Repeated};
    let store = f.open();
    let run = 1;
    assert_eq!(store.take_in_update(10, 1_000, run).unwrap(), First);
    // Being handed over by another request of this run: come back later.
    assert_eq!(store.take_in_update(10, 1_001, run).unwrap(), InFlight);
    store.mark_update_taken(10).unwrap();
    assert_eq!(store.take_in_update(10, 1_002, run).unwrap(), Repeated);
    // Taken in but not handed over: forgotten, its next delivery counts.
    assert_eq!(store.take_in_update(11, 2_000, run).unwrap(), First);
    store.forget_update(11).unwrap();
    assert_eq!(store.take_in_update(11, 2_001, run).unwrap(), First);
    drop(store);
    // The next run: what was handed over stays handled; what the stopped run had taken in
    // but not handed over is the new run's.
    let store = f.open();
    let next = 2;
    assert_eq!(store.take_in_update(10, 3_000, next).unwrap(), Repeated);
    assert_eq!(store.take_in_update(11, 3_001, next).unwrap(), First);
    assert_eq!(store.take_in_update(11, 3_002, next).unwrap(), InFlight);
    // Old ones go, whatever their order.
    assert_eq!(store.take_in_update(3, 5_000, next).unwrap(), First);
    assert_eq!(store.forget_updates_before(3_500).unwrap(), 2);
    assert_eq!(store.take_in_update(10, 5_001, next).unwrap(), First);
    assert_eq!(store.take_in_update(3, 5_002, next).unwrap(), InFlight);
}
