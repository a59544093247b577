//! `/api/v1/automations`: list, create, pause and resume the key's
//! sub-account's automations.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiError, BearerKey, JsonObject, as_key, parse_object};
use crate::db::automations::{self, Automation, Status};
use crate::db::{DbConnection, Lock, write_transaction};
use crate::domain::{AutomationId, ShortName, SubAccountId};
use crate::state::AppState;

/// An automation of the sub-account.
#[derive(Debug, Serialize, ToSchema)]
pub struct AutomationBody {
    id: i64,
    name: String,
    status: Status,
}

impl From<Automation> for AutomationBody {
    fn from(automation: Automation) -> Self {
        Self {
            id: automation.id.0,
            status: automation.status(),
            name: automation.name,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AutomationList {
    automations: Vec<AutomationBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAutomation {
    /// 1 to 100 characters.
    name: String,
}

/// `GET /api/v1/automations`
#[utoipa::path(
    get,
    path = "/api/v1/automations",
    tag = "automations",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The sub-account's automations", body = AutomationList),
        (status = 401, description = "Missing, unknown or revoked key", body = ApiError),
    )
)]
pub async fn list(state: web::Data<AppState>, key: BearerKey) -> Result<HttpResponse, ApiError> {
    let automations = as_key(&state, key, |connection, owner| {
        Ok(automations::list(connection, owner.sub_account_id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(AutomationList {
        automations: automations.into_iter().map(AutomationBody::from).collect(),
    }))
}

/// `POST /api/v1/automations`
#[utoipa::path(
    post,
    path = "/api/v1/automations",
    tag = "automations",
    request_body = NewAutomation,
    security(("api_key" = [])),
    responses(
        (status = 201, description = "Created; running unless the sub-account is inactive", body = AutomationBody),
        (status = 401, description = "Missing, unknown or revoked key", body = ApiError),
        (status = 413, description = "Body too large", body = ApiError),
        (status = 415, description = "Body not sent as application/json", body = ApiError),
        (status = 422, description = "Invalid name", body = ApiError),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    key: BearerKey,
    body: JsonObject,
) -> Result<HttpResponse, ApiError> {
    let body: NewAutomation = parse_object(body)?;
    let name = ShortName::parse(&body.name).map_err(|error| ApiError::invalid(error.message))?;
    let now = state.clock.now();
    let automation = as_key(&state, key, move |connection, owner| {
        Ok(automations::create(
            connection,
            owner.sub_account_id,
            name.as_str(),
            now,
        )?)
    })
    .await?;
    Ok(HttpResponse::Created().json(AutomationBody::from(automation)))
}

/// Why a pause or resume was not made.
#[derive(Debug)]
pub enum ChangeError {
    NotFound,
    SubAccountInactive,
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for ChangeError {
    fn from(error: diesel::result::Error) -> Self {
        match error {
            diesel::result::Error::NotFound => Self::NotFound,
            other => Self::Database(other),
        }
    }
}

/// Pauses (`running = false`) or resumes an automation of the sub-account.
/// Resuming needs an active sub-account. Shared by the API and the pages.
pub fn change(
    connection: &mut DbConnection,
    sub_account_id: SubAccountId,
    automation_id: AutomationId,
    running: bool,
) -> Result<Automation, ChangeError> {
    use crate::db::schema::sub_accounts;
    use diesel::prelude::*;

    // The database lock keeps a resume from slipping past a deactivation
    // that is committing at the same moment.
    write_transaction(connection, Lock::Database, |connection| {
        automations::find(connection, sub_account_id, automation_id)?;
        if running {
            let active: bool = sub_accounts::table
                .find(sub_account_id)
                .select(sub_accounts::active)
                .first(connection)?;
            if !active {
                return Err(ChangeError::SubAccountInactive);
            }
        }
        let status = if running {
            Status::Running
        } else {
            Status::Paused
        };
        Ok(automations::set_status(
            connection,
            sub_account_id,
            automation_id,
            status,
        )?)
    })
}

impl From<ChangeError> for ApiError {
    fn from(error: ChangeError) -> Self {
        match error {
            ChangeError::NotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                "automation_not_found",
                "No automation of this sub-account has that id.",
            ),
            ChangeError::SubAccountInactive => ApiError::new(
                StatusCode::LOCKED,
                "sub_account_inactive",
                "The agency deactivated this sub-account, so its automations cannot run until it is activated again.",
            ),
            ChangeError::Database(error) => ApiError::internal(error),
        }
    }
}

async fn set_running(
    state: &AppState,
    key: BearerKey,
    raw_id: &str,
    running: bool,
) -> Result<HttpResponse, ApiError> {
    let automation_id = crate::routes::parse_id(raw_id)
        .map(AutomationId)
        .ok_or(ChangeError::NotFound)?;
    let automation = as_key(state, key, move |connection, owner| {
        Ok(change(
            connection,
            owner.sub_account_id,
            automation_id,
            running,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(AutomationBody::from(automation)))
}

/// `POST /api/v1/automations/{id}/pause`
#[utoipa::path(
    post,
    path = "/api/v1/automations/{id}/pause",
    tag = "automations",
    params(("id" = i64, Path, description = "Automation id")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Paused", body = AutomationBody),
        (status = 401, description = "Missing, unknown or revoked key", body = ApiError),
        (status = 404, description = "No such automation in this sub-account", body = ApiError),
    )
)]
pub async fn pause(
    state: web::Data<AppState>,
    key: BearerKey,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_running(&state, key, &id, false).await
}

/// `POST /api/v1/automations/{id}/resume`
#[utoipa::path(
    post,
    path = "/api/v1/automations/{id}/resume",
    tag = "automations",
    params(("id" = i64, Path, description = "Automation id")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Running", body = AutomationBody),
        (status = 401, description = "Missing, unknown or revoked key", body = ApiError),
        (status = 404, description = "No such automation in this sub-account", body = ApiError),
        (status = 423, description = "The sub-account is inactive", body = ApiError),
    )
)]
pub async fn resume(
    state: web::Data<AppState>,
    key: BearerKey,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_running(&state, key, &id, true).await
}
