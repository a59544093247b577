//! What the session cookie stores, and signing in and out.
//!
//! The cookie is encrypted and signed by actix-session. It holds the user id,
//! the user's session version at sign-in, the CSRF token and the time of the
//! last request. The server ends sessions by raising the user's
//! `session_version`, because a cookie store cannot forget a cookie.

use actix_session::Session;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

use crate::domain::UserId;
use crate::error::AppError;

const USER_ID: &str = "user_id";
const SESSION_VERSION: &str = "session_version";
const CSRF_TOKEN: &str = "csrf_token";
const LAST_SEEN: &str = "last_seen";

/// Returns a URL-safe random token with 256 bits of entropy.
pub fn random_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Returns the session's CSRF token, creating one for a new session.
pub fn csrf_token(session: &Session) -> Result<String, AppError> {
    if let Some(token) = session.get::<String>(CSRF_TOKEN).ok().flatten() {
        return Ok(token);
    }
    let token = random_token();
    session
        .insert(CSRF_TOKEN, &token)
        .map_err(AppError::internal)?;
    Ok(token)
}

/// Returns the CSRF token the session holds, without creating one.
pub fn stored_csrf_token(session: &Session) -> Option<String> {
    session.get::<String>(CSRF_TOKEN).ok().flatten()
}

/// Signs `user_id` in: the session gets a new id and a new CSRF token, so
/// nothing from before the sign-in carries over.
pub fn sign_in(
    session: &Session,
    user_id: UserId,
    session_version: i64,
    now_unix: i64,
) -> Result<(), AppError> {
    session.renew();
    session.clear();
    session
        .insert(USER_ID, user_id.0)
        .map_err(AppError::internal)?;
    session
        .insert(SESSION_VERSION, session_version)
        .map_err(AppError::internal)?;
    session
        .insert(CSRF_TOKEN, random_token())
        .map_err(AppError::internal)?;
    session
        .insert(LAST_SEEN, now_unix)
        .map_err(AppError::internal)?;
    Ok(())
}

/// Ends the session and removes its cookie.
pub fn sign_out(session: &Session) {
    session.purge();
}

/// The user the session claims, before the database has confirmed it.
#[derive(Debug, Clone, Copy)]
pub struct Claim {
    pub user_id: UserId,
    pub session_version: i64,
    pub last_seen: i64,
}

pub fn claim(session: &Session) -> Option<Claim> {
    Some(Claim {
        user_id: UserId(session.get::<i64>(USER_ID).ok().flatten()?),
        session_version: session.get::<i64>(SESSION_VERSION).ok().flatten()?,
        last_seen: session.get::<i64>(LAST_SEEN).ok().flatten().unwrap_or(0),
    })
}

/// Records a request at `now_unix`. The cookie is rewritten at most once a
/// minute, because every change costs a `Set-Cookie` header.
pub fn touch(session: &Session, claim: &Claim, now_unix: i64) {
    if now_unix - claim.last_seen >= 60 {
        // A failed insert only makes the session expire sooner.
        let _ = session.insert(LAST_SEEN, now_unix);
    }
}

const FLASH: &str = "flash";

/// Keeps a message for the next page, after a redirect that follows a plain form post.
pub fn set_flash(session: &Session, message: &str) {
    // Losing a confirmation message is harmless; the page shows the new state anyway.
    let _ = session.insert(FLASH, message);
}

/// Takes the message kept by [`set_flash`], if any.
pub fn take_flash(session: &Session) -> Option<String> {
    session.remove_as::<String>(FLASH).and_then(Result::ok)
}
