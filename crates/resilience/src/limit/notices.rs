use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Who has been told about a limit, and until when.
#[derive(Debug)]
pub struct Notices<K> {
    until: Mutex<HashMap<K, Instant>>,
}

impl<K: Hash + Eq + Clone> Notices<K> {
    /// An empty board, to share between layers.
    pub fn new() -> Arc<Notices<K>> {
        Arc::new(Notices { until: Mutex::new(HashMap::new()) })
    }

    /// Whether `key` should be told to wait `wait` now: true once, then
    /// false until that wait is over.
    pub fn should_notify(&self, key: &K, wait: Duration) -> bool {
        let now = Instant::now();
        let mut until = self.until.lock().unwrap_or_else(PoisonError::into_inner);
        match until.get(key) {
            Some(deadline) if *deadline > now => false,
            _ => {
                until.insert(key.clone(), now + wait);
                true
            }
        }
    }

    /// Forgets notices whose window is over.
    pub fn prune(&self) {
        let now = Instant::now();
        self.until.lock().unwrap_or_else(PoisonError::into_inner).retain(|_, deadline| *deadline > now);
    }

    /// Keys with a notice window still open.
    pub fn len(&self) -> usize {
        self.until.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether no notice window is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
