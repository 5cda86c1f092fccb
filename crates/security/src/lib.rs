//! Muse's security: what reaches the model, who may use Muse, and what
//! reaches the user.
//!
//! # Layout
//!
//! - [`sanitize`]: NFKC, hidden characters removed, the length limit.
//! - [`normalize`]: words for matching, with bypass spellings undone.
//! - [`terms`] and [`guard`]: the compliance term lists and the [`Guard`] that scans text.
//! - [`injection`]: prompt-injection screening by families of signals.
//! - [`access`]: admins, the allowlist, bans; [`AccessLayer`].
//! - [`input`]: [`ParseLayer`] cleans and parses every text once; [`ScreenLayer`] screens it for injection.
//! - [`output`]: [`OutputGuardLayer`], compliance and leak checks of every model answer.
//! - [`check`]: [`CheckLayer`], the `/check` reply.
//! - [`config`]: [`SecurityConfig`] and the settings it reads.
//! - [`counters`]: [`SecurityCounters`] for `/stats` and health.
//!
//! # Example
//!
//! ```
//! use muse_security::Guard;
//!
//! let guard = Guard::builtin();
//! let findings = guard.scan("let's m.e.e.t irl");
//! assert!(findings.iter().any(|f| f.category == "meeting"));
//! assert!(guard.scan("my therapist said hi").is_empty());
//! ```

pub mod access;
pub mod check;
pub mod config;
pub mod counters;
pub mod guard;
pub mod injection;
pub mod input;
pub mod normalize;
pub mod output;
pub mod sanitize;
pub mod terms;

pub use access::{Access, AccessLayer, AccessPolicy, BanError};
pub use check::{CheckLayer, check_reply};
pub use config::{SETTINGS, SecurityConfig};
pub use counters::{SecurityCounters, SecuritySnapshot};
pub use guard::{Finding, Guard};
pub use injection::{Screening, Thresholds, Verdict, screen};
pub use input::{INJECTION_REFUSAL, ParseLayer, ScreenLayer};
pub use output::{LEAK, OutputGuardLayer};
pub use sanitize::{TooLong, sanitize, validate};
pub use terms::{TermList, Tier};
