//! Crash-safe document storage for bots: a [`Store`] trait, an in-memory
//! backend, [`FileStore`], whose saves cost the same with ten documents
//! or a hundred thousand, and [`RedisStore`], shared by several processes. It knows nothing of Muse: documents are bytes with
//! a schema version.
//!
//! # Layout
//!
//! - [`store`] holds the [`Store`] trait and [`Document`].
//! - [`memory`] holds [`MemoryStore`].
//! - [`file`] holds [`FileStore`]: atomic per-document files in sharded
//!   directories, write-behind with coalescing or durable writes, a byte-bounded
//!   cache, a directory lock, checksums, quarantine of corrupt files.
//! - [`redis`] holds [`RedisStore`]: documents in Redis, shared by several
//!   instances, with leases, once-only claims and a shared rate limit.
//! - [`conformance`] holds the checks every backend passes.
//!
//! # Example
//!
//! ```
//! use muse_storage::{Document, FileStore, FileStoreConfig, Store};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let store = FileStore::open(FileStoreConfig::new(dir.path())).await?;
//! store.put("user-42", Document::new(1, br#"{"persona":"sweet"}"#.to_vec())).await?;
//! store.flush().await?;
//! assert!(store.get("user-42").await?.is_some());
//! store.close().await?;
//! # Ok(()) }
//! ```

pub mod conformance;
mod envelope;
pub mod file;
pub mod memory;
pub mod redis;
pub mod store;

pub use file::{FileStore, FileStoreConfig, Migration, StoreError, StoreHealth};
pub use memory::MemoryStore;
pub use redis::{RedisConfig, RedisHealth, RedisStore, RedisStoreError};
pub use store::{Document, Store, valid_key};
