//! The owner's view of one sub-account's page, where the owner manages its
//! API keys.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::sub_account_id;
use crate::auth::{CurrentUser, Identity};
use crate::domain::{AgencyId, ApiKeyId, Role, SubAccountId};
use crate::error::AppError;
use crate::routes::account::user_layout;
use crate::routes::sub_account_page::{
    self, Change, NameForm, PeriodQuery, SubAccountPage, Viewer,
};
use crate::state::AppState;

fn page_path(id: SubAccountId) -> String {
    format!("/accounts/agency/sub-accounts/{id}")
}

/// Returns the owner's agency and the sub-account named by the path; the
/// sub-account is checked against the agency by the caller's query.
fn owned(user: &CurrentUser, id: SubAccountId) -> Result<(AgencyId, SubAccountId), AppError> {
    match (user.role, user.agency_id) {
        (Role::Owner, Some(agency_id)) => Ok((agency_id, id)),
        _ => Err(AppError::NotFound),
    }
}

/// `GET /accounts/agency/sub-accounts/{id}`
pub async fn page(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    query: web::Query<PeriodQuery>,
) -> Result<HttpResponse, AppError> {
    let id = sub_account_id(&path)?;
    let today = state.clock.now().date();
    let requested = query.into_inner().period;
    let (user, agency_id, data) = state
        .as_user(identity, move |connection, user| {
            let (agency_id, id) = owned(&user, id)?;
            let data =
                sub_account_page::load(connection, agency_id, id, today, requested.as_deref())?;
            Ok((user, agency_id, data))
        })
        .await?;
    let mut page = SubAccountPage::new(
        user_layout(&session, &user)?,
        Viewer::Owner,
        page_path(id),
        agency_id,
        data,
    );
    page.flash = crate::auth::session::take_flash(&session);
    page.render(StatusCode::OK)
}

async fn owner_change<F>(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    id: SubAccountId,
    action: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut crate::db::DbConnection, SubAccountId) -> Result<Change, AppError>
        + Send
        + 'static,
{
    let (user, agency_id, change, data) =
        sub_account_page::change_and_load(&state, identity, move |user| owned(user, id), action)
            .await?;
    let layout = user_layout(&session, &user)?;
    let base = page_path(id);
    let page_base = base.clone();
    sub_account_page::respond(
        &session,
        change,
        move || {
            let data =
                data.ok_or_else(|| AppError::internal(anyhow::anyhow!("page data missing")))?;
            Ok(SubAccountPage::new(
                layout,
                Viewer::Owner,
                page_base,
                agency_id,
                data,
            ))
        },
        &base,
    )
}

/// `POST /accounts/agency/sub-accounts/{id}/api-keys`
pub async fn create_key(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    form: web::Form<NameForm>,
) -> Result<HttpResponse, AppError> {
    let id = sub_account_id(&path)?;
    let now = state.clock.now();
    let name = form.into_inner().name;
    owner_change(
        identity,
        state,
        session,
        id,
        move |connection, sub_account_id| {
            sub_account_page::create_key(connection, sub_account_id, &name, now)
        },
    )
    .await
}

/// `POST /accounts/agency/sub-accounts/{id}/api-keys/{key_id}/revoke`
pub async fn revoke_key(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (raw_id, raw_key_id) = path.into_inner();
    let id = sub_account_id(&raw_id)?;
    let key_id = ApiKeyId(sub_account_page::parse_path_id(&raw_key_id)?);
    let now = state.clock.now();
    owner_change(
        identity,
        state,
        session,
        id,
        move |connection, sub_account_id| {
            sub_account_page::revoke_key(connection, sub_account_id, key_id, now)
        },
    )
    .await
}
