//! The first-run page: a one-time link creates the first agency and its owner,
//! so a new installation needs nothing but a browser.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::auth::{password, session};
use crate::db::agencies::{self, NewAgency};
use crate::db::{ActionError, Lock, setup, write_transaction};
use crate::domain::{AgencyName, Email, FieldError, FieldErrors, Password, TaskCount};
use crate::error::AppError;
use crate::render::{Layout, html, see_other};
use crate::state::AppState;

/// Largest sub-account limit the setup form accepts.
const MAX_SUB_ACCOUNT_LIMIT: i32 = 100;

/// Returns the SHA-256 of a setup token in hex, as stored in `setup_tokens`.
pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    agency_name: String,
    #[serde(default)]
    total_tasks: String,
    #[serde(default)]
    sub_account_limit: String,
    #[serde(default)]
    owner_email: String,
    #[serde(default)]
    password: String,
}

#[derive(Template)]
#[template(path = "setup/page.html")]
struct SetupPage<'a> {
    layout: Layout,
    token: &'a str,
    form: &'a SetupForm,
    errors: FieldErrors,
}

pub async fn form(
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token_hash = hash_token(&token);
    let valid = state
        .db(move |connection| setup::is_valid(connection, &token_hash).map_err(AppError::from))
        .await?;
    if !valid {
        return Err(AppError::NotFound);
    }
    let form = SetupForm {
        sub_account_limit: agencies::DEFAULT_SUB_ACCOUNT_LIMIT.to_string(),
        ..SetupForm::default()
    };
    let layout = Layout {
        csrf_token: session::csrf_token(&session)?,
        user: None,
    };
    html(
        StatusCode::OK,
        &SetupPage {
            layout,
            token: &token,
            form: &form,
            errors: FieldErrors::default(),
        },
    )
}

fn parse_limit(input: &str) -> Result<i32, FieldError> {
    input
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|limit| (1..=MAX_SUB_ACCOUNT_LIMIT).contains(limit))
        .ok_or_else(|| {
            FieldError::new(
                "sub_account_limit",
                format!(
                    "Sub-account limit must be a whole number from 1 to {MAX_SUB_ACCOUNT_LIMIT}."
                ),
            )
        })
}

pub async fn submit(
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
    form: web::Form<SetupForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let token_hash = hash_token(&token);
    let lookup = token_hash.clone();
    let valid = state
        .db(move |connection| setup::is_valid(connection, &lookup).map_err(AppError::from))
        .await?;
    if !valid {
        return Err(AppError::NotFound);
    }
    let mut errors = FieldErrors::default();
    let name = errors.check(AgencyName::parse(&form.agency_name));
    let total_tasks = errors.check(TaskCount::parse_labeled(
        "total_tasks",
        "Total tasks",
        &form.total_tasks,
    ));
    let limit = errors.check(parse_limit(&form.sub_account_limit));
    let email = errors.check(Email::parse_field("owner_email", &form.owner_email));
    let new_password = errors.check(Password::parse(&form.password));
    let render_errors = |status, errors| -> Result<HttpResponse, AppError> {
        let layout = Layout {
            csrf_token: session::csrf_token(&session)?,
            user: None,
        };
        html(
            status,
            &SetupPage {
                layout,
                token: &token,
                form: &form,
                errors,
            },
        )
    };
    let (Some(name), Some(total_tasks), Some(limit), Some(email), Some(new_password)) =
        (name, total_tasks, limit, email, new_password)
    else {
        return render_errors(StatusCode::UNPROCESSABLE_ENTITY, errors);
    };

    let cost = state.config.bcrypt_cost;
    let password_hash = web::block(move || password::hash(&new_password, cost))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::Internal)?;
    let now = state.clock.now();
    let created = state
        .db(move |connection| {
            let result = write_transaction(connection, Lock::Database, |connection| {
                if !setup::use_token(connection, &token_hash)? {
                    return Err(ActionError::NotFound);
                }
                let agency = NewAgency {
                    name: &name,
                    total_tasks,
                    sub_account_limit: limit,
                    owner_email: &email,
                    owner_password_hash: &password_hash,
                };
                agencies::create_in_transaction(connection, &agency, now)
            });
            match result {
                Ok(ids) => Ok(Ok(ids)),
                Err(ActionError::Conflict(errors)) => Ok(Err(errors)),
                Err(other) => Err(other.into()),
            }
        })
        .await?;
    match created {
        Ok((agency_id, owner_id)) => {
            tracing::info!(
                agency_id = agency_id.0,
                user_id = owner_id.0,
                "created the first agency from the setup link"
            );
            session::sign_in(&session, owner_id, 1, now.and_utc().timestamp())?;
            Ok(see_other("/accounts/agency"))
        }
        Err(conflict) => render_errors(StatusCode::CONFLICT, conflict),
    }
}
