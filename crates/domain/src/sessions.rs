//! Where the assistant keeps sessions. The assistant does no I/O itself:
//! it is handed a [`Sessions`] implementation (in memory, or a file store).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use futures::future::BoxFuture;
use tower::BoxError;

use crate::assistant::{Session, UserId};

/// Loads, saves and deletes users' sessions.
pub trait Sessions: Send + Sync + 'static {
    /// The session of `user`, if one is stored.
    fn load(&self, user: UserId) -> BoxFuture<'_, Result<Option<Session>, BoxError>>;
    /// Stores the session of `user`.
    fn save(&self, user: UserId, session: Session) -> BoxFuture<'_, Result<(), BoxError>>;
    /// Deletes everything stored about `user`.
    fn delete(&self, user: UserId) -> BoxFuture<'_, Result<(), BoxError>>;
    /// How many users have a session, if the backend knows.
    fn count(&self) -> Option<usize>;
}

/// Sessions in a map: nothing survives the process.
#[derive(Debug, Default)]
pub struct MemorySessions {
    sessions: Mutex<HashMap<UserId, Session>>,
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
        Box::pin(async { Ok(()) })
    }

    fn count(&self) -> Option<usize> {
        Some(self.sessions.lock().unwrap_or_else(PoisonError::into_inner).len())
    }
}
