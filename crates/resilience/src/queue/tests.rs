use std::sync::atomic::{AtomicUsize, Ordering};

use tower::service_fn;

use super::*;

fn config(concurrency: usize, max_wait: Duration, max_queued: usize) -> FairQueueConfig {
    FairQueueConfig { concurrency, max_wait, max_queued }
}

/// A service that sleeps `millis(request)` ms, and the most calls it ever
/// ran at once.
fn counting(
    millis: fn(u64) -> u64,
) -> (Arc<AtomicUsize>, impl Service<u64, Response = (), Error = BoxError, Future: Send> + Clone) {
    let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let seen = peak.clone();
    let inner = service_fn(move |request: u64| {
        let (now, peak) = (now.clone(), seen.clone());
        async move {
            let running = now.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(running, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(millis(request))).await;
            now.fetch_sub(1, Ordering::SeqCst);
            Ok::<_, BoxError>(())
        }
    });
    (peak, inner)
}

/// A service that takes 100 ms and logs who it served, in order.
fn slow(
    log: Arc<Mutex<Vec<(u64, u32)>>>,
) -> impl Service<(u64, u32), Response = (), Error = BoxError, Future: Send> + Clone {
    service_fn(move |(user, n): (u64, u32)| {
        let log = log.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            log.lock().unwrap().push((user, n));
            Ok::<_, BoxError>(())
        }
    })
}

#[tokio::test(start_paused = true)]
async fn one_users_burst_does_not_starve_another() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let layer = FairQueueLayer::new(config(1, Duration::from_secs(60), 100), |r: &(u64, u32)| r.0);
    let service = layer.layer(slow(log.clone()));
    let mut calls = Vec::new();
    for n in 0..10 {
        calls.push(tokio::spawn(service.clone().oneshot((1, n))));
        tokio::task::yield_now().await;
    }
    calls.push(tokio::spawn(service.clone().oneshot((2, 0))));
    for call in calls {
        call.await.unwrap().unwrap();
    }
    let log = log.lock().unwrap().clone();
    let other = log.iter().position(|(user, _)| *user == 2).unwrap();
    assert!(other <= 2, "user 2 waited one turn, not ten: {log:?}");
    let ones: Vec<u32> = log.iter().filter(|(u, _)| *u == 1).map(|(_, n)| *n).collect();
    assert_eq!(ones, (0..10).collect::<Vec<_>>(), "each user's calls keep their order");
}

#[tokio::test(start_paused = true)]
async fn a_call_waits_at_most_max_wait_and_the_queue_is_bounded() {
    let running = Arc::new(AtomicUsize::new(0));
    let seen = running.clone();
    let inner = service_fn(move |_: u64| {
        let seen = seen.clone();
        async move {
            seen.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok::<_, BoxError>(())
        }
    });
    let layer = FairQueueLayer::new(config(1, Duration::from_secs(10), 1), |u: &u64| *u);
    let service = layer.layer(inner);
    let busy = tokio::spawn(service.clone().oneshot(1));
    tokio::task::yield_now().await;
    let waiting = tokio::spawn(service.clone().oneshot(2));
    tokio::task::yield_now().await;
    assert_eq!(layer.queue().waiting(), 1);
    let full = service.clone().oneshot(3).await.unwrap_err();
    assert_eq!(full.downcast_ref::<QueueFull>(), Some(&QueueFull { queued: 1 }));
    let timed_out = waiting.await.unwrap().unwrap_err();
    let waited = timed_out.downcast_ref::<QueueTimeout>().expect("a timeout").waited;
    assert!(waited >= Duration::from_secs(10) && waited < Duration::from_secs(11), "{waited:?}");
    assert_eq!(layer.queue().waiting(), 0, "a call that gave up leaves the queue");
    busy.await.unwrap().unwrap();
    assert_eq!(running.load(Ordering::SeqCst), 1, "only the first call ran");
    service.oneshot(4).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn slots_are_reused_and_never_exceeded() {
    let (peak, inner) = counting(|_| 50);
    let service = FairQueueLayer::new(config(3, Duration::from_secs(60), 1000), |u: &u64| *u % 7).layer(inner);
    let calls: Vec<_> = (0..50).map(|u| tokio::spawn(service.clone().oneshot(u))).collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(peak.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn timeouts_racing_hand_overs_never_lose_or_double_a_slot() {
    let (peak, inner) = counting(|ms| ms);
    // Waits of exactly the calls' length make timers and hand-overs coincide.
    let layer = FairQueueLayer::new(config(2, Duration::from_millis(50), 1000), |ms: &u64| *ms % 5);
    let service = layer.layer(inner);
    let calls: Vec<_> = (0..300).map(|i| tokio::spawn(service.clone().oneshot(25 + (i % 3) * 25))).collect();
    let mut timed_out = 0;
    for call in calls {
        timed_out += usize::from(call.await.unwrap().is_err());
    }
    assert!(timed_out > 0, "the race was exercised");
    assert_eq!(peak.load(Ordering::SeqCst), 2, "never more than the slots");
    assert_eq!(layer.queue().waiting(), 0);
    // Both slots are free again: two 40 ms calls run side by side.
    let started = tokio::time::Instant::now();
    let both: Vec<_> = (0..2).map(|_| tokio::spawn(service.clone().oneshot(40))).collect();
    for call in both {
        call.await.unwrap().unwrap();
    }
    assert!(started.elapsed() < Duration::from_millis(60), "{:?}", started.elapsed());
}

#[tokio::test(start_paused = true)]
async fn a_waiting_key_gets_an_estimate_from_how_long_slots_are_held() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let layer = FairQueueLayer::new(config(1, Duration::from_secs(60), 100), |r: &(u64, u32)| r.0);
    let service = layer.layer(slow(log));
    service.clone().oneshot((1, 0)).await.unwrap();
    assert_eq!(layer.queue().estimate(&1), None, "not waiting");
    let first = tokio::spawn(service.clone().oneshot((1, 1)));
    tokio::task::yield_now().await;
    let calls: Vec<_> = (2..=4).map(|user| tokio::spawn(service.clone().oneshot((user, 0)))).collect();
    tokio::task::yield_now().await;
    let estimate = layer.queue().estimate(&3).expect("user 3 waits");
    assert_eq!(estimate, Duration::from_millis(300), "three waiting on one slot held 100 ms");
    first.await.unwrap().unwrap();
    for call in calls {
        call.await.unwrap().unwrap();
    }
}
