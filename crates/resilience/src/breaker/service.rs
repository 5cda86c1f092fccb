use std::sync::Arc;
use std::task::{Context, Poll};

use tower::{BoxError, Service};

use super::future::{Recorded, ResponseFuture};
use super::state::{Breaker, Outcome};

/// A service guarded by a circuit breaker. See the [module docs](super).
#[derive(Clone)]
pub struct CircuitBreaker<S> {
    inner: S,
    breaker: Breaker,
    classify: Arc<dyn Fn(&BoxError) -> Outcome + Send + Sync>,
}

impl<S> CircuitBreaker<S> {
    pub(crate) fn new(inner: S, breaker: Breaker, classify: Arc<dyn Fn(&BoxError) -> Outcome + Send + Sync>) -> Self {
        CircuitBreaker { inner, breaker, classify }
    }

    /// The shared breaker state.
    pub fn breaker(&self) -> &Breaker {
        &self.breaker
    }
}

impl<S: std::fmt::Debug> std::fmt::Debug for CircuitBreaker<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CircuitBreaker").field("inner", &self.inner).field("breaker", &self.breaker).finish()
    }
}

impl<S, Req> Service<Req> for CircuitBreaker<S>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Readiness is the inner service's; an open breaker rejects in
        // `call`, so it never holds a caller waiting here.
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        match self.breaker.try_acquire() {
            Ok(permit) => ResponseFuture::called(Recorded::new(
                self.inner.call(request),
                permit,
                self.breaker.clone(),
                self.classify.clone(),
            )),
            Err(open) => ResponseFuture::refused(open),
        }
    }
}
