//! Once-only work among instances: claims, a journal of claimed work not
//! yet finished, heartbeats, and taking over the work of a dead instance.

use std::time::Duration;

use super::{RedisStore, RedisStoreError, millis, scripts};

impl RedisStore {
    /// Claims `name` for `ttl`: true for the first caller of all
    /// instances, false for every later one until the claim expires.
    pub async fn claim(&self, name: &str, ttl: Duration) -> Result<bool, RedisStoreError> {
        let mut command = ::redis::cmd("SET");
        command.arg(self.key("claim", name)).arg(self.instance.as_ref()).arg("NX").arg("PX").arg(millis(ttl));
        let taken: Option<String> = self.run(command).await?;
        Ok(taken.is_some())
    }

    /// Marks the claim `name` as finished for `ttl`: later claims fail
    /// until then. Used once a claimed piece of work is done.
    pub async fn finish_claim(&self, name: &str, ttl: Duration) -> Result<(), RedisStoreError> {
        let mut command = ::redis::cmd("SET");
        command.arg(self.key("claim", name)).arg(DONE).arg("PX").arg(millis(ttl));
        let _: Option<String> = self.run(command).await?;
        Ok(())
    }

    /// Gives up the claim `name` (the work was not done), so the next
    /// caller may take it.
    pub async fn drop_claim(&self, name: &str) -> Result<(), RedisStoreError> {
        let mut invocation = scripts::RELEASE.prepare_invoke();
        invocation.key(self.key("claim", name)).arg(self.instance.as_ref());
        let _: i64 = self.invoke(invocation).await?;
        Ok(())
    }

    /// Says this instance is alive for `ttl`; others take over its
    /// unfinished work once it stops saying so.
    pub async fn heartbeat(&self, ttl: Duration) -> Result<(), RedisStoreError> {
        let mut command = ::redis::cmd("SET");
        command.arg(self.key("alive", &self.instance)).arg(1).arg("PX").arg(millis(ttl));
        let _: Option<String> = self.run(command).await?;
        Ok(())
    }

    /// Claims work `id` of `journal` for `ttl` and, if won, records `body`
    /// in the journal until [`RedisStore::end`], in one step. False when
    /// another instance has it or finished it.
    pub async fn begin(&self, journal: &str, id: &str, body: &[u8], ttl: Duration) -> Result<bool, RedisStoreError> {
        let mut invocation = scripts::BEGIN.prepare_invoke();
        invocation
            .key(self.key("claim", &format!("{journal}-{id}")))
            .key(self.key("journal", journal))
            .arg(self.instance.as_ref())
            .arg(millis(ttl))
            .arg(id)
            .arg(body);
        let won: i64 = self.invoke(invocation).await?;
        Ok(won == 1)
    }

    /// Work `id` of `journal` is finished: out of the journal, and claims
    /// of it fail for `remember` (retries of the same work are ignored).
    pub async fn end(&self, journal: &str, id: &str, remember: Duration) -> Result<(), RedisStoreError> {
        let mut invocation = scripts::END.prepare_invoke();
        invocation
            .key(self.key("claim", &format!("{journal}-{id}")))
            .key(self.key("journal", journal))
            .arg(DONE)
            .arg(millis(remember))
            .arg(id);
        let _: i64 = self.invoke(invocation).await?;
        Ok(())
    }

    /// The work of `journal` that an instance claimed and did not finish
    /// before it stopped sending heartbeats (or whose claim ran out), now
    /// claimed for this instance for `ttl`: `(id, body)` pairs.
    pub async fn orphans(&self, journal: &str, ttl: Duration) -> Result<Vec<(String, Vec<u8>)>, RedisStoreError> {
        let entries: Vec<(String, Vec<u8>)> =
            self.run(::redis::cmd("HGETALL").arg(self.key("journal", journal)).to_owned()).await?;
        let mut taken = Vec::new();
        for (id, body) in entries {
            let claim = self.key("claim", &format!("{journal}-{id}"));
            let holder: Option<String> = self.run(::redis::cmd("GET").arg(&claim).to_owned()).await?;
            let expected = match holder {
                Some(holder) if holder == DONE => {
                    // Finished; the journal entry outlived it (a crash between the two).
                    let _: i64 =
                        self.run(::redis::cmd("HDEL").arg(self.key("journal", journal)).arg(&id).to_owned()).await?;
                    continue;
                }
                Some(holder) if holder == *self.instance => continue,
                Some(holder) => {
                    let alive: bool =
                        self.run(::redis::cmd("EXISTS").arg(self.key("alive", &holder)).to_owned()).await?;
                    if alive {
                        continue;
                    }
                    holder
                }
                None => String::new(),
            };
            let mut invocation = scripts::TAKE_OVER.prepare_invoke();
            invocation.key(&claim).arg(expected).arg(self.instance.as_ref()).arg(millis(ttl));
            let won: i64 = self.invoke(invocation).await?;
            if won == 1 {
                taken.push((id, body));
            }
        }
        Ok(taken)
    }
}

/// The value of a finished claim.
const DONE: &str = "done";
