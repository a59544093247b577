//! `/account`: a member's own sub-account, and the password change that
//! owners and members share.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::throttle::Key;
use crate::auth::{CurrentUser, Identity, password, session};
use crate::db::sub_accounts::Listing;
use crate::db::users;
use crate::domain::email;
use crate::domain::{
    AgencyId, ApiKeyId, AutomationId, FieldError, FieldErrors, Password, Role, SubAccountId,
};
use crate::error::AppError;
use crate::format::{count_of, iso_utc, readable_utc, thousands};
use crate::render::{Layout, NavUser, html, see_other};
use crate::routes::login::client_address;
use crate::routes::sub_account_page::{
    self, Change, NameForm, PeriodQuery, SubAccountPage, Viewer,
};
use crate::state::AppState;

/// A sub-account's status and tasks, as its page shows them.
#[derive(Debug, Clone)]
pub struct SubAccountView {
    pub id: SubAccountId,
    pub name: String,
    pub email: String,
    pub active: bool,
    pub allocated: String,
    pub consumed: String,
    pub remaining: String,
    pub meter_max: i64,
    pub meter_value: i64,
    pub meter_low: i64,
    pub meter_high: i64,
    pub percent_used: i64,
    /// When an inactive sub-account was deactivated: the ISO time and the readable time.
    pub deactivated: Option<(String, String)>,
    /// A warning when usage reached 75%, 90% or 100% of the allocation.
    pub alert: Option<String>,
}

impl SubAccountView {
    pub fn new(listing: &Listing) -> Self {
        let sub_account = &listing.sub_account;
        let meter_max = sub_account.allocated.max(1);
        let deactivated = if sub_account.active {
            None
        } else {
            sub_account
                .status_changed_at
                .as_ref()
                .map(|time| (iso_utc(time), readable_utc(time)))
        };
        Self {
            id: sub_account.id,
            name: sub_account.name.clone(),
            email: listing.email.clone(),
            active: sub_account.active,
            allocated: thousands(sub_account.allocated),
            consumed: thousands(sub_account.consumed),
            remaining: thousands(sub_account.remaining()),
            meter_max,
            meter_value: sub_account.consumed,
            meter_low: meter_max * 3 / 4,
            meter_high: meter_max * 9 / 10,
            percent_used: sub_account.consumed * 100 / meter_max,
            deactivated,
            alert: crate::routes::agency::view::usage_alert(
                sub_account.consumed,
                sub_account.allocated,
            )
            .map(|level| {
                format!(
                    "Usage warning: {}. {} of {} tasks consumed this billing period.",
                    level.to_lowercase(),
                    thousands(sub_account.consumed),
                    thousands(sub_account.allocated)
                )
            }),
        }
    }
}

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    layout: Layout,
    errors: FieldErrors,
}

pub fn user_layout(session: &Session, user: &CurrentUser) -> Result<Layout, AppError> {
    Ok(Layout {
        csrf_token: session::csrf_token(session)?,
        user: Some(NavUser {
            email: user.email.clone(),
            role: user.role,
        }),
    })
}

/// Returns the member's agency and sub-account. Other roles get 404.
fn own_sub_account(user: &CurrentUser) -> Result<(AgencyId, SubAccountId), AppError> {
    match (user.role, user.agency_id, user.sub_account_id) {
        (Role::Member, Some(agency_id), Some(sub_account_id)) => Ok((agency_id, sub_account_id)),
        _ => Err(AppError::NotFound),
    }
}

const ACCOUNT_PAGE: &str = "/account";

/// `GET /account`: the member's sub-account.
pub async fn page(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<PeriodQuery>,
) -> Result<HttpResponse, AppError> {
    let today = state.clock.now().date();
    let requested = query.into_inner().period;
    let (user, agency_id, data) = state
        .as_user(identity, move |connection, user| {
            let (agency_id, sub_account_id) = own_sub_account(&user)?;
            let data = sub_account_page::load(
                connection,
                agency_id,
                sub_account_id,
                today,
                requested.as_deref(),
            )?;
            Ok((user, agency_id, data))
        })
        .await?;
    let mut page = SubAccountPage::new(
        user_layout(&session, &user)?,
        Viewer::Member,
        ACCOUNT_PAGE.to_owned(),
        agency_id,
        data,
    );
    page.flash = session::take_flash(&session);
    page.render(StatusCode::OK)
}

/// Runs a change on the member's own sub-account and answers it.
async fn member_change<F>(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    action: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut crate::db::DbConnection, SubAccountId) -> Result<Change, AppError>
        + Send
        + 'static,
{
    let (user, agency_id, change, data) =
        sub_account_page::change_and_load(&state, identity, own_sub_account, action).await?;
    let layout = user_layout(&session, &user)?;
    sub_account_page::respond(
        &session,
        change,
        move || {
            let data =
                data.ok_or_else(|| AppError::internal(anyhow::anyhow!("page data missing")))?;
            Ok(SubAccountPage::new(
                layout,
                Viewer::Member,
                ACCOUNT_PAGE.to_owned(),
                agency_id,
                data,
            ))
        },
        ACCOUNT_PAGE,
    )
}

/// `POST /account/automations`
pub async fn create_automation(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<NameForm>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let name = form.into_inner().name;
    member_change(
        identity,
        state,
        session,
        move |connection, sub_account_id| {
            sub_account_page::create_automation(connection, sub_account_id, &name, now)
        },
    )
    .await
}

/// `POST /account/automations/{id}/pause`
pub async fn pause_automation(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = AutomationId(sub_account_page::parse_path_id(&path)?);
    member_change(
        identity,
        state,
        session,
        move |connection, sub_account_id| {
            sub_account_page::set_running(connection, sub_account_id, id, false)
        },
    )
    .await
}

/// `POST /account/automations/{id}/resume`
pub async fn resume_automation(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = AutomationId(sub_account_page::parse_path_id(&path)?);
    member_change(
        identity,
        state,
        session,
        move |connection, sub_account_id| {
            sub_account_page::set_running(connection, sub_account_id, id, true)
        },
    )
    .await
}

/// `POST /account/api-keys`
pub async fn create_key(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<NameForm>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let name = form.into_inner().name;
    member_change(
        identity,
        state,
        session,
        move |connection, sub_account_id| {
            sub_account_page::create_key(connection, sub_account_id, &name, now)
        },
    )
    .await
}

/// `POST /account/api-keys/{id}/revoke`
pub async fn revoke_key(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = ApiKeyId(sub_account_page::parse_path_id(&path)?);
    let now = state.clock.now();
    member_change(
        identity,
        state,
        session,
        move |connection, sub_account_id| {
            sub_account_page::revoke_key(connection, sub_account_id, id, now)
        },
    )
    .await
}

/// Checks that the user may change their own password: owners and members.
/// Support staff change nothing, so the page does not exist for them.
fn may_change_password(user: &CurrentUser) -> Result<(), AppError> {
    match user.role {
        Role::Owner | Role::Member => Ok(()),
        Role::Support => Err(AppError::NotFound),
    }
}

/// `GET /account/password`
pub async fn password_form(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let user = state
        .as_user(identity, |_, user| {
            may_change_password(&user)?;
            Ok(user)
        })
        .await?;
    let page = PasswordPage {
        layout: user_layout(&session, &user)?,
        errors: FieldErrors::default(),
    };
    html(StatusCode::OK, &page)
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_confirmation: String,
}

/// Parses a new password and its confirmation, as every password form does.
pub fn parse_new_password(
    new_password: &str,
    confirmation: &str,
    errors: &mut FieldErrors,
) -> Option<Password> {
    let parsed = errors.check(Password::parse_field("new_password", new_password));
    if parsed.is_some() && new_password != confirmation {
        errors.push(FieldError::new(
            "new_password_confirmation",
            "The two new passwords differ. Type the same password twice.",
        ));
        return None;
    }
    parsed
}

/// `POST /account/password`: checks the current password, stores the new
/// one, ends the user's other sessions and keeps this one signed in. Wrong
/// current passwords count as failed sign-ins of the account, so a stolen
/// session cannot guess the password faster than the sign-in form allows.
pub async fn change_password(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let (user, stored_hash) = state
        .as_user(identity, |connection, user| {
            may_change_password(&user)?;
            let stored = users::find(connection, user.id)?.password_hash;
            Ok((user, stored))
        })
        .await?;

    let now = state.clock.now();
    let keys = [
        Key::Account(email::key_of(&user.email)),
        Key::Address(client_address(&request, state.config.trust_proxy)),
    ];
    if let Some(seconds) = state.throttle.retry_after(&keys, now) {
        tracing::warn!(
            user_id = user.id.0,
            retry_after = seconds,
            "throttled a password change after repeated wrong passwords"
        );
        let minutes = (seconds + 59) / 60;
        let page = PasswordPage {
            layout: user_layout(&session, &user)?,
            errors: FieldErrors::from(FieldError::new(
                "current_password",
                format!(
                    "Too many wrong passwords. Try again in {}.",
                    count_of(minutes, "minute", "minutes")
                ),
            )),
        };
        let mut response = html(StatusCode::TOO_MANY_REQUESTS, &page)?;
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_str(&seconds.to_string()).map_err(AppError::internal)?,
        );
        return Ok(response);
    }

    let mut errors = FieldErrors::default();
    let new_password = parse_new_password(
        &form.new_password,
        &form.new_password_confirmation,
        &mut errors,
    );
    let cost = state.config.bcrypt_cost;
    let current = form.current_password;
    let (current_valid, new_hash) =
        web::block(move || -> anyhow::Result<(bool, Option<String>)> {
            let valid = password::verify(&current, Some(&stored_hash), cost);
            let hash = match new_password {
                Some(new_password) if valid => Some(password::hash(&new_password, cost)?),
                _ => None,
            };
            Ok((valid, hash))
        })
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::Internal)?;
    if current_valid {
        state.throttle.reset(&keys[0]);
    } else {
        state.throttle.record_failure(&keys, now);
        errors.push(FieldError::new(
            "current_password",
            "The current password is wrong. Type the password you signed in with.",
        ));
    }
    let Some(new_hash) = new_hash.filter(|_| errors.is_empty()) else {
        let page = PasswordPage {
            layout: user_layout(&session, &user)?,
            errors,
        };
        return html(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };

    let user_id = user.id;
    let version = state
        .db(move |connection| {
            users::set_password(connection, user_id, &new_hash).map_err(AppError::from)
        })
        .await?;
    session::sign_in(
        &session,
        user_id,
        version,
        state.clock.now().and_utc().timestamp(),
    )?;
    session::set_flash(
        &session,
        "Your password was changed. Your other sessions were signed out.",
    );
    tracing::info!(user_id = user_id.0, "changed own password");
    Ok(see_other("/"))
}
