//! Who is asking: the session identity, the user behind it, and the role checks.
//!
//! The [`Identity`] extractor reads only the session cookie. Handlers then call
//! [`crate::state::AppState::as_user`] or [`crate::state::AppState::as_owner`],
//! which confirm the identity against the database on the same pooled
//! connection and blocking hop as the handler's own queries.

pub mod csrf;
pub mod password;
pub mod session;
pub mod throttle;

use std::future::{Ready, ready};

use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::db::{DbConnection, users};
use crate::domain::{AgencyId, Role, SubAccountId, UserId};
use crate::error::AppError;
use crate::render::is_htmx;
use crate::state::AppState;

/// The user a valid, unexpired session names, not yet checked against the database.
#[derive(Debug, Clone, Copy)]
pub struct Identity {
    pub user_id: UserId,
    session_version: i64,
    /// True for htmx requests, which need a header instead of a redirect to sign in.
    htmx: bool,
    /// True for GET and HEAD, which a read-only user may make.
    safe_method: bool,
}

impl Identity {
    /// True for GET and HEAD requests, which change nothing.
    pub fn is_safe_method(&self) -> bool {
        self.safe_method
    }
}

impl FromRequest for Identity {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(identify(request))
    }
}

fn identify(request: &HttpRequest) -> Result<Identity, AppError> {
    let htmx = is_htmx(request);
    let session = request.get_session();
    let claim = session::claim(&session).ok_or(AppError::SignInRequired { htmx })?;
    let state = request
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("application state is missing")))?;
    let now = state.clock.now().and_utc().timestamp();
    let idle_limit = i64::try_from(state.config.session_idle_timeout.as_secs()).unwrap_or(i64::MAX);
    if now.saturating_sub(claim.last_seen) > idle_limit {
        session::sign_out(&session);
        return Err(AppError::SignInRequired { htmx });
    }
    session::touch(&session, &claim, now);
    request.extensions_mut().insert(claim.user_id);
    Ok(Identity {
        user_id: claim.user_id,
        session_version: claim.session_version,
        htmx,
        safe_method: request.method().is_safe(),
    })
}

/// A signed-in user, confirmed against the database.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: UserId,
    pub email: String,
    pub role: Role,
    pub agency_id: Option<AgencyId>,
    pub sub_account_id: Option<SubAccountId>,
}

/// A signed-in agency owner.
#[derive(Debug, Clone)]
pub struct Owner {
    pub user_id: UserId,
    pub email: String,
    pub agency_id: AgencyId,
}

/// Loads the identity's user. A deleted user, or a session version that the
/// user has since raised (password change, deleted sub-account), means the
/// session no longer counts.
pub fn authenticate(
    connection: &mut DbConnection,
    identity: &Identity,
) -> Result<CurrentUser, AppError> {
    let signed_out = AppError::SignInRequired {
        htmx: identity.htmx,
    };
    let user = match users::find_session(connection, identity.user_id) {
        Ok(user) => user,
        Err(diesel::result::Error::NotFound) => return Err(signed_out),
        Err(error) => return Err(error.into()),
    };
    if user.session_version != identity.session_version {
        return Err(signed_out);
    }
    let role = Role::parse(&user.role).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "user {} has an unknown role",
            identity.user_id
        ))
    })?;
    Ok(CurrentUser {
        id: identity.user_id,
        email: user.email,
        role,
        agency_id: user.agency_id,
        sub_account_id: user.sub_account_id,
    })
}

impl CurrentUser {
    /// Checks that the user owns an agency. Everyone else gets 404, so owner
    /// pages do not show they exist. (Support staff's changes were already
    /// rejected with 403 by `AppState::as_user`.)
    pub fn into_owner(self) -> Result<Owner, AppError> {
        match (self.role, self.agency_id) {
            (Role::Owner, Some(agency_id)) => Ok(Owner {
                user_id: self.id,
                email: self.email,
                agency_id,
            }),
            _ => Err(AppError::NotFound),
        }
    }
}
