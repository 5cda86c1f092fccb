//! Webhook mode: Telegram POSTs each update to Muse. Several instances can
//! sit behind one load balancer; with a [`Cluster`], each update is claimed
//! and journalled before Telegram is told it arrived (the 200), so a
//! retry that lands on another instance is not answered twice, and an
//! instance that dies holding updates leaves them for another.
//!
//! The route is Muse's own rather than teloxide's `webhooks-axum` router,
//! which answers 200 before anything durable has happened, queues without
//! bound, compares the secret in variable time, and deletes the webhook
//! (for every instance) when one stops.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use secrecy::{ExposeSecret, SecretString};
use teloxide::types::{AllowedUpdate, Update, UpdateKind};
use tokio::sync::mpsc;

use crate::adapter::Cluster;

/// Where Telegram sends updates, and how it proves it is Telegram.
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    /// The public HTTPS URL registered with `setWebhook`; its path is the
    /// route served.
    pub url: url::Url,
    /// Sent by Telegram in `X-Telegram-Bot-Api-Secret-Token` with every
    /// update; requests without it get 401. Never logged.
    pub secret: SecretString,
    /// The address the HTTP server listens on (the ops routes share it).
    pub addr: SocketAddr,
}

/// Telegram's rule for a secret token: 1–256 of `A-Z a-z 0-9 _ -`.
pub fn valid_secret(secret: &str) -> bool {
    (1..=256).contains(&secret.len()) && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The update kinds Muse answers, for `setWebhook`.
pub(crate) const ALLOWED: [AllowedUpdate; 2] = [AllowedUpdate::Message, AllowedUpdate::CallbackQuery];

/// What the webhook route needs.
#[derive(Clone)]
pub(crate) struct Inbox {
    pub(crate) secret: Arc<SecretString>,
    pub(crate) cluster: Option<Arc<dyn Cluster>>,
    pub(crate) updates: mpsc::Sender<Update>,
}

/// The webhook route at `path`.
pub(crate) fn router(path: &str, inbox: Inbox) -> axum::Router {
    axum::Router::new().route(path, post(receive)).with_state(inbox)
}

/// Equal bytes, in time that depends only on the lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

async fn receive(State(inbox): State<Inbox>, headers: HeaderMap, body: String) -> StatusCode {
    let token = headers.get("x-telegram-bot-api-secret-token").map(|value| value.as_bytes()).unwrap_or_default();
    if !same(token, inbox.secret.expose_secret().as_bytes()) {
        metrics::counter!("muse_webhook_rejected_total").increment(1);
        return StatusCode::UNAUTHORIZED;
    }
    // From the text, not a Value: from_value yields UpdateKind::Error.
    let update = match serde_json::from_str::<Update>(&body) {
        Ok(update) if !matches!(update.kind, UpdateKind::Error(_)) => update,
        // Telegram would send it again and again: accepted, and dropped.
        _ => {
            tracing::warn!(bytes = body.len(), "a webhook update does not parse; dropped");
            return StatusCode::OK;
        }
    };
    if let Some(cluster) = &inbox.cluster
        && !cluster.begin(update.id.0, body.into_bytes()).await
    {
        // A retry of an update another instance has, or answered.
        tracing::debug!(update = update.id.0, "another instance has this update");
        return StatusCode::OK;
    }
    // A full queue holds Telegram's request: it sends more slowly.
    match inbox.updates.send(update).await {
        Ok(()) => StatusCode::OK,
        // Stopping: Telegram sends it again, to an instance that runs.
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_follow_telegrams_rule_and_compare_whole() {
        assert!(valid_secret("abc_DEF-123"));
        assert!(!valid_secret(""));
        assert!(!valid_secret("has space"));
        assert!(!valid_secret(&"a".repeat(257)));
        assert!(same(b"secret", b"secret"));
        assert!(!same(b"secret", b"secreT"));
        assert!(!same(b"secret", b"secret-longer"));
        assert!(!same(b"", b"secret"));
    }
}
