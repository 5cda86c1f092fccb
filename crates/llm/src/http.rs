//! The HTTP service under async-openai.
//!
//! async-openai's default executor retries 429 and 5xx by itself, honouring
//! any Retry-After. Installing this service with `with_http_service` removes
//! that retry, so Muse's resilience layers are the only retry, and turns an
//! error status into [`HttpStatus`] so the status and Retry-After reach
//! [`crate::LlmError`] instead of being flattened into a message.

use std::task::{Context, Poll};
use std::time::Duration;

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
}

impl StatusService {
    pub(crate) fn new(client: reqwest::Client) -> StatusService {
        StatusService { client }
    }
}

impl tower::Service<HttpRequestFactory> for StatusService {
    type Response = reqwest::Response;
    type Error = OpenAIError;
    type Future = BoxFuture<'static, Result<reqwest::Response, OpenAIError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, factory: HttpRequestFactory) -> Self::Future {
        let client = self.client.clone();
        Box::pin(async move {
            let request = factory.build().await?;
            let response = client.execute(request).await?;
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
