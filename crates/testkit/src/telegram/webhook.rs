//! Webhook delivery as Telegram does it: each update POSTed as JSON to the
//! URL given to `setWebhook`, with the secret in
//! `X-Telegram-Bot-Api-Secret-Token`, on a connection of its own, and sent
//! again (after a pause) until the bot answers 2xx.

use std::sync::{Arc, Weak};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::Shared;

/// Counts of webhook deliveries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deliveries {
    /// Updates the bot took (2xx).
    pub delivered: u64,
    /// Attempts that failed: a status that is not 2xx, or no answer.
    pub failed: u64,
    /// The statuses of failed attempts that got one.
    pub statuses: Vec<u16>,
}

/// How long Telegram waits before sending a refused update again.
const RETRY_AFTER: Duration = Duration::from_millis(250);
/// How long one attempt may take.
const ATTEMPT: Duration = Duration::from_secs(30);
/// How long an update is offered before Telegram gives up on it.
const GIVE_UP: Duration = Duration::from_secs(300);

/// Posts what lands in the outbox, until the fake is dropped.
pub(super) async fn deliver(shared: Weak<Shared>) {
    loop {
        let Some(strong) = shared.upgrade() else { return };
        let notified = strong.new_outbox.notified();
        let batch: Vec<(Value, String, String)> = {
            let mut state = strong.lock();
            match state.webhook.clone() {
                Some((url, secret)) => {
                    state.outbox.drain(..).map(|update| (update, url.clone(), secret.clone())).collect()
                }
                None => Vec::new(),
            }
        };
        for (update, url, secret) in batch {
            tokio::spawn(offer(strong.clone(), update, url, secret));
        }
        // Wake now and then to notice the fake was dropped.
        let _ = tokio::time::timeout(Duration::from_secs(1), notified).await;
    }
}

/// Offers one update until the bot takes it.
async fn offer(shared: Arc<Shared>, update: Value, url: String, secret: String) {
    let body = update.to_string();
    let started = tokio::time::Instant::now();
    loop {
        let status = tokio::time::timeout(ATTEMPT, post(&url, &secret, &body)).await.ok().flatten();
        {
            let mut state = shared.lock();
            match status {
                Some(code) if (200..300).contains(&code) => {
                    state.deliveries.delivered += 1;
                    return;
                }
                Some(code) => {
                    state.deliveries.failed += 1;
                    state.deliveries.statuses.push(code);
                }
                None => state.deliveries.failed += 1,
            }
        }
        if started.elapsed() > GIVE_UP {
            return;
        }
        tokio::time::sleep(RETRY_AFTER).await;
    }
}

/// One HTTP/1.1 POST on a new connection; the response's status, if any.
async fn post(url: &str, secret: &str, body: &str) -> Option<u16> {
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_once('/').map_or((rest, "/".to_owned()), |(host, path)| (host, format!("/{path}")));
    let mut stream = TcpStream::connect(host).await.ok()?;
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if !secret.is_empty() {
        request.push_str(&format!("X-Telegram-Bot-Api-Secret-Token: {secret}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.ok()?;
    let line = String::from_utf8_lossy(&response);
    line.split_whitespace().nth(1)?.parse().ok()
}
