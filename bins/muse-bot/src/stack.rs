//! Assembling the service stacks from configuration. Every `.layer(...)`
//! says why it sits where it does.

use std::time::Duration;

use muse_domain::{Assistant, ModelReply, ModelRequest, ModelService, Request, UserId};
use muse_llm::LlmClient;
use muse_resilience::{Breaker, BreakerConfig, BreakerLayer, FallbackLayer, KeyedLimitLayer, Notices, RetryPolicy};
use muse_telegram::MuseService;
use tower::retry::RetryLayer;
use tower::timeout::TimeoutLayer;
use tower::util::BoxCloneSyncService;
use tower::{BoxError, Layer, ServiceBuilder, ServiceExt};

use crate::classify;
use crate::config::Config;

/// How often idle rate-limit keys are forgotten.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// The assembled stacks and the handles observability reads.
pub(crate) struct Stack {
    /// Request -> Reply, for Telegram and the terminal.
    pub(crate) service: MuseService,
    /// One breaker per model in the fallback chain, main model first.
    pub(crate) breakers: Vec<Breaker>,
}

/// Builds everything. Must run inside the runtime (pruning tasks start here).
pub(crate) fn build(config: &Config) -> anyhow::Result<Stack> {
    let notices = Notices::<UserId>::new();
    let (model, breakers) = match &config.llm {
        Some(llm) => {
            let (model, breakers) = model_stack(LlmClient::new(llm)?, config, notices.clone());
            (Some(model), breakers)
        }
        None => (None, Vec::new()),
    };
    let assistant = Assistant::new(config.assistant.clone(), model);
    let general = KeyedLimitLayer::new(config.resilience.rate, notices, |request: &Request| request.user);
    general.spawn_pruning(PRUNE_EVERY);
    let stack = ServiceBuilder::new()
        // Every update counts against the user's general limit, before any work.
        .layer(general)
        // The assistant does the work: persona, prompt, model, drafts.
        .service(assistant);
    // Errors end here: a limited user gets one notice, anything else an apology.
    let service = tower::service_fn(move |request: Request| {
        let stack = stack.clone();
        async move { classify::into_reply(stack.oneshot(request).await) }
    });
    Ok(Stack { service: BoxCloneSyncService::new(service), breakers })
}

/// per-user AI limit -> global AI limit -> deadline -> fallback chain of
/// (retry -> breaker -> attempt timeout) per model -> shared bulkhead -> client.
fn model_stack(
    client: LlmClient,
    config: &Config,
    notices: std::sync::Arc<Notices<UserId>>,
) -> (ModelService, Vec<Breaker>) {
    let r = &config.resilience;
    // One bulkhead for the provider, shared by every model: at most
    // `max_concurrency` calls in flight; beyond that, shed at once.
    let bulkhead = ServiceBuilder::new().load_shed().concurrency_limit(r.max_concurrency).service(client);
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
    let user_limit = KeyedLimitLayer::new(r.ai_rate, notices, |request: &ModelRequest| request.user);
    user_limit.spawn_pruning(PRUNE_EVERY);
    let global_limit = KeyedLimitLayer::new(r.global_ai_rate, Notices::new(), |_: &ModelRequest| ());
    let stack = ServiceBuilder::new()
        // A user over the AI limit: the assistant sends one notice, then nothing.
        .map_err(classify::user_refusal)
        .layer(user_limit)
        // Muse over the provider quota: the assistant drafts offline.
        .map_err(classify::global_refusal)
        .layer(global_limit)
        // The user waits at most this long, whatever retries and fallbacks do.
        .layer(TimeoutLayer::new(r.deadline))
        .service(chain);
    (ModelService::new(stack), breakers)
}

/// One line saying what drafts come from.
pub(crate) fn banner(config: &Config) -> String {
    match &config.llm {
        Some(llm) => format!("Drafting with {} at {}.", config.assistant.model, llm.base_url),
        None => "Offline writer: no LLM_API_KEY is set, so drafts come from built-in templates.".to_owned(),
    }
}
