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
use crate::routes::agency::UsageView;
use crate::routes::sub_account_page::PeriodQuery;
use crate::state::AppState;

/// `GET /accounts/agency`, with the usage chart of the `?period=` chosen.
pub async fn agency(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<PeriodQuery>,
) -> Result<HttpResponse, AppError> {
    let today = state.clock.now().date();
    let requested = query.into_inner().period;
    let (owner, overview, usage) = state
        .as_owner(identity, move |connection, owner| {
            let overview = sub_accounts::overview(connection, owner.agency_id, today)?;
            let usage = UsageView::load(connection, &overview, requested.as_deref())?;
            Ok((owner, overview, usage))
        })
        .await?;
    let page = AgencyPage {
        layout: owner_layout(&session, &owner)?,
        view: AgencyView::new(&overview),
        add_form: None,
        delete: None,
        flash: session::take_flash(&session),
        usage,
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
    let today = state.clock.now().date();
    let (owner, overview, usage) = state
        .as_owner(identity, move |connection, owner| {
            let overview = sub_accounts::overview(connection, owner.agency_id, today)?;
            let usage = UsageView::load(connection, &overview, None)?;
            Ok((owner, overview, usage))
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
            usage,
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
    let today = state.clock.now().date();
    let (owner, listing, overview) = state
        .as_owner(identity, move |connection, owner| {
            let listing = sub_accounts::find_listing(connection, owner.agency_id, id)?;
            let overview = if htmx {
                None
            } else {
                let overview = sub_accounts::overview(connection, owner.agency_id, today)?;
                let usage = UsageView::load(connection, &overview, None)?;
                Some((overview, usage))
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
        Some((overview, usage)) => html(
            StatusCode::OK,
            &AgencyPage {
                layout,
                view: AgencyView::new(&overview),
                add_form: None,
                delete: Some(DeleteView::new(&listing, false)),
                flash: None,
                usage,
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

/// `GET /accounts/agency/usage.csv?period=…`: the agency's tasks per
/// sub-account and day in a period, deleted sub-accounts included.
pub async fn usage_csv(
    identity: Identity,
    state: web::Data<AppState>,
    query: web::Query<PeriodQuery>,
) -> Result<HttpResponse, AppError> {
    let today = state.clock.now().date();
    let requested = query.into_inner().period;
    let (selection, rows) = state
        .as_owner(identity, move |connection, owner| {
            let current = crate::db::periods::ensure_current(connection, owner.agency_id, today)?;
            let agency = crate::db::agencies::find(connection, owner.agency_id)?;
            let closed = crate::db::periods::history(connection, owner.agency_id)?;
            let selection = crate::routes::select_period(
                current,
                agency.period_anchor_day,
                &closed,
                requested.as_deref(),
            )?;
            let rows = crate::db::usage::export(
                connection,
                owner.agency_id,
                selection.start,
                selection.end,
            )?;
            Ok((selection, rows))
        })
        .await?;
    let mut body = String::from("date,sub_account_id,sub_account,tasks\r\n");
    for row in rows {
        body.push_str(&format!(
            "{},{},{},{}\r\n",
            crate::format::iso_date(row.day),
            row.sub_account_id,
            crate::format::csv_field(&row.sub_account_name),
            row.tasks
        ));
    }
    let filename = format!("usage-{}.csv", crate::format::iso_date(selection.start));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(body))
}
