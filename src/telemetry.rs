//! Logging: the subscriber, and one line per request.

use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use tracing_subscriber::EnvFilter;

use actix_web::web;

use crate::domain::UserId;
use crate::state::AppState;

/// Installs the global subscriber, writing to standard error. `filter` uses
/// `EnvFilter` syntax, such as `info` or `subaccounts=debug,actix_web=warn`.
pub fn init(filter: &str) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(filter)
        .map_err(|error| anyhow::anyhow!("invalid SUBACCOUNTS_LOG \"{filter}\": {error}"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init()
        .map_err(|error| anyhow::anyhow!("could not install the logger: {error}"))
}

/// Middleware that logs each request once it is answered, and counts it in
/// the metrics: method, route, status, latency and the signed-in user's id. It logs the route pattern
/// rather than the path, so tokens in paths such as `/setup/{token}` stay out
/// of the log; unmatched paths are logged as they came.
pub async fn log_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = request.method().clone();
    let response = next.call(request).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1_000.0;
    match &response {
        Ok(response) => {
            let request = response.request();
            let pattern = request.match_pattern();
            if let Some(state) = request.app_data::<web::Data<AppState>>() {
                // Unmatched paths share one series, so scans cannot add series without end.
                let series = pattern.as_deref().unwrap_or("unmatched");
                state.metrics.record_request(
                    method.as_str(),
                    series,
                    response.status().as_u16(),
                    latency_ms / 1_000.0,
                );
            }
            let route = pattern.unwrap_or_else(|| request.path().to_owned());
            let user_id = request.extensions().get::<UserId>().map(|id| id.0);
            tracing::info!(
                method = %method,
                route,
                status = response.status().as_u16(),
                latency_ms = format_args!("{latency_ms:.2}"),
                user_id,
                "request"
            );
        }
        Err(error) => tracing::warn!(method = %method, %error, latency_ms, "request failed"),
    }
    response
}
