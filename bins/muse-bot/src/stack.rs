//! Assembling the service stacks from configuration. Every `.layer(...)`
//! says why it sits where it does.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use metrics_exporter_prometheus::PrometheusHandle;
use muse_domain::{Assistant, Input, MENU, ModelReply, ModelRequest, ModelService, Request, UserId, name_of};
use muse_health::{MetricsRender, Runner};
use muse_llm::LlmClient;
use muse_resilience::{Breaker, BreakerConfig, BreakerLayer, FallbackLayer, KeyedLimitLayer, Notices, RetryPolicy};
use muse_security::{AccessLayer, AccessPolicy, Guard, InputLayer, OutputGuardLayer, SecurityCounters};
use muse_storage::FileStore;
use muse_telegram::MuseService;
use muse_telegram::TelegramStatus;
use tower::retry::RetryLayer;
use tower::timeout::TimeoutLayer;
use tower::util::BoxCloneSyncService;
use tower::{BoxError, Layer, ServiceBuilder, ServiceExt};
use tracing::Instrument;

use crate::classify;
use crate::config::Config;
use crate::ops::{self, Sources};
use crate::persist::{FileSessions, Persist};
use crate::tools::{Gauge, Stats, Tools};

/// How often idle rate-limit keys are forgotten.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// Regenerations of a model answer the output guard withheld.
const REGENERATIONS: usize = 2;

/// What the model stack shares with the rest.
struct ModelParts {
    service: ModelService,
    breakers: Vec<Breaker>,
    limited: Vec<Gauge>,
}

/// The assembled stack and what must outlive it.
pub(crate) struct Stack {
    /// Request -> Reply, for Telegram and the terminal.
    pub(crate) service: MuseService,
    /// Saves the global state; flushed at shutdown.
    pub(crate) persist: Arc<Persist>,
    /// The health checks.
    pub(crate) runner: Arc<Runner>,
    /// Renders `/metrics`.
    pub(crate) metrics: MetricsRender,
}

/// Builds the Request -> Reply stack shared by Telegram and the terminal,
/// keeping state in `store`. Must run inside the runtime (pruning and
/// saving tasks start here).
pub(crate) async fn build(
    config: &Config,
    store: Arc<FileStore>,
    telegram: Option<Arc<TelegramStatus>>,
    recorder: PrometheusHandle,
) -> anyhow::Result<Stack> {
    let notices = Notices::<UserId>::new();
    let security = Arc::new(SecurityCounters::default());
    let guard = Arc::new(Guard::builtin());
    let stats = Arc::new(Stats::default());
    let llm = config.llm.as_ref().map(LlmClient::new).transpose()?;
    let parts = llm.clone().map(|client| model_stack(client, config, &notices, &guard, &security, &stats));
    let (model, breakers, mut limited) = match parts {
        Some(parts) => (Some(parts.service), parts.breakers, parts.limited),
        None => (None, Vec::new(), Vec::new()),
    };
    let sessions = Arc::new(FileSessions::new(store.clone()));
    let counted = sessions.clone();
    let assistant = Assistant::with_sessions(config.assistant.clone(), model, sessions);
    let general = KeyedLimitLayer::new(config.resilience.rate, notices, |request: &Request| request.user);
    general.spawn_pruning(PRUNE_EVERY);
    let general_refused = general.clone();
    limited.insert(0, ("updates per user", Arc::new(move || general_refused.refused())));
    let policy = Arc::new(AccessPolicy::new(config.security.admins.clone(), config.security.allowed.clone()));
    let persist =
        Arc::new(Persist::new(store.clone(), assistant.clone(), policy.clone(), security.clone(), stats.clone()));
    persist.restore().await?;
    persist.spawn_periodic_save();
    let sources = Arc::new(Sources {
        store,
        llm: llm.clone(),
        breakers: breakers.clone(),
        security: security.clone(),
        stats: stats.clone(),
        limited: limited.clone(),
        telegram: config.telegram.clone().zip(telegram),
        users: Arc::new(move || muse_domain::Sessions::count(counted.as_ref())),
    });
    let runner = Arc::new(ops::runner(&sources));
    let metrics = ops::metrics(recorder, sources);
    let tools = Tools {
        runner: runner.clone(),
        persist: persist.clone(),
        assistant,
        guard,
        policy: policy.clone(),
        security: security.clone(),
        stats: stats.clone(),
        llm,
        fallback_models: config.resilience.fallback_models.clone(),
        breakers,
        limited,
    };
    let s = &config.security;
    let stack = ServiceBuilder::new()
        // Who may use Muse, and which commands, before anything else runs.
        .layer(AccessLayer::new(policy, security.clone()))
        // Every update counts against the user's general limit, before any work.
        .layer(general)
        // Text is sanitized, length-checked and screened before anything reads it.
        .layer(InputLayer::new(s.max_message_length, s.thresholds, security))
        // /check and admin commands, then the assistant: persona, prompt, model, drafts.
        .service(tools);
    // Errors end here: a limited user gets one notice, anything else an apology.
    // One span per update: who and what kind, never the text.
    let service = tower::service_fn(move |request: Request| {
        let stack = stack.clone();
        stats.requests.fetch_add(1, Ordering::Relaxed);
        let kind = update_kind(&request);
        metrics::counter!("muse_updates_total", "kind" => kind).increment(1);
        let span = tracing::info_span!("update", user = request.user, kind);
        async move {
            let started = std::time::Instant::now();
            let reply = classify::into_reply(stack.oneshot(request).await);
            tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "handled");
            reply
        }
        .instrument(span)
    });
    Ok(Stack { service: BoxCloneSyncService::new(service), persist, runner, metrics })
}

/// The kind of an update for metrics and logs: the command name, or what
/// else it is. Unknown commands count as one kind, so labels stay few.
fn update_kind(request: &Request) -> &'static str {
    match &request.input {
        Input::NonText => "non_text",
        Input::Button(_) => "button",
        Input::Text(text) => match name_of(text) {
            None => "text",
            Some(name) => MENU.iter().find(|entry| entry.name == name).map_or("unknown_command", |entry| entry.name),
        },
    }
}

/// per-user AI limit -> global AI limit -> deadline -> output guard ->
/// fallback chain of (retry -> breaker -> attempt timeout) per model ->
/// shared bulkhead -> client.
fn model_stack(
    client: LlmClient,
    config: &Config,
    notices: &Arc<Notices<UserId>>,
    guard: &Arc<Guard>,
    security: &Arc<SecurityCounters>,
    stats: &Arc<Stats>,
) -> ModelParts {
    let r = &config.resilience;
    let calls = stats.clone();
    // One bulkhead for the provider, shared by every model: at most
    // `max_concurrency` calls in flight; beyond that, shed at once.
    let bulkhead = ServiceBuilder::new()
        // Every provider call is counted and timed, errors by class.
        .map_future(move |call| {
            calls.model_calls.fetch_add(1, Ordering::Relaxed);
            let started = std::time::Instant::now();
            async move {
                let result: Result<ModelReply, BoxError> = call.await;
                metrics::histogram!("muse_model_request_seconds").record(started.elapsed().as_secs_f64());
                if let Err(err) = &result {
                    metrics::counter!("muse_model_errors_total", "class" => classify::error_class(err)).increment(1);
                }
                result
            }
        })
        .load_shed()
        .concurrency_limit(r.max_concurrency)
        .service(client);
    // One retry budget for the whole stack: retries add at most 20% load.
    let budget = RetryPolicy::budget(0.2, 1);
    let mut breakers = Vec::new();
    let mut chains: Vec<ModelService> = Vec::new();
    for (i, model) in std::iter::once(None).chain(r.fallback_models.iter().cloned().map(Some)).enumerate() {
        let breaker = Breaker::new(BreakerConfig {
            name: model.clone().map_or_else(|| "main model".to_owned(), |m| format!("fallback model {m}")),
            ..r.breaker.clone()
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
            .layer(RetryLayer::new(RetryPolicy::new(r.retry.clone(), budget.clone(), classify::retry_decision)))
            // The breaker sees every attempt, timeouts included.
            .layer(BreakerLayer::new(breaker, classify::breaker_outcome))
            // Each attempt has its own timeout, inside the breaker so a
            // hanging provider counts as failing.
            .layer(TimeoutLayer::new(r.attempt_timeout))
            .service(bulkhead.clone())
            .map_err(BoxError::from);
        chains.push(ModelService::new(chain));
    }
    // main -> first fallback -> ... : each falls back on any error.
    let chain = chains
        .into_iter()
        .rev()
        .reduce(|fallback, primary| ModelService::new(FallbackLayer::new(fallback, |_: &BoxError| true).layer(primary)))
        .expect("at least the main model");
    let user_limit = KeyedLimitLayer::new(r.ai_rate, notices.clone(), |request: &ModelRequest| request.user);
    user_limit.spawn_pruning(PRUNE_EVERY);
    let global_limit = KeyedLimitLayer::new(r.global_ai_rate, Notices::new(), |_: &ModelRequest| ());
    let (user_refused, global_refused) = (user_limit.clone(), global_limit.clone());
    let limited: Vec<Gauge> = vec![
        ("model calls per user", Arc::new(move || user_refused.refused())),
        ("model calls for everyone", Arc::new(move || global_refused.refused())),
    ];
    let stack = ServiceBuilder::new()
        // A user over the AI limit: the assistant sends one notice, then nothing.
        .map_err(classify::user_refusal)
        .layer(user_limit)
        // Muse over the provider quota: the assistant drafts offline.
        .map_err(classify::global_refusal)
        .layer(global_limit)
        // The user waits at most this long, regenerations, retries and fallbacks included.
        .layer(TimeoutLayer::new(r.deadline))
        // No answer reaches anyone unchecked: compliance and leaks, regenerated
        // at most twice, then the offline writer (fail closed).
        .layer(OutputGuardLayer::new(guard.clone(), security.clone(), REGENERATIONS))
        .service(chain);
    ModelParts { service: ModelService::new(stack), breakers, limited }
}

/// One line saying what drafts come from.
pub(crate) fn banner(config: &Config) -> String {
    match &config.llm {
        Some(llm) => format!("Drafting with {} at {}.", config.assistant.model, llm.base_url),
        None => "Offline writer: no LLM_API_KEY is set, so drafts come from built-in templates.".to_owned(),
    }
}
