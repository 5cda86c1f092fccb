use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::conformance;

fn config(dir: &Path) -> FileStoreConfig {
    FileStoreConfig { flush_every: Duration::from_secs(3600), ..FileStoreConfig::new(dir) }
}

fn doc(body: &str) -> Document {
    Document::new(1, body.as_bytes().to_vec())
}

#[tokio::test]
async fn passes_the_conformance_suite() {
    let root = tempfile::tempdir().unwrap();
    let counter = std::sync::atomic::AtomicUsize::new(0);
    conformance::run(|| {
        let dir = root.path().join(counter.fetch_add(1, Ordering::Relaxed).to_string());
        async move { FileStore::open(config(&dir)).await.unwrap() }
    })
    .await;
}

#[tokio::test]
async fn memory_store_passes_the_conformance_suite() {
    conformance::run(|| async { crate::MemoryStore::new() }).await;
}

#[tokio::test]
async fn survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(config(dir.path())).await.unwrap();
    store.put("user-1", doc("persona")).await.unwrap();
    store.put("global", doc("model")).await.unwrap();
    store.close().await.unwrap();
    let store = FileStore::open(config(dir.path())).await.unwrap();
    assert_eq!(store.get("user-1").await.unwrap(), Some(doc("persona")));
    assert_eq!(store.get("global").await.unwrap(), Some(doc("model")));
}

/// A new user's first message reads no file: the keys on disk are listed
/// at open, and a key without a file is known absent. A document left with
/// only its backup (a crash between the renames) is still found.
#[tokio::test]
async fn keys_without_a_file_are_not_read_and_a_backup_alone_counts() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(config(dir.path())).await.unwrap();
    store.put("user-1", doc("first")).await.unwrap();
    store.flush().await.unwrap();
    store.put("user-1", doc("second")).await.unwrap();
    store.put("user-2", doc("only")).await.unwrap();
    store.close().await.unwrap();
    let path = disk::path_of(dir.path(), "user-2");
    std::fs::rename(&path, path.with_extension("bak")).unwrap();
    let store = FileStore::open(config(dir.path())).await.unwrap();
    assert_eq!(store.get("user-3").await.unwrap(), None);
    assert_eq!(store.health().reads, 0, "a key with no file is not looked for on disk");
    assert_eq!(store.get("user-1").await.unwrap(), Some(doc("second")));
    assert_eq!(store.get("user-2").await.unwrap(), Some(doc("only")));
    assert_eq!(store.health().reads, 2);
    store.put("user-3", doc("new")).await.unwrap();
    store.close().await.unwrap();
    let store = FileStore::open(FileStoreConfig { cache_bytes: 0, ..config(dir.path()) }).await.unwrap();
    assert_eq!(store.get("user-3").await.unwrap(), Some(doc("new")));
}

#[tokio::test]
async fn a_second_instance_on_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _first = FileStore::open(config(dir.path())).await.unwrap();
    let err = FileStore::open(config(dir.path())).await.unwrap_err();
    assert!(matches!(err, StoreError::Locked(_)), "{err}");
    assert!(err.to_string().contains("in use by another Muse process"));
}

#[tokio::test]
async fn files_are_private_and_temp_files_from_a_crash_are_removed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(config(dir.path())).await.unwrap();
    store.put("user-1", doc("x")).await.unwrap();
    store.flush().await.unwrap();
    let path = store.path_of("user-1");
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(dir.path().join("docs")).unwrap().permissions().mode() & 0o777, 0o700);
    let stale = path.parent().unwrap().join(format!("{}crashed", disk::TMP_PREFIX));
    std::fs::write(&stale, b"half a docu").unwrap();
    drop(store);
    let store = FileStore::open(config(dir.path())).await.unwrap();
    assert!(!stale.exists());
    assert_eq!(store.health().stale_temp_files_removed, 1);
}

#[tokio::test]
async fn writes_coalesce_and_a_flush_writes_only_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(config(dir.path())).await.unwrap();
    for i in 0..100 {
        store.put(&format!("user-{i}"), doc("a")).await.unwrap();
    }
    store.flush().await.unwrap();
    assert_eq!(store.health().written, 100);
    for n in 0..10 {
        store.put("user-5", doc(&n.to_string())).await.unwrap();
    }
    store.flush().await.unwrap();
    assert_eq!(store.health().written, 101, "ten puts to one key, one write");
    assert_eq!(store.get("user-5").await.unwrap(), Some(doc("9")));
}

#[tokio::test]
async fn durable_mode_writes_before_returning() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(FileStoreConfig { durable: true, ..config(dir.path()) }).await.unwrap();
    store.put("user-1", doc("now")).await.unwrap();
    assert!(store.path_of("user-1").exists());
    assert_eq!(store.health().dirty, 0);
    store.delete("user-1").await.unwrap();
    assert!(!store.path_of("user-1").exists());
}

#[tokio::test]
async fn write_behind_catches_up_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(FileStoreConfig { flush_every: Duration::from_millis(50), ..config(dir.path()) })
        .await
        .unwrap();
    store.put("user-1", doc("later")).await.unwrap();
    for _ in 0..100 {
        if store.path_of("user-1").exists() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the background flush never wrote the document");
}

#[tokio::test]
async fn a_corrupt_document_is_moved_aside_and_the_last_good_copy_used() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(config(dir.path())).await.unwrap();
    store.put("user-1", doc("first")).await.unwrap();
    store.flush().await.unwrap();
    store.put("user-1", doc("second")).await.unwrap();
    store.close().await.unwrap();
    let store = FileStore::open(config(dir.path())).await.unwrap();
    let path = store.path_of("user-1");
    std::fs::write(&path, b"MUSEDOC 1 1 00000000 6\nsecond").unwrap();
    assert_eq!(store.get("user-1").await.unwrap(), Some(doc("first")), "the backup is used");
    assert_eq!(store.health().quarantined, 1);
    let aside: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1, "moved aside, not deleted");
}

#[tokio::test]
async fn old_schemas_are_migrated_on_read() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(config(dir.path())).await.unwrap();
    store.put("user-1", Document::new(1, b"v1".to_vec())).await.unwrap();
    store.close().await.unwrap();
    let migrate: Migration = Arc::new(|_key, from, mut body| {
        body.extend_from_slice(format!("+from{from}").as_bytes());
        Ok(body)
    });
    let store =
        FileStore::open(FileStoreConfig { schema: 2, migrate: Some(migrate), ..config(dir.path()) }).await.unwrap();
    assert_eq!(store.get("user-1").await.unwrap(), Some(Document::new(2, b"v1+from1".to_vec())));
}

#[tokio::test]
async fn the_cache_stays_within_its_byte_budget() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(FileStoreConfig { cache_bytes: 10_000, ..config(dir.path()) }).await.unwrap();
    for i in 0..1000 {
        store.put(&format!("user-{i}"), doc(&"x".repeat(200))).await.unwrap();
    }
    store.flush().await.unwrap();
    assert!(store.health().cached_bytes <= 10_000, "{}", store.health().cached_bytes);
    assert_eq!(store.get("user-3").await.unwrap(), Some(doc(&"x".repeat(200))), "cold documents load on demand");
}

#[tokio::test]
async fn invalid_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(config(dir.path())).await.unwrap();
    for key in ["", "../etc", "a/b", "a b", &"x".repeat(101)] {
        assert!(matches!(store.put(key, doc("x")).await, Err(StoreError::InvalidKey(_))), "{key:?}");
    }
}

#[derive(Clone, Debug)]
enum Op {
    Put(u8, u8),
    Delete(u8),
    Flush,
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..12, any::<u8>()).prop_map(|(k, v)| Op::Put(k, v)),
        2 => (0u8..12).prop_map(Op::Delete),
        1 => Just(Op::Flush),
        1 => Just(Op::Reopen),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Any sequence of puts, deletes, flushes and reopens (with a flush
    /// before closing) reads back the same as a plain map.
    #[test]
    fn equals_a_map(ops in proptest::collection::vec(op(), 0..40), cache_bytes in 0usize..2000) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let open = || FileStore::open(FileStoreConfig { cache_bytes, ..config(dir.path()) });
            let mut store = open().await.unwrap();
            let mut model: BTreeMap<u8, u8> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Put(k, v) => {
                        store.put(&format!("k{k}"), Document::new(1, vec![v])).await.unwrap();
                        model.insert(k, v);
                    }
                    Op::Delete(k) => {
                        store.delete(&format!("k{k}")).await.unwrap();
                        model.remove(&k);
                    }
                    Op::Flush => store.flush().await.unwrap(),
                    Op::Reopen => {
                        store.close().await.unwrap();
                        store = open().await.unwrap();
                    }
                }
                for k in 0u8..12 {
                    let got = store.get(&format!("k{k}")).await.unwrap().map(|d| d.body[0]);
                    prop_assert_eq!(got, model.get(&k).copied(), "key {}", k);
                }
            }
            Ok(())
        })?;
    }
}
