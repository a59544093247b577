//! One-time setup tokens for the first-run page that creates the first agency.
//!
//! A token is valid only while the database has no user: once the first
//! agency exists, by the setup page or by the command line, every printed
//! link stops working. Only a SHA-256 hash of each token is stored, so the
//! database alone does not give access to the setup page.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{setup_tokens, users};

pub fn insert(
    connection: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(setup_tokens::table)
        .values((
            setup_tokens::token_hash.eq(token_hash),
            setup_tokens::created_at.eq(now),
        ))
        .execute(connection)
        .map(|_| ())
}

fn no_users(connection: &mut DbConnection) -> QueryResult<bool> {
    let any_user: bool = diesel::select(diesel::dsl::exists(users::table.select(users::id)))
        .get_result(connection)?;
    Ok(!any_user)
}

/// True when the token was issued and no user exists yet.
pub fn is_valid(connection: &mut DbConnection, token_hash: &str) -> QueryResult<bool> {
    let issued: bool = diesel::select(diesel::dsl::exists(
        setup_tokens::table.filter(setup_tokens::token_hash.eq(token_hash)),
    ))
    .get_result(connection)?;
    Ok(issued && no_users(connection)?)
}

/// Deletes every token, because setup happens once, and returns whether
/// `token_hash` was valid. It is not when a concurrent request used it first
/// or a user was created in another way.
pub fn use_token(connection: &mut DbConnection, token_hash: &str) -> QueryResult<bool> {
    let valid = is_valid(connection, token_hash)?;
    clear(connection)?;
    Ok(valid)
}

/// Deletes every token.
pub fn clear(connection: &mut DbConnection) -> QueryResult<()> {
    diesel::delete(setup_tokens::table)
        .execute(connection)
        .map(|_| ())
}
