//! What Muse keeps about one user, and where it keeps it. The assistant
//! does no I/O itself: it is handed a [`Sessions`] implementation (in
//! memory, or [`StoredSessions`] over any [`Documents`] store).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use tower::BoxError;

use crate::fans::{FanCard, Pricing};
use crate::history::History;
use crate::kind::Kind;
use crate::persona::{Lang, Persona, Tone};
use crate::request::UserId;

/// What Muse keeps about one user.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// The creator persona.
    pub persona: Persona,
    /// The default tone.
    pub tone: Tone,
    /// The language chosen with `/lang`, if any.
    pub lang: Option<Lang>,
    /// The conversation, bounded.
    pub history: History,
    /// The last drafting request, for the "3 more" and refine buttons.
    pub last_draft: Option<(Kind, String)>,
    /// The drafts of that request, which a refine names to the model.
    #[serde(default)]
    pub last_drafts: Vec<String>,
    /// The number of that request; refine buttons carry it, so a press on
    /// an older reply's buttons is recognised as stale.
    #[serde(default)]
    pub draft_id: u64,
    /// Messages the creator really sent, as style examples, oldest first.
    #[serde(default)]
    pub voice: Vec<String>,
    /// The names of her fan cards, least recently used first (the cards
    /// themselves are stored one by one, see [`Sessions::load_fan`]).
    #[serde(default)]
    pub fans: Vec<String>,
    /// PPV price ranges per fan tier.
    #[serde(default)]
    pub pricing: Pricing,
    /// The last drafts written with no fan named, newest last, so a new
    /// draft does not repeat one.
    #[serde(default)]
    pub recent_drafts: std::collections::VecDeque<String>,
}

/// How many earlier drafts a new one is compared with.
pub const RECENT_DRAFTS: usize = 20;

impl Session {
    /// Marks `name` as the most recently used card.
    pub fn touch_fan(&mut self, name: &str) {
        self.fans.retain(|n| n != name);
        self.fans.push(name.to_owned());
    }

    /// Remembers drafts written with no fan named, keeping the last
    /// [`RECENT_DRAFTS`].
    pub fn remember_drafts(&mut self, drafts: &[String]) {
        self.recent_drafts.extend(drafts.iter().cloned());
        while self.recent_drafts.len() > RECENT_DRAFTS {
            self.recent_drafts.pop_front();
        }
    }
}

/// Loads, saves and deletes users' sessions.
pub trait Sessions: Send + Sync + 'static {
    /// The session of `user`, if one is stored.
    fn load(&self, user: UserId) -> BoxFuture<'_, Result<Option<Session>, BoxError>>;
    /// Stores the session of `user`.
    fn save(&self, user: UserId, session: Session) -> BoxFuture<'_, Result<(), BoxError>>;
    /// Deletes everything stored about `user`, fan cards included.
    fn delete(&self, user: UserId) -> BoxFuture<'_, Result<(), BoxError>>;
    /// The card of `user`'s fan `name`, if one is stored.
    fn load_fan(&self, user: UserId, name: &str) -> BoxFuture<'_, Result<Option<FanCard>, BoxError>>;
    /// Stores a fan card of `user`.
    fn save_fan(&self, user: UserId, card: FanCard) -> BoxFuture<'_, Result<(), BoxError>>;
    /// Deletes the card of `user`'s fan `name`.
    fn delete_fan(&self, user: UserId, name: &str) -> BoxFuture<'_, Result<(), BoxError>>;
    /// How many users have a session, if the backend knows.
    fn count(&self) -> Option<usize>;
}

/// Sessions in a map: nothing survives the process.
#[derive(Debug, Default)]
pub struct MemorySessions {
    sessions: Mutex<HashMap<UserId, Session>>,
    fans: Mutex<HashMap<(UserId, String), FanCard>>,
}

impl Sessions for MemorySessions {
    fn load(&self, user: UserId) -> BoxFuture<'_, Result<Option<Session>, BoxError>> {
        let session = self.sessions.lock().unwrap_or_else(PoisonError::into_inner).get(&user).cloned();
        Box::pin(async move { Ok(session) })
    }

    fn save(&self, user: UserId, session: Session) -> BoxFuture<'_, Result<(), BoxError>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner).insert(user, session);
        Box::pin(async { Ok(()) })
    }

    fn delete(&self, user: UserId) -> BoxFuture<'_, Result<(), BoxError>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner).remove(&user);
        self.fans.lock().unwrap_or_else(PoisonError::into_inner).retain(|(owner, _), _| *owner != user);
        Box::pin(async { Ok(()) })
    }

    fn count(&self) -> Option<usize> {
        Some(self.sessions.lock().unwrap_or_else(PoisonError::into_inner).len())
    }

    fn load_fan(&self, user: UserId, name: &str) -> BoxFuture<'_, Result<Option<FanCard>, BoxError>> {
        let card = self.fans.lock().unwrap_or_else(PoisonError::into_inner).get(&(user, name.to_owned())).cloned();
        Box::pin(async move { Ok(card) })
    }

    fn save_fan(&self, user: UserId, card: FanCard) -> BoxFuture<'_, Result<(), BoxError>> {
        self.fans.lock().unwrap_or_else(PoisonError::into_inner).insert((user, card.name.clone()), card);
        Box::pin(async { Ok(()) })
    }

    fn delete_fan(&self, user: UserId, name: &str) -> BoxFuture<'_, Result<(), BoxError>> {
        self.fans.lock().unwrap_or_else(PoisonError::into_inner).remove(&(user, name.to_owned()));
        Box::pin(async { Ok(()) })
    }
}

/// Documents by key, as bytes: what a store offers the assistant.
pub trait Documents: Send + Sync + 'static {
    /// The document at `key`, if any.
    fn get(&self, key: &str) -> BoxFuture<'_, Result<Option<Vec<u8>>, BoxError>>;
    /// Stores `body` at `key`.
    fn put(&self, key: &str, body: Vec<u8>) -> BoxFuture<'_, Result<(), BoxError>>;
    /// Removes `key` durably: when this returns, it is gone from the store.
    fn delete(&self, key: &str) -> BoxFuture<'_, Result<(), BoxError>>;
}

/// Sessions as JSON documents (`user-<id>`) in a [`Documents`] store, and
/// each fan card as its own (`fan-<id>-<name>`), so a card's update never
/// rewrites the others.
pub struct StoredSessions<D> {
    documents: D,
    users: AtomicUsize,
}

impl<D> StoredSessions<D> {
    /// Sessions in `documents`, of which `users` exist already.
    pub fn new(documents: D, users: usize) -> StoredSessions<D> {
        StoredSessions { documents, users: AtomicUsize::new(users) }
    }

    /// Sets the number of users to a fresh count (other processes sharing
    /// the store add users this one does not see).
    pub fn recount(&self, users: usize) {
        self.users.store(users, Ordering::Relaxed);
    }
}

fn user_key(user: UserId) -> String {
    format!("user-{user}")
}

/// A card's key: `fan-<id>-<name>` when the name is made of what keys may
/// hold, else `fanx-<id>-<name in hex>` (Cyrillic, dots).
fn fan_key(user: UserId, name: &str) -> String {
    if name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        format!("fan-{user}-{name}")
    } else {
        let hex: String = name.bytes().map(|b| format!("{b:02x}")).collect();
        format!("fanx-{user}-{hex}")
    }
}

impl<D: Documents> Sessions for StoredSessions<D> {
    fn load(&self, user: UserId) -> BoxFuture<'_, Result<Option<Session>, BoxError>> {
        Box::pin(async move {
            let Some(body) = self.documents.get(&user_key(user)).await? else { return Ok(None) };
            Ok(Some(serde_json::from_slice(&body)?))
        })
    }

    fn save(&self, user: UserId, session: Session) -> BoxFuture<'_, Result<(), BoxError>> {
        Box::pin(async move {
            let key = user_key(user);
            if self.documents.get(&key).await?.is_none() {
                self.users.fetch_add(1, Ordering::Relaxed);
            }
            self.documents.put(&key, serde_json::to_vec(&session)?).await
        })
    }

    fn delete(&self, user: UserId) -> BoxFuture<'_, Result<(), BoxError>> {
        Box::pin(async move {
            let key = user_key(user);
            let Some(body) = self.documents.get(&key).await? else { return Ok(()) };
            // The cards first: if this stops half-way, the session still
            // lists what is left, and /forget again finishes the job. A
            // session that does not parse lists none, and is deleted all
            // the same.
            let fans = match serde_json::from_slice::<Session>(&body) {
                Ok(session) => session.fans,
                Err(err) => {
                    tracing::warn!(user, error = %err, "a session to delete does not parse; its fan cards stay");
                    Vec::new()
                }
            };
            for name in &fans {
                self.documents.delete(&fan_key(user, name)).await?;
            }
            self.users.fetch_sub(1, Ordering::Relaxed);
            self.documents.delete(&key).await
        })
    }

    fn count(&self) -> Option<usize> {
        Some(self.users.load(Ordering::Relaxed))
    }

    fn load_fan(&self, user: UserId, name: &str) -> BoxFuture<'_, Result<Option<FanCard>, BoxError>> {
        let key = fan_key(user, name);
        Box::pin(async move {
            let Some(body) = self.documents.get(&key).await? else { return Ok(None) };
            Ok(Some(serde_json::from_slice(&body)?))
        })
    }

    fn save_fan(&self, user: UserId, card: FanCard) -> BoxFuture<'_, Result<(), BoxError>> {
        Box::pin(async move { self.documents.put(&fan_key(user, &card.name), serde_json::to_vec(&card)?).await })
    }

    fn delete_fan(&self, user: UserId, name: &str) -> BoxFuture<'_, Result<(), BoxError>> {
        let key = fan_key(user, name);
        Box::pin(async move { self.documents.delete(&key).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Map(Mutex<HashMap<String, Vec<u8>>>);

    impl Documents for Map {
        fn get(&self, key: &str) -> BoxFuture<'_, Result<Option<Vec<u8>>, BoxError>> {
            let body = self.0.lock().unwrap().get(key).cloned();
            Box::pin(async move { Ok(body) })
        }
        fn put(&self, key: &str, body: Vec<u8>) -> BoxFuture<'_, Result<(), BoxError>> {
            self.0.lock().unwrap().insert(key.to_owned(), body);
            Box::pin(async { Ok(()) })
        }
        fn delete(&self, key: &str) -> BoxFuture<'_, Result<(), BoxError>> {
            self.0.lock().unwrap().remove(key);
            Box::pin(async { Ok(()) })
        }
    }

    #[tokio::test]
    async fn stored_sessions_round_trip_as_json_and_count_users() {
        let sessions = StoredSessions::new(Map::default(), 0);
        let mut session = Session::default();
        session.persona.name = "Kim".into();
        sessions.save(7, session.clone()).await.unwrap();
        sessions.save(7, session.clone()).await.unwrap();
        assert_eq!(sessions.count(), Some(1), "a second save of one user is not a second user");
        assert_eq!(sessions.load(7).await.unwrap(), Some(session));
        let body = sessions.documents.get("user-7").await.unwrap().unwrap();
        assert!(String::from_utf8(body).unwrap().contains("\"name\":\"Kim\""));
        sessions.delete(7).await.unwrap();
        assert_eq!((sessions.load(7).await.unwrap(), sessions.count()), (None, Some(0)));
        sessions.recount(42);
        assert_eq!(sessions.count(), Some(42), "a fresh count of a shared store replaces this process's");
    }

    #[tokio::test]
    async fn forgetting_takes_the_fan_cards_and_works_on_a_session_that_does_not_parse() {
        let sessions = StoredSessions::new(Map::default(), 0);
        let session = Session { fans: vec!["alex".into(), "саша".into()], ..Session::default() };
        sessions.save(7, session).await.unwrap();
        for name in ["alex", "саша"] {
            sessions.save_fan(7, FanCard::new(name)).await.unwrap();
        }
        assert!(sessions.documents.get("fan-7-alex").await.unwrap().is_some());
        sessions.delete(7).await.unwrap();
        assert!(sessions.documents.0.lock().unwrap().is_empty(), "no card is left");
        sessions.documents.put("user-8", b"{not json".to_vec()).await.unwrap();
        sessions.delete(8).await.unwrap();
        assert!(sessions.documents.get("user-8").await.unwrap().is_none());
    }
}
