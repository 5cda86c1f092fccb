//! Muse's own checks, over the state other crates report: the Bot API,
//! the model provider, the store, refusals. Each judgment is a plain
//! function (or, for rates, a small stateful judge), and each check reads
//! its source through a closure, so the binary only wires sources to them.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use futures::future::BoxFuture;
use muse_resilience::{Breaker, BreakerState};
use muse_storage::{RedisHealth, StoreHealth};

use crate::check::{Check, CheckResult, FnCheck};

/// An async source: a username, a model count.
pub type Probe<T> = Arc<dyn Fn() -> BoxFuture<'static, Result<T, String>> + Send + Sync>;

/// A [`Probe`] that runs `call` on a clone of `source` each time.
pub fn probe<S, T, F, Fut>(source: S, call: F) -> Probe<T>
where
    S: Clone + Send + Sync + 'static,
    F: Fn(S) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<T, String>> + Send + 'static,
{
    Arc::new(move || Box::pin(call(source.clone())))
}

/// The `telegram` check, critical when Telegram is used (`probe` calls
/// `getMe`; without one: the terminal). `activity` reads the Unix
/// milliseconds of the last update and of the last polling error (0 for never).
pub fn telegram_check(
    probe: Option<Probe<String>>,
    activity: impl Fn() -> (u64, u64) + Send + Sync + 'static,
) -> impl Check {
    let activity = Arc::new(activity);
    FnCheck::new("telegram", probe.is_some(), move || {
        let (probe, activity) = (probe.clone(), activity.clone());
        Box::pin(async move {
            let Some(probe) = probe else { return CheckResult::healthy("not used (terminal mode)") };
            let username = probe().await;
            let (update, error) = activity();
            telegram(username, update, error)
        })
    })
}

/// The `llm` check (critical when a model is configured): `models` lists
/// the provider's models; `breakers` are the model stack's.
pub fn llm_check(models: Option<Probe<usize>>, breakers: Vec<Breaker>) -> impl Check {
    let critical = models.is_some();
    FnCheck::new("llm", critical, move || {
        let (models, breakers) = (models.clone(), breakers.clone());
        Box::pin(async move {
            let Some(models) = models else {
                return CheckResult::healthy("no model configured: the offline writer drafts");
            };
            let open: Vec<String> = breakers
                .iter()
                .filter(|b| b.state() != BreakerState::Closed)
                .map(|b| format!("{} {:?}", b.config().name, b.state()))
                .collect();
            llm(models().await, &open)
        })
    })
}

/// The `database` check (critical): the store's health, read by `health`.
pub fn database_check(health: impl Fn() -> StoreHealth + Send + Sync + 'static) -> impl Check {
    FnCheck::new("database", true, move || {
        let result = database(&health());
        Box::pin(async move { result })
    })
}

/// The `database` check when state lives in Redis (critical): `ping`
/// times a `PING`, `health` reads the connection's record.
pub fn redis_check(ping: Probe<Duration>, health: impl Fn() -> RedisHealth + Send + Sync + 'static) -> impl Check {
    let health = Arc::new(health);
    FnCheck::new("database", true, move || {
        let (ping, health) = (ping.clone(), health.clone());
        Box::pin(async move { redis(ping().await, &health()) })
    })
}

/// Redis: it answers `PING`. While it does not, Muse still drafts (see the
/// README's "When Redis is down"), but is not ready.
pub fn redis(ping: Result<Duration, String>, health: &RedisHealth) -> CheckResult {
    let server = &health.server;
    match ping {
        Ok(took) => CheckResult::healthy(format!(
            "Redis at {server} answered in {:.1} ms; {} failed commands since start",
            took.as_secs_f64() * 1000.0,
            health.errors
        )),
        Err(err) => {
            let since = health.last_error.as_ref().and_then(|(at, _)| at.elapsed().ok());
            let since = since.map_or_else(String::new, |age| format!(" (failing for {} s)", age.as_secs()));
            CheckResult::unhealthy(format!(
                "Redis at {server} is unreachable{since}: {err}; drafting goes on with default settings, \
nothing is saved, and limits are per instance until it is back"
            ))
        }
    }
}

/// The `security` check: `refusals` reads the count of refusals so far and
/// a summary; more than `per_minute` between two runs is a spike.
pub fn security_check(per_minute: f64, refusals: impl Fn() -> (u64, String) + Send + Sync + 'static) -> impl Check {
    let spike = Spike::new(per_minute);
    FnCheck::new("security", false, move || {
        let (count, summary) = refusals();
        let result = spike.judge(count, summary);
        Box::pin(async move { result })
    })
}

/// Unix milliseconds now.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

fn ago(ms: u64, now: u64) -> String {
    format!("{} s ago", now.saturating_sub(ms) / 1000)
}

/// The Bot API: `getMe` answered (`probe` is the username, or the error),
/// and no polling error in the last minute. Times are Unix milliseconds, 0
/// for never.
pub fn telegram(probe: Result<String, String>, last_update_ms: u64, last_error_ms: u64) -> CheckResult {
    let username = match probe {
        Ok(username) => username,
        Err(err) => return CheckResult::unhealthy(format!("getMe failed: {err}")),
    };
    let now = now_ms();
    let updates = if last_update_ms == 0 {
        "no update yet".to_owned()
    } else {
        format!("last update {}", ago(last_update_ms, now))
    };
    if last_error_ms != 0 && now.saturating_sub(last_error_ms) < 60_000 {
        return CheckResult::degraded(format!("@{username}: polling failed {}; {updates}", ago(last_error_ms, now)));
    }
    CheckResult::healthy(format!("@{username} answers getMe; {updates}"))
}

/// The model provider: it lists its models (`models` is how many, or the
/// error), and no breaker is open (`open` names those that are not closed).
pub fn llm(models: Result<usize, String>, open: &[String]) -> CheckResult {
    match models {
        Err(err) => CheckResult::unhealthy(format!("the provider did not list its models: {err}")),
        Ok(count) if open.is_empty() => CheckResult::healthy(format!("{count} models listed; breakers closed")),
        Ok(count) => CheckResult::degraded(format!("{count} models listed; breaker {}", open.join(", "))),
    }
}

/// The store: the last flush succeeded, nothing was quarantined, and no
/// change has waited over a minute.
pub fn database(health: &StoreHealth) -> CheckResult {
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

/// Judges a growing count by its rate between two runs: degraded above
/// `per_minute`.
#[derive(Debug)]
pub struct Spike {
    per_minute: f64,
    previous: Mutex<Option<(Instant, u64)>>,
}

impl Spike {
    /// Degraded when the count grows faster than `per_minute`.
    pub fn new(per_minute: f64) -> Spike {
        Spike { per_minute, previous: Mutex::new(None) }
    }

    /// The verdict for `count` now; `summary` says what it is made of.
    pub fn judge(&self, count: u64, summary: String) -> CheckResult {
        let now = (Instant::now(), count);
        let before = self.previous.lock().unwrap_or_else(PoisonError::into_inner).replace(now);
        if let Some((at, earlier)) = before {
            let minutes = now.0.duration_since(at).as_secs_f64() / 60.0;
            let rate = if minutes > 0.0 { count.saturating_sub(earlier) as f64 / minutes } else { 0.0 };
            if minutes >= 1.0 / 60.0 && rate > self.per_minute {
                return CheckResult::degraded(format!("{rate:.0} refusals a minute; {summary}"));
            }
        }
        CheckResult::healthy(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;

    #[test]
    fn telegram_is_degraded_after_a_recent_polling_error_and_unhealthy_without_get_me() {
        assert_eq!(telegram(Ok("bot".into()), 0, 0).status, Status::Healthy);
        assert_eq!(telegram(Ok("bot".into()), now_ms(), now_ms() - 1000).status, Status::Degraded);
        assert_eq!(telegram(Ok("bot".into()), now_ms(), now_ms() - 120_000).status, Status::Healthy);
        assert_eq!(telegram(Err("401".into()), 0, 0).status, Status::Unhealthy);
    }

    #[test]
    fn llm_reads_models_and_breakers() {
        assert_eq!(llm(Ok(2), &[]).status, Status::Healthy);
        assert_eq!(llm(Ok(2), &["main model Open".into()]).status, Status::Degraded);
        assert_eq!(llm(Err("503".into()), &[]).status, Status::Unhealthy);
    }

    #[test]
    fn the_database_fails_on_a_failed_flush() {
        let mut health = StoreHealth {
            dirty: 0,
            cached_bytes: 0,
            last_flush_ok: true,
            last_flush_at: None,
            last_flush_duration: Duration::ZERO,
            flushes: 0,
            written: 0,
            quarantined: 0,
            reads: 0,
            stale_temp_files_removed: 0,
            documents_at_open: 0,
        };
        assert_eq!(database(&health).status, Status::Healthy);
        health.quarantined = 1;
        assert_eq!(database(&health).status, Status::Degraded);
        health.last_flush_ok = false;
        assert_eq!(database(&health).status, Status::Unhealthy);
    }

    #[test]
    fn a_first_reading_is_never_a_spike() {
        assert_eq!(Spike::new(30.0).judge(1_000_000, String::new()).status, Status::Healthy);
    }
}
