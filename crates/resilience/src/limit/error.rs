use std::time::Duration;

/// The request was over its limit and was not passed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("rate limited; next request allowed in {:.1} s", wait.as_secs_f64())]
pub struct RateLimited {
    /// How long until a request would pass.
    pub wait: Duration,
    /// Whether this is the first refusal in the window: tell the user.
    pub notify: bool,
}
