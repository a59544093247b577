//! Signing in and out.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::throttle::Key;
use crate::auth::{Identity, password, session};
use crate::db::users;
use crate::domain::{MAX_PASSWORD_BYTES, email};
use crate::error::AppError;
use crate::format::count_of;
use crate::render::{Layout, html, see_other};
use crate::state::AppState;

/// The one message for every failed sign-in, so it never tells whether the
/// email or the password was wrong.
const INVALID_CREDENTIALS: &str = "Invalid email or password.";

#[derive(Template)]
#[template(path = "login/page.html")]
struct LoginPage<'a> {
    layout: Layout,
    email: &'a str,
    error: Option<&'a str>,
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn form(session: Session) -> Result<HttpResponse, AppError> {
    let layout = Layout {
        csrf_token: session::csrf_token(&session)?,
        user: None,
    };
    html(
        StatusCode::OK,
        &LoginPage {
            layout,
            email: "",
            error: None,
        },
    )
}

/// Renders the sign-in form again with `message`, keeping the typed email.
fn reject(
    session: &Session,
    status: StatusCode,
    email: &str,
    message: &str,
) -> Result<HttpResponse, AppError> {
    let layout = Layout {
        csrf_token: session::csrf_token(session)?,
        user: None,
    };
    html(
        status,
        &LoginPage {
            layout,
            email: email.trim(),
            error: Some(message),
        },
    )
}

/// `POST /login`. Throttled per account and per client address before any
/// database or bcrypt work; see [`crate::auth::throttle`].
pub async fn submit(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let LoginForm { email, password } = form.into_inner();
    if password.len() > MAX_PASSWORD_BYTES {
        // bcrypt would read only the first 72 bytes; no such password was ever accepted.
        let message = format!(
            "Passwords are at most {MAX_PASSWORD_BYTES} bytes long; this one has {} bytes. Type your password again.",
            password.len()
        );
        return reject(&session, StatusCode::UNPROCESSABLE_ENTITY, &email, &message);
    }
    let key = email::key_of(&email);
    let now = state.clock.now();
    let keys = [
        Key::Account(key.clone()),
        Key::Address(client_address(&request, state.config.trust_proxy)),
    ];
    if let Some(seconds) = state.throttle.retry_after(&keys, now) {
        state.metrics.record_throttled_sign_in();
        tracing::warn!(
            retry_after = seconds,
            "throttled a sign-in after repeated failures"
        );
        let minutes = (seconds + 59) / 60;
        let message = format!(
            "Too many failed sign-ins. Try again in {}.",
            count_of(minutes, "minute", "minutes")
        );
        let mut response = reject(&session, StatusCode::TOO_MANY_REQUESTS, &email, &message)?;
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_str(&seconds.to_string()).map_err(AppError::internal)?,
        );
        return Ok(response);
    }

    let user = state
        .db(move |connection| users::find_by_email_key(connection, &key).map_err(AppError::from))
        .await?;
    let stored_hash = user.as_ref().map(|user| user.password_hash.clone());
    let cost = state.config.bcrypt_cost;
    state.metrics.record_password_check();
    let valid = web::block(move || password::verify(&password, stored_hash.as_deref(), cost))
        .await
        .map_err(AppError::internal)?;

    match user {
        Some(user) if valid => {
            state.throttle.reset(&keys[0]);
            session::sign_in(
                &session,
                user.id,
                user.session_version,
                now.and_utc().timestamp(),
            )?;
            tracing::info!(user_id = user.id.0, "signed in");
            Ok(see_other("/"))
        }
        _ => {
            state.throttle.record_failure(&keys, now);
            tracing::info!("rejected a sign-in with an invalid email or password");
            reject(
                &session,
                StatusCode::UNAUTHORIZED,
                &email,
                INVALID_CREDENTIALS,
            )
        }
    }
}

/// Returns the client's address: the peer's, or behind a trusted reverse
/// proxy the last `X-Forwarded-For` entry, which that proxy appended. Earlier
/// entries come from the client and are not trusted.
pub(crate) fn client_address(request: &HttpRequest, trust_proxy: bool) -> String {
    if trust_proxy
        && let Some(forwarded) = request
            .headers()
            .get("X-Forwarded-For")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.rsplit(',').next())
            .map(str::trim)
            .filter(|value| !value.is_empty())
    {
        return forwarded.to_owned();
    }
    request
        .peer_addr()
        .map_or_else(|| "unknown".to_owned(), |address| address.ip().to_string())
}

/// `POST /logout`. A cookie session cannot be revoked on the server, so
/// signing out also raises the user's session version: a copy of the cookie
/// taken before stops working too, and so do the user's other sessions.
pub async fn logout(
    identity: Option<Identity>,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    if let Some(identity) = identity {
        let user_id = identity.user_id;
        state
            .db(move |connection| users::end_sessions(connection, user_id).map_err(AppError::from))
            .await?;
        tracing::info!(user_id = user_id.0, "signed out");
    }
    session::sign_out(&session);
    Ok(see_other("/login"))
}
