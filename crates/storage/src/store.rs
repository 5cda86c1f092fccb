//! The `Store` trait every backend implements.

use std::future::Future;

/// A stored document: an opaque body and the schema version it was written
/// with (for migrations).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// The schema version of `body`.
    pub schema: u32,
    /// The bytes (JSON, for Muse).
    pub body: Vec<u8>,
}

impl Document {
    /// A document of schema `schema`.
    pub fn new(schema: u32, body: impl Into<Vec<u8>>) -> Document {
        Document { schema, body: body.into() }
    }
}

/// The longest key.
pub const MAX_KEY_LEN: usize = 100;

/// Whether `key` is a valid key: 1–100 characters of `A-Z a-z 0-9 _ -`.
/// Keys become file names, so nothing else is allowed.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_KEY_LEN
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A key-value store of documents. Backends differ in durability; all of
/// them pass [`crate::conformance`].
pub trait Store: Send + Sync + 'static {
    /// Why an operation failed.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The document at `key`, if any.
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Document>, Self::Error>> + Send;

    /// Stores `document` at `key`, replacing what was there.
    fn put(&self, key: &str, document: Document) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Removes `key`; removing a missing key is not an error.
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Makes every earlier `put` and `delete` durable.
    fn flush(&self) -> impl Future<Output = Result<(), Self::Error>> + Send;
}
