use std::fmt;
use std::time::Duration;

/// The breaker is open (or its half-open probes are all taken): the call was
/// not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerOpen {
    /// How long until the breaker lets a probe through, if known.
    pub retry_in: Option<Duration>,
}

impl fmt::Display for BreakerOpen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("circuit breaker is open")
    }
}

impl std::error::Error for BreakerOpen {}
