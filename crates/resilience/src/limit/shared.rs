//! A limit kept outside the process (Redis, for Muse), so several
//! instances share it, with the local limit as the fallback while the
//! shared one cannot be reached.

use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use governor::clock::Clock;
use tower::{BoxError, Layer, Service};

use super::error::RateLimited;
use super::layer::KeyedLimitLayer;

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Takes one request from the shared limit of a key: `Ok(None)` when
/// allowed, `Ok(Some(wait))` when refused, `Err` when the shared limit
/// cannot be reached.
pub type Remote<K> = Arc<dyn Fn(&K) -> BoxFuture<'static, Result<Option<Duration>, BoxError>> + Send + Sync>;

/// A rate limit per key shared through `remote`. While `remote` fails, each
/// request is checked against `local` instead (fail open to a per-process
/// limit of the same rate, never to no limit), and counted in
/// [`SharedLimitLayer::fallbacks`]. Refusals count in `local`'s
/// [`KeyedLimitLayer::refused`] either way, and notices go through its
/// [`Notices`](super::Notices). Without a remote it is `local` alone.
pub struct SharedLimitLayer<K: Hash + Eq + Clone, F, C: Clock + Clone> {
    remote: Option<Remote<K>>,
    local: KeyedLimitLayer<K, F, C>,
    fallbacks: Arc<AtomicU64>,
}

impl<K: Hash + Eq + Clone, F: Clone, C: Clock + Clone> Clone for SharedLimitLayer<K, F, C> {
    fn clone(&self) -> Self {
        SharedLimitLayer { remote: self.remote.clone(), local: self.local.clone(), fallbacks: self.fallbacks.clone() }
    }
}

impl<K: Hash + Eq + Clone, F, C: Clock + Clone> fmt::Debug for SharedLimitLayer<K, F, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedLimitLayer")
            .field("shared", &self.remote.is_some())
            .field("local", &self.local)
            .field("fallbacks", &self.fallbacks())
            .finish()
    }
}

impl<K: Hash + Eq + Clone, F, C: Clock + Clone> SharedLimitLayer<K, F, C> {
    /// `remote` first, `local` when it fails (or alone, without `remote`).
    pub fn new(remote: Option<Remote<K>>, local: KeyedLimitLayer<K, F, C>) -> Self {
        SharedLimitLayer { remote, local, fallbacks: Arc::new(AtomicU64::new(0)) }
    }

    /// Requests checked against the local limit because the shared one failed.
    pub fn fallbacks(&self) -> u64 {
        self.fallbacks.load(Ordering::Relaxed)
    }
}

impl<S, K: Hash + Eq + Clone, F: Clone, C: Clock + Clone> Layer<S> for SharedLimitLayer<K, F, C> {
    type Service = SharedLimit<S, K, F, C>;

    fn layer(&self, inner: S) -> Self::Service {
        SharedLimit { inner, layer: self.clone() }
    }
}

/// The service of [`SharedLimitLayer`].
pub struct SharedLimit<S, K: Hash + Eq + Clone, F, C: Clock + Clone> {
    inner: S,
    layer: SharedLimitLayer<K, F, C>,
}

impl<S: Clone, K: Hash + Eq + Clone, F: Clone, C: Clock + Clone> Clone for SharedLimit<S, K, F, C> {
    fn clone(&self) -> Self {
        SharedLimit { inner: self.inner.clone(), layer: self.layer.clone() }
    }
}

impl<S, K, F, C> fmt::Debug for SharedLimit<S, K, F, C>
where
    K: Hash + Eq + Clone,
    C: Clock + Clone,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedLimit").field("layer", &self.layer).finish_non_exhaustive()
    }
}

impl<S, Req, K, F, C> Service<Req> for SharedLimit<S, K, F, C>
where
    S: Service<Req> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    Req: Send + 'static,
    K: Hash + Eq + Clone + Send + Sync + 'static,
    F: Fn(&Req) -> K + Clone + Send + Sync + 'static,
    C: Clock + Clone + Send + Sync + 'static,
    C::Instant: Send + Sync,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<S::Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        // The ready service takes the call; a fresh clone stays for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let local = self.layer.local.clone();
        let key = (local.key)(&request);
        let remote = self.layer.remote.as_ref().map(|remote| remote(&key));
        let fallbacks = self.layer.fallbacks.clone();
        Box::pin(async move {
            let verdict = match remote {
                Some(shared) => match shared.await {
                    Ok(verdict) => verdict,
                    Err(err) => {
                        if fallbacks.fetch_add(1, Ordering::Relaxed) == 0 {
                            tracing::warn!(error = %err, "the shared rate limit is unreachable; limiting per instance");
                        }
                        local_verdict(&local, &key)
                    }
                },
                None => local_verdict(&local, &key),
            };
            if let Some(wait) = verdict {
                local.refused.fetch_add(1, Ordering::Relaxed);
                let notify = local.notices.should_notify(&key, wait);
                return Err(RateLimited { wait, notify }.into());
            }
            inner.call(request).await.map_err(Into::into)
        })
    }
}

fn local_verdict<K: Hash + Eq + Clone, F, C: Clock + Clone>(
    local: &KeyedLimitLayer<K, F, C>,
    key: &K,
) -> Option<Duration> {
    local.limiter.check_key(key).err().map(|not_until| not_until.wait_time_from(local.clock.now()))
}
