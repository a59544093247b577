//! The owner's Accounts > Agency page and its actions on sub-accounts.
//!
//! Every action answers htmx requests with fragments (the changed row or form,
//! plus out-of-band figures, add button, empty-state note and activity) and
//! plain form posts with a 303 redirect back to the page, or with the whole
//! page and the message at the field when the input was rejected.

pub(crate) mod actions;
pub(crate) mod pages;
pub(crate) mod sub_account;
pub mod view;

use actix_session::Session;
use askama::Template;

use crate::auth::{Owner, session};
use crate::domain::{Role, SubAccountId};
use crate::error::AppError;
use crate::render::{Layout, NavUser};
use view::{AddFormView, AgencyView, DeleteView, RowView};

/// The whole Agency page, optionally with the add form or the delete confirmation open.
#[derive(Template)]
#[template(path = "agency/page.html")]
struct AgencyPage {
    layout: Layout,
    view: AgencyView,
    add_form: Option<AddFormView>,
    delete: Option<DeleteView>,
    flash: Option<String>,
    usage: UsageView,
}

/// The Agency page's usage chart, its period selector and the export link.
#[derive(Debug, Clone)]
pub struct UsageView {
    chart: crate::chart::Chart,
    periods: Vec<crate::chart::PeriodOption>,
    csv_link: String,
}

impl UsageView {
    /// Reads the agency's daily usage in the requested period.
    pub fn load(
        connection: &mut crate::db::DbConnection,
        overview: &crate::db::sub_accounts::Overview,
        requested: Option<&str>,
    ) -> Result<Self, AppError> {
        let agency = &overview.agency;
        let closed = crate::db::periods::history(connection, agency.id)?;
        let selection = crate::routes::select_period(
            agency.period_start,
            agency.period_anchor_day,
            &closed,
            requested,
        )?;
        let totals =
            crate::db::usage::agency_daily(connection, agency.id, selection.start, selection.end)?;
        let title = if selection.current {
            "Sub-accounts' daily usage this billing period"
        } else {
            "Sub-accounts' daily usage in an earlier billing period"
        };
        Ok(Self {
            chart: crate::chart::daily(title.to_owned(), selection.start, selection.end, &totals),
            periods: selection.options,
            csv_link: format!(
                "/accounts/agency/usage.csv?period={}",
                crate::format::iso_date(selection.start)
            ),
        })
    }
}

/// htmx response to a row action.
#[derive(Template)]
#[template(path = "agency/row_response.html")]
struct RowResponse {
    layout: Layout,
    row: RowView,
    summary: Option<AgencyView>,
    flash: Option<String>,
}

/// htmx response to the add form.
#[derive(Template)]
#[template(path = "agency/add_response.html")]
struct AddResponse {
    layout: Layout,
    form: Option<AddFormView>,
    summary: Option<AgencyView>,
    new_row: Option<RowView>,
    flash: Option<String>,
}

/// htmx response to a delete.
#[derive(Template)]
#[template(path = "agency/delete_response.html")]
struct DeleteResponse {
    deleted_id: SubAccountId,
    view: AgencyView,
    flash: Option<String>,
}

#[derive(Template)]
#[template(path = "agency/add_form_fragment.html")]
struct AddFormFragment {
    layout: Layout,
    form: AddFormView,
}

#[derive(Template)]
#[template(path = "agency/delete_dialog_fragment.html")]
struct DeleteDialogFragment {
    layout: Layout,
    dialog: DeleteView,
}

/// The page where an owner sets a new password for a member.
#[derive(Template)]
#[template(path = "agency/member_password.html")]
struct MemberPasswordPage {
    layout: Layout,
    id: SubAccountId,
    name: String,
    email: String,
    errors: crate::domain::FieldErrors,
}

fn owner_layout(session: &Session, owner: &Owner) -> Result<Layout, AppError> {
    Ok(Layout {
        csrf_token: session::csrf_token(session)?,
        user: Some(NavUser {
            email: owner.email.clone(),
            role: Role::Owner,
        }),
    })
}

/// Parses the `{id}` of a sub-account path. A malformed id is as unknown as a
/// missing one.
fn sub_account_id(raw: &str) -> Result<SubAccountId, AppError> {
    crate::routes::parse_id(raw)
        .map(SubAccountId)
        .ok_or(AppError::NotFound)
}
