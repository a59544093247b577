//! Turning templates into responses, as whole pages or htmx fragments.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use crate::domain::Role;
use crate::error::AppError;

/// True for requests that htmx sent, which get fragments instead of pages.
pub fn is_htmx(request: &HttpRequest) -> bool {
    request
        .headers()
        .get("HX-Request")
        .is_some_and(|value| value.as_bytes() == b"true")
}

/// Renders `template` with `status`. Every HTML response varies by
/// `HX-Request`, because one URL serves both pages and fragments, and is not
/// stored by caches, because it carries the session's CSRF token.
pub fn html(status: StatusCode, template: &impl Template) -> Result<HttpResponse, AppError> {
    let body = template.render().map_err(AppError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::VARY, HeaderValue::from_static("HX-Request")))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .body(body))
}

/// Redirects a plain form post to `location` with 303 See Other, so reloading
/// the page that follows does not post the form again.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// What every page's layout needs: the CSRF token and who is signed in.
#[derive(Debug, Clone)]
pub struct Layout {
    pub csrf_token: String,
    pub user: Option<NavUser>,
}

/// The signed-in user, as the header shows them.
#[derive(Debug, Clone)]
pub struct NavUser {
    pub email: String,
    pub role: Role,
}

impl NavUser {
    pub fn is_owner(&self) -> bool {
        self.role == Role::Owner
    }

    pub fn is_member(&self) -> bool {
        self.role == Role::Member
    }
}
