use std::time::Duration;

use governor::clock::FakeRelativeClock;
use tower::{BoxError, ServiceBuilder, ServiceExt, service_fn};

use tower::Layer;

use super::*;

fn per_minute(n: u32) -> Rate {
    Rate::per_minute(n).unwrap()
}

fn echo() -> impl tower::Service<(u64, u32), Response = u32, Error = BoxError, Future = impl Send> + Clone {
    service_fn(|(_, x): (u64, u32)| async move { Ok::<_, BoxError>(x) })
}

#[tokio::test]
async fn each_key_has_its_own_quota_and_one_notice_per_window() {
    let layer = KeyedLimitLayer::new(per_minute(3), Notices::new(), |req: &(u64, u32)| req.0);
    let service = ServiceBuilder::new().layer(layer.clone()).service(echo());
    for i in 0..3 {
        assert_eq!(service.clone().oneshot((1, i)).await.unwrap(), i);
    }
    let first = service.clone().oneshot((1, 9)).await.unwrap_err().downcast::<RateLimited>().unwrap();
    assert!(first.notify);
    assert!(first.wait > Duration::from_secs(15) && first.wait <= Duration::from_secs(20), "{:?}", first.wait);
    let second = service.clone().oneshot((1, 9)).await.unwrap_err().downcast::<RateLimited>().unwrap();
    assert!(!second.notify, "one notice per window");
    assert_eq!(service.clone().oneshot((2, 5)).await.unwrap(), 5, "another key is not limited");
    assert_eq!(layer.refused(), 2);
}

#[tokio::test]
async fn two_limits_sharing_notices_notify_once() {
    let notices = Notices::new();
    let general = KeyedLimitLayer::new(per_minute(5), notices.clone(), |req: &(u64, u32)| req.0);
    let strict = KeyedLimitLayer::new(per_minute(2), notices, |req: &(u64, u32)| req.0);
    let service = ServiceBuilder::new().layer(general).layer(strict).service(echo());
    let mut notified = 0;
    for i in 0..20 {
        if let Err(err) = service.clone().oneshot((1, i)).await {
            notified += usize::from(err.downcast::<RateLimited>().unwrap().notify);
        }
    }
    assert_eq!(notified, 1);
}

#[test]
fn idle_keys_are_pruned() {
    let clock = FakeRelativeClock::default();
    let layer = KeyedLimitLayer::with_clock(per_minute(60), clock.clone(), Notices::new(), |req: &u64| *req);
    let mut service = layer.layer(service_fn(|x: u64| async move { Ok::<_, BoxError>(x) }));
    for user in 0..1000 {
        drop(tower::Service::call(&mut service, user));
    }
    assert_eq!(layer.tracked_keys(), 1000);
    clock.advance(Duration::from_secs(2));
    layer.prune();
    assert_eq!(layer.tracked_keys(), 0, "a key idle past its replenish time is forgotten");
}

#[tokio::test]
async fn a_shared_limit_decides_while_it_answers_and_the_local_one_when_it_fails() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU8, Ordering};

    // 0: allow, 1: refuse for 7 s, 2: unreachable.
    let mode = Arc::new(AtomicU8::new(0));
    let seen = mode.clone();
    let remote: Remote<u64> = Arc::new(move |_key: &u64| {
        let verdict = match seen.load(Ordering::Relaxed) {
            0 => Ok(None),
            1 => Ok(Some(Duration::from_secs(7))),
            _ => Err("connection refused".into()),
        };
        Box::pin(async move { verdict })
    });
    let local = KeyedLimitLayer::new(per_minute(2), Notices::new(), |req: &(u64, u32)| req.0);
    let shared = SharedLimitLayer::new(Some(remote), local.clone());
    let service = ServiceBuilder::new().layer(shared.clone()).service(echo());
    for i in 0..5 {
        assert_eq!(service.clone().oneshot((1, i)).await.unwrap(), i, "the shared limit allows");
    }
    mode.store(1, Ordering::Relaxed);
    let refused = service.clone().oneshot((1, 9)).await.unwrap_err().downcast::<RateLimited>().unwrap();
    assert_eq!((refused.wait, refused.notify), (Duration::from_secs(7), true));
    let again = service.clone().oneshot((1, 9)).await.unwrap_err().downcast::<RateLimited>().unwrap();
    assert!(!again.notify, "one notice per window, as locally");
    mode.store(2, Ordering::Relaxed);
    // Unreachable: the local limit of 2 a minute applies, not no limit.
    assert!(service.clone().oneshot((2, 1)).await.is_ok());
    assert!(service.clone().oneshot((2, 2)).await.is_ok());
    assert!(service.clone().oneshot((2, 3)).await.unwrap_err().is::<RateLimited>());
    assert_eq!(shared.fallbacks(), 3);
    assert_eq!(local.refused(), 3, "refusals count in one place");
}

#[tokio::test]
async fn without_a_shared_limit_it_is_the_local_one() {
    let local = KeyedLimitLayer::new(per_minute(1), Notices::new(), |req: &(u64, u32)| req.0);
    let service = ServiceBuilder::new().layer(SharedLimitLayer::new(None, local)).service(echo());
    assert!(service.clone().oneshot((1, 1)).await.is_ok());
    assert!(service.clone().oneshot((1, 2)).await.unwrap_err().is::<RateLimited>());
}
