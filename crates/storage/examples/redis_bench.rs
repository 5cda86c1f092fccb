//! The Redis store beside the file store's benchmark: a write of one
//! changed user (acknowledged by Redis: its durability is the AOF's), a
//! read, 64 writers at once, and Redis's memory with 100 000 users stored.
//! Starts its own `redis-server` (AOF, `appendfsync everysec`) on a free port.
//!
//! `cargo run --release -p muse-storage --example redis_bench -- [max users]`

use std::time::{Duration, Instant};

use muse_storage::{Document, RedisConfig, RedisStore, Store};
use muse_testkit::RedisServer;

fn session(user: usize, round: usize) -> Document {
    let body = format!(
        r#"{{"persona":{{"name":"Creator {user}","voice":"playful, teasing","emoji":"some","lowercase":false}},"tone":"playful","lang":"en","history":{{"turns":[{{"role":"user","content":"hey gorgeous, round {round}"}},{{"role":"assistant","content":"1. hey you\n2. miss me?\n3. guess what"}}]}},"last_draft":null}}"#
    );
    Document::new(1, body.into_bytes())
}

fn percentile(samples: &mut [Duration], p: usize) -> Duration {
    samples.sort();
    samples[samples.len() * p / 100]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let max: usize = std::env::args().nth(1).and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let server = RedisServer::start()?;
    let store = RedisStore::open(&RedisConfig::new(server.url()))?;
    let mut stored = 0;
    println!("users\twrite of one changed user (median of 200)\tp90\tread (median)\tp90");
    for target in [10, 10_000, 100_000].into_iter().filter(|n| *n <= max) {
        let started = Instant::now();
        while stored < target {
            let writes: Vec<_> = (stored..target.min(stored + 256))
                .map(|user| {
                    let store = store.clone();
                    async move { store.put(&format!("user-{user}"), session(user, 0)).await }
                })
                .collect();
            stored += writes.len();
            for result in futures::future::join_all(writes).await {
                result?;
            }
        }
        eprintln!("(stored {target} users in {:.1?})", started.elapsed());
        let (mut writes, mut reads) = (Vec::new(), Vec::new());
        for round in 1..=200 {
            let user = (round * 7919) % target;
            let started = Instant::now();
            store.put(&format!("user-{user}"), session(user, round)).await?;
            writes.push(started.elapsed());
            let started = Instant::now();
            assert!(store.get(&format!("user-{user}")).await?.is_some());
            reads.push(started.elapsed());
        }
        println!(
            "{target}\t{:.0?}\t{:.0?}\t{:.0?}\t{:.0?}",
            percentile(&mut writes, 50),
            percentile(&mut writes, 90),
            percentile(&mut reads, 50),
            percentile(&mut reads, 90)
        );
    }
    let started = Instant::now();
    let writers: Vec<_> = (0..64)
        .map(|writer| {
            let store = store.clone();
            async move {
                for round in 0..100 {
                    store.put(&format!("user-{}", writer * 100 + round), session(writer, round)).await?;
                }
                Ok::<(), muse_storage::RedisStoreError>(())
            }
        })
        .collect();
    for result in futures::future::join_all(writers).await {
        result?;
    }
    let took = started.elapsed();
    println!("64 writers x 100 writes: {took:.1?} ({:.0} writes/s on one connection)", 6400.0 / took.as_secs_f64());
    let started = Instant::now();
    let users = store.count("user-").await?;
    println!("counting {users} users at start-up (SCAN): {:.1?}", started.elapsed());
    let info = std::process::Command::new("redis-cli")
        .args(["-u", &server.url(), "INFO", "memory"])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default();
    if let Some(line) = info.lines().find(|line| line.starts_with("used_memory_human:")) {
        println!("Redis memory with {users} users: {}", line.trim_start_matches("used_memory_human:").trim());
    }
    Ok(())
}
