//! HTTP handlers, one module per area of the site. Templates mirror this
//! layout under `templates/`.
//!
//! Every route is declared once, in the [`routes!`] table below, which both
//! registers it and lists it in [`ROUTES`], so the access-matrix test sees
//! every route the server has.

pub mod account;
pub mod agency;
pub mod api;
pub mod health;
pub mod home;
pub mod login;
pub mod setup;
pub mod static_files;
pub mod sub_account_page;
pub mod support;

use std::sync::OnceLock;

use actix_web::dev::ResourceDef;
use actix_web::http::Method;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, guard, web};

use crate::error::AppError;

macro_rules! routes {
    // GET routes answer HEAD too, as HTTP requires; actix-web drops the body.
    (@method GET) => { web::route().guard(guard::Any(guard::Get()).or(guard::Head())) };
    (@method POST) => { web::post() };
    (@method DELETE) => { web::delete() };
    ($($method:ident $path:literal => $handler:path),* $(,)?) => {
        /// Every route as (method, path pattern), in registration order.
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        /// Registers every route of the dashboard.
        pub fn configure(config: &mut web::ServiceConfig) {
            $(config.route($path, routes!(@method $method).to($handler));)*
            config.default_service(web::to(not_found));
        }
    };
}

// actix-web tries routes in this order, and a path with `{…}` costs a regex
// match, so fixed paths come first, the busiest first. A fixed path must stay
// ahead of a pattern that also matches it (`…/sub-accounts/new` before
// `…/sub-accounts/{id}`).
routes! {
    POST "/api/v1/usage" => api::usage::consume,
    GET "/api/v1/usage" => api::usage::current,
    GET "/accounts/agency" => agency::pages::agency,
    GET "/account" => account::page,
    GET "/healthz" => health::healthz,
    GET "/readyz" => health::readyz,
    GET "/metrics" => health::metrics,
    GET "/" => home::home,
    GET "/login" => login::form,
    POST "/login" => login::submit,
    POST "/logout" => login::logout,
    GET "/api/v1/automations" => api::automations::list,
    POST "/api/v1/automations" => api::automations::create,
    GET "/api/v1/openapi.json" => api::openapi_json,
    GET "/account/password" => account::password_form,
    POST "/account/password" => account::change_password,
    POST "/account/automations" => account::create_automation,
    POST "/account/api-keys" => account::create_key,
    GET "/accounts/agency/sub-accounts/new" => agency::pages::add_form,
    GET "/accounts/agency/usage.csv" => agency::pages::usage_csv,
    POST "/accounts/agency/sub-accounts" => agency::actions::add,
    GET "/support" => support::search,
    POST "/accounts/agency/sub-accounts/{id}/tasks" => agency::actions::update_tasks,
    POST "/accounts/agency/sub-accounts/{id}/deactivate" => agency::actions::deactivate,
    POST "/accounts/agency/sub-accounts/{id}/activate" => agency::actions::activate,
    GET "/accounts/agency/sub-accounts/{id}/delete" => agency::pages::confirm_delete,
    POST "/accounts/agency/sub-accounts/{id}/delete" => agency::actions::delete,
    DELETE "/accounts/agency/sub-accounts/{id}" => agency::actions::delete,
    GET "/accounts/agency/sub-accounts/{id}" => agency::sub_account::page,
    GET "/accounts/agency/sub-accounts/{id}/password" => agency::pages::member_password_form,
    POST "/accounts/agency/sub-accounts/{id}/password" => agency::actions::set_member_password,
    POST "/accounts/agency/sub-accounts/{id}/api-keys" => agency::sub_account::create_key,
    POST "/accounts/agency/sub-accounts/{id}/api-keys/{key_id}/revoke" => agency::sub_account::revoke_key,
    POST "/account/automations/{id}/pause" => account::pause_automation,
    POST "/account/automations/{id}/resume" => account::resume_automation,
    POST "/account/api-keys/{id}/revoke" => account::revoke_key,
    POST "/api/v1/automations/{id}/pause" => api::automations::pause,
    POST "/api/v1/automations/{id}/resume" => api::automations::resume,
    GET "/support/agencies/{id}" => support::agency,
    GET "/support/agencies/{id}/sub-accounts/{sub_account_id}" => support::sub_account,
    GET "/static/{file}" => static_files::serve,
    GET "/setup/{token}" => setup::form,
    POST "/setup/{token}" => setup::submit,
}

/// Parses an id from a path: ASCII digits without a sign or leading zero, so
/// one resource has one address.
pub fn parse_id(raw: &str) -> Option<i64> {
    let canonical = !raw.is_empty()
        && raw.bytes().all(|byte| byte.is_ascii_digit())
        && (raw == "0" || !raw.starts_with('0'));
    canonical.then(|| raw.parse().ok()).flatten()
}

/// Picks the billing period that a page's `?period=` names, or returns a 404
/// error when it names none of the account's periods.
pub fn select_period(
    current_start: chrono::NaiveDate,
    anchor_day: i32,
    closed: &[crate::db::periods::ClosedPeriod],
    requested: Option<&str>,
) -> Result<crate::db::periods::Selection, AppError> {
    crate::db::periods::select(current_start, anchor_day, closed, requested)
        .ok_or_else(|| AppError::PeriodNotFound(requested.unwrap_or_default().trim().to_owned()))
}

/// The methods each path accepts, for the `Allow` header of a 405.
fn allowed_methods(path: &str) -> Vec<&'static str> {
    static PATTERNS: OnceLock<Vec<(ResourceDef, &'static str)>> = OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| {
        ROUTES
            .iter()
            .map(|(method, pattern)| (ResourceDef::new(*pattern), *method))
            .collect()
    });
    let mut methods: Vec<&'static str> = patterns
        .iter()
        .filter(|(pattern, _)| pattern.is_match(path))
        .map(|(_, method)| *method)
        .collect();
    if methods.contains(&"GET") {
        methods.push("HEAD");
    }
    methods.sort_unstable();
    methods.dedup();
    methods
}

/// True when some route serves `method` at `path`.
pub fn accepts(method: &Method, path: &str) -> bool {
    allowed_methods(path).contains(&method.as_str())
}

/// Answers requests no route took: 405 with `Allow` when the path exists
/// with other methods (or 204 with `Allow` for OPTIONS), otherwise 404.
async fn not_found(request: HttpRequest) -> Result<HttpResponse, AppError> {
    let methods = allowed_methods(request.path());
    let api = request.path().starts_with("/api/");
    if methods.is_empty() {
        if api {
            return Ok(api::ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "No API endpoint has this address. /api/v1/openapi.json lists them.",
            )
            .error_response());
        }
        return Err(AppError::NotFound);
    }
    let allow = methods.join(", ");
    if request.method() == Method::OPTIONS {
        return Ok(HttpResponse::NoContent()
            .insert_header(("Allow", allow))
            .finish());
    }
    if api {
        let mut response = api::ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("This endpoint accepts {allow}."),
        )
        .error_response();
        response.headers_mut().insert(
            actix_web::http::header::ALLOW,
            actix_web::http::header::HeaderValue::from_str(&allow).map_err(AppError::internal)?,
        );
        return Ok(response);
    }
    Ok(HttpResponse::MethodNotAllowed()
        .insert_header(("Allow", allow))
        .content_type("text/plain; charset=utf-8")
        .body("This address does not accept this method.\n"))
}
