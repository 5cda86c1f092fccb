//! How Muse's stacks judge errors: which count against the breaker, which
//! are retried, and what a rate-limited user sees.

use std::convert::Infallible;

use muse_domain::{ModelRefusal, Reply};
use muse_llm::LlmError;
use muse_resilience::{Outcome, RateLimited, RetryDecision};
use tower::BoxError;
use tower::load_shed::error::Overloaded;
use tower::timeout::error::Elapsed;

/// Breaker: 5xx, timeouts and broken connections are the provider failing;
/// other 4xx (429 included, left to retry) and our own load shedding are not.
pub(crate) fn breaker_outcome(err: &BoxError) -> Outcome {
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
pub(crate) fn retry_decision(err: &BoxError) -> RetryDecision {
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
pub(crate) fn error_class(err: &BoxError) -> String {
    if let Some(err) = err.downcast_ref::<LlmError>() {
        return err.class();
    }
    if err.is::<Overloaded>() { "overloaded".to_owned() } else { "other".to_owned() }
}

/// The per-user model-call limit's refusal, as the assistant understands it.
pub(crate) fn user_refusal(err: BoxError) -> BoxError {
    match err.downcast::<RateLimited>() {
        Ok(limited) => Box::new(ModelRefusal::UserLimited { wait: limited.wait, notify: limited.notify }),
        Err(err) => err,
    }
}

/// The global model-call cap's refusal: Muse is busy.
pub(crate) fn global_refusal(err: BoxError) -> BoxError {
    if err.is::<RateLimited>() { Box::new(ModelRefusal::Busy) } else { err }
}

/// The top of the update stack: a rate-limited user gets one notice, then
/// silence; anything else that escaped gets an apology, never a trace.
pub(crate) fn into_reply(result: Result<Reply, BoxError>) -> Result<Reply, Infallible> {
    Ok(match result {
        Ok(reply) => reply,
        Err(err) => match err.downcast_ref::<RateLimited>() {
            Some(limited) if limited.notify => Reply::slow_down(limited.wait),
            Some(_) => Reply::default(),
            None => {
                tracing::error!(error = %err, "request failed");
                Reply::text("Something went wrong on my side. Please try again.")
            }
        },
    })
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
    fn rate_limits_become_one_notice_then_silence() {
        let first = into_reply(Err(boxed(RateLimited { wait: Duration::from_secs(3), notify: true }))).unwrap();
        assert!(first.to_plain().contains("3 s"));
        assert!(
            into_reply(Err(boxed(RateLimited { wait: Duration::from_secs(3), notify: false }))).unwrap().is_empty()
        );
    }
}
