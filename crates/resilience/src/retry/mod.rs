//! A retry policy for `tower::retry`: capped exponential backoff with full
//! jitter, a maximum number of attempts, a shared retry budget, and
//! Retry-After honoured as the minimum delay.
//!
//! Full jitter (a delay drawn uniformly from zero to the capped exponential)
//! spreads retries of many clients apart; each request draws its own delays,
//! unlike tower's `ExponentialBackoff`, whose clones replay one sequence.
//! The budget ([`TpsBudget`]) is shared by every request of a stack, so
//! retries add at most a set share of load however many requests fail.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tower::BoxError;
use tower::retry::Policy;
use tower::retry::budget::{Budget, TpsBudget};

/// Whether an error may be retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Never: the error is permanent, or retrying would not help (a breaker
    /// rejection, a bad request).
    Never,
    /// Yes, and not before `after` if the server said so (Retry-After).
    Retry {
        /// The server's minimum delay.
        after: Option<Duration>,
    },
}

/// The policy's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryConfig {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The exponential's base: attempt n waits up to `base * 2^(n-1)`.
    pub base_delay: Duration,
    /// The cap on the exponential.
    pub max_delay: Duration,
    /// A Retry-After longer than this is not waited for: the error is
    /// returned at once so a fallback can answer instead.
    pub max_retry_after: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
            max_retry_after: Duration::from_secs(10),
        }
    }
}

type Classifier = Arc<dyn Fn(&BoxError) -> RetryDecision + Send + Sync>;

/// The policy. Clone one per stack; tower clones it again for each request,
/// so attempts are counted per request while the budget is shared.
#[derive(Clone)]
pub struct RetryPolicy {
    config: Arc<RetryConfig>,
    budget: Arc<TpsBudget>,
    classify: Classifier,
    attempts: u32,
}

impl std::fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetryPolicy").field("config", &self.config).field("attempts", &self.attempts).finish()
    }
}

impl RetryPolicy {
    /// A policy with `config`, drawing on `budget`, retrying what `classify` allows.
    pub fn new(
        config: RetryConfig,
        budget: Arc<TpsBudget>,
        classify: impl Fn(&BoxError) -> RetryDecision + Send + Sync + 'static,
    ) -> RetryPolicy {
        RetryPolicy { config: Arc::new(config), budget, classify: Arc::new(classify), attempts: 0 }
    }

    /// A budget allowing retries of `percent` (0–1) of recent requests, plus
    /// `min_per_sec` retries a second, over a 10-second window.
    pub fn budget(percent: f32, min_per_sec: u32) -> Arc<TpsBudget> {
        Arc::new(TpsBudget::new(Duration::from_secs(10), min_per_sec, percent))
    }

    /// The delay before retry number `retry` (1 for the first retry): a
    /// uniform draw from zero to the capped exponential, raised to
    /// Retry-After.
    pub fn delay(&self, retry: u32, after: Option<Duration>, rng: &mut impl Rng) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        let ceiling = self.config.base_delay.saturating_mul(1 << exponent).min(self.config.max_delay);
        let jittered = Duration::from_nanos(rng.random_range(0..=ceiling.as_nanos().min(u64::MAX as u128) as u64));
        jittered.max(after.unwrap_or_default())
    }
}

impl<Req: Clone, Res> Policy<Req, Res, BoxError> for RetryPolicy {
    type Future = tokio::time::Sleep;

    fn retry(&mut self, _request: &mut Req, result: &mut Result<Res, BoxError>) -> Option<Self::Future> {
        self.attempts += 1;
        if self.attempts == 1 {
            // Every original request earns the budget its share of retries.
            self.budget.deposit();
        }
        let err = result.as_ref().err()?;
        let RetryDecision::Retry { after } = (self.classify)(err) else {
            return None;
        };
        if self.attempts >= self.config.max_attempts {
            return None;
        }
        if after.is_some_and(|after| after > self.config.max_retry_after) {
            tracing::debug!(?after, "Retry-After is longer than the cap; not retrying");
            return None;
        }
        if !self.budget.withdraw() {
            tracing::warn!("retry budget exhausted; not retrying");
            return None;
        }
        let delay = self.delay(self.attempts, after, &mut rand::rng());
        tracing::debug!(attempt = self.attempts + 1, ?delay, error = %err, "retrying");
        Some(tokio::time::sleep(delay))
    }

    fn clone_request(&mut self, request: &Req) -> Option<Req> {
        Some(request.clone())
    }
}

#[cfg(test)]
mod tests;
