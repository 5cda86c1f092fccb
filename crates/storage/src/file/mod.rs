//! The file store: one atomic file per document, written behind.
//!
//! Puts and deletes land in a dirty map at once (several changes to one key
//! coalesce into one write) and a background task flushes them every
//! `flush_every`; in durable mode every change is flushed before the call
//! returns. A flush writes only what changed, so its cost does not grow
//! with the number of documents. Reads go through a cache bounded in bytes;
//! documents not in it are read from disk on demand, so opening the store
//! reads none. Opening lists the file names, though, so a key that has no
//! file (a new user's) is known absent without going to the disk (a 64-bit
//! hash a document in memory, 10 to 20 bytes with the table's room). All
//! file work runs on tokio's blocking pool.

mod disk;

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant, SystemTime};

use lru::LruCache;

use crate::store::{Document, Store, valid_key};

/// Turns an older document body into the current schema.
pub type Migration = Arc<dyn Fn(&str, u32, Vec<u8>) -> Result<Vec<u8>, String> + Send + Sync>;

/// How a [`FileStore`] behaves.
#[derive(Clone)]
pub struct FileStoreConfig {
    /// The data directory.
    pub dir: PathBuf,
    /// Flush every change before the call returns.
    pub durable: bool,
    /// How far behind write-behind may be.
    pub flush_every: Duration,
    /// Bytes of documents kept in memory (dirty ones always are).
    pub cache_bytes: usize,
    /// The schema version documents are written with.
    pub schema: u32,
    /// Upgrades documents of an older schema as they are read.
    pub migrate: Option<Migration>,
}

impl std::fmt::Debug for FileStoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStoreConfig")
            .field("dir", &self.dir)
            .field("durable", &self.durable)
            .field("flush_every", &self.flush_every)
            .field("cache_bytes", &self.cache_bytes)
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl FileStoreConfig {
    /// Write-behind at most 1 s, a 16 MiB cache, schema 1.
    pub fn new(dir: impl Into<PathBuf>) -> FileStoreConfig {
        FileStoreConfig {
            dir: dir.into(),
            durable: false,
            flush_every: Duration::from_secs(1),
            cache_bytes: 16 << 20,
            schema: 1,
            migrate: None,
        }
    }
}

/// Why the file store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the data directory.
    #[error("the data directory {0} is in use by another Muse process")]
    Locked(PathBuf),
    /// A key with characters a file name must not have.
    #[error("invalid key {0:?}: use 1-100 characters of A-Z a-z 0-9 _ -")]
    InvalidKey(String),
    /// Reading or writing failed.
    #[error("storage I/O failed: {0}")]
    Io(#[from] io::Error),
    /// An older document could not be migrated.
    #[error("cannot migrate {key} from schema {from}: {problem}")]
    Migration {
        /// The key.
        key: String,
        /// Its schema version.
        from: u32,
        /// What went wrong.
        problem: String,
    },
}

/// What health checks and metrics read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreHealth {
    /// Changes not yet on disk.
    pub dirty: usize,
    /// Bytes in the cache.
    pub cached_bytes: usize,
    /// Whether the last flush succeeded (true before any).
    pub last_flush_ok: bool,
    /// When the last flush finished.
    pub last_flush_at: Option<SystemTime>,
    /// How long the last flush took.
    pub last_flush_duration: Duration,
    /// Flushes since start.
    pub flushes: u64,
    /// Documents written since start.
    pub written: u64,
    /// Corrupt files moved aside since start.
    pub quarantined: u64,
    /// Documents read from disk since start (not in the cache, and with a
    /// file to read).
    pub reads: u64,
    /// Stale temporary files removed at start.
    pub stale_temp_files_removed: usize,
    /// Documents on disk when the store was opened.
    pub documents_at_open: usize,
}

struct Cache {
    lru: LruCache<String, Arc<Document>>,
    bytes: usize,
}

fn cost(key: &str, document: &Document) -> usize {
    key.len() + document.body.len() + 64
}

struct Inner {
    root: PathBuf,
    config: FileStoreConfig,
    /// Held for the store's lifetime: one writer per directory.
    _lock: File,
    /// `None` marks a delete.
    dirty: Mutex<HashMap<String, Option<Arc<Document>>>>,
    cache: Mutex<Cache>,
    /// One flush at a time, so writes of one key never reorder.
    flushing: tokio::sync::Mutex<()>,
    last_flush_ok: AtomicBool,
    last_flush: Mutex<(Option<SystemTime>, Duration)>,
    flushes: AtomicU64,
    written: AtomicU64,
    quarantined: AtomicU64,
    reads: AtomicU64,
    /// The [`disk::key_hash`] of every key that may have a file: those
    /// listed at open and every key put since. A key not in it has none.
    on_disk: Mutex<HashSet<u64>>,
    stale_removed: usize,
    documents_at_open: usize,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> io::Result<T> + Send + 'static) -> io::Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(io::Error::other)?
}

/// A crash-safe document store in a directory. See the [module docs](self).
pub struct FileStore {
    inner: Arc<Inner>,
    flusher: Option<tokio::task::JoinHandle<()>>,
    stop: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

impl FileStore {
    /// Opens (creating if needed) the store in `config.dir`, made absolute
    /// against the current directory: takes the directory lock and removes
    /// temporary files a crash left behind. No document is read. Must be
    /// called inside a tokio runtime.
    pub async fn open(config: FileStoreConfig) -> Result<FileStore, StoreError> {
        // Absolute once here: a temporary file in a relative directory
        // would otherwise cost a `getcwd` for every new document.
        let root = std::path::absolute(&config.dir)?;
        let dir = root.clone();
        let (lock, listing) = blocking(move || {
            disk::create_dir(&dir)?;
            let lock = disk::lock(&dir)?;
            let listing = if lock.is_ok() { Some(disk::list(&dir)?) } else { None };
            Ok((lock, listing))
        })
        .await?;
        let lock = lock.map_err(|()| StoreError::Locked(root.clone()))?;
        let disk::Listing { removed: stale, documents, keys } = listing.unwrap_or_default();
        if stale > 0 {
            tracing::warn!(files = stale, dir = %root.display(), "removed temporary files left by a crash");
        }
        let inner = Arc::new(Inner {
            root,
            _lock: lock,
            dirty: Mutex::default(),
            cache: Mutex::new(Cache { lru: LruCache::unbounded(), bytes: 0 }),
            flushing: tokio::sync::Mutex::new(()),
            last_flush_ok: AtomicBool::new(true),
            last_flush: Mutex::default(),
            flushes: AtomicU64::new(0),
            written: AtomicU64::new(0),
            quarantined: AtomicU64::new(0),
            reads: AtomicU64::new(0),
            on_disk: Mutex::new(keys),
            stale_removed: stale,
            documents_at_open: documents,
            config,
        });
        let stop = Arc::new(tokio::sync::Notify::new());
        let flusher = tokio::spawn(flush_periodically(Arc::downgrade(&inner), stop.clone()));
        Ok(FileStore { inner, flusher: Some(flusher), stop })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.inner.root
    }

    /// The file a key is stored in (for tests and `/forget` checks).
    pub fn path_of(&self, key: &str) -> PathBuf {
        disk::path_of(&self.inner.root, key)
    }

    /// Counters and state for health checks.
    pub fn health(&self) -> StoreHealth {
        let inner = &self.inner;
        let (last_flush_at, last_flush_duration) = *lock(&inner.last_flush);
        StoreHealth {
            dirty: lock(&inner.dirty).len(),
            cached_bytes: lock(&inner.cache).bytes,
            last_flush_ok: inner.last_flush_ok.load(Ordering::Relaxed),
            last_flush_at,
            last_flush_duration,
            flushes: inner.flushes.load(Ordering::Relaxed),
            written: inner.written.load(Ordering::Relaxed),
            quarantined: inner.quarantined.load(Ordering::Relaxed),
            reads: inner.reads.load(Ordering::Relaxed),
            stale_temp_files_removed: inner.stale_removed,
            documents_at_open: inner.documents_at_open,
        }
    }

    /// Stops the background flusher (letting a flush in progress finish),
    /// flushes what is left, and releases the directory lock.
    pub async fn close(mut self) -> Result<(), StoreError> {
        self.stop.notify_one();
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.await;
        }
        flush(&self.inner).await
    }
}

impl Drop for FileStore {
    fn drop(&mut self) {
        // The flusher finishes a flush in progress, then ends.
        self.stop.notify_one();
    }
}

async fn flush_periodically(inner: Weak<Inner>, stop: Arc<tokio::sync::Notify>) {
    let every = match inner.upgrade() {
        Some(inner) => inner.config.flush_every,
        None => return,
    };
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = stop.notified() => return,
        }
        let Some(inner) = inner.upgrade() else { return };
        if let Err(err) = flush(&inner).await {
            tracing::error!(error = %err, "flushing the store failed; will retry");
        }
    }
}

/// Writes every dirty document. An entry leaves the dirty map only once it
/// is on disk and unchanged since, so a failed or cancelled flush loses
/// nothing: it is written by the next one.
async fn flush(inner: &Arc<Inner>) -> Result<(), StoreError> {
    let _one_at_a_time = inner.flushing.lock().await;
    let batch: Vec<(String, Option<Arc<Document>>)> =
        lock(&inner.dirty).iter().map(|(key, document)| (key.clone(), document.clone())).collect();
    if batch.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let root = inner.root.clone();
    let work = batch.clone();
    let result = blocking(move || {
        let mut writes = Vec::with_capacity(work.len());
        let mut removed = HashSet::new();
        for (key, document) in &work {
            let path = disk::path_of(&root, key);
            match document {
                Some(document) => writes.push((path, &**document)),
                None => {
                    disk::remove(&path)?;
                    removed.extend(path.parent().map(Path::to_path_buf));
                }
            }
        }
        disk::write_batch(&root, &writes)?;
        for dir in removed.iter().filter(|d| d.exists()) {
            disk::sync_dir(dir)?;
        }
        Ok(work.len())
    })
    .await;
    *lock(&inner.last_flush) = (Some(SystemTime::now()), started.elapsed());
    inner.flushes.fetch_add(1, Ordering::Relaxed);
    match result {
        Ok(written) => {
            let mut dirty = lock(&inner.dirty);
            for (key, document) in batch {
                let unchanged = match (dirty.get(&key), &document) {
                    (Some(Some(now)), Some(flushed)) => Arc::ptr_eq(now, flushed),
                    (Some(None), None) => true,
                    _ => false,
                };
                if unchanged {
                    dirty.remove(&key);
                }
            }
            inner.written.fetch_add(written as u64, Ordering::Relaxed);
            inner.last_flush_ok.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(err) => {
            inner.last_flush_ok.store(false, Ordering::Relaxed);
            Err(err.into())
        }
    }
}

impl Inner {
    fn remember(&self, key: &str, document: Arc<Document>) {
        let mut cache = lock(&self.cache);
        if let Some(old) = cache.lru.put(key.to_owned(), document.clone()) {
            cache.bytes -= cost(key, &old);
        }
        cache.bytes += cost(key, &document);
        while cache.bytes > self.config.cache_bytes {
            let Some((old_key, old)) = cache.lru.pop_lru() else { break };
            cache.bytes -= cost(&old_key, &old);
        }
    }

    fn forget(&self, key: &str) {
        let mut cache = lock(&self.cache);
        if let Some(old) = cache.lru.pop(key) {
            cache.bytes -= cost(key, &old);
        }
    }

    fn migrate(&self, key: &str, document: Document) -> Result<Document, StoreError> {
        let current = self.config.schema;
        match &self.config.migrate {
            Some(migrate) if document.schema < current => {
                let body = migrate(key, document.schema, document.body).map_err(|problem| StoreError::Migration {
                    key: key.to_owned(),
                    from: document.schema,
                    problem,
                })?;
                Ok(Document { schema: current, body })
            }
            _ => Ok(document),
        }
    }
}

fn check(key: &str) -> Result<(), StoreError> {
    if valid_key(key) { Ok(()) } else { Err(StoreError::InvalidKey(key.to_owned())) }
}

impl Store for FileStore {
    type Error = StoreError;

    async fn get(&self, key: &str) -> Result<Option<Document>, StoreError> {
        check(key)?;
        let inner = &self.inner;
        if let Some(pending) = lock(&inner.dirty).get(key) {
            return Ok(pending.as_ref().map(|d| (**d).clone()));
        }
        if let Some(cached) = lock(&inner.cache).lru.get(key) {
            return Ok(Some((**cached).clone()));
        }
        if !lock(&inner.on_disk).contains(&disk::key_hash(key)) {
            return Ok(None);
        }
        inner.reads.fetch_add(1, Ordering::Relaxed);
        let path = disk::path_of(&inner.root, key);
        let read = blocking(move || disk::read(&path)).await?;
        inner.quarantined.fetch_add(read.quarantined.len() as u64, Ordering::Relaxed);
        let Some(document) = read.document else { return Ok(None) };
        let document = inner.migrate(key, document)?;
        inner.remember(key, Arc::new(document.clone()));
        Ok(Some(document))
    }

    async fn put(&self, key: &str, document: Document) -> Result<(), StoreError> {
        check(key)?;
        let document = Arc::new(document);
        lock(&self.inner.on_disk).insert(disk::key_hash(key));
        lock(&self.inner.dirty).insert(key.to_owned(), Some(document.clone()));
        self.inner.remember(key, document);
        if self.inner.config.durable {
            flush(&self.inner).await?;
        }
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        check(key)?;
        lock(&self.inner.dirty).insert(key.to_owned(), None);
        self.inner.forget(key);
        if self.inner.config.durable {
            flush(&self.inner).await?;
        }
        Ok(())
    }

    async fn flush(&self) -> Result<(), StoreError> {
        flush(&self.inner).await
    }
}

#[cfg(test)]
mod tests;
