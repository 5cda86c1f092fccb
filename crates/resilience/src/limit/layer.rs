use std::fmt;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::RateLimiter;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use tower::Layer;

use super::notices::Notices;
use super::rate::Rate;
use super::service::KeyedLimit;

pub(crate) type Limiter<K, C> = RateLimiter<K, DashMapStateStore<K>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// A rate limit per key. Clones share the limiter, the notices and the count.
pub struct KeyedLimitLayer<K: Hash + Eq + Clone, F, C: Clock + Clone = DefaultClock> {
    pub(crate) limiter: Arc<Limiter<K, C>>,
    pub(crate) clock: C,
    pub(crate) notices: Arc<Notices<K>>,
    pub(crate) key: F,
    pub(crate) refused: Arc<AtomicU64>,
}

impl<K: Hash + Eq + Clone, F: Clone, C: Clock + Clone> Clone for KeyedLimitLayer<K, F, C> {
    fn clone(&self) -> Self {
        KeyedLimitLayer {
            limiter: self.limiter.clone(),
            clock: self.clock.clone(),
            notices: self.notices.clone(),
            key: self.key.clone(),
            refused: self.refused.clone(),
        }
    }
}

impl<K: Hash + Eq + Clone, F, C: Clock + Clone> fmt::Debug for KeyedLimitLayer<K, F, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedLimitLayer").field("keys", &self.limiter.len()).field("refused", &self.refused()).finish()
    }
}

impl<K: Hash + Eq + Clone, F> KeyedLimitLayer<K, F> {
    /// A limit of `rate` per key, the key taken from each request by `key`.
    pub fn new(rate: Rate, notices: Arc<Notices<K>>, key: F) -> Self {
        KeyedLimitLayer::with_clock(rate, DefaultClock::default(), notices, key)
    }
}

impl<K: Hash + Eq + Clone, F, C: Clock + Clone> KeyedLimitLayer<K, F, C> {
    /// The same with an explicit clock (tests use governor's fake clock).
    pub fn with_clock(rate: Rate, clock: C, notices: Arc<Notices<K>>, key: F) -> Self {
        let limiter = Arc::new(RateLimiter::dashmap_with_clock(rate.quota(), clock.clone()));
        KeyedLimitLayer { limiter, clock, notices, key, refused: Arc::new(AtomicU64::new(0)) }
    }

    /// Requests refused since start.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Keys the limiter tracks now.
    pub fn tracked_keys(&self) -> usize {
        self.limiter.len()
    }

    /// Drops keys whose limit has fully replenished, and closed notices.
    pub fn prune(&self) {
        prune(&self.limiter, &self.notices);
    }
}

fn prune<K: Hash + Eq + Clone, C: Clock>(limiter: &Limiter<K, C>, notices: &Notices<K>) {
    limiter.retain_recent();
    limiter.shrink_to_fit();
    notices.prune();
}

impl<K, F, C> KeyedLimitLayer<K, F, C>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    C: Clock + Clone + Send + Sync + 'static,
{
    /// Prunes every `every` on a background task, which ends when the last
    /// clone of this layer is dropped.
    pub fn spawn_pruning(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let limiter = Arc::downgrade(&self.limiter);
        let notices = Arc::downgrade(&self.notices);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                let (Some(limiter), Some(notices)) = (limiter.upgrade(), notices.upgrade()) else { return };
                prune(&limiter, &notices);
            }
        })
    }
}

impl<S, K: Hash + Eq + Clone, F: Clone, C: Clock + Clone> Layer<S> for KeyedLimitLayer<K, F, C> {
    type Service = KeyedLimit<S, K, F, C>;

    fn layer(&self, inner: S) -> Self::Service {
        KeyedLimit { inner, layer: self.clone() }
    }
}
