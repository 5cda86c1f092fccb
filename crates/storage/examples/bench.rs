//! Storage benchmark: the cost of a flush when one user changes with 10,
//! 10 000 and 100 000 users stored, start-up time and resident memory with
//! 100 000 users.
//!
//! `cargo run --release -p muse-storage --example bench -- [max users]`
//! (writes about 40 MB under the system temp directory, then removes it).

use std::time::{Duration, Instant};

use muse_storage::{Document, FileStore, FileStoreConfig, Store};

/// A session-sized document: persona, settings, some history.
fn session(user: usize, round: usize) -> Document {
    let body = format!(
        r#"{{"persona":{{"name":"Creator {user}","voice":"playful, teasing","emoji":"some","lowercase":false}},"tone":"playful","lang":"en","history":{{"turns":[{{"role":"user","content":"hey gorgeous, round {round}"}},{{"role":"assistant","content":"1. hey you\n2. miss me?\n3. guess what"}}]}},"last_draft":null}}"#
    );
    Document::new(1, body.into_bytes())
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn config(dir: &std::path::Path) -> FileStoreConfig {
    FileStoreConfig { flush_every: Duration::from_secs(3600), ..FileStoreConfig::new(dir) }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("reopen") {
        return reopen(std::path::Path::new(&args[1]), args[2].parse()?).await;
    }
    let max: usize = args.first().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir()?;
    let store = FileStore::open(config(dir.path())).await?;
    let mut stored = 0;
    println!("users\tflush of one changed user (median of 50)\tp90");
    for target in [10, 10_000, 100_000].into_iter().filter(|n| *n <= max) {
        let started = Instant::now();
        while stored < target {
            store.put(&format!("user-{stored}"), session(stored, 0)).await?;
            stored += 1;
            if stored % 5_000 == 0 {
                store.flush().await?;
            }
        }
        store.flush().await?;
        eprintln!("(stored {target} users in {:.1?})", started.elapsed());
        let mut samples = Vec::new();
        for round in 1..=50 {
            let user = (round * 7919) % target;
            store.put(&format!("user-{user}"), session(user, round)).await?;
            let started = Instant::now();
            store.flush().await?;
            samples.push(started.elapsed());
        }
        let p90 = {
            let mut s = samples.clone();
            s.sort();
            s[s.len() * 9 / 10]
        };
        println!("{target}\t{:.2?}\t{:.2?}", median(samples), p90);
    }
    store.close().await?;
    // Start-up and memory in a fresh process, as a restarted bot would see them.
    let status = std::process::Command::new(std::env::current_exe()?)
        .args(["reopen", dir.path().to_str().ok_or("path")?, &stored.to_string()])
        .status()?;
    assert!(status.success());
    Ok(())
}

async fn reopen(dir: &std::path::Path, stored: usize) -> Result<(), Box<dyn std::error::Error>> {
    let rss_before = rss_mib();
    let started = Instant::now();
    let store = FileStore::open(config(dir)).await?;
    let opened = started.elapsed();
    let started = Instant::now();
    assert!(store.get("user-4242").await?.is_some());
    let first_read = started.elapsed();
    println!(
        "start-up with {stored} users: open {opened:.2?} (lock, stale-file sweep, no document read), first read {first_read:.2?}"
    );
    println!("resident memory: {rss_before:.1} MiB before open, {:.1} MiB after open", rss_mib());
    let started = Instant::now();
    for user in 0..stored {
        store.get(&format!("user-{user}")).await?;
    }
    println!(
        "read all {stored} users cold in {:.2?}: resident memory {:.1} MiB, cache {:.1} MiB (budget 16 MiB)",
        started.elapsed(),
        rss_mib(),
        store.health().cached_bytes as f64 / (1 << 20) as f64
    );
    store.close().await?;
    Ok(())
}
