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

/// The columns of a user that every signed-in request checks.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct SessionUser {
    pub email: String,
    pub role: String,
    pub agency_id: Option<AgencyId>,
    pub sub_account_id: Option<SubAccountId>,
    pub session_version: i64,
}

/// Reads what [`crate::auth::authenticate`] needs, and nothing more: this
/// query runs on every signed-in request.
pub fn find_session(connection: &mut DbConnection, user_id: UserId) -> QueryResult<SessionUser> {
    users::table
        .find(user_id)
        .select(SessionUser::as_select())
        .first(connection)
}

pub fn find(connection: &mut DbConnection, user_id: UserId) -> QueryResult<User> {
    users::table
        .find(user_id)
        .select(User::as_select())
        .first(connection)
}

/// Finds a user by the lower-case form of their email address.
pub fn find_by_email_key(connection: &mut DbConnection, key: &str) -> QueryResult<Option<User>> {
    // PostgreSQL rejects U+0000 in text, and no stored address contains it.
    if key.contains('\0') {
        return Ok(None);
    }
    users::table
        .filter(users::email_key.eq(key))
        .select(User::as_select())
        .first(connection)
        .optional()
}

pub fn email_key_exists(connection: &mut DbConnection, key: &str) -> QueryResult<bool> {
    if key.contains('\0') {
        return Ok(false);
    }
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

/// Stores a new password hash and ends every session of the user, so a
/// session opened with the old password stops working.
pub fn set_password(
    connection: &mut DbConnection,
    user_id: UserId,
    password_hash: &str,
) -> QueryResult<i64> {
    diesel::update(users::table.find(user_id))
        .set((
            users::password_hash.eq(password_hash),
            users::session_version.eq(users::session_version + 1),
        ))
        .returning(users::session_version)
        .get_result(connection)
}

/// Finds the member login of a sub-account of the agency.
pub fn find_member(
    connection: &mut DbConnection,
    agency_id: AgencyId,
    sub_account_id: SubAccountId,
) -> QueryResult<User> {
    users::table
        .filter(users::agency_id.eq(agency_id))
        .filter(users::sub_account_id.eq(sub_account_id))
        .select(User::as_select())
        .first(connection)
}

/// Creates a support staff login. An email already in use is a conflict.
pub fn create_staff(
    connection: &mut DbConnection,
    email: &crate::domain::Email,
    password_hash: &str,
    now: NaiveDateTime,
) -> Result<UserId, super::ActionError> {
    super::write_transaction(connection, super::Lock::Database, |connection| {
        let email_key = email.key();
        if email_key_exists(connection, &email_key)? {
            return Err(super::agencies::email_taken("email"));
        }
        let staff = NewUser {
            email: email.as_str(),
            email_key: &email_key,
            password_hash,
            role: Role::Support.as_str(),
            agency_id: None,
            sub_account_id: None,
            created_at: now,
        };
        insert(connection, &staff)
            .map_err(|error| super::ActionError::or_email_taken(error, "email"))
    })
}
