//! Security counters, for `/stats` and the health checks.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts of what the security layers did. Shared; cheap to update.
#[derive(Debug, Default)]
pub struct SecurityCounters {
    sanitized: AtomicU64,
    too_long: AtomicU64,
    injection_flagged: AtomicU64,
    injection_blocked: AtomicU64,
    admin_denied: AtomicU64,
    not_allowed: AtomicU64,
    banned: AtomicU64,
    outputs_blocked: Mutex<BTreeMap<String, u64>>,
}

/// A copy of the counters at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SecuritySnapshot {
    /// Texts changed by sanitizing (hidden characters removed, NFKC).
    pub sanitized: u64,
    /// Texts refused for length.
    pub too_long: u64,
    /// Texts that scored in the middle band: passed and counted.
    pub injection_flagged: u64,
    /// Texts refused as injection attempts.
    pub injection_blocked: u64,
    /// Admin commands from non-admins.
    pub admin_denied: u64,
    /// Messages from users outside the allowlist.
    pub not_allowed: u64,
    /// Messages from banned users.
    pub banned: u64,
    /// Model answers withheld, by category (`system_prompt_leak` included).
    pub outputs_blocked: BTreeMap<String, u64>,
}

impl SecuritySnapshot {
    /// Model answers withheld, all categories.
    pub fn outputs_blocked_total(&self) -> u64 {
        self.outputs_blocked.values().sum()
    }

    /// Withheld answers by category ("minors 2, meeting 1"), or "none".
    pub fn outputs_blocked_text(&self) -> String {
        let blocked: Vec<String> = self.outputs_blocked.iter().map(|(category, n)| format!("{category} {n}")).collect();
        if blocked.is_empty() { "none".to_owned() } else { blocked.join(", ") }
    }
}

/// The input-side counts in one line, as `/stats` shows them.
impl std::fmt::Display for SecuritySnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sanitized {}, too long {}, injection flagged {}, injection blocked {}, admin denied {}, not allowed {}, banned {}",
            self.sanitized,
            self.too_long,
            self.injection_flagged,
            self.injection_blocked,
            self.admin_denied,
            self.not_allowed,
            self.banned
        )
    }
}

macro_rules! counter {
    ($($name:ident),*) => {
        $(
            #[doc = concat!("Counts one more `", stringify!($name), "`.")]
            pub fn $name(&self) {
                self.$name.fetch_add(1, Ordering::Relaxed);
            }
        )*
    };
}

impl SecurityCounters {
    counter!(sanitized, too_long, injection_flagged, injection_blocked, admin_denied, not_allowed, banned);

    /// Counts one withheld model answer in `category`.
    pub fn output_blocked(&self, category: &str) {
        let mut blocked = self.outputs_blocked.lock().unwrap_or_else(PoisonError::into_inner);
        *blocked.entry(category.to_owned()).or_default() += 1;
    }

    /// Adds counts saved before a restart.
    pub fn restore(&self, saved: &SecuritySnapshot) {
        let add = |c: &AtomicU64, n: u64| c.fetch_add(n, Ordering::Relaxed);
        add(&self.sanitized, saved.sanitized);
        add(&self.too_long, saved.too_long);
        add(&self.injection_flagged, saved.injection_flagged);
        add(&self.injection_blocked, saved.injection_blocked);
        add(&self.admin_denied, saved.admin_denied);
        add(&self.not_allowed, saved.not_allowed);
        add(&self.banned, saved.banned);
        let mut blocked = self.outputs_blocked.lock().unwrap_or_else(PoisonError::into_inner);
        for (category, n) in &saved.outputs_blocked {
            *blocked.entry(category.clone()).or_default() += n;
        }
    }

    /// The counters now.
    pub fn snapshot(&self) -> SecuritySnapshot {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        SecuritySnapshot {
            sanitized: load(&self.sanitized),
            too_long: load(&self.too_long),
            injection_flagged: load(&self.injection_flagged),
            injection_blocked: load(&self.injection_blocked),
            admin_denied: load(&self.admin_denied),
            not_allowed: load(&self.not_allowed),
            banned: load(&self.banned),
            outputs_blocked: self.outputs_blocked.lock().unwrap_or_else(PoisonError::into_inner).clone(),
        }
    }
}
