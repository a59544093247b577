//! `/support`: support staff search agencies and inspect them read-only.
//! Every view of an agency or sub-account is written to that agency's
//! activity log, so the owner sees who looked and when.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::{Identity, session};
use crate::db::activity::{self, Action, NewEntry};
use crate::db::agencies::{self, SearchPage};
use crate::db::sub_accounts;
use crate::domain::{AgencyId, Role, SubAccountId};
use crate::error::AppError;
use crate::render::{Layout, NavUser, html};
use crate::routes::agency::view::AgencyView;
use crate::routes::sub_account_page::{self, PeriodQuery, SubAccountPage, Viewer};
use crate::state::AppState;

/// Results per page of the search.
const PER_PAGE: i64 = 20;

/// Maximum number of matches that a search counts and pages through.
const MAX_COUNTED: i64 = 1_000;

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "support/search.html")]
struct SearchTemplate {
    layout: Layout,
    query: String,
    results: SearchPage,
    page: i64,
    pages: i64,
}

impl SearchTemplate {
    /// Returns the number of matches for the heading, such as "45 agencies"
    /// or "More than 1,000 agencies".
    fn matches(&self) -> String {
        let counted = crate::format::count_of(self.results.total, "agency", "agencies");
        if self.results.more {
            format!("More than {counted}")
        } else {
            counted
        }
    }

    /// Returns the number of listed matches, for the note shown when more agencies match.
    fn listed(&self) -> String {
        crate::format::thousands(self.results.total)
    }

    /// The link to page `page` (counted from 1) of the same search.
    fn page_link(&self, page: &i64) -> String {
        let query: String = url_encode(&self.query);
        format!("/support?q={query}&page={page}")
    }
}

fn url_encode(value: &str) -> String {
    serde_urlencoded::to_string([("", value)])
        .map(|encoded| encoded.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "support/agency.html")]
struct AgencyTemplate {
    layout: Layout,
    agency_id: AgencyId,
    view: AgencyView,
}

fn support_layout(session: &Session, email: String) -> Result<Layout, AppError> {
    Ok(Layout {
        csrf_token: session::csrf_token(session)?,
        user: Some(NavUser {
            email,
            role: Role::Support,
        }),
    })
}

/// Checks that the signed-in user is support staff and returns their email.
/// Everyone else gets 404, so the support pages do not show they exist.
fn support_email(user: crate::auth::CurrentUser) -> Result<String, AppError> {
    if user.role == Role::Support {
        Ok(user.email)
    } else {
        Err(AppError::NotFound)
    }
}

/// `GET /support?q=…&page=…`
pub async fn search(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, AppError> {
    let SearchQuery { q, page } = query.into_inner();
    // Pages count from 1 in links; anything unreadable is the first page.
    let page = page
        .and_then(|page| page.trim().parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, i64::MAX / PER_PAGE);
    let search_text = q.clone();
    let (email, results) = state
        .as_user(identity, move |connection, user| {
            let email = support_email(user)?;
            let results =
                agencies::search(connection, &search_text, page - 1, PER_PAGE, MAX_COUNTED)?;
            Ok((email, results))
        })
        .await?;
    let pages = ((results.total + PER_PAGE - 1) / PER_PAGE).max(1);
    let template = SearchTemplate {
        layout: support_layout(&session, email)?,
        query: q.trim().to_owned(),
        results,
        page,
        pages,
    };
    html(StatusCode::OK, &template)
}

fn parse_id(raw: &str) -> Result<i64, AppError> {
    crate::routes::parse_id(raw).ok_or(AppError::NotFound)
}

/// `GET /support/agencies/{id}`: the Agency page without actions.
pub async fn agency(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let agency_id = AgencyId(parse_id(&path)?);
    let now = state.clock.now();
    let today = now.date();
    let (email, overview) = state
        .as_user(identity, move |connection, user| {
            let email = support_email(user)?;
            let agency = agencies::find(connection, agency_id)?;
            let entry = NewEntry {
                agency_id,
                actor_email: &email,
                action: Action::SupportViewedAgency.as_str(),
                sub_account_id: None,
                sub_account_name: None,
                value_before: None,
                value_after: Some(agency.name),
                created_at: now,
            };
            activity::insert(connection, &entry)?;
            let overview = sub_accounts::overview(connection, agency_id, today)?;
            Ok((email, overview))
        })
        .await?;
    tracing::info!(agency_id = agency_id.0, "support viewed an agency");
    let mut view = AgencyView::new(&overview);
    // The owner's sub-account pages are not the support user's to open.
    for row in &mut view.rows {
        row.link = None;
    }
    let template = AgencyTemplate {
        layout: support_layout(&session, email)?,
        agency_id,
        view,
    };
    html(StatusCode::OK, &template)
}

/// `GET /support/agencies/{id}/sub-accounts/{sub_account_id}`: a sub-account as its member sees it.
pub async fn sub_account(
    identity: Identity,
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<(String, String)>,
    query: web::Query<PeriodQuery>,
) -> Result<HttpResponse, AppError> {
    let (agency_raw, sub_account_raw) = path.into_inner();
    let agency_id = AgencyId(parse_id(&agency_raw)?);
    let sub_account_id = SubAccountId(parse_id(&sub_account_raw)?);
    let now = state.clock.now();
    let requested = query.into_inner().period;
    let (email, data) = state
        .as_user(identity, move |connection, user| {
            let email = support_email(user)?;
            let data = sub_account_page::load(
                connection,
                agency_id,
                sub_account_id,
                now.date(),
                requested.as_deref(),
            )?;
            let entry = NewEntry::about(
                agency_id,
                &email,
                Action::SupportViewedSubAccount,
                (sub_account_id, &data.account.name),
                now,
            );
            activity::insert(connection, &entry)?;
            Ok((email, data))
        })
        .await?;
    tracing::info!(
        agency_id = agency_id.0,
        sub_account_id = sub_account_id.0,
        "support viewed a sub-account"
    );
    let base = format!("/support/agencies/{agency_id}/sub-accounts/{sub_account_id}");
    let page = SubAccountPage::new(
        support_layout(&session, email)?,
        Viewer::Support,
        base,
        agency_id,
        data,
    );
    page.render(StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use askama::Template;

    use super::{SearchPage, SearchTemplate};
    use crate::render::Layout;

    fn render(total: i64, more: bool) -> String {
        let template = SearchTemplate {
            layout: Layout {
                csrf_token: "token".to_owned(),
                user: None,
            },
            query: "a".to_owned(),
            results: SearchPage {
                results: Vec::new(),
                total,
                more,
            },
            page: 1,
            pages: 1,
        };
        template.render().expect("the search page renders")
    }

    #[test]
    fn heading_counts_exact_matches() {
        let html = render(1, false);
        assert!(
            html.contains(">1 agency matching “<bdi>a</bdi>”</h2>"),
            "{html}"
        );
        assert!(!html.contains("results-more"));
    }

    #[test]
    fn heading_says_more_past_the_limit() {
        let html = render(1_000, true);
        assert!(
            html.contains(">More than 1,000 agencies matching “<bdi>a</bdi>”</h2>"),
            "{html}"
        );
        assert!(html.contains("Only the first 1,000 are listed."));
    }
}
