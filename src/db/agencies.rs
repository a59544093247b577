//! Agencies and the first-run creation of an agency with its owner.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::activity::{self, Action};
use super::schema::agencies;
use super::statements::{CountAgencies, CountNameMatches};
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
    pub name_key: String,
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
    name_key: &'a str,
    total_tasks: i64,
    sub_account_limit: i32,
    period_anchor_day: i32,
    period_start: NaiveDate,
    created_at: NaiveDateTime,
}

/// Input for creating an agency and its owner's login.
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
            name_key: &agency.name.as_str().to_lowercase(),
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
            return Err(ActionError::conflict(
                "tasks",
                format!(
                    "Only {} tasks are unallocated.",
                    crate::format::thousands(figures.unallocated)
                ),
            ));
        }
        diesel::update(agencies::table.find(agency_id))
            .set(agencies::main_consumed.eq(agencies::main_consumed + tasks))
            .execute(connection)?;
        Ok(())
    })
}

/// Builds the field error for an email address that another user already has.
pub fn email_taken_error(field: &'static str) -> FieldError {
    FieldError::new(
        field,
        "This email address is already used by another account. Enter a different one.",
    )
}

/// Builds the conflict for an email address that another user already has.
pub fn email_taken(field: &'static str) -> ActionError {
    ActionError::Conflict(email_taken_error(field).into())
}

/// One agency in the support search's results.
#[derive(Debug, Clone)]
pub struct SearchResult {
    pub id: AgencyId,
    pub name: String,
    pub owner_email: String,
    pub sub_accounts: i64,
}

/// A page of search results and the number of matches.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub results: Vec<SearchResult>,
    /// Matches counted, at most the search's `max_counted` plus email matches.
    pub total: i64,
    /// Whether more agencies match than were counted.
    pub more: bool,
}

/// Returns the smallest string greater than every string that starts with
/// `prefix`, in code point order, or `None` when there is none.
fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Maximum number of agencies found by email prefix that one search merges.
/// With more email matches, the search reports that more agencies match.
const MAX_EMAIL_MATCHES: i64 = 1_000;

/// Finds agencies whose name, owner email or sub-account email starts with
/// `query`, ignoring case, ordered by name. Each condition is a range on a
/// lower-case key with a B-tree index (`agencies.name_key`, `users.email_key`),
/// so the search stays fast on many agencies. `page` counts from 0. Name
/// matches are counted up to `max_counted`, because counting a broad prefix
/// such as "a" walks most of the index.
pub fn search(
    connection: &mut DbConnection,
    query: &str,
    page: i64,
    per_page: i64,
    max_counted: i64,
) -> QueryResult<SearchPage> {
    use super::schema::users;
    use diesel::dsl::count_star;

    // Invisible characters are trimmed like spaces and control characters are
    // dropped, because no name or email contains them and PostgreSQL rejects U+0000.
    let key: String = query
        .trim_matches(crate::domain::is_invisible)
        .chars()
        .filter(|character| !character.is_control())
        .collect::<String>()
        .to_lowercase();
    // Only a key made of U+10FFFF has no upper bound; a longer key is close enough.
    let upper = prefix_upper_bound(&key).unwrap_or_else(|| format!("{key}\u{10FFFF}"));
    let order = (agencies::name_key, agencies::id);
    let columns = (agencies::id, agencies::name);
    let offset = page.saturating_mul(per_page);
    let (total, more, rows): (i64, bool, Vec<(AgencyId, String)>) = if key.is_empty() {
        let counted = CountAgencies {
            cap: max_counted + 1,
        }
        .get_result::<i64>(connection)?;
        let total = counted.min(max_counted);
        // Pages past the counted matches are empty, so the listing ends where the count does.
        let rows = if offset >= total {
            Vec::new()
        } else {
            agencies::table
                .order(order)
                .limit(per_page)
                .offset(offset)
                .select(columns)
                .load(connection)?
        };
        (total, counted > max_counted, rows)
    } else {
        let name_matches = || {
            agencies::name_key
                .ge(key.clone())
                .and(agencies::name_key.lt(upper.clone()))
        };
        let name_counted = CountNameMatches {
            lower: key.clone(),
            upper: upper.clone(),
            cap: max_counted + 1,
        }
        .get_result::<i64>(connection)?;
        // Email matches are usually few because an email prefix is specific,
        // so they are merged into the name order here, minus the name matches.
        let email_agency_ids: Vec<AgencyId> = users::table
            .filter(users::email_key.ge(key.clone()))
            .filter(users::email_key.lt(upper.clone()))
            .filter(users::agency_id.is_not_null())
            .select(users::agency_id.assume_not_null())
            .distinct()
            .limit(MAX_EMAIL_MATCHES)
            .load(connection)?;
        let by_email: Vec<(AgencyId, String, String)> = agencies::table
            .filter(agencies::id.eq_any(&email_agency_ids))
            .filter(diesel::dsl::not(name_matches()))
            .select((agencies::id, agencies::name, agencies::name_key))
            .load(connection)?;
        let more = name_counted > max_counted || email_agency_ids.len() as i64 == MAX_EMAIL_MATCHES;
        let total = name_counted.min(max_counted) + by_email.len() as i64;
        let rows = if offset >= total {
            Vec::new()
        } else {
            // Name matches come from the index in name order, so only the rows
            // up to the end of the page are read, however many agencies match.
            let mut merged: Vec<(AgencyId, String, String)> = agencies::table
                .filter(name_matches())
                .order(order)
                .limit(offset + per_page)
                .select((agencies::id, agencies::name, agencies::name_key))
                .load(connection)?;
            merged.extend(by_email);
            merged.sort_by(|a, b| (&a.2, a.0).cmp(&(&b.2, b.0)));
            let skip = usize::try_from(offset).unwrap_or(usize::MAX);
            let take = usize::try_from(per_page).unwrap_or(0);
            merged
                .into_iter()
                .skip(skip)
                .take(take)
                .map(|(id, name, _)| (id, name))
                .collect()
        };
        (total, more, rows)
    };
    let ids: Vec<AgencyId> = rows.iter().map(|row| row.0).collect();
    let owners: Vec<(Option<AgencyId>, String)> = users::table
        .filter(users::agency_id.eq_any(ids.iter().map(|id| Some(*id))))
        .filter(users::role.eq(Role::Owner.as_str()))
        .select((users::agency_id, users::email))
        .load(connection)?;
    let counts: Vec<(AgencyId, i64)> = super::schema::sub_accounts::table
        .filter(super::schema::sub_accounts::agency_id.eq_any(&ids))
        .group_by(super::schema::sub_accounts::agency_id)
        .select((super::schema::sub_accounts::agency_id, count_star()))
        .load(connection)?;
    let results = rows
        .into_iter()
        .map(|(id, name)| SearchResult {
            id,
            name,
            owner_email: owners
                .iter()
                .find(|(agency, _)| *agency == Some(id))
                .map(|(_, email)| email.clone())
                .unwrap_or_default(),
            sub_accounts: counts
                .iter()
                .find(|(agency, _)| *agency == id)
                .map_or(0, |(_, count)| *count),
        })
        .collect();
    Ok(SearchPage {
        results,
        total,
        more,
    })
}

#[cfg(test)]
mod tests {
    use super::prefix_upper_bound;

    #[test]
    fn prefix_upper_bound_increments_last_char() {
        assert_eq!(prefix_upper_bound("abc").as_deref(), Some("abd"));
        assert_eq!(prefix_upper_bound("é").as_deref(), Some("ê"));
        assert_eq!(prefix_upper_bound("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_upper_bound("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(prefix_upper_bound(""), None);
    }
}
