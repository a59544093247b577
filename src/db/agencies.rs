//! Agencies and the first-run creation of an agency with its owner.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::activity::{self, Action};
use super::schema::agencies;
use super::users::{self, NewUser};
use super::{ActionError, DbConnection, Lock, write_transaction};
use crate::domain::{AgencyId, AgencyName, Email, FieldError, Role, TaskCount, UserId};

/// Default number of sub-accounts an agency plan allows.
pub const DEFAULT_SUB_ACCOUNT_LIMIT: i32 = 5;

/// A row of `agencies`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = agencies)]
pub struct Agency {
    pub id: AgencyId,
    pub name: String,
    pub total_tasks: i64,
    pub sub_account_limit: i32,
    pub main_consumed: i64,
    pub deleted_consumed: i64,
    pub period_anchor_day: i32,
    pub period_start: NaiveDate,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = agencies)]
struct NewAgencyRow<'a> {
    name: &'a str,
    total_tasks: i64,
    sub_account_limit: i32,
    period_anchor_day: i32,
    period_start: NaiveDate,
    created_at: NaiveDateTime,
}

/// What it takes to create an agency and its owner's login.
#[derive(Debug)]
pub struct NewAgency<'a> {
    pub name: &'a AgencyName,
    pub total_tasks: TaskCount,
    pub sub_account_limit: i32,
    pub owner_email: &'a Email,
    pub owner_password_hash: &'a str,
}

pub fn find(connection: &mut DbConnection, agency_id: AgencyId) -> QueryResult<Agency> {
    agencies::table
        .find(agency_id)
        .select(Agency::as_select())
        .first(connection)
}

pub fn count(connection: &mut DbConnection) -> QueryResult<i64> {
    agencies::table.count().get_result(connection)
}

/// Creates an agency whose billing period starts today and its owner, in one
/// transaction. An owner email already in use is a conflict on `owner_email`.
pub fn create(
    connection: &mut DbConnection,
    agency: &NewAgency<'_>,
    now: NaiveDateTime,
) -> Result<(AgencyId, UserId), ActionError> {
    write_transaction(connection, Lock::Database, |connection| {
        create_in_transaction(connection, agency, now)
    })
}

/// Creates the agency and its owner inside the caller's write transaction.
pub fn create_in_transaction(
    connection: &mut DbConnection,
    agency: &NewAgency<'_>,
    now: NaiveDateTime,
) -> Result<(AgencyId, UserId), ActionError> {
    let email_key = agency.owner_email.key();
    if users::email_key_exists(connection, &email_key)? {
        return Err(email_taken("owner_email"));
    }
    let today = now.date();
    let agency_id: AgencyId = diesel::insert_into(agencies::table)
        .values(&NewAgencyRow {
            name: agency.name.as_str(),
            total_tasks: agency.total_tasks.get(),
            sub_account_limit: agency.sub_account_limit,
            period_anchor_day: today.day() as i32,
            period_start: today,
            created_at: now,
        })
        .returning(agencies::id)
        .get_result(connection)?;
    let owner = NewUser {
        email: agency.owner_email.as_str(),
        email_key: &email_key,
        password_hash: agency.owner_password_hash,
        role: Role::Owner.as_str(),
        agency_id: Some(agency_id),
        sub_account_id: None,
        created_at: now,
    };
    let owner_id = users::insert(connection, &owner)
        .map_err(|error| ActionError::or_email_taken(error, "owner_email"))?;
    activity::insert(
        connection,
        &activity::NewEntry {
            agency_id,
            actor_email: agency.owner_email.as_str(),
            action: Action::AgencyCreated.as_str(),
            sub_account_id: None,
            sub_account_name: None,
            value_before: None,
            value_after: Some(agency.total_tasks.get().to_string()),
            created_at: now,
        },
    )?;
    Ok((agency_id, owner_id))
}

/// Consumes `tasks` for the agency's main account, from the unallocated part
/// of the pool. Rejects more than is unallocated.
pub fn consume_main(
    connection: &mut DbConnection,
    agency_id: AgencyId,
    tasks: i64,
) -> Result<(), ActionError> {
    write_transaction(connection, Lock::Agency(agency_id), |connection| {
        let figures = super::sub_accounts::figures(connection, agency_id)?;
        if tasks > figures.unallocated {
            return Err(ActionError::Conflict(FieldError::new(
                "tasks",
                format!(
                    "Only {} tasks are unallocated.",
                    crate::format::thousands(figures.unallocated)
                ),
            )));
        }
        diesel::update(agencies::table.find(agency_id))
            .set(agencies::main_consumed.eq(agencies::main_consumed + tasks))
            .execute(connection)?;
        Ok(())
    })
}

/// The conflict for an email address that another user already has.
pub fn email_taken(field: &'static str) -> ActionError {
    ActionError::Conflict(FieldError::new(
        field,
        "This email address is already used by another account. Enter a different one.",
    ))
}
