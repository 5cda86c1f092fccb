//! Muse's live state, which every part shares, and what of it is kept in
//! the store: one document per user (the session) and one global document
//! (the current model, bans, counters).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::future::BoxFuture;
use muse_domain::{Assistant, Documents, StoredSessions, UserId};
use muse_health::{Gauge, Stats};
use muse_llm::LlmClient;
use muse_resilience::Breaker;
use muse_security::{AccessPolicy, SecurityCounters, SecuritySnapshot};
use muse_storage::{Document, FileStore, Store};
use muse_telegram::{TelegramConfig, TelegramStatus};
use serde::{Deserialize, Serialize};
use tower::BoxError;

/// What the stack, the saved state, the checks, the metrics and the admin
/// commands read and change.
pub(crate) struct Shared {
    /// Where state lives.
    pub(crate) store: Arc<FileStore>,
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
/// How often counters are saved (admin changes are saved at once).
const SAVE_EVERY: Duration = Duration::from_secs(10);

/// The store as the assistant sees it: bodies of documents of [`SCHEMA`].
pub(crate) struct Docs(pub(crate) Arc<FileStore>);

impl Documents for Docs {
    fn get(&self, key: &str) -> BoxFuture<'_, Result<Option<Vec<u8>>, BoxError>> {
        let key = key.to_owned();
        Box::pin(async move { Ok(self.0.get(&key).await?.map(|document| document.body)) })
    }

    fn put(&self, key: &str, body: Vec<u8>) -> BoxFuture<'_, Result<(), BoxError>> {
        let key = key.to_owned();
        Box::pin(async move { Ok(self.0.put(&key, Document::new(SCHEMA, body)).await?) })
    }

    fn delete(&self, key: &str) -> BoxFuture<'_, Result<(), BoxError>> {
        let key = key.to_owned();
        Box::pin(async move {
            self.0.delete(&key).await?;
            // "Delete everything" means from the disk, now.
            Ok(self.0.flush().await?)
        })
    }
}

/// Sessions in the store; every document but the global one is a user's.
pub(crate) fn sessions(store: &Arc<FileStore>) -> StoredSessions<Docs> {
    StoredSessions::new(Docs(store.clone()), store.health().documents_at_open.saturating_sub(1))
}

/// The global document.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct Global {
    model: Option<String>,
    banned: Vec<UserId>,
    requests: u64,
    model_calls: u64,
    security: SecuritySnapshot,
}

/// Saves and restores the global state.
pub(crate) struct State {
    shared: Arc<Shared>,
    /// The request and model-call counts last saved, to skip idle saves.
    last_saved: Mutex<(u64, u64)>,
}

impl State {
    pub(crate) fn new(shared: Arc<Shared>) -> State {
        State { shared, last_saved: Mutex::new((0, 0)) }
    }

    /// Applies the saved model, bans and counters.
    pub(crate) async fn restore(&self) -> anyhow::Result<()> {
        let Some(document) = self.shared.store.get(GLOBAL).await? else { return Ok(()) };
        let global: Global = serde_json::from_slice(&document.body)?;
        let shared = &self.shared;
        if let Some(model) = &global.model {
            shared.assistant.set_model_name(model);
        }
        for user in &global.banned {
            let _ = shared.policy.ban(*user);
        }
        shared.security.restore(&global.security);
        shared.stats.restore(global.requests, global.model_calls);
        tracing::info!(model = ?global.model, banned = global.banned.len(), "restored global state");
        Ok(())
    }

    /// Writes the global document (behind, or durably in durable mode).
    pub(crate) async fn save(&self) -> anyhow::Result<()> {
        let shared = &self.shared;
        let (requests, model_calls) = shared.stats.counts();
        let global = Global {
            model: Some(shared.assistant.model_name()),
            banned: shared.policy.banned(),
            requests,
            model_calls,
            security: shared.security.snapshot(),
        };
        shared.store.put(GLOBAL, Document::new(SCHEMA, serde_json::to_vec(&global)?)).await?;
        *self.last_saved.lock().unwrap_or_else(PoisonError::into_inner) = (requests, model_calls);
        Ok(())
    }

    /// Saves the counters every few seconds while they change.
    pub(crate) fn spawn_periodic_save(self: &Arc<State>) {
        let state = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SAVE_EVERY);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(state) = state.upgrade() else { return };
                let saved = *state.last_saved.lock().unwrap_or_else(PoisonError::into_inner);
                if state.shared.stats.counts() != saved
                    && let Err(err) = state.save().await
                {
                    tracing::error!(error = %err, "saving the global state failed");
                }
            }
        });
    }

    /// Saves everything and flushes the store: the last step before exit.
    pub(crate) async fn shutdown(&self) -> anyhow::Result<()> {
        self.save().await?;
        self.shared.store.flush().await?;
        Ok(())
    }
}
