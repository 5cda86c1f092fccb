//! Health and observability for bots: checks that run in parallel, each
//! under its own timeout, summed up as healthy, degraded or unhealthy; and
//! the ops HTTP routes `/healthz` (the process answers), `/readyz` (200, or
//! 503 with the reasons), `/health` (the JSON report) and `/metrics`
//! (Prometheus text), rate-limited per client IP.
//!
//! # Layout
//!
//! - [`check`] holds the [`Check`] trait, [`FnCheck`], the [`Runner`] and its [`Report`], which renders itself as text.
//! - [`checks`] holds the judgments of Muse's own checks (Bot API, provider, store, refusal spikes).
//! - [`stats`] holds [`Stats`] and [`Gauge`], the counts `/stats` and `/metrics` share.
//! - [`system`] holds the machine checks: [`SystemCheck`], [`FilesystemCheck`], [`MemoryTrend`].
//! - [`http`] holds the [`router`] and [`serve`].
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use muse_health::{CheckResult, FnCheck, Runner, Status};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let runner = Runner::new(Duration::from_secs(2))
//!     .with(FnCheck::new("llm", true, || Box::pin(async { CheckResult::healthy("3 models listed") })));
//! let report = runner.run().await;
//! assert_eq!(report.status, Status::Healthy);
//! assert!(report.ready);
//! # }
//! ```

pub mod check;
pub mod checks;
pub mod http;
pub mod stats;
pub mod system;

pub use check::{Check, CheckReport, CheckResult, FnCheck, Report, Runner, Status};
pub use checks::Spike;
pub use http::{MetricsRender, install_recorder, router, serve, spawn};
pub use stats::{Gauge, Stats};
pub use system::{FilesystemCheck, MemoryTrend, SystemCheck, disk_space, resident_memory};
