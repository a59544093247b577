//! Automations of a sub-account: running, paused by the member, or paused by
//! the agency while the sub-account is inactive.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{automations, sub_accounts};
use crate::domain::{AutomationId, SubAccountId};

/// The status of an automation, as stored in `automations.status`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Running,
    /// Paused by the member.
    Paused,
    /// Paused because the agency deactivated the sub-account; activating it
    /// resumes exactly these.
    PausedByAgency,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Paused => "paused",
            Self::PausedByAgency => "paused_by_agency",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Running, Self::Paused, Self::PausedByAgency]
            .into_iter()
            .find(|status| status.as_str() == value)
    }

    /// The status in words for the pages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Running => "Running",
            Self::Paused => "Paused",
            Self::PausedByAgency => "Paused by the agency",
        }
    }
}

/// A row of `automations`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = automations)]
pub struct Automation {
    pub id: AutomationId,
    pub sub_account_id: SubAccountId,
    pub name: String,
    pub status: String,
    pub created_at: NaiveDateTime,
}

impl Automation {
    /// The stored status; the table's CHECK constraint admits only known ones.
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Paused)
    }
}

pub fn list(
    connection: &mut DbConnection,
    sub_account_id: SubAccountId,
) -> QueryResult<Vec<Automation>> {
    automations::table
        .filter(automations::sub_account_id.eq(sub_account_id))
        .order(automations::id)
        .select(Automation::as_select())
        .load(connection)
}

/// Finds an automation of the sub-account; another sub-account's is `NotFound`.
pub fn find(
    connection: &mut DbConnection,
    sub_account_id: SubAccountId,
    automation_id: AutomationId,
) -> QueryResult<Automation> {
    automations::table
        .filter(automations::sub_account_id.eq(sub_account_id))
        .filter(automations::id.eq(automation_id))
        .select(Automation::as_select())
        .first(connection)
}

/// Creates an automation. It runs at once, unless the sub-account is
/// inactive: then it waits, paused by the agency, for the activation.
pub fn create(
    connection: &mut DbConnection,
    sub_account_id: SubAccountId,
    name: &str,
    now: NaiveDateTime,
) -> QueryResult<Automation> {
    let active: bool = sub_accounts::table
        .find(sub_account_id)
        .select(sub_accounts::active)
        .first(connection)?;
    let status = if active {
        Status::Running
    } else {
        Status::PausedByAgency
    };
    let id: AutomationId = diesel::insert_into(automations::table)
        .values((
            automations::sub_account_id.eq(sub_account_id),
            automations::name.eq(name),
            automations::status.eq(status.as_str()),
            automations::created_at.eq(now),
        ))
        .returning(automations::id)
        .get_result(connection)?;
    find(connection, sub_account_id, id)
}

/// Sets the status of one automation of the sub-account.
pub fn set_status(
    connection: &mut DbConnection,
    sub_account_id: SubAccountId,
    automation_id: AutomationId,
    status: Status,
) -> QueryResult<Automation> {
    let updated = diesel::update(
        automations::table
            .filter(automations::sub_account_id.eq(sub_account_id))
            .filter(automations::id.eq(automation_id)),
    )
    .set(automations::status.eq(status.as_str()))
    .execute(connection)?;
    if updated == 0 {
        return Err(diesel::result::Error::NotFound);
    }
    find(connection, sub_account_id, automation_id)
}

/// Moves every automation of the sub-account from status `from` to `to`:
/// running ones to paused-by-agency on deactivation, and back on activation.
pub fn move_all(
    connection: &mut DbConnection,
    sub_account_id: SubAccountId,
    from: Status,
    to: Status,
) -> QueryResult<usize> {
    diesel::update(
        automations::table
            .filter(automations::sub_account_id.eq(sub_account_id))
            .filter(automations::status.eq(from.as_str())),
    )
    .set(automations::status.eq(to.as_str()))
    .execute(connection)
}
