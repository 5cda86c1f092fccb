//! Observability: the seven health checks over Muse's live state, the
//! Prometheus metrics, and the ops HTTP server.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use muse_health::{
    CheckResult, FilesystemCheck, FnCheck, MemoryTrend, MetricsRender, Report, Runner, Status, SystemCheck,
};
use muse_llm::LlmClient;
use muse_resilience::{Breaker, BreakerState};
use muse_security::SecurityCounters;
use muse_storage::FileStore;
use muse_telegram::{TelegramConfig, TelegramStatus};

use crate::tools::{Gauge, Stats};

/// Each check's time limit.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);
/// Below this much free disk, the filesystem check is degraded.
const MIN_FREE_DISK: u64 = 100 << 20;
/// Refusals a minute (blocks and rate limits) above which security is degraded.
const SPIKE_PER_MINUTE: f64 = 30.0;

/// What the checks and metrics read.
pub(crate) struct Sources {
    pub(crate) store: Arc<FileStore>,
    pub(crate) llm: Option<LlmClient>,
    pub(crate) breakers: Vec<Breaker>,
    pub(crate) security: Arc<SecurityCounters>,
    pub(crate) stats: Arc<Stats>,
    pub(crate) limited: Vec<Gauge>,
    pub(crate) telegram: Option<(TelegramConfig, Arc<TelegramStatus>)>,
    pub(crate) users: Arc<dyn Fn() -> Option<usize> + Send + Sync>,
}

/// Installs the Prometheus recorder (once per process).
pub(crate) fn recorder() -> anyhow::Result<PrometheusHandle> {
    Ok(PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("muse_model_request_seconds".to_owned()),
            &[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0],
        )?
        .install_recorder()?)
}

/// The seven checks.
pub(crate) fn runner(sources: &Arc<Sources>) -> Runner {
    let dir = sources.store.dir().to_path_buf();
    let memory = MemoryTrend::new(30, 0.2);
    memory.spawn_sampling(Duration::from_secs(10));
    let (telegram, llm, database, security) = (sources.clone(), sources.clone(), sources.clone(), sources.clone());
    let previous = Arc::new(Mutex::new(None::<(Instant, u64)>));
    Runner::new(CHECK_TIMEOUT)
        .with(SystemCheck { data_dir: dir.clone() })
        .with(FnCheck::new("telegram", sources.telegram.is_some(), move || {
            let sources = telegram.clone();
            Box::pin(async move { telegram_check(&sources).await })
        }))
        .with(FnCheck::new("llm", sources.llm.is_some(), move || {
            let sources = llm.clone();
            Box::pin(async move { llm_check(&sources).await })
        }))
        .with(FilesystemCheck { data_dir: dir, min_free_bytes: MIN_FREE_DISK })
        .with(FnCheck::new("database", true, move || {
            let sources = database.clone();
            Box::pin(async move { database_check(&sources) })
        }))
        .with(FnCheck::new("security", false, move || {
            let (sources, previous) = (security.clone(), previous.clone());
            Box::pin(async move { security_check(&sources, &previous) })
        }))
        .with(memory)
}

fn ago(ms: u64) -> String {
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    format!("{} s ago", now.saturating_sub(ms) / 1000)
}

async fn telegram_check(sources: &Sources) -> CheckResult {
    let Some((config, status)) = &sources.telegram else {
        return CheckResult::healthy("not used (terminal mode)");
    };
    let username = match muse_telegram::probe(config).await {
        Ok(username) => username,
        Err(err) => return CheckResult::unhealthy(format!("getMe failed: {err}")),
    };
    let last_update = status.last_update_ms.load(Ordering::Relaxed);
    let last_error = status.last_poll_error_ms.load(Ordering::Relaxed);
    let updates =
        if last_update == 0 { "no update yet".to_owned() } else { format!("last update {}", ago(last_update)) };
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    if last_error != 0 && now.saturating_sub(last_error) < 60_000 {
        return CheckResult::degraded(format!("@{username}: polling failed {}; {updates}", ago(last_error)));
    }
    CheckResult::healthy(format!("@{username} answers getMe; {updates}"))
}

async fn llm_check(sources: &Sources) -> CheckResult {
    let Some(llm) = &sources.llm else {
        return CheckResult::healthy("no model configured: the offline writer drafts");
    };
    let open: Vec<String> = sources
        .breakers
        .iter()
        .filter(|b| b.state() != BreakerState::Closed)
        .map(|b| format!("{} {:?}", b.config().name, b.state()))
        .collect();
    match llm.models().await {
        Err(err) => CheckResult::unhealthy(format!("the provider did not list its models: {err}")),
        Ok(models) if open.is_empty() => {
            CheckResult::healthy(format!("{} models listed; breakers closed", models.len()))
        }
        Ok(models) => CheckResult::degraded(format!("{} models listed; breaker {}", models.len(), open.join(", "))),
    }
}

fn database_check(sources: &Sources) -> CheckResult {
    let health = sources.store.health();
    let summary = format!("lock held, {} unflushed, {} flushes", health.dirty, health.flushes);
    if !health.last_flush_ok {
        return CheckResult::unhealthy(format!("the last flush failed; {summary}"));
    }
    if health.quarantined > 0 {
        return CheckResult::degraded(format!("{} corrupt documents moved aside; {summary}", health.quarantined));
    }
    let stale = health.last_flush_at.and_then(|at| at.elapsed().ok()).is_some_and(|age| age > Duration::from_secs(60));
    if health.dirty > 0 && stale {
        return CheckResult::degraded(format!("changes waiting over a minute; {summary}"));
    }
    CheckResult::healthy(summary)
}

fn refusals(sources: &Sources) -> u64 {
    let s = sources.security.snapshot();
    let limited: u64 = sources.limited.iter().map(|(_, read)| read()).sum();
    s.injection_blocked + s.outputs_blocked_total() + s.admin_denied + s.not_allowed + limited
}

fn security_check(sources: &Sources, previous: &Mutex<Option<(Instant, u64)>>) -> CheckResult {
    let s = sources.security.snapshot();
    let now = (Instant::now(), refusals(sources));
    let before = previous.lock().unwrap_or_else(PoisonError::into_inner).replace(now);
    let summary = format!(
        "injection blocked {}, flagged {}, drafts blocked {}, admin denied {}, not allowed {}",
        s.injection_blocked,
        s.injection_flagged,
        s.outputs_blocked_total(),
        s.admin_denied,
        s.not_allowed
    );
    if let Some((at, count)) = before {
        let minutes = now.0.duration_since(at).as_secs_f64() / 60.0;
        let rate = if minutes > 0.0 { (now.1 - count.min(now.1)) as f64 / minutes } else { 0.0 };
        if minutes >= 1.0 / 60.0 && rate > SPIKE_PER_MINUTE {
            return CheckResult::degraded(format!("{rate:.0} refusals a minute; {summary}"));
        }
    }
    CheckResult::healthy(summary)
}

/// Sets the gauges and counters read from Muse's own state, then renders.
pub(crate) fn metrics(handle: PrometheusHandle, sources: Arc<Sources>) -> MetricsRender {
    Arc::new(move || {
        for breaker in &sources.breakers {
            metrics::gauge!("muse_breaker_state", "breaker" => breaker.config().name.clone())
                .set(f64::from(breaker.state().as_gauge()));
        }
        for (limit, read) in &sources.limited {
            metrics::counter!("muse_rate_limited_total", "limit" => *limit).absolute(read());
        }
        let security = sources.security.snapshot();
        for (category, count) in &security.outputs_blocked {
            metrics::counter!("muse_drafts_blocked_total", "category" => category.clone()).absolute(*count);
        }
        metrics::counter!("muse_injection_blocked_total").absolute(security.injection_blocked);
        metrics::counter!("muse_injection_flagged_total").absolute(security.injection_flagged);
        metrics::counter!("muse_model_calls_total").absolute(sources.stats.model_calls.load(Ordering::Relaxed));
        let store = sources.store.health();
        metrics::gauge!("muse_store_flush_seconds").set(store.last_flush_duration.as_secs_f64());
        metrics::gauge!("muse_store_unflushed").set(store.dirty as f64);
        if let Some(users) = (sources.users)() {
            metrics::gauge!("muse_users").set(users as f64);
        }
        if let Some(bytes) = muse_health::resident_memory() {
            metrics::gauge!("muse_resident_memory_bytes").set(bytes as f64);
        }
        handle.render()
    })
}

/// The report as an admin reads it in Telegram.
pub(crate) fn report_text(report: &Report) -> String {
    let mark = |status: Status| match status {
        Status::Healthy => "🟢",
        Status::Degraded => "🟡",
        Status::Unhealthy => "🔴",
    };
    let mut lines = vec![format!(
        "{} overall: {:?}{}",
        mark(report.status),
        report.status,
        if report.ready { "" } else { " (not ready)" }
    )];
    lines.extend(
        report.checks.iter().map(|c| format!("{} {}: {} ({} ms)", mark(c.status), c.name, c.reason, c.duration_ms)),
    );
    lines.join("\n")
}

/// Starts the ops HTTP server on `addr` until `shutdown`.
pub(crate) async fn serve(
    addr: std::net::SocketAddr,
    runner: Arc<Runner>,
    render: MetricsRender,
    shutdown: tokio_util::sync::CancellationToken,
) -> anyhow::Result<()> {
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|err| anyhow::anyhow!("HEALTH_ADDR {addr}: {err}"))?;
    tracing::info!("ops HTTP listening on http://{}", listener.local_addr()?);
    let router = muse_health::router(runner, render);
    tokio::spawn(async move {
        if let Err(err) = muse_health::serve(listener, router, shutdown.cancelled_owned()).await {
            tracing::error!(error = %err, "the ops HTTP server stopped");
        }
    });
    Ok(())
}
