//! HTTP handlers, one module per area of the site. Templates mirror this
//! layout under `templates/`.

pub mod account;
pub mod agency;
pub mod health;
pub mod home;
pub mod login;
pub mod setup;
pub mod static_files;

use actix_web::web;

/// Registers every route of the dashboard.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(home::home))
        .route("/healthz", web::get().to(health::healthz))
        .route("/static/{file}", web::get().to(static_files::serve))
        .route("/login", web::get().to(login::form))
        .route("/login", web::post().to(login::submit))
        .route("/logout", web::post().to(login::logout))
        .route("/setup/{token}", web::get().to(setup::form))
        .route("/setup/{token}", web::post().to(setup::submit))
        .route("/account", web::get().to(account::page))
        .configure(agency::configure)
        .default_service(web::to(not_found));
}

async fn not_found() -> Result<actix_web::HttpResponse, crate::error::AppError> {
    Err(crate::error::AppError::NotFound)
}
