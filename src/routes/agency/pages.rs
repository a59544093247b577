//! The Agency page and the forms it opens.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::view::{AddFormView, AgencyView, DeleteView};
use super::{
    AddFormFragment, AgencyPage, DeleteDialogFragment, MemberPasswordPage, owner_layout,
    sub_account_id,
};
use crate::auth::{Identity, session};
use crate::db::sub_accounts;
use crate::error::AppError;
use crate::render::{html, is_htmx};
use crate::state::AppState;

/// `GET /accounts/agency`
pub async fn agency(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let (owner, overview) = state
        .as_owner(identity, |connection, owner| {
            let overview = sub_accounts::overview(connection, owner.agency_id)?;
            Ok((owner, overview))
        })
        .await?;
    let page = AgencyPage {
        layout: owner_layout(&session, &owner)?,
        view: AgencyView::new(&overview),
        add_form: None,
        delete: None,
        flash: session::take_flash(&session),
    };
    html(StatusCode::OK, &page)
}

/// `GET /accounts/agency/sub-accounts/new`: the add form, as a fragment for
/// htmx or open on the whole page.
pub async fn add_form(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let (owner, overview) = state
        .as_owner(identity, |connection, owner| {
            let overview = sub_accounts::overview(connection, owner.agency_id)?;
            Ok((owner, overview))
        })
        .await?;
    let layout = owner_layout(&session, &owner)?;
    let view = AgencyView::new(&overview);
    let form = AddFormView::new(&view.figures);
    if is_htmx(&request) {
        return html(StatusCode::OK, &AddFormFragment { layout, form });
    }
    html(
        StatusCode::OK,
        &AgencyPage {
            layout,
            view,
            add_form: Some(form),
            delete: None,
            flash: None,
        },
    )
}

/// `GET /accounts/agency/sub-accounts/{id}/delete`: the confirmation, with
/// what the delete returns to the pool and what stays counted.
pub async fn confirm_delete(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = sub_account_id(&path)?;
    let htmx = is_htmx(&request);
    let (owner, listing, overview) = state
        .as_owner(identity, move |connection, owner| {
            let listing = sub_accounts::find_listing(connection, owner.agency_id, id)?;
            let overview = if htmx {
                None
            } else {
                Some(sub_accounts::overview(connection, owner.agency_id)?)
            };
            Ok((owner, listing, overview))
        })
        .await?;
    let layout = owner_layout(&session, &owner)?;
    match overview {
        None => html(
            StatusCode::OK,
            &DeleteDialogFragment {
                layout,
                dialog: DeleteView::new(&listing, true),
            },
        ),
        Some(overview) => html(
            StatusCode::OK,
            &AgencyPage {
                layout,
                view: AgencyView::new(&overview),
                add_form: None,
                delete: Some(DeleteView::new(&listing, false)),
                flash: None,
            },
        ),
    }
}

/// `GET /accounts/agency/sub-accounts/{id}/password`: the form that sets a
/// new password for the sub-account's member.
pub async fn member_password_form(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = sub_account_id(&path)?;
    let (owner, listing) = state
        .as_owner(identity, move |connection, owner| {
            let listing = sub_accounts::find_listing(connection, owner.agency_id, id)?;
            Ok((owner, listing))
        })
        .await?;
    let page = MemberPasswordPage {
        layout: owner_layout(&session, &owner)?,
        id,
        name: listing.sub_account.name,
        email: listing.email,
        errors: crate::domain::FieldErrors::default(),
    };
    html(StatusCode::OK, &page)
}
