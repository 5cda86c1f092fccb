//! Fallback: when a service fails, ask another.
//!
//! [`Fallback`] calls its primary service; if that fails with an error the
//! predicate accepts, it calls the fallback with a copy of the request.
//! Chains nest: `Fallback<A, Fallback<B, C>>`.

use std::sync::Arc;
use std::task::{Context, Poll};

use tower::{BoxError, Layer, Service, ServiceExt};

type Predicate = Arc<dyn Fn(&BoxError) -> bool + Send + Sync>;

/// Wraps a primary service so that `fallback` answers when it fails.
#[derive(Clone)]
pub struct FallbackLayer<F> {
    fallback: F,
    when: Predicate,
}

impl<F> FallbackLayer<F> {
    /// Falls back to `fallback` on errors for which `when` is true.
    pub fn new(fallback: F, when: impl Fn(&BoxError) -> bool + Send + Sync + 'static) -> Self {
        FallbackLayer { fallback, when: Arc::new(when) }
    }
}

impl<F: std::fmt::Debug> std::fmt::Debug for FallbackLayer<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FallbackLayer").field("fallback", &self.fallback).finish_non_exhaustive()
    }
}

impl<S, F: Clone> Layer<S> for FallbackLayer<F> {
    type Service = Fallback<S, F>;

    fn layer(&self, primary: S) -> Fallback<S, F> {
        Fallback { primary, fallback: self.fallback.clone(), when: self.when.clone() }
    }
}

/// The service of [`FallbackLayer`].
#[derive(Clone)]
pub struct Fallback<S, F> {
    primary: S,
    fallback: F,
    when: Predicate,
}

impl<S: std::fmt::Debug, F: std::fmt::Debug> std::fmt::Debug for Fallback<S, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fallback")
            .field("primary", &self.primary)
            .field("fallback", &self.fallback)
            .finish_non_exhaustive()
    }
}

impl<S, F, Req> Service<Req> for Fallback<S, F>
where
    Req: Clone + Send + 'static,
    S: Service<Req>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    F: Service<Req, Response = S::Response> + Clone + Send + 'static,
    F::Error: Into<BoxError>,
    F::Future: Send,
    S::Response: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.primary.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        let primary = self.primary.call(request.clone());
        let fallback = self.fallback.clone();
        let when = self.when.clone();
        Box::pin(async move {
            match primary.await.map_err(Into::into) {
                Err(err) if when(&err) => {
                    tracing::info!(error = %err, "primary failed; trying the fallback");
                    fallback.oneshot(request).await.map_err(Into::into)
                }
                result => result,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use tower::{ServiceBuilder, service_fn};

    use super::*;

    #[tokio::test]
    async fn the_fallback_answers_only_accepted_errors() {
        let failing =
            service_fn(
                |x: i32| async move { if x < 0 { Err::<i32, BoxError>("neg".into()) } else { Err("big".into()) } },
            );
        let spare = service_fn(|x: i32| async move { Ok::<_, BoxError>(x * 10) });
        let service = ServiceBuilder::new()
            .layer(FallbackLayer::new(spare, |e: &BoxError| e.to_string() == "neg"))
            .service(failing);
        assert_eq!(service.clone().oneshot(-2).await.unwrap(), -20);
        assert_eq!(service.oneshot(5).await.unwrap_err().to_string(), "big");
    }
}
