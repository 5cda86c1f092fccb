//! [`RedisStore`]: documents in Redis, shared by every Muse instance that
//! points at the same server, and the coordination several instances need:
//! leases ([`RedisStore::try_lease`]), once-only claims
//! ([`RedisStore::claim`]) and a shared GCRA rate limit
//! ([`RedisStore::take`]).
//!
//! Each document is one Redis string holding the same checksummed envelope
//! as a file of the [`FileStore`](crate::FileStore), so a value torn or
//! changed by hand is refused, never mistaken for a session. A write is one
//! `SET`: atomic per document. Durability is the server's: with AOF and
//! `appendfsync everysec`, at most the last second of writes is lost when
//! the Redis host fails; [`Store::flush`] has nothing to add.
//!
//! The connection reconnects by itself; while Redis is unreachable every
//! call fails fast (within [`RedisConfig::timeout`]) with
//! [`RedisStoreError::Unavailable`], and [`RedisStore::health`] says since
//! when.

mod claims;
mod scripts;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::envelope;
use crate::store::{Document, Store, valid_key};

/// Where the Redis server is and how long to wait for it.
#[derive(Clone)]
pub struct RedisConfig {
    /// `redis://[user:password@]host[:port][/db]` (the client is built
    /// without TLS, so `rediss://` fails to connect).
    pub url: String,
    /// Prepended to every key, so several bots can share one server.
    pub prefix: String,
    /// The longest one command (or one connection attempt) may take.
    pub timeout: Duration,
}

impl RedisConfig {
    /// The server at `url`, keys under `muse:`, a 2 s timeout.
    pub fn new(url: impl Into<String>) -> RedisConfig {
        RedisConfig { url: url.into(), prefix: "muse:".to_owned(), timeout: Duration::from_secs(2) }
    }
}

impl std::fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password: only where it points is shown.
        f.debug_struct("RedisConfig")
            .field("server", &redacted(&self.url))
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// `url` without its user and password, for logs and errors.
pub fn redacted(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            format!("{scheme}://{host}")
        }
        None => "(not a URL)".to_owned(),
    }
}

/// Why a Redis operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RedisStoreError {
    /// `STORE_URL` is not a Redis URL.
    #[error("not a Redis URL (redis://host:port): {0}")]
    BadUrl(String),
    /// A key with characters keys must not have.
    #[error("invalid key {0:?}: use 1-100 characters of A-Z a-z 0-9 _ -")]
    InvalidKey(String),
    /// The server could not be reached, or did not answer in time.
    #[error("Redis is unavailable: {0}")]
    Unavailable(String),
    /// A stored value is not a Muse document (torn, or changed by hand).
    #[error("the document {key} in Redis is corrupt: {problem}")]
    Corrupt {
        /// The key.
        key: String,
        /// What is wrong with it.
        problem: String,
    },
}

impl From<::redis::RedisError> for RedisStoreError {
    fn from(err: ::redis::RedisError) -> RedisStoreError {
        // The error text names the command and the server's reply, never
        // the URL's password.
        RedisStoreError::Unavailable(err.to_string())
    }
}

/// What the health check and `/readyz` read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisHealth {
    /// Where the server is (no password).
    pub server: String,
    /// Whether the last command succeeded (true before any).
    pub last_ok: bool,
    /// The last failure and when it happened.
    pub last_error: Option<(SystemTime, String)>,
    /// Commands that failed since start.
    pub errors: u64,
}

#[derive(Debug, Default)]
struct Status {
    last_ok: std::sync::atomic::AtomicBool,
    last_error: Mutex<Option<(SystemTime, String)>>,
    errors: AtomicU64,
}

/// Documents and coordination in one Redis server. Clones share the
/// connection. See the [module docs](self).
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: Arc<str>,
    server: Arc<str>,
    status: Arc<Status>,
    /// Makes this process's lease tokens unique among instances.
    instance: Arc<str>,
    tokens: Arc<AtomicU64>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore").field("server", &self.server).field("prefix", &self.prefix).finish()
    }
}

impl RedisStore {
    /// A store on the server of `config`. The connection is made on first
    /// use and remade whenever it breaks, so this succeeds while Redis is
    /// down (see [`RedisStore::ping`] to find out). Fails only on a URL
    /// that is not a Redis URL. Must be called inside a tokio runtime.
    pub fn open(config: &RedisConfig) -> Result<RedisStore, RedisStoreError> {
        let server = redacted(&config.url);
        let client = ::redis::Client::open(config.url.as_str()).map_err(|_| RedisStoreError::BadUrl(server.clone()))?;
        let manager = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.timeout))
            .set_response_timeout(Some(config.timeout))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let connection = ConnectionManager::new_lazy_with_config(client, manager)?;
        let started = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
        let status = Status { last_ok: true.into(), ..Status::default() };
        Ok(RedisStore {
            connection,
            prefix: config.prefix.clone().into(),
            server: server.into(),
            status: Arc::new(status),
            instance: format!("{}-{}", std::process::id(), started.as_nanos()).into(),
            tokens: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Where the server is (no password).
    pub fn server(&self) -> &str {
        &self.server
    }

    /// This process's name among the instances: unique per start.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// How long a `PING` takes, or why it failed.
    pub async fn ping(&self) -> Result<Duration, RedisStoreError> {
        let started = std::time::Instant::now();
        let _: String = self.run(::redis::cmd("PING")).await?;
        Ok(started.elapsed())
    }

    /// The state of the connection for health checks.
    pub fn health(&self) -> RedisHealth {
        RedisHealth {
            server: self.server.to_string(),
            last_ok: self.status.last_ok.load(Ordering::Relaxed),
            last_error: self.status.last_error.lock().unwrap_or_else(PoisonError::into_inner).clone(),
            errors: self.status.errors.load(Ordering::Relaxed),
        }
    }

    /// How many documents have keys starting with `start` (a `SCAN`: for
    /// start-up counts, not for every request).
    pub async fn count(&self, start: &str) -> Result<usize, RedisStoreError> {
        let pattern = format!("{}doc:{start}*", self.prefix);
        let mut connection = self.connection.clone();
        let result: Result<usize, ::redis::RedisError> = async {
            let mut cursor: u64 = 0;
            let mut found = 0;
            loop {
                let (next, keys): (u64, Vec<String>) = ::redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(1000)
                    .query_async(&mut connection)
                    .await?;
                found += keys.len();
                if next == 0 {
                    return Ok(found);
                }
                cursor = next;
            }
        }
        .await;
        self.observe(result)
    }

    /// Runs one command, recording the outcome for [`RedisStore::health`].
    pub(super) async fn run<T: ::redis::FromRedisValue>(&self, command: ::redis::Cmd) -> Result<T, RedisStoreError> {
        let mut connection = self.connection.clone();
        let result = command.query_async(&mut connection).await;
        self.observe(result)
    }

    /// Runs a script with its keys and arguments, recording the outcome.
    pub(super) async fn invoke<T: ::redis::FromRedisValue>(
        &self,
        invocation: ::redis::ScriptInvocation<'_>,
    ) -> Result<T, RedisStoreError> {
        let mut connection = self.connection.clone();
        let result = invocation.invoke_async(&mut connection).await;
        self.observe(result)
    }

    pub(super) fn observe<T>(&self, result: Result<T, ::redis::RedisError>) -> Result<T, RedisStoreError> {
        match result {
            Ok(value) => {
                self.status.last_ok.store(true, Ordering::Relaxed);
                Ok(value)
            }
            Err(err) => {
                self.status.last_ok.store(false, Ordering::Relaxed);
                self.status.errors.fetch_add(1, Ordering::Relaxed);
                let err = RedisStoreError::from(err);
                *self.status.last_error.lock().unwrap_or_else(PoisonError::into_inner) =
                    Some((SystemTime::now(), err.to_string()));
                Err(err)
            }
        }
    }

    fn document_key(&self, key: &str) -> Result<String, RedisStoreError> {
        if !valid_key(key) {
            return Err(RedisStoreError::InvalidKey(key.to_owned()));
        }
        Ok(format!("{}doc:{key}", self.prefix))
    }

    pub(super) fn key(&self, kind: &str, name: &str) -> String {
        format!("{}{kind}:{name}", self.prefix)
    }

    /// Takes the lease `name` for `ttl` if nobody holds it: `Some(token)`
    /// to renew or release it with, `None` while another holder has it.
    /// A holder that dies loses the lease when `ttl` runs out.
    pub async fn try_lease(&self, name: &str, ttl: Duration) -> Result<Option<String>, RedisStoreError> {
        let token = format!("{}-{}", self.instance, self.tokens.fetch_add(1, Ordering::Relaxed));
        let mut command = ::redis::cmd("SET");
        command.arg(self.key("lease", name)).arg(&token).arg("NX").arg("PX").arg(millis(ttl));
        let taken: Option<String> = self.run(command).await?;
        Ok(taken.map(|_| token))
    }

    /// Waits up to `wait` for the lease `name` (see
    /// [`RedisStore::try_lease`]), asking again every 5–100 ms.
    pub async fn lease(&self, name: &str, ttl: Duration, wait: Duration) -> Result<Option<String>, RedisStoreError> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut pause = Duration::from_millis(5);
        loop {
            if let Some(token) = self.try_lease(name, ttl).await? {
                return Ok(Some(token));
            }
            if tokio::time::Instant::now() + pause > deadline {
                return Ok(None);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    /// Extends the lease `name` held with `token` to `ttl` from now: false
    /// if it was lost (expired and perhaps taken by another).
    pub async fn renew_lease(&self, name: &str, token: &str, ttl: Duration) -> Result<bool, RedisStoreError> {
        let mut invocation = scripts::RENEW.prepare_invoke();
        invocation.key(self.key("lease", name)).arg(token).arg(millis(ttl));
        let renewed: i64 = self.invoke(invocation).await?;
        Ok(renewed == 1)
    }

    /// Gives the lease `name` back, if `token` still holds it.
    pub async fn release_lease(&self, name: &str, token: &str) -> Result<bool, RedisStoreError> {
        let mut invocation = scripts::RELEASE.prepare_invoke();
        invocation.key(self.key("lease", name)).arg(token);
        let released: i64 = self.invoke(invocation).await?;
        Ok(released == 1)
    }

    /// Takes one request from the limit `name` of `per_minute` requests a
    /// minute (burst of the same size, one back every `60 / per_minute`
    /// seconds: governor's GCRA, kept in Redis and timed by the Redis
    /// server's clock, so every instance shares one limit). `Ok(None)`
    /// when allowed, `Ok(Some(wait))` when refused.
    pub async fn take(&self, name: &str, per_minute: u32) -> Result<Option<Duration>, RedisStoreError> {
        let interval_us = 60_000_000 / u64::from(per_minute.max(1));
        let burst = u64::from(per_minute.max(1));
        let mut invocation = scripts::GCRA.prepare_invoke();
        invocation.key(self.key("rate", name)).arg(interval_us).arg(burst);
        let wait_us: i64 = self.invoke(invocation).await?;
        Ok((wait_us > 0).then(|| Duration::from_micros(wait_us.unsigned_abs())))
    }
}

pub(super) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl Store for RedisStore {
    type Error = RedisStoreError;

    async fn get(&self, key: &str) -> Result<Option<Document>, RedisStoreError> {
        let redis_key = self.document_key(key)?;
        let bytes: Option<Vec<u8>> = self.run(::redis::cmd("GET").arg(&redis_key).to_owned()).await?;
        let Some(bytes) = bytes else { return Ok(None) };
        envelope::decode(&bytes).map(Some).map_err(|problem| RedisStoreError::Corrupt { key: key.to_owned(), problem })
    }

    async fn put(&self, key: &str, document: Document) -> Result<(), RedisStoreError> {
        let redis_key = self.document_key(key)?;
        let () = self.run(::redis::cmd("SET").arg(&redis_key).arg(envelope::encode(&document)).to_owned()).await?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), RedisStoreError> {
        let redis_key = self.document_key(key)?;
        let _: i64 = self.run(::redis::cmd("DEL").arg(&redis_key).to_owned()).await?;
        Ok(())
    }

    async fn flush(&self) -> Result<(), RedisStoreError> {
        // Every write was acknowledged by the server; its AOF policy decides
        // when it reaches the disk.
        Ok(())
    }
}

#[cfg(test)]
mod tests;
