//! The provider stack: the client made dependable. The main model, then
//! each fallback model in turn, each with its own retry, circuit breaker
//! and per-attempt timeout, over one bulkhead shared by every model.
//!
//! ```text
//! fallback chain: main model, then each of LLM_FALLBACK_MODELS
//!   -> retry (full jitter, shared budget, Retry-After) -> circuit breaker -> attempt timeout
//!   -> bulkhead (concurrency limit, load shedding) -> LlmClient (one HTTP request)
//! ```

use std::time::{Duration, Instant};

use muse_domain::settings::{SettingError, Settings, Table};
use muse_domain::{ModelReply, ModelRequest, ModelService};
use muse_resilience::{Breaker, BreakerConfig, BreakerLayer, FallbackLayer, RetryConfig, RetryPolicy};
use tower::retry::RetryLayer;
use tower::timeout::TimeoutLayer;
use tower::{BoxError, Layer, ServiceBuilder, ServiceExt};

use crate::client::LlmClient;
use crate::policy;

/// The settings the provider stack reads, with their defaults.
pub const SETTINGS: Table = &[
    ("LLM_FALLBACK_MODELS", ""),
    ("LLM_TIMEOUT_SECS", "15"),
    ("LLM_MAX_ATTEMPTS", "3"),
    ("LLM_RETRY_AFTER_MAX_SECS", "10"),
    ("LLM_MAX_CONCURRENCY", "64"),
    ("BREAKER_WINDOW", "20"),
    ("BREAKER_MIN_CALLS", "5"),
    ("BREAKER_FAILURE_RATE", "0.5"),
    ("BREAKER_SLOW_CALL_SECS", "10"),
    ("BREAKER_SLOW_CALL_RATE", "1.0"),
    ("BREAKER_OPEN_SECS", "30"),
    ("BREAKER_PROBES", "1"),
];

/// How the provider stack behaves.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderConfig {
    /// Models tried in order when the main one fails.
    pub fallback_models: Vec<String>,
    /// Timeout of one model call attempt.
    pub attempt_timeout: Duration,
    /// Model calls in flight at once; more are shed.
    pub max_concurrency: usize,
    /// The retry policy of each model.
    pub retry: RetryConfig,
    /// The breaker of each model (its name is set per model).
    pub breaker: BreakerConfig,
}

impl ProviderConfig {
    /// The configuration from `settings` (see [`SETTINGS`]).
    pub fn from_settings(s: &Settings) -> Result<ProviderConfig, SettingError> {
        Ok(ProviderConfig {
            fallback_models: s.list("LLM_FALLBACK_MODELS"),
            attempt_timeout: s.seconds("LLM_TIMEOUT_SECS")?,
            max_concurrency: s.number("LLM_MAX_CONCURRENCY", 1..=10_000)?,
            retry: RetryConfig {
                max_attempts: s.number("LLM_MAX_ATTEMPTS", 1..=10)?,
                max_retry_after: s.seconds("LLM_RETRY_AFTER_MAX_SECS")?,
                ..RetryConfig::default()
            },
            breaker: BreakerConfig {
                name: "model".to_owned(),
                window: s.number("BREAKER_WINDOW", 1..=10_000)?,
                minimum_calls: s.number("BREAKER_MIN_CALLS", 1..=10_000)?,
                failure_rate: s.share("BREAKER_FAILURE_RATE")?,
                slow_call_duration: s.seconds("BREAKER_SLOW_CALL_SECS")?,
                slow_call_rate: s.share("BREAKER_SLOW_CALL_RATE")?,
                open_wait: s.seconds("BREAKER_OPEN_SECS")?,
                half_open_probes: s.number("BREAKER_PROBES", 1..=100)?,
            },
        })
    }
}

/// The assembled provider stack.
pub struct Provider {
    /// Model requests in, the first model's answer that succeeded out.
    pub service: ModelService,
    /// One breaker per model, main first.
    pub breakers: Vec<Breaker>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider").field("breakers", &self.breakers).finish_non_exhaustive()
    }
}

/// Builds the stack over `client`. `on_call` runs for every request that
/// reaches the provider; each call is also timed
/// (`muse_model_request_seconds`) and its errors counted by class
/// (`muse_model_errors_total`).
pub fn provider(
    client: LlmClient,
    config: &ProviderConfig,
    on_call: impl Fn() + Clone + Send + Sync + 'static,
) -> Provider {
    let pacing = client.pacing();
    // One bulkhead for the provider, shared by every model: at most
    // `max_concurrency` calls in flight; beyond that, shed at once.
    let bulkhead = ServiceBuilder::new()
        // Every provider call is counted and timed, errors by class.
        .map_future(move |call| {
            on_call();
            let started = Instant::now();
            async move {
                let result: Result<ModelReply, BoxError> = call.await;
                metrics::histogram!("muse_model_request_seconds").record(started.elapsed().as_secs_f64());
                if let Err(err) = &result {
                    metrics::counter!("muse_model_errors_total", "class" => policy::error_class(err)).increment(1);
                }
                result
            }
        })
        .load_shed()
        .concurrency_limit(config.max_concurrency)
        .service(client);
    // One retry budget for the whole stack: retries add at most 20% load.
    let budget = RetryPolicy::budget(0.2, 1);
    let mut breakers = Vec::new();
    let mut chains: Vec<ModelService> = Vec::new();
    for (i, model) in std::iter::once(None).chain(config.fallback_models.iter().cloned().map(Some)).enumerate() {
        let breaker = Breaker::new(BreakerConfig {
            name: model.clone().map_or_else(|| "main model".to_owned(), |m| format!("fallback model {m}")),
            ..config.breaker.clone()
        });
        breakers.push(breaker.clone());
        let fallback = i > 0;
        let chain = ServiceBuilder::new()
            // Fallback chains ask their own model and say they answered.
            .map_request(move |mut request: ModelRequest| {
                if let Some(model) = &model {
                    request.model = model.clone();
                }
                request
            })
            .map_response(move |mut reply: ModelReply| {
                reply.fallback = fallback;
                reply
            })
            // Retry outside the breaker: a rejected call is never retried,
            // and each attempt is judged by the breaker on its own.
            .layer(RetryLayer::new(RetryPolicy::new(config.retry.clone(), budget.clone(), policy::retry_decision)))
            // Every attempt, a retry too, waits for the provider's announced
            // budget; the wait is neither an attempt the breaker judges nor
            // one the attempt timeout counts.
            .layer(pacing.clone())
            // The breaker sees every attempt, timeouts included.
            .layer(BreakerLayer::new(breaker, policy::breaker_outcome))
            // Each attempt has its own timeout, inside the breaker so a
            // hanging provider counts as failing.
            .layer(TimeoutLayer::new(config.attempt_timeout))
            .service(bulkhead.clone())
            .map_err(BoxError::from);
        chains.push(ModelService::new(chain));
    }
    // main -> first fallback -> ... : each falls back on any error.
    let mut chains = chains.into_iter().rev();
    let last = chains.next().unwrap_or_else(|| unreachable!("the main model is always there"));
    let service = chains.fold(last, |fallback, primary| {
        ModelService::new(FallbackLayer::new(fallback, |_: &BoxError| true).layer(primary))
    });
    Provider { service, breakers }
}
