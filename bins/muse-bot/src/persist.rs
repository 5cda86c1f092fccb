//! What muse-bot keeps in the store: one document per user (the session)
//! and one global document (the current model, bans, counters).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use muse_domain::{Assistant, Session, Sessions, UserId};
use muse_security::{AccessPolicy, SecurityCounters, SecuritySnapshot};
use muse_storage::{Document, FileStore, Store};
use serde::{Deserialize, Serialize};
use tower::BoxError;

use crate::tools::Stats;

/// The schema version of the documents muse-bot writes.
const SCHEMA: u32 = 1;
const GLOBAL: &str = "global";
/// How often counters are saved (admin changes are saved at once).
const SAVE_EVERY: Duration = Duration::from_secs(10);

fn user_key(user: UserId) -> String {
    format!("user-{user}")
}

/// Sessions as documents in the file store.
pub(crate) struct FileSessions {
    store: Arc<FileStore>,
    users: AtomicUsize,
}

impl FileSessions {
    pub(crate) fn new(store: Arc<FileStore>) -> FileSessions {
        // Every document but the global one is a user's.
        let documents = store.health().documents_at_open;
        FileSessions { store, users: AtomicUsize::new(documents.saturating_sub(1)) }
    }
}

impl Sessions for FileSessions {
    fn load(&self, user: UserId) -> BoxFuture<'_, Result<Option<Session>, BoxError>> {
        Box::pin(async move {
            let Some(document) = self.store.get(&user_key(user)).await? else { return Ok(None) };
            Ok(Some(serde_json::from_slice(&document.body)?))
        })
    }

    fn save(&self, user: UserId, session: Session) -> BoxFuture<'_, Result<(), BoxError>> {
        Box::pin(async move {
            let key = user_key(user);
            if self.store.get(&key).await?.is_none() {
                self.users.fetch_add(1, Ordering::Relaxed);
            }
            self.store.put(&key, Document::new(SCHEMA, serde_json::to_vec(&session)?)).await?;
            Ok(())
        })
    }

    fn delete(&self, user: UserId) -> BoxFuture<'_, Result<(), BoxError>> {
        Box::pin(async move {
            let key = user_key(user);
            if self.store.get(&key).await?.is_some() {
                self.users.fetch_sub(1, Ordering::Relaxed);
            }
            self.store.delete(&key).await?;
            // "Delete everything" means from the disk, now.
            self.store.flush().await?;
            Ok(())
        })
    }

    fn count(&self) -> Option<usize> {
        Some(self.users.load(Ordering::Relaxed))
    }
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
pub(crate) struct Persist {
    store: Arc<FileStore>,
    assistant: Assistant,
    policy: Arc<AccessPolicy>,
    security: Arc<SecurityCounters>,
    stats: Arc<Stats>,
    /// The request and model-call counts last saved, to skip idle saves.
    last_saved: std::sync::Mutex<(u64, u64)>,
}

impl Persist {
    pub(crate) fn new(
        store: Arc<FileStore>,
        assistant: Assistant,
        policy: Arc<AccessPolicy>,
        security: Arc<SecurityCounters>,
        stats: Arc<Stats>,
    ) -> Persist {
        Persist { store, assistant, policy, security, stats, last_saved: std::sync::Mutex::new((0, 0)) }
    }

    /// Applies the saved model, bans and counters.
    pub(crate) async fn restore(&self) -> anyhow::Result<()> {
        let Some(document) = self.store.get(GLOBAL).await? else { return Ok(()) };
        let global: Global = serde_json::from_slice(&document.body)?;
        if let Some(model) = &global.model {
            self.assistant.set_model_name(model);
        }
        for user in &global.banned {
            let _ = self.policy.ban(*user);
        }
        self.security.restore(&global.security);
        self.stats.requests.fetch_add(global.requests, Ordering::Relaxed);
        self.stats.model_calls.fetch_add(global.model_calls, Ordering::Relaxed);
        tracing::info!(model = ?global.model, banned = global.banned.len(), "restored global state");
        Ok(())
    }

    fn snapshot(&self) -> Global {
        Global {
            model: Some(self.assistant.model_name()),
            banned: self.policy.banned(),
            requests: self.stats.requests.load(Ordering::Relaxed),
            model_calls: self.stats.model_calls.load(Ordering::Relaxed),
            security: self.security.snapshot(),
        }
    }

    /// Writes the global document (behind, or durably in durable mode).
    pub(crate) async fn save(&self) -> anyhow::Result<()> {
        let global = self.snapshot();
        let counts = (global.requests, global.model_calls);
        self.store.put(GLOBAL, Document::new(SCHEMA, serde_json::to_vec(&global)?)).await?;
        *self.last_saved.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = counts;
        Ok(())
    }

    /// Saves the counters every few seconds while they change.
    pub(crate) fn spawn_periodic_save(self: &Arc<Persist>) {
        let persist = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SAVE_EVERY);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(persist) = persist.upgrade() else { return };
                let now =
                    (persist.stats.requests.load(Ordering::Relaxed), persist.stats.model_calls.load(Ordering::Relaxed));
                let saved = *persist.last_saved.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if now != saved
                    && let Err(err) = persist.save().await
                {
                    tracing::error!(error = %err, "saving the global state failed");
                }
            }
        });
    }

    /// Saves everything and flushes the store: the last step before exit.
    pub(crate) async fn shutdown(&self) -> anyhow::Result<()> {
        self.save().await?;
        self.store.flush().await?;
        Ok(())
    }
}
