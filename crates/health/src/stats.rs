//! Counts of a bot's own work, shared by `/stats`, `/metrics` and the
//! health checks.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// What the bot did since it was first started (restored across restarts).
#[derive(Debug, Default)]
pub struct Stats {
    /// Updates answered (or deliberately not).
    pub requests: AtomicU64,
    /// Calls that reached the model provider.
    pub model_calls: AtomicU64,
}

impl Stats {
    /// The two counts now: (requests, model calls).
    pub fn counts(&self) -> (u64, u64) {
        (self.requests.load(Ordering::Relaxed), self.model_calls.load(Ordering::Relaxed))
    }

    /// Adds counts saved before a restart.
    pub fn restore(&self, requests: u64, model_calls: u64) {
        self.requests.fetch_add(requests, Ordering::Relaxed);
        self.model_calls.fetch_add(model_calls, Ordering::Relaxed);
    }
}

/// A named count read when asked, such as a rate limit's refusals.
#[derive(Clone)]
pub struct Gauge {
    /// What it counts: "updates per user".
    pub name: &'static str,
    read: Arc<dyn Fn() -> u64 + Send + Sync>,
}

impl Gauge {
    /// A gauge named `name` reading `read`.
    pub fn new(name: &'static str, read: impl Fn() -> u64 + Send + Sync + 'static) -> Gauge {
        Gauge { name, read: Arc::new(read) }
    }

    /// Its value now.
    pub fn read(&self) -> u64 {
        (self.read)()
    }
}

impl std::fmt::Debug for Gauge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gauge").field("name", &self.name).field("value", &self.read()).finish()
    }
}
