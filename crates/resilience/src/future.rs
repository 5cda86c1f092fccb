//! The response future shared by layers that either call their inner
//! service or refuse at once (the breaker, the rate limits).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use tower::BoxError;

pin_project! {
    /// Either the inner call or an immediate refusal with `E`.
    pub struct ResponseFuture<F, E> {
        #[pin]
        kind: Kind<F, E>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F, E> {
        Called { #[pin] future: F },
        Refused { error: Option<E> },
    }
}

impl<F, E> ResponseFuture<F, E> {
    /// The inner call goes ahead.
    pub(crate) fn called(future: F) -> Self {
        ResponseFuture { kind: Kind::Called { future } }
    }

    /// The call was not made: the future yields `error` at once.
    pub(crate) fn refused(error: E) -> Self {
        ResponseFuture { kind: Kind::Refused { error: Some(error) } }
    }
}

impl<F, T, Er, E> Future for ResponseFuture<F, E>
where
    F: Future<Output = Result<T, Er>>,
    Er: Into<BoxError>,
    E: Into<BoxError>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Called { future } => future.poll(cx).map_err(Into::into),
            KindProj::Refused { error } => {
                Poll::Ready(Err(error.take().map_or_else(|| "polled after completion".into(), Into::into)))
            }
        }
    }
}
