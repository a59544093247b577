//! The sub-account page, as its member, the agency owner or support staff see
//! it: status and tasks, the usage chart, automations and API keys.
//!
//! Members manage their automations and API keys here; the owner manages the
//! API keys of any sub-account of the agency and sees its automations; support
//! staff see everything and change nothing.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::chart::{self, Chart, PeriodOption};
use crate::db::api_keys::{self, ApiKey};
use crate::db::automations::{self, Automation, Status};
use crate::db::{DbConnection, agencies, periods, sub_accounts, usage};
use crate::domain::{AgencyId, ApiKeyId, AutomationId, FieldErrors, ShortName, SubAccountId};
use crate::error::AppError;
use crate::format::{iso_utc, readable_utc};
use crate::render::{Layout, html, see_other};
use crate::routes::account::SubAccountView;
use crate::routes::api::automations::{ChangeError, change};
use crate::state::AppState;

/// Who is looking at the page, which decides what it offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Member,
    Owner,
    Support,
}

/// `?period=YYYY-MM-DD` on pages with a usage chart.
#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    #[serde(default)]
    pub period: Option<String>,
}

/// An automation as the page lists it.
#[derive(Debug, Clone)]
pub struct AutomationView {
    pub id: AutomationId,
    pub name: String,
    pub status: &'static str,
    pub running: bool,
}

/// An API key as the page lists it; the key itself is never shown again.
#[derive(Debug, Clone)]
pub struct KeyView {
    pub id: ApiKeyId,
    pub name: String,
    pub prefix: String,
    pub created: (String, String),
    pub last_used: Option<(String, String)>,
    pub revoked: bool,
}

impl KeyView {
    fn new(key: &ApiKey) -> Self {
        Self {
            id: key.id,
            name: key.name.clone(),
            prefix: key.prefix.clone(),
            created: (iso_utc(&key.created_at), readable_utc(&key.created_at)),
            last_used: key
                .last_used_at
                .as_ref()
                .map(|time| (iso_utc(time), readable_utc(time))),
            revoked: key.revoked_at.is_some(),
        }
    }
}

/// A key created by this request, shown once.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub name: String,
    pub secret: String,
}

#[derive(Template)]
#[template(path = "sub_account/page.html")]
pub struct SubAccountPage {
    pub layout: Layout,
    pub flash: Option<String>,
    pub viewer: Viewer,
    /// Path of the page; its forms post below it.
    pub base: String,
    pub agency_id: AgencyId,
    pub agency_name: String,
    pub account: SubAccountView,
    pub automations: Vec<AutomationView>,
    pub keys: Vec<KeyView>,
    pub new_key: Option<NewKey>,
    pub chart: Chart,
    pub periods: Vec<PeriodOption>,
    pub period_action: String,
    pub automation_name: String,
    pub automation_errors: FieldErrors,
    pub key_name: String,
    pub key_errors: FieldErrors,
}

impl SubAccountPage {
    pub fn is_member(&self) -> bool {
        self.viewer == Viewer::Member
    }

    pub fn is_support(&self) -> bool {
        self.viewer == Viewer::Support
    }

    pub fn manages_keys(&self) -> bool {
        self.viewer != Viewer::Support
    }
}

/// What the page shows, read on one connection.
pub struct PageData {
    pub agency_name: String,
    pub account: SubAccountView,
    pub automations: Vec<Automation>,
    pub keys: Vec<ApiKey>,
    pub chart: Chart,
    pub periods: Vec<PeriodOption>,
}

/// Reads the page's data for one sub-account of the agency, rolling the
/// billing period over first if it has ended.
pub fn load(
    connection: &mut DbConnection,
    agency_id: AgencyId,
    sub_account_id: SubAccountId,
    today: NaiveDate,
    requested_period: Option<&str>,
) -> Result<PageData, AppError> {
    let current_start = periods::ensure_current(connection, agency_id, today)?;
    let agency = agencies::find(connection, agency_id)?;
    let listing = sub_accounts::find_listing(connection, agency_id, sub_account_id)?;
    let closed = periods::history(connection, agency_id)?;
    let selection = crate::routes::select_period(
        current_start,
        agency.period_anchor_day,
        &closed,
        requested_period,
    )?;
    let totals =
        usage::sub_account_daily(connection, sub_account_id, selection.start, selection.end)?;
    let title = if selection.current {
        "Daily usage this billing period".to_owned()
    } else {
        "Daily usage in an earlier billing period".to_owned()
    };
    Ok(PageData {
        agency_name: agency.name,
        account: SubAccountView::new(&listing),
        automations: automations::list(connection, sub_account_id)?,
        keys: api_keys::list(connection, sub_account_id)?,
        chart: chart::daily(title, selection.start, selection.end, &totals),
        periods: selection.options,
    })
}

impl SubAccountPage {
    /// Builds the page from its data, with empty forms.
    pub fn new(
        layout: Layout,
        viewer: Viewer,
        base: String,
        agency_id: AgencyId,
        data: PageData,
    ) -> Self {
        Self {
            layout,
            flash: None,
            viewer,
            period_action: base.clone(),
            base,
            agency_id,
            agency_name: data.agency_name,
            account: data.account,
            automations: data
                .automations
                .iter()
                .map(|automation| AutomationView {
                    id: automation.id,
                    name: automation.name.clone(),
                    status: automation.status().label(),
                    running: automation.status() == Status::Running,
                })
                .collect(),
            keys: data.keys.iter().map(KeyView::new).collect(),
            new_key: None,
            chart: data.chart,
            periods: data.periods,
            automation_name: String::new(),
            automation_errors: FieldErrors::default(),
            key_name: String::new(),
            key_errors: FieldErrors::default(),
        }
    }

    pub fn render(&self, status: StatusCode) -> Result<HttpResponse, AppError> {
        html(status, self)
    }
}

/// The form that names a new automation or API key.
#[derive(Debug, Deserialize)]
pub struct NameForm {
    #[serde(default)]
    pub name: String,
}

/// What a change on the page came to.
pub enum Change {
    /// Done; redirect back with this message.
    Done(String),
    /// A new key: render the page with it, once.
    KeyCreated(NewKey),
    /// Rejected input: render the page with the message at the field.
    Rejected {
        automation: bool,
        name: String,
        errors: FieldErrors,
    },
}

/// Creates an API key for the sub-account.
pub fn create_key(
    connection: &mut DbConnection,
    sub_account_id: SubAccountId,
    name: &str,
    now: chrono::NaiveDateTime,
) -> Result<Change, AppError> {
    let name = match ShortName::parse(name) {
        Ok(name) => name,
        Err(error) => {
            return Ok(Change::Rejected {
                automation: false,
                name: name.to_owned(),
                errors: error.into(),
            });
        }
    };
    let secret = api_keys::generate_key();
    api_keys::create(connection, sub_account_id, name.as_str(), &secret, now)?;
    Ok(Change::KeyCreated(NewKey {
        name: name.as_str().to_owned(),
        secret,
    }))
}

/// Revokes one of the sub-account's API keys.
pub fn revoke_key(
    connection: &mut DbConnection,
    sub_account_id: SubAccountId,
    key_id: ApiKeyId,
    now: chrono::NaiveDateTime,
) -> Result<Change, AppError> {
    let key = api_keys::revoke(connection, sub_account_id, key_id, now)?;
    Ok(Change::Done(format!(
        "Revoked the API key “{}”. Calls with it are rejected from now on.",
        key.name
    )))
}

/// Creates an automation of the sub-account.
pub fn create_automation(
    connection: &mut DbConnection,
    sub_account_id: SubAccountId,
    name: &str,
    now: chrono::NaiveDateTime,
) -> Result<Change, AppError> {
    let name = match ShortName::parse(name) {
        Ok(name) => name,
        Err(error) => {
            return Ok(Change::Rejected {
                automation: true,
                name: name.to_owned(),
                errors: error.into(),
            });
        }
    };
    let automation = automations::create(connection, sub_account_id, name.as_str(), now)?;
    Ok(Change::Done(format!(
        "Created the automation “{}” ({}).",
        automation.name,
        automation.status().label().to_lowercase()
    )))
}

/// Pauses or resumes an automation of the sub-account.
pub fn set_running(
    connection: &mut DbConnection,
    sub_account_id: SubAccountId,
    automation_id: AutomationId,
    running: bool,
) -> Result<Change, AppError> {
    match change(connection, sub_account_id, automation_id, running) {
        Ok(automation) => Ok(Change::Done(format!(
            "“{}” is {}.",
            automation.name,
            automation.status().label().to_lowercase()
        ))),
        Err(ChangeError::NotFound) => Err(AppError::NotFound),
        Err(ChangeError::SubAccountInactive) => Err(AppError::Locked(
            "This sub-account is inactive, so its automations cannot run until the agency activates it again.".to_owned(),
        )),
        Err(ChangeError::Database(error)) => Err(error.into()),
    }
}

/// Answers a change: a redirect with a message, or the page with the new key
/// or the rejected input.
pub fn respond(
    session: &actix_session::Session,
    change: Change,
    page: impl FnOnce() -> Result<SubAccountPage, AppError>,
    base: &str,
) -> Result<HttpResponse, AppError> {
    match change {
        Change::Done(message) => {
            crate::auth::session::set_flash(session, &message);
            Ok(see_other(base))
        }
        Change::KeyCreated(new_key) => {
            let mut page = page()?;
            page.new_key = Some(new_key);
            page.render(StatusCode::OK)
        }
        Change::Rejected {
            automation,
            name,
            errors,
        } => {
            let mut page = page()?;
            if automation {
                page.automation_name = name;
                page.automation_errors = errors;
            } else {
                page.key_name = name;
                page.key_errors = errors;
            }
            page.render(StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

/// Parses an id from a path: digits only, as the pages write them.
pub fn parse_path_id(raw: &str) -> Result<i64, AppError> {
    crate::routes::parse_id(raw).ok_or(AppError::NotFound)
}

/// Runs a change and, when the page must be shown again, reads it on the same connection.
pub async fn change_and_load<F>(
    state: &web::Data<AppState>,
    identity: crate::auth::Identity,
    target: impl FnOnce(&crate::auth::CurrentUser) -> Result<(AgencyId, SubAccountId), AppError>
    + Send
    + 'static,
    action: F,
) -> Result<(crate::auth::CurrentUser, AgencyId, Change, Option<PageData>), AppError>
where
    F: FnOnce(&mut DbConnection, SubAccountId) -> Result<Change, AppError> + Send + 'static,
{
    let today = state.clock.now().date();
    state
        .as_user(identity, move |connection, user| {
            let (agency_id, sub_account_id) = target(&user)?;
            sub_accounts::find_listing(connection, agency_id, sub_account_id)?;
            let change = action(connection, sub_account_id)?;
            let data = match change {
                Change::Done(_) => None,
                _ => Some(load(connection, agency_id, sub_account_id, today, None)?),
            };
            Ok((user, agency_id, change, data))
        })
        .await
}
