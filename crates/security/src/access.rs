//! Who may use Muse, and which commands.
//!
//! Admins may do everything. With an allowlist, only listed users and the
//! admins may use Muse; everyone else gets one polite refusal (per day)
//! showing their id, so they can ask to be added. Banned users get silence.
//! Commands are admin-only unless the menu marks them open (deny by default).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::future::{BoxFuture, FutureExt};
use muse_domain::{Command, Reply, Request, UserId};
use tower::{Layer, Service};

use crate::counters::SecurityCounters;

/// What the policy says about one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Go ahead.
    Allowed,
    /// Not on the allowlist.
    NotAllowed,
    /// Banned by an admin.
    Banned,
    /// An admin command from someone who is not an admin.
    AdminOnly,
}

/// Admins, the allowlist and bans.
#[derive(Debug)]
pub struct AccessPolicy {
    admins: HashSet<UserId>,
    allowed: Option<HashSet<UserId>>,
    banned: RwLock<HashSet<UserId>>,
}

/// Why a ban was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BanError {
    /// Admins cannot be banned.
    #[error("admins cannot be banned")]
    Admin,
}

impl AccessPolicy {
    /// A policy with these admins and, if given, this allowlist.
    pub fn new(admins: impl IntoIterator<Item = UserId>, allowed: Option<Vec<UserId>>) -> AccessPolicy {
        AccessPolicy {
            admins: admins.into_iter().collect(),
            allowed: allowed.map(|ids| ids.into_iter().collect()),
            banned: RwLock::new(HashSet::new()),
        }
    }

    /// Whether `user` is an admin.
    pub fn is_admin(&self, user: UserId) -> bool {
        self.admins.contains(&user)
    }

    /// Decides for `user` sending `command` (if the update is a text).
    pub fn check(&self, user: UserId, command: Option<&Command>) -> Access {
        if self.is_admin(user) {
            return Access::Allowed;
        }
        if self.banned.read().unwrap_or_else(PoisonError::into_inner).contains(&user) {
            return Access::Banned;
        }
        if self.allowed.as_ref().is_some_and(|allowed| !allowed.contains(&user)) {
            return Access::NotAllowed;
        }
        match command {
            Some(command) if !command.is_open() => Access::AdminOnly,
            _ => Access::Allowed,
        }
    }

    /// Bans `user`; true if they were not banned already.
    pub fn ban(&self, user: UserId) -> Result<bool, BanError> {
        if self.is_admin(user) {
            return Err(BanError::Admin);
        }
        Ok(self.banned.write().unwrap_or_else(PoisonError::into_inner).insert(user))
    }

    /// Lifts a ban; true if there was one.
    pub fn unban(&self, user: UserId) -> bool {
        self.banned.write().unwrap_or_else(PoisonError::into_inner).remove(&user)
    }

    /// The banned users, sorted.
    pub fn banned(&self) -> Vec<UserId> {
        let mut banned: Vec<UserId> =
            self.banned.read().unwrap_or_else(PoisonError::into_inner).iter().copied().collect();
        banned.sort_unstable();
        banned
    }
}

/// How long a refused user goes without hearing the refusal again.
const REFUSAL_EVERY: Duration = Duration::from_secs(24 * 60 * 60);
/// Refused users remembered at most; older entries are dropped first.
const REFUSALS_KEPT: usize = 100_000;

/// Enforces an [`AccessPolicy`] in front of a `Request -> Reply` service.
#[derive(Clone, Debug)]
pub struct AccessLayer {
    policy: Arc<AccessPolicy>,
    counters: Arc<SecurityCounters>,
    refused: Arc<Mutex<HashMap<UserId, Instant>>>,
}

impl AccessLayer {
    /// A layer enforcing `policy`, counting into `counters`.
    pub fn new(policy: Arc<AccessPolicy>, counters: Arc<SecurityCounters>) -> AccessLayer {
        AccessLayer { policy, counters, refused: Arc::default() }
    }

    /// Whether the not-allowed refusal should be sent to `user` now.
    fn first_refusal(&self, user: UserId) -> bool {
        let now = Instant::now();
        let mut refused = self.refused.lock().unwrap_or_else(PoisonError::into_inner);
        if refused.get(&user).is_some_and(|at| now.duration_since(*at) < REFUSAL_EVERY) {
            return false;
        }
        if refused.len() >= REFUSALS_KEPT {
            refused.retain(|_, at| now.duration_since(*at) < REFUSAL_EVERY);
        }
        if refused.len() < REFUSALS_KEPT {
            refused.insert(user, now);
        }
        true
    }
}

impl<S> Layer<S> for AccessLayer {
    type Service = AccessControl<S>;

    fn layer(&self, inner: S) -> AccessControl<S> {
        AccessControl { inner, layer: self.clone() }
    }
}

/// The service of [`AccessLayer`].
#[derive(Clone, Debug)]
pub struct AccessControl<S> {
    inner: S,
    layer: AccessLayer,
}

impl<S> Service<Request> for AccessControl<S>
where
    S: Service<Request, Response = Reply>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Reply;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Reply, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let counters = &self.layer.counters;
        let reply = match self.layer.policy.check(request.user, request.command()) {
            Access::Allowed => return self.inner.call(request).boxed(),
            Access::Banned => {
                counters.banned();
                Reply::default()
            }
            Access::AdminOnly => {
                counters.admin_denied();
                tracing::warn!(
                    user = request.user,
                    command = request.command().and_then(Command::name).unwrap_or_default(),
                    "admin command refused"
                );
                Reply::text(request.ui().say("admins-only"))
            }
            Access::NotAllowed => {
                counters.not_allowed();
                if self.layer.first_refusal(request.user) {
                    Reply::text(request.ui().say_with("not-allowed", &[("user", request.user.into())]))
                } else {
                    Reply::default()
                }
            }
        };
        std::future::ready(Ok(reply)).boxed()
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use tower::{ServiceExt, service_fn};

    use super::*;

    type Svc = tower::util::BoxCloneSyncService<Request, Reply, Infallible>;

    fn service(policy: AccessPolicy) -> (Svc, Arc<SecurityCounters>) {
        let counters = Arc::new(SecurityCounters::default());
        let inner = service_fn(|_: Request| async { Ok::<_, Infallible>(Reply::text("ok")) });
        (Svc::new(AccessLayer::new(Arc::new(policy), counters.clone()).layer(inner)), counters)
    }

    async fn send(service: &Svc, user: UserId, text: &str) -> String {
        let input = muse_domain::Input::Command(Command::parse(text));
        let request = Request::new(user, None, input);
        service.clone().oneshot(request).await.unwrap().to_plain()
    }

    #[tokio::test]
    async fn admin_commands_need_an_admin() {
        let (service, counters) = service(AccessPolicy::new([1], None));
        assert_eq!(send(&service, 2, "/model other").await, "Admins only.\n");
        assert_eq!(send(&service, 2, "/stats").await, "Admins only.\n");
        assert_eq!(send(&service, 1, "/model other").await, "ok\n");
        assert_eq!(send(&service, 2, "/reply hi").await, "ok\n");
        assert_eq!(counters.snapshot().admin_denied, 2);
    }

    #[tokio::test]
    async fn the_allowlist_refuses_once_with_the_users_id() {
        let (service, counters) = service(AccessPolicy::new([1], Some(vec![5])));
        assert_eq!(send(&service, 5, "/reply hi").await, "ok\n");
        assert_eq!(send(&service, 1, "/reply hi").await, "ok\n", "admins are always allowed");
        assert!(send(&service, 9, "/reply hi").await.contains("Your Telegram id is 9"));
        assert_eq!(send(&service, 9, "/reply again").await, "", "one refusal, then silence");
        assert_eq!(counters.snapshot().not_allowed, 2);
    }

    #[tokio::test]
    async fn banned_users_get_silence_and_admins_cannot_be_banned() {
        let policy = AccessPolicy::new([1], None);
        assert_eq!(policy.ban(1), Err(BanError::Admin));
        assert_eq!(policy.ban(7), Ok(true));
        assert_eq!(policy.banned(), [7]);
        let (service, counters) = service(policy);
        assert_eq!(send(&service, 7, "/reply hi").await, "");
        assert_eq!(counters.snapshot().banned, 1);
    }
}
