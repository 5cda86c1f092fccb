use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use proptest::prelude::*;
use tower::{BoxError, Service, ServiceBuilder, ServiceExt, service_fn};

use super::*;

fn config(window: usize, minimum_calls: usize, probes: usize) -> BreakerConfig {
    BreakerConfig {
        name: "test".into(),
        window,
        minimum_calls,
        failure_rate: 0.5,
        slow_call_duration: Duration::from_secs(5),
        slow_call_rate: 0.5,
        open_wait: Duration::from_secs(30),
        half_open_probes: probes,
    }
}

#[derive(Debug)]
struct Fail(&'static str);
impl std::fmt::Display for Fail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}
impl std::error::Error for Fail {}

fn classify(err: &BoxError) -> Outcome {
    match err.downcast_ref::<Fail>() {
        Some(Fail("client")) => Outcome::Ignored,
        _ => Outcome::Failure,
    }
}

/// A service that answers by script and counts calls: "ok", "fail",
/// "client" (ignored), "slow" (6 s then ok).
fn scripted(calls: Arc<AtomicUsize>) -> impl Service<&'static str, Response = (), Error = BoxError> + Clone {
    service_fn(move |what: &'static str| {
        calls.fetch_add(1, Ordering::SeqCst);
        async move {
            match what {
                "ok" => Ok(()),
                "slow" => {
                    tokio::time::sleep(Duration::from_secs(6)).await;
                    Ok(())
                }
                other => Err(Box::new(Fail(other)) as BoxError),
            }
        }
    })
}

#[tokio::test(start_paused = true)]
async fn opens_on_the_failure_rate_and_rejects_without_calling() {
    let calls = Arc::new(AtomicUsize::new(0));
    let breaker = Breaker::new(config(4, 4, 1));
    let mut service =
        ServiceBuilder::new().layer(BreakerLayer::new(breaker.clone(), classify)).service(scripted(calls.clone()));
    for what in ["ok", "fail", "ok"] {
        let _ = service.ready().await.unwrap().call(what).await;
        assert_eq!(breaker.state(), BreakerState::Closed, "fewer than the minimum calls are not judged");
    }
    let _ = service.ready().await.unwrap().call("fail").await; // 2 of 4 failed: 50%
    assert_eq!(breaker.state(), BreakerState::Open);
    let err = service.ready().await.unwrap().call("ok").await.unwrap_err();
    assert!(err.is::<BreakerOpen>());
    assert_eq!(calls.load(Ordering::SeqCst), 4, "a rejected call never reaches the service");
    assert_eq!(breaker.snapshot().rejected, 1);
}

#[tokio::test(start_paused = true)]
async fn after_the_wait_one_probe_closes_it() {
    let calls = Arc::new(AtomicUsize::new(0));
    let breaker = Breaker::new(config(2, 2, 1));
    let mut service =
        ServiceBuilder::new().layer(BreakerLayer::new(breaker.clone(), classify)).service(scripted(calls.clone()));
    for _ in 0..2 {
        let _ = service.ready().await.unwrap().call("fail").await;
    }
    assert_eq!(breaker.state(), BreakerState::Open);
    tokio::time::advance(Duration::from_secs(29)).await;
    assert!(service.ready().await.unwrap().call("ok").await.unwrap_err().is::<BreakerOpen>());
    tokio::time::advance(Duration::from_secs(1)).await;
    service.ready().await.unwrap().call("ok").await.unwrap();
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn a_failed_probe_opens_it_again_and_extra_calls_are_rejected_while_probing() {
    let breaker = Breaker::new(config(2, 2, 2));
    for _ in 0..2 {
        let permit = breaker.try_acquire().unwrap();
        breaker.record(permit, Outcome::Failure, Duration::ZERO);
    }
    tokio::time::advance(Duration::from_secs(30)).await;
    let first = breaker.try_acquire().unwrap();
    let second = breaker.try_acquire().unwrap();
    assert_eq!(breaker.state(), BreakerState::HalfOpen);
    assert!(breaker.try_acquire().is_err(), "only two probes");
    breaker.record(first, Outcome::Success, Duration::ZERO);
    assert_eq!(breaker.state(), BreakerState::HalfOpen, "probes are judged together");
    breaker.record(second, Outcome::Failure, Duration::ZERO);
    assert_eq!(breaker.state(), BreakerState::Open, "one of two probes failed: 50%");
    assert_eq!(breaker.snapshot().opened, 2);
}

#[tokio::test(start_paused = true)]
async fn ignored_errors_do_not_count() {
    let calls = Arc::new(AtomicUsize::new(0));
    let breaker = Breaker::new(config(2, 2, 1));
    let mut service =
        ServiceBuilder::new().layer(BreakerLayer::new(breaker.clone(), classify)).service(scripted(calls));
    for _ in 0..10 {
        let _ = service.ready().await.unwrap().call("client").await;
    }
    assert_eq!(breaker.state(), BreakerState::Closed);
    assert_eq!(breaker.snapshot().recorded, 0);
}

#[tokio::test(start_paused = true)]
async fn slow_calls_open_it() {
    let calls = Arc::new(AtomicUsize::new(0));
    let breaker = Breaker::new(config(2, 2, 1));
    let mut service =
        ServiceBuilder::new().layer(BreakerLayer::new(breaker.clone(), classify)).service(scripted(calls));
    service.ready().await.unwrap().call("slow").await.unwrap();
    service.ready().await.unwrap().call("ok").await.unwrap();
    assert_eq!(breaker.state(), BreakerState::Open, "1 of 2 slow reaches the 50% slow-call rate");
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_probe_frees_its_slot() {
    let calls = Arc::new(AtomicUsize::new(0));
    let breaker = Breaker::new(config(1, 1, 1));
    let mut service =
        ServiceBuilder::new().layer(BreakerLayer::new(breaker.clone(), classify)).service(scripted(calls));
    let _ = service.ready().await.unwrap().call("fail").await;
    tokio::time::advance(Duration::from_secs(30)).await;
    let probe = service.ready().await.unwrap().call("slow");
    drop(probe); // e.g. a deadline above fired
    service.ready().await.unwrap().call("ok").await.unwrap();
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Acquire,
    Finish(usize, Outcome),
    Wait,
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![Just(Outcome::Success), Just(Outcome::Failure), Just(Outcome::Ignored)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Acquire),
        3 => (0usize..8, outcome()).prop_map(|(i, o)| Op::Finish(i, o)),
        1 => Just(Op::Wait),
    ]
}

fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap()
}

proptest! {
    /// In closed state, the breaker opens at exactly the first recorded call
    /// where the window holds at least the minimum and the failure rate
    /// reaches the threshold; a plain model of the window says when.
    #[test]
    fn opens_exactly_when_the_window_crosses_the_threshold(
        outcomes in proptest::collection::vec(outcome(), 0..60),
        window in 1usize..10,
        minimum in 1usize..10,
        threshold in 0.1f64..1.0,
    ) {
        paused_runtime().block_on(async {
            let breaker = Breaker::new(BreakerConfig {
                failure_rate: threshold,
                slow_call_rate: 1.1, // never by slowness here
                ..config(window, minimum, 1)
            });
            let mut model: std::collections::VecDeque<bool> = Default::default();
            for outcome in outcomes {
                let permit = breaker.try_acquire().unwrap();
                breaker.record(permit, outcome, Duration::ZERO);
                if outcome != Outcome::Ignored {
                    model.push_back(outcome == Outcome::Failure);
                    if model.len() > window { model.pop_front(); }
                }
                let failed = model.iter().filter(|f| **f).count() as f64;
                let should_open = model.len() >= minimum && failed / model.len() as f64 >= threshold;
                let expected = if should_open { BreakerState::Open } else { BreakerState::Closed };
                prop_assert_eq!(breaker.state(), expected);
                if should_open { break; }
            }
            Ok(())
        })?;
    }

    /// Whatever happens, never more than the allowed probes are out at once
    /// while half-open, and nothing is let through while open.
    #[test]
    fn never_more_than_the_allowed_probes(ops in proptest::collection::vec(op(), 0..80), probes in 1usize..4) {
        paused_runtime().block_on(async {
            let breaker = Breaker::new(config(2, 1, probes));
            let mut out: Vec<Option<(Permit, bool)>> = Vec::new();
            for op in ops {
                match op {
                    Op::Acquire => {
                        let before = breaker.state();
                        match breaker.try_acquire() {
                            Ok(permit) => {
                                let probing = breaker.state() == BreakerState::HalfOpen;
                                prop_assert!(before != BreakerState::Open || probing, "let through while open");
                                out.push(Some((permit, probing)));
                            }
                            Err(_) => prop_assert_ne!(before, BreakerState::Closed),
                        }
                    }
                    Op::Finish(i, outcome) => {
                        if let Some(slot) = out.get_mut(i) && let Some((permit, _)) = slot.take() {
                            breaker.record(permit, outcome, Duration::ZERO);
                        }
                    }
                    Op::Wait => tokio::time::advance(Duration::from_secs(31)).await,
                }
                if breaker.state() == BreakerState::HalfOpen {
                    let probing = out.iter().flatten().filter(|(_, probe)| *probe).count();
                    prop_assert!(probing <= probes, "{probing} probes out, {probes} allowed");
                }
            }
            Ok(())
        })?;
    }
}
