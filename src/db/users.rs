//! Users: agency owners, sub-account members and support staff.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::users;
use crate::domain::{AgencyId, Role, SubAccountId, UserId};

/// A row of `users`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub email_key: String,
    pub password_hash: String,
    pub role: String,
    pub agency_id: Option<AgencyId>,
    pub sub_account_id: Option<SubAccountId>,
    pub session_version: i64,
    pub created_at: NaiveDateTime,
}

impl User {
    /// The user's role. The table's CHECK constraint admits only known roles,
    /// so an unknown one means the row was changed outside the dashboard.
    pub fn role(&self) -> Option<Role> {
        Role::parse(&self.role)
    }
}

/// The columns of a new user.
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub email_key: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub agency_id: Option<AgencyId>,
    pub sub_account_id: Option<SubAccountId>,
    pub created_at: NaiveDateTime,
}

pub fn find(connection: &mut DbConnection, user_id: UserId) -> QueryResult<User> {
    users::table
        .find(user_id)
        .select(User::as_select())
        .first(connection)
}

/// Finds a user by the lower-case form of their email address.
pub fn find_by_email_key(connection: &mut DbConnection, key: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email_key.eq(key))
        .select(User::as_select())
        .first(connection)
        .optional()
}

pub fn email_key_exists(connection: &mut DbConnection, key: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(users::email_key.eq(key)),
    ))
    .get_result(connection)
}

pub fn insert(connection: &mut DbConnection, user: &NewUser<'_>) -> QueryResult<UserId> {
    diesel::insert_into(users::table)
        .values(user)
        .returning(users::id)
        .get_result(connection)
}

pub fn count(connection: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(connection)
}

/// Ends every session of the user: sessions carry the version they started
/// with, and a request whose version is not the current one is signed out.
pub fn end_sessions(connection: &mut DbConnection, user_id: UserId) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::session_version.eq(users::session_version + 1))
        .execute(connection)
        .map(|_| ())
}
