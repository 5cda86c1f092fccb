//! Several instances of one bot on one Redis: the polling lease, the
//! heartbeat, and once-only handling of each update (see
//! [`muse_telegram::Cluster`]).

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use muse_storage::RedisStore;
use muse_telegram::Cluster;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// How long the polling lease lasts unless renewed: a dead leader is
/// replaced within this and one [`LEASE_CHECK`].
pub(crate) const LEADER_LEASE: Duration = Duration::from_secs(10);
/// How often the leader renews, and the others try to take over.
const LEASE_CHECK: Duration = Duration::from_secs(2);
/// How long an instance counts as alive after its last heartbeat.
const ALIVE: Duration = Duration::from_secs(10);
/// How long one instance may hold an update before others may take it
/// even while it is alive (far beyond any request's deadline).
const CLAIM: Duration = Duration::from_secs(600);
/// How long an answered update is remembered, so a Telegram retry of it
/// (or a second poller's copy) is ignored.
const REMEMBER: Duration = Duration::from_secs(3600);
const JOURNAL: &str = "updates";

/// The Redis side of [`Cluster`].
pub(crate) struct RedisCluster {
    redis: RedisStore,
    leader: watch::Receiver<bool>,
}

impl RedisCluster {
    /// Starts the heartbeat and the contest for the polling lease (when
    /// `poll`: a webhook instance never polls), both ending with `shutdown`.
    pub(crate) fn start(redis: RedisStore, poll: bool, shutdown: CancellationToken) -> Arc<RedisCluster> {
        let (lead, leader) = watch::channel(false);
        tokio::spawn(beat(redis.clone(), shutdown.clone()));
        if poll {
            tokio::spawn(contest(redis.clone(), lead, shutdown));
        }
        Arc::new(RedisCluster { redis, leader })
    }
}

async fn beat(redis: RedisStore, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(ALIVE / 3);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        if let Err(err) = redis.heartbeat(ALIVE).await {
            tracing::debug!(error = %err, "heartbeat failed");
        }
    }
}

/// Holds or seeks the polling lease. While Redis cannot be reached the
/// leader goes on polling and the others go on waiting: two pollers would
/// each get updates the other also gets.
async fn contest(redis: RedisStore, lead: watch::Sender<bool>, shutdown: CancellationToken) {
    let mut held: Option<String> = None;
    let mut tick = tokio::time::interval(LEASE_CHECK);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        held = match held {
            Some(token) => match redis.renew_lease("poller", &token, LEADER_LEASE).await {
                Ok(true) => Some(token),
                Ok(false) => None,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot renew the polling lease; polling on");
                    Some(token)
                }
            },
            None => redis.try_lease("poller", LEADER_LEASE).await.unwrap_or_else(|err| {
                tracing::debug!(error = %err, "cannot seek the polling lease");
                None
            }),
        };
        lead.send_if_modified(|lead| std::mem::replace(lead, held.is_some()) != held.is_some());
    }
    // Stopping: the next instance need not wait for the lease to expire.
    if let Some(token) = held {
        let _ = redis.release_lease("poller", &token).await;
    }
}

impl Cluster for RedisCluster {
    fn leader(&self) -> watch::Receiver<bool> {
        self.leader.clone()
    }

    fn begin(&self, id: u32, update: Vec<u8>) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            match self.redis.begin(JOURNAL, &id.to_string(), &update, CLAIM).await {
                Ok(won) => won,
                Err(err) => {
                    // Nobody can take it over then; answering it is the lesser risk.
                    metrics::counter!("muse_redis_fallbacks_total", "what" => "update claim").increment(1);
                    tracing::warn!(error = %err, update = id, "cannot claim an update; answering it unclaimed");
                    true
                }
            }
        })
    }

    fn end(&self, id: u32) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Err(err) = self.redis.end(JOURNAL, &id.to_string(), REMEMBER).await {
                tracing::warn!(error = %err, update = id, "cannot mark an update answered");
            }
        })
    }

    fn orphans(&self) -> BoxFuture<'_, Vec<Vec<u8>>> {
        Box::pin(async move {
            match self.redis.orphans(JOURNAL, CLAIM).await {
                Ok(orphans) => orphans.into_iter().map(|(_, update)| update).collect(),
                Err(err) => {
                    tracing::debug!(error = %err, "cannot look for unanswered updates");
                    Vec::new()
                }
            }
        })
    }
}
