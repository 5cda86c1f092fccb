//! End-to-end tests: the real `muse-bot` binary against the testkit fakes.
//! Each test starts its own fakes and its own bot process.

/// Several instances on one Redis: the polling lease, takeover, exactly-once answers, shared limits.
mod cluster;
/// Fan cards, the creator's voice, drafts that do not repeat.
mod fans;
/// Health checks, /readyz, /metrics, /health for admins, JSON logs.
mod health;
/// The fair queue in front of the model: waiting instead of shedding, users in turn.
mod queue;
/// Faults: the breaker, retries, deadlines, fallback models, rate limits, Bot API errors.
mod resilience;
/// Access, admin commands, validation, injection, the output guard, secrets.
mod security;
/// State across restarts and crashes, /export, /forget, the directory lock.
mod storage;
/// Telegram mode: commands, drafts, prompts, history, escaping, splitting.
mod telegram;
/// `muse-bot chat` and how the binary starts and refuses to start.
mod terminal;
