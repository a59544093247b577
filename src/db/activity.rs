//! The activity log: what happened to an agency's sub-accounts, by whom and when.
//!
//! Entries copy the names they mention, so they stay readable after the
//! sub-account or the user they name is deleted.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::activity_log;
use crate::domain::{AgencyId, SubAccountId};

/// How many entries the Agency page shows.
pub const RECENT_ENTRIES: i64 = 20;

/// What an entry records. The string form is stored in `activity_log.action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    AgencyCreated,
    SubAccountAdded,
    TasksUpdated,
    Deactivated,
    Activated,
    /// `value_before` is the allocation and `value_after` the consumed tasks at deletion.
    Deleted,
    MemberPasswordSet,
    /// `value_before` is "consumed/allocated" and `value_after` the level reached (75, 90 or 100).
    UsageAlert,
    /// `value_after` is the agency's name.
    SupportViewedAgency,
    SupportViewedSubAccount,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AgencyCreated => "agency.created",
            Self::SubAccountAdded => "sub_account.added",
            Self::TasksUpdated => "sub_account.tasks_updated",
            Self::Deactivated => "sub_account.deactivated",
            Self::Activated => "sub_account.activated",
            Self::Deleted => "sub_account.deleted",
            Self::MemberPasswordSet => "sub_account.member_password_set",
            Self::UsageAlert => "sub_account.usage_alert",
            Self::SupportViewedAgency => "support.viewed_agency",
            Self::SupportViewedSubAccount => "support.viewed_sub_account",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::AgencyCreated,
            Self::SubAccountAdded,
            Self::TasksUpdated,
            Self::Deactivated,
            Self::Activated,
            Self::Deleted,
            Self::MemberPasswordSet,
            Self::UsageAlert,
            Self::SupportViewedAgency,
            Self::SupportViewedSubAccount,
        ]
        .into_iter()
        .find(|action| action.as_str() == value)
    }
}

/// A row of `activity_log`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = activity_log)]
pub struct Entry {
    pub id: i64,
    pub agency_id: AgencyId,
    pub actor_email: String,
    pub action: String,
    pub sub_account_id: Option<SubAccountId>,
    pub sub_account_name: Option<String>,
    pub value_before: Option<String>,
    pub value_after: Option<String>,
    pub created_at: NaiveDateTime,
}

/// An entry to write.
#[derive(Debug, Insertable)]
#[diesel(table_name = activity_log)]
pub struct NewEntry<'a> {
    pub agency_id: AgencyId,
    pub actor_email: &'a str,
    pub action: &'a str,
    pub sub_account_id: Option<SubAccountId>,
    pub sub_account_name: Option<&'a str>,
    pub value_before: Option<String>,
    pub value_after: Option<String>,
    pub created_at: NaiveDateTime,
}

impl<'a> NewEntry<'a> {
    /// An entry about one sub-account, with no values yet.
    pub fn about(
        agency_id: AgencyId,
        actor_email: &'a str,
        action: Action,
        sub_account: (SubAccountId, &'a str),
        created_at: NaiveDateTime,
    ) -> Self {
        Self {
            agency_id,
            actor_email,
            action: action.as_str(),
            sub_account_id: Some(sub_account.0),
            sub_account_name: Some(sub_account.1),
            value_before: None,
            value_after: None,
            created_at,
        }
    }

    pub fn values(mut self, before: impl ToString, after: impl ToString) -> Self {
        self.value_before = Some(before.to_string());
        self.value_after = Some(after.to_string());
        self
    }
}

pub fn insert(connection: &mut DbConnection, entry: &NewEntry<'_>) -> QueryResult<()> {
    diesel::insert_into(activity_log::table)
        .values(entry)
        .execute(connection)
        .map(|_| ())
}

/// Returns the agency's newest entries, newest first.
pub fn recent(
    connection: &mut DbConnection,
    agency_id: AgencyId,
    limit: i64,
) -> QueryResult<Vec<Entry>> {
    activity_log::table
        .filter(activity_log::agency_id.eq(agency_id))
        .order(activity_log::id.desc())
        .limit(limit)
        .select(Entry::as_select())
        .load(connection)
}
