use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::Instant;
use tower::BoxError;

use super::error::BreakerOpen;
use super::state::{Breaker, Outcome, Permit};

/// The response future of [`CircuitBreaker`](super::CircuitBreaker):
/// an immediate [`BreakerOpen`], or the inner call, recorded.
pub type ResponseFuture<F> = crate::future::ResponseFuture<Recorded<F>, BreakerOpen>;

pin_project! {
    /// A permitted call whose outcome and duration the breaker records
    /// when it completes.
    pub struct Recorded<F> {
        #[pin]
        future: F,
        guard: PermitGuard,
        classify: Arc<dyn Fn(&BoxError) -> Outcome + Send + Sync>,
        started: Instant,
    }
}

impl<F> Recorded<F> {
    pub(crate) fn new(
        future: F,
        permit: Permit,
        breaker: Breaker,
        classify: Arc<dyn Fn(&BoxError) -> Outcome + Send + Sync>,
    ) -> Self {
        Recorded { future, guard: PermitGuard { permit: Some(permit), breaker }, classify, started: Instant::now() }
    }
}

impl<F, T, E> Future for Recorded<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.future.poll(cx)).map_err(Into::into);
        let outcome = match &result {
            Ok(_) => Outcome::Success,
            Err(err) => (this.classify)(err),
        };
        this.guard.finish(outcome, this.started.elapsed());
        Poll::Ready(result)
    }
}

/// Holds a call's permit until its outcome is recorded.
struct PermitGuard {
    permit: Option<Permit>,
    breaker: Breaker,
}

impl PermitGuard {
    fn finish(&mut self, outcome: Outcome, elapsed: Duration) {
        if let Some(permit) = self.permit.take() {
            self.breaker.record(permit, outcome, elapsed);
        }
    }
}

impl Drop for PermitGuard {
    fn drop(&mut self) {
        // A call dropped before it finished (a timeout above, a cancelled
        // request) says nothing about the service: free its probe slot.
        self.finish(Outcome::Ignored, Duration::ZERO);
    }
}
