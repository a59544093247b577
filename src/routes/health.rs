//! Health, readiness and metrics for load balancers and monitoring.
//!
//! `GET /healthz` answers while the process runs and the database answers a
//! ping. `GET /readyz` also fails while migrations are pending, so a load
//! balancer sends no traffic to an instance whose schema is behind.
//! `GET /metrics` serves the counters in the Prometheus text format.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::db;
use crate::error::AppError;
use crate::state::AppState;

fn plain(status: actix_web::http::StatusCode, body: &'static str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// `GET /healthz`
pub async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    state
        .db(|connection| db::ping(connection).map_err(AppError::from))
        .await?;
    Ok(plain(actix_web::http::StatusCode::OK, "ok\n"))
}

/// `GET /readyz`: 503 while the database is unreachable or migrations are pending.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let ready = state
        .db(|connection| db::pending_migrations(connection).map_err(AppError::internal))
        .await;
    match ready {
        Ok(false) => plain(actix_web::http::StatusCode::OK, "ready\n"),
        Ok(true) => plain(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            "migrations pending\n",
        ),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            plain(
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                "database unavailable\n",
            )
        }
    }
}

/// `GET /metrics`. With `SUBACCOUNTS_METRICS_TOKEN` set it requires that
/// token as a bearer token, and answers 404 without it, like an unknown page.
pub async fn metrics(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, AppError> {
    if let Some(token) = &state.config.metrics_token {
        let provided = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        if provided != Some(token.expose()) {
            return Err(AppError::NotFound);
        }
    }
    let pool = state.pool.state();
    let in_use = pool.connections - pool.idle_connections;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(state.metrics.render((in_use, pool.idle_connections))))
}
