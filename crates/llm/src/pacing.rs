//! Pacing to the provider's announced budget as a tower layer.
//!
//! [`PacingLayer`] sits in each model's chain of the provider stack below
//! the retry and above the breaker and the attempt timeout, so every
//! attempt, retries included, waits for the provider's budget, and the wait
//! is neither an attempt timing out nor a failure opening the breaker; it
//! stays within the request's deadline, and a wait longer than 10 s is
//! refused at once with [`ProviderBusy`]. The [`Pacer`] it waits on is the one the client's
//! HTTP service feeds with every answer's `x-ratelimit-*` headers.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use tower::{BoxError, Layer, Service, ServiceExt};

pub use crate::http::{Pacer, Permit};

/// The provider's budget is used up for longer than Muse waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the provider's budget is used up for {wait:?}")]
pub struct ProviderBusy {
    /// Until the provider's reset.
    pub wait: Duration,
}

/// Waits for the provider's budget before each call; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct PacingLayer {
    pacer: Arc<Pacer>,
}

impl PacingLayer {
    /// Paces to `pacer`.
    pub fn new(pacer: Arc<Pacer>) -> PacingLayer {
        PacingLayer { pacer }
    }

    /// How long a call arriving now would wait for the budget, while calls
    /// are waiting for it.
    pub fn estimate(&self) -> Option<Duration> {
        self.pacer.estimate()
    }
}

impl<S> Layer<S> for PacingLayer {
    type Service = Pacing<S>;

    fn layer(&self, inner: S) -> Pacing<S> {
        Pacing { inner, pacer: self.pacer.clone() }
    }
}

/// The service of [`PacingLayer`].
#[derive(Clone, Debug)]
pub struct Pacing<S> {
    inner: S,
    pacer: Arc<Pacer>,
}

impl<S, R> Service<R> for Pacing<S>
where
    S: Service<R> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
    R: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<S::Response, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Readiness is the inner service's, checked once the budget allows the call.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: R) -> Self::Future {
        let (inner, pacer) = (self.inner.clone(), self.pacer.clone());
        Box::pin(async move {
            let permit = pacer.send().await.map_err(|wait| Box::new(ProviderBusy { wait }) as BoxError)?;
            let result = inner.oneshot(request).await.map_err(Into::into);
            drop(permit);
            result
        })
    }
}
