//! Checks of the machine: load, memory, disk, and the process's memory trend.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::future::BoxFuture;
use sysinfo::{Disks, MemoryRefreshKind, ProcessRefreshKind, ProcessesToUpdate, RefreshKind, System};

use crate::check::{Check, CheckResult};

/// The disk holding `path` (the longest mount point that prefixes it):
/// (available, total) bytes.
pub fn disk_space(path: &std::path::Path) -> Option<(u64, u64)> {
    let path = path.canonicalize().ok()?;
    let disks = Disks::new_with_refreshed_list().ok()?;
    disks
        .iter()
        .filter(|d| path.starts_with(d.mount_point()))
        .max_by_key(|d| d.mount_point().as_os_str().len())
        .map(|d| (d.available_space(), d.total_space()))
}

/// The resident memory of this process, in bytes.
pub fn resident_memory() -> Option<u64> {
    let pid = sysinfo::get_current_pid().ok()?;
    let mut system = System::new().ok()?;
    system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[pid]),
        true,
        ProcessRefreshKind::nothing().with_memory(),
    );
    system.process(pid).map(|p| p.memory())
}

/// CPU load, memory and the data disk.
#[derive(Debug, Clone)]
pub struct SystemCheck {
    /// The directory whose disk is checked.
    pub data_dir: PathBuf,
}

impl Check for SystemCheck {
    fn name(&self) -> &'static str {
        "system"
    }

    fn run(&self) -> BoxFuture<'_, CheckResult> {
        let dir = self.data_dir.clone();
        Box::pin(async move {
            let measured = tokio::task::spawn_blocking(move || {
                let system =
                    System::new_with_specifics(RefreshKind::nothing().with_memory(MemoryRefreshKind::everything()))
                        .ok();
                let load = System::load_average().map_or(0.0, |l| l.one);
                let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
                let memory = system.map_or((1, 1), |s| (s.available_memory(), s.total_memory()));
                (load, cores, memory, disk_space(&dir))
            })
            .await;
            let Ok((load, cores, (available, total), disk)) = measured else {
                return CheckResult::degraded("could not read system figures");
            };
            let memory_free = if total > 0 { available as f64 / total as f64 } else { 1.0 };
            let disk_free = disk.map_or(1.0, |(free, total)| if total > 0 { free as f64 / total as f64 } else { 1.0 });
            let summary = format!(
                "load {load:.2} on {cores:.0} cores, memory {:.0}% free, disk {:.0}% free",
                memory_free * 100.0,
                disk_free * 100.0
            );
            if memory_free < 0.05 || disk_free < 0.02 {
                CheckResult::unhealthy(summary)
            } else if load > cores * 2.0 || memory_free < 0.10 || disk_free < 0.05 {
                CheckResult::degraded(summary)
            } else {
                CheckResult::healthy(summary)
            }
        })
    }
}

/// The data directory is writable and its disk has room.
#[derive(Debug, Clone)]
pub struct FilesystemCheck {
    /// The data directory.
    pub data_dir: PathBuf,
    /// Free bytes below which the check is degraded.
    pub min_free_bytes: u64,
}

impl Check for FilesystemCheck {
    fn name(&self) -> &'static str {
        "filesystem"
    }

    fn critical(&self) -> bool {
        true
    }

    fn run(&self) -> BoxFuture<'_, CheckResult> {
        let (dir, min_free) = (self.data_dir.clone(), self.min_free_bytes);
        Box::pin(async move {
            let probe = tokio::task::spawn_blocking(move || {
                let written = tempfile_probe(&dir);
                (written, disk_space(&dir))
            })
            .await;
            match probe {
                Ok((Err(err), _)) => CheckResult::unhealthy(format!("data directory not writable: {err}")),
                Ok((Ok(()), Some((free, _)))) if free < min_free => {
                    CheckResult::degraded(format!("only {} MiB free", free >> 20))
                }
                Ok((Ok(()), free)) => CheckResult::healthy(
                    free.map_or("writable".to_owned(), |(free, _)| format!("writable, {} MiB free", free >> 20)),
                ),
                Err(err) => CheckResult::degraded(format!("probe failed: {err}")),
            }
        })
    }
}

fn tempfile_probe(dir: &std::path::Path) -> std::io::Result<()> {
    let path = dir.join(format!(".muse-health-probe-{}", std::process::id()));
    std::fs::write(&path, b"ok")?;
    std::fs::remove_file(&path)
}

/// Samples the process's resident memory and reports sustained growth.
#[derive(Debug, Clone)]
pub struct MemoryTrend {
    samples: Arc<Mutex<VecDeque<u64>>>,
    window: usize,
    growth: f64,
}

impl MemoryTrend {
    /// Keeps `window` samples; growth by more than `growth` (0.2 = 20%)
    /// with no sample lower than the one before is "sustained".
    pub fn new(window: usize, growth: f64) -> MemoryTrend {
        MemoryTrend { samples: Arc::default(), window: window.max(2), growth }
    }

    /// Adds a sample (bytes).
    pub fn record(&self, bytes: u64) {
        let mut samples = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        samples.push_back(bytes);
        while samples.len() > self.window {
            samples.pop_front();
        }
    }

    /// Samples resident memory every `every` on a background task.
    pub fn spawn_sampling(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let trend = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Ok(Some(bytes)) = tokio::task::spawn_blocking(resident_memory).await {
                    trend.record(bytes);
                }
            }
        })
    }

    fn verdict(&self) -> CheckResult {
        let samples = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        let (Some(first), Some(last)) = (samples.front().copied(), samples.back().copied()) else {
            return CheckResult::healthy("no samples yet");
        };
        let summary = format!("{} MiB resident, {} MiB at the start of the window", last >> 20, first >> 20);
        let rising = samples.iter().zip(samples.iter().skip(1)).all(|(a, b)| b >= a);
        let grew = first > 0 && (last as f64 / first as f64) > 1.0 + self.growth;
        if samples.len() >= self.window && rising && grew {
            CheckResult::degraded(format!("sustained growth: {summary}"))
        } else {
            CheckResult::healthy(summary)
        }
    }
}

impl Check for MemoryTrend {
    fn name(&self) -> &'static str {
        "memory_leaks"
    }

    fn run(&self) -> BoxFuture<'_, CheckResult> {
        Box::pin(async move { self.verdict() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sustained_growth_is_degraded_and_a_plateau_is_not() {
        let trend = MemoryTrend::new(4, 0.2);
        for mib in [100u64, 110, 120, 130] {
            trend.record(mib << 20);
        }
        assert_eq!(trend.verdict().status, crate::Status::Degraded);
        let plateau = MemoryTrend::new(4, 0.2);
        for mib in [100u64, 130, 125, 130] {
            plateau.record(mib << 20);
        }
        assert_eq!(plateau.verdict().status, crate::Status::Healthy);
    }

    #[tokio::test]
    async fn the_filesystem_check_writes_a_probe() {
        let dir = std::env::temp_dir();
        let result = FilesystemCheck { data_dir: dir, min_free_bytes: 0 }.run().await;
        assert_eq!(result.status, crate::Status::Healthy, "{}", result.reason);
        let missing = FilesystemCheck { data_dir: "/nonexistent/muse".into(), min_free_bytes: 0 }.run().await;
        assert_eq!(missing.status, crate::Status::Unhealthy);
    }
}
