//! `GET /account`: a member's own sub-account.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::auth::{Identity, session};
use crate::db::sub_accounts;
use crate::domain::Role;
use crate::error::AppError;
use crate::format::{readable_utc, thousands};
use crate::render::{Layout, NavUser, html};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "account/page.html")]
struct AccountPage {
    layout: Layout,
    name: String,
    active: bool,
    allocated: String,
    consumed: String,
    remaining: String,
    meter_max: i64,
    meter_value: i64,
    deactivated_on: Option<String>,
}

pub async fn page(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let (user, listing) = state
        .as_user(identity, |connection, user| {
            let (Role::Member, Some(agency_id), Some(sub_account_id)) =
                (user.role, user.agency_id, user.sub_account_id)
            else {
                return Err(AppError::NotFound);
            };
            let listing = sub_accounts::find_listing(connection, agency_id, sub_account_id)?;
            Ok((user, listing))
        })
        .await?;
    let sub_account = listing.sub_account;
    let page = AccountPage {
        layout: Layout {
            csrf_token: session::csrf_token(&session)?,
            user: Some(NavUser {
                email: user.email,
                role: user.role,
            }),
        },
        name: sub_account.name.clone(),
        active: sub_account.active,
        allocated: thousands(sub_account.allocated),
        consumed: thousands(sub_account.consumed),
        remaining: thousands(sub_account.remaining()),
        meter_max: sub_account.allocated.max(1),
        meter_value: sub_account.consumed,
        deactivated_on: (!sub_account.active)
            .then_some(sub_account.status_changed_at.as_ref().map(readable_utc))
            .flatten(),
    };
    html(StatusCode::OK, &page)
}
