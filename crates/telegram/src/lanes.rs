//! One chat's updates in order, chats in parallel, and a bound on the
//! updates held in memory.
//!
//! Each chat with work gets a lane: a task that answers its updates one
//! after another and ends when none is left. A chat's backlog never delays
//! another chat (a fixed set of workers shared by chats would), and a chat
//! with nothing to do costs nothing. Every update takes a place from a
//! fixed number as it is submitted and gives it back once answered; with
//! all places taken, [`Lanes::submit`] waits, so a burst of thousands waits
//! at Telegram rather than in this process.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What answers one item.
pub(crate) type Answer<T> = Arc<dyn Fn(T) -> BoxFuture<'static, ()> + Send + Sync>;

/// Lanes of items of type `T` (updates), keyed by chat.
pub(crate) struct Lanes<T> {
    places: Arc<Semaphore>,
    capacity: u32,
    /// The chats with a lane running, and what waits in each.
    waiting: Mutex<HashMap<i64, VecDeque<Held<T>>>>,
    answer: Answer<T>,
}

/// An item with its place.
struct Held<T> {
    item: T,
    _place: OwnedSemaphorePermit,
}

impl<T: Send + 'static> Lanes<T> {
    /// Lanes holding at most `capacity` items (waiting or being answered),
    /// each answered by `answer`.
    pub(crate) fn new(capacity: u32, answer: Answer<T>) -> Arc<Lanes<T>> {
        Arc::new(Lanes {
            places: Arc::new(Semaphore::new(capacity as usize)),
            capacity,
            waiting: Mutex::default(),
            answer,
        })
    }

    /// Waits for a place for `item`, then queues it behind the earlier
    /// items of chat `key` (none: answered on its own) and returns; the
    /// answer runs in the chat's lane.
    pub(crate) async fn submit(self: &Arc<Self>, key: Option<i64>, item: T) {
        let Ok(place) = self.places.clone().acquire_owned().await else {
            return; // the semaphore is never closed
        };
        let held = Held { item, _place: place };
        self.count();
        let Some(key) = key else {
            tokio::spawn(self.clone().run(None, held));
            return;
        };
        match self.waiting().entry(key) {
            Entry::Occupied(mut lane) => {
                lane.get_mut().push_back(held);
                return;
            }
            Entry::Vacant(lane) => {
                lane.insert(VecDeque::new());
            }
        }
        tokio::spawn(self.clone().run(Some(key), held));
    }

    /// Items held now: waiting or being answered.
    pub(crate) fn held(&self) -> usize {
        self.capacity as usize - self.places.available_permits()
    }

    fn count(&self) {
        metrics::gauge!("muse_updates_held").set(self.held() as f64);
    }

    /// Waits until every item submitted so far is answered.
    pub(crate) async fn drained(&self) {
        if let Ok(all) = self.places.acquire_many(self.capacity).await {
            drop(all);
        }
    }

    /// Answers `held`, then what queued behind it in lane `key`, until the
    /// lane is empty.
    async fn run(self: Arc<Self>, key: Option<i64>, mut held: Held<T>) {
        loop {
            let Held { item, _place: place } = held;
            // A handler that panics loses its own update, not the lane.
            if AssertUnwindSafe((self.answer)(item)).catch_unwind().await.is_err() {
                tracing::error!(chat = key, "answering an update panicked");
            }
            drop(place);
            self.count();
            let Some(key) = key else { return };
            let mut waiting = self.waiting();
            match waiting.get_mut(&key).and_then(VecDeque::pop_front) {
                Some(next) => held = next,
                None => {
                    waiting.remove(&key);
                    return;
                }
            }
        }
    }

    fn waiting(&self) -> MutexGuard<'_, HashMap<i64, VecDeque<Held<T>>>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::sync::mpsc;

    use super::*;

    /// `(chat, number, how long answering takes)`.
    type Item = (i64, u32, u64);

    /// Lanes of [`Item`]s; each answer reports `(chat, number)` when done.
    fn lanes(capacity: u32) -> (Arc<Lanes<Item>>, mpsc::UnboundedReceiver<(i64, u32)>) {
        let (done, answered) = mpsc::unbounded_channel();
        let answer: Answer<Item> = Arc::new(move |(chat, n, ms)| {
            let done = done.clone();
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                assert!(ms != 13, "a handler that panics");
                let _ = done.send((chat, n));
            })
        });
        (Lanes::new(capacity, answer), answered)
    }

    async fn collect(answered: &mut mpsc::UnboundedReceiver<(i64, u32)>, count: usize) -> Vec<(i64, u32)> {
        let mut out = Vec::new();
        while out.len() < count {
            match tokio::time::timeout(Duration::from_secs(10), answered.recv()).await {
                Ok(Some(item)) => out.push(item),
                _ => break,
            }
        }
        out
    }

    #[tokio::test(start_paused = true)]
    async fn one_chats_updates_are_answered_in_order() {
        let (lanes, mut answered) = lanes(64);
        // Later ones answer faster: only the lane keeps them in order.
        for n in 0..10u32 {
            lanes.submit(Some(7), (7, n, u64::from(100 - n * 10))).await;
        }
        let order: Vec<u32> = collect(&mut answered, 10).await.into_iter().map(|(_, n)| n).collect();
        assert_eq!(order, (0..10).collect::<Vec<_>>());
        lanes.drained().await;
        assert_eq!(lanes.held(), 0);
        assert!(lanes.waiting().is_empty(), "an idle chat keeps no lane");
    }

    #[tokio::test(start_paused = true)]
    async fn a_chats_backlog_does_not_delay_another_chat() {
        let (lanes, mut answered) = lanes(64);
        for n in 0..20 {
            lanes.submit(Some(1), (1, n, 1000)).await;
        }
        lanes.submit(Some(2), (2, 0, 1000)).await;
        let started = tokio::time::Instant::now();
        let first_two = collect(&mut answered, 2).await;
        assert!(first_two.contains(&(2, 0)), "chat 2 waited behind chat 1: {first_two:?}");
        assert!(started.elapsed() <= Duration::from_millis(1001));
    }

    #[tokio::test(start_paused = true)]
    async fn past_the_capacity_submit_waits_for_a_place() {
        let (lanes, mut answered) = lanes(3);
        for chat in 0..3 {
            lanes.submit(Some(chat), (chat, 0, 1000)).await;
        }
        assert_eq!(lanes.held(), 3);
        let fourth = lanes.clone();
        let waiting = tokio::spawn(async move { fourth.submit(Some(9), (9, 0, 0)).await });
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!waiting.is_finished(), "a fourth item got in past a capacity of three");
        let all = collect(&mut answered, 4).await;
        assert_eq!(all.len(), 4, "every item is answered once there is room: {all:?}");
        assert!(waiting.is_finished());
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_answer_loses_only_its_own_update() {
        let (lanes, mut answered) = lanes(8);
        lanes.submit(Some(5), (5, 0, 13)).await;
        lanes.submit(Some(5), (5, 1, 10)).await;
        lanes.submit(None, (6, 0, 13)).await;
        lanes.submit(None, (6, 1, 10)).await;
        let mut all = collect(&mut answered, 2).await;
        all.sort_unstable();
        assert_eq!(all, [(5, 1), (6, 1)]);
        lanes.drained().await;
        assert_eq!(lanes.held(), 0, "places of the panicked answers came back");
    }
}
