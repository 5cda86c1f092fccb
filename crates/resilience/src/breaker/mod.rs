//! A circuit breaker with resilience4j's semantics.
//!
//! A count-based sliding window of the last N calls; the breaker opens when,
//! with at least the minimum number of calls recorded, the failure rate or
//! the slow-call rate reaches its threshold. After a wait it lets a fixed
//! number of probes through (half-open) and judges them together: it closes
//! if they pass the same thresholds and opens again if not. A classifier
//! calls each error a failure or ignores it; successes slower than the
//! slow-call duration count as slow. Calls are rejected in `call`, not in
//! `poll_ready`, so a waiting caller is never parked on an open breaker.

mod error;
mod future;
mod layer;
mod service;
mod state;

pub use error::BreakerOpen;
pub use future::{Recorded, ResponseFuture};
pub use layer::BreakerLayer;
pub use service::CircuitBreaker;
pub use state::{Breaker, BreakerConfig, BreakerSnapshot, BreakerState, Outcome, Permit};

#[cfg(test)]
mod tests;
