//! `GET /`: sends each role to its home page.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::auth::Identity;
use crate::domain::Role;
use crate::error::AppError;
use crate::state::AppState;

pub async fn home(
    identity: Identity,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let user = state.as_user(identity, |_, user| Ok(user)).await?;
    let location = match user.role {
        Role::Owner => "/accounts/agency",
        Role::Member => "/account",
        Role::Support => "/support",
    };
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .finish())
}
