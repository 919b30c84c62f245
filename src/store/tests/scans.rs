//! Paged scans of a tree, in both directions.

use super::*;

on_every_backend!(scans_walk_past_a_page_in_both_directions,);

fn scans_walk_past_a_page_in_both_directions(f: &Fixture) {
    let store = f.open();
    let n = PAGE * 2 + 7;
    for i in 0..n as u64 {
        store
            .put(Tree::Sent, &i.to_be_bytes(), &[0xff, 0], "writing")
            .unwrap();
    }
    let up: Vec<u64> = store
        .entries(Tree::Sent, Range::all(), "reading")
        .map(|e| u64::from_be_bytes(e.unwrap().0.try_into().unwrap()))
        .collect();
    assert_eq!(up, (0..n as u64).collect::<Vec<_>>());
    let down: Vec<u64> = store
        .entries_in(Tree::Sent, Range::all(), Order::Descending, "reading")
        .map(|e| u64::from_be_bytes(e.unwrap().0.try_into().unwrap()))
        .collect();
    assert_eq!(down, (0..n as u64).rev().collect::<Vec<_>>());
    let prefix = store
        .entries(Tree::Sent, Range::prefix(&[0, 0, 0, 0, 0, 0, 1]), "reading")
        .count();
    assert_eq!(prefix, 256, "keys 256..512 share the prefix");
}
