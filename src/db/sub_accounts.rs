//! Sub-accounts and the owner's actions on them: add, update tasks,
//! deactivate, activate and delete.
//!
//! Each action is one write transaction that locks the agency first (see
//! [`write_transaction`]), checks the pool rules against what it then reads,
//! writes, and reads the agency's overview back, so the page it renders shows
//! the state the action left.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::activity::{self, Action, NewEntry};
use super::agencies::{self, Agency};
use super::automations::Status as AutomationStatus;
use super::schema::{agencies as agencies_table, sub_accounts, users};
use super::users::NewUser;
use super::{ActionError, DbConnection, Lock, read_transaction, write_transaction};
use crate::domain::{
    AgencyId, Email, FieldError, FieldErrors, Figures, Role, SubAccountId, SubAccountName,
    SubAccountUsage, TaskCount,
};
use crate::format::{count_of, thousands};

/// A row of `sub_accounts`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sub_accounts)]
pub struct SubAccount {
    pub id: SubAccountId,
    pub agency_id: AgencyId,
    pub name: String,
    pub allocated: i64,
    pub consumed: i64,
    pub active: bool,
    pub status_changed_at: Option<NaiveDateTime>,
    pub status_changed_by: Option<String>,
    pub created_at: NaiveDateTime,
    /// The highest usage alert logged this period: 0, 75, 90 or 100 (percent).
    pub alert_level: i32,
}

impl SubAccount {
    pub fn remaining(&self) -> i64 {
        self.allocated - self.consumed
    }

    fn usage(&self) -> SubAccountUsage {
        SubAccountUsage {
            allocated: self.allocated,
            consumed: self.consumed,
            active: self.active,
        }
    }
}

/// A sub-account with its member's login email.
#[derive(Debug, Clone)]
pub struct Listing {
    pub sub_account: SubAccount,
    pub email: String,
}

/// Everything the Agency page shows, read from one snapshot.
#[derive(Debug, Clone)]
pub struct Overview {
    pub agency: Agency,
    pub sub_accounts: Vec<Listing>,
    pub activity: Vec<activity::Entry>,
    /// Automations per sub-account; a sub-account without any is missing.
    pub automation_counts: Vec<(SubAccountId, i64)>,
}

impl Overview {
    pub fn figures(&self) -> Figures {
        figures_of(
            &self.agency,
            self.sub_accounts.iter().map(|listing| &listing.sub_account),
        )
    }

    pub fn automation_count(&self, sub_account_id: SubAccountId) -> i64 {
        self.automation_counts
            .iter()
            .find(|(id, _)| *id == sub_account_id)
            .map_or(0, |(_, count)| *count)
    }

    pub fn listing(&self, sub_account_id: SubAccountId) -> Option<&Listing> {
        self.sub_accounts
            .iter()
            .find(|listing| listing.sub_account.id == sub_account_id)
    }
}

fn figures_of<'a>(
    agency: &Agency,
    sub_accounts: impl IntoIterator<Item = &'a SubAccount>,
) -> Figures {
    Figures::compute(
        agency.total_tasks,
        i64::from(agency.sub_account_limit),
        agency.main_consumed,
        agency.deleted_consumed,
        sub_accounts.into_iter().map(SubAccount::usage),
    )
}

/// A new sub-account and its member's login.
#[derive(Debug)]
pub struct NewSubAccount<'a> {
    pub name: &'a SubAccountName,
    pub email: &'a Email,
    pub password_hash: &'a str,
    pub tasks: TaskCount,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = sub_accounts)]
struct NewSubAccountRow<'a> {
    agency_id: AgencyId,
    name: &'a str,
    allocated: i64,
    consumed: i64,
    active: bool,
    created_at: NaiveDateTime,
}

/// What a deleted sub-account left behind.
#[derive(Debug, Clone)]
pub struct Deleted {
    pub name: String,
    /// Unconsumed tasks that went back to the unallocated pool.
    pub returned: i64,
    /// Consumed tasks that stay counted in the agency's consumption.
    pub consumed: i64,
}

/// Reads the Agency page's data in one read-only snapshot, after rolling
/// the billing period over if it has ended. The period is checked on the row
/// read for the page, so the common case costs no query of its own.
pub fn overview(
    connection: &mut DbConnection,
    agency_id: AgencyId,
    today: NaiveDate,
) -> Result<Overview, ActionError> {
    let read = |connection: &mut DbConnection| {
        read_transaction(connection, |connection| {
            load_overview(connection, agency_id).map_err(ActionError::from)
        })
    };
    let overview = read(connection)?;
    let anchor = overview.agency.period_anchor_day.unsigned_abs();
    if overview.agency.period_start >= crate::domain::period::period_start(today, anchor) {
        return Ok(overview);
    }
    super::periods::ensure_current(connection, agency_id, today)?;
    read(connection)
}

fn load_overview(connection: &mut DbConnection, agency_id: AgencyId) -> QueryResult<Overview> {
    let agency = agencies::find(connection, agency_id)?;
    let automations = super::schema::automations::table
        .filter(super::schema::automations::sub_account_id.eq(sub_accounts::id))
        .count()
        .single_value();
    let rows = sub_accounts::table
        .inner_join(users::table.on(users::sub_account_id.eq(sub_accounts::id.nullable())))
        .filter(sub_accounts::agency_id.eq(agency_id))
        .order(sub_accounts::id)
        .select((SubAccount::as_select(), users::email, automations))
        .load::<(SubAccount, String, Option<i64>)>(connection)?;
    let automation_counts = rows
        .iter()
        .map(|(sub_account, _, count)| (sub_account.id, count.unwrap_or(0)))
        .collect();
    let sub_accounts = rows
        .into_iter()
        .map(|(sub_account, email, _)| Listing { sub_account, email })
        .collect();
    let activity = activity::recent(connection, agency_id, activity::RECENT_ENTRIES)?;
    Ok(Overview {
        agency,
        sub_accounts,
        activity,
        automation_counts,
    })
}

/// Reads one sub-account of the agency with its member's email.
pub fn find_listing(
    connection: &mut DbConnection,
    agency_id: AgencyId,
    sub_account_id: SubAccountId,
) -> Result<Listing, ActionError> {
    let (sub_account, email) = sub_accounts::table
        .inner_join(users::table.on(users::sub_account_id.eq(sub_accounts::id.nullable())))
        .filter(sub_accounts::agency_id.eq(agency_id))
        .filter(sub_accounts::id.eq(sub_account_id))
        .select((SubAccount::as_select(), users::email))
        .first::<(SubAccount, String)>(connection)?;
    Ok(Listing { sub_account, email })
}

fn find_in_agency(
    connection: &mut DbConnection,
    agency_id: AgencyId,
    sub_account_id: SubAccountId,
) -> QueryResult<SubAccount> {
    sub_accounts::table
        .filter(sub_accounts::agency_id.eq(agency_id))
        .filter(sub_accounts::id.eq(sub_account_id))
        .select(SubAccount::as_select())
        .first(connection)
}

/// Reads the agency and its sub-accounts' figures inside the caller's transaction.
pub fn figures(connection: &mut DbConnection, agency_id: AgencyId) -> QueryResult<Figures> {
    let agency = agencies::find(connection, agency_id)?;
    let sub_accounts = sub_accounts::table
        .filter(sub_accounts::agency_id.eq(agency_id))
        .select(SubAccount::as_select())
        .load::<SubAccount>(connection)?;
    Ok(figures_of(&agency, &sub_accounts))
}

/// Adds a sub-account and its member's login. Rejects a sub-account beyond the
/// plan's limit, more tasks than are unallocated, and an email already in use.
pub fn add(
    connection: &mut DbConnection,
    agency_id: AgencyId,
    actor_email: &str,
    new: &NewSubAccount<'_>,
    now: NaiveDateTime,
) -> Result<(SubAccountId, Overview), ActionError> {
    super::periods::ensure_current(connection, agency_id, now.date())?;
    write_transaction(connection, Lock::Agency(agency_id), |connection| {
        let figures = figures(connection, agency_id)?;
        if figures.limit_reached() {
            return Err(ActionError::conflict(
                "form",
                format!(
                    "This agency already has {} sub-accounts, the plan's limit of {}. Delete a sub-account before adding another.",
                    figures.sub_accounts, figures.sub_account_limit
                ),
            ));
        }
        // Both checks run, so the form shows every conflict at once.
        let mut conflicts = FieldErrors::default();
        let tasks = new.tasks.get();
        if tasks > figures.unallocated {
            conflicts.push(FieldError::new(
                "tasks",
                format!(
                    "Only {} unallocated. Enter a number from 0 to {}.",
                    count_of(figures.unallocated, "task is", "tasks are"),
                    thousands(figures.unallocated)
                ),
            ));
        }
        let email_key = new.email.key();
        if super::users::email_key_exists(connection, &email_key)? {
            conflicts.push(agencies::email_taken_error("email"));
        }
        if !conflicts.is_empty() {
            return Err(ActionError::Conflict(conflicts));
        }

        let sub_account_id: SubAccountId = diesel::insert_into(sub_accounts::table)
            .values(&NewSubAccountRow {
                agency_id,
                name: new.name.as_str(),
                allocated: tasks,
                consumed: 0,
                active: true,
                created_at: now,
            })
            .returning(sub_accounts::id)
            .get_result(connection)?;
        let member = NewUser {
            email: new.email.as_str(),
            email_key: &email_key,
            password_hash: new.password_hash,
            role: Role::Member.as_str(),
            agency_id: Some(agency_id),
            sub_account_id: Some(sub_account_id),
            created_at: now,
        };
        super::users::insert(connection, &member)
            .map_err(|error| ActionError::or_email_taken(error, "email"))?;
        let entry = NewEntry::about(
            agency_id,
            actor_email,
            Action::SubAccountAdded,
            (sub_account_id, new.name.as_str()),
            now,
        )
        .values("", tasks);
        activity::insert(connection, &entry)?;
        Ok((sub_account_id, load_overview(connection, agency_id)?))
    })
}

/// Sets a sub-account's allocation. The new value may not be below what the
/// sub-account consumed this period, and the increase may not exceed the
/// unallocated tasks; both rejections give the allowed range.
pub fn update_tasks(
    connection: &mut DbConnection,
    agency_id: AgencyId,
    sub_account_id: SubAccountId,
    tasks: TaskCount,
    actor_email: &str,
    now: NaiveDateTime,
) -> Result<Overview, ActionError> {
    super::periods::ensure_current(connection, agency_id, now.date())?;
    write_transaction(connection, Lock::Agency(agency_id), |connection| {
        let sub_account = find_in_agency(connection, agency_id, sub_account_id)?;
        let figures = figures(connection, agency_id)?;
        let new_allocation = tasks.get();
        let maximum = sub_account.allocated + figures.unallocated;
        let allowed_range = || {
            format!(
                "Enter a number from {} to {}.",
                thousands(sub_account.consumed),
                thousands(maximum)
            )
        };
        if new_allocation < sub_account.consumed {
            return Err(ActionError::conflict(
                "tasks",
                format!(
                    "“{}” has already consumed {} this period, so its allocation cannot be lower. {}",
                    sub_account.name,
                    count_of(sub_account.consumed, "task", "tasks"),
                    allowed_range()
                ),
            ));
        }
        if new_allocation > maximum {
            return Err(ActionError::conflict(
                "tasks",
                format!(
                    "Only {} unallocated, so “{}” can have at most {}. {}",
                    count_of(figures.unallocated, "task is", "tasks are"),
                    sub_account.name,
                    thousands(maximum),
                    allowed_range()
                ),
            ));
        }
        if new_allocation != sub_account.allocated {
            // Consumption does not take the agency lock, so the guard on
            // `consumed` is repeated in the statement that writes.
            let updated = diesel::update(
                sub_accounts::table
                    .filter(sub_accounts::id.eq(sub_account_id))
                    .filter(sub_accounts::consumed.le(new_allocation)),
            )
            .set(sub_accounts::allocated.eq(new_allocation))
            .execute(connection)?;
            if updated == 0 {
                let consumed = find_in_agency(connection, agency_id, sub_account_id)?.consumed;
                return Err(ActionError::conflict(
                    "tasks",
                    format!(
                        "“{}” consumed {} in the meantime, so its allocation cannot be lower. Enter a number from {} to {}.",
                        sub_account.name,
                        count_of(consumed, "task", "tasks"),
                        thousands(consumed),
                        thousands(maximum)
                    ),
                ));
            }
            let entry = NewEntry::about(
                agency_id,
                actor_email,
                Action::TasksUpdated,
                (sub_account_id, &sub_account.name),
                now,
            )
            .values(sub_account.allocated, new_allocation);
            activity::insert(connection, &entry)?;
            update_alert_level(connection, agency_id, &sub_account, new_allocation, now)?;
        }
        Ok(load_overview(connection, agency_id)?)
    })
}

/// Moves the alert level to what the new allocation makes of the consumption.
/// A raised allocation can bring usage back under a threshold, so the next
/// crossing is logged again, and a lowered one can cross a threshold at once.
fn update_alert_level(
    connection: &mut DbConnection,
    agency_id: AgencyId,
    sub_account: &SubAccount,
    allocation: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    // The update above holds the row, so no consumption changes it until commit.
    let consumed: i64 = sub_accounts::table
        .find(sub_account.id)
        .select(sub_accounts::consumed)
        .first(connection)?;
    let level = super::usage::alert_level(consumed, allocation);
    diesel::update(
        sub_accounts::table
            .filter(sub_accounts::id.eq(sub_account.id))
            .filter(sub_accounts::alert_level.gt(level)),
    )
    .set(sub_accounts::alert_level.eq(level))
    .execute(connection)?;
    super::usage::raise_alert(
        connection,
        (agency_id, sub_account.id, &sub_account.name),
        consumed,
        allocation,
        now,
    )
}

/// Deactivates or activates a sub-account. Setting the status it already has
/// changes nothing and writes no activity entry.
pub fn set_active(
    connection: &mut DbConnection,
    agency_id: AgencyId,
    sub_account_id: SubAccountId,
    active: bool,
    actor_email: &str,
    now: NaiveDateTime,
) -> Result<Overview, ActionError> {
    super::periods::ensure_current(connection, agency_id, now.date())?;
    write_transaction(connection, Lock::Agency(agency_id), |connection| {
        let sub_account = find_in_agency(connection, agency_id, sub_account_id)?;
        if sub_account.active != active {
            diesel::update(sub_accounts::table.filter(sub_accounts::id.eq(sub_account_id)))
                .set((
                    sub_accounts::active.eq(active),
                    sub_accounts::status_changed_at.eq(Some(now)),
                    sub_accounts::status_changed_by.eq(Some(actor_email)),
                ))
                .execute(connection)?;
            let (action, before, after) = if active {
                (Action::Activated, "inactive", "active")
            } else {
                (Action::Deactivated, "active", "inactive")
            };
            let (from, to) = if active {
                (AutomationStatus::PausedByAgency, AutomationStatus::Running)
            } else {
                (AutomationStatus::Running, AutomationStatus::PausedByAgency)
            };
            super::automations::move_all(connection, sub_account_id, from, to)?;
            let entry = NewEntry::about(
                agency_id,
                actor_email,
                action,
                (sub_account_id, &sub_account.name),
                now,
            )
            .values(before, after);
            activity::insert(connection, &entry)?;
        }
        Ok(load_overview(connection, agency_id)?)
    })
}

/// Deletes a sub-account and its member's login. Its unconsumed allocation
/// returns to the pool; its consumed tasks move to the agency's
/// `deleted_consumed`, so they stay counted for the period.
pub fn delete(
    connection: &mut DbConnection,
    agency_id: AgencyId,
    sub_account_id: SubAccountId,
    actor_email: &str,
    now: NaiveDateTime,
) -> Result<(Deleted, Overview), ActionError> {
    super::periods::ensure_current(connection, agency_id, now.date())?;
    write_transaction(connection, Lock::Agency(agency_id), |connection| {
        find_in_agency(connection, agency_id, sub_account_id)?;
        diesel::delete(users::table.filter(users::sub_account_id.eq(sub_account_id)))
            .execute(connection)?;
        // RETURNING reads the counters as the row is deleted, so consumption
        // committed just before is counted and none can follow.
        let (name, allocated, consumed): (String, i64, i64) = diesel::delete(
            sub_accounts::table
                .filter(sub_accounts::id.eq(sub_account_id))
                .filter(sub_accounts::agency_id.eq(agency_id)),
        )
        .returning((
            sub_accounts::name,
            sub_accounts::allocated,
            sub_accounts::consumed,
        ))
        .get_result(connection)?;
        diesel::update(agencies_table::table.find(agency_id))
            .set(agencies_table::deleted_consumed.eq(agencies_table::deleted_consumed + consumed))
            .execute(connection)?;
        let deleted = Deleted {
            name,
            returned: allocated - consumed,
            consumed,
        };
        let entry = NewEntry::about(
            agency_id,
            actor_email,
            Action::Deleted,
            (sub_account_id, &deleted.name),
            now,
        )
        .values(allocated, consumed);
        activity::insert(connection, &entry)?;
        Ok((deleted, load_overview(connection, agency_id)?))
    })
}

/// Consumes `tasks` of a sub-account's allocation in one conditional
/// statement: it succeeds only while the sub-account is active and has that
/// many tasks left, so concurrent calls can never overspend. Returns whether
/// the tasks were consumed.
///
/// NOTE: this changes only the counter, for tests that need consumption
/// without an automation. The usage API goes through [`super::usage::consume`],
/// which also records the day's usage and the alerts.
pub fn consume(
    connection: &mut DbConnection,
    sub_account_id: SubAccountId,
    tasks: i64,
) -> QueryResult<bool> {
    let updated = diesel::update(
        sub_accounts::table
            .filter(sub_accounts::id.eq(sub_account_id))
            .filter(sub_accounts::active.eq(true))
            .filter((sub_accounts::consumed + tasks).le(sub_accounts::allocated)),
    )
    .set(sub_accounts::consumed.eq(sub_accounts::consumed + tasks))
    .execute(connection)?;
    Ok(updated == 1)
}
