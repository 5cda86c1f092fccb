//! Rate limits keyed by anything (a user id, or `()` for a global cap),
//! with governor's GCRA limiter.
//!
//! A limited request fails at once with [`RateLimited`], which says how long
//! to wait and whether to tell the user: [`Notices`] lets one notice out per
//! key and window, so a user hammering the bot hears about it once and then
//! nothing until the window is over. Several layers can share one
//! [`Notices`] so two limits never notify twice. Idle keys are pruned (see
//! [`KeyedLimitLayer::spawn_pruning`]) so memory stays bounded by the number
//! of recently active keys.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use std::future::Future;
use std::pin::Pin;

use pin_project_lite::pin_project;
use tower::{BoxError, Layer, Service};

type Limiter<K, C> = RateLimiter<K, DashMapStateStore<K>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// The request was over its limit and was not passed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimited {
    /// How long until a request would pass.
    pub wait: Duration,
    /// Whether this is the first refusal in the window: tell the user.
    pub notify: bool,
}

impl fmt::Display for RateLimited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rate limited; next request allowed in {:.1} s", self.wait.as_secs_f64())
    }
}

impl std::error::Error for RateLimited {}

/// Who has been told about a limit, and until when.
#[derive(Debug)]
pub struct Notices<K> {
    until: Mutex<HashMap<K, Instant>>,
}

impl<K: Hash + Eq + Clone> Notices<K> {
    /// An empty board, to share between layers.
    pub fn new() -> Arc<Notices<K>> {
        Arc::new(Notices { until: Mutex::new(HashMap::new()) })
    }

    /// Whether `key` should be told to wait `wait` now: true once, then
    /// false until that wait is over.
    pub fn should_notify(&self, key: &K, wait: Duration) -> bool {
        let now = Instant::now();
        let mut until = self.until.lock().unwrap_or_else(PoisonError::into_inner);
        match until.get(key) {
            Some(deadline) if *deadline > now => false,
            _ => {
                until.insert(key.clone(), now + wait);
                true
            }
        }
    }

    /// Forgets notices whose window is over.
    pub fn prune(&self) {
        let now = Instant::now();
        self.until.lock().unwrap_or_else(PoisonError::into_inner).retain(|_, deadline| *deadline > now);
    }

    /// Keys with a notice window still open.
    pub fn len(&self) -> usize {
        self.until.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether no notice window is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A rate limit per key. Clones share the limiter, the notices and the count.
pub struct KeyedLimitLayer<K: Hash + Eq + Clone, F, C: Clock + Clone = DefaultClock> {
    limiter: Arc<Limiter<K, C>>,
    clock: C,
    notices: Arc<Notices<K>>,
    key: F,
    refused: Arc<AtomicU64>,
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
    /// A limit of `quota` per key, the key taken from each request by `key`.
    pub fn new(quota: Quota, notices: Arc<Notices<K>>, key: F) -> Self {
        KeyedLimitLayer::with_clock(quota, DefaultClock::default(), notices, key)
    }
}

impl<K: Hash + Eq + Clone, F, C: Clock + Clone> KeyedLimitLayer<K, F, C> {
    /// The same with an explicit clock (tests use governor's fake clock).
    pub fn with_clock(quota: Quota, clock: C, notices: Arc<Notices<K>>, key: F) -> Self {
        let limiter = Arc::new(RateLimiter::dashmap_with_clock(quota, clock.clone()));
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
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
        self.notices.prune();
    }
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
                limiter.retain_recent();
                limiter.shrink_to_fit();
                notices.prune();
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

/// The service of [`KeyedLimitLayer`].
pub struct KeyedLimit<S, K: Hash + Eq + Clone, F, C: Clock + Clone> {
    inner: S,
    layer: KeyedLimitLayer<K, F, C>,
}

impl<S: Clone, K: Hash + Eq + Clone, F: Clone, C: Clock + Clone> Clone for KeyedLimit<S, K, F, C> {
    fn clone(&self) -> Self {
        KeyedLimit { inner: self.inner.clone(), layer: self.layer.clone() }
    }
}

impl<S: fmt::Debug, K: Hash + Eq + Clone, F, C: Clock + Clone> fmt::Debug for KeyedLimit<S, K, F, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedLimit").field("inner", &self.inner).field("layer", &self.layer).finish()
    }
}

impl<S, Req, K, F, C> Service<Req> for KeyedLimit<S, K, F, C>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
    K: Hash + Eq + Clone,
    F: Fn(&Req) -> K,
    C: Clock + Clone,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        let key = (self.layer.key)(&request);
        match self.layer.limiter.check_key(&key) {
            Ok(()) => ResponseFuture { kind: Kind::Called { future: self.inner.call(request) } },
            Err(not_until) => {
                self.layer.refused.fetch_add(1, Ordering::Relaxed);
                let wait = not_until.wait_time_from(self.layer.clock.now());
                let notify = self.layer.notices.should_notify(&key, wait);
                ResponseFuture { kind: Kind::Limited { refusal: Some(RateLimited { wait, notify }) } }
            }
        }
    }
}

pin_project! {
    /// The response future of [`KeyedLimit`]: the inner call, or an
    /// immediate refusal.
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Called { #[pin] future: F },
        Limited { refusal: Option<RateLimited> },
    }
}

impl<F, T, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Called { future } => future.poll(cx).map_err(Into::into),
            KindProj::Limited { refusal } => {
                Poll::Ready(Err(refusal.take().map_or_else(|| "polled after completion".into(), Into::into)))
            }
        }
    }
}

#[cfg(test)]
mod tests;
