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

pin_project! {
    /// The response future of [`CircuitBreaker`](super::CircuitBreaker):
    /// either an immediate rejection or the inner call, whose outcome and
    /// duration are recorded when it completes.
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Rejected { open: Option<BreakerOpen> },
        Called {
            #[pin]
            future: F,
            guard: PermitGuard,
            classify: Arc<dyn Fn(&BoxError) -> Outcome + Send + Sync>,
            started: Instant,
        },
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn called(
        future: F,
        permit: Permit,
        breaker: Breaker,
        classify: Arc<dyn Fn(&BoxError) -> Outcome + Send + Sync>,
    ) -> Self {
        let guard = PermitGuard { permit: Some(permit), breaker };
        ResponseFuture { kind: Kind::Called { future, guard, classify, started: Instant::now() } }
    }

    pub(crate) fn rejected(open: BreakerOpen) -> Self {
        ResponseFuture { kind: Kind::Rejected { open: Some(open) } }
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
            KindProj::Rejected { open } => {
                Poll::Ready(Err(open.take().map_or_else(|| "polled after completion".into(), Into::into)))
            }
            KindProj::Called { future, guard, classify, started } => {
                let result = ready!(future.poll(cx)).map_err(Into::into);
                let outcome = match &result {
                    Ok(_) => Outcome::Success,
                    Err(err) => classify(err),
                };
                guard.finish(outcome, started.elapsed());
                Poll::Ready(result)
            }
        }
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
