use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::error::BreakerOpen;

/// How a call ended, as the breaker sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The service did its job.
    Success,
    /// The service failed (for a model: 5xx, a timeout, a broken connection).
    Failure,
    /// Not the service's fault and not its success (a 4xx, a 429 left to the
    /// retry layer, a cancelled call): not recorded.
    Ignored,
}

/// The breaker's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct BreakerConfig {
    /// A name for logs and metrics.
    pub name: String,
    /// Calls in the sliding window.
    pub window: usize,
    /// Calls recorded before the rates are judged at all.
    pub minimum_calls: usize,
    /// Failure rate (0–1) at or above which the breaker opens.
    pub failure_rate: f64,
    /// Successful calls at least this slow count as slow.
    pub slow_call_duration: Duration,
    /// Slow-call rate (0–1) at or above which the breaker opens.
    pub slow_call_rate: f64,
    /// How long the breaker stays open before letting probes through.
    pub open_wait: Duration,
    /// Probes let through when half-open, judged together.
    pub half_open_probes: usize,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            name: "breaker".to_owned(),
            window: 20,
            minimum_calls: 5,
            failure_rate: 0.5,
            slow_call_duration: Duration::from_secs(10),
            slow_call_rate: 1.0,
            open_wait: Duration::from_secs(30),
            half_open_probes: 1,
        }
    }
}

/// The breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through and are recorded.
    Closed,
    /// Calls are rejected until the wait is over.
    Open,
    /// A fixed number of probes go through; the rest are rejected.
    HalfOpen,
}

impl BreakerState {
    /// The state as a number for metrics: 0 closed, 1 half-open, 2 open.
    pub fn as_gauge(self) -> u8 {
        match self {
            BreakerState::Closed => 0,
            BreakerState::HalfOpen => 1,
            BreakerState::Open => 2,
        }
    }
}

/// What the breaker looks like now, for health checks and metrics.
#[derive(Clone, Debug, PartialEq)]
pub struct BreakerSnapshot {
    /// The current state.
    pub state: BreakerState,
    /// Calls in the window (closed) or probes recorded (half-open).
    pub recorded: usize,
    /// Failure rate over those calls, if any were recorded.
    pub failure_rate: Option<f64>,
    /// Slow-call rate over those calls, if any were recorded.
    pub slow_call_rate: Option<f64>,
    /// Calls rejected since start.
    pub rejected: u64,
    /// Times the breaker opened since start.
    pub opened: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sample {
    failed: bool,
    slow: bool,
}

#[derive(Debug)]
enum State {
    Closed { window: VecDeque<Sample> },
    Open { until: Instant },
    HalfOpen { issued: usize, results: Vec<Sample> },
}

#[derive(Debug)]
struct Inner {
    state: State,
    /// Bumped on every transition: outcomes of calls let through in an
    /// earlier state are not counted in the new one.
    epoch: u64,
    rejected: u64,
    opened: u64,
}

/// Permission for one call, from [`Breaker::try_acquire`].
#[derive(Debug)]
pub struct Permit {
    epoch: u64,
    probe: bool,
}

/// The shared state machine behind a [`CircuitBreaker`](super::CircuitBreaker).
/// Cheap to clone; clones share state.
#[derive(Clone, Debug)]
pub struct Breaker {
    config: Arc<BreakerConfig>,
    inner: Arc<Mutex<Inner>>,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(config: BreakerConfig) -> Breaker {
        let inner = Inner { state: State::Closed { window: VecDeque::new() }, epoch: 0, rejected: 0, opened: 0 };
        Breaker { config: Arc::new(config), inner: Arc::new(Mutex::new(inner)) }
    }

    /// The settings.
    pub fn config(&self) -> &BreakerConfig {
        &self.config
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Asks to make a call now.
    pub fn try_acquire(&self) -> Result<Permit, BreakerOpen> {
        let now = Instant::now();
        let mut inner = self.lock();
        if let State::Open { until } = inner.state {
            if now < until {
                inner.rejected += 1;
                return Err(BreakerOpen { retry_in: Some(until - now) });
            }
            self.transition(&mut inner, State::HalfOpen { issued: 0, results: Vec::new() });
        }
        let epoch = inner.epoch;
        let probes = self.config.half_open_probes.max(1);
        match &mut inner.state {
            State::Closed { .. } => Ok(Permit { epoch, probe: false }),
            State::HalfOpen { issued, .. } if *issued < probes => {
                *issued += 1;
                Ok(Permit { epoch, probe: true })
            }
            State::HalfOpen { .. } | State::Open { .. } => {
                inner.rejected += 1;
                Err(BreakerOpen { retry_in: None })
            }
        }
    }

    /// Records how a permitted call ended and how long it took.
    pub fn record(&self, permit: Permit, outcome: Outcome, elapsed: Duration) {
        let mut inner = self.lock();
        if permit.epoch != inner.epoch {
            return;
        }
        let sample = Sample { failed: outcome == Outcome::Failure, slow: elapsed >= self.config.slow_call_duration };
        let config = &self.config;
        let next = match &mut inner.state {
            State::Closed { window } if outcome != Outcome::Ignored => {
                window.push_back(sample);
                while window.len() > config.window.max(1) {
                    window.pop_front();
                }
                let judged = window.len() >= config.minimum_calls.max(1);
                (judged && self.tripped(window.iter()))
                    .then(|| State::Open { until: Instant::now() + config.open_wait })
            }
            State::HalfOpen { issued, .. } if outcome == Outcome::Ignored && permit.probe => {
                // An ignored probe proves nothing: let another one through.
                *issued = issued.saturating_sub(1);
                None
            }
            State::HalfOpen { results, .. } if outcome != Outcome::Ignored => {
                results.push(sample);
                if results.len() < config.half_open_probes.max(1) {
                    None
                } else if self.tripped(results.iter()) {
                    Some(State::Open { until: Instant::now() + config.open_wait })
                } else {
                    Some(State::Closed { window: VecDeque::new() })
                }
            }
            _ => None,
        };
        if let Some(next) = next {
            self.transition(&mut inner, next);
        }
    }

    fn tripped<'a>(&self, samples: impl Iterator<Item = &'a Sample>) -> bool {
        let (mut total, mut failed, mut slow) = (0usize, 0usize, 0usize);
        for sample in samples {
            total += 1;
            failed += usize::from(sample.failed);
            slow += usize::from(sample.slow);
        }
        total > 0
            && (failed as f64 / total as f64 >= self.config.failure_rate
                || slow as f64 / total as f64 >= self.config.slow_call_rate)
    }

    fn transition(&self, inner: &mut Inner, next: State) {
        let from = state_of(&inner.state);
        inner.state = next;
        inner.epoch += 1;
        let to = state_of(&inner.state);
        let name = &self.config.name;
        match to {
            BreakerState::Open => {
                inner.opened += 1;
                tracing::warn!(breaker = %name, ?from, "circuit breaker opened; calls are rejected for {:?}", self.config.open_wait);
            }
            BreakerState::HalfOpen => tracing::info!(breaker = %name, ?from, "circuit breaker half-open; probing"),
            BreakerState::Closed => tracing::info!(breaker = %name, ?from, "circuit breaker closed"),
        }
    }

    /// The current state, rates and counters.
    pub fn snapshot(&self) -> BreakerSnapshot {
        let inner = self.lock();
        let samples: Vec<Sample> = match &inner.state {
            State::Closed { window } => window.iter().copied().collect(),
            State::HalfOpen { results, .. } => results.clone(),
            State::Open { .. } => Vec::new(),
        };
        let rate = |count: usize| (!samples.is_empty()).then(|| count as f64 / samples.len() as f64);
        BreakerSnapshot {
            state: state_of(&inner.state),
            recorded: samples.len(),
            failure_rate: rate(samples.iter().filter(|s| s.failed).count()),
            slow_call_rate: rate(samples.iter().filter(|s| s.slow).count()),
            rejected: inner.rejected,
            opened: inner.opened,
        }
    }

    /// The current state. An open breaker whose wait is over still says
    /// `Open` until the next call turns it half-open.
    pub fn state(&self) -> BreakerState {
        state_of(&self.lock().state)
    }
}

fn state_of(state: &State) -> BreakerState {
    match state {
        State::Closed { .. } => BreakerState::Closed,
        State::Open { .. } => BreakerState::Open,
        State::HalfOpen { .. } => BreakerState::HalfOpen,
    }
}
