//! Assembling the service stacks from configuration. Every `.layer(...)`
//! says why it sits where it does.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use metrics_exporter_prometheus::PrometheusHandle;
use muse_domain::{AdminLayer, Assistant, ModelRefusal, ModelRequest, ModelService, Reply, Request, Ui, UserId};
use muse_health::{Gauge, MetricsRender, Runner, Stats};
use muse_llm::{LlmClient, ProviderBusy};
use muse_resilience::{
    Breaker, FairQueue, FairQueueConfig, FairQueueLayer, KeyedLimitLayer, Notices, QueueFull, QueueTimeout, Rate,
    RateLimited, SharedLimitLayer,
};
use muse_security::{
    AccessLayer, AccessPolicy, CheckLayer, Guard, OutputGuardLayer, ParseLayer, ScreenLayer, SecurityCounters,
};
use muse_storage::RedisStore;
use muse_telegram::{MuseService, TelegramStatus, WaitEstimate};
use tower::timeout::TimeoutLayer;
use tower::util::BoxCloneSyncService;
use tower::{BoxError, Layer, ServiceBuilder, ServiceExt};
use tracing::Instrument;

use crate::config::Config;
use crate::ops::{self, Ops};
use crate::state::{self, Backend, Shared, State};

/// How often idle rate-limit keys are forgotten.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// Regenerations of a model answer the output guard withheld.
const REGENERATIONS: usize = 2;

/// The assembled stack and what must outlive it.
pub(crate) struct Stack {
    /// Request -> Reply, for Telegram and the terminal.
    pub(crate) service: MuseService,
    /// Saves the global state; flushed at shutdown.
    pub(crate) state: Arc<State>,
    /// The health checks.
    pub(crate) runner: Arc<Runner>,
    /// Renders `/metrics`.
    pub(crate) metrics: MetricsRender,
    /// How long a user's request waits for a model slot, for the notice.
    pub(crate) waits: Option<WaitEstimate>,
}

/// Builds the Request -> Reply stack shared by Telegram and the terminal,
/// keeping state in `store`. Must run inside the runtime (pruning and
/// saving tasks start here).
pub(crate) async fn build(
    config: &Config,
    store: Backend,
    telegram: Option<Arc<TelegramStatus>>,
    recorder: PrometheusHandle,
) -> anyhow::Result<Stack> {
    let notices = Notices::<UserId>::new();
    let security = Arc::new(SecurityCounters::default());
    let guard = Arc::new(Guard::builtin());
    let stats = Arc::new(Stats::default());
    let llm = config.llm.as_ref().map(LlmClient::new).transpose()?;
    let (model, breakers, mut limited, queue) = match &llm {
        Some(client) => {
            let (model, breakers, limited, queue) =
                model_stack(client.clone(), config, store.redis(), &notices, &guard, &security, &stats);
            (Some(model), breakers, limited, Some(queue))
        }
        None => (None, Vec::new(), Vec::new(), None),
    };
    let sessions = Arc::new(state::sessions(&store).await);
    state::spawn_recount(&store, &sessions);
    let assistant = Assistant::with_sessions(config.assistant.clone(), model, sessions);
    let general = KeyedLimitLayer::new(config.resilience.rate, notices, |request: &Request| request.user);
    general.spawn_pruning(PRUNE_EVERY);
    let refused = general.clone();
    limited.insert(0, Gauge::new("updates per user", move || refused.refused()));
    let policy = Arc::new(AccessPolicy::new(config.security.admins.clone(), config.security.allowed.clone()));
    // A request waits for a model slot, or, holding one, for the provider's budget.
    let pacing = llm.as_ref().map(LlmClient::pacing);
    let waits = queue.clone().map(|queue| {
        Arc::new(move |user: UserId| queue.estimate(&user).or_else(|| pacing.as_ref()?.estimate())) as WaitEstimate
    });
    // With several instances, one user's updates are handled one at a time
    // across all of them: an update waits for the one before it at most as
    // long as a request may take.
    let leases = store.redis().cloned().map(|redis| (redis, config.resilience.deadline + USER_LEASE));
    let shared = Arc::new(Shared {
        store,
        data_dir: config.storage.dir.clone(),
        assistant: assistant.clone(),
        policy: policy.clone(),
        security: security.clone(),
        stats: stats.clone(),
        llm,
        breakers,
        limited,
        queue,
        telegram: config.telegram.clone().zip(telegram),
    });
    let state = Arc::new(State::new(shared.clone()));
    match state.restore().await {
        Ok(()) => {}
        // Redis down at start: the first merge after it is back restores.
        Err(err) if shared.store.redis().is_some() => {
            tracing::error!(error = %err, "cannot read the global state from Redis yet");
        }
        Err(err) => return Err(err),
    }
    state.spawn_periodic_save();
    let runner = Arc::new(ops::runner(&shared));
    let metrics = ops::metrics(recorder, shared.clone());
    let operator = Arc::new(Ops { shared, runner: runner.clone(), state: state.clone() });
    let s = &config.security;
    let stack = ServiceBuilder::new()
        // Who may use Muse, and which commands, before anything else runs.
        .layer(AccessLayer::new(policy, security.clone()))
        // Every update counts against the user's general limit, before any work.
        .layer(general)
        // Over-long text is refused, the rest screened for injection, before anything reads it.
        .layer(ScreenLayer::new(s.thresholds, security.clone()))
        // /check: the compliance guard on the user's own draft.
        .layer(CheckLayer::new(guard))
        // Admin commands (the access layer let only admins send them).
        .layer(AdminLayer::new(assistant.clone(), operator, config.provider.fallback_models.clone()))
        // Everything else: persona, prompt, model, drafts; with Redis, under
        // the user's lease, so two instances never interleave one user's
        // load-modify-save.
        .service(leased(assistant, leases));
    // Errors end here: a limited user gets one notice, anything else an apology.
    // One span per update: who and what kind, never the text.
    let top = tower::service_fn(move |request: Request| {
        let stack = stack.clone();
        stats.requests.fetch_add(1, Ordering::Relaxed);
        let kind = request.kind();
        metrics::counter!("muse_updates_total", "kind" => kind).increment(1);
        let span = tracing::info_span!("update", user = request.user, kind);
        async move {
            let started = std::time::Instant::now();
            let ui = request.ui();
            let reply = into_reply(ui, stack.oneshot(request).await);
            tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "handled");
            reply
        }
        .instrument(span)
    });
    // Text is cleaned and parsed once, before any layer (even the span) reads it.
    let service = ParseLayer::new(s.max_message_length, security).layer(top);
    Ok(Stack { service: BoxCloneSyncService::new(service), state, runner, metrics, waits })
}

/// How long a user's lease lasts unless renewed: what a dead holder costs
/// that user's next update.
const USER_LEASE: Duration = Duration::from_secs(10);
/// How often a held user lease is renewed.
const USER_LEASE_RENEW: Duration = Duration::from_secs(3);

/// `assistant`, each request holding its user's lease in Redis (when there
/// is one) from load to save, renewed while it runs; one that waited
/// `wait` for it goes ahead without it. While Redis is unreachable requests
/// go ahead without it too: the session cannot be loaded or saved then.
fn leased(assistant: Assistant, leases: Option<(RedisStore, Duration)>) -> MuseService {
    let Some((redis, wait)) = leases else { return BoxCloneSyncService::new(assistant) };
    BoxCloneSyncService::new(tower::service_fn(move |request: Request| {
        let (assistant, redis) = (assistant.clone(), redis.clone());
        async move {
            let name = format!("user-{}", request.user);
            let token = match redis.lease(&name, USER_LEASE, wait).await {
                Ok(None) => {
                    tracing::warn!(user = request.user, "waited {wait:?} for the user's lease; going ahead");
                    None
                }
                Ok(token) => token,
                Err(err) => {
                    metrics::counter!("muse_redis_fallbacks_total", "what" => "user lease").increment(1);
                    tracing::warn!(error = %err, "no user lease: Redis is unreachable");
                    None
                }
            };
            let work = assistant.oneshot(request);
            tokio::pin!(work);
            let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + USER_LEASE_RENEW, USER_LEASE_RENEW);
            let reply = loop {
                tokio::select! {
                    reply = &mut work => break reply,
                    _ = renew.tick() => if let Some(token) = &token
                        && let Err(err) = redis.renew_lease(&name, token, USER_LEASE).await
                    {
                        tracing::debug!(error = %err, "renewing a user lease failed");
                    },
                }
            };
            if let Some(token) = token
                && let Err(err) = redis.release_lease(&name, &token).await
            {
                tracing::warn!(error = %err, "releasing a user lease failed; it expires by itself");
            }
            reply
        }
    }))
}

/// A limit shared by every instance through Redis, named `name(key)`.
fn shared_rate<K: 'static>(
    redis: Option<&RedisStore>,
    rate: Rate,
    name: impl Fn(&K) -> String + Send + Sync + 'static,
) -> Option<muse_resilience::limit::Remote<K>> {
    let redis = redis?.clone();
    Some(Arc::new(move |key: &K| {
        let (redis, name) = (redis.clone(), name(key));
        Box::pin(async move {
            redis.take(&name, rate.get()).await.map_err(|err| {
                metrics::counter!("muse_redis_fallbacks_total", "what" => "model limit").increment(1);
                BoxError::from(err)
            })
        })
    }))
}

/// The top of the update stack: a rate-limited user gets one notice, then
/// silence; anything else that escaped gets an apology, never a trace.
fn into_reply(ui: Ui, result: Result<Reply, BoxError>) -> Result<Reply, Infallible> {
    Ok(match result {
        Ok(reply) => reply,
        Err(err) => match err.downcast_ref::<RateLimited>() {
            Some(limited) if limited.notify => Reply::slow_down(ui, limited.wait),
            Some(_) => Reply::default(),
            None => {
                tracing::error!(error = %err, "request failed");
                Reply::text(ui.say(muse_domain::text::WENT_WRONG))
            }
        },
    })
}

/// per-user AI limit -> global AI limit -> deadline -> output guard ->
/// the provider stack (fallback models, each with retry, breaker and
/// attempt timeout, over a shared bulkhead). Returns the stack, its
/// breakers and its rate-limit gauges.
fn model_stack(
    client: LlmClient,
    config: &Config,
    redis: Option<&RedisStore>,
    notices: &Arc<Notices<UserId>>,
    guard: &Arc<Guard>,
    security: &Arc<SecurityCounters>,
    stats: &Arc<Stats>,
) -> (ModelService, Vec<Breaker>, Vec<Gauge>, Arc<FairQueue<UserId>>) {
    let r = &config.resilience;
    let calls = stats.clone();
    let provider = muse_llm::provider(client, &config.provider, move || {
        calls.model_calls.fetch_add(1, Ordering::Relaxed);
    });
    let user_limit = KeyedLimitLayer::new(r.ai_rate, notices.clone(), |request: &ModelRequest| request.user);
    user_limit.spawn_pruning(PRUNE_EVERY);
    let global_limit = KeyedLimitLayer::new(r.global_ai_rate, Notices::new(), |_: &ModelRequest| ());
    let (user_refused, global_refused) = (user_limit.clone(), global_limit.clone());
    // With Redis, both limits hold across every instance together.
    let user_limit =
        SharedLimitLayer::new(shared_rate(redis, r.ai_rate, |user: &UserId| format!("ai-user-{user}")), user_limit);
    let global_limit =
        SharedLimitLayer::new(shared_rate(redis, r.global_ai_rate, |(): &()| "ai".to_owned()), global_limit);
    let slots = FairQueueConfig {
        concurrency: config.provider.max_concurrency,
        max_wait: r.queue_wait,
        max_queued: r.queue_max,
    };
    let waited =
        Arc::new(|wait: Duration| metrics::histogram!("muse_model_queue_wait_seconds").record(wait.as_secs_f64()));
    let queue = FairQueueLayer::observed(slots, |request: &ModelRequest| request.user, waited);
    let slots_queue = queue.queue();
    let gave_up = Arc::new(AtomicU64::new(0));
    let queue_refused = gave_up.clone();
    let limited = vec![
        Gauge::new("model calls per user", move || user_refused.refused()),
        Gauge::new("model calls for everyone", move || global_refused.refused()),
        Gauge::new("model slot within the queue wait", move || queue_refused.load(Ordering::Relaxed)),
    ];
    let stack = ServiceBuilder::new()
        // A user over the AI limit: the assistant sends one notice, then nothing.
        .map_err(|err: BoxError| match err.downcast::<RateLimited>() {
            Ok(limited) => {
                Box::new(ModelRefusal::UserLimited { wait: limited.wait, notify: limited.notify }) as BoxError
            }
            Err(err) => err,
        })
        .layer(user_limit)
        // Muse over the provider quota: the assistant drafts offline.
        .map_err(|err: BoxError| if err.is::<RateLimited>() { Box::new(ModelRefusal::Busy) as BoxError } else { err })
        .layer(global_limit)
        // Past the limits the request will be drafted: a live draft shows a
        // placeholder from here on, while it waits for a slot too.
        .map_request(|request: ModelRequest| {
            if let Some(preview) = &request.preview {
                preview.show("");
            }
            request
        })
        // The user waits at most this long, regenerations, retries and fallbacks included.
        .layer(TimeoutLayer::new(r.deadline))
        // No free model slot within the queue wait: the assistant drafts offline.
        .map_err(move |err: BoxError| {
            if err.is::<QueueTimeout>() || err.is::<QueueFull>() {
                gave_up.fetch_add(1, Ordering::Relaxed);
                Box::new(ModelRefusal::Queued) as BoxError
            } else {
                err
            }
        })
        // Beyond LLM_MAX_CONCURRENCY calls, requests wait, users served in turn.
        .layer(queue)
        // No answer reaches anyone unchecked: compliance and leaks, regenerated
        // at most twice, then the offline writer (fail closed).
        .layer(OutputGuardLayer::new(guard.clone(), security.clone(), REGENERATIONS))
        // The provider's budget used up for longer than 10 s (each attempt
        // waits for it in the provider stack): Muse is at its quota.
        .map_err(|err: BoxError| if err.is::<ProviderBusy>() { Box::new(ModelRefusal::Busy) as BoxError } else { err })
        .service(provider.service);
    (ModelService::new(stack), provider.breakers, limited, slots_queue)
}

/// One line saying what drafts come from.
pub(crate) fn banner(config: &Config, ui: Ui) -> String {
    match &config.llm {
        Some(llm) => ui.say_with(
            "console-model",
            &[("model", config.assistant.model.as_str().into()), ("url", llm.base_url.as_str().into())],
        ),
        None => ui.say("console-offline"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_become_one_notice_then_silence() {
        let limited = |notify| Err(Box::new(RateLimited { wait: Duration::from_secs(3), notify }) as BoxError);
        assert!(into_reply(Ui::En, limited(true)).unwrap().to_plain().contains("3 s"));
        assert!(into_reply(Ui::En, limited(false)).unwrap().is_empty());
        assert!(into_reply(Ui::En, Err("boom".into())).unwrap().to_plain().contains("Something went wrong"));
    }
}
