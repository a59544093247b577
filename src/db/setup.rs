//! One-time setup tokens for the first-run page that creates the first agency.
//!
//! Only a SHA-256 hash of each token is stored, so the database alone does not
//! give access to the setup page.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::setup_tokens;

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

pub fn exists(connection: &mut DbConnection, token_hash: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        setup_tokens::table.filter(setup_tokens::token_hash.eq(token_hash)),
    ))
    .get_result(connection)
}

/// Deletes the token and every other one, because setup happens once.
/// Returns false when the token was not there, for example because a
/// concurrent request used it first.
pub fn use_token(connection: &mut DbConnection, token_hash: &str) -> QueryResult<bool> {
    let deleted =
        diesel::delete(setup_tokens::table.filter(setup_tokens::token_hash.eq(token_hash)))
            .execute(connection)?;
    diesel::delete(setup_tokens::table).execute(connection)?;
    Ok(deleted == 1)
}
