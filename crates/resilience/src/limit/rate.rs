use std::num::NonZeroU32;

use governor::Quota;

/// How many requests a key may make a minute, with a burst of the same
/// size: the limit replenishes one request every `60 / n` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    per_minute: NonZeroU32,
}

impl Rate {
    /// `n` requests a minute; `None` for 0.
    pub fn per_minute(n: u32) -> Option<Rate> {
        NonZeroU32::new(n).map(|per_minute| Rate { per_minute })
    }

    /// Requests a minute.
    pub fn get(self) -> u32 {
        self.per_minute.get()
    }

    pub(crate) fn quota(self) -> Quota {
        Quota::per_minute(self.per_minute)
    }
}
