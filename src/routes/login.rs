//! Signing in and out.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::{Identity, password, session};
use crate::db::users;
use crate::domain::email;
use crate::error::AppError;
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

pub async fn submit(
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let LoginForm { email, password } = form.into_inner();
    let key = email::key_of(&email);
    let user = state
        .db(move |connection| users::find_by_email_key(connection, &key).map_err(AppError::from))
        .await?;
    let stored_hash = user.as_ref().map(|user| user.password_hash.clone());
    let cost = state.config.bcrypt_cost;
    let valid = web::block(move || password::verify(&password, stored_hash.as_deref(), cost))
        .await
        .map_err(AppError::internal)?;

    match user {
        Some(user) if valid => {
            let now = state.clock.now().and_utc().timestamp();
            session::sign_in(&session, user.id, user.session_version, now)?;
            tracing::info!(user_id = user.id.0, "signed in");
            Ok(see_other("/"))
        }
        _ => {
            tracing::info!("rejected a sign-in with an invalid email or password");
            let layout = Layout {
                csrf_token: session::csrf_token(&session)?,
                user: None,
            };
            html(
                StatusCode::UNAUTHORIZED,
                &LoginPage {
                    layout,
                    email: email.trim(),
                    error: Some(INVALID_CREDENTIALS),
                },
            )
        }
    }
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
