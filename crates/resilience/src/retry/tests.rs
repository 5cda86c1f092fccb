use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::time::Instant;
use tower::retry::RetryLayer;
use tower::{BoxError, ServiceBuilder, ServiceExt, service_fn};

use super::*;

#[derive(Debug)]
struct Transient(Option<Duration>);
impl std::fmt::Display for Transient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("transient")
    }
}
impl std::error::Error for Transient {}

fn classify(err: &BoxError) -> RetryDecision {
    match err.downcast_ref::<Transient>() {
        Some(Transient(after)) => RetryDecision::Retry { after: *after },
        None => RetryDecision::Never,
    }
}

/// Fails `failures` times with `error`, then succeeds; records call times.
fn flaky(
    failures: usize,
    after: Option<Duration>,
    permanent: bool,
) -> (impl tower::Service<u32, Response = u32, Error = BoxError, Future = impl Send> + Clone, Arc<Mutex<Vec<Instant>>>)
{
    let times = Arc::new(Mutex::new(Vec::new()));
    let seen = times.clone();
    let count = Arc::new(AtomicUsize::new(0));
    let service = service_fn(move |x: u32| {
        seen.lock().unwrap().push(Instant::now());
        let n = count.fetch_add(1, Ordering::SeqCst);
        async move {
            if n < failures {
                if permanent {
                    return Err::<u32, BoxError>("permanent".into());
                }
                return Err(Box::new(Transient(after)) as BoxError);
            }
            Ok(x)
        }
    });
    (service, times)
}

fn policy(config: RetryConfig) -> RetryPolicy {
    RetryPolicy::new(config, RetryPolicy::budget(1.0, 100), classify)
}

#[tokio::test(start_paused = true)]
async fn retries_transient_errors_up_to_the_attempt_limit() {
    let (service, times) = flaky(2, None, false);
    let service = ServiceBuilder::new().layer(RetryLayer::new(policy(RetryConfig::default()))).service(service);
    assert_eq!(service.oneshot(7).await.unwrap(), 7);
    assert_eq!(times.lock().unwrap().len(), 3);
    let (service, times) = flaky(5, None, false);
    let service = ServiceBuilder::new().layer(RetryLayer::new(policy(RetryConfig::default()))).service(service);
    assert!(service.oneshot(7).await.is_err());
    assert_eq!(times.lock().unwrap().len(), 3, "max_attempts counts the first attempt");
}

#[tokio::test(start_paused = true)]
async fn permanent_errors_are_not_retried() {
    let (service, times) = flaky(1, None, true);
    let service = ServiceBuilder::new().layer(RetryLayer::new(policy(RetryConfig::default()))).service(service);
    assert!(service.oneshot(1).await.is_err());
    assert_eq!(times.lock().unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_the_minimum_delay() {
    let (service, times) = flaky(1, Some(Duration::from_secs(2)), false);
    let service = ServiceBuilder::new().layer(RetryLayer::new(policy(RetryConfig::default()))).service(service);
    service.oneshot(1).await.unwrap();
    let times = times.lock().unwrap();
    assert!(times[1] - times[0] >= Duration::from_secs(2), "waited {:?}", times[1] - times[0]);
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_beyond_the_cap_is_not_waited_for() {
    let (service, times) = flaky(1, Some(Duration::from_secs(60)), false);
    let service = ServiceBuilder::new().layer(RetryLayer::new(policy(RetryConfig::default()))).service(service);
    assert!(service.oneshot(1).await.is_err());
    assert_eq!(times.lock().unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_shared_budget_caps_retries_across_requests() {
    // No floor, 10% of requests: 20 failing requests may retry twice at most.
    let budget = RetryPolicy::budget(0.1, 0);
    let shared = RetryPolicy::new(RetryConfig { max_attempts: 5, ..RetryConfig::default() }, budget, classify);
    let (service, times) = flaky(usize::MAX, None, false);
    let service = ServiceBuilder::new().layer(RetryLayer::new(shared)).service(service);
    for i in 0..20 {
        let _ = service.clone().oneshot(i).await;
    }
    let calls = times.lock().unwrap().len();
    assert!(calls <= 22, "{calls} calls for 20 requests");
}

#[tokio::test(start_paused = true)]
async fn each_request_draws_its_own_delays() {
    let p = policy(RetryConfig {
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(8),
        ..RetryConfig::default()
    });
    let mut rng = StdRng::seed_from_u64(9);
    let delays: Vec<Duration> = (0..20).map(|_| p.delay(1, None, &mut rng)).collect();
    let distinct: std::collections::HashSet<_> = delays.iter().collect();
    assert!(distinct.len() > 15, "full jitter spreads retries: {delays:?}");
}

proptest! {
    #[test]
    fn delays_stay_within_the_capped_exponential(retry in 1u32..40, seed: u64, after_ms in proptest::option::of(0u64..20_000)) {
        let config = RetryConfig::default();
        let p = policy(config.clone());
        let after = after_ms.map(Duration::from_millis);
        let delay = p.delay(retry, after, &mut StdRng::seed_from_u64(seed));
        let ceiling = config.base_delay.saturating_mul(1 << (retry - 1).min(30)).min(config.max_delay);
        prop_assert!(delay <= ceiling.max(after.unwrap_or_default()));
        prop_assert!(delay >= after.unwrap_or_default());
    }
}
