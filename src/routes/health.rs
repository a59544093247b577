//! `GET /healthz`: the server answers and the database answers a ping.

use actix_web::{HttpResponse, web};

use crate::db;
use crate::error::AppError;
use crate::state::AppState;

pub async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    state
        .db(|connection| db::ping(connection).map_err(AppError::from))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body("ok\n"))
}
