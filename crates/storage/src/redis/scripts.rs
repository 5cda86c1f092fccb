//! The Lua scripts that make lease, claim and rate-limit steps atomic on
//! the server.

use std::sync::LazyLock;

use ::redis::Script;

/// `KEYS[1]` lease, `ARGV[1]` token, `ARGV[2]` ttl in ms: extends the lease
/// if the token still holds it. Returns 1 if renewed, 0 if lost.
pub(super) static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0",
    )
});

/// `KEYS[1]` lease or claim, `ARGV[1]` token: deletes it if the token
/// still holds it. Returns 1 if deleted.
pub(super) static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0",
    )
});

/// GCRA. `KEYS[1]` the limit's theoretical arrival time (µs, server clock),
/// `ARGV[1]` the emission interval in µs, `ARGV[2]` the burst. Returns 0
/// when the request is allowed (and records it), else the µs to wait.
pub(super) static GCRA: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat + interval - interval * burst
if now < allow_at then
  return allow_at - now
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1000)
return 0",
    )
});

/// `KEYS[1]` claim, `KEYS[2]` journal; `ARGV[1]` holder, `ARGV[2]` ttl in
/// ms, `ARGV[3]` work id, `ARGV[4]` body. Claims and journals at once.
/// Returns 1 if won.
pub(super) static BEGIN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
  return 1
end
return 0",
    )
});

/// `KEYS[1]` claim, `KEYS[2]` journal; `ARGV[1]` the done marker,
/// `ARGV[2]` how long to remember it in ms, `ARGV[3]` work id.
pub(super) static END: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return redis.call('HDEL', KEYS[2], ARGV[3])",
    )
});

/// `KEYS[1]` claim; `ARGV[1]` the holder expected ('' for none),
/// `ARGV[2]` the new holder, `ARGV[3]` ttl in ms. Returns 1 if taken.
pub(super) static TAKE_OVER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local holder = redis.call('GET', KEYS[1])
if (holder == false and ARGV[1] == '') or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0",
    )
});
