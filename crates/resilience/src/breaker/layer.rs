use std::sync::Arc;

use tower::{BoxError, Layer};

use super::service::CircuitBreaker;
use super::state::{Breaker, Outcome};

/// Wraps a service in a [`CircuitBreaker`] sharing one [`Breaker`] state.
#[derive(Clone)]
pub struct BreakerLayer {
    breaker: Breaker,
    classify: Arc<dyn Fn(&BoxError) -> Outcome + Send + Sync>,
}

impl BreakerLayer {
    /// A layer over `breaker`; `classify` says which errors count as failures
    /// and which are ignored.
    pub fn new(breaker: Breaker, classify: impl Fn(&BoxError) -> Outcome + Send + Sync + 'static) -> BreakerLayer {
        BreakerLayer { breaker, classify: Arc::new(classify) }
    }
}

impl std::fmt::Debug for BreakerLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BreakerLayer").field("breaker", &self.breaker).finish_non_exhaustive()
    }
}

impl<S> Layer<S> for BreakerLayer {
    type Service = CircuitBreaker<S>;

    fn layer(&self, inner: S) -> CircuitBreaker<S> {
        CircuitBreaker::new(inner, self.breaker.clone(), self.classify.clone())
    }
}
