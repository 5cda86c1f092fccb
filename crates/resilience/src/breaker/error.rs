use std::time::Duration;

/// The breaker is open (or its half-open probes are all taken): the call was
/// not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("circuit breaker is open")]
pub struct BreakerOpen {
    /// How long until the breaker lets a probe through, if known.
    pub retry_in: Option<Duration>,
}
