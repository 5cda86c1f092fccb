//! An in-memory store: for tests, and for running without a data directory.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Mutex, PoisonError};

use crate::store::{Document, Store};

/// Documents in a map. Nothing survives the process.
#[derive(Debug, Default)]
pub struct MemoryStore {
    documents: Mutex<HashMap<String, Document>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }
}

impl Store for MemoryStore {
    type Error = Infallible;

    async fn get(&self, key: &str) -> Result<Option<Document>, Infallible> {
        Ok(self.documents.lock().unwrap_or_else(PoisonError::into_inner).get(key).cloned())
    }

    async fn put(&self, key: &str, document: Document) -> Result<(), Infallible> {
        self.documents.lock().unwrap_or_else(PoisonError::into_inner).insert(key.to_owned(), document);
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), Infallible> {
        self.documents.lock().unwrap_or_else(PoisonError::into_inner).remove(key);
        Ok(())
    }

    async fn flush(&self) -> Result<(), Infallible> {
        Ok(())
    }
}
