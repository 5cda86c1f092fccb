//! The HTTP service under async-openai.
//!
//! async-openai's default executor retries 429 and 5xx by itself, honouring
//! any Retry-After. Installing this service with `with_http_service` removes
//! that retry, so Muse's resilience layers are the only retry, and turns an
//! error status into [`HttpStatus`] so the status and Retry-After reach
//! [`crate::LlmError`] instead of being flattened into a message.
//!
//! It also paces calls to the provider's own budget: OpenAI-compatible
//! providers (Groq, OpenAI) announce it with every answer in
//! `x-ratelimit-remaining-requests` / `-reset-requests` and the same for
//! tokens. When an answer says nothing is left, the next call waits for the
//! reset instead of drawing a 429 ([`Pacer`]).

use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use futures::future::BoxFuture;
use reqwest::header::RETRY_AFTER;

use crate::error::{HttpStatus, shorten};

/// Error bodies are read for their message only up to this size.
const MAX_ERROR_BODY: usize = 16 * 1024;

#[derive(Clone, Debug)]
pub(crate) struct StatusService {
    client: reqwest::Client,
    pacer: Arc<Pacer>,
}

impl StatusService {
    pub(crate) fn new(client: reqwest::Client, pacer: Arc<Pacer>) -> StatusService {
        StatusService { client, pacer }
    }
}

/// The longest Muse waits for the provider's reset before a call; a later
/// reset is reported like a 429 with that Retry-After (and the retry policy
/// decides).
pub(crate) const MAX_PACING: Duration = Duration::from_secs(10);

/// What the provider announced of its budget: the time before which no
/// call should go out.
#[derive(Debug, Default)]
pub(crate) struct Pacer {
    until: Mutex<Option<Instant>>,
}

impl Pacer {
    /// Reads the `x-ratelimit-*` headers of an answer.
    pub(crate) fn observe(&self, headers: &reqwest::header::HeaderMap) {
        const BUDGETS: [(&str, &str); 2] = [
            ("x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"),
            ("x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"),
        ];
        let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        for (remaining, reset) in BUDGETS {
            let remaining = value(remaining).and_then(|v| v.trim().parse::<u64>().ok());
            let reset = value(reset).and_then(parse_reset);
            if let (Some(0), Some(reset)) = (remaining, reset) {
                let at = Instant::now() + reset;
                let mut until = self.until.lock().unwrap_or_else(PoisonError::into_inner);
                *until = Some(until.map_or(at, |u| u.max(at)));
            }
        }
    }

    /// How long the next call should wait, if at all.
    pub(crate) fn wait(&self) -> Option<Duration> {
        let until = *self.until.lock().unwrap_or_else(PoisonError::into_inner);
        until.and_then(|u| u.checked_duration_since(Instant::now())).filter(|d| !d.is_zero())
    }
}

/// A reset as providers write it: `2m59.56s`, `7.66s`, `120ms`, `1h2m`, or
/// plain seconds.
pub(crate) fn parse_reset(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(86_400.0)));
    }
    let (mut total, mut number) = (0.0f64, String::new());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let amount: f64 = number.parse().ok()?;
        number.clear();
        total += match c {
            'h' => amount * 3600.0,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                amount / 1000.0
            }
            'm' => amount * 60.0,
            's' => amount,
            _ => return None,
        };
    }
    (number.is_empty() && total.is_finite()).then(|| Duration::from_secs_f64(total.min(86_400.0)))
}

impl tower::Service<HttpRequestFactory> for StatusService {
    type Response = reqwest::Response;
    type Error = OpenAIError;
    type Future = BoxFuture<'static, Result<reqwest::Response, OpenAIError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, factory: HttpRequestFactory) -> Self::Future {
        let (client, pacer) = (self.client.clone(), self.pacer.clone());
        Box::pin(async move {
            if let Some(wait) = pacer.wait() {
                if wait > MAX_PACING {
                    let message = format!("the provider's budget is used up for {:.0} s", wait.as_secs_f64());
                    return Err(OpenAIError::Boxed(Box::new(HttpStatus {
                        status: 429,
                        retry_after: Some(wait),
                        message,
                    })));
                }
                metrics::counter!("muse_model_pacing_delays_total").increment(1);
                metrics::histogram!("muse_model_pacing_seconds").record(wait.as_secs_f64());
                tokio::time::sleep(wait).await;
            }
            let request = factory.build().await?;
            let response = client.execute(request).await?;
            pacer.observe(response.headers());
            if response.status().is_success() {
                return Ok(response);
            }
            Err(OpenAIError::Boxed(Box::new(status_error(response).await)))
        })
    }
}

async fn status_error(mut response: reqwest::Response) -> HttpStatus {
    let status = response.status();
    let retry_after = response.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(parse_retry_after);
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_ERROR_BODY {
            break;
        }
    }
    let message = serde_json_message(&body).unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    HttpStatus { status: status.as_u16(), retry_after, message: shorten(&message) }
}

/// `Retry-After` in seconds (integer or decimal). HTTP dates are not used by
/// OpenAI-compatible providers and are ignored.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(86_400.0)))
}

/// The `error.message` of an OpenAI-shaped error body.
fn serde_json_message(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Body {
        error: Inner,
    }
    #[derive(serde::Deserialize)]
    struct Inner {
        message: String,
    }
    serde_json::from_slice::<Body>(body).ok().map(|b| b.error.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resets_as_providers_write_them() {
        assert_eq!(parse_reset("7.66s"), Some(Duration::from_millis(7660)));
        assert_eq!(parse_reset("2m59.56s"), Some(Duration::from_millis(179_560)));
        assert_eq!(parse_reset("120ms"), Some(Duration::from_millis(120)));
        assert_eq!(parse_reset("1h2m"), Some(Duration::from_secs(3720)));
        assert_eq!(parse_reset("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_reset("soon"), None);
        assert_eq!(parse_reset("5x"), None);
    }

    #[test]
    fn nothing_left_means_wait_for_the_reset() {
        let pacer = Pacer::default();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-ratelimit-remaining-requests", "3".parse().unwrap());
        headers.insert("x-ratelimit-reset-requests", "3s".parse().unwrap());
        pacer.observe(&headers);
        assert_eq!(pacer.wait(), None, "requests left: no wait");
        headers.insert("x-ratelimit-remaining-tokens", "0".parse().unwrap());
        headers.insert("x-ratelimit-reset-tokens", "2.5s".parse().unwrap());
        pacer.observe(&headers);
        let wait = pacer.wait().expect("no tokens left: wait");
        assert!(wait > Duration::from_secs(2) && wait <= Duration::from_millis(2500), "{wait:?}");
    }

    #[test]
    fn retry_after_in_seconds() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn error_message_from_an_openai_body() {
        assert_eq!(
            serde_json_message(br#"{"error":{"message":"slow down","type":"x"}}"#).as_deref(),
            Some("slow down")
        );
        assert_eq!(serde_json_message(b"<html>"), None);
    }
}
