//! Rate limits keyed by anything (a user id, or `()` for a global cap),
//! with governor's GCRA limiter.
//!
//! A limited request fails at once with [`RateLimited`], which says how long
//! to wait and whether to tell the user: [`Notices`] lets one notice out per
//! key and window, so a user hammering the bot hears about it once and then
//! nothing until the window is over. Several layers can share one
//! [`Notices`] so two limits never notify twice. Idle keys are pruned (see
//! [`KeyedLimitLayer::spawn_pruning`]) so memory stays bounded by the number
//! of recently active keys. [`SharedLimitLayer`] keeps the limit outside
//! the process (Redis), so several instances share it, falling back to the
//! local limit while it cannot be reached.

mod error;
mod layer;
mod notices;
mod rate;
mod service;
mod shared;

pub use error::RateLimited;
pub use layer::KeyedLimitLayer;
pub use notices::Notices;
pub use rate::Rate;
pub use service::{KeyedLimit, ResponseFuture};
pub use shared::{BoxFuture, Remote, SharedLimit, SharedLimitLayer};

#[cfg(test)]
mod tests;
