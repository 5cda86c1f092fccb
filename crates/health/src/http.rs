//! The ops HTTP routes: `/healthz`, `/readyz`, `/health`, `/metrics`,
//! limited per client IP with tower-governor.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;

use crate::check::Runner;

/// Renders the Prometheus text exposition on each scrape.
pub type MetricsRender = Arc<dyn Fn() -> String + Send + Sync>;

#[derive(Clone)]
struct Ops {
    runner: Arc<Runner>,
    metrics: MetricsRender,
}

/// The paths [`router`] serves.
pub const ROUTES: [&str; 4] = ["/healthz", "/readyz", "/health", "/metrics"];

/// The routes. Each client IP may make 20 requests in a burst, then 10 a second.
pub fn router(runner: Arc<Runner>, metrics: MetricsRender) -> Router {
    let limit = GovernorConfigBuilder::default()
        .per_millisecond(100)
        .burst_size(20)
        .finish()
        .expect("a valid rate-limit configuration");
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/health", get(health))
        .route("/metrics", get(metrics_text))
        .layer(GovernorLayer::new(limit))
        .with_state(Ops { runner, metrics })
}

async fn readyz(State(ops): State<Ops>) -> Response {
    let report = ops.runner.run().await;
    if report.ready {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        let body = serde_json::json!({ "ready": false, "reasons": report.not_ready_reasons() });
        (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
    }
}

async fn health(State(ops): State<Ops>) -> Response {
    let report = ops.runner.run().await;
    let status = if report.ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, axum::Json(report)).into_response()
}

async fn metrics_text(State(ops): State<Ops>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], (ops.metrics)()).into_response()
}

/// Binds `addr` and serves `router` there on its own task until
/// `shutdown` resolves; returns the address bound.
pub async fn spawn(
    addr: SocketAddr,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(err) = serve(listener, router, shutdown).await {
            tracing::error!(error = %err, "the ops HTTP server stopped");
        }
    });
    Ok(bound)
}

/// Installs the process's Prometheus recorder (once per process), with
/// buckets for the model-call latency histogram.
pub fn install_recorder() -> Result<PrometheusHandle, BuildError> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("muse_model_request_seconds".to_owned()),
            &[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0],
        )?
        .install_recorder()
}

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{CheckResult, FnCheck};

    /// An HTTP client. reqwest 0.13 is built without a TLS provider of its own
    /// (ring comes from rustls), so one is installed first.
    fn http() -> reqwest::Client {
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::new()
    }

    async fn start(healthy: bool) -> String {
        let runner = Runner::new(Duration::from_secs(1)).with(FnCheck::new("llm", true, move || {
            Box::pin(async move { if healthy { CheckResult::healthy("up") } else { CheckResult::unhealthy("down") } })
        }));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = router(Arc::new(runner), Arc::new(|| "muse_up 1\n".to_owned()));
        tokio::spawn(serve(listener, app, std::future::pending()));
        url
    }

    #[tokio::test]
    async fn routes_answer() {
        let url = start(true).await;
        assert_eq!(http().get(format!("{url}/healthz")).send().await.unwrap().status(), 200);
        assert_eq!(http().get(format!("{url}/readyz")).send().await.unwrap().status(), 200);
        let health: serde_json::Value = http().get(format!("{url}/health")).send().await.unwrap().json().await.unwrap();
        assert_eq!(health["checks"][0]["name"], "llm");
        assert_eq!(http().get(format!("{url}/metrics")).send().await.unwrap().text().await.unwrap(), "muse_up 1\n");
    }

    #[tokio::test]
    async fn not_ready_is_503_with_reasons_and_clients_are_rate_limited() {
        let url = start(false).await;
        let response = http().get(format!("{url}/readyz")).send().await.unwrap();
        assert_eq!(response.status(), 503);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["reasons"][0], "llm: down");
        let mut limited = false;
        for _ in 0..40 {
            limited |= http().get(format!("{url}/healthz")).send().await.unwrap().status() == 429;
        }
        assert!(limited, "a burst past 20 requests is refused");
    }
}
