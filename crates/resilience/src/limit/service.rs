use std::fmt;
use std::hash::Hash;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use governor::clock::Clock;
use tower::{BoxError, Service};

use super::error::RateLimited;
use super::layer::KeyedLimitLayer;

/// The response future of [`KeyedLimit`]: the inner call, or an immediate
/// [`RateLimited`].
pub type ResponseFuture<F> = crate::future::ResponseFuture<F, RateLimited>;

/// The service of [`KeyedLimitLayer`].
pub struct KeyedLimit<S, K: Hash + Eq + Clone, F, C: Clock + Clone> {
    pub(crate) inner: S,
    pub(crate) layer: KeyedLimitLayer<K, F, C>,
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
        let layer = &self.layer;
        let key = (layer.key)(&request);
        match layer.limiter.check_key(&key) {
            Ok(()) => ResponseFuture::called(self.inner.call(request)),
            Err(not_until) => {
                layer.refused.fetch_add(1, Ordering::Relaxed);
                let wait = not_until.wait_time_from(layer.clock.now());
                let notify = layer.notices.should_notify(&key, wait);
                ResponseFuture::refused(RateLimited { wait, notify })
            }
        }
    }
}
