//! Muse's live state, which every part shares, and what of it is kept in
//! the store: one document per user (the session) and one global document
//! (the current model, bans, counters), in the file store of `DATA_DIR` or
//! in the Redis server every instance shares.
//!
//! Several instances on one Redis each hold the global state in memory and
//! merge it with the stored document every few seconds (and at once after
//! an admin change): counters add up what each instance counted, a ban or
//! model change made on one instance reaches the others within
//! [`SYNC_EVERY_SHARED`]. With one file store the same merge runs, with
//! nobody else to merge with.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use muse_domain::{Assistant, Documents, StoredSessions, UserId};
use muse_health::{Gauge, Stats};
use muse_llm::LlmClient;
use muse_resilience::Breaker;
use muse_security::{AccessPolicy, SecurityCounters, SecuritySnapshot};
use muse_storage::{Document, FileStore, RedisStore, Store};
use muse_telegram::{TelegramConfig, TelegramStatus};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tower::BoxError;

/// Where documents are kept.
#[derive(Clone, Debug)]
pub(crate) enum Backend {
    /// The file store in `DATA_DIR`: one process.
    File(Arc<FileStore>),
    /// Redis at `STORE_URL`: any number of instances.
    Redis(RedisStore),
}

impl Backend {
    pub(crate) async fn get(&self, key: &str) -> Result<Option<Document>, BoxError> {
        Ok(match self {
            Backend::File(store) => store.get(key).await?,
            Backend::Redis(store) => store.get(key).await?,
        })
    }

    pub(crate) async fn put(&self, key: &str, document: Document) -> Result<(), BoxError> {
        match self {
            Backend::File(store) => store.put(key, document).await?,
            Backend::Redis(store) => store.put(key, document).await?,
        }
        Ok(())
    }

    pub(crate) async fn delete(&self, key: &str) -> Result<(), BoxError> {
        match self {
            Backend::File(store) => store.delete(key).await?,
            Backend::Redis(store) => store.delete(key).await?,
        }
        Ok(())
    }

    pub(crate) async fn flush(&self) -> Result<(), BoxError> {
        match self {
            Backend::File(store) => store.flush().await?,
            Backend::Redis(store) => store.flush().await?,
        }
        Ok(())
    }

    /// The shared Redis, when state lives there.
    pub(crate) fn redis(&self) -> Option<&RedisStore> {
        match self {
            Backend::File(_) => None,
            Backend::Redis(store) => Some(store),
        }
    }

    /// How many users have a session now (read once, at start).
    async fn users(&self) -> usize {
        match self {
            Backend::File(store) => store.health().documents_at_open.saturating_sub(1),
            Backend::Redis(store) => store.count("user-").await.unwrap_or_else(|err| {
                tracing::warn!(error = %err, "cannot count the users in Redis");
                0
            }),
        }
    }
}

/// What the stack, the saved state, the checks, the metrics and the admin
/// commands read and change.
pub(crate) struct Shared {
    /// Where state lives.
    pub(crate) store: Backend,
    /// `DATA_DIR`, for the system and filesystem checks.
    pub(crate) data_dir: std::path::PathBuf,
    /// The assistant: sessions and the current model.
    pub(crate) assistant: Assistant,
    /// Admins, the allowlist, bans.
    pub(crate) policy: Arc<AccessPolicy>,
    /// What the security layers did.
    pub(crate) security: Arc<SecurityCounters>,
    /// Requests and model calls.
    pub(crate) stats: Arc<Stats>,
    /// The provider, for the model list; `None` offline.
    pub(crate) llm: Option<LlmClient>,
    /// One breaker per model, main first.
    pub(crate) breakers: Vec<Breaker>,
    /// Refusals of each rate limit.
    pub(crate) limited: Vec<Gauge>,
    /// The requests waiting for a model slot; `None` offline.
    pub(crate) queue: Option<Arc<muse_resilience::FairQueue<muse_domain::UserId>>>,
    /// The Bot API and what polling saw, in Telegram mode.
    pub(crate) telegram: Option<(TelegramConfig, Arc<TelegramStatus>)>,
}

/// The schema version of the documents muse-bot writes.
const SCHEMA: u32 = 1;
const GLOBAL: &str = "global";
/// How often the global state is merged with the file store.
const SYNC_EVERY: Duration = Duration::from_secs(10);
/// How often it is merged with Redis, where other instances change it.
pub(crate) const SYNC_EVERY_SHARED: Duration = Duration::from_secs(2);
/// How long one instance may hold the global document while merging.
const GLOBAL_LEASE: Duration = Duration::from_secs(5);

/// The store as the assistant sees it: bodies of documents of [`SCHEMA`].
pub(crate) struct Docs(pub(crate) Backend);

impl Documents for Docs {
    fn get(&self, key: &str) -> BoxFuture<'_, Result<Option<Vec<u8>>, BoxError>> {
        let key = key.to_owned();
        Box::pin(async move { Ok(self.0.get(&key).await?.map(|document| document.body)) })
    }

    fn put(&self, key: &str, body: Vec<u8>) -> BoxFuture<'_, Result<(), BoxError>> {
        let key = key.to_owned();
        Box::pin(async move { self.0.put(&key, Document::new(SCHEMA, body)).await })
    }

    fn delete(&self, key: &str) -> BoxFuture<'_, Result<(), BoxError>> {
        let key = key.to_owned();
        Box::pin(async move {
            self.0.delete(&key).await?;
            // "Delete everything" means from the disk, now.
            self.0.flush().await
        })
    }
}

/// Sessions in the store; every document but the global one is a user's.
pub(crate) async fn sessions(store: &Backend) -> StoredSessions<Docs> {
    StoredSessions::new(Docs(store.clone()), store.users().await)
}

/// How often the users in Redis are counted again (a `SCAN`: 72 ms for
/// 100 000 users), since other instances add users this one does not see.
const RECOUNT_EVERY: Duration = Duration::from_secs(60);

/// With Redis, recounts the users every [`RECOUNT_EVERY`] for `/stats` and
/// `muse_users`; the task ends with the sessions.
pub(crate) fn spawn_recount(store: &Backend, sessions: &Arc<StoredSessions<Docs>>) {
    let Some(redis) = store.redis().cloned() else { return };
    let sessions = Arc::downgrade(sessions);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(RECOUNT_EVERY);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(sessions) = sessions.upgrade() else { return };
            match redis.count("user-").await {
                Ok(users) => sessions.recount(users),
                Err(err) => tracing::debug!(error = %err, "cannot count the users in Redis"),
            }
        }
    });
}

/// The global document.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct Global {
    model: Option<String>,
    banned: Vec<UserId>,
    requests: u64,
    model_calls: u64,
    security: SecuritySnapshot,
}

/// The global state as of the last merge: what this instance had then,
/// others' changes included.
#[derive(Debug, Default)]
struct Synced {
    requests: u64,
    model_calls: u64,
    security: SecuritySnapshot,
    banned: BTreeSet<UserId>,
    /// `None` before the first merge.
    model: Option<String>,
}

/// Merges the global state with the store.
pub(crate) struct State {
    shared: Arc<Shared>,
    /// One merge at a time in this process.
    synced: tokio::sync::Mutex<Synced>,
}

impl State {
    pub(crate) fn new(shared: Arc<Shared>) -> State {
        State { shared, synced: tokio::sync::Mutex::default() }
    }

    /// Applies the saved model, bans and counters (the first merge).
    pub(crate) async fn restore(&self) -> anyhow::Result<()> {
        self.save().await?;
        let shared = &self.shared;
        tracing::info!(model = %shared.assistant.model_name(), banned = shared.policy.banned().len(), "restored global state");
        Ok(())
    }

    /// Merges this instance's changes since the last merge into the stored
    /// global document, and the others' into this instance: counts add up,
    /// bans and unbans on either side are kept, a model chosen here since
    /// the last merge wins over the stored one.
    pub(crate) async fn save(&self) -> anyhow::Result<()> {
        let shared = &self.shared;
        let mut synced = self.synced.lock().await;
        let lease = match shared.store.redis() {
            Some(redis) => match redis.lease(GLOBAL, GLOBAL_LEASE, GLOBAL_LEASE).await? {
                Some(token) => Some((redis, token)),
                None => anyhow::bail!("another instance held the global document for {GLOBAL_LEASE:?}"),
            },
            None => None,
        };
        let merged = self.merge(&mut synced).await;
        if let Some((redis, token)) = lease
            && let Err(err) = redis.release_lease(GLOBAL, &token).await
        {
            // It expires by itself.
            tracing::warn!(error = %err, "releasing the global lease failed");
        }
        merged
    }

    async fn merge(&self, synced: &mut Synced) -> anyhow::Result<()> {
        let shared = &self.shared;
        let stored: Global = match shared.store.get(GLOBAL).await.map_err(|err| anyhow::anyhow!(err))? {
            Some(document) => serde_json::from_slice(&document.body)?,
            None => Global::default(),
        };
        let (requests, model_calls) = shared.stats.counts();
        let security = shared.security.snapshot();
        let banned: BTreeSet<UserId> = shared.policy.banned().into_iter().collect();
        let model = shared.assistant.model_name();

        // Counts: ours since the last merge go in, the others' come back.
        let others =
            (stored.requests.saturating_sub(synced.requests), stored.model_calls.saturating_sub(synced.model_calls));
        let others_security = combine(&stored.security, &synced.security, u64::saturating_sub)?;
        let ours_security = combine(&security, &synced.security, u64::saturating_sub)?;
        // Bans: ours since the last merge applied to the stored set.
        let stored_banned: BTreeSet<UserId> = stored.banned.iter().copied().collect();
        let added = banned.difference(&synced.banned);
        let removed: BTreeSet<UserId> = synced.banned.difference(&banned).copied().collect();
        let merged_banned: BTreeSet<UserId> =
            stored_banned.iter().chain(added).copied().filter(|user| !removed.contains(user)).collect();
        // The model: ours if it changed here since the last merge.
        let changed_here = synced.model.as_ref().is_some_and(|before| *before != model);
        let merged_model =
            if changed_here { model.clone() } else { stored.model.clone().unwrap_or_else(|| model.clone()) };
        let merged = Global {
            model: Some(merged_model.clone()),
            banned: merged_banned.iter().copied().collect(),
            requests: stored.requests + (requests - synced.requests.min(requests)),
            model_calls: stored.model_calls + (model_calls - synced.model_calls.min(model_calls)),
            security: combine(&stored.security, &ours_security, u64::saturating_add)?,
        };
        if merged != stored {
            shared
                .store
                .put(GLOBAL, Document::new(SCHEMA, serde_json::to_vec(&merged)?))
                .await
                .map_err(|err| anyhow::anyhow!(err))?;
        }

        // What others did, here too.
        shared.stats.restore(others.0, others.1);
        shared.security.restore(&others_security);
        for user in merged_banned.difference(&banned) {
            let _ = shared.policy.ban(*user);
        }
        for user in banned.difference(&merged_banned) {
            shared.policy.unban(*user);
        }
        if merged_model != model {
            shared.assistant.set_model_name(&merged_model);
        }
        *synced = Synced {
            requests: requests + others.0,
            model_calls: model_calls + others.1,
            security: combine(&security, &others_security, u64::saturating_add)?,
            banned: merged_banned,
            model: Some(merged_model),
        };
        Ok(())
    }

    /// Merges every few seconds: with the file store while counts change,
    /// with Redis always (other instances change bans and the model).
    pub(crate) fn spawn_periodic_save(self: &Arc<State>) {
        let state = Arc::downgrade(self);
        let shared = self.shared.store.redis().is_some();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(if shared { SYNC_EVERY_SHARED } else { SYNC_EVERY });
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(state) = state.upgrade() else { return };
                let idle = {
                    let synced = state.synced.lock().await;
                    state.shared.stats.counts() == (synced.requests, synced.model_calls)
                };
                if (shared || !idle)
                    && let Err(err) = state.save().await
                {
                    tracing::error!(error = %err, "merging the global state failed");
                }
            }
        });
    }

    /// Saves everything and flushes the store: the last step before exit.
    pub(crate) async fn shutdown(&self) -> anyhow::Result<()> {
        self.save().await?;
        self.shared.store.flush().await.map_err(|err| anyhow::anyhow!(err))?;
        Ok(())
    }
}

/// `op` applied to each count of two snapshots, field by field (counts a
/// side lacks are 0), so a counter added to [`SecuritySnapshot`] later is
/// merged too.
fn combine(a: &SecuritySnapshot, b: &SecuritySnapshot, op: fn(u64, u64) -> u64) -> anyhow::Result<SecuritySnapshot> {
    fn go(a: &Value, b: &Value, op: fn(u64, u64) -> u64) -> Value {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                let null = Value::Null;
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), go(x.get(k).unwrap_or(&null), y.get(k).unwrap_or(&null), op)))
                        // A category nobody counted stays out of /stats.
                        .filter(|(_, v)| v.as_u64() != Some(0))
                        .collect(),
                )
            }
            (Value::Object(_), Value::Null) => go(a, &Value::Object(Default::default()), op),
            (Value::Null, Value::Object(_)) => go(&Value::Object(Default::default()), b, op),
            _ => Value::from(op(a.as_u64().unwrap_or(0), b.as_u64().unwrap_or(0))),
        }
    }
    let value = go(&serde_json::to_value(a)?, &serde_json::to_value(b)?, op);
    Ok(serde_json::from_value(value)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_counts_merge_field_by_field() {
        let mut a = SecuritySnapshot { injection_blocked: 5, sanitized: 2, ..Default::default() };
        a.outputs_blocked.insert("minors".to_owned(), 3);
        let mut b = SecuritySnapshot { injection_blocked: 1, ..Default::default() };
        b.outputs_blocked.insert("leak".to_owned(), 4);
        let sum = combine(&a, &b, u64::saturating_add).unwrap();
        assert_eq!((sum.injection_blocked, sum.sanitized), (6, 2));
        assert_eq!(sum.outputs_blocked.get("minors"), Some(&3));
        assert_eq!(sum.outputs_blocked.get("leak"), Some(&4));
        let difference = combine(&sum, &b, u64::saturating_sub).unwrap();
        assert_eq!(difference.injection_blocked, 5);
        assert_eq!(difference.outputs_blocked.get("leak"), None, "no zero categories");
    }
}
