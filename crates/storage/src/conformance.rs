//! The behaviour every [`Store`] backend must have. Each backend's tests
//! call [`run`] with a way to make an empty store.

use crate::store::{Document, Store};

/// Runs every conformance check against fresh stores from `make`.
/// Panics, naming the check, on the first failure.
pub async fn run<S: Store, F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = S>,
{
    missing_keys_are_none(&make().await).await;
    put_then_get(&make().await).await;
    put_replaces(&make().await).await;
    delete_removes_and_is_idempotent(&make().await).await;
    keys_are_independent(&make().await).await;
    flush_keeps_everything(&make().await).await;
    empty_and_binary_bodies(&make().await).await;
}

fn doc(body: &str) -> Document {
    Document::new(1, body.as_bytes().to_vec())
}

async fn missing_keys_are_none<S: Store>(store: &S) {
    assert_eq!(store.get("nobody").await.expect("get"), None, "missing_keys_are_none");
}

async fn put_then_get<S: Store>(store: &S) {
    store.put("user-1", doc("one")).await.expect("put");
    assert_eq!(store.get("user-1").await.expect("get"), Some(doc("one")), "put_then_get");
}

async fn put_replaces<S: Store>(store: &S) {
    store.put("user-1", doc("one")).await.expect("put");
    store.put("user-1", Document::new(2, b"two".to_vec())).await.expect("put");
    assert_eq!(store.get("user-1").await.expect("get"), Some(Document::new(2, b"two".to_vec())), "put_replaces");
}

async fn delete_removes_and_is_idempotent<S: Store>(store: &S) {
    store.put("user-1", doc("one")).await.expect("put");
    store.delete("user-1").await.expect("delete");
    assert_eq!(store.get("user-1").await.expect("get"), None, "delete_removes");
    store.delete("user-1").await.expect("deleting a missing key is fine");
    store.put("user-1", doc("again")).await.expect("put after delete");
    assert_eq!(store.get("user-1").await.expect("get"), Some(doc("again")), "put_after_delete");
}

async fn keys_are_independent<S: Store>(store: &S) {
    for i in 0..50 {
        store.put(&format!("user-{i}"), doc(&i.to_string())).await.expect("put");
    }
    store.delete("user-7").await.expect("delete");
    for i in 0..50 {
        let expected = (i != 7).then(|| doc(&i.to_string()));
        assert_eq!(store.get(&format!("user-{i}")).await.expect("get"), expected, "keys_are_independent {i}");
    }
}

async fn flush_keeps_everything<S: Store>(store: &S) {
    store.put("global", doc("g")).await.expect("put");
    store.put("user-2", doc("u")).await.expect("put");
    store.delete("user-2").await.expect("delete");
    store.flush().await.expect("flush");
    assert_eq!(store.get("global").await.expect("get"), Some(doc("g")), "flush_keeps_puts");
    assert_eq!(store.get("user-2").await.expect("get"), None, "flush_keeps_deletes");
}

async fn empty_and_binary_bodies<S: Store>(store: &S) {
    store.put("empty", Document::new(1, Vec::new())).await.expect("put");
    let binary: Vec<u8> = (0..=255).collect();
    store.put("binary", Document::new(9, binary.clone())).await.expect("put");
    store.flush().await.expect("flush");
    assert_eq!(store.get("empty").await.expect("get"), Some(Document::new(1, Vec::new())), "empty_body");
    assert_eq!(store.get("binary").await.expect("get"), Some(Document::new(9, binary)), "binary_body");
}
