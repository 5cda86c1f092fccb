//! A fair, bounded wait for a limited number of slots: calls beyond the
//! concurrency wait in one queue per key (a user), served round-robin, so
//! one key's twenty calls do not delay another key's one by more than one
//! turn. A call waits at most `max_wait`, and at most `max_queued` calls
//! wait in all; past either it fails with [`QueueTimeout`] or [`QueueFull`]
//! (and the caller decides what to answer instead).
//!
//! ```
//! use std::time::Duration;
//! use muse_resilience::queue::{FairQueueConfig, FairQueueLayer};
//! use tower::{ServiceBuilder, ServiceExt, service_fn, BoxError};
//!
//! # futures::executor::block_on(async {
//! let config = FairQueueConfig { concurrency: 2, max_wait: Duration::from_secs(10), max_queued: 100 };
//! let service = ServiceBuilder::new()
//!     .layer(FairQueueLayer::new(config, |user: &u64| *user))
//!     .service(service_fn(|user: u64| async move { Ok::<_, BoxError>(user) }));
//! assert_eq!(service.oneshot(7).await.unwrap(), 7);
//! # });
//! ```

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::oneshot;
use tower::{BoxError, Layer, Service, ServiceExt};

#[cfg(test)]
mod tests;

/// How many calls run at once, and how long and how many may wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FairQueueConfig {
    /// Calls in flight at once.
    pub concurrency: usize,
    /// The longest a call waits for a slot.
    pub max_wait: Duration,
    /// The most calls waiting at once, over all keys.
    pub max_queued: usize,
}

/// A call waited `max_wait` without a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no free slot within {waited:?}")]
pub struct QueueTimeout {
    /// How long it waited.
    pub waited: Duration,
}

/// `max_queued` calls were waiting already.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the queue is full ({queued} waiting)")]
pub struct QueueFull {
    /// How many were waiting.
    pub queued: usize,
}

struct State<K> {
    free: usize,
    /// Each key's waiting calls, oldest first, by ticket.
    waiting: HashMap<K, VecDeque<(u64, oneshot::Sender<()>)>>,
    /// Keys with waiting calls, in serving order.
    ring: VecDeque<K>,
    queued: usize,
    next_ticket: u64,
}

/// Told how long each call waited for its slot (zero when one was free).
pub type WaitObserver = Arc<dyn Fn(Duration) + Send + Sync>;

/// The slots and the queues, shared by every clone of the service.
pub struct FairQueue<K> {
    state: Mutex<State<K>>,
    config: FairQueueConfig,
    observer: Option<WaitObserver>,
    /// How long a slot is held, on average (exponentially weighted), in
    /// microseconds; 0 before the first call ends.
    held_micros: std::sync::atomic::AtomicU64,
}

impl<K> std::fmt::Debug for FairQueue<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let waiting = self.state.lock().unwrap_or_else(PoisonError::into_inner).queued;
        f.debug_struct("FairQueue").field("config", &self.config).field("waiting", &waiting).finish()
    }
}

impl<K: Clone + Eq + Hash> FairQueue<K> {
    /// Slots and queues for `config`.
    pub fn new(config: FairQueueConfig) -> FairQueue<K> {
        let state = State {
            free: config.concurrency.max(1),
            waiting: HashMap::new(),
            ring: VecDeque::new(),
            queued: 0,
            next_ticket: 0,
        };
        FairQueue { state: Mutex::new(state), config, observer: None, held_micros: Default::default() }
    }

    /// About how long until `key`'s oldest waiting call gets a slot: every
    /// call waiting, shared over the slots, times how long a slot is held.
    /// `None` when `key` is not waiting or no call has finished yet.
    pub fn estimate(&self, key: &K) -> Option<Duration> {
        let held = self.held_micros.load(std::sync::atomic::Ordering::Relaxed);
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if held == 0 || !state.waiting.contains_key(key) {
            return None;
        }
        let rounds = state.queued.div_ceil(self.config.concurrency.max(1)) as u64;
        Some(Duration::from_micros(held.saturating_mul(rounds.max(1))))
    }

    fn held(&self, held: Duration) {
        use std::sync::atomic::Ordering::Relaxed;
        let sample = u64::try_from(held.as_micros()).unwrap_or(u64::MAX);
        let _ = self
            .held_micros
            .fetch_update(Relaxed, Relaxed, |old| Some(if old == 0 { sample } else { (old * 4 + sample) / 5 }));
    }

    /// The same, telling `observer` how long each call waited.
    pub fn observed(config: FairQueueConfig, observer: WaitObserver) -> FairQueue<K> {
        FairQueue { observer: Some(observer), ..FairQueue::new(config) }
    }

    /// How many calls are waiting now.
    pub fn waiting(&self) -> usize {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).queued
    }

    /// Waits for a slot for `key`, fairly; the slot is free again when the
    /// permit is dropped.
    pub async fn acquire(self: &Arc<Self>, key: K) -> Result<Permit<K>, BoxError> {
        let (ticket, slot) = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if state.free > 0 && state.queued == 0 {
                state.free -= 1;
                self.observe(Duration::ZERO);
                return Ok(Permit::new(self));
            }
            if state.queued >= self.config.max_queued {
                return Err(QueueFull { queued: state.queued }.into());
            }
            let (tx, rx) = oneshot::channel();
            let ticket = state.next_ticket;
            state.next_ticket += 1;
            let queue = state.waiting.entry(key.clone()).or_default();
            queue.push_back((ticket, tx));
            if queue.len() == 1 {
                state.ring.push_back(key.clone());
            }
            state.queued += 1;
            (ticket, rx)
        };
        let started = tokio::time::Instant::now();
        let result = self.wait_for(key, ticket, slot).await;
        self.observe(started.elapsed());
        result.map_err(|()| QueueTimeout { waited: started.elapsed() }.into())
    }

    fn observe(&self, waited: Duration) {
        if let Some(observer) = &self.observer {
            observer(waited);
        }
    }

    /// Waits for `ticket`'s slot, or gives up after `max_wait`.
    async fn wait_for(self: &Arc<Self>, key: K, ticket: u64, mut slot: oneshot::Receiver<()>) -> Result<Permit<K>, ()> {
        // The receiver stays alive past the timeout: a slot handed over
        // while the timer fired is then ours, never lost.
        if let Ok(Ok(())) = tokio::time::timeout(self.config.max_wait, &mut slot).await {
            return Ok(Permit::new(self));
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(queue) = state.waiting.get_mut(&key) else {
            // Served as the timer fired (the receiver was alive, so the
            // hand-over succeeded): the slot is ours.
            return Ok(Permit::new(self));
        };
        let Some(at) = queue.iter().position(|(t, _)| *t == ticket) else {
            return Ok(Permit::new(self));
        };
        queue.remove(at);
        if queue.is_empty() {
            state.waiting.remove(&key);
            state.ring.retain(|k| *k != key);
        }
        state.queued -= 1;
        Err(())
    }

    /// A slot is free: hand it to the next key in turn, or keep it.
    fn release(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some(key) = state.ring.pop_front() {
            let Some(queue) = state.waiting.get_mut(&key) else { continue };
            let next = queue.pop_front();
            if queue.is_empty() {
                state.waiting.remove(&key);
            } else {
                state.ring.push_back(key);
            }
            let Some((_, tx)) = next else { continue };
            state.queued -= 1;
            if tx.send(()).is_ok() {
                return;
            }
        }
        state.free += 1;
    }
}

/// A slot, held until dropped.
pub struct Permit<K: Clone + Eq + Hash> {
    queue: Arc<FairQueue<K>>,
    since: tokio::time::Instant,
}

impl<K: Clone + Eq + Hash> Permit<K> {
    fn new(queue: &Arc<FairQueue<K>>) -> Permit<K> {
        Permit { queue: queue.clone(), since: tokio::time::Instant::now() }
    }
}

impl<K: Clone + Eq + Hash> Drop for Permit<K> {
    fn drop(&mut self) {
        self.queue.held(self.since.elapsed());
        self.queue.release();
    }
}

/// Puts a [`FairQueue`] in front of a service, keyed by `key(&request)`.
pub struct FairQueueLayer<K, F> {
    queue: Arc<FairQueue<K>>,
    key: F,
}

impl<K, F: Clone> Clone for FairQueueLayer<K, F> {
    fn clone(&self) -> Self {
        FairQueueLayer { queue: self.queue.clone(), key: self.key.clone() }
    }
}

impl<K: Clone + Eq + Hash, F> FairQueueLayer<K, F> {
    /// A queue for `config`, keyed by `key`.
    pub fn new(config: FairQueueConfig, key: F) -> Self {
        FairQueueLayer { queue: Arc::new(FairQueue::new(config)), key }
    }

    /// The same, telling `observer` how long each call waited.
    pub fn observed(config: FairQueueConfig, key: F, observer: WaitObserver) -> Self {
        FairQueueLayer { queue: Arc::new(FairQueue::observed(config, observer)), key }
    }

    /// The queue, to read how many wait.
    pub fn queue(&self) -> Arc<FairQueue<K>> {
        self.queue.clone()
    }
}

impl<S, K, F: Clone> Layer<S> for FairQueueLayer<K, F> {
    type Service = FairQueueService<S, K, F>;

    fn layer(&self, inner: S) -> Self::Service {
        FairQueueService { inner, queue: self.queue.clone(), key: self.key.clone() }
    }
}

/// The service of [`FairQueueLayer`].
pub struct FairQueueService<S, K, F> {
    inner: S,
    queue: Arc<FairQueue<K>>,
    key: F,
}

impl<S: Clone, K, F: Clone> Clone for FairQueueService<S, K, F> {
    fn clone(&self) -> Self {
        FairQueueService { inner: self.inner.clone(), queue: self.queue.clone(), key: self.key.clone() }
    }
}

impl<S, K, F, R> Service<R> for FairQueueService<S, K, F>
where
    S: Service<R> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    S::Response: Send,
    K: Clone + Eq + Hash + Send + Sync + 'static,
    F: Fn(&R) -> K,
    R: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send + 'static>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // The queue is the readiness: every call waits its turn in `call`.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: R) -> Self::Future {
        let (queue, inner, key) = (self.queue.clone(), self.inner.clone(), (self.key)(&request));
        Box::pin(async move {
            let _permit = queue.acquire(key).await?;
            inner.oneshot(request).await.map_err(Into::into)
        })
    }
}
