//! Operations: the seven health checks and the Prometheus metrics wired to
//! Muse's live state, and the [`Operator`] the admin commands act through.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::future::BoxFuture;
use metrics_exporter_prometheus::PrometheusHandle;
use muse_domain::{Operator, UserId};
use muse_health::checks;
use muse_health::{CheckResult, FilesystemCheck, FnCheck, MemoryTrend, MetricsRender, Runner, SystemCheck};

use crate::state::{Backend, Shared, State};

/// Each check's time limit.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);
/// Below this much free disk, the filesystem check is degraded.
const MIN_FREE_DISK: u64 = 100 << 20;
/// Refusals a minute (blocks and rate limits) above which security is degraded.
const SPIKE_PER_MINUTE: f64 = 30.0;

/// The seven checks.
pub(crate) fn runner(shared: &Arc<Shared>) -> Runner {
    let dir = shared.data_dir.clone();
    let memory = MemoryTrend::new(30, 0.2);
    memory.spawn_sampling(Duration::from_secs(10));
    let probe = shared.telegram.clone().map(|(config, _)| {
        checks::probe(config, |config| async move { muse_telegram::probe(&config).await.map_err(|e| e.to_string()) })
    });
    let status = shared.telegram.as_ref().map(|(_, status)| status.clone()).unwrap_or_default();
    let activity =
        move || (status.last_update_ms.load(Ordering::Relaxed), status.last_poll_error_ms.load(Ordering::Relaxed));
    let models = shared.llm.clone().map(|client| {
        checks::probe(client, |client| async move { client.models().await.map(|m| m.len()).map_err(|e| e.to_string()) })
    });
    let security = shared.clone();
    // With Redis nothing is written locally: the system check reads the
    // temporary directory's disk, and the filesystem check says it is unused.
    let system_dir = if shared.store.redis().is_some() { std::env::temp_dir() } else { dir.clone() };
    let runner = Runner::new(CHECK_TIMEOUT)
        .with(SystemCheck { data_dir: system_dir })
        .with(checks::telegram_check(probe, activity))
        .with(checks::llm_check(models, shared.breakers.clone()));
    let runner = match &shared.store {
        Backend::File(store) => {
            let store = store.clone();
            runner
                .with(FilesystemCheck { data_dir: dir, min_free_bytes: MIN_FREE_DISK })
                .with(checks::database_check(move || store.health()))
        }
        Backend::Redis(store) => {
            let unused = format!("not used: state lives in Redis at {}", store.server());
            let ping =
                checks::probe(store.clone(), |store| async move { store.ping().await.map_err(|e| e.to_string()) });
            let store = store.clone();
            runner
                .with(FnCheck::new("filesystem", false, move || {
                    let result = CheckResult::healthy(unused.clone());
                    Box::pin(async move { result })
                }))
                .with(checks::redis_check(ping, move || store.health()))
        }
    };
    runner
        .with(checks::security_check(SPIKE_PER_MINUTE, move || {
            let s = security.security.snapshot();
            let limited: u64 = security.limited.iter().map(|gauge| gauge.read()).sum();
            let refusals = s.injection_blocked + s.outputs_blocked_total() + s.admin_denied + s.not_allowed + limited;
            (refusals, format!("{s}; drafts blocked: {}", s.outputs_blocked_text()))
        }))
        .with(memory)
}

/// Sets the gauges and counters read from Muse's own state, then renders.
pub(crate) fn metrics(handle: PrometheusHandle, shared: Arc<Shared>) -> MetricsRender {
    Arc::new(move || {
        for breaker in &shared.breakers {
            metrics::gauge!("muse_breaker_state", "breaker" => breaker.config().name.clone())
                .set(f64::from(breaker.state().as_gauge()));
        }
        for gauge in &shared.limited {
            metrics::counter!("muse_rate_limited_total", "limit" => gauge.name).absolute(gauge.read());
        }
        let security = shared.security.snapshot();
        for (category, count) in &security.outputs_blocked {
            metrics::counter!("muse_drafts_blocked_total", "category" => category.clone()).absolute(*count);
        }
        metrics::counter!("muse_injection_blocked_total").absolute(security.injection_blocked);
        metrics::counter!("muse_injection_flagged_total").absolute(security.injection_flagged);
        metrics::counter!("muse_model_calls_total").absolute(shared.stats.counts().1);
        metrics::counter!("muse_repeated_drafts_total").absolute(shared.assistant.repeats_caught());
        if let Some(queue) = &shared.queue {
            metrics::gauge!("muse_model_queue_waiting").set(queue.waiting() as f64);
        }
        match &shared.store {
            Backend::File(store) => {
                let store = store.health();
                metrics::gauge!("muse_store_flush_seconds").set(store.last_flush_duration.as_secs_f64());
                metrics::gauge!("muse_store_unflushed").set(store.dirty as f64);
            }
            Backend::Redis(store) => {
                let redis = store.health();
                metrics::gauge!("muse_redis_up").set(if redis.last_ok { 1.0 } else { 0.0 });
                metrics::counter!("muse_redis_errors_total").absolute(redis.errors);
            }
        }
        if let Some(users) = shared.assistant.session_count() {
            metrics::gauge!("muse_users").set(users as f64);
        }
        if let Some(bytes) = muse_health::resident_memory() {
            metrics::gauge!("muse_resident_memory_bytes").set(bytes as f64);
        }
        handle.render()
    })
}

/// What the admin commands act through.
pub(crate) struct Ops {
    pub(crate) shared: Arc<Shared>,
    pub(crate) runner: Arc<Runner>,
    pub(crate) state: Arc<State>,
}

impl Operator for Ops {
    fn models(&self) -> BoxFuture<'_, Result<Vec<String>, String>> {
        Box::pin(async move {
            let Some(llm) = &self.shared.llm else {
                return Err("No model is configured: drafts come from the offline writer.".to_owned());
            };
            llm.models().await.map_err(|err| format!("Couldn't get the model list: {err}."))
        })
    }

    fn health(&self) -> BoxFuture<'_, String> {
        Box::pin(async move { self.runner.run().await.to_string() })
    }

    fn stats(&self) -> String {
        let shared = &self.shared;
        let (requests, model_calls) = shared.stats.counts();
        let users = shared.assistant.session_count().map_or_else(|| "unknown".to_owned(), |n| n.to_string());
        let mut text = format!("Users: {users}\nRequests: {requests}\n");
        let _ = writeln!(text, "Model calls: {model_calls} (model: {})", shared.assistant.model_name());
        if let Some(queue) = &shared.queue {
            let _ = writeln!(text, "Waiting for a model slot: {}", queue.waiting());
        }
        for gauge in &shared.limited {
            let _ = writeln!(text, "Rate-limited ({}): {}", gauge.name, gauge.read());
        }
        for breaker in &shared.breakers {
            let snapshot = breaker.snapshot();
            let (name, state, opened) = (&breaker.config().name, snapshot.state, snapshot.opened);
            let _ = writeln!(text, "Breaker ({name}): {state:?}, opened {opened} times");
        }
        let security = shared.security.snapshot();
        let _ = writeln!(text, "Banned users: {}\nSecurity: {security}", shared.policy.banned().len());
        let _ = writeln!(text, "Drafts blocked: {}", security.outputs_blocked_text());
        let _ = write!(text, "Repeated drafts replaced: {}", shared.assistant.repeats_caught());
        text
    }

    fn ban(&self, user: UserId) -> Result<bool, String> {
        self.shared.policy.ban(user).map_err(|err| err.to_string())
    }

    fn unban(&self, user: UserId) -> bool {
        self.shared.policy.unban(user)
    }

    fn changed(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Err(err) = self.state.save().await {
                tracing::error!(error = %err, "saving an admin change failed");
            }
        })
    }
}
