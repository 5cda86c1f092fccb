//! Checks, their results, and the runner that runs them all at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::{BoxFuture, join_all};
use serde::Serialize;

/// How a check (or the whole system) is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Working as it should.
    Healthy,
    /// Working, but something needs attention.
    Degraded,
    /// Not working.
    Unhealthy,
}

/// What one check found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// The verdict.
    pub status: Status,
    /// Why, in a few words a person understands.
    pub reason: String,
}

impl CheckResult {
    /// A healthy result.
    pub fn healthy(reason: impl Into<String>) -> CheckResult {
        CheckResult { status: Status::Healthy, reason: reason.into() }
    }

    /// A degraded result.
    pub fn degraded(reason: impl Into<String>) -> CheckResult {
        CheckResult { status: Status::Degraded, reason: reason.into() }
    }

    /// An unhealthy result.
    pub fn unhealthy(reason: impl Into<String>) -> CheckResult {
        CheckResult { status: Status::Unhealthy, reason: reason.into() }
    }
}

/// One health check.
pub trait Check: Send + Sync {
    /// Its name in reports: `system`, `llm`, ...
    fn name(&self) -> &'static str;
    /// Whether an unhealthy result makes the service not ready.
    fn critical(&self) -> bool {
        false
    }
    /// Runs the check.
    fn run(&self) -> BoxFuture<'_, CheckResult>;
}

/// A check made of a closure, for checks that read other crates' state.
pub struct FnCheck<F> {
    name: &'static str,
    critical: bool,
    run: F,
}

impl<F> FnCheck<F>
where
    F: Fn() -> BoxFuture<'static, CheckResult> + Send + Sync,
{
    /// A check named `name`; `critical` checks decide readiness.
    pub fn new(name: &'static str, critical: bool, run: F) -> FnCheck<F> {
        FnCheck { name, critical, run }
    }
}

impl<F> Check for FnCheck<F>
where
    F: Fn() -> BoxFuture<'static, CheckResult> + Send + Sync,
{
    fn name(&self) -> &'static str {
        self.name
    }

    fn critical(&self) -> bool {
        self.critical
    }

    fn run(&self) -> BoxFuture<'_, CheckResult> {
        (self.run)()
    }
}

/// One check's line in a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// The check.
    pub name: &'static str,
    /// Whether it decides readiness.
    pub critical: bool,
    /// Its verdict.
    pub status: Status,
    /// Why.
    pub reason: String,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
}

/// Every check's result and the summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The worst status of all checks.
    pub status: Status,
    /// Whether no critical check is unhealthy.
    pub ready: bool,
    /// Each check, in the order they were registered.
    pub checks: Vec<CheckReport>,
}

impl Report {
    /// The reasons readiness fails, one per unhealthy critical check.
    pub fn not_ready_reasons(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| c.critical && c.status == Status::Unhealthy)
            .map(|c| format!("{}: {}", c.name, c.reason))
            .collect()
    }
}

/// The report as a person reads it: one line a check, marked 🟢 🟡 🔴.
impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mark = |status: Status| match status {
            Status::Healthy => "🟢",
            Status::Degraded => "🟡",
            Status::Unhealthy => "🔴",
        };
        let ready = if self.ready { "" } else { " (not ready)" };
        write!(f, "{} overall: {:?}{ready}", mark(self.status), self.status)?;
        for c in &self.checks {
            write!(f, "\n{} {}: {} ({} ms)", mark(c.status), c.name, c.reason, c.duration_ms)?;
        }
        Ok(())
    }
}

/// Runs checks in parallel, each under its own timeout.
#[derive(Clone)]
pub struct Runner {
    checks: Vec<Arc<dyn Check>>,
    timeout: Duration,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.checks.iter().map(|c| c.name()).collect();
        f.debug_struct("Runner").field("checks", &names).field("timeout", &self.timeout).finish()
    }
}

impl Runner {
    /// A runner giving each check at most `timeout`.
    pub fn new(timeout: Duration) -> Runner {
        Runner { checks: Vec::new(), timeout }
    }

    /// Adds a check.
    pub fn with(mut self, check: impl Check + 'static) -> Runner {
        self.checks.push(Arc::new(check));
        self
    }

    /// Runs every check at once and sums them up.
    pub async fn run(&self) -> Report {
        let runs = self.checks.iter().map(|check| async move {
            let started = Instant::now();
            let result = match tokio::time::timeout(self.timeout, check.run()).await {
                Ok(result) => result,
                Err(_) => CheckResult::unhealthy(format!("no answer within {:?}", self.timeout)),
            };
            CheckReport {
                name: check.name(),
                critical: check.critical(),
                status: result.status,
                reason: result.reason,
                duration_ms: started.elapsed().as_millis() as u64,
            }
        });
        let checks = join_all(runs).await;
        let status = checks.iter().map(|c| c.status).max().unwrap_or(Status::Healthy);
        let ready = !checks.iter().any(|c| c.critical && c.status == Status::Unhealthy);
        Report { status, ready, checks }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &'static str, critical: bool, result: CheckResult, delay: Duration) -> impl Check {
        FnCheck::new(name, critical, move || {
            let result = result.clone();
            Box::pin(async move {
                tokio::time::sleep(delay).await;
                result
            })
        })
    }

    #[tokio::test(start_paused = true)]
    async fn checks_run_in_parallel_under_their_own_timeout() {
        let runner = Runner::new(Duration::from_secs(2))
            .with(check("a", false, CheckResult::healthy("fine"), Duration::from_secs(1)))
            .with(check("b", false, CheckResult::degraded("meh"), Duration::from_secs(1)))
            .with(check("slow", false, CheckResult::healthy("late"), Duration::from_secs(60)));
        let started = tokio::time::Instant::now();
        let report = runner.run().await;
        assert_eq!(started.elapsed(), Duration::from_secs(2), "in parallel, bounded by the timeout");
        assert_eq!(report.status, Status::Unhealthy);
        assert_eq!(report.checks[2].reason, "no answer within 2s");
        assert!(report.ready, "no critical check failed");
    }

    #[tokio::test(start_paused = true)]
    async fn an_unhealthy_critical_check_makes_it_not_ready() {
        let runner = Runner::new(Duration::from_secs(1))
            .with(check("llm", true, CheckResult::unhealthy("provider down"), Duration::ZERO))
            .with(check("system", false, CheckResult::healthy("ok"), Duration::ZERO));
        let report = runner.run().await;
        assert!(!report.ready);
        assert_eq!(report.not_ready_reasons(), ["llm: provider down"]);
        let text = report.to_string();
        assert!(text.starts_with("🔴 overall: Unhealthy (not ready)\n🔴 llm: provider down ("), "{text}");
        assert!(text.contains("🟢 system: ok"), "{text}");
    }
}
