//! `POST /api/v1/usage` consumes tasks; `GET /api/v1/usage` reports them.

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiError, BearerKey, JsonObject, as_key, parse_object};
use crate::db::periods;
use crate::db::schema::{agencies, sub_accounts};
use crate::db::usage::{self, ConsumeRequest, ConsumeResult};
use crate::domain::AutomationId;
use crate::domain::period::next_period_start;
use crate::format::{count_of, thousands};
use crate::state::AppState;

/// Most tasks one request may report.
pub const MAX_TASKS_PER_REQUEST: i64 = 10_000;
/// Longest idempotency key, in characters.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 200;

/// Work an automation did, in tasks.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageRequest {
    /// Id of a running automation of the key's sub-account.
    automation: i64,
    /// Tasks to consume, from 1 to 10,000.
    tasks: i64,
    /// Optional key, at most 200 characters: a retry with the same key returns
    /// the first answer and consumes nothing more.
    #[serde(default)]
    idempotency_key: Option<String>,
}

/// Tasks consumed, and the sub-account's counts after them.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageAccepted {
    automation: i64,
    /// Tasks consumed by this request.
    tasks: i64,
    /// The sub-account's allocation for the period.
    allocated: i64,
    /// Tasks the sub-account consumed this period, this request included.
    consumed: i64,
    /// Tasks the sub-account may still consume this period.
    remaining: i64,
    /// First day of the billing period, in UTC.
    period_start: NaiveDate,
}

/// The key's sub-account and its tasks this period.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageStatus {
    sub_account: SubAccountSummary,
    allocated: i64,
    consumed: i64,
    remaining: i64,
    period: Period,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubAccountSummary {
    id: i64,
    name: String,
    /// `active` or `inactive`.
    status: &'static str,
}

/// A billing period: from `start` up to, not including, `end`, in UTC.
#[derive(Debug, Serialize, ToSchema)]
pub struct Period {
    start: NaiveDate,
    end: NaiveDate,
}

fn validate(request: UsageRequest) -> Result<ConsumeRequest, ApiError> {
    if request.automation <= 0 {
        return Err(ApiError::invalid(
            "`automation` must be the id of one of your automations.",
        ));
    }
    if !(1..=MAX_TASKS_PER_REQUEST).contains(&request.tasks) {
        return Err(ApiError::invalid(format!(
            "`tasks` must be a whole number from 1 to {}; got {}.",
            thousands(MAX_TASKS_PER_REQUEST),
            request.tasks
        )));
    }
    if let Some(key) = &request.idempotency_key {
        let chars = key.chars().count();
        if chars == 0 || chars > MAX_IDEMPOTENCY_KEY_CHARS {
            return Err(ApiError::invalid(format!(
                "`idempotency_key` must have 1 to {MAX_IDEMPOTENCY_KEY_CHARS} characters; this one has {chars}."
            )));
        }
        if key.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                "`idempotency_key` must not contain control characters such as U+0000; use letters, digits and punctuation.",
            ));
        }
    }
    Ok(ConsumeRequest {
        automation_id: AutomationId(request.automation),
        tasks: request.tasks,
        idempotency_key: request.idempotency_key,
    })
}

/// Builds the HTTP response to a consumption result. A replayed idempotent
/// request gets the same response, refusals included, marked by a header.
fn respond(result: ConsumeResult, replayed: bool) -> HttpResponse {
    let mut response = result_response(result).unwrap_or_else(|refusal| refusal.error_response());
    if replayed {
        response.headers_mut().insert(
            HeaderName::from_static("idempotent-replayed"),
            HeaderValue::from_static("true"),
        );
    }
    response
}

/// Builds the response to a consumption result: 200 with the new counts, or the refusal.
fn result_response(result: ConsumeResult) -> Result<HttpResponse, ApiError> {
    let accepted = match result {
        ConsumeResult::Consumed {
            automation,
            tasks,
            allocated,
            consumed,
            remaining,
            period_start,
        } => UsageAccepted {
            automation: automation.0,
            tasks,
            allocated,
            consumed,
            remaining,
            period_start,
        },
        ConsumeResult::NotEnoughTasks {
            requested,
            remaining,
        } => {
            return Err(ApiError::new(
                StatusCode::PAYMENT_REQUIRED,
                "not_enough_tasks",
                format!(
                    "Only {} of this sub-account's allocation and {} requested, so nothing was consumed. Ask the agency for a larger allocation.",
                    count_of(remaining, "task remains", "tasks remain"),
                    count_of(requested, "was", "were")
                ),
            ));
        }
        ConsumeResult::SubAccountInactive => {
            return Err(ApiError::new(
                StatusCode::LOCKED,
                "sub_account_inactive",
                "The agency deactivated this sub-account, so it consumes no tasks until the agency activates it again.",
            ));
        }
        ConsumeResult::AutomationNotRunning { status } => {
            return Err(ApiError::new(
                StatusCode::LOCKED,
                "automation_not_running",
                format!(
                    "The automation is {}; resume it before it reports work.",
                    status.label().to_lowercase()
                ),
            ));
        }
        ConsumeResult::AutomationNotFound => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "automation_not_found",
                "No automation of this sub-account has that id.",
            ));
        }
    };
    Ok(HttpResponse::Ok().json(accepted))
}

/// `POST /api/v1/usage`
#[utoipa::path(
    post,
    path = "/api/v1/usage",
    tag = "usage",
    request_body = UsageRequest,
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Tasks consumed", body = UsageAccepted),
        (status = 401, description = "Missing, unknown or revoked key", body = ApiError),
        (status = 402, description = "Fewer tasks remain than requested; nothing was consumed", body = ApiError),
        (status = 404, description = "No such automation in this sub-account", body = ApiError),
        (status = 413, description = "Body too large", body = ApiError),
        (status = 415, description = "Body not sent as application/json", body = ApiError),
        (status = 422, description = "Malformed body, or an idempotency key reused for another request", body = ApiError),
        (status = 423, description = "The sub-account is inactive or the automation is not running", body = ApiError),
    )
)]
pub async fn consume(
    state: web::Data<AppState>,
    key: BearerKey,
    body: JsonObject,
) -> Result<HttpResponse, ApiError> {
    let request = validate(parse_object(body)?)?;
    let now = state.clock.now();
    let (result, replayed) = as_key(&state, key, move |connection, owner| {
        usage::consume(connection, owner, &request, now).map_err(ApiError::from)
    })
    .await?;
    state.metrics.record_consumption(if replayed {
        "replayed"
    } else {
        result.outcome()
    });
    Ok(respond(result, replayed))
}

/// `GET /api/v1/usage`
#[utoipa::path(
    get,
    path = "/api/v1/usage",
    tag = "usage",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The sub-account's tasks this period", body = UsageStatus),
        (status = 401, description = "Missing, unknown or revoked key", body = ApiError),
    )
)]
pub async fn current(state: web::Data<AppState>, key: BearerKey) -> Result<HttpResponse, ApiError> {
    use diesel::prelude::*;

    let today = state.clock.now().date();
    let status = as_key(&state, key, move |connection, owner| {
        let start = periods::ensure_current(connection, owner.agency_id, today)?;
        let anchor: i32 = agencies::table
            .find(owner.agency_id)
            .select(agencies::period_anchor_day)
            .first(connection)?;
        let (id, name, allocated, consumed, active): (i64, String, i64, i64, bool) =
            sub_accounts::table
                .find(owner.sub_account_id)
                .select((
                    sub_accounts::id,
                    sub_accounts::name,
                    sub_accounts::allocated,
                    sub_accounts::consumed,
                    sub_accounts::active,
                ))
                .first(connection)?;
        Ok(UsageStatus {
            sub_account: SubAccountSummary {
                id,
                name,
                status: if active { "active" } else { "inactive" },
            },
            allocated,
            consumed,
            remaining: allocated - consumed,
            period: Period {
                start,
                end: next_period_start(start, anchor.unsigned_abs()),
            },
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(status))
}
