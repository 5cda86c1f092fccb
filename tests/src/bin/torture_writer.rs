//! Writes documents as fast as it can until it is killed, for the crash
//! torture test. `torture-writer <dir> <durable|behind> <seed>` prints
//! `<key> <value>` after each write the store acknowledged; in durable mode
//! an acknowledged write is on disk.

use std::io::Write;

use muse_storage::{Document, FileStore, FileStoreConfig, Store};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("usage: torture-writer <dir> <durable|behind> <seed>")?;
    let durable = args.next().as_deref() == Some("durable");
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let config =
        FileStoreConfig { durable, flush_every: std::time::Duration::from_millis(5), ..FileStoreConfig::new(dir) };
    let store = FileStore::open(config).await?;
    let mut out = std::io::stdout().lock();
    // Values only grow, so the test can tell an old value from a lost one.
    let start = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_micros() as u64;
    for i in 0u64.. {
        let value = start + i;
        let key = format!("k{}", (i.wrapping_mul(seed) ^ seed) % 20);
        let padding = "x".repeat(((value * 7919) % 2048) as usize);
        store.put(&key, Document::new(1, format!("{value} {padding}").into_bytes())).await?;
        writeln!(out, "{key} {value}")?;
        out.flush()?;
    }
    Ok(())
}
