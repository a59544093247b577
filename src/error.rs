//! The error type of page and form handlers.
//!
//! Which error goes where:
//! - Domain parsing returns [`crate::domain::FieldError`]; database actions
//!   return [`crate::db::ActionError`]. Handlers that render a form turn the
//!   field-level ones (422 invalid, 409 conflict) into the form again, with the
//!   message next to the field.
//! - Everything else becomes an [`AppError`], which picks the status code and
//!   renders the error page. Internal causes are logged once here, with their
//!   cause chain, and never shown to the user.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::db::ActionError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Outside the caller's agency, or not there at all. Never 403, so ids of
    /// other agencies are not confirmed.
    #[error("not found")]
    NotFound,
    /// A `?period=` value that names no billing period of the account.
    #[error("unknown billing period {0:?}")]
    PeriodNotFound(String),
    /// No valid session. Pages redirect to the sign-in page; htmx requests get
    /// an `HX-Redirect` header so the whole page goes there.
    #[error("sign-in required")]
    SignInRequired { htmx: bool },
    /// A support user tried to change something.
    #[error("read-only access")]
    ReadOnly,
    /// The CSRF token was missing or wrong.
    #[error("invalid CSRF token")]
    InvalidCsrfToken,
    /// A state-changing request came from a page of another site.
    #[error("request from another site")]
    ForeignOrigin,
    /// The request body could not be read as a form.
    #[error("malformed form: {0}")]
    MalformedForm(String),
    #[error("request body too large")]
    PayloadTooLarge,
    /// The address's query string could not be read into the page's parameters.
    #[error("malformed query string: {0}")]
    MalformedQuery(String),
    /// A conflict that no form on the page can show next to a field.
    #[error("{0}")]
    Conflict(String),
    /// The sub-account is inactive, so the change cannot be made now.
    #[error("{0}")]
    Locked(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }

    fn title_and_message(&self) -> (&'static str, String) {
        match self {
            Self::NotFound => (
                "Not found",
                "This page does not exist, or it belongs to another account. Check the address, or go back to your dashboard.".to_owned(),
            ),
            Self::PeriodNotFound(value) => (
                "Billing period not found",
                format!("No billing period of this account starts on “{value}”. Choose a period from the list on the page."),
            ),
            Self::SignInRequired { .. } => ("Sign-in required", "Sign in to continue.".to_owned()),
            Self::ReadOnly => (
                "Read-only access",
                "Support accounts can view agencies but cannot change anything.".to_owned(),
            ),
            Self::InvalidCsrfToken => (
                "Form expired",
                "This form has expired or did not come from this dashboard, so nothing was changed. Reload the page and try again.".to_owned(),
            ),
            Self::ForeignOrigin => (
                "Request from another site",
                "This change came from a page of another website, so nothing was changed. Make changes from the dashboard itself.".to_owned(),
            ),
            Self::MalformedForm(reason) => (
                "Invalid form",
                format!("The form could not be read: {reason} Nothing was changed; reload the page and try again."),
            ),
            Self::MalformedQuery(reason) => (
                "Invalid address",
                format!("The address could not be read: {reason} Check the link, or go back to your dashboard."),
            ),
            Self::PayloadTooLarge => (
                "Request too large",
                "The request is larger than the dashboard accepts, so nothing was changed.".to_owned(),
            ),
            Self::Conflict(message) => ("Not changed", message.clone()),
            Self::Locked(message) => ("Sub-account inactive", message.clone()),
            Self::Internal(_) => (
                "Something went wrong",
                "The dashboard could not complete this request, and nothing was changed. Try again in a moment; if it keeps failing, tell your administrator the time it happened.".to_owned(),
            ),
        }
    }
}

impl From<ActionError> for AppError {
    fn from(error: ActionError) -> Self {
        match error {
            ActionError::NotFound => Self::NotFound,
            ActionError::Conflict(errors) => Self::Conflict(
                errors
                    .into_first()
                    .map_or_else(|| "conflict".to_owned(), |error| error.message),
            ),
            ActionError::Invalid(errors) => Self::MalformedForm(
                errors
                    .into_first()
                    .map_or_else(|| "invalid input".to_owned(), |error| error.message),
            ),
            ActionError::Database(source) => Self::Internal(source.into()),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        ActionError::from(error).into()
    }
}

/// A standalone error page. Its message carries `data-error-message`, which
/// the page script shows in the status area when an htmx request fails.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub title: &'a str,
    pub message: &'a str,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound | Self::PeriodNotFound(_) => StatusCode::NOT_FOUND,
            Self::SignInRequired { htmx: true } => StatusCode::UNAUTHORIZED,
            Self::SignInRequired { htmx: false } => StatusCode::FOUND,
            Self::ReadOnly | Self::InvalidCsrfToken | Self::ForeignOrigin => StatusCode::FORBIDDEN,
            Self::MalformedForm(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MalformedQuery(_) => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Locked(_) => StatusCode::LOCKED,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::SignInRequired { htmx: false } => {
                return HttpResponse::Found()
                    .insert_header((header::LOCATION, "/login"))
                    .finish();
            }
            Self::Internal(cause) => tracing::error!(error = ?cause, "request failed"),
            _ => {}
        }
        let (title, message) = self.title_and_message();
        let body = ErrorPage {
            title,
            message: &message,
        }
        .render()
        .unwrap_or_else(|_| message.clone());
        let mut response = HttpResponse::build(self.status_code());
        response
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        if let Self::SignInRequired { htmx: true } = self {
            response.insert_header(("HX-Redirect", "/login"));
        }
        response.body(body)
    }
}
