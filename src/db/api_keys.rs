//! API keys: long random secrets that authenticate a sub-account's
//! automations. Only a SHA-256 hash of each key is stored; a fast hash is
//! right for 256-bit random keys, where bcrypt would slow every call.

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::DbConnection;
use super::schema::{agencies, api_keys, sub_accounts};
use crate::domain::{AgencyId, ApiKeyId, SubAccountId};

/// Prefix of every key, so a leaked key is easy to recognise in logs and scans.
pub const KEY_PREFIX: &str = "sa_";
/// Characters of a key shown on the page to tell keys apart.
const SHOWN_CHARS: usize = 10;
/// How often a key's last-used time is written, at most: once a minute keeps
/// a busy key from adding a write to every call.
const LAST_USED_RESOLUTION: TimeDelta = TimeDelta::minutes(1);

/// A row of `api_keys`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub sub_account_id: SubAccountId,
    pub name: String,
    pub key_hash: String,
    pub prefix: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

/// Returns the hex SHA-256 of a key, as stored in `api_keys.key_hash`.
pub fn hash_key(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Generates a new key: the prefix and 256 random bits in URL-safe base64.
pub fn generate_key() -> String {
    format!("{KEY_PREFIX}{}", crate::auth::session::random_token())
}

/// Stores a new key for the sub-account and returns its row.
pub fn create(
    connection: &mut DbConnection,
    sub_account_id: SubAccountId,
    name: &str,
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<ApiKey> {
    let prefix: String = key.chars().take(SHOWN_CHARS).collect();
    let id: ApiKeyId = diesel::insert_into(api_keys::table)
        .values((
            api_keys::sub_account_id.eq(sub_account_id),
            api_keys::name.eq(name),
            api_keys::key_hash.eq(hash_key(key)),
            api_keys::prefix.eq(prefix),
            api_keys::created_at.eq(now),
        ))
        .returning(api_keys::id)
        .get_result(connection)?;
    api_keys::table
        .find(id)
        .select(ApiKey::as_select())
        .first(connection)
}

/// Lists the sub-account's keys, revoked ones included, newest first.
pub fn list(
    connection: &mut DbConnection,
    sub_account_id: SubAccountId,
) -> QueryResult<Vec<ApiKey>> {
    api_keys::table
        .filter(api_keys::sub_account_id.eq(sub_account_id))
        .order(api_keys::id.desc())
        .select(ApiKey::as_select())
        .load(connection)
}

/// Revokes one of the sub-account's keys; it stops working at once.
/// Revoking a revoked key changes nothing.
pub fn revoke(
    connection: &mut DbConnection,
    sub_account_id: SubAccountId,
    key_id: ApiKeyId,
    now: NaiveDateTime,
) -> QueryResult<ApiKey> {
    let key: ApiKey = api_keys::table
        .filter(api_keys::sub_account_id.eq(sub_account_id))
        .filter(api_keys::id.eq(key_id))
        .select(ApiKey::as_select())
        .first(connection)?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    diesel::update(api_keys::table.find(key_id))
        .set(api_keys::revoked_at.eq(Some(now)))
        .execute(connection)?;
    Ok(ApiKey {
        revoked_at: Some(now),
        ..key
    })
}

/// The sub-account an API call acts for, found from its key.
#[derive(Debug, Clone)]
pub struct KeyOwner {
    pub key_id: ApiKeyId,
    pub sub_account_id: SubAccountId,
    pub agency_id: AgencyId,
    pub period_start: NaiveDate,
    pub anchor_day: i32,
}

/// Finds the sub-account of an unrevoked key and records the call. A key
/// that is unknown, revoked, or whose sub-account was deleted is `None`.
pub fn authenticate(
    connection: &mut DbConnection,
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<KeyOwner>> {
    let found: Option<(
        ApiKeyId,
        SubAccountId,
        AgencyId,
        NaiveDate,
        i32,
        Option<NaiveDateTime>,
    )> = api_keys::table
        .inner_join(sub_accounts::table.inner_join(agencies::table))
        .filter(api_keys::key_hash.eq(hash_key(key)))
        .filter(api_keys::revoked_at.is_null())
        .select((
            api_keys::id,
            api_keys::sub_account_id,
            sub_accounts::agency_id,
            agencies::period_start,
            agencies::period_anchor_day,
            api_keys::last_used_at,
        ))
        .first(connection)
        .optional()?;
    let Some((key_id, sub_account_id, agency_id, period_start, anchor_day, last_used_at)) = found
    else {
        return Ok(None);
    };
    if last_used_at.is_none_or(|last| now - last >= LAST_USED_RESOLUTION) {
        diesel::update(api_keys::table.find(key_id))
            .set(api_keys::last_used_at.eq(Some(now)))
            .execute(connection)?;
    }
    Ok(Some(KeyOwner {
        key_id,
        sub_account_id,
        agency_id,
        period_start,
        anchor_day,
    }))
}
