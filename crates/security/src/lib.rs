//! Muse's security: what reaches the model, who may use Muse, and what
//! reaches the user.
//!
//! # Layout
//!
//! - [`sanitize`]: NFKC, hidden characters removed, the length limit.
//! - [`normalize`]: words for matching, with bypass spellings undone.
//! - [`terms`] and [`guard`]: the compliance term lists and the [`Guard`] that scans text.
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

pub mod guard;
pub mod injection;
pub mod normalize;
pub mod sanitize;
pub mod terms;

pub use guard::{Finding, Guard};
pub use injection::{Screening, Thresholds, Verdict, screen};
pub use sanitize::{TooLong, sanitize, validate};
pub use terms::{TermList, Tier};
