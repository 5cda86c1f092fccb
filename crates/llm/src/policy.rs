//! How a model stack judges the errors below it: which count against the
//! circuit breaker, which are retried, and how they are counted.
//!
//! The stack is the client under a bulkhead (`tower`'s load shedding) and
//! per-attempt timeouts, so besides [`LlmError`] it sees [`Overloaded`]
//! (our own shedding: never the provider's fault) and [`Elapsed`].

use muse_resilience::{Outcome, RetryDecision};
use tower::BoxError;
use tower::load_shed::error::Overloaded;
use tower::timeout::error::Elapsed;

use crate::error::LlmError;

/// Breaker: 5xx, timeouts and broken connections are the provider failing;
/// other 4xx (429 included, left to retry) and our own load shedding are not.
pub fn breaker_outcome(err: &BoxError) -> Outcome {
    if let Some(err) = err.downcast_ref::<LlmError>() {
        return match err {
            LlmError::Status { status, .. } if *status >= 500 => Outcome::Failure,
            LlmError::Status { .. } | LlmError::Invalid(_) => Outcome::Ignored,
            LlmError::Timeout | LlmError::Transport(_) | LlmError::Malformed(_) | LlmError::Stream(_) => {
                Outcome::Failure
            }
        };
    }
    if err.is::<Overloaded>() { Outcome::Ignored } else { Outcome::Failure }
}

/// Retry: transient provider errors (with their Retry-After) and attempt
/// timeouts. Never a breaker rejection or our own load shedding.
pub fn retry_decision(err: &BoxError) -> RetryDecision {
    if let Some(err) = err.downcast_ref::<LlmError>() {
        return if err.is_transient() {
            RetryDecision::Retry { after: err.retry_after() }
        } else {
            RetryDecision::Never
        };
    }
    if err.is::<Elapsed>() { RetryDecision::Retry { after: None } } else { RetryDecision::Never }
}

/// A short class for a model-call error, for metrics.
pub fn error_class(err: &BoxError) -> String {
    if let Some(err) = err.downcast_ref::<LlmError>() {
        return err.class();
    }
    if err.is::<Overloaded>() { "overloaded".to_owned() } else { "other".to_owned() }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn boxed(err: impl std::error::Error + Send + Sync + 'static) -> BoxError {
        Box::new(err)
    }

    #[test]
    fn the_breaker_counts_provider_failures_only() {
        let status = |status| boxed(LlmError::Status { status, retry_after: None, message: String::new() });
        assert_eq!(breaker_outcome(&status(500)), Outcome::Failure);
        assert_eq!(breaker_outcome(&status(503)), Outcome::Failure);
        assert_eq!(breaker_outcome(&status(429)), Outcome::Ignored);
        assert_eq!(breaker_outcome(&status(400)), Outcome::Ignored);
        assert_eq!(breaker_outcome(&boxed(LlmError::Timeout)), Outcome::Failure);
        assert_eq!(breaker_outcome(&boxed(LlmError::Transport("refused".into()))), Outcome::Failure);
        assert_eq!(breaker_outcome(&boxed(Elapsed::new())), Outcome::Failure);
        assert_eq!(breaker_outcome(&boxed(Overloaded::new())), Outcome::Ignored);
    }

    #[test]
    fn retries_transient_errors_with_their_retry_after() {
        let limited =
            boxed(LlmError::Status { status: 429, retry_after: Some(Duration::from_secs(2)), message: String::new() });
        assert_eq!(retry_decision(&limited), RetryDecision::Retry { after: Some(Duration::from_secs(2)) });
        assert_eq!(retry_decision(&boxed(Elapsed::new())), RetryDecision::Retry { after: None });
        let unauthorized = boxed(LlmError::Status { status: 401, retry_after: None, message: String::new() });
        assert_eq!(retry_decision(&unauthorized), RetryDecision::Never);
        assert_eq!(retry_decision(&boxed(muse_resilience::BreakerOpen { retry_in: None })), RetryDecision::Never);
        assert_eq!(retry_decision(&boxed(Overloaded::new())), RetryDecision::Never);
    }

    #[test]
    fn classes_name_the_error() {
        assert_eq!(error_class(&boxed(LlmError::Timeout)), "timeout");
        assert_eq!(error_class(&boxed(Overloaded::new())), "overloaded");
    }
}
