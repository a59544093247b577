//! Task consumption and its history.
//!
//! [`consume`] is the heart of the usage API. The decision is one conditional
//! `UPDATE`: it adds the tasks only while the sub-account is active, the
//! automation is running, and the allocation has room, so concurrent calls
//! can never overspend. Around it, in the same transaction, it records the
//! day's usage, logs a usage alert the first time a threshold is crossed, and
//! stores the answer under the request's idempotency key.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{BigInt, Date, Text};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::activity::{self, Action, NewEntry};
use super::api_keys::KeyOwner;
use super::automations::{self, Status};
use super::schema::{idempotency_keys, sub_accounts};
use super::statements::{AddDailyUsage, AgencyDailyTotals, ConsumeTasks, SubAccountDailyTotals};
use super::{DbConnection, Lock, is_unique_violation, periods, write_transaction};
use crate::domain::{AgencyId, AutomationId, SubAccountId};

/// Usage alert thresholds, in percent of the allocation.
pub const ALERT_LEVELS: [i32; 3] = [75, 90, 100];

/// Name recorded as the actor of usage alerts in the activity log.
pub const ALERT_ACTOR: &str = "usage alert";

/// A validated consumption request.
#[derive(Debug, Clone)]
pub struct ConsumeRequest {
    pub automation_id: AutomationId,
    pub tasks: i64,
    pub idempotency_key: Option<String>,
}

/// What a consumption request came to. Stored as JSON under its idempotency
/// key, so a retry gets exactly the first answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ConsumeResult {
    Consumed {
        automation: AutomationId,
        tasks: i64,
        allocated: i64,
        consumed: i64,
        remaining: i64,
        period_start: NaiveDate,
    },
    NotEnoughTasks {
        requested: i64,
        remaining: i64,
    },
    SubAccountInactive,
    AutomationNotRunning {
        status: Status,
    },
    AutomationNotFound,
}

impl ConsumeResult {
    /// A short name of the outcome, for metrics.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::Consumed { .. } => "accepted",
            Self::NotEnoughTasks { .. } => "not_enough_tasks",
            Self::SubAccountInactive => "sub_account_inactive",
            Self::AutomationNotRunning { .. } => "automation_not_running",
            Self::AutomationNotFound => "automation_not_found",
        }
    }
}

/// Why [`consume`] gave no result.
#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    #[error("the idempotency key was already used for a different request")]
    KeyReused,
    /// The key's sub-account was deleted after the key was checked.
    #[error("the API key's sub-account was deleted")]
    KeyRevoked,
    #[error("database query failed")]
    Database(#[from] diesel::result::Error),
}

/// Returns the usage level for `consumed` of `allocated`: the highest alert
/// threshold reached, or 0.
pub fn alert_level(consumed: i64, allocated: i64) -> i32 {
    if allocated <= 0 {
        return 0;
    }
    ALERT_LEVELS
        .iter()
        .copied()
        .filter(|level| consumed * 100 >= i64::from(*level) * allocated)
        .max()
        .unwrap_or(0)
}

fn request_hash(request: &ConsumeRequest) -> String {
    let digest = Sha256::digest(format!("{}:{}", request.automation_id, request.tasks).as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// What happened inside one attempt of the transaction.
enum Attempt {
    Answered(ConsumeResult),
    Replayed(ConsumeResult),
}

/// Consumes tasks for the key's sub-account. Returns the result and whether
/// it is the stored answer of an earlier request with the same key.
pub fn consume(
    connection: &mut DbConnection,
    owner: &KeyOwner,
    request: &ConsumeRequest,
    now: NaiveDateTime,
) -> Result<(ConsumeResult, bool), ConsumeError> {
    // The key's lookup read the agency's period; only a period that has
    // ended needs the rollover's own queries.
    let current = crate::domain::period::period_start(now.date(), owner.anchor_day.unsigned_abs());
    let period_start = if owner.period_start >= current {
        owner.period_start
    } else {
        periods::ensure_current(connection, owner.agency_id, now.date())?
    };
    let hash = request_hash(request);
    // A second attempt follows only a lost race for the same idempotency key
    // on PostgreSQL: the loser's insert fails, and it then reads the winner's answer.
    for _ in 0..2 {
        let attempt = write_transaction(connection, Lock::Database, |connection| {
            if let Some(key) = &request.idempotency_key {
                if let Some(stored) = stored_answer(connection, owner.sub_account_id, key, &hash)? {
                    return Ok(Attempt::Replayed(stored));
                }
                diesel::insert_into(idempotency_keys::table)
                    .values((
                        idempotency_keys::sub_account_id.eq(owner.sub_account_id),
                        idempotency_keys::idempotency_key.eq(key),
                        idempotency_keys::request_hash.eq(&hash),
                        idempotency_keys::status.eq(0),
                        idempotency_keys::body.eq(""),
                        idempotency_keys::created_at.eq(now),
                    ))
                    .execute(connection)?;
            }
            let result = consume_once(connection, owner, request, period_start, now)?;
            if let Some(key) = &request.idempotency_key {
                let body = serde_json::to_string(&result)
                    .map_err(|error| diesel::result::Error::SerializationError(Box::new(error)))?;
                diesel::update(
                    idempotency_keys::table
                        .filter(idempotency_keys::sub_account_id.eq(owner.sub_account_id))
                        .filter(idempotency_keys::idempotency_key.eq(key)),
                )
                .set((
                    idempotency_keys::status.eq(1),
                    idempotency_keys::body.eq(body),
                ))
                .execute(connection)?;
            }
            Ok::<_, ConsumeError>(Attempt::Answered(result))
        });
        match attempt {
            Ok(Attempt::Answered(result)) => return Ok((result, false)),
            Ok(Attempt::Replayed(result)) => return Ok((result, true)),
            Err(ConsumeError::Database(error)) if is_unique_violation(&error) => continue,
            // Only the idempotency record references the sub-account by a
            // foreign key, so this is a delete that came after the key check.
            Err(ConsumeError::Database(DieselError::DatabaseError(
                DatabaseErrorKind::ForeignKeyViolation,
                _,
            ))) => return Err(ConsumeError::KeyRevoked),
            Err(other) => return Err(other),
        }
    }
    let key = request.idempotency_key.as_deref().unwrap_or_default();
    stored_answer(connection, owner.sub_account_id, key, &hash)?
        .map(|stored| (stored, true))
        .ok_or(ConsumeError::Database(diesel::result::Error::NotFound))
}

/// Reads the answer stored under an idempotency key, if any.
fn stored_answer(
    connection: &mut DbConnection,
    sub_account_id: SubAccountId,
    key: &str,
    hash: &str,
) -> Result<Option<ConsumeResult>, ConsumeError> {
    let stored: Option<(String, String)> = idempotency_keys::table
        .filter(idempotency_keys::sub_account_id.eq(sub_account_id))
        .filter(idempotency_keys::idempotency_key.eq(key))
        .select((idempotency_keys::request_hash, idempotency_keys::body))
        .first(connection)
        .optional()?;
    let Some((stored_hash, body)) = stored else {
        return Ok(None);
    };
    if stored_hash != hash {
        return Err(ConsumeError::KeyReused);
    }
    serde_json::from_str(&body).map(Some).map_err(|error| {
        ConsumeError::Database(diesel::result::Error::DeserializationError(Box::new(error)))
    })
}

fn consume_once(
    connection: &mut DbConnection,
    owner: &KeyOwner,
    request: &ConsumeRequest,
    period_start: NaiveDate,
    now: NaiveDateTime,
) -> Result<ConsumeResult, ConsumeError> {
    // The one statement that decides: active, running, and room for the
    // tasks. Only when it changes nothing do further queries say why.
    let updated: Option<(i64, i64, String)> = ConsumeTasks {
        sub_account_id: owner.sub_account_id.0,
        automation_id: request.automation_id.0,
        tasks: request.tasks,
    }
    .get_result(connection)
    .optional()?;

    let Some((consumed, allocated, name)) = updated else {
        return rejection(connection, owner.sub_account_id, request);
    };
    record_daily(connection, owner, &name, request, now.date())?;
    raise_alert(
        connection,
        (owner.agency_id, owner.sub_account_id, &name),
        consumed,
        allocated,
        now,
    )?;
    Ok(ConsumeResult::Consumed {
        automation: request.automation_id,
        tasks: request.tasks,
        allocated,
        consumed,
        remaining: allocated - consumed,
        period_start,
    })
}

/// Explains why the conditional update changed nothing.
fn rejection(
    connection: &mut DbConnection,
    sub_account_id: SubAccountId,
    request: &ConsumeRequest,
) -> Result<ConsumeResult, ConsumeError> {
    let sub_account: Option<(bool, i64, i64)> = sub_accounts::table
        .find(sub_account_id)
        .select((
            sub_accounts::active,
            sub_accounts::consumed,
            sub_accounts::allocated,
        ))
        .first(connection)
        .optional()?;
    let Some((active, consumed, allocated)) = sub_account else {
        return Err(ConsumeError::KeyRevoked);
    };
    if !active {
        return Ok(ConsumeResult::SubAccountInactive);
    }
    let automation =
        automations::find(connection, sub_account_id, request.automation_id).optional()?;
    match automation.map(|automation| automation.status()) {
        None => Ok(ConsumeResult::AutomationNotFound),
        Some(Status::Running) => Ok(ConsumeResult::NotEnoughTasks {
            requested: request.tasks,
            remaining: allocated - consumed,
        }),
        Some(status) => Ok(ConsumeResult::AutomationNotRunning { status }),
    }
}

/// Adds the tasks to the automation's row for the day, creating it if needed.
fn record_daily(
    connection: &mut DbConnection,
    owner: &KeyOwner,
    sub_account_name: &str,
    request: &ConsumeRequest,
    day: NaiveDate,
) -> QueryResult<()> {
    // Diesel's on_conflict is not available on the two-backend connection.
    AddDailyUsage {
        agency_id: owner.agency_id.0,
        sub_account_id: owner.sub_account_id.0,
        sub_account_name: sub_account_name.to_owned(),
        automation_id: request.automation_id.0,
        day,
        tasks: request.tasks,
    }
    .execute(connection)
    .map(|_| ())
}

/// Logs a usage alert when `consumed` of `allocated` reaches a higher
/// threshold than any logged this period, so each crossing is logged once.
pub(super) fn raise_alert(
    connection: &mut DbConnection,
    (agency_id, sub_account_id, name): (AgencyId, SubAccountId, &str),
    consumed: i64,
    allocated: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let level = alert_level(consumed, allocated);
    if level == 0 {
        return Ok(());
    }
    let raised = diesel::update(
        sub_accounts::table
            .filter(sub_accounts::id.eq(sub_account_id))
            .filter(sub_accounts::alert_level.lt(level)),
    )
    .set(sub_accounts::alert_level.eq(level))
    .execute(connection)?;
    if raised == 1 {
        let entry = NewEntry::about(
            agency_id,
            ALERT_ACTOR,
            Action::UsageAlert,
            (sub_account_id, name),
            now,
        )
        .values(format!("{consumed}/{allocated}"), level);
        activity::insert(connection, &entry)?;
    }
    Ok(())
}

/// Tasks per day, for a chart. `SUM` of a `BIGINT` is `NUMERIC` on
/// PostgreSQL, so the queries cast it back.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct DailyTotal {
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    pub tasks: i64,
}

fn into_totals(rows: Vec<(NaiveDate, i64)>) -> Vec<DailyTotal> {
    rows.into_iter()
        .map(|(day, tasks)| DailyTotal { day, tasks })
        .collect()
}

/// Returns the agency's tasks per day from `start` up to (not including) `end`.
pub fn agency_daily(
    connection: &mut DbConnection,
    agency_id: AgencyId,
    start: NaiveDate,
    end: NaiveDate,
) -> QueryResult<Vec<DailyTotal>> {
    AgencyDailyTotals {
        id: agency_id.0,
        start,
        end,
    }
    .load::<(NaiveDate, i64)>(connection)
    .map(into_totals)
}

/// Returns the sub-account's tasks per day from `start` up to (not including) `end`.
pub fn sub_account_daily(
    connection: &mut DbConnection,
    sub_account_id: SubAccountId,
    start: NaiveDate,
    end: NaiveDate,
) -> QueryResult<Vec<DailyTotal>> {
    SubAccountDailyTotals {
        id: sub_account_id.0,
        start,
        end,
    }
    .load::<(NaiveDate, i64)>(connection)
    .map(into_totals)
}

/// One line of the usage export: a sub-account's tasks on one day.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct ExportRow {
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    pub sub_account_id: i64,
    #[diesel(sql_type = Text)]
    pub sub_account_name: String,
    #[diesel(sql_type = BigInt)]
    pub tasks: i64,
}

/// Returns the agency's usage per sub-account and day from `start` up to (not
/// including) `end`, deleted sub-accounts included, by day and sub-account.
pub fn export(
    connection: &mut DbConnection,
    agency_id: AgencyId,
    start: NaiveDate,
    end: NaiveDate,
) -> QueryResult<Vec<ExportRow>> {
    diesel::sql_query(
        "SELECT day, sub_account_id, MAX(sub_account_name) AS sub_account_name, \
                CAST(SUM(tasks) AS BIGINT) AS tasks FROM usage_daily \
         WHERE agency_id = $1 AND day >= $2 AND day < $3 \
         GROUP BY day, sub_account_id ORDER BY day, sub_account_id",
    )
    .bind::<BigInt, _>(agency_id.0)
    .bind::<Date, _>(start)
    .bind::<Date, _>(end)
    .load(connection)
}
