//! bcrypt hashing of passwords, always run on the blocking thread pool.

use std::sync::OnceLock;

use crate::domain::Password;

/// Hashes `password` with bcrypt at `cost`.
pub fn hash(password: &Password, cost: u32) -> anyhow::Result<String> {
    Ok(bcrypt::hash(password.expose(), cost)?)
}

/// Checks `candidate` against a stored hash. With no stored hash (an unknown
/// email) it checks against a fixed hash of the same cost instead, so the
/// answer takes as long as for a wrong password and does not tell the two apart.
pub fn verify(candidate: &str, stored_hash: Option<&str>, cost: u32) -> bool {
    // bcrypt reads only 72 bytes; a longer candidate can never be a valid password.
    if candidate.len() > crate::domain::MAX_PASSWORD_BYTES {
        return false;
    }
    match stored_hash {
        Some(stored) => bcrypt::verify(candidate, stored).unwrap_or(false),
        None => {
            let _ = bcrypt::verify(candidate, dummy_hash(cost));
            false
        }
    }
}

fn dummy_hash(cost: u32) -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| bcrypt::hash("no user has this password", cost).unwrap_or_default())
}
