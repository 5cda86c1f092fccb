//! Generic resilience layers for tower services. Nothing here knows about
//! Muse, Telegram or language models: any tower service can use them.
//!
//! # Layout
//!
//! - [`breaker`]: [`BreakerLayer`], a circuit breaker with resilience4j's semantics.
//! - [`retry`]: [`RetryPolicy`], capped exponential backoff with full jitter, a shared retry budget and Retry-After.
//! - [`limit`]: [`KeyedLimitLayer`], per-key (or global) rate limits of a [`Rate`] with governor, one notice per window.
//! - [`queue`]: [`FairQueueLayer`], a bounded wait for a slot, served round-robin by key.
//! - [`fallback`]: [`Fallback`], try another service when the first fails.
//! - [`future`]: the "inner call or immediate refusal" future the breaker and the limits share.
//!
//! Errors are boxed at each layer ([`tower::BoxError`]) and matched with
//! `err.is::<BreakerOpen>()`.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use muse_resilience::breaker::{Breaker, BreakerConfig, BreakerLayer, Outcome};
//! use tower::{ServiceBuilder, ServiceExt, service_fn, BoxError};
//!
//! # futures::executor::block_on(async {
//! let breaker = Breaker::new(BreakerConfig { minimum_calls: 1, ..BreakerConfig::default() });
//! let service = ServiceBuilder::new()
//!     .layer(BreakerLayer::new(breaker.clone(), |_err: &BoxError| Outcome::Failure))
//!     .service(service_fn(|x: u32| async move { Ok::<_, BoxError>(x * 2) }));
//! assert_eq!(service.oneshot(21).await.unwrap(), 42);
//! # });
//! ```

pub mod breaker;
pub mod fallback;
pub mod future;
pub mod limit;
pub mod queue;
pub mod retry;

pub use breaker::{Breaker, BreakerConfig, BreakerLayer, BreakerOpen, BreakerState, Outcome};
pub use fallback::{Fallback, FallbackLayer};
pub use limit::{KeyedLimitLayer, Notices, Rate, RateLimited, SharedLimitLayer};
pub use queue::{FairQueue, FairQueueConfig, FairQueueLayer, QueueFull, QueueTimeout, WaitObserver};
pub use retry::{RetryConfig, RetryDecision, RetryPolicy};
