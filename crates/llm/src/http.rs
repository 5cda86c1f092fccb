//! The HTTP service under async-openai.
//!
//! async-openai's default executor retries 429 and 5xx by itself, honouring
//! any Retry-After. Installing this service with `with_http_service` removes
//! that retry, so Muse's resilience layers are the only retry, and turns an
//! error status into [`HttpStatus`] so the status and Retry-After reach
//! [`crate::LlmError`] instead of being flattened into a message.
//!
//! It also reads the provider's own budget: OpenAI-compatible providers
//! (Groq, OpenAI) announce it with every answer in
//! `x-ratelimit-limit-requests` / `-remaining-requests` / `-reset-requests`
//! and the same for tokens. Each answer updates the [`Pacer`], which
//! [`crate::pacing::PacingLayer`] waits on before a call goes out, so calls
//! keep within the budget instead of drawing 429s.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;

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

/// The longest a call waits for the provider's budget; a later reset is
/// refused at once ([`crate::ProviderBusy`]).
pub(crate) const MAX_PACING: Duration = Duration::from_secs(10);

/// A reset announced this long after the request went out is taken to be
/// this much later: the provider counted the request a little after Muse
/// sent it.
const RESET_MARGIN: Duration = Duration::from_millis(250);

/// The provider's budget as Muse keeps it between answers.
///
/// Requests: a local mirror of what the provider announced. Each answer's
/// `x-ratelimit-remaining-requests` / `-reset-requests` / `-limit-requests`
/// set how many calls may still go out before the reset; each call takes
/// one before it is sent, so a burst of concurrent calls never goes past
/// what is left. At the reset the budget is full again (the announced
/// limit). Before anything is known (at start, or after a reset with no
/// limit announced) one call goes out alone and its answer tells the rest;
/// a provider whose first answer announces no budget is not paced.
/// Resets count from when the request was sent, not from when its answer
/// arrived (a 1 s completion would otherwise make every reset late).
///
/// Tokens: a call's tokens are not known before it is sent, so an answer
/// saying no tokens are left holds every call until the token reset.
#[derive(Debug, Default)]
pub struct Pacer {
    state: Mutex<Budget>,
    news: tokio::sync::Notify,
    waiting: AtomicUsize,
}

#[derive(Debug, Default)]
struct Budget {
    /// Calls that may still go out before `reset_at`; `None`: not known.
    remaining: Option<u64>,
    /// When the provider's request budget is full again.
    reset_at: Option<Instant>,
    /// The announced request limit: the budget after a reset.
    limit: Option<u64>,
    /// No call before this: the token budget is used up.
    tokens_until: Option<Instant>,
    /// Calls sent whose answer has not come.
    in_flight: u32,
    /// Whether the provider announces a request budget (`None`: no answer yet).
    announced: Option<bool>,
    /// The longest request reset announced: about the provider's window.
    span: Duration,
    /// When the budget last refilled: answers to calls sent before speak of
    /// the window before, and are not read for it.
    refilled_at: Option<Instant>,
}

/// What a call must do before it goes out.
enum Turn {
    Go,
    Wait(Duration),
    /// Nothing is left and the reset is not known: wait for an answer.
    Listen,
}

impl Budget {
    fn turn(&mut self, now: Instant) -> Turn {
        if let Some(wait) =
            self.tokens_until.and_then(|until| until.checked_duration_since(now)).filter(|w| !w.is_zero())
        {
            return Turn::Wait(wait);
        }
        if self.announced == Some(false) {
            self.in_flight += 1;
            return Turn::Go; // the provider announces no request budget: nothing to pace
        }
        if self.reset_at.is_some_and(|reset| now >= reset) {
            (self.remaining, self.reset_at, self.refilled_at) = (self.limit, None, Some(now));
        }
        match (self.remaining, self.reset_at) {
            (Some(left), _) if left > 0 => self.remaining = Some(left - 1),
            (_, Some(reset)) => return Turn::Wait(reset - now),
            // Unknown, or used up with no reset in sight: one call at a time finds out.
            _ if self.in_flight > 0 => return Turn::Listen,
            _ => {}
        }
        self.in_flight += 1;
        Turn::Go
    }
}

/// A call on its way: its answer (or its failure) ends it.
pub struct Permit {
    pacer: Arc<Pacer>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut budget = self.pacer.lock();
        budget.in_flight = budget.in_flight.saturating_sub(1);
        drop(budget);
        self.pacer.news.notify_waiters();
    }
}

impl Pacer {
    fn lock(&self) -> std::sync::MutexGuard<'_, Budget> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until a call may go out under the provider's budget, and takes
    /// it. `Err(wait)` when that would be longer than [`MAX_PACING`].
    pub async fn send(self: &Arc<Pacer>) -> Result<Permit, Duration> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let result = self.turn_when_due().await;
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        result
    }

    /// How long a call arriving now would wait, while calls are waiting.
    pub fn estimate(&self) -> Option<Duration> {
        let waiting = self.waiting.load(Ordering::Relaxed) as u64;
        if waiting == 0 {
            return None;
        }
        let budget = self.lock();
        let now = Instant::now();
        let to_reset = budget.reset_at.map_or(Duration::ZERO, |reset| reset.saturating_duration_since(now));
        let rounds = waiting / budget.limit.unwrap_or(1).max(1);
        Some(to_reset + budget.span * u32::try_from(rounds).unwrap_or(u32::MAX))
    }

    async fn turn_when_due(self: &Arc<Pacer>) -> Result<Permit, Duration> {
        loop {
            let news = self.news.notified();
            let turn = self.lock().turn(Instant::now());
            match turn {
                Turn::Go => return Ok(Permit { pacer: self.clone() }),
                Turn::Wait(wait) if wait > MAX_PACING => return Err(wait),
                Turn::Wait(wait) => {
                    metrics::counter!("muse_model_pacing_delays_total").increment(1);
                    metrics::histogram!("muse_model_pacing_seconds").record(wait.as_secs_f64());
                    tokio::time::sleep(wait).await;
                }
                // An answer (or a failure) of the call in flight tells more.
                Turn::Listen => {
                    let _ = tokio::time::timeout(MAX_PACING, news).await;
                }
            }
        }
    }

    /// Reads the `x-ratelimit-*` headers of the answer to a request sent `at`.
    pub(crate) fn observe(&self, at: Instant, headers: &reqwest::header::HeaderMap) {
        let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let number = |name: &str| value(name).and_then(|v| v.trim().parse::<u64>().ok());
        let span = value("x-ratelimit-reset-requests").and_then(parse_reset);
        let reset = |name: &str| value(name).and_then(parse_reset).map(|reset| at + reset + RESET_MARGIN);
        let mut budget = self.lock();
        if let Some(span) = span {
            budget.span = budget.span.max(span);
        }
        if let Some(limit) = number("x-ratelimit-limit-requests") {
            budget.limit = Some(limit);
        }
        let requests = (number("x-ratelimit-remaining-requests"), reset("x-ratelimit-reset-requests"));
        if budget.announced != Some(true) {
            budget.announced = Some(requests.0.is_some());
        }
        if let (Some(left), Some(reset_at)) = requests {
            let stale = budget.refilled_at.is_some_and(|refilled| at < refilled)
                || budget.reset_at.is_some_and(|known| reset_at + RESET_MARGIN < known);
            if !stale {
                // Calls sent after this one are already taken from the local count.
                budget.remaining = Some(budget.remaining.map_or(left, |mine| mine.min(left)));
                budget.reset_at = Some(reset_at);
            }
        }
        if let (Some(0), Some(reset_at)) = (number("x-ratelimit-remaining-tokens"), reset("x-ratelimit-reset-tokens")) {
            budget.tokens_until = Some(budget.tokens_until.map_or(reset_at, |until| until.max(reset_at)));
        }
        drop(budget);
        self.news.notify_waiters();
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
            let request = factory.build().await?;
            let at = Instant::now();
            let response = client.execute(request).await?;
            pacer.observe(at, response.headers());
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

    fn headers(pairs: &[(&'static str, &str)]) -> reqwest::header::HeaderMap {
        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, value.parse().unwrap());
        }
        headers
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_takes_only_what_is_left_and_waits_for_the_reset() {
        let pacer = Arc::new(Pacer::default());
        // Nothing known: one call goes alone; the next listens for its answer.
        let first = pacer.send().await.unwrap();
        assert!(matches!(pacer.lock().turn(Instant::now()), Turn::Listen));
        let announced = [
            ("x-ratelimit-limit-requests", "3"),
            ("x-ratelimit-remaining-requests", "2"),
            ("x-ratelimit-reset-requests", "1s"),
        ];
        pacer.observe(Instant::now(), &headers(&announced));
        drop(first);
        // Two left: two go at once, the third waits for the reset.
        let started = Instant::now();
        let (a, b) = (pacer.send().await.unwrap(), pacer.send().await.unwrap());
        assert_eq!(started.elapsed(), Duration::ZERO);
        let c = pacer.send().await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(900), "{:?}", started.elapsed());
        // The reset refilled the announced limit: this was one of three.
        assert_eq!(pacer.lock().remaining, Some(2));
        // A late answer to a call sent before the refill speaks of the old
        // window: it neither empties nor refills the new one.
        pacer.observe(
            started,
            &headers(&[("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "0s")]),
        );
        assert_eq!(pacer.lock().remaining, Some(2));
        drop((a, b, c));
    }

    #[tokio::test(start_paused = true)]
    async fn no_tokens_left_means_wait_for_their_reset_and_long_waits_are_refused() {
        let pacer = Arc::new(Pacer::default());
        let sent = pacer.send().await.unwrap();
        let answer = [
            ("x-ratelimit-remaining-requests", "30"),
            ("x-ratelimit-reset-requests", "3s"),
            ("x-ratelimit-remaining-tokens", "0"),
            ("x-ratelimit-reset-tokens", "2.5s"),
        ];
        pacer.observe(Instant::now(), &headers(&answer));
        drop(sent);
        let started = Instant::now();
        drop(pacer.send().await.unwrap());
        assert!(started.elapsed() >= Duration::from_millis(2500), "{:?}", started.elapsed());
        // A provider that announces nothing is not paced: calls go out together.
        let quiet = Arc::new(Pacer::default());
        let first = quiet.send().await.unwrap();
        quiet.observe(Instant::now(), &headers(&[]));
        let (a, b) = (quiet.send().await.unwrap(), quiet.send().await.unwrap());
        drop((first, a, b));
        let sent = pacer.send().await.unwrap();
        pacer.observe(
            Instant::now(),
            &headers(&[("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "1m")]),
        );
        drop(sent);
        let wait = pacer.send().await.err().expect("a minute is past the longest pacing");
        assert!(wait > MAX_PACING);
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
