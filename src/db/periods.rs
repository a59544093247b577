//! Billing period rollover: when an agency's period has ended, its totals go
//! to `billing_periods` and its consumed counters start again from zero.
//!
//! The rollover is lazy: every path that reads or changes an agency's
//! counters calls [`ensure_current`] first. It checks without a lock, then
//! rolls over under the agency's lock and checks again, so concurrent
//! requests at the boundary roll the period over exactly once.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::NaiveDate;
use diesel::prelude::*;

use super::schema::{agencies, billing_periods, sub_accounts};
use super::{DbConnection, Lock, write_transaction};
use crate::domain::AgencyId;
use crate::domain::period::{next_period_start, period_start};

/// Periods this process rolled over, for the metrics.
static ROLLOVERS: AtomicU64 = AtomicU64::new(0);

/// Returns how many periods this process rolled over.
pub fn rollovers() -> u64 {
    ROLLOVERS.load(Ordering::Relaxed)
}

/// A closed billing period's totals.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = billing_periods)]
pub struct ClosedPeriod {
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub total_tasks: i64,
    pub consumed: i64,
}

/// Rolls the agency over to the period that contains `today` if its stored
/// period is older, and returns the current period's first day.
pub fn ensure_current(
    connection: &mut DbConnection,
    agency_id: AgencyId,
    today: NaiveDate,
) -> QueryResult<NaiveDate> {
    let (stored, anchor): (NaiveDate, i32) = agencies::table
        .find(agency_id)
        .select((agencies::period_start, agencies::period_anchor_day))
        .first(connection)?;
    let current = period_start(today, anchor.unsigned_abs());
    if stored >= current {
        return Ok(stored);
    }
    write_transaction(connection, Lock::Agency(agency_id), |connection| {
        roll_over(connection, agency_id, current)
    })
}

fn roll_over(
    connection: &mut DbConnection,
    agency_id: AgencyId,
    current: NaiveDate,
) -> QueryResult<NaiveDate> {
    let (stored, anchor, total_tasks, main_consumed, deleted_consumed): (
        NaiveDate,
        i32,
        i64,
        i64,
        i64,
    ) = agencies::table
        .find(agency_id)
        .select((
            agencies::period_start,
            agencies::period_anchor_day,
            agencies::total_tasks,
            agencies::main_consumed,
            agencies::deleted_consumed,
        ))
        .first(connection)?;
    if stored >= current {
        // Another request rolled it over while this one waited for the lock.
        return Ok(stored);
    }
    // An agency has a handful of sub-accounts, so summing here is cheaper
    // than SQL's SUM, which returns NUMERIC on PostgreSQL.
    let sub_accounts_consumed: i64 = sub_accounts::table
        .filter(sub_accounts::agency_id.eq(agency_id))
        .select(sub_accounts::consumed)
        .load::<i64>(connection)?
        .into_iter()
        .sum();
    let consumed = main_consumed + deleted_consumed + sub_accounts_consumed;
    diesel::insert_into(billing_periods::table)
        .values((
            billing_periods::agency_id.eq(agency_id),
            billing_periods::period_start.eq(stored),
            billing_periods::period_end.eq(next_period_start(stored, anchor.unsigned_abs())),
            billing_periods::total_tasks.eq(total_tasks),
            billing_periods::consumed.eq(consumed),
            billing_periods::main_consumed.eq(main_consumed),
            billing_periods::deleted_consumed.eq(deleted_consumed),
        ))
        .execute(connection)?;
    diesel::update(sub_accounts::table.filter(sub_accounts::agency_id.eq(agency_id)))
        .set((
            sub_accounts::consumed.eq(0),
            sub_accounts::alert_level.eq(0),
        ))
        .execute(connection)?;
    diesel::update(agencies::table.find(agency_id))
        .set((
            agencies::main_consumed.eq(0),
            agencies::deleted_consumed.eq(0),
            agencies::period_start.eq(current),
        ))
        .execute(connection)?;
    ROLLOVERS.fetch_add(1, Ordering::Relaxed);
    tracing::info!(agency_id = agency_id.0, closed = %stored, current = %current, "rolled over to a new billing period");
    Ok(current)
}

/// Returns the agency's closed periods, newest first.
pub fn history(
    connection: &mut DbConnection,
    agency_id: AgencyId,
) -> QueryResult<Vec<ClosedPeriod>> {
    billing_periods::table
        .filter(billing_periods::agency_id.eq(agency_id))
        .order(billing_periods::period_start.desc())
        .select(ClosedPeriod::as_select())
        .load(connection)
}

/// The period a page shows: its bounds and the choices of the period selector.
#[derive(Debug, Clone)]
pub struct Selection {
    pub start: NaiveDate,
    /// The first day after the period.
    pub end: NaiveDate,
    pub current: bool,
    pub options: Vec<crate::chart::PeriodOption>,
}

/// Picks the period named by `requested` (its first day, as `YYYY-MM-DD`)
/// among the current one and the closed ones. No value, or an empty one,
/// picks the current period; a value that names neither returns `None`.
pub fn select(
    current_start: NaiveDate,
    anchor_day: i32,
    closed: &[ClosedPeriod],
    requested: Option<&str>,
) -> Option<Selection> {
    let anchor = anchor_day.unsigned_abs();
    let current_end = next_period_start(current_start, anchor);
    let chosen = match requested.map(str::trim).filter(|value| !value.is_empty()) {
        None => (current_start, current_end, true),
        Some(value) => {
            let requested_start = NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?;
            if requested_start == current_start {
                (current_start, current_end, true)
            } else {
                let period = closed
                    .iter()
                    .find(|period| period.period_start == requested_start)?;
                (period.period_start, period.period_end, false)
            }
        }
    };
    let label = |start: NaiveDate, end: NaiveDate| {
        let last = end.pred_opt().unwrap_or(end);
        format!(
            "{} – {}",
            crate::format::long_date(start),
            crate::format::long_date(last)
        )
    };
    let mut options = vec![crate::chart::PeriodOption {
        value: crate::format::iso_date(current_start),
        label: format!("{} (current)", label(current_start, current_end)),
        selected: chosen.2,
    }];
    options.extend(closed.iter().map(|period| crate::chart::PeriodOption {
        value: crate::format::iso_date(period.period_start),
        label: label(period.period_start, period.period_end),
        selected: !chosen.2 && period.period_start == chosen.0,
    }));
    Some(Selection {
        start: chosen.0,
        end: chosen.1,
        current: chosen.2,
        options,
    })
}
