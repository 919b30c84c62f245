//! The sled directory: one process at a time, and a reopen waiting for the last one's lock.

use super::*;

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    (dir, store)
}

#[test]
fn a_second_process_cannot_open_the_same_directory() {
    let (dir, _store) = open();
    let err = Store::open(dir.path(), 8 << 20).err().expect("locked");
    assert!(err.to_string().contains("another marketbot"), "{err}");
}

#[test]
fn a_directory_let_go_of_a_moment_later_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    store.backend.insert(Tree::Meta, b"kept", b"yes").unwrap();
    store.flush().unwrap();
    // The last handle goes away on another thread shortly after the reopen begins, as when
    // sled's own threads or a finishing task release the directory after a restart.
    let late = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        drop(store);
    });
    let reopened = Store::open(dir.path(), 8 << 20).unwrap();
    late.join().unwrap();
    assert_eq!(
        reopened
            .backend
            .get(Tree::Meta, b"kept")
            .unwrap()
            .as_deref(),
        Some(&b"yes"[..])
    );
}
