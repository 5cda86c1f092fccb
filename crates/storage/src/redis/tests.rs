use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use muse_testkit::RedisServer;

use super::*;
use crate::conformance;

fn store(server: &RedisServer, prefix: &str) -> RedisStore {
    let config = RedisConfig { prefix: prefix.to_owned(), ..RedisConfig::new(server.url()) };
    RedisStore::open(&config).expect("a Redis URL")
}

#[tokio::test]
async fn passes_the_conformance_suite() {
    let server = RedisServer::start().expect("redis-server");
    let next = AtomicU32::new(0);
    // Each check gets its own key space on the one server.
    conformance::run(|| {
        let prefix = format!("t{}:", next.fetch_add(1, Ordering::Relaxed));
        let store = store(&server, &prefix);
        async move { store }
    })
    .await;
}

#[tokio::test]
async fn a_document_changed_by_hand_is_refused_not_returned() {
    let server = RedisServer::start().expect("redis-server");
    let store = store(&server, "muse:");
    store.put("user-1", Document::new(1, b"{}".to_vec())).await.unwrap();
    store.put("user-2", Document::new(1, b"{}".to_vec())).await.unwrap();
    store.put("global", Document::new(1, b"{}".to_vec())).await.unwrap();
    assert_eq!(store.count("user-").await.unwrap(), 2);
    let () = store.run(::redis::cmd("SETRANGE").arg("muse:doc:user-1").arg(30).arg("x").to_owned()).await.unwrap();
    let err = store.get("user-1").await.unwrap_err();
    assert!(matches!(err, RedisStoreError::Corrupt { .. }), "{err}");
    assert!(matches!(store.put("../etc", Document::new(1, Vec::new())).await, Err(RedisStoreError::InvalidKey(_))));
}

#[tokio::test]
async fn a_lease_has_one_holder_until_released_or_expired() {
    let server = RedisServer::start().expect("redis-server");
    let (a, b) = (store(&server, "muse:"), store(&server, "muse:"));
    let ttl = Duration::from_millis(300);
    let token = a.try_lease("user-7", ttl).await.unwrap().expect("free");
    assert_eq!(b.try_lease("user-7", ttl).await.unwrap(), None, "held by a");
    assert!(a.renew_lease("user-7", &token, ttl).await.unwrap());
    assert!(!b.release_lease("user-7", "not-the-token").await.unwrap(), "only the holder releases");
    assert!(a.release_lease("user-7", &token).await.unwrap());
    let token = b.try_lease("user-7", ttl).await.unwrap().expect("released");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!b.renew_lease("user-7", &token, ttl).await.unwrap(), "expired");
    assert!(a.try_lease("user-7", ttl).await.unwrap().is_some(), "a dead holder's lease expires");
    let started = Instant::now();
    assert_eq!(b.lease("user-7", ttl, Duration::from_millis(50)).await.unwrap(), None, "still held");
    assert!(b.lease("user-7", ttl, Duration::from_secs(2)).await.unwrap().is_some(), "taken once it expires");
    assert!(started.elapsed() >= Duration::from_millis(250), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_claim_is_won_once_among_instances() {
    let server = RedisServer::start().expect("redis-server");
    let (a, b) = (store(&server, "muse:"), store(&server, "muse:"));
    let ttl = Duration::from_secs(60);
    assert!(a.claim("update-1", ttl).await.unwrap());
    assert!(!b.claim("update-1", ttl).await.unwrap());
    // Given up unfinished: another may take it.
    a.drop_claim("update-1").await.unwrap();
    assert!(b.claim("update-1", ttl).await.unwrap());
    b.finish_claim("update-1", ttl).await.unwrap();
    assert!(!a.claim("update-1", ttl).await.unwrap());
    a.drop_claim("update-1").await.unwrap();
    assert!(!a.claim("update-1", ttl).await.unwrap(), "a finished claim is not given up");
}

#[tokio::test]
async fn two_instances_share_one_rate_limit() {
    let server = RedisServer::start().expect("redis-server");
    let (a, b) = (store(&server, "muse:"), store(&server, "muse:"));
    let mut allowed = 0;
    for i in 0..40 {
        let instance = if i % 2 == 0 { &a } else { &b };
        if instance.take("model", 30).await.unwrap().is_none() {
            allowed += 1;
        }
    }
    // A burst of 30, and at most one replenished (one every 2 s) meanwhile.
    assert!((30..=31).contains(&allowed), "{allowed} of 40 allowed with 30 a minute");
    let wait = a.take("model", 30).await.unwrap().expect("refused");
    assert!(wait > Duration::from_millis(500) && wait <= Duration::from_secs(2), "{wait:?}");
    assert_eq!(a.take("other", 30).await.unwrap(), None, "limits are independent");
}

#[tokio::test]
async fn fails_fast_while_redis_is_down_and_recovers_by_itself() {
    let mut server = RedisServer::start().expect("redis-server");
    let store = store(&server, "muse:");
    store.put("global", Document::new(1, b"g".to_vec())).await.unwrap();
    server.kill();
    let started = Instant::now();
    let err = store.get("global").await.unwrap_err();
    assert!(matches!(err, RedisStoreError::Unavailable(_)), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    let health = store.health();
    assert!(!health.last_ok && health.errors >= 1 && health.last_error.is_some(), "{health:?}");
    server.restart().expect("restart");
    let mut back = None;
    for _ in 0..50 {
        if let Ok(document) = store.get("global").await {
            back = Some(document);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // AOF everysec: the write a second before the crash is on disk.
    assert_eq!(back.expect("reconnected"), Some(Document::new(1, b"g".to_vec())));
    assert!(store.health().last_ok);
}

#[test]
fn urls_are_shown_without_their_password() {
    assert_eq!(redacted("redis://:hunter2@cache:6379/0"), "redis://cache:6379/0");
    assert_eq!(redacted("rediss://user:pw@host"), "rediss://host");
    assert_eq!(redacted("redis://localhost"), "redis://localhost");
    let config = RedisConfig::new("redis://:hunter2@cache:6379");
    assert!(!format!("{config:?}").contains("hunter2"));
    let err = RedisStore::open(&RedisConfig::new("http://:hunter2@cache")).unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[tokio::test]
async fn a_dead_instances_unfinished_work_is_taken_over_once() {
    let server = RedisServer::start().expect("redis-server");
    let (a, b, c) = (store(&server, "muse:"), store(&server, "muse:"), store(&server, "muse:"));
    let ttl = Duration::from_secs(60);
    for instance in [&a, &b, &c] {
        instance.heartbeat(Duration::from_millis(300)).await.unwrap();
    }
    assert!(a.begin("updates", "1", b"one", ttl).await.unwrap());
    assert!(a.begin("updates", "2", b"two", ttl).await.unwrap());
    assert!(!b.begin("updates", "1", b"one", ttl).await.unwrap(), "claimed by a");
    a.end("updates", "2", ttl).await.unwrap();
    assert!(!b.begin("updates", "2", b"two", ttl).await.unwrap(), "finished by a: a retry is ignored");
    assert_eq!(b.orphans("updates", ttl).await.unwrap(), vec![], "a is alive");
    // a stops sending heartbeats (dies); b and c look for orphans at once.
    tokio::time::sleep(Duration::from_millis(400)).await;
    b.heartbeat(ttl).await.unwrap();
    c.heartbeat(ttl).await.unwrap();
    let (by_b, by_c) = tokio::join!(b.orphans("updates", ttl), c.orphans("updates", ttl));
    let mut taken = by_b.unwrap();
    taken.extend(by_c.unwrap());
    assert_eq!(taken, vec![("1".to_owned(), b"one".to_vec())], "taken over exactly once");
    assert!(!a.begin("updates", "1", b"one", ttl).await.unwrap());
    b.end("updates", "1", ttl).await.unwrap();
    c.end("updates", "1", ttl).await.unwrap();
    assert_eq!(c.orphans("updates", ttl).await.unwrap(), vec![], "nothing left");
}
