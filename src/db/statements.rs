//! Hand-written statements that Diesel prepares once per connection.
//!
//! Diesel prepares its `UPDATE`, `INSERT` and raw `sql_query` statements anew
//! on every run. The statements on the hottest paths (consumption and the
//! daily usage chart) are written here as types with a static query id, so
//! Diesel's statement cache keeps them prepared. Each binds its values with
//! `push_bind_param`, which writes the backend's own placeholders.

use chrono::NaiveDate;
use diesel::backend::Backend;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Date, HasSqlType, Text};

/// Adds `tasks` to a sub-account's consumption while it is active, the
/// automation is running, and the allocation has room, returning the new
/// consumed and allocated counts and the name.
#[derive(Debug, Clone, Copy, QueryId)]
pub struct ConsumeTasks {
    pub sub_account_id: i64,
    pub automation_id: i64,
    pub tasks: i64,
}

impl<DB> QueryFragment<DB> for ConsumeTasks
where
    DB: Backend + HasSqlType<BigInt>,
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE sub_accounts SET consumed = consumed + ");
        out.push_bind_param::<BigInt, _>(&self.tasks)?;
        out.push_sql(" WHERE id = ");
        out.push_bind_param::<BigInt, _>(&self.sub_account_id)?;
        out.push_sql(" AND active AND consumed + ");
        out.push_bind_param::<BigInt, _>(&self.tasks)?;
        out.push_sql(" <= allocated AND EXISTS (SELECT 1 FROM automations WHERE automations.id = ");
        out.push_bind_param::<BigInt, _>(&self.automation_id)?;
        out.push_sql(" AND automations.sub_account_id = ");
        out.push_bind_param::<BigInt, _>(&self.sub_account_id)?;
        out.push_sql(" AND automations.status = 'running') RETURNING consumed, allocated, name");
        Ok(())
    }
}

impl Query for ConsumeTasks {
    type SqlType = (BigInt, BigInt, Text);
}

impl<Conn> RunQueryDsl<Conn> for ConsumeTasks {}

/// Adds tasks to an automation's row for a day, creating the row if needed.
/// The same `ON CONFLICT` upsert works on SQLite (3.24 and later) and PostgreSQL.
#[derive(Debug, Clone, QueryId)]
pub struct AddDailyUsage {
    pub agency_id: i64,
    pub sub_account_id: i64,
    pub sub_account_name: String,
    pub automation_id: i64,
    pub day: NaiveDate,
    pub tasks: i64,
}

impl<DB> QueryFragment<DB> for AddDailyUsage
where
    DB: Backend + HasSqlType<BigInt> + HasSqlType<Text> + HasSqlType<Date>,
    i64: ToSql<BigInt, DB>,
    String: ToSql<Text, DB>,
    NaiveDate: ToSql<Date, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(
            "INSERT INTO usage_daily (agency_id, sub_account_id, sub_account_name, automation_id, day, tasks) VALUES (",
        );
        out.push_bind_param::<BigInt, _>(&self.agency_id)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.sub_account_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&self.sub_account_name)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.automation_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Date, _>(&self.day)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.tasks)?;
        out.push_sql(
            ") ON CONFLICT (sub_account_id, day, automation_id) DO UPDATE SET tasks = usage_daily.tasks + excluded.tasks",
        );
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for AddDailyUsage {}

macro_rules! daily_totals {
    ($(#[$doc:meta])* $name:ident, $column:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, QueryId)]
        pub struct $name {
            pub id: i64,
            pub start: NaiveDate,
            pub end: NaiveDate,
        }

        impl<DB> QueryFragment<DB> for $name
        where
            DB: Backend + HasSqlType<BigInt> + HasSqlType<Date>,
            i64: ToSql<BigInt, DB>,
            NaiveDate: ToSql<Date, DB>,
        {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
                out.push_sql(concat!(
                    "SELECT day, CAST(SUM(tasks) AS BIGINT) AS tasks FROM usage_daily WHERE ",
                    $column,
                    " = "
                ));
                out.push_bind_param::<BigInt, _>(&self.id)?;
                out.push_sql(" AND day >= ");
                out.push_bind_param::<Date, _>(&self.start)?;
                out.push_sql(" AND day < ");
                out.push_bind_param::<Date, _>(&self.end)?;
                out.push_sql(" GROUP BY day ORDER BY day");
                Ok(())
            }
        }

        impl Query for $name {
            type SqlType = (Date, BigInt);
        }

        impl<Conn> RunQueryDsl<Conn> for $name {}
    };
}

daily_totals!(
    /// An agency's tasks per day from `start` up to (not including) `end`.
    /// `SUM` of a `BIGINT` is `NUMERIC` on PostgreSQL, so the sum is cast back.
    AgencyDailyTotals,
    "agency_id"
);
daily_totals!(
    /// A sub-account's tasks per day from `start` up to (not including) `end`.
    SubAccountDailyTotals,
    "sub_account_id"
);

/// The number of agencies whose `name_key` lies in `lower..upper`, counting at
/// most `cap` of them, so a broad prefix does not walk the whole index.
#[derive(Debug, Clone, QueryId)]
pub struct CountNameMatches {
    pub lower: String,
    pub upper: String,
    pub cap: i64,
}

impl<DB> QueryFragment<DB> for CountNameMatches
where
    DB: Backend + HasSqlType<BigInt> + HasSqlType<Text>,
    i64: ToSql<BigInt, DB>,
    String: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("SELECT COUNT(*) FROM (SELECT 1 FROM agencies WHERE name_key >= ");
        out.push_bind_param::<Text, _>(&self.lower)?;
        out.push_sql(" AND name_key < ");
        out.push_bind_param::<Text, _>(&self.upper)?;
        out.push_sql(" LIMIT ");
        out.push_bind_param::<BigInt, _>(&self.cap)?;
        out.push_sql(") AS matches");
        Ok(())
    }
}

impl Query for CountNameMatches {
    type SqlType = BigInt;
}

impl<Conn> RunQueryDsl<Conn> for CountNameMatches {}

/// The number of agencies, counting at most `cap` of them.
#[derive(Debug, Clone, Copy, QueryId)]
pub struct CountAgencies {
    pub cap: i64,
}

impl<DB> QueryFragment<DB> for CountAgencies
where
    DB: Backend + HasSqlType<BigInt>,
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("SELECT COUNT(*) FROM (SELECT 1 FROM agencies LIMIT ");
        out.push_bind_param::<BigInt, _>(&self.cap)?;
        out.push_sql(") AS matches");
        Ok(())
    }
}

impl Query for CountAgencies {
    type SqlType = BigInt;
}

impl<Conn> RunQueryDsl<Conn> for CountAgencies {}
