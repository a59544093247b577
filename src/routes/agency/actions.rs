//! The owner's changes: add, update tasks, deactivate, activate and delete.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::view::{AddFormView, AgencyView};
use super::{
    AddResponse, AgencyPage, DeleteResponse, MemberPasswordPage, RowResponse, owner_layout,
    sub_account_id,
};
use crate::auth::{Identity, Owner, password, session};
use crate::db::sub_accounts::{self, NewSubAccount, Overview};
use crate::db::{ActionError, DbConnection};
use crate::domain::{Email, FieldErrors, Password, SubAccountId, SubAccountName, TaskCount};
use crate::error::AppError;
use crate::format::count_of;
use crate::render::{html, is_htmx, see_other};
use crate::routes::agency::UsageView;
use crate::state::AppState;

const AGENCY_PAGE: &str = "/accounts/agency";

#[derive(Debug, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    tasks: String,
}

#[derive(Debug, Deserialize)]
pub struct TasksForm {
    #[serde(default)]
    tasks: String,
}

/// Either the action's result, or the rejection to show with the page as it is now.
enum Outcome<T> {
    Done(T),
    Rejected(Box<Rejected>),
}

/// A rejected action: the status, the messages, and the page as it is now.
struct Rejected {
    status: StatusCode,
    errors: FieldErrors,
    overview: Overview,
    usage: UsageView,
}

/// Runs an owner action on one connection. A conflict (409) or invalid input
/// (422) becomes [`Outcome::Rejected`] with a fresh overview to render;
/// anything else is an error.
async fn run_action<T, F>(
    state: &AppState,
    identity: Identity,
    action: F,
) -> Result<(Owner, Outcome<T>), AppError>
where
    F: FnOnce(&mut DbConnection, &Owner) -> Result<T, ActionError> + Send + 'static,
    T: Send + 'static,
{
    let today = state.clock.now().date();
    state
        .as_owner(identity, move |connection, owner| {
            let (status, errors) = match action(connection, &owner) {
                Ok(value) => return Ok((owner, Outcome::Done(value))),
                Err(ActionError::Conflict(errors)) => (StatusCode::CONFLICT, errors),
                Err(ActionError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
                Err(other) => return Err(other.into()),
            };
            let overview = sub_accounts::overview(connection, owner.agency_id, today)?;
            let usage = UsageView::load(connection, &overview, None)?;
            let rejected = Outcome::Rejected(Box::new(Rejected {
                status,
                errors,
                overview,
                usage,
            }));
            Ok((owner, rejected))
        })
        .await
}

/// Parses the add form, collecting every field's error at once.
fn parse_add_form(
    form: &AddForm,
) -> Result<(SubAccountName, Email, Password, TaskCount), FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = errors.check(SubAccountName::parse(&form.name));
    let email = errors.check(Email::parse(&form.email));
    let new_password = errors.check(Password::parse(&form.password));
    let tasks = errors.check(TaskCount::parse(&form.tasks));
    match (name, email, new_password, tasks) {
        (Some(name), Some(email), Some(new_password), Some(tasks)) => {
            Ok((name, email, new_password, tasks))
        }
        _ => Err(errors),
    }
}

/// `POST /accounts/agency/sub-accounts`
pub async fn add(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let parsed = parse_add_form(&form);
    // Hash only valid input, before the write lock is taken: bcrypt is slow by design.
    let password_hash = match &parsed {
        Ok((_, _, new_password, _)) => {
            let new_password = new_password.clone();
            let cost = state.config.bcrypt_cost;
            let hash = web::block(move || password::hash(&new_password, cost))
                .await
                .map_err(AppError::internal)?
                .map_err(AppError::Internal)?;
            Some(hash)
        }
        Err(_) => None,
    };
    let now = state.clock.now();
    let (owner, outcome) = run_action(&state, identity, move |connection, owner| {
        let (name, email, _, tasks) = parsed.map_err(ActionError::Invalid)?;
        let new = NewSubAccount {
            name: &name,
            email: &email,
            password_hash: password_hash.as_deref().unwrap_or_default(),
            tasks,
        };
        let (id, overview) =
            sub_accounts::add(connection, owner.agency_id, &owner.email, &new, now)?;
        Ok((id, overview, name, tasks))
    })
    .await?;

    let layout = owner_layout(&session, &owner)?;
    let htmx = is_htmx(&request);
    match outcome {
        Outcome::Done((id, overview, name, tasks)) => {
            tracing::info!(
                agency_id = owner.agency_id.0,
                sub_account_id = id.0,
                "added a sub-account"
            );
            let flash = format!(
                "Added “{}” with {}.",
                name.as_str(),
                count_of(tasks.get(), "task", "tasks")
            );
            if !htmx {
                session::set_flash(&session, &flash);
                return Ok(see_other(AGENCY_PAGE));
            }
            let view = AgencyView::new(&overview);
            let new_row = view.row(id).cloned();
            html(
                StatusCode::OK,
                &AddResponse {
                    layout,
                    form: None,
                    summary: Some(view),
                    new_row,
                    flash: Some(flash),
                },
            )
        }
        Outcome::Rejected(rejected) => {
            let Rejected {
                status,
                errors,
                overview,
                usage,
            } = *rejected;
            let view = AgencyView::new(&overview);
            let mut add_form = AddFormView {
                name: form.name,
                email: form.email,
                tasks: form.tasks,
                errors,
                ..AddFormView::default()
            };
            add_form.set_hint(&view.figures);
            if htmx {
                return html(
                    status,
                    &AddResponse {
                        layout,
                        form: Some(add_form),
                        summary: None,
                        new_row: None,
                        flash: None,
                    },
                );
            }
            html(
                status,
                &AgencyPage {
                    layout,
                    view,
                    add_form: Some(add_form),
                    delete: None,
                    flash: None,
                    usage,
                },
            )
        }
    }
}

/// Answers a row action: on success the row and the figures (htmx) or a
/// redirect; on rejection the row with the message at its Tasks field, alone
/// (htmx) or on the whole page.
fn respond_to_row_action(
    request: &HttpRequest,
    session: &Session,
    owner: &Owner,
    id: SubAccountId,
    outcome: Outcome<(Overview, String)>,
    typed_tasks: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let layout = owner_layout(session, owner)?;
    let htmx = is_htmx(request);
    match outcome {
        Outcome::Done((overview, flash)) => {
            if !htmx {
                session::set_flash(session, &flash);
                return Ok(see_other(AGENCY_PAGE));
            }
            let view = AgencyView::new(&overview);
            let row = view.row(id).cloned().ok_or(AppError::NotFound)?;
            html(
                StatusCode::OK,
                &RowResponse {
                    layout,
                    row,
                    summary: Some(view),
                    flash: Some(flash),
                },
            )
        }
        Outcome::Rejected(rejected) => {
            let Rejected {
                status,
                errors,
                overview,
                usage,
            } = *rejected;
            let mut view = AgencyView::new(&overview);
            let message = errors
                .get("tasks")
                .or(errors.get("form"))
                .unwrap_or_default()
                .to_owned();
            view.reject_row(id, message, typed_tasks.unwrap_or_default());
            if htmx {
                let row = view.row(id).cloned().ok_or(AppError::NotFound)?;
                return html(
                    status,
                    &RowResponse {
                        layout,
                        row,
                        summary: None,
                        flash: None,
                    },
                );
            }
            html(
                status,
                &AgencyPage {
                    layout,
                    view,
                    add_form: None,
                    delete: None,
                    flash: None,
                    usage,
                },
            )
        }
    }
}

/// Returns the sub-account's name as the overview lists it, for messages.
fn name_in(overview: &Overview, id: SubAccountId) -> String {
    overview
        .listing(id)
        .map(|listing| listing.sub_account.name.clone())
        .unwrap_or_default()
}

/// `POST /accounts/agency/sub-accounts/{id}/tasks`
pub async fn update_tasks(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    path: web::Path<String>,
    form: web::Form<TasksForm>,
) -> Result<HttpResponse, AppError> {
    let id = sub_account_id(&path)?;
    let typed = form.into_inner().tasks;
    let tasks = TaskCount::parse(&typed);
    let now = state.clock.now();
    let (owner, outcome) = run_action(&state, identity, move |connection, owner| {
        // An unknown id is 404 even when the value is invalid too.
        sub_accounts::find_listing(connection, owner.agency_id, id)?;
        let tasks = tasks.map_err(|error| ActionError::Invalid(error.into()))?;
        let overview =
            sub_accounts::update_tasks(connection, owner.agency_id, id, tasks, &owner.email, now)?;
        let flash = format!(
            "“{}” now has {}.",
            name_in(&overview, id),
            count_of(tasks.get(), "task", "tasks")
        );
        Ok((overview, flash))
    })
    .await?;
    respond_to_row_action(&request, &session, &owner, id, outcome, Some(&typed))
}

/// `POST /accounts/agency/sub-accounts/{id}/deactivate`
pub async fn deactivate(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_active(identity, state, session, request, path, false).await
}

/// `POST /accounts/agency/sub-accounts/{id}/activate`
pub async fn activate(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_active(identity, state, session, request, path, true).await
}

async fn set_active(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    path: web::Path<String>,
    active: bool,
) -> Result<HttpResponse, AppError> {
    let id = sub_account_id(&path)?;
    let now = state.clock.now();
    let (owner, outcome) = run_action(&state, identity, move |connection, owner| {
        let overview =
            sub_accounts::set_active(connection, owner.agency_id, id, active, &owner.email, now)?;
        let name = name_in(&overview, id);
        let flash = if active {
            format!("Activated “{name}”. It can consume tasks again.")
        } else {
            format!("Deactivated “{name}”. It consumes no tasks until it is activated again.")
        };
        Ok((overview, flash))
    })
    .await?;
    respond_to_row_action(&request, &session, &owner, id, outcome, None)
}

/// `DELETE /accounts/agency/sub-accounts/{id}` and, for browsers without
/// JavaScript, `POST /accounts/agency/sub-accounts/{id}/delete`.
pub async fn delete(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = sub_account_id(&path)?;
    let now = state.clock.now();
    let (owner, outcome) = run_action(&state, identity, move |connection, owner| {
        sub_accounts::delete(connection, owner.agency_id, id, &owner.email, now)
    })
    .await?;
    let Outcome::Done((deleted, overview)) = outcome else {
        // Delete has no rule that can reject it.
        return Err(AppError::internal(anyhow::anyhow!(
            "delete of sub-account {id} was rejected"
        )));
    };
    tracing::info!(
        agency_id = owner.agency_id.0,
        sub_account_id = id.0,
        "deleted a sub-account"
    );
    let flash = format!(
        "Deleted “{}”. {} returned to the pool; {} counted.",
        deleted.name,
        count_of(deleted.returned, "unconsumed task", "unconsumed tasks"),
        count_of(
            deleted.consumed,
            "consumed task stays",
            "consumed tasks stay"
        )
    );
    if !is_htmx(&request) {
        session::set_flash(&session, &flash);
        return Ok(see_other(AGENCY_PAGE));
    }
    html(
        StatusCode::OK,
        &DeleteResponse {
            deleted_id: id,
            view: AgencyView::new(&overview),
            flash: Some(flash),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct MemberPasswordForm {
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_confirmation: String,
}

/// `POST /accounts/agency/sub-accounts/{id}/password`: sets a new password
/// for the member, which ends the member's sessions.
pub async fn set_member_password(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    form: web::Form<MemberPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let id = sub_account_id(&path)?;
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    let new_password = crate::routes::account::parse_new_password(
        &form.new_password,
        &form.new_password_confirmation,
        &mut errors,
    );
    let password_hash = match new_password {
        Some(new_password) => {
            let cost = state.config.bcrypt_cost;
            Some(
                web::block(move || password::hash(&new_password, cost))
                    .await
                    .map_err(AppError::internal)?
                    .map_err(AppError::Internal)?,
            )
        }
        None => None,
    };
    let now = state.clock.now();
    let (owner, listing) = state
        .as_owner(identity, move |connection, owner| {
            let listing = sub_accounts::find_listing(connection, owner.agency_id, id)?;
            if let Some(password_hash) = password_hash {
                crate::db::write_transaction(
                    connection,
                    crate::db::Lock::Agency(owner.agency_id),
                    |connection| {
                        let member =
                            crate::db::users::find_member(connection, owner.agency_id, id)?;
                        crate::db::users::set_password(connection, member.id, &password_hash)?;
                        let entry = crate::db::activity::NewEntry::about(
                            owner.agency_id,
                            &owner.email,
                            crate::db::activity::Action::MemberPasswordSet,
                            (id, &listing.sub_account.name),
                            now,
                        );
                        crate::db::activity::insert(connection, &entry)?;
                        Ok::<_, ActionError>(())
                    },
                )?;
            }
            Ok((owner, listing))
        })
        .await?;
    if !errors.is_empty() {
        let page = MemberPasswordPage {
            layout: owner_layout(&session, &owner)?,
            id,
            name: listing.sub_account.name,
            email: listing.email,
            errors,
        };
        return html(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    tracing::info!(
        agency_id = owner.agency_id.0,
        sub_account_id = id.0,
        "set a member's password"
    );
    session::set_flash(
        &session,
        &format!(
            "Set a new password for the member of “{}”. Their sessions were signed out.",
            listing.sub_account.name
        ),
    );
    Ok(see_other(AGENCY_PAGE))
}
